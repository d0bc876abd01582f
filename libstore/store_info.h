/*
 * store_info: /<channel>/info.json, the data of the download page beyond
 * the five indexes: per published folder of the channel (a build, an App
 * Platform or a Phone Platform version) its publish date and, per file of
 * its sha256 record, the file's size and sha256.
 *
 *   {"channel":"release","folders":[
 *     {"folder":"130001","published":1764000000,
 *      "files":[{"path":"apidemo/arm/apidemo.app","size":1234,"sha256":"<64 hex>"}]},
 *     {"folder":"app-platform/10001","published":...,"files":[...]}]}
 *
 * Built from <channel>/hashes/ (the importer's records) and the folders'
 * mtimes below download/ (folders missing or marked removed are left out,
 * as from the indexes); sizes are fstat(2)s of the files, opened beneath
 * their folder; a file of a record that is missing is left out.
 *
 * Bounded: at most STORE_INFO_MAX_RECORDS records of at most
 * STORE_INFO_MAX_RECORD_BYTES each; a body over STORE_INFO_MAX_BYTES fails
 * (EFBIG).  A store_info_cache (one per serving thread, not shared) keeps
 * the last body of up to STORE_INFO_CACHE_CHANNELS channels and builds it
 * again when download/ or hashes/ changed (their mtimes) or it is older
 * than STORE_INFO_TTL seconds (a folder marked removed changes neither).
 * Its ETag is strong, a hash of the body.
 */
#ifndef STORESRV_STORE_INFO_H
#define STORESRV_STORE_INFO_H

#include <stddef.h>
#include <time.h>

#include "errbuf.h"
#include "http_cond.h"

#define STORE_INFO_FILE			"info.json"
#define STORE_INFO_MAX_RECORDS		50000
#define STORE_INFO_MAX_RECORD_BYTES	(1024 * 1024)
#define STORE_INFO_MAX_BYTES		(64 * 1024 * 1024)
#define STORE_INFO_CACHE_CHANNELS	8
#define STORE_INFO_TTL			10

/* The JSON of `channel` below root_fd into *body (NUL-terminated; the
 * caller frees it), its length into *len.  0, or -1 with err set and errno
 * (ENOENT: no such channel). */
int store_info_render(int root_fd, const char *channel, char **body, size_t *len,
    struct errbuf *err);

/* A channel's body as the cache holds it: body and etag stay valid until
 * the next store_info_cache_get() on the same cache. */
struct store_info_view {
	const char *body;
	size_t len;
	const char *etag;
	time_t mtime;	/* the later of download/'s and hashes/'s */
};

struct store_info_cache;

struct store_info_cache *store_info_cache_create(void);
void store_info_cache_free(struct store_info_cache *c);	/* NULL: no-op */

/* The body of `channel`, from the cache or rendered again; `now` is the
 * current time.  0, or -1 with err and errno set. */
int store_info_cache_get(struct store_info_cache *c, int root_fd, const char *channel,
    time_t now, struct store_info_view *view, struct errbuf *err);

#endif
