/*
 * test_url_path: table tests of the path canonicaliser (url_path.h),
 * including an attack table of traversal, encoding and length tricks.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "url_path.h"

#define OK	URL_PATH_OK
#define BAD	URL_PATH_BAD
#define FORB	URL_PATH_FORBIDDEN
#define LONG	URL_PATH_TOO_LONG

struct path_case {
	const char		*name;
	const char		*in;
	enum url_path_status	 want;
	const char		*out;	/* expected output when want == OK */
	size_t			 outsz;	/* 0: a buffer of URL_PATH_MAX + 1 */
};

static const struct path_case valid_cases[] = {
	{ "root", "/", OK, "", 0 },
	{ "file at root", "/apps.json", OK, "apps.json", 0 },
	{ "channel index", "/release/download/apps.json", OK,
	    "release/download/apps.json", 0 },
	{ "trailing slash kept", "/release/download/", OK,
	    "release/download/", 0 },
	{ "one dir with slash", "/release/", OK, "release/", 0 },
	{ "app file", "/release/download/130001/arm/apidemo/apidemo.png", OK,
	    "release/download/130001/arm/apidemo/apidemo.png", 0 },
	{ "manifest", "/release/download/130001/apidemo_files", OK,
	    "release/download/130001/apidemo_files", 0 },
	{ "utf-8 escaped", "/release/download/caf%C3%A9.png", OK,
	    "release/download/caf\xc3\xa9.png", 0 },
	{ "utf-8 escaped lower hex", "/caf%c3%a9", OK, "caf\xc3\xa9", 0 },
	{ "utf-8 raw", "/caf\xc3\xa9.png", OK, "caf\xc3\xa9.png", 0 },
	{ "%20 is a space", "/my%20file.txt", OK, "my file.txt", 0 },
	{ "+ is not a space", "/a+b.txt", OK, "a+b.txt", 0 },
	{ "%2B is a plus", "/a%2Bb", OK, "a+b", 0 },
	{ "escaped letters", "/%61%62c", OK, "abc", 0 },
	{ "dot inside name", "/a.b.c", OK, "a.b.c", 0 },
	{ "dots at end of name", "/a..", OK, "a..", 0 },
	{ "name ending in dot", "/release/x.", OK, "release/x.", 0 },
	{ "dots in middle", "/a..b/c", OK, "a..b/c", 0 },
	{ "escaped dot in name", "/a%2Ejson", OK, "a.json", 0 },
	{ "percent escaped", "/100%25", OK, "100%", 0 },
	{ "tilde", "/~user", OK, "~user", 0 },
	{ "semicolon kept", "/a;b", OK, "a;b", 0 },
	{ "exact fit outsz", "/abc", OK, "abc", 4 },
	{ "root in outsz 1", "/", OK, "", 1 },
};

