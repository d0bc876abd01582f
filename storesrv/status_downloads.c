/*
 * status_downloads: the "downloads" member of the status document: the
 * counted download files (status_counters.h) grouped per build and per
 * item, the most requested first, the rest summed as "other".
 *
 * A counted key "<channel>/<folder>/<path>" belongs to the build
 * <channel>/<folder> (for app-platform/ and phoneplatform/, the build is
 * <folder>/<version>).  Its item is the <id> of the build folder's
 * "<id>_files" manifest naming the file; a platform file's item is its
 * platform folder; a file no manifest names has the item "".
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_open.h"
#include "status.h"
#include "status_downloads.h"
#include "xmalloc.h"

#define STATUS_MAX_MANIFESTS	256	/* manifests read per build */
#define STATUS_MANIFEST_BYTES	65536

/* One download file, its build and item. */
struct status_row {
	char channel[STATUS_KEY_MAX];
	char build[STATUS_KEY_MAX];
	const char *file;	/* into the counted key */
	char item[STATUS_KEY_MAX];
	uint64_t requests;
	uint64_t bytes;
};

/* The manifests of one build folder. */
struct status_manifests {
	char build[2 * STATUS_KEY_MAX];
	char *ids[STATUS_MAX_MANIFESTS];
	char *lists[STATUS_MAX_MANIFESTS];
	size_t n;
};

static void
status_manifests_clear(struct status_manifests *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->ids[i]);
		free(m->lists[i]);
	}
	m->n = 0;
	m->build[0] = '\0';
}

/* Reads the "<id>_files" manifests of <channel>/download/<build>/. */
static void
status_manifests_load(struct status_manifests *m, int root_fd, const char *channel,
    const char *build)
{
	char path[2 * STATUS_KEY_MAX + 16];
	struct dirent *de;
	DIR *dir;
	int fd;

	status_manifests_clear(m);
	snprintf(m->build, sizeof(m->build), "%s/%s", channel, build);
	snprintf(path, sizeof(path), "%s/download/%s", channel, build);
	fd = fs_open_beneath(root_fd, path, O_RDONLY | O_DIRECTORY);
	if (fd == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL && m->n < STATUS_MAX_MANIFESTS) {
		size_t len = strlen(de->d_name), blen;
		struct errbuf err;
		char *buf;

		if (len <= 6 || strcmp(de->d_name + len - 6, "_files") != 0 ||
		    fs_read_at(dirfd(dir), de->d_name, O_NOFOLLOW, STATUS_MANIFEST_BYTES, &buf,
		    &blen, &err) == -1)
			continue;
		m->lists[m->n] = xstrndup(buf, blen);
		m->ids[m->n++] = xstrndup(de->d_name, len - 6);
		free(buf);
	}
	closedir(dir);
}

/* Is name one of the comma-separated names of list? */
static int
status_list_has(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; *p != '\0'; p += strcspn(p, ",") + (p[strcspn(p, ",")] != '\0')) {
		size_t n = strcspn(p, ",\n");

		if (n == len && strncmp(p, name, len) == 0)
			return 1;
		if (p[strcspn(p, ",")] == '\0')
			break;
	}
	return 0;
}

static void
status_row_item(struct status_row *r, const struct status_manifests *m)
{
	const char *base = strrchr(r->file, '/');

	base = base != NULL ? base + 1 : r->file;
	r->item[0] = '\0';
	if (strncmp(r->build, "app-platform/", 13) == 0 ||
	    strncmp(r->build, "phoneplatform/", 14) == 0) {
		snprintf(r->item, sizeof(r->item), "%.*s", (int)strcspn(r->build, "/"), r->build);
		return;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (status_list_has(m->lists[i], base)) {
			snprintf(r->item, sizeof(r->item), "%s", m->ids[i]);
			return;
		}
	}
}

/* Splits a counted key into its row: channel, build, file. */
static void
status_row_split(struct status_row *r, const struct status_file_count *f)
{
	const char *key = f->key, *rest;
	size_t chan = strcspn(key, "/"), build;

	memset(r, 0, sizeof(*r));
	snprintf(r->channel, sizeof(r->channel), "%.*s", (int)chan, key);
	rest = key + chan + 1;
	build = strcspn(rest, "/");
	if ((strncmp(rest, "app-platform/", 13) == 0 || strncmp(rest, "phoneplatform/", 14) == 0) &&
	    rest[build + 1 + strcspn(rest + build + 1, "/")] == '/')
		build += 1 + strcspn(rest + build + 1, "/");
	snprintf(r->build, sizeof(r->build), "%.*s", (int)build, rest);
	r->file = rest + build + 1;
	r->requests = f->requests;
	r->bytes = f->bytes;
}

