/*
 * conf_file: the config file format of storesrv and storemirror, read line
 * by line; each program's settings table gives the keys a meaning.
 *
 *   # a comment line
 *   key = value
 *
 * Blank lines and lines whose first non-blank character is '#' are skipped;
 * key and value are trimmed of spaces and tabs and taken verbatim otherwise
 * (no quoting, no escapes, no trailing comments: "root = /a#b" is "/a#b").
 * Lines are at most CONF_FILE_LINE_MAX bytes.
 *
 * Library code: never prints; 0/-1 with errbuf.
 */
#ifndef STORESRV_CONF_FILE_H
#define STORESRV_CONF_FILE_H

#include <stdint.h>

#include "errbuf.h"

#define CONF_FILE_LINE_MAX	4094

/* Called for each "key = value" line; `where` is "FILE:LINE" for the
 * callback's error messages.  A nonzero return stops the reading. */
typedef int (*conf_file_fn)(const char *key, const char *value, const char *where, void *arg,
    struct errbuf *err);

/* Reads path and calls fn for each setting, in order.  Returns 0, or -1
 * with err set: the file cannot be read ("FILE: strerror"), a line is not
 * "key = value" or too long ("FILE:LINE: ..."), or fn's error. */
int conf_file_load(const char *path, conf_file_fn fn, void *arg, struct errbuf *err);

/* "yes", "on", "true", "1" -> 1; "no", "off", "false", "0" -> 0; else -1. */
int conf_parse_bool(const char *value, int *out);

/* A size in bytes: digits with an optional suffix k, M or G (powers of
 * 1024, either case): "4096", "500k", "10M", "1G".  Returns 0, or -1 when
 * malformed or above UINT64_MAX. */
int conf_parse_size(const char *value, uint64_t *out);

#endif