static const struct path_case attack_cases[] = {
	{ "empty", "", BAD, NULL, 0 },
	{ "no leading slash", "release/apps.json", BAD, NULL, 0 },
	{ "bare ..", "..", BAD, NULL, 0 },
	{ "/..", "/..", BAD, NULL, 0 },
	{ "/../etc/passwd", "/../etc/passwd", BAD, NULL, 0 },
	{ "climb out of download", "/release/download/../../x", BAD, NULL, 0 },
	{ "climb inside tree", "/release/download/../apps.json", BAD, NULL, 0 },
	{ "trailing /..", "/release/..", BAD, NULL, 0 },
	{ "trailing /../", "/release/../", BAD, NULL, 0 },
	{ "%2e%2e", "/%2e%2e", BAD, NULL, 0 },
	{ "%2e%2e without slash", "%2e%2e", BAD, NULL, 0 },
	{ "%2E%2e/", "/%2E%2e/", BAD, NULL, 0 },
	{ ".%2e", "/.%2e/etc/passwd", BAD, NULL, 0 },
	{ "%2e.", "/a/%2e./b", BAD, NULL, 0 },
	{ "%2e", "/a/%2e/b", BAD, NULL, 0 },
	{ "%2f", "/a%2fb", BAD, NULL, 0 },
	{ "%2F", "/a%2Fb", BAD, NULL, 0 },
	{ "..%2f climb", "/..%2f..%2fetc/passwd", BAD, NULL, 0 },
	{ "%5c", "/a%5cb", BAD, NULL, 0 },
	{ "%5C", "/a%5Cb", BAD, NULL, 0 },
	{ "..%5c climb", "/..%5c..%5cwin.ini", BAD, NULL, 0 },
	{ "raw backslash", "/a\\b", BAD, NULL, 0 },
	{ "raw backslash climb", "/..\\..\\x", BAD, NULL, 0 },
	{ "%00", "/a%00.png", BAD, NULL, 0 },
	{ "%00 at end", "/a.json%00", BAD, NULL, 0 },
	{ "escaped control %01", "/a%01", BAD, NULL, 0 },
	{ "escaped newline %0a", "/a%0ab", BAD, NULL, 0 },
	{ "escaped CR %0D", "/a%0Db", BAD, NULL, 0 },
	{ "escaped %1f", "/a%1f", BAD, NULL, 0 },
	{ "escaped DEL %7f", "/a%7F", BAD, NULL, 0 },
	{ "raw tab", "/a\tb", BAD, NULL, 0 },
	{ "raw newline", "/a\nb", BAD, NULL, 0 },
	{ "raw 0x01", "/a\x01", BAD, NULL, 0 },
	{ "raw 0x1f", "/\x1f", BAD, NULL, 0 },
	{ "raw DEL", "/a\x7f", BAD, NULL, 0 },
	{ "//", "//", BAD, NULL, 0 },
	{ "// in middle", "/release//apps.json", BAD, NULL, 0 },
	{ "// leading", "//etc/passwd", BAD, NULL, 0 },
	{ "// trailing", "/release//", BAD, NULL, 0 },
	{ "/./", "/release/./apps.json", BAD, NULL, 0 },
	{ "/. at root", "/.", BAD, NULL, 0 },
	{ "trailing /.", "/release/.", BAD, NULL, 0 },
	{ "trailing /./", "/release/./", BAD, NULL, 0 },
	{ "lone %", "/a%", BAD, NULL, 0 },
	{ "% then slash", "/a%/b", BAD, NULL, 0 },
	{ "%4", "/a%4", BAD, NULL, 0 },
	{ "%4 then char", "/a%4g", BAD, NULL, 0 },
	{ "%zz", "/a%zzb", BAD, NULL, 0 },
	{ "%%", "/a%%", BAD, NULL, 0 },
	{ "%%41", "/a%%41", BAD, NULL, 0 },
	{ "%-1", "/a%-1", BAD, NULL, 0 },
	{ "% space", "/a% 1", BAD, NULL, 0 },
	{ "double encoded .. stays a name", "/%252e%252e", OK, "%2e%2e", 0 },
	{ "hidden .staging", "/.staging/x", FORB, NULL, 0 },
	{ "hidden .lock", "/release/.lock", FORB, NULL, 0 },
	{ "hidden .store", "/.store", FORB, NULL, 0 },
	{ "hidden tmp file", "/a/.tmp-x", FORB, NULL, 0 },
	{ "hidden dir with slash", "/release/.git/", FORB, NULL, 0 },
	{ "hidden escaped %2e", "/%2estaging/x", FORB, NULL, 0 },
	{ "hidden escaped %2E", "/release/%2Elock", FORB, NULL, 0 },
	{ "three dots hidden", "/...", FORB, NULL, 0 },
	{ "hidden then bad escape", "/.staging/%zz", BAD, NULL, 0 },
	{ "bad escape then hidden", "/%zz/.staging", BAD, NULL, 0 },
	{ "hidden then ..", "/.staging/..", BAD, NULL, 0 },
	{ "outsz too small", "/abcd", LONG, NULL, 4 },
	{ "outsz too small for slash", "/abc/", LONG, NULL, 4 },
	{ "outsz 1 with name", "/a", LONG, NULL, 1 },
	{ "outsz 0", "/", LONG, NULL, (size_t)-1 },
};

static int
test_path_case(const struct path_case *c, const char *table)
{
	char buf[URL_PATH_MAX + 1];
	size_t outsz = c->outsz == 0 ? sizeof(buf) : c->outsz;
	enum url_path_status st;

	if (c->outsz == (size_t)-1)
		outsz = 0;
	memset(buf, 'X', sizeof(buf));
	st = url_path_canonicalize(c->in, buf, outsz);
	if (!tap_ok(st == c->want, "%s: %s: status", table, c->name)) {
		printf("#   got %d, want %d\n", st, c->want);
		return 0;
	}
	if (c->want == OK) {
		char name[160];

		snprintf(name, sizeof(name), "%s: %s: output", table, c->name);
		return tap_str_eq(buf, c->out, name);
	}
	/* A refusal leaves an empty string, never a half-decoded path. */
	if (outsz > 0)
		return tap_ok(buf[0] == '\0', "%s: %s: output emptied", table, c->name);
	return 1;
}

static void
test_path_table(const struct path_case *cases, size_t n, const char *table)
{
	size_t i;

	for (i = 0; i < n; i++)
		test_path_case(&cases[i], table);
}

/* Builds "/" followed by `n` copies of `unit`; buf must be large enough. */
static void
build_path(char *buf, size_t bufsz, const char *unit, size_t n)
{
	size_t i, len = strlen(unit);

	buf[0] = '/';
	buf[1] = '\0';
	for (i = 0; i < n && 1 + (i + 1) * len < bufsz; i++)
		memcpy(buf + 1 + i * len, unit, len + 1);
}

