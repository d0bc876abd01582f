/*
 * bundle: the air-gap bundle's manifest, its Ed25519 signature and the
 * verifying reader; see bundle.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "archive_extract.h"
#include "build_check.h"
#include "bundle.h"
#include "fs_open.h"
#include "importer.h"
#include "index_parse.h"
#include "store_layout.h"
#include "utf8.h"
#include "xmalloc.h"

#define DL_PREFIX	STORE_DOWNLOAD_DIR "/"
#define DL_PREFIX_LEN	(sizeof(DL_PREFIX) - 1)
#define RECORD_MAX	(64u * 1024 * 1024)

/* --- the manifest ---------------------------------------------------------- */

char *
bundle_manifest_dump(const struct bundle_manifest *m, size_t *lenp)
{
	json_t *root, *files = json_array();
	char *text;

	for (size_t i = 0; i < m->nfiles; i++)
		json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "path", m->files[i].path,
		    "size", (json_int_t)m->files[i].size, "sha256", m->files[i].sha256));
	root = json_pack("{s:s, s:i, s:s, s:s, s:o}", "format", BUNDLE_FORMAT,
	    "version", BUNDLE_VERSION, "channel", m->channel, "created", m->created,
	    "files", files);
	text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text == NULL)
		xalloc_failed("bundle manifest");
	*lenp = strlen(text);
	return text;
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bundle_file *)a)->path, ((const struct bundle_file *)b)->path);
}

void
bundle_manifest_sort(struct bundle_manifest *m)
{
	if (m->nfiles > 1)
		qsort(m->files, m->nfiles, sizeof(*m->files), path_cmp);
}

void
bundle_manifest_free(struct bundle_manifest *m)
{
	for (size_t i = 0; i < m->nfiles; i++)
		free(m->files[i].path);
	free(m->files);
	free(m->channel);
	free(m->created);
	memset(m, 0, sizeof(*m));
}

static int
hex_valid(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	}
	return n == SHA256_HEX_LEN;
}

/* One files[] entry; -1 with err naming files[i]. */
static int
manifest_file(json_t *f, size_t i, const char *prev, struct bundle_file *out,
    struct errbuf *err)
{
	const char *path, *hex, *rest;
	json_int_t size;
	char unit[BUNDLE_PATH_MAX];

	if (json_unpack(f, "{s:s, s:I, s:s}", "path", &path, "size", &size, "sha256", &hex) != 0)
		return errbuf_set(err, "files[%zu]: expected path (string), size (integer) and "
		    "sha256 (string)", i);
	if (strlen(path) > BUNDLE_PATH_MAX || bundle_path_unit(path, unit, sizeof(unit),
	    &rest) == -1) {
		char *cut = xstrndup(path, 200), *shown = utf8_escape(cut);

		errbuf_set(err, "files[%zu] (%s%s): not a path a bundle may carry", i, shown,
		    strlen(path) > 200 ? "..." : "");
		free(shown);
		free(cut);
		return -1;
	}
	if (prev != NULL && strcmp(prev, path) >= 0)
		return errbuf_set(err, "files[%zu] (%s): not sorted after %s, or a duplicate", i,
		    path, prev);
	if (size < 0)
		return errbuf_set(err, "files[%zu] (%s): negative size", i, path);
	if (!hex_valid(hex))
		return errbuf_set(err, "files[%zu] (%s): sha256 is not 64 lower-case hex digits",
		    i, path);
	out->path = xstrdup(path);
	out->size = (uint64_t)size;
	memcpy(out->sha256, hex, SHA256_HEX_LEN + 1);
	return 0;
}

/* The members other than files[]. */
static int
manifest_head(json_t *root, struct bundle_manifest *m, json_t **files, struct errbuf *err)
{
	const char *format, *channel, *created;
	int version;

	if (json_unpack(root, "{s:s, s:i, s:s, s:s, s:o}", "format", &format, "version",
	    &version, "channel", &channel, "created", &created, "files", files) != 0)
		return errbuf_set(err, "expected format, version, channel, created and files");
	if (strcmp(format, BUNDLE_FORMAT) != 0 || version != BUNDLE_VERSION)
		return errbuf_set(err, "format \"%s\" version %d: not %s version %d", format,
		    version, BUNDLE_FORMAT, BUNDLE_VERSION);
	if (!store_channel_name_valid(channel) || strlen(created) > 64)
		return errbuf_set(err, "invalid channel or created");
	if (!json_is_array(*files) || json_array_size(*files) > BUNDLE_MAX_FILES)
		return errbuf_set(err, "files: not an array of at most %u entries",
		    (unsigned)BUNDLE_MAX_FILES);
	m->channel = xstrdup(channel);
	m->created = xstrdup(created);
	return 0;
}

