/*
 * test_dav_xml: table tests of the WebDAV XML parsers (RFC 4918's example
 * bodies, malformed and hostile bodies, limits) and of the multistatus and
 * lock writers, whose output is parsed back with libxml2 and checked with
 * XPath (hrefs, statuses, namespaces, xml:lang).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "../tap.h"
#include "dav_xml.h"
#include "xmalloc.h"

enum body_kind { PROPFIND, PROPPATCH, LOCKINFO };

struct parse_case {
	const char	*name;
	enum body_kind	 kind;
	const char	*body;
	int		 status;	/* 0: accepted */
	const char	*want;		/* accepted: the summary; refused: a part of the error */
};

#define XD "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"
#define PU "<D:propertyupdate xmlns:D=\"DAV:\">"

static const struct parse_case parse_cases[] = {
	/* RFC 4918 9.1.3, 9.1.5, 9.1.6, 9.1.7 */
	{ "propfind prop (RFC 9.1.3)", PROPFIND, XD "<D:propfind xmlns:D=\"DAV:\">\n"
	    "  <D:prop xmlns:R=\"http://ns.example.com/boxschema/\">\n"
	    "    <R:bigbox/> <R:author/> <R:DingALing/> <R:Random/>\n"
	    "  </D:prop>\n</D:propfind>", 0,
	    "prop {http://ns.example.com/boxschema/}bigbox {http://ns.example.com/boxschema/}author"
	    " {http://ns.example.com/boxschema/}DingALing {http://ns.example.com/boxschema/}Random" },
	{ "propfind propname (RFC 9.1.5)", PROPFIND, XD "<propfind xmlns=\"DAV:\">\n"
	    "  <propname/>\n</propfind>", 0, "propname" },
	{ "propfind allprop (RFC 9.1.6)", PROPFIND, XD "<D:propfind xmlns:D=\"DAV:\">\n"
	    "  <D:allprop/>\n</D:propfind>", 0, "allprop" },
	{ "propfind allprop include (RFC 9.1.7)", PROPFIND, XD "<D:propfind xmlns:D=\"DAV:\">"
	    "<D:allprop/><D:include><D:supported-live-property-set/><D:supported-report-set/>"
	    "</D:include></D:propfind>", 0,
	    "allprop {DAV:}supported-live-property-set {DAV:}supported-report-set" },
	{ "propfind empty body is allprop", PROPFIND, "", 0, "allprop" },
	{ "propfind blank body is allprop", PROPFIND, " \r\n", 0, "allprop" },
	{ "propfind empty prop", PROPFIND, "<propfind xmlns=\"DAV:\"><prop/></propfind>", 0, "prop" },
	{ "propfind property in no namespace", PROPFIND,
	    "<propfind xmlns=\"DAV:\"><prop><x xmlns=\"\"/></prop></propfind>", 0, "prop {}x" },
	{ "propfind foreign element ignored", PROPFIND, "<D:propfind xmlns:D=\"DAV:\">"
	    "<x:hint xmlns:x=\"urn:x\"/><D:propname/></D:propfind>", 0, "propname" },
	{ "propfind malformed", PROPFIND, "<D:propfind xmlns:D=\"DAV:\"><D:prop>", 400, "line 1" },
	{ "propfind wrong root", PROPFIND, PU "<D:set/></D:propertyupdate>", 400,
	    "the root element is <DAV::propertyupdate>" },
	{ "propfind root outside DAV:", PROPFIND, "<propfind><allprop/></propfind>", 400,
	    "not <DAV:propfind>" },
	{ "propfind no choice", PROPFIND, "<propfind xmlns=\"DAV:\"/>", 400,
	    "none of <prop>, <allprop>, <propname>" },
	{ "propfind two choices", PROPFIND, "<propfind xmlns=\"DAV:\"><allprop/><propname/>"
	    "</propfind>", 400, "both <propname> and <allprop>" },
	{ "propfind prop twice", PROPFIND, "<propfind xmlns=\"DAV:\"><prop/><prop/></propfind>",
	    400, "more than one <prop>" },
	{ "propfind include without allprop", PROPFIND, "<propfind xmlns=\"DAV:\"><propname/>"
	    "<include/></propfind>", 400, "<include> without <allprop>" },
	{ "propfind undeclared prefix", PROPFIND, "<D:propfind xmlns:D=\"DAV:\"><D:prop>"
	    "<R:bigbox/></D:prop></D:propfind>", 400, "Namespace prefix R on bigbox is not defined" },
	{ "propfind NUL byte", PROPFIND, NULL, 400, "NUL byte" },	/* body built below */
	{ "propfind undeclared entity", PROPFIND, "<propfind xmlns=\"DAV:\"><prop>&x;</prop>"
	    "</propfind>", 400, "Entity 'x' not defined" },
	{ "propfind DOCTYPE", PROPFIND, "<!DOCTYPE propfind><propfind xmlns=\"DAV:\"><allprop/>"
	    "</propfind>", 400, "DOCTYPE is refused" },
	{ "propfind DOCTYPE after BOM, declaration and comment", PROPFIND,
	    "\xef\xbb\xbf" XD "<!-- c --><?pi x?>\n<!DOCTYPE propfind SYSTEM \"http://127.0.0.1:9/x.dtd\">"
	    "<propfind xmlns=\"DAV:\"><allprop/></propfind>", 400, "DOCTYPE is refused" },
	{ "proppatch XXE file:///etc/passwd", PROPPATCH, XD "<!DOCTYPE D:propertyupdate [\n"
	    "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n" PU "<D:set><D:prop>"
	    "<x:a xmlns:x=\"urn:x\">&xxe;</x:a></D:prop></D:set></D:propertyupdate>", 400,
	    "DOCTYPE is refused" },
	/* RFC 4918 9.2.2, 4.3 */
	{ "proppatch set and remove (RFC 9.2.2)", PROPPATCH, XD "<D:propertyupdate xmlns:D=\"DAV:\""
	    " xmlns:Z=\"http://ns.example.com/standards/z39.50/\"><D:set><D:prop><Z:Authors>"
	    "<Z:Author>Jim Whitehead</Z:Author><Z:Author>Roy Fielding</Z:Author></Z:Authors>"
	    "</D:prop></D:set><D:remove><D:prop><Z:Copyright-Owner/></D:prop></D:remove>"
	    "</D:propertyupdate>", 0,
	    "set {http://ns.example.com/standards/z39.50/}Authors="
	    "<Z:Author xmlns:Z=\"http://ns.example.com/standards/z39.50/\">Jim Whitehead</Z:Author>"
	    "<Z:Author xmlns:Z=\"http://ns.example.com/standards/z39.50/\">Roy Fielding</Z:Author>"
	    " remove {http://ns.example.com/standards/z39.50/}Copyright-Owner" },
	{ "proppatch xml:lang and mixed content (RFC 4.3)", PROPPATCH, PU "<D:set>"
	    "<D:prop xml:lang=\"en\"><x:author xmlns:x='http://example.com/ns'>"
	    "<x:name>Jane Doe</x:name><!-- Jane's contact info -->"
	    "<x:uri type='email' added='2005-11-26'>mailto:jane.doe@example.com</x:uri>"
	    "</x:author></D:prop></D:set></D:propertyupdate>", 0,
	    "set {http://example.com/ns}author=<x:name xmlns:x=\"http://example.com/ns\">Jane Doe"
	    "</x:name><x:uri xmlns:x=\"http://example.com/ns\" type=\"email\" added=\"2005-11-26\">"
	    "mailto:jane.doe@example.com</x:uri> lang=en" },
	{ "proppatch default namespace and xmlns=\"\"", PROPPATCH, "<D:propertyupdate "
	    "xmlns:D=\"DAV:\" xmlns=\"http://example.com/alpha\"><D:set><D:prop><foo><bar>b &amp; c"
	    "</bar><nons xmlns=\"\"><deep/></nons></foo></D:prop></D:set></D:propertyupdate>", 0,
	    "set {http://example.com/alpha}foo=<bar xmlns=\"http://example.com/alpha\">b &amp; c"
	    "</bar><nons><deep/></nons>" },
	{ "proppatch namespaced attribute and text", PROPPATCH, PU "<D:set><D:prop>"
	    "<p:t xmlns:p=\"urn:p\" xmlns:q=\"urn:q\">a<q:b q:k=\"1\" j=\"&quot;\"/>&lt;z</p:t>"
	    "</D:prop></D:set></D:propertyupdate>", 0,
	    "set {urn:p}t=a<q:b xmlns:q=\"urn:q\" q:k=\"1\" j=\"&quot;\"/>&lt;z" },
	{ "proppatch empty value, no namespace", PROPPATCH, PU "<D:set><D:prop><e/></D:prop>"
	    "</D:set></D:propertyupdate>", 0, "set {}e=" },
	{ "proppatch order kept", PROPPATCH, PU "<D:remove><D:prop><a xmlns=\"u\"/></D:prop>"
	    "</D:remove><D:set><D:prop><a xmlns=\"u\">1</a><b xmlns=\"u\">2</b></D:prop></D:set>"
	    "</D:propertyupdate>", 0, "remove {u}a set {u}a=1 set {u}b=2" },
	{ "proppatch set without prop", PROPPATCH, PU "<D:set/></D:propertyupdate>", 400,
	    "<set> without <prop>" },
	{ "proppatch nothing to do", PROPPATCH, PU "</D:propertyupdate>", 400,
	    "holds no <set> or <remove>" },
	{ "proppatch wrong root", PROPPATCH, "<D:propfind xmlns:D=\"DAV:\"><D:allprop/>"
	    "</D:propfind>", 400, "not <DAV:propertyupdate>" },
	{ "proppatch empty body", PROPPATCH, "", 400, "PROPPATCH body: line" },
	/* RFC 4918 9.10.7 */
	{ "lockinfo exclusive with owner (RFC 9.10.7)", LOCKINFO, XD "<D:lockinfo xmlns:D='DAV:'>"
	    "<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
	    "<D:owner><D:href>http://example.org/~ejw/contact.html</D:href></D:owner>"
	    "</D:lockinfo>", 0,
	    "exclusive owner=<D:href xmlns:D=\"DAV:\">http://example.org/~ejw/contact.html</D:href>" },
	{ "lockinfo shared, text owner", LOCKINFO, "<lockinfo xmlns=\"DAV:\"><lockscope><shared/>"
	    "</lockscope><locktype><write/></locktype><owner>litmus test suite</owner></lockinfo>",
	    0, "shared owner=litmus test suite" },
	{ "lockinfo without owner", LOCKINFO, "<lockinfo xmlns=\"DAV:\"><locktype><write/></locktype>"
	    "<lockscope><exclusive/></lockscope></lockinfo>", 0, "exclusive" },
	{ "lockinfo empty body is a refresh", LOCKINFO, "", 0, "refresh" },
	{ "lockinfo without lockscope", LOCKINFO, "<lockinfo xmlns=\"DAV:\"><locktype><write/>"
	    "</locktype></lockinfo>", 400, "<lockinfo> without <lockscope>" },
	{ "lockinfo without locktype", LOCKINFO, "<lockinfo xmlns=\"DAV:\"><lockscope><shared/>"
	    "</lockscope></lockinfo>", 400, "<lockinfo> without <locktype>" },
	{ "lockinfo empty lockscope", LOCKINFO, "<lockinfo xmlns=\"DAV:\"><lockscope/><locktype>"
	    "<write/></locktype></lockinfo>", 400, "<lockscope> is empty" },
	{ "lockinfo unknown scope", LOCKINFO, "<lockinfo xmlns=\"DAV:\"><lockscope><weird/>"
	    "</lockscope><locktype><write/></locktype></lockinfo>", 422, "holds <weird>" },
	{ "lockinfo unknown type", LOCKINFO, "<lockinfo xmlns=\"DAV:\"><lockscope><shared/>"
	    "</lockscope><locktype><read/></locktype></lockinfo>", 422, "<locktype> holds <read>" },
	{ "lockinfo wrong root", LOCKINFO, "<propfind xmlns=\"DAV:\"><allprop/></propfind>", 400,
	    "not <DAV:lockinfo>" },
};

