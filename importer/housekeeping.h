/*
 * housekeeping: the commands that look after a published channel.
 *
 *   remove PATH...  removes builds ("130001") or platform versions
 *                   ("app-platform/10001") with their hashes records, in
 *                   one transaction, and rewrites the indexes
 *   retain K        keeps the newest K builds of each (release, item) and
 *                   the newest K version folders of each platform kind;
 *                   builds without a release are left alone
 *   verify          re-hashes every file recorded in hashes/ and reports
 *                   files that changed or went missing (errors), files and
 *                   folders that no record covers (warnings)
 *   reindex         rewrites the indexes (e.g. after editing catalog.json)
 *   recover         completes or discards an interrupted transaction only
 */
#ifndef STORESRV_HOUSEKEEPING_H
#define STORESRV_HOUSEKEEPING_H

#include "importer.h"
#include "report.h"

int housekeeping_remove(const struct imp_opts *o, char *const *paths, int n, struct report *r);
int housekeeping_retain(const struct imp_opts *o, const char *keep, struct report *r);
int housekeeping_verify(const struct imp_opts *o, struct report *r);
int housekeeping_reindex(const struct imp_opts *o, struct report *r);
int housekeeping_recover(const struct imp_opts *o, struct report *r);

#endif
