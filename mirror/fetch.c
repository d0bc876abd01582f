/*
 * fetch: files over HTTP(S) on libevent's client (fetch.h).
 *
 * The core is asynchronous.  A fetch_state runs one attempt after the other
 * on a connection taken from its host's pool (fetch_conn.h, which relays
 * https through a proxy with fetch_tunnel.h); the header callback decides
 * what the body is for (the file, or discarded), the chunked callback hashes
 * and writes each piece as it arrives.  Every step that follows a libevent
 * callback (the end of an attempt, the next one after a backoff) runs from
 * the state's own timer, outside libevent's callbacks, so connections can be
 * released or freed and requests made safely.  Body bytes are copied into
 * a 256 KiB buffer as they arrive, hashed there and written when it is full
 * (and whatever is left before the file is closed, however the attempt
 * ended).  fetch_file() starts one call
 * and runs the loop until it ends.  A head_only fetch goes the same way with
 * HEAD (libevent expects no body after it) and never touches the file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>

#include "copy_hash.h"
#include "fetch.h"
#include "fetch_conn.h"
#include "fs_open.h"
#include "tls_client.h"
#include "utf8.h"
#include "xmalloc.h"

#define FETCH_DEFAULT_STALL	30
#define FETCH_DEFAULT_BACKOFF	500
#define FETCH_SIDECAR_SUFFIX	".etag"
#define FETCH_HASH_BUFSIZE	(256 * 1024)
#define FETCH_WRITE_BATCH	(256 * 1024)	/* body bytes gathered per write */

struct fetcher {
	struct event_base *base;
	struct fetch_conn_pool *pool;	/* per host, the connections (fetch_conn.h) */
	char *user_agent;
	unsigned max_hosts;	/* the configuration, for fetch_create_like() */
	char *ca_file;
	char *proxy;
	char *proxy_host;	/* NULL: direct */
	int proxy_port;
};

struct fetch_target {
	const char *host;
	int port;
	int tls;
	char *path;	/* request target: origin form, or absolute form via the proxy */
	char *hosthdr;
};

enum fetch_step { FETCH_STEP_BEGIN, FETCH_STEP_END, FETCH_STEP_FINISH };

/* One fetch_call in progress, shared by the callbacks. */
struct fetch_state {
	struct fetcher *f;
	struct fetch_call *c;
	const struct fetch_opts *o;
	struct fetch_target t;
	struct evhttp_uri *uri;
	struct fetch_conn *conn;	/* the attempt's */
	struct event *timer;
	enum fetch_step step;
	struct hasher *hasher;
	uint64_t offset;	/* bytes of the file kept (Range start), then
				   received: written, or gathered in wbuf */
	int fd;			/* the file while a 200/206 body arrives */
	unsigned char *wbuf;	/* [FETCH_WRITE_BATCH]: body bytes hashed, */
	size_t wlen;		/* not yet written (allocated with the body) */
	unsigned tries, delay;
	int resume;
	int failed;		/* a callback failed the attempt (c->err) */
	int peer_closes;	/* the response ends its connection (no reuse) */
	int ended;		/* the request is over: END is scheduled */
	int have_ev_error;
	enum evhttp_request_error ev_error;
	char location[256];	/* a redirect's Location (not followed), for the error */
};

/* http or https, and its default port; -1 for another scheme. */
static int
fetch_scheme_port(const char *scheme, int *tls, int *port)
{
	if (scheme != NULL && strcmp(scheme, "http") == 0) {
		*tls = 0;
		*port = 80;
	} else if (scheme != NULL && strcmp(scheme, "https") == 0) {
		*tls = 1;
		*port = 443;
	} else {
		return -1;
	}
	return 0;
}

