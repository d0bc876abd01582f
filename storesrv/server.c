/*
 * server: evhttp engine, one event loop per thread; see server.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "access_log.h"
#include "conn_table.h"
#include "file_cache.h"
#include "http_head.h"
#include "log.h"
#include "read_path.h"
#include "server.h"
#include "status.h"
#include "tls_server.h"
#include "url_path.h"
#include "www_files.h"
#include "xmalloc.h"

#define SERVER_LISTEN_BACKLOG	1024
#define SERVER_MAX_THREADS	64
#define SERVER_MAX_BODY		4096	/* the read path takes no request bodies */
#define SERVER_ACCEPT_PAUSE_MS	100
#define SERVER_MAX_FIELDS	100	/* request header lines checked at most */
#define SERVER_READ_SLACK	16384	/* input buffered beyond a whole head */
#define SERVER_THREAD_FDS	8	/* descriptors of a thread beyond its cache */
#define SERVER_PROCESS_FDS	64	/* the process's own: logs, root, www, ... */

struct server_thread {
	struct server *srv;
	pthread_t tid;
	int started;
	int listen_fd;
	int wake_fd;		/* eventfd: the main thread asks the loop to stop */
	struct event_base *base;
	struct evhttp *http;
	struct event *wake_ev;
	struct event *flush_ev;
	struct event *resume_ev;
	struct evconnlistener *listener;
	struct read_path *rp;
	struct access_log_buffer *log;
	struct conn_table *conns;
	struct status_counters *status;	/* written by this thread only */
};

struct server {
	const struct settings *settings;
	int root_fd;
	int www_fd;
	int port;
	size_t nthreads;
	size_t max_connections;	/* what the descriptor limit allows */
	atomic_size_t open_connections;	/* every thread's, see conn_table.h */
	struct server_thread *threads;
	server_reload_fn reload_fn;
	void *reload_arg;
	struct event_base *main_base;
	struct tls_server *tls;	/* HTTPS when set (server_set_tls) */
	time_t started;
	struct status_counters **counters;	/* every thread's, for status */
};

/* The serving thread this thread is (NULL on the main thread). */
static _Thread_local struct server_thread *server_current;

static const struct {
	enum evhttp_cmd_type cmd;
	const char *name;
	enum read_method method;
} server_methods[] = {
	{ EVHTTP_REQ_GET, "GET", READ_GET },
	{ EVHTTP_REQ_HEAD, "HEAD", READ_HEAD },
	{ EVHTTP_REQ_OPTIONS, "OPTIONS", READ_OPTIONS },
	{ EVHTTP_REQ_POST, "POST", READ_OTHER },
	{ EVHTTP_REQ_PUT, "PUT", READ_OTHER },
	{ EVHTTP_REQ_DELETE, "DELETE", READ_OTHER },
	{ EVHTTP_REQ_TRACE, "TRACE", READ_OTHER },
	{ EVHTTP_REQ_CONNECT, "CONNECT", READ_OTHER },
	{ EVHTTP_REQ_PATCH, "PATCH", READ_OTHER },
};

static const char *
server_method_name(enum evhttp_cmd_type cmd, enum read_method *method)
{
	for (size_t i = 0; i < sizeof(server_methods) / sizeof(server_methods[0]); i++) {
		if (server_methods[i].cmd == cmd) {
			*method = server_methods[i].method;
			return server_methods[i].name;
		}
	}
	*method = READ_OTHER;
	return "UNKNOWN";
}

/*
 * Every method reaches server_handle(), so that none gets evhttp's HTML 501
 * without Allow: evhttp 2.1 marks a method it does not know (PROPFIND,
 * lower-case "get", ...) with a private bit (1 << 15) that is not in enum
 * evhttp_cmd_type, and refuses any type whose bit is not allowed.
 */
#define SERVER_ALL_METHODS	((ev_uint16_t)0xffff)

static void
server_segment_done(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
	file_entry_unref(arg);
}

/*
 * Queues the body of resp on out; files go by sendfile(2), not copied.
 * Over TLS a file is mapped instead and encrypted from the mapping (a
 * sendfile segment has no bytes the TLS bufferevent could read), so memory
 * does not grow with its size either.
 */
