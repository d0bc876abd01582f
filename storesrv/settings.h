/*
 * settings: storesrv's settings, from an optional config file and the command
 * line (flags override the file).  Every setting has one entry in a table in
 * settings.c, shared by the file parser and the long options, so a key of the
 * file and its flag are spelled alike (`root = DIR`, `--root DIR`).
 *
 * The file: one `key = value` per line; '#' starts a comment line; blank
 * lines are ignored; values are taken verbatim after trimming white space.
 * See storesrv/storesrv.conf.sample.
 */
#ifndef STORESRV_SETTINGS_H
#define STORESRV_SETTINGS_H

#include <stdio.h>
#include <sys/socket.h>

#include "diag.h"
#include "errbuf.h"

struct settings {
	char *root;		/* store root (required) */
	char *listen;		/* ADDR:PORT, [V6ADDR]:PORT; port 0 = any */
	char *www;		/* folder with download.htm; NULL: the page built in */
	char *access_log;	/* file path, "-" for stdout, "off" */
	char *port_file;	/* write the bound port here */
	char *pid_file;
	char *user;		/* the user to become after binding (started as root) */
	int threads;		/* serving threads (0 = one per core) */
	int max_connections;	/* per process */
	int timeout;		/* seconds of inactivity before a connection is closed */
	int header_timeout;	/* seconds for a whole request head */
	int max_header_size;	/* bytes */
	int cache_entries;	/* open files cached per thread */
	int rescan;		/* rewrite channel indexes at start and SIGHUP */
	int foreground;
	int verbose;
	int check_only;		/* -n */
	/* TLS (both listeners take the same certificate) */
	char *tls_cert;		/* PEM certificate chain */
	char *tls_key;		/* PEM private key */
	int public_tls;		/* the public listener speaks TLS */
	/* the WebDAV listener (issue 9); off while webdav_listen is NULL */
	char *webdav_listen;	/* ADDR:PORT */
	char *webdav_users;	/* users file (storesrv passwd) */
	char *webdav_port_file;	/* write the WebDAV listener's port here */
	int webdav_tls;		/* the WebDAV listener speaks TLS */
	int webdav_allow_plain;	/* Basic over plain HTTP on a non-loopback address */
	int webdav_quiet;	/* seconds an upload stays untouched before it is imported */
	int webdav_reserve;	/* MiB of free space uploads leave on the store */
	int webdav_max_uploads;	/* concurrent uploads per user */
	int webdav_max_locks;	/* locks in all */
	char *config_file;
};

/* Fills defaults. */
void settings_init(struct settings *cfg);
void settings_free(struct settings *cfg);

/* Sets one setting by its key; `where` names the source for errors
 * ("storesrv.conf:12" or "--threads"). */
int settings_set(struct settings *cfg, const char *key, const char *value, const char *where,
    struct errbuf *err);

/* Reads a config file; errors name "FILE:LINE: key: problem". */
int settings_load_file(struct settings *cfg, const char *path, struct errbuf *err);

/* Parses argv: loads --config first, then applies the flags over it.
 * Returns 0 to go on, 1 when --help/--version was answered, -1 on a usage
 * error (message in err). */
int settings_from_args(struct settings *cfg, int argc, char **argv, struct errbuf *err);

/* Checks what can be checked before starting, reporting every problem to
 * report: root and www are readable directories, listen parses (errors);
 * root holds a channel (a warning).  Returns -1 when it found an error. */
int settings_validate(const struct settings *cfg, struct diag *report);

void settings_usage(FILE *out);

/* Parses "ADDR:PORT" or "[IPV6ADDR]:PORT" (numeric addresses, port 0-65535). */
int settings_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len);

#endif
