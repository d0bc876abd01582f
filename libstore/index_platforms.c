/*
 * index_platforms: linux.json (App Platform images under
 * download/app-platform/<version>/) and phoneplatform.json (phone platform
 * images under download/phoneplatform/<version>/).
 *
 * Both share one shape [phoneplatform.json: inferred, modelled on
 * linux.json]:
 *   {"platforms":[{"id":..,"text":..,"<role>":"<dir>/<version>/<file>",..,
 *                  "version":"<version>", <other catalog fields>}],
 *    "devices":[{"id":"IP0011","platforms":["arm"]}]}
 * Everything that differs between the two is one row of platform_indexes[]
 * and, for their file and folder names, of index_parse.c's table (which
 * reads them back), so a format change is made in one place.
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

#include "index_internal.h"
#include "index_parse.h"
#include "store_index.h"
#include "store_layout.h"
#include "xmalloc.h"

static const struct platform_index {
	enum item_kind kind;	/* the catalog section (platforms, phoneplatforms) */
	enum index_kind index;	/* its file and the folder of its versions */
} platform_indexes[] = {
	{ ITEM_PLATFORM, INDEX_LINUX },
	{ ITEM_PHONEPLATFORM, INDEX_PHONEPLATFORM },
};

#define PF_DIR(pi)	index_kind_platform_dir((pi)->index)
#define PF_FILE(pi)	index_kind_file((pi)->index)

/* Catalog fields of a platform that the index does not copy verbatim. */
static const char *const platform_own_fields[] = { "text", "devices", "files", NULL };

struct pf_version {
	char *name;
	unsigned long number;
	int fd;
};

struct pf_versions {
	struct pf_version *v;	/* newest first */
	size_t count;
};

struct pf_device {
	const char *device;	/* borrowed from the catalog */
	size_t order;		/* position of the platform in the index */
	const char *platform;
};

static int
pf_version_cmp(const void *a, const void *b)
{
	const struct pf_version *x = a, *y = b;

	return x->number > y->number ? -1 : x->number < y->number;
}

/* Opens the version folders of download/<dir>/ (none when it is absent). */
static void
pf_versions_open(int dlfd, const char *dir, struct pf_versions *vs)
{
	struct dirent *de;
	int dfd, fd;
	DIR *d;

	vs->v = NULL;
	vs->count = 0;
	if ((dfd = openat(dlfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!store_build_name_valid(de->d_name))
			continue;
		fd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -1)
			continue;
		if (store_folder_removed(fd)) {
			close(fd);	/* removed, in its grace period */
			continue;
		}
		vs->v = xreallocarray(vs->v, vs->count + 1, sizeof(*vs->v));
		vs->v[vs->count].name = xstrdup(de->d_name);
		vs->v[vs->count].number = index_build_number(de->d_name);
		vs->v[vs->count++].fd = fd;
	}
	closedir(d);
	if (vs->count > 0)
		qsort(vs->v, vs->count, sizeof(*vs->v), pf_version_cmp);
}

static void
pf_versions_close(struct pf_versions *vs)
{
	for (size_t i = 0; i < vs->count; i++) {
		close(vs->v[i].fd);
		free(vs->v[i].name);
	}
	free(vs->v);
}

int
store_platform_version_complete(int vfd, json_t *files)
{
	const char *role;
	struct stat st;
	json_t *f;

	if (json_object_size(files) == 0)
		return 0;
	json_object_foreach(files, role, f) {
		if (fstatat(vfd, json_string_value(f), &st, 0) == -1 ||
		    !S_ISREG(st.st_mode) || st.st_size == 0)
			return 0;
	}
	return 1;
}

static int
pf_version_complete(const struct pf_version *v, json_t *files)
{
	return store_platform_version_complete(v->fd, files);
}

static int
pf_own_field(const char *name)
{
	for (size_t i = 0; platform_own_fields[i] != NULL; i++) {
		if (strcmp(platform_own_fields[i], name) == 0)
			return 1;
	}
	return 0;
}

