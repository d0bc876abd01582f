#!/bin/bash
# storemirror sync killed with SIGKILL at random moments (as
# importer_sigkill.sh does for the importer).  The target holds the old
# state (the demo store mirrored); upstream then gains two builds with a few
# MB (the new state).  First the commit point, with the importer's test hook
# (STOREIMPORT_TEST_STOP_AT_COMMIT): killed there, nothing is visible, and
# `storeimport recover` or the next sync rolls the transaction forward.
# Then random kills: each round starts from a copy of the old target, runs
# sync and kills it after a random delay within its usual run time; then
#   - right after the kill, every visible path of the channel belongs to the
#     old or the new state (no partial file, no temporary name);
#   - after `storeimport recover` (what the next writer does first) the
#     channel is exactly the old or the new state: indexes and files agree;
#   - the next sync completes (exit 0) to the new state.
# Last, a kill in the middle of a 4 MB file: the next run resumes it, and
# storesrv (its access log) sends it only what the partial file lacks, at
# most one block more.
. "$(dirname "$0")/lib.sh"
UP="$WORK/up"
ROOT="$UP"	# importer_lib.sh publishes upstream
. "$(dirname "$0")/importer_lib.sh"
SM="$top_builddir/mirror/storemirror"
RUNS=${MIRROR_KILL_RUNS:-12}
[ -x "$SM" ] || skip_all "storemirror not built"
[ -x "$STORESRV" ] || skip_all "storesrv not built"
"$SM" sync --help >/dev/null 2>&1 || skip_all "storemirror sync is not available in this build"
command -v python3 >/dev/null || skip_all "python3 missing"
T="$WORK/target"

# state_of DIR: the channel of the target DIR (visible paths, sha256 of files).
state_of() { ROOT=$1 snapshot; }
# sync_to DIR: one sync of DIR from the upstream, bounded; sets RC.
# (rate-limited so that a run lasts long enough for kills to land inside).
RATE=${MIRROR_KILL_RATE:-30M}
sync_to() {
	timeout 120 "$SM" sync -q -r "$1" -u "$BASE/release/download" --rate-limit "$RATE" \
	    >"$WORK/sync.out" 2>&1
	RC=$?
}

make_demo_store "$UP" || { not_ok "demo store made"; done_testing; exit 1; }
ALOG="$WORK/access.log"
start_storesrv "$UP" --access-log "$ALOG" || { not_ok "storesrv started"; done_testing; exit 1; }

# The old state: the demo store mirrored.
mkdir -p "$WORK/old"
sync_to "$WORK/old"
is "old state mirrored" "$RC" 0
state_of "$WORK/old" >"$WORK/state.old"

# The new state: two more builds upstream, with a few MB each.
fw_build "$WORK/src" 140001 0099
head -c 4000000 /dev/urandom >"$WORK/src/140001/ip0099.bin"
head -c 2000000 /dev/urandom >"$WORK/src/140001/boot0099.bin"
app_build "$WORK/src" 140002 killdemo
head -c 3000000 /dev/urandom >"$WORK/src/140002/arm/killdemo/killdemo.bin"
si --release 14r1 publish "$WORK/src/140001"
is "upstream: 140001 published" "$RC" 0
si --release 14r1 publish "$WORK/src/140002"
is "upstream: 140002 published" "$RC" 0
sleep 1.1	# storesrv notices the new indexes

# The run time: the shorter of two runs (other load only slows one down).
dur=
for _ in 1 2; do
	rm -rf "$T"; cp -a "$WORK/old" "$T"
	t0=$(date +%s%N)
	sync_to "$T"
	d=$(( ($(date +%s%N) - t0) / 1000 ))
	[ -n "$dur" ] && [ "$dur" -le "$d" ] || dur=$d
done
is "new state mirrored" "$RC" 0
state_of "$T" >"$WORK/state.new"
check "old and new states differ" test "$(cat "$WORK/state.new")" != "$(cat "$WORK/state.old")"
check "the new state holds the new builds" grep -q '^./download/140002/arm/killdemo/killdemo.bin ' "$WORK/state.new"
diag "a sync from the old to the new state takes $dur us"

# The commit point, deterministically (the importer's test hook, which the
# import session's commit honours for storemirror too): killed right after
# the transaction's plan is written, nothing is visible yet; `storeimport
# recover` rolls it forward, and so does the next sync by itself.
# kill_at_commit: a fresh copy of the old target, sync killed by the hook;
# sets KILLED to its exit status.
kill_at_commit() {
	rm -rf "$T"; cp -a "$WORK/old" "$T"
	STOREIMPORT_TEST_STOP_AT_COMMIT=1 "$SM" sync -q -r "$T" -u "$BASE/release/download" \
	    >/dev/null 2>&1
	KILLED=$?
}
committed_txns() { find "$T/.staging" -maxdepth 2 -name plan 2>/dev/null | wc -l; }
kill_at_commit
is "commit point: sync killed by the hook" "$KILLED" 137
is "commit point: a committed transaction is left in staging" "$(committed_txns)" 1
is "commit point: nothing visible yet" "$(state_of "$T")" "$(cat "$WORK/state.old")"
"$STOREIMPORT" -r "$T" recover >/dev/null 2>&1
is "commit point: storeimport recover completes it to the new state" \
    "$?:$(committed_txns) $(state_of "$T")" "0:0 $(cat "$WORK/state.new")"
