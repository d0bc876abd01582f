/*
 * dav_write.c: PUT, DELETE, MKCOL, COPY and MOVE
 * (placeholder: 501 until the module lands).
 */
#include "config.h"

#include "dav_engine.h"
#include "dav_handler.h"

static void
dav_write_unimplemented(struct dav_call *c)
{
	dav_reply_error(c->req, 501, "is not implemented yet");
}

const struct dav_handler dav_handler_put = { "PUT", DAV_BODY_DISCARD, 0, NULL, dav_write_unimplemented, NULL };
const struct dav_handler dav_handler_delete = { "DELETE", DAV_BODY_DISCARD, 0, NULL, dav_write_unimplemented, NULL };
const struct dav_handler dav_handler_mkcol = { "MKCOL", DAV_BODY_DISCARD, 0, NULL, dav_write_unimplemented, NULL };
const struct dav_handler dav_handler_copy = { "COPY", DAV_BODY_DISCARD, 0, NULL, dav_write_unimplemented, NULL };
const struct dav_handler dav_handler_move = { "MOVE", DAV_BODY_DISCARD, 0, NULL, dav_write_unimplemented, NULL };
