/*
 * test_http_cond: table tests of ETags and conditional requests
 * (http_cond.h): list matching, evaluation order, If-Range.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "http_cond.h"

#define PROCEED	HTTP_COND_PROCEED
#define NOTMOD	HTTP_COND_NOT_MODIFIED
#define FAILED	HTTP_COND_PRECONDITION_FAILED

#define ET	"\"abc\""
#define MTIME	784111777
#define D_EQ	"Sun, 06 Nov 1994 08:49:37 GMT"
#define D_EARLY	"Sun, 06 Nov 1994 08:49:36 GMT"
#define D_LATE	"Sun, 06 Nov 1994 08:49:38 GMT"

struct etag_case {
	const char	*name;
	uint64_t	 size;
	int64_t		 sec;
	long		 nsec;
	const char	*want;
};

struct match_case {
	const char	*name;
	const char	*list;
	const char	*etag;
	int		 want_strong;
	int		 want_weak;
};

struct eval_case {
	const char		*name;
	struct http_cond_headers h;	/* if_match, if_none_match, ims, ius */
	const char		*etag;
	int			 get;
	enum http_cond_result	 want;
};

struct if_range_case {
	const char	*name;
	const char	*if_range;
	const char	*etag;
	int		 want;
};

static const struct etag_case etag_cases[] = {
	{ "zero", 0, 0, 0, "\"0-0\"" },
	{ "typical", 1234, 1700000000, 5, "\"4d2-17979cfe362a0005\"" },
	{ "nanoseconds only", 16, 0, 999999999, "\"10-3b9ac9ff\"" },
	{ "one second", 1, 1, 0, "\"1-3b9aca00\"" },
	{ "largest", UINT64_MAX, INT64_MAX, 0,
	    "\"ffffffffffffffff-ffffffffc4653600\"" },
};

static const struct match_case match_cases[] = {
	{ "same tag", ET, ET, 1, 1 },
	{ "weak tag in list", "W/" ET, ET, 0, 1 },
	{ "other tag", "\"xyz\"", ET, 0, 0 },
	{ "second of two", "\"xyz\", " ET, ET, 1, 1 },
	{ "no space after comma", "\"xyz\"," ET, ET, 1, 1 },
	{ "spaces and tabs", "\"xyz\" ,\t  " ET "  ", ET, 1, 1 },
	{ "first of three", ET ", \"b\", \"c\"", ET, 1, 1 },
	{ "weak second", "\"xyz\", W/" ET, ET, 0, 1 },
	{ "empty elements", " , ," ET ",", ET, 1, 1 },
	{ "star", "*", ET, 1, 1 },
	{ "star with spaces", "  *  ", ET, 1, 1 },
	{ "star with no representation", "*", NULL, 0, 0 },
	{ "own weak etag strong", ET, "W/" ET, 0, 1 },
	{ "both weak", "W/" ET, "W/" ET, 0, 1 },
	{ "prefix is not a match", "\"ab\"", ET, 0, 0 },
	{ "longer is not a match", "\"abcd\"", ET, 0, 0 },
	{ "case matters", "\"ABC\"", ET, 0, 0 },
	{ "empty opaque tags", "\"\"", "\"\"", 1, 1 },
	{ "real etag", "\"4d2-17979cfe362a0005\"", "\"4d2-17979cfe362a0005\"", 1, 1 },
	{ "malformed: star and tag", "*, " ET, ET, 0, 0 },
	{ "malformed: tag and star", ET ", *", ET, 0, 0 },
	{ "malformed: unquoted", "abc", ET, 0, 0 },
	{ "malformed: unterminated", "\"abc", ET, 0, 0 },
	{ "malformed: junk after", ET " junk", ET, 0, 0 },
	{ "malformed: later member", ET ", \"x", ET, 0, 0 },
	{ "malformed: missing comma", ET "\"def\"", ET, 0, 0 },
	{ "malformed: lower-case w/", "w/" ET, ET, 0, 0 },
	{ "malformed: space after W/", "W/ " ET, ET, 0, 0 },
	{ "malformed: space in tag", "\"a c\"", "\"a c\"", 0, 0 },
	{ "malformed: semicolon", ET ";" ET, ET, 0, 0 },
	{ "empty list", "", ET, 0, 0 },
	{ "NULL list", NULL, ET, 0, 0 },
	{ "malformed own etag", ET, "abc", 0, 0 },
};

