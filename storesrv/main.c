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
#include "diag.h"
#include "log.h"
#include "server.h"
#include "settings.h"
#include "store_index.h"

/* Rewrites every channel's indexes; problems are logged, never fatal. */
static void
storesrv_rescan(void *arg)
{
	const struct settings *s = arg;
	struct diag *report;
	struct errbuf err;

	if (!s->rescan)
		return;
	report = diag_create();
	if (store_index_rebuild_all(s->root, report, &err) == -1)
		log_warnx("rescan: %s", err.msg);
	for (size_t i = 0; i < report->count; i++)
		log_info("rescan: %s: %s", report->entries[i].where, report->entries[i].message);
	diag_free(report);
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

static int
storesrv_start(struct settings *s, struct errbuf *err)
{
	struct server *srv;
	int rc = -1;

	srv = server_create(s, err);
	if (srv == NULL)
		return -1;
	log_info("serving %s on %s (port %d)", s->root, s->listen, server_port(srv));
	if (s->port_file != NULL &&
	    storesrv_write_small_file(s->port_file, server_port(srv), err) == -1)
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
	storesrv_rescan(s);
	server_set_reload(srv, storesrv_rescan, s);
	rc = server_run(srv, err);
done:
	server_free(srv);
	if (s->pid_file != NULL && rc == 0)
		unlink(s->pid_file);
	return rc;
}

int
main(int argc, char **argv)
{
	struct settings s;
	struct errbuf err;
	int rc, status = 1;

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
	if (settings_validate(&s, &err) == -1) {
		fprintf(stderr, "storesrv: %s\n", err.msg);
		goto done;
	}
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
