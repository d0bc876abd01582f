/*
 * dav_incoming_walk: how an upload of incoming/ looks on disk - its
 * signature, whether it is being written, whether it is complete - and
 * the tidying and build.json keeping around its import
 * (dav_incoming_internal.h).
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "build_check.h"
#include "copy_hash.h"
#include "descriptor.h"
#include "dav_incoming_internal.h"
#include "fs_open.h"
#include "importer.h"
#include "source.h"
#include "xmalloc.h"

#define INC_SAVED_MAX		1024	/* build.json files kept per upload */
#define INC_SAVED_DEPTH		4	/* "batch/130001/build.json" is 2 */

int
inc_look_same(const struct inc_look *a, const struct inc_look *b)
{
	return a->newest.tv_sec == b->newest.tv_sec && a->newest.tv_nsec == b->newest.tv_nsec &&
	    a->bytes == b->bytes && a->count == b->count;
}

/* A temporary file of a PUT (".tmp-dav-XXXXXX") or of atomic_file.h
 * (".<name>.tmp-XXXXXX"). */
static int
inc_name_temporary(const char *name)
{
	return name[0] == '.' && strstr(name, ".tmp-") != NULL;
}

/* Finder's metadata files: never part of a build. */
static int
inc_name_finder(const char *name)
{
	return strcmp(name, ".DS_Store") == 0 || strncmp(name, "._", 2) == 0;
}

/* One walk: looking (the signature), or tidying (removing). */
struct inc_walker {
	struct inc_look *look;
	time_t stale_before;
	int tidy;
	uint64_t entries;	/* walked, against INC_WALK_MAX_ENTRIES */
};

static void inc_walk_dir(int dirfd, const char *rel, int depth, struct inc_walker *w);

static void
inc_look_stat(struct inc_look *l, const struct stat *st)
{
	if (st->st_mtim.tv_sec > l->newest.tv_sec ||
	    (st->st_mtim.tv_sec == l->newest.tv_sec && st->st_mtim.tv_nsec > l->newest.tv_nsec))
		l->newest = st->st_mtim;
	if (S_ISREG(st->st_mode))
		l->bytes += (uint64_t)st->st_size;
}

/* A hidden name: a live temporary file makes the upload busy, a stale one
 * is removed when tidying, any other is remembered (the importer refuses
 * hidden names). */
static void
inc_walk_hidden(int dirfd, const char *name, const char *rel, const struct stat *st,
    struct inc_walker *w)
{
	int temporary = inc_name_temporary(name);
	int stale = temporary && S_ISREG(st->st_mode) && st->st_mtim.tv_sec < w->stale_before;

	if (w->tidy) {
		if (stale && S_ISREG(st->st_mode))
			unlinkat(dirfd, name, 0);
		return;
	}
	if (temporary && !stale)
		w->look->busy = 1;
	else if (!temporary && w->look->hidden[0] == '\0')
		snprintf(w->look->hidden, sizeof(w->look->hidden), "%s", rel);
}

static void
inc_walk_entry(int dirfd, const char *name, const char *rel, int depth, struct inc_walker *w)
{
	struct inc_look *l = w->look;
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return;		/* gone meanwhile: the next walk sees the change */
	if (++w->entries > INC_WALK_MAX_ENTRIES) {
		l->too_big = 1;
		return;
	}
	if (inc_name_finder(name) && S_ISREG(st.st_mode)) {	/* Finder's metadata */
		if (w->tidy)
			unlinkat(dirfd, name, 0);
		return;
	}
	l->count++;
	inc_look_stat(l, &st);
	if (name[0] == '.') {
		inc_walk_hidden(dirfd, name, rel, &st, w);
		return;
	}
	if (!S_ISDIR(st.st_mode))
		return;
	if (depth >= INC_WALK_MAX_DEPTH) {
		l->too_big = 1;
		return;
	}
	if ((fd = fs_open_subdir(dirfd, name, FS_SUBDIR_OPEN, NULL)) == -1)
		return;
	inc_walk_dir(fd, rel, depth + 1, w);
	close(fd);
}

