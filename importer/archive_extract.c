/*
 * archive_extract: libarchive extraction with the safety rules of
 * archive_extract.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive_extract.h"
#include "build_check.h"
#include "fs_open.h"
#include "utf8.h"
#include "xmalloc.h"

/* One extraction in progress. */
struct extract {
	struct archive *a;
	char *shown;		/* the archive's path, escaped for reports */
	int fd;			/* the archive, open */
	struct stat st;		/* and its fstat() before extracting */
	int dstdir;
	const struct archive_limits *lim;
	uint64_t archive_size;
	uint64_t written;
	uint64_t entries;
	struct hashlist *hl;
	struct diag *d;
	struct hasher *h;
	char *buf;
	int limit_hit;		/* a limit was crossed: a refusal, not an I/O error */
};

/* One segment: the rule of every published name (build_name_refusal())
 * and what only archives need (".." and backslashes, Windows' separator). */
static int
archive_segment_check(const char *seg, size_t len, const char **why)
{
	if (len == 0)
		return (*why = "empty path segment", ARCHIVE_PATH_BAD);
	if (len == 2 && seg[0] == '.' && seg[1] == '.')
		return (*why = "\"..\" in path", ARCHIVE_PATH_BAD);
	if ((*why = build_name_refusal(seg, len)) != NULL)
		return ARCHIVE_PATH_BAD;
	if (memchr(seg, '\\', len) != NULL)
		return (*why = "backslash in path", ARCHIVE_PATH_BAD);
	if (seg[0] == '.' || (len == 8 && memcmp(seg, "__MACOSX", 8) == 0))
		return ARCHIVE_PATH_SKIP;
	return ARCHIVE_PATH_OK;
}

enum archive_path_status
archive_path_check(const char *path, char *out, size_t outsz, const char **why)
{
	enum archive_path_status st = ARCHIVE_PATH_OK;
	const char *p = path;
	size_t olen = 0;

	*why = NULL;
	if (path[0] == '/')
		return (*why = "absolute path", ARCHIVE_PATH_BAD);
	while (p[0] == '.' && p[1] == '/')	/* leading "./" */
		p += 2;
	if (path[0] != '\0' && (p[0] == '\0' || strcmp(p, ".") == 0))
		return ARCHIVE_PATH_ROOT;
	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int s;

		if (len == 1 && p[0] == '.')
			return (*why = "\".\" inside path", ARCHIVE_PATH_BAD);
		if ((s = archive_segment_check(p, len, why)) == ARCHIVE_PATH_BAD)
			return ARCHIVE_PATH_BAD;
		if (s == ARCHIVE_PATH_SKIP)
			st = ARCHIVE_PATH_SKIP;
		if (olen + len + 2 > outsz || olen + len + 1 > ARCHIVE_PATH_MAX)
			return (*why = "path too long", ARCHIVE_PATH_BAD);
		if (olen > 0)
			out[olen++] = '/';
		memcpy(out + olen, p, len);
		olen += len;
		p += len + (end ? 1 : 0);
		if (end != NULL && *p == '\0')
			break;
	}
	if (olen == 0)
		return (*why = "empty path", ARCHIVE_PATH_BAD);
	out[olen] = '\0';
	return st;
}

/* Only files and folders are extracted. */
static const char *
archive_type_refusal(unsigned type, int is_hardlink)
{
	if (is_hardlink)
		return "hard link refused";
	switch (type) {
	case S_IFREG:
	case S_IFDIR:
		return NULL;
	case S_IFLNK:
		return "symbolic link refused";
	case S_IFCHR:
	case S_IFBLK:
		return "device refused";
	default:
		return "special file refused";
	}
}

enum archive_verdict
archive_entry_verdict(const char *path, unsigned type, int is_hardlink, char *out,
    size_t outsz, const char **why)
{
	enum archive_path_status st = archive_path_check(path, out, outsz, why);

	if (st == ARCHIVE_PATH_ROOT && type != S_IFDIR)
		return (*why = "the archive's top entry is not a folder", ARCHIVE_VERDICT_REFUSE);
	if (st == ARCHIVE_PATH_ROOT)
		return ARCHIVE_VERDICT_NONE;
	if (st == ARCHIVE_PATH_BAD)
		return ARCHIVE_VERDICT_REFUSE;
	if ((*why = archive_type_refusal(type, is_hardlink)) != NULL)
		return ARCHIVE_VERDICT_REFUSE;
	if (st == ARCHIVE_PATH_SKIP)
		return (*why = "hidden entry skipped", ARCHIVE_VERDICT_SKIP);
	return type == S_IFREG ? ARCHIVE_VERDICT_FILE : ARCHIVE_VERDICT_DIR;
}

