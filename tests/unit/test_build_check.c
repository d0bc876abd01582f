/*
 * test_build_check: builds small build folders under /tmp and checks the
 * items build_check() finds and the problems it reports, one named case
 * per rule of build_check.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "build_check.h"
#include "xmalloc.h"

#define MAXF	24

struct bc_case {
	const char *name;
	const char *catalog;		/* JSON text or NULL */
	const char *files[MAXF];	/* "path=content"; "path/" a folder; "" content: empty */
	const char *items;		/* summary of the items found */
	const char *diags[6];		/* lines expected in the report */
	size_t ndiag;			/* expected number of report lines */
};

#define APP3(f) "130001/arm/apidemo/" f "=x", "130001/arm64/apidemo/" f "=x", \
	"130001/x86_64/apidemo/" f "=x"

static const struct bc_case cases[] = {
	{ "complete app over three archs", NULL,
	    { "130001/apidemo_files=apidemo.bin,apidemo.png", APP3("apidemo.bin"),
	      APP3("apidemo.png") },
	  "app apidemo complete archs=7", { NULL }, 0 },
	{ "app on one arch only", NULL,
	    { "130001/apidemo_files=a.bin\n", "130001/arm64/apidemo/a.bin=x" },
	  "app apidemo complete archs=2", { NULL }, 0 },
	{ "an arch missing a file", NULL,
	    { "130001/apidemo_files=apidemo.bin,apidemo.png", APP3("apidemo.bin"),
	      "130001/arm/apidemo/apidemo.png=x", "130001/arm64/apidemo/apidemo.png=x" },
	  "app apidemo incomplete archs=7",
	  { "W 130001/x86_64/apidemo/apidemo.png: listed in apidemo_files but missing" }, 1 },
	{ "different sets per arch", NULL,
	    { "130001/apidemo_files=a,b,c", "130001/arm/apidemo/a=x", "130001/arm/apidemo/b=x",
	      "130001/arm/apidemo/c=x", "130001/arm64/apidemo/a=x", "130001/arm64/apidemo/b=x" },
	  "app apidemo incomplete archs=3",
	  { "W 130001/arm64/apidemo/c: listed in apidemo_files but missing" }, 1 },
	{ "arch folder without the app's folder", NULL,
	    { "130001/apidemo_files=a", "130001/arm/apidemo/a=x", "130001/arm64/" },
	  "app apidemo incomplete archs=3",
	  { "W 130001/arm64/apidemo: missing: apidemo_files lists files for every "
	    "architecture folder of the build" }, 1 },
	{ "empty file", NULL,
	    { "130001/apidemo_files=a,b", "130001/arm/apidemo/a=x", "130001/arm/apidemo/b=" },
	  "app apidemo incomplete archs=1",
	  { "W 130001/arm/apidemo/b: listed in apidemo_files but empty" }, 1 },
	{ "listed file is a folder", NULL,
	    { "130001/apidemo_files=a,b", "130001/arm/apidemo/a=x", "130001/arm/apidemo/b/" },
	  "app apidemo incomplete archs=1",
	  { "W 130001/arm/apidemo/b: listed in apidemo_files but not a regular file" }, 1 },
	{ "unlisted file warning, still complete", NULL,
	    { "130001/apidemo_files=a", "130001/arm/apidemo/a=x", "130001/arm/apidemo/notes.txt=x",
	      "130001/readme.txt=x", "130001/arm/.hidden=x" },
	  "app apidemo complete archs=1",
	  { "W 130001/arm/apidemo/notes.txt: not listed in apidemo_files",
	    "W 130001/readme.txt: not listed in any manifest" }, 2 },
	{ "unlisted folder in an arch folder", NULL,
	    { "130001/apidemo_files=a", "130001/arm/apidemo/a=x", "130001/arm/other/b=x" },
	  "app apidemo complete archs=1",
	  { "W 130001/arm/other: not listed in any manifest" }, 1 },
	{ "catalog folder", "{\"apps\":{\"apidemo\":{\"folder\":\"demo\"}}}",
	    { "130001/apidemo_files=a", "130001/arm/demo/a=x", "130001/x86_64/demo/a=x" },
	  "app apidemo complete archs=5", { NULL }, 0 },
	{ "catalog says app, no arch folder", "{\"apps\":{\"apidemo\":{}}}",
	    { "130001/apidemo_files=a", "130001/a=x" },
	  "app apidemo incomplete archs=0",
	  { "W 130001/apidemo_files: app without any architecture folder (arm, arm64, x86_64)",
	    "W 130001/a: not listed in any manifest" }, 2 },
	{ "firmware with manifest", NULL,
	    { "130001/ip222_files=ip222.bin,boot222.bin", "130001/ip222.bin=fw",
	      "130001/boot222.bin=bc" },
	  "firmware ip222 complete devices=IP222", { NULL }, 0 },
	{ "firmware of two models in one manifest", NULL,
	    { "130001/fw_files=ip0013.bin,boot0013.bin,ip222.bin,boot222.bin",
	      "130001/ip0013.bin=x", "130001/boot0013.bin=x", "130001/ip222.bin=x",
	      "130001/boot222.bin=x" },
	  "firmware fw complete devices=IP0013,IP222", { NULL }, 0 },
	{ "firmware devices from the catalog",
	    "{\"firmware\":{\"ip222\":{\"devices\":[\"IP232\",\"IP222\"]}}}",
	    { "130001/ip222_files=ip222.bin,boot222.bin", "130001/ip222.bin=x",
	      "130001/boot222.bin=x" },
	  "firmware ip222 complete devices=IP222,IP232", { NULL }, 0 },
	{ "firmware with a missing file", NULL,
	    { "130001/ip222_files=ip222.bin,boot222.bin", "130001/ip222.bin=x" },
	  "firmware ip222 incomplete devices=IP222",
	  { "W 130001/boot222.bin: listed in ip222_files but missing" }, 1 },
	{ "12r2 firmware without manifest",
	    "{\"builds\":{\"130001\":{\"release\":\"12r2\"}}}",
	    { "130001/ip222.bin=x", "130001/boot222.bin=x", "130001/ip0013.bin=x",
	      "130001/boot0013.bin=x" },
	  "firmware ip0013 complete devices=IP0013 nomanifest; "
	  "firmware ip222 complete devices=IP222 nomanifest", { NULL }, 0 },
	{ "firmware without manifest, release unknown", NULL,
	    { "130001/ip222.bin=x", "130001/boot222.bin=x" },
	  "firmware ip222 complete devices=IP222 nomanifest", { NULL }, 0 },
	{ "13r1 firmware without manifest refused",
	    "{\"builds\":{\"130001\":{\"release\":\"13r1\"}}}",
	    { "130001/ip222.bin=x", "130001/boot222.bin=x" }, "",
	  { "E 130001/ip222.bin: firmware without a manifest ip222_files; only releases 12r2 "
	    "and older may omit it (this build is 13r1)" }, 1 },
	{ "lone ip*.bin", "{\"builds\":{\"130001\":{\"release\":\"12r2\"}}}",
	    { "130001/ip222.bin=x", "130001/boot0013.bin=x" }, "",
	  { "E 130001/ip222.bin: firmware image without a manifest and without its boot "
	    "code boot222.bin", "W 130001/boot0013.bin: not listed in any manifest" }, 2 },
	{ "software", NULL,
	    { "130001/myappswindows_files=myAppsSetup.exe", "130001/myAppsSetup.exe=x" },
	  "software myappswindows complete", { NULL }, 0 },
	{ "software with a missing file", NULL,
	    { "130001/myappswindows_files=myAppsSetup.exe,myApps.msi",
	      "130001/myAppsSetup.exe=x" },
	  "software myappswindows incomplete",
	  { "W 130001/myApps.msi: listed in myappswindows_files but missing" }, 1 },
	{ "software without manifest: catalog binary",
	    "{\"software\":{\"myappswindows\":{\"binary\":\"myAppsSetup.exe\"}}}",
	    { "130001/myAppsSetup.exe=x" },
	  "software myappswindows complete nomanifest", { NULL }, 0 },
	{ "catalog decides the kind",
	    "{\"software\":{\"ip9\":{}}}",
	    { "130001/ip9_files=ip9.bin,boot9.bin", "130001/ip9.bin=x", "130001/boot9.bin=x" },
	  "software ip9 complete", { NULL }, 0 },
	{ "manifest syntax error: files still checked from a lenient reading", NULL,
	    { "130001/x_files=a,,b", "130001/a=x", "130001/b=x" },
	  "software x complete invalidmanifest",
	  { "E 130001/x_files: column 3: empty file name" }, 1 },
	{ "manifest with white space and a missing file: both reported", NULL,
	    { "130001/apidemo_files=a.bin, a.png\n\n", "130001/arm/apidemo/a.bin=x",
	      "130001/arm64/apidemo/a.bin=x", "130001/arm64/apidemo/a.png=x" },
	  "app apidemo incomplete archs=3 invalidmanifest",
	  { "E 130001/apidemo_files: column 7: white space in file name",
	    "W 130001/arm/apidemo/a.png: listed in apidemo_files but missing" }, 2 },
	{ "manifest unreadable even leniently: nothing checked", NULL,
	    { "130001/x_files=a,../b", "130001/a=x" }, "",
	  { "E 130001/x_files: column 3: file name starts with '.'",
	    "W 130001/a: not listed in any manifest" }, 2 },
	{ "mixed build: app, firmware, software", NULL,
	    { "130001/apidemo_files=a", "130001/arm/apidemo/a=x",
	      "130001/ip222_files=ip222.bin,boot222.bin", "130001/ip222.bin=x",
	      "130001/boot222.bin=x", "130001/sw_files=setup.exe", "130001/setup.exe=x" },
	  "app apidemo complete archs=1; firmware ip222 complete devices=IP222; "
	  "software sw complete", { NULL }, 0 },
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
tree_make(const char *base, const char *const *files)
{
	char path[1024], *eq, *p;
	int fd;

	for (size_t i = 0; i < MAXF && files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", base, files[i]);
		eq = strchr(path, '=');
		if (eq != NULL)
			*eq = '\0';
		for (p = path + strlen(base) + 1; (p = strchr(p, '/')) != NULL; p++) {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
		if (eq == NULL)
			continue;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		(void)!write(fd, eq + 1, strlen(eq + 1));
		close(fd);
	}
}

static char *
items_summary(const struct build_result *res)
{
	char buf[2048] = "";
	size_t n = 0;

	for (size_t i = 0; i < res->count; i++) {
		const struct build_item *it = &res->items[i];

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s %s %s", i ? "; " : "",
		    item_kind_name(it->kind), it->id, it->complete ? "complete" : "incomplete");
		if (it->kind == ITEM_APP)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " archs=%u", it->archs);
		for (size_t d = 0; d < it->ndevices; d++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
			    d ? "," : " devices=", it->devices[d]);
		if (!it->has_manifest)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " nomanifest");
		if (it->manifest_invalid)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " invalidmanifest");
	}
	return xstrdup(buf);
}

