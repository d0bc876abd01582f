/*
 * build_check: list a build folder once, classify its manifests into app,
 * firmware and software items and check that each is complete; see
 * build_check.h for the rules.  Everything is relative to directory
 * descriptors (openat/fstatat), so a scan of many builds stays cheap.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_check.h"
#include "store_layout.h"
#include "utf8.h"
#include "xmalloc.h"

#define BC_ARCH_MAX	8

#if defined(__linux__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 30))
#define BC_HAVE_GETDENTS64 1
#endif

enum bc_type { BC_FILE, BC_DIR, BC_OTHER };

struct bc_entry {
	char *name;
	enum bc_type type;
	int used;		/* listed by an item, or an arch folder */
};

struct bc_list {
	struct bc_entry *ents;	/* sorted by name */
	size_t count;
};

struct bc_ctx {
	int dirfd;
	const char *build;
	const struct catalog *cat;
	struct diag *report;
	struct bc_list top;
	int archfd[BC_ARCH_MAX];	/* -1 when the build lacks the arch */
	struct bc_list arch[BC_ARCH_MAX];	/* their listings */
	unsigned archs;
	struct build_result *out;
};

static void __attribute__((format(printf, 4, 5)))
bc_report(struct bc_ctx *ctx, enum diag_severity sev, const char *rel, const char *fmt, ...)
{
	va_list ap;
	char *where, *msg;

	if (ctx->report == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	where = rel != NULL ? xasprintf("%s/%s", ctx->build, rel) : xstrdup(ctx->build);
	diag_add(ctx->report, sev, where, "%s", msg ? msg : "(out of memory)");
	free(where);
	free(msg);
}

static void bc_list_free(struct bc_list *);

static int
bc_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bc_entry *)a)->name, ((const struct bc_entry *)b)->name);
}

static enum bc_type
bc_entry_type(int dirfd, const char *name, unsigned char d_type)
{
	struct stat st;

	if (d_type == DT_REG)
		return BC_FILE;
	if (d_type == DT_DIR)
		return BC_DIR;
	if (d_type != DT_UNKNOWN && d_type != DT_LNK)
		return BC_OTHER;
	if (fstatat(dirfd, name, &st, 0) == -1)
		return BC_OTHER;
	return S_ISREG(st.st_mode) ? BC_FILE : S_ISDIR(st.st_mode) ? BC_DIR : BC_OTHER;
}

/* Names starting with '.' are never served: skipped. */
static void
bc_list_add(struct bc_list *list, size_t *alloc, int dirfd, const char *name,
    unsigned char d_type)
{
	if (name[0] == '.')
		return;
	if (list->count == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 16;
		list->ents = xreallocarray(list->ents, *alloc, sizeof(*list->ents));
	}
	list->ents[list->count].name = xstrdup(name);
	list->ents[list->count].type = bc_entry_type(dirfd, name, d_type);
	list->ents[list->count++].used = 0;
}

#ifdef BC_HAVE_GETDENTS64
/* getdents64(2) straight on the descriptor: a third of the system calls
 * of dup() + fdopendir() + readdir() + closedir(), which matters when a
 * scan lists three folders per build of 10,000 builds. */
static int
bc_list_fill(int dirfd, int rewind, struct bc_list *list, size_t *alloc)
{
	union {
		struct dirent64 align;
		char buf[32768];
	} u;
	struct dirent64 *de;
	ssize_t n;

	if (rewind && lseek(dirfd, 0, SEEK_SET) == -1)
		return -1;
	while ((n = getdents64(dirfd, u.buf, sizeof(u.buf))) > 0) {
		for (ssize_t off = 0; off < n; off += de->d_reclen) {
			de = (struct dirent64 *)(void *)(u.buf + off);
			bc_list_add(list, alloc, dirfd, de->d_name, de->d_type);
		}
	}
	return n == 0 ? 0 : -1;
}
#else
static int
bc_list_fill(int dirfd, int rewind, struct bc_list *list, size_t *alloc)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = dup(dirfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		bc_list_add(list, alloc, dirfd, de->d_name, de->d_type);
	closedir(d);
	return 0;
}
#endif

