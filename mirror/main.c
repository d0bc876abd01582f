/* storemirror (placeholder until the sync command is written). */
#include "config.h"

#include <stdio.h>

#include "importer.h"

int
main(void)
{
	fprintf(stderr, "storemirror: not available yet\n");
	return IMP_EXIT_USAGE;
}
