/*
 * dav_client: HTTP/1.1 requests with any method over one kept libevent
 * bufferevent, synchronously (dav_client.h).  A request is written to the
 * output buffer (its body refilled from the file as the socket drains), then
 * the event loop runs until the response parser reaches its end or the
 * exchange fails; each callback only moves the parser or the body along.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "dav_client.h"
#include "tls_client.h"
#include "xmalloc.h"

#define DAV_SEND_CHUNK		(64u << 10)	/* body bytes read from the file at once */
#define DAV_SEND_HIGH		(256u << 10)	/* refill the output up to this */
#define DAV_INTERIM_MAX		8		/* 1xx responses before the final one */
#define DAV_CREDENTIALS_MAX	1024		/* user:password */

enum dav_phase {
	DAV_PH_HEAD,		/* status line and header lines */
	DAV_PH_BODY_LENGTH,	/* Content-Length bytes */
	DAV_PH_CHUNK_SIZE,	/* a chunk-size line */
	DAV_PH_CHUNK_DATA,
	DAV_PH_CHUNK_END,	/* the CRLF after a chunk's data */
	DAV_PH_TRAILER,		/* trailer lines up to the empty one */
	DAV_PH_BODY_CLOSE,	/* the body ends when the server closes */
	DAV_PH_DONE,
	DAV_PH_FAILED,
};

/* The request in flight and what has been parsed of its response. */
struct dav_exchange {
	const struct dav_request *req;
	struct dav_response *res;
	struct errbuf *err;
	char *url;
	enum dav_phase phase;
	int saw_status;		/* the status line of the current response was read */
	int got_bytes;		/* any byte of a response arrived */
	int retryable;		/* failed before any response byte */
	int chunked, has_length, close_after;
	uint64_t remaining;	/* of the Content-Length body or of the chunk */
	uint64_t body_sent;	/* request body bytes put into the output */
	size_t head_bytes, nheaders, interim, kept_alloc, max_body;
};

struct dav_client {
	struct event_base *base;
	struct bufferevent *bev;	/* NULL: not connected */
	char *host;			/* for getaddrinfo (no brackets) */
	char *host_header;		/* host[:port] as in the URL */
	char *origin;			/* "http[s]://host[:port]" */
	SSL_CTX *tls;			/* https: the verifying client context */
	SSL *ssl;			/* https: the connection's, freed with bev */
	char *base_path;
	char port[16];
	char *auth;			/* "Basic ..." or NULL */
	char *user_agent;
	unsigned timeout;
	struct dav_exchange x;
};

static void dav_readcb(struct bufferevent *bev, void *arg);
static void dav_writecb(struct bufferevent *bev, void *arg);
static void dav_eventcb(struct bufferevent *bev, short what, void *arg);

static char *
dav_basic_auth(const char *user, const char *password, struct errbuf *err)
{
	char plain[DAV_CREDENTIALS_MAX];
	unsigned char b64[(DAV_CREDENTIALS_MAX / 3 + 1) * 4 + 1];
	int n;

	n = snprintf(plain, sizeof(plain), "%s:%s", user, password != NULL ? password : "");
	if (n < 0 || (size_t)n >= sizeof(plain)) {
		errbuf_set(err, "the user name and password are longer than %d bytes",
		    DAV_CREDENTIALS_MAX - 1);
		return NULL;
	}
	if (strchr(user, ':') != NULL) {
		errbuf_set(err, "the user name holds ':', which Basic authentication cannot carry");
		return NULL;
	}
	EVP_EncodeBlock(b64, (const unsigned char *)plain, n);
	OPENSSL_cleanse(plain, sizeof(plain));
	return xasprintf("Basic %s", (const char *)b64);
}

