/*
 * http_date: HTTP dates (RFC 9110 section 5.6.7), pure and table-tested.
 */
#ifndef STORESRV_HTTP_DATE_H
#define STORESRV_HTTP_DATE_H

#include <time.h>

#define HTTP_DATE_LEN 30	/* "Sun, 06 Nov 1994 08:49:37 GMT" plus NUL */

/* Writes the IMF-fixdate form of t (UTC) into out; t is clamped to the
 * years 0000-9999 that the form can carry. */
void http_date_format(time_t t, char out[HTTP_DATE_LEN]);

/* Parses IMF-fixdate, the obsolete RFC 850 form ("Sunday, 06-Nov-94
 * 08:49:37 GMT", two-digit years taken as 1970-2069) and asctime form
 * ("Sun Nov  6 08:49:37 1994").  Returns 0 and sets *out, or -1 when the text
 * is not a valid date (wrong day/month names, out-of-range fields, trailing
 * garbage).  Names are matched case-sensitively as in the RFC; the day name
 * must be a real one but is not checked against the date; second 60 (a
 * leap second) is accepted.  No locale or time zone is involved. */
int http_date_parse(const char *s, time_t *out);

#endif
