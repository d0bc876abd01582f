/*
 * report: human and JSON output of a run; see report.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "importer.h"
#include "report.h"
#include "xmalloc.h"

static const char *const status_names[] = { "ok", "invalid", "usage", "io" };

struct report *
report_create(const char *command)
{
	struct report *r = xcalloc(1, sizeof(*r));

	r->command = xstrdup(command);
	r->diag = diag_create();
	r->published = json_array();
	r->removed = json_array();
	r->extra = json_object();
	return r;
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	free(r->command);
	diag_free(r->diag);
	json_decref(r->published);
	json_decref(r->removed);
	json_decref(r->extra);
	free(r->error);
	free(r);
}

void
report_published(struct report *r, const char *path, const char *what, uint64_t files,
    uint64_t bytes)
{
	json_array_append_new(r->published, json_pack("{s:s,s:s,s:I,s:I}", "path", path,
	    "kind", what, "files", (json_int_t)files, "bytes", (json_int_t)bytes));
}

void
report_removed(struct report *r, const char *path)
{
	json_array_append_new(r->removed, json_string(path));
}

void
report_error(struct report *r, const char *msg)
{
	free(r->error);
	r->error = xstrdup(msg);
}

static json_t *
report_problems(const struct diag *d)
{
	json_t *a = json_array();

	for (size_t i = 0; i < d->count; i++) {
		const struct diag_entry *e = &d->entries[i];

		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "severity",
		    e->severity == DIAG_ERROR ? "error" : "warning", "where", e->where,
		    "message", e->message));
	}
	return a;
}

static void
report_print_json(const struct report *r, int status, FILE *out)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:I,s:I,s:o,s:O,s:O}", "command", r->command,
	    "status", status_names[status], "exit", status,
	    "errors", (json_int_t)r->diag->errors, "warnings", (json_int_t)r->diag->warnings,
	    "problems", report_problems(r->diag), "published", r->published,
	    "removed", r->removed);
	char *text;

	if (r->error != NULL)
		json_object_set_new(o, "error", json_string(r->error));
	json_object_update(o, r->extra);
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fprintf(out, "%s\n", text);
	free(text);
	json_decref(o);
}

static void
report_print_human(const struct report *r, int status, FILE *out)
{
	size_t i;
	json_t *v;

	for (i = 0; i < r->diag->count; i++) {
		const struct diag_entry *e = &r->diag->entries[i];

		fprintf(out, "%s: %s%s%s\n", e->severity == DIAG_ERROR ? "error" : "warning",
		    e->where, e->where[0] ? ": " : "", e->message);
	}
	json_array_foreach(r->published, i, v) {
		fprintf(out, "published %s (%s, %lld files, %lld bytes)\n",
		    json_string_value(json_object_get(v, "path")),
		    json_string_value(json_object_get(v, "kind")),
		    (long long)json_integer_value(json_object_get(v, "files")),
		    (long long)json_integer_value(json_object_get(v, "bytes")));
	}
	json_array_foreach(r->removed, i, v)
		fprintf(out, "removed %s\n", json_string_value(v));
	if (r->error != NULL)
		fprintf(out, "error: %s\n", r->error);
	fprintf(out, "storeimport %s: %s (%zu errors, %zu warnings)\n", r->command,
	    status == IMP_EXIT_OK ? "done" : "failed", r->diag->errors, r->diag->warnings);
}

int
report_print(const struct report *r, int json, int status, FILE *out)
{
	if (json)
		report_print_json(r, status, out);
	else
		report_print_human(r, status, out);
	fflush(out);
	return status;
}
