/*
 * fetch_probe: the mirror's fetcher (mirror/fetch.h) from the command line,
 * for tests/integration/mirror_fetch.sh.
 *
 *   fetch_probe [-e etag] [-r] [-s stall] [-n retries] [-b backoff_ms]
 *               DIR TMPNAME URL [TMPNAME URL]...
 *   fetch_probe -j BASE REL
 *
 * Fetches each URL into DIR/TMPNAME with one fetcher (one kept connection
 * per host) and prints one line per fetch, "status=.. fail=.. resumed=..
 * attempts=.. size=.. received=.. etag=..", then "maxrss_kb=..".  -j prints
 * fetch_url_join(BASE, REL) or "error: ...".  Exits 1 if any fetch failed.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fetch.h"

static int
probe_join(const char *base, const char *rel)
{
	struct errbuf err = { { 0 } };
	char *url;

	if (fetch_url_join(base, rel, &url, &err) != 0) {
		printf("error: %s\n", err.msg);
		return 1;
	}
	printf("%s\n", url);
	free(url);
	return 0;
}

static int
probe_fetch(struct fetcher *f, int dirfd, const char *tmpname, const char *url,
    const struct fetch_opts *o)
{
	struct errbuf err = { { 0 } };
	struct fetch_result res;
	int rc = fetch_file(f, url, dirfd, tmpname, o, &res, &err);

	printf("status=%d fail=%d resumed=%d attempts=%u size=%llu received=%llu etag=%s\n",
	    res.status, (int)res.fail, res.resumed, res.attempts, (unsigned long long)res.size,
	    (unsigned long long)res.received, res.etag);
	if (rc != 0)
		printf("error: %s\n", err.msg);
	return rc;
}

int
main(int argc, char **argv)
{
	struct fetch_opts o = { 0 };
	struct errbuf err = { { 0 } };
	struct fetcher *f;
	struct rusage ru;
	int c, dirfd, status = 0;

	while ((c = getopt(argc, argv, "e:rs:n:b:j")) != -1) {
		switch (c) {
		case 'e': o.etag = optarg; break;
		case 'r': o.resume = 1; break;
		case 's': o.stall_timeout = (unsigned)atoi(optarg); break;
		case 'n': o.retries = (unsigned)atoi(optarg); break;
		case 'b': o.backoff_ms = (unsigned)atoi(optarg); break;
		case 'j': return argc - optind == 2 ? probe_join(argv[optind], argv[optind + 1]) : 2;
		default: return 2;
		}
	}
	if (argc - optind < 3 || (argc - optind - 1) % 2 != 0)
		return 2;
	dirfd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		perror(argv[optind]);
		return 2;
	}
	f = fetch_create(NULL, &err);
	if (f == NULL) {
		printf("error: %s\n", err.msg);
		close(dirfd);
		return 2;
	}
	for (int i = optind + 1; i + 1 < argc; i += 2)
		if (probe_fetch(f, dirfd, argv[i], argv[i + 1], &o) != 0)
			status = 1;
	fetch_free(f);
	close(dirfd);
	getrusage(RUSAGE_SELF, &ru);
	printf("maxrss_kb=%ld\n", ru.ru_maxrss);
	return status;
}
