/*
 * storesrv: serves an offline innovaphone store (firmware, apps, software,
 * App Platform and phone platform images) from a directory, in the layout of
 * store.innovaphone.com.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access_log.h"
#include "dav_server.h"
#include "diag.h"
#include "log.h"
#include "passwd.h"
#include "rescan.h"
#include "server.h"
#include "settings.h"
#include "tls_server.h"

/* Heap blocks up to this size are not mapped one by one (WebDAV). */
#define STORESRV_MMAP_THRESHOLD	(8 << 20)

/* How long SIGTERM waits for a rescan in progress before leaving it. */
#define STORESRV_RESCAN_STOP_WAIT_MS	1000

/* What SIGHUP reaches. */
struct storesrv_reload {
	struct rescan *scan;
	struct dav_server *dav;
	struct tls_server *tls;	/* both listeners' certificate */
};

/* Whether a listener of the settings speaks TLS. */
static int
storesrv_wants_tls(const struct settings *s)
{
	return s->public_tls || (s->webdav_listen != NULL && s->webdav_tls);
}

/* The certificate and key of the settings, loaded and checked; logs which
 * certificate is in force. */
static struct tls_server *
storesrv_tls_create(const struct settings *s, struct errbuf *err)
{
	struct tls_server *tls = tls_server_create(s->tls_cert, s->tls_key, err);
	char what[512];

	if (tls == NULL)
		return NULL;
	tls_server_describe(tls, what, sizeof(what));
	log_info("TLS: certificate %s (%s)", s->tls_cert, what);
	return tls;
}

/* The certificate again: connections open keep theirs, new ones get the
 * new one; a file that does not load keeps the one in force. */
static void
storesrv_tls_reload(struct tls_server *tls)
{
	struct errbuf err;
	char what[512];

	if (tls_server_reload(tls, &err) == -1) {
		log_warnx("TLS: %s; keeping the certificate in force", err.msg);
		return;
	}
	tls_server_describe(tls, what, sizeof(what));
	log_info("TLS: certificate reloaded (%s)", what);
}

/* SIGHUP (on the main thread): ask the rescan thread for a rescan, the
 * WebDAV listener to reread its users, the listeners' certificate. */
static void
storesrv_on_reload(void *arg)
{
	struct storesrv_reload *r = arg;

	if (r->scan != NULL)
		rescan_request(r->scan);
	if (r->dav != NULL)
		dav_server_reload(r->dav);
	if (r->tls != NULL)
		storesrv_tls_reload(r->tls);
}

/* Writes "text\n" to path (port and pid files). */
static int
storesrv_write_small_file(const char *path, long value, struct errbuf *err)
{
	char text[32];
	FILE *fp;

	snprintf(text, sizeof(text), "%ld\n", value);
	fp = fopen(path, "we");
	if (fp == NULL)
		return errbuf_set_errno(err, "%s", path);
	if (fputs(text, fp) == EOF || fclose(fp) == EOF)
		return errbuf_set_errno(err, "%s", path);
	return 0;
}

/* The WebDAV listener of the settings, bound but not started. */
static struct dav_server *
storesrv_webdav_create(const struct settings *s, struct tls_server *tls, struct errbuf *err)
{
	int use_tls = s->webdav_tls && tls != NULL;
	struct dav_server_config dc = {
		.root = s->root,
		.listen = s->webdav_listen,
		.users_file = s->webdav_users,
		.allow_plain_basic = s->webdav_allow_plain,
		.tls = use_tls,
		.bev_factory = use_tls ? tls_server_bev_accept : NULL,
		.bev_factory_arg = use_tls ? tls : NULL,
		.bev_shutdown = use_tls ? tls_server_bev_shutdown : NULL,
		.quiet_seconds = (unsigned)s->webdav_quiet,
		.reserve_bytes = (uint64_t)s->webdav_reserve << 20,
		.max_uploads = s->webdav_max_uploads,
		.max_locks = s->webdav_max_locks,
		.idle_timeout = s->timeout,
		.header_timeout = s->header_timeout,
		.body_timeout = s->timeout,
	};
	struct dav_server *dav;

	/* PROPFIND answers of a large folder are megabytes: kept in the heap
	 * and reused (at most 16 MiB kept free) instead of a fresh mmap(2)
	 * and its page faults for each; docs/BENCHMARKS.md */
	mallopt(M_MMAP_THRESHOLD, STORESRV_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, 2 * STORESRV_MMAP_THRESHOLD);
	if ((dav = dav_server_create(&dc, err)) == NULL)
		return NULL;
	log_info("serving WebDAV%s on %s (port %d)", use_tls ? " over TLS" : "", s->webdav_listen,
	    dav_server_port(dav));
	if (s->webdav_port_file != NULL &&
	    storesrv_write_small_file(s->webdav_port_file, dav_server_port(dav), err) == -1) {
		dav_server_free(dav);
		return NULL;
	}
	return dav;
}

/*
 * Becomes the `user` of the settings (setgroups, setgid, setuid, in that
 * order) once the listeners are bound, the logs open and the pid file
 * written (so it may be in a folder only root writes, as /run).  Started as root
 * without a user it only warns (a unit may keep root on purpose); a user
 * given to a process that is not root must be the process's own.
 */
