/*
 * fetch: download one file over plain HTTP with libevent's HTTP client,
 * behind a synchronous API (the mirror's transfer layer).
 *
 * fetch_file() streams the body to <dirfd>/<tmpname> as it arrives (each
 * chunk is written from libevent's chunked callback and dropped, so memory
 * does not grow with the file), and
 *   - resumes a partial file: when o->resume is set, <tmpname> exists and its
 *     sidecar <tmpname>.etag holds the strong ETag saved when the transfer
 *     began, it sends "Range: bytes=<size>-" and "If-Range: <etag>"; a 206
 *     appends, a 200 (the file changed upstream) restarts from byte 0;
 *   - makes a conditional GET when o->etag is given ("If-None-Match"): a 304
 *     is reported in res->status and nothing is written;
 *   - reports a 404 in res->status (normal for an app architecture folder),
 *     nothing written;
 *   - fails a transfer that receives no byte for o->stall_timeout seconds;
 *   - retries transient failures (connect refused or reset, a stall, a
 *     connection cut mid-body, 5xx) o->retries times, sleeping o->backoff_ms,
 *     doubled each time; a retry after a partial body resumes it.
 * The sidecar is removed when the file is complete; the caller renames
 * <tmpname> (and may fsync it) itself.
 *
 * A struct fetcher owns an event_base and one keep-alive evhttp_connection
 * per host:port, reused by every fetch to that host.  It is not thread safe.
 * (HTTPS and proxies will be further members of struct fetch_config.)
 *
 * Library code: never prints; 0/-1 with errbuf.
 */
#ifndef STORESRV_MIRROR_FETCH_H
#define STORESRV_MIRROR_FETCH_H

#include <stdint.h>

#include "errbuf.h"

struct fetcher;

/* Per-fetcher settings; NULL or zero members take the defaults. */
struct fetch_config {
	unsigned max_hosts;	/* kept connections (FETCH_DEFAULT_MAX_HOSTS) */
	const char *user_agent;	/* "storemirror" */
};
#define FETCH_DEFAULT_MAX_HOSTS	8

struct fetch_opts {
	const char *etag;	/* conditional GET: If-None-Match (NULL: none) */
	int resume;		/* resume <tmpname> (see above); else start at 0 */
	unsigned stall_timeout;	/* seconds without a byte; 0: 30 */
	unsigned retries;	/* further attempts after a transient failure */
	unsigned backoff_ms;	/* first delay between attempts; 0: 500 */
	uint64_t max_size;	/* refuse a larger file; 0: no limit */
};

enum fetch_fail {
	FETCH_FAIL_NONE,	/* success (200/206), 304 or 404 */
	FETCH_FAIL_CONNECT,	/* no response: refused, reset, closed early */
	FETCH_FAIL_STALL,	/* no byte for stall_timeout seconds */
	FETCH_FAIL_HTTP,	/* an unexpected status (res->status) */
	FETCH_FAIL_PROTOCOL,	/* a bad Content-Range, a size over max_size */
	FETCH_FAIL_LOCAL,	/* the file or sidecar could not be written */
};

#define FETCH_ETAG_MAX	256

struct fetch_result {
	int status;		/* last HTTP status; 0: no response */
	enum fetch_fail fail;	/* why the call failed (last attempt) */
	int resumed;		/* the file was completed with a 206 */
	unsigned attempts;	/* requests made */
	uint64_t size;		/* size of <tmpname> at the end */
	uint64_t received;	/* body bytes written by this call */
	char etag[FETCH_ETAG_MAX];	/* the response's ETag ("" if none) */
};

/* Returns a fetcher (free with fetch_free()), or NULL with err set. */
struct fetcher *fetch_create(const struct fetch_config *cfg, struct errbuf *err);
void fetch_free(struct fetcher *f);

/* Fetches url (http://host[:port]/path) into dirfd/tmpname.  Returns 0 when
 * the file is complete (res->status 200 or 206), or unchanged (304) or
 * missing upstream (404): res->status tells which, and in the last two
 * cases tmpname is left as it was.  Returns -1 otherwise (res->fail,
 * res->status, err).  o may be NULL (defaults). */
int fetch_file(struct fetcher *f, const char *url, int dirfd, const char *tmpname,
    const struct fetch_opts *o, struct fetch_result *res, struct errbuf *err);

/* Joins an upstream base URL and a relative path of the plan into a newly
 * allocated URL (caller frees): "http://h:8080/beta/download" +
 * "130001/x.bin" -> "http://h:8080/beta/download/130001/x.bin", bytes outside
 * RFC 3986's unreserved set and "/" percent-encoded.  Refuses a base that is
 * not http://host[:port]/path (no user info, query or fragment) and a rel
 * that is empty or absolute.  Returns 0 with *out set, or -1 with err. */
int fetch_url_join(const char *base, const char *rel, char **out, struct errbuf *err);

#endif
