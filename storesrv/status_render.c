/*
 * status_render: the status document as JSON, as an HTML page and as
 * Prometheus text; see status.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "status_html.h"

typedef int (*status_render_fn)(json_t *doc, FILE *out);

static json_int_t
status_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *
status_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static int
status_render_json(json_t *doc, FILE *out)
{
	return json_dumpf(doc, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
}

/* --- Prometheus text format 0.0.4 --- */

/* A label value: backslash, double quote and newline escaped. */
static void
status_prom_label(FILE *out, const char *name, const char *value, int first)
{
	fprintf(out, "%s%s=\"", first ? "" : ",", name);
	for (; *value != '\0'; value++) {
		if (*value == '\\' || *value == '"')
			fprintf(out, "\\%c", *value);
		else if (*value == '\n')
			fputs("\\n", out);
		else
			fputc(*value, out);
	}
	fputc('"', out);
}

static void
status_prom_head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
status_prom_plain(FILE *out, const char *name, const char *type, const char *help,
    json_int_t v)
{
	status_prom_head(out, name, type, help);
	fprintf(out, "%s %lld\n", name, (long long)v);
}

/* One series per entry of list (labels: channel and `what`), the first
 * STATUS_TOP_BUILDS named, the rest and `extra` summed as "other". */
static void
status_prom_top(FILE *out, const char *name, const char *help, const char *what,
    const char *field, json_t *list, json_int_t extra)
{
	json_int_t other = extra;
	size_t i;
	json_t *e;

	status_prom_head(out, name, "counter", help);
	json_array_foreach(list, i, e) {
		if (i >= STATUS_TOP_BUILDS) {
			other += status_int(e, field);
			continue;
		}
		fprintf(out, "%s{", name);
		status_prom_label(out, "channel", status_str(e, "channel"), 1);
		status_prom_label(out, what, status_str(e, what), 0);
		fprintf(out, "} %lld\n", (long long)status_int(e, field));
	}
	fprintf(out, "%s{channel=\"other\",%s=\"other\"} %lld\n", name, what, (long long)other);
}

static void
status_prom_downloads(json_t *dl, FILE *out)
{
	json_t *untracked = json_object_get(dl, "untracked");
	static const struct {
		const char *name, *help, *what, *field, *list, *other;
	} tops[] = {
		{ "storesrv_build_requests_total", "Downloads served per build.", "build",
		    "requests", "builds", "other_builds" },
		{ "storesrv_build_bytes_total", "Bytes served per build.", "build", "bytes",
		    "builds", "other_builds" },
		{ "storesrv_item_requests_total", "Downloads served per item.", "item",
		    "requests", "items", "other_items" },
		{ "storesrv_item_bytes_total", "Bytes served per item.", "item", "bytes",
		    "items", "other_items" },
	};

	for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
		status_prom_top(out, tops[i].name, tops[i].help, tops[i].what, tops[i].field,
		    json_object_get(dl, tops[i].list),
		    status_int(json_object_get(dl, tops[i].other), tops[i].field) +
		    status_int(untracked, tops[i].field));
	}
}

static void
status_prom_channels(json_t *channels, FILE *out, const char *name, const char *field,
    const char *help)
{
	size_t i;
	json_t *c, *k;
	const char *kind;

	status_prom_head(out, name, "gauge", help);
	json_array_foreach(channels, i, c) {
		json_object_foreach(json_object_get(c, "kinds"), kind, k) {
			fprintf(out, "%s{", name);
			status_prom_label(out, "channel", status_str(c, "name"), 1);
			status_prom_label(out, "kind", kind, 0);
			fprintf(out, "} %lld\n", (long long)status_int(k, field));
		}
	}
}

