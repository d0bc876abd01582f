/*
 * report: the result of one storeimport run, printed for people (problems,
 * one line each, then a summary) or as one JSON object (--json):
 *
 *   {"command":"publish","status":"ok"|"invalid"|"usage"|"io","exit":0,
 *    "error":"...", "errors":0,"warnings":1,
 *    "problems":[{"severity":"warning","where":"130001/x","message":"..."}],
 *    "published":[{"path":"130001","kind":"build","files":3,"bytes":1234}],
 *    "removed":["120001"], "verified":{"files":10,"bad":0}}
 *
 * A failure always names its cause: errors in the problems, or "error".
 * Usage errors have "command": null when no command was recognised.
 *
 * Progress of copying (publish) goes to a stream of its own, stderr (main.c
 * chooses): JSON lines {"progress": {"files":n,"bytes":b,"total_bytes":t}}
 * with --json, at most four a second, one at the start and one at the end;
 * or one line updated in place on a terminal (files, bytes, rate, time
 * left), cleared at the end.
 */
#ifndef STORESRV_REPORT_H
#define STORESRV_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "diag.h"

struct report {
	char *command;
	struct diag *diag;	/* owned */
	json_t *published;	/* array */
	json_t *removed;	/* array of strings */
	json_t *extra;		/* object merged into the JSON report */
	char *error;		/* the fatal error, or NULL */
	struct report_progress *progress;	/* owned; NULL: none shown */
};

enum report_progress_mode {
	REPORT_PROGRESS_NONE,
	REPORT_PROGRESS_TTY,	/* one line updated in place (a terminal) */
	REPORT_PROGRESS_JSON	/* JSON lines */
};

/* command NULL: a usage error before a command was recognised. */
struct report *report_create(const char *command);
void report_free(struct report *r);
void report_published(struct report *r, const char *path, const char *what,
    uint64_t files, uint64_t bytes);
void report_removed(struct report *r, const char *path);
/* Records the fatal error message (copied). */
void report_error(struct report *r, const char *msg);
/* Chooses how copying progress is shown, and where (stderr). */
void report_progress_mode(struct report *r, enum report_progress_mode mode, FILE *out);
/* Starts showing the progress of copying total_bytes. */
void report_progress_begin(struct report *r, uint64_t total_bytes);
/* A copy_progress_fn (copy_hash.h); arg is the struct report. */
void report_progress_copied(void *arg, uint64_t bytes, int file_done);
/* The mirror's progress (storemirror): the terminal line starts with
 * `label` ("fetching") and shows files done of files_total, and the JSON
 * lines carry "files_total", "rate" (bytes per second) and "eta" (seconds;
 * null when the total is unknown) besides the copy's members.  Call after
 * report_progress_mode(); the counts then come from report_progress_set(). */
void report_progress_transfer(struct report *r, const char *label);
/* Sets the counts (totals so far, not increments; 0 totals: unknown) and
 * draws at most four times a second. */
void report_progress_set(struct report *r, uint64_t files, uint64_t files_total,
    uint64_t bytes, uint64_t total_bytes);
/* "1023 B", "12.3 MiB": a byte count for people (progress, summaries). */
void report_format_bytes(char *buf, size_t len, double v);
/* Shows the final state and clears the terminal line; a no-op when no
 * progress is shown or it has ended. */
void report_progress_end(struct report *r);
/* Prints the report and returns `status` (enum imp_exit).  A failure
 * without a recorded cause is reported as an internal error. */
int report_print(const struct report *r, int json, int status, FILE *out);

#endif
