/*
 * dav_fs: the file-system work of the WebDAV write methods (dav_fs.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "copy_hash.h"
#include "dav_fs.h"
#include "fs_open.h"
#include "xmalloc.h"

#define DAV_FS_TMP_TRIES	100
#define DAV_FS_COPY_CHUNK	(1024 * 1024)

/* One bounded walk: how many entries it met so far. */
struct dav_fs_walk {
	size_t entries;
};

int
dav_fs_open_parent(int dirfd, const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');

	*name = slash != NULL ? slash + 1 : path;
	return fs_open_dir_nofollow(dirfd, path, slash != NULL ? (size_t)(slash - path) : 0);
}

int
dav_fs_tmpfile(int dirfd, char tmp[DAV_FS_TMP_NAME_MAX])
{
	static const char alnum[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char suffix[7];
	int fd;

	for (int try = 0; try < DAV_FS_TMP_TRIES; try++) {
		for (size_t i = 0; i < sizeof(suffix) - 1; i++)
			suffix[i] = alnum[arc4random_uniform(sizeof(alnum) - 1)];
		suffix[sizeof(suffix) - 1] = '\0';
		snprintf(tmp, DAV_FS_TMP_NAME_MAX, "%s%s", DAV_FS_TMP_PREFIX, suffix);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int
dav_fs_name_visible(const char *name)
{
	return name[0] != '.' || strcmp(name, ".DS_Store") == 0 ||
	    (name[1] == '_' && name[2] != '\0');
}

/* Counts one more entry of the walk at `depth` levels; -1 (E2BIG) beyond
 * the limits. */
static int
dav_fs_walk_step(struct dav_fs_walk *w, int depth, const char *rel, struct errbuf *err)
{
	if (++w->entries > DAV_FS_ENTRIES_MAX || depth > DAV_FS_DEPTH_MAX) {
		errno = E2BIG;
		return errbuf_set(err, "%s: more than %d folder levels or %d entries", rel,
		    DAV_FS_DEPTH_MAX, DAV_FS_ENTRIES_MAX);
	}
	return 0;
}

/* A link, device, FIFO or socket: never followed or copied. */
static int
dav_fs_refuse_special(const char *rel, struct errbuf *err)
{
	errno = EPERM;
	return errbuf_set(err, "%s: not a file or folder (links are not followed)", rel);
}

/* Closes the descriptors that are open (-1: none), keeping errno. */
static void
dav_fs_close_pair(int a, int b)
{
	int saved = errno;

	if (a != -1)
		close(a);
	if (b != -1)
		close(b);
	errno = saved;
}

/* Calls fn for each visible entry of the folder fd (rel below the walk's
 * top) with the entry's own rel, until one fails. */
typedef int dav_fs_member_fn(int fd, const char *name, const char *rel, void *arg,
    struct errbuf *err);

static int
dav_fs_each_member(int fd, const char *rel, dav_fs_member_fn *fn, void *arg,
    struct errbuf *err)
{
	struct dirent *de;
	DIR *dir;
	int r = 0, rc = 0;

	if ((dir = fs_opendir_at(fd)) == NULL)
		return errbuf_set_errno(err, "%s", rel);
	while (rc == 0 && (r = tree_readdir(dir, &de)) == 1) {
		char *sub;

		if (!dav_fs_name_visible(de->d_name))
			continue;
		sub = xasprintf("%s/%s", rel, de->d_name);
		rc = fn(fd, de->d_name, sub, arg, err);
		free(sub);
	}
	if (r == -1)
		rc = errbuf_set_errno(err, "%s: read folder", rel);
	closedir(dir);
	return rc;
}

/* ---- measuring ---- */

/* One level of a measuring walk. */
struct dav_fs_measuring {
	struct dav_fs_walk *walk;
	int depth;
	uint64_t *bytes;
};

static int
dav_fs_measure_in(int dirfd, const char *name, const char *rel, void *arg,
    struct errbuf *err)
{
	struct dav_fs_measuring *m = arg, below;
	struct stat st;
	int fd, rc;

	if (dav_fs_walk_step(m->walk, m->depth, rel, err) == -1)
		return -1;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errbuf_set_errno(err, "%s", rel);
	if (S_ISREG(st.st_mode)) {
		*m->bytes += (uint64_t)st.st_size;
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return dav_fs_refuse_special(rel, err);
	if ((fd = fs_open_subdir(dirfd, name, FS_SUBDIR_OPEN, NULL)) == -1)
		return errbuf_set_errno(err, "%s", rel);
	below = *m;
	below.depth++;
	rc = dav_fs_each_member(fd, rel, dav_fs_measure_in, &below, err);
	close(fd);
	return rc;
}

int
dav_fs_measure(int dirfd, const char *name, uint64_t *bytes, struct errbuf *err)
{
	struct dav_fs_walk w = { 0 };
	struct dav_fs_measuring m = { &w, 0, bytes };

	*bytes = 0;
	return dav_fs_measure_in(dirfd, name, name, &m, err);
}

/* ---- copying ---- */

/* Copies the open file in to out (copy_file_range, read/write where the
 * file system cannot). */
static int
dav_fs_copy_data(int in, int out)
{
	char *buf = NULL;
	ssize_t n;
	int rc = 0;

	while ((n = copy_file_range(in, NULL, out, NULL, DAV_FS_COPY_CHUNK, 0)) > 0)
		;
	if (n == 0)
		return 0;
	if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	buf = xmalloc(DAV_FS_COPY_CHUNK);
	while ((n = read(in, buf, DAV_FS_COPY_CHUNK)) > 0 || (n == -1 && errno == EINTR))
		if (n > 0 && fs_write_all(out, buf, (size_t)n) == -1)
			break;
	if (n != 0)
		rc = -1;
	free(buf);
	return rc;
}

/* dirfd/src (a regular file) to dstdir/dst through a temporary name. */
static int
dav_fs_copy_file(int srcdir, const char *src, int dstdir, const char *dst, const char *rel,
    struct errbuf *err)
{
	char tmp[DAV_FS_TMP_NAME_MAX];
	int in, out = -1, rc = -1, saved;

	in = openat(srcdir, src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in == -1) {
		errbuf_set_errno(err, "%s", rel);
		goto out;
	}
	if ((out = dav_fs_tmpfile(dstdir, tmp)) == -1) {
		errbuf_set_errno(err, "%s: create", rel);
		goto out;
	}
	if (dav_fs_copy_data(in, out) == -1 || fsync(out) == -1 ||
	    renameat(dstdir, tmp, dstdir, dst) == -1) {
		errbuf_set_errno(err, "%s: copy", rel);
		saved = errno;
		unlinkat(dstdir, tmp, 0);
		errno = saved;
		goto out;
	}
	rc = 0;
out:
	dav_fs_close_pair(in, out);
	return rc;
}

static int dav_fs_copy_in(int srcdir, const char *src, int dstdir, const char *dst,
    const char *rel, int depth, int members, struct dav_fs_walk *w, struct errbuf *err);

/* One level of a copying walk: the new folder the members go to. */
struct dav_fs_copying {
	struct dav_fs_walk *walk;
	int depth;
	int dstfd;
};

static int
dav_fs_copy_member(int srcfd, const char *name, const char *rel, void *arg,
    struct errbuf *err)
{
	struct dav_fs_copying *cp = arg;

	return dav_fs_copy_in(srcfd, name, cp->dstfd, name, rel, cp->depth + 1, 1, cp->walk, err);
}

static int
dav_fs_copy_in(int srcdir, const char *src, int dstdir, const char *dst, const char *rel,
    int depth, int members, struct dav_fs_walk *w, struct errbuf *err)
{
	struct dav_fs_copying cp;
	struct stat st;
	int sfd = -1, dfd = -1, rc = -1;

	if (dav_fs_walk_step(w, depth, rel, err) == -1)
		return -1;
	if (fstatat(srcdir, src, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errbuf_set_errno(err, "%s", rel);
	if (S_ISREG(st.st_mode))
		return dav_fs_copy_file(srcdir, src, dstdir, dst, rel, err);
	if (!S_ISDIR(st.st_mode))
		return dav_fs_refuse_special(rel, err);
	if ((sfd = fs_open_subdir(srcdir, src, FS_SUBDIR_OPEN, NULL)) == -1 ||
	    (dfd = fs_open_subdir(dstdir, dst, FS_SUBDIR_CREATE, NULL)) == -1) {
		errbuf_set_errno(err, "%s", rel);
		goto out;
	}
	cp.walk = w;
	cp.depth = depth;
	cp.dstfd = dfd;
	if (members && dav_fs_each_member(sfd, rel, dav_fs_copy_member, &cp, err) == -1)
		goto out;
	if (fsync(dfd) == -1) {
		errbuf_set_errno(err, "%s: fsync", rel);
		goto out;
	}
	rc = 0;
out:
	dav_fs_close_pair(sfd, dfd);
	return rc;
}

int
dav_fs_copy(int srcdir, const char *src, int dstdir, const char *dst, int depth_infinity,
    struct errbuf *err)
{
	struct dav_fs_walk w = { 0 };
	struct stat st;
	int saved;

	if (fstatat(srcdir, src, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errbuf_set_errno(err, "%s", src);
	if (dav_fs_copy_in(srcdir, src, dstdir, dst, src, 0, depth_infinity, &w, err) == 0)
		return fsync_dir(dstdir, dst, err);
	/* a file is renamed into place only once whole: nothing to undo */
	if (S_ISDIR(st.st_mode) && errno != EEXIST) {
		saved = errno;
		(void)dav_fs_remove(dstdir, dst, NULL, NULL, NULL);
		errno = saved;
	}
	return -1;
}

/* ---- removing ---- */

struct dav_fs_removal {
	struct dav_fs_walk walk;
	dav_fs_failed_fn *failed;
	void *arg;
	int partial;
};

static void
dav_fs_removal_failed(struct dav_fs_removal *rm, const char *rel, int errnum)
{
	rm->partial = 1;
	if (rm->failed != NULL)
		rm->failed(rm->arg, rel, errnum);
}

static void dav_fs_remove_in(int dirfd, const char *name, const char *rel, int depth,
    struct dav_fs_removal *rm);

/* The entries of the folder fd (rel below the top). */
static void
dav_fs_remove_members(int fd, const char *rel, int depth, struct dav_fs_removal *rm)
{
	struct dirent *de;
	DIR *dir;
	int r;

	if ((dir = fs_opendir_at(fd)) == NULL) {
		dav_fs_removal_failed(rm, rel, errno);
		return;
	}
	while ((r = tree_readdir(dir, &de)) == 1) {
		char *sub = rel[0] != '\0' ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);

		dav_fs_remove_in(fd, de->d_name, sub, depth + 1, rm);
		free(sub);
	}
	if (r == -1)
		dav_fs_removal_failed(rm, rel, errno);
	closedir(dir);
}

static void
dav_fs_remove_in(int dirfd, const char *name, const char *rel, int depth,
    struct dav_fs_removal *rm)
{
	int fd;

	if (dav_fs_walk_step(&rm->walk, depth, rel, NULL) == -1) {
		dav_fs_removal_failed(rm, rel, errno);
		return;
	}
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return;
	if (errno != EISDIR && errno != EPERM) {
		dav_fs_removal_failed(rm, rel, errno);
		return;
	}
	if ((fd = fs_open_subdir(dirfd, name, FS_SUBDIR_OPEN, NULL)) == -1) {
		dav_fs_removal_failed(rm, rel, errno == ENOTDIR ? EPERM : errno);
		return;
	}
	dav_fs_remove_members(fd, rel, depth, rm);
	close(fd);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT &&
	    !(errno == ENOTEMPTY && rm->partial))
		dav_fs_removal_failed(rm, rel, errno);
}

int
dav_fs_remove(int dirfd, const char *name, dav_fs_failed_fn *failed, void *arg,
    struct errbuf *err)
{
	struct dav_fs_removal rm = { .failed = failed, .arg = arg };
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errbuf_set_errno(err, "%s", name);
	dav_fs_remove_in(dirfd, name, "", 0, &rm);
	if (!rm.partial && fsync_dir(dirfd, name, err) == -1)
		return -1;
	return rm.partial;
}
