/*
 * rescan: the thread that rewrites the channels' indexes; see rescan.h.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "diag.h"
#include "log.h"
#include "rescan.h"
#include "store_index.h"
#include "xmalloc.h"

struct rescan {
	char *root;
	pthread_t tid;
	pthread_mutex_t mutex;
	pthread_cond_t cond;	/* signals pending/stopping to the thread, finished back */
	int pending;		/* a rescan was asked for */
	int stopping;
	int finished;		/* the thread has left its loop */
};

/*
 * Test hook: STORESRV_TEST_RESCAN_STALL_MS holds every rescan up that long
 * before it starts, standing in for a disk that stalls (the readers of the
 * store no longer block on anything a test can set up, e.g. a FIFO), so
 * that a test can show that serving and SIGTERM do not wait for a rescan.
 */
static void
rescan_test_stall(void)
{
	const char *ms = getenv("STORESRV_TEST_RESCAN_STALL_MS");
	struct timespec ts;
	long n;

	if (ms == NULL || (n = strtol(ms, NULL, 10)) <= 0)
		return;
	ts.tv_sec = n / 1000;
	ts.tv_nsec = (n % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static void
rescan_once(const char *root)
{
	struct diag *report = diag_create();
	struct errbuf err;

	rescan_test_stall();
	if (store_index_rebuild_all(root, report, &err) == -1)
		log_warnx("rescan: %s", err.msg);
	for (size_t i = 0; i < report->count; i++)
		log_info("rescan: %s: %s", report->entries[i].where, report->entries[i].message);
	diag_free(report);
}

static void *
rescan_main(void *arg)
{
	struct rescan *r = arg;

	pthread_mutex_lock(&r->mutex);
	for (;;) {
		while (!r->pending && !r->stopping)
			pthread_cond_wait(&r->cond, &r->mutex);
		if (r->stopping)
			break;
		r->pending = 0;
		pthread_mutex_unlock(&r->mutex);
		rescan_once(r->root);
		pthread_mutex_lock(&r->mutex);
	}
	r->finished = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mutex);
	return NULL;
}

static void
rescan_destroy(struct rescan *r)
{
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->mutex);
	free(r->root);
	free(r);
}

/* Starts the thread with the stop and reload signals blocked: they are the
 * main thread's business. */
static int
rescan_spawn(struct rescan *r)
{
	sigset_t set, old;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	rc = pthread_create(&r->tid, NULL, rescan_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

struct rescan *
rescan_start(const char *root, struct errbuf *err)
{
	struct rescan *r = xcalloc(1, sizeof(*r));
	pthread_condattr_t attr;

	r->root = xstrdup(root);
	r->pending = 1;
	pthread_mutex_init(&r->mutex, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &attr);
	pthread_condattr_destroy(&attr);
	if ((errno = rescan_spawn(r)) != 0) {
		errbuf_set_errno(err, "rescan thread");
		rescan_destroy(r);
		return NULL;
	}
	return r;
}

void
rescan_request(struct rescan *r)
{
	pthread_mutex_lock(&r->mutex);
	r->pending = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mutex);
}

void
rescan_stop(struct rescan *r, int wait_ms)
{
	struct timespec deadline;
	int finished;

	if (r == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mutex);
	r->stopping = 1;
	pthread_cond_broadcast(&r->cond);
	while (!r->finished && pthread_cond_timedwait(&r->cond, &r->mutex, &deadline) != ETIMEDOUT)
		;
	finished = r->finished;
	pthread_mutex_unlock(&r->mutex);
	if (!finished) {
		/* r stays with the thread; both end with the process. */
		log_warnx("rescan still running after %d ms; not waiting for it", wait_ms);
		pthread_detach(r->tid);
		return;
	}
	pthread_join(r->tid, NULL);
	rescan_destroy(r);
}
