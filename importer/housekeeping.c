/*
 * housekeeping: remove, retain, verify, reindex, recover; see
 * housekeeping.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build_check.h"
#include "copy_hash.h"
#include "fs_open.h"
#include "housekeeping.h"
#include "import.h"
#include "publish.h"
#include "source.h"
#include "store_index.h"
#include "store_layout.h"
#include "xmalloc.h"

#define HK_GRACE_DEFAULT	1800UL			/* seconds: see IMPORTER.md */
#define HK_GRACE_MAX		(366UL * 24 * 3600)
#define HK_READ_MAX		(64UL * 1024 * 1024)	/* a mark or a sha256 record */

/* Opens the channel, completes interrupted transactions and deletes the
 * removed folders whose grace has passed. */
static int
hk_open(const struct imp_opts *o, struct chan *c, struct report *r)
{
	struct errbuf err;

	if (chan_open(c, o->root, o->channel, CHAN_MUST_EXIST, &err) == -1)
		goto fail;
	if (publish_recover(c, r->diag, &err) == -1 || housekeeping_purge(c, r, &err) == -1) {
		chan_close(c);
		goto fail;
	}
	return 0;
fail:
	report_error(r, err.msg);
	return -1;
}

/* --grace SECONDS (0 to 366 days), the default without it. */
static int
hk_grace(const struct imp_opts *o, unsigned long *grace, struct report *r)
{
	char *end;

	*grace = HK_GRACE_DEFAULT;
	if (o->grace == NULL)
		return 0;
	errno = 0;
	*grace = strtoul(o->grace, &end, 10);
	if (*o->grace < '0' || *o->grace > '9' || *end != '\0' || errno != 0 ||
	    *grace > HK_GRACE_MAX) {
		report_error(r, "--grace: a number of seconds from 0 to 31622400");
		return -1;
	}
	return 0;
}

/* The whole file dirfd/name (at most HK_READ_MAX bytes), NUL-terminated
 * (*lenp without the NUL); NULL with err set when it cannot be read. */
static char *
hk_read_file(int dirfd, const char *name, size_t *lenp, struct errbuf *err)
{
	char *buf = NULL;

	if (fs_read_at(dirfd, name, O_NOFOLLOW, HK_READ_MAX, &buf, lenp, err) == -1)
		return NULL;
	return buf;
}

/* "130001" -> hashes/130001.sha256; "app-platform/10001" ->
 * hashes/app-platform-10001.sha256; NULL when the path is neither. */
static char *
hk_hashes_rel(const char *path)
{
	const char *dirs[] = { STORE_APP_PLATFORM_DIR, STORE_PHONE_PLATFORM_DIR };

	if (store_build_name_valid(path))
		return xasprintf("%s/%s.sha256", STORE_HASHES_DIR, path);
	for (size_t i = 0; i < 2; i++) {
		size_t len = strlen(dirs[i]);

		if (strncmp(path, dirs[i], len) == 0 && path[len] == '/' &&
		    store_build_name_valid(path + len + 1))
			return xasprintf("%s/%s-%s.sha256", STORE_HASHES_DIR, dirs[i], path + len + 1);
	}
	return NULL;
}

/* The channel's catalog; a channel without one (a copied store) gets its
 * indexes adopted into a new one, so that removals reach its indexes. */
static int
hk_load_catalog(struct chan *c, struct catalog **cat, struct report *r)
{
	struct errbuf err;

	if (catalog_load_at(c->chanfd, STORE_CATALOG_FILE, cat, &err) == -1) {
		report_error(r, err.msg);
		return -1;
	}
	if (*cat == NULL)
		*cat = import_adopt_channel(c, r->diag);
	return 0;
}

/* Stages the catalog without the removed builds' entries (release, label,
 * version fields), so catalog.json does not keep what no longer exists. */
static int
hk_stage_catalog(struct txn *t, struct catalog *cat, char *const *paths, size_t n,
    struct errbuf *err)
{
	char *text;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		if (store_build_name_valid(paths[i]))
			rc = catalog_remove_build(cat, paths[i], err);
	}
	if (rc == 0) {
		text = catalog_dump(cat);
		rc = txn_write_file(t, STORE_CATALOG_FILE, text, strlen(text), err);
		free(text);
	}
	return rc;
}

