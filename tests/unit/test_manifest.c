/*
 * test_manifest: the `<id>_files` grammar of manifest.h, one named case per
 * accepted form and per refusal, plus manifest_read() and
 * manifest_name_to_id().
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "../tap.h"
#include "xmalloc.h"

struct parse_case {
	const char *name;
	const char *text;
	size_t len;		/* 0: strlen(text) */
	const char *want;	/* names joined by '|', or NULL when refused */
	const char *error;	/* expected error text when refused */
};

static const struct parse_case parse_cases[] = {
	{ "one name", "apidemo.bin", 0, "apidemo.bin", NULL },
	{ "two firmware names", "ip0001.bin,boot0001.bin", 0, "ip0001.bin|boot0001.bin", NULL },
	{ "three app files", "appstore.bin,appstore.debug,appstore.png", 0,
	    "appstore.bin|appstore.debug|appstore.png", NULL },
	{ "trailing LF", "a.bin,b.bin\n", 0, "a.bin|b.bin", NULL },
	{ "trailing CRLF", "a.bin,b.bin\r\n", 0, "a.bin|b.bin", NULL },
	{ "single character names", "a,b,c", 0, "a|b|c", NULL },
	{ "name with inner dot and dash", "my-app_1.2.bin", 0, "my-app_1.2.bin", NULL },
	{ "name with inner dots", "a..b", 0, "a..b", NULL },
	{ "UTF-8 name", "\xc3\xa4pp.bin", 0, "\xc3\xa4pp.bin", NULL },
	{ "upper case kept", "myAppsSetup.exe", 0, "myAppsSetup.exe", NULL },
	{ "255 byte name", NULL, 255, "LONG", NULL },
	{ "empty input", "", 0, NULL, "column 1: empty manifest" },
	{ "only LF", "\n", 0, NULL, "column 1: empty manifest" },
	{ "only CRLF", "\r\n", 0, NULL, "column 1: empty manifest" },
	{ "lone CR", "\r", 0, NULL, "column 1: control character in file name" },
	{ "trailing lone CR", "a.bin\r", 0, NULL, "column 6: control character in file name" },
	{ "two trailing LF", "a.bin\n\n", 0, NULL, "column 6: control character in file name" },
	{ "CR LF LF", "a\r\n\n", 0, NULL, "column 2: control character in file name" },
	{ "LF in the middle", "a.bin\nb.bin", 0, NULL,
	    "column 6: control character in file name" },
	{ "leading comma", ",a.bin", 0, NULL, "column 1: empty file name" },
	{ "trailing comma", "a.bin,", 0, NULL, "column 7: empty file name" },
	{ "trailing comma before LF", "a.bin,\n", 0, NULL, "column 7: empty file name" },
	{ "double comma", "a.bin,,b.bin", 0, NULL, "column 7: empty file name" },
	{ "only a comma", ",", 0, NULL, "column 1: empty file name" },
	{ "space after comma", "a.bin, b.bin", 0, NULL, "column 7: white space in file name" },
	{ "space inside a name", "my app.bin", 0, NULL, "column 3: white space in file name" },
	{ "leading space", " a.bin", 0, NULL, "column 1: white space in file name" },
	{ "trailing space", "a.bin ", 0, NULL, "column 6: white space in file name" },
	{ "tab", "a\tb", 0, NULL, "column 2: white space in file name" },
	{ "NUL byte", "a\0b", 3, NULL, "column 2: control character in file name" },
	{ "DEL byte", "a\x7f", 0, NULL, "column 2: control character in file name" },
	{ "escape byte", "\x1b[0m", 0, NULL, "column 1: control character in file name" },
	{ "slash", "arm/a.bin", 0, NULL, "column 4: '/' in file name" },
	{ "backslash", "a.bin,x\\y", 0, NULL, "column 8: '\\' in file name" },
	{ "dot", "a.bin,.", 0, NULL, "column 7: \".\" is not a file name" },
	{ "dot dot", "..", 0, NULL, "column 1: \"..\" is not a file name" },
	{ "hidden name", "a,.htaccess", 0, NULL, "column 3: file name starts with '.'" },
	{ "duplicate", "a.bin,b.bin,a.bin", 0, NULL, "column 13: duplicate file name \"a.bin\"" },
	{ "duplicate adjacent", "x,x", 0, NULL, "column 3: duplicate file name \"x\"" },
	{ "256 byte name", NULL, 256, NULL, "column 1: file name longer than 255 bytes" },
	{ "1024 names", NULL, 1024, "MANY", NULL },
	{ "1025 names", NULL, 1025, NULL, "more than 1024 file names" },
	{ "over 65536 bytes", NULL, 65537, NULL, "longer than 65536 bytes" },
};

