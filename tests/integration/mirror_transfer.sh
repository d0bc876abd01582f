#!/bin/bash
# The mirror's transfers (mirror/transfer.h, mirror/fetch.h) through
# fetch_probe -T against real servers on 127.0.0.1: the real storesrv and
# nginx (plain and TLS, a test CA made with openssl) started here:
# parallel jobs with their sha256 equal to sha256sum's, connections counted
# in nginx's access log ($connection), HTTPS verified (ca_file, unknown CA,
# wrong host name), tinyproxy for http and https (CONNECT), the rate limit,
# a small peak RSS for a large sparse file, a full disk (tmpfs) mid-body,
# several threads, and a connection cut mid-file (every byte kept).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transfer_servers.sh"
PROBE="$top_builddir/tests/integration/fetch_probe"
[ -x "$STORESRV" ] || skip_all "storesrv not built"
[ -x "$PROBE" ] || skip_all "fetch_probe not built"
for t in nginx openssl python3 sha256sum; do
	command -v "$t" >/dev/null || skip_all "$t missing"
done
make_fetch_store || skip_all "store-demo failed"
for i in $(seq 1 12); do
	head -c $((200000 + i * 150000)) /dev/urandom >"$DL/$B/f$i.bin"
done
truncate -s 256M "$DL/$B/big.bin"
truncate -s 64M "$DL/$B/fill.bin"
make_test_ca "$WORK/ca" || skip_all "openssl could not make the test certificates"
start_storesrv "$ROOT" || { not_ok "storesrv started"; done_testing; exit 1; }
start_nginx "$DL" "$WORK/ca" || { not_ok "nginx started"; cat "$WORK/nginx/error.log"; stop_transfer_servers; done_testing; exit 1; }
trap 'stop_transfer_servers; cleanup' EXIT INT TERM

field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
# jobs PREFIX BASEURL: "t1 URL1 t2 URL2 ..." for the twelve files.
jobs() { for i in $(seq 1 12); do printf '%s%d %s/%s/f%d.bin ' "$1" "$i" "$2" "$B" "$i"; done; }
# all_hashes_match PREFIX OUTPUT: each job's sha256 is the file's, and the
# file equals the original.
all_hashes_match() {
	_i=0
	printf '%s\n' "$2" | grep '^status=' | while read -r _l; do
		_i=$((_i + 1))
		_want=$(sha256sum <"$DL/$B/f$_i.bin" | cut -d' ' -f1)
		[ "$(field sha256 "$_l")" = "$_want" ] || { echo "job $_i: $_l"; exit 1; }
		cmp -s "$OUT/$1$_i" "$DL/$B/f$_i.bin" || { echo "job $_i: differs"; exit 1; }
	done
}
# connections: the distinct nginx connections in the access log.
connections() { cut -d' ' -f1 "$NGX_LOG" | sort -u | wc -l; }

# Parallel jobs from the real storesrv
out=$("$PROBE" -T -p 4 "$OUT" $(jobs s "$BASE/release/download"))
is "storesrv: 12 jobs at 4 at once succeed" "$?" 0
is "storesrv: 12 complete files" "$(printf '%s\n' "$out" | grep -c '^status=200 ')" 12
msg=$(all_hashes_match s "$out")
is "storesrv: each sha256 is sha256sum's and each file is whole" "$msg" ""
prog=$(printf '%s\n' "$out" | grep '^progress')
is "progress: the last report counts 12 done, 0 failed" \
    "$(field done "$prog"):$(field failed "$prog")" 12:0
is "progress: received equals expected" "$(field received "$prog")" "$(field expected "$prog")"

# Parallel jobs from nginx: more than one connection, at most 4, reused
: >"$NGX_LOG"
out=$("$PROBE" -T -p 4 "$OUT" $(jobs n "http://127.0.0.1:$NGX_HTTP"))
is "nginx: 12 jobs at 4 at once succeed" "$?" 0
msg=$(all_hashes_match n "$out")
is "nginx: each sha256 is sha256sum's and each file is whole" "$msg" ""
is "nginx: 12 requests logged" "$(wc -l <"$NGX_LOG")" 12
c=$(connections)
diag "parallel 4: $c connections"
check "parallel 4: more than one connection at once" test "$c" -gt 1
check "parallel 4: at most 4 connections (kept alive, reused)" test "$c" -le 4
: >"$NGX_LOG"
out=$("$PROBE" -T -p 1 "$OUT" $(jobs o "http://127.0.0.1:$NGX_HTTP"))
is "parallel 1: 12 jobs succeed" "$?" 0
is "parallel 1: exactly one connection for 12 requests" "$(connections):$(wc -l <"$NGX_LOG")" 1:12

