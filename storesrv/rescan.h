/*
 * rescan: rewrites the indexes of every channel (store_index_rebuild_all) on
 * a thread of its own, at start and on request (SIGHUP), so that a rescan
 * never holds up serving or the signals.
 *
 * rescan_start() starts the thread and its first rescan.  rescan_request()
 * asks for another one and returns at once; requests made while a rescan
 * runs are merged into one more.  rescan_stop() waits a moment at most: a
 * rescan still running then (a slow or stuck disk) is left to end with the
 * process; what it writes is atomic, so nothing half-written is served.
 * Channels locked by a writer are skipped, not waited for (store_index.h).
 * Problems are logged, never fatal.
 */
#ifndef STORESRV_RESCAN_H
#define STORESRV_RESCAN_H

#include "errbuf.h"

struct rescan;

/* Starts the thread on root (copied).  Returns NULL with err set on failure. */
struct rescan *rescan_start(const char *root, struct errbuf *err);

/* Asks for a rescan; never blocks on one. */
void rescan_request(struct rescan *r);

/* Stops the thread, waiting at most wait_ms for a rescan in progress, and
 * frees r (unless the thread still uses it).  rescan_stop(NULL) is a no-op. */
void rescan_stop(struct rescan *r, int wait_ms);

#endif
