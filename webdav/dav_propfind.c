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
 * Live properties: resourcetype, creationdate (the birth time when the file
 * system keeps one, else the older of mtime and ctime), displayname,
 * getlastmodified, supportedlock (the lock entries in incoming/, empty
 * elsewhere, where LOCK is refused), lockdiscovery (dav_lock_discovery),
 * and for files getcontentlength, getcontenttype (mime.h) and getetag (the
 * ETag GET gives); for the folders of incoming/ the RFC 4331 quotas
 * (quota-available-bytes: the free space less the importer's reserve,
 * quota-used-bytes: the file system's used space), only when asked by name
 * or in propname, as RFC 4331 3 wants.  Dead properties (dav_props) belong
 * to incoming/ only.  allprop returns every other live and every dead
 * property, so <include> adds nothing.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "dav_engine.h"
#include "dav_handler.h"
#include "dav_props.h"
#include "dav_xml.h"
#include "fs_open.h"
#include "http_date.h"
#include "log.h"
#include "mime.h"
#include "read_path.h"
#include "store_layout.h"
#include "xmalloc.h"

#define PF_INCOMING_DIR		"incoming"
#define PF_MAX_MEMBERS		100000	/* members in one Depth 1 answer */
#define PF_HREF_MAX		(URL_PATH_MAX + NAME_MAX + 4)
#define PF_ISO_DATE_LEN		24	/* "1997-12-01T17:42:21Z" and NUL */

/* What PROPFIND tells of a resource. */
struct pf_stat {
	mode_t mode;
	off_t size;
	struct timespec mtime;
	time_t created;
};

/* One resource to describe. */
struct pf_entry {
	const char *href;	/* decoded; a collection's ends in '/' */
	const char *name;	/* its last segment ("" for the root) */
	int incoming;		/* in incoming/ (lockable) */
	const char *rel;	/* below incoming/, for its dead properties; or NULL */
	struct pf_stat st;
};

/* From prepare to cleanup. */
struct pf_state {
	int depth;		/* 0 or 1 */
	int fd;			/* the target, O_PATH */
};

/* One answer being built. */
struct pf_run {
	struct dav_call *c;
	struct dav_propfind q;
	int want_dead;		/* dead properties are read */
	struct dav_props *props;	/* incoming/'s, or NULL */
	int props_failed;	/* they could not be opened: 500 for asked ones */
	const struct pf_live **asked;	/* prop: the live property of each name, or NULL */
	struct dav_ms *ms;
	size_t members;
	int quota_known;	/* fstatvfs() answered: */
	uint64_t quota_available, quota_used;
	/* the last dates written: members of a folder often share them */
	time_t modified_at, created_at;
	char modified[HTTP_DATE_LEN], created[PF_ISO_DATE_LEN];
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

/* ---- live properties ---- */

static void
pf_text(struct pf_run *r, const char *name, const char *text)
{
	dav_ms_prop_text(r->ms, 200, DAV_NS, name, text);
}

/* A value with nothing to escape (digits, dates, a quoted ETag, a media
 * type). */
static void
pf_plain(struct pf_run *r, const char *name, const char *text)
{
	dav_ms_prop_xml(r->ms, 200, DAV_NS, name, text, NULL);
}

static void
pf_resourcetype(struct pf_run *r, const struct pf_entry *e)
{
	dav_ms_prop_xml(r->ms, 200, DAV_NS, "resourcetype",
	    S_ISDIR(e->st.mode) ? DAV_XML_COLLECTION : NULL, NULL);
}

static void
pf_creationdate(struct pf_run *r, const struct pf_entry *e)
{
	struct tm tm;

	if (r->created[0] == '\0' || r->created_at != e->st.created) {
		r->created_at = e->st.created;
		if (gmtime_r(&e->st.created, &tm) == NULL ||
		    strftime(r->created, sizeof(r->created), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(r->created, sizeof(r->created), "1970-01-01T00:00:00Z");
	}
	pf_plain(r, "creationdate", r->created);
}

static void
pf_displayname(struct pf_run *r, const struct pf_entry *e)
{
	pf_text(r, "displayname", e->name);
}

static void
pf_getlastmodified(struct pf_run *r, const struct pf_entry *e)
{
	if (r->modified[0] == '\0' || r->modified_at != e->st.mtime.tv_sec) {
		r->modified_at = e->st.mtime.tv_sec;
		http_date_format(r->modified_at, r->modified);
	}
	pf_plain(r, "getlastmodified", r->modified);
}

/* A number in decimal, without snprintf() (one per member); points into
 * digits. */
static const char *
pf_decimal(char digits[24], uint64_t n)
{
	char *p = digits + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	return p;
}

static void
pf_getcontentlength(struct pf_run *r, const struct pf_entry *e)
{
	char digits[24];

	pf_plain(r, "getcontentlength", pf_decimal(digits, e->st.size > 0 ?
	    (uint64_t)e->st.size : 0));
}

/* RFC 4331 quotas of incoming/'s collections: what uploads may still use
 * (the free space less the reserve kept for imports) and what the store's
 * file system holds; what Finder and Windows show as free space. */
static void
pf_quota_available(struct pf_run *r, const struct pf_entry *e)
{
	char digits[24];

	(void)e;
	pf_plain(r, "quota-available-bytes", pf_decimal(digits, r->quota_available));
}

static void
pf_quota_used(struct pf_run *r, const struct pf_entry *e)
{
	char digits[24];

	(void)e;
	pf_plain(r, "quota-used-bytes", pf_decimal(digits, r->quota_used));
}

static void
pf_getcontenttype(struct pf_run *r, const struct pf_entry *e)
{
	pf_plain(r, "getcontenttype", mime_type_for(e->name));	/* mime.h: no markup */
}

static void
pf_getetag(struct pf_run *r, const struct pf_entry *e)
{
	char etag[HTTP_ETAG_LEN];
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_size = e->st.size;
	st.st_mtim = e->st.mtime;
	dav_etag_of(&st, etag);
	pf_plain(r, "getetag", etag);
}

static void
pf_supportedlock(struct pf_run *r, const struct pf_entry *e)
{
	dav_ms_prop_xml(r->ms, 200, DAV_NS, "supportedlock",
	    e->incoming ? DAV_XML_SUPPORTEDLOCK : NULL, NULL);
}

static void
pf_lockdiscovery(struct pf_run *r, const struct pf_entry *e)
{
	struct dav_xml_buf locks = { 0 };
	char root[PF_HREF_MAX];
	size_t len = strlen(e->href);

	if (e->incoming) {	/* lock roots have no trailing '/' */
		snprintf(root, sizeof(root), "%.*s", (int)(len > 1 && e->href[len - 1] == '/' ?
		    len - 1 : len), e->href);
		dav_lock_discovery(r->c->ctx, root, r->c->now, &locks);
	}
	dav_ms_prop_xml(r->ms, 200, DAV_NS, "lockdiscovery", locks.data, NULL);
	dav_xml_buf_free(&locks);
}

/* Where a live property is defined. */
#define PF_FILES	0x1u
#define PF_DIRS		0x2u
#define PF_ANY		(PF_FILES | PF_DIRS)
/* incoming/'s folders, when pf_quota() ran: never for allprop (RFC 4331 3) */
#define PF_QUOTA	0x4u

static const struct pf_live {
	const char *name;
	unsigned where;
	void (*write)(struct pf_run *r, const struct pf_entry *e);
} pf_lives[] = {
	{ "resourcetype", PF_ANY, pf_resourcetype },
	{ "creationdate", PF_ANY, pf_creationdate },
	{ "displayname", PF_ANY, pf_displayname },
	{ "getcontentlength", PF_FILES, pf_getcontentlength },
	{ "getcontenttype", PF_FILES, pf_getcontenttype },
	{ "getetag", PF_FILES, pf_getetag },
	{ "getlastmodified", PF_ANY, pf_getlastmodified },
	{ "supportedlock", PF_ANY, pf_supportedlock },
	{ "lockdiscovery", PF_ANY, pf_lockdiscovery },
	{ "quota-available-bytes", PF_DIRS | PF_QUOTA, pf_quota_available },
	{ "quota-used-bytes", PF_DIRS | PF_QUOTA, pf_quota_used },
};
#define PF_NLIVES	(sizeof(pf_lives) / sizeof(pf_lives[0]))

static int
pf_live_applies(const struct pf_run *r, const struct pf_live *live, const struct pf_entry *e)
{
	if (!(live->where & (S_ISDIR(e->st.mode) ? PF_DIRS : PF_FILES)))
		return 0;
	return !(live->where & PF_QUOTA) || (e->incoming && r->quota_known);
}

/* The live property of that name, or NULL. */
static const struct pf_live *
pf_live_find(const struct dav_qname *q)
{
	if (strcmp(q->ns, DAV_NS) != 0)
		return NULL;
	for (size_t i = 0; i < PF_NLIVES; i++)
		if (strcmp(pf_lives[i].name, q->name) == 0)
			return &pf_lives[i];
	return NULL;
}

/* ---- one resource ---- */

/* A path with a Finder name ("._x", ".DS_Store"): dav_props keeps
 * nothing for it. */
static int
pf_rel_hidden(const char *rel)
{
	return rel[0] == '.' || strstr(rel, "/.") != NULL;
}

/* Its dead properties: 0 (maybe none), or -1 when they cannot be read. */
static int
pf_dead_load(struct pf_run *r, const struct pf_entry *e, struct dav_proplist *dead)
{
	struct errbuf err;

	if (!r->want_dead || e->rel == NULL || pf_rel_hidden(e->rel))
		return 0;
	if (r->props == NULL)
		return r->props_failed ? -1 : 0;
	if (dav_props_get(r->props, e->rel, dead, &err) == -1) {
		log_warnx("webdav: PROPFIND %s: %s", e->href, err.msg);
		return -1;
	}
	return 0;
}

static const struct dav_prop *
pf_dead_find(const struct dav_proplist *dead, const struct dav_qname *q)
{
	for (size_t i = 0; i < dead->count; i++)
		if (strcmp(dead->props[i].name, q->name) == 0 &&
		    strcmp(dead->props[i].ns, q->ns) == 0)
			return &dead->props[i];
	return NULL;
}

static void
pf_describe_all(struct pf_run *r, const struct pf_entry *e, const struct dav_proplist *dead)
{
	for (size_t i = 0; i < PF_NLIVES; i++)
		if (pf_live_applies(r, &pf_lives[i], e))
			pf_lives[i].write(r, e);
	for (size_t i = 0; i < dead->count; i++)
		dav_ms_prop_xml(r->ms, 200, dead->props[i].ns, dead->props[i].name,
		    dead->props[i].value, NULL);
}

static void
pf_describe_names(struct pf_run *r, const struct pf_entry *e, const struct dav_proplist *dead)
{
	for (size_t i = 0; i < PF_NLIVES; i++)
		if (pf_live_applies(r, &pf_lives[i], e))
			dav_ms_prop_name(r->ms, 200, DAV_NS, pf_lives[i].name);
	for (size_t i = 0; i < dead->count; i++)
		dav_ms_prop_name(r->ms, 200, dead->props[i].ns, dead->props[i].name);
}

/* The asked properties; one missing is 404 (500 when the dead properties
 * could not be read). */
static void
pf_describe_asked(struct pf_run *r, const struct pf_entry *e, const struct dav_proplist *dead,
    int missing)
{
	for (size_t i = 0; i < r->q.n_names; i++) {
		const struct dav_qname *q = &r->q.names[i];
		const struct pf_live *live = r->asked[i];
		const struct dav_prop *p;

		if (live != NULL && pf_live_applies(r, live, e))
			live->write(r, e);
		else if (live == NULL && (p = pf_dead_find(dead, q)) != NULL)
			dav_ms_prop_xml(r->ms, 200, q->ns, q->name, p->value, NULL);
		else
			dav_ms_prop_name(r->ms, live != NULL ? 404 : missing, q->ns, q->name);
	}
}

static void
pf_describe(struct pf_run *r, const struct pf_entry *e)
{
	struct dav_proplist dead = { 0 };
	int missing = 404;

	if (pf_dead_load(r, e, &dead) == -1)
		missing = 500;
	dav_ms_response_begin(r->ms, e->href);
	switch (r->q.kind) {
	case DAV_PROPFIND_PROPNAME:
		pf_describe_names(r, e, &dead);
		break;
	case DAV_PROPFIND_PROP:
		pf_describe_asked(r, e, &dead, missing);
		break;
	case DAV_PROPFIND_ALLPROP:
	default:
		pf_describe_all(r, e, &dead);
		break;
	}
	dav_proplist_free(&dead);
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

/* The quotas, once per request: for propname, and a prop that names one
 * (not for allprop). */
static void
pf_quota(struct pf_run *r)
{
	int wanted = r->q.kind == DAV_PROPFIND_PROPNAME;
	struct statvfs vfs;
	uint64_t avail;

	for (size_t i = 0; i < r->q.n_names && !wanted; i++)
		wanted = r->asked[i] != NULL && (r->asked[i]->where & PF_QUOTA);
	if (!wanted || fstatvfs(r->c->ctx->root_fd, &vfs) == -1)
		return;
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	r->quota_available = avail > r->c->ctx->reserve_bytes ? avail - r->c->ctx->reserve_bytes : 0;
	r->quota_used = (uint64_t)(vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
	r->quota_known = 1;
}

/* Looks the asked names up once.  Dead properties are read for allprop,
 * propname, and a prop that asks for a name outside DAV: (they are never
 * in DAV:, PROPPATCH protects it). */
static void
pf_open_props(struct pf_run *r)
{
	struct errbuf err;

	r->want_dead = r->q.kind != DAV_PROPFIND_PROP;
	r->asked = xcalloc(r->q.n_names + 1, sizeof(*r->asked));
	for (size_t i = 0; i < r->q.n_names; i++) {
		r->asked[i] = pf_live_find(&r->q.names[i]);
		if (strcmp(r->q.names[i].ns, DAV_NS) != 0)
			r->want_dead = 1;
	}
	pf_quota(r);
	if (!r->want_dead || (r->c->target.area != DAV_AREA_INCOMING &&
	    r->c->target.area != DAV_AREA_CHANNEL))
		return;
	if ((r->props = dav_ctx_props(r->c->ctx, r->c->target.channel, &err)) == NULL) {
		log_warnx("webdav: PROPFIND %s: %s", r->c->target.path, err.msg);
		r->props_failed = 1;
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
	pf_open_props(&r);
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
	free(r.asked);
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
