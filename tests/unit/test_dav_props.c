/*
 * test_dav_props: WebDAV dead properties on disk: set/get/remove in order,
 * all-or-nothing PROPPATCH with per-property statuses, limits, names in
 * unusual namespaces, COPY/MOVE/DELETE of trees, persistence across a
 * reopen, and corrupt files named in the error.
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

#include "../tap.h"
#include "copy_hash.h"
#include "dav_props.h"

static char root[] = "/tmp/test_dav_props.XXXXXX";
static char state[sizeof(root) + 16];

#define SET(ns, n, v)	{ DAV_PROP_SET, ns, n, v, sizeof(v) - 1, 0 }
#define DEL(ns, n)	{ DAV_PROP_REMOVE, ns, n, NULL, 0, 0 }

/* The value of {ns}name on path as a string, "(none)" when absent,
 * "(error)" when the read fails. */
static const char *
prop_value(struct dav_props *dp, const char *path, const char *ns, const char *name)
{
	static char buf[4096];
	struct dav_proplist list;
	struct errbuf err;

	if (dav_props_get(dp, path, &list, &err) == -1)
		return "(error)";
	snprintf(buf, sizeof(buf), "(none)");
	for (size_t i = 0; i < list.count; i++)
		if (strcmp(list.props[i].ns, ns) == 0 && strcmp(list.props[i].name, name) == 0)
			snprintf(buf, sizeof(buf), "%s", list.props[i].value);
	dav_proplist_free(&list);
	return buf;
}

static size_t
prop_count(struct dav_props *dp, const char *path)
{
	struct dav_proplist list;
	struct errbuf err;
	size_t n;

	if (dav_props_get(dp, path, &list, &err) == -1)
		return (size_t)-1;
	n = list.count;
	dav_proplist_free(&list);
	return n;
}

static int
set_one(struct dav_props *dp, const char *path, const char *name, const char *value)
{
	struct dav_prop_update u = { DAV_PROP_SET, "urn:t", name, value, strlen(value), 0 };
	struct errbuf err;

	return dav_props_patch(dp, path, &u, 1, &err);
}

/* Does the mirror folder of path exist below the state folder? */
static int
mirror_exists(const char *path)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", state, path);
	return stat(p, &st) == 0;
}

