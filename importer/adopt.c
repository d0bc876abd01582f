/*
 * adopt: take over the metadata of a store tree's JSON indexes; see
 * adopt.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "descriptor.h"
#include "fs_open.h"
#include "index_parse.h"
#include "store_index.h"
#include "store_layout.h"
#include "xmalloc.h"

struct adopt {
	const struct tree_src *t;
	int index;
	struct unit_list *ul;
	struct catalog *cat;
	struct diag *d;
	char *seen;		/* per unit: 0; 1 named (builds) or held files of an entry
			 * (platform folders); 2 named by a platform entry */
	int upstream;		/* adopt_tree()'s argument */
	struct errbuf err;
};

/* Parses an index into *doc, reporting its problems; of an upstream's
 * index that is accepted, the entries left out are warnings (adopt.h). */
static void
adopt_parse(struct adopt *a, enum index_kind kind, const char *text, size_t len,
    const char *where, struct index_doc **doc)
{
	struct diag *d = a->upstream ? diag_create() : a->d;
	int rc = index_parse(kind, text, len, where, NULL, doc, d);

	if (d == a->d)
		return;
	for (size_t i = 0; i < d->count; i++)
		diag_add(a->d, rc == 0 ? DIAG_WARNING : d->entries[i].severity,
		    d->entries[i].where, "%s", d->entries[i].message);
	diag_free(d);
}

/* The index `kind` of the tree, parsed; NULL when absent or refused
 * (reported). */
