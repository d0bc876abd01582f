/*
 * transfer: many fetches at once (transfer.h), on one or more threads.
 *
 * A worker is a fetcher (its own event_base and connections) on a thread:
 * worker 0 is the caller's fetcher on the calling thread, the others are
 * made with fetch_create_like() before any thread starts and each runs on
 * a thread of its own, so no libevent or OpenSSL object is used by two
 * threads (no evthread locking needed).  The workers take jobs from one
 * queue, an atomic index into the array, each keeping up to its share of
 * `parallel` fetch_calls running; each one that ends starts the next job
 * of the queue.  A job and its fetch_call are touched by the worker that
 * took it only; the caller reads them once the threads are joined.
 *
 * Progress: each worker publishes its byte counts (atomics) on a 100 ms
 * tick and as a call ends, and the counts of jobs are atomics; the calling
 * thread's 200 ms timer adds them up and calls the callback, so it is only
 * ever called on the calling thread.  A worker thread that ends writes a
 * byte to a pipe watched by the calling thread's loop.  The final report is
 * computed from the jobs after the join, exact.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "transfer.h"
#include "xmalloc.h"

#define TRANSFER_DEFAULT_PARALLEL	4
#define TRANSFER_AUTO_MAX_THREADS	4	/* automatic: at most this many */
#define TRANSFER_MAX_THREADS		64	/* asked for: at most this many */
#define TRANSFER_PROGRESS_MS		200
#define TRANSFER_PUBLISH_MS		100

struct transfer_run_state;

/* One fetcher on one thread; all but the atomics are its thread's own. */
struct transfer_worker {
	struct transfer_run_state *r;
	struct fetcher *f;
	unsigned parallel;		/* its share of the run's */
	struct fetch_call **running;	/* [parallel]: its calls in progress */
	unsigned nrunning;
	uint64_t done_received;		/* of its calls that ended */
	uint64_t done_expected;
	_Atomic uint64_t received;	/* published for the progress */
	_Atomic uint64_t expected;
	pthread_t thread;
	int started;			/* thread created (workers 1..) */
};

struct transfer_run_state {
	struct transfer_job *jobs;
	struct fetch_call *calls;	/* [n], calls[i] for jobs[i] */
	size_t n;
	atomic_size_t next;		/* the queue: the next job to take */
	atomic_size_t jobs_done;
	atomic_size_t jobs_failed;
	atomic_uint threads_ended;
	unsigned threads_started;
	const struct transfer_config *c;
	struct transfer_worker *w;	/* [nw]; w[0] on the calling thread */
	unsigned nw;
	int wake[2];			/* written by a worker thread that ends */
	struct timespec t0;
};

static double
transfer_elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Worker's thread: its byte counts, for the calling thread to add up.  A
 * HEAD's size is a size learnt, not a body coming: not expected bytes. */
static void
transfer_publish(struct transfer_worker *w)
{
	uint64_t received = w->done_received, expected = w->done_expected;

	for (unsigned i = 0; i < w->nrunning; i++) {
		received += w->running[i]->res.received;
		if (!w->running[i]->o->head_only)
			expected += w->running[i]->res.expected;
	}
	atomic_store_explicit(&w->received, received, memory_order_relaxed);
	atomic_store_explicit(&w->expected, expected, memory_order_relaxed);
}

static void
transfer_publish_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	transfer_publish(arg);
}

/* Calling thread: the counts so far, or, once every thread is joined
 * (final), the exact figures from the jobs' calls. */
static void
transfer_progress_report(struct transfer_run_state *r, int final)
{
	struct transfer_progress p = { .jobs_total = r->n };

	if (final) {
		for (size_t i = 0; i < r->n; i++) {
			p.bytes_received += r->calls[i].res.received;
			if (!r->jobs[i].opts.head_only)
				p.bytes_expected += r->calls[i].res.expected;
		}
	} else {
		transfer_publish(&r->w[0]);
		for (unsigned i = 0; i < r->nw; i++) {
			p.bytes_received += atomic_load_explicit(&r->w[i].received,
			    memory_order_relaxed);
			p.bytes_expected += atomic_load_explicit(&r->w[i].expected,
			    memory_order_relaxed);
		}
	}
	p.jobs_done = atomic_load(&r->jobs_done);
	p.jobs_failed = atomic_load(&r->jobs_failed);
	p.elapsed = transfer_elapsed(&r->t0);
	if (r->c->progress != NULL)
		r->c->progress(&p, r->c->progress_arg);
}

