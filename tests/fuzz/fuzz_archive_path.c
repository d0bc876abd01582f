/*
 * fuzz_archive_path: libFuzzer harness of archive_path_check() and
 * archive_entry_verdict(), the pure functions that judge an archive entry
 * before anything is written (archive_extract.h).  The input, up to its
 * first NUL, is an entry name; the byte after that NUL, when there is one,
 * gives the entry's type (its low bits) and whether it is a hard link (0x80).
 *
 * The contract checked on every input:
 *  - an accepted name (OK or SKIP) comes out canonical: not empty, relative,
 *    at most ARCHIVE_PATH_MAX bytes, every segment non-empty, not "." nor
 *    "..", at most 255 bytes, free of backslashes and control characters;
 *    so joined below a folder it can never leave it;
 *  - it is the input without its leading "./" pairs and at most one
 *    trailing '/' (nothing else is rewritten: "a//", like "a//b", is
 *    refused for its empty segment), SKIP exactly when a segment starts
 *    with '.' or is "__MACOSX", and checking it again gives the same
 *    verdict;
 *  - ROOT only for "./" pairs with an optional final ".";
 *  - a refusal says why; an acceptance does not;
 *  - an ASCII name made of valid segments (the reference model below) is
 *    accepted;
 *  - the output buffer is never overrun, whatever its size (the calls with
 *    an exact-size and a tiny heap buffer let ASan see every byte);
 *  - the entry's verdict follows from the name's: a top entry ("./") is
 *    nothing to do when it is a folder and refused otherwise; a refused
 *    name is refused for the same reason; then hard links and every type
 *    but files and folders are refused; then hidden names are skipped; a
 *    file is written and a folder made under the name's canonical form.
 *    A reason is given exactly for SKIP and REFUSE.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive_extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEGMENT_MAX	255

/* The reference model of one segment: 0 when it is valid. */
static int
segment_invalid(const char *s, size_t len)
{
	if (len == 0 || len > SEGMENT_MAX)
		return 1;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			return 1;
	}
	return 0;
}

static int
segment_hidden(const char *s, size_t len)
{
	return s[0] == '.' || (len == 8 && memcmp(s, "__MACOSX", 8) == 0);
}

/* Walks the segments of `p` (up to `end`): -1 when one is invalid, else
 * whether one is hidden. */
static int
segments_walk(const char *p, const char *end)
{
	int hidden = 0;

	for (;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t len = slash ? (size_t)(slash - p) : (size_t)(end - p);

		if (segment_invalid(p, len))
			return -1;
		hidden |= segment_hidden(p, len);
		if (slash == NULL)
			return hidden;
		p = slash + 1;
	}
}

static const char *
strip_leading_dot_slash(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	return p;
}

static void
check_accepted(const char *path, const char *out, enum archive_path_status st,
    const char *why)
{
	const char *rest = strip_leading_dot_slash(path);
	size_t olen = strlen(out);
	char again[ARCHIVE_PATH_MAX + 1];
	const char *why2;
	int hidden;

	if (why != NULL || olen == 0 || olen > ARCHIVE_PATH_MAX || out[0] == '/')
		abort();
	if ((hidden = segments_walk(out, out + olen)) == -1)
		abort();	/* "..", ".", empty, backslash, control character */
	if ((st == ARCHIVE_PATH_SKIP) != (hidden == 1))
		abort();
	/* Only the leading "./" pairs and one trailing slash are removed. */
	if (strncmp(rest, out, olen) != 0 || strlen(rest + olen) > 1 ||
	    (rest[olen] != '\0' && rest[olen] != '/'))
		abort();
	if (archive_path_check(out, again, sizeof(again), &why2) != st || strcmp(again, out) != 0)
		abort();
}

/* The reference model: a name the function must accept.  Only ASCII names
 * are judged: bytes above 0x7f are accepted or refused by the UTF-8 rule of
 * the published names (build_check.h), which the harness leaves to the
 * function. */
static int
model_accepts(const char *path)
{
	const char *p = strip_leading_dot_slash(path);
	size_t len = strlen(p);

	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)p[i] > 0x7f)
			return 0;
	}
	if (len > 0 && p[len - 1] == '/')
		len--;	/* a folder's trailing '/' */
	return len > 0 && len <= ARCHIVE_PATH_MAX && p[0] != '/' && segments_walk(p, p + len) != -1;
}

