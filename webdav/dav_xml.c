/*
 * dav_xml: the WebDAV XML request bodies - the parsers of PROPFIND,
 * PROPPATCH and LOCK, and the serialiser of dead property values.  The
 * writer of the answers is dav_xml_write.c; the contract is in dav_xml.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dav_xml.h"
#include "dav_xml_buf.h"
#include "xmalloc.h"

#define XML_NS_URI "http://www.w3.org/XML/1998/namespace"

/* --- parsing: refusals, the safe parse, tree helpers --- */

struct parse_job {
	const char	*what;		/* "PROPFIND body" */
	int		*status;
	struct errbuf	*err;
	int		 props;		/* properties seen so far */
};

static int __attribute__((format(printf, 3, 4)))
refuse(struct parse_job *job, int status, const char *fmt, ...)
{
	char msg[ERRBUF_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	*job->status = status;
	return errbuf_set(job->err, "%s: %s", job->what, msg);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_space(s[i]))
			return 0;
	return 1;
}

/* Skips from p past the first `end` in [p, lim); NULL when it is not there. */
static const char *
skip_past(const char *p, const char *lim, const char *end)
{
	size_t n = strlen(end);

	for (; (size_t)(lim - p) >= n; p++)
		if (memcmp(p, end, n) == 0)
			return p + n;
	return NULL;
}

/* The prolog (XML declaration, PIs, comments, whitespace) holds no
 * DOCTYPE: any "<!" that is not a comment is refused before parsing. */
static int
prolog_has_doctype(const char *body, size_t len)
{
	const char *p = body, *lim = body + len;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < lim) {
		if (is_space(*p)) {
			p++;
		} else if (lim - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			if ((p = skip_past(p + 4, lim, "-->")) == NULL)
				return 0;	/* the parser will call it malformed */
		} else if (lim - p >= 2 && memcmp(p, "<?", 2) == 0) {
			if ((p = skip_past(p + 2, lim, "?>")) == NULL)
				return 0;
		} else {
			return lim - p >= 2 && memcmp(p, "<!", 2) == 0;
		}
	}
	return 0;
}

/* SAX callbacks for a DOCTYPE the prolog scan missed: stop at once. */
static void
stop_at_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;

	ctxt->_private = ctxt;		/* marks "a DOCTYPE was seen" */
	xmlStopParser(ctxt);
}

static void
describe_xml_error(struct parse_job *job, xmlParserCtxtPtr ctxt)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);
	char msg[200] = "not well-formed XML";
	size_t n;

	if (e != NULL && e->message != NULL) {
		snprintf(msg, sizeof(msg), "%s", e->message);
		n = strlen(msg);
		while (n > 0 && is_space(msg[n - 1]))
			msg[--n] = '\0';
	}
	refuse(job, 400, "line %d: %s", e != NULL ? e->line : 0, msg);
}

/* Parses body into a tree, refusing everything dav_xml.h lists as 400/413
 * that is not about particular elements; NULL after a refusal. */
