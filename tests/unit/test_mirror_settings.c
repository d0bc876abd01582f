/*
 * test_mirror_settings: storemirror's settings table (mirror_settings.h):
 * defaults, the config file and flags over it, every bound, every value
 * check and each error naming its source (the flag or FILE:LINE: key),
 * what each command requires.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "index_parse.h"
#include "mirror_plan.h"
#include "mirror_settings.h"
#include "xmalloc.h"

static char tmpdir[] = "/tmp/test_mirror_settings.XXXXXX";

/* Writes a file below tmpdir; returns its path (static buffer per slot). */
static const char *
write_file(const char *name, const char *text)
{
	static char paths[8][512];
	static int slot;
	char *p = paths[slot++ % 8];
	FILE *fp;

	snprintf(p, 512, "%s/%s", tmpdir, name);
	fp = fopen(p, "w");
	if (fp != NULL) {
		fputs(text, fp);
		fclose(fp);
	}
	return p;
}

/* Runs mirror_settings_from_args() on a NULL-terminated argument list
 * (argv[0] "storemirror" added); s is initialised first. */
static int
parse(struct mirror_settings *s, struct errbuf *err, const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = (char *)"storemirror";
	while (*args != NULL && argc < 63)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	mirror_settings_init(s);
	err->msg[0] = '\0';
	return mirror_settings_from_args(s, argc, argv, err);
}

/* An error whose message must contain `want`. */
static void
expect_error(int rc, const struct errbuf *err, const char *want, const char *name)
{
	int good = rc == -1 && strstr(err->msg, want) != NULL;

	tap_ok(good, "%s", name);
	if (!good)
		printf("#   rc %d, got: '%s'\n#   want: '%s'\n", rc, err->msg, want);
}

static void
test_defaults(void)
{
	struct mirror_settings s;
	struct errbuf err;
	int rc = parse(&s, &err, (const char *const[]){ "sync", NULL });

	tap_ok(rc == 0, "defaults: sync without options parses");
	tap_ok(s.command == MIRROR_CMD_SYNC && !s.dry_run, "defaults: command sync, no dry run");
	tap_ok(s.parallel == MIRROR_PARALLEL_DEFAULT && s.parallel == 4, "defaults: parallel 4");
	tap_ok(s.retries == 3, "defaults: retries 3");
	tap_ok(s.stall_timeout == 30, "defaults: stall-timeout 30");
	tap_ok(s.keep == 0 && s.rate_limit == 0, "defaults: keep 0, rate-limit 0 (off)");
	tap_ok(s.root == NULL && s.upstream == NULL && s.channels == NULL && s.kind_mask == 0,
	    "defaults: nothing else set");
	tap_ok(!s.json && !s.quiet && !s.verbose, "defaults: human output");
	mirror_settings_free(&s);
}

static void
test_commands(void)
{
	struct mirror_settings s;
	struct errbuf err;
	int rc;

	tap_ok(mirror_command_from_name("push") == MIRROR_CMD_PUSH &&
	    mirror_command_from_name("Sync") == MIRROR_CMD_NONE, "commands: names");
	rc = parse(&s, &err, (const char *const[]){ "plan", NULL });
	tap_ok(rc == 0 && s.command == MIRROR_CMD_PLAN && s.dry_run, "commands: plan is a dry run");
	mirror_settings_free(&s);
	rc = parse(&s, &err, (const char *const[]){ "sync", "-n", NULL });
	tap_ok(rc == 0 && s.dry_run, "commands: sync -n is a dry run");
	mirror_settings_free(&s);
	rc = parse(&s, &err, (const char *const[]){ NULL });
	expect_error(rc, &err, "no command given", "commands: none given");
	mirror_settings_free(&s);
	rc = parse(&s, &err, (const char *const[]){ "mirror", NULL });
	expect_error(rc, &err, "unknown command 'mirror'", "commands: unknown named");
	mirror_settings_free(&s);
	rc = parse(&s, &err, (const char *const[]){ "-r", "/tmp", "sync", NULL });
	expect_error(rc, &err, "-r: expected a command first", "commands: an option first");
	mirror_settings_free(&s);
	rc = parse(&s, &err, (const char *const[]){ "--help", NULL });
	tap_ok(rc == 1 && s.help && s.command == MIRROR_CMD_NONE, "commands: --help alone");
	mirror_settings_free(&s);
	rc = parse(&s, &err, (const char *const[]){ "push", "--bogus", "--help", NULL });
	tap_ok(rc == 1 && s.help && s.command == MIRROR_CMD_PUSH,
	    "commands: push --help wins over a bad flag");
	mirror_settings_free(&s);
	rc = parse(&s, &err, (const char *const[]){ "export", "--check", NULL });
	tap_ok(rc == 0 && s.check_only, "commands: --check parses on");
	mirror_settings_free(&s);
	rc = parse(&s, &err, (const char *const[]){ "-V", NULL });
	tap_ok(rc == 1 && s.version, "commands: -V");
	mirror_settings_free(&s);
}

