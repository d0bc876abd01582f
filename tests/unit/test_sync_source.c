/*
 * test_sync_source: how storemirror's --upstream and --channels become the
 * channels it mirrors (sync_targets_resolve()) and where a folder's files
 * and sha256 record are found (sync_source_locate()), one named case per
 * form: a channel's download URL, a store base URL, a local download/
 * folder, a local store root, and the refusals; and what a job against a
 * local download/ folder ends with (sync_source_run()): a regular file
 * copied, a missing one a 404, and what the upstream holds that is not a
 * regular file or is over the job's limit refused as the upstream's fault
 * (FETCH_FAIL_PROTOCOL, exit 1), never as a local I/O error (exit 3).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "sync_source.h"
#include "xmalloc.h"

struct resolve_case {
	const char *name;
	const char *upstream;
	const char *channels;
	int rc;
	const char *want;	/* "<channel> <download> <records> <local>;" per target */
	const char *err;	/* a substring of the error */
};

static const struct resolve_case resolve_cases[] = {
	{ "a channel's download URL", "http://h:8080/beta/download", NULL, 0,
	    "beta http://h:8080/beta/download http://h:8080/beta/sha256 0;", NULL },
	{ "trailing slashes ignored", "https://store.example/release/download//", NULL, 0,
	    "release https://store.example/release/download https://store.example/release/sha256 0;",
	    NULL },
	{ "a channel URL under a prefix", "http://h/stores/a/beta/download", NULL, 0,
	    "beta http://h/stores/a/beta/download http://h/stores/a/beta/sha256 0;", NULL },
	{ "a channel URL named locally", "http://h/release/download", "offline", 0,
	    "offline http://h/release/download http://h/release/sha256 0;", NULL },
	{ "a channel URL with two local names", "http://h/release/download", "a,b", -1, NULL,
	    "is one channel; give one local name" },
	{ "a channel URL whose name is not a channel", "http://h/.x/download", NULL, -1, NULL,
	    "is not a valid channel name; name it with --channels" },
	{ "a store base and two channels", "http://h:8080/", "release,beta", 0,
	    "release http://h:8080/release/download http://h:8080/release/sha256 0;"
	    "beta http://h:8080/beta/download http://h:8080/beta/sha256 0;", NULL },
	{ "a store base without a slash", "http://h:8080/store", "release", 0,
	    "release http://h:8080/store/release/download http://h:8080/store/release/sha256 0;",
	    NULL },
	{ "a store base without channels", "http://h:8080/", NULL, -1, NULL,
	    "name the channels to mirror with --channels" },
	{ "a store base with a bad channel", "http://h:8080/", "release,../x", -1, NULL,
	    "\"../x\" is not a valid channel name" },
	{ "a local download folder", "/srv/store/release/download", NULL, 0,
	    "release /srv/store/release/download /srv/store/release/hashes 1;", NULL },
	{ "a local download folder named locally", "/srv/usb/download/", "beta", 0,
	    "beta /srv/usb/download /srv/usb/hashes 1;", NULL },
	{ "a local store root", "/srv/store", "release,beta", 0,
	    "release /srv/store/release/download /srv/store/release/hashes 1;"
	    "beta /srv/store/beta/download /srv/store/beta/hashes 1;", NULL },
	{ "a local store root without channels", "/srv/store", NULL, -1, NULL,
	    "not a channel's .../download folder" },
	{ "no upstream", "", "release", -1, NULL, "--upstream: missing" },
};

static char *
render(const struct sync_target *t, size_t n)
{
	char *s = xstrdup(""), *next;

	for (size_t i = 0; i < n; i++) {
		next = xasprintf("%s%s %s %s %d;", s, t[i].channel, t[i].download, t[i].records,
		    t[i].local);
		free(s);
		s = next;
	}
	return s;
}

