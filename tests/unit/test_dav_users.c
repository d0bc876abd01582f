/*
 * test_dav_users: table tests of the WebDAV users file and its scrypt
 * hashes (dav_users.h) and of Basic authentication (dav_auth.h): the hash
 * format, vectors from Python's hashlib.scrypt, verification of good, bad
 * and unknown users, malformed hash strings, file parse errors naming
 * FILE:LINE, comments kept on rewrite, the header parser, the plain-HTTP
 * rule and the failure limiter with an injected clock.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../tap.h"
#include "dav_auth.h"
#include "dav_users.h"
#include "fs_open.h"

/* Two vectors computed with Python's hashlib.scrypt (salt 00..0f). */
#define VECTOR_1	"$scrypt$1024$8$1$AAECAwQFBgcICQoLDA0ODw==$" \
	"nfkj3u1fRTHCea+fVr03sWV770kp5wLOLoEakziKhqE="
#define VECTOR_2	"$scrypt$2048$4$2$AAECAwQFBgcICQoLDA0ODw==$" \
	"kfyUhAjidQyNh7OsVQG2DzU/rxzJ+UpKfN1toW2H//M="
#define SALT16		"AAECAwQFBgcICQoLDA0ODw=="
#define DIGEST32	"nfkj3u1fRTHCea+fVr03sWV770kp5wLOLoEakziKhqE="

struct verify_case {
	const char	*name;
	const char	*hash;
	const char	*password;
	int		 want;
};

static const struct verify_case verify_cases[] = {
	{ "python vector 1, right password", VECTOR_1, "correct horse", 1 },
	{ "python vector 1, wrong password", VECTOR_1, "correct horsE", 0 },
	{ "python vector 1, prefix of the password", VECTOR_1, "correct hors", 0 },
	{ "python vector 2 (N 2048 r 4 p 2, UTF-8)", VECTOR_2, "pw-\xc3\xa4", 1 },
	{ "python vector 2, wrong password", VECTOR_2, "pw-a", 0 },
};

struct malformed_case {
	const char	*name;
	const char	*hash;
	const char	*want_error;
};

static const struct malformed_case malformed_cases[] = {
	{ "empty", "", "not a $scrypt$ hash" },
	{ "other scheme", "$2y$10$abcdefghijklmnopqrstuv", "not a $scrypt$ hash" },
	{ "N not a power of two", "$scrypt$1000$8$1$" SALT16 "$" DIGEST32, "power of two" },
	{ "N too small", "$scrypt$512$8$1$" SALT16 "$" DIGEST32, "power of two" },
	{ "N too large", "$scrypt$2097152$8$1$" SALT16 "$" DIGEST32, "power of two" },
	{ "N overflowing", "$scrypt$99999999999999999999999$8$1$" SALT16 "$" DIGEST32,
	    "power of two" },
	{ "N with a leading zero", "$scrypt$01024$8$1$" SALT16 "$" DIGEST32, "power of two" },
	{ "r zero", "$scrypt$1024$0$1$" SALT16 "$" DIGEST32, "scrypt r" },
	{ "r too large", "$scrypt$1024$33$1$" SALT16 "$" DIGEST32, "scrypt r" },
	{ "p missing", "$scrypt$1024$8$$" SALT16 "$" DIGEST32, "scrypt p" },
	{ "p too large", "$scrypt$1024$8$17$" SALT16 "$" DIGEST32, "scrypt p" },
	{ "memory over 256 MiB", "$scrypt$1048576$32$1$" SALT16 "$" DIGEST32, "MiB" },
	{ "salt too short", "$scrypt$1024$8$1$AAECAwQFBgcICQoLDA0O$" DIGEST32, "salt" },
	{ "salt not base64", "$scrypt$1024$8$1$AAECAwQFBgcICQoLDA0O*w==$" DIGEST32, "salt" },
	{ "no hash field", "$scrypt$1024$8$1$" SALT16, "salt" },
	{ "hash too short", "$scrypt$1024$8$1$" SALT16 "$AAECAwQFBgcICQoLDA0ODw==", "the hash" },
	{ "hash with trailing junk", "$scrypt$1024$8$1$" SALT16 "$" DIGEST32 "$", "the hash" },
	{ "hash with a space", "$scrypt$1024$8$1$" SALT16 "$ " DIGEST32, "the hash" },
	{ "hash with bad padding bits", "$scrypt$1024$8$1$" SALT16
	    "$nfkj3u1fRTHCea+fVr03sWV770kp5wLOLoEakziKhqF=", "the hash" },
};

