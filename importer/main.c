/*
 * storeimport: validate builds, archives and store trees and publish them
 * into a channel of a store atomically; look after published channels.
 * The command line; docs/IMPORTER.md is the manual.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_file.h"
#include "descriptor.h"
#include "errbuf.h"
#include "housekeeping.h"
#include "import.h"
#include "importer.h"
#include "log.h"
#include "report.h"
#include "store_layout.h"
#include "../storesrv/status_record.h"

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
"  -r, --root DIR          store root, a folder or a symlink to one (required\n"
"                          except for check)\n"
"  -c, --channel NAME      channel (default: release)\n"
"      --create-channel    publish may create the channel (a root without\n"
"                          channels gets \"release\" without it)\n"
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
"      --json              print the report as JSON (progress: JSON lines on\n"
"                          stderr)\n"
"      --reserve BYTES     free space to leave on the store (k, M, G suffixes)\n"
"      --max-archive-bytes BYTES  largest total an archive may expand to\n"
"      --max-ratio N       largest expansion ratio of an archive\n"
"      --verify-key FILE   Ed25519 public key (PEM): a bundle must carry a\n"
"                          valid signature made with its private key\n"
"  -h, --help              this text\n"
"  -V, --version           show the version\n"
"\n"
"exit status: 0 success, 1 validation failed, 2 usage error, 3 I/O error\n";

enum { OPT_RELEASE = 256, OPT_LABEL, OPT_WIKI, OPT_ID, OPT_REPLACE, OPT_STRICT, OPT_JSON,
	OPT_RESERVE, OPT_MAX_BYTES, OPT_MAX_RATIO, OPT_ALLOW_DROPPED, OPT_GRACE,
	OPT_CREATE_CHANNEL, OPT_VERIFY_KEY };

static const struct option long_options[] = {
	{ "root", required_argument, NULL, 'r' },
	{ "channel", required_argument, NULL, 'c' },
	{ "kind", required_argument, NULL, 'k' },
	{ "descriptor", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "release", required_argument, NULL, OPT_RELEASE },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "wiki", required_argument, NULL, OPT_WIKI },
	{ "id", required_argument, NULL, OPT_ID },
	{ "replace", no_argument, NULL, OPT_REPLACE },
	{ "allow-dropped-devices", no_argument, NULL, OPT_ALLOW_DROPPED },
	{ "create-channel", no_argument, NULL, OPT_CREATE_CHANNEL },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "reserve", required_argument, NULL, OPT_RESERVE },
	{ "max-archive-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO },
	{ "verify-key", required_argument, NULL, OPT_VERIFY_KEY },
	{ NULL, 0, NULL, 0 }
};

/* The command line once parsed: every option is read before a usage error
 * is reported, so that --json anywhere applies to it too. */
struct cli {
	struct imp_opts o;
	struct import_bundle_opts bundle;	/* publish, check: --verify-key */
	const struct command *cmd;
	char **args;
	int nargs;
	int help, version;
	char *root_real;	/* the resolved --root; owned */
	char usage[ERRBUF_SIZE];	/* the first usage error, "" when none */
};

static int cmd_publish(struct cli *, struct report *);
static int cmd_check(struct cli *, struct report *);
static int cmd_remove(struct cli *, struct report *);
static int cmd_retain(struct cli *, struct report *);
static int cmd_verify(struct cli *, struct report *);
static int cmd_reindex(struct cli *, struct report *);
static int cmd_recover(struct cli *, struct report *);

