#!/bin/sh
# webdav_server.sh: the gate of storesrv's WebDAV listener - every method
# needs a user, read-only users cannot write, the namespace (download/,
# incoming/, hidden and Finder names), GET/HEAD of incoming/, SIGHUP rereads
# the users, Basic is refused over plain HTTP off loopback, failed logins
# are limited per address.
. "$(dirname "$0")/lib.sh"

ROOT="$WORK/root"
USERS="$WORK/users"
make_demo_store "$ROOT" || { echo "Bail out! demo store"; exit 1; }

add_user alice alice-pw
add_user bob bob-pw --read-only

# dav_status METHOD PATH [CURL ARGS...]: the status of a request as alice.
dav_status() {
	_m=$1 _p=$2; shift 2
	status_of "$DAV$_p" -X "$_m" -u alice:alice-pw "$@"
}

check "storesrv starts with a WebDAV listener on loopback" \
    start_dav "$ROOT" --webdav-listen 127.0.0.1:0

# --- authentication on every method ---
curl -s -D "$WORK/h401" -o /dev/null -X OPTIONS "$DAV/"
is "OPTIONS without a user: 401" "$(sed -n '1s/^[^ ]* \([0-9]*\).*/\1/p' "$WORK/h401")" 401
like "401 carries the Basic challenge" "$(header_of WWW-Authenticate "$WORK/h401")" \
    '^Basic realm="storesrv", charset="UTF-8"$'
all=""
for m in OPTIONS GET HEAD PUT DELETE MKCOL COPY MOVE PROPFIND PROPPATCH LOCK UNLOCK; do
	all="$all $m:$(status_of "$DAV/release/incoming/x" -X "$m")"
done
is "every method without a user: 401" "$all" \
    " OPTIONS:401 GET:401 HEAD:401 PUT:401 DELETE:401 MKCOL:401 COPY:401 MOVE:401 PROPFIND:401 PROPPATCH:401 LOCK:401 UNLOCK:401"
is "a wrong password: 401" "$(status_of "$DAV/" -X OPTIONS -u alice:wrong)" 401
is "an unknown user: 401" "$(status_of "$DAV/" -X OPTIONS -u mallory:alice-pw)" 401

curl -s -D "$WORK/hopt" -o /dev/null -X OPTIONS -u alice:alice-pw "$DAV/release/incoming/"
is "OPTIONS as alice: 200" "$(sed -n '1s/^[^ ]* \([0-9]*\).*/\1/p' "$WORK/hopt")" 200
is "OPTIONS: DAV: 1, 2" "$(header_of DAV "$WORK/hopt")" "1, 2"
like "OPTIONS: Allow lists the WebDAV methods" "$(header_of Allow "$WORK/hopt")" \
    'PROPFIND.*PROPPATCH.*LOCK, UNLOCK'

# --- the published tree through read_path, as on the public listener ---
curl -s -u alice:alice-pw "$DAV/release/download/apps.json" >"$WORK/apps.dav"
curl -s "$BASE/release/download/apps.json" >"$WORK/apps.pub"
check "GET of apps.json: the public listener's bytes" cmp -s "$WORK/apps.dav" "$WORK/apps.pub"
check "GET of apps.json is not empty" test -s "$WORK/apps.dav"

# --- read-only users ---
ro=""
for m in PUT DELETE MKCOL COPY MOVE PROPPATCH LOCK UNLOCK; do
	ro="$ro $m:$(status_of "$DAV/release/incoming/x" -X "$m" -u bob:bob-pw)"
done
is "a read-only user: every writing method 403" "$ro" \
    " PUT:403 DELETE:403 MKCOL:403 COPY:403 MOVE:403 PROPPATCH:403 LOCK:403 UNLOCK:403"
is "a read-only user may GET" \
    "$(status_of "$DAV/release/download/apps.json" -u bob:bob-pw)" 200
st=$(status_of "$DAV/release/" -X PROPFIND -H 'Depth: 0' -u bob:bob-pw)
check "a read-only user passes the gate with PROPFIND ($st)" test "$st" != 403 -a "$st" != 401

# --- the namespace ---
is "an unknown channel: 404" "$(dav_status GET /nochannel/)" 404
is "a channel's other folder: 404" "$(dav_status GET /release/other/)" 404
is "the state folder is hidden: 403" "$(dav_status GET /.webdav/locks.json)" 403
is "a hidden name in incoming/: 403" "$(dav_status GET /release/incoming/.tmp-dav-x)" 403
is "Finder's .DS_Store outside incoming/: 403" "$(dav_status GET /release/download/.DS_Store)" 403
is "Finder's .DS_Store in incoming/ passes the gate (404: none)" \
    "$(dav_status GET /release/incoming/.DS_Store)" 404
is "Finder's ._name in incoming/ passes the gate (404: none)" \
    "$(dav_status GET /release/incoming/._build.zip)" 404
is "an escaped dot-dot: 400" "$(dav_status GET '/release/incoming/%2e%2e/download/apps.json')" 400