static void
run_resolve_case(const struct resolve_case *c)
{
	struct sync_target *t = NULL;
	struct errbuf err = { "" };
	size_t n = 0;
	int rc = sync_targets_resolve(c->upstream, c->channels, &t, &n, &err);
	char *got = render(t, n);

	tap_ok(rc == c->rc, "%s: returns %d", c->name, c->rc);
	if (c->want != NULL)
		tap_str_eq(got, c->want, c->name);
	else
		tap_ok(t == NULL && n == 0 && strstr(err.msg, c->err) != NULL,
		    "%s: refused, \"%s\"", c->name, c->err);
	free(got);
	sync_targets_free(t, n);
}

struct locate_case {
	const char *name;
	struct sync_target t;
	enum sync_base base;
	const char *rel;
	const char *want;	/* NULL: refused */
};

#define HTTP_T	{ "beta", "http://h:8080/beta/download", "http://h:8080/beta/sha256", 0 }
#define LOCAL_T	{ "beta", "/srv/beta/download", "/srv/beta/hashes", 1 }

static const struct locate_case locate_cases[] = {
	{ "a file over HTTP", HTTP_T, SYNC_BASE_DOWNLOAD, "130001/arm/a b.bin",
	    "http://h:8080/beta/download/130001/arm/a%20b.bin" },
	{ "a build's record over HTTP", HTTP_T, SYNC_BASE_RECORDS, "130001",
	    "http://h:8080/beta/sha256/130001" },
	{ "a platform version's record over HTTP", HTTP_T, SYNC_BASE_RECORDS,
	    "app-platform/10001", "http://h:8080/beta/sha256/app-platform/10001" },
	{ "an absolute path refused", HTTP_T, SYNC_BASE_DOWNLOAD, "/etc/passwd", NULL },
	{ "a local file", LOCAL_T, SYNC_BASE_DOWNLOAD, "130001/ip0013.bin",
	    "/srv/beta/download/130001/ip0013.bin" },
	{ "a local build's record", LOCAL_T, SYNC_BASE_RECORDS, "130001",
	    "/srv/beta/hashes/130001.sha256" },
	{ "a local phone platform's record", LOCAL_T, SYNC_BASE_RECORDS, "phoneplatform/2165",
	    "/srv/beta/hashes/phoneplatform-2165.sha256" },
};

static void
run_locate_case(const struct locate_case *c)
{
	struct errbuf err = { "" };
	char *got = sync_source_locate(&c->t, c->base, c->rel, &err);

	if (c->want != NULL)
		tap_str_eq(got, c->want, c->name);
	else
		tap_ok(got == NULL && err.msg[0] != '\0', "%s: refused (%s)", c->name, err.msg);
	free(got);
}

struct local_case {
	const char *name;
	const char *rel;	/* below download/ */
	uint64_t max_size;
	int rc, status;
	enum fetch_fail fail;
	const char *err;	/* a substring of the error, or NULL */
};

static const struct local_case local_cases[] = {
	{ "a regular file is copied", "130001/ip0013.bin", 0, 0, 200, FETCH_FAIL_NONE, NULL },
	{ "a missing file is a 404", "130001/none.bin", 0, 0, 404, FETCH_FAIL_NONE, NULL },
	{ "a file under a missing folder is a 404", "139999/x.bin", 0, 0, 404, FETCH_FAIL_NONE,
	    NULL },
	{ "a symlink as the file is the upstream's fault", "130001/link.bin", 0, -1, 0,
	    FETCH_FAIL_PROTOCOL, "not a regular file" },
	{ "a FIFO is refused without blocking", "130001/fifo.bin", 0, -1, 0, FETCH_FAIL_PROTOCOL,
	    "not a regular file" },
	{ "a folder is refused", "130001", 0, -1, 0, FETCH_FAIL_PROTOCOL, "not a regular file" },
	{ "a file over max_size is refused before a byte is copied", "130001/ip0013.bin", 4, -1,
	    0, FETCH_FAIL_PROTOCOL, "over the limit of 4" },
};

/* A local channel below dir: download/130001/{ip0013.bin (10 bytes), a
 * symlink to it, a FIFO}; its download/ path, or NULL. */
