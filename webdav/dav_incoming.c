/*
 * dav_incoming: the watcher of incoming/ (dav_incoming.h): its thread, the
 * table of uploads the WebDAV loop reports activity on, and the rule of
 * when an upload is imported.
 *
 * Each pass (every quiet/4 seconds, between 1 and 5; sooner, but not
 * within a second of the last, when an upload's hold is released) lists
 * the channels of the root, then the top-level entries of each channel's
 * incoming/, and walks each upload (dav_incoming_walk.c).  An upload is
 * imported (dav_incoming_import.c) when nothing holds it, no WebDAV lock
 * covers it (dav_incoming_locks.c), no temporary file below it is live,
 * and either
 *   - it is quiet: its signature (newest mtime, total size, entries) has
 *     not changed, nor has the WebDAV loop touched it, for quiet_seconds,
 *     and its newest mtime is that old too (files copied in by other means
 *     count); or
 *   - it is complete (every manifest's files present and not empty; an
 *     archive whose PUT ended and that reads whole) and has settled for
 *     INC_SETTLE_MS.
 * A refused upload is not tried again until its signature changes (after
 * a restart too: its problems file, newer than all of it, says refused);
 * one that failed on an I/O error is tried again after INC_RETRY_MS.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "dav_handler.h"
#include "dav_incoming.h"
#include "dav_incoming_internal.h"
#include "fs_open.h"
#include "log.h"
#include "read_path.h"
#include "source.h"
#include "store_layout.h"
#include "xmalloc.h"

#define INC_MAX_UPLOADS		1024	/* uploads tracked in all, and names of an
					   incoming/ looked at per pass */
#define INC_MAX_CHANNELS	256	/* folders of the root looked at per pass */
#define INC_NAME_MAX		255
#define INC_SETTLE_MS		2000	/* a complete upload waits this long unchanged */
#define INC_RETRY_MS		60000	/* after an I/O failure */
#define INC_STALE_MIN_SECONDS	300	/* a temporary file untouched this long is dead */
#define INC_INCOMING_DIR	"incoming"

/* One upload: what the WebDAV loop reports, and what the watcher saw. */
struct inc_entry {
	char channel[DAV_CHANNEL_MAX + 1];
	char name[INC_NAME_MAX + 1];
	/* reported by the WebDAV loop */
	int64_t touched;	/* monotonic ms of the last touch or hold; 0: none */
	int holds;		/* uploads in progress below it */
	int released;		/* a hold ended, none began since (a PUT finished) */
	/* the watcher's */
	int present;		/* seen by the current pass */
	int seen;		/* look is valid */
	struct inc_look look;	/* as last walked */
	int64_t changed;	/* monotonic ms when look's signature last changed */
	int complete;		/* inc_complete() of look: 1, 0, or -1 not known */
	int failed;		/* refused as failed_look shows it */
	struct inc_look failed_look;
	int64_t retry_at;	/* after an I/O failure: not before */
};

struct dav_incoming {
	char *root;
	int rootfd;
	unsigned quiet;			/* seconds */
	uint64_t reserve;
	pthread_t thread;
	pthread_mutex_t mu;		/* guards what follows */
	pthread_cond_t cond;		/* CLOCK_MONOTONIC */
	atomic_int stop;
	struct inc_locks locks;		/* the watcher's thread's own */
	int wake;			/* a hold was released: pass soon */
	struct inc_entry *entries;
	size_t count, alloc;
};

/* One channel's incoming/ during a pass. */
struct inc_chan {
	struct dav_incoming *inc;
	const char *channel;
	int incfd;
	struct catalog *cat;		/* loaded when completeness is asked */
	int cat_loaded;
};

static int64_t
inc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static time_t
inc_stale_before(const struct dav_incoming *inc)
{
	unsigned stale = inc->quiet * 4 > INC_STALE_MIN_SECONDS ? inc->quiet * 4 :
	    INC_STALE_MIN_SECONDS;

	return time(NULL) - (time_t)stale;
}

