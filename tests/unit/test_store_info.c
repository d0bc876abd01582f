/*
 * test_store_info: /<channel>/info.json (store_info.h) rendered from a real
 * channel under /tmp, one sha256 record per case: which lines give a file
 * (sha256sum's two forms), which are left out (bad digests, missing files,
 * paths leaving the folder, symlinks), JSON escaping, folders marked removed
 * or of no record's name, and the cache's ETag following a change.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "store_info.h"

#define H_A "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define HEAD "{\"channel\":\"release\",\"folders\":[{\"folder\":\"100001\",\"published\":T,\"files\":["
#define TAIL "]}]}\n"

static const struct {
	const char *name;
	const char *record;	/* hashes/100001.sha256 */
	const char *want;	/* T stands for the folder's mtime */
} record_cases[] = {
	{ "a line of sha256sum", H_A "  a.bin\n",
	  HEAD "{\"path\":\"a.bin\",\"size\":3,\"sha256\":\"" H_A "\"}" TAIL },
	{ "binary mode ('*') and no final newline", H_A " *a.bin",
	  HEAD "{\"path\":\"a.bin\",\"size\":3,\"sha256\":\"" H_A "\"}" TAIL },
	{ "a file in a subfolder, two lines", H_A "  a.bin\n" H_A "  sub/b.bin\n",
	  HEAD "{\"path\":\"a.bin\",\"size\":3,\"sha256\":\"" H_A "\"},"
	  "{\"path\":\"sub/b.bin\",\"size\":5,\"sha256\":\"" H_A "\"}" TAIL },
	{ "upper-case digest left out", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD  a.bin\n",
	  HEAD TAIL },
	{ "short digest left out", "ba7816bf  a.bin\n", HEAD TAIL },
	{ "one space left out", H_A " a.bin\n", HEAD TAIL },
	{ "missing file left out", H_A "  nothere.bin\n", HEAD TAIL },
	{ "a folder is no file", H_A "  sub\n", HEAD TAIL },
	{ "path leaving the folder left out", H_A "  ../../catalog.json\n", HEAD TAIL },
	{ "absolute path left out", H_A "  /etc/passwd\n", HEAD TAIL },
	{ "symlink left out", H_A "  link.bin\n", HEAD TAIL },
	{ "quote and backslash escaped", H_A "  q\"\\.bin\n",
	  HEAD "{\"path\":\"q\\\"\\\\.bin\",\"size\":1,\"sha256\":\"" H_A "\"}" TAIL },
	{ "empty record", "", HEAD TAIL },
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* want with T replaced by the folder's mtime. */
static char *
expected(const char *want, const char *build_dir)
{
	struct stat st;
	char *out, *t;

	stat(build_dir, &st);
	out = malloc(strlen(want) + 32);
	t = strchr(want, 'T');
	sprintf(out, "%.*s%lld%s", (int)(t - want), want, (long long)st.st_mtime, t + 1);
	return out;
}

static char *
render(int root_fd)
{
	char *body = NULL;
	size_t len;
	struct errbuf err;

	if (store_info_render(root_fd, "release", &body, &len, &err) == -1)
		printf("# %s\n", err.msg);
	return body;
}

int
main(void)
{
	char root[] = "/tmp/test_store_info.XXXXXX", build[600], hashes[600], path[700];
	struct store_info_view v1, v2;
	struct store_info_cache *c;
	char *got, *want, etag[HTTP_ETAG_LEN];
	int root_fd;

	if (mkdtemp(root) == NULL)
		return 1;
	snprintf(build, sizeof(build), "%s/release/download/100001", root);
	snprintf(hashes, sizeof(hashes), "%s/release/hashes", root);
	snprintf(path, sizeof(path), "%s/release", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/release/download", root);
	mkdir(path, 0755);
	mkdir(build, 0755);
	mkdir(hashes, 0755);
	snprintf(path, sizeof(path), "%s/sub", build);
	mkdir(path, 0755);
	write_file(build, "a.bin", "abc");
	write_file(build, "sub/b.bin", "hello");
	write_file(build, "q\"\\.bin", "x");
	write_file(root, "release/catalog.json", "{}");
	snprintf(path, sizeof(path), "%s/link.bin", build);
	symlink("/etc/passwd", path);
	write_file(hashes, "notes.txt", "not a record");
	write_file(hashes, "0123.sha256", "no build's name");
	root_fd = open(root, O_RDONLY | O_DIRECTORY);

	for (size_t i = 0; i < sizeof(record_cases) / sizeof(record_cases[0]); i++) {
		write_file(hashes, "100001.sha256", record_cases[i].record);
		got = render(root_fd);
		want = expected(record_cases[i].want, build);
		tap_str_eq(got, want, record_cases[i].name);
		free(got);
		free(want);
	}

	write_file(hashes, "100001.sha256", H_A "  a.bin\n");
	c = store_info_cache_create();
	tap_ok(store_info_cache_get(c, root_fd, "release", 1000, &v1, NULL) == 0, "cache: first get");
	snprintf(etag, sizeof(etag), "%s", v1.etag);
	tap_ok(store_info_cache_get(c, root_fd, "release", 1001, &v2, NULL) == 0 &&
	    strcmp(v2.etag, etag) == 0 && v2.body == v1.body, "cache: a second get within the TTL is the same body");
	write_file(build, ".removed", "");
	tap_ok(store_info_cache_get(c, root_fd, "release", 1000 + STORE_INFO_TTL, &v2, NULL) == 0 &&
	    strcmp(v2.etag, etag) != 0, "cache: after the TTL a folder marked removed changes the ETag");
	tap_str_eq(v2.body, "{\"channel\":\"release\",\"folders\":[]}\n", "cache: ... and is left out");
	tap_ok(store_info_cache_get(c, root_fd, "nosuch", 1000, &v2, NULL) == -1,
	    "cache: a channel that does not exist fails");
	tap_ok(store_info_cache_get(c, root_fd, "../x", 1000, &v2, NULL) == -1,
	    "cache: a name that is no channel's fails");
	store_info_cache_free(c);
	store_info_cache_free(NULL);

	close(root_fd);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
