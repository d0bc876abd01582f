/*
 * dav_server: storesrv's WebDAV listener (issue 9) as one object.
 *
 * It owns an event loop on a thread of its own, the engine (dav_engine.h)
 * listening on cfg->listen, the users and their authentication
 * (dav_users.h, dav_auth.h), the lock table (dav_lock.h, kept in
 * <root>/.webdav/locks.json), the dead properties (dav_props.h, below
 * <root>/.webdav/props/<channel>/) and the watcher that imports what is
 * uploaded to <channel>/incoming/ (dav_incoming.h).
 *
 *   dav = dav_server_create(&cfg, &err);	binds (before dropping privileges)
 *   dav_server_start(dav, &err);		the loop's thread and the watcher
 *   dav_server_reload(dav);			SIGHUP: the users file again
 *   dav_server_free(dav);			stops, closes every connection
 *
 * The namespace, the method table and the rules every request passes
 * (authentication, the role, the area) are in dav_server.c; each method
 * lives in its own module (dav_handler.h).  Library code: it logs through
 * log.h, never prints or exits.
 */
#ifndef STORESRV_DAV_SERVER_H
#define STORESRV_DAV_SERVER_H

#include <stdint.h>

#include "dav_engine.h"
#include "errbuf.h"

struct dav_server_config {
	const char *root;		/* the store root */
	const char *listen;		/* "ADDR:PORT" or "[ADDR]:PORT", numeric */
	const char *users_file;		/* storesrv passwd's file; missing: nobody logs in */
	int allow_plain_basic;		/* Basic over plain HTTP off loopback */
	int tls;			/* bev_factory makes TLS connections */
	dav_bev_factory bev_factory;	/* NULL: plain sockets */
	void *bev_factory_arg;
	dav_bev_shutdown bev_shutdown;	/* TLS close_notify (dav_engine.h) */
	unsigned quiet_seconds;		/* an upload untouched this long is imported */
	uint64_t reserve_bytes;		/* free space uploads leave on the store */
	int max_uploads;		/* concurrent uploads (PUT bodies) per user */
	int max_locks;			/* locks in all */
	int max_connections, idle_timeout, header_timeout, body_timeout;	/* 0: defaults */
};

struct dav_server;

/* Opens the root, loads the users, the locks, binds the listener.  NULL
 * with err set on failure. */
struct dav_server *dav_server_create(const struct dav_server_config *cfg, struct errbuf *err);
/* Starts the loop's thread (and the incoming watcher). */
int dav_server_start(struct dav_server *dav, struct errbuf *err);
/* Rereads the users file (from any thread); a file that does not load
 * keeps the users in force and logs why. */
void dav_server_reload(struct dav_server *dav);
/* Stops the thread (when started) and frees everything; NULL is a no-op. */
void dav_server_free(struct dav_server *dav);
int dav_server_port(const struct dav_server *dav);

#endif