/* Schedules the removal of a download/ path: out of the indexes at once,
 * its files and record deleted after `grace` seconds (by housekeeping_purge),
 * or in this transaction when grace is 0. */
static void
hk_stage_removal(struct txn *t, const char *path, unsigned long grace)
{
	char *h;

	if (grace > 0) {
		txn_retire(t, path, grace);
		return;
	}
	h = hk_hashes_rel(path);
	txn_delete(t, path);
	txn_unlink(t, h);
	free(h);
}

/* Removes the given download/ paths in one transaction. */
static int
hk_remove_paths(struct chan *c, struct catalog *cat, char *const *paths, size_t n,
    unsigned long grace, struct report *r)
{
	struct errbuf err;
	struct txn *t;

	if (n == 0)
		return IMP_EXIT_OK;
	if ((t = txn_begin(c, &err)) == NULL) {
		report_error(r, err.msg);
		return IMP_EXIT_IO;
	}
	for (size_t i = 0; i < n; i++)
		hk_stage_removal(t, paths[i], grace);
	if (hk_stage_catalog(t, cat, paths, n, &err) == -1) {
		txn_abort(t);
		report_error(r, err.msg);
		return IMP_EXIT_IO;
	}
	if (txn_commit(t, r->diag, &err) == -1) {
		report_error(r, err.msg);
		return IMP_EXIT_IO;
	}
	for (size_t i = 0; i < n; i++)
		report_removed(r, paths[i]);
	return IMP_EXIT_OK;
}

/* Whether the removal mark of folder vfd has expired (an unreadable or
 * empty mark has). */
static int
hk_removal_due(int vfd, time_t now)
{
	struct errbuf err;
	size_t len;
	char *text;
	int due;

	if (!store_folder_removed(vfd))
		return 0;
	text = hk_read_file(vfd, STORE_REMOVED_MARK, &len, &err);
	due = text == NULL || strtoll(text, NULL, 10) <= (long long)now;
	free(text);
	return due;
}

/* Calls fn with each build folder (dir NULL) or version folder of
 * download/<dir>, opened, and its path below download/, in name order.
 * A missing download/<dir> has none; returns -1 (err names the folder)
 * when the folder cannot be read whole. */
static int
hk_each_folder(struct chan *c, const char *dir, void (*fn)(int, const char *, void *),
    void *arg, struct errbuf *err)
{
	size_t n;
	char **names, *path;
	int dfd, fd, rc = 0;

	dfd = dir == NULL ? dup(c->dlfd) :
	    fs_open_subdir(c->dlfd, dir, FS_SUBDIR_OPEN, NULL);
	if (dfd == -1 && errno == ENOENT)
		return 0;
	if (dfd == -1 || source_dir_list(dfd, &names, &n) == -1) {
		errbuf_set_errno(err, "%s/%s/%s%s%s: read folder", c->root, c->channel,
		    STORE_DOWNLOAD_DIR, dir == NULL ? "" : "/", dir == NULL ? "" : dir);
		if (dfd != -1)
			close(dfd);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!store_build_name_valid(names[i]))
			continue;
		path = dir == NULL ? xstrdup(names[i]) : xasprintf("%s/%s", dir, names[i]);
		if ((fd = fs_open_subdir(dfd, names[i], FS_SUBDIR_OPEN, NULL)) == -1) {
			/* a file or a link where a build would be is not a build;
			 * a folder that cannot be opened is an error */
			if (errno != ENOTDIR && errno != ELOOP)
				rc = errbuf_set_errno(err, "%s/%s/%s/%s", c->root, c->channel,
				    STORE_DOWNLOAD_DIR, path);
			free(path);
			continue;
		}
		fn(fd, path, arg);
		free(path);
		close(fd);
	}
	source_names_free(names, n);
	close(dfd);
	return rc;
}

struct purge_scan {
	time_t now;
	char **v;		/* paths due */
	size_t n;
};

