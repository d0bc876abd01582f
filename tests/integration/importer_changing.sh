#!/bin/bash
# storeimport: a source file that changes while it is copied is refused
# (never published torn), naming the file.  A writer process keeps changing
# a 64 MiB (sparse) source for the whole run, so the copy, which takes far
# longer than the file system's time stamp granularity and than one turn
# of the writer's loop, always sees it (the file is never left alone at a
# size small enough to be copied between two turns).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/importer_lib.sh"
DL="$ROOT/release/download"
S="$WORK/src"
WRITER=

stop_writer() {
	[ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null && wait "$WRITER" 2>/dev/null
	WRITER=
}
trap 'stop_writer; cleanup' EXIT

# changing NAME BUILD LOOP-BODY: publishes BUILD while a loop runs
# LOOP-BODY on its ip<model>.bin ($F); it must be refused.
changing() {
	_name=$1; _b=$2; _body=$3
	fw_build "$S" "$_b" 0080
	F="$S/$_b/ip0080.bin"
	truncate -s 64M "$F"
	( export F; while :; do eval "$_body"; done ) &
	WRITER=$!
	sleep 0.2
	si --release 13r1 publish "$S/$_b"
	stop_writer
	if [ "$RC" = 1 ] && printf '%s\n' "$OUT" |
	    grep -Eq "^error: [^ ]*$_b/ip0080\.bin: changed while being copied" &&
	    [ ! -e "$DL/$_b" ] && [ -z "$(ls -A "$ROOT/.staging" 2>/dev/null)" ]; then
		ok "$_name"
	else
		not_ok "$_name"; diag "exit $RC, want 1 and the file named"
		printf '%s\n' "$OUT" | sed 's/^/# /'
	fi
}

changing "source appended to during the copy: refused" 130080 'printf x >>"$F"'
changing "source rewritten in place (same size) during the copy: refused" 130081 \
    'printf y 1<>"$F"'
changing "source truncated and regrown during the copy: refused" 130082 \
    'truncate -s 48M "$F"; truncate -s 64M "$F"'

# An archive appended to while it is extracted.
fw_build "$S/tarred" 130083 0080
truncate -s 64M "$S/tarred/130083/ip0080.bin"
tar -C "$S/tarred" -cf "$S/130083.tar" 130083
( while :; do printf x >>"$S/130083.tar"; done ) &
WRITER=$!
sleep 0.2
si --release 13r1 publish "$S/130083.tar"
stop_writer
is "archive appended to during the extraction: refused" "$RC" 1
like "archive appended to: the archive named" "$OUT" \
    "^error: [^ ]*130083\.tar: changed while being extracted"
check "archive appended to: nothing published" test ! -e "$DL/130083"

# The same file, left alone, is published.
si --release 13r1 publish "$S/130080"
is "a stable source is published" "$RC" 0
check "its copy is whole" cmp "$S/130080/ip0080.bin" "$DL/130080/ip0080.bin"

done_testing
