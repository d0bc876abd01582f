/*
 * dav_engine: bufferevents + libhttp-parser, one request at a time per
 * connection (dav_engine.h).
 *
 * A connection moves IDLE -> HEAD (first byte) -> BODY (head complete,
 * handler called) -> HANDLER (body taken, reply pending) -> WRITING (reply
 * queued, reading stopped) -> IDLE, or closes.  The parser is paused at the
 * end of each message, so bytes of a pipelined request stay in the input
 * buffer until the reply before it has been written.  One timer per
 * connection carries the idle, header and body deadlines.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <http_parser.h>

#include "dav_engine.h"
#include "dav_engine_internal.h"
#include "fs_open.h"
#include "http_head.h"
#include "http_status.h"
#include "xmalloc.h"

#define DAV_DEFAULT_CONNECTIONS	256
#define DAV_DEFAULT_IDLE	60
#define DAV_DEFAULT_HEADER	30
#define DAV_DEFAULT_BODY	60
/* the input a connection buffers before it stops reading (backpressure) */
#define DAV_INPUT_HIGH		(256 * 1024)
/* A body written to a descriptor goes out in writes of this size, and a
 * plain socket's body is read in reads of this size (libevent 2.1 reads
 * at most 4 KiB per call: a 4 GiB PUT was a million read/write pairs). */
#define DAV_BODY_CHUNK		(256 * 1024)
/* Writeback of a body's file is started every this many bytes, so the
 * handler's final fsync finds little left and the page cache does not
 * fill with dirty pages of one upload. */
#define DAV_BODY_WRITEBACK	(8 * 1024 * 1024)
/* Direct reads per read event, so one upload cannot hold the loop. */
#define DAV_BODY_ROUNDS		16
/* after a reply that closes: what is still read and dropped, and how
 * long, so that the client reads the reply before a reset */
#define DAV_LINGER_BYTES	(1024 * 1024)
#define DAV_LINGER_SECONDS	2
/* Bytes a connection writes per turn of the loop.  libevent's 16 KiB
 * default lets a reply of megabytes (a PROPFIND of a large folder) trickle
 * out while other requests hold the loop. */
#define DAV_WRITE_MAX		(1024 * 1024)

static void dav_conn_process(struct dav_conn *c);

/* ---- connection lifetime ---- */

static void
dav_request_reset(struct dav_request *req)
{
	struct dav_conn *c = req->conn;
	struct evbuffer *body = req->body, *rh = req->reply_head, *rb = req->reply_body;

	evbuffer_drain(body, evbuffer_get_length(body));
	evbuffer_drain(rh, evbuffer_get_length(rh));
	evbuffer_drain(rb, evbuffer_get_length(rb));
	memset(req, 0, sizeof(*req));
	req->conn = c;
	req->fd = -1;
	req->body = body;
	req->reply_head = rh;
	req->reply_body = rb;
}

/* The handler's abort, once, when its request ends without a reply. */
static void
dav_request_abort(struct dav_request *req)
{
	dav_request_cb abort = req->abort;

	if (req->replied || abort == NULL)
		return;
	req->done = req->abort = NULL;
	abort(req, req->arg);
}

static void
dav_conn_free(struct dav_conn *c)
{
	struct dav_engine *eng = c->eng;

	dav_request_abort(&c->req);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		eng->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	eng->nconns--;
	event_free(c->timer);
	bufferevent_free(c->bev);
	evbuffer_free(c->req.body);
	evbuffer_free(c->req.reply_head);
	evbuffer_free(c->req.reply_body);
	free(c->gather);
	free(c->rbuf);
	free(c);
}

static void
dav_conn_arm(struct dav_conn *c, int seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(c->timer, &tv);
}

static void
dav_conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	dav_conn_free(arg);
}

/* ---- parser callbacks: the head, bounded ---- */

static int
dav_head_append(struct dav_request *req, const char *at, size_t len)
{
	if (len > DAV_HEAD_MAX - req->head_len) {
		req->refuse = 431;
		return -1;
	}
	memcpy(req->head + req->head_len, at, len);
	req->head_len += len;
	return 0;
}