/* ---- the table (under the mutex) ---- */

static struct inc_entry *
inc_find(struct dav_incoming *inc, const char *channel, const char *name, size_t len)
{
	for (size_t i = 0; i < inc->count; i++) {
		struct inc_entry *e = &inc->entries[i];

		if (strcmp(e->channel, channel) == 0 && strncmp(e->name, name, len) == 0 &&
		    e->name[len] == '\0')
			return e;
	}
	return NULL;
}

static void
inc_remove(struct dav_incoming *inc, struct inc_entry *e)
{
	*e = inc->entries[--inc->count];
}

/* A full table gives up an upload nobody holds, one no pass saw first,
 * else the one touched longest ago.  0 when every upload is held. */
static int
inc_make_room(struct dav_incoming *inc)
{
	struct inc_entry *victim = NULL;

	for (size_t i = 0; i < inc->count; i++) {
		struct inc_entry *e = &inc->entries[i];

		if (e->holds > 0)
			continue;
		if (victim == NULL || (!e->present && victim->present) ||
		    (e->present == victim->present && e->touched < victim->touched))
			victim = e;
	}
	if (victim == NULL)
		return 0;
	inc_remove(inc, victim);
	return 1;
}

/* The upload, added when new; NULL when the names are out of bounds or
 * the table is full of held uploads. */
static struct inc_entry *
inc_get(struct dav_incoming *inc, const char *channel, const char *name, size_t len)
{
	struct inc_entry *e;

	if (len == 0 || len > INC_NAME_MAX || strlen(channel) > DAV_CHANNEL_MAX)
		return NULL;
	if ((e = inc_find(inc, channel, name, len)) != NULL)
		return e;
	if (inc->count == INC_MAX_UPLOADS && !inc_make_room(inc))
		return NULL;
	if (inc->count == 0 || (inc->count & (inc->count - 1)) == 0)
		inc->entries = xreallocarray(inc->entries, inc->count == 0 ? 1 : inc->count * 2,
		    sizeof(*inc->entries));
	e = &inc->entries[inc->count++];
	memset(e, 0, sizeof(*e));
	strcpy(e->channel, channel);
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->complete = -1;
	return e;
}

/* ---- the WebDAV loop's reports ---- */

/* The upload a path below incoming/ belongs to: its first segment. */
static struct inc_entry *
inc_get_rel(struct dav_incoming *inc, const char *channel, const char *rel)
{
	while (*rel == '/')
		rel++;
	return inc_get(inc, channel, rel, strcspn(rel, "/"));
}

void
dav_incoming_touch(struct dav_incoming *inc, const char *channel, const char *rel)
{
	struct inc_entry *e;

	if (inc == NULL)
		return;
	pthread_mutex_lock(&inc->mu);
	if ((e = inc_get_rel(inc, channel, rel)) != NULL)
		e->touched = inc_now_ms();
	pthread_mutex_unlock(&inc->mu);
}

void
dav_incoming_hold(struct dav_incoming *inc, const char *channel, const char *rel)
{
	struct inc_entry *e;

	if (inc == NULL)
		return;
	pthread_mutex_lock(&inc->mu);
	if ((e = inc_get_rel(inc, channel, rel)) != NULL) {
		e->holds++;
		e->released = 0;
		e->touched = inc_now_ms();
	}
	pthread_mutex_unlock(&inc->mu);
}

void
dav_incoming_release(struct dav_incoming *inc, const char *channel, const char *rel)
{
	struct inc_entry *e;

	if (inc == NULL)
		return;
	pthread_mutex_lock(&inc->mu);
	if ((e = inc_get_rel(inc, channel, rel)) != NULL) {
		if (e->holds > 0)
			e->holds--;
		e->touched = inc_now_ms();
		if (e->holds == 0) {
			e->released = 1;
			inc->wake = 1;
			pthread_cond_signal(&inc->cond);
		}
	}
	pthread_mutex_unlock(&inc->mu);
}

/* ---- one upload ---- */

