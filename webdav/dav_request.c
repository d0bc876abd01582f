/*
 * dav_request: the request as a handler sees it, taking its body, and the
 * reply (dav_engine.h); the connections behind them are dav_engine.c's.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "dav_engine.h"
#include "dav_engine_internal.h"
#include "http_status.h"
#include "xmalloc.h"

const char *
dav_reason(int status)
{
	const char *reason = http_status_reason(status);

	return reason != NULL ? reason : "Unknown";
}

/* ---- the request ---- */

const char *
dav_request_method(const struct dav_request *req)
{
	return req->method;
}

const char *
dav_request_target(const struct dav_request *req)
{
	return req->head;
}

const char *
dav_request_path(const struct dav_request *req)
{
	return req->path;
}

const char *
dav_request_header(const struct dav_request *req, const char *name)
{
	for (size_t i = 0; i < req->nfields; i++)
		if (strcasecmp(req->head + req->fields[i].name, name) == 0)
			return req->head + req->fields[i].value;
	return NULL;
}

int
dav_request_is_head(const struct dav_request *req)
{
	return req->method != NULL && strcmp(req->method, "HEAD") == 0;
}

int
dav_request_has_body(const struct dav_request *req)
{
	return req->has_body;
}

const struct sockaddr *
dav_request_peer(const struct dav_request *req)
{
	return (const struct sockaddr *)&req->conn->peer;
}

void
dav_request_set_user(struct dav_request *req, void *user)
{
	req->user = user;
}

void *
dav_request_user(const struct dav_request *req)
{
	return req->user;
}

/* RFC 9110 10.1.1: "100 Continue" only when the body will be read. */
static void
dav_request_take(struct dav_request *req, enum dav_body_mode mode, dav_request_cb done,
    dav_request_cb abort, void *arg)
{
	const char *expect = dav_request_header(req, "Expect");

	req->mode = mode;
	req->done = done;
	req->abort = abort;
	req->arg = arg;
	if (req->has_body && expect != NULL && strcasecmp(expect, "100-continue") == 0 &&
	    req->conn->parser.http_minor >= 1)
		evbuffer_add_printf(bufferevent_get_output(req->conn->bev),
		    "HTTP/1.1 100 Continue\r\n\r\n");
}

void
dav_request_body_discard(struct dav_request *req, dav_request_cb done, dav_request_cb abort,
    void *arg)
{
	dav_request_take(req, DAV_TAKE_DISCARD, done, abort, arg);
}

void
dav_request_body_memory(struct dav_request *req, dav_request_cb done, dav_request_cb abort,
    void *arg)
{
	uint64_t cl = req->conn->parser.content_length;

	if (req->has_body && cl != ULLONG_MAX && cl > req->conn->eng->cfg.memory_body_max) {
		if (abort != NULL)
			abort(req, arg);
		dav_reply_close(req);
		dav_reply_error(req, 413, "body over the limit");
		return;
	}
	dav_request_take(req, DAV_TAKE_MEMORY, done, abort, arg);
}

void
dav_request_body_fd(struct dav_request *req, int fd, dav_request_cb done, dav_request_cb abort,
    void *arg)
{
	req->fd = fd;
	req->conn->gathered = 0;
	req->conn->written = req->conn->flushed = 0;
	dav_request_take(req, DAV_TAKE_FD, done, abort, arg);
}

const char *
dav_request_body(const struct dav_request *req, size_t *len)
{
	size_t n = evbuffer_get_length(req->body);

	*len = n > 0 ? n - 1 : 0;
	return n > 0 ? (const char *)evbuffer_pullup(req->body, -1) : "";
}

uint64_t
dav_request_body_length(const struct dav_request *req)
{
	return req->body_bytes;
}

int
dav_request_body_errno(const struct dav_request *req)
{
	return req->body_errno;
}

/* ---- the reply ---- */

void
dav_reply_status(struct dav_request *req, int status, const char *reason)
{
	req->status = status;
	req->reason = reason != NULL ? reason : dav_reason(status);
}

void
dav_reply_header(struct dav_request *req, const char *name, const char *value)
{
	evbuffer_add_printf(req->reply_head, "%s: %s\r\n", name, value);
}

static void
dav_body_free(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}

