/*
 * catalog: load, validate, query, change and save catalog.json; see
 * catalog.h.  The validation rules are tables (one per section) so that a
 * new known field is one line; unknown fields pass untouched.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "catalog.h"
#include "fs_open.h"
#include "store_layout.h"
#include "xmalloc.h"

struct catalog {
	json_t *root;
};

enum field_type {
	FIELD_STRING,		/* any string */
	FIELD_NAME,		/* a file or folder name */
	FIELD_STRARRAY,		/* an array of strings */
	FIELD_LICENSE,		/* "free", "innovaphone" or "partner" */
	FIELD_FILES,		/* an object of role -> file name */
	FIELD_RESERVED		/* computed by the indexes; refused */
};

struct field_rule {
	const char *name;
	enum field_type type;
};

static const struct field_rule catalog_app_rules[] = {
	{ "id", FIELD_RESERVED }, { "versions", FIELD_RESERVED },
	{ "folder", FIELD_NAME }, { "binary", FIELD_NAME },
	{ "manufacturer", FIELD_STRING }, { "title", FIELD_STRING },
	{ "license_type", FIELD_LICENSE }, { "description", FIELD_STRING },
	{ "support", FIELD_STRING }, { "impressum", FIELD_STRING },
	{ "license_info", FIELD_STRING }, { "eula", FIELD_STRING },
	{ "langs", FIELD_STRARRAY }, { "categories", FIELD_STRARRAY },
	{ NULL, FIELD_STRING }
};

static const struct field_rule catalog_firmware_rules[] = {
	{ "devices", FIELD_STRARRAY },
	{ NULL, FIELD_STRING }
};

static const struct field_rule catalog_platform_rules[] = {
	{ "id", FIELD_RESERVED }, { "version", FIELD_RESERVED },
	{ "text", FIELD_STRING }, { "devices", FIELD_STRARRAY },
	{ "files", FIELD_FILES },
	{ NULL, FIELD_STRING }
};

static const struct field_rule catalog_release_rules[] = {
	{ "wiki", FIELD_STRING },
	{ NULL, FIELD_STRING }
};

static const struct field_rule catalog_version_rules[] = {
	{ "id", FIELD_RESERVED }, { "build", FIELD_RESERVED }, { "label", FIELD_RESERVED },
	{ NULL, FIELD_STRING }
};

/* One row per item kind: its section and the rules of its items. */
static const struct {
	const char *kind;
	const char *section;
	const struct field_rule *rules;
} catalog_kinds[ITEM_KIND_COUNT] = {
	[ITEM_APP] = { "app", "apps", catalog_app_rules },
	[ITEM_FIRMWARE] = { "firmware", "firmware", catalog_firmware_rules },
	[ITEM_SOFTWARE] = { "software", "software", catalog_app_rules },
	[ITEM_PLATFORM] = { "platform", "platforms", catalog_platform_rules },
	[ITEM_PHONEPLATFORM] = { "phoneplatform", "phoneplatforms", catalog_platform_rules },
};

/* The kinds whose items are found in build folders (one id, one kind). */
static const enum item_kind catalog_build_kinds[] = { ITEM_APP, ITEM_FIRMWARE, ITEM_SOFTWARE };

const char *
item_kind_name(enum item_kind kind)
{
	return kind < ITEM_KIND_COUNT ? catalog_kinds[kind].kind : "?";
}

const char *
catalog_section_name(enum item_kind kind)
{
	return kind < ITEM_KIND_COUNT ? catalog_kinds[kind].section : "?";
}

/* A name usable as one path component below a build or platform folder. */
static int
catalog_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 255 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || c == '/' || c == '\\')
			return 0;
	}
	return 1;
}

static int
catalog_check_strarray(json_t *v, const char *path, struct errbuf *err)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return errbuf_set(err, "%s: expected an array of strings", path);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return errbuf_set(err, "%s[%zu]: expected a string", path, i);
	}
	return 0;
}

static int
catalog_check_files(json_t *v, const char *path, struct errbuf *err)
{
	const char *role;
	json_t *e;

	if (!json_is_object(v))
		return errbuf_set(err, "%s: expected an object of file names", path);
	json_object_foreach(v, role, e) {
		if (!json_is_string(e))
			return errbuf_set(err, "%s.%s: expected a string", path, role);
		if (!catalog_name_valid(json_string_value(e)))
			return errbuf_set(err, "%s.%s: \"%s\" is not a valid file name", path,
			    role, json_string_value(e));
	}
	return 0;
}

