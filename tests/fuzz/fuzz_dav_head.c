/*
 * fuzz_dav_head: libFuzzer harness of the WebDAV engine's request path
 * (issue 9 point 4): the input is what a client sends on one connection -
 * one or more request heads, bodies (chunked or not), pipelined or cut
 * short.  The engine (dav_engine.c, libhttp-parser underneath) gets one
 * end of a socketpair through dav_engine_adopt_fd(); the input is written
 * to the other end, the event loop runs without blocking until nothing
 * moves any more (bounded), then the client half-closes, then closes, and
 * the engine is freed.  The handler table answers the way the real modules
 * do: at once from the head, after a body taken in memory, to a file
 * descriptor or discarded, or with a file body.
 *
 * The contract checked: whatever the engine sends starts with a status
 * line "HTTP/1.1 NNN "; nothing leaks, overflows or is undefined (ASan,
 * UBSan).  A violation aborts.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "dav_engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Event loop turns at most per phase, and idle turns that end one. */
#define FUZZ_MAX_TURNS	256
#define FUZZ_IDLE_TURNS	4

static struct event_base *fuzz_base;
static int fuzz_null_fd = -1;	/* PUT bodies go here */
static int fuzz_file_fd = -1;	/* GET bodies come from here */

/* What the handlers look at in every request, as a real gate does. */
static void
fuzz_touch_request(struct dav_request *req)
{
	static const char *names[] = { "Host", "Depth", "If", "Lock-Token", "Timeout",
	    "Destination", "Overwrite", "Content-Type", "Expect", "Authorization" };
	size_t n = strlen(dav_request_path(req)) + strlen(dav_request_target(req));

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = dav_request_header(req, names[i]);

		n += v != NULL ? strlen(v) : 0;
	}
	if (n == (size_t)-1)
		abort();
}

static void
fuzz_reply_done(struct dav_request *req, void *arg)
{
	char text[64];
	int n;

	(void)arg;
	n = snprintf(text, sizeof(text), "%llu bytes, errno %d\n",
	    (unsigned long long)dav_request_body_length(req), dav_request_body_errno(req));
	dav_reply_status(req, 200, NULL);
	dav_reply_header(req, "Content-Type", "text/plain");
	dav_reply_body(req, text, (size_t)n);
	dav_reply_send(req);
}

static void
fuzz_memory_done(struct dav_request *req, void *arg)
{
	size_t len;
	const char *body = dav_request_body(req, &len);

	if (body[len] != '\0')
		abort();
	fuzz_reply_done(req, arg);
}

static void
fuzz_abort(struct dav_request *req, void *arg)
{
	(void)req;
	(void)arg;
}

/* OPTIONS, DELETE: from the head. */
static void
fuzz_at_once(struct dav_request *req, void *arg)
{
	(void)arg;
	fuzz_touch_request(req);
	if (strcmp(dav_request_method(req), "OPTIONS") == 0)
		dav_reply_options(req);
	else
		dav_reply_error(req, 403, "is refused here");
}

static void
fuzz_get(struct dav_request *req, void *arg)
{
	(void)arg;
	fuzz_touch_request(req);
	dav_reply_status(req, 200, NULL);
	if (dav_request_is_head(req)) {
		dav_reply_length(req, 4096);
	} else if (dav_reply_file(req, fuzz_file_fd, 0, 4096, NULL, NULL) == -1) {
		dav_reply_error(req, 500, "cannot send the file");
		return;
	}
	dav_reply_send(req);
}

static void
fuzz_put(struct dav_request *req, void *arg)
{
	fuzz_touch_request(req);
	dav_request_body_fd(req, fuzz_null_fd, fuzz_reply_done, fuzz_abort, arg);
}

static void
fuzz_xml(struct dav_request *req, void *arg)
{
	fuzz_touch_request(req);
	dav_request_body_memory(req, fuzz_memory_done, fuzz_abort, arg);
}

