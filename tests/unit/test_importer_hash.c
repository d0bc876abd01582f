/*
 * test_importer_hash: copy with sha256, hash records (sha256sum format) and
 * the tree copy's refusals.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "copy_hash.h"

#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct parse_case {
	const char *name;
	const char *text;
	int ok;
	size_t count;
};

static const struct parse_case parse_cases[] = {
	{ "one record", SHA_ABC "  a/b.bin\n", 1, 1 },
	{ "binary marker", SHA_ABC " *a\n", 1, 1 },
	{ "no final newline", SHA_ABC "  a", 1, 1 },
	{ "empty", "", 1, 0 },
	{ "short hash", "abc  a\n", 0, 0 },
	{ "upper case hex", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD  a\n", 0, 0 },
	{ "one space", SHA_ABC " a\n", 0, 0 },
	{ "no name", SHA_ABC "  \n", 0, 0 },
};

static void
test_parse(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct hashlist hl;
		struct errbuf err;
		int rc;

		hashlist_init(&hl);
		rc = hashlist_parse(&hl, c->text, strlen(c->text), &err);
		tap_ok((rc == 0) == c->ok && (!c->ok || hl.count == c->count), "parse: %s", c->name);
		hashlist_free(&hl);
	}
}

static void
test_format(void)
{
	struct hashlist hl;
	char *text;
	size_t len;

	hashlist_init(&hl);
	hashlist_add(&hl, "0/130001/b", SHA_ABC, 3);
	hashlist_add(&hl, "0/130001/a", SHA_EMPTY, 0);
	hashlist_add(&hl, "0/1300010/x", SHA_EMPTY, 0);
	hashlist_add(&hl, "0/130002/c", SHA_ABC, 3);
	hashlist_sort(&hl);
	text = hashlist_format(&hl, "0/130001", &len);
	tap_str_eq(text, SHA_EMPTY "  a\n" SHA_ABC "  b\n", "format below a prefix, sorted");
	tap_ok(len == strlen(text), "format length");
	free(text);
	hashlist_remove(&hl, "0/130001/a");
	text = hashlist_format(&hl, "0/130001", &len);
	tap_str_eq(text, SHA_ABC "  b\n", "record removed");
	free(text);
	hashlist_free(&hl);
}

static void
write_file(int dirfd, const char *name, const char *data)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		abort();
	close(fd);
}

static void
test_copy(const char *dir)
{
	char hex[SHA256_HEX_LEN + 1];
	struct diag *d = diag_create();
	struct hashlist hl;
	struct errbuf err = { "" };
	uint64_t size = 99, total = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY), src, dst;

	hashlist_init(&hl);
	write_file(fd, "abc", "abc");
	tap_ok(copy_hash_file(fd, "abc", fd, "abc.copy", hex, &size, &err) == 0, "copy");
	tap_str_eq(hex, SHA_ABC, "sha256 while copying");
	tap_ok(size == 3, "size");
	tap_ok(copy_hash_file(fd, "abc", fd, "abc.copy", hex, &size, &err) == -1,
	    "existing target refused");
	tap_ok(copy_hash_file(fd, "missing", fd, "m", hex, &size, &err) == -1 &&
	    strstr(err.msg, "missing") != NULL, "missing source named");
	mkdirat(fd, "src", 0755);
	mkdirat(fd, "dst", 0755);
	src = openat(fd, "src", O_RDONLY | O_DIRECTORY);
	dst = openat(fd, "dst", O_RDONLY | O_DIRECTORY);
	mkdirat(src, "arm", 0755);
	write_file(src, "arm/x", "abc");
	write_file(src, "empty", "");
	write_file(src, ".DS_Store", "junk");
	symlinkat("/etc/passwd", src, "link");
	tap_ok(copy_hash_tree(src, dst, "130001", &hl, &total, d, &err) == 0, "tree copied");
	tap_ok(hl.count == 2 && total == 3, "two files, three bytes");
	tap_ok(d->errors == 1 && d->warnings == 1, "link refused, hidden skipped");
	tap_ok(faccessat(dst, "link", F_OK, AT_SYMLINK_NOFOLLOW) == -1, "link not copied");
	total = 0;
	tap_ok(tree_size(src, &total, &err) == 0 && total == 3, "tree size");
	close(src);
	close(dst);
	close(fd);
	hashlist_free(&hl);
	diag_free(d);
}

int
main(void)
{
	char dir[] = "/tmp/test_importer_hash.XXXXXX";

	test_parse();
	test_format();
	if (mkdtemp(dir) == NULL)
		return 99;
	test_copy(dir);
	tap_ok(tree_remove(AT_FDCWD, dir, NULL) == 0 && access(dir, F_OK) == -1, "tree removed");
	return tap_done();
}