/* Splits base_url into the client's host, port, origin and path. */
static int
dav_client_parse_base(struct dav_client *c, const char *base_url, struct errbuf *err)
{
	struct evhttp_uri *uri = evhttp_uri_parse(base_url);
	const char *scheme, *host, *path;
	size_t hlen, plen;
	int port, https, rc = -1;

	scheme = uri != NULL ? evhttp_uri_get_scheme(uri) : NULL;
	https = scheme != NULL && strcasecmp(scheme, "https") == 0;
	host = uri != NULL ? evhttp_uri_get_host(uri) : NULL;
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (scheme == NULL || (strcasecmp(scheme, "http") != 0 && !https) || host == NULL ||
	    host[0] == '\0' || evhttp_uri_get_userinfo(uri) != NULL ||
	    evhttp_uri_get_query(uri) != NULL || evhttp_uri_get_fragment(uri) != NULL ||
	    (path != NULL && path[0] != '\0' && path[0] != '/') ||
	    strpbrk(base_url, " \r\n\t") != NULL) {
		errbuf_set(err, "%s: the WebDAV URL must be http[s]://host[:port]/path", base_url);
		goto out;
	}
	port = evhttp_uri_get_port(uri);
	snprintf(c->port, sizeof(c->port), "%d", port > 0 ? port : https ? 443 : 80);
	hlen = strlen(host);
	if (hlen > 2 && host[0] == '[' && host[hlen - 1] == ']')
		c->host = xstrndup(host + 1, hlen - 2);
	else
		c->host = xstrdup(host);
	c->host_header = port > 0 ? xasprintf("%s:%d", host, port) : xstrdup(host);
	c->origin = xasprintf("%s://%s", https ? "https" : "http", c->host_header);
	path = path != NULL ? path : "";
	plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	c->base_path = xstrndup(path, plen);
	rc = 0;
out:
	if (uri != NULL)
		evhttp_uri_free(uri);
	return rc;
}

struct dav_client *
dav_client_create(const char *base_url, const struct dav_client_config *cfg, struct errbuf *err)
{
	struct dav_client *c = xcalloc(1, sizeof(*c));

	if (dav_client_parse_base(c, base_url, err) < 0)
		goto fail;
	c->timeout = cfg != NULL && cfg->timeout > 0 ? cfg->timeout : DAV_DEFAULT_TIMEOUT;
	c->user_agent = xstrdup(cfg != NULL && cfg->user_agent != NULL ? cfg->user_agent :
	    "storemirror");
	if (cfg != NULL && cfg->user != NULL) {
		c->auth = dav_basic_auth(cfg->user, cfg->password, err);
		if (c->auth == NULL)
			goto fail;
	}
	if (strncmp(c->origin, "https:", 6) == 0 &&
	    (c->tls = tls_client_ctx_new(cfg != NULL ? cfg->ca_file : NULL, err)) == NULL) {
		errbuf_prefix(err, "%s", base_url);
		goto fail;
	}
	c->base = event_base_new();
	if (c->base == NULL) {
		errbuf_set(err, "%s: event_base_new failed", base_url);
		goto fail;
	}
	return c;
fail:
	dav_client_free(c);
	return NULL;
}

static void
dav_disconnect(struct dav_client *c)
{
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	c->ssl = NULL;
}

void
dav_client_free(struct dav_client *c)
{
	if (c == NULL)
		return;
	dav_disconnect(c);
	if (c->base != NULL)
		event_base_free(c->base);
	if (c->tls != NULL)
		SSL_CTX_free(c->tls);
	if (c->auth != NULL)
		OPENSSL_cleanse(c->auth, strlen(c->auth));
	free(c->auth);
	free(c->user_agent);
	free(c->host);
	free(c->host_header);
	free(c->origin);
	free(c->base_path);
	free(c);
}

const char *
dav_client_base_path(const struct dav_client *c)
{
	return c->base_path;
}

char *
dav_client_url(const struct dav_client *c, const char *path)
{
	return xasprintf("%s%s", c->origin, path);
}

char *
dav_path_child(const char *dir_path, const char *name)
{
	char *enc = evhttp_uriencode(name, -1, 0);
	char *s;

	if (enc == NULL)
		xalloc_failed("evhttp_uriencode");
	s = xasprintf("%s/%s", dir_path, enc);
	free(enc);
	return s;
}

void
dav_response_clear(struct dav_response *res)
{
	free(res->body);
	free(res->allow);
	memset(res, 0, sizeof(*res));
}

/* Ends the exchange with an error naming the URL and method; the loop stops. */
static void __attribute__((format(printf, 2, 3)))
dav_fail(struct dav_client *c, const char *fmt, ...)
{
	struct dav_exchange *x = &c->x;
	char text[ERRBUF_SIZE];
	va_list ap;

	if (x->phase == DAV_PH_DONE || x->phase == DAV_PH_FAILED)
		return;
	x->retryable = !x->got_bytes;
	x->phase = DAV_PH_FAILED;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	errbuf_set(x->err, "%s: %s: %s", x->url, x->req->method, text);
	event_base_loopbreak(c->base);
}

static void
dav_done(struct dav_client *c)
{
	c->x.phase = DAV_PH_DONE;
	event_base_loopbreak(c->base);
}

/* A plain socket bufferevent, or a TLS one (tls_client.h: the peer's
 * certificate and name verified). */
