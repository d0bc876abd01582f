/*
 * passwd: the "storesrv passwd" subcommand, which manages the WebDAV users
 * file (webdav/dav_users.h):
 *
 *	storesrv passwd add NAME [--read-only] [--replace] [-f USERS_FILE]
 *	storesrv passwd remove NAME [-f USERS_FILE]
 *	storesrv passwd list [-f USERS_FILE]
 *
 * add reads the password twice from the terminal without echo, or one line
 * from stdin when stdin is not a terminal.  An existing name is refused
 * unless --replace.  list prints "NAME<TAB>ro|rw", never a hash.  The
 * file defaults to SYSCONFDIR/storesrv-users.
 *
 * Exit status: 0 done, 1 failed (message on stderr), 2 usage error.
 */
#ifndef STORESRV_PASSWD_H
#define STORESRV_PASSWD_H

/* argv[0] is "passwd". */
int passwd_main(int argc, char **argv);

#endif
