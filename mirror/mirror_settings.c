/*
 * mirror_settings: storemirror's settings from a config file and the command
 * line (mirror_settings.h).  One table, mirror_options[], describes every
 * setting: its file key and long option, short option, type, bounds, value
 * check (mirror_values.h), the commands it belongs to, and its help line.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_file.h"
#include "mirror_settings.h"
#include "mirror_values.h"
#include "store_layout.h"
#include "xmalloc.h"

#define CMD_BIT(c)	(1u << (c))
#define CMDS_FETCH	(CMD_BIT(MIRROR_CMD_SYNC) | CMD_BIT(MIRROR_CMD_PLAN))
#define CMDS_SELECT	(CMDS_FETCH | CMD_BIT(MIRROR_CMD_EXPORT))
#define CMDS_HTTP	(CMDS_FETCH | CMD_BIT(MIRROR_CMD_PUSH))
#define CMDS_EXPORT	CMD_BIT(MIRROR_CMD_EXPORT)
#define CMDS_PUSH	CMD_BIT(MIRROR_CMD_PUSH)
#define CMDS_ALL	(CMDS_SELECT | CMDS_PUSH)

#define HELP_LEFT_WIDTH		28
#define HELP_WIDTH		79

enum mirror_option_type {
	MO_STRING,	/* char *; `check` validates the value */
	MO_UINT,	/* unsigned, min..max */
	MO_SIZE,	/* uint64_t, 0 or min..max, suffixes k M G */
	MO_BOOL,	/* int; a flag without value on the command line */
	MO_META,	/* command line only, handled by the parser: config, help, version */
};

/* Only on the command line: a script asks for it itself. */
#define MO_FLAG_ONLY	0x1

struct mirror_option {
	const char *key;	/* file key and long option */
	int short_opt;		/* 0 when none */
	enum mirror_option_type type;
	size_t offset;
	uint64_t min, max;	/* MO_UINT, MO_SIZE */
	mirror_values_check_fn *check;	/* MO_STRING; NULL: any */
	unsigned commands;	/* CMD_BIT()s of the commands that take it */
	unsigned flags;
	const char *arg;	/* for help: the argument's name; NULL for flags */
	const char *help;
};

/* --- the table --- */

#define OFF(field)	offsetof(struct mirror_settings, field)
#define NOFF		0

