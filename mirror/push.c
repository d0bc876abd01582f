/*
 * push: a local channel's download/ folder onto a WebDAV share (push.h).
 * push_dir() walks one folder against the listing of its collection:
 * files, then subfolders, then (at the top) the five indexes.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dav_client.h"
#include "dav_list.h"
#include "fs_open.h"
#include "index_parse.h"
#include "push.h"
#include "store_layout.h"
#include "xmalloc.h"

#define PUSH_MOVE_UNASKED	(-2)

struct push_ctx {
	const struct push_config *cfg;
	struct dav_client *dav;
	struct push_stats *st;
	struct errbuf *err;
	char *local_base;	/* "<root>/<channel>/download", for messages */
	int move;		/* indexes through MOVE: 1 yes, 0 no, -1 not known,
				 * PUSH_MOVE_UNASKED before the OPTIONS request */
};

struct local_entry {
	char *name;
	int is_dir;
	uint64_t size;
};

struct local_dir {
	struct local_entry *entries;	/* sorted by name */
	size_t count, alloc;
};

static int
push_is_index(const char *name)
{
	for (int k = 0; k < INDEX_KIND_COUNT; k++)
		if (strcmp(name, index_kind_file((enum index_kind)k)) == 0)
			return 1;
	return 0;
}

static char *
push_rel_child(const char *rel, const char *name)
{
	return rel[0] != '\0' ? xasprintf("%s/%s", rel, name) : xstrdup(name);
}

static void
push_notify(struct push_ctx *p, enum push_action action, const char *rel, uint64_t size)
{
	struct push_event ev = { action, rel, size };

	if (p->cfg->progress != NULL)
		p->cfg->progress(&ev, p->st, p->cfg->progress_arg);
}

static int
local_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct local_entry *)a)->name, ((const struct local_entry *)b)->name);
}

static void
local_dir_free(struct local_dir *ld)
{
	for (size_t i = 0; i < ld->count; i++)
		free(ld->entries[i].name);
	free(ld->entries);
	memset(ld, 0, sizeof(*ld));
}

/* The regular files and folders of dirfd, hidden names left out. */
static int
local_dir_read(struct push_ctx *p, int dirfd, const char *rel, struct local_dir *ld)
{
	DIR *d = fs_opendir_at(dirfd);
	struct dirent *de;
	struct stat sb;

	if (d == NULL)
		return errbuf_set_errno(p->err, "%s/%s: opendir", p->local_base, rel);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))) {
			p->st->entries_skipped++;
			continue;
		}
		if (ld->count >= PUSH_MAX_ENTRIES) {
			closedir(d);
			return errbuf_set(p->err, "%s/%s: more than %d entries", p->local_base, rel,
			    PUSH_MAX_ENTRIES);
		}
		if (ld->count == ld->alloc) {
			ld->alloc = ld->alloc > 0 ? ld->alloc * 2 : 32;
			ld->entries = xreallocarray(ld->entries, ld->alloc, sizeof(*ld->entries));
		}
		ld->entries[ld->count].name = xstrdup(de->d_name);
		ld->entries[ld->count].is_dir = S_ISDIR(sb.st_mode);
		ld->entries[ld->count++].size = (uint64_t)sb.st_size;
	}
	if (errno != 0) {
		closedir(d);
		return errbuf_set_errno(p->err, "%s/%s: readdir", p->local_base, rel);
	}
	closedir(d);
	if (ld->count > 0)
		qsort(ld->entries, ld->count, sizeof(*ld->entries), local_entry_cmp);
	return 0;
}

/* One request; a response of any status is 0. */
static int
push_request(struct push_ctx *p, const char *method, const char *path, const char *headers,
    int body_fd, uint64_t body_len, struct dav_response *res)
{
	struct dav_request req;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.headers = headers;
	req.body_fd = body_fd;
	req.body_len = body_len;
	if (strcmp(method, "GET") == 0) {
		req.keep_body = 1;
		req.max_body = PUSH_COMPARE_MAX;
	}
	return dav_client_request(p->dav, &req, res, p->err);
}

/* err: "<url>: <method>: <status> <reason>". */
static int
push_status_error(struct push_ctx *p, const char *method, const char *path,
    const struct dav_response *res)
{
	char *url = dav_client_url(p->dav, path);

	p->st->refused = 1;
	errbuf_set(p->err, "%s: %s: %d %s", url, method, res->status, res->reason);
	free(url);
	return -1;
}