int
archive_is_archive(const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int ok;

	archive_read_support_filter_all(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	ok = archive_read_open_filename(a, path, 65536) == ARCHIVE_OK &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK;
	archive_read_free(a);
	return ok;
}

/* Reports a problem of one entry: where = the entry (escaped), the
 * message naming the archive. */
static void
extract_diag(struct extract *x, enum diag_severity sev, const char *entry, const char *what)
{
	char *shown = utf8_escape(entry);

	diag_add(x->d, sev, shown, "%s (in %s)", what, x->shown);
	free(shown);
}

/* Opens (creating) each folder of `rel` below dstdir; returns the fd of the
 * last one, or -1 (errno set; ENOTDIR when a folder of `rel` is a file, and
 * then *file_len is the length of that file's path).  `rel` is canonical,
 * so no segment is "." or "..". */
static int
extract_mkdirs(int dstdir, const char *rel, int create_last, size_t *file_len)
{
	char *copy = xstrdup(rel), *p = copy, *slash;
	int fd = dup(dstdir), next, saved = 0;

	while (fd != -1 && p != NULL) {
		slash = strchr(p, '/');
		if (slash != NULL)
			*slash = '\0';
		else if (!create_last)
			break;
		next = fs_open_subdir(fd, p, FS_SUBDIR_ENSURE, NULL);
		if (next == -1 && (saved = errno) == ENOTDIR && file_len != NULL)
			*file_len = (size_t)(p - copy) + strlen(p);
		close(fd);
		fd = next;
		p = slash ? slash + 1 : NULL;
	}
	free(copy);
	if (fd == -1 && saved != 0)
		errno = saved;
	return fd;
}

static int
extract_limits_check(struct extract *x, struct errbuf *err)
{
	x->limit_hit = 1;
	if (x->written > x->lim->max_bytes)
		return errbuf_set(err, "archive expands to more than %llu bytes "
		    "(--max-archive-bytes)", (unsigned long long)x->lim->max_bytes);
	if (x->archive_size > 0 && x->written / x->archive_size >= x->lim->max_ratio &&
	    x->written > 1024 * 1024)
		return errbuf_set(err, "archive expands more than %llu times its size "
		    "(--max-ratio)", (unsigned long long)x->lim->max_ratio);
	x->limit_hit = 0;
	return 0;
}

static int
extract_data(struct extract *x, int fd, const char *rel, struct errbuf *err)
{
	la_ssize_t n;

	while ((n = archive_read_data(x->a, x->buf, COPY_HASH_BUFSIZE)) != 0) {
		if (n < 0)
			return errbuf_set(err, "%s: %s", rel, archive_error_string(x->a));
		x->written += (uint64_t)n;
		if (extract_limits_check(x, err) == -1)
			return -1;
		hasher_update(x->h, x->buf, (size_t)n);
		if (fs_write_all(fd, x->buf, (size_t)n) == -1)
			return errbuf_set_errno(err, "%s: write", rel);
		copy_hash_progress((uint64_t)n, 0);
	}
	if (fsync(fd) == -1)
		return errbuf_set_errno(err, "%s: fsync", rel);
	copy_hash_progress(0, 1);
	return 0;
}

/* A folder of entry `rel` that is a file of the archive (x.bin, then
 * x.bin/y): a refusal of the entry, not an I/O error. */
static void
extract_not_folder(struct extract *x, const char *rel, size_t file_len)
{
	char *file = xstrndup(rel, file_len), *shown = utf8_escape(file);
	char *what = xasprintf("%s is a file of the archive, not a folder", shown);

	extract_diag(x, DIAG_ERROR, rel, what);
	free(what);
	free(shown);
	free(file);
}

static int
extract_file(struct extract *x, const char *rel, struct errbuf *err)
{
	const char *leaf = strrchr(rel, '/');
	char hex[SHA256_HEX_LEN + 1];
	uint64_t before = x->written;
	size_t file_len;
	int dir, fd, rc = -1;

	leaf = leaf ? leaf + 1 : rel;
	if ((dir = extract_mkdirs(x->dstdir, rel, 0, &file_len)) == -1 && errno == ENOTDIR) {
		extract_not_folder(x, rel, file_len);
		return 0;
	}
	if (dir == -1)
		return errbuf_set_errno(err, "%s: create folder", rel);
	fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1 && (errno == EEXIST || errno == EISDIR || errno == ELOOP)) {
		extract_diag(x, DIAG_ERROR, rel, "duplicate entry in archive");
		rc = 0;
		goto out;
	}
	if (fd == -1) {
		errbuf_set_errno(err, "%s", rel);
		goto out;
	}
	if (extract_data(x, fd, rel, err) == 0) {
		hasher_final(x->h, hex);
		hashlist_add(x->hl, rel, hex, x->written - before);
		rc = 0;
	}
	close(fd);
out:
	close(dir);
	return rc;
}