static const struct mirror_option mirror_options[] = {
	{ "config", 'c', MO_META, NOFF, 0, 0, NULL, CMDS_ALL, MO_FLAG_ONLY, "FILE",
	    "read settings from FILE (flags override it)" },
	{ "root", 'r', MO_STRING, OFF(root), 0, 0, NULL, CMDS_ALL, 0, "DIR",
	    "the local store root (required)" },
	{ "channels", 0, MO_STRING, OFF(channels), 0, 0, mirror_values_check_channels,
	    CMDS_ALL, 0, "LIST",
	    "channels, comma separated (release,beta); sync and plan take the upstream's "
	    "when it names one" },
	{ "upstream", 'u', MO_STRING, OFF(upstream), 0, 0, mirror_values_check_upstream,
	    CMDS_FETCH, 0, "URL",
	    "a channel's download URL (https://store.innovaphone.com/release/download), "
	    "a store's base URL (each channel's <channel>/download is mirrored), or a "
	    "local download/ folder or store root (required)" },
	{ "kinds", 0, MO_STRING, OFF(kinds), 0, 0, mirror_values_check_kinds,
	    CMDS_SELECT, 0, "LIST",
	    "only these kinds: app, firmware, software, app-platform, phone-platform "
	    "(default all)" },
	{ "ids", 0, MO_STRING, OFF(ids), 0, 0, mirror_values_check_id_globs,
	    CMDS_SELECT, 0, "GLOBS",
	    "only items whose id matches one of these globs (apidemo,my*): apps, software, "
	    "platforms (default all)" },
	{ "devices", 0, MO_STRING, OFF(devices), 0, 0, mirror_values_check_device_globs,
	    CMDS_SELECT, 0, "GLOBS",
	    "only firmware of these devices (IP0013,IP1200*) (default all)" },
	{ "min-release", 0, MO_STRING, OFF(min_release), 0, 0, mirror_values_check_release,
	    CMDS_SELECT, 0, "RELEASE", "only this release and newer (14r1) (default all)" },
	{ "archs", 0, MO_STRING, OFF(archs), 0, 0, mirror_values_check_archs,
	    CMDS_SELECT, 0, "LIST",
	    "app architectures: arm, arm64, x86_64 (default all)" },
	{ "keep", 0, MO_UINT, OFF(keep), 0, MIRROR_KEEP_MAX, NULL, CMD_BIT(MIRROR_CMD_SYNC), 0,
	    "K", "after a successful sync keep the newest K builds per release and item, "
	    "0 keeps all (default 0)" },
	{ "parallel", 0, MO_UINT, OFF(parallel), 1, MIRROR_PARALLEL_MAX, NULL, CMDS_FETCH, 0, "N",
	    "simultaneous requests (default 4)" },
	{ "rate-limit", 0, MO_SIZE, OFF(rate_limit), MIRROR_RATE_LIMIT_MIN, MIRROR_RATE_LIMIT_MAX,
	    NULL, CMDS_FETCH, 0, "BYTES",
	    "bandwidth of the whole run in bytes per second (500k, 10M, 1G), 0 for no "
	    "limit (default 0)" },
	{ "stall-timeout", 0, MO_UINT, OFF(stall_timeout), 1, MIRROR_STALL_TIMEOUT_MAX, NULL,
	    CMDS_HTTP, 0, "SECONDS", "give up a transfer that receives nothing this long "
	    "(default 30)" },
	{ "retries", 0, MO_UINT, OFF(retries), 0, MIRROR_RETRIES_MAX, NULL, CMDS_FETCH, 0, "N",
	    "further attempts of a failed transfer (default 3)" },
	{ "ca-file", 0, MO_STRING, OFF(ca_file), 0, 0, mirror_values_check_input_file,
	    CMDS_HTTP, 0, "FILE",
	    "trust the CA certificates of FILE (PEM) for https (default: the system's)" },
	{ "proxy", 0, MO_STRING, OFF(proxy), 0, 0, mirror_values_check_proxy, CMDS_FETCH, 0, "URL",
	    "an HTTP proxy, http://host:port (default none)" },
	{ "output", 'o', MO_STRING, OFF(output), 0, 0, NULL, CMDS_EXPORT, 0, "FILE",
	    "the bundle to write (required)" },
	{ "since", 0, MO_STRING, OFF(since), 0, 0, mirror_values_check_state_file,
	    CMDS_EXPORT, 0, "FILE",
	    "only what is new since the export that wrote this state file" },
	{ "state-out", 0, MO_STRING, OFF(state_out), 0, 0, NULL, CMDS_EXPORT, 0, "FILE",
	    "write the state file for the next --since" },
	{ "sign-key", 0, MO_STRING, OFF(sign_key), 0, 0, mirror_values_check_input_file,
	    CMDS_EXPORT, 0, "FILE",
	    "sign the bundle with this Ed25519 private key (PEM)" },
	{ "dav-url", 0, MO_STRING, OFF(dav_url), 0, 0, mirror_values_check_dav_url,
	    CMDS_PUSH, 0, "URL",
	    "the WebDAV share: http[s]://host[:port]/path/<channel>/download, or a base "
	    "that gets <channel>/download (required)" },
	{ "dav-user", 0, MO_STRING, OFF(dav_user), 0, 0, mirror_values_check_user,
	    CMDS_PUSH, 0, "NAME",
	    "user name for the share (Basic authentication)" },
	{ "dav-password-file", 0, MO_STRING, OFF(dav_password_file), 0, 0,
	    mirror_values_check_input_file, CMDS_PUSH, 0, "FILE",
	    "the share's password is the first line of FILE" },
	{ "dry-run", 'n', MO_BOOL, OFF(dry_run), 0, 1, NULL, CMD_BIT(MIRROR_CMD_SYNC),
	    MO_FLAG_ONLY, NULL, "change nothing: print what would be fetched (as plan)" },
	{ "json", 'j', MO_BOOL, OFF(json), 0, 1, NULL, CMDS_ALL, MO_FLAG_ONLY, NULL,
	    "print the result as one JSON object, progress as JSON lines on stderr" },
	{ "quiet", 'q', MO_BOOL, OFF(quiet), 0, 1, NULL, CMDS_ALL, 0, NULL,
	    "no progress display" },
	{ "verbose", 'v', MO_BOOL, OFF(verbose), 0, 1, NULL, CMDS_ALL, 0, NULL,
	    "tell each file and build as it is handled" },
	{ "check", 0, MO_META, NOFF, 0, 0, NULL, CMDS_ALL, MO_FLAG_ONLY, NULL,
	    "check the settings and the config file, then exit (0 when good)" },
	{ "help", 'h', MO_META, NOFF, 0, 0, NULL, CMDS_ALL, MO_FLAG_ONLY, NULL,
	    "show this help" },
	{ "version", 'V', MO_META, NOFF, 0, 0, NULL, CMDS_ALL, MO_FLAG_ONLY, NULL,
	    "show the version" },
};

