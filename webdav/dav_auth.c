/*
 * dav_auth: Basic authentication, the per-address failure limiter and the
 * cache of accepted credentials (dav_auth.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "dav_auth.h"
#include "xmalloc.h"

#define DAV_CACHE_KEY_LEN	32
#define DAV_CACHE_DIGEST_LEN	32

/* An address as the limiter counts it: IPv4, or the /64 of IPv6. */
struct dav_addr_key {
	unsigned char	family;
	unsigned char	bytes[8];
};

struct dav_limiter_slot {
	struct dav_addr_key	key;
	unsigned		failures;
	time_t			window_start;
	time_t			blocked_until;
	time_t			last_seen;
};

struct dav_limiter {
	struct dav_limiter_slot	*slots;
	size_t			 nslots;
	size_t			 used;
	unsigned		 max_failures;
	time_t			 window;
	time_t			 cooldown;
};

struct dav_cache_entry {
	unsigned char	digest[DAV_CACHE_DIGEST_LEN];
	enum dav_role	role;
	time_t		expires;
};

struct dav_auth {
	const struct dav_users	*users;
	struct dav_limiter	*limiter;
	pthread_mutex_t		 lock;
	unsigned char		 cache_key[DAV_CACHE_KEY_LEN];
	struct dav_cache_entry	 cache[DAV_AUTH_CACHE_SLOTS];
};

int
dav_auth_parse_basic(const char *header, char user[DAV_USER_NAME_MAX + 1],
    char password[DAV_PASSWORD_MAX + 1], size_t *password_len)
{
	unsigned char plain[DAV_USER_NAME_MAX + 1 + DAV_PASSWORD_MAX];
	const char *token, *colon;
	size_t len, plain_len;

	header += strspn(header, " \t");
	if (strncasecmp(header, "Basic", 5) != 0 || (header[5] != ' ' && header[5] != '\t'))
		return -1;
	token = header + 5 + strspn(header + 5, " \t");
	len = strcspn(token, " \t");
	if (token[len + strspn(token + len, " \t")] != '\0')
		return -1;
	if (len > 4 * ((sizeof(plain) + 2) / 3) ||
	    dav_base64_decode(token, len, plain, sizeof(plain), &plain_len) == -1)
		return -1;
	colon = memchr(plain, ':', plain_len);
	if (colon == NULL || memchr(plain, '\0', plain_len) != NULL)
		return -1;
	len = (size_t)(colon - (const char *)plain);
	if (len > DAV_USER_NAME_MAX)
		return -1;
	memcpy(user, plain, len);
	user[len] = '\0';
	*password_len = plain_len - len - 1;
	if (*password_len > DAV_PASSWORD_MAX) {
		OPENSSL_cleanse(plain, sizeof(plain));
		return -1;
	}
	memcpy(password, colon + 1, *password_len);
	password[*password_len] = '\0';
	OPENSSL_cleanse(plain, sizeof(plain));
	if (!dav_user_name_valid(user) || !dav_password_valid(password, *password_len))
		return -1;
	return 0;
}

/* The host part of "ADDR:PORT", "[ADDR]:PORT" or a bare address. */
static int
dav_listen_host(const char *listen, char *host, size_t size)
{
	const char *end;

	if (listen[0] == '[') {
		end = strchr(listen, ']');
		listen++;
	} else {
		end = strrchr(listen, ':');
		if (end != NULL && strchr(listen, ':') != end)
			end = NULL;	/* a bare IPv6 address */
	}
	if (end == NULL)
		end = listen + strlen(listen);
	if ((size_t)(end - listen) >= size)
		return -1;
	memcpy(host, listen, (size_t)(end - listen));
	host[end - listen] = '\0';
	return 0;
}

int
dav_auth_basic_allowed(int tls, const char *listen, int allow_plain)
{
	char host[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;
	struct in_addr a4;

	if (tls || allow_plain)
		return 1;
	if (listen == NULL || dav_listen_host(listen, host, sizeof(host)) == -1)
		return 0;
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

static int
dav_addr_key_of(const struct sockaddr *addr, struct dav_addr_key *key)
{
	memset(key, 0, sizeof(*key));
	if (addr == NULL)
		return -1;
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)addr;

		key->family = 4;
		memcpy(key->bytes, &in->sin_addr, 4);
		return 0;
	}
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			key->family = 4;
			memcpy(key->bytes, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			key->family = 6;
			memcpy(key->bytes, in6->sin6_addr.s6_addr, 8);
		}
		return 0;
	}
	return -1;
}

