/*
 * status_record: write a tool's last-run record; see status_record.h.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "fs_open.h"
#include "status_record.h"
#include "store_root.h"

static json_t *
status_record_build(int exit_status, long problems, const char *message, json_t *extra)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *o;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:b, s:i, s:I, s:s?}", "finished", when, "ok", exit_status == 0,
	    "exit", exit_status, "problems", (json_int_t)problems, "message", message);
	if (o == NULL)
		return NULL;
	if (json_object_get(o, "message") == NULL)
		json_object_set_new(o, "message", json_null());
	if (extra != NULL)
		json_object_update_missing(o, extra);
	return o;
}

int
status_record_write(const char *root, const char *name, int exit_status, long problems,
    const char *message, json_t *extra, struct errbuf *err)
{
	json_t *o = status_record_build(exit_status, problems, message, extra);
	int rootfd = -1, dirfd = -1, rc = -1;
	char *text = NULL;

	if (o == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL) {
		errbuf_set(err, "%s/%s/%s: cannot build the record", root, STATUS_DIR, name);
		goto done;
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd == -1) {
		errbuf_set_errno(err, "%s", root);
		goto done;
	}
	if (!store_root_has_channels(rootfd)) {
		rc = 0;		/* not a store (a refused run): leave it alone */
		goto done;
	}
	dirfd = fs_open_subdir(rootfd, STATUS_DIR, FS_SUBDIR_ENSURE, err);
	if (dirfd == -1) {
		errbuf_prefix(err, "%s", root);
		goto done;
	}
	if (atomic_file_write(dirfd, name, text, strlen(text), 0644, err) == -1) {
		errbuf_prefix(err, "%s/%s/%s", root, STATUS_DIR, name);
		goto done;
	}
	rc = 0;
done:
	if (dirfd != -1)
		close(dirfd);
	if (rootfd != -1)
		close(rootfd);
	free(text);
	json_decref(o);
	return rc;
}