static int
fetch_proxy_parse(struct fetcher *f, const char *proxy, struct errbuf *err)
{
	struct evhttp_uri *uri = evhttp_uri_parse(proxy);
	const char *host = uri != NULL ? evhttp_uri_get_host(uri) : NULL;
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	int tls = 0, rc = -1;

	if (uri == NULL || fetch_scheme_port(evhttp_uri_get_scheme(uri), &tls,
	    &f->proxy_port) != 0 || tls || host == NULL || host[0] == '\0' ||
	    host[0] == '[' || evhttp_uri_get_userinfo(uri) != NULL ||
	    evhttp_uri_get_query(uri) != NULL ||
	    (path != NULL && path[0] != '\0' && strcmp(path, "/") != 0)) {
		errbuf_set(err, "%s: the proxy must be http://host:port (a name or IPv4 address)", proxy);
		goto out;
	}
	if (evhttp_uri_get_port(uri) > 0)
		f->proxy_port = evhttp_uri_get_port(uri);
	f->proxy_host = xstrdup(host);
	rc = 0;
out:
	if (uri != NULL)
		evhttp_uri_free(uri);
	return rc;
}

struct fetcher *
fetch_create(const struct fetch_config *cfg, struct errbuf *err)
{
	struct fetcher *f = xcalloc(1, sizeof(*f));
	struct fetch_conn_config pool = { 0 };

	pool.max_hosts = cfg != NULL && cfg->max_hosts > 0 ? cfg->max_hosts :
	    FETCH_DEFAULT_MAX_HOSTS;
	f->user_agent = xstrdup(cfg != NULL && cfg->user_agent != NULL ? cfg->user_agent :
	    "storemirror");
	f->max_hosts = pool.max_hosts;
	f->ca_file = cfg != NULL && cfg->ca_file != NULL ? xstrdup(cfg->ca_file) : NULL;
	f->proxy = cfg != NULL && cfg->proxy != NULL ? xstrdup(cfg->proxy) : NULL;
	if ((f->base = event_base_new()) == NULL) {
		errbuf_set(err, "fetch: cannot create an event base");
		goto fail;
	}
	/* a bad ca_file is reported now; without one, OpenSSL's context waits
	 * for the first https:// host (it costs memory) */
	if (cfg != NULL && cfg->ca_file != NULL) {
		pool.ca_file = cfg->ca_file;
		if ((pool.tls = tls_client_ctx_new(pool.ca_file, err)) == NULL)
			goto fail;
	}
	if (cfg != NULL && cfg->proxy != NULL && cfg->proxy[0] != '\0' &&
	    fetch_proxy_parse(f, cfg->proxy, err) != 0)
		goto fail;
	pool.base = f->base;
	pool.proxy_host = f->proxy_host;
	pool.proxy_port = f->proxy_port;
	f->pool = fetch_conn_pool_new(&pool);	/* owns pool.tls now */
	return f;
fail:
	SSL_CTX_free(pool.tls);
	fetch_free(f);
	return NULL;
}

struct fetcher *
fetch_create_like(const struct fetcher *f, struct errbuf *err)
{
	struct fetch_config cfg = { .max_hosts = f->max_hosts, .user_agent = f->user_agent,
	    .ca_file = f->ca_file, .proxy = f->proxy };

	return fetch_create(&cfg, err);
}

struct event_base *
fetch_event_base(struct fetcher *f)
{
	return f->base;
}

void
fetch_free(struct fetcher *f)
{
	if (f == NULL)
		return;
	fetch_conn_pool_free(f->pool);	/* before the event base it runs on */
	if (f->base != NULL)
		event_base_free(f->base);
	free(f->proxy_host);
	free(f->proxy);
	free(f->ca_file);
	free(f->user_agent);
	free(f);
}

int
fetch_set_rate_limit(struct fetcher *f, uint64_t bytes_per_sec, struct errbuf *err)
{
	return fetch_conn_pool_set_rate_limit(f->pool, bytes_per_sec, err);
}

/* The strong ETag saved beside tmpname, or "" when absent or unreadable. */
static void
fetch_sidecar_read(int dirfd, const char *tmpname, char *etag, size_t size)
{
	char *name = xasprintf("%s%s", tmpname, FETCH_SIDECAR_SUFFIX);
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = -1;

	etag[0] = '\0';
	if (fd >= 0) {
		n = read(fd, etag, size - 1);
		close(fd);
	}
	if (n > 0 && memchr(etag, '\n', (size_t)n) == NULL && memchr(etag, '\r', (size_t)n) == NULL)
		etag[n] = '\0';
	else
		etag[0] = '\0';
	free(name);
}

