/*
 * home_page: the page served at "/" (and "/index.htm"): a small
 * self-contained HTML page (no script, no external resource) that lists the
 * channels of a store and the URLs to give the innovaphone applications.
 *
 * The channels are the folders of the root that the read path serves
 * (read_path_channel_served(): a valid name, download/ reached without a
 * symlink): the first HOME_PAGE_MAX_CHANNELS found, in name order; the page
 * says when more exist.  Each gets a link to its download.htm (when
 * `page_links`), the URL for the Devices app and a cascading store
 * (<base>/<channel>/download), for the AP Manager (.../download/apps.json)
 * and for the myApps launcher (.../download/).  <base> is
 * "http://<host>" when `host` (the request's Host header) looks like a host
 * name or address with an optional port, else the URLs are shown as paths.
 * Everything that comes from the disk or the request is HTML-escaped.
 */
#ifndef STORESRV_HOME_PAGE_H
#define STORESRV_HOME_PAGE_H

#include <stddef.h>

#define HOME_PAGE_MAX_CHANNELS	256
#define HOME_PAGE_HOST_MAX	255

/* Renders the page into *page (NUL-terminated, *len bytes; the caller frees
 * it).  Returns 0, or -1 with errno set when the root cannot be listed. */
int home_page_render(int root_fd, const char *host, int page_links, char **page, size_t *len);

/* s HTML-escaped (& < > " ' become entities), newly allocated; the caller
 * frees it. */
char *home_page_escape(const char *s);

/* Is host (a Host header) a host name, IPv4 or [IPv6] address with an
 * optional :port, at most HOME_PAGE_HOST_MAX bytes?  Only such a host is used
 * to build absolute URLs. */
int home_page_host_valid(const char *host);

#endif
