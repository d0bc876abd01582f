/*
 * dav_propfind.c: PROPFIND and PROPPATCH
 * (placeholder: 501 until the module lands).
 */
#include "config.h"

#include "dav_engine.h"
#include "dav_handler.h"

static void
dav_propfind_unimplemented(struct dav_call *c)
{
	dav_reply_error(c->req, 501, "is not implemented yet");
}

const struct dav_handler dav_handler_propfind = { "PROPFIND", DAV_BODY_DISCARD, 0, NULL, dav_propfind_unimplemented, NULL };
const struct dav_handler dav_handler_proppatch = { "PROPPATCH", DAV_BODY_DISCARD, 0, NULL, dav_propfind_unimplemented, NULL };