#define MIRROR_NOPTIONS	(sizeof(mirror_options) / sizeof(mirror_options[0]))

static const struct {
	const char *name;
	enum mirror_command cmd;
	const char *help;
} mirror_commands[] = {
	{ "sync", MIRROR_CMD_SYNC, "fetch what the upstream offers, verify it and publish it" },
	{ "plan", MIRROR_CMD_PLAN, "what sync would fetch, counts and bytes per kind; changes "
	    "nothing" },
	{ "export", MIRROR_CMD_EXPORT, "write a local channel (or a selection of it) as one bundle for an offline site" },
	{ "push", MIRROR_CMD_PUSH, "upload local channels to a WebDAV share" },
};

#define MIRROR_NCOMMANDS	(sizeof(mirror_commands) / sizeof(mirror_commands[0]))

/* --- commands --- */

enum mirror_command
mirror_command_from_name(const char *name)
{
	for (size_t i = 0; i < MIRROR_NCOMMANDS; i++)
		if (strcmp(mirror_commands[i].name, name) == 0)
			return mirror_commands[i].cmd;
	return MIRROR_CMD_NONE;
}

const char *
mirror_command_name(enum mirror_command cmd)
{
	for (size_t i = 0; i < MIRROR_NCOMMANDS; i++)
		if (mirror_commands[i].cmd == cmd)
			return mirror_commands[i].name;
	return NULL;
}

/* --- life cycle --- */

void
mirror_settings_init(struct mirror_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->parallel = MIRROR_PARALLEL_DEFAULT;
	s->retries = MIRROR_RETRIES_DEFAULT;
	s->stall_timeout = MIRROR_STALL_TIMEOUT_DEFAULT;
}

void
mirror_settings_free(struct mirror_settings *s)
{
	for (size_t i = 0; i < MIRROR_NOPTIONS; i++) {
		if (mirror_options[i].type == MO_STRING) {
			char **p = (char **)((char *)s + mirror_options[i].offset);

			free(*p);
			*p = NULL;
		}
	}
	mirror_values_free(s);
	free(s->config_file);
	s->config_file = NULL;
}

/* --- setting one value --- */

static const struct mirror_option *
option_find(const char *key)
{
	for (size_t i = 0; i < MIRROR_NOPTIONS; i++)
		if (strcmp(mirror_options[i].key, key) == 0)
			return &mirror_options[i];
	return NULL;
}

static int
option_applies(const struct mirror_option *o, enum mirror_command cmd)
{
	return cmd == MIRROR_CMD_NONE || (o->commands & CMD_BIT(cmd)) != 0;
}

