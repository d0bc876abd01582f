#!/bin/bash
# Interop of the WebDAV listener with real clients (issue 9, point 7): the
# real storesrv with --webdav-listen 127.0.0.1:0 and --webdav-quiet 2; a
# valid build (the demo store's 130045 under a new number, with a
# build.json naming a release of its own and a random 1 MiB clock.bin) is
# uploaded to /release/incoming/ by each client in turn:
#   cadaver  scripted on stdin, credentials in ~/.netrc of a temporary HOME:
#            mkcol, lock of the upload, put, mput, ls, propset/propget,
#            delete; the locked upload is not imported while the lock is
#            held; unlock; then a build with a broken manifest
#   rclone   the :webdav: backend: copy a build in, then lsf/lsjson of the
#            published build, copy it out byte for byte, purge it (DELETE of
#            a published build is "storeimport remove")
#   curl     MKCOL, PUT with -T, chunked and Expect: 100-continue, PROPFIND
#   davfs2   mount -t davfs, cp -r, umount (skipped with the mount's own
#            reason when this machine cannot mount)
# and then rclone and davfs2 again over HTTPS (--webdav-tls, a CA made
# here with openssl, verified by the clients).
# For each: once quiet, the build is published (the public listener's
# apps.json and firmware.json list it, its clock.bin has the uploaded
# bytes) and incoming/ no longer holds it.  The broken build stays in
# incoming/ with <name>.problems.txt beside it.  A read-only user reads
# and is refused writes; a wrong password gets 401.  storesrv must stop
# cleanly on SIGTERM (sanitizer reports fail the test).
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip_all "curl not installed"
ROOT="$WORK/root"
SRC="$WORK/src"
OUT="$WORK/out"
MNT="$WORK/mnt"
QUIET=2
WAIT=60			# seconds an upload may take to be published
mkdir -p "$SRC" "$OUT" "$WORK/home"

# The demo store's build used as the model: apps (apidemo, clock) and
# firmware (ip222, ip0013), each with its manifest.
MODEL="$ROOT/release/download/130045"

# skip NAME REASON: one skipped test.
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }

# A mount left behind must not be walked by rm -rf: unmounted first.
eval "lib_cleanup() $(declare -f cleanup | sed 1d)"
cleanup() {
	if mountpoint -q "$MNT" 2>/dev/null; then
		timeout 30 umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
	fi
	rm -rf /var/cache/davfs2/*+"$(printf '%s' "${MNT#/}" | tr / -)"+* 2>/dev/null
	lib_cleanup
}

# wait_until SECONDS COMMAND...: polls every 0.2 s; 0 once it succeeds.
wait_until() {
	_deadline=$(($(date +%s) + $1)); shift
	while ! "$@"; do
		[ "$(date +%s)" -lt "$_deadline" ] || return 1
		sleep 0.2
	done
}

# dav METHOD PATH [CURL ARGS...]: a request as alice on the WebDAV
# listener; prints the status, the body goes to $WORK/body.
dav() {
	_m=$1 _p=$2; shift 2
	curl -s --max-time 30 ${CA_FILE:+--cacert "$CA_FILE"} -u alice:pw -X "$_m" \
	    -o "$WORK/body" -w '%{http_code}' "$@" "$DAV$_p"
}

# make_build NUMBER RELEASE: $SRC/NUMBER, a copy of the model with a
# build.json and a clock.bin of its own (random, 1 MiB).
make_build() {
	rm -rf "${SRC:?}/$1"
	cp -r "$MODEL" "$SRC/$1"
	printf '{"release": "%s", "label": "sr01"}\n' "$2" >"$SRC/$1/build.json"
	head -c 1048576 /dev/urandom >"$SRC/$1/arm/clock/clock.bin"
}

published() {
	[ "$(status_of "$BASE/release/download/$1/arm/clock/clock.bin")" = 200 ]
}
gone_from_incoming() { [ ! -e "$ROOT/release/incoming/$1" ]; }

# check_published CLIENT NUMBER: the build uploaded by CLIENT is published
# by the watcher and leaves incoming/.
check_published() {
	_c=$1 _n=$2
	_wait_gone=10
	if wait_until $WAIT published "$_n"; then
		ok "$_c: build $_n is published once quiet"
	else
		not_ok "$_c: build $_n is published once quiet"
		_wait_gone=0
		ls "$ROOT/release/incoming" 2>&1 | sed 's/^/# incoming: /'
		sed 's/^/# /' "$ROOT/release/incoming/$_n.problems.txt" 2>/dev/null
	fi
	like "$_c: the public apps.json lists $_n" \
	    "$(curl -s "$BASE/release/download/apps.json")" "\"build\":\"$_n\""
	like "$_c: the public firmware.json lists $_n" \
	    "$(curl -s "$BASE/release/download/firmware.json")" "\"build\":\"$_n\""
	curl -s -o "$OUT/$_n.clock.bin" "$BASE/release/download/$_n/arm/clock/clock.bin"
	check "$_c: the public listener serves the uploaded bytes of $_n/arm/clock/clock.bin" \
	    cmp -s "$OUT/$_n.clock.bin" "$SRC/$_n/arm/clock/clock.bin"
	check "$_c: incoming/ no longer holds $_n" wait_until $_wait_gone gone_from_incoming "$_n"
	is "$_c: GET of incoming/$_n/build.json on the WebDAV listener" \
	    "$(dav GET "/release/incoming/$_n/build.json")" 404
}

# ---- the store, the users, storesrv ----------------------------------------
make_demo_store "$ROOT" || { not_ok "demo store generated"; done_testing; exit 1; }
add_user alice pw
add_user bob ro --read-only
start_dav "$ROOT" --webdav-quiet $QUIET ||
    { not_ok "storesrv started"; cat "$WORK/storesrv.err"; done_testing; exit 1; }

# import_check DIR: storeimport check of a source, its report kept aside.
import_check() { "$STOREIMPORT" check "$1" >"$WORK/check.out" 2>&1; }

make_build 140101 14r1
check "the model build is valid on its own (storeimport check)" import_check "$SRC/140101"

# ---- users: wrong password, read-only --------------------------------------
is "a wrong password: 401" \
    "$(curl -s -o /dev/null -D "$WORK/h401" -w '%{http_code}' -u alice:wrong "$DAV/release/")" 401
like "a wrong password: the Basic challenge" "$(header_of WWW-Authenticate "$WORK/h401")" '^Basic '
is "no credentials: 401" "$(status_of "$DAV/release/download/apps.json")" 401
curl -s -o "$OUT/bob.apps.json" -u bob:ro "$DAV/release/download/apps.json"
curl -s -o "$OUT/pub.apps.json" "$BASE/release/download/apps.json"
check "read-only user: GET returns what the public listener serves" \
    cmp -s "$OUT/bob.apps.json" "$OUT/pub.apps.json"
is "read-only user: PROPFIND Depth 1 of download/" \
    "$(curl -s -o /dev/null -w '%{http_code}' -u bob:ro -X PROPFIND -H 'Depth: 1' \
    "$DAV/release/download/")" 207
is "read-only user: PUT refused" "$(curl -s -o /dev/null -w '%{http_code}' -u bob:ro \
    -T "$SRC/140101/build.json" "$DAV/release/incoming/bob.json")" 403
is "read-only user: MKCOL refused" "$(curl -s -o /dev/null -w '%{http_code}' -u bob:ro \
    -X MKCOL "$DAV/release/incoming/bob/")" 403
is "read-only user: DELETE of a published build refused" "$(curl -s -o /dev/null \
    -w '%{http_code}' -u bob:ro -X DELETE "$DAV/release/download/130001/")" 403
check "read-only user: nothing written" test ! -e "$ROOT/release/incoming/bob.json" -a \
    ! -e "$ROOT/release/incoming/bob" -a -e "$ROOT/release/download/130001"

# ---- cadaver -----------------------------------------------------------------
# cadaver_script NUMBER: puts every file of $SRC/NUMBER below
# incoming/NUMBER, the manifests with mput.
cadaver_script() {
	_b="$SRC/$1"
	echo "mkcol $1"
	echo "lock $1"
	(cd "$_b" && find . -mindepth 1 -type d | sort) | while read -r _d; do
		echo "mkcol $1/${_d#./}"
	done
	(cd "$_b" && find . -type f ! -name '*_files' | sort) | while read -r _f; do
		echo "put $_b/${_f#./} $1/${_f#./}"
	done
	echo "cd $1"
	echo "lcd $_b"
	echo "mput *_files"
	echo "put build.json junk.txt"
	echo "delete junk.txt"
	echo "propset build.json comment uploaded-by-cadaver"
	echo "propget build.json comment"
	echo "ls"
}

# held_check NUMBER: run while cadaver holds the lock on the finished
# upload: twice the quiet time later it is still in incoming/, unpublished.
held_check() {
	wait_until $WAIT grep -q 'Listing collection' "$WORK/cadaver.out" || return 1
	sleep $((QUIET * 2 + 1))
	[ -e "$ROOT/release/incoming/$1/build.json" ] && ! published "$1" && return 0
	{ date -u +%T; cat "$ROOT/.webdav/locks.json"; echo; grep "$1" "$WORK/storesrv.err"; } \
	    >"$WORK/held.diag" 2>&1
	return 1
}

if command -v cadaver >/dev/null; then
	make_build 140201 14r2
	printf 'machine 127.0.0.1\nlogin alice\npassword pw\n' >"$WORK/home/.netrc"
	chmod 600 "$WORK/home/.netrc"
	{
		cadaver_script 140201
		if held_check 140201; then echo held >"$WORK/held"; fi
		echo "unlock /release/incoming/140201/"
		echo "quit"
	} | HOME="$WORK/home" timeout 180 cadaver "$DAV/release/incoming/" >"$WORK/cadaver.out" 2>&1
	is "cadaver: exit status" "$?" 0
	is "cadaver: no command failed" "$(grep -ciE 'failed|error' "$WORK/cadaver.out")" 0
	like "cadaver: mkcol" "$(cat "$WORK/cadaver.out")" "Creating \`140201': succeeded"
	like "cadaver: lock of the collection" "$(cat "$WORK/cadaver.out")" \
	    "Locking collection \`140201': succeeded"
	like "cadaver: mput of the four manifests" "$(grep -c 'Uploading .*_files.*succeeded' \
	    "$WORK/cadaver.out")" '^4$'
	like "cadaver: delete" "$(cat "$WORK/cadaver.out")" "Deleting \`junk.txt': succeeded"
	like "cadaver: propget gives propset's value" "$(cat "$WORK/cadaver.out")" \
	    'Value of comment is: uploaded-by-cadaver'
	like "cadaver: ls lists the upload" "$(sed -n '/Listing collection/,$p' "$WORK/cadaver.out")" \
	    'Coll: +arm64.*'
	if [ -e "$WORK/held" ]; then
		ok "cadaver: the locked upload is not imported (twice the quiet time)"
	else
		not_ok "cadaver: the locked upload is not imported (twice the quiet time)"
		sed 's/^/# held check: /' "$WORK/held.diag" 2>/dev/null
	fi
	like "cadaver: unlock" "$(cat "$WORK/cadaver.out")" "Unlocking \`/release/incoming/140201/': succeeded"
	[ "$TAP_FAILED" -eq 0 ] || sed 's/^/# cadaver: /' "$WORK/cadaver.out" | grep -iE 'failed|error' | head -5
	check_published cadaver 140201

	# A build whose manifest names a file that is not there.
	make_build 140299 14r9
	printf 'apidemo.bin,apidemo.png,apidemo.debug,missing.bin' >"$SRC/140299/apidemo_files"
	check "the broken build is refused by storeimport check" eval '! import_check "$SRC/140299"'
	{ cadaver_script 140299 | grep -v '^lock'; echo quit; } |
	    HOME="$WORK/home" timeout 120 cadaver "$DAV/release/incoming/" >"$WORK/cadaver2.out" 2>&1
	is "cadaver: the broken build uploaded" "$(grep -ciE 'failed|error' "$WORK/cadaver2.out")" 0
	check "broken build: 140299.problems.txt appears beside it" \
	    wait_until $WAIT test -s "$ROOT/release/incoming/140299.problems.txt"
	is "broken build: the problems file over WebDAV" \
	    "$(dav GET /release/incoming/140299.problems.txt)" 200
	like "broken build: the problems file names the manifest and the missing file" \
	    "$(cat "$WORK/body")" 'apidemo_files' 
	like "broken build: ... and the missing file" "$(cat "$WORK/body")" 'missing\.bin'
	check "broken build: the upload stays in incoming/" test -e "$ROOT/release/incoming/140299/build.json"
	check "broken build: not published" eval '! published 140299'
	check "broken build: not in the public apps.json" \
	    eval '! curl -s "$BASE/release/download/apps.json" | grep -q 140299'
else
	skip "cadaver" "cadaver not installed"
fi

# ---- rclone ------------------------------------------------------------------
# rcl ARGS...: rclone on the WebDAV listener as alice, bounded; nothing of
# it outside $WORK (its config file, its HOME).
rcl() {
	HOME="$WORK/home" timeout 120 rclone --config "$WORK/rclone.conf" --webdav-url "$DAV" \
	    --webdav-user alice --webdav-pass "$RCLONE_PASS" --webdav-vendor other \
	    --retries 1 --low-level-retries 1 --contimeout 10s --timeout 30s -q "$@" \
	    2>>"$WORK/rclone.err"
}
if command -v rclone >/dev/null; then
	: >"$WORK/rclone.conf"
	RCLONE_PASS=$(rclone obscure pw)
	make_build 140301 14r3
	check "rclone: copy a build into incoming/" rcl copy "$SRC/140301" :webdav:/release/incoming/140301
	check_published rclone 140301
	want=$(cd "$SRC/140301" && find . -type f ! -name build.json | sed 's|^\./||' | sort)
	is "rclone: lsf -R of the published build lists its files" \
	    "$(rcl lsf -R --files-only :webdav:/release/download/140301 | sort)" "$want"
	like "rclone: lsjson gives clock.bin's size" \
	    "$(rcl lsjson :webdav:/release/download/140301/arm/clock)" \
	    '"Path":"clock.bin","Name":"clock.bin","Size":1048576'
	check "rclone: copy the published build out" rcl copy :webdav:/release/download/140301 "$OUT/rclone"
	check "rclone: the copy has the uploaded bytes" \
	    diff -r -x build.json "$SRC/140301" "$OUT/rclone"
	check "rclone: purge of the published build (storeimport remove)" \
	    rcl purge :webdav:/release/download/140301
	# Removed builds stay on disk, still served, for storeimport's grace
	# period (IMPORTER.md, "Removal"), marked by download/<build>/.removed.
	check "rclone: the purged build is marked removed" test -e "$ROOT/release/download/140301/.removed"
	check "rclone: apps.json no longer lists it" \
	    eval '! curl -s "$BASE/release/download/apps.json" | grep -q 140301'
	check "rclone: firmware.json no longer lists it" \
	    eval '! curl -s "$BASE/release/download/firmware.json" | grep -q 140301'
	[ -s "$WORK/rclone.err" ] && sed 's/^/# rclone: /' "$WORK/rclone.err" | head -5
else
	skip "rclone" "rclone not installed"
fi

# ---- curl --------------------------------------------------------------------
# Each folder by MKCOL; the files by PUT, taking turns between a plain -T
# (Content-Length), a chunked body and Expect: 100-continue.
make_build 140401 14r4
is "curl: MKCOL of the build folder" "$(dav MKCOL /release/incoming/140401/)" 201
mkcol_failed=0 put_failed=0 i=0
for d in $(cd "$SRC/140401" && find . -mindepth 1 -type d | sed 's|^\./||' | sort); do
	[ "$(dav MKCOL "/release/incoming/140401/$d/")" = 201 ] || mkcol_failed=$((mkcol_failed + 1))
done
# The manifests last, as a careful client would: before them nothing is an
# item, so a pause longer than the quiet time cannot publish half a build.
for f in $(cd "$SRC/140401" && { find . -type f ! -name '*_files' | sort; find . -name '*_files' | sort; } |
    sed 's|^\./||'); do
	case $((i % 3)) in
	0) set -- -H 'Expect:' ;;
	1) set -- -H 'Transfer-Encoding: chunked' ;;
	2) set -- -H 'Expect: 100-continue' ;;
	esac
	i=$((i + 1))
	st=$(dav PUT "/release/incoming/140401/$f" -T "$SRC/140401/$f" "$@")
	[ "$st" = 201 ] || { put_failed=$((put_failed + 1)); diag "PUT $f $*: $st"; }
done
is "curl: MKCOL of every subfolder" "$mkcol_failed" 0
is "curl: PUT of every file (Content-Length, chunked, 100-continue)" "$put_failed" 0
is "curl: PROPFIND Depth 1 of the upload" \
    "$(dav PROPFIND /release/incoming/140401/ -H 'Depth: 1')" 207
like "curl: the multistatus lists the manifests" "$(cat "$WORK/body")" \
    '/release/incoming/140401/clock_files<'
check_published curl 140401

# ---- davfs2 ------------------------------------------------------------------
# mount_refusal TEXT: the reasons a mount fails that are this machine's
# (no FUSE, no privilege), not the server's.
mount_refusal() {
	printf '%s\n' "$1" | grep -Eiq 'fuse|permission|not permitted|kernel|not supported|only root'
}
# davfs2_unusable: why this machine cannot mount davfs (nothing: it may).
davfs2_unusable() {
	if ! command -v mount.davfs >/dev/null; then
		echo "mount.davfs not installed"
	elif [ "$(id -u)" -ne 0 ]; then
		echo "mount -t davfs needs root here (no fstab entry for a user mount)"
	elif [ ! -c /dev/fuse ] && ! grep -qw coda /proc/filesystems; then
		echo "neither /dev/fuse nor the coda file system"
	fi
}
# davfs2_upload LABEL NUMBER [CA FILE]: mounts $DAV/release/incoming/,
# copies $SRC/NUMBER in with cp -r, unmounts; then the build must be
# published.  The cache is the system's (mount.davfs run by root keeps it
# below /var/cache/davfs2, one folder per mount, removed by cleanup).
davfs2_upload() {
	mkdir -p "$MNT"
	printf '%s alice pw\n' "$MNT" >"$WORK/davfs-secrets"
	chmod 600 "$WORK/davfs-secrets"
	printf 'secrets %s\ndelay_upload 0\nask_auth 0\n' "$WORK/davfs-secrets" >"$WORK/davfs2.conf"
	[ -z "${3:-}" ] || printf 'trust_ca_cert %s\n' "$3" >>"$WORK/davfs2.conf"
	mount_err=$(timeout 60 mount -t davfs -o "conf=$WORK/davfs2.conf" \
	    "$DAV/release/incoming/" "$MNT" 2>&1 </dev/null)
	mount_rc=$?
	if [ $mount_rc -ne 0 ] && mount_refusal "$mount_err"; then
		skip "$1" "the mount failed: $(printf '%s' "$mount_err" | tr '\n' ' ')"
		return
	fi
	is "$1: mount -t davfs of incoming/" "$mount_rc" 0
	[ $mount_rc -eq 0 ] || { diag "$mount_err"; return; }
	check "$1: cp -r of the build" cp -r "$SRC/$2" "$MNT/"
	check "$1: umount (uploads what is left)" timeout 120 umount "$MNT"
	check_published "$1" "$2"
}
DAVFS2_UNUSABLE=$(davfs2_unusable)
if [ -n "$DAVFS2_UNUSABLE" ]; then
	skip "davfs2" "$DAVFS2_UNUSABLE"
else
	make_build 140501 14r5
	davfs2_upload davfs2 140501
fi

# ---- the same over HTTPS -------------------------------------------------------
# storesrv again, its WebDAV listener on TLS with a certificate of a CA made
# here; rclone and davfs2 verify it against that CA (and rclone refuses
# the listener without it).
check "storesrv stops cleanly on SIGTERM" stop_storesrv 20
PKI="$WORK/pki"
mkdir -p "$PKI"
# tls_files: ca.pem and server.pem/server.key for 127.0.0.1 (EC keys).
tls_files() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj "/CN=webdav_clients test CA" -keyout "$PKI/ca.key" -out "$PKI/ca.pem" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
	    -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" \
	    -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -keyout "$PKI/server.key" -out "$PKI/server.pem"
}
if ! command -v openssl >/dev/null; then
	skip "HTTPS" "no openssl command"
elif ! tls_files >"$PKI/openssl.log" 2>&1; then
	not_ok "HTTPS: a CA and a server certificate made with openssl"
	sed 's/^/# /' "$PKI/openssl.log"
elif ! start_dav "$ROOT" --webdav-quiet $QUIET --webdav-tls yes \
    --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key"; then
	not_ok "HTTPS: storesrv started with --webdav-tls yes"
	tail -5 "$WORK/storesrv.err" | sed 's/^/# /'
else
	DAV="https://${DAV#http://}"
	CA_FILE="$PKI/ca.pem"
	# mount.davfs reads the CA as its own user (davfs2): the path must let it.
	chmod 711 "$WORK" "$PKI" && chmod 644 "$CA_FILE"
	is "HTTPS: PROPFIND verified against the CA (curl --cacert)" \
	    "$(dav PROPFIND /release/incoming/ -H 'Depth: 0')" 207
	if command -v rclone >/dev/null; then
		make_build 140601 14r6
		check "rclone over HTTPS: refused without the CA" \
		    eval '! rcl lsf :webdav:/release/ 2>/dev/null'
		check "rclone over HTTPS: copy a build into incoming/ (--ca-cert)" \
		    rcl --ca-cert "$CA_FILE" copy "$SRC/140601" :webdav:/release/incoming/140601
		check_published "rclone over HTTPS" 140601
	else
		skip "rclone over HTTPS" "rclone not installed"
	fi
	if [ -n "$DAVFS2_UNUSABLE" ]; then
		skip "davfs2 over HTTPS" "$DAVFS2_UNUSABLE"
	else
		make_build 140701 14r7
		davfs2_upload "davfs2 over HTTPS" 140701 "$CA_FILE"
	fi
	check "storesrv (HTTPS) stops cleanly on SIGTERM" stop_storesrv 20
fi

# ---- the end -----------------------------------------------------------------
[ "$TAP_FAILED" -eq 0 ] || grep -iE 'error|warn|sanitizer' "$WORK/storesrv.err" | head -20 |
    sed 's/^/# storesrv: /'
done_testing