static int
model_root(const char *path)
{
	const char *p = strip_leading_dot_slash(path);

	return path[0] != '\0' && (p[0] == '\0' || strcmp(p, ".") == 0);
}

/* One call with an output buffer of exactly `outsz` heap bytes. */
static enum archive_path_status
check_sized(const char *path, size_t outsz, enum archive_path_status full, const char *fullout)
{
	char *out = malloc(outsz > 0 ? outsz : 1);
	enum archive_path_status st;
	const char *why = NULL;

	st = archive_path_check(path, out, outsz, &why);
	/* Enough room: the same verdict; too little: only "path too long". */
	if (st != full && (st != ARCHIVE_PATH_BAD || why == NULL))
		abort();
	if ((st == ARCHIVE_PATH_OK || st == ARCHIVE_PATH_SKIP) && strcmp(out, fullout) != 0)
		abort();
	/* archive_path_check() wants one byte more than the name and its NUL. */
	if (outsz > strlen(fullout) + 1 && st != full)
		abort();
	free(out);
	return st;
}

/* The types an entry may have: the two extracted, the refused ones, and
 * values libarchive never gives. */
static const unsigned entry_types[] = {
	S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, 0, 0170000, 1,
};

/* archive_entry_verdict() against the name's verdict `st` (and `out`). */
static void
check_verdict(const char *path, enum archive_path_status st, const char *pathwhy,
    const char *pathout, uint8_t sel)
{
	unsigned type = entry_types[(sel & 0x7f) % (sizeof(entry_types) / sizeof(entry_types[0]))];
	int hardlink = (sel & 0x80) != 0, kept = type == S_IFREG || type == S_IFDIR;
	char out[ARCHIVE_PATH_MAX + 1];
	enum archive_verdict v, want;
	const char *why = (const char *)1;

	v = archive_entry_verdict(path, type, hardlink, out, sizeof(out), &why);
	if (st == ARCHIVE_PATH_ROOT)
		want = type == S_IFDIR ? ARCHIVE_VERDICT_NONE : ARCHIVE_VERDICT_REFUSE;
	else if (st == ARCHIVE_PATH_BAD || hardlink || !kept)
		want = ARCHIVE_VERDICT_REFUSE;
	else if (st == ARCHIVE_PATH_SKIP)
		want = ARCHIVE_VERDICT_SKIP;
	else
		want = type == S_IFREG ? ARCHIVE_VERDICT_FILE : ARCHIVE_VERDICT_DIR;
	if (v != want)
		abort();
	if ((why != NULL) != (v == ARCHIVE_VERDICT_SKIP || v == ARCHIVE_VERDICT_REFUSE))
		abort();
	if (why != NULL && why[0] == '\0')
		abort();
	if (st == ARCHIVE_PATH_BAD && strcmp(why, pathwhy) != 0)
		abort();
	if ((v == ARCHIVE_VERDICT_FILE || v == ARCHIVE_VERDICT_DIR || v == ARCHIVE_VERDICT_SKIP) &&
	    strcmp(out, pathout) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = malloc(size + 1), out[ARCHIVE_PATH_MAX + 1];
	enum archive_path_status st;
	const char *why = (const char *)1;
	size_t namelen;

	memcpy(path, data, size);
	path[size] = '\0';	/* libarchive names are C strings */
	out[0] = '\0';
	st = archive_path_check(path, out, sizeof(out), &why);
	switch (st) {
	case ARCHIVE_PATH_OK:
	case ARCHIVE_PATH_SKIP:
		check_accepted(path, out, st, why);
		break;
	case ARCHIVE_PATH_ROOT:
		if (why != NULL || !model_root(path))
			abort();
		out[0] = '\0';
		break;
	case ARCHIVE_PATH_BAD:
		if (why == NULL || why[0] == '\0' || model_accepts(path) || model_root(path))
			abort();
		out[0] = '\0';
		break;
	default:
		abort();
	}
	namelen = strlen(path);
	check_verdict(path, st, why, out, namelen + 1 < size ? data[namelen + 1] : 0);
	if (st != ARCHIVE_PATH_ROOT && model_root(path))
		abort();
	if (model_accepts(path) && st != ARCHIVE_PATH_OK && st != ARCHIVE_PATH_SKIP)
		abort();
	/* The same name with a buffer just large enough (a canonical name is
	 * never longer than the input) and with a tiny one. */
	check_sized(path, strlen(path) + 2, st, out);
	check_sized(path, size > 0 ? data[0] % 8 : 0, st, out);
	free(path);
	return 0;
}