static void
add(struct dav_xml_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1);
		b->data = xreallocarray(b->data, b->cap, 1);
	}
	memcpy(b->data + b->len, s, n + 1);
	b->len += n;
}

static void
add_qname(struct dav_xml_buf *b, const struct dav_qname *q)
{
	add(b, " {");
	add(b, q->ns);
	add(b, "}");
	add(b, q->name);
}

/* One line for a parsed body, compared with the table's `want`. */
static char *
summarize(enum body_kind kind, const void *result)
{
	struct dav_xml_buf b = { 0 };

	add(&b, "");
	if (kind == PROPFIND) {
		const struct dav_propfind *pf = result;
		static const char *kinds[] = { "allprop", "propname", "prop" };

		add(&b, kinds[pf->kind]);
		for (size_t i = 0; i < pf->n_names; i++)
			add_qname(&b, &pf->names[i]);
	} else if (kind == PROPPATCH) {
		const struct dav_proppatch *pp = result;

		for (size_t i = 0; i < pp->n_ops; i++) {
			add(&b, i > 0 ? " " : "");
			add(&b, pp->ops[i].op == DAV_PATCH_SET ? "set" : "remove");
			add_qname(&b, &pp->ops[i].name);
			if (pp->ops[i].value != NULL) {
				add(&b, "=");
				add(&b, pp->ops[i].value);
			}
			if (pp->ops[i].lang != NULL) {
				add(&b, " lang=");
				add(&b, pp->ops[i].lang);
			}
		}
	} else {
		const struct dav_lockinfo *li = result;

		add(&b, li->refresh ? "refresh" : li->scope == DAV_SCOPE_SHARED ? "shared" : "exclusive");
		if (li->owner != NULL) {
			add(&b, " owner=");
			add(&b, li->owner);
		}
	}
	return b.data;
}

