/*
 * import: the publish and check commands over an import session; see
 * import.h.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "copy_hash.h"
#include "fs_open.h"
#include "import.h"
#include "source.h"

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

static int
import_sources(struct import_session *s, const struct imp_opts *o, char *const *sources,
    int n, struct report *r, struct errbuf *err)
{
	int rc = 0;

	import_progress_begin(o, sources, n, r);
	for (int i = 0; i < n && rc == 0; i++)
		rc = import_session_add_source(s, sources[i], err);
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
import_steps(struct import_session *s, const struct imp_opts *o, char *const *sources, int n,
    struct report *r, struct errbuf *err)
{
	int rc;

	if (o->descriptor != NULL && import_session_read_descriptor(s, o->descriptor, err) == -1)
		return IMP_EXIT_INVALID;
	if (!o->dry_run && import_session_recover(s, err) == -1)
		return IMP_EXIT_IO;
	if (import_sources(s, o, sources, n, r, err) == -1 ||
	    import_session_validate(s, err) == -1)
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
import_run(const struct imp_opts *o, char *const *sources, int n, struct report *r)
{
	struct import_session *s;
	struct errbuf err;
	int status;

	err.msg[0] = '\0';
	if ((s = import_session_create(o, r, &err)) == NULL)
		status = IMP_EXIT_IO;
	else
		status = import_steps(s, o, sources, n, r, &err);
	if (status != IMP_EXIT_OK)
		json_array_clear(r->published);
	if ((status == IMP_EXIT_IO || (status == IMP_EXIT_INVALID && r->diag->errors == 0)) &&
	    err.msg[0] != '\0')
		report_error(r, err.msg);
	import_session_free(s);
	return status;
}
