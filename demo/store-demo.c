/*
 * store-demo: generate a small demo store from a description.
 *
 *   store-demo DESCRIPTION.json OUTDIR
 *
 * The description (demo/demo-store.json) names the items (catalog
 * sections), the releases and, per channel, the builds with their files.
 * store-demo creates OUTDIR/<channel>/download/... with small dummy files
 * (each names itself; a few hundred bytes to a few KiB), writes each
 * channel's catalog.json with the catalog setters and runs
 * store_index_rebuild_all(), printing its report.
 *
 * OUTDIR must be absent, empty or a previous demo (it holds the marker
 * file .store-demo); a previous demo is removed and generated again.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog.h"
#include "diag.h"
#include "log.h"
#include "manifest.h"
#include "store_index.h"
#include "store_layout.h"
#include "xmalloc.h"

#define DEMO_MARKER	".store-demo"

/* What a channel's builds hold, by kind of item and its manifest. */
static const struct {
	const char *key;
	enum item_kind kind;
} demo_kinds[] = {
	{ "apps", ITEM_APP }, { "firmware", ITEM_FIRMWARE }, { "software", ITEM_SOFTWARE },
};

/* Catalog sections copied from "items". */
static const enum item_kind demo_sections[] = {
	ITEM_APP, ITEM_FIRMWARE, ITEM_SOFTWARE, ITEM_PLATFORM, ITEM_PHONEPLATFORM,
};

/* Platform version folders of a channel description. */
static const char *const demo_platform_dirs[] = {
	STORE_APP_PLATFORM_DIR, STORE_PHONE_PLATFORM_DIR,
};

static void
usage(void)
{
	fprintf(stderr, "usage: store-demo DESCRIPTION.json OUTDIR\n");
	exit(2);
}

/* mkdirat + openat; an existing folder is fine. */
static int
demo_subdir(int dirfd, const char *name)
{
	int fd;

	if (mkdirat(dirfd, name, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", name);
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("open %s", name);
	return fd;
}

/* A dummy file naming itself, 300 to 3300 bytes (from a hash of its path). */
static void
demo_file(int dirfd, const char *name, const char *path)
{
	unsigned long h = 5381;
	size_t size, len;
	char *line, *buf;
	int fd;

	for (const char *p = path; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	size = 300 + h % 3000;
	line = xasprintf("storesrv demo file %s\n", path);
	len = strlen(line);
	buf = xmalloc(size);
	for (size_t i = 0; i < size; i++)
		buf[i] = line[i % len];
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, buf, size) != (ssize_t)size || close(fd) == -1)
		fatal("write %s", path);
	free(buf);
	free(line);
}

static void
demo_text_file(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);

	if (fd == -1 || write(fd, text, len) != (ssize_t)len || close(fd) == -1)
		fatal("write %s", name);
}

static int
demo_omitted(json_t *build, const char *rel)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(build, "omit"), i, v) {
		if (strcmp(json_string_value(v), rel) == 0)
			return 1;
	}
	return 0;
}

/* The files of `list` (an array of names) in dirfd; `rel` is its path. */
static void
demo_files(int dirfd, json_t *list, const char *prefix, const char *rel, json_t *build)
{
	char *path, *local;
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		local = *rel ? xasprintf("%s/%s", rel, json_string_value(v)) :
		    xstrdup(json_string_value(v));
		path = xasprintf("%s/%s", prefix, local);
		if (!demo_omitted(build, local))
			demo_file(dirfd, json_string_value(v), path);
		free(path);
		free(local);
	}
}

/* The manifest "<id>_files": the names joined by commas. */
static void
demo_manifest(int bfd, const char *id, json_t *list)
{
	char *name = xasprintf("%s%s", id, STORE_MANIFEST_SUFFIX), *text = xstrdup(""), *t;
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		t = xasprintf("%s%s%s", text, i ? "," : "", json_string_value(v));
		free(text);
		text = t;
	}
	demo_text_file(bfd, name, text);
	free(text);
	free(name);
}

static void
demo_app(int bfd, const struct catalog *cat, const char *id, json_t *list, json_t *build,
    const char *prefix)
{
	const char *folder = catalog_item_string(cat, ITEM_APP, id, "folder");
	int archfd, folderfd;
	char *rel;
	size_t i;
	json_t *a;

	if (folder == NULL)
		folder = id;
	json_array_foreach(json_object_get(build, "archs"), i, a) {
		archfd = demo_subdir(bfd, json_string_value(a));
		folderfd = demo_subdir(archfd, folder);
		rel = xasprintf("%s/%s", json_string_value(a), folder);
		demo_files(folderfd, list, prefix, rel, build);
		free(rel);
		close(folderfd);
		close(archfd);
	}
}

static void
demo_build(int dlfd, const char *prefix, const char *b, json_t *build, const struct catalog *cat)
{
	char *bprefix = xasprintf("%s/%s", prefix, b);
	const char *id;
	json_t *list;
	int bfd = demo_subdir(dlfd, b);

	for (size_t k = 0; k < sizeof(demo_kinds) / sizeof(demo_kinds[0]); k++) {
		json_object_foreach(json_object_get(build, demo_kinds[k].key), id, list) {
			demo_manifest(bfd, id, list);
			if (demo_kinds[k].kind == ITEM_APP)
				demo_app(bfd, cat, id, list, build, bprefix);
			else
				demo_files(bfd, list, bprefix, "", build);
		}
	}
	demo_files(bfd, json_object_get(build, "files"), bprefix, "", build);
	close(bfd);
	free(bprefix);
}