struct dav_limiter *
dav_limiter_create(size_t slots, unsigned max_failures, time_t window, time_t cooldown)
{
	struct dav_limiter *lim = xcalloc(1, sizeof(*lim));

	lim->nslots = slots ? slots : 1;
	lim->slots = xcalloc(lim->nslots, sizeof(*lim->slots));
	lim->max_failures = max_failures ? max_failures : 1;
	lim->window = window;
	lim->cooldown = cooldown;
	return lim;
}

void
dav_limiter_free(struct dav_limiter *lim)
{
	if (lim == NULL)
		return;
	free(lim->slots);
	free(lim);
}

static struct dav_limiter_slot *
dav_limiter_find(struct dav_limiter *lim, const struct dav_addr_key *key)
{
	for (size_t i = 0; i < lim->used; i++)
		if (memcmp(&lim->slots[i].key, key, sizeof(*key)) == 0)
			return &lim->slots[i];
	return NULL;
}

int
dav_limiter_blocked(struct dav_limiter *lim, const struct sockaddr *addr, time_t now)
{
	struct dav_limiter_slot *slot;
	struct dav_addr_key key;

	if (lim->used == 0 || dav_addr_key_of(addr, &key) == -1)
		return 0;
	slot = dav_limiter_find(lim, &key);
	return slot != NULL && slot->blocked_until > now;
}

/* A slot for key: a free one, or the one seen longest ago. */
static struct dav_limiter_slot *
dav_limiter_take(struct dav_limiter *lim, const struct dav_addr_key *key)
{
	struct dav_limiter_slot *slot;

	if (lim->used < lim->nslots) {
		slot = &lim->slots[lim->used++];
	} else {
		slot = &lim->slots[0];
		for (size_t i = 1; i < lim->nslots; i++)
			if (lim->slots[i].last_seen < slot->last_seen)
				slot = &lim->slots[i];
	}
	memset(slot, 0, sizeof(*slot));
	slot->key = *key;
	return slot;
}

void
dav_limiter_failure(struct dav_limiter *lim, const struct sockaddr *addr, time_t now)
{
	struct dav_limiter_slot *slot;
	struct dav_addr_key key;

	if (dav_addr_key_of(addr, &key) == -1)
		return;
	slot = dav_limiter_find(lim, &key);
	if (slot == NULL)
		slot = dav_limiter_take(lim, &key);
	slot->last_seen = now;
	if (slot->failures == 0 || now - slot->window_start >= lim->window) {
		slot->failures = 0;
		slot->window_start = now;
	}
	if (++slot->failures >= lim->max_failures) {
		slot->blocked_until = now + lim->cooldown;
		slot->failures = 0;
	}
}

void
dav_limiter_success(struct dav_limiter *lim, const struct sockaddr *addr)
{
	struct dav_limiter_slot *slot;
	struct dav_addr_key key;

	if (lim->used == 0 || dav_addr_key_of(addr, &key) == -1)
		return;
	slot = dav_limiter_find(lim, &key);
	if (slot != NULL)
		*slot = lim->slots[--lim->used];
}

size_t
dav_limiter_count(const struct dav_limiter *lim)
{
	return lim->used;
}

struct dav_auth *
dav_auth_create(const struct dav_users *users)
{
	struct dav_auth *auth = xcalloc(1, sizeof(*auth));

	auth->users = users;
	auth->limiter = dav_limiter_create(DAV_LIMIT_SLOTS, DAV_LIMIT_FAILURES, DAV_LIMIT_WINDOW,
	    DAV_LIMIT_COOLDOWN);
	if (RAND_bytes(auth->cache_key, sizeof(auth->cache_key)) != 1)
		xalloc_failed("random bytes for the credentials cache key");
	pthread_mutex_init(&auth->lock, NULL);
	return auth;
}

void
dav_auth_free(struct dav_auth *auth)
{
	if (auth == NULL)
		return;
	dav_limiter_free(auth->limiter);
	pthread_mutex_destroy(&auth->lock);
	OPENSSL_cleanse(auth, sizeof(*auth));
	free(auth);
}

