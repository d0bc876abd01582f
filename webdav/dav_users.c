/*
 * dav_users: the WebDAV users file and its scrypt password hashes
 * (dav_users.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "atomic_file.h"
#include "dav_users.h"
#include "fs_open.h"
#include "xmalloc.h"

#define DAV_SALT_LEN		16
#define DAV_DIGEST_LEN		32
#define DAV_SCRYPT_N		32768
#define DAV_SCRYPT_R		8
#define DAV_SCRYPT_P		1
#define DAV_SCRYPT_MIN_N	1024
#define DAV_SCRYPT_MAX_N	(1024 * 1024)
#define DAV_SCRYPT_MAX_R	32
#define DAV_SCRYPT_MAX_P	16
#define DAV_SCRYPT_MAX_MEM	(256ULL * 1024 * 1024)
#define DAV_SCRYPT_PREFIX	"$scrypt$"

/* Never matches (no scrypt output is all zeroes, as far as anyone knows),
 * costs what a default hash costs. */
static const char dav_dummy_hash[] = "$scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/* One line of the file: a user (name set) or a comment/blank line kept
 * verbatim (text set). */
struct dav_line {
	char		*text;
	char		*name;
	char		*hash;
	enum dav_role	 role;
};

struct dav_users {
	struct dav_line	*lines;
	size_t		 nlines;
	size_t		 cap;
	size_t		 nusers;
};

struct dav_hash_parts {
	uint64_t	 n, r, p;
	unsigned char	 salt[DAV_SALT_LEN];
	unsigned char	 digest[DAV_DIGEST_LEN];
};

static const char *const dav_role_names[] = {
	[DAV_ROLE_RO] = "ro",
	[DAV_ROLE_RW] = "rw",
};

const char *
dav_role_name(enum dav_role role)
{
	return role == DAV_ROLE_RO || role == DAV_ROLE_RW ? dav_role_names[role] : NULL;
}

enum dav_role
dav_role_parse(const char *text)
{
	if (strcmp(text, "ro") == 0)
		return DAV_ROLE_RO;
	if (strcmp(text, "rw") == 0)
		return DAV_ROLE_RW;
	return DAV_ROLE_NONE;
}

int
dav_user_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > DAV_USER_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._@-") == len;
}

int
dav_password_valid(const char *password, size_t len)
{
	if (len == 0 || len > DAV_PASSWORD_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (password[i] == '\0' || password[i] == '\r' || password[i] == '\n')
			return 0;
	return 1;
}

static int
dav_base64_value(char c)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *at = c == '\0' ? NULL : strchr(alphabet, c);

	return at == NULL ? -1 : (int)(at - alphabet);
}

int
dav_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outmax,
    size_t *outlen)
{
	size_t pad = 0, n = 0;
	uint32_t acc = 0;

	if (inlen % 4 != 0)
		return -1;
	while (pad < 2 && pad < inlen && in[inlen - 1 - pad] == '=')
		pad++;
	if ((inlen / 4) * 3 - pad > outmax)
		return -1;
	for (size_t i = 0; i < inlen - pad; i++) {
		int v = dav_base64_value(in[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			out[n++] = acc >> 16;
			out[n++] = acc >> 8;
			out[n++] = acc;
		}
	}
	if (pad == 2) {
		if (acc & 0xf)
			return -1;
		out[n++] = acc >> 4;
	} else if (pad == 1) {
		if (acc & 0x3)
			return -1;
		out[n++] = acc >> 10;
		out[n++] = acc >> 2;
	}
	*outlen = n;
	return 0;
}

/* Reads the decimal number ending at the next '$' of *p (advanced past it). */
static int
dav_hash_number(const char **p, uint64_t max, uint64_t *value)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '1' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	if (*s != '$')
		return -1;
	*p = s + 1;
	*value = v;
	return 0;
}

/* Decodes the base64 field ending at `end` (or the string's end when NULL)
 * into exactly `len` bytes. */
static int
dav_hash_field(const char *start, const char *end, unsigned char *out, size_t len)
{
	size_t got;

	if (end == NULL)
		end = start + strlen(start);
	if (dav_base64_decode(start, (size_t)(end - start), out, len, &got) == -1)
		return -1;
	return got == len ? 0 : -1;
}