# Several threads (-t 2: two fetchers, each with its own event loop and
# connections, one queue): the 256 MiB file twice first and 24 jobs, each
# whole with its sha256; parallel 2 divided among them, one call each, so
# each thread takes one of the large files (both busy for a while); the
# progress callback only on the calling thread, while a second thread ran
: >"$NGX_LOG"
out=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4" \
    "$PROBE" -T -p 2 -t 2 "$OUT" tbig1 "http://127.0.0.1:$NGX_HTTP/$B/big.bin" \
    tbig2 "http://127.0.0.1:$NGX_HTTP/$B/big.bin" $(jobs a "http://127.0.0.1:$NGX_HTTP") \
    $(jobs b "http://127.0.0.1:$NGX_HTTP"))
is "2 threads: 26 jobs succeed" "$?" 0
big_sha=$(sha256sum <"$DL/$B/big.bin" | cut -d' ' -f1)
is "2 threads: the 256 MiB file's sha256 is sha256sum's, twice" \
    "$(printf '%s\n' "$out" | grep '^status=' | sed -n 1,2p | while read -r l; do field sha256 "$l"; done | sort -u)" \
    "$big_sha"
check "2 threads: the 256 MiB files are whole" test "$(stat -c %s "$OUT/tbig1"):$(stat -c %s "$OUT/tbig2")" = 268435456:268435456
rm -f "$OUT/tbig1" "$OUT/tbig2"
msg=$(all_hashes_match a "$(printf '%s\n' "$out" | grep '^status=' | sed -n 3,14p)")
msg=$msg$(all_hashes_match b "$(printf '%s\n' "$out" | grep '^status=' | sed -n 15,26p)")
is "2 threads: each sha256 is sha256sum's and each file is whole" "$msg" ""
prog=$(printf '%s\n' "$out" | grep '^progress')
diag "2 threads: $prog; $(connections) connections"
is "2 threads: progress counts 26 done, 0 failed, received equals expected" \
    "$(field done "$prog"):$(field failed "$prog"):$(field received "$prog")" \
    "26:0:$(field expected "$prog")"
check "2 threads: a second thread ran (seen by a progress call)" test "$(field threads "$prog")" -ge 2
is "2 threads: the progress callback only on the calling thread" "$(field foreign "$prog")" 0
c=$(connections)
is "2 threads: 2 connections (one per thread), reused for 26 requests" "$c:$(wc -l <"$NGX_LOG")" 2:26

