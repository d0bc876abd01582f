/*
 * sync: one run of one channel: the lock, the indexes, the plan and the
 * units it fetches, then the fetch, verification and publish of
 * sync_fetch.c and sync_stage.c (sync.h has the steps).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs_open.h"
#include "importer.h"
#include "store_layout.h"
#include "sync_internal.h"
#include "xmalloc.h"

#define SYNC_INDEX_TMP_SUFFIX	".new"

void
sync_result_init(struct sync_result *r)
{
	memset(r, 0, sizeof(*r));
	r->diag = diag_create();
	r->published = json_array();
	r->removed = json_array();
}

void
sync_result_clear(struct sync_result *r)
{
	free(r->error);
	diag_free(r->diag);
	json_decref(r->published);
	json_decref(r->removed);
	memset(r, 0, sizeof(*r));
}

void
sync_problem(struct sync_run *run, enum diag_severity sev, const char *where,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(run->r->diag, sev, where, "%s", msg);
}

const char *
sync_job_error(const struct transfer_job *j)
{
	size_t n = strlen(j->url);

	if (strncmp(j->err.msg, j->url, n) == 0 && strncmp(j->err.msg + n, ": ", 2) == 0)
		return j->err.msg + n + 2;
	return j->err.msg;
}

/* The channel failed as a whole: records why; returns status. */
static int
sync_fail(struct sync_run *run, int status, const struct errbuf *err)
{
	free(run->r->error);
	run->r->error = xstrdup(err->msg);
	return status;
}

/* --- indexes --- */

/* Reads and parses the index of kind k that the job left (200: the new
 * copy; 304: the stored one).  0, or -1 (err names the URL). */
static int
sync_index_parse(struct sync_run *run, enum index_kind k, const struct transfer_job *j,
    struct errbuf *err)
{
	const char *name = index_kind_file(k);
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	if (fs_read_at(run->st->indexfd, j->res.status == 304 ? name : j->tmpname, O_NOFOLLOW,
	    INDEX_DEFAULT_MAX_BYTES, &buf, &len, err) == -1) {
		errbuf_prefix(err, "%s (%s)", j->url, j->res.status == 304 ? "stored copy" :
		    "downloaded");
		goto out;
	}
	if (index_parse(k, buf, len, j->url, NULL, &run->docs[k], run->r->diag) == -1) {
		errbuf_set(err, "%s: not a valid %s (truncated or malformed); the channel is "
		    "left as it was", j->url, name);
		goto out;
	}
	run->have_index[k] = 1;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Does the new copy `tmp` of index `name` differ from the stored one (or
 * is there none)?  An upstream without ETags answers 200 every time. */
static int
sync_index_differs(int fd, const char *name, const char *tmp)
{
	char *old = NULL, *new = NULL;
	size_t oldlen = 0, newlen = 0;
	int differs = 1;

	if (fs_read_at(fd, name, O_NOFOLLOW, INDEX_DEFAULT_MAX_BYTES, &old, &oldlen, NULL) == 0 &&
	    fs_read_at(fd, tmp, O_NOFOLLOW, INDEX_DEFAULT_MAX_BYTES, &new, &newlen, NULL) == 0)
		differs = oldlen != newlen || memcmp(old, new, oldlen) != 0;
	free(old);
	free(new);
	return differs;
}

/* Keeps the new indexes (and their ETags) as the state's, forgets those the
 * upstream no longer has; notes whether any changed (run->indexes_changed,
 * kept in the state until a publish applies it). */
static int
sync_index_keep(struct sync_run *run, const struct transfer_job *jobs, struct errbuf *err)
{
	int changed = 0;

	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		const char *name = index_kind_file((enum index_kind)k);
		int fd = run->st->indexfd;
		struct stat sb;

		if (jobs[k].res.status == 304)
			continue;
		if (jobs[k].res.status == 404)
			changed |= fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
		else
			changed |= sync_index_differs(fd, name, jobs[k].tmpname);
		if (jobs[k].res.status == 404) {
			if (unlinkat(fd, name, 0) == -1 && errno != ENOENT)
				return errbuf_set_errno(err, "%s/indexes/%s", run->st->path, name);
		} else if (renameat(fd, jobs[k].tmpname, fd, name) == -1)
			return errbuf_set_errno(err, "%s/indexes/%s", run->st->path, name);
		if (mirror_state_etag_put(run->st, name, jobs[k].res.status == 200 ?
		    jobs[k].res.etag : "", err) == -1)
			return -1;
	}
	if (changed && mirror_state_set_pending(run->st, 1, err) == -1)
		return -1;
	run->indexes_changed = changed || mirror_state_pending(run->st);
	return 0;
}

