/*
 * validate: importer-side checks of builds and platform versions; see
 * validate.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy_hash.h"
#include "descriptor.h"
#include "fs_open.h"
#include "store_index.h"
#include "store_layout.h"
#include "validate.h"
#include "xmalloc.h"

/* Applies the rule of published names (build_name_refusal()) to every name
 * below dirfd, shown as prefix/...  Copies already refuse such names (they
 * never reach the staging area); this finds them in `check`, which
 * validates the source folder itself. */
static void
validate_names(int dirfd, const char *prefix, struct diag *d)
{
	struct dirent *de;
	DIR *dir;
	int r = -1, sub;

	if ((dir = fs_opendir_at(dirfd)) != NULL) {
		while ((r = tree_readdir(dir, &de)) == 1) {
			char *rel = xasprintf("%s/%s", prefix, de->d_name);

			if (!copy_name_refused(de->d_name, rel, d) &&
			    (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) &&
			    (sub = fs_open_subdir(dirfd, de->d_name, FS_SUBDIR_OPEN, NULL)) != -1) {
				validate_names(sub, rel, d);
				close(sub);
			}
			free(rel);
		}
	}
	if (r == -1)
		diag_add(d, DIAG_ERROR, prefix, "cannot read the folder: %s", strerror(errno));
	if (dir != NULL)
		closedir(dir);
}

int
validate_build(const struct unit *u, const struct catalog *cat, int kind,
    struct build_result *res, struct diag *d, struct errbuf *err)
{
	size_t errors_before;

	memset(res, 0, sizeof(*res));
	if (!store_build_name_valid(u->name))
		diag_add(d, DIAG_ERROR, u->name, "not a valid build number");
	validate_names(u->fd, u->name, d);
	errors_before = d->errors;
	if (build_check(u->fd, u->name, cat, res, d, err) == -1)
		return -1;
	/* A broken manifest was reported already: "no items" would mislead. */
	if (res->count == 0 && d->errors == errors_before)
		diag_add(d, DIAG_ERROR, u->name, "no items: no <id>_files manifest (nor "
		    "firmware ip<model>.bin/boot<model>.bin of 12r2 and older)");
	for (size_t i = 0; i < res->count; i++) {
		const struct build_item *it = &res->items[i];
		char *where = xasprintf("%s/%s%s", u->name, it->id,
		    it->has_manifest ? STORE_MANIFEST_SUFFIX : "");

		if (!it->complete)
			diag_add(d, DIAG_ERROR, where, "item %s is incomplete: listed files are "
			    "missing or empty", it->id);
		if (kind != KIND_NONE && (int)it->kind != kind)
			diag_add(d, DIAG_ERROR, where, "item %s is %s, not %s", it->id,
			    descriptor_kind_name((int)it->kind), descriptor_kind_name(kind));
		free(where);
	}
	if (catalog_build_release(cat, u->name) == NULL && u->tree == -1)
		diag_add(d, DIAG_ERROR, u->name, "no release id: give --release, a build.json "
		    "or a store tree's indexes");
	else if (catalog_build_release(cat, u->name) == NULL)
		diag_add(d, DIAG_WARNING, u->name, "no release id in the tree's indexes: "
		    "published, but the indexes leave it out until it has one");
	return 0;
}

static int
platform_named(json_t *files, const char *name)
{
	const char *slot;
	json_t *v;

	json_object_foreach(files, slot, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
			return 1;
	}
	return 0;
}

/* Is name a file of another platform that shares this version folder
 * (one app-platform/<v>/ holding the arm, arm64 and x86_64 images): an
 * entry of the same kind whose every file the folder holds? */
static int
platform_named_by_sibling(const struct unit *u, const struct catalog *cat, const char *name)
{
	json_t *section = catalog_section(cat, (enum item_kind)u->kind), *item;
	const char *id;

	json_object_foreach(section, id, item) {
		json_t *files = json_object_get(item, "files");

		if (strcmp(id, u->item_id) != 0 && json_is_object(files) &&
		    json_object_size(files) > 0 && platform_named(files, name) &&
		    store_platform_version_complete(u->fd, files))
			return 1;
	}
	return 0;
}

static void
validate_platform_extra(const struct unit *u, const struct catalog *cat, json_t *files,
    const char *where, struct diag *d)
{
	struct dirent *de;
	DIR *dir;
	int r = -1;

	if ((dir = fs_opendir_at(u->fd)) != NULL) {
		while ((r = tree_readdir(dir, &de)) == 1) {
			if (de->d_name[0] == '.' || strcmp(de->d_name, DESCRIPTOR_FILE) == 0 ||
			    platform_named(files, de->d_name) ||
			    platform_named_by_sibling(u, cat, de->d_name))
				continue;
			diag_add(d, DIAG_WARNING, where, "%s: not named by the platform entry",
			    de->d_name);
		}
	}
	if (r == -1)
		diag_add(d, DIAG_ERROR, where, "cannot read the folder: %s", strerror(errno));
	if (dir != NULL)
		closedir(dir);
}

int
validate_platform(const struct unit *u, const struct catalog *cat, struct diag *d)
{
	char *where = unit_dlrel(u);
	json_t *item = NULL, *files = NULL, *v;
	const char *slot;
	struct stat st;

	if (!store_build_name_valid(u->name))
		diag_add(d, DIAG_ERROR, where, "not a valid platform version");
	validate_names(u->fd, where, d);
	if (u->item_id == NULL)
		diag_add(d, DIAG_ERROR, where, "no platform id: give --id or a build.json "
		    "\"platform\" member");
	else
		item = catalog_item(cat, (enum item_kind)u->kind, u->item_id);
	if (item != NULL)
		files = json_object_get(item, "files");
	if (u->item_id != NULL && (files == NULL || json_object_size(files) == 0))
		diag_add(d, DIAG_ERROR, where, "platform %s names no files (file, update, zip, "
		    "zip2)", u->item_id);
	json_object_foreach(files, slot, v) {
		const char *name = json_string_value(v);

		if (fstatat(u->fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			diag_add(d, DIAG_ERROR, where, "%s: missing (named by %s.%s)", name,
			    u->item_id, slot);
		else if (!S_ISREG(st.st_mode) || st.st_size == 0)
			diag_add(d, DIAG_ERROR, where, "%s: empty or not a regular file", name);
	}
	if (files != NULL)
		validate_platform_extra(u, cat, files, where, d);
	free(where);
	return 0;
}