/* SHA-256 of the cache key and the header value. */
static void
dav_auth_digest(const struct dav_auth *auth, const char *header,
    unsigned char digest[DAV_CACHE_DIGEST_LEN])
{
	unsigned char buf[DAV_CACHE_KEY_LEN + DAV_AUTH_HEADER_MAX];
	size_t len = strlen(header);

	memcpy(buf, auth->cache_key, DAV_CACHE_KEY_LEN);
	memcpy(buf + DAV_CACHE_KEY_LEN, header, len);
	if (EVP_Q_digest(NULL, "SHA256", NULL, buf, DAV_CACHE_KEY_LEN + len, digest, NULL) != 1)
		memset(digest, 0, DAV_CACHE_DIGEST_LEN);	/* never matches a live entry */
	OPENSSL_cleanse(buf, DAV_CACHE_KEY_LEN + len);
}

/* The cached role of digest, DAV_ROLE_NONE when absent or expired.  Locked. */
static enum dav_role
dav_auth_cache_get(const struct dav_auth *auth, const unsigned char *digest, time_t now)
{
	for (size_t i = 0; i < DAV_AUTH_CACHE_SLOTS; i++) {
		const struct dav_cache_entry *e = &auth->cache[i];

		if (e->role != DAV_ROLE_NONE && e->expires > now &&
		    CRYPTO_memcmp(e->digest, digest, DAV_CACHE_DIGEST_LEN) == 0)
			return e->role;
	}
	return DAV_ROLE_NONE;
}

/* Remembers digest in a free or expired slot, else the soonest to expire. */
static void
dav_auth_cache_put(struct dav_auth *auth, const unsigned char *digest, enum dav_role role,
    time_t now)
{
	struct dav_cache_entry *slot = &auth->cache[0];

	for (size_t i = 0; i < DAV_AUTH_CACHE_SLOTS; i++)
		if (auth->cache[i].expires < slot->expires)
			slot = &auth->cache[i];
	memcpy(slot->digest, digest, DAV_CACHE_DIGEST_LEN);
	slot->role = role;
	slot->expires = now + DAV_AUTH_CACHE_TTL;
}

/* Parses and checks the credentials, without the lock (scrypt is slow). */
static enum dav_role
dav_auth_verify(const struct dav_auth *auth, const char *header)
{
	char user[DAV_USER_NAME_MAX + 1], password[DAV_PASSWORD_MAX + 1];
	enum dav_role role = DAV_ROLE_NONE;
	size_t len;

	if (dav_auth_parse_basic(header, user, password, &len) == 0)
		role = dav_users_check(auth->users, user, password, len);
	OPENSSL_cleanse(password, sizeof(password));
	return role;
}

enum dav_auth_result
dav_auth_request(struct dav_auth *auth, const char *authorization,
    const struct sockaddr *peer, time_t now, enum dav_role *role)
{
	unsigned char digest[DAV_CACHE_DIGEST_LEN];
	enum dav_auth_result result;
	enum dav_role found;

	pthread_mutex_lock(&auth->lock);
	if (dav_limiter_blocked(auth->limiter, peer, now)) {
		pthread_mutex_unlock(&auth->lock);
		return DAV_AUTH_LIMITED;
	}
	if (authorization == NULL) {
		pthread_mutex_unlock(&auth->lock);
		return DAV_AUTH_DENIED;
	}
	found = DAV_ROLE_NONE;
	if (strlen(authorization) <= DAV_AUTH_HEADER_MAX) {
		dav_auth_digest(auth, authorization, digest);
		found = dav_auth_cache_get(auth, digest, now);
	}
	pthread_mutex_unlock(&auth->lock);
	if (found == DAV_ROLE_NONE && strlen(authorization) <= DAV_AUTH_HEADER_MAX)
		found = dav_auth_verify(auth, authorization);
	pthread_mutex_lock(&auth->lock);
	if (found == DAV_ROLE_NONE) {
		dav_limiter_failure(auth->limiter, peer, now);
		result = DAV_AUTH_DENIED;
	} else {
		dav_limiter_success(auth->limiter, peer);
		dav_auth_cache_put(auth, digest, found, now);
		*role = found;
		result = DAV_AUTH_OK;
	}
	pthread_mutex_unlock(&auth->lock);
	return result;
}
