/*
 * dav_incoming_locks: which uploads of incoming/ a WebDAV lock covers, as
 * the watcher's thread sees them: from the lock table's file
 * (<root>/.webdav/locks.json, written atomically by dav_lock.c after each
 * change), not from the table itself, which belongs to the WebDAV loop
 * (dav_incoming_internal.h).
 *
 * A lock rooted at an upload or below it covers that upload; a depth
 * infinity lock on a channel's incoming/ covers all of its uploads.  A
 * lock covers until it expires (its "expires", wall-clock seconds) or
 * leaves the file (UNLOCK).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "dav_incoming_internal.h"
#include "fs_open.h"
#include "xmalloc.h"

#define INC_LOCKS_FILE		".webdav/locks.json"
#define INC_LOCKS_MAX_BYTES	(16u << 20)	/* dav_lock.h's DAV_LOCK_MAX_FILE */

/* "/<channel>/incoming/<upload>[/...]" -> "<channel>/<upload>"; a depth
 * infinity lock on "/<channel>/incoming" -> "<channel>/" (every upload).
 * NULL for a lock elsewhere. */
static char *
inc_lock_upload(const char *root, int infinity)
{
	const char *channel = root + 1, *area, *upload;
	size_t chlen, uplen;

	if (root[0] != '/' || (area = strchr(channel, '/')) == NULL)
		return NULL;
	chlen = (size_t)(area - channel);
	if (chlen == 0 || strncmp(area, "/incoming", 9) != 0 ||
	    (area[9] != '/' && area[9] != '\0'))
		return NULL;
	upload = area[9] == '/' ? area + 10 : area + 9;
	uplen = strcspn(upload, "/");
	if (uplen == 0 && !infinity)
		return NULL;
	return xasprintf("%.*s/%.*s", (int)chlen, channel, (int)uplen, upload);
}

static void
inc_locks_clear(struct inc_locks *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->uploads[i]);
	free(l->uploads);
	free(l->expires);
	l->uploads = NULL;
	l->expires = NULL;
	l->count = 0;
}

/* The locks of the file's JSON text; a file that does not parse leaves
 * none (dav_lock.c refuses it at start anyway). */
static void
inc_locks_parse(struct inc_locks *l, const char *text, size_t len)
{
	json_t *doc = json_loadb(text, len, 0, NULL), *lock;
	json_t *locks = json_object_get(doc, "locks");
	size_t i;

	json_array_foreach(locks, i, lock) {
		const char *root = json_string_value(json_object_get(lock, "root"));
		const char *depth = json_string_value(json_object_get(lock, "depth"));
		json_t *expires = json_object_get(lock, "expires");
		int infinity = depth != NULL && strcmp(depth, "infinity") == 0;
		char *upload;

		if (root == NULL || !json_is_integer(expires) ||
		    (upload = inc_lock_upload(root, infinity)) == NULL)
			continue;
		l->uploads = xreallocarray(l->uploads, l->count + 1, sizeof(*l->uploads));
		l->expires = xreallocarray(l->expires, l->count + 1, sizeof(*l->expires));
		l->uploads[l->count] = upload;
		l->expires[l->count++] = (time_t)json_integer_value(expires);
	}
	json_decref(doc);
}

void
inc_locks_refresh(struct inc_locks *l, int rootfd)
{
	struct stat st;
	char *text;
	size_t len;

	if (fstatat(rootfd, INC_LOCKS_FILE, &st, 0) == -1) {
		if (errno == ENOENT)
			inc_locks_clear(l);	/* no lock was ever taken */
		return;
	}
	if (st.st_ino == l->ino && st.st_mtim.tv_sec == l->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == l->mtime.tv_nsec && st.st_size == l->size)
		return;
	if (fs_read_at(rootfd, INC_LOCKS_FILE, 0, INC_LOCKS_MAX_BYTES, &text, &len, NULL) == -1)
		return;		/* the last reading stays */
	inc_locks_clear(l);
	inc_locks_parse(l, text, len);
	free(text);
	l->ino = st.st_ino;
	l->mtime = st.st_mtim;
	l->size = st.st_size;
}

int
inc_locks_cover(const struct inc_locks *l, const char *channel, const char *name, time_t now)
{
	size_t chlen = strlen(channel);

	for (size_t i = 0; i < l->count; i++) {
		const char *u = l->uploads[i];

		if (l->expires[i] > now && strncmp(u, channel, chlen) == 0 && u[chlen] == '/' &&
		    (u[chlen + 1] == '\0' || strcmp(u + chlen + 1, name) == 0))
			return 1;
	}
	return 0;
}

void
inc_locks_free(struct inc_locks *l)
{
	inc_locks_clear(l);
	memset(l, 0, sizeof(*l));
}
