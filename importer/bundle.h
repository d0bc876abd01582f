/*
 * bundle: the air-gap bundle, one tar archive carrying a channel's indexes
 * and published folders across an air gap (`storemirror export` writes it,
 * `storeimport publish bundle.tar` reads it), and its verifying reader.
 *
 * Layout, in this order and nothing else (docs/IMPORTER.md, "Air-gap
 * bundles"):
 *
 *   storesrv-bundle.json   the manifest: every file with its size and sha256
 *   storesrv-bundle.sig    optional: the Ed25519 signature of the manifest's
 *                          bytes (64 raw bytes, as `openssl pkeyutl -sign
 *                          -rawin` makes it)
 *   download/...           the files, regular entries only, in the
 *                          manifest's order (sorted by path)
 *
 * The manifest is JSON: {"format": "storesrv-bundle", "version": 1,
 * "channel": "release", "created": "<UTC time>", "files": [{"path":
 * "download/130001/apidemo_files", "size": 28, "sha256": "<64 hex>"}, ...]}.
 * Paths are "download/" + an index name (apps.json, ...), a build folder's
 * file ("<build>/..."), or a platform version's ("app-platform/<v>/<name>",
 * "phoneplatform/<v>/<name>"); each is canonical and follows the rule of
 * published names.  Since the manifest comes first and the signature
 * covers it, every byte after it is checked against a signed hash as it is
 * read: nothing unverified is ever written where it counts.
 *
 * The reader refuses (an error in the diag naming the entry, nothing kept)
 * a manifest that is malformed or over its limits, a missing or bad
 * signature when a public key is given, and any entry that is not the next
 * file of the manifest (an extra, missing, reordered or renamed file), not
 * a regular file, of another size, or whose bytes do not hash to the
 * manifest's sha256, a truncated archive and trailing entries.  It stops at
 * the first problem: a bundle is whole or refused.
 *
 * Ownership: a bundle_reader owns its manifest; bundle_reader_close(NULL)
 * is a no-op.  Library code: nothing is printed.
 */
#ifndef STORESRV_BUNDLE_H
#define STORESRV_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "copy_hash.h"
#include "diag.h"
#include "errbuf.h"

#define BUNDLE_MANIFEST_NAME	"storesrv-bundle.json"
#define BUNDLE_SIGNATURE_NAME	"storesrv-bundle.sig"
#define BUNDLE_FORMAT		"storesrv-bundle"
#define BUNDLE_VERSION		1
#define BUNDLE_SIG_LEN		64		/* an Ed25519 signature */
#define BUNDLE_MAX_MANIFEST	(64u * 1024 * 1024)	/* bytes of the manifest */
#define BUNDLE_MAX_FILES	200005		/* the mirror plan's files + 5 indexes */
#define BUNDLE_PATH_MAX		1024

struct bundle_file {
	char *path;		/* "download/130001/ip0013.bin" */
	uint64_t size;
	char sha256[SHA256_HEX_LEN + 1];
};

struct bundle_manifest {
	char *channel;		/* the channel it was exported from */
	char *created;		/* "2026-11-27T12:00:00Z" */
	struct bundle_file *files;	/* sorted by path, no duplicates */
	size_t nfiles;
};

/* The manifest as JSON text (the caller frees it).  Files must be sorted. */
char *bundle_manifest_dump(const struct bundle_manifest *m, size_t *lenp);
/* Parses and checks a manifest (limits, paths, order, sizes, hashes);
 * -1 with err naming the field at fault. */
int bundle_manifest_parse(const char *text, size_t len, struct bundle_manifest *m,
    struct errbuf *err);
void bundle_manifest_free(struct bundle_manifest *m);
/* Sorts the files by path. */
void bundle_manifest_sort(struct bundle_manifest *m);

/* The folder a bundle path belongs to, below download/: "130001",
 * "app-platform/10001", or "" for an index; *rest is the path below that
 * folder.  Returns the length of the unit in `path` + "download/", or -1
 * when the path is not one a bundle may carry. */
int bundle_path_unit(const char *path, char *unit, size_t unitsz, const char **rest);
/* The sha256 record of a unit ("130001" -> "hashes/130001.sha256"); the
 * caller frees it. */
char *bundle_unit_record(const char *unit);

/* Signs msg with the Ed25519 private key in the PEM file keyfile. */
int bundle_sign(const char *keyfile, const void *msg, size_t len,
    unsigned char sig[BUNDLE_SIG_LEN], struct errbuf *err);
/* Checks sig over msg with the Ed25519 public key in the PEM file pubfile:
 * 0 valid, 1 invalid, -1 (err) when the key cannot be used. */
int bundle_verify(const char *pubfile, const void *msg, size_t len, const unsigned char *sig,
    size_t siglen, struct errbuf *err);

/* Is the file meant as a bundle: a tar holding a manifest or signature
 * entry anywhere (not only first: a bundle whose manifest was moved must be
 * refused by the reader, not taken as a plain archive)?  Reads the headers
 * only, skipping the data. */
int bundle_probe(const char *path);

struct bundle_read_opts {
	const char *verify_key;	/* PEM public key: a valid signature required */
	int chanfd;		/* the target channel's folder, or -1: a folder it
				 * publishes whose sha256 record lists each of the
				 * bundle's files of it with the same sha256 is
				 * verified but not extracted */
	uint64_t max_bytes;	/* the total of file sizes; 0: no bound */
	uint64_t max_ratio;	/* that total / the bundle's size, once past
				 * 1 MiB (as for archives); 0: no bound */
};

struct bundle_reader;

/* Opens `path`, reads and checks its manifest and signature.  Returns 0
 * with *out set, 1 when the bundle is refused (the error in d, *out NULL)
 * or -1 (err) for an I/O failure.  An unchecked signature (no verify_key)
 * is a warning in d. */
int bundle_reader_open(const char *path, const struct bundle_read_opts *o,
    struct bundle_reader **out, struct diag *d, struct errbuf *err);
/* The manifest read. */
const struct bundle_manifest *bundle_reader_manifest(const struct bundle_reader *br);
/* How many folders (builds, platform versions) of the bundle are new to
 * the target (not skipped as already published with the same files). */
size_t bundle_reader_new_units(const struct bundle_reader *br);
/* Reads every file, checks it against the manifest and writes the new ones
 * below dstdir ("download/..."; dstdir -1: verify only), fsync'd, each
 * recorded in hl with the sha256 computed while writing (not the indexes,
 * which bundle_prune_indexes(), bundle_prune.h, may rewrite).  Returns 0 (with
 * errors in d when refused: stop there, nothing is to be published) or -1
 * (err) for an I/O failure.  Once per reader. */
int bundle_reader_extract(struct bundle_reader *br, int dstdir, struct hashlist *hl,
    struct diag *d, struct errbuf *err);
void bundle_reader_close(struct bundle_reader *br);

#endif
