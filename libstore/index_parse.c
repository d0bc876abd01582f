/*
 * index_parse: the five store indexes parsed from memory; see
 * index_parse.h and docs/STORE-LAYOUT.md ("Adopting and parsing indexes").
 *
 * One table row per index names its file, its main array and, for the
 * platform indexes, the folder of its versions.  Each array element goes
 * through one small function per shape; a problem is reported with the JSON
 * path of the element ("apps[2].versions[0].build") and the element is left
 * out, so a caller sees only entries whose names are safe to use as paths.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_parse.h"
#include "store_layout.h"
#include "xmalloc.h"

const char *const index_platform_slots[INDEX_PLATFORM_SLOTS] = { "file", "update", "zip", "zip2" };

static const struct {
	const char *file;
	const char *member;	/* the main array, required */
	const char *devices;	/* the devices array (optional), or NULL */
	const char *dir;	/* platform versions below download/, or NULL */
} ip_kinds[INDEX_KIND_COUNT] = {
	[INDEX_APPS] = { "apps.json", "apps", NULL, NULL },
	[INDEX_SOFTWARE] = { "software.json", "software", NULL, NULL },
	[INDEX_FIRMWARE] = { "firmware.json", "versions", "devices", NULL },
	[INDEX_LINUX] = { "linux.json", "platforms", "devices", STORE_APP_PLATFORM_DIR },
	[INDEX_PHONEPLATFORM] = { "phoneplatform.json", "platforms", "devices",
	    STORE_PHONE_PLATFORM_DIR },
};

struct ip_ctx {
	enum index_kind kind;
	const char *what;
	struct index_limits lim;
	struct diag *d;
};

const char *
index_kind_file(enum index_kind kind)
{
	return kind < INDEX_KIND_COUNT ? ip_kinds[kind].file : NULL;
}

const char *
index_kind_platform_dir(enum index_kind kind)
{
	return kind < INDEX_KIND_COUNT ? ip_kinds[kind].dir : NULL;
}

static void __attribute__((format(printf, 4, 5)))
ip_report(struct ip_ctx *c, enum diag_severity sev, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(c->d, sev, c->what, "%s: %s", path, msg);
}

/* A bounded string member of obj: its copy, or NULL (absent members
 * silently; wrong types and over-long strings reported at `sev`). */
static char *
ip_string(struct ip_ctx *c, json_t *obj, const char *key, const char *path,
    enum diag_severity sev)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		ip_report(c, sev, path, "\"%s\": expected a string", key);
		return NULL;
	}
	if (json_string_length(v) > c->lim.max_string) {
		ip_report(c, sev, path, "\"%s\": longer than %zu bytes", key, c->lim.max_string);
		return NULL;
	}
	return xstrdup(json_string_value(v));
}

/* A member that must be an array of at most max_entries (absent: NULL). */
static json_t *
ip_array(struct ip_ctx *c, json_t *obj, const char *key, const char *path, int *bad)
{
	json_t *v = json_object_get(obj, key);

	*bad = 0;
	if (v == NULL)
		return NULL;
	if (!json_is_array(v)) {
		ip_report(c, DIAG_ERROR, path, "\"%s\": expected an array", key);
		*bad = 1;
		return NULL;
	}
	if (json_array_size(v) > c->lim.max_entries) {
		ip_report(c, DIAG_ERROR, path, "\"%s\": more than %zu entries", key,
		    c->lim.max_entries);
		*bad = 1;
		return NULL;
	}
	return v;
}

/* A copy of obj without the members named in `drop` (NULL-terminated). */
static json_t *
ip_fields(json_t *obj, const char *const *drop)
{
	json_t *copy = json_deep_copy(obj);

	for (size_t i = 0; drop[i] != NULL; i++)
		json_object_del(copy, drop[i]);
	return copy;
}

static void
ip_version_free(void *vv)
{
	struct index_version *v = vv;

	free(v->release);
	free(v->build);
	free(v->label);
	free(v->text);
	free(v->wiki);
	json_decref(v->extra);
}

/* Runs `fn` over each element of arr into an array of `size`-byte structs;
 * elements it refuses are freed with `release` and left out. */
static void *
ip_each(struct ip_ctx *c, json_t *arr, const char *name, size_t size,
    int (*fn)(struct ip_ctx *, json_t *, const char *, void *), void (*release)(void *),
    size_t *n)
{
	char *out = xcalloc(json_array_size(arr) + 1, size);
	char path[256];
	json_t *e;
	size_t i;

	*n = 0;
	json_array_foreach(arr, i, e) {
		void *slot = out + *n * size;

		snprintf(path, sizeof(path), "%s[%zu]", name, i);
		if (fn(c, e, path, slot) == 0)
			(*n)++;
		else {
			release(slot);
			memset(slot, 0, size);
		}
	}
	return out;
}

