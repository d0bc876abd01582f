/*
 * push: upload a local published channel (<root>/<channel>/download/) to a
 * WebDAV share, e.g. a gateway's SSD at http://gw/webdav/release/download,
 * with MKCOL and PUT over one kept connection (dav_client.h).
 *
 * Only what is missing or changed is sent.  Each local folder is compared
 * with a PROPFIND (Depth 1) listing of its collection (dav_list.h; made
 * with MKCOL when missing):
 *   - below a build or platform-version folder, which a published store
 *     never changes, a file of the same name and size is present;
 *   - a file at the top of download/ (the five indexes, anything else
 *     there) is also fetched back when the sizes match and compared byte
 *     for byte (up to PUSH_COMPARE_MAX; larger ones by size only).
 * Folders are walked in name order, each one's files before its
 * subfolders, so the share receives every build whole, one after the
 * other; the five indexes go LAST, each PUT to a temporary name in the same
 * collection and then MOVEd over the old one when the server allows MOVE
 * (OPTIONS' Allow header; a 405/501 answer to MOVE falls back), else PUT
 * directly.  A push that stops early (the share goes away, an error) thus
 * leaves the old indexes in place and the share never lists a build it does
 * not fully hold.
 *
 * Local names starting with '.' are never sent; removed folders (holding
 * .removed) and anything that is not a regular file or a folder (symlinks
 * included) are skipped and counted.  Bodies are streamed from the files.
 * Nothing is deleted on the share.
 *
 * Library code: never prints; 0/-1 with errbuf naming the file or the URL
 * and the server's status.
 */
#ifndef STORESRV_MIRROR_PUSH_H
#define STORESRV_MIRROR_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

#define PUSH_COMPARE_MAX	(16u << 20)	/* top-level files compared by content */
#define PUSH_MAX_DEPTH		8		/* folder levels below download/ */
#define PUSH_MAX_ENTRIES	100000		/* entries of one local folder */

enum push_action {
	PUSH_MKCOL,		/* a collection was made */
	PUSH_PUT,		/* a file was uploaded */
	PUSH_INDEX,		/* an index was uploaded (and moved into place) */
};

struct push_event {
	enum push_action action;
	const char *path;	/* relative to download/ */
	uint64_t size;		/* PUSH_PUT, PUSH_INDEX: bytes sent */
};

struct push_stats {
	size_t collections_made;
	size_t files_put;
	size_t files_present;		/* already on the share */
	uint64_t bytes_put;		/* file and index bodies */
	size_t indexes_put;
	size_t indexes_unchanged;
	size_t folders_removed;		/* skipped: holding .removed */
	size_t entries_skipped;		/* skipped: neither a regular file nor a folder */
	int indexes_moved;		/* 1: indexes replaced with PUT + MOVE, 0: direct PUT */
	int refused;			/* the push failed on an error status of the share */
};

struct push_config {
	const char *root;		/* the local store root */
	const char *channel;
	const char *dav_url;		/* the channel's download collection on the share */
	const char *user;		/* Basic authentication; NULL: none */
	const char *password;
	unsigned timeout;		/* seconds without progress; 0: the client's default */
	const char *ca_file;		/* https: extra CA certificates; NULL: system CAs */
	/* called after each change made on the share (may be NULL) */
	void (*progress)(const struct push_event *ev, const struct push_stats *st, void *arg);
	void *progress_arg;
};

/* Pushes one channel.  st is zeroed first and counts what was done even when
 * the push fails.  Returns 0, or -1 with err set. */
int push_channel(const struct push_config *cfg, struct push_stats *st, struct errbuf *err);

#endif
