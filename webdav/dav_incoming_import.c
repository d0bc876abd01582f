/*
 * dav_incoming_import: one upload of incoming/ validated and published
 * through the import session (import_session.h), or refused with its
 * problems file beside it (dav_incoming_internal.h).
 *
 * A folder is first checked in place (a check session: nothing is copied,
 * nothing moved), so that a refused upload is never touched.  Once it
 * passes, it is moved (renamed, on the same file system) into a new
 * session's staging area, adopted as it is, validated again against the
 * channel and committed; refused there (the channel changed meanwhile) or
 * failing, it is moved back with the build.json files the session took
 * out.  An archive is given to the session, which extracts it into its
 * staging area; it is removed from incoming/ once published.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "atomic_file.h"
#include "copy_hash.h"
#include "dav_incoming_internal.h"
#include "descriptor.h"
#include "import_session.h"
#include "importer.h"
#include "log.h"
#include "report.h"
#include "xmalloc.h"

#define INC_VERDICT_REFUSED	"refused, nothing published"

/* One import in progress. */
struct inc_run {
	const struct inc_job *job;
	char *path;		/* <root>/<channel>/incoming/<name> */
	char *strip;		/* "<root>/<channel>/incoming/": taken off wheres */
	char *slot;		/* the staged folder's name, taken off wheres */
	int copied;		/* a folder copied (from another file system), not moved */
	struct report *rep;	/* the report shown when refused */
	struct errbuf err;
};

static void
inc_opts(const struct inc_job *job, int dry_run, struct imp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->root = job->root;
	o->channel = job->channel;
	o->kind = KIND_NONE;
	o->reserve = job->reserve;
	o->dry_run = dry_run;
	o->limits.max_bytes = ARCHIVE_DEFAULT_MAX_BYTES;
	o->limits.max_ratio = ARCHIVE_DEFAULT_MAX_RATIO;
	o->limits.max_entries = ARCHIVE_DEFAULT_MAX_ENTRIES;
}

/* A session's outcome from its steps' return value and the report. */
static enum inc_outcome
inc_verdict(int rc, const struct report *rep)
{
	if (rc == -1)
		return INC_IO_ERROR;
	return rc == 1 || rep->diag->errors > 0 ? INC_REFUSED : INC_PUBLISHED;
}

/* The upload given to a session as a source: a folder checked in place
 * (dry_run: a check session, nothing copied; INC_PUBLISHED then means
 * "passed"), or an archive extracted into the staging area and committed. */
static enum inc_outcome
inc_source_run(struct inc_run *run, int dry_run)
{
	struct import_session *s;
	struct imp_opts o;
	int rc;

	inc_opts(run->job, dry_run, &o);
	if ((s = import_session_create(&o, run->rep, &run->err)) == NULL)
		return INC_IO_ERROR;
	rc = import_session_add_source(s, run->path, &run->err);
	if (rc == 0)
		rc = import_session_validate(s, &run->err);
	if (rc == 0 && !dry_run && run->rep->diag->errors == 0)
		rc = import_session_commit(s, &run->err);
	import_session_free(s);
	return inc_verdict(rc, run->rep);
}

/* Moves the upload into the staged folder stagefd, unless an upload began
 * below it since the decision.  0 moved, 1 busy, 2 on another file system
 * (to be copied), -1 (run->err). */
static int
inc_move_in(struct inc_run *run, int stagefd)
{
	const struct inc_job *job = run->job;
	int rc, saved;

	if (job->claim(job->claim_arg) == -1)
		return 1;
	rc = renameat(job->incfd, job->name, stagefd, job->name);
	saved = errno;
	job->claim_end(job->claim_arg);
	if (rc == 0)
		return 0;
	if (saved == EXDEV)
		return 2;
	errno = saved;
	return errbuf_set_errno(&run->err, "%s: move into the staging area", run->path);
}

/* Puts a refused upload back where it was (under another name when a new
 * one took its place meanwhile), with its build.json files. */