struct file_case {
	const char	*name;
	const char	*text;
	const char	*want_error;	/* NULL: parses */
	size_t		 want_users;
};

#define GOOD_LINE(n, role)	n ":" role ":" VECTOR_1 "\n"

static const struct file_case file_cases[] = {
	{ "empty file", "", NULL, 0 },
	{ "comments and blank lines", "# users\n\n   \n\t# more\n", NULL, 0 },
	{ "two users, no final newline", GOOD_LINE("a", "ro") "b:rw:" VECTOR_2, NULL, 2 },
	{ "bad role", "# c\n" GOOD_LINE("a", "ro") "b:admin:" VECTOR_1 "\n",
	    "users:3: user b: role 'admin' is neither ro nor rw", 0 },
	{ "missing field", GOOD_LINE("a", "ro") "b:rw\n", "users:2: not name:role:hash", 0 },
	{ "bad name", "b c:rw:" VECTOR_1 "\n", "users:1: user name 'b c' is not", 0 },
	{ "name starting with a dot", ".b:rw:" VECTOR_1 "\n", "users:1: user name '.b'", 0 },
	{ "empty name", ":rw:" VECTOR_1 "\n", "users:1: user name ''", 0 },
	{ "duplicate", GOOD_LINE("a", "ro") "\n" GOOD_LINE("a", "rw"), "users:3: user a: listed twice",
	    0 },
	{ "broken hash", "\n\n\n\na:rw:$scrypt$1024$8$1$x$y\n", "users:5: user a: the salt", 0 },
	{ "CR LF line", "a:rw:" VECTOR_1 "\r\n", "users:1: NUL or CR", 0 },
	{ "NUL byte", "# a\0b\n", "users:1: NUL or CR", 0 },
};

static void
test_hash_format(void)
{
	char h1[DAV_HASH_STRING_MAX], h2[DAV_HASH_STRING_MAX];
	struct errbuf err;
	int rc1, rc2;

	rc1 = dav_hash_password("s3cret", 6, h1, sizeof(h1), &err);
	rc2 = dav_hash_password("s3cret", 6, h2, sizeof(h2), &err);
	tap_ok(rc1 == 0 && rc2 == 0, "hash: two hashes made");
	tap_ok(strncmp(h1, "$scrypt$32768$8$1$", 18) == 0, "hash: default parameters in the string");
	tap_ok(strlen(h1) == 18 + 24 + 1 + 44, "hash: 16-byte salt and 32-byte hash in base64");
	tap_ok(strcmp(h1, h2) != 0, "hash: a fresh salt each time");
	tap_ok(dav_hash_check(h1, &err) == 0, "hash: own output is well formed");
	tap_ok(dav_hash_verify(h1, "s3cret", 6, &err) == 1, "hash: verifies with the password");
	tap_ok(dav_hash_verify(h1, "s3creT", 6, &err) == 0, "hash: refuses another password");
	tap_ok(dav_hash_password("", 0, h1, sizeof(h1), &err) == -1, "hash: empty password refused");
	tap_ok(dav_hash_password("a\nb", 3, h1, sizeof(h1), &err) == -1,
	    "hash: password with a newline refused");
	tap_ok(dav_hash_password("s3cret", 6, h1, 40, &err) == -1, "hash: too small a buffer refused");
}

