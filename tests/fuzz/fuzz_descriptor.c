/*
 * fuzz_descriptor: libFuzzer harness of the build.json descriptor parser.
 * Accepted descriptors must obey the field rules; refused ones must leave
 * nothing allocated and say why.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "descriptor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct descriptor d;
	struct errbuf err;

	err.msg[0] = '\0';
	if (descriptor_parse((const char *)data, size, &d, &err) == 0) {
		if ((d.release && !descriptor_release_valid(d.release)) ||
		    (d.label && !descriptor_label_valid(d.label)) ||
		    (d.wiki && !descriptor_wiki_valid(d.wiki)))
			abort();
		for (size_t i = 0; i < PLATFORM_SLOTS; i++) {
			if (d.platform_files[i] && (strchr(d.platform_files[i], '/') ||
			    d.platform_files[i][0] == '.'))
				abort();
		}
		descriptor_free(&d);
	} else if (err.msg[0] == '\0' || d.release != NULL || d.items != NULL)
		abort();
	return 0;
}
