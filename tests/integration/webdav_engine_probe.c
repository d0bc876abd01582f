/*
 * webdav_engine_probe: the WebDAV engine alone, for webdav_engine.sh.
 *
 *   webdav_engine_probe ROOT WWW SCRATCH PORTFILE [IDLE [XML_MAX [CONNS [BODY]]]]
 *
 * IDLE is the idle and the header timeout in seconds, BODY the body
 * timeout; XML_MAX the in-memory body limit; CONNS the connection limit.
 *
 * Listens on 127.0.0.1:0 (the port goes to PORTFILE) and serves GET/HEAD
 * of the store at ROOT through read_path, OPTIONS, PUT /scratch/<name>
 * into SCRATCH (streamed to a temporary file, renamed into place),
 * PROPFIND/PROPPATCH/LOCK bodies collected in memory (then 501), 501 for
 * the other WebDAV methods, MOVE's 501 after 200 ms (a handler that
 * answers later, for the pipelining test).  SIGTERM stops it cleanly (exit 0).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "dav_engine.h"
#include "dav_read.h"
#include "fs_open.h"
#include "read_path.h"

struct probe {
	struct event_base *base;
	struct read_path *rp;
	int scratch_fd;
	unsigned counter;
};

struct probe_later {
	struct dav_request *req;
	struct event *timer;
};

struct probe_put {
	struct probe *p;
	int fd;
	char tmp[64];
	char name[256];
};

static void
probe_read(struct dav_request *req, void *arg)
{
	struct probe *p = arg;

	dav_read_reply(p->rp, req);
}

static void
probe_options(struct dav_request *req, void *arg)
{
	dav_reply_options(req);
}

static void
probe_not_implemented(struct dav_request *req, void *arg)
{
	dav_reply_error(req, 501, "is not implemented");
}

/* MOVE: the reply 200 ms after the request, as a handler that waits for
 * something would; the timer goes with the request if the client leaves. */
static void
probe_later_reply(evutil_socket_t fd, short what, void *arg)
{
	struct probe_later *later = arg;
	struct dav_request *req = later->req;

	event_free(later->timer);
	free(later);
	dav_reply_error(req, 501, "is not implemented (answered later)");
}

static void
probe_later_abort(struct dav_request *req, void *arg)
{
	struct probe_later *later = arg;

	event_free(later->timer);
	free(later);
}

static void
probe_later_start(struct dav_request *req, void *arg)
{
	struct probe_later *later = arg;
	struct timeval tv = { 0, 200000 };

	evtimer_add(later->timer, &tv);
}

static void
probe_later(struct dav_request *req, void *arg)
{
	struct probe *p = arg;
	struct probe_later *later = calloc(1, sizeof(*later));

	if (later == NULL || (later->timer = evtimer_new(p->base, probe_later_reply, later)) == NULL) {
		free(later);
		dav_reply_error(req, 503, "cannot wait");
		return;
	}
	later->req = req;
	dav_request_body_discard(req, probe_later_start, probe_later_abort, later);
}

static void
probe_xml_done(struct dav_request *req, void *arg)
{
	char detail[64];

	snprintf(detail, sizeof(detail), "is not implemented (body of %llu bytes)",
	    (unsigned long long)dav_request_body_length(req));
	dav_reply_error(req, 501, detail);
}

static void
probe_xml(struct dav_request *req, void *arg)
{
	dav_request_body_memory(req, probe_xml_done, NULL, NULL);
}

static void
probe_put_free(struct probe_put *put, int remove_tmp)
{
	if (put->fd != -1)
		close(put->fd);
	if (remove_tmp)
		unlinkat(put->p->scratch_fd, put->tmp, 0);
	free(put);
}

static void
probe_put_abort(struct dav_request *req, void *arg)
{
	probe_put_free(arg, 1);
}