static int
dav_on_message_begin(http_parser *p)
{
	struct dav_conn *c = p->data;

	dav_request_reset(&c->req);
	return 0;
}

static int
dav_on_url(http_parser *p, const char *at, size_t len)
{
	struct dav_conn *c = p->data;

	if (dav_head_append(&c->req, at, len) == -1)
		return -1;
	c->req.url_len += len;
	return 0;
}

static int
dav_on_header_field(http_parser *p, const char *at, size_t len)
{
	struct dav_request *req = &((struct dav_conn *)p->data)->req;
	struct dav_field *f;

	if (req->last != DAV_CB_FIELD) {
		if (req->nfields == DAV_FIELDS_MAX) {
			req->refuse = 431;
			return -1;
		}
		req->head[req->head_len++] = '\0';	/* ends the target or a value */
		req->fields[req->nfields].name = req->head_len;
		req->fields[req->nfields].len = 0;
		req->nfields++;
		req->last = DAV_CB_FIELD;
	}
	f = &req->fields[req->nfields - 1];
	f->len += len;
	if (f->len > DAV_LINE_MAX) {
		req->refuse = 431;
		return -1;
	}
	return dav_head_append(req, at, len);
}

static int
dav_on_header_value(http_parser *p, const char *at, size_t len)
{
	struct dav_request *req = &((struct dav_conn *)p->data)->req;
	struct dav_field *f = &req->fields[req->nfields - 1];

	if (req->last != DAV_CB_VALUE) {
		req->head[req->head_len++] = '\0';	/* ends the name */
		f->value = req->head_len;
		req->last = DAV_CB_VALUE;
	}
	f->len += len;
	if (f->len > DAV_LINE_MAX) {
		req->refuse = 431;
		return -1;
	}
	return dav_head_append(req, at, len);
}

/* An empty value gets its offset here (no value callback ran). */
static void
dav_head_finish(struct dav_request *req)
{
	if (req->last == DAV_CB_FIELD) {
		req->head[req->head_len++] = '\0';
		req->fields[req->nfields - 1].value = req->head_len;
	}
	req->head[req->head_len++] = '\0';
}

/* The path of the target without the query: origin-form is cut by hand,
 * absolute-form ("http://host/a") through the parser's URL split. */
static void
dav_head_path(struct dav_request *req)
{
	const char *url = req->head;
	struct http_parser_url u;
	size_t off = 0, len;

	len = strcspn(url, "?#");
	if (url[0] != '/') {
		http_parser_url_init(&u);
		len = 0;
		if (http_parser_parse_url(url, req->url_len, 0, &u) == 0 &&
		    (u.field_set & (1 << UF_PATH))) {
			off = u.field_data[UF_PATH].off;
			len = u.field_data[UF_PATH].len;
		}
	}
	if (len > DAV_PATH_MAX)
		len = DAV_PATH_MAX;	/* too long: the path checks refuse it */
	memcpy(req->path, url + off, len);
	req->path[len] = '\0';
}

static int
dav_head_check(struct dav_conn *c)
{
	struct dav_request *req = &c->req;
	struct http_head_field fields[DAV_FIELDS_MAX];
	const char *why;

	for (size_t i = 0; i < req->nfields; i++) {
		fields[i].name = req->head + req->fields[i].name;
		fields[i].value = req->head + req->fields[i].value;
	}
	return http_head_check(c->parser.http_major, c->parser.http_minor, fields, req->nfields,
	    &why);
}

static const struct dav_method *
dav_method_find(const struct dav_engine *eng, const char *name)
{
	for (size_t i = 0; i < eng->cfg.nmethods; i++)
		if (strcmp(eng->cfg.methods[i].name, name) == 0)
			return &eng->cfg.methods[i];
	return NULL;
}

