/*
 * test_fs_open: the one whole-file reader (fs_read_at, fs_read_all), the
 * one write loop (fs_write_all) and the one subfolder opener
 * (fs_open_subdir), from tables of named cases in a scratch folder.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "fs_open.h"

static char dir[] = "/tmp/test_fs_open.XXXXXX";

/* The scratch folder: "file" (5 bytes), "empty", "folder/", "link" ->
 * folder, "dangling" -> nowhere, "filelink" -> file, "fifo". */
static int
scratch(void)
{
	int fd, dfd;

	if (mkdtemp(dir) == NULL || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	if ((fd = openat(dfd, "file", O_WRONLY | O_CREAT, 0644)) == -1 ||
	    write(fd, "hello", 5) != 5 || close(fd) == -1)
		return -1;
	if ((fd = openat(dfd, "empty", O_WRONLY | O_CREAT, 0644)) == -1 || close(fd) == -1)
		return -1;
	if (mkdirat(dfd, "folder", 0755) == -1 || symlinkat("folder", dfd, "link") == -1 ||
	    symlinkat("nowhere", dfd, "dangling") == -1 ||
	    symlinkat("file", dfd, "filelink") == -1 || mkfifoat(dfd, "fifo", 0644) == -1)
		return -1;
	return dfd;
}

struct read_at_case {
	const char *name;
	const char *file;
	int oflags;
	size_t max;
	int rc;
	const char *text;	/* when rc == 0 */
	const char *err;	/* the whole message when rc == -1 */
	int err_errno;		/* and errno */
};

static const struct read_at_case read_at_cases[] = {
	{ "a file", "file", 0, 100, 0, "hello", NULL, 0 },
	{ "a symlink followed", "filelink", 0, 100, 0, "hello", NULL, 0 },
	{ "a symlink with O_NOFOLLOW", "filelink", O_NOFOLLOW, 100, -1, NULL,
	  "Too many levels of symbolic links", ELOOP },
	{ "a missing file: open's error", "missing", 0, 100, -1, NULL,
	  "No such file or directory", ENOENT },
	{ "a FIFO does not block", "fifo", 0, 100, -1, NULL, "not a regular file", EINVAL },
	{ "exactly the limit", "file", 0, 5, 0, "hello", NULL, 0 },
	{ "one byte over the limit", "file", 0, 4, -1, NULL, "longer than 4 bytes", EFBIG },
	{ "an empty file", "empty", 0, 0, 0, "", NULL, 0 },
	{ "a folder is not a regular file", "folder", 0, 100, -1, NULL, "not a regular file",
	  EINVAL },
};

static int
check_read_at(int dfd, const struct read_at_case *c)
{
	struct errbuf err = { "" };
	char *buf = NULL;
	size_t len = 99;
	int rc, ok;

	errno = ENOENT;
	rc = fs_read_at(dfd, c->file, c->oflags, c->max, &buf, &len, &err);
	if (rc != c->rc)
		ok = 0;
	else if (rc == 0)
		ok = len == strlen(c->text) && strcmp(buf, c->text) == 0;
	else
		ok = strcmp(err.msg, c->err) == 0 && errno == c->err_errno;
	if (!ok) {
		char msg[600];

		snprintf(msg, sizeof(msg), "rc %d, error \"%s\"", rc, err.msg);
		tap_diag(msg);
	}
	free(buf);
	return ok;
}

struct subdir_case {
	const char *name;
	const char *path;
	enum fs_subdir_mode mode;
	int ok;
	int err_errno;		/* when !ok */
	const char *err;	/* the whole message when !ok */
};

static const struct subdir_case subdir_cases[] = {
	{ "open a folder", "folder", FS_SUBDIR_OPEN, 1, 0, NULL },
	{ "open a missing folder", "missing", FS_SUBDIR_OPEN, 0, ENOENT,
	  "missing: No such file or directory" },
	{ "a file is no folder", "file", FS_SUBDIR_OPEN, 0, ENOTDIR,
	  "file: Not a directory" },
	{ "a symlink to a folder is not followed", "link", FS_SUBDIR_OPEN, 0, ENOTDIR,
	  "link: Not a directory" },
	{ "create a new folder", "new", FS_SUBDIR_CREATE, 1, 0, NULL },
	{ "create an existing folder", "folder", FS_SUBDIR_CREATE, 0, EEXIST,
	  "folder: create: File exists" },
	{ "create below a missing folder", "missing/x", FS_SUBDIR_CREATE, 0, ENOENT,
	  "missing/x: create: No such file or directory" },
	{ "ensure makes a missing folder", "ensured", FS_SUBDIR_ENSURE, 1, 0, NULL },
	{ "ensure opens an existing folder", "folder", FS_SUBDIR_ENSURE, 1, 0, NULL },
	{ "ensure over a file", "file", FS_SUBDIR_ENSURE, 0, ENOTDIR,
	  "file: Not a directory" },
	{ "ensure over a dangling symlink", "dangling", FS_SUBDIR_ENSURE, 0, ENOTDIR,
	  "dangling: Not a directory" },
	{ "a path below dirfd", "folder/../folder", FS_SUBDIR_OPEN, 1, 0, NULL },
};

static int
check_subdir(int dfd, const struct subdir_case *c)
{
	struct errbuf err = { "" };
	struct stat st;
	int fd, ok;

	errno = 0;
	fd = fs_open_subdir(dfd, c->path, c->mode, &err);
	if (c->ok)
		ok = fd != -1 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) &&
		    (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
	else
		ok = fd == -1 && errno == c->err_errno && strcmp(err.msg, c->err) == 0;
	if (!ok) {
		char msg[600];

		snprintf(msg, sizeof(msg), "fd %d, errno %d, error \"%s\"", fd, errno, err.msg);
		tap_diag(msg);
	}
	if (fd != -1)
		close(fd);
	return ok;
}

/* fs_write_all() writes everything, also through a pipe in pieces. */
static void
test_write_all(int dfd)
{
	static char big[256 * 1024];
	char *back = NULL;
	size_t len = 0;
	int fd, rc;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	fd = openat(dfd, "written", O_RDWR | O_CREAT | O_TRUNC, 0644);
	rc = fd != -1 ? fs_write_all(fd, big, sizeof(big)) : -1;
	tap_ok(rc == 0, "write_all: 256 KiB written");
	tap_ok(rc == 0 && lseek(fd, 0, SEEK_SET) == 0 &&
	    fs_read_all(fd, sizeof(big), &back, &len, NULL) == 0 && len == sizeof(big) &&
	    memcmp(back, big, len) == 0, "write_all: read back whole");
	free(back);
	tap_ok(fs_write_all(fd, big, 0) == 0, "write_all: nothing to write");
	if (fd != -1)
		close(fd);
	fd = openat(dfd, "file", O_RDONLY);
	errno = 0;
	tap_ok(fs_write_all(fd, "x", 1) == -1 && errno == EBADF, "write_all: errno kept");
	close(fd);
}

int
main(void)
{
	int dfd = scratch();
	char *cmd;

	if (dfd == -1) {
		tap_ok(0, "scratch folder %s", dir);
		return tap_done();
	}
	for (size_t i = 0; i < sizeof(read_at_cases) / sizeof(read_at_cases[0]); i++)
		tap_ok(check_read_at(dfd, &read_at_cases[i]), "read_at: %s", read_at_cases[i].name);
	for (size_t i = 0; i < sizeof(subdir_cases) / sizeof(subdir_cases[0]); i++)
		tap_ok(check_subdir(dfd, &subdir_cases[i]), "open_subdir: %s", subdir_cases[i].name);
	test_write_all(dfd);
	close(dfd);
	cmd = malloc(strlen(dir) + 16);
	sprintf(cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("cannot remove the scratch folder");
	free(cmd);
	return tap_done();
}
