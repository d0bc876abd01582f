/*
 * fetch: one file over plain HTTP on libevent's client, synchronously
 * (fetch.h).  Each fetch_file() attempt builds one request on the host's
 * kept connection and runs the fetcher's event_base until the request ends;
 * the header callback decides what the body is for (file, or discarded),
 * the chunked callback writes each piece as it arrives.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "fetch.h"
#include "fs_open.h"
#include "xmalloc.h"

#define FETCH_DEFAULT_STALL	30
#define FETCH_DEFAULT_BACKOFF	500
#define FETCH_SIDECAR_SUFFIX	".etag"

struct fetch_conn {
	char *host;
	int port;
	struct evhttp_connection *evcon;
};

struct fetcher {
	struct event_base *base;
	struct fetch_conn *conns;
	size_t nconns, max_conns;
	size_t next_evict;
	char *user_agent;
};

/* The state of one attempt, shared by the callbacks. */
struct fetch_attempt {
	struct fetcher *f;
	int dirfd;
	const char *tmpname;
	const struct fetch_opts *o;
	struct fetch_result *res;
	struct errbuf *err;
	uint64_t offset;	/* bytes of the file kept (Range start) */
	int fd;			/* the file while a 200/206 body arrives */
	int done;
	int failed;		/* set by a callback with err */
	enum evhttp_request_error ev_error;
	int have_ev_error;
};

struct fetcher *
fetch_create(const struct fetch_config *cfg, struct errbuf *err)
{
	struct fetcher *f = xcalloc(1, sizeof(*f));

	f->base = event_base_new();
	if (f->base == NULL) {
		free(f);
		errbuf_set(err, "fetch: cannot create an event base");
		return NULL;
	}
	f->max_conns = cfg != NULL && cfg->max_hosts > 0 ? cfg->max_hosts : FETCH_DEFAULT_MAX_HOSTS;
	f->conns = xcalloc(f->max_conns, sizeof(*f->conns));
	f->user_agent = xstrdup(cfg != NULL && cfg->user_agent != NULL ? cfg->user_agent :
	    "storemirror");
	return f;
}

static void
fetch_conn_clear(struct fetch_conn *c)
{
	if (c->evcon != NULL)
		evhttp_connection_free(c->evcon);
	free(c->host);
	memset(c, 0, sizeof(*c));
}

void
fetch_free(struct fetcher *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nconns; i++)
		fetch_conn_clear(&f->conns[i]);
	free(f->conns);
	event_base_free(f->base);
	free(f->user_agent);
	free(f);
}

/* The kept connection to host:port, made on first use; when all slots are
 * taken, the oldest-made one is replaced. */
