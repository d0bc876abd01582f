/*
 * status: collect the status document; see status.h.  The renderings are
 * in status_render.c.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fs_open.h"
#include "index_parse.h"
#include "read_path.h"
#include "status.h"
#include "status_downloads.h"
#include "xmalloc.h"

#define STATUS_MAX_CHANNELS	64	/* channels looked at */
#define STATUS_MAX_MANIFEST	65536

static const struct {
	const char *path;
	enum status_format fmt;
} status_routes[] = {
	{ "/status", STATUS_HTML },
	{ "/status.json", STATUS_JSON },
	{ "/metrics", STATUS_PROMETHEUS },
};

int
status_route(const char *path)
{
	for (size_t i = 0; i < sizeof(status_routes) / sizeof(status_routes[0]); i++) {
		if (strcmp(path, status_routes[i].path) == 0)
			return (int)status_routes[i].fmt;
	}
	return -1;
}

static json_t *
status_time(time_t t)
{
	char buf[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *
status_disk(int root_fd)
{
	struct statvfs sv;

	if (fstatvfs(root_fd, &sv) == -1)
		return json_pack("{s:s}", "error", strerror(errno));
	return json_pack("{s:I, s:I, s:I}",
	    "total_bytes", (json_int_t)((uint64_t)sv.f_blocks * sv.f_frsize),
	    "used_bytes", (json_int_t)((uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize),
	    "free_bytes", (json_int_t)((uint64_t)sv.f_bavail * sv.f_frsize));
}

/* {"items": n, "builds": n} of one index; builds are the versions of the
 * items (apps, software), the firmware versions, or the platform versions. */
static json_t *
status_index_counts(int dlfd, enum index_kind kind)
{
	struct diag *d = diag_create();
	struct index_doc *doc = NULL;
	size_t items = 0, builds = 0;
	struct errbuf err;
	char *buf = NULL;
	size_t len;
	json_t *o;

	if (fs_read_at(dlfd, index_kind_file(kind), O_NOFOLLOW, INDEX_DEFAULT_MAX_BYTES, &buf,
	    &len, &err) == -1 || index_parse(kind, buf, len, NULL, NULL, &doc, d) == -1) {
		o = json_pack("{s:i, s:i, s:b}", "items", 0, "builds", 0, "readable", 0);
		goto done;
	}
	for (size_t i = 0; i < doc->nitems; i++)
		builds += doc->items[i].nversions;
	items = doc->nitems + doc->nplatforms;
	builds += doc->nversions + doc->nplatforms;
	if (kind == INDEX_FIRMWARE)
		items = doc->ndevices;
	o = json_pack("{s:I, s:I, s:b}", "items", (json_int_t)items, "builds", (json_int_t)builds,
	    "readable", 1);
done:
	index_doc_free(doc);
	diag_free(d);
	free(buf);
	return o;
}

/* The "*.problems.txt" files in <channel>/incoming/ (the WebDAV watcher's). */
static size_t
status_incoming_problems(int chanfd)
{
	int fd = fs_open_dir_nofollow(chanfd, "incoming", strlen("incoming"));
	static const char suffix[] = ".problems.txt";
	struct dirent *de;
	size_t n = 0;
	DIR *dir;

	if (fd == -1)
		return 0;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len > sizeof(suffix) - 1 &&
		    strcmp(de->d_name + len - (sizeof(suffix) - 1), suffix) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

static json_t *
status_channel(int root_fd, const char *name, size_t *problems)
{
	int chanfd = fs_open_dir_nofollow(root_fd, name, strlen(name));
	int dlfd = chanfd == -1 ? -1 : fs_open_dir_nofollow(chanfd, "download", 8);
	json_t *kinds = json_object();
	size_t incoming = 0;

	for (int k = 0; k < INDEX_KIND_COUNT; k++) {
		char kname[32];

		snprintf(kname, sizeof(kname), "%s", index_kind_file((enum index_kind)k));
		kname[strcspn(kname, ".")] = '\0';
		json_object_set_new(kinds, kname, dlfd == -1 ? json_null() :
		    status_index_counts(dlfd, (enum index_kind)k));
	}
	if (chanfd != -1)
		incoming = status_incoming_problems(chanfd);
	*problems += incoming;
	if (dlfd != -1)
		close(dlfd);
	if (chanfd != -1)
		close(chanfd);
	return json_pack("{s:s, s:o, s:I}", "name", name, "kinds", kinds,
	    "incoming_problem_files", (json_int_t)incoming);
}

static int
status_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The channels served, sorted, at most STATUS_MAX_CHANNELS. */
static json_t *
status_channels(int root_fd, size_t *problems)
{
	char *names[STATUS_MAX_CHANNELS];
	json_t *a = json_array();
	size_t n = 0;
	struct dirent *de;
	DIR *dir = fs_opendir_at(root_fd);

	if (dir == NULL)
		return a;
	while ((de = readdir(dir)) != NULL && n < STATUS_MAX_CHANNELS) {
		if (de->d_name[0] != '.' &&
		    read_path_channel_served(root_fd, de->d_name, strlen(de->d_name)))
			names[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(names[0]), status_name_cmp);
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(a, status_channel(root_fd, names[i], problems));
		free(names[i]);
	}
	return a;
}

/* A run record of <root>/.status/, or null when there is none (or it is
 * not a JSON object). */
static json_t *
status_read_record(int root_fd, const char *name)
{
	char path[64];
	struct errbuf err;
	char *buf = NULL;
	size_t len;
	json_t *o = NULL;

	snprintf(path, sizeof(path), "%s/%s", STATUS_DIR, name);
	if (fs_read_at(root_fd, path, O_NOFOLLOW, STATUS_RECORD_MAX, &buf, &len, &err) == 0)
		o = json_loadb(buf, len, 0, NULL);
	free(buf);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o != NULL ? o : json_null();
}

/* The "problems" count of a run record, or null. */
static json_t *
status_problems(json_t *record)
{
	json_t *n = json_object_get(record, "problems");

	return json_is_integer(n) ? n : json_null();
}

static json_t *
status_requests(const struct status_totals *t)
{
	static const char *const names[STATUS_CLASSES] = { "1xx", "2xx", "3xx", "4xx", "5xx",
	    "other" };
	json_t *by = json_object();

	for (size_t i = 0; i < STATUS_CLASSES; i++)
		json_object_set_new(by, names[i], json_integer((json_int_t)t->by_class[i]));
	return json_pack("{s:I, s:I, s:o, s:I, s:I, s:I, s:I}",
	    "total", (json_int_t)t->requests, "bytes", (json_int_t)t->bytes, "by_class", by,
	    "not_modified", (json_int_t)t->not_modified, "partial", (json_int_t)t->partial,
	    "downloads", (json_int_t)t->downloads,
	    "download_bytes", (json_int_t)t->download_bytes);
}

json_t *
status_collect(const struct status_source *src)
{
	struct status_totals totals;
	time_t now = time(NULL);
	size_t incoming = 0;
	json_t *doc, *channels, *imp, *mir;

	status_counters_sum(src->counters, src->ncounters, &totals);
	channels = status_channels(src->root_fd, &incoming);
	imp = status_read_record(src->root_fd, STATUS_LAST_IMPORT);
	mir = status_read_record(src->root_fd, STATUS_LAST_MIRROR);
	doc = json_pack("{s:s, s:o, s:o, s:I, s:s, s:o, s:o, s:o, s:O, s:O}",
	    "version", PACKAGE_VERSION, "started", status_time(src->started),
	    "now", status_time(now), "uptime_seconds", (json_int_t)(now - src->started),
	    "root", src->root, "disk", status_disk(src->root_fd), "channels", channels,
	    "requests", status_requests(&totals), "last_import", imp, "last_mirror", mir);
	json_object_set_new(doc, "validation", json_pack("{s:O, s:O, s:I}",
	    "last_import_problems", status_problems(imp), "last_mirror_problems",
	    status_problems(mir), "incoming_problem_files", (json_int_t)incoming));
	json_object_set_new(doc, "downloads", status_downloads(src->root_fd, &totals,
	    STATUS_TOP_LISTED));
	json_decref(imp);
	json_decref(mir);
	status_totals_release(&totals);
	return doc;
}
