/*
 * store_info: the JSON of /<channel>/info.json and its per-thread cache;
 * see store_info.h.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_open.h"
#include "store_info.h"
#include "store_layout.h"
#include "xmalloc.h"

#define SHA256_HEX_LEN 64
#define RECORD_SUFFIX ".sha256"

/* A growing body, refused past STORE_INFO_MAX_BYTES. */
struct info_buf {
	char *data;
	size_t len, cap;
	int too_big;
};

/* The kinds of records in hashes/, as read_path.c serves them:
 * hashes/<record_prefix><name>.sha256 is the record of download/<url_dir><name>. */
static const struct info_kind {
	const char *record_prefix;
	const char *url_dir;
} info_kinds[] = {
	{ "app-platform-", STORE_APP_PLATFORM_DIR "/" },
	{ "phoneplatform-", STORE_PHONE_PLATFORM_DIR "/" },
	{ "", "" },
};

static void
info_put(struct info_buf *b, const char *s, size_t n)
{
	if (b->too_big || b->len + n + 1 > STORE_INFO_MAX_BYTES) {
		b->too_big = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = xreallocarray(b->data, b->cap, 1);
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
info_printf(struct info_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		info_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A JSON string (RFC 8259 section 7): quotes, backslashes and control
 * characters escaped; other bytes as they are (record paths are UTF-8). */
static void
info_put_string(struct info_buf *b, const char *s, size_t n)
{
	info_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			info_printf(b, "\\%c", c);
		else if (c < 0x20)
			info_printf(b, "\\u%04x", c);
		else
			info_put(b, s + i, 1);
	}
	info_put(b, "\"", 1);
}

static int
info_is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return 0;
	}
	return 1;
}

/* One line of a record ("<64 hex>  <path>", sha256sum's format, or with
 * " *" for binary mode): its file, if it is a regular file beneath the
 * folder.  Returns whether it was written. */
