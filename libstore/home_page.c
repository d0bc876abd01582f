/*
 * home_page: the store's front page listing its channels; see home_page.h.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_open.h"
#include "home_page.h"
#include "read_path.h"
#include "store_layout.h"
#include "xmalloc.h"

#define HP_STR_(x)	#x
#define HP_STR(x)	HP_STR_(x)

/* A growing NUL-terminated string. */
struct hp_buf {
	char *data;
	size_t len;
	size_t cap;
};

struct hp_channels {
	char *names[HOME_PAGE_MAX_CHANNELS];
	size_t count;
	int more;		/* channels left out beyond the bound */
};

static const char HP_HEAD[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>innovaphone offline store</title>\n<style>\n"
    "body { font-family: sans-serif; margin: 2em; color: #222; }\n"
    "table { border-collapse: collapse; margin-bottom: 1.5em; }\n"
    "td, th { border: 1px solid #ccc; padding: .3em .6em; text-align: left; }\n"
    "</style>\n</head>\n<body>\n<h1>innovaphone offline store</h1>\n"
    "<p>Give these URLs to the innovaphone applications. Each channel has its own "
    "<code>download/</code> folder with the indexes <code>apps.json</code>, "
    "<code>firmware.json</code>, <code>software.json</code>, <code>linux.json</code> and "
    "<code>phoneplatform.json</code>.</p>\n";
static const char HP_TAIL[] = "</body>\n</html>\n";

/* Who is given which URL below <base>/<channel>/download. */
static const struct {
	const char *who;
	const char *suffix;
} hp_urls[] = {
	{ "Devices app (firmware.json, phoneplatform.json)", "" },
	{ "AP Manager (apps)", "/apps.json" },
	{ "myApps launcher update (appStoreUrl)", "/" },
	{ "Another App Store cascading from this one (source)", "" },
};

static void
hp_add(struct hp_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 1024;
		b->data = xreallocarray(b->data, b->cap, 1);
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
hp_puts(struct hp_buf *b, const char *s)
{
	hp_add(b, s, strlen(s));
}

static void
hp_escaped(struct hp_buf *b, const char *s)
{
	static const struct {
		char c;
		const char *entity;
	} entities[] = {
		{ '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" }, { '"', "&quot;" }, { '\'', "&#39;" },
	};
	size_t i;

	for (; *s != '\0'; s++) {
		for (i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
			if (entities[i].c == *s)
				break;
		}
		if (i < sizeof(entities) / sizeof(entities[0]))
			hp_puts(b, entities[i].entity);
		else
			hp_add(b, s, 1);
	}
}

char *
home_page_escape(const char *s)
{
	struct hp_buf b = { NULL, 0, 0 };

	hp_add(&b, "", 0);
	hp_escaped(&b, s);
	return b.data;
}

int
home_page_host_valid(const char *host)
{
	static const char host_chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]";

	return host != NULL && host[0] != '\0' && strlen(host) <= HOME_PAGE_HOST_MAX &&
	    host[strspn(host, host_chars)] == '\0';
}

static int
hp_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first HOME_PAGE_MAX_CHANNELS channels found, sorted by name. */
static int
hp_list_channels(int root_fd, struct hp_channels *ch)
{
	struct dirent *de;
	DIR *dir;

	if ((dir = fs_opendir_at(root_fd)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		if (!read_path_channel_served(root_fd, de->d_name, strlen(de->d_name)))
			continue;
		if (ch->count == HOME_PAGE_MAX_CHANNELS) {
			ch->more = 1;
			break;
		}
		ch->names[ch->count++] = xstrdup(de->d_name);
	}
	closedir(dir);
	qsort(ch->names, ch->count, sizeof(ch->names[0]), hp_name_cmp);
	return 0;
}

/* <code>{base}/{name}/download{suffix}</code> */
static void
hp_url(struct hp_buf *b, const char *base, const char *name, const char *suffix)
{
	hp_puts(b, "<code>");
	hp_escaped(b, base);
	hp_puts(b, "/");
	hp_escaped(b, name);
	hp_puts(b, "/" STORE_DOWNLOAD_DIR);
	hp_escaped(b, suffix);
	hp_puts(b, "</code>");
}

static void
hp_channel(struct hp_buf *b, const char *base, const char *name, int page_links)
{
	hp_puts(b, "<h2>");
	if (page_links) {
		hp_puts(b, "<a href=\"/");
		hp_escaped(b, name);
		hp_puts(b, "/" STORE_DOWNLOAD_PAGE "\">");
	}
	hp_escaped(b, name);
	hp_puts(b, page_links ? "</a></h2>\n<table>\n" : "</h2>\n<table>\n");
	for (size_t i = 0; i < sizeof(hp_urls) / sizeof(hp_urls[0]); i++) {
		hp_puts(b, "<tr><th>");
		hp_puts(b, hp_urls[i].who);
		hp_puts(b, "</th><td>");
		hp_url(b, base, name, hp_urls[i].suffix);
		hp_puts(b, "</td></tr>\n");
	}
	hp_puts(b, "</table>\n");
}

int
home_page_render(int root_fd, const char *host, int page_links, char **page, size_t *len)
{
	struct hp_channels ch = { .count = 0 };
	struct hp_buf b = { NULL, 0, 0 };
	char base[sizeof("http://") + HOME_PAGE_HOST_MAX];

	if (hp_list_channels(root_fd, &ch) == -1)
		return -1;
	if (home_page_host_valid(host))
		snprintf(base, sizeof(base), "http://%s", host);
	else
		base[0] = '\0';
	hp_puts(&b, HP_HEAD);
	if (ch.count == 0)
		hp_puts(&b, "<p>This store has no channel yet.</p>\n");
	for (size_t i = 0; i < ch.count; i++) {
		hp_channel(&b, base, ch.names[i], page_links);
		free(ch.names[i]);
	}
	if (ch.more)
		hp_puts(&b, "<p>More channels exist; only the first " HP_STR(HOME_PAGE_MAX_CHANNELS)
		    " found are listed.</p>\n");
	hp_puts(&b, HP_TAIL);
	*page = b.data;
	*len = b.len;
	return 0;
}
