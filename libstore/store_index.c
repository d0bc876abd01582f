/*
 * store_index: scan the builds of a channel and write apps.json,
 * software.json and firmware.json (index_platforms.c writes linux.json and
 * phoneplatform.json); see store_index.h and docs/STORE-LAYOUT.md.
 *
 * The scan turns every complete item of every build that has a release
 * into one record (kind, id, release, build); firmware adds one record per
 * device.  Sorting the records once and keeping the first of each (kind,
 * id, release) gives the latest build of each release in O(n log n).
 * firmware.json lists a device under a release only when the release's
 * listed build (its latest build holding firmware) holds that device's
 * firmware, so every (device, release) it names resolves to files.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "build_check.h"
#include "catalog.h"
#include "fs_open.h"
#include "index_internal.h"
#include "store_index.h"
#include "store_layout.h"
#include "store_lock.h"
#include "xmalloc.h"

#define IX_DEVICE	ITEM_KIND_COUNT	/* record kind: a device's firmware */

struct ix_rec {
	int kind;		/* enum item_kind or IX_DEVICE */
	char *id;		/* item id or device name; owned */
	const char *release;	/* borrowed from the catalog */
	unsigned long build;
};

struct ix_scan {
	int dlfd;
	const struct catalog *cat;
	struct diag *report;
	struct ix_rec *recs;
	size_t count, alloc;
};

/* Leading fields of apps.json and software.json entries, with defaults. */
enum ix_default { IX_DEF_ID, IX_DEF_EMPTY, IX_DEF_FREE, IX_DEF_VERSIONS };

struct ix_field {
	const char *name;
	enum ix_default def;
};

static const struct ix_field ix_app_fields[] = {
	{ "id", IX_DEF_ID }, { "folder", IX_DEF_ID }, { "binary", IX_DEF_ID },
	{ "versions", IX_DEF_VERSIONS }, { "manufacturer", IX_DEF_EMPTY },
	{ "title", IX_DEF_ID }, { "license_type", IX_DEF_FREE }, { NULL, IX_DEF_ID }
};

static const struct ix_field ix_software_fields[] = {
	{ "id", IX_DEF_ID }, { "folder", IX_DEF_ID }, { "binary", IX_DEF_ID },
	{ "versions", IX_DEF_VERSIONS }, { "manufacturer", IX_DEF_EMPTY },
	{ "title", IX_DEF_ID }, { NULL, IX_DEF_ID }
};

/* The item indexes: file, top-level key, kind and field order. */
static const struct {
	enum item_kind kind;
	const char *file;
	const char *key;
	const struct ix_field *fields;
} ix_item_indexes[] = {
	{ ITEM_APP, "apps.json", "apps", ix_app_fields },
	{ ITEM_SOFTWARE, "software.json", "software", ix_software_fields },
};

unsigned long
index_build_number(const char *name)
{
	return strtoul(name, NULL, 10);
}

static void
ix_add(struct ix_scan *scan, int kind, const char *id, const char *release, unsigned long build)
{
	struct ix_rec *r;

	if (scan->count == scan->alloc) {
		scan->alloc = scan->alloc ? scan->alloc * 2 : 256;
		scan->recs = xreallocarray(scan->recs, scan->alloc, sizeof(*scan->recs));
	}
	r = &scan->recs[scan->count++];
	r->kind = kind;
	r->id = xstrdup(id);
	r->release = release;
	r->build = build;
}

/* Records the complete items of one checked build. */
static void
ix_add_result(struct ix_scan *scan, const struct build_result *res)
{
	const char *release = catalog_build_release(scan->cat, res->build);
	unsigned long build = index_build_number(res->build);
	size_t complete = 0;

	for (size_t i = 0; i < res->count; i++) {
		const struct build_item *it = &res->items[i];

		if (!it->complete || it->manifest_invalid) {
			diag_add(scan->report, DIAG_WARNING, res->build, "%s %s is incomplete; "
			    "left out of the indexes", item_kind_name(it->kind), it->id);
			continue;
		}
		complete++;
		if (release == NULL)
			continue;
		ix_add(scan, it->kind, it->id, release, build);
		for (size_t d = 0; it->kind == ITEM_FIRMWARE && d < it->ndevices; d++)
			ix_add(scan, IX_DEVICE, it->devices[d], release, build);
	}
	if (release == NULL && complete > 0)
		diag_add(scan->report, DIAG_WARNING, res->build, "build has no release in %s; "
		    "left out of the indexes", STORE_CATALOG_FILE);
}

