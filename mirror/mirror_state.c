/*
 * mirror_state: <root>/.mirror/<channel>/, the mirror's own state of a
 * channel and its run lock (mirror_state.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "fs_open.h"
#include "mirror_state.h"
#include "store_root.h"
#include "xmalloc.h"

#define STATE_ETAG_SUFFIX	".etag"
#define STATE_ETAG_MAX		256
#define STATE_PENDING		"indexes-pending"

static int
state_lock(struct mirror_state *st, struct errbuf *err)
{
	st->lockfd = openat(st->dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (st->lockfd == -1)
		return errbuf_set_errno(err, "%s/lock", st->path);
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK) {
		errbuf_set(err, "%s/lock: another storemirror run is mirroring this channel",
		    st->path);
		return MIRROR_STATE_BUSY;
	}
	return errbuf_set_errno(err, "%s/lock: flock", st->path);
}

/* Opens the store root as storeimport takes it (IMPORTER.md, "The root and
 * the channel"): it must exist (it is not created) and be a folder or a
 * symlink to one, and neither a channel nor a channel's download/ folder,
 * checked before anything is made in it. */
static int
state_open_root(const char *root, struct errbuf *err)
{
	enum store_root_shape shape;
	int fd;

	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOTDIR)
			return errbuf_set(err, "store root %s: not a folder", root);
		return errbuf_set_errno(err, "store root %s", root);
	}
	if ((shape = store_root_shape(fd, root)) != STORE_ROOT_OK) {
		close(fd);
		return errbuf_set(err, "store root %s: %s", root, store_root_hint(shape));
	}
	return fd;
}

int
mirror_state_open(const char *root, const char *channel, struct mirror_state **out,
    struct errbuf *err)
{
	struct mirror_state *st = xcalloc(1, sizeof(*st));
	int rootfd, topfd = -1, rc = -1;

	*out = NULL;
	st->dirfd = st->lockfd = st->indexfd = st->filesfd = st->recordsfd = -1;
	st->path = xasprintf("%s/%s/%s", root, MIRROR_STATE_DIR, channel);
	if ((rootfd = state_open_root(root, err)) == -1)
		goto out;
	if ((topfd = fs_open_subdir(rootfd, MIRROR_STATE_DIR, FS_SUBDIR_ENSURE, err)) == -1 ||
	    (st->dirfd = fs_open_subdir(topfd, channel, FS_SUBDIR_ENSURE, err)) == -1) {
		errbuf_prefix(err, "%s", root);
		goto out;
	}
	if ((rc = state_lock(st, err)) != 0)
		goto out;
	rc = -1;
	if ((st->indexfd = fs_open_subdir(st->dirfd, "indexes", FS_SUBDIR_ENSURE, err)) == -1 ||
	    (st->filesfd = fs_open_subdir(st->dirfd, "files", FS_SUBDIR_ENSURE, err)) == -1 ||
	    (st->recordsfd = fs_open_subdir(st->dirfd, "records", FS_SUBDIR_ENSURE, err)) == -1) {
		errbuf_prefix(err, "%s", st->path);
		goto out;
	}
	*out = st;
	st = NULL;
	rc = 0;
out:
	if (rootfd != -1)
		close(rootfd);
	if (topfd != -1)
		close(topfd);
	mirror_state_free(st);
	return rc;
}

void
mirror_state_free(struct mirror_state *st)
{
	int *fds[5];

	if (st == NULL)
		return;
	fds[0] = &st->recordsfd;
	fds[1] = &st->filesfd;
	fds[2] = &st->indexfd;
	fds[3] = &st->lockfd;	/* closing it releases the flock */
	fds[4] = &st->dirfd;
	for (size_t i = 0; i < 5; i++)
		if (*fds[i] != -1)
			close(*fds[i]);
	free(st->path);
	free(st);
}

void
mirror_state_etag_get(const struct mirror_state *st, const char *name, char *buf, size_t len)
{
	char *sidecar = xasprintf("%s%s", name, STATE_ETAG_SUFFIX), *text = NULL;
	struct stat sb;
	size_t n = 0;

	buf[0] = '\0';
	if (fstatat(st->indexfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
	    fs_read_at(st->indexfd, sidecar, O_NOFOLLOW, STATE_ETAG_MAX, &text, &n, NULL) == 0 &&
	    n > 0 && n < len && strchr(text, '\n') == NULL && strlen(text) == n)
		memcpy(buf, text, n + 1);
	free(text);
	free(sidecar);
}

int
mirror_state_etag_put(const struct mirror_state *st, const char *name, const char *etag,
    struct errbuf *err)
{
	char *sidecar = xasprintf("%s%s", name, STATE_ETAG_SUFFIX);
	int rc = 0;

	if (etag[0] != '\0')
		rc = atomic_file_write(st->indexfd, sidecar, etag, strlen(etag), 0644, err);
	else if (unlinkat(st->indexfd, sidecar, 0) == -1 && errno != ENOENT)
		rc = errbuf_set_errno(err, "%s/indexes/%s", st->path, sidecar);
	free(sidecar);
	return rc;
}

int
mirror_state_pending(const struct mirror_state *st)
{
	struct stat sb;

	return fstatat(st->dirfd, STATE_PENDING, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

int
mirror_state_set_pending(const struct mirror_state *st, int on, struct errbuf *err)
{
	if (on)
		return atomic_file_write(st->dirfd, STATE_PENDING, "", 0, 0644, err);
	if (unlinkat(st->dirfd, STATE_PENDING, 0) == -1 && errno != ENOENT)
		return errbuf_set_errno(err, "%s/%s", st->path, STATE_PENDING);
	return 0;
}

int
mirror_state_mkparents(int dirfd, const char *rel, struct errbuf *err)
{
	char *path = xstrdup(rel);
	int rc = 0;

	for (char *slash = strchr(path, '/'); slash != NULL && rc == 0;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdirat(dirfd, path, 0755) == -1 && errno != EEXIST)
			rc = errbuf_set_errno(err, "%s: mkdir", path);
		*slash = '/';
	}
	free(path);
	return rc;
}
