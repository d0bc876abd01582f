/*
 * test_catalog: catalog.json validation (errors name the field path),
 * unknown fields kept across load and save, missing versus empty, getters
 * and setters.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "catalog.h"

struct load_case {
	const char *name;
	const char *text;
	const char *error;	/* NULL: valid */
};

static const struct load_case load_cases[] = {
	{ "empty object", "{}", NULL },
	{ "full example",
	    "{\"releases\":{\"13r1\":{\"wiki\":\"https://wiki\"}},"
	    "\"builds\":{\"130001\":{\"release\":\"13r1\",\"label\":\"sr01\","
	    "\"item_fields\":{\"apidemo\":{\"compatibility\":\"x\"}}}},"
	    "\"apps\":{\"apidemo\":{\"folder\":\"apidemo\",\"binary\":\"apidemo\","
	    "\"manufacturer\":\"innovaphone AG\",\"title\":\"API Demo\",\"license_type\":\"free\","
	    "\"langs\":[\"de\",\"en\"],\"any_unknown\":[1,2]}},"
	    "\"software\":{\"myappswindows\":{\"binary\":\"myAppsSetup.exe\"}},"
	    "\"firmware\":{\"ip222\":{\"devices\":[\"IP222\"]}},"
	    "\"platforms\":{\"arm\":{\"text\":\"App Platform\",\"devices\":[\"IP0011\"],"
	    "\"files\":{\"file\":\"a.img\",\"update\":\"u.img\"}}},"
	    "\"phoneplatforms\":{\"ip270\":{\"files\":{\"file\":\"r.img\"}}},"
	    "\"top_unknown\":{\"x\":1}}", NULL },
	{ "syntax error", "{\"apps\":", "catalog.json: line 1, column 8:" },
	{ "duplicate key", "{\"apps\":{},\"apps\":{}}", "catalog.json: line 1" },
	{ "top level array", "[]", "catalog.json: expected an object at the top level" },
	{ "apps not an object", "{\"apps\":[]}", "catalog.json: apps: expected an object" },
	{ "app not an object", "{\"apps\":{\"a\":1}}", "catalog.json: apps.a: expected an object" },
	{ "title not a string", "{\"apps\":{\"apidemo\":{\"title\":3}}}",
	    "catalog.json: apps.apidemo.title: expected a string" },
	{ "invalid app id", "{\"apps\":{\"Api Demo\":{}}}",
	    "catalog.json: apps.Api Demo: not a valid id" },
	{ "folder with slash", "{\"apps\":{\"a\":{\"folder\":\"x/y\"}}}",
	    "catalog.json: apps.a.folder: \"x/y\" is not a valid file name" },
	{ "hidden binary", "{\"software\":{\"s\":{\"binary\":\".x\"}}}",
	    "catalog.json: software.s.binary: \".x\" is not a valid file name" },
	{ "license type unknown", "{\"apps\":{\"a\":{\"license_type\":\"gpl\"}}}",
	    "catalog.json: apps.a.license_type: \"gpl\" is not one of free, innovaphone, partner" },
	{ "langs not an array", "{\"apps\":{\"a\":{\"langs\":\"de\"}}}",
	    "catalog.json: apps.a.langs: expected an array of strings" },
	{ "categories with a number", "{\"apps\":{\"a\":{\"categories\":[\"x\",2]}}}",
	    "catalog.json: apps.a.categories[1]: expected a string" },
	{ "reserved versions", "{\"apps\":{\"a\":{\"versions\":[]}}}",
	    "catalog.json: apps.a.versions: reserved" },
	{ "id in two sections", "{\"apps\":{\"a\":{}},\"software\":{\"a\":{}}}",
	    "catalog.json: software.a: also in apps" },
	{ "wiki not a string", "{\"releases\":{\"13r1\":{\"wiki\":true}}}",
	    "catalog.json: releases.13r1.wiki: expected a string" },
	{ "invalid build number", "{\"builds\":{\"0130\":{}}}",
	    "catalog.json: builds.0130: not a valid build number" },
	{ "build not an object", "{\"builds\":{\"130001\":\"13r1\"}}",
	    "catalog.json: builds.130001: expected an object" },
	{ "release not a string", "{\"builds\":{\"130001\":{\"release\":13}}}",
	    "catalog.json: builds.130001.release: expected a string" },
	{ "label not a string", "{\"builds\":{\"130001\":{\"label\":[]}}}",
	    "catalog.json: builds.130001.label: expected a string" },
	{ "item_fields entry not an object",
	    "{\"builds\":{\"130001\":{\"item_fields\":{\"apidemo\":1}}}}",
	    "catalog.json: builds.130001.item_fields.apidemo: expected an object" },
	{ "item_fields reserved build",
	    "{\"builds\":{\"130001\":{\"item_fields\":{\"apidemo\":{\"build\":\"1\"}}}}}",
	    "catalog.json: builds.130001.item_fields.apidemo.build: reserved" },
	{ "firmware devices not strings", "{\"firmware\":{\"ip222\":{\"devices\":[1]}}}",
	    "catalog.json: firmware.ip222.devices[0]: expected a string" },
	{ "platform files not an object", "{\"platforms\":{\"arm\":{\"files\":[\"a\"]}}}",
	    "catalog.json: platforms.arm.files: expected an object of file names" },
	{ "platform file with slash",
	    "{\"phoneplatforms\":{\"ip270\":{\"files\":{\"file\":\"../x\"}}}}",
	    "catalog.json: phoneplatforms.ip270.files.file: \"../x\" is not a valid file name" },
	{ "platform text not a string", "{\"platforms\":{\"arm\":{\"text\":null}}}",
	    "catalog.json: platforms.arm.text: expected a string" },
};

