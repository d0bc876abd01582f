/*
 * import: the publish and check commands of storeimport, a thin layer over
 * an import session (import_session.h): one session per run, every source
 * added, validated, committed (publish) or not (check), and the copying
 * progress shown.  `check` validates folders in place and archives in a
 * temporary folder and changes nothing.
 *
 * An air-gap bundle (bundle.h, recognised by its first entry) is not
 * extracted like other archives: its files are checked against its
 * manifest (and signature) while they are written into the staging area,
 * its folders that the channel already publishes with the same files are
 * verified but not staged, and the rest is adopted with the hashes computed
 * on the way (import_session_adopt_hashed()).  A bundle refused (tampered,
 * truncated, inconsistent, badly signed) is an error in the report: nothing
 * is published.  `check` verifies a bundle and validates its content.
 */
#ifndef STORESRV_IMPORT_H
#define STORESRV_IMPORT_H

#include "import_session.h"
#include "importer.h"
#include "report.h"

/* What publish and check take beyond struct imp_opts, for bundles. */
struct import_bundle_opts {
	const char *verify_key;	/* --verify-key: PEM Ed25519 public key; a bundle
				 * then needs a valid signature */
};

/* Returns an exit code (enum imp_exit); details go to the report.  b may
 * be NULL (no --verify-key). */
int import_run(const struct imp_opts *o, const struct import_bundle_opts *b,
    char *const *sources, int nsources, struct report *r);

#endif
