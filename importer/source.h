/*
 * source: recognise what a source holds.
 *
 * A source is a build folder ("path/130001/"), a folder of build folders, a
 * store download/ tree (it holds apps.json, firmware.json, software.json,
 * linux.json, phoneplatform.json, app-platform/ or phoneplatform/), a
 * platform version folder ("app-platform/10001/", or any version folder
 * with --kind app-platform / phone-platform), or an archive of any of these
 * (zip, tar, tar.gz, tar.xz; an archive named "<build>.zip" may hold the
 * build's files at its top).  source_scan() walks a folder (three levels
 * at most) and lists the units and trees it finds.
 */
#ifndef STORESRV_SOURCE_H
#define STORESRV_SOURCE_H

#include "importer.h"

/* Is path a regular file (an archive candidate)?  1, 0, or -1 (missing). */
int source_is_file(const char *path);

/* Lists the units below the folder dirfd (named `name`, shown as `rel`).
 * `archive_name`: the archive's base name without extensions, or NULL.
 * kind: the --kind hint or KIND_NONE.  Problems go to d. */
void source_scan(int dirfd, const char *rel, const char *name, const char *archive_name,
    int kind, struct unit_list *ul, struct diag *d);

/* The non-hidden names in dirfd, sorted, in *names (NULL when there is
 * none); the caller frees each name and the array (source_names_free()).
 * Returns 0, or -1 (errno set, nothing listed) when the folder cannot be
 * read wholly: a partial list never passes for the whole. */
int source_dir_list(int dirfd, char ***names, size_t *countp);
void source_names_free(char **names, size_t n);

/* "130001.tar.gz" -> "130001" (the caller frees). */
char *source_archive_base(const char *path);

#endif
