/*
 * cmd_sync: storemirror sync and plan (sync --dry-run): each channel of
 * the upstream mirrored by sync_channel() (sync.h), its outcome printed as
 * one summary line per channel on stdout (its problems before it, on
 * stderr: "<channel>: error: <URL>: <message>"; warnings with --verbose),
 * or as one JSON object with --json:
 *
 *   {"command":"sync","status":"ok","exit":0,
 *    "channels":[{"channel":"release","upstream":"http://.../release/download",
 *      "status":"ok","exit":0,"error":null,"published":["130001"],"removed":[],
 *      "up_to_date":3,"failed":0,"files":12,"kept":0,"bytes":123456,"requests":20,
 *      "not_modified":0,"seconds":0.4,"channel_failed":false,
 *      "problems":[{"severity":"error","where":"<url>","message":"..."}],
 *      "plan":{"app":{"builds":1,"files":4,"bytes":1234,"unknown":0},...},
 *      "head_failed":0}]}
 *
 * "channel_failed" is true when the channel failed as a whole ("error" says
 * why: the store root, the lock, an upstream index): nothing was published,
 * and the human summary line on stdout says "sync failed (the error above),
 * nothing published" instead of counts (the error is on stderr).
 * ("plan" and "head_failed" only for plan / --dry-run that did not fail as a
 * whole: over HTTP the sizes
 * come from HEAD requests; "unknown" counts the files whose size is not
 * known, "head_failed" the HEADs that failed, and "bytes" leaves those files
 * out; the human output says so in a line of its own).  Progress of the
 * transfers goes to stderr: a line updated in place on a terminal, JSON
 * lines with --json, nothing with --quiet.  The exit status is the worst channel's
 * (importer.h): 0 all published, 1 a build failed or was refused or the
 * upstream failed, 2 usage, 3 a local I/O error.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "importer.h"
#include "mirror_cmd.h"
#include "report.h"
#include "../storesrv/status_record.h"
#include "sync.h"
#include "xmalloc.h"

static const char *const sync_status_names[] = { "ok", "invalid", "usage", "io" };

/* The names of the kinds on the command line, in the plan's order. */
static const struct {
	const char *name;
	enum index_kind kind;
} sync_kinds[] = {
	{ "app", INDEX_APPS },
	{ "software", INDEX_SOFTWARE },
	{ "firmware", INDEX_FIRMWARE },
	{ "app-platform", INDEX_LINUX },
	{ "phone-platform", INDEX_PHONEPLATFORM },
};
#define SYNC_NKINDS	(sizeof(sync_kinds) / sizeof(sync_kinds[0]))

static const char *
sync_kind_name(enum index_kind k)
{
	for (size_t i = 0; i < SYNC_NKINDS; i++)
		if (sync_kinds[i].kind == k)
			return sync_kinds[i].name;
	return "?";
}

/* "app,firmware" -> bits; -1 names the unknown kind in err. */
static int
sync_parse_kinds(const char *list, unsigned *bits, struct errbuf *err)
{
	char *copy, *save = NULL;
	int rc = 0;

	*bits = 0;
	if (list == NULL || *list == '\0')
		return 0;
	copy = xstrdup(list);
	for (char *k = strtok_r(copy, ",", &save); k != NULL && rc == 0;
	    k = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < SYNC_NKINDS && strcmp(k, sync_kinds[i].name) != 0; i++)
			;
		if (i == SYNC_NKINDS)
			rc = errbuf_set(err, "--kinds: unknown kind \"%s\" (app, software, firmware, "
			    "app-platform, phone-platform)", k);
		else
			*bits |= MIRROR_KIND_BIT(sync_kinds[i].kind);
	}
	free(copy);
	return rc;
}

/* --- progress --- */

/* The transfers of a channel come in batches (indexes, records, manifests,
 * files), each counted from 0: the display adds them up. */
struct sync_progress {
	struct report *rep;
	struct transfer_progress base, last;
};

static void
sync_progress_cb(const struct transfer_progress *p, void *arg)
{
	struct sync_progress *sp = arg;

	if (p->elapsed < sp->last.elapsed || p->jobs_done < sp->last.jobs_done ||
	    p->jobs_total != sp->last.jobs_total) {	/* a new batch */
		sp->base.jobs_done += sp->last.jobs_done;
		sp->base.jobs_total += sp->last.jobs_done;
		sp->base.bytes_received += sp->last.bytes_received;
		sp->base.bytes_expected += sp->last.bytes_received;
	}
	sp->last = *p;
	report_progress_set(sp->rep, sp->base.jobs_done + p->jobs_done,
	    sp->base.jobs_total + p->jobs_total, sp->base.bytes_received + p->bytes_received,
	    p->bytes_expected ? sp->base.bytes_expected + p->bytes_expected : 0);
}

