#!/bin/bash
# The WebDAV listener's HTTP engine (webdav/dav_engine) alone, through
# webdav_engine_probe, with curl and raw sockets: GET/HEAD answered like the
# public storesrv (same read_path), OPTIONS (DAV, Allow), the handler table
# reached by WebDAV methods, 405 with Allow, PUT streamed to disk (256 MiB,
# Content-Length, chunked, Expect: 100-continue) with bounded memory, a cut
# PUT leaving nothing behind, 431 for an over-long head, 413 for an
# in-memory body over its limit, the idle timeout, pipelining in order and
# a clean SIGTERM (so sanitizer reports fail the test).
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip_all "curl not installed"
PROBE="$top_builddir/tests/integration/webdav_engine_probe"
ROOT="$WORK/root"
SCRATCH="$WORK/scratch"
mkdir -p "$SCRATCH"
make_demo_store "$ROOT" || { not_ok "demo store generated"; done_testing; exit 1; }
start_storesrv "$ROOT" || { not_ok "storesrv started"; done_testing; exit 1; }
PUB=$BASE

# The probe: idle and header timeout 2 s, in-memory bodies up to 4096
# bytes, 8 connections, body timeout 5 s.
# ASan's quarantine of freed blocks would count toward the RSS: kept small.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1" \
    "$PROBE" "$ROOT" "$WWW_DIR" "$SCRATCH" "$WORK/dav-port" 2 4096 8 5 2>"$WORK/probe.err" &
DAV_PID=$!
for _ in $(seq 100); do [ -s "$WORK/dav-port" ] && break; sleep 0.1; done
DAV_PORT=$(cat "$WORK/dav-port" 2>/dev/null)
DAV="http://127.0.0.1:$DAV_PORT"
[ -n "$DAV_PORT" ] || { not_ok "probe started"; cat "$WORK/probe.err"; done_testing; exit 1; }
trap 'kill -KILL $DAV_PID 2>/dev/null; cleanup' EXIT

# --- GET/HEAD like the public listener -------------------------------------
KEYS="ETag Last-Modified Content-Type Content-Length Content-Range Cache-Control Accept-Ranges"
# same_answer NAME PATH [CURL ARGS...]: status, body and key headers equal
# (the bodies with each server's host:port written alike: the home page's
# absolute URLs).  HEAD (-I) compares the headers only.
same_answer() {
	_name=$1 _path=$2; shift 2
	_pub=$(curl -s --path-as-is -D "$WORK/h.pub" -o "$WORK/b.pub" -w '%{http_code}' "$@" "$PUB$_path")
	_dav=$(curl -s --path-as-is -D "$WORK/h.dav" -o "$WORK/b.dav" -w '%{http_code}' "$@" "$DAV$_path")
	_diff=
	[ "$_pub" = "$_dav" ] || _diff="status $_pub vs $_dav"
	sed -i "s/127\.0\.0\.1:$PORT/HOST/g" "$WORK/b.pub"
	sed -i "s/127\.0\.0\.1:$DAV_PORT/HOST/g" "$WORK/b.dav"
	[ "$1" = -I ] || cmp -s "$WORK/b.pub" "$WORK/b.dav" || _diff="$_diff body"
	for _k in $KEYS; do
		[ "$(header_of "$_k" "$WORK/h.pub")" = "$(header_of "$_k" "$WORK/h.dav")" ] ||
		    _diff="$_diff $_k"
	done
	if [ -z "$_diff" ]; then ok "$_name ($_pub)"; else not_ok "$_name"; diag "differs: $_diff"; fi
}
FW=/release/download/firmware.json
IMG=/beta/download/app-platform/10003/app-platform-x86_64.img
ETAG=$(curl -s -D - -o /dev/null "$PUB$FW" | header_of ETag /dev/stdin)
same_answer "GET home page" /
same_answer "GET firmware.json" $FW
same_answer "HEAD firmware.json" $FW -I
same_answer "GET a build file" $IMG
same_answer "HEAD a build file" $IMG -I
same_answer "GET a range" $IMG -r 10-99
same_answer "GET If-None-Match (304)" $FW -H "If-None-Match: $ETAG"
same_answer "GET a missing file (404)" /release/download/nothing.bin
same_answer "GET outside the tree (404)" /release/catalog.json
same_answer "GET dot-dot path" /release/download/../catalog.json
same_answer "GET download.htm" /release/download.htm

