/*
 * diag: a growable list of validation problems; see diag.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "xmalloc.h"

struct diag *
diag_create(void)
{
	return xcalloc(1, sizeof(struct diag));
}

void
diag_free(struct diag *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->count; i++) {
		free(d->entries[i].where);
		free(d->entries[i].message);
	}
	free(d->entries);
	free(d);
}

void
diag_add(struct diag *d, enum diag_severity sev, const char *where, const char *fmt, ...)
{
	struct diag_entry *e;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup("(message lost: out of memory)");
	va_end(ap);
	if (d->count == d->alloc) {
		d->alloc = d->alloc ? d->alloc * 2 : 16;
		d->entries = xreallocarray(d->entries, d->alloc, sizeof(*d->entries));
	}
	e = &d->entries[d->count++];
	e->severity = sev;
	e->where = xstrdup(where ? where : "");
	e->message = msg;
	if (sev == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
}

void
diag_promote_warnings(struct diag *d)
{
	for (size_t i = 0; i < d->count; i++) {
		if (d->entries[i].severity == DIAG_WARNING) {
			d->entries[i].severity = DIAG_ERROR;
			d->errors++;
			d->warnings--;
		}
	}
}