kill_at_commit
sync_to "$T"
is "commit point: the next sync completes it and ends in the new state" \
    "$RC:$(committed_txns) $(state_of "$T")" "0:0 $(cat "$WORK/state.new")"

seen_old=0; seen_new=0; finished=0; killed=0; bad=0; bad_before=0; final_bad=0; resumed=0
for i in $(seq 1 "$RUNS"); do
	rm -rf "$T"; cp -a "$WORK/old" "$T"
	delay=$(( RANDOM * RANDOM % (dur + 1) ))
	"$SM" sync -q -r "$T" -u "$BASE/release/download" --rate-limit "$RATE" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '%d.%06d' $((delay / 1000000)) $((delay % 1000000)))" 2>/dev/null || sleep 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	status=$?
	if [ "$status" = 137 ]; then killed=$((killed + 1)); fi
	# Right after the kill: only entries of the old or the new state.
	state_of "$T" >"$WORK/now"
	foreign=$(grep -vxF -f "$WORK/state.old" "$WORK/now" | grep -vxF -f "$WORK/state.new")
	if [ -n "$foreign" ]; then
		bad_before=$((bad_before + 1))
		diag "run $i (${delay}us): foreign entries right after the kill:"
		printf '%s\n' "$foreign" | head -5 | sed 's/^/#   /'
	fi
	# What the next writer does first: exactly old or new.
	"$STOREIMPORT" -r "$T" recover >/dev/null 2>&1
	state_of "$T" >"$WORK/now"
	leftovers=$(find "$T/release" -name '.*tmp*' 2>/dev/null)
	if cmp -s "$WORK/now" "$WORK/state.old" && [ -z "$leftovers" ]; then
		seen_old=$((seen_old + 1))
	elif cmp -s "$WORK/now" "$WORK/state.new" && [ -z "$leftovers" ]; then
		seen_new=$((seen_new + 1))
		[ "$status" = 0 ] && finished=$((finished + 1))
	else
		bad=$((bad + 1))
		diag "run $i (${delay}us): neither old nor new after recovery"
		diff "$WORK/state.new" "$WORK/now" | head -5 | sed 's/^/#   /'
		printf '%s\n' "$leftovers" | head -3 | sed 's/^/#   leftover: /'
	fi
	# The next sync completes to the new state.
	sync_to "$T"
	state_of "$T" >"$WORK/now"
	if [ "$RC" != 0 ] || ! cmp -s "$WORK/now" "$WORK/state.new"; then
		final_bad=$((final_bad + 1))
		diag "run $i (${delay}us): the sync after the kill ended with $RC, not in the new state"
		sed 's/^/#   /' "$WORK/sync.out" | head -5
		diff "$WORK/state.new" "$WORK/now" | head -5 | sed 's/^/#   /'
	fi
done
diag "$RUNS kills: $killed killed ($seen_old ended in the old state, $((seen_new - finished)) in the new one)," \
    "$finished runs had finished before the kill"
is "no partial or foreign entry visible right after a kill" "$bad_before" 0
is "old or new state after every kill and recovery" "$bad" 0
is "every run counted once" "$((seen_old + seen_new + bad))" "$RUNS"
check "kills landed while sync was running" test "$killed" -gt 0
check "kills landed before the publish (old state seen)" test "$seen_old" -gt 0
is "the sync after each kill completes to the new state" "$final_bad" 0

# A kill in the middle of the big file: the next run resumes it (the body
# bytes storesrv sends for it add up to the file, not twice).
rm -rf "$T"; cp -a "$WORK/old" "$T"
sleep 1.2	# storesrv writes its access log every second
mark=$(wc -l <"$ALOG")
"$SM" sync -q -r "$T" -u "$BASE/release/download" --rate-limit 2M >/dev/null 2>&1 &
pid=$!
i=0
while [ ! -s "$T/.mirror/release/files/140001/ip0099.bin" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.5
kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
part=$(stat -c %s "$T/.mirror/release/files/140001/ip0099.bin" 2>/dev/null || echo 0)
check "killed with a partial file kept for the next run ($part bytes)" test "$part" -gt 0 -a "$part" -lt 4000000
is "the channel is still the old state" "$(state_of "$T")" "$(cat "$WORK/state.old")"
sync_to "$T"
is "the next sync completes to the new state" "$RC $(state_of "$T")" "0 $(cat "$WORK/state.new")"
[ "$RC" = 0 ] || sed 's/^/# /' "$WORK/sync.out"
sleep 1.2
reqs=$(tail -n +$((mark + 1)) "$ALOG" | awk '$7 == "/release/download/140001/ip0099.bin" { print $9, $10 }')
# (the log's order is not the requests' order: the killed run's request may
# be logged after the next run's)
resumed=$(printf '%s\n' "$reqs" | awk '$1 == 206 { print $2 }')
diag "requests of the 4 MB file (status, bytes sent): $(printf '%s\n' "$reqs" | tr '\n' ',')"
is "the next run asked for the rest of the file once (one 206)" "$(printf '%s\n' "$resumed" | grep -c .)" 1
check "and received what the partial file lacked, at most one block more" \
    test "${resumed:-0}" -ge $((4000000 - part)) -a "${resumed:-0}" -le $((4000000 - part + 65536))

check "storesrv stops cleanly" stop_storesrv 10
done_testing