# --- OPTIONS, the handler table, 405 -------------------------------------
curl -s -D "$WORK/h" -o /dev/null -X OPTIONS "$DAV/"
is "OPTIONS has DAV: 1, 2" "$(header_of DAV "$WORK/h")" "1, 2"
like "OPTIONS has Allow with the WebDAV methods" "$(header_of Allow "$WORK/h")" \
    "PROPFIND.*PROPPATCH.*LOCK, UNLOCK"
# status_body CURL ARGS...: the status, a space, the body.
status_body() {
	_st=$(curl -s -o "$WORK/b" -w '%{http_code}' "$@")
	printf '%s %s' "$_st" "$(cat "$WORK/b")"
}
like "PROPFIND reaches the handler table (501 naming it)" \
    "$(status_body -X PROPFIND "$DAV/release/download/")" "^501 501 PROPFIND is not implemented"
like "MKCOL reaches the handler table" "$(status_body -X MKCOL "$DAV/release/x/")" \
    "^501 501 MKCOL is not implemented"
is "a method outside the table (PATCH) is 501" "$(status_of "$DAV/" -X PATCH)" 501
curl -s -D "$WORK/h" -o /dev/null -T /dev/null "$DAV/release/download/new.bin"
is "PUT outside the scratch folder is 405" "$(head -n 1 "$WORK/h" | cut -d ' ' -f 2)" 405
like "405 carries Allow" "$(header_of Allow "$WORK/h")" "^OPTIONS, GET, HEAD, PUT"

# --- PUT: streamed, bounded memory ----------------------------------------
rss_peak() { awk '/^VmHWM:/ { print $2 }' "/proc/$DAV_PID/status"; }
BIG="$WORK/big.bin"
head -c 1048576 /dev/urandom >"$WORK/mib"
for _ in $(seq 256); do cat "$WORK/mib"; done >"$BIG"
BIG_SUM=$(sha256sum <"$BIG" | cut -d ' ' -f 1)
IDLE_PEAK=$(rss_peak)
diag "idle peak RSS ${IDLE_PEAK} kB"

st=$(curl -s -o /dev/null -D "$WORK/h" -w '%{http_code}' -H 'Expect:' -T "$BIG" "$DAV/scratch/a.bin")
is "PUT 256 MiB with Content-Length: 201" "$st" 201
is "PUT with Content-Length: the file is whole" "$(sha256sum <"$SCRATCH/a.bin" | cut -d ' ' -f 1)" "$BIG_SUM"

st=$(curl -s -o /dev/null -D "$WORK/h" -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
    -T - "$DAV/scratch/b.bin" <"$BIG")
is "PUT 256 MiB chunked: 201" "$st" 201
is "PUT chunked: the file is whole" "$(sha256sum <"$SCRATCH/b.bin" | cut -d ' ' -f 1)" "$BIG_SUM"

st=$(curl -s -o /dev/null -D "$WORK/h" -w '%{http_code}' -H 'Expect: 100-continue' \
    -T "$BIG" "$DAV/scratch/a.bin")
is "PUT 256 MiB with Expect: 100-continue over an existing file: 204" "$st" 204
like "100 Continue was sent" "$(head -n 1 "$WORK/h")" "^HTTP/1.1 100 Continue"
is "PUT with Expect: the file is whole" "$(sha256sum <"$SCRATCH/a.bin" | cut -d ' ' -f 1)" "$BIG_SUM"

PEAK=$(rss_peak)
diag "peak RSS after the PUTs ${PEAK} kB"
check "peak RSS under idle + 16 MB after 3 x 256 MiB PUTs" [ $((PEAK - IDLE_PEAK)) -lt 16384 ]

