/*
 * dav_if: the If, Lock-Token and Timeout headers of RFC 4918 (dav_if.h).
 *
 * The If grammar (§10.4.2):
 *   If = ( 1*No-tag-list | 1*Tagged-list )
 *   No-tag-list = List ; Tagged-list = Resource-Tag 1*List
 *   List = "(" 1*Condition ")" ; Condition = ["Not"] (State-token | "[" entity-tag "]")
 *   State-token = Coded-URL = "<" absolute-URI ">" ; Resource-Tag = "<" Simple-ref ">"
 * with optional blanks between the elements.  A reader walks it once.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dav_if.h"
#include "xmalloc.h"

struct if_reader {
	const char *s;		/* the header value */
	size_t pos;
	struct errbuf *err;
};

static void
skip_blanks(struct if_reader *r)
{
	while (r->s[r->pos] == ' ' || r->s[r->pos] == '\t')
		r->pos++;
}

static int
reader_fail(struct if_reader *r, const char *what)
{
	return errbuf_set(r->err, "If header: %s at offset %zu", what, r->pos);
}

/* Reads "<...>" (at '<'): no blank, control character, '<' inside. */
static int
read_coded_url(struct if_reader *r, char **out)
{
	size_t start = ++r->pos, len;

	while (r->s[r->pos] != '>') {
		unsigned char c = (unsigned char)r->s[r->pos];

		if (c == '\0')
			return reader_fail(r, "'<' without its '>'");
		if (c <= ' ' || c == 0x7f || c == '<')
			return reader_fail(r, "a blank or control character inside <...>");
		r->pos++;
	}
	len = r->pos - start;
	if (len == 0)
		return reader_fail(r, "an empty <>");
	if (len > DAV_IF_MAX_ITEM)
		return reader_fail(r, "a <...> longer than the limit");
	*out = xstrndup(r->s + start, len);
	r->pos++;
	return 0;
}

/* Reads "[" entity-tag "]" (at '['): [W/]"etagc*" where etagc excludes '"'. */
static int
read_entity_tag(struct if_reader *r, char **out)
{
	size_t start = ++r->pos, len;

	if (strncmp(r->s + r->pos, "W/", 2) == 0)
		r->pos += 2;
	if (r->s[r->pos] != '"')
		return reader_fail(r, "an entity tag without its opening quote");
	r->pos++;
	while (r->s[r->pos] != '"') {
		unsigned char c = (unsigned char)r->s[r->pos];

		if (c == '\0')
			return reader_fail(r, "an entity tag without its closing quote");
		if (c < 0x20 || c == 0x7f)	/* blanks: RFC 4918's own examples have them */
			return reader_fail(r, "a control character inside an entity tag");
		r->pos++;
	}
	r->pos++;
	len = r->pos - start;
	if (r->s[r->pos] != ']')
		return reader_fail(r, "an entity tag without its ']'");
	if (len > DAV_IF_MAX_ITEM)
		return reader_fail(r, "an entity tag longer than the limit");
	*out = xstrndup(r->s + start, len);
	r->pos++;
	return 0;
}

static int
read_condition(struct if_reader *r, struct dav_if_cond *cond)
{
	if (strncasecmp(r->s + r->pos, "Not", 3) == 0) {
		cond->negated = 1;
		r->pos += 3;
		skip_blanks(r);
	}
	if (r->s[r->pos] == '<') {
		cond->kind = DAV_IF_STATE_TOKEN;
		return read_coded_url(r, &cond->value);
	}
	if (r->s[r->pos] == '[') {
		cond->kind = DAV_IF_ENTITY_TAG;
		return read_entity_tag(r, &cond->value);
	}
	return reader_fail(r, "a condition that is neither <state-token> nor [entity-tag]");
}

/* Reads "(" 1*Condition ")" (at '(') into list. */
static int
read_list(struct if_reader *r, struct dav_if_list *list)
{
	r->pos++;
	skip_blanks(r);
	while (r->s[r->pos] != ')') {
		if (list->nconds == DAV_IF_MAX_CONDS)
			return reader_fail(r, "more conditions in a list than the limit");
		if (read_condition(r, &list->conds[list->nconds++]) == -1)
			return -1;
		skip_blanks(r);
	}
	if (list->nconds == 0)
		return reader_fail(r, "an empty list");
	r->pos++;
	return 0;
}

static struct dav_if_list *
add_list(struct dav_if *h, struct if_reader *r, const char *resource)
{
	struct dav_if_list *list;

	if (h->nlists == DAV_IF_MAX_LISTS) {
		reader_fail(r, "more lists than the limit");
		return NULL;
	}
	h->lists = xreallocarray(h->lists, h->nlists + 1, sizeof(*h->lists));
	list = &h->lists[h->nlists++];
	memset(list, 0, sizeof(*list));
	list->resource = resource ? xstrdup(resource) : NULL;
	return list;
}

