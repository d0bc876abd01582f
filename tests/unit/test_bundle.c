/*
 * test_bundle: table tests of the air-gap bundle's pure parts
 * (importer/bundle.h): which paths a bundle may carry and the folder each
 * belongs to, the manifest's checks and its round trip through text, the
 * sha256 record of a folder, and an Ed25519 signature made and checked
 * with keys written by OpenSSL (a good one, another key, a changed
 * message, a key of the wrong type).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../tap.h"
#include "bundle.h"
#include "xmalloc.h"

struct path_case {
	const char *name;
	const char *path;
	const char *unit;	/* NULL: refused */
	const char *rest;
};

static const struct path_case path_cases[] = {
	{ "an index", "download/apps.json", "", "apps.json" },
	{ "the phone platform index", "download/phoneplatform.json", "", "phoneplatform.json" },
	{ "a manifest", "download/130001/apidemo_files", "130001", "apidemo_files" },
	{ "an app file", "download/130001/arm/apidemo/apidemo.png", "130001",
	    "arm/apidemo/apidemo.png" },
	{ "an App Platform file", "download/app-platform/10001/a.img", "app-platform/10001",
	    "a.img" },
	{ "a phone platform file", "download/phoneplatform/2165/rootfs.img",
	    "phoneplatform/2165", "rootfs.img" },
	{ "not below download/", "release/download/apps.json", NULL, NULL },
	{ "download/ alone", "download/", NULL, NULL },
	{ "an unknown top file", "download/evil.json", NULL, NULL },
	{ "catalog.json", "download/catalog.json", NULL, NULL },
	{ "a build number with a leading zero", "download/0130001/x.bin", NULL, NULL },
	{ "a build number of 10 digits", "download/1234567890/x.bin", NULL, NULL },
	{ "a folder that is no build", "download/builds/x.bin", NULL, NULL },
	{ "a platform version that is no number", "download/app-platform/latest/a.img",
	    NULL, NULL },
	{ "a platform folder without a file", "download/app-platform/10001", NULL, NULL },
	{ "a build folder alone", "download/130001", NULL, NULL },
	{ "..", "download/130001/../../etc/passwd", NULL, NULL },
	{ ".", "download/130001/./x.bin", NULL, NULL },
	{ "an empty segment", "download/130001//x.bin", NULL, NULL },
	{ "a trailing slash", "download/130001/x.bin/", NULL, NULL },
	{ "absolute", "/download/130001/x.bin", NULL, NULL },
	{ "a hidden file", "download/130001/.x.bin", NULL, NULL },
	{ "a backslash", "download/130001/a\\b.bin", NULL, NULL },
	{ "a control character", "download/130001/a\nb.bin", NULL, NULL },
	{ "not UTF-8", "download/130001/caf\xe9.bin", NULL, NULL },
	{ "UTF-8", "download/130001/caf\xc3\xa9.bin", "130001", "caf\xc3\xa9.bin" },
};

static void
test_paths(void)
{
	char unit[BUNDLE_PATH_MAX];

	for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];
		const char *rest = NULL;
		int n = bundle_path_unit(c->path, unit, sizeof(unit), &rest);

		if (c->unit == NULL) {
			tap_ok(n == -1, "path: %s: refused", c->name);
			continue;
		}
		if (!tap_ok(n != -1, "path: %s: accepted", c->name))
			continue;
		tap_str_eq(unit, c->unit, c->name);
		tap_str_eq(rest, c->rest, c->name);
	}
}