curl -s -o /dev/null -D "$WORK/h" -H 'Expect: 100-continue' --data-binary @"$WORK/mib" \
    -X PUT "$DAV/release/download/x.bin"
check "no 100 Continue when the handler refuses the body" \
    sh -c "! grep -q '100 Continue' '$WORK/h' && head -n 1 '$WORK/h' | grep -q ' 405 '"

# A PUT cut by the client: nothing under its name, no temporary file.
exec 3<>"/dev/tcp/127.0.0.1/$DAV_PORT"
printf 'PUT /scratch/cut.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n' >&3
head -c 300000 "$WORK/mib" >&3
exec 3<&- 3>&-
sleep 1
check "a cut PUT leaves no file under its name" [ ! -e "$SCRATCH/cut.bin" ]
is "a cut PUT leaves no temporary file" "$(ls -A "$SCRATCH" | grep -c '^\.put')" 0

# --- limits ------------------------------------------------------------------
# raw_exchange REQUEST-FILE: the whole answer until the server closes (at
# most 10 s); the exit status of the read says whether it closed.
raw_exchange() {
	exec 3<>"/dev/tcp/127.0.0.1/$DAV_PORT" || return 1
	cat "$1" >&3
	timeout 10 cat <&3 >"$WORK/answer"
	_rc=$?
	exec 3<&- 3>&-
	return $_rc
}
{ printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Long: '; head -c 20000 /dev/zero | tr '\0' a
  printf '\r\n\r\n'; } >"$WORK/req"
check "an over-long head: the server closes" raw_exchange "$WORK/req"
like "an over-long head: 431" "$(head -n 1 "$WORK/answer")" "^HTTP/1.1 431 "
{ printf 'GET / HTTP/1.1\r\nHost: x\r\n'
  for i in $(seq 100); do printf 'X-F%d: v\r\n' "$i"; done; printf '\r\n'; } >"$WORK/req"
raw_exchange "$WORK/req"
like "too many fields: 431" "$(head -n 1 "$WORK/answer")" "^HTTP/1.1 431 "

head -c 10000 /dev/zero | tr '\0' x >"$WORK/xml"
is "a body over the in-memory limit: 413" \
    "$(status_of "$DAV/release/" -X PROPFIND --data-binary @"$WORK/xml")" 413
is "a chunked body over the in-memory limit: 413" \
    "$(status_of "$DAV/release/" -X PROPFIND -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/xml")" 413
body=$(curl -s -X PROPFIND --data-binary '<propfind xmlns="DAV:"><allprop/></propfind>' "$DAV/release/")
like "a body under the limit is collected" "$body" "body of 44 bytes"

PORT=$DAV_PORT
is "a second Content-Length: 400" "$(raw_status \
    'PUT /scratch/y HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab' 2>/dev/null)" 400
is "HTTP/1.1 without Host: 400" "$(raw_status 'GET / HTTP/1.1\r\n\r\n')" 400
is "an unknown method: 501" "$(raw_status 'FROB / HTTP/1.1\r\nHost: x\r\n\r\n')" 501

{ printf 'GET / HTTP/1.1\r\nHost: x\r\n'
  for i in $(seq 10); do printf 'X-F%d: ' "$i"; head -c 3000 /dev/zero | tr '\0' a; printf '\r\n'; done
  printf '\r\n'; } >"$WORK/req"
raw_exchange "$WORK/req"
like "a head over 16 KiB in short lines: 431" "$(head -n 1 "$WORK/answer")" "^HTTP/1.1 431 "

# An error the engine makes itself (400) to a HEAD: no body either.
printf 'HEAD / HTTP/1.1\r\n\r\n' >"$WORK/req"
raw_exchange "$WORK/req"
like "HEAD refused by the engine: 400" "$(head -n 1 "$WORK/answer")" "^HTTP/1.1 400 "
is "HEAD refused by the engine: no body" \
    "$(tail -c 4 "$WORK/answer" | od -An -tx1 | tr -d ' \n')" 0d0a0d0a

