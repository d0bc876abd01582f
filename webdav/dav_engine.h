/*
 * dav_engine: the WebDAV listener's HTTP/1.1 engine (issue 9).
 *
 * evhttp 2.1 cannot tell WebDAV methods apart and buffers whole request
 * bodies, so the WebDAV listener runs on this engine instead: libevent
 * bufferevents (a hook creates them, so TLS can be plugged in) and Debian's
 * libhttp-parser 2.9 for request framing.  One request at a time per
 * connection (pipelined requests wait in the input buffer and are answered
 * in order), keep-alive, idle/header/body timeouts, a connection limit and
 * bounded heads (size, field count, line length; http_head.h's RFC 9112
 * rules).
 *
 * A handler table keyed by method name: after the head, the handler either
 * replies at once or chooses how the body is taken (discarded, collected in
 * memory up to a limit, or written to a file descriptor it gives, so memory
 * does not grow with a PUT) and replies from its `done` callback.  The
 * engine sends "100 Continue" only when the handler takes the body.  Every
 * reply carries Content-Length; HEAD replies carry no body.
 *
 * Single-threaded: everything runs on the event_base given at creation.
 * Library code: nothing is printed.
 */
#ifndef STORESRV_DAV_ENGINE_H
#define STORESRV_DAV_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "errbuf.h"

/* Defaults of the limits (struct dav_engine_config, 0 = default). */
#define DAV_HEAD_MAX		16384	/* bytes of request line + fields */
#define DAV_LINE_MAX		8192	/* one field line (name + value) */
#define DAV_FIELDS_MAX		64	/* field lines per head */
#define DAV_MEMORY_BODY_MAX	(1024 * 1024)	/* in-memory (XML) body */

struct dav_engine;
struct dav_request;
struct bufferevent;
struct sockaddr;

/* A handler's callback for one request. */
typedef void (*dav_request_cb)(struct dav_request *req, void *arg);

struct dav_method {
	const char *name;	/* "PROPFIND", ... (case-sensitive) */
	dav_request_cb head;	/* after the head: reply or take the body */
	void *arg;
};

/*
 * Makes the bufferevent of an accepted connection (fd is owned by it);
 * NULL on failure (fd stays the engine's).  The default is a plain
 * bufferevent_socket.  A factory's bufferevents are taken as filtering
 * ones (TLS): file bodies are mapped and go through the bufferevent
 * instead of sendfile(2), and a closing connection is not shut with
 * shutdown(2) but ended by bev_shutdown (close_notify, given the
 * factory's arg) once the reply is flushed, then read and dropped through
 * the bufferevent for a while before it is freed.
 */
typedef struct bufferevent *(*dav_bev_factory)(struct event_base *base, int fd, void *arg);
typedef void (*dav_bev_shutdown)(struct bufferevent *bev, void *arg);

struct dav_engine_config {
	const char *address;	/* numeric IPv4/IPv6 address; NULL: no
				 * listener (dav_engine_adopt_fd) */
	int port;		/* 0: any free port (dav_engine_port()) */
	int max_connections;	/* beyond it: 503 and close; 0 = 256 */
	int idle_timeout;	/* seconds waiting for a request; 0 = 60 */
	int header_timeout;	/* seconds for a whole head; 0 = 30 */
	int body_timeout;	/* seconds without body progress; 0 = 60 */
	size_t memory_body_max;	/* 0 = DAV_MEMORY_BODY_MAX */
	const struct dav_method *methods;	/* the handler table */
	size_t nmethods;
	dav_bev_factory bev_factory;	/* NULL: plain sockets */
	void *bev_factory_arg;
	dav_bev_shutdown bev_shutdown;	/* NULL: none (with bev_factory) */
};

/* Listens on cfg's address; the table is referenced, not copied. */
struct dav_engine *dav_engine_create(struct event_base *base, const struct dav_engine_config *cfg,
    struct errbuf *err);
/* Closes the listener and every connection (aborting their bodies);
 * NULL is a no-op. */
