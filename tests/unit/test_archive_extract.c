/*
 * test_archive_extract: the entry-name checker (a table of named cases) and
 * extraction of crafted archives: links, devices, escapes, duplicates,
 * size and ratio limits.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "../tap.h"
#include "archive_extract.h"
#include "copy_hash.h"

struct path_case {
	const char *name;
	const char *path;
	enum archive_path_status want;
	const char *out;
};

static const struct path_case path_cases[] = {
	{ "plain", "130001/ip222.bin", ARCHIVE_PATH_OK, "130001/ip222.bin" },
	{ "leading ./", "./130001/a", ARCHIVE_PATH_OK, "130001/a" },
	{ "folder slash", "130001/arm/", ARCHIVE_PATH_OK, "130001/arm" },
	{ "absolute", "/etc/passwd", ARCHIVE_PATH_BAD, NULL },
	{ "dotdot", "../x", ARCHIVE_PATH_BAD, NULL },
	{ "dotdot inside", "a/../../x", ARCHIVE_PATH_BAD, NULL },
	{ "dotdot last", "a/..", ARCHIVE_PATH_BAD, NULL },
	{ "dot inside", "a/./b", ARCHIVE_PATH_BAD, NULL },
	{ "empty segment", "a//b", ARCHIVE_PATH_BAD, NULL },
	{ "empty last segment (a//)", "a//", ARCHIVE_PATH_BAD, NULL },
	{ "empty last segments (a///)", "a///", ARCHIVE_PATH_BAD, NULL },
	{ "one trailing slash", "a/", ARCHIVE_PATH_OK, "a" },
	{ "./ then an empty segment", ".//", ARCHIVE_PATH_BAD, NULL },
	{ "backslash", "a\\..\\b", ARCHIVE_PATH_BAD, NULL },
	{ "control char", "a\nb", ARCHIVE_PATH_BAD, NULL },
	{ "DEL", "a/b\x7f", ARCHIVE_PATH_BAD, NULL },
	{ "not UTF-8 (Latin-1)", "a/caf\xe9.png", ARCHIVE_PATH_BAD, NULL },
	{ "not UTF-8 in a folder", "\xff/a", ARCHIVE_PATH_BAD, NULL },
	{ "UTF-8", "a/caf\xc3\xa9.png", ARCHIVE_PATH_OK, "a/caf\xc3\xa9.png" },
	{ "hidden name with a control char", "a/.x\n", ARCHIVE_PATH_BAD, NULL },
	{ "empty", "", ARCHIVE_PATH_BAD, NULL },
	{ "only ./ (tar -C DIR -cf x.tar .)", "./", ARCHIVE_PATH_ROOT, NULL },
	{ "only .", ".", ARCHIVE_PATH_ROOT, NULL },
	{ "././", "././", ARCHIVE_PATH_ROOT, NULL },
	{ "./ then a dot segment", ".//.", ARCHIVE_PATH_BAD, NULL },
	{ "hidden file", "130001/.DS_Store", ARCHIVE_PATH_SKIP, "130001/.DS_Store" },
	{ "macos folder", "__MACOSX/130001/x", ARCHIVE_PATH_SKIP, "__MACOSX/130001/x" },
	{ "dots in name", "a/b..c", ARCHIVE_PATH_OK, "a/b..c" },
};

static void
test_paths(void)
{
	for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];
		char out[ARCHIVE_PATH_MAX + 1] = "";
		const char *why;
		enum archive_path_status st = archive_path_check(c->path, out, sizeof(out), &why);

		tap_ok(st == c->want && (c->out == NULL || strcmp(out, c->out) == 0),
		    "path: %s", c->name);
	}
}

struct verdict_case {
	const char *name;
	const char *path;
	unsigned type;
	int hardlink;
	enum archive_verdict want;
	const char *out;	/* FILE, DIR and SKIP */
	const char *why;	/* SKIP and REFUSE: a substring */
};

