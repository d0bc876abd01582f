/*
 * catalog: <root>/<channel>/catalog.json, the store's own item metadata
 * (releases, build labels, app/software/firmware/platform descriptions).
 * Not served; store_index.c turns it and the build tree into the indexes.
 *
 *   {"releases": {"13r1": {"wiki": "https://..."}},
 *    "builds":   {"130001": {"release": "13r1", "label": "sr01",
 *                            "item_fields": {"apidemo": {"compatibility": "..."}}}},
 *    "apps":     {"apidemo": {"folder": ..., "binary": ..., "title": ..., ...}},
 *    "software": {"myappswindows": {...}},
 *    "firmware": {"ip222": {"devices": ["IP222"]}},
 *    "platforms":      {"arm":   {"text": ..., "devices": [...], "files": {"file": ...}}},
 *    "phoneplatforms": {"ip270": {"text": ..., "devices": [...], "files": {...}}}}
 *
 * Every section is optional.  Unknown keys anywhere are kept verbatim and in
 * their order across load and save.  catalog_load() checks the types of the
 * known fields and names the path at fault ("catalog.json: apps.apidemo.title:
 * expected a string"); docs/STORE-LAYOUT.md lists every rule.
 *
 * A struct catalog owns its JSON tree; catalog_free(NULL) is a no-op.
 * Strings and json_t pointers returned by the getters are borrowed: valid
 * until the catalog is changed or freed.
 */
#ifndef STORESRV_CATALOG_H
#define STORESRV_CATALOG_H

#include <jansson.h>

#include "errbuf.h"

/* The kinds of items a store holds, one catalog section each. */
enum item_kind {
	ITEM_APP = 0,
	ITEM_FIRMWARE,
	ITEM_SOFTWARE,
	ITEM_PLATFORM,		/* App Platform images, linux.json */
	ITEM_PHONEPLATFORM,	/* phone platform images, phoneplatform.json */
	ITEM_KIND_COUNT
};

struct catalog;

/* "app", "firmware", "software", "platform", "phoneplatform". */
const char *item_kind_name(enum item_kind kind);
/* The catalog section: "apps", "firmware", "software", "platforms",
 * "phoneplatforms". */
const char *catalog_section_name(enum item_kind kind);

/* An empty catalog. */
struct catalog *catalog_create(void);
void catalog_free(struct catalog *cat);

/* Loads and validates dirfd/name.  Returns 0 with *out set; a missing file
 * is "no catalog": 0 with *out = NULL.  On a syntax or type error returns -1
 * with err naming name, line/column or the field path. */
int catalog_load_at(int dirfd, const char *name, struct catalog **out, struct errbuf *err);
/* The same for a path (errors name the path). */
int catalog_load(const char *path, struct catalog **out, struct errbuf *err);
/* Parses and validates text; `what` prefixes errors (e.g. "catalog.json"). */
int catalog_parse(const char *text, size_t len, const char *what, struct catalog **out,
    struct errbuf *err);

/* Writes the catalog atomically (atomic_file.h), pretty-printed, keys in
 * their order, ending with a newline: same catalog, same bytes. */
int catalog_save_at(const struct catalog *cat, int dirfd, const char *name, struct errbuf *err);
int catalog_save(const struct catalog *cat, const char *path, struct errbuf *err);
/* The text catalog_save() writes; the caller frees it. */
char *catalog_dump(const struct catalog *cat);

/* --- getters (NULL when absent) --- */
const char *catalog_build_release(const struct catalog *cat, const char *build);
const char *catalog_build_label(const struct catalog *cat, const char *build);
const char *catalog_release_wiki(const struct catalog *cat, const char *release);
/* builds.<build>.item_fields.<id>, an object, or NULL. */
json_t *catalog_build_item_fields(const struct catalog *cat, const char *build, const char *id);
/* A whole section (an object of id -> object) or NULL. */
json_t *catalog_section(const struct catalog *cat, enum item_kind kind);
/* <section>.<id>, an object, or NULL. */
json_t *catalog_item(const struct catalog *cat, enum item_kind kind, const char *id);
/* A string field of an item, or NULL when absent. */
const char *catalog_item_string(const struct catalog *cat, enum item_kind kind, const char *id,
    const char *field);
/* Is `id` described in the apps, firmware or software section?  If so sets
 * *kind and returns 1 (validation keeps an id in at most one of them). */
int catalog_item_kind(const struct catalog *cat, const char *id, enum item_kind *kind);
/* The whole tree (borrowed; for reading only). */
json_t *catalog_json(const struct catalog *cat);

/* --- setters: each validates its input and leaves the catalog unchanged
 * on failure (-1, err names the field) --- */

/* builds.<build>.release (and .label when label != NULL); adds an empty
 * releases.<release> entry when the release is new. */
int catalog_set_build(struct catalog *cat, const char *build, const char *release,
    const char *label, struct errbuf *err);
/* releases.<release>.wiki. */
int catalog_set_release_wiki(struct catalog *cat, const char *release, const char *wiki,
    struct errbuf *err);
/* Merges the fields of `fields` (an object; not stolen) into <section>.<id>,
 * creating the item; fields present replace old values, others stay. */
int catalog_merge_item(struct catalog *cat, enum item_kind kind, const char *id,
    json_t *fields, struct errbuf *err);
/* Merges `fields` into builds.<build>.item_fields.<id> (extra fields of
 * that item's version entry, e.g. "compatibility"); creates the build. */
int catalog_set_item_fields(struct catalog *cat, const char *build, const char *id,
    json_t *fields, struct errbuf *err);

/* Forgets builds.<build> (its release, label and version fields), as when
 * the build is removed; releases and items stay.  Absent builds are fine. */
int catalog_remove_build(struct catalog *cat, const char *build, struct errbuf *err);

/* Compares two release ids by their numbers ("12r2" < "13r1", "10.00" <
 * "12r2"): major, then minor, then the text.  Returns <0, 0, >0. */
int catalog_release_cmp(const char *a, const char *b);
/* The first two numbers of a release id ("13r1" -> 13, 1; "10.00" -> 10, 0;
 * 0 for a missing one). */
void catalog_release_version(const char *release, unsigned long *major, unsigned long *minor);

#endif
