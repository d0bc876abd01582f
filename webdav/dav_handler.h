/*
 * dav_handler: what the WebDAV method modules share (internal to webdav/).
 *
 * The namespace.  A request path is canonicalised (url_path.h; Finder's
 * ".DS_Store" and "._*" names are let through in incoming/) and falls in
 * one area:
 *   /                          DAV_AREA_ROOT      the channels (read-only)
 *   /<channel>/                DAV_AREA_CHANNEL   download/ and incoming/
 *   /<channel>/download/...    DAV_AREA_DOWNLOAD  the published tree:
 *                              read-only, but DELETE of a build or platform
 *                              version folder is "storeimport remove"
 *   /<channel>/incoming/...    DAV_AREA_INCOMING  writable (class 1 and 2);
 *                              imported by the watcher (dav_incoming.h)
 * A channel is a folder of the root whose download/ folder is served
 * (read_path_channel_served()); anything else is 404.  incoming/ is made on
 * first use.
 *
 * A request passes the gate in dav_server.c: authentication (every method,
 * dav_auth.h), then the role (a handler that writes needs "rw"), then the
 * target, then the handler.  A handler is two steps and a cleanup:
 *   prepare(c)  right after the head (may be NULL): checks what can be
 *               checked before the body (412, 423, 409, ...) and replies,
 *               returning 1, or returns 0 to take the body; a
 *               DAV_BODY_FILE handler sets c->body_fd here;
 *   run(c)      once the body is in (memory, file or discarded): replies;
 *   cleanup(c)  after run, after prepare replied, or when the request is
 *               aborted (client gone, body over a limit): releases
 *               c->state, closes c->body_fd, removes a temporary file.
 * Everything runs on the server's loop thread.
 */
#ifndef STORESRV_DAV_HANDLER_H
#define STORESRV_DAV_HANDLER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "dav_users.h"
#include "errbuf.h"
#include "http_cond.h"
#include "url_path.h"

struct dav_request;
struct dav_xml_buf;
struct dav_lock_table;
struct dav_props;
struct dav_incoming;
struct read_path;

#define DAV_CHANNEL_MAX		64	/* bytes of a channel name */

enum dav_area {
	DAV_AREA_ROOT,
	DAV_AREA_CHANNEL,
	DAV_AREA_DOWNLOAD,
	DAV_AREA_INCOMING
};

struct dav_target {
	enum dav_area area;
	/* canonical and decoded: "/" or "/release/incoming/a b" (no trailing '/') */
	char path[URL_PATH_MAX + 2];
	char channel[DAV_CHANNEL_MAX + 1];	/* "" in DAV_AREA_ROOT */
	/* below the area's folder, "" at its root (no leading '/'); points into path */
	const char *rel;
	/* below the store root ("" for the root itself); points into path */
	const char *fs;
	int slash;			/* the request path ended in '/' */
};

/* The server's state every handler reaches. */
struct dav_ctx {
	int root_fd;			/* the store root */
	const char *root;
	struct read_path *rp;		/* GET/HEAD of the published tree */
	struct dav_lock_table *locks;
	struct dav_incoming *incoming;	/* the watcher; NULL when not running */
	uint64_t reserve_bytes;		/* free space uploads leave */
	int max_uploads;		/* per user */
	/* the dead properties of each channel, opened on first use */
	struct dav_ctx_props {
		char channel[DAV_CHANNEL_MAX + 1];
		struct dav_props *props;
	} *props;
	size_t nprops;
	/* uploads in progress per user */
	struct dav_ctx_uploads {
		char user[DAV_USER_NAME_MAX + 1];
		int count;
	} *uploads;
	size_t nuploads;
};

/* One request as the handlers see it. */
struct dav_call {
	struct dav_ctx *ctx;
	struct dav_request *req;
	const struct dav_handler *handler;
	enum dav_role role;
	char user[DAV_USER_NAME_MAX + 1];
	struct dav_target target;
	time_t now;			/* the clock of the lock table */
	int body_fd;			/* DAV_BODY_FILE: set by prepare; -1 */
	int uploading;			/* counted by dav_upload_begin() */
	void *state;			/* the handler's; cleanup frees it */
};