static int
dav_on_headers_complete(http_parser *p)
{
	struct dav_conn *c = p->data;
	struct dav_request *req = &c->req;
	const struct dav_method *m;
	int status;

	dav_head_finish(req);
	dav_head_path(req);
	req->method = http_method_str((enum http_method)p->method);
	req->has_body = (p->flags & F_CHUNKED) ||
	    (p->content_length != 0 && p->content_length != ULLONG_MAX);
	if (!http_should_keep_alive(p))
		dav_reply_close(req);	/* "Connection: close", HTTP/1.0 */
	c->state = DAV_BODY;
	dav_conn_arm(c, c->eng->cfg.body_timeout);
	status = dav_head_check(c);
	m = dav_method_find(c->eng, req->method);
	if (status != 0) {
		dav_reply_close(req);
		dav_reply_error(req, status, NULL);
	} else if (m == NULL) {
		dav_reply_error(req, 501, "is not implemented");
	} else {
		m->head(req, m->arg);
	}
	/* without a body the parser goes on to the message's end, which
	 * pauses it */
	if (req->replied && req->has_body)
		http_parser_pause(p, 1);
	return 0;
}

/* Bytes of a body written: every DAV_BODY_WRITEBACK, the kernel is asked
 * to start writing them out (not to wait; a descriptor that is no regular
 * file refuses, which is fine). */
static void
dav_body_written(struct dav_conn *c, size_t n)
{
	c->written += n;
	if (c->written - c->flushed >= DAV_BODY_WRITEBACK) {
		(void)sync_file_range(c->req.fd, (off_t)c->flushed,
		    (off_t)(c->written - c->flushed), SYNC_FILE_RANGE_WRITE);
		c->flushed = c->written;
	}
}

/* Writes what is gathered of a body; 0 or -1 with errno. */
static int
dav_body_flush(struct dav_conn *c)
{
	size_t n = c->gathered;

	c->gathered = 0;
	if (n == 0)
		return 0;
	if (fs_write_all(c->req.fd, c->gather, n) == -1)
		return -1;
	dav_body_written(c, n);
	return 0;
}

/* A piece of a body taken to a descriptor: gathered into writes of
 * DAV_BODY_CHUNK; 0 or -1 with errno. */
static int
dav_body_gather(struct dav_conn *c, const char *at, size_t len)
{
	if (c->gather == NULL)
		c->gather = xmalloc(DAV_BODY_CHUNK);
	while (len > 0) {
		size_t room = DAV_BODY_CHUNK - c->gathered, n = len < room ? len : room;

		if (c->gathered == 0 && len >= DAV_BODY_CHUNK) {
			if (fs_write_all(c->req.fd, at, len) == -1)
				return -1;
			dav_body_written(c, len);
			return 0;
		}
		memcpy(c->gather + c->gathered, at, n);
		c->gathered += n;
		at += n;
		len -= n;
		if (c->gathered == DAV_BODY_CHUNK && dav_body_flush(c) == -1)
			return -1;
	}
	return 0;
}

static int
dav_on_body(http_parser *p, const char *at, size_t len)
{
	struct dav_conn *c = p->data;
	struct dav_request *req = &c->req;
	dav_request_cb done = req->done;

	req->body_bytes += len;
	if (req->mode == DAV_TAKE_MEMORY) {
		if (req->body_bytes > c->eng->cfg.memory_body_max) {
			dav_request_abort(req);
			dav_reply_close(req);
			dav_reply_error(req, 413, "body over the limit");
			http_parser_pause(p, 1);
			return 0;
		}
		evbuffer_add(req->body, at, len);
	} else if (req->mode == DAV_TAKE_FD && dav_body_gather(c, at, len) == -1) {
		req->body_errno = errno;
		req->body_done = 1;
		dav_reply_close(req);
		c->state = DAV_HANDLER;
		if (done != NULL)
			done(req, req->arg);
		http_parser_pause(p, 1);
	}
	return 0;
}

static int
dav_on_message_complete(http_parser *p)
{
	struct dav_conn *c = p->data;
	struct dav_request *req = &c->req;
	dav_request_cb done = req->done;

	http_parser_pause(p, 1);
	if (req->replied)
		return 0;
	c->state = DAV_HANDLER;
	event_del(c->timer);
	req->body_done = 1;
	if (req->mode == DAV_TAKE_FD && dav_body_flush(c) == -1) {
		req->body_errno = errno;
		dav_reply_close(req);
	}
	if (req->mode == DAV_TAKE_MEMORY)
		evbuffer_add(req->body, "", 1);	/* the NUL of dav_request_body() */
	if (done != NULL)
		done(req, req->arg);
	return 0;
}

