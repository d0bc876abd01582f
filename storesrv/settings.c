/*
 * settings: storesrv settings from a config file and the command line; see
 * settings.h.  One table describes every setting.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "conf_file.h"
#include "settings.h"
#include "store_layout.h"
#include "xmalloc.h"

enum settings_type { SETTINGS_STRING, SETTINGS_INT, SETTINGS_BOOL };

struct settings_option {
	const char *key;
	int short_opt;		/* 0 when none */
	enum settings_type type;
	size_t offset;
	int min, max;		/* for SETTINGS_INT */
	const char *arg;	/* for help: name of the argument, NULL for booleans */
	const char *help;
};

#define OPT(field) offsetof(struct settings, field)

static const struct settings_option settings_options[] = {
	{ "root", 'r', SETTINGS_STRING, OPT(root), 0, 0, "DIR", "store root holding the channels (required)" },
	{ "listen", 'l', SETTINGS_STRING, OPT(listen), 0, 0, "ADDR:PORT", "address to listen on (default 127.0.0.1:8080; port 0 picks one)" },
	{ "www", 'w', SETTINGS_STRING, OPT(www), 0, 0, "DIR", "folder with download.htm (default: the page built into storesrv; installed in " STORESRV_DATADIR "/www)" },
	{ "access-log", 0, SETTINGS_STRING, OPT(access_log), 0, 0, "FILE", "access log file, '-' for stdout, 'off' (default off)" },
	{ "port-file", 0, SETTINGS_STRING, OPT(port_file), 0, 0, "FILE", "write the bound port to FILE" },
	{ "user", 'u', SETTINGS_STRING, OPT(user), 0, 0, "NAME", "started as root: become this user once the listeners are bound and the logs open" },
	{ "pid-file", 0, SETTINGS_STRING, OPT(pid_file), 0, 0, "FILE", "write the process id to FILE" },
	{ "threads", 't', SETTINGS_INT, OPT(threads), 0, 64, "N", "serving threads, 0 = one per core (default 0)" },
	{ "max-connections", 0, SETTINGS_INT, OPT(max_connections), 16, 1000000, "N", "open connections at most (default 4096)" },
	{ "timeout", 0, SETTINGS_INT, OPT(timeout), 1, 3600, "SECONDS", "close idle or stalled connections after (default 60)" },
	{ "header-timeout", 0, SETTINGS_INT, OPT(header_timeout), 1, 3600, "SECONDS", "a whole request head must arrive within (also the keep-alive idle time; default 20)" },
	{ "max-header-size", 0, SETTINGS_INT, OPT(max_header_size), 1024, 1048576, "BYTES", "largest request head accepted (default 8192)" },
	{ "cache-entries", 0, SETTINGS_INT, OPT(cache_entries), 1, 1000000, "N", "open files cached per thread (default 1024)" },
	{ "rescan", 0, SETTINGS_BOOL, OPT(rescan), 0, 1, "yes|no", "rewrite channel indexes at start and on SIGHUP (default yes)" },
	{ "foreground", 'f', SETTINGS_BOOL, OPT(foreground), 0, 1, NULL, "stay in the foreground, log to stderr" },
	{ "verbose", 'v', SETTINGS_BOOL, OPT(verbose), 0, 1, NULL, "log debug messages" },
	{ "tls-cert", 0, SETTINGS_STRING, OPT(tls_cert), 0, 0, "FILE", "PEM certificate chain for the listeners that speak TLS (reread on SIGHUP)" },
	{ "tls-key", 0, SETTINGS_STRING, OPT(tls_key), 0, 0, "FILE", "PEM private key of tls-cert (reread on SIGHUP)" },
	{ "public-tls", 0, SETTINGS_BOOL, OPT(public_tls), 0, 1, "yes|no", "the public listener speaks HTTPS (default no)" },
	{ "webdav-listen", 0, SETTINGS_STRING, OPT(webdav_listen), 0, 0, "ADDR:PORT", "serve WebDAV on this address (default off)" },
	{ "webdav-users", 0, SETTINGS_STRING, OPT(webdav_users), 0, 0, "FILE", "WebDAV users file, see 'storesrv passwd' (default " STORESRV_SYSCONFDIR "/storesrv-users)" },
	{ "webdav-port-file", 0, SETTINGS_STRING, OPT(webdav_port_file), 0, 0, "FILE", "write the WebDAV listener's port to FILE" },
	{ "webdav-tls", 0, SETTINGS_BOOL, OPT(webdav_tls), 0, 1, "yes|no", "the WebDAV listener speaks HTTPS (default no)" },
	{ "webdav-allow-plain-basic", 0, SETTINGS_BOOL, OPT(webdav_allow_plain), 0, 1, "yes|no", "accept passwords over plain HTTP on a non-loopback address (default no)" },
	{ "webdav-quiet", 0, SETTINGS_INT, OPT(webdav_quiet), 1, 86400, "SECONDS", "an upload in incoming/ untouched this long is validated and published (default 30)" },
	{ "webdav-reserve", 0, SETTINGS_INT, OPT(webdav_reserve), 0, 1048576, "MIB", "free space uploads leave on the store (default 64)" },
	{ "webdav-max-uploads", 0, SETTINGS_INT, OPT(webdav_max_uploads), 1, 10000, "N", "concurrent uploads per user (default 8)" },
	{ "webdav-max-locks", 0, SETTINGS_INT, OPT(webdav_max_locks), 1, 1000000, "N", "WebDAV locks held at once (default 1024)" },
};

