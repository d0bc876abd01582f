/*
 * dav_engine_internal: what the engine's two halves share (internal to
 * webdav/): dav_engine.c (connections, the parser, reading, accepting) and
 * dav_request.c (the request as handlers see it, and the reply).
 */
#ifndef STORESRV_DAV_ENGINE_INTERNAL_H
#define STORESRV_DAV_ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <http_parser.h>

#include "dav_engine.h"

#define DAV_PATH_MAX		4096	/* bytes of a request's path */

enum dav_state { DAV_IDLE, DAV_HEAD, DAV_BODY, DAV_HANDLER, DAV_WRITING, DAV_LINGER };
enum dav_body_mode { DAV_TAKE_NONE, DAV_TAKE_DISCARD, DAV_TAKE_MEMORY, DAV_TAKE_FD };
enum dav_last_cb { DAV_CB_URL, DAV_CB_FIELD, DAV_CB_VALUE };

struct dav_field {
	size_t name, value;	/* offsets into head[] */
	size_t len;		/* name + value bytes */
};

struct dav_request {
	struct dav_conn *conn;
	const char *method;
	/* the head: target and fields, NUL-separated */
	char head[DAV_HEAD_MAX + DAV_FIELDS_MAX * 2 + 2];
	size_t head_len;
	size_t url_len;
	struct dav_field fields[DAV_FIELDS_MAX];
	size_t nfields;
	enum dav_last_cb last;
	char path[DAV_PATH_MAX + 1];
	int refuse;		/* status found while parsing the head */
	int has_body;
	/* the body */
	enum dav_body_mode mode;
	int fd;
	struct evbuffer *body;
	uint64_t body_bytes;
	int body_errno;
	int body_done;
	dav_request_cb done, abort;
	void *arg;
	/* the reply */
	int status;
	const char *reason;
	struct evbuffer *reply_head;
	struct evbuffer *reply_body;
	uint64_t reply_length;
	size_t lingered;
	int reply_length_set;
	int close_after;
	int replied;
	void *user;		/* the handler's (dav_request_set_user) */
};

struct dav_conn {
	struct dav_engine *eng;
	struct bufferevent *bev;
	struct sockaddr_storage peer;	/* the client's address */
	/* a body written to a descriptor: gathered here (DAV_BODY_CHUNK each,
	 * made at the first such body of the connection) */
	char *gather;
	size_t gathered;
	char *rbuf;		/* direct reads of a plain socket's body */
	uint64_t written;	/* bytes of the body written, and of them */
	uint64_t flushed;	/* those whose writeback was started */
	struct event *timer;
	http_parser parser;
	enum dav_state state;
	struct dav_request req;
	struct dav_conn *prev, *next;
};

struct dav_engine {
	struct event_base *base;
	struct evconnlistener *listener;
	struct dav_engine_config cfg;
	http_parser_settings settings;
	struct dav_conn *conns;
	int nconns;
	int port;
	int filtered;	/* a bev_factory's bufferevents (TLS): no sendfile, no shutdown(2) */
	char allow[512];
};

/* The reason phrase of a status ("Unknown" for one without). */
const char *dav_reason(int status);

#endif
