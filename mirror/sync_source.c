/*
 * sync_source: the upstream of a sync (an HTTP channel or store, or a local
 * download/ folder) and getting files from it; see sync_source.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy_hash.h"
#include "fs_open.h"
#include "store_layout.h"
#include "sync_source.h"
#include "xmalloc.h"

#define SOURCE_DOWNLOAD_SEG	"/" STORE_DOWNLOAD_DIR
#define SOURCE_RECORDS_SEG	"/sha256"

struct sync_source {
	const struct sync_target *t;
	struct sync_source_config c;
	struct fetcher *f;	/* HTTP */
	int downloadfd;		/* local: download/ */
	int recordsfd;		/* local: hashes/, -1 when there is none */
};

/* --- targets --- */

static int
source_is_http(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

/* A copy of s without trailing slashes (keeping a lone "/"). */
static char *
source_trim(const char *s)
{
	char *t = xstrdup(s);
	size_t n = strlen(t);

	while (n > 1 && t[n - 1] == '/')
		t[--n] = '\0';
	return t;
}

static int
source_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The last segment of the first len bytes of path, copied. */
static char *
source_last_segment(const char *path, size_t len)
{
	const char *start = path + len;

	while (start > path && start[-1] != '/')
		start--;
	return xstrndup(start, (size_t)(path + len - start));
}

static void
source_target_add(struct sync_target **v, size_t *n, const char *channel, char *download,
    char *records, int local)
{
	struct sync_target *t;

	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	t = &(*v)[(*n)++];
	t->channel = xstrdup(channel);
	t->download = download;
	t->records = records;
	t->local = local;
}

/* A channel's download/ (URL or folder): one target. */
static int
source_resolve_one(const char *up, const char *channels, int local, struct sync_target **v,
    size_t *n, struct errbuf *err)
{
	size_t plen = strlen(up) - strlen(SOURCE_DOWNLOAD_SEG);
	char *name = channels ? xstrdup(channels) : source_last_segment(up, plen);
	char *prefix = xstrndup(up, plen);
	int rc = 0;

	if (strchr(name, ',') != NULL)
		rc = errbuf_set(err, "--channels \"%s\": the upstream %s is one channel; give one "
		    "local name", channels, up);
	else if (!store_channel_name_valid(name))
		rc = errbuf_set(err, "%s: \"%s\" is not a valid channel name; name it with "
		    "--channels", up, name);
	else
		source_target_add(v, n, name, xstrdup(up), xasprintf("%s%s", prefix,
		    local ? "/" STORE_HASHES_DIR : SOURCE_RECORDS_SEG), local);
	free(prefix);
	free(name);
	return rc;
}

/* A store base URL or root folder: one target per channel of the list. */
static int
source_resolve_base(const char *up, const char *channels, int local, struct sync_target **v,
    size_t *n, struct errbuf *err)
{
	char *list, *save = NULL;
	const char *sep = up[strlen(up) - 1] == '/' ? "" : "/";
	int rc = 0;

	if (channels == NULL || *channels == '\0')
		return errbuf_set(err, "--upstream %s is not a channel's .../download %s: name "
		    "the channels to mirror with --channels", up, local ? "folder" : "URL");
	list = xstrdup(channels);
	for (char *ch = strtok_r(list, ",", &save); ch != NULL && rc == 0;
	    ch = strtok_r(NULL, ",", &save)) {
		if (!store_channel_name_valid(ch))
			rc = errbuf_set(err, "--channels: \"%s\" is not a valid channel name", ch);
		else
			source_target_add(v, n, ch, xasprintf("%s%s%s%s", up, sep, ch,
			    SOURCE_DOWNLOAD_SEG), xasprintf("%s%s%s%s", up, sep, ch, local ?
			    "/" STORE_HASHES_DIR : SOURCE_RECORDS_SEG), local);
	}
	free(list);
	return rc;
}

int
sync_targets_resolve(const char *upstream, const char *channels,
    struct sync_target **out, size_t *n, struct errbuf *err)
{
	char *up;
	int rc;

	*out = NULL;
	*n = 0;
	if (upstream == NULL || *upstream == '\0')
		return errbuf_set(err, "--upstream: missing");
	up = source_trim(upstream);
	if (source_ends_with(up, SOURCE_DOWNLOAD_SEG))
		rc = source_resolve_one(up, channels, !source_is_http(up), out, n, err);
	else
		rc = source_resolve_base(upstream, channels, !source_is_http(up), out, n, err);
	free(up);
	if (rc != 0) {
		sync_targets_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
sync_targets_free(struct sync_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].channel);
		free(t[i].download);
		free(t[i].records);
	}
	free(t);
}