static void
test_verify(void)
{
	struct errbuf err;

	for (size_t i = 0; i < sizeof(verify_cases) / sizeof(verify_cases[0]); i++) {
		const struct verify_case *c = &verify_cases[i];

		tap_ok(dav_hash_verify(c->hash, c->password, strlen(c->password), &err) == c->want,
		    "verify: %s", c->name);
	}
	for (size_t i = 0; i < sizeof(malformed_cases) / sizeof(malformed_cases[0]); i++) {
		const struct malformed_case *c = &malformed_cases[i];
		int rc;

		err.msg[0] = '\0';
		rc = dav_hash_verify(c->hash, "x", 1, &err);
		tap_ok(rc == -1 && strstr(err.msg, c->want_error) != NULL, "malformed hash: %s", c->name);
		if (rc != -1 || strstr(err.msg, c->want_error) == NULL)
			printf("#   rc %d, error '%s'\n", rc, err.msg);
	}
}

static void
test_file_parse(void)
{
	for (size_t i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++) {
		const struct file_case *c = &file_cases[i];
		size_t len = strlen(c->text);
		struct dav_users *u;
		struct errbuf err;

		if (strcmp(c->name, "NUL byte") == 0)
			len = 6;
		err.msg[0] = '\0';
		u = dav_users_parse(c->text, len, "users", &err);
		if (c->want_error == NULL)
			tap_ok(u != NULL && dav_users_count(u) == c->want_users, "file: %s", c->name);
		else
			tap_ok(u == NULL && strncmp(err.msg, c->want_error, strlen(c->want_error)) == 0,
			    "file: %s", c->name);
		if (u == NULL && c->want_error == NULL)
			printf("#   error '%s'\n", err.msg);
		if (u == NULL && c->want_error != NULL &&
		    strncmp(err.msg, c->want_error, strlen(c->want_error)) != 0)
			printf("#   got '%s'\n", err.msg);
		dav_users_free(u);
	}
}

static void
test_file_limits(void)
{
	size_t n = DAV_USERS_COUNT_MAX + 1, per = 128, len = 0;
	char *text = malloc(n * per), *big;
	struct dav_users *u;
	struct errbuf err;

	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "u%zu:ro:" VECTOR_1 "\n", i);
	u = dav_users_parse(text, len, "many", &err);
	tap_ok(u == NULL && strstr(err.msg, "many:10001: more than 10000 users") != NULL,
	    "limit: 10,001 users refused at the line of the 10,001st");
	dav_users_free(u);
	free(text);
	big = malloc(DAV_USERS_FILE_MAX + 2);
	memset(big, '#', DAV_USERS_FILE_MAX + 1);
	u = dav_users_parse(big, DAV_USERS_FILE_MAX + 1, "big", &err);
	tap_ok(u == NULL && strstr(err.msg, "big: longer than") != NULL, "limit: file over 1 MiB");
	dav_users_free(u);
	u = dav_users_parse(big, DAV_USERS_LINE_MAX + 1, "long", &err);
	tap_ok(u == NULL && strstr(err.msg, "long:1: line longer than 1024") != NULL,
	    "limit: line over 1024 bytes");
	dav_users_free(u);
	free(big);
}

/* Users a (ro, VECTOR_1: "correct horse") and b (rw, VECTOR_2). */
static struct dav_users *
two_users(void)
{
	static const char text[] = "# team\n" GOOD_LINE("a", "ro") "\n" "b:rw:" VECTOR_2 "\n";

	return dav_users_parse(text, strlen(text), "two", NULL);
}

