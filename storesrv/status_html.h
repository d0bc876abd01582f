/*
 * status_html: the status document as a self-contained HTML page (inline
 * CSS, no script, no external resource), written to out.  Returns 0.
 */
#ifndef STORESRV_STATUS_HTML_H
#define STORESRV_STATUS_HTML_H

#include <stdio.h>

#include <jansson.h>

int status_render_html(json_t *doc, FILE *out);

#endif
