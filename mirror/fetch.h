/*
 * fetch: download files over HTTP or HTTPS with libevent's HTTP client:
 * an asynchronous core (fetch_start(), used by transfer.h to run many at
 * once) and fetch_file(), a synchronous wrapper for one file.
 *
 * fetch_file() streams the body to <dirfd>/<tmpname> as it arrives (the
 * chunks of libevent's chunked callback are gathered and written 256 KiB
 * at a time, and before the file is closed however the attempt ends, so
 * memory does not grow with the file and a cut transfer keeps every byte
 * received), and
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
 *     doubled each time; a retry after a partial body resumes it;
 *   - cancels the request at once when the file cannot be written (no further
 *     body byte is read): FETCH_FAIL_LOCAL naming the file, not retried;
 *   - refuses a response head over 64 KiB (FETCH_FAIL_PROTOCOL);
 *   - with o->head_only, sends HEAD instead: no file is opened, written or
 *     removed (tmpname, resume and want_sha256 are ignored), and a 200
 *     reports the file's size from its Content-Length in res->expected
 *     (and res->size; both 0 otherwise) and its ETag; a 200 without a valid
 *     Content-Length, or one over max_size, is FETCH_FAIL_PROTOCOL.  304,
 *     404, retries and the stall timeout are as for a GET.
 * The sidecar is removed when the file is complete; the caller renames
 * <tmpname> (and may fsync it) itself.
 *
 * A struct fetcher owns an event_base and, per host (at most max_hosts kept;
 * the least recently used idle one is dropped), the keep-alive
 * evhttp_connections its fetches use: a connection carries one request at a
 * time and is reused by the next fetch to that host (not after a response
 * that ends it: "Connection: close", or HTTP/1.0 without keep-alive, which
 * the server closes), so there are as many
 * connections per host as fetches running to it at once.  https:// goes
 * over bufferevent_openssl (tls_client.h: TLS 1.2+, the certificate and host
 * name verified; a failure is FETCH_FAIL_TLS, not retried).  With a proxy,
 * http:// requests are sent to it in absolute form and https:// goes
 * through a CONNECT tunnel (relayed by a listener on 127.0.0.1, TLS end to
 * end with the origin).  It is not thread safe: one fetcher per thread
 * (fetch_create_like()); distinct fetchers share no libevent or OpenSSL
 * object, so they run in parallel without evthread locking.
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
	unsigned max_hosts;	/* hosts kept (FETCH_DEFAULT_MAX_HOSTS) */
	const char *user_agent;	/* "storemirror" */
	const char *ca_file;	/* PEM CAs trusted besides the system's (checked by
				   fetch_create()) */
	const char *proxy;	/* "http://host:port"; NULL: direct */
};
#define FETCH_DEFAULT_MAX_HOSTS	8

struct fetch_opts {
	const char *etag;	/* conditional GET: If-None-Match (NULL: none) */
	int resume;		/* resume <tmpname> (see above); else start at 0 */
	unsigned stall_timeout;	/* seconds without a byte; 0: 30 */
	unsigned retries;	/* further attempts after a transient failure */
	unsigned backoff_ms;	/* first delay between attempts; 0: 500 */
	uint64_t max_size;	/* refuse a larger file; 0: no limit */
	int head_only;		/* HEAD: the size (res.expected) and ETag, no file */
};

enum fetch_fail {
	FETCH_FAIL_NONE,	/* success (200/206), 304 or 404 */
	FETCH_FAIL_CONNECT,	/* no response: refused, reset, closed early */
	FETCH_FAIL_STALL,	/* no byte for stall_timeout seconds */
	FETCH_FAIL_HTTP,	/* an unexpected status (res->status) */
	FETCH_FAIL_PROTOCOL,	/* a bad Content-Range, a size over max_size */
	FETCH_FAIL_LOCAL,	/* the file or sidecar could not be written */
	FETCH_FAIL_TLS,		/* certificate verification or handshake */
};

#define FETCH_ETAG_MAX	256

struct fetch_result {
	int status;		/* last HTTP status; 0: no response */
	enum fetch_fail fail;	/* why the call failed (last attempt) */
	int resumed;		/* the file was completed with a 206 */
	unsigned attempts;	/* requests made */
	uint64_t size;		/* size of <tmpname> at the end (head_only: of the
				   file upstream, as res.expected) */
	uint64_t received;	/* body bytes received (and written) by this call */
	char etag[FETCH_ETAG_MAX];	/* the response's ETag ("" if none) */
	uint64_t expected;	/* the complete file's size when known, else 0
				   (head_only: known whenever rc is 0 and status
				   200, Content-Length being required) */
};

/* Returns a fetcher (free with fetch_free()), or NULL with err set. */
struct fetcher *fetch_create(const struct fetch_config *cfg, struct errbuf *err);
void fetch_free(struct fetcher *f);

/* A new fetcher with f's configuration and nothing of f's shared (its own
 * event_base, connections and TLS context): for another thread, since a
 * fetcher is used by one thread only.  NULL with err set. */
struct fetcher *fetch_create_like(const struct fetcher *f, struct errbuf *err);

/* Fetches url (http[s]://host[:port]/path) into dirfd/tmpname.  Returns 0 when
 * the file is complete (res->status 200 or 206), or unchanged (304) or
 * missing upstream (404): res->status tells which, and in the last two
 * cases tmpname is left as it was.  Returns -1 otherwise (res->fail,
 * res->status, err).  o may be NULL (defaults). */
int fetch_file(struct fetcher *f, const char *url, int dirfd, const char *tmpname,
    const struct fetch_opts *o, struct fetch_result *res, struct errbuf *err);

/* One asynchronous fetch: the caller fills the "in" members and keeps the
 * struct (and what it points to) alive until done() is called. */
struct fetch_call {
	/* in */
	const char *url;
	int dirfd;
	const char *tmpname;
	const struct fetch_opts *o;	/* NULL: defaults */
	int want_sha256;	/* hash the complete file as it arrives */
	void (*done)(struct fetch_call *c);
	void *arg;		/* the caller's */
	/* out, final when done() is called (res.received grows meanwhile) */
	int rc;			/* what fetch_file() would return */
	struct fetch_result res;
	struct errbuf err;
	int have_sha256;	/* want_sha256 and a complete file (200/206) */
	char sha256[65];	/* lower-case hex of the whole file */
	/* fetch.c's */
	struct fetch_state *state;
};

/* Starts c on f's event loop; c->done(c) is called from the loop (never
 * from within fetch_start()) once the fetch has ended, retries included. */
void fetch_start(struct fetcher *f, struct fetch_call *c);

/* The event_base the fetcher's requests run on (run it to make progress). */
struct event_base *fetch_event_base(struct fetcher *f);

/* Limits the body bytes read by all of f's connections together to
 * bytes_per_sec (libevent's rate-limit group); 0 removes the limit.
 * Returns 0, or -1 with err. */
int fetch_set_rate_limit(struct fetcher *f, uint64_t bytes_per_sec, struct errbuf *err);

/* Joins an upstream base URL and a relative path of the plan into a newly
 * allocated URL (caller frees): "http://h:8080/beta/download" +
 * "130001/x.bin" -> "http://h:8080/beta/download/130001/x.bin", bytes outside
 * RFC 3986's unreserved set and "/" percent-encoded.  Refuses a base that is
 * not http[s]://host[:port]/path (no user info, query or fragment) and a rel
 * that is empty or absolute.  Returns 0 with *out set, or -1 with err. */
int fetch_url_join(const char *base, const char *rel, char **out, struct errbuf *err);

#endif
