/*
 * server: the evhttp engine of storesrv.
 *
 * One event loop per serving thread, each with its own evhttp and its own
 * SO_REUSEPORT listening socket (the kernel spreads connections), its own
 * read_path (and so its own file cache) and its own access log buffer:
 * nothing is shared or locked on the request path.  The main thread only
 * handles signals.  The engine turns evhttp requests into struct
 * read_request and struct read_response into evhttp replies; all HTTP
 * decisions are in libstore/read_path.c, so another engine can serve the
 * same store.
 */
#ifndef STORESRV_SERVER_H
#define STORESRV_SERVER_H

#include "errbuf.h"
#include "settings.h"

struct server;

/* Called on the main thread at SIGHUP, after the logs were reopened and
 * before the file caches are dropped. */
typedef void (*server_reload_fn)(void *arg);

/* Opens the root and www folders and binds the listening sockets. */
struct server *server_create(const struct settings *s, struct errbuf *err);
void server_free(struct server *srv);

/* The bound port (useful with port 0). */
int server_port(const struct server *srv);

void server_set_reload(struct server *srv, server_reload_fn fn, void *arg);

/* Speak HTTPS with tls's certificate (call before server_run(); tls must
 * outlive the server). */
struct tls_server;
void server_set_tls(struct server *srv, struct tls_server *tls);

/* Starts the serving threads and runs until SIGTERM or SIGINT. */
int server_run(struct server *srv, struct errbuf *err);

#endif
