/*
 * test_mirror_plan: the mirror's plan (mirror_plan.h) from indexes parsed
 * by index_parse, one named case per selection rule, old firmware, platform
 * paths and hostile entries; then manifest expansion per architecture.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "index_parse.h"
#include "mirror_plan.h"
#include "store_layout.h"
#include "xmalloc.h"

#define APPS \
	"{\"apps\":[{\"id\":\"apidemo\",\"folder\":\"apidemo\",\"binary\":\"apidemo\"," \
	"\"versions\":[{\"id\":\"14r1\",\"build\":\"140002\"},{\"id\":\"13r1\",\"build\":\"130001\"}]}," \
	"{\"id\":\"clock\",\"folder\":\"clockfolder\",\"versions\":[{\"id\":\"14r2\",\"build\":\"142001\"}]}]}"
#define SOFTWARE \
	"{\"software\":[{\"id\":\"myappswindows\",\"binary\":\"myAppsSetup.exe\"," \
	"\"versions\":[{\"id\":\"14r1\",\"build\":\"140002\"}]}]}"
#define FIRMWARE \
	"{\"devices\":[{\"id\":\"IP0013\",\"versions\":[\"14r1\",\"12r2\"]}," \
	"{\"id\":\"IP1200A\",\"versions\":[\"14r1\"]},{\"id\":\"IP222\",\"versions\":[\"13r1\"]}]," \
	"\"versions\":[{\"id\":\"14r1\",\"build\":\"140002\",\"text\":\"14r1 [140002]\"}," \
	"{\"id\":\"13r1\",\"build\":\"130001\",\"text\":\"13r1 [130001]\"}," \
	"{\"id\":\"12r2\",\"build\":\"128001\",\"text\":\"12r2 sr10 [128001]\"}]}"
#define LINUX \
	"{\"platforms\":[{\"id\":\"arm\",\"file\":\"app-platform/10001/a.img\"," \
	"\"update\":\"app-platform/10001/u.img\",\"version\":\"10001\"}," \
	"{\"id\":\"x86_64\",\"file\":\"app-platform/10001/x.img\"," \
	"\"zip\":\"app-platform/10001/u.img\",\"version\":\"10001\"}],\"devices\":[]}"
#define PHONE \
	"{\"platforms\":[{\"id\":\"ip270\",\"file\":\"phoneplatform/2165/ip270-rootfs.img\"," \
	"\"version\":\"2165\"}],\"devices\":[{\"id\":\"IP270\",\"platforms\":[\"ip270\"]}]}"

static const char *const full[INDEX_KIND_COUNT] = { APPS, SOFTWARE, FIRMWARE, LINUX, PHONE };

#define K(k) MIRROR_KIND_BIT(INDEX_##k)

struct plan_case {
	const char *name;
	const char *const *texts;	/* NULL: full */
	struct mirror_selection sel;
	struct mirror_limits lim;
	int rc;
	const char *want;	/* the rendered plan (render()) */
	const char *diag;	/* a substring of the first diag message, or NULL: none */
};

static const char *const hostile_folder[INDEX_KIND_COUNT] = {
	"{\"apps\":[{\"id\":\"evil\",\"folder\":\"../../etc\",\"versions\":[{\"id\":\"14r1\","
	"\"build\":\"140002\"}]},{\"id\":\"hid\",\"folder\":\".git\",\"versions\":[{\"id\":\"14r1\","
	"\"build\":\"140002\"}]},{\"id\":\"ok\",\"versions\":[{\"id\":\"14r1\",\"build\":\"140002\"}]}]}",
	NULL, NULL, NULL, NULL };
static const char *const hostile_slash[INDEX_KIND_COUNT] = {
	"{\"apps\":[{\"id\":\"evil\",\"folder\":\"a/b\",\"versions\":[{\"id\":\"14r1\","
	"\"build\":\"140002\"}]}]}", NULL, NULL, NULL, NULL };
