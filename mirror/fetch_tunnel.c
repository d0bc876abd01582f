/*
 * fetch_tunnel: the CONNECT relay on 127.0.0.1 for https:// through an HTTP
 * proxy (fetch_tunnel.h).  Each accepted connection is a fetch_pipe: the
 * client side (from evhttp) waits, its bytes left in the socket, while the
 * proxy side connects, sends CONNECT and reads the answer; then both sides
 * relay, with bounded buffers (watermarks).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "fetch_tunnel.h"
#include "xmalloc.h"

#define FETCH_TUNNEL_HEAD_MAX	(16 * 1024)	/* the proxy's answer to CONNECT */
#define FETCH_TUNNEL_BUFFER	(256 * 1024)	/* relayed bytes held per side */
#define FETCH_TUNNEL_PIPES_MAX	64		/* connections through one tunnel */
#define FETCH_TUNNEL_ANSWER_S	30		/* for the proxy's answer to CONNECT */

struct fetch_pipe;

struct fetch_tunnel {
	struct event_base *base;
	struct evconnlistener *listener;
	int port;
	char *proxy_host;
	int proxy_port;
	char *target;		/* host:port */
	struct fetch_pipe *pipes;
	unsigned npipes;
	struct errbuf err;	/* the last CONNECT that failed, "" if none */
};

struct fetch_pipe {
	struct fetch_tunnel *t;
	struct bufferevent *client;	/* from evhttp */
	struct bufferevent *proxy;
	struct fetch_pipe *next, **prevp;
};

static void
fetch_pipe_free(struct fetch_pipe *p)
{
	if (p->client != NULL)
		bufferevent_free(p->client);
	if (p->proxy != NULL)
		bufferevent_free(p->proxy);
	*p->prevp = p->next;
	if (p->next != NULL)
		p->next->prevp = p->prevp;
	p->t->npipes--;
	free(p);
}

static struct bufferevent *
fetch_pipe_other(struct fetch_pipe *p, struct bufferevent *bev)
{
	return bev == p->client ? p->proxy : p->client;
}

/* Both sides relay: what one reads goes to the other's output, reading
 * paused while that output holds FETCH_TUNNEL_BUFFER bytes. */
static void
fetch_pipe_read_cb(struct bufferevent *bev, void *arg)
{
	struct fetch_pipe *p = arg;
	struct bufferevent *other = fetch_pipe_other(p, bev);

	if (other == NULL) {
		evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
		return;
	}
	evbuffer_add_buffer(bufferevent_get_output(other), bufferevent_get_input(bev));
	if (evbuffer_get_length(bufferevent_get_output(other)) >= FETCH_TUNNEL_BUFFER) {
		bufferevent_disable(bev, EV_READ);
		bufferevent_setwatermark(other, EV_WRITE, FETCH_TUNNEL_BUFFER / 2, 0);
	}
}

static void
fetch_pipe_drained_cb(struct bufferevent *bev, void *arg)
{
	struct fetch_pipe *p = arg;
	struct bufferevent *other = fetch_pipe_other(p, bev);

	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (other != NULL)
		bufferevent_enable(other, EV_READ);
	else if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		fetch_pipe_free(p);	/* the other side ended and all is sent */
}

static void
fetch_pipe_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct fetch_pipe *p = arg;
	struct bufferevent *other = fetch_pipe_other(p, bev);

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (bev == p->client)
		p->client = NULL;
	else
		p->proxy = NULL;
	bufferevent_free(bev);
	if (other == NULL || evbuffer_get_length(bufferevent_get_output(other)) == 0) {
		fetch_pipe_free(p);
		return;
	}
	bufferevent_disable(other, EV_READ);	/* flush what is left, then end */
	bufferevent_setwatermark(other, EV_WRITE, 0, 0);
}

static void
fetch_pipe_relay(struct fetch_pipe *p)
{
	bufferevent_set_timeouts(p->proxy, NULL, NULL);	/* evhttp's own timeout rules */
	bufferevent_setcb(p->client, fetch_pipe_read_cb, fetch_pipe_drained_cb, fetch_pipe_event_cb, p);
	bufferevent_setcb(p->proxy, fetch_pipe_read_cb, fetch_pipe_drained_cb, fetch_pipe_event_cb, p);
	bufferevent_enable(p->client, EV_READ | EV_WRITE);
	bufferevent_enable(p->proxy, EV_READ | EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_input(p->proxy)) > 0)
		fetch_pipe_read_cb(p->proxy, p);
}

/* The proxy's answer to CONNECT: a 2xx status line, then headers up to an
 * empty line (a CONNECT 2xx has no body, RFC 9110 section 9.3.6). */