static int
server_add_body(struct evbuffer *out, struct read_response *resp, int tls)
{
	struct evbuffer_file_segment *seg;
	int rc;

	if (resp->body == READ_BODY_MEMORY)
		return evbuffer_add(out, resp->data, resp->length);
	if (resp->body != READ_BODY_FILE)
		return 0;
	/* Without this flag libevent maps the file and copies it in 16 KiB
	 * writes; with it the segment goes out by sendfile(2). */
	if (!tls)
		evbuffer_set_flags(out, EVBUFFER_FLAG_DRAINS_TO_FD);
	seg = evbuffer_file_segment_new(resp->file->fd, (ev_off_t)resp->offset,
	    (ev_off_t)resp->length, 0);
	if (seg == NULL)
		return -1;
	file_entry_ref(resp->file);
	evbuffer_file_segment_add_cleanup_cb(seg, server_segment_done, resp->file);
	rc = evbuffer_add_file_segment(out, seg, 0, (ev_off_t)resp->length);
	evbuffer_file_segment_free(seg);
	return rc;
}

static void
server_log_request(struct server_thread *t, struct evhttp_request *req, const char *method,
    const struct read_response *resp)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct access_log_entry e = {
		.method = method,
		.uri = evhttp_request_get_uri(req),
		.http_major = req->major,
		.http_minor = req->minor,
		.status = resp->status,
		.bytes = resp->body != READ_BODY_NONE ? resp->length : 0,
		.referer = evhttp_find_header(in, "Referer"),
		.user_agent = evhttp_find_header(in, "User-Agent"),
	};
	ev_uint16_t port;
	char *peer = NULL;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &peer, &port);
	e.peer = peer;
	access_log_write(t->log, &e);
}

/*
 * The path of the request target, undecoded and without the query.  An
 * origin-form target ("/a/b?q") is cut by hand: evhttp_uri_parse() would
 * read "//host/path" as an authority.  Absolute-form targets
 * ("http://host/a/b") take evhttp's parse.  Too long a path is cut at
 * URL_PATH_MAX + 1 bytes so the canonicaliser refuses it (414).
 */
static const char *
server_request_path(struct evhttp_request *req, char *buf, size_t bufsz)
{
	const char *raw = evhttp_request_get_uri(req);
	const struct evhttp_uri *uri;
	size_t len;

	if (raw != NULL && raw[0] == '/') {
		len = strcspn(raw, "?#");
		if (len >= bufsz)
			len = bufsz - 1;
		memcpy(buf, raw, len);
		buf[len] = '\0';
		return buf;
	}
	uri = evhttp_request_get_evhttp_uri(req);
	raw = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	return raw != NULL ? raw : "";
}

/*
 * The framing rules evhttp lets through (http_head.h).  Returns 0, or the
 * status to refuse the request with.  evhttp itself refuses (400, and
 * closes) a request line without a version, a major version other than 1
 * ("HTTP/2.0"), a header line without a colon, a head over max-header-size
 * and a body over SERVER_MAX_BODY.
 */
static int
server_check_head(struct evhttp_request *req)
{
	struct http_head_field fields[SERVER_MAX_FIELDS];
	const struct evkeyval *kv;
	size_t n = 0;
	const char *why;
	int status;

	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next) {
		if (n == SERVER_MAX_FIELDS)
			return 431;
		fields[n].name = kv->key;
		fields[n].value = kv->value;
		n++;
	}
	status = http_head_check(req->major, req->minor, fields, n, &why);
	if (status != 0)
		log_debug("%s: refused with %d: %s", evhttp_request_get_uri(req), status, why);
	return status;
}

static const char *
server_header(void *headers, const char *name)
{
	return evhttp_find_header(headers, name);
}

static void
server_fill_request(struct evhttp_request *req, struct read_request *rr, char *path, size_t pathsz)
{
	rr->path = server_request_path(req, path, pathsz);
	read_request_headers(rr, server_header, evhttp_request_get_input_headers(req));
}

/*
 * Sends resp.  evhttp would queue a body even for HEAD (it lands in front of
 * the next reply on a kept-alive connection), so HEAD never gets one.  A
 * refused request or a CONNECT is retyped so that evhttp closes after the
 * reply: it ignores "Connection: close" for CONNECT.  While the reply goes
 * out the connection stops reading: evhttp reads on (to notice a close),
 * which lets a client grow the input buffer without bound, and a client's
 * half-close (EOF) would cut the body short.  evhttp reads again when it
 * waits for the next request.
 */
