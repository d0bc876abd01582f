/*
 * dav_lock: the table of active WebDAV locks and its file (dav_lock.h).
 *
 * The table is a plain array: the locks are few (limits.max_locks) and
 * every question walks them all, which keeps each rule one loop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "atomic_file.h"
#include "dav_lock.h"
#include "fs_open.h"
#include "utf8.h"
#include "xmalloc.h"

struct dav_lock_table {
	struct dav_lock **locks;
	size_t nlocks;
	struct dav_lock_limits limits;
	char *file;		/* as given, for messages; NULL: not kept */
	char *dir;		/* its folder */
	char *name;		/* its last component */
};

/* "/a/b/" -> "/a/b"; "" -> "/". The caller frees it. */
static char *
path_normalize(const char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	return len == 0 ? xstrdup("/") : xstrndup(path, len);
}

/* 1 when `path` is `root` or lies below it (both normalized). */
static int
path_within(const char *path, const char *root)
{
	size_t len = strlen(root);

	if (strcmp(root, "/") == 0)
		return 1;
	return strncmp(path, root, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

static int
lock_covers(const struct dav_lock *l, const char *path)
{
	if (l->depth == DAV_LOCK_DEPTH_INFINITY)
		return path_within(path, l->root);
	return strcmp(path, l->root) == 0;
}

static void
lock_free(struct dav_lock *l)
{
	if (l == NULL)
		return;
	free(l->root);
	free(l->owner);
	free(l->principal);
	free(l);
}

static int
same_principal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Removes the lock at index i (order is not kept). */
static void
table_remove_at(struct dav_lock_table *t, size_t i)
{
	lock_free(t->locks[i]);
	t->locks[i] = t->locks[--t->nlocks];
}

/* Drops the locks expired at `now`; returns how many. */
static size_t
table_expire(struct dav_lock_table *t, time_t now)
{
	size_t dropped = 0;

	for (size_t i = 0; i < t->nlocks;) {
		if (t->locks[i]->expires <= now) {
			table_remove_at(t, i);
			dropped++;
		} else {
			i++;
		}
	}
	return dropped;
}

static ssize_t
table_index_of(const struct dav_lock_table *t, const char *token)
{
	for (size_t i = 0; i < t->nlocks; i++)
		if (strcmp(t->locks[i]->token, token) == 0)
			return (ssize_t)i;
	return -1;
}

/* "urn:uuid:" + a random (version 4, RFC 4122) UUID. */
static int
make_token(char token[DAV_LOCK_TOKEN_SIZE], struct errbuf *err)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return errbuf_set(err, "lock token: RAND_bytes failed");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(token, DAV_LOCK_TOKEN_SIZE,
	    "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	    b[13], b[14], b[15]);
	return 0;
}

/* ---- persistence ---- */

static json_t *
lock_to_json(const struct dav_lock *l)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}",
	    "token", l->token, "root", l->root,
	    "depth", l->depth == DAV_LOCK_DEPTH_INFINITY ? "infinity" : "0",
	    "scope", l->scope == DAV_LOCK_SHARED ? "shared" : "exclusive",
	    "timeout", (json_int_t)l->timeout, "expires", (json_int_t)l->expires);

	if (o == NULL)
		xalloc_failed("lock table JSON");
	if (l->owner != NULL && json_object_set_new(o, "owner", json_string(l->owner)) == -1)
		xalloc_failed("lock table JSON");
	if (l->principal != NULL &&
	    json_object_set_new(o, "principal", json_string(l->principal)) == -1)
		xalloc_failed("lock table JSON");
	return o;
}