static int
fetch_sidecar_write(int dirfd, const char *tmpname, const char *etag, struct errbuf *err)
{
	char *name = xasprintf("%s%s", tmpname, FETCH_SIDECAR_SUFFIX);
	int rc = -1, fd;

	if (etag == NULL) {
		if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
			rc = 0;
		else
			errbuf_set_errno(err, "%s: cannot remove", name);
		goto out;
	}
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		errbuf_set_errno(err, "%s: cannot create", name);
		goto out;
	}
	rc = fs_write_all(fd, etag, strlen(etag));
	if (close(fd) != 0)
		rc = -1;
	if (rc != 0)
		errbuf_set_errno(err, "%s: cannot write", name);
out:
	free(name);
	return rc;
}

/* "bytes <start>-<end>/<len|*>": the start, which must be `want`. */
static int
fetch_content_range_ok(const char *v, uint64_t want)
{
	uint64_t start;
	char *end;

	if (v == NULL || strncmp(v, "bytes ", 6) != 0)
		return 0;
	errno = 0;
	start = strtoull(v + 6, &end, 10);
	return errno == 0 && end != v + 6 && *end == '-' && start == want;
}

/* A Content-Length: decimal digits only, no overflow; -1 otherwise. */
static int
fetch_content_length(const char *v, uint64_t *len)
{
	uint64_t n = 0;

	if (v == NULL || *v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*len = n;
	return 0;
}

/* A strong ETag, fit for If-Range (RFC 9110 13.1.5); NULL otherwise. */
static const char *
fetch_strong_etag(const char *v)
{
	size_t n;

	if (v == NULL || (n = strlen(v)) < 2 || n >= FETCH_ETAG_MAX || v[0] != '"' ||
	    v[n - 1] != '"')
		return NULL;
	return v;
}

/* The hasher restarted for a body: for a 206, first the file's kept
 * prefix [0, offset), read back from fd. */
static int
fetch_hash_restart(struct fetch_state *s)
{
	unsigned char *buf;
	uint64_t done = 0;
	ssize_t n = 0;

	hasher_free(s->hasher);
	if ((s->hasher = hasher_create(&s->c->err)) == NULL)
		return -1;
	if (s->offset == 0)
		return 0;
	buf = xmalloc(FETCH_HASH_BUFSIZE);
	while (done < s->offset) {
		size_t want = s->offset - done < FETCH_HASH_BUFSIZE ? (size_t)(s->offset - done) :
		    FETCH_HASH_BUFSIZE;

		n = pread(s->fd, buf, want, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		hasher_update(s->hasher, buf, (size_t)n);
		done += (uint64_t)n;
	}
	free(buf);
	if (done < s->offset)
		return errbuf_set_errno(&s->c->err, "%s: cannot read the part kept", s->c->tmpname);
	return 0;
}

static int
fetch_open_body(struct fetch_state *s, struct evhttp_request *req, int status)
{
	struct fetch_call *c = s->c;
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *etag = evhttp_find_header(h, "ETag");
	const char *clen = evhttp_find_header(h, "Content-Length");
	int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW;

	if (status == 206 && !fetch_content_range_ok(evhttp_find_header(h, "Content-Range"),
	    s->offset)) {
		c->res.fail = FETCH_FAIL_PROTOCOL;
		return errbuf_set(&c->err, "206 with a Content-Range not starting at %" PRIu64,
		    s->offset);
	}
	if (status == 200)
		s->offset = 0;
	if (clen != NULL)
		c->res.expected = s->offset + strtoull(clen, NULL, 10);
	if (s->o->max_size > 0 && clen != NULL && c->res.expected > s->o->max_size) {
		c->res.fail = FETCH_FAIL_PROTOCOL;
		return errbuf_set(&c->err, "%s bytes is more than the limit %" PRIu64, clen,
		    s->o->max_size);
	}
	s->fd = openat(c->dirfd, c->tmpname, flags | (status == 200 ? O_TRUNC : 0), 0644);
	if (s->fd < 0 || lseek(s->fd, (off_t)s->offset, SEEK_SET) < 0 ||
	    (status == 206 && ftruncate(s->fd, (off_t)s->offset) != 0)) {
		c->res.fail = FETCH_FAIL_LOCAL;
		return errbuf_set_errno(&c->err, "%s: cannot open", c->tmpname);
	}
	if (s->wbuf == NULL)
		s->wbuf = xmalloc(FETCH_WRITE_BATCH);	/* kept for the call's retries */
	if (status == 200 && fetch_sidecar_write(c->dirfd, c->tmpname, fetch_strong_etag(etag),
	    &c->err) != 0) {
		c->res.fail = FETCH_FAIL_LOCAL;
		return -1;
	}
	if (c->want_sha256 && fetch_hash_restart(s) != 0) {
		c->res.fail = FETCH_FAIL_LOCAL;
		return -1;
	}
	return 0;
}

/* The server closes the connection after this response: "Connection:
 * close", or HTTP/1.0 without "keep-alive".  libevent only honours the
 * former; reusing the connection after the latter races the server's close
 * (the next request would see the connection closed). */
static int
fetch_peer_closes(const struct evhttp_request *req)
{
	const char *conn = evhttp_find_header(evhttp_request_get_input_headers(
	    (struct evhttp_request *)req), "Connection");

	if (conn != NULL && evutil_ascii_strcasecmp(conn, "close") == 0)
		return 1;
	return req->major == 1 && req->minor == 0 &&
	    (conn == NULL || evutil_ascii_strcasecmp(conn, "keep-alive") != 0);
}

/* HEAD: a 200 tells the file's size (Content-Length, required). */
static int
fetch_head_size(struct fetch_state *s, struct evhttp_request *req)
{
	struct fetch_call *c = s->c;
	const char *clen = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Length");
	uint64_t len;

	if (fetch_content_length(clen, &len) != 0) {
		c->res.fail = FETCH_FAIL_PROTOCOL;
		return errbuf_set(&c->err, "HEAD: 200 without a valid Content-Length (\"%s\")",
		    clen != NULL ? clen : "none");
	}
	if (s->o->max_size > 0 && len > s->o->max_size) {
		c->res.fail = FETCH_FAIL_PROTOCOL;
		return errbuf_set(&c->err, "%s bytes is more than the limit %" PRIu64, clen,
		    s->o->max_size);
	}
	c->res.expected = c->res.size = len;
	return 0;
}

static int
fetch_header_cb(struct evhttp_request *req, void *arg)
{
	struct fetch_state *s = arg;
	int status = evhttp_request_get_response_code(req);
	const char *etag = evhttp_find_header(evhttp_request_get_input_headers(req), "ETag");

	s->c->res.status = status;
	s->peer_closes = fetch_peer_closes(req);
	snprintf(s->c->res.etag, sizeof(s->c->res.etag), "%s", etag != NULL ? etag : "");
	if (status >= 300 && status < 400) {
		const char *loc = evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Location");

		snprintf(s->location, sizeof(s->location), "%s", loc != NULL ? loc : "");
	}
	if (status != 200 && status != 206)
		return 0;	/* the body, if any, is discarded */
	if (s->o->head_only ? status == 200 && fetch_head_size(s, req) != 0 :
	    fetch_open_body(s, req, status) != 0) {
		s->failed = 1;
		return -1;
	}
	return 0;
}

static void fetch_end_schedule(struct fetch_state *s);

/* Writes the gathered body bytes to the file: 0, or -1 with c->err
 * (FETCH_FAIL_LOCAL) and the rest dropped.  Called when a batch is full
 * and before the file is closed, whatever ended the attempt, so a partial
 * file holds every byte received (resume depends on it). */
static int
fetch_flush(struct fetch_state *s)
{
	size_t len = s->wlen;

	s->wlen = 0;
	if (len > 0 && fs_write_all(s->fd, s->wbuf, len) != 0) {
		s->c->res.fail = FETCH_FAIL_LOCAL;
		return errbuf_set_errno(&s->c->err, "%s: cannot write", s->c->tmpname);
	}
	return 0;
}

/* Ends the attempt at once (no further body byte is read): the request is
 * cancelled, which resets its connection. */
static void
fetch_abort(struct fetch_state *s, struct evhttp_request *req)
{
	s->failed = 1;
	evhttp_cancel_request(req);	/* libevent frees req once this callback returns */
	fetch_end_schedule(s);
}

/* libevent 2.1 reads 4 KiB at a time: each piece is copied into the
 * batch buffer (its chain freed at once, reused by the next read: the heap
 * does not grow and shrink), hashed there while hot, and the buffer written
 * when full, so one write(2) per FETCH_WRITE_BATCH instead of one per read. */
static void
fetch_chunk_cb(struct evhttp_request *req, void *arg)
{
	struct fetch_state *s = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);

	if (s->fd < 0 || s->failed || len == 0)
		return;		/* libevent drains what is left */
	if (s->o->max_size > 0 && s->offset + len > s->o->max_size) {
		s->c->res.fail = FETCH_FAIL_PROTOCOL;
		errbuf_set(&s->c->err, "the body is more than the limit %" PRIu64, s->o->max_size);
		fetch_flush(s);		/* the bytes so far are kept, as on a cut */
		fetch_abort(s, req);
		return;
	}
	while ((len = evbuffer_get_length(in)) > 0) {
		unsigned char *at = s->wbuf + s->wlen;
		size_t n = len < FETCH_WRITE_BATCH - s->wlen ? len : FETCH_WRITE_BATCH - s->wlen;

		evbuffer_remove(in, at, n);
		if (s->hasher != NULL)
			hasher_update(s->hasher, at, n);
		s->wlen += n;
		s->offset += (uint64_t)n;
		s->c->res.received += (uint64_t)n;
		if (s->wlen == FETCH_WRITE_BATCH && fetch_flush(s) != 0) {
			fetch_abort(s, req);
			return;
		}
	}
}

static void
fetch_error_cb(enum evhttp_request_error e, void *arg)
{
	struct fetch_state *s = arg;

	s->ev_error = e;
	s->have_ev_error = 1;
	fetch_end_schedule(s);	/* a cancelled request gets no done callback */
}

static void
fetch_done_cb(struct evhttp_request *req, void *arg)
{
	struct fetch_state *s = arg;

	if (req == NULL || evhttp_request_get_response_code(req) == 0)
		s->c->res.status = 0;
	fetch_end_schedule(s);
}

static const char *
fetch_ev_error_text(enum evhttp_request_error e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		return "stalled (no byte within the timeout)";
	case EVREQ_HTTP_EOF:
		return "connection closed";
	case EVREQ_HTTP_INVALID_HEADER:
		return "invalid or over-long response head (limit 64 KiB)";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "connection error";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "response too long";
	default:
		return "request cancelled";
	}
}

