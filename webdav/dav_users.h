/*
 * dav_users: the WebDAV users file and its password hashes.
 *
 * The file has one user per line, "name:role:hash", role "ro" (read-only)
 * or "rw" (read-write).  Lines starting with '#' and blank lines are
 * comments: they are kept, in place, when the file is rewritten.  The file
 * is written atomically (atomic_file.h) with mode 0600.
 *
 * Hashes are scrypt (OpenSSL 3, EVP_PBE_scrypt), salted, with their
 * parameters in the string so that they can be raised later without
 * invalidating older hashes:
 *
 *	$scrypt$N$r$p$SALT$HASH		(SALT 16 bytes, HASH 32 bytes, base64)
 *
 * Verification compares in constant time (CRYPTO_memcmp), and a name that
 * is not in the file costs the same scrypt against a dummy hash, so the
 * time of an answer does not tell which names exist.
 *
 * Limits (everything in the file is checked on load): names 1..64 bytes
 * of [A-Za-z0-9._@-] not starting with '.' or '-'; passwords 1..1024
 * bytes without NUL, CR or LF; a file of at most 1 MiB, lines of at most
 * 1024 bytes, at most 10,000 users; scrypt N a power of two in 2^10..2^20,
 * r 1..32, p 1..16, 128*N*r at most 256 MiB.
 *
 * A struct dav_users is not locked: load it, then share it read-only.
 */
#ifndef STORESRV_DAV_USERS_H
#define STORESRV_DAV_USERS_H

#include <stddef.h>

#include "errbuf.h"

#define DAV_USER_NAME_MAX	64
#define DAV_PASSWORD_MAX	1024
#define DAV_USERS_FILE_MAX	(1024 * 1024)
#define DAV_USERS_LINE_MAX	1024
#define DAV_USERS_COUNT_MAX	10000
/* Room for any hash string dav_hash_password() writes, with its NUL. */
#define DAV_HASH_STRING_MAX	160

enum dav_role {
	DAV_ROLE_NONE = 0,	/* not authenticated */
	DAV_ROLE_RO,		/* may read */
	DAV_ROLE_RW		/* may read and write */
};

struct dav_users;

/* "ro", "rw" (NULL for DAV_ROLE_NONE); and back (DAV_ROLE_NONE when
 * neither). */
const char *dav_role_name(enum dav_role role);
enum dav_role dav_role_parse(const char *text);

/* 1 when `name` is an acceptable user name, 0 otherwise. */
int dav_user_name_valid(const char *name);
/* 1 when the `len` bytes of `password` are an acceptable password. */
int dav_password_valid(const char *password, size_t len);

/* Hashes a password with a fresh random salt and the default parameters
 * (N 32768, r 8, p 1: 32 MiB and some 100 ms) into `out` (at least
 * DAV_HASH_STRING_MAX bytes).  0, or -1 with err set. */
int dav_hash_password(const char *password, size_t len, char *out, size_t outsz,
    struct errbuf *err);
/* 1 when `password` matches `hash`, 0 when it does not, -1 (err set) when
 * the hash string is malformed or scrypt fails. */
int dav_hash_verify(const char *hash, const char *password, size_t len, struct errbuf *err);
/* 0 when `hash` is a well-formed hash string, -1 with err saying what is
 * wrong with it. */
int dav_hash_check(const char *hash, struct errbuf *err);

/* Standard base64 (with padding) of exactly `inlen` characters into out;
 * -1 on a bad character, bad padding or more than `outmax` bytes. */
int dav_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outmax,
    size_t *outlen);

/* An empty set of users; dav_users_free(NULL) is a no-op. */
struct dav_users *dav_users_create(void);
void dav_users_free(struct dav_users *users);

/* Parses the text of a users file; errors are "<path>:<line>: ...".
 * Returns a new set (the caller frees it) or NULL with err set. */
struct dav_users *dav_users_parse(const char *text, size_t len, const char *path,
    struct errbuf *err);
/* Reads and parses the file `path`.  A missing file gives an empty set when
 * `missing_ok`, an error otherwise. */
struct dav_users *dav_users_load(const char *path, int missing_ok, struct errbuf *err);
/* Writes the set to `path` atomically, mode 0600. */
int dav_users_save(const struct dav_users *users, const char *path, struct errbuf *err);

/* Adds `name` with a new hash of `password`; an existing name is refused
 * (-1, EEXIST in errno) unless `replace`, which changes its role and hash in
 * place. */
int dav_users_add(struct dav_users *users, const char *name, enum dav_role role,
    const char *password, size_t len, int replace, struct errbuf *err);
/* Removes `name`; -1 with err set (errno ENOENT) when there is none. */
int dav_users_remove(struct dav_users *users, const char *name, struct errbuf *err);

/* The users in file order: their number, and name and role of the i-th. */
size_t dav_users_count(const struct dav_users *users);
const char *dav_users_name(const struct dav_users *users, size_t i);
enum dav_role dav_users_role(const struct dav_users *users, size_t i);

/* The role of `name` when `password` is its password, DAV_ROLE_NONE
 * otherwise (unknown name, wrong or invalid password, broken hash).  An
 * unknown name costs the same scrypt as a known one. */
enum dav_role dav_users_check(const struct dav_users *users, const char *name,
    const char *password, size_t len);

#endif
