/*
 * utf8: validating UTF-8 and showing any byte string as printable UTF-8.
 *
 * Pure functions.  The store's indexes are JSON and its pages HTML, so
 * names it publishes must be UTF-8 (build_name_refusal()); reports still
 * have to show the names they refuse, which is what utf8_escape() is for.
 */
#ifndef STORESRV_UTF8_H
#define STORESRV_UTF8_H

#include <stddef.h>

/* Are the len bytes of s well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF)?  NUL bytes count as U+0000. */
int utf8_valid(const char *s, size_t len);

/* A copy of the string s that is valid UTF-8 without control characters:
 * every byte that is a C0 control or DEL, or not part of a well-formed
 * sequence, is written as the four characters "\xNN" (lower-case hex).
 * Other text, backslashes included, is copied unchanged.  The caller frees
 * the result. */
char *utf8_escape(const char *s);

#endif