static int
catalog_check_field(json_t *v, enum field_type type, const char *path, struct errbuf *err)
{
	const char *s;

	switch (type) {
	case FIELD_RESERVED:
		return errbuf_set(err, "%s: reserved (the indexes compute it)", path);
	case FIELD_STRARRAY:
		return catalog_check_strarray(v, path, err);
	case FIELD_FILES:
		return catalog_check_files(v, path, err);
	default:
		break;
	}
	if (!json_is_string(v))
		return errbuf_set(err, "%s: expected a string", path);
	s = json_string_value(v);
	if (type == FIELD_NAME && !catalog_name_valid(s))
		return errbuf_set(err, "%s: \"%s\" is not a valid file name", path, s);
	if (type == FIELD_LICENSE && strcmp(s, "free") != 0 && strcmp(s, "innovaphone") != 0 &&
	    strcmp(s, "partner") != 0)
		return errbuf_set(err, "%s: \"%s\" is not one of free, innovaphone, partner",
		    path, s);
	return 0;
}

/* Checks the known fields of one object `path` against `rules`. */
static int
catalog_check_object(json_t *obj, const struct field_rule *rules, const char *path,
    struct errbuf *err)
{
	const struct field_rule *r;
	char *fpath;
	json_t *v;
	int rc;

	if (!json_is_object(obj))
		return errbuf_set(err, "%s: expected an object", path);
	for (r = rules; r->name != NULL; r++) {
		if ((v = json_object_get(obj, r->name)) == NULL)
			continue;
		fpath = xasprintf("%s.%s", path, r->name);
		rc = catalog_check_field(v, r->type, fpath, err);
		free(fpath);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Checks one section: an object of valid keys -> objects following rules. */
static int
catalog_check_map(json_t *map, const char *section, int (*key_valid)(const char *),
    const struct field_rule *rules, struct errbuf *err)
{
	const char *key;
	char *path;
	json_t *v;
	int rc;

	if (!json_is_object(map))
		return errbuf_set(err, "%s: expected an object", section);
	json_object_foreach(map, key, v) {
		path = xasprintf("%s.%s", section, key);
		if (!key_valid(key))
			rc = errbuf_set(err, "%s: not a valid id", path);
		else
			rc = catalog_check_object(v, rules, path, err);
		free(path);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
catalog_check_build(const char *build, json_t *b, struct errbuf *err)
{
	static const struct field_rule rules[] = {
		{ "release", FIELD_STRING }, { "label", FIELD_STRING }, { NULL, FIELD_STRING }
	};
	json_t *fields, *rel;
	char *path;
	int rc;

	path = xasprintf("builds.%s", build);
	rc = catalog_check_object(b, rules, path, err);
	free(path);
	if (rc == -1)
		return -1;
	rel = json_object_get(b, "release");
	if (rel != NULL && !store_release_id_valid(json_string_value(rel)))
		return errbuf_set(err, "builds.%s.release: \"%s\" is not a valid release id",
		    build, json_string_value(rel));
	if ((fields = json_object_get(b, "item_fields")) == NULL)
		return 0;
	path = xasprintf("builds.%s.item_fields", build);
	rc = catalog_check_map(fields, path, store_item_id_valid, catalog_version_rules, err);
	free(path);
	return rc;
}

static int
catalog_check_builds(json_t *builds, struct errbuf *err)
{
	const char *build;
	json_t *b;

	if (!json_is_object(builds))
		return errbuf_set(err, "builds: expected an object");
	json_object_foreach(builds, build, b) {
		if (!store_build_name_valid(build))
			return errbuf_set(err, "builds.%s: not a valid build number", build);
		if (catalog_check_build(build, b, err) == -1)
			return -1;
	}
	return 0;
}

/* An id may be in only one of the sections found in build folders. */
static int
catalog_check_unique(json_t *root, struct errbuf *err)
{
	const size_t n = sizeof(catalog_build_kinds) / sizeof(catalog_build_kinds[0]);
	const char *sa, *sb, *id;
	json_t *a, *b, *v;

	for (size_t i = 0; i < n; i++) {
		sa = catalog_kinds[catalog_build_kinds[i]].section;
		if ((a = json_object_get(root, sa)) == NULL)
			continue;
		for (size_t j = i + 1; j < n; j++) {
			sb = catalog_kinds[catalog_build_kinds[j]].section;
			if ((b = json_object_get(root, sb)) == NULL)
				continue;
			json_object_foreach(a, id, v) {
				if (json_object_get(b, id) != NULL)
					return errbuf_set(err, "%s.%s: also in %s", sb, id, sa);
			}
		}
	}
	return 0;
}

/* Validates a whole tree; err gets the field path (no file prefix). */
static int
catalog_check(json_t *root, struct errbuf *err)
{
	json_t *v;

	if (!json_is_object(root))
		return errbuf_set(err, "expected an object at the top level");
	if ((v = json_object_get(root, "releases")) != NULL &&
	    catalog_check_map(v, "releases", store_release_id_valid, catalog_release_rules,
	    err) == -1)
		return -1;
	if ((v = json_object_get(root, "builds")) != NULL && catalog_check_builds(v, err) == -1)
		return -1;
	for (int k = 0; k < ITEM_KIND_COUNT; k++) {
		v = json_object_get(root, catalog_kinds[k].section);
		if (v != NULL && catalog_check_map(v, catalog_kinds[k].section,
		    store_item_id_valid, catalog_kinds[k].rules, err) == -1)
			return -1;
	}
	return catalog_check_unique(root, err);
}

struct catalog *
catalog_create(void)
{
	struct catalog *cat = xcalloc(1, sizeof(*cat));

	cat->root = json_object();
	if (cat->root == NULL)
		xalloc_failed("a JSON object");
	return cat;
}

void
catalog_free(struct catalog *cat)
{
	if (cat == NULL)
		return;
	json_decref(cat->root);
	free(cat);
}

/* Takes the reference of root when it is valid. */
static int
catalog_adopt(json_t *root, const char *what, struct catalog **out, struct errbuf *err)
{
	struct catalog *cat;

	if (catalog_check(root, err) == -1) {
		json_decref(root);
		return errbuf_prefix(err, "%s", what);
	}
	cat = xcalloc(1, sizeof(*cat));
	cat->root = root;
	*out = cat;
	return 0;
}

int
catalog_parse(const char *text, size_t len, const char *what, struct catalog **out,
    struct errbuf *err)
{
	json_error_t jerr;
	json_t *root;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return errbuf_set(err, "%s: line %d, column %d: %s", what, jerr.line,
		    jerr.column, jerr.text);
	return catalog_adopt(root, what, out, err);
}

int
catalog_load_at(int dirfd, const char *name, struct catalog **out, struct errbuf *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (fs_read_at(dirfd, name, 0, SIZE_MAX, &text, &len, err) == -1)
		return errno == ENOENT ? 0 : errbuf_prefix(err, "%s", name);
	rc = catalog_parse(text, len, name, out, err);
	free(text);
	return rc;
}

int
catalog_load(const char *path, struct catalog **out, struct errbuf *err)
{
	return catalog_load_at(AT_FDCWD, path, out, err);
}

char *
catalog_dump(const struct catalog *cat)
{
	char *text, *nl;

	text = json_dumps(cat->root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL)
		xalloc_failed("catalog.json text");
	nl = xasprintf("%s\n", text);
	free(text);
	return nl;
}

int
catalog_save_at(const struct catalog *cat, int dirfd, const char *name, struct errbuf *err)
{
	char *text = catalog_dump(cat);
	int rc;

	rc = atomic_file_write(dirfd, name, text, strlen(text), 0644, err);
	free(text);
	return rc;
}

int
catalog_save(const struct catalog *cat, const char *path, struct errbuf *err)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int dirfd, rc;

	if (slash == NULL)
		return catalog_save_at(cat, AT_FDCWD, path, err);
	dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1) {
		rc = errbuf_set_errno(err, "%s", dir);
		free(dir);
		return rc;
	}
	free(dir);
	rc = catalog_save_at(cat, dirfd, slash + 1, err);
	if (rc == -1)
		errbuf_prefix(err, "%s", path);
	close(dirfd);
	return rc;
}

json_t *
catalog_json(const struct catalog *cat)
{
	return cat->root;
}

json_t *
catalog_section(const struct catalog *cat, enum item_kind kind)
{
	if (kind >= ITEM_KIND_COUNT)
		return NULL;
	return json_object_get(cat->root, catalog_kinds[kind].section);
}

json_t *
catalog_item(const struct catalog *cat, enum item_kind kind, const char *id)
{
	return json_object_get(catalog_section(cat, kind), id);
}

const char *
catalog_item_string(const struct catalog *cat, enum item_kind kind, const char *id,
    const char *field)
{
	return json_string_value(json_object_get(catalog_item(cat, kind, id), field));
}

int
catalog_item_kind(const struct catalog *cat, const char *id, enum item_kind *kind)
{
	const size_t n = sizeof(catalog_build_kinds) / sizeof(catalog_build_kinds[0]);

	for (size_t i = 0; i < n; i++) {
		if (catalog_item(cat, catalog_build_kinds[i], id) != NULL) {
			*kind = catalog_build_kinds[i];
			return 1;
		}
	}
	return 0;
}

static json_t *
catalog_build(const struct catalog *cat, const char *build)
{
	return json_object_get(json_object_get(cat->root, "builds"), build);
}

const char *
catalog_build_release(const struct catalog *cat, const char *build)
{
	return json_string_value(json_object_get(catalog_build(cat, build), "release"));
}

const char *
catalog_build_label(const struct catalog *cat, const char *build)
{
	return json_string_value(json_object_get(catalog_build(cat, build), "label"));
}

const char *
catalog_release_wiki(const struct catalog *cat, const char *release)
{
	json_t *rel = json_object_get(json_object_get(cat->root, "releases"), release);

	return json_string_value(json_object_get(rel, "wiki"));
}

json_t *
catalog_build_item_fields(const struct catalog *cat, const char *build, const char *id)
{
	json_t *v = json_object_get(json_object_get(catalog_build(cat, build), "item_fields"), id);

	return json_is_object(v) ? v : NULL;
}

/* Sets a copy of the tree with the change made by `change`, when the
 * result is valid; the catalog stays untouched on failure. */
static int
catalog_change(struct catalog *cat, int (*change)(json_t *, void *), void *arg,
    struct errbuf *err)
{
	json_t *copy = json_deep_copy(cat->root);

	if (copy == NULL)
		xalloc_failed("a copy of the catalog");
	if (change(copy, arg) == -1 || catalog_check(copy, err) == -1) {
		json_decref(copy);
		return -1;
	}
	json_decref(cat->root);
	cat->root = copy;
	return 0;
}

/* obj.<key>, created as an empty object when absent. */
static json_t *
catalog_child(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		v = json_object();
		json_object_set_new(obj, key, v);
	}
	return v;
}

struct catalog_change_arg {
	const char *a, *b, *c;
	json_t *fields;
	struct errbuf *err;
};

static int
catalog_do_set_build(json_t *root, void *varg)
{
	struct catalog_change_arg *arg = varg;
	json_t *b;

	if (!store_build_name_valid(arg->a))
		return errbuf_set(arg->err, "builds.%s: not a valid build number", arg->a);
	b = catalog_child(catalog_child(root, "builds"), arg->a);
	if (!json_is_object(b))
		return errbuf_set(arg->err, "builds.%s: expected an object", arg->a);
	json_object_set_new(b, "release", json_string(arg->b));
	if (arg->c != NULL)
		json_object_set_new(b, "label", json_string(arg->c));
	if (store_release_id_valid(arg->b))
		catalog_child(catalog_child(root, "releases"), arg->b);
	return 0;
}

int
catalog_set_build(struct catalog *cat, const char *build, const char *release,
    const char *label, struct errbuf *err)
{
	struct catalog_change_arg arg = { build, release, label, NULL, err };

	if (release == NULL)
		return errbuf_set(err, "builds.%s.release: missing", build);
	return catalog_change(cat, catalog_do_set_build, &arg, err);
}

static int
catalog_do_remove_build(json_t *root, void *varg)
{
	struct catalog_change_arg *arg = varg;
	json_t *builds = json_object_get(root, "builds");

	if (json_is_object(builds))
		json_object_del(builds, arg->a);
	return 0;
}

int
catalog_remove_build(struct catalog *cat, const char *build, struct errbuf *err)
{
	struct catalog_change_arg arg = { build, NULL, NULL, NULL, err };

	return catalog_change(cat, catalog_do_remove_build, &arg, err);
}

static int
catalog_do_set_wiki(json_t *root, void *varg)
{
	struct catalog_change_arg *arg = varg;
	json_t *rel;

	if (!store_release_id_valid(arg->a))
		return errbuf_set(arg->err, "releases.%s: not a valid id", arg->a);
	rel = catalog_child(catalog_child(root, "releases"), arg->a);
	if (!json_is_object(rel))
		return errbuf_set(arg->err, "releases.%s: expected an object", arg->a);
	json_object_set_new(rel, "wiki", json_string(arg->b));
	return 0;
}

int
catalog_set_release_wiki(struct catalog *cat, const char *release, const char *wiki,
    struct errbuf *err)
{
	struct catalog_change_arg arg = { release, wiki, NULL, NULL, err };

