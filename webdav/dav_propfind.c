/*
 * dav_propfind.c: PROPFIND (RFC 4918 9.1) over the namespace of
 * dav_handler.h.
 *
 * Depth 0 and 1 only: a missing Depth header means infinity (RFC 4918
 * 10.2), and both are refused with 403 and <D:propfind-finite-depth/>
 * before the body is read.  The target is opened in prepare (404 early),
 * the body parsed by dav_xml_parse_propfind() (400/413), and the answer is
 * one 207 Multistatus built in one growing buffer (dav_ms).
 *
 * What each area lists: the root its served channels, a channel its
 * download/ and incoming/ (incoming/ is made when missing), download/ and
 * incoming/ their real contents.  Hidden names (a leading '.') are never
 * listed, except Finder's ".DS_Store" and "._*" in incoming/ (url_path.h's
 * rule), and never a temporary ".*.tmp-*" file; a build or platform version
 * folder of download/ marked removed is left out (it is "never indexed").
 * A member is stat'ed once with statx(2) against the listed folder's
 * descriptor (no path resolution from the root); a symlink is followed only
 * when it stays below that folder (fs_open_beneath), otherwise skipped.
 *
 * The properties of each resource are dav_propfind_props.c's
 * (dav_propfind.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dav_engine.h"
#include "dav_handler.h"
#include "dav_propfind.h"
#include "dav_xml.h"
#include "fs_open.h"
#include "log.h"
#include "read_path.h"
#include "store_layout.h"
#include "xmalloc.h"

#define PF_INCOMING_DIR		"incoming"
#define PF_MAX_MEMBERS		100000	/* members in one Depth 1 answer */

/* From prepare to cleanup. */
struct pf_state {
	int depth;		/* 0 or 1 */
	int fd;			/* the target, O_PATH */
};

/* ---- stat ---- */

static int
pf_stat_at(int dirfd, const char *name, int flags, struct pf_stat *ps)
{
	struct statx stx;

	if (statx(dirfd, name, flags | AT_STATX_DONT_SYNC, STATX_BASIC_STATS | STATX_BTIME,
	    &stx) == -1)
		return -1;
	ps->mode = stx.stx_mode;
	ps->size = (off_t)stx.stx_size;
	ps->mtime.tv_sec = stx.stx_mtime.tv_sec;
	ps->mtime.tv_nsec = stx.stx_mtime.tv_nsec;
	if (stx.stx_mask & STATX_BTIME)
		ps->created = stx.stx_btime.tv_sec;
	else
		ps->created = stx.stx_ctime.tv_sec < stx.stx_mtime.tv_sec ?
		    stx.stx_ctime.tv_sec : stx.stx_mtime.tv_sec;
	return 0;
}

static int
pf_stat_fd(int fd, struct pf_stat *ps)
{
	return pf_stat_at(fd, "", AT_EMPTY_PATH, ps);
}

/* A member of the folder dirfd: not following a symlink unless it stays
 * below the folder.  0, or -1 when it is gone or leads out. */
static int
pf_stat_member(int dirfd, const char *name, struct pf_stat *ps)
{
	int fd, rc;

	if (pf_stat_at(dirfd, name, AT_SYMLINK_NOFOLLOW, ps) == -1)
		return -1;
	if (!S_ISLNK(ps->mode))
		return 0;
	if ((fd = fs_open_beneath(dirfd, name, O_PATH)) == -1)
		return -1;
	rc = pf_stat_fd(fd, ps);
	close(fd);
	return rc;
}

/* ---- members ---- */

/* May a member of a listed folder be shown?  Not a hidden name (but
 * Finder's in incoming/), never a temporary file, and nothing the path
 * canonicaliser would refuse (a control character, a backslash). */