static xmlDocPtr
parse_body(struct parse_job *job, const char *body, size_t len)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_NOCDATA;

	if (len > DAV_XML_MAX_BODY) {
		refuse(job, 413, "%zu bytes, more than the limit of %d", len, DAV_XML_MAX_BODY);
		return NULL;
	}
	if (memchr(body, '\0', len) != NULL) {
		refuse(job, 400, "a NUL byte: only UTF-8 bodies are accepted");
		return NULL;
	}
	if (prolog_has_doctype(body, len)) {
		refuse(job, 400, "a DOCTYPE is refused");
		return NULL;
	}
	if ((ctxt = xmlNewParserCtxt()) == NULL)
		xalloc_failed("libxml2 parser context");
	ctxt->sax->internalSubset = stop_at_subset;
	ctxt->sax->externalSubset = stop_at_subset;
	doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL, options);
	if (ctxt->_private != NULL || (doc != NULL && (doc->intSubset != NULL ||
	    doc->extSubset != NULL))) {
		refuse(job, 400, "a DOCTYPE is refused");
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (doc == NULL || !ctxt->wellFormed || !ctxt->nsWellFormed) {
		describe_xml_error(job, ctxt);
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

static int
node_is(const xmlNode *node, const char *ns, const char *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE && node->ns != NULL &&
	    strcmp((const char *)node->ns->href, ns) == 0 &&
	    strcmp((const char *)node->name, name) == 0;
}

static int
is_dav(const xmlNode *node, const char *name)
{
	return node_is(node, DAV_NS, name);
}

/* The deepest element nesting below (and counting) root, walking the tree
 * without recursion. */
static int
tree_depth_over(const xmlNode *root, int limit)
{
	const xmlNode *n = root;
	int depth = 1;

	while (n != NULL) {
		if (n->type == XML_ELEMENT_NODE && depth > limit)
			return 1;
		if (n->children != NULL && n->type == XML_ELEMENT_NODE) {
			n = n->children;
			depth++;
			continue;
		}
		while (n != root && n->next == NULL) {
			n = n->parent;
			depth--;
		}
		if (n == root)
			break;
		n = n->next;
	}
	return 0;
}

/* The root element, checked for its name and the depth limit. */
static xmlNode *
checked_root(struct parse_job *job, xmlDocPtr doc, const char *name)
{
	xmlNode *root = xmlDocGetRootElement(doc);

	if (!is_dav(root, name)) {
		refuse(job, 400, "the root element is <%s%s%s>, not <DAV:%s>",
		    root != NULL && root->ns != NULL ? (const char *)root->ns->href : "",
		    root != NULL && root->ns != NULL ? ":" : "",
		    root != NULL ? (const char *)root->name : "", name);
		return NULL;
	}
	if (tree_depth_over(root, DAV_XML_MAX_DEPTH)) {
		refuse(job, 413, "elements nested deeper than %d", DAV_XML_MAX_DEPTH);
		return NULL;
	}
	return root;
}

/* The one DAV:name child of parent: NULL without a refusal when absent,
 * NULL with a 400 when repeated (*dup set). */
static xmlNode *
only_child(struct parse_job *job, xmlNode *parent, const char *name, int *dup)
{
	xmlNode *found = NULL;

	*dup = 0;
	for (xmlNode *c = parent->children; c != NULL; c = c->next) {
		if (!is_dav(c, name))
			continue;
		if (found != NULL) {
			*dup = 1;
			refuse(job, 400, "<%s> holds more than one <%s>", parent->name, name);
			return NULL;
		}
		found = c;
	}
	return found;
}

static int
qname_set(struct parse_job *job, struct dav_qname *q, const xmlNode *node)
{
	const char *ns = node->ns != NULL ? (const char *)node->ns->href : "";
	size_t nlen = strlen((const char *)node->name), nslen = strlen(ns);

	if (nlen > DAV_XML_MAX_NAME)
		return refuse(job, 413, "a property name of %zu bytes, more than %d", nlen,
		    DAV_XML_MAX_NAME);
	if (nslen > DAV_XML_MAX_NS)
		return refuse(job, 413, "<%.40s...> has a namespace of %zu bytes, more than %d",
		    node->name, nslen, DAV_XML_MAX_NS);
	if (++job->props > DAV_XML_MAX_PROPS)
		return refuse(job, 413, "more than %d properties", DAV_XML_MAX_PROPS);
	q->ns = xstrdup(ns);
	q->name = xstrdup((const char *)node->name);
	return 0;
}

/* Collects the element children of `parent` as qualified names. */
static int
collect_names(struct parse_job *job, const xmlNode *parent, struct dav_qname **names,
    size_t *n)
{
	for (const xmlNode *c = parent->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		*names = xreallocarray(*names, *n + 1, sizeof(**names));
		memset(&(*names)[*n], 0, sizeof(**names));
		if (qname_set(job, &(*names)[*n], c) < 0)
			return -1;
		(*n)++;
	}
	return 0;
}

/* --- serialising a value: inner XML with the declarations it needs --- */

/* One namespace binding in force in the output written so far. */
struct ns_scope {
	const char		*prefix;	/* NULL: the default namespace */
	const char		*href;		/* "" for xmlns="" */
	const struct ns_scope	*up;
};

static const char *
scope_lookup(const struct ns_scope *s, const char *prefix)
{
	for (; s != NULL; s = s->up) {
		if ((s->prefix == NULL && prefix == NULL) ||
		    (s->prefix != NULL && prefix != NULL && strcmp(s->prefix, prefix) == 0))
			return s->href;
	}
	return NULL;
}

/* Declares prefix=href on the element being written unless the output
 * already binds it so; returns the new innermost scope. */
static struct ns_scope *
declare(struct dav_xml_buf *buf, struct ns_scope *slot, const struct ns_scope *scope,
    const char *prefix, const char *href)
{
	const char *bound = scope_lookup(scope, prefix);

	if (bound != NULL ? strcmp(bound, href) == 0 : (prefix == NULL && href[0] == '\0'))
		return NULL;
	if (prefix != NULL && href[0] == '\0')
		return NULL;		/* xmlns:p="" is not XML 1.0 */
	dav_xml_buf_str(buf, prefix != NULL ? " xmlns:" : " xmlns");
	if (prefix != NULL)
		dav_xml_buf_str(buf, prefix);
	dav_xml_buf_str(buf, "=\"");
	dav_xml_buf_escaped(buf, href, 1);
	dav_xml_buf_str(buf, "\"");
	slot->prefix = prefix;
	slot->href = href;
	slot->up = scope;
	return slot;
}

static void serialize_nodes(struct dav_xml_buf *buf, const xmlNode *first,
    const struct ns_scope *scope);

/* Room for every declaration an element can need: its own namespace, its
 * declarations and one per attribute. */
static size_t
scope_slots_needed(const xmlNode *el)
{
	size_t n = 1;

	for (const xmlNs *d = el->nsDef; d != NULL; d = d->next)
		n++;
	for (const xmlAttr *a = el->properties; a != NULL; a = a->next)
		n++;
	return n;
}

static void
serialize_attributes(struct dav_xml_buf *buf, const xmlNode *el)
{
	for (const xmlAttr *a = el->properties; a != NULL; a = a->next) {
		const char *ap = a->ns != NULL ? (const char *)a->ns->prefix : NULL;
		xmlChar *v = xmlNodeListGetString(el->doc, a->children, 0);

		dav_xml_buf_printf(buf, " %s%s%s=\"", ap != NULL ? ap : "", ap != NULL ? ":" : "",
		    (const char *)a->name);
		dav_xml_buf_escaped(buf, v != NULL ? (const char *)v : "", 1);
		xmlFree(v);
		dav_xml_buf_str(buf, "\"");
	}
}

static void
serialize_element(struct dav_xml_buf *buf, const xmlNode *el, const struct ns_scope *scope)
{
	struct ns_scope *slots = xcalloc(scope_slots_needed(el), sizeof(*slots)), *added;
	const struct ns_scope *inner = scope;
	const char *prefix = el->ns != NULL ? (const char *)el->ns->prefix : NULL;
	size_t used = 0;

	dav_xml_buf_str(buf, "<");
	if (prefix != NULL)
		dav_xml_buf_printf(buf, "%s:", prefix);
	dav_xml_buf_str(buf, (const char *)el->name);
	if ((added = declare(buf, &slots[used], inner, prefix,
	    el->ns != NULL ? (const char *)el->ns->href : "")) != NULL) {
		inner = added;
		used++;
	}
	for (const xmlNs *d = el->nsDef; d != NULL; d = d->next) {
		if ((added = declare(buf, &slots[used], inner, (const char *)d->prefix,
		    (const char *)d->href)) != NULL) {
			inner = added;
			used++;
		}
	}
	for (const xmlAttr *a = el->properties; a != NULL; a = a->next) {
		if (a->ns != NULL && strcmp((const char *)a->ns->href, XML_NS_URI) != 0 &&
		    (added = declare(buf, &slots[used], inner, (const char *)a->ns->prefix,
		    (const char *)a->ns->href)) != NULL) {
			inner = added;
			used++;
		}
	}
	serialize_attributes(buf, el);
	if (el->children == NULL) {
		dav_xml_buf_str(buf, "/>");
	} else {
		dav_xml_buf_str(buf, ">");
		serialize_nodes(buf, el->children, inner);
		dav_xml_buf_printf(buf, "</%s%s%s>", prefix != NULL ? prefix : "",
		    prefix != NULL ? ":" : "", (const char *)el->name);
	}
	free(slots);
}

/* Elements and text; comments and processing instructions are dropped. */
static void
serialize_nodes(struct dav_xml_buf *buf, const xmlNode *first, const struct ns_scope *scope)
{
	for (const xmlNode *n = first; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			serialize_element(buf, n, scope);
		else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
		    n->content != NULL)
			dav_xml_buf_escaped(buf, (const char *)n->content, 0);
	}
}

/* The inner XML of el, self-contained; NULL after a 413. */
static char *
serialize_inner(struct parse_job *job, const xmlNode *el)
{
	struct dav_xml_buf buf = { 0 };

	serialize_nodes(&buf, el->children, NULL);
	if (buf.len > DAV_XML_MAX_VALUE) {
		refuse(job, 413, "the value of <%.40s> is %zu bytes, more than %d", el->name,
		    buf.len, DAV_XML_MAX_VALUE);
		dav_xml_buf_free(&buf);
		return NULL;
	}
	return buf.data != NULL ? buf.data : xstrdup("");
}

/* --- PROPFIND --- */

void
dav_propfind_free(struct dav_propfind *pf)
{
	for (size_t i = 0; i < pf->n_names; i++) {
		free(pf->names[i].ns);
		free(pf->names[i].name);
	}
	free(pf->names);
	pf->names = NULL;
	pf->n_names = 0;
}

/* Which of <propname>, <allprop>, <prop> the root holds: exactly one. */
static int
propfind_choice(struct parse_job *job, xmlNode *root, xmlNode **chosen,
    enum dav_propfind_kind *kind)
{
	static const struct {
		const char		*name;
		enum dav_propfind_kind	 kind;
	} choices[] = {
		{ "propname", DAV_PROPFIND_PROPNAME },
		{ "allprop", DAV_PROPFIND_ALLPROP },
		{ "prop", DAV_PROPFIND_PROP },
	};
	int dup;

	*chosen = NULL;
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
		xmlNode *c = only_child(job, root, choices[i].name, &dup);

		if (dup)
			return -1;
		if (c == NULL)
			continue;
		if (*chosen != NULL)
			return refuse(job, 400, "<propfind> holds both <%s> and <%s>",
			    (*chosen)->name, c->name);
		*chosen = c;
		*kind = choices[i].kind;
	}
	if (*chosen == NULL)
		return refuse(job, 400, "<propfind> holds none of <prop>, <allprop>, <propname>");
	return 0;
}

