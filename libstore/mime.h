/*
 * mime: Content-Type by file name extension, from one sorted table.
 *
 * Covers what a store serves: .json (application/json), .htm/.html
 * (text/html; charset=utf-8), .js, .css, .svg, .png, .jpg, .ico, .txt,
 * .xml, .zip, .gz, .xz, .tar, .exe, .msi, .dmg, .pkg, .deb, .img, .bin,
 * .debug, .apk, .appx/.msix, .pdf.  Matching is case-insensitive; anything
 * unknown (and names without an extension, like "<id>_files") is
 * "application/octet-stream", except "_files" manifests which are
 * "text/plain; charset=utf-8".  Returned strings are static.
 */
#ifndef STORESRV_MIME_H
#define STORESRV_MIME_H

const char *mime_type_for(const char *path);

#endif