static const char *const hostile_device[INDEX_KIND_COUNT] = {
	NULL, NULL,
	"{\"devices\":[{\"id\":\"IP../../x\",\"versions\":[\"14r1\"]},{\"id\":\"XY12\","
	"\"versions\":[\"14r1\"]},{\"id\":\"IP\",\"versions\":[\"14r1\"]},{\"id\":\"IP0013\","
	"\"versions\":[\"14r1\"]}],\"versions\":[{\"id\":\"14r1\",\"build\":\"140002\","
	"\"text\":\"14r1 [140002]\"}]}", NULL, NULL };
static const char *const software_no_binary[INDEX_KIND_COUNT] = {
	NULL, "{\"software\":[{\"id\":\"a\",\"versions\":[{\"id\":\"14r1\",\"build\":\"140002\"}]},"
	"{\"id\":\"b\",\"binary\":\"../x.exe\",\"versions\":[{\"id\":\"14r1\",\"build\":\"140003\"}]}]}",
	NULL, NULL, NULL };
static const char *const duplicate_build[INDEX_KIND_COUNT] = {
	"{\"apps\":[{\"id\":\"a\",\"versions\":[{\"id\":\"14r1\",\"build\":\"140002\"},"
	"{\"id\":\"14r2\",\"build\":\"140002\"}]}]}", NULL, NULL, NULL, NULL };

static const struct plan_case plan_cases[] = {
	{ "everything", NULL, { 0 }, { 0 }, 0,
	    "140002/apidemo_files*;130001/apidemo_files*;142001/clock_files*;"
	    "140002/myappswindows_files?;140002/ip0013_files;140002/ip1200a_files;"
	    "130001/ip222_files;128001/ip0013_files?;"
	    "arm=app-platform/10001/a.img,app-platform/10001/u.img;"
	    "x86_64=app-platform/10001/x.img;ip270=phoneplatform/2165/ip270-rootfs.img;", NULL },
	{ "kind: apps only", NULL, { .kinds = K(APPS) }, { 0 }, 0,
	    "140002/apidemo_files*;130001/apidemo_files*;142001/clock_files*;", NULL },
	{ "kind: software and phone platform", NULL,
	    { .kinds = K(SOFTWARE) | K(PHONEPLATFORM) }, { 0 }, 0,
	    "140002/myappswindows_files?;ip270=phoneplatform/2165/ip270-rootfs.img;", NULL },
	{ "id glob", NULL, { .kinds = K(APPS) | K(SOFTWARE), .ids = "api*,my*" }, { 0 }, 0,
	    "140002/apidemo_files*;130001/apidemo_files*;140002/myappswindows_files?;", NULL },
	{ "id glob selects platforms", NULL, { .kinds = K(LINUX) | K(PHONEPLATFORM),
	    .ids = "x86_64" }, { 0 }, 0,
	    "x86_64=app-platform/10001/x.img,app-platform/10001/u.img;", NULL },
	{ "id glob leaves firmware to device globs", NULL, { .ids = "nothing" }, { 0 }, 0,
	    "140002/ip0013_files;140002/ip1200a_files;130001/ip222_files;"
	    "128001/ip0013_files?;", NULL },
	{ "id glob matching nothing", NULL, { .kinds = K(APPS), .ids = "nope*" }, { 0 }, 0,
	    "", NULL },
	{ "device globs", NULL, { .kinds = K(FIRMWARE), .devices = "IP0013,IP1200*" }, { 0 }, 0,
	    "140002/ip0013_files;140002/ip1200a_files;128001/ip0013_files?;", NULL },
	{ "device glob is case sensitive", NULL, { .kinds = K(FIRMWARE), .devices = "ip0013" },
	    { 0 }, 0, "", NULL },
	{ "release 14r1 and newer", NULL, { .min_release = "14r1" }, { 0 }, 0,
	    "140002/apidemo_files*;142001/clock_files*;140002/myappswindows_files?;"
	    "140002/ip0013_files;140002/ip1200a_files;"
	    "arm=app-platform/10001/a.img,app-platform/10001/u.img;"
	    "x86_64=app-platform/10001/x.img;ip270=phoneplatform/2165/ip270-rootfs.img;", NULL },
	{ "release 13r1 and newer, firmware", NULL, { .kinds = K(FIRMWARE), .min_release = "13r1" },
	    { 0 }, 0, "140002/ip0013_files;140002/ip1200a_files;130001/ip222_files;", NULL },
	{ "release 10.00 and newer keeps old firmware", NULL,
	    { .kinds = K(FIRMWARE), .devices = "IP0013", .min_release = "10.00" }, { 0 }, 0,
	    "140002/ip0013_files;128001/ip0013_files?;", NULL },
	{ "architectures", NULL, { .kinds = K(APPS), .ids = "clock", .archs = "arm64,x86_64" },
	    { 0 }, 0, "142001/clock_files*;", NULL },
	{ "unknown architecture", NULL, { .archs = "arm,mips" }, { 0 }, -1, NULL,
	    "expected a comma-separated list" },
	{ "empty glob", NULL, { .devices = "IP0013,,IP1*" }, { 0 }, -1, NULL,
	    "empty or over-long pattern" },
	{ "bad release id", NULL, { .min_release = "14R1" }, { 0 }, -1, NULL,
	    "not a release id" },
	{ "hostile folders left out", hostile_folder, { 0 }, { 0 }, 0,
	    "140002/ok_files*;", "apps[0] (evil).folder: unsafe path \"../../etc\"" },
	{ "folder with a slash left out", hostile_slash, { 0 }, { 0 }, 0, "",
	    "apps[0] (evil).folder: unsafe path \"a/b\"" },
	{ "hostile device ids left out", hostile_device, { 0 }, { 0 }, 0,
	    "140002/ip0013_files;", "devices[0] (IP../../x).id: not a device id" },
	{ "software without a safe binary needs its manifest", software_no_binary, { 0 }, { 0 },
	    0, "140002/a_files;140003/b_files;", NULL },
	{ "same build twice planned once", duplicate_build, { 0 }, { 0 }, 0,
	    "140002/a_files*;", NULL },
	{ "build limit", NULL, { 0 }, { .max_builds = 3 }, -1, NULL, "more than 3 builds" },
	{ "file limit", NULL, { 0 }, { .max_files = 9 }, -1, NULL, "more than 9 files" },
	{ "file limit met exactly", NULL, { 0 }, { .max_files = 12 }, 0, NULL, NULL },
};