#define SETTINGS_NOPTIONS (sizeof(settings_options) / sizeof(settings_options[0]))

void
settings_init(struct settings *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = xstrdup("127.0.0.1:8080");
	cfg->access_log = xstrdup("off");
	cfg->max_connections = 4096;
	cfg->timeout = 60;
	cfg->header_timeout = 20;
	cfg->max_header_size = 8192;
	cfg->cache_entries = 1024;
	cfg->rescan = 1;
	cfg->webdav_users = xstrdup(STORESRV_SYSCONFDIR "/storesrv-users");
	cfg->webdav_quiet = 30;
	cfg->webdav_reserve = 64;
	cfg->webdav_max_uploads = 8;
	cfg->webdav_max_locks = 1024;
}

void
settings_free(struct settings *cfg)
{
	for (size_t i = 0; i < SETTINGS_NOPTIONS; i++) {
		if (settings_options[i].type == SETTINGS_STRING) {
			char **p = (char **)((char *)cfg + settings_options[i].offset);
			free(*p);
			*p = NULL;
		}
	}
	free(cfg->config_file);
	cfg->config_file = NULL;
}

static const struct settings_option *
settings_option_find(const char *key)
{
	for (size_t i = 0; i < SETTINGS_NOPTIONS; i++) {
		if (strcmp(settings_options[i].key, key) == 0)
			return &settings_options[i];
	}
	return NULL;
}

int
settings_set(struct settings *cfg, const char *key, const char *value, const char *where,
    struct errbuf *err)
{
	const struct settings_option *opt = settings_option_find(key);
	void *field;
	char *end;
	long n;

	if (opt == NULL)
		return errbuf_set(err, "%s: unknown setting '%s'", where, key);
	field = (char *)cfg + opt->offset;
	switch (opt->type) {
	case SETTINGS_STRING:
		if (*value == '\0')
			return errbuf_set(err, "%s: %s: empty value", where, key);
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case SETTINGS_INT:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || n < opt->min || n > opt->max)
			return errbuf_set(err, "%s: %s: expected a whole number from %d to %d, not '%s'",
			    where, key, opt->min, opt->max, value);
		*(int *)field = (int)n;
		return 0;
	case SETTINGS_BOOL:
		if (conf_parse_bool(value, (int *)field) == -1)
			return errbuf_set(err, "%s: %s: expected yes or no, not '%s'", where, key, value);
		return 0;
	}
	return errbuf_set(err, "%s: %s: unhandled setting type", where, key);
}

/* One "key = value" of the file (conf_file_fn). */
static int
settings_load_setting(const char *key, const char *value, const char *where, void *arg,
    struct errbuf *err)
{
	if (strcmp(key, "foreground") == 0)
		return errbuf_set(err, "%s: foreground: only a command-line flag (-f)", where);
	return settings_set(arg, key, value, where, err);
}

int
settings_load_file(struct settings *cfg, const char *path, struct errbuf *err)
{
	return conf_file_load(path, settings_load_setting, cfg, err);
}

