/*
 * import: the publish and check commands over an import session; see
 * import.h.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "bundle.h"
#include "bundle_prune.h"
#include "copy_hash.h"
#include "fs_open.h"
#include "import.h"
#include "source.h"
#include "store_layout.h"
#include "xmalloc.h"

/* Publish only: shows the progress of copying folder sources and
 * extracting archives into the staging area.  The total is what
 * tree_size() counts of the folders; with an archive among the sources it
 * is unknown (0: no percentage, no ETA), since what an archive expands to
 * is known only once it is extracted.  The hook is process-wide:
 * storeimport runs one session at a time. */
static void
import_progress_begin(const struct imp_opts *o, char *const *sources, int n, struct report *r)
{
	uint64_t total = 0;
	int folders = 0, archives = 0, fd;

	if (o->dry_run || r->progress == NULL)
		return;
	for (int i = 0; i < n; i++) {
		if (source_is_file(sources[i]) == 1) {
			archives++;
			continue;
		}
		if ((fd = fs_open_subdir(AT_FDCWD, sources[i], FS_SUBDIR_OPEN, NULL)) == -1)
			continue;
		if (tree_size(fd, &total, NULL) == 0)
			folders++;
		close(fd);
	}
	if (folders + archives == 0)
		return;
	report_progress_begin(r, archives > 0 ? 0 : total);
	copy_hash_set_progress(report_progress_copied, r);
}

/* The target channel's folder (to skip what it publishes already), or -1
 * when it does not exist yet. */
static int
import_channel_fd(const struct imp_opts *o)
{
	char *path;
	int fd;

	if (o->dry_run || o->root == NULL)
		return -1;
	path = xasprintf("%s/%s", o->root, o->channel);
	fd = fs_open_subdir(AT_FDCWD, path, FS_SUBDIR_OPEN, NULL);
	free(path);
	return fd;
}

/* The bundle's files written into the staged folder `name` (open in
 * dst): its indexes reduced to what it holds, then adopted with the
 * hashes computed while writing the files. */
static int
import_bundle_adopt(struct import_session *s, const char *name, int dst,
    const struct hashlist *hl, struct errbuf *err)
{
	struct staged_hash *known;
	int dl, rc;

	if ((dl = fs_open_subdir(dst, STORE_DOWNLOAD_DIR, FS_SUBDIR_OPEN, err)) == -1)
		return -1;
	rc = bundle_prune_indexes(dl, err);
	close(dl);
	if (rc == -1)
		return -1;
	known = xcalloc(hl->count + 1, sizeof(*known));
	for (size_t i = 0; i < hl->count; i++) {
		known[i].rel = hl->recs[i].path;
		known[i].sha256 = hl->recs[i].hex;
		known[i].size = hl->recs[i].size;
	}
	rc = import_session_adopt_hashed(s, name, known, hl->count, err);
	free(known);
	return rc;
}

/* A bundle: verified while its new folders are staged; *staged counts
 * what the session got.  0 (refusals in the report) or -1 (err). */
static int
import_bundle(struct import_session *s, const struct imp_opts *o,
    const struct import_bundle_opts *b, const char *path, struct report *r, int *staged,
    struct errbuf *err)
{
	struct bundle_read_opts ro = { b ? b->verify_key : NULL, import_channel_fd(o),
	    o->limits.max_bytes, o->limits.max_ratio };
	struct bundle_reader *br = NULL;
	size_t errors = r->diag->errors;
	struct hashlist hl;
	char *name = NULL;
	int dst = -1, rc;

	hashlist_init(&hl);
	if ((rc = bundle_reader_open(path, &ro, &br, r->diag, err)) != 0)
		goto out;
	if (!o->dry_run && bundle_reader_new_units(br) > 0 &&
	    (dst = import_session_stage_new(s, &name, err)) == -1) {
		rc = -1;
		goto out;
	}
	if ((rc = bundle_reader_extract(br, dst, &hl, r->diag, err)) != 0 ||
	    r->diag->errors > errors)
		goto out;
	if (name != NULL)
		rc = import_bundle_adopt(s, name, dst, &hl, err);
	else if (o->dry_run)	/* check: the content validated as an archive */
		rc = import_session_add_source(s, path, err);
	else
		goto out;	/* nothing new: verified, nothing staged */
	if (rc == 0)
		(*staged)++;
out:
	bundle_reader_close(br);
	hashlist_free(&hl);
	free(name);
	if (dst != -1)
		close(dst);
	if (ro.chanfd != -1)
		close(ro.chanfd);
	if (rc == -1)
		errbuf_prefix(err, "%s", path);
	return rc == -1 ? -1 : 0;
}

