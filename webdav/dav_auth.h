/*
 * dav_auth: HTTP Basic authentication of the WebDAV listener.
 *
 * dav_auth_parse_basic() takes an Authorization header apart (RFC 7617:
 * "Basic" token68, base64 of "user:password" split at the first ':').
 * dav_auth_basic_allowed() is the rule "no Basic over plain HTTP unless
 * the listener is on loopback or a setting allows it".
 *
 * struct dav_limiter counts failed attempts per client address (IPv4, or
 * the /64 of an IPv6 address; IPv4-mapped IPv6 counts as IPv4) in a
 * bounded table: after `max_failures` failures within `window` seconds the
 * address is refused for `cooldown` seconds; when the table is full the
 * entry used longest ago is evicted.  A successful login forgets the
 * address.  The clock is the caller's (`now`), so tests inject it.  An
 * empty table is not searched at all: good clients pay nothing.
 *
 * struct dav_auth ties them together for a listener: the users (not owned),
 * the limiter, and a small cache of recently accepted Authorization values
 * (a keyed SHA-256 of the header, never the password) so that a client
 * sending the same credentials with every request pays scrypt once per
 * DAV_AUTH_CACHE_TTL seconds, not once per request.  It is locked inside,
 * so one dav_auth may serve several threads.
 */
#ifndef STORESRV_DAV_AUTH_H
#define STORESRV_DAV_AUTH_H

#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "dav_users.h"

/* The WWW-Authenticate value of a 401 (RFC 7617, charset parameter). */
#define DAV_AUTH_CHALLENGE	"Basic realm=\"storesrv\", charset=\"UTF-8\""
/* The longest Authorization value taken apart (longer ones fail). */
#define DAV_AUTH_HEADER_MAX	2048
/* Default limiter: 5 failures per 60 s, then 300 s of refusal, 1024 slots. */
#define DAV_LIMIT_FAILURES	5
#define DAV_LIMIT_WINDOW	60
#define DAV_LIMIT_COOLDOWN	300
#define DAV_LIMIT_SLOTS		1024
/* Accepted credentials are remembered this long, at most this many. */
#define DAV_AUTH_CACHE_TTL	300
#define DAV_AUTH_CACHE_SLOTS	64

/* Takes "Basic <base64>" apart into user (NUL-terminated, at most
 * DAV_USER_NAME_MAX bytes, a valid name) and password (its bytes and
 * length; at most DAV_PASSWORD_MAX bytes, NUL-terminated too).  The scheme
 * is case-insensitive.  0, or -1 when the header is not acceptable. */
int dav_auth_parse_basic(const char *header, char user[DAV_USER_NAME_MAX + 1],
    char password[DAV_PASSWORD_MAX + 1], size_t *password_len);

/* 1 when Basic may be used on a listener: over TLS, when `allow_plain`
 * (the setting), or when `listen` ("ADDR:PORT", "[ADDR]:PORT", a host name
 * "localhost") is a loopback address (127.0.0.0/8, ::1).  0 otherwise. */
int dav_auth_basic_allowed(int tls, const char *listen, int allow_plain);

struct dav_limiter;

/* A table of `slots` addresses (at least 1); dav_limiter_free(NULL) is a
 * no-op. */
struct dav_limiter *dav_limiter_create(size_t slots, unsigned max_failures, time_t window,
    time_t cooldown);
void dav_limiter_free(struct dav_limiter *lim);
/* 1 when the address is cooling down at `now`, 0 otherwise (also for an
 * address family other than IPv4 and IPv6). */
int dav_limiter_blocked(struct dav_limiter *lim, const struct sockaddr *addr, time_t now);
/* Counts a failed attempt of the address. */
void dav_limiter_failure(struct dav_limiter *lim, const struct sockaddr *addr, time_t now);
/* Forgets the address (a successful login). */
void dav_limiter_success(struct dav_limiter *lim, const struct sockaddr *addr);
/* How many addresses the table holds (tests). */
size_t dav_limiter_count(const struct dav_limiter *lim);

enum dav_auth_result {
	DAV_AUTH_OK,		/* *role is set */
	DAV_AUTH_DENIED,	/* 401 with DAV_AUTH_CHALLENGE */
	DAV_AUTH_LIMITED	/* 429: the address is cooling down */
};

struct dav_auth;

/* `users` stays the caller's and must outlive the dav_auth; make a new
 * dav_auth when the users are reloaded (that also empties the cache). */
struct dav_auth *dav_auth_create(const struct dav_users *users);
void dav_auth_free(struct dav_auth *auth);
/* Decides a request from its Authorization value (NULL when absent) and
 * its peer address.  A missing header is DAV_AUTH_DENIED without counting
 * as a failure (clients ask before they send credentials). */
enum dav_auth_result dav_auth_request(struct dav_auth *auth, const char *authorization,
    const struct sockaddr *peer, time_t now, enum dav_role *role);

#endif
