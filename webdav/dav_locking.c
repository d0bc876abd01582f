/*
 * dav_locking: LOCK, UNLOCK and the checks of the If header and the locks
 * on every write (RFC 4918 §6, §7, §9.10, §9.11, §10.4, §10.5, §10.7).
 *
 * The lock table (dav_lock.h) holds the rules; this module is the HTTP
 * side of it.  Lock roots are the targets' canonical decoded paths
 * ("/release/incoming/a b"), the form dav_lock_discovery() and the writers'
 * dav_lock_drop_tree() calls use too.
 *
 * The If header is evaluated against the request's URL (untagged lists) or
 * the resources its tags name (absolute URLs or paths, mapped through the
 * namespace); an entity tag is the resource's current strong ETag, the one
 * GET gives (files only: collections have none).  A write then needs, for
 * every lock on what it changes, that lock's token submitted in the If
 * header by the lock's own user.  Adding or removing a member changes the
 * collection too (§7.4): a lock on the parent counts then.
 *
 * Locks are taken in incoming/ only: download/ is changed by the importer,
 * and the root and the channels are not writable.  A LOCK on an unmapped
 * URL makes an empty file (§7.3: 201); LOCK and UNLOCK count as activity
 * on the upload for the watcher.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dav_engine.h"
#include "dav_handler.h"
#include "dav_if.h"
#include "dav_incoming.h"
#include "dav_lock.h"
#include "dav_xml.h"
#include "fs_open.h"
#include "log.h"
#include "xmalloc.h"

/* The If header of one request, parsed (h NULL when there is none). */
struct dav_if_state {
	struct dav_if *h;
	const char **tokens;
	size_t ntokens;
};

static void
dav_if_state_free(struct dav_if_state *st)
{
	dav_if_free(st->h);
	free(st->tokens);
	st->h = NULL;
	st->tokens = NULL;
	st->ntokens = 0;
}

/* ---- the If header's resources ---- */

/* Maps a resource of the If header - an absolute URL (its scheme and
 * authority are dropped) or a path, percent-encoded - to a target.  0, or
 * -1 when it names nothing of this server's namespace. */
static int
dav_if_resource(struct dav_ctx *ctx, const char *resource, struct dav_target *t)
{
	const char *path = resource, *scheme_end = strstr(resource, "://");
	char raw[URL_PATH_MAX + 1];
	size_t len;
	int status;

	if (path[0] != '/' && scheme_end != NULL) {
		path = strchr(scheme_end + 3, '/');
		if (path == NULL)
			path = "/";
	}
	len = strcspn(path, "?#");
	if (path[0] != '/' || len >= sizeof(raw))
		return -1;
	memcpy(raw, path, len);
	raw[len] = '\0';
	return dav_target_resolve(ctx, raw, t, &status);
}

static int
dav_if_has_lock_token(const char *resource, const char *token, void *arg)
{
	struct dav_call *c = arg;
	struct dav_target t;

	if (dav_if_resource(c->ctx, resource, &t) == -1)
		return 0;
	return dav_lock_token_covers(c->ctx->locks, t.path, token, c->now);
}

static int
dav_if_etag(const char *resource, char *buf, size_t len, void *arg)
{
	struct dav_call *c = arg;
	char etag[HTTP_ETAG_LEN];
	struct dav_target t;
	struct stat st;
	int fd, rc = -1;

	if (dav_if_resource(c->ctx, resource, &t) == -1)
		return -1;
	if ((fd = fs_open_beneath(c->ctx->root_fd, t.fs, O_PATH)) == -1)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		dav_etag_of(&st, etag);
		if ((size_t)snprintf(buf, len, "%s", etag) < len)
			rc = 0;
	}
	close(fd);
	return rc;
}

static const struct dav_if_ops dav_if_callbacks = {
	.has_lock_token = dav_if_has_lock_token,
	.etag = dav_if_etag,
};

