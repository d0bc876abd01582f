/*
 * dav_if: the WebDAV request headers about locks, parsed without I/O.
 *
 * dav_if_parse() reads an RFC 4918 §10.4 If header: either untagged lists
 * "(<token> ["etag"])" or resource-tagged lists "<url> (...) (...)", each
 * condition a state token in <...> or an entity tag in [...], optionally
 * preceded by "Not".  Everything is bounded (DAV_IF_MAX_*); a value over a
 * bound or off the grammar is refused with one sentence in err (the engine
 * answers 400).  dav_if_evaluate() applies §10.4.3/§10.4.4: a condition on a
 * state token is true when the resource has a lock with that token, one on
 * an entity tag when the resource's current ETag is that tag (string
 * equality); "Not" inverts it; a list is true when all its conditions are;
 * the header is true when any list is, untagged lists being evaluated
 * against the request's resource and tagged lists against their tag.  The
 * engine answers 412 when it is false.  The engine says what a resource
 * has through two callbacks, so this module knows neither the lock table
 * nor the file system.
 *
 * Also the Lock-Token header ("<token>", for UNLOCK) and the Timeout header
 * ("Second-N", "Infinite", a list of them; capped).
 *
 * Ownership: dav_if_parse() returns a structure the caller frees with
 * dav_if_free() (NULL is a no-op); its strings live as long as it does.
 */
#ifndef STORESRV_DAV_IF_H
#define STORESRV_DAV_IF_H

#include <stddef.h>

#include "errbuf.h"

#define DAV_IF_MAX_LEN		8192	/* bytes of the header value */
#define DAV_IF_MAX_LISTS	32	/* lists in one header */
#define DAV_IF_MAX_CONDS	16	/* conditions in one list */
#define DAV_IF_MAX_ITEM		1024	/* bytes of one token, tag or entity tag */

enum dav_if_cond_kind {
	DAV_IF_STATE_TOKEN,	/* <urn:uuid:...>: value without the brackets */
	DAV_IF_ENTITY_TAG	/* ["abc"] or [W/"abc"]: value without the brackets */
};

struct dav_if_cond {
	int negated;			/* preceded by "Not" */
	enum dav_if_cond_kind kind;
	char *value;
};

struct dav_if_list {
	char *resource;			/* the tag without <>; NULL when untagged */
	size_t nconds;
	struct dav_if_cond conds[DAV_IF_MAX_CONDS];
};

struct dav_if {
	size_t nlists;
	struct dav_if_list *lists;
};

/* What the engine knows about a resource, asked during evaluation.
 * `resource` is the request's resource for untagged lists, else the tag as
 * sent (an absolute URL or a path: the engine maps it; an unknown one has
 * no lock and no ETag). */
struct dav_if_ops {
	/* 1 when a lock with `token` covers `resource`, else 0. */
	int (*has_lock_token)(const char *resource, const char *token, void *arg);
	/* Writes the resource's current ETag (with its quotes) into buf and
	 * returns 0, or returns -1 when it has none (unmapped). */
	int (*etag)(const char *resource, char *buf, size_t len, void *arg);
};

/* Parses the If header's value.  Returns 0 and *out, or -1 with err set
 * ("If header: ..."). */
int dav_if_parse(const char *value, struct dav_if **out, struct errbuf *err);
void dav_if_free(struct dav_if *h);

/* 1 when the header is true for a request on `resource`, else 0. */
int dav_if_evaluate(const struct dav_if *h, const char *resource,
    const struct dav_if_ops *ops, void *arg);

/* The state tokens the header submits (§10.4.1: every token it names,
 * negated or not), in order, duplicates kept.  Returns a newly allocated
 * array (the caller frees the array only; the strings belong to h) and the
 * count in *n; NULL when there are none. */
const char **dav_if_tokens(const struct dav_if *h, size_t *n);

/* Parses a Lock-Token value "<token>" (optional surrounding blanks) into
 * out (without the brackets).  Returns 0, or -1 with err set. */
int dav_if_parse_lock_token(const char *value, char *out, size_t outlen, struct errbuf *err);

/* The lock timeout in seconds a Timeout header asks for: the first element
 * understood ("Second-N" or "Infinite", RFC 4918 §10.7), capped at max_s;
 * "Infinite" gives max_s, "Second-0" gives 1; a missing (NULL) or unreadable value gives
 * default_s (the server may ignore the header, so this never fails). */
unsigned dav_if_parse_timeout(const char *value, unsigned default_s, unsigned max_s);

#endif