# A connection cut mid-file (no retry): the partial file holds every byte
# received, up to the cut (written in batches, the last one as the
# attempt ends), on one thread and on two
python3 -c '
import socket, sys, threading
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
body = bytes((i * 7 + i // 251) & 255 for i in range(1000003))
def serve(c):
    c.recv(65536)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\nETag: \"cut1\"\r\n\r\n" + body)
    c.shutdown(socket.SHUT_RDWR); c.close()
s.settimeout(60)
for _ in range(4):
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,)).start()
' "$WORK/cut.port" &
PY=$!
i=0; while [ ! -s "$WORK/cut.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + i // 251) & 255 for i in range(1000003)))' \
    >"$WORK/cut.want"
CUT="http://127.0.0.1:$(cat "$WORK/cut.port")/cut"
for mode in "1 thread:-T -t 1" "2 threads:-T -p 2 -t 2" "fetch_file:"; do
	name=${mode%%:*}
	out=$("$PROBE" ${mode#*:} -n 0 "$OUT" cut "$CUT" $([ "$name" = "2 threads" ] && echo cut2 "$CUT"))
	line=$(printf '%s\n' "$out" | head -n 1)
	is "cut ($name): a connection failure after 1000003 bytes" \
	    "$(field fail "$line"):$(field received "$line")" 1:1000003
	check "cut ($name): the partial file holds every byte received" cmp "$OUT/cut" "$WORK/cut.want"
	check "cut ($name): its sidecar is kept for the resume" test -s "$OUT/cut.etag"
	rm -f "$OUT/cut" "$OUT/cut.etag" "$OUT/cut2" "$OUT/cut2.etag"
done
kill "$PY" 2>/dev/null; wait "$PY" 2>/dev/null

# max_hosts bounds the hosts kept: nginx, storesrv, nginx one after the
# other keep nginx's connection with 2 hosts, not with 1
for m in 2 1; do
	: >"$NGX_LOG"
	"$PROBE" -m $m "$OUT" m1 "http://127.0.0.1:$NGX_HTTP/$B/f1.bin" m2 "$BASE/release/download/$B/f2.bin" \
	    m3 "http://127.0.0.1:$NGX_HTTP/$B/f3.bin" >/dev/null
	is "max_hosts $m: three fetches succeed" "$?" 0
	eval "conns_$m=\$(connections)"
done
is "max_hosts 2 keeps nginx's connection, max_hosts 1 drops it" "$conns_2:$conns_1" 1:2

# One failing job (a closed port) among good ones: the run goes on
FREE=$(free_port)
out=$("$PROBE" -T -p 2 "$OUT" g1 "http://127.0.0.1:$NGX_HTTP/$B/f1.bin" \
    g2 "http://127.0.0.1:$FREE/x" g3 "http://127.0.0.1:$NGX_HTTP/$B/f3.bin" \
    g4 "http://127.0.0.1:$NGX_HTTP/$B/nosuch.bin")
is "a failing job fails the run's status" "$?" 1
is "each job has its own outcome (200, refused, 200, 404)" \
    "$(printf '%s\n' "$out" | grep '^status=' | while read -r l; do printf '%s/%s ' "$(field status "$l")" "$(field fail "$l")"; done)" \
    "200/0 0/1 200/0 404/0 "
prog=$(printf '%s\n' "$out" | grep '^progress')
is "progress counts 4 done, 1 failed" "$(field done "$prog"):$(field failed "$prog")" 4:1
check "the good files are whole" cmp -s "$OUT/g3" "$DL/$B/f3.bin"

# A resumed job hashes the part it kept first
ETAG=$(curl -sI "http://127.0.0.1:$NGX_HTTP/$B/f5.bin" | header_of ETag /dev/stdin)
head -c 100000 "$DL/$B/f5.bin" >"$OUT/r5"
printf '%s' "$ETAG" >"$OUT/r5.etag"
out=$("$PROBE" -T -r "$OUT" r5 "http://127.0.0.1:$NGX_HTTP/$B/f5.bin")
line=$(printf '%s\n' "$out" | head -n 1)
is "resume: 206 for the rest" "$(field status "$line"):$(field received "$line")" \
    "206:$(( $(stat -c %s "$DL/$B/f5.bin") - 100000 ))"
is "resume: the sha256 covers the whole file" "$(field sha256 "$line")" \
    "$(sha256sum <"$DL/$B/f5.bin" | cut -d' ' -f1)"

# HTTPS: verified against the test CA; unknown CA and a wrong name fail
: >"$NGX_LOG"
out=$("$PROBE" -T -p 3 -c "$WORK/ca/ca.pem" "$OUT" $(jobs h "https://127.0.0.1:$NGX_HTTPS"))
is "https with ca_file: 12 jobs succeed" "$?" 0
msg=$(all_hashes_match h "$out")
is "https: each sha256 is sha256sum's and each file is whole" "$msg" ""
c=$(connections)
check "https: connections kept alive (1 to 3 for 12 requests)" test "$c" -ge 1 -a "$c" -le 3
out=$("$PROBE" -c "$WORK/ca/ca.pem" "$OUT" hl "https://localhost:$NGX_HTTPS/$B/f1.bin")
is "https by DNS name (localhost, SNI) succeeds" "$?" 0
out=$("$PROBE" -n 2 -b 10 "$OUT" hu "https://127.0.0.1:$NGX_HTTPS/$B/f1.bin")
is "https without the CA fails" "$?" 1
line=$(printf '%s\n' "$out" | head -n 1)
is "unknown CA: a TLS failure, not retried" "$(field fail "$line"):$(field attempts "$line")" 6:1
like "unknown CA: the error names the host and OpenSSL's reason" "$(printf '%s\n' "$out" | grep '^error:')" \
    "127\.0\.0\.1: certificate verification failed: (self-signed certificate in certificate chain|unable to get local issuer certificate)"
check "unknown CA: nothing written" test ! -e "$OUT/hu"
out=$("$PROBE" -n 2 -b 10 -c "$WORK/ca/ca.pem" "$OUT" hw "https://127.0.0.1:$NGX_WRONG/$B/f1.bin")
is "https with a certificate for another name fails" "$?" 1
line=$(printf '%s\n' "$out" | head -n 1)
is "wrong name: a TLS failure, not retried" "$(field fail "$line"):$(field attempts "$line")" 6:1
like "wrong name: the error says so" "$(printf '%s\n' "$out" | grep '^error:')" \
    "127\.0\.0\.1: certificate verification failed: .*(IP address mismatch|hostname mismatch)"
out=$("$PROBE" -c "$WORK/nosuch.pem" "$OUT" hc "https://127.0.0.1:$NGX_HTTPS/$B/f1.bin")
like "a missing ca_file is named" "$(printf '%s\n' "$out" | grep '^error:')" "nosuch\.pem: cannot load CA certificates"

# The rate limit: N bytes at 500,000 bytes/s take at least N/500000 s, less
# 0.5 s (one 100 ms burst, generously)
t0=$(date +%s.%N)
out=$("$PROBE" -T -p 2 -l 500000 "$OUT" l1 "http://127.0.0.1:$NGX_HTTP/$B/f3.bin" \
    l2 "http://127.0.0.1:$NGX_HTTP/$B/f5.bin")
rc=$?
t1=$(date +%s.%N)
bytes=$(( $(stat -c %s "$DL/$B/f3.bin") + $(stat -c %s "$DL/$B/f5.bin") ))
el=$(python3 -c "print(round($t1 - $t0, 2))")
diag "rate limit: $bytes bytes at 500000 B/s in $el s"
is "rate-limited jobs succeed" "$rc" 0
check "the limit holds: at least (bytes/rate - 0.5) s" \
    python3 -c "import sys; sys.exit(0 if $t1 - $t0 >= $bytes / 500000 - 0.5 else 1)"
check "rate-limited files are whole" cmp -s "$OUT/l2" "$DL/$B/f5.bin"
prog=$(printf '%s\n' "$out" | grep '^progress')
diag "progress: $prog"
check "progress was reported during the run, at most every 200 ms" python3 -c "
import sys; calls, el = $(field calls "$prog"), $(field elapsed "$prog")
sys.exit(0 if 2 <= calls <= el / 0.2 + 2 else 1)"

# A 256 MiB sparse file with its sha256: the peak RSS stays small
out=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4" \
    "$PROBE" -T -p 2 "$OUT" big "http://127.0.0.1:$NGX_HTTP/$B/big.bin")
is "the 256 MiB file fetched" "$?" 0
is "its sha256 is sha256sum's" "$(field sha256 "$(printf '%s\n' "$out" | head -n 1)")" \
    "$(sha256sum <"$DL/$B/big.bin" | cut -d' ' -f1)"
rss=$(field maxrss_kb "$(printf '%s\n' "$out" | tail -n 1)")
diag "peak RSS fetching 256 MiB with sha256: $rss KiB"
check "peak RSS under 32 MiB while fetching 256 MiB" test "${rss:-999999}" -lt 32768
rm -f "$OUT/big"

# A full disk mid-body (a 1 MiB tmpfs): FETCH_FAIL_LOCAL at once, the
# request cancelled (nginx did not send the 64 MiB)
mkdir -p "$WORK/small"
if mount -t tmpfs -o size=1m tmpfs "$WORK/small" 2>/dev/null; then
	: >"$NGX_LOG"
	t0=$(date +%s)
	out=$("$PROBE" -T -n 3 -b 10 "$WORK/small" full "http://127.0.0.1:$NGX_HTTP/$B/fill.bin")
	rc=$?
	t1=$(date +%s)
	line=$(printf '%s\n' "$out" | head -n 1)
	is "a full disk fails the job" "$rc" 1
	is "as a local failure, not retried" "$(field fail "$line"):$(field attempts "$line")" 5:1
	like "the error names the file" "$(printf '%s\n' "$out" | grep '^error:')" "full: cannot write: No space left on device"
	check "promptly (within 5 s)" test $((t1 - t0)) -le 5
	check "the body was not read further (received under 2 MiB)" test "$(field received "$line")" -lt 2097152
	sleep 0.3
	sent=$(cut -d' ' -f4 "$NGX_LOG" | head -n 1)
	diag "nginx sent $sent of 67108864 bytes"
	check "nginx was cut off (sent under 32 MiB of 64 MiB)" test "${sent:-67108864}" -lt 33554432
	umount "$WORK/small"
else
	diag "mount -t tmpfs failed (not root?): the full disk is not tested"
fi

# tinyproxy: plain http in absolute form, https through CONNECT
if command -v tinyproxy >/dev/null && start_tinyproxy "$NGX_HTTPS"; then
	out=$("$PROBE" -T -p 2 -x "http://127.0.0.1:$TP_PORT" "$OUT" $(jobs p "http://127.0.0.1:$NGX_HTTP"))
	is "proxy: 12 http jobs succeed" "$?" 0
	msg=$(all_hashes_match p "$out")
	is "proxy http: each sha256 is sha256sum's and each file is whole" "$msg" ""
	like "proxy http: tinyproxy relayed them" "$(cat "$TP_LOG")" "127\.0\.0\.1:$NGX_HTTP/$B/f12\.bin"
	out=$("$PROBE" -T -p 2 -x "http://127.0.0.1:$TP_PORT" -c "$WORK/ca/ca.pem" "$OUT" \
	    $(jobs q "https://127.0.0.1:$NGX_HTTPS"))
	is "proxy: 12 https jobs succeed" "$?" 0
	msg=$(all_hashes_match q "$out")
	is "proxy https: each sha256 is sha256sum's and each file is whole" "$msg" ""
	like "proxy https: tinyproxy tunnelled them (CONNECT)" "$(cat "$TP_LOG")" "CONNECT.*127\.0\.0\.1:$NGX_HTTPS"
	out=$("$PROBE" -x "http://127.0.0.1:$TP_PORT" -c "$WORK/ca/ca.pem" "$OUT" pw \
	    "https://127.0.0.1:$NGX_WRONG/$B/f1.bin")
	like "proxy https: a port the proxy refuses is an error naming the proxy's answer" \
	    "$(printf '%s\n' "$out" | grep '^error:')" \
	    "proxy 127\.0\.0\.1:$TP_PORT answered \"HTTP/1\.[01] 403 .*\" to CONNECT 127\.0\.0\.1:$NGX_WRONG"
	FREE=$(free_port)
	out=$("$PROBE" -x "http://127.0.0.1:$FREE" "$OUT" px "http://127.0.0.1:$NGX_HTTP/$B/f1.bin")
	like "a dead proxy (http): the error names it" "$(printf '%s\n' "$out" | grep '^error:')" \
	    "through the proxy 127\.0\.0\.1:$FREE: connection failed"
	out=$("$PROBE" -x "http://127.0.0.1:$FREE" -c "$WORK/ca/ca.pem" "$OUT" py \
	    "https://127.0.0.1:$NGX_HTTPS/$B/f1.bin")
	like "a dead proxy (https): the error names it" "$(printf '%s\n' "$out" | grep '^error:')" \
	    "proxy 127\.0\.0\.1:$FREE: Connection refused"
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept(); time.sleep(20)' "$WORK/mute.port" &
	PY=$!
	i=0; while [ ! -s "$WORK/mute.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	t0=$(date +%s)
	out=$("$PROBE" -s 1 -x "http://127.0.0.1:$(cat "$WORK/mute.port")" -c "$WORK/ca/ca.pem" "$OUT" pm \
	    "https://127.0.0.1:$NGX_HTTPS/$B/f1.bin")
	rc=$?
	t1=$(date +%s)
	kill "$PY" 2>/dev/null; wait "$PY" 2>/dev/null
	# (libevent counts the TLS handshake as part of connecting: a connection failure)
	is "a proxy that never answers CONNECT fails the fetch" \
	    "$rc:$(field fail "$(printf '%s\n' "$out" | head -n 1)")" 1:1
	check "by the 1 s stall timeout, not the tunnel's 30 s" test $((t1 - t0)) -le 10
	like "a proxy that is not http://host:port is refused" \
	    "$("$PROBE" -x "https://127.0.0.1:$TP_PORT" "$OUT" pz "http://127.0.0.1:$NGX_HTTP/x")" \
	    "^error: https://127\.0\.0\.1:$TP_PORT: the proxy must be http://host:port"
else
	diag "tinyproxy missing or not started: the proxy is not tested"
fi

check "storesrv stops cleanly" stop_storesrv 10
stop_transfer_servers
done_testing
