/*
 * fs_open: open a path strictly below a directory; see fs_open.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "fs_open.h"

#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
static int openat2_missing;

static int
fs_openat2(int dirfd, const char *relpath, int flags)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)flags | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dirfd, relpath, &how, sizeof(how));
}
#endif

/* Fallback for kernels without openat2: open, then compare real paths. */
static int
fs_open_checked(int dirfd, const char *relpath, int flags)
{
	char self[64], root_real[PATH_MAX], file_real[PATH_MAX];
	size_t root_len;
	int fd;

	fd = openat(dirfd, relpath, flags | O_CLOEXEC);
	if (fd == -1)
		return -1;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", dirfd);
	if (realpath(self, root_real) == NULL)
		goto refuse;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (realpath(self, file_real) == NULL)
		goto refuse;
	root_len = strlen(root_real);
	if (strncmp(file_real, root_real, root_len) == 0 &&
	    (file_real[root_len] == '/' || file_real[root_len] == '\0' ||
	    strcmp(root_real, "/") == 0))
		return fd;
refuse:
	close(fd);
	errno = EXDEV;
	return -1;
}

int
fs_open_beneath(int dirfd, const char *relpath, int flags)
{
	if (relpath[0] == '\0')
		relpath = ".";
#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
	if (!openat2_missing) {
		int fd = fs_openat2(dirfd, relpath, flags);
		if (fd != -1 || errno != ENOSYS)
			return fd;
		openat2_missing = 1;
	}
#endif
	return fs_open_checked(dirfd, relpath, flags);
}

DIR *
fs_opendir_at(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;
	int saved;

	if (fd == -1)
		return NULL;
	if ((dir = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return dir;
}

int
fs_errno_http_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
	case EXDEV:
		return 404;
	case EACCES:
	case EPERM:
		return 403;
	case ENAMETOOLONG:
		return 414;
	case EMFILE:
	case ENFILE:
	case ENOMEM:
		return 503;
	default:
		return 500;
	}
}
