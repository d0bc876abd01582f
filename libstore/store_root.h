/*
 * store_root: what a folder given as a store root really is.
 *
 * A store root holds channels (<root>/<channel>/download/).  Two mistakes
 * are easy to make and silently harmful: giving a channel as the root
 * (`-r /srv/store/release`: a channel would be nested in it) or a channel's
 * download/ folder (`-r .../release/download`: a channel would be created
 * inside the served tree and its catalog.json served).  store_root_shape()
 * recognises both from what the folder holds, so writers can refuse them
 * with a hint.  An empty folder is a new root.
 */
#ifndef STORESRV_STORE_ROOT_H
#define STORESRV_STORE_ROOT_H

#include <stddef.h>

enum store_root_shape {
	STORE_ROOT_OK,
	STORE_ROOT_IS_CHANNEL,	/* holds download/ or catalog.json */
	STORE_ROOT_IS_DOWNLOAD,	/* named download, or holds an index or a platform folder */
};

/* path is the folder's path as given (its last segment is looked at). */
enum store_root_shape store_root_shape(int rootfd, const char *path);

/* A sentence telling what to give instead, for a shape other than OK. */
const char *store_root_hint(enum store_root_shape shape);

/* Whether the root holds any channel (store_channel_at()). */
int store_root_has_channels(int rootfd);

/* The root's channel names, comma-separated, into buf (for messages). */
void store_root_list_channels(int rootfd, char *buf, size_t bufsz);

#endif
