/*
 * storemirror export: writes an air-gap bundle of one local channel
 * (bundle_export.h) and says what it holds, as text or one JSON object.
 */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "bundle_export.h"
#include "importer.h"
#include "mirror_cmd.h"
#include "store_layout.h"

static void
export_print_text(const struct mirror_settings *s, const char *channel,
    const struct bundle_export_result *res, const struct diag *d, const char *err, int status)
{
	for (size_t i = 0; i < d->count; i++)
		fprintf(stderr, "%s: %s: %s\n", d->entries[i].severity == DIAG_ERROR ?
		    "error" : "warning", d->entries[i].where, d->entries[i].message);
	if (err != NULL)
		fprintf(stderr, "error: %s\n", err);
	if (status != IMP_EXIT_OK) {
		if (!res->written)
			fprintf(stderr, "storemirror: export of %s refused; no bundle written\n",
			    channel);
		else if (s->state_out != NULL)	/* the state fails after the bundle */
			fprintf(stderr, "storemirror: %s was written, but not the state file "
			    "%s: the next --since of the old state exports its folders again\n",
			    s->output, s->state_out);
		else
			fprintf(stderr, "storemirror: %s was written; the error came after it\n",
			    s->output);
		return;
	}
	printf("%s: channel %s, %zu folders (builds, platform versions), %zu files, "
	    "%llu bytes%s\n", s->output, channel, res->units, res->files,
	    (unsigned long long)res->bytes, res->is_signed ? ", signed" : "");
	if (s->since != NULL)
		printf("%zu folders left out, exported before (%s)\n", res->unchanged, s->since);
	if (s->state_out != NULL)
		printf("state for the next --since: %s\n", s->state_out);
}

static void
export_print_json(const struct mirror_settings *s, const char *channel,
    const struct bundle_export_result *res, const struct diag *d, const char *err, int status)
{
	json_t *errors = json_array(), *warnings = json_array(), *root;

	for (size_t i = 0; i < d->count; i++)
		json_array_append_new(d->entries[i].severity == DIAG_ERROR ? errors : warnings,
		    json_pack("{s:s, s:s}", "where", d->entries[i].where, "message",
		    d->entries[i].message));
	if (err != NULL)
		json_array_append_new(errors, json_pack("{s:s}", "message", err));
	root = json_pack("{s:s, s:i, s:s, s:s?, s:b, s:I, s:I, s:I, s:I, s:o, s:o}",
	    "command", "export", "status", status, "channel", channel,
	    "output", res->written ? s->output : NULL, "signed", res->is_signed,
	    "folders", (json_int_t)res->units, "unchanged", (json_int_t)res->unchanged,
	    "files", (json_int_t)res->files, "bytes", (json_int_t)res->bytes,
	    "errors", errors, "warnings", warnings);
	json_dumpf(root, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(root);
}

/* The signal that stops the export (it then leaves no temporary file and
 * dies of that signal). */
static volatile sig_atomic_t export_stop;

static void
export_on_signal(int sig)
{
	export_stop = sig;
}

static void
export_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = export_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The one channel exported; NULL (usage) when several are given. */
static const char *
export_channel(const struct mirror_settings *s)
{
	if (s->channels == NULL)
		return STORE_DEFAULT_CHANNEL;
	if (strchr(s->channels, ',') != NULL || !store_channel_name_valid(s->channels))
		return NULL;
	return s->channels;
}

int
mirror_cmd_export(const struct mirror_settings *s)
{
	struct mirror_selection sel = { s->kind_mask, s->ids, s->devices, s->min_release,
	    s->archs };
	struct bundle_export_opts o = { s->root, export_channel(s), &sel, s->output, s->since,
	    s->state_out, s->sign_key, &export_stop };
	struct bundle_export_result res;
	struct diag *d;
	struct errbuf err;
	int rc, status;

	if (o.channel == NULL || s->root == NULL || s->output == NULL) {
		fprintf(stderr, "storemirror: export: %s\n", o.channel == NULL ?
		    "--channels: export takes one channel" : "--root and --output are required");
		return IMP_EXIT_USAGE;
	}
	d = diag_create();
	err.msg[0] = '\0';
	export_catch_signals();
	/* Published names are UTF-8: libarchive writes them as they are only
	 * in a UTF-8 locale, which cron's C locale is not. */
	setlocale(LC_CTYPE, "C.UTF-8");
	rc = bundle_export(&o, &res, d, &err);
	status = rc == 0 ? IMP_EXIT_OK : rc == 1 ? IMP_EXIT_INVALID : IMP_EXIT_IO;
	if (s->json)
		export_print_json(s, o.channel, &res, d, rc == -1 ? err.msg : NULL, status);
	else
		export_print_text(s, o.channel, &res, d, rc == -1 ? err.msg : NULL, status);
	diag_free(d);
	if (export_stop != 0) {
		signal(export_stop, SIG_DFL);
		raise(export_stop);
	}
	return status;
}
