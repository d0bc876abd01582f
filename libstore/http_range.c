/*
 * http_range: the Range header (RFC 9110 section 14.2); see http_range.h.
 *
 * The header is parsed first (syntax only), then the one range it names is
 * resolved against the representation's size.  Any syntax problem gives
 * HTTP_RANGE_NONE, so a client that sends something odd still gets the whole
 * file with 200.
 */
#include "config.h"

#include <stddef.h>
#include <strings.h>

#include "http_range.h"

#define RANGE_DIGITS_MAX	19	/* 10^19 - 1 still fits in uint64_t */

/* One parsed range-spec; has_first/has_last tell which numbers were there. */
struct range_spec {
	int		has_first;
	int		has_last;
	uint64_t	first;
	uint64_t	last;
};

/* Reads 1 to RANGE_DIGITS_MAX digits at *pp; returns 0, or -1 if none/too many. */
static int
range_read_number(const char **pp, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	int n = 0;

	while (*p >= '0' && *p <= '9') {
		if (++n > RANGE_DIGITS_MAX)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (n == 0)
		return -1;
	*pp = p;
	*out = v;
	return 0;
}

/*
 * RFC 9110 section 14.1.2: int-range = first-pos "-" [ last-pos ],
 * suffix-range = "-" suffix-length.  Only optional white space may follow.
 */
static int
range_parse_spec(const char *p, struct range_spec *rs)
{
	if (*p != '-') {
		if (range_read_number(&p, &rs->first) == -1)
			return -1;
		rs->has_first = 1;
	}
	if (*p++ != '-')
		return -1;
	if (*p >= '0' && *p <= '9') {
		if (range_read_number(&p, &rs->last) == -1)
			return -1;
		rs->has_last = 1;
	}
	if (!rs->has_first && !rs->has_last)
		return -1;			/* "bytes=-" */
	if (rs->has_first && rs->has_last && rs->last < rs->first)
		return -1;			/* invalid, RFC 9110 14.1.1 */
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' ? 0 : -1;		/* a ',' means several ranges */
}

/* Resolves a syntactically valid spec against `size` (RFC 9110 14.1.2). */
static enum http_range_result
range_resolve(const struct range_spec *rs, uint64_t size, struct http_range *out)
{
	if (!rs->has_first) {
		if (rs->last == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		if (size == 0)
			return HTTP_RANGE_NONE;	/* nothing a 206 could carry */
		out->length = rs->last < size ? rs->last : size;
		out->offset = size - out->length;
		return HTTP_RANGE_SATISFIABLE;
	}
	if (rs->first >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	out->offset = rs->first;
	if (!rs->has_last || rs->last >= size)
		out->length = size - rs->first;
	else
		out->length = rs->last - rs->first + 1;
	return HTTP_RANGE_SATISFIABLE;
}

enum http_range_result
http_range_parse(const char *value, uint64_t size, struct http_range *out)
{
	struct range_spec rs = { 0, 0, 0, 0 };

	if (value == NULL)
		return HTTP_RANGE_NONE;
	/* Range unit names are case-insensitive (RFC 9110 14.1). */
	if (strncasecmp(value, "bytes=", 6) != 0)
		return HTTP_RANGE_NONE;
	if (range_parse_spec(value + 6, &rs) == -1)
		return HTTP_RANGE_NONE;
	return range_resolve(&rs, size, out);
}