void
settings_usage(FILE *out)
{
	fprintf(out,
	    "usage: storesrv [-fnv] [-c FILE] [-r DIR] [-l ADDR:PORT] [-w DIR] [options]\n"
	    "Serves an offline innovaphone store: /<channel>/download/... and /<channel>/download.htm\n\n"
	    "  -c, --config FILE         read settings from FILE (flags override it)\n"
	    "  -n, --check               check the configuration and the store root, then exit\n"
	    "  -h, --help                show this help\n"
	    "  -V, --version             show the version\n");
	for (size_t i = 0; i < SETTINGS_NOPTIONS; i++) {
		const struct settings_option *o = &settings_options[i];
		char left[64];

		if (o->short_opt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_opt, o->key,
			    o->arg && o->type != SETTINGS_BOOL ? " " : "",
			    o->arg && o->type != SETTINGS_BOOL ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s %s", o->key, o->arg ? o->arg : "");
		fprintf(out, "  %-24s  %s\n", left, o->help);
	}
	fprintf(out, "\nSignals: SIGTERM/SIGINT stop; SIGHUP reopens logs and rescans the store.\n");
}

/* Long options: the table's keys plus config, check, help, version. */
static struct option *
settings_long_options(char *shorts, size_t shortsz)
{
	struct option *longs = xcalloc(SETTINGS_NOPTIONS + 5, sizeof(*longs));
	size_t n = 0, s;

	s = (size_t)snprintf(shorts, shortsz, "c:nhV");
	for (size_t i = 0; i < SETTINGS_NOPTIONS; i++) {
		const struct settings_option *o = &settings_options[i];
		int has_arg = o->arg == NULL ? no_argument : required_argument;

		longs[n++] = (struct option){ o->key, has_arg, NULL, 1000 + (int)i };
		if (o->short_opt && s + 2 < shortsz) {
			shorts[s++] = (char)o->short_opt;
			if (has_arg == required_argument)
				shorts[s++] = ':';
			shorts[s] = '\0';
		}
	}
	longs[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	longs[n++] = (struct option){ "check", no_argument, NULL, 'n' };
	longs[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longs[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	return longs;
}

static const struct settings_option *
settings_option_by_short(int c)
{
	for (size_t i = 0; i < SETTINGS_NOPTIONS; i++) {
		if (settings_options[i].short_opt == c)
			return &settings_options[i];
	}
	return NULL;
}

/* Applies the flags (second pass, after the config file was loaded). */
static int
settings_apply_flags(struct settings *cfg, int argc, char **argv, const char *shorts,
    const struct option *longs, struct errbuf *err)
{
	const struct settings_option *o;
	char where[80];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == 'n') {
			cfg->check_only = 1;
			continue;
		}
		if (c == 'c' || c == 'h' || c == 'V')
			continue;
		o = c >= 1000 ? &settings_options[c - 1000] : settings_option_by_short(c);
		if (o == NULL)
			return errbuf_set(err, "unknown option (see --help)");
		snprintf(where, sizeof(where), "--%s", o->key);
		if (settings_set(cfg, o->key, optarg ? optarg : (o->type == SETTINGS_BOOL ? "yes" : ""),
		    where, err) == -1)
			return -1;
	}
	if (optind < argc)
		return errbuf_set(err, "unexpected argument '%s' (see --help)", argv[optind]);
	return 0;
}

int
settings_from_args(struct settings *cfg, int argc, char **argv, struct errbuf *err)
{
	struct option *longs;
	char shorts[64];
	int c, rc = 0;

	longs = settings_long_options(shorts, sizeof(shorts));
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == 'h') {
			settings_usage(stdout);
			rc = 1;
			goto done;
		}
		if (c == 'V') {
			printf("storesrv %s\n", PACKAGE_VERSION);
			rc = 1;
			goto done;
		}
		if (c == '?') {
			rc = errbuf_set(err, "unknown option or missing argument '%s' (see --help)",
			    argv[optind - 1]);
			goto done;
		}
		if (c == 'c') {
			free(cfg->config_file);
			cfg->config_file = xstrdup(optarg);
		}
	}
	if (cfg->config_file != NULL && settings_load_file(cfg, cfg->config_file, err) == -1) {
		rc = -1;
		goto done;
	}
	rc = settings_apply_flags(cfg, argc, argv, shorts, longs, err);
done:
	free(longs);
	return rc;
}

