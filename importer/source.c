/*
 * source: recognising builds, platform versions and store trees in a
 * source folder; see source.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy_hash.h"
#include "descriptor.h"
#include "fs_open.h"
#include "manifest.h"
#include "source.h"
#include "store_layout.h"
#include "xmalloc.h"

#define SOURCE_MAX_DEPTH	3

static const char *const index_names[] = {
	"apps.json", "firmware.json", "software.json", "linux.json", "phoneplatform.json",
	STORE_APP_PLATFORM_DIR, STORE_PHONE_PLATFORM_DIR
};

void
unit_list_free(struct unit_list *ul)
{
	for (size_t i = 0; i < ul->count; i++) {
		free(ul->units[i].name);
		free(ul->units[i].rel);
		free(ul->units[i].item_id);
		if (ul->units[i].fd != -1)
			close(ul->units[i].fd);
	}
	for (size_t i = 0; i < ul->ntrees; i++) {
		free(ul->trees[i].rel);
		close(ul->trees[i].fd);
	}
	free(ul->units);
	free(ul->trees);
	memset(ul, 0, sizeof(*ul));
}

static const char *
platform_dir(int kind)
{
	return kind == ITEM_PHONEPLATFORM ? STORE_PHONE_PLATFORM_DIR : STORE_APP_PLATFORM_DIR;
}

char *
unit_dlrel(const struct unit *u)
{
	if (u->type == UNIT_PLATFORM)
		return xasprintf("%s/%s", platform_dir(u->kind), u->name);
	return xstrdup(u->name);
}

char *
unit_hashes_rel(const struct unit *u)
{
	if (u->type == UNIT_PLATFORM)
		return xasprintf("%s/%s-%s.sha256", STORE_HASHES_DIR,
		    u->kind == ITEM_PHONEPLATFORM ? "phoneplatform" : "app-platform", u->name);
	return xasprintf("%s/%s.sha256", STORE_HASHES_DIR, u->name);
}

int
source_is_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	return S_ISREG(st.st_mode) ? 1 : 0;
}

char *
source_archive_base(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *base = xstrdup(slash ? slash + 1 : path), *dot;

	if ((dot = strchr(base, '.')) != NULL)
		*dot = '\0';
	return base;
}

static int
has_entry(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
is_tree(int dirfd)
{
	for (size_t i = 0; i < sizeof(index_names) / sizeof(index_names[0]); i++) {
		if (has_entry(dirfd, index_names[i]))
			return 1;
	}
	return 0;
}

/* Reports a folder that could not be read (wholly): a unit left out
 * silently would be a build missing from the run without a word. */
static void
scan_unreadable(struct diag *d, const char *rel)
{
	diag_add(d, DIAG_ERROR, rel, "cannot read the folder: %s", strerror(errno));
}

/* Does the folder hold a manifest or an architecture folder? */
static int
looks_like_build(int dirfd, const char *rel, struct diag *d)
{
	struct dirent *de;
	DIR *dir;
	int found = 0, r = 0;

	for (size_t i = 0; i < store_app_archs_count; i++) {
		if (has_entry(dirfd, store_app_archs[i]))
			return 1;
	}
	if ((dir = fs_opendir_at(dirfd)) == NULL) {
		scan_unreadable(d, rel);
		return 0;
	}
	while (!found && (r = tree_readdir(dir, &de)) == 1)
		found = manifest_name_to_id(de->d_name, NULL, 0);
	if (r == -1)
		scan_unreadable(d, rel);
	closedir(dir);
	return found;
}

static void
unit_add(struct unit_list *ul, enum unit_type type, int kind, const char *name,
    const char *rel, int fd, int tree)
{
	struct unit *u;

	ul->units = xreallocarray(ul->units, ul->count + 1, sizeof(*ul->units));
	u = &ul->units[ul->count++];
	u->type = type;
	u->kind = kind;
	u->name = xstrdup(name);
	u->rel = xstrdup(rel);
	u->fd = dup(fd);
	u->tree = tree;
	u->item_id = NULL;
}


static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
source_dir_list(int dirfd, char ***namesp, size_t *countp)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *dir;
	int r, saved;

	*namesp = NULL;
	*countp = 0;
	if ((dir = fs_opendir_at(dirfd)) == NULL)
		return -1;
	while ((r = tree_readdir(dir, &de)) == 1) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	saved = errno;
	closedir(dir);
	if (r == -1) {
		source_names_free(names, n);
		errno = saved;
		return -1;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*namesp = names;
	*countp = n;
	return 0;
}