int
bundle_manifest_parse(const char *text, size_t len, struct bundle_manifest *m,
    struct errbuf *err)
{
	json_error_t jerr;
	json_t *root, *files = NULL;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (len > BUNDLE_MAX_MANIFEST)
		return errbuf_set(err, "longer than %u bytes", BUNDLE_MAX_MANIFEST);
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return errbuf_set(err, "line %d: %s", jerr.line, jerr.text);
	if (manifest_head(root, m, &files, err) == -1)
		goto out;
	m->files = xcalloc(json_array_size(files) + 1, sizeof(*m->files));
	for (size_t i = 0; i < json_array_size(files); i++) {
		if (manifest_file(json_array_get(files, i), i,
		    i > 0 ? m->files[i - 1].path : NULL, &m->files[i], err) == -1)
			goto out;
		m->nfiles++;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc == -1)
		bundle_manifest_free(m);
	return rc;
}

/* --- paths ---------------------------------------------------------------- */

static int
index_name(const char *name)
{
	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		if (strcmp(name, index_kind_file((enum index_kind)k)) == 0)
			return 1;
	}
	return 0;
}

/* Every segment follows the rule of published names and is not hidden. */
static int
segments_valid(const char *p)
{
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 0 || p[0] == '.' || build_name_refusal(p, n) != NULL)
			return 0;
		p += n + (p[n] == '/');
	}
	return 1;
}

/* The length of the folder part at the start of `rel`: "130001" or
 * "app-platform/10001"; 0 when rel is not below one. */
static size_t
unit_length(const char *rel)
{
	size_t n = strcspn(rel, "/"), v;
	char seg[16];

	if (rel[n] != '/')
		return 0;
	if ((n == strlen(STORE_APP_PLATFORM_DIR) && strncmp(rel, STORE_APP_PLATFORM_DIR, n) == 0) ||
	    (n == strlen(STORE_PHONE_PLATFORM_DIR) && strncmp(rel, STORE_PHONE_PLATFORM_DIR, n) == 0)) {
		v = strcspn(rel + n + 1, "/");
		if (rel[n + 1 + v] != '/' || v >= sizeof(seg))
			return 0;
		memcpy(seg, rel + n + 1, v);
		seg[v] = '\0';
		return store_build_name_valid(seg) ? n + 1 + v : 0;
	}
	if (n >= sizeof(seg))
		return 0;
	memcpy(seg, rel, n);
	seg[n] = '\0';
	return store_build_name_valid(seg) ? n : 0;
}

int
bundle_path_unit(const char *path, char *unit, size_t unitsz, const char **rest)
{
	char canon[ARCHIVE_PATH_MAX + 1];
	const char *why, *rel = path + DL_PREFIX_LEN;
	size_t n;

	if (strncmp(path, DL_PREFIX, DL_PREFIX_LEN) != 0 ||
	    archive_path_check(path, canon, sizeof(canon), &why) != ARCHIVE_PATH_OK ||
	    strcmp(canon, path) != 0 || !segments_valid(rel))
		return -1;
	if (strchr(rel, '/') == NULL) {
		if (!index_name(rel) || unitsz == 0)
			return -1;
		unit[0] = '\0';
		*rest = rel;
		return (int)DL_PREFIX_LEN;
	}
	if ((n = unit_length(rel)) == 0 || n >= unitsz)
		return -1;
	memcpy(unit, rel, n);
	unit[n] = '\0';
	*rest = rel + n + 1;
	return (int)(DL_PREFIX_LEN + n);
}