/* The claim of an import (struct inc_job): nothing began below the upload
 * since the decision. */
struct inc_claim {
	struct dav_incoming *inc;
	const char *channel;
	const char *name;
	int64_t decided;
};

static int
inc_claim(void *arg)
{
	struct inc_claim *c = arg;
	struct inc_entry *e;

	pthread_mutex_lock(&c->inc->mu);
	e = inc_find(c->inc, c->channel, c->name, strlen(c->name));
	if (e != NULL && (e->holds > 0 || e->touched > c->decided)) {
		pthread_mutex_unlock(&c->inc->mu);
		return -1;
	}
	return 0;
}

static void
inc_claim_end(void *arg)
{
	struct inc_claim *c = arg;

	pthread_mutex_unlock(&c->inc->mu);
}

/* Is the newest mtime quiet_seconds old?  (A future one is no evidence.) */
static int
inc_mtime_quiet(const struct inc_look *look, unsigned quiet)
{
	time_t now = time(NULL);

	return look->newest.tv_sec > now || now - look->newest.tv_sec >= (time_t)quiet;
}

/* Completeness of the upload as `snap` saw it, computed once per
 * signature. */
static int
inc_is_complete(struct inc_chan *ch, const struct inc_entry *snap)
{
	struct dav_incoming *inc = ch->inc;
	struct inc_entry *e;
	struct errbuf err;
	int complete;

	if (snap->complete != -1)
		return snap->complete;
	if (!ch->cat_loaded) {
		char *path = xasprintf("%s/%s/%s", inc->root, ch->channel, STORE_CATALOG_FILE);

		if (catalog_load(path, &ch->cat, &err) == -1)
			ch->cat = NULL;	/* the import reports it */
		ch->cat_loaded = 1;
		free(path);
	}
	complete = inc_complete(ch->incfd, snap->name, &snap->look, ch->cat);
	pthread_mutex_lock(&inc->mu);
	e = inc_find(inc, ch->channel, snap->name, strlen(snap->name));
	if (e != NULL && inc_look_same(&e->look, &snap->look))
		e->complete = complete;
	pthread_mutex_unlock(&inc->mu);
	return complete;
}

/* Is it time to import the upload `snap` shows? */
static int
inc_due(struct inc_chan *ch, const struct inc_entry *snap, int locked, int64_t now)
{
	const struct inc_look *look = &snap->look;
	int64_t last = snap->touched > snap->changed ? snap->touched : snap->changed;

	if (look->count == 0 || (look->is_file && look->bytes == 0))
		return 0;	/* nothing yet (an empty folder, Windows' first PUT) */
	if ((snap->failed && inc_look_same(&snap->failed_look, look)) || now < snap->retry_at)
		return 0;
	if (snap->holds > 0 || locked || look->busy)
		return 0;
	if (now - last >= (int64_t)ch->inc->quiet * 1000 && inc_mtime_quiet(look, ch->inc->quiet))
		return 1;
	if (now - last < INC_SETTLE_MS || (look->is_file && !snap->released))
		return 0;
	return inc_is_complete(ch, snap);
}

/* Records an import's outcome. */
static void
inc_imported(struct inc_chan *ch, const char *name, enum inc_outcome outcome)
{
	struct dav_incoming *inc = ch->inc;
	struct inc_look look;
	struct inc_entry *e;
	int walked = 0;

	if (outcome == INC_REFUSED)	/* as it is back, build.json and all */
		walked = inc_walk(ch->incfd, name, inc_stale_before(inc), &look) == 0;
	pthread_mutex_lock(&inc->mu);
	if ((e = inc_find(inc, ch->channel, name, strlen(name))) != NULL) {
		if (outcome == INC_PUBLISHED && e->holds == 0)
			inc_remove(inc, e);
		else if (outcome == INC_PUBLISHED)
			e->seen = 0;
		else if (outcome == INC_REFUSED && walked) {
			e->failed = 1;
			e->failed_look = look;
			e->look = look;
			e->released = 0;
		} else if (outcome == INC_IO_ERROR)
			e->retry_at = inc_now_ms() + INC_RETRY_MS;
	}
	pthread_mutex_unlock(&inc->mu);
}