/* "13r1 sr01 [130001]" or "13r1 [130001]" (no label): the label ("" for
 * none), or NULL when the text is not of this form for release and build. */
static char *
ip_firmware_label(const char *text, const char *release, const char *build)
{
	size_t rlen = strlen(release), blen = strlen(build), tlen = strlen(text);
	const char *label, *tail;

	if (tlen < rlen + blen + 3 || strncmp(text, release, rlen) != 0 || text[rlen] != ' ')
		return NULL;
	label = text + rlen + 1;
	tail = text + tlen - blen - 2;
	if (tail[0] != '[' || strncmp(tail + 1, build, blen) != 0 || tail[blen + 1] != ']')
		return NULL;
	if (tail == label)
		return xstrdup("");
	if (tail < label + 2 || tail[-1] != ' ' || memchr(label, ' ', (size_t)(tail - 1 - label)))
		return NULL;
	return xstrndup(label, (size_t)(tail - 1 - label));
}

/* The release and build every versions[] entry needs. */
static int
ip_version_ids(struct ip_ctx *c, json_t *v, const char *path, struct index_version *out)
{
	if (!json_is_object(v)) {
		ip_report(c, DIAG_WARNING, path, "expected an object; entry ignored");
		return -1;
	}
	out->release = ip_string(c, v, "id", path, DIAG_WARNING);
	out->build = ip_string(c, v, "build", path, DIAG_WARNING);
	if (out->release == NULL || out->build == NULL || out->release[0] == '\0') {
		ip_report(c, DIAG_WARNING, path, "needs \"id\" and \"build\" strings; entry ignored");
		return -1;
	}
	if (!store_build_name_valid(out->build)) {
		ip_report(c, DIAG_WARNING, path, "build \"%s\" is not a build number; entry "
		    "ignored", out->build);
		return -1;
	}
	return 0;
}

/* An apps.json / software.json versions[] entry. */
static int
ip_item_version(struct ip_ctx *c, json_t *v, const char *path, void *vout)
{
	static const char *const own[] = { "id", "build", "label", NULL };
	struct index_version *out = vout;

	if (ip_version_ids(c, v, path, out) == -1)
		return -1;
	out->label = ip_string(c, v, "label", path, DIAG_WARNING);
	if (out->label != NULL && out->label[0] == '\0') {
		free(out->label);
		out->label = NULL;
	}
	out->extra = ip_fields(v, own);
	if (json_object_size(out->extra) == 0) {
		json_decref(out->extra);
		out->extra = NULL;
	}
	return 0;
}

/* A firmware.json versions[] entry. */
static int
ip_firmware_version(struct ip_ctx *c, json_t *v, const char *path, void *vout)
{
	struct index_version *out = vout;

	if (ip_version_ids(c, v, path, out) == -1)
		return -1;
	out->wiki = ip_string(c, v, "wiki", path, DIAG_WARNING);
	if ((out->text = ip_string(c, v, "text", path, DIAG_WARNING)) == NULL)
		return 0;
	out->label = ip_firmware_label(out->text, out->release, out->build);
	if (out->label == NULL)
		ip_report(c, DIAG_WARNING, path, "text \"%s\" is not \"<release> <label> "
		    "[<build>]\" or \"<release> [<build>]\"", out->text);
	else if (out->label[0] == '\0') {
		free(out->label);
		out->label = NULL;
	}
	return 0;
}

/* An entry's "id": a valid item id, or NULL (reported as an error). */
static char *
ip_entry_id(struct ip_ctx *c, json_t *e, const char *path)
{
	char *id;

	if (!json_is_object(e)) {
		ip_report(c, DIAG_ERROR, path, "expected an object");
		return NULL;
	}
	id = ip_string(c, e, "id", path, DIAG_ERROR);
	if (id == NULL || !store_item_id_valid(id)) {
		ip_report(c, DIAG_ERROR, path, "missing or invalid \"id\"");
		free(id);
		return NULL;
	}
	return id;
}

/* An apps.json / software.json entry. */
static int
ip_item(struct ip_ctx *c, json_t *e, const char *path, void *vout)
{
	static const char *const own[] = { "id", "versions", NULL };
	char vpath[256];
	json_t *arr;
	int bad;
	struct index_item *out = vout;

	if ((out->id = ip_entry_id(c, e, path)) == NULL)
		return -1;
	snprintf(vpath, sizeof(vpath), "%s.versions", path);
	arr = ip_array(c, e, "versions", path, &bad);
	if (bad)
		return -1;
	out->versions = ip_each(c, arr, vpath, sizeof(*out->versions), ip_item_version,
	    ip_version_free, &out->nversions);
	out->fields = ip_fields(e, own);
	return 0;
}

