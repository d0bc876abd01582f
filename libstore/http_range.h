/*
 * http_range: the Range header (RFC 9110 section 14.2), pure and table-tested.
 *
 * Only single byte ranges are served.  A syntactically invalid Range header,
 * a unit other than "bytes", or a list of several ranges is ignored (the whole
 * representation is sent with 200, which RFC 9110 allows).  A valid single
 * range that does not overlap the representation gives 416.
 *
 * Forms: "bytes=first-last", "bytes=first-", "bytes=-suffix".  White space
 * around '=' and '-' is not accepted (RFC 9110 has none there); optional
 * white space after the value is.  A last position beyond the end is clipped.
 * A suffix longer than the representation means the whole of it.  Numbers
 * with more than 19 digits are invalid (ignored).  The unit "bytes" is
 * matched case-insensitively (RFC 9110 section 14.1).  "bytes=-0" is
 * unsatisfiable; on an empty representation "bytes=N-..." is unsatisfiable
 * and a suffix range is ignored (a 206 cannot carry zero bytes).
 */
#ifndef STORESRV_HTTP_RANGE_H
#define STORESRV_HTTP_RANGE_H

#include <stdint.h>

enum http_range_result {
	HTTP_RANGE_NONE = 0,		/* no usable Range: send 200 with everything */
	HTTP_RANGE_SATISFIABLE = 1,	/* send 206 with *out */
	HTTP_RANGE_UNSATISFIABLE = 2,	/* send 416 with Content-Range: bytes * / size */
};

struct http_range {
	uint64_t offset;
	uint64_t length;	/* > 0 when satisfiable */
};

/* `value` may be NULL (no header). */
enum http_range_result http_range_parse(const char *value, uint64_t size, struct http_range *out);

#endif