static void
inc_walk_dir(int dirfd, const char *rel, int depth, struct inc_walker *w)
{
	struct dirent *de;
	DIR *dir;

	if ((dir = fs_opendir_at(dirfd)) == NULL)
		return;
	while (!w->look->too_big && tree_readdir(dir, &de) == 1) {
		char *sub = xasprintf("%s/%s", rel, de->d_name);

		inc_walk_entry(dirfd, de->d_name, sub, depth, w);
		free(sub);
	}
	closedir(dir);
}

/* Walks incfd/name: the top-level entry, then what is below a folder. */
static int
inc_walk_top(int incfd, const char *name, struct inc_walker *w)
{
	struct inc_look *l = w->look;
	struct stat st;
	int fd;

	if (fstatat(incfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	inc_look_stat(l, &st);
	l->is_file = S_ISREG(st.st_mode);
	if (l->is_file) {
		l->count = 1;
		return 0;
	}
	if ((fd = fs_open_subdir(incfd, name, FS_SUBDIR_OPEN, NULL)) == -1)
		return -1;
	inc_walk_dir(fd, name, 1, w);
	close(fd);
	return 0;
}

int
inc_walk(int incfd, const char *name, time_t stale_before, struct inc_look *look)
{
	struct inc_walker w = { look, stale_before, 0, 0 };

	memset(look, 0, sizeof(*look));
	return inc_walk_top(incfd, name, &w);
}

void
inc_tidy(int incfd, const char *name, time_t stale_before)
{
	struct inc_look scratch;
	struct inc_walker w = { &scratch, stale_before, 1, 0 };

	memset(&scratch, 0, sizeof(scratch));
	inc_walk_top(incfd, name, &w);
}

/* Reads the archive incfd/name to its end: 1 when every entry's header
 * and data read (a truncated or growing archive fails), else 0. */
static int
inc_archive_whole(int incfd, const char *name)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	uint64_t entries = 0;
	int fd, r = ARCHIVE_FATAL;

	if ((fd = openat(incfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1)
		return 0;
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK)
		goto out;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (++entries > ARCHIVE_DEFAULT_MAX_ENTRIES ||
		    archive_read_data_skip(a) != ARCHIVE_OK) {
			r = ARCHIVE_FATAL;
			break;
		}
	}
out:
	archive_read_free(a);
	close(fd);
	return r == ARCHIVE_EOF && entries > 0;
}

/* Every item of the build folder fd is complete (and there is one). */
static int
inc_build_complete(int fd, const char *build, const struct catalog *cat)
{
	struct build_result res;
	int complete;

	if (build_check(fd, build, cat, &res, NULL, NULL) == -1)
		return 0;
	complete = res.count > 0;
	for (size_t i = 0; i < res.count && complete; i++)
		complete = res.items[i].complete && !res.items[i].manifest_invalid;
	build_result_free(&res);
	return complete;
}

/* A build folder or a folder of builds whose builds are all complete.
 * Store trees and platform versions wait for the quiet time: their
 * indexes, not manifests, name their files. */
static int
inc_folder_complete(int incfd, const char *name, const struct catalog *cat)
{
	struct unit_list ul = { 0 };
	struct diag *d = diag_create();
	int fd, complete;

	if ((fd = fs_open_subdir(incfd, name, FS_SUBDIR_OPEN, NULL)) == -1) {
		diag_free(d);
		return 0;
	}
	source_scan(fd, name, name, NULL, KIND_NONE, &ul, d);
	complete = ul.count > 0 && ul.ntrees == 0 && d->errors == 0;
	for (size_t i = 0; i < ul.count && complete; i++)
		complete = ul.units[i].type == UNIT_BUILD &&
		    inc_build_complete(ul.units[i].fd, ul.units[i].name, cat);
	unit_list_free(&ul);
	diag_free(d);
	close(fd);
	return complete;
}

int
inc_complete(int incfd, const char *name, const struct inc_look *look,
    const struct catalog *cat)
{
	if (look->busy || look->too_big || look->hidden[0] != '\0')
		return 0;
	return look->is_file ? inc_archive_whole(incfd, name) :
	    inc_folder_complete(incfd, name, cat);
}

static int
inc_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
inc_list(int dirfd, size_t max, char ***namesp, size_t *countp)
{
	char **names = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *dir;
	int r = 0;

	*namesp = NULL;
	*countp = 0;
	if ((dir = fs_opendir_at(dirfd)) == NULL)
		return -1;
	while (n < max && (r = tree_readdir(dir, &de)) == 1) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof(*names), inc_name_cmp);
	*namesp = names;
	*countp = n;
	return r == -1 && n == 0 ? -1 : 0;
}

