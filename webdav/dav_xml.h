/*
 * dav_xml: the WebDAV XML bodies (RFC 4918) - request parsers and the
 * multistatus writer.  Pure: no I/O, libxml2 only.
 *
 * Parsers.  dav_xml_parse_propfind(), dav_xml_parse_proppatch() and
 * dav_xml_parse_lockinfo() take a request body and fill a result the caller
 * owns (free its contents with the matching _free(), also after a refusal).
 * They return 0, or -1 with *status set to the HTTP answer and one sentence
 * in err naming the element at fault:
 *   400  not well-formed or not namespace-well-formed XML (an undeclared
 *        prefix), a byte NUL (only UTF-8/ASCII bodies), a
 *        DOCTYPE anywhere (refused before parsing when it is in the prolog,
 *        and by the parser's DTD callbacks and the tree's subsets otherwise:
 *        no entity is ever declared, so none is ever expanded), the wrong
 *        root element, a required element missing or repeated
 *   413  a limit passed: body over DAV_XML_MAX_BODY (the caller enforces
 *        it while reading; checked again here), elements nested deeper than
 *        DAV_XML_MAX_DEPTH, more than DAV_XML_MAX_PROPS properties, a name
 *        or namespace or serialised value longer than its limit
 *   422  well-formed and complete but meaningless (RFC 4918 11.2): a lock
 *        scope or type this server does not know
 * libxml2 runs with XML_PARSE_NONET and without XML_PARSE_NOENT/DTDLOAD,
 * and never prints (XML_PARSE_NOERROR/NOWARNING).  Elements in namespaces
 * other than DAV: are ignored where RFC 4918 17 says so.
 *
 * Property values (PROPPATCH set, a lock's owner) are kept as serialised
 * inner XML: each child element carries the namespace declarations it
 * needs (and any it declared itself), so the string can be stored and put
 * back verbatim inside any element of a multistatus.  xml:lang in scope of
 * the property element is kept apart (RFC 4918 4.3).
 *
 * Writer.  A struct dav_ms builds one <D:multistatus> into a growing
 * buffer: responses with a percent-encoded href, propstats grouped by status
 * in the order the statuses first appear.  Live properties are given as
 * text (escaped here) or as prepared XML that may use the prefix "D" for
 * DAV: (bound on the root); dead properties as the stored inner XML.  A
 * property in a namespace other than DAV: gets its own prefix declared on
 * its element; a property in no namespace is written unprefixed (the writer
 * never binds a default namespace).
 */
#ifndef STORESRV_DAV_XML_H
#define STORESRV_DAV_XML_H

#include <stddef.h>

#include "errbuf.h"

#define DAV_XML_MAX_BODY	(1024 * 1024)
#define DAV_XML_MAX_DEPTH	32
#define DAV_XML_MAX_PROPS	256
#define DAV_XML_MAX_NAME	256		/* a local name, bytes */
#define DAV_XML_MAX_NS		1024		/* a namespace URI, bytes */
#define DAV_XML_MAX_VALUE	(64 * 1024)	/* a serialised value or owner */

#define DAV_NS "DAV:"

/* A property's qualified name; ns is "" for no namespace. */
struct dav_qname {
	char	*ns;
	char	*name;
};

enum dav_propfind_kind {
	DAV_PROPFIND_ALLPROP,		/* also the empty body */
	DAV_PROPFIND_PROPNAME,
	DAV_PROPFIND_PROP,
};

struct dav_propfind {
	enum dav_propfind_kind	 kind;
	struct dav_qname	*names;	/* PROP: the asked names; ALLPROP: <include> */
	size_t			 n_names;
};

enum dav_patch_op {
	DAV_PATCH_SET,
	DAV_PATCH_REMOVE,
};

struct dav_patch {
	enum dav_patch_op	 op;
	struct dav_qname	 name;
	char			*value;	/* SET: inner XML ("" when empty); REMOVE: NULL */
	char			*lang;	/* SET: xml:lang in scope, or NULL */
};

/* The operations in document order (RFC 4918 9.2: applied in that order). */
struct dav_proppatch {
	struct dav_patch	*ops;
	size_t			 n_ops;
};

enum dav_lockscope {
	DAV_SCOPE_EXCLUSIVE,
	DAV_SCOPE_SHARED,
};

