/*
 * test_import_session: the import session used as the mirror and WebDAV
 * will use it: sources written into the session's staging area by the
 * caller and adopted, two sessions on one channel in two threads, the
 * channel lock free while they stage and validate, a recovery that leaves
 * live transactions alone and cleans a dead one (kill -9), the re-check of
 * "already published" under the lock at commit.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "descriptor.h"
#include "import_session.h"
#include "publish.h"
#include "store_layout.h"
#include "xmalloc.h"

static char root[256];

static void
opts_init(struct imp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->root = root;
	o->channel = "release";
	o->kind = KIND_NONE;
	o->release = "13r1";
	o->create_channel = 1;
	o->limits.max_bytes = ARCHIVE_DEFAULT_MAX_BYTES;
	o->limits.max_ratio = ARCHIVE_DEFAULT_MAX_RATIO;
	o->limits.max_entries = ARCHIVE_DEFAULT_MAX_ENTRIES;
}

static int
put_file(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd == -1)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int
sub_dir(int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0755) == -1 && errno != EEXIST)
		return -1;
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* An app build <build>/ with item "demo" for arm below dirfd, as a
 * download would leave it. */
static int
write_app_build(int dirfd, const char *build)
{
	int b = sub_dir(dirfd, build), a = -1, i = -1, rc = -1;

	if (b == -1 || put_file(b, "demo_files", "demo.bin,demo.png") == -1 ||
	    (a = sub_dir(b, "arm")) == -1 || (i = sub_dir(a, "demo")) == -1)
		goto out;
	if (put_file(i, "demo.bin", build) == 0 && put_file(i, "demo.png", "icon") == 0)
		rc = 0;
out:
	if (i != -1)
		close(i);
	if (a != -1)
		close(a);
	if (b != -1)
		close(b);
	return rc;
}

/* Firmware for `models` ("0001", ...) in <build>/ below dirfd. */
static int
write_fw_build(int dirfd, const char *build, const char *const *models)
{
	char name[64], text[128];
	int b = sub_dir(dirfd, build), rc = b == -1 ? -1 : 0;

	for (size_t i = 0; rc == 0 && models[i] != NULL; i++) {
		snprintf(name, sizeof(name), "ip%s_files", models[i]);
		snprintf(text, sizeof(text), "ip%s.bin,boot%s.bin", models[i], models[i]);
		rc = put_file(b, name, text);
		snprintf(name, sizeof(name), "ip%s.bin", models[i]);
		if (rc == 0)
			rc = put_file(b, name, build);
		snprintf(name, sizeof(name), "boot%s.bin", models[i]);
		if (rc == 0)
			rc = put_file(b, name, build);
	}
	if (b != -1)
		close(b);
	return rc;
}

static int
write_fw_two_devices(int dirfd, const char *build)
{
	static const char *const models[] = { "0001", "0002", NULL };

	return write_fw_build(dirfd, build, models);
}

static int
write_fw_one_device(int dirfd, const char *build)
{
	static const char *const models[] = { "0001", NULL };

	return write_fw_build(dirfd, build, models);
}

typedef int build_writer(int dirfd, const char *build);

/* Creates a session and stages `build` in a folder of its own, written by
 * the caller (the mirror's way), then adopts and validates it. */
static struct import_session *
session_staged_with(const struct imp_opts *o, struct report *r, const char *build,
    build_writer *writer, struct errbuf *err)
{
	struct import_session *s = import_session_create(o, r, err);
	char *name = NULL;
	int fd, rc = -1;

	if (s == NULL)
		return NULL;
	if ((fd = import_session_stage_new(s, &name, err)) != -1) {
		rc = writer(fd, build);
		close(fd);
	}
	if (rc == 0)
		rc = import_session_adopt(s, name, err);
	if (rc == 0)
		rc = import_session_validate(s, err);
	free(name);
	if (rc == -1) {
		import_session_free(s);
		return NULL;
	}
	return s;
}

static struct import_session *
session_staged(const struct imp_opts *o, struct report *r, const char *build,
    struct errbuf *err)
{
	return session_staged_with(o, r, build, write_app_build, err);
}

