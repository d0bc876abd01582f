#!/bin/bash
# storemirror push (mirror/push.h, mirror/dav_client.h) through push_probe
# against a real WebDAV server: lighttpd with mod_webdav on 127.0.0.1,
# started here, with mod_auth (a plain password file) below /auth/.
# The demo store is pushed and compared file by file; a second push sends
# nothing; a build published with storeimport is pushed alone, the indexes
# after it; changed files on the share are sent again; a wrong password
# fails naming the URL and 401; a share killed mid-push keeps its old
# indexes and a later push completes it.
. "$(dirname "$0")/lib.sh"
PROBE="$top_builddir/tests/integration/push_probe"
[ -x "$PROBE" ] || skip_all "push_probe not built"
[ -x "$STOREIMPORT" ] || skip_all "storeimport not built"
command -v lighttpd >/dev/null || skip_all "lighttpd missing"
[ -e /usr/lib/lighttpd/mod_webdav.so ] || skip_all "lighttpd-mod-webdav missing"
command -v python3 >/dev/null || skip_all "python3 missing"

ROOT="$WORK/root"
SHARE="$WORK/share"
ALOG="$WORK/access.log"
mkdir -p "$SHARE"
make_demo_store "$ROOT" || skip_all "store-demo failed"
DL="$ROOT/release/download"
echo odd >"$DL/130001/odd name & 100%.txt"	# percent-encoded on the way, decoded back
printf 'storemirror:s3cret\n' >"$WORK/users"
printf 's3cret\n' >"$WORK/password"
printf 'wrong\n' >"$WORK/bad-password"
LPID=

# share_start: lighttpd on a free loopback port, a fresh access log.
share_start() {
	LPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$WORK/lighttpd.conf" <<-EOF
	server.document-root = "$SHARE"
	server.bind = "127.0.0.1"
	server.port = $LPORT
	server.errorlog = "$WORK/lighttpd.err"
	server.modules += ("mod_webdav", "mod_auth", "mod_authn_file", "mod_accesslog")
	accesslog.filename = "$ALOG"
	webdav.activate = "enable"
	webdav.is-readonly = "disable"
	auth.backend = "plain"
	auth.backend.plain.userfile = "$WORK/users"
	\$HTTP["url"] =~ "^/auth/" {
		auth.require = ("" => ("method" => "basic", "realm" => "store", "require" => "valid-user"))
	}
	EOF
	rm -f "$ALOG"
	lighttpd -D -f "$WORK/lighttpd.conf" 2>>"$WORK/lighttpd.err" &
	LPID=$!
	for _i in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$LPORT/" && break
		sleep 0.1
	done
	URL="http://127.0.0.1:$LPORT/open/release/download"
}

# share_stop: SIGTERM (lighttpd writes its access log out), then wait.
share_stop() {
	[ -n "$LPID" ] || return 0
	kill -TERM "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	LPID=
}

# requests METHOD: the access log's request lines of that method, in order.
requests() { grep -o "\"$1 [^ ]*" "$ALOG" 2>/dev/null | sed "s/^\"$1 //"; }

# same_as_source DIR: DIR holds the channel's files, byte for byte, and
# nothing else (build 128001, removed below, left out on both sides).
same_as_source() { diff -r -x .removed -x 128001 "$DL" "$1"; }

# push ARGS...: push_probe, output in $OUT, status in $RC.
push() { OUT=$("$PROBE" "$@" 2>&1); RC=$?; }

trap 'share_stop; stop_transfer_servers 2>/dev/null; cleanup' EXIT
trap 'exit 1' INT TERM
share_start
TARGET="$SHARE/open/release/download"