/* "<manifest>[*: app][?: optional]" or "<id>=<files>", each ended by ';'. */
static char *
render(const struct mirror_plan *p)
{
	char *s = xstrdup(""), *t;

	for (size_t i = 0; i < p->nbuilds; i++) {
		const struct mirror_build *b = &p->builds[i];

		if (b->manifest != NULL)
			t = xasprintf("%s%s%s%s;", s, b->manifest, b->folder ? "*" : "",
			    b->manifest_optional ? "?" : "");
		else {
			t = xasprintf("%s%s=", s, b->id);
			for (size_t j = 0; j < b->nfiles; j++) {
				free(s);
				s = t;
				t = xasprintf("%s%s%s", s, j ? "," : "", b->files[j].path);
			}
			free(s);
			s = t;
			t = xasprintf("%s;", s);
		}
		free(s);
		s = t;
	}
	return s;
}

static void
docs_parse(const char *const texts[INDEX_KIND_COUNT], struct index_doc *docs[INDEX_KIND_COUNT],
    struct diag *d)
{
	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		docs[k] = NULL;
		if (texts[k] != NULL && index_parse((enum index_kind)k, texts[k], strlen(texts[k]),
		    NULL, NULL, &docs[k], d) != 0)
			tap_diag("fixture does not parse");
	}
}

static void
docs_free(struct index_doc *docs[INDEX_KIND_COUNT])
{
	for (int k = 0; k < INDEX_KIND_COUNT; k++)
		index_doc_free(docs[k]);
}