static void
inc_move_back(struct inc_run *run, int stagefd, const char *staging,
    const struct inc_saved *saved)
{
	const struct inc_job *job = run->job;
	char *name = xstrdup(job->name);
	struct errbuf err;

	if (renameat2(stagefd, job->name, job->incfd, name, RENAME_NOREPLACE) == -1 &&
	    errno == EEXIST) {
		free(name);
		name = xasprintf("%s.returned-%lld", job->name, (long long)time(NULL));
		if (renameat2(stagefd, job->name, job->incfd, name, RENAME_NOREPLACE) == 0)
			log_warnx("webdav: incoming: %s/incoming/%s: a new upload took its "
			    "name while it was imported; it is back as %s", job->channel,
			    job->name, name);
	}
	if (faccessat(job->incfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == -1)
		log_warn("webdav: incoming: %s/incoming/%s: cannot move it back from %s/%s",
		    job->channel, job->name, staging ? staging : "the staging area", run->slot);
	else if (inc_saved_restore(job->incfd, name, saved, &err) == -1)
		log_warnx("webdav: incoming: %s/incoming/%s: putting build.json back: %s",
		    job->channel, name, err.msg);
	free(name);
}

/* Adopts the staged upload (or copies it from another file system),
 * validates and commits. */
static int
inc_folder_commit(struct inc_run *run, struct import_session *s, int moved)
{
	int rc;

	if (moved)
		rc = import_session_adopt(s, run->slot, &run->err);
	else
		rc = import_session_add_source(s, run->path, &run->err);
	if (rc == 0)
		rc = import_session_validate(s, &run->err);
	if (rc == 0 && run->rep->diag->errors == 0)
		rc = import_session_commit(s, &run->err);
	return rc;
}

/* The folder moved into a session of its own and published. */
static enum inc_outcome
inc_folder_publish(struct inc_run *run)
{
	struct import_session *s;
	struct inc_saved saved;
	struct imp_opts o;
	enum inc_outcome outcome = INC_IO_ERROR;
	int stagefd = -1, moved, rc;

	inc_opts(run->job, 0, &o);
	inc_saved_collect(run->job->incfd, run->job->name, &saved);
	if ((s = import_session_create(&o, run->rep, &run->err)) == NULL)
		goto out;
	if ((stagefd = import_session_stage_new(s, &run->slot, &run->err)) == -1)
		goto out;
	if ((rc = inc_move_in(run, stagefd)) == 1) {
		outcome = INC_BUSY;
		goto out;
	}
	moved = rc == 0;
	run->copied = rc == 2;
	if (rc != -1)
		rc = inc_folder_commit(run, s, moved);
	if (moved && (rc != 0 || run->rep->diag->errors > 0))
		inc_move_back(run, stagefd, import_session_staging_path(s), &saved);
	outcome = inc_verdict(rc, run->rep);
out:
	if (stagefd != -1)
		close(stagefd);
	import_session_free(s);
	inc_saved_free(&saved);
	return outcome;
}

/* A problem's where as the uploader sees it: below incoming/. */
static const char *
inc_where(const struct inc_run *run, const char *where)
{
	size_t n = strlen(run->strip);

	if (strncmp(where, run->strip, n) == 0)
		where += n;
	if (run->slot != NULL) {
		n = strlen(run->slot);
		if (strncmp(where, run->slot, n) == 0 && where[n] == '/')
			where += n + 1;
	}
	return where;
}

/* Every problem of the report, one line each: "error: where: message". */
static char *
inc_problem_lines(const struct inc_run *run)
{
	const struct diag *d = run->rep->diag;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		xalloc_failed("open_memstream");
	for (size_t i = 0; i < d->count; i++)
		fprintf(f, "%s: %s: %s\n",
		    d->entries[i].severity == DIAG_ERROR ? "error" : "warning",
		    inc_where(run, d->entries[i].where), d->entries[i].message);
	if (run->rep->diag->errors == 0 && run->err.msg[0] != '\0')
		fprintf(f, "error: %s\n", run->err.msg);
	fclose(f);
	return text;
}

int
inc_problems_write(int incfd, const char *name, const char *verdict, const char *lines,
    struct errbuf *err)
{
	char stamp[32], *file = xasprintf("%s%s", name, INC_PROBLEMS_SUFFIX);
	char *text;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	text = xasprintf("%s %s: %s\n%s", stamp, name, verdict, lines);
	rc = atomic_file_write(incfd, file, text, strlen(text), 0644, err);
	free(text);
	free(file);
	return rc;
}

int
inc_problems_refused(int incfd, const char *name, const struct inc_look *look)
{
	char *file = xasprintf("%s%s", name, INC_PROBLEMS_SUFFIX), head[512];
	struct stat st;
	ssize_t n = -1;
	int fd;

	fd = openat(incfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(file);
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mtim.tv_sec > look->newest.tv_sec ||
	    (st.st_mtim.tv_sec == look->newest.tv_sec &&
	    st.st_mtim.tv_nsec >= look->newest.tv_nsec)))
		n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	head[n] = '\0';
	head[strcspn(head, "\n")] = '\0';
	return strstr(head, INC_VERDICT_REFUSED) != NULL;
}

/* "130001, app-platform/10004": what the commit published. */
static char *
inc_published_list(const struct report *rep)
{
	char *list = xstrdup(""), *next;
	size_t i;
	json_t *v;

	json_array_foreach(rep->published, i, v) {
		const char *path = json_string_value(json_object_get(v, "path"));

		next = xasprintf("%s%s%s", list, i > 0 ? ", " : "", path ? path : "?");
		free(list);
		list = next;
	}
	return list;
}

