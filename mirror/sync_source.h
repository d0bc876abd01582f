/*
 * sync_source: where a sync reads a channel from, and the one call that
 * gets files from it.
 *
 * sync_targets_resolve() turns --upstream and --channels into one target
 * per local channel:
 *   "http[s]://h:p/<ch>/download"   one channel; its local name is <ch>, or
 *                                   the one name --channels gives
 *   "http[s]://h:p/[prefix/]"       a store base: each of --channels is
 *                                   fetched from <base>/<ch>/download
 *   a local ".../download" folder   a channel's download/ folder, read
 *                                   directly (no HTTP); its local name is
 *                                   the parent folder's, or --channels
 *   another local folder            a store root: <root>/<ch>/download for
 *                                   each of --channels
 * An HTTP target also has the base of the upstream's sha256 records
 * ("<base-without-/download>/sha256", storesrv's extension); a local one
 * reads them from the channel's hashes/ folder beside download/.
 *
 * sync_source_run() runs transfer jobs (transfer.h) against a target: over
 * HTTP with transfer_run(), locally by copying each file while hashing it
 * (copy_hash.h), a missing file reported as a 404, one that is not a
 * regular file (a symlink, a folder, a FIFO) or is over the job's max_size
 * refused as FETCH_FAIL_PROTOCOL (the upstream's fault, not a local I/O
 * error).  Either way each
 * job ends with rc, res (status 200/304/404), err and its sha256.
 * Library code: 0/-1 with errbuf.
 */
#ifndef STORESRV_SYNC_SOURCE_H
#define STORESRV_SYNC_SOURCE_H

#include <stddef.h>

#include "errbuf.h"
#include "transfer.h"

struct sync_target {
	char *channel;		/* the local channel's name */
	char *download;		/* upstream URL of download/, or a local folder */
	char *records;		/* base URL or folder of the sha256 records */
	int local;		/* download and records are folders */
};

/* Resolves upstream and the comma-separated channels (may be NULL) into
 * targets[0..*n) (sync_targets_free() frees them).  0, or -1 with err
 * naming the setting at fault (a usage error). */
int sync_targets_resolve(const char *upstream, const char *channels,
    struct sync_target **out, size_t *n, struct errbuf *err);
void sync_targets_free(struct sync_target *t, size_t n);

/* Which base a job's relative path is resolved against. */
enum sync_base { SYNC_BASE_DOWNLOAD, SYNC_BASE_RECORDS };

/* The location (URL or path, the caller frees it) of rel below a base:
 * "130001/x.bin" below download/; for records, the unit's folder
 * ("130001", "app-platform/10001"), which the local form maps to
 * "hashes/130001.sha256" and "hashes/app-platform-10001.sha256". */
char *sync_source_locate(const struct sync_target *t, enum sync_base base, const char *rel,
    struct errbuf *err);

struct sync_source;

/* Settings of the transfers (HTTP only; a local source ignores them). */
struct sync_source_config {
	unsigned parallel;
	uint64_t rate_limit;
	const char *ca_file;
	const char *proxy;
	void (*progress)(const struct transfer_progress *p, void *arg);
	void *progress_arg;
};

/* A source reading target t (which must outlive it); NULL with err. */
struct sync_source *sync_source_create(const struct sync_target *t,
    const struct sync_source_config *c, struct errbuf *err);
void sync_source_free(struct sync_source *src);

/* Runs jobs[0..n), their url made by sync_source_locate().  Returns 0 when
 * the run worked (each job has its own outcome), -1 (err) otherwise. */
int sync_source_run(struct sync_source *src, struct transfer_job *jobs, size_t n,
    struct errbuf *err);

/* The size of download/rel when the source knows it without a transfer
 * (a local folder): 0, else -1. */
int sync_source_size(const struct sync_source *src, const char *rel, uint64_t *size);

#endif
