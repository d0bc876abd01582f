/*
 * atomic_file: replace a file so that readers see the old or the new
 * content, never a mix, even across a crash.
 *
 * The data go to ".<name>.tmp-XXXXXX" in the same directory (hidden, so
 * never served), are fsync'd, renamed over `name`, and the directory is
 * fsync'd.  On any failure the temporary file is removed and `name` is
 * untouched.
 */
#ifndef STORESRV_ATOMIC_FILE_H
#define STORESRV_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "errbuf.h"

int atomic_file_write(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, struct errbuf *err);

/* fsync(2) a directory by descriptor; errors name `what`. */
int fsync_dir(int dirfd, const char *what, struct errbuf *err);

#endif
