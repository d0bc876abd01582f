/*
 * url_path: the path canonicaliser; see url_path.h for the contract.
 *
 * The request path is walked once, left to right, one segment at a time.
 * Each byte is decoded (raw or from a percent escape) and checked on its own,
 * then each finished segment is checked as a whole ("." and ".." refused,
 * hidden names remembered).  Nothing is ever tested with strstr(): the only
 * unit of meaning is a decoded segment.
 *
 * A malformed or over-long path is reported as soon as it is seen; a hidden
 * segment only makes the result FORBIDDEN once the whole path is known to be
 * otherwise well formed, so 403 always means "valid path, not served".
 */
#include "config.h"

#include <string.h>

#include "url_path.h"

struct url_canon {
	char		*out;
	size_t		 outsz;
	size_t		 len;		/* bytes written to out, without NUL */
	int		 segments;
	int		 hidden;
	unsigned	 flags;		/* URL_PATH_ALLOW_* */
};

static int
url_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Control characters (0x00-0x1f, 0x7f) and backslashes never reach a name. */
static int
url_byte_refused(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

/*
 * Decodes the byte at *pp (raw or "%XX") into *c and advances *pp.  An
 * escaped '/' is refused here: it would split a segment the client meant as
 * one name.  A raw '/' is the caller's business and never passed here.
 */
static enum url_path_status
url_decode_byte(const char **pp, unsigned char *c)
{
	const unsigned char *p = (const unsigned char *)*pp;
	int hi, lo;

	if (*p != '%') {
		if (url_byte_refused(*p))
			return URL_PATH_BAD;
		*c = *p;
		*pp += 1;
		return URL_PATH_OK;
	}
	if ((hi = url_hex_value(p[1])) == -1)
		return URL_PATH_BAD;
	if ((lo = url_hex_value(p[2])) == -1)
		return URL_PATH_BAD;
	*c = (unsigned char)(hi * 16 + lo);
	if (*c == '/' || url_byte_refused(*c))
		return URL_PATH_BAD;
	*pp += 3;
	return URL_PATH_OK;
}

/* Appends one byte, keeping room for the NUL and the URL_PATH_MAX limit. */
static enum url_path_status
url_canon_put(struct url_canon *uc, unsigned char c)
{
	if (uc->len >= URL_PATH_MAX || uc->len + 1 >= uc->outsz)
		return URL_PATH_TOO_LONG;
	uc->out[uc->len++] = (char)c;
	return URL_PATH_OK;
}

/* Checks the decoded segment of `seglen` bytes that ends at uc->len. */
/* macOS Finder's metadata files, ".DS_Store" and "._<name>" (AppleDouble),
 * when the caller accepts them. */
static int
url_segment_finder(const struct url_canon *uc, const char *seg, size_t seglen)
{
	if (!(uc->flags & URL_PATH_ALLOW_FINDER))
		return 0;
	if (seglen == 9 && memcmp(seg, ".DS_Store", 9) == 0)
		return 1;
	return seglen > 2 && seg[1] == '_';
}

static enum url_path_status
url_segment_check(struct url_canon *uc, size_t seglen)
{
	const char *seg = uc->out + uc->len - seglen;

	if (seglen == 0)
		return URL_PATH_BAD;		/* "//" */
	if (seg[0] == '.' && (seglen == 1 || (seglen == 2 && seg[1] == '.')))
		return URL_PATH_BAD;		/* "." or ".." */
	if (seg[0] == '.' && !url_segment_finder(uc, seg, seglen))
		uc->hidden = 1;
	if (++uc->segments > URL_PATH_MAX_SEGMENTS)
		return URL_PATH_TOO_LONG;
	return URL_PATH_OK;
}

/* Decodes the segment at *pp up to the next raw '/' or the end. */
static enum url_path_status
url_segment_decode(struct url_canon *uc, const char **pp)
{
	enum url_path_status st;
	size_t start = uc->len;
	unsigned char c;

	while (**pp != '\0' && **pp != '/') {
		if ((st = url_decode_byte(pp, &c)) != URL_PATH_OK)
			return st;
		if ((st = url_canon_put(uc, c)) != URL_PATH_OK)
			return st;
	}
	return url_segment_check(uc, uc->len - start);
}

static enum url_path_status
url_canon_walk(struct url_canon *uc, const char *uri_path)
{
	enum url_path_status st;
	const char *p;

	if (uri_path == NULL || uri_path[0] != '/')
		return URL_PATH_BAD;
	if (strnlen(uri_path, URL_PATH_MAX + 1) > URL_PATH_MAX)
		return URL_PATH_TOO_LONG;
	p = uri_path + 1;
	while (*p != '\0') {
		if ((st = url_segment_decode(uc, &p)) != URL_PATH_OK)
			return st;
		if (*p == '/') {
			p++;
			if ((st = url_canon_put(uc, '/')) != URL_PATH_OK)
				return st;
		}
	}
	return uc->hidden ? URL_PATH_FORBIDDEN : URL_PATH_OK;
}

enum url_path_status
url_path_canonicalize(const char *uri_path, char *out, size_t outsz)
{
	return url_path_canonicalize_flags(uri_path, out, outsz, 0);
}

enum url_path_status
url_path_canonicalize_flags(const char *uri_path, char *out, size_t outsz, unsigned flags)
{
	struct url_canon uc = { out, outsz, 0, 0, 0, flags };
	enum url_path_status st;

	if (out == NULL || outsz == 0)
		return URL_PATH_TOO_LONG;
	st = url_canon_walk(&uc, uri_path);
	if (st == URL_PATH_OK)
		out[uc.len] = '\0';
	else
		out[0] = '\0';
	return st;
}

int
url_path_status_http(enum url_path_status st)
{
	switch (st) {
	case URL_PATH_OK:
		return 200;
	case URL_PATH_BAD:
		return 400;
	case URL_PATH_FORBIDDEN:
		return 403;
	case URL_PATH_TOO_LONG:
		return 414;
	}
	return 500;
}
