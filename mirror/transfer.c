/*
 * transfer: many fetches at once on one fetcher's event loop (transfer.h).
 * Up to `parallel` fetch_calls run at a time; each one that ends starts
 * the next job.  The fetcher keeps one connection per running fetch to a
 * host and reuses it, so a run opens at most `parallel` connections per
 * host.  A 200 ms timer reports progress.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "transfer.h"
#include "xmalloc.h"

#define TRANSFER_DEFAULT_PARALLEL	4
#define TRANSFER_PROGRESS_MS		200

struct transfer_run_state {
	struct fetcher *f;
	struct transfer_job *jobs;
	struct fetch_call *calls;
	size_t n, next, running;
	const struct transfer_config *c;
	struct transfer_progress p;
	struct timespec t0;
};

static double
transfer_elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
transfer_progress_report(struct transfer_run_state *r)
{
	r->p.bytes_received = 0;
	r->p.bytes_expected = 0;
	for (size_t i = 0; i < r->next; i++) {
		r->p.bytes_received += r->calls[i].res.received;
		if (!r->jobs[i].opts.head_only)	/* a size learnt, not a body coming */
			r->p.bytes_expected += r->calls[i].res.expected;
	}
	r->p.elapsed = transfer_elapsed(&r->t0);
	if (r->c->progress != NULL)
		r->c->progress(&r->p, r->c->progress_arg);
}

static void
transfer_progress_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	transfer_progress_report(arg);
}

static void transfer_call_done(struct fetch_call *call);

static void
transfer_start_next(struct transfer_run_state *r)
{
	struct transfer_job *j = &r->jobs[r->next];
	struct fetch_call *call = &r->calls[r->next];

	r->next++;
	r->running++;
	call->url = j->url;
	call->dirfd = j->dirfd;
	call->tmpname = j->tmpname;
	call->o = &j->opts;
	call->want_sha256 = !j->opts.head_only;
	call->done = transfer_call_done;
	call->arg = r;
	fetch_start(r->f, call);
}

static void
transfer_call_done(struct fetch_call *call)
{
	struct transfer_run_state *r = call->arg;
	struct transfer_job *j = &r->jobs[call - r->calls];

	j->rc = call->rc;
	j->res = call->res;
	j->err = call->err;
	j->have_sha256 = call->have_sha256;
	memcpy(j->sha256, call->sha256, sizeof(j->sha256));
	r->running--;
	r->p.jobs_done++;
	if (call->rc != 0)
		r->p.jobs_failed++;
	if (r->next < r->n)
		transfer_start_next(r);
}

int
transfer_run(struct fetcher *f, struct transfer_job *jobs, size_t n,
    const struct transfer_config *c, struct errbuf *err)
{
	static const struct transfer_config defaults;
	struct transfer_run_state r = { .f = f, .jobs = jobs, .n = n,
	    .c = c != NULL ? c : &defaults };
	struct timeval tick = { 0, TRANSFER_PROGRESS_MS * 1000 };
	unsigned parallel = r.c->parallel > 0 ? r.c->parallel : TRANSFER_DEFAULT_PARALLEL;
	struct event *timer = NULL;
	int rc = -1;

	if (fetch_set_rate_limit(f, r.c->rate_limit, err) != 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	r.p.jobs_total = n;
	r.calls = xcalloc(n > 0 ? n : 1, sizeof(*r.calls));
	timer = event_new(fetch_event_base(f), -1, EV_PERSIST, transfer_progress_cb, &r);
	if (timer == NULL || event_add(timer, &tick) != 0) {
		errbuf_set(err, "transfer: cannot set the progress timer");
		goto out;
	}
	while (r.next < n && r.running < parallel)
		transfer_start_next(&r);
	/* a running call keeps a timer or request pending until it ends */
	while (r.running > 0)
		event_base_loop(fetch_event_base(f), EVLOOP_ONCE);
	transfer_progress_report(&r);
	rc = 0;
out:
	if (timer != NULL)
		event_free(timer);
	free(r.calls);
	fetch_set_rate_limit(f, 0, NULL);
	return rc;
}
