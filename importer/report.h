/*
 * report: the result of one storeimport run, printed for people (problems,
 * one line each, then a summary) or as one JSON object (--json):
 *
 *   {"command":"publish","status":"ok"|"invalid"|"usage"|"io","exit":0,
 *    "error":"...", "errors":0,"warnings":1,
 *    "problems":[{"severity":"warning","where":"130001/x","message":"..."}],
 *    "published":[{"path":"130001","kind":"build","files":3,"bytes":1234}],
 *    "removed":["120001"], "verified":{"files":10,"bad":0}}
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
};

struct report *report_create(const char *command);
void report_free(struct report *r);
void report_published(struct report *r, const char *path, const char *what,
    uint64_t files, uint64_t bytes);
void report_removed(struct report *r, const char *path);
/* Records the fatal error message (copied). */
void report_error(struct report *r, const char *msg);
/* Prints the report and returns `status` (enum imp_exit). */
int report_print(const struct report *r, int json, int status, FILE *out);

#endif