static int
diag_has(const struct diag *d, const char *line)
{
	char buf[1024];

	for (size_t i = 0; i < d->count; i++) {
		snprintf(buf, sizeof(buf), "%c %s: %s",
		    d->entries[i].severity == DIAG_ERROR ? 'E' : 'W', d->entries[i].where,
		    d->entries[i].message);
		if (strcmp(buf, line) == 0)
			return 1;
	}
	return 0;
}

static void
diag_print(const struct diag *d)
{
	for (size_t i = 0; i < d->count; i++)
		printf("#   report: %c %s: %s\n", d->entries[i].severity == DIAG_ERROR ? 'E' : 'W',
		    d->entries[i].where, d->entries[i].message);
}

static void
run_case(const struct bc_case *c)
{
	char base[] = "/tmp/test_build_check.XXXXXX", *got, *bdir;
	struct catalog *cat = NULL;
	struct build_result res;
	struct errbuf err;
	struct diag *d = diag_create();
	int fd, ok = 1;

	if (mkdtemp(base) == NULL) {
		tap_ok(0, "%s: mkdtemp", c->name);
		diag_free(d);
		return;
	}
	tree_make(base, c->files);
	if (c->catalog != NULL &&
	    catalog_parse(c->catalog, strlen(c->catalog), "catalog", &cat, &err) == -1)
		printf("# catalog: %s\n", err.msg);
	bdir = xasprintf("%s/130001", base);
	fd = open(bdir, O_RDONLY | O_DIRECTORY);
	tap_ok(fd != -1 && build_check(fd, "130001", cat, &res, d, &err) == 0,
	    "%s: runs", c->name);
	got = items_summary(&res);
	tap_str_eq(got, c->items, c->name);
	for (size_t i = 0; i < c->ndiag; i++)
		ok &= diag_has(d, c->diags[i]);
	if (!tap_ok(ok && d->count == c->ndiag, "%s: report", c->name))
		diag_print(d);
	free(got);
	build_result_free(&res);
	catalog_free(cat);
	diag_free(d);
	close(fd);
	free(bdir);
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
run_misc(void)
{
	char model[16];
	int boot = -1;
	struct build_result res;
	struct errbuf err = { "" };

	tap_ok(build_firmware_name("ip0013.bin", model, sizeof(model), &boot) &&
	    strcmp(model, "0013") == 0 && boot == 0, "firmware name ip0013.bin");
	tap_ok(build_firmware_name("boot222.bin", model, sizeof(model), &boot) &&
	    strcmp(model, "222") == 0 && boot == 1, "firmware name boot222.bin");
	tap_ok(!build_firmware_name("ip.bin", NULL, 0, NULL) &&
	    !build_firmware_name("IP222.bin", NULL, 0, NULL) &&
	    !build_firmware_name("ip222.img", NULL, 0, NULL) &&
	    !build_firmware_name("ip2-2.bin", NULL, 0, NULL), "not firmware names");
	tap_ok(build_release_allows_no_manifest("12r2") &&
	    build_release_allows_no_manifest("12r1") &&
	    build_release_allows_no_manifest("10.00") &&
	    !build_release_allows_no_manifest("13r1") &&
	    !build_release_allows_no_manifest("12r3"), "releases that may omit manifests");
	tap_ok(build_check(-1, "1", NULL, &res, NULL, &err) == -1 && err.msg[0] != '\0',
	    "unreadable folder: hard error");
	build_result_free(&res);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	run_misc();
	return tap_done();
}