static int
status_group_cmp(const void *a, const void *b)
{
	json_int_t ra = json_integer_value(json_object_get(*(json_t *const *)a, "requests"));
	json_int_t rb = json_integer_value(json_object_get(*(json_t *const *)b, "requests"));

	return ra < rb ? 1 : ra > rb ? -1 : 0;
}

/* Adds requests and bytes of r to the entry `key` of groups (an object of
 * objects), made from `fields` when new. */
static void
status_group_add(json_t *groups, const char *key, json_t *fields, const struct status_row *r)
{
	json_t *g = json_object_get(groups, key);

	if (g == NULL) {
		g = fields;
		json_object_set_new(g, "requests", json_integer(0));
		json_object_set_new(g, "bytes", json_integer(0));
		json_object_set_new(groups, key, g);
	} else {
		json_decref(fields);
	}
	json_object_set_new(g, "requests", json_integer(
	    json_integer_value(json_object_get(g, "requests")) + (json_int_t)r->requests));
	json_object_set_new(g, "bytes", json_integer(
	    json_integer_value(json_object_get(g, "bytes")) + (json_int_t)r->bytes));
}

/* The groups as an array, most requested first, the first `top` kept and
 * the others summed into *other ({"requests", "bytes"}). */
static json_t *
status_group_list(json_t *groups, size_t top, json_t **other)
{
	size_t n = json_object_size(groups), i = 0;
	json_t **v = xcalloc(n + 1, sizeof(*v));
	json_int_t oreq = 0, obytes = 0;
	json_t *a = json_array(), *g;
	const char *key;

	json_object_foreach(groups, key, g)
		v[i++] = g;
	qsort(v, n, sizeof(*v), status_group_cmp);
	for (i = 0; i < n; i++) {
		if (i < top) {
			json_array_append(a, v[i]);
			continue;
		}
		oreq += json_integer_value(json_object_get(v[i], "requests"));
		obytes += json_integer_value(json_object_get(v[i], "bytes"));
	}
	free(v);
	*other = json_pack("{s:I, s:I}", "requests", oreq, "bytes", obytes);
	return a;
}

json_t *
status_downloads(int root_fd, const struct status_totals *t, size_t top)
{
	struct status_manifests *m = xcalloc(1, sizeof(*m));
	json_t *builds = json_object(), *items = json_object(), *files = json_object();
	json_t *doc = json_object(), *other;
	struct status_row r;
	char key[3 * STATUS_KEY_MAX];

	for (size_t i = 0; i < t->nfiles; i++) {
		status_row_split(&r, &t->files[i]);
		snprintf(key, sizeof(key), "%s/%s", r.channel, r.build);
		if (strcmp(key, m->build) != 0)
			status_manifests_load(m, root_fd, r.channel, r.build);
		status_row_item(&r, m);
		status_group_add(builds, key, json_pack("{s:s, s:s}", "channel", r.channel,
		    "build", r.build), &r);
		snprintf(key, sizeof(key), "%s/%s", r.channel, r.item);
		status_group_add(items, key, json_pack("{s:s, s:s}", "channel", r.channel,
		    "item", r.item), &r);
		status_group_add(files, t->files[i].key, json_pack("{s:s, s:s, s:s, s:s}",
		    "channel", r.channel, "build", r.build, "file", r.file, "item", r.item), &r);
	}
	json_object_set_new(doc, "builds", status_group_list(builds, top, &other));
	json_object_set_new(doc, "other_builds", other);
	json_object_set_new(doc, "items", status_group_list(items, top, &other));
	json_object_set_new(doc, "other_items", other);
	json_object_set_new(doc, "files", status_group_list(files, top, &other));
	json_object_set_new(doc, "other_files", other);
	json_object_set_new(doc, "untracked", json_pack("{s:I, s:I}",
	    "requests", (json_int_t)t->other.requests, "bytes", (json_int_t)t->other.bytes));
	status_manifests_clear(m);
	free(m);
	json_decref(builds);
	json_decref(items);
	json_decref(files);
	return doc;
}
