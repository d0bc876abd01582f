/*
 * read_path: the public read path of a store, independent of any HTTP engine.
 *
 * An engine (the evhttp one in storesrv/server.c today, a WebDAV-capable one
 * later) fills a struct read_request from its request, calls
 * read_path_handle() and turns the struct read_response into its own reply.
 * All HTTP decisions live here: routing (/<channel>/download/...,
 * /<channel>/download.htm, the home page / and /index.htm, and our
 * extension /<channel>/sha256/<build> with .../app-platform/<version> and
 * .../phoneplatform/<version>: the sha256 records of published folders,
 * from <channel>/hashes/), path safety,
 * methods, conditional requests, ranges, CORS, caching and security headers.
 * Nothing here knows libevent.
 *
 * One struct read_path per serving thread (it owns that thread's
 * file_cache); the root and www descriptors are shared read-only.
 */
#ifndef STORESRV_READ_PATH_H
#define STORESRV_READ_PATH_H

#include <stddef.h>
#include <stdint.h>

#include "file_cache.h"

enum read_method { READ_GET, READ_HEAD, READ_OPTIONS, READ_OTHER };

struct read_request {
	enum read_method method;
	const char *path;	/* raw (still percent-encoded) path, no query */
	/* request headers; NULL when absent */
	const char *if_match;
	const char *if_none_match;
	const char *if_modified_since;
	const char *if_unmodified_since;
	const char *range;
	const char *if_range;
	const char *host;	/* Host: absolute URLs on the home page */
};

/* Fills the header members of rr (the conditionals, Range, If-Range,
 * Host) through an engine's header lookup: header(ctx, name) gives the
 * field's value or NULL.  One list for every engine. */
void read_request_headers(struct read_request *rr,
    const char *(*header)(void *ctx, const char *name), void *ctx);

/*
 * The most headers a response carries is 11 (a 206 of a build file:
 * ETag, Last-Modified, Accept-Ranges, Content-Type, Cache-Control,
 * Content-Range, Content-Length, the two CORS headers, nosniff and the
 * sandbox Content-Security-Policy); an OPTIONS preflight has 7.
 */
#define READ_MAX_HEADERS 16

struct read_header {
	const char *name;
	const char *value;	/* static, or owned by the response or its file */
};

enum read_body { READ_BODY_NONE, READ_BODY_MEMORY, READ_BODY_FILE };

struct read_response {
	int status;
	const char *reason;
	struct read_header headers[READ_MAX_HEADERS];
	size_t nheaders;
	enum read_body body;
	/* READ_BODY_MEMORY: data/length; READ_BODY_FILE: file->fd at offset */
	const void *data;
	uint64_t offset;
	uint64_t length;
	/* Content-Length to announce (also for HEAD, where no body is sent) */
	uint64_t content_length;
	/* the engine closes the connection after this reply (a refusal; the
	 * "Connection: close" header says so to the client) */
	int close_connection;
	struct file_entry *file;	/* referenced; dropped by read_path_response_release() */
	/* memory the response owns (a generated page, which data points into);
	 * freed by read_path_response_release() */
	void *owned;
	/* storage for header values built per response */
	char content_length_text[24];
	char content_range_text[64];
	char error_text[128];
};

/* A file built into the program (the page without -w; www/www_files.h). */
struct read_embedded_file {
	const char *name;	/* relative to www/: "download.htm" */
	const unsigned char *data;
	size_t size;
};

struct read_path_config {
	int root_fd;		/* the store root */
	int www_fd;		/* the www folder (download.htm), -1 if none */
	/* served when www_fd is -1: a table ended by a NULL name, or NULL */
	const struct read_embedded_file *www_embedded;
	size_t cache_entries;
};

struct read_path;

struct read_path *read_path_create(const struct read_path_config *cfg);
void read_path_free(struct read_path *rp);

/* Always produces exactly one response in *resp (errors become 4xx/5xx
 * responses with a short text body). */
void read_path_handle(struct read_path *rp, const struct read_request *req,
    struct read_response *resp);

/* A refusal the engine decides before routing (a request head that breaks
 * HTTP/1.1 framing: 400, 431, 501, 505): the same short text reply as every
 * error, with "Connection: close", since the stream can no longer be
 * trusted. */
void read_path_refusal(struct read_response *resp, int status);

/* Is the first `len` bytes of `channel` a channel that the read path serves:
 * a valid channel name whose download/ folder is reached from root_fd
 * without a symlink?  (Its files are resolved beneath that folder.) */
int read_path_channel_served(int root_fd, const char *channel, size_t len);

/* Drops what the response holds (its file reference, its owned memory).
 * Call once the engine no longer needs resp's data (READ_BODY_MEMORY data
 * must be copied or sent before); for READ_BODY_FILE an engine that sends
 * asynchronously takes its own file_entry_ref() first. */
void read_path_response_release(struct read_response *resp);

#endif
