/*
 * store_lock: the exclusive flock(2) on <root>/<channel>/.lock held by the
 * writers of a channel; see store_lock.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "store_layout.h"
#include "store_lock.h"
#include "xmalloc.h"

int
store_lock_channel(const char *root, const char *channel, int nonblock, struct errbuf *err)
{
	char *path;
	int fd, rc;

	if (!store_channel_name_valid(channel))
		return errbuf_set(err, "\"%s\": not a valid channel name", channel);
	path = xasprintf("%s/%s/%s", root, channel, STORE_LOCK_FILE);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1) {
		errbuf_set_errno(err, "%s", path);
		free(path);
		return -1;
	}
	do
		rc = flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0));
	while (rc == -1 && errno == EINTR);
	if (rc == -1) {
		int saved = errno;

		if (saved == EWOULDBLOCK)
			errbuf_set(err, "%s: channel \"%s\" is locked by another writer",
			    path, channel);
		else
			errbuf_set_errno(err, "%s: flock", path);
		close(fd);
		fd = -1;
		errno = saved;
	}
	free(path);
	return fd;
}

void
store_unlock(int lockfd)
{
	if (lockfd < 0)
		return;
	flock(lockfd, LOCK_UN);
	close(lockfd);
}
