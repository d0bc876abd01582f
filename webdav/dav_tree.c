/*
 * dav_tree: MKCOL, COPY and MOVE (RFC 4918 9.3, 9.8, 9.9).
 *
 * MKCOL makes a collection in incoming/: a body is 415, an existing name
 * 405, a missing parent 409, else 201.
 *
 * COPY and MOVE take the Destination header (dav_target_destination(): the
 * same host, else 502), which must lie in incoming/; COPY's source may also
 * be in download/ (a way to start from a published build).  Depth: COPY 0
 * or infinity, MOVE infinity only (400 otherwise).  Overwrite: T (default)
 * replaces an existing destination (it is removed first; 204), F refuses it
 * (412); a new destination is 201.  The destination's parent must exist
 * (409).  The same resource, a destination inside the source or a source
 * inside the destination are 403.  Locks and the If header are checked on
 * both ends (dav_check_write(); a collection as a tree).  Dead properties
 * follow (dav_props_copy/move); MOVE drops the locks of the source tree,
 * COPY takes none along.  COPY checks the free space first (the source's
 * size above the reserve, 507).  MOVE is one rename(2); only across file
 * systems is it a copy and a removal.  Walks are bounded (dav_fs.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "dav_engine.h"
#include "dav_fs.h"
#include "dav_handler.h"
#include "dav_lock.h"
#include "dav_props.h"
#include "dav_write.h"
#include "fs_open.h"
#include "log.h"

/* ---- MKCOL ---- */

static int
dav_mkcol_prepare(struct dav_call *c)
{
	if (dav_write_refuse_area(c, &c->target, 0))
		return 1;
	if (dav_request_has_body(c->req)) {
		dav_reply_error(c->req, 415, "takes no body here");
		return 1;
	}
	return 0;
}

static void
dav_mkcol_run(struct dav_call *c)
{
	const char *name;
	struct errbuf err;
	struct stat st;
	int dirfd;

	if ((dirfd = dav_write_open_parent(c, &c->target, &name)) == -1) {
		dav_write_fail(c, errno, errno == ENOENT || errno == ENOTDIR ?
		    "the parent collection does not exist" : NULL);
		return;
	}
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		dav_reply_error(c->req, 405, "the name exists already");
		goto out;
	}
	if (dav_check_write(c, &c->target, 0) != 0)
		goto out;
	if (mkdirat(dirfd, name, 0755) == -1) {
		dav_write_fail(c, errno, NULL);
		goto out;
	}
	if (fsync_dir(dirfd, c->target.path, &err) == -1)
		log_warnx("webdav: %s", err.msg);
	dav_write_props_forget(c, &c->target);
	dav_write_touch(c, &c->target);
	dav_reply_status(c->req, 201, NULL);
	dav_reply_send(c->req);
out:
	close(dirfd);
}

const struct dav_handler dav_handler_mkcol = {
	"MKCOL", DAV_BODY_DISCARD, 1, dav_mkcol_prepare, dav_mkcol_run, NULL
};

/* ---- COPY and MOVE ---- */

/* One COPY or MOVE, its two ends opened. */
struct dav_transfer {
	int move;
	int depth_infinity;
	int overwrite;
	struct dav_target dst;
	int src_dirfd, dst_dirfd;
	const char *src_name, *dst_name;
	struct stat src_st;
	int dst_exists, dst_is_dir;
};

/* Depth and Overwrite (RFC 4918 10.2, 10.6).  1: replied 400. */
static int
dav_transfer_headers(struct dav_call *c, struct dav_transfer *x)
{
	const char *depth = dav_request_header(c->req, "Depth");
	const char *overwrite = dav_request_header(c->req, "Overwrite");

	x->depth_infinity = 1;
	if (depth != NULL && strcasecmp(depth, "infinity") != 0) {
		if (x->move || strcmp(depth, "0") != 0) {
			dav_reply_error(c->req, 400, x->move ? "takes Depth: infinity only" :
			    "takes Depth: 0 or infinity");
			return 1;
		}
		x->depth_infinity = 0;
	}
	x->overwrite = 1;
	if (overwrite != NULL) {
		if (strcmp(overwrite, "F") != 0 && strcmp(overwrite, "T") != 0) {
			dav_reply_error(c->req, 400, "Overwrite is T or F");
			return 1;
		}
		x->overwrite = overwrite[0] == 'T';
	}
	return 0;
}

