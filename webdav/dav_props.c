/*
 * dav_props: WebDAV dead properties in a mirror of the resource tree, one
 * atomically replaced JSON file per resource (see dav_props.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "atomic_file.h"
#include "copy_hash.h"
#include "dav_props.h"
#include "fs_open.h"
#include "url_path.h"
#include "utf8.h"
#include "xmalloc.h"

#define PROPS_FORMAT	"storesrv-dav-props"
#define PROPS_VERSION	1

struct dav_props {
	char *dir;		/* the state folder, for messages */
	int fd;
	struct dav_props_limits lim;
	size_t max_file;	/* bytes of a props file read back */
};

/* ---- paths ------------------------------------------------------------ */

/* Sets err to "\"<path>\": <why>", the path shown as printable UTF-8. */
static int
props_path_refuse(struct errbuf *err, const char *path, size_t len, const char *why)
{
	char *raw = xstrndup(path, len), *shown = utf8_escape(raw);

	errbuf_set(err, "\"%.300s\": %s", shown, why);
	free(shown);
	free(raw);
	return -1;
}

/* Checks a canonical resource path (url_path.h without the leading '/';
 * one trailing '/' allowed) and gives its length without that '/'. */
static int
props_path_check(const char *path, size_t *lenp, struct errbuf *err)
{
	size_t len = strlen(path), seg = 0, segs = 0;

	if (len > 0 && path[len - 1] == '/')
		len--;
	if (len > URL_PATH_MAX)
		return props_path_refuse(err, path, 64, "resource path too long");
	for (size_t i = 0; i <= len; i++) {
		if (i < len && path[i] != '/') {
			seg++;
			continue;
		}
		if (len == 0)
			break;
		if (seg == 0 || path[i - seg] == '.' || seg > NAME_MAX)
			return props_path_refuse(err, path, len, "not a canonical resource path");
		if (++segs > URL_PATH_MAX_SEGMENTS)
			return props_path_refuse(err, path, len, "too many segments");
		seg = 0;
	}
	*lenp = len;
	return 0;
}

/* The length of the parent of path[0..len) ("" for a top-level name). */
static size_t
props_parent_len(const char *path, size_t len)
{
	while (len > 0 && path[len - 1] != '/')
		len--;
	return len > 0 ? len - 1 : 0;
}

/* The last segment of path[0..len) into seg (NAME_MAX + 1 bytes). */
static void
props_last_segment(const char *path, size_t len, char *seg)
{
	size_t plen = props_parent_len(path, len), start = plen > 0 ? plen + 1 : 0;

	memcpy(seg, path + start, len - start);
	seg[len - start] = '\0';
}

/* "<state>/<path>" or "<state>/<path>/<file>" for messages; freed by the caller. */
static char *
props_label(const struct dav_props *dp, const char *path, size_t len, const char *file)
{
	return xasprintf("%s%s%.*s%s%s", dp->dir, len > 0 ? "/" : "", (int)len, path,
	    file != NULL ? "/" : "", file != NULL ? file : "");
}

/* Prefixes err with "<state>/<path>[/<file>]"; returns -1. */
static int
props_err_prefix(const struct dav_props *dp, struct errbuf *err, const char *path, size_t len,
    const char *file)
{
	char *label = props_label(dp, path, len, file);

	errbuf_prefix(err, "%s", label);
	free(label);
	return -1;
}

/* Opens (making it and its parents, each fsync'd into its parent) the
 * mirror folder of path[0..len).  Returns a descriptor or -1 with err set. */
static int
props_dir_ensure(struct dav_props *dp, const char *path, size_t len, struct errbuf *err)
{
	char seg[NAME_MAX + 1];
	size_t i = 0, j;
	int fd, next;

	if ((fd = fs_open_dir_nofollow(dp->fd, "", 0)) == -1)
		return errbuf_set_errno(err, "%s", dp->dir);
	while (i < len) {
		for (j = i; j < len && path[j] != '/'; j++)
			;
		memcpy(seg, path + i, j - i);
		seg[j - i] = '\0';
		next = fs_open_subdir(fd, seg, FS_SUBDIR_OPEN, NULL);
		if (next == -1 && errno == ENOENT) {
			next = fs_open_subdir(fd, seg, FS_SUBDIR_CREATE, NULL);
			if (next != -1 && fsync(fd) == -1) {
				close(next);
				next = -1;
			}
		}
		close(fd);
		if (next == -1) {
			errbuf_set_errno(err, "open");
			return props_err_prefix(dp, err, path, j, NULL);
		}
		fd = next;
		i = j + 1;
	}
	return fd;
}