static struct evhttp_connection *
fetch_conn_get(struct fetcher *f, const char *host, int port, struct errbuf *err)
{
	struct fetch_conn *c;

	for (size_t i = 0; i < f->nconns; i++)
		if (f->conns[i].host != NULL && f->conns[i].port == port &&
		    strcmp(f->conns[i].host, host) == 0)
			return f->conns[i].evcon;
	if (f->nconns < f->max_conns) {
		c = &f->conns[f->nconns++];
	} else {
		c = &f->conns[f->next_evict];
		f->next_evict = (f->next_evict + 1) % f->max_conns;
		fetch_conn_clear(c);
	}
	c->evcon = evhttp_connection_base_new(f->base, NULL, host, (unsigned short)port);
	if (c->evcon == NULL) {
		errbuf_set(err, "fetch: cannot create a connection to %s:%d", host, port);
		memset(c, 0, sizeof(*c));
		if (c == &f->conns[f->nconns - 1])
			f->nconns--;
		return NULL;
	}
	c->host = xstrdup(host);
	c->port = port;
	return c->evcon;
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

static int
fetch_open_body(struct fetch_attempt *a, struct evhttp_request *req, int status)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *etag = evhttp_find_header(h, "ETag");
	const char *clen = evhttp_find_header(h, "Content-Length");
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW;

	if (status == 206 && !fetch_content_range_ok(evhttp_find_header(h, "Content-Range"),
	    a->offset)) {
		a->res->fail = FETCH_FAIL_PROTOCOL;
		return errbuf_set(a->err, "206 with a Content-Range not starting at %" PRIu64,
		    a->offset);
	}
	if (status == 200)
		a->offset = 0;
	if (a->o->max_size > 0 && clen != NULL &&
	    strtoull(clen, NULL, 10) + a->offset > a->o->max_size) {
		a->res->fail = FETCH_FAIL_PROTOCOL;
		return errbuf_set(a->err, "%s bytes is more than the limit %" PRIu64, clen,
		    a->o->max_size);
	}
	a->fd = openat(a->dirfd, a->tmpname, flags | (status == 200 ? O_TRUNC : 0), 0644);
	if (a->fd < 0 || lseek(a->fd, (off_t)a->offset, SEEK_SET) < 0 ||
	    (status == 206 && ftruncate(a->fd, (off_t)a->offset) != 0)) {
		a->res->fail = FETCH_FAIL_LOCAL;
		return errbuf_set_errno(a->err, "%s: cannot open", a->tmpname);
	}
	if (status == 200 && fetch_sidecar_write(a->dirfd, a->tmpname, fetch_strong_etag(etag),
	    a->err) != 0) {
		a->res->fail = FETCH_FAIL_LOCAL;
		return -1;
	}
	return 0;
}

static int
fetch_header_cb(struct evhttp_request *req, void *arg)
{
	struct fetch_attempt *a = arg;
	int status = evhttp_request_get_response_code(req);
	const char *etag = evhttp_find_header(evhttp_request_get_input_headers(req), "ETag");

	a->res->status = status;
	snprintf(a->res->etag, sizeof(a->res->etag), "%s", etag != NULL ? etag : "");
	if (status != 200 && status != 206)
		return 0;	/* the body, if any, is discarded */
	if (fetch_open_body(a, req, status) != 0) {
		a->failed = 1;
		return -1;
	}
	return 0;
}

static void
fetch_chunk_cb(struct evhttp_request *req, void *arg)
{
	struct fetch_attempt *a = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);

	if (a->fd < 0 || a->failed || len == 0)
		return;		/* libevent drains what is left */
	if (a->o->max_size > 0 && a->offset + len > a->o->max_size) {
		a->res->fail = FETCH_FAIL_PROTOCOL;
		errbuf_set(a->err, "the body is more than the limit %" PRIu64, a->o->max_size);
		a->failed = 1;
		return;
	}
	while (evbuffer_get_length(in) > 0) {
		int n = evbuffer_write(in, a->fd);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			a->res->fail = FETCH_FAIL_LOCAL;
			errbuf_set_errno(a->err, "%s: cannot write", a->tmpname);
			a->failed = 1;
			return;
		}
		a->offset += (uint64_t)n;
		a->res->received += (uint64_t)n;
	}
}

static void
fetch_error_cb(enum evhttp_request_error e, void *arg)
{
	struct fetch_attempt *a = arg;

	a->ev_error = e;
	a->have_ev_error = 1;
}

static void
fetch_done_cb(struct evhttp_request *req, void *arg)
{
	struct fetch_attempt *a = arg;

	if (req == NULL || evhttp_request_get_response_code(req) == 0)
		a->res->status = 0;
	a->done = 1;
	event_base_loopbreak(a->f->base);
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
		return "invalid response header";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "connection error";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "response too long";
	default:
		return "request cancelled";
	}
}

struct fetch_target {
	const char *host;
	int port;
	char *path;	/* path and query, for the request line */
	char *hosthdr;
};

static int
fetch_target_parse(const char *url, struct evhttp_uri **uri, struct fetch_target *t,
    struct errbuf *err)
{
	const char *scheme, *path, *query;

