/*
 * test_mime: table tests of Content-Type by name (mime.h).  Every extension
 * of the table is looked up, so a table out of order (bsearch) fails here.
 */
#include "config.h"

#include <stdio.h>

#include "../tap.h"
#include "mime.h"

#define OCTET	"application/octet-stream"
#define PLAIN	"text/plain; charset=utf-8"
#define HTML	"text/html; charset=utf-8"
#define JS	"text/javascript; charset=utf-8"

struct mime_case {
	const char	*name;
	const char	*path;
	const char	*want;
};

static const struct mime_case mime_cases[] = {
	/* every extension of the table */
	{ "apk", "a.apk", "application/vnd.android.package-archive" },
	{ "appx", "a.appx", "application/appx" },
	{ "bin", "ip0001.bin", OCTET },
	{ "css", "style.css", "text/css; charset=utf-8" },
	{ "deb", "a.deb", "application/vnd.debian.binary-package" },
	{ "debug", "appstore.debug", OCTET },
	{ "dmg", "a.dmg", "application/x-apple-diskimage" },
	{ "exe", "myAppsSetup.exe", "application/vnd.microsoft.portable-executable" },
	{ "gif", "a.gif", "image/gif" },
	{ "gz", "a.tar.gz", "application/gzip" },
	{ "htm", "index.htm", HTML },
	{ "html", "index.html", HTML },
	{ "ico", "favicon.ico", "image/x-icon" },
	{ "img", "rootfs.img", OCTET },
	{ "jpeg", "a.jpeg", "image/jpeg" },
	{ "jpg", "a.jpg", "image/jpeg" },
	{ "js", "app.js", JS },
	{ "json", "apps.json", "application/json" },
	{ "map", "app.js.map", "application/json" },
	{ "mjs", "mod.mjs", JS },
	{ "msi", "a.msi", "application/x-msi" },
	{ "msix", "a.msix", "application/msix" },
	{ "pdf", "manual.pdf", "application/pdf" },
	{ "pkg", "a.pkg", OCTET },
	{ "png", "apidemo.png", "image/png" },
	{ "svg", "logo.svg", "image/svg+xml" },
	{ "tar", "a.tar", "application/x-tar" },
	{ "txt", "readme.txt", PLAIN },
	{ "wasm", "a.wasm", "application/wasm" },
	{ "webp", "a.webp", "image/webp" },
	{ "woff", "f.woff", "font/woff" },
	{ "woff2", "f.woff2", "font/woff2" },
	{ "xml", "a.xml", "application/xml" },
	{ "xz", "a.tar.xz", "application/x-xz" },
	{ "zip", "a.zip", "application/zip" },
	/* paths as the server passes them */
	{ "index in channel", "release/download/apps.json", "application/json" },
	{ "app file", "release/download/130001/arm/apidemo/apidemo.png", "image/png" },
	{ "utf-8 name", "release/download/caf\xc3\xa9.png", "image/png" },
	/* case-insensitivity */
	{ "upper case", "LOGO.PNG", "image/png" },
	{ "mixed case", "Index.HtMl", HTML },
	{ "upper JSON", "dir/APPS.JSON", "application/json" },
	/* _files manifests */
	{ "app manifest", "release/download/130001/apidemo_files", PLAIN },
	{ "firmware manifest", "130001/ip0001_files", PLAIN },
	{ "manifest at root", "myappswindows_files", PLAIN },
	{ "manifest upper case", "X_FILES", PLAIN },
	{ "bare _files", "_files", OCTET },
	{ "_files as directory", "a_files/x", OCTET },
	{ "_files with extension", "a_files.json", "application/json" },
	{ "_file is not a manifest", "a_file", OCTET },
	{ "files without underscore", "afiles", OCTET },
	/* no extension, unknown, dotfiles */
	{ "no extension", "README", OCTET },
	{ "no extension in dir", "release/download/130001/arm/apidemo/apidemo", OCTET },
	{ "dot in directory only", "a.json/readme", OCTET },
	{ "empty extension", "name.", OCTET },
	{ "unknown extension", "a.qqq", OCTET },
	{ "extension prefix", "a.jso", OCTET },
	{ "extension longer", "a.jsonx", OCTET },
	{ "dotfile", ".htaccess", OCTET },
	{ "dotfile named like a type", ".json", OCTET },
	{ "dotfile in dir", "dir/.png", OCTET },
	{ "dotfile with extension", "dir/.hidden.png", "image/png" },
	{ "directory", "release/download/", OCTET },
	{ "empty", "", OCTET },
	{ "NULL", NULL, OCTET },
};

int
main(void)
{
	const struct mime_case *c;
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(mime_cases) / sizeof(mime_cases[0]); i++) {
		c = &mime_cases[i];
		snprintf(name, sizeof(name), "%s: %s", c->name,
		    c->path ? c->path : "(null)");
		tap_str_eq(mime_type_for(c->path), c->want, name);
	}
	return tap_done();
}
