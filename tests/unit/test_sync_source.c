/*
 * test_sync_source: how storemirror's --upstream and --channels become the
 * channels it mirrors (sync_targets_resolve()) and where a folder's files
 * and sha256 record are found (sync_source_locate()), one named case per
 * form: a channel's download URL, a store base URL, a local download/
 * folder, a local store root, and the refusals.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "sync_source.h"
#include "xmalloc.h"

struct resolve_case {
	const char *name;
	const char *upstream;
	const char *channels;
	int rc;
	const char *want;	/* "<channel> <download> <records> <local>;" per target */
	const char *err;	/* a substring of the error */
};

static const struct resolve_case resolve_cases[] = {
	{ "a channel's download URL", "http://h:8080/beta/download", NULL, 0,
	    "beta http://h:8080/beta/download http://h:8080/beta/sha256 0;", NULL },
	{ "trailing slashes ignored", "https://store.example/release/download//", NULL, 0,
	    "release https://store.example/release/download https://store.example/release/sha256 0;",
	    NULL },
	{ "a channel URL under a prefix", "http://h/stores/a/beta/download", NULL, 0,
	    "beta http://h/stores/a/beta/download http://h/stores/a/beta/sha256 0;", NULL },
	{ "a channel URL named locally", "http://h/release/download", "offline", 0,
	    "offline http://h/release/download http://h/release/sha256 0;", NULL },
	{ "a channel URL with two local names", "http://h/release/download", "a,b", -1, NULL,
	    "is one channel; give one local name" },
	{ "a channel URL whose name is not a channel", "http://h/.x/download", NULL, -1, NULL,
	    "is not a valid channel name; name it with --channels" },
	{ "a store base and two channels", "http://h:8080/", "release,beta", 0,
	    "release http://h:8080/release/download http://h:8080/release/sha256 0;"
	    "beta http://h:8080/beta/download http://h:8080/beta/sha256 0;", NULL },
	{ "a store base without a slash", "http://h:8080/store", "release", 0,
	    "release http://h:8080/store/release/download http://h:8080/store/release/sha256 0;",
	    NULL },
	{ "a store base without channels", "http://h:8080/", NULL, -1, NULL,
	    "name the channels to mirror with --channels" },
	{ "a store base with a bad channel", "http://h:8080/", "release,../x", -1, NULL,
	    "\"../x\" is not a valid channel name" },
	{ "a local download folder", "/srv/store/release/download", NULL, 0,
	    "release /srv/store/release/download /srv/store/release/hashes 1;", NULL },
	{ "a local download folder named locally", "/srv/usb/download/", "beta", 0,
	    "beta /srv/usb/download /srv/usb/hashes 1;", NULL },
	{ "a local store root", "/srv/store", "release,beta", 0,
	    "release /srv/store/release/download /srv/store/release/hashes 1;"
	    "beta /srv/store/beta/download /srv/store/beta/hashes 1;", NULL },
	{ "a local store root without channels", "/srv/store", NULL, -1, NULL,
	    "not a channel's .../download folder" },
	{ "no upstream", "", "release", -1, NULL, "--upstream: missing" },
};

static char *
render(const struct sync_target *t, size_t n)
{
	char *s = xstrdup(""), *next;

	for (size_t i = 0; i < n; i++) {
		next = xasprintf("%s%s %s %s %d;", s, t[i].channel, t[i].download, t[i].records,
		    t[i].local);
		free(s);
		s = next;
	}
	return s;
}

static void
run_resolve_case(const struct resolve_case *c)
{
	struct sync_target *t = NULL;
	struct errbuf err = { "" };
	size_t n = 0;
	int rc = sync_targets_resolve(c->upstream, c->channels, &t, &n, &err);
	char *got = render(t, n);

	tap_ok(rc == c->rc, "%s: returns %d", c->name, c->rc);
	if (c->want != NULL)
		tap_str_eq(got, c->want, c->name);
	else
		tap_ok(t == NULL && n == 0 && strstr(err.msg, c->err) != NULL,
		    "%s: refused, \"%s\"", c->name, c->err);
	free(got);
	sync_targets_free(t, n);
}

struct locate_case {
	const char *name;
	struct sync_target t;
	enum sync_base base;
	const char *rel;
	const char *want;	/* NULL: refused */
};

#define HTTP_T	{ "beta", "http://h:8080/beta/download", "http://h:8080/beta/sha256", 0 }
#define LOCAL_T	{ "beta", "/srv/beta/download", "/srv/beta/hashes", 1 }

static const struct locate_case locate_cases[] = {
	{ "a file over HTTP", HTTP_T, SYNC_BASE_DOWNLOAD, "130001/arm/a b.bin",
	    "http://h:8080/beta/download/130001/arm/a%20b.bin" },
	{ "a build's record over HTTP", HTTP_T, SYNC_BASE_RECORDS, "130001",
	    "http://h:8080/beta/sha256/130001" },
	{ "a platform version's record over HTTP", HTTP_T, SYNC_BASE_RECORDS,
	    "app-platform/10001", "http://h:8080/beta/sha256/app-platform/10001" },
	{ "an absolute path refused", HTTP_T, SYNC_BASE_DOWNLOAD, "/etc/passwd", NULL },
	{ "a local file", LOCAL_T, SYNC_BASE_DOWNLOAD, "130001/ip0013.bin",
	    "/srv/beta/download/130001/ip0013.bin" },
	{ "a local build's record", LOCAL_T, SYNC_BASE_RECORDS, "130001",
	    "/srv/beta/hashes/130001.sha256" },
	{ "a local phone platform's record", LOCAL_T, SYNC_BASE_RECORDS, "phoneplatform/2165",
	    "/srv/beta/hashes/phoneplatform-2165.sha256" },
};

static void
run_locate_case(const struct locate_case *c)
{
	struct errbuf err = { "" };
	char *got = sync_source_locate(&c->t, c->base, c->rel, &err);

	if (c->want != NULL)
		tap_str_eq(got, c->want, c->name);
	else
		tap_ok(got == NULL && err.msg[0] != '\0', "%s: refused (%s)", c->name, err.msg);
	free(got);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++)
		run_resolve_case(&resolve_cases[i]);
	for (size_t i = 0; i < sizeof(locate_cases) / sizeof(locate_cases[0]); i++)
		run_locate_case(&locate_cases[i]);
	sync_targets_free(NULL, 0);
	return tap_done();
}