static void
probe_put_done(struct dav_request *req, void *arg)
{
	struct probe_put *put = arg;
	int existed = faccessat(put->p->scratch_fd, put->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;

	if (dav_request_body_errno(req) != 0) {
		dav_reply_error(req, dav_request_body_errno(req) == ENOSPC ? 507 : 500,
		    "cannot write the body");
		probe_put_free(put, 1);
		return;
	}
	if (fsync(put->fd) == -1 || renameat(put->p->scratch_fd, put->tmp, put->p->scratch_fd,
	    put->name) == -1) {
		dav_reply_error(req, 500, "cannot store the file");
		probe_put_free(put, 1);
		return;
	}
	dav_reply_status(req, existed ? 204 : 201, NULL);
	dav_reply_send(req);
	probe_put_free(put, 0);
}

/* PUT /scratch/<name>: one plain name, no dot file, no escapes. */
static void
probe_put(struct dav_request *req, void *arg)
{
	struct probe *p = arg;
	const char *path = dav_request_path(req);
	const char *name = path + strlen("/scratch/");
	struct probe_put *put;

	if (strncmp(path, "/scratch/", strlen("/scratch/")) != 0) {
		dav_reply_error(req, 405, "only under /scratch/");
		return;
	}
	if (name[0] == '\0' || name[0] == '.' || strpbrk(name, "/%") != NULL ||
	    strlen(name) >= sizeof(put->name)) {
		dav_reply_error(req, 403, "needs a plain file name");
		return;
	}
	put = calloc(1, sizeof(*put));
	if (put == NULL) {
		dav_reply_error(req, 503, "out of memory");
		return;
	}
	put->p = p;
	snprintf(put->name, sizeof(put->name), "%s", name);
	snprintf(put->tmp, sizeof(put->tmp), ".put-%ld-%u", (long)getpid(), p->counter++);
	put->fd = openat(p->scratch_fd, put->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (put->fd == -1) {
		dav_reply_error(req, 500, "cannot create the temporary file");
		free(put);
		return;
	}
	dav_request_body_fd(req, put->fd, probe_put_done, probe_put_abort, put);
}

static const struct dav_method probe_methods[] = {
	{ "OPTIONS", probe_options, NULL },
	{ "GET", probe_read, NULL },
	{ "HEAD", probe_read, NULL },
	{ "PUT", probe_put, NULL },
	{ "DELETE", probe_not_implemented, NULL },
	{ "MKCOL", probe_not_implemented, NULL },
	{ "COPY", probe_not_implemented, NULL },
	{ "MOVE", probe_later, NULL },
	{ "PROPFIND", probe_xml, NULL },
	{ "PROPPATCH", probe_xml, NULL },
	{ "LOCK", probe_xml, NULL },
	{ "UNLOCK", probe_not_implemented, NULL },
};
#define PROBE_NMETHODS (sizeof(probe_methods) / sizeof(probe_methods[0]))

static void
probe_stop(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static int
probe_write_port(const char *file, int port)
{
	FILE *f = fopen(file, "w");

	if (f == NULL)
		return -1;
	fprintf(f, "%d\n", port);
	return fclose(f);
}

int
main(int argc, char **argv)
{
	struct dav_method methods[PROBE_NMETHODS];
	struct dav_engine_config cfg = { .address = "127.0.0.1" };
	struct read_path_config rpc = { .cache_entries = 64 };
	struct probe p = { .scratch_fd = -1 };
	struct event_base *base = NULL;
	struct dav_engine *eng = NULL;
	struct event *term = NULL;
	struct errbuf err;
	int status = 1;

	if (argc < 5) {
		fprintf(stderr, "usage: %s ROOT WWW SCRATCH PORTFILE [IDLE [XML_MAX [CONNS [BODY]]]]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	rpc.root_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rpc.www_fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	p.scratch_fd = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rpc.root_fd == -1 || rpc.www_fd == -1 || p.scratch_fd == -1) {
		fprintf(stderr, "webdav_engine_probe: cannot open the folders\n");
		goto out;
	}
	p.rp = read_path_create(&rpc);
	for (size_t i = 0; i < PROBE_NMETHODS; i++) {
		methods[i] = probe_methods[i];
		methods[i].arg = &p;
	}
	cfg.methods = methods;
	cfg.nmethods = PROBE_NMETHODS;
	cfg.idle_timeout = argc > 5 ? atoi(argv[5]) : 0;
	cfg.header_timeout = cfg.idle_timeout;
	cfg.memory_body_max = argc > 6 ? strtoul(argv[6], NULL, 10) : 0;
	cfg.max_connections = argc > 7 ? atoi(argv[7]) : 0;
	cfg.body_timeout = argc > 8 ? atoi(argv[8]) : 0;
	base = event_base_new();
	p.base = base;
	eng = base != NULL ? dav_engine_create(base, &cfg, &err) : NULL;
	if (eng == NULL) {
		fprintf(stderr, "webdav_engine_probe: %s\n", base ? err.msg : "no event base");
		goto out;
	}
	term = evsignal_new(base, SIGTERM, probe_stop, base);
	if (term == NULL || evsignal_add(term, NULL) == -1 ||
	    probe_write_port(argv[4], dav_engine_port(eng)) == -1) {
		fprintf(stderr, "webdav_engine_probe: cannot start\n");
		goto out;
	}
	event_base_dispatch(base);
	status = 0;
out:
	if (term != NULL)
		event_free(term);
	dav_engine_free(eng);
	if (base != NULL)
		event_base_free(base);
	read_path_free(p.rp);
	if (p.scratch_fd != -1)
		close(p.scratch_fd);
	if (rpc.root_fd != -1)
		close(rpc.root_fd);
	if (rpc.www_fd != -1)
		close(rpc.www_fd);
	return status;
}