static json_t *
pf_platform_json(const struct platform_index *pi, const char *id, json_t *item,
    const struct pf_version *v)
{
	json_t *o = json_object(), *f, *text;
	const char *role, *key;
	char *path;

	json_object_set_new(o, "id", json_string(id));
	text = json_object_get(item, "text");
	json_object_set_new(o, "text", text != NULL ? json_incref(text) : json_string(id));
	json_object_foreach(json_object_get(item, "files"), role, f) {
		path = xasprintf("%s/%s/%s", PF_DIR(pi), v->name, json_string_value(f));
		json_object_set_new(o, role, json_string(path));
		free(path);
	}
	json_object_set_new(o, "version", json_string(v->name));
	json_object_foreach(item, key, f) {
		if (!pf_own_field(key) && json_object_get(o, key) == NULL)
			json_object_set(o, key, f);
	}
	return o;
}

static int
pf_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
pf_device_cmp(const void *va, const void *vb)
{
	const struct pf_device *a = va, *b = vb;
	int c = strcmp(a->device, b->device);

	if (c != 0)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static json_t *
pf_devices_json(struct pf_device *devs, size_t n)
{
	json_t *arr = json_array(), *o = NULL, *plats = NULL;

	if (n > 1)
		qsort(devs, n, sizeof(*devs), pf_device_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(devs[i].device, devs[i - 1].device) != 0) {
			o = json_object();
			plats = json_array();
			json_object_set_new(o, "id", json_string(devs[i].device));
			json_object_set_new(o, "platforms", plats);
			json_array_append_new(arr, o);
		} else if (strcmp(devs[i].platform, devs[i - 1].platform) == 0)
			continue;
		json_array_append_new(plats, json_string(devs[i].platform));
	}
	return arr;
}

/* Sorted ids of a catalog section; the caller frees the array only. */
static const char **
pf_sorted_ids(json_t *section, size_t *count)
{
	const char **ids = xcalloc(json_object_size(section) + 1, sizeof(*ids));
	const char *id;
	json_t *v;
	size_t n = 0;

	json_object_foreach(section, id, v)
		ids[n++] = id;
	qsort(ids, n, sizeof(*ids), pf_str_cmp);
	*count = n;
	return ids;
}

/* Appends the platform's devices to devs (grown as needed). */
static void
pf_add_devices(json_t *item, const char *id, size_t order, struct pf_device **devs, size_t *n)
{
	json_t *list = json_object_get(item, "devices"), *d;
	size_t i;

	json_array_foreach(list, i, d) {
		*devs = xreallocarray(*devs, *n + 1, sizeof(**devs));
		(*devs)[*n].device = json_string_value(d);
		(*devs)[*n].order = order;
		(*devs)[(*n)++].platform = id;
	}
}

static json_t *
pf_index_json(const struct platform_index *pi, int dlfd, const struct catalog *cat,
    struct diag *report)
{
	json_t *section = catalog_section(cat, pi->kind), *item, *files, *plats = json_array();
	struct pf_device *devs = NULL;
	struct pf_versions vs;
	size_t n, ndevs = 0, v;
	const char **ids = pf_sorted_ids(section, &n);
	json_t *doc = json_object();

	pf_versions_open(dlfd, PF_DIR(pi), &vs);
	for (size_t i = 0; i < n; i++) {
		item = json_object_get(section, ids[i]);
		files = json_object_get(item, "files");
		for (v = 0; json_object_size(files) > 0 && v < vs.count; v++) {
			if (pf_version_complete(&vs.v[v], files))
				break;
		}
		if (json_object_size(files) == 0 || v == vs.count) {
			diag_add(report, DIAG_WARNING, PF_DIR(pi), "%s %s: no version folder holds "
			    "all its files; left out of %s", item_kind_name(pi->kind), ids[i],
			    PF_FILE(pi));
			continue;
		}
		pf_add_devices(item, ids[i], json_array_size(plats), &devs, &ndevs);
		json_array_append_new(plats, pf_platform_json(pi, ids[i], item, &vs.v[v]));
	}
	json_object_set_new(doc, "platforms", plats);
	json_object_set_new(doc, "devices", pf_devices_json(devs, ndevs));
	pf_versions_close(&vs);
	free(devs);
	free(ids);
	return doc;
}

int
index_platforms_write(int dlfd, const struct catalog *cat, struct diag *report,
    struct errbuf *err)
{
	json_t *doc;
	int rc;

	for (size_t i = 0; i < sizeof(platform_indexes) / sizeof(platform_indexes[0]); i++) {
		doc = pf_index_json(&platform_indexes[i], dlfd, cat, report);
		rc = index_write_json(dlfd, PF_FILE(&platform_indexes[i]), doc, err);
		json_decref(doc);
		if (rc == -1)
			return -1;
	}
	return 0;
}