# Idle timeout (2 s): a silent connection is closed.
exec 3<>"/dev/tcp/127.0.0.1/$DAV_PORT"
timeout 10 cat <&3 >/dev/null
check "an idle connection is closed by the server" [ $? -eq 0 ]
exec 3<&- 3>&-

# Connection limit (8): a ninth connection gets 503, the first ones still work.
for fd in 3 4 5 6 7 8 9 10; do eval "exec $fd<>/dev/tcp/127.0.0.1/$DAV_PORT"; done
printf 'OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n' >&3
sleep 0.3
is "a connection over the limit: 503" "$(status_of "$DAV/" -m 5 -H 'Connection: close')" 503
for fd in 4 5 6 7 8 9 10; do eval "exec $fd<&- $fd>&-"; done
like "a connection within the limit is served" "$(timeout 5 head -n 1 <&3)" "^HTTP/1.1 200 "
exec 3<&- 3>&-
sleep 0.3
is "connections free again: served" "$(status_of "$DAV/" -X OPTIONS -m 5)" 200

# The header timeout (2 s) is for the whole head: a client trickling a
# byte every half second is still closed (within 10 s).
exec 3<>"/dev/tcp/127.0.0.1/$DAV_PORT"
printf 'GET / HTTP/1.1\r\nHost: x\r\n' >&3
closed=no
for _ in $(seq 20); do
	sleep 0.5
	( printf 'X' >&3 ) 2>/dev/null || { closed=yes; break; }
done
exec 3<&- 3>&-
is "a head trickled byte by byte is closed (header timeout)" "$closed" yes

# The body timeout (5 s without progress): a stalled PUT is closed and
# leaves nothing.
exec 3<>"/dev/tcp/127.0.0.1/$DAV_PORT"
printf 'PUT /scratch/stall.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789' >&3
timeout 20 cat <&3 >/dev/null
check "a stalled body is closed by the server" [ $? -eq 0 ]
exec 3<&- 3>&-
check "a stalled PUT leaves no file" [ ! -e "$SCRATCH/stall.bin" ]
is "a stalled PUT leaves no temporary file" "$(ls -A "$SCRATCH" | grep -c '^\.put')" 0

# --- pipelining ---------------------------------------------------------------
printf 'GET /release/download/nothing HTTP/1.1\r\nHost: x\r\n\r\nMOVE /a HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS / HTTP/1.1\r\nHost: x\r\n\r\nPROPFIND / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloHEAD /release/download/firmware.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$WORK/req"
raw_exchange "$WORK/req"
is "pipelined requests answered in order" \
    "$(grep -a '^HTTP/1.1 ' "$WORK/answer" | cut -d ' ' -f 2 | tr '\n' ' ')" "404 501 200 501 200 "
like "the pipelined PROPFIND got its own body" "$(cat "$WORK/answer")" "body of 5 bytes"
like "the last pipelined request (Connection: close) is answered with close" \
    "$(tail -n 8 "$WORK/answer" | tr -d '\r')" "^Connection: close$"
is "the pipelined HEAD got no body (the answer ends with its head)" \
    "$(tail -c 4 "$WORK/answer" | od -An -tx1 | tr -d ' \n')" 0d0a0d0a

# A client that leaves while its handler still works: the handler is told
# (abort), nothing leaks or is used after the free (the clean stop below).
exec 3<>"/dev/tcp/127.0.0.1/$DAV_PORT"
printf 'MOVE /a HTTP/1.1\r\nHost: x\r\n\r\n' >&3
exec 3<&- 3>&-
sleep 0.5
is "the probe still serves after a client left a waiting handler" "$(status_of "$DAV/" -X OPTIONS)" 200

# --- clean stop ------------------------------------------------------------
kill -TERM $DAV_PID
wait $DAV_PID
is "the probe exits 0 on SIGTERM (no sanitizer report)" "$?" 0
[ -s "$WORK/probe.err" ] && diag "$(head -n 20 "$WORK/probe.err")"
check "storesrv stops cleanly" stop_storesrv 10
done_testing
