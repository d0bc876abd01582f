/*
 * dav_propfind.h: what the two halves of PROPFIND share (internal to
 * dav_propfind.c, the handler and the listings, and dav_propfind_props.c,
 * the properties of one resource), and the stored form of a dead property
 * that PROPPATCH (dav_proppatch.c) writes.
 *
 * A struct pf_run is one answer being built: the parsed request, the
 * multistatus, the channel's dead properties.  pf_props_begin() prepares it
 * once the body is parsed, pf_describe() adds one resource's response,
 * pf_props_end() releases what begin took (not the multistatus or the
 * request, which the handler owns).
 */
#ifndef STORESRV_DAV_PROPFIND_H
#define STORESRV_DAV_PROPFIND_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "dav_handler.h"
#include "dav_xml.h"
#include "http_date.h"

#define PF_HREF_MAX		(URL_PATH_MAX + NAME_MAX + 4)
#define PF_ISO_DATE_LEN		24	/* "1997-12-01T17:42:21Z" and NUL */

struct dav_props;
struct pf_live;

/* What PROPFIND tells of a resource. */
struct pf_stat {
	mode_t mode;
	off_t size;
	struct timespec mtime;
	time_t created;
};

/* One resource to describe. */
struct pf_entry {
	const char *href;	/* decoded; a collection's ends in '/' */
	const char *name;	/* its last segment ("" for the root) */
	int incoming;		/* in incoming/ (lockable) */
	const char *rel;	/* below incoming/, for its dead properties; or NULL */
	struct pf_stat st;
};

/* One answer being built. */
struct pf_run {
	struct dav_call *c;
	struct dav_propfind q;
	int want_dead;		/* dead properties are read */
	struct dav_props *props;	/* incoming/'s, or NULL */
	int props_failed;	/* they could not be opened: 500 for asked ones */
	const struct pf_live **asked;	/* prop: the live property of each name, or NULL */
	struct dav_ms *ms;
	size_t members;
	int quota_known;	/* fstatvfs() answered: */
	uint64_t quota_available, quota_used;
	/* the last dates written: members of a folder often share them */
	time_t modified_at, created_at;
	char modified[HTTP_DATE_LEN], created[PF_ISO_DATE_LEN];
};

/* A dead property's stored value keeps its xml:lang (RFC 4918 4.3) in
 * front of the inner XML: "\0<lang>\0<xml>".  Inner XML never holds a
 * NUL byte (dav_xml refuses them), so a value without xml:lang is stored
 * as it is.  pf_value_store() returns a value to free and its length;
 * pf_value_load() gives the XML and the lang (NULL when none), pointing
 * into the value. */
char *pf_value_store(const char *xml, const char *lang, size_t *len);
const char *pf_value_load(const char *value, size_t len, const char **lang);

void pf_props_begin(struct pf_run *r);
void pf_describe(struct pf_run *r, const struct pf_entry *e);
void pf_props_end(struct pf_run *r);

#endif