struct bound_case {
	const char *flag;
	const char *value;
	int ok;
	size_t offset;		/* unsigned field, or the uint64_t rate_limit */
	uint64_t want;
	const char *error;	/* part of the message when refused */
};

#define UOFF(f)	offsetof(struct mirror_settings, f)

static const struct bound_case bound_cases[] = {
	{ "--parallel", "1", 1, UOFF(parallel), 1, NULL },
	{ "--parallel", "64", 1, UOFF(parallel), 64, NULL },
	{ "--parallel", "0", 0, 0, 0, "--parallel: expected a whole number from 1 to 64, not '0'" },
	{ "--parallel", "65", 0, 0, 0, "--parallel: expected a whole number from 1 to 64, not '65'" },
	{ "--parallel", "-1", 0, 0, 0, "not '-1'" },
	{ "--parallel", "4x", 0, 0, 0, "not '4x'" },
	{ "--parallel", " 4", 0, 0, 0, "not ' 4'" },
	{ "--parallel", "99999999999999999999", 0, 0, 0, "from 1 to 64" },
	{ "--retries", "0", 1, UOFF(retries), 0, NULL },
	{ "--retries", "20", 1, UOFF(retries), 20, NULL },
	{ "--retries", "21", 0, 0, 0, "--retries: expected a whole number from 0 to 20, not '21'" },
	{ "--stall-timeout", "1", 1, UOFF(stall_timeout), 1, NULL },
	{ "--stall-timeout", "3600", 1, UOFF(stall_timeout), 3600, NULL },
	{ "--stall-timeout", "0", 0, 0, 0, "--stall-timeout: expected a whole number from 1 to 3600" },
	{ "--stall-timeout", "3601", 0, 0, 0, "not '3601'" },
	{ "--keep", "0", 1, UOFF(keep), 0, NULL },
	{ "--keep", "1000", 1, UOFF(keep), 1000, NULL },
	{ "--keep", "1001", 0, 0, 0, "--keep: expected a whole number from 0 to 1000, not '1001'" },
	{ "--keep", "", 0, 0, 0, "--keep: expected a whole number" },
	{ "--rate-limit", "0", 1, UOFF(rate_limit), 0, NULL },
	{ "--rate-limit", "1024", 1, UOFF(rate_limit), 1024, NULL },
	{ "--rate-limit", "500k", 1, UOFF(rate_limit), 500 * 1024, NULL },
	{ "--rate-limit", "10M", 1, UOFF(rate_limit), 10 * 1024 * 1024, NULL },
	{ "--rate-limit", "1G", 1, UOFF(rate_limit), 1024 * 1024 * 1024, NULL },
	{ "--rate-limit", "1024G", 1, UOFF(rate_limit), 1024ULL << 30, NULL },
	{ "--rate-limit", "1023", 0, 0, 0, "--rate-limit: expected 0 or bytes from 1k to 1024G" },
	{ "--rate-limit", "1025G", 0, 0, 0, "not '1025G'" },
	{ "--rate-limit", "10T", 0, 0, 0, "not '10T'" },
	{ "--rate-limit", "10MB", 0, 0, 0, "not '10MB'" },
	{ "--rate-limit", "M", 0, 0, 0, "not 'M'" },
	{ "--rate-limit", "-1k", 0, 0, 0, "not '-1k'" },
	{ "--rate-limit", "99999999999999999999", 0, 0, 0, "not '99999999999999999999'" },
	{ "--rate-limit", "18014398509481984k", 0, 0, 0, "(suffix k, M or G)" },
};