static int
info_put_file(struct info_buf *b, int folder_fd, const char *line, size_t n, int first)
{
	char path[4096];
	struct stat st;
	size_t plen;
	int fd;

	if (n < SHA256_HEX_LEN + 3 || !info_is_hex(line, SHA256_HEX_LEN) ||
	    line[SHA256_HEX_LEN] != ' ' || (line[SHA256_HEX_LEN + 1] != ' ' &&
	    line[SHA256_HEX_LEN + 1] != '*'))
		return 0;
	plen = n - SHA256_HEX_LEN - 2;
	if (plen >= sizeof(path))
		return 0;
	memcpy(path, line + SHA256_HEX_LEN + 2, plen);
	path[plen] = '\0';
	fd = fs_open_beneath(folder_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	close(fd);
	info_put(b, first ? "{\"path\":" : ",{\"path\":", first ? 8 : 9);
	info_put_string(b, path, plen);
	info_printf(b, ",\"size\":%" PRIu64 ",\"sha256\":\"%.*s\"}", (uint64_t)st.st_size,
	    SHA256_HEX_LEN, line);
	return 1;
}

/* The folder of record `name` ("<prefix><version>.sha256") below download/,
 * into folder; 0, or -1 when the name is no record's. */
static int
info_folder_of(const char *name, char *folder, size_t size)
{
	size_t len = strlen(name), slen = sizeof(RECORD_SUFFIX) - 1;
	char base[64];

	if (len <= slen || strcmp(name + len - slen, RECORD_SUFFIX) != 0 ||
	    len - slen >= sizeof(base))
		return -1;
	memcpy(base, name, len - slen);
	base[len - slen] = '\0';
	for (size_t i = 0; i < sizeof(info_kinds) / sizeof(info_kinds[0]); i++) {
		size_t plen = strlen(info_kinds[i].record_prefix);

		if (strncmp(base, info_kinds[i].record_prefix, plen) == 0 &&
		    store_build_name_valid(base + plen)) {
			snprintf(folder, size, "%s%s", info_kinds[i].url_dir, base + plen);
			return 0;
		}
	}
	return -1;
}

/* One published folder and its files; a folder missing, marked removed or
 * whose record cannot be read is left out. */
static void
info_put_folder(struct info_buf *b, int dl_fd, int hashes_fd, const char *name, int *first)
{
	char folder[128], *record = NULL;
	struct stat st;
	size_t len;
	int fd, nfiles = 0;

	if (info_folder_of(name, folder, sizeof(folder)) == -1)
		return;
	fd = fs_open_beneath(dl_fd, folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return;
	if (store_folder_removed(fd) || fstat(fd, &st) == -1 ||
	    fs_read_at(hashes_fd, name, O_NOFOLLOW, STORE_INFO_MAX_RECORD_BYTES,
	    &record, &len, NULL) == -1)
		goto out;
	info_printf(b, "%s{\"folder\":\"%s\",\"published\":%lld,\"files\":[",
	    *first ? "" : ",", folder, (long long)st.st_mtime);
	for (char *line = record, *end; *line != '\0'; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		nfiles += info_put_file(b, fd, line, (size_t)(end - line), nfiles == 0);
	}
	info_put(b, "]}", 2);
	*first = 0;
out:
	free(record);
	close(fd);
}

static int
info_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The record names of hashes/, sorted (the body is the same for the same
 * store); *names NULL and 0 when there is no hashes/ folder. */
static int
info_list_records(int hashes_fd, char ***names, size_t *count, struct errbuf *err)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	*names = NULL;
	*count = 0;
	if (hashes_fd == -1)
		return 0;
	if ((d = fs_opendir_at(hashes_fd)) == NULL)
		return errbuf_set_errno(err, "%s: opendir", STORE_HASHES_DIR);
	while ((de = readdir(d)) != NULL && *count < STORE_INFO_MAX_RECORDS) {
		if (de->d_name[0] == '.')
			continue;
		if (*count == cap) {
			cap = cap ? cap * 2 : 64;
			*names = xreallocarray(*names, cap, sizeof(**names));
		}
		(*names)[(*count)++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(*names, *count, sizeof(**names), info_name_cmp);
	return 0;
}

static void
info_free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int
store_info_render(int root_fd, const char *channel, char **body, size_t *len,
    struct errbuf *err)
{
	struct info_buf b = { 0 };
	char **names = NULL;
	size_t count = 0;
	int chan_fd = -1, dl_fd = -1, hashes_fd = -1, first = 1, rc = -1;

	*body = NULL;
	if (!store_channel_name_valid(channel) ||
	    (chan_fd = fs_open_dir_nofollow(root_fd, channel, strlen(channel))) == -1 ||
	    (dl_fd = fs_open_dir_nofollow(chan_fd, STORE_DOWNLOAD_DIR,
	    sizeof(STORE_DOWNLOAD_DIR) - 1)) == -1) {
		errno = ENOENT;
		errbuf_set(err, "%s: no such channel", channel);
		goto out;
	}
	hashes_fd = fs_open_dir_nofollow(chan_fd, STORE_HASHES_DIR, sizeof(STORE_HASHES_DIR) - 1);
	if (info_list_records(hashes_fd, &names, &count, err) == -1)
		goto out;
	info_put(&b, "{\"channel\":", 11);
	info_put_string(&b, channel, strlen(channel));
	info_put(&b, ",\"folders\":[", 12);
	for (size_t i = 0; i < count && !b.too_big; i++)
		info_put_folder(&b, dl_fd, hashes_fd, names[i], &first);
	info_put(&b, "]}\n", 3);
	if (b.too_big) {
		errno = EFBIG;
		errbuf_set(err, "%s/%s: longer than %d bytes", channel, STORE_INFO_FILE,
		    STORE_INFO_MAX_BYTES);
		goto out;
	}
	*body = b.data;
	*len = b.len;
	b.data = NULL;
	rc = 0;
out:
	info_free_names(names, count);
	free(b.data);
	if (hashes_fd != -1)
		close(hashes_fd);
	if (dl_fd != -1)
		close(dl_fd);
	if (chan_fd != -1)
		close(chan_fd);
	return rc;
}

/* One channel's last body and what it was built from. */
struct info_entry {
	char channel[STORE_CHANNEL_NAME_MAX + 1];
	char *body;
	size_t len;
	char etag[HTTP_ETAG_LEN];
	struct timespec dl_mtime, hashes_mtime;
	time_t built_at;
};

struct store_info_cache {
	struct info_entry entries[STORE_INFO_CACHE_CHANNELS];
	size_t next;	/* the entry a new channel takes (round robin) */
};

struct store_info_cache *
store_info_cache_create(void)
{
	return xcalloc(1, sizeof(struct store_info_cache));
}

void
store_info_cache_free(struct store_info_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < STORE_INFO_CACHE_CHANNELS; i++)
		free(c->entries[i].body);
	free(c);
}

/* The mtime of <channel>/<dir> (zero when it is missing). */
static struct timespec
info_dir_mtime(int root_fd, const char *channel, const char *dir)
{
	char path[STORE_CHANNEL_NAME_MAX + 32];
	struct timespec zero = { 0, 0 };
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", channel, dir);
	if (fstatat(root_fd, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return zero;
	return st.st_mtim;
}

static int
info_same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* FNV-1a, 64 bits: the body's strong ETag with its length. */
static void
info_etag(struct info_entry *e)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < e->len; i++) {
		h ^= (unsigned char)e->body[i];
		h *= 1099511628211ULL;
	}
	snprintf(e->etag, sizeof(e->etag), "\"%zx-%016" PRIx64 "\"", e->len, h);
}

static struct info_entry *
info_entry_for(struct store_info_cache *c, const char *channel)
{
	struct info_entry *e;

	for (size_t i = 0; i < STORE_INFO_CACHE_CHANNELS; i++) {
		if (c->entries[i].body != NULL && strcmp(c->entries[i].channel, channel) == 0)
			return &c->entries[i];
	}
	e = &c->entries[c->next];
	c->next = (c->next + 1) % STORE_INFO_CACHE_CHANNELS;
	free(e->body);
	memset(e, 0, sizeof(*e));
	snprintf(e->channel, sizeof(e->channel), "%s", channel);
	return e;
}

int
store_info_cache_get(struct store_info_cache *c, int root_fd, const char *channel,
    time_t now, struct store_info_view *view, struct errbuf *err)
{
	struct timespec dl, hashes;
	struct info_entry *e;

	if (!store_channel_name_valid(channel)) {
		errno = ENOENT;
		return errbuf_set(err, "%s: no such channel", channel);
	}
	dl = info_dir_mtime(root_fd, channel, STORE_DOWNLOAD_DIR);
	hashes = info_dir_mtime(root_fd, channel, STORE_HASHES_DIR);
	e = info_entry_for(c, channel);
	if (e->body == NULL || !info_same_time(e->dl_mtime, dl) ||
	    !info_same_time(e->hashes_mtime, hashes) || now - e->built_at >= STORE_INFO_TTL ||
	    now < e->built_at) {
		char *body;
		size_t len;

		if (store_info_render(root_fd, channel, &body, &len, err) == -1)
			return -1;
		free(e->body);
		e->body = body;
		e->len = len;
		e->dl_mtime = dl;
		e->hashes_mtime = hashes;
		e->built_at = now;
		info_etag(e);
	}
	view->body = e->body;
	view->len = e->len;
	view->etag = e->etag;
	view->mtime = dl.tv_sec > hashes.tv_sec ? dl.tv_sec : hashes.tv_sec;
	return 0;
}
