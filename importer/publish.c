/*
 * publish: staged transactions with a commit point and roll-forward
 * recovery; see publish.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "copy_hash.h"
#include "fs_open.h"
#include "publish.h"
#include "store_index.h"
#include "store_layout.h"
#include "store_lock.h"
#include "store_root.h"
#include "xmalloc.h"

#define TXN_SEP		'+'	/* never in a channel name */
#define TXN_PLAN	"plan"
#define TXN_PLAN_MAX	(16 * 1024 * 1024)

struct txn {
	struct chan *chan;
	char *name;
	int fd;			/* the transaction folder */
	int infd;		/* its in/ */
	char *plan;		/* operations, one per line */
	size_t planlen;
	unsigned nfiles;
	unsigned ntrash;
};

static void txn_free(struct txn *t);

static void
chan_init(struct chan *c)
{
	memset(c, 0, sizeof(*c));
	c->rootfd = c->chanfd = c->dlfd = c->hashfd = c->stagefd = c->lockfd = -1;
}

/* Refuses a root that is a channel or a download/ folder, and a channel
 * that does not exist and may not be created.  Returns 1 when the channel
 * is to be made (c->created tells whether its folder was made here), 0
 * when it exists, -1 on refusal. */
static int
chan_check_target(struct chan *c, enum chan_create create, struct errbuf *err)
{
	enum store_root_shape shape = store_root_shape(c->rootfd, c->root);
	char channels[256];

	if (shape != STORE_ROOT_OK)
		return errbuf_set(err, "%s", store_root_hint(shape));
	if (store_channel_at(c->rootfd, c->channel))
		return 0;
	if (create == CHAN_CREATE || (create == CHAN_CREATE_FIRST &&
	    strcmp(c->channel, STORE_DEFAULT_CHANNEL) == 0 && !store_root_has_channels(c->rootfd))) {
		if (mkdirat(c->rootfd, c->channel, 0755) == 0)
			c->created = 1;
		else if (errno != EEXIST)
			return errbuf_set_errno(err, "%s: create", c->channel);
		return 1;
	}
	store_root_list_channels(c->rootfd, channels, sizeof(channels));
	return errbuf_set(err, "channel \"%s\" does not exist (channels here: %s)%s", c->channel,
	    channels[0] != '\0' ? channels : "none",
	    create == CHAN_MUST_EXIST ? "" : "; --create-channel creates it");
}

/* Opens the channel; takes its lock when `lock` is set. */
static int
chan_open_with(struct chan *c, const char *root, const char *channel, enum chan_create create,
    int lock, struct errbuf *err)
{
	struct stat st;
	int make;

	chan_init(c);
	c->root = xstrdup(root);
	c->channel = xstrdup(channel);
	if (!store_channel_name_valid(channel)) {
		errbuf_set(err, "\"%s\": not a valid channel name", channel);
		goto fail;
	}
	if ((c->rootfd = fs_open_subdir(AT_FDCWD, root, FS_SUBDIR_OPEN, err)) == -1) {
		chan_close(c);
		return -1;
	}
	if ((make = chan_check_target(c, create, err)) == -1)
		goto fail;
	if ((c->chanfd = fs_open_subdir(c->rootfd, channel, FS_SUBDIR_OPEN, err)) == -1 ||
	    (c->stagefd = fs_open_subdir(c->rootfd, STORE_STAGING_DIR, FS_SUBDIR_ENSURE, err)) == -1)
		goto fail;
	if (fstat(c->chanfd, &st) == -1) {
		errbuf_set_errno(err, "%s", channel);
		goto fail;
	}
	c->chan_dev = st.st_dev;
	c->chan_ino = st.st_ino;
	if (lock && chan_lock(c, err) == -1)
		goto fail;
	if ((c->dlfd = fs_open_subdir(c->chanfd, STORE_DOWNLOAD_DIR,
	    make ? FS_SUBDIR_ENSURE : FS_SUBDIR_OPEN, err)) == -1 ||
	    (c->hashfd = fs_open_subdir(c->chanfd, STORE_HASHES_DIR, FS_SUBDIR_ENSURE, err)) == -1)
		goto fail;
	return 0;
fail:
	errbuf_prefix(err, "%s", root);
	chan_discard_if_new(c);
	chan_close(c);
	return -1;
}

