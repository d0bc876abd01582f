/* storemirror sync (placeholder until it is written). */
#include "config.h"

#include <stdio.h>

#include "importer.h"
#include "mirror_cmd.h"

int
mirror_cmd_sync(const struct mirror_settings *s)
{
	(void)s;
	fprintf(stderr, "storemirror: sync: not available yet\n");
	return IMP_EXIT_USAGE;
}
