/*
 * test_file_cache: the per-thread file cache of the read path, on real
 * files under /tmp: hits, small files in memory and large ones by
 * descriptor, refusals (folders, missing files, links out of the root or
 * out of a base folder, symlinked base folders),
 * revalidation of replaced files after a second (how stale an entry may be
 * within that second is not a promise, so it is not tested), references that outlive
 * an entry, invalidation, and the bounds on entries and memory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "file_cache.h"

static char root[] = "/tmp/test_file_cache.XXXXXX";
static int rootfd = -1;

static void
write_file(const char *rel, size_t size, char fill)
{
	char path[512], *buf = malloc(size ? size : 1);
	int fd;

	memset(buf, fill, size);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	(void)!write(fd, buf, size);
	close(fd);
	free(buf);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
test_basics(struct file_cache *fc)
{
	struct file_entry *a, *b, *big;

	write_file("small.json", 100, 'a');
	write_file("big.img", FILE_CACHE_SMALL_MAX + 1, 'b');
	a = file_cache_get(fc, rootfd, "small.json", 0);
	tap_ok(a != NULL && a->size == 100 && a->data != NULL && a->fd == -1,
	    "small file: held in memory, descriptor closed");
	tap_ok(a != NULL && a->data[0] == 'a' && a->data[99] == 'a', "small file: its bytes");
	tap_str_eq(a ? a->content_type : NULL, "application/json", "small file: content type");
	tap_ok(a != NULL && a->etag[0] == '"' && strchr(a->etag, '-') != NULL, "small file: ETag");
	b = file_cache_get(fc, rootfd, "small.json", 0);
	tap_ok(b == a, "second get: the same entry (a hit)");
	big = file_cache_get(fc, rootfd, "big.img", 0);
	tap_ok(big != NULL && big->data == NULL && big->fd >= 0 &&
	    big->size == FILE_CACHE_SMALL_MAX + 1, "large file: kept by descriptor");
	file_entry_unref(a);
	file_entry_unref(b);
	file_entry_unref(big);
}

static void
test_refusals(struct file_cache *fc)
{
	mkdirat(rootfd, "dir", 0755);
	errno = 0;
	tap_ok(file_cache_get(fc, rootfd, "dir", 0) == NULL && errno == EISDIR, "folder: EISDIR");
	errno = 0;
	tap_ok(file_cache_get(fc, rootfd, "nothing.json", 0) == NULL && errno == ENOENT,
	    "missing file: ENOENT");
	symlinkat("/etc/hostname", rootfd, "abs-link");
	tap_ok(file_cache_get(fc, rootfd, "abs-link", 0) == NULL, "absolute link out of the root refused");
	symlinkat("../../../../../../etc/hostname", rootfd, "rel-link");
	tap_ok(file_cache_get(fc, rootfd, "rel-link", 0) == NULL, "relative link out of the root refused");
	symlinkat("small.json", rootfd, "in-link");
	{
		struct file_entry *e = file_cache_get(fc, rootfd, "in-link", 0);

		tap_ok(e != NULL && e->size == 100, "link inside the root followed");
		file_entry_unref(e);
	}
}

/* Files resolved beneath a base folder (a channel's download/): links may
 * move inside it, not out of it, and the base itself is no symlink. */
static void
test_base(struct file_cache *fc)
{
	static const struct {
		const char *name;
		const char *relpath;
		int want_errno;		/* 0: served; ENOTDIR also takes ELOOP */
	} cases[] = {
		{ "a file below the base", "ch/download/f.json", 0 },
		{ "a link inside the base", "ch/download/alias.json", 0 },
		{ "a folder link inside the base", "ch/download/self/f.json", 0 },
		{ "a link to the base's parent's file", "ch/download/cat.json", EXDEV },
		{ "a link to a hidden file beside the base", "ch/download/lock", EXDEV },
		{ "a link two levels up", "ch/download/staged", EXDEV },
		{ "a folder link to the parent", "ch/download/up/catalog.json", EXDEV },
		{ "a symlinked base", "linked/download/f.json", ENOTDIR },
		{ "a symlinked channel", "alias/download/f.json", ENOTDIR },
		{ "the base itself", "ch/download", EISDIR },
	};

	mkdirat(rootfd, "ch", 0755);
	mkdirat(rootfd, "ch/download", 0755);
	mkdirat(rootfd, ".staging", 0755);
	mkdirat(rootfd, "linked", 0755);
	write_file("ch/download/f.json", 5, 'f');
	write_file("ch/catalog.json", 7, 'c');
	write_file("ch/.lock", 3, 'l');
	write_file(".staging/x", 4, 's');
	symlinkat("f.json", rootfd, "ch/download/alias.json");
	symlinkat(".", rootfd, "ch/download/self");
	symlinkat("../catalog.json", rootfd, "ch/download/cat.json");
	symlinkat("../.lock", rootfd, "ch/download/lock");
	symlinkat("../../.staging/x", rootfd, "ch/download/staged");
	symlinkat("..", rootfd, "ch/download/up");
	symlinkat("../ch/download", rootfd, "linked/download");
	symlinkat("ch", rootfd, "alias");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *rel = cases[i].relpath;
		size_t base_len = strchr(strchr(rel, '/') + 1, '/') != NULL ?
		    (size_t)(strchr(strchr(rel, '/') + 1, '/') - rel) : strlen(rel);
		struct file_entry *e;

		errno = 0;
		e = file_cache_get(fc, rootfd, rel, base_len);
		if (cases[i].want_errno == 0)
			tap_ok(e != NULL && e->size == 5, "base: %s is served", cases[i].name);
		else
			tap_ok(e == NULL && (errno == cases[i].want_errno ||
			    (cases[i].want_errno == ENOTDIR && errno == ELOOP)), "base: %s is refused (%s)",
			    cases[i].name, strerror(errno));
		file_entry_unref(e);
	}
}