static int
fetch_target_parse(const struct fetcher *f, const char *url, struct evhttp_uri **uri,
    struct fetch_target *t, struct errbuf *err)
{
	const char *path, *query;
	int dflt;

	*uri = evhttp_uri_parse(url);
	if (*uri == NULL)
		return errbuf_set(err, "%s: not a URL", url);
	t->host = evhttp_uri_get_host(*uri);
	if (fetch_scheme_port(evhttp_uri_get_scheme(*uri), &t->tls, &dflt) != 0 ||
	    t->host == NULL || t->host[0] == '\0')
		return errbuf_set(err, "%s: only http[s]://host[:port]/path URLs are fetched", url);
	if (t->host[0] == '[')
		return errbuf_set(err, "%s: IPv6 address literals are not supported, name the host",
		    url);
	t->port = evhttp_uri_get_port(*uri);
	if (t->port < 0)
		t->port = dflt;
	path = evhttp_uri_get_path(*uri);
	query = evhttp_uri_get_query(*uri);
	t->hosthdr = t->port == dflt ? xstrdup(t->host) : xasprintf("%s:%d", t->host, t->port);
	/* RFC 9112 section 3.2.2: the absolute form for a proxy */
	t->path = xasprintf("%s%s%s%s%s", f->proxy_host != NULL && !t->tls ? "http://" : "",
	    f->proxy_host != NULL && !t->tls ? t->hosthdr : "",
	    path != NULL && path[0] != '\0' ? path : "/", query != NULL ? "?" : "",
	    query != NULL ? query : "");
	return 0;
}

