/*
 * sync_fetch: what a sync fetches for each folder it mirrors (the sha256
 * record, the manifests, the files) and how it verifies them; sync.h has
 * the rules, sync_internal.h the structs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_open.h"
#include "manifest.h"
#include "store_layout.h"
#include "sync_internal.h"
#include "xmalloc.h"

#define SYNC_RECORD_MAX_BYTES	(4u * 1024 * 1024)
#define SYNC_FILE_MAX_BYTES	((uint64_t)64 << 30)	/* one file of a build */

/* A batch of transfer jobs, each for one file of a unit (by index: the
 * unit's files grow as manifests are expanded). */
struct sync_batch {
	struct transfer_job *jobs;
	size_t *files;
	struct sync_unit **units;
	size_t n;
};

#define BATCH_FILE(b, i)	(&(b)->units[i]->files[(b)->files[i]])

/* The unit failed this attempt: an error naming `url` (a warning when
 * it will be fetched again). */
static void
sync_unit_fail(struct sync_run *run, struct sync_unit *u, const char *url, const char *fmt, ...)
{
	int last = u->tries >= 2 || run->c->dry_run;
	char msg[768];
	va_list ap;

	if (u->failed)
		return;
	u->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sync_problem(run, last ? DIAG_ERROR : DIAG_WARNING, url, "%s %s: %s", u->dir,
	    last ? "left out" : "fetched again", msg);
}

static void
sync_batch_free(struct sync_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free((char *)b->jobs[i].tmpname);
	free(b->jobs);
	free(b->files);
	free(b->units);
	memset(b, 0, sizeof(*b));
}

static void
sync_batch_add(struct sync_batch *b, struct sync_unit *u, size_t f, const char *url, int dirfd,
    char *tmpname)
{
	struct transfer_job *j;

	b->jobs = xreallocarray(b->jobs, b->n + 1, sizeof(*b->jobs));
	b->files = xreallocarray(b->files, b->n + 1, sizeof(*b->files));
	b->units = xreallocarray(b->units, b->n + 1, sizeof(*b->units));
	j = &b->jobs[b->n];
	memset(j, 0, sizeof(*j));
	j->url = url;
	j->dirfd = dirfd;
	j->tmpname = tmpname;
	b->files[b->n] = f;
	b->units[b->n++] = u;
}

/* Runs the batch with the run's transfer settings; counts what it cost. */
static int
sync_batch_run(struct sync_run *run, struct sync_batch *b, uint64_t max_size, int resume,
    struct errbuf *err)
{
	for (size_t i = 0; i < b->n; i++) {
		b->jobs[i].opts.max_size = max_size;
		b->jobs[i].opts.resume = resume;
		b->jobs[i].opts.stall_timeout = run->c->stall_timeout;
		b->jobs[i].opts.retries = run->c->retries;
	}
	if (sync_source_run(run->src, b->jobs, b->n, err) == -1)
		return -1;
	for (size_t i = 0; i < b->n; i++) {
		run->r->requests += b->jobs[i].res.attempts;
		run->r->bytes += b->jobs[i].res.received;
	}
	return 0;
}

/* --- records --- */

static int
sync_record_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hash_rec *)a)->path, ((const struct hash_rec *)b)->path);
}

/* The record's entry for a file of the unit, or NULL. */
static const struct hash_rec *
sync_record_find(const struct sync_unit *u, const struct sync_file *f)
{
	struct hash_rec key = { .path = f->rel + strlen(u->dir) + 1 };

	return bsearch(&key, u->record.recs, u->record.count, sizeof(key), sync_record_cmp);
}

