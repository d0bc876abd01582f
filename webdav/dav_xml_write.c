/*
 * dav_xml_write: the XML storesrv answers WebDAV requests with - the
 * growing buffer, multistatus bodies, lock and error bodies.  The contract
 * is in dav_xml.h; the parsers are dav_xml.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dav_xml.h"
#include "dav_xml_buf.h"
#include "http_status.h"
#include "xmalloc.h"

/* --- growing buffer --- */

void
dav_xml_buf_add(struct dav_xml_buf *buf, const char *s, size_t n)
{
	if (buf->len + n + 1 > buf->cap) {
		size_t cap = buf->cap ? buf->cap : 256;

		while (buf->len + n + 1 > cap)
			cap *= 2;
		buf->data = xreallocarray(buf->data, cap, 1);
		buf->cap = cap;
	}
	memcpy(buf->data + buf->len, s, n);
	buf->len += n;
	buf->data[buf->len] = '\0';
}

void
dav_xml_buf_str(struct dav_xml_buf *buf, const char *s)
{
	dav_xml_buf_add(buf, s, strlen(s));
}

void
dav_xml_buf_printf(struct dav_xml_buf *buf, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(small)) {
		dav_xml_buf_add(buf, small, (size_t)n);
	} else {
		char *big;

		va_start(ap, fmt);
		if (vasprintf(&big, fmt, ap) < 0)
			xalloc_failed("dav_xml output");
		va_end(ap);
		dav_xml_buf_str(buf, big);
		free(big);
	}
}

void
dav_xml_buf_escaped(struct dav_xml_buf *buf, const char *s, int attr)
{
	for (;; s++) {
		size_t plain = strcspn(s, attr ? "&<>\"\t\n\r" : "&<>\r");

		dav_xml_buf_add(buf, s, plain);	/* runs at once: listings are long */
		s += plain;
		if (*s == '\0')
			break;
		switch (*s) {
		case '&': dav_xml_buf_str(buf, "&amp;"); break;
		case '<': dav_xml_buf_str(buf, "&lt;"); break;
		case '>': dav_xml_buf_str(buf, "&gt;"); break;
		case '"': dav_xml_buf_str(buf, attr ? "&quot;" : "\""); break;
		case '\t': dav_xml_buf_str(buf, attr ? "&#9;" : "\t"); break;
		case '\n': dav_xml_buf_str(buf, attr ? "&#10;" : "\n"); break;
		case '\r': dav_xml_buf_str(buf, "&#13;"); break;
		default: dav_xml_buf_add(buf, s, 1); break;
		}
	}
}

void
dav_xml_buf_free(struct dav_xml_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

/* --- writer --- */

const char *
dav_xml_reason(int status)
{
	const char *reason = http_status_reason(status);

	return reason != NULL ? reason : "Unknown";
}

/* Without printf, as the other pieces of a response: a Depth 1 listing
 * writes them for every member. */
static void
buf_status(struct dav_xml_buf *buf, int status)
{
	char code[5] = { ' ', ' ', ' ', ' ', '\0' };

	if (status < 100 || status > 999) {
		dav_xml_buf_printf(buf, "<D:status>HTTP/1.1 %d %s</D:status>", status,
		    dav_xml_reason(status));
		return;
	}
	code[0] = (char)('0' + status / 100);
	code[1] = (char)('0' + status / 10 % 10);
	code[2] = (char)('0' + status % 10);
	dav_xml_buf_str(buf, "<D:status>HTTP/1.1 ");
	dav_xml_buf_str(buf, code);
	dav_xml_buf_str(buf, dav_xml_reason(status));
	dav_xml_buf_str(buf, "</D:status>");
}

/* A decoded path as an href: every byte but unreserved ones and '/'
 * percent-encoded (RFC 3986), so the result needs no XML escaping. */
static void
buf_href(struct dav_xml_buf *buf, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)path, *run = p;
	char esc[3] = { '%', '0', '0' };

	dav_xml_buf_str(buf, "<D:href>");
	for (; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL)
			continue;
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		dav_xml_buf_add(buf, (const char *)run, (size_t)(p - run));
		dav_xml_buf_add(buf, esc, 3);
		run = p + 1;
	}
	dav_xml_buf_add(buf, (const char *)run, (size_t)(p - run));
	dav_xml_buf_str(buf, "</D:href>");
}

/* A property's start tag with its prefix and declaration; the end tag's
 * name goes to `end`. */