static char *
make_local_channel(const char *dir)
{
	char *dl = xasprintf("%s/beta/download", dir), *p;
	int fd, ok;

	p = xasprintf("%s/beta", dir);
	ok = mkdir(p, 0755) == 0 && mkdir(dl, 0755) == 0;
	free(p);
	p = xasprintf("%s/130001", dl);
	ok = ok && mkdir(p, 0755) == 0;
	free(p);
	p = xasprintf("%s/130001/ip0013.bin", dl);
	if (ok && (fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644)) != -1) {
		ok = write(fd, "0123456789", 10) == 10;
		close(fd);
	} else
		ok = 0;
	free(p);
	p = xasprintf("%s/130001/link.bin", dl);
	ok = ok && symlink("ip0013.bin", p) == 0;
	free(p);
	p = xasprintf("%s/130001/fifo.bin", dl);
	ok = ok && mkfifo(p, 0644) == 0;
	free(p);
	if (!ok) {
		free(dl);
		return NULL;
	}
	return dl;
}

static void
run_local_cases(void)
{
	char tmpl[] = "/tmp/test_sync_source.XXXXXX";
	const size_t n = sizeof(local_cases) / sizeof(local_cases[0]);
	struct transfer_job jobs[sizeof(local_cases) / sizeof(local_cases[0])];
	struct sync_source_config sc = { .parallel = 1 };
	struct sync_target t = { "beta", NULL, NULL, 1 };
	struct sync_source *src = NULL;
	struct errbuf err = { "" };
	char *dir = mkdtemp(tmpl), *cmd;
	int outfd = -1;

	memset(jobs, 0, sizeof(jobs));
	if (dir == NULL || (t.download = make_local_channel(dir)) == NULL) {
		tap_ok(0, "a local channel made in /tmp");
		goto out;
	}
	t.records = xasprintf("%s/beta/hashes", dir);
	cmd = xasprintf("%s/out", dir);
	if (mkdir(cmd, 0755) == 0)
		outfd = open(cmd, O_RDONLY | O_DIRECTORY);
	free(cmd);
	tap_ok(outfd != -1 && (src = sync_source_create(&t, &sc, &err)) != NULL,
	    "a local source opened (%s)", err.msg);
	if (src == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		jobs[i].url = sync_source_locate(&t, SYNC_BASE_DOWNLOAD, local_cases[i].rel, &err);
		jobs[i].dirfd = outfd;
		jobs[i].tmpname = xasprintf("job%zu", i);
		jobs[i].opts.max_size = local_cases[i].max_size;
	}
	tap_ok(sync_source_run(src, jobs, n, &err) == 0, "the local jobs ran (%s)", err.msg);
	for (size_t i = 0; i < n; i++) {
		const struct local_case *c = &local_cases[i];
		const struct transfer_job *j = &jobs[i];

		tap_ok(j->rc == c->rc && (c->rc != 0 || j->res.status == c->status) &&
		    j->res.fail == c->fail && (c->err == NULL || strstr(j->err.msg, c->err) != NULL),
		    "%s (rc %d, status %d, fail %d: %s)", c->name, j->rc, j->res.status,
		    (int)j->res.fail, j->err.msg);
	}
	tap_ok(jobs[0].res.size == 10 && faccessat(outfd, "job0", F_OK, 0) == 0 &&
	    faccessat(outfd, "job6", F_OK, 0) == -1,
	    "the copy holds the file's 10 bytes; nothing written for the refused one");
out:
	for (size_t i = 0; i < n; i++) {
		free((char *)jobs[i].url);
		free((char *)jobs[i].tmpname);
	}
	sync_source_free(src);
	if (outfd != -1)
		close(outfd);
	if (dir != NULL) {
		cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# %s failed\n", cmd);
		free(cmd);
	}
	free(t.download);
	free(t.records);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++)
		run_resolve_case(&resolve_cases[i]);
	for (size_t i = 0; i < sizeof(locate_cases) / sizeof(locate_cases[0]); i++)
		run_locate_case(&locate_cases[i]);
	sync_targets_free(NULL, 0);
	run_local_cases();
	return tap_done();
}
