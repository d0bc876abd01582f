#!/bin/bash
# The incoming watcher (webdav/dav_incoming.c) in the real storesrv: what
# lands in <channel>/incoming/ (copied on disk, or uploaded with curl) is
# validated and published once quiet or complete, served by the public
# listener and gone from incoming/; a refused upload stays with its
# <name>.problems.txt, is not tried again until it changes, and is
# published once fixed.  Every wait is bounded.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/integration/importer_lib.sh"
[ -x "$STORESRV" ] || skip_all "storesrv not built"
command -v curl >/dev/null || skip_all "curl missing"
command -v python3 >/dev/null || skip_all "python3 missing"

make_demo_store "$ROOT" || skip_all "the demo store could not be made"
S="$WORK/src"
INC="$ROOT/release/incoming"
BETA_INC="$ROOT/beta/incoming"
USERS="$WORK/users"
LOG="$WORK/storesrv.err"
printf 'pw\npw\n' | "$STORESRV" passwd add alice -f "$USERS" >/dev/null 2>&1
mkdir -p "$INC" "$BETA_INC"

# start_dav QUIET [ARGS...]: storesrv with its WebDAV listener and that
# quiet time.
start_dav() {
	_quiet=$1; shift
	rm -f "$WORK/dav-port"
	start_storesrv "$ROOT" --webdav-listen 127.0.0.1:0 --webdav-port-file "$WORK/dav-port" \
	    --webdav-users "$USERS" --webdav-quiet "$_quiet" "$@" || return 1
	_i=0
	while [ ! -s "$WORK/dav-port" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	DAV="http://127.0.0.1:$(cat "$WORK/dav-port" 2>/dev/null)"
	[ -s "$WORK/dav-port" ]
}

# wait_for SECONDS COMMAND...: polls until the command succeeds.
wait_for() {
	_n=$(($1 * 5)); shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2; _n=$((_n - 1))
	done
	return 1
}

# fw_both DIR BUILD: a firmware build for both of the demo's devices (a
# newer build of a release must not take it away from a device).
fw_both() {
	fw_build "$1" "$2" 222
	fw_build "$1" "$2" 0013
}

# described DIR BUILD RELEASE LABEL: the build's build.json.
described() {
	printf '{"release":"%s","label":"%s"}' "$3" "$4" >"$1/$2/build.json"
}

# put_in SRC NAME [CHANNEL-INCOMING]: copies SRC in under a hidden name,
# then renames it into place (the way an administrator's script would).
put_in() {
	_to=${3:-$INC}
	cp -r "$1" "$_to/.copy-$2" && mv "$_to/.copy-$2" "$_to/$2"
}

published() { [ -d "$ROOT/${2:-release}/download/$1" ]; }
gone() { [ ! -e "$1" ]; }
served() { [ "$(curl -s "$BASE/$1")" = "$2" ]; }
logged() { grep -q -- "$1" "$LOG"; }
count_logged() { grep -c -- "$1" "$LOG"; }

check "storesrv with its WebDAV listener started (--webdav-quiet 2)" start_dav 2

# 1. A build folder copied in on disk.
fw_both "$S" 130050
described "$S" 130050 13r1 sr06
put_in "$S/130050" 130050
check "folder: 130050 published" wait_for 30 published 130050
check "folder: gone from incoming/" gone "$INC/130050"
check "folder: its firmware served by the public listener" \
    served release/download/130050/ip0013.bin "firmware 0013 130050"
like "folder: firmware.json lists it" "$(curl -s "$BASE/release/download/firmware.json")" \
    '"build":"130050","text":"13r1 sr06 \[130050\]"'
check "folder: the log names it and the build" \
    logged "incoming: release/incoming/130050 published: 130050"

# 2. Archives: a tar.gz whose files are at its top (named by the build),
#    and a zip holding a build folder.
sw_build "$S" 130051 myappswindows myAppsSetup.exe
described "$S" 130051 13r1 sr07
tar -C "$S/130051" -czf "$WORK/130051.tar.gz" .
put_in "$WORK/130051.tar.gz" 130051.tar.gz
app_build "$S" 130052 apidemo arm
described "$S" 130052 13r1 sr08
(cd "$S" && python3 -m zipfile -c "$WORK/b130052.zip" 130052)
put_in "$WORK/b130052.zip" b130052.zip
check "tar.gz: 130051 published" wait_for 30 published 130051
check "tar.gz: the archive is gone from incoming/" wait_for 5 gone "$INC/130051.tar.gz"
check "tar.gz: its file served" served release/download/130051/myAppsSetup.exe \
    "installer myappswindows 130051"
check "zip: 130052 published" wait_for 30 published 130052
check "zip: the archive is gone from incoming/" wait_for 5 gone "$INC/b130052.zip"
check "zip: its app file served" served release/download/130052/arm/apidemo/apidemo.bin \
    "binary apidemo arm"

# 3. A broken manifest: refused, problems file, no retry until it changes.
fw_both "$S" 130053
described "$S" 130053 13r1 sr09
printf 'ip222.bin,,boot222.bin' >"$S/130053/ip222_files"
put_in "$S/130053" 130053
P="$INC/130053.problems.txt"
check "broken: a problems file appears" wait_for 30 test -s "$P"
like "broken: it names the manifest and the problem" "$(cat "$P")" \
    '^error: 130053/ip222_files: column 11: empty file name$'
like "broken: its header has the time and the verdict" "$(head -1 "$P")" \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z 130053: refused, nothing published'
check "broken: the upload is left in place, build.json and all" test -f "$INC/130053/build.json"
check "broken: nothing published" eval '! published 130053'
check "broken: the log names it" logged "incoming: release/incoming/130053 refused"
inode=$(stat -c %i "$P")
# Another upload goes through meanwhile: the watcher made several passes.
fw_both "$S" 130054
described "$S" 130054 13r1 sr10
put_in "$S/130054" 130054
check "another upload published meanwhile" wait_for 30 published 130054
sleep 3
is "broken: not tried again while unchanged (one refusal logged)" \
    "$(count_logged "release/incoming/130053 refused")" 1
is "broken: its problems file untouched" "$(stat -c %i "$P")" "$inode"
printf 'ip222.bin,boot222.bin' >"$INC/130053/ip222_files"
check "fixed: 130053 published" wait_for 30 published 130053
check "fixed: the problems file is gone" wait_for 5 gone "$P"
check "fixed: gone from incoming/" gone "$INC/130053"
is "fixed: published with its build.json's release and label" \
    "$(json_get "$ROOT/release/catalog.json" 'd["builds"]["130053"]')" \
    "{'release': '13r1', 'label': 'sr09'}"

# A build published already passes the check in place, is moved into the
# staging area, refused by the session against the channel, and moved
# back with the build.json the session took out.
put_in "$S/130050" 130050
check "again: a problems file for a published build" wait_for 30 test -s "$INC/130050.problems.txt"
like "again: it says so" "$(cat "$INC/130050.problems.txt")" '^error: 130050: already published'
check "again: the upload is back, build.json and all" \
    eval 'diff -r "$S/130050" "$INC/130050" >/dev/null'
rm -rf "$INC/130050"
check "again: deleted, its problems file goes too" wait_for 30 gone "$INC/130050.problems.txt"

# Refused before any session: a hidden file (the importer never publishes
# one), a tree deeper than the walk's bound.
fw_both "$S" 130059
described "$S" 130059 13r1 sr14
echo secret >"$S/130059/.notes"
put_in "$S/130059" 130059
mkdir -p "$S/deep/1/2/3/4/5/6/7/8/9/10/11" && echo x >"$S/deep/1/2/3/4/5/6/7/8/9/10/11/f"
put_in "$S/deep" deep
check "hidden file: a problems file" wait_for 30 test -s "$INC/130059.problems.txt"
like "hidden file: it names the file" "$(cat "$INC/130059.problems.txt")" \
    '^error: 130059/\.notes: a hidden name'
check "too deep: a problems file" wait_for 30 test -s "$INC/deep.problems.txt"
like "too deep: it says why" "$(cat "$INC/deep.problems.txt")" '^error: deep: .*10 folder levels'
check "hidden file, too deep: nothing moved" \
    eval '[ -f "$INC/130059/.notes" ] && [ -d "$INC/deep/1" ]'
rm -rf "$INC/130059" "$INC/deep"

# 4. Finder's files are dropped, a live temporary file holds an upload.
fw_both "$S" 130055
described "$S" 130055 13r1 sr11
echo junk >"$S/130055/.DS_Store"
echo junk >"$S/130055/._ip0013.bin"
fw_both "$S" 130056
described "$S" 130056 13r1 sr12
echo partial >"$S/130056/.tmp-dav-abc123"
put_in "$S/130056" 130056
mkdir -p "$S/finder" && echo junk >"$S/finder/.DS_Store"
put_in "$S/finder" finder
put_in "$S/130055" 130055
check "Finder's .DS_Store and ._* files: 130055 published" wait_for 30 published 130055
check "Finder's files are not published" \
    eval '[ -z "$(find "$ROOT/release/download/130055" -name ".*")" ]'
sleep 3
check "a live .tmp-* file: 130056 not imported" test -d "$INC/130056"
check "a live .tmp-* file: no problems file either" gone "$INC/130056.problems.txt"
check "a folder holding only Finder's .DS_Store: nothing to import, no problems file" \
    eval '[ -f "$INC/finder/.DS_Store" ] && [ ! -e "$INC/finder.problems.txt" ]'
rm -rf "$INC/finder"
rm "$INC/130056/.tmp-dav-abc123"
check "the temporary file gone: 130056 published" wait_for 30 published 130056

# 5. Another channel, and a store copy (a folder holding
#    <channel>/download/...) made by storeimport.
fw_build "$S" 133050 222
described "$S" 133050 13r3 sr02
put_in "$S/133050" 133050 "$BETA_INC"
check "beta: 133050 published in beta" wait_for 30 published 133050 beta
check "beta: not in release" eval '! published 133050'
check "beta: served" served beta/download/133050/ip222.bin "firmware 222 133050"
OTHER="$WORK/other"
fw_both "$S" 130057
mkdir -p "$OTHER" "$WORK/storecopy/release"
ROOT="$OTHER" si --release 13r1 --label sr13 --create-channel publish "$S/130057"
cp -r "$OTHER/release/download" "$WORK/storecopy/release/"
put_in "$WORK/storecopy" storecopy
check "store copy: 130057 published" wait_for 30 published 130057
check "store copy: gone from incoming/" gone "$INC/storecopy"
check "store copy: served" served release/download/130057/ip0013.bin "firmware 0013 130057"

# 6. Uploaded with curl: MKCOL and PUT (when the write methods are there).
mk=$(curl -s -o /dev/null -w '%{http_code}' -u alice:pw -X MKCOL "$DAV/release/incoming/130058/")
if [ "$mk" = 201 ]; then
	fw_both "$S" 130058
	described "$S" 130058 13r1 sr14
	for f in ip222_files ip222.bin boot222.bin ip0013_files ip0013.bin boot0013.bin build.json; do
		curl -s -o /dev/null -u alice:pw -T "$S/130058/$f" "$DAV/release/incoming/130058/$f"
	done
	check "curl MKCOL + PUT: 130058 published" wait_for 30 published 130058
	check "curl MKCOL + PUT: served" served release/download/130058/ip0013.bin \
	    "firmware 0013 130058"
	check "curl MKCOL + PUT: gone from incoming/" gone "$INC/130058"
	curl -s -o /dev/null -u alice:pw -T "$WORK/130051.tar.gz" "$DAV/release/incoming/130051.tar.gz"
	check "curl PUT of an archive of a published build: refused with its problems file" \
	    wait_for 30 test -s "$INC/130051.tar.gz.problems.txt"
	like "the problems file says it is published already" "$(cat "$INC/130051.tar.gz.problems.txt")" \
	    '130051: already published'
	curl -s -o /dev/null -u alice:pw -X DELETE "$DAV/release/incoming/130051.tar.gz"
	check "the archive deleted: its problems file goes too" \
	    wait_for 30 gone "$INC/130051.tar.gz.problems.txt"
	# A lock on the upload keeps it, past its quiet time, until UNLOCK.
	curl -s -o /dev/null -u alice:pw -X MKCOL "$DAV/release/incoming/130066/"
	lockinfo='<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:">'
	lockinfo="$lockinfo<D:lockscope><D:exclusive/></D:lockscope>"
	lockinfo="$lockinfo<D:locktype><D:write/></D:locktype></D:lockinfo>"
	token=$(curl -s -D - -o /dev/null -u alice:pw -X LOCK -H 'Depth: infinity' \
	    -H 'Timeout: Second-300' -H 'Content-Type: application/xml' --data "$lockinfo" \
	    "$DAV/release/incoming/130066/" | header_of Lock-Token /dev/stdin)
	like "LOCK of an upload: a lock token" "$token" '^<urn:uuid:[0-9a-f-]{36}>$'
	fw_both "$S" 130066
	described "$S" 130066 13r1 sr24
	for f in ip222_files ip222.bin boot222.bin ip0013_files ip0013.bin boot0013.bin build.json; do
		curl -s -o /dev/null -u alice:pw -H "If: ($token)" -T "$S/130066/$f" \
		    "$DAV/release/incoming/130066/$f"
	done
	fw_both "$S" 130067
	described "$S" 130067 13r1 sr25
	put_in "$S/130067" 130067
	check "locked: another upload published meanwhile" wait_for 30 published 130067
	sleep 3		# past the quiet time
	check "locked: 130066, complete and past its quiet time, not imported" \
	    eval '[ -f "$INC/130066/build.json" ] && [ ! -e "$INC/130066.problems.txt" ]'
	is "UNLOCK" "$(curl -s -o /dev/null -w '%{http_code}' -u alice:pw -X UNLOCK \
	    -H "Lock-Token: $token" "$DAV/release/incoming/130066/")" 204
	check "unlocked: 130066 published" wait_for 30 published 130066
else
	ok "# SKIP curl MKCOL + PUT: MKCOL answered $mk (the write methods are not there yet)"
fi
check "storesrv stops cleanly" stop_storesrv 30

# 7. Complete before the quiet time, partial not until it: a long quiet
#    time, a complete and a partial folder put in together.
check "storesrv started again (--webdav-quiet 8)" start_dav 8
fw_both "$S" 130060
described "$S" 130060 13r1 sr15
fw_both "$S" 130061
described "$S" 130061 13r1 sr16
rm "$S/130061/boot0013.bin"
fw_both "$S" 130063
described "$S" 130063 13r1 sr18
: >"$S/130063/ip222.bin"	# Windows' zero-length PUT before the real one
put_in "$S/130061" 130061
put_in "$S/130063" 130063
put_in "$S/130060" 130060
if [ "$mk" = 201 ]; then	# an archive PUT whole, and one cut short
	fw_both "$S" 130064
	described "$S" 130064 13r1 sr19
	tar -C "$S" -czf "$WORK/130064.tar.gz" 130064
	fw_both "$S" 130065
	described "$S" 130065 13r1 sr20
	head -c 300 /dev/urandom >>"$S/130065/ip222.bin"
	tar -C "$S" -cf - 130065 | gzip -1 | head -c 200 >"$WORK/130065.tar.gz"
	curl -s -o /dev/null -u alice:pw -T "$WORK/130065.tar.gz" "$DAV/release/incoming/130065.tar.gz"
	curl -s -o /dev/null -u alice:pw -T "$WORK/130064.tar.gz" "$DAV/release/incoming/130064.tar.gz"
fi
check "complete: 130060 published" wait_for 30 published 130060
check "partial: 130061 not imported when the complete one was" \
    eval '[ -d "$INC/130061" ] && [ ! -e "$INC/130061.problems.txt" ]'
check "a zero-length file: 130063 not imported when the complete one was" \
    eval '[ -d "$INC/130063" ] && [ ! -e "$INC/130063.problems.txt" ]'
if [ "$mk" = 201 ]; then
	check "archive PUT whole: 130064 published before the quiet time" wait_for 30 published 130064
	check "archive cut short: not imported when the whole one was" \
	    eval '[ -f "$INC/130065.tar.gz" ] && [ ! -e "$INC/130065.tar.gz.problems.txt" ]'
	check "archive cut short: refused once quiet" \
	    wait_for 30 test -s "$INC/130065.tar.gz.problems.txt"
fi
check "partial: imported once quiet, refused for the missing file" \
    wait_for 30 test -s "$INC/130061.problems.txt"
like "partial: the problems file names the missing file" "$(cat "$INC/130061.problems.txt")" \
    'boot0013.bin'
check "a zero-length file: imported once quiet, refused" \
    wait_for 30 test -s "$INC/130063.problems.txt"
check "storesrv stops cleanly again" stop_storesrv 30

# 8. No room (a reserve larger than the disk): the import fails, the
#    upload stays whole with a problems file saying so; with room it is
#    published.
partial_inode=$(stat -c %i "$INC/130061.problems.txt")
check "storesrv started with a reserve larger than the disk" \
    start_dav 2 --webdav-reserve 1048576
fw_both "$S" 130062
described "$S" 130062 13r1 sr17
put_in "$S/130062" 130062
check "no room: a problems file" wait_for 30 test -s "$INC/130062.problems.txt"
like "no room: it says not imported, tried again later" "$(head -1 "$INC/130062.problems.txt")" \
    '130062: not imported: .*free.*\(tried again later\)'
check "no room: the upload is whole, build.json and all" \
    eval 'diff -r "$S/130062" "$INC/130062" >/dev/null'
check "no room: nothing published" eval '! published 130062'
is "after a restart, a refused upload unchanged is not tried again (one refusal logged)" \
    "$(count_logged "release/incoming/130061 refused")" 1
is "after a restart, its problems file is untouched" \
    "$(stat -c %i "$INC/130061.problems.txt")" "$partial_inode"
check "storesrv stops cleanly (no room)" stop_storesrv 30
check "storesrv started with room" start_dav 2
check "with room: 130062 published" wait_for 30 published 130062
check "with room: the problems file is gone" wait_for 5 gone "$INC/130062.problems.txt"
check "storesrv stops cleanly at last" stop_storesrv 30

# 9. The WebDAV loop's reports alone (webdav_incoming_probe): a hold keeps
#    an upload past its quiet time until released; touches keep one from
#    being imported until they stop.
PROBE_BIN="$top_builddir/tests/integration/webdav_incoming_probe"
if [ -x "$PROBE_BIN" ]; then
	coproc PROBE { "$PROBE_BIN" "$ROOT" 2 2>>"$WORK/probe.err"; }
	probe_in=${PROBE[1]}; probe_out=${PROBE[0]}
	# probe COMMAND...: one report, answered "ok".
	probe() { echo "$*" >&"$probe_in" && read -r -t 10 _r <&"$probe_out" && [ "$_r" = ok ]; }
	check "probe: hold release/incoming/130070/ip222.bin" probe hold release 130070/ip222.bin
	fw_both "$S" 130070
	described "$S" 130070 13r1 sr21
	fw_both "$S" 130071
	described "$S" 130071 13r1 sr22
	put_in "$S/130070" 130070
	put_in "$S/130071" 130071
	check "probe: 130071 (not held) published" wait_for 30 published 130071
	sleep 3		# past the quiet time of 2 s
	check "probe: 130070 held past its quiet time: not imported" \
	    eval '[ -d "$INC/130070" ] && [ ! -e "$INC/130070.problems.txt" ]'
	check "probe: release" probe release release 130070/ip222.bin
	check "probe: released, 130070 published" wait_for 30 published 130070
	fw_both "$S" 130072
	described "$S" 130072 13r1 sr23
	put_in "$S/130072" 130072
	touched=0
	for _t in 1 2 3 4 5 6 7 8 9 10 11 12; do
		probe touch release 130072/ip222.bin && touched=$((touched + 1))
		sleep 0.5
	done
	is "probe: 12 touches over 6 s" "$touched" 12
	check "probe: 130072 touched all along: not imported" test -d "$INC/130072"
	check "probe: touches stopped, 130072 published" wait_for 30 published 130072
	eval "exec $probe_in>&-"
	wait "$PROBE_PID"
	is "probe: stops cleanly at the end of its input" "$?" 0
	like "probe: its log names what it published" "$(cat "$WORK/probe.err")" \
	    'incoming: release/incoming/130072 published: 130072'
else
	ok "# SKIP the probe is not built"
fi

[ "$TAP_FAILED" -eq 0 ] || grep -E 'incoming|ERROR|Sanitizer' "$LOG" | sed 's/^/# log: /'
done_testing
