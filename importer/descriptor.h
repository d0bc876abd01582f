/*
 * descriptor: the small build.json file that travels with a build and names
 * what the build folder itself cannot say.
 *
 *   {"release":"13r1","label":"sr01","wiki":"https://wiki.example/13r1",
 *    "kind":"firmware",
 *    "items":{"apidemo":{"title":"API demo","manufacturer":"innovaphone"}},
 *    "platform":{"id":"arm","text":"App Platform","devices":["IP0011"],
 *                "files":{"file":"app-platform-armel.img","update":"update.img"}}}
 *
 * Every member is optional; unknown top-level members are refused (a typo
 * must not go unnoticed).  "items" holds catalog metadata merged into the
 * channel's catalog, members kept verbatim.  "platform" describes an App
 * Platform or phone platform version.  docs/IMPORTER.md is the reference.
 * The parser is pure (no I/O) so that it can be fuzzed.
 */
#ifndef STORESRV_DESCRIPTOR_H
#define STORESRV_DESCRIPTOR_H

#include <stddef.h>

#include <jansson.h>

#include "catalog.h"
#include "errbuf.h"

#define DESCRIPTOR_MAX_BYTES	65536
#define DESCRIPTOR_FILE		"build.json"

/* No kind given (the importer recognises it). */
#define KIND_NONE	(-1)

/* The four file slots of a platform entry, in linux.json order. */
#define PLATFORM_SLOTS	4
extern const char *const descriptor_platform_slots[PLATFORM_SLOTS];

struct descriptor {
	char *release;		/* "13r1" or NULL */
	char *label;		/* "sr01" or NULL */
	char *wiki;		/* http(s) URL or NULL */
	int kind;		/* enum item_kind (catalog.h) or KIND_NONE */
	json_t *items;		/* object id -> object, or NULL; owned */
	char *platform_id;	/* "arm" or NULL */
	char *platform_text;
	json_t *platform_devices;	/* array of strings or NULL; owned */
	char *platform_files[PLATFORM_SLOTS];	/* file, update, zip, zip2 */
};

/* Parses len bytes of JSON into *out (zeroed first; free with
 * descriptor_free()).  Returns 0, or -1 with err naming the member at fault
 * ("build.json: wiki: not an http(s) URL"). */
int descriptor_parse(const char *text, size_t len, struct descriptor *out, struct errbuf *err);
/* Reads and parses dirfd/path (at most DESCRIPTOR_MAX_BYTES; dirfd may be
 * AT_FDCWD); errors are prefixed with path. */
int descriptor_read(int dirfd, const char *path, struct descriptor *out, struct errbuf *err);
void descriptor_free(struct descriptor *d);

/* Field rules, shared with the command line. */
int descriptor_release_valid(const char *s);	/* store_release_id_valid() */
int descriptor_label_valid(const char *s);	/* "sr01", "hotfix2" */
int descriptor_wiki_valid(const char *s);	/* http:// or https:// URL */

/* "app", "firmware", "software", "app-platform" (or "platform"),
 * "phone-platform" (or "phoneplatform") -> enum item_kind, else KIND_NONE. */
int descriptor_kind_from_name(const char *name);
/* The name used on the command line and in reports ("app-platform"). */
const char *descriptor_kind_name(int kind);

#endif
