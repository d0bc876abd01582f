/*
 * tls_client: OpenSSL client contexts and connections with certificate and
 * host name verification on (tls_client.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls_client.h"

/* OpenSSL's first queued error as text ("unknown reason" if none). */
static const char *
tls_client_ossl_reason(unsigned long e)
{
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	return r != NULL ? r : "unknown reason";
}

SSL_CTX *
tls_client_ctx_new(const char *ca_file, struct errbuf *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		errbuf_set(err, "TLS: cannot create a context: %s",
		    tls_client_ossl_reason(ERR_get_error()));
		goto fail;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_default_verify_paths(ctx) != 1) {
		errbuf_set(err, "TLS: cannot load the system CAs: %s",
		    tls_client_ossl_reason(ERR_get_error()));
		goto fail;
	}
	if (ca_file != NULL && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		errbuf_set(err, "%s: cannot load CA certificates: %s", ca_file,
		    tls_client_ossl_reason(ERR_get_error()));
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

static int
tls_client_is_ip(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

SSL *
tls_client_ssl_new(SSL_CTX *ctx, const char *host, struct errbuf *err)
{
	SSL *ssl = SSL_new(ctx);
	int ip = tls_client_is_ip(host);

	if (ssl == NULL) {
		errbuf_set(err, "%s: cannot create a TLS connection: %s", host,
		    tls_client_ossl_reason(ERR_get_error()));
		goto fail;
	}
	/* RFC 6066 section 3: SNI carries DNS names only, never an address; an
	 * address is checked against the certificate's IP address entries */
	if (ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1 :
	    SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1) {
		errbuf_set(err, "%s: cannot set the TLS host name: %s", host,
		    tls_client_ossl_reason(ERR_get_error()));
		goto fail;
	}
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return ssl;
fail:
	ERR_clear_error();
	SSL_free(ssl);
	return NULL;
}

int
tls_client_describe_failure(SSL *ssl, unsigned long ossl_error, const char *host,
    struct errbuf *err)
{
	long v = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;

	if (v != X509_V_OK) {
		errbuf_set(err, "%s: certificate verification failed: %s", host,
		    X509_verify_cert_error_string(v));
		return 1;
	}
	if (ossl_error != 0) {
		errbuf_set(err, "%s: TLS handshake failed: %s", host,
		    tls_client_ossl_reason(ossl_error));
		return 1;
	}
	return 0;
}
