/*
 * dav_put: PUT into incoming/ (RFC 9110 9.3.4, RFC 4918 9.7).
 *
 * The body streams to a temporary file ".tmp-dav-XXXXXX" in the target's
 * folder (hidden: never served, never imported, never listed), is fsync'd
 * and renamed over the target: a partial file is never visible under its
 * name, and a replaced file stays whole until the new one is complete.
 * Everything that can be refused is refused before the body is taken
 * (prepare): the area (403), Content-Range (400: a partial PUT is not
 * taken, RFC 9110 14.5), a missing parent (409), a collection (405),
 * If-Match/If-None-Match (412), locks and the If header (423/412), the
 * user's concurrent uploads (503), free space above the reserve with the
 * Content-Length when given, or Finder's X-Expected-Entity-Length of a
 * chunked body (507).  A body that fails to write (disk full:
 * 507) or never completes (client gone) leaves nothing but what was there
 * before: cleanup removes the temporary file.
 *
 * Clients' quirks: a trailing '/' on a file is ignored (the resolver keeps
 * it apart), "Translate: f" (Windows) is ignored, Finder's ".DS_Store" and
 * "._*" are stored like any file, an empty PUT followed by the real one
 * (Windows) is two ordinary PUTs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "dav_engine.h"
#include "dav_fs.h"
#include "dav_handler.h"
#include "dav_incoming.h"
#include "dav_write.h"
#include "http_cond.h"
#include "log.h"
#include "xmalloc.h"

struct dav_put {
	int dirfd;			/* the target's folder */
	const char *name;		/* the target's last segment (in c->target) */
	char tmp[DAV_FS_TMP_NAME_MAX];	/* "" once renamed or never made */
	int existed;			/* a file was replaced: 204 */
	int held;			/* dav_incoming_hold() was called */
};

/* The declared body length, or 0 when unknown or malformed: Content-Length,
 * or for a chunked body Finder's X-Expected-Entity-Length. */
static uint64_t
dav_put_length(struct dav_call *c)
{
	const char *v = dav_request_header(c->req, "Content-Length");
	char *end;
	uintmax_t n;

	if (v == NULL)
		v = dav_request_header(c->req, "X-Expected-Entity-Length");
	if (v == NULL || *v < '0' || *v > '9')
		return 0;
	errno = 0;
	n = strtoumax(v, &end, 10);
	return errno == 0 && *end == '\0' ? (uint64_t)n : 0;
}

/* If-Match / If-None-Match / If-Unmodified-Since against what is there
 * (st NULL: nothing).  1: replied 412. */
static int
dav_put_conditions(struct dav_call *c, const struct stat *st)
{
	struct http_cond_headers h = {
		.if_match = dav_request_header(c->req, "If-Match"),
		.if_none_match = dav_request_header(c->req, "If-None-Match"),
		.if_unmodified_since = dav_request_header(c->req, "If-Unmodified-Since"),
	};
	char etag[HTTP_ETAG_LEN];

	if (st != NULL)
		dav_etag_of(st, etag);
	if (http_cond_evaluate(&h, st != NULL ? etag : NULL, st != NULL ? st->st_mtime : 0, 0) ==
	    HTTP_COND_PROCEED)
		return 0;
	dav_reply_error(c->req, 412, "a condition (If-Match, If-None-Match, "
	    "If-Unmodified-Since) is false");
	return 1;
}

/* What is at the target now: 0 (st filled, p->existed set, or nothing
 * there), or replied (1). */
static int
dav_put_examine(struct dav_call *c, struct dav_put *p)
{
	struct stat st;

	if (fstatat(p->dirfd, p->name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT) {
			dav_write_fail(c, errno, NULL);
			return 1;
		}
		return dav_put_conditions(c, NULL);
	}
	if (S_ISDIR(st.st_mode)) {
		dav_reply_error(c->req, 405, "the target is a collection");
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		dav_reply_error(c->req, 403, "the target is not a regular file");
		return 1;
	}
	p->existed = 1;
	return dav_put_conditions(c, &st);
}

