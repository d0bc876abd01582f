/*
 * dav_server: the WebDAV listener - its thread, the method table, the gate
 * every request passes, GET/HEAD/OPTIONS, and the helpers the method
 * modules share (dav_server.h, dav_handler.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "dav_auth.h"
#include "dav_engine.h"
#include "dav_handler.h"
#include "dav_incoming.h"
#include "dav_lock.h"
#include "dav_props.h"
#include "dav_read.h"
#include "dav_server.h"
#include "dav_users.h"
#include "dav_xml.h"
#include "fs_open.h"
#include "http_date.h"
#include "log.h"
#include "mime.h"
#include "read_path.h"
#include "xmalloc.h"

#define DAV_STATE_DIR		".webdav"
#define DAV_LOCKS_FILE		DAV_STATE_DIR "/locks.json"
#define DAV_PROPS_DIR		DAV_STATE_DIR "/props"
#define DAV_LOCKS_PER_USER_DIV	4	/* one user may hold a quarter of the locks */
#define DAV_LOCK_DEFAULT_TIMEOUT	600
#define DAV_LOCK_MAX_TIMEOUT	86400

struct dav_server {
	struct dav_server_config cfg;
	char *root;
	char *users_file;
	char listen[128];
	struct event_base *base;
	struct dav_engine *engine;
	struct dav_ctx ctx;
	struct dav_users *users;
	struct dav_auth *auth;
	int basic_allowed;
	int wake_fd;			/* eventfd: reload or stop */
	struct event *wake_ev;
	atomic_int reload_wanted;
	atomic_int stop_wanted;
	pthread_t thread;
	int started;
	struct dav_method methods[16];
	size_t nmethods;
};

static const struct dav_handler *const dav_handlers[] = {
	&dav_handler_options, &dav_handler_get, &dav_handler_head, &dav_handler_put,
	&dav_handler_delete, &dav_handler_mkcol, &dav_handler_copy, &dav_handler_move,
	&dav_handler_propfind, &dav_handler_proppatch, &dav_handler_lock, &dav_handler_unlock,
};
#define DAV_NHANDLERS	(sizeof(dav_handlers) / sizeof(dav_handlers[0]))

/* ---- the gate ---- */

static void
dav_call_free(struct dav_call *c)
{
	if (c->handler->cleanup != NULL)
		c->handler->cleanup(c);
	dav_upload_end(c);
	if (c->body_fd != -1)
		close(c->body_fd);
	free(c);
}

static void
dav_call_done(struct dav_request *req, void *arg)
{
	struct dav_call *c = arg;

	(void)req;
	c->handler->run(c);
	dav_call_free(c);
}

static void
dav_call_abort(struct dav_request *req, void *arg)
{
	(void)req;
	dav_call_free(arg);
}

/* A refusal of the gate with one header of its own (dav_reply_error()
 * starts its headers afresh). */
static void
dav_gate_refuse(struct dav_request *req, int status, const char *name, const char *value,
    const char *text)
{
	dav_reply_status(req, status, NULL);
	dav_reply_header(req, name, value);
	dav_reply_header(req, "Content-Type", "text/plain; charset=utf-8");
	dav_reply_body(req, text, strlen(text));
	dav_reply_send(req);
}

/* Authentication: 0 and the role and user in c, or replied (1). */
static int
dav_gate_auth(struct dav_server *dav, struct dav_call *c)
{
	const char *authorization = dav_request_header(c->req, "Authorization");
	char password[DAV_PASSWORD_MAX + 1];
	size_t plen;

	if (!dav->basic_allowed) {
		dav_reply_error(c->req, 403,
		    "passwords are not taken over plain HTTP here: use HTTPS");
		return 1;
	}
	switch (dav_auth_request(dav->auth, authorization, dav_request_peer(c->req), c->now,
	    &c->role)) {
	case DAV_AUTH_OK:
		break;
	case DAV_AUTH_LIMITED:
		dav_gate_refuse(c->req, 429, "Retry-After", "300",
		    "429 too many failed logins from this address\n");
		return 1;
	case DAV_AUTH_DENIED:
	default:
		dav_gate_refuse(c->req, 401, "WWW-Authenticate", DAV_AUTH_CHALLENGE,
		    "401 a user name and password are needed\n");
		return 1;
	}
	if (dav_auth_parse_basic(authorization, c->user, password, &plen) == 0)
		OPENSSL_cleanse(password, sizeof(password));
	return 0;
}

