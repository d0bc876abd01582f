/*
 * bundle_prune: the staged indexes of a bundle reduced to what it brings;
 * see bundle_prune.h.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "atomic_file.h"
#include "bundle.h"
#include "bundle_prune.h"
#include "fs_open.h"
#include "index_parse.h"
#include "store_layout.h"
#include "xmalloc.h"

#define DL_PREFIX	STORE_DOWNLOAD_DIR "/"

/* Whether the staged download/ folder holds `kind` at rel (a path the
 * bundle may carry: canonical, below download/). */
static int
staged_has(int dlfd, const char *rel, mode_t kind)
{
	char *path = xasprintf("%s%s", DL_PREFIX, rel), unit[BUNDLE_PATH_MAX];
	const char *rest;
	struct stat st;
	int ok;

	ok = (kind == S_IFDIR || bundle_path_unit(path, unit, sizeof(unit), &rest) != -1) &&
	    (kind != S_IFDIR || store_build_name_valid(rel)) &&
	    fstatat(dlfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == kind;
	free(path);
	return ok;
}

/* Removes the versions[] entries whose build folder is not staged, or
 * (id not NULL) lacks the item's manifest <id>_files. */
static void
prune_versions(int dlfd, json_t *versions, const char *id)
{
	size_t i = 0;

	while (i < json_array_size(versions)) {
		const char *b = json_string_value(json_object_get(json_array_get(versions, i),
		    "build"));
		char *manifest = b && id ? xasprintf("%s/%s%s", b, id, STORE_MANIFEST_SUFFIX) : NULL;

		if (b == NULL || !staged_has(dlfd, b, S_IFDIR) ||
		    (manifest != NULL && !staged_has(dlfd, manifest, S_IFREG)))
			json_array_remove(versions, i);
		else
			i++;
		free(manifest);
	}
}

/* Whether the array `list` of a devices[] entry may keep `name`: `keep`
 * has it, and for firmware (fw) the build `keep` maps it to holds the
 * device's ip<model>.bin. */
static int
device_keeps(int dlfd, const char *device, const char *name, json_t *keep, int fw)
{
	json_t *v = json_object_get(keep, name);
	char *file, *p;
	int ok;

	if (v == NULL || !fw)
		return v != NULL;
	if (strncmp(device, "IP", 2) != 0 || !json_is_string(v))
		return 0;
	file = xasprintf("%s/ip%s.bin", json_string_value(v), device + 2);
	for (p = strrchr(file, '/'); *p != '\0'; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	ok = staged_has(dlfd, file, S_IFREG);
	free(file);
	return ok;
}

/* Keeps in the array `list` of each devices[] entry only the names it may
 * keep (device_keeps()); drops devices left without any. */
static void
prune_devices(int dlfd, json_t *devices, const char *list, json_t *keep, int fw)
{
	size_t i = 0, j;

	while (i < json_array_size(devices)) {
		json_t *dev = json_array_get(devices, i), *names = json_object_get(dev, list);
		const char *id = json_string_value(json_object_get(dev, "id"));

		for (j = 0; j < json_array_size(names); ) {
			const char *n = json_string_value(json_array_get(names, j));

			if (n == NULL || id == NULL || !device_keeps(dlfd, id, n, keep, fw))
				json_array_remove(names, j);
			else
				j++;
		}
		if (json_array_size(names) == 0)
			json_array_remove(devices, i);
		else
			i++;
	}
}

/* apps.json, software.json: versions of builds not staged, then items left
 * without a version. */
static void
prune_items(int dlfd, json_t *items)
{
	size_t i = 0;

	while (i < json_array_size(items)) {
		json_t *it = json_array_get(items, i), *v = json_object_get(it, "versions");
		const char *id = json_string_value(json_object_get(it, "id"));

		prune_versions(dlfd, v, id ? id : "");
		if (json_array_size(v) == 0)
			json_array_remove(items, i);
		else
			i++;
	}
}

/* firmware.json: versions of builds not staged, then the releases of
 * devices whose build does not bring the device's ip<model>.bin. */
static void
prune_firmware(int dlfd, json_t *root)
{
	json_t *versions = json_object_get(root, "versions"), *releases = json_object();
	size_t i;

	prune_versions(dlfd, versions, NULL);
	for (i = 0; i < json_array_size(versions); i++) {
		json_t *v = json_array_get(versions, i);
		const char *r = json_string_value(json_object_get(v, "id"));

		if (r != NULL)
			json_object_set(releases, r, json_object_get(v, "build"));
	}
	prune_devices(dlfd, json_object_get(root, "devices"), "versions", releases, 1);
	json_decref(releases);
}

/* linux.json, phoneplatform.json: entries naming a file not staged, then
 * the devices' references to them. */
static void
prune_platforms(int dlfd, json_t *root)
{
	json_t *platforms = json_object_get(root, "platforms"), *kept = json_object();
	size_t i = 0;

	while (i < json_array_size(platforms)) {
		json_t *p = json_array_get(platforms, i);
		const char *id = json_string_value(json_object_get(p, "id"));
		int whole = id != NULL;

		for (size_t s = 0; s < INDEX_PLATFORM_SLOTS && whole; s++) {
			json_t *f = json_object_get(p, index_platform_slots[s]);

			whole = f == NULL || (json_is_string(f) &&
			    staged_has(dlfd, json_string_value(f), S_IFREG));
		}
		if (!whole)
			json_array_remove(platforms, i);
		else {
			json_object_set_new(kept, id, json_true());
			i++;
		}
	}
	prune_devices(dlfd, json_object_get(root, "devices"), "platforms", kept, 0);
	json_decref(kept);
}

static int
prune_index(int dlfd, enum index_kind k, struct errbuf *err)
{
	const char *name = index_kind_file(k);
	json_t *root;
	size_t len;
	char *text;
	int rc = 0;

	if (fs_read_at(dlfd, name, O_NOFOLLOW, INDEX_DEFAULT_MAX_BYTES, &text, &len, NULL) == -1)
		return 0;	/* absent, or too large: adoption reports it */
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	if (!json_is_object(root)) {
		json_decref(root);
		return 0;	/* not JSON: adoption reports it */
	}
	if (k == INDEX_APPS || k == INDEX_SOFTWARE)
		prune_items(dlfd, json_object_get(root, k == INDEX_APPS ? "apps" : "software"));
	else if (k == INDEX_FIRMWARE)
		prune_firmware(dlfd, root);
	else
		prune_platforms(dlfd, root);
	if ((text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		xalloc_failed("bundle index");
	rc = atomic_file_write(dlfd, name, text, strlen(text), 0644, err);
	free(text);
	json_decref(root);
	return rc;
}

int
bundle_prune_index_kinds(int dlfd, unsigned kind_mask, struct errbuf *err)
{
	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		if ((kind_mask & (1u << k)) != 0 && prune_index(dlfd, (enum index_kind)k, err) == -1)
			return -1;
	}
	return 0;
}

int
bundle_prune_indexes(int dlfd, struct errbuf *err)
{
	return bundle_prune_index_kinds(dlfd, ~0u, err);
}