/* The body of the header: lists, each after an optional tag. */
static int
read_lists(struct if_reader *r, struct dav_if *h)
{
	int tagged = r->s[r->pos] == '<';
	char *tag = NULL;
	int rc = -1;

	while (r->s[r->pos] != '\0') {
		struct dav_if_list *list;

		if (r->s[r->pos] == '<') {
			if (!tagged) {
				reader_fail(r, "a resource tag after untagged lists");
				goto out;
			}
			free(tag);
			tag = NULL;
			if (read_coded_url(r, &tag) == -1)
				goto out;
			skip_blanks(r);
			if (r->s[r->pos] != '(') {
				reader_fail(r, "a resource tag without a list");
				goto out;
			}
		}
		if (r->s[r->pos] != '(') {
			reader_fail(r, "neither '(' nor '<'");
			goto out;
		}
		if ((list = add_list(h, r, tag)) == NULL || read_list(r, list) == -1)
			goto out;
		skip_blanks(r);
	}
	rc = 0;
out:
	free(tag);
	return rc;
}

int
dav_if_parse(const char *value, struct dav_if **out, struct errbuf *err)
{
	struct if_reader r = { value, 0, err };
	struct dav_if *h;

	*out = NULL;
	if (value == NULL)
		return errbuf_set(err, "If header: missing");
	if (strlen(value) > DAV_IF_MAX_LEN)
		return errbuf_set(err, "If header: longer than %d bytes", DAV_IF_MAX_LEN);
	h = xcalloc(1, sizeof(*h));
	skip_blanks(&r);
	if (value[r.pos] != '(' && value[r.pos] != '<') {
		reader_fail(&r, "neither a list nor a resource tag");
		goto fail;
	}
	if (read_lists(&r, h) == -1)
		goto fail;
	*out = h;
	return 0;
fail:
	dav_if_free(h);
	return -1;
}

void
dav_if_free(struct dav_if *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nlists; i++) {
		free(h->lists[i].resource);
		for (size_t j = 0; j < h->lists[i].nconds; j++)
			free(h->lists[i].conds[j].value);
	}
	free(h->lists);
	free(h);
}

static int
condition_holds(const struct dav_if_cond *c, const char *resource,
    const struct dav_if_ops *ops, void *arg)
{
	char etag[DAV_IF_MAX_ITEM + 1];
	int holds;

	if (c->kind == DAV_IF_STATE_TOKEN)
		holds = ops->has_lock_token(resource, c->value, arg) == 1;
	else
		holds = ops->etag(resource, etag, sizeof(etag), arg) == 0 &&
		    strcmp(etag, c->value) == 0;
	return c->negated ? !holds : holds;
}

int
dav_if_evaluate(const struct dav_if *h, const char *resource,
    const struct dav_if_ops *ops, void *arg)
{
	for (size_t i = 0; i < h->nlists; i++) {
		const struct dav_if_list *list = &h->lists[i];
		const char *subject = list->resource ? list->resource : resource;
		size_t j;

		for (j = 0; j < list->nconds; j++)
			if (!condition_holds(&list->conds[j], subject, ops, arg))
				break;
		if (j == list->nconds)
			return 1;
	}
	return 0;
}

const char **
dav_if_tokens(const struct dav_if *h, size_t *n)
{
	const char **tokens = NULL;

	*n = 0;
	for (size_t i = 0; i < h->nlists; i++)
		for (size_t j = 0; j < h->lists[i].nconds; j++) {
			if (h->lists[i].conds[j].kind != DAV_IF_STATE_TOKEN)
				continue;
			tokens = xreallocarray(tokens, *n + 1, sizeof(*tokens));
			tokens[(*n)++] = h->lists[i].conds[j].value;
		}
	return tokens;
}

int
dav_if_parse_lock_token(const char *value, char *out, size_t outlen, struct errbuf *err)
{
	struct if_reader r = { value, 0, err };
	char *token = NULL;
	int rc = -1;

	if (value == NULL)
		return errbuf_set(err, "Lock-Token header: missing");
	skip_blanks(&r);
	if (value[r.pos] != '<' || read_coded_url(&r, &token) == -1) {
		errbuf_set(err, "Lock-Token header: not a <token>");
		goto out;
	}
	skip_blanks(&r);
	if (value[r.pos] != '\0') {
		errbuf_set(err, "Lock-Token header: text after the <token>");
		goto out;
	}
	if (strlen(token) >= outlen) {
		errbuf_set(err, "Lock-Token header: a token longer than %zu bytes", outlen - 1);
		goto out;
	}
	strcpy(out, token);
	rc = 0;
out:
	free(token);
	return rc;
}

/* One TimeType element of [start, end): seconds, or -1 when not understood. */
static long long
timeout_element(const char *start, const char *end, unsigned max_s)
{
	size_t len = (size_t)(end - start);
	unsigned long long v = 0;

	if (len == 8 && strncasecmp(start, "Infinite", 8) == 0)
		return max_s;
	if (len <= 7 || strncasecmp(start, "Second-", 7) != 0)
		return -1;
	for (const char *p = start + 7; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		if (v < UINT_MAX)
			v = v * 10 + (unsigned)(*p - '0');	/* saturates below */
	}
	if (v == 0)
		v = 1;		/* a lock that expires at once is of no use */
	return v > max_s ? max_s : (long long)v;
}

unsigned
dav_if_parse_timeout(const char *value, unsigned default_s, unsigned max_s)
{
	const char *p = value;

	if (default_s > max_s)
		default_s = max_s;
	if (value == NULL || strlen(value) > DAV_IF_MAX_LEN)
		return default_s;
	while (*p != '\0') {
		const char *start, *end;
		long long v;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		start = p;
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		end = p;
		if (end > start && (v = timeout_element(start, end, max_s)) >= 0)
			return (unsigned)v;
	}
	return default_s;
}
