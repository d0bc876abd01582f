/*
 * dav_client: a small synchronous HTTP/1.1 client on one libevent
 * bufferevent, for the WebDAV methods storemirror push needs (OPTIONS,
 * PROPFIND, MKCOL, PUT, MOVE, GET, DELETE).  libevent's evhttp client takes
 * its method from a fixed enum that has no MKCOL, PROPFIND or MOVE, so the
 * request line and the response framing are done here.
 *
 * A struct dav_client talks to the one host:port of its base URL over one
 * kept connection, opened on the first request and again after the server
 * closed it (a request that fails on a reused connection before any byte of
 * the response is sent once more on a fresh one).  dav_client_request()
 * writes the request (head, then the body from memory or streamed from a
 * file descriptor in 64 KiB pieces as the socket drains, so memory does not
 * grow with the file), runs the event loop until the response has ended and
 * returns its status.  Responses are parsed with limits: status line and
 * header lines 8 KiB each, 100 header lines, 64 KiB of head, Content-Length
 * or chunked bodies (or until close), a kept body up to a limit; a request
 * fails when nothing moves in either direction for `timeout` seconds.
 *
 * Listing a collection (PROPFIND and its XML) is dav_list.h's.
 *
 * Basic authentication is sent with every request when a user is given.
 * https:// goes through tls_client.h: TLS 1.2 or newer, the certificate
 * verified against the system CAs and ca_file, and the host name checked.
 *
 * Library code: never prints; 0/-1 with errbuf, the message naming the URL.
 * Not thread safe.
 */
#ifndef STORESRV_MIRROR_DAV_CLIENT_H
#define STORESRV_MIRROR_DAV_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

#define DAV_DEFAULT_TIMEOUT	30		/* seconds without progress */
#define DAV_DEFAULT_MAX_BODY	(8u << 20)	/* a kept response body */
#define DAV_LINE_MAX		8192		/* status and header lines */
#define DAV_HEADERS_MAX		100		/* header lines per response */
#define DAV_HEAD_MAX		(64u << 10)	/* the whole head */

struct dav_client;

struct dav_client_config {
	const char *user_agent;	/* NULL: "storemirror" */
	const char *user;	/* Basic authentication; NULL: none */
	const char *password;	/* with user */
	unsigned timeout;	/* seconds without progress; 0: DAV_DEFAULT_TIMEOUT */
	const char *ca_file;	/* https: extra CA certificates (PEM); NULL: system CAs */
};

/* A client for base_url ("http[s]://host[:port]/path", no user info, query or
 * fragment).  Connects lazily.  Returns NULL with err set.  Free with
 * dav_client_free() (NULL is a no-op). */
struct dav_client *dav_client_create(const char *base_url, const struct dav_client_config *cfg,
    struct errbuf *err);
void dav_client_free(struct dav_client *c);

/* The base URL's path, percent-encoded as given, without a final '/'
 * ("/webdav/release/download"; "" for the server's root). */
const char *dav_client_base_path(const struct dav_client *c);

/* "http[s]://host[:port]" + path, for a Destination header and for messages.
 * The caller frees it. */
char *dav_client_url(const struct dav_client *c, const char *path);

/* dir_path (encoded, no final '/') + "/" + name percent-encoded (every
 * byte outside RFC 3986's unreserved set).  The caller frees it. */
char *dav_path_child(const char *dir_path, const char *name);

struct dav_request {
	const char *method;	/* "PUT", "PROPFIND", ... */
	const char *path;	/* encoded absolute path ("/webdav/x") */
	const char *headers;	/* extra header lines, each ending "\r\n"; NULL: none */
	const char *body;	/* a body in memory (body_len bytes), or */
	int body_fd;		/* >= 0: body_len bytes read from offset 0 of this fd */
	uint64_t body_len;	/* sent as Content-Length (0: an empty body) */
	int keep_body;		/* keep the response body; else it is discarded */
	size_t max_body;	/* a longer kept body fails; 0: DAV_DEFAULT_MAX_BODY */
};

struct dav_response {
	int status;		/* the final status (1xx are skipped) */
	char reason[64];	/* its reason phrase, printable ASCII only */
	char *body;		/* keep_body: NUL-terminated (never NULL), else NULL */
	size_t body_len;
	char *allow;		/* the Allow header, NULL if none */
};

/* Sends one request and waits for its response.  Returns 0 when a response
 * was received, whatever its status; -1 (err: the URL and what happened:
 * refused, closed early, timed out, a malformed or over-long response, the
 * body file unreadable) otherwise.  res is cleared first; the caller frees it
 * with dav_response_clear() in both cases. */
int dav_client_request(struct dav_client *c, const struct dav_request *req,
    struct dav_response *res, struct errbuf *err);
void dav_response_clear(struct dav_response *res);

/* Whether the response's Allow header lists `method`: 1 yes, 0 no, -1 the
 * response has no Allow header. */
int dav_response_allows(const struct dav_response *res, const char *method);

#endif