static void
test_check(void)
{
	struct dav_users *u = two_users();
	char big[DAV_PASSWORD_MAX + 2];

	tap_ok(dav_users_check(u, "a", "correct horse", 13) == DAV_ROLE_RO, "check: ro user, good");
	tap_ok(dav_users_check(u, "b", "pw-\xc3\xa4", 5) == DAV_ROLE_RW, "check: rw user, good");
	tap_ok(dav_users_check(u, "a", "pw-\xc3\xa4", 5) == DAV_ROLE_NONE,
	    "check: another user's password");
	tap_ok(dav_users_check(u, "c", "correct horse", 13) == DAV_ROLE_NONE, "check: unknown user");
	tap_ok(dav_users_check(u, "a", "correct horse", 12) == DAV_ROLE_NONE,
	    "check: length counts");
	memset(big, 'x', sizeof(big));
	tap_ok(dav_users_check(u, "a", big, sizeof(big)) == DAV_ROLE_NONE,
	    "check: password over 1024 bytes");
	dav_users_free(u);
}

static double
seconds_of_check(const struct dav_users *u, const char *name)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)dav_users_check(u, name, "wrong horse", 11);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* A generous lower bound, the feature being "no cheaper answer": an unknown
 * name costs at least a quarter of a known one (both do one scrypt; without
 * the dummy hash, the unknown name would take microseconds). */
static void
test_unknown_costs_the_same(void)
{
	static const char text[] = "k:ro:$scrypt$32768$8$1$" SALT16 "$" DIGEST32 "\n";
	struct dav_users *u = dav_users_parse(text, strlen(text), "k", NULL);
	double known = 1e9, unknown = 1e9;

	for (int i = 0; i < 3; i++) {
		double k = seconds_of_check(u, "k"), n = seconds_of_check(u, "nobody");

		known = k < known ? k : known;
		unknown = n < unknown ? n : unknown;
	}
	tap_ok(u != NULL && unknown >= known / 4, "check: an unknown name does a scrypt too");
	printf("#   known %.4f s, unknown %.4f s\n", known, unknown);
	dav_users_free(u);
}

static void
test_edit_and_save(void)
{
	char dir[] = "/tmp/test_dav_users.XXXXXX", path[64], *text = NULL;
	struct dav_users *u = two_users(), *back = NULL;
	struct errbuf err;
	struct stat st;
	size_t len;

	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "save: mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/users", dir);
	tap_ok(dav_users_add(u, "a", DAV_ROLE_RW, "x", 1, 0, &err) == -1 &&
	    strstr(err.msg, "user a exists already") != NULL, "add: an existing name is refused");
	tap_ok(dav_users_add(u, "a", DAV_ROLE_RW, "new pw", 6, 1, &err) == 0,
	    "add: --replace changes it");
	tap_ok(dav_users_add(u, "-x", DAV_ROLE_RW, "pw", 2, 0, &err) == -1, "add: bad name refused");
	tap_ok(dav_users_add(u, "c", DAV_ROLE_RO, "pw c", 4, 0, &err) == 0, "add: new user");
	tap_ok(dav_users_remove(u, "b", &err) == 0, "remove: b");
	tap_ok(dav_users_remove(u, "b", &err) == -1 && strstr(err.msg, "no user b") != NULL,
	    "remove: again is an error");
	tap_ok(dav_users_save(u, path, &err) == 0, "save: written");
	tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "save: mode 0600");
	back = dav_users_load(path, 0, &err);
	tap_ok(back != NULL && dav_users_count(back) == 2 &&
	    strcmp(dav_users_name(back, 0), "a") == 0 && dav_users_role(back, 0) == DAV_ROLE_RW &&
	    strcmp(dav_users_name(back, 1), "c") == 0 && dav_users_role(back, 1) == DAV_ROLE_RO,
	    "load: a rw, c ro, in order");
	tap_ok(back != NULL && dav_users_check(back, "a", "new pw", 6) == DAV_ROLE_RW,
	    "load: a's new password works");
	if (fs_read_at(AT_FDCWD, path, 0, 4096, &text, &len, &err) == 0)
		tap_ok(strncmp(text, "# team\na:rw:$scrypt$", 20) == 0 && strstr(text, "\n\nc:ro:") != NULL,
		    "save: comment and blank line kept in place");
	else
		tap_ok(0, "save: read back");
	free(text);
	dav_users_free(back);
	back = dav_users_load("/nonexistent/users", 1, &err);
	tap_ok(back != NULL && dav_users_count(back) == 0, "load: missing file, missing_ok: empty");
	dav_users_free(back);
	back = dav_users_load("/nonexistent/users", 0, &err);
	tap_ok(back == NULL && strstr(err.msg, "/nonexistent/users") != NULL,
	    "load: missing file is an error naming it");
	unlink(path);
	rmdir(dir);
	dav_users_free(u);
}

