/*
 * fw_devices: refuse changes that drop devices from a release of
 * firmware.json; see fw_devices.h.
 *
 * Per release the run touches: the release's builds (published ones and the
 * run's), newest first, each seen before and after the run.  The release's
 * build is the newest whose folder holds complete firmware (as the index
 * picks it); only those few folders are checked, with build_check().
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_check.h"
#include "fw_devices.h"
#include "source.h"
#include "store_layout.h"
#include "xmalloc.h"

enum fw_when { FW_BEFORE, FW_AFTER };

/* The firmware of one folder, read once when first needed. */
struct fw_view {
	int checked;
	int has_firmware;	/* a complete firmware item */
	char **devices;		/* sorted, unique; owned */
	size_t ndevices;
};

/* One build of a release: published, brought by the run, or both. */
struct fw_build {
	const char *name;
	unsigned long number;
	int published;
	const struct fw_change *change;	/* NULL: the run leaves it alone */
	struct fw_view view[2];		/* an unchanged build uses view[FW_BEFORE] only */
};

struct fw_release {
	int dlfd;
	const struct catalog *cat;
	const char *release;
	struct fw_build *builds;	/* newest first */
	size_t count;
};

static int
fw_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
fw_has(char *const *v, size_t n, const char *s)
{
	return n > 0 && bsearch(&s, v, n, sizeof(*v), fw_str_cmp) != NULL;
}

/* Reads the complete firmware items of the folder fd and their devices. */
static int
fw_view_read(struct fw_view *v, int fd, const char *build, const struct catalog *cat,
    struct errbuf *err)
{
	struct build_result res;
	size_t n = 0;

	if (build_check(fd, build, cat, &res, NULL, err) == -1)
		return -1;
	for (size_t i = 0; i < res.count; i++) {
		const struct build_item *it = &res.items[i];

		if (it->kind != ITEM_FIRMWARE || !it->complete || it->manifest_invalid)
			continue;
		v->has_firmware = 1;
		v->devices = xreallocarray(v->devices, v->ndevices + it->ndevices + 1,
		    sizeof(*v->devices));
		for (size_t d = 0; d < it->ndevices; d++)
			v->devices[v->ndevices++] = xstrdup(it->devices[d]);
	}
	if (v->ndevices > 1)
		qsort(v->devices, v->ndevices, sizeof(*v->devices), fw_str_cmp);
	for (size_t i = 0; i < v->ndevices; i++) {
		if (n > 0 && strcmp(v->devices[n - 1], v->devices[i]) == 0)
			free(v->devices[i]);
		else
			v->devices[n++] = v->devices[i];
	}
	v->ndevices = n;
	build_result_free(&res);
	return 0;
}

/* The view of builds[i] before or after the run: NULL when the build does
 * not exist then (or could not be read: *rc = -1). */
static struct fw_view *
fw_view_get(struct fw_release *r, size_t i, enum fw_when when, int *rc, struct errbuf *err)
{
	struct fw_build *b = &r->builds[i];
	int use_change = when == FW_AFTER && b->change != NULL;
	struct fw_view *v = &b->view[use_change ? FW_AFTER : FW_BEFORE];
	int fd;

	if (!use_change && !b->published)
		return NULL;
	if (!v->checked) {
		v->checked = 1;
		fd = use_change ? b->change->fd :
		    openat(r->dlfd, b->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -1)
			*rc = errbuf_set_errno(err, "%s", b->name);
		else if (fw_view_read(v, fd, b->name, r->cat, err) == -1)
			*rc = -1;
		if (!use_change && fd != -1)
			close(fd);
	}
	return *rc == 0 ? v : NULL;
}

/* The index of the release's firmware build at or below builds[from]
 * (before or after the run), or -1. */
static long
fw_listed(struct fw_release *r, size_t from, enum fw_when when, int *rc, struct errbuf *err)
{
	for (size_t i = from; i < r->count && *rc == 0; i++) {
		struct fw_view *v = fw_view_get(r, i, when, rc, err);

		if (v != NULL && v->has_firmware)
			return (long)i;
	}
	return -1;
}