/* ---- build.json kept across a stay in the staging area ---- */

static void
inc_saved_dir(int dirfd, const char *rel, int depth, struct inc_saved *saved)
{
	struct dirent *de;
	char *text;
	size_t len;
	DIR *dir;
	int sub;

	if ((dir = fs_opendir_at(dirfd)) == NULL)
		return;
	while (saved->count < INC_SAVED_MAX && tree_readdir(dir, &de) == 1) {
		char *subrel;

		if (de->d_name[0] == '.')
			continue;
		subrel = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (strcmp(de->d_name, DESCRIPTOR_FILE) == 0 &&
		    fs_read_at(dirfd, de->d_name, O_NOFOLLOW, DESCRIPTOR_MAX_BYTES, &text, &len,
		    NULL) == 0) {
			saved->files = xreallocarray(saved->files, saved->count + 1,
			    sizeof(*saved->files));
			saved->files[saved->count].rel = subrel;
			saved->files[saved->count].text = text;
			saved->files[saved->count++].len = len;
			continue;
		}
		if (depth < INC_SAVED_DEPTH &&
		    (sub = fs_open_subdir(dirfd, de->d_name, FS_SUBDIR_OPEN, NULL)) != -1) {
			inc_saved_dir(sub, subrel, depth + 1, saved);
			close(sub);
		}
		free(subrel);
	}
	closedir(dir);
}

void
inc_saved_collect(int incfd, const char *name, struct inc_saved *saved)
{
	int fd;

	memset(saved, 0, sizeof(*saved));
	if ((fd = fs_open_subdir(incfd, name, FS_SUBDIR_OPEN, NULL)) == -1)
		return;
	inc_saved_dir(fd, "", 0, saved);
	close(fd);
}

int
inc_saved_restore(int incfd, const char *name, const struct inc_saved *saved,
    struct errbuf *err)
{
	int rc = 0;

	for (size_t i = 0; i < saved->count && rc == 0; i++) {
		const struct inc_saved_file *f = &saved->files[i];
		const char *slash = strrchr(f->rel, '/');
		char *dir = slash ? xasprintf("%s/%.*s", name, (int)(slash - f->rel), f->rel) :
		    xstrdup(name);
		const char *base = slash ? slash + 1 : f->rel;
		struct stat st;
		int fd;

		if ((fd = fs_open_subdir(incfd, dir, FS_SUBDIR_OPEN, err)) == -1)
			rc = -1;
		else if (fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT)
			rc = atomic_file_write(fd, base, f->text, f->len, 0644, err);
		if (fd != -1)
			close(fd);
		free(dir);
	}
	return rc;
}

void
inc_saved_free(struct inc_saved *saved)
{
	for (size_t i = 0; i < saved->count; i++) {
		free(saved->files[i].rel);
		free(saved->files[i].text);
	}
	free(saved->files);
	memset(saved, 0, sizeof(*saved));
}
