/*
 * dav_lock: the table of active WebDAV locks (RFC 4918 §6, §7, §9.10).
 *
 * A lock has a token ("urn:uuid:" + a version-4 UUID from OpenSSL's
 * RAND_bytes), a root path, a depth (0, or infinity covering every
 * descendant), a scope (exclusive or shared), the client's owner XML (kept
 * opaque), the principal (user name) that took it, a timeout and the time
 * it expires.  Paths are the engine's canonical request paths ("/a/b");
 * trailing slashes are ignored, so "/a/" and "/a" name the same resource.
 *
 * Rules: a new lock conflicts with an existing one when either is
 * exclusive and the existing one covers the new root, or the new one is
 * depth infinity and the existing one lies below its root.  Shared locks
 * stack.  A request may modify a path when, for every lock covering it (and,
 * for a request on a whole tree, every lock inside the tree), a token of a
 * lock on that resource was submitted by the lock's principal; otherwise
 * the engine answers 423.  Deleting or moving a tree drops the locks rooted
 * in it (dav_lock_drop_tree); a copy takes no lock along (§9.8.5).
 *
 * Lock-null resources: this server follows RFC 4918 §7.3, a LOCK on an
 * unmapped URL makes the engine create an empty file (201); the table holds
 * an ordinary lock on it, so nothing here is special about it.
 *
 * Time is a clock the caller passes (`now`), so tests control expiry; an
 * expired lock is dropped by the next call that passes a later clock.
 *
 * Persistence: when the table has a file, every change is saved to it
 * atomically (atomic_file.h) as JSON, and dav_lock_table_create() loads it,
 * dropping expired locks.  A corrupt file is an error naming it.  When a
 * save fails the call returns DAV_LOCK_IO; a new lock is then taken back,
 * other changes stay in memory (they are saved with the next change).
 *
 * Ownership: the table owns its locks; a returned `const struct dav_lock *`
 * is valid until the next call that changes the table.
 */
#ifndef STORESRV_DAV_LOCK_H
#define STORESRV_DAV_LOCK_H

#include <stddef.h>
#include <time.h>

#include "errbuf.h"

#define DAV_LOCK_TOKEN_SIZE	46	/* "urn:uuid:" + 36 + NUL */
#define DAV_LOCK_DEPTH_INFINITY	(-1)
#define DAV_LOCK_MAX_OWNER	4096	/* bytes of owner XML kept */
#define DAV_LOCK_MAX_PATH	4096	/* bytes of a lock's root path */
#define DAV_LOCK_MAX_FILE	(16u << 20) /* bytes of the persisted file read at start */

enum dav_lock_scope {
	DAV_LOCK_EXCLUSIVE,
	DAV_LOCK_SHARED
};

/* What a call did; the engine maps it to the HTTP status. */
enum dav_lock_status {
	DAV_LOCK_OK = 0,
	DAV_LOCK_CONFLICT,	/* 423 Locked */
	DAV_LOCK_LIMIT,		/* too many locks in all or for the principal: 503 */
	DAV_LOCK_NOT_FOUND,	/* no such token covering the path: 409 (UNLOCK), 412 (refresh) */
	DAV_LOCK_FORBIDDEN,	/* another principal's lock: 403 */
	DAV_LOCK_INVALID,	/* bad argument (path, depth, owner too long): 400 */
	DAV_LOCK_IO		/* the table's file could not be written: 500 */
};

struct dav_lock {
	char token[DAV_LOCK_TOKEN_SIZE];
	char *root;
	int depth;			/* 0 or DAV_LOCK_DEPTH_INFINITY */
	enum dav_lock_scope scope;
	char *owner;			/* owner XML as sent, or NULL */
	char *principal;		/* user name, or NULL (no authentication) */
	unsigned timeout;		/* seconds, as granted */
	time_t expires;
};

struct dav_lock_limits {
	size_t max_locks;		/* in the whole table */
	size_t max_per_principal;
	unsigned default_timeout;	/* seconds, when the client asks for none */
	unsigned max_timeout;		/* seconds, a cap on what clients ask */
};

/* What LOCK asks for. */
struct dav_lock_request {
	const char *path;
	int depth;
	enum dav_lock_scope scope;
	const char *owner;
	const char *principal;
	unsigned timeout;		/* seconds; capped at limits.max_timeout */
};

struct dav_lock_table;

/* Creates a table; `file` (NULL for none) is where it is kept: loaded now
 * when it exists (locks expired at `now` dropped), saved after each change.
 * Returns NULL with err set when the file cannot be read or is corrupt. */
struct dav_lock_table *dav_lock_table_create(const char *file,
    const struct dav_lock_limits *limits, time_t now, struct errbuf *err);
void dav_lock_table_free(struct dav_lock_table *t);

/* Takes a lock; on DAV_LOCK_OK *out is the new lock. */
enum dav_lock_status dav_lock_create(struct dav_lock_table *t,
    const struct dav_lock_request *req, time_t now, const struct dav_lock **out,
    struct errbuf *err);
/* Refreshes the lock `token` covering `path` with a new timeout. */
enum dav_lock_status dav_lock_refresh(struct dav_lock_table *t, const char *path,
    const char *token, const char *principal, unsigned timeout, time_t now,
    const struct dav_lock **out, struct errbuf *err);
/* UNLOCK: removes the lock `token` covering `path`. */
enum dav_lock_status dav_lock_remove(struct dav_lock_table *t, const char *path,
    const char *token, const char *principal, time_t now, struct errbuf *err);
/* Drops the locks rooted at or below `path` (DELETE, MOVE's source). */
enum dav_lock_status dav_lock_drop_tree(struct dav_lock_table *t, const char *path,
    time_t now, struct errbuf *err);

/* The locks covering `path` (for lockdiscovery): up to `max` into out;
 * returns how many there are in all. */
size_t dav_lock_find(struct dav_lock_table *t, const char *path, time_t now,
    const struct dav_lock **out, size_t max);
/* 1 when the lock `token` covers `path` (the If header's state tokens). */
int dav_lock_token_covers(struct dav_lock_table *t, const char *path, const char *token,
    time_t now);
/* May a request of `principal` that submitted `tokens` modify `path` (and,
 * when `tree` is set, everything below it)?  DAV_LOCK_OK or
 * DAV_LOCK_CONFLICT (423). */
enum dav_lock_status dav_lock_may_modify(struct dav_lock_table *t, const char *path, int tree,
    const char *const *tokens, size_t ntokens, const char *principal, time_t now);
/* How many locks the table holds at `now`. */
size_t dav_lock_count(struct dav_lock_table *t, time_t now);

#endif