/* Lists dirfd, sorted by name; `rewind` unless dirfd was just opened. */
static int
bc_list_read(int dirfd, int rewind, struct bc_list *list)
{
	size_t alloc = 0;

	list->ents = NULL;
	list->count = 0;
	if (bc_list_fill(dirfd, rewind, list, &alloc) == -1) {
		bc_list_free(list);
		return -1;
	}
	if (list->count > 1)
		qsort(list->ents, list->count, sizeof(*list->ents), bc_entry_cmp);
	return 0;
}

static void
bc_list_free(struct bc_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->ents[i].name);
	free(list->ents);
	list->ents = NULL;
	list->count = 0;
}

static struct bc_entry *
bc_list_find(const struct bc_list *list, const char *name)
{
	struct bc_entry key = { (char *)name, BC_OTHER, 0 };

	if (list->count == 0)
		return NULL;
	return bsearch(&key, list->ents, list->count, sizeof(key), bc_entry_cmp);
}

const char *
build_name_refusal(const char *name, size_t len)
{
	if (len == 0)
		return "empty name";
	if (len > BUILD_NAME_MAX)
		return "name longer than 255 bytes";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f)
			return "control character in name";
	}
	if (!utf8_valid(name, len))
		return "name is not valid UTF-8";
	return NULL;
}

int
build_firmware_name(const char *name, char *model, size_t modelsz, int *is_boot)
{
	size_t len, pre, n;
	int boot;

	if (strncmp(name, "ip", 2) == 0)
		boot = 0, pre = 2;
	else if (strncmp(name, "boot", 4) == 0)
		boot = 1, pre = 4;
	else
		return 0;
	len = strlen(name);
	if (len <= pre + 4 || strcmp(name + len - 4, ".bin") != 0)
		return 0;
	n = len - pre - 4;
	for (size_t i = pre; i < pre + n; i++) {
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'z')))
			return 0;
	}
	if (model != NULL) {
		if (n >= modelsz)
			return 0;
		memcpy(model, name + pre, n);
		model[n] = '\0';
	}
	if (is_boot != NULL)
		*is_boot = boot;
	return 1;
}

int
build_release_allows_no_manifest(const char *release)
{
	unsigned long major, minor;

	catalog_release_version(release, &major, &minor);
	return major < 12 || (major == 12 && minor <= 2);
}

static struct build_item *
bc_item_add(struct bc_ctx *ctx, enum item_kind kind, const char *id)
{
	struct build_result *out = ctx->out;
	struct build_item *it;

	if ((out->count & (out->count - 1)) == 0)
		out->items = xreallocarray(out->items, out->count ? out->count * 2 : 1,
		    sizeof(*out->items));
	it = &out->items[out->count++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->id = xstrdup(id);
	it->complete = 1;
	return it;
}

/* Checks one regular, non-empty file; `rel` names it in reports. */
static int
bc_check_file(struct bc_ctx *ctx, int dirfd, const char *name, const char *rel,
    const char *manifest)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, 0) == -1) {
		bc_report(ctx, DIAG_WARNING, rel, "listed in %s but %s", manifest,
		    errno == ENOENT ? "missing" : strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		bc_report(ctx, DIAG_WARNING, rel, "listed in %s but not a regular file", manifest);
		return 0;
	}
	if (st.st_size == 0) {
		bc_report(ctx, DIAG_WARNING, rel, "listed in %s but empty", manifest);
		return 0;
	}
	return 1;
}

/* Top-level items (firmware, software): files beside the manifest. */
static void
bc_check_top(struct bc_ctx *ctx, struct build_item *it, const char *manifest)
{
	struct bc_entry *e;

	for (size_t i = 0; i < it->files.count; i++) {
		const char *name = it->files.names[i];

		if ((e = bc_list_find(&ctx->top, name)) != NULL)
			e->used = 1;
		if (!bc_check_file(ctx, ctx->dirfd, name, name, manifest))
			it->complete = 0;
	}
}

/* Warns about files in <arch>/<folder>/ that the manifest does not list. */
static void
bc_warn_unlisted_app(struct bc_ctx *ctx, int folderfd, const char *dir,
    const struct build_item *it, const char *manifest)
{
	struct bc_list list;
	char *rel;

	if (bc_list_read(folderfd, 0, &list) == -1)
		return;
	for (size_t i = 0; i < list.count; i++) {
		if (manifest_contains(&it->files, list.ents[i].name))
			continue;
		rel = xasprintf("%s/%s", dir, list.ents[i].name);
		bc_report(ctx, DIAG_WARNING, rel, "not listed in %s", manifest);
		free(rel);
	}
	bc_list_free(&list);
}

