/*
 * mime: Content-Type by file name extension, from one sorted table.
 *
 * Covers what a store serves: .json (application/json), .htm/.html
 * (text/html; charset=utf-8), .js, .css, .svg, .png, .jpg, .ico, .txt,
 * .xml, .zip, .gz, .xz, .tar, .exe, .msi, .dmg, .pkg, .deb, .img, .bin,
 * .debug, .apk, .appx/.msix, .pdf (and a few web types for www/: .mjs,
 * .map, .gif, .webp, .woff/.woff2, .wasm).  Text types carry
 * "; charset=utf-8".  Matching is case-insensitive; the extension is what
 * follows the last '.' of the base name, and a leading dot (".htaccess")
 * is not one.  Anything unknown, and names without an extension, is
 * "application/octet-stream", except "<id>_files" manifests (base name
 * ending in "_files" after at least one character) which are
 * "text/plain; charset=utf-8".  NULL gives the default.  Returned strings
 * are static.
 */
#ifndef STORESRV_MIME_H
#define STORESRV_MIME_H

const char *mime_type_for(const char *path);

#endif
