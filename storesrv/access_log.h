/*
 * access_log: one line per request in the combined log format, written by
 * each serving thread through its own buffer (whole lines, flushed when the
 * buffer fills and once a second), so that logging costs no lock and few
 * system calls.  SIGHUP reopens the file in place (dup2), so rotated logs
 * are let go without the threads noticing.
 */
#ifndef STORESRV_ACCESS_LOG_H
#define STORESRV_ACCESS_LOG_H

#include <stdint.h>

#include "errbuf.h"

/* `path` is a file (appended), "-" for stdout or "off". */
int access_log_open(const char *path, struct errbuf *err);
int access_log_reopen(struct errbuf *err);
void access_log_close(void);
int access_log_enabled(void);

struct access_log_buffer;

struct access_log_entry {
	const char *peer;
	const char *method;
	const char *uri;
	int http_major, http_minor;
	int status;
	uint64_t bytes;
	const char *referer;
	const char *user_agent;
};

struct access_log_buffer *access_log_buffer_create(void);
/* Flushes and frees; NULL is a no-op. */
void access_log_buffer_free(struct access_log_buffer *b);
void access_log_write(struct access_log_buffer *b, const struct access_log_entry *e);
void access_log_flush(struct access_log_buffer *b);

#endif
