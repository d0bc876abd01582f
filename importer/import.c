/*
 * import: the publish and check commands; see import.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "copy_hash.h"
#include "descriptor.h"
#include "fw_devices.h"
#include "housekeeping.h"
#include "import.h"
#include "manifest.h"
#include "publish.h"
#include "source.h"
#include "store_layout.h"
#include "validate.h"
#include "xmalloc.h"

struct import {
	const struct imp_opts *o;
	struct report *r;
	struct chan chan;
	int have_chan;
	struct txn *txn;
	char *tmpdir;		/* check: archives are extracted here */
	int stagefd;		/* txn in/ or tmpdir */
	struct catalog *cat;
	struct descriptor desc;	/* --descriptor */
	int kind;		/* --kind, else the descriptor's kind */
	struct unit_list ul;
	struct hashlist hl;
	struct errbuf err;
};

static int
import_fail(struct import *im, int status)
{
	report_error(im->r, im->err.msg);
	return status;
}

struct catalog *
import_adopt_channel(const struct chan *c, struct diag *d)
{
	struct catalog *cat = catalog_create();
	struct unit_list ul = { 0 };
	struct diag *scan = diag_create();
	char *rel = xasprintf("%s/%s", c->channel, STORE_DOWNLOAD_DIR);

	source_scan(c->dlfd, rel, STORE_DOWNLOAD_DIR, NULL, KIND_NONE, &ul, scan);
	for (size_t i = 0; i < ul.ntrees; i++)
		adopt_tree(&ul.trees[i], (int)i, &ul, cat, d);
	unit_list_free(&ul);
	diag_free(scan);
	free(rel);
	return cat;
}

static int
import_open(struct import *im)
{
	const struct imp_opts *o = im->o;
	char *path;
	int rc;

	if (!o->dry_run) {
		if (chan_open(&im->chan, o->root, o->channel,
		    o->create_channel ? CHAN_CREATE : CHAN_CREATE_FIRST, &im->err) == -1)
			return -1;
		im->have_chan = 1;
		if (publish_recover(&im->chan, im->r->diag, &im->err) == -1 ||
		    housekeeping_purge(&im->chan, im->r, &im->err) == -1 ||
		    catalog_load_at(im->chan.chanfd, STORE_CATALOG_FILE, &im->cat, &im->err) == -1)
			return -1;
		if (im->cat == NULL)
			im->cat = import_adopt_channel(&im->chan, im->r->diag);
	} else if (o->root != NULL) {
		path = xasprintf("%s/%s/%s", o->root, o->channel, STORE_CATALOG_FILE);
		rc = catalog_load(path, &im->cat, &im->err);
		free(path);
		if (rc == -1)
			return -1;
	}
	if (im->cat == NULL)
		im->cat = catalog_create();
	return 0;
}

