/*
 * manifest: the `<id>_files` manifests of build folders.
 *
 * A manifest is one line: file names separated by commas, no white space
 * ("ip0001.bin,boot0001.bin").  Tolerated: one final "\n" or "\r\n" (files
 * written by editors and by Windows tools); nothing else.  Refused, each
 * with a message naming the 1-based column: an empty manifest, empty names
 * (",," or a leading/trailing comma), white space or control characters
 * anywhere else, '/' or '\\' in a name, "." or ".." as a name, a name
 * starting with '.', duplicate names, names longer than 255 bytes, more
 * than MANIFEST_MAX_NAMES names, input longer than MANIFEST_MAX_BYTES.
 */
#ifndef STORESRV_MANIFEST_H
#define STORESRV_MANIFEST_H

#include <stddef.h>

#include "errbuf.h"

#define MANIFEST_MAX_BYTES	65536
#define MANIFEST_MAX_NAMES	1024

struct manifest {
	char **names;	/* in manifest order; owned */
	size_t count;
};

/* Parses `len` bytes of text.  On success fills *out (free with
 * manifest_free()) and returns 0; on failure returns -1, *out stays empty
 * and err says what and where ("column 12: empty file name"). */
int manifest_parse(const char *text, size_t len, struct manifest *out, struct errbuf *err);

/* Reads and parses dirfd/name (refusing files over MANIFEST_MAX_BYTES);
 * errors are prefixed with `name`. */
int manifest_read(int dirfd, const char *name, struct manifest *out, struct errbuf *err);

void manifest_free(struct manifest *m);

/* Is `name` a manifest file name ("<id>_files" with a valid id)?  If so and
 * id != NULL, copies the id (size idsz) and returns 1; else returns 0. */
int manifest_name_to_id(const char *name, char *id, size_t idsz);

/* Does the manifest list `name`? */
int manifest_contains(const struct manifest *m, const char *name);

#endif
