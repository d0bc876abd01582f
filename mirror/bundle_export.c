/*
 * bundle_export: an air-gap bundle of a local channel; see bundle_export.h
 * and importer/bundle.h for the format.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "atomic_file.h"
#include "bundle.h"
#include "bundle_export.h"
#include "copy_hash.h"
#include "fs_open.h"
#include "index_parse.h"
#include "store_layout.h"
#include "xmalloc.h"

#define MANIFEST_READ_MAX	(128u * 1024)		/* <id>_files: 64 KiB at most */
#define RECORD_READ_MAX		(64u * 1024 * 1024)
#define STATE_READ_MAX		(64u * 1024 * 1024)

struct export {
	const struct bundle_export_opts *o;
	struct bundle_export_result *res;
	struct diag *d;
	struct errbuf *err;
	int chanfd, dlfd;
	char *index_buf[INDEX_KIND_COUNT];	/* NULL: the channel has no such index */
	size_t index_len[INDEX_KIND_COUNT];
	struct index_doc *docs[INDEX_KIND_COUNT];
	struct mirror_plan *plan;
	char **paths;		/* planned files below download/, sorted */
	size_t npaths;
	json_t *state;		/* units: folder -> sha256 of its record */
	struct bundle_manifest m;
	unsigned char sig[BUNDLE_SIG_LEN];
	char *manifest_text;
	size_t manifest_len;
};

/* --- what goes in ------------------------------------------------------------ */

static int
export_open(struct export *x)
{
	const struct bundle_export_opts *o = x->o;
	int rootfd;

	if ((rootfd = fs_open_subdir(AT_FDCWD, o->root, FS_SUBDIR_OPEN, x->err)) == -1)
		return -1;
	x->chanfd = fs_open_subdir(rootfd, o->channel, FS_SUBDIR_OPEN, x->err);
	close(rootfd);
	if (x->chanfd == -1 ||
	    (x->dlfd = fs_open_subdir(x->chanfd, STORE_DOWNLOAD_DIR, FS_SUBDIR_OPEN, x->err)) == -1)
		return errbuf_prefix(x->err, "store root %s", o->root);
	return 0;
}

static int
export_read_indexes(struct export *x)
{
	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		const char *name = index_kind_file((enum index_kind)k);

		if (fs_read_at(x->dlfd, name, O_NOFOLLOW, INDEX_DEFAULT_MAX_BYTES, &x->index_buf[k],
		    &x->index_len[k], x->err) == -1) {
			if (errno == ENOENT)
				continue;
			return errbuf_prefix(x->err, "%s/%s/%s", x->o->channel, STORE_DOWNLOAD_DIR,
			    name);
		}
		index_parse((enum index_kind)k, x->index_buf[k], x->index_len[k], NULL, NULL,
		    &x->docs[k], x->d);
	}
	return 0;
}

static void
export_add_path(struct export *x, const char *path)
{
	x->paths = xreallocarray(x->paths, x->npaths + 1, sizeof(*x->paths));
	x->paths[x->npaths++] = xstrdup(path);
}

/* Expands a build's manifest from the local copy; 0, or 1 when the build
 * is refused (reported). */
static int
export_expand(struct export *x, struct mirror_build *b)
{
	char *text = NULL;
	size_t len;
	int rc = 0;

	if (b->manifest == NULL || !b->manifest_pending)
		return 0;
	if (fs_read_at(x->dlfd, b->manifest, O_NOFOLLOW, MANIFEST_READ_MAX, &text, &len,
	    x->err) == 0) {
		export_add_path(x, b->manifest);
		rc = mirror_build_expand(x->plan, b, text, len, x->d);
	} else if (errno == ENOENT && b->manifest_optional)
		rc = mirror_build_expand(x->plan, b, NULL, 0, x->d);
	else {
		diag_add(x->d, DIAG_ERROR, b->manifest, "%s", x->err->msg);
		rc = -1;
	}
	free(text);
	return rc == -1 ? 1 : 0;
}

/* The planned files of a build that exist: an app's architecture folder
 * may be absent (one at least must be there). */