int
settings_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(text, ':');
	size_t hostlen;
	char *end;
	long port;

	if (colon == NULL)
		return -1;
	hostlen = (size_t)(colon - text);
	if (text[0] == '[') {
		if (hostlen < 3 || text[hostlen - 1] != ']')
			return -1;
		text++;
		hostlen -= 2;
	}
	if (hostlen == 0 || hostlen >= sizeof(host))
		return -1;
	memcpy(host, text, hostlen);
	host[hostlen] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	return -1;
}

/* A readable directory, or a problem of `key` in report. */
static int
settings_check_dir(const char *where, const char *key, const char *path, struct diag *report)
{
	struct errbuf err;
	struct stat st;

	if (stat(path, &st) == -1)
		errbuf_set_errno(&err, "%s: %s", key, path);
	else if (!S_ISDIR(st.st_mode))
		errbuf_set(&err, "%s: %s: not a directory", key, path);
	else if (access(path, R_OK | X_OK) == -1)
		errbuf_set_errno(&err, "%s: %s", key, path);
	else
		return 0;
	diag_add(report, DIAG_ERROR, where, "%s", err.msg);
	return -1;
}

/* A warning when root holds no channel (store_layout.h): nothing to serve. */
static void
settings_check_channels(const char *where, const char *root, struct diag *report)
{
	struct dirent *de;
	int found = 0;
	DIR *d;

	if ((d = opendir(root)) == NULL) {
		diag_add(report, DIAG_ERROR, where, "root: %s: %s", root, strerror(errno));
		return;
	}
	while (!found && (de = readdir(d)) != NULL)
		found = store_channel_at(dirfd(d), de->d_name);
	closedir(d);
	if (!found)
		diag_add(report, DIAG_WARNING, where, "root: no channel found in %s (a channel is "
		    "a folder holding %s/)", root, STORE_DOWNLOAD_DIR);
}

/* A listener that speaks TLS needs both files, readable. */
static void
settings_check_tls(const char *where, const struct settings *cfg, struct diag *report)
{
	int wanted = cfg->public_tls || (cfg->webdav_listen != NULL && cfg->webdav_tls);

	if (!wanted) {
		if (cfg->tls_cert != NULL || cfg->tls_key != NULL)
			diag_add(report, DIAG_WARNING, where,
			    "tls-cert/tls-key: set, but neither public-tls nor webdav-tls is on");
		return;
	}
	if (cfg->tls_cert == NULL || cfg->tls_key == NULL) {
		diag_add(report, DIAG_ERROR, where,
		    "%s: needs tls-cert and tls-key", cfg->public_tls ? "public-tls" : "webdav-tls");
		return;
	}
	if (access(cfg->tls_cert, R_OK) == -1)
		diag_add(report, DIAG_ERROR, where, "tls-cert: %s: %s", cfg->tls_cert,
		    strerror(errno));
	if (access(cfg->tls_key, R_OK) == -1)
		diag_add(report, DIAG_ERROR, where, "tls-key: %s: %s", cfg->tls_key,
		    strerror(errno));
}

int
settings_validate(const struct settings *cfg, struct diag *report)
{
	const char *where = cfg->config_file ? cfg->config_file : "command line";
	size_t errors = report->errors;
	struct sockaddr_storage ss;
	socklen_t sslen;

	if (cfg->root == NULL)
		diag_add(report, DIAG_ERROR, where, "root: not set (use --root DIR or 'root = DIR')");
	else if (settings_check_dir(where, "root", cfg->root, report) == 0)
		settings_check_channels(where, cfg->root, report);
	if (cfg->www != NULL)
		settings_check_dir(where, "www", cfg->www, report);
	if (settings_parse_listen(cfg->listen, &ss, &sslen) == -1)
		diag_add(report, DIAG_ERROR, where, "listen: '%s' is not ADDR:PORT or [ADDR]:PORT",
		    cfg->listen);
	if (cfg->webdav_listen != NULL &&
	    settings_parse_listen(cfg->webdav_listen, &ss, &sslen) == -1)
		diag_add(report, DIAG_ERROR, where,
		    "webdav-listen: '%s' is not ADDR:PORT or [ADDR]:PORT", cfg->webdav_listen);
	settings_check_tls(where, cfg, report);
	if (cfg->user != NULL && getpwnam(cfg->user) == NULL)
		diag_add(report, DIAG_ERROR, where, "user: %s: no such user", cfg->user);
	return report->errors > errors ? -1 : 0;
}