int
dav_xml_parse_propfind(const char *body, size_t len, struct dav_propfind *out, int *status,
    struct errbuf *err)
{
	struct parse_job job = { "PROPFIND body", status, err, 0 };
	xmlDocPtr doc = NULL;
	xmlNode *root, *chosen, *include;
	int rc = -1, dup;

	memset(out, 0, sizeof(*out));
	*status = 0;
	if (len <= DAV_XML_MAX_BODY && is_blank(body, len)) {
		out->kind = DAV_PROPFIND_ALLPROP;	/* RFC 4918 9.1 */
		return 0;
	}
	if ((doc = parse_body(&job, body, len)) == NULL ||
	    (root = checked_root(&job, doc, "propfind")) == NULL ||
	    propfind_choice(&job, root, &chosen, &out->kind) < 0)
		goto done;
	include = only_child(&job, root, "include", &dup);
	if (dup)
		goto done;
	if (include != NULL && out->kind != DAV_PROPFIND_ALLPROP) {
		refuse(&job, 400, "<include> without <allprop>");
		goto done;
	}
	if (out->kind == DAV_PROPFIND_PROP)
		include = chosen;
	if (include != NULL && collect_names(&job, include, &out->names, &out->n_names) < 0)
		goto done;
	rc = 0;
done:
	xmlFreeDoc(doc);
	if (rc < 0)
		dav_propfind_free(out);
	return rc;
}

