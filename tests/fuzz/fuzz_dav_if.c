/*
 * fuzz_dav_if: libFuzzer harness of the If header parser (dav_if_parse)
 * and its neighbours.  The contract: a refusal says "If header: ..." and
 * returns nothing; an accepted value is within the length limit and gives
 * 1..DAV_IF_MAX_LISTS lists of 1..DAV_IF_MAX_CONDS conditions, all tagged
 * or none, each value non-empty, within DAV_IF_MAX_ITEM, state tokens free
 * of blanks and brackets, entity tags quoted; dav_if_tokens() returns every
 * state token; evaluation against a world with no lock and no ETag is true
 * exactly when some list has only negated conditions, and against a world
 * where every token is held, exactly when some list has only plain tokens
 * and negated entity tags.  The same input is also read as a Lock-Token and
 * a Timeout value, whose results must keep their own bounds.  A violation
 * aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dav_if.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
token_held(const char *resource, const char *token, void *arg)
{
	(void)resource;
	(void)token;
	return *(const int *)arg;
}

static int
no_etag(const char *resource, char *buf, size_t len, void *arg)
{
	(void)resource;
	(void)buf;
	(void)len;
	(void)arg;
	return -1;
}

static void
check_cond(const struct dav_if_cond *c)
{
	size_t len = strlen(c->value);

	if (len == 0 || len > DAV_IF_MAX_ITEM)
		abort();
	if (c->kind == DAV_IF_STATE_TOKEN && strpbrk(c->value, " \t<>") != NULL)
		abort();
	if (c->kind == DAV_IF_ENTITY_TAG && (c->value[len - 1] != '"' || len < 2 ||
	    (c->value[0] != '"' && strncmp(c->value, "W/\"", 3) != 0)))
		abort();
}

/* Checks the structure; returns how many state tokens it holds. */
static size_t
check_structure(const struct dav_if *h, int *all_negated, int *all_held)
{
	size_t tokens = 0;

	if (h->nlists == 0 || h->nlists > DAV_IF_MAX_LISTS)
		abort();
	*all_negated = *all_held = 0;
	for (size_t i = 0; i < h->nlists; i++) {
		const struct dav_if_list *l = &h->lists[i];
		int negated = 1, held = 1;

		if (l->nconds == 0 || l->nconds > DAV_IF_MAX_CONDS ||
		    (l->resource == NULL) != (h->lists[0].resource == NULL))
			abort();
		for (size_t j = 0; j < l->nconds; j++) {
			check_cond(&l->conds[j]);
			tokens += l->conds[j].kind == DAV_IF_STATE_TOKEN;
			negated &= l->conds[j].negated;
			held &= (l->conds[j].kind == DAV_IF_STATE_TOKEN) != l->conds[j].negated;
		}
		*all_negated |= negated;
		*all_held |= held;
	}
	return tokens;
}

static void
check_if(const char *value)
{
	const struct dav_if_ops ops = { token_held, no_etag };
	struct dav_if *h = NULL;
	struct errbuf err;
	int none = 0, all = 1, all_negated, all_held;
	const char **tokens;
	size_t n, want;

	if (dav_if_parse(value, &h, &err) == -1) {
		if (h != NULL || strncmp(err.msg, "If header: ", 11) != 0)
			abort();
		return;
	}
	if (strlen(value) > DAV_IF_MAX_LEN)
		abort();
	want = check_structure(h, &all_negated, &all_held);
	tokens = dav_if_tokens(h, &n);
	if (n != want || (n == 0) != (tokens == NULL))
		abort();
	if (dav_if_evaluate(h, "/r", &ops, &none) != all_negated ||
	    dav_if_evaluate(h, "/r", &ops, &all) != all_held)
		abort();
	free(tokens);
	dav_if_free(h);
}

static void
check_neighbours(const char *value)
{
	char token[64];
	struct errbuf err;
	unsigned t;

	if (dav_if_parse_lock_token(value, token, sizeof(token), &err) == 0 &&
	    (token[0] == '\0' || strpbrk(token, " \t<>") != NULL))
		abort();
	t = dav_if_parse_timeout(value, 600, 3600);
	if (t < 1 || t > 3600)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = malloc(size + 1);

	if (value == NULL)
		abort();
	memcpy(value, data, size);
	value[size] = '\0';
	check_if(value);
	check_neighbours(value);
	free(value);
	return 0;
}
