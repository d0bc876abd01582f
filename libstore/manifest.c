/*
 * manifest: parse the one-line `<id>_files` manifests of build folders; see
 * manifest.h for the accepted grammar and every refusal.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fs_open.h"
#include "manifest.h"
#include "store_layout.h"
#include "xmalloc.h"

#define MANIFEST_NAME_MAX	255

/* Length of the text without its one tolerated final "\n" or "\r\n". */
static size_t
manifest_body_len(const char *text, size_t len)
{
	if (len >= 2 && text[len - 2] == '\r' && text[len - 1] == '\n')
		return len - 2;
	if (len >= 1 && text[len - 1] == '\n')
		return len - 1;
	return len;
}

static int
manifest_char_bad(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

/* Checks one name of `n` bytes starting at 0-based offset `off`. */
static int
manifest_check_name(const char *name, size_t n, size_t off, struct errbuf *err)
{
	if (n == 0)
		return errbuf_set(err, "column %zu: empty file name", off + 1);
	if (n > MANIFEST_NAME_MAX)
		return errbuf_set(err, "column %zu: file name longer than %d bytes",
		    off + 1, MANIFEST_NAME_MAX);
	if (name[0] == '.') {
		if (n == 1 || (n == 2 && name[1] == '.'))
			return errbuf_set(err, "column %zu: \"%.*s\" is not a file name",
			    off + 1, (int)n, name);
		return errbuf_set(err, "column %zu: file name starts with '.'", off + 1);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (manifest_char_bad(c))
			return errbuf_set(err, "column %zu: %s in file name", off + i + 1,
			    c == ' ' || c == '\t' ? "white space" : "control character");
		if (c == '/' || c == '\\')
			return errbuf_set(err, "column %zu: '%c' in file name", off + i + 1, c);
	}
	return 0;
}

static int
manifest_add_name(struct manifest *m, const char *name, size_t n, size_t off,
    struct errbuf *err)
{
	if (m->count == MANIFEST_MAX_NAMES)
		return errbuf_set(err, "column %zu: more than %d file names", off + 1,
		    MANIFEST_MAX_NAMES);
	for (size_t i = 0; i < m->count; i++) {
		if (strlen(m->names[i]) == n && memcmp(m->names[i], name, n) == 0)
			return errbuf_set(err, "column %zu: duplicate file name \"%.*s\"",
			    off + 1, (int)n, name);
	}
	if ((m->count & (m->count - 1)) == 0)
		m->names = xreallocarray(m->names, m->count ? m->count * 2 : 1, sizeof(char *));
	m->names[m->count++] = xstrndup(name, n);
	return 0;
}

int
manifest_parse(const char *text, size_t len, struct manifest *out, struct errbuf *err)
{
	struct manifest m = { NULL, 0 };
	size_t body, start = 0;

	out->names = NULL;
	out->count = 0;
	if (len > MANIFEST_MAX_BYTES)
		return errbuf_set(err, "longer than %d bytes", MANIFEST_MAX_BYTES);
	body = manifest_body_len(text, len);
	if (body == 0)
		return errbuf_set(err, "column 1: empty manifest");
	for (size_t i = 0; i <= body; i++) {
		if (i < body && text[i] != ',')
			continue;
		if (manifest_check_name(text + start, i - start, start, err) == -1 ||
		    manifest_add_name(&m, text + start, i - start, start, err) == -1) {
			manifest_free(&m);
			return -1;
		}
		start = i + 1;
	}
	*out = m;
	return 0;
}

/* The names of a manifest that fails the strict rules, read as a person
 * would: white space and control characters dropped, empty names skipped,
 * duplicates merged.  Each name must still be valid on its own.  Used only
 * to go on checking files after the syntax error was reported, never to
 * accept a manifest. */
int
manifest_parse_lenient(const char *text, size_t len, struct manifest *out)
{
	struct manifest one = { NULL, 0 };
	char *norm = xmalloc(len + 1), *save = NULL, *tok;
	struct errbuf ignored;
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)text[i] > 0x20 && text[i] != 0x7f)
			norm[n++] = text[i];
	}
	norm[n] = '\0';
	out->names = NULL;
	out->count = 0;
	for (tok = strtok_r(norm, ",", &save); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, ",", &save)) {
		if (manifest_contains(out, tok))
			continue;
		rc = manifest_parse(tok, strlen(tok), &one, &ignored);
		manifest_free(&one);
		out->names = xreallocarray(out->names, out->count + 1, sizeof(char *));
		out->names[out->count++] = xstrdup(tok);
	}
	if (rc == -1 || out->count == 0) {
		manifest_free(out);
		rc = -1;
	}
	free(norm);
	return rc;
}

static int
manifest_read_mode(int dirfd, const char *name, struct manifest *out, int *lenient,
    struct errbuf *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	out->names = NULL;
	out->count = 0;
	if (fs_read_at(dirfd, name, 0, MANIFEST_MAX_BYTES, &buf, &len, err) == -1)
		goto out;
	if (manifest_parse(buf, len, out, err) == -1) {
		if (lenient != NULL && manifest_parse_lenient(buf, len, out) == 0)
			*lenient = 1;
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		errbuf_prefix(err, "%s", name);
	free(buf);
	return rc;
}

int
manifest_read(int dirfd, const char *name, struct manifest *out, struct errbuf *err)
{
	return manifest_read_mode(dirfd, name, out, NULL, err);
}

int
manifest_read_tolerant(int dirfd, const char *name, struct manifest *out, int *lenient,
    struct errbuf *err)
{
	*lenient = 0;
	return manifest_read_mode(dirfd, name, out, lenient, err);
}

void
manifest_free(struct manifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->count; i++)
		free(m->names[i]);
	free(m->names);
	m->names = NULL;
	m->count = 0;
}

int
manifest_name_to_id(const char *name, char *id, size_t idsz)
{
	size_t len, suffix = strlen(STORE_MANIFEST_SUFFIX), idlen;
	char buf[128];

	if (name == NULL)
		return 0;
	len = strlen(name);
	if (len <= suffix || strcmp(name + len - suffix, STORE_MANIFEST_SUFFIX) != 0)
		return 0;
	idlen = len - suffix;
	if (idlen >= sizeof(buf))
		return 0;
	memcpy(buf, name, idlen);
	buf[idlen] = '\0';
	if (!store_item_id_valid(buf))
		return 0;
	if (id != NULL) {
		if (idlen >= idsz)
			return 0;
		memcpy(id, buf, idlen + 1);
	}
	return 1;
}

int
manifest_contains(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->count; i++) {
		if (strcmp(m->names[i], name) == 0)
			return 1;
	}
	return 0;
}