	*uri = evhttp_uri_parse(url);
	if (*uri == NULL)
		return errbuf_set(err, "%s: not a URL", url);
	scheme = evhttp_uri_get_scheme(*uri);
	t->host = evhttp_uri_get_host(*uri);
	if (scheme == NULL || strcmp(scheme, "http") != 0 || t->host == NULL || t->host[0] == '\0')
		return errbuf_set(err, "%s: only http://host[:port]/path URLs are fetched", url);
	t->port = evhttp_uri_get_port(*uri);
	if (t->port < 0)
		t->port = 80;
	path = evhttp_uri_get_path(*uri);
	query = evhttp_uri_get_query(*uri);
	t->path = xasprintf("%s%s%s", path != NULL && path[0] != '\0' ? path : "/",
	    query != NULL ? "?" : "", query != NULL ? query : "");
	t->hosthdr = t->port == 80 ? xstrdup(t->host) : xasprintf("%s:%d", t->host, t->port);
	return 0;
}

static void
fetch_add_headers(struct fetch_attempt *a, struct evhttp_request *req, const struct fetch_target *t,
    const char *if_range)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char range[64];

	evhttp_add_header(h, "Host", t->hosthdr);
	evhttp_add_header(h, "User-Agent", a->f->user_agent);
	if (a->o->etag != NULL && a->o->etag[0] != '\0')
		evhttp_add_header(h, "If-None-Match", a->o->etag);
	if (if_range != NULL) {
		snprintf(range, sizeof(range), "bytes=%" PRIu64 "-", a->offset);
		evhttp_add_header(h, "Range", range);
		evhttp_add_header(h, "If-Range", if_range);
	}
}

/* The Range start for this attempt: the partial file's size when it may be
 * resumed (its sidecar names a validator), else 0 with if_range "". */