static void
dav_gate(struct dav_request *req, void *arg)
{
	struct dav_server *dav = arg;
	const struct dav_handler *h = NULL;
	struct dav_call *c;
	int status;

	for (size_t i = 0; i < DAV_NHANDLERS && h == NULL; i++)
		if (strcmp(dav_handlers[i]->method, dav_request_method(req)) == 0)
			h = dav_handlers[i];
	c = xcalloc(1, sizeof(*c));
	c->ctx = &dav->ctx;
	c->req = req;
	c->handler = h;
	c->now = time(NULL);
	c->body_fd = -1;
	if (dav_gate_auth(dav, c) != 0)
		goto replied;
	if (h->writes && c->role != DAV_ROLE_RW) {
		dav_reply_error(req, 403, "this user may only read");
		goto replied;
	}
	if (dav_target_resolve(&dav->ctx, dav_request_path(req), &c->target, &status) == -1) {
		dav_reply_error(req, status, NULL);
		goto replied;
	}
	if (h->prepare != NULL && h->prepare(c) != 0)
		goto replied;
	dav_request_set_user(req, c);
	switch (h->body) {
	case DAV_BODY_MEMORY:
		dav_request_body_memory(req, dav_call_done, dav_call_abort, c);
		break;
	case DAV_BODY_FILE:
		dav_request_body_fd(req, c->body_fd, dav_call_done, dav_call_abort, c);
		break;
	case DAV_BODY_DISCARD:
	default:
		dav_request_body_discard(req, dav_call_done, dav_call_abort, c);
		break;
	}
	return;
replied:
	c->handler = h;
	dav_call_free(c);
}

/* ---- GET, HEAD, OPTIONS ---- */

static void
dav_file_release(void *arg)
{
	close((int)(intptr_t)arg);
}

/* A file of incoming/ (its collections have no GET body of their own: a
 * short text says so). */
static void
dav_get_incoming(struct dav_call *c)
{
	struct http_cond_headers h = {
		.if_match = dav_request_header(c->req, "If-Match"),
		.if_none_match = dav_request_header(c->req, "If-None-Match"),
		.if_modified_since = dav_request_header(c->req, "If-Modified-Since"),
		.if_unmodified_since = dav_request_header(c->req, "If-Unmodified-Since"),
	};
	char etag[HTTP_ETAG_LEN], date[HTTP_DATE_LEN];
	enum http_cond_result cond;
	struct stat st;
	int fd;

	fd = fs_open_beneath(c->ctx->root_fd, c->target.fs, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd == -1 || fstat(fd, &st) == -1) {
		dav_reply_error(c->req, fs_errno_http_status(errno), NULL);
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		static const char text[] = "a WebDAV collection: list it with PROPFIND\n";

		dav_reply_status(c->req, 200, NULL);
		dav_reply_header(c->req, "Content-Type", "text/plain; charset=utf-8");
		dav_reply_length(c->req, sizeof(text) - 1);
		dav_reply_body(c->req, text, sizeof(text) - 1);
		dav_reply_send(c->req);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		dav_reply_error(c->req, 403, NULL);
		goto done;
	}
	dav_etag_of(&st, etag);
	http_date_format(st.st_mtime, date);
	cond = http_cond_evaluate(&h, etag, st.st_mtime, 1);
	dav_reply_status(c->req, cond == HTTP_COND_PROCEED ? 200 : (int)cond, NULL);
	dav_reply_header(c->req, "ETag", etag);
	dav_reply_header(c->req, "Last-Modified", date);
	if (cond != HTTP_COND_PROCEED) {
		dav_reply_send(c->req);
		goto done;
	}
	dav_reply_header(c->req, "Content-Type", mime_type_for(c->target.path));
	dav_reply_length(c->req, (uint64_t)st.st_size);
	if (dav_request_is_head(c->req) || st.st_size == 0) {
		dav_reply_send(c->req);
		goto done;
	}
	if (dav_reply_file(c->req, fd, 0, (uint64_t)st.st_size, dav_file_release,
	    (void *)(intptr_t)fd) == -1) {
		dav_reply_close(c->req);
		dav_reply_error(c->req, 500, "cannot queue the file");
		goto done;
	}
	fd = -1;	/* dav_file_release closes it */
	dav_reply_send(c->req);
done:
	if (fd != -1)
		close(fd);
}

static void
dav_get_run(struct dav_call *c)
{
	if (c->target.area == DAV_AREA_INCOMING)
		dav_get_incoming(c);
	else
		dav_read_reply(c->ctx->rp, c->req);
}

/* A CORS preflight of the published tree goes to read_path like the public
 * listener's; any other OPTIONS is WebDAV's. */