/* Parses with the parser of `kind`; the summary (accepted) or the error
 * (refused) goes to *text. */
static int
run_parser(enum body_kind kind, const char *body, size_t len, int *status, char **text)
{
	struct errbuf err = { "" };
	struct dav_propfind pf;
	struct dav_proppatch pp;
	struct dav_lockinfo li;
	int rc;

	if (kind == PROPFIND) {
		rc = dav_xml_parse_propfind(body, len, &pf, status, &err);
		*text = rc == 0 ? summarize(kind, &pf) : xstrdup(err.msg);
		dav_propfind_free(&pf);
	} else if (kind == PROPPATCH) {
		rc = dav_xml_parse_proppatch(body, len, &pp, status, &err);
		*text = rc == 0 ? summarize(kind, &pp) : xstrdup(err.msg);
		dav_proppatch_free(&pp);
	} else {
		rc = dav_xml_parse_lockinfo(body, len, &li, status, &err);
		*text = rc == 0 ? summarize(kind, &li) : xstrdup(err.msg);
		dav_lockinfo_free(&li);
	}
	return rc;
}

static void
test_parse_cases(void)
{
	static const char nul_body[] = "<propfind xmlns=\"DAV:\">\0<allprop/></propfind>";

	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		const char *body = c->body != NULL ? c->body : nul_body;
		size_t len = c->body != NULL ? strlen(c->body) : sizeof(nul_body) - 1;
		char *text;
		int status = -1, rc = run_parser(c->kind, body, len, &status, &text);

		if (c->status == 0) {
			if (tap_ok(rc == 0 && status == 0, "%s: accepted", c->name))
				tap_str_eq(text, c->want, c->name);
			else
				printf("#   refused %d: %s\n", status, text);
		} else {
			tap_ok(rc == -1 && status == c->status && strstr(text, c->want) != NULL,
			    "%s: refused with %d naming \"%s\"", c->name, c->status, c->want);
			if (rc != -1 || status != c->status || strstr(text, c->want) == NULL)
				printf("#   got %d %d: %s\n", rc, status, text);
		}
		free(text);
	}
}

