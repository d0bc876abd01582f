/*
 * mirror_plan: what a cascading store fetches from an upstream channel.
 *
 * Pure (no I/O).  From the parsed indexes of an upstream (index_parse.h)
 * and a selection, mirror_plan_create() lists the builds and platform
 * versions to mirror: the ones the indexes list (only the latest build of
 * each release; that is what is mirrored), and for each the paths to fetch,
 * relative to the upstream's download/ URL, in order:
 *
 *   app, software, firmware   "<build>/<id>_files" first; the file names
 *                             come from it, so the build is "manifest
 *                             pending" until mirror_build_expand() is given
 *                             the manifest's text
 *   app files                 "<build>/<arch>/<folder>/<name>" for each
 *                             selected architecture: candidates, a 404 for a
 *                             whole architecture is normal, at least one
 *                             must exist (mirror_file.arch tells them apart)
 *   software files            "<build>/<name>"; without a manifest (404) the
 *                             entry's "binary" file, "<build>/<binary>"
 *                             (STORE-FORMATS.md), when it names one
 *   firmware files            "<build>/<name>"; for releases 12r2 and older
 *                             the manifest may be missing (404): then
 *                             mirror_build_expand(b, NULL, ...) gives
 *                             "<build>/ip<model>.bin", "<build>/boot<model>.bin"
 *                             (device "IP<model>" -> item "ip<model>")
 *   linux.json,               the file/update/zip/zip2 paths of each
 *   phoneplatform.json        platforms[] entry, known at once
 *
 * The upstream may be hostile: every path is checked with the request path
 * canonicaliser (url_path.h: relative, no "." / "..", no empty or hidden
 * segments, no escapes, no control characters) and an unsafe one is refused
 * with an error in the diag naming the index and entry ("apps.json:
 * apps[apidemo].folder: unsafe path ..."); the entry is left out, the rest
 * is planned.  Counts are bounded (struct mirror_limits); crossing a limit
 * refuses the whole plan (-1).
 *
 * Ownership: a mirror_plan owns its builds and they own their strings and
 * files; mirror_plan_free(NULL) is a no-op.  The index docs and the
 * selection are only read.
 */
#ifndef STORESRV_MIRROR_PLAN_H
#define STORESRV_MIRROR_PLAN_H

#include <stddef.h>

#include "diag.h"
#include "index_parse.h"

/* What to mirror.  A NULL or empty pattern list selects everything. */
struct mirror_selection {
	unsigned kinds;		/* bits 1u << enum index_kind; 0: every kind */
	const char *ids;	/* item id globs, comma separated ("apidemo,my*"):
				 * apps, software and platform ids */
	const char *devices;	/* firmware device globs ("IP0013,IP1200*") */
	const char *min_release;	/* "14r1": that release and newer
					 * (catalog_release_cmp()); NULL: all */
	const char *archs;	/* app architectures, comma separated
				 * ("arm,arm64"); NULL: all of store_app_archs */
};

/* Bounds of one plan; a zero member takes its default. */
struct mirror_limits {
	size_t max_builds;	/* planned builds and platform versions */
	size_t max_files;	/* paths of the whole plan, manifests included */
};
#define MIRROR_DEFAULT_MAX_BUILDS	10000
#define MIRROR_DEFAULT_MAX_FILES	200000

#define MIRROR_KIND_BIT(k)	(1u << (k))

struct mirror_file {
	char *path;	/* relative to download/, checked safe */
	int arch;	/* apps: index into store_app_archs; -1 otherwise */
};

struct mirror_build {
	enum index_kind kind;
	char *id;		/* item id ("apidemo", "ip0013"), platform id ("arm") */
	char *release;		/* "13r1"; NULL for platform entries */
	char *build;		/* build number, or the platform's version (may be NULL) */
	char *folder;		/* apps: the folder below <build>/<arch>/; else NULL */
	char *manifest;		/* "<build>/<id>_files", fetched first; NULL for platforms */
	int manifest_pending;	/* files not known until mirror_build_expand() */
	int manifest_optional;	/* a 404 is allowed: firmware of 12r2 and older,
				 * software with a "binary" */
	char *binary;		/* software: the "binary" file, the fallback */
	unsigned archs;		/* apps: candidate architectures, bits over store_app_archs */
	struct mirror_file *files;	/* in fetch order */
	size_t nfiles;
};

struct mirror_plan {
	struct mirror_build *builds;	/* apps, software, firmware, linux, phoneplatform */
	size_t nbuilds;
	size_t nfiles;			/* manifests plus known files */
	struct mirror_limits lim;	/* as used (defaults filled in) */
};

/* Plans from docs[kind] (NULL: that index is absent upstream).  sel and lim
 * may be NULL (everything, defaults).  Returns 0 with *out set (entries
 * refused are reported in d and left out), or -1 with *out NULL when the
 * selection is invalid (an unknown architecture, a release id or glob list
 * that is malformed) or a limit is crossed, reported in d. */
int mirror_plan_create(const struct index_doc *const docs[INDEX_KIND_COUNT],
    const struct mirror_selection *sel, const struct mirror_limits *lim,
    struct mirror_plan **out, struct diag *d);

/* Fills b->files of a manifest-pending build from its manifest's text
 * (manifest.h syntax) and clears manifest_pending.  text NULL means the
 * manifest does not exist upstream (404): allowed only when
 * b->manifest_optional (firmware of 12r2 and older: the ip/boot pair;
 * software: its binary).
 * `plan` (may be NULL) bounds the files by its limit and counts them.
 * Returns 0, or -1 with b unchanged and an error in d naming b->manifest. */
int mirror_build_expand(struct mirror_plan *plan, struct mirror_build *b, const char *text,
    size_t len, struct diag *d);

/* Undoes mirror_build_expand() (for fetching the build again): its files
 * are forgotten (and uncounted from `plan`, which may be NULL) and the
 * manifest is pending again.  Builds without a manifest are unchanged. */
void mirror_build_unexpand(struct mirror_plan *plan, struct mirror_build *b);

void mirror_plan_free(struct mirror_plan *plan);

#endif
