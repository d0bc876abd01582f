/*
 * import_session: publishing builds into a channel as one library, for
 * storeimport and for long-running programs (the mirror, WebDAV uploads).
 *
 * A session stages sources into its own transaction (publish.h) below
 * <root>/.staging/, validates them, and commits them in one transaction:
 *
 *   s = import_session_create(&opts, report, &err);
 *   import_session_add_source(s, "/tmp/130001.zip", &err);    copied/extracted
 *   fd = import_session_stage_new(s, &name, &err);             or: written by
 *   ... write a build folder below fd ...                      the caller, then
 *   import_session_adopt(s, name, &err);                       taken as it is
 *   import_session_validate(s, &err);          problems in report->diag
 *   import_session_commit(s, &err);            0, 1 (refused) or -1
 *   import_session_free(s);                    aborts what was not committed
 *
 * Locking.  Only import_session_commit() (and import_session_recover())
 * take the channel lock (store_lock.h), and only for as long as they run:
 * staging, downloading into the staging area and validating never hold it,
 * so storesrv's rescans and other sessions go on meanwhile.  Under the lock
 * the commit re-checks what depends on the channel's current state, which
 * another writer may have changed since validation: the builds already
 * published (without --replace), the catalog (when catalog.json changed,
 * the metadata and validation are run again on the new one), the firmware
 * devices a build would drop (fw_devices.h).  Two sessions may commit the
 * same channel concurrently: one waits for the other's lock, then sees its
 * result.  The session's transaction is locked for its whole life, so a
 * recovery (of another session's commit, or storeimport) never deletes it.
 *
 * Every call but import_session_staging_path() does file I/O (copying,
 * hashing, fsync): a daemon makes them on a worker thread.  A source added
 * after import_session_validate() is validated by the commit.
 *
 * Threads.  A session is used by one thread at a time; different sessions
 * may run in different threads at once, on the same or different channels.
 * The session keeps no static state.  import_session_commit() blocks for
 * the apply and the index rebuild (seconds on a large channel): a daemon
 * calls it from a worker thread, never from its event loop.  The session
 * never installs copy_hash's progress hook (copy_hash_set_progress(), which
 * is process-wide): only a single-threaded program such as storeimport may.
 *
 * Ownership: the session keeps pointers to the options and the report,
 * which must outlive it; problems go to report->diag, published paths to
 * report->published, purged ones to the report too.  Library code: nothing
 * is printed, nothing exits.
 */
#ifndef STORESRV_IMPORT_SESSION_H
#define STORESRV_IMPORT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "importer.h"
#include "report.h"

struct chan;
struct import_session;

/* Opens o->channel of o->root without its lock (creating it as
 * o->create_channel allows, publish.h).  With o->dry_run (storeimport
 * check) nothing is opened: folders are checked in place, archives in a
 * temporary folder, and the session cannot commit.  NULL on failure (err). */
struct import_session *import_session_create(const struct imp_opts *o, struct report *r,
    struct errbuf *err);
/* Aborts the transaction unless it was committed, removes a channel the
 * session created if it is still empty; NULL is a no-op. */
void import_session_free(struct import_session *s);

/* Reads a descriptor (descriptor.h) applying to every source.  -1 (err):
 * the descriptor is invalid. */
int import_session_read_descriptor(struct import_session *s, const char *path,
    struct errbuf *err);

/* Takes the channel lock briefly to complete or discard dead transactions
 * and delete removed folders whose grace has passed (housekeeping.h), as
 * every storeimport command does first.  Optional: the commit does it too. */
int import_session_recover(struct import_session *s, struct errbuf *err);

/* Adds a source (folder or archive, source.h): copied with its sha256 (or
 * extracted) into the staging area and scanned.  A source that is refused
 * (not an archive, already published) is a problem in the report; -1 only
 * for an I/O failure (err). */
int import_session_add_source(struct import_session *s, const char *path,
    struct errbuf *err);

/* A new empty folder in the session's staging area for a caller that
 * writes a source itself (a download, an upload).  Returns its descriptor
 * (the caller closes it) and its name in *name (the caller frees it), or
 * -1 (err).  Not with dry_run. */
int import_session_stage_new(struct import_session *s, char **name, struct errbuf *err);
/* The path of the folder holding the staged folders (<root>/.staging/
 * <transaction>/in, for callers that work with paths); NULL before the
 * first source was added or folder made. */
const char *import_session_staging_path(const struct import_session *s);
/* Takes the folder `name` (one name, from import_session_stage_new()) as a
 * source as it is: its files are hashed in place and it is scanned like a
 * source.  Anything but folders and regular files, hidden names and names
 * the rule of published names refuses are problems.  -1 (err) for an I/O
 * failure or a name that is not a staged folder of this session. */
int import_session_adopt(struct import_session *s, const char *name, struct errbuf *err);

/* A file's sha256 computed by the caller as it wrote the file. */
struct staged_hash {
	const char *rel;	/* below the staged folder: "130001/ip0013.bin" */
	const char *sha256;	/* 64 lower-case hex digits */
	uint64_t size;		/* the size it was computed over */
};
/* As import_session_adopt(), but a file listed in known[0..n) whose size
 * is still `size` takes that sha256 instead of being read again (the
 * mirror hashes each file as it arrives and writes it once); other files
 * are hashed in place. */
int import_session_adopt_hashed(struct import_session *s, const char *name,
    const struct staged_hash *known, size_t n, struct errbuf *err);

/* Applies metadata and validates every unit against the catalog and the
 * channel as they are now (no lock).  Problems go to the report; -1 (err)
 * for an I/O failure.  --strict turns warnings into errors. */
int import_session_validate(struct import_session *s, struct errbuf *err);

/* Takes the channel lock, recovers dead transactions, re-checks (above),
 * commits and applies the transaction and rewrites the indexes, then
 * releases the lock.  Blocking: call it from a worker thread in a daemon.
 * Returns 0 (published), 1 (refused: errors in the report, from
 * validation or the re-check; nothing changed) or -1 (err; nothing
 * published, unless err says the transaction was committed and the next
 * recovery completes it).  Once only. */
int import_session_commit(struct import_session *s, struct errbuf *err);

/* A channel without catalog.json whose download/ holds indexes (a copied
 * store): its own indexes adopted into a new catalog (the caller frees it),
 * so that rewriting the indexes keeps their metadata.  Problems go to d. */
struct catalog *import_adopt_channel(const struct chan *c, struct diag *d);

#endif