static void
test_bounds(void)
{
	for (size_t i = 0; i < sizeof(bound_cases) / sizeof(bound_cases[0]); i++) {
		const struct bound_case *c = &bound_cases[i];
		struct mirror_settings s;
		struct errbuf err;
		uint64_t got;
		int rc = parse(&s, &err, (const char *const[]){ "sync", c->flag, c->value, NULL });

		if (!c->ok) {
			char name[128];

			snprintf(name, sizeof(name), "bounds: %s '%s' refused", c->flag, c->value);
			expect_error(rc, &err, c->error, name);
		} else {
			got = c->offset == UOFF(rate_limit) ? s.rate_limit :
			    *(unsigned *)((char *)&s + c->offset);
			tap_ok(rc == 0 && got == c->want, "bounds: %s %s -> %llu", c->flag, c->value,
			    (unsigned long long)c->want);
			if (rc != 0 || got != c->want)
				printf("#   rc %d, got %llu, err '%s'\n", rc, (unsigned long long)got,
				    err.msg);
		}
		mirror_settings_free(&s);
	}
}

struct value_case {
	const char *cmd;
	const char *flag;
	const char *value;
	const char *error;	/* NULL: accepted */
};

static const struct value_case value_cases[] = {
	/* channels */
	{ "export", "--channels", "release", NULL },
	{ "export", "--channels", "release,beta,Test_1.x", NULL },
	{ "export", "--channels", "release,,beta", "--channels: an empty channel in 'release,,beta'" },
	{ "export", "--channels", "release,", "an empty channel" },
	{ "export", "--channels", ".staging", "--channels: '.staging' is not a channel name" },
	{ "export", "--channels", "a/b", "'a/b' is not a channel name" },
	{ "export", "--channels", "beta,beta", "--channels: channel 'beta' given twice" },
	{ "export", "--channels", "", "--channels: empty value" },
	/* kinds */
	{ "sync", "--kinds", "app,firmware,software,app-platform,phone-platform", NULL },
	{ "sync", "--kinds", "apps", "--kinds: unknown kind 'apps' (app, firmware, software" },
	{ "sync", "--kinds", "app,,firmware", "--kinds: an empty kind" },
	/* architectures */
	{ "sync", "--archs", "arm,arm64,x86_64", NULL },
	{ "sync", "--archs", "arm,mips", "--archs: unknown architecture 'mips' (arm, arm64, x86_64)" },
	/* globs */
	{ "sync", "--ids", "apidemo,my*,x?[ab]", NULL },
	{ "sync", "--ids", "ApiDemo", "--ids: pattern 'ApiDemo': item ids are lower case" },
	{ "sync", "--ids", "a b", "--ids: pattern 'a b': a space, '/' or control character" },
	{ "sync", "--ids", "a/b", "pattern 'a/b'" },
	{ "sync", "--devices", "IP0013,IP1200*", NULL },
	{ "sync", "--devices", "IP0013,,IP1", "--devices: an empty pattern" },
	{ "sync", "--devices", "IP\t1", "--devices: pattern 'IP\t1'" },
	/* release */
	{ "export", "--min-release", "14r1", NULL },
	{ "export", "--min-release", "14 r1", "--min-release: '14 r1' is not a release id" },
	{ "export", "--min-release", "-14r1", "is not a release id" },
	/* URLs */
	{ "sync", "--upstream", "https://store.innovaphone.com/release/download", NULL },
	{ "sync", "--upstream", "http://127.0.0.1:8080/", NULL },
	{ "sync", "--upstream", "http://[::1]:8080/beta/download", NULL },
	{ "sync", "--upstream", "ftp://h/release/download",
	    "--upstream: 'ftp://h/release/download': expected an http:// or https:// URL" },
	{ "sync", "--upstream", "http:///release/download", "--upstream: 'http:///release/download': no host" },
	{ "sync", "--upstream", "http://h:99999/", "--upstream: 'http://h:99999/' is not a URL" },
	{ "sync", "--upstream", "http://h:0/", "--upstream: 'http://h:0/': port 0" },
	{ "sync", "--upstream", "http://h:x/", "is not a URL" },
	{ "sync", "--upstream", "http://u:p@h/", "--upstream: 'http://u:p@h/': user info in the URL" },
	{ "sync", "--upstream", "http://h/a?b", "--upstream: 'http://h/a?b': a query or fragment" },
	{ "sync", "--upstream", "/nonexistent/download", "--upstream: /nonexistent/download: No such file" },
	{ "sync", "--proxy", "http://proxy:3128", NULL },
	{ "sync", "--proxy", "http://proxy:3128/", NULL },
	{ "sync", "--proxy", "https://proxy:3128", "--proxy: 'https://proxy:3128': expected an http:// URL" },
	{ "sync", "--proxy", "http://proxy:3128/x", "--proxy: 'http://proxy:3128/x': a path" },
	{ "sync", "--proxy", "proxy:3128", "--proxy: 'proxy:3128': expected an http:// URL" },
	{ "push", "--dav-url", "https://gw.local/webdav/release/download", NULL },
	{ "push", "--dav-url", "dav://gw/", "--dav-url: 'dav://gw/': expected an http:// or https://" },
	/* users */
	{ "push", "--dav-user", "admin", NULL },
	{ "push", "--dav-user", "ad:min", "--dav-user: a ':' or control character" },
	/* files that must exist */
	{ "sync", "--ca-file", "/nonexistent/ca.pem", "--ca-file: /nonexistent/ca.pem: No such file or directory" },
	{ "sync", "--ca-file", "/tmp", "--ca-file: /tmp: not a regular file" },
	{ "export", "--sign-key", "/nonexistent/key.pem", "--sign-key: /nonexistent/key.pem: No such file" },
	{ "export", "--since", "/nonexistent/state", NULL },	/* a first export */
	{ "export", "--since", "/tmp", "--since: /tmp: not a regular file" },
	{ "push", "--dav-password-file", "/nonexistent/pw", "--dav-password-file: /nonexistent/pw: No such file" },
	/* options of another command */
	{ "export", "--upstream", "http://h/", "--upstream: not an option of export" },
	{ "sync", "--output", "x.tar", "--output: not an option of sync" },
	{ "plan", "--keep", "3", "--keep: not an option of plan" },
	{ "push", "--dry-run", NULL, "--dry-run: not an option of push" },
	/* getopt's errors */
	{ "sync", "--colour", "blue", "--colour: unknown option" },
	{ "sync", "-x", NULL, "-x: unknown option" },
	{ "sync", "--upstream", NULL, "--upstream: missing value" },
	{ "sync", "-u", NULL, "-u: missing value" },
	{ "sync", "--json=yes", NULL, "--json: takes no value" },
	{ "sync", "stray", NULL, "unexpected argument 'stray'" },
};