char *
bundle_unit_record(const char *unit)
{
	const char *slash = strchr(unit, '/');
	struct unit u = { .type = UNIT_BUILD };
	char *name = xstrdup(slash ? slash + 1 : unit), *rel;

	if (slash != NULL) {
		u.type = UNIT_PLATFORM;
		u.kind = strncmp(unit, STORE_PHONE_PLATFORM_DIR, (size_t)(slash - unit)) == 0 ?
		    ITEM_PHONEPLATFORM : ITEM_PLATFORM;
	}
	u.name = name;
	rel = unit_hashes_rel(&u);
	free(name);
	return rel;
}

/* --- Ed25519 ---------------------------------------------------------------- */

/* OpenSSL's last error as text, the queue emptied. */
static const char *
ssl_error(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, size, "unknown OpenSSL error");
	else
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

static EVP_PKEY *
key_load(const char *file, int public, struct errbuf *err)
{
	char msg[256];
	EVP_PKEY *key;
	FILE *f;

	if ((f = fopen(file, "re")) == NULL) {
		errbuf_set_errno(err, "%s", file);
		return NULL;
	}
	key = public ? PEM_read_PUBKEY(f, NULL, NULL, NULL) :
	    PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL) {
		errbuf_set(err, "%s: not a PEM %s key (%s)", file, public ? "public" : "private",
		    ssl_error(msg, sizeof(msg)));
		return NULL;
	}
	if (!EVP_PKEY_is_a(key, "ED25519")) {
		errbuf_set(err, "%s: not an Ed25519 key (openssl genpkey -algorithm ed25519)",
		    file);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

int
bundle_sign(const char *keyfile, const void *msg, size_t len,
    unsigned char sig[BUNDLE_SIG_LEN], struct errbuf *err)
{
	EVP_PKEY *key = key_load(keyfile, 0, err);
	EVP_MD_CTX *ctx = NULL;
	size_t siglen = BUNDLE_SIG_LEN;
	char buf[256];
	int rc = -1;

	if (key == NULL)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 || siglen != BUNDLE_SIG_LEN)
		errbuf_set(err, "%s: cannot sign (%s)", keyfile, ssl_error(buf, sizeof(buf)));
	else
		rc = 0;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc;
}

int
bundle_verify(const char *pubfile, const void *msg, size_t len, const unsigned char *sig,
    size_t siglen, struct errbuf *err)
{
	EVP_PKEY *key = key_load(pubfile, 1, err);
	EVP_MD_CTX *ctx = NULL;
	char buf[256];
	int rc = -1;

	if (key == NULL)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1)
		errbuf_set(err, "%s: cannot verify (%s)", pubfile, ssl_error(buf, sizeof(buf)));
	else {
		rc = EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1 ? 0 : 1;
		ERR_clear_error();
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc;
}

/* --- the reader ------------------------------------------------------------- */

struct bundle_reader {
	char *path;
	char *shown;			/* path, escaped for reports */
	int fd;
	struct stat st;
	struct archive *a;
	struct archive_entry *pending;	/* read ahead after the manifest/signature */
	int pending_rc;			/* its archive_read_next_header() status */
	int have_pending;
	struct bundle_manifest m;
	unsigned char *skip;		/* per file: verify only (already published) */
	size_t new_units;
	int used;
	char *buf;
};

static struct archive *
reader_archive(void)
{
	struct archive *a = archive_read_new();

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	return a;
}

int
bundle_probe(const char *path)
{
	struct archive *a = reader_archive();
	struct archive_entry *e;
	const char *name;
	uint64_t n = 0;
	int yes = 0;

	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		archive_read_free(a);
		return 0;
	}
	while (!yes && n++ < ARCHIVE_DEFAULT_MAX_ENTRIES &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		yes = name != NULL && (strcmp(name, BUNDLE_MANIFEST_NAME) == 0 ||
		    strcmp(name, BUNDLE_SIGNATURE_NAME) == 0);
	}
	archive_read_free(a);
	return yes;
}

