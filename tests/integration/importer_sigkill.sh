#!/bin/bash
# storeimport killed with SIGKILL: first exactly at the commit point (the
# test hook STOREIMPORT_TEST_STOP_AT_COMMIT of importer/publish.c), where
# `storeimport recover` and the next publish must roll the transaction
# forward; then at random moments, many times: after each kill the channel
# shows no partial file and no visible leftover, and after the next run
# (which recovers) it is exactly the old or the new state.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/importer_lib.sh"
RUNS=${IMPORTER_SIGKILL_RUNS:-50}
S="$WORK/src"

# The old state: one app build published.
app_build "$S" 130001 apidemo
si --release 13r1 --label sr01 publish "$S/130001"
is "old state published" "$RC" 0
cp -a "$ROOT" "$WORK/old"

# Sources: a new firmware build (odd runs) and a replacement of 130001
# (even runs), each with a few MB so that a publish takes a while.
fw_build "$S/new" 130002 0001
head -c 3000000 /dev/urandom >"$S/new/130002/ip0001.bin"
app_build "$S/repl" 130001 apidemo
for a in arm x86_64; do head -c 2000000 /dev/urandom >"$S/repl/130001/$a/apidemo/apidemo.bin"; done

# new_state MODE: runs the publish on a copy to learn the new state.
args_of() {
	if [ "$1" = new ]; then echo "--release 13r1 --label sr02 publish $S/new/130002"
	else echo "--release 13r1 --label sr01 --replace publish $S/repl/130001"; fi
}
# The publish that follows a kill in the commit-point cases: another
# release, so that the indexes list its build beside the killed one's.
app_build "$S/next" 140001 nextapp
NEXT="--release 14r1 --label sr01 publish $S/next/140001"
snap_root() { ROOT=$1 snapshot; }
for mode in new repl; do
	rm -rf "$ROOT"; cp -a "$WORK/old" "$ROOT"
	t0=$(date +%s%N)
	# shellcheck disable=SC2046
	"$STOREIMPORT" -r "$ROOT" $(args_of $mode) >/dev/null 2>&1
	t1=$(date +%s%N)
	eval "dur_$mode=$(( (t1 - t0) / 1000 ))"
	snap_root "$ROOT" >"$WORK/state.$mode"
	# shellcheck disable=SC2086
	"$STOREIMPORT" -r "$ROOT" $NEXT >/dev/null 2>&1
	snap_root "$ROOT" >"$WORK/state.$mode.next"
done
snap_root "$WORK/old" >"$WORK/state.old"
check "new and old states differ" test "$(cat "$WORK/state.new")" != "$(cat "$WORK/state.old")"
diag "publish takes ${dur_new} us (new build), ${dur_repl} us (replace)"

# kill_at_commit MODE: a fresh copy of the old state, and the publish of
# MODE killed by the test hook right after its plan is written; sets KILLED
# to its exit status (bash's "Killed" notice silenced).
kill_at_commit() {
	rm -rf "$ROOT"; cp -a "$WORK/old" "$ROOT"
	{
		# shellcheck disable=SC2046
		STOREIMPORT_TEST_STOP_AT_COMMIT=1 "$STOREIMPORT" -r "$ROOT" $(args_of "$1") >/dev/null 2>&1
		KILLED=$?
	} 2>/dev/null
}
# committed_txns: the transactions of the channel whose plan is written.
committed_txns() { find "$ROOT/.staging" -maxdepth 2 -path '*/release+*/plan' 2>/dev/null | wc -l; }
staging_clean() { [ -z "$(ls -A "$ROOT/.staging")" ]; }
listed_builds() { json_get "$ROOT/release/download/$1" "$2"; }
record_verifies() { (cd "$ROOT/release/download/$1" && sha256sum -c --quiet "../../hashes/$1.sha256"); }

