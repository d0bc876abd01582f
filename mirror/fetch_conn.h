/*
 * fetch_conn: the connection pool of a fetcher (fetch.h): per host, the
 * keep-alive evhttp_connections its fetches use.
 *
 * A host is where connections go: the origin (host, port, http or https),
 * or, for plain http with a proxy, the proxy itself (requests in absolute
 * form); https with a proxy goes to the origin through a CONNECT tunnel
 * (fetch_tunnel.h), one per host.  Contract:
 *   - fetch_conn_acquire() hands out an idle connection of the origin's
 *     host, or a new one when all are busy: a connection carries one request
 *     at a time, so a host has as many as requests run to it at once;
 *     fetch_conn_release() gives it back for the next request (keep-alive);
 *     a connection that failed or that the peer closed is freed once idle
 *     (a TLS session is not resumed on a new socket);
 *   - at most max_hosts hosts are kept: a new host takes the place of the
 *     least recently used host without a request (freed with its
 *     connections and tunnel), or, when every host is busy, is added beyond
 *     max_hosts;
 *   - https connections verify the origin's certificate and name
 *     (tls_client.h), on one SSL_CTX made for the first https host unless
 *     given; response heads are limited to 64 KiB;
 *   - every connection's reads count against the pool's rate limit, if any
 *     (libevent's rate-limit group).
 * The pool owns its hosts, connections, tunnels, SSL_CTX and rate-limit
 * group; it runs on the caller's event_base and must be freed before it.
 *
 * Library code: never prints; NULL or -1 with errbuf.  Not thread safe.
 */
#ifndef STORESRV_MIRROR_FETCH_CONN_H
#define STORESRV_MIRROR_FETCH_CONN_H

#include <stdint.h>

#include <openssl/ssl.h>

#include "errbuf.h"
#include "fetch.h"

struct event_base;
struct evhttp_connection;
struct fetch_conn;
struct fetch_conn_pool;

struct fetch_conn_config {
	struct event_base *base;
	unsigned max_hosts;	/* hosts kept (> 0) */
	SSL_CTX *tls;		/* taken over by the pool; NULL: made for the
				   first https host, with ca_file */
	const char *ca_file;	/* PEM CAs trusted besides the system's; NULL: none */
	const char *proxy_host;	/* NULL: direct */
	int proxy_port;
};

/* Where a request goes. */
struct fetch_origin {
	const char *host;
	int port;
	int tls;		/* https */
};

/* A pool (free with fetch_conn_pool_free(), NULL a no-op); the strings of
 * cfg are copied. */
struct fetch_conn_pool *fetch_conn_pool_new(const struct fetch_conn_config *cfg);
void fetch_conn_pool_free(struct fetch_conn_pool *p);

/* An idle connection to the origin's host, made when all are busy, marked
 * busy; NULL with err when the host or connection cannot be set up. */
struct fetch_conn *fetch_conn_acquire(struct fetch_conn_pool *p, const struct fetch_origin *o,
    struct errbuf *err);
/* Gives c back to its host; failed: c is freed (once idle) rather than
 * reused. */
void fetch_conn_release(struct fetch_conn *c, int failed);

/* The evhttp connection to make c's request on. */
struct evhttp_connection *fetch_conn_evcon(const struct fetch_conn *c);

/* Why a request on c got no response, when c's tunnel or TLS knows:
 * FETCH_FAIL_CONNECT (a CONNECT through the proxy failed) or FETCH_FAIL_TLS
 * (certificate verification or handshake), with err naming the proxy or
 * host; else FETCH_FAIL_NONE, err untouched. */
enum fetch_fail fetch_conn_failure(struct fetch_conn *c, struct errbuf *err);

/* Limits the bytes read by all the pool's connections together to
 * bytes_per_sec; 0 removes the limit.  Returns 0, or -1 with err. */
int fetch_conn_pool_set_rate_limit(struct fetch_conn_pool *p, uint64_t bytes_per_sec,
    struct errbuf *err);

#endif