/* ---- reading ---- */

/* The status for a parser error (our own limits set req->refuse). */
static int
dav_parse_error_status(struct dav_conn *c)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);

	if (c->req.refuse != 0)
		return c->req.refuse;
	if (e == HPE_HEADER_OVERFLOW)
		return 431;
	if (e == HPE_INVALID_METHOD)
		return 501;
	if (e == HPE_INVALID_VERSION)
		return 505;
	return 400;
}

/* A head the parser refused: the reply, then close.  A refusal mid-body
 * (a bad chunk) ends the handler's body. */
static void
dav_conn_refuse(struct dav_conn *c)
{
	struct dav_request *req = &c->req;
	int status = dav_parse_error_status(c);

	if (c->state == DAV_BODY)
		dav_request_abort(req);
	if (c->state == DAV_IDLE || c->state == DAV_HEAD) {
		dav_request_reset(req);
		req->method = "-";
	}
	dav_reply_close(req);
	dav_reply_error(req, status, NULL);
}

/* Feeds buffered input to the parser while a request is being read. */
static void
dav_conn_process(struct dav_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	size_t n;

	while (c->state <= DAV_BODY && evbuffer_get_length(in) > 0) {
		if (c->state == DAV_IDLE) {
			c->state = DAV_HEAD;
			dav_conn_arm(c, c->eng->cfg.header_timeout);
		}
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		n = http_parser_execute(&c->parser, &c->eng->settings, v.iov_base, v.iov_len);
		evbuffer_drain(in, n);
		if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED)
			break;
		if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
			dav_conn_refuse(c);
			return;
		}
	}
	if (c->state == DAV_BODY)
		dav_conn_arm(c, c->eng->cfg.body_timeout);
}

/* Drops what arrives after a closing reply (a lingering close). */
static void
dav_conn_linger(struct dav_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	c->req.lingered += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (c->req.lingered > DAV_LINGER_BYTES)
		dav_conn_free(c);
}

/*
 * A body taken to a descriptor on a plain socket is read here, straight
 * from the socket in DAV_BODY_CHUNK reads, once the bufferevent's input is
 * empty.  What follows the body (a pipelined request) goes back into the
 * input buffer for dav_conn_process().  0, or -1 when c was freed.
 */
static int
dav_conn_read_direct(struct dav_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (c->rbuf == NULL)
		c->rbuf = xmalloc(DAV_BODY_CHUNK);
	for (int round = 0; round < DAV_BODY_ROUNDS && c->state == DAV_BODY; round++) {
		ssize_t n = read(fd, c->rbuf, DAV_BODY_CHUNK);
		size_t used;

		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			dav_conn_free(c);	/* the client left mid-body */
			return -1;
		}
		if (n == -1)
			break;
		used = http_parser_execute(&c->parser, &c->eng->settings, c->rbuf, (size_t)n);
		if (used < (size_t)n)
			evbuffer_add(in, c->rbuf + used, (size_t)n - used);
		if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED)
			break;
		if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
			dav_conn_refuse(c);
			break;
		}
	}
	if (c->state == DAV_BODY)
		dav_conn_arm(c, c->eng->cfg.body_timeout);
	return 0;
}

static void
dav_conn_read(struct bufferevent *bev, void *arg)
{
	struct dav_conn *c = arg;

	if (c->state == DAV_LINGER) {
		dav_conn_linger(c);
		return;
	}
	dav_conn_process(c);
	if (!c->eng->filtered && c->state == DAV_BODY && c->req.mode == DAV_TAKE_FD &&
	    evbuffer_get_length(bufferevent_get_input(bev)) == 0)
		(void)dav_conn_read_direct(c);
}

/*
 * Closing at once with unread input makes the kernel send a reset, which
 * can destroy the reply before the client reads it (RFC 9112 9.6): the
 * sending side is shut, the input read and dropped for a while, then the
 * connection freed.
 */