static void
buf_prop_open(struct dav_xml_buf *buf, const char *ns, const char *name, const char *lang,
    int empty)
{
	int dav = strcmp(ns, DAV_NS) == 0;

	dav_xml_buf_str(buf, dav ? "<D:" : ns[0] == '\0' ? "<" : "<P:");
	dav_xml_buf_str(buf, name);
	if (!dav && ns[0] != '\0') {
		dav_xml_buf_str(buf, " xmlns:P=\"");
		dav_xml_buf_escaped(buf, ns, 1);
		dav_xml_buf_str(buf, "\"");
	}
	if (lang != NULL) {
		dav_xml_buf_str(buf, " xml:lang=\"");
		dav_xml_buf_escaped(buf, lang, 1);
		dav_xml_buf_str(buf, "\"");
	}
	dav_xml_buf_str(buf, empty ? "/>" : ">");
}

static void
buf_prop_close(struct dav_xml_buf *buf, const char *ns, const char *name)
{
	dav_xml_buf_str(buf, strcmp(ns, DAV_NS) == 0 ? "</D:" : ns[0] == '\0' ? "</" : "</P:");
	dav_xml_buf_str(buf, name);
	dav_xml_buf_str(buf, ">");
}

/* The properties of one status in the open response. */
struct propstat {
	int			status;
	struct dav_xml_buf	props;
	const char		*condition;	/* an <D:error> element, or NULL */
};

struct dav_ms {
	struct dav_xml_buf	 out;
	int			 open;		/* a response is open */
	struct propstat		*stats;		/* kept from response to response */
	size_t			 n_stats;	/* in use by the open response */
	size_t			 a_stats;	/* allocated, their buffers too */
};

struct dav_ms *
dav_ms_create(void)
{
	struct dav_ms *ms = xcalloc(1, sizeof(*ms));

	dav_xml_buf_str(&ms->out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<D:multistatus xmlns:D=\"DAV:\">");
	return ms;
}

void
dav_ms_free(struct dav_ms *ms)
{
	if (ms == NULL)
		return;
	for (size_t i = 0; i < ms->a_stats; i++)
		dav_xml_buf_free(&ms->stats[i].props);
	free(ms->stats);
	dav_xml_buf_free(&ms->out);
	free(ms);
}

/* Empties a buffer and keeps its memory. */
static void
buf_reuse(struct dav_xml_buf *buf)
{
	buf->len = 0;
	if (buf->data != NULL)
		buf->data[0] = '\0';
}

static void
response_end(struct dav_ms *ms)
{
	if (!ms->open)
		return;
	for (size_t i = 0; i < ms->n_stats; i++) {
		dav_xml_buf_str(&ms->out, "<D:propstat><D:prop>");
		if (ms->stats[i].props.data != NULL)
			dav_xml_buf_add(&ms->out, ms->stats[i].props.data, ms->stats[i].props.len);
		dav_xml_buf_str(&ms->out, "</D:prop>");
		buf_status(&ms->out, ms->stats[i].status);
		if (ms->stats[i].condition != NULL) {
			dav_xml_buf_str(&ms->out, "<D:error><D:");
			dav_xml_buf_str(&ms->out, ms->stats[i].condition);
			dav_xml_buf_str(&ms->out, "/></D:error>");
		}
		dav_xml_buf_str(&ms->out, "</D:propstat>");
		buf_reuse(&ms->stats[i].props);	/* its memory serves the next response */
	}
	ms->n_stats = 0;
	dav_xml_buf_str(&ms->out, "</D:response>\n");
	ms->open = 0;
}

void
dav_ms_response_begin(struct dav_ms *ms, const char *path)
{
	response_end(ms);
	dav_xml_buf_str(&ms->out, "<D:response>");
	buf_href(&ms->out, path);
	ms->open = 1;
}

void
dav_ms_response_status(struct dav_ms *ms, const char *path, int status)
{
	response_end(ms);
	dav_xml_buf_str(&ms->out, "<D:response>");
	buf_href(&ms->out, path);
	buf_status(&ms->out, status);
	dav_xml_buf_str(&ms->out, "</D:response>\n");
}

