/*
 * publish: the one way the importer changes a channel, as a transaction.
 *
 * A transaction lives in <root>/.staging/<channel>+<pid>+<n>/ (the same
 * file system as the store, so rename(2) moves things into place):
 *
 *   in/      sources copied or extracted here (txn_dir())
 *   files/   staged small files (hashes records, catalog.json)
 *   plan     written at commit: the list of operations
 *
 * Nothing in the published tree changes before txn_commit().  It first
 * fsyncs the staged trees and writes `plan` atomically: that rename is the
 * commit point.  Then it applies the plan (new build folders are renamed in;
 * a replaced folder is swapped with renameat2(RENAME_EXCHANGE) so the build
 * never disappears; retired folders get their STORE_REMOVED_MARK; hashes
 * records and catalog.json are renamed over the old ones), fsyncs the
 * directories, rewrites the indexes (store_index_rebuild()), then renames
 * deleted folders into the transaction and deletes the transaction folder.
 * So a folder leaves the indexes before its files go.
 *
 * Every operation of the plan is idempotent, so publish_recover() (run by
 * every command that changes a channel, under its lock) rolls a committed
 * transaction of a killed importer forward and deletes an uncommitted one:
 * after it the channel is exactly the old or the new state.  Stale ".*.tmp-*"
 * files of atomic_file.c beside the indexes are removed too.
 *
 * A transaction is owned by the one that began it: its folder is created
 * under a hidden name, locked (flock(2) on the folder, held until the
 * transaction is committed or aborted, i.e. as long as its owner lives),
 * and only then renamed to its name.  Recovery takes that lock without
 * waiting and skips a transaction it cannot lock: a live one of another
 * process or thread (a session still staging).  A dead owner's lock went
 * with it, so its transaction is rolled forward or deleted.
 *
 * Threads: staging into a transaction (txn_begin() .. txn_unlink()) needs no
 * channel lock; txn_commit() and publish_recover() need it held.  Nothing
 * here keeps static mutable state (the names' counter is an atomic), so
 * threads may run transactions of the same or different channels, each on
 * its own struct chan.
 */
#ifndef STORESRV_PUBLISH_H
#define STORESRV_PUBLISH_H

#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "errbuf.h"

/* An open channel: descriptors of its folders and the lock. */
struct chan {
	char *root;
	char *channel;
	int rootfd;
	int chanfd;
	int dlfd;		/* <channel>/download */
	int hashfd;		/* <channel>/hashes */
	int stagefd;		/* <root>/.staging */
	int lockfd;		/* -1 while the channel lock is not held */
	int created;		/* chan_open() made the channel folder */
	dev_t chan_dev;		/* identity of the channel folder opened */
	ino_t chan_ino;
};

/* Whether chan_open() may create a channel that does not exist. */
enum chan_create {
	CHAN_MUST_EXIST,	/* remove, retain, verify, ... */
	CHAN_CREATE,		/* publish --create-channel */
	CHAN_CREATE_FIRST,	/* publish: only STORE_DEFAULT_CHANNEL, in a root without channels */
};

/* Opens <root>/<channel> (creating it and download/ as `create` allows;
 * hashes/ and <root>/.staging/ always) and takes the channel lock.  A root
 * that is itself a channel or a download/ folder is refused with a hint
 * (store_root.h), and so is a channel that does not exist and may not be
 * created (the message lists the root's channels).  The caller then runs
 * publish_recover(). */
int chan_open(struct chan *c, const char *root, const char *channel, enum chan_create create,
    struct errbuf *err);
/* The same without the lock (for a session that stages first and takes
 * the lock only to commit: import_session.h). */
int chan_open_unlocked(struct chan *c, const char *root, const char *channel,
    enum chan_create create, struct errbuf *err);
/* Takes the channel lock (blocking; a no-op when held) and checks that the
 * channel folder opened is still <root>/<channel>. */
int chan_lock(struct chan *c, struct errbuf *err);
/* Releases the channel lock; the channel stays open. */
void chan_unlock(struct chan *c);
/* Removes a channel that chan_open() created, if it is still empty (a
 * refused publish leaves nothing behind).  Call before chan_close(). */
void chan_discard_if_new(struct chan *c);
void chan_close(struct chan *c);

/* Rolls committed transactions of this channel forward, deletes the
 * other dead ones, skips live ones (locked by their owner); removes stale
 * temporary files.  The channel lock is held. */
int publish_recover(struct chan *c, struct diag *report, struct errbuf *err);

struct txn;

/* Begins a transaction of c (which must outlive it) and locks it; the
 * channel lock is not needed. */
struct txn *txn_begin(struct chan *c, struct errbuf *err);
/* The in/ folder of the transaction (owned by the transaction). */
int txn_dir(const struct txn *t);
/* The transaction's name below .staging (for messages). */
const char *txn_name(const struct txn *t);

/* Fails unless the staging file system has `need` bytes free plus `reserve`
 * bytes left over. */
int txn_check_space(const struct txn *t, uint64_t need, uint64_t reserve, struct errbuf *err);

/* Schedules: the staged folder in/<staged> becomes download/<dlrel>
 * ("130001", "app-platform/10001"), replacing an existing one. */
int txn_put(struct txn *t, const char *staged, const char *dlrel, struct errbuf *err);
/* Schedules the retirement of download/<dlrel>: it gets a
 * STORE_REMOVED_MARK holding the time (now + grace seconds, counted when
 * the plan is applied) after which it may be deleted; the indexes leave it
 * out, its files stay. */
void txn_retire(struct txn *t, const char *dlrel, unsigned long grace);
/* Schedules the deletion of download/<dlrel>: retired with grace 0 first,
 * deleted after the indexes were rewritten without it. */
void txn_delete(struct txn *t, const char *dlrel);
/* Stages `data` to become <channel>/<chanrel> ("catalog.json",
 * "hashes/130001.sha256"). */
int txn_write_file(struct txn *t, const char *chanrel, const void *data, size_t len,
    struct errbuf *err);
/* Schedules the removal of <channel>/<chanrel>. */
void txn_unlink(struct txn *t, const char *chanrel);

/* Commits and applies (see above); frees the transaction in every case.
 * The channel lock must be held.  It blocks for as long as the apply and
 * the index rebuild take (seconds for a large channel): a daemon calls it
 * from a worker thread, never from its event loop.
 * Index warnings go to report.  On failure before the commit point nothing
 * was published; after it, the next run completes the transaction. */
int txn_commit(struct txn *t, struct diag *report, struct errbuf *err);
/* Deletes the staged data; frees the transaction.  NULL is a no-op. */
void txn_abort(struct txn *t);

#endif