static void
status_prom_runs(json_t *doc, FILE *out)
{
	static const struct { const char *tool, *member; } runs[] = {
		{ "import", "last_import" }, { "mirror", "last_mirror" },
	};

	status_prom_head(out, "storesrv_last_run_ok", "gauge",
	    "Whether the last run of a tool succeeded (absent: no run recorded).");
	for (size_t i = 0; i < 2; i++) {
		json_t *r = json_object_get(doc, runs[i].member);

		if (json_is_object(r))
			fprintf(out, "storesrv_last_run_ok{tool=\"%s\"} %d\n", runs[i].tool,
			    json_is_true(json_object_get(r, "ok")));
	}
	status_prom_head(out, "storesrv_last_run_problems", "gauge",
	    "Validation problems of the last run of a tool.");
	for (size_t i = 0; i < 2; i++) {
		json_t *r = json_object_get(doc, runs[i].member);

		if (json_is_object(r))
			fprintf(out, "storesrv_last_run_problems{tool=\"%s\"} %lld\n",
			    runs[i].tool, (long long)status_int(r, "problems"));
	}
}

static int
status_render_prometheus(json_t *doc, FILE *out)
{
	json_t *req = json_object_get(doc, "requests"), *disk = json_object_get(doc, "disk");
	json_t *by = json_object_get(req, "by_class"), *v;
	const char *cls;

	status_prom_head(out, "storesrv_info", "gauge", "The storesrv version.");
	fprintf(out, "storesrv_info{");
	status_prom_label(out, "version", status_str(doc, "version"), 1);
	fprintf(out, "} 1\n");
	status_prom_plain(out, "storesrv_uptime_seconds", "gauge", "Seconds since start.",
	    status_int(doc, "uptime_seconds"));
	status_prom_head(out, "storesrv_requests_total", "counter",
	    "Replies sent, by status class.");
	json_object_foreach(by, cls, v)
		fprintf(out, "storesrv_requests_total{class=\"%s\"} %lld\n", cls,
		    (long long)json_integer_value(v));
	status_prom_plain(out, "storesrv_response_bytes_total", "counter",
	    "Body bytes sent.", status_int(req, "bytes"));
	status_prom_plain(out, "storesrv_not_modified_total", "counter",
	    "304 Not Modified replies.", status_int(req, "not_modified"));
	status_prom_plain(out, "storesrv_partial_total", "counter",
	    "206 Partial Content replies (ranges).", status_int(req, "partial"));
	status_prom_plain(out, "storesrv_disk_total_bytes", "gauge",
	    "Size of the store root's file system.", status_int(disk, "total_bytes"));
	status_prom_plain(out, "storesrv_disk_used_bytes", "gauge",
	    "Used bytes of the store root's file system.", status_int(disk, "used_bytes"));
	status_prom_plain(out, "storesrv_disk_free_bytes", "gauge",
	    "Bytes free to unprivileged users on the store root's file system.",
	    status_int(disk, "free_bytes"));
	status_prom_channels(json_object_get(doc, "channels"), out, "storesrv_builds",
	    "builds", "Builds (versions) in a channel's index.");
	status_prom_channels(json_object_get(doc, "channels"), out, "storesrv_items",
	    "items", "Items in a channel's index.");
	status_prom_runs(doc, out);
	status_prom_plain(out, "storesrv_incoming_problem_files", "gauge",
	    "Uploads in incoming/ refused with a *.problems.txt.",
	    status_int(json_object_get(doc, "validation"), "incoming_problem_files"));
	status_prom_downloads(json_object_get(doc, "downloads"), out);
	return 0;
}

static const struct {
	enum status_format fmt;
	const char *content_type;
	status_render_fn fn;
} status_renderers[] = {
	{ STATUS_HTML, "text/html; charset=utf-8", status_render_html },
	{ STATUS_JSON, "application/json", status_render_json },
	{ STATUS_PROMETHEUS, "text/plain; version=0.0.4; charset=utf-8", status_render_prometheus },
};

int
status_render(json_t *doc, enum status_format fmt, char **body, size_t *len,
    const char **content_type, struct errbuf *err)
{
	FILE *out = open_memstream(body, len);
	int rc;

	if (out == NULL)
		return errbuf_set_errno(err, "status: open_memstream");
	rc = status_renderers[fmt].fn(doc, out);
	*content_type = status_renderers[fmt].content_type;
	if (fclose(out) != 0 || rc != 0) {
		free(*body);
		*body = NULL;
		return errbuf_set(err, "status: cannot render the %s", *content_type);
	}
	return 0;
}
