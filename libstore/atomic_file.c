/*
 * atomic_file: write a temporary file beside the target, fsync it, rename
 * it over the target and fsync the directory; see atomic_file.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "fs_open.h"
#include "xmalloc.h"

#define ATOMIC_TMP_TRIES	100

/* Creates ".<name>.tmp-XXXXXX" in dirfd (mkostemp works on paths only). */
static int
atomic_tmp_create(int dirfd, const char *name, mode_t mode, char **tmpname)
{
	static const char alnum[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char suffix[7];
	int fd;

	for (int try = 0; try < ATOMIC_TMP_TRIES; try++) {
		for (size_t i = 0; i < 6; i++)
			suffix[i] = alnum[arc4random_uniform(sizeof(alnum) - 1)];
		suffix[6] = '\0';
		*tmpname = xasprintf(".%s.tmp-%s", name, suffix);
		fd = openat(dirfd, *tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, mode);
		if (fd != -1)
			return fd;
		free(*tmpname);
		*tmpname = NULL;
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

int
fsync_dir(int dirfd, const char *what, struct errbuf *err)
{
	if (fsync(dirfd) == -1 && errno != EINVAL)
		return errbuf_set_errno(err, "%s: fsync", what);
	return 0;
}

int
atomic_file_write(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, struct errbuf *err)
{
	char *tmp = NULL;
	int fd, rc = -1;

	fd = atomic_tmp_create(dirfd, name, mode, &tmp);
	if (fd == -1)
		return errbuf_set_errno(err, "%s: cannot create a temporary file", name);
	if (fchmod(fd, mode) == -1) {
		errbuf_set_errno(err, "%s: fchmod", tmp);
		goto out;
	}
	if (fs_write_all(fd, data, len) == -1) {
		errbuf_set_errno(err, "%s: write", tmp);
		goto out;
	}
	if (fsync(fd) == -1) {
		errbuf_set_errno(err, "%s: fsync", tmp);
		goto out;
	}
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		errbuf_set_errno(err, "%s: rename", name);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = fsync_dir(dirfd, name, err);
out:
	if (close(fd) == -1 && rc == 0)
		rc = errbuf_set_errno(err, "%s: close", name);
	if (tmp != NULL) {
		unlinkat(dirfd, tmp, 0);
		free(tmp);
	}
	return rc;
}
