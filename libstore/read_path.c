/*
 * read_path: routing and HTTP semantics of the public read path; see
 * read_path.h.  RFC 9110 sections are quoted beside the code that follows
 * them.
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

#include "fs_open.h"
#include "home_page.h"
#include "http_cond.h"
#include "http_range.h"
#include "http_status.h"
#include "read_path.h"
#include "store_info.h"
#include "store_layout.h"
#include "url_path.h"
#include "xmalloc.h"

struct read_path {
	struct read_path_config cfg;
	struct file_cache *cache;
	struct store_info_cache *info;	/* /<channel>/info.json bodies */
};

/* Where a canonical path leads. */
enum read_route { ROUTE_NONE, ROUTE_HOME, ROUTE_DOWNLOAD, ROUTE_PAGE, ROUTE_RECORD, ROUTE_INFO };

/* The URL folder of the sha256 records, our extension beside download/. */
#define READ_RECORD_DIR		"sha256"
#define READ_RECORD_TYPE	"text/plain; charset=utf-8"

/* The kinds of published folders with a record, as the importer names it
 * (importer/source.c unit_hashes_rel()): /<channel>/sha256/<url_dir><name>
 * is hashes/<record_prefix><name>.sha256, the record of
 * download/<url_dir><name>. */
static const struct read_record_kind {
	const char *url_dir;
	const char *record_prefix;
} read_record_kinds[] = {
	{ "", "" },
	{ STORE_APP_PLATFORM_DIR "/", "app-platform-" },
	{ STORE_PHONE_PLATFORM_DIR "/", "phoneplatform-" },
};

/* A routed path.  ROUTE_DOWNLOAD: path[0..base_len) is "<channel>/download",
 * the folder its files are resolved beneath, and file what follows
 * "download/".  ROUTE_PAGE, ROUTE_RECORD, ROUTE_INFO: path[0..base_len) is the
 * channel; for ROUTE_RECORD, file is what follows "sha256/". */
struct read_target {
	enum read_route route;
	const char *path;
	size_t base_len;
	const char *file;
};

static const char ALLOW_METHODS[] = "GET, HEAD, OPTIONS";
static const char CORS_ALLOW_HEADERS[] =
    "Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range";
static const char CORS_EXPOSE_HEADERS[] =
    "Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified";
/* Build files may be HTML or SVG uploaded by anyone who publishes: shown as
 * a page they would run on the store's origin; sandboxed they cannot. */
static const char CSP_SANDBOX[] = "default-src 'none'; sandbox";
/* The home page: inline style only. */
static const char CSP_HOME[] = "default-src 'none'; style-src 'unsafe-inline'";

/* The paths that answer with the home page. */
static const char *const read_home_paths[] = { "", "index.htm" };

/* The indexes at the top of download/: the only files there that are ours
 * and not a publisher's, so the only ones without the sandbox. */
static const char *const read_index_files[] = {
	"apps.json", "firmware.json", "software.json", "linux.json", "phoneplatform.json",
};

static const char *
read_reason(int status)
{
	const char *reason = http_status_reason(status);

	return reason != NULL ? reason : "Error";
}

void
read_request_headers(struct read_request *rr,
    const char *(*header)(void *ctx, const char *name), void *ctx)
{
	rr->if_match = header(ctx, "If-Match");
	rr->if_none_match = header(ctx, "If-None-Match");
	rr->if_modified_since = header(ctx, "If-Modified-Since");
	rr->if_unmodified_since = header(ctx, "If-Unmodified-Since");
	rr->range = header(ctx, "Range");
	rr->if_range = header(ctx, "If-Range");
	rr->host = header(ctx, "Host");
}

struct read_path *
read_path_create(const struct read_path_config *cfg)
{
	struct read_path *rp = xcalloc(1, sizeof(*rp));

	rp->cfg = *cfg;
	rp->cache = file_cache_create(cfg->cache_entries ? cfg->cache_entries : 1024);
	rp->info = store_info_cache_create();
	return rp;
}

void
read_path_free(struct read_path *rp)
{
	if (rp == NULL)
		return;
	file_cache_free(rp->cache);
	store_info_cache_free(rp->info);
	free(rp);
}

void
read_path_response_release(struct read_response *resp)
{
	file_entry_unref(resp->file);
	resp->file = NULL;
	free(resp->owned);
	resp->owned = NULL;
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

static int
read_name_in(const char *name, const char *const *names, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(name, names[i]) == 0)
			return 1;
	}
	return 0;
}

