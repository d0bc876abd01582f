/*
 * test_atomic_file: atomic_file_write() replaces a file, keeps the old
 * content when it cannot write, and never leaves a temporary file behind.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "atomic_file.h"
#include "store_lock.h"

static char dir[] = "/tmp/test_atomic_file.XXXXXX";

/* Reads dirfd/name into buf (NUL-terminated); "" when absent. */
static const char *
slurp(int dirfd, const char *name)
{
	static char buf[256];
	ssize_t n = 0;
	int fd;

	buf[0] = '\0';
	if ((fd = openat(dirfd, name, O_RDONLY)) == -1)
		return "";
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* Number of entries of dirfd whose names contain ".tmp-". */
static int
count_temps(int dirfd)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	if ((d = fdopendir(dup(dirfd))) == NULL)
		return -1;
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, ".tmp-") != NULL;
	closedir(d);
	return n;
}

struct write_case {
	const char *name;
	const char *file;
	const char *data;
	mode_t mode;
};

static const struct write_case write_cases[] = {
	{ "creates a new file", "a.json", "first", 0644 },
	{ "replaces it", "a.json", "second, longer content", 0644 },
	{ "replaces with shorter content", "a.json", "3", 0644 },
	{ "writes an empty file", "empty", "", 0644 },
	{ "applies the mode", "private", "secret", 0600 },
};

static void
run_write_cases(int dfd)
{
	struct errbuf err;
	struct stat st;

	for (size_t i = 0; i < sizeof(write_cases) / sizeof(write_cases[0]); i++) {
		const struct write_case *c = &write_cases[i];
		int rc = atomic_file_write(dfd, c->file, c->data, strlen(c->data), c->mode, &err);

		tap_ok(rc == 0 && strcmp(slurp(dfd, c->file), c->data) == 0 &&
		    fstatat(dfd, c->file, &st, 0) == 0 && (st.st_mode & 0777) == c->mode,
		    "%s", c->name);
	}
	tap_ok(count_temps(dfd) == 0, "no temporary file left after writes");
}

/* A write that fails half-way even for root: RLIMIT_FSIZE (EFBIG). */
static int
write_over_size_limit(int dfd, struct errbuf *err)
{
	static char big[8192];
	struct rlimit old, small;
	int rc;

	if (atomic_file_write(dfd, "big.json", "old", 3, 0644, err) == -1)
		return 0;
	memset(big, 'x', sizeof(big));
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 1024;
	setrlimit(RLIMIT_FSIZE, &small);
	rc = atomic_file_write(dfd, "big.json", big, sizeof(big), 0644, err);
	setrlimit(RLIMIT_FSIZE, &old);
	return rc;
}

static void
run_failure_cases(int dfd)
{
	struct errbuf err = { "" };
	int rc;

	mkdirat(dfd, "ro", 0755);
	int rofd = openat(dfd, "ro", O_RDONLY | O_DIRECTORY);
	rc = atomic_file_write(rofd, "x.json", "old", 3, 0644, &err);
	fchmod(rofd, 0555);
	if (geteuid() == 0) {
		tap_ok(1, "read-only directory # SKIP running as root");
		tap_ok(1, "read-only directory message # SKIP running as root");
	} else {
		rc = atomic_file_write(rofd, "x.json", "new", 3, 0644, &err);
		tap_ok(rc == -1 && strcmp(slurp(rofd, "x.json"), "old") == 0,
		    "read-only directory: fails, old content stays");
		tap_ok(strstr(err.msg, "x.json") != NULL && strstr(err.msg, "denied") != NULL,
		    "read-only directory: message names the file and the cause");
	}
	tap_ok(count_temps(rofd) == 0, "read-only directory: no temporary file left");
	fchmod(rofd, 0755);
	mkdirat(dfd, "target-dir", 0755);
	mkdirat(dfd, "target-dir/sub", 0755);
	rc = atomic_file_write(dfd, "target-dir", "x", 1, 0644, &err);
	tap_ok(rc == -1 && strstr(err.msg, "rename") != NULL,
	    "target is a non-empty directory: rename fails");
	tap_ok(count_temps(dfd) == 0, "failed rename: temporary file removed");
	rc = write_over_size_limit(dfd, &err);
	tap_ok(rc == -1 && strcmp(slurp(dfd, "big.json"), "old") == 0 &&
	    strstr(err.msg, "write") != NULL, "write fails (file size limit): old content stays");
	tap_ok(count_temps(dfd) == 0, "failed write: temporary file removed");
	unlinkat(dfd, "big.json", 0);
	rc = atomic_file_write(-1, "x", "x", 1, 0644, &err);
	tap_ok(rc == -1, "bad directory descriptor fails");
	unlinkat(rofd, "x.json", 0);
	close(rofd);
	unlinkat(dfd, "ro", AT_REMOVEDIR);
	unlinkat(dfd, "target-dir/sub", AT_REMOVEDIR);
	unlinkat(dfd, "target-dir", AT_REMOVEDIR);
}

static void
run_lock_cases(int dfd)
{
	struct errbuf err = { "" };
	int a, b;

	mkdirat(dfd, "release", 0755);
	a = store_lock_channel(dir, "release", 1, &err);
	tap_ok(a >= 0, "lock: first writer gets the lock");
	b = store_lock_channel(dir, "release", 1, &err);
	tap_ok(b == -1 && strstr(err.msg, "locked by another writer") != NULL,
	    "lock: second writer refused (nonblock)");
	store_unlock(a);
	b = store_lock_channel(dir, "release", 1, &err);
	tap_ok(b >= 0, "lock: free again after unlock");
	store_unlock(b);
	tap_ok(store_lock_channel(dir, "../etc", 1, &err) == -1, "lock: invalid channel refused");
	unlinkat(dfd, "release/.lock", 0);
	unlinkat(dfd, "release", AT_REMOVEDIR);
}

int
main(void)
{
	int dfd;

	if (mkdtemp(dir) == NULL || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	run_write_cases(dfd);
	run_failure_cases(dfd);
	run_lock_cases(dfd);
	for (size_t i = 0; i < sizeof(write_cases) / sizeof(write_cases[0]); i++)
		unlinkat(dfd, write_cases[i].file, 0);
	close(dfd);
	tap_ok(rmdir(dir) == 0, "test directory empty at the end");
	return tap_done();
}
