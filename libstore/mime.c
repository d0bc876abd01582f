/*
 * mime: Content-Type by file name extension; see mime.h.
 *
 * One static table sorted by extension (lower case, ASCII order) and searched
 * with bsearch(); the unit test checks that the table stays sorted.  Text
 * types carry "charset=utf-8": everything the store writes is UTF-8.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"

#define MIME_DEFAULT	"application/octet-stream"
#define MIME_MANIFEST	"text/plain; charset=utf-8"
#define MIME_MANIFEST_SUFFIX	"_files"

struct mime_entry {
	const char	*ext;
	const char	*type;
};

/* Sorted by ext (strcasecmp order); keep it so when adding a line (the unit
 * test looks up every extension, which fails when the order is broken). */
static const struct mime_entry mime_table[] = {
	{ "apk",	"application/vnd.android.package-archive" },
	{ "appx",	"application/appx" },
	{ "bin",	"application/octet-stream" },
	{ "css",	"text/css; charset=utf-8" },
	{ "deb",	"application/vnd.debian.binary-package" },
	{ "debug",	"application/octet-stream" },
	{ "dmg",	"application/x-apple-diskimage" },
	{ "exe",	"application/vnd.microsoft.portable-executable" },
	{ "gif",	"image/gif" },
	{ "gz",		"application/gzip" },
	{ "htm",	"text/html; charset=utf-8" },
	{ "html",	"text/html; charset=utf-8" },
	{ "ico",	"image/x-icon" },
	{ "img",	"application/octet-stream" },
	{ "jpeg",	"image/jpeg" },
	{ "jpg",	"image/jpeg" },
	{ "js",		"text/javascript; charset=utf-8" },
	{ "json",	"application/json" },
	{ "map",	"application/json" },
	{ "mjs",	"text/javascript; charset=utf-8" },
	{ "msi",	"application/x-msi" },
	{ "msix",	"application/msix" },
	{ "pdf",	"application/pdf" },
	{ "pkg",	"application/octet-stream" },
	{ "png",	"image/png" },
	{ "svg",	"image/svg+xml" },
	{ "tar",	"application/x-tar" },
	{ "txt",	"text/plain; charset=utf-8" },
	{ "wasm",	"application/wasm" },
	{ "webp",	"image/webp" },
	{ "woff",	"font/woff" },
	{ "woff2",	"font/woff2" },
	{ "xml",	"application/xml" },
	{ "xz",		"application/x-xz" },
	{ "zip",	"application/zip" },
};

#define MIME_TABLE_SIZE	(sizeof(mime_table) / sizeof(mime_table[0]))

static int
mime_entry_cmp(const void *key, const void *elem)
{
	const struct mime_entry *e = elem;

	return strcasecmp(key, e->ext);
}

/* True when the base name ends in "_files" with an id before it. */
static int
mime_is_manifest(const char *base)
{
	size_t len = strlen(base), n = strlen(MIME_MANIFEST_SUFFIX);

	return len > n && strcasecmp(base + len - n, MIME_MANIFEST_SUFFIX) == 0;
}

const char *
mime_type_for(const char *path)
{
	const struct mime_entry *e;
	const char *base, *dot;

	if (path == NULL)
		return MIME_DEFAULT;
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if (mime_is_manifest(base))
		return MIME_MANIFEST;
	/* A leading dot makes a hidden name, not an extension (".json"). */
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base || dot[1] == '\0')
		return MIME_DEFAULT;
	e = bsearch(dot + 1, mime_table, MIME_TABLE_SIZE, sizeof(mime_table[0]),
	    mime_entry_cmp);
	return e != NULL ? e->type : MIME_DEFAULT;
}
