/*
 * store_root: recognises a channel or a download/ folder given as a store
 * root; see store_root.h.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fs_open.h"
#include "index_parse.h"
#include "store_layout.h"
#include "store_root.h"

static int
root_has(int rootfd, const char *name)
{
	struct stat st;

	return fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static const char *
root_last_segment(const char *path)
{
	size_t len = strlen(path);
	const char *p;

	while (len > 1 && path[len - 1] == '/')
		len--;
	for (p = path + len; p > path && p[-1] != '/'; p--)
		;
	return p;
}

static int
root_named_download(const char *path)
{
	const char *last = root_last_segment(path);
	size_t n = strlen(STORE_DOWNLOAD_DIR);

	return strncmp(last, STORE_DOWNLOAD_DIR, n) == 0 && (last[n] == '\0' || last[n] == '/');
}

static int
root_holds_download_content(int rootfd)
{
	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		const char *dir = index_kind_platform_dir((enum index_kind)k);

		if (root_has(rootfd, index_kind_file((enum index_kind)k)) ||
		    (dir != NULL && root_has(rootfd, dir)))
			return 1;
	}
	return 0;
}

enum store_root_shape
store_root_shape(int rootfd, const char *path)
{
	/* A root may hold a channel named "download"; a channel's own
	 * download/ folder never holds download/download/. */
	if (root_named_download(path) || root_holds_download_content(rootfd))
		return STORE_ROOT_IS_DOWNLOAD;
	if ((root_has(rootfd, STORE_DOWNLOAD_DIR) && !store_channel_at(rootfd, STORE_DOWNLOAD_DIR)) ||
	    root_has(rootfd, STORE_CATALOG_FILE))
		return STORE_ROOT_IS_CHANNEL;
	return STORE_ROOT_OK;
}

const char *
store_root_hint(enum store_root_shape shape)
{
	switch (shape) {
	case STORE_ROOT_IS_CHANNEL:
		return "this folder is a channel (it holds download/ or catalog.json): give the folder "
		    "above it as the root and its name as the channel";
	case STORE_ROOT_IS_DOWNLOAD:
		return "this folder is a channel's download/ folder (it holds indexes or platform "
		    "folders): give the folder two levels above it as the root";
	case STORE_ROOT_OK:
		break;
	}
	return "";
}

/* Calls fn for each channel of the root until it returns nonzero; returns
 * that value, or 0. */
static int
root_each_channel(int rootfd, int (*fn)(const char *name, void *arg), void *arg)
{
	DIR *dir = fs_opendir_at(rootfd);
	struct dirent *de;
	int rc = 0;

	if (dir == NULL)
		return 0;
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		if (store_channel_at(rootfd, de->d_name))
			rc = fn(de->d_name, arg);
	}
	closedir(dir);
	return rc;
}

static int
root_found(const char *name, void *arg)
{
	return 1;
}

int
store_root_has_channels(int rootfd)
{
	return root_each_channel(rootfd, root_found, NULL);
}

struct root_list {
	char *buf;
	size_t size, used;
};

static int
root_list_add(const char *name, void *arg)
{
	struct root_list *l = arg;
	int n = snprintf(l->buf + l->used, l->size - l->used, "%s%s", l->used ? ", " : "", name);

	if (n < 0 || (size_t)n >= l->size - l->used) {
		l->buf[l->used] = '\0';	/* the list is cut, never a name */
		return 1;
	}
	l->used += (size_t)n;
	return 0;
}

void
store_root_list_channels(int rootfd, char *buf, size_t bufsz)
{
	struct root_list l = { buf, bufsz, 0 };

	if (bufsz == 0)
		return;
	buf[0] = '\0';
	root_each_channel(rootfd, root_list_add, &l);
}
