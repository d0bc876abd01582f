/*
 * dav_incoming: the watcher of incoming/ (dav_incoming.h)
 * (placeholder: imports nothing until the module lands).
 */
#include "config.h"

#include <stdlib.h>

#include "dav_incoming.h"
#include "xmalloc.h"

struct dav_incoming {
	int unused;
};

struct dav_incoming *
dav_incoming_start(const struct dav_incoming_config *cfg, struct errbuf *err)
{
	(void)cfg;
	(void)err;
	return xcalloc(1, sizeof(struct dav_incoming));
}

void
dav_incoming_stop(struct dav_incoming *inc)
{
	free(inc);
}

void
dav_incoming_touch(struct dav_incoming *inc, const char *channel, const char *rel)
{
	(void)inc;
	(void)channel;
	(void)rel;
}

void
dav_incoming_hold(struct dav_incoming *inc, const char *channel, const char *rel)
{
	(void)inc;
	(void)channel;
	(void)rel;
}

void
dav_incoming_release(struct dav_incoming *inc, const char *channel, const char *rel)
{
	(void)inc;
	(void)channel;
	(void)rel;
}