static const struct command {
	const char *name;
	int min_args;
	int max_args;		/* -1: any */
	int needs_root;
	int (*fn)(struct cli *, struct report *);
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
cmd_publish(struct cli *c, struct report *r)
{
	return import_run(&c->o, &c->bundle, c->args, c->nargs, r);
}

static int
cmd_check(struct cli *c, struct report *r)
{
	c->o.dry_run = 1;
	return import_run(&c->o, &c->bundle, c->args, c->nargs, r);
}

static int
cmd_remove(struct cli *c, struct report *r)
{
	return housekeeping_remove(&c->o, c->args, c->nargs, r);
}

static int
cmd_retain(struct cli *c, struct report *r)
{
	return housekeeping_retain(&c->o, c->args[0], r);
}

static int
cmd_verify(struct cli *c, struct report *r)
{
	return housekeeping_verify(&c->o, r);
}

static int
cmd_reindex(struct cli *c, struct report *r)
{
	return housekeeping_reindex(&c->o, r);
}

static int
cmd_recover(struct cli *c, struct report *r)
{
	return housekeeping_recover(&c->o, r);
}

static void
cli_usage(struct cli *c, const char *msg, const char *arg)
{
	if (c->usage[0] == '\0')
		snprintf(c->usage, sizeof(c->usage), "%s%s%s", msg, arg ? ": " : "", arg ? arg : "");
}

/* An option taking a size; a bad one is a usage error naming it. */
static void
parse_size_option(struct cli *c, const char *name, const char *arg, uint64_t *out)
{
	char msg[80];

	if (conf_parse_size(arg, out) == 0)
		return;
	snprintf(msg, sizeof(msg), "invalid %s (bytes, k, M or G, below 16 EiB)", name);
	cli_usage(c, msg, arg);
}

/* Handles one option; a bad value records a usage error. */
static void
parse_option(struct cli *c, int ch, const char *arg)
{
	struct imp_opts *o = &c->o;

	switch (ch) {
	case 'r': o->root = arg; break;
	case 'c': o->channel = arg; break;
	case 'd': o->descriptor = arg; break;
	case 'h': c->help = 1; break;
	case 'V': c->version = 1; break;
	case OPT_ID: o->id = arg; break;
	case OPT_REPLACE: o->replace = 1; break;
	case OPT_ALLOW_DROPPED: o->allow_dropped_devices = 1; break;
	case OPT_CREATE_CHANNEL: o->create_channel = 1; break;
	case OPT_STRICT: o->strict = 1; break;
	case OPT_GRACE: o->grace = arg; break;	/* checked by housekeeping.c */
	case OPT_JSON: o->json = 1; break;
	case OPT_VERIFY_KEY: c->bundle.verify_key = arg; break;
	case 'k':
		if ((o->kind = descriptor_kind_from_name(arg)) == KIND_NONE)
			cli_usage(c, "unknown kind", arg);
		break;
	case OPT_RELEASE:
		if (!descriptor_release_valid(arg))
			cli_usage(c, "invalid release id (1-64 of a-z 0-9 . _ -, starting with a "
			    "letter or digit)", arg);
		o->release = arg;
		break;
	case OPT_LABEL:
		if (!descriptor_label_valid(arg))
			cli_usage(c, "invalid label", arg);
		o->label = arg;
		break;
	case OPT_WIKI:
		if (!descriptor_wiki_valid(arg))
			cli_usage(c, "not an http(s) URL", arg);
		o->wiki = arg;
		break;
	case OPT_RESERVE: parse_size_option(c, "--reserve", arg, &o->reserve); break;
	case OPT_MAX_BYTES:
		parse_size_option(c, "--max-archive-bytes", arg, &o->limits.max_bytes);
		break;
	case OPT_MAX_RATIO:
		if (conf_parse_size(arg, &o->limits.max_ratio) == -1 || o->limits.max_ratio == 0)
			cli_usage(c, "invalid --max-ratio", arg);
		break;
	default:
		break;
	}
}

static void
opts_init(struct imp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->channel = STORE_DEFAULT_CHANNEL;
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

/* Reads every option, then the command and its arguments. */
static void
cli_parse(struct cli *c, int argc, char **argv)
{
	int ch;

	memset(c, 0, sizeof(*c));
	opts_init(&c->o);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":r:c:k:d:hV", long_options, NULL)) != -1) {
		if (ch == '?' && optopt > 0 && optopt < 256) {
			char opt[3] = { '-', (char)optopt, '\0' };

			cli_usage(c, "unknown option", opt);
		} else if (ch == '?')
			cli_usage(c, "unknown option", argv[optind - 1]);
		else if (ch == ':')
			cli_usage(c, "missing argument of", argv[optind - 1]);
		else
			parse_option(c, ch, optarg);
	}
	if (optind >= argc || (c->cmd = command_find(argv[optind])) == NULL) {
		cli_usage(c, optind >= argc ? "no command given" : "unknown command",
		    optind >= argc ? NULL : argv[optind]);
		return;
	}
	c->args = argv + optind + 1;
	c->nargs = argc - optind - 1;
	if (c->nargs < c->cmd->min_args || (c->cmd->max_args >= 0 && c->nargs > c->cmd->max_args))
		cli_usage(c, "wrong number of arguments for", c->cmd->name);
	if (c->cmd->needs_root && c->o.root == NULL)
		cli_usage(c, "--root is required for", c->cmd->name);
	if (!store_channel_name_valid(c->o.channel))
		cli_usage(c, "invalid channel name", c->o.channel);
}

