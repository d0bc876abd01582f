/*
 * fw_devices: the importer's guard against firmware builds that drop
 * devices.
 *
 * firmware.json names, per release, one build (its latest build holding
 * complete firmware) and lists a device under the release only when that
 * build holds the device's firmware (docs/STORE-LAYOUT.md).  A new build
 * that lacks a device its release offered would silently take the release
 * away from that device.  fw_devices_check() compares, for each release a
 * run changes, the devices of the release's build before the run (and of
 * the build just below the new one, when the run brings it) with the
 * devices of the release's build after the run, and reports the missing
 * ones as one error per release: the build, the release, the devices and
 * the build that has them.
 */
#ifndef STORESRV_FW_DEVICES_H
#define STORESRV_FW_DEVICES_H

#include <stddef.h>

#include "catalog.h"
#include "diag.h"
#include "errbuf.h"

/* A build folder a run publishes (new, or replacing the published one). */
struct fw_change {
	const char *build;	/* a valid build number */
	int fd;			/* its folder (not closed) */
};

/*
 * Checks the changes against the published builds of the download folder
 * dlfd.  `cat` gives the release of each build (the run's included); `hint`
 * ends each error message (e.g. how to allow it).
 * Returns 0, or -1 when a folder cannot be read (err).
 */
int fw_devices_check(int dlfd, const struct catalog *cat, const struct fw_change *changes,
    size_t n, const char *hint, struct diag *d, struct errbuf *err);

#endif