static uint64_t
fetch_resume_point(struct fetch_attempt *a, int resume, char *if_range, size_t size)
{
	struct stat st;

	if_range[0] = '\0';
	if (!resume || fstatat(a->dirfd, a->tmpname, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || st.st_size <= 0)
		return 0;
	fetch_sidecar_read(a->dirfd, a->tmpname, if_range, size);
	return if_range[0] != '\0' ? (uint64_t)st.st_size : 0;
}

/* One request; 0 when a response came (any status), -1 on a transport or
 * local failure.  *transient says whether another attempt may help. */
static int
fetch_attempt_run(struct fetch_attempt *a, struct evhttp_connection *evcon,
    const struct fetch_target *t, int resume)
{
	struct evhttp_request *req;
	char if_range[FETCH_ETAG_MAX];
	unsigned stall = a->o->stall_timeout > 0 ? a->o->stall_timeout : FETCH_DEFAULT_STALL;

	a->offset = fetch_resume_point(a, resume, if_range, sizeof(if_range));
	a->fd = -1;
	a->done = a->failed = a->have_ev_error = 0;
	a->res->status = 0;
	a->res->etag[0] = '\0';
	req = evhttp_request_new(fetch_done_cb, a);
	evhttp_request_set_header_cb(req, fetch_header_cb);
	evhttp_request_set_chunked_cb(req, fetch_chunk_cb);
	evhttp_request_set_error_cb(req, fetch_error_cb);
	fetch_add_headers(a, req, t, if_range[0] != '\0' ? if_range : NULL);
	evhttp_connection_set_timeout(evcon, (int)stall);
	if (evhttp_make_request(evcon, req, EVHTTP_REQ_GET, t->path) != 0) {
		/* libevent has freed req */
		a->res->fail = FETCH_FAIL_CONNECT;
		return errbuf_set(a->err, "cannot send the request");
	}
	a->res->attempts++;
	while (!a->done)
		if (event_base_dispatch(a->f->base) < 0)
			break;
	if (a->fd >= 0 && close(a->fd) != 0 && !a->failed) {
		a->res->fail = FETCH_FAIL_LOCAL;
		errbuf_set_errno(a->err, "%s: cannot write", a->tmpname);
		a->failed = 1;
	}
	a->fd = -1;
	if (a->failed)
		return -1;
	if (a->res->status == 0) {
		int stalled = a->have_ev_error && a->ev_error == EVREQ_HTTP_TIMEOUT;

		a->res->fail = stalled ? FETCH_FAIL_STALL : FETCH_FAIL_CONNECT;
		return errbuf_set(a->err, "%s", a->have_ev_error ? fetch_ev_error_text(a->ev_error) :
		    "connection failed (refused, reset or closed)");
	}
	return 0;
}

static void
fetch_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* 0: a final answer in res->status; -1: failed, *again if transient. */
static int
fetch_classify(struct fetch_attempt *a, int rc, int *again)
{
	int s = a->res->status;

	*again = 0;
	if (rc != 0) {
		*again = a->res->fail == FETCH_FAIL_CONNECT || a->res->fail == FETCH_FAIL_STALL;
		return -1;
	}
	if (s == 200 || s == 206 || s == 304 || s == 404) {
		a->res->fail = FETCH_FAIL_NONE;
		return 0;
	}
	a->res->fail = FETCH_FAIL_HTTP;
	*again = s >= 500;
	return errbuf_set(a->err, "HTTP status %d", s);
}

int
fetch_file(struct fetcher *f, const char *url, int dirfd, const char *tmpname,
    const struct fetch_opts *o, struct fetch_result *res, struct errbuf *err)
{
	static const struct fetch_opts defaults;
	struct fetch_attempt a = { .f = f, .dirfd = dirfd, .tmpname = tmpname,
	    .o = o != NULL ? o : &defaults, .res = res, .err = err, .fd = -1 };
	struct fetch_target t = { 0 };
	struct evhttp_uri *uri = NULL;
	struct evhttp_connection *evcon;
	unsigned delay = a.o->backoff_ms > 0 ? a.o->backoff_ms : FETCH_DEFAULT_BACKOFF;
	int rc = -1, again = 0, resume = a.o->resume;
	struct stat st;

	memset(res, 0, sizeof(*res));
	if (fetch_target_parse(url, &uri, &t, err) != 0)
		goto out;
	for (unsigned i = 0; i <= a.o->retries; i++) {
		if (i > 0) {
			fetch_sleep_ms(delay);
			delay = delay > UINT32_MAX / 2 ? delay : delay * 2;
		}
		if ((evcon = fetch_conn_get(f, t.host, t.port, err)) == NULL)
			goto out;
		rc = fetch_classify(&a, fetch_attempt_run(&a, evcon, &t, resume), &again);
		if (rc == 0 || !again)
			break;
		resume = 1;	/* what the failed attempt wrote is kept */
	}
	if (rc != 0) {
		errbuf_prefix(err, "%s", url);
		goto out;
	}
	if (res->status == 200 || res->status == 206) {
		res->resumed = res->status == 206;
		if (fstatat(dirfd, tmpname, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			res->fail = FETCH_FAIL_LOCAL;
			rc = errbuf_set_errno(err, "%s: cannot stat", tmpname);
			goto out;
		}
		res->size = (uint64_t)st.st_size;
		if (fetch_sidecar_write(dirfd, tmpname, NULL, err) != 0) {
			res->fail = FETCH_FAIL_LOCAL;
			rc = -1;
		}
	}
out:
	if (uri != NULL)
		evhttp_uri_free(uri);
	free(t.path);
	free(t.hosthdr);
	return rc;
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
	if (scheme == NULL || strcmp(scheme, "http") != 0 || host == NULL || host[0] == '\0' ||
	    evhttp_uri_get_userinfo(uri) != NULL || evhttp_uri_get_query(uri) != NULL ||
	    evhttp_uri_get_fragment(uri) != NULL || (path != NULL && path[0] != '\0' &&
	    path[0] != '/')) {
		errbuf_set(err, "%s: the upstream must be http://host[:port]/path", base);
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