/* Usage errors go to stderr; with --json also as the report on stdout. */
static int
cli_usage_fail(const struct cli *c, struct report *r)
{
	fprintf(stderr, "storeimport: %s\nTry 'storeimport --help'.\n", c->usage);
	if (c->o.json) {
		report_error(r, c->usage);
		report_print(r, 1, IMP_EXIT_USAGE, stdout);
	}
	return IMP_EXIT_USAGE;
}

/* Resolves --root once: a symlink to a folder is a root (as for storesrv);
 * a root that is missing or not a folder is an I/O error naming it. */
static int
cli_resolve_root(struct cli *c, struct report *r)
{
	struct errbuf err;
	struct stat st;

	if (c->o.root == NULL)
		return IMP_EXIT_OK;
	if ((c->root_real = realpath(c->o.root, NULL)) == NULL ||
	    stat(c->root_real, &st) == -1)
		errbuf_set_errno(&err, "store root %s", c->o.root);
	else if (!S_ISDIR(st.st_mode))
		errbuf_set(&err, "store root %s: not a folder", c->o.root);
	else {
		c->o.root = c->root_real;
		return IMP_EXIT_OK;
	}
	report_error(r, err.msg);
	return IMP_EXIT_IO;
}

/* Whether two descriptors write to the same file, pipe or terminal. */
static int
same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	    sa.st_ino == sb.st_ino;
}

/* Progress on stderr: JSON lines with --json, unless stderr is stdout
 * (2>&1: the report must stay one JSON object); else one line on a
 * terminal. */
static void
cli_progress_mode(const struct cli *c, struct report *r)
{
	const char *term = getenv("TERM");

	if (c->o.json && !same_file(STDOUT_FILENO, STDERR_FILENO))
		report_progress_mode(r, REPORT_PROGRESS_JSON, stderr);
	else if (isatty(STDERR_FILENO) && (term == NULL || strcmp(term, "dumb") != 0))
		report_progress_mode(r, REPORT_PROGRESS_TTY, stderr);
}

/* A publish leaves its outcome for storesrv's status page
 * (<root>/.status/last-import.json, status_record.h). */
static void
cli_record_publish(const struct cli *c, const struct report *r, int status)
{
	struct errbuf err;
	json_t *extra;

	if (c->cmd->fn != cmd_publish)
		return;
	extra = json_pack("{s:s, s:s, s:I, s:O}", "command", c->cmd->name, "channel",
	    c->o.channel, "warnings", (json_int_t)r->diag->warnings, "published", r->published);
	if (status_record_write(c->o.root, STATUS_LAST_IMPORT, status, (long)r->diag->errors,
	    r->error != NULL ? r->error : status != 0 && r->diag->count > 0 ?
	    r->diag->entries[0].message : NULL, extra, &err) == -1)
		fprintf(stderr, "storeimport: %s\n", err.msg);
	json_decref(extra);
}

int
main(int argc, char **argv)
{
	struct report *r;
	struct cli c;
	int status;

	log_init("storeimport", LOG_LEVEL_WARN);
	cli_parse(&c, argc, argv);
	if (c.help) {
		fputs(usage_text, stdout);
		return IMP_EXIT_OK;
	}
	if (c.version) {
		printf("storeimport %s\n", PACKAGE_VERSION);
		return IMP_EXIT_OK;
	}
	r = report_create(c.cmd != NULL ? c.cmd->name : NULL);
	if (c.usage[0] != '\0')
		status = cli_usage_fail(&c, r);
	else {
		if ((status = cli_resolve_root(&c, r)) == IMP_EXIT_OK) {
			cli_progress_mode(&c, r);
			status = c.cmd->fn(&c, r);
			cli_record_publish(&c, r, status);
		}
		report_print(r, c.o.json, status, stdout);
	}
	report_free(r);
	free(c.root_real);
	return status;
}