/* Bodies made by program: limits, billion laughs. */
struct limit_case {
	const char	*name;
	enum body_kind	 kind;
	char		*(*make)(void);
	int		 status;
	const char	*want;
};

static char *
repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	struct dav_xml_buf b = { 0 };

	add(&b, head);
	for (size_t i = 0; i < times; i++)
		add(&b, unit);
	add(&b, tail);
	return b.data;
}

static char *
make_deep(void)
{
	struct dav_xml_buf b = { 0 };
	char *open = repeat(PU "<D:set><D:prop><x:v xmlns:x=\"u\">", "<x:n>", 40, "");
	char *close = repeat("", "</x:n>", 40, "</x:v></D:prop></D:set></D:propertyupdate>");

	add(&b, open);
	add(&b, close);
	free(open);
	free(close);
	return b.data;
}

static char *
make_many_props(void)
{
	return repeat("<propfind xmlns=\"DAV:\"><prop>", "<p xmlns=\"u\"/>",
	    DAV_XML_MAX_PROPS + 1, "</prop></propfind>");
}

static char *
make_limit_props(void)
{
	return repeat("<propfind xmlns=\"DAV:\"><prop>", "<p xmlns=\"u\"/>",
	    DAV_XML_MAX_PROPS, "</prop></propfind>");
}

