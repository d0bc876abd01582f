/*
 * test_descriptor: the build.json parser, from a table of named cases.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "descriptor.h"

struct desc_case {
	const char *name;
	const char *text;
	int ok;
	const char *release;	/* expected when ok */
	const char *label;
	const char *wiki;
	int kind;
	const char *err;	/* a substring of the error when !ok */
};

static const struct desc_case cases[] = {
	{ "empty object", "{}", 1, NULL, NULL, NULL, KIND_NONE, NULL },
	{ "release label wiki",
	  "{\"release\":\"13r1\",\"label\":\"sr01\",\"wiki\":\"https://wiki.example/13r1\"}",
	  1, "13r1", "sr01", "https://wiki.example/13r1", KIND_NONE, NULL },
	{ "old release id", "{\"release\":\"10.00\"}", 1, "10.00", NULL, NULL, KIND_NONE, NULL },
	{ "kind firmware", "{\"kind\":\"firmware\"}", 1, NULL, NULL, NULL, ITEM_FIRMWARE, NULL },
	{ "kind app-platform", "{\"kind\":\"app-platform\"}", 1, NULL, NULL, NULL, ITEM_PLATFORM,
	  NULL },
	{ "kind phoneplatform alias", "{\"kind\":\"phoneplatform\"}", 1, NULL, NULL, NULL,
	  ITEM_PHONEPLATFORM, NULL },
	{ "items kept", "{\"items\":{\"apidemo\":{\"title\":\"x\",\"unknown\":[1]}}}", 1, NULL,
	  NULL, NULL, KIND_NONE, NULL },
	{ "platform", "{\"kind\":\"app-platform\",\"platform\":{\"id\":\"arm\",\"text\":\"AP\","
	  "\"devices\":[\"IP0011\"],\"files\":{\"file\":\"a.img\",\"zip2\":\"b.zip\"}}}", 1, NULL,
	  NULL, NULL, ITEM_PLATFORM, NULL },
	{ "not json", "{", 0, NULL, NULL, NULL, 0, "line 1" },
	{ "not an object", "[]", 0, NULL, NULL, NULL, 0, "not a JSON object" },
	{ "unknown member", "{\"relase\":\"13r1\"}", 0, NULL, NULL, NULL, 0, "relase: unknown" },
	{ "duplicate member", "{\"release\":\"13r1\",\"release\":\"13r2\"}", 0, NULL, NULL, NULL,
	  0, "duplicate" },
	{ "release not string", "{\"release\":13}", 0, NULL, NULL, NULL, 0, "release: not a string" },
	{ "release with space", "{\"release\":\"13 r1\"}", 0, NULL, NULL, NULL, 0, "release: invalid" },
	{ "release empty", "{\"release\":\"\"}", 0, NULL, NULL, NULL, 0, "release: invalid" },
	{ "release leading dot", "{\"release\":\".13\"}", 0, NULL, NULL, NULL, 0, "release: invalid" },
	{ "label slash", "{\"label\":\"sr/01\"}", 0, NULL, NULL, NULL, 0, "label: invalid" },
	{ "wiki ftp", "{\"wiki\":\"ftp://x/y\"}", 0, NULL, NULL, NULL, 0, "wiki: invalid" },
	{ "wiki with space", "{\"wiki\":\"https://x/a b\"}", 0, NULL, NULL, NULL, 0, "wiki: invalid" },
	{ "wiki bare scheme", "{\"wiki\":\"https://\"}", 0, NULL, NULL, NULL, 0, "wiki: invalid" },
	{ "unknown kind", "{\"kind\":\"driver\"}", 0, NULL, NULL, NULL, 0, "unknown kind" },
	{ "items not object", "{\"items\":[]}", 0, NULL, NULL, NULL, 0, "items: not an object" },
	{ "item bad id", "{\"items\":{\"Bad Id\":{}}}", 0, NULL, NULL, NULL, 0, "invalid item id" },
	{ "item not object", "{\"items\":{\"a\":1}}", 0, NULL, NULL, NULL, 0, "items.a: not an object" },
	{ "platform file with slash", "{\"platform\":{\"files\":{\"file\":\"../x\"}}}", 0, NULL,
	  NULL, NULL, 0, "not a plain file name" },
	{ "platform hidden file", "{\"platform\":{\"files\":{\"file\":\".x\"}}}", 0, NULL, NULL,
	  NULL, 0, "not a plain file name" },
	{ "platform unknown slot", "{\"platform\":{\"files\":{\"zip3\":\"x\"}}}", 0, NULL, NULL,
	  NULL, 0, "unknown slot" },
	{ "platform unknown member", "{\"platform\":{\"version\":\"1\"}}", 0, NULL, NULL, NULL, 0,
	  "platform.version: unknown" },
	{ "platform devices not strings", "{\"platform\":{\"devices\":[1]}}", 0, NULL, NULL, NULL,
	  0, "platform.devices[0]" },
	{ "platform for firmware", "{\"kind\":\"firmware\",\"platform\":{\"id\":\"arm\"}}", 0,
	  NULL, NULL, NULL, 0, "given for kind firmware" },
};

