/*
 * test_index_parse: index_parse.h, one named case per shape store_index
 * writes (parsed without a word) and per refusal: malformed JSON, wrong
 * types, unsafe names, absurd sizes and counts.  Each case compares a
 * one-line summary of the parsed document and the problems reported.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_parse.h"
#include "../tap.h"
#include "xmalloc.h"

struct parse_case {
	const char *name;
	enum index_kind kind;
	const char *text;
	struct index_limits lim;
	int rc;
	const char *want;	/* summary of the document (rc 0) */
	const char *problem;	/* the problems, "E:"/"W:" + where + message, '|'-joined; "" none */
};

static const struct parse_case cases[] = {
	/* --- every shape store_index writes --- */
	{ "apps.json as written: labels, version fields, catalog fields", INDEX_APPS,
	    "{\"apps\":[{\"id\":\"apidemo\",\"folder\":\"apidemo\",\"binary\":\"apidemo\","
	    "\"versions\":[{\"id\":\"13r2\",\"build\":\"132001\",\"label\":\"sr01\"},"
	    "{\"id\":\"13r1\",\"build\":\"130045\",\"label\":\"sr05\",\"compatibility\":\"13r1 sr05\"}],"
	    "\"manufacturer\":\"innovaphone AG\",\"title\":\"API Demo\",\"license_type\":\"free\","
	    "\"langs\":[\"en\",\"de\"]}]}\n", { 0 }, 0,
	    "apidemo{\"folder\":\"apidemo\",\"binary\":\"apidemo\",\"manufacturer\":\"innovaphone AG\","
	    "\"title\":\"API Demo\",\"license_type\":\"free\",\"langs\":[\"en\",\"de\"]}"
	    "[13r2/132001/sr01,13r1/130045/sr05+{\"compatibility\":\"13r1 sr05\"}];", "" },
	{ "apps.json as written for a build without a label (\"label\":\"\")", INDEX_APPS,
	    "{\"apps\":[{\"id\":\"clock\",\"folder\":\"clock\",\"binary\":\"clock\",\"versions\":"
	    "[{\"id\":\"13r1\",\"build\":\"130001\",\"label\":\"\"}],\"manufacturer\":\"\","
	    "\"title\":\"clock\",\"license_type\":\"free\"}]}\n", { 0 }, 0,
	    "clock{\"folder\":\"clock\",\"binary\":\"clock\",\"manufacturer\":\"\",\"title\":\"clock\","
	    "\"license_type\":\"free\"}[13r1/130001/-];", "" },
	{ "apps.json of an empty channel", INDEX_APPS, "{\"apps\":[]}\n", { 0 }, 0, "", "" },
	{ "software.json as written", INDEX_SOFTWARE,
	    "{\"software\":[{\"id\":\"myappswindows\",\"folder\":\"myappswindows\","
	    "\"binary\":\"myAppsSetup.exe\",\"versions\":[{\"id\":\"13r2\",\"build\":\"132001\","
	    "\"label\":\"sr01\"}],\"manufacturer\":\"innovaphone AG\",\"title\":\"myApps\"}]}\n",
	    { 0 }, 0,
	    "myappswindows{\"folder\":\"myappswindows\",\"binary\":\"myAppsSetup.exe\","
	    "\"manufacturer\":\"innovaphone AG\",\"title\":\"myApps\"}[13r2/132001/sr01];", "" },
	{ "firmware.json as written: labels, no label, wiki or none", INDEX_FIRMWARE,
	    "{\"devices\":[{\"id\":\"IP0013\",\"versions\":[\"13r2\",\"13r1\"]},"
	    "{\"id\":\"IP222\",\"versions\":[\"13r1\"]}],"
	    "\"versions\":[{\"id\":\"13r2\",\"build\":\"132001\",\"text\":\"13r2 sr01 [132001]\"},"
	    "{\"id\":\"13r1\",\"build\":\"130001\",\"text\":\"13r1 [130001]\","
	    "\"wiki\":\"https://wiki.example/13r1\"}]}\n", { 0 }, 0,
	    "13r2/132001/sr01;13r1/130001/-@https://wiki.example/13r1;"
	    "IP0013=13r2|13r1;IP222=13r1;", "" },
	{ "firmware.json of an empty channel", INDEX_FIRMWARE,
	    "{\"devices\":[],\"versions\":[]}\n", { 0 }, 0, "", "" },
	{ "linux.json as written: roles, extra fields, one folder for two ids", INDEX_LINUX,
	    "{\"platforms\":[{\"id\":\"arm\",\"text\":\"App Platform\","
	    "\"file\":\"app-platform/10001/a.img\",\"update\":\"app-platform/10001/u.img\","
	    "\"zip\":\"app-platform/10001/a.zip\",\"zip2\":\"app-platform/10001/b.zip\","
	    "\"version\":\"10001\",\"note\":[1]},{\"id\":\"x86_64\",\"text\":\"App Platform (x86_64)\","
	    "\"file\":\"app-platform/10001/x.img\",\"version\":\"10001\"}],"
	    "\"devices\":[{\"id\":\"IP0011\",\"platforms\":[\"arm\"]},"
	    "{\"id\":\"IPVA\",\"platforms\":[\"arm\",\"x86_64\"]}]}\n", { 0 }, 0,
	    "arm@10001{\"text\":\"App Platform\",\"note\":[1]}"
	    "(file=10001/a.img,update=10001/u.img,zip=10001/a.zip,zip2=10001/b.zip);"
	    "x86_64@10001{\"text\":\"App Platform (x86_64)\"}(file=10001/x.img);"
	    "IP0011=arm;IPVA=arm|x86_64;", "" },
	{ "phoneplatform.json as written", INDEX_PHONEPLATFORM,
	    "{\"platforms\":[{\"id\":\"ip270\",\"text\":\"Phone Platform IP270\","
	    "\"file\":\"phoneplatform/2165/ip270-rootfs.img\",\"version\":\"2165\"}],"
	    "\"devices\":[{\"id\":\"IP270\",\"platforms\":[\"ip270\"]}]}\n", { 0 }, 0,
	    "ip270@2165{\"text\":\"Phone Platform IP270\"}(file=2165/ip270-rootfs.img);"
	    "IP270=ip270;", "" },
	{ "platform index of an empty channel", INDEX_LINUX,
	    "{\"platforms\":[],\"devices\":[]}\n", { 0 }, 0, "", "" },
	/* --- other accepted shapes --- */
	{ "firmware.json without devices", INDEX_FIRMWARE,
	    "{\"versions\":[{\"id\":\"12r2\",\"build\":\"128001\",\"text\":\"12r2 sr10 [128001]\"}]}",
	    { 0 }, 0, "12r2/128001/sr10;", "" },
	{ "platform entry without version member", INDEX_LINUX,
	    "{\"platforms\":[{\"id\":\"arm\",\"file\":\"app-platform/7/a.img\"}]}", { 0 }, 0,
	    "arm@-{}(file=7/a.img);", "" },
	/* --- malformed documents: refused whole --- */
	{ "not JSON", INDEX_APPS, "{\"apps\":[", { 0 }, -1, NULL,
	    "E:apps.json:line 1 column 9: " },
	{ "trailing garbage", INDEX_APPS, "{\"apps\":[]} x", { 0 }, -1, NULL,
	    "E:apps.json:line 1 column 13: " },
	{ "empty input", INDEX_FIRMWARE, "", { 0 }, -1, NULL, "E:firmware.json:line 1 column 0: " },
	{ "not UTF-8", INDEX_APPS, "{\"apps\":[{\"id\":\"a\xff\"}]}", { 0 }, -1, NULL,
	    "E:apps.json:line 1 column 17: " },
	{ "duplicate member", INDEX_APPS, "{\"apps\":[],\"apps\":[]}", { 0 }, -1, NULL,
	    "E:apps.json:line 1 column 17: " },
	{ "top level an array", INDEX_APPS, "[]", { 0 }, -1, NULL,
	    "E:apps.json:(top): expected an object" },
	{ "main array missing", INDEX_SOFTWARE, "{\"apps\":[]}", { 0 }, -1, NULL,
	    "E:software.json:(top): \"software\": missing" },
	{ "main member an object", INDEX_LINUX, "{\"platforms\":{}}", { 0 }, -1, NULL,
	    "E:linux.json:(top): \"platforms\": expected an array" },
	{ "devices not an array", INDEX_FIRMWARE, "{\"versions\":[],\"devices\":\"IP222\"}", { 0 },
	    -1, NULL, "E:firmware.json:(top): \"devices\": expected an array" },
	{ "versions of an item not an array", INDEX_APPS,
	    "{\"apps\":[{\"id\":\"a\",\"versions\":{}}]}", { 0 }, 0, "",
	    "E:apps.json:apps[0]: \"versions\": expected an array" },
	/* --- limits --- */
	{ "document over max_bytes", INDEX_APPS, "{\"apps\":[]}", { 8, 0, 0 }, -1, NULL,
	    "E:apps.json:longer than 8 bytes" },
	{ "more items than max_entries", INDEX_APPS,
	    "{\"apps\":[{\"id\":\"a\"},{\"id\":\"b\"},{\"id\":\"c\"}]}", { 0, 2, 0 }, -1, NULL,
	    "E:apps.json:(top): \"apps\": more than 2 entries" },
	{ "more versions than max_entries", INDEX_APPS,
	    "{\"apps\":[{\"id\":\"a\",\"versions\":[{},{},{}]}]}", { 0, 2, 0 }, 0, "",
	    "E:apps.json:apps[0]: \"versions\": more than 2 entries" },
	{ "more device names than max_entries", INDEX_FIRMWARE,
	    "{\"versions\":[],\"devices\":[{\"id\":\"IP1\",\"versions\":[\"a\",\"b\",\"c\"]}]}",
	    { 0, 2, 0 }, 0, "", "E:firmware.json:devices[0]: \"versions\": more than 2 entries" },
	{ "release over max_string", INDEX_FIRMWARE,
	    "{\"versions\":[{\"id\":\"13r1-very-long\",\"build\":\"130001\"}]}", { 0, 0, 8 }, 0, "",
	    "W:firmware.json:versions[0]: \"id\": longer than 8 bytes|"
	    "W:firmware.json:versions[0]: needs \"id\" and \"build\" strings; entry ignored" },
	{ "nesting 100,000 deep", INDEX_APPS, NULL, { 0 }, -1, NULL,
	    "E:apps.json:line 1 column 2056: " },
	/* --- entries: wrong types and unsafe names, left out --- */
	{ "item not an object", INDEX_APPS, "{\"apps\":[\"apidemo\"]}", { 0 }, 0, "",
	    "E:apps.json:apps[0]: expected an object" },
	{ "item id a number", INDEX_APPS, "{\"apps\":[{\"id\":7}]}", { 0 }, 0, "",
	    "E:apps.json:apps[0]: \"id\": expected a string|"
	    "E:apps.json:apps[0]: missing or invalid \"id\"" },
	{ "item id a path", INDEX_SOFTWARE, "{\"software\":[{\"id\":\"../etc\"}]}", { 0 }, 0, "",
	    "E:software.json:software[0]: missing or invalid \"id\"" },
	{ "build a number", INDEX_APPS,
	    "{\"apps\":[{\"id\":\"a\",\"versions\":[{\"id\":\"13r1\",\"build\":130001}]}]}",
	    { 0 }, 0, "a{}[];",
	    "W:apps.json:apps[0].versions[0]: \"build\": expected a string|"
	    "W:apps.json:apps[0].versions[0]: needs \"id\" and \"build\" strings; entry ignored" },
	{ "build a path", INDEX_APPS,
	    "{\"apps\":[{\"id\":\"a\",\"versions\":[{\"id\":\"13r1\",\"build\":\"../130001\"}]}]}",
	    { 0 }, 0, "a{}[];",
	    "W:apps.json:apps[0].versions[0]: build \"../130001\" is not a build number; "
	    "entry ignored" },
	{ "string holding NUL", INDEX_FIRMWARE,
	    "{\"versions\":[{\"id\":\"13r1\",\"build\":\"13\\u00000001\"}]}", { 0 }, -1, NULL,
	    "E:firmware.json:line 1 column 48: " },
	{ "version not an object", INDEX_FIRMWARE, "{\"versions\":[[]]}", { 0 }, 0, "",
	    "W:firmware.json:versions[0]: expected an object; entry ignored" },
	{ "label a number", INDEX_APPS,
	    "{\"apps\":[{\"id\":\"a\",\"versions\":[{\"id\":\"13r1\",\"build\":\"1\",\"label\":1}]}]}",
	    { 0 }, 0, "a{}[13r1/1/-];",
	    "W:apps.json:apps[0].versions[0]: \"label\": expected a string" },
	{ "firmware text of another build", INDEX_FIRMWARE,
	    "{\"versions\":[{\"id\":\"13r1\",\"build\":\"130001\",\"text\":\"13r1 sr01 [130002]\"}]}",
	    { 0 }, 0, "13r1/130001/-;",
	    "W:firmware.json:versions[0]: text \"13r1 sr01 [130002]\" is not \"<release> <label> "
	    "[<build>]\" or \"<release> [<build>]\"" },
	{ "firmware text with two words of label", INDEX_FIRMWARE,
	    "{\"versions\":[{\"id\":\"13r1\",\"build\":\"1\",\"text\":\"13r1 sr 01 [1]\"}]}",
	    { 0 }, 0, "13r1/1/-;",
	    "W:firmware.json:versions[0]: text \"13r1 sr 01 [1]\" is not \"<release> <label> "
	    "[<build>]\" or \"<release> [<build>]\"" },
	{ "firmware wiki a number", INDEX_FIRMWARE,
	    "{\"versions\":[{\"id\":\"13r1\",\"build\":\"1\",\"wiki\":1}]}", { 0 }, 0, "13r1/1/-;",
	    "W:firmware.json:versions[0]: \"wiki\": expected a string" },
	{ "device without id", INDEX_FIRMWARE,
	    "{\"versions\":[],\"devices\":[{\"versions\":[\"13r1\"]}]}", { 0 }, 0, "",
	    "W:firmware.json:devices[0]: needs an \"id\" string; entry ignored" },
	{ "device release a number", INDEX_FIRMWARE,
	    "{\"versions\":[],\"devices\":[{\"id\":\"IP222\",\"versions\":[13,\"13r1\"]}]}", { 0 },
	    0, "IP222=13r1;",
	    "W:firmware.json:devices[0].versions[0]: expected a string of at most 4096 bytes; "
	    "ignored" },
	{ "platform file climbing out", INDEX_LINUX,
	    "{\"platforms\":[{\"id\":\"arm\",\"file\":\"app-platform/1/../../x\"}]}", { 0 }, 0,
	    "arm@-{}();",
	    "W:linux.json:platforms[0]: arm.file: \"app-platform/1/../../x\" is not in "
	    "app-platform/<version>/" },
	{ "platform file of the other index's folder", INDEX_LINUX,
	    "{\"platforms\":[{\"id\":\"arm\",\"file\":\"phoneplatform/1/x\",\"version\":\"1\"}]}",
	    { 0 }, 0, "arm@1{}();",
	    "W:linux.json:platforms[0]: arm.file: \"phoneplatform/1/x\" is not in app-platform/1/" },
	{ "platform file outside its version", INDEX_PHONEPLATFORM,
	    "{\"platforms\":[{\"id\":\"ip270\",\"file\":\"phoneplatform/2160/x\","
	    "\"version\":\"2165\"}]}", { 0 }, 0, "ip270@2165{}();",
	    "W:phoneplatform.json:platforms[0]: ip270.file: \"phoneplatform/2160/x\" is not in "
	    "phoneplatform/2165/" },
	{ "platform file hidden", INDEX_LINUX,
	    "{\"platforms\":[{\"id\":\"arm\",\"zip\":\"app-platform/1/.x\"}]}", { 0 }, 0, "arm@-{}();",
	    "W:linux.json:platforms[0]: arm.zip: \"app-platform/1/.x\" is not in "
	    "app-platform/<version>/" },
	{ "platform version a path", INDEX_LINUX,
	    "{\"platforms\":[{\"id\":\"arm\",\"version\":\"../1\"}]}", { 0 }, 0, "arm@-{}();",
	    "W:linux.json:platforms[0]: version \"../1\" is not a version number; ignored" },
	{ "platform id missing", INDEX_PHONEPLATFORM, "{\"platforms\":[{\"text\":\"x\"}]}", { 0 }, 0,
	    "", "E:phoneplatform.json:platforms[0]: missing or invalid \"id\"" },
};

