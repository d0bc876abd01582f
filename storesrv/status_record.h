/*
 * status_record: the record of a tool's last run that storesrv's status
 * shows.  storeimport (publish) and storemirror sync each replace
 * <root>/.status/<name> atomically at the end of a run:
 *
 *   {"finished": "2026-11-27T16:00:00Z", "ok": true, "exit": 0,
 *    "problems": 0, "message": null, ...extra members}
 *
 * A hidden folder, so never served.  Only a store root (a folder that
 * holds a channel) gets a record: a run refused because its root was a
 * channel, a download/ folder or an empty folder leaves nothing behind.  Library code: no printing, 0/-1 with
 * an errbuf naming the record.
 */
#ifndef STORESRV_STATUS_RECORD_H
#define STORESRV_STATUS_RECORD_H

#include <jansson.h>

#include "errbuf.h"

#define STATUS_DIR		".status"
#define STATUS_LAST_IMPORT	"last-import.json"
#define STATUS_LAST_MIRROR	"last-mirror.json"
#define STATUS_RECORD_MAX	(256 * 1024)	/* a record longer is not read */

/* Writes the record `name` below root (a path); extra's members (may be
 * NULL; borrowed) are added.  exit_status 0 is "ok".  Returns 0 (also when
 * root holds no channel and nothing is written), or -1 with err set. */
int status_record_write(const char *root, const char *name, int exit_status, long problems,
    const char *message, json_t *extra, struct errbuf *err);

#endif
