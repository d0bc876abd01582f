/*
 * import: the publish and check commands.  Sources are staged (copied with
 * their sha256, or extracted), their units found (source.h), store trees
 * adopted (adopt.h), the descriptor and command-line metadata applied to a
 * working copy of the catalog, every unit validated (validate.h), and, when
 * nothing is wrong, everything is published in one transaction (publish.h).
 * `check` validates folders in place and archives in a temporary folder
 * and changes nothing.
 */
#ifndef STORESRV_IMPORT_H
#define STORESRV_IMPORT_H

#include "importer.h"
#include "report.h"

struct chan;

/* A channel without catalog.json whose download/ holds indexes (a copied
 * store): its own indexes adopted into a new catalog (the caller frees it),
 * so that rewriting the indexes keeps their metadata.  Problems go to d. */
struct catalog *import_adopt_channel(const struct chan *c, struct diag *d);

/* Returns an exit code (enum imp_exit); details go to the report. */
int import_run(const struct imp_opts *o, char *const *sources, int nsources,
    struct report *r);

#endif