static void
bc_check_app_arch(struct bc_ctx *ctx, struct build_item *it, size_t a, const char *manifest)
{
	char *dir, *rel;
	int folderfd;

	dir = xasprintf("%s/%s", store_app_archs[a], it->folder);
	folderfd = openat(ctx->archfd[a], it->folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (folderfd == -1) {
		bc_report(ctx, DIAG_WARNING, dir, "missing: %s lists files for every "
		    "architecture folder of the build", manifest);
		it->complete = 0;
		free(dir);
		return;
	}
	for (size_t i = 0; i < it->files.count; i++) {
		rel = xasprintf("%s/%s", dir, it->files.names[i]);
		if (!bc_check_file(ctx, folderfd, it->files.names[i], rel, manifest))
			it->complete = 0;
		free(rel);
	}
	bc_warn_unlisted_app(ctx, folderfd, dir, it, manifest);
	close(folderfd);
	free(dir);
}

static void
bc_check_app(struct bc_ctx *ctx, struct build_item *it, const char *manifest)
{
	const char *folder = NULL;

	if (ctx->cat != NULL)
		folder = catalog_item_string(ctx->cat, ITEM_APP, it->id, "folder");
	it->folder = xstrdup(folder != NULL ? folder : it->id);
	it->archs = ctx->archs;
	if (ctx->archs == 0) {
		bc_report(ctx, DIAG_WARNING, manifest, "app without any architecture folder "
		    "(arm, arm64, x86_64)");
		it->complete = 0;
		return;
	}
	for (size_t a = 0; a < store_app_archs_count; a++) {
		if (ctx->archfd[a] != -1)
			bc_check_app_arch(ctx, it, a, manifest);
	}
}

static int
bc_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Devices: the catalog's, else "IP" + upper-case model of each ip*.bin. */
static void
bc_firmware_devices(struct bc_ctx *ctx, struct build_item *it)
{
	json_t *devs = NULL, *d;
	char model[64];
	size_t i, n = 0;
	int boot;

	if (ctx->cat != NULL)
		devs = json_object_get(catalog_item(ctx->cat, ITEM_FIRMWARE, it->id), "devices");
	it->devices = xcalloc(json_array_size(devs) + it->files.count + 1, sizeof(char *));
	json_array_foreach(devs, i, d)
		it->devices[n++] = xstrdup(json_string_value(d));
	for (i = 0; devs == NULL && i < it->files.count; i++) {
		if (!build_firmware_name(it->files.names[i], model, sizeof(model), &boot) || boot)
			continue;
		for (char *p = model; *p != '\0'; p++)
			*p = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
		it->devices[n++] = xasprintf("IP%s", model);
	}
	qsort(it->devices, n, sizeof(char *), bc_str_cmp);
	it->ndevices = 0;
	for (i = 0; i < n; i++) {
		if (it->ndevices > 0 && strcmp(it->devices[it->ndevices - 1], it->devices[i]) == 0)
			free(it->devices[i]);
		else
			it->devices[it->ndevices++] = it->devices[i];
	}
}

static int
bc_all_firmware_names(const struct manifest *m)
{
	for (size_t i = 0; i < m->count; i++) {
		if (!build_firmware_name(m->names[i], NULL, 0, NULL))
			return 0;
	}
	return 1;
}

/* Is the id's folder present under one of the build's arch folders? */
static int
bc_looks_like_app(struct bc_ctx *ctx, const char *id)
{
	const struct bc_entry *e;

	for (size_t a = 0; a < store_app_archs_count; a++) {
		if ((e = bc_list_find(&ctx->arch[a], id)) != NULL && e->type == BC_DIR)
			return 1;
	}
	return 0;
}

static enum item_kind
bc_kind(struct bc_ctx *ctx, const char *id, const struct manifest *m)
{
	enum item_kind kind;

	if (ctx->cat != NULL && catalog_item_kind(ctx->cat, id, &kind))
		return kind;
	if (bc_looks_like_app(ctx, id))
		return ITEM_APP;
	if (bc_all_firmware_names(m))
		return ITEM_FIRMWARE;
	return ITEM_SOFTWARE;
}

static void
bc_check_manifest(struct bc_ctx *ctx, const char *manifest, const char *id)
{
	struct build_item *it;
	struct manifest m;
	struct errbuf err;
	int lenient;

	if (manifest_read_tolerant(ctx->dirfd, manifest, &m, &lenient, &err) == -1) {
		size_t n = strlen(manifest);
		const char *msg = err.msg;

		/* manifest_read() names the file, which `where` already does */
		if (strncmp(msg, manifest, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
			msg += n + 2;
		bc_report(ctx, DIAG_ERROR, manifest, "%s", msg);
		if (!lenient)
			return;
	}
	it = bc_item_add(ctx, bc_kind(ctx, id, &m), id);
	it->files = m;
	it->has_manifest = 1;
	it->manifest_invalid = lenient;
	switch (it->kind) {
	case ITEM_APP:
		bc_check_app(ctx, it, manifest);
		break;
	case ITEM_FIRMWARE:
		bc_check_top(ctx, it, manifest);
		bc_firmware_devices(ctx, it);
		break;
	default:
		bc_check_top(ctx, it, manifest);
		break;
	}
}

static int
bc_has_item(struct bc_ctx *ctx, const char *id)
{
	for (size_t i = 0; i < ctx->out->count; i++) {
		if (strcmp(ctx->out->items[i].id, id) == 0)
			return 1;
	}
	return 0;
}

/* Forms the item "ip<model>" of a pair without manifest, when allowed. */
static void
bc_firmware_pair(struct bc_ctx *ctx, struct bc_entry *ip, struct bc_entry *boot,
    const char *model)
{
	const char *release = ctx->cat ? catalog_build_release(ctx->cat, ctx->build) : NULL;
	struct build_item *it;
	char *id = xasprintf("ip%s", model);

	ip->used = boot->used = 1;
	if (release != NULL && !build_release_allows_no_manifest(release))
		bc_report(ctx, DIAG_ERROR, ip->name, "firmware without a manifest %s_files; only "
		    "releases 12r2 and older may omit it (this build is %s)", id, release);
	else if (bc_has_item(ctx, id))
		bc_report(ctx, DIAG_ERROR, ip->name, "not listed in %s_files", id);
	else {
		it = bc_item_add(ctx, ITEM_FIRMWARE, id);
		it->files.names = xcalloc(2, sizeof(char *));
		it->files.names[0] = xstrdup(ip->name);
		it->files.names[1] = xstrdup(boot->name);
		it->files.count = 2;
		bc_check_top(ctx, it, "the default firmware files");
		bc_firmware_devices(ctx, it);
	}
	free(id);
}

/* Top-level ip<model>.bin files that no manifest lists. */
static void
bc_check_firmware_pairs(struct bc_ctx *ctx)
{
	struct bc_entry *e, *boot;
	char model[64], *bootname;
	int is_boot;

	for (size_t i = 0; i < ctx->top.count; i++) {
		e = &ctx->top.ents[i];
		if (e->used || e->type != BC_FILE ||
		    !build_firmware_name(e->name, model, sizeof(model), &is_boot) || is_boot)
			continue;
		bootname = xasprintf("boot%s.bin", model);
		boot = bc_list_find(&ctx->top, bootname);
		if (boot == NULL || boot->used || boot->type != BC_FILE) {
			e->used = 1;
			bc_report(ctx, DIAG_ERROR, e->name, "firmware image without a manifest "
			    "and without its boot code %s", bootname);
		} else
			bc_firmware_pair(ctx, e, boot, model);
		free(bootname);
	}
}

/* Software without a manifest: the catalog's binary at the top level. */
static void
bc_check_software_binaries(struct bc_ctx *ctx)
{
	json_t *sw = ctx->cat ? catalog_section(ctx->cat, ITEM_SOFTWARE) : NULL, *v;
	const char *id, *binary;
	struct build_item *it;
	struct bc_entry *e;

	json_object_foreach(sw, id, v) {
		binary = json_string_value(json_object_get(v, "binary"));
		if (binary == NULL || (e = bc_list_find(&ctx->top, binary)) == NULL ||
		    e->used || bc_has_item(ctx, id))
			continue;
		it = bc_item_add(ctx, ITEM_SOFTWARE, id);
		it->files.names = xcalloc(1, sizeof(char *));
		it->files.names[0] = xstrdup(binary);
		it->files.count = 1;
		bc_check_top(ctx, it, "the catalog's binary");
	}
}

/* Folders in <arch>/ that belong to no app of the build. */
static void
bc_warn_unlisted_arch(struct bc_ctx *ctx, size_t a)
{
	const struct bc_list *list = &ctx->arch[a];
	int owned;
	char *rel;

	for (size_t i = 0; i < list->count; i++) {
		owned = 0;
		for (size_t j = 0; j < ctx->out->count && !owned; j++) {
			const struct build_item *it = &ctx->out->items[j];

			owned = it->kind == ITEM_APP && strcmp(it->folder, list->ents[i].name) == 0;
		}
		if (owned)
			continue;
		rel = xasprintf("%s/%s", store_app_archs[a], list->ents[i].name);
		bc_report(ctx, DIAG_WARNING, rel, "not listed in any manifest");
		free(rel);
	}
}

static void
bc_warn_unlisted(struct bc_ctx *ctx)
{
	for (size_t i = 0; i < ctx->top.count; i++) {
		if (!ctx->top.ents[i].used)
			bc_report(ctx, DIAG_WARNING, ctx->top.ents[i].name,
			    "not listed in any manifest");
	}
	for (size_t a = 0; a < store_app_archs_count; a++) {
		if (ctx->archfd[a] != -1)
			bc_warn_unlisted_arch(ctx, a);
	}
}

static void
bc_open_archs(struct bc_ctx *ctx)
{
	struct bc_entry *e;

	for (size_t a = 0; a < store_app_archs_count; a++) {
		ctx->archfd[a] = -1;
		e = bc_list_find(&ctx->top, store_app_archs[a]);
		if (e == NULL || e->type != BC_DIR)
			continue;
		e->used = 1;
		ctx->archfd[a] = openat(ctx->dirfd, e->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ctx->archfd[a] == -1 || bc_list_read(ctx->archfd[a], 0, &ctx->arch[a]) == -1) {
			bc_report(ctx, DIAG_ERROR, e->name, "cannot read: %s", strerror(errno));
			if (ctx->archfd[a] != -1)
				close(ctx->archfd[a]);
			ctx->archfd[a] = -1;
		} else
			ctx->archs |= 1u << a;
	}
}

static int
bc_item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct build_item *)a)->id, ((const struct build_item *)b)->id);
}

