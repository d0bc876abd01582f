#!/bin/bash
# The public read path of storesrv, with curl against the real daemon:
# headers, HEAD, conditionals, ranges, CORS (errors included), methods,
# security headers, the download page, the home page, keep-alive, large files
# by sendfile, a table of attack requests (symlinks out of download/ too), and
# revalidation of changed files on a one-thread server.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip_all "curl not installed"
ROOT="$WORK/root"
make_demo_store "$ROOT" || { not_ok "demo store generated"; done_testing; exit 1; }
DL="$ROOT/release/download"

# Fixtures beyond the demo store: a 1 MiB file for ranges, a 96 MiB file for
# memory use, symlinks inside and outside the root.
head -c 1048576 /dev/urandom >"$DL/blob.bin"
head -c 100663296 /dev/urandom >"$DL/large.img"
mkdir -p "$WORK/outside" && echo secret >"$WORK/outside/secret.txt"
ln -s "$WORK/outside/secret.txt" "$DL/evil-abs.txt"
ln -s ../../../outside/secret.txt "$DL/evil-rel.txt"
ln -s "$WORK/outside" "$DL/evil-dir"
ln -s firmware.json "$DL/alias.json"
ln -s . "$DL/self"
echo hidden >"$DL/.firmware.json.tmp-abc123"
# Symlinks that stay in the root but leave download/: never served.
mkdir -p "$ROOT/.staging" && echo staged >"$ROOT/.staging/x"
ln -s ../catalog.json "$DL/cat.json"
ln -s ../.lock "$DL/lock"
ln -s ../../.staging/x "$DL/staged"
ln -s .. "$DL/up"
mkdir -p "$ROOT/trick" && echo secret >"$ROOT/trick/secret.txt" && ln -s . "$ROOT/trick/download"
ln -s release "$ROOT/latest"
# Active content in a build folder, a channel folder named like markup.
BUILD_DIR=$(cd "$DL" && ls -d [1-9]* | head -n 1)
echo '<script>alert(1)</script>' >"$DL/$BUILD_DIR/page.htm"
echo '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' >"$DL/$BUILD_DIR/icon.svg"
mkdir -p "$ROOT/<script>/download"

check "storesrv starts on 127.0.0.1 with port 0" start_storesrv "$ROOT" --access-log "$WORK/access.log"
diag "port $PORT"

# hdr NAME URL [CURL ARGS...]: "<status> <value of header NAME>".
hdr() {
	_n=$1; _u=$2; shift 2
	curl -s -D "$WORK/hdr" -o /dev/null --path-as-is "$@" "$_u" >/dev/null
	echo "$(head -n 1 "$WORK/hdr" | tr -d '\r' | cut -d ' ' -f 2) $(header_of "$_n" "$WORK/hdr")"
}

# --- GET of an index ------------------------------------------------------
H="$WORK/h"
curl -s -D "$H" -o "$WORK/fw.json" "$BASE/release/download/firmware.json"
is "GET firmware.json: 200" "$(head -n 1 "$H" | tr -d '\r' | cut -d ' ' -f 2)" 200
is "GET firmware.json: Content-Type" "$(header_of Content-Type "$H")" "application/json"
is "GET firmware.json: Content-Length equals the body" "$(header_of Content-Length "$H")" "$(stat -c %s "$WORK/fw.json")"
cmp -s "$WORK/fw.json" "$DL/firmware.json" && ok "GET firmware.json: body is the file" || not_ok "GET firmware.json: body is the file"
ETAG=$(header_of ETag "$H")
LM=$(header_of Last-Modified "$H")
like "GET: strong ETag" "$ETAG" '^"[0-9a-f]+-[0-9a-f]+"$'
like "GET: Last-Modified is an HTTP date" "$LM" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$'
is "GET: CORS allows any origin" "$(header_of Access-Control-Allow-Origin "$H")" "*"
is "GET: Accept-Ranges" "$(header_of Accept-Ranges "$H")" "bytes"
is "GET index: Cache-Control no-cache" "$(header_of Cache-Control "$H")" "no-cache"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/fw.json" && ok "firmware.json parses as JSON" || not_ok "firmware.json parses as JSON"
for idx in apps firmware software linux phoneplatform; do
	is "GET $idx.json: 200" "$(status_of "$BASE/release/download/$idx.json")" 200
done
is "query strings are ignored" "$(status_of "$BASE/release/download/firmware.json?v=1")" 200
is "beta channel served too" "$(status_of "$BASE/beta/download/apps.json")" 200