static enum dav_lock_status
table_save(struct dav_lock_table *t, struct errbuf *err)
{
	json_t *root, *array;
	char *text = NULL;
	int dirfd = -1;
	enum dav_lock_status rc = DAV_LOCK_IO;

	if (t->file == NULL)
		return DAV_LOCK_OK;
	if ((array = json_array()) == NULL)
		xalloc_failed("lock table JSON");
	for (size_t i = 0; i < t->nlocks; i++)
		if (json_array_append_new(array, lock_to_json(t->locks[i])) == -1)
			xalloc_failed("lock table JSON");
	if ((root = json_pack("{s:i, s:o}", "version", 1, "locks", array)) == NULL)
		xalloc_failed("lock table JSON");
	if ((text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL)
		xalloc_failed("lock table JSON");
	if ((dirfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		errbuf_set_errno(err, "%s: open folder", t->file);
		goto out;
	}
	if (atomic_file_write(dirfd, t->name, text, strlen(text), 0600, err) == -1) {
		errbuf_prefix(err, "%s", t->file);
		goto out;
	}
	rc = DAV_LOCK_OK;
out:
	if (dirfd != -1)
		close(dirfd);
	free(text);
	json_decref(root);
	return rc;
}

static const char *
json_get_string(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
valid_token(const char *s)
{
	if (s == NULL || strlen(s) != DAV_LOCK_TOKEN_SIZE - 1 || strncmp(s, "urn:uuid:", 9) != 0)
		return 0;
	for (const char *p = s + 9; *p != '\0'; p++)
		if (strchr("0123456789abcdef-", *p) == NULL)
			return 0;
	return 1;
}

/* One element of "locks"; returns the lock or NULL with err naming it. */
static struct dav_lock *
lock_from_json(const struct dav_lock_table *t, json_t *o, size_t i, struct errbuf *err)
{
	const char *token = json_get_string(o, "token"), *root = json_get_string(o, "root");
	const char *depth = json_get_string(o, "depth"), *scope = json_get_string(o, "scope");
	const char *owner = json_get_string(o, "owner"), *who = json_get_string(o, "principal");
	json_t *timeout = json_object_get(o, "timeout"), *expires = json_object_get(o, "expires");
	struct dav_lock *l;
	const char *bad = NULL;

	if (!json_is_object(o))
		bad = ": not an object";
	else if (!valid_token(token))
		bad = ".token: not a urn:uuid: lock token";
	else if (root == NULL || root[0] != '/' || strlen(root) > DAV_LOCK_MAX_PATH)
		bad = ".root: not an absolute path";
	else if (depth == NULL || (strcmp(depth, "0") != 0 && strcmp(depth, "infinity") != 0))
		bad = ".depth: not \"0\" or \"infinity\"";
	else if (scope == NULL || (strcmp(scope, "exclusive") != 0 && strcmp(scope, "shared") != 0))
		bad = ".scope: not \"exclusive\" or \"shared\"";
	else if (!json_is_integer(timeout) || json_integer_value(timeout) < 0 ||
	    json_integer_value(timeout) > UINT_MAX)
		bad = ".timeout: not a number of seconds";
	else if (!json_is_integer(expires))
		bad = ".expires: not a time";
	else if ((json_object_get(o, "owner") != NULL && owner == NULL) ||
	    (owner != NULL && strlen(owner) > DAV_LOCK_MAX_OWNER))
		bad = ".owner: not a string within the limit";
	else if (json_object_get(o, "principal") != NULL && who == NULL)
		bad = ".principal: not a string";
	if (bad != NULL) {
		errbuf_set(err, "%s: locks[%zu]%s", t->file, i, bad);
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	strcpy(l->token, token);
	l->root = path_normalize(root);
	l->depth = strcmp(depth, "0") == 0 ? 0 : DAV_LOCK_DEPTH_INFINITY;
	l->scope = strcmp(scope, "shared") == 0 ? DAV_LOCK_SHARED : DAV_LOCK_EXCLUSIVE;
	l->owner = owner ? xstrdup(owner) : NULL;
	l->principal = who ? xstrdup(who) : NULL;
	l->timeout = (unsigned)json_integer_value(timeout);
	l->expires = (time_t)json_integer_value(expires);
	return l;
}

static int
table_load_json(struct dav_lock_table *t, json_t *doc, time_t now, struct errbuf *err)
{
	json_t *array = json_object_get(doc, "locks"), *o;
	size_t i;

	if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "version")) != 1)
		return errbuf_set(err, "%s: not a lock table of version 1", t->file);
	if (!json_is_array(array))
		return errbuf_set(err, "%s: locks: not an array", t->file);
	if (json_array_size(array) > t->limits.max_locks)
		return errbuf_set(err, "%s: more than %zu locks", t->file, t->limits.max_locks);
	json_array_foreach(array, i, o) {
		struct dav_lock *l = lock_from_json(t, o, i, err);

		if (l == NULL)
			return -1;
		if (table_index_of(t, l->token) != -1) {
			lock_free(l);
			return errbuf_set(err, "%s: locks[%zu].token: a duplicate", t->file, i);
		}
		t->locks = xreallocarray(t->locks, t->nlocks + 1, sizeof(*t->locks));
		t->locks[t->nlocks++] = l;
	}
	table_expire(t, now);
	return 0;
}

static int
table_load(struct dav_lock_table *t, time_t now, struct errbuf *err)
{
	char *text = NULL;
	size_t len;
	json_t *doc = NULL;
	json_error_t jerr;
	int rc = -1;

	if (fs_read_at(AT_FDCWD, t->file, 0, DAV_LOCK_MAX_FILE, &text, &len, err) == -1) {
		if (errno == ENOENT)
			return 0;
		return errbuf_prefix(err, "%s", t->file);
	}
	if ((doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		errbuf_set(err, "%s: line %d: %s", t->file, jerr.line, jerr.text);
		goto out;
	}
	rc = table_load_json(t, doc, now, err);
out:
	json_decref(doc);
	free(text);
	return rc;
}

/* ---- the table ---- */

struct dav_lock_table *
dav_lock_table_create(const char *file, const struct dav_lock_limits *limits, time_t now,
    struct errbuf *err)
{
	struct dav_lock_table *t = xcalloc(1, sizeof(*t));
	const char *slash;

	t->limits = *limits;
	if (t->limits.default_timeout > t->limits.max_timeout)
		t->limits.default_timeout = t->limits.max_timeout;
	if (file == NULL)
		return t;
	t->file = xstrdup(file);
	slash = strrchr(file, '/');
	t->dir = slash == NULL ? xstrdup(".") :
	    slash == file ? xstrdup("/") : xstrndup(file, (size_t)(slash - file));
	t->name = xstrdup(slash == NULL ? file : slash + 1);
	if (t->name[0] == '\0') {
		errbuf_set(err, "%s: not a file name", file);
		goto fail;
	}
	if (table_load(t, now, err) == -1)
		goto fail;
	return t;
fail:
	dav_lock_table_free(t);
	return NULL;
}

void
dav_lock_table_free(struct dav_lock_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nlocks; i++)
		lock_free(t->locks[i]);
	free(t->locks);
	free(t->file);
	free(t->dir);
	free(t->name);
	free(t);
}

/* 1 when the existing lock e and a new one (root, depth, scope) cannot both be held. */
static int
locks_conflict(const struct dav_lock *e, const char *root, int depth, enum dav_lock_scope scope)
{
	if (e->scope == DAV_LOCK_SHARED && scope == DAV_LOCK_SHARED)
		return 0;
	if (lock_covers(e, root))
		return 1;
	return depth == DAV_LOCK_DEPTH_INFINITY && path_within(e->root, root);
}

/* 1 when the optional string s is well-formed UTF-8 (the file is JSON). */
static int
text_valid(const char *s)
{
	return s == NULL || utf8_valid(s, strlen(s));
}

static enum dav_lock_status
check_request(const struct dav_lock_request *req, const char *root, struct errbuf *err)
{
	if (req->depth != 0 && req->depth != DAV_LOCK_DEPTH_INFINITY) {
		errbuf_set(err, "LOCK %s: depth neither 0 nor infinity", root);
		return DAV_LOCK_INVALID;
	}
	if (req->owner != NULL && strlen(req->owner) > DAV_LOCK_MAX_OWNER) {
		errbuf_set(err, "LOCK %s: owner longer than %d bytes", root, DAV_LOCK_MAX_OWNER);
		return DAV_LOCK_INVALID;
	}
	if (!text_valid(req->path) || !text_valid(req->owner) || !text_valid(req->principal)) {
		errbuf_set(err, "LOCK: the path, owner or user name is not UTF-8");
		return DAV_LOCK_INVALID;
	}
	return DAV_LOCK_OK;
}

static enum dav_lock_status
check_create(const struct dav_lock_table *t, const struct dav_lock_request *req,
    const char *root, struct errbuf *err)
{
	size_t mine = 0;

	for (size_t i = 0; i < t->nlocks; i++) {
		if (locks_conflict(t->locks[i], root, req->depth, req->scope)) {
			errbuf_set(err, "LOCK %s: conflicts with the lock on %s", root,
			    t->locks[i]->root);
			return DAV_LOCK_CONFLICT;
		}
		if (req->principal != NULL && same_principal(t->locks[i]->principal, req->principal))
			mine++;
	}
	if (t->nlocks >= t->limits.max_locks) {
		errbuf_set(err, "LOCK %s: the table holds its limit of %zu locks", root,
		    t->limits.max_locks);
		return DAV_LOCK_LIMIT;
	}
	if (req->principal != NULL && mine >= t->limits.max_per_principal) {
		errbuf_set(err, "LOCK %s: %s holds the limit of %zu locks", root, req->principal,
		    t->limits.max_per_principal);
		return DAV_LOCK_LIMIT;
	}
	return DAV_LOCK_OK;
}

static unsigned
capped_timeout(const struct dav_lock_table *t, unsigned timeout)
{
	if (timeout == 0)
		return t->limits.default_timeout;
	return timeout > t->limits.max_timeout ? t->limits.max_timeout : timeout;
}

enum dav_lock_status
dav_lock_create(struct dav_lock_table *t, const struct dav_lock_request *req, time_t now,
    const struct dav_lock **out, struct errbuf *err)
{
	struct dav_lock *l;
	enum dav_lock_status rc;

	*out = NULL;
	if (req->path == NULL || req->path[0] != '/' || strlen(req->path) > DAV_LOCK_MAX_PATH)
		return errbuf_set(err, "LOCK: not an absolute path within %d bytes",
		    DAV_LOCK_MAX_PATH), DAV_LOCK_INVALID;
	table_expire(t, now);
	l = xcalloc(1, sizeof(*l));
	l->root = path_normalize(req->path);
	if ((rc = check_request(req, l->root, err)) != DAV_LOCK_OK ||
	    (rc = check_create(t, req, l->root, err)) != DAV_LOCK_OK)
		goto fail;
	if (make_token(l->token, err) == -1) {
		rc = DAV_LOCK_IO;
		goto fail;
	}
	l->depth = req->depth;
	l->scope = req->scope;
	l->owner = req->owner ? xstrdup(req->owner) : NULL;
	l->principal = req->principal ? xstrdup(req->principal) : NULL;
	l->timeout = capped_timeout(t, req->timeout);
	l->expires = now + (time_t)l->timeout;
	t->locks = xreallocarray(t->locks, t->nlocks + 1, sizeof(*t->locks));
	t->locks[t->nlocks++] = l;
	if ((rc = table_save(t, err)) != DAV_LOCK_OK) {
		t->nlocks--;	/* taken back: it was never saved */
		goto fail;
	}
	*out = l;
	return DAV_LOCK_OK;
fail:
	lock_free(l);
	return rc;
}

/* The index of lock `token` covering `path` owned by `principal`, or -1 with rc set. */
static ssize_t
find_own_lock(struct dav_lock_table *t, const char *path, const char *token,
    const char *principal, enum dav_lock_status *rc, struct errbuf *err)
{
	char *norm = path_normalize(path);
	ssize_t i = table_index_of(t, token);

	if (i == -1 || !lock_covers(t->locks[i], norm)) {
		errbuf_set(err, "%s: no lock %s covers it", norm, token);
		*rc = DAV_LOCK_NOT_FOUND;
		i = -1;
	} else if (principal != NULL && !same_principal(t->locks[i]->principal, principal)) {
		errbuf_set(err, "%s: the lock %s belongs to another user", norm, token);
		*rc = DAV_LOCK_FORBIDDEN;
		i = -1;
	}
	free(norm);
	return i;
}

enum dav_lock_status
dav_lock_refresh(struct dav_lock_table *t, const char *path, const char *token,
    const char *principal, unsigned timeout, time_t now, const struct dav_lock **out,
    struct errbuf *err)
{
	enum dav_lock_status rc = DAV_LOCK_OK;
	ssize_t i;

	*out = NULL;
	table_expire(t, now);
	if ((i = find_own_lock(t, path, token, principal, &rc, err)) == -1)
		return rc;
	t->locks[i]->timeout = capped_timeout(t, timeout);
	t->locks[i]->expires = now + (time_t)t->locks[i]->timeout;
	*out = t->locks[i];
	return table_save(t, err);
}

enum dav_lock_status
dav_lock_remove(struct dav_lock_table *t, const char *path, const char *token,
    const char *principal, time_t now, struct errbuf *err)
{
	enum dav_lock_status rc = DAV_LOCK_OK;
	ssize_t i;

	table_expire(t, now);
	if ((i = find_own_lock(t, path, token, principal, &rc, err)) == -1)
		return rc;
	table_remove_at(t, (size_t)i);
	return table_save(t, err);
}

enum dav_lock_status
dav_lock_drop_tree(struct dav_lock_table *t, const char *path, time_t now, struct errbuf *err)
{
	char *norm = path_normalize(path);
	size_t dropped = table_expire(t, now);

	for (size_t i = 0; i < t->nlocks;) {
		if (path_within(t->locks[i]->root, norm)) {
			table_remove_at(t, i);
			dropped++;
		} else {
			i++;
		}
	}
	free(norm);
	return dropped > 0 ? table_save(t, err) : DAV_LOCK_OK;
}

size_t
dav_lock_find(struct dav_lock_table *t, const char *path, time_t now,
    const struct dav_lock **out, size_t max)
{
	char *norm = path_normalize(path);
	size_t n = 0;

	table_expire(t, now);
	for (size_t i = 0; i < t->nlocks; i++)
		if (lock_covers(t->locks[i], norm)) {
			if (n < max)
				out[n] = t->locks[i];
			n++;
		}
	free(norm);
	return n;
}

int
dav_lock_token_covers(struct dav_lock_table *t, const char *path, const char *token, time_t now)
{
	char *norm = path_normalize(path);
	ssize_t i;
	int covers;

	table_expire(t, now);
	i = table_index_of(t, token);
	covers = i != -1 && lock_covers(t->locks[i], norm);
	free(norm);
	return covers;
}

/* 1 when lock l's token is among `tokens` and `principal` may use it. */
static int
lock_submitted(const struct dav_lock *l, const char *const *tokens, size_t ntokens,
    const char *principal)
{
	if (principal != NULL && !same_principal(l->principal, principal))
		return 0;
	for (size_t i = 0; i < ntokens; i++)
		if (strcmp(tokens[i], l->token) == 0)
			return 1;
	return 0;
}

/* 1 when some submitted lock covers `resource` (for shared locks one of
 * them is enough; an exclusive lock is the only one on its resource). */
static int
resource_unlocked_by(struct dav_lock_table *t, const char *resource,
    const char *const *tokens, size_t ntokens, const char *principal)
{
	for (size_t i = 0; i < t->nlocks; i++)
		if (lock_covers(t->locks[i], resource) &&
		    lock_submitted(t->locks[i], tokens, ntokens, principal))
			return 1;
	return 0;
}

enum dav_lock_status
dav_lock_may_modify(struct dav_lock_table *t, const char *path, int tree,
    const char *const *tokens, size_t ntokens, const char *principal, time_t now)
{
	char *norm = path_normalize(path);
	enum dav_lock_status rc = DAV_LOCK_OK;

	table_expire(t, now);
	for (size_t i = 0; i < t->nlocks && rc == DAV_LOCK_OK; i++) {
		const struct dav_lock *l = t->locks[i];
		const char *resource;

		if (lock_covers(l, norm))
			resource = norm;
		else if (tree && path_within(l->root, norm))
			resource = l->root;
		else
			continue;
		if (!resource_unlocked_by(t, resource, tokens, ntokens, principal))
			rc = DAV_LOCK_CONFLICT;
	}
	free(norm);
	return rc;
}

size_t
dav_lock_count(struct dav_lock_table *t, time_t now)
{
	table_expire(t, now);
	return t->nlocks;
}
