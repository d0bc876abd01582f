/*
 * store_lock: one writer at a time per channel.
 *
 * Writers of a channel (the importer publishing, storesrv rescanning, later
 * WebDAV and the mirror) hold an exclusive flock(2) on <channel>/.lock while
 * they change the tree and rewrite its indexes.  Readers never lock: every
 * change they can see is an atomic rename.
 */
#ifndef STORESRV_STORE_LOCK_H
#define STORESRV_STORE_LOCK_H

#include "errbuf.h"

/* Opens (creating) and locks <root>/<channel>/.lock; blocks until it has the
 * lock, or fails at once when nonblock is set and another holds it (errno
 * is then EWOULDBLOCK).  Returns the descriptor to pass to store_unlock(),
 * or -1. */
int store_lock_channel(const char *root, const char *channel, int nonblock, struct errbuf *err);
void store_unlock(int lockfd);

#endif
