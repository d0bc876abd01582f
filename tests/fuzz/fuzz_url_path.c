/*
 * fuzz_url_path: libFuzzer harness of the path canonicaliser
 * (url_path_canonicalize).  Every input is refused with "" in the output or
 * gives a canonical path that obeys url_path.h: relative (no leading '/'),
 * no empty, "." or ".." segment, no hidden segment, no backslash or control
 * byte, within the limits; canonicalising it again (as it is, or with its
 * bytes percent-escaped) gives it back unchanged, also in a buffer of just
 * its size, and a buffer one byte smaller gives TOO_LONG.  A violation
 * aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every segment of a canonical path: non-empty (but the one after a
 * trailing '/'), not "." or "..", not hidden, no refused byte. */
static void
check_canonical(const char *out)
{
	size_t len = strlen(out), segments = 0;
	const char *seg = out;

	if (len > URL_PATH_MAX || out[0] == '/')
		abort();
	while (*seg != '\0') {
		size_t n = strcspn(seg, "/");

		if (n == 0 || seg[0] == '.')
			abort();		/* "//", ".", "..", hidden */
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)seg[i];

			if (c < 0x20 || c == 0x7f || c == '\\')
				abort();
		}
		segments++;
		seg += n;
		if (*seg == '/')
			seg++;
	}
	if (segments > URL_PATH_MAX_SEGMENTS)
		abort();
}

/* "/" + out, every byte but '/' and unreserved ones percent-escaped. */
static char *
escape_path(const char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	char *s = malloc(3 * strlen(out) + 2), *p = s;

	if (s == NULL)
		abort();
	*p++ = '/';
	for (const unsigned char *q = (const unsigned char *)out; *q != '\0'; q++) {
		if (*q == '/' || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
		    *q == '-' || *q == '_') {
			*p++ = (char)*q;
		} else {
			*p++ = '%';
			*p++ = hex[*q >> 4];
			*p++ = hex[*q & 15];
		}
	}
	*p = '\0';
	return s;
}

/* Canonicalising `path` again, with an output buffer of outsz bytes, gives
 * `want`.  The caller checks that path fits the raw length limit. */
static void
check_same(const char *path, size_t outsz, const char *want)
{
	char again[URL_PATH_MAX + 1];

	if (url_path_canonicalize(path, again, outsz) != URL_PATH_OK || strcmp(again, want) != 0)
		abort();
}

static void
check_idempotent(const char *out)
{
	size_t len = strlen(out);
	char *plain = malloc(len + 2), *escaped = escape_path(out);
	char small[URL_PATH_MAX + 1];

	if (plain == NULL)
		abort();
	plain[0] = '/';
	memcpy(plain + 1, out, len + 1);
	if (strchr(out, '%') == NULL && len < URL_PATH_MAX)
		check_same(plain, sizeof(small), out);	/* nothing left to decode */
	if (strlen(escaped) <= URL_PATH_MAX) {
		check_same(escaped, len + 1, out);	/* exactly enough room */
		if (len > 0 && (url_path_canonicalize(escaped, small, len) != URL_PATH_TOO_LONG ||
		    small[0] != '\0'))
			abort();			/* one byte short */
	}
	free(escaped);
	free(plain);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), out[URL_PATH_MAX + 1];
	enum url_path_status st;
	int http;

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	st = url_path_canonicalize(in, out, sizeof(out));
	http = url_path_status_http(st);
	if (http != 200 && http != 400 && http != 403 && http != 414)
		abort();
	if (st != URL_PATH_OK) {
		if (out[0] != '\0')
			abort();
	} else {
		check_canonical(out);
		check_idempotent(out);
	}
	free(in);
	return 0;
}
