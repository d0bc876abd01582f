/*
 * test_dav_if: the If, Lock-Token and Timeout header parsers (dav_if.h),
 * from tables of named cases: RFC 4918's examples, malformed values, the
 * limits, and the evaluation rules of §10.4 against a small fake world.
 */
#include "config.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "dav_if.h"
#include "../tap.h"
#include "xmalloc.h"

#define T1 "urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2"
#define T2 "urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092"

/* A parsed header written back compactly: lists as "tag(cond cond)". */
static char *
dump(const struct dav_if *h)
{
	char *out = xstrdup(""), *next;

	for (size_t i = 0; i < h->nlists; i++) {
		const struct dav_if_list *l = &h->lists[i];

		next = xasprintf("%s%s%s%s(", out, i ? " " : "", l->resource ? l->resource : "",
		    l->resource ? " " : "");
		free(out);
		out = next;
		for (size_t j = 0; j < l->nconds; j++) {
			const struct dav_if_cond *c = &l->conds[j];

			next = xasprintf("%s%s%s%c%s%c", out, j ? " " : "", c->negated ? "!" : "",
			    c->kind == DAV_IF_STATE_TOKEN ? '<' : '[', c->value,
			    c->kind == DAV_IF_STATE_TOKEN ? '>' : ']');
			free(out);
			out = next;
		}
		next = xasprintf("%s)", out);
		free(out);
		out = next;
	}
	return out;
}

static const struct {
	const char *name, *value, *want;	/* want NULL: refused */
} parse_cases[] = {
	{ "RFC 4918 10.4.6: token and etag, then an etag",
	  "(<" T1 "> [\"I am an ETag\"]) ([\"I am another ETag\"])",
	  "(<" T1 "> [\"I am an ETag\"]) ([\"I am another ETag\"])" },
	{ "RFC 4918 10.4.7: Not and two tokens",
	  "(Not <" T1 "> <" T2 ">)", "(!<" T1 "> <" T2 ">)" },
	{ "RFC 4918 10.4.8: a token or Not DAV:no-lock",
	  "(<" T1 ">) (Not <DAV:no-lock>)", "(<" T1 ">) (!<DAV:no-lock>)" },
	{ "RFC 4918 10.4.9: tagged lists, a weak etag",
	  "</resource1> (<" T1 "> [W/\"A weak ETag\"]) ([\"strong ETag\"])",
	  "/resource1 (<" T1 "> [W/\"A weak ETag\"]) /resource1 ([\"strong ETag\"])" },
	{ "RFC 4918 10.4.10: an absolute URL as the tag",
	  "<http://www.example.com/specs/> (<" T1 ">)",
	  "http://www.example.com/specs/ (<" T1 ">)" },
	{ "two tags", "</a> (<" T1 ">) </b> (<" T2 ">)", "/a (<" T1 ">) /b (<" T2 ">)" },
	{ "blanks everywhere", "  ( Not\t<" T1 ">  [\"e\"] )  ", "(!<" T1 "> [\"e\"])" },
	{ "no blanks", "(<a>)(<b>)", "(<a>) (<b>)" },
	{ "not in lower case", "(not <a>)", "(!<a>)" },
	{ "a ']' inside an etag", "([\"a]b\"])", "([\"a]b\"])" },
	{ "empty string", "", NULL },
	{ "only blanks", "   ", NULL },
	{ "a bare token", "<" T1 ">", NULL },
	{ "a tag followed by junk", "</a> x", NULL },
	{ "unclosed list", "(<a>", NULL },
	{ "empty list", "()", NULL },
	{ "empty token", "(<>)", NULL },
	{ "unclosed token", "(<abc)", NULL },
	{ "a blank inside a token", "(<a b>)", NULL },
	{ "Not alone", "(Not)", NULL },
	{ "Not before junk", "(Not x)", NULL },
	{ "an etag without quotes", "([abc])", NULL },
	{ "an etag without its ]", "([\"abc\")", NULL },
	{ "an etag without its closing quote", "([\"abc])", NULL },
	{ "junk after the lists", "(<a>) junk", NULL },
	{ "a tag after untagged lists", "(<a>) </b> (<c>)", NULL },
	{ "a tag at the end", "</a> (<b>) </c>", NULL },
	{ "a control character in an etag", "([\"a\001\"])", NULL },
	{ "a list inside a list", "((<a>))", NULL },
};

static void
test_parse_cases(void)
{
	struct errbuf err;

	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		struct dav_if *h = NULL;
		int rc = dav_if_parse(parse_cases[i].value, &h, &err);

		if (parse_cases[i].want == NULL) {
			tap_ok(rc == -1 && h == NULL && strncmp(err.msg, "If header: ", 11) == 0,
			    "parse refuses: %s (%s)", parse_cases[i].name, rc == -1 ? err.msg : "accepted");
		} else if (rc == -1) {
			tap_ok(0, "parse: %s (%s)", parse_cases[i].name, err.msg);
		} else {
			char *got = dump(h);

			tap_str_eq(got, parse_cases[i].want, parse_cases[i].name);
			free(got);
		}
		dav_if_free(h);
	}
}

