/*
 * transfer: many downloads at once (fetch.h), for the mirror's sync:
 * bounded parallel connections with keep-alive, on several threads, one
 * bandwidth limit for the whole run (libevent's rate-limit group), and the
 * sha256 of each file computed as its bytes arrive (a resumed file's
 * existing prefix is hashed first), so a file is written once and never
 * read back.
 *
 * transfer_run() returns when every job has ended; each job carries its own
 * outcome (rc, res, err, sha256) as fetch_file() would report it.  The
 * progress callback is called on the calling thread only, from the
 * caller's fetcher's event loop, at most every 200 ms (its byte counts up
 * to 100 ms behind) and once at the end (exact).
 *
 * Threads: the jobs run on `threads` workers, each a fetcher with its own
 * event_base and connections on its own thread (the caller's fetcher on
 * the calling thread, the others made with fetch_create_like() for the
 * run and freed after it), taking jobs from one shared queue; `parallel`
 * is divided among them.  libevent 2.1 reads 4 KiB per system call, so
 * one thread is CPU-bound near 250 MB/s; more threads use more cores.
 * With a rate limit the run uses one thread, so that one rate-limit group
 * keeps the limit exact (a divided limit would be short whenever a
 * thread idles), and a limited run is not CPU-bound anyway.
 *
 * Jobs start in array order; as one ends the worker starts the next, on an
 * idle kept connection to its host when there is one, so a run opens at
 * most `parallel` connections per host (one, kept alive, for parallel = 1).
 * The rate limit covers the body bytes read by all connections together
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
	unsigned threads;		/* 0: min(online CPUs, 4); 1: the calling
					   thread only; never more than parallel
					   or the jobs; 1 with a rate limit */
	void (*progress)(const struct transfer_progress *p, void *arg);
	void *progress_arg;
};

/* Runs jobs[0..n) with at most c->parallel at a time, f's on the calling
 * thread (f is not used by another thread).  Returns 0 when the
 * run itself worked (some jobs may have failed: see each job's rc), -1
 * (err) when it could not run at all. */
int transfer_run(struct fetcher *f, struct transfer_job *jobs, size_t n,
    const struct transfer_config *c, struct errbuf *err);

#endif