int
chan_open(struct chan *c, const char *root, const char *channel, enum chan_create create,
    struct errbuf *err)
{
	return chan_open_with(c, root, channel, create, 1, err);
}

int
chan_open_unlocked(struct chan *c, const char *root, const char *channel,
    enum chan_create create, struct errbuf *err)
{
	return chan_open_with(c, root, channel, create, 0, err);
}

int
chan_lock(struct chan *c, struct errbuf *err)
{
	struct stat st;

	if (c->lockfd != -1)
		return 0;
	if ((c->lockfd = store_lock_channel(c->root, c->channel, 0, err)) == -1)
		return -1;
	/* The channel opened may have been removed (a refused first publish
	 * of another session) or replaced meanwhile. */
	if (fstatat(c->rootfd, c->channel, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    st.st_dev != c->chan_dev || st.st_ino != c->chan_ino) {
		chan_unlock(c);
		return errbuf_set(err, "%s/%s: the channel was removed or replaced meanwhile",
		    c->root, c->channel);
	}
	return 0;
}

void
chan_unlock(struct chan *c)
{
	store_unlock(c->lockfd);
	c->lockfd = -1;
}

void
chan_discard_if_new(struct chan *c)
{
	if (!c->created || c->rootfd == -1)
		return;
	/* The lock file goes only with an empty channel: a writer waiting
	 * for the lock of a channel that stays would hold a lock file that
	 * no longer exists while the next one makes a new one. */
	if (c->chanfd != -1 && ((unlinkat(c->chanfd, STORE_DOWNLOAD_DIR, AT_REMOVEDIR) == -1 &&
	    errno != ENOENT) || (unlinkat(c->chanfd, STORE_HASHES_DIR, AT_REMOVEDIR) == -1 &&
	    errno != ENOENT)))
		return;
	if (c->chanfd != -1)
		unlinkat(c->chanfd, STORE_LOCK_FILE, 0);
	unlinkat(c->rootfd, c->channel, AT_REMOVEDIR);
	c->created = 0;
}

void
chan_close(struct chan *c)
{
	int *fds[] = { &c->rootfd, &c->chanfd, &c->dlfd, &c->hashfd, &c->stagefd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] != -1)
			close(*fds[i]);
		*fds[i] = -1;
	}
	if (c->lockfd != -1)
		store_unlock(c->lockfd);
	c->lockfd = -1;
	free(c->root);
	free(c->channel);
	c->root = c->channel = NULL;
}

/* Creates and locks the hidden folder `tmp`.  Returns 0, 1 when a
 * recovery deleted it before the lock was taken (try another name), -1. */
