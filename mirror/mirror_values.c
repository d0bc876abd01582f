/*
 * mirror_values: the checks of storemirror's setting values
 * (mirror_values.h).  Each checker refuses a bad value with one sentence
 * that starts with `where`; the list checkers split the comma-separated
 * value with list_each() and check each element, and a few checkers also
 * fill the derived fields of struct mirror_settings.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/http.h>

#include "descriptor.h"
#include "index_parse.h"
#include "mirror_plan.h"
#include "mirror_settings.h"
#include "mirror_values.h"
#include "store_layout.h"
#include "xmalloc.h"

/* Calls fn for each element of a comma-separated list; stops at the first
 * -1.  An empty element is refused: "a,,b", ",a", "a,". */
static int
list_each(const char *list, const char *what, const char *where,
    int (*fn)(const char *elem, void *arg, const char *where, struct errbuf *err), void *arg,
    struct errbuf *err)
{
	char *copy = xstrdup(list), *elem = copy, *next;
	int rc = 0;

	for (; rc == 0 && elem != NULL; elem = next) {
		if ((next = strchr(elem, ',')) != NULL)
			*next++ = '\0';
		if (*elem == '\0')
			rc = errbuf_set(err, "%s: an empty %s in '%s'", where, what, list);
		else
			rc = fn(elem, arg, where, err);
	}
	free(copy);
	return rc;
}

struct channel_list {
	char **names;
	size_t n;
};

static void
channel_list_clear(struct channel_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = 0;
}

static void
mirror_channel_list_free(struct mirror_settings *s)
{
	struct channel_list l = { s->channel_list, s->nchannels };

	channel_list_clear(&l);
	s->channel_list = NULL;
	s->nchannels = 0;
}

static int
channel_add(const char *name, void *arg, const char *where, struct errbuf *err)
{
	struct channel_list *l = arg;

	if (!store_channel_name_valid(name))
		return errbuf_set(err, "%s: '%s' is not a channel name (1-%d of A-Z a-z 0-9 . _ -, "
		    "not starting with . or -)", where, name, STORE_CHANNEL_NAME_MAX);
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return errbuf_set(err, "%s: channel '%s' given twice", where, name);
	if (l->n == MIRROR_CHANNELS_MAX)
		return errbuf_set(err, "%s: more than %d channels", where, MIRROR_CHANNELS_MAX);
	l->names = xreallocarray(l->names, l->n + 1, sizeof(*l->names));
	l->names[l->n++] = xstrdup(name);
	return 0;
}

int
mirror_values_check_channels(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	struct channel_list l = { NULL, 0 };

	if (list_each(value, "channel", where, channel_add, &l, err) == -1) {
		channel_list_clear(&l);
		return -1;
	}
	mirror_channel_list_free(s);
	s->channel_list = l.names;
	s->nchannels = l.n;
	return 0;
}

static int
kind_add(const char *name, void *arg, const char *where, struct errbuf *err)
{
	static const enum index_kind index_of_item[ITEM_KIND_COUNT] = {
		[ITEM_APP] = INDEX_APPS,
		[ITEM_FIRMWARE] = INDEX_FIRMWARE,
		[ITEM_SOFTWARE] = INDEX_SOFTWARE,
		[ITEM_PLATFORM] = INDEX_LINUX,
		[ITEM_PHONEPLATFORM] = INDEX_PHONEPLATFORM,
	};
	unsigned *mask = arg;
	int kind = descriptor_kind_from_name(name);

	if (kind < 0 || kind >= ITEM_KIND_COUNT)
		return errbuf_set(err, "%s: unknown kind '%s' (app, firmware, software, app-platform, "
		    "phone-platform)", where, name);
	*mask |= MIRROR_KIND_BIT(index_of_item[kind]);
	return 0;
}

int
mirror_values_check_kinds(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	unsigned mask = 0;

	if (list_each(value, "kind", where, kind_add, &mask, err) == -1)
		return -1;
	s->kind_mask = mask;
	return 0;
}

static int
arch_known(const char *name, void *arg, const char *where, struct errbuf *err)
{
	for (size_t i = 0; i < store_app_archs_count; i++)
		if (strcmp(name, store_app_archs[i]) == 0)
			return 0;
	return errbuf_set(err, "%s: unknown architecture '%s' (arm, arm64, x86_64)", where, name);
}

int
mirror_values_check_archs(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	return list_each(value, "architecture", where, arch_known, NULL, err);
}

/* A glob of item ids: lower case like the ids, or of devices: printable,
 * no '/' or space. */
static int
glob_valid(const char *pat, void *arg, const char *where, struct errbuf *err)
{
	int lower_only = *(const int *)arg;

	if (strlen(pat) > MIRROR_GLOB_MAX)
		return errbuf_set(err, "%s: a pattern longer than %d bytes", where, MIRROR_GLOB_MAX);
	for (const unsigned char *p = (const unsigned char *)pat; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '/')
			return errbuf_set(err, "%s: pattern '%s': a space, '/' or control character",
			    where, pat);
		if (lower_only && *p >= 'A' && *p <= 'Z')
			return errbuf_set(err, "%s: pattern '%s': item ids are lower case", where, pat);
	}
	return 0;
}

int
mirror_values_check_id_globs(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	int lower_only = 1;

	return list_each(value, "pattern", where, glob_valid, &lower_only, err);
}

int
mirror_values_check_device_globs(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	int lower_only = 0;

	return list_each(value, "pattern", where, glob_valid, &lower_only, err);
}

int
mirror_values_check_release(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	if (!store_release_id_valid(value))
		return errbuf_set(err, "%s: '%s' is not a release id (14r1)", where, value);
	return 0;
}

