/*
 * dav_read: a dav_request as a read_request, a read_response as the
 * engine's reply (dav_read.h).  The counterpart of server_handle() in
 * storesrv/server.c for the evhttp listener.
 */
#include "config.h"

#include <string.h>

#include "dav_engine.h"
#include "dav_read.h"
#include "file_cache.h"
#include "read_path.h"

static void
dav_read_release(void *arg)
{
	file_entry_unref(arg);
}

static const char *
dav_read_header(void *req, const char *name)
{
	return dav_request_header(req, name);
}

static void
dav_read_fill(struct dav_request *req, struct read_request *rr)
{
	const char *method = dav_request_method(req);

	memset(rr, 0, sizeof(*rr));
	rr->method = strcmp(method, "GET") == 0 ? READ_GET :
	    strcmp(method, "HEAD") == 0 ? READ_HEAD :
	    strcmp(method, "OPTIONS") == 0 ? READ_OPTIONS : READ_OTHER;
	rr->path = dav_request_path(req);
	read_request_headers(rr, dav_read_header, req);
}

/* Content-Length and Connection come from the engine: read_path's own are
 * skipped. */
static void
dav_read_send(struct dav_request *req, struct read_response *resp)
{
	dav_reply_status(req, resp->status, resp->reason);
	for (size_t i = 0; i < resp->nheaders; i++)
		if (strcmp(resp->headers[i].name, "Content-Length") != 0 &&
		    strcmp(resp->headers[i].name, "Connection") != 0)
			dav_reply_header(req, resp->headers[i].name, resp->headers[i].value);
	if (resp->close_connection)
		dav_reply_close(req);
	dav_reply_length(req, resp->content_length);
	if (dav_request_is_head(req) || resp->body == READ_BODY_NONE) {
		dav_reply_send(req);
		return;
	}
	if (resp->body == READ_BODY_MEMORY) {
		dav_reply_body(req, resp->data, resp->length);
	} else {
		file_entry_ref(resp->file);
		if (dav_reply_file(req, resp->file->fd, resp->offset, resp->length,
		    dav_read_release, resp->file) == -1) {
			file_entry_unref(resp->file);
			dav_reply_close(req);
			dav_reply_error(req, 500, "cannot queue the file");
			return;
		}
	}
	dav_reply_send(req);
}

void
dav_read_reply(struct read_path *rp, struct dav_request *req)
{
	struct read_request rr;
	struct read_response resp;

	dav_read_fill(req, &rr);
	read_path_handle(rp, &rr, &resp);
	dav_read_send(req, &resp);
	read_path_response_release(&resp);
}