/* A refusal of the bundle at `entry`; returns 1. */
static int
refuse(struct bundle_reader *br, struct diag *d, const char *entry, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int
refuse(struct bundle_reader *br, struct diag *d, const char *entry, const char *fmt, ...)
{
	char msg[ERRBUF_SIZE], *where = utf8_escape(entry ? entry : "(unnamed entry)"), *shown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	shown = utf8_escape(msg);	/* it may quote the manifest: no raw control */
	diag_add(d, DIAG_ERROR, where, "%s (in bundle %s); nothing published", shown, br->shown);
	free(shown);
	free(where);
	return 1;
}

/* Reads the current entry's data wholly into a new buffer of `size`
 * bytes (bounded by the caller); 0, or 1 refused. */
static int
entry_read_small(struct bundle_reader *br, const char *name, size_t size, char **out,
    struct diag *d)
{
	char *buf = xmalloc(size + 1);
	size_t got = 0;
	la_ssize_t n;

	while (got < size && (n = archive_read_data(br->a, buf + got, size - got)) > 0)
		got += (size_t)n;
	if (got != size) {
		free(buf);
		return refuse(br, d, name, "truncated or unreadable (%s)",
		    archive_error_string(br->a) ? archive_error_string(br->a) : "short read");
	}
	buf[size] = '\0';
	*out = buf;
	return 0;
}

/* A regular entry named `name`, at most `max` bytes; 0, or 1 refused. */
static int
entry_expect(struct bundle_reader *br, struct archive_entry *e, const char *name,
    uint64_t max, struct diag *d)
{
	const char *got = archive_entry_pathname(e);

	if (got == NULL || strcmp(got, name) != 0)
		return refuse(br, d, got, "expected %s here", name);
	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != NULL)
		return refuse(br, d, name, "not a regular file");
	if (archive_entry_size(e) < 0 || (uint64_t)archive_entry_size(e) > max)
		return refuse(br, d, name, "larger than %llu bytes", (unsigned long long)max);
	return 0;
}

static int
reader_manifest(struct bundle_reader *br, const struct bundle_read_opts *o, struct diag *d)
{
	struct archive_entry *e;
	struct errbuf err;
	uint64_t total = 0;
	char *text;
	int rc;

	if (archive_read_next_header(br->a, &e) != ARCHIVE_OK)
		return refuse(br, d, BUNDLE_MANIFEST_NAME, "not a bundle: no manifest (%s)",
		    archive_error_string(br->a) ? archive_error_string(br->a) : "empty");
	if ((rc = entry_expect(br, e, BUNDLE_MANIFEST_NAME, BUNDLE_MAX_MANIFEST, d)) != 0 ||
	    (rc = entry_read_small(br, BUNDLE_MANIFEST_NAME, (size_t)archive_entry_size(e),
	    &text, d)) != 0)
		return rc;
	br->buf = text;
	if (bundle_manifest_parse(text, (size_t)archive_entry_size(e), &br->m, &err) == -1)
		return refuse(br, d, BUNDLE_MANIFEST_NAME, "%s", err.msg);
	for (size_t i = 0; i < br->m.nfiles; i++) {
		uint64_t size = br->m.files[i].size;

		if (o->max_bytes > 0 && size > o->max_bytes - total)	/* a sum could wrap */
			return refuse(br, d, BUNDLE_MANIFEST_NAME, "holds more than "
			    "--max-archive-bytes (%llu) by %s", (unsigned long long)o->max_bytes,
			    br->m.files[i].path);
		total = size > UINT64_MAX - total ? UINT64_MAX : total + size;
	}
	if (o->max_ratio > 0 && br->st.st_size > 0 && total > 1024 * 1024 &&
	    total / (uint64_t)br->st.st_size >= o->max_ratio)	/* sparse, compressed */
		return refuse(br, d, BUNDLE_MANIFEST_NAME, "its files hold %llu bytes, more "
		    "than %llu times its size (--max-ratio)", (unsigned long long)total,
		    (unsigned long long)o->max_ratio);
	return 0;
}

/* The signature entry, if any, checked with o->verify_key; leaves the
 * next entry pending. */
static int
reader_signature(struct bundle_reader *br, const struct bundle_read_opts *o, struct diag *d,
    struct errbuf *err)
{
	const char *name;
	char *sig = NULL;
	int rc;

