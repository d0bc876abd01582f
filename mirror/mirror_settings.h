/*
 * mirror_settings: storemirror's settings, from an optional config file in
 * storesrv's format (conf_file.h: `key = value` lines, '#' comments) and the
 * command line (flags override the file).  One table in mirror_settings.c
 * drives the file keys, the long options and --help, as storesrv/settings.c
 * does: a key of the file and its flag are spelled alike (`upstream = URL`,
 * `--upstream URL`).
 *
 *   storemirror COMMAND [options]      COMMAND: sync, plan, export, push
 *   storemirror --help | --version
 *
 * The file may hold the keys of every command (one file serves sync and
 * push); the command line takes only the options of its command, and
 * `storemirror COMMAND --help` lists those.  A few options are flags only
 * (--json, --dry-run): a script asks for them itself.
 *
 * Every value is checked where it is set, and an error names its source:
 * "--parallel: expected a whole number from 1 to 64, not '0'" or
 * "mirror.conf:3: parallel: expected ...".  Checked: number bounds, sizes
 * with suffixes (rate-limit), kind, architecture and channel names, glob
 * lists, the release id, URLs (scheme, host, port), files that must exist
 * (ca-file, sign-key, since, dav-password-file).  mirror_settings_check()
 * then refuses a command whose required settings are missing.
 *
 * Library code: never prints (the help text is returned as a string).
 */
#ifndef STORESRV_MIRROR_SETTINGS_H
#define STORESRV_MIRROR_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

enum mirror_command {
	MIRROR_CMD_NONE,
	MIRROR_CMD_SYNC,	/* fetch, verify and publish from upstream */
	MIRROR_CMD_PLAN,	/* sync --dry-run: what would be fetched */
	MIRROR_CMD_EXPORT,	/* write an air-gap bundle of a local channel */
	MIRROR_CMD_PUSH,	/* upload a local channel to a WebDAV share */
};

/* Bounds and defaults of the numeric settings. */
#define MIRROR_PARALLEL_DEFAULT		4
#define MIRROR_PARALLEL_MAX		64
#define MIRROR_RETRIES_DEFAULT		3
#define MIRROR_RETRIES_MAX		20
#define MIRROR_STALL_TIMEOUT_DEFAULT	30
#define MIRROR_STALL_TIMEOUT_MAX	3600
#define MIRROR_KEEP_MAX			1000
#define MIRROR_RATE_LIMIT_MIN		1024ULL			/* 1k; 0 is off */
#define MIRROR_RATE_LIMIT_MAX		(1024ULL << 30)		/* 1024G */
#define MIRROR_CHANNELS_MAX		64

struct mirror_settings {
	enum mirror_command command;
	char *config_file;

	/* where */
	char *root;		/* local store root (sync target; export, push source) */
	char *channels;		/* comma-separated channel names ("release,beta");
				 * sync and plan: when not given and the upstream
				 * names a channel, that channel */
	char *upstream;		/* "http[s]://host[:port]/<channel>/download", a store
				 * base URL (channels appended as <ch>/download), or a
				 * local download/ folder or store root (same rule) */

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
	int dry_run;		/* set for plan and for sync --dry-run */

	/* derived from the above by the parser (read only for commands) */
	unsigned kind_mask;	/* kinds as bits MIRROR_KIND_BIT(enum index_kind)
				 * (mirror_plan.h); 0: every kind */
	char **channel_list;	/* channels split, valid names, no duplicates */
	size_t nchannels;
	int upstream_local;	/* upstream is a folder, not a URL */
	int upstream_is_channel;	/* upstream ends in .../download */
	char *upstream_channel;	/* the channel name before /download, if valid */
	int help;		/* --help was asked (mirror_settings_help()) */
	int version;		/* --version was asked */
	int check_only;		/* --check: check the settings, run nothing */
};

void mirror_settings_init(struct mirror_settings *s);
void mirror_settings_free(struct mirror_settings *s);

/* "sync" -> MIRROR_CMD_SYNC ...; MIRROR_CMD_NONE when unknown.  And back
 * (NULL for MIRROR_CMD_NONE). */
enum mirror_command mirror_command_from_name(const char *name);
const char *mirror_command_name(enum mirror_command cmd);

/* Sets one setting by its file key ("parallel"); `where` names the source
 * in errors ("--parallel" or "FILE:LINE: parallel").  -1 with err when the
 * key is unknown or the value is refused. */
int mirror_settings_set(struct mirror_settings *s, const char *key, const char *value,
    const char *where, struct errbuf *err);

/* Reads a config file over s; errors name "FILE:LINE: key: problem". */
int mirror_settings_load_file(struct mirror_settings *s, const char *path, struct errbuf *err);

/* Parses argv (argv[1] is the command, or --help / --version): loads
 * --config first, then applies the flags over it.  Returns 0 to go on, 1
 * when --help or --version was asked (s->help / s->version set, s->command
 * the command if one was given; nothing printed), -1 on a usage error
 * (message in err naming the flag or the FILE:LINE: key at fault). */
int mirror_settings_from_args(struct mirror_settings *s, int argc, char **argv,
    struct errbuf *err);

/* The settings the command needs are present and consistent; -1 (err
 * names the flag) otherwise.  sync, plan: root, upstream, and channels
 * unless the upstream names one (then one local channel at most); export:
 * root, one channel, output; push: root, channels, dav-url (one channel
 * when it ends in /download), dav-user and dav-password-file together. */
int mirror_settings_check(const struct mirror_settings *s, struct errbuf *err);

/* The --help text: the commands and every option (cmd MIRROR_CMD_NONE), or
 * the options of one command.  Newly allocated; the caller frees. */
char *mirror_settings_help(enum mirror_command cmd);

/* Whether argv asks for JSON output (--json or -j before "--"), so that a
 * usage error found before the flag was read is reported in JSON too. */
int mirror_settings_args_want_json(int argc, char **argv);

#endif
