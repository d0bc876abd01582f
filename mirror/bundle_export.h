/*
 * bundle_export: writes an air-gap bundle (importer/bundle.h) of a local
 * published channel: its five indexes, and the files of the builds and
 * platform versions a selection picks from them (mirror_plan.h on the
 * local indexes: the latest build of each release, the selected kinds,
 * ids, devices, releases, architectures), each with its size and the
 * sha256 of its record (<channel>/hashes/<build>.sha256).
 *
 * One tar, streamed: every file is read once, in 1 MiB pieces, hashed as
 * its bytes go into the archive and checked against its record; a file
 * that changed on disk since publishing (another size or sha256) refuses
 * the export, naming it.  The manifest comes first (so the importer checks
 * every byte as it reads), signed with an Ed25519 key when asked.  The
 * bundle is written to a hidden temporary file beside the output and
 * renamed into place only when complete: a failed export leaves no bundle.
 *
 * Incremental exports: the state file written with state_out lists every
 * folder exported so far with the sha256 of its record; given back as
 * `since`, the folders it lists with the same record are left out (the
 * indexes always go in).  The new state is the old one plus this export's.
 *
 * Library code: nothing printed.  Problems with the channel's content
 * (a file missing, unrecorded or changed, an index refused, a bad state
 * file) go to the diag; I/O failures to err.
 */
#ifndef STORESRV_BUNDLE_EXPORT_H
#define STORESRV_BUNDLE_EXPORT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "errbuf.h"
#include "mirror_plan.h"

#define BUNDLE_STATE_FORMAT	"storesrv-bundle-state"

struct bundle_export_opts {
	const char *root;		/* the store root */
	const char *channel;		/* the channel exported */
	const struct mirror_selection *sel;	/* NULL: everything */
	const char *output;		/* the bundle file */
	const char *since;		/* state file of a previous export, or NULL */
	const char *state_out;		/* state file to write, or NULL */
	const char *sign_key;		/* Ed25519 private key (PEM), or NULL */
	const volatile sig_atomic_t *stop;	/* non-zero (set by a signal
					 * handler): stop, no bundle left; or NULL */
};

struct bundle_export_result {
	size_t units;		/* builds and platform versions in the bundle */
	size_t unchanged;	/* left out: exported before (since) */
	size_t files;		/* files in the bundle, indexes included */
	uint64_t bytes;		/* their sizes */
	int is_signed;
	int written;		/* the bundle is in place (the state file may
				 * still have failed after it) */
};

/* Returns 0 (the bundle written), 1 (refused: problems in d, no bundle) or
 * -1 (err, no bundle). */
int bundle_export(const struct bundle_export_opts *o, struct bundle_export_result *res,
    struct diag *d, struct errbuf *err);

#endif
