/*
 * status_counters: the download statistics of one serving thread, kept
 * without locks.
 *
 * Each serving thread owns one struct status_counters and is its only
 * writer (status_count() on every reply).  A status request, on whichever
 * thread it lands, reads every thread's counters and sums them
 * (status_counters_sum()).  Counters are relaxed atomics written by a plain
 * load and store (no locked instruction: one writer); a download path
 * becomes a key of a fixed open-addressed table whose slot is published
 * with a release store after its key is written, so a reader never sees a
 * half-written key.  Keys are never removed.
 *
 * A download is a reply to /<channel>/download/<build>/<file> (the key
 * "<channel>/<build>/<file>", raw as the client sent it) or to
 * /<channel>/download/<app-platform|phoneplatform>/<version>/<file>.
 * When a thread's table is full (STATUS_MAX_KEYS), further files are summed
 * under one "other" slot: memory is bounded whatever clients ask for.
 *
 * status_counters_free(NULL) is a no-op.
 */
#ifndef STORESRV_STATUS_COUNTERS_H
#define STORESRV_STATUS_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#define STATUS_MAX_KEYS		1024	/* download files tracked per thread */
#define STATUS_KEY_MAX		200	/* a longer download path is "other" */
#define STATUS_CLASSES		6	/* 1xx..5xx, and anything else */

struct status_counters;

struct status_counters *status_counters_create(void);
void status_counters_free(struct status_counters *c);

/* Counts one reply of `status` with `bytes` of body sent, for the raw
 * request path `path` (no query).  Only the owning thread calls this. */
void status_count(struct status_counters *c, const char *path, int status, uint64_t bytes);

/* One download file's sums. */
struct status_file_count {
	char key[STATUS_KEY_MAX];	/* "<channel>/<build>/<file>" */
	uint64_t requests;
	uint64_t bytes;
};

/* Every thread's counters summed. */
struct status_totals {
	uint64_t requests;
	uint64_t bytes;
	uint64_t by_class[STATUS_CLASSES];	/* [0] 1xx ... [4] 5xx, [5] other */
	uint64_t not_modified;			/* 304 */
	uint64_t partial;			/* 206 */
	uint64_t downloads;			/* replies to download paths */
	uint64_t download_bytes;
	struct status_file_count other;		/* files past the tables' size */
	struct status_file_count *files;	/* the tracked files, summed */
	size_t nfiles;
};

/* Sums the n counters into *out; out->files is allocated (the caller
 * frees it with status_totals_release()). */
void status_counters_sum(struct status_counters *const *c, size_t n, struct status_totals *out);
void status_totals_release(struct status_totals *t);

/* The download key of a raw request path ("<channel>/<build>/<file>"), or
 * -1 when the path is no download of a build or platform file. */
int status_download_key(const char *path, char *key, size_t keysz);

#endif