/* Is the path `inner` the path `outer` or below it? */
static int
dav_path_within(const char *inner, const char *outer)
{
	size_t len = strlen(outer);

	return strncmp(inner, outer, len) == 0 && (inner[len] == '\0' || inner[len] == '/');
}

/* The two ends: areas, the Destination, their relation.  1: replied. */
static int
dav_transfer_ends(struct dav_call *c, struct dav_transfer *x)
{
	int status;

	if (x->move || c->target.area != DAV_AREA_DOWNLOAD) {
		if (dav_write_refuse_area(c, &c->target, 1))
			return 1;
	}
	if (dav_target_destination(c->ctx, c->req, &x->dst, &status) == -1) {
		dav_reply_error(c->req, status, status == 502 ?
		    "the Destination is on another server" : "the Destination is not valid");
		return 1;
	}
	if (dav_write_refuse_area(c, &x->dst, 1))
		return 1;
	if (strcmp(x->dst.path, c->target.path) == 0) {
		dav_reply_error(c->req, 403, "the source and the destination are the same");
		return 1;
	}
	if (dav_path_within(x->dst.path, c->target.path) ||
	    dav_path_within(c->target.path, x->dst.path)) {
		dav_reply_error(c->req, 403, "one end lies inside the other");
		return 1;
	}
	return 0;
}

/* Opens the source's and the destination's folders and looks at both.
 * 1: replied. */
