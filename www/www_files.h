/*
 * www_files: the files of www/ (dist_www_DATA, www/include.am) built into
 * storesrv, so a storesrv that is built but not installed serves its page
 * without -w.  The table is generated at build time (scripts/embed-files);
 * it ends with an entry whose name is NULL.  Names are relative to www/
 * ("download.htm"); the data is static and never freed.
 */
#ifndef WWW_WWW_FILES_H
#define WWW_WWW_FILES_H

#include "read_path.h"

extern const struct read_embedded_file www_files[];

#endif