static void
test_values(void)
{
	for (size_t i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
		const struct value_case *c = &value_cases[i];
		struct mirror_settings s;
		struct errbuf err;
		char name[256];
		int rc = parse(&s, &err, (const char *const[]){ c->cmd, c->flag, c->value, NULL });

		snprintf(name, sizeof(name), "values: %s %s %s%s", c->cmd, c->flag,
		    c->value ? c->value : "", c->error ? " refused" : "");
		if (c->error != NULL)
			expect_error(rc, &err, c->error, name);
		else if (!tap_ok(rc == 0, "%s", name))
			printf("#   error: %s\n", err.msg);
		mirror_settings_free(&s);
	}
}

static void
test_derived(void)
{
	struct mirror_settings s;
	struct errbuf err;
	int rc;

	rc = parse(&s, &err, (const char *const[]){ "sync", "--kinds", "app,app-platform,phone-platform",
	    NULL });
	tap_ok(rc == 0 && s.kind_mask == (MIRROR_KIND_BIT(INDEX_APPS) | MIRROR_KIND_BIT(INDEX_LINUX) |
	    MIRROR_KIND_BIT(INDEX_PHONEPLATFORM)), "derived: kinds as index bits");
	mirror_settings_free(&s);

	rc = parse(&s, &err, (const char *const[]){ "export", "--channels", "release,beta", NULL });
	tap_ok(rc == 0 && s.nchannels == 2 && strcmp(s.channel_list[0], "release") == 0 &&
	    strcmp(s.channel_list[1], "beta") == 0, "derived: channel list");
	mirror_settings_free(&s);

	rc = parse(&s, &err, (const char *const[]){ "sync", "-u", "http://h:8080/beta/download/", NULL });
	tap_ok(rc == 0 && s.upstream_is_channel && !s.upstream_local &&
	    s.upstream_channel != NULL && strcmp(s.upstream_channel, "beta") == 0 &&
	    s.nchannels == 1 && strcmp(s.channel_list[0], "beta") == 0 &&
	    strcmp(s.channels, "beta") == 0, "derived: sync takes the upstream's channel");
	mirror_settings_free(&s);

	rc = parse(&s, &err, (const char *const[]){ "sync", "-u", "http://h:8080/store/",
	    "--channels", "release,beta", NULL });
	tap_ok(rc == 0 && !s.upstream_is_channel && s.upstream_channel == NULL,
	    "derived: a base URL names no channel");
	mirror_settings_free(&s);

	rc = parse(&s, &err, (const char *const[]){ "export", "--upstream", "x", NULL });
	tap_ok(rc == -1 && s.nchannels == 0, "derived: nothing derived after an error");
	mirror_settings_free(&s);

	rc = parse(&s, &err, (const char *const[]){ "sync", "-u", tmpdir, NULL });
	tap_ok(rc == 0 && s.upstream_local && !s.upstream_is_channel,
	    "derived: a local folder is a local upstream");
	mirror_settings_free(&s);
}