static void
purge_collect(int fd, const char *path, void *arg)
{
	struct purge_scan *ps = arg;

	if (hk_removal_due(fd, ps->now)) {
		ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
		ps->v[ps->n++] = xstrdup(path);
	}
}

int
housekeeping_purge(struct chan *c, struct report *r, struct errbuf *err)
{
	const char *dirs[] = { NULL, STORE_APP_PLATFORM_DIR, STORE_PHONE_PLATFORM_DIR };
	struct purge_scan due = { time(NULL), NULL, 0 };
	struct txn *t;
	json_t *purged;
	int rc = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && rc == 0; i++)
		rc = hk_each_folder(c, dirs[i], purge_collect, &due, err);
	if (rc == 0 && due.n > 0 && (t = txn_begin(c, err)) == NULL)
		rc = -1;
	else if (rc == 0 && due.n > 0) {
		for (size_t i = 0; i < due.n; i++)
			hk_stage_removal(t, due.v[i], 0);
		rc = txn_commit(t, r->diag, err);
	}
	purged = json_array();
	for (size_t i = 0; i < due.n; i++) {
		json_array_append_new(purged, json_string(due.v[i]));
		free(due.v[i]);
	}
	if (rc == 0 && due.n > 0)
		json_object_set(r->extra, "purged", purged);
	json_decref(purged);
	free(due.v);
	return rc;
}

