/*
 * http_cond: conditional requests (RFC 9110 section 13), pure and table-tested.
 *
 * ETags made here are strong: "\"<size hex>-<mtime ns hex>\"".
 * Evaluation follows the order of RFC 9110 section 13.2.2:
 *   1. If-Match present (strong comparison; "*" matches) and no tag
 *      matches                                                   -> 412
 *   2. else (no If-Match) If-Unmodified-Since valid, mtime > date -> 412
 *   3. If-None-Match present (weak comparison; "*" matches) and a tag
 *      matches (its condition is false)    -> 304 for GET/HEAD, 412 otherwise
 *   4. else (no If-None-Match), GET/HEAD, If-Modified-Since valid and
 *      mtime <= date                                              -> 304
 * Headers that are NULL are absent.  An invalid date is ignored.  An `etag`
 * of NULL means the resource has no current representation: "*" does not
 * match it.
 */
#ifndef STORESRV_HTTP_COND_H
#define STORESRV_HTTP_COND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HTTP_ETAG_LEN 48

enum http_cond_result {
	HTTP_COND_PROCEED = 0,
	HTTP_COND_NOT_MODIFIED = 304,
	HTTP_COND_PRECONDITION_FAILED = 412,
};

struct http_cond_headers {
	const char *if_match;
	const char *if_none_match;
	const char *if_modified_since;
	const char *if_unmodified_since;
};

/* Writes a strong ETag (quotes included) for a file of `size` bytes last
 * modified at mtime (seconds, nanoseconds). */
void http_etag_make(char out[HTTP_ETAG_LEN], uint64_t size, int64_t mtime_sec, long mtime_nsec);

/* Does the comma-separated entity-tag list (or "*") match etag?  weak=1
 * uses weak comparison (W/ prefixes ignored), weak=0 strong comparison (a
 * W/ tag never matches).  Malformed lists never match. */
int http_etag_list_match(const char *list, const char *etag, int weak);

enum http_cond_result http_cond_evaluate(const struct http_cond_headers *h,
    const char *etag, time_t mtime, int is_get_or_head);

/* If-Range (RFC 9110 section 13.1.5): returns 1 when the Range header
 * should be honoured: if_range is NULL, or a strong ETag equal to etag, or
 * an HTTP date exactly equal to mtime.  Returns 0 otherwise (send 200). */
int http_cond_if_range(const char *if_range, const char *etag, time_t mtime);

#endif