# 1. The whole channel onto an empty share (its parents made with MKCOL)
push "$ROOT" release "$URL"
is "push to an empty share exits 0" "$RC" 0
like "the summary counts the uploads" "$OUT" "files uploaded .*indexes: 5 uploaded \(PUT \+ MOVE\)"
share_stop
check "every file on the share equals the source, nothing else there" diff -r "$DL" "$TARGET"
nfiles=$(find "$DL" -type f | wc -l)
is "one PUT per file (a temporary name for each index)" "$(requests PUT | wc -l)" "$nfiles"
is "five MOVEs, one per index" "$(requests MOVE | wc -l)" 5
is "no temporary index is left on the share" "$(find "$TARGET" -name '.*' | wc -l)" 0
last_file=$(requests PUT | grep -n -v '/\.storemirror-' | tail -n 1 | cut -d: -f1)
first_index=$(requests PUT | grep -n '/\.storemirror-' | head -n 1 | cut -d: -f1)
check "the indexes are uploaded after every other file" test "${last_file:-99999}" -lt "${first_index:-0}"
check "MKCOL made the share's parent collections" test -n "$(requests MKCOL | grep -x /open/)"

# 2. A second push sends nothing
share_start
push "$ROOT" release "$URL"
is "a second push exits 0" "$RC" 0
share_stop
is "a second push makes no PUT" "$(requests PUT | wc -l)" 0
is "a second push makes no MKCOL or MOVE" "$(requests MKCOL | wc -l) $(requests MOVE | wc -l)" "0 0"
like "a second push finds everything present" "$OUT" " 0 files uploaded .*5 unchanged"

# 3. A build published with storeimport is pushed alone, the indexes after it
mkdir -p "$WORK/b/134001/arm/pushdemo"
printf 'pushdemo.bin,pushdemo.png' >"$WORK/b/134001/pushdemo_files"
head -c 3000000 /dev/urandom >"$WORK/b/134001/arm/pushdemo/pushdemo.bin"
echo icon >"$WORK/b/134001/arm/pushdemo/pushdemo.png"
"$STOREIMPORT" -r "$ROOT" --release 13r1 --label sr09 publish "$WORK/b/134001" >"$WORK/si.log" 2>&1
is "storeimport published build 134001" "$?" 0
share_start
push -j "$ROOT" release "$URL"
is "pushing the new build exits 0" "$RC" 0
like "--json: one object, ok" "$OUT" '^\{"command":"push","ok":true,'
like "--json: three files put" "$OUT" '"files_put":3,'
share_stop
check "the share equals the source again" same_as_source "$TARGET"
is "only the new build's files are PUT before the indexes" \
    "$(requests PUT | grep -v '/\.storemirror-' | grep -v '/134001/' | wc -l)" 0
is "the new build's three files are PUT" "$(requests PUT | grep -c '/134001/')" 3
last_file=$(requests PUT | grep -n '/134001/' | tail -n 1 | cut -d: -f1)
first_index=$(requests PUT | grep -n '/\.storemirror-' | head -n 1 | cut -d: -f1)
check "the changed indexes follow the build" test "${last_file:-99999}" -lt "${first_index:-0}"
check "apps.json is among them" test -n "$(requests MOVE | grep '\.storemirror-apps\.json')"

# 3b. A removed build (storeimport remove: .removed, out of the indexes) is
# not pushed and not deleted from the share; the indexes follow the removal
"$STOREIMPORT" -r "$ROOT" remove 128001 >>"$WORK/si.log" 2>&1
is "storeimport removed build 128001" "$?" 0
share_start
push -j "$ROOT" release "$URL"
share_stop
is "pushing after a removal exits 0" "$RC" 0
like "the removed build is skipped" "$OUT" '"folders_removed_skipped":1,'
like "--json: progress lines name what changed" "$OUT" '\{"event":"index","path":"firmware.json","size":[0-9]+\}'
is "no file of the removed build is sent" "$(requests PUT | grep -c /128001/)" 0
check "the share keeps the removed build's files" test -s "$TARGET/128001/ip0013.bin"
check "the share's firmware.json is the local one" cmp -s "$DL/firmware.json" "$TARGET/firmware.json"

