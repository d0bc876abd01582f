/*
 * fetch_tunnel: https:// through an HTTP proxy, for fetch.c's connection
 * pool (fetch_conn.h).
 *
 * libevent 2.1's evhttp connects its own bufferevent and cannot be handed
 * one already connected, so a tunnel is a relay on 127.0.0.1: the https
 * connections of one origin connect to the relay's address and port
 * (fetch_tunnel_address(), fetch_tunnel_port()) and speak TLS with the
 * origin's name, end to end.  Each accepted connection opens one to the
 * proxy, sends "CONNECT host:port" (RFC 9110 section 9.3.6) and, once
 * answered 2xx, copies bytes both ways.
 *
 * Contract and limits:
 *   - one tunnel per origin (host:port); it runs on the event_base given to
 *     fetch_tunnel_new() and must be freed before that base;
 *   - at most 64 connections relayed at once (further ones are closed at
 *     accept), 256 KiB buffered per side (reading pauses beyond), 16 KiB for
 *     the proxy's answer to CONNECT and 30 s to get it;
 *   - a relayed connection ends with either side (what is buffered for the
 *     other side is sent first);
 *   - a CONNECT that fails (the proxy unreachable, a non-2xx answer, no
 *     answer in time) closes the local connection, so evhttp sees a
 *     connection failure; the reason is kept in the tunnel and handed out
 *     once by fetch_tunnel_failure().
 * fetch_tunnel_free() closes the listener and every relayed connection.
 *
 * Library code: never prints; 0/-1 with errbuf.  Not thread safe.
 */
#ifndef STORESRV_MIRROR_FETCH_TUNNEL_H
#define STORESRV_MIRROR_FETCH_TUNNEL_H

#include "errbuf.h"

struct event_base;
struct fetch_tunnel;

/* A tunnel to host:port through the proxy proxy_host:proxy_port, listening
 * on a free port of 127.0.0.1; free with fetch_tunnel_free().  Returns NULL
 * with err set when the listener cannot be opened. */
struct fetch_tunnel *fetch_tunnel_new(struct event_base *base, const char *proxy_host,
    int proxy_port, const char *host, int port, struct errbuf *err);
/* NULL is a no-op. */
void fetch_tunnel_free(struct fetch_tunnel *t);

/* Where the tunnel's clients connect: always "127.0.0.1", and its port. */
const char *fetch_tunnel_address(const struct fetch_tunnel *t);
int fetch_tunnel_port(const struct fetch_tunnel *t);

/* 1 with err when a CONNECT failed since the last call (the reason is then
 * forgotten), else 0. */
int fetch_tunnel_failure(struct fetch_tunnel *t, struct errbuf *err);

#endif
