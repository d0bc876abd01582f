/*
 * errbuf: one-sentence error messages carried back to the caller; see errbuf.h.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"

int
errbuf_set(struct errbuf *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
errbuf_set_errno(struct errbuf *err, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;
	size_t len;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(saved_errno));
	errno = saved_errno;
	return -1;
}

int
errbuf_prefix(struct errbuf *err, const char *fmt, ...)
{
	char old[ERRBUF_SIZE];
	va_list ap;
	size_t len;

	if (err == NULL)
		return -1;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %.*s",
	    (int)(sizeof(err->msg) - len), old);
	return -1;
}
