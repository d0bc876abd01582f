/*
 * store_index: scan a channel and write its five indexes.
 *
 * store_index_rebuild() reads <root>/<channel>/catalog.json and scans
 * <root>/<channel>/download/, then atomically rewrites apps.json,
 * firmware.json, software.json, linux.json and phoneplatform.json in the
 * documented formats (docs/STORE-FORMATS.md): build numbers as strings,
 * `versions` holding the latest complete build of each release, only builds
 * that are complete, item metadata and unknown fields from the catalog
 * verbatim.  firmware.json lists a device under a release only when the
 * release's build holds the device's firmware (no dead links).  Output is
 * deterministic (same tree, same bytes).
 *
 * A channel without catalog.json is left alone (its indexes may come from
 * elsewhere, e.g. a copied store): the call returns 0 and writes nothing.
 * Incomplete or unlisted builds are reported to `report` (may be NULL) as
 * warnings.  The caller holds the channel lock (store_lock.h).
 */
#ifndef STORESRV_STORE_INDEX_H
#define STORESRV_STORE_INDEX_H

#include <jansson.h>

#include "diag.h"
#include "errbuf.h"

int store_index_rebuild(const char *root, const char *channel, struct diag *report,
    struct errbuf *err);

/* Rebuilds every channel under root, each under its lock, and never waits
 * for a lock: a channel another writer holds is skipped with a warning in
 * report (that writer rewrites its indexes itself).  Stops at the first
 * hard error.  Returns 0 or -1. */
int store_index_rebuild_all(const char *root, struct diag *report, struct errbuf *err);

/* Whether the platform version folder vfd holds every file of `files` (a
 * catalog platform's role -> file name object, not empty) as a regular,
 * non-empty file: the rule by which linux.json and phoneplatform.json pick
 * a platform's version. */
int store_platform_version_complete(int vfd, json_t *files);

#endif
