/*
 * status: the store's health and download statistics, as /status (an HTML
 * page without external resources), /status.json and /metrics (Prometheus
 * text format 0.0.4).
 *
 * status_collect() builds one JSON document (its members are listed in
 * docs: uptime, version, disk, builds per channel and kind, the last import
 * and mirror runs, validation problems, requests and bytes served per build
 * and file); the three renderings are made from it, so they always agree.
 * It reads the store root (statvfs(2), the indexes, the run records in
 * <root>/.status/, the incoming/ folders' "*.problems.txt") only when a
 * status request comes, never on the download path.
 *
 * Library code: nothing here prints or exits.  Returned memory is the
 * caller's (free(), json_decref()).
 */
#ifndef STORESRV_STATUS_H
#define STORESRV_STATUS_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "errbuf.h"
#include "status_counters.h"
#include "status_record.h"

#define STATUS_TOP_BUILDS	20	/* builds and files named in /metrics */
#define STATUS_TOP_LISTED	100	/* builds and files listed in JSON/HTML */

enum status_format { STATUS_HTML, STATUS_JSON, STATUS_PROMETHEUS };

struct status_source {
	int root_fd;
	const char *root;		/* the path, for the page */
	time_t started;
	struct status_counters *const *counters;	/* one per serving thread */
	size_t ncounters;
};

/* The format a request path asks for ("/status", "/status.json",
 * "/metrics"), or -1 when it is no status endpoint. */
int status_route(const char *path);

/* The status document; the caller json_decref()s it. */
json_t *status_collect(const struct status_source *src);

/* Renders doc in fmt into a malloc'd *body of *len bytes; *content_type is
 * static.  Returns 0, or -1 with err set. */
int status_render(json_t *doc, enum status_format fmt, char **body, size_t *len,
    const char **content_type, struct errbuf *err);

#endif
