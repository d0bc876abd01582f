/*
 * report: human and JSON output of a run; see report.h.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "importer.h"
#include "report.h"
#include "utf8.h"
#include "xmalloc.h"

static const char *const status_names[] = { "ok", "invalid", "usage", "io" };

#define PROGRESS_INTERVAL_NS	250000000LL	/* at most four updates a second */

struct report_progress {
	enum report_progress_mode mode;
	FILE *out;
	int active;
	uint64_t files, bytes, total;
	uint64_t files_total;	/* transfer style: files to fetch, 0 unknown */
	int transfer;		/* report_progress_transfer() */
	const char *label;	/* "copying" */
	long long start_ns, last_ns;	/* CLOCK_MONOTONIC */
};

struct report *
report_create(const char *command)
{
	struct report *r = xcalloc(1, sizeof(*r));

	r->command = command ? xstrdup(command) : NULL;
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
	free(r->progress);
	free(r);
}

/* A JSON string of text that may not be UTF-8 (a refused file name):
 * jansson refuses such text, and the problem would vanish from the report;
 * bytes that are not UTF-8 are shown as \xNN (utf8_escape()). */
static json_t *
report_json_text(const char *text)
{
	char *escaped = utf8_escape(text);
	json_t *j = json_string(escaped);

	free(escaped);
	return j;
}

void
report_published(struct report *r, const char *path, const char *what, uint64_t files,
    uint64_t bytes)
{
	json_array_append_new(r->published, json_pack("{s:o,s:s,s:I,s:I}", "path",
	    report_json_text(path), "kind", what, "files", (json_int_t)files, "bytes",
	    (json_int_t)bytes));
}

void
report_removed(struct report *r, const char *path)
{
	json_array_append_new(r->removed, report_json_text(path));
}

void
report_error(struct report *r, const char *msg)
{
	free(r->error);
	r->error = xstrdup(msg);
}