static void
run_load_cases(void)
{
	for (size_t i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
		const struct load_case *c = &load_cases[i];
		struct catalog *cat = (struct catalog *)1;
		struct errbuf err = { "" };
		int rc;

		rc = catalog_parse(c->text, strlen(c->text), "catalog.json", &cat, &err);
		if (c->error == NULL)
			tap_ok(rc == 0 && cat != NULL, "valid: %s", c->name);
		else {
			tap_ok(rc == -1 && cat == NULL &&
			    strncmp(err.msg, c->error, strlen(c->error)) == 0, "refused: %s", c->name);
			if (rc == 0 || strncmp(err.msg, c->error, strlen(c->error)) != 0)
				printf("#   got '%s'\n#   want '%s'\n", err.msg, c->error);
		}
		if (rc == 0)
			catalog_free(cat);
	}
}

static const char roundtrip_text[] =
    "{\n"
    "  \"zeta\": 1,\n"
    "  \"apps\": {\n"
    "    \"apidemo\": {\n"
    "      \"title\": \"API Demo\",\n"
    "      \"any_unknown\": [\n"
    "        1,\n"
    "        2\n"
    "      ],\n"
    "      \"nested\": {\n"
    "        \"b\": true,\n"
    "        \"a\": null\n"
    "      }\n"
    "    }\n"
    "  },\n"
    "  \"alpha\": \"kept\"\n"
    "}\n";

static void
run_roundtrip(int dfd)
{
	struct catalog *cat = NULL, *again = NULL;
	struct errbuf err;
	char *dump, *dump2;

	catalog_parse(roundtrip_text, strlen(roundtrip_text), "x", &cat, &err);
	dump = cat ? catalog_dump(cat) : NULL;
	tap_str_eq(dump, roundtrip_text, "unknown fields and their order kept by dump");
	tap_ok(cat && catalog_save_at(cat, dfd, "catalog.json", &err) == 0, "save_at succeeds");
	tap_ok(catalog_load_at(dfd, "catalog.json", &again, &err) == 0 && again != NULL,
	    "load_at reads the saved file");
	dump2 = again ? catalog_dump(again) : NULL;
	tap_str_eq(dump2, dump, "load(save(x)) gives the same bytes");
	free(dump);
	free(dump2);
	catalog_free(cat);
	catalog_free(again);
}