int
build_check(int dirfd, const char *build, const struct catalog *cat,
    struct build_result *out, struct diag *report, struct errbuf *err)
{
	struct bc_ctx ctx;
	char id[128];

	memset(&ctx, 0, sizeof(ctx));
	ctx.dirfd = dirfd;
	ctx.build = build;
	ctx.cat = cat;
	ctx.report = report;
	ctx.out = out;
	out->build = xstrdup(build);
	out->items = NULL;
	out->count = 0;
	if (bc_list_read(dirfd, 1, &ctx.top) == -1)
		return errbuf_set_errno(err, "%s", build);
	bc_open_archs(&ctx);
	for (size_t i = 0; i < ctx.top.count; i++) {
		if (!manifest_name_to_id(ctx.top.ents[i].name, id, sizeof(id)))
			continue;
		ctx.top.ents[i].used = 1;
		bc_check_manifest(&ctx, ctx.top.ents[i].name, id);
	}
	bc_check_firmware_pairs(&ctx);
	bc_check_software_binaries(&ctx);
	bc_warn_unlisted(&ctx);
	for (size_t a = 0; a < store_app_archs_count; a++) {
		if (ctx.archfd[a] != -1)
			close(ctx.archfd[a]);
		bc_list_free(&ctx.arch[a]);
	}
	bc_list_free(&ctx.top);
	if (out->count > 1)
		qsort(out->items, out->count, sizeof(*out->items), bc_item_cmp);
	return 0;
}

void
build_result_free(struct build_result *res)
{
	if (res == NULL)
		return;
	for (size_t i = 0; i < res->count; i++) {
		struct build_item *it = &res->items[i];

		free(it->id);
		free(it->folder);
		manifest_free(&it->files);
		for (size_t j = 0; j < it->ndevices; j++)
			free(it->devices[j]);
		free(it->devices);
	}
	free(res->items);
	free(res->build);
	res->items = NULL;
	res->count = 0;
	res->build = NULL;
}

const struct build_item *
build_result_find(const struct build_result *res, const char *id)
{
	for (size_t i = 0; i < res->count; i++) {
		if (strcmp(res->items[i].id, id) == 0)
			return &res->items[i];
	}
	return NULL;
}
