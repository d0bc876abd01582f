/*
 * status_downloads: the download statistics of the status document,
 * grouped per build, item and file (see status_downloads.c for how a file
 * maps to its build and item).  Returns a new JSON object:
 *   {"builds": [{"channel", "build", "requests", "bytes"}...],
 *    "items": [{"channel", "item", ...}], "files": [{"channel", "build",
 *    "file", "item", ...}], "other_builds", "other_items", "other_files":
 *    {"requests", "bytes"} (past the first `top`), "untracked": the files
 *    past the counters' tables}
 * Reads the build folders' manifests below root_fd.
 */
#ifndef STORESRV_STATUS_DOWNLOADS_H
#define STORESRV_STATUS_DOWNLOADS_H

#include <stddef.h>

#include <jansson.h>

#include "status_counters.h"

json_t *status_downloads(int root_fd, const struct status_totals *t, size_t top);

#endif
