/*
 * descriptor: parse and check build.json; see descriptor.h.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "descriptor.h"
#include "fs_open.h"
#include "store_layout.h"
#include "xmalloc.h"

const char *const descriptor_platform_slots[PLATFORM_SLOTS] = {
	"file", "update", "zip", "zip2"
};

static const struct {
	const char *name;
	enum item_kind kind;
} kind_table[] = {
	{ "app", ITEM_APP },
	{ "firmware", ITEM_FIRMWARE },
	{ "software", ITEM_SOFTWARE },
	{ "app-platform", ITEM_PLATFORM },
	{ "phone-platform", ITEM_PHONEPLATFORM },
	{ "platform", ITEM_PLATFORM },
	{ "phoneplatform", ITEM_PHONEPLATFORM },
};

int
descriptor_kind_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(kind_table) / sizeof(kind_table[0]); i++) {
		if (strcmp(name, kind_table[i].name) == 0)
			return (int)kind_table[i].kind;
	}
	return KIND_NONE;
}

const char *
descriptor_kind_name(int kind)
{
	for (size_t i = 0; i < sizeof(kind_table) / sizeof(kind_table[0]); i++) {
		if ((int)kind_table[i].kind == kind)
			return kind_table[i].name;
	}
	return "none";
}

/* 1..max characters, each alphanumeric or in `extra`, first alphanumeric. */
static int
descriptor_word_valid(const char *s, size_t max, const char *extra)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9');

		if (!alnum && (i == 0 || strchr(extra, s[i]) == NULL))
			return 0;
	}
	return 1;
}

int
descriptor_release_valid(const char *s)
{
	return store_release_id_valid(s);
}

int
descriptor_label_valid(const char *s)
{
	return s != NULL && descriptor_word_valid(s, 32, "._-");
}

int
descriptor_wiki_valid(const char *s)
{
	size_t len;

	if (s == NULL)
		return 0;
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return 0;
	len = strlen(s);
	if (len > 2048 || len <= 8)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>')
			return 0;
	}
	return 1;
}

/* A file name inside a platform version folder. */
static int
descriptor_file_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 255 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			return 0;
	}
	return 1;
}