static int
set_string(struct mirror_settings *s, const struct mirror_option *o, const char *value,
    const char *where, struct errbuf *err)
{
	char **field = (char **)((char *)s + o->offset);

	if (*value == '\0')
		return errbuf_set(err, "%s: empty value", where);
	if (o->check != NULL && o->check(s, value, option_applies(o, s->command), where, err) == -1)
		return -1;
	free(*field);
	*field = xstrdup(value);
	return 0;
}

static int
set_uint(struct mirror_settings *s, const struct mirror_option *o, const char *value,
    const char *where, struct errbuf *err)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(value, &end, 10);
	if (*value < '0' || *value > '9' || errno != 0 || *end != '\0' || n < o->min ||
	    n > o->max)
		return errbuf_set(err, "%s: expected a whole number from %llu to %llu, not '%s'",
		    where, (unsigned long long)o->min, (unsigned long long)o->max, value);
	*(unsigned *)((char *)s + o->offset) = (unsigned)n;
	return 0;
}

static int
set_size(struct mirror_settings *s, const struct mirror_option *o, const char *value,
    const char *where, struct errbuf *err)
{
	uint64_t n;

	if (conf_parse_size(value, &n) == -1 || (n != 0 && (n < o->min || n > o->max)))
		return errbuf_set(err, "%s: expected 0 or bytes from %lluk to %lluG (suffix k, M "
		    "or G), not '%s'", where, (unsigned long long)(o->min >> 10),
		    (unsigned long long)(o->max >> 30), value);
	*(uint64_t *)((char *)s + o->offset) = n;
	return 0;
}

static int
option_set(struct mirror_settings *s, const struct mirror_option *o, const char *value,
    const char *where, struct errbuf *err)
{
	switch (o->type) {
	case MO_STRING:
		return set_string(s, o, value, where, err);
	case MO_UINT:
		return set_uint(s, o, value, where, err);
	case MO_SIZE:
		return set_size(s, o, value, where, err);
	case MO_BOOL:
		if (conf_parse_bool(value, (int *)((char *)s + o->offset)) == -1)
			return errbuf_set(err, "%s: expected yes or no, not '%s'", where, value);
		return 0;
	case MO_META:
		break;
	}
	return errbuf_set(err, "%s: only on the command line", where);
}

int
mirror_settings_set(struct mirror_settings *s, const char *key, const char *value,
    const char *where, struct errbuf *err)
{
	const struct mirror_option *o = option_find(key);

	if (o == NULL)
		return errbuf_set(err, "%s: unknown setting '%s'", where, key);
	return option_set(s, o, value, where, err);
}

/* One "key = value" of the file (conf_file_fn). */
static int
load_setting(const char *key, const char *value, const char *where, void *arg,
    struct errbuf *err)
{
	const struct mirror_option *o = option_find(key);
	char at[ERRBUF_SIZE];

	if (o == NULL)
		return errbuf_set(err, "%s: unknown setting '%s'", where, key);
	if (o->flags & MO_FLAG_ONLY)
		return errbuf_set(err, "%s: %s: only a command-line flag (--%s)", where, key, key);
	snprintf(at, sizeof(at), "%s: %s", where, key);
	return option_set(arg, o, value, at, err);
}

int
mirror_settings_load_file(struct mirror_settings *s, const char *path, struct errbuf *err)
{
	return conf_file_load(path, load_setting, s, err);
}

/* --- the command line --- */

#define LONG_BASE	1000

/* getopt's option set of a command: its options and the meta ones. */
static struct option *
getopt_tables(enum mirror_command cmd, char *shorts, size_t shortsz)
{
	struct option *longs = xcalloc(MIRROR_NOPTIONS + 1, sizeof(*longs));
	size_t n = 0, k = 0;

	shorts[k++] = ':';
	for (size_t i = 0; i < MIRROR_NOPTIONS; i++) {
		const struct mirror_option *o = &mirror_options[i];
		int has_arg = o->arg != NULL ? required_argument : no_argument;

		if (!option_applies(o, cmd))
			continue;
		longs[n++] = (struct option){ o->key, has_arg, NULL, LONG_BASE + (int)i };
		if (o->short_opt != 0 && k + 3 < shortsz) {
			shorts[k++] = (char)o->short_opt;
			if (has_arg == required_argument)
				shorts[k++] = ':';
		}
	}
	shorts[k] = '\0';
	return longs;
}