/* Builds the generated inputs (NULL text) of the limit cases. */
static char *
case_text(const struct parse_case *c, size_t *len)
{
	char *s;
	size_t n = 0;

	if (c->text != NULL) {
		*len = c->len ? c->len : strlen(c->text);
		s = xmalloc(*len + 1);
		memcpy(s, c->text, *len + 1);
		return s;
	}
	if (c->len == 255 || c->len == 256 || c->len == 65537) {
		s = xmalloc(c->len + 1);
		memset(s, 'x', c->len);
		s[c->len] = '\0';
		*len = c->len;
		return s;
	}
	s = xmalloc(c->len * 8 + 1);
	for (size_t i = 0; i < c->len; i++)
		n += (size_t)sprintf(s + n, "%sf%zu", i ? "," : "", i);
	*len = n;
	return s;
}

static char *
join_names(const struct manifest *m)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < m->count; i++)
		len += strlen(m->names[i]) + 1;
	s = xcalloc(1, len);
	for (size_t i = 0; i < m->count; i++) {
		if (i > 0)
			strcat(s, "|");
		strcat(s, m->names[i]);
	}
	return s;
}

static void
run_parse_case(const struct parse_case *c)
{
	struct manifest m = { (char **)1, 99 };
	struct errbuf err = { "" };
	size_t len;
	char *text = case_text(c, &len), *got;
	int rc;

	rc = manifest_parse(text, len, &m, &err);
	if (c->want == NULL) {
		tap_ok(rc == -1 && m.names == NULL && m.count == 0 &&
		    strstr(err.msg, c->error) != NULL, "refuses: %s", c->name);
		if (rc != -1 || strstr(err.msg, c->error) == NULL)
			printf("#   error: '%s' want '%s'\n", err.msg, c->error);
	} else if (strcmp(c->want, "LONG") == 0 || strcmp(c->want, "MANY") == 0) {
		tap_ok(rc == 0 && m.count == (c->len == 255 ? 1 : c->len), "accepts: %s", c->name);
	} else {
		got = rc == 0 ? join_names(&m) : xstrdup(err.msg);
		tap_str_eq(got, c->want, c->name);
		free(got);
	}
	manifest_free(&m);
	free(text);
}

struct id_case {
	const char *name;
	const char *file;
	const char *id;		/* NULL: not a manifest */
};

static const struct id_case id_cases[] = {
	{ "app manifest", "apidemo_files", "apidemo" },
	{ "firmware manifest", "ip222_files", "ip222" },
	{ "id with dot and dash", "my-app.v2_files", "my-app.v2" },
	{ "suffix only", "_files", NULL },
	{ "upper case id", "ApiDemo_files", NULL },
	{ "no suffix", "apidemo", NULL },
	{ "suffix not at the end", "apidemo_files.bak", NULL },
	{ "hidden", ".apidemo_files", NULL },
	{ "id with underscore", "api_demo_files", "api_demo" },
};

static void
run_id_cases(void)
{
	char id[64];

	for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		const struct id_case *c = &id_cases[i];
		int rc;

		strcpy(id, "?");
		rc = manifest_name_to_id(c->file, id, sizeof(id));
		if (c->id == NULL)
			tap_ok(rc == 0, "name_to_id refuses: %s", c->name);
		else
			tap_str_eq(rc == 1 ? id : NULL, c->id, c->name);
	}
	tap_ok(manifest_name_to_id("apidemo_files", NULL, 0) == 1, "name_to_id without buffer");
	tap_ok(manifest_name_to_id("apidemo_files", id, 4) == 0, "name_to_id buffer too small");
}