static void
fetch_pipe_answer_cb(struct bufferevent *bev, void *arg)
{
	struct fetch_pipe *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	char line[128];
	size_t n;
	int status = 0;

	if (end.pos < 0) {
		if (evbuffer_get_length(in) > FETCH_TUNNEL_HEAD_MAX) {
			errbuf_set(&p->t->err, "proxy %s:%d: an answer to CONNECT %s over %d bytes",
			    p->t->proxy_host, p->t->proxy_port, p->t->target, FETCH_TUNNEL_HEAD_MAX);
			fetch_pipe_free(p);
		}
		return;
	}
	n = evbuffer_copyout(in, line, sizeof(line) - 1);
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (sscanf(line, "HTTP/1.%*1[01] %3d", &status) != 1 || status < 200 || status > 299) {
		errbuf_set(&p->t->err, "proxy %s:%d answered \"%s\" to CONNECT %s", p->t->proxy_host,
		    p->t->proxy_port, line, p->t->target);
		fetch_pipe_free(p);
		return;
	}
	evbuffer_drain(in, (size_t)end.pos + 4);
	fetch_pipe_relay(p);
}

static void
fetch_pipe_connect_cb(struct bufferevent *bev, short what, void *arg)
{
	struct fetch_pipe *p = arg;

	if (what & BEV_EVENT_CONNECTED) {
		evbuffer_add_printf(bufferevent_get_output(bev),
		    "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", p->t->target, p->t->target);
		return;
	}
	errbuf_set(&p->t->err, "proxy %s:%d: %s", p->t->proxy_host, p->t->proxy_port,
	    what & BEV_EVENT_EOF ? "closed the connection at CONNECT" :
	    what & BEV_EVENT_TIMEOUT ? "no answer to CONNECT" :
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	fetch_pipe_free(p);
}

static void
fetch_tunnel_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct fetch_tunnel *t = arg;
	struct timeval answer = { FETCH_TUNNEL_ANSWER_S, 0 };
	struct fetch_pipe *p;

	(void)l;
	(void)sa;
	(void)salen;
	if (t->npipes >= FETCH_TUNNEL_PIPES_MAX) {
		evutil_closesocket(fd);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	t->npipes++;
	p->t = t;
	p->next = t->pipes;
	p->prevp = &t->pipes;
	if (t->pipes != NULL)
		t->pipes->prevp = &p->next;
	t->pipes = p;
	p->client = bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE);
	p->proxy = bufferevent_socket_new(t->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (p->client == NULL || p->proxy == NULL) {
		if (p->client == NULL)
			evutil_closesocket(fd);
		fetch_pipe_free(p);
		return;
	}
	/* the client waits (its bytes stay in the socket) until the tunnel is up */
	bufferevent_setcb(p->proxy, fetch_pipe_answer_cb, NULL, fetch_pipe_connect_cb, p);
	bufferevent_set_timeouts(p->proxy, &answer, &answer);
	bufferevent_enable(p->proxy, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect_hostname(p->proxy, NULL, AF_UNSPEC, t->proxy_host,
	    t->proxy_port) != 0) {
		errbuf_set(&t->err, "proxy %s:%d: cannot connect", t->proxy_host, t->proxy_port);
		fetch_pipe_free(p);
	}
}

struct fetch_tunnel *
fetch_tunnel_new(struct event_base *base, const char *proxy_host, int proxy_port,
    const char *host, int port, struct errbuf *err)
{
	struct fetch_tunnel *t = xcalloc(1, sizeof(*t));
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);

	t->base = base;
	t->proxy_host = xstrdup(proxy_host);
	t->proxy_port = proxy_port;
	t->target = xasprintf("%s:%d", host, port);
	t->listener = evconnlistener_new_bind(base, fetch_tunnel_accept_cb, t,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16, (struct sockaddr *)&sin, sizeof(sin));
	if (t->listener == NULL ||
	    getsockname(evconnlistener_get_fd(t->listener), (struct sockaddr *)&sin, &len) != 0) {
		errbuf_set_errno(err, "%s: cannot open the local end of the proxy tunnel", t->target);
		fetch_tunnel_free(t);
		return NULL;
	}
	t->port = ntohs(sin.sin_port);
	return t;
}

void
fetch_tunnel_free(struct fetch_tunnel *t)
{
	if (t == NULL)
		return;
	while (t->pipes != NULL)
		fetch_pipe_free(t->pipes);
	if (t->listener != NULL)
		evconnlistener_free(t->listener);
	free(t->proxy_host);
	free(t->target);
	free(t);
}

const char *
fetch_tunnel_address(const struct fetch_tunnel *t)
{
	(void)t;
	return "127.0.0.1";
}

int
fetch_tunnel_port(const struct fetch_tunnel *t)
{
	return t->port;
}

int
fetch_tunnel_failure(struct fetch_tunnel *t, struct errbuf *err)
{
	if (t->err.msg[0] == '\0')
		return 0;
	errbuf_set(err, "%s", t->err.msg);
	t->err.msg[0] = '\0';
	return 1;
}