static long long
progress_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
report_format_bytes(char *buf, size_t len, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

/* "0:07", "1:02:03", "-" when unknown */
static void
progress_format_eta(char *buf, size_t len, double seconds)
{
	unsigned long s;

	if (seconds < 0 || seconds > 360000) {
		snprintf(buf, len, "-");
		return;
	}
	s = (unsigned long)(seconds + 0.5);
	if (s >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
}

/* Bytes per second since the start. */
static double
progress_rate(const struct report_progress *p, long long now)
{
	double secs = (double)(now - p->start_ns) / 1e9;

	return secs > 0.001 ? (double)p->bytes / secs : 0;
}

/* Seconds left at the rate so far; -1 when unknown. */
static double
progress_eta(const struct report_progress *p, long long now)
{
	double bps = progress_rate(p, now);

	return p->total > 0 && bps > 0 && p->total >= p->bytes ?
	    (double)(p->total - p->bytes) / bps : -1;
}

static void
progress_draw_tty(const struct report_progress *p, long long now)
{
	char done[32], total[32], rate[32], eta[32], files[48];
	int pct = p->total > 0 ? (int)(100.0 * (double)p->bytes / (double)p->total) : 100;

	report_format_bytes(done, sizeof(done), (double)p->bytes);
	report_format_bytes(total, sizeof(total), (double)p->total);
	report_format_bytes(rate, sizeof(rate), progress_rate(p, now));
	if (p->files_total > 0)
		snprintf(files, sizeof(files), "%" PRIu64 "/%" PRIu64, p->files, p->files_total);
	else
		snprintf(files, sizeof(files), "%" PRIu64, p->files);
	if (p->total == 0) {	/* unknown: an archive is among the sources */
		fprintf(p->out, "\r%s: %s files, %s, %s/s\033[K", p->label, files, done, rate);
		fflush(p->out);
		return;
	}
	progress_format_eta(eta, sizeof(eta), progress_eta(p, now));
	fprintf(p->out, "\r%s: %s files, %s/%s (%d%%), %s/s, ETA %s\033[K", p->label,
	    files, done, total, pct > 100 ? 100 : pct, rate, eta);
	fflush(p->out);
}

/* The members a transfer's JSON line adds: files_total, rate, eta. */
static void
progress_json_transfer(const struct report_progress *p, long long now)
{
	double eta = progress_eta(p, now);

	fprintf(p->out, ", \"files_total\": %" PRIu64 ", \"rate\": %.0f, \"eta\": ",
	    p->files_total, progress_rate(p, now));
	if (eta < 0)
		fputs("null", p->out);
	else
		fprintf(p->out, "%.0f", eta);
}

static void
progress_draw(struct report_progress *p, long long now)
{
	p->last_ns = now;
	if (p->mode == REPORT_PROGRESS_TTY) {
		progress_draw_tty(p, now);
		return;
	}
	fprintf(p->out, "{\"progress\": {\"files\": %" PRIu64 ", \"bytes\": %" PRIu64
	    ", \"total_bytes\": ", p->files, p->bytes);
	if (p->total == 0)	/* unknown: an archive is among the sources */
		fputs("null", p->out);
	else
		fprintf(p->out, "%" PRIu64, p->total);
	if (p->transfer)
		progress_json_transfer(p, now);
	fputs("}}\n", p->out);
	fflush(p->out);
}

void
report_progress_mode(struct report *r, enum report_progress_mode mode, FILE *out)
{
	free(r->progress);
	r->progress = NULL;
	if (mode == REPORT_PROGRESS_NONE)
		return;
	r->progress = xcalloc(1, sizeof(*r->progress));
	r->progress->mode = mode;
	r->progress->out = out;
	r->progress->label = "copying";
}

void
report_progress_transfer(struct report *r, const char *label)
{
	if (r->progress == NULL)
		return;
	r->progress->transfer = 1;
	r->progress->label = label;
}

void
report_progress_set(struct report *r, uint64_t files, uint64_t files_total, uint64_t bytes,
    uint64_t total_bytes)
{
	struct report_progress *p = r->progress;
	long long now;

	if (p == NULL || !p->active)
		return;
	p->files = files;
	p->files_total = files_total;
	p->bytes = bytes;
	p->total = total_bytes;
	if ((now = progress_now_ns()) - p->last_ns >= PROGRESS_INTERVAL_NS)
		progress_draw(p, now);
}

void
report_progress_begin(struct report *r, uint64_t total_bytes)
{
	struct report_progress *p = r->progress;

	if (p == NULL)
		return;
	p->active = 1;
	p->files = p->bytes = 0;
	p->total = total_bytes;
	p->start_ns = p->last_ns = progress_now_ns();
	if (p->mode == REPORT_PROGRESS_JSON)
		progress_draw(p, p->start_ns);
}

void
report_progress_copied(void *arg, uint64_t bytes, int file_done)
{
	struct report_progress *p = ((struct report *)arg)->progress;
	long long now;

	if (p == NULL || !p->active)
		return;
	p->bytes += bytes;
	p->files += file_done ? 1 : 0;
	if ((now = progress_now_ns()) - p->last_ns >= PROGRESS_INTERVAL_NS)
		progress_draw(p, now);
}

void
report_progress_end(struct report *r)
{
	struct report_progress *p = r->progress;

	if (p == NULL || !p->active)
		return;
	p->active = 0;
	progress_draw(p, progress_now_ns());
	if (p->mode == REPORT_PROGRESS_TTY) {
		fputs("\r\033[K", p->out);
		fflush(p->out);
	}
}

static json_t *
report_problems(const struct diag *d)
{
	json_t *a = json_array();

	for (size_t i = 0; i < d->count; i++) {
		const struct diag_entry *e = &d->entries[i];

		json_array_append_new(a, json_pack("{s:s,s:o,s:o}", "severity",
		    e->severity == DIAG_ERROR ? "error" : "warning", "where",
		    report_json_text(e->where), "message", report_json_text(e->message)));
	}
	return a;
}

static void
report_print_json(const struct report *r, int status, const char *cause, FILE *out)
{
	json_t *o = json_pack("{s:s?,s:s,s:i,s:I,s:I,s:o,s:O,s:O}", "command", r->command,
	    "status", status_names[status], "exit", status,
	    "errors", (json_int_t)r->diag->errors, "warnings", (json_int_t)r->diag->warnings,
	    "problems", report_problems(r->diag), "published", r->published,
	    "removed", r->removed);
	char *text;

	if (cause != NULL)
		json_object_set_new(o, "error", report_json_text(cause));
	json_object_update(o, r->extra);
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fprintf(out, "%s\n", text);
	free(text);
	json_decref(o);
}

static void
report_print_summary(const struct report *r, int status, const char *cause, FILE *out)
{
	const char *cmd = r->command ? r->command : "";

	if (status == IMP_EXIT_OK || cause == NULL)
		fprintf(out, "storeimport %s: %s (%zu errors, %zu warnings)\n", cmd,
		    status == IMP_EXIT_OK ? "done" : "failed", r->diag->errors, r->diag->warnings);
	else if (r->diag->count == 0)
		fprintf(out, "storeimport %s: failed: %s\n", cmd, cause);
	else
		fprintf(out, "storeimport %s: failed: %s (%zu errors, %zu warnings)\n", cmd, cause,
		    r->diag->errors, r->diag->warnings);
}

static void
report_print_human(const struct report *r, int status, const char *cause, FILE *out)
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
	report_print_summary(r, status, cause, out);
}

int
report_print(const struct report *r, int json, int status, FILE *out)
{
	char fallback[128];
	const char *cause = r->error;

	if (status != IMP_EXIT_OK && cause == NULL && r->diag->errors == 0) {
		snprintf(fallback, sizeof(fallback), "internal error: exit %d without a recorded "
		    "cause (please report this)", status);
		cause = fallback;
	}
	if (json)
		report_print_json(r, status, cause, out);
	else
		report_print_human(r, status, cause, out);
	fflush(out);
	return status;
}