enum dav_body_want {
	DAV_BODY_DISCARD,		/* read and dropped */
	DAV_BODY_MEMORY,		/* an XML body, up to the engine's limit */
	DAV_BODY_FILE			/* written to c->body_fd (PUT) */
};

struct dav_handler {
	const char *method;
	enum dav_body_want body;
	int writes;			/* needs the "rw" role */
	int (*prepare)(struct dav_call *c);
	void (*run)(struct dav_call *c);
	void (*cleanup)(struct dav_call *c);
};

/* The methods, one module each (dav_server.c holds the table). */
extern const struct dav_handler dav_handler_get, dav_handler_head, dav_handler_options;
extern const struct dav_handler dav_handler_put, dav_handler_delete, dav_handler_mkcol;
extern const struct dav_handler dav_handler_copy, dav_handler_move;
extern const struct dav_handler dav_handler_propfind, dav_handler_proppatch;
extern const struct dav_handler dav_handler_lock, dav_handler_unlock;

/* ---- the namespace (dav_target.c) ---- */

/* Resolves a request path (percent-encoded, no query) against the root.
 * 0, or -1 with *status (400, 403, 404, 414) when the path is refused or
 * names no area.  Nothing is opened but the channel's download/ check. */
int dav_target_resolve(struct dav_ctx *ctx, const char *raw, struct dav_target *t, int *status);
/* The Destination header of COPY and MOVE (RFC 4918 10.3): an absolute URL
 * whose authority is the request's Host, or an absolute path.  0, or -1
 * with *status: 400 (malformed), 502 (another server). */
int dav_target_destination(struct dav_ctx *ctx, struct dav_request *req, struct dav_target *t,
    int *status);
/* 1 when t lies in a build or platform version folder of download/ that
 * is marked removed (store_folder_removed(): served to the public for the
 * grace time, gone for WebDAV: resolving it is 404, listings skip it). */
int dav_download_removed(struct dav_ctx *ctx, const struct dav_target *t);
/* The target's parent ("/" for a top-level name). */
void dav_target_parent(const struct dav_target *t, struct dav_target *parent);
/* The last segment of t->path ("" for the root). */
const char *dav_target_name(const struct dav_target *t);

/* ---- helpers for every handler (dav_server.c) ---- */

/* A reply with an XML body (Content-Type application/xml; charset=utf-8);
 * takes the buffer's memory. */
void dav_reply_xml(struct dav_request *req, int status, struct dav_xml_buf *body);
/* An error with an RFC 4918 16 precondition element as its body. */
void dav_reply_condition(struct dav_request *req, int status, const char *condition);
/* The strong ETag of a file (http_cond.h's, as the public listener's). */
void dav_etag_of(const struct stat *st, char out[HTTP_ETAG_LEN]);
/* The dead properties of a channel's incoming/ (opened on first use, below
 * <root>/.webdav/props/<channel>/).  NULL with err set on failure. */
struct dav_props *dav_ctx_props(struct dav_ctx *ctx, const char *channel, struct errbuf *err);
/* Counts an upload of c->user: 0, or -1 when the user has max_uploads
 * already (the handler answers 503).  cleanup's dav_upload_end() is safe
 * when begin was not called or failed. */
int dav_upload_begin(struct dav_call *c);
void dav_upload_end(struct dav_call *c);
/* Is there at least reserve_bytes + `more` free on the store's file
 * system?  1 yes, 0 no (507), -1 statvfs failed (errno). */
int dav_space_available(struct dav_ctx *ctx, uint64_t more);

/* ---- locks and the If header (dav_locking.c) ---- */

/* May this request modify t (and, when `tree`, everything below it)?
 * Evaluates the If header (412 when false, 400 when malformed) and the
 * locks (423 with lock-token-submitted).  0: go on; 1: replied. */
int dav_check_write(struct dav_call *c, const struct dav_target *t, int tree);
/* Appends the <D:activelock> elements of the locks covering path (the
 * lockdiscovery property's value). */
void dav_lock_discovery(struct dav_ctx *ctx, const char *path, time_t now,
    struct dav_xml_buf *out);

#endif