static void
sync_progress_begin(struct sync_progress *sp, const struct mirror_settings *s)
{
	memset(sp, 0, sizeof(*sp));
	sp->rep = report_create("sync");
	if (s->quiet)
		return;
	if (s->json)
		report_progress_mode(sp->rep, REPORT_PROGRESS_JSON, stderr);
	else if (isatty(STDERR_FILENO))
		report_progress_mode(sp->rep, REPORT_PROGRESS_TTY, stderr);
	report_progress_transfer(sp->rep, "fetching");
	report_progress_begin(sp->rep, 0);
}

/* --- output --- */

/* Did the channel fail as a whole (its error stopped the run before
 * anything was published or removed)?  A run whose retention failed after
 * a publish did not: its counts stand. */
static int
sync_channel_failed(const struct sync_result *r)
{
	return r->error != NULL && json_array_size(r->published) == 0 &&
	    json_array_size(r->removed) == 0;
}

static json_t *
sync_json_problems(const struct diag *d, int verbose)
{
	json_t *a = json_array();

	for (size_t i = 0; i < d->count; i++) {
		const struct diag_entry *e = &d->entries[i];

		if (e->severity == DIAG_WARNING && !verbose)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "severity",
		    e->severity == DIAG_ERROR ? "error" : "warning", "where", e->where,
		    "message", e->message));
	}
	return a;
}

static json_t *
sync_json_plan(const struct sync_result *r)
{
	json_t *o = json_object();

	for (size_t i = 0; i < SYNC_NKINDS; i++) {
		const struct sync_kind_plan *p = &r->plan[sync_kinds[i].kind];

		json_object_set_new(o, sync_kinds[i].name, json_pack("{s:I, s:I, s:I, s:I}",
		    "builds", (json_int_t)p->builds, "files", (json_int_t)p->files,
		    "bytes", (json_int_t)p->bytes, "unknown", (json_int_t)p->unknown));
	}
	return o;
}

static json_t *
sync_json_channel(const struct sync_target *t, const struct sync_result *r, int plan,
    int verbose)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s?, s:O, s:O, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:f}", "channel", t->channel, "upstream", t->download,
	    "status", sync_status_names[r->status], "exit", r->status, "error", r->error,
	    "published", r->published, "removed", r->removed,
	    "up_to_date", (json_int_t)r->up_to_date, "failed", (json_int_t)r->failed,
	    "files", (json_int_t)r->files, "kept", (json_int_t)r->kept,
	    "bytes", (json_int_t)r->bytes,
	    "requests", (json_int_t)r->requests, "not_modified", (json_int_t)r->not_modified,
	    "seconds", r->seconds);

	json_object_set_new(o, "channel_failed", json_boolean(sync_channel_failed(r)));
	json_object_set_new(o, "problems", sync_json_problems(r->diag, verbose));
	if (plan && !sync_channel_failed(r)) {
		json_object_set_new(o, "plan", sync_json_plan(r));
		json_object_set_new(o, "head_failed", json_integer((json_int_t)r->head_failed));
	}
	return o;
}

static void
sync_print_plan(const struct sync_target *t, const struct sync_result *r, int verbose)
{
	size_t unknown = 0;
	char bytes[32];

	for (size_t i = 0; i < SYNC_NKINDS; i++) {
		const struct sync_kind_plan *p = &r->plan[sync_kinds[i].kind];

		unknown += p->unknown;
		report_format_bytes(bytes, sizeof(bytes), (double)p->bytes);
		printf("%s: plan: %-14s %zu %s, %zu %s, %s", t->channel,
		    sync_kind_name(sync_kinds[i].kind), p->builds, p->builds == 1 ? "build" : "builds",
		    p->files, p->files == 1 ? "file" : "files", bytes);
		if (p->unknown > 0)
			printf(" (+ %zu files of unknown size)", p->unknown);
		printf("\n");
	}
	if (unknown == 0)
		return;
	printf("%s: plan: %zu files of unknown size are not in the bytes above", t->channel,
	    unknown);
	if (r->head_failed > 0)
		printf(": %zu HEAD requests failed%s", r->head_failed,
		    verbose ? "" : " (--verbose names them)");
	printf("\n");
}

static void
sync_print_channel(const struct sync_target *t, const struct sync_result *r, int plan,
    int verbose)
{
	char bytes[32];

	for (size_t i = 0; i < r->diag->count; i++) {
		const struct diag_entry *e = &r->diag->entries[i];

		if (e->severity == DIAG_ERROR || verbose)
			fprintf(stderr, "%s: %s: %s: %s\n", t->channel, e->severity == DIAG_ERROR ?
			    "error" : "warning", e->where, e->message);
	}
	if (r->error != NULL)
		fprintf(stderr, "%s: error: %s\n", t->channel, r->error);
	if (plan && r->status == 0)
		sync_print_plan(t, r, verbose);
	report_format_bytes(bytes, sizeof(bytes), (double)r->bytes);
	if (sync_channel_failed(r)) {
		printf("%s: %s failed (the error above), nothing %s; %zu files, %s fetched in "
		    "%.1f s (%zu requests)\n", t->channel, plan ? "plan" : "sync",
		    plan ? "planned" : "published", r->files, bytes, r->seconds, r->requests);
		return;
	}
	printf("%s: %s%zu published, %zu up to date, %zu failed, %zu removed; %zu files, %s "
	    "fetched in %.1f s (%zu requests, %zu indexes not modified)\n", t->channel,
	    plan ? "plan only, " : "", json_array_size(r->published), r->up_to_date, r->failed,
	    json_array_size(r->removed), r->files, bytes, r->seconds, r->requests,
	    r->not_modified);
	if (r->kept > 0)
		printf("%s: %zu complete files of an interrupted run kept (their sha256 as the "
		    "upstream's records say)\n", t->channel, r->kept);
}

