/*
 * read_path: routing and HTTP semantics of the public read path; see
 * read_path.h.  RFC 9110 sections are quoted beside the code that follows
 * them.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs_open.h"
#include "http_cond.h"
#include "http_range.h"
#include "read_path.h"
#include "store_layout.h"
#include "url_path.h"
#include "xmalloc.h"

struct read_path {
	struct read_path_config cfg;
	struct file_cache *cache;
};

/* Where a canonical path leads. */
enum read_route { ROUTE_NONE, ROUTE_DOWNLOAD, ROUTE_PAGE };

static const char ALLOW_METHODS[] = "GET, HEAD, OPTIONS";
static const char CORS_ALLOW_HEADERS[] =
    "Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range";
static const char CORS_EXPOSE_HEADERS[] =
    "Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified";

static const struct {
	int status;
	const char *reason;
} read_reasons[] = {
	{ 200, "OK" }, { 204, "No Content" }, { 206, "Partial Content" },
	{ 304, "Not Modified" }, { 400, "Bad Request" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 412, "Precondition Failed" }, { 414, "URI Too Long" },
	{ 416, "Range Not Satisfiable" }, { 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
};

static const char *
read_reason(int status)
{
	for (size_t i = 0; i < sizeof(read_reasons) / sizeof(read_reasons[0]); i++) {
		if (read_reasons[i].status == status)
			return read_reasons[i].reason;
	}
	return "Error";
}

struct read_path *
read_path_create(const struct read_path_config *cfg)
{
	struct read_path *rp = xcalloc(1, sizeof(*rp));

	rp->cfg = *cfg;
	rp->cache = file_cache_create(cfg->cache_entries ? cfg->cache_entries : 1024);
	return rp;
}

void
read_path_free(struct read_path *rp)
{
	if (rp == NULL)
		return;
	file_cache_free(rp->cache);
	free(rp);
}

void
read_path_response_release(struct read_response *resp)
{
	file_entry_unref(resp->file);
	resp->file = NULL;
}

static void
read_header_add(struct read_response *resp, const char *name, const char *value)
{
	if (resp->nheaders < READ_MAX_HEADERS) {
		resp->headers[resp->nheaders].name = name;
		resp->headers[resp->nheaders].value = value;
		resp->nheaders++;
	}
}

static void
read_set_status(struct read_response *resp, int status)
{
	resp->status = status;
	resp->reason = read_reason(status);
}

static void
read_set_length(struct read_response *resp, uint64_t length)
{
	resp->content_length = length;
	snprintf(resp->content_length_text, sizeof(resp->content_length_text),
	    "%" PRIu64, length);
	read_header_add(resp, "Content-Length", resp->content_length_text);
}

/* A short plain-text reply for errors and refusals. */
static void
read_error(struct read_response *resp, int status)
{
	read_set_status(resp, status);
	snprintf(resp->error_text, sizeof(resp->error_text), "%d %s\n", status, resp->reason);
	read_header_add(resp, "Content-Type", "text/plain; charset=utf-8");
	read_set_length(resp, strlen(resp->error_text));
	resp->body = READ_BODY_MEMORY;
	resp->data = resp->error_text;
	resp->length = resp->content_length;
	if (status == 405)
		read_header_add(resp, "Allow", ALLOW_METHODS);
}

/* Splits "<channel>/download/..." and "<channel>/download.htm". */
static enum read_route
read_route_of(const char *canon, const char **rest)
{
	const char *slash = strchr(canon, '/');
	char channel[STORE_CHANNEL_NAME_MAX + 1];
	size_t len;

	if (slash == NULL)
		return ROUTE_NONE;
	len = (size_t)(slash - canon);
	if (len == 0 || len > STORE_CHANNEL_NAME_MAX)
		return ROUTE_NONE;
	memcpy(channel, canon, len);
	channel[len] = '\0';
	if (!store_channel_name_valid(channel))
		return ROUTE_NONE;
	if (strcmp(slash + 1, STORE_DOWNLOAD_PAGE) == 0) {
		*rest = STORE_DOWNLOAD_PAGE;
		return ROUTE_PAGE;
	}
	if (strncmp(slash + 1, STORE_DOWNLOAD_DIR "/", sizeof(STORE_DOWNLOAD_DIR)) == 0 &&
	    slash[sizeof(STORE_DOWNLOAD_DIR) + 1] != '\0') {
		*rest = canon;
		return ROUTE_DOWNLOAD;
	}
	return ROUTE_NONE;
}

/* Does "<channel>/download.htm" name a channel that has a download/
 * folder?  The page of a channel that does not exist is a 404. */
static int
read_channel_exists(const struct read_path *rp, const char *canon)
{
	char dir[STORE_CHANNEL_NAME_MAX + sizeof("/" STORE_DOWNLOAD_DIR)];
	size_t len = strcspn(canon, "/");
	struct stat st;

	snprintf(dir, sizeof(dir), "%.*s/%s", (int)len, canon, STORE_DOWNLOAD_DIR);
	return fstatat(rp->cfg.root_fd, dir, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static int
read_is_revalidated_often(const char *path)
{
	size_t len = strlen(path);

	return (len > 5 && strcmp(path + len - 5, ".json") == 0) ||
	    (len > 4 && strcmp(path + len - 4, ".htm") == 0);
}

static void
read_add_cors(struct read_response *resp, const struct read_request *req, enum read_route route)
{
	if (route != ROUTE_DOWNLOAD)
		return;
	read_header_add(resp, "Access-Control-Allow-Origin", "*");
	if (req->method == READ_OPTIONS) {
		read_header_add(resp, "Access-Control-Allow-Methods", ALLOW_METHODS);
		read_header_add(resp, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
		read_header_add(resp, "Access-Control-Max-Age", "86400");
	} else {
		read_header_add(resp, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
	}
}

/* RFC 9110 section 14.4: Content-Range: bytes first-last/complete. */
static void
read_set_content_range(struct read_response *resp, const struct http_range *r, uint64_t size)
{
	if (r == NULL)
		snprintf(resp->content_range_text, sizeof(resp->content_range_text),
		    "bytes */%" PRIu64, size);
	else
		snprintf(resp->content_range_text, sizeof(resp->content_range_text),
		    "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
		    r->offset, r->offset + r->length - 1, size);
	read_header_add(resp, "Content-Range", resp->content_range_text);
}

static void
read_validators(struct read_response *resp, const struct file_entry *e)
{
	read_header_add(resp, "ETag", e->etag);
	read_header_add(resp, "Last-Modified", e->last_modified);
}

/* Sends bytes [offset, offset + length) of the file. */
static void
read_set_body(struct read_response *resp, const struct read_request *req,
    struct file_entry *e, uint64_t offset, uint64_t length)
{
	read_set_length(resp, length);
	if (req->method == READ_HEAD)
		return;
	resp->offset = offset;
	resp->length = length;
	if (e->data != NULL) {
		resp->body = READ_BODY_MEMORY;
		resp->data = e->data + offset;
	} else {
		resp->body = READ_BODY_FILE;
	}
}

/* Conditionals (RFC 9110 section 13.2.2), then Range (section 14). */
static void
read_serve_file(struct read_response *resp, const struct read_request *req,
    struct file_entry *e)
{
	struct http_cond_headers cond = {
		req->if_match, req->if_none_match, req->if_modified_since, req->if_unmodified_since
	};
	struct http_range range;
	enum http_cond_result c;

	c = http_cond_evaluate(&cond, e->etag, e->mtime, 1);
	if (c == HTTP_COND_NOT_MODIFIED) {
		read_set_status(resp, 304);
		read_validators(resp, e);
		return;
	}
	if (c == HTTP_COND_PRECONDITION_FAILED) {
		read_error(resp, 412);
		return;
	}
	read_validators(resp, e);
	read_header_add(resp, "Accept-Ranges", "bytes");
	read_header_add(resp, "Content-Type", e->content_type);
	if (read_is_revalidated_often(e->key))
		read_header_add(resp, "Cache-Control", "no-cache");
	switch (req->range != NULL && http_cond_if_range(req->if_range, e->etag, e->mtime) ?
	    http_range_parse(req->range, e->size, &range) : HTTP_RANGE_NONE) {
	case HTTP_RANGE_SATISFIABLE:
		read_set_status(resp, 206);
		read_set_content_range(resp, &range, e->size);
		read_set_body(resp, req, e, range.offset, range.length);
		break;
	case HTTP_RANGE_UNSATISFIABLE:
		resp->nheaders = 0;
		read_error(resp, 416);
		read_set_content_range(resp, NULL, e->size);
		break;
	case HTTP_RANGE_NONE:
		read_set_status(resp, 200);
		read_set_body(resp, req, e, 0, e->size);
		break;
	}
}

void
read_path_handle(struct read_path *rp, const struct read_request *req, struct read_response *resp)
{
	char canon[URL_PATH_MAX + 1];
	enum url_path_status st;
	enum read_route route;
	struct file_entry *e;
	const char *rest = NULL;
	int dirfd;

	memset(resp, 0, sizeof(*resp));
	st = url_path_canonicalize(req->path, canon, sizeof(canon));
	if (st != URL_PATH_OK) {
		read_error(resp, url_path_status_http(st));
		return;
	}
	route = read_route_of(canon, &rest);
	if (route == ROUTE_NONE || (route == ROUTE_PAGE && rp->cfg.www_fd == -1)) {
		read_error(resp, 404);
		return;
	}
	if (req->method == READ_OTHER) {
		read_error(resp, 405);
		read_add_cors(resp, req, route);
		return;
	}
	if (req->method == READ_OPTIONS) {
		read_set_status(resp, 204);
		read_header_add(resp, "Allow", ALLOW_METHODS);
		read_add_cors(resp, req, route);
		return;
	}
	if (route == ROUTE_PAGE && !read_channel_exists(rp, canon)) {
		read_error(resp, 404);
		return;
	}
	dirfd = route == ROUTE_PAGE ? rp->cfg.www_fd : rp->cfg.root_fd;
	e = file_cache_get(rp->cache, dirfd, rest);
	if (e == NULL) {
		read_error(resp, errno == EISDIR ? 404 : fs_errno_http_status(errno));
		return;
	}
	resp->file = e;
	read_serve_file(resp, req, e);
	read_add_cors(resp, req, route);
}
