/*
 * fuzz_index_parse: libFuzzer harness of index_parse.h.  The first byte
 * picks the index; the rest is the document.  An accepted document must
 * hand out only safe names (build numbers, item ids, platform files
 * "<dir>/<version>/<name>" with one plain name) and arrays within the
 * limits; a refused one must leave nothing and say why.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "index_parse.h"
#include "store_layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct index_limits limits = { 65536, 64, 256 };

static void
check_version(const struct index_version *v)
{
	if (!store_build_name_valid(v->build) || strlen(v->release) > limits.max_string ||
	    (v->label != NULL && v->label[0] == '\0'))
		abort();
}

static void
check_platform(enum index_kind kind, const struct index_platform *p)
{
	const char *dir = index_kind_platform_dir(kind);
	size_t dlen = strlen(dir);

	if (!store_item_id_valid(p->id) || p->nfiles > INDEX_PLATFORM_SLOTS)
		abort();
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct index_platform_file *f = &p->files[i];

		if (!store_build_name_valid(f->version) || f->name[0] == '\0' ||
		    f->name[0] == '.' || strchr(f->name, '/') != NULL ||
		    strncmp(f->path, dir, dlen) != 0 || f->path[dlen] != '/' ||
		    (p->version != NULL && strcmp(p->version, f->version) != 0))
			abort();
	}
}

static void
check_doc(const struct index_doc *doc)
{
	if (doc->nitems > limits.max_entries || doc->nversions > limits.max_entries ||
	    doc->nplatforms > limits.max_entries || doc->ndevices > limits.max_entries)
		abort();
	for (size_t i = 0; i < doc->nitems; i++) {
		if (!store_item_id_valid(doc->items[i].id) ||
		    doc->items[i].nversions > limits.max_entries)
			abort();
		for (size_t j = 0; j < doc->items[i].nversions; j++)
			check_version(&doc->items[i].versions[j]);
	}
	for (size_t i = 0; i < doc->nversions; i++)
		check_version(&doc->versions[i]);
	for (size_t i = 0; i < doc->nplatforms; i++)
		check_platform(doc->kind, &doc->platforms[i]);
	for (size_t i = 0; i < doc->ndevices; i++) {
		if (doc->devices[i].nnames > limits.max_entries)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag *d;
	struct index_doc *doc = NULL;
	enum index_kind kind;

	if (size < 1)
		return 0;
	kind = (enum index_kind)(data[0] % INDEX_KIND_COUNT);
	d = diag_create();
	if (index_parse(kind, (const char *)data + 1, size - 1, NULL, &limits, &doc, d) == 0) {
		if (doc == NULL || doc->kind != kind)
			abort();
		check_doc(doc);
	} else if (doc != NULL || d->errors == 0)
		abort();
	index_doc_free(doc);
	diag_free(d);
	return 0;
}
