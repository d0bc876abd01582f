/*
 * fetch_conn: the per-host connection pool of a fetcher (fetch_conn.h).
 * Hosts sit in an array of at most max_hosts slots (more only while all are
 * busy), each with a list of its connections; a logical clock stamps the
 * last use of a host for the eviction of the least recently used one.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>

#include "fetch_conn.h"
#include "fetch_tunnel.h"
#include "tls_client.h"
#include "xmalloc.h"

#define FETCH_RATE_TICK_MS	100
#define FETCH_HEADERS_MAX	(64 * 1024)	/* a response's status line and headers */

/* One evhttp_connection; it carries one request at a time. */
struct fetch_conn {
	struct fetch_host *host;
	struct evhttp_connection *evcon;
	SSL *ssl;		/* https: owned by the bufferevent */
	int busy;		/* a request is on it */
	int dead;		/* closed or failed: freed once idle */
	struct fetch_conn *next;
};

/* Where connections go: an origin, or the proxy for plain http. */
struct fetch_host {
	char *name;
	int port;
	int tls;
	struct fetch_tunnel *tunnel;	/* https through the proxy */
	struct fetch_conn *conns;
	unsigned busy;
	uint64_t last_used;
};

struct fetch_conn_pool {
	struct event_base *base;
	struct fetch_host **hosts;
	size_t nhosts, max_hosts;
	uint64_t clock;
	SSL_CTX *tls;		/* made for the first https:// host */
	char *ca_file;
	char *proxy_host;	/* NULL: direct */
	int proxy_port;
	struct bufferevent_rate_limit_group *rate_group;
};

static void
fetch_conn_free(struct fetch_conn *c)
{
	if (c->evcon != NULL)
		evhttp_connection_free(c->evcon);	/* frees the bufferevent and SSL */
	free(c);
}

static void
fetch_host_free(struct fetch_host *h)
{
	struct fetch_conn *c, *next;

	if (h == NULL)
		return;
	for (c = h->conns; c != NULL; c = next) {
		next = c->next;
		fetch_conn_free(c);
	}
	fetch_tunnel_free(h->tunnel);
	free(h->name);
	free(h);
}

struct fetch_conn_pool *
fetch_conn_pool_new(const struct fetch_conn_config *cfg)
{
	struct fetch_conn_pool *p = xcalloc(1, sizeof(*p));

	p->base = cfg->base;
	p->max_hosts = cfg->max_hosts;
	p->tls = cfg->tls;
	p->ca_file = cfg->ca_file != NULL ? xstrdup(cfg->ca_file) : NULL;
	p->proxy_host = cfg->proxy_host != NULL ? xstrdup(cfg->proxy_host) : NULL;
	p->proxy_port = cfg->proxy_port;
	return p;
}

void
fetch_conn_pool_free(struct fetch_conn_pool *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nhosts; i++)
		fetch_host_free(p->hosts[i]);
	free(p->hosts);
	if (p->rate_group != NULL)	/* after its members (the connections) */
		bufferevent_rate_limit_group_free(p->rate_group);
	SSL_CTX_free(p->tls);
	free(p->proxy_host);
	free(p->ca_file);
	free(p);
}

/* Frees the host's idle connections that closed or failed. */
static void
fetch_host_reap(struct fetch_host *h)
{
	struct fetch_conn **pp = &h->conns, *c;

	while ((c = *pp) != NULL) {
		if (c->dead && !c->busy) {
			*pp = c->next;
			fetch_conn_free(c);
		} else {
			pp = &c->next;
		}
	}
}

static void
fetch_conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct fetch_conn *c = arg;

	(void)evcon;
	c->dead = 1;	/* a TLS session is not resumed on a new socket */
}

static struct bufferevent *
fetch_conn_tls_bev(struct fetch_conn_pool *p, struct fetch_conn *c, const char *host,
    struct errbuf *err)
{
	struct bufferevent *bev;

