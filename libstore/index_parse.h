/*
 * index_parse: the five store indexes (apps.json, software.json,
 * firmware.json, linux.json, phoneplatform.json) parsed from memory into
 * plain structs.  No I/O: the importer's adoption reads the files, the
 * mirror will download an upstream's; both decide from these structs what
 * a store holds (builds per item and release, labels, platform files).
 *
 * The input is untrusted (an upstream may be hostile): the buffer, every
 * array and every string taken out are bounded (struct index_limits), and
 * every name that becomes a path is checked here: build numbers and
 * platform versions (store_build_name_valid()), item and platform ids
 * (store_item_id_valid()), platform files "<dir>/<version>/<name>" with one
 * plain name.  Release ids and labels are only bounded strings: what is a
 * valid release is the caller's rule.
 *
 * Problems go to a struct diag, `where` being the index's name as the caller
 * gives it and the message starting with the JSON path at fault
 * ("firmware.json: versions[1].text: ...").  A document that is not JSON,
 * has the wrong shape at the top or crosses a limit is refused whole (an
 * error, -1); an entry without a usable id is left out with an error; a
 * version, file or device entry that is malformed is left out with a
 * warning.  Every shape store_index writes is accepted without a word
 * (docs/STORE-LAYOUT.md, "Adopting and parsing indexes").
 *
 * An index_doc owns everything it points to; index_doc_free(NULL) is a
 * no-op.
 */
#ifndef STORESRV_INDEX_PARSE_H
#define STORESRV_INDEX_PARSE_H

#include <stddef.h>

#include <jansson.h>

#include "diag.h"

enum index_kind {
	INDEX_APPS = 0,
	INDEX_SOFTWARE,
	INDEX_FIRMWARE,
	INDEX_LINUX,		/* App Platform images */
	INDEX_PHONEPLATFORM,	/* phone platform images [inferred shape] */
	INDEX_KIND_COUNT
};

/* Bounds on an untrusted index; a zero member takes its default. */
struct index_limits {
	size_t max_bytes;	/* the whole document */
	size_t max_entries;	/* each array: items, versions, devices, names */
	size_t max_string;	/* each string taken out: ids, texts, paths */
};
#define INDEX_DEFAULT_MAX_BYTES		(4u * 1024 * 1024)
#define INDEX_DEFAULT_MAX_ENTRIES	10000
#define INDEX_DEFAULT_MAX_STRING	4096

/* The platform file roles of linux.json / phoneplatform.json entries. */
#define INDEX_PLATFORM_SLOTS	4
extern const char *const index_platform_slots[INDEX_PLATFORM_SLOTS];	/* file update zip zip2 */

/* A versions[] entry: apps.json / software.json (release, build, label,
 * extra) or firmware.json (release, build, text, label, wiki). */
struct index_version {
	char *release;		/* "13r1" */
	char *build;		/* "130001", a valid build number */
	char *label;		/* "sr01"; NULL when absent, empty or (firmware) unparsable */
	char *text;		/* firmware: "13r1 sr01 [130001]" as given, or NULL */
	char *wiki;		/* firmware: the upgrade link, or NULL */
	json_t *extra;		/* apps/software: the other members ("compatibility"), or NULL */
};

/* An apps.json / software.json entry. */
struct index_item {
	char *id;		/* a valid item id */
	json_t *fields;		/* every member but id and versions, in order */
	struct index_version *versions;
	size_t nversions;
};

/* A file of a platform entry, as the index gives it and split. */
struct index_platform_file {
	const char *role;	/* one of index_platform_slots */
	char *path;		/* "app-platform/10001/app-platform-armel.img" */
	char *version;		/* "10001" */
	char *name;		/* "app-platform-armel.img" */
};

/* A linux.json / phoneplatform.json platforms[] entry. */
struct index_platform {
	char *id;		/* a valid item id ("arm", "ip270") */
	char *version;		/* the "version" member, or NULL */
	struct index_platform_file *files;	/* in slot order, only usable ones */
	size_t nfiles;
	json_t *fields;		/* every member but id, version and the file roles */
};

/* A devices[] entry: firmware.json (names = release ids) or a platform
 * index (names = platform ids). */
struct index_device {
	char *id;
	char **names;
	size_t nnames;
};

struct index_doc {
	enum index_kind kind;
	struct index_item *items;		/* apps, software */
	size_t nitems;
	struct index_version *versions;		/* firmware */
	size_t nversions;
	struct index_platform *platforms;	/* linux, phoneplatform */
	size_t nplatforms;
	struct index_device *devices;		/* firmware, linux, phoneplatform */
	size_t ndevices;
};

/* "apps.json", ... */
const char *index_kind_file(enum index_kind kind);
/* The folder below download/ of a platform index's versions
 * ("app-platform", "phoneplatform"), NULL for the others. */
const char *index_kind_platform_dir(enum index_kind kind);

/* Parses buf[0..len) as an index of `kind`; `what` names it in problems
 * (NULL: the file name).  lim may be NULL (defaults).  Returns 0 with *out
 * set (entries with problems left out and reported), or -1 with *out NULL
 * when the document is refused (reported as an error). */
int index_parse(enum index_kind kind, const char *buf, size_t len, const char *what,
    const struct index_limits *lim, struct index_doc **out, struct diag *d);

void index_doc_free(struct index_doc *doc);

#endif
