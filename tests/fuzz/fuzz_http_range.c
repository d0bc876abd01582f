/*
 * fuzz_http_range: libFuzzer harness of the Range header parser
 * (http_range_parse).  The first byte picks the representation's size (a
 * small one, or the next 8 bytes as a 64-bit number); the rest is the
 * header value.  A satisfiable range lies within the size and is not empty;
 * a suffix range ends at the end; only a "bytes=" value without ',' can be
 * a range at all; the answer does not change when asked twice.  A
 * violation aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
take_size(const uint8_t **data, size_t *size)
{
	uint64_t v = 0;

	if (*size == 0)
		return 0;
	if (**data < 0x80) {
		v = **data;
		*data += 1;
		*size -= 1;
		return v;
	}
	*data += 1;
	*size -= 1;
	for (int i = 0; i < 8 && *size > 0; i++) {
		v = v << 8 | **data;
		*data += 1;
		*size -= 1;
	}
	return v;
}

static void
check_range(const char *value, uint64_t total, enum http_range_result res,
    const struct http_range *r)
{
	int is_bytes = strncasecmp(value, "bytes=", 6) == 0;

	if (res != HTTP_RANGE_NONE && (!is_bytes || strchr(value, ',') != NULL))
		abort();
	if (res != HTTP_RANGE_SATISFIABLE)
		return;
	if (r->length == 0 || r->offset >= total || r->length > total - r->offset)
		abort();
	if (value[6] == '-' && r->offset + r->length != total)
		abort();		/* a suffix ends at the end */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_range r = { 0, 0 }, r2 = { 0, 0 };
	enum http_range_result res, res2;
	uint64_t total;
	char *value;

	total = take_size(&data, &size);
	value = malloc(size + 1);
	if (value == NULL)
		abort();
	memcpy(value, data, size);
	value[size] = '\0';
	res = http_range_parse(value, total, &r);
	if (res != HTTP_RANGE_NONE && res != HTTP_RANGE_SATISFIABLE &&
	    res != HTTP_RANGE_UNSATISFIABLE)
		abort();
	check_range(value, total, res, &r);
	res2 = http_range_parse(value, total, &r2);
	if (res2 != res || (res == HTTP_RANGE_SATISFIABLE &&
	    (r2.offset != r.offset || r2.length != r.length)))
		abort();
	if (http_range_parse(NULL, total, &r2) != HTTP_RANGE_NONE)
		abort();
	free(value);
	return 0;
}