static const struct verdict_case verdict_cases[] = {
	{ "file", "130001/ip222.bin", S_IFREG, 0, ARCHIVE_VERDICT_FILE, "130001/ip222.bin", NULL },
	{ "folder", "./130001/arm/", S_IFDIR, 0, ARCHIVE_VERDICT_DIR, "130001/arm", NULL },
	{ "top folder ./", "./", S_IFDIR, 0, ARCHIVE_VERDICT_NONE, NULL, NULL },
	{ "top folder .", ".", S_IFDIR, 0, ARCHIVE_VERDICT_NONE, NULL, NULL },
	{ "top entry a file", "./", S_IFREG, 0, ARCHIVE_VERDICT_REFUSE, NULL,
	  "top entry is not a folder" },
	{ "top entry a symlink", ".", S_IFLNK, 0, ARCHIVE_VERDICT_REFUSE, NULL,
	  "top entry is not a folder" },
	{ "symlink", "130001/l", S_IFLNK, 0, ARCHIVE_VERDICT_REFUSE, NULL, "symbolic link" },
	{ "hard link", "130001/h", S_IFREG, 1, ARCHIVE_VERDICT_REFUSE, NULL, "hard link" },
	{ "hard link to a folder", "130001/h", S_IFDIR, 1, ARCHIVE_VERDICT_REFUSE, NULL,
	  "hard link" },
	{ "character device", "130001/c", S_IFCHR, 0, ARCHIVE_VERDICT_REFUSE, NULL, "device" },
	{ "block device", "130001/b", S_IFBLK, 0, ARCHIVE_VERDICT_REFUSE, NULL, "device" },
	{ "FIFO", "130001/f", S_IFIFO, 0, ARCHIVE_VERDICT_REFUSE, NULL, "special file" },
	{ "socket", "130001/s", S_IFSOCK, 0, ARCHIVE_VERDICT_REFUSE, NULL, "special file" },
	{ "no type", "130001/n", 0, 0, ARCHIVE_VERDICT_REFUSE, NULL, "special file" },
	{ "bad name before the type", "../x", S_IFLNK, 0, ARCHIVE_VERDICT_REFUSE, NULL, "\"..\"" },
	{ "empty segment", "a//", S_IFDIR, 0, ARCHIVE_VERDICT_REFUSE, NULL, "empty path segment" },
	{ "hidden file", "130001/.DS_Store", S_IFREG, 0, ARCHIVE_VERDICT_SKIP,
	  "130001/.DS_Store", "hidden" },
	{ "hidden folder", "__MACOSX/", S_IFDIR, 0, ARCHIVE_VERDICT_SKIP, "__MACOSX", "hidden" },
	{ "hidden symlink is refused, not skipped", "130001/.l", S_IFLNK, 0,
	  ARCHIVE_VERDICT_REFUSE, NULL, "symbolic link" },
};

static void
test_verdicts(void)
{
	for (size_t i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]); i++) {
		const struct verdict_case *c = &verdict_cases[i];
		char out[ARCHIVE_PATH_MAX + 1] = "";
		const char *why = "unset";
		enum archive_verdict v = archive_entry_verdict(c->path, c->type, c->hardlink, out,
		    sizeof(out), &why);
		int ok = v == c->want && (c->out == NULL || strcmp(out, c->out) == 0);

		if (c->why == NULL)
			ok = ok && why == NULL;
		else
			ok = ok && why != NULL && strstr(why, c->why) != NULL;
		tap_ok(ok, "verdict: %s", c->name);
	}
}

/* One entry of a crafted archive. */
struct entry {
	const char *path;
	int type;		/* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, 0 = hard link */
	const char *data;	/* regular files; link target otherwise */
	size_t zeros;		/* extra zero bytes after data */
};