static void
test_file(void)
{
	struct mirror_settings s;
	struct errbuf err;
	const char *conf;
	char want[600];
	int rc;

	conf = write_file("good.conf", "# storemirror\n\nroot = /srv/store\n"
	    "upstream = http://up:8080/release/download\n  parallel\t=  8  \n"
	    "rate-limit = 10M\nkinds = app\nquiet = yes\nverbose = on\n"
	    "output = /x.tar\ndav-url = http://gw/dav/\n"
	    "sign-key = /nonexistent/key-on-a-stick.pem\n");
	rc = parse(&s, &err, (const char *const[]){ "sync", "-c", conf, NULL });
	tap_ok(rc == 0, "file: read");
	if (rc != 0)
		printf("#   %s\n", err.msg);
	tap_str_eq(s.root, "/srv/store", "file: root");
	tap_ok(s.parallel == 8 && s.rate_limit == 10u << 20 && s.quiet && s.verbose,
	    "file: numbers, sizes and yes/no trimmed and read");
	tap_ok(s.kind_mask == MIRROR_KIND_BIT(INDEX_APPS), "file: kinds derived");
	tap_ok(s.nchannels == 1 && strcmp(s.channel_list[0], "release") == 0,
	    "file: the upstream's channel");
	tap_ok(s.output != NULL && s.dav_url != NULL,
	    "file: keys of other commands are taken (one file for all)");
	tap_ok(mirror_settings_check(&s, &err) == 0, "file: sync check passes");
	mirror_settings_free(&s);

	rc = parse(&s, &err, (const char *const[]){ "export", "-c", conf, NULL });
	snprintf(want, sizeof(want), "%s:12: sign-key: /nonexistent/key-on-a-stick.pem: No such", conf);
	expect_error(rc, &err, want, "file: a missing file of the command run is named FILE:LINE: key");
	mirror_settings_free(&s);

	rc = parse(&s, &err, (const char *const[]){ "sync", "--parallel", "2", "-c", conf,
	    "-r", "/other", "--rate-limit", "0", NULL });
	tap_ok(rc == 0 && s.parallel == 2 && s.rate_limit == 0 && strcmp(s.root, "/other") == 0,
	    "file: flags override it, wherever they stand");
	mirror_settings_free(&s);

	conf = write_file("bad1.conf", "root = /srv\n# x\nparallel = many\n");
	rc = parse(&s, &err, (const char *const[]){ "sync", "--config", conf, NULL });
	snprintf(want, sizeof(want), "%s:3: parallel: expected a whole number from 1 to 64, not 'many'",
	    conf);
	expect_error(rc, &err, want, "file: a bad number names FILE:LINE: key");
	mirror_settings_free(&s);

	conf = write_file("bad2.conf", "\ncolour = blue\n");
	rc = parse(&s, &err, (const char *const[]){ "sync", "-c", conf, NULL });
	snprintf(want, sizeof(want), "%s:2: unknown setting 'colour'", conf);
	expect_error(rc, &err, want, "file: an unknown key names FILE:LINE");
	mirror_settings_free(&s);

	conf = write_file("bad3.conf", "root /srv\n");
	rc = parse(&s, &err, (const char *const[]){ "sync", "-c", conf, NULL });
	snprintf(want, sizeof(want), "%s:1: expected 'key = value', got 'root /srv'", conf);
	expect_error(rc, &err, want, "file: a line without '=' names FILE:LINE");
	mirror_settings_free(&s);

	conf = write_file("bad4.conf", "json = yes\n");
	rc = parse(&s, &err, (const char *const[]){ "sync", "-c", conf, NULL });
	snprintf(want, sizeof(want), "%s:1: json: only a command-line flag (--json)", conf);
	expect_error(rc, &err, want, "file: a flag-only key refused, FILE:LINE named");
	mirror_settings_free(&s);

	conf = write_file("bad5.conf", "quiet = maybe\n");
	rc = parse(&s, &err, (const char *const[]){ "sync", "-c", conf, NULL });
	snprintf(want, sizeof(want), "%s:1: quiet: expected yes or no, not 'maybe'", conf);
	expect_error(rc, &err, want, "file: a bad yes/no names FILE:LINE: key");
	mirror_settings_free(&s);

	conf = write_file("bad6.conf", "upstream = gopher://h/\n");
	rc = parse(&s, &err, (const char *const[]){ "export", "-c", conf, NULL });
	snprintf(want, sizeof(want), "%s:1: upstream: 'gopher://h/': expected an http", conf);
	expect_error(rc, &err, want, "file: a malformed key of another command is still refused");
	mirror_settings_free(&s);

	conf = write_file("bad7.conf", "root =\n");
	rc = parse(&s, &err, (const char *const[]){ "sync", "-c", conf, NULL });
	snprintf(want, sizeof(want), "%s:1: root: empty value", conf);
	expect_error(rc, &err, want, "file: an empty value names FILE:LINE: key");
	mirror_settings_free(&s);

	conf = write_file("crlf.conf", "# windows\r\nroot = /srv\r\nkeep = 5\r\n");
	rc = parse(&s, &err, (const char *const[]){ "sync", "-c", conf, NULL });
	tap_ok(rc == 0 && s.keep == 5 && strcmp(s.root, "/srv") == 0, "file: CRLF line ends");
	mirror_settings_free(&s);

	conf = write_file("nokey.conf", "root = /srv\n = 5\n");
	rc = parse(&s, &err, (const char *const[]){ "sync", "-c", conf, NULL });
	snprintf(want, sizeof(want), "%s:2: expected 'key = value', the key is missing", conf);
	expect_error(rc, &err, want, "file: a line without key names FILE:LINE");
	mirror_settings_free(&s);

	{
		char *text = xmalloc(5000);

		memset(text, 'x', 4999);
		memcpy(text, "root = ", 7);
		text[4999] = '\0';
		conf = write_file("long.conf", text);
		free(text);
	}
	rc = parse(&s, &err, (const char *const[]){ "sync", "-c", conf, NULL });
	snprintf(want, sizeof(want), "%s:1: line longer than 4094 bytes", conf);
	expect_error(rc, &err, want, "file: an over-long line names FILE:LINE");
	mirror_settings_free(&s);

	snprintf(want, sizeof(want), "%s/missing.conf", tmpdir);
	rc = parse(&s, &err, (const char *const[]){ "sync", "-c", want, NULL });
	expect_error(rc, &err, "missing.conf: No such file or directory", "file: a missing one named");
	mirror_settings_free(&s);

	rc = parse(&s, &err, (const char *const[]){ "sync", "-c", conf, "--bogus", NULL });
	expect_error(rc, &err, "--bogus: unknown option", "file: flags are checked before the file");
	mirror_settings_free(&s);
}