static const struct mirror_option *
option_by_getopt(int c)
{
	if (c >= LONG_BASE && c < LONG_BASE + (int)MIRROR_NOPTIONS)
		return &mirror_options[c - LONG_BASE];
	for (size_t i = 0; i < MIRROR_NOPTIONS; i++)
		if (mirror_options[i].short_opt != 0 && mirror_options[i].short_opt == c)
			return &mirror_options[i];
	return NULL;
}

/* The error of a '?' or ':' from getopt_long, naming the flag. */
static int
getopt_error(enum mirror_command cmd, int c, const char *arg, struct errbuf *err)
{
	const struct mirror_option *o;
	char name[64];
	size_t len;

	if (optopt != 0 && optopt < LONG_BASE)
		snprintf(name, sizeof(name), "-%c", optopt);
	else {
		len = strcspn(arg, "=");
		snprintf(name, sizeof(name), "%.*s", (int)(len < 60 ? len : 60), arg);
	}
	if (c == ':')
		return errbuf_set(err, "%s: missing value", name);
	o = strncmp(name, "--", 2) == 0 ? option_find(name + 2) : option_by_getopt(optopt);
	if (o != NULL && !option_applies(o, cmd))
		return errbuf_set(err, "%s: not an option of %s", name, mirror_command_name(cmd));
	if (o != NULL && o->arg == NULL && strchr(arg, '=') != NULL)
		return errbuf_set(err, "%s: takes no value", name);
	return errbuf_set(err, "%s: unknown option", name);
}

/* First pass: --config, --help, --version and the first getopt error. */
static int
args_first_pass(struct mirror_settings *s, int argc, char **argv, const char *shorts,
    const struct option *longs, struct errbuf *err)
{
	const struct mirror_option *o;
	int c, rc = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == '?' || c == ':') {
			if (rc == 0)
				rc = getopt_error(s->command, c, argv[optind - 1], err);
			continue;
		}
		if ((o = option_by_getopt(c)) == NULL || o->type != MO_META)
			continue;
		if (strcmp(o->key, "help") == 0)
			s->help = 1;
		else if (strcmp(o->key, "version") == 0)
			s->version = 1;
		else if (strcmp(o->key, "check") == 0)
			s->check_only = 1;
		else {
			free(s->config_file);
			s->config_file = xstrdup(optarg);
		}
	}
	if (rc == 0 && optind < argc)
		rc = errbuf_set(err, "unexpected argument '%s'", argv[optind]);
	return s->help || s->version ? 1 : rc;
}

/* Second pass, after the config file: the flags override it. */
static int
args_apply(struct mirror_settings *s, int argc, char **argv, const char *shorts,
    const struct option *longs, struct errbuf *err)
{
	const struct mirror_option *o;
	char where[80];
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if ((o = option_by_getopt(c)) == NULL || o->type == MO_META)
			continue;
		snprintf(where, sizeof(where), "--%s", o->key);
		if (option_set(s, o, o->arg != NULL ? optarg : "yes", where, err) == -1)
			return -1;
	}
	return 0;
}

/* Sync and plan without --channels mirror into the upstream's channel. */
static void
args_derive(struct mirror_settings *s)
{
	if (s->command == MIRROR_CMD_PLAN)
		s->dry_run = 1;
	if ((s->command == MIRROR_CMD_SYNC || s->command == MIRROR_CMD_PLAN) &&
	    s->nchannels == 0 && s->upstream_channel != NULL) {
		s->channels = xstrdup(s->upstream_channel);
		s->channel_list = xcalloc(1, sizeof(*s->channel_list));
		s->channel_list[s->nchannels++] = xstrdup(s->upstream_channel);
	}
}