static int
pf_name_listable(const char *name, int incoming)
{
	if (name[0] == '.') {
		if (!incoming || strstr(name, ".tmp-") != NULL)
			return 0;
		if (strcmp(name, ".DS_Store") != 0 && !(name[1] == '_' && name[2] != '\0'))
			return 0;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	return 1;
}

/* A build or platform version folder of download/ marked removed
 * (store_layout.h): still served, never listed. */
static int
pf_member_removed(int dirfd, const char *name)
{
	char mark[NAME_MAX + sizeof(STORE_REMOVED_MARK) + 2];
	struct stat st;

	snprintf(mark, sizeof(mark), "%s/%s", name, STORE_REMOVED_MARK);
	return fstatat(dirfd, mark, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* out = a b c (PF_HREF_MAX bytes, cut short if need be); snprintf() is
 * too slow for a folder of many members. */
static void
pf_join(char out[PF_HREF_MAX], const char *a, const char *b, const char *c)
{
	const char *parts[3] = { a, b, c };
	size_t len = 0;

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(parts[i]);

		if (n > PF_HREF_MAX - 1 - len)
			n = PF_HREF_MAX - 1 - len;
		memcpy(out + len, parts[i], n);
		len += n;
	}
	out[len] = '\0';
}

/* Describes the member `name` of the folder whose href is base (ending in
 * '/') and whose incoming/ path is base_rel (NULL outside incoming/). */
static void
pf_member(struct pf_run *r, const char *base, const char *base_rel, const char *name,
    const struct pf_stat *st)
{
	char href[PF_HREF_MAX], rel[PF_HREF_MAX];
	struct pf_entry e = { .href = href, .name = name, .st = *st };
	int dir = S_ISDIR(st->mode);

	pf_join(href, base, name, dir ? "/" : "");
	if (base_rel != NULL) {
		e.incoming = 1;
		pf_join(rel, base_rel, base_rel[0] != '\0' ? "/" : "", name);
		e.rel = rel;
	}
	pf_describe(r, &e);
}

/* Lists the folder fd of download/ or incoming/.  0, or -1 with *status. */
static int
pf_list_folder(struct pf_run *r, int fd, const char *base, const char *base_rel, int *status)
{
	int incoming = base_rel != NULL;
	struct dirent *de;
	struct pf_stat st;
	DIR *dir;
	int rc = 0;

	if ((dir = fs_opendir_at(fd)) == NULL) {
		*status = fs_errno_http_status(errno);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!pf_name_listable(de->d_name, incoming) ||
		    pf_stat_member(fd, de->d_name, &st) == -1 ||
		    !(S_ISREG(st.mode) || S_ISDIR(st.mode)))
			continue;
		if (!incoming && S_ISDIR(st.mode) && pf_member_removed(fd, de->d_name))
			continue;
		if (++r->members > PF_MAX_MEMBERS) {
			*status = 507;
			rc = -1;
			break;
		}
		pf_member(r, base, base_rel, de->d_name, &st);
	}
	closedir(dir);
	return rc;
}

/* The root's members: its served channels. */
static int
pf_list_root(struct pf_run *r, int fd, int *status)
{
	struct dirent *de;
	struct pf_stat st;
	DIR *dir;

	if ((dir = fs_opendir_at(fd)) == NULL) {
		*status = fs_errno_http_status(errno);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' ||
		    !read_path_channel_served(fd, de->d_name, strlen(de->d_name)) ||
		    pf_stat_at(fd, de->d_name, AT_SYMLINK_NOFOLLOW, &st) == -1)
			continue;
		pf_member(r, "/", NULL, de->d_name, &st);
	}
	closedir(dir);
	return 0;
}

/* A channel's incoming/ folder, made when missing: `path` is "incoming"
 * below the channel's folder dirfd, or "<channel>/incoming" below the
 * root.  A descriptor, or -1 with errno set. */
static int
pf_open_incoming(int dirfd, const char *path)
{
	struct errbuf err;
	int fd = fs_open_subdir(dirfd, path, FS_SUBDIR_ENSURE, &err), saved = errno;

	if (fd == -1) {
		log_warnx("webdav: %s", err.msg);
		errno = saved;
	}
	return fd;
}

/* A channel's members: download/ and incoming/ (lockable, and its dead
 * properties are those of incoming/'s root, rel ""). */
static int
pf_list_channel(struct pf_run *r, int fd, const char *base, int *status)
{
	char href[PF_HREF_MAX];
	struct pf_entry e = { .href = href, .name = PF_INCOMING_DIR, .incoming = 1, .rel = "" };
	struct pf_stat st;
	int inc;

	if (pf_stat_at(fd, STORE_DOWNLOAD_DIR, AT_SYMLINK_NOFOLLOW, &st) == 0 && S_ISDIR(st.mode))
		pf_member(r, base, NULL, STORE_DOWNLOAD_DIR, &st);
	if ((inc = pf_open_incoming(fd, PF_INCOMING_DIR)) == -1 || pf_stat_fd(inc, &e.st) == -1) {
		*status = fs_errno_http_status(errno);
		if (inc != -1)
			close(inc);
		return -1;
	}
	close(inc);
	pf_join(href, base, PF_INCOMING_DIR, "/");
	pf_describe(r, &e);
	return 0;
}

/* ---- the target ---- */

