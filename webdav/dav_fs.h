/*
 * dav_fs: the file-system work of the WebDAV write methods (PUT, DELETE,
 * MKCOL, COPY, MOVE), below a folder descriptor and never following a
 * symbolic link.  Internal to webdav/; no HTTP here, only errno and errbuf.
 *
 * Every path is canonical (url_path.h) and relative to a folder descriptor
 * (the store root): folders are opened segment by segment with O_NOFOLLOW
 * (fs_open_dir_nofollow()), leaves are reached with the *at() calls and
 * AT_SYMLINK_NOFOLLOW / O_NOFOLLOW.  A symbolic link, device, FIFO or
 * socket met in a tree is refused (EPERM), never followed or copied.
 *
 * Walks are bounded: DAV_FS_DEPTH_MAX folder levels below the top and
 * DAV_FS_ENTRIES_MAX entries per walk (E2BIG beyond).  Hidden names are
 * skipped by walks unless they are Finder's (".DS_Store", "._*", which
 * clients may create in incoming/): temporary files of uploads in
 * progress and the store's own marks are never copied.
 */
#ifndef STORESRV_DAV_FS_H
#define STORESRV_DAV_FS_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

#define DAV_FS_DEPTH_MAX	32	/* folder levels below a walk's top */
#define DAV_FS_ENTRIES_MAX	100000	/* entries met by one walk */
#define DAV_FS_TMP_PREFIX	".tmp-dav-"
#define DAV_FS_TMP_NAME_MAX	32	/* bytes of a temporary name, NUL included */

/* Opens the folder holding the last segment of `path` (below dirfd),
 * following no link; *name points at that last segment.  A path of one
 * segment gives a descriptor of dirfd's folder.  -1 with errno set
 * (ENOENT or ENOTDIR: a parent is missing or not a folder). */
int dav_fs_open_parent(int dirfd, const char *path, const char **name);

/* Creates a new empty file DAV_FS_TMP_PREFIX "XXXXXX" in dirfd (O_EXCL,
 * mode 0644) and writes its name into tmp.  A descriptor open for writing,
 * or -1 with errno set. */
int dav_fs_tmpfile(int dirfd, char tmp[DAV_FS_TMP_NAME_MAX]);

/* Is `name` one a walk copies (not hidden, or one of Finder's)? */
int dav_fs_name_visible(const char *name);

/* The bytes of the regular files of the tree dirfd/name (a file: its
 * size), within the walk limits.  -1 with err set (errno E2BIG over a
 * limit, EPERM for a link or special file). */
int dav_fs_measure(int dirfd, const char *name, uint64_t *bytes, struct errbuf *err);

/* Copies dirfd/src to dstdir/dst, which must not exist: a file (to a
 * temporary name, fsync'd, then renamed into place) or a folder with its
 * whole tree (`depth_infinity`) or empty (Depth 0).  On failure what was
 * made of dst is removed again; -1 with err set and errno kept. */
int dav_fs_copy(int srcdir, const char *src, int dstdir, const char *dst, int depth_infinity,
    struct errbuf *err);

/* Called by dav_fs_remove() for each entry that could not be removed
 * (`rel` below the top, "" for the top itself) with its errno. */
typedef void dav_fs_failed_fn(void *arg, const char *rel, int errnum);

/* Removes dirfd/name and, for a folder, its whole tree, going on past an
 * entry that cannot be removed (reported through `failed`; its folders
 * stay too).  0: all gone; 1: some entries stayed (each reported); -1:
 * nothing could be walked (err set, errno kept; ENOENT: no such name). */
int dav_fs_remove(int dirfd, const char *name, dav_fs_failed_fn *failed, void *arg,
    struct errbuf *err);

#endif
