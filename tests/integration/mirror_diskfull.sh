#!/bin/bash
# storemirror sync into a target root on a full disk: a 12 MB tmpfs holding
# the mirrored demo store and a ballast file that leaves about 2 MB free,
# while upstream gains a build of 6 MB.  The sync fails cleanly: exit 3
# (I/O error) naming the lack of space, the published channel unchanged,
# no temporary file in the served tree, the staging area empty.  With the
# ballast removed the next run completes and publishes the build.
# Skipped when the test may not mount a tmpfs (it needs root).
. "$(dirname "$0")/lib.sh"
UP="$WORK/up"
ROOT="$UP"	# importer_lib.sh publishes upstream
. "$(dirname "$0")/importer_lib.sh"
SM="$top_builddir/mirror/storemirror"
[ -x "$SM" ] || skip_all "storemirror not built"
[ -x "$STORESRV" ] || skip_all "storesrv not built"
"$SM" sync --help >/dev/null 2>&1 || skip_all "storemirror sync is not available in this build"
SMALL="$WORK/small"
mkdir -p "$SMALL"
mount -t tmpfs -o size=12m tmpfs "$SMALL" 2>/dev/null || skip_all "cannot mount a 12 MB tmpfs (needs root)"
trap 'umount "$SMALL" 2>/dev/null; cleanup' EXIT
T="$SMALL/root"
mkdir -p "$T"

# sm: one sync of the target, bounded; $RC, $ERR.
sm() {
	timeout 120 "$SM" sync -r "$T" -u "$BASE/release/download" "$@" >"$WORK/sm.out" 2>"$WORK/sm.err"
	RC=$?
	ERR=$(cat "$WORK/sm.out" "$WORK/sm.err")
}
state() { ROOT=$T snapshot; ls -A "$T"; }
avail() { df -B1 --output=avail "$SMALL" | tail -n 1 | tr -d ' '; }
# temporaries: hidden names in the served channel but its lock, and the
# staging area's content (transactions left behind).
temporaries() {
	find "$T/release" -name '.*' ! -path "$T/release/.lock" 2>/dev/null
	ls -A "$T/.staging" 2>/dev/null
}

make_demo_store "$UP" || { not_ok "demo store made"; done_testing; exit 1; }
start_storesrv "$UP" || { not_ok "storesrv started"; done_testing; exit 1; }
sm
is "the demo store mirrored onto the tmpfs" "$RC" 0
before=$(state)

# Upstream: a build of 6 MB; the tmpfs keeps about 2 MB free.
fw_build "$WORK/src" 140001 0099
head -c 3000000 /dev/urandom >"$WORK/src/140001/ip0099.bin"
head -c 3000000 /dev/urandom >"$WORK/src/140001/boot0099.bin"
si --release 14r1 publish "$WORK/src/140001"
is "upstream: 140001 (6 MB) published" "$RC" 0
sleep 1.1	# storesrv notices the new indexes
head -c $(( $(avail) - 2000000 )) /dev/zero >"$SMALL/ballast"
free=$(avail)
check "about 2 MB left free on the tmpfs ($free bytes)" test "$free" -lt 3000000

sm
is "disk full: exit 3 (I/O error)" "$RC" 3
like "disk full: the error says the space ran out" "$ERR" "No space left|not enough free space"
diag "$(printf '%s\n' "$ERR" | grep -m1 -E 'No space|free space')"
is "disk full: the published channel is unchanged" "$(state)" "$before"
check "disk full: 140001 not published" test ! -e "$T/release/download/140001"
is "disk full: no temporary file in the served tree, staging empty" "$(temporaries)" ""
"$STOREIMPORT" -r "$T" verify >"$WORK/verify.out" 2>&1
is "disk full: storeimport verify passes" "$?" 0

rm -f "$SMALL/ballast"
sm
is "space freed: the next run completes" "$RC" 0
check "space freed: 140001 published" cmp -s "$T/release/download/140001/boot0099.bin" \
    "$UP/release/download/140001/boot0099.bin"
is "space freed: no temporary file, staging empty" "$(temporaries)" ""

check "storesrv stops cleanly" stop_storesrv 10
umount "$SMALL"
done_testing