	if ((c->ssl = tls_client_ssl_new(p->tls, host, err)) == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(p->base, -1, c->ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
		errbuf_set(err, "%s: cannot create a TLS connection", host);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static struct fetch_conn *
fetch_conn_new(struct fetch_conn_pool *p, struct fetch_host *h, struct errbuf *err)
{
	struct fetch_conn *c = xcalloc(1, sizeof(*c));
	struct bufferevent *bev = NULL;
	const char *addr = h->name;
	int port = h->port;

	if (h->tls && (bev = fetch_conn_tls_bev(p, c, h->name, err)) == NULL)
		goto fail;
	if (h->tunnel != NULL) {
		addr = fetch_tunnel_address(h->tunnel);
		port = fetch_tunnel_port(h->tunnel);
	}
	c->evcon = evhttp_connection_base_bufferevent_new(p->base, NULL, bev, addr,
	    (unsigned short)port);
	if (c->evcon == NULL) {
		if (bev != NULL)
			bufferevent_free(bev);
		errbuf_set(err, "%s:%d: cannot create a connection", h->name, h->port);
		goto fail;
	}
	evhttp_connection_set_closecb(c->evcon, fetch_conn_closed_cb, c);
	evhttp_connection_set_max_headers_size(c->evcon, FETCH_HEADERS_MAX);
	if (p->rate_group != NULL)
		bufferevent_add_to_rate_limit_group(evhttp_connection_get_bufferevent(c->evcon),
		    p->rate_group);
	c->host = h;
	return c;
fail:
	free(c);
	return NULL;
}

/* Where o's connections go: the origin, or the proxy (plain http). */
static void
fetch_endpoint(const struct fetch_conn_pool *p, const struct fetch_origin *o, const char **name,
    int *port)
{
	int proxied = p->proxy_host != NULL && !o->tls;

	*name = proxied ? p->proxy_host : o->host;
	*port = proxied ? p->proxy_port : o->port;
}

static struct fetch_host *
fetch_host_new(struct fetch_conn_pool *p, const struct fetch_origin *o, struct errbuf *err)
{
	struct fetch_host *h = xcalloc(1, sizeof(*h));
	const char *name;

	fetch_endpoint(p, o, &name, &h->port);
	h->name = xstrdup(name);
	h->tls = o->tls;
	if (o->tls && p->tls == NULL && (p->tls = tls_client_ctx_new(p->ca_file, err)) == NULL) {
		fetch_host_free(h);
		return NULL;
	}
	if (o->tls && p->proxy_host != NULL &&
	    (h->tunnel = fetch_tunnel_new(p->base, p->proxy_host, p->proxy_port, o->host, o->port,
	    err)) == NULL) {
		fetch_host_free(h);
		return NULL;
	}
	return h;
}

/* The slot for a new host: a free one, else the least recently used host
 * without a request (freed), else a new one beyond max_hosts. */
static size_t
fetch_host_slot(struct fetch_conn_pool *p)
{
	size_t lru = p->nhosts;

	if (p->nhosts < p->max_hosts) {
		p->hosts = xreallocarray(p->hosts, p->nhosts + 1, sizeof(*p->hosts));
		return p->nhosts++;
	}
	for (size_t i = 0; i < p->nhosts; i++)
		if (p->hosts[i]->busy == 0 &&
		    (lru == p->nhosts || p->hosts[i]->last_used < p->hosts[lru]->last_used))
			lru = i;
	if (lru < p->nhosts) {
		fetch_host_free(p->hosts[lru]);
		p->hosts[lru] = NULL;
		return lru;
	}
	p->hosts = xreallocarray(p->hosts, p->nhosts + 1, sizeof(*p->hosts));
	return p->nhosts++;
}

static struct fetch_host *
fetch_host_get(struct fetch_conn_pool *p, const struct fetch_origin *o, struct errbuf *err)
{
	const char *name;
	size_t slot;
	int port;

	fetch_endpoint(p, o, &name, &port);
	for (size_t i = 0; i < p->nhosts; i++)
		if (p->hosts[i]->port == port && p->hosts[i]->tls == o->tls &&
		    strcmp(p->hosts[i]->name, name) == 0)
			return p->hosts[i];
	slot = fetch_host_slot(p);
	if ((p->hosts[slot] = fetch_host_new(p, o, err)) == NULL) {
		/* the slot is the last one or was freed: fill it from the end */
		p->hosts[slot] = p->hosts[--p->nhosts];
		return NULL;
	}
	return p->hosts[slot];
}

struct fetch_conn *
fetch_conn_acquire(struct fetch_conn_pool *p, const struct fetch_origin *o, struct errbuf *err)
{
	struct fetch_host *h = fetch_host_get(p, o, err);
	struct fetch_conn *c;

	if (h == NULL)
		return NULL;
	fetch_host_reap(h);
	for (c = h->conns; c != NULL && (c->busy || c->dead); c = c->next)
		;
	if (c == NULL) {
		if ((c = fetch_conn_new(p, h, err)) == NULL)
			return NULL;
		c->next = h->conns;
		h->conns = c;
	}
	c->busy = 1;
	h->busy++;
	h->last_used = ++p->clock;
	return c;
}

void
fetch_conn_release(struct fetch_conn *c, int failed)
{
	c->busy = 0;
	c->host->busy--;
	if (failed)
		c->dead = 1;
	fetch_host_reap(c->host);
}

struct evhttp_connection *
fetch_conn_evcon(const struct fetch_conn *c)
{
	return c->evcon;
}

/* The tunnel's reason first: a failed CONNECT is the cause, whatever TLS
 * saw.  c's host is the origin for https (never the proxy): the name TLS
 * verified. */
enum fetch_fail
fetch_conn_failure(struct fetch_conn *c, struct errbuf *err)
{
	if (c->host->tunnel != NULL && fetch_tunnel_failure(c->host->tunnel, err))
		return FETCH_FAIL_CONNECT;
	if (c->ssl != NULL && tls_client_describe_failure(c->ssl,
	    bufferevent_get_openssl_error(evhttp_connection_get_bufferevent(c->evcon)),
	    c->host->name, err))
		return FETCH_FAIL_TLS;
	return FETCH_FAIL_NONE;
}

/* Adds every connection's bufferevent to the rate-limit group, or removes it. */
static void
fetch_rate_group_join(struct fetch_conn_pool *p, int join)
{
	for (size_t i = 0; i < p->nhosts; i++)
		for (struct fetch_conn *c = p->hosts[i]->conns; c != NULL; c = c->next) {
			struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);

			if (join)
				bufferevent_add_to_rate_limit_group(bev, p->rate_group);
			else
				bufferevent_remove_from_rate_limit_group(bev);
		}
}

int
fetch_conn_pool_set_rate_limit(struct fetch_conn_pool *p, uint64_t bytes_per_sec, struct errbuf *err)
{
	struct timeval tick = { 0, FETCH_RATE_TICK_MS * 1000 };
	struct ev_token_bucket_cfg *cfg;
	uint64_t per_tick = bytes_per_sec / (1000 / FETCH_RATE_TICK_MS);
	int rc = 0;

	if (bytes_per_sec == 0) {
		if (p->rate_group != NULL) {
			fetch_rate_group_join(p, 0);
			bufferevent_rate_limit_group_free(p->rate_group);	/* empty now */
			p->rate_group = NULL;
		}
		return 0;
	}
	per_tick = per_tick == 0 ? 1 : per_tick > EV_RATE_LIMIT_MAX ? EV_RATE_LIMIT_MAX : per_tick;
	cfg = ev_token_bucket_cfg_new((size_t)per_tick, (size_t)per_tick, EV_RATE_LIMIT_MAX,
	    EV_RATE_LIMIT_MAX, &tick);
	if (cfg == NULL)
		rc = -1;
	else if (p->rate_group != NULL)
		rc = bufferevent_rate_limit_group_set_cfg(p->rate_group, cfg);
	else if ((p->rate_group = bufferevent_rate_limit_group_new(p->base, cfg)) == NULL)
		rc = -1;
	else
		fetch_rate_group_join(p, 1);
	if (cfg != NULL)
		ev_token_bucket_cfg_free(cfg);	/* the group keeps a copy */
	if (rc != 0)
		errbuf_set(err, "fetch: cannot set a rate limit of %" PRIu64 " bytes/s",
		    bytes_per_sec);
	return rc;
}