/* The jobs of the five indexes, conditional on the stored ETags. */
static int
sync_index_jobs(struct sync_run *run, struct transfer_job jobs[INDEX_KIND_COUNT],
    char etags[INDEX_KIND_COUNT][FETCH_ETAG_MAX], struct errbuf *err)
{
	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		const char *name = index_kind_file((enum index_kind)k);

		if ((jobs[k].url = sync_source_locate(run->t, SYNC_BASE_DOWNLOAD, name, err)) == NULL)
			return -1;
		jobs[k].dirfd = run->st->indexfd;
		jobs[k].tmpname = xasprintf("%s%s", name, SYNC_INDEX_TMP_SUFFIX);
		mirror_state_etag_get(run->st, name, etags[k], FETCH_ETAG_MAX);
		jobs[k].opts.etag = etags[k][0] != '\0' ? etags[k] : NULL;
		jobs[k].opts.max_size = INDEX_DEFAULT_MAX_BYTES;
		jobs[k].opts.stall_timeout = run->c->stall_timeout;
		jobs[k].opts.retries = run->c->retries;
	}
	return 0;
}

/* Step 2: the five indexes.  0, or an exit status (err). */
static int
sync_indexes(struct sync_run *run, struct errbuf *err)
{
	struct transfer_job jobs[INDEX_KIND_COUNT];
	char etags[INDEX_KIND_COUNT][FETCH_ETAG_MAX];
	int status = IMP_EXIT_INVALID, any = 0;

	memset(jobs, 0, sizeof(jobs));
	if (sync_index_jobs(run, jobs, etags, err) == -1)
		goto out;
	if (sync_source_run(run->src, jobs, INDEX_KIND_COUNT, err) == -1)
		goto out;
	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		run->r->requests += jobs[k].res.attempts;
		run->r->bytes += jobs[k].res.received;
		if (jobs[k].rc != 0) {
			errbuf_set(err, "%s: %s", jobs[k].url, sync_job_error(&jobs[k]));
			if (jobs[k].res.fail == FETCH_FAIL_LOCAL)
				status = IMP_EXIT_IO;
			goto out;
		}
		run->r->not_modified += jobs[k].res.status == 304;
		if (jobs[k].res.status == 404)
			continue;
		any = 1;
		if (sync_index_parse(run, (enum index_kind)k, &jobs[k], err) == -1)
			goto out;
	}
	if (!any) {
		errbuf_set(err, "%s: no index found (404 for each): not a channel's download/",
		    run->t->download);
		goto out;
	}
	status = IMP_EXIT_IO;
	if (sync_index_keep(run, jobs, err) == -1)
		goto out;
	status = 0;
out:
	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		if (jobs[k].tmpname != NULL)
			unlinkat(run->st->indexfd, jobs[k].tmpname, 0);
		free((char *)jobs[k].url);
		free((char *)jobs[k].tmpname);
	}
	return status;
}

/* --- units --- */

/* The folder a build is published in: its build number, or a platform's
 * version folder ("app-platform/10001"); NULL when it has none.  A
 * platform entry whose file paths the plan refused all (its warning names
 * them) has nothing to fetch: NULL, so no empty folder is staged and
 * reported as published at every run. */
static char *
sync_build_dir(const struct mirror_build *b)
{
	if (b->manifest != NULL)
		return xstrdup(b->build);
	if (b->nfiles > 0) {
		const char *slash = strrchr(b->files[0].path, '/');

		return slash ? xstrndup(b->files[0].path, (size_t)(slash - b->files[0].path)) : NULL;
	}
	return NULL;
}

