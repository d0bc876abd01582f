/*
 * importer: what the modules of storeimport share: the options of a run,
 * the exit codes and the units (builds, platform versions) found in the
 * sources.  docs/IMPORTER.md describes the program.
 */
#ifndef STORESRV_IMPORTER_H
#define STORESRV_IMPORTER_H

#include <stdint.h>

#include <jansson.h>

#include "archive_extract.h"
#include "catalog.h"
#include "copy_hash.h"
#include "diag.h"

/* Exit codes (documented in docs/IMPORTER.md and --help). */
enum imp_exit {
	IMP_EXIT_OK = 0,
	IMP_EXIT_INVALID = 1,	/* validation failed, nothing changed */
	IMP_EXIT_USAGE = 2,	/* bad command line */
	IMP_EXIT_IO = 3		/* I/O error (disk full, permissions, ...) */
};

struct imp_opts {
	const char *root;
	const char *channel;
	int kind;		/* enum item_kind or KIND_NONE */
	const char *release;
	const char *label;
	const char *wiki;
	const char *id;		/* platform id */
	const char *descriptor;
	int replace;
	int allow_dropped_devices;	/* publish firmware lacking devices of its release */
	int create_channel;	/* publish may create a channel (publish.h) */
	int adopt_upstream;	/* the indexes adopted are an upstream's, the
				 * authority (the mirror; adopt.h) */
	const char *grace;	/* --grace SECONDS of remove and retain, or NULL */
	int strict;
	int json;
	int dry_run;		/* the check command: validate only */
	uint64_t reserve;
	struct archive_limits limits;
};

enum unit_type { UNIT_BUILD, UNIT_PLATFORM };

/* A build folder or platform version folder found in a source. */
struct unit {
	enum unit_type type;
	int kind;		/* platforms: ITEM_PLATFORM or ITEM_PHONEPLATFORM */
	char *name;		/* build number or version */
	char *rel;		/* path below the staging in/ (or the source path) */
	int fd;			/* the folder */
	int tree;		/* index of the adopted tree it came from, or -1 */
	char *item_id;		/* platforms: the platform id ("arm"), or NULL */
};

/* A store download/ tree found in a source (its indexes are adopted). */
struct tree_src {
	char *rel;
	int fd;
};

struct unit_list {
	struct unit *units;
	size_t count;
	struct tree_src *trees;
	size_t ntrees;
};

void unit_list_free(struct unit_list *ul);

/* The download/ path of a unit ("130001", "app-platform/10001") and its
 * hashes record ("hashes/130001.sha256"); the caller frees both. */
char *unit_dlrel(const struct unit *u);
char *unit_hashes_rel(const struct unit *u);

#endif
