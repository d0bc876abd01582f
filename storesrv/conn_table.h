/*
 * conn_table: the connections of one serving thread, kept beside evhttp.
 *
 * evhttp 2.1 does not let a program see its connections: how many there
 * are, which of them are waiting for a request head and since when.  The
 * table learns of each connection from evhttp's bufferevent callback
 * (conn_table_bufferevent_new), of each whole request head from the request
 * handler (conn_table_responding), of each response sent from the request's
 * on-complete callback, and of each close from the connection's close
 * callback.  With that it enforces:
 *
 *  - a budget: at most `max_connections` connections in the process, counted
 *    in one atomic shared by the threads' tables (the kernel spreads
 *    connections over the threads by a hash, not evenly enough for a share
 *    each).  A connection that arrives beyond it closes this thread's
 *    connection that has waited longest for a request head (an idle
 *    keep-alive connection or a slow client), which is the new one itself
 *    when every other is busy sending a response.  Normal clients keep being
 *    served while slow ones are shed.
 *  - a head deadline: a connection must deliver a whole request head within
 *    `head_timeout` seconds of becoming ready for one (accepted, or its
 *    previous response sent).  evhttp's own timeout restarts at every byte,
 *    so one header line every few seconds (Slowloris) would hold a
 *    connection for ever.  The deadline is also the keep-alive idle time.
 *
 * The table also caps what a connection may buffer from its client: the
 * read high-water mark of each bufferevent, so that a client sending while
 * its response goes out cannot grow the server's memory.
 *
 * One table per serving thread; nothing in it is shared or locked but the
 * count of the process's connections, an atomic touched once per connection.
 */
#ifndef STORESRV_CONN_TABLE_H
#define STORESRV_CONN_TABLE_H

#include <stdatomic.h>
#include <stddef.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

struct conn_table_limits {
	size_t max_connections;	/* in the process */
	atomic_size_t *open;	/* the process's open connections, shared */
	int head_timeout;	/* seconds for a whole request head */
	size_t max_input;	/* bytes a connection may buffer from its client */
	/* makes a connection's bufferevent without a socket (TLS); NULL: a
	 * plain bufferevent_socket */
	struct bufferevent *(*bev_new)(struct event_base *base, void *arg);
	/* ends a closing connection's TLS session (close_notify); NULL: none */
	void (*bev_shutdown)(struct bufferevent *bev, void *arg);
	void *bev_new_arg;	/* of both */
};

struct conn_table;

struct conn_table *conn_table_create(struct event_base *base, const struct conn_table_limits *lim);
/* Call after evhttp_free(): evhttp closes every connection first. */
void conn_table_free(struct conn_table *ct);

/* evhttp_set_bevcb() callback (arg: the table): a new connection. */
struct bufferevent *conn_table_bufferevent_new(struct event_base *base, void *arg);

/* The request handler has a whole request head: the connection is busy
 * until its response is sent.  Call before replying. */
void conn_table_responding(struct conn_table *ct, struct evhttp_request *req);

#endif
