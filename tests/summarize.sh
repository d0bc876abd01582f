#!/bin/sh
# Runs the whole test suite (make check) and prints one closing line
# "N passed, N failed" counted over every TAP result of every test program.
# Exits non-zero when anything failed.
make_cmd=${1:-make}
$make_cmd check
status=$?
logs=$(find . -name '*.trs' 2>/dev/null)
passed=0 failed=0 skipped=0
if [ -n "$logs" ]; then
	passed=$(cat $logs | grep -c '^:test-result: PASS\|^:test-result: XFAIL')
	failed=$(cat $logs | grep -c '^:test-result: FAIL\|^:test-result: XPASS\|^:test-result: ERROR')
	skipped=$(cat $logs | grep -c '^:test-result: SKIP')
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1	# make check itself failed (a build error, a crashed driver)
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