/* Removes the mirror folder of path[0..len) and then its ancestors while
 * they are empty.  Best effort: an empty folder left behind is harmless. */
static void
props_prune(struct dav_props *dp, const char *path, size_t len)
{
	char seg[NAME_MAX + 1];
	size_t plen;
	int pfd, r;

	while (len > 0) {
		plen = props_parent_len(path, len);
		props_last_segment(path, len, seg);
		if ((pfd = fs_open_dir_nofollow(dp->fd, path, plen)) == -1)
			return;
		if ((r = unlinkat(pfd, seg, AT_REMOVEDIR)) == 0)
			(void)fsync(pfd);
		close(pfd);
		if (r == -1)
			return;
		len = plen;
	}
}

/* ---- the props list ----------------------------------------------------- */

void
dav_proplist_free(struct dav_proplist *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->props[i].ns);
		free(list->props[i].name);
		free(list->props[i].value);
	}
	free(list->props);
	list->props = NULL;
	list->count = 0;
}

static ssize_t
proplist_find(const struct dav_proplist *list, const char *ns, const char *name)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->props[i].ns, ns) == 0 && strcmp(list->props[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static size_t
proplist_bytes(const struct dav_proplist *list)
{
	size_t total = 0;

	for (size_t i = 0; i < list->count; i++)
		total += strlen(list->props[i].ns) + strlen(list->props[i].name) +
		    list->props[i].len;
	return total;
}

/* Sets (replacing in place, or appending) one property; copies everything. */
static void
proplist_set(struct dav_proplist *list, const char *ns, const char *name, const void *value,
    size_t len)
{
	ssize_t at = proplist_find(list, ns, name);
	struct dav_prop *p;

	if (at == -1) {
		list->props = xreallocarray(list->props, list->count + 1, sizeof(*list->props));
		p = &list->props[list->count++];
		p->ns = xstrdup(ns);
		p->name = xstrdup(name);
	} else {
		p = &list->props[at];
		free(p->value);
	}
	p->value = xmalloc(len + 1);
	memcpy(p->value, value, len);
	p->value[len] = '\0';
	p->len = len;
}

static void
proplist_remove(struct dav_proplist *list, const char *ns, const char *name)
{
	ssize_t at = proplist_find(list, ns, name);
	struct dav_prop *p;

	if (at == -1)
		return;
	p = &list->props[at];
	free(p->ns);
	free(p->name);
	free(p->value);
	memmove(p, p + 1, (list->count - (size_t)at - 1) * sizeof(*p));
	list->count--;
}

/* ---- the file format ---------------------------------------------------- */

static json_t *
props_value_json(const struct dav_prop *p, const char **key)
{
	json_t *s = NULL;
	char *b64;

	*key = "value";
	if (memchr(p->value, '\0', p->len) == NULL)
		s = json_stringn(p->value, p->len);	/* NULL when not UTF-8 */
	if (s != NULL)
		return s;
	*key = "value_base64";
	b64 = xmalloc(4 * ((p->len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)p->value, (int)p->len);
	s = json_string(b64);
	free(b64);
	return s;
}

/* The JSON text of a list (the caller frees it). */
static char *
props_serialize(const struct dav_proplist *list, size_t *lenp)
{
	json_t *root, *arr, *entry, *value;
	const char *key;
	char *text;

	arr = json_array();
	for (size_t i = 0; arr != NULL && i < list->count; i++) {
		value = props_value_json(&list->props[i], &key);
		entry = json_pack("{s:s, s:s, s:o?}", "ns", list->props[i].ns, "name",
		    list->props[i].name, key, value);
		if (entry == NULL || json_array_append_new(arr, entry) == -1)
			xalloc_failed("dav_props: JSON");
	}
	root = json_pack("{s:s, s:i, s:o?}", "format", PROPS_FORMAT, "version", PROPS_VERSION,
	    "props", arr);
	if (root == NULL || (text = json_dumps(root, JSON_COMPACT)) == NULL)
		xalloc_failed("dav_props: JSON");
	json_decref(root);
	*lenp = strlen(text);
	return text;
}

/* Decodes a base64 value; -1 when it is not base64. */
static int
props_base64_decode(const char *b64, size_t blen, char **out, size_t *outlen)
{
	int n, pad = 0;

	if (blen % 4 != 0 || blen > INT_MAX)
		return -1;
	*out = xmalloc(blen / 4 * 3 + 1);
	if ((n = EVP_DecodeBlock((unsigned char *)*out, (const unsigned char *)b64,
	    (int)blen)) == -1) {
		free(*out);
		return -1;
	}
	while (pad < 2 && blen > (size_t)pad && b64[blen - 1 - pad] == '=')
		pad++;
	*outlen = (size_t)n - (size_t)pad;
	(*out)[*outlen] = '\0';
	return 0;
}

/* Adds the entry number i of a props file to list; err names the field. */
static int
props_entry_parse(json_t *entry, size_t i, struct dav_proplist *list, struct errbuf *err)
{
	json_t *ns = json_object_get(entry, "ns"), *name = json_object_get(entry, "name");
	json_t *value = json_object_get(entry, "value");
	json_t *b64 = json_object_get(entry, "value_base64");
	char *bytes;
	size_t len;

	if (!json_is_string(ns) || !json_is_string(name) || json_string_length(name) == 0)
		return errbuf_set(err, "props[%zu]: no \"ns\" and \"name\" strings", i);
	if (strlen(json_string_value(ns)) != json_string_length(ns) ||
	    strlen(json_string_value(name)) != json_string_length(name))
		return errbuf_set(err, "props[%zu]: a NUL in a name", i);
	if (proplist_find(list, json_string_value(ns), json_string_value(name)) != -1)
		return errbuf_set(err, "props[%zu]: a second property of that name", i);
	if (json_is_string(value) == json_is_string(b64))
		return errbuf_set(err, "props[%zu]: not one \"value\" or \"value_base64\" string",
		    i);
	if (json_is_string(value)) {
		proplist_set(list, json_string_value(ns), json_string_value(name),
		    json_string_value(value), json_string_length(value));
		return 0;
	}
	if (props_base64_decode(json_string_value(b64), json_string_length(b64), &bytes,
	    &len) == -1)
		return errbuf_set(err, "props[%zu]: value_base64: not base64", i);
	proplist_set(list, json_string_value(ns), json_string_value(name), bytes, len);
	free(bytes);
	return 0;
}

static int
props_parse(const char *text, size_t len, struct dav_proplist *list, struct errbuf *err)
{
	json_error_t jerr;
	json_t *root, *arr, *format;
	int rc = -1;

	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return errbuf_set(err, "line %d column %d: %s", jerr.line, jerr.column,
		    jerr.text);
	format = json_object_get(root, "format");
	arr = json_object_get(root, "props");
	if (!json_is_string(format) || strcmp(json_string_value(format), PROPS_FORMAT) != 0)
		errbuf_set(err, "format: not \"%s\"", PROPS_FORMAT);
	else if (json_integer_value(json_object_get(root, "version")) != PROPS_VERSION)
		errbuf_set(err, "version: not %d", PROPS_VERSION);
	else if (!json_is_array(arr))
		errbuf_set(err, "props: not an array");
	else {
		rc = 0;
		for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++)
			rc = props_entry_parse(json_array_get(arr, i), i, list, err);
	}
	json_decref(root);
	if (rc == -1)
		dav_proplist_free(list);
	return rc;
}

/* Reads the properties of path[0..len) into list (empty when none). */
static int
props_load(struct dav_props *dp, const char *path, size_t len, struct dav_proplist *list,
    struct errbuf *err)
{
	char *text = NULL;
	size_t tlen;
	int fd, rc = 0;

	list->props = NULL;
	list->count = 0;
	if ((fd = fs_open_dir_nofollow(dp->fd, path, len)) == -1) {
		if (errno == ENOENT)
			return 0;
		errbuf_set_errno(err, "open");
		return props_err_prefix(dp, err, path, len, NULL);
	}
	if (fs_read_at(fd, DAV_PROPS_FILE, O_NOFOLLOW, dp->max_file, &text, &tlen, err) == -1)
		rc = errno == ENOENT ? 0 : -1;
	else
		rc = props_parse(text, tlen, list, err);
	if (rc == -1)
		props_err_prefix(dp, err, path, len, DAV_PROPS_FILE);
	free(text);
	close(fd);
	return rc;
}

/* Writes list as the properties of path[0..len); an empty list removes
 * the file and prunes the folders left empty. */
static int
props_store(struct dav_props *dp, const char *path, size_t len,
    const struct dav_proplist *list, struct errbuf *err)
{
	char *text;
	size_t tlen;
	int fd, rc;

	if (list->count == 0) {
		if ((fd = fs_open_dir_nofollow(dp->fd, path, len)) == -1)
			return 0;
		rc = unlinkat(fd, DAV_PROPS_FILE, 0) == -1 && errno != ENOENT ? -1 : 0;
		if (rc == 0)
			rc = fsync(fd);
		close(fd);
		if (rc == 0) {
			props_prune(dp, path, len);
			return 0;
		}
		errbuf_set_errno(err, "remove");
		return props_err_prefix(dp, err, path, len, DAV_PROPS_FILE);
	}
	if ((fd = props_dir_ensure(dp, path, len, err)) == -1)
		return -1;
	text = props_serialize(list, &tlen);
	rc = atomic_file_write(fd, DAV_PROPS_FILE, text, tlen, 0644, err);
	if (rc == -1)
		props_err_prefix(dp, err, path, len, NULL);
	free(text);
	close(fd);
	return rc;
}

/* ---- the operations ------------------------------------------------------ */

struct dav_props *
dav_props_open(const char *state_dir, const struct dav_props_limits *lim, struct errbuf *err)
{
	struct dav_props *dp;
	int fd;

	if ((fd = fs_open_subdir(AT_FDCWD, state_dir, FS_SUBDIR_ENSURE, err)) == -1)
		return NULL;
	dp = xcalloc(1, sizeof(*dp));
	dp->dir = xstrdup(state_dir);
	dp->fd = fd;
	dp->lim.max_count = lim != NULL ? lim->max_count : DAV_PROPS_DEF_COUNT;
	dp->lim.max_value = lim != NULL ? lim->max_value : DAV_PROPS_DEF_VALUE;
	dp->lim.max_total = lim != NULL ? lim->max_total : DAV_PROPS_DEF_TOTAL;
	/* escaping (\u00XX) at most sextuples a byte; base64 adds a third */
	dp->max_file = 6 * dp->lim.max_total + 96 * dp->lim.max_count + 4096;
	return dp;
}

void
dav_props_free(struct dav_props *dp)
{
	if (dp == NULL)
		return;
	close(dp->fd);
	free(dp->dir);
	free(dp);
}

int
dav_props_get(struct dav_props *dp, const char *path, struct dav_proplist *out,
    struct errbuf *err)
{
	size_t len;

	out->props = NULL;
	out->count = 0;
	if (props_path_check(path, &len, err) == -1)
		return -1;
	return props_load(dp, path, len, out, err);
}

/* The status of one update against the list as the earlier ones left it;
 * err says why when it is not 200. */
static int
props_update_status(const struct dav_props *dp, const struct dav_proplist *list,
    const struct dav_prop_update *u, struct errbuf *err)
{
	size_t nslen = strlen(u->ns), namelen = strlen(u->name), total, old = 0;
	ssize_t at;

	if (namelen == 0 || namelen > DAV_PROPS_MAX_NAME || !utf8_valid(u->name, namelen)) {
		errbuf_set(err, "not a local name of 1 to %d bytes of UTF-8", DAV_PROPS_MAX_NAME);
		return 403;
	}
	if (nslen > DAV_PROPS_MAX_NS || !utf8_valid(u->ns, nslen)) {
		errbuf_set(err, "namespace not up to %d bytes of UTF-8", DAV_PROPS_MAX_NS);
		return 403;
	}
	if (u->op != DAV_PROP_SET)
		return 200;
	at = proplist_find(list, u->ns, u->name);
	if (at != -1)
		old = nslen + namelen + list->props[at].len;
	total = proplist_bytes(list) - old + nslen + namelen + u->len;
	if (u->len > dp->lim.max_value)
		errbuf_set(err, "value of %zu bytes, over the limit of %zu", u->len,
		    dp->lim.max_value);
	else if (at == -1 && list->count >= dp->lim.max_count)
		errbuf_set(err, "more than %zu properties on the resource", dp->lim.max_count);
	else if (total > dp->lim.max_total)
		errbuf_set(err, "%zu bytes of properties on the resource, over the limit of %zu",
		    total, dp->lim.max_total);
	else
		return 200;
	return 507;	/* RFC 4918 §9.2.1: no space to record the property */
}

/* "property {ns}name: why", the name shown as printable UTF-8. */
static void
props_refusal_set(struct errbuf *err, const struct dav_prop_update *u, const char *why)
{
	char *ns = utf8_escape(u->ns), *name = utf8_escape(u->name);

	errbuf_set(err, "property {%.200s}%.100s: %s", ns, name, why);
	free(ns);
	free(name);
}

int
dav_props_patch(struct dav_props *dp, const char *path, struct dav_prop_update *u, size_t n,
    struct errbuf *err)
{
	struct dav_proplist list;
	struct errbuf why;
	int refused = 0, rc;
	size_t len;

	for (size_t i = 0; i < n; i++)
		u[i].status = 500;
	if (props_path_check(path, &len, err) == -1 || props_load(dp, path, len, &list, err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		u[i].status = props_update_status(dp, &list, &u[i], &why);
		if (u[i].status != 200 && !refused++)
			props_refusal_set(err, &u[i], why.msg);
		else if (u[i].status == 200 && u[i].op == DAV_PROP_SET)
			proplist_set(&list, u[i].ns, u[i].name, u[i].value, u[i].len);
		else if (u[i].status == 200)
			proplist_remove(&list, u[i].ns, u[i].name);
	}
	if (refused) {
		for (size_t i = 0; i < n; i++)
			if (u[i].status == 200)
				u[i].status = 424;
		rc = DAV_PROPS_REFUSED;
	} else if ((rc = props_store(dp, path, len, &list, err)) == -1) {
		for (size_t i = 0; i < n; i++)
			u[i].status = 500;
	}
	dav_proplist_free(&list);
	return rc;
}

/* Removes the mirror tree of path[0..len) (len > 0). */
static int
props_delete_tree(struct dav_props *dp, const char *path, size_t len, struct errbuf *err)
{
	size_t plen = props_parent_len(path, len);
	char seg[NAME_MAX + 1];
	int pfd, rc;

	props_last_segment(path, len, seg);
	if ((pfd = fs_open_dir_nofollow(dp->fd, path, plen)) == -1)
		return 0;	/* no folder: no properties there */
	rc = tree_remove(pfd, seg, err);
	if (rc == 0 && fsync(pfd) == -1)
		rc = errbuf_set_errno(err, "fsync");
	close(pfd);
	if (rc == -1)
		return props_err_prefix(dp, err, path, plen, NULL);
	props_prune(dp, path, plen);
	return 0;
}

int
dav_props_delete(struct dav_props *dp, const char *path, struct errbuf *err)
{
	size_t len;

	if (props_path_check(path, &len, err) == -1)
		return -1;
	if (len == 0)
		return errbuf_set(err, "%s: the properties of the root are not deleted", dp->dir);
	return props_delete_tree(dp, path, len, err);
}

/* Checks src and dst for a COPY or MOVE and removes dst's tree. */
static int
props_transfer_prepare(struct dav_props *dp, const char *src, size_t *slen, const char *dst,
    size_t *dlen, struct errbuf *err)
{
	size_t shorter;

	if (props_path_check(src, slen, err) == -1 || props_path_check(dst, dlen, err) == -1)
		return -1;
	shorter = *slen < *dlen ? *slen : *dlen;
	if (*slen == 0 || *dlen == 0)
		return errbuf_set(err, "%s: the root's properties are not copied or moved",
		    dp->dir);
	if (memcmp(src, dst, shorter) == 0 && (*slen == *dlen ||
	    (*slen < *dlen ? dst : src)[shorter] == '/'))
		return errbuf_set(err, "\"%.*s\" and \"%.*s\": one is or holds the other",
		    (int)*slen, src, (int)*dlen, dst);
	return props_delete_tree(dp, dst, *dlen, err);
}

/* Copies srcfd/.props.json to dstfd; none is success. */
static int
props_copy_file(struct dav_props *dp, int srcfd, int dstfd, struct errbuf *err)
{
	char *text;
	size_t len;
	int rc;

	if (fs_read_at(srcfd, DAV_PROPS_FILE, O_NOFOLLOW, dp->max_file, &text, &len, err) == -1)
		return errno == ENOENT ? 0 : -1;
	rc = atomic_file_write(dstfd, DAV_PROPS_FILE, text, len, 0644, err);
	free(text);
	return rc;
}

/* Copies the mirror tree below srcfd into dstfd (both folders). */
static int
props_copy_tree(struct dav_props *dp, int srcfd, int dstfd, int depth, struct errbuf *err)
{
	struct dirent *de;
	DIR *dir;
	int r, rc = 0, s, d;

	if (depth > URL_PATH_MAX_SEGMENTS)
		return errbuf_set(err, "more than %d levels", URL_PATH_MAX_SEGMENTS);
	if ((rc = props_copy_file(dp, srcfd, dstfd, err)) == -1)
		return errbuf_prefix(err, "%s", DAV_PROPS_FILE);
	if ((dir = fs_opendir_at(srcfd)) == NULL)
		return errbuf_set_errno(err, "read folder");
	while (rc == 0 && (r = tree_readdir(dir, &de)) == 1) {
		if (de->d_name[0] == '.')	/* the props file, temporary files */
			continue;
		if ((s = fs_open_subdir(srcfd, de->d_name, FS_SUBDIR_OPEN, err)) == -1)
			rc = errno == ENOTDIR ? 0 : -1;	/* a stray file: not ours */
		else if ((d = fs_open_subdir(dstfd, de->d_name, FS_SUBDIR_ENSURE, err)) == -1) {
			close(s);
			rc = -1;
		} else {
			if (fsync(dstfd) == -1)
				rc = errbuf_set_errno(err, "%s: fsync", de->d_name);
			else if (props_copy_tree(dp, s, d, depth + 1, err) == -1)
				rc = errbuf_prefix(err, "%s", de->d_name);
			close(s);
			close(d);
		}
	}
	if (rc == 0 && r == -1)
		rc = errbuf_set_errno(err, "read folder");
	closedir(dir);
	return rc;
}

int
dav_props_copy(struct dav_props *dp, const char *src, const char *dst, int depth_infinity,
    struct errbuf *err)
{
	size_t slen, dlen;
	int sfd, dfd, rc;

	if (props_transfer_prepare(dp, src, &slen, dst, &dlen, err) == -1)
		return -1;
	if ((sfd = fs_open_dir_nofollow(dp->fd, src, slen)) == -1)
		return 0;	/* no properties to copy */
	if ((dfd = props_dir_ensure(dp, dst, dlen, err)) == -1) {
		close(sfd);
		return -1;
	}
	if (depth_infinity)
		rc = props_copy_tree(dp, sfd, dfd, 0, err);
	else if ((rc = props_copy_file(dp, sfd, dfd, err)) == -1)
		errbuf_prefix(err, "%s", DAV_PROPS_FILE);
	close(sfd);
	close(dfd);
	if (rc == -1)
		props_err_prefix(dp, err, src, slen, NULL);
	props_prune(dp, dst, dlen);	/* when src had nothing */
	return rc;
}

int
dav_props_move(struct dav_props *dp, const char *src, const char *dst, struct errbuf *err)
{
	size_t slen, dlen, splen, dplen;
	char sseg[NAME_MAX + 1], dseg[NAME_MAX + 1];
	struct stat st;
	int spfd, dpfd, rc = 0;

	if (props_transfer_prepare(dp, src, &slen, dst, &dlen, err) == -1)
		return -1;
	splen = props_parent_len(src, slen);
	dplen = props_parent_len(dst, dlen);
	props_last_segment(src, slen, sseg);
	props_last_segment(dst, dlen, dseg);
	if ((spfd = fs_open_dir_nofollow(dp->fd, src, splen)) == -1)
		return 0;
	if (fstatat(spfd, sseg, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode)) {
		close(spfd);
		return 0;	/* no properties to move */
	}
	if ((dpfd = props_dir_ensure(dp, dst, dplen, err)) == -1) {
		close(spfd);
		return -1;
	}
	if (renameat(spfd, sseg, dpfd, dseg) == -1 || fsync(dpfd) == -1 || fsync(spfd) == -1) {
		errbuf_set_errno(err, "move to \"%.*s\"", (int)dlen, dst);
		rc = props_err_prefix(dp, err, src, slen, NULL);
	}
	close(spfd);
	close(dpfd);
	props_prune(dp, src, splen);
	return rc;
}
