/*
 * conf_file: the "key = value" config file format shared by storesrv and
 * storemirror (conf_file.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_file.h"

static char *
conf_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* One line: "key = value", a comment or blank. */
static int
conf_load_line(char *line, const char *where, conf_file_fn fn, void *arg, struct errbuf *err)
{
	char *eq, *key;

	line = conf_trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (eq == NULL)
		return errbuf_set(err, "%s: expected 'key = value', got '%s'", where, line);
	*eq = '\0';
	key = conf_trim(line);
	if (*key == '\0')
		return errbuf_set(err, "%s: expected 'key = value', the key is missing", where);
	return fn(key, conf_trim(eq + 1), where, arg, err) == 0 ? 0 : -1;
}

int
conf_file_load(const char *path, conf_file_fn fn, void *arg, struct errbuf *err)
{
	char line[CONF_FILE_LINE_MAX + 2], where[PATH_MAX + 32];
	unsigned lineno = 0;
	int rc = 0;
	FILE *fp;

	fp = fopen(path, "re");
	if (fp == NULL)
		return errbuf_set_errno(err, "%s", path);
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (strchr(line, '\n') == NULL && !feof(fp))
			rc = errbuf_set(err, "%s: line longer than %d bytes", where, CONF_FILE_LINE_MAX);
		else
			rc = conf_load_line(line, where, fn, arg, err);
	}
	if (rc == 0 && ferror(fp))
		rc = errbuf_set_errno(err, "%s: read error", path);
	fclose(fp);
	return rc;
}

int
conf_parse_bool(const char *value, int *out)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(value, yes[i]) == 0)
			return *out = 1, 0;
		if (strcmp(value, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

int
conf_parse_size(const char *value, uint64_t *out)
{
	static const struct { char suffix; unsigned shift; } units[] = {
		{ 'k', 10 }, { 'K', 10 }, { 'm', 20 }, { 'M', 20 }, { 'g', 30 }, { 'G', 30 },
	};
	unsigned long long n;
	unsigned shift = 0;
	char *end;

	if (*value < '0' || *value > '9')
		return -1;
	errno = 0;
	n = strtoull(value, &end, 10);
	if (errno != 0)
		return -1;
	for (size_t i = 0; *end != '\0' && i < sizeof(units) / sizeof(units[0]); i++) {
		if (*end == units[i].suffix) {
			shift = units[i].shift;
			end++;
			break;
		}
	}
	if (*end != '\0' || n > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)n << shift;
	return 0;
}