void dav_engine_free(struct dav_engine *eng);
int dav_engine_port(const struct dav_engine *eng);
/* Serves one connected socket as if it had been accepted (fd is the
 * engine's from then on, the peer address unknown): the way the
 * request-head fuzz harness feeds the engine through a socketpair.
 * Returns -1 (fd closed) when the connection limit is reached or the
 * bufferevent cannot be made. */
int dav_engine_adopt_fd(struct dav_engine *eng, int fd);

/* The request (valid until the reply is sent or the body aborted). */
const char *dav_request_method(const struct dav_request *req);
const char *dav_request_target(const struct dav_request *req);	/* as sent */
/* The path of the target, still percent-encoded, without the query. */
const char *dav_request_path(const struct dav_request *req);
/* The first field of that name (case-insensitive), or NULL. */
const char *dav_request_header(const struct dav_request *req, const char *name);
int dav_request_is_head(const struct dav_request *req);
/* Whether the request has a body (Content-Length > 0 or chunked). */
int dav_request_has_body(const struct dav_request *req);
/* The client's address (AF_UNSPEC when the listener did not give one). */
const struct sockaddr *dav_request_peer(const struct dav_request *req);
/* One pointer the handler keeps with the request (NULL at its start); the
 * engine never looks at it. */
void dav_request_set_user(struct dav_request *req, void *user);
void *dav_request_user(const struct dav_request *req);

/*
 * Taking the body (from the head callback).  `done` runs once the whole
 * body is taken (at once for a request without one) and must reply, then
 * or later (a handler that answers later takes the body too, if only to
 * discard it, so that it learns of an abort).  `abort` runs instead when
 * the request ends without a reply (client gone, timeout, body over the
 * limit: the engine then replies 413 itself); it must only release what
 * the handler holds, and the request is gone after it.  Either may be
 * NULL.
 */
void dav_request_body_discard(struct dav_request *req, dav_request_cb done, dav_request_cb abort,
    void *arg);
/* In memory, up to the engine's memory_body_max (413 and close beyond). */
void dav_request_body_memory(struct dav_request *req, dav_request_cb done, dav_request_cb abort,
    void *arg);
/* Written to fd as it arrives (the handler owns fd).  A failed write ends
 * the body early: `done` runs with dav_request_body_errno() set, the rest
 * of the body is not read and the connection closes after the reply. */
void dav_request_body_fd(struct dav_request *req, int fd, dav_request_cb done, dav_request_cb abort,
    void *arg);
/* The collected body (memory mode), NUL-terminated; valid until the reply. */
const char *dav_request_body(const struct dav_request *req, size_t *len);
uint64_t dav_request_body_length(const struct dav_request *req);
int dav_request_body_errno(const struct dav_request *req);

/*
 * The reply: status, headers, then one body (memory or file) and
 * dav_reply_send().  Content-Length is always added (the body's length,
 * or dav_reply_length() for HEAD); HEAD never gets a body.
 */
void dav_reply_status(struct dav_request *req, int status, const char *reason);
void dav_reply_header(struct dav_request *req, const char *name, const char *value);
void dav_reply_body(struct dav_request *req, const void *data, size_t len);
/* The same without a copy: data (from malloc) is the engine's, freed once
 * sent or dropped. */
void dav_reply_body_take(struct dav_request *req, void *data, size_t len);
/* Sent by sendfile(2) (mapped and copied through a bev_factory's
 * bufferevent); `release(release_arg)` runs once the engine no
 * longer needs fd (the caller keeps fd open until then). */
int dav_reply_file(struct dav_request *req, int fd, uint64_t offset, uint64_t length,
    void (*release)(void *), void *release_arg);
/* The Content-Length to announce for a body that is not sent (HEAD). */
void dav_reply_length(struct dav_request *req, uint64_t length);
/* Close the connection after this reply ("Connection: close"). */
void dav_reply_close(struct dav_request *req);
void dav_reply_send(struct dav_request *req);

/* A whole error reply with a one-line text body ("501 PROPFIND is not
 * implemented").  405 carries Allow (the handler table). */
void dav_reply_error(struct dav_request *req, int status, const char *detail);
/* 200 to OPTIONS: "DAV: 1, 2", Allow (the handler table), no body. */
void dav_reply_options(struct dav_request *req);

#endif