static void
dav_options_run(struct dav_call *c)
{
	if (c->target.area == DAV_AREA_DOWNLOAD &&
	    dav_request_header(c->req, "Access-Control-Request-Method") != NULL)
		dav_read_reply(c->ctx->rp, c->req);
	else
		dav_reply_options(c->req);
}

const struct dav_handler dav_handler_get = { "GET", DAV_BODY_DISCARD, 0, NULL, dav_get_run, NULL };
const struct dav_handler dav_handler_head = { "HEAD", DAV_BODY_DISCARD, 0, NULL, dav_get_run, NULL };
const struct dav_handler dav_handler_options = {
	"OPTIONS", DAV_BODY_DISCARD, 0, NULL, dav_options_run, NULL
};

/* ---- helpers for the handlers ---- */

void
dav_reply_xml(struct dav_request *req, int status, struct dav_xml_buf *body)
{
	dav_reply_status(req, status, NULL);
	dav_reply_header(req, "Content-Type", "application/xml; charset=utf-8");
	dav_reply_body_take(req, body->data, body->len);
	body->data = NULL;	/* the engine's now */
	dav_xml_buf_free(body);
	dav_reply_send(req);
}

void
dav_reply_condition(struct dav_request *req, int status, const char *condition)
{
	struct dav_xml_buf body = { 0 };

	dav_xml_error_body(&body, condition);
	dav_reply_xml(req, status, &body);
}

void
dav_etag_of(const struct stat *st, char out[HTTP_ETAG_LEN])
{
	http_etag_make(out, (uint64_t)st->st_size, (int64_t)st->st_mtim.tv_sec,
	    st->st_mtim.tv_nsec);
}

struct dav_props *
dav_ctx_props(struct dav_ctx *ctx, const char *channel, struct errbuf *err)
{
	char dir[4096];
	struct dav_props *dp;

	for (size_t i = 0; i < ctx->nprops; i++)
		if (strcmp(ctx->props[i].channel, channel) == 0)
			return ctx->props[i].props;
	snprintf(dir, sizeof(dir), "%s/%s/%s", ctx->root, DAV_PROPS_DIR, channel);
	if ((dp = dav_props_open(dir, NULL, err)) == NULL)
		return NULL;
	ctx->props = xreallocarray(ctx->props, ctx->nprops + 1, sizeof(*ctx->props));
	snprintf(ctx->props[ctx->nprops].channel, sizeof(ctx->props[0].channel), "%s", channel);
	ctx->props[ctx->nprops++].props = dp;
	return dp;
}

static struct dav_ctx_uploads *
dav_upload_slot(struct dav_ctx *ctx, const char *user)
{
	for (size_t i = 0; i < ctx->nuploads; i++)
		if (strcmp(ctx->uploads[i].user, user) == 0)
			return &ctx->uploads[i];
	ctx->uploads = xreallocarray(ctx->uploads, ctx->nuploads + 1, sizeof(*ctx->uploads));
	memset(&ctx->uploads[ctx->nuploads], 0, sizeof(ctx->uploads[0]));
	snprintf(ctx->uploads[ctx->nuploads].user, sizeof(ctx->uploads[0].user), "%s", user);
	return &ctx->uploads[ctx->nuploads++];
}

int
dav_upload_begin(struct dav_call *c)
{
	struct dav_ctx_uploads *u = dav_upload_slot(c->ctx, c->user);

	if (u->count >= c->ctx->max_uploads)
		return -1;
	u->count++;
	c->uploading = 1;
	return 0;
}

void
dav_upload_end(struct dav_call *c)
{
	if (!c->uploading)
		return;
	dav_upload_slot(c->ctx, c->user)->count--;
	c->uploading = 0;
}

int
dav_space_available(struct dav_ctx *ctx, uint64_t more)
{
	struct statvfs vfs;

	if (fstatvfs(ctx->root_fd, &vfs) == -1)
		return -1;
	return (uint64_t)vfs.f_bavail * vfs.f_frsize >= ctx->reserve_bytes + more;
}

/* ---- the server ---- */

/* The users file again (on the loop thread). */
static void
dav_server_load_users(struct dav_server *dav)
{
	struct dav_users *users;
	struct dav_auth *auth;
	struct errbuf err;

	users = dav_users_load(dav->users_file, 1, &err);
	if (users == NULL) {
		log_warnx("webdav: %s; the users loaded before stay in force", err.msg);
		return;
	}
	if ((auth = dav_auth_create(users)) == NULL)
		xalloc_failed("the WebDAV users");
	dav_auth_free(dav->auth);
	dav_users_free(dav->users);
	dav->users = users;
	dav->auth = auth;
	log_info("webdav: %zu user(s) from %s", dav_users_count(users), dav->users_file);
}

