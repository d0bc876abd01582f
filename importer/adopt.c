/*
 * adopt: take over the metadata of a store tree's JSON indexes; see
 * adopt.h.
 */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "descriptor.h"
#include "store_layout.h"
#include "xmalloc.h"

struct adopt {
	const struct tree_src *t;
	int index;
	struct unit_list *ul;
	struct catalog *cat;
	struct diag *d;
	char *seen;		/* per unit: named by an index */
	struct errbuf err;
};

static json_t *
adopt_load(struct adopt *a, const char *name, const char *member)
{
	json_error_t jerr;
	json_t *root, *arr;
	char *where = xasprintf("%s/%s", a->t->rel, name);
	int fd;

	if ((fd = openat(a->t->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		free(where);
		return NULL;
	}
	root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
	close(fd);
	if (root == NULL) {
		diag_add(a->d, DIAG_ERROR, where, "line %d column %d: %s", jerr.line,
		    jerr.column, jerr.text);
		free(where);
		return NULL;
	}
	arr = json_object_get(root, member);
	if (!json_is_array(arr)) {
		diag_add(a->d, DIAG_ERROR, where, "\"%s\": missing or not an array", member);
		arr = NULL;
	} else
		json_incref(root);
	json_decref(root);
	free(where);
	return arr != NULL ? root : NULL;
}

/* The unit of this tree named `name` (type/kind), or -1. */
static int
adopt_find_unit(struct adopt *a, enum unit_type type, int kind, const char *name)
{
	for (size_t i = 0; i < a->ul->count; i++) {
		const struct unit *u = &a->ul->units[i];

		if (u->tree == a->index && u->type == type && strcmp(u->name, name) == 0 &&
		    (type == UNIT_BUILD || u->kind == kind))
			return (int)i;
	}
	return -1;
}

static void
adopt_err(struct adopt *a, const char *where, int rc)
{
	if (rc == -1)
		diag_add(a->d, DIAG_ERROR, where, "%s", a->err.msg);
}

/* A version entry names a build: check its folder and manifest, record the
 * release and label. */
static void
adopt_version(struct adopt *a, const char *where, const char *id, const char *release,
    const char *build, const char *label, int want_manifest)
{
	char *manifest = xasprintf("%s%s", id, STORE_MANIFEST_SUFFIX);
	struct stat st;
	int ui;

	if (!store_build_name_valid(build) || !descriptor_release_valid(release)) {
		diag_add(a->d, DIAG_WARNING, where, "invalid build \"%s\" or release \"%s\"; "
		    "entry ignored", build, release);
		goto out;
	}
	if ((ui = adopt_find_unit(a, UNIT_BUILD, 0, build)) == -1) {
		diag_add(a->d, DIAG_WARNING, where, "build %s of %s: folder missing", build, id);
		goto out;
	}
	a->seen[ui] = 1;
	if (want_manifest && fstatat(a->ul->units[ui].fd, manifest, &st, 0) == -1)
		diag_add(a->d, DIAG_WARNING, where, "build %s has no %s", build, manifest);
	adopt_err(a, where, catalog_set_build(a->cat, build, release, label, &a->err));
out:
	free(manifest);
}

/* apps.json and software.json entries. */
static void
adopt_item(struct adopt *a, const char *file, enum item_kind kind, size_t i, json_t *item)
{
	const char *id = json_string_value(json_object_get(item, "id"));
	char *where = xasprintf("%s/%s: [%zu]", a->t->rel, file, i);
	json_t *fields, *versions = json_object_get(item, "versions"), *v;
	size_t j;

	if (id == NULL || !store_item_id_valid(id)) {
		diag_add(a->d, DIAG_ERROR, where, "missing or invalid \"id\"");
		free(where);
		return;
	}
	fields = json_deep_copy(item);
	json_object_del(fields, "id");
	json_object_del(fields, "versions");
	adopt_err(a, where, catalog_merge_item(a->cat, kind, id, fields, &a->err));
	json_decref(fields);
	json_array_foreach(versions, j, v) {
		const char *rel = json_string_value(json_object_get(v, "id"));
		const char *build = json_string_value(json_object_get(v, "build"));
		json_t *extra;

		if (rel == NULL || build == NULL) {
			diag_add(a->d, DIAG_WARNING, where, "versions[%zu]: needs \"id\" and "
			    "\"build\" strings", j);
			continue;
		}
		adopt_version(a, where, id, rel, build,
		    json_string_value(json_object_get(v, "label")), 1);
		extra = json_deep_copy(v);
		json_object_del(extra, "id");
		json_object_del(extra, "build");
		json_object_del(extra, "label");
		if (json_object_size(extra) > 0)
			adopt_err(a, where, catalog_set_item_fields(a->cat, build, id, extra, &a->err));
		json_decref(extra);
	}
	free(where);
}

static void
adopt_items(struct adopt *a, const char *file, const char *member, enum item_kind kind)
{
	json_t *root = adopt_load(a, file, member), *item;
	size_t i;

	json_array_foreach(json_object_get(root, member), i, item)
		adopt_item(a, file, kind, i, item);
	json_decref(root);
}

/* "13r1 sr01 [130001]" -> "sr01". */
static char *
adopt_fw_label(const char *text, const char *release, const char *build)
{
	char rel[64], label[64], b[64], want[80];

	if (text == NULL || sscanf(text, "%63s %63s %63s", rel, label, b) != 3)
		return NULL;
	snprintf(want, sizeof(want), "[%s]", build);
	if (strcmp(rel, release) != 0 || strcmp(b, want) != 0)
		return NULL;
	return xstrdup(label);
}

/* Does some build of this tree that the indexes give `release` hold
 * `file`?  *builds counts the builds of that release. */
static int
adopt_release_has_file(struct adopt *a, const char *release, const char *file, int *builds)
{
	struct stat st;

	*builds = 0;
	for (size_t i = 0; i < a->ul->count; i++) {
		const struct unit *u = &a->ul->units[i];
		const char *r;

		if (u->tree != a->index || u->type != UNIT_BUILD)
			continue;
		r = catalog_build_release(a->cat, u->name);
		if (r == NULL || strcmp(r, release) != 0)
			continue;
		(*builds)++;
		if (fstatat(u->fd, file, &st, 0) == 0)
			return 1;
	}
	return 0;
}

/* "IP0011" -> "ip0011.bin"; NULL when the id is not IP<model>. */
static char *
adopt_fw_image(const char *device)
{
	char *image;
	size_t len = strlen(device);

	if (len < 3 || len > 32 || strncmp(device, "IP", 2) != 0)
		return NULL;
	for (size_t i = 2; i < len; i++) {
		if (!isdigit((unsigned char)device[i]) && !isupper((unsigned char)device[i]))
			return NULL;
	}
	image = xasprintf("ip%s.bin", device + 2);
	for (char *p = image; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return image;
}

/*
 * storesrv derives a firmware's devices from its ip<model>.bin names, so
 * firmware.json's devices[] must agree with the files: every device is
 * IP<model>, and each release it lists has ip<model>.bin in a build of
 * that release.  A disagreement would change the device list when the indexes are
 * rewritten; it is reported (a warning; an error with --strict).
 */
static void
adopt_firmware_devices(struct adopt *a, json_t *root, const char *where)
{
	json_t *dev, *rel;
	size_t i, j;

	json_array_foreach(json_object_get(root, "devices"), i, dev) {
		const char *id = json_string_value(json_object_get(dev, "id"));
		char *image = id != NULL ? adopt_fw_image(id) : NULL;

		if (image == NULL) {
			diag_add(a->d, DIAG_WARNING, where, "devices[%zu]: \"%s\" is not IP<model>; "
			    "devices are derived from ip<model>.bin files, so it will not be listed",
			    i, id != NULL ? id : "(no id)");
			continue;
		}
		json_array_foreach(json_object_get(dev, "versions"), j, rel) {
			const char *release = json_string_value(rel);
			int builds = 0;

			if (release != NULL && adopt_release_has_file(a, release, image, &builds))
				continue;
			if (builds == 0)
				diag_add(a->d, DIAG_WARNING, where, "devices[%zu] %s: no build of "
				    "release \"%s\" in the tree", i, id, release ? release : "(not a string)");
			else
				diag_add(a->d, DIAG_WARNING, where, "devices[%zu] %s: no build of "
				    "release %s holds %s; the device loses that release", i, id,
				    release, image);
		}
		free(image);
	}
}

static void
adopt_firmware(struct adopt *a)
{
	json_t *root = adopt_load(a, "firmware.json", "versions"), *v;
	char *where = xasprintf("%s/firmware.json", a->t->rel);
	size_t i;

	json_array_foreach(json_object_get(root, "versions"), i, v) {
		const char *rel = json_string_value(json_object_get(v, "id"));
		const char *build = json_string_value(json_object_get(v, "build"));
		const char *text = json_string_value(json_object_get(v, "text"));
		const char *wiki = json_string_value(json_object_get(v, "wiki"));
		char *label;

		if (rel == NULL || build == NULL) {
			diag_add(a->d, DIAG_WARNING, where, "versions[%zu]: needs \"id\" and "
			    "\"build\" strings", i);
			continue;
		}
		if ((label = adopt_fw_label(text, rel, build)) == NULL && text != NULL)
			diag_add(a->d, DIAG_WARNING, where, "versions[%zu]: text \"%s\" is not "
			    "\"<release> <label> [<build>]\"", i, text);
		adopt_version(a, where, "firmware", rel, build, label, 0);
		if (wiki != NULL && catalog_build_release(a->cat, build) != NULL)
			adopt_err(a, where, catalog_set_release_wiki(a->cat, rel, wiki, &a->err));
		free(label);
	}
	adopt_firmware_devices(a, root, where);
	free(where);
	json_decref(root);
}

/* "app-platform/10001/img" -> version "10001", name "img"; 0 when the
 * path is not in a version folder of `dir`. */
static int
adopt_platform_path(const char *path, const char *dir, char *version, size_t vsz,
    const char **name)
{
	size_t dlen = strlen(dir);
	const char *v = path + dlen + 1, *slash;

	if (strncmp(path, dir, dlen) != 0 || path[dlen] != '/')
		return 0;
	if ((slash = strchr(v, '/')) == NULL || strchr(slash + 1, '/') != NULL ||
	    (size_t)(slash - v) >= vsz)
		return 0;
	memcpy(version, v, (size_t)(slash - v));
	version[slash - v] = '\0';
	*name = slash + 1;
	return store_build_name_valid(version) && (*name)[0] != '\0' && (*name)[0] != '.';
}

/* The ids of the devices listing platform `id`. */
static json_t *
adopt_platform_devices(json_t *root, const char *id)
{
	json_t *out = json_array(), *dev, *p;
	size_t i, j;

	json_array_foreach(json_object_get(root, "devices"), i, dev) {
		json_array_foreach(json_object_get(dev, "platforms"), j, p) {
			if (json_is_string(p) && strcmp(json_string_value(p), id) == 0 &&
			    json_is_string(json_object_get(dev, "id")))
				json_array_append(out, json_object_get(dev, "id"));
		}
	}
	return out;
}

/* One file slot of a platform entry: in its version folder and present? */
static void
adopt_platform_slot(struct adopt *a, const char *where, int kind, const char *version_field,
    const char *id, const char *slot, const char *path, json_t *files)
{
	const char *dir = kind == ITEM_PHONEPLATFORM ? STORE_PHONE_PLATFORM_DIR :
	    STORE_APP_PLATFORM_DIR;
	char version[32];
	const char *name;
	struct stat st;
	int ui;

	if (!adopt_platform_path(path, dir, version, sizeof(version), &name) ||
	    (version_field != NULL && strcmp(version, version_field) != 0)) {
		diag_add(a->d, DIAG_WARNING, where, "%s.%s: \"%s\" is not in %s/%s/", id,
		    slot, path, dir, version_field ? version_field : "<version>");
		return;
	}
	if ((ui = adopt_find_unit(a, UNIT_PLATFORM, kind, version)) == -1 ||
	    fstatat(a->ul->units[ui].fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		diag_add(a->d, DIAG_WARNING, where, "%s.%s: %s: file missing", id, slot, path);
		return;
	}
	a->seen[ui] = 1;
	free(a->ul->units[ui].item_id);
	a->ul->units[ui].item_id = xstrdup(id);
	json_object_set_new(files, slot, json_string(name));
}

/* Checks the file slots of one platform entry and moves them into files;
 * "version" is computed by the indexes, so it is dropped too. */
static void
adopt_platform_files(struct adopt *a, const char *where, int kind, json_t *fields,
    const char *id, json_t *files)
{
	json_t *version = json_incref(json_object_get(fields, "version"));

	json_object_del(fields, "version");
	for (size_t s = 0; s < PLATFORM_SLOTS; s++) {
		const char *slot = descriptor_platform_slots[s];
		json_t *pv = json_incref(json_object_get(fields, slot));

		if (json_is_string(pv)) {
			json_object_del(fields, slot);
			adopt_platform_slot(a, where, kind, json_string_value(version), id, slot,
			    json_string_value(pv), files);
		}
		json_decref(pv);
	}
	json_decref(version);
}

static void
adopt_platforms(struct adopt *a, const char *file, int kind)
{
	json_t *root = adopt_load(a, file, "platforms"), *p;
	char *where = xasprintf("%s/%s", a->t->rel, file);
	size_t i;

	json_array_foreach(json_object_get(root, "platforms"), i, p) {
		const char *id = json_string_value(json_object_get(p, "id"));
		json_t *fields, *files;

		if (id == NULL || !store_item_id_valid(id)) {
			diag_add(a->d, DIAG_ERROR, where, "platforms[%zu]: missing or invalid "
			    "\"id\"", i);
			continue;
		}
		fields = json_deep_copy(p);
		files = json_object();
		json_object_del(fields, "id");
		adopt_platform_files(a, where, kind, fields, id, files);
		json_object_set_new(fields, "files", files);
		json_object_set_new(fields, "devices", adopt_platform_devices(root, id));
		adopt_err(a, where, catalog_merge_item(a->cat, (enum item_kind)kind, id, fields,
		    &a->err));
		json_decref(fields);
	}
	free(where);
	json_decref(root);
}

void
adopt_tree(const struct tree_src *t, int index, struct unit_list *ul, struct catalog *cat,
    struct diag *d)
{
	struct adopt a = { t, index, ul, cat, d, xcalloc(ul->count + 1, 1), { { 0 } } };

	adopt_items(&a, "apps.json", "apps", ITEM_APP);
	adopt_items(&a, "software.json", "software", ITEM_SOFTWARE);
	adopt_firmware(&a);
	adopt_platforms(&a, "linux.json", ITEM_PLATFORM);
	adopt_platforms(&a, "phoneplatform.json", ITEM_PHONEPLATFORM);
	for (size_t i = 0; i < ul->count; i++) {
		char *where;

		if (ul->units[i].tree != index || a.seen[i])
			continue;
		where = unit_dlrel(&ul->units[i]);
		diag_add(d, DIAG_WARNING, where, "not mentioned by any index of %s", t->rel);
		free(where);
	}
	free(a.seen);
}
