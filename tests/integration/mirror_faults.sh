#!/bin/bash
# storemirror sync through a fault-injecting proxy (fault_proxy.py) in front
# of the real upstream: storesrv serving the demo store plus a build 140001
# with a 3 MB file, and (for the cut connection) nginx serving the same tree.
#   - a connection cut mid-body: the build is left out, the next run
#     resumes the file with Range and no byte is fetched twice beyond the
#     last block (the bytes of the proxy's log add up);
#   - a flipped byte: that build is rejected (sha256 record), the others
#     are published, exit 1, the error names the URL; flipped once only,
#     the retry publishes it;
#   - a truncated index: the run fails, the target tree is unchanged, and
#     the next run publishes the change it had hidden;
#   - a 404 for a listed file: that build is left out, the error names it;
#   - a stall: --stall-timeout 2 fires, the run ends in bounded time.
# Every check first asserts from the proxy's log that the fault was injected.
. "$(dirname "$0")/lib.sh"
UP="$WORK/up"
ROOT="$UP"	# importer_lib.sh publishes upstream
. "$(dirname "$0")/importer_lib.sh"
. "$(dirname "$0")/transfer_servers.sh"
SM="$top_builddir/mirror/storemirror"
PROXY="$top_srcdir/tests/integration/fault_proxy.py"
BLOCK=65536	# what a resume may fetch again: at most one block
[ -x "$SM" ] || skip_all "storemirror not built"
[ -x "$STORESRV" ] || skip_all "storesrv not built"
"$SM" sync --help >/dev/null 2>&1 || skip_all "storemirror sync is not available in this build"
for t in python3 nginx openssl timeout cmp curl; do
	command -v $t >/dev/null || skip_all "$t missing"
done
trap 'stop_proxies; stop_transfer_servers; cleanup' EXIT
PX_PIDS=