/* A file the command reads: checked only when the setting applies to the
 * command run (a config file may name a key on a stick not plugged in). */
int
mirror_values_check_input_file(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	struct stat st;

	if (!applies)
		return 0;
	if (stat(value, &st) == -1 || access(value, R_OK) == -1)
		return errbuf_set_errno(err, "%s: %s", where, value);
	if (!S_ISREG(st.st_mode))
		return errbuf_set(err, "%s: %s: not a regular file", where, value);
	return 0;
}

/* The state file of an earlier export (--since): as an input file, but a
 * file that does not exist yet is a first export (the same path is usually
 * --state-out too, as with tar's --listed-incremental). */
int
mirror_values_check_state_file(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	struct stat st;

	if (applies && stat(value, &st) == -1 && errno == ENOENT)
		return 0;
	return mirror_values_check_input_file(s, value, applies, where, err);
}

/* An http URL, or https too when `https_ok`: a host, a port 1-65535 if
 * any, no user info, query or fragment; `path_ok` 0 also refuses a path. */
static int
url_check(const char *value, int https_ok, int path_ok, const char *where, struct errbuf *err)
{
	struct evhttp_uri *uri = evhttp_uri_parse(value);
	const char *scheme, *host, *path;
	int rc = -1;

	if (uri == NULL) {
		errbuf_set(err, "%s: '%s' is not a URL", where, value);
		goto done;
	}
	scheme = evhttp_uri_get_scheme(uri);
	host = evhttp_uri_get_host(uri);
	path = evhttp_uri_get_path(uri);
	if (scheme == NULL || (strcmp(scheme, "http") != 0 &&
	    (!https_ok || strcmp(scheme, "https") != 0)))
		errbuf_set(err, "%s: '%s': expected %s", where, value,
		    https_ok ? "an http:// or https:// URL" : "an http:// URL");
	else if (host == NULL || *host == '\0')
		errbuf_set(err, "%s: '%s': no host", where, value);
	else if (evhttp_uri_get_port(uri) == 0)
		errbuf_set(err, "%s: '%s': port 0", where, value);
	else if (evhttp_uri_get_userinfo(uri) != NULL)
		errbuf_set(err, "%s: '%s': user info in the URL (give the user with its own "
		    "setting)", where, value);
	else if (evhttp_uri_get_query(uri) != NULL || evhttp_uri_get_fragment(uri) != NULL)
		errbuf_set(err, "%s: '%s': a query or fragment", where, value);
	else if (!path_ok && path != NULL && *path != '\0' && strcmp(path, "/") != 0)
		errbuf_set(err, "%s: '%s': a path (expected http://host:port)", where, value);
	else
		rc = 0;
done:
	if (uri != NULL)
		evhttp_uri_free(uri);
	return rc;
}

/* The last segment of a path or URL, and the one before it, ignoring
 * trailing slashes: ".../beta/download/" -> "download", "beta". */
void
mirror_values_path_tail(const char *path, char *last, char *before, size_t size)
{
	const char *end = path + strlen(path), *seg;
	char *outs[2] = { last, before };

	last[0] = before[0] = '\0';
	for (int i = 0; i < 2; i++) {
		while (end > path && end[-1] == '/')
			end--;
		seg = end;
		while (seg > path && seg[-1] != '/')
			seg--;
		if ((size_t)(end - seg) < size) {
			memcpy(outs[i], seg, (size_t)(end - seg));
			outs[i][end - seg] = '\0';
		}
		end = seg;
	}
}

/* Sets upstream_is_channel and upstream_channel from the path. */
static void
upstream_derive(struct mirror_settings *s, const char *path)
{
	char last[STORE_CHANNEL_NAME_MAX + 2], before[STORE_CHANNEL_NAME_MAX + 2];

	free(s->upstream_channel);
	s->upstream_channel = NULL;
	mirror_values_path_tail(path, last, before, sizeof(last));
	s->upstream_is_channel = strcmp(last, STORE_DOWNLOAD_DIR) == 0;
	if (s->upstream_is_channel && store_channel_name_valid(before))
		s->upstream_channel = xstrdup(before);
}

int
mirror_values_check_upstream(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	struct evhttp_uri *uri;
	struct stat st;

	if (strstr(value, "://") == NULL) {
		if (applies && stat(value, &st) == -1)
			return errbuf_set_errno(err, "%s: %s", where, value);
		if (applies && !S_ISDIR(st.st_mode))
			return errbuf_set(err, "%s: %s: not a folder", where, value);
		s->upstream_local = 1;
		upstream_derive(s, value);
		return 0;
	}
	if (url_check(value, 1, 1, where, err) == -1)
		return -1;
	s->upstream_local = 0;
	uri = evhttp_uri_parse(value);
	upstream_derive(s, evhttp_uri_get_path(uri) ? evhttp_uri_get_path(uri) : "");
	evhttp_uri_free(uri);
	return 0;
}

int
mirror_values_check_proxy(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	return url_check(value, 0, 0, where, err);
}

int
mirror_values_check_dav_url(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	return url_check(value, 1, 1, where, err);
}

/* A Basic authentication user: no ':' (RFC 7617 section 2), no control. */
int
mirror_values_check_user(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err)
{
	if (strlen(value) > MIRROR_USER_MAX)
		return errbuf_set(err, "%s: longer than %d bytes", where, MIRROR_USER_MAX);
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p < ' ' || *p == 0x7f || *p == ':')
			return errbuf_set(err, "%s: a ':' or control character in the user name",
			    where);
	return 0;
}

void
mirror_values_free(struct mirror_settings *s)
{
	mirror_channel_list_free(s);
	free(s->upstream_channel);
	s->upstream_channel = NULL;
}