/* The open response's propstat of `status`, made when it has none. */
static struct propstat *
propstat_of(struct dav_ms *ms, int status)
{
	for (size_t i = 0; i < ms->n_stats; i++)
		if (ms->stats[i].status == status)
			return &ms->stats[i];
	if (ms->n_stats == ms->a_stats) {
		ms->stats = xreallocarray(ms->stats, ms->a_stats + 1, sizeof(*ms->stats));
		memset(&ms->stats[ms->a_stats++], 0, sizeof(*ms->stats));
	}
	ms->stats[ms->n_stats].status = status;
	ms->stats[ms->n_stats].condition = NULL;
	buf_reuse(&ms->stats[ms->n_stats].props);
	return &ms->stats[ms->n_stats++];
}

/* The buffer collecting the open response's properties of `status`. */
static struct dav_xml_buf *
propstat_for(struct dav_ms *ms, int status)
{
	return &propstat_of(ms, status)->props;
}

void
dav_ms_prop_name(struct dav_ms *ms, int status, const char *ns, const char *name)
{
	buf_prop_open(propstat_for(ms, status), ns, name, NULL, 1);
}

void
dav_ms_prop_text(struct dav_ms *ms, int status, const char *ns, const char *name,
    const char *text)
{
	struct dav_xml_buf *b = propstat_for(ms, status);

	buf_prop_open(b, ns, name, NULL, 0);
	dav_xml_buf_escaped(b, text, 0);
	buf_prop_close(b, ns, name);
}

void
dav_ms_prop_xml(struct dav_ms *ms, int status, const char *ns, const char *name,
    const char *xml, const char *lang)
{
	struct dav_xml_buf *b = propstat_for(ms, status);

	if (xml == NULL || xml[0] == '\0') {
		buf_prop_open(b, ns, name, lang, 1);
		return;
	}
	buf_prop_open(b, ns, name, lang, 0);
	dav_xml_buf_str(b, xml);
	buf_prop_close(b, ns, name);
}

void
dav_ms_propstat_error(struct dav_ms *ms, int status, const char *condition)
{
	propstat_of(ms, status)->condition = condition;
}

void
dav_ms_finish(struct dav_ms *ms, struct dav_xml_buf *out)
{
	response_end(ms);
	dav_xml_buf_str(&ms->out, "</D:multistatus>\n");
	*out = ms->out;
	memset(&ms->out, 0, sizeof(ms->out));
}

/* --- locks and errors --- */

void
dav_xml_activelock(struct dav_xml_buf *buf, const struct dav_activelock *lock)
{
	dav_xml_buf_printf(buf, "<D:activelock><D:locktype><D:write/></D:locktype>"
	    "<D:lockscope><D:%s/></D:lockscope><D:depth>%s</D:depth>",
	    lock->scope == DAV_SCOPE_SHARED ? "shared" : "exclusive",
	    lock->depth_infinity ? "infinity" : "0");
	if (lock->owner != NULL)
		dav_xml_buf_printf(buf, "<D:owner>%s</D:owner>", lock->owner);
	if (lock->timeout < 0)
		dav_xml_buf_str(buf, "<D:timeout>Infinite</D:timeout>");
	else
		dav_xml_buf_printf(buf, "<D:timeout>Second-%ld</D:timeout>", lock->timeout);
	dav_xml_buf_str(buf, "<D:locktoken><D:href>");
	dav_xml_buf_escaped(buf, lock->token, 0);
	dav_xml_buf_str(buf, "</D:href></D:locktoken><D:lockroot>");
	buf_href(buf, lock->root);
	dav_xml_buf_str(buf, "</D:lockroot></D:activelock>");
}

void
dav_xml_lock_body(struct dav_xml_buf *buf, const struct dav_activelock *lock)
{
	dav_xml_buf_str(buf, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<D:prop xmlns:D=\"DAV:\"><D:lockdiscovery>");
	dav_xml_activelock(buf, lock);
	dav_xml_buf_str(buf, "</D:lockdiscovery></D:prop>\n");
}

void
dav_xml_error_body(struct dav_xml_buf *buf, const char *condition)
{
	dav_xml_buf_printf(buf, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<D:error xmlns:D=\"DAV:\"><D:%s/></D:error>\n", condition);
}

void
dav_xml_error_href_body(struct dav_xml_buf *buf, const char *condition, const char *path)
{
	dav_xml_buf_printf(buf, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<D:error xmlns:D=\"DAV:\"><D:%s>", condition);
	buf_href(buf, path);
	dav_xml_buf_printf(buf, "</D:%s></D:error>\n", condition);
}