	br->pending_rc = archive_read_next_header(br->a, &br->pending);
	br->have_pending = 1;
	name = br->pending_rc == ARCHIVE_OK ? archive_entry_pathname(br->pending) : NULL;
	if (name == NULL || strcmp(name, BUNDLE_SIGNATURE_NAME) != 0) {
		if (o->verify_key != NULL)
			return refuse(br, d, BUNDLE_SIGNATURE_NAME, "missing: the bundle is not "
			    "signed, and --verify-key requires a valid signature");
		return 0;
	}
	if ((rc = entry_expect(br, br->pending, BUNDLE_SIGNATURE_NAME, BUNDLE_SIG_LEN, d)) != 0 ||
	    (rc = entry_read_small(br, BUNDLE_SIGNATURE_NAME,
	    (size_t)archive_entry_size(br->pending), &sig, d)) != 0)
		return rc;
	br->have_pending = 0;
	if (o->verify_key == NULL)
		diag_add(d, DIAG_WARNING, br->shown, "signed bundle imported without "
		    "--verify-key: its signature was not checked");
	else if ((rc = bundle_verify(o->verify_key, br->buf, strlen(br->buf),
	    (unsigned char *)sig, (size_t)archive_entry_size(br->pending), err)) == 1)
		refuse(br, d, BUNDLE_SIGNATURE_NAME, "does not match the manifest with the key %s "
		    "(another key, or the manifest or signature was changed)", o->verify_key);
	free(sig);
	if (rc != 0)
		return rc;
	br->pending_rc = archive_read_next_header(br->a, &br->pending);
	br->have_pending = 1;
	return 0;
}

/* Whether the target publishes the unit with every one of the bundle's
 * files [from, to) in its record, with the same sha256 (the same folder,
 * or one the bundle carries a selection of). */
static int
unit_published_has(int chanfd, const char *unit, const struct bundle_manifest *m,
    size_t from, size_t to, size_t skip)
{
	char *rec = bundle_unit_record(unit), *text = NULL;
	struct hashlist hl;
	size_t len, i = from;
	int have = 0;

	hashlist_init(&hl);
	if (fs_read_at(chanfd, rec, O_NOFOLLOW, RECORD_MAX, &text, &len, NULL) == 0 &&
	    hashlist_parse(&hl, text, len, NULL) == 0) {
		have = 1;
		for (; i < to; i++) {
			size_t j = 0;

			while (j < hl.count && strcmp(hl.recs[j].path, m->files[i].path + skip) != 0)
				j++;
			if (j == hl.count || strcmp(hl.recs[j].hex, m->files[i].sha256) != 0)
				break;
		}
	}
	hashlist_free(&hl);
	free(text);
	free(rec);
	return have && i == to;
}

/* Marks the files of units the target already has; counts the new units. */
static void
reader_skips(struct bundle_reader *br, int chanfd)
{
	char unit[BUNDLE_PATH_MAX], next[BUNDLE_PATH_MAX];
	const char *rest;
	size_t i = 0, j;
	int len;

	br->skip = xcalloc(br->m.nfiles + 1, 1);
	while (i < br->m.nfiles) {
		len = bundle_path_unit(br->m.files[i].path, unit, sizeof(unit), &rest);
		for (j = i + 1; j < br->m.nfiles && unit[0] != '\0'; j++) {
			bundle_path_unit(br->m.files[j].path, next, sizeof(next), &rest);
			if (strcmp(next, unit) != 0)
				break;
		}
		if (unit[0] != '\0' && chanfd != -1 &&
		    unit_published_has(chanfd, unit, &br->m, i, j, (size_t)len + 1))
			memset(br->skip + i, 1, j - i);
		else if (unit[0] != '\0')
			br->new_units++;
		i = unit[0] != '\0' ? j : i + 1;
	}
}

int
bundle_reader_open(const char *path, const struct bundle_read_opts *o,
    struct bundle_reader **out, struct diag *d, struct errbuf *err)
{
	struct bundle_reader *br = xcalloc(1, sizeof(*br));
	int rc = -1;

