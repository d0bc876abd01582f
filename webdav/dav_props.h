/*
 * dav_props: the WebDAV dead properties (RFC 4918 §4, §9.2 PROPPATCH) of
 * the resources below a channel's incoming/ tree, kept on disk so that they
 * survive restarts by construction.  A pure storage module: file I/O below
 * a caller-given state folder (e.g. <root>/.webdav/props/<channel>/, outside
 * the served tree), no network, no XML.  Values are opaque byte strings
 * (the serialised inner XML that dav_xml produces).
 *
 * Layout: a mirror of the resource tree.  The properties of the resource at
 * "a/b/c" live in <state>/a/b/c/.props.json (one JSON object per resource,
 * written by atomic_file_write(): readers see the old or the new file, even
 * across a crash).  Resource paths are canonical (url_path.h, without the
 * leading '/'; a trailing '/' is ignored), so no segment starts with '.' and
 * the name ".props.json" can never be a resource's.  A mirror rather than
 * one file per hash of the path, because MOVE of a collection is then one
 * rename(2) (atomic and O(1) however many members have properties), DELETE
 * of a tree is one tree removal and COPY one walk of the subtree, without
 * reading every props file of the channel to find those below a path.
 * Folders left empty are removed again, so the mirror holds only resources
 * with properties.
 *
 * File format: {"format":"storesrv-dav-props","version":1,"props":[
 * {"ns":URI,"name":LOCAL,"value":TEXT}, ...]} in the order the properties
 * were first set; a value that is not UTF-8 or holds a NUL byte is kept as
 * "value_base64" instead of "value".  A file that does not parse, breaks
 * this format or is over the size bound is "corrupt": every operation on
 * that resource fails with an error naming the file (the engine answers
 * 500 for it), never a crash; other resources are not affected.
 *
 * Limits (struct dav_props_limits): properties per resource, bytes of one
 * value, bytes of all names and values of a resource; the namespace URI is
 * at most DAV_PROPS_MAX_NS bytes and the local name DAV_PROPS_MAX_NAME, both
 * UTF-8, the local name not empty (the empty namespace "" is allowed).
 *
 * Thread-safety: one writer at a time per state folder is the engine's
 * contract (it runs all props work on one thread); a struct dav_props is
 * not shared between threads.  Durability: files and the folders created
 * or changed for them are fsync'd before a call returns success.
 */
#ifndef STORESRV_DAV_PROPS_H
#define STORESRV_DAV_PROPS_H

#include <stddef.h>

#include "errbuf.h"

#define DAV_PROPS_FILE		".props.json"
#define DAV_PROPS_MAX_NS	1024		/* bytes of a namespace URI */
#define DAV_PROPS_MAX_NAME	255		/* bytes of a local name */
#define DAV_PROPS_DEF_COUNT	256		/* properties per resource */
#define DAV_PROPS_DEF_VALUE	(64 * 1024)	/* bytes of one value */
#define DAV_PROPS_DEF_TOTAL	(256 * 1024)	/* bytes of names and values */
#define DAV_PROPS_REFUSED	1	/* dav_props_patch(): nothing applied */

struct dav_props_limits {
	size_t max_count;
	size_t max_value;
	size_t max_total;
};

/* One property as read back; the list owns every pointer.  value has a NUL
 * after its len bytes (for convenience; it may hold NULs itself). */
struct dav_prop {
	char *ns;
	char *name;
	char *value;
	size_t len;
};

struct dav_proplist {
	struct dav_prop *props;
	size_t count;
};

/* Frees what the list holds and empties it; a zeroed list is fine. */
void dav_proplist_free(struct dav_proplist *list);

enum dav_prop_op {
	DAV_PROP_SET,
	DAV_PROP_REMOVE
};

/* One instruction of a PROPPATCH, in document order.  The caller owns the
 * strings; status is written by dav_props_patch(). */
struct dav_prop_update {
	enum dav_prop_op op;
	const char *ns;		/* "" for no namespace */
	const char *name;
	const void *value;	/* DAV_PROP_SET only */
	size_t len;
	int status;		/* out: 200, 403, 507 or 424 */
};

struct dav_props;

/* Opens the state folder state_dir (made when missing; its parent must
 * exist).  lim NULL means the DAV_PROPS_DEF_* limits.  Returns a handle
 * (dav_props_free() frees it) or NULL with err naming the folder. */
struct dav_props *dav_props_open(const char *state_dir, const struct dav_props_limits *lim,
    struct errbuf *err);
/* Closes the folder and frees dp; NULL is a no-op. */
void dav_props_free(struct dav_props *dp);

/* All dead properties of the resource at path (none: an empty list).
 * Returns 0, or -1 with err naming the path or its corrupt file. */
int dav_props_get(struct dav_props *dp, const char *path, struct dav_proplist *out,
    struct errbuf *err);

/* Applies the n updates to the resource at path, in order, all or nothing
 * (RFC 4918 §9.2).  Removing a property that is not there succeeds.  Every
 * update gets a status: when all succeed, 200 each, they are written and 0
 * is returned.  When any is refused (403: a bad name; 507: a limit crossed,
 * counted on the properties as the updates before it left them), nothing is
 * written, the refused ones keep their status, every other one gets 424
 * (Failed Dependency), err names the first property at fault and
 * DAV_PROPS_REFUSED is returned.  -1 (err set, nothing written, statuses
 * 500): a bad path, a corrupt file, an I/O failure. */
int dav_props_patch(struct dav_props *dp, const char *path, struct dav_prop_update *u,
    size_t n, struct errbuf *err);

/* Removes the properties of path and of every resource below it (DELETE;
 * also before a resource is created anew).  None there is success. */
int dav_props_delete(struct dav_props *dp, const char *path, struct errbuf *err);

/* COPY: the destination's properties (its tree's) are removed, then those
 * of src are copied to dst: src's own only when depth_infinity is 0, its
 * whole tree otherwise.  dst may not be src or below it. */
int dav_props_copy(struct dav_props *dp, const char *src, const char *dst, int depth_infinity,
    struct errbuf *err);

/* MOVE: the destination's properties are removed, then src's tree of
 * properties becomes dst's by one rename.  dst may not be src or below it. */
int dav_props_move(struct dav_props *dp, const char *src, const char *dst, struct errbuf *err);

#endif