static void
dav_conn_close_lingering(struct dav_conn *c)
{
	const struct dav_engine_config *cfg = &c->eng->cfg;
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (c->eng->filtered) {
		/* TLS: close_notify through the session, never a raw
		 * shutdown(2) under it */
		if (cfg->bev_shutdown != NULL)
			cfg->bev_shutdown(c->bev, cfg->bev_factory_arg);
	} else if (fd == -1 || shutdown(fd, SHUT_WR) == -1) {
		dav_conn_free(c);
		return;
	}
	c->state = DAV_LINGER;
	dav_conn_arm(c, DAV_LINGER_SECONDS);
	bufferevent_enable(c->bev, EV_READ);
	dav_conn_linger(c);
}

/* The reply is out: close, or wait for the next (maybe buffered) request. */
static void
dav_conn_written(struct bufferevent *bev, void *arg)
{
	struct dav_conn *c = arg;

	if (c->state != DAV_WRITING || evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	if (c->req.close_after) {
		dav_conn_close_lingering(c);
		return;
	}
	dav_request_reset(&c->req);
	http_parser_pause(&c->parser, 0);
	c->state = DAV_IDLE;
	dav_conn_arm(c, c->eng->cfg.idle_timeout);
	bufferevent_enable(bev, EV_READ);
	dav_conn_process(c);
}

static void
dav_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct dav_conn *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		dav_conn_free(c);
}

/* ---- accepting ---- */

static struct bufferevent *
dav_bev_socket(struct event_base *base, int fd, void *arg)
{
	return bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
}

static void
dav_refuse_busy(int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 24\r\nConnection: close\r\n\r\n503 too many connections";

	(void)send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

/* A connection on fd (the engine's from here on); -1 when refused. */
static int
dav_conn_start(struct dav_engine *eng, int fd, const struct sockaddr *sa, int salen)
{
	struct timeval wt = { eng->cfg.body_timeout, 0 };
	struct dav_conn *c;

	if (eng->nconns >= eng->cfg.max_connections) {
		if (eng->filtered)
			close(fd);	/* a TLS client could not read a plain 503 */
		else
			dav_refuse_busy(fd);
		return -1;
	}
	/* a reply goes out whole at once (head and body queued together):
	 * Nagle would only hold its last segment back for the client's ACK */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	c = xcalloc(1, sizeof(*c));
	c->bev = eng->cfg.bev_factory(eng->base, fd, eng->cfg.bev_factory_arg);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return -1;
	}
	bufferevent_set_max_single_write(c->bev, DAV_WRITE_MAX);
	c->eng = eng;
	if (sa != NULL && salen > 0 && (size_t)salen <= sizeof(c->peer))
		memcpy(&c->peer, sa, (size_t)salen);
	c->timer = evtimer_new(eng->base, dav_conn_timeout, c);
	c->req.body = evbuffer_new();
	c->req.reply_head = evbuffer_new();
	c->req.reply_body = evbuffer_new();
	if (c->timer == NULL || !c->req.body || !c->req.reply_head || !c->req.reply_body)
		xalloc_failed("a WebDAV connection");
	/* file bodies go out by sendfile(2), not mapped and copied; a
	 * filtering (TLS) bufferevent must read them: mapped */
	if (!eng->filtered)
		evbuffer_set_flags(c->req.reply_body, EVBUFFER_FLAG_DRAINS_TO_FD);
	c->req.conn = c;
	dav_request_reset(&c->req);
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->next = eng->conns;
	if (c->next != NULL)
		c->next->prev = c;
	eng->conns = c;
	eng->nconns++;
	bufferevent_setcb(c->bev, dav_conn_read, dav_conn_written, dav_conn_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, DAV_INPUT_HIGH);
	bufferevent_set_timeouts(c->bev, NULL, &wt);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	dav_conn_arm(c, eng->cfg.idle_timeout);
	return 0;
}

static void
dav_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	(void)dav_conn_start(arg, fd, sa, salen);
}

