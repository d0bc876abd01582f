/*
 * dav_target: the WebDAV namespace - a request path or a Destination URL
 * as an area of the store (dav_handler.h).
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "dav_engine.h"
#include "dav_handler.h"
#include "fs_open.h"
#include "read_path.h"
#include "store_layout.h"

#define DAV_INCOMING_DIR	"incoming"

/* Points rel past `skip` bytes of the path's "/..." (and the '/' after). */
static void
dav_target_set_rel(struct dav_target *t, size_t skip)
{
	size_t len = strlen(t->path);

	t->rel = skip >= len ? t->path + len : t->path + skip + 1;
}

/* Sorts a canonical path into its area; the channel is checked when ctx is
 * given (a parent of a resolved target needs no check). */
static int
dav_target_classify(struct dav_ctx *ctx, struct dav_target *t, int *status)
{
	const char *p = t->path + 1, *slash;
	size_t chlen, arealen;

	t->fs = p;
	t->channel[0] = '\0';
	if (*p == '\0') {
		t->area = DAV_AREA_ROOT;
		t->rel = p;
		return 0;
	}
	slash = strchr(p, '/');
	chlen = slash != NULL ? (size_t)(slash - p) : strlen(p);
	if (chlen > DAV_CHANNEL_MAX ||
	    (ctx != NULL && !read_path_channel_served(ctx->root_fd, p, chlen))) {
		*status = 404;
		return -1;
	}
	memcpy(t->channel, p, chlen);
	t->channel[chlen] = '\0';
	if (slash == NULL) {
		t->area = DAV_AREA_CHANNEL;
		t->rel = p + chlen;
		return 0;
	}
	p = slash + 1;
	slash = strchr(p, '/');
	arealen = slash != NULL ? (size_t)(slash - p) : strlen(p);
	if (arealen == strlen(STORE_DOWNLOAD_DIR) && memcmp(p, STORE_DOWNLOAD_DIR, arealen) == 0)
		t->area = DAV_AREA_DOWNLOAD;
	else if (arealen == strlen(DAV_INCOMING_DIR) && memcmp(p, DAV_INCOMING_DIR, arealen) == 0)
		t->area = DAV_AREA_INCOMING;
	else {
		*status = 404;
		return -1;
	}
	dav_target_set_rel(t, (size_t)(p - t->path) + arealen);
	return 0;
}

/* The length of the build or platform version folder that rel (in
 * download/) lies in: "130045" or "app-platform/2165" ; 0 when none. */
static size_t
dav_download_folder_len(const char *rel)
{
	size_t first = strcspn(rel, "/"), second;

	if ((first == strlen(STORE_APP_PLATFORM_DIR) &&
	    memcmp(rel, STORE_APP_PLATFORM_DIR, first) == 0) ||
	    (first == strlen(STORE_PHONE_PLATFORM_DIR) &&
	    memcmp(rel, STORE_PHONE_PLATFORM_DIR, first) == 0)) {
		if (rel[first] != '/')
			return 0;
		second = strcspn(rel + first + 1, "/");
		return second > 0 ? first + 1 + second : 0;
	}
	return first;
}

int
dav_download_removed(struct dav_ctx *ctx, const struct dav_target *t)
{
	size_t len, prefix;
	int fd, removed;

	if (t->area != DAV_AREA_DOWNLOAD || (len = dav_download_folder_len(t->rel)) == 0)
		return 0;
	prefix = (size_t)(t->rel - t->fs);
	fd = fs_open_dir_nofollow(ctx->root_fd, t->fs, prefix + len);
	if (fd == -1)
		return 0;
	removed = store_folder_removed(fd);
	close(fd);
	return removed;
}

int
dav_target_resolve(struct dav_ctx *ctx, const char *raw, struct dav_target *t, int *status)
{
	enum url_path_status st;
	size_t len;

	memset(t, 0, sizeof(*t));
	t->path[0] = '/';
	st = url_path_canonicalize_flags(raw, t->path + 1, sizeof(t->path) - 1,
	    URL_PATH_ALLOW_FINDER);
	if (st != URL_PATH_OK) {
		*status = url_path_status_http(st);
		return -1;
	}
	len = strlen(t->path);
	if (len > 1 && t->path[len - 1] == '/') {
		t->slash = 1;
		t->path[--len] = '\0';
	}
	if (dav_target_classify(ctx, t, status) == -1)
		return -1;
	/* a build removed over WebDAV (or by storeimport) is gone for WebDAV
	 * at once, though the public listener serves it for the grace time */
	if (dav_download_removed(ctx, t)) {
		*status = 404;
		return -1;
	}
	/* Finder's names are files of incoming/, nowhere else */
	if (t->area != DAV_AREA_INCOMING) {
		char plain[URL_PATH_MAX + 1];

		st = url_path_canonicalize(raw, plain, sizeof(plain));
		if (st != URL_PATH_OK) {
			*status = url_path_status_http(st);
			return -1;
		}
	}
	return 0;
}

/* The authority of "scheme://authority/path" equals the Host header
 * (case-insensitive); a missing Host never matches. */
static int
dav_same_authority(const char *authority, size_t len, const char *host)
{
	return host != NULL && strlen(host) == len && strncasecmp(authority, host, len) == 0;
}

int
dav_target_destination(struct dav_ctx *ctx, struct dav_request *req, struct dav_target *t,
    int *status)
{
	const char *dest = dav_request_header(req, "Destination");
	const char *path = dest, *query;
	char raw[URL_PATH_MAX + 1];
	size_t len;

	*status = 400;
	if (dest == NULL || *dest == '\0')
		return -1;
	if (strncasecmp(dest, "http://", 7) == 0 || strncasecmp(dest, "https://", 8) == 0) {
		const char *auth = strstr(dest, "://") + 3;

		path = strchr(auth, '/');
		if (path == NULL)
			path = auth + strlen(auth);
		if (!dav_same_authority(auth, (size_t)(path - auth),
		    dav_request_header(req, "Host"))) {
			*status = 502;
			return -1;
		}
		if (*path == '\0')
			path = "/";
	}
	query = strpbrk(path, "?#");
	len = query != NULL ? (size_t)(query - path) : strlen(path);
	if (len >= sizeof(raw)) {
		*status = 414;
		return -1;
	}
	memcpy(raw, path, len);
	raw[len] = '\0';
	return dav_target_resolve(ctx, raw, t, status);
}

void
dav_target_parent(const struct dav_target *t, struct dav_target *parent)
{
	char *slash;
	int status;

	memset(parent, 0, sizeof(*parent));
	memcpy(parent->path, t->path, sizeof(parent->path));
	slash = strrchr(parent->path, '/');
	if (slash == parent->path)
		slash[1] = '\0';
	else
		*slash = '\0';
	/* the parent of a resolved target is the root or in its channel */
	(void)dav_target_classify(NULL, parent, &status);
}

const char *
dav_target_name(const struct dav_target *t)
{
	return strrchr(t->path, '/') + 1;
}
