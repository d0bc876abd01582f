#!/bin/bash
# litmus (Debian's 0.13, the WebDAV server test suite) against a channel's
# incoming/ on the real storesrv: every suite (basic, copymove, props, locks,
# http).  litmus can exit 0 with failures, so its summary lines
#   <- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%
# are parsed: one check per suite (all of its tests ran and passed; the
# names of the failing ones are shown otherwise) and one for the total,
# 104 of 104 (issue 9).  storesrv runs with a long --webdav-quiet so the
# incoming watcher leaves litmus's files alone.
. "$(dirname "$0")/lib.sh"

command -v litmus >/dev/null || skip_all "litmus not installed"
ROOT="$WORK/root"
USERS="$WORK/users"
make_demo_store "$ROOT" || { not_ok "demo store generated"; done_testing; exit 1; }
printf 'pw\npw\n' | "$STORESRV" passwd add litmus -f "$USERS" >/dev/null 2>&1
start_storesrv "$ROOT" --webdav-listen 127.0.0.1:0 --webdav-port-file "$WORK/dav-port" \
    --webdav-users "$USERS" --webdav-quiet 3600 ||
    { not_ok "storesrv started"; done_testing; exit 1; }
for _ in $(seq 50); do [ -s "$WORK/dav-port" ] && break; sleep 0.1; done
DAV="http://127.0.0.1:$(cat "$WORK/dav-port")"

# The suites and how many tests each has in litmus 0.13.
SUITES="basic:16 copymove:13 props:30 locks:41 http:4"
EXPECTED=104

# litmus writes debug.log and child.log in its working folder and takes
# the suites to run from $TESTS (automake's list of scripts under make
# check).  It stops at the first suite with a failure, so each suite runs
# on its own: each one's score is reported whatever the others do.  Its
# progress lines start with a carriage return: made lines of their own.
for _s in $SUITES; do
	_name=${_s%%:*}
	(cd "$WORK" && TESTS=$_name timeout 300 litmus "$DAV/release/incoming/" litmus pw) 2>&1 |
	    tr '\r' '\n' >>"$WORK/litmus.out"
done

# failures SUITE: the tests of SUITE that did not pass, with litmus's why.
failures() {
	sed -n "/^-> running \`$1':/,/^<- summary for \`$1'/p" "$WORK/litmus.out" |
	    grep -E '(FAIL|SKIPPED)' | sed -E 's/^ *[0-9]+\. ([A-Za-z0-9_]+)\.* */\1 /' | head -n 20
}

TOTAL_RUN=0
TOTAL_PASSED=0
for _s in $SUITES; do
	_name=${_s%%:*} _want=${_s##*:}
	_line=$(grep -E "^<- summary for \`$_name': of [0-9]+ tests run: [0-9]+ passed" \
	    "$WORK/litmus.out" | head -n 1)
	_run=$(printf '%s\n' "$_line" | sed -nE 's/.* of ([0-9]+) tests run.*/\1/p')
	_passed=$(printf '%s\n' "$_line" | sed -nE 's/.* ([0-9]+) passed.*/\1/p')
	TOTAL_RUN=$((TOTAL_RUN + ${_run:-0}))
	TOTAL_PASSED=$((TOTAL_PASSED + ${_passed:-0}))
	if [ -n "$_line" ] && [ "$_run" = "$_want" ] && [ "$_passed" = "$_want" ]; then
		ok "$_name: all $_want passed"
	else
		not_ok "$_name: all $_want passed"
		diag "${_line:-no summary for $_name (the suite did not run to its end)}"
		failures "$_name" | sed 's/^/#   /'
	fi
done
is "litmus: $EXPECTED of $EXPECTED passed" "$TOTAL_PASSED of $TOTAL_RUN" "$EXPECTED of $EXPECTED"

_st=0; stop_storesrv 10 || _st=$?
is "storesrv stops cleanly (no sanitizer report)" "$_st" 0
[ "$_st" = 0 ] || tail -n 30 "$WORK/storesrv.err" | sed 's/^/# /'
done_testing
