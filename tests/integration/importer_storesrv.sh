#!/bin/bash
# A running storesrv serves what storeimport publishes, replaces and
# removes, without a restart.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/importer_lib.sh"
[ -x "$STORESRV" ] || skip_all "storesrv not built"
command -v curl >/dev/null || skip_all "curl missing"
S="$WORK/src"

fw_build "$S" 130001 0001
si --release 13r1 --label sr01 publish "$S/130001"
is "first build published" "$RC" 0
# One serving thread: every request meets the cache the first ones filled,
# so the checks below pass only if cached files are revalidated.
check "storesrv started" start_storesrv "$ROOT" --threads 1
is "first build served" "$(curl -s "$BASE/release/download/130001/ip0001.bin")" "firmware 0001 130001"
like "firmware.json served" "$(curl -s "$BASE/release/download/firmware.json")" '"build":"130001"'

# wait_for URL PATTERN: storesrv re-reads changed files within about a second.
wait_for() {
	_i=0
	while [ $_i -lt 30 ]; do
		curl -s "$1" | grep -q -- "$2" && return 0
		sleep 0.2; _i=$((_i + 1))
	done
	return 1
}

fw_build "$S" 130002 0001
si --release 13r1 --label sr02 publish "$S/130002"
is "second build published while serving" "$RC" 0
check "new build served without a restart" wait_for "$BASE/release/download/130002/ip0001.bin" "firmware 0001 130002"
check "new index served without a restart" wait_for "$BASE/release/download/firmware.json" '"build":"130002"'

echo "replaced firmware" >"$S/130002/ip0001.bin"
si --release 13r1 --label sr02 --replace publish "$S/130002"
is "build replaced while serving" "$RC" 0
check "replaced content served" wait_for "$BASE/release/download/130002/ip0001.bin" "replaced firmware"

si --grace 0 remove 130002
is "build removed while serving" "$RC" 0
# A cached file is revalidated at most once a second, so one second after
# the removal the file served a moment ago must answer 404.
sleep 1.2
is "removed build answers 404 within a second" "$(status_of "$BASE/release/download/130002/ip0001.bin")" 404
check "index back at the first build" wait_for "$BASE/release/download/firmware.json" '"build":"130001"'
is "staging never served" "$(status_of "$BASE/.staging/")" 403
check "storesrv stops cleanly" stop_storesrv

done_testing