/* --- PROPPATCH --- */

void
dav_proppatch_free(struct dav_proppatch *pp)
{
	for (size_t i = 0; i < pp->n_ops; i++) {
		free(pp->ops[i].name.ns);
		free(pp->ops[i].name.name);
		free(pp->ops[i].value);
		free(pp->ops[i].lang);
	}
	free(pp->ops);
	pp->ops = NULL;
	pp->n_ops = 0;
}

/* One property element of a <set>/<remove> as the next operation. */
static int
patch_add(struct parse_job *job, struct dav_proppatch *pp, enum dav_patch_op op,
    const xmlNode *prop)
{
	struct dav_patch *p;

	pp->ops = xreallocarray(pp->ops, pp->n_ops + 1, sizeof(*pp->ops));
	p = &pp->ops[pp->n_ops];
	memset(p, 0, sizeof(*p));
	pp->n_ops++;
	p->op = op;
	if (qname_set(job, &p->name, prop) < 0)
		return -1;
	if (op == DAV_PATCH_REMOVE)
		return 0;
	if ((p->value = serialize_inner(job, prop)) == NULL)
		return -1;
	xmlChar *lang = xmlNodeGetLang(prop);

	if (lang != NULL) {
		if (strlen((const char *)lang) <= DAV_XML_MAX_NAME)
			p->lang = xstrdup((const char *)lang);
		xmlFree(lang);
		if (p->lang == NULL)
			return refuse(job, 413, "the xml:lang of <%.40s> is too long", prop->name);
	}
	return 0;
}

