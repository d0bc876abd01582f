/*
 * storeimport: validate builds, archives and store trees and publish them
 * into a channel of a store atomically; look after published channels.
 * The command line; docs/IMPORTER.md is the manual.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descriptor.h"
#include "housekeeping.h"
#include "import.h"
#include "importer.h"
#include "log.h"
#include "report.h"
#include "store_layout.h"

static const char usage_text[] =
"usage: storeimport [options] COMMAND [ARG...]\n"
"\n"
"commands:\n"
"  publish SOURCE...   validate and publish builds, archives or store trees\n"
"  check SOURCE...     validate only; change nothing\n"
"  remove PATH...      remove builds (130001) or platform versions\n"
"                      (app-platform/10001, phoneplatform/2165)\n"
"  retain K            keep the newest K builds per release and item\n"
"  verify              re-hash published files against hashes/*.sha256\n"
"  reindex             rewrite the channel's indexes\n"
"  recover             complete or discard an interrupted publish\n"
"\n"
"options:\n"
"  -r, --root DIR          store root (required except for check)\n"
"  -c, --channel NAME      channel (default: release)\n"
"  -k, --kind KIND         app, firmware, software, app-platform, phone-platform\n"
"      --release ID        release id of the builds (13r1)\n"
"      --label SR          label of the builds (sr01)\n"
"      --wiki URL          wiki link of the release\n"
"      --id ID             platform id of platform versions (arm)\n"
"  -d, --descriptor FILE   a build.json descriptor for all sources\n"
"      --replace           replace published builds\n"
"      --allow-dropped-devices  publish a firmware build that lacks devices the\n"
"                          release's previous firmware build has\n"
"      --grace SECONDS     keep removed builds on disk this long (default 1800)\n"
"      --strict            treat warnings as errors\n"
"      --json              print the report as JSON\n"
"      --reserve BYTES     free space to leave on the store (k, M, G suffixes)\n"
"      --max-archive-bytes BYTES  largest total an archive may expand to\n"
"      --max-ratio N       largest expansion ratio of an archive\n"
"  -h, --help              this text\n"
"\n"
"exit status: 0 success, 1 validation failed, 2 usage error, 3 I/O error\n";

enum { OPT_RELEASE = 256, OPT_LABEL, OPT_WIKI, OPT_ID, OPT_REPLACE, OPT_STRICT, OPT_JSON,
	OPT_RESERVE, OPT_MAX_BYTES, OPT_MAX_RATIO, OPT_ALLOW_DROPPED, OPT_GRACE };

static const struct option long_options[] = {
	{ "root", required_argument, NULL, 'r' },
	{ "channel", required_argument, NULL, 'c' },
	{ "kind", required_argument, NULL, 'k' },
	{ "descriptor", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "release", required_argument, NULL, OPT_RELEASE },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "wiki", required_argument, NULL, OPT_WIKI },
	{ "id", required_argument, NULL, OPT_ID },
	{ "replace", no_argument, NULL, OPT_REPLACE },
	{ "allow-dropped-devices", no_argument, NULL, OPT_ALLOW_DROPPED },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "reserve", required_argument, NULL, OPT_RESERVE },
	{ "max-archive-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO },
	{ NULL, 0, NULL, 0 }
};

static int cmd_publish(struct imp_opts *, char **, int, struct report *);
static int cmd_check(struct imp_opts *, char **, int, struct report *);
static int cmd_remove(struct imp_opts *, char **, int, struct report *);
static int cmd_retain(struct imp_opts *, char **, int, struct report *);
static int cmd_verify(struct imp_opts *, char **, int, struct report *);
static int cmd_reindex(struct imp_opts *, char **, int, struct report *);
static int cmd_recover(struct imp_opts *, char **, int, struct report *);

static const struct command {
	const char *name;
	int min_args;
	int max_args;		/* -1: any */
	int needs_root;
	int (*fn)(struct imp_opts *, char **, int, struct report *);
} commands[] = {
	{ "publish", 1, -1, 1, cmd_publish },
	{ "check", 1, -1, 0, cmd_check },
	{ "remove", 1, -1, 1, cmd_remove },
	{ "retain", 1, 1, 1, cmd_retain },
	{ "verify", 0, 0, 1, cmd_verify },
	{ "reindex", 0, 0, 1, cmd_reindex },
	{ "recover", 0, 0, 1, cmd_recover },
};

static int
cmd_publish(struct imp_opts *o, char **argv, int argc, struct report *r)
{
	return import_run(o, argv, argc, r);
}

static int
cmd_check(struct imp_opts *o, char **argv, int argc, struct report *r)
{
	o->dry_run = 1;
	return import_run(o, argv, argc, r);
}