struct check_case {
	const char *name;
	const char *args[12];
	const char *error;	/* NULL: passes */
};

static const struct check_case check_cases[] = {
	{ "sync: complete", { "sync", "-r", "/s", "-u", "http://h/beta/download", NULL }, NULL },
	{ "sync: no root", { "sync", "-u", "http://h/beta/download", NULL },
	    "--root: required by sync" },
	{ "sync: no upstream", { "sync", "-r", "/s", NULL }, "--upstream: required by sync" },
	{ "sync: base URL without channels", { "sync", "-r", "/s", "-u", "http://h/", NULL },
	    "--channels: required by sync: the upstream names no channel" },
	{ "sync: base URL with channels",
	    { "sync", "-r", "/s", "-u", "http://h/", "--channels", "a,b", NULL }, NULL },
	{ "sync: a channel URL and another local name",
	    { "sync", "-r", "/s", "-u", "http://h/beta/download", "--channels", "test", NULL }, NULL },
	{ "sync: a channel URL and two channels",
	    { "sync", "-r", "/s", "-u", "http://h/beta/download", "--channels", "a,b", NULL },
	    "--channels: the upstream is one channel's download/, so give one local channel, not 2" },
	{ "sync: /download with no valid channel name",
	    { "sync", "-r", "/s", "-u", "http://h/download", NULL }, "--channels: required by sync" },
	{ "plan: complete", { "plan", "-r", "/s", "-u", "http://h/beta/download", NULL }, NULL },
	{ "plan: no upstream", { "plan", "-r", "/s", NULL }, "--upstream: required by plan" },
	{ "export: complete", { "export", "-r", "/s", "--channels", "a", "-o", "/b.tar", NULL }, NULL },
	{ "export: two channels",
	    { "export", "-r", "/s", "--channels", "a,b", "-o", "/b.tar", NULL },
	    "--channels: a bundle holds one channel, not 2" },
	{ "export: no output", { "export", "-r", "/s", "--channels", "a", NULL },
	    "--output: required by export" },
	{ "export: no channels", { "export", "-r", "/s", "-o", "/b.tar", NULL },
	    "--channels: required by export" },
	{ "export: no root", { "export", "--channels", "a", "-o", "/b.tar", NULL },
	    "--root: required by export" },
	{ "push: complete", { "push", "-r", "/s", "--channels", "a", "--dav-url", "http://g/d/", NULL },
	    NULL },
	{ "push: no dav-url", { "push", "-r", "/s", "--channels", "a", NULL },
	    "--dav-url: required by push" },
	{ "push: no channels", { "push", "-r", "/s", "--dav-url", "http://g/", NULL },
	    "--channels: required by push" },
	{ "push: a user without password file",
	    { "push", "-r", "/s", "--channels", "a", "--dav-url", "http://g/", "--dav-user", "u", NULL },
	    "--dav-user: given without --dav-password-file" },
	{ "push: one channel's URL and two channels",
	    { "push", "-r", "/s", "--channels", "a,b", "--dav-url", "http://g/a/download", NULL },
	    "--channels: the WebDAV URL is one channel's download/, so give one channel, not 2" },
};

