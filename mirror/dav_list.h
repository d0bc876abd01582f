/*
 * dav_list: the members of a WebDAV collection, for storemirror push.
 * dav_list() sends PROPFIND with Depth 1 over a dav_client.h connection,
 * asking for resourcetype, getcontentlength, getetag and getlastmodified,
 * and parses the 207 Multi-Status answer into a struct dav_listing sorted by
 * name; dav_listing_find() looks a member up by name.
 *
 * The XML comes from the share and is untrusted.  It is parsed with libxml2
 * into a tree, without network access (XML_PARSE_NONET), without entity
 * substitution and without libxml2's XML_PARSE_HUGE (its own depth and text
 * limits stay on); a body holding a DOCTYPE or an entity declaration is
 * refused before it reaches the parser, and so is a document with an
 * internal subset or whose root is not DAV:multistatus.  Only elements in
 * the "DAV:" namespace are looked at.
 *
 * Limits: a body over DAV_LIST_MAX_BODY bytes (the client stops reading it)
 * and over DAV_LIST_MAX_ENTRIES <D:response> elements are refused.  A
 * member's name is the last segment of its href (an absolute URL or path),
 * percent-decoded and checked by url_path_canonicalize(); hrefs that are not
 * direct members of the collection (the collection itself included), or
 * whose names are hidden or unsafe, are left out.  Only the properties of a
 * propstat with status 200 are used; a getcontentlength that is not 1-18
 * digits counts as not given.  When a name is listed twice the first one
 * is kept.
 *
 * Library code: never prints; 0/-1 with errbuf naming the URL and the
 * status or the fault in the body.  Not thread safe (dav_client.h).
 */
#ifndef STORESRV_MIRROR_DAV_LIST_H
#define STORESRV_MIRROR_DAV_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

#define DAV_LIST_MAX_BODY	(16u << 20)
#define DAV_LIST_MAX_ENTRIES	100000

struct dav_client;

struct dav_entry {
	char *name;		/* decoded, one segment */
	int is_collection;
	int64_t size;		/* getcontentlength; -1 when not given */
	char *etag;		/* getetag, NULL when not given */
	char *last_modified;	/* getlastmodified as sent, NULL when not given */
};

/* Owns its entries and their strings. */
struct dav_listing {
	struct dav_entry *entries;	/* sorted by name, no duplicates */
	size_t count;
};

/* Lists the collection at path (encoded, no final '/').  Returns 0 with
 * *out filled, 1 when the collection does not exist (404), -1 (err names
 * the URL and the status or the fault in the body) otherwise; *status gets
 * the response's status (0: none).  Free *out with dav_listing_free() in
 * every case. */
int dav_list(struct dav_client *c, const char *path, struct dav_listing *out, int *status,
    struct errbuf *err);
void dav_listing_free(struct dav_listing *l);
/* The member called name, or NULL; it belongs to l. */
const struct dav_entry *dav_listing_find(const struct dav_listing *l, const char *name);

#endif
