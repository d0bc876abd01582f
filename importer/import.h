/*
 * import: the publish and check commands of storeimport, a thin layer over
 * an import session (import_session.h): one session per run, every source
 * added, validated, committed (publish) or not (check), and the copying
 * progress shown.  `check` validates folders in place and archives in a
 * temporary folder and changes nothing.
 */
#ifndef STORESRV_IMPORT_H
#define STORESRV_IMPORT_H

#include "import_session.h"
#include "importer.h"
#include "report.h"

/* Returns an exit code (enum imp_exit); details go to the report. */
int import_run(const struct imp_opts *o, char *const *sources, int nsources,
    struct report *r);

#endif