static void
server_send(struct evhttp_request *req, struct read_response *resp, int is_head, int tls)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;

	for (size_t i = 0; i < resp->nheaders; i++)
		evhttp_add_header(out, resp->headers[i].name, resp->headers[i].value);
	if (resp->close_connection || req->type == EVHTTP_REQ_CONNECT) {
		if (!resp->close_connection)
			evhttp_add_header(out, "Connection", "close");
		req->type = EVHTTP_REQ_GET;
		req->major = 1;
		req->minor = 1;
	}
	if (!is_head && server_add_body(evhttp_request_get_output_buffer(req), resp, tls) == -1) {
		log_warnx("%s: cannot queue the response body", evhttp_request_get_uri(req));
		evhttp_send_error(req, 500, NULL);
	} else {
		evhttp_send_reply(req, resp->status, resp->reason, NULL);
	}
	if (bev != NULL)
		bufferevent_disable(bev, EV_READ);
}

/* A status page (status.h) as resp; its rendering is resp's to free. */
static void
server_status_reply(struct server_thread *t, enum status_format fmt, struct read_response *resp)
{
	const struct server *srv = t->srv;
	struct status_source src = { srv->root_fd, srv->settings->root, srv->started,
	    srv->counters, srv->nthreads };
	json_t *doc = status_collect(&src);
	const char *type;
	struct errbuf err;
	char *body;
	size_t len;
	int rc = status_render(doc, fmt, &body, &len, &type, &err);

	json_decref(doc);
	if (rc == -1) {
		log_warnx("%s", err.msg);
		read_path_refusal(resp, 500);
		return;
	}
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	resp->reason = "OK";
	resp->body = READ_BODY_MEMORY;
	resp->data = resp->owned = body;
	resp->length = resp->content_length = len;
	snprintf(resp->content_length_text, sizeof(resp->content_length_text), "%zu", len);
	resp->headers[0] = (struct read_header){ "Content-Type", type };
	resp->headers[1] = (struct read_header){ "Content-Length", resp->content_length_text };
	resp->headers[2] = (struct read_header){ "Cache-Control", "no-store" };
	resp->headers[3] = (struct read_header){ "X-Content-Type-Options", "nosniff" };
	resp->nheaders = 4;
}

/* Routes the request: the status endpoints (GET and HEAD), else the read
 * path. */
static void
server_route(struct server_thread *t, const struct read_request *rr, struct read_response *resp)
{
	int fmt = rr->method == READ_GET || rr->method == READ_HEAD ? status_route(rr->path) : -1;

	if (fmt >= 0)
		server_status_reply(t, (enum status_format)fmt, resp);
	else
		read_path_handle(t->rp, rr, resp);
}

static void
server_handle(struct evhttp_request *req, void *arg)
{
	struct server_thread *t = arg;
	char path[URL_PATH_MAX + 2];
	struct read_response resp;
	struct read_request rr;
	const char *method;
	int refused;

	conn_table_responding(t->conns, req);
	memset(&rr, 0, sizeof(rr));
	method = server_method_name(evhttp_request_get_command(req), &rr.method);
	refused = server_check_head(req);
	if (refused != 0) {
		read_path_refusal(&resp, refused);
	} else {
		server_fill_request(req, &rr, path, sizeof(path));
		server_route(t, &rr, &resp);
	}
	server_log_request(t, req, method, &resp);
	/* only a GET downloads; HEAD and the others count in the totals */
	status_count(t->status, rr.method == READ_GET ? rr.path : NULL, resp.status,
	    rr.method != READ_HEAD && resp.body != READ_BODY_NONE ? resp.length : 0);
	server_send(req, &resp, rr.method == READ_HEAD, t->srv->tls != NULL);
	read_path_response_release(&resp);
}

static void
server_wake(evutil_socket_t fd, short what, void *arg)
{
	struct server_thread *t = arg;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		event_base_loopbreak(t->base);
}

static void
server_flush_log(evutil_socket_t fd, short what, void *arg)
{
	struct server_thread *t = arg;

	access_log_flush(t->log);
}

static void
server_resume_accept(evutil_socket_t fd, short what, void *arg)
{
	struct server_thread *t = arg;

	evconnlistener_enable(t->listener);
}

/* accept(2) failed (EMFILE at the connection limit): pause instead of
 * spinning, and let established connections finish.  The listener's
 * argument is evhttp's, so the thread is found through server_current. */