# The commit point, deterministically, for a new build and for a replacement:
# killed there, nothing is visible yet and the plan is on disk; `recover`
# completes it, and so does the next publish.
for mode in new repl; do
	if [ $mode = new ]; then build=130002; index=firmware.json
		listed='[v["build"] for v in d["versions"]]'; want="['130002']"
	else build=130001; index=apps.json
		listed='[v["build"] for a in d["apps"] for v in a["versions"]]'; want="['130001']"
	fi
	kill_at_commit $mode
	is "$mode: killed by the hook at the commit point" "$KILLED" 137
	is "$mode: committed transaction left in staging" "$(committed_txns)" 1
	is "$mode: nothing visible before recovery" "$(snapshot)" "$(cat "$WORK/state.old")"
	si recover
	is "$mode: recover completes the transaction" "$RC $(snapshot)" "0 $(cat "$WORK/state.$mode")"
	check "$mode: build $build published" test -d "$ROOT/release/download/$build"
	is "$mode: $index lists it" "$(listed_builds $index "$listed")" "$want"
	check "$mode: its sha256 record is present and matches" record_verifies $build
	check "$mode: transaction folder gone after recover" staging_clean
	if [ $mode = repl ]; then
		is "repl: the replacement's content is published" \
		    "$(sha256sum <"$ROOT/release/download/130001/arm/apidemo/apidemo.bin")" \
		    "$(sha256sum <"$S/repl/130001/arm/apidemo/apidemo.bin")"
	fi
	kill_at_commit $mode
	# shellcheck disable=SC2086
	si $NEXT
	is "$mode: the next publish completes it, then publishes its own" \
	    "$RC $(snapshot)" "0 $(cat "$WORK/state.$mode.next")"
	check "$mode: transaction folder gone after the next publish" staging_clean
done

# Random kills.  The exit status tells a killed importer (137) from one
# that finished before the kill; a killed one that ends in the new state was
# killed after the commit point, and left recovery work when its plan was
# still there (else it was cleaning up or exiting).
seen_old=0; seen_new=0; finished=0; after_commit=0; rolled=0; bad=0; bad_before=0
for i in $(seq 1 "$RUNS"); do
	if [ $((i % 2)) = 1 ]; then mode=new; dur=$dur_new; else mode=repl; dur=$dur_repl; fi
	rm -rf "$ROOT"; cp -a "$WORK/old" "$ROOT"
	delay=$(( RANDOM * RANDOM % (dur * 12 / 10 + 1) ))
	# shellcheck disable=SC2046
	"$STOREIMPORT" -r "$ROOT" $(args_of $mode) >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%06d' "$delay")" 2>/dev/null || sleep 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	status=$?
	committed=$(committed_txns)
	# Before any recovery: every visible path and file content belongs to
	# the old or the new state (no partial file, no visible temporary).
	snap_root "$ROOT" >"$WORK/now"
	if grep -vxF -f "$WORK/state.old" "$WORK/now" | grep -vxF -f "$WORK/state.$mode" | grep -q .; then
		bad_before=$((bad_before + 1))
		diag "run $i ($mode, ${delay}us): foreign entries before recovery:"
		grep -vxF -f "$WORK/state.old" "$WORK/now" | grep -vxF -f "$WORK/state.$mode" | head -5 | sed 's/^/#   /'
	fi
	# After the next run: exactly old or new, and nothing left in staging.
	"$STOREIMPORT" -r "$ROOT" recover >/dev/null 2>&1
	snap_root "$ROOT" >"$WORK/now"
	leftovers=$(find "$ROOT/.staging" "$ROOT/release" -name '.*tmp-*' 2>/dev/null; ls -A "$ROOT/.staging")
	if cmp -s "$WORK/now" "$WORK/state.old" && [ -z "$leftovers" ]; then
		seen_old=$((seen_old + 1))
	elif cmp -s "$WORK/now" "$WORK/state.$mode" && [ -z "$leftovers" ]; then
		seen_new=$((seen_new + 1))
		if [ "$status" = 0 ]; then finished=$((finished + 1))
		else after_commit=$((after_commit + 1)); rolled=$((rolled + (committed > 0))); fi
	else
		bad=$((bad + 1))
		diag "run $i ($mode, ${delay}us): neither old nor new after recovery"
		diff "$WORK/state.$mode" "$WORK/now" | head -5 | sed 's/^/#   /'
	fi
done
diag "$RUNS kills: $seen_old before the commit point (old state), $after_commit after it" \
    "($rolled of them with the plan to roll forward), $finished after the importer had finished"
is "no partial or foreign entry visible right after a kill" "$bad_before" 0
is "old or new state after every kill and recovery" "$bad" 0
check "kills landed before the commit point" test "$seen_old" -gt 0
# Only a few random kills land between the commit point and the end, often
# none: the commit-point cases above are what prove the roll-forward.
is "every run counted once" "$((seen_old + after_commit + finished + bad))" "$RUNS"
# After all that, a normal publish still works on the last state.
si --release 13r1 --label sr02 --replace publish "$S/new/130002"
is "publish after the kills" "$RC" 0
si verify
is "verify after the kills" "$RC" 0

done_testing