/* A value of `n` copies of `unit` between `head` and `tail`. */
static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t ul = strlen(unit);
	char *s = xmalloc(strlen(head) + ul * n + strlen(tail) + 1), *p = s;

	p = stpcpy(p, head);
	for (size_t i = 0; i < n; i++)
		p = stpcpy(p, unit);
	strcpy(p, tail);
	return s;
}

static void
check_limit(const char *name, char *value, int accepted)
{
	struct dav_if *h = NULL;
	struct errbuf err;
	int rc = dav_if_parse(value, &h, &err);

	tap_ok(accepted ? rc == 0 : rc == -1, "limit: %s %s", name, accepted ? "accepted" : "refused");
	dav_if_free(h);
	free(value);
}

static void
test_limits(void)
{
	char *item;

	check_limit("32 lists", repeat("", "(<a>)", DAV_IF_MAX_LISTS, ""), 1);
	check_limit("33 lists", repeat("", "(<a>)", DAV_IF_MAX_LISTS + 1, ""), 0);
	check_limit("16 conditions", repeat("(", "<a>", DAV_IF_MAX_CONDS, ")"), 1);
	check_limit("17 conditions", repeat("(", "<a>", DAV_IF_MAX_CONDS + 1, ")"), 0);
	check_limit("a token of the limit's length", repeat("(<", "x", DAV_IF_MAX_ITEM, ">)"), 1);
	check_limit("a token over the limit", repeat("(<", "x", DAV_IF_MAX_ITEM + 1, ">)"), 0);
	check_limit("a tag over the limit", repeat("<", "x", DAV_IF_MAX_ITEM + 1, "> (<a>)"), 0);
	check_limit("an etag over the limit", repeat("([\"", "x", DAV_IF_MAX_ITEM, "\"])"), 0);
	item = repeat("(<a>)", " ", DAV_IF_MAX_LEN, "");
	check_limit("a value over the length limit", item, 0);
	check_limit("a value at the length limit", repeat("(<a>)", " ", DAV_IF_MAX_LEN - 5, ""), 1);
	{
		struct dav_if *h = (struct dav_if *)1;
		struct errbuf err;

		tap_ok(dav_if_parse(NULL, &h, &err) == -1 && h == NULL, "a missing header is refused");
	}
}

/* The fake world: /r has lock T1 and ETag "e1"; /other has T2 and "e2". */
static int
fake_has_lock_token(const char *resource, const char *token, void *arg)
{
	(void)arg;
	return (strcmp(resource, "/r") == 0 && strcmp(token, T1) == 0) ||
	    (strcmp(resource, "/other") == 0 && strcmp(token, T2) == 0);
}

static int
fake_etag(const char *resource, char *buf, size_t len, void *arg)
{
	(void)arg;
	if (strcmp(resource, "/r") == 0)
		snprintf(buf, len, "\"e1\"");
	else if (strcmp(resource, "/other") == 0)
		snprintf(buf, len, "\"e2\"");
	else
		return -1;
	return 0;
}

static const struct {
	const char *name, *value, *resource;
	int want;
} eval_cases[] = {
	{ "the resource's token", "(<" T1 ">)", "/r", 1 },
	{ "another resource's token", "(<" T1 ">)", "/other", 0 },
	{ "Not the resource's token", "(Not <" T1 ">)", "/r", 0 },
	{ "Not another's token", "(Not <" T1 ">)", "/other", 1 },
	{ "token and matching etag", "(<" T1 "> [\"e1\"])", "/r", 1 },
	{ "token and wrong etag: all must hold", "(<" T1 "> [\"e2\"])", "/r", 0 },
	{ "a weak etag is not the strong one", "([W/\"e1\"])", "/r", 0 },
	{ "first list false, second true", "(<urn:uuid:bad>) ([\"e1\"])", "/r", 1 },
	{ "both lists false", "(<urn:uuid:bad>) ([\"e2\"])", "/r", 0 },
	{ "DAV:no-lock never holds", "(<DAV:no-lock>)", "/r", 0 },
	{ "Not DAV:no-lock always holds", "(<urn:uuid:bad>) (Not <DAV:no-lock>)", "/x", 1 },
	{ "an unmapped resource has no etag", "([\"e1\"])", "/x", 0 },
	{ "Not an etag on an unmapped resource", "(Not [\"e1\"])", "/x", 1 },
	{ "a tagged list applies to its tag", "</other> (<" T2 ">)", "/r", 1 },
	{ "a tagged list ignores the request", "</other> (<" T1 ">)", "/r", 0 },
	{ "the request's own tag", "</r> (<" T1 ">)", "/r", 1 },
	{ "second tag true", "</other> (<" T1 ">) </r> (<" T1 ">)", "/x", 1 },
};

