#!/bin/bash
# The mirror's fetcher (mirror/fetch.h) through fetch_probe against the real
# storesrv serving the demo store: whole files, a 256 MiB sparse file with
# a small peak RSS, resume with Range + If-Range, a changed file restarting
# from 0, 404, 304, HEAD (head_only: sizes, nothing written), a stalled
# server (python3 on 127.0.0.1) and a refused connection retried.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transfer_servers.sh"
PROBE="$top_builddir/tests/integration/fetch_probe"
[ -x "$STORESRV" ] || skip_all "storesrv not built"
[ -x "$PROBE" ] || skip_all "fetch_probe not built"
command -v cmp >/dev/null || skip_all "cmp missing"
make_fetch_store || skip_all "store-demo failed"
head -c 3000000 /dev/urandom >"$DL/$B/mid.bin"
truncate -s 256M "$DL/$B/big.bin"
start_storesrv "$ROOT" || { not_ok "storesrv started"; done_testing; exit 1; }
U="$BASE/release/download"

# field NAME LINE: the value of NAME=... in a probe line.
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# URL joining
is "join: base and path" "$("$PROBE" -j "$U" "$B/ip0013.bin")" "$U/$B/ip0013.bin"
is "join: a trailing slash and an escaped byte" "$("$PROBE" -j "$U/" "a b/c%d")" "$U/a%20b/c%25d"
is "join: an https base" "$("$PROBE" -j "https://h:8443/x/" "a")" "https://h:8443/x/a"
for bad in "ftp://h/x" "http://u@h/x" "http://h/x?q=1" "http://h/x#f" "h/x" "http:///x"; do
	like "join refuses $bad" "$("$PROBE" -j "$bad" "a")" "^error: "
done
like "an IPv6 address literal is refused clearly" "$("$PROBE" "$OUT" v6 "http://[::1]:1/x" | grep '^error:')" \
    "IPv6 address literals are not supported"
like "join refuses an absolute path" "$("$PROBE" -j "$U" "/etc/passwd")" "^error: "

# Whole files, two over one fetcher (the kept connection)
out=$("$PROBE" "$OUT" a.tmp "$U/$B/ip0013.bin" b.tmp "$U/$B/mid.bin")
is "two whole files fetched" "$?" 0
line=$(printf '%s\n' "$out" | sed -n 2p)
is "200 for the second file" "$(field status "$line")" 200
check "the first file equals the one on disk" cmp -s "$OUT/a.tmp" "$DL/$B/ip0013.bin"
check "the second file equals the one on disk" cmp -s "$OUT/b.tmp" "$DL/$B/mid.bin"
check "no sidecar is left after a complete fetch" test ! -e "$OUT/b.tmp.etag"
ETAG=$(field etag "$line")
like "the ETag is reported" "$ETAG" '^".+"$'

# A 256 MiB sparse file, streamed: the peak RSS stays small
# (ASan's quarantine of freed blocks would count toward the RSS: kept small)
out=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4" \
    "$PROBE" "$OUT" big.tmp "$U/$B/big.bin")
is "the 256 MiB file fetched" "$?" 0
check "the 256 MiB file equals the one on disk" cmp -s "$OUT/big.tmp" "$DL/$B/big.bin"
rss=$(field maxrss_kb "$(printf '%s\n' "$out" | tail -n 1)")
diag "peak RSS fetching 256 MiB: $rss KiB"
check "peak RSS under 32 MiB while fetching 256 MiB" test "${rss:-999999}" -lt 32768
rm -f "$OUT/big.tmp"

# Resume: a partial file and the validator saved when it began
head -c 1000000 "$DL/$B/mid.bin" >"$OUT/r.tmp"
printf '%s' "$ETAG" >"$OUT/r.tmp.etag"
line=$("$PROBE" -r "$OUT" r.tmp "$U/$B/mid.bin" | head -n 1)
is "a partial file resumes with 206" "$(field status "$line")" 206
is "resumed is reported" "$(field resumed "$line")" 1
is "only the missing bytes are fetched" "$(field received "$line")" 2000000
check "the resumed file equals the one on disk" cmp -s "$OUT/r.tmp" "$DL/$B/mid.bin"
check "the sidecar is removed once complete" test ! -e "$OUT/r.tmp.etag"

# Without -r, or without a sidecar, the file is fetched from byte 0
head -c 1000000 "$DL/$B/mid.bin" >"$OUT/r.tmp"
line=$("$PROBE" -r "$OUT" r.tmp "$U/$B/mid.bin" | head -n 1)
is "no sidecar: 200 from byte 0" "$(field status "$line"):$(field received "$line")" 200:3000000
check "and the file is whole" cmp -s "$OUT/r.tmp" "$DL/$B/mid.bin"