static int
check_case(const struct desc_case *c)
{
	struct descriptor d;
	struct errbuf err = { "" };
	int rc = descriptor_parse(c->text, strlen(c->text), &d, &err);
	int good;

	if (!c->ok) {
		good = rc == -1 && strstr(err.msg, c->err) != NULL && d.release == NULL &&
		    d.items == NULL;
		if (!good)
			printf("#   error: '%s', want '%s'\n", err.msg, c->err);
		descriptor_free(&d);
		return good;
	}
	good = rc == 0 && d.kind == c->kind &&
	    ((c->release == NULL && d.release == NULL) ||
	     (c->release && d.release && strcmp(c->release, d.release) == 0)) &&
	    ((c->label == NULL && d.label == NULL) ||
	     (c->label && d.label && strcmp(c->label, d.label) == 0)) &&
	    ((c->wiki == NULL && d.wiki == NULL) ||
	     (c->wiki && d.wiki && strcmp(c->wiki, d.wiki) == 0));
	if (!good)
		printf("#   rc %d error '%s'\n", rc, err.msg);
	descriptor_free(&d);
	return good;
}

static void
test_platform_fields(void)
{
	const char *text = "{\"platform\":{\"id\":\"arm\",\"devices\":[\"IP0011\",\"IP811\"],"
	    "\"files\":{\"update\":\"u.img\"}}}";
	struct descriptor d;
	struct errbuf err;

	tap_ok(descriptor_parse(text, strlen(text), &d, &err) == 0, "platform parses");
	tap_str_eq(d.platform_id, "arm", "platform id");
	tap_ok(json_array_size(d.platform_devices) == 2, "platform devices");
	tap_str_eq(d.platform_files[1], "u.img", "update slot");
	tap_ok(d.platform_files[0] == NULL, "file slot absent");
	descriptor_free(&d);
}

static void
test_limits(void)
{
	size_t len = DESCRIPTOR_MAX_BYTES + 10;
	char *big = malloc(len);
	struct descriptor d;
	struct errbuf err;

	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	tap_ok(descriptor_parse(big, len, &d, &err) == -1 && strstr(err.msg, "longer than 65536 bytes") != NULL,
	    "over-long descriptor refused");
	tap_ok(descriptor_parse("{}\0x", 4, &d, &err) == -1, "embedded NUL refused");
	free(big);
}

static void
test_kind_names(void)
{
	tap_ok(descriptor_kind_from_name("software") == ITEM_SOFTWARE, "kind software");
	tap_ok(descriptor_kind_from_name("App") == KIND_NONE, "kind names are lower case");
	tap_str_eq(descriptor_kind_name(ITEM_PHONEPLATFORM), "phone-platform", "kind name");
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_ok(check_case(&cases[i]), "%s", cases[i].name);
	test_platform_fields();
	test_limits();
	test_kind_names();
	return tap_done();
}
