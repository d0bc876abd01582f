/*
 * mirror_values: the checks of storemirror's setting values, one function
 * per kind of value.  mirror_settings.c's option table points each string
 * setting at one of them; the parser calls it before it stores the value.
 *
 * Every checker has the type mirror_values_check_fn: `value` is the text
 * from the file or the command line (never empty), `applies` tells whether
 * the setting belongs to the command being run (a config file may hold the
 * keys of other commands, so what looks at the disk only looks when it
 * applies), and `where` names the source ("--channels" or
 * "mirror.conf:3: channels") at the start of the one sentence put in err.
 * A checker returns 0 when the value is good and -1 with err set
 * otherwise; a few also fill the fields derived from the value (noted
 * below), which mirror_values_free() releases.  Lists are comma separated,
 * without empty elements ("a,,b", ",a" and "a," are refused).
 *
 * Library code: never prints.
 */
#ifndef STORESRV_MIRROR_VALUES_H
#define STORESRV_MIRROR_VALUES_H

#include <stddef.h>

#include "errbuf.h"

#define MIRROR_GLOB_MAX		255	/* bytes of one pattern */
#define MIRROR_USER_MAX		255	/* bytes of dav-user */

struct mirror_settings;

typedef int mirror_values_check_fn(struct mirror_settings *s, const char *value, int applies,
    const char *where, struct errbuf *err);

/* Channel names (store_layout.h), no repeats, MIRROR_CHANNELS_MAX at most; sets channel_list. */
mirror_values_check_fn mirror_values_check_channels;
/* Kinds: app, firmware, software, app-platform, phone-platform; sets kind_mask. */
mirror_values_check_fn mirror_values_check_kinds;
/* App architectures: arm, arm64, x86_64 (store_app_archs). */
mirror_values_check_fn mirror_values_check_archs;
/* Item id globs: printable ASCII, no space or '/', lower case, MIRROR_GLOB_MAX bytes each. */
mirror_values_check_fn mirror_values_check_id_globs;
/* Device globs: as the id globs, upper case allowed. */
mirror_values_check_fn mirror_values_check_device_globs;
/* A release id such as 14r1 (store_release_id_valid()). */
mirror_values_check_fn mirror_values_check_release;
/* When it applies: a regular file this process can read. */
mirror_values_check_fn mirror_values_check_input_file;
/* --since: an input file, or one that does not exist yet (a first export). */
mirror_values_check_fn mirror_values_check_state_file;
/* An http[s] URL as below, or a local folder (checked when it applies); sets upstream_*. */
mirror_values_check_fn mirror_values_check_upstream;
/* An http:// URL: a host, a port 1-65535 if any; no path, user info, query or fragment. */
mirror_values_check_fn mirror_values_check_proxy;
/* http:// or https://: a host, a port 1-65535 if any, any path; no user info, query, fragment. */
mirror_values_check_fn mirror_values_check_dav_url;
/* A Basic authentication user: MIRROR_USER_MAX bytes, no ':' or control character. */
mirror_values_check_fn mirror_values_check_user;

/* The last segment of a path or URL and the one before it, trailing
 * slashes ignored (".../beta/download/" -> "download", "beta"); a segment
 * that does not fit in size bytes with its NUL is left empty. */
void mirror_values_path_tail(const char *path, char *last, char *before, size_t size);

/* Frees what the checkers derived (channel_list, upstream_channel) and clears it. */
void mirror_values_free(struct mirror_settings *s);

#endif
