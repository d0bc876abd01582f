#!/bin/bash
# storeimport killed with SIGKILL at random moments, many times: after each
# kill the channel shows no partial file and no visible leftover, and after
# the next run (which recovers) it is exactly the old or the new state.
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
snap_root() { ROOT=$1 snapshot; }
for mode in new repl; do
	rm -rf "$ROOT"; cp -a "$WORK/old" "$ROOT"
	t0=$(date +%s%N)
	# shellcheck disable=SC2046
	"$STOREIMPORT" -r "$ROOT" $(args_of $mode) >/dev/null 2>&1
	t1=$(date +%s%N)
	eval "dur_$mode=$(( (t1 - t0) / 1000 ))"
	snap_root "$ROOT" >"$WORK/state.$mode"
done
snap_root "$WORK/old" >"$WORK/state.old"
check "new and old states differ" test "$(cat "$WORK/state.new")" != "$(cat "$WORK/state.old")"
diag "publish takes ${dur_new} us (new build), ${dur_repl} us (replace)"

seen_old=0; seen_new=0; seen_mid=0; bad=0; bad_before=0
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
	else
		bad=$((bad + 1))
		diag "run $i ($mode, ${delay}us): neither old nor new after recovery"
		diff "$WORK/state.$mode" "$WORK/now" | head -5 | sed 's/^/#   /'
	fi
	if ! cmp -s "$WORK/now" "$WORK/state.old"; then :; fi
done
diag "$RUNS kills: $seen_old old, $seen_new new"
is "no partial or foreign entry visible right after a kill" "$bad_before" 0
is "old or new state after every kill and recovery" "$bad" 0
check "kills landed before the commit point" test "$seen_old" -gt 0
check "kills landed after the commit point" test "$seen_new" -gt 0
# After all that, a normal publish still works on the last state.
si --release 13r1 --label sr02 --replace publish "$S/new/130002"
is "publish after the kills" "$RC" 0
si verify
is "verify after the kills" "$RC" 0

done_testing