static void
write_archive(const char *file, int gzip, const struct entry *e, size_t n)
{
	struct archive *a = archive_write_new();
	static char zeros[65536];

	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	archive_write_open_filename(a, file);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		size_t len = e[i].data ? strlen(e[i].data) : 0;

		archive_entry_set_pathname(ae, e[i].path);
		archive_entry_set_perm(ae, 0644);
		if (e[i].type == 0) {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, e[i].data);
		} else
			archive_entry_set_filetype(ae, (unsigned)e[i].type);
		if (e[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, e[i].data);
		if (e[i].type == AE_IFREG)
			archive_entry_set_size(ae, (la_int64_t)(len + e[i].zeros));
		archive_write_header(a, ae);
		if (e[i].type == AE_IFREG) {
			archive_write_data(a, e[i].data, len);
			for (size_t z = e[i].zeros; z > 0; ) {
				size_t k = z < sizeof(zeros) ? z : sizeof(zeros);

				archive_write_data(a, zeros, k);
				z -= k;
			}
		}
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static const struct archive_limits limits = { 1024 * 1024 * 64, 100, 1000 };

/* Extracts into a fresh folder; returns the rc and fills d and hl. */
static int
extract(const char *dir, const char *file, const struct archive_limits *lim,
    struct diag *d, struct hashlist *hl, struct errbuf *err)
{
	char *dst;
	int fd, rc;

	dst = malloc(strlen(dir) + 8);
	sprintf(dst, "%s/out", dir);
	mkdir(dst, 0755);
	fd = open(dst, O_RDONLY | O_DIRECTORY);
	rc = archive_extract(file, fd, lim, hl, d, err);
	close(fd);
	tree_remove(AT_FDCWD, dst, NULL);
	free(dst);
	return rc;
}

static int
diag_has(const struct diag *d, const char *where, const char *msg)
{
	for (size_t i = 0; i < d->count; i++) {
		if (strcmp(d->entries[i].where, where) == 0 && strstr(d->entries[i].message, msg))
			return 1;
	}
	return 0;
}

static void
test_good(const char *dir)
{
	const struct entry e[] = {
		{ "130001/", AE_IFDIR, NULL, 0 },
		{ "130001/ip222_files", AE_IFREG, "ip222.bin,boot222.bin", 0 },
		{ "130001/ip222.bin", AE_IFREG, "abc", 0 },
		{ "130001/.hidden", AE_IFREG, "x", 0 },
	};
	char file[512];
	struct diag *d = diag_create();
	struct hashlist hl;
	struct errbuf err;

	hashlist_init(&hl);
	snprintf(file, sizeof(file), "%s/good.tar.gz", dir);
	write_archive(file, 1, e, 4);
	tap_ok(extract(dir, file, &limits, d, &hl, &err) == 0 && d->errors == 0, "good archive");
	tap_ok(hl.count == 2, "two files hashed");
	hashlist_sort(&hl);
	tap_str_eq(hl.count == 2 ? hl.recs[0].hex : NULL,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
	tap_ok(d->warnings == 1 && diag_has(d, "130001/.hidden", "skipped"), "hidden skipped");
	hashlist_free(&hl);
	diag_free(d);
}

static void
test_refusals(const char *dir)
{
	const struct entry e[] = {
		{ "link", AE_IFLNK, "/etc/passwd", 0 },
		{ "hard", 0, "link", 0 },
		{ "dev", AE_IFCHR, NULL, 0 },
		{ "/abs", AE_IFREG, "x", 0 },
		{ "../up", AE_IFREG, "x", 0 },
		{ "a/ok", AE_IFREG, "x", 0 },
		{ "a/ok", AE_IFREG, "y", 0 },
	};
	char file[512];
	struct diag *d = diag_create();
	struct hashlist hl;
	struct errbuf err;
	int rc;

	hashlist_init(&hl);
	snprintf(file, sizeof(file), "%s/bad.tar", dir);
	write_archive(file, 0, e, 7);
	rc = extract(dir, file, &limits, d, &hl, &err);
	tap_ok(rc == 0, "refusals reported, not fatal");
	tap_ok(diag_has(d, "link", "symbolic link"), "symlink refused");
	tap_ok(diag_has(d, "hard", "hard link"), "hard link refused");
	tap_ok(diag_has(d, "dev", "device"), "device refused");
	tap_ok(diag_has(d, "/abs", "absolute"), "absolute path refused");
	tap_ok(diag_has(d, "../up", "\"..\""), "dotdot refused");
	tap_ok(diag_has(d, "a/ok", "duplicate"), "duplicate refused");
	tap_ok(d->errors == 6 && hl.count == 1, "all six reported, one file kept");
	hashlist_free(&hl);
	diag_free(d);
}

/* Entries that clash with a file of the archive (x.bin, then x.bin/y) and
 * names the rule refuses: refusals naming entry and archive, not I/O
 * errors; names shown escaped. */
static void
test_clashes(const char *dir)
{
	const struct entry e[] = {
		{ "130001/x.bin", AE_IFREG, "x", 0 },
		{ "130001/x.bin/y", AE_IFREG, "y", 0 },
		{ "130001/z", AE_IFREG, "z", 0 },
		{ "130001/z/", AE_IFDIR, NULL, 0 },
		{ "130001/a\nb", AE_IFREG, "n", 0 },
		{ "130001/caf\xe9", AE_IFREG, "l", 0 },
		{ "130001/ok", AE_IFREG, "ok", 0 },
	};
	char file[512];
	struct diag *d = diag_create();
	struct hashlist hl;
	struct errbuf err = { "" };
	int rc;

	hashlist_init(&hl);
	snprintf(file, sizeof(file), "%s/clash.tar", dir);
	write_archive(file, 0, e, sizeof(e) / sizeof(e[0]));
	rc = extract(dir, file, &limits, d, &hl, &err);
	tap_ok(rc == 0, "clash: a refusal, not an I/O error (%s)", err.msg);
	tap_ok(diag_has(d, "130001/x.bin/y", "130001/x.bin is a file of the archive, not a folder"),
	    "clash: file under a file refused, the file named");
	tap_ok(diag_has(d, "130001/x.bin/y", file), "clash: the archive named");
	tap_ok(diag_has(d, "130001/z", "130001/z is a file of the archive, not a folder"),
	    "clash: folder over a file refused");
	tap_ok(diag_has(d, "130001/a\\x0ab", "control character in name"),
	    "control character refused, shown escaped");
	tap_ok(diag_has(d, "130001/caf\\xe9", "not valid UTF-8"),
	    "non-UTF-8 name refused, shown escaped");
	tap_ok(d->errors == 4 && hl.count == 3, "clash: four refused, three files kept");
	hashlist_free(&hl);
	diag_free(d);
}

static void
test_limits(const char *dir)
{
	const struct entry big[] = { { "130001/big", AE_IFREG, "x", 3 * 1024 * 1024 } };
	struct archive_limits small = { 1024 * 1024, 100000, 1000 };
	struct archive_limits ratio = { 1ULL << 40, 10, 1000 };
	struct archive_limits few = { 1ULL << 40, 100000, 1 };
	char file[512];
	struct diag *d = diag_create();
	struct hashlist hl;
	struct errbuf err = { "" };

	hashlist_init(&hl);
	snprintf(file, sizeof(file), "%s/bomb.tar.gz", dir);
	write_archive(file, 1, big, 1);
	tap_ok(extract(dir, file, &small, d, &hl, &err) == 0 && d->errors == 1 &&
	    diag_has(d, file, "--max-archive-bytes"), "total size limited");
	tap_ok(extract(dir, file, &ratio, d, &hl, &err) == 0 && d->errors == 2 &&
	    diag_has(d, file, "--max-ratio"), "compression ratio limited");
	tap_ok(extract(dir, file, &few, d, &hl, &err) == 0 && d->errors == 2,
	    "one entry within the count");
	snprintf(file, sizeof(file), "%s/good.tar.gz", dir);
	tap_ok(extract(dir, file, &few, d, &hl, &err) == 0 && d->errors == 3 &&
	    diag_has(d, file, "entries"), "entry count limited");
	snprintf(file, sizeof(file), "%s/not-an-archive", dir);
	close(open(file, O_WRONLY | O_CREAT, 0644));
	tap_ok(extract(dir, file, &few, d, &hl, &err) == -1 && err.msg[0] != '\0',
	    "unreadable archive is an error");
	tap_ok(!archive_is_archive(file), "empty file is no archive");
	snprintf(file, sizeof(file), "%s/good.tar.gz", dir);
	tap_ok(archive_is_archive(file), "tar.gz is an archive");
	hashlist_free(&hl);
	diag_free(d);
}

int
main(void)
{
	char dir[] = "/tmp/test_archive_extract.XXXXXX";

	test_paths();
	test_verdicts();
	if (mkdtemp(dir) == NULL)
		return 99;
	test_good(dir);
	test_refusals(dir);
	test_clashes(dir);
	test_limits(dir);
	tree_remove(AT_FDCWD, dir, NULL);
	return tap_done();
}