# --- HEAD -------------------------------------------------------------------
curl -s -I -D "$H" -o "$WORK/head.body" "$BASE/release/download/blob.bin"
is "HEAD: 200" "$(head -n 1 "$H" | tr -d '\r' | cut -d ' ' -f 2)" 200
is "HEAD: Content-Length of the file" "$(header_of Content-Length "$H")" 1048576
is "HEAD: Content-Type" "$(header_of Content-Type "$H")" "application/octet-stream"
is "HEAD: no body" "$(raw_len=$(printf 'HEAD /release/download/firmware.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat >&3; cat <&3" | sed '1,/^\r$/d' | wc -c); echo $raw_len)" 0

# --- conditionals -----------------------------------------------------------
is "If-None-Match with the ETag: 304" "$(status_of "$BASE/release/download/firmware.json" -H "If-None-Match: $ETAG")" 304
is "If-None-Match with a list holding it: 304" "$(status_of "$BASE/release/download/firmware.json" -H "If-None-Match: \"x\", $ETAG")" 304
is "If-None-Match with another ETag: 200" "$(status_of "$BASE/release/download/firmware.json" -H 'If-None-Match: "other"')" 200
is "If-None-Match: * : 304" "$(status_of "$BASE/release/download/firmware.json" -H 'If-None-Match: *')" 304
is "If-Modified-Since = Last-Modified: 304" "$(status_of "$BASE/release/download/firmware.json" -H "If-Modified-Since: $LM")" 304
is "If-Modified-Since long ago: 200" "$(status_of "$BASE/release/download/firmware.json" -H "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT")" 200
is "If-Modified-Since garbage is ignored: 200" "$(status_of "$BASE/release/download/firmware.json" -H "If-Modified-Since: yesterday")" 200
is "If-None-Match wins over If-Modified-Since: 200" "$(status_of "$BASE/release/download/firmware.json" -H 'If-None-Match: "other"' -H "If-Modified-Since: $LM")" 200
is "If-Match with another ETag: 412" "$(status_of "$BASE/release/download/firmware.json" -H 'If-Match: "other"')" 412
is "If-Match with the ETag: 200" "$(status_of "$BASE/release/download/firmware.json" -H "If-Match: $ETAG")" 200
curl -s -D "$H" -o /dev/null -H "If-None-Match: $ETAG" "$BASE/release/download/firmware.json"
is "304 carries the ETag" "$(header_of ETag "$H")" "$ETAG"

# --- ranges -----------------------------------------------------------------
BLOB_ETAG=$(curl -s -I "$BASE/release/download/blob.bin" | grep -i '^etag:' | sed 's/^[^:]*: *//; s/\r$//')
curl -s -D "$H" -o "$WORK/part" -H "Range: bytes=100-199" "$BASE/release/download/blob.bin"
is "Range 100-199: 206" "$(head -n 1 "$H" | tr -d '\r' | cut -d ' ' -f 2)" 206
is "Range 100-199: Content-Range" "$(header_of Content-Range "$H")" "bytes 100-199/1048576"
is "Range 100-199: Content-Length 100" "$(header_of Content-Length "$H")" 100
cmp -s "$WORK/part" <(tail -c +101 "$DL/blob.bin" | head -c 100) && ok "Range 100-199: the right bytes" || not_ok "Range 100-199: the right bytes"
curl -s -D "$H" -o "$WORK/part" -H "Range: bytes=-10" "$BASE/release/download/blob.bin"
is "suffix range: Content-Range" "$(header_of Content-Range "$H")" "bytes 1048566-1048575/1048576"
cmp -s "$WORK/part" <(tail -c 10 "$DL/blob.bin") && ok "suffix range: the last 10 bytes" || not_ok "suffix range: the last 10 bytes"
curl -s -D "$H" -o "$WORK/part" -H "Range: bytes=1048000-" "$BASE/release/download/blob.bin"
is "open range: 576 bytes" "$(stat -c %s "$WORK/part")" 576
curl -s -D "$H" -o /dev/null -H "Range: bytes=2000000-" "$BASE/release/download/blob.bin"
is "unsatisfiable range: 416" "$(head -n 1 "$H" | tr -d '\r' | cut -d ' ' -f 2)" 416
is "416 names the size" "$(header_of Content-Range "$H")" "bytes */1048576"
is "multiple ranges: whole file, 200" "$(status_of "$BASE/release/download/blob.bin" -H 'Range: bytes=0-1,5-6')" 200
is "invalid range ignored: 200" "$(status_of "$BASE/release/download/blob.bin" -H 'Range: bytes=9-2')" 200
is "If-Range with the ETag: 206" "$(status_of "$BASE/release/download/blob.bin" -H 'Range: bytes=0-0' -H "If-Range: $BLOB_ETAG")" 206
is "If-Range with another ETag: 200" "$(status_of "$BASE/release/download/blob.bin" -H 'Range: bytes=0-0' -H 'If-Range: "stale"')" 200
curl -s -o "$WORK/resumed" -r 0-524287 "$BASE/release/download/blob.bin"
curl -s -C 524288 -o - "$BASE/release/download/blob.bin" >>"$WORK/resumed"
cmp -s "$WORK/resumed" "$DL/blob.bin" && ok "curl -C resumes a download exactly" || not_ok "curl -C resumes a download exactly"