static int
dav_hash_parse(const char *hash, struct dav_hash_parts *h, struct errbuf *err)
{
	const char *p = hash, *dollar;

	if (strncmp(p, DAV_SCRYPT_PREFIX, strlen(DAV_SCRYPT_PREFIX)) != 0)
		return errbuf_set(err, "not a $scrypt$ hash");
	p += strlen(DAV_SCRYPT_PREFIX);
	if (dav_hash_number(&p, DAV_SCRYPT_MAX_N, &h->n) == -1 || h->n < DAV_SCRYPT_MIN_N ||
	    (h->n & (h->n - 1)) != 0)
		return errbuf_set(err, "scrypt N is not a power of two from %d to %d",
		    DAV_SCRYPT_MIN_N, DAV_SCRYPT_MAX_N);
	if (dav_hash_number(&p, DAV_SCRYPT_MAX_R, &h->r) == -1)
		return errbuf_set(err, "scrypt r is not a number from 1 to %d", DAV_SCRYPT_MAX_R);
	if (dav_hash_number(&p, DAV_SCRYPT_MAX_P, &h->p) == -1)
		return errbuf_set(err, "scrypt p is not a number from 1 to %d", DAV_SCRYPT_MAX_P);
	if (128 * h->n * h->r > DAV_SCRYPT_MAX_MEM)
		return errbuf_set(err, "scrypt N and r need more than %llu MiB",
		    DAV_SCRYPT_MAX_MEM >> 20);
	dollar = strchr(p, '$');
	if (dollar == NULL || dav_hash_field(p, dollar, h->salt, DAV_SALT_LEN) == -1)
		return errbuf_set(err, "the salt is not %d bytes of base64", DAV_SALT_LEN);
	if (dav_hash_field(dollar + 1, NULL, h->digest, DAV_DIGEST_LEN) == -1)
		return errbuf_set(err, "the hash is not %d bytes of base64", DAV_DIGEST_LEN);
	return 0;
}

int
dav_hash_check(const char *hash, struct errbuf *err)
{
	struct dav_hash_parts h;

	return dav_hash_parse(hash, &h, err);
}

static int
dav_scrypt(const char *password, size_t len, const unsigned char *salt, uint64_t n,
    uint64_t r, uint64_t p, unsigned char *out, struct errbuf *err)
{
	uint64_t maxmem = 128 * r * (n + 2) + 128 * r * p + 1024;

	if (EVP_PBE_scrypt(password, len, salt, DAV_SALT_LEN, n, r, p, maxmem, out,
	    DAV_DIGEST_LEN) != 1)
		return errbuf_set(err, "scrypt failed (N %llu, r %llu, p %llu)",
		    (unsigned long long)n, (unsigned long long)r, (unsigned long long)p);
	return 0;
}

int
dav_hash_password(const char *password, size_t len, char *out, size_t outsz,
    struct errbuf *err)
{
	unsigned char salt[DAV_SALT_LEN], digest[DAV_DIGEST_LEN];
	char salt64[4 * ((DAV_SALT_LEN + 2) / 3) + 1], digest64[4 * ((DAV_DIGEST_LEN + 2) / 3) + 1];
	int n;

	if (!dav_password_valid(password, len))
		return errbuf_set(err, "a password has 1 to %d bytes and no NUL, CR or LF",
		    DAV_PASSWORD_MAX);
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return errbuf_set(err, "no random bytes for the salt (RAND_bytes failed)");
	if (dav_scrypt(password, len, salt, DAV_SCRYPT_N, DAV_SCRYPT_R, DAV_SCRYPT_P, digest,
	    err) == -1)
		return -1;
	EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof(salt));
	EVP_EncodeBlock((unsigned char *)digest64, digest, sizeof(digest));
	OPENSSL_cleanse(digest, sizeof(digest));
	n = snprintf(out, outsz, DAV_SCRYPT_PREFIX "%d$%d$%d$%s$%s", DAV_SCRYPT_N, DAV_SCRYPT_R,
	    DAV_SCRYPT_P, salt64, digest64);
	if (n < 0 || (size_t)n >= outsz)
		return errbuf_set(err, "the hash string does not fit %zu bytes", outsz);
	return 0;
}

int
dav_hash_verify(const char *hash, const char *password, size_t len, struct errbuf *err)
{
	struct dav_hash_parts h;
	unsigned char digest[DAV_DIGEST_LEN];
	int match;

	if (dav_hash_parse(hash, &h, err) == -1)
		return -1;
	if (dav_scrypt(password, len, h.salt, h.n, h.r, h.p, digest, err) == -1)
		return -1;
	match = CRYPTO_memcmp(digest, h.digest, DAV_DIGEST_LEN) == 0;
	OPENSSL_cleanse(digest, sizeof(digest));
	return match;
}

struct dav_users *
dav_users_create(void)
{
	return xcalloc(1, sizeof(struct dav_users));
}