static void
transfer_progress_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	transfer_progress_report(arg, 0);
}

/* Calling thread: a worker thread ended (the loop wakes up to see it). */
static void
transfer_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[64];

	(void)what;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void transfer_call_done(struct fetch_call *call);

/* Worker's thread: takes the next job of the queue and starts it; -1 when
 * the queue is empty. */
static int
transfer_start_next(struct transfer_worker *w)
{
	struct transfer_run_state *r = w->r;
	size_t i = atomic_fetch_add(&r->next, 1);
	struct transfer_job *j;
	struct fetch_call *call;

	if (i >= r->n)
		return -1;
	j = &r->jobs[i];
	call = &r->calls[i];
	call->url = j->url;
	call->dirfd = j->dirfd;
	call->tmpname = j->tmpname;
	call->o = &j->opts;
	call->want_sha256 = !j->opts.head_only;
	call->done = transfer_call_done;
	call->arg = w;
	w->running[w->nrunning++] = call;
	fetch_start(w->f, call);
	return 0;
}

/* Worker's thread: the call's outcome into its job, and the next job. */
static void
transfer_call_done(struct fetch_call *call)
{
	struct transfer_worker *w = call->arg;
	struct transfer_job *j = &w->r->jobs[call - w->r->calls];

	j->rc = call->rc;
	j->res = call->res;
	j->err = call->err;
	j->have_sha256 = call->have_sha256;
	memcpy(j->sha256, call->sha256, sizeof(j->sha256));
	for (unsigned i = 0; i < w->nrunning; i++)
		if (w->running[i] == call) {
			w->running[i] = w->running[--w->nrunning];
			break;
		}
	w->done_received += call->res.received;
	if (!call->o->head_only)
		w->done_expected += call->res.expected;
	transfer_publish(w);
	if (call->rc != 0)
		atomic_fetch_add(&w->r->jobs_failed, 1);
	atomic_fetch_add(&w->r->jobs_done, 1);
	transfer_start_next(w);
}

/* Worker's thread: its jobs until the queue is empty and its calls ended;
 * worker 0 (the calling thread) also until the other threads ended. */
static void
transfer_worker_run(struct transfer_worker *w)
{
	struct transfer_run_state *r = w->r;
	int first = w == &r->w[0];

	while (w->nrunning < w->parallel && transfer_start_next(w) == 0)
		;
	/* a running call keeps a timer or request pending until it ends; a
	 * thread still running will write to the wake pipe */
	while (w->nrunning > 0 || (first && atomic_load(&r->threads_ended) < r->threads_started))
		event_base_loop(fetch_event_base(w->f), EVLOOP_ONCE);
	transfer_publish(w);
}

static void *
transfer_thread(void *arg)
{
	struct transfer_worker *w = arg;
	struct timeval tick = { 0, TRANSFER_PUBLISH_MS * 1000 };
	struct event *timer = event_new(fetch_event_base(w->f), -1, EV_PERSIST,
	    transfer_publish_cb, w);

	if (timer != NULL)
		event_add(timer, &tick);	/* without it, progress only as calls end */
	transfer_worker_run(w);
	if (timer != NULL)
		event_free(timer);
	atomic_fetch_add(&w->r->threads_ended, 1);
	/* fails only when the pipe is full, which wakes the loop all the same */
	ssize_t ignored = write(w->r->wake[1], "", 1);

	(void)ignored;
	return NULL;
}

/* How many workers: one with a rate limit (one rate-limit group makes it
 * exact); else c->threads, or min(online CPUs, TRANSFER_AUTO_MAX_THREADS);
 * never more than parallel nor the jobs. */