static void
run_missing_empty(int dfd, const char *dir)
{
	struct catalog *cat = (struct catalog *)1;
	struct errbuf err = { "" };
	char *path;
	int fd;

	tap_ok(catalog_load_at(dfd, "nothing.json", &cat, &err) == 0 && cat == NULL,
	    "missing file: 0 and no catalog");
	fd = openat(dfd, "empty.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	(void)!write(fd, "{}", 2);
	close(fd);
	tap_ok(catalog_load_at(dfd, "empty.json", &cat, &err) == 0 && cat != NULL &&
	    catalog_section(cat, ITEM_APP) == NULL, "empty object: a catalog without sections");
	catalog_free(cat);
	fd = openat(dfd, "zero.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	close(fd);
	tap_ok(catalog_load_at(dfd, "zero.json", &cat, &err) == -1 &&
	    strncmp(err.msg, "zero.json: ", 11) == 0, "zero-byte file: a syntax error");
	path = NULL;
	if (asprintf(&path, "%s/empty.json", dir) > 0) {
		tap_ok(catalog_load(path, &cat, &err) == 0 && cat != NULL, "load by path");
		tap_ok(cat != NULL && catalog_save(cat, path, &err) == 0, "save by path");
		catalog_free(cat);
	}
	free(path);
	unlinkat(dfd, "empty.json", 0);
	unlinkat(dfd, "zero.json", 0);
}

static void
run_setters(void)
{
	struct catalog *cat = catalog_create();
	struct errbuf err = { "" };
	json_t *fields;
	enum item_kind kind = ITEM_KIND_COUNT;
	char *dump;

	tap_ok(catalog_set_build(cat, "130001", "13r1", "sr01", &err) == 0 &&
	    strcmp(catalog_build_release(cat, "130001"), "13r1") == 0 &&
	    strcmp(catalog_build_label(cat, "130001"), "sr01") == 0, "set_build: release and label");
	tap_ok(catalog_set_build(cat, "130001", "13r2", NULL, &err) == 0 &&
	    strcmp(catalog_build_label(cat, "130001"), "sr01") == 0 &&
	    strcmp(catalog_build_release(cat, "130001"), "13r2") == 0,
	    "set_build: NULL label keeps the label");
	tap_ok(catalog_set_build(cat, "01", "13r1", NULL, &err) == -1 &&
	    strstr(err.msg, "builds.01: not a valid build number") != NULL,
	    "set_build: invalid build refused");
	tap_ok(catalog_set_build(cat, "130002", "13 r1", NULL, &err) == -1 &&
	    catalog_build_release(cat, "130002") == NULL, "set_build: invalid release, unchanged");
	tap_ok(catalog_set_build(cat, "130009", "13r1", "sr09", &err) == 0 &&
	    catalog_remove_build(cat, "130009", &err) == 0 &&
	    catalog_build_release(cat, "130009") == NULL &&
	    strcmp(catalog_build_release(cat, "130001"), "13r2") == 0,
	    "remove_build: that build forgotten, others kept");
	tap_ok(catalog_remove_build(cat, "130999", &err) == 0, "remove_build: absent build is fine");
	tap_ok(catalog_set_release_wiki(cat, "13r1", "https://wiki/13r1", &err) == 0 &&
	    strcmp(catalog_release_wiki(cat, "13r1"), "https://wiki/13r1") == 0,
	    "set_release_wiki");
	fields = json_pack("{s:s, s:s, s:[i]}", "title", "API Demo", "folder", "apidemo",
	    "x_unknown", 7);
	tap_ok(catalog_merge_item(cat, ITEM_APP, "apidemo", fields, &err) == 0 &&
	    strcmp(catalog_item_string(cat, ITEM_APP, "apidemo", "title"), "API Demo") == 0,
	    "merge_item: creates the app");
	json_decref(fields);
	fields = json_pack("{s:s}", "title", "New Title");
	tap_ok(catalog_merge_item(cat, ITEM_APP, "apidemo", fields, &err) == 0 &&
	    strcmp(catalog_item_string(cat, ITEM_APP, "apidemo", "title"), "New Title") == 0 &&
	    strcmp(catalog_item_string(cat, ITEM_APP, "apidemo", "folder"), "apidemo") == 0 &&
	    json_object_get(catalog_item(cat, ITEM_APP, "apidemo"), "x_unknown") != NULL,
	    "merge_item: replaces one field, keeps the others");
	json_decref(fields);
	fields = json_pack("{s:i}", "title", 5);
	tap_ok(catalog_merge_item(cat, ITEM_APP, "apidemo", fields, &err) == -1 &&
	    strcmp(err.msg, "apps.apidemo.title: expected a string") == 0 &&
	    strcmp(catalog_item_string(cat, ITEM_APP, "apidemo", "title"), "New Title") == 0,
	    "merge_item: invalid field refused, catalog unchanged");
	json_decref(fields);
	fields = json_object();
	tap_ok(catalog_merge_item(cat, ITEM_SOFTWARE, "apidemo", fields, &err) == -1 &&
	    strstr(err.msg, "also in apps") != NULL, "merge_item: id in a second section refused");
	tap_ok(catalog_merge_item(cat, ITEM_FIRMWARE, "ip222", fields, &err) == 0 &&
	    catalog_item_kind(cat, "ip222", &kind) && kind == ITEM_FIRMWARE,
	    "merge_item: firmware, item_kind finds it");
	json_decref(fields);
	tap_ok(catalog_item_kind(cat, "apidemo", &kind) && kind == ITEM_APP &&
	    !catalog_item_kind(cat, "nothing", &kind), "item_kind: app found, unknown not");
	fields = json_pack("{s:s}", "compatibility", "13r1+");
	tap_ok(catalog_set_item_fields(cat, "130003", "apidemo", fields, &err) == 0 &&
	    json_is_string(json_object_get(catalog_build_item_fields(cat, "130003", "apidemo"),
	    "compatibility")), "set_item_fields: creates build and fields");
	json_decref(fields);
	fields = json_pack("{s:s}", "label", "x");
	tap_ok(catalog_set_item_fields(cat, "130003", "apidemo", fields, &err) == -1 &&
	    strstr(err.msg, "builds.130003.item_fields.apidemo.label: reserved") != NULL,
	    "set_item_fields: reserved field refused");
	json_decref(fields);
	dump = catalog_dump(cat);
	tap_ok(strstr(dump, "\"releases\": {\n    \"13r1\": {\n      \"wiki\"") != NULL &&
	    strstr(dump, "\"13r2\": {}") != NULL, "set_build adds the release; dump is pretty");
	free(dump);
	catalog_free(cat);
}

struct cmp_case {
	const char *a, *b;
	int sign;
};

static const struct cmp_case cmp_cases[] = {
	{ "12r2", "13r1", -1 }, { "13r1", "12r2", 1 }, { "10.00", "12r2", -1 },
	{ "13r1", "13r1", 0 }, { "13r10", "13r9", 1 }, { "9r1", "10r1", -1 },
};

static void
run_release_cmp(void)
{
	for (size_t i = 0; i < sizeof(cmp_cases) / sizeof(cmp_cases[0]); i++) {
		int c = catalog_release_cmp(cmp_cases[i].a, cmp_cases[i].b);

		c = c < 0 ? -1 : c > 0;
		tap_ok(c == cmp_cases[i].sign, "release_cmp %s vs %s", cmp_cases[i].a,
		    cmp_cases[i].b);
	}
}

int
main(void)
{
	char dir[] = "/tmp/test_catalog.XXXXXX";
	int dfd;

	if (mkdtemp(dir) == NULL || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	run_load_cases();
	run_roundtrip(dfd);
	run_missing_empty(dfd, dir);
	run_setters();
	run_release_cmp();
	unlinkat(dfd, "catalog.json", 0);
	close(dfd);
	tap_ok(rmdir(dir) == 0, "no temporary file left");
	return tap_done();
}