/* "Basic " + base64 of `plain` (of length len). */
static void
basic_of(const char *plain, size_t len, char *out)
{
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, (int)len);
}

struct basic_case {
	const char	*name;
	const char	*header;	/* NULL: "Basic " + base64(plain) */
	const char	*plain;
	const char	*want_user;	/* NULL: refused */
	const char	*want_password;
};

static const struct basic_case basic_cases[] = {
	{ "plain", NULL, "alice:secret", "alice", "secret" },
	{ "colon in the password", NULL, "alice:se:cr:et", "alice", "se:cr:et" },
	{ "UTF-8 password", NULL, "bob:p\xc3\xa4ss", "bob", "p\xc3\xa4ss" },
	{ "scheme in any case", "bAsIc YWxpY2U6c2VjcmV0", NULL, "alice", "secret" },
	{ "spaces around", "  Basic   YWxpY2U6c2VjcmV0  ", NULL, "alice", "secret" },
	{ "no colon", NULL, "alicesecret", NULL, NULL },
	{ "empty password", NULL, "alice:", NULL, NULL },
	{ "empty user", NULL, ":secret", NULL, NULL },
	{ "bad user name", NULL, "al ice:secret", NULL, NULL },
	{ "NUL inside", NULL, NULL, NULL, NULL },
	{ "other scheme", "Bearer YWxpY2U6c2VjcmV0", NULL, NULL, NULL },
	{ "no space after Basic", "BasicYWxpY2U6c2VjcmV0", NULL, NULL, NULL },
	{ "not base64", "Basic YWxp*2U6c2VjcmV0", NULL, NULL, NULL },
	{ "unpadded", "Basic YWxpY2U6c2VjcmV", NULL, NULL, NULL },
	{ "two tokens", "Basic YWxpY2U6c2VjcmV0 YWxp", NULL, NULL, NULL },
	{ "empty token", "Basic ", NULL, NULL, NULL },
};

static void
test_parse_basic(void)
{
	char header[4096], user[DAV_USER_NAME_MAX + 1], password[DAV_PASSWORD_MAX + 1];
	char plain[DAV_PASSWORD_MAX + 16];
	size_t len;

	for (size_t i = 0; i < sizeof(basic_cases) / sizeof(basic_cases[0]); i++) {
		const struct basic_case *c = &basic_cases[i];
		int rc, good;

		if (c->header != NULL)
			snprintf(header, sizeof(header), "%s", c->header);
		else if (c->plain != NULL)
			basic_of(c->plain, strlen(c->plain), header);
		else
			basic_of("alice:se\0cret", 13, header);
		rc = dav_auth_parse_basic(header, user, password, &len);
		if (c->want_user == NULL)
			good = rc == -1;
		else
			good = rc == 0 && strcmp(user, c->want_user) == 0 &&
			    len == strlen(c->want_password) && strcmp(password, c->want_password) == 0;
		tap_ok(good, "basic: %s", c->name);
	}
	memset(plain, 'p', sizeof(plain));
	memcpy(plain, "alice:", 6);
	basic_of(plain, 6 + DAV_PASSWORD_MAX, header);
	tap_ok(dav_auth_parse_basic(header, user, password, &len) == 0 && len == DAV_PASSWORD_MAX,
	    "basic: a 1024-byte password");
	basic_of(plain, 6 + DAV_PASSWORD_MAX + 1, header);
	tap_ok(dav_auth_parse_basic(header, user, password, &len) == -1,
	    "basic: a 1025-byte password refused");
}