# --- CORS preflight and methods ---------------------------------------------
curl -s -D "$H" -o /dev/null -X OPTIONS -H 'Origin: http://pbx.example' \
    -H 'Access-Control-Request-Method: GET' "$BASE/release/download/apps.json"
is "OPTIONS preflight: 204" "$(head -n 1 "$H" | tr -d '\r' | cut -d ' ' -f 2)" 204
is "preflight: allowed methods" "$(header_of Access-Control-Allow-Methods "$H")" "GET, HEAD, OPTIONS"
like "preflight: Range allowed" "$(header_of Access-Control-Allow-Headers "$H")" 'Range'
for m in POST PUT DELETE PATCH; do
	is "$m: 405" "$(status_of "$BASE/release/download/apps.json" -X $m)" 405
done
curl -s -D "$H" -o /dev/null -X DELETE "$BASE/release/download/apps.json"
is "405 lists Allow" "$(header_of Allow "$H")" "GET, HEAD, OPTIONS"
test -f "$DL/apps.json" && ok "DELETE did not delete" || not_ok "DELETE did not delete"

# --- the download page ------------------------------------------------------
curl -s -D "$H" -o "$WORK/page" "$BASE/release/download.htm"
is "download.htm: 200" "$(head -n 1 "$H" | tr -d '\r' | cut -d ' ' -f 2)" 200
is "download.htm: text/html" "$(header_of Content-Type "$H")" "text/html; charset=utf-8"
grep -q 'download/apps.json' "$WORK/page" && ok "download.htm links the indexes" || not_ok "download.htm links the indexes"
is "download.htm of another channel is the same page" "$(status_of "$BASE/beta/download.htm")" 200
is "download.htm of a channel that does not exist: 404" "$(status_of "$BASE/nochannel/download.htm")" 404

# --- CORS on every reply under download/, errors included --------------------
is "404 under download/: CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/download/nonexistent.json")" "404 *"
like "404 under download/: exposed headers" "$(hdr Access-Control-Expose-Headers "$BASE/release/download/nonexistent.json")" '^404 .*ETag'
is "the download/ folder itself: 404 with CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/download/")" "404 *"
is "405 under download/: CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/download/apps.json" -X PUT)" "405 *"
is "412 under download/: CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/download/apps.json" -H 'If-Match: "other"')" "412 *"
is "416 under download/: CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/download/blob.bin" -H 'Range: bytes=2000000-')" "416 *"
is "304 under download/: CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/download/firmware.json" -H "If-None-Match: $ETAG")" "304 *"
is "400 under download/: CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/download/%zz")" "400 *"
is "403 under download/: CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/download/.firmware.json.tmp-abc123")" "403 *"
is "414 under download/: CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/download$(printf '/a%.0s' $(seq 1 600))")" "414 *"
is "404 outside download/: no CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/catalog.json")" "404 "

# --- active content: nosniff everywhere, build files sandboxed ----------------
is "an .htm of a build: sandboxed" "$(hdr Content-Security-Policy "$BASE/release/download/$BUILD_DIR/page.htm")" "200 default-src 'none'; sandbox"
is "an .htm of a build: nosniff" "$(hdr X-Content-Type-Options "$BASE/release/download/$BUILD_DIR/page.htm")" "200 nosniff"
is "an .svg of a build: sandboxed" "$(hdr Content-Security-Policy "$BASE/release/download/$BUILD_DIR/icon.svg")" "200 default-src 'none'; sandbox"
is "an .svg of a build: nosniff" "$(hdr X-Content-Type-Options "$BASE/release/download/$BUILD_DIR/icon.svg")" "200 nosniff"
is "HEAD of a build's .htm: sandboxed" "$(hdr Content-Security-Policy "$BASE/release/download/$BUILD_DIR/page.htm" -I)" "200 default-src 'none'; sandbox"
is "an index: not sandboxed" "$(hdr Content-Security-Policy "$BASE/release/download/firmware.json")" "200 "
is "an index: nosniff" "$(hdr X-Content-Type-Options "$BASE/release/download/firmware.json")" "200 nosniff"
is "download.htm: not sandboxed" "$(hdr Content-Security-Policy "$BASE/release/download.htm")" "200 "
is "download.htm: nosniff" "$(hdr X-Content-Type-Options "$BASE/release/download.htm")" "200 nosniff"
is "a 404 elsewhere: nosniff" "$(hdr X-Content-Type-Options "$BASE/nothing")" "404 nosniff"