# start_proxy NAME UPSTREAM_PORT: a fault_proxy in front of the upstream,
# rules in $WORK/NAME.rules, log $WORK/NAME.log; sets PX_PORT.
start_proxy() {
	: >"$WORK/$1.log"
	python3 "$PROXY" --upstream "127.0.0.1:$2" --port-file "$WORK/$1.port" \
	    --log "$WORK/$1.log" --rules "$WORK/$1.rules" --timeout 300 --idle 20 \
	    >/dev/null 2>>"$WORK/$1.err" &
	PX_PIDS="$PX_PIDS $!"
	_i=0
	while [ ! -s "$WORK/$1.port" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	PX_PORT=$(cat "$WORK/$1.port" 2>/dev/null)
	[ -n "$PX_PORT" ]
}
stop_proxies() {
	for _p in $PX_PIDS; do kill -TERM "$_p" 2>/dev/null; wait "$_p" 2>/dev/null; done
	PX_PIDS=
}
# rules NAME [RULE...]: replaces the proxy's rules (atomically).
rules() {
	_n=$1; shift
	printf '%s\n' "$@" >"$WORK/$_n.rules.tmp"
	mv "$WORK/$_n.rules.tmp" "$WORK/$_n.rules"
}
# plog NAME PATH: the proxy's log lines for PATH (tab-separated: method,
# path, range, if-range, status, bytes, action), after the last log_cut.
plog() {
	sleep 0.2
	tail -n +$(($(cat "$WORK/$1.mark" 2>/dev/null || echo 0) + 1)) "$WORK/$1.log" |
	    awk -F '\t' -v p="$2" '$2 == p'
}
log_cut() { sleep 0.2; wc -l <"$WORK/$1.log" >"$WORK/$1.mark"; }
bytes_sum() { awk -F '\t' '{ s += $6 } END { print s + 0 }'; }
count_action() { awk -F '\t' -v a="$1" 'index($7, a) == 1' | wc -l; }

# sm ARGS...: storemirror, bounded to 90 s; $OUT (stdout), $ERR, $RC, $SECS.
sm() {
	_t0=$(date +%s%N)
	timeout 90 "$SM" "$@" >"$WORK/sm.out" 2>"$WORK/sm.err"
	RC=$?
	SECS=$(( ($(date +%s%N) - _t0) / 1000000000 ))
	OUT=$(cat "$WORK/sm.out")
	ERR=$(cat "$WORK/sm.err")
}
# published M: the build folders of M's release channel, sorted.
published() { ls "$1/release/download" 2>/dev/null | grep -v '\.json$' | sort | tr '\n' ' '; }
# tree M: every visible path of the target below its channel with the
# sha256 of each file, and the names at the root (the served tree).
tree() { ROOT=$1 snapshot; ls "$1"; }

# --- the upstream ---------------------------------------------------------------
make_demo_store "$UP" || { not_ok "demo store made"; done_testing; exit 1; }
fw_build "$WORK/src" 140001 0099
head -c 3000000 /dev/urandom >"$WORK/src/140001/ip0099.bin"
si --release 14r1 publish "$WORK/src/140001"
is "upstream: 140001 (a 3 MB file) published" "$RC" 0
BIG=/release/download/140001/ip0099.bin
SIZE=3000000
start_storesrv "$UP" || { not_ok "storesrv started"; done_testing; exit 1; }
start_proxy s "$PORT" || { not_ok "fault proxy started"; done_testing; exit 1; }
U="http://127.0.0.1:$PX_PORT/release/download"

# The proxy itself: passes bodies, Range and keep-alive through, and flips
# the byte at a file offset also inside a 206.
log_cut s
curl -s -o "$WORK/whole" -w '%{num_connects} ' "http://127.0.0.1:$PX_PORT$BIG" --next \
    -s -o "$WORK/range" -r 1000000-1000099 -w '%{num_connects} ' "http://127.0.0.1:$PX_PORT$BIG" \
    >"$WORK/connects"
check "proxy: a body passes untouched" cmp -s "$WORK/whole" "$UP$BIG"
check "proxy: a Range request passes (206, its bytes)" \
    cmp -s "$WORK/range" <(tail -c +1000001 "$UP$BIG" | head -c 100)
is "proxy: both requests on one kept connection" "$(cat "$WORK/connects")" "1 0 "
is "proxy: the log has method, path, range, status and bytes" \
    "$(plog s $BIG | cut -f1,3,5,6 | tr '\t\n' ' ,')" "GET - 200 3000000,GET bytes=1000000-1000099 206 100,"
rules s "$BIG flip 1000050"
curl -s -o "$WORK/range" -r 1000000-1000099 "http://127.0.0.1:$PX_PORT$BIG"
is "proxy: flip at a file offset inside a 206 changes that byte only" \
    "$(cmp -l "$WORK/range" <(tail -c +1000001 "$UP$BIG" | head -c 100) | awk '{ print $1 }')" 51
rules s

mkdir -p "$WORK/clean" "$WORK/a" "$WORK/b" "$WORK/b2" "$WORK/d" "$WORK/e" "$WORK/n"

# A clean mirror: what every other build looks like when published.
sm sync -r "$WORK/clean" -u "$U"
is "clean mirror through the proxy: exit 0" "$RC" 0
ALL=$(published "$WORK/clean")
OTHERS=$(published "$WORK/clean" | sed 's/140001 //')
like "clean mirror has 140001 and the demo builds" "$ALL" '^128001 130001 .*140001 '
check "the proxy passed the 3 MB file untouched" cmp -s "$WORK/clean$BIG" "$UP$BIG"

# cut_and_resume NAME URL TARGET [SYNC ARGS...]: the file cut after 1 MB on
# every request and no retries: the build is left out; the next run resumes it.
cut_and_resume() {
	_n=$1; _u=$2; _m=$3; shift 3
	log_cut "$_n"
	rules "$_n" "$BIG cut 1000000"
	sm sync -r "$_m" -u "$_u" --retries 0 "$@"
	is "$_n: cut: exit 1" "$RC" 1
	check "$_n: cut: the proxy cut the transfer after 1 MB" \
	    test "$(plog "$_n" $BIG | awk -F '\t' '$6 == 1000000' | count_action cut)" -ge 1
	is "$_n: cut: 140001 left out, the others published" "$(published "$_m")" "$OTHERS"
	like "$_n: cut: the error names the URL" "$ERR" "error: .*$_u/140001/ip0099.bin"
	before=$(plog "$_n" $BIG | bytes_sum)
	# the partial file the run keeps for the next (mirror/sync.h: the
	# channel's state folder .mirror/<channel>/files/)
	part=$(stat -c %s "$_m/.mirror/release/files/140001/ip0099.bin" 2>/dev/null || echo 0)
	check "$_n: cut: a partial file is kept for the next run ($part bytes)" \
	    test "$part" -gt 0 -a "$part" -lt "$SIZE"
	log_cut "$_n"
	rules "$_n"
	sm sync -r "$_m" -u "$_u" "$@"
	is "$_n: next run: exit 0" "$RC" 0
	first=$(plog "$_n" $BIG | head -n 1)
	like "$_n: next run: the file is resumed from the cut with Range and If-Range" \
	    "$(printf '%s' "$first" | cut -f3,4,5)" "^bytes=$part-	\"[^\"]+\"	206\$"
	is "$_n: next run: 140001 published" "$(published "$_m")" "$ALL"
	check "$_n: next run: the resumed file is whole" cmp -s "$_m$BIG" "$UP$BIG"
	after=$(plog "$_n" $BIG | bytes_sum)
	diag "$_n: $before bytes in the cut run, $after in the next, for a file of $SIZE"
	check "$_n: no byte fetched twice beyond the last block" \
	    test $((before + after)) -le $((SIZE + BLOCK))
}

# --- a connection cut mid-body ------------------------------------------------------
cut_and_resume s "$U" "$WORK/a"

# --- a corrupted byte ----------------------------------------------------------------
log_cut s
rules s "$BIG flip 1234567"
sm sync -r "$WORK/b" -u "$U" --json
is "flip: exit 1" "$RC" 1
is "flip: the proxy flipped the byte in each attempt (the build is retried once)" \
    "$(plog s $BIG | count_action flip) $(plog s $BIG | cut -f5 | sort -u)" "2 200"
is "flip: 140001 rejected, the others published" "$(published "$WORK/b")" "$OTHERS"
like "flip: the error names the URL" "$OUT$ERR" "$U/140001/ip0099.bin"
check "flip: no corrupted file in the served tree" test ! -e "$WORK/b$BIG"
log_cut s
rules s "$BIG flip 1234567 times=1"
sm sync -r "$WORK/b2" -u "$U"
is "flip once: the retry publishes 140001, exit 0" "$RC $(published "$WORK/b2")" "0 $ALL"
is "flip once: the byte was flipped once" "$(plog s $BIG | count_action flip)" 1
check "flip once: the published file is the upstream's" cmp -s "$WORK/b2$BIG" "$UP$BIG"

# --- a truncated index -----------------------------------------------------------------
# The clean mirror is up to date; a new upstream build changes firmware.json,
# whose reply is truncated (short Content-Length, so well-formed HTTP).
fw_build "$WORK/src" 140003 0098
si --release 14r2 publish "$WORK/src/140003"
is "upstream: 140003 published" "$RC" 0
[ "$RC" = 0 ] || diag "$OUT"
sleep 1.1	# storesrv notices the new indexes
before=$(tree "$WORK/clean")
log_cut s
rules s "/release/download/firmware.json truncate 200"
sm sync -r "$WORK/clean" -u "$U"
check "truncated index: the proxy truncated a 200 reply" \
    test "$(plog s /release/download/firmware.json | awk -F '\t' '$5 == 200 && $6 == 200' | count_action truncate)" -ge 1
like "truncated index: the run fails (exit 1 or 3)" "$RC" '^[13]$'
like "truncated index: the error names the index" "$ERR" "firmware.json"
is "truncated index: the target tree is unchanged" "$(tree "$WORK/clean")" "$before"
log_cut s
rules s
sm sync -r "$WORK/clean" -u "$U"
is "truncated index: the next run publishes the new build" "$RC $(published "$WORK/clean")" "0 $(printf '%s\n' $ALL 140003 | sort | tr '\n' ' ')"

# --- a 404 for a listed file -------------------------------------------------------------
log_cut s
rules s "/release/download/140001/boot0099.bin 404"
sm sync -r "$WORK/d" -u "$U"
check "404: the proxy answered 404" \
    test "$(plog s /release/download/140001/boot0099.bin | awk -F '\t' '$5 == 404' | count_action 404)" -ge 1
is "404: exit 1" "$RC" 1
is "404: 140001 left out, the others published" "$(published "$WORK/d" | sed 's/140003 //')" "$OTHERS"
like "404: the error names the URL" "$ERR" "$U/140001/boot0099.bin"

# --- a stall ----------------------------------------------------------------------------------
log_cut s
rules s "$BIG stall"
sm sync -r "$WORK/e" -u "$U" --stall-timeout 2 --retries 0
check "stall: the proxy stalled the transfer (no body byte sent)" \
    test "$(plog s $BIG | awk -F '\t' '$6 == 0' | count_action stall)" -ge 1
is "stall: exit 1" "$RC" 1
like "stall: the error names the URL" "$ERR" "$U/140001/ip0099.bin"
check "stall: the timeout waited its 2 s (run took ${SECS}s)" test "$SECS" -ge 2
# (well below the proxy's own --idle 20, so only storemirror's timeout ends it)
check "stall: bounded run time (${SECS}s < 15s)" test "$SECS" -lt 15
is "stall: 140001 left out, the others published" "$(published "$WORK/e" | sed 's/140003 //')" "$OTHERS"
rules s

# --- the cut connection again, nginx upstream ----------------------------------------------------
make_test_ca "$WORK/ca" || not_ok "test CA made"
if start_nginx "$UP" "$WORK/ca"; then
	start_proxy n "$NGX_HTTP" || not_ok "fault proxy in front of nginx started"
	NP=$PX_PORT
	sm sync -r "$WORK/n" -u "http://127.0.0.1:$NP/release/download" --kinds firmware --devices 'IP0099,IP0098'
	is "nginx: firmware of IP0099 and IP0098 mirrored" "$RC $(published "$WORK/n")" "0 140001 140003 "
	rm -rf "$WORK/n"; mkdir "$WORK/n"
	OTHERS="140003 " ALL="140001 140003 " cut_and_resume n "http://127.0.0.1:$NP/release/download" "$WORK/n" \
	    --kinds firmware --devices 'IP0099,IP0098'
else
	not_ok "nginx started"
fi

check "storesrv stops cleanly" stop_storesrv 10
done_testing
