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

/* Reads the names of a manifest leniently (see manifest_read_tolerant());
 * returns 0 with *out filled (at least one name, each valid on its own, no
 * duplicates) or -1 with *out empty. */
int manifest_parse_lenient(const char *text, size_t len, struct manifest *out);

/* Like manifest_read(), and when the manifest breaks the rules but its
 * names can still be read leniently (white space and control characters
 * dropped, empty names skipped, duplicates merged), fills *out with them and
 * sets *lenient = 1, still returning -1 with the strict error in err: the
 * caller reports the error and goes on checking the files, so that one run
 * lists every problem.  *lenient = 0 means *out is empty. */
int manifest_read_tolerant(int dirfd, const char *name, struct manifest *out, int *lenient,
    struct errbuf *err);

void manifest_free(struct manifest *m);

/* Is `name` a manifest file name ("<id>_files" with a valid id)?  If so and
 * id != NULL, copies the id (size idsz) and returns 1; else returns 0. */
int manifest_name_to_id(const char *name, char *id, size_t idsz);

/* Does the manifest list `name`? */
int manifest_contains(const struct manifest *m, const char *name);

#endif