# A changed file (another ETag): If-Range fails, the fetch restarts from 0
head -c 1000000 "$DL/$B/mid.bin" >"$OUT/c.tmp"
printf '%s' "$ETAG" >"$OUT/c.tmp.etag"
sleep 1.1
head -c 3000000 /dev/urandom >"$DL/$B/mid.new" && mv "$DL/$B/mid.new" "$DL/$B/mid.bin"
line=$("$PROBE" -r "$OUT" c.tmp "$U/$B/mid.bin" | head -n 1)
is "a changed file answers 200" "$(field status "$line")" 200
is "and is not reported resumed" "$(field resumed "$line")" 0
NEW_ETAG=$(field etag "$line")
check "its ETag differs" test "$NEW_ETAG" != "$ETAG"
check "the restarted file equals the new one" cmp -s "$OUT/c.tmp" "$DL/$B/mid.bin"

# 404: reported, nothing written
line=$("$PROBE" "$OUT" n.tmp "$U/$B/x86_64/nosuch/nosuch.bin" | head -n 1)
is "404 returns success" "$?" 0
is "404 reported" "$(field status "$line")" 404
check "nothing written for a 404" test ! -e "$OUT/n.tmp"

# HEAD (head_only): the size from Content-Length and the ETag, no file
# written, over the same kept connection as a GET; 404 as for a GET
out=$("$PROBE" -H "$OUT" h.tmp "$U/$B/mid.bin" h404.tmp "$U/$B/x86_64/nosuch/nosuch.bin")
is "HEAD of two files returns success" "$?" 0
line=$(printf '%s\n' "$out" | sed -n 1p)
is "HEAD: 200, its size reported, no body byte received, one attempt" \
    "$(field status "$line") $(field expected "$line") $(field size "$line") $(field received "$line") $(field attempts "$line")" \
    "200 $(stat -c %s "$DL/$B/mid.bin") $(stat -c %s "$DL/$B/mid.bin") 0 1"
is "HEAD: the ETag reported is the GET's" "$(field etag "$line")" "$NEW_ETAG"
check "HEAD: no file written (nor a sidecar)" test ! -e "$OUT/h.tmp" -a ! -e "$OUT/h.tmp.etag"
is "HEAD: a 404 reported like a GET's, nothing written" \
    "$(field status "$(printf '%s\n' "$out" | sed -n 2p)") $(test -e "$OUT/h404.tmp" && echo written)" "404 "
# A partial file and its sidecar are left alone by a HEAD (-r ignored)
head -c 1000 "$DL/$B/mid.bin" >"$OUT/hp.tmp"
printf '%s' "$NEW_ETAG" >"$OUT/hp.tmp.etag"
line=$("$PROBE" -H -r "$OUT" hp.tmp "$U/$B/mid.bin" | head -n 1)
is "HEAD with -r: 200 (no Range sent), the whole file's size" \
    "$(field status "$line") $(field expected "$line")" "200 $(stat -c %s "$DL/$B/mid.bin")"
check "... the partial file and its sidecar untouched" \
    sh -c "test \$(stat -c %s '$OUT/hp.tmp') = 1000 && test -e '$OUT/hp.tmp.etag'"
# Many HEADs at once through transfer_run(): sizes, no sha256, nothing
# written, none counted as expected body bytes
out=$("$PROBE" -H -T -p 2 "$OUT" t1.tmp "$U/$B/mid.bin" t2.tmp "$U/$B/ip0013.bin" \
    t3.tmp "$U/apps.json" t4.tmp "$U/$B/nosuch.bin")
is "HEAD through transfer_run: success" "$?" 0
is "... sizes of each (404 for the missing one), no sha256" \
    "$(printf '%s\n' "$out" | head -n 4 | while read -r l; do printf '%s:%s:%s ' "$(field status "$l")" "$(field expected "$l")" "$(field sha256 "$l")"; done)" \
    "200:$(stat -c %s "$DL/$B/mid.bin"):- 200:$(stat -c %s "$DL/$B/ip0013.bin"):- 200:$(stat -c %s "$DL/apps.json"):- 404:0:- "
is "... nothing written" "$(ls "$OUT" | grep -c '^t[0-9]\.tmp')" 0
like "... progress: 4 done, 0 body bytes, 0 expected" "$(printf '%s\n' "$out" | grep '^progress')" \
    ' done=4 failed=0 received=0 expected=0 '