/* Whether path (after "<channel>/") is `dir` or below it. */
static int
read_is_under(const char *path, const char *dir, size_t len)
{
	return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* Splits "<channel>/download[/...]", "<channel>/sha256[/...]" and
 * "<channel>/download.htm"; "" and "index.htm" are the home page. */
static void
read_route_of(const char *path, struct read_target *t)
{
	const char *slash = strchr(path, '/');
	char channel[STORE_CHANNEL_NAME_MAX + 1];
	size_t len;

	memset(t, 0, sizeof(*t));
	t->path = path;
	if (read_name_in(path, read_home_paths, sizeof(read_home_paths) / sizeof(read_home_paths[0]))) {
		t->route = ROUTE_HOME;
		return;
	}
	len = slash != NULL ? (size_t)(slash - path) : 0;
	if (len == 0 || len > STORE_CHANNEL_NAME_MAX)
		return;
	memcpy(channel, path, len);
	channel[len] = '\0';
	if (!store_channel_name_valid(channel))
		return;
	if (strcmp(slash + 1, STORE_DOWNLOAD_PAGE) == 0) {
		t->route = ROUTE_PAGE;
		t->base_len = len;
	} else if (strcmp(slash + 1, STORE_INFO_FILE) == 0) {
		t->route = ROUTE_INFO;
		t->base_len = len;
	} else if (read_is_under(slash + 1, STORE_DOWNLOAD_DIR, sizeof(STORE_DOWNLOAD_DIR) - 1)) {
		t->route = ROUTE_DOWNLOAD;
		t->base_len = len + sizeof(STORE_DOWNLOAD_DIR);
		t->file = path + t->base_len + (path[t->base_len] == '/');
	} else if (read_is_under(slash + 1, READ_RECORD_DIR, sizeof(READ_RECORD_DIR) - 1)) {
		t->route = ROUTE_RECORD;
		t->base_len = len;
		t->file = slash + sizeof(READ_RECORD_DIR);
		t->file += *t->file == '/';
	}
}

int
read_path_channel_served(int root_fd, const char *channel, size_t len)
{
	char dir[STORE_CHANNEL_NAME_MAX + sizeof("/" STORE_DOWNLOAD_DIR)];
	int fd;

	if (len > STORE_CHANNEL_NAME_MAX)
		return 0;
	memcpy(dir, channel, len);
	dir[len] = '\0';
	if (!store_channel_name_valid(dir))
		return 0;
	snprintf(dir + len, sizeof(dir) - len, "/%s", STORE_DOWNLOAD_DIR);
	fd = fs_open_dir_nofollow(root_fd, dir, strlen(dir));
	if (fd == -1)
		return 0;
	close(fd);
	return 1;
}

static int
read_is_revalidated_often(const char *path)
{
	size_t len = strlen(path);

	return (len > 5 && strcmp(path + len - 5, ".json") == 0) ||
	    (len > 4 && strcmp(path + len - 4, ".htm") == 0);
}

/* Headers of every reply, by where it was routed: nosniff everywhere; CORS
 * on everything under download/ and sha256/ (errors and 304 included, so a
 * page of another origin sees why it failed) and the sandbox on all of
 * download/ but the indexes; the home page's own policy. */
static void
read_add_common(struct read_response *resp, const struct read_request *req,
    const struct read_target *t)
{
	read_header_add(resp, "X-Content-Type-Options", "nosniff");
	if (t->route == ROUTE_HOME)
		read_header_add(resp, "Content-Security-Policy", CSP_HOME);
	if (t->route != ROUTE_DOWNLOAD && t->route != ROUTE_RECORD && t->route != ROUTE_INFO)
		return;
	if (t->route == ROUTE_DOWNLOAD && !read_name_in(t->file, read_index_files,
	    sizeof(read_index_files) / sizeof(read_index_files[0])))
		read_header_add(resp, "Content-Security-Policy", CSP_SANDBOX);
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

/* Conditionals (RFC 9110 section 13.2.2), then Range (section 14).
 * content_type NULL: the file's own (by its name). */
static void
read_serve_file(struct read_response *resp, const struct read_request *req,
    struct file_entry *e, const char *content_type, int no_cache)
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
	read_header_add(resp, "Content-Type", content_type != NULL ? content_type : e->content_type);
	if (no_cache)
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

/* Whether the channel page can be served: a www folder or the built-in page. */
static int
read_has_page(const struct read_path *rp)
{
	return rp->cfg.www_fd != -1 || rp->cfg.www_embedded != NULL;
}

/* The home page, generated per request (it is small and rarely asked for). */
static void
read_serve_home(struct read_path *rp, const struct read_request *req, struct read_response *resp)
{
	char *page;
	size_t len;

	if (home_page_render(rp->cfg.root_fd, req->host, read_has_page(rp), &page, &len) == -1) {
		read_error(resp, fs_errno_http_status(errno));
		return;
	}
	resp->owned = page;
	read_set_status(resp, 200);
	read_header_add(resp, "Content-Type", "text/html; charset=utf-8");
	read_header_add(resp, "Cache-Control", "no-cache");
	read_set_length(resp, len);
	if (req->method == READ_HEAD)
		return;
	resp->body = READ_BODY_MEMORY;
	resp->data = page;
	resp->length = len;
}

/* The page built into the program (no www folder): whole, never cached
 * long, so an upgraded binary's page is seen at once. */
static void
read_serve_embedded(struct read_path *rp, const struct read_request *req,
    struct read_response *resp)
{
	const struct read_embedded_file *f = rp->cfg.www_embedded;

	while (f->name != NULL && strcmp(f->name, STORE_DOWNLOAD_PAGE) != 0)
		f++;
	if (f->name == NULL) {
		read_error(resp, 404);
		return;
	}
	read_set_status(resp, 200);
	read_header_add(resp, "Content-Type", "text/html; charset=utf-8");
	read_header_add(resp, "Cache-Control", "no-cache");
	read_set_length(resp, f->size);
	if (req->method == READ_HEAD)
		return;
	resp->body = READ_BODY_MEMORY;
	resp->data = f->data;
	resp->length = f->size;
}

/* A file of a channel's download/ folder, or its download.htm page. */
static void
read_serve_path(struct read_path *rp, const struct read_request *req,
    const struct read_target *t, struct read_response *resp)
{
	struct file_entry *e;

	if (t->route == ROUTE_PAGE) {
		/* The page of a channel that does not exist is a 404. */
		if (!read_path_channel_served(rp->cfg.root_fd, t->path, t->base_len)) {
			read_error(resp, 404);
			return;
		}
		if (rp->cfg.www_fd == -1) {
			read_serve_embedded(rp, req, resp);
			return;
		}
		e = file_cache_get(rp->cache, rp->cfg.www_fd, STORE_DOWNLOAD_PAGE, 0);
	} else {
		e = file_cache_get(rp->cache, rp->cfg.root_fd, t->path, t->base_len);
	}
	if (e == NULL) {
		read_error(resp, fs_errno_http_status(errno));
		return;
	}
	resp->file = e;
	read_serve_file(resp, req, e, NULL, read_is_revalidated_often(e->key));
}

/* Finds the record kind and name of `file` (what follows "sha256/"); NULL
 * when it names no record a published folder can have. */
static const struct read_record_kind *
read_record_kind_of(const char *file, const char **name)
{
	for (size_t i = 0; i < sizeof(read_record_kinds) / sizeof(read_record_kinds[0]); i++) {
		size_t n = strlen(read_record_kinds[i].url_dir);

		if (strncmp(file, read_record_kinds[i].url_dir, n) == 0 &&
		    store_build_name_valid(file + n)) {
			*name = file + n;
			return &read_record_kinds[i];
		}
	}
	return NULL;
}

/* Whether download/<folder> of the channel (path[0..chan_len)) is
 * published: reached as download/ files are, and not marked removed.  -1
 * with errno set when it cannot be opened. */
static int
read_folder_published(int root_fd, const char *channel, size_t chan_len, const char *folder)
{
	char dir[STORE_CHANNEL_NAME_MAX + sizeof("/" STORE_DOWNLOAD_DIR)];
	int dl_fd, fd, removed;

	snprintf(dir, sizeof(dir), "%.*s/%s", (int)chan_len, channel, STORE_DOWNLOAD_DIR);
	dl_fd = fs_open_dir_nofollow(root_fd, dir, strlen(dir));
	if (dl_fd == -1)
		return -1;
	fd = fs_open_beneath(dl_fd, folder, O_RDONLY | O_DIRECTORY);
	close(dl_fd);
	if (fd == -1)
		return -1;
	removed = store_folder_removed(fd);
	close(fd);
	return !removed;
}

/*
 * /<channel>/sha256/<build> (and .../app-platform/<version>,
 * .../phoneplatform/<version>): the importer's record of a published
 * folder, resolved beneath <channel>/hashes/ as download/ files are beneath
 * download/.  A folder that is missing or marked removed has no record to
 * offer (it is out of the indexes).
 */
static void
read_serve_record(struct read_path *rp, const struct read_request *req,
    const struct read_target *t, struct read_response *resp)
{
	char rel[STORE_CHANNEL_NAME_MAX + 64];
	const struct read_record_kind *kind;
	const char *name;
	struct file_entry *e;
	int published;

	if ((kind = read_record_kind_of(t->file, &name)) == NULL) {
		read_error(resp, 404);
		return;
	}
	published = read_folder_published(rp->cfg.root_fd, t->path, t->base_len, t->file);
	if (published != 1) {
		read_error(resp, published == 0 ? 404 : fs_errno_http_status(errno));
		return;
	}
	snprintf(rel, sizeof(rel), "%.*s/%s/%s%s.sha256", (int)t->base_len, t->path,
	    STORE_HASHES_DIR, kind->record_prefix, name);
	e = file_cache_get(rp->cache, rp->cfg.root_fd, rel, t->base_len + sizeof(STORE_HASHES_DIR));
	if (e == NULL) {
		read_error(resp, fs_errno_http_status(errno));
		return;
	}
	resp->file = e;
	read_serve_file(resp, req, e, READ_RECORD_TYPE, 1);
}

/* /<channel>/info.json (store_info.h): generated, revalidated by its ETag;
 * the body is copied, since the cache may build it again before it is sent. */
static void
read_serve_info(struct read_path *rp, const struct read_request *req,
    const struct read_target *t, struct read_response *resp)
{
	struct http_cond_headers cond = {
		req->if_match, req->if_none_match, req->if_modified_since, req->if_unmodified_since
	};
	char channel[STORE_CHANNEL_NAME_MAX + 1];
	struct store_info_view view;
	enum http_cond_result c;

	snprintf(channel, sizeof(channel), "%.*s", (int)t->base_len, t->path);
	if (store_info_cache_get(rp->info, rp->cfg.root_fd, channel, time(NULL), &view, NULL) == -1) {
		read_error(resp, fs_errno_http_status(errno));
		return;
	}
	/* a generated reply has no Content-Range: its storage holds the ETag */
	snprintf(resp->content_range_text, sizeof(resp->content_range_text), "%s", view.etag);
	read_header_add(resp, "ETag", resp->content_range_text);
	c = http_cond_evaluate(&cond, view.etag, view.mtime, 1);
	if (c != HTTP_COND_PROCEED) {
		resp->nheaders = c == HTTP_COND_NOT_MODIFIED ? resp->nheaders : 0;
		if (c == HTTP_COND_NOT_MODIFIED)
			read_set_status(resp, 304);
		else
			read_error(resp, 412);
		return;
	}
	read_set_status(resp, 200);
	read_header_add(resp, "Content-Type", "application/json");
	read_header_add(resp, "Cache-Control", "no-cache");
	read_set_length(resp, view.len);
	if (req->method == READ_HEAD)
		return;
	resp->owned = xmalloc(view.len + 1);
	memcpy(resp->owned, view.body, view.len + 1);
	resp->body = READ_BODY_MEMORY;
	resp->data = resp->owned;
	resp->length = view.len;
}

static void
read_dispatch(struct read_path *rp, const struct read_request *req,
    const struct read_target *t, struct read_response *resp)
{
	if (t->route == ROUTE_NONE || (t->route == ROUTE_PAGE && !read_has_page(rp))) {
		read_error(resp, 404);
		return;
	}
	if (req->method == READ_OTHER) {
		read_error(resp, 405);
		return;
	}
	if (req->method == READ_OPTIONS) {
		read_set_status(resp, 204);
		read_header_add(resp, "Allow", ALLOW_METHODS);
		return;
	}
	if (t->route == ROUTE_HOME)
		read_serve_home(rp, req, resp);
	else if (t->route == ROUTE_RECORD)
		read_serve_record(rp, req, t, resp);
	else if (t->route == ROUTE_INFO)
		read_serve_info(rp, req, t, resp);
	else
		read_serve_path(rp, req, t, resp);
}

void
read_path_handle(struct read_path *rp, const struct read_request *req, struct read_response *resp)
{
	char canon[URL_PATH_MAX + 1];
	enum url_path_status st;
	struct read_target t;

	memset(resp, 0, sizeof(*resp));
	st = url_path_canonicalize(req->path, canon, sizeof(canon));
	if (st == URL_PATH_OK) {
		read_route_of(canon, &t);
		read_dispatch(rp, req, &t, resp);
	} else {
		/* A refused path still routes by its raw prefix, so that a refusal
		 * under /<channel>/download/ or sha256/ carries the CORS headers too. */
		read_route_of(req->path != NULL && req->path[0] == '/' ? req->path + 1 : "", &t);
		if (t.route != ROUTE_DOWNLOAD && t.route != ROUTE_RECORD)
			t.route = ROUTE_NONE;
		read_error(resp, url_path_status_http(st));
	}
	read_add_common(resp, req, &t);
}

void
read_path_refusal(struct read_response *resp, int status)
{
	memset(resp, 0, sizeof(*resp));
	read_error(resp, status);
	read_header_add(resp, "X-Content-Type-Options", "nosniff");
	read_header_add(resp, "Connection", "close");
	resp->close_connection = 1;
}
