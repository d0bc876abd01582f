/*
 * diag: a list of problems found in one run (validation reports).
 *
 * Validation reports every problem at once instead of stopping at the first:
 * each entry has a severity, the file (or field) at fault and a message.
 * The list owns its strings.  diag_free(NULL) is a no-op.
 */
#ifndef STORESRV_DIAG_H
#define STORESRV_DIAG_H

#include <stddef.h>

enum diag_severity { DIAG_WARNING = 0, DIAG_ERROR = 1 };

struct diag_entry {
	enum diag_severity severity;
	char *where;	/* file or field at fault, e.g. "130001/apidemo_files" */
	char *message;	/* what is wrong, one sentence */
};

struct diag {
	struct diag_entry *entries;
	size_t count;
	size_t alloc;
	size_t errors;
	size_t warnings;
};

struct diag *diag_create(void);
void diag_free(struct diag *d);
void diag_add(struct diag *d, enum diag_severity sev, const char *where,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Turns every warning into an error (used by --strict). */
void diag_promote_warnings(struct diag *d);

#endif