static int
push_status_is(int status, const int *ok)
{
	for (; *ok != 0; ok++)
		if (status == *ok)
			return 1;
	return 0;
}

/* A request that must answer one of ok[] (0-terminated); *status gets it. */
static int
push_expect(struct push_ctx *p, const char *method, const char *path, const char *headers,
    const int *ok, int *status)
{
	struct dav_response res;
	int rc = push_request(p, method, path, headers, -1, 0, &res);

	if (rc == 0 && status != NULL)
		*status = res.status;
	if (rc == 0 && !push_status_is(res.status, ok))
		rc = push_status_error(p, method, path, &res);
	dav_response_clear(&res);
	return rc;
}

/* MKCOL path, and its missing parents (409 Conflict) up to `levels` above. */
static int
push_mkcol(struct push_ctx *p, const char *path, unsigned levels)
{
	static const int ok[] = { 201, 405, 409, 0 }, made[] = { 201, 405, 0 };
	struct dav_response conflict = { .status = 409, .reason = "Conflict (no parent collection)" };
	char *dir = xasprintf("%s/", path), *parent = xstrdup(path);
	char *slash = strrchr(parent, '/');
	int status = 0, rc = push_expect(p, "MKCOL", dir, NULL, ok, &status);

	if (rc == 0 && status == 409) {
		if (levels == 0 || slash == NULL || slash == parent) {
			rc = push_status_error(p, "MKCOL", dir, &conflict);
		} else {
			*slash = '\0';
			rc = push_mkcol(p, parent, levels - 1);
			if (rc == 0)
				rc = push_expect(p, "MKCOL", dir, NULL, made, &status);
		}
	}
	if (rc == 0 && status == 201)
		p->st->collections_made++;
	free(parent);
	free(dir);
	return rc;
}

static const int push_put_ok[] = { 200, 201, 204, 0 };

/* PUT dirfd/name to path: 0 with the response in *res (the caller clears
 * it) and the size sent in *sent, -1 when no response came. */
static int
push_put_status(struct push_ctx *p, int dirfd, const char *name, const char *rel,
    const char *path, struct dav_response *res, uint64_t *sent)
{
	struct stat sb;
	int fd, rc = -1;

	memset(res, 0, sizeof(*res));
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		errbuf_set_errno(p->err, "%s/%s", p->local_base, rel);
		goto out;
	}
	rc = push_request(p, "PUT", path, "Content-Type: application/octet-stream\r\n", fd,
	    (uint64_t)sb.st_size, res);
	*sent = (uint64_t)sb.st_size;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
push_put(struct push_ctx *p, int dirfd, const char *name, const char *rel, const char *path,
    uint64_t *sent)
{
	struct dav_response res;
	int rc = push_put_status(p, dirfd, name, rel, path, &res, sent);

	if (rc == 0 && !push_status_is(res.status, push_put_ok))
		rc = push_status_error(p, "PUT", path, &res);
	else if (rc == 0)
		p->st->bytes_put += *sent;
	dav_response_clear(&res);
	return rc;
}

/* Whether the share's copy of a top-level file holds the local bytes:
 * 1 same, 0 different, -1 error. */
static int
push_same_bytes(struct push_ctx *p, int dirfd, const char *name, const char *path)
{
	struct dav_response res;
	char *local = NULL;
	size_t len = 0;
	int rc = -1;

	if (push_request(p, "GET", path, NULL, -1, 0, &res) < 0)
		goto out;
	if (res.status != 200) {
		rc = res.status == 404 ? 0 : push_status_error(p, "GET", path, &res);
		goto out;
	}
	if (fs_read_at(dirfd, name, O_NOFOLLOW, PUSH_COMPARE_MAX, &local, &len, p->err) < 0) {
		errbuf_prefix(p->err, "%s/%s", p->local_base, name);
		goto out;
	}
	rc = len == res.body_len && memcmp(local, res.body, len) == 0;
out:
	free(local);
	dav_response_clear(&res);
	return rc;
}

/* Whether a local file must be sent: 1 yes, 0 no, -1 error. */
static int
push_file_needed(struct push_ctx *p, int dirfd, const struct local_entry *le,
    const struct dav_entry *re, const char *path, unsigned depth)
{
	if (re == NULL || re->is_collection || re->size < 0 || (uint64_t)re->size != le->size)
		return 1;
	if (depth > 0 || le->size > PUSH_COMPARE_MAX)
		return 0;	/* a published folder never changes: same name and size */
	switch (push_same_bytes(p, dirfd, le->name, path)) {
	case 1:
		return 0;
	case 0:
		return 1;
	default:
		return -1;
	}
}

