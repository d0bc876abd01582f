/*
 * test_status_counters: table tests of the download key a request path
 * gets (status_counters.h), the sums over several threads' counters, and
 * the bound on tracked files (the rest summed as "other").
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "status_counters.h"

struct key_case {
	const char *name;
	const char *path;
	const char *want;	/* NULL: no download */
};

static const struct key_case key_cases[] = {
	{ "firmware file", "/release/download/130001/ip222.bin", "release/130001/ip222.bin" },
	{ "app file", "/beta/download/130001/arm/clock/clock.bin", "beta/130001/arm/clock/clock.bin" },
	{ "platform file", "/release/download/app-platform/10001/a.img",
	    "release/app-platform/10001/a.img" },
	{ "index", "/release/download/apps.json", NULL },
	{ "folder", "/release/download/130001/", NULL },
	{ "empty segment", "/release/download//ip222.bin", NULL },
	{ "no download folder", "/release/sha256/130001", NULL },
	{ "page", "/release/download.htm", NULL },
	{ "status", "/status.json", NULL },
	{ "no channel", "//download/1/a", NULL },
	{ "relative", "release/download/1/a", NULL },
};

static void
test_keys(void)
{
	for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		const struct key_case *c = &key_cases[i];
		char key[STATUS_KEY_MAX];
		int rc = status_download_key(c->path, key, sizeof(key));

		if (c->want == NULL)
			tap_ok(rc == -1, "key: %s: no download", c->name);
		else
			tap_ok(rc == 0 && strcmp(key, c->want) == 0, "key: %s", c->name);
	}
}

static void
test_too_long_key(void)
{
	char path[2 * STATUS_KEY_MAX], key[STATUS_KEY_MAX];

	snprintf(path, sizeof(path), "/release/download/130001/%0*d", STATUS_KEY_MAX, 7);
	tap_ok(status_download_key(path, key, sizeof(key)) == -1, "key: too long a path");
}

static void
test_sums(void)
{
	struct status_counters *c[2] = { status_counters_create(), status_counters_create() };
	struct status_totals t;

	status_count(c[0], "/release/download/1/a.bin", 200, 100);
	status_count(c[1], "/release/download/1/a.bin", 206, 10);
	status_count(c[1], "/release/download/1/a.bin", 304, 0);
	status_count(c[1], "/release/download/1/b.bin", 404, 9);
	status_count(c[0], NULL, 400, 5);
	status_counters_sum(c, 2, &t);
	tap_ok(t.requests == 5 && t.bytes == 124, "sum: requests and bytes");
	tap_ok(t.by_class[1] == 2 && t.by_class[2] == 1 && t.by_class[3] == 2, "sum: classes");
	tap_ok(t.not_modified == 1 && t.partial == 1, "sum: 304 and 206");
	tap_ok(t.nfiles == 1 && t.files[0].requests == 3 && t.files[0].bytes == 110,
	    "sum: one file merged over the threads, the 404 not a download");
	status_totals_release(&t);
	status_counters_free(c[0]);
	status_counters_free(c[1]);
}

static void
test_bound(void)
{
	struct status_counters *c = status_counters_create();
	struct status_totals t;
	char path[64];
	uint64_t listed = 0;

	for (int i = 0; i < 2 * STATUS_MAX_KEYS; i++) {
		snprintf(path, sizeof(path), "/release/download/%d/f.bin", 100000 + i);
		status_count(c, path, 200, 1);
	}
	status_counters_sum(&c, 1, &t);
	for (size_t i = 0; i < t.nfiles; i++)
		listed += t.files[i].requests;
	tap_ok(t.nfiles < STATUS_MAX_KEYS, "bound: fewer files tracked than the table holds");
	tap_ok(listed + t.other.requests == 2 * STATUS_MAX_KEYS && t.other.bytes > 0,
	    "bound: the rest summed as other");
	status_totals_release(&t);
	status_counters_free(c);
	status_counters_free(NULL);
}

int
main(void)
{
	test_keys();
	test_too_long_key();
	test_sums();
	test_bound();
	return tap_done();
}
