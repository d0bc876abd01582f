/*
 * dav_read: GET, HEAD (and a CORS preflight) of the published tree on the
 * WebDAV engine, through the same engine-independent read_path_handle() as
 * the public listener (read_path.h), so both answer alike.
 */
#ifndef STORESRV_DAV_READ_H
#define STORESRV_DAV_READ_H

struct dav_request;
struct read_path;

/* Answers req (a GET or HEAD) from rp; always replies. */
void dav_read_reply(struct read_path *rp, struct dav_request *req);

#endif