	if (wiki == NULL)
		return errbuf_set(err, "releases.%s.wiki: missing", release);
	return catalog_change(cat, catalog_do_set_wiki, &arg, err);
}

static int
catalog_do_merge(json_t *root, void *varg)
{
	struct catalog_change_arg *arg = varg;
	json_t *item;

	if (!store_item_id_valid(arg->b))
		return errbuf_set(arg->err, "%s.%s: not a valid id", arg->a, arg->b);
	if (!json_is_object(arg->fields))
		return errbuf_set(arg->err, "%s.%s: expected an object", arg->a, arg->b);
	item = catalog_child(catalog_child(root, arg->a), arg->b);
	if (!json_is_object(item))
		return errbuf_set(arg->err, "%s.%s: expected an object", arg->a, arg->b);
	if (json_object_update(item, arg->fields) == -1)
		xalloc_failed("merged JSON fields");
	return 0;
}

int
catalog_merge_item(struct catalog *cat, enum item_kind kind, const char *id,
    json_t *fields, struct errbuf *err)
{
	struct catalog_change_arg arg = { NULL, id, NULL, fields, err };

	if (kind >= ITEM_KIND_COUNT)
		return errbuf_set(err, "unknown item kind %d", (int)kind);
	arg.a = catalog_kinds[kind].section;
	return catalog_change(cat, catalog_do_merge, &arg, err);
}

static int
catalog_do_item_fields(json_t *root, void *varg)
{
	struct catalog_change_arg *arg = varg;
	json_t *b, *f;

	if (!store_build_name_valid(arg->a))
		return errbuf_set(arg->err, "builds.%s: not a valid build number", arg->a);
	if (!store_item_id_valid(arg->b))
		return errbuf_set(arg->err, "builds.%s.item_fields.%s: not a valid id",
		    arg->a, arg->b);
	if (!json_is_object(arg->fields))
		return errbuf_set(arg->err, "builds.%s.item_fields.%s: expected an object",
		    arg->a, arg->b);
	b = catalog_child(catalog_child(root, "builds"), arg->a);
	f = json_is_object(b) ? catalog_child(catalog_child(b, "item_fields"), arg->b) : NULL;
	if (!json_is_object(f))
		return errbuf_set(arg->err, "builds.%s.item_fields.%s: expected an object",
		    arg->a, arg->b);
	if (json_object_update(f, arg->fields) == -1)
		xalloc_failed("merged JSON fields");
	return 0;
}

int
catalog_set_item_fields(struct catalog *cat, const char *build, const char *id,
    json_t *fields, struct errbuf *err)
{
	struct catalog_change_arg arg = { build, id, NULL, fields, err };

	return catalog_change(cat, catalog_do_item_fields, &arg, err);
}

/* Reads a decimal number at *p (0 when none) and moves past it. */
static unsigned long
catalog_release_number(const char **p)
{
	unsigned long n = 0;

	while (**p != '\0' && (**p < '0' || **p > '9'))
		(*p)++;
	while (**p >= '0' && **p <= '9') {
		if (n < 100000000)
			n = n * 10 + (unsigned long)(**p - '0');
		(*p)++;
	}
	return n;
}

void
catalog_release_version(const char *release, unsigned long *major, unsigned long *minor)
{
	const char *p = release;

	*major = catalog_release_number(&p);
	*minor = catalog_release_number(&p);
}

int
catalog_release_cmp(const char *a, const char *b)
{
	unsigned long ma, na, mb, nb;

	catalog_release_version(a, &ma, &na);
	catalog_release_version(b, &mb, &nb);
	if (ma != mb)
		return ma < mb ? -1 : 1;
	if (na != nb)
		return na < nb ? -1 : 1;
	return strcmp(a, b);
}
