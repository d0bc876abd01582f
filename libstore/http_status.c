/*
 * http_status: reason phrases; see http_status.h.
 */
#include "config.h"

#include <stddef.h>

#include "http_status.h"

static const struct {
	int status;
	const char *reason;
} http_reasons[] = {
	{ 100, "Continue" },
	{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" }, { 206, "Partial Content" },
	{ 207, "Multi-Status" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 408, "Request Timeout" },
	{ 409, "Conflict" }, { 411, "Length Required" }, { 412, "Precondition Failed" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" }, { 416, "Range Not Satisfiable" },
	{ 422, "Unprocessable Content" }, { 423, "Locked" }, { 424, "Failed Dependency" },
	{ 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 505, "HTTP Version Not Supported" },
	{ 507, "Insufficient Storage" },
};

const char *
http_status_reason(int status)
{
	for (size_t i = 0; i < sizeof(http_reasons) / sizeof(http_reasons[0]); i++)
		if (http_reasons[i].status == status)
			return http_reasons[i].reason;
	return NULL;
}