# Conditional GET of an index: 304 with If-None-Match, nothing written
line=$("$PROBE" "$OUT" apps.tmp "$U/apps.json" | head -n 1)
IETAG=$(field etag "$line")
check "apps.json fetched" cmp -s "$OUT/apps.tmp" "$DL/apps.json"
rm -f "$OUT/apps.tmp"
line=$("$PROBE" -e "$IETAG" "$OUT" apps.tmp "$U/apps.json" | head -n 1)
is "304 with If-None-Match" "$(field status "$line")" 304
check "nothing written for a 304" test ! -e "$OUT/apps.tmp"
line=$("$PROBE" -e '"other"' "$OUT" apps.tmp "$U/apps.json" | head -n 1)
is "200 with another ETag" "$(field status "$line")" 200

check "storesrv stops cleanly" stop_storesrv 10

# A server that accepts and never answers: the stall timeout fires
if command -v python3 >/dev/null; then
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept(); time.sleep(30)' "$WORK/stall.port" &
	PY=$!
	i=0; while [ ! -s "$WORK/stall.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	t0=$(date +%s)
	out=$("$PROBE" -s 1 "$OUT" s.tmp "http://127.0.0.1:$(cat "$WORK/stall.port")/x")
	rc=$?
	t1=$(date +%s)
	hout=$("$PROBE" -H -s 1 "$OUT" s.tmp "http://127.0.0.1:$(cat "$WORK/stall.port")/x")
	kill "$PY" 2>/dev/null; wait "$PY" 2>/dev/null
	is "a HEAD to a stalled server fails as a stall" "$(field fail "$(printf '%s\n' "$hout" | head -n 1)")" 2
	is "a stalled server fails the fetch" "$rc" 1
	is "the failure is a stall" "$(field fail "$(printf '%s\n' "$out" | head -n 1)")" 2
	check "within a few seconds" test $((t1 - t0)) -le 4
	# A redirect is not followed; the error says where it pointed (escaped).
	timeout 30 python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(301)
        self.send_header("Location", "https://elsewhere.example/release/download/x\x1b[31m")
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.handle_request()' "$WORK/redir.port" &
	PY=$!
	i=0; while [ ! -s "$WORK/redir.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	out=$("$PROBE" -n 0 "$OUT" redir.tmp "http://127.0.0.1:$(cat "$WORK/redir.port")/x")
	kill "$PY" 2>/dev/null; wait "$PY" 2>/dev/null
	like "a redirect is not followed: the error names its Location, escaped" "$out" \
	    'HTTP status 301, redirected to https://elsewhere.example/release/download/x\\x1b\[31m \(redirects are not followed'
	check "... and nothing is written" test ! -e "$OUT/redir.tmp"
	# A closed port: refused, retried, then failing
	FREE=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	out=$("$PROBE" -n 2 -b 50 "$OUT" f.tmp "http://127.0.0.1:$FREE/x")
	is "a refused connection fails" "$?" 1
	line=$(printf '%s\n' "$out" | head -n 1)
	is "after 3 attempts (2 retries)" "$(field attempts "$line")" 3
	is "the failure is a connection failure" "$(field fail "$line")" 1
	# A flaky server: two 503s, then a body cut halfway, then the rest on
	# Range + If-Range: one call retries through all of it
	python3 -c '
import http.server, sys
n = [0]
body = b"0123456789" * 1000
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        n[0] += 1
        if n[0] <= 2:
            self.send_response(503); self.send_header("Content-Length", "0"); self.end_headers(); return
        rng = self.headers.get("Range"); ir = self.headers.get("If-Range")
        if n[0] == 3:
            self.send_response(200); self.send_header("ETag", "\"v1\"")
            self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body[:4000]); self.wfile.flush(); self.close_connection = True
            self.connection.shutdown(2); return
        if rng == "bytes=4000-" and ir == "\"v1\"":
            self.send_response(206); self.send_header("ETag", "\"v1\"")
            self.send_header("Content-Range", "bytes 4000-%d/%d" % (len(body) - 1, len(body)))
            self.send_header("Content-Length", str(len(body) - 4000)); self.end_headers()
            self.wfile.write(body[4000:]); return
        self.send_response(400); self.send_header("Content-Length", "0"); self.end_headers()
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()' "$WORK/flaky.port" &
	PY=$!
	i=0; while [ ! -s "$WORK/flaky.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	out=$("$PROBE" -n 3 -b 50 "$OUT" k.tmp "http://127.0.0.1:$(cat "$WORK/flaky.port")/k")
	rc=$?
	kill "$PY" 2>/dev/null; wait "$PY" 2>/dev/null
	line=$(printf '%s\n' "$out" | head -n 1)
	is "5xx and a cut body retried to success" "$rc" 0
	is "in 4 attempts, the last one a 206" "$(field attempts "$line"):$(field status "$line"):$(field resumed "$line")" 4:206:1
	check "the file is whole" test "$(cat "$OUT/k.tmp")" = "$(python3 -c 'print("0123456789" * 1000, end="")')"
	# HEAD retried as a GET is: two 503s, then 200 with its Content-Length;
	# a 200 without Content-Length is a protocol failure (the size is the point)
	python3 -c '
import http.server, sys
n = [0]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_HEAD(self):
        n[0] += 1
        if self.path == "/nolen":
            self.send_response(200); self.send_header("Connection", "close"); self.end_headers(); return
        if n[0] <= 2:
            self.send_response(503); self.send_header("Content-Length", "0"); self.end_headers(); return
        self.send_response(200); self.send_header("ETag", "\"h1\"")
        self.send_header("Content-Length", "123456789"); self.end_headers()
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()' "$WORK/head.port" &
	PY=$!
	i=0; while [ ! -s "$WORK/head.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	out=$("$PROBE" -H -n 3 -b 50 "$OUT" hr.tmp "http://127.0.0.1:$(cat "$WORK/head.port")/f" \
	    hn.tmp "http://127.0.0.1:$(cat "$WORK/head.port")/nolen")
	kill "$PY" 2>/dev/null; wait "$PY" 2>/dev/null
	line=$(printf '%s\n' "$out" | head -n 1)
	is "HEAD: two 503s retried, then the size of the 200" \
	    "$(field attempts "$line"):$(field status "$line"):$(field expected "$line"):$(field etag "$line")" '3:200:123456789:"h1"'
	line=$(printf '%s\n' "$out" | grep '^status=' | sed -n 2p)
	like "HEAD: the error says the Content-Length is missing" "$(printf '%s\n' "$out" | grep '^error:')" \
	    '/nolen: HEAD: 200 without a valid Content-Length'
	is "HEAD: a 200 without Content-Length fails once, as a protocol failure" \
	    "$(field fail "$line"):$(field attempts "$line")" 4:1
	check "HEAD: nothing written by either" test ! -e "$OUT/hr.tmp" -a ! -e "$OUT/hn.tmp"
	# An HTTP/1.0 server (python3's file server) closes each connection after
	# its answer: the fetcher does not reuse it, so no fetch fails on a closed
	# connection, without retries, GET or HEAD, one after the other or at once
	timeout 60 python3 -c '
import functools, http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=sys.argv[2]))
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()' "$WORK/h10.port" "$DL" &
	PY=$!
	i=0; while [ ! -s "$WORK/h10.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	H10="http://127.0.0.1:$(cat "$WORK/h10.port")"
	set --
	for i in 1 2 3 4 5 6 7 8; do set -- "$@" "o$i.tmp" "$H10/$B/ip0013.bin"; done
	out=$("$PROBE" -n 0 "$OUT" "$@")
	is "HTTP/1.0 server: 8 GETs in turn on one fetcher, none failing" \
	    "$?:$(printf '%s\n' "$out" | grep -c '^status=200 ')" 0:8
	out=$("$PROBE" -n 0 -H -T -p 4 "$OUT" "$@" "$@" "$@")
	is "HTTP/1.0 server: 24 HEADs 4 at a time, none failing" \
	    "$?:$(printf '%s\n' "$out" | grep -c '^status=200 ')" 0:24
	kill "$PY" 2>/dev/null; wait "$PY" 2>/dev/null
	# A response head over the limit (64 KiB): a protocol failure, not retried
	python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
for i in range(3):
    c, _ = s.accept(); c.recv(4096)
    c.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 100000 + b"\r\nContent-Length: 1\r\n\r\nx")
    c.close()' "$WORK/big.port" &
	PY=$!
	i=0; while [ ! -s "$WORK/big.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	out=$("$PROBE" -n 2 -b 10 "$OUT" h.tmp "http://127.0.0.1:$(cat "$WORK/big.port")/h")
	kill "$PY" 2>/dev/null; wait "$PY" 2>/dev/null
	line=$(printf '%s\n' "$out" | head -n 1)
	is "a 100 KB response head fails once, as a protocol failure" \
	    "$(field fail "$line"):$(field attempts "$line")" 4:1
	like "and says why" "$(printf '%s\n' "$out" | grep '^error:')" "over-long response head"
else
	diag "python3 missing: stall and refusal not tested"
fi

done_testing
