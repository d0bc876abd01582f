/*
 * copy_hash: copy with sha256 in one pass, hash lists, tree walks; see
 * copy_hash.h.
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

#include <openssl/evp.h>

#include "build_check.h"
#include "copy_hash.h"
#include "fs_open.h"
#include "utf8.h"
#include "xmalloc.h"

struct hasher {
	EVP_MD_CTX *ctx;
};

struct hasher *
hasher_create(struct errbuf *err)
{
	struct hasher *h = xcalloc(1, sizeof(*h));

	if ((h->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		errbuf_set(err, "OpenSSL: cannot initialise sha256");
		hasher_free(h);
		return NULL;
	}
	return h;
}

void
hasher_update(struct hasher *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void
hasher_final(struct hasher *h, char hex[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_DigestFinal_ex(h->ctx, md, &mdlen);
	for (unsigned int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[SHA256_HEX_LEN] = '\0';
	EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void
hasher_free(struct hasher *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void
hashlist_init(struct hashlist *hl)
{
	memset(hl, 0, sizeof(*hl));
}

void
hashlist_free(struct hashlist *hl)
{
	for (size_t i = 0; i < hl->count; i++)
		free(hl->recs[i].path);
	free(hl->recs);
	memset(hl, 0, sizeof(*hl));
}

void
hashlist_add(struct hashlist *hl, const char *path, const char *hex, uint64_t size)
{
	struct hash_rec *r;

	if (hl->count == hl->alloc) {
		hl->alloc = hl->alloc ? hl->alloc * 2 : 64;
		hl->recs = xreallocarray(hl->recs, hl->alloc, sizeof(*hl->recs));
	}
	r = &hl->recs[hl->count++];
	r->path = xstrdup(path);
	snprintf(r->hex, sizeof(r->hex), "%s", hex);
	r->size = size;
}

static int
hashlist_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hash_rec *)a)->path, ((const struct hash_rec *)b)->path);
}

void
hashlist_sort(struct hashlist *hl)
{
	if (hl->count > 1)
		qsort(hl->recs, hl->count, sizeof(*hl->recs), hashlist_cmp);
}

char *
hashlist_format(const struct hashlist *hl, const char *prefix, size_t *lenp)
{
	size_t plen = strlen(prefix), len = 0, alloc = 256;
	char *out = xmalloc(alloc);

	out[0] = '\0';
	for (size_t i = 0; i < hl->count; i++) {
		const char *p = hl->recs[i].path;
		size_t need;

		if (plen > 0 && (strncmp(p, prefix, plen) != 0 || p[plen] != '/'))
			continue;
		p += plen > 0 ? plen + 1 : 0;
		need = SHA256_HEX_LEN + 2 + strlen(p) + 2;
		while (len + need >= alloc) {
			alloc *= 2;
			out = xreallocarray(out, alloc, 1);
		}
		len += (size_t)snprintf(out + len, alloc - len, "%s  %s\n", hl->recs[i].hex, p);
	}
	if (lenp != NULL)
		*lenp = len;
	return out;
}

static int
hashlist_parse_line(struct hashlist *hl, const char *line, size_t len)
{
	char *path;

	if (len < SHA256_HEX_LEN + 3 || line[SHA256_HEX_LEN] != ' ' ||
	    (line[SHA256_HEX_LEN + 1] != ' ' && line[SHA256_HEX_LEN + 1] != '*'))
		return -1;
	for (size_t i = 0; i < SHA256_HEX_LEN; i++) {
		if (strchr("0123456789abcdef", line[i]) == NULL || line[i] == '\0')
			return -1;
	}
	path = xstrndup(line + SHA256_HEX_LEN + 2, len - SHA256_HEX_LEN - 2);
	if (hl->count == hl->alloc) {
		hl->alloc = hl->alloc ? hl->alloc * 2 : 64;
		hl->recs = xreallocarray(hl->recs, hl->alloc, sizeof(*hl->recs));
	}
	hl->recs[hl->count].path = path;
	memcpy(hl->recs[hl->count].hex, line, SHA256_HEX_LEN);
	hl->recs[hl->count].hex[SHA256_HEX_LEN] = '\0';
	hl->recs[hl->count++].size = 0;
	return 0;
}

int
hashlist_parse(struct hashlist *hl, const char *text, size_t len, struct errbuf *err)
{
	size_t start = 0, lineno = 1;

	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;

		if (end > start && hashlist_parse_line(hl, text + start, end - start) == -1)
			return errbuf_set(err, "line %zu: not a sha256sum record", lineno);
		start = end + 1;
		lineno++;
	}
	return 0;
}

/* Starts writeback of the chunk just written and waits for the one before,
 * so that the disk works while we read and hash, dirty pages stay bounded
 * and the final fsync has little left to do. */
