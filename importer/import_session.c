/*
 * import_session: staging, validating and committing sources into a
 * channel as one transaction; see import_session.h.
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
#include "fs_open.h"
#include "fw_devices.h"
#include "housekeeping.h"
#include "import_session.h"
#include "manifest.h"
#include "publish.h"
#include "source.h"
#include "store_layout.h"
#include "validate.h"
#include "xmalloc.h"

/* What the catalog was loaded from, to tell at commit whether it changed. */
struct catalog_id {
	int exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct import_session {
	const struct imp_opts *o;
	struct report *r;
	struct diag *d;		/* where problems go: r->diag, or the re-check's */
	struct chan chan;
	int have_chan;
	struct txn *txn;
	char *tmpdir;		/* dry_run: archives are extracted here */
	int stagefd;		/* txn in/ or tmpdir */
	char *stagepath;	/* its path */
	unsigned nslots;	/* in/<n>/ folders made */
	struct catalog *cat;
	struct catalog_id catid;
	struct descriptor desc;	/* import_session_read_descriptor() */
	int kind;		/* --kind, else the descriptor's kind */
	struct unit_list ul;
	struct descriptor *udesc;	/* each unit's build.json, read once */
	signed char *udesc_state;	/* 0 unread, 1 read, -1 invalid */
	size_t nudesc;
	struct hashlist hl;
	int validated;
	int committed;
	struct errbuf err;
};

struct catalog *
import_adopt_channel(const struct chan *c, struct diag *d)
{
	struct catalog *cat = catalog_create();
	struct unit_list ul = { 0 };
	struct diag *scan = diag_create();
	char *rel = xasprintf("%s/%s", c->channel, STORE_DOWNLOAD_DIR);

	source_scan(c->dlfd, rel, STORE_DOWNLOAD_DIR, NULL, KIND_NONE, &ul, scan);
	for (size_t i = 0; i < ul.ntrees; i++)
		adopt_tree(&ul.trees[i], (int)i, &ul, cat, 0, d);
	unit_list_free(&ul);
	diag_free(scan);
	free(rel);
	return cat;
}

/* Copies the session's error into the caller's; returns -1. */
static int
session_fail(struct import_session *s, struct errbuf *err)
{
	if (err != NULL)
		*err = s->err;
	return -1;
}

struct import_session *
import_session_create(const struct imp_opts *o, struct report *r, struct errbuf *err)
{
	struct import_session *s = xcalloc(1, sizeof(*s));

	s->o = o;
	s->r = r;
	s->d = r->diag;
	s->stagefd = -1;
	s->desc.kind = KIND_NONE;
	s->kind = o->kind;
	hashlist_init(&s->hl);
	if (!o->dry_run) {
		if (chan_open_unlocked(&s->chan, o->root, o->channel,
		    o->create_channel ? CHAN_CREATE : CHAN_CREATE_FIRST, err) == -1) {
			free(s);
			return NULL;
		}
		s->have_chan = 1;
	}
	return s;
}

int
import_session_read_descriptor(struct import_session *s, const char *path, struct errbuf *err)
{
	descriptor_free(&s->desc);
	memset(&s->desc, 0, sizeof(s->desc));
	s->desc.kind = KIND_NONE;
	if (descriptor_read(AT_FDCWD, path, &s->desc, &s->err) == -1)
		return session_fail(s, err);
	s->kind = s->o->kind != KIND_NONE ? s->o->kind : s->desc.kind;
	return 0;
}

/* Under the channel lock: completes or discards dead transactions, purges
 * removed folders whose grace has passed. */
static int
session_recover_locked(struct import_session *s)
{
	if (publish_recover(&s->chan, s->d, &s->err) == -1 ||
	    housekeeping_purge(&s->chan, s->r, &s->err) == -1)
		return -1;
	return 0;
}

int
import_session_recover(struct import_session *s, struct errbuf *err)
{
	int rc;

	if (!s->have_chan)
		return 0;
	if (chan_lock(&s->chan, &s->err) == -1)
		return session_fail(s, err);
	rc = session_recover_locked(s);
	chan_unlock(&s->chan);
	return rc == -1 ? session_fail(s, err) : 0;
}

/* The folder archives are extracted into and folders copied into. */
static int
session_staging(struct import_session *s)
{
	const char *tmp = getenv("TMPDIR");

	if (s->stagefd != -1)
		return 0;
	if (!s->o->dry_run) {
		if ((s->txn = txn_begin(&s->chan, &s->err)) == NULL)
			return -1;
		s->stagefd = txn_dir(s->txn);
		s->stagepath = xasprintf("%s/%s/%s/in", s->chan.root, STORE_STAGING_DIR,
		    txn_name(s->txn));
		return 0;
	}
	s->tmpdir = xasprintf("%s/storeimport-check-XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(s->tmpdir) == NULL ||
	    (s->stagefd = open(s->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errbuf_set_errno(&s->err, "%s", s->tmpdir);
	s->stagepath = xstrdup(s->tmpdir);
	return 0;
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
session_add_archive(struct import_session *s, unsigned idx, const char *path)
{
	char slot[32], *base;
	size_t before = s->hl.count;
	struct stat st;
	int fd, rc;

	snprintf(slot, sizeof(slot), "%u", idx);
	if (!archive_is_archive(path)) {
		diag_add(s->d, DIAG_ERROR, path, "neither a folder nor an archive "
		    "(zip, tar, tar.gz, tar.xz)");
		return 0;
	}
	if (session_staging(s) == -1)
		return -1;
	if (!s->o->dry_run && stat(path, &st) == 0 &&
	    txn_check_space(s->txn, (uint64_t)st.st_size, s->o->reserve, &s->err) == -1)
		return -1;
	if ((fd = fs_open_subdir(s->stagefd, slot, FS_SUBDIR_CREATE, &s->err)) == -1)
		return -1;
	rc = archive_extract(path, fd, &s->o->limits, &s->hl, s->d, &s->err);
	hashlist_reprefix(&s->hl, before, slot);
	if (rc == 0) {
		base = source_archive_base(path);
		source_scan(fd, slot, slot, base, s->kind, &s->ul, s->d);
		free(base);
	}
	close(fd);
	return rc;
}

/* Publish only: refuses early (before copying) what would be refused later. */
static int
session_precheck(struct import_session *s, int srcfd, const char *path, const char *base,
    uint64_t *size)
{
	struct unit_list ul = { 0 };
	struct diag *d = diag_create();
	struct stat st;
	int conflict = 0;

	source_scan(srcfd, path, base, NULL, s->kind, &ul, d);
	for (size_t i = 0; i < ul.count && !s->o->replace; i++) {
		char *dlrel = unit_dlrel(&ul.units[i]);

		if (fstatat(s->chan.dlfd, dlrel, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			diag_add(s->d, DIAG_ERROR, dlrel, "already published (use --replace)");
			conflict = 1;
		}
		free(dlrel);
	}
	unit_list_free(&ul);
	diag_free(d);
	*size = 0;
	if (conflict)
		return 1;
	return tree_size(srcfd, size, &s->err);
}

static int
session_add_folder(struct import_session *s, unsigned idx, const char *path)
{
	char slot[32], *copy = xstrdup(path), *base = basename(copy);
	char *rel = NULL;
	uint64_t size, total = 0;
	size_t tb;
	int srcfd, slotfd = -1, dstfd = -1, rc = -1;

	snprintf(slot, sizeof(slot), "%u", idx);
	if ((srcfd = fs_open_subdir(AT_FDCWD, path, FS_SUBDIR_OPEN, &s->err)) == -1)
		goto out;
	if (s->o->dry_run) {
		source_scan(srcfd, path, base, NULL, s->kind, &s->ul, s->d);
		rc = 0;
		goto out;
	}
	if ((rc = session_precheck(s, srcfd, path, base, &size)) != 0)
		goto out;
	rc = -1;
	if (session_staging(s) == -1 ||
	    txn_check_space(s->txn, size, s->o->reserve, &s->err) == -1)
		goto out;
	rel = xasprintf("%s/%s", slot, base);
	if ((slotfd = fs_open_subdir(s->stagefd, slot, FS_SUBDIR_CREATE, &s->err)) == -1 ||
	    (dstfd = fs_open_subdir(slotfd, base, FS_SUBDIR_CREATE, &s->err)) == -1 ||
	    copy_hash_tree(srcfd, dstfd, rel, &s->hl, &total, s->d, &s->err) == -1)
		goto out;
	tb = s->ul.ntrees;
	source_scan(dstfd, rel, base, NULL, s->kind, &s->ul, s->d);
	for (size_t i = tb; i < s->ul.ntrees; i++) {	/* name trees by the source */
		char *shown = xasprintf("%s%s", path, s->ul.trees[i].rel + strlen(rel));

		free(s->ul.trees[i].rel);
		s->ul.trees[i].rel = shown;
	}
	rc = 0;
out:
	if (rc == -1)
		errbuf_prefix(&s->err, "%s", path);
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

/* The value given on the command line, else by the unit's build.json, else
 * by --descriptor. */
static const char *
pick(const char *cli, const char *unit, const char *desc)
{
	return cli ? cli : unit ? unit : desc;
}

/* Reads and takes out the unit's own build.json. */
static int
unit_descriptor_read(struct import_session *s, const struct unit *u, struct descriptor *ud)
{
	struct stat st;
	char *path;

	memset(ud, 0, sizeof(*ud));
	ud->kind = KIND_NONE;
	if (fstatat(u->fd, DESCRIPTOR_FILE, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	path = xasprintf("%s/%s", u->name, DESCRIPTOR_FILE);
	if (descriptor_read(u->fd, DESCRIPTOR_FILE, ud, &s->err) == -1) {
		diag_add(s->d, DIAG_ERROR, path, "%s", s->err.msg);
		free(path);
		return -1;
	}
	free(path);
	if (!s->o->dry_run) {
		unlinkat(u->fd, DESCRIPTOR_FILE, 0);
		path = xasprintf("%s/%s", u->rel, DESCRIPTOR_FILE);
		hashlist_remove(&s->hl, path);
		free(path);
	}
	return 0;
}

/* The unit's build.json, read once (it is taken out of the staged unit),
 * so that the commit's re-check can apply it again.  NULL: invalid. */
static const struct descriptor *
unit_descriptor(struct import_session *s, size_t i)
{
	if (s->nudesc < s->ul.count) {
		s->udesc = xreallocarray(s->udesc, s->ul.count, sizeof(*s->udesc));
		s->udesc_state = xreallocarray(s->udesc_state, s->ul.count, 1);
		memset(s->udesc + s->nudesc, 0, (s->ul.count - s->nudesc) * sizeof(*s->udesc));
		memset(s->udesc_state + s->nudesc, 0, s->ul.count - s->nudesc);
		s->nudesc = s->ul.count;
	}
	if (s->udesc_state[i] == 0)
		s->udesc_state[i] = unit_descriptor_read(s, &s->ul.units[i], &s->udesc[i]) == 0 ?
		    1 : -1;
	return s->udesc_state[i] == 1 ? &s->udesc[i] : NULL;
}

static void
meta_err(struct import_session *s, const char *where, int rc)
{
	if (rc == -1)
		diag_add(s->d, DIAG_ERROR, where, "%s", s->err.msg);
}

/* Gives the manifest ids of a build without a catalog entry the --kind. */
static void
meta_declare_kind(struct import_session *s, const struct unit *u, int kind)
{
	struct dirent *de;
	char id[128];
	DIR *dir;
	int r = -1;

	if (kind == KIND_NONE)
		return;
	if ((dir = fs_opendir_at(u->fd)) == NULL) {
		diag_add(s->d, DIAG_ERROR, u->name, "cannot read the folder: %s", strerror(errno));
		return;
	}
	while ((r = tree_readdir(dir, &de)) == 1) {
		enum item_kind k;
		json_t *empty;

		if (!manifest_name_to_id(de->d_name, id, sizeof(id)) ||
		    catalog_item_kind(s->cat, id, &k))
			continue;
		empty = json_object();
		meta_err(s, u->name, catalog_merge_item(s->cat, (enum item_kind)kind, id, empty,
		    &s->err));
		json_decref(empty);
	}
	if (r == -1)
		diag_add(s->d, DIAG_ERROR, u->name, "cannot read the folder: %s", strerror(errno));
	closedir(dir);
}

static void
meta_build(struct import_session *s, const struct unit *u, const struct descriptor *ud)
{
	const struct imp_opts *o = s->o;
	const char *release, *label, *wiki;
	int kind = s->kind != KIND_NONE ? s->kind : ud->kind;

	release = pick(o->release, ud->release, s->desc.release);
	label = pick(o->label, ud->label, s->desc.label);
	wiki = pick(o->wiki, ud->wiki, s->desc.wiki);
	if (release == NULL)
		release = catalog_build_release(s->cat, u->name);
	if (label == NULL)
		label = catalog_build_label(s->cat, u->name);
	if (release != NULL) {
		char *r = xstrdup(release), *l = label ? xstrdup(label) : NULL;

		meta_err(s, u->name, catalog_set_build(s->cat, u->name, r, l, &s->err));
		if (wiki != NULL)
			meta_err(s, u->name, catalog_set_release_wiki(s->cat, r, wiki, &s->err));
		free(r);
		free(l);
	}
	meta_declare_kind(s, u, kind);
}

/* After build_check: every item gets a catalog entry, with the descriptor's
 * metadata merged. */
static void
meta_items(struct import_session *s, const struct unit *u, const struct build_result *res,
    const struct descriptor *ud)
{
	for (size_t i = 0; i < res->count; i++) {
		const struct build_item *it = &res->items[i];
		json_t *fields = NULL, *f;

		if ((f = json_object_get(s->desc.items, it->id)) != NULL)
			fields = json_deep_copy(f);
		if ((f = json_object_get(ud->items, it->id)) != NULL) {
			if (fields == NULL)
				fields = json_object();
			json_object_update(fields, f);
		}
		if (fields == NULL && catalog_item(s->cat, it->kind, it->id) != NULL)
			continue;
		if (fields == NULL)
			fields = json_object();
		meta_err(s, u->name, catalog_merge_item(s->cat, it->kind, it->id, fields, &s->err));
		json_decref(fields);
	}
}

static void
meta_platform(struct import_session *s, struct unit *u, const struct descriptor *ud)
{
	const char *id = pick(s->o->id, ud->platform_id, s->desc.platform_id);
	const struct descriptor *src[] = { &s->desc, ud };
	json_t *fields = json_object();

	if (id != NULL) {
		free(u->item_id);
		u->item_id = xstrdup(id);
	}
	for (size_t k = 0; k < 2; k++) {
		json_t *files = json_object();

		if (src[k]->platform_text != NULL)
			json_object_set_new(fields, "text", json_string(src[k]->platform_text));
		if (src[k]->platform_devices != NULL)
			json_object_set(fields, "devices", src[k]->platform_devices);
		for (size_t i = 0; i < PLATFORM_SLOTS; i++) {
			if (src[k]->platform_files[i] != NULL)
				json_object_set_new(files, descriptor_platform_slots[i],
				    json_string(src[k]->platform_files[i]));
		}
		if (json_object_size(files) > 0)
			json_object_set(fields, "files", files);
		json_decref(files);
	}
	if (u->item_id != NULL && (json_object_size(fields) > 0 ||
	    catalog_item(s->cat, (enum item_kind)u->kind, u->item_id) == NULL))
		meta_err(s, u->name, catalog_merge_item(s->cat, (enum item_kind)u->kind,
		    u->item_id, fields, &s->err));
	json_decref(fields);
}

/* build_check() reports to a private list so that the unit's build.json
 * (taken out when publishing, left in place by check) is not "unlisted". */
static int
session_check_build(struct import_session *s, struct unit *u, const struct descriptor *ud)
{
	struct diag *d = diag_create();
	struct build_result res;
	char *skip = xasprintf("%s/%s", u->name, DESCRIPTOR_FILE);
	int kind = s->kind != KIND_NONE ? s->kind : ud->kind;
	int rc;

	rc = validate_build(u, s->cat, kind, &res, d, &s->err);
	for (size_t i = 0; i < d->count; i++) {
		if (strcmp(d->entries[i].where, skip) != 0)
			diag_add(s->d, d->entries[i].severity, d->entries[i].where, "%s",
			    d->entries[i].message);
	}
	if (rc == 0)
		meta_items(s, u, &res, ud);
	build_result_free(&res);
	diag_free(d);
	free(skip);
	return rc;
}

static int
session_check_units(struct import_session *s)
{
	for (size_t i = 0; i < s->ul.ntrees; i++)
		adopt_tree(&s->ul.trees[i], (int)i, &s->ul, s->cat, s->o->adopt_upstream,
		    s->d);
	for (size_t i = 0; i < s->ul.count; i++) {
		struct unit *u = &s->ul.units[i];
		const struct descriptor *ud = unit_descriptor(s, i);

		if (ud == NULL)
			continue;
		if (u->type == UNIT_PLATFORM) {
			meta_platform(s, u, ud);
			validate_platform(u, s->cat, s->d);
		} else {
			meta_build(s, u, ud);
			if (session_check_build(s, u, ud) == -1)
				return -1;
		}
	}
	return 0;
}

/* Refuses two sources giving the same build, and published builds unless
 * --replace. */
static void
session_conflicts(struct import_session *s)
{
	struct stat st;

	for (size_t i = 0; i < s->ul.count; i++) {
		char *dlrel = unit_dlrel(&s->ul.units[i]);

		for (size_t j = 0; j < i; j++) {
			char *other = unit_dlrel(&s->ul.units[j]);

			if (strcmp(dlrel, other) == 0)
				diag_add(s->d, DIAG_ERROR, dlrel, "given twice (%s and %s)",
				    s->ul.units[j].rel, s->ul.units[i].rel);
			free(other);
		}
		if (s->have_chan && !s->o->replace &&
		    fstatat(s->chan.dlfd, dlrel, &st, AT_SYMLINK_NOFOLLOW) == 0)
			diag_add(s->d, DIAG_ERROR, dlrel, "already published (use --replace)");
		free(dlrel);
	}
}

/* Publish only: refuses firmware builds that would take a release away from
 * devices its firmware build offered it to, unless --allow-dropped-devices. */
static int
session_fw_devices(struct import_session *s)
{
	struct fw_change *changes;
	size_t n = 0;
	int rc;

	if (!s->have_chan || s->o->allow_dropped_devices)
		return 0;
	changes = xcalloc(s->ul.count + 1, sizeof(*changes));
	for (size_t i = 0; i < s->ul.count; i++) {
		const struct unit *u = &s->ul.units[i];

		if (u->type == UNIT_BUILD && store_build_name_valid(u->name)) {
			changes[n].build = u->name;
			changes[n++].fd = u->fd;
		}
	}
	rc = fw_devices_check(s->chan.dlfd, s->cat, changes, n,
	    "; give --allow-dropped-devices to publish it anyway", s->d, &s->err);
	free(changes);
	return rc;
}

static int
session_stage_unit(struct import_session *s, const struct unit *u)
{
	char *dlrel = unit_dlrel(u), *hrel = unit_hashes_rel(u), *text;
	uint64_t files, bytes;
	size_t len;
	int rc;

	text = hashlist_format(&s->hl, u->rel, &len);
	rc = txn_put(s->txn, u->rel, dlrel, &s->err);
	if (rc == 0)
		rc = txn_write_file(s->txn, hrel, text, len, &s->err);
	hashlist_stats(&s->hl, u->rel, &files, &bytes);
	if (rc == 0)
		report_published(s->r, dlrel, u->type == UNIT_PLATFORM ?
		    descriptor_kind_name(u->kind) : "build", files, bytes);
	free(text);
	free(dlrel);
	free(hrel);
	return rc;
}


int
import_session_add_source(struct import_session *s, const char *path, struct errbuf *err)
{
	unsigned slot = s->nslots++;
	int isfile = source_is_file(path), rc;

	s->validated = 0;	/* the commit validates what came since */

	if (isfile == -1)
		rc = errbuf_set_errno(&s->err, "%s", path);
	else if (isfile)
		rc = session_add_archive(s, slot, path);
	else
		rc = session_add_folder(s, slot, path);
	return rc == -1 ? session_fail(s, err) : 0;	/* 1: refused, in the report */
}

int
import_session_stage_new(struct import_session *s, char **name, struct errbuf *err)
{
	char slot[32];
	int fd;

	*name = NULL;
	if (s->o->dry_run) {
		errbuf_set(&s->err, "a check session stages nothing");
		return session_fail(s, err);
	}
	if (session_staging(s) == -1)
		return session_fail(s, err);
	snprintf(slot, sizeof(slot), "%u", s->nslots++);
	if ((fd = fs_open_subdir(s->stagefd, slot, FS_SUBDIR_CREATE, &s->err)) == -1)
		return session_fail(s, err);
	*name = xstrdup(slot);
	return fd;
}

const char *
import_session_staging_path(const struct import_session *s)
{
	return s->stagepath;
}

/* Hashes the caller already knows (import_session_adopt_hashed()), sorted
 * by path for bsearch; `skip` is the length of "<name>/" before the path. */
struct known_hashes {
	const struct staged_hash **v;
	size_t n;
	size_t skip;
};

static int
staged_hash_cmp(const void *a, const void *b)
{
	const struct staged_hash *const *x = a, *const *y = b;

	return strcmp((*x)->rel, (*y)->rel);
}

/* The caller's hash of `rel` ("<name>/<path>") when it knows one for a file
 * of `size` bytes; NULL otherwise. */
static const struct staged_hash *
known_hash_find(const struct known_hashes *k, const char *rel, uint64_t size)
{
	struct staged_hash key = { .rel = rel + k->skip };
	const struct staged_hash *kp = &key, **hit;

	if (k->n == 0)
		return NULL;
	hit = bsearch(&kp, k->v, k->n, sizeof(*k->v), staged_hash_cmp);
	return hit != NULL && (*hit)->size == size ? *hit : NULL;
}

static int stage_hash_tree(int dirfd, const char *prefix, const struct known_hashes *k,
    struct hashlist *hl, struct diag *d, struct errbuf *err);

/* One entry of an adopted folder: a folder is walked, a regular file
 * hashed (or its known hash taken); anything else, hidden names and
 * refused names are problems. */
static int
stage_hash_entry(int dirfd, const char *name, const char *rel, const struct known_hashes *k,
    struct hashlist *hl, struct diag *d, struct errbuf *err)
{
	char hex[SHA256_HEX_LEN + 1];
	const struct staged_hash *known;
	struct stat st;
	uint64_t size;
	int fd, rc = 0;

	if (copy_name_refused(name, rel, d))
		return 0;
	if (name[0] == '.') {
		diag_add(d, DIAG_ERROR, rel, "hidden name in a staged folder");
		return 0;
	}
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 && errno == ELOOP) {
		diag_add(d, DIAG_ERROR, rel, "a symbolic link, not a file or folder");
		return 0;
	}
	if (fd == -1 || fstat(fd, &st) == -1)
		rc = errbuf_set_errno(err, "%s", rel);
	else if (S_ISDIR(st.st_mode))
		rc = stage_hash_tree(fd, rel, k, hl, d, err);
	else if (!S_ISREG(st.st_mode))
		diag_add(d, DIAG_ERROR, rel, "not a regular file or folder");
	else if ((known = known_hash_find(k, rel, (uint64_t)st.st_size)) != NULL)
		hashlist_add(hl, rel, known->sha256, known->size);
	else if ((rc = hash_fd(fd, hex, &size, err)) == 0)
		hashlist_add(hl, rel, hex, size);
	if (fd != -1)
		close(fd);
	return rc;
}

/* Hashes the files below dirfd in place, as records "prefix/relpath". */
static int
stage_hash_tree(int dirfd, const char *prefix, const struct known_hashes *k,
    struct hashlist *hl, struct diag *d, struct errbuf *err)
{
	struct dirent *de;
	DIR *dir;
	int r = 0, rc = 0;

	if ((dir = fs_opendir_at(dirfd)) == NULL)
		return errbuf_set_errno(err, "%s", prefix);
	while (rc == 0 && (r = tree_readdir(dir, &de)) == 1) {
		char *rel = xasprintf("%s/%s", prefix, de->d_name);

		rc = stage_hash_entry(dirfd, de->d_name, rel, k, hl, d, err);
		free(rel);
	}
	if (r == -1)
		rc = errbuf_set_errno(err, "%s: read folder", prefix);
	closedir(dir);
	return rc;
}

/* Whether rel is `name` or below it. */
static int
rel_below(const char *rel, const char *name, size_t len)
{
	return strncmp(rel, name, len) == 0 && (rel[len] == '/' || rel[len] == '\0');
}

/* Whether a unit or tree already came from the staged folder `name`. */
static int
session_slot_used(const struct import_session *s, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < s->ul.count; i++) {
		if (rel_below(s->ul.units[i].rel, name, len))
			return 1;
	}
	for (size_t i = 0; i < s->ul.ntrees; i++) {
		if (rel_below(s->ul.trees[i].rel, name, len))
			return 1;
	}
	return 0;
}

int
import_session_adopt(struct import_session *s, const char *name, struct errbuf *err)
{
	return import_session_adopt_hashed(s, name, NULL, 0, err);
}

/* A hash of the caller's must be well formed: it becomes a record. */
static int
staged_hash_valid(const struct staged_hash *h)
{
	size_t i;

	for (i = 0; h->sha256[i] != '\0'; i++)
		if (!((h->sha256[i] >= '0' && h->sha256[i] <= '9') ||
		    (h->sha256[i] >= 'a' && h->sha256[i] <= 'f')))
			return 0;
	return i == SHA256_HEX_LEN && h->rel[0] != '\0';
}

int
import_session_adopt_hashed(struct import_session *s, const char *name,
    const struct staged_hash *known, size_t n, struct errbuf *err)
{
	struct known_hashes k = { .n = n, .skip = strlen(name) + 1 };
	int fd = -1, rc = -1;

	if (s->txn == NULL || name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL ||
	    session_slot_used(s, name)) {
		errbuf_set(&s->err, "\"%s\": not a folder staged by this session", name);
		return session_fail(s, err);
	}
	if (n > 0) {
		k.v = xcalloc(n, sizeof(*k.v));
		for (size_t i = 0; i < n; i++) {
			if (!staged_hash_valid(&known[i])) {
				errbuf_set(&s->err, "%s/%s: not a sha256 of the caller's", name,
				    known[i].rel);
				goto out;
			}
			k.v[i] = &known[i];
		}
		qsort(k.v, n, sizeof(*k.v), staged_hash_cmp);
	}
	if ((fd = fs_open_subdir(s->stagefd, name, FS_SUBDIR_OPEN, &s->err)) == -1)
		goto out;
	s->validated = 0;	/* the commit validates what came since */
	if (stage_hash_tree(fd, name, &k, &s->hl, s->d, &s->err) == -1)
		goto out;
	source_scan(fd, name, name, "", s->kind, &s->ul, s->d);	/* "": a container */
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(k.v);
	return rc == 0 ? 0 : session_fail(s, err);
}

/* Loads the catalog (or adopts the channel's indexes), remembering which
 * catalog.json it came from. */
static int
session_load_catalog(struct import_session *s)
{
	struct stat st;
	char *path;
	int rc = 0;

	catalog_free(s->cat);
	s->cat = NULL;
	if (s->have_chan) {
		memset(&s->catid, 0, sizeof(s->catid));
		if (fstatat(s->chan.chanfd, STORE_CATALOG_FILE, &st, 0) == 0) {
			s->catid.exists = 1;
			s->catid.dev = st.st_dev;
			s->catid.ino = st.st_ino;
			s->catid.size = st.st_size;
			s->catid.mtime = st.st_mtim;
		}
		if (catalog_load_at(s->chan.chanfd, STORE_CATALOG_FILE, &s->cat, &s->err) == -1)
			return -1;
		if (s->cat == NULL)
			s->cat = import_adopt_channel(&s->chan, s->d);
	} else if (s->o->root != NULL) {
		path = xasprintf("%s/%s/%s", s->o->root, s->o->channel, STORE_CATALOG_FILE);
		rc = catalog_load(path, &s->cat, &s->err);
		free(path);
	}
	if (s->cat == NULL)
		s->cat = catalog_create();
	return rc;
}

/* Has catalog.json changed since session_load_catalog()? */
static int
session_catalog_changed(const struct import_session *s)
{
	const struct catalog_id *c = &s->catid;
	struct stat st;

	if (fstatat(s->chan.chanfd, STORE_CATALOG_FILE, &st, 0) == -1)
		return c->exists;
	return !c->exists || st.st_dev != c->dev || st.st_ino != c->ino ||
	    st.st_size != c->size || st.st_mtim.tv_sec != c->mtime.tv_sec ||
	    st.st_mtim.tv_nsec != c->mtime.tv_nsec;
}

int
import_session_validate(struct import_session *s, struct errbuf *err)
{
	if (s->cat == NULL && session_load_catalog(s) == -1)
		return session_fail(s, err);
	if (s->d->errors == 0 && session_check_units(s) == -1)
		return session_fail(s, err);
	session_conflicts(s);
	if (s->d->errors == 0 && session_fw_devices(s) == -1)
		return session_fail(s, err);
	if (s->o->strict)
		diag_promote_warnings(s->d);
	s->validated = 1;
	return 0;
}

/* Under the channel lock: checks again what depends on the channel's
 * current state (published builds, catalog, firmware devices) into a
 * diag of its own; its errors join the report (its warnings were given by
 * the validation).  Returns 0 or -1 (s->err). */
static int
session_recheck(struct import_session *s)
{
	struct diag *d = diag_create(), *report = s->d;
	int rc = 0;

	s->d = d;
	if (session_catalog_changed(s) &&
	    (session_load_catalog(s) == -1 || session_check_units(s) == -1))
		rc = -1;
	if (rc == 0)
		session_conflicts(s);
	if (rc == 0 && d->errors == 0)
		rc = session_fw_devices(s);
	if (s->o->strict)
		diag_promote_warnings(d);
	s->d = report;
	for (size_t i = 0; i < d->count; i++) {
		if (d->entries[i].severity == DIAG_ERROR)
			diag_add(report, DIAG_ERROR, d->entries[i].where, "%s", d->entries[i].message);
	}
	diag_free(d);
	return rc;
}

/* Under the channel lock: the staged units, their hashes records and the
 * catalog into the transaction, then its commit. */
static int
session_publish(struct import_session *s)
{
	char *cat;
	int rc;

	if (txn_check_space(s->txn, 0, s->o->reserve, &s->err) == -1)
		return -1;
	hashlist_sort(&s->hl);
	for (size_t i = 0; i < s->ul.count; i++) {
		if (session_stage_unit(s, &s->ul.units[i]) == -1)
			return -1;
	}
	cat = catalog_dump(s->cat);
	rc = txn_write_file(s->txn, STORE_CATALOG_FILE, cat, strlen(cat), &s->err);
	free(cat);
	if (rc == -1)
		return -1;
	rc = txn_commit(s->txn, s->d, &s->err);
	s->txn = NULL;
	s->stagefd = -1;
	return rc;
}

int
import_session_commit(struct import_session *s, struct errbuf *err)
{
	int rc;

	if (s->o->dry_run || s->committed || s->txn == NULL) {
		errbuf_set(&s->err, s->txn == NULL && !s->o->dry_run && !s->committed ?
		    "nothing staged to publish" : "this session cannot commit");
		return session_fail(s, err);
	}
	if (!s->validated && import_session_validate(s, err) == -1)
		return -1;
	if (s->d->errors > 0)
		return 1;
	if (chan_lock(&s->chan, &s->err) == -1)
		return session_fail(s, err);
	rc = session_recover_locked(s);
	if (rc == 0)
		rc = session_recheck(s);
	if (rc == 0 && s->d->errors > 0)
		rc = 1;
	if (rc == 0 && (rc = session_publish(s)) == 0)
		s->committed = 1;
	chan_unlock(&s->chan);
	return rc == -1 ? session_fail(s, err) : rc;
}

void
import_session_free(struct import_session *s)
{
	if (s == NULL)
		return;
	txn_abort(s->txn);
	if (s->tmpdir != NULL) {
		if (s->stagefd != -1)
			close(s->stagefd);
		tree_remove(AT_FDCWD, s->tmpdir, NULL);
		free(s->tmpdir);
	}
	if (s->have_chan && s->chan.created && !s->committed &&
	    chan_lock(&s->chan, &s->err) == 0) {
		chan_discard_if_new(&s->chan);	/* only what is still empty goes */
		chan_unlock(&s->chan);
	}
	if (s->have_chan)
		chan_close(&s->chan);
	for (size_t i = 0; i < s->nudesc; i++)
		descriptor_free(&s->udesc[i]);
	free(s->udesc);
	free(s->udesc_state);
	free(s->stagepath);
	unit_list_free(&s->ul);
	hashlist_free(&s->hl);
	descriptor_free(&s->desc);
	catalog_free(s->cat);
	free(s);
}