# 4. Changed on the share: a shorter file, an index of the same size
truncate -s 10 "$TARGET/134001/arm/pushdemo/pushdemo.bin"
printf 'X' | dd of="$TARGET/firmware.json" bs=1 seek=3 conv=notrunc 2>/dev/null
share_start
push "$ROOT" release "$URL"
share_stop
is "a push after changes on the share exits 0" "$RC" 0
is "the truncated file and the altered index are sent again" \
    "$(requests PUT | sort | tr '\n' ' ')" \
    "/open/release/download/.storemirror-firmware.json.tmp /open/release/download/134001/arm/pushdemo/pushdemo.bin "
check "the share equals the source after the repair" same_as_source "$TARGET"

# 5. Basic authentication: the right password pushes, a wrong one is refused
share_start
AURL="http://127.0.0.1:$LPORT/auth/release/download"
push -u storemirror -p "$WORK/password" "$ROOT" release "$AURL"
is "a push with the right password exits 0" "$RC" 0
push -u storemirror -p "$WORK/bad-password" "$ROOT" release "$AURL"
is "a wrong password exits 1 (refused)" "$RC" 1
like "the error names the URL and 401" "$OUT" "storemirror: push: $AURL/: PROPFIND: 401 "
push "$ROOT" release "$AURL"
is "no credentials at all exits 1" "$RC" 1
share_stop
check "the authenticated share equals the source" same_as_source "$SHARE/auth/release/download"

# 6. The share goes away mid-push: the old indexes stay, a later push completes
mkdir -p "$WORK/b/134002/arm/pushkill"
printf 'pushkill.bin,pushkill.png' >"$WORK/b/134002/pushkill_files"
for f in pushkill.bin pushkill.png; do head -c 200000 /dev/urandom >"$WORK/b/134002/arm/pushkill/$f"; done
"$STOREIMPORT" -r "$ROOT" --release 13r1 --label sr10 publish "$WORK/b/134002" >>"$WORK/si.log" 2>&1
is "storeimport published build 134002" "$?" 0
cp -a "$TARGET" "$WORK/before"
share_start
push -k "1:$LPID" "$ROOT" release "$URL"
is "a push whose share is killed fails (I/O)" "$RC" 3
like "the error names the share" "$OUT" "error: http://127.0.0.1:$LPORT/open/release/download/134002/"
kill -KILL "$LPID" 2>/dev/null	# in case the probe did not
wait "$LPID" 2>/dev/null
LPID=
for i in apps.json firmware.json software.json linux.json phoneplatform.json; do
	check "the share's $i is the old one" cmp -s "$TARGET/$i" "$WORK/before/$i"
done
check "the old indexes do not list the half-pushed build" \
    test -z "$(grep -l 134002 "$TARGET"/*.json)"
share_start
push "$ROOT" release "$URL"
share_stop
is "the push after the restart exits 0" "$RC" 0
check "the share then equals the source" same_as_source "$TARGET"
check "the new indexes list the build" grep -q 134002 "$TARGET/apps.json"

# 7. Refusals before any request
push "$ROOT" release "http://user@127.0.0.1:1/x/download"
like "a URL with user info is refused" "$OUT" "user@127.0.0.1:1/x/download: the WebDAV URL must be"
push "$ROOT" nosuch "$URL"
is "a missing channel exits 3" "$RC" 3
like "a missing channel is named" "$OUT" "root/nosuch/download: "
push "$ROOT" release "http://127.0.0.1:1/release/download"
is "a refused connection exits 3" "$RC" 3
like "a refused connection names the URL" "$OUT" "http://127.0.0.1:1/release/download/: PROPFIND: Connection refused"

# 7b. A 256 MiB file is streamed: the peak RSS stays small (ASan's
# quarantine of freed blocks would count toward the RSS: kept small)
BIG="$WORK/bigroot/release/download/900001"
mkdir -p "$BIG"
truncate -s 256M "$BIG/big.bin"
share_start
OUT=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4" \
    "$PROBE" -m "$WORK/bigroot" release "http://127.0.0.1:$LPORT/big/release/download" 2>&1)
