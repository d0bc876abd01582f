/*
 * mirror_state: the mirror's own state of one channel, kept below the store
 * root in <root>/.mirror/<channel>/ (a hidden folder: storesrv never serves
 * it, storeimport never scans it):
 *
 *   lock                   flock()ed for the whole run: one run per channel
 *   indexes/<name>         the upstream's last indexes, verbatim ...
 *   indexes/<name>.etag    ... and their ETags, for conditional GETs
 *   files/<build>/...      downloads, partial ones with the fetcher's
 *                          .etag sidecar (resumed with Range + If-Range);
 *                          moved into the staging area once verified
 *   records/<unit>         the upstream's sha256 records of this run
 *   indexes-pending        an index changed upstream since the last
 *                          publish (kept until a publish applies it, so
 *                          a plan or a failed publish does not lose it)
 *
 * mirror_state_open() makes what is missing and takes the lock without
 * waiting.  The store root itself is never made: as for storeimport it
 * must exist, and a channel or a download/ folder given as the root is
 * refused before anything is made in it (store_root.h).  Library code: 0/-1 with errbuf, nothing printed.
 */
#ifndef STORESRV_MIRROR_STATE_H
#define STORESRV_MIRROR_STATE_H

#include <stddef.h>

#include "errbuf.h"

#define MIRROR_STATE_DIR	".mirror"
#define MIRROR_STATE_BUSY	1	/* mirror_state_open(): another run holds the lock */

struct mirror_state {
	char *path;		/* "<root>/.mirror/<channel>" */
	int dirfd;		/* that folder */
	int lockfd;		/* the flock()ed lock file */
	int indexfd;		/* indexes/ */
	int filesfd;		/* files/ */
	int recordsfd;		/* records/ */
};

/* Opens (making it first) the state of `channel` below `root` and locks it.
 * Returns 0 with *out set (mirror_state_free() frees it),
 * MIRROR_STATE_BUSY when another run holds the lock (err says so, naming
 * the lock file), or -1 with err on an I/O failure. */
int mirror_state_open(const char *root, const char *channel, struct mirror_state **out,
    struct errbuf *err);
/* Releases the lock and frees; NULL is a no-op. */
void mirror_state_free(struct mirror_state *st);

/* The ETag stored for the index `name` into buf (len bytes), "" when there
 * is none or the index itself is missing. */
void mirror_state_etag_get(const struct mirror_state *st, const char *name, char *buf,
    size_t len);
/* Stores (etag non-empty) or forgets the ETag of the index `name`. */
int mirror_state_etag_put(const struct mirror_state *st, const char *name, const char *etag,
    struct errbuf *err);

/* Whether an index change of the upstream awaits a publish, and marking
 * it (on) or clearing it (off, after a publish). */
int mirror_state_pending(const struct mirror_state *st);
int mirror_state_set_pending(const struct mirror_state *st, int on, struct errbuf *err);

/* Makes the folders of the relative path `rel` (not its last segment) below
 * dirfd. */
int mirror_state_mkparents(int dirfd, const char *rel, struct errbuf *err);

#endif