static void
test_check(void)
{
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *c = &check_cases[i];
		struct mirror_settings s;
		struct errbuf err;
		int rc = parse(&s, &err, c->args);

		if (rc == 0)
			rc = mirror_settings_check(&s, &err);
		else
			printf("#   parse failed: %s\n", err.msg);
		if (c->error != NULL)
			expect_error(rc, &err, c->error, c->name);
		else if (!tap_ok(rc == 0, "check %s", c->name))
			printf("#   error: %s\n", err.msg);
		mirror_settings_free(&s);
	}
}

static void
test_set(void)
{
	struct mirror_settings s;
	struct errbuf err;

	mirror_settings_init(&s);
	tap_ok(mirror_settings_set(&s, "keep", "7", "here", &err) == 0 && s.keep == 7,
	    "set: by key");
	expect_error(mirror_settings_set(&s, "nope", "1", "here", &err), &err,
	    "here: unknown setting 'nope'", "set: an unknown key");
	expect_error(mirror_settings_set(&s, "help", "1", "here", &err), &err,
	    "here: only on the command line", "set: a meta option");
	tap_ok(mirror_settings_set(&s, "channels", "a,b", "here", &err) == 0 &&
	    mirror_settings_set(&s, "channels", "a,a", "here", &err) == -1 && s.nchannels == 2,
	    "set: a refused value keeps the previous one");
	mirror_settings_free(&s);
}

