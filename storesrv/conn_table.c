/*
 * conn_table: budget and head deadline of one serving thread's connections;
 * see conn_table.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "conn_table.h"
#include "log.h"
#include "xmalloc.h"

enum conn_state {
	CONN_FRESH,		/* created by evhttp, not yet registered */
	CONN_WAITING,		/* waiting for a request head */
	CONN_RESPONDING,	/* a request is being answered */
};

struct conn {
	struct conn_table *ct;
	struct bufferevent *bev;
	struct evhttp_connection *evcon;
	int fd;
	enum conn_state state;
	time_t waiting_since;
	TAILQ_ENTRY(conn) link;
};

TAILQ_HEAD(conn_list, conn);

struct conn_table {
	struct conn_table_limits lim;
	struct conn_list fresh;
	struct conn_list waiting;	/* oldest first */
	struct conn_list busy;
	struct conn **by_fd;		/* registered connections by socket */
	size_t by_fd_len;
	struct event *register_ev;
	struct event *sweep_ev;
};

static time_t
conn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

static struct conn_list *
conn_list_of(struct conn_table *ct, enum conn_state state)
{
	switch (state) {
	case CONN_FRESH:
		return &ct->fresh;
	case CONN_WAITING:
		return &ct->waiting;
	case CONN_RESPONDING:
		break;
	}
	return &ct->busy;
}

static void
conn_move(struct conn *c, enum conn_state state)
{
	struct conn_table *ct = c->ct;

	TAILQ_REMOVE(conn_list_of(ct, c->state), c, link);
	c->state = state;
	if (state == CONN_WAITING)
		c->waiting_since = conn_now();
	TAILQ_INSERT_TAIL(conn_list_of(ct, state), c, link);
}

static void
conn_by_fd_set(struct conn_table *ct, int fd, struct conn *c)
{
	size_t want = ct->by_fd_len ? ct->by_fd_len : 64;

	if (fd < 0)
		return;
	while ((size_t)fd >= want)
		want *= 2;
	if (want != ct->by_fd_len) {
		ct->by_fd = xreallocarray(ct->by_fd, want, sizeof(*ct->by_fd));
		memset(ct->by_fd + ct->by_fd_len, 0, (want - ct->by_fd_len) * sizeof(*ct->by_fd));
		ct->by_fd_len = want;
	}
	ct->by_fd[fd] = c;
}

static struct conn *
conn_by_fd_get(const struct conn_table *ct, int fd)
{
	return fd >= 0 && (size_t)fd < ct->by_fd_len ? ct->by_fd[fd] : NULL;
}

/* evhttp is closing the connection (any reason, either side). */
static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct conn *c = arg;
	struct conn_table *ct = c->ct;

	if (ct->lim.bev_shutdown != NULL)
		ct->lim.bev_shutdown(c->bev, ct->lim.bev_new_arg);
	TAILQ_REMOVE(conn_list_of(ct, c->state), c, link);
	if (conn_by_fd_get(ct, c->fd) == c)
		ct->by_fd[c->fd] = NULL;
	atomic_fetch_sub(ct->lim.open, 1);
	free(c);
}

/* Closes a connection that waits for a head; conn_closed() frees c. */
static void
conn_close(struct conn *c, const char *why)
{
	log_debug("connection %d: %s; closing it", c->fd, why);
	evhttp_connection_free(c->evcon);
}

/* Beyond the budget, the connection that waited longest for a head goes. */
static void
conn_enforce_budget(struct conn_table *ct)
{
	while (atomic_load(ct->lim.open) > ct->lim.max_connections && !TAILQ_EMPTY(&ct->waiting))
		conn_close(TAILQ_FIRST(&ct->waiting), "over the connection budget");
}

/* Runs right after evhttp accepted connections: by now each bufferevent
 * carries its evhttp connection as the callback argument. */
static void
conn_register_fresh(evutil_socket_t fd, short what, void *arg)
{
	struct conn_table *ct = arg;
	struct conn *c;

	while ((c = TAILQ_FIRST(&ct->fresh)) != NULL) {
		void *evcon = NULL;

		bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
		c->evcon = evcon;
		c->fd = bufferevent_getfd(c->bev);
		conn_by_fd_set(ct, c->fd, c);
		evhttp_connection_set_closecb(c->evcon, conn_closed, c);
		conn_move(c, CONN_WAITING);
		conn_enforce_budget(ct);
	}
}

static void
conn_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct conn_table *ct = arg;
	time_t cutoff = conn_now() - ct->lim.head_timeout;
	struct conn *c;

	while ((c = TAILQ_FIRST(&ct->waiting)) != NULL && c->waiting_since <= cutoff)
		conn_close(c, "no whole request head in time");
}

struct bufferevent *
conn_table_bufferevent_new(struct event_base *base, void *arg)
{
	struct conn_table *ct = arg;
	struct bufferevent *bev = ct->lim.bev_new != NULL ? ct->lim.bev_new(base, ct->lim.bev_new_arg) :
	    bufferevent_socket_new(base, -1, 0);
	struct conn *c;

	if (bev == NULL)
		return NULL;
	bufferevent_setwatermark(bev, EV_READ, 0, ct->lim.max_input);
	c = xcalloc(1, sizeof(*c));
	c->ct = ct;
	c->bev = bev;
	c->fd = -1;
	c->state = CONN_FRESH;
	TAILQ_INSERT_TAIL(&ct->fresh, c, link);
	atomic_fetch_add(ct->lim.open, 1);
	event_active(ct->register_ev, EV_TIMEOUT, 0);
	return bev;
}

static void
conn_response_sent(struct evhttp_request *req, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_RESPONDING)
		conn_move(c, CONN_WAITING);
}

void
conn_table_responding(struct conn_table *ct, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct conn *c;

	if (evcon == NULL)
		return;
	c = conn_by_fd_get(ct, bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)));
	if (c == NULL || c->evcon != evcon || c->state != CONN_WAITING)
		return;
	conn_move(c, CONN_RESPONDING);
	evhttp_request_set_on_complete_cb(req, conn_response_sent, c);
}

struct conn_table *
conn_table_create(struct event_base *base, const struct conn_table_limits *lim)
{
	struct conn_table *ct = xcalloc(1, sizeof(*ct));
	struct timeval second = { 1, 0 };

	ct->lim = *lim;
	TAILQ_INIT(&ct->fresh);
	TAILQ_INIT(&ct->waiting);
	TAILQ_INIT(&ct->busy);
	ct->register_ev = event_new(base, -1, 0, conn_register_fresh, ct);
	ct->sweep_ev = event_new(base, -1, EV_PERSIST, conn_sweep, ct);
	if (ct->register_ev == NULL || ct->sweep_ev == NULL || event_add(ct->sweep_ev, &second) == -1) {
		conn_table_free(ct);
		return NULL;
	}
	return ct;
}

void
conn_table_free(struct conn_table *ct)
{
	struct conn *c;

	if (ct == NULL)
		return;
	/* evhttp_free() closed every registered connection; what is left was
	 * never registered (its bufferevent is evhttp's to free). */
	while ((c = TAILQ_FIRST(&ct->fresh)) != NULL) {
		TAILQ_REMOVE(&ct->fresh, c, link);
		atomic_fetch_sub(ct->lim.open, 1);
		free(c);
	}
	if (ct->register_ev != NULL)
		event_free(ct->register_ev);
	if (ct->sweep_ev != NULL)
		event_free(ct->sweep_ev);
	free(ct->by_fd);
	free(ct);
}