void
dav_users_free(struct dav_users *users)
{
	if (users == NULL)
		return;
	for (size_t i = 0; i < users->nlines; i++) {
		free(users->lines[i].text);
		free(users->lines[i].name);
		free(users->lines[i].hash);
	}
	free(users->lines);
	free(users);
}

static struct dav_line *
dav_users_append(struct dav_users *users)
{
	struct dav_line *line;

	if (users->nlines == users->cap) {
		users->cap = users->cap ? users->cap * 2 : 16;
		users->lines = xreallocarray(users->lines, users->cap, sizeof(*users->lines));
	}
	line = &users->lines[users->nlines++];
	memset(line, 0, sizeof(*line));
	return line;
}

static struct dav_line *
dav_users_find(const struct dav_users *users, const char *name)
{
	for (size_t i = 0; i < users->nlines; i++)
		if (users->lines[i].name != NULL && strcmp(users->lines[i].name, name) == 0)
			return &users->lines[i];
	return NULL;
}

/* Parses one user line "name:role:hash" (modified in place). */
static int
dav_users_parse_user(struct dav_users *users, char *line, struct errbuf *err)
{
	char *role, *hash;
	struct dav_line *l;
	struct errbuf why;
	enum dav_role r;

	role = strchr(line, ':');
	hash = role == NULL ? NULL : strchr(role + 1, ':');
	if (hash == NULL)
		return errbuf_set(err, "not name:role:hash");
	*role++ = '\0';
	*hash++ = '\0';
	if (!dav_user_name_valid(line))
		return errbuf_set(err, "user name '%.*s' is not 1 to %d of A-Z a-z 0-9 . _ @ -",
		    DAV_USER_NAME_MAX, line, DAV_USER_NAME_MAX);
	if ((r = dav_role_parse(role)) == DAV_ROLE_NONE)
		return errbuf_set(err, "user %s: role '%.8s' is neither ro nor rw", line, role);
	if (dav_hash_check(hash, &why) == -1)
		return errbuf_set(err, "user %s: %s", line, why.msg);
	if (dav_users_find(users, line) != NULL)
		return errbuf_set(err, "user %s: listed twice", line);
	if (users->nusers == DAV_USERS_COUNT_MAX)
		return errbuf_set(err, "more than %d users", DAV_USERS_COUNT_MAX);
	l = dav_users_append(users);
	l->name = xstrdup(line);
	l->hash = xstrdup(hash);
	l->role = r;
	users->nusers++;
	return 0;
}

/* Parses one line (without its newline) into users. */
static int
dav_users_parse_line(struct dav_users *users, const char *start, size_t len,
    struct errbuf *err)
{
	char buf[DAV_USERS_LINE_MAX + 1];
	size_t blank;

	if (len > DAV_USERS_LINE_MAX)
		return errbuf_set(err, "line longer than %d bytes", DAV_USERS_LINE_MAX);
	if (memchr(start, '\0', len) != NULL || memchr(start, '\r', len) != NULL)
		return errbuf_set(err, "NUL or CR in the line");
	memcpy(buf, start, len);
	buf[len] = '\0';
	blank = strspn(buf, " \t");
	if (buf[blank] == '\0' || buf[blank] == '#') {
		dav_users_append(users)->text = xstrdup(buf);
		return 0;
	}
	return dav_users_parse_user(users, buf, err);
}

struct dav_users *
dav_users_parse(const char *text, size_t len, const char *path, struct errbuf *err)
{
	struct dav_users *users = dav_users_create();
	size_t lineno = 0, pos = 0;
	struct errbuf why;

	if (len > DAV_USERS_FILE_MAX) {
		errbuf_set(err, "%s: longer than %d bytes", path, DAV_USERS_FILE_MAX);
		goto fail;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl == NULL ? len : (size_t)(nl - text);

		lineno++;
		if (dav_users_parse_line(users, text + pos, end - pos, &why) == -1) {
			errbuf_set(err, "%s:%zu: %s", path, lineno, why.msg);
			goto fail;
		}
		pos = end + 1;
	}
	return users;
fail:
	dav_users_free(users);
	return NULL;
}

struct dav_users *
dav_users_load(const char *path, int missing_ok, struct errbuf *err)
{
	struct dav_users *users;
	struct errbuf why;
	char *text;
	size_t len;

	if (fs_read_at(AT_FDCWD, path, 0, DAV_USERS_FILE_MAX, &text, &len, &why) == -1) {
		if (errno == ENOENT && missing_ok)
			return dav_users_create();
		errbuf_set(err, "%s: %s", path, why.msg);
		return NULL;
	}
	users = dav_users_parse(text, len, path, err);
	free(text);
	return users;
}

