#!/bin/sh
# Runs the libFuzzer harnesses for a bounded time as part of the test suite
# (TAP).  The harnesses need their own build (CC=clang --enable-fuzzing);
# FUZZ_BUILDDIR names it (.ci/run makes one).  Without it the test is
# skipped: the ordinary build cannot link libFuzzer.
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -z "${FUZZ_BUILDDIR:-}" ]; then
	echo "1..0 # SKIP FUZZ_BUILDDIR not set (configure a build with CC=clang --enable-fuzzing)"
	exit 0
fi
n=0
for name in manifest descriptor url_path http_range archive_path index_parse dav_if dav_xml dav_head; do
	n=$((n + 1))
	bin="$FUZZ_BUILDDIR/tests/fuzz/fuzz_$name"
	if [ ! -x "$bin" ]; then
		echo "not ok $n - fuzz_$name built in $FUZZ_BUILDDIR"
		continue
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/storesrv-fuzz.XXXXXX")
	cp "$srcdir/tests/fuzz/corpus/$name/"* "$work/"
	if "$bin" -max_total_time="${FUZZ_SECONDS:-15}" -max_len=4096 -print_final_stats=1 \
	    -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
		echo "ok $n - fuzz_$name: $runs runs, no crash, leak or undefined behaviour"
		rm -rf "$work" "$work.log"
	else
		echo "not ok $n - fuzz_$name found a problem (reproducer in $work)"
		tail -n 30 "$work.log" | sed 's/^/# /'
	fi
done
echo "1..$n"