/* Parses and evaluates the request's If header (§10.4) into st: 0, or
 * replied (1): 400 when malformed, 412 when false. */
static int
dav_if_check(struct dav_call *c, struct dav_if_state *st)
{
	const char *value = dav_request_header(c->req, "If");
	struct errbuf err;

	if (value == NULL)
		return 0;
	if (dav_if_parse(value, &st->h, &err) == -1) {
		dav_reply_error(c->req, 400, err.msg);
		return 1;
	}
	if (!dav_if_evaluate(st->h, dav_request_path(c->req), &dav_if_callbacks, c)) {
		dav_reply_error(c->req, 412, "the If header's conditions do not hold");
		return 1;
	}
	st->tokens = dav_if_tokens(st->h, &st->ntokens);
	return 0;
}

/* ---- the locks on a write ---- */

/* 1 when the name t exists (a dangling symlink included). */
static int
dav_target_exists(struct dav_ctx *ctx, const struct dav_target *t)
{
	int fd = fs_open_beneath(ctx->root_fd, t->fs, O_PATH | O_NOFOLLOW);

	if (fd == -1)
		return 0;
	close(fd);
	return 1;
}

static int
dav_token_submitted(const struct dav_if_state *st, const char *token)
{
	for (size_t i = 0; i < st->ntokens; i++)
		if (strcmp(st->tokens[i], token) == 0)
			return 1;
	return 0;
}

/* The root of a lock on path whose token the request did not submit (for
 * the 423 body); path itself when the lock lies below it. */
static const char *
dav_blocking_root(struct dav_call *c, const struct dav_if_state *st, const char *path)
{
	size_t n = dav_lock_find(c->ctx->locks, path, c->now, NULL, 0);
	const struct dav_lock **locks;
	const char *root = path;

	if (n == 0)
		return root;
	locks = xcalloc(n, sizeof(*locks));
	n = dav_lock_find(c->ctx->locks, path, c->now, locks, n);
	for (size_t i = 0; i < n && root == path; i++)
		if (!dav_token_submitted(st, locks[i]->token) ||
		    strcmp(locks[i]->principal ? locks[i]->principal : "", c->user) != 0)
			root = locks[i]->root;
	free(locks);
	return root;
}

/* May the request change t (and, with tree, what lies below)?  0, or
 * replied 423 with lock-token-submitted (1). */
static int
dav_locks_permit(struct dav_call *c, const struct dav_if_state *st, const struct dav_target *t,
    int tree)
{
	struct dav_xml_buf body = { 0 };

	if (dav_lock_may_modify(c->ctx->locks, t->path, tree, st->tokens, st->ntokens, c->user,
	    c->now) == DAV_LOCK_OK)
		return 0;
	dav_xml_error_href_body(&body, "lock-token-submitted",
	    dav_blocking_root(c, st, t->path));
	dav_reply_xml(c->req, 423, &body);
	return 1;
}

/* Does the request add or remove t as a member of its collection? (A
 * DELETE or MOVE removes it, anything that makes it adds it.) */
static int
dav_changes_membership(struct dav_call *c, const struct dav_target *t)
{
	const char *method = dav_request_method(c->req);

	if (t->area != DAV_AREA_INCOMING || t->rel[0] == '\0')
		return 0;
	return strcmp(method, "DELETE") == 0 || strcmp(method, "MOVE") == 0 ||
	    !dav_target_exists(c->ctx, t);
}

int
dav_check_write(struct dav_call *c, const struct dav_target *t, int tree)
{
	struct dav_if_state st = { 0 };
	struct dav_target parent;
	int rc;

	if ((rc = dav_if_check(c, &st)) != 0)
		goto out;
	if ((rc = dav_locks_permit(c, &st, t, tree)) != 0)
		goto out;
	if (dav_changes_membership(c, t)) {
		dav_target_parent(t, &parent);
		rc = dav_locks_permit(c, &st, &parent, 0);
	}
out:
	dav_if_state_free(&st);
	return rc;
}

