/*
 * storesrv: serves an offline innovaphone store (firmware, apps, software,
 * App Platform and phone platform images) from a directory, in the layout of
 * store.innovaphone.com.
 */
#include "config.h"

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

/* How long SIGTERM waits for a rescan in progress before leaving it. */
#define STORESRV_RESCAN_STOP_WAIT_MS	1000

/* What SIGHUP reaches. */
struct storesrv_reload {
	struct rescan *scan;
	struct dav_server *dav;
};

/* SIGHUP (on the main thread): ask the rescan thread for a rescan, the
 * WebDAV listener to reread its users. */
static void
storesrv_on_reload(void *arg)
{
	struct storesrv_reload *r = arg;

	if (r->scan != NULL)
		rescan_request(r->scan);
	if (r->dav != NULL)
		dav_server_reload(r->dav);
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
storesrv_webdav_create(const struct settings *s, struct errbuf *err)
{
	struct dav_server_config dc = {
		.root = s->root,
		.listen = s->webdav_listen,
		.users_file = s->webdav_users,
		.allow_plain_basic = s->webdav_allow_plain,
		.quiet_seconds = (unsigned)s->webdav_quiet,
		.reserve_bytes = (uint64_t)s->webdav_reserve << 20,
		.max_uploads = s->webdav_max_uploads,
		.max_locks = s->webdav_max_locks,
		.idle_timeout = s->timeout,
		.header_timeout = s->header_timeout,
		.body_timeout = s->timeout,
	};
	struct dav_server *dav = dav_server_create(&dc, err);

	if (dav == NULL)
		return NULL;
	log_info("serving WebDAV on %s (port %d)", s->webdav_listen, dav_server_port(dav));
	if (s->webdav_port_file != NULL &&
	    storesrv_write_small_file(s->webdav_port_file, dav_server_port(dav), err) == -1) {
		dav_server_free(dav);
		return NULL;
	}
	return dav;
}

static int
storesrv_start(struct settings *s, struct errbuf *err)
{
	struct storesrv_reload reload = { NULL, NULL };
	struct server *srv;
	int rc = -1;

	srv = server_create(s, err);
	if (srv == NULL)
		return -1;
	log_info("serving %s on %s (port %d)", s->root, s->listen, server_port(srv));
	if (s->port_file != NULL &&
	    storesrv_write_small_file(s->port_file, server_port(srv), err) == -1)
		goto done;
	if (s->webdav_listen != NULL && (reload.dav = storesrv_webdav_create(s, err)) == NULL)
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