# --- GET and HEAD of incoming/ ---
mkdir -p "$ROOT/release/incoming/up"
head -c 100000 /dev/urandom >"$ROOT/release/incoming/up/blob.bin"
curl -s -D "$WORK/hget" -u alice:alice-pw "$DAV/release/incoming/up/blob.bin" >"$WORK/blob"
check "GET of a file in incoming/: its bytes" cmp -s "$WORK/blob" "$ROOT/release/incoming/up/blob.bin"
etag=$(header_of ETag "$WORK/hget")
like "GET of a file in incoming/: a strong ETag" "$etag" '^"[0-9a-f]+-[0-9a-f]+"$'
is "If-None-Match with that ETag: 304" \
    "$(dav_status GET /release/incoming/up/blob.bin -H "If-None-Match: $etag")" 304
is "If-Match with another ETag: 412" \
    "$(dav_status GET /release/incoming/up/blob.bin -H 'If-Match: "other"')" 412
len=$(curl -s -I -u alice:alice-pw "$DAV/release/incoming/up/blob.bin" |
    tr -d '\r' | sed -n 's/^Content-Length: //p')
is "HEAD of a file in incoming/: its length" "$len" 100000
is "GET of a collection in incoming/: 200" "$(dav_status GET /release/incoming/up/)" 200
ln -s /etc/passwd "$ROOT/release/incoming/up/escape"
st=$(dav_status GET /release/incoming/up/escape)
check "a symlink out of the root is not followed ($st)" test "$st" = 404 -o "$st" = 403

# --- a removed build is gone for WebDAV at once, served publicly for the grace ---
is "a build file before its removal: 200" \
    "$(dav_status GET /release/download/130045/apidemo_files)" 200
"$STOREIMPORT" -r "$ROOT" remove 130045 >"$WORK/remove.out" 2>&1
check "storeimport remove 130045" test $? -eq 0
is "after storeimport remove: 404 over WebDAV" \
    "$(dav_status GET /release/download/130045/apidemo_files)" 404
is "after storeimport remove: the folder is 404 over WebDAV" \
    "$(dav_status GET /release/download/130045/)" 404
is "the public listener still serves it during the grace" \
    "$(status_of "$BASE/release/download/130045/apidemo_files")" 200
is "another build is still there over WebDAV" \
    "$(dav_status GET /release/download/132001/apidemo_files)" 200

# --- SIGHUP rereads the users ---
add_user carol carol-pw
is "a user added while running is unknown until SIGHUP" \
    "$(status_of "$DAV/" -X OPTIONS -u carol:carol-pw)" 401
kill -HUP "$SRV_PID"; sleep 0.5
is "after SIGHUP the new user logs in" "$(status_of "$DAV/" -X OPTIONS -u carol:carol-pw)" 200
cp "$USERS" "$WORK/users.good"
echo "broken line" >>"$USERS"
kill -HUP "$SRV_PID"; sleep 0.5
is "a users file that does not load keeps the users in force" \
    "$(status_of "$DAV/" -X OPTIONS -u carol:carol-pw)" 200
like "and the log says why, naming the file and line" "$(cat "$WORK/storesrv.err")" \
    "users:[0-9]+: .*stay in force"
cp "$WORK/users.good" "$USERS"

# --- the failure limiter (last: it blocks 127.0.0.1 for a while) ---
for i in 1 2 3 4 5; do status_of "$DAV/" -X OPTIONS -u alice:bad$i >/dev/null; done
curl -s -D "$WORK/h429" -o /dev/null -X OPTIONS -u alice:alice-pw "$DAV/"
is "after 5 failed logins: 429, even with the right password" \
    "$(sed -n '1s/^[^ ]* \([0-9]*\).*/\1/p' "$WORK/h429")" 429
is "429 says when to retry" "$(header_of Retry-After "$WORK/h429")" 300
is "the public listener is not affected" "$(status_of "$BASE/release/download/apps.json")" 200
check "SIGTERM: exit 0" stop_storesrv 10

# --- Basic over plain HTTP off loopback ---
check "a WebDAV listener on 0.0.0.0 starts" start_dav "$ROOT" --webdav-listen 0.0.0.0:0
like "and warns that it refuses every request" "$(cat "$WORK/storesrv.err")" \
    "plain HTTP off loopback: every request is refused"
st=$(status_of "$DAV/" -X OPTIONS -u alice:alice-pw)
is "plain HTTP off loopback: the password is refused (403)" "$st" 403
like "the refusal says to use HTTPS" \
    "$(curl -s -X OPTIONS -u alice:alice-pw "$DAV/")" "use HTTPS"
check "SIGTERM: exit 0" stop_storesrv 10
check "with webdav-allow-plain-basic a listener on 0.0.0.0 starts" \
    start_dav "$ROOT" --webdav-listen 0.0.0.0:0 --webdav-allow-plain-basic yes
is "and takes the password" "$(status_of "$DAV/" -X OPTIONS -u alice:alice-pw)" 200
check "SIGTERM: exit 0" stop_storesrv 10

# --- a users file that does not load at start ---
echo "alice:rw:not-a-hash" >"$WORK/users.bad"
rm -f "$WORK/dport"
"$STORESRV" -f -r "$ROOT" -l 127.0.0.1:0 --webdav-listen 127.0.0.1:0 \
    --webdav-users "$WORK/users.bad" >"$WORK/bad.out" 2>&1 &
pid=$!
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL $pid 2>/dev/null
wait $pid
rc=$?
check "a broken users file at start: storesrv exits by itself, non-zero ($rc)" \
    test $rc -ne 0 -a $rc -ne 137
like "and names the file and line" "$(cat "$WORK/bad.out")" "users.bad:1: "

done_testing