static int
dav_new_bufferevent(struct dav_client *c, struct errbuf *err)
{
	if (c->tls == NULL) {
		c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
	} else {
		if ((c->ssl = tls_client_ssl_new(c->tls, c->host, err)) == NULL)
			return -1;
		c->bev = bufferevent_openssl_socket_new(c->base, -1, c->ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev == NULL)
			SSL_free(c->ssl);
		else	/* servers often close without close_notify */
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	}
	if (c->bev == NULL) {
		c->ssl = NULL;
		return errbuf_set(err, "%s: cannot make a bufferevent", c->origin);
	}
	return 0;
}

static int
dav_connect(struct dav_client *c, struct errbuf *err)
{
	struct addrinfo hints, *ai = NULL;
	struct timeval tv = { (time_t)c->timeout, 0 };
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(c->host, c->port, &hints, &ai);
	if (rc != 0) {
		errbuf_set(err, "%s: %s", c->origin, gai_strerror(rc));
		return -1;
	}
	if (dav_new_bufferevent(c, err) < 0) {
		freeaddrinfo(ai);
		return -1;
	}
	bufferevent_setcb(c->bev, dav_readcb, dav_writecb, dav_eventcb, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_setwatermark(c->bev, EV_WRITE, DAV_SEND_CHUNK, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	rc = bufferevent_socket_connect(c->bev, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc < 0) {
		dav_disconnect(c);
		return errbuf_set_errno(err, "%s: connect", c->origin);
	}
	return 0;
}

/* Reads the next line of the input into *line (freed by the caller):
 * 1 a line, 0 not yet complete, -1 over DAV_LINE_MAX (failed). */
static int
dav_take_line(struct dav_client *c, struct evbuffer *in, char **line, size_t *len)
{
	*line = evbuffer_readln(in, len, EVBUFFER_EOL_CRLF);
	if (*line == NULL && evbuffer_get_length(in) <= DAV_LINE_MAX)
		return 0;
	if (*line == NULL || *len > DAV_LINE_MAX) {
		free(*line);
		*line = NULL;
		dav_fail(c, "a response line is longer than %d bytes", DAV_LINE_MAX);
		return -1;
	}
	c->x.head_bytes += *len + 2;
	return 1;
}

static int
dav_status_line(struct dav_client *c, const char *line)
{
	struct dav_response *res = c->x.res;
	size_t n = 0;

	if (strncmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') ||
	    line[8] != ' ' || !isdigit((unsigned char)line[9]) ||
	    !isdigit((unsigned char)line[10]) || !isdigit((unsigned char)line[11]) ||
	    (line[12] != ' ' && line[12] != '\0')) {
		dav_fail(c, "not an HTTP/1.x status line: %.80s", line);
		return -1;
	}
	if (line[7] == '0')
		c->x.close_after = 1;
	res->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	for (const char *p = line[12] == ' ' ? line + 13 : ""; *p != '\0' &&
	    n + 1 < sizeof(res->reason); p++)
		if (*p >= 0x20 && *p < 0x7f)
			res->reason[n++] = *p;
	res->reason[n] = '\0';
	c->x.saw_status = 1;
	return 0;
}

/* Whether the comma-separated list `value` holds `token` (any case). */
static int
dav_token_listed(const char *value, const char *token)
{
	size_t tlen = strlen(token);

	for (const char *p = value; *p != '\0';) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,;");
		if (n == tlen && strncasecmp(p, token, n) == 0)
			return 1;
		p += n;
		p += strcspn(p, ",");
	}
	return 0;
}

static int
dav_content_length(struct dav_client *c, const char *value)
{
	uint64_t v = 0;
	size_t n = strlen(value);

	if (n == 0 || n > 18 || strspn(value, "0123456789") != n) {
		dav_fail(c, "a bad Content-Length: %.40s", value);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(value[i] - '0');
	if (c->x.has_length && c->x.remaining != v) {
		dav_fail(c, "two different Content-Length headers (%.40s)", value);
		return -1;
	}
	c->x.has_length = 1;
	c->x.remaining = v;
	return 0;
}

static int
dav_header_line(struct dav_client *c, char *line)
{
	char *colon = strchr(line, ':'), *value, *end;

	if (line[0] == ' ' || line[0] == '\t' || colon == NULL || colon == line ||
	    ++c->x.nheaders > DAV_HEADERS_MAX) {
		dav_fail(c, "a malformed or excess header line: %.80s", line);
		return -1;
	}
	*colon = '\0';
	value = colon + 1 + strspn(colon + 1, " \t");
	end = value + strlen(value);
	while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (strcasecmp(line, "Content-Length") == 0)
		return dav_content_length(c, value);
	if (strcasecmp(line, "Transfer-Encoding") == 0) {
		if (strcasecmp(value, "chunked") != 0) {
			dav_fail(c, "an unsupported Transfer-Encoding: %.40s", value);
			return -1;
		}
		c->x.chunked = 1;
	} else if (strcasecmp(line, "Connection") == 0 && dav_token_listed(value, "close")) {
		c->x.close_after = 1;
	} else if (strcasecmp(line, "Allow") == 0 && c->x.res->allow == NULL) {
		c->x.res->allow = xstrdup(value);
	}
	return 0;
}

/* The empty line after the headers: what the body is. */
static void
dav_head_end(struct dav_client *c)
{
	struct dav_exchange *x = &c->x;
	int status = x->res->status;

	if (status >= 100 && status < 200) {
		if (++x->interim > DAV_INTERIM_MAX) {
			dav_fail(c, "more than %d interim (1xx) responses", DAV_INTERIM_MAX);
			return;
		}
		x->saw_status = x->has_length = x->chunked = 0;
		x->nheaders = 0;
		free(x->res->allow);
		x->res->allow = NULL;
		return;
	}
	if (strcmp(x->req->method, "HEAD") == 0 || status == 204 || status == 304)
		x->phase = DAV_PH_DONE;
	else if (x->chunked)
		x->phase = DAV_PH_CHUNK_SIZE;
	else if (x->has_length)
		x->phase = x->remaining > 0 ? DAV_PH_BODY_LENGTH : DAV_PH_DONE;
	else {
		x->close_after = 1;
		x->phase = DAV_PH_BODY_CLOSE;
	}
	if (x->chunked && x->has_length)
		x->close_after = 1;	/* RFC 9112 6.3: such a message may be an attack */
}

static int
dav_parse_head(struct dav_client *c, struct evbuffer *in)
{
	char *line;
	size_t len;
	int rc = dav_take_line(c, in, &line, &len);

	if (rc <= 0)
		return rc;
	if (c->x.head_bytes > DAV_HEAD_MAX) {
		dav_fail(c, "a response head longer than %u bytes", DAV_HEAD_MAX);
		rc = -1;
	} else if (!c->x.saw_status) {
		rc = dav_status_line(c, line) < 0 ? -1 : 1;
	} else if (len == 0) {
		dav_head_end(c);
	} else {
		rc = dav_header_line(c, line) < 0 ? -1 : 1;
	}
	free(line);
	return rc;
}

/* Moves up to n bytes of the body from the input to the kept body or away. */
static int
dav_take_body(struct dav_client *c, struct evbuffer *in, size_t n)
{
	struct dav_exchange *x = &c->x;
	struct dav_response *res = x->res;

	if (!x->req->keep_body) {
		evbuffer_drain(in, n);
		return 0;
	}
	if (res->body_len + n > x->max_body) {
		dav_fail(c, "a response body longer than %zu bytes", x->max_body);
		return -1;
	}
	if (res->body_len + n + 1 > x->kept_alloc) {
		size_t want = x->kept_alloc > 0 ? x->kept_alloc : 16384;

		while (want < res->body_len + n + 1)
			want *= 2;
		res->body = xreallocarray(res->body, 1, want);
		x->kept_alloc = want;
	}
	evbuffer_remove(in, res->body + res->body_len, n);
	res->body_len += n;
	res->body[res->body_len] = '\0';
	return 0;
}

static int
dav_parse_chunk_size(struct dav_client *c, struct evbuffer *in)
{
	char *line, *end;
	size_t len, digits;
	int rc = dav_take_line(c, in, &line, &len);

	if (rc <= 0)
		return rc;
	digits = strspn(line, "0123456789abcdefABCDEF");
	if (digits == 0 || digits > 15 || (line[digits] != '\0' && line[digits] != ';' &&
	    line[digits] != ' ' && line[digits] != '\t')) {
		dav_fail(c, "a bad chunk size line: %.40s", line);
		free(line);
		return -1;
	}
	c->x.remaining = strtoull(line, &end, 16);
	c->x.phase = c->x.remaining > 0 ? DAV_PH_CHUNK_DATA : DAV_PH_TRAILER;
	free(line);
	return 1;
}

/* The lines after a chunk's data (one empty line) and the trailer. */
static int
dav_parse_chunk_tail(struct dav_client *c, struct evbuffer *in)
{
	char *line;
	size_t len;
	int rc = dav_take_line(c, in, &line, &len);

	if (rc <= 0)
		return rc;
	if (c->x.phase == DAV_PH_CHUNK_END) {
		if (len != 0) {
			dav_fail(c, "chunk data not followed by CRLF: %.40s", line);
			rc = -1;
		} else {
			c->x.phase = DAV_PH_CHUNK_SIZE;
		}
	} else if (len == 0) {
		c->x.phase = DAV_PH_DONE;
	} else if (c->x.head_bytes > DAV_HEAD_MAX) {
		dav_fail(c, "a chunked trailer longer than %u bytes", DAV_HEAD_MAX);
		rc = -1;
	}
	free(line);
	return rc;
}

/* One step of the parser: 1 progress, 0 needs more input, -1 failed. */
static int
dav_parse_step(struct dav_client *c, struct evbuffer *in)
{
	struct dav_exchange *x = &c->x;
	size_t avail = evbuffer_get_length(in), n;

	switch (x->phase) {
	case DAV_PH_HEAD:
		return dav_parse_head(c, in);
	case DAV_PH_CHUNK_SIZE:
		return dav_parse_chunk_size(c, in);
	case DAV_PH_CHUNK_END:
	case DAV_PH_TRAILER:
		return dav_parse_chunk_tail(c, in);
	case DAV_PH_BODY_LENGTH:
	case DAV_PH_CHUNK_DATA:
		if (avail == 0)
			return 0;
		n = avail < x->remaining ? avail : (size_t)x->remaining;
		if (dav_take_body(c, in, n) < 0)
			return -1;
		x->remaining -= n;
		if (x->remaining == 0)
			x->phase = x->phase == DAV_PH_CHUNK_DATA ? DAV_PH_CHUNK_END : DAV_PH_DONE;
		return 1;
	case DAV_PH_BODY_CLOSE:
		if (avail == 0)
			return 0;
		return dav_take_body(c, in, avail) < 0 ? -1 : 1;
	default:
		return 0;
	}
}

static void
dav_readcb(struct bufferevent *bev, void *arg)
{
	struct dav_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (evbuffer_get_length(in) > 0)
		c->x.got_bytes = 1;
	while (dav_parse_step(c, in) > 0 && c->x.phase != DAV_PH_DONE)
		;
	if (c->x.phase == DAV_PH_DONE)
		dav_done(c);
}

/* Tops the output up with body bytes read from the file. */
static int
dav_fill_body(struct dav_client *c)
{
	struct dav_exchange *x = &c->x;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	while (x->req->body_fd >= 0 && x->body_sent < x->req->body_len &&
	    evbuffer_get_length(out) < DAV_SEND_HIGH) {
		uint64_t left = x->req->body_len - x->body_sent;
		size_t want = left < DAV_SEND_CHUNK ? (size_t)left : DAV_SEND_CHUNK;
		struct evbuffer_iovec v;
		ssize_t got;

		if (evbuffer_reserve_space(out, (ev_ssize_t)want, &v, 1) < 1)
			xalloc_failed("evbuffer_reserve_space");
		got = pread(x->req->body_fd, v.iov_base, want, (off_t)x->body_sent);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			dav_fail(c, "reading the body to send: %s",
			    got < 0 ? strerror(errno) : "the file got shorter");
			x->retryable = 0;
			return -1;
		}
		v.iov_len = (size_t)got;
		evbuffer_commit_space(out, &v, 1);
		x->body_sent += (uint64_t)got;
	}
	return 0;
}

static void
dav_writecb(struct bufferevent *bev, void *arg)
{
	struct dav_client *c = arg;
	struct timeval tv = { (time_t)c->timeout, 0 };

	if (c->x.phase == DAV_PH_DONE || c->x.phase == DAV_PH_FAILED)
		return;
	/* the upload moves: restart the read timeout too */
	bufferevent_set_timeouts(bev, &tv, &tv);
	dav_fill_body(c);
}

static void
dav_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct dav_client *c = arg;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT) {
		dav_fail(c, "no progress for %u s", c->timeout);
		c->x.retryable = 0;
	} else if (what & BEV_EVENT_ERROR) {
		struct errbuf tls = { "" };

		if (c->ssl != NULL && tls_client_describe_failure(c->ssl,
		    bufferevent_get_openssl_error(bev), c->host, &tls))
			dav_fail(c, "%s", tls.msg);
		else
			dav_fail(c, "%s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	} else if (what & BEV_EVENT_EOF) {
		if (c->x.phase == DAV_PH_BODY_CLOSE)
			dav_done(c);
		else
			dav_fail(c, "%s", "the server closed the connection before the response ended");
	}
}