static void
dump_json(FILE *f, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	fputs(s, f);
	free(s);
}

static void
dump_version(FILE *f, const struct index_version *v)
{
	fprintf(f, "%s/%s/%s", v->release, v->build, v->label ? v->label : "-");
	if (v->wiki != NULL)
		fprintf(f, "@%s", v->wiki);
	if (v->extra != NULL) {
		fputc('+', f);
		dump_json(f, v->extra);
	}
}

/* One line: items, firmware versions, platforms, then devices. */
static char *
dump_doc(const struct index_doc *doc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < doc->nitems; i++) {
		fputs(doc->items[i].id, f);
		dump_json(f, doc->items[i].fields);
		fputc('[', f);
		for (size_t j = 0; j < doc->items[i].nversions; j++) {
			fputs(j > 0 ? "," : "", f);
			dump_version(f, &doc->items[i].versions[j]);
		}
		fputs("];", f);
	}
	for (size_t i = 0; i < doc->nversions; i++) {
		dump_version(f, &doc->versions[i]);
		fputc(';', f);
	}
	for (size_t i = 0; i < doc->nplatforms; i++) {
		const struct index_platform *p = &doc->platforms[i];

		fprintf(f, "%s@%s", p->id, p->version ? p->version : "-");
		dump_json(f, p->fields);
		fputc('(', f);
		for (size_t j = 0; j < p->nfiles; j++)
			fprintf(f, "%s%s=%s/%s", j > 0 ? "," : "", p->files[j].role,
			    p->files[j].version, p->files[j].name);
		fputs(");", f);
	}
	for (size_t i = 0; i < doc->ndevices; i++) {
		fprintf(f, "%s=", doc->devices[i].id);
		for (size_t j = 0; j < doc->devices[i].nnames; j++)
			fprintf(f, "%s%s", j > 0 ? "|" : "", doc->devices[i].names[j]);
		fputc(';', f);
	}
	fclose(f);
	return buf;
}

