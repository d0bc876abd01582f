/*
 * test_dav_lock: the lock table's rules (dav_lock.h) from tables of named
 * cases: conflicts by scope and depth, expiry on an injected clock,
 * refresh, unlock, "may modify", tree drops, limits, and the file: a round
 * trip, expired locks dropped at load, corrupt files named.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "dav_lock.h"
#include "xmalloc.h"

#define INF DAV_LOCK_DEPTH_INFINITY
#define EX DAV_LOCK_EXCLUSIVE
#define SH DAV_LOCK_SHARED

static const struct dav_lock_limits limits = { 8, 3, 600, 3600 };

static struct dav_lock_table *
new_table(void)
{
	return dav_lock_table_create(NULL, &limits, 1000, NULL);
}

static enum dav_lock_status
take(struct dav_lock_table *t, const char *path, int depth, enum dav_lock_scope scope,
    const char *who, unsigned timeout, time_t now, const struct dav_lock **out)
{
	struct dav_lock_request req = { path, depth, scope, NULL, who, timeout };
	const struct dav_lock *l;
	struct errbuf err;

	return dav_lock_create(t, &req, now, out ? out : &l, &err);
}

static const struct {
	const char *name;
	const char *old_path;
	int old_depth;
	enum dav_lock_scope old_scope;
	const char *new_path;
	int new_depth;
	enum dav_lock_scope new_scope;
	enum dav_lock_status want;
} conflict_cases[] = {
	{ "exclusive vs exclusive", "/a", 0, EX, "/a", 0, EX, DAV_LOCK_CONFLICT },
	{ "shared vs shared", "/a", 0, SH, "/a", 0, SH, DAV_LOCK_OK },
	{ "exclusive on a shared lock", "/a", 0, SH, "/a", 0, EX, DAV_LOCK_CONFLICT },
	{ "shared on an exclusive lock", "/a", 0, EX, "/a", 0, SH, DAV_LOCK_CONFLICT },
	{ "below a depth-infinity lock", "/a", INF, EX, "/a/b", 0, EX, DAV_LOCK_CONFLICT },
	{ "deep below a depth-infinity lock", "/a", INF, EX, "/a/b/c/d", 0, SH, DAV_LOCK_CONFLICT },
	{ "below a depth-0 lock", "/a", 0, EX, "/a/b", 0, EX, DAV_LOCK_OK },
	{ "depth infinity over a locked descendant", "/a/b", 0, EX, "/a", INF, EX,
	  DAV_LOCK_CONFLICT },
	{ "depth 0 over a locked descendant", "/a/b", 0, EX, "/a", 0, EX, DAV_LOCK_OK },
	{ "shared depth infinity over a shared descendant", "/a/b", 0, SH, "/a", INF, SH,
	  DAV_LOCK_OK },
	{ "exclusive depth infinity over a shared descendant", "/a/b", 0, SH, "/a", INF, EX,
	  DAV_LOCK_CONFLICT },
	{ "a name prefix is no ancestor", "/ab", 0, EX, "/a", INF, EX, DAV_LOCK_OK },
	{ "a sibling", "/a/b", INF, EX, "/a/c", INF, EX, DAV_LOCK_OK },
	{ "the root's depth-infinity lock", "/", INF, EX, "/x", 0, EX, DAV_LOCK_CONFLICT },
	{ "trailing slashes name the same folder", "/a/", INF, EX, "/a", 0, EX,
	  DAV_LOCK_CONFLICT },
	{ "depth 1 is refused", "/x", 0, EX, "/a", 1, EX, DAV_LOCK_INVALID },
	{ "a relative path is refused", "/x", 0, EX, "a", 0, EX, DAV_LOCK_INVALID },
};

static void
test_conflicts(void)
{
	for (size_t i = 0; i < sizeof(conflict_cases) / sizeof(conflict_cases[0]); i++) {
		struct dav_lock_table *t = new_table();
		enum dav_lock_status got;

		take(t, conflict_cases[i].old_path, conflict_cases[i].old_depth,
		    conflict_cases[i].old_scope, "alice", 60, 1000, NULL);
		got = take(t, conflict_cases[i].new_path, conflict_cases[i].new_depth,
		    conflict_cases[i].new_scope, "bob", 60, 1000, NULL);
		tap_ok(got == conflict_cases[i].want, "conflict: %s (status %d, want %d)",
		    conflict_cases[i].name, got, conflict_cases[i].want);
		dav_lock_table_free(t);
	}
}

static void
test_token_and_timeout(void)
{
	struct dav_lock_table *t = new_table();
	const struct dav_lock *a, *b;
	char token_a[DAV_LOCK_TOKEN_SIZE];

	take(t, "/a", 0, SH, "alice", 0, 1000, &a);
	strcpy(token_a, a->token);
	take(t, "/b", 0, SH, "alice", 99999, 1000, &b);
	tap_ok(strlen(token_a) == 45 && strncmp(token_a, "urn:uuid:", 9) == 0 &&
	    token_a[9 + 14] == '4' && token_a[9 + 8] == '-', "token: a urn:uuid: version 4 UUID");
	tap_ok(strcmp(token_a, b->token) != 0, "token: two locks, two tokens");
	tap_ok(dav_lock_token_covers(t, "/a", token_a, 1000) == 1 &&
	    dav_lock_token_covers(t, "/b", token_a, 1000) == 0, "token_covers: its path only");
	tap_ok(b->timeout == 3600 && b->expires == 1000 + 3600, "timeout: capped at the maximum");
	tap_ok(dav_lock_find(t, "/a", 1000, &a, 1) == 1 && a->timeout == 600,
	    "timeout: none asked gives the default");
	dav_lock_table_free(t);
}

static void
test_expiry(void)
{
	struct dav_lock_table *t = new_table();
	const struct dav_lock *l;

	take(t, "/a", INF, EX, "alice", 60, 1000, &l);
	tap_ok(dav_lock_count(t, 1059) == 1, "expiry: held one second before");
	tap_ok(take(t, "/a/b", 0, EX, "bob", 60, 1059, NULL) == DAV_LOCK_CONFLICT,
	    "expiry: still conflicts before");
	tap_ok(dav_lock_count(t, 1060) == 0, "expiry: gone at its time");
	tap_ok(take(t, "/a/b", 0, EX, "bob", 60, 1060, NULL) == DAV_LOCK_OK,
	    "expiry: no conflict after");
	dav_lock_table_free(t);
}

static void
test_refresh(void)
{
	struct dav_lock_table *t = new_table();
	const struct dav_lock *l, *r;
	char token[DAV_LOCK_TOKEN_SIZE];
	struct errbuf err;

	take(t, "/a", INF, EX, "alice", 60, 1000, &l);
	strcpy(token, l->token);
	tap_ok(dav_lock_refresh(t, "/a", token, "alice", 100, 1050, &r, &err) == DAV_LOCK_OK &&
	    r->expires == 1150, "refresh: a new expiry from now");
	tap_ok(dav_lock_count(t, 1100) == 1, "refresh: held past the old expiry");
	tap_ok(dav_lock_refresh(t, "/a/b/c", token, "alice", 100, 1100, &r, &err) == DAV_LOCK_OK,
	    "refresh: on a path the lock covers");
	tap_ok(dav_lock_refresh(t, "/a", "urn:uuid:nope", "alice", 100, 1100, &r, &err) ==
	    DAV_LOCK_NOT_FOUND && r == NULL, "refresh: an unknown token");
	tap_ok(dav_lock_refresh(t, "/b", token, "alice", 100, 1100, &r, &err) ==
	    DAV_LOCK_NOT_FOUND, "refresh: a path the lock does not cover");
	tap_ok(dav_lock_refresh(t, "/a", token, "bob", 100, 1100, &r, &err) ==
	    DAV_LOCK_FORBIDDEN, "refresh: another user's lock");
	tap_ok(dav_lock_refresh(t, "/a", token, "alice", 100, 1300, &r, &err) ==
	    DAV_LOCK_NOT_FOUND, "refresh: an expired lock is gone");
	dav_lock_table_free(t);
}

static void
test_unlock(void)
{
	struct dav_lock_table *t = new_table();
	const struct dav_lock *l;
	char token[DAV_LOCK_TOKEN_SIZE];
	struct errbuf err;

	take(t, "/a", 0, EX, "alice", 60, 1000, &l);
	strcpy(token, l->token);
	tap_ok(dav_lock_remove(t, "/a", "urn:uuid:nope", "alice", 1000, &err) ==
	    DAV_LOCK_NOT_FOUND, "unlock: an unknown token");
	tap_ok(dav_lock_remove(t, "/a/b", token, "alice", 1000, &err) == DAV_LOCK_NOT_FOUND,
	    "unlock: a path a depth-0 lock does not cover");
	tap_ok(dav_lock_remove(t, "/a", token, "bob", 1000, &err) == DAV_LOCK_FORBIDDEN &&
	    strstr(err.msg, "another user") != NULL, "unlock: another user's lock");
	tap_ok(dav_lock_remove(t, "/a/", token, "alice", 1000, &err) == DAV_LOCK_OK &&
	    dav_lock_count(t, 1000) == 0, "unlock: removed");
	tap_ok(dav_lock_remove(t, "/a", token, "alice", 1000, &err) == DAV_LOCK_NOT_FOUND,
	    "unlock: twice");
	dav_lock_table_free(t);
}

static void
test_find(void)
{
	struct dav_lock_table *t = new_table();
	const struct dav_lock *found[4];

	take(t, "/a", INF, SH, "alice", 60, 1000, NULL);
	take(t, "/a/b", 0, SH, "bob", 60, 1000, NULL);
	take(t, "/a/c", 0, SH, "bob", 60, 1000, NULL);
	tap_ok(dav_lock_find(t, "/a/b", 1000, found, 4) == 2, "find: the ancestor's and its own");
	tap_ok(dav_lock_find(t, "/a/b", 1000, found, 1) == 2, "find: counts past max");
	tap_ok(dav_lock_find(t, "/a", 1000, found, 4) == 1, "find: not the descendants'");
	tap_ok(dav_lock_find(t, "/z", 1000, found, 4) == 0, "find: none elsewhere");
	dav_lock_table_free(t);
}

static void
test_may_modify(void)
{
	struct dav_lock_table *t = new_table();
	const struct dav_lock *l;
	char ta[DAV_LOCK_TOKEN_SIZE], tc[DAV_LOCK_TOKEN_SIZE], ts[DAV_LOCK_TOKEN_SIZE];
	const char *none[1] = { NULL }, *with_a[1] = { ta }, *with_c[1] = { tc };
	const char *with_s[2] = { "urn:uuid:other", ts };

	tap_ok(dav_lock_may_modify(t, "/a", 1, none, 0, "alice", 1000) == DAV_LOCK_OK,
	    "may modify: nothing locked");
	take(t, "/a", INF, EX, "alice", 60, 1000, &l);
	strcpy(ta, l->token);
	take(t, "/b/c", 0, EX, "alice", 60, 1000, &l);
	strcpy(tc, l->token);
	take(t, "/s", 0, SH, "alice", 60, 1000, NULL);
	take(t, "/s", 0, SH, "bob", 60, 1000, &l);
	strcpy(ts, l->token);
	tap_ok(dav_lock_may_modify(t, "/a", 0, none, 0, "alice", 1000) == DAV_LOCK_CONFLICT,
	    "may modify: locked, no token");
	tap_ok(dav_lock_may_modify(t, "/a/x", 0, none, 0, "alice", 1000) == DAV_LOCK_CONFLICT,
	    "may modify: below a depth-infinity lock, no token");
	tap_ok(dav_lock_may_modify(t, "/a/x", 0, with_a, 1, "alice", 1000) == DAV_LOCK_OK,
	    "may modify: the owner's token");
	tap_ok(dav_lock_may_modify(t, "/a", 0, with_a, 1, "bob", 1000) == DAV_LOCK_CONFLICT,
	    "may modify: the token from another user");
	tap_ok(dav_lock_may_modify(t, "/b", 0, none, 0, "bob", 1000) == DAV_LOCK_OK,
	    "may modify: the parent of a locked file, alone");
	tap_ok(dav_lock_may_modify(t, "/b", 1, none, 0, "alice", 1000) == DAV_LOCK_CONFLICT,
	    "may modify: a tree holding a lock, no token");
	tap_ok(dav_lock_may_modify(t, "/b", 1, with_c, 1, "alice", 1000) == DAV_LOCK_OK,
	    "may modify: a tree holding a lock, its token");
	tap_ok(dav_lock_may_modify(t, "/s", 0, with_s, 2, "bob", 1000) == DAV_LOCK_OK,
	    "may modify: one of the shared locks' tokens");
	tap_ok(dav_lock_may_modify(t, "/s", 0, with_a, 1, "alice", 1000) == DAV_LOCK_CONFLICT,
	    "may modify: shared locks, an unrelated token");
	tap_ok(dav_lock_may_modify(t, "/a", 0, none, 0, "alice", 1060) == DAV_LOCK_OK,
	    "may modify: an expired lock no longer blocks");
	dav_lock_table_free(t);
}

static void
test_drop_tree(void)
{
	struct dav_lock_table *t = new_table();
	const struct dav_lock *found[4];
	struct errbuf err;

	take(t, "/a", 0, EX, "alice", 60, 1000, NULL);
	take(t, "/a/b", INF, EX, "bob", 60, 1000, NULL);
	take(t, "/ab", 0, EX, "carol", 60, 1000, NULL);
	take(t, "/", 0, EX, "dave", 60, 1000, NULL);
	tap_ok(dav_lock_drop_tree(t, "/a/", 1000, &err) == DAV_LOCK_OK &&
	    dav_lock_count(t, 1000) == 2, "drop tree: the tree's locks only");
	tap_ok(dav_lock_find(t, "/ab", 1000, found, 4) == 1 &&
	    dav_lock_find(t, "/", 1000, found, 4) == 1, "drop tree: a name prefix and the parent kept");
	dav_lock_table_free(t);
}

static void
test_limits(void)
{
	struct dav_lock_table *t = new_table();
	struct dav_lock_request req = { "/o", 0, EX, NULL, "zoe", 60 };
	const struct dav_lock *l;
	struct errbuf err;
	char *owner;
	int ok = 1;

	for (int i = 0; i < 3; i++) {
		char path[16];

		snprintf(path, sizeof(path), "/p%d", i);
		ok &= take(t, path, 0, EX, "alice", 60, 1000, NULL) == DAV_LOCK_OK;
	}
	tap_ok(ok && take(t, "/p9", 0, EX, "alice", 60, 1000, NULL) == DAV_LOCK_LIMIT,
	    "limit: locks per user");
	for (int i = 0; i < 5; i++) {
		char path[16];

		snprintf(path, sizeof(path), "/q%d", i);
		take(t, path, 0, EX, i < 3 ? "bob" : "carol", 60, 1000, NULL);
	}
	tap_ok(dav_lock_count(t, 1000) == 8 &&
	    take(t, "/q9", 0, EX, "carol", 60, 1000, NULL) == DAV_LOCK_LIMIT, "limit: locks in all");
	dav_lock_table_free(t);
	t = new_table();
	owner = xmalloc(DAV_LOCK_MAX_OWNER + 2);
	memset(owner, 'x', DAV_LOCK_MAX_OWNER + 1);
	owner[DAV_LOCK_MAX_OWNER + 1] = '\0';
	req.owner = owner;
	tap_ok(dav_lock_create(t, &req, 1000, &l, &err) == DAV_LOCK_INVALID,
	    "limit: owner XML length");
	free(owner);
	dav_lock_table_free(t);
}

static char tmpdir[] = "/tmp/test_dav_lock.XXXXXX";

static char *
tmp_file(const char *name, const char *content)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f;

	if (content != NULL && (f = fopen(path, "w")) != NULL) {
		fputs(content, f);
		fclose(f);
	}
	return path;
}

static void
test_persistence(void)
{
	char *file = tmp_file("locks.json", NULL);
	struct dav_lock_table *t;
	struct dav_lock_request req = { "/dir/", INF, SH, "<D:owner xmlns:D=\"DAV:\">é \"q\"</D:owner>",
	    "alice", 3000 };
	const struct dav_lock *l, *found[2];
	char token[DAV_LOCK_TOKEN_SIZE];
	struct errbuf err;

	t = dav_lock_table_create(file, &limits, 1000, &err);
	tap_ok(t != NULL && dav_lock_count(t, 1000) == 0, "file: a missing file is an empty table");
	dav_lock_create(t, &req, 1000, &l, &err);
	strcpy(token, l->token);
	take(t, "/short", 0, EX, NULL, 60, 1000, NULL);
	dav_lock_table_free(t);
	t = dav_lock_table_create(file, &limits, 1050, &err);
	tap_ok(t != NULL && dav_lock_count(t, 1050) == 2, "file: both locks back");
	tap_ok(t != NULL && dav_lock_find(t, "/dir/x", 1050, found, 2) == 1 &&
	    strcmp(found[0]->token, token) == 0 && strcmp(found[0]->root, "/dir") == 0 &&
	    found[0]->depth == INF && found[0]->scope == SH && found[0]->timeout == 3000 &&
	    found[0]->expires == 4000 && strcmp(found[0]->owner, req.owner) == 0 &&
	    strcmp(found[0]->principal, "alice") == 0, "file: every field back");
	tap_ok(t != NULL && dav_lock_find(t, "/short", 1050, found, 2) == 1 &&
	    found[0]->owner == NULL && found[0]->principal == NULL, "file: absent owner and user");
	dav_lock_table_free(t);
	t = dav_lock_table_create(file, &limits, 2000, &err);
	/* asked with an earlier clock: only the load itself can have dropped it */
	tap_ok(t != NULL && dav_lock_count(t, 1050) == 1, "file: an expired lock dropped at load");
	dav_lock_remove(t, "/dir", token, "alice", 2000, &err);
	dav_lock_table_free(t);
	t = dav_lock_table_create(file, &limits, 2000, &err);
	tap_ok(t != NULL && dav_lock_count(t, 2000) == 0, "file: unlock saved");
	dav_lock_table_free(t);
	unlink(file);
	free(file);
}