/* "<dir>/<version>/<name>" with a valid version and one plain name. */
static int
ip_platform_path(const char *dir, const char *path, struct index_platform_file *f)
{
	size_t dlen = strlen(dir);
	const char *v, *slash;

	if (strncmp(path, dir, dlen) != 0 || path[dlen] != '/')
		return -1;
	v = path + dlen + 1;
	if ((slash = strchr(v, '/')) == NULL)
		return -1;
	f->version = xstrndup(v, (size_t)(slash - v));
	f->name = xstrdup(slash + 1);
	if (!store_build_name_valid(f->version) || f->name[0] == '\0' || f->name[0] == '.' ||
	    strchr(f->name, '/') != NULL || strchr(f->name, '\\') != NULL)
		return -1;
	return 0;
}

/* The file roles of a platform entry; those outside <dir>/<version>/ are
 * left out with a warning. */
static void
ip_platform_files(struct ip_ctx *c, json_t *e, const char *path, struct index_platform *out)
{
	const char *dir = ip_kinds[c->kind].dir;

	out->files = xcalloc(INDEX_PLATFORM_SLOTS, sizeof(*out->files));
	for (size_t s = 0; s < INDEX_PLATFORM_SLOTS; s++) {
		struct index_platform_file *f = &out->files[out->nfiles];
		char *p = ip_string(c, e, index_platform_slots[s], path, DIAG_WARNING);

		if (p == NULL)
			continue;
		f->role = index_platform_slots[s];
		f->path = p;
		if (ip_platform_path(dir, p, f) == 0 &&
		    (out->version == NULL || strcmp(out->version, f->version) == 0)) {
			out->nfiles++;
			continue;
		}
		ip_report(c, DIAG_WARNING, path, "%s.%s: \"%s\" is not in %s/%s/", out->id,
		    f->role, p, dir, out->version != NULL ? out->version : "<version>");
		free(f->path);
		free(f->version);
		free(f->name);
		memset(f, 0, sizeof(*f));
	}
}

/* A linux.json / phoneplatform.json platforms[] entry. */
static int
ip_platform(struct ip_ctx *c, json_t *e, const char *path, void *vout)
{
	static const char *const own[] = { "id", "version", NULL };
	struct index_platform *out = vout;

	if ((out->id = ip_entry_id(c, e, path)) == NULL)
		return -1;
	out->version = ip_string(c, e, "version", path, DIAG_WARNING);
	if (out->version != NULL && !store_build_name_valid(out->version)) {
		ip_report(c, DIAG_WARNING, path, "version \"%s\" is not a version number; "
		    "ignored", out->version);
		free(out->version);
		out->version = NULL;
	}
	ip_platform_files(c, e, path, out);
	out->fields = ip_fields(e, own);
	for (size_t s = 0; s < INDEX_PLATFORM_SLOTS; s++)
		json_object_del(out->fields, index_platform_slots[s]);
	return 0;
}

/* A devices[] entry: an id and an array of names ("versions" in
 * firmware.json, "platforms" in the platform indexes). */
static int
ip_device(struct ip_ctx *c, json_t *e, const char *path, void *vout)
{
	const char *key = c->kind == INDEX_FIRMWARE ? "versions" : "platforms";
	char npath[256];
	json_t *arr, *v;
	size_t i;
	int bad;
	struct index_device *out = vout;

	if (!json_is_object(e) || (out->id = ip_string(c, e, "id", path, DIAG_WARNING)) == NULL) {
		ip_report(c, DIAG_WARNING, path, "needs an \"id\" string; entry ignored");
		return -1;
	}
	arr = ip_array(c, e, key, path, &bad);
	if (bad)
		return -1;
	out->names = xcalloc(json_array_size(arr) + 1, sizeof(*out->names));
	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && json_string_length(v) <= c->lim.max_string) {
			out->names[out->nnames++] = xstrdup(json_string_value(v));
			continue;
		}
		snprintf(npath, sizeof(npath), "%s.%s[%zu]", path, key, i);
		ip_report(c, DIAG_WARNING, npath, "expected a string of at most %zu bytes; "
		    "ignored", c->lim.max_string);
	}
	return 0;
}

static void
ip_item_free(void *vit)
{
	struct index_item *it = vit;

	free(it->id);
	json_decref(it->fields);
	for (size_t i = 0; i < it->nversions; i++)
		ip_version_free(&it->versions[i]);
	free(it->versions);
}

