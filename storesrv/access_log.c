/*
 * access_log: buffered combined-format access log; see access_log.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access_log.h"
#include "xmalloc.h"

#define ACCESS_LOG_BUFFER	(64 * 1024)
#define ACCESS_LOG_LINE_MAX	4096

static int access_log_fd = -1;
static char *access_log_path;

struct access_log_buffer {
	char data[ACCESS_LOG_BUFFER];
	size_t len;
	time_t stamp_for;
	char stamp[32];
};

static int
access_log_open_file(const char *path, struct errbuf *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd == -1)
		return errbuf_set_errno(err, "access log %s", path);
	return fd;
}

int
access_log_open(const char *path, struct errbuf *err)
{
	access_log_close();
	if (strcmp(path, "off") == 0)
		return 0;
	if (strcmp(path, "-") == 0) {
		access_log_fd = STDOUT_FILENO;
		return 0;
	}
	access_log_fd = access_log_open_file(path, err);
	if (access_log_fd == -1)
		return -1;
	access_log_path = xstrdup(path);
	return 0;
}

int
access_log_reopen(struct errbuf *err)
{
	int fd;

	if (access_log_path == NULL)
		return 0;
	fd = access_log_open_file(access_log_path, err);
	if (fd == -1)
		return -1;
	/* Threads keep writing to the same descriptor number. */
	if (dup3(fd, access_log_fd, O_CLOEXEC) == -1) {
		errbuf_set_errno(err, "access log %s", access_log_path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void
access_log_close(void)
{
	if (access_log_fd > STDERR_FILENO)
		close(access_log_fd);
	access_log_fd = -1;
	free(access_log_path);
	access_log_path = NULL;
}

int
access_log_enabled(void)
{
	return access_log_fd != -1;
}

struct access_log_buffer *
access_log_buffer_create(void)
{
	return xcalloc(1, sizeof(struct access_log_buffer));
}

void
access_log_flush(struct access_log_buffer *b)
{
	size_t done = 0;

	while (access_log_fd != -1 && done < b->len) {
		ssize_t n = write(access_log_fd, b->data + done, b->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* a full disk must not stop serving */
		done += (size_t)n;
	}
	b->len = 0;
}

void
access_log_buffer_free(struct access_log_buffer *b)
{
	if (b == NULL)
		return;
	access_log_flush(b);
	free(b);
}

/* Copies a request field into the line, escaping quotes, backslashes and
 * control bytes so that a request cannot forge log lines. */
static size_t
access_log_escape(char *out, size_t outsz, const char *s)
{
	size_t n = 0;

	if (s == NULL)
		s = "-";
	for (; *s != '\0' && n + 5 < outsz; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, outsz - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return n;
}

static const char *
access_log_stamp(struct access_log_buffer *b)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now != b->stamp_for) {
		gmtime_r(&now, &tm);
		strftime(b->stamp, sizeof(b->stamp), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		b->stamp_for = now;
	}
	return b->stamp;
}

void
access_log_write(struct access_log_buffer *b, const struct access_log_entry *e)
{
	char uri[1024], referer[512], agent[512], line[ACCESS_LOG_LINE_MAX];
	int n;

	if (access_log_fd == -1)
		return;
	access_log_escape(uri, sizeof(uri), e->uri);
	access_log_escape(referer, sizeof(referer), e->referer);
	access_log_escape(agent, sizeof(agent), e->user_agent);
	n = snprintf(line, sizeof(line), "%s - - [%s] \"%s %s HTTP/%d.%d\" %d %" PRIu64 " \"%s\" \"%s\"\n",
	    e->peer ? e->peer : "-", access_log_stamp(b), e->method, uri, e->http_major,
	    e->http_minor, e->status, e->bytes, referer, agent);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1, line[n - 1] = '\n';
	if (b->len + (size_t)n > sizeof(b->data))
		access_log_flush(b);
	memcpy(b->data + b->len, line, (size_t)n);
	b->len += (size_t)n;
}