/* --- the command --- */

static int
sync_config_from(const struct mirror_settings *s, struct sync_config *c,
    struct sync_progress *sp, struct errbuf *err)
{
	memset(c, 0, sizeof(*c));
	if (sync_parse_kinds(s->kinds, &c->sel.kinds, err) == -1)
		return -1;
	if (s->root == NULL || *s->root == '\0')
		return errbuf_set(err, "--root: missing (the local store root)");
	c->root = s->root;
	c->sel.ids = s->ids;
	c->sel.devices = s->devices;
	c->sel.min_release = s->min_release;
	c->sel.archs = s->archs;
	c->dry_run = s->dry_run || s->command == MIRROR_CMD_PLAN;
	c->keep = s->keep;
	c->parallel = s->parallel;
	c->rate_limit = s->rate_limit;
	c->stall_timeout = s->stall_timeout;
	c->retries = s->retries;
	c->ca_file = s->ca_file;
	c->proxy = s->proxy;
	c->progress = sync_progress_cb;
	c->progress_arg = sp;
	return 0;
}

static int
sync_usage(const struct mirror_settings *s, const struct errbuf *err)
{
	if (s->json) {
		json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "command", s->command ==
		    MIRROR_CMD_PLAN ? "plan" : "sync", "status", "usage", "exit", IMP_EXIT_USAGE,
		    "error", err->msg);

		json_dumpf(o, stdout, JSON_INDENT(1));
		fputc('\n', stdout);
		json_decref(o);
	} else
		fprintf(stderr, "storemirror: %s\n", err->msg);
	return IMP_EXIT_USAGE;
}

/* A sync (not a plan) leaves its outcome for storesrv's status page
 * (<root>/.status/last-mirror.json, status_record.h); runs are its
 * channels' summaries. */
static void
sync_record_run(const struct mirror_settings *s, int status, long problems, json_t *runs)
{
	json_t *extra = json_pack("{s:s, s:O}", "upstream", s->upstream, "channels", runs);
	struct errbuf err;

	if (status_record_write(s->root, STATUS_LAST_MIRROR, status, problems,
	    status != 0 ? sync_status_names[status] : NULL, extra, &err) == -1)
		fprintf(stderr, "storemirror: %s\n", err.msg);
	json_decref(extra);
}

int
mirror_cmd_sync(const struct mirror_settings *s)
{
	struct sync_target *targets = NULL;
	struct sync_progress sp;
	struct sync_config c;
	struct errbuf err;
	json_t *channels = json_array(), *runs = json_array();
	long problems = 0;
	size_t n = 0;
	int status = 0;

	memset(&sp, 0, sizeof(sp));
	if (sync_config_from(s, &c, &sp, &err) == -1 ||
	    sync_targets_resolve(s->upstream, s->channels, &targets, &n, &err) == -1) {
		json_decref(channels);
		json_decref(runs);
		return sync_usage(s, &err);
	}
	for (size_t i = 0; i < n; i++) {
		struct sync_result r;

		sync_result_init(&r);
		sync_progress_begin(&sp, s);
		sync_channel(&c, &targets[i], &r);
		report_progress_end(sp.rep);
		report_free(sp.rep);
		sp.rep = NULL;
		if (s->json)
			json_array_append_new(channels, sync_json_channel(&targets[i], &r,
			    c.dry_run, s->verbose));
		else
			sync_print_channel(&targets[i], &r, c.dry_run, s->verbose);
		status = r.status > status ? r.status : status;
		problems += (long)r.diag->errors;
		json_array_append_new(runs, sync_json_channel(&targets[i], &r, c.dry_run, 0));
		sync_result_clear(&r);
	}
	if (s->json) {
		json_t *o = json_pack("{s:s, s:s, s:i, s:o}", "command", c.dry_run ? "plan" :
		    "sync", "status", sync_status_names[status], "exit", status, "channels",
		    channels);

		json_dumpf(o, stdout, JSON_INDENT(1));
		fputc('\n', stdout);
		json_decref(o);
	} else
		json_decref(channels);
	fflush(stdout);
	if (!c.dry_run)
		sync_record_run(s, status, problems, runs);
	json_decref(runs);
	sync_targets_free(targets, n);
	return status;
}