/* Takes the record a job fetched (200), or tells why none is used. */
static void
sync_record_take(struct sync_run *run, struct sync_unit *u, const struct transfer_job *j)
{
	struct errbuf err;
	char *text = NULL;
	size_t len = 0;

	if (j->rc != 0) {
		if (j->res.fail != FETCH_FAIL_HTTP || j->res.status >= 500)
			sync_problem(run, DIAG_WARNING, j->url, "no sha256 record: %s; files "
			    "checked against the manifests only", sync_job_error(j));
		return;
	}
	if (j->res.status != 200)
		return;
	if (fs_read_at(run->st->recordsfd, j->tmpname, O_NOFOLLOW, SYNC_RECORD_MAX_BYTES, &text,
	    &len, &err) == -1 || hashlist_parse(&u->record, text, len, &err) == -1) {
		sync_problem(run, DIAG_WARNING, j->url, "not a sha256 record (%s); files checked "
		    "against the manifests only", err.msg);
		hashlist_free(&u->record);
		hashlist_init(&u->record);
	} else {
		qsort(u->record.recs, u->record.count, sizeof(*u->record.recs), sync_record_cmp);
		u->have_record = 1;
	}
	free(text);
}

int
sync_fetch_records(struct sync_run *run, struct errbuf *err)
{
	struct sync_batch b = { 0 };
	char **urls = xcalloc(run->nunits + 1, sizeof(*urls));
	int rc = -1;

	for (size_t i = 0; i < run->nunits; i++) {
		char *name = xstrdup(run->units[i].dir);

		for (char *s = name; *s != '\0'; s++)
			*s = *s == '/' ? '-' : *s;
		if ((urls[i] = sync_source_locate(run->t, SYNC_BASE_RECORDS, run->units[i].dir,
		    err)) == NULL) {
			free(name);
			goto out;
		}
		sync_batch_add(&b, &run->units[i], 0, urls[i], run->st->recordsfd, name);
	}
	if (sync_batch_run(run, &b, SYNC_RECORD_MAX_BYTES, 0, err) == -1)
		goto out;
	for (size_t i = 0; i < b.n; i++) {
		sync_record_take(run, b.units[i], &b.jobs[i]);
		unlinkat(run->st->recordsfd, b.jobs[i].tmpname, 0);
	}
	rc = 0;
out:
	sync_batch_free(&b);
	for (size_t i = 0; i < run->nunits; i++)
		free(urls[i]);
	free(urls);
	return rc;
}

/* --- manifests and files --- */

static struct sync_file *
sync_unit_add_file(struct sync_unit *u, const char *rel, const struct mirror_build *b,
    int arch, int manifest)
{
	struct sync_file *f;

	u->files = xreallocarray(u->files, u->nfiles + 1, sizeof(*u->files));
	f = &u->files[u->nfiles++];
	memset(f, 0, sizeof(*f));
	f->rel = xstrdup(rel);
	f->build = b;
	f->arch = arch;
	f->manifest = manifest;
	return f;
}

static void
sync_unit_add_build_files(struct sync_unit *u, const struct mirror_build *b)
{
	for (size_t i = 0; i < b->nfiles; i++)
		sync_unit_add_file(u, b->files[i].path, b, b->files[i].arch, 0);
}

/* A complete file that an interrupted run left in files/ (the fetcher's
 * resume sidecar is gone) is kept instead of fetched again when the
 * upstream's record vouches for it; without a record it is fetched. */
