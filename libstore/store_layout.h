/*
 * store_layout: where things live in a store root.  The one place that names
 * the on-disk layout; docs/STORE-LAYOUT.md explains it.
 *
 *   <root>/
 *     <channel>/                   "release", "beta", any valid name
 *       download/                  served as /<channel>/download/
 *         apps.json firmware.json software.json linux.json phoneplatform.json
 *         <build>/<id>_files       app, firmware and software builds
 *         <build>/{arm,arm64,x86_64}/<folder>/<file>
 *         <build>/<file>
 *         app-platform/<version>/<file>
 *         phoneplatform/<version>/<file>
 *       catalog.json               item metadata (not served)
 *       hashes/<build>.sha256      sha256 records of published builds
 *                                  (sha256sum format; served as
 *                                  /<channel>/sha256/<build>, read_path.h)
 *       .lock                      flock(2) of writers (importer, rescans)
 *   download/<build>/.removed      (and <platform dir>/<version>/.removed):
 *                                  the folder is removed, kept on disk for
 *                                  clients that read an older index until
 *                                  the time it holds; the indexes leave it out
 *     .staging/                    importer staging area (same filesystem)
 *
 * Names starting with '.' are never served (url_path.h refuses them), so
 * temporary files ".<name>.tmp-XXXXXX" beside their targets stay invisible.
 */
#ifndef STORESRV_STORE_LAYOUT_H
#define STORESRV_STORE_LAYOUT_H

#include <stddef.h>

#define STORE_DOWNLOAD_DIR	"download"
#define STORE_DOWNLOAD_PAGE	"download.htm"
#define STORE_CATALOG_FILE	"catalog.json"
#define STORE_HASHES_DIR	"hashes"
#define STORE_LOCK_FILE		".lock"
#define STORE_STAGING_DIR	".staging"
#define STORE_MANIFEST_SUFFIX	"_files"
#define STORE_APP_PLATFORM_DIR	"app-platform"
#define STORE_PHONE_PLATFORM_DIR "phoneplatform"
#define STORE_CHANNEL_NAME_MAX	64
#define STORE_DEFAULT_CHANNEL	"release"	/* the channel a new root starts with */
#define STORE_REMOVED_MARK	".removed"	/* in a removed build or version folder */

/* Architecture folders of app builds, in index order. */
extern const char *const store_app_archs[];
extern const size_t store_app_archs_count;

/* A channel name: 1-64 of [A-Za-z0-9._-], not starting with '.' or '-'. */
int store_channel_name_valid(const char *name);

/* Whether `name` in the directory rootfd is a channel: a valid channel
 * name (above) that is a folder holding download/. */
int store_channel_at(int rootfd, const char *name);

/* Whether the build or version folder dirfd is marked removed (holds
 * STORE_REMOVED_MARK): still served, never indexed. */
int store_folder_removed(int dirfd);

/* A build number of an app, firmware or software build: 1-9 decimal digits,
 * no leading zero ("130001", "1610869"; platform versions like "2165" too). */
int store_build_name_valid(const char *name);

/* An item id (app, firmware, software, platform): 1-64 of [a-z0-9._-]
 * starting with a letter or digit (ids are lower case in the store). */
int store_item_id_valid(const char *id);

/* A release id ("13r1", "12r2", "10.00"): the one rule of the catalog, the
 * command line and descriptors, that of an item id (above). */
int store_release_id_valid(const char *id);

#endif
