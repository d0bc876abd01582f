/*
 * http_cond: conditional requests (RFC 9110 section 13); see http_cond.h.
 *
 * Entity-tags are parsed by a small scanner (RFC 9110 section 8.8.3):
 *   entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE
 *   etagc      = %x21 / %x23-7E / obs-text
 * and lists by the "#" rule of section 5.6.1 (OWS "," OWS, empty elements
 * tolerated).  A list with any malformed member matches nothing.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "http_cond.h"
#include "http_date.h"

/* A parsed entity-tag: the bytes between the quotes, and the weak flag. */
struct etag_ref {
	const char	*opaque;
	size_t		 len;
	int		 weak;
};

void
http_etag_make(char out[HTTP_ETAG_LEN], uint64_t size, int64_t mtime_sec,
    long mtime_nsec)
{
	uint64_t ns;

	/* Unsigned arithmetic: wraps (deterministically) instead of overflowing. */
	ns = (uint64_t)mtime_sec * UINT64_C(1000000000) + (uint64_t)mtime_nsec;
	snprintf(out, HTTP_ETAG_LEN, "\"%" PRIx64 "-%" PRIx64 "\"", size, ns);
}

static void
cond_skip_ows(const char **pp)
{
	while (**pp == ' ' || **pp == '\t')
		(*pp)++;
}

static int
cond_is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/* Parses one entity-tag at *pp and advances past it; -1 when malformed. */
static int
cond_etag_parse(const char **pp, struct etag_ref *t)
{
	const char *p = *pp;

	t->weak = 0;
	if (p[0] == 'W' && p[1] == '/') {
		t->weak = 1;
		p += 2;
	}
	if (*p++ != '"')
		return -1;
	t->opaque = p;
	while (cond_is_etagc((unsigned char)*p))
		p++;
	if (*p != '"')
		return -1;
	t->len = (size_t)(p - t->opaque);
	*pp = p + 1;
	return 0;
}

/* Parses a string that must hold exactly one entity-tag (OWS around it). */
static int
cond_etag_parse_whole(const char *s, struct etag_ref *t)
{
	cond_skip_ows(&s);
	if (cond_etag_parse(&s, t) == -1)
		return -1;
	cond_skip_ows(&s);
	return *s == '\0' ? 0 : -1;
}

/* RFC 9110 section 8.8.3.2: strong needs both tags strong; weak ignores W/. */
static int
cond_etag_equal(const struct etag_ref *a, const struct etag_ref *b, int weak)
{
	if (!weak && (a->weak || b->weak))
		return 0;
	return a->len == b->len && memcmp(a->opaque, b->opaque, a->len) == 0;
}

/* Walks a "#entity-tag" list; returns 1/0 for match, or -1 when malformed. */
static int
cond_list_walk(const char *p, const struct etag_ref *own, int weak)
{
	struct etag_ref t;
	int matched = 0;

	for (;;) {
		cond_skip_ows(&p);
		if (*p == '\0')
			return matched;
		if (*p == ',') {
			p++;			/* empty list element */
			continue;
		}
		if (cond_etag_parse(&p, &t) == -1)
			return -1;
		if (cond_etag_equal(&t, own, weak))
			matched = 1;
		cond_skip_ows(&p);
		if (*p != ',' && *p != '\0')
			return -1;
	}
}

int
http_etag_list_match(const char *list, const char *etag, int weak)
{
	struct etag_ref own;
	const char *p;

	if (list == NULL || etag == NULL)
		return 0;
	if (cond_etag_parse_whole(etag, &own) == -1)
		return 0;
	p = list;
	cond_skip_ows(&p);
	if (*p == '*') {
		p++;
		cond_skip_ows(&p);
		return *p == '\0';
	}
	return cond_list_walk(list, &own, weak) == 1;
}

/* A date condition header: present, a valid date; -1 when absent/invalid. */
static int
cond_date(const char *value, time_t *t)
{
	if (value == NULL)
		return -1;
	return http_date_parse(value, t);
}

enum http_cond_result
http_cond_evaluate(const struct http_cond_headers *h, const char *etag,
    time_t mtime, int is_get_or_head)
{
	time_t t;

	/* Steps 1 and 2: If-Match, or If-Unmodified-Since without it. */
	if (h->if_match != NULL) {
		if (!http_etag_list_match(h->if_match, etag, 0))
			return HTTP_COND_PRECONDITION_FAILED;
	} else if (cond_date(h->if_unmodified_since, &t) == 0 && mtime > t)
		return HTTP_COND_PRECONDITION_FAILED;

	/* Steps 3 and 4: If-None-Match, or If-Modified-Since without it. */
	if (h->if_none_match != NULL) {
		if (http_etag_list_match(h->if_none_match, etag, 1))
			return is_get_or_head ? HTTP_COND_NOT_MODIFIED :
			    HTTP_COND_PRECONDITION_FAILED;
	} else if (is_get_or_head &&
	    cond_date(h->if_modified_since, &t) == 0 && mtime <= t)
		return HTTP_COND_NOT_MODIFIED;
	return HTTP_COND_PROCEED;
}

int
http_cond_if_range(const char *if_range, const char *etag, time_t mtime)
{
	struct etag_ref want, own;
	const char *p = if_range;
	time_t t;

	if (if_range == NULL)
		return 1;
	cond_skip_ows(&p);
	/* RFC 9110 13.1.5: an entity-tag starts with DQUOTE or "W/". */
	if (p[0] == '"' || (p[0] == 'W' && p[1] == '/')) {
		if (etag == NULL || cond_etag_parse_whole(p, &want) == -1 ||
		    cond_etag_parse_whole(etag, &own) == -1)
			return 0;
		return cond_etag_equal(&want, &own, 0);
	}
	if (http_date_parse(p, &t) == -1)
		return 0;
	return t == mtime;
}