static void
dav_send_head(struct dav_client *c, const struct dav_request *req)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	evbuffer_add_printf(out, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n",
	    req->method, req->path[0] != '\0' ? req->path : "/", c->host_header, c->user_agent);
	if (c->auth != NULL)
		evbuffer_add_printf(out, "Authorization: %s\r\n", c->auth);
	evbuffer_add_printf(out, "Content-Length: %" PRIu64 "\r\n", req->body_len);
	if (req->headers != NULL)
		evbuffer_add(out, req->headers, strlen(req->headers));
	evbuffer_add(out, "\r\n", 2);
	if (req->body != NULL && req->body_fd < 0)
		evbuffer_add(out, req->body, (size_t)req->body_len);
}

static int
dav_request_valid(const struct dav_request *r)
{
	return r->method != NULL && r->method[0] != '\0' &&
	    strspn(r->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(r->method) &&
	    r->path != NULL && (r->path[0] == '/' || r->path[0] == '\0') &&
	    strpbrk(r->path, " \r\n\t") == NULL &&
	    (r->body_len == 0 || r->body != NULL || r->body_fd >= 0);
}

/* One attempt on the current (or a new) connection. */
static int
dav_exchange_run(struct dav_client *c, const struct dav_request *req, struct dav_response *res,
    struct errbuf *err)
{
	struct dav_exchange *x = &c->x;
	struct timeval tv = { (time_t)c->timeout, 0 };
	char *url = x->url;

	memset(x, 0, sizeof(*x));
	x->url = url;
	x->req = req;
	x->res = res;
	x->err = err;
	x->phase = DAV_PH_HEAD;
	x->max_body = req->max_body > 0 ? req->max_body : DAV_DEFAULT_MAX_BODY;
	bufferevent_set_timeouts(c->bev, &tv, &tv);	/* not counting the idle time before */
	dav_send_head(c, req);
	if (dav_fill_body(c) == 0)
		event_base_loop(c->base, 0);
	if (x->phase == DAV_PH_DONE) {
		if (x->close_after || x->body_sent < (req->body_fd >= 0 ? req->body_len : 0) ||
		    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
			dav_disconnect(c);
		return 0;
	}
	if (x->phase != DAV_PH_FAILED)
		dav_fail(c, "%s", "the event loop ended before the response");
	dav_disconnect(c);
	return -1;
}

/* SIGPIPE is blocked while a request runs: a share that resets the
 * connection in the middle of a body must give EPIPE, not end the program
 * (libevent writes with writev, which has no MSG_NOSIGNAL), and a library
 * must not change the program's signal handlers.  A SIGPIPE raised
 * meanwhile is taken off before the mask is restored. */
static void
dav_sigpipe_block(sigset_t *old, int *was_pending)
{
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	*was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, old);
}

static void
dav_sigpipe_restore(const sigset_t *old, int was_pending)
{
	static const struct timespec now = { 0, 0 };
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (!was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
		sigtimedwait(&pipe_set, NULL, &now);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

int
dav_client_request(struct dav_client *c, const struct dav_request *req,
    struct dav_response *res, struct errbuf *err)
{
	sigset_t old_mask;
	int rc = -1, pipe_pending;

	memset(res, 0, sizeof(*res));
	c->x.url = dav_client_url(c, req->path);
	if (!dav_request_valid(req)) {
		errbuf_set(err, "%s: an invalid request (method, path or body)", c->x.url);
		goto out;
	}
	dav_sigpipe_block(&old_mask, &pipe_pending);
	for (int attempt = 0; attempt < 2; attempt++) {
		int reused = c->bev != NULL;

		if (!reused && dav_connect(c, err) < 0)
			break;
		dav_response_clear(res);
		rc = dav_exchange_run(c, req, res, err);
		if (rc == 0 || !reused || !c->x.retryable)
			break;
	}
	dav_sigpipe_restore(&old_mask, pipe_pending);
	if (rc == 0 && req->keep_body && res->body == NULL)
		res->body = xcalloc(1, 1);
out:
	free(c->x.url);
	c->x.url = NULL;
	return rc;
}

int
dav_response_allows(const struct dav_response *res, const char *method)
{
	if (res->allow == NULL)
		return -1;
	return dav_token_listed(res->allow, method);
}
