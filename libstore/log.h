/*
 * log: the one logging API of every program in this tree.
 *
 * In the foreground messages go to stderr; after log_to_syslog() they go to
 * syslog (journald picks them up).  log_warn() appends strerror(errno).
 * fatal() and fatalx() log and exit(1).  Thread-safe: each message is one
 * write.
 */
#ifndef STORESRV_LOG_H
#define STORESRV_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_WARN = 0, LOG_LEVEL_INFO = 1, LOG_LEVEL_DEBUG = 2 };

void log_init(const char *progname, enum log_level level);
void log_to_syslog(void);
void log_set_level(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
