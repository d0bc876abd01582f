/*
 * dav_write: what the WebDAV write methods share (internal to webdav/):
 * PUT (dav_put.c), MKCOL, COPY and MOVE (dav_tree.c) and DELETE
 * (dav_delete.c).
 *
 * Writes happen in a channel's incoming/ only (made here on first use);
 * download/ is read-only but for DELETE of a build or platform version
 * folder (dav_delete.c), and the root and channel levels are read-only.
 * The file-system work is dav_fs.h's; this module turns its errno into
 * replies and keeps the rest of the server (locks, dead properties, the
 * incoming watcher) informed.
 */
#ifndef STORESRV_DAV_WRITE_H
#define STORESRV_DAV_WRITE_H

#include "dav_handler.h"

/* Replies 403 with a line saying download/ is read-only and where uploads
 * go, when t is not in incoming/ (or is incoming/ itself and `below` is
 * set: a method that would replace or remove the collection).  1: replied;
 * 0: t may be written. */
int dav_write_refuse_area(struct dav_call *c, const struct dav_target *t, int below);

/* Opens the folder holding t (below the store root, no link followed),
 * making the channel's incoming/ first when missing; *name is t's last
 * segment.  -1 with errno set (ENOENT/ENOTDIR: the parent is missing). */
int dav_write_open_parent(struct dav_call *c, const struct dav_target *t, const char **name);

/* The status of a failed write: ENOENT/ENOTDIR 409 (a missing parent),
 * EEXIST/EISDIR 405, ENOSPC/EDQUOT/E2BIG 507, EROFS 403, anything else as
 * fs_errno_http_status() (EACCES 403, ENAMETOOLONG 414, EMFILE 503, 500). */
int dav_write_errno_status(int err);

/* An error reply for a failed write: dav_write_errno_status(err), with
 * `why` (one line, or NULL) as its text; logged when it is a 500. */
void dav_write_fail(struct dav_call *c, int err, const char *why);

/* 503 with Retry-After (the user's uploads are at their limit). */
void dav_write_busy(struct dav_call *c);

/* The dead properties of t's channel (t in incoming/), or NULL (logged). */
struct dav_props *dav_write_props(struct dav_call *c, const struct dav_target *t);

/* Removes the dead properties of t and below (a resource gone, or made
 * anew: it must not inherit those of an earlier one); a failure is
 * logged. */
void dav_write_props_forget(struct dav_call *c, const struct dav_target *t);

/* Something changed at t in incoming/: the watcher's quiet time starts
 * anew. */
void dav_write_touch(struct dav_call *c, const struct dav_target *t);

#endif