static int
push_file(struct push_ctx *p, int dirfd, const char *rel, const struct local_entry *le,
    const struct dav_listing *rl, const char *rpath, unsigned depth)
{
	char *path = dav_path_child(rpath, le->name), *frel = push_rel_child(rel, le->name);
	uint64_t sent = 0;
	int rc = push_file_needed(p, dirfd, le, dav_listing_find(rl, le->name), path, depth);

	if (rc == 0)
		p->st->files_present++;
	else if (rc == 1 && (rc = push_put(p, dirfd, le->name, frel, path, &sent)) == 0) {
		p->st->files_put++;
		push_notify(p, PUSH_PUT, frel, sent);
	}
	free(path);
	free(frel);
	return rc < 0 ? -1 : 0;
}

/* PUT to a temporary name, then MOVE over the index (1), or 0 when the
 * server turned MOVE or the temporary name down (the caller PUTs directly). */
static int
push_index_move(struct push_ctx *p, int dirfd, const char *name, const char *rpath,
    const char *path, uint64_t *sent)
{
	static const int moved[] = { 201, 204, 0 }, gone[] = { 200, 204, 404, 0 };
	char *tmpname = xasprintf(".storemirror-%s.tmp", name);
	char *tmp = dav_path_child(rpath, tmpname), *dest = dav_client_url(p->dav, path);
	char *headers = xasprintf("Destination: %s\r\nOverwrite: T\r\n", dest);
	struct dav_response res;
	int rc = push_put_status(p, dirfd, name, name, tmp, &res, sent);

	if (rc < 0)
		goto out;
	rc = -1;
	if (res.status == 403 || res.status == 405) {
		rc = 0;		/* the temporary name refused: a direct PUT */
		goto out;
	}
	if (!push_status_is(res.status, push_put_ok)) {
		push_status_error(p, "PUT", tmp, &res);
		goto out;
	}
	dav_response_clear(&res);
	if (push_request(p, "MOVE", tmp, headers, -1, 0, &res) < 0)
		goto out;
	if (res.status == 405 || res.status == 501) {
		rc = push_expect(p, "DELETE", tmp, NULL, gone, NULL) < 0 ? -1 : 0;
		goto out;
	}
	rc = push_status_is(res.status, moved) ? 1 : push_status_error(p, "MOVE", tmp, &res);
out:
	dav_response_clear(&res);
	free(headers);
	free(dest);
	free(tmp);
	free(tmpname);
	return rc;
}

/* OPTIONS on the collection: whether the share allows MOVE (its Allow
 * header; -1 when it has none: MOVE is tried). */
static int
push_ask_move(struct push_ctx *p, const char *rpath)
{
	struct dav_response res;
	char *path = xasprintf("%s/", rpath);
	int rc = push_request(p, "OPTIONS", path, NULL, -1, 0, &res);

	if (rc == 0 && res.status >= 400)
		rc = push_status_error(p, "OPTIONS", path, &res);
	else if (rc == 0)
		p->move = dav_response_allows(&res, "MOVE");
	dav_response_clear(&res);
	free(path);
	return rc;
}

static int
push_index(struct push_ctx *p, int dirfd, const struct local_entry *le,
    const struct dav_listing *rl, const char *rpath)
{
	char *path = dav_path_child(rpath, le->name);
	uint64_t sent = 0;
	int need = push_file_needed(p, dirfd, le, dav_listing_find(rl, le->name), path, 0);
	int moved = 0, rc = -1;

	if (need <= 0) {
		p->st->indexes_unchanged += need == 0;
		rc = need;
		goto out;
	}
	if (p->move == PUSH_MOVE_UNASKED && push_ask_move(p, rpath) < 0)
		goto out;
	if (p->move != 0) {
		moved = push_index_move(p, dirfd, le->name, rpath, path, &sent);
		if (moved < 0)
			goto out;
		p->move = moved;
	}
	if (moved)
		p->st->bytes_put += sent;
	else if (push_put(p, dirfd, le->name, le->name, path, &sent) < 0)
		goto out;
	p->st->indexes_put++;
	push_notify(p, PUSH_INDEX, le->name, sent);
	rc = 0;
out:
	free(path);
	return rc;
}

static int push_dir(struct push_ctx *p, int dirfd, const char *rel, const char *rpath,
    unsigned depth);