static const struct eval_case eval_cases[] = {
	{ "no conditions", { NULL, NULL, NULL, NULL }, ET, 1, PROCEED },
	{ "no conditions, PUT", { NULL, NULL, NULL, NULL }, ET, 0, PROCEED },
	/* step 1: If-Match, strong */
	{ "If-Match same", { ET, NULL, NULL, NULL }, ET, 1, PROCEED },
	{ "If-Match other", { "\"x\"", NULL, NULL, NULL }, ET, 1, FAILED },
	{ "If-Match star", { "*", NULL, NULL, NULL }, ET, 0, PROCEED },
	{ "If-Match star, no representation", { "*", NULL, NULL, NULL }, NULL, 0,
	    FAILED },
	{ "If-Match weak tag fails", { "W/" ET, NULL, NULL, NULL }, ET, 1, FAILED },
	{ "If-Match malformed fails", { "abc", NULL, NULL, NULL }, ET, 1, FAILED },
	{ "If-Match list", { "\"x\", " ET, NULL, NULL, NULL }, ET, 1, PROCEED },
	/* step 2: If-Unmodified-Since */
	{ "IUS equal", { NULL, NULL, NULL, D_EQ }, ET, 0, PROCEED },
	{ "IUS later", { NULL, NULL, NULL, D_LATE }, ET, 0, PROCEED },
	{ "IUS earlier fails", { NULL, NULL, NULL, D_EARLY }, ET, 0, FAILED },
	{ "IUS earlier fails GET", { NULL, NULL, NULL, D_EARLY }, ET, 1, FAILED },
	{ "IUS invalid ignored", { NULL, NULL, NULL, "yesterday" }, ET, 0, PROCEED },
	{ "IUS ignored under If-Match", { ET, NULL, NULL, D_EARLY }, ET, 0, PROCEED },
	/* step 3: If-None-Match, weak */
	{ "INM same GET", { NULL, ET, NULL, NULL }, ET, 1, NOTMOD },
	{ "INM same PUT", { NULL, ET, NULL, NULL }, ET, 0, FAILED },
	{ "INM weak tag GET", { NULL, "W/" ET, NULL, NULL }, ET, 1, NOTMOD },
	{ "INM star GET", { NULL, "*", NULL, NULL }, ET, 1, NOTMOD },
	{ "INM star PUT", { NULL, "*", NULL, NULL }, ET, 0, FAILED },
	{ "INM star, no representation", { NULL, "*", NULL, NULL }, NULL, 0,
	    PROCEED },
	{ "INM other", { NULL, "\"x\"", NULL, NULL }, ET, 1, PROCEED },
	{ "INM malformed", { NULL, ET " junk", NULL, NULL }, ET, 1, PROCEED },
	{ "INM list", { NULL, "\"x\", W/" ET, NULL, NULL }, ET, 1, NOTMOD },
	/* step 4: If-Modified-Since */
	{ "IMS equal", { NULL, NULL, D_EQ, NULL }, ET, 1, NOTMOD },
	{ "IMS later", { NULL, NULL, D_LATE, NULL }, ET, 1, NOTMOD },
	{ "IMS earlier", { NULL, NULL, D_EARLY, NULL }, ET, 1, PROCEED },
	{ "IMS RFC 850 form", { NULL, NULL, "Sunday, 06-Nov-94 08:49:37 GMT",
	    NULL }, ET, 1, NOTMOD },
	{ "IMS asctime form", { NULL, NULL, "Sun Nov  6 08:49:37 1994", NULL },
	    ET, 1, NOTMOD },
	{ "IMS invalid ignored", { NULL, NULL, "Sun, 06 Nov 1994", NULL }, ET, 1,
	    PROCEED },
	{ "IMS not for PUT", { NULL, NULL, D_EQ, NULL }, ET, 0, PROCEED },
	/* order between steps */
	{ "If-Match fails before INM", { "\"x\"", ET, NULL, NULL }, ET, 1, FAILED },
	{ "IUS fails before INM", { NULL, ET, NULL, D_EARLY }, ET, 1, FAILED },
	{ "If-Match passes then INM", { ET, ET, NULL, NULL }, ET, 1, NOTMOD },
	{ "IMS ignored under INM", { NULL, "\"x\"", D_EQ, NULL }, ET, 1, PROCEED },
	{ "INM wins over old IMS", { NULL, ET, D_EARLY, NULL }, ET, 1, NOTMOD },
	{ "all four pass", { ET, "\"x\"", D_EARLY, D_LATE }, ET, 1, PROCEED },
};

