/*
 * tls_server: the server side of TLS for both of storesrv's listeners (the
 * public evhttp one and the WebDAV one), issue 9 point 6.
 *
 * A holder of the current OpenSSL 3 server context, made from a PEM
 * certificate chain (tls-cert) and its private key (tls-key): TLS 1.2 or
 * newer, OpenSSL's default TLS 1.3 suites, TLS 1.2 ciphers with forward
 * secrecy first and nothing weak (no RC4, 3DES, DES, export, anonymous or
 * MD5), the server's cipher order, no renegotiation, no compression.  The
 * key is checked against the certificate at load; an error names the file.
 *
 *   tls = tls_server_create(cert, key, &err);	at start (a bad file: NULL)
 *   ssl = tls_server_ssl_new(tls);		one per accepted connection
 *   tls_server_reload(tls, &err);		SIGHUP: the files again
 *   tls_server_free(tls);			after every listener stopped
 *
 * Every connection's SSL takes a reference to the context in force when it
 * was accepted (SSL_new), so a reload swaps the holder's context without
 * touching open connections: they finish on the old certificate, new ones
 * get the new one, and the old context goes with its last connection.  A
 * reload that fails keeps the context in force.  The holder is shared by
 * the serving threads, the WebDAV thread and the main thread (a mutex
 * around the pointer swap).
 *
 * The bufferevent helpers match the two listeners' hooks: an accepting
 * bufferevent_openssl for evhttp_set_bevcb()'s shape (socket set later by
 * evhttp) and for dav_engine's bev_factory (socket given), and the
 * engine's bev_shutdown (close_notify before a lingering close).
 *
 * Library code: never prints; NULL or -1 with errbuf.
 */
#ifndef STORESRV_TLS_SERVER_H
#define STORESRV_TLS_SERVER_H

#include <openssl/ssl.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "errbuf.h"

struct tls_server;

/* Loads cert_file and key_file; NULL with err naming the file at fault. */
struct tls_server *tls_server_create(const char *cert_file, const char *key_file,
    struct errbuf *err);
/* Rereads the same files; on failure -1 with err, and the context in force
 * stays.  Any thread. */
int tls_server_reload(struct tls_server *tls, struct errbuf *err);
/* NULL is a no-op.  Connections still open keep their context alive. */
void tls_server_free(struct tls_server *tls);

/* "subject CN=..., serial 0A1B..." of the certificate in force, for the
 * log; buf is always NUL-terminated. */
void tls_server_describe(struct tls_server *tls, char *buf, size_t size);

/* A server SSL on the context in force (the caller frees it, or hands it
 * to a bufferevent with BEV_OPT_CLOSE_ON_FREE); NULL on failure. */
SSL *tls_server_ssl_new(struct tls_server *tls);

/* An accepting TLS bufferevent without a socket (evhttp sets it):
 * evhttp_set_bevcb()'s callback shape, arg is the tls_server. */
struct bufferevent *tls_server_bev_new(struct event_base *base, void *arg);
/* An accepting TLS bufferevent on fd (NULL on failure, fd stays the
 * caller's): dav_engine's bev_factory, arg is the tls_server. */
struct bufferevent *tls_server_bev_accept(struct event_base *base, int fd, void *arg);
/* Sends close_notify on a TLS bufferevent whose output was flushed (the
 * engine's bev_shutdown); a plain one is left alone. */
void tls_server_bev_shutdown(struct bufferevent *bev, void *arg);

#endif
