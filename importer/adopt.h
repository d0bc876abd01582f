/*
 * adopt: take over a store download/ tree with its JSON indexes.
 *
 * The item metadata of apps.json, software.json, firmware.json, linux.json
 * and phoneplatform.json go into the catalog (every field but the computed
 * ones - id, versions - kept verbatim, unknown ones too); the versions give
 * builds their release and label, firmware versions give releases their
 * wiki link, linux.json / phoneplatform.json entries name the platform files
 * and their version folder; an older version folder, which no entry names,
 * takes the id of the first entry whose files it holds (index_parse.h parses
 * the indexes).  Every inconsistency between the indexes and the
 * files is reported: a version naming a build folder that is missing or
 * lacks the item's manifest, a platform file that is missing or outside
 * its version folder, build folders no index mentions, firmware.json devices
 * that the ip<model>.bin files do not back, malformed entries.
 */
#ifndef STORESRV_ADOPT_H
#define STORESRV_ADOPT_H

#include "catalog.h"
#include "diag.h"
#include "importer.h"

/* Adopts tree `t` (its units are the entries of ul with .tree == index):
 * merges metadata into cat, sets the platform ids of its platform units.
 * `upstream`: the indexes are a mirrored upstream's, the authority (the
 * mirror checked and planned them already):
 *   - a version naming a build that is not in the tree but published here
 *     already (in cat) sets that build's release and label too; otherwise
 *     it is only reported as missing;
 *   - an entry the index parser leaves out (malformed, unsafe) is a
 *     warning, not an error: the mirror's plan reported it and left it
 *     out, and one bad entry must not refuse the rest of the channel. */
void adopt_tree(const struct tree_src *t, int index, struct unit_list *ul,
    struct catalog *cat, int upstream, struct diag *d);

#endif