static int
descriptor_string(json_t *v, const char *member, int (*valid)(const char *),
    char **out, struct errbuf *err)
{
	if (!json_is_string(v))
		return errbuf_set(err, "%s: not a string", member);
	if (valid != NULL && !valid(json_string_value(v)))
		return errbuf_set(err, "%s: invalid value \"%.64s\"", member, json_string_value(v));
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int
descriptor_kind(json_t *v, struct descriptor *out, struct errbuf *err)
{
	if (!json_is_string(v))
		return errbuf_set(err, "kind: not a string");
	out->kind = descriptor_kind_from_name(json_string_value(v));
	if (out->kind == KIND_NONE)
		return errbuf_set(err, "kind: unknown kind \"%.32s\" (app, firmware, software, "
		    "app-platform, phone-platform)", json_string_value(v));
	return 0;
}

static int
descriptor_items(json_t *v, struct descriptor *out, struct errbuf *err)
{
	const char *id;
	json_t *item;

	if (!json_is_object(v))
		return errbuf_set(err, "items: not an object");
	json_object_foreach(v, id, item) {
		if (!store_item_id_valid(id))
			return errbuf_set(err, "items: invalid item id \"%.64s\"", id);
		if (!json_is_object(item))
			return errbuf_set(err, "items.%s: not an object", id);
	}
	out->items = json_incref(v);
	return 0;
}

static int
descriptor_devices(json_t *v, struct descriptor *out, struct errbuf *err)
{
	size_t i;
	json_t *dev;

	if (!json_is_array(v))
		return errbuf_set(err, "platform.devices: not an array");
	json_array_foreach(v, i, dev) {
		if (!json_is_string(dev) || !descriptor_word_valid(json_string_value(dev), 64, "._-"))
			return errbuf_set(err, "platform.devices[%zu]: not a device name", i);
	}
	out->platform_devices = json_incref(v);
	return 0;
}

static int
descriptor_platform_files(json_t *v, struct descriptor *out, struct errbuf *err)
{
	const char *key;
	json_t *f;
	size_t slot;

	if (!json_is_object(v))
		return errbuf_set(err, "platform.files: not an object");
	json_object_foreach(v, key, f) {
		for (slot = 0; slot < PLATFORM_SLOTS; slot++)
			if (strcmp(key, descriptor_platform_slots[slot]) == 0)
				break;
		if (slot == PLATFORM_SLOTS)
			return errbuf_set(err, "platform.files.%.32s: unknown slot "
			    "(file, update, zip, zip2)", key);
		if (!json_is_string(f) || !descriptor_file_name_valid(json_string_value(f)))
			return errbuf_set(err, "platform.files.%s: not a plain file name", key);
		out->platform_files[slot] = xstrdup(json_string_value(f));
	}
	return 0;
}

static int
descriptor_platform(json_t *v, struct descriptor *out, struct errbuf *err)
{
	const char *key;
	json_t *m;

	if (!json_is_object(v))
		return errbuf_set(err, "platform: not an object");
	json_object_foreach(v, key, m) {
		if (strcmp(key, "id") == 0) {
			if (descriptor_string(m, "platform.id", store_item_id_valid,
			    &out->platform_id, err) == -1)
				return -1;
		} else if (strcmp(key, "text") == 0) {
			if (descriptor_string(m, "platform.text", NULL, &out->platform_text, err) == -1)
				return -1;
		} else if (strcmp(key, "devices") == 0) {
			if (descriptor_devices(m, out, err) == -1)
				return -1;
		} else if (strcmp(key, "files") == 0) {
			if (descriptor_platform_files(m, out, err) == -1)
				return -1;
		} else
			return errbuf_set(err, "platform.%.32s: unknown member", key);
	}
	return 0;
}

static int
descriptor_member(const char *key, json_t *v, struct descriptor *out, struct errbuf *err)
{
	if (strcmp(key, "release") == 0)
		return descriptor_string(v, key, descriptor_release_valid, &out->release, err);
	if (strcmp(key, "label") == 0)
		return descriptor_string(v, key, descriptor_label_valid, &out->label, err);
	if (strcmp(key, "wiki") == 0)
		return descriptor_string(v, key, descriptor_wiki_valid, &out->wiki, err);
	if (strcmp(key, "kind") == 0)
		return descriptor_kind(v, out, err);
	if (strcmp(key, "items") == 0)
		return descriptor_items(v, out, err);
	if (strcmp(key, "platform") == 0)
		return descriptor_platform(v, out, err);
	return errbuf_set(err, "%.32s: unknown member", key);
}

int
descriptor_parse(const char *text, size_t len, struct descriptor *out, struct errbuf *err)
{
	json_error_t jerr;
	json_t *root;
	const char *key;
	json_t *v;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->kind = KIND_NONE;
	if (len > DESCRIPTOR_MAX_BYTES)
		return errbuf_set(err, "longer than %d bytes", DESCRIPTOR_MAX_BYTES);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return errbuf_set(err, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
	if (!json_is_object(root)) {
		errbuf_set(err, "not a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (descriptor_member(key, v, out, err) == -1)
			goto out;
	}
	if (out->platform_id != NULL && out->kind != KIND_NONE &&
	    out->kind != ITEM_PLATFORM && out->kind != ITEM_PHONEPLATFORM) {
		errbuf_set(err, "platform: given for kind %s", descriptor_kind_name(out->kind));
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc == -1)
		descriptor_free(out);
	return rc;
}

int
descriptor_read(int dirfd, const char *path, struct descriptor *out, struct errbuf *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->kind = KIND_NONE;
	if (fs_read_at(dirfd, path, O_NOFOLLOW, DESCRIPTOR_MAX_BYTES, &buf, &len, err) == 0)
		rc = descriptor_parse(buf, len, out, err);
	if (rc == -1)
		errbuf_prefix(err, "%s", path);
	free(buf);
	return rc;
}

void
descriptor_free(struct descriptor *d)
{
	if (d == NULL)
		return;
	free(d->release);
	free(d->label);
	free(d->wiki);
	json_decref(d->items);
	free(d->platform_id);
	free(d->platform_text);
	json_decref(d->platform_devices);
	for (size_t i = 0; i < PLATFORM_SLOTS; i++)
		free(d->platform_files[i]);
	memset(d, 0, sizeof(*d));
	d->kind = KIND_NONE;
}