static char *
make_long_name(void)
{
	return repeat("<propfind xmlns=\"DAV:\"><prop><", "n", DAV_XML_MAX_NAME + 1,
	    " xmlns=\"u\"/></prop></propfind>");
}

static char *
make_long_ns(void)
{
	return repeat("<propfind xmlns=\"DAV:\"><prop><n xmlns=\"urn:", "n", DAV_XML_MAX_NS,
	    "\"/></prop></propfind>");
}

static char *
make_long_value(void)
{
	return repeat(PU "<D:set><D:prop><v xmlns=\"u\">", "0123456789abcdef",
	    DAV_XML_MAX_VALUE / 16 + 1, "</v></D:prop></D:set></D:propertyupdate>");
}

static char *
make_long_owner(void)
{
	return repeat("<lockinfo xmlns=\"DAV:\"><lockscope><shared/></lockscope><locktype><write/>"
	    "</locktype><owner>", "&lt;&lt;", DAV_XML_MAX_VALUE / 8 + 1, "</owner></lockinfo>");
}

static char *
make_huge_body(void)
{
	return repeat("<propfind xmlns=\"DAV:\"><allprop/></propfind>", " ", DAV_XML_MAX_BODY, "");
}

/* The classic: ten levels of ten references, 10^9 "lol"s if expanded. */
static char *
make_billion_laughs(void)
{
	struct dav_xml_buf b = { 0 };
	char line[200];

	add(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
	for (int i = 1; i <= 9; i++) {
		snprintf(line, sizeof(line), "<!ENTITY lol%d \"", i);
		add(&b, line);
		for (int j = 0; j < 10; j++) {
			snprintf(line, sizeof(line), i == 1 ? "&lol;" : "&lol%d;", i - 1);
			add(&b, line);
		}
		add(&b, "\">\n");
	}
	add(&b, "]>\n" PU "<D:set><D:prop><x:v xmlns:x=\"u\">&lol9;</x:v></D:prop></D:set>"
	    "</D:propertyupdate>");
	return b.data;
}

static const struct limit_case limit_cases[] = {
	{ "elements nested too deep", PROPPATCH, make_deep, 413, "nested deeper than 32" },
	{ "too many properties", PROPFIND, make_many_props, 413, "more than 256 properties" },
	{ "as many properties as allowed", PROPFIND, make_limit_props, 0, NULL },
	{ "property name too long", PROPFIND, make_long_name, 413, "a property name of 257 bytes" },
	{ "namespace too long", PROPFIND, make_long_ns, 413, "has a namespace of 1028 bytes" },
	{ "value too long", PROPPATCH, make_long_value, 413, "the value of <v> is" },
	{ "owner too long", LOCKINFO, make_long_owner, 413, "the value of <owner> is" },
	{ "body over the limit", PROPFIND, make_huge_body, 413, "more than the limit" },
	{ "billion laughs", PROPPATCH, make_billion_laughs, 400, "DOCTYPE is refused" },
};

static void
test_limit_cases(void)
{
	for (size_t i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++) {
		const struct limit_case *c = &limit_cases[i];
		char *body = c->make(), *text;
		clock_t t0 = clock();
		int status = -1, rc = run_parser(c->kind, body, strlen(body), &status, &text);
		double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;

		if (c->status == 0)
			tap_ok(rc == 0, "%s: accepted", c->name);
		else
			tap_ok(rc == -1 && status == c->status && strstr(text, c->want) != NULL,
			    "%s: refused with %d naming \"%s\"", c->name, c->status, c->want);
		printf("#   %d %d in %.3f s CPU: %.200s\n", rc, status, cpu, text);
		free(text);
		free(body);
	}
}

/* --- writer --- */

struct xpath_check {
	const char	*expr;
	const char	*want;
};

#define R1 "/D:multistatus/D:response[1]"
#define R1OK R1 "/D:propstat[1]"
#define R1NF R1 "/D:propstat[2]"
#define R2 "/D:multistatus/D:response[2]"

static const struct xpath_check ms_checks[] = {
	{ "count(/D:multistatus/D:response)", "3" },
	{ "string(" R1 "/D:href)", "/release/incoming/a%20b/" },
	{ "string(" R2 "/D:href)", "/release/incoming/caf%C3%A9%20%26%20%3Cx%3E.txt" },
	{ "count(" R1 "/D:propstat)", "2" },
	{ "string(" R1OK "/D:status)", "HTTP/1.1 200 OK" },
	{ "string(" R1NF "/D:status)", "HTTP/1.1 404 Not Found" },
	{ "count(" R1NF "/D:prop/*)", "2" },
	{ "count(" R1NF "/D:prop/L:missing)", "1" },
	{ "count(" R1NF "/D:prop/nothing)", "1" },
	{ "count(" R1OK "/D:prop/D:resourcetype/D:collection)", "1" },
	{ "string(" R1OK "/D:prop/D:displayname)", "a & b <c>" },
	{ "string(" R1OK "/D:prop/D:getetag)", "\"abc\"" },
	{ "string(" R1OK "/D:prop/D:getcontentlength)", "42" },
	{ "count(" R1OK "/D:prop/D:supportedlock/D:lockentry/D:lockscope/D:shared)", "1" },
	{ "string(" R1OK "/D:prop/A:foo/@xml:lang)", "en" },
	{ "string(" R1OK "/D:prop/A:foo/A:bar)", "b & c" },
	{ "count(" R1OK "/D:prop/A:foo/nons/deep)", "1" },
	{ "string(" R1OK "/D:prop/L:thing/O:x)", "1" },
	{ "count(" R1OK "/D:prop/L:thing/O:x/@O:k)", "1" },
	{ "string(" R1OK "/D:prop/plain)", "v" },
	{ "count(" R2 "/D:propstat)", "1" },
	{ "count(" R2 "/D:propstat/D:prop/L:prop0)", "1" },
	{ "string(" R2 "/D:propstat/D:status)", "HTTP/1.1 200 OK" },
	{ "string(/D:multistatus/D:response[3]/D:status)", "HTTP/1.1 423 Locked" },
	{ "string(/D:multistatus/D:response[3]/D:href)", "/x%25y" },
};

static const struct xpath_check lock_checks[] = {
	{ "count(/D:prop/D:lockdiscovery/D:activelock)", "1" },
	{ "count(//D:activelock/D:lockscope/D:exclusive)", "1" },
	{ "count(//D:activelock/D:locktype/D:write)", "1" },
	{ "string(//D:activelock/D:depth)", "infinity" },
	{ "string(//D:activelock/D:owner/D:href)", "http://example.org/~ejw/contact.html" },
	{ "string(//D:activelock/D:timeout)", "Second-600" },
	{ "string(//D:activelock/D:locktoken/D:href)", "urn:uuid:e71d4fae-5dec-22d6-fea5-00a0c91e6be4" },
	{ "string(//D:activelock/D:lockroot/D:href)", "/release/incoming/new%20build/" },
};

static const struct xpath_check error_checks[] = {
	{ "count(/D:error/D:propfind-finite-depth)", "1" },
};

/* Parses out (must be well-formed) and runs each XPath check on it. */
static void
check_xml(const char *what, const struct dav_xml_buf *out, const struct xpath_check *checks,
    size_t n)
{
	xmlDocPtr doc = xmlReadMemory(out->data, (int)out->len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlXPathContextPtr xp;

	if (!tap_ok(doc != NULL, "%s: well-formed", what)) {
		printf("# %s\n", out->data);
		return;
	}
	xp = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(xp, BAD_CAST "D", BAD_CAST "DAV:");
	xmlXPathRegisterNs(xp, BAD_CAST "A", BAD_CAST "http://example.com/alpha");
	xmlXPathRegisterNs(xp, BAD_CAST "L", BAD_CAST "http://example.com/neon/litmus/");
	xmlXPathRegisterNs(xp, BAD_CAST "O", BAD_CAST "http://other");
	for (size_t i = 0; i < n; i++) {
		xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST checks[i].expr, xp);
		xmlChar *s = r != NULL ? xmlXPathCastToString(r) : NULL;
		char name[300];

		snprintf(name, sizeof(name), "%s: %s", what, checks[i].expr);
		if (!tap_str_eq((const char *)s, checks[i].want, name))
			printf("# %s\n", out->data);
		xmlFree(s);
		xmlXPathFreeObject(r);
	}
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
}

/* A dead property as the parser stores it, to give back verbatim. */
static struct dav_proppatch
parse_dead(const char *body)
{
	struct dav_proppatch pp;
	struct errbuf err;
	int status;

	if (dav_xml_parse_proppatch(body, strlen(body), &pp, &status, &err) < 0) {
		printf("# %s\n", err.msg);
		abort();
	}
	return pp;
}

static void
test_multistatus(void)
{
	struct dav_proppatch alpha = parse_dead("<D:propertyupdate xmlns:D=\"DAV:\" "
	    "xmlns=\"http://example.com/alpha\"><D:set><D:prop xml:lang=\"en\"><foo><bar>b &amp; c"
	    "</bar><nons xmlns=\"\"><deep/></nons></foo></D:prop></D:set></D:propertyupdate>");
	struct dav_proppatch clash = parse_dead(PU "<D:set><D:prop><P:thing "
	    "xmlns:P=\"http://example.com/neon/litmus/\"><P:x xmlns:P=\"http://other\" P:k=\"2\">1"
	    "</P:x></P:thing></D:prop></D:set></D:propertyupdate>");
	struct dav_ms *ms = dav_ms_create();
	struct dav_xml_buf out = { 0 };

	dav_ms_response_begin(ms, "/release/incoming/a b/");
	dav_ms_prop_xml(ms, 200, DAV_NS, "resourcetype", DAV_XML_COLLECTION, NULL);
	dav_ms_prop_text(ms, 200, DAV_NS, "displayname", "a & b <c>");
	dav_ms_prop_name(ms, 404, "http://example.com/neon/litmus/", "missing");
	dav_ms_prop_text(ms, 200, DAV_NS, "getetag", "\"abc\"");
	dav_ms_prop_text(ms, 200, DAV_NS, "getcontentlength", "42");
	dav_ms_prop_xml(ms, 200, DAV_NS, "supportedlock", DAV_XML_SUPPORTEDLOCK, NULL);
	dav_ms_prop_xml(ms, 200, alpha.ops[0].name.ns, alpha.ops[0].name.name,
	    alpha.ops[0].value, alpha.ops[0].lang);
	dav_ms_prop_xml(ms, 200, clash.ops[0].name.ns, clash.ops[0].name.name,
	    clash.ops[0].value, clash.ops[0].lang);
	dav_ms_prop_xml(ms, 200, "", "plain", "v", NULL);
	dav_ms_prop_name(ms, 404, "", "nothing");
	dav_ms_response_begin(ms, "/release/incoming/caf\xc3\xa9 & <x>.txt");
	dav_ms_prop_xml(ms, 200, "http://example.com/neon/litmus/", "prop0", "", NULL);
	dav_ms_response_status(ms, "/x%y", 423);
	dav_ms_finish(ms, &out);
	dav_ms_free(ms);
	check_xml("multistatus", &out, ms_checks, sizeof(ms_checks) / sizeof(ms_checks[0]));
	dav_xml_buf_free(&out);
	dav_proppatch_free(&alpha);
	dav_proppatch_free(&clash);
}

static void
test_lock_bodies(void)
{
	struct dav_activelock lock = {
		.scope = DAV_SCOPE_EXCLUSIVE, .depth_infinity = 1,
		.owner = "<D:href xmlns:D=\"DAV:\">http://example.org/~ejw/contact.html</D:href>",
		.timeout = 600, .token = "urn:uuid:e71d4fae-5dec-22d6-fea5-00a0c91e6be4",
		.root = "/release/incoming/new build/",
	};
	struct dav_xml_buf out = { 0 };

	dav_xml_lock_body(&out, &lock);
	check_xml("lock body", &out, lock_checks, sizeof(lock_checks) / sizeof(lock_checks[0]));
	dav_xml_buf_free(&out);
	dav_xml_error_body(&out, "propfind-finite-depth");
	check_xml("error body", &out, error_checks, sizeof(error_checks) / sizeof(error_checks[0]));
	dav_xml_buf_free(&out);
	tap_str_eq(dav_xml_reason(507), "Insufficient Storage", "reason of 507");
	tap_str_eq(dav_xml_reason(299), "Unknown", "reason of an unknown status");
}

int
main(void)
{
	test_parse_cases();
	test_limit_cases();
	test_multistatus();
	test_lock_bodies();
	xmlCleanupParser();
	return tap_done();
}
