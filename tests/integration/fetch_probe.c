/*
 * fetch_probe: the mirror's fetcher (mirror/fetch.h) from the command line,
 * for tests/integration/mirror_fetch.sh.
 *
 *   fetch_probe [-H] [-e etag] [-r] [-s stall] [-n retries] [-b backoff_ms]
 *               [-c ca_file] [-x proxy] [-m max_hosts]
 *               [-T [-p parallel] [-l bytes_per_s] [-t threads]]
 *               DIR TMPNAME URL [TMPNAME URL]...
 *   fetch_probe -j BASE REL
 *
 * Fetches each URL into DIR/TMPNAME with one fetcher (kept connections)
 * and prints one line per fetch, "status=.. fail=.. resumed=.. attempts=..
 * size=.. received=.. etag=.. sha256=.. expected=..", then "maxrss_kb=..".
 * -H makes each fetch a HEAD (fetch_opts.head_only).  Without -T
 * the fetches run one after the other with fetch_file() (sha256=-); with -T
 * all at once with transfer_run() (-p parallel, -l rate limit, -t threads), followed by
 * "progress calls=.. done=.. failed=.. received=.. expected=.. elapsed=..
 * threads=.. foreign=.." (threads: the most threads of the process seen
 * by a progress call; foreign: progress calls made on another thread than
 * the one that called transfer_run()).
 * -j prints fetch_url_join(BASE, REL) or "error: ...".  Exits 1 if any
 * fetch failed.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fetch.h"
#include "transfer.h"

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

static void
probe_print(int rc, const struct fetch_result *res, const char *sha256, const struct errbuf *err)
{
	printf("status=%d fail=%d resumed=%d attempts=%u size=%llu received=%llu etag=%s "
	    "sha256=%s expected=%llu\n", res->status, (int)res->fail, res->resumed, res->attempts,
	    (unsigned long long)res->size, (unsigned long long)res->received, res->etag,
	    sha256 != NULL && sha256[0] != '\0' ? sha256 : "-",
	    (unsigned long long)res->expected);
	if (rc != 0)
		printf("error: %s\n", err->msg);
}

static int
probe_fetch(struct fetcher *f, int dirfd, const char *tmpname, const char *url,
    const struct fetch_opts *o)
{
	struct errbuf err = { { 0 } };
	struct fetch_result res;
	int rc = fetch_file(f, url, dirfd, tmpname, o, &res, &err);

	probe_print(rc, &res, NULL, &err);
	return rc;
}

struct probe_progress {
	unsigned calls;
	struct transfer_progress last;
	pthread_t caller;
	unsigned foreign;	/* calls on another thread */
	unsigned threads;	/* the most threads seen */
};

/* The process's threads now (/proc/self/status), 0 when unknown. */
static unsigned
probe_threads(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	unsigned n = 0;

	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "Threads: %u", &n) == 1)
			break;
	if (fp != NULL)
		fclose(fp);
	return n;
}

static void
probe_progress_cb(const struct transfer_progress *p, void *arg)
{
	struct probe_progress *pp = arg;
	unsigned threads = probe_threads();

	pp->calls++;
	pp->last = *p;
	if (!pthread_equal(pthread_self(), pp->caller))
		pp->foreign++;
	if (threads > pp->threads)
		pp->threads = threads;
}

/* argv: TMPNAME URL pairs, all run by one transfer_run(). */
static int
probe_transfer(struct fetcher *f, int dirfd, char **argv, int argc, const struct fetch_opts *o,
    struct transfer_config *tc)
{
	size_t n = (size_t)argc / 2;
	struct transfer_job *jobs = calloc(n, sizeof(*jobs));
	struct probe_progress pp = { 0 };
	struct errbuf err = { { 0 } };
	int status = 0;

	if (jobs == NULL)
		return 2;
	for (size_t i = 0; i < n; i++) {
		jobs[i].tmpname = argv[2 * i];
		jobs[i].url = argv[2 * i + 1];
		jobs[i].dirfd = dirfd;
		jobs[i].opts = *o;
	}
	pp.caller = pthread_self();
	tc->progress = probe_progress_cb;
	tc->progress_arg = &pp;
	if (transfer_run(f, jobs, n, tc, &err) != 0) {
		printf("error: %s\n", err.msg);
		free(jobs);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		probe_print(jobs[i].rc, &jobs[i].res, jobs[i].have_sha256 ? jobs[i].sha256 : NULL,
		    &jobs[i].err);
		if (jobs[i].rc != 0)
			status = 1;
	}
	printf("progress calls=%u done=%zu failed=%zu received=%llu expected=%llu elapsed=%.3f "
	    "threads=%u foreign=%u\n", pp.calls, pp.last.jobs_done, pp.last.jobs_failed,
	    (unsigned long long)pp.last.bytes_received,
	    (unsigned long long)pp.last.bytes_expected, pp.last.elapsed, pp.threads, pp.foreign);
	free(jobs);
	return status;
}

int
main(int argc, char **argv)
{
	struct fetch_opts o = { 0 };
	struct fetch_config cfg = { 0 };
	struct transfer_config tc = { 0 };
	struct errbuf err = { { 0 } };
	struct fetcher *f;
	struct rusage ru;
	int c, dirfd, status = 0, transfer = 0;

	while ((c = getopt(argc, argv, "He:rs:n:b:c:x:m:Tp:l:t:j")) != -1) {
		switch (c) {
		case 'H': o.head_only = 1; break;
		case 'e': o.etag = optarg; break;
		case 'r': o.resume = 1; break;
		case 's': o.stall_timeout = (unsigned)atoi(optarg); break;
		case 'n': o.retries = (unsigned)atoi(optarg); break;
		case 'b': o.backoff_ms = (unsigned)atoi(optarg); break;
		case 'c': cfg.ca_file = optarg; break;
		case 'x': cfg.proxy = optarg; break;
		case 'm': cfg.max_hosts = (unsigned)atoi(optarg); break;
		case 'T': transfer = 1; break;
		case 'p': tc.parallel = (unsigned)atoi(optarg); break;
		case 'l': tc.rate_limit = strtoull(optarg, NULL, 10); break;
		case 't': tc.threads = (unsigned)atoi(optarg); break;
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
	f = fetch_create(&cfg, &err);
	if (f == NULL) {
		printf("error: %s\n", err.msg);
		close(dirfd);
		return 2;
	}
	if (transfer)
		status = probe_transfer(f, dirfd, argv + optind + 1, argc - optind - 1, &o, &tc);
	for (int i = optind + 1; !transfer && i + 1 < argc; i += 2)
		if (probe_fetch(f, dirfd, argv[i], argv[i + 1], &o) != 0)
			status = 1;
	fetch_free(f);
	close(dirfd);
	getrusage(RUSAGE_SELF, &ru);
	printf("maxrss_kb=%ld\n", ru.ru_maxrss);
	return status;
}