static int
dav_transfer_open(struct dav_call *c, struct dav_transfer *x)
{
	struct stat st;

	x->src_dirfd = dav_fs_open_parent(c->ctx->root_fd, c->target.fs, &x->src_name);
	if (x->src_dirfd == -1 ||
	    fstatat(x->src_dirfd, x->src_name, &x->src_st, AT_SYMLINK_NOFOLLOW) == -1) {
		dav_reply_error(c->req, errno == ENOENT || errno == ENOTDIR ? 404 :
		    fs_errno_http_status(errno), NULL);
		return 1;
	}
	if (!S_ISREG(x->src_st.st_mode) && !S_ISDIR(x->src_st.st_mode)) {
		dav_reply_error(c->req, 403, "the source is not a file or collection");
		return 1;
	}
	if ((x->dst_dirfd = dav_write_open_parent(c, &x->dst, &x->dst_name)) == -1) {
		dav_write_fail(c, errno, errno == ENOENT || errno == ENOTDIR ?
		    "the Destination's parent collection does not exist" : NULL);
		return 1;
	}
	if (fstatat(x->dst_dirfd, x->dst_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		x->dst_exists = 1;
		x->dst_is_dir = S_ISDIR(st.st_mode);
	} else if (errno != ENOENT) {
		dav_write_fail(c, errno, NULL);
		return 1;
	}
	if (x->dst_exists && !x->overwrite) {
		dav_reply_error(c->req, 412, "the Destination exists and Overwrite is F");
		return 1;
	}
	return 0;
}

/* Locks and the If header on both ends, then COPY's free space.  1: replied. */
static int
dav_transfer_allowed(struct dav_call *c, struct dav_transfer *x)
{
	struct errbuf err;
	uint64_t bytes;
	int room;

	if (x->move && dav_check_write(c, &c->target, S_ISDIR(x->src_st.st_mode)) != 0)
		return 1;
	if (dav_check_write(c, &x->dst, x->dst_is_dir || S_ISDIR(x->src_st.st_mode)) != 0)
		return 1;
	if (x->move)
		return 0;
	if (dav_fs_measure(x->src_dirfd, x->src_name, &bytes, &err) == -1) {
		dav_write_fail(c, errno, err.msg);
		return 1;
	}
	if ((room = dav_space_available(c->ctx, bytes)) != 1) {
		dav_write_fail(c, room == 0 ? ENOSPC : errno, room == 0 ?
		    "not enough free space on the store for this copy" : NULL);
		return 1;
	}
	return 0;
}

/* MOVE: one rename, or a copy and a removal across file systems. */
static int
dav_transfer_move(struct dav_call *c, struct dav_transfer *x, struct errbuf *err)
{
	if (renameat(x->src_dirfd, x->src_name, x->dst_dirfd, x->dst_name) == 0)
		return 0;
	if (errno != EXDEV)
		return errbuf_set_errno(err, "%s: rename", c->target.path);
	if (dav_fs_copy(x->src_dirfd, x->src_name, x->dst_dirfd, x->dst_name, 1, err) == -1)
		return -1;
	if (dav_fs_remove(x->src_dirfd, x->src_name, NULL, NULL, err) != 0)
		log_warnx("webdav: MOVE %s: the source stays after its copy", c->target.path);
	return 0;
}

/* The dead properties and locks follow the resource. */
static void
dav_transfer_follow(struct dav_call *c, struct dav_transfer *x)
{
	struct dav_props *dp = dav_write_props(c, &x->dst);
	struct errbuf err;
	int rc = 0;

	if (x->move && dav_lock_drop_tree(c->ctx->locks, c->target.path, c->now, &err) !=
	    DAV_LOCK_OK)
		log_warnx("webdav: %s", err.msg);
	if (dp == NULL)
		return;
	if (c->target.area != DAV_AREA_INCOMING)
		rc = dav_props_delete(dp, x->dst.rel, &err);
	else if (x->move)
		rc = dav_props_move(dp, c->target.rel, x->dst.rel, &err);
	else
		rc = dav_props_copy(dp, c->target.rel, x->dst.rel, x->depth_infinity, &err);
	if (rc == -1)
		log_warnx("webdav: %s", err.msg);
}

static void
dav_transfer_do(struct dav_call *c, struct dav_transfer *x)
{
	struct errbuf err;
	int rc;

	/* a file over a file is replaced by one rename; anything else goes first */
	if (x->dst_exists && (x->dst_is_dir || S_ISDIR(x->src_st.st_mode)) &&
	    (rc = dav_fs_remove(x->dst_dirfd, x->dst_name, NULL, NULL, &err)) != 0) {
		dav_write_fail(c, rc == 1 ? EIO : errno,
		    "the existing Destination could not be removed");
		return;
	}
	if (x->move)
		rc = dav_transfer_move(c, x, &err);
	else
		rc = dav_fs_copy(x->src_dirfd, x->src_name, x->dst_dirfd, x->dst_name,
		    x->depth_infinity, &err);
	if (rc == -1) {
		dav_write_fail(c, errno, err.msg);
		return;
	}
	if (fsync_dir(x->dst_dirfd, x->dst.path, &err) == -1)
		log_warnx("webdav: %s", err.msg);
	dav_transfer_follow(c, x);
	if (x->move)
		dav_write_touch(c, &c->target);
	dav_write_touch(c, &x->dst);
	dav_reply_status(c->req, x->dst_exists ? 204 : 201, NULL);
	dav_reply_send(c->req);
}

static void
dav_transfer_run(struct dav_call *c, int move)
{
	struct dav_transfer x = { .move = move, .src_dirfd = -1, .dst_dirfd = -1 };

	if (dav_transfer_headers(c, &x) == 0 && dav_transfer_ends(c, &x) == 0 &&
	    dav_transfer_open(c, &x) == 0 && dav_transfer_allowed(c, &x) == 0)
		dav_transfer_do(c, &x);
	if (x.src_dirfd != -1)
		close(x.src_dirfd);
	if (x.dst_dirfd != -1)
		close(x.dst_dirfd);
}

static void
dav_copy_run(struct dav_call *c)
{
	dav_transfer_run(c, 0);
}

static void
dav_move_run(struct dav_call *c)
{
	dav_transfer_run(c, 1);
}

const struct dav_handler dav_handler_copy = {
	"COPY", DAV_BODY_DISCARD, 1, NULL, dav_copy_run, NULL
};
const struct dav_handler dav_handler_move = {
	"MOVE", DAV_BODY_DISCARD, 1, NULL, dav_move_run, NULL
};