static void
test_revalidation(struct file_cache *fc)
{
	struct file_entry *old, *fresh;
	char tmp[600], dst[600];

	write_file("index.json", 10, 'o');
	old = file_cache_get(fc, rootfd, "index.json", 0);
	write_file(".index.json.tmp", 20, 'n');
	snprintf(tmp, sizeof(tmp), "%s/.index.json.tmp", root);
	snprintf(dst, sizeof(dst), "%s/index.json", root);
	rename(tmp, dst);
	usleep(1100 * 1000);
	fresh = file_cache_get(fc, rootfd, "index.json", 0);
	tap_ok(fresh != NULL && fresh != old && fresh->size == 20 && fresh->data[0] == 'n',
	    "replaced file: the new content after a second");
	tap_ok(fresh != NULL && strcmp(fresh->etag, old->etag) != 0, "replaced file: a new ETag");
	tap_ok(old->size == 10 && old->data[9] == 'o',
	    "an entry still referenced outlives its replacement");
	file_entry_unref(old);
	file_entry_unref(fresh);
	unlinkat(rootfd, "index.json", 0);
	usleep(1100 * 1000);
	errno = 0;
	tap_ok(file_cache_get(fc, rootfd, "index.json", 0) == NULL && errno == ENOENT,
	    "removed file: gone after a second");
}

static void
test_invalidate(struct file_cache *fc)
{
	struct file_entry *a, *b;

	a = file_cache_get(fc, rootfd, "small.json", 0);
	file_entry_ref(a);
	file_entry_unref(a);
	file_cache_invalidate_all();
	b = file_cache_get(fc, rootfd, "small.json", 0);
	tap_ok(a != NULL && b != NULL && a != b, "invalidate_all: a new entry at once");
	file_entry_unref(a);
	file_entry_unref(b);
}

static void
test_bounds(void)
{
	struct file_cache *fc = file_cache_create(4);
	size_t entries, bytes, max_entries = 0, max_bytes = 0;
	char name[64];

	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "n%d.json", i);
		write_file(name, 10, 'x');
		file_entry_unref(file_cache_get(fc, rootfd, name, 0));
		file_cache_stats(fc, &entries, &bytes);
		if (entries > max_entries)
			max_entries = entries;
	}
	tap_ok(max_entries <= 4 && max_entries > 0, "entries bounded by max_entries (%zu)", max_entries);
	file_cache_free(fc);

	fc = file_cache_create(100000);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "m%d.bin", i);
		write_file(name, 60 * 1024, 'y');
		file_entry_unref(file_cache_get(fc, rootfd, name, 0));
		file_cache_stats(fc, &entries, &bytes);
		if (bytes > max_bytes)
			max_bytes = bytes;
	}
	tap_ok(max_bytes <= FILE_CACHE_MEMORY_MAX && max_bytes > 0,
	    "memory held bounded by FILE_CACHE_MEMORY_MAX (%zu bytes for 200 x 60 KiB)", max_bytes);
	file_cache_free(fc);
}

int
main(void)
{
	struct file_cache *fc;

	if (mkdtemp(root) == NULL || (rootfd = open(root, O_RDONLY | O_DIRECTORY)) == -1) {
		tap_ok(0, "mkdtemp");
		return tap_done();
	}
	fc = file_cache_create(64);
	test_basics(fc);
	test_refusals(fc);
	test_base(fc);
	test_revalidation(fc);
	test_invalidate(fc);
	file_cache_free(fc);
	test_bounds();
	close(rootfd);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
