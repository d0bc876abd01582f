/*
 * validate: the checks of one unit before it is published, every problem
 * reported to a diag list with where = "<build>/<file>".
 *
 * Builds: build_check() (libstore) finds the items and checks manifests,
 * files and the firmware rule; the importer adds that every item must be
 * complete (missing or empty files are errors here, not warnings), that
 * the build holds at least one item, that items have the kind given with
 * --kind, and that the build has a release id (for builds of an adopted
 * store tree a missing release is a warning: older builds are not named by
 * the indexes, which list only the latest build of each release).
 * Platform versions: every file named by the platform's entry (file,
 * update, zip, zip2) is present, regular and not empty; other files are
 * warnings.  Both: every name below the unit follows the rule of published
 * names (build_name_refusal(); copies refuse them already, `check` reads
 * the source folder itself).
 */
#ifndef STORESRV_VALIDATE_H
#define STORESRV_VALIDATE_H

#include "build_check.h"
#include "catalog.h"
#include "diag.h"
#include "importer.h"

/* Returns 0, or -1 when the folder could not be read (err). */
int validate_build(const struct unit *u, const struct catalog *cat, int kind,
    struct build_result *res, struct diag *d, struct errbuf *err);
int validate_platform(const struct unit *u, const struct catalog *cat, struct diag *d);

#endif
