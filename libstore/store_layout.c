/*
 * store_layout: the names of the store on disk and the checks on the names
 * that appear in it (channels, builds, item ids) and on what a channel is;
 * see store_layout.h.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store_layout.h"

const char *const store_app_archs[] = { "arm", "arm64", "x86_64" };
const size_t store_app_archs_count = sizeof(store_app_archs) / sizeof(store_app_archs[0]);

static int
layout_char_in(char c, const char *extra)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr(extra, c) != NULL;
}

int
store_channel_name_valid(const char *name)
{
	size_t len;

	if (name == NULL)
		return 0;
	len = strlen(name);
	if (len == 0 || len > STORE_CHANNEL_NAME_MAX)
		return 0;
	if (name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!layout_char_in(name[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ._-"))
			return 0;
	}
	return 1;
}

int
store_channel_at(int rootfd, const char *name)
{
	char path[STORE_CHANNEL_NAME_MAX + sizeof("/" STORE_DOWNLOAD_DIR)];
	struct stat st;

	if (!store_channel_name_valid(name))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", name, STORE_DOWNLOAD_DIR);
	return fstatat(rootfd, path, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

int
store_folder_removed(int dirfd)
{
	struct stat st;

	return fstatat(dirfd, STORE_REMOVED_MARK, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int
store_build_name_valid(const char *name)
{
	size_t len;

	if (name == NULL)
		return 0;
	len = strlen(name);
	if (len == 0 || len > 9 || name[0] == '0')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
	}
	return 1;
}

int
store_item_id_valid(const char *id)
{
	size_t len;

	if (id == NULL)
		return 0;
	len = strlen(id);
	if (len == 0 || len > 64)
		return 0;
	if (!layout_char_in(id[0], ""))
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (!layout_char_in(id[i], "._-"))
			return 0;
	}
	return 1;
}

int
store_release_id_valid(const char *id)
{
	return store_item_id_valid(id);
}
