/*
 * dav_incoming_internal: what the modules of the incoming watcher share
 * (internal to webdav/; the API is dav_incoming.h).
 *
 *   dav_incoming.c          the thread, the table of uploads and the
 *                           WebDAV loop's reports, when to import
 *   dav_incoming_walk.c     how an upload looks on disk: its signature, a
 *                           live temporary file, completeness, tidying
 *   dav_incoming_import.c   one import through the import session, and
 *                           the problems file when it is refused
 *   dav_incoming_locks.c    the uploads WebDAV locks cover (from the lock
 *                           table's file)
 *
 * Everything here runs on the watcher's thread, without its mutex, except
 * the claim callback of an import (below).
 */
#ifndef STORESRV_DAV_INCOMING_INTERNAL_H
#define STORESRV_DAV_INCOMING_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "catalog.h"
#include "errbuf.h"

/* Bounds of one walk: entries (files and folders) below an upload, and
 * folder levels (a store copy "copy/release/download/130001/arm/app/f"
 * is 7). */
#define INC_WALK_MAX_ENTRIES	100000
#define INC_WALK_MAX_DEPTH	10

#define INC_PROBLEMS_SUFFIX	".problems.txt"

/* How one upload looked at one walk. */
struct inc_look {
	/* the signature: a change of any of these is a change of the upload */
	struct timespec newest;	/* newest mtime of the upload and what is below it */
	uint64_t bytes;		/* total size of its regular files */
	uint64_t count;		/* entries below it (and the top-level file), but
				   Finder's metadata files */
	/* what the walk saw besides */
	int is_file;		/* a top-level file (an archive) */
	int busy;		/* a temporary file (".tmp-" in a hidden name) younger
				   than the stale bound: an upload in progress */
	int too_big;		/* over INC_WALK_MAX_ENTRIES or _DEPTH: walk stopped */
	char hidden[256];	/* the first hidden name below it that is neither a
				   temporary file nor Finder's (refused), or "" */
};

/* Do a and b have the same signature? */
int inc_look_same(const struct inc_look *a, const struct inc_look *b);

/* The first `max` non-hidden names of the folder dirfd (in the order
 * readdir gives them), sorted; the caller frees them with
 * source_names_free().  0, or -1 with errno set when nothing could be
 * read. */
int inc_list(int dirfd, size_t max, char ***names, size_t *count);

/* Walks incfd/name (no symlink followed) into *look.  A temporary file
 * whose mtime is before stale_before (wall clock) is not counted as busy.
 * 0, or -1 with errno set when the upload cannot be read (gone). */
int inc_walk(int incfd, const char *name, time_t stale_before, struct inc_look *look);

/* Is the upload complete?  A folder: the builds found in it (source.h),
 * and only builds, each with items whose manifests list files all present,
 * regular and not empty (build_check.h, against `cat`, may be NULL).  A
 * file: it reads as a whole archive.  1 or 0. */
int inc_complete(int incfd, const char *name, const struct inc_look *look,
    const struct catalog *cat);

/* Removes what is never published below incfd/name: Finder's ".DS_Store"
 * and "._*" files, and temporary files older than stale_before. */
void inc_tidy(int incfd, const char *name, time_t stale_before);

/* The build.json files of an upload, kept in memory while it is in the
 * staging area (the import session takes them out of the builds it
 * validates), to be put back when it returns refused. */
struct inc_saved_file {
	char *rel;		/* below the upload: "130001/build.json" */
	char *text;
	size_t len;
};
struct inc_saved {
	struct inc_saved_file *files;
	size_t count;
};
void inc_saved_collect(int incfd, const char *name, struct inc_saved *saved);
/* Writes back those that are missing; 0 or -1 (err). */
int inc_saved_restore(int incfd, const char *name, const struct inc_saved *saved,
    struct errbuf *err);
void inc_saved_free(struct inc_saved *saved);

/* The uploads the WebDAV locks cover, as <root>/.webdav/locks.json
 * lists them (zeroed to start). */
struct inc_locks {
	char **uploads;		/* "<channel>/<upload>"; "<channel>/": all of them */
	time_t *expires;	/* wall clock */
	size_t count;
	ino_t ino;		/* the file as last read */
	struct timespec mtime;
	off_t size;
};
/* Reads the file again when it changed (a file that cannot be read keeps
 * the last reading; a missing one means no lock). */
void inc_locks_refresh(struct inc_locks *l, int rootfd);
/* Does a lock not expired at `now` cover the upload channel/name? */
int inc_locks_cover(const struct inc_locks *l, const char *channel, const char *name,
    time_t now);
void inc_locks_free(struct inc_locks *l);

/* What an import came to. */
enum inc_outcome {
	INC_PUBLISHED,		/* committed; the upload is gone from incoming/ */
	INC_REFUSED,		/* refused: the problems file says why */
	INC_IO_ERROR,		/* failed (disk full, ...): the problems file says
				   so, to be tried again later */
	INC_BUSY		/* activity came in before the upload was moved:
				   nothing done */
};

/* One import. */
struct inc_job {
	const char *root;
	const char *channel;
	int incfd;			/* <root>/<channel>/incoming/ */
	const char *name;		/* the upload, a name in incoming/ */
	const struct inc_look *look;
	uint64_t reserve;		/* the importer's free-space reserve */
	time_t stale_before;		/* for inc_tidy() */
	/* Called right before the upload is moved into the staging area:
	 * returns 0 with the watcher's mutex held (released by the
	 * claim_end call right after the move), or -1 when an upload began
	 * below it since the decision (mutex not held). */
	int (*claim)(void *arg);
	void (*claim_end)(void *arg);
	void *claim_arg;
};

/* Validates and publishes one upload (an archive through
 * import_session_add_source(), a folder moved into the session's staging
 * area), logs the outcome, writes or removes "<name>.problems.txt". */
enum inc_outcome inc_import(const struct inc_job *job);

/* Writes "<name>.problems.txt" in incfd: a header line (the time, the
 * verdict) and the lines given; logs nothing.  0 or -1 (err). */
int inc_problems_write(int incfd, const char *name, const char *verdict, const char *lines,
    struct errbuf *err);

/* Does "<name>.problems.txt" in incfd say the upload was refused, and is
 * it newer than everything the walk `look` saw (it was refused as it is:
 * a restart need not try it again)?  1 or 0. */
int inc_problems_refused(int incfd, const char *name, const struct inc_look *look);

#endif