/* The folder archives are extracted into and folders copied into. */
static int
import_staging(struct import *im)
{
	char tmpl[] = "/tmp/storeimport-check-XXXXXX";
	const char *tmp = getenv("TMPDIR");

	if (im->stagefd != -1)
		return 0;
	if (!im->o->dry_run) {
		if ((im->txn = txn_begin(&im->chan, &im->err)) == NULL)
			return -1;
		im->stagefd = txn_dir(im->txn);
		return 0;
	}
	im->tmpdir = tmp ? xasprintf("%s/storeimport-check-XXXXXX", tmp) : xstrdup(tmpl);
	if (mkdtemp(im->tmpdir) == NULL ||
	    (im->stagefd = open(im->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errbuf_set_errno(&im->err, "%s", im->tmpdir);
	return 0;
}

static int
open_subdir(int dirfd, const char *name, int create, struct errbuf *err)
{
	int fd;

	if (create && mkdirat(dirfd, name, 0755) == -1)
		return errbuf_set_errno(err, "%s: create", name);
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errbuf_set_errno(err, "%s", name);
	return fd;
}

/* Prefixes the records added since `from` with "prefix/". */
static void
hashlist_reprefix(struct hashlist *hl, size_t from, const char *prefix)
{
	for (size_t i = from; i < hl->count; i++) {
		char *p = xasprintf("%s/%s", prefix, hl->recs[i].path);

		free(hl->recs[i].path);
		hl->recs[i].path = p;
	}
}

static int
import_archive(struct import *im, int idx, const char *path)
{
	char slot[32], *base;
	size_t before = im->hl.count;
	struct stat st;
	int fd, rc;

	snprintf(slot, sizeof(slot), "%d", idx);
	if (!archive_is_archive(path)) {
		diag_add(im->r->diag, DIAG_ERROR, path, "neither a folder nor an archive "
		    "(zip, tar, tar.gz, tar.xz)");
		return 0;
	}
	if (import_staging(im) == -1)
		return -1;
	if (!im->o->dry_run && stat(path, &st) == 0 &&
	    txn_check_space(im->txn, (uint64_t)st.st_size, im->o->reserve, &im->err) == -1)
		return -1;
	if ((fd = open_subdir(im->stagefd, slot, 1, &im->err)) == -1)
		return -1;
	rc = archive_extract(path, fd, &im->o->limits, &im->hl, im->r->diag, &im->err);
	hashlist_reprefix(&im->hl, before, slot);
	if (rc == 0) {
		base = source_archive_base(path);
		source_scan(fd, slot, slot, base, im->kind, &im->ul, im->r->diag);
		free(base);
	}
	close(fd);
	return rc;
}

/* Publish only: refuses early (before copying) what would be refused later. */
static int
import_precheck(struct import *im, int srcfd, const char *path, const char *base,
    uint64_t *size)
{
	struct unit_list ul = { 0 };
	struct diag *d = diag_create();
	struct stat st;
	int conflict = 0;

	source_scan(srcfd, path, base, NULL, im->kind, &ul, d);
	for (size_t i = 0; i < ul.count && !im->o->replace; i++) {
		char *dlrel = unit_dlrel(&ul.units[i]);

		if (fstatat(im->chan.dlfd, dlrel, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			diag_add(im->r->diag, DIAG_ERROR, dlrel, "already published (use --replace)");
			conflict = 1;
		}
		free(dlrel);
	}
	unit_list_free(&ul);
	diag_free(d);
	*size = 0;
	if (conflict)
		return 1;
	return tree_size(srcfd, size, &im->err);
}

static int
import_folder(struct import *im, int idx, const char *path)
{
	char slot[32], *copy = xstrdup(path), *base = basename(copy);
	char *rel = NULL;
	uint64_t size, total = 0;
	size_t tb;
	int srcfd, slotfd = -1, dstfd = -1, rc = -1;

	snprintf(slot, sizeof(slot), "%d", idx);
	if ((srcfd = open_subdir(AT_FDCWD, path, 0, &im->err)) == -1)
		goto out;
	if (im->o->dry_run) {
		source_scan(srcfd, path, base, NULL, im->kind, &im->ul, im->r->diag);
		rc = 0;
		goto out;
	}
	if ((rc = import_precheck(im, srcfd, path, base, &size)) != 0)
		goto out;
	rc = -1;
	if (import_staging(im) == -1 ||
	    txn_check_space(im->txn, size, im->o->reserve, &im->err) == -1)
		goto out;
	rel = xasprintf("%s/%s", slot, base);
	if ((slotfd = open_subdir(im->stagefd, slot, 1, &im->err)) == -1 ||
	    (dstfd = open_subdir(slotfd, base, 1, &im->err)) == -1 ||
	    copy_hash_tree(srcfd, dstfd, rel, &im->hl, &total, im->r->diag, &im->err) == -1)
		goto out;
	tb = im->ul.ntrees;
	source_scan(dstfd, rel, base, NULL, im->kind, &im->ul, im->r->diag);
	for (size_t i = tb; i < im->ul.ntrees; i++) {	/* name trees by the source */
		char *shown = xasprintf("%s%s", path, im->ul.trees[i].rel + strlen(rel));

		free(im->ul.trees[i].rel);
		im->ul.trees[i].rel = shown;
	}
	rc = 0;
out:
	if (rc == -1)
		errbuf_prefix(&im->err, "%s", path);
	if (srcfd != -1)
		close(srcfd);
	if (slotfd != -1)
		close(slotfd);
	if (dstfd != -1)
		close(dstfd);
	free(rel);
	free(copy);
	return rc;
}

/* Publish only: shows the progress of copying the folder sources (what
 * tree_size() counts of them; archives are extracted without it). */
static void
import_progress_begin(struct import *im, char *const *sources, int n)
{
	uint64_t total = 0;
	int folders = 0, fd;

	if (im->o->dry_run || im->r->progress == NULL)
		return;
	for (int i = 0; i < n; i++) {
		if (source_is_file(sources[i]) != 0 ||
		    (fd = open_subdir(AT_FDCWD, sources[i], 0, NULL)) == -1)
			continue;
		if (tree_size(fd, &total, NULL) == 0)
			folders++;
		close(fd);
	}
	if (folders == 0)
		return;
	report_progress_begin(im->r, total);
	copy_hash_set_progress(report_progress_copied, im->r);
}

static int
import_sources(struct import *im, char *const *sources, int n)
{
	int rc = 0;

	import_progress_begin(im, sources, n);
	for (int i = 0; i < n && rc != -1; i++) {	/* 1: refused, go on */
		int isfile = source_is_file(sources[i]);

		if (isfile == -1)
			rc = errbuf_set_errno(&im->err, "%s", sources[i]);
		else if (isfile)
			rc = import_archive(im, i, sources[i]);
		else
			rc = import_folder(im, i, sources[i]);
	}
	copy_hash_set_progress(NULL, NULL);
	report_progress_end(im->r);
	return rc == -1 ? -1 : 0;
}

/* The value given on the command line, else by the unit's build.json, else
 * by --descriptor. */
static const char *
pick(const char *cli, const char *unit, const char *desc)
{
	return cli ? cli : unit ? unit : desc;
}

/* Reads and takes out the unit's own build.json. */
static int
unit_descriptor(struct import *im, const struct unit *u, struct descriptor *ud)
{
	struct stat st;
	char *path;

	memset(ud, 0, sizeof(*ud));
	ud->kind = KIND_NONE;
	if (fstatat(u->fd, DESCRIPTOR_FILE, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	path = xasprintf("%s/%s", u->name, DESCRIPTOR_FILE);
	if (descriptor_read(u->fd, DESCRIPTOR_FILE, ud, &im->err) == -1) {
		diag_add(im->r->diag, DIAG_ERROR, path, "%s", im->err.msg);
		free(path);
		return -1;
	}
	free(path);
	if (!im->o->dry_run) {
		unlinkat(u->fd, DESCRIPTOR_FILE, 0);
		path = xasprintf("%s/%s", u->rel, DESCRIPTOR_FILE);
		hashlist_remove(&im->hl, path);
		free(path);
	}
	return 0;
}

static void
meta_err(struct import *im, const char *where, int rc)
{
	if (rc == -1)
		diag_add(im->r->diag, DIAG_ERROR, where, "%s", im->err.msg);
}

/* Gives the manifest ids of a build without a catalog entry the --kind. */
static void
meta_declare_kind(struct import *im, const struct unit *u, int kind)
{
	struct dirent *de;
	char id[128];
	DIR *dir;
	int fd;

	if (kind == KIND_NONE || (fd = dup(u->fd)) == -1)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL) {
		enum item_kind k;
		json_t *empty;

		if (!manifest_name_to_id(de->d_name, id, sizeof(id)) ||
		    catalog_item_kind(im->cat, id, &k))
			continue;
		empty = json_object();
		meta_err(im, u->name, catalog_merge_item(im->cat, (enum item_kind)kind, id, empty,
		    &im->err));
		json_decref(empty);
	}
	closedir(dir);
}

static void
meta_build(struct import *im, const struct unit *u, const struct descriptor *ud)
{
	const struct imp_opts *o = im->o;
	const char *release, *label, *wiki;
	int kind = im->kind != KIND_NONE ? im->kind : ud->kind;

	release = pick(o->release, ud->release, im->desc.release);
	label = pick(o->label, ud->label, im->desc.label);
	wiki = pick(o->wiki, ud->wiki, im->desc.wiki);
	if (release == NULL)
		release = catalog_build_release(im->cat, u->name);
	if (label == NULL)
		label = catalog_build_label(im->cat, u->name);
	if (release != NULL) {
		char *r = xstrdup(release), *l = label ? xstrdup(label) : NULL;

		meta_err(im, u->name, catalog_set_build(im->cat, u->name, r, l, &im->err));
		if (wiki != NULL)
			meta_err(im, u->name, catalog_set_release_wiki(im->cat, r, wiki, &im->err));
		free(r);
		free(l);
	}
	meta_declare_kind(im, u, kind);
}

/* After build_check: every item gets a catalog entry, with the descriptor's
 * metadata merged. */
static void
meta_items(struct import *im, const struct unit *u, const struct build_result *res,
    const struct descriptor *ud)
{
	for (size_t i = 0; i < res->count; i++) {
		const struct build_item *it = &res->items[i];
		json_t *fields = NULL, *f;

		if ((f = json_object_get(im->desc.items, it->id)) != NULL)
			fields = json_deep_copy(f);
		if ((f = json_object_get(ud->items, it->id)) != NULL) {
			if (fields == NULL)
				fields = json_object();
			json_object_update(fields, f);
		}
		if (fields == NULL && catalog_item(im->cat, it->kind, it->id) != NULL)
			continue;
		if (fields == NULL)
			fields = json_object();
		meta_err(im, u->name, catalog_merge_item(im->cat, it->kind, it->id, fields, &im->err));
		json_decref(fields);
	}
}

static void
meta_platform(struct import *im, struct unit *u, const struct descriptor *ud)
{
	const char *id = pick(im->o->id, ud->platform_id, im->desc.platform_id);
	const struct descriptor *src[] = { &im->desc, ud };
	json_t *fields = json_object();

	if (id != NULL) {
		free(u->item_id);
		u->item_id = xstrdup(id);
	}
	for (size_t s = 0; s < 2; s++) {
		json_t *files = json_object();

		if (src[s]->platform_text != NULL)
			json_object_set_new(fields, "text", json_string(src[s]->platform_text));
		if (src[s]->platform_devices != NULL)
			json_object_set(fields, "devices", src[s]->platform_devices);
		for (size_t i = 0; i < PLATFORM_SLOTS; i++) {
			if (src[s]->platform_files[i] != NULL)
				json_object_set_new(files, descriptor_platform_slots[i],
				    json_string(src[s]->platform_files[i]));
		}
		if (json_object_size(files) > 0)
			json_object_set(fields, "files", files);
		json_decref(files);
	}
	if (u->item_id != NULL && (json_object_size(fields) > 0 ||
	    catalog_item(im->cat, (enum item_kind)u->kind, u->item_id) == NULL))
		meta_err(im, u->name, catalog_merge_item(im->cat, (enum item_kind)u->kind,
		    u->item_id, fields, &im->err));
	json_decref(fields);
}

/* build_check() reports to a private list so that the unit's build.json
 * (taken out when publishing, left in place by check) is not "unlisted". */
static int
import_check_build(struct import *im, struct unit *u, const struct descriptor *ud)
{
	struct diag *d = diag_create();
	struct build_result res;
	char *skip = xasprintf("%s/%s", u->name, DESCRIPTOR_FILE);
	int kind = im->kind != KIND_NONE ? im->kind : ud->kind;
	int rc;

	rc = validate_build(u, im->cat, kind, &res, d, &im->err);
	for (size_t i = 0; i < d->count; i++) {
		if (strcmp(d->entries[i].where, skip) != 0)
			diag_add(im->r->diag, d->entries[i].severity, d->entries[i].where, "%s",
			    d->entries[i].message);
	}
	if (rc == 0)
		meta_items(im, u, &res, ud);
	build_result_free(&res);
	diag_free(d);
	free(skip);
	return rc;
}

static int
import_validate(struct import *im)
{
	for (size_t i = 0; i < im->ul.ntrees; i++)
		adopt_tree(&im->ul.trees[i], (int)i, &im->ul, im->cat, im->r->diag);
	for (size_t i = 0; i < im->ul.count; i++) {
		struct unit *u = &im->ul.units[i];
		struct descriptor ud;
		int rc = 0;

		if (unit_descriptor(im, u, &ud) == -1)
			continue;
		if (u->type == UNIT_PLATFORM) {
			meta_platform(im, u, &ud);
			validate_platform(u, im->cat, im->r->diag);
		} else {
			meta_build(im, u, &ud);
			rc = import_check_build(im, u, &ud);
		}
		descriptor_free(&ud);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Refuses two sources giving the same build, and published builds unless
 * --replace. */
static void
import_conflicts(struct import *im)
{
	struct stat st;

	for (size_t i = 0; i < im->ul.count; i++) {
		char *dlrel = unit_dlrel(&im->ul.units[i]);

		for (size_t j = 0; j < i; j++) {
			char *other = unit_dlrel(&im->ul.units[j]);

			if (strcmp(dlrel, other) == 0)
				diag_add(im->r->diag, DIAG_ERROR, dlrel, "given twice (%s and %s)",
				    im->ul.units[j].rel, im->ul.units[i].rel);
			free(other);
		}
		if (im->have_chan && !im->o->replace &&
		    fstatat(im->chan.dlfd, dlrel, &st, AT_SYMLINK_NOFOLLOW) == 0)
			diag_add(im->r->diag, DIAG_ERROR, dlrel, "already published (use --replace)");
		free(dlrel);
	}
}

/* Publish only: refuses firmware builds that would take a release away from
 * devices its firmware build offered it to, unless --allow-dropped-devices. */
static int
import_fw_devices(struct import *im)
{
	struct fw_change *changes;
	size_t n = 0;
	int rc;

	if (!im->have_chan || im->o->allow_dropped_devices)
		return 0;
	changes = xcalloc(im->ul.count + 1, sizeof(*changes));
	for (size_t i = 0; i < im->ul.count; i++) {
		const struct unit *u = &im->ul.units[i];

		if (u->type == UNIT_BUILD && store_build_name_valid(u->name)) {
			changes[n].build = u->name;
			changes[n++].fd = u->fd;
		}
	}
	rc = fw_devices_check(im->chan.dlfd, im->cat, changes, n,
	    "; give --allow-dropped-devices to publish it anyway", im->r->diag, &im->err);
	free(changes);
	return rc;
}

static int
import_stage_unit(struct import *im, const struct unit *u)
{
	char *dlrel = unit_dlrel(u), *hrel = unit_hashes_rel(u), *text;
	uint64_t files, bytes;
	size_t len;
	int rc;

	text = hashlist_format(&im->hl, u->rel, &len);
	rc = txn_put(im->txn, u->rel, dlrel, &im->err);
	if (rc == 0)
		rc = txn_write_file(im->txn, hrel, text, len, &im->err);
	hashlist_stats(&im->hl, u->rel, &files, &bytes);
	if (rc == 0)
		report_published(im->r, dlrel, u->type == UNIT_PLATFORM ?
		    descriptor_kind_name(u->kind) : "build", files, bytes);
	free(text);
	free(dlrel);
	free(hrel);
	return rc;
}

static int
import_commit(struct import *im)
{
	char *cat;
	int rc;

	if (txn_check_space(im->txn, 0, im->o->reserve, &im->err) == -1)
		return -1;
	hashlist_sort(&im->hl);
	for (size_t i = 0; i < im->ul.count; i++) {
		if (import_stage_unit(im, &im->ul.units[i]) == -1)
			return -1;
	}
	cat = catalog_dump(im->cat);
	rc = txn_write_file(im->txn, STORE_CATALOG_FILE, cat, strlen(cat), &im->err);
	free(cat);
	if (rc == -1)
		return -1;
	rc = txn_commit(im->txn, im->r->diag, &im->err);
	im->txn = NULL;
	return rc;
}

static void
import_cleanup(struct import *im)
{
	txn_abort(im->txn);
	if (im->tmpdir != NULL) {
		tree_remove(AT_FDCWD, im->tmpdir, NULL);
		free(im->tmpdir);
	}
	if (im->o->dry_run && im->stagefd != -1)
		close(im->stagefd);
	unit_list_free(&im->ul);
	hashlist_free(&im->hl);
	descriptor_free(&im->desc);
	catalog_free(im->cat);
	if (im->have_chan)
		chan_close(&im->chan);
}

static int
import_steps(struct import *im, char *const *sources, int n)
{
	const struct imp_opts *o = im->o;

	if (o->descriptor != NULL &&
	    descriptor_read(AT_FDCWD, o->descriptor, &im->desc, &im->err) == -1)
		return import_fail(im, IMP_EXIT_INVALID);
	im->kind = o->kind != KIND_NONE ? o->kind : im->desc.kind;
	if (import_open(im) == -1 || import_sources(im, sources, n) == -1)
		return import_fail(im, IMP_EXIT_IO);
	if (im->r->diag->errors == 0 && import_validate(im) == -1)
		return import_fail(im, IMP_EXIT_IO);
	import_conflicts(im);
	if (im->r->diag->errors == 0 && import_fw_devices(im) == -1)
		return import_fail(im, IMP_EXIT_IO);
	if (o->strict)
		diag_promote_warnings(im->r->diag);
	if (im->r->diag->errors > 0) {
		json_array_clear(im->r->published);
		return IMP_EXIT_INVALID;
	}
	if (o->dry_run)
		return IMP_EXIT_OK;
	if (import_commit(im) == -1) {
		json_array_clear(im->r->published);
		return import_fail(im, IMP_EXIT_IO);
	}
	return IMP_EXIT_OK;
}

int
import_run(const struct imp_opts *o, char *const *sources, int n, struct report *r)
{
	struct import im;
	int status;

	memset(&im, 0, sizeof(im));
	im.o = o;
	im.r = r;
	im.stagefd = -1;
	im.desc.kind = KIND_NONE;
	hashlist_init(&im.hl);
	status = import_steps(&im, sources, n);
	if (status != IMP_EXIT_OK && im.have_chan)
		chan_discard_if_new(&im.chan);	/* only what is still empty goes */
	import_cleanup(&im);
	return status;
}
