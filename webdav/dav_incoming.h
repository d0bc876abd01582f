/*
 * dav_incoming: the watcher that publishes what is uploaded to a channel's
 * incoming/ folder (issue 9).
 *
 * Each top-level entry of <root>/<channel>/incoming/ (a build folder, a
 * folder of builds, a store copy, an archive) is one upload; hidden names
 * and "*.problems.txt" are not.  Once it has been quiet for
 * `quiet_seconds` (nothing written below it, by WebDAV or by other means,
 * no upload in progress, no live temporary file), or once it is complete
 * (its manifests' files all there and not empty; an archive whose PUT
 * ended and that reads whole) and settled for 2 s, it is validated with
 * the importer's rules and published atomically through the import
 * session (import_session.h), leaving incoming/.  When validation fails
 * the upload stays and "<name>.problems.txt" beside it lists every problem
 * (the log names it); it is tried again once it changes.  An I/O failure
 * (no room) gets a problems file too and is tried again a minute later.
 *
 * The work runs on a thread of its own: the WebDAV loop only reports
 * activity (thread-safe calls that take a mutex briefly).
 */
#ifndef STORESRV_DAV_INCOMING_H
#define STORESRV_DAV_INCOMING_H

#include <stdint.h>

#include "errbuf.h"

struct dav_incoming_config {
	const char *root;		/* the store root */
	unsigned quiet_seconds;		/* an upload untouched this long is imported */
	uint64_t reserve_bytes;		/* the importer's free-space reserve */
};

struct dav_incoming;

/* Starts the watcher's thread.  NULL with err set on failure. */
struct dav_incoming *dav_incoming_start(const struct dav_incoming_config *cfg,
    struct errbuf *err);
/* Stops the thread (an import in progress completes first) and frees;
 * NULL is a no-op. */
void dav_incoming_stop(struct dav_incoming *inc);

/* Something below incoming/`rel` of `channel` changed (rel may be a deep
 * path; its first segment names the upload): its quiet time starts anew.
 * These three are no-ops when inc is NULL (no watcher running). */
void dav_incoming_touch(struct dav_incoming *inc, const char *channel, const char *rel);
/* An upload below rel begins (a PUT body, a lock): not imported until the
 * matching dav_incoming_release(). */
void dav_incoming_hold(struct dav_incoming *inc, const char *channel, const char *rel);
void dav_incoming_release(struct dav_incoming *inc, const char *channel, const char *rel);

#endif