/* JSON holds UTF-8 only: other bytes are refused before the file sees them. */
static void
test_not_utf8(void)
{
	char *file = tmp_file("utf8.json", NULL);
	struct dav_lock_table *t = dav_lock_table_create(file, &limits, 1000, NULL);
	struct dav_lock_request req = { "/a", 0, EX, "<owner>\xff</owner>", "alice", 60 };
	const struct dav_lock *l;
	struct errbuf err;

	tap_ok(t != NULL && dav_lock_create(t, &req, 1000, &l, &err) == DAV_LOCK_INVALID,
	    "utf-8: an owner that is not UTF-8 is refused");
	req.owner = NULL;
	req.path = "/\xc3(";
	tap_ok(t != NULL && dav_lock_create(t, &req, 1000, &l, &err) == DAV_LOCK_INVALID,
	    "utf-8: a path that is not UTF-8 is refused");
	req.path = "/a";
	req.principal = "\xe9ve";
	tap_ok(t != NULL && dav_lock_create(t, &req, 1000, &l, &err) == DAV_LOCK_INVALID &&
	    dav_lock_count(t, 1000) == 0, "utf-8: a user name that is not UTF-8 is refused");
	dav_lock_table_free(t);
	unlink(file);
	free(file);
}

static void
test_save_failure(void)
{
	char *file = tmp_file("nowhere/locks.json", NULL);
	struct dav_lock_table *t = dav_lock_table_create(file, &limits, 1000, NULL);
	struct dav_lock_request req = { "/a", 0, EX, NULL, "alice", 60 };
	const struct dav_lock *l = (const struct dav_lock *)1;
	struct errbuf err;

	tap_ok(t != NULL && dav_lock_create(t, &req, 1000, &l, &err) == DAV_LOCK_IO && l == NULL &&
	    strstr(err.msg, file) != NULL && dav_lock_count(t, 1000) == 0,
	    "file: a failed save names the file and takes the lock back");
	dav_lock_table_free(t);
	free(file);
}

