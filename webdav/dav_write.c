/*
 * dav_write: what the WebDAV write methods share (dav_write.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dav_engine.h"
#include "dav_fs.h"
#include "dav_incoming.h"
#include "dav_props.h"
#include "dav_write.h"
#include "fs_open.h"
#include "log.h"

#define DAV_INCOMING_NAME	"incoming"
#define DAV_BUSY_RETRY		"30"	/* seconds, Retry-After of a busy user */

int
dav_write_refuse_area(struct dav_call *c, const struct dav_target *t, int below)
{
	char text[160];

	if (t->area == DAV_AREA_INCOMING && (!below || t->rel[0] != '\0'))
		return 0;
	if (t->area == DAV_AREA_INCOMING)
		snprintf(text, sizeof(text), "refused: /%s/%s/ itself stays; "
		    "work on what it holds", t->channel, DAV_INCOMING_NAME);
	else
		snprintf(text, sizeof(text), "refused: download/ is read-only over WebDAV; "
		    "uploads go to /%s/%s/", t->channel[0] != '\0' ? t->channel : "<channel>",
		    DAV_INCOMING_NAME);
	dav_reply_error(c->req, 403, text);
	return 1;
}

int
dav_write_open_parent(struct dav_call *c, const struct dav_target *t, const char **name)
{
	int chfd, infd, saved;

	chfd = fs_open_dir_nofollow(c->ctx->root_fd, t->channel, strlen(t->channel));
	if (chfd == -1)
		return -1;
	infd = fs_open_subdir(chfd, DAV_INCOMING_NAME, FS_SUBDIR_ENSURE, NULL);
	saved = errno;
	close(chfd);
	if (infd == -1) {
		errno = saved == ENOENT ? EIO : saved;	/* not "the parent is missing" */
		return -1;
	}
	close(infd);
	return dav_fs_open_parent(c->ctx->root_fd, t->fs, name);
}

int
dav_write_errno_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return 409;
	case EEXIST:
	case EISDIR:
		return 405;
	case ENOSPC:
	case EDQUOT:
	case E2BIG:
		return 507;
	case EROFS:
		return 403;
	default:	/* EACCES, EPERM, ENAMETOOLONG, EMFILE, ... as for reads */
		return fs_errno_http_status(err);
	}
}

void
dav_write_fail(struct dav_call *c, int err, const char *why)
{
	int status = dav_write_errno_status(err);

	if (status == 500)
		log_warnx("webdav: %s %s: %s", dav_request_method(c->req), c->target.path,
		    why != NULL ? why : strerror(err));
	dav_reply_error(c->req, status, why);
}

void
dav_write_busy(struct dav_call *c)
{
	static const char text[] = "503 too many uploads of this user at once: "
	    "try again later\n";

	dav_reply_status(c->req, 503, NULL);
	dav_reply_header(c->req, "Retry-After", DAV_BUSY_RETRY);
	dav_reply_header(c->req, "Content-Type", "text/plain; charset=utf-8");
	dav_reply_body(c->req, text, sizeof(text) - 1);
	dav_reply_send(c->req);
}

struct dav_props *
dav_write_props(struct dav_call *c, const struct dav_target *t)
{
	struct dav_props *dp;
	struct errbuf err;

	if ((dp = dav_ctx_props(c->ctx, t->channel, &err)) == NULL)
		log_warnx("webdav: %s", err.msg);
	return dp;
}

void
dav_write_props_forget(struct dav_call *c, const struct dav_target *t)
{
	struct dav_props *dp = dav_write_props(c, t);
	struct errbuf err;

	if (dp != NULL && dav_props_delete(dp, t->rel, &err) == -1)
		log_warnx("webdav: %s", err.msg);
}

void
dav_write_touch(struct dav_call *c, const struct dav_target *t)
{
	if (c->ctx->incoming != NULL && t->area == DAV_AREA_INCOMING)
		dav_incoming_touch(c->ctx->incoming, t->channel, t->rel);
}
