/*
 * sync_internal: what the modules of one sync run share (sync.c: indexes,
 * plan and units; sync_fetch.c: records, manifests, files and their
 * verification; sync_stage.c: the publish through the import session).
 * Not part of the mirror's API.
 */
#ifndef STORESRV_SYNC_INTERNAL_H
#define STORESRV_SYNC_INTERNAL_H

#include "copy_hash.h"
#include "mirror_state.h"
#include "sync.h"

/* A file fetched for a unit: a manifest or a file of a build. */
struct sync_file {
	char *rel;		/* below download/: "130001/arm/apidemo/x.png" */
	char *url;		/* where it came from (for errors) */
	const struct mirror_build *build;
	int arch;		/* apps: index into store_app_archs, else -1 */
	int manifest;		/* the build's manifest */
	int status;		/* 200 present, 404 missing, -1 failed; 0 not fetched */
	int head;		/* plan: its HEAD's 200 (size known), 404, or -1
				   failed (size unknown); 0 none made */
	char sha256[SHA256_HEX_LEN + 1];
	uint64_t size;		/* fetched (or, plan, the HEAD's Content-Length) */
};

/* A folder published as one: a build folder or a platform version. */
struct sync_unit {
	char *dir;			/* "130001", "app-platform/10001" */
	struct mirror_build **builds;	/* the plan's builds in it */
	size_t nbuilds;
	struct hashlist record;		/* the upstream's sha256 record */
	int have_record;
	struct sync_file *files;
	size_t nfiles;
	int fetched;			/* this attempt has run */
	int failed;			/* this attempt did not verify */
	int tries;			/* attempts made */
};

struct sync_run {
	const struct sync_config *c;
	const struct sync_target *t;
	struct sync_result *r;
	struct mirror_state *st;
	struct sync_source *src;
	struct index_doc *docs[INDEX_KIND_COUNT];
	int have_index[INDEX_KIND_COUNT];	/* upstream offers it */
	struct mirror_plan *plan;
	struct sync_unit *units;	/* to fetch (not published locally) */
	size_t nunits;
	size_t local_failures;		/* transfers that failed writing here */
	/* An index differs from the copy of the last run (or one that was
	 * there is gone), now or in a run whose publish did not apply it
	 * (mirror_state_pending()): the indexes are to be published even
	 * when no folder is staged (a relabel, a new description). */
	int indexes_changed;
	int indexes_published;		/* sync_stage.c committed them alone */
};

/* sync_fetch.c */
/* Fetches the records of every unit (a 404: none). */
int sync_fetch_records(struct sync_run *run, struct errbuf *err);
/* Fetches the manifests and files of the units not yet fetched and
 * verifies each; a unit that fails is marked failed (error in r->diag). */
int sync_fetch_units(struct sync_run *run, struct errbuf *err);
/* Forgets what a failed unit fetched for another try: its files are
 * removed, but for partial ones of a transfer cut short (resumed). */
void sync_unit_reset(struct sync_run *run, struct sync_unit *u);
/* Plan over HTTP: the sizes of the files not fetched (all but manifests),
 * asked with HEAD requests in one transfer_run() (--parallel at a time); a
 * HEAD that fails leaves its size unknown (a warning naming the URL, counted
 * in r->head_failed), it never fails the plan.  Nothing for a local source,
 * which tells sizes itself (sync_source_size()). */
void sync_fetch_sizes(struct sync_run *run);
/* Counts what the units would fetch per kind (dry run). */
void sync_fetch_count(struct sync_run *run);
void sync_unit_clear(struct sync_unit *u);

/* sync_stage.c */
/* Publishes the verified units with the upstream's indexes. */
int sync_stage_publish(struct sync_run *run, struct errbuf *err);
/* Applies --keep. */
int sync_stage_retain(struct sync_run *run, struct errbuf *err);

/* A job's error without the URL it starts with (the caller names it). */
const char *sync_job_error(const struct transfer_job *j);

/* Records a problem of the run in r->diag. */
void sync_problem(struct sync_run *run, enum diag_severity sev, const char *where,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