static void
dav_server_wake(evutil_socket_t fd, short what, void *arg)
{
	struct dav_server *dav = arg;
	uint64_t n;

	(void)what;
	(void)!read(fd, &n, sizeof(n));
	if (atomic_exchange(&dav->reload_wanted, 0))
		dav_server_load_users(dav);
	if (atomic_load(&dav->stop_wanted))
		event_base_loopbreak(dav->base);
}

static void
dav_server_poke(struct dav_server *dav)
{
	uint64_t one = 1;

	(void)!write(dav->wake_fd, &one, sizeof(one));
}

/* The loop merges the changes of one turn into one epoll_ctl(2) each, as
 * the public listener's (docs/BENCHMARKS.md, "Four epoll_ctl(2) per
 * request"); no descriptor of it is a dup(). */
static struct event_base *
dav_server_base_new(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base = NULL;

	if (ec != NULL && event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0)
		base = event_base_new_with_config(ec);
	if (ec != NULL)
		event_config_free(ec);
	return base;
}

static int
dav_server_state_dirs(struct dav_server *dav, struct errbuf *err)
{
	int fd;

	if ((fd = fs_open_subdir(dav->ctx.root_fd, DAV_STATE_DIR, FS_SUBDIR_ENSURE, err)) == -1)
		return errbuf_prefix(err, "%s", dav->root);
	close(fd);
	if ((fd = fs_open_subdir(dav->ctx.root_fd, DAV_PROPS_DIR, FS_SUBDIR_ENSURE, err)) == -1)
		return errbuf_prefix(err, "%s", dav->root);
	close(fd);
	return 0;
}

static int
dav_server_open_state(struct dav_server *dav, struct errbuf *err)
{
	struct dav_lock_limits limits = {
		.max_locks = (size_t)dav->cfg.max_locks,
		.max_per_principal = (size_t)(dav->cfg.max_locks / DAV_LOCKS_PER_USER_DIV + 1),
		.default_timeout = DAV_LOCK_DEFAULT_TIMEOUT,
		.max_timeout = DAV_LOCK_MAX_TIMEOUT,
	};
	struct read_path_config rpc = { .root_fd = dav->ctx.root_fd, .www_fd = -1,
	    .cache_entries = 64 };
	char file[4096];

	if (dav_server_state_dirs(dav, err) == -1)
		return -1;
	snprintf(file, sizeof(file), "%s/%s", dav->root, DAV_LOCKS_FILE);
	if ((dav->ctx.locks = dav_lock_table_create(file, &limits, time(NULL), err)) == NULL)
		return -1;
	if ((dav->ctx.rp = read_path_create(&rpc)) == NULL)
		return errbuf_set(err, "webdav: cannot make the read path");
	dav_server_load_users(dav);
	if (dav->users == NULL)
		return errbuf_set(err, "%s: the WebDAV users file does not load", dav->users_file);
	return 0;
}

static int
dav_server_listen(struct dav_server *dav, struct errbuf *err)
{
	struct dav_engine_config ec = {
		.address = dav->listen,
		.max_connections = dav->cfg.max_connections,
		.idle_timeout = dav->cfg.idle_timeout,
		.header_timeout = dav->cfg.header_timeout,
		.body_timeout = dav->cfg.body_timeout,
		.methods = dav->methods,
		.nmethods = DAV_NHANDLERS,
		.bev_factory = dav->cfg.bev_factory,
		.bev_factory_arg = dav->cfg.bev_factory_arg,
		.bev_shutdown = dav->cfg.bev_shutdown,
	};
	const char *colon = strrchr(dav->cfg.listen, ':');
	char *end;
	long port;

	if (colon == NULL || (size_t)(colon - dav->cfg.listen) >= sizeof(dav->listen))
		return errbuf_set(err, "webdav-listen: '%s' is not ADDR:PORT", dav->cfg.listen);
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		return errbuf_set(err, "webdav-listen: '%s' has no valid port", dav->cfg.listen);
	memcpy(dav->listen, dav->cfg.listen, (size_t)(colon - dav->cfg.listen));
	if (dav->listen[0] == '[') {	/* "[::1]" -> "::1" */
		size_t len = strlen(dav->listen);

		memmove(dav->listen, dav->listen + 1, len);
		if (len >= 2 && dav->listen[len - 2] == ']')
			dav->listen[len - 2] = '\0';
	}
	ec.port = (int)port;
	for (size_t i = 0; i < DAV_NHANDLERS; i++) {
		dav->methods[i].name = dav_handlers[i]->method;
		dav->methods[i].head = dav_gate;
		dav->methods[i].arg = dav;
	}
	dav->engine = dav_engine_create(dav->base, &ec, err);
	return dav->engine == NULL ? -1 : 0;
}

