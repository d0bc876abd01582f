/* storemirror push (placeholder until it is written). */
#include "config.h"

#include <stdio.h>

#include "importer.h"
#include "mirror_cmd.h"

int
mirror_cmd_push(const struct mirror_settings *s)
{
	(void)s;
	fprintf(stderr, "storemirror: push: not available yet\n");
	return IMP_EXIT_USAGE;
}
