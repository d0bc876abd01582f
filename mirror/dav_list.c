/*
 * dav_list: the listing of a WebDAV collection (dav_list.h).  dav_list()
 * sends a PROPFIND (Depth 1) through dav_client.h and parses the 207
 * multistatus body with libxml2 (a DOM, no network, no entities); each
 * <D:response> that names a direct member of the collection becomes one
 * struct dav_entry, and the entries are sorted by name for
 * dav_listing_find().
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dav_client.h"
#include "dav_list.h"
#include "url_path.h"
#include "xmalloc.h"

/* The properties push compares a local file with. */
static const char dav_propfind_body[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:resourcetype/><D:getcontentlength/>"
    "<D:getetag/><D:getlastmodified/></D:prop></D:propfind>\n";

/* Whether node is the element DAV:<name>. */
static int
dav_xml_is(const xmlNode *node, const char *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE && node->ns != NULL &&
	    node->ns->href != NULL && strcmp((const char *)node->ns->href, "DAV:") == 0 &&
	    strcmp((const char *)node->name, name) == 0;
}

static const xmlNode *
dav_xml_child(const xmlNode *node, const char *name)
{
	for (const xmlNode *n = node->children; n != NULL; n = n->next)
		if (dav_xml_is(n, name))
			return n;
	return NULL;
}

/* The text of node, trimmed; the caller frees it (NULL when empty). */
static char *
dav_xml_text(const xmlNode *node)
{
	xmlChar *t = xmlNodeGetContent(node);
	const char *s = (const char *)t;
	size_t n;
	char *out = NULL;

	if (t == NULL)
		return NULL;
	s += strspn(s, " \t\r\n");
	n = strlen(s);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		n--;
	if (n > 0)
		out = xstrndup(s, n);
	xmlFree(t);
	return out;
}

/* The canonical form of an href's path (url_path.h), without a final '/';
 * -1 when it is not a safe path. */
static int
dav_href_canonical(const char *href, char *out, size_t outsz)
{
	char path[URL_PATH_MAX + 2];
	size_t n;

	if (strncasecmp(href, "http://", 7) == 0 || strncasecmp(href, "https://", 8) == 0) {
		href = strchr(strchr(href, ':') + 3, '/');
		if (href == NULL)
			href = "/";
	}
	if (href[0] != '/' || strlen(href) > URL_PATH_MAX)
		return -1;
	snprintf(path, sizeof(path), "%s", href);
	if (url_path_canonicalize(path, out, outsz) != URL_PATH_OK)
		return -1;
	n = strlen(out);
	if (n > 0 && out[n - 1] == '/')
		out[n - 1] = '\0';
	return 0;
}

static void
dav_entry_props(struct dav_entry *e, const xmlNode *response)
{
	for (const xmlNode *ps = response->children; ps != NULL; ps = ps->next) {
		const xmlNode *prop = dav_xml_is(ps, "propstat") ? dav_xml_child(ps, "prop") : NULL;
		const xmlNode *st = prop != NULL ? dav_xml_child(ps, "status") : NULL;
		char *status = st != NULL ? dav_xml_text(st) : NULL;
		const xmlNode *n;
		char *len;

		if (status == NULL || strstr(status, " 200") == NULL) {
			free(status);
			continue;
		}
		free(status);
		if ((n = dav_xml_child(prop, "resourcetype")) != NULL)
			e->is_collection = dav_xml_child(n, "collection") != NULL;
		if ((n = dav_xml_child(prop, "getcontentlength")) != NULL &&
		    (len = dav_xml_text(n)) != NULL) {
			if (strlen(len) <= 18 && strspn(len, "0123456789") == strlen(len))
				e->size = (int64_t)strtoll(len, NULL, 10);
			free(len);
		}
		if ((n = dav_xml_child(prop, "getetag")) != NULL && e->etag == NULL)
			e->etag = dav_xml_text(n);
		if ((n = dav_xml_child(prop, "getlastmodified")) != NULL && e->last_modified == NULL)
			e->last_modified = dav_xml_text(n);
	}
}

/* One <D:response>: appended to l when it names a direct member of the
 * collection whose canonical path is `self`. */
static void
dav_listing_add(struct dav_listing *l, size_t *alloc, const xmlNode *response, const char *self)
{
	const xmlNode *h = dav_xml_child(response, "href");
	char *href = h != NULL ? dav_xml_text(h) : NULL;
	char canon[URL_PATH_MAX + 1];
	const char *name;
	size_t slen = strlen(self);
	struct dav_entry *e;

	if (href == NULL || dav_href_canonical(href, canon, sizeof(canon)) < 0)
		goto out;
	if (slen > 0 && (strncmp(canon, self, slen) != 0 || canon[slen] != '/'))
		goto out;
	name = canon + slen + (slen > 0);
	if (name[0] == '\0' || strchr(name, '/') != NULL)
		goto out;
	if (l->count == *alloc) {
		*alloc = *alloc > 0 ? *alloc * 2 : 64;
		l->entries = xreallocarray(l->entries, *alloc, sizeof(*l->entries));
	}
	e = &l->entries[l->count++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	e->size = -1;
	dav_entry_props(e, response);
out:
	free(href);
}

static int
dav_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dav_entry *)a)->name, ((const struct dav_entry *)b)->name);
}