static void
server_accept_error(struct evconnlistener *listener, void *arg)
{
	struct server_thread *t = server_current;
	struct timeval pause = { 0, SERVER_ACCEPT_PAUSE_MS * 1000 };
	int err = EVUTIL_SOCKET_ERROR();

	log_debug("accept: %s; pausing %d ms", evutil_socket_error_to_string(err),
	    SERVER_ACCEPT_PAUSE_MS);
	evconnlistener_disable(listener);
	evtimer_add(t->resume_ev, &pause);
}

/* An event loop whose epoll changes are batched per loop iteration: evhttp
 * toggles read and write interest on every request, which otherwise costs
 * one epoll_ctl(2) each (four per request). */
static struct event_base *
server_event_base_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (cfg == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

static int
server_thread_setup(struct server_thread *t, struct errbuf *err)
{
	const struct settings *s = t->srv->settings;
	struct read_path_config rpc = { t->srv->root_fd, t->srv->www_fd,
		t->srv->www_fd == -1 ? www_files : NULL, (size_t)s->cache_entries };
	struct conn_table_limits lim = {
		.max_connections = t->srv->max_connections,
		.open = &t->srv->open_connections,
		.head_timeout = s->header_timeout,
		.max_input = (size_t)s->max_header_size + SERVER_MAX_BODY + SERVER_READ_SLACK,
		.bev_new = t->srv->tls != NULL ? tls_server_bev_new : NULL,
		.bev_shutdown = t->srv->tls != NULL ? tls_server_bev_shutdown : NULL,
		.bev_new_arg = t->srv->tls,
	};
	struct timeval second = { 1, 0 };
	struct evhttp_bound_socket *bound;

	t->base = server_event_base_new();
	if (t->base == NULL)
		return errbuf_set(err, "cannot create an event loop");
	t->conns = conn_table_create(t->base, &lim);
	if (t->conns == NULL)
		return errbuf_set(err, "cannot create the connection table");
	t->http = evhttp_new(t->base);
	if (t->http == NULL)
		return errbuf_set(err, "cannot create an HTTP server");
	evhttp_set_timeout(t->http, s->timeout);
	evhttp_set_max_headers_size(t->http, s->max_header_size);
	evhttp_set_max_body_size(t->http, SERVER_MAX_BODY);
	evhttp_set_allowed_methods(t->http, SERVER_ALL_METHODS);	/* we answer 405 */
	evhttp_set_bevcb(t->http, conn_table_bufferevent_new, t->conns);
	evhttp_set_default_content_type(t->http, NULL);
	evhttp_set_gencb(t->http, server_handle, t);
	bound = evhttp_accept_socket_with_handle(t->http, t->listen_fd);
	if (bound == NULL)
		return errbuf_set(err, "cannot accept on the listening socket");
	t->listen_fd = -1;	/* evhttp owns it now */
	t->listener = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(t->listener, server_accept_error);
	t->resume_ev = evtimer_new(t->base, server_resume_accept, t);
	t->wake_ev = event_new(t->base, t->wake_fd, EV_READ | EV_PERSIST, server_wake, t);
	t->flush_ev = event_new(t->base, -1, EV_PERSIST, server_flush_log, t);
	if (t->resume_ev == NULL || t->wake_ev == NULL || t->flush_ev == NULL ||
	    event_add(t->wake_ev, NULL) == -1 || event_add(t->flush_ev, &second) == -1)
		return errbuf_set(err, "cannot set up the event loop");
	t->rp = read_path_create(&rpc);
	t->log = access_log_buffer_create();
	t->status = t->srv->counters[t - t->srv->threads];
	return 0;
}

static void
server_thread_teardown(struct server_thread *t)
{
	if (t->log != NULL)
		access_log_buffer_free(t->log);
	if (t->http != NULL)
		evhttp_free(t->http);
	conn_table_free(t->conns);	/* after evhttp_free: it closes the connections */
	read_path_free(t->rp);
	if (t->wake_ev != NULL)
		event_free(t->wake_ev);
	if (t->flush_ev != NULL)
		event_free(t->flush_ev);
	if (t->resume_ev != NULL)
		event_free(t->resume_ev);
	if (t->base != NULL)
		event_base_free(t->base);
	if (t->listen_fd != -1)
		close(t->listen_fd);
	if (t->wake_fd != -1)
		close(t->wake_fd);
}

static void *
server_thread_main(void *arg)
{
	struct server_thread *t = arg;
	sigset_t set;

	/* Signals are the main thread's business. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	server_current = t;
	event_base_dispatch(t->base);
	return NULL;
}

/* A listening socket on addr; SO_REUSEPORT so every thread has its own. */
static int
server_listen_socket(const struct sockaddr *sa, socklen_t salen, struct errbuf *err)
{
	int fd, on = 1;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return errbuf_set_errno(err, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1) {
		errbuf_set_errno(err, "setsockopt");
		goto fail;
	}
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, sa, salen) == -1) {
		errbuf_set_errno(err, "bind");
		goto fail;
	}
	if (listen(fd, SERVER_LISTEN_BACKLOG) == -1) {
		errbuf_set_errno(err, "listen");
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static int
server_port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void
server_set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

/*
 * SO_REUSEPORT lets any process of the same user bind a port already in use
 * and take a share of its connections: a second storesrv (or a stale one)
 * would silently split the traffic.  A socket without it is bound first; if
 * that fails, the port is someone else's.
 */
static int
server_port_is_free(const struct sockaddr *sa, socklen_t salen, struct errbuf *err)
{
	int fd, on = 1, rc = 0;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return errbuf_set_errno(err, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, sa, salen) == -1) {
		rc = errno == EADDRINUSE ?
		    errbuf_set(err, "address already in use (is another storesrv or server "
			"listening there?)") : errbuf_set_errno(err, "bind");
	}
	close(fd);
	return rc;
}

/* Binds one socket per thread to the same address and port. */
static int
server_bind_all(struct server *srv, struct errbuf *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen;

	if (settings_parse_listen(srv->settings->listen, &ss, &sslen) == -1)
		return errbuf_set(err, "listen: cannot parse '%s'", srv->settings->listen);
	if (server_port_is_free((struct sockaddr *)&ss, sslen, err) == -1)
		return errbuf_prefix(err, "listen %s", srv->settings->listen);
	for (size_t i = 0; i < srv->nthreads; i++) {
		int fd = server_listen_socket((struct sockaddr *)&ss, sslen, err);

		if (fd == -1)
			return errbuf_prefix(err, "listen %s", srv->settings->listen);
		srv->threads[i].listen_fd = fd;
		if (i == 0) {
			srv->port = server_port_of(fd);
			server_set_port(&ss, srv->port);
		}
	}
	return 0;
}

/*
 * The descriptor budget.  A connection holds its socket and, while a large
 * file goes out, that file's descriptor (a response keeps its file open
 * after the cache dropped it): two each.  Each thread's cache holds up to
 * cache-entries more, and the process a few of its own.  The soft limit is
 * set to what max-connections needs (so a descriptor leak shows early);
 * where the hard limit is lower, max-connections is lowered to fit, with a
 * warning.  The connection tables
 * hold each thread to its share, so accept(2) never meets EMFILE and no
 * download fails to open its file for want of a descriptor.
 */
static void
server_limit_descriptors(struct server *srv)
{
	const struct settings *s = srv->settings;
	rlim_t fixed = srv->nthreads * ((rlim_t)s->cache_entries + SERVER_THREAD_FDS) +
	    SERVER_PROCESS_FDS;
	rlim_t want = 2 * (rlim_t)s->max_connections + fixed;
	struct rlimit rl;

	srv->max_connections = (size_t)s->max_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (want > rl.rlim_max) {
		srv->max_connections = rl.rlim_max > fixed + 2 * srv->nthreads ?
		    (size_t)((rl.rlim_max - fixed) / 2) : srv->nthreads;
		log_warnx("max-connections %d needs %llu descriptors but the hard limit is %llu: "
		    "serving %zu connections at most", s->max_connections,
		    (unsigned long long)want, (unsigned long long)rl.rlim_max, srv->max_connections);
		want = rl.rlim_max;
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit(RLIMIT_NOFILE)");
}

static int
server_open_dir(const char *path, const char *what, struct errbuf *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		errbuf_set_errno(err, "%s %s", what, path);
	return fd;
}

static size_t
server_thread_count(const struct settings *s)
{
	long n = s->threads > 0 ? s->threads : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return (size_t)(n > SERVER_MAX_THREADS ? SERVER_MAX_THREADS : n);
}

/* libevent's own messages go to our log: after daemon(3) its default,
 * stderr, is /dev/null. */
static void
server_event_log(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

struct server *
server_create(const struct settings *s, struct errbuf *err)
{
	struct server *srv = xcalloc(1, sizeof(*srv));

	event_set_log_callback(server_event_log);

	srv->settings = s;
	srv->www_fd = -1;
	srv->nthreads = server_thread_count(s);
	srv->threads = xcalloc(srv->nthreads, sizeof(*srv->threads));
	srv->started = time(NULL);
	srv->counters = xcalloc(srv->nthreads, sizeof(*srv->counters));
	for (size_t i = 0; i < srv->nthreads; i++) {
		srv->threads[i].srv = srv;
		srv->threads[i].listen_fd = -1;
		srv->threads[i].wake_fd = -1;
		srv->counters[i] = status_counters_create();
	}
	srv->root_fd = server_open_dir(s->root, "root", err);
	if (srv->root_fd == -1)
		goto fail;
	/* no www folder: the page built in (www_files.h) */
	if (s->www != NULL && (srv->www_fd = server_open_dir(s->www, "www", err)) == -1)
		goto fail;
	if (server_bind_all(srv, err) == -1)
		goto fail;
	server_limit_descriptors(srv);
	return srv;
fail:
	server_free(srv);
	return NULL;
}

void
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	for (size_t i = 0; i < srv->nthreads; i++)
		server_thread_teardown(&srv->threads[i]);
	free(srv->threads);
	for (size_t i = 0; i < srv->nthreads; i++)
		status_counters_free(srv->counters[i]);
	free(srv->counters);
	if (srv->root_fd != -1)
		close(srv->root_fd);
	if (srv->www_fd != -1)
		close(srv->www_fd);
	free(srv);
}

int
server_port(const struct server *srv)
{
	return srv->port;
}

void
server_set_tls(struct server *srv, struct tls_server *tls)
{
	srv->tls = tls;
}

void
server_set_reload(struct server *srv, server_reload_fn fn, void *arg)
{
	srv->reload_fn = fn;
	srv->reload_arg = arg;
}

static void
server_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct errbuf err;

	if (sig != SIGHUP) {
		log_info("signal %d: shutting down", (int)sig);
		event_base_loopbreak(srv->main_base);
		return;
	}
	log_info("SIGHUP: reopening logs and rescanning the store");
	if (access_log_reopen(&err) == -1)
		log_warnx("%s", err.msg);
	if (srv->reload_fn != NULL)
		srv->reload_fn(srv->reload_arg);
	file_cache_invalidate_all();
}

static int
server_start_threads(struct server *srv, struct errbuf *err)
{
	for (size_t i = 0; i < srv->nthreads; i++) {
		struct server_thread *t = &srv->threads[i];

		t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->wake_fd == -1)
			return errbuf_set_errno(err, "eventfd");
		if (server_thread_setup(t, err) == -1)
			return -1;
		errno = pthread_create(&t->tid, NULL, server_thread_main, t);
		if (errno != 0)
			return errbuf_set_errno(err, "pthread_create");
		t->started = 1;
	}
	return 0;
}