void
dav_reply_body_take(struct dav_request *req, void *data, size_t len)
{
	if (len == 0 || evbuffer_add_reference(req->reply_body, data, len, dav_body_free,
	    NULL) == -1) {
		evbuffer_add(req->reply_body, data, len);
		free(data);
	}
}

void
dav_reply_body(struct dav_request *req, const void *data, size_t len)
{
	evbuffer_add(req->reply_body, data, len);
}

struct dav_release {
	void (*release)(void *);
	void *arg;
};

static void
dav_segment_done(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
	struct dav_release *r = arg;

	r->release(r->arg);
	free(r);
}

int
dav_reply_file(struct dav_request *req, int fd, uint64_t offset, uint64_t length,
    void (*release)(void *), void *release_arg)
{
	struct evbuffer_file_segment *seg;
	struct dav_release *r;
	int rc;

	seg = evbuffer_file_segment_new(fd, (ev_off_t)offset, (ev_off_t)length, 0);
	if (seg == NULL)
		return -1;
	if (release != NULL) {
		r = xmalloc(sizeof(*r));
		r->release = release;
		r->arg = release_arg;
		evbuffer_file_segment_add_cleanup_cb(seg, dav_segment_done, r);
	}
	rc = evbuffer_add_file_segment(req->reply_body, seg, 0, (ev_off_t)length);
	evbuffer_file_segment_free(seg);
	return rc;
}

void
dav_reply_length(struct dav_request *req, uint64_t length)
{
	req->reply_length = length;
	req->reply_length_set = 1;
}

void
dav_reply_close(struct dav_request *req)
{
	req->close_after = 1;
}

/* A reply while the body is still unread ends the connection after it:
 * its bytes would otherwise be read as the next request. */
void
dav_reply_send(struct dav_request *req)
{
	struct dav_conn *c = req->conn;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	uint64_t length = evbuffer_get_length(req->reply_body);

	if (req->replied)
		return;
	req->replied = 1;
	if (req->has_body && !req->body_done)
		req->close_after = 1;
	if (req->reply_length_set && dav_request_is_head(req))
		length = req->reply_length;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", req->status, req->reason);
	evbuffer_add_buffer(out, req->reply_head);
	/* RFC 9110 8.6: never on 204; on 304 only the 200's, which the
	 * handler does not know: left out */
	if (req->status != 204 && req->status != 304)
		evbuffer_add_printf(out, "Content-Length: %llu\r\n", (unsigned long long)length);
	evbuffer_add_printf(out, "%s\r\n", req->close_after ? "Connection: close\r\n" : "");
	if (!dav_request_is_head(req)) {
		if (!c->eng->filtered)
			evbuffer_set_flags(out, EVBUFFER_FLAG_DRAINS_TO_FD);
		evbuffer_add_buffer(out, req->reply_body);
	}
	c->state = DAV_WRITING;
	event_del(c->timer);
	bufferevent_disable(c->bev, EV_READ);
	/* the write callback runs when the output is empty (low mark 0) */
}

void
dav_reply_error(struct dav_request *req, int status, const char *detail)
{
	char text[256];
	int n;

	dav_reply_status(req, status, NULL);
	evbuffer_drain(req->reply_head, evbuffer_get_length(req->reply_head));
	if (detail != NULL)
		n = snprintf(text, sizeof(text), "%d %s %s\n", status,
		    req->method != NULL ? req->method : "-", detail);
	else
		n = snprintf(text, sizeof(text), "%d %s\n", status, dav_reason(status));
	if (status == 405)
		dav_reply_header(req, "Allow", req->conn->eng->allow);
	dav_reply_header(req, "Content-Type", "text/plain; charset=utf-8");
	evbuffer_drain(req->reply_body, evbuffer_get_length(req->reply_body));
	dav_reply_body(req, text, n > 0 && (size_t)n < sizeof(text) ? (size_t)n : 0);
	dav_reply_send(req);
}

void
dav_reply_options(struct dav_request *req)
{
	dav_reply_status(req, 200, NULL);
	dav_reply_header(req, "DAV", "1, 2");
	dav_reply_header(req, "MS-Author-Via", "DAV");
	dav_reply_header(req, "Allow", req->conn->eng->allow);
	dav_reply_send(req);
}
