/*
 * http_head: the HTTP/1.1 framing rules a server must enforce on a request
 * head (RFC 9112), for an engine whose parser lets them through.
 *
 * evhttp 2.1 accepts any "HTTP/1.<n>", field names with white space or no
 * name at all, a second Content-Length (the first wins), "+5" as a length,
 * an HTTP/1.1 request without Host or with two, and codings other than
 * chunked.  Each of these lets a proxy in front of the server and the server
 * frame the stream differently (request smuggling), so the engine refuses
 * them with the status this module returns before acting on the request.
 * Pure: no I/O, no allocation.
 */
#ifndef STORESRV_HTTP_HEAD_H
#define STORESRV_HTTP_HEAD_H

#include <stddef.h>

struct http_head_field {
	const char *name;
	const char *value;
};

/* 0 when the head may be served, else the status to refuse it with (400,
 * 501 or 505) and *why, a static phrase naming the rule, for the log. */
int http_head_check(int major, int minor, const struct http_head_field *fields, size_t nfields,
    const char **why);

#endif
