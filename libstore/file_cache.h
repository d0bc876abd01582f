/*
 * file_cache: open files of one serving thread, with everything a response
 * needs precomputed (size, ETag, Last-Modified, Content-Type), so that a hot
 * request costs no system call.
 *
 * Each serving thread owns one cache; nothing in it is shared or locked.
 * An entry is revalidated with one fstatat(2) at most once a second
 * (FILE_CACHE_RECHECK_SECONDS): a file replaced by rename, rewritten or
 * removed is noticed within that time.  Files up to FILE_CACHE_SMALL_MAX
 * bytes are held in memory (FILE_CACHE_MEMORY_MAX in all, per cache, so a
 * small gateway's RAM stays bounded); larger ones keep their descriptor
 * open so the engine can sendfile(2) them.  file_cache_invalidate_all() (any thread)
 * makes every cache drop its entries at its next lookup (SIGHUP, rescans).
 *
 * Entries are reference-counted: a response that is still being sent keeps
 * its entry (and descriptor) alive after the cache dropped it.  References
 * must be taken and dropped on the owning thread.
 */
#ifndef STORESRV_FILE_CACHE_H
#define STORESRV_FILE_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "http_cond.h"
#include "http_date.h"

#define FILE_CACHE_SMALL_MAX		(64 * 1024)
#define FILE_CACHE_MEMORY_MAX		(8 * 1024 * 1024)	/* bodies held, per cache */
#define FILE_CACHE_RECHECK_SECONDS	1

struct file_entry {
	int fd;			/* -1 once the body is in memory and the fd closed */
	uint64_t size;
	time_t mtime;
	const char *content_type;	/* static */
	char etag[HTTP_ETAG_LEN];
	char last_modified[HTTP_DATE_LEN];
	unsigned char *data;	/* whole body for small files, else NULL */
	/* private to file_cache.c */
	char *key;
	int dirfd;
	dev_t dev;
	ino_t ino;
	struct timespec mtim;
	time_t checked_at;
	unsigned refs;
	int cached;
	struct file_entry *next;
};

struct file_cache;

/* max_entries bounds the open descriptors and memory of one cache. */
struct file_cache *file_cache_create(size_t max_entries);
void file_cache_free(struct file_cache *fc);

/*
 * Finds or opens dirfd/relpath (relpath canonical, see url_path.h).  The
 * first base_len bytes of relpath (0, or up to a '/') name the folder that
 * confines the file: it is opened with fs_open_dir_nofollow() (no symlink
 * followed), and the rest of relpath with fs_open_beneath() below it, so a
 * symlink may lead anywhere inside that folder but not out of it.  Only a
 * miss opens anything; entries are keyed by (dirfd, relpath), so a relpath
 * must always be asked for with the same base_len.  Returns a referenced
 * entry, or NULL with errno set (EISDIR for a directory, ENOENT, EXDEV for
 * an escape, ENOTDIR for a symlinked base folder, ...).
 */
struct file_entry *file_cache_get(struct file_cache *fc, int dirfd, const char *relpath,
    size_t base_len);

void file_entry_ref(struct file_entry *e);
void file_entry_unref(struct file_entry *e);

/* How many entries the cache holds and how many body bytes in memory. */
void file_cache_stats(const struct file_cache *fc, size_t *entries, size_t *bytes);

/* Asks every cache to drop its entries (thread-safe). */
void file_cache_invalidate_all(void);

#endif
