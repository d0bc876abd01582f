/*
 * xmalloc: allocation wrappers that abort on out-of-memory, so callers never
 * handle a NULL from them.  xfree-style helpers are not needed: free(NULL)
 * is already a no-op.
 */
#ifndef STORESRV_XMALLOC_H
#define STORESRV_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The out-of-memory end of the x* wrappers, for a library's allocation that
 * failed (jansson's, OpenSSL's): logs "out of memory: <what>" and exits.
 * The only way library code may stop the program. */
void xalloc_failed(const char *what) __attribute__((noreturn));

#endif
