/*
 * http_head: request-head framing rules (RFC 9112); see http_head.h.  Each
 * rule quotes the section that makes it a server's duty.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "http_head.h"

/* RFC 9110 section 5.6.2: tchar. */
static int
head_is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
head_is_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!head_is_tchar((unsigned char)*s))
			return 0;
	}
	return 1;
}

/* RFC 9110 section 8.6: Content-Length = 1*DIGIT. */
static int
head_is_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	return s[strspn(s, "0123456789")] == '\0';
}

/* RFC 9110 section 7.2 / RFC 3986 section 3.2.2: uri-host [ ":" port ];
 * reg-name, IPv4 and IP-literal characters, nothing that ends a host. */
static int
head_is_host(const char *s)
{
	static const char host_chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "-._~%!$&'()*+,;=:[]";

	return s[strspn(s, host_chars)] == '\0';
}

/* The value of a field that may appear once; *count counts its lines. */
static const char *
head_single(const struct http_head_field *fields, size_t n, const char *name, size_t *count)
{
	const char *value = NULL;

	*count = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(fields[i].name, name) == 0) {
			if (value == NULL)
				value = fields[i].value;
			(*count)++;
		}
	}
	return value;
}

static int
head_refuse(int status, const char *rule, const char **why)
{
	*why = rule;
	return status;
}

int
http_head_check(int major, int minor, const struct http_head_field *fields, size_t nfields,
    const char **why)
{
	const char *host, *length, *coding;
	size_t nhost, nlength, ncoding;

	*why = NULL;
	/* RFC 9110 section 15.6.6: 505 for a major version we do not support;
	 * RFC 9112 section 2.3: 1.x is all this server speaks. */
	if (major != 1 || (minor != 0 && minor != 1))
		return head_refuse(505, "HTTP version not supported", why);
	/* RFC 9112 section 5.1: no white space between name and colon; a field
	 * name is a token (RFC 9110 section 5.1). */
	for (size_t i = 0; i < nfields; i++) {
		if (!head_is_token(fields[i].name))
			return head_refuse(400, "field name is not a token", why);
	}
	/* RFC 9112 section 3.2: 400 for an HTTP/1.1 request without Host, with
	 * more than one, or with an invalid one. */
	host = head_single(fields, nfields, "Host", &nhost);
	if (nhost > 1)
		return head_refuse(400, "more than one Host", why);
	if (minor == 1 && host == NULL)
		return head_refuse(400, "HTTP/1.1 request without Host", why);
	if (host != NULL && !head_is_host(host))
		return head_refuse(400, "invalid Host", why);
	/* RFC 9112 section 6.3 (5): an invalid Content-Length, including
	 * differing repeated values, is an unrecoverable framing error. */
	length = head_single(fields, nfields, "Content-Length", &nlength);
	for (size_t i = 0; i < nfields; i++) {
		if (strcasecmp(fields[i].name, "Content-Length") == 0 &&
		    (!head_is_digits(fields[i].value) || strcmp(fields[i].value, length) != 0))
			return head_refuse(400, "invalid or conflicting Content-Length", why);
	}
	/* RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 means faulty
	 * framing; section 6.3 (3): with Content-Length too, refuse; a coding
	 * other than chunked is not understood: 501. */
	coding = head_single(fields, nfields, "Transfer-Encoding", &ncoding);
	if (coding != NULL) {
		if (minor == 0 || nlength > 0 || ncoding > 1)
			return head_refuse(400, "Transfer-Encoding with HTTP/1.0, Content-Length or twice", why);
		if (strcasecmp(coding, "chunked") != 0)
			return head_refuse(501, "transfer coding other than chunked", why);
	}
	return 0;
}
