/*
 * sync_stage: the publish of a sync through the import session: a store
 * download/ tree staged from the upstream's indexes and the verified files,
 * moved (renamed, never copied) from .mirror/<channel>/files/, adopted with
 * the hashes computed as they arrived, validated and committed in one
 * transaction; then --keep's retention.  sync.h has the rules.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle_prune.h"
#include "descriptor.h"
#include "housekeeping.h"
#include "import_session.h"
#include "store_layout.h"
#include "sync_internal.h"
#include "xmalloc.h"

/* What one publish moved into the staging area. */
struct sync_stage {
	int stagefd;		/* the staged folder (the download/ tree) */
	char *name;		/* its name in the session's staging area */
	struct staged_hash *known;
	size_t nknown;
	size_t units;
};

static void
sync_stage_opts(const struct sync_run *run, struct imp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->root = run->c->root;
	o->channel = run->t->channel;
	o->kind = KIND_NONE;
	o->create_channel = 1;
	/* Only folders not published here are staged; one marked removed
	 * (retention, storeimport remove) that the upstream still lists is
	 * brought back in its place. */
	o->replace = 1;
	/* The upstream's indexes are the authority: a relabel of a build
	 * mirrored earlier is taken too, and an entry the plan left out (and
	 * reported) does not refuse the publish (adopt.h). */
	o->adopt_upstream = 1;
	/* --devices narrows firmware on purpose: a release's new build may
	 * lack devices its older one had here. */
	o->allow_dropped_devices = run->c->sel.devices != NULL && *run->c->sel.devices != '\0';
	o->limits.max_bytes = ARCHIVE_DEFAULT_MAX_BYTES;
	o->limits.max_ratio = ARCHIVE_DEFAULT_MAX_RATIO;
	o->limits.max_entries = ARCHIVE_DEFAULT_MAX_ENTRIES;
}

/* The upstream's indexes, verbatim, at the top of the staged tree. */
static int
sync_stage_indexes(struct sync_run *run, struct sync_stage *sg, struct errbuf *err)
{
	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		const char *name = index_kind_file((enum index_kind)k);
		char hex[SHA256_HEX_LEN + 1];
		uint64_t size;

		if (run->have_index[k] && copy_hash_file(run->st->indexfd, name, sg->stagefd, name,
		    hex, &size, err) != 0)
			return errbuf_prefix(err, "%s/indexes", run->st->path);
	}
	return 0;
}

/* Moves the files of a verified unit into the staged tree. */
static int
sync_stage_unit(struct sync_run *run, struct sync_stage *sg, const struct sync_unit *u,
    struct errbuf *err)
{
	for (size_t k = 0; k < u->nfiles; k++) {
		const struct sync_file *f = &u->files[k];
		struct staged_hash *h;

		if (f->status != 200)
			continue;
		if (mirror_state_mkparents(sg->stagefd, f->rel, err) == -1)
			return errbuf_prefix(err, "staging");
		if (renameat(run->st->filesfd, f->rel, sg->stagefd, f->rel) == -1)
			return errbuf_set_errno(err, "%s/files/%s: move into the staging area",
			    run->st->path, f->rel);
		sg->known = xreallocarray(sg->known, sg->nknown + 1, sizeof(*sg->known));
		h = &sg->known[sg->nknown++];
		h->rel = f->rel;
		h->sha256 = f->sha256;
		h->size = f->size;
	}
	sg->units++;
	return 0;
}

/* After a publish that did not happen: the files go back to the state, so
 * the next run resumes with them instead of fetching them again. */
static void
sync_stage_restore(struct sync_run *run, struct sync_stage *sg)
{
	for (size_t i = 0; i < sg->nknown; i++)
		renameat(sg->stagefd, sg->known[i].rel, run->st->filesfd, sg->known[i].rel);
}

/* The session's problems that concern the mirror's user: errors.  (Its
 * warnings are about the upstream's indexes naming builds that were not
 * staged, which a selective or incremental mirror does on purpose.) */
static void
sync_stage_problems(struct sync_run *run, const struct report *rep, const struct sync_stage *sg)
{
	size_t n = sg != NULL && sg->name != NULL ? strlen(sg->name) : 0;

	for (size_t i = 0; i < rep->diag->count; i++) {
		const struct diag_entry *e = &rep->diag->entries[i];
		char *where;

		if (e->severity != DIAG_ERROR)
			continue;
		/* "<staged name>/apps.json" is the upstream's apps.json */
		if (n > 0 && strncmp(e->where, sg->name, n) == 0 && e->where[n] == '/')
			where = xasprintf("%s/%s", run->t->download, e->where + n + 1);
		else
			where = xstrdup(e->where);
		sync_problem(run, DIAG_ERROR, where, "%s", e->message);
		free(where);
	}
}

#define SYNC_STAGE_AGAIN	(-2)	/* the importer refused some folders: again without */

/* Folders the importer's validation refused (each error names a path in
 * one of them) are left out with its errors, and 1 returned; 0 when an
 * error concerns no single folder (the publish is refused as a whole). */
static int
sync_stage_refuse_units(struct sync_run *run, const struct report *rep)
{
	const struct diag *d = rep->diag;
	struct sync_unit **hit = xcalloc(d->count + 1, sizeof(*hit));
	int all = 1;

	for (size_t i = 0; i < d->count && all; i++) {
		const char *where = d->entries[i].where;

		if (d->entries[i].severity != DIAG_ERROR)
			continue;
		for (size_t k = 0; k < run->nunits && hit[i] == NULL; k++) {
			size_t n = strlen(run->units[k].dir);

			if (!run->units[k].failed && strncmp(where, run->units[k].dir, n) == 0 &&
			    (where[n] == '/' || where[n] == '\0'))
				hit[i] = &run->units[k];
		}
		all = hit[i] != NULL;
	}
	for (size_t i = 0; i < d->count && all; i++)
		if (hit[i] != NULL) {
			if (!hit[i]->failed)
				run->r->failed++;
			hit[i]->failed = 1;
			sync_problem(run, DIAG_ERROR, d->entries[i].where, "%s left out, the importer "
			    "refused it: %s", hit[i]->dir, d->entries[i].message);
		}
	free(hit);
	return all;
}