/* ---- lockdiscovery ---- */

static void
dav_activelock_of(const struct dav_lock *l, time_t now, struct dav_activelock *al)
{
	memset(al, 0, sizeof(*al));
	al->scope = l->scope == DAV_LOCK_SHARED ? DAV_SCOPE_SHARED : DAV_SCOPE_EXCLUSIVE;
	al->depth_infinity = l->depth == DAV_LOCK_DEPTH_INFINITY;
	al->owner = l->owner;
	al->timeout = l->expires > now ? (long)(l->expires - now) : 1;
	al->token = l->token;
	al->root = l->root;
}

void
dav_lock_discovery(struct dav_ctx *ctx, const char *path, time_t now, struct dav_xml_buf *out)
{
	size_t n = dav_lock_find(ctx->locks, path, now, NULL, 0);
	const struct dav_lock **locks;
	struct dav_activelock al;

	if (n == 0)
		return;
	locks = xcalloc(n, sizeof(*locks));
	n = dav_lock_find(ctx->locks, path, now, locks, n);
	for (size_t i = 0; i < n; i++) {
		dav_activelock_of(locks[i], now, &al);
		dav_xml_activelock(out, &al);
	}
	free(locks);
}

/* ---- LOCK ---- */

/* A lock-table status that is not DAV_LOCK_OK as a reply. */
static void
dav_lock_reply_status(struct dav_call *c, enum dav_lock_status ls, const struct errbuf *err)
{
	switch (ls) {
	case DAV_LOCK_CONFLICT:
		dav_reply_condition(c->req, 423, "no-conflicting-lock");
		break;
	case DAV_LOCK_LIMIT:
		dav_reply_error(c->req, 503, err->msg);
		break;
	case DAV_LOCK_NOT_FOUND:
		dav_reply_error(c->req, 412, err->msg);
		break;
	case DAV_LOCK_FORBIDDEN:
		dav_reply_error(c->req, 403, err->msg);
		break;
	case DAV_LOCK_INVALID:
		dav_reply_error(c->req, 400, err->msg);
		break;
	case DAV_LOCK_IO:
	case DAV_LOCK_OK:
	default:
		log_warnx("webdav: %s", err->msg);
		dav_reply_error(c->req, 500, "the lock table could not be saved");
		break;
	}
}

/* The answer to a LOCK that took or refreshed `lock`. */
static void
dav_lock_reply(struct dav_call *c, int status, const struct dav_lock *lock, int with_token)
{
	struct dav_xml_buf body = { 0 };
	struct dav_activelock al;
	char header[DAV_LOCK_TOKEN_SIZE + 2];

	dav_activelock_of(lock, c->now, &al);
	dav_xml_lock_body(&body, &al);
	dav_reply_status(c->req, status, NULL);
	if (with_token) {
		snprintf(header, sizeof(header), "<%s>", lock->token);
		dav_reply_header(c->req, "Lock-Token", header);
	}
	dav_reply_header(c->req, "Content-Type", "application/xml; charset=utf-8");
	dav_reply_body(c->req, body.data, body.len);
	dav_reply_send(c->req);
	dav_xml_buf_free(&body);
	if (c->ctx->incoming != NULL && c->target.rel[0] != '\0')
		dav_incoming_touch(c->ctx->incoming, c->target.channel, c->target.rel);
}

/* The Depth of a LOCK (§9.10.3): 0 or infinity, the default.  0, or -1. */
static int
dav_lock_depth(struct dav_call *c, int *depth)
{
	const char *value = dav_request_header(c->req, "Depth");

	*depth = DAV_LOCK_DEPTH_INFINITY;
	if (value == NULL || strcasecmp(value, "infinity") == 0)
		return 0;
	if (strcmp(value, "0") == 0) {
		*depth = 0;
		return 0;
	}
	return -1;
}

/* The lock's timeout asked for: 0 lets the table choose its default; the
 * table caps what is asked. */
