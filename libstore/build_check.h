/*
 * build_check: find the items of one build folder and check them.
 *
 * Shared by the index scan (store_index.c) and the importer's validation.
 * A build folder download/<build>/ holds items, each described by a
 * manifest `<id>_files` (manifest.h):
 *
 *   app       the listed files exist in <arch>/<folder>/ for the
 *             architecture folders arm, arm64, x86_64 (folder = the
 *             catalog's "folder", by default the id)
 *   firmware  every listed name is ip<model>.bin or boot<model>.bin
 *             (model = [0-9a-z]+), at the build's top level
 *   software  anything else: the listed files at the top level
 *
 * When the catalog describes the id in its apps, firmware or software
 * section, that section decides the kind.  Firmware of release 12r2 and
 * older may lack a manifest: top-level ip<model>.bin + boot<model>.bin
 * pairs not listed by any manifest form items "ip<model>" (a lone
 * ip<model>.bin is an error).  When the catalog gives the build no release,
 * such pairs are accepted too (the index leaves the build out anyway).
 *
 * An item is complete when every listed file is present, regular and not
 * empty; for apps under every architecture folder present in the build (at
 * least one).  Every problem goes to the report with where = "<build>/<path>":
 * manifest syntax errors, lone ip*.bin and firmware without a manifest in a
 * newer release are errors; missing, empty or irregular files (the item is
 * incomplete) and files no manifest lists are warnings.
 */
#ifndef STORESRV_BUILD_CHECK_H
#define STORESRV_BUILD_CHECK_H

#include <stddef.h>

#include "catalog.h"
#include "diag.h"
#include "errbuf.h"
#include "manifest.h"

#define BUILD_ARCH_ARM		0x1u	/* bits follow store_app_archs[] */
#define BUILD_ARCH_ARM64	0x2u
#define BUILD_ARCH_X86_64	0x4u

struct build_item {
	enum item_kind kind;	/* ITEM_APP, ITEM_FIRMWARE or ITEM_SOFTWARE */
	char *id;
	char *folder;		/* apps: the folder in each <arch>/; else NULL */
	struct manifest files;	/* the listed (or default) file names */
	int has_manifest;	/* 0: firmware from an ip/boot pair */
	int manifest_invalid;	/* its manifest broke the rules (reported) and its
				   files were checked from a lenient reading: never
				   publish or index such an item */
	int complete;
	unsigned archs;		/* apps: BUILD_ARCH_* of the build's arch folders */
	char **devices;		/* firmware: "IP222", ... sorted; else NULL */
	size_t ndevices;
};

struct build_result {
	char *build;		/* the build number */
	struct build_item *items;	/* sorted by id; owned */
	size_t count;
};

/*
 * Scans the build folder `dirfd` (not closed) named `build`, using the
 * catalog (may be NULL) for kinds, folders, devices and the build's release.
 * Fills *out (free with build_result_free()) and adds every problem to
 * report (may be NULL).  Returns -1 only when the folder cannot be read
 * (err says why); problems of items never make it fail.
 */
int build_check(int dirfd, const char *build, const struct catalog *cat,
    struct build_result *out, struct diag *report, struct errbuf *err);
void build_result_free(struct build_result *res);

/* The item `id` of a result, or NULL. */
const struct build_item *build_result_find(const struct build_result *res, const char *id);

#define BUILD_NAME_MAX		255	/* bytes: the file systems' own limit */

/*
 * The rule for every name the importer publishes (each segment of a path,
 * from a folder or an archive): 1-255 bytes, valid UTF-8 (the indexes are
 * JSON, the pages HTML), no control character (0x00-0x1f, 0x7f: a newline
 * would break sha256sum records and the reports).  Returns NULL when the
 * len bytes of `name` are allowed, else why not.  Pure.
 */
const char *build_name_refusal(const char *name, size_t len);

/* Is `name` "ip<model>.bin" or "boot<model>.bin"?  If so and model != NULL,
 * copies the model (size modelsz) and sets *is_boot.  Returns 1 or 0. */
int build_firmware_name(const char *name, char *model, size_t modelsz, int *is_boot);

/* Do firmware builds of `release` ("12r2", "10.00") allow missing manifests? */
int build_release_allows_no_manifest(const char *release);

#endif
