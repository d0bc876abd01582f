/*
 * fuzz_manifest: libFuzzer harness of the `<id>_files` manifest parser.
 * Every input either parses into names that obey the documented rules or
 * is refused with a message; the lenient reading likewise gives valid names
 * or nothing; nothing else (no crash, no leak, no UB).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_names(const struct manifest *m)
{
	for (size_t i = 0; i < m->count; i++) {
		const char *n = m->names[i];

		if (n[0] == '\0' || n[0] == '.' || strchr(n, '/') != NULL ||
		    strchr(n, '\\') != NULL || strchr(n, ',') != NULL || strchr(n, ' ') != NULL)
			abort();
		if (!manifest_contains(m, n))
			abort();
		for (size_t j = 0; j < i; j++) {
			if (strcmp(m->names[j], n) == 0)
				abort();	/* duplicates are refused */
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	struct errbuf err;

	memset(&m, 0, sizeof(m));
	if (manifest_parse((const char *)data, size, &m, &err) == 0) {
		if (m.count == 0)
			abort();
		check_names(&m);
		manifest_free(&m);
	} else if (err.msg[0] == '\0' || m.count != 0)
		abort();
	/* The lenient reading gives valid names or nothing. */
	if (manifest_parse_lenient((const char *)data, size, &m) == 0) {
		if (m.count == 0)
			abort();
		check_names(&m);
		manifest_free(&m);
	} else if (m.count != 0)
		abort();
	return 0;
}