static void
export_build_files(struct export *x, struct mirror_build *b)
{
	struct stat st;
	size_t added = 0;

	if (export_expand(x, b) != 0)
		return;
	for (size_t i = 0; i < b->nfiles; i++) {
		const char *p = b->files[i].path;

		if (b->files[i].arch >= 0) {
			char *dir = xasprintf("%s/%s", b->build,
			    store_app_archs[b->files[i].arch]);
			int absent = fstatat(x->dlfd, dir, &st, AT_SYMLINK_NOFOLLOW) == -1 &&
			    errno == ENOENT;

			free(dir);
			if (absent)
				continue;
		}
		export_add_path(x, p);
		added++;
	}
	if (b->archs != 0 && added == 0)
		diag_add(x->d, DIAG_ERROR, b->build, "app %s: none of its architecture folders "
		    "is published", b->id);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
export_plan(struct export *x)
{
	const struct index_doc *docs[INDEX_KIND_COUNT];
	size_t n = 0;

	for (int k = 0; k < INDEX_KIND_COUNT; k++)
		docs[k] = x->docs[k];
	if (mirror_plan_create(docs, x->o->sel, NULL, &x->plan, x->d) == -1)
		return 1;
	for (size_t i = 0; i < x->plan->nbuilds; i++)
		export_build_files(x, &x->plan->builds[i]);
	if (x->npaths > 1)
		qsort(x->paths, x->npaths, sizeof(*x->paths), str_cmp);
	for (size_t i = 0; i < x->npaths; i++) {	/* a file planned twice goes once */
		if (n > 0 && strcmp(x->paths[n - 1], x->paths[i]) == 0)
			free(x->paths[i]);
		else
			x->paths[n++] = x->paths[i];
	}
	x->npaths = n;
	return 0;
}

/* --- the state of incremental exports ---------------------------------------- */

static int
export_read_state(struct export *x)
{
	const char *format, *channel;
	json_error_t jerr;
	json_t *root, *units;
	size_t len;
	char *text;
	int rc = 1;

	x->state = json_object();
	if (x->o->since == NULL)
		return 0;
	if (access(x->o->since, F_OK) == -1 && errno == ENOENT) {
		diag_add(x->d, DIAG_WARNING, x->o->since, "no such state file yet: everything "
		    "selected is exported (a first export)");
		return 0;
	}
	if (fs_read_at(AT_FDCWD, x->o->since, 0, STATE_READ_MAX, &text, &len, x->err) == -1)
		return errbuf_prefix(x->err, "%s", x->o->since);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (root == NULL || json_unpack(root, "{s:s, s:s, s:o}", "format", &format, "channel",
	    &channel, "units", &units) != 0 || strcmp(format, BUNDLE_STATE_FORMAT) != 0 ||
	    !json_is_object(units))
		diag_add(x->d, DIAG_ERROR, x->o->since, "not a state file of storemirror export");
	else if (strcmp(channel, x->o->channel) != 0)
		diag_add(x->d, DIAG_ERROR, x->o->since, "the state of channel %s, not %s",
		    channel, x->o->channel);
	else {
		json_object_update(x->state, units);
		rc = 0;
	}
	json_decref(root);
	return rc;
}

static int export_path_unit(const char *dlrel, char *unit, size_t size);

/* Drops from the state the folders the channel no longer publishes (no
 * record: removed, or not a folder's name), so that it does not grow with
 * every build ever exported. */
static void
export_state_prune(struct export *x)
{
	char unit[BUNDLE_PATH_MAX], *probe, *rec;
	const char *key;
	struct stat st;
	json_t *v;
	void *tmp;
	int keep;

	json_object_foreach_safe(x->state, tmp, key, v) {
		probe = xasprintf("%s/x", key);
		keep = export_path_unit(probe, unit, sizeof(unit)) == 0 && strcmp(unit, key) == 0;
		if (keep) {
			rec = bundle_unit_record(key);
			keep = fstatat(x->chanfd, rec, &st, AT_SYMLINK_NOFOLLOW) == 0;
			free(rec);
		}
		if (!keep)
			json_object_del(x->state, key);
		free(probe);
	}
}

static int
export_write_state(struct export *x)
{
	char *copy = xstrdup(x->o->state_out), *text;
	json_t *root;
	int dirfd, rc = -1;

	export_state_prune(x);
	root = json_pack("{s:s, s:i, s:s, s:O}", "format", BUNDLE_STATE_FORMAT,
	    "version", BUNDLE_VERSION, "channel", x->o->channel, "units", x->state);
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if ((dirfd = fs_open_subdir(AT_FDCWD, dirname(copy), FS_SUBDIR_OPEN, x->err)) != -1) {
		free(copy);
		copy = xstrdup(x->o->state_out);
		rc = atomic_file_write(dirfd, basename(copy), text, strlen(text), 0644, x->err);
		close(dirfd);
	}
	if (rc == -1)
		errbuf_prefix(x->err, "%s", x->o->state_out);
	free(text);
	free(copy);
	return rc;
}

/* --- the manifest ---------------------------------------------------------- */

static int
sha256_buffer(const void *buf, size_t len, char hex[SHA256_HEX_LEN + 1], struct errbuf *err)
{
	struct hasher *h = hasher_create(err);

	if (h == NULL)
		return -1;
	hasher_update(h, buf, len);
	hasher_final(h, hex);
	hasher_free(h);
	return 0;
}

static void
manifest_add(struct export *x, const char *dlrel, uint64_t size, const char *hex)
{
	struct bundle_manifest *m = &x->m;
	struct bundle_file *f;

	m->files = xreallocarray(m->files, m->nfiles + 1, sizeof(*m->files));
	f = &m->files[m->nfiles++];
	f->path = xasprintf("%s/%s", STORE_DOWNLOAD_DIR, dlrel);
	f->size = size;
	memcpy(f->sha256, hex, SHA256_HEX_LEN + 1);
	x->res->files++;
	x->res->bytes += size;
}

static const struct hash_rec *
record_find(const struct hashlist *hl, const char *path)
{
	for (size_t i = 0; i < hl->count; i++) {
		if (strcmp(hl->recs[i].path, path) == 0)
			return &hl->recs[i];
	}
	return NULL;
}

/* Whether the --since state's entry `seen` of a folder lists its record
 * `hex` and each of the sorted `paths` (n, each `skip` bytes into the
 * folder): an export of some kinds leaves out no file of other kinds. */
static int
state_covers(json_t *seen, const char *hex, char *const *paths, size_t n, size_t skip)
{
	json_t *files = json_object_get(seen, "files");
	const char *rec = json_string_value(json_object_get(seen, "record")), *f;
	size_t i = 0, j = 0;

	if (rec == NULL || strcmp(rec, hex) != 0)
		return 0;
	for (; i < n; i++) {	/* both sorted (written sorted; if not, exported again) */
		while ((f = json_string_value(json_array_get(files, j))) != NULL &&
		    strcmp(f, paths[i] + skip) < 0)
			j++;
		if (f == NULL || strcmp(f, paths[i] + skip) != 0)
			return 0;
	}
	return 1;
}

/* The state of a folder exported now: its record and its files exported,
 * with those of `seen` under the same record (merged, sorted). */
static json_t *
state_entry(json_t *seen, const char *hex, char *const *paths, size_t n, size_t skip)
{
	json_t *old = json_object_get(seen, "files"), *files = json_array();
	const char *rec = json_string_value(json_object_get(seen, "record")), *f;
	size_t i = 0, j = 0;
	int c;

	if (rec == NULL || strcmp(rec, hex) != 0)
		old = NULL;
	for (;;) {
		if ((f = json_string_value(json_array_get(old, j))) == NULL && i == n)
			break;
		c = i == n ? 1 : f == NULL ? -1 : strcmp(paths[i] + skip, f);
		json_array_append_new(files, json_string(c <= 0 ? paths[i] + skip : f));
		i += c <= 0;
		j += c >= 0;
	}
	return json_pack("{s:s, s:o}", "record", hex, "files", files);
}

/* The files [from, to) of x->paths, all of folder `unit` (prefix length
 * ulen), into the manifest with their recorded sha256, unless the --since
 * state lists the folder with the same record and each of these files. */
static int
export_unit(struct export *x, const char *unit, size_t ulen, size_t from, size_t to)
{
	char *rec = bundle_unit_record(unit), *text = NULL, hex[SHA256_HEX_LEN + 1];
	struct hashlist hl;
	struct stat st;
	size_t len;
	json_t *seen;
	int rc = 0, unchanged;

	hashlist_init(&hl);
	if (fs_read_at(x->chanfd, rec, O_NOFOLLOW, RECORD_READ_MAX, &text, &len, x->err) == -1) {
		diag_add(x->d, DIAG_ERROR, unit, "no sha256 record %s (%s): publish it with "
		    "storeimport", rec, x->err->msg);
		goto out;
	}
	if (hashlist_parse(&hl, text, len, x->err) == -1) {
		diag_add(x->d, DIAG_ERROR, rec, "%s", x->err->msg);
		goto out;
	}
	if (sha256_buffer(text, len, hex, x->err) == -1) {
		rc = -1;
		goto out;
	}
	seen = json_object_get(x->state, unit);
	unchanged = state_covers(seen, hex, x->paths + from, to - from, ulen + 1);
	if (!unchanged)
		json_object_set_new(x->state, unit, state_entry(seen, hex, x->paths + from,
		    to - from, ulen + 1));
	if (unchanged) {
		x->res->unchanged++;
		goto out;
	}
	x->res->units++;
	for (size_t i = from; i < to; i++) {
		const struct hash_rec *r = record_find(&hl, x->paths[i] + ulen + 1);

		if (r == NULL)
			diag_add(x->d, DIAG_ERROR, x->paths[i], "not in its sha256 record %s", rec);
		else if (fstatat(x->dlfd, x->paths[i], &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			diag_add(x->d, DIAG_ERROR, x->paths[i], "not a regular file: %s",
			    strerror(errno));
		else
			manifest_add(x, x->paths[i], (uint64_t)st.st_size, r->hex);
	}
out:
	hashlist_free(&hl);
	free(text);
	free(rec);
	return rc;
}

/* The folder (below download/) of a planned path: "130001",
 * "app-platform/10001"; -1 for a path a bundle cannot carry. */
static int
export_path_unit(const char *dlrel, char *unit, size_t size)
{
	char *path = xasprintf("%s/%s", STORE_DOWNLOAD_DIR, dlrel);
	const char *rest;
	int rc = bundle_path_unit(path, unit, size, &rest);

	free(path);
	return rc == -1 || unit[0] == '\0' ? -1 : 0;
}

/* The planned paths, folder by folder (sorted, so each folder's paths are
 * together). */
static int
export_units(struct export *x)
{
	char unit[BUNDLE_PATH_MAX], next[BUNDLE_PATH_MAX];
	size_t i = 0, j;

	while (i < x->npaths) {
		if (export_path_unit(x->paths[i], unit, sizeof(unit)) == -1) {
			diag_add(x->d, DIAG_ERROR, x->paths[i], "not a path a bundle can carry");
			i++;
			continue;
		}
		for (j = i + 1; j < x->npaths &&
		    export_path_unit(x->paths[j], next, sizeof(next)) == 0 &&
		    strcmp(next, unit) == 0; j++)
			;
		if (export_unit(x, unit, strlen(unit), i, j) == -1)
			return -1;
		i = j;
	}
	return 0;
}

/* The indexes, from the bytes read for the plan (what is written is what
 * was planned from). */
static int
export_indexes(struct export *x)
{
	char hex[SHA256_HEX_LEN + 1];

	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		if (x->index_buf[k] == NULL)
			continue;
		if (sha256_buffer(x->index_buf[k], x->index_len[k], hex, x->err) == -1)
			return -1;
		manifest_add(x, index_kind_file((enum index_kind)k), x->index_len[k], hex);
	}
	return 0;
}

static int
export_manifest(struct export *x)
{
	char created[32];
	time_t now = time(NULL);
	struct tm tm;

	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	x->m.channel = xstrdup(x->o->channel);
	x->m.created = xstrdup(created);
	bundle_manifest_sort(&x->m);
	x->manifest_text = bundle_manifest_dump(&x->m, &x->manifest_len);
	if (x->manifest_len > BUNDLE_MAX_MANIFEST || x->m.nfiles > BUNDLE_MAX_FILES)
		return errbuf_set(x->err, "the manifest of %zu files would be larger than a "
		    "bundle may be; export a smaller selection", x->m.nfiles);
	if (x->o->sign_key != NULL) {
		if (bundle_sign(x->o->sign_key, x->manifest_text, x->manifest_len, x->sig,
		    x->err) == -1)
			return -1;
		x->res->is_signed = 1;
	}
	return 0;
}

/* --- the archive ------------------------------------------------------------- */

static int
ar_fail(struct export *x, struct archive *a, const char *what)
{
	return errbuf_set(x->err, "%s: %s: %s", x->o->output, what, archive_error_string(a));
}

static int
ar_header(struct export *x, struct archive *a, const char *name, uint64_t size, time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		rc = ar_fail(x, a, name);
	archive_entry_free(e);
	return rc;
}

static int
ar_data(struct export *x, struct archive *a, const char *name, const void *buf, size_t len)
{
	if (len > 0 && archive_write_data(a, buf, len) != (la_ssize_t)len)
		return ar_fail(x, a, name);
	return 0;
}

/* A whole entry from memory. */
static int
ar_memory(struct export *x, struct archive *a, const char *name, const void *buf, size_t len)
{
	if (ar_header(x, a, name, len, time(NULL)) == -1)
		return -1;
	return ar_data(x, a, name, buf, len);
}

/* -1 (err) once a signal asked the export to stop. */
static int
export_stopped(struct export *x)
{
	if (x->o->stop == NULL || *x->o->stop == 0)
		return 0;
	return errbuf_set(x->err, "%s: interrupted", x->o->output);
}

/* A published file, hashed as its bytes go into the archive; 1 when it
 * changed since publishing (reported). */
static int
ar_file(struct export *x, struct archive *a, const struct bundle_file *f, struct hasher *h,
    char *buf)
{
	const char *rel = f->path + strlen(STORE_DOWNLOAD_DIR) + 1;
	char hex[SHA256_HEX_LEN + 1];
	uint64_t total = 0;
	struct stat st;
	ssize_t n = 0;
	int fd, rc = -1;

	if ((fd = fs_open_beneath(x->dlfd, rel, O_RDONLY | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &st) == -1) {
		errbuf_set_errno(x->err, "%s", f->path);
		goto out;
	}
	if ((uint64_t)st.st_size != f->size) {
		diag_add(x->d, DIAG_ERROR, rel, "changed on disk since the export began (now "
		    "%lld bytes, was %llu)", (long long)st.st_size, (unsigned long long)f->size);
		rc = 1;
		goto out;
	}
	if (ar_header(x, a, f->path, f->size, st.st_mtime) == -1)
		goto out;
	while (total < f->size && (n = read(fd, buf, COPY_HASH_BUFSIZE)) > 0) {
		if (export_stopped(x) == -1)
			goto out;
		if (total + (uint64_t)n > f->size)
			n = (ssize_t)(f->size - total);
		hasher_update(h, buf, (size_t)n);
		if (ar_data(x, a, f->path, buf, (size_t)n) == -1)
			goto out;
		total += (uint64_t)n;
	}
	hasher_final(h, hex);
	if (n == -1) {
		errbuf_set_errno(x->err, "%s: read", f->path);
		goto out;
	}
	rc = 0;
	if (total != f->size || strcmp(hex, f->sha256) != 0) {
		diag_add(x->d, DIAG_ERROR, rel, "changed on disk since it was published: its "
		    "sha256 is %s, its record says %s", total == f->size ? hex : "(short)",
		    f->sha256);
		rc = 1;
	}
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/* Writes the bundle into the open file fd; 0, 1 (a file changed) or -1. */
static int
export_archive(struct export *x, int fd)
{
	struct archive *a = archive_write_new();
	struct hasher *h = NULL;
	char *buf = xmalloc(COPY_HASH_BUFSIZE);
	int rc = -1;

	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		ar_fail(x, a, "open");
		goto out;
	}
	if ((h = hasher_create(x->err)) == NULL ||
	    ar_memory(x, a, BUNDLE_MANIFEST_NAME, x->manifest_text, x->manifest_len) == -1 ||
	    (x->res->is_signed &&
	    ar_memory(x, a, BUNDLE_SIGNATURE_NAME, x->sig, BUNDLE_SIG_LEN) == -1))
		goto out;
	rc = 0;
	for (size_t i = 0; i < x->m.nfiles && rc == 0; i++) {
		const char *rest, *name = x->m.files[i].path + strlen(STORE_DOWNLOAD_DIR) + 1;
		char unit[BUNDLE_PATH_MAX];
		int k;

		bundle_path_unit(x->m.files[i].path, unit, sizeof(unit), &rest);
		for (k = 0; unit[0] == '\0' && k < INDEX_KIND_COUNT; k++) {
			if (strcmp(name, index_kind_file((enum index_kind)k)) == 0)
				break;
		}
		if (unit[0] == '\0')
			rc = ar_memory(x, a, x->m.files[i].path, x->index_buf[k], x->index_len[k]);
		else
			rc = ar_file(x, a, &x->m.files[i], h, buf);
	}
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc = ar_fail(x, a, "close");
out:
	archive_write_free(a);
	hasher_free(h);
	free(buf);
	return rc;
}

/* The bundle into a hidden temporary file beside the output, renamed into
 * place once complete and synced. */
static int
export_write(struct export *x)
{
	char *dcopy = xstrdup(x->o->output), *bcopy = xstrdup(x->o->output);
	char *dir = dirname(dcopy), *tmp = xasprintf("%s/.%s.tmp-XXXXXX", dir, basename(bcopy));
	int fd, dirfd = -1, rc = -1;

	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1 || fchmod(fd, 0644) == -1) {
		errbuf_set_errno(x->err, "%s: the temporary file beside it", x->o->output);
		goto out;
	}
	if ((rc = export_archive(x, fd)) != 0)
		goto out;
	rc = -1;
	if (export_stopped(x) == -1)
		goto out;
	if (fsync(fd) == -1 || rename(tmp, x->o->output) == -1) {
		errbuf_set_errno(x->err, "%s", x->o->output);
		goto out;
	}
	x->res->written = 1;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync_dir(dirfd, dir, x->err) == -1)
		goto out;
	rc = 0;
out:
	if (fd != -1) {
		close(fd);
		if (rc != 0)
			unlink(tmp);
	}
	if (dirfd != -1)
		close(dirfd);
	free(tmp);
	free(dcopy);
	free(bcopy);
	return rc;
}

/* --- the whole ---------------------------------------------------------------- */

static void
export_free(struct export *x)
{
	if (x->chanfd != -1)
		close(x->chanfd);
	if (x->dlfd != -1)
		close(x->dlfd);
	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		free(x->index_buf[k]);
		index_doc_free(x->docs[k]);
	}
	mirror_plan_free(x->plan);
	for (size_t i = 0; i < x->npaths; i++)
		free(x->paths[i]);
	free(x->paths);
	json_decref(x->state);
	bundle_manifest_free(&x->m);
	free(x->manifest_text);
}

/* 1 when the diag holds errors (the export is refused), else rc. */
static int
refused_or(const struct export *x, int rc)
{
	return rc == 0 && x->d->errors > 0 ? 1 : rc;
}

int
bundle_export(const struct bundle_export_opts *o, struct bundle_export_result *res,
    struct diag *d, struct errbuf *err)
{
	struct export x = { .o = o, .res = res, .d = d, .err = err, .chanfd = -1, .dlfd = -1 };
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = export_open(&x)) == 0 && (rc = export_read_state(&x)) == 0 &&
	    (rc = export_read_indexes(&x)) == 0)
		rc = refused_or(&x, export_plan(&x));
	if (rc == 0)
		rc = export_units(&x);
	if (rc == 0 && (rc = refused_or(&x, export_indexes(&x))) == 0 &&
	    (rc = export_manifest(&x)) == 0)
		rc = export_write(&x);
	if (rc == 0 && o->state_out != NULL)
		rc = export_write_state(&x);
	export_free(&x);
	return rc;
}
