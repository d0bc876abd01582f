/*
 * test_http_date: table tests of HTTP date formatting and parsing
 * (http_date.h): the three forms, invalid dates, round trips, post-2038.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../tap.h"
#include "http_date.h"

struct format_case {
	const char	*name;
	long long	 t;
	const char	*want;
};

struct parse_case {
	const char	*name;
	const char	*in;
	int		 want_rc;
	long long	 t;		/* when want_rc == 0 */
};

static const struct format_case format_cases[] = {
	{ "epoch 0", 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
	{ "RFC example", 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
	{ "leap day 2000", 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" },
	{ "last 32-bit second", 2147483647LL, "Tue, 19 Jan 2038 03:14:07 GMT" },
	{ "first post-2038 second", 2147483648LL, "Tue, 19 Jan 2038 03:14:08 GMT" },
	{ "year 2100", 4102444800LL, "Fri, 01 Jan 2100 00:00:00 GMT" },
	{ "before epoch", -1, "Wed, 31 Dec 1969 23:59:59 GMT" },
	{ "last 4-digit year", 253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT" },
	{ "clamped above", 253402300800LL, "Fri, 31 Dec 9999 23:59:59 GMT" },
	{ "clamped far above", 9000000000000000000LL, "Fri, 31 Dec 9999 23:59:59 GMT" },
	{ "clamped far below", -9000000000000000000LL, "Sat, 01 Jan 0000 00:00:00 GMT" },
};

static const struct parse_case parse_cases[] = {
	/* the three forms */
	{ "IMF-fixdate", "Sun, 06 Nov 1994 08:49:37 GMT", 0, 784111777 },
	{ "RFC 850", "Sunday, 06-Nov-94 08:49:37 GMT", 0, 784111777 },
	{ "asctime", "Sun Nov  6 08:49:37 1994", 0, 784111777 },
	{ "asctime two-digit day", "Wed Nov 16 08:49:37 1994", 0, 784975777 },
	{ "asctime zero-padded day", "Sun Nov 06 08:49:37 1994", 0, 784111777 },
	{ "IMF epoch 0", "Thu, 01 Jan 1970 00:00:00 GMT", 0, 0 },
	{ "RFC 850 epoch 0", "Thursday, 01-Jan-70 00:00:00 GMT", 0, 0 },
	{ "asctime epoch 0", "Thu Jan  1 00:00:00 1970", 0, 0 },
	{ "RFC 850 year 69 is 2069", "Tuesday, 01-Jan-69 00:00:00 GMT", 0,
	    3124224000LL },
	{ "RFC 850 year 00 is 2000", "Saturday, 01-Jan-00 00:00:00 GMT", 0,
	    946684800 },
	{ "RFC 850 year 99 is 1999", "Friday, 31-Dec-99 23:59:59 GMT", 0,
	    946684799 },
	{ "every month name", "Wed, 01 Dec 2021 00:00:00 GMT", 0, 1638316800 },
	{ "leap day 2000", "Tue, 29 Feb 2000 00:00:00 GMT", 0, 951782400 },
	{ "leap day 2024", "Thu, 29 Feb 2024 12:00:00 GMT", 0, 1709208000 },
	{ "leap second", "Sat, 31 Dec 2016 23:59:60 GMT", 0, 1483228800 },
	{ "post-2038", "Tue, 19 Jan 2038 03:14:08 GMT", 0, 2147483648LL },
	{ "year 2100", "Fri, 01 Jan 2100 00:00:00 GMT", 0, 4102444800LL },
	{ "year 9999", "Fri, 31 Dec 9999 23:59:59 GMT", 0, 253402300799LL },
	{ "asctime post-2038", "Fri Jan  1 00:00:00 2100", 0, 4102444800LL },
	{ "before epoch", "Wed, 31 Dec 1969 23:59:59 GMT", 0, -1 },
	{ "weekday not checked", "Mon, 06 Nov 1994 08:49:37 GMT", 0, 784111777 },
	/* invalid dates */
	{ "Feb 30", "Mon, 30 Feb 2015 00:00:00 GMT", -1, 0 },
	{ "Feb 29 in 2001", "Thu, 29 Feb 2001 00:00:00 GMT", -1, 0 },
	{ "Feb 29 in 1900", "Thu, 29 Feb 1900 00:00:00 GMT", -1, 0 },
	{ "Apr 31", "Thu, 31 Apr 2020 00:00:00 GMT", -1, 0 },
	{ "day 00", "Thu, 00 Jan 2020 00:00:00 GMT", -1, 0 },
	{ "day 32", "Thu, 32 Jan 2020 00:00:00 GMT", -1, 0 },
	{ "hour 24", "Sun, 06 Nov 1994 24:00:00 GMT", -1, 0 },
	{ "minute 60", "Sun, 06 Nov 1994 08:60:00 GMT", -1, 0 },
	{ "second 61", "Sun, 06 Nov 1994 08:49:61 GMT", -1, 0 },
	{ "RFC 850 Feb 30", "Monday, 30-Feb-15 00:00:00 GMT", -1, 0 },
	{ "asctime hour 24", "Sun Nov  6 24:49:37 1994", -1, 0 },
	/* bad names */
	{ "bad day name", "Sux, 06 Nov 1994 08:49:37 GMT", -1, 0 },
	{ "bad month name", "Sun, 06 Nox 1994 08:49:37 GMT", -1, 0 },
	{ "lower-case day name", "sun, 06 Nov 1994 08:49:37 GMT", -1, 0 },
	{ "lower-case month", "Sun, 06 nov 1994 08:49:37 GMT", -1, 0 },
	{ "full month name", "Sun, 06 November 1994 08:49:37 GMT", -1, 0 },
	{ "RFC 850 short day name", "Sun, 06-Nov-94 08:49:37 GMT", -1, 0 },
	{ "IMF with long day name", "Sunday, 06 Nov 1994 08:49:37 GMT", -1, 0 },
	{ "bad RFC 850 day name", "Sundae, 06-Nov-94 08:49:37 GMT", -1, 0 },
	{ "UTC instead of GMT", "Sun, 06 Nov 1994 08:49:37 UTC", -1, 0 },
	{ "numeric zone", "Sun, 06 Nov 1994 08:49:37 +0000", -1, 0 },
	/* garbage after, truncated, malformed */
	{ "garbage after IMF", "Sun, 06 Nov 1994 08:49:37 GMTx", -1, 0 },
	{ "trailing space", "Sun, 06 Nov 1994 08:49:37 GMT ", -1, 0 },
	{ "garbage after RFC 850", "Sunday, 06-Nov-94 08:49:37 GMT;", -1, 0 },
	{ "garbage after asctime", "Sun Nov  6 08:49:37 1994 GMT", -1, 0 },
	{ "asctime 5-digit year", "Sun Nov  6 08:49:37 19940", -1, 0 },
	{ "truncated IMF", "Sun, 06 Nov 1994 08:49:37 GM", -1, 0 },
	{ "truncated in time", "Sun, 06 Nov 1994 08:49", -1, 0 },
	{ "truncated after name", "Sun", -1, 0 },
	{ "truncated asctime", "Sun Nov  6 08:49:37 199", -1, 0 },
	{ "truncated RFC 850", "Sunday, 06-Nov-94", -1, 0 },
	{ "empty", "", -1, 0 },
	{ "one-digit day IMF", "Sun, 6 Nov 1994 08:49:37 GMT", -1, 0 },
	{ "two-digit year IMF", "Sun, 06 Nov 94 08:49:37 GMT", -1, 0 },
	{ "4-digit year RFC 850", "Sunday, 06-Nov-1994 08:49:37 GMT", -1, 0 },
	{ "asctime one space one digit", "Sun Nov 6 08:49:37 1994", -1, 0 },
	{ "one-digit hour", "Sun, 06 Nov 1994 8:49:37 GMT", -1, 0 },
	{ "no comma", "Sun 06 Nov 1994 08:49:37 GMT", -1, 0 },
	{ "double space", "Sun,  06 Nov 1994 08:49:37 GMT", -1, 0 },
	{ "leading space", " Sun, 06 Nov 1994 08:49:37 GMT", -1, 0 },
	{ "a number", "784111777", -1, 0 },
	{ "ISO 8601", "1994-11-06T08:49:37Z", -1, 0 },
};

static void
test_date_format(void)
{
	char buf[HTTP_DATE_LEN];
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		memset(buf, 'X', sizeof(buf));
		http_date_format((time_t)format_cases[i].t, buf);
		snprintf(name, sizeof(name), "format: %s", format_cases[i].name);
		tap_str_eq(buf, format_cases[i].want, name);
	}
}

static void
test_date_parse(void)
{
	const struct parse_case *c;
	time_t t;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		c = &parse_cases[i];
		t = (time_t)-12345;
		rc = http_date_parse(c->in, &t);
		if (!tap_ok(rc == c->want_rc && (rc != 0 || t == (time_t)c->t),
		    "parse: %s: \"%s\"", c->name, c->in))
			printf("#   got rc %d t %lld, want rc %d t %lld\n", rc,
			    (long long)t, c->want_rc, c->t);
	}
	tap_ok(http_date_parse(NULL, &t) == -1, "parse: NULL is invalid");
}

/* Cross-checks the hand-written day arithmetic against the C library. */
static void
test_date_timegm(void)
{
	static const struct { int y, m, d, H, M, S; } dates[] = {
		{ 1970, 1, 1, 0, 0, 0 }, { 1994, 11, 6, 8, 49, 37 },
		{ 2000, 2, 29, 23, 59, 59 }, { 2038, 1, 19, 3, 14, 8 },
		{ 2100, 3, 1, 0, 0, 0 }, { 2400, 2, 29, 12, 0, 0 },
		{ 1969, 12, 31, 23, 59, 59 }, { 1900, 3, 1, 0, 0, 0 },
	};
	char buf[HTTP_DATE_LEN];
	struct tm tm;
	time_t want, got;
	size_t i;

	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = dates[i].y - 1900;
		tm.tm_mon = dates[i].m - 1;
		tm.tm_mday = dates[i].d;
		tm.tm_hour = dates[i].H;
		tm.tm_min = dates[i].M;
		tm.tm_sec = dates[i].S;
		want = timegm(&tm);
		http_date_format(want, buf);
		got = -12345;
		tap_ok(http_date_parse(buf, &got) == 0 && got == want,
		    "timegm: %04d-%02d-%02d agrees (%s)", dates[i].y, dates[i].m,
		    dates[i].d, buf);
	}
}

/* format then parse gives back t, over 1900..2500 in uneven steps. */
static void
test_date_round_trip(void)
{
	char buf[HTTP_DATE_LEN];
	long long t, bad = 0, n = 0;
	time_t got;

	for (t = -2208988800LL; t < 16725225600LL; t += 86400LL * 13 + 3607) {
		http_date_format((time_t)t, buf);
		if (http_date_parse(buf, &got) != 0 || got != (time_t)t) {
			if (bad++ == 0)
				printf("#   first failure at %lld: %s\n", t, buf);
		}
		n++;
	}
	tap_ok(bad == 0 && n > 10000, "round trip: %lld times from 1900 to 2500",
	    n);
	tap_ok(sizeof(time_t) >= 8, "time_t is 64-bit");
}

int
main(void)
{
	test_date_format();
	test_date_parse();
	test_date_timegm();
	test_date_round_trip();
	return tap_done();
}