static void
fetch_add_headers(struct fetch_state *s, struct evhttp_request *req, const char *if_range)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char range[64];

	evhttp_add_header(h, "Host", s->t.hosthdr);
	evhttp_add_header(h, "User-Agent", s->f->user_agent);
	if (s->o->etag != NULL && s->o->etag[0] != '\0')
		evhttp_add_header(h, "If-None-Match", s->o->etag);
	if (if_range != NULL) {
		snprintf(range, sizeof(range), "bytes=%" PRIu64 "-", s->offset);
		evhttp_add_header(h, "Range", range);
		evhttp_add_header(h, "If-Range", if_range);
	}
}

/* The Range start for this attempt: the partial file's size when it may be
 * resumed (its sidecar names a validator), else 0 with if_range "". */
static uint64_t
fetch_resume_point(struct fetch_state *s, char *if_range, size_t size)
{
	struct stat st;

	if_range[0] = '\0';
	if (!s->resume || s->o->head_only ||
	    fstatat(s->c->dirfd, s->c->tmpname, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || st.st_size <= 0)
		return 0;
	fetch_sidecar_read(s->c->dirfd, s->c->tmpname, if_range, size);
	return if_range[0] != '\0' ? (uint64_t)st.st_size : 0;
}

static void
fetch_schedule(struct fetch_state *s, enum fetch_step step, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000 };

	s->step = step;
	evtimer_add(s->timer, &tv);
}