static void
server_stop_threads(struct server *srv)
{
	uint64_t one = 1;

	for (size_t i = 0; i < srv->nthreads; i++) {
		struct server_thread *t = &srv->threads[i];

		if (!t->started)
			continue;
		if (write(t->wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
			log_warn("waking thread %zu", i);
		pthread_join(t->tid, NULL);
		t->started = 0;
	}
}

int
server_run(struct server *srv, struct errbuf *err)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct event *sigev[3] = { NULL, NULL, NULL };
	int rc = -1;

	signal(SIGPIPE, SIG_IGN);
	srv->main_base = event_base_new();
	if (srv->main_base == NULL)
		return errbuf_set(err, "cannot create the main event loop");
	for (size_t i = 0; i < 3; i++) {
		sigev[i] = evsignal_new(srv->main_base, sigs[i], server_on_signal, srv);
		if (sigev[i] == NULL || event_add(sigev[i], NULL) == -1) {
			errbuf_set(err, "cannot watch signal %d", sigs[i]);
			goto done;
		}
	}
	if (server_start_threads(srv, err) == 0) {
		event_base_dispatch(srv->main_base);
		rc = 0;
	}
	server_stop_threads(srv);
done:
	for (size_t i = 0; i < 3; i++) {
		if (sigev[i] != NULL)
			event_free(sigev[i]);
	}
	event_base_free(srv->main_base);
	srv->main_base = NULL;
	return rc;
}
