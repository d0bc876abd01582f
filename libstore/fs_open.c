/*
 * fs_open: open a path strictly below a directory; see fs_open.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "fs_open.h"
#include "xmalloc.h"

#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
/* Set once, by whichever thread first meets a kernel without openat2. */
static atomic_int openat2_missing;

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
	if (!atomic_load_explicit(&openat2_missing, memory_order_relaxed)) {
		int fd = fs_openat2(dirfd, relpath, flags);
		if (fd != -1 || errno != ENOSYS)
			return fd;
		atomic_store_explicit(&openat2_missing, 1, memory_order_relaxed);
	}
#endif
	return fs_open_checked(dirfd, relpath, flags);
}

/* Opens one segment of a path below fd, refusing symlinks and "."/"..". */
static int
fs_open_segment(int fd, const char *seg, size_t len)
{
	char name[NAME_MAX + 1];

	if (len > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, seg, len);
	name[len] = '\0';
	if (len == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		errno = EXDEV;
		return -1;
	}
	return openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int
fs_open_dir_nofollow(int dirfd, const char *relpath, size_t len)
{
	const char *seg = relpath, *end = relpath + len, *slash;
	int fd = -1, next, saved;

	if (len == 0)
		return openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (seg < end) {
		slash = memchr(seg, '/', (size_t)(end - seg));
		if (slash == NULL)
			slash = end;
		next = fs_open_segment(fd == -1 ? dirfd : fd, seg, (size_t)(slash - seg));
		saved = errno;
		if (fd != -1)
			close(fd);
		errno = saved;
		if (next == -1)
			return -1;
		fd = next;
		seg = slash + 1;
	}
	return fd;
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
fs_open_subdir(int dirfd, const char *name, enum fs_subdir_mode mode, struct errbuf *err)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd;

	/* ENSURE tries the folder first: it exists nearly always */
	if (mode == FS_SUBDIR_ENSURE && (fd = openat(dirfd, name, flags)) != -1)
		return fd;
	if (mode != FS_SUBDIR_OPEN && mkdirat(dirfd, name, 0755) == -1 &&
	    (mode == FS_SUBDIR_CREATE || errno != EEXIST))
		return errbuf_set_errno(err, "%s: create", name);
	fd = openat(dirfd, name, flags);
	if (fd == -1)
		return errbuf_set_errno(err, "%s", name);
	return fd;
}

int
fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fs_errno_http_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case EISDIR:	/* no folder listings */
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

int
fs_read_at(int dirfd, const char *name, int oflags, size_t max, char **buf, size_t *len,
    struct errbuf *err)
{
	int fd, rc, saved;

	fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | oflags);
	if (fd == -1)
		return errbuf_set(err, "%s", strerror(errno));
	rc = fs_read_all(fd, max, buf, len, err);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
fs_read_all(int fd, size_t max, char **buf, size_t *len, struct errbuf *err)
{
	struct stat st;
	size_t have = 0, cap;
	ssize_t n;
	char *p;

	if (fstat(fd, &st) == -1)
		return errbuf_set_errno(err, "fstat");
	if (!S_ISREG(st.st_mode))
		return (errno = EINVAL, errbuf_set(err, "not a regular file"));
	if ((uintmax_t)st.st_size > max)
		return (errno = EFBIG, errbuf_set(err, "longer than %zu bytes", max));
	cap = (size_t)st.st_size + 1;
	p = xmalloc(cap);
	while ((n = read(fd, p + have, cap - have)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errbuf_set_errno(err, "read");
			free(p);
			return -1;
		}
		have += (size_t)n;
		if (have > max) {
			free(p);
			return (errno = EFBIG, errbuf_set(err, "longer than %zu bytes", max));
		}
		if (have == cap) {
			cap *= 2;
			p = xreallocarray(p, cap, 1);
		}
	}
	p[have] = '\0';
	*buf = p;
	*len = have;
	return 0;
}
