/*
 * tls_client: the OpenSSL 3 client side shared by the mirror's transfers
 * (fetch.c) and the WebDAV push client: one SSL_CTX per program, one SSL
 * per connection.
 *
 * tls_client_ctx_new() makes a context that requires TLS 1.2 or newer and
 * verifies the peer's certificate chain (SSL_VERIFY_PEER) against the system
 * CAs (SSL_CTX_set_default_verify_paths), plus the PEM certificates of
 * ca_file when given.  tls_client_ssl_new() makes a client SSL for one
 * connection to host: SNI (unless host is an IP address) and host name
 * verification (SSL_set1_host for a DNS name; an IP address must be one of
 * the certificate's IP address entries).
 * Hand the SSL to bufferevent_openssl_socket_new() (BEV_OPT_CLOSE_ON_FREE
 * frees it with the bufferevent) or free it with SSL_free().
 *
 * tls_client_describe_failure() turns a failed handshake into one sentence
 * naming the host and OpenSSL's reason (the certificate verification
 * result first, else the error queue's first entry).
 *
 * Library code: never prints; NULL or -1 with errbuf.
 */
#ifndef STORESRV_MIRROR_TLS_CLIENT_H
#define STORESRV_MIRROR_TLS_CLIENT_H

#include <openssl/ssl.h>

#include "errbuf.h"

/* A client context (SSL_CTX_free() frees it), or NULL with err naming
 * ca_file or OpenSSL's reason. */
SSL_CTX *tls_client_ctx_new(const char *ca_file, struct errbuf *err);

/* A client SSL for a connection to host, or NULL with err. */
SSL *tls_client_ssl_new(SSL_CTX *ctx, const char *host, struct errbuf *err);

/* 1 when ssl's handshake failed on the certificate (verification result
 * other than X509_V_OK), with err "host: certificate verification failed:
 * <reason>"; otherwise, when ossl_error (an ERR_get_error() code, e.g. from
 * bufferevent_get_openssl_error()) is not 0, 1 with err "host: TLS handshake
 * failed: <reason>"; else 0 (not a TLS failure), err untouched. */
int tls_client_describe_failure(SSL *ssl, unsigned long ossl_error, const char *host,
    struct errbuf *err);

#endif