static struct index_doc *
adopt_load(struct adopt *a, enum index_kind kind)
{
	const char *file = index_kind_file(kind);
	char *where = xasprintf("%s/%s", a->t->rel, file), *text = NULL;
	struct index_doc *doc = NULL;
	size_t len = 0;

	if (fs_read_at(a->t->fd, file, O_NOFOLLOW, INDEX_DEFAULT_MAX_BYTES, &text, &len,
	    &a->err) == 0)
		adopt_parse(a, kind, text, len, where, &doc);
	else if (errno != ENOENT)
		diag_add(a->d, DIAG_ERROR, where, "%s", a->err.msg);
	free(text);
	free(where);
	return doc;
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
adopt_version(struct adopt *a, const char *where, const char *id,
    const struct index_version *v, int want_manifest)
{
	char *manifest = xasprintf("%s%s", id, STORE_MANIFEST_SUFFIX);
	const char *label = v->label;
	struct stat st;
	int ui;

	if (!descriptor_release_valid(v->release)) {
		diag_add(a->d, DIAG_WARNING, where, "invalid release \"%s\" of build %s; "
		    "entry ignored", v->release, v->build);
		goto out;
	}
	if ((ui = adopt_find_unit(a, UNIT_BUILD, 0, v->build)) == -1 &&
	    !(a->upstream && catalog_build_release(a->cat, v->build) != NULL)) {
		diag_add(a->d, DIAG_WARNING, where, "build %s of %s: folder missing", v->build, id);
		goto out;
	}
	if (ui != -1) {
		a->seen[ui] = 1;
		if (want_manifest && fstatat(a->ul->units[ui].fd, manifest, &st, 0) == -1)
			diag_add(a->d, DIAG_WARNING, where, "build %s has no %s", v->build,
			    manifest);
	}
	if (v->label != NULL && !descriptor_label_valid(v->label)) {
		diag_add(a->d, DIAG_WARNING, where, "invalid label \"%s\" of build %s; label "
		    "ignored", v->label, v->build);
		label = NULL;
	}
	adopt_err(a, where, catalog_set_build(a->cat, v->build, v->release, label, &a->err));
out:
	free(manifest);
}

/* apps.json and software.json entries. */
static void
adopt_items(struct adopt *a, enum index_kind ikind, enum item_kind kind)
{
	struct index_doc *doc = adopt_load(a, ikind);
	char *where = xasprintf("%s/%s", a->t->rel, index_kind_file(ikind));

	for (size_t i = 0; doc != NULL && i < doc->nitems; i++) {
		const struct index_item *it = &doc->items[i];

		adopt_err(a, where, catalog_merge_item(a->cat, kind, it->id, it->fields, &a->err));
		for (size_t j = 0; j < it->nversions; j++) {
			const struct index_version *v = &it->versions[j];

			adopt_version(a, where, it->id, v, 1);
			if (v->extra != NULL && catalog_build_release(a->cat, v->build) != NULL)
				adopt_err(a, where, catalog_set_item_fields(a->cat, v->build, it->id,
				    v->extra, &a->err));
		}
	}
	free(where);
	index_doc_free(doc);
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
adopt_firmware_devices(struct adopt *a, const struct index_doc *doc, const char *where)
{
	for (size_t i = 0; i < doc->ndevices; i++) {
		const struct index_device *dev = &doc->devices[i];
		char *image = adopt_fw_image(dev->id);

		if (image == NULL) {
			diag_add(a->d, DIAG_WARNING, where, "devices[%zu]: \"%s\" is not IP<model>; "
			    "devices are derived from ip<model>.bin files, so it will not be listed",
			    i, dev->id);
			continue;
		}
		for (size_t j = 0; j < dev->nnames; j++) {
			const char *release = dev->names[j];
			int builds = 0;

			if (adopt_release_has_file(a, release, image, &builds))
				continue;
			if (builds == 0)
				diag_add(a->d, DIAG_WARNING, where, "devices[%zu] %s: no build of "
				    "release \"%s\" in the tree", i, dev->id, release);
			else
				diag_add(a->d, DIAG_WARNING, where, "devices[%zu] %s: no build of "
				    "release %s holds %s; the device loses that release", i, dev->id,
				    release, image);
		}
		free(image);
	}
}

static void
adopt_firmware(struct adopt *a)
{
	struct index_doc *doc = adopt_load(a, INDEX_FIRMWARE);
	char *where = xasprintf("%s/%s", a->t->rel, index_kind_file(INDEX_FIRMWARE));

	for (size_t i = 0; doc != NULL && i < doc->nversions; i++) {
		const struct index_version *v = &doc->versions[i];

		adopt_version(a, where, "firmware", v, 0);
		if (v->wiki != NULL && catalog_build_release(a->cat, v->build) != NULL)
			adopt_err(a, where, catalog_set_release_wiki(a->cat, v->release, v->wiki,
			    &a->err));
	}
	if (doc != NULL)
		adopt_firmware_devices(a, doc, where);
	free(where);
	index_doc_free(doc);
}

/* The ids of the devices listing platform `id`. */
static json_t *
adopt_platform_devices(const struct index_doc *doc, const char *id)
{
	json_t *out = json_array();

	for (size_t i = 0; i < doc->ndevices; i++) {
		for (size_t j = 0; j < doc->devices[i].nnames; j++) {
			if (strcmp(doc->devices[i].names[j], id) == 0)
				json_array_append_new(out, json_string(doc->devices[i].id));
		}
	}
	return out;
}

/* Gives platform unit ui the id `id`: the first entry naming the folder
 * wins, else the first whose files it holds. */
static void
adopt_platform_unit_id(struct adopt *a, int ui, const char *id, int named)
{
	struct unit *u = &a->ul->units[ui];

	if (named ? a->seen[ui] != 2 : a->seen[ui] == 0) {
		free(u->item_id);
		u->item_id = xstrdup(id);
		a->seen[ui] = named ? 2 : 1;
	}
}

/* The files of one platform entry: each in its version folder and present;
 * the names go into `files` (role -> name). */
static void
adopt_platform_files(struct adopt *a, const char *where, int kind,
    const struct index_platform *p, json_t *files)
{
	struct stat st;
	int ui;

	for (size_t f = 0; f < p->nfiles; f++) {
		const struct index_platform_file *pf = &p->files[f];

		if ((ui = adopt_find_unit(a, UNIT_PLATFORM, kind, pf->version)) == -1 ||
		    fstatat(a->ul->units[ui].fd, pf->name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			diag_add(a->d, DIAG_WARNING, where, "%s.%s: %s: file missing", p->id,
			    pf->role, pf->path);
			continue;
		}
		adopt_platform_unit_id(a, ui, p->id, 1);
		json_object_set_new(files, pf->role, json_string(pf->name));
	}
}

/*
 * The indexes name only the latest version folder of each platform, so an
 * older one is adopted with the id of the first entry (index order) whose
 * files it holds completely (the rule index_platforms.c picks versions by);
 * with none, the id of the index's only entry, whose files validation then
 * finds missing.
 */
static void
adopt_platform_older(struct adopt *a, int kind, const struct index_doc *doc, json_t **files)
{
	for (size_t i = 0; i < a->ul->count; i++) {
		const struct unit *u = &a->ul->units[i];
		size_t p = 0;

		if (u->tree != a->index || u->type != UNIT_PLATFORM || u->kind != kind ||
		    a->seen[i] != 0)
			continue;
		while (p < doc->nplatforms && !store_platform_version_complete(u->fd, files[p]))
			p++;
		if (p < doc->nplatforms)
			adopt_platform_unit_id(a, (int)i, doc->platforms[p].id, 0);
		else if (doc->nplatforms == 1)
			adopt_platform_unit_id(a, (int)i, doc->platforms[0].id, 0);
	}
}

static void
adopt_platforms(struct adopt *a, enum index_kind ikind, int kind)
{
	struct index_doc *doc = adopt_load(a, ikind);
	char *where = xasprintf("%s/%s", a->t->rel, index_kind_file(ikind));
	json_t **files;

	if (doc == NULL) {
		free(where);
		return;
	}
	files = xcalloc(doc->nplatforms + 1, sizeof(*files));
	for (size_t i = 0; i < doc->nplatforms; i++) {
		const struct index_platform *p = &doc->platforms[i];
		json_t *fields = json_deep_copy(p->fields);

		files[i] = json_object();
		adopt_platform_files(a, where, kind, p, files[i]);
		json_object_set(fields, "files", files[i]);
		json_object_set_new(fields, "devices", adopt_platform_devices(doc, p->id));
		adopt_err(a, where, catalog_merge_item(a->cat, (enum item_kind)kind, p->id, fields,
		    &a->err));
		json_decref(fields);
	}
	adopt_platform_older(a, kind, doc, files);
	for (size_t i = 0; i < doc->nplatforms; i++)
		json_decref(files[i]);
	free(files);
	free(where);
	index_doc_free(doc);
}

void
adopt_tree(const struct tree_src *t, int index, struct unit_list *ul, struct catalog *cat,
    int upstream, struct diag *d)
{
	struct adopt a = { t, index, ul, cat, d, xcalloc(ul->count + 1, 1), upstream,
	    { { 0 } } };

	adopt_items(&a, INDEX_APPS, ITEM_APP);
	adopt_items(&a, INDEX_SOFTWARE, ITEM_SOFTWARE);
	adopt_firmware(&a);
	adopt_platforms(&a, INDEX_LINUX, ITEM_PLATFORM);
	adopt_platforms(&a, INDEX_PHONEPLATFORM, ITEM_PHONEPLATFORM);
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
