/*
 * status_html: the /status page; see status_html.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "status_html.h"

static const char status_html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<link rel=\"icon\" href=\"data:,\">\n"
    "<title>storesrv status</title>\n<style>\n"
    "body{font-family:system-ui,sans-serif;margin:1em;color:#222}\n"
    "table{border-collapse:collapse;margin:0 0 1.5em}\n"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".bad{color:#b00;font-weight:bold}.ok{color:#070}\n"
    "</style>\n</head>\n<body>\n<h1>storesrv status</h1>\n";

/* Text with &, <, >, " escaped. */
static void
status_html_text(FILE *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out); break;
		}
	}
}

/* A cell of any JSON scalar. */
static void
status_html_cell(FILE *out, json_t *v)
{
	if (json_is_integer(v)) {
		fprintf(out, "<td class=\"n\">%lld</td>", (long long)json_integer_value(v));
	} else if (json_is_string(v)) {
		fputs("<td>", out);
		status_html_text(out, json_string_value(v));
		fputs("</td>", out);
	} else if (json_is_boolean(v)) {
		fprintf(out, "<td class=\"%s\">%s</td>", json_is_true(v) ? "ok" : "bad",
		    json_is_true(v) ? "yes" : "no");
	} else {
		fputs("<td>-</td>", out);
	}
}

/* A two-column table of an object's scalar members. */
static void
status_html_pairs(FILE *out, const char *title, json_t *o)
{
	const char *key;
	json_t *v;

	fprintf(out, "<h2>%s</h2>\n", title);
	if (!json_is_object(o)) {
		fputs("<p>none recorded</p>\n", out);
		return;
	}
	fputs("<table>\n", out);
	json_object_foreach(o, key, v) {
		if (json_is_object(v) || json_is_array(v))
			continue;
		fputs("<tr><th>", out);
		status_html_text(out, key);
		fputs("</th>", out);
		status_html_cell(out, v);
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

/* A table of an array of objects, with the given columns. */
static void
status_html_rows(FILE *out, const char *title, json_t *list, const char *const *cols)
{
	size_t i;
	json_t *e;

	fprintf(out, "<h2>%s</h2>\n<table>\n<tr>", title);
	for (const char *const *c = cols; *c != NULL; c++)
		fprintf(out, "<th>%s</th>", *c);
	fputs("</tr>\n", out);
	json_array_foreach(list, i, e) {
		fputs("<tr>", out);
		for (const char *const *c = cols; *c != NULL; c++)
			status_html_cell(out, json_object_get(e, *c));
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void
status_html_channels(FILE *out, json_t *channels)
{
	size_t i;
	json_t *c, *k;
	const char *kind;

	fputs("<h2>Builds per channel</h2>\n<table>\n<tr><th>channel</th><th>kind</th>"
	    "<th>items</th><th>builds</th></tr>\n", out);
	json_array_foreach(channels, i, c) {
		json_object_foreach(json_object_get(c, "kinds"), kind, k) {
			fputs("<tr>", out);
			status_html_cell(out, json_object_get(c, "name"));
			fputs("<td>", out);
			status_html_text(out, kind);
			fputs("</td>", out);
			status_html_cell(out, json_object_get(k, "items"));
			status_html_cell(out, json_object_get(k, "builds"));
			fputs("</tr>\n", out);
		}
	}
	fputs("</table>\n", out);
}

int
status_render_html(json_t *doc, FILE *out)
{
	static const char *const build_cols[] = { "channel", "build", "requests", "bytes", NULL };
	static const char *const item_cols[] = { "channel", "item", "requests", "bytes", NULL };
	static const char *const file_cols[] = { "channel", "build", "file", "item", "requests",
	    "bytes", NULL };
	json_t *dl = json_object_get(doc, "downloads");

	fputs(status_html_head, out);
	status_html_pairs(out, "Server", doc);
	status_html_pairs(out, "Disk", json_object_get(doc, "disk"));
	status_html_pairs(out, "Requests", json_object_get(doc, "requests"));
	status_html_pairs(out, "Requests by status class",
	    json_object_get(json_object_get(doc, "requests"), "by_class"));
	status_html_channels(out, json_object_get(doc, "channels"));
	status_html_pairs(out, "Last import", json_object_get(doc, "last_import"));
	status_html_pairs(out, "Last mirror sync", json_object_get(doc, "last_mirror"));
	status_html_pairs(out, "Validation problems", json_object_get(doc, "validation"));
	status_html_rows(out, "Downloads per build", json_object_get(dl, "builds"), build_cols);
	status_html_rows(out, "Downloads per item", json_object_get(dl, "items"), item_cols);
	status_html_rows(out, "Downloads per file", json_object_get(dl, "files"), file_cols);
	fputs("<p>Also as <a href=\"/status.json\">JSON</a> and "
	    "<a href=\"/metrics\">Prometheus text</a>.</p>\n</body>\n</html>\n", out);
	return 0;
}