static void
fetch_end_schedule(struct fetch_state *s)
{
	if (s->ended)
		return;
	s->ended = 1;
	fetch_schedule(s, FETCH_STEP_END, 0);
}

/* Starts one request on a connection of the target's host. */
static void
fetch_attempt_begin(struct fetch_state *s)
{
	struct fetch_call *c = s->c;
	struct fetch_origin origin = { s->t.host, s->t.port, s->t.tls };
	struct evhttp_request *req;
	char if_range[FETCH_ETAG_MAX];
	unsigned stall = s->o->stall_timeout > 0 ? s->o->stall_timeout : FETCH_DEFAULT_STALL;

	s->fd = -1;
	s->failed = s->ended = s->have_ev_error = s->peer_closes = 0;
	c->res.status = 0;
	c->res.etag[0] = '\0';
	if (s->o->head_only)
		c->res.expected = c->res.size = 0;
	if ((s->conn = fetch_conn_acquire(s->f->pool, &origin, &c->err)) == NULL) {
		c->res.fail = FETCH_FAIL_CONNECT;
		s->failed = 1;
		fetch_end_schedule(s);
		return;
	}
	s->offset = fetch_resume_point(s, if_range, sizeof(if_range));
	req = evhttp_request_new(fetch_done_cb, s);
	evhttp_request_set_header_cb(req, fetch_header_cb);
	evhttp_request_set_chunked_cb(req, fetch_chunk_cb);
	evhttp_request_set_error_cb(req, fetch_error_cb);
	fetch_add_headers(s, req, if_range[0] != '\0' ? if_range : NULL);
	evhttp_connection_set_timeout(fetch_conn_evcon(s->conn), (int)stall);
	c->res.attempts++;
	if (evhttp_make_request(fetch_conn_evcon(s->conn), req, s->o->head_only ?
	    EVHTTP_REQ_HEAD : EVHTTP_REQ_GET, s->t.path) != 0) {
		/* libevent has freed req */
		c->res.fail = FETCH_FAIL_CONNECT;
		errbuf_set(&c->err, "cannot send the request");
		s->failed = 1;
		fetch_end_schedule(s);
	}
}

/* The attempt's outcome: 0 when a response came (any status), -1 on a
 * transport, TLS or local failure. */
