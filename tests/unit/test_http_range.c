/*
 * test_http_range: table tests of the Range header parser (http_range.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "../tap.h"
#include "http_range.h"

#define NONE	HTTP_RANGE_NONE
#define SAT	HTTP_RANGE_SATISFIABLE
#define UNSAT	HTTP_RANGE_UNSATISFIABLE

struct range_case {
	const char		*name;
	const char		*value;
	uint64_t		 size;
	enum http_range_result	 want;
	uint64_t		 offset;	/* when SAT */
	uint64_t		 length;
};

static const struct range_case range_cases[] = {
	/* every form */
	{ "no header", NULL, 100, NONE, 0, 0 },
	{ "first-last", "bytes=0-9", 100, SAT, 0, 10 },
	{ "first-last middle", "bytes=10-19", 100, SAT, 10, 10 },
	{ "single byte", "bytes=5-5", 100, SAT, 5, 1 },
	{ "last byte", "bytes=99-99", 100, SAT, 99, 1 },
	{ "whole by first-last", "bytes=0-99", 100, SAT, 0, 100 },
	{ "first-", "bytes=10-", 100, SAT, 10, 90 },
	{ "first- from 0", "bytes=0-", 100, SAT, 0, 100 },
	{ "first- last byte", "bytes=99-", 100, SAT, 99, 1 },
	{ "suffix", "bytes=-10", 100, SAT, 90, 10 },
	{ "suffix of 1", "bytes=-1", 100, SAT, 99, 1 },
	{ "suffix equal size", "bytes=-100", 100, SAT, 0, 100 },
	{ "unit case-insensitive", "Bytes=0-0", 100, SAT, 0, 1 },
	{ "unit upper case", "BYTES=1-2", 100, SAT, 1, 2 },
	{ "trailing space allowed", "bytes=0-9 ", 100, SAT, 0, 10 },
	{ "trailing tab allowed", "bytes=-5\t", 100, SAT, 95, 5 },
	{ "leading zeros", "bytes=007-009", 100, SAT, 7, 3 },
	{ "19 digits", "bytes=0-9999999999999999999", 100, SAT, 0, 100 },
	{ "big file", "bytes=4294967296-", 8589934592ULL, SAT,
	    4294967296ULL, 4294967296ULL },
	/* clipping */
	{ "last beyond end clipped", "bytes=50-1000", 100, SAT, 50, 50 },
	{ "last at size clipped", "bytes=0-100", 100, SAT, 0, 100 },
	{ "huge last clipped", "bytes=1-9999999999999999999", 100, SAT, 1, 99 },
	{ "suffix longer than size", "bytes=-500", 100, SAT, 0, 100 },
	{ "huge suffix", "bytes=-9999999999999999999", 100, SAT, 0, 100 },
	/* size 0 */
	{ "size 0 first-", "bytes=0-", 0, UNSAT, 0, 0 },
	{ "size 0 first-last", "bytes=0-10", 0, UNSAT, 0, 0 },
	{ "size 0 suffix ignored", "bytes=-10", 0, NONE, 0, 0 },
	{ "size 0 no header", NULL, 0, NONE, 0, 0 },
	/* unsatisfiable */
	{ "offset == size", "bytes=100-", 100, UNSAT, 0, 0 },
	{ "offset == size with last", "bytes=100-200", 100, UNSAT, 0, 0 },
	{ "offset > size", "bytes=500-", 100, UNSAT, 0, 0 },
	{ "offset > size with last", "bytes=500-600", 100, UNSAT, 0, 0 },
	{ "suffix 0", "bytes=-0", 100, UNSAT, 0, 0 },
	{ "suffix 000", "bytes=-000", 100, UNSAT, 0, 0 },
	{ "19-digit offset", "bytes=9999999999999999999-", 100, UNSAT, 0, 0 },
	/* multiple ranges ignored */
	{ "two ranges", "bytes=0-1,5-6", 100, NONE, 0, 0 },
	{ "two ranges with space", "bytes=0-1, 5-6", 100, NONE, 0, 0 },
	{ "range and suffix", "bytes=0-1,-5", 100, NONE, 0, 0 },
	{ "trailing comma", "bytes=0-1,", 100, NONE, 0, 0 },
	/* bad syntax ignored */
	{ "empty", "", 100, NONE, 0, 0 },
	{ "bytes=", "bytes=", 100, NONE, 0, 0 },
	{ "bytes=-", "bytes=-", 100, NONE, 0, 0 },
	{ "bytes=a-b", "bytes=a-b", 100, NONE, 0, 0 },
	{ "bytes=1-b", "bytes=1-b", 100, NONE, 0, 0 },
	{ "bytes=5-2", "bytes=5-2", 100, NONE, 0, 0 },
	{ "items=0-1", "items=0-1", 100, NONE, 0, 0 },
	{ "bytes = 0-1", "bytes = 0-1", 100, NONE, 0, 0 },
	{ "space after =", "bytes= 0-1", 100, NONE, 0, 0 },
	{ "space before -", "bytes=0 -1", 100, NONE, 0, 0 },
	{ "space after -", "bytes=0- 1", 100, NONE, 0, 0 },
	{ "no dash", "bytes=5", 100, NONE, 0, 0 },
	{ "double dash", "bytes=--5", 100, NONE, 0, 0 },
	{ "negative last", "bytes=1--5", 100, NONE, 0, 0 },
	{ "plus sign", "bytes=+1-2", 100, NONE, 0, 0 },
	{ "garbage after", "bytes=0-1x", 100, NONE, 0, 0 },
	{ "garbage after space", "bytes=0-1 x", 100, NONE, 0, 0 },
	{ "unit prefix only", "byte=0-1", 100, NONE, 0, 0 },
	{ "unit with suffix", "bytesx=0-1", 100, NONE, 0, 0 },
	{ "no equals", "bytes0-1", 100, NONE, 0, 0 },
	{ "20-digit first", "bytes=10000000000000000000-", 100, NONE, 0, 0 },
	{ "20-digit last", "bytes=0-10000000000000000000", 100, NONE, 0, 0 },
	{ "20-digit suffix", "bytes=-10000000000000000000", 100, NONE, 0, 0 },
	{ "overflowing number", "bytes=0-99999999999999999999999", 100, NONE, 0, 0 },
	{ "hex number", "bytes=0x10-", 100, NONE, 0, 0 },
};

static void
test_range_case(const struct range_case *c)
{
	struct http_range r = { 12345, 67890 };
	enum http_range_result got;
	int ok;

	got = http_range_parse(c->value, c->size, &r);
	ok = got == c->want;
	if (ok && c->want == SAT)
		ok = r.offset == c->offset && r.length == c->length && r.length > 0;
	if (!tap_ok(ok, "%s: \"%s\" size %" PRIu64, c->name,
	    c->value ? c->value : "(null)", c->size))
		printf("#   got %d offset %" PRIu64 " length %" PRIu64 ", want %d"
		    " offset %" PRIu64 " length %" PRIu64 "\n", got, r.offset,
		    r.length, c->want, c->offset, c->length);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]); i++)
		test_range_case(&range_cases[i]);
	return tap_done();
}