static void
run_plan_case(const struct plan_case *c)
{
	struct index_doc *docs[INDEX_KIND_COUNT];
	struct diag *pd = diag_create(), *d = diag_create();
	struct mirror_plan *p = NULL;
	char *got = NULL;
	int rc;

	docs_parse(c->texts ? c->texts : full, docs, pd);
	rc = mirror_plan_create((const struct index_doc *const *)docs, &c->sel, &c->lim, &p, d);
	if (p != NULL)
		got = render(p);
	tap_ok(rc == c->rc && (rc == 0) == (p != NULL) && pd->errors == 0,
	    "%s: returns %d", c->name, c->rc);
	if (c->want != NULL)
		tap_str_eq(got, c->want, c->name);
	if (c->diag == NULL)
		tap_ok(d->count == 0, "%s: no problem reported", c->name);
	else if (!tap_ok(d->count > 0 && strstr(d->entries[0].message, c->diag) != NULL,
	    "%s: reports \"%s\"", c->name, c->diag) && d->count > 0)
		printf("#   got: %s: %s\n", d->entries[0].where, d->entries[0].message);
	free(got);
	mirror_plan_free(p);
	docs_free(docs);
	diag_free(pd);
	diag_free(d);
}

/* Platform entries whose paths index_parse would refuse, built by hand: the
 * plan checks them again. */
struct hostile_case {
	const char *name;
	const char *path;
};

static const struct hostile_case hostile_cases[] = {
	{ "dot dot", "app-platform/../../etc/passwd" },
	{ "absolute", "/etc/passwd" },
	{ "hidden segment", "app-platform/10001/.htaccess" },
	{ "empty segment", "app-platform//a.img" },
	{ "trailing slash", "app-platform/10001/" },
	{ "escaped dot dot", "app-platform/%2e%2e/a.img" },
	{ "backslash", "app-platform\\..\\a.img" },
	{ "control character", "app-platform/10001/a\n.img" },
	{ "empty", "" },
};

static void
run_hostile_case(const struct hostile_case *c)
{
	struct index_platform_file files[2] = {
		{ "file", (char *)"app-platform/1/good.img", (char *)"1", (char *)"good.img" },
		{ "update", (char *)c->path, (char *)"1", (char *)"x" },
	};
	struct index_platform pl[2] = {
		{ (char *)"arm", (char *)"1", files, 2, NULL },
		{ (char *)"x86_64", (char *)"1", files, 1, NULL },
	};
	struct index_doc doc = { .kind = INDEX_LINUX, .platforms = pl, .nplatforms = 2 };
	const struct index_doc *docs[INDEX_KIND_COUNT] = { [INDEX_LINUX] = &doc };
	struct diag *d = diag_create();
	struct mirror_plan *p = NULL;
	char *got = NULL;
	int rc = mirror_plan_create(docs, NULL, NULL, &p, d);

	if (p != NULL)
		got = render(p);
	tap_ok(rc == 0, "hostile path %s: plan made", c->name);
	tap_str_eq(got, "x86_64=app-platform/1/good.img;", c->name);
	tap_ok(d->errors == 1 && strstr(d->entries[0].message, "platforms[0] (arm).update: "
	    "unsafe path") != NULL && strcmp(d->entries[0].where, "linux.json") == 0,
	    "hostile path %s: reported naming index and entry", c->name);
	free(got);
	mirror_plan_free(p);
	diag_free(d);
}

/* Manifest expansion of the builds of the full fixture. */
struct expand_case {
	const char *name;
	const char *manifest;	/* the build's manifest path in the plan */
	const char *archs;	/* selection */
	const char *text;	/* NULL: 404 */
	int rc;
	const char *want;	/* "<arch>:<path>" joined by ',' ("-" for no arch) */
	const char *diag;
};