static int
patch_instruction(struct parse_job *job, struct dav_proppatch *pp, xmlNode *ins,
    enum dav_patch_op op)
{
	xmlNode *prop;
	int dup;

	prop = only_child(job, ins, "prop", &dup);
	if (dup)
		return -1;
	if (prop == NULL)
		return refuse(job, 400, "<%s> without <prop>", ins->name);
	for (const xmlNode *c = prop->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE && patch_add(job, pp, op, c) < 0)
			return -1;
	}
	return 0;
}

int
dav_xml_parse_proppatch(const char *body, size_t len, struct dav_proppatch *out,
    int *status, struct errbuf *err)
{
	struct parse_job job = { "PROPPATCH body", status, err, 0 };
	xmlDocPtr doc = NULL;
	xmlNode *root;
	int rc = -1, instructions = 0;

	memset(out, 0, sizeof(*out));
	*status = 0;
	if ((doc = parse_body(&job, body, len)) == NULL ||
	    (root = checked_root(&job, doc, "propertyupdate")) == NULL)
		goto done;
	for (xmlNode *c = root->children; c != NULL; c = c->next) {
		enum dav_patch_op op;

		if (is_dav(c, "set"))
			op = DAV_PATCH_SET;
		else if (is_dav(c, "remove"))
			op = DAV_PATCH_REMOVE;
		else
			continue;
		instructions++;
		if (patch_instruction(&job, out, c, op) < 0)
			goto done;
	}
	if (instructions == 0) {
		refuse(&job, 400, "<propertyupdate> holds no <set> or <remove>");
		goto done;
	}
	rc = 0;
done:
	xmlFreeDoc(doc);
	if (rc < 0)
		dav_proppatch_free(out);
	return rc;
}

/* --- LOCK --- */

void
dav_lockinfo_free(struct dav_lockinfo *li)
{
	free(li->owner);
	li->owner = NULL;
}

/* The one element child of <lockscope>/<locktype>, by name; 422 for a
 * value this server does not know. */
static int
lock_value(struct parse_job *job, xmlNode *parent, const char *const *known, int *which)
{
	const xmlNode *v = NULL;

	for (const xmlNode *c = parent->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (v != NULL)
			return refuse(job, 400, "<%s> holds more than one element", parent->name);
		v = c;
	}
	if (v == NULL)
		return refuse(job, 400, "<%s> is empty", parent->name);
	for (int i = 0; known[i] != NULL; i++) {
		if (is_dav(v, known[i])) {
			*which = i;
			return 0;
		}
	}
	return refuse(job, 422, "<%s> holds <%.60s>, which is not supported", parent->name,
	    v->name);
}

static int
lockinfo_fill(struct parse_job *job, xmlNode *root, struct dav_lockinfo *out)
{
	static const char *const scopes[] = { "exclusive", "shared", NULL };
	static const char *const types[] = { "write", NULL };
	xmlNode *scope, *type, *owner;
	int dup, which;

	if ((scope = only_child(job, root, "lockscope", &dup)) == NULL && !dup)
		return refuse(job, 400, "<lockinfo> without <lockscope>");
	if (dup)
		return -1;
	if ((type = only_child(job, root, "locktype", &dup)) == NULL && !dup)
		return refuse(job, 400, "<lockinfo> without <locktype>");
	if (dup || lock_value(job, scope, scopes, &which) < 0)
		return -1;
	out->scope = which == 0 ? DAV_SCOPE_EXCLUSIVE : DAV_SCOPE_SHARED;
	if (lock_value(job, type, types, &which) < 0)
		return -1;
	owner = only_child(job, root, "owner", &dup);
	if (dup)
		return -1;
	if (owner != NULL && (out->owner = serialize_inner(job, owner)) == NULL)
		return -1;
	return 0;
}

int
dav_xml_parse_lockinfo(const char *body, size_t len, struct dav_lockinfo *out, int *status,
    struct errbuf *err)
{
	struct parse_job job = { "LOCK body", status, err, 0 };
	xmlDocPtr doc = NULL;
	xmlNode *root;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*status = 0;
	if (len <= DAV_XML_MAX_BODY && is_blank(body, len)) {
		out->refresh = 1;	/* RFC 4918 9.10.2 */
		return 0;
	}
	if ((doc = parse_body(&job, body, len)) == NULL ||
	    (root = checked_root(&job, doc, "lockinfo")) == NULL ||
	    lockinfo_fill(&job, root, out) < 0)
		goto done;
	rc = 0;
done:
	xmlFreeDoc(doc);
	if (rc < 0)
		dav_lockinfo_free(out);
	return rc;
}
