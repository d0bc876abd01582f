/*
 * storemirror push: uploads each channel of --channels from --root to the
 * WebDAV share (push.h).  --dav-url is one channel's download collection
 * ("http://gw/webdav/release/download", one channel only) or a base to
 * which "<channel>/download" is appended per channel.  Basic authentication
 * with --dav-user and the first line of --dav-password-file; --ca-file and
 * --stall-timeout apply.  The share is reached directly: push takes no
 * --proxy (the settings refuse it on the command line; a `proxy` key of a
 * config file shared with sync is not used here).
 *
 * Prints one summary line per channel (or one JSON object with --json) to
 * stdout; each change on the share to stderr: a line with --verbose, a JSON
 * line with --json (unless --quiet).  Exit status: 0 pushed, 1 the share refused a request (e.g. 401),
 * 2 usage, 3 I/O (the connection, a local file).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fs_open.h"
#include "importer.h"
#include "mirror_cmd.h"
#include "push.h"
#include "store_layout.h"
#include "xmalloc.h"

#define PUSH_PASSWORD_MAX	4096	/* bytes of the password file read */

/* The first line of the password file; the caller frees it. */
static char *
push_read_password(const char *file, struct errbuf *err)
{
	char *buf = NULL;
	size_t len = 0;

	if (fs_read_at(AT_FDCWD, file, 0, PUSH_PASSWORD_MAX, &buf, &len, err) < 0) {
		errbuf_prefix(err, "%s", file);
		return NULL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

/* Whether the URL's path ends in the segment "download". */
static int
push_url_is_channel(const char *url)
{
	size_t n = strlen(url), dl = strlen(STORE_DOWNLOAD_DIR);

	while (n > 0 && url[n - 1] == '/')
		n--;
	return n > dl && url[n - dl - 1] == '/' &&
	    strncmp(url + n - dl, STORE_DOWNLOAD_DIR, dl) == 0;
}

static char *
push_url_for(const char *dav_url, const char *channel)
{
	size_t n = strlen(dav_url);

	if (push_url_is_channel(dav_url))
		return xstrdup(dav_url);
	while (n > 0 && dav_url[n - 1] == '/')
		n--;
	return xasprintf("%.*s/%s/%s", (int)n, dav_url, channel, STORE_DOWNLOAD_DIR);
}

static void
push_progress(const struct push_event *ev, const struct push_stats *st, void *arg)
{
	static const char *names[] = { "mkcol", "put", "index" };
	const int *json = arg;
	json_t *o;

	if (!*json) {
		fprintf(stderr, "push: %s %s%s\n", names[ev->action],
		    ev->path[0] != '\0' ? ev->path : ".", ev->action == PUSH_MKCOL ? "/" : "");
		return;
	}
	o = json_pack("{s:s, s:s, s:I}", "event", names[ev->action], "path", ev->path,
	    "size", (json_int_t)ev->size);
	if (o != NULL) {
		json_dumpf(o, stderr, JSON_COMPACT);
		fputc('\n', stderr);
		json_decref(o);
	}
}

static json_t *
push_stats_json(const char *channel, const char *url, const struct push_stats *st)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
	    "channel", channel, "url", url,
	    "collections_made", (json_int_t)st->collections_made,
	    "files_put", (json_int_t)st->files_put,
	    "files_present", (json_int_t)st->files_present,
	    "bytes_put", (json_int_t)st->bytes_put,
	    "indexes_put", (json_int_t)st->indexes_put,
	    "indexes_unchanged", (json_int_t)st->indexes_unchanged,
	    "folders_removed_skipped", (json_int_t)st->folders_removed,
	    "entries_skipped", (json_int_t)st->entries_skipped,
	    "index_replace", st->indexes_put == 0 ? "none" : st->indexes_moved ? "move" : "put");
}

static void
push_print_human(const char *channel, const char *url, const struct push_stats *st)
{
	printf("%s: pushed to %s: %zu collections made, %zu files uploaded (%llu bytes), "
	    "%zu already present; indexes: %zu uploaded%s, %zu unchanged\n", channel, url,
	    st->collections_made, st->files_put, (unsigned long long)st->bytes_put,
	    st->files_present, st->indexes_put,
	    st->indexes_put == 0 ? "" : st->indexes_moved ? " (PUT + MOVE)" : " (PUT)",
	    st->indexes_unchanged);
}

/* One channel: 0 or the exit status of its failure. */
static int
push_one(const struct mirror_settings *s, const char *channel, const char *password,
    json_t *results, const int *json)
{
	struct push_config cfg = { .root = s->root, .channel = channel, .user = s->dav_user,
	    .password = password, .timeout = s->stall_timeout, .ca_file = s->ca_file };
	struct push_stats st;
	struct errbuf err = { "" };
	char *url = push_url_for(s->dav_url, channel);
	json_t *r;
	int rc;

	cfg.dav_url = url;
	if (s->verbose || (*json && !s->quiet)) {
		cfg.progress = push_progress;
		cfg.progress_arg = (void *)json;
	}
	rc = push_channel(&cfg, &st, &err);
	r = push_stats_json(channel, url, &st);
	if (rc < 0) {
		json_object_set_new(r, "error", json_string(err.msg));
		if (!*json)
			fprintf(stderr, "storemirror: push: %s\n", err.msg);
		rc = st.refused ? IMP_EXIT_INVALID : IMP_EXIT_IO;
	} else if (!*json) {
		push_print_human(channel, url, &st);
	}
	json_array_append_new(results, r);
	free(url);
	return rc;
}

int
mirror_cmd_push(const struct mirror_settings *s)
{
	struct errbuf err = { "" };
	char *password = NULL, *list = NULL, *save = NULL;
	json_t *results = json_array();
	int json = s->json, status = IMP_EXIT_OK, rc;

	if (s->root == NULL || s->channels == NULL || s->dav_url == NULL) {
		errbuf_set(&err, "push needs --root, --channels and --dav-url");
		status = IMP_EXIT_USAGE;
		goto out;
	}
	if (s->dav_password_file != NULL &&
	    (password = push_read_password(s->dav_password_file, &err)) == NULL) {
		status = IMP_EXIT_USAGE;
		goto out;
	}
	list = xstrdup(s->channels);
	for (char *ch = strtok_r(list, ",", &save); ch != NULL; ch = strtok_r(NULL, ",", &save)) {
		rc = push_one(s, ch, password, results, &json);
		if (rc != IMP_EXIT_OK && status == IMP_EXIT_OK)
			status = rc;
	}
out:
	if (json) {
		json_t *o = json_pack("{s:s, s:b, s:O}", "command", "push",
		    "ok", status == IMP_EXIT_OK, "channels", results);

		if (err.msg[0] != '\0')
			json_object_set_new(o, "error", json_string(err.msg));
		json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(o);
	} else if (err.msg[0] != '\0') {
		fprintf(stderr, "storemirror: push: %s\n", err.msg);
	}
	json_decref(results);
	if (password != NULL)
		memset(password, 0, strlen(password));
	free(password);
	free(list);
	return status;
}