/* Stages, adopts, validates and commits; 0, an exit status, or
 * SYNC_STAGE_AGAIN. */
static int
sync_stage_commit(struct sync_run *run, struct import_session *s, const struct report *rep,
    struct sync_stage *sg, struct errbuf *err)
{
	int rc;

	if ((sg->stagefd = import_session_stage_new(s, &sg->name, err)) == -1)
		return IMP_EXIT_IO;
	rc = sync_stage_indexes(run, sg, err);
	for (size_t i = 0; rc == 0 && i < run->nunits; i++)
		if (!run->units[i].failed)
			rc = sync_stage_unit(run, sg, &run->units[i], err);
	/* Platform entries whose version folder is not staged (published
	 * here already, not selected) would empty the catalog's files of that
	 * platform: the staged linux.json and phoneplatform.json name only
	 * what is staged.  The other indexes stay whole for their metadata. */
	if (rc == 0)
		rc = bundle_prune_index_kinds(sg->stagefd, MIRROR_KIND_BIT(INDEX_LINUX) |
		    MIRROR_KIND_BIT(INDEX_PHONEPLATFORM), err);
	/* The files were written without fsync: one syncfs makes them durable
	 * before the commit publishes them. */
	if (rc == 0 && syncfs(sg->stagefd) == -1)
		rc = errbuf_set_errno(err, "%s: syncfs", run->c->root);
	if (rc == 0)
		rc = import_session_adopt_hashed(s, sg->name, sg->known, sg->nknown, err);
	if (rc == 0)
		rc = import_session_validate(s, err);
	if (rc == 0 && rep->diag->errors > 0 && sync_stage_refuse_units(run, rep))
		return SYNC_STAGE_AGAIN;
	if (rc == 0)
		rc = import_session_commit(s, err);
	return rc == 0 ? 0 : rc == 1 ? IMP_EXIT_INVALID : IMP_EXIT_IO;
}

/* Forgets the state's copies of what was published. */
static void
sync_stage_forget(struct sync_run *run)
{
	const char *slash;

	for (size_t i = 0; i < run->nunits; i++) {
		const struct sync_unit *u = &run->units[i];

		if (u->failed)
			continue;
		json_array_append_new(run->r->published, json_string(u->dir));
		tree_remove(run->st->filesfd, u->dir, NULL);
		if ((slash = strchr(u->dir, '/')) != NULL) {	/* "app-platform", once empty */
			char *parent = xstrndup(u->dir, (size_t)(slash - u->dir));

			unlinkat(run->st->filesfd, parent, AT_REMOVEDIR);
			free(parent);
		}
	}
}

/* One publish of the folders not failed; 0, an exit status or
 * SYNC_STAGE_AGAIN. */
static int
sync_stage_once(struct sync_run *run, struct errbuf *err)
{
	struct sync_stage sg = { .stagefd = -1 };
	struct report *rep = report_create("publish");
	struct import_session *s = NULL;
	struct imp_opts o;
	size_t ok = 0;
	int status = 0;

	for (size_t i = 0; i < run->nunits; i++)
		ok += !run->units[i].failed;
	if (ok == 0 && !run->indexes_changed)
		goto out;	/* nothing new: no session (an index change alone opens one) */
	sync_stage_opts(run, &o);
	if ((s = import_session_create(&o, rep, err)) == NULL) {
		status = IMP_EXIT_IO;
		goto out;
	}
	status = sync_stage_commit(run, s, rep, &sg, err);
	if (status != SYNC_STAGE_AGAIN)
		sync_stage_problems(run, rep, &sg);
	if (status == 0) {
		run->indexes_published = 1;
		sync_stage_forget(run);
	} else {
		if (status == IMP_EXIT_INVALID && err->msg[0] == '\0')
			errbuf_set(err, "%s: the import session refused the publish (%zu errors)",
			    run->t->channel, rep->diag->errors);
		sync_stage_restore(run, &sg);
	}
out:
	if (sg.stagefd != -1)
		close(sg.stagefd);
	import_session_free(s);
	free(sg.name);
	free(sg.known);
	report_free(rep);
	return status;
}

int
sync_stage_publish(struct sync_run *run, struct errbuf *err)
{
	int status = sync_stage_once(run, err);

	if (status == SYNC_STAGE_AGAIN)
		status = sync_stage_once(run, err);
	return status == SYNC_STAGE_AGAIN ? IMP_EXIT_INVALID : status;
}

int
sync_stage_retain(struct sync_run *run, struct errbuf *err)
{
	struct report *rep = report_create("retain");
	char keep[32];
	struct imp_opts o;
	size_t n;
	int status;

	sync_stage_opts(run, &o);
	snprintf(keep, sizeof(keep), "%u", run->c->keep);
	status = housekeeping_retain(&o, keep, rep);
	sync_stage_problems(run, rep, NULL);
	n = json_array_size(rep->removed);
	for (size_t i = 0; i < n; i++)
		json_array_append(run->r->removed, json_array_get(rep->removed, i));
	if (status != 0)
		errbuf_set(err, "%s: retention --keep %u: %s", run->t->channel, run->c->keep,
		    rep->error ? rep->error : "failed");
	report_free(rep);
	return status == 0 ? 0 : -1;
}