static int
txn_lock_new_dir(struct txn *t, int stagefd, const char *tmp, struct errbuf *err)
{
	struct stat a, b;

	if (mkdirat(stagefd, tmp, 0755) == -1)
		return errbuf_set_errno(err, "%s: create", tmp);
	if ((t->fd = openat(stagefd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 1 : errbuf_set_errno(err, "%s", tmp);
	if (flock(t->fd, LOCK_EX) == -1)
		return errbuf_set_errno(err, "%s: flock", tmp);
	if (fstat(t->fd, &a) == -1)
		return errbuf_set_errno(err, "%s", tmp);
	if (fstatat(stagefd, tmp, &b, AT_SYMLINK_NOFOLLOW) == -1 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev) {
		close(t->fd);
		t->fd = -1;
		return 1;
	}
	return 0;
}

/* Creates the transaction folder under a hidden name, locks it, fills it,
 * then gives it its name: recovery never sees a transaction folder before
 * it is locked.  The name is <channel>+<pid>+<n>, n from an atomic counter,
 * so threads of one process never pick the same one. */
static int
txn_create_dir(struct txn *t, int stagefd, struct errbuf *err)
{
	static atomic_uint counter;
	char *tmp = NULL;
	int rc = 1;

	for (int tries = 0; rc == 1 && tries < 10; tries++) {
		free(t->name);
		free(tmp);
		t->name = xasprintf("%s%c%ld%c%u", t->chan->channel, TXN_SEP, (long)getpid(),
		    TXN_SEP, atomic_fetch_add(&counter, 1));
		tmp = xasprintf(".%s", t->name);
		rc = txn_lock_new_dir(t, stagefd, tmp, err);
	}
	if (rc == 1)
		rc = errbuf_set(err, "%s: removed while being created", tmp);
	if (rc == 0 && (t->infd = fs_open_subdir(t->fd, "in", FS_SUBDIR_ENSURE, err)) == -1)
		rc = -1;
	if (rc == 0 && (mkdirat(t->fd, "files", 0755) == -1 ||
	    mkdirat(t->fd, "trash", 0755) == -1 ||
	    renameat(stagefd, tmp, stagefd, t->name) == -1))
		rc = errbuf_set_errno(err, "%s: create", tmp);
	if (rc == -1 && t->fd != -1)
		tree_remove(stagefd, tmp, NULL);
	free(tmp);
	return rc;
}

struct txn *
txn_begin(struct chan *c, struct errbuf *err)
{
	struct txn *t = xcalloc(1, sizeof(*t));

	t->chan = c;
	t->fd = t->infd = -1;
	t->plan = xstrdup("");
	if (txn_create_dir(t, c->stagefd, err) == -1) {
		errbuf_prefix(err, "%s", STORE_STAGING_DIR);
		txn_free(t);
		return NULL;
	}
	return t;
}

int
txn_dir(const struct txn *t)
{
	return t->infd;
}

const char *
txn_name(const struct txn *t)
{
	return t->name;
}

int
txn_check_space(const struct txn *t, uint64_t need, uint64_t reserve, struct errbuf *err)
{
	struct statvfs sv;
	uint64_t avail;

	if (fstatvfs(t->fd, &sv) == -1)
		return errbuf_set_errno(err, "statvfs");
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (avail < need || avail - need < reserve)
		return errbuf_set(err, "not enough free space: %llu bytes needed and %llu bytes "
		    "reserved, %llu available", (unsigned long long)need,
		    (unsigned long long)reserve, (unsigned long long)avail);
	return 0;
}

static void
txn_plan_add(struct txn *t, const char *line)
{
	size_t len = strlen(line);

	t->plan = xreallocarray(t->plan, t->planlen + len + 2, 1);
	memcpy(t->plan + t->planlen, line, len);
	t->planlen += len;
	t->plan[t->planlen++] = '\n';
	t->plan[t->planlen] = '\0';
}

int
txn_put(struct txn *t, const char *staged, const char *dlrel, struct errbuf *err)
{
	struct stat st;
	char *line;

	if (fstatat(t->infd, staged, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errbuf_set_errno(err, "%s", staged);
	line = xasprintf("put\tin/%s\t%s\t%llu", staged, dlrel, (unsigned long long)st.st_ino);
	txn_plan_add(t, line);
	free(line);
	return 0;
}

void
txn_retire(struct txn *t, const char *dlrel, unsigned long grace)
{
	char *line = xasprintf("retire\t%s\t%lu", dlrel, grace);

	txn_plan_add(t, line);
	free(line);
}

void
txn_delete(struct txn *t, const char *dlrel)
{
	char *line = xasprintf("del\t%s\ttrash/%u", dlrel, t->ntrash++);

	txn_retire(t, dlrel, 0);	/* out of the indexes before it goes */
	txn_plan_add(t, line);
	free(line);
}

int
txn_write_file(struct txn *t, const char *chanrel, const void *data, size_t len,
    struct errbuf *err)
{
	char name[32], *line;
	int fd;

	snprintf(name, sizeof(name), "files/%u", t->nfiles++);
	if ((fd = openat(t->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) == -1)
		return errbuf_set_errno(err, "%s/%s", t->name, name);
	if (fs_write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		errbuf_set_errno(err, "%s/%s: write", t->name, name);
		close(fd);
		return -1;
	}
	close(fd);
	line = xasprintf("file\t%s\t%s", name, chanrel);
	txn_plan_add(t, line);
	free(line);
	return 0;
}

void
txn_unlink(struct txn *t, const char *chanrel)
{
	char *line = xasprintf("unlink\t%s", chanrel);

	txn_plan_add(t, line);
	free(line);
}

/* Frees the transaction; closing its folder ends its lock. */
static void
txn_free(struct txn *t)
{
	if (t->infd != -1)
		close(t->infd);
	if (t->fd != -1)
		close(t->fd);
	free(t->name);
	free(t->plan);
	free(t);
}

void
txn_abort(struct txn *t)
{
	if (t == NULL)
		return;
	if (t->fd != -1)	/* still locked: no recovery deletes it meanwhile */
		tree_remove(t->chan->stagefd, t->name, NULL);
	txn_free(t);
}

/* Opens the parent folder of dlrel below download/ (creating it) and
 * points *leaf at the last component. */
static int
plan_parent(struct chan *c, const char *dlrel, const char **leaf, struct errbuf *err)
{
	const char *slash = strrchr(dlrel, '/');
	char *parent;
	int fd;

	if (slash == NULL) {
		*leaf = dlrel;
		return dup(c->dlfd);
	}
	*leaf = slash + 1;
	parent = xstrndup(dlrel, (size_t)(slash - dlrel));
	fd = fs_open_subdir(c->dlfd, parent, FS_SUBDIR_ENSURE, err);
	free(parent);
	return fd;
}

static int
plan_put(struct chan *c, int txnfd, const char *staged, const char *dlrel,
    unsigned long long ino, struct errbuf *err)
{
	const char *leaf;
	struct stat st;
	int pfd, rc = -1;

	if ((pfd = plan_parent(c, dlrel, &leaf, err)) == -1)
		return -1;
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if ((unsigned long long)st.st_ino == ino)
			rc = 0;		/* done before */
		else if (renameat2(txnfd, staged, pfd, leaf, RENAME_EXCHANGE) == 0)
			rc = 0;
		else
			errbuf_set_errno(err, "%s: exchange", dlrel);
	} else if (renameat(txnfd, staged, pfd, leaf) == 0)
		rc = 0;
	else
		errbuf_set_errno(err, "%s: rename", dlrel);
	if (rc == 0 && fsync(pfd) == -1)
		rc = errbuf_set_errno(err, "%s: fsync", dlrel);
	close(pfd);
	return rc;
}

static int
plan_del(struct chan *c, int txnfd, const char *dlrel, const char *trash, struct errbuf *err)
{
	const char *leaf;
	struct stat st;
	int pfd, rc = 0;

	if (fstatat(txnfd, trash, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;	/* done before */
	if ((pfd = plan_parent(c, dlrel, &leaf, err)) == -1)
		return -1;
	if (renameat(pfd, leaf, txnfd, trash) == -1 && errno != ENOENT)
		rc = errbuf_set_errno(err, "%s: remove", dlrel);
	else if (fsync(pfd) == -1)
		rc = errbuf_set_errno(err, "%s: fsync", dlrel);
	close(pfd);
	return rc;
}

/* Marks download/<dlrel> removed until now + grace (the indexes rewritten
 * next leave it out).  Running it again, on recovery, restarts the grace:
 * the indexes change only then. */
static int
plan_retire(struct chan *c, const char *dlrel, const char *grace, struct errbuf *err)
{
	char *text;
	int fd, rc;

	if ((fd = openat(c->dlfd, dlrel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : errbuf_set_errno(err, "%s", dlrel);	/* deleted before */
	text = xasprintf("%lld\n", (long long)time(NULL) + strtoll(grace, NULL, 10));
	rc = atomic_file_write(fd, STORE_REMOVED_MARK, text, strlen(text), 0644, err);
	if (rc == -1)
		errbuf_prefix(err, "%s", dlrel);
	free(text);
	close(fd);
	return rc;
}

static int
plan_file(struct chan *c, int txnfd, const char *staged, const char *chanrel,
    struct errbuf *err)
{
	if (renameat(txnfd, staged, c->chanfd, chanrel) == -1 && errno != ENOENT)
		return errbuf_set_errno(err, "%s: rename", chanrel);
	return 0;
}

static int
plan_unlink(struct chan *c, const char *chanrel, struct errbuf *err)
{
	if (unlinkat(c->chanfd, chanrel, 0) == -1 && errno != ENOENT)
		return errbuf_set_errno(err, "%s: remove", chanrel);
	return 0;
}

/* Applies one line of a plan; every operation can run twice. */
static int
plan_apply_line(struct chan *c, int txnfd, char *line, struct errbuf *err)
{
	char *f[4] = { NULL }, *save = NULL;
	size_t n = 0;

	for (char *tok = strtok_r(line, "\t", &save); tok != NULL && n < 4;
	    tok = strtok_r(NULL, "\t", &save))
		f[n++] = tok;
	if (n == 4 && strcmp(f[0], "put") == 0)
		return plan_put(c, txnfd, f[1], f[2], strtoull(f[3], NULL, 10), err);
	if (n == 3 && strcmp(f[0], "del") == 0)
		return plan_del(c, txnfd, f[1], f[2], err);
	if (n == 3 && strcmp(f[0], "retire") == 0)
		return plan_retire(c, f[1], f[2], err);
	if (n == 3 && strcmp(f[0], "file") == 0)
		return plan_file(c, txnfd, f[1], f[2], err);
	if (n == 2 && strcmp(f[0], "unlink") == 0)
		return plan_unlink(c, f[1], err);
	return errbuf_set(err, "plan: unknown operation \"%s\"", f[0] ? f[0] : "");
}

/* Applies the deletions ("del") of a plan, or every other line. */
static int
plan_apply_lines(struct chan *c, int txnfd, const char *plan, int deletions,
    struct errbuf *err)
{
	char *copy = xstrdup(plan), *save = NULL;
	int rc = 0;

	for (char *line = strtok_r(copy, "\n", &save); rc == 0 && line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((strncmp(line, "del\t", 4) == 0) == deletions)
			rc = plan_apply_line(c, txnfd, line, err);
	}
	free(copy);
	return rc;
}

/* Test hook: with STOREIMPORT_TEST_STOP_BEFORE_DELETE set the importer
 * kills itself after the indexes were rewritten and before a deletion, so
 * tests/integration/importer_housekeeping.sh sees that order every time. */
static void
plan_test_stop_before_delete(const char *plan)
{
	if (getenv("STOREIMPORT_TEST_STOP_BEFORE_DELETE") != NULL &&
	    (strncmp(plan, "del\t", 4) == 0 || strstr(plan, "\ndel\t") != NULL))
		raise(SIGKILL);
}

/* Everything but deletions, the indexes, then the deletions: a folder
 * leaves the indexes (retire marks it) before its files go, so an index
 * never lists files that are gone, even across a crash. */
static int
plan_apply(struct chan *c, int txnfd, const char *plan, struct diag *report, struct errbuf *err)
{
	int rc = plan_apply_lines(c, txnfd, plan, 0, err);

	if (rc == 0 && (fsync_dir(c->dlfd, STORE_DOWNLOAD_DIR, err) == -1 ||
	    fsync_dir(c->hashfd, STORE_HASHES_DIR, err) == -1 ||
	    fsync_dir(c->chanfd, c->channel, err) == -1))
		rc = -1;
	if (rc == 0 && store_index_rebuild(c->root, c->channel, report, err) == -1)
		rc = -1;
	if (rc == 0) {
		plan_test_stop_before_delete(plan);
		rc = plan_apply_lines(c, txnfd, plan, 1, err);
	}
	return rc;
}

/* fsyncs every folder below dirfd (files were fsync'd when written). */
static int
tree_fsync_dirs(int dirfd, struct errbuf *err)
{
	struct dirent *de;
	DIR *dir;
	int r = 0, rc = 0;

	if ((dir = fs_opendir_at(dirfd)) == NULL)
		return errbuf_set_errno(err, "staging");
	while (rc == 0 && (r = tree_readdir(dir, &de)) == 1) {
		int sub;

		if (de->d_type != DT_DIR)
			continue;
		if ((sub = fs_open_subdir(dirfd, de->d_name, FS_SUBDIR_OPEN, err)) == -1)
			rc = -1;
		else {
			rc = tree_fsync_dirs(sub, err);
			close(sub);
		}
	}
	if (r == -1)
		rc = errbuf_set_errno(err, "staging: read folder");
	closedir(dir);
	if (rc == 0 && fsync(dirfd) == -1)
		rc = errbuf_set_errno(err, "staging: fsync");
	return rc;
}

/* Test hook: with STOREIMPORT_TEST_STOP_AT_COMMIT set in the environment
 * the importer kills itself right after the commit point, so that
 * tests/integration/importer_sigkill.sh proves the roll-forward every time
 * instead of when a random kill happens to land there. */
static void
txn_test_stop_at_commit(void)
{
	if (getenv("STOREIMPORT_TEST_STOP_AT_COMMIT") != NULL)
		raise(SIGKILL);
}

int
txn_commit(struct txn *t, struct diag *report, struct errbuf *err)
{
	int rc = -1;

	if (tree_fsync_dirs(t->fd, err) == -1)
		goto out;
	/* The commit point: once "plan" exists, recovery rolls forward. */
	if (atomic_file_write(t->fd, TXN_PLAN, t->plan, t->planlen, 0644, err) == -1)
		goto out;
	if (fsync_dir(t->chan->stagefd, STORE_STAGING_DIR, err) == -1)
		goto out;
	txn_test_stop_at_commit();
	if (plan_apply(t->chan, t->fd, t->plan, report, err) == -1) {
		errbuf_prefix(err, "committed transaction %s (the next run completes it)",
		    t->name);
		txn_free(t);	/* unlocked: the next recovery rolls it forward */
		return -1;
	}
	unlinkat(t->fd, TXN_PLAN, 0);	/* done: never roll this forward again */
	rc = 0;
out:
	txn_abort(t);
	return rc;
}

/* Reads the plan of the transaction folder txnfd (`path` for messages)
 * to its end.  Returns 1 with *plan (the caller frees it), 0 when there is
 * none (ENOENT only: the transaction never committed) or -1 (err): a plan
 * that cannot be read must never be taken for an uncommitted one, whose
 * folder recovery deletes. */
static int
plan_read(int txnfd, const char *path, char **plan, struct errbuf *err)
{
	size_t len = 0, alloc = 4096;
	char *buf = NULL;
	ssize_t n;
	int fd, rc = -1;

	*plan = NULL;
	if ((fd = openat(txnfd, TXN_PLAN, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : errbuf_set_errno(err, "%s/%s", path, TXN_PLAN);
	buf = xmalloc(alloc);
	for (;;) {
		if (len + 1 == alloc && (alloc *= 2) > TXN_PLAN_MAX) {
			errbuf_set(err, "%s/%s: larger than %d bytes", path, TXN_PLAN, TXN_PLAN_MAX);
			goto out;
		}
		buf = xreallocarray(buf, alloc, 1);
		if ((n = read(fd, buf + len, alloc - len - 1)) == 0)
			break;
		if (n == -1 && errno != EINTR) {
			errbuf_set_errno(err, "%s/%s: read", path, TXN_PLAN);
			goto out;
		}
		len += n > 0 ? (size_t)n : 0;
	}
	buf[len] = '\0';
	*plan = buf;
	buf = NULL;
	rc = 1;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Locks the transaction folder fd without waiting: 1 when locked, 0 when
 * a live transaction (of this or another process) holds it, -1 (err). */
static int
recover_lock(int fd, const char *path, struct errbuf *err)
{
	int rc;

	do
		rc = flock(fd, LOCK_EX | LOCK_NB);
	while (rc == -1 && errno == EINTR);
	if (rc == 0)
		return 1;
	if (errno == EWOULDBLOCK)
		return 0;
	return errbuf_set_errno(err, "%s: flock", path);
}

/* Finishes (when committed) and deletes one dead transaction; a live one
 * (its folder is locked by the session that owns it) is left alone.  An
 * entry that is no folder is no transaction and is removed.  Errors name
 * the path. */
static int
recover_txn(struct chan *c, const char *name, struct diag *report, struct errbuf *err)
{
	char *path = xasprintf("%s/%s/%s", c->root, STORE_STAGING_DIR, name), *plan = NULL;
	int fd, rc = -1;

	if ((fd = openat(c->stagefd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 && errno != ENOTDIR) {
		if (errno == ENOENT)
			rc = 0;		/* its owner finished meanwhile */
		else
			errbuf_set_errno(err, "%s", path);
		goto out;
	}
	if (fd != -1 && (rc = recover_lock(fd, path, err)) != 1)
		goto out;	/* 0: live, -1: error */
	rc = fd == -1 ? 0 : plan_read(fd, path, &plan, err);
	if (rc == 1) {
		diag_add(report, DIAG_WARNING, name, "completing an interrupted publish");
		if ((rc = plan_apply(c, fd, plan, report, err)) == -1)
			errbuf_prefix(err, "completing %s", path);
		else
			unlinkat(fd, TXN_PLAN, 0);
	}
	if (rc != -1 && tree_remove(c->stagefd, name, err) == -1) {
		errbuf_prefix(err, "%s/%s", c->root, STORE_STAGING_DIR);
		rc = -1;
	}
out:
	if (fd != -1)
		close(fd);
	free(plan);
	free(path);
	return rc == -1 ? -1 : 0;
}

/* Is `name` a transaction folder of the channel: "<channel>+...", or
 * ".<channel>+..." (one being created, or left by a crash then)? */
static int
recover_is_txn(const char *name, const char *channel)
{
	size_t plen = strlen(channel);

	if (name[0] == '.')
		name++;
	return strncmp(name, channel, plen) == 0 && name[plen] == TXN_SEP;
}

/* Removes ".<name>.tmp-XXXXXX" files atomic_file.c may leave on a crash. */
static int
recover_tmp_files(int dirfd, const char *what, struct errbuf *err)
{
	struct dirent *de;
	DIR *dir;
	int r;

	if ((dir = fs_opendir_at(dirfd)) == NULL)
		return errbuf_set_errno(err, "%s", what);
	while ((r = tree_readdir(dir, &de)) == 1) {
		if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp-") != NULL &&
		    de->d_type == DT_REG)
			unlinkat(dirfd, de->d_name, 0);
	}
	if (r == -1)
		errbuf_set_errno(err, "%s: read folder", what);
	closedir(dir);
	return r;
}

int
publish_recover(struct chan *c, struct diag *report, struct errbuf *err)
{
	struct dirent *de;
	DIR *dir;
	int r = 0, rc = 0;

	if ((dir = fs_opendir_at(c->stagefd)) == NULL)
		return errbuf_set_errno(err, "%s/%s", c->root, STORE_STAGING_DIR);
	while (rc == 0 && (r = tree_readdir(dir, &de)) == 1) {
		if (recover_is_txn(de->d_name, c->channel))
			rc = recover_txn(c, de->d_name, report, err);
	}
	if (r == -1)
		rc = errbuf_set_errno(err, "%s/%s: read folder", c->root, STORE_STAGING_DIR);
	closedir(dir);
	if (rc == 0 && (recover_tmp_files(c->chanfd, c->channel, err) == -1 ||
	    recover_tmp_files(c->dlfd, STORE_DOWNLOAD_DIR, err) == -1 ||
	    recover_tmp_files(c->hashfd, STORE_HASHES_DIR, err) == -1))
		rc = -1;
	return rc;
}