static int
cmd_remove(struct imp_opts *o, char **argv, int argc, struct report *r)
{
	return housekeeping_remove(o, argv, argc, r);
}

static int
cmd_retain(struct imp_opts *o, char **argv, int argc, struct report *r)
{
	return housekeeping_retain(o, argv[0], r);
}

static int
cmd_verify(struct imp_opts *o, char **argv, int argc, struct report *r)
{
	return housekeeping_verify(o, r);
}

static int
cmd_reindex(struct imp_opts *o, char **argv, int argc, struct report *r)
{
	return housekeeping_reindex(o, r);
}

static int
cmd_recover(struct imp_opts *o, char **argv, int argc, struct report *r)
{
	return housekeeping_recover(o, r);
}

/* "4096", "64k", "10M", "2G" -> bytes; -1 when malformed. */
static int
parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "storeimport: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "Try 'storeimport --help'.\n");
	return IMP_EXIT_USAGE;
}

/* Handles one option; returns -1 with a usage error printed. */
static int
parse_option(int ch, const char *arg, struct imp_opts *o)
{
	switch (ch) {
	case 'r': o->root = arg; return 0;
	case 'c': o->channel = arg; return 0;
	case 'd': o->descriptor = arg; return 0;
	case OPT_ID: o->id = arg; return 0;
	case OPT_REPLACE: o->replace = 1; return 0;
	case OPT_ALLOW_DROPPED: o->allow_dropped_devices = 1; return 0;
	case OPT_STRICT: o->strict = 1; return 0;
	case OPT_GRACE: o->grace = arg; return 0;	/* checked by housekeeping.c */
	case OPT_JSON: o->json = 1; return 0;
	case 'k':
		if ((o->kind = descriptor_kind_from_name(arg)) == KIND_NONE)
			return usage_error("unknown kind", arg), -1;
		return 0;
	case OPT_RELEASE:
		if (!descriptor_release_valid(arg))
			return usage_error("invalid release id", arg), -1;
		o->release = arg;
		return 0;
	case OPT_LABEL:
		if (!descriptor_label_valid(arg))
			return usage_error("invalid label", arg), -1;
		o->label = arg;
		return 0;
	case OPT_WIKI:
		if (!descriptor_wiki_valid(arg))
			return usage_error("not an http(s) URL", arg), -1;
		o->wiki = arg;
		return 0;
	case OPT_RESERVE:
		return parse_bytes(arg, &o->reserve) == 0 ? 0 :
		    (usage_error("invalid --reserve", arg), -1);
	case OPT_MAX_BYTES:
		return parse_bytes(arg, &o->limits.max_bytes) == 0 ? 0 :
		    (usage_error("invalid --max-archive-bytes", arg), -1);
	case OPT_MAX_RATIO:
		return parse_bytes(arg, &o->limits.max_ratio) == 0 && o->limits.max_ratio > 0 ?
		    0 : (usage_error("invalid --max-ratio", arg), -1);
	default:
		return usage_error("unknown option", NULL), -1;
	}
}

static void
opts_init(struct imp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->channel = "release";
	o->kind = KIND_NONE;
	o->limits.max_bytes = ARCHIVE_DEFAULT_MAX_BYTES;
	o->limits.max_ratio = ARCHIVE_DEFAULT_MAX_RATIO;
	o->limits.max_entries = ARCHIVE_DEFAULT_MAX_ENTRIES;
}

static const struct command *
command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct imp_opts o;
	struct report *r;
	int ch, nargs, status;

	log_init("storeimport", LOG_LEVEL_WARN);
	opts_init(&o);
	while ((ch = getopt_long(argc, argv, "r:c:k:d:h", long_options, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage_text, stdout);
			return IMP_EXIT_OK;
		}
		if (parse_option(ch, optarg, &o) == -1)
			return IMP_EXIT_USAGE;
	}
	if (optind >= argc)
		return usage_error("no command given", NULL);
	if ((cmd = command_find(argv[optind])) == NULL)
		return usage_error("unknown command", argv[optind]);
	nargs = argc - optind - 1;
	if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args))
		return usage_error("wrong number of arguments for", cmd->name);
	if (cmd->needs_root && o.root == NULL)
		return usage_error("--root is required for", cmd->name);
	if (!store_channel_name_valid(o.channel))
		return usage_error("invalid channel name", o.channel);
	r = report_create(cmd->name);
	status = cmd->fn(&o, argv + optind + 1, nargs, r);
	report_print(r, o.json, status, stdout);
	report_free(r);
	return status;
}
