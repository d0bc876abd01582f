/*
 * url_path: the path canonicaliser.  Every request path passes through here
 * before it touches the file system; it is pure (no I/O) and table-tested.
 *
 * url_path_canonicalize() takes the path part of a request URI (no query, no
 * fragment; the caller splits those off), decodes percent escapes and checks
 * the result.  On success it writes the canonical relative path below the
 * store root: no leading '/', segments joined by single '/'; a trailing '/'
 * of the request is kept ("/release/download/" -> "release/download/"); the
 * root "/" gives "".
 *
 * Refused with URL_PATH_BAD (answer 400):
 *   - a path not starting with '/'; an empty path
 *   - invalid escapes ("%", "%4", "%zz"), an escaped or raw NUL (%00)
 *   - escaped separators "%2F", "%2f", "%5C", "%5c" and raw backslashes
 *   - control characters (0x01-0x1f, 0x7f) raw or escaped
 *   - empty segments ("//"), "." and ".." segments (also when escaped: "%2e%2e")
 * Refused with URL_PATH_FORBIDDEN (answer 403):
 *   - any segment starting with '.' other than the above ("/.store", "/a/.tmp-x"):
 *     hidden names hold staging areas and metadata and are never served
 * Refused with URL_PATH_TOO_LONG (answer 414):
 *   - a raw or decoded path longer than URL_PATH_MAX bytes, or one that does
 *     not fit in `outsz`, or more than URL_PATH_MAX_SEGMENTS segments
 *
 * A malformed or over-long path is refused as soon as it is seen; a hidden
 * segment gives FORBIDDEN only when the rest of the path is well formed (so
 * "/.staging/%zz" is BAD).  The raw length is checked before any decoding.
 * Bytes >= 0x80 (raw or escaped) pass unchanged: names are UTF-8, but that
 * is not validated here.  On a refusal `out` holds "" (when outsz > 0); a
 * NULL `out` or outsz 0 gives URL_PATH_TOO_LONG.
 *
 * Symlinks are not this module's business: the resolver opens the result
 * with RESOLVE_BENEATH (see fs_open.h).
 */
#ifndef STORESRV_URL_PATH_H
#define STORESRV_URL_PATH_H

#include <stddef.h>

#define URL_PATH_MAX		1024
#define URL_PATH_MAX_SEGMENTS	32

enum url_path_status {
	URL_PATH_OK = 0,
	URL_PATH_BAD = -1,
	URL_PATH_FORBIDDEN = -2,
	URL_PATH_TOO_LONG = -3,
};

enum url_path_status url_path_canonicalize(const char *uri_path, char *out, size_t outsz);

/* The same, with exceptions: URL_PATH_ALLOW_FINDER lets the segments
 * ".DS_Store" and "._<name>" through (macOS Finder writes them beside
 * every file it copies to a WebDAV share; the WebDAV listener accepts them
 * in incoming/ and the importer ignores them). */
#define URL_PATH_ALLOW_FINDER	0x1u
enum url_path_status url_path_canonicalize_flags(const char *uri_path, char *out, size_t outsz,
    unsigned flags);

/* The HTTP status for a refusal: 400, 403 or 414 (200 for URL_PATH_OK,
 * 500 for a value that is not a url_path_status). */
int url_path_status_http(enum url_path_status st);

#endif
