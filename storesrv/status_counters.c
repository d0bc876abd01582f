/*
 * status_counters: per-thread, lock-free download statistics; see
 * status_counters.h.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "status_counters.h"
#include "xmalloc.h"

typedef atomic_uint_least64_t status_counter;

struct status_slot {
	atomic_int used;	/* release-stored once key is complete */
	char key[STATUS_KEY_MAX];
	status_counter requests;
	status_counter bytes;
};

struct status_counters {
	status_counter requests;
	status_counter bytes;
	status_counter by_class[STATUS_CLASSES];
	status_counter not_modified;
	status_counter partial;
	status_counter downloads;
	status_counter download_bytes;
	struct status_slot other;
	size_t nused;		/* the writer's own count of used slots */
	struct status_slot slots[STATUS_MAX_KEYS];
};

/* The single writer adds without a locked instruction; readers load. */
static void
status_add(status_counter *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

static uint64_t
status_load(status_counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

struct status_counters *
status_counters_create(void)
{
	return xcalloc(1, sizeof(struct status_counters));
}

void
status_counters_free(struct status_counters *c)
{
	free(c);
}

/* FNV-1a */
static size_t
status_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* Skips one path segment of p (which starts after a '/'); returns its
 * length, 0 when empty. */
static size_t
status_segment(const char *p)
{
	return strcspn(p, "/");
}

int
status_download_key(const char *path, char *key, size_t keysz)
{
	size_t chan, rest, segs = 0;
	const char *p;

	if (path[0] != '/')
		return -1;
	chan = status_segment(path + 1);
	if (chan == 0 || strncmp(path + 1 + chan, "/download/", 10) != 0)
		return -1;
	p = path + 1 + chan + 10;
	rest = strlen(p);
	for (const char *s = p; ; s += status_segment(s) + 1) {
		if (status_segment(s) == 0)
			return -1;	/* empty segment or trailing '/' */
		segs++;
		if (s[status_segment(s)] == '\0')
			break;
	}
	if (segs < 2 || chan + 1 + rest + 1 > keysz)
		return -1;
	memcpy(key, path + 1, chan);
	key[chan] = '/';
	memcpy(key + chan + 1, p, rest + 1);
	return 0;
}

/* The slot of key, claimed when new; &c->other when the table is full. */
static struct status_slot *
status_slot_of(struct status_counters *c, const char *key)
{
	size_t i = status_hash(key) % STATUS_MAX_KEYS;

	for (size_t n = 0; n < STATUS_MAX_KEYS; n++, i = (i + 1) % STATUS_MAX_KEYS) {
		struct status_slot *s = &c->slots[i];

		if (atomic_load_explicit(&s->used, memory_order_relaxed)) {
			if (strcmp(s->key, key) == 0)
				return s;
			continue;
		}
		/* keep one slot in ten free so probes stay short */
		if (c->nused >= STATUS_MAX_KEYS - STATUS_MAX_KEYS / 10)
			break;
		strcpy(s->key, key);
		atomic_store_explicit(&s->used, 1, memory_order_release);
		c->nused++;
		return s;
	}
	return &c->other;
}

static int
status_class(int status)
{
	return status >= 100 && status < 600 ? status / 100 - 1 : STATUS_CLASSES - 1;
}

void
status_count(struct status_counters *c, const char *path, int status, uint64_t bytes)
{
	char key[STATUS_KEY_MAX];
	struct status_slot *s;

	status_add(&c->requests, 1);
	status_add(&c->bytes, bytes);
	status_add(&c->by_class[status_class(status)], 1);
	if (status == 304)
		status_add(&c->not_modified, 1);
	if (status == 206)
		status_add(&c->partial, 1);
	if ((status / 100 != 2 && status != 304) || path == NULL ||
	    status_download_key(path, key, sizeof(key)) == -1)
		return;
	status_add(&c->downloads, 1);
	status_add(&c->download_bytes, bytes);
	s = status_slot_of(c, key);
	status_add(&s->requests, 1);
	status_add(&s->bytes, bytes);
}

static int
status_file_cmp_key(const void *a, const void *b)
{
	return strcmp(((const struct status_file_count *)a)->key,
	    ((const struct status_file_count *)b)->key);
}

/* Appends every used slot of c to out->files (room for them is there). */
static void
status_collect_slots(struct status_counters *c, struct status_totals *out)
{
	for (size_t i = 0; i < STATUS_MAX_KEYS; i++) {
		struct status_slot *s = &c->slots[i];
		struct status_file_count *f;

		if (!atomic_load_explicit(&s->used, memory_order_acquire))
			continue;
		f = &out->files[out->nfiles++];
		memcpy(f->key, s->key, sizeof(f->key));
		f->requests = status_load(&s->requests);
		f->bytes = status_load(&s->bytes);
	}
}

/* Sorts the files by key and merges equal keys (several threads). */
static void
status_merge_files(struct status_totals *out)
{
	size_t n = 0;

	qsort(out->files, out->nfiles, sizeof(*out->files), status_file_cmp_key);
	for (size_t i = 0; i < out->nfiles; i++) {
		if (n > 0 && strcmp(out->files[n - 1].key, out->files[i].key) == 0) {
			out->files[n - 1].requests += out->files[i].requests;
			out->files[n - 1].bytes += out->files[i].bytes;
		} else {
			out->files[n++] = out->files[i];
		}
	}
	out->nfiles = n;
}

void
status_counters_sum(struct status_counters *const *c, size_t n, struct status_totals *out)
{
	memset(out, 0, sizeof(*out));
	strcpy(out->other.key, "other");
	out->files = xcalloc(n * STATUS_MAX_KEYS + 1, sizeof(*out->files));
	for (size_t t = 0; t < n; t++) {
		out->requests += status_load(&c[t]->requests);
		out->bytes += status_load(&c[t]->bytes);
		for (size_t k = 0; k < STATUS_CLASSES; k++)
			out->by_class[k] += status_load(&c[t]->by_class[k]);
		out->not_modified += status_load(&c[t]->not_modified);
		out->partial += status_load(&c[t]->partial);
		out->downloads += status_load(&c[t]->downloads);
		out->download_bytes += status_load(&c[t]->download_bytes);
		out->other.requests += status_load(&c[t]->other.requests);
		out->other.bytes += status_load(&c[t]->other.bytes);
		status_collect_slots(c[t], out);
	}
	status_merge_files(out);
}

void
status_totals_release(struct status_totals *t)
{
	free(t->files);
	t->files = NULL;
	t->nfiles = 0;
}