# --- the home page ----------------------------------------------------------
curl -s -D "$H" -o "$WORK/home" "$BASE/"
is "/: 200" "$(head -n 1 "$H" | tr -d '\r' | cut -d ' ' -f 2)" 200
is "/: text/html" "$(header_of Content-Type "$H")" "text/html; charset=utf-8"
is "/: Cache-Control no-cache" "$(header_of Cache-Control "$H")" "no-cache"
is "/: nosniff" "$(header_of X-Content-Type-Options "$H")" "nosniff"
is "/: Content-Length equals the body" "$(header_of Content-Length "$H")" "$(stat -c %s "$WORK/home")"
for ch in release beta; do
	grep -q "<a href=\"/$ch/download.htm\">$ch</a>" "$WORK/home" && ok "/: links $ch/download.htm" || not_ok "/: links $ch/download.htm"
	grep -q "<code>$BASE/$ch/download</code>" "$WORK/home" && ok "/: the download URL of $ch" || not_ok "/: the download URL of $ch"
	grep -q "<code>$BASE/$ch/download/apps.json</code>" "$WORK/home" && ok "/: the apps.json URL of $ch" || not_ok "/: the apps.json URL of $ch"
done
! grep -q '<script\|&lt;script' "$WORK/home" && ok "/: a folder named <script> is not listed" || not_ok "/: a folder named <script> is not listed"
! grep -q 'trick\|latest' "$WORK/home" && ok "/: channels with a symlinked download/ are not listed" || not_ok "/: channels with a symlinked download/ are not listed"
! grep -Eqi '<(img|link|iframe)|src=' "$WORK/home" && ok "/: self-contained" || not_ok "/: self-contained"
is "/index.htm is the same page" "$(curl -s -o "$WORK/index" -w '%{http_code}' "$BASE/index.htm") $(cmp -s "$WORK/index" "$WORK/home" && echo same)" "200 same"
is "HEAD /: the page's Content-Length" "$(hdr Content-Length "$BASE/" -I)" "200 $(stat -c %s "$WORK/home")"
curl -s -o "$WORK/home2" -H "Host: x'&y" "$BASE/"
! grep -q "x'&y\|x&#39;&amp;y" "$WORK/home2" && ok "/: an odd Host is not used" || not_ok "/: an odd Host is not used"
grep -q '<code>/release/download/apps.json</code>' "$WORK/home2" && ok "/: paths when the Host is unusable" || not_ok "/: paths when the Host is unusable"
is "/: POST is 405" "$(status_of "$BASE/" -X POST)" 405

# --- keep-alive -------------------------------------------------------------
reuse=$(curl -sv -o /dev/null -o /dev/null "$BASE/release/download/apps.json" "$BASE/release/download/firmware.json" 2>&1 | grep -c -i 're-us')
[ "$reuse" -ge 1 ] && ok "keep-alive: the second request reuses the connection" || not_ok "keep-alive: the second request reuses the connection"

# --- attack table: nothing escapes the root ---------------------------------
while read -r want path; do
	[ -z "$want" ] && continue
	is "attack $path -> $want" "$(status_of "$BASE$path")" "$want"