static void
ip_platform_free(void *vp)
{
	struct index_platform *p = vp;

	free(p->id);
	free(p->version);
	for (size_t i = 0; i < p->nfiles; i++) {
		free(p->files[i].path);
		free(p->files[i].version);
		free(p->files[i].name);
	}
	free(p->files);
	json_decref(p->fields);
}

static void
ip_device_free(void *vdev)
{
	struct index_device *dev = vdev;

	free(dev->id);
	for (size_t i = 0; i < dev->nnames; i++)
		free(dev->names[i]);
	free(dev->names);
}

/* Fills doc from the parsed root; -1 when its shape is refused. */
static int
ip_document(struct ip_ctx *c, json_t *root, struct index_doc *doc)
{
	const char *member = ip_kinds[c->kind].member, *devices = ip_kinds[c->kind].devices;
	json_t *main_arr, *dev_arr = NULL;
	int bad;

	if (!json_is_object(root)) {
		ip_report(c, DIAG_ERROR, "(top)", "expected an object");
		return -1;
	}
	main_arr = ip_array(c, root, member, "(top)", &bad);
	if (!bad && main_arr == NULL) {
		ip_report(c, DIAG_ERROR, "(top)", "\"%s\": missing", member);
		bad = 1;
	}
	if (!bad && devices != NULL)
		dev_arr = ip_array(c, root, devices, "(top)", &bad);
	if (bad)
		return -1;
	if (c->kind == INDEX_APPS || c->kind == INDEX_SOFTWARE)
		doc->items = ip_each(c, main_arr, member, sizeof(*doc->items), ip_item,
		    ip_item_free, &doc->nitems);
	else if (c->kind == INDEX_FIRMWARE)
		doc->versions = ip_each(c, main_arr, member, sizeof(*doc->versions),
		    ip_firmware_version, ip_version_free, &doc->nversions);
	else
		doc->platforms = ip_each(c, main_arr, member, sizeof(*doc->platforms),
		    ip_platform, ip_platform_free, &doc->nplatforms);
	if (devices != NULL)
		doc->devices = ip_each(c, dev_arr, devices, sizeof(*doc->devices), ip_device,
		    ip_device_free, &doc->ndevices);
	return 0;
}

int
index_parse(enum index_kind kind, const char *buf, size_t len, const char *what,
    const struct index_limits *lim, struct index_doc **out, struct diag *d)
{
	struct ip_ctx c = { kind, what, { INDEX_DEFAULT_MAX_BYTES,
	    INDEX_DEFAULT_MAX_ENTRIES, INDEX_DEFAULT_MAX_STRING }, d };
	struct index_doc *doc = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	int rc = -1;

	*out = NULL;
	if (kind >= INDEX_KIND_COUNT) {
		diag_add(d, DIAG_ERROR, what != NULL ? what : "index", "unknown index kind %d",
		    (int)kind);
		return -1;
	}
	if (what == NULL)
		c.what = ip_kinds[kind].file;
	if (lim != NULL && lim->max_bytes != 0)
		c.lim.max_bytes = lim->max_bytes;
	if (lim != NULL && lim->max_entries != 0)
		c.lim.max_entries = lim->max_entries;
	if (lim != NULL && lim->max_string != 0)
		c.lim.max_string = lim->max_string;
	if (len > c.lim.max_bytes) {
		diag_add(d, DIAG_ERROR, c.what, "longer than %zu bytes", c.lim.max_bytes);
		goto out;
	}
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		diag_add(d, DIAG_ERROR, c.what, "line %d column %d: %s", jerr.line, jerr.column,
		    jerr.text);
		goto out;
	}
	doc = xcalloc(1, sizeof(*doc));
	doc->kind = kind;
	if (ip_document(&c, root, doc) == -1)
		goto out;
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	index_doc_free(doc);
	json_decref(root);
	return rc;
}

void
index_doc_free(struct index_doc *doc)
{
	if (doc == NULL)
		return;
	for (size_t i = 0; i < doc->nitems; i++)
		ip_item_free(&doc->items[i]);
	free(doc->items);
	for (size_t i = 0; i < doc->nversions; i++)
		ip_version_free(&doc->versions[i]);
	free(doc->versions);
	for (size_t i = 0; i < doc->nplatforms; i++)
		ip_platform_free(&doc->platforms[i]);
	free(doc->platforms);
	for (size_t i = 0; i < doc->ndevices; i++)
		ip_device_free(&doc->devices[i]);
	free(doc->devices);
	free(doc);
}