static int
push_subdir(struct push_ctx *p, int dirfd, const char *rel, const char *name, const char *rpath,
    unsigned depth)
{
	char *srel = push_rel_child(rel, name), *spath = dav_path_child(rpath, name);
	int fd = fs_open_subdir(dirfd, name, FS_SUBDIR_OPEN, p->err), rc = -1;

	if (fd < 0) {
		errbuf_prefix(p->err, "%s/%s", p->local_base, rel);
		goto out;
	}
	if (store_folder_removed(fd)) {
		p->st->folders_removed++;
		rc = 0;
	} else {
		rc = push_dir(p, fd, srel, spath, depth + 1);
	}
	close(fd);
out:
	free(srel);
	free(spath);
	return rc;
}

/* One folder: its collection (made if missing), its files, its subfolders,
 * and at the top the indexes last. */
static int
push_dir(struct push_ctx *p, int dirfd, const char *rel, const char *rpath, unsigned depth)
{
	struct local_dir ld = { 0 };
	struct dav_listing rl = { 0 };
	int rc = -1, listed, status;

	if (depth > PUSH_MAX_DEPTH) {
		errbuf_set(p->err, "%s/%s: more than %d folder levels", p->local_base, rel,
		    PUSH_MAX_DEPTH);
		goto out;
	}
	if (local_dir_read(p, dirfd, rel, &ld) < 0)
		goto out;
	listed = dav_list(p->dav, rpath, &rl, &status, p->err);
	if (listed < 0 && status != 0)
		p->st->refused = 1;
	if (listed < 0 || (listed == 1 && push_mkcol(p, rpath, depth == 0 ? 8 : 0) < 0))
		goto out;
	if (listed == 1)
		push_notify(p, PUSH_MKCOL, rel, 0);
	for (size_t i = 0; i < ld.count; i++)
		if (!ld.entries[i].is_dir && !(depth == 0 && push_is_index(ld.entries[i].name)) &&
		    push_file(p, dirfd, rel, &ld.entries[i], &rl, rpath, depth) < 0)
			goto out;
	for (size_t i = 0; i < ld.count; i++)
		if (ld.entries[i].is_dir &&
		    push_subdir(p, dirfd, rel, ld.entries[i].name, rpath, depth) < 0)
			goto out;
	for (size_t i = 0; depth == 0 && i < ld.count; i++)
		if (!ld.entries[i].is_dir && push_is_index(ld.entries[i].name) &&
		    push_index(p, dirfd, &ld.entries[i], &rl, rpath) < 0)
			goto out;
	rc = 0;
out:
	dav_listing_free(&rl);
	local_dir_free(&ld);
	return rc;
}

static int
push_open_download(const struct push_config *cfg, struct push_ctx *p)
{
	char *rel = xasprintf("%s/%s", cfg->channel, STORE_DOWNLOAD_DIR);
	int rootfd, fd = -1;

	if (!store_channel_name_valid(cfg->channel)) {
		errbuf_set(p->err, "%s: not a valid channel name", cfg->channel);
		goto out;
	}
	rootfd = open(cfg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		errbuf_set_errno(p->err, "%s", cfg->root);
		goto out;
	}
	fd = fs_open_dir_nofollow(rootfd, rel, strlen(rel));
	if (fd < 0)
		errbuf_set_errno(p->err, "%s", p->local_base);
	close(rootfd);
out:
	free(rel);
	return fd;
}

int
push_channel(const struct push_config *cfg, struct push_stats *st, struct errbuf *err)
{
	struct push_ctx p = { .cfg = cfg, .st = st, .err = err,
	    .move = PUSH_MOVE_UNASKED };
	struct dav_client_config dc = { .user = cfg->user, .password = cfg->password,
	    .timeout = cfg->timeout, .ca_file = cfg->ca_file };
	int dlfd, rc = -1;

	memset(st, 0, sizeof(*st));
	p.local_base = xasprintf("%s/%s/%s", cfg->root, cfg->channel, STORE_DOWNLOAD_DIR);
	dlfd = push_open_download(cfg, &p);
	if (dlfd < 0)
		goto out;
	p.dav = dav_client_create(cfg->dav_url, &dc, err);
	if (p.dav == NULL)
		goto out;
	rc = push_dir(&p, dlfd, "", dav_client_base_path(p.dav), 0);
	st->indexes_moved = p.move == 1;
out:
	if (dlfd >= 0)
		close(dlfd);
	dav_client_free(p.dav);
	free(p.local_base);
	return rc;
}