/* Opens the target (O_PATH): 0, or -1 with *status. */
static int
pf_open_target(struct dav_call *c, int *fdp, int *status)
{
	const struct dav_target *t = &c->target;
	char area[DAV_CHANNEL_MAX + sizeof(STORE_DOWNLOAD_DIR) + 2];
	int afd, fd;

	*fdp = -1;
	switch (t->area) {
	case DAV_AREA_ROOT:
		fd = fs_open_dir_nofollow(c->ctx->root_fd, "", 0);
		break;
	case DAV_AREA_CHANNEL:
		fd = fs_open_dir_nofollow(c->ctx->root_fd, t->channel, strlen(t->channel));
		break;
	case DAV_AREA_DOWNLOAD:
	case DAV_AREA_INCOMING:
	default:
		snprintf(area, sizeof(area), "%s/%s", t->channel,
		    t->area == DAV_AREA_DOWNLOAD ? STORE_DOWNLOAD_DIR : PF_INCOMING_DIR);
		if (t->area == DAV_AREA_DOWNLOAD)
			afd = fs_open_dir_nofollow(c->ctx->root_fd, area, strlen(area));
		else
			afd = pf_open_incoming(c->ctx->root_fd, area);
		if (afd == -1 || t->rel[0] == '\0') {
			fd = afd;
			break;
		}
		fd = fs_open_beneath(afd, t->rel, O_PATH);
		close(afd);
		break;
	}
	if (fd == -1) {
		*status = fs_errno_http_status(errno);
		return -1;
	}
	*fdp = fd;
	return 0;
}

/* Describes the target and, at Depth 1, its members.  0, or -1 with
 * *status. */
static int
pf_walk(struct pf_run *r, int fd, int depth, int *status)
{
	const struct dav_target *t = &r->c->target;
	char href[PF_HREF_MAX];
	struct pf_entry e = { .href = href, .name = dav_target_name(t) };
	int dir;

	if (pf_stat_fd(fd, &e.st) == -1) {
		*status = fs_errno_http_status(errno);
		return -1;
	}
	dir = S_ISDIR(e.st.mode);
	snprintf(href, sizeof(href), "%s%s", t->path, dir && t->area != DAV_AREA_ROOT ? "/" : "");
	if (t->area == DAV_AREA_INCOMING) {
		e.incoming = 1;
		e.rel = t->rel;
	}
	pf_describe(r, &e);
	if (depth == 0 || !dir)
		return 0;
	switch (t->area) {
	case DAV_AREA_ROOT:
		return pf_list_root(r, fd, status);
	case DAV_AREA_CHANNEL:
		return pf_list_channel(r, fd, href, status);
	case DAV_AREA_DOWNLOAD:
	case DAV_AREA_INCOMING:
	default:
		return pf_list_folder(r, fd, href, e.incoming ? t->rel : NULL, status);
	}
}

/* The Depth header (RFC 4918 10.2): 0 or 1, or -1 with *status: 403 for
 * infinity and for none (which means infinity), 400 for anything else. */
static int
pf_depth(struct dav_request *req, int *status)
{
	const char *depth = dav_request_header(req, "Depth");

	if (depth == NULL || strcasecmp(depth, "infinity") == 0) {
		*status = 403;
		return -1;
	}
	if (strcmp(depth, "0") == 0 || strcmp(depth, "1") == 0)
		return depth[0] - '0';
	*status = 400;
	return -1;
}

static int
pf_prepare(struct dav_call *c)
{
	struct pf_state *s;
	int depth, fd, status;

	if ((depth = pf_depth(c->req, &status)) == -1) {
		if (status == 403)
			dav_reply_condition(c->req, 403, "propfind-finite-depth");
		else
			dav_reply_error(c->req, status, "Depth must be 0 or 1");
		return 1;
	}
	if (pf_open_target(c, &fd, &status) == -1) {
		dav_reply_error(c->req, status, NULL);
		return 1;
	}
	s = xcalloc(1, sizeof(*s));
	s->depth = depth;
	s->fd = fd;
	c->state = s;
	return 0;
}

static void
pf_run(struct dav_call *c)
{
	struct pf_state *s = c->state;
	struct pf_run r = { .c = c };
	struct dav_xml_buf out = { 0 };
	struct errbuf err;
	size_t len;
	const char *body = dav_request_body(c->req, &len);
	int status;

	if (dav_xml_parse_propfind(body, len, &r.q, &status, &err) == -1) {
		dav_reply_error(c->req, status, err.msg);
		goto done;
	}
	pf_props_begin(&r);
	r.ms = dav_ms_create();
	if (pf_walk(&r, s->fd, s->depth, &status) == -1) {
		dav_reply_error(c->req, status,
		    status == 507 ? "the folder has too many members to list" : NULL);
		goto done;
	}
	dav_ms_finish(r.ms, &out);
	dav_reply_xml(c->req, 207, &out);
done:
	dav_ms_free(r.ms);
	pf_props_end(&r);
	dav_propfind_free(&r.q);
}

static void
pf_cleanup(struct dav_call *c)
{
	struct pf_state *s = c->state;

	if (s == NULL)
		return;
	if (s->fd != -1)
		close(s->fd);
	free(s);
	c->state = NULL;
}

const struct dav_handler dav_handler_propfind = {
	"PROPFIND", DAV_BODY_MEMORY, 0, pf_prepare, pf_run, pf_cleanup
};