	*out = NULL;
	br->path = xstrdup(path);
	br->shown = utf8_escape(path);
	br->a = reader_archive();
	if ((br->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(br->fd, &br->st) == -1) {
		errbuf_set_errno(err, "%s", path);
		goto out;
	}
	if (archive_read_open_fd(br->a, br->fd, COPY_HASH_BUFSIZE) != ARCHIVE_OK) {
		rc = refuse(br, d, br->path, "not a tar archive (%s)",
		    archive_error_string(br->a));
		goto out;
	}
	if ((rc = reader_manifest(br, o, d)) != 0 ||
	    (rc = reader_signature(br, o, d, err)) != 0)
		goto out;
	reader_skips(br, o->chanfd);
	*out = br;
	return 0;
out:
	bundle_reader_close(br);
	return rc;
}

const struct bundle_manifest *
bundle_reader_manifest(const struct bundle_reader *br)
{
	return &br->m;
}

size_t
bundle_reader_new_units(const struct bundle_reader *br)
{
	return br->new_units;
}

void
bundle_reader_close(struct bundle_reader *br)
{
	if (br == NULL)
		return;
	if (br->a != NULL)
		archive_read_free(br->a);
	if (br->fd != -1)
		close(br->fd);
	bundle_manifest_free(&br->m);
	free(br->skip);
	free(br->buf);
	free(br->path);
	free(br->shown);
	free(br);
}

/* --- extraction ------------------------------------------------------------ */

/* Where the files of one folder go: the last folder opened is kept, since
 * the manifest's order keeps each folder's files together mostly. */
struct out_dir {
	int root;
	char *rel;	/* the folder open in fd, or NULL */
	int fd;
};

static int
out_dir_close(struct out_dir *o, struct errbuf *err)
{
	int rc = 0;

	if (o->fd != -1) {
		if (fsync(o->fd) == -1)
			rc = errbuf_set_errno(err, "%s: fsync", o->rel);
		close(o->fd);
	}
	free(o->rel);
	o->rel = NULL;
	o->fd = -1;
	return rc;
}

/* Opens (making them) the folders of the file `path`: 0, -1 with errno
 * (making a folder), or -2 (err: the previous folder's fsync). */
static int
out_dir_open(struct out_dir *o, const char *path, struct errbuf *err)
{
	size_t n = (size_t)(strrchr(path, '/') - path);
	char *rel, *p;
	int fd, next, saved = 0;

	if (o->rel != NULL && strlen(o->rel) == n && strncmp(o->rel, path, n) == 0)
		return 0;
	if (out_dir_close(o, err) == -1)
		return -2;
	rel = xstrndup(path, n);
	fd = dup(o->root);
	for (p = rel; fd != -1 && p != NULL; ) {
		char *slash = strchr(p, '/');

		if (slash != NULL)
			*slash = '\0';
		if ((next = fs_open_subdir(fd, p, FS_SUBDIR_ENSURE, NULL)) == -1)
			saved = errno;
		close(fd);
		fd = next;
		if (slash != NULL)
			*slash = '/';
		p = slash ? slash + 1 : NULL;
	}
	o->fd = fd;
	o->rel = rel;
	errno = saved;
	return fd == -1 ? -1 : 0;
}

/* The next entry: the one read ahead, or a new one. */
static int
next_entry(struct bundle_reader *br, struct archive_entry **e)
{
	if (br->have_pending) {
		br->have_pending = 0;
		*e = br->pending;
		return br->pending_rc;
	}
	return archive_read_next_header(br->a, e);
}

/* Checks the entry against manifest file f; 0 or 1 (refused). */
static int
entry_check(struct bundle_reader *br, int r, struct archive_entry *e,
    const struct bundle_file *f, struct diag *d)
{
	const char *name;

	if (r == ARCHIVE_EOF)
		return refuse(br, d, f->path, "missing: the bundle ends before it (truncated, or "
		    "the file was left out)");
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return refuse(br, d, f->path, "truncated or unreadable bundle before this file "
		    "(%s)", archive_error_string(br->a));
	name = archive_entry_pathname(e);
	if (name == NULL || strcmp(name, f->path) != 0)
		return refuse(br, d, name, "not the manifest's next file %s: an extra, missing, "
		    "renamed or reordered entry", f->path);
	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != NULL)
		return refuse(br, d, name, "not a regular file");
	if (archive_entry_size(e) < 0 || (uint64_t)archive_entry_size(e) != f->size)
		return refuse(br, d, name, "%lld bytes, the manifest says %llu",
		    (long long)archive_entry_size(e), (unsigned long long)f->size);
	return 0;
}

/* Reads the entry's data, hashing it and writing it to fd (-1: nowhere).
 * 0, 1 (refused) or -1 (err: writing). */
static int
entry_data(struct bundle_reader *br, const struct bundle_file *f, int fd,
    struct hasher *h, char *buf, struct diag *d, struct errbuf *err)
{
	char hex[SHA256_HEX_LEN + 1];
	uint64_t got = 0;
	la_ssize_t n;