static void
copy_writeback(int out, uint64_t total, uint64_t *started)
{
	if (total - *started < COPY_WRITEBACK_CHUNK)
		return;
	sync_file_range(out, (off_t)*started, (off_t)(total - *started), SYNC_FILE_RANGE_WRITE);
	if (*started >= COPY_WRITEBACK_CHUNK)
		sync_file_range(out, (off_t)(*started - COPY_WRITEBACK_CHUNK), COPY_WRITEBACK_CHUNK,
		    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
		    SYNC_FILE_RANGE_WAIT_AFTER);
	*started = total;
}

static copy_progress_fn *copy_progress;
static void *copy_progress_arg;

void
copy_hash_set_progress(copy_progress_fn *fn, void *arg)
{
	copy_progress = fn;
	copy_progress_arg = arg;
}

void
copy_hash_progress(uint64_t bytes, int file_done)
{
	if (copy_progress != NULL)
		copy_progress(copy_progress_arg, bytes, file_done);
}

/* The copy loop: read, hash, write; then fsync.  With out == -1 it only
 * reads and hashes. */
static int
copy_hash_fds(int in, int out, const char *dst, char hex[SHA256_HEX_LEN + 1],
    uint64_t *size, struct errbuf *err)
{
	struct hasher *h = hasher_create(err);
	char *buf = xmalloc(COPY_HASH_BUFSIZE);
	uint64_t total = 0, started = 0;
	ssize_t n;
	int rc = -1;

	if (h == NULL)
		goto out;

	posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	while ((n = read(in, buf, COPY_HASH_BUFSIZE)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			errbuf_set_errno(err, "read");
			goto out;
		}
		hasher_update(h, buf, (size_t)n);
		total += (uint64_t)n;
		if (out == -1)
			continue;
		if (fs_write_all(out, buf, (size_t)n) == -1) {
			errbuf_set_errno(err, "%s: write", dst);
			goto out;
		}
		copy_writeback(out, total, &started);
		copy_hash_progress((uint64_t)n, 0);
	}
	if (out != -1 && fsync(out) == -1) {
		errbuf_set_errno(err, "%s: fsync", dst);
		goto out;
	}
	if (out != -1)
		copy_hash_progress(0, 1);
	hasher_final(h, hex);
	if (size != NULL)
		*size = total;
	rc = 0;
out:
	free(buf);
	hasher_free(h);
	return rc;
}

int
hash_fd(int fd, char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct errbuf *err)
{
	return copy_hash_fds(fd, -1, NULL, hex, size, err);
}

int
stat_changed(const struct stat *before, const struct stat *after)
{
	return before->st_size != after->st_size ||
	    before->st_mtim.tv_sec != after->st_mtim.tv_sec ||
	    before->st_mtim.tv_nsec != after->st_mtim.tv_nsec ||
	    before->st_ctim.tv_sec != after->st_ctim.tv_sec ||
	    before->st_ctim.tv_nsec != after->st_ctim.tv_nsec;
}

/* Compares the source after the copy with the source before it: a file
 * truncated, appended to or rewritten meanwhile gave a torn copy.  Returns
 * 0, -1 (fstat failed) or COPY_HASH_CHANGED with the reason in err. */
static int
copy_check_stable(int in, const struct stat *before, uint64_t copied, const char *src,
    struct errbuf *err)
{
	struct stat after;

	if (fstat(in, &after) == -1)
		return errbuf_set_errno(err, "%s", src);
	if (copied == (uint64_t)before->st_size && !stat_changed(before, &after))
		return 0;
	if (copied != (uint64_t)before->st_size || after.st_size != before->st_size)
		errbuf_set(err, "changed while being copied: %llu bytes at the start, %llu read, "
		    "%llu at the end; refused: import it again once it is complete",
		    (unsigned long long)before->st_size, (unsigned long long)copied,
		    (unsigned long long)after.st_size);
	else
		errbuf_set(err, "changed while being copied: modified (mtime or ctime) during "
		    "the copy; refused: import it again once it is complete");
	return COPY_HASH_CHANGED;
}