struct allowed_case {
	const char	*listen;
	int		 tls, allow, want;
};

static const struct allowed_case allowed_cases[] = {
	{ "127.0.0.1:8443", 0, 0, 1 },
	{ "127.1.2.3:80", 0, 0, 1 },
	{ "[::1]:8080", 0, 0, 1 },
	{ "::1", 0, 0, 1 },
	{ "localhost:8080", 0, 0, 1 },
	{ "[::ffff:127.0.0.1]:80", 0, 0, 1 },
	{ "0.0.0.0:8080", 0, 0, 0 },
	{ "[::]:8080", 0, 0, 0 },
	{ "192.168.1.10:80", 0, 0, 0 },
	{ "128.0.0.1:80", 0, 0, 0 },
	{ "localhost.example.com:80", 0, 0, 0 },
	{ "[::1:80", 0, 0, 0 },
	{ "0.0.0.0:8443", 1, 0, 1 },
	{ "0.0.0.0:8080", 0, 1, 1 },
};

static void
test_basic_allowed(void)
{
	for (size_t i = 0; i < sizeof(allowed_cases) / sizeof(allowed_cases[0]); i++) {
		const struct allowed_case *c = &allowed_cases[i];

		tap_ok(dav_auth_basic_allowed(c->tls, c->listen, c->allow) == c->want,
		    "plain-HTTP rule: %s tls %d setting %d -> %d", c->listen, c->tls, c->allow, c->want);
	}
}

static struct sockaddr_in6
addr_of(const char *text)
{
	struct sockaddr_in6 sa;

	memset(&sa, 0, sizeof(sa));
	if (strchr(text, ':') == NULL) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;

		in->sin_family = AF_INET;
		inet_pton(AF_INET, text, &in->sin_addr);
	} else {
		sa.sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &sa.sin6_addr);
	}
	return sa;
}

#define SA(x)	((const struct sockaddr *)&(x))

static void
test_limiter(void)
{
	struct dav_limiter *lim = dav_limiter_create(3, 5, 60, 300);
	struct sockaddr_in6 a = addr_of("192.0.2.1"), b = addr_of("2001:db8::1"),
	    b2 = addr_of("2001:db8::2"), c = addr_of("2001:db8:0:1::1"),
	    amapped = addr_of("::ffff:192.0.2.1"), d = addr_of("198.51.100.7");
	int blocked_early = 0;

	tap_ok(!dav_limiter_blocked(lim, SA(a), 1000) && dav_limiter_count(lim) == 0,
	    "limiter: a fresh address is not blocked, nothing stored");
	for (int i = 0; i < 4; i++) {
		dav_limiter_failure(lim, SA(a), 1000 + i);
		blocked_early |= dav_limiter_blocked(lim, SA(a), 1000 + i);
	}
	tap_ok(!blocked_early, "limiter: 4 failures within the window do not block");
	dav_limiter_failure(lim, SA(a), 1010);
	tap_ok(dav_limiter_blocked(lim, SA(a), 1010), "limiter: the 5th failure blocks");
	tap_ok(dav_limiter_blocked(lim, SA(amapped), 1100), "limiter: IPv4-mapped IPv6 is the same");
	tap_ok(dav_limiter_blocked(lim, SA(a), 1309), "limiter: still blocked 299 s later");
	tap_ok(!dav_limiter_blocked(lim, SA(a), 1310), "limiter: free after the 300 s cool-down");
	tap_ok(!dav_limiter_blocked(lim, SA(d), 1010), "limiter: another address is not blocked");

	for (int i = 0; i < 10; i++)
		dav_limiter_failure(lim, SA(d), 2000 + 30 * i);
	tap_ok(!dav_limiter_blocked(lim, SA(d), 2300),
	    "limiter: one failure every 30 s (2 per window) never blocks");

	for (int i = 0; i < 4; i++)
		dav_limiter_failure(lim, SA(b), 3000);
	dav_limiter_failure(lim, SA(b2), 3001);
	tap_ok(dav_limiter_blocked(lim, SA(b), 3001), "limiter: IPv6 counts per /64");
	tap_ok(!dav_limiter_blocked(lim, SA(c), 3001), "limiter: another /64 is not blocked");

	for (int i = 0; i < 4; i++)
		dav_limiter_failure(lim, SA(d), 4000);
	dav_limiter_success(lim, SA(d));
	dav_limiter_failure(lim, SA(d), 4001);
	tap_ok(!dav_limiter_blocked(lim, SA(d), 4001), "limiter: a success forgets the failures");

	/* table of 3 (a, b, d): a blocked until 4600 and seen longest ago */
	for (int i = 0; i < 5; i++)
		dav_limiter_failure(lim, SA(a), 4300);
	for (int i = 0; i < 4; i++)
		dav_limiter_failure(lim, SA(b), 4310);
	dav_limiter_failure(lim, SA(d), 4320);
	tap_ok(dav_limiter_blocked(lim, SA(a), 4320), "limiter: a blocked before the eviction");
	dav_limiter_failure(lim, SA(c), 4330);
	tap_ok(dav_limiter_count(lim) == 3, "limiter: the table stays at its size");
	tap_ok(!dav_limiter_blocked(lim, SA(a), 4331), "limiter: the oldest (a) was evicted");
	dav_limiter_failure(lim, SA(b), 4331);
	tap_ok(dav_limiter_blocked(lim, SA(b), 4331), "limiter: b kept its 4 failures");
	dav_limiter_free(lim);
	dav_limiter_free(NULL);
}