static int
fetch_attempt_outcome(struct fetch_state *s)
{
	struct fetch_call *c = s->c;
	struct fetch_conn *conn = s->conn;

	if (s->fd >= 0 && !s->failed && fetch_flush(s) != 0)
		s->failed = 1;
	s->wlen = 0;
	if (s->fd >= 0 && close(s->fd) != 0 && !s->failed) {
		c->res.fail = FETCH_FAIL_LOCAL;
		errbuf_set_errno(&c->err, "%s: cannot write", c->tmpname);
		s->failed = 1;
	}
	s->fd = -1;
	if (s->failed)
		return -1;
	if (c->res.status != 0)
		return 0;
	if (conn != NULL && (c->res.fail = fetch_conn_failure(conn, &c->err)) != FETCH_FAIL_NONE)
		return -1;
	if (s->have_ev_error && s->ev_error == EVREQ_HTTP_TIMEOUT)
		c->res.fail = FETCH_FAIL_STALL;
	else if (s->have_ev_error && (s->ev_error == EVREQ_HTTP_INVALID_HEADER ||
	    s->ev_error == EVREQ_HTTP_DATA_TOO_LONG))
		c->res.fail = FETCH_FAIL_PROTOCOL;	/* the same answer again: not retried */
	else
		c->res.fail = FETCH_FAIL_CONNECT;
	errbuf_set(&c->err, "%s", s->have_ev_error ? fetch_ev_error_text(s->ev_error) :
	    "connection failed (refused, reset or closed)");
	if (s->f->proxy_host != NULL && !s->t.tls)
		errbuf_prefix(&c->err, "through the proxy %s:%d", s->f->proxy_host, s->f->proxy_port);
	return -1;
}

/* 0: a final answer in res.status; -1: failed, *again if transient. */
static int
fetch_classify(struct fetch_state *s, int rc, int *again)
{
	struct fetch_result *res = &s->c->res;

	*again = 0;
	if (rc != 0) {
		*again = res->fail == FETCH_FAIL_CONNECT || res->fail == FETCH_FAIL_STALL;
		return -1;
	}
	if (res->status == 200 || (res->status == 206 && !s->o->head_only) ||
	    res->status == 304 || res->status == 404) {
		res->fail = FETCH_FAIL_NONE;
		return 0;
	}
	res->fail = FETCH_FAIL_HTTP;
	*again = res->status >= 500;
	/* Redirects are not followed (an upstream must not send the mirror
	 * elsewhere): the error says where it pointed, escaped. */
	if (s->location[0] != '\0') {
		char *shown = utf8_escape(s->location);

		errbuf_set(&s->c->err, "HTTP status %d, redirected to %s (redirects are not "
		    "followed: give that URL as the upstream)", res->status, shown);
		free(shown);
		return -1;
	}
	return errbuf_set(&s->c->err, "HTTP status %d", res->status);
}

/* A complete file: its size, the sidecar removed, the sha256. */
static int
fetch_complete(struct fetch_state *s)
{
	struct fetch_call *c = s->c;
	struct stat st;

	c->res.resumed = c->res.status == 206;
	if (fstatat(c->dirfd, c->tmpname, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		c->res.fail = FETCH_FAIL_LOCAL;
		return errbuf_set_errno(&c->err, "%s: cannot stat", c->tmpname);
	}
	c->res.size = (uint64_t)st.st_size;
	if (fetch_sidecar_write(c->dirfd, c->tmpname, NULL, &c->err) != 0) {
		c->res.fail = FETCH_FAIL_LOCAL;
		return -1;
	}
	if (s->hasher != NULL) {
		hasher_final(s->hasher, c->sha256);
		c->have_sha256 = 1;
	}
	return 0;
}

static void
fetch_finish(struct fetch_state *s, int rc)
{
	struct fetch_call *c = s->c;

	if (rc == 0 && !s->o->head_only && (c->res.status == 200 || c->res.status == 206))
		rc = fetch_complete(s);
	if (rc != 0 && c->res.attempts > 0)
		errbuf_prefix(&c->err, "%s", c->url);
	c->rc = rc;
	event_free(s->timer);
	free(s->wbuf);
	hasher_free(s->hasher);
	if (s->uri != NULL)
		evhttp_uri_free(s->uri);
	free(s->t.path);
	free(s->t.hosthdr);
	free(s);
	c->state = NULL;
	c->done(c);
}

static void
fetch_attempt_end(struct fetch_state *s)
{
	int again, rc = fetch_attempt_outcome(s);

	if (s->conn != NULL)
		fetch_conn_release(s->conn, rc != 0 || s->peer_closes);
	s->conn = NULL;
	rc = fetch_classify(s, rc, &again);
	if (rc != 0 && again && s->tries < s->o->retries) {
		s->tries++;
		s->resume = 1;	/* what the failed attempt wrote is kept */
		s->c->err.msg[0] = '\0';
		fetch_schedule(s, FETCH_STEP_BEGIN, s->delay);
		s->delay = s->delay > UINT32_MAX / 2 ? s->delay : s->delay * 2;
		return;
	}
	fetch_finish(s, rc);
}

static void
fetch_step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_state *s = arg;

	(void)fd;
	(void)what;
	switch (s->step) {
	case FETCH_STEP_BEGIN:
		fetch_attempt_begin(s);
		break;
	case FETCH_STEP_END:
		fetch_attempt_end(s);
		break;
	case FETCH_STEP_FINISH:
		fetch_finish(s, -1);
		break;
	}
}