static const struct expand_case expand_cases[] = {
	{ "app, all architectures", "142001/clock_files", NULL, "c.bin,c.png\n", 0,
	    "arm:142001/arm/clockfolder/c.bin,arm:142001/arm/clockfolder/c.png,"
	    "arm64:142001/arm64/clockfolder/c.bin,arm64:142001/arm64/clockfolder/c.png,"
	    "x86_64:142001/x86_64/clockfolder/c.bin,x86_64:142001/x86_64/clockfolder/c.png", NULL },
	{ "app, arm64 only", "140002/apidemo_files", "arm64", "apidemo.bin", 0,
	    "arm64:140002/arm64/apidemo/apidemo.bin", NULL },
	{ "software at the top", "140002/myappswindows_files", NULL, "myAppsSetup.exe", 0,
	    "-:140002/myAppsSetup.exe", NULL },
	{ "firmware from its manifest", "140002/ip0013_files", NULL, "ip0013.bin,boot0013.bin", 0,
	    "-:140002/ip0013.bin,-:140002/boot0013.bin", NULL },
	{ "old firmware without manifest", "128001/ip0013_files", NULL, NULL, 0,
	    "-:128001/ip0013.bin,-:128001/boot0013.bin", NULL },
	{ "old firmware with a manifest", "128001/ip0013_files", NULL, "ip0013.bin", 0,
	    "-:128001/ip0013.bin", NULL },
	{ "software without manifest: its binary", "140002/myappswindows_files", NULL, NULL, 0,
	    "-:140002/myAppsSetup.exe", NULL },
	{ "new firmware without manifest", "140002/ip1200a_files", NULL, NULL, -1, NULL,
	    "missing upstream" },
	{ "app without manifest", "140002/apidemo_files", NULL, NULL, -1, NULL,
	    "missing upstream" },
	{ "hostile manifest name", "140002/apidemo_files", NULL, "a.bin,x/../../y", -1, NULL,
	    "'/' in file name" },
	{ "hidden manifest name", "140002/myappswindows_files", NULL, ".profile", -1, NULL,
	    "starts with '.'" },
	{ "empty manifest", "140002/myappswindows_files", NULL, "", -1, NULL,
	    "empty manifest" },
};

static char *
render_files(const struct mirror_build *b)
{
	char *s = xstrdup(""), *t;

	for (size_t i = 0; i < b->nfiles; i++) {
		t = xasprintf("%s%s%s:%s", s, i ? "," : "",
		    b->files[i].arch < 0 ? "-" : store_app_archs[b->files[i].arch],
		    b->files[i].path);
		free(s);
		s = t;
	}
	return s;
}

static void
run_expand_case(const struct expand_case *c)
{
	struct index_doc *docs[INDEX_KIND_COUNT];
	struct mirror_selection sel = { .archs = c->archs };
	struct diag *d = diag_create();
	struct mirror_plan *p = NULL;
	struct mirror_build *b = NULL;
	char *got = NULL;
	size_t before;
	int rc = -2;

	docs_parse(full, docs, d);
	if (mirror_plan_create((const struct index_doc *const *)docs, &sel, NULL, &p, d) == 0)
		for (size_t i = 0; i < p->nbuilds && b == NULL; i++)
			if (p->builds[i].manifest && strcmp(p->builds[i].manifest, c->manifest) == 0)
				b = &p->builds[i];
	if (b != NULL) {
		before = p->nfiles;
		rc = mirror_build_expand(p, b, c->text, c->text ? strlen(c->text) : 0, d);
		got = render_files(b);
		tap_ok(rc == c->rc && b->manifest_pending == (rc != 0) &&
		    p->nfiles == before + b->nfiles, "%s: returns %d", c->name, c->rc);
	} else
		tap_ok(0, "%s: build %s planned", c->name, c->manifest);
	if (c->want != NULL)
		tap_str_eq(got, c->want, c->name);
	if (c->diag == NULL)
		tap_ok(d->count == 0, "%s: no problem reported", c->name);
	else
		tap_ok(d->count > 0 && strstr(d->entries[d->count - 1].message, c->diag) != NULL &&
		    strcmp(d->entries[d->count - 1].where, c->manifest) == 0,
		    "%s: reports \"%s\" naming the manifest", c->name, c->diag);
	free(got);
	mirror_plan_free(p);
	docs_free(docs);
	diag_free(d);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(plan_cases) / sizeof(plan_cases[0]); i++)
		run_plan_case(&plan_cases[i]);
	for (size_t i = 0; i < sizeof(hostile_cases) / sizeof(hostile_cases[0]); i++)
		run_hostile_case(&hostile_cases[i]);
	for (size_t i = 0; i < sizeof(expand_cases) / sizeof(expand_cases[0]); i++)
		run_expand_case(&expand_cases[i]);
	mirror_plan_free(NULL);
	return tap_done();
}
