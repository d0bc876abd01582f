/*
 * housekeeping: the commands that look after a published channel.
 *
 *   remove PATH...  removes builds ("130001") or platform versions
 *                   ("app-platform/10001"), in one transaction: out of the
 *                   indexes at once, their files and hashes records deleted
 *                   after --grace seconds (housekeeping_purge())
 *   retain K        keeps the newest K complete builds of each (release,
 *                   item) and the newest K complete version folders of each
 *                   platform; builds without a release or complete item are
 *                   left alone
 *   verify          re-hashes every file recorded in hashes/ and reports
 *                   files that changed or went missing (errors), files and
 *                   folders that no record covers (warnings)
 *   reindex         rewrites the indexes (e.g. after editing catalog.json)
 *   recover         completes or discards an interrupted transaction only
 *
 * Every command (and publish) first runs housekeeping_purge() under the
 * channel lock.
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

struct chan;

/* Deletes, in one transaction, the removed folders (STORE_REMOVED_MARK)
 * whose grace has passed, with their hashes records; lists them in the
 * report's "purged".  The lock is held and publish_recover() has run. */
int housekeeping_purge(struct chan *c, struct report *r, struct errbuf *err);

#endif