void
fetch_start(struct fetcher *f, struct fetch_call *c)
{
	static const struct fetch_opts defaults;
	struct fetch_state *s = xcalloc(1, sizeof(*s));

	c->state = s;
	c->rc = -1;
	memset(&c->res, 0, sizeof(c->res));
	c->err.msg[0] = '\0';
	c->have_sha256 = 0;
	c->sha256[0] = '\0';
	s->f = f;
	s->c = c;
	s->o = c->o != NULL ? c->o : &defaults;
	s->fd = -1;
	s->resume = s->o->resume;
	s->delay = s->o->backoff_ms > 0 ? s->o->backoff_ms : FETCH_DEFAULT_BACKOFF;
	if ((s->timer = evtimer_new(f->base, fetch_step_cb, s)) == NULL)
		xalloc_failed("a timer");
	if (fetch_target_parse(f, c->url, &s->uri, &s->t, &c->err) != 0)
		fetch_schedule(s, FETCH_STEP_FINISH, 0);
	else
		fetch_schedule(s, FETCH_STEP_BEGIN, 0);
}

static void
fetch_file_done(struct fetch_call *c)
{
	*(int *)c->arg = 1;
}

int
fetch_file(struct fetcher *f, const char *url, int dirfd, const char *tmpname,
    const struct fetch_opts *o, struct fetch_result *res, struct errbuf *err)
{
	struct fetch_call c = { .url = url, .dirfd = dirfd, .tmpname = tmpname, .o = o,
	    .done = fetch_file_done };
	int done = 0;

	c.arg = &done;
	fetch_start(f, &c);
	/* the call's timer or request is pending until done: the loop never
	 * runs out of events before */
	while (!done)
		event_base_loop(f->base, EVLOOP_ONCE);
	*res = c.res;
	if (err != NULL)
		*err = c.err;
	return c.rc;
}

static int
fetch_url_keep(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

int
fetch_url_join(const char *base, const char *rel, char **out, struct errbuf *err)
{
	struct evhttp_uri *uri = NULL;
	const char *scheme, *host, *path;
	size_t blen, rlen, n = 0;
	char *s;
	int rc = -1;

	*out = NULL;
	if (rel == NULL || rel[0] == '\0' || rel[0] == '/') {
		errbuf_set(err, "%s: not a relative path", rel != NULL ? rel : "(null)");
		goto out;
	}
	uri = evhttp_uri_parse(base);
	scheme = uri != NULL ? evhttp_uri_get_scheme(uri) : NULL;
	host = uri != NULL ? evhttp_uri_get_host(uri) : NULL;
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (scheme == NULL || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
	    host == NULL || host[0] == '\0' ||
	    evhttp_uri_get_userinfo(uri) != NULL || evhttp_uri_get_query(uri) != NULL ||
	    evhttp_uri_get_fragment(uri) != NULL || (path != NULL && path[0] != '\0' &&
	    path[0] != '/')) {
		errbuf_set(err, "%s: the upstream must be http[s]://host[:port]/path", base);
		goto out;
	}
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	rlen = strlen(rel);
	s = xmalloc(blen + 1 + rlen * 3 + 1);
	memcpy(s, base, blen);
	n = blen;
	s[n++] = '/';
	for (size_t i = 0; i < rlen; i++) {
		unsigned char c = (unsigned char)rel[i];

		if (fetch_url_keep(c))
			s[n++] = (char)c;
		else
			n += (size_t)sprintf(s + n, "%%%02X", c);
	}
	s[n] = '\0';
	*out = s;
	rc = 0;
out:
	if (uri != NULL)
		evhttp_uri_free(uri);
	return rc;
}