static void
inc_import_upload(struct inc_chan *ch, const char *name, const struct inc_look *look,
    int64_t decided)
{
	struct inc_claim claim = { ch->inc, ch->channel, name, decided };
	struct inc_job job = {
		.root = ch->inc->root, .channel = ch->channel, .incfd = ch->incfd,
		.name = name, .look = look, .reserve = ch->inc->reserve,
		.stale_before = inc_stale_before(ch->inc),
		.claim = inc_claim, .claim_end = inc_claim_end, .claim_arg = &claim,
	};

	inc_imported(ch, name, inc_import(&job));
}

/* Walks one upload, records what changed, imports it when due. */
static void
inc_consider(struct inc_chan *ch, const char *name)
{
	struct dav_incoming *inc = ch->inc;
	struct inc_entry *e, snap;
	struct inc_look look;
	int64_t now = inc_now_ms();
	int locked, first;

	if (inc_walk(ch->incfd, name, inc_stale_before(inc), &look) == -1)
		return;		/* gone, or not a file or folder */
	pthread_mutex_lock(&inc->mu);
	if ((e = inc_get(inc, ch->channel, name, strlen(name))) == NULL) {
		pthread_mutex_unlock(&inc->mu);
		return;
	}
	if (!e->seen || !inc_look_same(&e->look, &look)) {
		e->changed = now;
		e->complete = -1;
	}
	first = !e->seen;
	e->look = look;
	e->seen = 1;
	e->present = 1;
	snap = *e;
	pthread_mutex_unlock(&inc->mu);
	if (first && inc_problems_refused(ch->incfd, name, &look)) {
		inc_imported(ch, name, INC_REFUSED);	/* before a restart, as it is */
		return;
	}
	locked = inc_locks_cover(&inc->locks, ch->channel, name, time(NULL));
	if (inc_due(ch, &snap, locked, now))
		inc_import_upload(ch, name, &look, now);
}

