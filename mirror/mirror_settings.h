/*
 * mirror_settings: storemirror's settings, from an optional config file in
 * storesrv's format (`key = value` lines, '#' comments) and the command line
 * (flags override the file).  One table in mirror_settings.c drives the
 * file keys, the long options and --help, as storesrv/settings.c does.
 *
 *   storemirror COMMAND [options]      COMMAND: sync, plan, export, push
 *
 * Every command reads the fields it needs; mirror_settings_check() refuses
 * a command whose required fields are missing, naming the flag.
 */
#ifndef STORESRV_MIRROR_SETTINGS_H
#define STORESRV_MIRROR_SETTINGS_H

#include <stdint.h>

#include "errbuf.h"

enum mirror_command {
	MIRROR_CMD_NONE,
	MIRROR_CMD_SYNC,	/* fetch, verify and publish from upstream */
	MIRROR_CMD_PLAN,	/* sync --dry-run: what would be fetched */
	MIRROR_CMD_EXPORT,	/* write an air-gap bundle of a local channel */
	MIRROR_CMD_PUSH,	/* upload a local channel to a WebDAV share */
};

struct mirror_settings {
	enum mirror_command command;
	char *config_file;

	/* where */
	char *root;		/* local store root (sync target; export, push source) */
	char *channels;		/* comma-separated channel names ("release,beta") */
	char *upstream;		/* "http[s]://host[:port]/<channel>/download", a store
				 * base URL (channels appended as <ch>/download), or a
				 * local download/ folder */

	/* selection (mirror_plan.h struct mirror_selection; NULL: all) */
	char *kinds;		/* "app,firmware,software,app-platform,phone-platform" */
	char *ids;		/* item id globs */
	char *devices;		/* firmware device globs */
	char *min_release;	/* "14r1": that release and newer */
	char *archs;		/* app architectures */
	unsigned keep;		/* keep-newest-K retention after a sync; 0: off */

	/* transfers */
	unsigned parallel;	/* simultaneous requests (default 4) */
	uint64_t rate_limit;	/* bytes per second ("10M"); 0: unlimited */
	unsigned stall_timeout;	/* seconds (default 30) */
	unsigned retries;	/* per file (default 3) */
	char *ca_file;		/* extra CA bundle for https (system CAs otherwise) */
	char *proxy;		/* "http://host:port" */

	/* export (air gap) */
	char *output;		/* bundle file to write */
	char *since;		/* state file of a previous export: only what is new */
	char *state_out;	/* state file to write for the next --since */
	char *sign_key;		/* Ed25519 private key (PEM) to sign the bundle */

	/* push (WebDAV) */
	char *dav_url;		/* "http[s]://host[:port]/path/<channel>/download" */
	char *dav_user;
	char *dav_password_file;	/* first line is the password */

	/* output */
	int json;		/* JSON results and JSON-lines progress */
	int quiet;		/* no progress bar */
	int verbose;
	int dry_run;		/* sync --dry-run == plan */
};

void mirror_settings_init(struct mirror_settings *s);
void mirror_settings_free(struct mirror_settings *s);

/* Parses argv (argv[1] is the command): loads --config first, then applies
 * the flags over it.  Returns 0 to go on, 1 when --help/--version was
 * answered (printed to stdout), -1 on a usage error (message in err). */
int mirror_settings_from_args(struct mirror_settings *s, int argc, char **argv,
    struct errbuf *err);

/* The fields the command needs are present and consistent; -1 (err names
 * the flag) otherwise. */
int mirror_settings_check(const struct mirror_settings *s, struct errbuf *err);

#endif
