/*
 * push_probe: storemirror push from the command line for mirror_push.sh,
 * independent of storemirror's option parser.
 *
 *   push_probe [-j] [-v] [-u USER -p PASSWORD_FILE] [-c CA_FILE] ROOT CHANNELS DAV_URL
 *       runs mirror_cmd_push() (cmd_push.c) and exits with its status;
 *   push_probe -k N:PID ROOT CHANNEL DAV_URL
 *       runs push_channel() and sends SIGKILL to PID (the WebDAV server)
 *       after the N-th uploaded file, so that the share goes away mid-push;
 *       prints "rc=R files_put=F indexes_put=I" and the error on stdout.
 * -m: prints "maxrss_kb=N" (the peak RSS) to stderr at the end; -t: the
 * timeout in seconds (10); -c: a CA file for https.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include "mirror_cmd.h"
#include "push.h"

struct kill_plan {
	unsigned long after;
	pid_t pid;
};

static void
kill_after(const struct push_event *ev, const struct push_stats *st, void *arg)
{
	struct kill_plan *k = arg;

	if (ev->action == PUSH_PUT && st->files_put == k->after && k->pid > 0) {
		kill(k->pid, SIGKILL);
		k->pid = 0;
	}
}

static int
run_kill(const char *plan, char **argv)
{
	struct kill_plan k = { 0, 0 };
	struct push_config cfg = { .root = argv[0], .channel = argv[1], .dav_url = argv[2],
	    .timeout = 10, .progress = kill_after, .progress_arg = &k };
	struct push_stats st;
	struct errbuf err = { "" };
	int rc;

	if (sscanf(plan, "%lu:%d", &k.after, &k.pid) != 2)
		return 2;
	rc = push_channel(&cfg, &st, &err);
	printf("rc=%d files_put=%zu indexes_put=%zu\n", rc, st.files_put, st.indexes_put);
	if (rc < 0)
		printf("error: %s\n", err.msg);
	return rc < 0 ? 3 : 0;
}

int
main(int argc, char **argv)
{
	struct mirror_settings s;
	const char *kill_plan = NULL;
	struct rusage ru;
	unsigned timeout = 10;
	int opt, rss = 0, rc;

	memset(&s, 0, sizeof(s));
	s.command = MIRROR_CMD_PUSH;
	while ((opt = getopt(argc, argv, "jmvu:p:k:c:t:")) != -1) {
		switch (opt) {
		case 'j': s.json = 1; break;
		case 'm': rss = 1; break;
		case 'v': s.verbose = 1; break;
		case 'u': s.dav_user = optarg; break;
		case 'p': s.dav_password_file = optarg; break;
		case 'k': kill_plan = optarg; break;
		case 'c': s.ca_file = optarg; break;
		case 't': timeout = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: push_probe [-j] [-m] [-v] [-t SECONDS] [-u USER -p PWFILE] [-c CA] [-k N:PID] "
		    "ROOT CHANNELS DAV_URL\n");
		return 2;
	}
	if (kill_plan != NULL)
		return run_kill(kill_plan, argv + optind);
	s.root = argv[optind];
	s.channels = argv[optind + 1];
	s.dav_url = argv[optind + 2];
	s.stall_timeout = timeout;
	rc = mirror_cmd_push(&s);
	if (rss && getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(stderr, "maxrss_kb=%ld\n", ru.ru_maxrss);
	return rc;
}
