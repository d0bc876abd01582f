#!/bin/bash
# storeimport publish holds the channel lock only to commit: while one
# publish has staged and validated its sources (stopped there by a test
# hook), another process takes the channel lock with flock -n, another
# publish of the channel completes, and a recovery leaves the live
# transaction alone; the stopped publish then commits and both builds stay
# in catalog.json.  A publish killed with SIGKILL while staged leaves a
# transaction the next recovery deletes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/importer_lib.sh"

command -v flock >/dev/null || skip_all "flock(1) not installed"
SRC="$WORK/src"
app_build "$SRC" 130001 demo
app_build "$SRC" 130002 other
app_build "$SRC" 130003 third
LOCK="$ROOT/release/.lock"

# stopped PID: the process stopped itself (state T).
stopped() { [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = T ]; }
# wait_stopped PID: up to 20 s.
wait_stopped() {
	for _i in $(seq 1 200); do stopped "$1" && return 0; sleep 0.1; done
	return 1
}
txns() { ls -A "$ROOT/.staging" 2>/dev/null | grep -c '^release+'; }

si --release 13r1 publish "$SRC/130003"
is "a first build published" "$RC" 0

STOREIMPORT_TEST_STOP_BEFORE_COMMIT=1 "$STOREIMPORT" -r "$ROOT" --release 13r1 \
    publish "$SRC/130001" >"$WORK/first.out" 2>&1 &
PID=$!
check "a publish stopped with its sources staged and validated" wait_stopped "$PID"
check "meanwhile another process takes the channel lock (flock -n)" \
    flock -n "$LOCK" true
OUT=$(timeout 60 "$STOREIMPORT" -r "$ROOT" --release 13r1 publish "$SRC/130002" 2>&1); RC=$?
is "meanwhile another publish of the channel completes" "$RC" 0
OUT=$(timeout 60 "$STOREIMPORT" -r "$ROOT" recover 2>&1); RC=$?
is "meanwhile a recovery runs" "$RC" 0
is "and leaves the live transaction alone" "$(txns)" 1
kill -CONT "$PID"
wait "$PID"
is "the stopped publish then commits" "$?" 0
is "both builds published" "$(cd "$ROOT/release/download" && ls -d 13000* | tr '\n' ' ')" \
    "130001 130002 130003 "
is "catalog.json keeps every build" \
    "$(json_get "$ROOT/release/catalog.json" "' '.join(sorted(d['builds']))")" \
    "130001 130002 130003"
is "no transaction left" "$(txns)" 0

app_build "$SRC" 130004 demo
STOREIMPORT_TEST_STOP_BEFORE_COMMIT=1 "$STOREIMPORT" -r "$ROOT" --release 13r1 \
    publish "$SRC/130004" >/dev/null 2>&1 &
PID=$!
check "a publish stopped with its sources staged" wait_stopped "$PID"
kill -KILL "$PID"
kill -CONT "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
is "killed (-9): its transaction stays" "$(txns)" 1
OUT=$(timeout 60 "$STOREIMPORT" -r "$ROOT" recover 2>&1); RC=$?
is "the next recovery deletes it" "$RC $(txns)" "0 0"
check "nothing of it published" test ! -e "$ROOT/release/download/130004"

done_testing