char *
sync_source_locate(const struct sync_target *t, enum sync_base base, const char *rel,
    struct errbuf *err)
{
	char *out = NULL, *name;

	if (base == SYNC_BASE_DOWNLOAD && t->local)
		return xasprintf("%s/%s", t->download, rel);
	if (base == SYNC_BASE_RECORDS && t->local) {
		name = xstrdup(rel);
		for (char *s = name; *s != '\0'; s++)
			*s = *s == '/' ? '-' : *s;
		out = xasprintf("%s/%s.sha256", t->records, name);
		free(name);
		return out;
	}
	if (fetch_url_join(base == SYNC_BASE_DOWNLOAD ? t->download : t->records, rel, &out,
	    err) == -1)
		return NULL;
	return out;
}

/* --- getting files --- */

struct sync_source *
sync_source_create(const struct sync_target *t, const struct sync_source_config *c,
    struct errbuf *err)
{
	struct sync_source *src = xcalloc(1, sizeof(*src));
	struct fetch_config fc = { .user_agent = "storemirror", .ca_file = c->ca_file,
		.proxy = c->proxy };

	src->t = t;
	src->c = *c;
	src->downloadfd = src->recordsfd = -1;
	if (!t->local) {
		if ((src->f = fetch_create(&fc, err)) != NULL)
			return src;
	} else if ((src->downloadfd = open(t->download, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		src->recordsfd = open(t->records, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return src;
	} else
		errbuf_set_errno(err, "%s", t->download);
	sync_source_free(src);
	return NULL;
}

void
sync_source_free(struct sync_source *src)
{
	if (src == NULL)
		return;
	if (src->f != NULL)
		fetch_free(src->f);
	if (src->downloadfd != -1)
		close(src->downloadfd);
	if (src->recordsfd != -1)
		close(src->recordsfd);
	free(src);
}

/* The folder and path below it of a local job's url, or -1 when the url
 * is not below one of the source's folders. */
static int
source_local_split(const struct sync_source *src, const char *url, const char **rel)
{
	const char *bases[2] = { src->t->download, src->t->records };
	const int fds[2] = { src->downloadfd, src->recordsfd };

	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(bases[i]);

		if (strncmp(url, bases[i], n) == 0 && url[n] == '/') {
			*rel = url + n + 1;
			return fds[i];
		}
	}
	return -1;
}

/* Opens the folder holding rel below fd, confined to fd's tree (symlinks
 * inside it followed, fs_open.h), and points *base at rel's last segment.
 * A descriptor the caller closes, or -1 with errno. */
static int
source_local_parent(int fd, const char *rel, const char **base)
{
	const char *slash = strrchr(rel, '/');
	char *dir;
	int pfd;

	*base = slash ? slash + 1 : rel;
	if (slash == NULL)
		return fcntl(fd, F_DUPFD_CLOEXEC, 0);
	dir = xstrndup(rel, (size_t)(slash - rel));
	pfd = fs_open_beneath(fd, dir, O_RDONLY | O_DIRECTORY);
	free(dir);
	return pfd;
}

/* One job of a local source: the file copied while hashed (a symlink as
 * the file itself is refused, as the importer refuses it). */
static void
source_local_job(struct sync_source *src, struct transfer_job *j)
{
	const char *rel = NULL, *base = NULL;
	int fd = source_local_split(src, j->url, &rel), pfd = -1;
	struct stat sb;

	memset(&j->res, 0, sizeof(j->res));
	j->err.msg[0] = '\0';
	j->have_sha256 = 0;
	j->res.attempts = 1;
	if (fd == -1 || (pfd = source_local_parent(fd, rel, &base)) == -1 ||
	    fstatat(pfd, base, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		if (fd == -1 || errno == ENOENT || errno == ENOTDIR) {
			j->res.status = 404;
			j->rc = 0;
		} else if (errno == EXDEV || errno == EACCES) {	/* fs_open_beneath() */
			j->rc = errbuf_set(&j->err, "%s: a symbolic link leads out of %s", j->url,
			    src->t->download);
			j->res.fail = FETCH_FAIL_PROTOCOL;
		} else {
			j->rc = errbuf_set_errno(&j->err, "%s", j->url);
			j->res.fail = FETCH_FAIL_LOCAL;
		}
		goto out;
	}
	/* What the upstream holds is its fault, not a local I/O error (exit 1,
	 * not 3): a symlink as the file itself, a folder, a device or FIFO, a
	 * file over the job's limit. */
	if (!S_ISREG(sb.st_mode)) {
		j->rc = errbuf_set(&j->err, "%s: not a regular file (a symbolic link, folder or "
		    "device is refused)", j->url);
		j->res.fail = FETCH_FAIL_PROTOCOL;
		goto out;
	}
	if (j->opts.max_size > 0 && (uint64_t)sb.st_size > j->opts.max_size) {
		j->rc = errbuf_set(&j->err, "%s: %jd bytes, over the limit of %ju", j->url,
		    (intmax_t)sb.st_size, (uintmax_t)j->opts.max_size);
		j->res.fail = FETCH_FAIL_PROTOCOL;
		goto out;
	}
	unlinkat(j->dirfd, j->tmpname, 0);
	if ((j->rc = copy_hash_file(pfd, base, j->dirfd, j->tmpname, j->sha256, &j->res.size,
	    &j->err)) != 0) {
		errbuf_prefix(&j->err, "%s", j->url);
		j->rc = -1;
		j->res.fail = FETCH_FAIL_LOCAL;
	} else {
		j->res.status = 200;
		j->res.received = j->res.size;
		j->have_sha256 = 1;
	}
out:
	if (pfd != -1)
		close(pfd);
}

static int
source_run_local(struct sync_source *src, struct transfer_job *jobs, size_t n)
{
	struct transfer_progress p = { .jobs_total = n };

	for (size_t i = 0; i < n; i++) {
		source_local_job(src, &jobs[i]);
		p.jobs_done++;
		p.jobs_failed += jobs[i].rc != 0;
		p.bytes_received += jobs[i].res.received;
		if (src->c.progress != NULL)
			src->c.progress(&p, src->c.progress_arg);
	}
	return 0;
}

int
sync_source_run(struct sync_source *src, struct transfer_job *jobs, size_t n,
    struct errbuf *err)
{
	struct transfer_config tc = {
		.parallel = src->c.parallel,
		.rate_limit = src->c.rate_limit,
		.progress = src->c.progress,
		.progress_arg = src->c.progress_arg,
	};

	if (n == 0)
		return 0;
	if (src->t->local)
		return source_run_local(src, jobs, n);
	return transfer_run(src->f, jobs, n, &tc, err);
}

int
sync_source_size(const struct sync_source *src, const char *rel, uint64_t *size)
{
	struct stat sb;

	if (!src->t->local || fstatat(src->downloadfd, rel, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(sb.st_mode))
		return -1;
	*size = (uint64_t)sb.st_size;
	return 0;
}