static void
fuzz_discard(struct dav_request *req, void *arg)
{
	fuzz_touch_request(req);
	dav_request_body_discard(req, fuzz_reply_done, fuzz_abort, arg);
}

static const struct dav_method fuzz_methods[] = {
	{ "OPTIONS", fuzz_at_once, NULL },
	{ "GET", fuzz_get, NULL },
	{ "HEAD", fuzz_get, NULL },
	{ "PUT", fuzz_put, NULL },
	{ "DELETE", fuzz_at_once, NULL },
	{ "MKCOL", fuzz_discard, NULL },
	{ "COPY", fuzz_discard, NULL },
	{ "MOVE", fuzz_discard, NULL },
	{ "PROPFIND", fuzz_xml, NULL },
	{ "PROPPATCH", fuzz_xml, NULL },
	{ "LOCK", fuzz_xml, NULL },
	{ "UNLOCK", fuzz_discard, NULL },
};

static int
fuzz_setup(void)
{
	static const char tmpl[] = "/tmp/fuzz_dav_head.XXXXXX";
	char path[sizeof(tmpl)];
	char block[4096];

	fuzz_base = event_base_new();
	fuzz_null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	memcpy(path, tmpl, sizeof(tmpl));
	fuzz_file_fd = mkstemp(path);
	if (fuzz_base == NULL || fuzz_null_fd == -1 || fuzz_file_fd == -1)
		return -1;
	unlink(path);
	memset(block, 'x', sizeof(block));
	return write(fuzz_file_fd, block, sizeof(block)) == (ssize_t)sizeof(block) ? 0 : -1;
}

/* Reads what the engine sent; checks the first status line.  Returns the
 * bytes read this time. */
static size_t
fuzz_read_replies(int fd, size_t *total)
{
	static const char status_line[] = "HTTP/1.1 ";
	char buf[65536];
	size_t got = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (*total == 0 && (n < 12 || memcmp(buf, status_line, 9) != 0 ||
		    buf[9] < '1' || buf[9] > '5' || buf[11] < '0' || buf[11] > '9'))
			abort();
		*total += (size_t)n;
		got += (size_t)n;
	}
	return got;
}

/* Turns the loop until nothing moved for a few turns (bounded). */
static void
fuzz_settle(int client, const uint8_t **data, size_t *left, size_t *total)
{
	int idle = 0;

	for (int turn = 0; turn < FUZZ_MAX_TURNS && idle < FUZZ_IDLE_TURNS; turn++) {
		size_t moved = 0;

		if (*left > 0) {
			ssize_t n = send(client, *data, *left, MSG_NOSIGNAL);

			if (n > 0) {
				*data += n;
				*left -= (size_t)n;
				moved += (size_t)n;
			}
		}
		event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
		if (client != -1)
			moved += fuzz_read_replies(client, total);
		idle = moved > 0 ? 0 : idle + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dav_engine_config cfg = {
		.address = NULL,
		.max_connections = 4,
		.memory_body_max = 2048,	/* so inputs reach the limit */
		.methods = fuzz_methods,
		.nmethods = sizeof(fuzz_methods) / sizeof(fuzz_methods[0]),
	};
	struct dav_engine *eng;
	size_t total = 0;
	int sv[2];

	if (fuzz_base == NULL && fuzz_setup() == -1)
		abort();
	eng = dav_engine_create(fuzz_base, &cfg, NULL);
	if (eng == NULL)
		abort();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	if (dav_engine_adopt_fd(eng, sv[0]) == -1)
		abort();
	fuzz_settle(sv[1], &data, &size, &total);
	size = 0;	/* what did not fit is dropped with the connection */
	shutdown(sv[1], SHUT_WR);
	fuzz_settle(sv[1], &data, &size, &total);
	close(sv[1]);
	fuzz_settle(-1, &data, &size, &total);
	dav_engine_free(eng);
	return 0;
}