struct dav_server *
dav_server_create(const struct dav_server_config *cfg, struct errbuf *err)
{
	struct dav_server *dav = xcalloc(1, sizeof(*dav));

	dav->cfg = *cfg;
	dav->root = xstrdup(cfg->root);
	dav->users_file = xstrdup(cfg->users_file);
	dav->cfg.root = dav->root;
	dav->cfg.users_file = dav->users_file;
	dav->cfg.listen = NULL;
	dav->wake_fd = -1;
	dav->ctx.root = dav->root;
	dav->ctx.reserve_bytes = cfg->reserve_bytes;
	dav->ctx.max_uploads = cfg->max_uploads > 0 ? cfg->max_uploads : 8;
	if (dav->cfg.max_locks <= 0)
		dav->cfg.max_locks = 1024;
	dav->basic_allowed = dav_auth_basic_allowed(cfg->tls, cfg->listen, cfg->allow_plain_basic);
	dav->ctx.root_fd = open(cfg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dav->ctx.root_fd == -1) {
		errbuf_set_errno(err, "%s", cfg->root);
		goto fail;
	}
	if (dav_server_open_state(dav, err) == -1)
		goto fail;
	if ((dav->base = dav_server_base_new()) == NULL) {
		errbuf_set(err, "webdav: cannot make an event loop");
		goto fail;
	}
	dav->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dav->wake_fd == -1) {
		errbuf_set_errno(err, "webdav: eventfd");
		goto fail;
	}
	dav->wake_ev = event_new(dav->base, dav->wake_fd, EV_READ | EV_PERSIST, dav_server_wake, dav);
	if (dav->wake_ev == NULL || event_add(dav->wake_ev, NULL) == -1) {
		errbuf_set(err, "webdav: cannot watch the wake-up descriptor");
		goto fail;
	}
	dav->cfg.listen = cfg->listen;
	if (dav_server_listen(dav, err) == -1)
		goto fail;
	dav->cfg.listen = NULL;
	if (!dav->basic_allowed)
		log_warnx("webdav: %s is plain HTTP off loopback: every request is refused "
		    "(use webdav-tls, or webdav-allow-plain-basic)", cfg->listen);
	return dav;
fail:
	dav->cfg.listen = NULL;
	dav_server_free(dav);
	return NULL;
}

static void *
dav_server_thread(void *arg)
{
	struct dav_server *dav = arg;

	event_base_dispatch(dav->base);
	return NULL;
}

int
dav_server_start(struct dav_server *dav, struct errbuf *err)
{
	struct dav_incoming_config ic = {
		.root = dav->root,
		.quiet_seconds = dav->cfg.quiet_seconds,
		.reserve_bytes = dav->cfg.reserve_bytes,
	};
	int rc;

	if ((dav->ctx.incoming = dav_incoming_start(&ic, err)) == NULL)
		return -1;
	rc = pthread_create(&dav->thread, NULL, dav_server_thread, dav);
	if (rc != 0) {
		errno = rc;
		return errbuf_set_errno(err, "webdav: pthread_create");
	}
	dav->started = 1;
	return 0;
}

void
dav_server_reload(struct dav_server *dav)
{
	atomic_store(&dav->reload_wanted, 1);
	dav_server_poke(dav);
}

void
dav_server_free(struct dav_server *dav)
{
	if (dav == NULL)
		return;
	if (dav->started) {
		atomic_store(&dav->stop_wanted, 1);
		dav_server_poke(dav);
		pthread_join(dav->thread, NULL);
	}
	dav_engine_free(dav->engine);
	dav_incoming_stop(dav->ctx.incoming);
	if (dav->wake_ev != NULL)
		event_free(dav->wake_ev);
	if (dav->wake_fd != -1)
		close(dav->wake_fd);
	if (dav->base != NULL)
		event_base_free(dav->base);
	for (size_t i = 0; i < dav->ctx.nprops; i++)
		dav_props_free(dav->ctx.props[i].props);
	free(dav->ctx.props);
	free(dav->ctx.uploads);
	dav_lock_table_free(dav->ctx.locks);
	read_path_free(dav->ctx.rp);
	dav_auth_free(dav->auth);
	dav_users_free(dav->users);
	if (dav->ctx.root_fd != -1)
		close(dav->ctx.root_fd);
	free(dav->root);
	free(dav->users_file);
	free(dav);
}

int
dav_server_port(const struct dav_server *dav)
{
	return dav_engine_port(dav->engine);
}