/* argv[1]: a command, --help or --version. */
static int
args_command(struct mirror_settings *s, const char *arg, struct errbuf *err)
{
	if (arg == NULL)
		return errbuf_set(err, "no command given (sync, plan, export, push)");
	if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
		return s->help = 1;
	if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0)
		return s->version = 1;
	if ((s->command = mirror_command_from_name(arg)) != MIRROR_CMD_NONE)
		return 0;
	if (arg[0] == '-')
		return errbuf_set(err, "%s: expected a command first (sync, plan, export, push)", arg);
	return errbuf_set(err, "unknown command '%s' (sync, plan, export, push)", arg);
}

int
mirror_settings_from_args(struct mirror_settings *s, int argc, char **argv,
    struct errbuf *err)
{
	struct option *longs;
	char shorts[2 * MIRROR_NOPTIONS + 2];
	int rc;

	if ((rc = args_command(s, argc > 1 ? argv[1] : NULL, err)) != 0)
		return rc;
	longs = getopt_tables(s->command, shorts, sizeof(shorts));
	rc = args_first_pass(s, argc - 1, argv + 1, shorts, longs, err);
	if (rc == 0 && s->config_file != NULL)
		rc = mirror_settings_load_file(s, s->config_file, err);
	if (rc == 0)
		rc = args_apply(s, argc - 1, argv + 1, shorts, longs, err);
	if (rc == 0)
		args_derive(s);
	free(longs);
	return rc;
}

int
mirror_settings_args_want_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
			return 1;
	return 0;
}

/* --- what each command needs --- */

static int
check_required(const char *value, const char *key, const char *cmd, struct errbuf *err)
{
	if (value != NULL)
		return 0;
	return errbuf_set(err, "--%s: required by %s (or '%s = ...' in the config file)", key,
	    cmd, key);
}

static int
check_fetch(const struct mirror_settings *s, const char *cmd, struct errbuf *err)
{
	if (check_required(s->upstream, "upstream", cmd, err) == -1)
		return -1;
	if (s->nchannels == 0 && s->upstream_channel == NULL)
		return errbuf_set(err, "--channels: required by %s: the upstream names no channel "
		    "(a URL ending in /<channel>/download does)", cmd);
	if (s->upstream_is_channel && s->nchannels > 1)
		return errbuf_set(err, "--channels: the upstream is one channel's download/, so "
		    "give one local channel, not %zu", s->nchannels);
	return 0;
}

static int
check_push(const struct mirror_settings *s, struct errbuf *err)
{
	char last[16], before[16];

	if (check_required(s->dav_url, "dav-url", "push", err) == -1)
		return -1;
	if ((s->dav_user == NULL) != (s->dav_password_file == NULL))
		return errbuf_set(err, "%s: given without %s", s->dav_user ? "--dav-user" :
		    "--dav-password-file", s->dav_user ? "--dav-password-file" : "--dav-user");
	mirror_values_path_tail(s->dav_url, last, before, sizeof(last));
	if (strcmp(last, STORE_DOWNLOAD_DIR) == 0 && s->nchannels > 1)
		return errbuf_set(err, "--channels: the WebDAV URL is one channel's download/, so "
		    "give one channel, not %zu", s->nchannels);
	return 0;
}

int
mirror_settings_check(const struct mirror_settings *s, struct errbuf *err)
{
	const char *cmd = mirror_command_name(s->command);

	if (cmd == NULL)
		return errbuf_set(err, "no command given (sync, plan, export, push)");
	if (check_required(s->root, "root", cmd, err) == -1)
		return -1;
	switch (s->command) {
	case MIRROR_CMD_SYNC:
	case MIRROR_CMD_PLAN:
		return check_fetch(s, cmd, err);
	case MIRROR_CMD_EXPORT:
		if (check_required(s->channels, "channels", cmd, err) == -1)
			return -1;
		if (s->nchannels > 1)
			return errbuf_set(err, "--channels: a bundle holds one channel, not %zu",
			    s->nchannels);
		return check_required(s->output, "output", cmd, err);
	case MIRROR_CMD_PUSH:
		if (check_required(s->channels, "channels", cmd, err) == -1)
			return -1;
		return check_push(s, err);
	case MIRROR_CMD_NONE:
		break;
	}
	return -1;
}