static void
test_records(void)
{
	const char *cases[][2] = {
		{ "130001", "hashes/130001.sha256" },
		{ "app-platform/10001", "hashes/app-platform-10001.sha256" },
		{ "phoneplatform/2165", "hashes/phoneplatform-2165.sha256" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *rec = bundle_unit_record(cases[i][0]);

		tap_str_eq(rec, cases[i][1], cases[i][0]);
		free(rec);
	}
}

#define HEX_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEAD	"{\"format\":\"storesrv-bundle\",\"version\":1,\"channel\":\"release\"," \
		"\"created\":\"2026-11-27T12:00:00Z\",\"files\":"
#define FILE_A	"{\"path\":\"download/130001/a\",\"size\":1,\"sha256\":\"" HEX_A "\"}"
#define FILE_B	"{\"path\":\"download/130001/b\",\"size\":2,\"sha256\":\"" HEX_A "\"}"

struct manifest_case {
	const char *name;
	const char *text;
	const char *err;	/* NULL: accepted; else a part of the error */
};

static const struct manifest_case manifest_cases[] = {
	{ "two files", HEAD "[" FILE_A "," FILE_B "]}", NULL },
	{ "no file", HEAD "[]}", NULL },
	{ "unknown members are ignored", HEAD "[" FILE_A "],\"x\":1}", NULL },
	{ "not JSON", "{", "line 1" },
	{ "a duplicate key", HEAD "[],\"files\":[]}", "line" },
	{ "another format", "{\"format\":\"tar\",\"version\":1,\"channel\":\"release\","
	    "\"created\":\"x\",\"files\":[]}", "not storesrv-bundle" },
	{ "version 2", "{\"format\":\"storesrv-bundle\",\"version\":2,\"channel\":\"release\","
	    "\"created\":\"x\",\"files\":[]}", "version 2" },
	{ "a bad channel", "{\"format\":\"storesrv-bundle\",\"version\":1,\"channel\":\"../x\","
	    "\"created\":\"x\",\"files\":[]}", "invalid channel" },
	{ "files not an array", HEAD "{}}", "files: not an array" },
	{ "out of order", HEAD "[" FILE_B "," FILE_A "]}", "files[1] (download/130001/a): not sorted" },
	{ "a duplicate", HEAD "[" FILE_A "," FILE_A "]}", "or a duplicate" },
	{ "a path a bundle cannot carry", HEAD "[{\"path\":\"download/../x\",\"size\":1,"
	    "\"sha256\":\"" HEX_A "\"}]}", "files[0] (download/../x): not a path" },
	{ "a negative size", HEAD "[{\"path\":\"download/130001/a\",\"size\":-1,"
	    "\"sha256\":\"" HEX_A "\"}]}", "negative size" },
	{ "a size that is a string", HEAD "[{\"path\":\"download/130001/a\",\"size\":\"1\","
	    "\"sha256\":\"" HEX_A "\"}]}", "files[0]: expected" },
	{ "an upper-case sha256", HEAD "[{\"path\":\"download/130001/a\",\"size\":1,"
	    "\"sha256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
	    "not 64 lower-case hex" },
	{ "a short sha256", HEAD "[{\"path\":\"download/130001/a\",\"size\":1,"
	    "\"sha256\":\"aa\"}]}", "not 64 lower-case hex" },
};

static void
test_manifests(void)
{
	for (size_t i = 0; i < sizeof(manifest_cases) / sizeof(manifest_cases[0]); i++) {
		const struct manifest_case *c = &manifest_cases[i];
		struct bundle_manifest m;
		struct errbuf err;
		int rc;

		err.msg[0] = '\0';
		rc = bundle_manifest_parse(c->text, strlen(c->text), &m, &err);
		if (c->err == NULL)
			tap_ok(rc == 0, "manifest: %s: accepted", c->name);
		else if (tap_ok(rc == -1 && strstr(err.msg, c->err) != NULL,
		    "manifest: %s: refused", c->name) == 0)
			printf("#   got: '%s'\n#   want a part: '%s'\n", err.msg, c->err);
		if (rc == 0)
			bundle_manifest_free(&m);
	}
}

/* The bounds of a manifest: its length, its number of files, a path's
 * length. */
static void
test_manifest_limits(void)
{
	size_t n = BUNDLE_MAX_FILES + 1, len = 0;
	char *text = xmalloc(strlen(HEAD) + n * 3 + 8), *path;
	struct bundle_manifest m;
	struct errbuf err;

	len += (size_t)sprintf(text, "%s[", HEAD);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%s{}", i ? "," : "");
	len += (size_t)sprintf(text + len, "]}");
	tap_ok(bundle_manifest_parse(text, len, &m, &err) == -1 &&
	    strstr(err.msg, "files: not an array of at most") != NULL,
	    "limits: one file more than BUNDLE_MAX_FILES refused");
	tap_ok(bundle_manifest_parse(text, (size_t)BUNDLE_MAX_MANIFEST + 1, &m, &err) == -1 &&
	    strstr(err.msg, "longer than") != NULL,
	    "limits: a manifest longer than BUNDLE_MAX_MANIFEST refused before it is read");
	free(text);
	path = xmalloc(BUNDLE_PATH_MAX + 64);
	memset(path, 'a', BUNDLE_PATH_MAX + 63);
	memcpy(path, "download/130001/", 16);
	for (size_t i = 100; i < BUNDLE_PATH_MAX + 63; i += 100)
		path[i] = '/';
	path[BUNDLE_PATH_MAX + 63] = '\0';
	text = xasprintf("%s[{\"path\":\"%s\",\"size\":1,\"sha256\":\"%s\"}]}", HEAD, path,
	    HEX_A);
	tap_ok(bundle_manifest_parse(text, strlen(text), &m, &err) == -1 &&
	    strstr(err.msg, "files[0] (download/130001/aaa") != NULL &&
	    strstr(err.msg, "...): not a path") != NULL,
	    "limits: a path longer than BUNDLE_PATH_MAX refused");
	free(text);
	free(path);
}

static void
test_manifest_round_trip(void)
{
	struct bundle_file files[] = {
		{ "download/130001/b", 2, HEX_A },
		{ "download/apps.json", 3, HEX_A },
		{ "download/130001/a", 1, HEX_A },
	};
	struct bundle_manifest m = { "beta", "2026-11-27T12:00:00Z", files, 3 }, back;
	struct errbuf err;
	size_t len;
	char *text;

	bundle_manifest_sort(&m);
	tap_str_eq(m.files[0].path, "download/130001/a", "round trip: sorted by path");
	text = bundle_manifest_dump(&m, &len);
	if (!tap_ok(bundle_manifest_parse(text, len, &back, &err) == 0, "round trip: parsed"))
		printf("#   %s\n", err.msg);
	else {
		tap_ok(back.nfiles == 3 && back.files[2].size == 3 &&
		    strcmp(back.channel, "beta") == 0, "round trip: the same files and channel");
		bundle_manifest_free(&back);
	}
	free(text);
}

/* Writes a new key of `type` as PEM private and public key files. */
static int
key_files(const char *type, const char *priv, const char *pub)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, type);
	FILE *a = fopen(priv, "w"), *b = fopen(pub, "w");
	int ok = k != NULL && a != NULL && b != NULL &&
	    PEM_write_PrivateKey(a, k, NULL, NULL, 0, NULL, NULL) == 1 &&
	    PEM_write_PUBKEY(b, k) == 1;

	if (a != NULL)
		fclose(a);
	if (b != NULL)
		fclose(b);
	EVP_PKEY_free(k);
	return ok;
}