is "a 256 MiB file pushed" "$?" 0
share_stop
rss=$(printf '%s\n' "$OUT" | sed -n 's/^maxrss_kb=//p')
diag "peak RSS pushing 256 MiB: $rss KiB"
check "peak RSS under 32 MiB while pushing 256 MiB" test "${rss:-999999}" -lt 32768
check "the 256 MiB file on the share equals the source" \
    cmp -s "$BIG/big.bin" "$SHARE/big/release/download/900001/big.bin"
rm -rf "$WORK/bigroot" "$SHARE/big"

# 8. The storemirror command itself (its options, its config file)
SM="$top_builddir/mirror/storemirror"
if [ -x "$SM" ]; then
	share_start
	AURL="http://127.0.0.1:$LPORT/auth/release/download"
	OUT=$("$SM" push -r "$ROOT" --channels release --dav-url "$AURL" --dav-user storemirror \
	    --dav-password-file "$WORK/password" 2>&1); RC=$?
	is "storemirror push exits 0" "$RC" 0
	like "storemirror push prints its summary" "$OUT" "^release: pushed to $AURL: .* files uploaded"
	check "storemirror push brought the share up to date" same_as_source "$SHARE/auth/release/download"
	printf 'root = %s\nchannels = release\ndav-url = %s\ndav-user = storemirror\ndav-password-file = %s\n' \
	    "$ROOT" "$AURL" "$WORK/bad-password" >"$WORK/mirror.conf"
	OUT=$("$SM" push -c "$WORK/mirror.conf" --json 2>/dev/null); RC=$?
	is "storemirror push with a wrong password from its config file exits 1" "$RC" 1
	like "--json: the error names the URL and 401" "$OUT" '"ok":false,.*"error":"http://[^"]*/auth/release/download/: PROPFIND: 401 '
	OUT=$("$SM" push -r "$ROOT" --channels release --dav-url "$AURL" --proxy http://127.0.0.1:1 2>&1)
	is "storemirror push refuses --proxy" "$?" 2
	share_stop
else
	diag "storemirror not built: the command is tested through push_probe only"
fi

# 9. https: nginx with a test CA's certificate in front of lighttpd (the
# usual way to put a WebDAV share behind TLS: Destination rewritten to http)
start_tls_proxy() {
	TLS_PORT=$(free_port); WRONG_PORT=$(free_port)
	mkdir -p "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<-EOC
	daemon off;
	user root;
	worker_processes 1;
	pid $WORK/nginx/nginx.pid;
	error_log $WORK/nginx/error.log;
	events { worker_connections 64; }
	http {
		access_log off;
		client_body_temp_path $WORK/nginx/body;
		proxy_temp_path $WORK/nginx/proxy;
		fastcgi_temp_path $WORK/nginx/fastcgi;
		uwsgi_temp_path $WORK/nginx/uwsgi;
		scgi_temp_path $WORK/nginx/scgi;
		client_max_body_size 0;
		server {
			listen 127.0.0.1:$TLS_PORT ssl;
			ssl_certificate $WORK/ca/good.pem; ssl_certificate_key $WORK/ca/good.key;
			location / {
				set \$dest \$http_destination;
				if (\$http_destination ~ "^https://(.*)\$") { set \$dest http://\$1; }
				proxy_set_header Destination \$dest;
				proxy_set_header Host \$http_host;
				proxy_http_version 1.1;
				proxy_pass http://127.0.0.1:$LPORT;
			}
		}
		server {
			listen 127.0.0.1:$WRONG_PORT ssl;
			ssl_certificate $WORK/ca/wrong.pem; ssl_certificate_key $WORK/ca/wrong.key;
		}
	}
	EOC
	nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>>"$WORK/nginx/stderr" &
	NGX_PID=$!
	wait_port "$TLS_PORT" && wait_port "$WRONG_PORT"
}

. "$(dirname "$0")/transfer_servers.sh"
if command -v nginx >/dev/null && command -v openssl >/dev/null && make_test_ca "$WORK/ca"; then
	share_start
	start_tls_proxy
	TURL="https://localhost:$TLS_PORT/tls/release/download"
	push -c "$WORK/ca/ca.pem" "$ROOT" release "$TURL"
	is "a push over https (certificate of the test CA) exits 0" "$RC" 0
	push "$ROOT" release "$TURL"
	is "https without the test CA fails (I/O)" "$RC" 3
	like "the error says the certificate did not verify" "$OUT" "certificate verification failed"
	push -c "$WORK/ca/ca.pem" "$ROOT" release "https://localhost:$WRONG_PORT/tls/release/download"
	is "https to a server whose certificate names another host fails" "$RC" 3
	like "the error names the host and the verification" "$OUT" "localhost: certificate verification failed"
	kill -TERM "$NGX_PID"; wait "$NGX_PID" 2>/dev/null; NGX_PID=
	share_stop
	check "the share pushed over https equals the source" same_as_source "$SHARE/tls/release/download"
	is "over https too the indexes are MOVEd into place" "$(requests MOVE | grep -c '^/tls/')" 5
else
	diag "nginx or openssl missing: https not tested"
fi

# 10. A broken or hostile share: chunked answers after a 100 Continue and
# no MOVE (the indexes fall back to a direct PUT), then refusals, each
# naming the URL: a DOCTYPE, not XML, a huge header line, a huge body, no
# answer at all, a full disk (507), a connection reset mid-body
TINY="$WORK/tiny/release/download"
mkdir -p "$TINY/130001"
echo '{"apps":[]}' >"$TINY/apps.json"
echo data >"$TINY/130001/a.bin"
python3 "$(dirname "$0")/push_hostile_dav.py" "$WORK/hport" "$WORK/hostile.log" &
HPID=$!
for _i in $(seq 50); do [ -s "$WORK/hport" ] && break; sleep 0.1; done
H="http://127.0.0.1:$(cat "$WORK/hport")"
push -j -t 5 "$WORK/tiny" release "$H/chunked/release/download"
is "a chunked listing after a 100 Continue: the push exits 0" "$RC" 0
like "without MOVE the index is PUT directly" "$OUT" '"files_put":1,.*"indexes_put":1,.*"index_replace":"put"'
is "MOVE refused: the temporary index deleted, then a direct PUT" \
    "$(grep -A2 '^MOVE ' "$WORK/hostile.log" | cut -d' ' -f1 | tr '\n' ' ')" "MOVE DELETE PUT "
for m in "doctype:holds a DOCTYPE, refused" "notxml:is not a DAV:multistatus document" \
    "bighead:a response line is longer than 8192 bytes" \
    "bigbody:a response body longer than 16777216 bytes" "stall:no progress for 1 s"; do
	push -t 1 "$WORK/tiny" release "$H/${m%%:*}/release/download"
	check "${m%%:*}: the push fails" test "$RC" -ne 0
	like "${m%%:*}: the error names the URL and the fault" "$OUT" \
	    "storemirror: push: $H/${m%%:*}/release/download/: PROPFIND: (the response )?${m#*:}"
done
push -t 5 "$WORK/tiny" release "$H/full/release/download"
is "a share out of space (507): the push exits 1" "$RC" 1
like "507: the error names the file's URL and the status" "$OUT" \
    "storemirror: push: $H/full/release/download/130001/a.bin: PUT: 507 Insufficient Storage"
is "507: no index is sent after the failure" "$(grep -c '^PUT /full/.*json' "$WORK/hostile.log")" 0
mkdir -p "$WORK/cut/release/download/130001"
truncate -s 64M "$WORK/cut/release/download/130001/big.bin"
push -t 5 "$WORK/cut" release "$H/cut/release/download"
is "a connection reset in the middle of a body: the push exits 3 (no SIGPIPE)" "$RC" 3
like "reset: the error names the file's URL" "$OUT" \
    "storemirror: push: $H/cut/release/download/130001/big.bin: PUT: (Broken pipe|Connection reset by peer|the server closed the connection before the response ended)"
kill "$HPID" 2>/dev/null
wait "$HPID" 2>/dev/null

done_testing