/* A problems file whose upload is gone (deleted by its uploader) goes. */
static void
inc_orphan_problems(struct inc_chan *ch, const char *name)
{
	size_t len = strlen(name), slen = strlen(INC_PROBLEMS_SUFFIX);
	char *upload;
	struct stat st;

	if (len <= slen)
		return;
	upload = xstrndup(name, len - slen);
	if (fstatat(ch->incfd, upload, &st, AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT)
		unlinkat(ch->incfd, name, 0);
	free(upload);
}

static int
inc_is_problems_file(const char *name)
{
	size_t len = strlen(name), slen = strlen(INC_PROBLEMS_SUFFIX);

	return len > slen && strcmp(name + len - slen, INC_PROBLEMS_SUFFIX) == 0;
}

/* One channel's incoming/, if it has one. */
static void
inc_channel(struct dav_incoming *inc, const char *channel)
{
	struct inc_chan ch = { inc, channel, -1, NULL, 0 };
	char *path = xasprintf("%s/%s", channel, INC_INCOMING_DIR), **names;
	size_t n;

	ch.incfd = fs_open_dir_nofollow(inc->rootfd, path, strlen(path));
	free(path);
	if (ch.incfd == -1)
		return;		/* no incoming/ yet */
	if (inc_list(ch.incfd, INC_MAX_UPLOADS, &names, &n) == 0) {
		for (size_t i = 0; i < n && !atomic_load(&inc->stop); i++) {
			if (inc_is_problems_file(names[i]))
				inc_orphan_problems(&ch, names[i]);
			else
				inc_consider(&ch, names[i]);
		}
		source_names_free(names, n);
	}
	catalog_free(ch.cat);
	close(ch.incfd);
}

/* One pass over every channel; uploads no longer there and not held are
 * forgotten. */
static void
inc_pass(struct dav_incoming *inc)
{
	char **names;
	size_t n;

	pthread_mutex_lock(&inc->mu);
	for (size_t i = 0; i < inc->count; i++)
		inc->entries[i].present = 0;
	pthread_mutex_unlock(&inc->mu);
	inc_locks_refresh(&inc->locks, inc->rootfd);
	if (inc_list(inc->rootfd, INC_MAX_CHANNELS, &names, &n) == 0) {
		for (size_t i = 0; i < n && !atomic_load(&inc->stop); i++)
			if (read_path_channel_served(inc->rootfd, names[i], strlen(names[i])))
				inc_channel(inc, names[i]);
		source_names_free(names, n);
	}
	pthread_mutex_lock(&inc->mu);
	for (size_t i = inc->count; i-- > 0;)
		if (!inc->entries[i].present && inc->entries[i].holds == 0 &&
		    !atomic_load(&inc->stop))
			inc_remove(inc, &inc->entries[i]);
	pthread_mutex_unlock(&inc->mu);
}

/* ---- the thread ---- */

static int64_t
inc_interval_ms(const struct dav_incoming *inc)
{
	int64_t ms = (int64_t)inc->quiet * 1000 / 4;

	return ms < 1000 ? 1000 : ms > 5000 ? 5000 : ms;
}

static void
inc_wait_until(struct dav_incoming *inc, int64_t due_ms)
{
	struct timespec ts = { (time_t)(due_ms / 1000), (long)(due_ms % 1000) * 1000000 };

	pthread_cond_timedwait(&inc->cond, &inc->mu, &ts);
}

static void *
inc_main(void *arg)
{
	struct dav_incoming *inc = arg;

	pthread_mutex_lock(&inc->mu);
	while (!atomic_load(&inc->stop)) {
		int64_t start = inc_now_ms(), due;

		pthread_mutex_unlock(&inc->mu);
		inc_pass(inc);
		pthread_mutex_lock(&inc->mu);
		for (;;) {
			due = start + (inc->wake ? 1000 : inc_interval_ms(inc));
			if (atomic_load(&inc->stop) || inc_now_ms() >= due)
				break;
			inc_wait_until(inc, due);
		}
		inc->wake = 0;
	}
	pthread_mutex_unlock(&inc->mu);
	return NULL;
}

static void
inc_free(struct dav_incoming *inc)
{
	if (inc->rootfd != -1)
		close(inc->rootfd);
	pthread_cond_destroy(&inc->cond);
	pthread_mutex_destroy(&inc->mu);
	free(inc->entries);
	inc_locks_free(&inc->locks);
	free(inc->root);
	free(inc);
}

struct dav_incoming *
dav_incoming_start(const struct dav_incoming_config *cfg, struct errbuf *err)
{
	struct dav_incoming *inc = xcalloc(1, sizeof(*inc));
	pthread_condattr_t ca;
	int rc;

	inc->root = xstrdup(cfg->root);
	inc->quiet = cfg->quiet_seconds > 0 ? cfg->quiet_seconds : 1;
	inc->reserve = cfg->reserve_bytes;
	pthread_mutex_init(&inc->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&inc->cond, &ca);
	pthread_condattr_destroy(&ca);
	if ((inc->rootfd = open(cfg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		errbuf_set_errno(err, "%s", cfg->root);
		inc_free(inc);
		return NULL;
	}
	if ((rc = pthread_create(&inc->thread, NULL, inc_main, inc)) != 0) {
		errno = rc;
		errbuf_set_errno(err, "webdav: the incoming watcher's thread");
		inc_free(inc);
		return NULL;
	}
	return inc;
}

void
dav_incoming_stop(struct dav_incoming *inc)
{
	if (inc == NULL)
		return;
	pthread_mutex_lock(&inc->mu);
	atomic_store(&inc->stop, 1);
	pthread_cond_signal(&inc->cond);
	pthread_mutex_unlock(&inc->mu);
	pthread_join(inc->thread, NULL);
	inc_free(inc);
}
