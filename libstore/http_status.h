/*
 * http_status: the reason phrase of an HTTP status code, one table for
 * every engine (read_path, the WebDAV engine, WebDAV multistatus bodies).
 * Pure.
 */
#ifndef STORESRV_HTTP_STATUS_H
#define STORESRV_HTTP_STATUS_H

/* RFC 9110 section 15's phrase of status ("Not Found"), RFC 4918's for
 * the WebDAV ones (207, 423, 424, 507); NULL for a status not in the table:
 * the caller chooses its fallback. */
const char *http_status_reason(int status);

#endif
