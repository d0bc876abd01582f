/*
 * index_internal: what the parts of store_index share (store_index.c writes
 * apps.json, software.json and firmware.json and drives the scan;
 * index_platforms.c writes linux.json and phoneplatform.json).  Not a
 * public interface: other modules use store_index.h.
 */
#ifndef STORESRV_INDEX_INTERNAL_H
#define STORESRV_INDEX_INTERNAL_H

#include <jansson.h>

#include "catalog.h"
#include "diag.h"
#include "errbuf.h"

/* Writes `doc` (compact, keys in insertion order, final newline) as
 * dlfd/name with atomic_file_write(), unless the file already holds exactly
 * these bytes (so its mtime and ETag stay).  Does not steal doc. */
int index_write_json(int dlfd, const char *name, json_t *doc, struct errbuf *err);

/* Writes linux.json and phoneplatform.json of the download folder dlfd. */
int index_platforms_write(int dlfd, const struct catalog *cat, struct diag *report,
    struct errbuf *err);

/* Numeric value of a valid build or version name (at most 9 digits). */
unsigned long index_build_number(const char *name);

#endif
