/*
 * http_date: HTTP dates (RFC 9110 section 5.6.7); see http_date.h.
 *
 * Parsing is done by hand, never with strptime(): day and month names are
 * the fixed English ones of the RFC whatever the locale, and every field is
 * range-checked.  The conversion to time_t is pure arithmetic (days from the
 * civil date), so it depends on no time zone and works past 2038.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "http_date.h"

/* Years that IMF-fixdate can carry: 0000-01-01 .. 9999-12-31 23:59:59. */
#define HTTP_DATE_MIN	((time_t)-62167219200LL)
#define HTTP_DATE_MAX	((time_t)253402300799LL)

static const char *const date_wkday[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const date_weekday[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char *const date_month[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* The broken-down fields a parser fills in. */
struct date_fields {
	int	year;
	int	month;		/* 1-12 */
	int	day;
	int	hour;
	int	min;
	int	sec;
};

/* Writes v as exactly n decimal digits (v is within range by construction). */
static char *
date_put_digits(char *p, int v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

static char *
date_put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* Built by hand rather than with snprintf(): no locale, no truncation. */
void
http_date_format(time_t t, char out[HTTP_DATE_LEN])
{
	struct tm tm;
	char *p = out;

	if (t < HTTP_DATE_MIN)
		t = HTTP_DATE_MIN;
	if (t > HTTP_DATE_MAX)
		t = HTTP_DATE_MAX;
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));	/* not reached within the clamp */
	p = date_put_str(p, date_wkday[tm.tm_wday % 7]);
	p = date_put_str(p, ", ");
	p = date_put_digits(p, tm.tm_mday, 2);
	p = date_put_str(p, " ");
	p = date_put_str(p, date_month[tm.tm_mon % 12]);
	p = date_put_str(p, " ");
	p = date_put_digits(p, tm.tm_year + 1900, 4);
	p = date_put_str(p, " ");
	p = date_put_digits(p, tm.tm_hour, 2);
	p = date_put_str(p, ":");
	p = date_put_digits(p, tm.tm_min, 2);
	p = date_put_str(p, ":");
	p = date_put_digits(p, tm.tm_sec, 2);
	p = date_put_str(p, " GMT");
	*p = '\0';
}

static int
date_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
date_month_days(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && date_is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
date_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Checks the ranges (RFC 9110 allows second 60, a leap second). */
static int
date_fields_to_time(const struct date_fields *f, time_t *out)
{
	int64_t days;

	if (f->month < 1 || f->month > 12 || f->day < 1 ||
	    f->day > date_month_days(f->year, f->month))
		return -1;
	if (f->hour > 23 || f->min > 59 || f->sec > 60)
		return -1;
	days = date_days_from_civil(f->year, f->month, f->day);
	*out = (time_t)(days * 86400 + f->hour * 3600 + f->min * 60 + f->sec);
	return 0;
}

/* Reads exactly n digits. */
static int
date_read_digits(const char **pp, int n, int *out)
{
	const char *p = *pp;
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*out = v;
	return 0;
}

static int
date_read_lit(const char **pp, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*pp, lit, n) != 0)
		return -1;
	*pp += n;
	return 0;
}

/* Reads one of `count` names (case-sensitive, as in the RFC); returns its index. */
static int
date_read_name(const char **pp, const char *const *names, int count)
{
	int i;

	for (i = 0; i < count; i++) {
		if (date_read_lit(pp, names[i]) == 0)
			return i;
	}
	return -1;
}

static int
date_read_month(const char **pp, struct date_fields *f)
{
	int m;

	if ((m = date_read_name(pp, date_month, 12)) == -1)
		return -1;
	f->month = m + 1;
	return 0;
}

/* time-of-day = hour ":" minute ":" second */
static int
date_read_time(const char **pp, struct date_fields *f)
{
	if (date_read_digits(pp, 2, &f->hour) == -1 ||
	    date_read_lit(pp, ":") == -1 ||
	    date_read_digits(pp, 2, &f->min) == -1 ||
	    date_read_lit(pp, ":") == -1 ||
	    date_read_digits(pp, 2, &f->sec) == -1)
		return -1;
	return 0;
}

/* IMF-fixdate, after "Sun": ", 06 Nov 1994 08:49:37 GMT" */
static int
date_parse_imf(const char *p, struct date_fields *f)
{
	if (date_read_lit(&p, ", ") == -1 ||
	    date_read_digits(&p, 2, &f->day) == -1 ||
	    date_read_lit(&p, " ") == -1 ||
	    date_read_month(&p, f) == -1 ||
	    date_read_lit(&p, " ") == -1 ||
	    date_read_digits(&p, 4, &f->year) == -1 ||
	    date_read_lit(&p, " ") == -1 ||
	    date_read_time(&p, f) == -1 ||
	    date_read_lit(&p, " GMT") == -1)
		return -1;
	return *p == '\0' ? 0 : -1;
}

/* RFC 850, after "Sunday": ", 06-Nov-94 08:49:37 GMT" */
static int
date_parse_rfc850(const char *p, struct date_fields *f)
{
	if (date_read_lit(&p, ", ") == -1 ||
	    date_read_digits(&p, 2, &f->day) == -1 ||
	    date_read_lit(&p, "-") == -1 ||
	    date_read_month(&p, f) == -1 ||
	    date_read_lit(&p, "-") == -1 ||
	    date_read_digits(&p, 2, &f->year) == -1 ||
	    date_read_lit(&p, " ") == -1 ||
	    date_read_time(&p, f) == -1 ||
	    date_read_lit(&p, " GMT") == -1)
		return -1;
	f->year += f->year < 70 ? 2000 : 1900;
	return *p == '\0' ? 0 : -1;
}

/* asctime, after "Sun": " Nov  6 08:49:37 1994" (day is 2DIGIT / SP DIGIT) */
static int
date_parse_asctime(const char *p, struct date_fields *f)
{
	if (date_read_lit(&p, " ") == -1 ||
	    date_read_month(&p, f) == -1 ||
	    date_read_lit(&p, " ") == -1)
		return -1;
	if (*p == ' ') {
		p++;
		if (date_read_digits(&p, 1, &f->day) == -1)
			return -1;
	} else if (date_read_digits(&p, 2, &f->day) == -1)
		return -1;
	if (date_read_lit(&p, " ") == -1 ||
	    date_read_time(&p, f) == -1 ||
	    date_read_lit(&p, " ") == -1 ||
	    date_read_digits(&p, 4, &f->year) == -1)
		return -1;
	return *p == '\0' ? 0 : -1;
}

int
http_date_parse(const char *s, time_t *out)
{
	struct date_fields f;
	const char *p = s;
	int rc = -1;

	if (s == NULL)
		return -1;
	memset(&f, 0, sizeof(f));
	if (date_read_name(&p, date_weekday, 7) != -1)
		rc = date_parse_rfc850(p, &f);
	else if (date_read_name(&p, date_wkday, 7) != -1) {
		if (*p == ',')
			rc = date_parse_imf(p, &f);
		else
			rc = date_parse_asctime(p, &f);
	}
	if (rc == -1)
		return -1;
	return date_fields_to_time(&f, out);
}