static void
test_auth_request(void)
{
	struct dav_users *u = two_users();
	struct dav_auth *auth = dav_auth_create(u);
	struct sockaddr_in6 peer = addr_of("192.0.2.9"), other = addr_of("192.0.2.10");
	char good[256], bad[256];
	enum dav_role role = DAV_ROLE_NONE;
	int limited = 0;

	basic_of("a:correct horse", 15, good);
	basic_of("a:wrong horse", 13, bad);
	tap_ok(dav_auth_request(auth, NULL, SA(peer), 100, &role) == DAV_AUTH_DENIED,
	    "request: no header is a 401");
	tap_ok(dav_auth_request(auth, good, SA(peer), 100, &role) == DAV_AUTH_OK &&
	    role == DAV_ROLE_RO, "request: good credentials give the role");
	for (int i = 0; i < 4; i++)
		limited |= dav_auth_request(auth, bad, SA(peer), 101, &role) != DAV_AUTH_DENIED;
	tap_ok(!limited, "request: 4 wrong passwords are 401s");
	tap_ok(dav_auth_request(auth, bad, SA(peer), 101, &role) == DAV_AUTH_DENIED &&
	    dav_auth_request(auth, good, SA(peer), 102, &role) == DAV_AUTH_LIMITED,
	    "request: after the 5th, even good credentials get 429");
	tap_ok(dav_auth_request(auth, good, SA(other), 102, &role) == DAV_AUTH_OK,
	    "request: another address is served");
	dav_users_remove(u, "a", NULL);
	tap_ok(dav_auth_request(auth, good, SA(other), 103, &role) == DAV_AUTH_OK,
	    "request: accepted credentials are cached");
	tap_ok(dav_auth_request(auth, good, SA(other), 103 + DAV_AUTH_CACHE_TTL, &role) ==
	    DAV_AUTH_DENIED, "request: the cache expires (the user is gone)");
	dav_auth_free(auth);
	dav_users_free(u);
}

int
main(void)
{
	test_hash_format();
	test_verify();
	test_file_parse();
	test_file_limits();
	test_check();
	test_unknown_costs_the_same();
	test_edit_and_save();
	test_parse_basic();
	test_basic_allowed();
	test_limiter();
	test_auth_request();
	return tap_done();
}
