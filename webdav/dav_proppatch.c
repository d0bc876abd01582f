/*
 * dav_proppatch.c: PROPPATCH (RFC 4918 9.2) - the dead properties of the
 * resources of incoming/ (dav_props.h keeps them on disk, so they survive
 * restarts).
 *
 * Only incoming/ takes properties: elsewhere the answer is 403.  The target
 * must exist (404) and may be written (dav_check_write(): the If header and
 * the locks, before the body is read).  The body is parsed by
 * dav_xml_parse_proppatch() (400/413).  The instructions are all or
 * nothing: a property in DAV: is live and protected (RFC 4918 16
 * cannot-modify-protected-property), so such an instruction gets 403 and
 * every other one 424, and nothing is written; otherwise dav_props_patch()
 * applies them in document order or none (403, 507 and 424 from it).  A
 * Finder file ("._x", ".DS_Store") takes no properties: 403 each.  The
 * answer is a 207 Multistatus with one propstat per status.  A value keeps
 * its xml:lang (stored as dav_propfind.h's pf_value_store() says).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dav_engine.h"
#include "dav_handler.h"
#include "dav_propfind.h"
#include "dav_props.h"
#include "dav_xml.h"
#include "fs_open.h"
#include "log.h"
#include "xmalloc.h"

struct pp_state {
	int collection;		/* the target is a folder: its href ends in '/' */
};

static int
pp_prepare(struct dav_call *c)
{
	struct pp_state *s;
	struct stat st;
	int fd, rc;

	if (c->target.area != DAV_AREA_INCOMING) {
		dav_reply_error(c->req, 403, "only the resources of incoming/ take properties");
		return 1;
	}
	fd = fs_open_beneath(c->ctx->root_fd, c->target.fs, O_PATH);
	rc = fd == -1 ? -1 : fstat(fd, &st);
	if (rc == -1) {
		dav_reply_error(c->req, fs_errno_http_status(errno), NULL);
		if (fd != -1)
			close(fd);
		return 1;
	}
	close(fd);
	if (dav_check_write(c, &c->target, 0) != 0)
		return 1;
	s = xcalloc(1, sizeof(*s));
	s->collection = S_ISDIR(st.st_mode);
	c->state = s;
	return 0;
}

/* Every update gets `status`, except those in DAV: which get `dav`. */
static void
pp_refuse_all(struct dav_prop_update *u, size_t n, int status, int dav)
{
	for (size_t i = 0; i < n; i++)
		u[i].status = strcmp(u[i].ns, DAV_NS) == 0 ? dav : status;
}

static int
pp_touches_dav(const struct dav_prop_update *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(u[i].ns, DAV_NS) == 0)
			return 1;
	return 0;
}

/* Applies the updates; their statuses are set.  0, or -1 when the
 * properties could not be read or written (500). */
static int
pp_apply(struct dav_call *c, struct dav_prop_update *u, size_t n)
{
	const char *rel = c->target.rel;
	struct dav_props *dp;
	struct errbuf err;

	if (pp_touches_dav(u, n)) {
		pp_refuse_all(u, n, 424, 403);
		return 0;
	}
	if (rel[0] == '.' || strstr(rel, "/.") != NULL) {
		pp_refuse_all(u, n, 403, 403);
		return 0;
	}
	if ((dp = dav_ctx_props(c->ctx, c->target.channel, &err)) == NULL ||
	    dav_props_patch(dp, rel, u, n, &err) == -1) {
		log_warnx("webdav: PROPPATCH %s: %s", c->target.path, err.msg);
		return -1;
	}
	return 0;
}

static void
pp_reply(struct dav_call *c, const struct dav_prop_update *u, size_t n)
{
	const struct pp_state *s = c->state;
	char href[URL_PATH_MAX + 4];
	struct dav_xml_buf out = { 0 };
	struct dav_ms *ms = dav_ms_create();

	snprintf(href, sizeof(href), "%s%s", c->target.path, s->collection ? "/" : "");
	dav_ms_response_begin(ms, href);
	for (size_t i = 0; i < n; i++) {
		dav_ms_prop_name(ms, u[i].status, u[i].ns, u[i].name);
		if (u[i].status == 403 && strcmp(u[i].ns, DAV_NS) == 0)
			dav_ms_propstat_error(ms, 403, "cannot-modify-protected-property");
	}
	dav_ms_finish(ms, &out);
	dav_ms_free(ms);
	dav_reply_xml(c->req, 207, &out);
}

/* The parsed instructions as dav_props updates; each set's value (with
 * its xml:lang, pf_value_store()) goes to values[i] too, for the caller to
 * free. */
static struct dav_prop_update *
pp_updates(const struct dav_proppatch *pp, char ***values)
{
	struct dav_prop_update *u = xcalloc(pp->n_ops + 1, sizeof(*u));

	*values = xcalloc(pp->n_ops + 1, sizeof(**values));
	for (size_t i = 0; i < pp->n_ops; i++) {
		u[i].op = pp->ops[i].op == DAV_PATCH_SET ? DAV_PROP_SET : DAV_PROP_REMOVE;
		u[i].ns = pp->ops[i].name.ns;
		u[i].name = pp->ops[i].name.name;
		if (pp->ops[i].op == DAV_PATCH_SET)
			u[i].value = (*values)[i] = pf_value_store(pp->ops[i].value,
			    pp->ops[i].lang, &u[i].len);
	}
	return u;
}

static void
pp_run(struct dav_call *c)
{
	struct dav_proppatch pp = { 0 };
	struct dav_prop_update *u = NULL;
	char **values = NULL;
	struct errbuf err;
	size_t len;
	const char *body = dav_request_body(c->req, &len);
	int status;

	if (dav_xml_parse_proppatch(body, len, &pp, &status, &err) == -1) {
		dav_reply_error(c->req, status, err.msg);
		goto done;
	}
	u = pp_updates(&pp, &values);
	if (pp_apply(c, u, pp.n_ops) == -1) {
		dav_reply_error(c->req, 500, "the properties cannot be stored");
		goto done;
	}
	pp_reply(c, u, pp.n_ops);
done:
	for (size_t i = 0; values != NULL && i < pp.n_ops; i++)
		free(values[i]);
	free(values);
	free(u);
	dav_proppatch_free(&pp);
}

static void
pp_cleanup(struct dav_call *c)
{
	free(c->state);
	c->state = NULL;
}

const struct dav_handler dav_handler_proppatch = {
	"PROPPATCH", DAV_BODY_MEMORY, 1, pp_prepare, pp_run, pp_cleanup
};
