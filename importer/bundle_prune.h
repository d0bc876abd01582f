/*
 * bundle_prune: the indexes of a staged bundle reduced to what it brings.
 *
 * A bundle (bundle.h) carries its channel's five indexes whole, but of a
 * selection, of what is new since an export, or once the folders the
 * target already has are skipped, only some of the builds and platform
 * versions they name.  Adopting such indexes would report every other
 * one as missing and, for a platform whose files are not staged, empty the
 * catalog's file names of that platform.  So the staged copies are
 * rewritten first to name only what the staged download/ tree holds.
 */
#ifndef STORESRV_BUNDLE_PRUNE_H
#define STORESRV_BUNDLE_PRUNE_H

#include "errbuf.h"

/* Rewrites the indexes of the staged download/ folder dlfd to what it
 * holds, so that adopting them takes over the metadata of what the bundle
 * brings and nothing else: a bundle of a selection or of what is new since
 * an export, or one whose folders the target has already (not staged),
 * names builds and platform files that are not in the staged tree.  Taken
 * out: versions of builds not staged, items left without one, firmware
 * releases and devices left without a build, platform entries naming a
 * file not staged, the devices' references to them.  The channel's indexes
 * are computed anew on publishing, so the bytes of these are not kept.
 * Indexes that are absent, too large or not JSON are left to the adoption
 * to report.  -1 (err) when one cannot be written back. */
int bundle_prune_indexes(int dlfd, struct errbuf *err);
/* The same for the indexes of kind_mask only (bits 1u << enum index_kind):
 * the mirror prunes linux.json and phoneplatform.json, whose adoption
 * would otherwise empty the files of platforms it does not bring, and
 * keeps the others whole for their metadata. */
int bundle_prune_index_kinds(int dlfd, unsigned kind_mask, struct errbuf *err);

#endif