/* Adds every source; *staged counts those the session got (a bundle
 * bringing nothing new gives none). */
static int
import_sources(struct import_session *s, const struct imp_opts *o,
    const struct import_bundle_opts *b, char *const *sources, int n, struct report *r,
    int *staged, struct errbuf *err)
{
	int rc = 0;

	import_progress_begin(o, sources, n, r);
	for (int i = 0; i < n && rc == 0; i++) {
		if (source_is_file(sources[i]) == 1 && bundle_probe(sources[i]))
			rc = import_bundle(s, o, b, sources[i], r, staged, err);
		else if (b != NULL && b->verify_key != NULL)
			diag_add(r->diag, DIAG_ERROR, sources[i], "not a bundle, and --verify-key "
			    "accepts only signed bundles");
		else if ((rc = import_session_add_source(s, sources[i], err)) == 0)
			(*staged)++;
	}
	copy_hash_set_progress(NULL, NULL);
	report_progress_end(r);
	return rc;
}

/* Test hook: with STOREIMPORT_TEST_STOP_BEFORE_COMMIT set, storeimport
 * stops itself (SIGSTOP) once its sources are staged and validated, so
 * that tests/integration/importer_concurrency.sh shows what other writers
 * do meanwhile (the channel lock is free, the transaction stays). */
static void
import_test_stop_before_commit(void)
{
	if (getenv("STOREIMPORT_TEST_STOP_BEFORE_COMMIT") != NULL)
		raise(SIGSTOP);
}

static int
import_steps(struct import_session *s, const struct imp_opts *o,
    const struct import_bundle_opts *b, char *const *sources, int n, struct report *r,
    struct errbuf *err)
{
	int rc, staged = 0;

	if (o->descriptor != NULL && import_session_read_descriptor(s, o->descriptor, err) == -1)
		return IMP_EXIT_INVALID;
	if (!o->dry_run && import_session_recover(s, err) == -1)
		return IMP_EXIT_IO;
	if (import_sources(s, o, b, sources, n, r, &staged, err) == -1)
		return IMP_EXIT_IO;
	if (staged == 0 && r->diag->errors == 0) {	/* bundles holding nothing new */
		if (o->strict)
			diag_promote_warnings(r->diag);
		return r->diag->errors > 0 ? IMP_EXIT_INVALID : IMP_EXIT_OK;
	}
	if (import_session_validate(s, err) == -1)
		return IMP_EXIT_IO;
	if (r->diag->errors > 0)
		return IMP_EXIT_INVALID;
	if (o->dry_run)
		return IMP_EXIT_OK;
	import_test_stop_before_commit();
	if ((rc = import_session_commit(s, err)) == 0)
		return IMP_EXIT_OK;
	return rc == 1 ? IMP_EXIT_INVALID : IMP_EXIT_IO;
}

int
import_run(const struct imp_opts *o, const struct import_bundle_opts *b, char *const *sources,
    int n, struct report *r)
{
	struct import_session *s;
	struct errbuf err;
	int status;

	err.msg[0] = '\0';
	if ((s = import_session_create(o, r, &err)) == NULL)
		status = IMP_EXIT_IO;
	else
		status = import_steps(s, o, b, sources, n, r, &err);
	if (status != IMP_EXIT_OK)
		json_array_clear(r->published);
	if ((status == IMP_EXIT_IO || (status == IMP_EXIT_INVALID && r->diag->errors == 0)) &&
	    err.msg[0] != '\0')
		report_error(r, err.msg);
	import_session_free(s);
	return status;
}