static int
storesrv_drop_privileges(const struct settings *s, struct errbuf *err)
{
	struct passwd *pw;

	if (s->user == NULL) {
		if (geteuid() == 0)
			log_warnx("running as root: set 'user' (--user) to an unprivileged user");
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(s->user)) == NULL)
		return errno != 0 ? errbuf_set_errno(err, "user: %s", s->user) :
		    errbuf_set(err, "user: %s: no such user", s->user);
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid)
			return 0;
		return errbuf_set(err, "user: %s: only root can become another user", s->user);
	}
	if (pw->pw_uid == 0)
		return errbuf_set(err, "user: %s: is root, not an unprivileged user", s->user);
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1)
		return errbuf_set_errno(err, "user: %s", s->user);
	if (setuid(0) == 0)
		return errbuf_set(err, "user: %s: root could be regained after setuid", s->user);
	log_info("running as user %s (uid %ld)", s->user, (long)pw->pw_uid);
	return 0;
}

static int
storesrv_start(struct settings *s, struct errbuf *err)
{
	struct storesrv_reload reload = { NULL, NULL, NULL };
	struct server *srv = NULL;
	int rc = -1;

	/* a peer gone mid-write is an error, not a signal, on every thread
	 * (the WebDAV thread starts before server_run) */
	signal(SIGPIPE, SIG_IGN);
	if (storesrv_wants_tls(s) && (reload.tls = storesrv_tls_create(s, err)) == NULL)
		goto done;
	srv = server_create(s, err);
	if (srv == NULL)
		goto done;
	if (s->public_tls)
		server_set_tls(srv, reload.tls);
	log_info("serving %s on %s (port %d)%s", s->root, s->listen, server_port(srv),
	    s->public_tls ? " over TLS" : "");
	if (s->port_file != NULL &&
	    storesrv_write_small_file(s->port_file, server_port(srv), err) == -1)
		goto done;
	if (s->webdav_listen != NULL &&
	    (reload.dav = storesrv_webdav_create(s, reload.tls, err)) == NULL)
		goto done;
	if (!s->foreground) {
		if (daemon(0, 0) == -1) {
			errbuf_set_errno(err, "daemon");
			goto done;
		}
		log_to_syslog();
	}
	if (s->pid_file != NULL && storesrv_write_small_file(s->pid_file, (long)getpid(), err) == -1)
		goto done;
	/* listeners bound, logs open, pid file written: no thread runs yet */
	if (storesrv_drop_privileges(s, err) == -1)
		goto done;
	if (s->rescan && (reload.scan = rescan_start(s->root, err)) == NULL)
		goto done;
	if (reload.dav != NULL && dav_server_start(reload.dav, err) == -1)
		goto done;
	server_set_reload(srv, storesrv_on_reload, &reload);
	rc = server_run(srv, err);
done:
	dav_server_free(reload.dav);
	rescan_stop(reload.scan, STORESRV_RESCAN_STOP_WAIT_MS);
	server_free(srv);
	tls_server_free(reload.tls);	/* after both listeners stopped */
	if (s->pid_file != NULL && rc == 0)
		unlink(s->pid_file);
	return rc;
}

/* Checks the settings, printing every problem found.  Returns -1 on errors. */
static int
storesrv_validate(const struct settings *s)
{
	struct diag *report = diag_create();
	int rc;

	rc = settings_validate(s, report);
	for (size_t i = 0; i < report->count; i++) {
		const struct diag_entry *e = &report->entries[i];

		fprintf(stderr, "storesrv: %s%s: %s\n",
		    e->severity == DIAG_WARNING ? "warning: " : "", e->where, e->message);
	}
	diag_free(report);
	return rc;
}

/* -n: the certificate and key load and match. */
static int
storesrv_check_tls(const struct settings *s)
{
	struct tls_server *tls;
	struct errbuf err;

	if (!storesrv_wants_tls(s))
		return 0;
	tls = tls_server_create(s->tls_cert, s->tls_key, &err);
	if (tls == NULL) {
		fprintf(stderr, "storesrv: %s\n", err.msg);
		return -1;
	}
	tls_server_free(tls);
	return 0;
}

int
main(int argc, char **argv)
{
	struct settings s;
	struct errbuf err;
	int rc, status = 1;

	if (argc > 1 && strcmp(argv[1], "passwd") == 0)
		return passwd_main(argc - 1, argv + 1);
	log_init("storesrv", LOG_LEVEL_INFO);
	settings_init(&s);
	rc = settings_from_args(&s, argc, argv, &err);
	if (rc != 0) {
		if (rc == -1)
			fprintf(stderr, "storesrv: %s\n", err.msg);
		status = rc == 1 ? 0 : 2;
		goto done;
	}
	if (s.verbose)
		log_set_level(LOG_LEVEL_DEBUG);
	if (storesrv_validate(&s) == -1)
		goto done;
	if (s.check_only) {
		if (storesrv_check_tls(&s) == -1)
			goto done;
		printf("storesrv: configuration OK (root %s, listen %s)\n", s.root, s.listen);
		status = 0;
		goto done;
	}
	if (access_log_open(s.access_log, &err) == -1 || storesrv_start(&s, &err) == -1) {
		log_warnx("%s", err.msg);
		goto done;
	}
	status = 0;
done:
	access_log_close();
	settings_free(&s);
	return status;
}
