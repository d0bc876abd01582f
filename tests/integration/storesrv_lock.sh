#!/bin/bash
# Rescans never hold up serving or the signals: with a channel locked by a
# writer (an import running), storesrv answers at once after start and after
# SIGHUP, skips the locked channel with a log line, rescans the others, and
# stops promptly on SIGTERM.  A rescan stuck on the disk (stood in for by
# the test hook STORESRV_TEST_RESCAN_STALL_MS, rescan.c) does not hold them
# up either.
. "$(dirname "$0")/lib.sh"

command -v flock >/dev/null || skip_all "flock(1) not installed"

ROOT="$WORK/root"
mkdir -p "$ROOT/release/download" "$ROOT/stable/download"
echo '{"apps":[]}' >"$ROOT/release/download/apps.json"
echo '{}' >"$ROOT/release/catalog.json"
echo '{}' >"$ROOT/stable/catalog.json"
LOCK="$ROOT/release/.lock"
HOLDER=

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# first_answer_ms URL: milliseconds until URL answers 200 (5 s at most).
first_answer_ms() {
	_t0=$(now_ms)
	_status=$(status_of "$1" --max-time 5)
	_t1=$(now_ms)
	[ "$_status" = 200 ] && echo $((_t1 - _t0)) || echo 99999
}

# fast NAME MS LIMIT: ok when MS <= LIMIT.
fast() {
	if [ "$2" -le "$3" ]; then ok "$1 (${2} ms)"; else not_ok "$1 (${2} ms, limit $3 ms)"; fi
}

# stops_at_once NAME: SIGTERM makes storesrv exit with status 0 within 2 s.
stops_at_once() {
	_t0=$(now_ms)
	stop_storesrv 5
	_rc=$?
	_ms=$(( $(now_ms) - _t0 ))
	if [ "$_rc" -eq 0 ] && [ "$_ms" -le 2000 ]; then ok "$1 ($_ms ms)"
	else not_ok "$1 (exit $_rc after $_ms ms)"; fi
}

# wait_for COMMAND...: retries for up to 3 s.
wait_for() {
	for _i in $(seq 1 30); do "$@" && return 0; sleep 0.1; done
	"$@"
}

# skipped_at_least N: the log says N times that the locked channel was skipped.
skipped_at_least() {
	[ "$(grep -c 'release: skipped: .*/release/.lock is held by another writer' "$WORK/storesrv.err")" -ge "$1" ]
}

release_lock() {
	[ -n "$HOLDER" ] || return 0
	_child=$(pgrep -P "$HOLDER")
	[ -n "$_child" ] && kill "$_child" 2>/dev/null
	kill "$HOLDER" 2>/dev/null
	wait "$HOLDER" 2>/dev/null
	HOLDER=
}
trap 'release_lock; cleanup' INT TERM

# An import holds the release channel's lock.
flock "$LOCK" sleep 30 >/dev/null 2>&1 &
HOLDER=$!
if ! wait_for sh -c "! flock -n '$LOCK' true"; then
	echo "Bail out! cannot hold $LOCK with flock(1)"
	release_lock; cleanup; exit 1
fi

t0=$(now_ms)
start_storesrv "$ROOT" --threads 1
first_answer_ms "$BASE/release/download/apps.json" >/dev/null
fast "start with a locked channel: the first answer comes at once" $(( $(now_ms) - t0 )) 1500
wait_for skipped_at_least 1 && test ! -e "$ROOT/release/download/firmware.json" &&
    ok "the locked channel is skipped with a log line naming its lock" ||
    not_ok "the locked channel is skipped with a log line naming its lock"
check "the channel after it is rescanned (stable's firmware.json written)" \
    wait_for test -s "$ROOT/stable/download/firmware.json"

kill -HUP "$SRV_PID"
sleep 0.2
fast "SIGHUP with a locked channel: still answers at once" \
    "$(first_answer_ms "$BASE/release/download/apps.json")" 1000
check "SIGHUP: the locked channel is skipped again" wait_for skipped_at_least 2

stops_at_once "SIGTERM with a locked channel: exit 0 at once"
release_lock

# A rescan stuck on the disk (for 30 s).
t0=$(now_ms)
STORESRV_TEST_RESCAN_STALL_MS=30000 start_storesrv "$ROOT" --threads 1
first_answer_ms "$BASE/release/download/apps.json" >/dev/null
fast "stuck rescan: the first answer comes at once" $(( $(now_ms) - t0 )) 1500
kill -HUP "$SRV_PID"
sleep 0.2
fast "stuck rescan: SIGHUP still answers at once" \
    "$(first_answer_ms "$BASE/release/download/apps.json")" 1000
stops_at_once "stuck rescan: SIGTERM, exit 0 at once"
grep -q 'rescan still running' "$WORK/storesrv.err" &&
    ok "stuck rescan: the shutdown says it did not wait for the rescan" ||
    not_ok "stuck rescan: the shutdown says it did not wait for the rescan"

done_testing