/* The problems as "E:where:message|W:...". */
static char *
dump_diag(const struct diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < d->count; i++)
		fprintf(f, "%s%s:%s:%s", i > 0 ? "|" : "",
		    d->entries[i].severity == DIAG_ERROR ? "E" : "W", d->entries[i].where,
		    d->entries[i].message);
	fclose(f);
	return buf;
}

/* jansson's own messages after "line L column C: " may change between
 * versions: a wanted problem ending in ": " compares only its start. */
static int
problem_matches(const char *got, const char *want)
{
	size_t n = strlen(want);

	if (n >= 2 && strcmp(want + n - 2, ": ") == 0)
		return strncmp(got, want, n) == 0 && strchr(got, '|') == NULL;
	return strcmp(got, want) == 0;
}

static char *
deep_nesting(void)
{
	size_t depth = 100000;
	char *s = xmalloc(2 * depth + 16);

	strcpy(s, "{\"apps\":");
	memset(s + 8, '[', depth);
	memset(s + 8 + depth, ']', depth);
	strcpy(s + 8 + 2 * depth, "}");
	return s;
}

static void
run_case(const struct parse_case *c)
{
	char *text = c->text != NULL ? xstrdup(c->text) : deep_nesting();
	size_t len = strlen(text);
	struct diag *d = diag_create();
	struct index_doc *doc = (struct index_doc *)1;
	char *got, *problems;
	int rc;

	rc = index_parse(c->kind, text, len, NULL, &c->lim, &doc, d);
	got = doc != NULL ? dump_doc(doc) : NULL;
	problems = dump_diag(d);
	if (!tap_ok(rc == c->rc && (rc == 0 ? doc != NULL : doc == NULL) &&
	    (c->want == NULL ? got == NULL : got != NULL && strcmp(got, c->want) == 0) &&
	    problem_matches(problems, c->problem), "%s", c->name)) {
		printf("#   rc %d (want %d)\n#   got:  %s\n#   want: %s\n", rc, c->rc,
		    got ? got : "(null)", c->want ? c->want : "(null)");
		printf("#   problems:      %s\n#   want problems: %s\n", problems, c->problem);
	}
	free(got);
	free(problems);
	index_doc_free(doc);
	diag_free(d);
	free(text);
}