/* Adds to *missing the devices of `ref` that `now` lacks (once each). */
static void
fw_missing(const struct fw_view *ref, const struct fw_view *now, char ***missing, size_t *n)
{
	for (size_t i = 0; ref != NULL && i < ref->ndevices; i++) {
		const char *dev = ref->devices[i];
		int dup = 0;

		for (size_t j = 0; j < *n && !dup; j++)
			dup = strcmp((*missing)[j], dev) == 0;
		if (dup || (now != NULL && fw_has(now->devices, now->ndevices, dev)))
			continue;
		*missing = xreallocarray(*missing, *n + 1, sizeof(**missing));
		(*missing)[(*n)++] = ref->devices[i];
	}
}

static char *
fw_join(char *const *v, size_t n)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 2;
	s = xcalloc(1, len);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ", ");
		strcat(s, v[i]);
	}
	return s;
}

static void
fw_report(const struct fw_release *r, long after, const char *holder, char *const *missing,
    size_t n, const char *hint, struct diag *d)
{
	char *devs = fw_join(missing, n);
	const char *where = r->builds[0].name;

	for (size_t i = 0; after == -1 && i < r->count; i++) {
		if (r->builds[i].change != NULL) {
			where = r->builds[i].name;
			break;
		}
	}
	if (after != -1 && strcmp(holder, r->builds[after].name) == 0)
		diag_add(d, DIAG_ERROR, holder, "firmware build %s drops %s from release %s "
		    "(the published %s covers them)%s", holder, devs, r->release, holder, hint);
	else if (after != -1)
		diag_add(d, DIAG_ERROR, r->builds[after].name, "firmware build %s drops %s "
		    "from release %s (its previous firmware build %s covers them; %s would "
		    "replace it in firmware.json)%s", r->builds[after].name, devs, r->release,
		    holder, r->builds[after].name, hint);
	else
		diag_add(d, DIAG_ERROR, where, "release %s would have no firmware build left: "
		    "firmware.json would drop %s (held by %s) from it%s", r->release, devs, holder,
		    hint);
	free(devs);
}

/* Only a build of the run holding firmware, or replacing one that does, can
 * change the release's firmware build (so app-only releases cost nothing). */
static int
fw_release_touched(struct fw_release *r, int *rc, struct errbuf *err)
{
	const struct fw_view *v;

	for (size_t i = 0; i < r->count && *rc == 0; i++) {
		if (r->builds[i].change == NULL)
			continue;
		if ((v = fw_view_get(r, i, FW_AFTER, rc, err)) != NULL && v->has_firmware)
			return 1;
		if ((v = fw_view_get(r, i, FW_BEFORE, rc, err)) != NULL && v->has_firmware)
			return 1;
	}
	return 0;
}

/* Compares the release's firmware build after the run with the one before
 * and, when the run brings it, with the one just below it. */
static int
fw_release_check(struct fw_release *r, const char *hint, struct diag *d, struct errbuf *err)
{
	const struct fw_view *now = NULL, *refs[2] = { NULL, NULL };
	const char *holders[2] = { NULL, NULL };
	char **missing = NULL;
	size_t n = 0, first;
	long after, before, below = -1;
	int rc = 0;

	if (!fw_release_touched(r, &rc, err))
		return rc;
	after = fw_listed(r, 0, FW_AFTER, &rc, err);
	before = fw_listed(r, 0, FW_BEFORE, &rc, err);
	if (rc == 0 && after != -1) {
		now = fw_view_get(r, (size_t)after, FW_AFTER, &rc, err);
		if (r->builds[after].change != NULL)
			below = fw_listed(r, (size_t)after + 1, FW_AFTER, &rc, err);
	}
	if (rc == 0 && before != -1) {
		refs[0] = fw_view_get(r, (size_t)before, FW_BEFORE, &rc, err);
		holders[0] = r->builds[before].name;
	}
	if (rc == 0 && below != -1) {
		refs[1] = fw_view_get(r, (size_t)below, FW_AFTER, &rc, err);
		holders[1] = r->builds[below].name;
	}
	if (rc == -1)
		return -1;
	fw_missing(refs[0], now, &missing, &n);
	first = n;
	fw_missing(refs[1], now, &missing, &n);
	if (n > 0)
		fw_report(r, after, holders[first > 0 ? 0 : 1], missing, n, hint, d);
	free(missing);
	return 0;
}

