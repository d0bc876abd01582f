/*
 * dav_locking.c: LOCK, UNLOCK and the If header
 * (placeholder: 501 until the module lands).
 */
#include "config.h"

#include "dav_engine.h"
#include "dav_handler.h"

static void
dav_locking_unimplemented(struct dav_call *c)
{
	dav_reply_error(c->req, 501, "is not implemented yet");
}

const struct dav_handler dav_handler_lock = { "LOCK", DAV_BODY_DISCARD, 0, NULL, dav_locking_unimplemented, NULL };
const struct dav_handler dav_handler_unlock = { "UNLOCK", DAV_BODY_DISCARD, 0, NULL, dav_locking_unimplemented, NULL };

int
dav_check_write(struct dav_call *c, const struct dav_target *t, int tree)
{
	(void)c;
	(void)t;
	(void)tree;
	return 0;
}

void
dav_lock_discovery(struct dav_ctx *ctx, const char *path, time_t now, struct dav_xml_buf *out)
{
	(void)ctx;
	(void)path;
	(void)now;
	(void)out;
}