static int
extract_entry(struct extract *x, struct archive_entry *e, struct errbuf *err)
{
	const char *name = archive_entry_pathname(e), *why;
	char rel[ARCHIVE_PATH_MAX + 1];
	size_t file_len;
	int fd;

	if (name == NULL)
		name = "(unnamed entry)";
	if (++x->entries > x->lim->max_entries && (x->limit_hit = 1))
		return errbuf_set(err, "archive has more than %llu entries",
		    (unsigned long long)x->lim->max_entries);
	switch (archive_entry_verdict(name, archive_entry_filetype(e),
	    archive_entry_hardlink(e) != NULL, rel, sizeof(rel), &why)) {
	case ARCHIVE_VERDICT_NONE:
		return 0;
	case ARCHIVE_VERDICT_REFUSE:
		extract_diag(x, DIAG_ERROR, name, why);
		return 0;
	case ARCHIVE_VERDICT_SKIP:
		extract_diag(x, DIAG_WARNING, name, why);
		return 0;
	case ARCHIVE_VERDICT_FILE:
		return extract_file(x, rel, err);
	case ARCHIVE_VERDICT_DIR:
		break;
	}
	if ((fd = extract_mkdirs(x->dstdir, rel, 1, &file_len)) == -1 && errno == ENOTDIR) {
		extract_not_folder(x, rel, file_len);
		return 0;
	}
	if (fd == -1)
		return errbuf_set_errno(err, "%s: create folder", rel);
	close(fd);
	return 0;
}

static int
extract_open(struct extract *x, const char *path, struct errbuf *err)
{
	if ((x->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(x->fd, &x->st) == -1)
		return errbuf_set_errno(err, "%s", path);
	x->archive_size = (uint64_t)x->st.st_size;
	x->a = archive_read_new();
	archive_read_support_filter_all(x->a);
	archive_read_support_format_zip(x->a);
	archive_read_support_format_tar(x->a);
	archive_read_support_format_gnutar(x->a);
	if (archive_read_open_fd(x->a, x->fd, COPY_HASH_BUFSIZE) != ARCHIVE_OK)
		return errbuf_set(err, "%s: %s", path, archive_error_string(x->a));
	return 0;
}

/* An archive rewritten, truncated or appended to while it was read gave
 * torn files: refused like a folder's file that changed (copy_hash.h). */
static int
extract_check_stable(struct extract *x, const char *path, struct errbuf *err)
{
	struct stat after;

	if (fstat(x->fd, &after) == -1)
		return errbuf_set_errno(err, "%s", path);
	if (stat_changed(&x->st, &after))
		diag_add(x->d, DIAG_ERROR, x->shown, "changed while being extracted (size, "
		    "mtime or ctime); refused: import it again once it is complete");
	return 0;
}

int
archive_extract(const char *path, int dstdir, const struct archive_limits *lim,
    struct hashlist *hl, struct diag *d, struct errbuf *err)
{
	struct extract x = { .dstdir = dstdir, .lim = lim, .hl = hl, .d = d, .fd = -1 };
	struct archive_entry *e;
	int r, rc = -1;

	x.buf = xmalloc(COPY_HASH_BUFSIZE);
	x.shown = utf8_escape(path);
	if ((x.h = hasher_create(err)) == NULL || extract_open(&x, path, err) == -1)
		goto out;
	while ((r = archive_read_next_header(x.a, &e)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			errbuf_set(err, "%s: %s", path, archive_error_string(x.a));
			goto out;
		}
		if (extract_entry(&x, e, err) == -1) {
			if (!x.limit_hit) {
				errbuf_prefix(err, "%s", path);
				goto out;
			}
			diag_add(d, DIAG_ERROR, x.shown, "%s", err->msg);
			break;
		}
	}
	rc = extract_check_stable(&x, path, err);
out:
	if (x.a != NULL)
		archive_read_free(x.a);
	if (x.fd != -1)
		close(x.fd);
	free(x.buf);
	free(x.shown);
	hasher_free(x.h);
	return rc;
}
