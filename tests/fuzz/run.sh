#!/bin/sh
# Runs each libFuzzer harness for a bounded time on a copy of its seed
# corpus (the corpus in the tree is not modified).  Needs a build configured
# with CC=clang --enable-fuzzing.
#
#   tests/fuzz/run.sh [BUILDDIR] [SECONDS]     (defaults: ., 20)
#
# Exits non-zero when a harness finds a crash, a leak or undefined
# behaviour; the reproducer is left in the printed folder.
set -u
builddir=${1:-.}
seconds=${2:-${FUZZ_SECONDS:-20}}
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/storesrv-fuzz.XXXXXX")
status=0

for name in manifest descriptor url_path http_range archive_path index_parse dav_xml; do
	bin="$builddir/tests/fuzz/fuzz_$name"
	if [ ! -x "$bin" ]; then
		echo "fuzz_$name: not built (configure with CC=clang --enable-fuzzing)" >&2
		status=1
		continue
	fi
	mkdir -p "$work/$name" "$work/$name-artifacts"
	cp "$srcdir/tests/fuzz/corpus/$name/"* "$work/$name/"
	echo "fuzz_$name: ${seconds}s"
	if ! "$bin" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
	    -artifact_prefix="$work/$name-artifacts/" "$work/$name" >"$work/$name.log" 2>&1; then
		echo "fuzz_$name: FAILED; see $work/$name.log and $work/$name-artifacts/" >&2
		tail -n 30 "$work/$name.log" >&2
		status=1
	else
		grep -E '^stat::(number_of_executed_units|new_units_added)' "$work/$name.log"
	fi
done
[ "$status" -eq 0 ] && rm -rf "$work"
exit "$status"