/* Calls fn for each non-hidden subfolder of dirfd, in name order. */
static void
each_subdir(int dirfd, const char *rel, struct diag *d,
    void (*fn)(int, const char *, const char *, void *), void *arg)
{
	size_t n;
	char **names;

	if (source_dir_list(dirfd, &names, &n) == -1)
		scan_unreadable(d, rel);

	for (size_t i = 0; i < n; i++) {
		int sub = fs_open_subdir(dirfd, names[i], FS_SUBDIR_OPEN, NULL);

		if (sub != -1) {
			char *subrel = rel[0] ? xasprintf("%s/%s", rel, names[i]) :
			    xstrdup(names[i]);

			fn(sub, subrel, names[i], arg);
			free(subrel);
			close(sub);
		}
		free(names[i]);
	}
	free(names);
}

struct scan_ctx {
	struct unit_list *ul;
	struct diag *d;
	int kind;
	int depth;
	int tree;
	int platform_kind;	/* inside app-platform/ or phoneplatform/ */
};

static void scan_dir(int dirfd, const char *rel, const char *name, void *arg);

static void
scan_tree(int dirfd, const char *rel, struct scan_ctx *ctx)
{
	struct unit_list *ul = ctx->ul;
	struct scan_ctx sub = *ctx;

	ul->trees = xreallocarray(ul->trees, ul->ntrees + 1, sizeof(*ul->trees));
	ul->trees[ul->ntrees].rel = xstrdup(rel);
	ul->trees[ul->ntrees].fd = dup(dirfd);
	sub.tree = (int)ul->ntrees++;
	sub.depth = SOURCE_MAX_DEPTH - 1;	/* builds are the tree's children */
	each_subdir(dirfd, rel, sub.d, scan_dir, &sub);
}

static void
scan_platform_parent(int dirfd, const char *rel, int kind, struct scan_ctx *ctx)
{
	struct scan_ctx sub = *ctx;

	sub.platform_kind = kind;
	sub.depth = SOURCE_MAX_DEPTH - 1;
	each_subdir(dirfd, rel, sub.d, scan_dir, &sub);
}

static void
scan_dir(int dirfd, const char *rel, const char *name, void *arg)
{
	struct scan_ctx *ctx = arg, sub;
	int pkind = ctx->platform_kind;

	if (ctx->tree == -1 && is_tree(dirfd)) {
		scan_tree(dirfd, rel, ctx);
		return;
	}
	if (pkind == KIND_NONE && (ctx->kind == ITEM_PLATFORM || ctx->kind == ITEM_PHONEPLATFORM))
		pkind = ctx->kind;
	if (strcmp(name, STORE_APP_PLATFORM_DIR) == 0 && ctx->platform_kind == KIND_NONE) {
		scan_platform_parent(dirfd, rel, ITEM_PLATFORM, ctx);
		return;
	}
	if (strcmp(name, STORE_PHONE_PLATFORM_DIR) == 0 && ctx->platform_kind == KIND_NONE) {
		scan_platform_parent(dirfd, rel, ITEM_PHONEPLATFORM, ctx);
		return;
	}
	if (store_build_name_valid(name)) {
		unit_add(ctx->ul, pkind != KIND_NONE ? UNIT_PLATFORM : UNIT_BUILD, pkind, name,
		    rel, dirfd, ctx->tree);
		return;
	}
	if (ctx->depth + 1 >= SOURCE_MAX_DEPTH || ctx->tree != -1 || pkind != KIND_NONE) {
		diag_add(ctx->d, DIAG_WARNING, rel, "not a build or platform version folder; "
		    "ignored");
		return;
	}
	if (looks_like_build(dirfd, rel, ctx->d)) {
		diag_add(ctx->d, DIAG_ERROR, rel, "build folder not named by a build number "
		    "(6 or 7 digits)");
		return;
	}
	sub = *ctx;
	sub.depth++;
	each_subdir(dirfd, rel, sub.d, scan_dir, &sub);
}

void
source_scan(int dirfd, const char *rel, const char *name, const char *archive_name,
    int kind, struct unit_list *ul, struct diag *d)
{
	struct scan_ctx ctx = { ul, d, kind, 0, -1, KIND_NONE };
	size_t before = ul->count, tbefore = ul->ntrees;

	if (archive_name != NULL && !is_tree(dirfd) && store_build_name_valid(archive_name) &&
	    looks_like_build(dirfd, rel, d)) {
		int pk = (kind == ITEM_PLATFORM || kind == ITEM_PHONEPLATFORM) ? kind : KIND_NONE;

		unit_add(ul, pk != KIND_NONE ? UNIT_PLATFORM : UNIT_BUILD, pk, archive_name, rel,
		    dirfd, -1);
		return;
	}
	if (archive_name != NULL && !is_tree(dirfd)) {
		ctx.depth = -1;	/* the extraction root is not a build */
		each_subdir(dirfd, rel, ctx.d, scan_dir, &ctx);
	} else
		scan_dir(dirfd, rel, name, &ctx);
	if (ul->count == before && ul->ntrees == tbefore)
		diag_add(d, DIAG_ERROR, rel, "no build, platform version or store tree found");
}

void
source_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
