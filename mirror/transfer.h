/*
 * transfer: many downloads at once on one fetcher (fetch.h), for the
 * mirror's sync: bounded parallel connections with keep-alive, one
 * bandwidth limit for the whole run (libevent's rate-limit group), and the
 * sha256 of each file computed as its bytes arrive (a resumed file's
 * existing prefix is hashed first), so a file is written once and never
 * read back.
 *
 * transfer_run() returns when every job has ended; each job carries its own
 * outcome (rc, res, err, sha256) as fetch_file() would report it.  The
 * progress callback is called from the event loop at most every
 * 200 ms and once at the end.
 *
 * Jobs start in array order; as one ends the next starts, on an idle kept
 * connection to its host when there is one, so a run opens at most
 * `parallel` connections per host (one, kept alive, for parallel = 1).  The
 * rate limit covers the body bytes read by all connections together
 * (tokens every 100 ms); it is set for the run and removed after it.
 *
 * A job with opts.head_only sends HEAD (fetch.h): its size is in res.expected,
 * nothing is written and no sha256 computed (have_sha256 stays 0); the
 * progress counts it as a job, and its size not in bytes_expected.
 *
 * Library code: never prints; 0/-1 with errbuf.
 */
#ifndef STORESRV_MIRROR_TRANSFER_H
#define STORESRV_MIRROR_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "fetch.h"

struct transfer_job {
	/* in */
	const char *url;	/* http:// or https:// */
	int dirfd;		/* the file is written to dirfd/tmpname */
	const char *tmpname;
	struct fetch_opts opts;
	void *user;		/* the caller's */
	/* out */
	int rc;			/* fetch_file()'s return */
	struct fetch_result res;
	struct errbuf err;
	int have_sha256;	/* complete file (200/206, not head_only): sha256 set */
	char sha256[65];	/* lower-case hex of the whole file */
};

struct transfer_progress {
	size_t jobs_total, jobs_done, jobs_failed;
	uint64_t bytes_received;	/* body bytes this run */
	uint64_t bytes_expected;	/* sum of known sizes (Content-Length) */
	double elapsed;			/* seconds since transfer_run() began */
};

struct transfer_config {
	unsigned parallel;		/* simultaneous requests; 0: 4 */
	uint64_t rate_limit;		/* bytes per second for the run; 0: none */
	void (*progress)(const struct transfer_progress *p, void *arg);
	void *progress_arg;
};

/* Runs jobs[0..n) with at most c->parallel at a time.  Returns 0 when the
 * run itself worked (some jobs may have failed: see each job's rc), -1
 * (err) when it could not run at all. */
int transfer_run(struct fetcher *f, struct transfer_job *jobs, size_t n,
    const struct transfer_config *c, struct errbuf *err);

#endif