struct dav_lockinfo {
	int			 refresh;	/* empty body: a refresh of held locks */
	enum dav_lockscope	 scope;
	char			*owner;	/* inner XML of <owner>, or NULL when absent */
};

int dav_xml_parse_propfind(const char *body, size_t len, struct dav_propfind *out,
    int *status, struct errbuf *err);
int dav_xml_parse_proppatch(const char *body, size_t len, struct dav_proppatch *out,
    int *status, struct errbuf *err);
int dav_xml_parse_lockinfo(const char *body, size_t len, struct dav_lockinfo *out,
    int *status, struct errbuf *err);

/* Free what the result holds (not the struct); safe on a zeroed one. */
void dav_propfind_free(struct dav_propfind *pf);
void dav_proppatch_free(struct dav_proppatch *pp);
void dav_lockinfo_free(struct dav_lockinfo *li);

/* A growing, NUL-terminated output buffer; the owner frees data. */
struct dav_xml_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void dav_xml_buf_free(struct dav_xml_buf *buf);

/* The reason phrase of an HTTP status ("Not Found"); "Unknown" otherwise. */
const char *dav_xml_reason(int status);

/* Multistatus builder.  dav_ms_free(NULL) is a no-op. */
struct dav_ms;

struct dav_ms *dav_ms_create(void);
void dav_ms_free(struct dav_ms *ms);
/* Starts a <D:response> for a decoded path ("/release/incoming/a b/"),
 * written percent-encoded.  Ends the previous response if one is open. */
void dav_ms_response_begin(struct dav_ms *ms, const char *path);
/* Adds a property to the open response under `status`: an empty element
 * (propname, 404s), escaped text, or prepared inner XML (lang may be NULL). */
void dav_ms_prop_name(struct dav_ms *ms, int status, const char *ns, const char *name);
void dav_ms_prop_text(struct dav_ms *ms, int status, const char *ns, const char *name,
    const char *text);
void dav_ms_prop_xml(struct dav_ms *ms, int status, const char *ns, const char *name,
    const char *xml, const char *lang);
/* Puts an <D:error> with an RFC 4918 16 condition element
 * ("cannot-modify-protected-property": a string literal, or one that lives
 * until the response ends) in the open response's propstat of `status`,
 * after its status (RFC 4918 14.22). */
void dav_ms_propstat_error(struct dav_ms *ms, int status, const char *condition);
/* A response with a status and no properties (DELETE, COPY, MOVE). */
void dav_ms_response_status(struct dav_ms *ms, const char *path, int status);
/* Ends the document and moves it into out (which it must find empty). */
void dav_ms_finish(struct dav_ms *ms, struct dav_xml_buf *out);

/* Prepared live-property values (use the prefix D). */
#define DAV_XML_COLLECTION	"<D:collection/>"
#define DAV_XML_SUPPORTEDLOCK \
	"<D:lockentry><D:lockscope><D:exclusive/></D:lockscope>" \
	"<D:locktype><D:write/></D:locktype></D:lockentry>" \
	"<D:lockentry><D:lockscope><D:shared/></D:lockscope>" \
	"<D:locktype><D:write/></D:locktype></D:lockentry>"

struct dav_activelock {
	enum dav_lockscope	 scope;
	int			 depth_infinity;	/* else depth 0 */
	const char		*owner;		/* inner XML, or NULL */
	long			 timeout;	/* seconds; < 0: Infinite */
	const char		*token;		/* "urn:uuid:..." */
	const char		*root;		/* decoded path of the lock root */
};

/* Appends one <D:activelock> (for the lockdiscovery property, which is
 * the concatenation of these). */
void dav_xml_activelock(struct dav_xml_buf *buf, const struct dav_activelock *lock);
/* The body of a LOCK answer: <D:prop><D:lockdiscovery> with this lock. */
void dav_xml_lock_body(struct dav_xml_buf *buf, const struct dav_activelock *lock);
/* The body of an error with a precondition element ("propfind-finite-depth",
 * "lock-token-submitted", ...), RFC 4918 16. */
void dav_xml_error_body(struct dav_xml_buf *buf, const char *condition);
/* The same with the resource the precondition is about, RFC 4918 16
 * ("lock-token-submitted": the root of the lock whose token is missing). */
void dav_xml_error_href_body(struct dav_xml_buf *buf, const char *condition, const char *path);

#endif