static void
run_read_cases(void)
{
	char dir[] = "/tmp/test_manifest.XXXXXX";
	struct manifest m;
	struct errbuf err;
	int dfd, fd;

	if (mkdtemp(dir) == NULL || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		tap_ok(0, "mkdtemp");
		return;
	}
	fd = openat(dfd, "x_files", O_WRONLY | O_CREAT, 0644);
	(void)!write(fd, "a.bin,b.bin\r\n", 13);
	close(fd);
	tap_ok(manifest_read(dfd, "x_files", &m, &err) == 0 && m.count == 2 &&
	    manifest_contains(&m, "b.bin") && !manifest_contains(&m, "c.bin"),
	    "read: file parsed, contains works");
	manifest_free(&m);
	tap_ok(manifest_read(dfd, "missing_files", &m, &err) == -1 &&
	    strncmp(err.msg, "missing_files: ", 15) == 0, "read: missing file named");
	fd = openat(dfd, "bad_files", O_WRONLY | O_CREAT, 0644);
	(void)!write(fd, "a,,b", 4);
	close(fd);
	tap_str_eq(manifest_read(dfd, "bad_files", &m, &err) == -1 ? err.msg : NULL,
	    "bad_files: column 3: empty file name", "read: error prefixed with the name");
	mkdirat(dfd, "dir_files", 0755);
	tap_ok(manifest_read(dfd, "dir_files", &m, &err) == -1 &&
	    strstr(err.msg, "not a regular file") != NULL, "read: directory refused");
	unlinkat(dfd, "x_files", 0);
	unlinkat(dfd, "bad_files", 0);
	unlinkat(dfd, "dir_files", AT_REMOVEDIR);
	close(dfd);
	rmdir(dir);
}

struct tolerant_case {
	const char *name;
	const char *text;
	int rc;			/* manifest_read_tolerant()'s result */
	int lenient;		/* *lenient afterwards */
	const char *want;	/* names joined by '|', or "" */
};

static const struct tolerant_case tolerant_cases[] = {
	{ "tolerant: valid manifest", "a.bin,b.bin\n", 0, 0, "a.bin|b.bin" },
	{ "tolerant: blanks after commas", "a.bin, b.bin", -1, 1, "a.bin|b.bin" },
	{ "tolerant: two trailing newlines", "a.bin\n\n", -1, 1, "a.bin" },
	{ "tolerant: empty names and duplicates", ",a,,b,a,", -1, 1, "a|b" },
	{ "tolerant: tabs and CR inside", "a\t.bin,\rb", -1, 1, "a.bin|b" },
	{ "tolerant: a path separator stays refused", "a, dir/b", -1, 0, "" },
	{ "tolerant: '..' stays refused", "a,..", -1, 0, "" },
	{ "tolerant: only white space", " \n ", -1, 0, "" },
};

static void
run_tolerant_cases(void)
{
	char dir[] = "/tmp/test_manifest.XXXXXX";
	struct manifest m;
	struct errbuf err;
	int dfd, fd, lenient, rc;

	if (mkdtemp(dir) == NULL || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		tap_ok(0, "mkdtemp");
		return;
	}
	for (size_t i = 0; i < sizeof(tolerant_cases) / sizeof(tolerant_cases[0]); i++) {
		const struct tolerant_case *c = &tolerant_cases[i];
		char *got;

		fd = openat(dfd, "t_files", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		(void)!write(fd, c->text, strlen(c->text));
		close(fd);
		rc = manifest_read_tolerant(dfd, "t_files", &m, &lenient, &err);
		tap_ok(rc == c->rc && lenient == c->lenient, "%s: result", c->name);
		if (rc == -1)
			tap_ok(strncmp(err.msg, "t_files: column ", 16) == 0,
			    "%s: strict error reported", c->name);
		got = join_names(&m);
		tap_str_eq(got, c->want, c->name);
		free(got);
		manifest_free(&m);
	}
	unlinkat(dfd, "t_files", 0);
	close(dfd);
	rmdir(dir);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
		run_parse_case(&parse_cases[i]);
	run_id_cases();
	run_read_cases();
	run_tolerant_cases();
	return tap_done();
}