static struct sync_unit *
sync_unit_get(struct sync_run *run, const char *dir)
{
	struct sync_unit *u;

	for (size_t i = 0; i < run->nunits; i++)
		if (strcmp(run->units[i].dir, dir) == 0)
			return &run->units[i];
	run->units = xreallocarray(run->units, run->nunits + 1, sizeof(*run->units));
	u = &run->units[run->nunits++];
	memset(u, 0, sizeof(*u));
	u->dir = xstrdup(dir);
	hashlist_init(&u->record);
	return u;
}

/* Does dlfd hold the file rel (no symlink followed at its end)? */
static int
sync_local_has(int dlfd, const char *rel)
{
	struct stat sb;

	return dlfd != -1 && fstatat(dlfd, rel, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Is build b of a published folder there: its manifest, or what stands
 * for it when it may lack one (old firmware's ip<model>.bin, a software's
 * binary)? */
static int
sync_local_has_build(int dlfd, const struct mirror_build *b)
{
	char *alt = NULL;
	int has;

	if (b->manifest == NULL || sync_local_has(dlfd, b->manifest))
		return 1;
	if (!b->manifest_optional)
		return 0;
	if (b->kind == INDEX_SOFTWARE && b->binary != NULL)
		alt = xasprintf("%s/%s", b->build, b->binary);
	else
		alt = xasprintf("%s/ip%s.bin", b->build, b->id + 2);
	has = sync_local_has(dlfd, alt);
	free(alt);
	return has;
}

/* Is the unit's folder published locally (there, not removed)?  Builds of
 * the plan it lacks are reported: a published folder is never changed. */
static int
sync_unit_published(struct sync_run *run, int dlfd, const struct sync_unit *u)
{
	char *mark = xasprintf("%s/%s", u->dir, STORE_REMOVED_MARK);
	struct stat sb;
	int published;

	published = dlfd != -1 && fstatat(dlfd, u->dir, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(sb.st_mode) && !sync_local_has(dlfd, mark);
	free(mark);
	for (size_t i = 0; published && i < u->nbuilds; i++)
		if (!sync_local_has_build(dlfd, u->builds[i]))
			sync_problem(run, DIAG_WARNING, u->dir, "published here without %s %s; a "
			    "published folder is not changed (remove it to mirror it again)",
			    index_kind_file(u->builds[i]->kind), u->builds[i]->id);
	return published;
}

/* Opens <root>/<channel>/download/, or -1 when the channel has none. */
static int
sync_open_local(struct sync_run *run)
{
	char *rel = xasprintf("%s/%s", run->t->channel, STORE_DOWNLOAD_DIR);
	int rootfd, fd = -1;

	if ((rootfd = open(run->c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fd = fs_open_dir_nofollow(rootfd, rel, strlen(rel));
		close(rootfd);
	}
	free(rel);
	return fd;
}

/* Step 3: the plan's builds grouped into units; published ones dropped. */
static void
sync_units(struct sync_run *run)
{
	int dlfd = sync_open_local(run);
	size_t kept = 0;

	for (size_t i = 0; i < run->plan->nbuilds; i++) {
		struct mirror_build *b = &run->plan->builds[i];
		char *dir = sync_build_dir(b);
		struct sync_unit *u;

		if (dir == NULL)
			continue;
		u = sync_unit_get(run, dir);
		u->builds = xreallocarray(u->builds, u->nbuilds + 1, sizeof(*u->builds));
		u->builds[u->nbuilds++] = b;
		free(dir);
	}
	for (size_t i = 0; i < run->nunits; i++) {
		if (sync_unit_published(run, dlfd, &run->units[i])) {
			run->r->up_to_date++;
			sync_unit_clear(&run->units[i]);
		} else
			run->units[kept++] = run->units[i];
	}
	run->nunits = kept;
	if (dlfd != -1)
		close(dlfd);
}

/* The plan; a selection the planner refuses is a usage error. */
static int
sync_plan(struct sync_run *run, struct errbuf *err)
{
	struct diag *d = run->r->diag;
	size_t before = d->count;

	if (mirror_plan_create((const struct index_doc *const *)run->docs, &run->c->sel, NULL,
	    &run->plan, d) == 0)
		return 0;
	for (size_t i = before; i < d->count; i++)
		if (d->entries[i].severity == DIAG_ERROR) {
			errbuf_set(err, "%s: %s", d->entries[i].where, d->entries[i].message);
			return strcmp(d->entries[i].where, "selection") == 0 ? IMP_EXIT_USAGE :
			    IMP_EXIT_INVALID;
		}
	errbuf_set(err, "%s: no plan", run->t->download);
	return IMP_EXIT_INVALID;
}

/* Steps 4 and 5: records, manifests and files, a second try for folders
 * that failed, which are then left out. */
static int
sync_fetch(struct sync_run *run, struct errbuf *err)
{
	if (!run->c->dry_run && sync_fetch_records(run, err) == -1)
		return -1;
	if (sync_fetch_units(run, err) == -1)
		return -1;
	if (run->c->dry_run)
		return 0;
	for (size_t i = 0; i < run->nunits; i++)
		if (run->units[i].failed)
			sync_unit_reset(run, &run->units[i]);
	if (sync_fetch_units(run, err) == -1)
		return -1;
	for (size_t i = 0; i < run->nunits; i++)
		run->r->failed += run->units[i].failed != 0;
	return 0;
}

static double
sync_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Opens the state and the source; 0 or an exit status. */
static int
sync_open(struct sync_run *run, struct errbuf *err)
{
	const struct sync_config *c = run->c;
	struct sync_source_config sc = {
		.parallel = c->parallel, .rate_limit = c->rate_limit, .ca_file = c->ca_file,
		.proxy = c->proxy, .progress = c->progress, .progress_arg = c->progress_arg,
	};
	int rc = mirror_state_open(c->root, run->t->channel, &run->st, err);

	if (rc == MIRROR_STATE_BUSY)
		return IMP_EXIT_INVALID;
	if (rc != 0)
		return IMP_EXIT_IO;
	if ((run->src = sync_source_create(run->t, &sc, err)) == NULL)
		return IMP_EXIT_INVALID;
	return 0;
}

static int
sync_steps(struct sync_run *run, struct errbuf *err)
{
	int status;

	if ((status = sync_open(run, err)) != 0 || (status = sync_indexes(run, err)) != 0 ||
	    (status = sync_plan(run, err)) != 0)
		return status;
	sync_units(run);
	if (sync_fetch(run, err) == -1)
		return IMP_EXIT_IO;
	if (run->c->dry_run) {
		sync_fetch_sizes(run);
		sync_fetch_count(run);
		return 0;
	}
	if ((status = sync_stage_publish(run, err)) != 0)
		return status;
	/* A commit published the upstream's indexes (with folders, or alone
	 * when only they changed): no index change awaits any more. */
	if ((run->indexes_published || json_array_size(run->r->published) > 0) &&
	    mirror_state_set_pending(run->st, 0, err) == -1)
		return IMP_EXIT_IO;
	if (run->c->keep > 0 && sync_stage_retain(run, err) == -1)
		return IMP_EXIT_IO;
	if (run->r->failed > 0 && run->local_failures > 0)
		return IMP_EXIT_IO;	/* a full disk, not a bad upstream */
	/* A folder left out, or an upstream entry the plan could not take
	 * (an error in the diag): partly failed. */
	return run->r->failed > 0 || run->r->diag->errors > 0 ? IMP_EXIT_INVALID : 0;
}

int
sync_channel(const struct sync_config *c, const struct sync_target *t, struct sync_result *r)
{
	struct sync_run run = { .c = c, .t = t, .r = r };
	double start = sync_now();
	struct errbuf err = { "" };
	int status;

	if ((status = sync_steps(&run, &err)) != 0 && err.msg[0] != '\0')
		sync_fail(&run, status, &err);
	r->status = status;
	r->seconds = sync_now() - start;
	for (size_t i = 0; i < run.nunits; i++)
		sync_unit_clear(&run.units[i]);
	free(run.units);
	mirror_plan_free(run.plan);
	for (int k = 0; k < INDEX_KIND_COUNT; k++)
		index_doc_free(run.docs[k]);
	sync_source_free(run.src);
	mirror_state_free(run.st);
	return status;
}