/* --- help --- */

/* Writes text from column `col`, wrapped at HELP_WIDTH, continuation
 * lines indented to HELP_LEFT_WIDTH + 2. */
static void
help_wrapped(FILE *out, const char *text, size_t col)
{
	const size_t indent = HELP_LEFT_WIDTH + 2;

	while (*text != '\0') {
		size_t room = HELP_WIDTH > col ? HELP_WIDTH - col : 20, n = strlen(text);

		if (n > room) {
			n = room;
			while (n > 0 && text[n] != ' ')
				n--;
			if (n == 0)
				n = strcspn(text, " ");
		}
		fprintf(out, "%.*s\n", (int)n, text);
		text += n;
		while (*text == ' ')
			text++;
		if (*text != '\0')
			fprintf(out, "%*s", (int)indent, "");
		col = indent;
	}
}

/* "[sync, plan]" for an option that not every command takes. */
static void
help_commands_of(const struct mirror_option *o, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	if ((o->commands & CMDS_ALL) == CMDS_ALL)
		return;
	for (size_t i = 0; i < MIRROR_NCOMMANDS && n + 1 < size; i++)
		if (o->commands & CMD_BIT(mirror_commands[i].cmd))
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : " [",
			    mirror_commands[i].name);
	if (n + 1 < size)
		snprintf(buf + n, size - n, "]");
}

static void
help_option(FILE *out, const struct mirror_option *o, enum mirror_command cmd)
{
	char left[64], text[512], cmds[64];
	int n;

	if (o->short_opt)
		n = snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_opt, o->key,
		    o->arg ? " " : "", o->arg ? o->arg : "");
	else
		n = snprintf(left, sizeof(left), "    --%s%s%s", o->key, o->arg ? " " : "",
		    o->arg ? o->arg : "");
	cmds[0] = '\0';
	if (cmd == MIRROR_CMD_NONE)
		help_commands_of(o, cmds, sizeof(cmds));
	snprintf(text, sizeof(text), "%s%s", o->help, cmds);
	if (n > HELP_LEFT_WIDTH - 1) {
		fprintf(out, "  %s\n%*s", left, HELP_LEFT_WIDTH + 2, "");
		help_wrapped(out, text, HELP_LEFT_WIDTH + 2);
	} else {
		fprintf(out, "  %-*s", HELP_LEFT_WIDTH, left);
		help_wrapped(out, text, HELP_LEFT_WIDTH + 2);
	}
}

char *
mirror_settings_help(enum mirror_command cmd)
{
	const char *name = mirror_command_name(cmd);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL)
		xalloc_failed("the help text");
	if (name == NULL) {
		fprintf(out, "usage: storemirror COMMAND [options]\n"
		    "       storemirror COMMAND --help    (the options of one command)\n"
		    "Mirrors channels of an innovaphone store from an upstream store, for\n"
		    "offline sites.\n\ncommands:\n");
		for (size_t i = 0; i < MIRROR_NCOMMANDS; i++)
			fprintf(out, "  %-8s  %s\n", mirror_commands[i].name, mirror_commands[i].help);
		fprintf(out, "\noptions (a config file takes the same keys: 'key = value'):\n");
	} else {
		for (size_t i = 0; i < MIRROR_NCOMMANDS; i++)
			if (mirror_commands[i].cmd == cmd)
				fprintf(out, "usage: storemirror %s [options]\n  %s\n\noptions:\n",
				    name, mirror_commands[i].help);
	}
	for (size_t i = 0; i < MIRROR_NOPTIONS; i++)
		if (option_applies(&mirror_options[i], cmd))
			help_option(out, &mirror_options[i], cmd);
	fprintf(out, "\nexit status: 0 success, 1 refused or partly failed (a build that did not\n"
	    "verify), 2 usage error, 3 I/O error\n");
	if (fclose(out) != 0)
		xalloc_failed("the help text");
	return text;
}
