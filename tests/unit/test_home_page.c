/*
 * test_home_page: the store's front page (home_page.h): HTML escaping and
 * the Host check from tables, then pages rendered from real folders under
 * /tmp: which folders are channels, their order, absolute URLs or paths, and
 * the bound on the number of channels listed.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "home_page.h"

static const struct {
	const char *name;
	const char *in;
	const char *want;
} escape_cases[] = {
	{ "plain text unchanged", "release", "release" },
	{ "empty", "", "" },
	{ "markup", "<script>", "&lt;script&gt;" },
	{ "ampersand", "a&b", "a&amp;b" },
	{ "double quote", "a\"b", "a&quot;b" },
	{ "single quote", "a'b", "a&#39;b" },
	{ "all at once", "<a href='x'>&\"", "&lt;a href=&#39;x&#39;&gt;&amp;&quot;" },
	{ "UTF-8 kept", "caf\xc3\xa9", "caf\xc3\xa9" },
};

static const struct {
	const char *name;
	const char *host;
	int want;
} host_cases[] = {
	{ "name", "store.example.com", 1 },
	{ "name and port", "store.example.com:8080", 1 },
	{ "IPv4 and port", "127.0.0.1:8080", 1 },
	{ "IPv6 literal and port", "[::1]:8080", 1 },
	{ "NULL (no Host)", NULL, 0 },
	{ "empty", "", 0 },
	{ "markup", "<b>x", 0 },
	{ "quote", "x\"y", 0 },
	{ "apostrophe and ampersand", "x'&y", 0 },
	{ "userinfo", "user@host", 0 },
	{ "path", "host/path", 0 },
	{ "space", "a b", 0 },
	{ "percent", "a%2fb", 0 },
};

static char root[] = "/tmp/test_home_page.XXXXXX";

static void
make_dir(const char *rel)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkdir(path, 0755);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static size_t
count_of(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static char *
render(int rootfd, const char *host, int links)
{
	char *page = NULL;
	size_t len = 0;

	if (home_page_render(rootfd, host, links, &page, &len) == -1)
		return NULL;
	tap_ok(strlen(page) == len, "rendered length is the page's (%zu)", len);
	return page;
}

static void
test_channels(int rootfd)
{
	char path[600], *page;

	make_dir("release");
	make_dir("release/download");
	make_dir("beta");
	make_dir("beta/download");
	make_dir("empty");			/* no download/: not a channel */
	make_dir("<script>");			/* not a channel name */
	make_dir("<script>/download");
	make_dir(".staging");
	make_dir(".staging/download");
	make_dir("linked");
	snprintf(path, sizeof(path), "%s/linked/download", root);
	symlink("../release/download", path);	/* symlinked download/: not served */
	snprintf(path, sizeof(path), "%s/alias", root);
	symlink("release", path);		/* symlinked channel: not served */

	page = render(rootfd, "store.example:8080", 1);
	tap_ok(page != NULL, "a page for a store");
	if (page == NULL)
		return;
	tap_ok(strstr(page, "<a href=\"/release/download.htm\">release</a>") != NULL,
	    "release listed with its page");
	tap_ok(strstr(page, "<code>http://store.example:8080/release/download/apps.json</code>") != NULL,
	    "absolute URL of apps.json from the Host");
	tap_ok(strstr(page, ">beta<") != NULL && strstr(page, ">beta<") < strstr(page, ">release<"),
	    "channels in name order");
	tap_ok(strstr(page, "empty") == NULL, "a folder without download/ is not listed");
	tap_ok(strstr(page, "script") == NULL, "a folder not named like a channel is not listed");
	tap_ok(strstr(page, "staging") == NULL, "hidden folders are not listed");
	tap_ok(strstr(page, "linked") == NULL && strstr(page, "alias") == NULL,
	    "symlinked channels and download/ folders are not listed");
	tap_ok(strstr(page, "src=") == NULL && strstr(page, "<script") == NULL,
	    "self-contained: no script, no external resource");
	free(page);

	page = render(rootfd, "<b>", 0);
	tap_ok(page != NULL && strstr(page, "<code>/beta/download/apps.json</code>") != NULL &&
	    strstr(page, "<b>") == NULL, "an unusable Host: paths, and the Host not shown");
	tap_ok(page != NULL && strstr(page, "download.htm") == NULL, "no page links without www");
	free(page);
}

static void
test_bound(void)
{
	char dir[] = "/tmp/test_home_page_many.XXXXXX", path[600], *page;
	int fd;

	if (mkdtemp(dir) == NULL || (fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		tap_ok(0, "mkdtemp");
		return;
	}
	for (int i = 0; i < HOME_PAGE_MAX_CHANNELS + 10; i++) {
		snprintf(path, sizeof(path), "%s/ch%03d", dir, i);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/ch%03d/download", dir, i);
		mkdir(path, 0755);
	}
	page = render(fd, NULL, 1);
	tap_ok(page != NULL && count_of(page, "<h2>") == HOME_PAGE_MAX_CHANNELS,
	    "at most %d channels listed", HOME_PAGE_MAX_CHANNELS);
	tap_ok(page != NULL && strstr(page, "More channels exist") != NULL,
	    "the page says that more exist");
	free(page);
	close(fd);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	int rootfd;
	char *page;

	for (size_t i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]); i++) {
		char *got = home_page_escape(escape_cases[i].in);

		tap_str_eq(got, escape_cases[i].want, escape_cases[i].name);
		free(got);
	}
	for (size_t i = 0; i < sizeof(host_cases) / sizeof(host_cases[0]); i++)
		tap_ok(home_page_host_valid(host_cases[i].host) == host_cases[i].want,
		    "host: %s", host_cases[i].name);
	if (mkdtemp(root) == NULL || (rootfd = open(root, O_RDONLY | O_DIRECTORY)) == -1) {
		tap_ok(0, "mkdtemp");
		return tap_done();
	}
	page = render(rootfd, NULL, 1);
	tap_ok(page != NULL && strstr(page, "no channel yet") != NULL, "an empty store says so");
	free(page);
	test_channels(rootfd);
	close(rootfd);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	test_bound();
	return tap_done();
}