static void
write_file(const char *path, const char *text)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", state, path);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/%s", state, path, DAV_PROPS_FILE);
	if ((f = fopen(p, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* A PROPPATCH, its expected return, statuses and resulting values. */
struct patch_case {
	const char *name;
	struct dav_prop_update u[4];
	size_t n;
	int want_rc;
	int want_status[4];
	const char *after_x;	/* value of {urn:t}x afterwards */
	size_t after_count;
};

static const struct patch_case patch_cases[] = {
	{ "set one", { SET("urn:t", "x", "1") }, 1, 0, { 200 }, "1", 1 },
	{ "set two, replace the first", { SET("urn:t", "x", "2"), SET("urn:t", "y", "<a/>") },
	  2, 0, { 200, 200 }, "2", 2 },
	{ "set then remove in one request: order kept",
	  { SET("urn:t", "x", "3"), DEL("urn:t", "x") }, 2, 0, { 200, 200 }, "(none)", 1 },
	{ "remove then set", { DEL("urn:t", "y"), SET("urn:t", "x", "4") }, 2, 0, { 200, 200 },
	  "4", 1 },
	{ "remove of a missing property succeeds", { DEL("urn:t", "nope") }, 1, 0, { 200 },
	  "4", 1 },
	{ "value over the limit: 507, the others 424, nothing applied",
	  { SET("urn:t", "x", "5"), SET("urn:t", "big", "0123456789abcdefg"),
	    DEL("urn:t", "x") }, 3, DAV_PROPS_REFUSED, { 424, 507, 424 }, "4", 1 },
	{ "count crossed mid-list: nothing applied",
	  { SET("urn:t", "a", "1"), SET("urn:t", "b", "1"), SET("urn:t", "c", "1"),
	    SET("urn:t", "x", "6") }, 4, DAV_PROPS_REFUSED, { 424, 424, 507, 424 }, "4", 1 },
	{ "count counted after a remove in the same request",
	  { DEL("urn:t", "x"), SET("urn:t", "a", "1"), SET("urn:t", "b", "1"),
	    SET("urn:t", "c", "1") }, 4, 0, { 200, 200, 200, 200 }, "(none)", 3 },
	{ "total bytes crossed: nothing applied",
	  { SET("urn:t", "a", "0123456789abcdef"), SET("urn:t", "b", "0123456789abcdef") }, 2,
	  DAV_PROPS_REFUSED, { 424, 507 }, "(none)", 3 },
	{ "empty local name: 403", { SET("urn:t", "a", "7"), SET("urn:t", "", "v") }, 2,
	  DAV_PROPS_REFUSED, { 424, 403 }, "(none)", 3 },
	{ "local name not UTF-8: 403", { SET("urn:t", "\xff\xfe", "v") }, 1, DAV_PROPS_REFUSED,
	  { 403 }, "(none)", 3 },
	{ "clear all", { DEL("urn:t", "a"), DEL("urn:t", "b"), DEL("urn:t", "c") }, 3, 0,
	  { 200, 200, 200 }, "(none)", 0 },
};

static void
test_patch_table(void)
{
	struct dav_props_limits lim = { 3, 16, 48 };
	struct dav_props *dp;
	struct errbuf err;

	dp = dav_props_open(state, &lim, &err);
	tap_ok(dp != NULL, "open %s", state);
	for (size_t c = 0; dp != NULL && c < sizeof(patch_cases) / sizeof(*patch_cases); c++) {
		const struct patch_case *pc = &patch_cases[c];
		struct dav_prop_update u[4];
		int rc, same = 1;

		memcpy(u, pc->u, sizeof(u));
		err.msg[0] = '\0';
		rc = dav_props_patch(dp, "f.bin", u, pc->n, &err);
		for (size_t i = 0; i < pc->n; i++)
			same &= u[i].status == pc->want_status[i];
		tap_ok(rc == pc->want_rc && same, "%s: rc %d, statuses", pc->name, rc);
		if (rc != 0)
			tap_diag(err.msg);
		tap_str_eq(prop_value(dp, "f.bin", "urn:t", "x"), pc->after_x, pc->name);
		tap_ok(prop_count(dp, "f.bin") == pc->after_count, "%s: %zu properties", pc->name,
		    pc->after_count);
	}
	tap_ok(!mirror_exists("f.bin"), "no properties left: the mirror folder is pruned");
	dav_props_free(dp);
}

static void
test_refusal_message(void)
{
	struct dav_props_limits lim = { 3, 4, 100 };
	struct dav_prop_update u[] = { SET("urn:t", "ok", "1"), SET("urn:q", "long", "12345") };
	struct dav_props *dp = dav_props_open(state, &lim, NULL);
	struct errbuf err;

	tap_ok(dav_props_patch(dp, "m", u, 2, &err) == DAV_PROPS_REFUSED &&
	    strstr(err.msg, "{urn:q}long") != NULL && strstr(err.msg, "5 bytes") != NULL,
	    "the refusal names the property at fault and the size");
	tap_diag(err.msg);
	dav_props_free(dp);
}

/* Names in unusual namespaces and values of any bytes, read back after a
 * reopen of the state folder. */
static void
test_unusual_names_and_reopen(void)
{
	static char long_ns[DAV_PROPS_MAX_NS + 1], too_long[DAV_PROPS_MAX_NS + 2];
	static const char bin[] = "a\0b\xff\xfe", nul[] = "a\0b";
	struct dav_prop_update u[] = {
		SET("", "plain", "no namespace"),
		{ DAV_PROP_SET, long_ns, "x", "long", 4, 0 },
		SET("urn:ünï", "größe", "<z:a xmlns:z=\"urn:z\">ä</z:a>"),
		{ DAV_PROP_SET, "urn:bin", "bytes", bin, sizeof(bin) - 1, 0 },
		{ DAV_PROP_SET, "urn:bin", "nul", nul, sizeof(nul) - 1, 0 },
	};
	struct dav_prop_update bad = { DAV_PROP_SET, too_long, "x", "v", 1, 0 };
	struct dav_proplist list;
	struct dav_props *dp;
	struct errbuf err;
	int found_bin = 0, found_nul = 0;

	memset(long_ns, 'n', DAV_PROPS_MAX_NS);
	memset(too_long, 'n', DAV_PROPS_MAX_NS + 1);
	dp = dav_props_open(state, NULL, &err);
	tap_ok(dav_props_patch(dp, "dir/ü file.txt", u, 5, &err) == 0, "unusual names set");
	tap_ok(dav_props_patch(dp, "dir/ü file.txt", &bad, 1, &err) == DAV_PROPS_REFUSED &&
	    bad.status == 403, "a namespace over %d bytes: 403", DAV_PROPS_MAX_NS);
	dav_props_free(dp);

	dp = dav_props_open(state, NULL, &err);
	tap_str_eq(prop_value(dp, "dir/ü file.txt", "", "plain"), "no namespace",
	    "empty namespace after reopen");
	tap_str_eq(prop_value(dp, "dir/ü file.txt", long_ns, "x"), "long",
	    "1024-byte namespace after reopen");
	tap_str_eq(prop_value(dp, "dir/ü file.txt/", "urn:ünï", "größe"),
	    "<z:a xmlns:z=\"urn:z\">ä</z:a>", "non-ASCII name, trailing '/' ignored");
	tap_str_eq(prop_value(dp, "dir/ü file.txt", "urn:t", "plain"), "(none)",
	    "same local name in another namespace is another property");
	if (dav_props_get(dp, "dir/ü file.txt", &list, &err) == 0) {
		for (size_t i = 0; i < list.count; i++)
			if (strcmp(list.props[i].name, "bytes") == 0)
				found_bin = list.props[i].len == sizeof(bin) - 1 &&
				    memcmp(list.props[i].value, bin, sizeof(bin) - 1) == 0;
			else if (strcmp(list.props[i].name, "nul") == 0)
				found_nul = list.props[i].len == sizeof(nul) - 1 &&
				    memcmp(list.props[i].value, nul, sizeof(nul) - 1) == 0;
		tap_ok(list.count == 5 && strcmp(list.props[0].name, "plain") == 0 &&
		    strcmp(list.props[3].name, "bytes") == 0, "order of first setting kept");
		dav_proplist_free(&list);
	}
	tap_ok(found_bin, "a value with NUL and non-UTF-8 bytes comes back byte for byte");
	tap_ok(found_nul, "a UTF-8 value with a NUL byte comes back byte for byte");
	tap_ok(dav_props_delete(dp, "dir", &err) == 0 && !mirror_exists("dir"),
	    "delete of the folder removes its members' properties");
	dav_props_free(dp);
}

struct tree_case {
	const char *path;
	const char *want;	/* value of {urn:t}v, or "(none)" */
};

/* Checks a table of paths after a tree operation. */
static void
check_tree(struct dav_props *dp, const char *what, const struct tree_case *tc, size_t n)
{
	char name[256];

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s: %s", what, tc[i].path);
		tap_str_eq(prop_value(dp, tc[i].path, "urn:t", "v"), tc[i].want, name);
	}
}

#define CHECK_TREE(dp, what, ...) do { \
	static const struct tree_case tc_[] = { __VA_ARGS__ }; \
	check_tree(dp, what, tc_, sizeof(tc_) / sizeof(*tc_)); \
} while (0)

static void
test_trees(void)
{
	struct dav_props *dp = dav_props_open(state, NULL, NULL);
	struct errbuf err;

	set_one(dp, "a", "v", "A");
	set_one(dp, "a/b", "v", "AB");
	set_one(dp, "a/b/c", "v", "ABC");
	set_one(dp, "a/other", "w", "no v");
	set_one(dp, "t", "v", "T");
	set_one(dp, "t/old", "v", "TOLD");

	tap_ok(dav_props_copy(dp, "a", "y", 1, &err) == 0, "copy a -> y, depth infinity");
	CHECK_TREE(dp, "deep copy", { "y", "A" }, { "y/b", "AB" }, { "y/b/c", "ABC" },
	    { "a/b/c", "ABC" });
	tap_ok(dav_props_copy(dp, "a", "z", 0, &err) == 0, "copy a -> z, depth 0");
	CHECK_TREE(dp, "shallow copy", { "z", "A" }, { "z/b", "(none)" });
	tap_ok(dav_props_copy(dp, "a/b", "t", 1, &err) == 0, "copy over t");
	CHECK_TREE(dp, "overwritten", { "t", "AB" }, { "t/c", "ABC" }, { "t/old", "(none)" });
	tap_ok(dav_props_copy(dp, "nothing", "z", 1, &err) == 0 && !mirror_exists("z"),
	    "copy of a resource without properties clears the destination's");

	tap_ok(dav_props_move(dp, "a", "m/n", &err) == 0, "move a -> m/n");
	CHECK_TREE(dp, "moved", { "m/n", "A" }, { "m/n/b/c", "ABC" }, { "a", "(none)" },
	    { "a/b", "(none)" });
	tap_ok(!mirror_exists("a"), "the source's mirror folder is gone");
	tap_ok(dav_props_move(dp, "y", "t", &err) == 0, "move y over t");
	CHECK_TREE(dp, "moved over", { "t", "A" }, { "t/b", "AB" }, { "t/c", "(none)" },
	    { "y", "(none)" });

	tap_ok(dav_props_move(dp, "m", "m/n/q", &err) == -1, "move into itself refused");
	tap_diag(err.msg);
	tap_ok(dav_props_copy(dp, "m/n", "m", 1, &err) == -1, "copy onto an ancestor refused");
	tap_ok(dav_props_move(dp, "m", "m", &err) == -1, "move onto itself refused");
	tap_ok(dav_props_delete(dp, "m/n/b", &err) == 0, "delete m/n/b");
	CHECK_TREE(dp, "deleted", { "m/n", "A" }, { "m/n/b", "(none)" }, { "m/n/b/c", "(none)" });
	tap_ok(dav_props_delete(dp, "m", &err) == 0 && dav_props_delete(dp, "t", &err) == 0 &&
	    !mirror_exists("m") && !mirror_exists("t"), "delete trees");
	tap_ok(dav_props_delete(dp, "never/was", &err) == 0, "delete of nothing succeeds");
	dav_props_free(dp);
}

static void
test_bad_paths(void)
{
	static const char *paths[] = { "../x", "a/../b", ".hidden", "a/.props.json", "a//b",
	    "/abs", "a/./b" };
	struct dav_props *dp = dav_props_open(state, NULL, NULL);
	struct dav_proplist list;
	struct errbuf err;

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		tap_ok(dav_props_get(dp, paths[i], &list, &err) == -1 &&
		    set_one(dp, paths[i], "v", "x") == -1, "path refused: %s", paths[i]);
	tap_ok(dav_props_delete(dp, "", &err) == -1, "delete of the root refused");
	tap_ok(dav_props_get(dp, "ok/.\x01\xff", &list, &err) == -1 &&
	    strstr(err.msg, "\"ok/.\\x01\\xff\": not a canonical") != NULL,
	    "a refused path is shown escaped");
	tap_diag(err.msg);
	tap_ok(dav_props_get(dp, "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/0/1/2/3/4/5/6",
	    &list, &err) == -1 && strstr(err.msg, "too many segments") != NULL,
	    "33 segments refused");
	dav_props_free(dp);
}

struct corrupt_case {
	const char *name;
	const char *text;
	const char *want;	/* in the message */
};

static const struct corrupt_case corrupt_cases[] = {
	{ "not JSON", "{\"format\":", "line 1" },
	{ "wrong format", "{\"format\":\"x\",\"version\":1,\"props\":[]}", "format" },
	{ "wrong version", "{\"format\":\"storesrv-dav-props\",\"version\":9,\"props\":[]}",
	  "version" },
	{ "entry without name",
	  "{\"format\":\"storesrv-dav-props\",\"version\":1,\"props\":[{\"ns\":\"\"}]}",
	  "props[0]" },
	{ "bad base64", "{\"format\":\"storesrv-dav-props\",\"version\":1,\"props\":"
	  "[{\"ns\":\"\",\"name\":\"n\",\"value_base64\":\"!!!\"}]}", "value_base64" },
	{ "two values", "{\"format\":\"storesrv-dav-props\",\"version\":1,\"props\":"
	  "[{\"ns\":\"\",\"name\":\"n\",\"value\":\"a\",\"value_base64\":\"YQ==\"}]}",
	  "props[0]" },
	{ "same name twice", "{\"format\":\"storesrv-dav-props\",\"version\":1,\"props\":"
	  "[{\"ns\":\"\",\"name\":\"n\",\"value\":\"a\"},{\"ns\":\"\",\"name\":\"n\","
	  "\"value\":\"b\"}]}", "props[1]" },
};

static void
test_corrupt(void)
{
	struct dav_props_limits lim = { 2, 8, 16 };
	struct dav_props *dp = dav_props_open(state, &lim, NULL);
	struct dav_prop_update u = SET("urn:t", "x", "1");
	struct dav_proplist list;
	struct errbuf err;
	char big[8192];
	int rc;

	for (size_t c = 0; c < sizeof(corrupt_cases) / sizeof(*corrupt_cases); c++) {
		write_file("bad", corrupt_cases[c].text);
		rc = dav_props_get(dp, "bad", &list, &err);
		tap_ok(rc == -1 && strstr(err.msg, "/bad/.props.json") != NULL &&
		    strstr(err.msg, corrupt_cases[c].want) != NULL, "corrupt (%s) named",
		    corrupt_cases[c].name);
		tap_diag(err.msg);
	}
	tap_ok(dav_props_patch(dp, "bad", &u, 1, &err) == -1 && u.status == 500,
	    "patch of a corrupt resource fails with 500");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file("bad", big);
	tap_ok(dav_props_get(dp, "bad", &list, &err) == -1 && strstr(err.msg, "longer") != NULL,
	    "oversized props file refused");
	tap_diag(err.msg);
	tap_ok(set_one(dp, "good", "x", "1") == 0 && prop_count(dp, "good") == 1,
	    "other resources unaffected");
	tap_ok(dav_props_delete(dp, "bad", &err) == 0 && prop_count(dp, "bad") == 0,
	    "a corrupt resource's properties can be deleted");
	dav_props_free(dp);
}

/* The defaults apply without limits given; writes leave no temporary file. */
static void
test_defaults_and_clean_writes(void)
{
	struct dav_props *dp = dav_props_open(state, NULL, NULL);
	char *big = calloc(1, DAV_PROPS_DEF_VALUE + 2), p[1024];
	struct dav_prop_update u = { DAV_PROP_SET, "urn:t", "big", big, 0, 0 };
	struct dirent *de;
	struct errbuf err;
	int others = 0;
	DIR *dir;

	memset(big, 'v', DAV_PROPS_DEF_VALUE + 1);
	u.len = DAV_PROPS_DEF_VALUE;
	tap_ok(dav_props_patch(dp, "d", &u, 1, &err) == 0 && u.status == 200,
	    "a value of %d bytes is kept", DAV_PROPS_DEF_VALUE);
	u.len = DAV_PROPS_DEF_VALUE + 1;
	tap_ok(dav_props_patch(dp, "d", &u, 1, &err) == DAV_PROPS_REFUSED && u.status == 507,
	    "one byte more: 507 under the default limit");
	for (int i = 0; i < 20; i++)
		set_one(dp, "d", "n", "again");
	snprintf(p, sizeof(p), "%s/d", state);
	if ((dir = opendir(p)) != NULL) {
		while ((de = readdir(dir)) != NULL)
			others += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
			    strcmp(de->d_name, DAV_PROPS_FILE) != 0;
		closedir(dir);
	}
	tap_ok(dir != NULL && others == 0, "after 22 writes the folder holds %s only",
	    DAV_PROPS_FILE);
	tap_ok(dav_props_delete(dp, "d", &err) == 0, "cleaned up");
	free(big);
	dav_props_free(dp);
	dav_props_free(NULL);
}

int
main(void)
{
	struct errbuf err;

	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(state, sizeof(state), "%s/props", root);
	tap_ok(dav_props_open("/nonexistent/a/b", NULL, &err) == NULL &&
	    strstr(err.msg, "/nonexistent/a/b") != NULL, "open of an impossible folder named");
	test_patch_table();
	test_refusal_message();
	test_unusual_names_and_reopen();
	test_trees();
	test_bad_paths();
	test_corrupt();
	test_defaults_and_clean_writes();
	tree_remove(AT_FDCWD, root, NULL);
	return tap_done();
}
