/*
 * dav_propfind_props.c: the properties PROPFIND tells of one resource
 * (dav_propfind.h) - the live ones from a table, the dead ones of
 * incoming/ from dav_props, for allprop, propname and prop.
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
 * to incoming/ only; they are never in DAV: (PROPPATCH protects it), so a
 * prop naming only DAV: properties reads none.  allprop returns every other
 * live and every dead property, so <include> adds nothing.  An asked
 * property the resource does not have is 404 (500 when the dead properties
 * could not be read).  A dead property comes back with the xml:lang it was
 * set with (pf_value_store()/pf_value_load()).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "dav_handler.h"
#include "dav_propfind.h"
#include "dav_props.h"
#include "dav_xml.h"
#include "http_date.h"
#include "log.h"
#include "mime.h"
#include "xmalloc.h"

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

char *
pf_value_store(const char *xml, const char *lang, size_t *len)
{
	size_t xlen = strlen(xml), llen = lang != NULL ? strlen(lang) : 0;
	char *value;

	if (lang == NULL) {
		*len = xlen;
		return xstrdup(xml);
	}
	*len = llen + xlen + 2;
	value = xmalloc(*len + 1);
	value[0] = '\0';
	memcpy(value + 1, lang, llen + 1);
	memcpy(value + llen + 2, xml, xlen + 1);
	return value;
}

const char *
pf_value_load(const char *value, size_t len, const char **lang)
{
	size_t llen;

	*lang = NULL;
	if (len == 0 || value[0] != '\0')
		return value;
	llen = strnlen(value + 1, len - 1);
	if (llen + 1 >= len)	/* no second NUL: not one of ours */
		return "";
	*lang = value + 1;
	return value + llen + 2;
}

static void
pf_dead_write(struct pf_run *r, const struct dav_prop *p)
{
	const char *lang, *xml = pf_value_load(p->value, p->len, &lang);

	dav_ms_prop_xml(r->ms, 200, p->ns, p->name, xml, lang);
}

static void
pf_describe_all(struct pf_run *r, const struct pf_entry *e, const struct dav_proplist *dead)
{
	for (size_t i = 0; i < PF_NLIVES; i++)
		if (pf_live_applies(r, &pf_lives[i], e))
			pf_lives[i].write(r, e);
	for (size_t i = 0; i < dead->count; i++)
		pf_dead_write(r, &dead->props[i]);
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
			pf_dead_write(r, p);
		else
			dav_ms_prop_name(r->ms, live != NULL ? 404 : missing, q->ns, q->name);
	}
}

void
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
void
pf_props_begin(struct pf_run *r)
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

void
pf_props_end(struct pf_run *r)
{
	free(r->asked);
	r->asked = NULL;
}