static char *
dav_users_format(const struct dav_users *users, size_t *len)
{
	size_t size = 1, n = 0;
	char *out;

	for (size_t i = 0; i < users->nlines; i++) {
		const struct dav_line *l = &users->lines[i];

		size += l->text != NULL ? strlen(l->text) + 1 :
		    strlen(l->name) + strlen(l->hash) + 5;
	}
	out = xmalloc(size);
	for (size_t i = 0; i < users->nlines; i++) {
		const struct dav_line *l = &users->lines[i];

		if (l->text != NULL)
			n += (size_t)snprintf(out + n, size - n, "%s\n", l->text);
		else
			n += (size_t)snprintf(out + n, size - n, "%s:%s:%s\n", l->name,
			    dav_role_name(l->role), l->hash);
	}
	*len = n;
	return out;
}

int
dav_users_save(const struct dav_users *users, const char *path, struct errbuf *err)
{
	const char *slash = strrchr(path, '/');
	char *dir, *text;
	size_t len;
	int dirfd, rc = -1;

	if (slash == NULL)
		dir = xstrdup(".");
	else
		dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1) {
		errbuf_set_errno(err, "%s: the folder %s", path, dir);
		free(dir);
		return -1;
	}
	text = dav_users_format(users, &len);
	if (atomic_file_write(dirfd, slash == NULL ? path : slash + 1, text, len, 0600, err) == 0)
		rc = 0;
	else
		errbuf_prefix(err, "%s", path);
	free(text);
	close(dirfd);
	free(dir);
	return rc;
}

int
dav_users_add(struct dav_users *users, const char *name, enum dav_role role,
    const char *password, size_t len, int replace, struct errbuf *err)
{
	char hash[DAV_HASH_STRING_MAX];
	struct dav_line *l;

	if (!dav_user_name_valid(name))
		return errbuf_set(err, "user name '%.*s' is not 1 to %d of A-Z a-z 0-9 . _ @ - "
		    "(not starting with . or -)", DAV_USER_NAME_MAX, name, DAV_USER_NAME_MAX);
	if (role != DAV_ROLE_RO && role != DAV_ROLE_RW)
		return errbuf_set(err, "user %s: no role", name);
	l = dav_users_find(users, name);
	if (l != NULL && !replace) {
		errno = EEXIST;
		return errbuf_set(err, "user %s exists already", name);
	}
	if (l == NULL && users->nusers == DAV_USERS_COUNT_MAX)
		return errbuf_set(err, "more than %d users", DAV_USERS_COUNT_MAX);
	if (dav_hash_password(password, len, hash, sizeof(hash), err) == -1)
		return -1;
	if (l == NULL) {
		l = dav_users_append(users);
		l->name = xstrdup(name);
		users->nusers++;
	}
	free(l->hash);
	l->hash = xstrdup(hash);
	l->role = role;
	return 0;
}

int
dav_users_remove(struct dav_users *users, const char *name, struct errbuf *err)
{
	struct dav_line *l = dav_users_find(users, name);
	size_t at;

	if (l == NULL) {
		errno = ENOENT;
		return errbuf_set(err, "no user %s", name);
	}
	at = (size_t)(l - users->lines);
	free(l->name);
	free(l->hash);
	memmove(l, l + 1, (users->nlines - at - 1) * sizeof(*l));
	users->nlines--;
	users->nusers--;
	return 0;
}

static const struct dav_line *
dav_users_nth(const struct dav_users *users, size_t n)
{
	for (size_t i = 0; i < users->nlines; i++)
		if (users->lines[i].name != NULL && n-- == 0)
			return &users->lines[i];
	return NULL;
}

size_t
dav_users_count(const struct dav_users *users)
{
	return users->nusers;
}

const char *
dav_users_name(const struct dav_users *users, size_t i)
{
	const struct dav_line *l = dav_users_nth(users, i);

	return l == NULL ? NULL : l->name;
}

enum dav_role
dav_users_role(const struct dav_users *users, size_t i)
{
	const struct dav_line *l = dav_users_nth(users, i);

	return l == NULL ? DAV_ROLE_NONE : l->role;
}

enum dav_role
dav_users_check(const struct dav_users *users, const char *name, const char *password,
    size_t len)
{
	const struct dav_line *l;

	if (!dav_password_valid(password, len))
		return DAV_ROLE_NONE;
	l = dav_users_find(users, name);
	if (l == NULL) {
		(void)dav_hash_verify(dav_dummy_hash, password, len, NULL);
		return DAV_ROLE_NONE;
	}
	return dav_hash_verify(l->hash, password, len, NULL) == 1 ? l->role : DAV_ROLE_NONE;
}
