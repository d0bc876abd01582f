/*
 * errbuf: the project's one error convention.
 *
 * Functions that can fail return 0 on success and -1 on failure, and, when
 * given a non-NULL struct errbuf, write one human-readable sentence into it
 * that names the file, line or field at fault ("catalog.json: apps.demo.title:
 * not a string").  Errors from libraries (errno, jansson, libarchive, OpenSSL,
 * libxml2) are turned into this text where they enter our code.
 *
 * Where many problems must be reported together (validation), use diag.h.
 */
#ifndef STORESRV_ERRBUF_H
#define STORESRV_ERRBUF_H

#define ERRBUF_SIZE 512

struct errbuf {
	char msg[ERRBUF_SIZE];
};

/* Sets the message; a NULL errbuf is allowed and ignored.  Always returns -1
 * so that "return errbuf_set(err, ...);" reads naturally. */
int errbuf_set(struct errbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like errbuf_set() and appends ": strerror(errno)". */
int errbuf_set_errno(struct errbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends "prefix: " to an existing message (adds context on the way up). */
int errbuf_prefix(struct errbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