static int
sync_file_kept(struct sync_run *run, const struct sync_unit *u, struct sync_file *f)
{
	char *sidecar = xasprintf("%s.etag", f->rel);
	const struct hash_rec *rec;
	struct stat sb;
	int fd = -1, kept = 0;

	if (!u->have_record || (rec = sync_record_find(u, f)) == NULL ||
	    fstatat(run->st->filesfd, sidecar, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		goto out;
	fd = openat(run->st->filesfd, f->rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd != -1 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    hash_fd(fd, f->sha256, &f->size, NULL) == 0 && strcmp(f->sha256, rec->hex) == 0) {
		f->status = 200;
		run->r->kept++;
		kept = 1;
	}
out:
	if (fd != -1)
		close(fd);
	free(sidecar);
	return kept;
}

/* A batch of the files of units being fetched that have not run yet
 * (only manifests: `manifests_only`). */
static int
sync_batch_collect(struct sync_run *run, struct sync_batch *b, int manifests_only,
    struct errbuf *err)
{
	for (size_t i = 0; i < run->nunits; i++) {
		struct sync_unit *u = &run->units[i];

		for (size_t k = 0; !u->fetched && !u->failed && k < u->nfiles; k++) {
			struct sync_file *f = &u->files[k];

			if (f->status != 0 || f->url != NULL || (manifests_only && !f->manifest))
				continue;
			if (mirror_state_mkparents(run->st->filesfd, f->rel, err) == -1 ||
			    (f->url = sync_source_locate(run->t, SYNC_BASE_DOWNLOAD, f->rel,
			    err)) == NULL) {
				errbuf_prefix(err, "%s/files", run->st->path);
				return -1;
			}
			if (!sync_file_kept(run, u, f))
				sync_batch_add(b, u, k, f->url, run->st->filesfd, xstrdup(f->rel));
		}
	}
	return 0;
}

/* Takes each job's outcome into its file; a failure fails the unit. */
static void
sync_batch_take(struct sync_run *run, struct sync_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct transfer_job *j = &b->jobs[i];
		struct sync_file *f = BATCH_FILE(b, i);
		struct errbuf err;
		int fd;

		if (j->rc != 0) {
			run->local_failures += j->res.fail == FETCH_FAIL_LOCAL;
			f->status = -1;
			sync_unit_fail(run, b->units[i], f->url, "%s", sync_job_error(j));
			continue;
		}
		/* a file resumed (206) is as complete as one fetched whole */
		f->status = j->res.status == 206 ? 200 : j->res.status;
		if (f->status != 200)
			continue;
		run->r->files++;
		f->size = j->res.size;
		if (j->have_sha256) {
			memcpy(f->sha256, j->sha256, sizeof(f->sha256));
			continue;
		}
		fd = openat(run->st->filesfd, f->rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1 || hash_fd(fd, f->sha256, &f->size, &err) == -1) {
			f->status = -1;
			sync_unit_fail(run, b->units[i], f->url, "%s/files/%s: cannot hash it",
			    run->st->path, f->rel);
		}
		if (fd != -1)
			close(fd);
	}
}

/* Expands the build of a manifest the batch fetched (or found missing). */
static void
sync_manifest_take(struct sync_run *run, struct sync_unit *u, size_t fi)
{
	struct sync_file *f = &u->files[fi];
	struct mirror_build *b = (struct mirror_build *)f->build;
	struct diag *d = diag_create();
	struct errbuf err;
	char *text = NULL;
	size_t len = 0;

	if (f->status == 200 && fs_read_at(run->st->filesfd, f->rel, O_NOFOLLOW,
	    MANIFEST_MAX_BYTES, &text, &len, &err) == -1)
		sync_unit_fail(run, u, f->url, "%s", err.msg);
	else if (mirror_build_expand(run->plan, b, f->status == 200 ? text : NULL, len, d) == -1)
		sync_unit_fail(run, u, f->url, "%s%s", f->status == 404 ? "404: " : "",
		    d->count > 0 ? d->entries[d->count - 1].message : "invalid manifest");
	else
		sync_unit_add_build_files(u, b);
	free(text);
	diag_free(d);
}

/* The files of the units starting an attempt: manifests, or the platform
 * files known at once. */
static void
sync_units_begin(struct sync_run *run)
{
	for (size_t i = 0; i < run->nunits; i++) {
		struct sync_unit *u = &run->units[i];

		if (u->fetched || u->failed)
			continue;
		u->tries++;
		for (size_t k = 0; k < u->nbuilds; k++) {
			if (u->builds[k]->manifest_pending)
				sync_unit_add_file(u, u->builds[k]->manifest, u->builds[k], -1, 1);
			else
				sync_unit_add_build_files(u, u->builds[k]);
		}
	}
}

/* Runs one batch of what the units still need. */
static int
sync_fetch_batch(struct sync_run *run, int manifests_only, struct errbuf *err)
{
	struct sync_batch b = { 0 };
	int rc = -1;

	if (sync_batch_collect(run, &b, manifests_only, err) == -1 ||
	    sync_batch_run(run, &b, manifests_only ? MANIFEST_MAX_BYTES : SYNC_FILE_MAX_BYTES,
	    1, err) == -1)
		goto out;
	sync_batch_take(run, &b);
	for (size_t i = 0; i < run->nunits; i++) {
		struct sync_unit *u = &run->units[i];

		for (size_t k = 0; !u->fetched && !u->failed && k < u->nfiles; k++)
			if (u->files[k].manifest && u->files[k].build->manifest_pending &&
			    (u->files[k].status == 200 || u->files[k].status == 404))
				sync_manifest_take(run, u, k);
	}
	rc = 0;
out:
	sync_batch_free(&b);
	return rc;
}

/* --- verification --- */

/* Apps: each architecture wholly there or wholly missing (404), one there. */
static void
sync_verify_app(struct sync_run *run, struct sync_unit *u, const struct mirror_build *b)
{
	const struct sync_file *man = NULL;
	size_t whole = 0;

	for (size_t a = 0; a < store_app_archs_count; a++) {
		const struct sync_file *missing = NULL;
		size_t total = 0, present = 0;

		for (size_t k = 0; k < u->nfiles; k++) {
			const struct sync_file *f = &u->files[k];

			if (f->build == b && f->manifest)
				man = f;
			if (f->build != b || f->manifest || f->arch != (int)a)
				continue;
			total++;
			present += f->status == 200;
			if (f->status == 404 && missing == NULL)
				missing = f;
		}
		if (present > 0 && missing != NULL)
			sync_unit_fail(run, u, missing->url, "404: the %s architecture of %s is "
			    "incomplete", store_app_archs[a], b->id);
		whole += total > 0 && present == total;
	}
	if (whole == 0)
		sync_unit_fail(run, u, man ? man->url : u->dir, "%s: no architecture upstream "
		    "(404 for each of its files)", b->id);
}

/* Every file the manifests (or indexes) list is there, its sha256 as the
 * upstream's record says when there is one. */
static void
sync_unit_verify(struct sync_run *run, struct sync_unit *u)
{
	for (size_t k = 0; k < u->nbuilds; k++)
		if (u->builds[k]->kind == INDEX_APPS)
			sync_verify_app(run, u, u->builds[k]);
	for (size_t k = 0; k < u->nfiles && !u->failed; k++) {
		const struct sync_file *f = &u->files[k];
		const struct hash_rec *rec;

		if (f->status == 404 && !f->manifest && f->build->kind != INDEX_APPS)
			sync_unit_fail(run, u, f->url, "404 for a file %s lists", f->build->manifest ?
			    f->build->manifest : index_kind_file(f->build->kind));
		if (f->status != 200 || !u->have_record)
			continue;
		if ((rec = sync_record_find(u, f)) == NULL)
			sync_unit_fail(run, u, f->url, "not in the upstream's sha256 record");
		else if (strcmp(rec->hex, f->sha256) != 0)
			sync_unit_fail(run, u, f->url, "sha256 %s differs from the upstream's "
			    "record (%s)", f->sha256, rec->hex);
	}
}

int
sync_fetch_units(struct sync_run *run, struct errbuf *err)
{
	sync_units_begin(run);
	if (sync_fetch_batch(run, 1, err) == -1)
		return -1;
	if (run->c->dry_run)
		return 0;
	if (sync_fetch_batch(run, 0, err) == -1)
		return -1;
	for (size_t i = 0; i < run->nunits; i++) {
		struct sync_unit *u = &run->units[i];

		if (u->fetched)
			continue;
		if (!u->failed)
			sync_unit_verify(run, u);
		u->fetched = 1;
	}
	return 0;
}

void
sync_unit_reset(struct sync_run *run, struct sync_unit *u)
{
	for (size_t k = 0; k < u->nfiles; k++) {
		char *sidecar = xasprintf("%s.etag", u->files[k].rel);
		struct stat sb;

		/* A transfer cut short keeps its partial file, resumed with
		 * If-Range: the bytes it holds were never checked wrong. */
		if (u->files[k].status != -1 ||
		    fstatat(run->st->filesfd, sidecar, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			unlinkat(run->st->filesfd, u->files[k].rel, 0);
			unlinkat(run->st->filesfd, sidecar, 0);
		}
		free(sidecar);
		free(u->files[k].rel);
		free(u->files[k].url);
	}
	free(u->files);
	u->files = NULL;
	u->nfiles = 0;
	for (size_t k = 0; k < u->nbuilds; k++)
		mirror_build_unexpand(run->plan, u->builds[k]);
	u->failed = 0;
	u->fetched = 0;
}

void
sync_unit_clear(struct sync_unit *u)
{
	for (size_t k = 0; k < u->nfiles; k++) {
		free(u->files[k].rel);
		free(u->files[k].url);
	}
	free(u->files);
	free(u->builds);
	free(u->dir);
	hashlist_free(&u->record);
	memset(u, 0, sizeof(*u));
}

/* --- plan --- */

/* Takes the HEAD of a file the plan counts: its size, 404, or a failure. */
static void
sync_size_take(struct sync_run *run, struct sync_file *f, const struct transfer_job *j)
{
	if (j->rc == 0 && j->res.status == 200) {
		f->head = 200;
		f->size = j->res.expected;
	} else if (j->rc == 0 && j->res.status == 404) {
		f->head = 404;
	} else {
		f->head = -1;
		run->r->head_failed++;
		sync_problem(run, DIAG_WARNING, j->url, "HEAD: %s; its size is unknown",
		    j->rc != 0 ? sync_job_error(j) : "no size in the answer");
	}
}

void
sync_fetch_sizes(struct sync_run *run)
{
	struct sync_batch b = { 0 };
	struct errbuf err;

	if (run->t->local)
		return;
	for (size_t i = 0; i < run->nunits; i++) {
		struct sync_unit *u = &run->units[i];

		for (size_t k = 0; k < u->nfiles; k++) {
			struct sync_file *f = &u->files[k];

			if (f->status != 0 || f->manifest || (f->url == NULL &&
			    (f->url = sync_source_locate(run->t, SYNC_BASE_DOWNLOAD, f->rel,
			    &err)) == NULL))
				continue;	/* no URL: counted as unknown */
			sync_batch_add(&b, u, k, f->url, run->st->filesfd, xstrdup(f->rel));
			b.jobs[b.n - 1].opts.head_only = 1;
		}
	}
	if (b.n > 0 && sync_batch_run(run, &b, SYNC_FILE_MAX_BYTES, 0, &err) == -1) {
		sync_problem(run, DIAG_WARNING, run->t->download, "no HEAD requests made (%s); "
		    "the sizes of %zu files are unknown", err.msg, b.n);
		run->r->head_failed += b.n;
		for (size_t i = 0; i < b.n; i++)
			BATCH_FILE(&b, i)->head = -1;
	} else {
		for (size_t i = 0; i < b.n; i++)
			sync_size_take(run, BATCH_FILE(&b, i), &b.jobs[i]);
	}
	sync_batch_free(&b);
}

void
sync_fetch_count(struct sync_run *run)
{
	for (size_t i = 0; i < run->nunits; i++) {
		const struct sync_unit *u = &run->units[i];

		for (size_t k = 0; k < u->nbuilds; k++)
			run->r->plan[u->builds[k]->kind].builds++;
		for (size_t k = 0; k < u->nfiles; k++) {
			const struct sync_file *f = &u->files[k];
			struct sync_kind_plan *p = &run->r->plan[f->build->kind];
			uint64_t size = 0;

			if (f->status == 404 || f->status == -1 || f->head == 404)
				continue;
			p->files++;
			if (f->status == 200 || f->head == 200)
				p->bytes += f->size;
			else if (sync_source_size(run->src, f->rel, &size) == 0)
				p->bytes += size;
			else
				p->unknown++;
		}
	}
}