static unsigned
dav_lock_timeout(struct dav_call *c)
{
	return dav_if_parse_timeout(dav_request_header(c->req, "Timeout"), 0, UINT_MAX);
}

/* Opens the folder of t's parent; incoming/ itself is made on first use.
 * A descriptor, or -1 with errno set. */
static int
dav_parent_open(struct dav_ctx *ctx, const struct dav_target *t)
{
	struct dav_target parent;

	dav_target_parent(t, &parent);
	if (parent.area == DAV_AREA_INCOMING && parent.rel[0] == '\0')
		return fs_open_subdir(ctx->root_fd, parent.fs, FS_SUBDIR_ENSURE, NULL);
	return fs_open_beneath(ctx->root_fd, parent.fs, O_RDONLY | O_DIRECTORY);
}

/* §7.3: the empty file a LOCK on an unmapped URL makes.  0, or -1 with
 * *status: 409 when the parent is missing or not a collection. */
static int
dav_lock_null_create(struct dav_call *c, int *status)
{
	int dirfd, fd;

	*status = 409;
	if (c->target.slash)
		return -1;	/* a collection's name: MKCOL makes those */
	if ((dirfd = dav_parent_open(c->ctx, &c->target)) == -1) {
		if (errno != ENOENT && errno != ENOTDIR)
			*status = fs_errno_http_status(errno);
		return -1;
	}
	fd = openat(dirfd, dav_target_name(&c->target),
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		*status = errno == EEXIST ? 409 : fs_errno_http_status(errno);
	else
		close(fd);
	close(dirfd);
	return fd == -1 ? -1 : 0;
}

/* Makes sure the locked resource exists: incoming/ itself is made, an
 * unmapped URL becomes an empty file.  1 when a file was made, 0 when it
 * existed, -1 with *status. */
static int
dav_lock_target_ensure(struct dav_call *c, int *status)
{
	int fd;

	if (c->target.rel[0] == '\0') {
		fd = fs_open_subdir(c->ctx->root_fd, c->target.fs, FS_SUBDIR_ENSURE, NULL);
		if (fd == -1) {
			*status = fs_errno_http_status(errno);
			return -1;
		}
		close(fd);
		return 0;
	}
	if (dav_target_exists(c->ctx, &c->target))
		return 0;
	return dav_lock_null_create(c, status) == -1 ? -1 : 1;
}

/* A new lock (§9.10.1). */
static void
dav_lock_new(struct dav_call *c, const struct dav_lockinfo *li)
{
	struct dav_lock_request lr = {
		.path = c->target.path,
		.scope = li->scope == DAV_SCOPE_SHARED ? DAV_LOCK_SHARED : DAV_LOCK_EXCLUSIVE,
		.owner = li->owner,
		.principal = c->user,
		.timeout = dav_lock_timeout(c),
	};
	struct dav_if_state st = { 0 };
	const struct dav_lock *lock;
	char token[DAV_LOCK_TOKEN_SIZE];
	enum dav_lock_status ls;
	struct errbuf err;
	struct dav_target parent;
	int made, status;

	if (dav_lock_depth(c, &lr.depth) == -1) {
		dav_reply_error(c->req, 400, "the Depth of a LOCK is 0 or infinity");
		goto out;
	}
	if (dav_if_check(c, &st) != 0)
		goto out;
	dav_target_parent(&c->target, &parent);
	if (dav_changes_membership(c, &c->target) && dav_locks_permit(c, &st, &parent, 0) != 0)
		goto out;
	if ((ls = dav_lock_create(c->ctx->locks, &lr, c->now, &lock, &err)) != DAV_LOCK_OK) {
		dav_lock_reply_status(c, ls, &err);
		goto out;
	}
	snprintf(token, sizeof(token), "%s", lock->token);
	if ((made = dav_lock_target_ensure(c, &status)) == -1) {
		if (dav_lock_remove(c->ctx->locks, c->target.path, token, c->user, c->now,
		    &err) != DAV_LOCK_OK)
			log_warnx("webdav: %s", err.msg);
		dav_reply_error(c->req, status, status == 409 ?
		    "a lock-null resource needs an existing parent collection" : NULL);
		goto out;
	}
	dav_lock_reply(c, made ? 201 : 200, lock, 1);
out:
	dav_if_state_free(&st);
}

/* A refresh (§9.10.2): an empty body, the lock named in the If header. */
static void
dav_lock_refresh_run(struct dav_call *c)
{
	struct dav_if_state st = { 0 };
	const struct dav_lock *lock = NULL;
	enum dav_lock_status ls = DAV_LOCK_NOT_FOUND, one;
	unsigned timeout = dav_lock_timeout(c);
	struct errbuf err, first;

	errbuf_set(&first, "%s: the If header names no lock of it", c->target.path);
	if (dav_if_check(c, &st) != 0)
		goto out;
	if (st.h == NULL) {
		dav_reply_error(c->req, 400,
		    "a LOCK without a body refreshes the lock its If header names: there is none");
		goto out;
	}
	for (size_t i = 0; i < st.ntokens && ls != DAV_LOCK_OK; i++) {
		one = dav_lock_refresh(c->ctx->locks, c->target.path, st.tokens[i], c->user,
		    timeout, c->now, &lock, &err);
		if (one == DAV_LOCK_OK || ls == DAV_LOCK_NOT_FOUND) {
			ls = one;
			first = err;
		}
	}
	if (ls != DAV_LOCK_OK)
		dav_lock_reply_status(c, ls, &first);
	else
		dav_lock_reply(c, 200, lock, 0);
out:
	dav_if_state_free(&st);
}

static int
dav_lock_prepare(struct dav_call *c)
{
	if (c->target.area == DAV_AREA_INCOMING)
		return 0;
	dav_reply_error(c->req, 403, "locks are taken in incoming/ only");
	return 1;
}

static void
dav_lock_run(struct dav_call *c)
{
	struct dav_lockinfo li = { 0 };
	struct errbuf err;
	const char *body;
	size_t len;
	int status;

	body = dav_request_body(c->req, &len);
	if (dav_xml_parse_lockinfo(body, len, &li, &status, &err) == -1)
		dav_reply_error(c->req, status, err.msg);
	else if (li.refresh)
		dav_lock_refresh_run(c);
	else
		dav_lock_new(c, &li);
	dav_lockinfo_free(&li);
}

/* ---- UNLOCK ---- */

static void
dav_unlock_run(struct dav_call *c)
{
	char token[DAV_IF_MAX_ITEM + 1];
	enum dav_lock_status ls;
	struct errbuf err;

	if (dav_if_parse_lock_token(dav_request_header(c->req, "Lock-Token"), token,
	    sizeof(token), &err) == -1) {
		dav_reply_error(c->req, 400, err.msg);
		return;
	}
	ls = dav_lock_remove(c->ctx->locks, c->target.path, token, c->user, c->now, &err);
	if (ls == DAV_LOCK_NOT_FOUND) {
		dav_reply_condition(c->req, 409, "lock-token-matches-request-uri");
		return;
	}
	if (ls != DAV_LOCK_OK) {
		dav_lock_reply_status(c, ls, &err);
		return;
	}
	dav_reply_status(c->req, 204, NULL);
	dav_reply_send(c->req);
	if (c->ctx->incoming != NULL && c->target.area == DAV_AREA_INCOMING &&
	    c->target.rel[0] != '\0')
		dav_incoming_touch(c->ctx->incoming, c->target.channel, c->target.rel);
}

const struct dav_handler dav_handler_lock = {
	"LOCK", DAV_BODY_MEMORY, 1, dav_lock_prepare, dav_lock_run, NULL
};
const struct dav_handler dav_handler_unlock = {
	"UNLOCK", DAV_BODY_DISCARD, 1, NULL, dav_unlock_run, NULL
};