done <<'TABLE'
400 /release/download/../catalog.json
400 /release/download/%2e%2e/catalog.json
400 /release/download/%2E%2E/%2E%2E/etc/passwd
400 /release/download/.%2e/catalog.json
400 /release/download/..%2fcatalog.json
400 /release/download/%2fetc%2fpasswd
400 /release/download/..%5ccatalog.json
400 /release/download/a%00.json
400 /release/download/%0a.json
400 //release/download/firmware.json
400 /release//download/firmware.json
400 /release/./download/firmware.json
400 /release/download/.
400 /release/download/%zz
400 /release/download/%
403 /.staging/x
403 /release/.lock
403 /release/download/.firmware.json.tmp-abc123
403 /release/download/%2efirmware.json.tmp-abc123
404 /release/catalog.json
404 /release/hashes/x
404 /release/download/
404 /release/download
404 /release/download/evil-abs.txt
404 /release/download/evil-rel.txt
404 /release/download/evil-dir/secret.txt
404 /release/download/firmware.json/
404 /release/download/nonexistent.json
404 /release/download/cat.json
404 /release/download/lock
404 /release/download/staged
404 /release/download/up/catalog.json
404 /release/download/up/download/firmware.json
404 /trick/download/secret.txt
404 /trick/download.htm
404 /latest/download/apps.json
404 /latest/download.htm
404 /etc/passwd
403 /..channel/download/x
200 /release/download/alias.json
200 /release/download/self/firmware.json
200 /release/download/%66irmware.json
TABLE
long=$(printf '/a%.0s' $(seq 1 600))
is "attack: 1200-byte path -> 414" "$(status_of "$BASE/release/download$long")" 414
deep=$(printf '/b%.0s' $(seq 1 40))
is "attack: 40 segments -> 414" "$(status_of "$BASE/release/download$deep")" 414
is "attack: raw backslash -> 400" "$(raw_status 'GET /release/download/..\\catalog.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')" 400
is "attack: 16 KiB header -> refused" "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 16384 /dev/zero | tr '\0' a)" "$BASE/release/download/apps.json" | grep -c '^[45]')" 1
is "absolute-form request line is served" "$(raw_status "GET http://127.0.0.1:$PORT/release/download/apps.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")" 200

# --- large files: sendfile, memory does not follow file size ----------------
# VmHWM is the peak RSS: a server that read or mapped the file would show it.
HWM0=$(awk '/VmHWM/ {print $2}' "/proc/$SRV_PID/status")
curl -s -o "$WORK/large.out" "$BASE/release/download/large.img" &
curl -s -o "$WORK/large2.out" "$BASE/release/download/large.img"
wait $!
cmp -s "$WORK/large.out" "$DL/large.img" && cmp -s "$WORK/large2.out" "$DL/large.img" &&
    ok "96 MiB file arrives whole, twice at once" || not_ok "96 MiB file arrives whole, twice at once"
rm -f "$WORK/large.out" "$WORK/large2.out"
HWM1=$(awk '/VmHWM/ {print $2}' "/proc/$SRV_PID/status")
diag "peak RSS before ${HWM0} kB, after ${HWM1} kB"
[ $((HWM1 - HWM0)) -lt 16384 ] && ok "peak RSS grew by less than 16 MiB serving 2 x 96 MiB" ||
    not_ok "peak RSS grew by less than 16 MiB serving 2 x 96 MiB (grew $((HWM1 - HWM0)) kB)"

# --- SIGHUP: reopen the access log, rescan the store ---------------------------
mv "$WORK/access.log" "$WORK/access.log.1"
rm "$DL/apps.json"
kill -HUP "$SRV_PID"
sleep 1
is "SIGHUP: apps.json rewritten by the rescan" "$(status_of "$BASE/release/download/apps.json")" 200
sleep 1.2
test -s "$WORK/access.log" && ok "SIGHUP: access log reopened" || not_ok "SIGHUP: access log reopened"
like "access log: combined format" "$(tail -n 1 "$WORK/access.log")" '^127\.0\.0\.1 - - \[[^]]+\] "GET /release/download/apps.json HTTP/1.1" 200 [0-9]+ "-" "curl/'
grep -q '" 400 ' "$WORK/access.log.1" && ok "access log: refusals are logged" || not_ok "access log: refusals are logged"

check "SIGTERM: clean exit (status 0, no leaks)" stop_storesrv

# --- the store changes under a running server --------------------------------
# One serving thread, so every request meets the cache that the first one
# filled: only revalidation can make these pass.
check "storesrv --threads 1 starts" start_storesrv "$ROOT" --threads 1
echo '{"new": 1}' >"$DL/new.json"
ln -s firmware.json "$DL/alias2.json"
is "a new file is served at once" "$(curl -s "$BASE/release/download/new.json")" '{"new": 1}'
is "a link inside download/ is served" "$(status_of "$BASE/release/download/alias2.json")" 200
echo '{"new": 2}' >"$DL/.new.tmp" && mv "$DL/.new.tmp" "$DL/new.json"
ln -sfn ../catalog.json "$DL/alias2.json"
sleep 1.2
is "a file replaced by rename is served new within a second" "$(curl -s "$BASE/release/download/new.json")" '{"new": 2}'
is "a link turned to ../catalog.json is refused within a second" "$(status_of "$BASE/release/download/alias2.json")" 404
rm "$DL/new.json"
sleep 1.2
is "a removed file is gone within a second" "$(status_of "$BASE/release/download/new.json")" 404
check "SIGTERM: clean exit of the one-thread server" stop_storesrv
done_testing
