/*
 * fs_open: open a relative path strictly below a directory.
 *
 * fs_open_beneath() resolves `relpath` (already canonical, see url_path.h)
 * below `dirfd` and refuses any resolution that leaves it: ".." (never
 * present after canonicalisation), absolute symlinks, and relative symlinks
 * that climb out.  Symlinks that stay inside are followed.  On Linux 5.6+
 * it uses openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); elsewhere it
 * falls back to opening and comparing the real path with the root's.
 *
 * Returns a file descriptor (O_CLOEXEC added) or -1 with errno set; EXDEV
 * (or EACCES in the fallback) means "escapes the root" and maps to 403/404.
 *
 * Also the file-system helpers every part shares, one of each: the
 * whole-file reader (fs_read_all, fs_read_at), the write loop
 * (fs_write_all) and the subfolder opener (fs_open_subdir).
 */
#ifndef STORESRV_FS_OPEN_H
#define STORESRV_FS_OPEN_H

#include <dirent.h>
#include <stddef.h>

#include "errbuf.h"

int fs_open_beneath(int dirfd, const char *relpath, int flags);

/* Opens the folder named by the first `len` bytes of `relpath` (canonical,
 * segments joined by '/') below `dirfd`, following no symlink at all: each
 * segment is opened with O_DIRECTORY | O_NOFOLLOW, so the result is a real
 * folder of dirfd's tree.  This is where a confinement starts (a channel's
 * download/ folder, beneath which its files are resolved).  len 0 opens
 * dirfd's own folder.  Returns a descriptor (O_CLOEXEC) or -1 with errno set:
 * ENOTDIR for a symlink (Linux; ELOOP elsewhere) or a file, EXDEV for an
 * empty, "." or ".." segment, ENAMETOOLONG for a segment over NAME_MAX. */
int fs_open_dir_nofollow(int dirfd, const char *relpath, size_t len);

/* Opens a directory stream on dirfd's folder through a descriptor of its
 * own (openat "."), so it starts at the first entry and dirfd stays usable
 * with its own position.  closedir() frees it; NULL with errno set. */
DIR *fs_opendir_at(int dirfd);

/* Reads the whole regular file fd (from its current offset) into *buf
 * (NUL-terminated, the caller frees it) and its length into *len.  A file
 * longer than `max` bytes is refused; returns 0, or -1 with err set and
 * errno: "not a regular file" (EINVAL), "longer than N bytes" (EFBIG),
 * "fstat: ..." or "read: ..." (their errno).  The one whole-file reader of
 * the project. */
int fs_read_all(int fd, size_t max, char **buf, size_t *len, struct errbuf *err);
/* The same for the file dirfd/name, opened O_RDONLY | O_NONBLOCK | O_NOCTTY
 * | O_CLOEXEC and `oflags` (e.g. O_NOFOLLOW).  err does not name the file
 * (open(2)'s errno text, or fs_read_all()'s): the caller does.  errno is
 * ENOENT only when there is no such file. */
int fs_read_at(int dirfd, const char *name, int oflags, size_t max, char **buf, size_t *len,
    struct errbuf *err);

/* How fs_open_subdir() treats a missing folder. */
enum fs_subdir_mode {
	FS_SUBDIR_OPEN,		/* open an existing folder */
	FS_SUBDIR_CREATE,	/* make a new one: an existing name is an error (EEXIST) */
	FS_SUBDIR_ENSURE	/* make it unless it exists, then open it */
};

/* Opens the folder `name` of dirfd (one segment or a relative path; the
 * last component is not followed when it is a symlink) with O_DIRECTORY |
 * O_NOFOLLOW | O_CLOEXEC, making it first (0755) as `mode` says.  Returns a
 * descriptor, or -1 with errno set and, when err is not NULL, "<name>:
 * create: <errno text>" or "<name>: <errno text>" in err.  The one helper
 * that opens a subfolder for the importer. */
int fs_open_subdir(int dirfd, const char *name, enum fs_subdir_mode mode,
    struct errbuf *err);

/* Writes all `len` bytes of buf to fd, again after EINTR and short writes.
 * Returns 0, or -1 with errno set (EIO when write(2) makes no progress).
 * The one write loop of the project. */
int fs_write_all(int fd, const void *buf, size_t len);

/* The HTTP status for an errno from opening a file to read: ENOENT,
 * ENOTDIR, ELOOP, EXDEV -> 404; EACCES, EPERM -> 403; ENAMETOOLONG -> 414;
 * EMFILE, ENFILE, ENOMEM -> 503; anything else -> 500.  The one place that
 * turns errno into an HTTP status. */
int fs_errno_http_status(int err);

#endif
