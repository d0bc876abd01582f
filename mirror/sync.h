/*
 * sync: the mirror's engine, one run of one channel (storemirror sync and
 * plan; docs/MIRROR.md).
 *
 *   1. lock <root>/.mirror/<channel>/ (mirror_state.h): one run at a time
 *   2. fetch the five indexes conditionally (If-None-Match with the ETags
 *      of the last run; a 304 reuses the stored copy, a 404 is "absent");
 *      an index that is truncated or invalid fails the channel, nothing
 *      changed
 *   3. plan (mirror_plan.h) and group the builds by the folder they are
 *      published in (a build "130001" holds apps, software and firmware; a
 *      platform version "app-platform/10001" several platforms); a folder
 *      already published locally (not .removed) is skipped without a
 *      request
 *   4. per folder: the upstream's sha256 record (a 404: none), the
 *      manifests, then every file, all in parallel (transfer.h), each
 *      written once to .mirror/<channel>/files/ and hashed as it arrives;
 *      a partial file of an earlier run is resumed, a complete one kept
 *      when the record vouches for it
 *   5. verify each folder: every listed file present (apps: one whole
 *      architecture at least, a 404 for a whole one is normal), sha256 as
 *      the record says when there is one; a folder failing is fetched once
 *      more (its files removed first, but for partial ones of a transfer
 *      cut short, which are resumed), then left out with an error naming
 *      the URL; its files stay for the next run
 *   6. publish the verified folders with the upstream's indexes in one
 *      import-session transaction (import_session.h), the files renamed
 *      into the staging area with their hashes; then --keep's retention
 *
 * With dry_run (plan) it stops after the manifests and counts what would be
 * fetched per kind, changing nothing in the channel.  Over HTTP the sizes of
 * the files it would fetch come from HEAD requests (at most `parallel` at
 * once): the plan's bytes are what the sync would fetch of the manifests and
 * files (the indexes and sha256 records not counted); a file whose HEAD fails
 * is counted in its kind's `unknown` and in head_failed, never failing the
 * plan, and a file answering 404 is not counted (as a sync would not fetch
 * it: an app's architecture missing upstream).
 *
 * Library code: nothing printed; the outcome is a struct sync_result.
 */
#ifndef STORESRV_SYNC_H
#define STORESRV_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "diag.h"
#include "index_parse.h"
#include "mirror_plan.h"
#include "sync_source.h"

struct sync_config {
	const char *root;
	struct mirror_selection sel;
	int dry_run;
	unsigned keep;			/* retention after the sync; 0: none */
	unsigned parallel;
	uint64_t rate_limit;
	unsigned stall_timeout;
	unsigned retries;
	const char *ca_file;
	const char *proxy;
	/* progress of the file transfers (called from the run) */
	void (*progress)(const struct transfer_progress *p, void *arg);
	void *progress_arg;
};

/* What a plan would fetch of one kind. */
struct sync_kind_plan {
	size_t builds;		/* builds or platform entries to fetch */
	size_t files;
	uint64_t bytes;		/* sum of the sizes known */
	size_t unknown;		/* files whose size is not known (not in bytes) */
};

struct sync_result {
	int status;		/* enum imp_exit */
	char *error;		/* the fatal error of the channel, or NULL */
	struct diag *diag;	/* builds that failed (errors naming URLs), warnings */
	json_t *published;	/* ["130001", "app-platform/10001"] */
	json_t *removed;	/* by --keep */
	size_t up_to_date;	/* folders already published locally */
	size_t failed;		/* folders left out */
	size_t files;		/* files fetched */
	size_t kept;		/* complete files of an interrupted run, kept */
	uint64_t bytes;		/* body bytes received */
	size_t not_modified;	/* indexes answered 304 */
	size_t requests;
	double seconds;
	struct sync_kind_plan plan[INDEX_KIND_COUNT];	/* dry_run */
	size_t head_failed;	/* dry_run: HEAD requests that failed (those
				   files' sizes are unknown) */
};

void sync_result_init(struct sync_result *r);
void sync_result_clear(struct sync_result *r);

/* One run of the channel of target t into c->root.  Returns r->status. */
int sync_channel(const struct sync_config *c, const struct sync_target *t,
    struct sync_result *r);

#endif