static void
test_evaluate(void)
{
	const struct dav_if_ops ops = { fake_has_lock_token, fake_etag };
	struct errbuf err;

	for (size_t i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
		struct dav_if *h = NULL;

		if (dav_if_parse(eval_cases[i].value, &h, &err) == -1) {
			tap_ok(0, "evaluate: %s (%s)", eval_cases[i].name, err.msg);
			continue;
		}
		tap_ok(dav_if_evaluate(h, eval_cases[i].resource, &ops, NULL) == eval_cases[i].want,
		    "evaluate: %s is %s", eval_cases[i].name, eval_cases[i].want ? "true" : "false");
		dav_if_free(h);
	}
}

static void
test_tokens(void)
{
	struct dav_if *h = NULL;
	struct errbuf err;
	const char **tokens;
	size_t n = 99;

	dav_if_parse("</a> (<" T1 "> [\"x\"]) (Not <" T2 ">)", &h, &err);
	tokens = dav_if_tokens(h, &n);
	tap_ok(n == 2 && strcmp(tokens[0], T1) == 0 && strcmp(tokens[1], T2) == 0,
	    "tokens: every state token, negated or not, in order");
	free(tokens);
	dav_if_free(h);
	dav_if_parse("([\"x\"])", &h, &err);
	tokens = dav_if_tokens(h, &n);
	tap_ok(n == 0 && tokens == NULL, "tokens: none in an etag-only header");
	dav_if_free(h);
}

static const struct {
	const char *name, *value, *want;	/* want NULL: refused */
} lock_token_cases[] = {
	{ "a token", "<" T1 ">", T1 },
	{ "blanks around", " \t<" T1 ">  ", T1 },
	{ "no brackets", T1, NULL },
	{ "unclosed", "<" T1, NULL },
	{ "empty", "<>", NULL },
	{ "two tokens", "<a> <b>", NULL },
	{ "text after", "<a>x", NULL },
	{ "empty value", "", NULL },
	{ "too long for the buffer", "<urn:uuid:" "0123456789012345678901234567890123456789" ">", NULL },
};

static void
test_lock_token(void)
{
	struct errbuf err;
	char out[48];

	for (size_t i = 0; i < sizeof(lock_token_cases) / sizeof(lock_token_cases[0]); i++) {
		int rc = dav_if_parse_lock_token(lock_token_cases[i].value, out, sizeof(out), &err);

		if (lock_token_cases[i].want == NULL)
			tap_ok(rc == -1 && strncmp(err.msg, "Lock-Token header: ", 19) == 0,
			    "Lock-Token refuses: %s", lock_token_cases[i].name);
		else if (rc == -1)
			tap_ok(0, "Lock-Token: %s (%s)", lock_token_cases[i].name, err.msg);
		else
			tap_str_eq(out, lock_token_cases[i].want, lock_token_cases[i].name);
	}
	tap_ok(dav_if_parse_lock_token(NULL, out, sizeof(out), &err) == -1,
	    "Lock-Token refuses: missing");
}

static const struct {
	const char *name, *value;
	unsigned want;
} timeout_cases[] = {
	{ "missing: the default", NULL, 600 },
	{ "seconds", "Second-100", 100 },
	{ "lower case", "second-5", 5 },
	{ "Infinite: the cap", "Infinite", 3600 },
	{ "over the cap", "Second-4100000000", 3600 },
	{ "a huge number", "Second-999999999999999999999999999", 3600 },
	{ "a list: the first", "Second-60, Infinite", 60 },
	{ "a list: the first understood", "Second-x, Second-20", 20 },
	{ "Infinite first", "Infinite, Second-4100000000", 3600 },
	{ "no number", "Second-", 600 },
	{ "junk", "bogus", 600 },
	{ "negative", "Second--5", 600 },
	{ "zero: one second", "Second-0", 1 },
	{ "empty", "", 600 },
};

static void
test_timeout(void)
{
	for (size_t i = 0; i < sizeof(timeout_cases) / sizeof(timeout_cases[0]); i++) {
		unsigned got = dav_if_parse_timeout(timeout_cases[i].value, 600, 3600);

		tap_ok(got == timeout_cases[i].want, "Timeout: %s (%u)", timeout_cases[i].name, got);
	}
	tap_ok(dav_if_parse_timeout(NULL, 7200, 3600) == 3600, "Timeout: the default is capped too");
}

int
main(void)
{
	test_parse_cases();
	test_limits();
	test_evaluate();
	test_tokens();
	test_lock_token();
	test_timeout();
	return tap_done();
}
