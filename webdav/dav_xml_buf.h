/*
 * dav_xml_buf: appending to a struct dav_xml_buf (dav_xml.h), shared by the
 * value serialiser (dav_xml.c) and the writer (dav_xml_write.c).  Internal
 * to dav_xml; the buffer grows by doubling and stays NUL-terminated.
 */
#ifndef STORESRV_DAV_XML_BUF_H
#define STORESRV_DAV_XML_BUF_H

#include <stddef.h>

#include "dav_xml.h"

void dav_xml_buf_add(struct dav_xml_buf *buf, const char *s, size_t n);
void dav_xml_buf_str(struct dav_xml_buf *buf, const char *s);
void dav_xml_buf_printf(struct dav_xml_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Text or attribute content, escaped; attr also escapes quotes and
 * whitespace that attribute normalisation would eat. */
void dav_xml_buf_escaped(struct dav_xml_buf *buf, const char *s, int attr);

#endif
