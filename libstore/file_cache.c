/*
 * file_cache: per-thread cache of open files and their response metadata;
 * see file_cache.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_cache.h"
#include "fs_open.h"
#include "mime.h"
#include "xmalloc.h"

struct file_cache {
	struct file_entry **buckets;
	size_t nbuckets;	/* a power of two */
	size_t count;
	size_t max_entries;
	size_t bytes;		/* bodies held in memory */
	unsigned generation;
};

static atomic_uint file_cache_generation;

static time_t
file_cache_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

static size_t
file_cache_hash(int dirfd, const char *key)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(unsigned)dirfd;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return (size_t)h;
}

struct file_cache *
file_cache_create(size_t max_entries)
{
	struct file_cache *fc = xcalloc(1, sizeof(*fc));

	fc->max_entries = max_entries ? max_entries : 1;
	fc->nbuckets = 16;
	while (fc->nbuckets < fc->max_entries * 2)
		fc->nbuckets *= 2;
	fc->buckets = xcalloc(fc->nbuckets, sizeof(*fc->buckets));
	fc->generation = atomic_load(&file_cache_generation);
	return fc;
}

static void
file_entry_destroy(struct file_entry *e)
{
	if (e->fd != -1)
		close(e->fd);
	free(e->data);
	free(e->key);
	free(e);
}

void
file_entry_ref(struct file_entry *e)
{
	e->refs++;
}

void
file_entry_unref(struct file_entry *e)
{
	if (e == NULL)
		return;
	if (--e->refs == 0 && !e->cached)
		file_entry_destroy(e);
}

/* Drops the cache's own hold on e; e lives on while responses use it. */
static void
file_cache_release(struct file_entry *e)
{
	e->cached = 0;
	if (e->refs == 0)
		file_entry_destroy(e);
}

static void
file_cache_clear(struct file_cache *fc)
{
	for (size_t i = 0; i < fc->nbuckets; i++) {
		struct file_entry *e = fc->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			file_cache_release(e);
		}
		fc->buckets[i] = NULL;
	}
	fc->count = 0;
	fc->bytes = 0;
}

void
file_cache_free(struct file_cache *fc)
{
	if (fc == NULL)
		return;
	file_cache_clear(fc);
	free(fc->buckets);
	free(fc);
}

void
file_cache_stats(const struct file_cache *fc, size_t *entries, size_t *bytes)
{
	*entries = fc->count;
	*bytes = fc->bytes;
}

void
file_cache_invalidate_all(void)
{
	atomic_fetch_add(&file_cache_generation, 1);
}

static int
file_entry_same_file(const struct file_entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino &&
	    e->size == (uint64_t)st->st_size &&
	    e->mtim.tv_sec == st->st_mtim.tv_sec &&
	    e->mtim.tv_nsec == st->st_mtim.tv_nsec;
}

/* Reads a small file whole; returns 0 or -1 with errno set. */
static int
file_entry_load_small(struct file_entry *e)
{
	size_t done = 0;

	e->data = xmalloc(e->size ? e->size : 1);
	while (done < e->size) {
		ssize_t n = pread(e->fd, e->data + done, e->size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* shrank while read: try again later */
			return -1;
		}
		done += (size_t)n;
	}
	close(e->fd);
	e->fd = -1;
	return 0;
}

/* Opens relpath below its base folder (see file_cache_get()). */
static int
file_entry_open_fd(int dirfd, const char *relpath, size_t base_len)
{
	int base_fd, fd, saved;

	if (base_len == 0)
		return fs_open_beneath(dirfd, relpath, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	base_fd = fs_open_dir_nofollow(dirfd, relpath, base_len);
	if (base_fd == -1)
		return -1;
	relpath += base_len;
	if (*relpath == '/')
		relpath++;
	fd = fs_open_beneath(base_fd, relpath, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	saved = errno;
	close(base_fd);
	errno = saved;
	return fd;
}

static struct file_entry *
file_entry_open(int dirfd, const char *relpath, size_t base_len)
{
	struct file_entry *e;
	struct stat st;
	int fd, saved;

	fd = file_entry_open_fd(dirfd, relpath, base_len);
	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		goto fail;
	}
	e = xcalloc(1, sizeof(*e));
	e->fd = fd;
	e->dirfd = dirfd;
	e->key = xstrdup(relpath);
	e->size = (uint64_t)st.st_size;
	e->mtime = st.st_mtim.tv_sec;
	e->mtim = st.st_mtim;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->content_type = mime_type_for(relpath);
	http_etag_make(e->etag, e->size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	http_date_format(e->mtime, e->last_modified);
	if (e->size <= FILE_CACHE_SMALL_MAX && file_entry_load_small(e) == -1) {
		saved = errno;
		file_entry_destroy(e);
		errno = saved;
		return NULL;
	}
	return e;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return NULL;
}

static struct file_entry **
file_cache_slot(struct file_cache *fc, int dirfd, const char *relpath)
{
	struct file_entry **slot;

	slot = &fc->buckets[file_cache_hash(dirfd, relpath) & (fc->nbuckets - 1)];
	for (; *slot != NULL; slot = &(*slot)->next) {
		if ((*slot)->dirfd == dirfd && strcmp((*slot)->key, relpath) == 0)
			break;
	}
	return slot;
}

/* Is the cached entry still the file on disk?  Unlinks it from the chain
 * when not. */
static int
file_cache_still_valid(struct file_cache *fc, struct file_entry **slot, time_t now)
{
	struct file_entry *e = *slot;
	struct stat st;

	if (now - e->checked_at < FILE_CACHE_RECHECK_SECONDS)
		return 1;
	if (fstatat(e->dirfd, e->key, &st, 0) == 0 && file_entry_same_file(e, &st)) {
		e->checked_at = now;
		return 1;
	}
	*slot = e->next;
	fc->count--;
	fc->bytes -= e->data != NULL ? e->size : 0;
	file_cache_release(e);
	return 0;
}

struct file_entry *
file_cache_get(struct file_cache *fc, int dirfd, const char *relpath, size_t base_len)
{
	unsigned generation = atomic_load(&file_cache_generation);
	time_t now = file_cache_now();
	struct file_entry **slot, *e;

	if (generation != fc->generation) {
		file_cache_clear(fc);
		fc->generation = generation;
	}
	slot = file_cache_slot(fc, dirfd, relpath);
	if (*slot != NULL && file_cache_still_valid(fc, slot, now)) {
		file_entry_ref(*slot);
		return *slot;
	}
	e = file_entry_open(dirfd, relpath, base_len);
	if (e == NULL)
		return NULL;
	if (fc->count >= fc->max_entries ||
	    (e->data != NULL && fc->bytes + e->size > FILE_CACHE_MEMORY_MAX))
		file_cache_clear(fc);
	slot = file_cache_slot(fc, dirfd, relpath);
	e->checked_at = now;
	e->cached = 1;
	e->next = NULL;
	*slot = e;
	fc->count++;
	fc->bytes += e->data != NULL ? e->size : 0;
	file_entry_ref(e);
	return e;
}