/* Whether another process can take the channel lock now (flock -n). */
static int
lock_free_for_others(void)
{
	char path[512];
	pid_t pid;
	int st;

	snprintf(path, sizeof(path), "%s/release/%s", root, STORE_LOCK_FILE);
	if ((pid = fork()) == 0) {
		execlp("flock", "flock", "-n", path, "true", (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int
exists(const char *path)
{
	struct stat st;

	return path[0] != '\0' && stat(path, &st) == 0;
}

/* Whether <root>/release/<folder>/<name> exists. */
static int
in_channel(const char *folder, const char *name)
{
	char path[768];

	snprintf(path, sizeof(path), "%s/release/%s/%s", root, folder, name);
	return exists(path);
}

/* Runs what every storeimport command runs first: recovery under the lock. */
static int
run_recovery(void)
{
	struct diag *d = diag_create();
	struct errbuf err;
	struct chan c;
	int rc = -1;

	if (chan_open(&c, root, "release", CHAN_MUST_EXIST, &err) == 0) {
		rc = publish_recover(&c, d, &err);
		chan_close(&c);
	}
	if (rc == -1)
		printf("# recovery: %s\n", err.msg);
	diag_free(d);
	return rc;
}

struct worker {
	const char *build;
	pthread_barrier_t *staged, *go;
	struct imp_opts o;
	struct report *r;
	struct import_session *s;
	char *stagepath;
	int validated;		/* staged and valid */
	int commit_rc;
	struct errbuf err;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;

	w->s = session_staged(&w->o, w->r, w->build, &w->err);
	w->validated = w->s != NULL && w->r->diag->errors == 0;
	if (w->s != NULL && import_session_staging_path(w->s) != NULL)
		w->stagepath = xstrdup(import_session_staging_path(w->s));
	pthread_barrier_wait(w->staged);
	pthread_barrier_wait(w->go);	/* the main thread checks meanwhile */
	w->commit_rc = w->s != NULL ? import_session_commit(w->s, &w->err) : -1;
	import_session_free(w->s);
	return NULL;
}

static int
catalog_has(const char *build)
{
	char path[512], buf[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/release/%s", root, STORE_CATALOG_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, build) != NULL;
}

/* Two sessions on the channel in two threads: neither holds the channel
 * lock while staging and validating; a recovery meanwhile leaves their
 * transactions alone; both commit, and the catalog keeps both builds. */
static void
test_two_sessions(void)
{
	pthread_barrier_t staged, go;
	struct worker w[2];
	pthread_t th[2];
	const char *builds[2] = { "130101", "130102" };

	pthread_barrier_init(&staged, NULL, 3);
	pthread_barrier_init(&go, NULL, 3);
	for (int i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		opts_init(&w[i].o);
		w[i].build = builds[i];
		w[i].staged = &staged;
		w[i].go = &go;
		w[i].r = report_create("publish");
		pthread_create(&th[i], NULL, worker_run, &w[i]);
	}
	pthread_barrier_wait(&staged);
	tap_ok(w[0].validated && w[1].validated, "two sessions staged and validated (%s / %s)",
	    w[0].err.msg, w[1].err.msg);
	tap_ok(lock_free_for_others(), "the channel lock is free while sessions are staged "
	    "(flock -n from another process)");
	tap_ok(run_recovery() == 0, "a recovery runs meanwhile");
	tap_ok(w[0].stagepath && w[1].stagepath && exists(w[0].stagepath) &&
	    exists(w[1].stagepath),
	    "the recovery left the live sessions' transactions alone");
	pthread_barrier_wait(&go);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	tap_ok(w[0].commit_rc == 0 && w[1].commit_rc == 0, "both sessions committed (%s / %s)",
	    w[0].err.msg, w[1].err.msg);
	tap_ok(in_channel("download", builds[0]) &&
	    in_channel("download", builds[1]), "both builds published");
	tap_ok(in_channel("hashes", "130101.sha256") && in_channel("hashes", "130102.sha256"),
	    "both hashes records written (hashed in place)");
	tap_ok(catalog_has(builds[0]) && catalog_has(builds[1]),
	    "catalog.json keeps both builds (the later commit re-read the catalog)");
	tap_ok(lock_free_for_others(), "the channel lock is released after the commits");
	for (int i = 0; i < 2; i++) {
		report_free(w[i].r);
		free(w[i].stagepath);
	}
	pthread_barrier_destroy(&staged);
	pthread_barrier_destroy(&go);
}

/* Two sessions validate the same new build; the first commit publishes
 * it, the second is refused under the lock ("already published"). */
static void
test_recheck_published(void)
{
	struct report *ra = report_create("publish"), *rb = report_create("publish");
	struct import_session *a, *b;
	struct imp_opts o;
	struct errbuf err;
	int rca = -1, rcb = -1;

	opts_init(&o);
	a = session_staged(&o, ra, "130200", &err);
	b = session_staged(&o, rb, "130200", &err);
	tap_ok(a && b && ra->diag->errors == 0 && rb->diag->errors == 0,
	    "the same build staged and valid in two sessions");
	if (a && b) {
		rca = import_session_commit(a, &err);
		rcb = import_session_commit(b, &err);
	}
	tap_ok(rca == 0, "the first commit publishes it");
	tap_ok(rcb == 1 && rb->diag->errors == 1 &&
	    strstr(rb->diag->entries[rb->diag->count - 1].message, "already published") != NULL,
	    "the second is refused at commit: already published");
	import_session_free(a);
	import_session_free(b);
	report_free(ra);
	report_free(rb);
}

/* A firmware build validated while its release had no firmware build is
 * refused at commit when, meanwhile, another session published a build of
 * the release with more devices (fw_devices_check() under the lock). */
static void
test_recheck_fw_devices(void)
{
	struct report *ra = report_create("publish"), *rb = report_create("publish");
	struct import_session *a = NULL, *b;
	struct imp_opts o;
	struct errbuf err;
	int rca = -1, rcb = -1;

	opts_init(&o);
	o.release = "14r1";
	b = session_staged_with(&o, rb, "140402", write_fw_one_device, &err);
	tap_ok(b && rb->diag->errors == 0, "a firmware build for one device staged and valid");
	if (b) {
		a = session_staged_with(&o, ra, "140401", write_fw_two_devices, &err);
		rca = a && ra->diag->errors == 0 ? import_session_commit(a, &err) : -1;
		rcb = import_session_commit(b, &err);
	}
	tap_ok(rca == 0, "meanwhile an older build of its release for two devices published");
	tap_ok(rcb == 1 && rb->diag->errors == 1 &&
	    strstr(rb->diag->entries[rb->diag->count - 1].message, "drops IP0002") != NULL,
	    "the first is refused at commit: it would drop IP0002 from the release");
	tap_ok(!in_channel("download", "140402"), "and not published");
	import_session_free(a);
	import_session_free(b);
	report_free(ra);
	report_free(rb);
}

/* A build whose manifest names a file it lacks (an incomplete download). */
static int
write_broken_build(int dirfd, const char *build)
{
	int rc = write_app_build(dirfd, build);
	char path[64];

	snprintf(path, sizeof(path), "%s/arm/demo/demo.png", build);
	return rc == 0 ? unlinkat(dirfd, path, 0) : -1;
}

/* A source adopted after the validation is validated by the commit. */
static void
test_validate_late_source(void)
{
	struct report *r = report_create("publish");
	struct import_session *s;
	struct imp_opts o;
	struct errbuf err;
	char *name = NULL;
	int fd = -1, rc = -1;

	opts_init(&o);
	s = session_staged(&o, r, "130500", &err);
	if (s != NULL && (fd = import_session_stage_new(s, &name, &err)) != -1) {
		rc = write_broken_build(fd, "130501");
		close(fd);
	}
	if (rc == 0)
		rc = import_session_adopt(s, name, &err);
	if (rc == 0)
		rc = import_session_commit(s, &err);
	tap_ok(rc == 1 && r->diag->errors > 0, "an incomplete build adopted after validating: "
	    "refused at commit");
	tap_ok(!in_channel("download", "130500") && !in_channel("download", "130501"),
	    "nothing of the session published");
	free(name);
	import_session_free(s);
	report_free(r);
}

/* A folder that is not one the session staged is refused; a staged folder
 * holding a symbolic link is a problem. */
static void
test_adopt_refusals(void)
{
	struct report *r = report_create("publish");
	struct import_session *s;
	struct imp_opts o;
	struct errbuf err;
	char *name = NULL;
	int fd;

	opts_init(&o);
	s = import_session_create(&o, r, &err);
	fd = s ? import_session_stage_new(s, &name, &err) : -1;
	tap_ok(s && import_session_adopt(s, "../..", &err) == -1 &&
	    import_session_adopt(s, "999", &err) == -1, "adopting a folder not staged: refused");
	if (fd != -1) {
		write_app_build(fd, "130300");
		symlinkat("/etc/passwd", fd, "130300/arm/demo/link");
		close(fd);
	}
	tap_ok(fd != -1 && import_session_adopt(s, name, &err) == 0 && r->diag->errors == 1,
	    "a symbolic link in a staged folder: a problem");
	tap_ok(fd != -1 && import_session_adopt(s, name, &err) == -1,
	    "a staged folder is adopted once");
	free(name);
	import_session_free(s);
	report_free(r);
}

/* A process killed with SIGKILL while staging: its transaction is dead,
 * the next recovery deletes it. */
static void
test_dead_session(void)
{
	struct imp_opts o;
	char path[1024] = "";
	int pfd[2];
	pid_t pid;
	ssize_t n = -1;

	opts_init(&o);
	if (pipe(pfd) == -1)
		return;
	if ((pid = fork()) == 0) {
		struct report *r = report_create("publish");
		struct import_session *s = import_session_create(&o, r, NULL);
		char *name = NULL;
		int fd = s ? import_session_stage_new(s, &name, NULL) : -1;

		if (fd != -1)
			put_file(fd, "partial", "half a download");
		if (s && import_session_staging_path(s))
			snprintf(path, sizeof(path), "%s", import_session_staging_path(s));
		if (write(pfd[1], path, strlen(path) + 1) < 0)
			_exit(1);
		pause();	/* killed here, mid-staging */
		_exit(0);
	}
	close(pfd[1]);
	if (pid > 0)
		n = read(pfd[0], path, sizeof(path) - 1);
	close(pfd[0]);
	path[n > 0 ? n : 0] = '\0';
	tap_ok(n > 1 && exists(path), "a session staging in another process");
	tap_ok(run_recovery() == 0 && exists(path),
	    "a recovery while it lives leaves its transaction");
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	tap_ok(run_recovery() == 0 && n > 1 && !exists(path),
	    "after kill -9 the next recovery deletes its transaction");
}

/* The mirror's way: hashes computed while downloading are taken as they
 * are (the file is not read again) when the size matches; a file whose
 * size differs, or one without a known hash, is hashed; a malformed hash
 * is refused. */
static void
test_adopt_hashed(void)
{
	static const char fake[] =
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	/* sha256("icon"), what a read of demo.png gives */
	static const char icon[] =
	    "c2d4b446a44ce54fab8e01150e24dd24f3d850c7c14dcfe31f6321341dd86874";
	struct staged_hash known[] = {
		{ "130600/arm/demo/demo.png", fake, 99 },	/* wrong size: read */
		{ "130600/arm/demo/demo.bin", fake, 6 },	/* taken */
	};
	struct staged_hash bad[] = { { "130601/demo_files", "not hex", 1 } };
	struct report *r = report_create("publish");
	struct import_session *s;
	struct imp_opts o;
	struct errbuf err;
	char *name = NULL, *name2 = NULL, path[1024], rec[4096];
	int fd = -1, fd2 = -1, rc = -1, rfd;
	ssize_t n = -1;

	opts_init(&o);
	s = import_session_create(&o, r, &err);
	if (s != NULL && (fd = import_session_stage_new(s, &name, &err)) != -1)
		rc = write_app_build(fd, "130600");
	if (rc == 0 && (fd2 = import_session_stage_new(s, &name2, &err)) != -1)
		rc = write_app_build(fd2, "130601");
	tap_ok(rc == 0 && import_session_adopt_hashed(s, name2, bad, 1, &err) == -1 &&
	    strstr(err.msg, "130601/demo_files") != NULL, "a malformed known hash: refused, named");
	if (rc == 0)
		rc = import_session_adopt_hashed(s, name, known, 2, &err);
	if (rc == 0)
		rc = import_session_commit(s, &err);
	tap_ok(rc == 0, "a build adopted with known hashes is published");
	snprintf(path, sizeof(path), "%s/release/hashes/130600.sha256", root);
	if ((rfd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(rfd, rec, sizeof(rec) - 1);
		close(rfd);
	}
	rec[n > 0 ? n : 0] = '\0';
	tap_ok(n > 0 && strstr(rec, fake) != NULL && strstr(strstr(rec, fake) + 1, fake) == NULL,
	    "the known hash of a file of that size is recorded as given (not read again)");
	tap_ok(strstr(rec, icon) != NULL, "a file whose size differs is hashed");
	if (fd != -1)
		close(fd);
	if (fd2 != -1)
		close(fd2);
	free(name);
	free(name2);
	import_session_free(s);
	report_free(r);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	alarm(120);	/* a session waiting for a lock it must not need fails the test */
	snprintf(root, sizeof(root), "%s/test_import_session-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror(root);
		return 1;
	}
	test_two_sessions();
	test_recheck_published();
	test_recheck_fw_devices();
	test_validate_late_source();
	test_adopt_refusals();
	test_dead_session();
	test_adopt_hashed();
	if (tap_failed == 0) {
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			tap_diag("could not remove the test root");
	}
	return tap_done();
}
