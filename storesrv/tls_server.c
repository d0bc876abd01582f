/*
 * tls_server: the listeners' OpenSSL server context, reloadable; see
 * tls_server.h.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <event2/bufferevent_ssl.h>

#include "tls_server.h"
#include "xmalloc.h"

/*
 * TLS 1.2 suites: ECDHE/DHE with AES-GCM or ChaCha20 first, then the
 * remaining HIGH ones for older clients (a PBX's firmware may be years
 * old); nothing anonymous, export grade, RC4, DES/3DES, MD5, PSK or SRP.
 * TLS 1.3 keeps OpenSSL's default suites (all strong).
 */
#define TLS_SERVER_CIPHERS \
	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:HIGH:" \
	"!aNULL:!eNULL:!EXPORT:!RC4:!DES:!3DES:!MD5:!PSK:!SRP:!CAMELLIA:!ARIA"

struct tls_server {
	pthread_mutex_t lock;	/* guards ctx (the pointer, not the context) */
	SSL_CTX *ctx;		/* in force; each SSL holds its own reference */
	char *cert_file;
	char *key_file;
};

/* OpenSSL's reason for the first error queued, and the queue emptied. */
static const char *
tls_server_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "unknown reason";
}

static int
tls_server_ctx_policy(SSL_CTX *ctx, struct errbuf *err)
{
	static const unsigned char session_context[] = "storesrv";

	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS_SERVER_CIPHERS) != 1 ||
	    SSL_CTX_set_session_id_context(ctx, session_context, sizeof(session_context) - 1) != 1)
		return errbuf_set(err, "TLS: cannot set the protocol policy: %s",
		    tls_server_reason());
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION);
	return 0;
}

/* A new context from the files, checked: the key must be the
 * certificate's. */
static SSL_CTX *
tls_server_ctx_load(const char *cert_file, const char *key_file, struct errbuf *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		errbuf_set(err, "TLS: cannot create a context: %s", tls_server_reason());
		goto fail;
	}
	if (tls_server_ctx_policy(ctx, err) == -1)
		goto fail;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		errbuf_set(err, "tls-cert %s: cannot load a PEM certificate chain: %s", cert_file,
		    tls_server_reason());
		goto fail;
	}
	/* a key that loads but is another certificate's fails here too */
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 &&
	    ERR_GET_REASON(ERR_peek_error()) != X509_R_KEY_VALUES_MISMATCH) {
		errbuf_set(err, "tls-key %s: cannot load a PEM private key: %s", key_file,
		    tls_server_reason());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		errbuf_set(err, "tls-key %s: not the key of the certificate in %s: %s", key_file,
		    cert_file, tls_server_reason());
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

struct tls_server *
tls_server_create(const char *cert_file, const char *key_file, struct errbuf *err)
{
	struct tls_server *tls;
	SSL_CTX *ctx = tls_server_ctx_load(cert_file, key_file, err);

	if (ctx == NULL)
		return NULL;
	tls = xcalloc(1, sizeof(*tls));
	pthread_mutex_init(&tls->lock, NULL);
	tls->ctx = ctx;
	tls->cert_file = xstrdup(cert_file);
	tls->key_file = xstrdup(key_file);
	return tls;
}

int
tls_server_reload(struct tls_server *tls, struct errbuf *err)
{
	SSL_CTX *ctx = tls_server_ctx_load(tls->cert_file, tls->key_file, err), *old;

	if (ctx == NULL)
		return -1;
	pthread_mutex_lock(&tls->lock);
	old = tls->ctx;
	tls->ctx = ctx;
	pthread_mutex_unlock(&tls->lock);
	SSL_CTX_free(old);	/* open connections hold their own references */
	return 0;
}

void
tls_server_free(struct tls_server *tls)
{
	if (tls == NULL)
		return;
	SSL_CTX_free(tls->ctx);
	pthread_mutex_destroy(&tls->lock);
	free(tls->cert_file);
	free(tls->key_file);
	free(tls);
}

/* The context in force, with a reference the caller drops. */
static SSL_CTX *
tls_server_ctx_get(struct tls_server *tls)
{
	SSL_CTX *ctx;

	pthread_mutex_lock(&tls->lock);
	ctx = tls->ctx;
	SSL_CTX_up_ref(ctx);
	pthread_mutex_unlock(&tls->lock);
	return ctx;
}

void
tls_server_describe(struct tls_server *tls, char *buf, size_t size)
{
	SSL_CTX *ctx = tls_server_ctx_get(tls);
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	BIGNUM *serial = NULL;
	char *hex = NULL, subject[256] = "?";

	if (cert != NULL) {
		X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
		serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
		hex = serial != NULL ? BN_bn2hex(serial) : NULL;
	}
	snprintf(buf, size, "subject %s, serial %s", subject, hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(serial);
	SSL_CTX_free(ctx);
}

SSL *
tls_server_ssl_new(struct tls_server *tls)
{
	SSL_CTX *ctx = tls_server_ctx_get(tls);
	SSL *ssl = SSL_new(ctx);	/* takes a reference of its own */

	SSL_CTX_free(ctx);
	if (ssl == NULL)
		ERR_clear_error();
	return ssl;
}

struct bufferevent *
tls_server_bev_accept(struct event_base *base, int fd, void *arg)
{
	SSL *ssl = tls_server_ssl_new(arg);
	struct bufferevent *bev;

	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		SSL_free(ssl);	/* not taken: fd stays the caller's */
	return bev;
}

struct bufferevent *
tls_server_bev_new(struct event_base *base, void *arg)
{
	return tls_server_bev_accept(base, -1, arg);
}

void
tls_server_bev_shutdown(struct bufferevent *bev, void *arg)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	(void)arg;
	if (ssl == NULL)
		return;
	/* close_notify goes straight to the socket; the peer's arrives
	 * through the bufferevent as an end of file */
	if (SSL_shutdown(ssl) < 0)
		ERR_clear_error();
}