/* After a publish: the upload (an archive; a folder was moved), its old
 * problems file and Finder's "._<name>" go. */
static void
inc_after_publish(const struct inc_run *run)
{
	const struct inc_job *job = run->job;
	char *list = inc_published_list(run->rep);
	char *problems = xasprintf("%s%s", job->name, INC_PROBLEMS_SUFFIX);
	char *finder = xasprintf("._%s", job->name);
	struct stat st;

	if (job->look->is_file && fstatat(job->incfd, job->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (uint64_t)st.st_size == job->look->bytes &&
	    st.st_mtim.tv_sec == job->look->newest.tv_sec &&
	    st.st_mtim.tv_nsec == job->look->newest.tv_nsec)
		unlinkat(job->incfd, job->name, 0);
	if (run->copied)
		tree_remove(job->incfd, job->name, NULL);
	unlinkat(job->incfd, problems, 0);
	unlinkat(job->incfd, finder, 0);
	log_info("webdav: incoming: %s/incoming/%s published: %s", job->channel, job->name, list);
	free(finder);
	free(problems);
	free(list);
}

/* After a refusal or a failure: the problems file, and the log. */
static void
inc_after_refusal(const struct inc_run *run, enum inc_outcome outcome)
{
	const struct inc_job *job = run->job;
	char *lines = inc_problem_lines(run), *verdict;
	struct errbuf err;

	if (outcome == INC_REFUSED)
		verdict = xasprintf(INC_VERDICT_REFUSED " (errors: %zu, warnings: %zu)",
		    run->rep->diag->errors, run->rep->diag->warnings);
	else
		verdict = xasprintf("not imported: %s (tried again later)",
		    run->err.msg[0] ? run->err.msg : "I/O error");
	if (inc_problems_write(job->incfd, job->name, verdict, lines, &err) == -1)
		log_warnx("webdav: incoming: %s/incoming/%s: %s", job->channel, job->name, err.msg);
	log_warnx("webdav: incoming: %s/incoming/%s %s; see %s%s", job->channel, job->name,
	    verdict, job->name, INC_PROBLEMS_SUFFIX);
	free(verdict);
	free(lines);
}

/* Room for the commit (the importer's reserve left free) before a folder
 * is moved and hashed for nothing; 0 or -1 (run->err). */
static int
inc_room(struct inc_run *run)
{
	struct statvfs sv;
	uint64_t avail;

	if (fstatvfs(run->job->incfd, &sv) == -1)
		return errbuf_set_errno(&run->err, "%s: statvfs", run->strip);
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (avail < run->job->reserve)
		return errbuf_set(&run->err, "not enough free space: %llu bytes reserved, %llu "
		    "available", (unsigned long long)run->job->reserve, (unsigned long long)avail);
	return 0;
}

/* Uploads the walk already refuses: too big to walk, or with a hidden
 * file the importer would refuse. */
static int
inc_refuse_early(struct inc_run *run)
{
	const struct inc_look *look = run->job->look;

	if (look->too_big)
		diag_add(run->rep->diag, DIAG_ERROR, run->job->name, "more than %d entries or "
		    "%d folder levels below it: not imported", INC_WALK_MAX_ENTRIES,
		    INC_WALK_MAX_DEPTH);
	else if (look->hidden[0] != '\0')
		diag_add(run->rep->diag, DIAG_ERROR, look->hidden, "a hidden name: hidden files "
		    "are never published; remove it");
	return run->rep->diag->errors > 0;
}

enum inc_outcome
inc_import(const struct inc_job *job)
{
	struct inc_run run = { .job = job };
	enum inc_outcome outcome;

	run.strip = xasprintf("%s/%s/incoming/", job->root, job->channel);
	run.path = xasprintf("%s%s", run.strip, job->name);
	run.rep = report_create("publish");
	if (inc_refuse_early(&run))
		outcome = INC_REFUSED;
	else if (job->look->is_file)
		outcome = inc_source_run(&run, 0);
	else {
		inc_tidy(job->incfd, job->name, job->stale_before);
		outcome = inc_source_run(&run, 1);
		if (outcome == INC_PUBLISHED && inc_room(&run) == -1)
			outcome = INC_IO_ERROR;
		else if (outcome == INC_PUBLISHED) {
			report_free(run.rep);
			run.rep = report_create("publish");
			outcome = inc_folder_publish(&run);
		}
	}
	if (outcome == INC_PUBLISHED)
		inc_after_publish(&run);
	else if (outcome != INC_BUSY)
		inc_after_refusal(&run, outcome);
	report_free(run.rep);
	free(run.slot);
	free(run.path);
	free(run.strip);
	return outcome;
}