static int
ix_is_dir(int dirfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type == DT_DIR)
		return 1;
	if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
		return 0;
	return fstatat(dirfd, de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static int
ix_scan_build(struct ix_scan *scan, const char *build, struct errbuf *err)
{
	struct build_result res;
	int fd, rc;

	fd = openat(scan->dlfd, build, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return errbuf_set_errno(err, "%s", build);
	if (store_folder_removed(fd)) {
		close(fd);	/* removed: on disk for a grace period, not listed */
		return 0;
	}
	rc = build_check(fd, build, scan->cat, &res, scan->report, err);
	close(fd);
	if (rc == 0)
		ix_add_result(scan, &res);
	build_result_free(&res);
	return rc;
}

static int
ix_scan_builds(struct ix_scan *scan, struct errbuf *err)
{
	struct dirent *de;
	int rc = 0;
	DIR *d;

	if ((d = fs_opendir_at(scan->dlfd)) == NULL)
		return errbuf_set_errno(err, "%s", STORE_DOWNLOAD_DIR);
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (store_build_name_valid(de->d_name) && ix_is_dir(scan->dlfd, de))
			rc = ix_scan_build(scan, de->d_name, err);
	}
	if (rc == 0 && errno != 0)
		rc = errbuf_set_errno(err, "%s: readdir", STORE_DOWNLOAD_DIR);
	closedir(d);
	return rc;
}

/* Order: kind, id, release, newest build first. */
static int
ix_rec_cmp(const void *va, const void *vb)
{
	const struct ix_rec *a = va, *b = vb;
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if ((c = strcmp(a->id, b->id)) != 0)
		return c;
	if ((c = strcmp(a->release, b->release)) != 0)
		return c;
	return a->build > b->build ? -1 : a->build < b->build;
}

/* Sorts and keeps only the latest build of each (kind, id, release). */
static void
ix_reduce(struct ix_scan *scan)
{
	size_t n = 0;

	if (scan->count > 1)
		qsort(scan->recs, scan->count, sizeof(*scan->recs), ix_rec_cmp);
	for (size_t i = 0; i < scan->count; i++) {
		struct ix_rec *r = &scan->recs[i];

		if (n > 0 && scan->recs[n - 1].kind == r->kind &&
		    strcmp(scan->recs[n - 1].id, r->id) == 0 &&
		    strcmp(scan->recs[n - 1].release, r->release) == 0) {
			free(r->id);
			continue;
		}
		scan->recs[n++] = *r;
	}
	scan->count = n;
}

/* Newest build first, then release id. */
static int
ix_rec_ptr_newest(const void *va, const void *vb)
{
	const struct ix_rec *a = *(const struct ix_rec *const *)va;
	const struct ix_rec *b = *(const struct ix_rec *const *)vb;

	if (a->build != b->build)
		return a->build > b->build ? -1 : 1;
	return strcmp(a->release, b->release);
}

/* Pointers to recs[from..to), newest build first; the caller frees. */
static const struct ix_rec **
ix_newest_first(const struct ix_scan *scan, size_t from, size_t to)
{
	const struct ix_rec **v = xcalloc(to - from + 1, sizeof(*v));

	for (size_t i = from; i < to; i++)
		v[i - from] = &scan->recs[i];
	qsort(v, to - from, sizeof(*v), ix_rec_ptr_newest);
	return v;
}

/* End of the run of records with the same kind and id as recs[from]. */
static size_t
ix_run_end(const struct ix_scan *scan, size_t from)
{
	size_t to = from + 1;

	while (to < scan->count && scan->recs[to].kind == scan->recs[from].kind &&
	    strcmp(scan->recs[to].id, scan->recs[from].id) == 0)
		to++;
	return to;
}

static json_t *
ix_version_json(const struct ix_scan *scan, const struct ix_rec *r)
{
	char build[16];
	const char *label, *key;
	json_t *v, *extra, *val;

	snprintf(build, sizeof(build), "%lu", r->build);
	label = catalog_build_label(scan->cat, build);
	v = json_object();
	json_object_set_new(v, "id", json_string(r->release));
	json_object_set_new(v, "build", json_string(build));
	json_object_set_new(v, "label", json_string(label != NULL ? label : ""));
	extra = catalog_build_item_fields(scan->cat, build, r->id);
	json_object_foreach(extra, key, val) {
		if (json_object_get(v, key) == NULL)
			json_object_set(v, key, val);
	}
	return v;
}

static json_t *
ix_versions_json(const struct ix_scan *scan, size_t from, size_t to)
{
	const struct ix_rec **v = ix_newest_first(scan, from, to);
	json_t *arr = json_array();

	for (size_t i = 0; i < to - from; i++)
		json_array_append_new(arr, ix_version_json(scan, v[i]));
	free(v);
	return arr;
}

static json_t *
ix_field_default(enum ix_default def, const char *id)
{
	switch (def) {
	case IX_DEF_EMPTY:
		return json_string("");
	case IX_DEF_FREE:
		return json_string("free");
	default:
		return json_string(id);
	}
}

static int
ix_field_known(const struct ix_field *fields, const char *name)
{
	for (const struct ix_field *f = fields; f->name != NULL; f++) {
		if (strcmp(f->name, name) == 0)
			return 1;
	}
	return 0;
}

/* One entry of apps.json or software.json for recs[from..to). */
static json_t *
ix_item_json(const struct ix_scan *scan, size_t idx, size_t from, size_t to)
{
	const struct ix_field *fields = ix_item_indexes[idx].fields;
	const char *id = scan->recs[from].id, *key;
	json_t *item, *obj = json_object(), *v;

	item = catalog_item(scan->cat, ix_item_indexes[idx].kind, id);
	for (const struct ix_field *f = fields; f->name != NULL; f++) {
		if (f->def == IX_DEF_VERSIONS)
			v = ix_versions_json(scan, from, to);
		else if (f->def != IX_DEF_ID || strcmp(f->name, "id") != 0)
			v = json_incref(json_object_get(item, f->name));
		else
			v = NULL;
		json_object_set_new(obj, f->name, v != NULL ? v : ix_field_default(f->def, id));
	}
	json_object_foreach(item, key, v) {
		if (!ix_field_known(fields, key))
			json_object_set(obj, key, v);
	}
	return obj;
}

static int
ix_write_items(const struct ix_scan *scan, size_t idx, struct errbuf *err)
{
	json_t *doc = json_object(), *arr = json_array();
	size_t i = 0, to;
	int rc;

	while (i < scan->count && scan->recs[i].kind != (int)ix_item_indexes[idx].kind)
		i++;
	for (; i < scan->count && scan->recs[i].kind == (int)ix_item_indexes[idx].kind; i = to) {
		to = ix_run_end(scan, i);
		json_array_append_new(arr, ix_item_json(scan, idx, i, to));
	}
	json_object_set_new(doc, ix_item_indexes[idx].key, arr);
	rc = index_write_json(scan->dlfd, ix_item_indexes[idx].file, doc, err);
	json_decref(doc);
	return rc;
}

/* The listed firmware build of each release: records (ITEM_FIRMWARE, "",
 * release, its latest build holding firmware), sorted by release. */
static void
ix_firmware_listed(const struct ix_scan *scan, struct ix_scan *rel)
{
	for (size_t i = 0; i < scan->count; i++) {
		if (scan->recs[i].kind == ITEM_FIRMWARE)
			ix_add(rel, ITEM_FIRMWARE, "", scan->recs[i].release, scan->recs[i].build);
	}
	ix_reduce(rel);
}

static int
ix_rec_release_cmp(const void *key, const void *rec)
{
	return strcmp(key, ((const struct ix_rec *)rec)->release);
}

/* Keeps a device's record only when it is from its release's listed build:
 * firmware.json then never offers a device a release whose build (the one
 * in "versions") lacks the device's files. */
static void
ix_drop_unlisted_devices(struct ix_scan *scan, const struct ix_scan *rel)
{
	const struct ix_rec *listed;
	char where[16];
	size_t n = 0;

	for (size_t i = 0; i < scan->count; i++) {
		struct ix_rec *r = &scan->recs[i];

		if (r->kind == IX_DEVICE && (listed = bsearch(r->release, rel->recs, rel->count,
		    sizeof(*rel->recs), ix_rec_release_cmp)) != NULL && listed->build != r->build) {
			snprintf(where, sizeof(where), "%lu", listed->build);
			diag_add(scan->report, DIAG_WARNING, where, "no firmware for %s (release "
			    "%s has it only in the older build %lu): firmware.json does not offer "
			    "%s to %s", r->id, r->release, r->build, r->release, r->id);
			free(r->id);
			continue;
		}
		scan->recs[n++] = *r;
	}
	scan->count = n;
}

/* firmware.json "versions": the listed build of each release, newest first. */
static json_t *
ix_firmware_versions(const struct ix_scan *scan, const struct ix_scan *rel)
{
	const struct ix_rec **v;
	json_t *arr = json_array(), *o;
	char build[16], *text;
	const char *label, *wiki;

	v = ix_newest_first(rel, 0, rel->count);
	for (size_t i = 0; i < rel->count; i++) {
		snprintf(build, sizeof(build), "%lu", v[i]->build);
		label = catalog_build_label(scan->cat, build);
		text = label != NULL && *label != '\0' ?
		    xasprintf("%s %s [%s]", v[i]->release, label, build) :
		    xasprintf("%s [%s]", v[i]->release, build);
		o = json_object();
		json_object_set_new(o, "id", json_string(v[i]->release));
		json_object_set_new(o, "build", json_string(build));
		json_object_set_new(o, "text", json_string(text));
		if ((wiki = catalog_release_wiki(scan->cat, v[i]->release)) != NULL)
			json_object_set_new(o, "wiki", json_string(wiki));
		json_array_append_new(arr, o);
		free(text);
	}
	free(v);
	return arr;
}

/* firmware.json "devices": releases with firmware per device, newest first. */
static json_t *
ix_firmware_devices(const struct ix_scan *scan)
{
	json_t *arr = json_array(), *o, *versions;
	const struct ix_rec **v;
	size_t i = 0, to;

	while (i < scan->count && scan->recs[i].kind != IX_DEVICE)
		i++;
	for (; i < scan->count; i = to) {
		to = ix_run_end(scan, i);
		v = ix_newest_first(scan, i, to);
		versions = json_array();
		for (size_t j = 0; j < to - i; j++)
			json_array_append_new(versions, json_string(v[j]->release));
		free(v);
		o = json_object();
		json_object_set_new(o, "id", json_string(scan->recs[i].id));
		json_object_set_new(o, "versions", versions);
		json_array_append_new(arr, o);
	}
	return arr;
}

static int
ix_write_firmware(struct ix_scan *scan, struct errbuf *err)
{
	struct ix_scan rel = { -1, scan->cat, NULL, NULL, 0, 0 };
	json_t *doc = json_object();
	int rc;

	ix_firmware_listed(scan, &rel);
	ix_drop_unlisted_devices(scan, &rel);
	json_object_set_new(doc, "devices", ix_firmware_devices(scan));
	json_object_set_new(doc, "versions", ix_firmware_versions(scan, &rel));
	rc = index_write_json(scan->dlfd, "firmware.json", doc, err);
	json_decref(doc);
	for (size_t i = 0; i < rel.count; i++)
		free(rel.recs[i].id);
	free(rel.recs);
	return rc;
}

/* Does dlfd/name hold exactly `len` bytes equal to data? */
static int
ix_same_content(int dlfd, const char *name, const char *data, size_t len)
{
	char *old = NULL;
	size_t oldlen = 0;
	int fd, same;

	if ((fd = openat(dlfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	same = fs_read_all(fd, len, &old, &oldlen, NULL) == 0 && oldlen == len &&
	    memcmp(old, data, len) == 0;
	free(old);
	close(fd);
	return same;
}

int
index_write_json(int dlfd, const char *name, json_t *doc, struct errbuf *err)
{
	char *text, *out;
	size_t len;
	int rc = 0;

	text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL)
		xalloc_failed("an index's text");
	out = xasprintf("%s\n", text);
	free(text);
	len = strlen(out);
	if (!ix_same_content(dlfd, name, out, len))
		rc = atomic_file_write(dlfd, name, out, len, 0644, err);
	free(out);
	return rc;
}

static int
ix_write_all(struct ix_scan *scan, struct errbuf *err)
{
	if (ix_scan_builds(scan, err) == -1)
		return -1;
	ix_reduce(scan);
	for (size_t i = 0; i < sizeof(ix_item_indexes) / sizeof(ix_item_indexes[0]); i++) {
		if (ix_write_items(scan, i, err) == -1)
			return -1;
	}
	if (ix_write_firmware(scan, err) == -1)
		return -1;
	return index_platforms_write(scan->dlfd, scan->cat, scan->report, err);
}

/* Moves the entries of `from` to `to` (may be NULL), prefixing `where`. */
static void
ix_report_move(struct diag *to, const struct diag *from, const char *prefix)
{
	for (size_t i = 0; to != NULL && i < from->count; i++) {
		char *where = xasprintf("%s/%s", prefix, from->entries[i].where);

		diag_add(to, from->entries[i].severity, where, "%s", from->entries[i].message);
		free(where);
	}
}

static int
ix_rebuild_channel(int chfd, const char *channel, struct diag *report, struct errbuf *err)
{
	struct ix_scan scan = { -1, NULL, NULL, NULL, 0, 0 };
	struct catalog *cat = NULL;
	char *prefix;
	int rc = -1;

	if (catalog_load_at(chfd, STORE_CATALOG_FILE, &cat, err) == -1)
		return -1;
	if (cat == NULL)
		return 0;
	scan.cat = cat;
	scan.report = diag_create();
	scan.dlfd = openat(chfd, STORE_DOWNLOAD_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (scan.dlfd == -1)
		errbuf_set_errno(err, "%s", STORE_DOWNLOAD_DIR);
	else
		rc = ix_write_all(&scan, err);
	prefix = xasprintf("%s/%s", channel, STORE_DOWNLOAD_DIR);
	ix_report_move(report, scan.report, prefix);
	free(prefix);
	for (size_t i = 0; i < scan.count; i++)
		free(scan.recs[i].id);
	free(scan.recs);
	diag_free(scan.report);
	if (scan.dlfd != -1)
		close(scan.dlfd);
	catalog_free(cat);
	return rc;
}

int
store_index_rebuild(const char *root, const char *channel, struct diag *report,
    struct errbuf *err)
{
	char *path;
	int chfd, rc;

	if (!store_channel_name_valid(channel))
		return errbuf_set(err, "\"%s\": not a valid channel name", channel);
	path = xasprintf("%s/%s", root, channel);
	chfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (chfd == -1) {
		rc = errbuf_set_errno(err, "%s", path);
		free(path);
		return rc;
	}
	rc = ix_rebuild_channel(chfd, channel, report, err);
	if (rc == -1)
		errbuf_prefix(err, "%s", path);
	close(chfd);
	free(path);
	return rc;
}

static int
ix_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The channels of root: valid names with a download/ folder, sorted. */
static int
ix_list_channels(const char *root, char ***out, size_t *count, struct errbuf *err)
{
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	char **v = NULL;
	DIR *d;
	int fd;

	if ((d = opendir(root)) == NULL)
		return errbuf_set_errno(err, "%s", root);
	fd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		char *dl;

		if (!store_channel_name_valid(de->d_name))
			continue;
		dl = xasprintf("%s/%s", de->d_name, STORE_DOWNLOAD_DIR);
		if (fstatat(fd, dl, &st, 0) == 0 && S_ISDIR(st.st_mode)) {
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = xstrdup(de->d_name);
		}
		free(dl);
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), ix_str_cmp);
	*out = v;
	*count = n;
	return 0;
}

int
store_index_rebuild_all(const char *root, struct diag *report, struct errbuf *err)
{
	char **channels = NULL;
	size_t n = 0, i;
	int lockfd, rc = 0;

	if (ix_list_channels(root, &channels, &n, err) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		lockfd = store_lock_channel(root, channels[i], 1, err);
		if (lockfd == -1 && errno == EWOULDBLOCK) {
			if (report != NULL)
				diag_add(report, DIAG_WARNING, channels[i], "skipped: %s/%s/%s is "
				    "held by another writer, which rewrites the indexes itself",
				    root, channels[i], STORE_LOCK_FILE);
			continue;
		}
		if (lockfd == -1) {
			rc = -1;
			break;
		}
		rc = store_index_rebuild(root, channels[i], report, err);
		store_unlock(lockfd);
	}
	for (i = 0; i < n; i++)
		free(channels[i]);
	free(channels);
	return rc;
}