static int
fw_build_newest(const void *a, const void *b)
{
	unsigned long x = ((const struct fw_build *)a)->number;
	unsigned long y = ((const struct fw_build *)b)->number;

	return x > y ? -1 : x < y;
}

static struct fw_build *
fw_release_append(struct fw_release *r, const char *name)
{
	struct fw_build *b;

	r->builds = xreallocarray(r->builds, r->count + 1, sizeof(*r->builds));
	b = &r->builds[r->count++];
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->number = strtoul(name, NULL, 10);
	return b;
}

/* The build `name` of the release, added when new. */
static struct fw_build *
fw_release_find(struct fw_release *r, const char *name)
{
	for (size_t i = 0; i < r->count; i++) {
		if (strcmp(r->builds[i].name, name) == 0)
			return &r->builds[i];
	}
	return fw_release_append(r, name);
}

/* The published and changed builds of r->release, newest first. */
static void
fw_release_collect(struct fw_release *r, char *const *names, size_t nnames,
    const struct fw_change *changes, size_t n)
{
	const char *rel;
	struct stat st;

	for (size_t i = 0; i < nnames; i++) {
		if (store_build_name_valid(names[i]) &&
		    (rel = catalog_build_release(r->cat, names[i])) != NULL &&
		    strcmp(rel, r->release) == 0 &&
		    fstatat(r->dlfd, names[i], &st, 0) == 0 && S_ISDIR(st.st_mode))
			fw_release_append(r, names[i])->published = 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct fw_build *b;

		if ((rel = catalog_build_release(r->cat, changes[i].build)) == NULL ||
		    strcmp(rel, r->release) != 0)
			continue;
		b = fw_release_find(r, changes[i].build);
		if (b->change == NULL)
			b->change = &changes[i];
	}
	if (r->count > 1)
		qsort(r->builds, r->count, sizeof(*r->builds), fw_build_newest);
}

static void
fw_release_free(struct fw_release *r)
{
	for (size_t i = 0; i < r->count; i++) {
		for (size_t w = 0; w < 2; w++) {
			for (size_t j = 0; j < r->builds[i].view[w].ndevices; j++)
				free(r->builds[i].view[w].devices[j]);
			free(r->builds[i].view[w].devices);
		}
	}
	free(r->builds);
}

/* Is the release of changes[i] the release of an earlier change? */
static int
fw_release_seen(const struct catalog *cat, const struct fw_change *changes, size_t i)
{
	const char *rel = catalog_build_release(cat, changes[i].build);

	for (size_t j = 0; j < i; j++) {
		const char *other = catalog_build_release(cat, changes[j].build);

		if (other != NULL && strcmp(other, rel) == 0)
			return 1;
	}
	return 0;
}

int
fw_devices_check(int dlfd, const struct catalog *cat, const struct fw_change *changes,
    size_t n, const char *hint, struct diag *d, struct errbuf *err)
{
	size_t nnames;
	char **names;
	int rc = 0;

	if (source_dir_list(dlfd, &names, &nnames) == -1)
		return errbuf_set_errno(err, "download: read folder");

	for (size_t i = 0; i < n && rc == 0; i++) {
		struct fw_release r = { dlfd, cat, NULL, NULL, 0 };

		r.release = catalog_build_release(cat, changes[i].build);
		if (r.release == NULL || fw_release_seen(cat, changes, i))
			continue;
		fw_release_collect(&r, names, nnames, changes, n);
		rc = fw_release_check(&r, hint, d, err);
		fw_release_free(&r);
	}
	source_names_free(names, nnames);
	return rc;
}
