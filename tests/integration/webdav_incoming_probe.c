/*
 * webdav_incoming_probe: the incoming watcher alone, for
 * webdav_incoming.sh: the WebDAV loop's reports made by hand.
 *
 *   webdav_incoming_probe ROOT QUIET
 *
 * Starts the watcher (dav_incoming.h) on the store ROOT with that quiet
 * time, then reads commands from stdin, one a line, answering "ok" to
 * each on stdout:
 *   touch CHANNEL REL | hold CHANNEL REL | release CHANNEL REL
 * At the end of input it stops the watcher (an import in progress
 * completes first) and exits 0.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dav_incoming.h"
#include "log.h"

/* One command line; 0, or -1 when it is not understood. */
static int
probe_command(struct dav_incoming *inc, char *line)
{
	static const struct {
		const char *verb;
		void (*fn)(struct dav_incoming *, const char *, const char *);
	} verbs[] = {
		{ "touch", dav_incoming_touch },
		{ "hold", dav_incoming_hold },
		{ "release", dav_incoming_release },
	};
	char *verb = strtok(line, " \n"), *channel = strtok(NULL, " \n");
	char *rel = strtok(NULL, " \n");

	if (verb == NULL || channel == NULL || rel == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verb, verbs[i].verb) == 0) {
			verbs[i].fn(inc, channel, rel);
			return 0;
		}
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct dav_incoming_config cfg = { 0 };
	struct dav_incoming *inc;
	struct errbuf err;
	char line[1024];
	int status = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: webdav_incoming_probe ROOT QUIET\n");
		return 2;
	}
	log_init("webdav_incoming_probe", LOG_LEVEL_INFO);
	cfg.root = argv[1];
	cfg.quiet_seconds = (unsigned)atoi(argv[2]);
	if ((inc = dav_incoming_start(&cfg, &err)) == NULL) {
		fprintf(stderr, "webdav_incoming_probe: %s\n", err.msg);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (probe_command(inc, line) == -1) {
			fprintf(stderr, "webdav_incoming_probe: not a command: %s", line);
			status = 2;
			break;
		}
		printf("ok\n");
	}
	dav_incoming_stop(inc);
	return status;
}