int
housekeeping_remove(const struct imp_opts *o, char *const *paths, int n, struct report *r)
{
	struct catalog *cat = NULL;
	unsigned long grace;
	struct chan c;
	struct stat st;
	int status;

	for (int i = 0; i < n; i++) {
		char *h = hk_hashes_rel(paths[i]);

		if (h == NULL)
			diag_add(r->diag, DIAG_ERROR, paths[i], "not a build number or "
			    "app-platform/<version> or phoneplatform/<version>");
		free(h);
	}
	if (r->diag->errors > 0 || hk_grace(o, &grace, r) == -1)
		return IMP_EXIT_USAGE;
	if (hk_open(o, &c, r) == -1)
		return IMP_EXIT_IO;
	for (int i = 0; i < n; i++) {
		if (fstatat(c.dlfd, paths[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			diag_add(r->diag, DIAG_ERROR, paths[i], "not published");
	}
	if (r->diag->errors > 0)
		status = IMP_EXIT_INVALID;
	else if (hk_load_catalog(&c, &cat, r) == -1)
		status = IMP_EXIT_IO;
	else
		status = hk_remove_paths(&c, cat, paths, (size_t)n, grace, r);
	catalog_free(cat);
	chan_close(&c);
	return status;
}

struct keep_entry {
	char *group;		/* "release\titem" or the platform folder */
	unsigned long number;	/* build or version, for ordering */
	size_t build;		/* index into the candidate list */
};

static int
keep_cmp(const void *a, const void *b)
{
	const struct keep_entry *x = a, *y = b;
	int c = strcmp(x->group, y->group);

	if (c != 0)
		return c;
	return x->number < y->number ? 1 : x->number > y->number ? -1 : 0;
}

struct retain {
	struct keep_entry *e;
	size_t ne;
	char **cand;		/* download/ paths */
	int *keep;
	size_t ncand;
};

static void
retain_add(struct retain *rt, const char *group, const char *path, unsigned long number,
    int new_cand)
{
	if (new_cand) {
		rt->cand = xreallocarray(rt->cand, rt->ncand + 1, sizeof(*rt->cand));
		rt->keep = xreallocarray(rt->keep, rt->ncand + 1, sizeof(*rt->keep));
		rt->cand[rt->ncand] = xstrdup(path);
		rt->keep[rt->ncand++] = group == NULL;
	}
	if (group == NULL)
		return;
	rt->e = xreallocarray(rt->e, rt->ne + 1, sizeof(*rt->e));
	rt->e[rt->ne].group = xstrdup(group);
	rt->e[rt->ne].number = number;
	rt->e[rt->ne++].build = rt->ncand - 1;
}

struct retain_scan {
	const struct catalog *cat;
	json_t *section;	/* platforms: the catalog section */
	struct retain *rt;
};

/* Ranks one build by its complete items, the ones the indexes list; a
 * build with none (or without a release) is kept. */
static void
retain_build(int fd, const char *name, void *arg)
{
	struct retain_scan *rs = arg;
	const char *release = catalog_build_release(rs->cat, name);
	struct build_result res;
	int first = 1;

	if (store_folder_removed(fd))
		return;		/* removed already, in its grace period */
	if (release != NULL && build_check(fd, name, rs->cat, &res, NULL, NULL) == 0) {
		for (size_t j = 0; j < res.count; j++) {
			char *group;

			if (!res.items[j].complete || res.items[j].manifest_invalid)
				continue;
			group = xasprintf("%s\t%s", release, res.items[j].id);
			retain_add(rs->rt, group, name, strtoul(name, NULL, 10), first);
			first = 0;
			free(group);
		}
	}
	if (release != NULL)
		build_result_free(&res);
	if (first)
		retain_add(rs->rt, NULL, name, 0, 1);
}

/* Ranks one platform version ("app-platform/10001") for each platform
 * whose files it holds complete (the rule of linux.json); a version complete
 * for none is kept. */
static void
retain_version(int fd, const char *path, void *arg)
{
	struct retain_scan *rs = arg;
	const char *slash = strrchr(path, '/'), *id;
	unsigned long number = strtoul(slash + 1, NULL, 10);
	json_t *item;
	char *group;
	int first = 1;

	if (store_folder_removed(fd))
		return;
	json_object_foreach(rs->section, id, item) {
		if (!store_platform_version_complete(fd, json_object_get(item, "files")))
			continue;
		group = xasprintf("%.*s\t%s", (int)(slash - path), path, id);
		retain_add(rs->rt, group, path, number, first);
		first = 0;
		free(group);
	}
	if (first)
		retain_add(rs->rt, NULL, path, 0, 1);
}

/* Lists the candidates of retain: build folders, then platform versions. */
static int
hk_retain_scan(struct chan *c, struct retain_scan *rs, struct errbuf *err)
{
	if (hk_each_folder(c, NULL, retain_build, rs, err) == -1)
		return -1;
	rs->section = catalog_section(rs->cat, ITEM_PLATFORM);
	if (hk_each_folder(c, STORE_APP_PLATFORM_DIR, retain_version, rs, err) == -1)
		return -1;
	rs->section = catalog_section(rs->cat, ITEM_PHONEPLATFORM);
	return hk_each_folder(c, STORE_PHONE_PLATFORM_DIR, retain_version, rs, err);
}

static void
retain_free(struct retain *rt)
{
	for (size_t i = 0; i < rt->ne; i++)
		free(rt->e[i].group);
	for (size_t i = 0; i < rt->ncand; i++)
		free(rt->cand[i]);
	free(rt->e);
	free(rt->cand);
	free(rt->keep);
}

int
housekeeping_retain(const struct imp_opts *o, const char *keep, struct report *r)
{
	struct retain rt = { 0 };
	struct retain_scan rs = { NULL, NULL, &rt };
	struct catalog *cat = NULL;
	char *end, **gone;
	size_t ngone = 0, rank = 0;
	unsigned long grace, k = strtoul(keep, &end, 10);
	struct errbuf err;
	struct chan c;
	int status;

	if (*keep == '\0' || *end != '\0' || k == 0 || k > 100000) {
		report_error(r, "retain: K must be a number from 1 to 100000");
		return IMP_EXIT_USAGE;
	}
	if (hk_grace(o, &grace, r) == -1)
		return IMP_EXIT_USAGE;
	if (hk_open(o, &c, r) == -1)
		return IMP_EXIT_IO;
	if (hk_load_catalog(&c, &cat, r) == -1) {
		chan_close(&c);
		return IMP_EXIT_IO;
	}
	rs.cat = cat;
	if (hk_retain_scan(&c, &rs, &err) == -1) {
		report_error(r, err.msg);
		status = IMP_EXIT_IO;
		goto out;
	}
	qsort(rt.e, rt.ne, sizeof(*rt.e), keep_cmp);
	for (size_t i = 0; i < rt.ne; i++) {
		rank = (i > 0 && strcmp(rt.e[i].group, rt.e[i - 1].group) == 0) ? rank + 1 : 0;
		if (rank < k)
			rt.keep[rt.e[i].build] = 1;
	}
	gone = xcalloc(rt.ncand + 1, sizeof(*gone));
	for (size_t i = 0; i < rt.ncand; i++) {
		if (!rt.keep[i])
			gone[ngone++] = rt.cand[i];
	}
	status = hk_remove_paths(&c, cat, gone, ngone, grace, r);
	free(gone);
out:
	retain_free(&rt);
	catalog_free(cat);
	chan_close(&c);
	return status;
}

struct verify_stats {
	uint64_t files;
	uint64_t bytes;
	uint64_t changed;
	uint64_t missing;
	uint64_t unreadable;	/* present but could not be hashed */
	uint64_t unrecorded;
};

static int
rec_cmp(const void *key, const void *rec)
{
	return strcmp(key, ((const struct hash_rec *)rec)->path);
}

/* Warns about files below dirfd that the record does not list. */
static void
verify_unrecorded(int dirfd, const char *dlrel, const char *prefix, const struct hashlist *hl,
    struct verify_stats *vs, struct diag *d)
{
	size_t n;
	char **names;
	struct stat st;

	if (source_dir_list(dirfd, &names, &n) == -1) {
		diag_add(d, DIAG_ERROR, dlrel, "%s: read folder: %s", prefix[0] ? prefix : ".",
		    strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *rel = prefix[0] ? xasprintf("%s/%s", prefix, names[i]) : xstrdup(names[i]);
		int sub;

		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
			if ((sub = fs_open_subdir(dirfd, names[i], FS_SUBDIR_OPEN, NULL)) == -1) {
				diag_add(d, DIAG_ERROR, dlrel, "%s: %s", rel, strerror(errno));
			} else {
				verify_unrecorded(sub, dlrel, rel, hl, vs, d);
				close(sub);
			}
		} else if (bsearch(rel, hl->recs, hl->count, sizeof(*hl->recs), rec_cmp) == NULL) {
			diag_add(d, DIAG_WARNING, dlrel, "%s: not in the sha256 record", rel);
			vs->unrecorded++;
		}
		free(rel);
	}
	source_names_free(names, n);
}

static void
verify_record(int dirfd, const char *dlrel, const struct hash_rec *rec,
    struct verify_stats *vs, struct diag *d)
{
	char hex[SHA256_HEX_LEN + 1];
	struct errbuf err;
	uint64_t size;
	int fd;

	if ((fd = fs_open_beneath(dirfd, rec->path, O_RDONLY | O_NOFOLLOW)) == -1) {
		diag_add(d, DIAG_ERROR, dlrel, "%s: missing (%s)", rec->path, strerror(errno));
		vs->missing++;
		return;
	}
	if (hash_fd(fd, hex, &size, &err) == -1) {
		diag_add(d, DIAG_ERROR, dlrel, "%s: cannot be hashed (%s)", rec->path, err.msg);
		vs->unreadable++;
		close(fd);
		return;
	}
	if (strcmp(hex, rec->hex) != 0) {
		diag_add(d, DIAG_ERROR, dlrel, "%s: changed (sha256 %s, recorded %s)", rec->path,
		    hex, rec->hex);
		vs->changed++;
	}
	vs->files++;
	vs->bytes += size;
	close(fd);
}

/* "130001.sha256" -> "130001"; "app-platform-10001.sha256" ->
 * "app-platform/10001"; NULL otherwise. */
static char *
verify_dlrel(const char *name)
{
	const char *dirs[] = { STORE_APP_PLATFORM_DIR, STORE_PHONE_PLATFORM_DIR };
	size_t len = strlen(name);
	char *base, *out = NULL;

	if (len <= 7 || strcmp(name + len - 7, ".sha256") != 0)
		return NULL;
	base = xstrndup(name, len - 7);
	if (store_build_name_valid(base))
		out = xstrdup(base);
	for (size_t i = 0; i < 2 && out == NULL; i++) {
		size_t dl = strlen(dirs[i]);

		if (strncmp(base, dirs[i], dl) == 0 && base[dl] == '-' &&
		    store_build_name_valid(base + dl + 1))
			out = xasprintf("%s/%s", dirs[i], base + dl + 1);
	}
	free(base);
	return out;
}

static void
verify_one(struct chan *c, const char *name, struct verify_stats *vs, struct diag *d)
{
	char *dlrel = verify_dlrel(name), *text = NULL;
	struct hashlist hl;
	struct errbuf err;
	size_t len = 0;
	int fd = -1;

	hashlist_init(&hl);
	if (dlrel == NULL)
		goto out;
	if ((text = hk_read_file(c->hashfd, name, &len, &err)) == NULL ||
	    hashlist_parse(&hl, text, len, &err) == -1) {
		diag_add(d, DIAG_ERROR, name, "%s", err.msg);
		goto out;
	}
	if ((fd = fs_open_subdir(c->dlfd, dlrel, FS_SUBDIR_OPEN, NULL)) == -1) {
		int missing = errno == ENOENT;

		diag_add(d, DIAG_ERROR, dlrel, "%s (recorded in %s)",
		    missing ? "folder missing" : strerror(errno), name);
		*(missing ? &vs->missing : &vs->unreadable) += hl.count;
		goto out;
	}
	for (size_t i = 0; i < hl.count; i++)
		verify_record(fd, dlrel, &hl.recs[i], vs, d);
	hashlist_sort(&hl);
	verify_unrecorded(fd, dlrel, "", &hl, vs, d);
out:
	if (fd != -1)
		close(fd);
	hashlist_free(&hl);
	free(text);
	free(dlrel);
}

/* Published folders without a record. */
static void
verify_norecord(struct chan *c, struct diag *d)
{
	size_t n;
	char **names;
	struct stat st;

	if (source_dir_list(c->dlfd, &names, &n) == -1) {
		diag_add(d, DIAG_ERROR, STORE_DOWNLOAD_DIR, "read folder: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *h = hk_hashes_rel(names[i]);

		if (h != NULL && fstatat(c->chanfd, h, &st, 0) == -1)
			diag_add(d, DIAG_WARNING, names[i], "no sha256 record (%s)", h);
		free(h);
	}
	source_names_free(names, n);
}

int
housekeeping_verify(const struct imp_opts *o, struct report *r)
{
	struct verify_stats vs = { 0 };
	struct chan c;
	size_t n;
	char **names;

	if (hk_open(o, &c, r) == -1)
		return IMP_EXIT_IO;
	if (source_dir_list(c.hashfd, &names, &n) == -1)
		diag_add(r->diag, DIAG_ERROR, STORE_HASHES_DIR, "read folder: %s", strerror(errno));
	for (size_t i = 0; i < n; i++)
		verify_one(&c, names[i], &vs, r->diag);
	source_names_free(names, n);
	verify_norecord(&c, r->diag);
	chan_close(&c);
	json_object_set_new(r->extra, "verified", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}",
	    "files", (json_int_t)vs.files, "bytes", (json_int_t)vs.bytes,
	    "changed", (json_int_t)vs.changed, "missing", (json_int_t)vs.missing,
	    "unreadable", (json_int_t)vs.unreadable, "unrecorded", (json_int_t)vs.unrecorded));
	if (o->strict)
		diag_promote_warnings(r->diag);
	return r->diag->errors > 0 ? IMP_EXIT_INVALID : IMP_EXIT_OK;
}

int
housekeeping_reindex(const struct imp_opts *o, struct report *r)
{
	struct timespec t0, t1;
	struct errbuf err;
	struct chan c;
	int rc;

	if (hk_open(o, &c, r) == -1)
		return IMP_EXIT_IO;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = store_index_rebuild(o->root, o->channel, r->diag, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	chan_close(&c);
	if (rc == -1) {
		report_error(r, err.msg);
		return IMP_EXIT_IO;
	}
	json_object_set_new(r->extra, "seconds", json_real((double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
	return IMP_EXIT_OK;
}

int
housekeeping_recover(const struct imp_opts *o, struct report *r)
{
	struct chan c;

	if (hk_open(o, &c, r) == -1)
		return IMP_EXIT_IO;
	chan_close(&c);
	return IMP_EXIT_OK;
}
