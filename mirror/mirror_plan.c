/*
 * mirror_plan: the builds and paths a cascading store fetches from an
 * upstream's indexes (mirror_plan.h has the contract; docs/DESIGN.md,
 * "mirror: what a cascading store fetches", the rules).
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "build_check.h"
#include "catalog.h"
#include "errbuf.h"
#include "manifest.h"
#include "mirror_plan.h"
#include "store_layout.h"
#include "url_path.h"
#include "xmalloc.h"

#define PLAN_GLOB_MAX	256

struct plan_ctx {
	struct mirror_plan *plan;
	const struct mirror_selection *sel;
	unsigned archs;
	struct diag *d;
	int over;		/* a limit was crossed */
};

/* --- selection --- */

/* Calls fn for each comma-separated pattern of list; stops at a nonzero
 * return and returns it.  Patterns empty or too long give -1. */
static int
plan_glob_each(const char *list, int (*fn)(const char *pat, void *arg), void *arg)
{
	char pat[PLAN_GLOB_MAX];
	const char *s = list, *comma;
	size_t n;
	int r;

	for (;;) {
		comma = strchr(s, ',');
		n = comma ? (size_t)(comma - s) : strlen(s);
		if (n == 0 || n >= sizeof(pat))
			return -1;
		memcpy(pat, s, n);
		pat[n] = '\0';
		if ((r = fn(pat, arg)) != 0)
			return r;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

static int
plan_glob_one(const char *pat, void *arg)
{
	return fnmatch(pat, (const char *)arg, 0) == 0 ? 1 : 0;
}

static int
plan_glob_none(const char *pat, void *arg)
{
	return 0;
}

/* Does `name` match one of the globs of `list` (NULL or "": all)? */
static int
plan_glob_match(const char *list, const char *name)
{
	if (list == NULL || *list == '\0')
		return 1;
	return plan_glob_each(list, plan_glob_one, (void *)name) == 1;
}

static int
plan_arch_one(const char *name, void *arg)
{
	unsigned *mask = arg;

	for (size_t i = 0; i < store_app_archs_count; i++)
		if (strcmp(name, store_app_archs[i]) == 0) {
			*mask |= 1u << i;
			return 0;
		}
	return -1;
}

/* Checks the selection; sets ctx->archs.  0 or -1 (reported). */
static int
plan_selection_check(struct plan_ctx *ctx)
{
	const struct mirror_selection *sel = ctx->sel;
	const char *lists[2] = { sel->ids, sel->devices };
	static const char *const names[2] = { "ids", "devices" };

	for (size_t i = 0; i < 2; i++)
		if (lists[i] != NULL && *lists[i] != '\0' &&
		    plan_glob_each(lists[i], plan_glob_none, NULL) != 0) {
			diag_add(ctx->d, DIAG_ERROR, "selection", "%s \"%s\": empty or over-long "
			    "pattern", names[i], lists[i]);
			return -1;
		}
	if (sel->min_release != NULL && !store_release_id_valid(sel->min_release)) {
		diag_add(ctx->d, DIAG_ERROR, "selection", "release \"%s\": not a release id",
		    sel->min_release);
		return -1;
	}
	ctx->archs = 0;
	if (sel->archs == NULL || *sel->archs == '\0')
		ctx->archs = (1u << store_app_archs_count) - 1;
	else if (plan_glob_each(sel->archs, plan_arch_one, &ctx->archs) != 0) {
		diag_add(ctx->d, DIAG_ERROR, "selection", "architectures \"%s\": expected a "
		    "comma-separated list of arm, arm64, x86_64", sel->archs);
		return -1;
	}
	return 0;
}

static int
plan_release_selected(const struct plan_ctx *ctx, const char *release)
{
	return ctx->sel->min_release == NULL ||
	    catalog_release_cmp(release, ctx->sel->min_release) >= 0;
}

static int
plan_kind_selected(const struct plan_ctx *ctx, enum index_kind kind)
{
	return ctx->sel->kinds == 0 || (ctx->sel->kinds & MIRROR_KIND_BIT(kind)) != 0;
}

/* --- paths --- */

/* Is `path` a safe relative path: what url_path_canonicalize() accepts
 * unchanged once a '/' is put in front, and not a folder? */
static int
plan_path_safe(const char *path)
{
	char in[URL_PATH_MAX + 2], out[URL_PATH_MAX + 1];
	size_t n = strlen(path);

	if (n == 0 || n > URL_PATH_MAX - 1 || path[n - 1] == '/')
		return 0;
	in[0] = '/';
	memcpy(in + 1, path, n + 1);
	return url_path_canonicalize(in, out, sizeof(out)) == URL_PATH_OK &&
	    strcmp(out, path) == 0;
}

/* A single safe path segment (a folder name). */
static int
plan_segment_safe(const char *name)
{
	return strchr(name, '/') == NULL && plan_path_safe(name);
}

/* --- plan building --- */

static void
plan_build_clear(struct mirror_build *b)
{
	free(b->id);
	free(b->release);
	free(b->build);
	free(b->folder);
	free(b->manifest);
	free(b->binary);
	for (size_t i = 0; i < b->nfiles; i++)
		free(b->files[i].path);
	free(b->files);
}

/* Has the plan a manifest build of (kind, id, build) already? */
static int
plan_has_build(const struct mirror_plan *p, enum index_kind kind, const char *id,
    const char *build)
{
	for (size_t i = 0; i < p->nbuilds; i++) {
		const struct mirror_build *b = &p->builds[i];

		if (b->kind == kind && b->build != NULL && strcmp(b->id, id) == 0 &&
		    strcmp(b->build, build) == 0)
			return 1;
	}
	return 0;
}

/* Appends a build (strings copied); NULL when a limit is crossed. */
static struct mirror_build *
plan_build_add(struct plan_ctx *ctx, enum index_kind kind, const char *id,
    const char *release, const char *build)
{
	struct mirror_plan *p = ctx->plan;
	struct mirror_build *b;

	if (p->nbuilds >= p->lim.max_builds) {
		if (!ctx->over)
			diag_add(ctx->d, DIAG_ERROR, index_kind_file(kind), "more than %zu builds "
			    "to mirror; plan refused", p->lim.max_builds);
		ctx->over = 1;
		return NULL;
	}
	p->builds = xreallocarray(p->builds, p->nbuilds + 1, sizeof(*p->builds));
	b = &p->builds[p->nbuilds++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->id = xstrdup(id);
	b->release = release ? xstrdup(release) : NULL;
	b->build = build ? xstrdup(build) : NULL;
	return b;
}

/* Counts n more paths against the limit; 0 or -1 (reported). */
static int
plan_count_files(struct mirror_plan *p, size_t n, const char *where, struct diag *d)
{
	if (n > p->lim.max_files || p->nfiles > p->lim.max_files - n) {
		diag_add(d, DIAG_ERROR, where, "more than %zu files to mirror", p->lim.max_files);
		return -1;
	}
	p->nfiles += n;
	return 0;
}

/* A manifest build of an app, software or firmware item. */
static struct mirror_build *
plan_manifest_build(struct plan_ctx *ctx, enum index_kind kind, const char *id,
    const char *release, const char *build)
{
	struct mirror_build *b;

	if (plan_has_build(ctx->plan, kind, id, build))
		return NULL;
	if (plan_count_files(ctx->plan, 1, index_kind_file(kind), ctx->d) != 0) {
		ctx->over = 1;
		return NULL;
	}
	if ((b = plan_build_add(ctx, kind, id, release, build)) == NULL)
		return NULL;
	b->manifest = xasprintf("%s/%s%s", build, id, STORE_MANIFEST_SUFFIX);
	b->manifest_pending = 1;
	return b;
}

/* The folder of an app entry ("folder", by default the id), or NULL when
 * unsafe (reported). */
static const char *
plan_app_folder(struct plan_ctx *ctx, const struct index_item *it, size_t i)
{
	json_t *f = json_object_get(it->fields, "folder");
	const char *folder = json_is_string(f) ? json_string_value(f) : it->id;

	if (!plan_segment_safe(folder)) {
		diag_add(ctx->d, DIAG_ERROR, "apps.json", "apps[%zu] (%s).folder: unsafe path "
		    "\"%s\"; entry left out", i, it->id, folder);
		return NULL;
	}
	return folder;
}

/* The "binary" of a software entry when it is one safe name, else NULL
 * (the build then needs its manifest). */
static const char *
plan_software_binary(const struct index_item *it)
{
	json_t *f = json_object_get(it->fields, "binary");

	if (!json_is_string(f) || !plan_segment_safe(json_string_value(f)))
		return NULL;
	return json_string_value(f);
}

/* apps.json and software.json: one manifest build per selected version. */
static void
plan_items(struct plan_ctx *ctx, const struct index_doc *doc)
{
	for (size_t i = 0; i < doc->nitems && !ctx->over; i++) {
		const struct index_item *it = &doc->items[i];
		const char *folder = NULL, *binary = NULL;

		if (!plan_glob_match(ctx->sel->ids, it->id))
			continue;
		if (doc->kind == INDEX_APPS && (folder = plan_app_folder(ctx, it, i)) == NULL)
			continue;
		if (doc->kind == INDEX_SOFTWARE)
			binary = plan_software_binary(it);
		for (size_t j = 0; j < it->nversions && !ctx->over; j++) {
			const struct index_version *v = &it->versions[j];
			struct mirror_build *b;

			if (!plan_release_selected(ctx, v->release))
				continue;
			b = plan_manifest_build(ctx, doc->kind, it->id, v->release, v->build);
			if (b != NULL && folder != NULL) {
				b->folder = xstrdup(folder);
				b->archs = ctx->archs;
			}
			if (b != NULL && binary != NULL) {
				b->binary = xstrdup(binary);
				b->manifest_optional = 1;
			}
		}
	}
}

/* The item id of a firmware device ("IP0013" -> "ip0013"), or NULL. */
static char *
plan_device_item(const char *device)
{
	char *id;

	if (strncmp(device, "IP", 2) != 0 || device[2] == '\0' || strlen(device) > 64)
		return NULL;
	id = xasprintf("ip%s", device + 2);
	for (char *s = id + 2; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	if (!store_item_id_valid(id)) {
		free(id);
		return NULL;
	}
	return id;
}

static int
plan_device_offers(const struct index_device *dev, const char *release)
{
	for (size_t i = 0; i < dev->nnames; i++)
		if (strcmp(dev->names[i], release) == 0)
			return 1;
	return 0;
}

/* firmware.json: for each selected release, one manifest build per
 * selected device offered it. */
static void
plan_firmware(struct plan_ctx *ctx, const struct index_doc *doc)
{
	char **items = xcalloc(doc->ndevices + 1, sizeof(*items));

	for (size_t i = 0; i < doc->ndevices; i++) {
		const char *dev = doc->devices[i].id;

		if (!plan_glob_match(ctx->sel->devices, dev))
			continue;
		if ((items[i] = plan_device_item(dev)) == NULL)
			diag_add(ctx->d, DIAG_ERROR, "firmware.json", "devices[%zu] (%s).id: not a "
			    "device id IP<model> giving a safe name; entry left out", i, dev);
	}
	for (size_t j = 0; j < doc->nversions && !ctx->over; j++) {
		const struct index_version *v = &doc->versions[j];

		if (!plan_release_selected(ctx, v->release))
			continue;
		for (size_t i = 0; i < doc->ndevices && !ctx->over; i++) {
			struct mirror_build *b;

			if (items[i] == NULL || !plan_device_offers(&doc->devices[i], v->release))
				continue;
			b = plan_manifest_build(ctx, INDEX_FIRMWARE, items[i], v->release, v->build);
			if (b != NULL)
				b->manifest_optional = build_release_allows_no_manifest(v->release);
		}
	}
	for (size_t i = 0; i < doc->ndevices; i++)
		free(items[i]);
	free(items);
}

/* Is `path` a file of an earlier platform entry? */
static int
plan_has_platform_file(const struct mirror_plan *p, const char *path)
{
	for (size_t i = 0; i < p->nbuilds; i++)
		if (p->builds[i].manifest == NULL)
			for (size_t j = 0; j < p->builds[i].nfiles; j++)
				if (strcmp(p->builds[i].files[j].path, path) == 0)
					return 1;
	return 0;
}

/* Every file of a platform entry is safe?  Reports the first that is not. */
static int
plan_platform_safe(struct plan_ctx *ctx, const struct index_doc *doc, size_t i)
{
	const struct index_platform *pl = &doc->platforms[i];

	for (size_t k = 0; k < pl->nfiles; k++)
		if (!plan_path_safe(pl->files[k].path)) {
			diag_add(ctx->d, DIAG_ERROR, index_kind_file(doc->kind), "platforms[%zu] "
			    "(%s).%s: unsafe path \"%s\"; entry left out", i, pl->id,
			    pl->files[k].role, pl->files[k].path);
			return 0;
		}
	return 1;
}

/* linux.json and phoneplatform.json: each selected entry's files. */
static void
plan_platforms(struct plan_ctx *ctx, const struct index_doc *doc)
{
	for (size_t i = 0; i < doc->nplatforms && !ctx->over; i++) {
		const struct index_platform *pl = &doc->platforms[i];
		struct mirror_build *b;

		if (!plan_glob_match(ctx->sel->ids, pl->id) || !plan_platform_safe(ctx, doc, i))
			continue;
		if ((b = plan_build_add(ctx, doc->kind, pl->id, NULL, pl->version)) == NULL)
			return;
		b->files = xcalloc(pl->nfiles + 1, sizeof(*b->files));
		for (size_t k = 0; k < pl->nfiles; k++) {
			if (plan_has_platform_file(ctx->plan, pl->files[k].path))
				continue;
			if (plan_count_files(ctx->plan, 1, index_kind_file(doc->kind), ctx->d) != 0) {
				ctx->over = 1;
				return;
			}
			b->files[b->nfiles].path = xstrdup(pl->files[k].path);
			b->files[b->nfiles++].arch = -1;
		}
	}
}

int
mirror_plan_create(const struct index_doc *const docs[INDEX_KIND_COUNT],
    const struct mirror_selection *sel, const struct mirror_limits *lim,
    struct mirror_plan **out, struct diag *d)
{
	static const struct mirror_selection all;
	struct plan_ctx ctx = { .sel = sel ? sel : &all, .d = d };
	static const enum index_kind order[] = { INDEX_APPS, INDEX_SOFTWARE, INDEX_FIRMWARE,
	    INDEX_LINUX, INDEX_PHONEPLATFORM };
	int rc = -1;

	*out = NULL;
	ctx.plan = xcalloc(1, sizeof(*ctx.plan));
	ctx.plan->lim.max_builds = lim && lim->max_builds ? lim->max_builds :
	    MIRROR_DEFAULT_MAX_BUILDS;
	ctx.plan->lim.max_files = lim && lim->max_files ? lim->max_files :
	    MIRROR_DEFAULT_MAX_FILES;
	if (plan_selection_check(&ctx) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && !ctx.over; i++) {
		const struct index_doc *doc = docs[order[i]];

		if (doc == NULL || doc->kind != order[i] || !plan_kind_selected(&ctx, order[i]))
			continue;
		if (order[i] == INDEX_APPS || order[i] == INDEX_SOFTWARE)
			plan_items(&ctx, doc);
		else if (order[i] == INDEX_FIRMWARE)
			plan_firmware(&ctx, doc);
		else
			plan_platforms(&ctx, doc);
	}
	if (ctx.over)
		goto out;
	*out = ctx.plan;
	ctx.plan = NULL;
	rc = 0;
out:
	mirror_plan_free(ctx.plan);
	return rc;
}

/* --- manifests --- */

/* The file names of b: from the manifest text, or the ip/boot pair. */
static int
plan_expand_names(const struct mirror_build *b, const char *text, size_t len,
    struct manifest *m, struct diag *d)
{
	struct errbuf err;
	const char *model;

	if (text != NULL) {
		if (manifest_parse(text, len, m, &err) == 0)
			return 0;
		diag_add(d, DIAG_ERROR, b->manifest, "%s", err.msg);
		return -1;
	}
	if (b->manifest_optional && b->kind == INDEX_SOFTWARE && b->binary != NULL) {
		m->names = xcalloc(1, sizeof(*m->names));
		m->names[0] = xstrdup(b->binary);
		m->count = 1;
		return 0;
	}
	if (!b->manifest_optional || b->kind != INDEX_FIRMWARE) {
		diag_add(d, DIAG_ERROR, b->manifest, "missing upstream; only firmware of 12r2 "
		    "and older and software naming its binary may omit the manifest");
		return -1;
	}
	model = b->id + 2;	/* "ip<model>" */
	m->names = xcalloc(2, sizeof(*m->names));
	m->names[0] = xasprintf("ip%s.bin", model);
	m->names[1] = xasprintf("boot%s.bin", model);
	m->count = 2;
	return 0;
}

/* The paths of the names: per architecture for apps, else at the top. */
static struct mirror_file *
plan_expand_paths(const struct mirror_build *b, const struct manifest *m, size_t *n)
{
	struct mirror_file *files = xcalloc(m->count * store_app_archs_count + 1, sizeof(*files));

	*n = 0;
	for (size_t a = 0; a < store_app_archs_count; a++) {
		if (b->kind != INDEX_APPS)
			break;
		if ((b->archs & (1u << a)) == 0)
			continue;
		for (size_t i = 0; i < m->count; i++) {
			files[*n].path = xasprintf("%s/%s/%s/%s", b->build, store_app_archs[a],
			    b->folder, m->names[i]);
			files[(*n)++].arch = (int)a;
		}
	}
	for (size_t i = 0; b->kind != INDEX_APPS && i < m->count; i++) {
		files[*n].path = xasprintf("%s/%s", b->build, m->names[i]);
		files[(*n)++].arch = -1;
	}
	return files;
}

int
mirror_build_expand(struct mirror_plan *plan, struct mirror_build *b, const char *text,
    size_t len, struct diag *d)
{
	struct manifest m = { 0 };
	struct mirror_file *files = NULL;
	size_t n = 0;
	int rc = -1;

	if (!b->manifest_pending || b->manifest == NULL) {
		diag_add(d, DIAG_ERROR, b->manifest ? b->manifest : b->id, "no manifest pending");
		return -1;
	}
	if (plan_expand_names(b, text, len, &m, d) != 0)
		goto out;
	files = plan_expand_paths(b, &m, &n);
	for (size_t i = 0; i < n; i++)
		if (!plan_path_safe(files[i].path)) {
			diag_add(d, DIAG_ERROR, b->manifest, "unsafe path \"%s\"", files[i].path);
			goto out;
		}
	if (plan != NULL && plan_count_files(plan, n, b->manifest, d) != 0)
		goto out;
	b->files = files;
	b->nfiles = n;
	b->manifest_pending = 0;
	files = NULL;
	n = 0;
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(files[i].path);
	free(files);
	manifest_free(&m);
	return rc;
}

void
mirror_build_unexpand(struct mirror_plan *plan, struct mirror_build *b)
{
	if (b->manifest == NULL || b->manifest_pending)
		return;
	if (plan != NULL)
		plan->nfiles -= b->nfiles < plan->nfiles ? b->nfiles : plan->nfiles;
	for (size_t i = 0; i < b->nfiles; i++)
		free(b->files[i].path);
	free(b->files);
	b->files = NULL;
	b->nfiles = 0;
	b->manifest_pending = 1;
}

void
mirror_plan_free(struct mirror_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->nbuilds; i++)
		plan_build_clear(&plan->builds[i]);
	free(plan->builds);
	free(plan);
}
