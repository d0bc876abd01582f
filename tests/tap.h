/*
 * tap: a minimal Test Anything Protocol writer for the C unit tests.
 *
 * Each tap_ok() prints "ok N - name" or "not ok N - name"; tap_done() prints
 * the plan ("1..N") and returns the exit status (0 when all passed).  Table-
 * driven tests loop over an array of named cases and call tap_ok() per case.
 * Header-only so every test program is one .c file.
 */
#ifndef STORESRV_TAP_H
#define STORESRV_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline int __attribute__((format(printf, 2, 3)))
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* Compares two strings (NULL-safe) and prints both when they differ. */
static inline int
tap_str_eq(const char *got, const char *want, const char *name)
{
	int same = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	tap_ok(same, "%s", name);
	if (!same)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return same;
}

static inline void
tap_diag(const char *msg)
{
	printf("# %s\n", msg);
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