int
copy_hash_file(int srcdir, const char *src, int dstdir, const char *dst,
    char hex[SHA256_HEX_LEN + 1], uint64_t *size, struct errbuf *err)
{
	struct stat st;
	uint64_t copied = 0;
	int in, out = -1, rc = -1;

	if ((in = openat(srcdir, src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) == -1)
		return errbuf_set_errno(err, "%s", src);
	if (fstat(in, &st) == -1 || !S_ISREG(st.st_mode)) {
		errbuf_set(err, "%s: not a regular file", src);
		goto out;
	}
	if ((out = openat(dstdir, dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) == -1) {
		errbuf_set_errno(err, "%s", dst);
		goto out;
	}
	if (copy_hash_fds(in, out, dst, hex, &copied, err) == -1 ||
	    (rc = copy_check_stable(in, &st, copied, src, err)) != 0) {
		unlinkat(dstdir, dst, 0);
		goto out;
	}
	if (size != NULL)
		*size = copied;
out:
	if (out != -1 && close(out) == -1 && rc == 0)
		rc = errbuf_set_errno(err, "%s: close", dst);
	close(in);
	return rc;
}

int
tree_readdir(DIR *dir, struct dirent **de)
{
	for (;;) {
		errno = 0;
		if ((*de = readdir(dir)) == NULL)
			return errno == 0 ? 0 : -1;
		if (strcmp((*de)->d_name, ".") != 0 && strcmp((*de)->d_name, "..") != 0)
			return 1;
	}
}


int
copy_name_refused(const char *name, const char *rel, struct diag *d)
{
	const char *why = build_name_refusal(name, strlen(name));
	char *shown;

	if (why == NULL)
		return 0;
	shown = utf8_escape(rel);
	diag_add(d, DIAG_ERROR, shown, "%s", why);
	free(shown);
	return 1;
}

static int copy_hash_entry(int srcdir, int dstdir, const char *name, const char *rel,
    struct hashlist *hl, uint64_t *total, struct diag *d, struct errbuf *err);

int
copy_hash_tree(int srcdir, int dstdir, const char *prefix, struct hashlist *hl,
    uint64_t *total, struct diag *d, struct errbuf *err)
{
	struct dirent *de;
	DIR *dir;
	int r = 0, rc = 0;

	if ((dir = fs_opendir_at(srcdir)) == NULL)
		return errbuf_set_errno(err, "%s", prefix);
	while (rc == 0 && (r = tree_readdir(dir, &de)) == 1) {
		char *rel = prefix[0] ? xasprintf("%s/%s", prefix, de->d_name) :
		    xstrdup(de->d_name);

		if (copy_name_refused(de->d_name, rel, d))
			;	/* reported; hidden ones too, as in archives */
		else if (de->d_name[0] == '.')
			diag_add(d, DIAG_WARNING, rel, "hidden file skipped");
		else
			rc = copy_hash_entry(srcdir, dstdir, de->d_name, rel, hl, total, d, err);
		free(rel);
	}
	if (r == -1)
		rc = errbuf_set_errno(err, "%s: read folder", prefix);
	closedir(dir);
	if (rc == 0 && fsync(dstdir) == -1)
		rc = errbuf_set_errno(err, "%s: fsync", prefix);
	return rc;
}

static int
copy_hash_subdir(int srcdir, int dstdir, const char *name, const char *rel,
    struct hashlist *hl, uint64_t *total, struct diag *d, struct errbuf *err)
{
	int s = -1, t = -1, rc = -1;

	if ((s = fs_open_subdir(srcdir, name, FS_SUBDIR_OPEN, NULL)) == -1) {
		errbuf_set_errno(err, "%s", rel);
		goto out;
	}
	if ((t = fs_open_subdir(dstdir, name, FS_SUBDIR_CREATE, NULL)) == -1) {
		errbuf_set_errno(err, "%s: create", rel);
		goto out;
	}
	rc = copy_hash_tree(s, t, rel, hl, total, d, err);
out:
	if (s != -1)
		close(s);
	if (t != -1)
		close(t);
	return rc;
}

static int
copy_hash_entry(int srcdir, int dstdir, const char *name, const char *rel,
    struct hashlist *hl, uint64_t *total, struct diag *d, struct errbuf *err)
{
	char hex[SHA256_HEX_LEN + 1];
	struct stat st;
	uint64_t size;

	if (fstatat(srcdir, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errbuf_set_errno(err, "%s", rel);
	if (S_ISDIR(st.st_mode))
		return copy_hash_subdir(srcdir, dstdir, name, rel, hl, total, d, err);
	if (!S_ISREG(st.st_mode)) {
		diag_add(d, DIAG_ERROR, rel, "not a regular file or folder (links and devices "
		    "are refused)");
		return 0;
	}
	switch (copy_hash_file(srcdir, name, dstdir, name, hex, &size, err)) {
	case 0:
		break;
	case COPY_HASH_CHANGED:
		diag_add(d, DIAG_ERROR, rel, "%s", err->msg);
		return 0;
	default:
		return errbuf_prefix(err, "%s", rel);
	}
	hashlist_add(hl, rel, hex, size);
	*total += size;
	return 0;
}

int
tree_size(int dirfd, uint64_t *total, struct errbuf *err)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int r = 0, rc = 0;

	if ((dir = fs_opendir_at(dirfd)) == NULL)
		return errbuf_set_errno(err, "opendir");
	while (rc == 0 && (r = tree_readdir(dir, &de)) == 1) {
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISREG(st.st_mode))
			*total += (uint64_t)st.st_size;
		else if (S_ISDIR(st.st_mode)) {
			int sub = fs_open_subdir(dirfd, de->d_name, FS_SUBDIR_OPEN, NULL);

			if (sub == -1)
				continue;
			rc = tree_size(sub, total, err);
			close(sub);
		}
	}
	if (r == -1)
		rc = errbuf_set_errno(err, "read folder");
	closedir(dir);
	return rc;
}

static int
tree_remove_contents(int dirfd, const char *name, struct errbuf *err)
{
	struct dirent *de;
	DIR *dir;
	int r = 0, rc = 0;

	if ((dir = fdopendir(dirfd)) == NULL) {
		errbuf_set_errno(err, "%s", name);
		close(dirfd);
		return -1;
	}
	while (rc == 0 && (r = tree_readdir(dir, &de)) == 1)
		rc = tree_remove(dirfd, de->d_name, err);
	if (r == -1)
		rc = errbuf_set_errno(err, "%s: read folder", name);
	else if (rc == -1 && err != NULL) {	/* name/entry: ... */
		char *msg = xstrdup(err->msg);

		errbuf_set(err, "%s/%s", name, msg);
		free(msg);
	}
	closedir(dir);
	return rc;
}

int
tree_remove(int dirfd, const char *name, struct errbuf *err)
{
	int fd, unlink_errno;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return errbuf_set_errno(err, "%s: remove", name);
	unlink_errno = errno;	/* EPERM: a folder, or a file we may not remove */
	if ((fd = fs_open_subdir(dirfd, name, FS_SUBDIR_OPEN, NULL)) == -1) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR)	/* a file: unlinkat() said why */
			errno = unlink_errno;
		return errbuf_set_errno(err, "%s: remove", name);
	}
	if (tree_remove_contents(fd, name, err) == -1)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		return errbuf_set_errno(err, "%s: remove", name);
	return 0;
}

void
hashlist_remove(struct hashlist *hl, const char *path)
{
	for (size_t i = 0; i < hl->count; i++) {
		if (strcmp(hl->recs[i].path, path) == 0) {
			free(hl->recs[i].path);
			hl->recs[i] = hl->recs[--hl->count];
			return;
		}
	}
}

void
hashlist_stats(const struct hashlist *hl, const char *prefix, uint64_t *files, uint64_t *bytes)
{
	size_t plen = strlen(prefix);

	*files = *bytes = 0;
	for (size_t i = 0; i < hl->count; i++) {
		if (strncmp(hl->recs[i].path, prefix, plen) == 0 && hl->recs[i].path[plen] == '/') {
			(*files)++;
			*bytes += hl->recs[i].size;
		}
	}
}