int
main(void)
{
	struct diag *d = diag_create();
	struct index_doc *doc = NULL, *bad = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	tap_ok(index_parse(INDEX_APPS, "{\"apps\":[]}", 11, "copy/apps.json", NULL, &doc, d) == 0 &&
	    index_parse(INDEX_APPS, "{", 1, "copy/apps.json", NULL, &bad, d) == -1 && bad == NULL &&
	    d->count == 1 && strcmp(d->entries[0].where, "copy/apps.json") == 0,
	    "problems name the index as the caller gives it");
	index_doc_free(doc);
	diag_free(d);
	d = diag_create();
	doc = (struct index_doc *)d;
	tap_ok(index_parse(INDEX_KIND_COUNT, "{}", 2, NULL, NULL, &doc, d) == -1 && doc == NULL &&
	    d->errors == 1 && strstr(d->entries[0].message, "unknown index kind") != NULL,
	    "an unknown kind is an error, not an abort");
	diag_free(d);
	tap_str_eq(index_kind_file(INDEX_PHONEPLATFORM), "phoneplatform.json", "index file names");
	tap_str_eq(index_kind_platform_dir(INDEX_LINUX), "app-platform", "platform folders");
	tap_ok(index_kind_platform_dir(INDEX_FIRMWARE) == NULL, "no platform folder for firmware");
	index_doc_free(NULL);
	return tap_done();
}