static const struct if_range_case if_range_cases[] = {
	{ "absent", NULL, ET, 1 },
	{ "same strong etag", ET, ET, 1 },
	{ "same etag with OWS", " " ET " ", ET, 1 },
	{ "other etag", "\"xyz\"", ET, 0 },
	{ "weak etag", "W/" ET, ET, 0 },
	{ "own etag weak", ET, "W/" ET, 0 },
	{ "etag, no representation", ET, NULL, 0 },
	{ "etag list", ET ", \"xyz\"", ET, 0 },
	{ "unterminated etag", "\"abc", ET, 0 },
	{ "date equal", D_EQ, ET, 1 },
	{ "date equal, asctime", "Sun Nov  6 08:49:37 1994", ET, 1 },
	{ "date earlier", D_EARLY, ET, 0 },
	{ "date later", D_LATE, ET, 0 },
	{ "invalid date", "Sun, 31 Feb 1994 08:49:37 GMT", ET, 0 },
	{ "garbage", "garbage", ET, 0 },
	{ "empty", "", ET, 0 },
	{ "W without slash is a date attempt", "Wed", ET, 0 },
};

static void
test_etag_make(void)
{
	char buf[HTTP_ETAG_LEN], name[128];
	size_t i;

	for (i = 0; i < sizeof(etag_cases) / sizeof(etag_cases[0]); i++) {
		memset(buf, 'X', sizeof(buf));
		http_etag_make(buf, etag_cases[i].size, etag_cases[i].sec,
		    etag_cases[i].nsec);
		snprintf(name, sizeof(name), "etag: %s", etag_cases[i].name);
		tap_str_eq(buf, etag_cases[i].want, name);
	}
	http_etag_make(buf, 10, 1, 0);
	tap_ok(http_etag_list_match(buf, buf, 0), "etag: a made etag matches itself");
}

static void
test_etag_match(void)
{
	const struct match_case *c;
	int strong, weak;
	size_t i;

	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		c = &match_cases[i];
		strong = http_etag_list_match(c->list, c->etag, 0);
		weak = http_etag_list_match(c->list, c->etag, 1);
		tap_ok(strong == c->want_strong, "match strong: %s", c->name);
		tap_ok(weak == c->want_weak, "match weak: %s", c->name);
	}
}

static void
test_cond_eval(void)
{
	const struct eval_case *c;
	enum http_cond_result got;
	size_t i;

	for (i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
		c = &eval_cases[i];
		got = http_cond_evaluate(&c->h, c->etag, MTIME, c->get);
		if (!tap_ok(got == c->want, "evaluate: %s", c->name))
			printf("#   got %d, want %d\n", got, c->want);
	}
}

static void
test_cond_if_range(void)
{
	const struct if_range_case *c;
	size_t i;

	for (i = 0; i < sizeof(if_range_cases) / sizeof(if_range_cases[0]); i++) {
		c = &if_range_cases[i];
		tap_ok(http_cond_if_range(c->if_range, c->etag, MTIME) == c->want,
		    "if-range: %s", c->name);
	}
}

int
main(void)
{
	test_etag_make();
	test_etag_match();
	test_cond_eval();
	test_cond_if_range();
	return tap_done();
}