static void
dav_entry_clear(struct dav_entry *e)
{
	free(e->name);
	free(e->etag);
	free(e->last_modified);
}

/* Sorts by name and keeps the first of each name. */
static void
dav_listing_sort(struct dav_listing *l)
{
	size_t kept = 0;

	if (l->count == 0)
		return;
	qsort(l->entries, l->count, sizeof(*l->entries), dav_entry_cmp);
	for (size_t i = 1; i < l->count; i++) {
		if (strcmp(l->entries[i].name, l->entries[kept].name) == 0)
			dav_entry_clear(&l->entries[i]);
		else
			l->entries[++kept] = l->entries[i];
	}
	l->count = kept + 1;
}

/* Parses a multistatus body into l; `url` names it in errors. */
static int
dav_listing_parse(struct dav_listing *l, const char *body, size_t len, const char *url,
    const char *self, struct errbuf *err)
{
	xmlDoc *doc = NULL;
	const xmlNode *root;
	size_t alloc = 0;
	int rc = -1;

	if (memmem(body, len, "<!DOCTYPE", 9) != NULL || memmem(body, len, "<!ENTITY", 8) != NULL) {
		errbuf_set(err, "%s: PROPFIND: the response holds a DOCTYPE, refused", url);
		goto out;
	}
	doc = xmlReadMemory(body, (int)len, url, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	if (root == NULL || doc->intSubset != NULL || !dav_xml_is(root, "multistatus")) {
		errbuf_set(err, "%s: PROPFIND: the response is not a DAV:multistatus document", url);
		goto out;
	}
	for (const xmlNode *n = root->children; n != NULL; n = n->next) {
		if (!dav_xml_is(n, "response"))
			continue;
		if (l->count >= DAV_LIST_MAX_ENTRIES) {
			errbuf_set(err, "%s: PROPFIND: more than %d members", url,
			    DAV_LIST_MAX_ENTRIES);
			goto out;
		}
		dav_listing_add(l, &alloc, n, self);
	}
	dav_listing_sort(l);
	rc = 0;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	return rc;
}

int
dav_list(struct dav_client *c, const char *path, struct dav_listing *out, int *status,
    struct errbuf *err)
{
	struct dav_request req;
	struct dav_response res;
	char self[URL_PATH_MAX + 1];
	char *dir = xasprintf("%s/", path), *url = dav_client_url(c, dir);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&res, 0, sizeof(res));
	*status = 0;
	memset(&req, 0, sizeof(req));
	req.method = "PROPFIND";
	req.path = dir;
	req.headers = "Depth: 1\r\nContent-Type: application/xml; charset=utf-8\r\n";
	req.body = dav_propfind_body;
	req.body_len = sizeof(dav_propfind_body) - 1;
	req.body_fd = -1;
	req.keep_body = 1;
	req.max_body = DAV_LIST_MAX_BODY;
	if (dav_href_canonical(dir, self, sizeof(self)) < 0) {
		errbuf_set(err, "%s: not a safe collection path", url);
		goto out;
	}
	if (dav_client_request(c, &req, &res, err) < 0)
		goto out;
	*status = res.status;
	if (res.status == 404)
		rc = 1;
	else if (res.status != 207)
		errbuf_set(err, "%s: PROPFIND: %d %s", url, res.status, res.reason);
	else
		rc = dav_listing_parse(out, res.body, res.body_len, url, self, err);
out:
	dav_response_clear(&res);
	free(dir);
	free(url);
	return rc;
}

void
dav_listing_free(struct dav_listing *l)
{
	for (size_t i = 0; i < l->count; i++)
		dav_entry_clear(&l->entries[i]);
	free(l->entries);
	memset(l, 0, sizeof(*l));
}

const struct dav_entry *
dav_listing_find(const struct dav_listing *l, const char *name)
{
	struct dav_entry key = { .name = (char *)name };

	if (l->count == 0)
		return NULL;
	return bsearch(&key, l->entries, l->count, sizeof(*l->entries), dav_entry_cmp);
}
