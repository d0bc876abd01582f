/*
 * mirror_cmd: storemirror's commands, each in its own file (cmd_sync.c,
 * cmd_export.c, cmd_push.c), called by main.c with the parsed settings.
 * A command prints its result (human text, or one JSON object with
 * --json) to stdout, progress to stderr, and returns the exit status,
 * the importer's conventions (importer.h): 0 success, 1 refused or
 * partly failed (a build that did not verify), 2 usage, 3 I/O error.
 */
#ifndef STORESRV_MIRROR_CMD_H
#define STORESRV_MIRROR_CMD_H

#include "mirror_settings.h"

int mirror_cmd_sync(const struct mirror_settings *s);	/* sync and plan */
int mirror_cmd_export(const struct mirror_settings *s);
int mirror_cmd_push(const struct mirror_settings *s);

#endif
