/*
 * archive_extract: unpack a zip, tar, tar.gz or tar.xz archive (anything
 * libarchive reads) into a staging folder, safely.
 *
 * Refused, each entry reported to the diag list and nothing of it written:
 * absolute paths, ".." segments, backslashes, control characters, empty
 * names, symbolic and hard links, devices, FIFOs and sockets, duplicate
 * entries.  Entries whose names start with '.' and "__MACOSX" folders are
 * skipped with a warning.  Files are created with O_EXCL | O_NOFOLLOW below
 * the destination (which the caller creates empty in the staging area,
 * never in the published tree), so nothing can land outside it.
 *
 * Limits (zip bombs): the total of extracted bytes, the ratio of extracted
 * bytes to the archive's size, and the number of entries; crossing one stops
 * the extraction with an error in the diag list (a refusal, exit 1, not an
 * I/O error).  Data are hashed (sha256) as they are
 * written and recorded in a hash list; files and folders are fsync'd.
 */
#ifndef STORESRV_ARCHIVE_EXTRACT_H
#define STORESRV_ARCHIVE_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "copy_hash.h"
#include "diag.h"
#include "errbuf.h"

#define ARCHIVE_PATH_MAX	1024
#define ARCHIVE_DEFAULT_MAX_BYTES	(16ULL * 1024 * 1024 * 1024)
#define ARCHIVE_DEFAULT_MAX_RATIO	200
#define ARCHIVE_DEFAULT_MAX_ENTRIES	100000

struct archive_limits {
	uint64_t max_bytes;	/* total extracted bytes */
	uint64_t max_ratio;	/* extracted bytes / archive size */
	uint64_t max_entries;
};

enum archive_path_status {
	ARCHIVE_PATH_OK = 0,
	ARCHIVE_PATH_SKIP = 1,		/* hidden name: skip with a warning */
	ARCHIVE_PATH_ROOT = 2,		/* "." or "./": the archive's own top folder
					   (tar -C DIR -cf x.tar .): nothing to do */
	ARCHIVE_PATH_BAD = -1
};

/* Checks an entry name and writes its canonical relative form to out
 * ("./a//b/" and "a//" -> refused for the empty segment; "./a/b/" ->
 * "a/b": one trailing '/' marks a folder; "./" alone -> ARCHIVE_PATH_ROOT).
 * Pure.
 * On ARCHIVE_PATH_BAD, *why says what is wrong. */
enum archive_path_status archive_path_check(const char *path, char *out, size_t outsz,
    const char **why);

/* What to do with one archive entry. */
enum archive_verdict {
	ARCHIVE_VERDICT_FILE,		/* write the file `out` */
	ARCHIVE_VERDICT_DIR,		/* make the folder `out` */
	ARCHIVE_VERDICT_NONE,		/* the archive's own top folder: nothing to do */
	ARCHIVE_VERDICT_SKIP,		/* hidden: a warning (*why), nothing written */
	ARCHIVE_VERDICT_REFUSE		/* an error (*why), nothing written */
};

/* Judges an entry from its name, its file type (the S_IFMT bits, as
 * archive_entry_filetype() gives them) and whether it is a hard link: the
 * name's rules of archive_path_check(), then the type's (only files and
 * folders; links, devices, FIFOs and sockets refused), then hidden names
 * skipped; a top entry ("./") must be a folder.  `out` receives the
 * canonical name for FILE, DIR and SKIP.  *why is set for SKIP and REFUSE,
 * NULL otherwise.  Pure. */
enum archive_verdict archive_entry_verdict(const char *path, unsigned type, int is_hardlink,
    char *out, size_t outsz, const char **why);

/* Does the file at `path` look like an archive libarchive can read? */
int archive_is_archive(const char *path);

/* Extracts `path` below dstdir.  Refused entries are DIAG_ERRORs (the
 * extraction continues with the next entry so that all are reported);
 * crossing a limit is a DIAG_ERROR that stops the extraction; an I/O or
 * format failure returns -1 with err set. */
int archive_extract(const char *path, int dstdir, const struct archive_limits *lim,
    struct hashlist *hl, struct diag *d, struct errbuf *err);

#endif
