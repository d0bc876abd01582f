/*
 * storemirror: mirrors channels of an innovaphone store from an upstream
 * store, exports them for an air gap, pushes them to a WebDAV share.
 * The command line: settings (mirror_settings.h), then one command
 * (mirror_cmd.h); usage errors exit 2 as storeimport's do (importer.h).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "errbuf.h"
#include "importer.h"
#include "log.h"
#include "mirror_cmd.h"
#include "mirror_settings.h"
#include "report.h"

static const struct {
	enum mirror_command cmd;
	int (*run)(const struct mirror_settings *s);
} main_commands[] = {
	{ MIRROR_CMD_SYNC, mirror_cmd_sync },
	{ MIRROR_CMD_PLAN, mirror_cmd_sync },
	{ MIRROR_CMD_EXPORT, mirror_cmd_export },
	{ MIRROR_CMD_PUSH, mirror_cmd_push },
};

/* A usage error on stderr; with --json also as the report on stdout, in
 * storeimport's shape (report.h). */
static int
main_usage_error(enum mirror_command cmd, const char *msg, int json)
{
	const char *name = mirror_command_name(cmd);
	struct report *r;

	fprintf(stderr, "storemirror: %s\nTry 'storemirror %s%s--help'.\n", msg,
	    name ? name : "", name ? " " : "");
	if (json) {
		r = report_create(name);
		report_error(r, msg);
		report_print(r, 1, IMP_EXIT_USAGE, stdout);
		report_free(r);
	}
	return IMP_EXIT_USAGE;
}

/* --check: the settings passed; nothing is run. */
static int
main_check_ok(const struct mirror_settings *s)
{
	struct report *r;

	if (!s->json) {
		printf("storemirror %s: configuration OK\n", mirror_command_name(s->command));
		return IMP_EXIT_OK;
	}
	r = report_create(mirror_command_name(s->command));
	report_print(r, 1, IMP_EXIT_OK, stdout);
	report_free(r);
	return IMP_EXIT_OK;
}

static int
main_run(const struct mirror_settings *s)
{
	if (s->check_only)
		return main_check_ok(s);
	for (size_t i = 0; i < sizeof(main_commands) / sizeof(main_commands[0]); i++)
		if (main_commands[i].cmd == s->command)
			return main_commands[i].run(s);
	return IMP_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	struct mirror_settings s;
	struct errbuf err;
	char *help;
	int rc;

	/* A peer that closes mid-upload must be an error to report, not a
	 * silent death: libevent writes with writev(), which has no
	 * MSG_NOSIGNAL. */
	signal(SIGPIPE, SIG_IGN);
	log_init("storemirror", LOG_LEVEL_WARN);
	mirror_settings_init(&s);
	rc = mirror_settings_from_args(&s, argc, argv, &err);
	if (rc == 1 && s.help) {
		help = mirror_settings_help(s.command);
		fputs(help, stdout);
		free(help);
		rc = IMP_EXIT_OK;
	} else if (rc == 1) {
		printf("storemirror %s\n", PACKAGE_VERSION);
		rc = IMP_EXIT_OK;
	} else if (rc == -1)
		rc = main_usage_error(s.command, err.msg, s.json ||
		    mirror_settings_args_want_json(argc, argv));
	else if (mirror_settings_check(&s, &err) == -1)
		rc = main_usage_error(s.command, err.msg, s.json);
	else {
		if (s.verbose)
			log_set_level(LOG_LEVEL_INFO);
		rc = main_run(&s);
	}
	mirror_settings_free(&s);
	return rc;
}
