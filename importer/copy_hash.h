/*
 * copy_hash: copy files while computing their sha256 in the same pass
 * (OpenSSL EVP, streaming, large buffers), fsync what was written, and keep
 * the results in a hash list that becomes a hashes/<build>.sha256 record.
 *
 * Sources are read with O_NOFOLLOW: symbolic links, devices, sockets and
 * FIFOs in a source tree are refused, never followed.  Names starting with
 * '.' are skipped with a warning (they would never be served); names that
 * break build_name_refusal()'s rule (control characters, not UTF-8, over
 * 255 bytes) are refused.  A source file that changes while it is copied
 * (its size, mtime or ctime differ before and after, by fstat() of the open
 * descriptor, or fewer bytes were read than it had) is refused: its copy
 * would be torn.
 */
#ifndef STORESRV_COPY_HASH_H
#define STORESRV_COPY_HASH_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "diag.h"
#include "errbuf.h"

#define COPY_HASH_BUFSIZE	(1024 * 1024)
#define COPY_WRITEBACK_CHUNK	(8 * 1024 * 1024)	/* sync_file_range() steps */
#define SHA256_HEX_LEN		64
#define COPY_HASH_CHANGED	1	/* copy_hash_file(): the source changed */

struct hash_rec {
	char *path;			/* relative, '/'-separated; owned */
	char hex[SHA256_HEX_LEN + 1];
	uint64_t size;
};

struct hashlist {
	struct hash_rec *recs;
	size_t count;
	size_t alloc;
};

void hashlist_init(struct hashlist *hl);
void hashlist_free(struct hashlist *hl);
void hashlist_add(struct hashlist *hl, const char *path, const char *hex, uint64_t size);
void hashlist_remove(struct hashlist *hl, const char *path);
/* Counts the records below prefix and sums their sizes. */
void hashlist_stats(const struct hashlist *hl, const char *prefix, uint64_t *files,
    uint64_t *bytes);
/* Sorts by path (sha256sum records are written sorted, so they are
 * deterministic). */
void hashlist_sort(struct hashlist *hl);
/* Writes "HEX  path\n" lines of the records whose path starts with `prefix`
 * ("" for all), with the prefix removed.  Returns a string the caller frees. */
char *hashlist_format(const struct hashlist *hl, const char *prefix, size_t *lenp);
/* Parses sha256sum text; returns 0, or -1 naming the bad line. */
int hashlist_parse(struct hashlist *hl, const char *text, size_t len, struct errbuf *err);

/* Progress of copies (storeimport's display): when set, fn is called after
 * each chunk written (at most COPY_HASH_BUFSIZE bytes) and, with file_done
 * set and bytes 0, once per file copied.  NULL (the default): no calls. */
typedef void copy_progress_fn(void *arg, uint64_t bytes, int file_done);
void copy_hash_set_progress(copy_progress_fn *fn, void *arg);
/* Reports to that hook (if set): bytes written to the staging area, or a
 * file finished.  Copies call it; so does archive extraction. */
void copy_hash_progress(uint64_t bytes, int file_done);

/* A streaming sha256. */
struct hasher;
/* A sha256 hasher (hasher_free() frees it), or NULL with err set when
 * OpenSSL cannot give one. */
struct hasher *hasher_create(struct errbuf *err);
void hasher_update(struct hasher *h, const void *data, size_t len);
/* Writes 64 hex digits and a NUL; the hasher can be reused afterwards. */
void hasher_final(struct hasher *h, char hex[SHA256_HEX_LEN + 1]);
void hasher_free(struct hasher *h);

/* Hashes an open file from its current offset to the end. */
int hash_fd(int fd, char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct errbuf *err);

/* Copies srcdir/src to dstdir/dst (created exclusively, mode 0644), hashing
 * on the way, then fsyncs it.  Returns 0; -1 on an I/O failure (err names
 * the file); COPY_HASH_CHANGED when the source changed during the copy (err
 * says how, without the name, for the caller's report).  On failure the
 * partial copy is removed. */
int copy_hash_file(int srcdir, const char *src, int dstdir, const char *dst,
    char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct errbuf *err);

/* Reports (DIAG_ERROR, where = rel escaped by utf8_escape()) a name that
 * breaks the rule of published names (build_name_refusal()); returns 1 for
 * such a name, else 0. */
int copy_name_refused(const char *name, const char *rel, struct diag *d);

/* Did a file change between two fstat()s (size, mtime or ctime)? */
int stat_changed(const struct stat *before, const struct stat *after);

/* Copies the tree below srcdir into dstdir (which exists and is empty),
 * adding a record "prefix/relpath" for each file to hl and its size to
 * *total.  Each directory is fsync'd after its entries.  Problems with
 * single names and files that changed during the copy go to d (where =
 * prefix/relpath, escaped by utf8_escape() when needed); I/O failures,
 * reading a folder included, return -1. */
int copy_hash_tree(int srcdir, int dstdir, const char *prefix, struct hashlist *hl,
    uint64_t *total, struct diag *d, struct errbuf *err);

/* readdir() that tells the end of a folder from a failure: returns 1 with
 * the next entry other than "." and "..", 0 at the end, -1 with errno set
 * on a failure (a folder read partly must never pass for a whole one). */
int tree_readdir(DIR *dir, struct dirent **de);

/* Sums the sizes of the regular files below dirfd (for the free-space
 * check before copying). */
int tree_size(int dirfd, uint64_t *total, struct errbuf *err);

/* Removes dirfd/name recursively (no symlink is followed).  ENOENT is
 * success. */
int tree_remove(int dirfd, const char *name, struct errbuf *err);

#endif