	while ((n = archive_read_data(br->a, buf, COPY_HASH_BUFSIZE)) > 0) {
		got += (uint64_t)n;
		hasher_update(h, buf, (size_t)n);
		if (fd != -1 && fs_write_all(fd, buf, (size_t)n) == -1)
			return errbuf_set_errno(err, "%s: write", f->path);
		copy_hash_progress((uint64_t)n, 0);
	}
	hasher_final(h, hex);
	if (n < 0 || got != f->size)
		return refuse(br, d, f->path, "truncated or unreadable (%s)",
		    n < 0 ? archive_error_string(br->a) : "short data");
	if (strcmp(hex, f->sha256) != 0)
		return refuse(br, d, f->path, "sha256 %s, the manifest says %s: the file was "
		    "changed", hex, f->sha256);
	if (fd != -1 && fsync(fd) == -1)
		return errbuf_set_errno(err, "%s: fsync", f->path);
	copy_hash_progress(0, 1);
	return 0;
}

/* One file: checked, then written below o (unless skipped) and recorded. */
static int
extract_one(struct bundle_reader *br, size_t i, struct out_dir *o, struct hasher *h,
    char *buf, struct hashlist *hl, struct diag *d, struct errbuf *err)
{
	const struct bundle_file *f = &br->m.files[i];
	struct archive_entry *e = NULL;
	int r = next_entry(br, &e), fd = -1, rc;

	if ((rc = entry_check(br, r, e, f, d)) != 0)
		return rc;
	if (o->root != -1 && !br->skip[i]) {
		if ((rc = out_dir_open(o, f->path, err)) == -2)
			return -1;
		if (rc == -1)
			return errno == ENOTDIR || errno == EEXIST ?
			    refuse(br, d, f->path, "a folder of it is a file of the bundle") :
			    errbuf_set_errno(err, "%s: create folder", f->path);
		fd = openat(o->fd, strrchr(f->path, '/') + 1,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd == -1)
			return errno == EEXIST || errno == EISDIR ?
			    refuse(br, d, f->path, "given twice") :
			    errbuf_set_errno(err, "%s", f->path);
	}
	rc = entry_data(br, f, fd, h, buf, d, err);
	if (fd != -1)
		close(fd);
	if (rc == 0 && o->root != -1 && !br->skip[i] && strchr(f->path + DL_PREFIX_LEN, '/'))
		hashlist_add(hl, f->path, f->sha256, f->size);	/* indexes: see the header */
	return rc;
}

/* After the last file: the end of the archive, and the file unchanged. */
static int
extract_end(struct bundle_reader *br, struct diag *d, struct errbuf *err)
{
	struct archive_entry *e;
	struct stat after;
	int r = next_entry(br, &e);

	if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
		return refuse(br, d, archive_entry_pathname(e), "an extra entry after the "
		    "manifest's last file");
	if (r != ARCHIVE_EOF)
		return refuse(br, d, br->path, "truncated or unreadable at its end (%s)",
		    archive_error_string(br->a));
	if (fstat(br->fd, &after) == -1)
		return errbuf_set_errno(err, "%s", br->path);
	if (stat_changed(&br->st, &after))
		return refuse(br, d, br->path, "changed while being read (size, mtime or ctime)");
	return 0;
}

int
bundle_reader_extract(struct bundle_reader *br, int dstdir, struct hashlist *hl,
    struct diag *d, struct errbuf *err)
{
	struct out_dir o = { .root = dstdir, .rel = NULL, .fd = -1 };
	struct hasher *h;
	char *buf;
	int rc = 0;

	if (br->used++)
		return errbuf_set(err, "%s: the bundle was read already", br->path);
	if ((h = hasher_create(err)) == NULL)
		return -1;
	buf = xmalloc(COPY_HASH_BUFSIZE);
	for (size_t i = 0; i < br->m.nfiles && rc == 0; i++)
		rc = extract_one(br, i, &o, h, buf, hl, d, err);
	if (rc == 0)
		rc = extract_end(br, d, err);
	if (out_dir_close(&o, rc == -1 ? NULL : err) == -1 && rc == 0)
		rc = -1;
	free(buf);
	hasher_free(h);
	return rc == -1 ? -1 : 0;
}