static void
demo_platforms(int dlfd, const char *prefix, json_t *chan)
{
	const char *version;
	char *vprefix;
	json_t *list;
	int pfd, vfd;

	for (size_t i = 0; i < sizeof(demo_platform_dirs) / sizeof(demo_platform_dirs[0]); i++) {
		if (json_object_get(chan, demo_platform_dirs[i]) == NULL)
			continue;
		pfd = demo_subdir(dlfd, demo_platform_dirs[i]);
		json_object_foreach(json_object_get(chan, demo_platform_dirs[i]), version, list) {
			vfd = demo_subdir(pfd, version);
			vprefix = xasprintf("%s/%s/%s", prefix, demo_platform_dirs[i], version);
			demo_files(vfd, list, vprefix, "", NULL);
			free(vprefix);
			close(vfd);
		}
		close(pfd);
	}
}

static void
demo_check(int rc, const char *what, struct errbuf *err)
{
	if (rc == -1)
		fatalx("%s: %s", what, err->msg);
}

/* The channel's catalog: items and releases, then its builds. */
static struct catalog *
demo_catalog(json_t *desc, json_t *chan)
{
	struct catalog *cat = catalog_create();
	struct errbuf err;
	const char *key, *id;
	json_t *v, *f;

	for (size_t i = 0; i < sizeof(demo_sections) / sizeof(demo_sections[0]); i++) {
		json_object_foreach(json_object_get(json_object_get(desc, "items"),
		    catalog_section_name(demo_sections[i])), id, v)
			demo_check(catalog_merge_item(cat, demo_sections[i], id, v, &err), id, &err);
	}
	json_object_foreach(json_object_get(desc, "releases"), key, v) {
		if (json_object_get(v, "wiki") != NULL)
			demo_check(catalog_set_release_wiki(cat, key,
			    json_string_value(json_object_get(v, "wiki")), &err), key, &err);
	}
	json_object_foreach(json_object_get(chan, "builds"), key, v) {
		demo_check(catalog_set_build(cat, key, json_string_value(json_object_get(v,
		    "release")), json_string_value(json_object_get(v, "label")), &err), key, &err);
		json_object_foreach(json_object_get(v, "item_fields"), id, f)
			demo_check(catalog_set_item_fields(cat, key, id, f, &err), key, &err);
	}
	return cat;
}

static void
demo_channel(int outfd, json_t *desc, const char *name, json_t *chan)
{
	struct catalog *cat;
	struct errbuf err;
	char *prefix;
	const char *b;
	json_t *build;
	int chfd, dlfd;

	if (!store_channel_name_valid(name))
		fatalx("\"%s\": not a valid channel name", name);
	chfd = demo_subdir(outfd, name);
	dlfd = demo_subdir(chfd, STORE_DOWNLOAD_DIR);
	cat = demo_catalog(desc, chan);
	prefix = xasprintf("%s/%s", name, STORE_DOWNLOAD_DIR);
	json_object_foreach(json_object_get(chan, "builds"), b, build)
		demo_build(dlfd, prefix, b, build, cat);
	demo_platforms(dlfd, prefix, chan);
	demo_check(catalog_save_at(cat, chfd, STORE_CATALOG_FILE, &err), name, &err);
	catalog_free(cat);
	free(prefix);
	close(dlfd);
	close(chfd);
}

static int
demo_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level == 0)
		return 0;
	if (remove(path) == -1)
		fatal("remove %s", path);
	return 0;
}

/* Creates OUTDIR, or empties a previous demo; refuses anything else. */
static int
demo_prepare(const char *outdir)
{
	struct stat st;
	int fd, empty;
	DIR *d;

	if (mkdir(outdir, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", outdir);
	if ((d = opendir(outdir)) == NULL)
		fatal("%s", outdir);
	empty = 1;
	for (struct dirent *de; empty && (de = readdir(d)) != NULL;)
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	if (!empty && fstatat(dirfd(d), DEMO_MARKER, &st, 0) == -1)
		fatalx("%s: not empty and not a previous demo (no %s); refusing to overwrite it",
		    outdir, DEMO_MARKER);
	closedir(d);
	if (!empty && nftw(outdir, demo_rm, 16, FTW_DEPTH | FTW_PHYS) == -1)
		fatal("%s", outdir);
	if ((fd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("%s", outdir);
	demo_text_file(fd, DEMO_MARKER, "generated by store-demo; regenerated on the next run\n");
	return fd;
}

static void
demo_print_report(const struct diag *report)
{
	for (size_t i = 0; i < report->count; i++)
		printf("%s: %s: %s\n", report->entries[i].severity == DIAG_ERROR ? "error" :
		    "warning", report->entries[i].where, report->entries[i].message);
}

int
main(int argc, char **argv)
{
	struct diag *report;
	struct errbuf err;
	json_error_t jerr;
	const char *name;
	json_t *desc, *chan;
	int outfd, rc;

	log_init("store-demo", LOG_LEVEL_INFO);
	if (argc != 3)
		usage();
	if ((desc = json_load_file(argv[1], JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		fatalx("%s: line %d, column %d: %s", argv[1], jerr.line, jerr.column, jerr.text);
	outfd = demo_prepare(argv[2]);
	json_object_foreach(json_object_get(desc, "channels"), name, chan)
		demo_channel(outfd, desc, name, chan);
	close(outfd);
	report = diag_create();
	rc = store_index_rebuild_all(argv[2], report, &err);
	demo_print_report(report);
	diag_free(report);
	json_decref(desc);
	if (rc == -1)
		fatalx("%s", err.msg);
	printf("demo store written to %s\n", argv[2]);
	return 0;
}
