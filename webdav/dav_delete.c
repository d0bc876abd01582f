/*
 * dav_delete: DELETE (RFC 4918 9.6).
 *
 * In incoming/: a file, or a collection with its whole tree (dav_fs.h's
 * bounded walk), with the locks rooted in it and its dead properties; 204.
 * An entry that cannot be removed does not stop the rest: the reply is then
 * 207 with one response per entry that stayed (RFC 4918 9.6.1; their
 * collections stay too and are not listed), and the locks and properties
 * are kept.
 *
 * In download/: only a build folder ("/<ch>/download/130001") or a platform
 * version folder ("/<ch>/download/app-platform/10001", "phoneplatform/...")
 * may go, and that is "storeimport remove" (housekeeping_remove(): one
 * transaction, the indexes and the catalog updated at once, the files kept
 * for the importer's grace time for clients holding an older index); the
 * file caches are invalidated so both listeners serve the new indexes at
 * once.  A problem it reports is 409 (or 500 for an I/O failure) with its
 * message.
 * It runs on the WebDAV loop, under the channel's lock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dav_engine.h"
#include "dav_fs.h"
#include "dav_handler.h"
#include "dav_lock.h"
#include "dav_write.h"
#include "dav_xml.h"
#include "descriptor.h"
#include "file_cache.h"
#include "fs_open.h"
#include "housekeeping.h"
#include "log.h"
#include "store_layout.h"
#include "xmalloc.h"

#define DAV_DELETE_MAX_LISTED	100	/* entries named in a 207 */

/* The entries that stayed, as a multistatus. */
struct dav_delete_failures {
	const char *base;		/* the request's path */
	struct dav_ms *ms;
	size_t count;
};

static void
dav_delete_failed(void *arg, const char *rel, int errnum)
{
	struct dav_delete_failures *f = arg;
	char *path;

	if (f->count++ >= DAV_DELETE_MAX_LISTED)
		return;
	if (f->ms == NULL)
		f->ms = dav_ms_create();
	path = rel[0] != '\0' ? xasprintf("%s/%s", f->base, rel) : xstrdup(f->base);
	dav_ms_response_status(f->ms, path, dav_write_errno_status(errnum));
	free(path);
}

/* The locks and dead properties of what went. */
static void
dav_delete_forget(struct dav_call *c)
{
	struct errbuf err;

	if (dav_lock_drop_tree(c->ctx->locks, c->target.path, c->now, &err) != DAV_LOCK_OK)
		log_warnx("webdav: %s", err.msg);
	dav_write_props_forget(c, &c->target);
}

static void
dav_delete_incoming(struct dav_call *c)
{
	struct dav_delete_failures failures = { .base = c->target.path };
	struct dav_xml_buf body = { 0 };
	const char *name;
	struct errbuf err;
	struct stat st;
	int dirfd, rc;

	if ((dirfd = dav_write_open_parent(c, &c->target, &name)) == -1 ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		rc = errno;
		dav_reply_error(c->req, rc == ENOENT || rc == ENOTDIR ? 404 :
		    dav_write_errno_status(rc), NULL);
		goto out;
	}
	if (dav_check_write(c, &c->target, S_ISDIR(st.st_mode)) != 0)
		goto out;
	rc = dav_fs_remove(dirfd, name, dav_delete_failed, &failures, &err);
	if (rc == -1) {
		dav_write_fail(c, errno, err.msg);
		goto out;
	}
	dav_write_touch(c, &c->target);
	if (rc == 1) {
		dav_ms_finish(failures.ms, &body);
		dav_reply_xml(c->req, 207, &body);
		goto out;
	}
	dav_delete_forget(c);
	dav_reply_status(c->req, 204, NULL);
	dav_reply_send(c->req);
out:
	dav_ms_free(failures.ms);
	if (dirfd != -1)
		close(dirfd);
}

/* Is rel (below download/) a build or platform version folder? */
static int
dav_delete_unit(const char *rel)
{
	static const char *const platforms[] = { STORE_APP_PLATFORM_DIR, STORE_PHONE_PLATFORM_DIR };
	const char *slash = strchr(rel, '/');

	if (slash == NULL)
		return store_build_name_valid(rel);
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
		size_t len = strlen(platforms[i]);

		if ((size_t)(slash - rel) == len && strncmp(rel, platforms[i], len) == 0)
			return store_build_name_valid(slash + 1);
	}
	return 0;
}

/* 404 when the folder is not there or already removed; 1: replied. */
static int
dav_delete_published(struct dav_call *c)
{
	int fd = fs_open_dir_nofollow(c->ctx->root_fd, c->target.fs, strlen(c->target.fs));
	int removed;

	if (fd == -1) {
		dav_reply_error(c->req, errno == ENOENT || errno == ENOTDIR ? 404 :
		    fs_errno_http_status(errno), NULL);
		return 1;
	}
	removed = store_folder_removed(fd);
	close(fd);
	if (removed) {
		dav_reply_error(c->req, 404, "is removed already");
		return 1;
	}
	return 0;
}

/* housekeeping_remove()'s verdict as a reply. */
static void
dav_delete_report(struct dav_call *c, int status, const struct report *r)
{
	char text[240];
	const struct diag_entry *e = NULL;

	if (status == IMP_EXIT_OK) {
		file_cache_invalidate_all();	/* both listeners serve the new indexes at once */
		log_info("webdav: %s removed %s/%s/%s", c->user, c->target.channel,
		    STORE_DOWNLOAD_DIR, c->target.rel);
		dav_reply_status(c->req, 204, NULL);
		dav_reply_send(c->req);
		return;
	}
	for (size_t i = 0; i < r->diag->count && e == NULL; i++)
		if (r->diag->entries[i].severity == DIAG_ERROR)
			e = &r->diag->entries[i];
	if (e != NULL)
		snprintf(text, sizeof(text), "%s: %s", e->where, e->message);
	else
		snprintf(text, sizeof(text), "%s", r->error != NULL ? r->error : "failed");
	log_warnx("webdav: removing %s: %s", c->target.path, text);
	dav_reply_error(c->req, status == IMP_EXIT_IO ? 500 : 409, text);
}

static void
dav_delete_download(struct dav_call *c)
{
	struct imp_opts o = { .root = c->ctx->root, .channel = c->target.channel,
	    .kind = KIND_NONE };
	char *paths[1];
	struct report *r;
	int status;

	if (!dav_delete_unit(c->target.rel)) {
		(void)dav_write_refuse_area(c, &c->target, 0);
		return;
	}
	if (dav_delete_published(c) != 0 || dav_check_write(c, &c->target, 1) != 0)
		return;
	r = report_create("remove");
	paths[0] = xstrdup(c->target.rel);
	status = housekeeping_remove(&o, paths, 1, r);
	dav_delete_report(c, status, r);
	free(paths[0]);
	report_free(r);
}

static void
dav_delete_run(struct dav_call *c)
{
	if (c->target.area == DAV_AREA_DOWNLOAD)
		dav_delete_download(c);
	else if (!dav_write_refuse_area(c, &c->target, 1))
		dav_delete_incoming(c);
}

const struct dav_handler dav_handler_delete = {
	"DELETE", DAV_BODY_DISCARD, 1, NULL, dav_delete_run, NULL
};