/* Room for the body above the reserve.  1: replied (507 or 500). */
static int
dav_put_space(struct dav_call *c)
{
	int room = dav_space_available(c->ctx, dav_put_length(c));

	if (room == 1)
		return 0;
	if (room == 0)
		dav_reply_error(c->req, 507, "not enough free space on the store for this upload");
	else
		dav_write_fail(c, errno, "cannot learn the free space of the store");
	return 1;
}

static int
dav_put_prepare(struct dav_call *c)
{
	struct dav_put *p = xcalloc(1, sizeof(*p));
	int fd;

	p->dirfd = -1;
	c->state = p;
	if (dav_write_refuse_area(c, &c->target, 1))
		return 1;
	if (dav_request_header(c->req, "Content-Range") != NULL) {	/* RFC 9110 14.5 */
		dav_reply_error(c->req, 400, "takes a whole body, no Content-Range");
		return 1;
	}
	/* held before the parent is opened: the watcher never carries the
	 * folder off between the two (it backs off, or the PUT gets 409) */
	if (c->ctx->incoming != NULL) {
		dav_incoming_hold(c->ctx->incoming, c->target.channel, c->target.rel);
		p->held = 1;
	}
	if ((p->dirfd = dav_write_open_parent(c, &c->target, &p->name)) == -1) {
		dav_write_fail(c, errno, errno == ENOENT || errno == ENOTDIR ?
		    "the parent collection does not exist" : NULL);
		return 1;
	}
	if (dav_put_examine(c, p) != 0 || dav_check_write(c, &c->target, 0) != 0)
		return 1;
	if (dav_upload_begin(c) == -1) {
		dav_write_busy(c);
		return 1;
	}
	if (dav_put_space(c) != 0)
		return 1;
	if ((fd = dav_fs_tmpfile(p->dirfd, p->tmp)) == -1) {
		p->tmp[0] = '\0';
		dav_write_fail(c, errno, "cannot make the temporary file");
		return 1;
	}
	c->body_fd = fd;
	return 0;
}

/* The reply once the file is in place: 201 or 204, with its ETag. */
static void
dav_put_reply(struct dav_call *c, const struct dav_put *p)
{
	char etag[HTTP_ETAG_LEN];
	struct stat st;

	dav_reply_status(c->req, p->existed ? 204 : 201, NULL);
	if (fstat(c->body_fd, &st) == 0) {
		dav_etag_of(&st, etag);
		dav_reply_header(c->req, "ETag", etag);
	}
	dav_reply_send(c->req);
}

static void
dav_put_run(struct dav_call *c)
{
	struct dav_put *p = c->state;
	struct errbuf err;
	int e = dav_request_body_errno(c->req);

	if (e != 0 || fsync(c->body_fd) == -1) {
		e = e != 0 ? e : errno;
		dav_write_fail(c, e, e == ENOSPC || e == EDQUOT ?
		    "the store's disk is full: nothing was changed" : "the body could not be written");
		return;
	}
	if (renameat(p->dirfd, p->tmp, p->dirfd, p->name) == -1) {
		e = errno;
		dav_write_fail(c, e == EISDIR ? EEXIST : e, e == EISDIR ?
		    "the target is a collection" : "the file could not be put in place");
		return;
	}
	p->tmp[0] = '\0';
	if (fsync_dir(p->dirfd, c->target.path, &err) == -1)
		log_warnx("webdav: %s", err.msg);
	/* a new resource starts without the dead properties of an old one */
	if (!p->existed)
		dav_write_props_forget(c, &c->target);
	dav_write_touch(c, &c->target);
	dav_put_reply(c, p);
}

static void
dav_put_cleanup(struct dav_call *c)
{
	struct dav_put *p = c->state;

	if (p == NULL)
		return;
	if (p->tmp[0] != '\0')
		unlinkat(p->dirfd, p->tmp, 0);
	if (p->dirfd != -1)
		close(p->dirfd);
	if (p->held)
		dav_incoming_release(c->ctx->incoming, c->target.channel, c->target.rel);
	free(p);
	c->state = NULL;
}

const struct dav_handler dav_handler_put = {
	"PUT", DAV_BODY_FILE, 1, dav_put_prepare, dav_put_run, dav_put_cleanup
};