static void
test_path_lengths(void)
{
	static char in[4 * URL_PATH_MAX], out[4 * URL_PATH_MAX];
	enum url_path_status st;

	/* raw exactly URL_PATH_MAX bytes: '/' + 1023 'a' */
	build_path(in, sizeof(in), "a", URL_PATH_MAX - 1);
	st = url_path_canonicalize(in, out, sizeof(out));
	tap_ok(st == OK && strlen(out) == URL_PATH_MAX - 1,
	    "length: raw of exactly URL_PATH_MAX is accepted");

	build_path(in, sizeof(in), "a", URL_PATH_MAX);
	st = url_path_canonicalize(in, out, sizeof(out));
	tap_ok(st == LONG, "length: raw of URL_PATH_MAX + 1 is too long");

	/* raw > 1024 but decoded short: still refused on the raw length */
	build_path(in, sizeof(in), "%41", 400);
	st = url_path_canonicalize(in, out, sizeof(out));
	tap_ok(st == LONG, "length: 1201 raw bytes decoding to 400 is too long");

	/* raw within limit with escapes decodes within limit */
	build_path(in, sizeof(in), "%41", 341);
	st = url_path_canonicalize(in, out, sizeof(out));
	tap_ok(st == OK && strlen(out) == 341 && out[0] == 'A',
	    "length: 1024 raw bytes of escapes decode to 341");

	/* decoded too long: a huge raw path, refused, no overflow of out */
	build_path(in, sizeof(in), "abcdefgh", 300);
	st = url_path_canonicalize(in, out, sizeof(out));
	tap_ok(st == LONG, "length: 2401 raw / 2400 decoded bytes is too long");

	/* decoded path that does not fit a small buffer */
	build_path(in, sizeof(in), "a", 100);
	st = url_path_canonicalize(in, out, 100);
	tap_ok(st == LONG && out[0] == '\0', "length: 100 bytes in outsz 100 is too long");
	st = url_path_canonicalize(in, out, 101);
	tap_ok(st == OK && strlen(out) == 100, "length: 100 bytes in outsz 101 fits");
}

/* URL_PATH_ALLOW_FINDER: only Finder's own names pass, only with the flag. */
static void
test_path_finder(void)
{
	static const struct {
		const char *in;
		enum url_path_status plain, finder;
	} cases[] = {
		{ "/r/incoming/.DS_Store", FORB, OK },
		{ "/r/incoming/a/._build.zip", FORB, OK },
		{ "/r/incoming/._", FORB, FORB },
		{ "/r/incoming/.DS_Storex", FORB, FORB },
		{ "/r/incoming/.tmp-x", FORB, FORB },
		{ "/r/incoming/.props.json", FORB, FORB },
		{ "/r/incoming/._a/..", BAD, BAD },
	};
	char out[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tap_ok(url_path_canonicalize(cases[i].in, out, sizeof(out)) == cases[i].plain,
		    "finder: %s without the flag", cases[i].in);
		tap_ok(url_path_canonicalize_flags(cases[i].in, out, sizeof(out),
		    URL_PATH_ALLOW_FINDER) == cases[i].finder, "finder: %s with the flag",
		    cases[i].in);
	}
}

static void
test_path_segments(void)
{
	char in[256], out[256];
	enum url_path_status st;

	build_path(in, sizeof(in), "a/", URL_PATH_MAX_SEGMENTS);
	st = url_path_canonicalize(in, out, sizeof(out));
	tap_ok(st == OK, "segments: %d directories with trailing slash",
	    URL_PATH_MAX_SEGMENTS);

	in[strlen(in) - 1] = '\0';
	st = url_path_canonicalize(in, out, sizeof(out));
	tap_ok(st == OK, "segments: exactly %d segments", URL_PATH_MAX_SEGMENTS);

	build_path(in, sizeof(in), "a/", URL_PATH_MAX_SEGMENTS);
	strcat(in, "b");
	st = url_path_canonicalize(in, out, sizeof(out));
	tap_ok(st == LONG, "segments: %d segments is too many",
	    URL_PATH_MAX_SEGMENTS + 1);

	build_path(in, sizeof(in), "a/", 100);
	st = url_path_canonicalize(in, out, sizeof(out));
	tap_ok(st == LONG, "segments: 100 segments is too many");
}

static void
test_path_null(void)
{
	char out[16] = "junk";

	tap_ok(url_path_canonicalize(NULL, out, sizeof(out)) == BAD &&
	    out[0] == '\0', "NULL path is bad");
	tap_ok(url_path_canonicalize("/", NULL, 0) == LONG, "NULL out is too long");
}

static void
test_path_http(void)
{
	tap_ok(url_path_status_http(OK) == 200, "http: OK -> 200");
	tap_ok(url_path_status_http(BAD) == 400, "http: BAD -> 400");
	tap_ok(url_path_status_http(FORB) == 403, "http: FORBIDDEN -> 403");
	tap_ok(url_path_status_http(LONG) == 414, "http: TOO_LONG -> 414");
	tap_ok(url_path_status_http((enum url_path_status)-99) == 500,
	    "http: unknown status -> 500");
}

int
main(void)
{
	test_path_table(valid_cases, sizeof(valid_cases) / sizeof(valid_cases[0]),
	    "valid");
	test_path_table(attack_cases, sizeof(attack_cases) / sizeof(attack_cases[0]),
	    "attack");
	test_path_lengths();
	test_path_segments();
	test_path_finder();
	test_path_null();
	test_path_http();
	return tap_done();
}
