/*
 * test_http_head: table tests of the request-head framing rules
 * (http_head.h).  Each case is a version and up to four header lines.
 */
#include "config.h"

#include <stdio.h>

#include "../tap.h"
#include "http_head.h"

#define MAXF 4

struct head_case {
	const char *name;
	int major, minor;
	struct http_head_field fields[MAXF];
	int want;
};

#define HOST { "Host", "store.example" }

static const struct head_case head_cases[] = {
	/* served */
	{ "HTTP/1.1 with Host", 1, 1, { HOST }, 0 },
	{ "HTTP/1.0 without Host", 1, 0, { { NULL, NULL } }, 0 },
	{ "HTTP/1.0 with Host", 1, 0, { HOST }, 0 },
	{ "Host with port", 1, 1, { { "Host", "127.0.0.1:8080" } }, 0 },
	{ "Host IPv6 literal", 1, 1, { { "Host", "[::1]:8080" } }, 0 },
	{ "empty Host (RFC 9112 3.2)", 1, 1, { { "Host", "" } }, 0 },
	{ "host field name in lower case", 1, 1, { { "host", "a" } }, 0 },
	{ "Content-Length 0", 1, 1, { HOST, { "Content-Length", "0" } }, 0 },
	{ "Content-Length twice, same", 1, 1, { HOST, { "Content-Length", "5" }, { "content-length", "5" } }, 0 },
	{ "chunked", 1, 1, { HOST, { "Transfer-Encoding", "chunked" } }, 0 },
	{ "chunked in capitals", 1, 1, { HOST, { "Transfer-Encoding", "CHUNKED" } }, 0 },
	{ "token characters in a name", 1, 1, { HOST, { "X-a!#$%&'*+.^_`|~9", "v" } }, 0 },
	/* versions */
	{ "HTTP/1.2", 1, 2, { HOST }, 505 },
	{ "HTTP/1.9", 1, 9, { HOST }, 505 },
	{ "HTTP/0.9", 0, 9, { { NULL, NULL } }, 505 },
	{ "HTTP/-1.1", -1, 1, { HOST }, 505 },
	{ "HTTP/1.-1", 1, -1, { HOST }, 505 },
	/* field names */
	{ "space before the colon", 1, 1, { HOST, { "Transfer-Encoding ", "chunked" } }, 400 },
	{ "tab before the colon", 1, 1, { HOST, { "Content-Length\t", "5" } }, 400 },
	{ "space inside a name", 1, 1, { HOST, { "X Y", "1" } }, 400 },
	{ "empty name", 1, 1, { HOST, { "", "x" } }, 400 },
	{ "name with a slash", 1, 1, { HOST, { "a/b", "x" } }, 400 },
	{ "name with a non-ASCII byte", 1, 1, { HOST, { "X-\xc3\xa4", "x" } }, 400 },
	/* Host */
	{ "HTTP/1.1 without Host", 1, 1, { { "Accept", "*/*" } }, 400 },
	{ "two Host lines", 1, 1, { HOST, { "Host", "other.example" } }, 400 },
	{ "two Host lines, same value", 1, 1, { HOST, HOST }, 400 },
	{ "two Host lines in HTTP/1.0", 1, 0, { HOST, { "HOST", "b" } }, 400 },
	{ "Host with a space", 1, 1, { { "Host", "a b" } }, 400 },
	{ "Host with a slash", 1, 1, { { "Host", "a/b" } }, 400 },
	{ "Host with userinfo", 1, 1, { { "Host", "u@a" } }, 400 },
	/* Content-Length */
	{ "Content-Length +5", 1, 1, { HOST, { "Content-Length", "+5" } }, 400 },
	{ "Content-Length -1", 1, 1, { HOST, { "Content-Length", "-1" } }, 400 },
	{ "Content-Length empty", 1, 1, { HOST, { "Content-Length", "" } }, 400 },
	{ "Content-Length hex", 1, 1, { HOST, { "Content-Length", "0x10" } }, 400 },
	{ "Content-Length list", 1, 1, { HOST, { "Content-Length", "5, 5" } }, 400 },
	{ "two different Content-Length", 1, 1, { HOST, { "Content-Length", "5" }, { "Content-Length", "6" } }, 400 },
	{ "second Content-Length invalid", 1, 1, { HOST, { "Content-Length", "5" }, { "Content-Length", "5x" } }, 400 },
	/* Transfer-Encoding */
	{ "Transfer-Encoding in HTTP/1.0", 1, 0, { { "Transfer-Encoding", "chunked" } }, 400 },
	{ "Transfer-Encoding and Content-Length", 1, 1, { HOST, { "Transfer-Encoding", "chunked" }, { "Content-Length", "3" } }, 400 },
	{ "Transfer-Encoding twice", 1, 1, { HOST, { "Transfer-Encoding", "chunked" }, { "Transfer-Encoding", "chunked" } }, 400 },
	{ "gzip coding", 1, 1, { HOST, { "Transfer-Encoding", "gzip, chunked" } }, 501 },
	{ "chunked with a parameter", 1, 1, { HOST, { "Transfer-Encoding", "chunked;x=1" } }, 501 },
	{ "identity coding", 1, 1, { HOST, { "Transfer-Encoding", "identity" } }, 501 },
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(head_cases) / sizeof(head_cases[0]); i++) {
		const struct head_case *c = &head_cases[i];
		size_t n = 0;
		const char *why;
		int got;

		while (n < MAXF && c->fields[n].name != NULL)
			n++;
		got = http_head_check(c->major, c->minor, c->fields, n, &why);
		if (!tap_ok(got == c->want && (got == 0) == (why == NULL), "%s", c->name))
			printf("# got %d (%s), want %d\n", got, why ? why : "-", c->want);
	}
	return tap_done();
}