static void
test_signatures(void)
{
	char dir[] = "/tmp/test_bundle.XXXXXX";
	char *k1, *p1, *k2, *p2, *kx, *px;
	unsigned char sig[BUNDLE_SIG_LEN];
	const char msg[] = "the manifest";
	struct errbuf err;

	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "signatures: a temporary folder");
		return;
	}
	k1 = xasprintf("%s/k1.pem", dir); p1 = xasprintf("%s/k1.pub", dir);
	k2 = xasprintf("%s/k2.pem", dir); p2 = xasprintf("%s/k2.pub", dir);
	kx = xasprintf("%s/x.pem", dir); px = xasprintf("%s/x.pub", dir);
	tap_ok(key_files("ED25519", k1, p1) && key_files("ED25519", k2, p2) &&
	    key_files("X25519", kx, px), "signatures: keys written");
	tap_ok(bundle_sign(k1, msg, sizeof(msg), sig, &err) == 0, "signatures: signed");
	tap_ok(bundle_verify(p1, msg, sizeof(msg), sig, sizeof(sig), &err) == 0,
	    "signatures: the right key verifies");
	tap_ok(bundle_verify(p2, msg, sizeof(msg), sig, sizeof(sig), &err) == 1,
	    "signatures: another key does not");
	tap_ok(bundle_verify(p1, "the manifesT", sizeof(msg), sig, sizeof(sig), &err) == 1,
	    "signatures: a changed message does not verify");
	tap_ok(bundle_verify(p1, msg, sizeof(msg), sig, sizeof(sig) - 1, &err) == 1,
	    "signatures: a short signature does not verify");
	tap_ok(bundle_sign(kx, msg, sizeof(msg), sig, &err) == -1 &&
	    strstr(err.msg, "not an Ed25519 key") != NULL, "signatures: an X25519 key refused");
	tap_ok(bundle_sign(p1, msg, sizeof(msg), sig, &err) == -1 &&
	    strstr(err.msg, "not a PEM private key") != NULL,
	    "signatures: a public key is no signing key");
	tap_ok(bundle_verify(k1, msg, sizeof(msg), sig, sizeof(sig), &err) == -1 &&
	    strstr(err.msg, "not a PEM public key") != NULL,
	    "signatures: a private key is not taken as the public one");
	unlink(k1); unlink(p1); unlink(k2); unlink(p2); unlink(kx); unlink(px);
	rmdir(dir);
	free(k1); free(p1); free(k2); free(p2); free(kx); free(px);
}

int
main(void)
{
	test_paths();
	test_records();
	test_manifests();
	test_manifest_limits();
	test_manifest_round_trip();
	test_signatures();
	return tap_done();
}
