/*
 * test_names: the rule for published names (build_name_refusal(), shared
 * by folder copies and archive extraction) and the escaping of names in
 * reports (utf8_escape()), each from a table of named cases.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "build_check.h"
#include "utf8.h"

struct name_case {
	const char *name;
	const char *text;
	size_t len;		/* 0: strlen(text) */
	const char *why;	/* NULL: allowed */
};

static char long_name[BUILD_NAME_MAX + 2];

static const struct name_case name_cases[] = {
	{ "plain", "ip222.bin", 0, NULL },
	{ "UTF-8 accent", "caf\xc3\xa9.png", 0, NULL },
	{ "UTF-8 4-byte", "\xf0\x9f\x93\xa6.bin", 0, NULL },
	{ "U+10FFFF", "\xf4\x8f\xbf\xbf", 0, NULL },
	{ "backslash (archives refuse it themselves)", "a\\b", 0, NULL },
	{ "255 bytes", long_name, BUILD_NAME_MAX, NULL },
	{ "256 bytes", long_name, BUILD_NAME_MAX + 1, "name longer than 255 bytes" },
	{ "empty", "", 0, "empty name" },
	{ "newline", "a\nb.bin", 0, "control character in name" },
	{ "carriage return", "a.bin\r", 0, "control character in name" },
	{ "tab", "a\tb", 0, "control character in name" },
	{ "escape", "\x1b[31m", 0, "control character in name" },
	{ "DEL", "a\x7f", 0, "control character in name" },
	{ "NUL inside", "a\0b", 3, "control character in name" },
	{ "0x1f", "a\x1f", 0, "control character in name" },
	{ "Latin-1 byte", "caf\xe9.png", 0, "name is not valid UTF-8" },
	{ "lone continuation", "\x80", 0, "name is not valid UTF-8" },
	{ "truncated sequence", "a\xc3", 0, "name is not valid UTF-8" },
	{ "overlong slash", "\xc0\xaf", 0, "name is not valid UTF-8" },
	{ "overlong 3-byte", "\xe0\x80\xaf", 0, "name is not valid UTF-8" },
	{ "surrogate", "\xed\xa0\x80", 0, "name is not valid UTF-8" },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", 0, "name is not valid UTF-8" },
	{ "0xff", "\xff", 0, "name is not valid UTF-8" },
};

struct escape_case {
	const char *name;
	const char *in;
	const char *out;
};

static const struct escape_case escape_cases[] = {
	{ "ASCII unchanged", "130001/ip222.bin", "130001/ip222.bin" },
	{ "UTF-8 unchanged", "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "backslash unchanged", "a\\b", "a\\b" },
	{ "newline", "a\nb", "a\\x0ab" },
	{ "DEL", "\x7f", "\\x7f" },
	{ "Latin-1 byte", "caf\xe9.png", "caf\\xe9.png" },
	{ "truncated sequence at the end", "a\xc3", "a\\xc3" },
	{ "bad byte then valid UTF-8", "\xff\xc3\xa9", "\\xff\xc3\xa9" },
	{ "surrogate bytes", "\xed\xa0\x80", "\\xed\\xa0\\x80" },
	{ "empty", "", "" },
};

int
main(void)
{
	memset(long_name, 'a', sizeof(long_name) - 1);
	for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		const struct name_case *c = &name_cases[i];
		char label[128];

		snprintf(label, sizeof(label), "name: %s", c->name);
		tap_str_eq(build_name_refusal(c->text, c->len ? c->len : strlen(c->text)), c->why,
		    label);
	}
	for (size_t i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]); i++) {
		const struct escape_case *c = &escape_cases[i];
		char label[128], *got = utf8_escape(c->in);

		snprintf(label, sizeof(label), "escape: %s", c->name);
		tap_str_eq(got, c->out, label);
		tap_ok(utf8_valid(got, strlen(got)), "escape: %s: result is UTF-8", c->name);
		free(got);
	}
	return tap_done();
}