#define GOOD_TOKEN "urn:uuid:181d4fae-7d8c-41d0-a765-00a0c91e6bf2"
#define LOCK_FIELDS "\"root\":\"/a\",\"scope\":\"shared\",\"timeout\":60,\"expires\":9000"

static const struct {
	const char *name, *content, *field;	/* field: what the error names */
} corrupt_cases[] = {
	{ "not JSON", "{\"version\":1, \"locks\": [", "line" },
	{ "empty", "", "line" },
	{ "another version", "{\"version\":2,\"locks\":[]}", "version 1" },
	{ "locks not an array", "{\"version\":1,\"locks\":{}}", "locks: not an array" },
	{ "a lock not an object", "{\"version\":1,\"locks\":[1]}", "locks[0]" },
	{ "a bad token", "{\"version\":1,\"locks\":[{\"token\":\"x\",\"depth\":\"0\","
	  LOCK_FIELDS "}]}", "locks[0].token" },
	{ "a bad depth", "{\"version\":1,\"locks\":[{\"token\":\"" GOOD_TOKEN "\",\"depth\":\"1\","
	  LOCK_FIELDS "}]}", "locks[0].depth" },
	{ "a relative root", "{\"version\":1,\"locks\":[{\"token\":\"" GOOD_TOKEN "\","
	  "\"depth\":\"0\",\"root\":\"a\",\"scope\":\"shared\",\"timeout\":60,\"expires\":9000}]}",
	  "locks[0].root" },
	{ "a duplicate token", "{\"version\":1,\"locks\":[{\"token\":\"" GOOD_TOKEN "\","
	  "\"depth\":\"0\"," LOCK_FIELDS "},{\"token\":\"" GOOD_TOKEN "\",\"depth\":\"0\","
	  LOCK_FIELDS "}]}", "locks[1].token" },
	{ "a negative timeout", "{\"version\":1,\"locks\":[{\"token\":\"" GOOD_TOKEN "\","
	  "\"depth\":\"0\",\"root\":\"/a\",\"scope\":\"shared\",\"timeout\":-1,\"expires\":9000}]}",
	  "locks[0].timeout" },
	{ "an owner not a string", "{\"version\":1,\"locks\":[{\"token\":\"" GOOD_TOKEN "\","
	  "\"depth\":\"0\",\"owner\":5," LOCK_FIELDS "}]}", "locks[0].owner" },
};

static void
test_corrupt_files(void)
{
	for (size_t i = 0; i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++) {
		char *file = tmp_file("corrupt.json", corrupt_cases[i].content);
		struct dav_lock_table *t;
		struct errbuf err = { "" };

		t = dav_lock_table_create(file, &limits, 1000, &err);
		tap_ok(t == NULL && strstr(err.msg, file) != NULL &&
		    strstr(err.msg, corrupt_cases[i].field) != NULL,
		    "corrupt file: %s (%s)", corrupt_cases[i].name, err.msg);
		dav_lock_table_free(t);
		unlink(file);
		free(file);
	}
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_conflicts();
	test_token_and_timeout();
	test_expiry();
	test_refresh();
	test_unlock();
	test_find();
	test_may_modify();
	test_drop_tree();
	test_limits();
	test_persistence();
	test_not_utf8();
	test_save_failure();
	test_corrupt_files();
	rmdir(tmpdir);
	return tap_done();
}