static unsigned
transfer_threads(const struct transfer_config *c, unsigned parallel, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned t;

	if (c->rate_limit > 0)
		return 1;
	if (c->threads > 0)
		t = c->threads < TRANSFER_MAX_THREADS ? c->threads : TRANSFER_MAX_THREADS;
	else
		t = cpus < 1 ? 1 : cpus > TRANSFER_AUTO_MAX_THREADS ? TRANSFER_AUTO_MAX_THREADS :
		    (unsigned)cpus;
	if (t > parallel)
		t = parallel;
	if (t > n)
		t = (unsigned)n;
	return t > 0 ? t : 1;
}

/* The workers besides the caller's, as many as can be made (fewer
 * threads is not an error); their share of parallel. */
static void
transfer_workers_new(struct transfer_run_state *r, struct fetcher *f, unsigned want,
    unsigned parallel)
{
	struct errbuf ignored;

	r->w = xcalloc(want, sizeof(*r->w));
	r->w[0].f = f;
	r->nw = 1;
	while (r->nw < want && (r->w[r->nw].f = fetch_create_like(f, &ignored)) != NULL)
		r->nw++;
	for (unsigned i = 0; i < r->nw; i++) {
		r->w[i].r = r;
		r->w[i].parallel = parallel / r->nw + (i < parallel % r->nw);
		r->w[i].running = xcalloc(r->w[i].parallel, sizeof(*r->w[i].running));
	}
}

static void
transfer_workers_free(struct transfer_run_state *r)
{
	for (unsigned i = 0; i < r->nw; i++) {
		if (i > 0)
			fetch_free(r->w[i].f);
		free(r->w[i].running);
	}
	free(r->w);
}

int
transfer_run(struct fetcher *f, struct transfer_job *jobs, size_t n,
    const struct transfer_config *c, struct errbuf *err)
{
	static const struct transfer_config defaults;
	struct transfer_run_state r = { .jobs = jobs, .n = n, .c = c != NULL ? c : &defaults,
	    .wake = { -1, -1 } };
	struct timeval tick = { 0, TRANSFER_PROGRESS_MS * 1000 };
	unsigned parallel = r.c->parallel > 0 ? r.c->parallel : TRANSFER_DEFAULT_PARALLEL;
	unsigned want = transfer_threads(r.c, parallel, n);
	struct event *timer = NULL, *wake = NULL;
	int rc = -1;

	if (fetch_set_rate_limit(f, r.c->rate_limit, err) != 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	r.calls = xcalloc(n > 0 ? n : 1, sizeof(*r.calls));
	if (want > 1 && pipe2(r.wake, O_CLOEXEC | O_NONBLOCK) != 0)
		want = 1;	/* one thread needs no wake-up */
	transfer_workers_new(&r, f, want, parallel);
	timer = event_new(fetch_event_base(f), -1, EV_PERSIST, transfer_progress_cb, &r);
	if (timer == NULL || event_add(timer, &tick) != 0) {
		errbuf_set(err, "transfer: cannot set the progress timer");
		goto out;
	}
	if (r.nw > 1 && ((wake = event_new(fetch_event_base(f), r.wake[0], EV_READ | EV_PERSIST,
	    transfer_wake_cb, NULL)) == NULL || event_add(wake, NULL) != 0)) {
		errbuf_set(err, "transfer: cannot watch the worker threads");
		goto out;
	}
	/* pthread_create() orders everything written so far before the thread */
	for (unsigned i = 1; i < r.nw; i++)
		if (pthread_create(&r.w[i].thread, NULL, transfer_thread, &r.w[i]) == 0) {
			r.w[i].started = 1;
			r.threads_started++;
		}
	transfer_worker_run(&r.w[0]);
	/* pthread_join() orders each thread's writes (jobs, calls) before here */
	for (unsigned i = 1; i < r.nw; i++)
		if (r.w[i].started)
			pthread_join(r.w[i].thread, NULL);
	transfer_progress_report(&r, 1);
	rc = 0;
out:
	if (wake != NULL)
		event_free(wake);
	if (timer != NULL)
		event_free(timer);
	transfer_workers_free(&r);
	if (r.wake[0] != -1) {
		close(r.wake[0]);
		close(r.wake[1]);
	}
	free(r.calls);
	fetch_set_rate_limit(f, 0, NULL);
	return rc;
}
