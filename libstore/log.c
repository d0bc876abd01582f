/*
 * log: stderr or syslog logging with levels; see log.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "fs_open.h"
#include "log.h"

static const char *log_progname = "storesrv";
static enum log_level log_level_max = LOG_LEVEL_INFO;
static int log_syslog;

void
log_init(const char *progname, enum log_level level)
{
	log_progname = progname;
	log_level_max = level;
}

void
log_to_syslog(void)
{
	openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = 1;
}

void
log_set_level(enum log_level level)
{
	log_level_max = level;
}

static void __attribute__((format(printf, 3, 0)))
log_emit(int prio, const char *prefix, const char *fmt, va_list ap, int with_errno)
{
	char msg[2048];
	int saved_errno = errno;
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (with_errno && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(saved_errno));
	if (log_syslog) {
		syslog(prio, "%s%s", prefix, msg);
	} else {
		char line[2200];
		int len = snprintf(line, sizeof(line), "%s: %s%s\n", log_progname, prefix, msg);
		if (len > 0) {
			if ((size_t)len >= sizeof(line))
				len = sizeof(line) - 1;
			(void)fs_write_all(STDERR_FILENO, line, (size_t)len);
		}
	}
	errno = saved_errno;
}

#define LOG_BODY(prio, prefix, with_errno) do { \
		va_list ap; \
		va_start(ap, fmt); \
		log_emit(prio, prefix, fmt, ap, with_errno); \
		va_end(ap); \
	} while (0)

void log_warn(const char *fmt, ...) { LOG_BODY(LOG_WARNING, "", 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_WARNING, "", 0); }

void
log_info(const char *fmt, ...)
{
	if (log_level_max >= LOG_LEVEL_INFO)
		LOG_BODY(LOG_INFO, "", 0);
}

void
log_debug(const char *fmt, ...)
{
	if (log_level_max >= LOG_LEVEL_DEBUG)
		LOG_BODY(LOG_DEBUG, "debug: ", 0);
}

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "fatal: ", 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "fatal: ", 0);
	exit(1);
}
