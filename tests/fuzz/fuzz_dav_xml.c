/*
 * fuzz_dav_xml: libFuzzer harness of the WebDAV XML parsers and writer
 * (dav_xml.h).  The first byte picks the parser (PROPFIND, PROPPATCH, LOCK),
 * the rest is the body.  Every body is refused with 400, 413 or 422 and a
 * message, or gives a result within the limits; every accepted result,
 * written back as a multistatus (or a LOCK body), is well-formed XML with
 * every prefix declared.  A violation aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "dav_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_qname(const struct dav_qname *q)
{
	if (q->ns == NULL || q->name == NULL || q->name[0] == '\0' ||
	    strlen(q->name) > DAV_XML_MAX_NAME || strlen(q->ns) > DAV_XML_MAX_NS)
		abort();
}

static void
check_refusal(int status, const struct errbuf *err)
{
	if ((status != 400 && status != 413 && status != 422) || err->msg[0] == '\0')
		abort();
}

/* The output parses as namespace-well-formed XML. */
static void
check_well_formed(const struct dav_xml_buf *out)
{
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	xmlDocPtr doc;

	if (ctxt == NULL)
		abort();
	doc = xmlCtxtReadMemory(ctxt, out->data, (int)out->len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || !ctxt->wellFormed || !ctxt->nsWellFormed)
		abort();
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
}

static void
fuzz_propfind(const char *body, size_t len)
{
	struct dav_propfind pf;
	struct errbuf err = { "" };
	struct dav_xml_buf out = { 0 };
	struct dav_ms *ms;
	int status;

	if (dav_xml_parse_propfind(body, len, &pf, &status, &err) < 0) {
		check_refusal(status, &err);
		dav_propfind_free(&pf);
		return;
	}
	if (status != 0 || pf.n_names > DAV_XML_MAX_PROPS)
		abort();
	ms = dav_ms_create();
	dav_ms_response_begin(ms, "/incoming/a b&c/");
	for (size_t i = 0; i < pf.n_names; i++) {
		check_qname(&pf.names[i]);
		dav_ms_prop_name(ms, i % 2 ? 404 : 200, pf.names[i].ns, pf.names[i].name);
	}
	dav_ms_finish(ms, &out);
	dav_ms_free(ms);
	check_well_formed(&out);
	dav_xml_buf_free(&out);
	dav_propfind_free(&pf);
}

static void
fuzz_proppatch(const char *body, size_t len)
{
	struct dav_proppatch pp;
	struct errbuf err = { "" };
	struct dav_xml_buf out = { 0 };
	struct dav_ms *ms;
	int status;

	if (dav_xml_parse_proppatch(body, len, &pp, &status, &err) < 0) {
		check_refusal(status, &err);
		dav_proppatch_free(&pp);
		return;
	}
	if (status != 0 || pp.n_ops > DAV_XML_MAX_PROPS)
		abort();
	ms = dav_ms_create();
	dav_ms_response_begin(ms, "/incoming/x");
	for (size_t i = 0; i < pp.n_ops; i++) {
		const struct dav_patch *p = &pp.ops[i];

		check_qname(&p->name);
		if ((p->op == DAV_PATCH_SET) != (p->value != NULL) ||
		    (p->value != NULL && strlen(p->value) > DAV_XML_MAX_VALUE))
			abort();
		dav_ms_prop_xml(ms, 200, p->name.ns, p->name.name, p->value, p->lang);
	}
	dav_ms_finish(ms, &out);
	dav_ms_free(ms);
	check_well_formed(&out);
	dav_xml_buf_free(&out);
	dav_proppatch_free(&pp);
}

static void
fuzz_lockinfo(const char *body, size_t len)
{
	struct dav_lockinfo li;
	struct errbuf err = { "" };
	struct dav_xml_buf out = { 0 };
	struct dav_activelock lock = { .timeout = 60, .token = "urn:uuid:x", .root = "/a b" };
	int status;

	if (dav_xml_parse_lockinfo(body, len, &li, &status, &err) < 0) {
		check_refusal(status, &err);
		dav_lockinfo_free(&li);
		return;
	}
	if (status != 0 || (li.owner != NULL && strlen(li.owner) > DAV_XML_MAX_VALUE))
		abort();
	lock.scope = li.scope;
	lock.owner = li.owner;
	dav_xml_lock_body(&out, &lock);
	check_well_formed(&out);
	dav_xml_buf_free(&out);
	dav_lockinfo_free(&li);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body;

	if (size == 0)
		return 0;
	/* A copy of exactly the body's size, so reads past it are caught. */
	body = malloc(size - 1 > 0 ? size - 1 : 1);
	if (body == NULL)
		abort();
	memcpy(body, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0: fuzz_propfind(body, size - 1); break;
	case 1: fuzz_proppatch(body, size - 1); break;
	default: fuzz_lockinfo(body, size - 1); break;
	}
	free(body);
	return 0;
}