int
dav_engine_adopt_fd(struct dav_engine *eng, int fd)
{
	if (evutil_make_socket_nonblocking(fd) == -1) {
		close(fd);
		return -1;
	}
	return dav_conn_start(eng, fd, NULL, 0);
}

static void
dav_engine_defaults(struct dav_engine_config *cfg)
{
	if (cfg->max_connections <= 0)
		cfg->max_connections = DAV_DEFAULT_CONNECTIONS;
	if (cfg->idle_timeout <= 0)
		cfg->idle_timeout = DAV_DEFAULT_IDLE;
	if (cfg->header_timeout <= 0)
		cfg->header_timeout = DAV_DEFAULT_HEADER;
	if (cfg->body_timeout <= 0)
		cfg->body_timeout = DAV_DEFAULT_BODY;
	if (cfg->memory_body_max == 0)
		cfg->memory_body_max = DAV_MEMORY_BODY_MAX;
	if (cfg->bev_factory == NULL) {
		cfg->bev_factory = dav_bev_socket;
		cfg->bev_shutdown = NULL;
	}
}

/* "OPTIONS, GET, ..." from the handler table, for Allow. */
static void
dav_engine_allow(struct dav_engine *eng)
{
	size_t len = 0;

	for (size_t i = 0; i < eng->cfg.nmethods; i++) {
		int n = snprintf(eng->allow + len, sizeof(eng->allow) - len, "%s%s",
		    i > 0 ? ", " : "", eng->cfg.methods[i].name);
		if (n < 0 || (size_t)n >= sizeof(eng->allow) - len)
			break;
		len += (size_t)n;
	}
}

/* evutil_parse_sockaddr_port() refuses port 0: the address alone is
 * parsed, the port set after. */
static int
dav_engine_listen(struct dav_engine *eng, struct errbuf *err)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	socklen_t len = sizeof(ss);
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	const char *addr = eng->cfg.address;

	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) == -1)
		return errbuf_set(err, "WebDAV listener %s: not a numeric address", addr);
	if (ss.ss_family == AF_INET6)
		sin6->sin6_port = htons((uint16_t)eng->cfg.port);
	else
		sin->sin_port = htons((uint16_t)eng->cfg.port);
	eng->listener = evconnlistener_new_bind(eng->base, dav_accept, eng,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128, (struct sockaddr *)&ss, sslen);
	if (eng->listener == NULL)
		return errbuf_set_errno(err, "WebDAV listener %s port %d: cannot listen", addr,
		    eng->cfg.port);
	if (getsockname(evconnlistener_get_fd(eng->listener), (struct sockaddr *)&ss, &len) == 0)
		eng->port = ntohs(ss.ss_family == AF_INET6 ? sin6->sin6_port : sin->sin_port);
	return 0;
}

struct dav_engine *
dav_engine_create(struct event_base *base, const struct dav_engine_config *cfg, struct errbuf *err)
{
	struct dav_engine *eng = xcalloc(1, sizeof(*eng));

	eng->base = base;
	eng->cfg = *cfg;
	eng->filtered = cfg->bev_factory != NULL;
	dav_engine_defaults(&eng->cfg);
	dav_engine_allow(eng);
	http_parser_settings_init(&eng->settings);
	eng->settings.on_message_begin = dav_on_message_begin;
	eng->settings.on_url = dav_on_url;
	eng->settings.on_header_field = dav_on_header_field;
	eng->settings.on_header_value = dav_on_header_value;
	eng->settings.on_headers_complete = dav_on_headers_complete;
	eng->settings.on_body = dav_on_body;
	eng->settings.on_message_complete = dav_on_message_complete;
	if (cfg->address != NULL && dav_engine_listen(eng, err) == -1) {
		free(eng);
		return NULL;
	}
	return eng;
}

void
dav_engine_free(struct dav_engine *eng)
{
	if (eng == NULL)
		return;
	while (eng->conns != NULL)
		dav_conn_free(eng->conns);
	if (eng->listener != NULL)
		evconnlistener_free(eng->listener);
	free(eng);
}

int
dav_engine_port(const struct dav_engine *eng)
{
	return eng->port;
}