static void
test_help(void)
{
	char *all = mirror_settings_help(MIRROR_CMD_NONE);
	char *push = mirror_settings_help(MIRROR_CMD_PUSH);
	static const char *const every[] = { "--config FILE", "--root DIR", "--channels LIST",
	    "--upstream URL", "--kinds LIST", "--ids GLOBS", "--devices GLOBS",
	    "--min-release RELEASE", "--archs LIST", "--keep K", "--parallel N",
	    "--rate-limit BYTES", "--stall-timeout SECONDS", "--retries N", "--ca-file FILE",
	    "--proxy URL", "--output FILE", "--since FILE", "--state-out FILE",
	    "--sign-key FILE", "--dav-url URL", "--dav-user NAME", "--dav-password-file FILE",
	    "--dry-run", "--json", "--quiet", "--verbose", "--check", "--help", "--version" };
	size_t missing = 0;

	for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++)
		if (strstr(all, every[i]) == NULL) {
			printf("#   missing from --help: %s\n", every[i]);
			missing++;
		}
	tap_ok(missing == 0, "help: --help lists every option of the table");
	tap_ok(strstr(all, "exit status: 0 success") != NULL, "help: the exit statuses");
	tap_ok(strstr(push, "--dav-url URL") != NULL && strstr(push, "--upstream") == NULL &&
	    strstr(push, "--output") == NULL, "help: push lists only its options");
	tap_ok(strstr(all, "the bundle to write (required) [export]") != NULL,
	    "help: the full list says which commands take an option");
	free(all);
	free(push);
}

int
main(void)
{
	char path[600];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_defaults();
	test_commands();
	test_bounds();
	test_values();
	test_derived();
	test_file();
	test_check();
	test_set();
	test_help();
	for (int i = 0; i < 11; i++) {
		static const char *const names[] = { "good.conf", "bad1.conf", "bad2.conf",
		    "bad3.conf", "bad4.conf", "bad5.conf", "bad6.conf", "bad7.conf", "crlf.conf",
		    "nokey.conf", "long.conf" };

		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	return tap_done();
}
