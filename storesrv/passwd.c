/*
 * passwd: "storesrv passwd add|remove|list" (passwd.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "dav_users.h"
#include "passwd.h"

#define PASSWD_DEFAULT_FILE	STORESRV_SYSCONFDIR "/storesrv-users"
#define PASSWD_USAGE \
	"usage: storesrv passwd add NAME [--read-only] [--replace] [-f USERS_FILE]\n" \
	"       storesrv passwd remove NAME [-f USERS_FILE]\n" \
	"       storesrv passwd list [-f USERS_FILE]\n"

struct passwd_args {
	const char	*command;
	const char	*name;
	const char	*file;
	int		 read_only;
	int		 replace;
};

static int
passwd_usage(const char *problem)
{
	if (problem != NULL)
		fprintf(stderr, "storesrv: passwd: %s\n", problem);
	fputs(PASSWD_USAGE, stderr);
	return 2;
}

/* Fills args; returns -1 after printing a usage error, 1 for --help. */
static int
passwd_parse_args(int argc, char **argv, struct passwd_args *args)
{
	memset(args, 0, sizeof(*args));
	args->file = PASSWD_DEFAULT_FILE;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return 1;
		if (strcmp(a, "-f") == 0 || strcmp(a, "--file") == 0) {
			if (++i == argc)
				return passwd_usage("-f needs a file"), -1;
			args->file = argv[i];
		} else if (strncmp(a, "--file=", 7) == 0) {
			args->file = a + 7;
		} else if (strcmp(a, "--read-only") == 0) {
			args->read_only = 1;
		} else if (strcmp(a, "--replace") == 0) {
			args->replace = 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "storesrv: passwd: unknown option %s\n", a);
			return passwd_usage(NULL), -1;
		} else if (args->command == NULL) {
			args->command = a;
		} else if (args->name == NULL) {
			args->name = a;
		} else {
			return passwd_usage("too many arguments"), -1;
		}
	}
	return 0;
}

/* Reads one line of at most DAV_PASSWORD_MAX bytes from fp into buf
 * (without its newline or CR LF); -1 on EOF before any byte or too long. */
static int
passwd_read_line(FILE *fp, char *buf, size_t size, size_t *len, const char **problem)
{
	size_t n;

	if (fgets(buf, (int)size, fp) == NULL) {
		*problem = "no password given";
		return -1;
	}
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(fp)) {
		*problem = "the password is longer than 1024 bytes";
		return -1;
	}
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	*len = n;
	return 0;
}

/* Turns echo off, prompts on stderr and reads a line from the terminal.
 * Echo goes off before the prompt shows, so nothing typed after the prompt
 * is echoed; typeahead from before it is discarded (TCSAFLUSH). */
static int
passwd_read_tty(const char *prompt, char *buf, size_t size, size_t *len, const char **problem)
{
	struct termios saved, quiet;
	int rc;

	if (tcgetattr(STDIN_FILENO, &saved) == -1) {
		*problem = "cannot read the terminal's settings";
		return -1;
	}
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == -1) {
		*problem = "cannot turn the terminal's echo off";
		return -1;
	}
	fputs(prompt, stderr);
	fflush(stderr);
	rc = passwd_read_line(stdin, buf, size, len, problem);
	tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return rc;
}

/* The new password: twice from a terminal, once from anything else. */
static int
passwd_read_password(const char *name, char *buf, size_t size, size_t *len)
{
	char again[DAV_PASSWORD_MAX + 2], prompt[DAV_USER_NAME_MAX + 32];
	const char *problem = NULL;
	size_t again_len;
	int rc = -1;

	if (!isatty(STDIN_FILENO)) {
		if (passwd_read_line(stdin, buf, size, len, &problem) == 0)
			rc = 0;
		goto done;
	}
	snprintf(prompt, sizeof(prompt), "Password for %s: ", name);
	if (passwd_read_tty(prompt, buf, size, len, &problem) == -1 ||
	    passwd_read_tty("Again: ", again, sizeof(again), &again_len, &problem) == -1)
		goto done;
	if (again_len != *len || memcmp(again, buf, *len) != 0)
		problem = "the two passwords differ";
	else
		rc = 0;
done:
	OPENSSL_cleanse(again, sizeof(again));
	if (rc == -1)
		fprintf(stderr, "storesrv: passwd: %s\n", problem);
	return rc;
}

static int
passwd_add(const struct passwd_args *args, struct dav_users *users, struct errbuf *err)
{
	char password[DAV_PASSWORD_MAX + 2];
	size_t len = 0;
	int rc = -1;

	if (!dav_user_name_valid(args->name))
		return errbuf_set(err, "user name '%.*s' is not 1 to %d of A-Z a-z 0-9 . _ @ - "
		    "(not starting with . or -)", DAV_USER_NAME_MAX, args->name, DAV_USER_NAME_MAX);
	for (size_t i = 0; i < dav_users_count(users) && !args->replace; i++)
		if (strcmp(dav_users_name(users, i), args->name) == 0)
			return errbuf_set(err, "%s: user %s exists already (--replace changes it)",
			    args->file, args->name);
	if (passwd_read_password(args->name, password, sizeof(password), &len) == -1) {
		errbuf_set(err, "no user added");
		goto done;
	}
	if (dav_users_add(users, args->name, args->read_only ? DAV_ROLE_RO : DAV_ROLE_RW,
	    password, len, args->replace, err) == -1)
		goto done;
	rc = dav_users_save(users, args->file, err);
done:
	OPENSSL_cleanse(password, sizeof(password));
	return rc;
}

static int
passwd_list(const struct dav_users *users)
{
	for (size_t i = 0; i < dav_users_count(users); i++)
		printf("%s\t%s\n", dav_users_name(users, i),
		    dav_role_name(dav_users_role(users, i)));
	return fflush(stdout) == EOF ? -1 : 0;
}

/* Runs a parsed command; 0 or -1 with err set. */
static int
passwd_run(const struct passwd_args *args, struct errbuf *err)
{
	int is_add = strcmp(args->command, "add") == 0;
	struct dav_users *users;
	int rc = -1;

	users = dav_users_load(args->file, is_add, err);
	if (users == NULL)
		return -1;
	if (is_add)
		rc = passwd_add(args, users, err);
	else if (strcmp(args->command, "remove") == 0) {
		if (dav_users_remove(users, args->name, err) == 0)
			rc = dav_users_save(users, args->file, err);
		else
			errbuf_prefix(err, "%s", args->file);
	} else if (passwd_list(users) == 0)
		rc = 0;
	else
		errbuf_set_errno(err, "stdout");
	dav_users_free(users);
	return rc;
}

int
passwd_main(int argc, char **argv)
{
	static const char *const commands[] = { "add", "remove", "list" };
	struct passwd_args args;
	struct errbuf err;
	int known = 0;

	switch (passwd_parse_args(argc, argv, &args)) {
	case 1:
		fputs(PASSWD_USAGE, stdout);
		return 0;
	case -1:
		return 2;
	}
	if (args.command == NULL)
		return passwd_usage("no command (add, remove or list)");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		known |= strcmp(args.command, commands[i]) == 0;
	if (!known) {
		fprintf(stderr, "storesrv: passwd: unknown command %s\n", args.command);
		return passwd_usage(NULL);
	}
	if ((strcmp(args.command, "list") == 0) != (args.name == NULL))
		return passwd_usage(args.name == NULL ? "no user name" : "list takes no name");
	if (passwd_run(&args, &err) == -1) {
		fprintf(stderr, "storesrv: passwd: %s\n", err.msg);
		return 1;
	}
	return 0;
}
