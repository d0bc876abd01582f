#!/bin/bash
# Air-gap bundles: `storemirror export` writes a local published channel
# (the demo store, published with storeimport) or a selection of it as one
# tar with a manifest of every file's size and sha256; `storeimport publish
# bundle.tar` on the other side verifies every entry while staging it and
# publishes like a store copy: storesrv then serves the same indexes and
# files as the source.  --since exports only what is new.  A tampered,
# truncated, extended, shortened, reordered bundle or one with an edited
# manifest is refused, naming the entry, with the target unchanged byte for
# byte.  Ed25519: a good signature is accepted with --verify-key, a wrong
# key or a stripped signature refused; a signed bundle without
# --verify-key is accepted with a warning.  An export whose source file
# changed on disk since publishing is refused and leaves no bundle.
. "$(dirname "$0")/lib.sh"
STOREMIRROR=${STOREMIRROR:-$top_builddir/mirror/storemirror}
[ -x "$STOREMIRROR" ] || skip_all "storemirror not built"
[ -x "$STOREIMPORT" ] || skip_all "storeimport not built"
for t in curl openssl jq tar sha256sum truncate python3 /usr/bin/time; do
	command -v $t >/dev/null || skip_all "$t missing"
done

SRC="$WORK/src"		# the connected side: published with storeimport
DEMO="$WORK/demo"
mkdir -p "$SRC"

# imp ROOT ARGS...: storeimport -r ROOT ARGS; output in OUT, status in RC.
imp() { _r=$1; shift; mkdir -p "$_r"; OUT=$("$STOREIMPORT" -r "$_r" "$@" 2>&1); RC=$?; }
# exp ARGS...: storemirror export --root $SRC ARGS; output in OUT, status in RC.
exp() { OUT=$("$STOREMIRROR" export --root "$SRC" --channels release "$@" 2>&1); RC=$?; }
# need NAME COMMAND...: a step of the fixture; reported only when it fails.
need() { _n=$1; shift; "$@" || { not_ok "$_n"; diag "$OUT"; }; }
# snapshot ROOT: every path below ROOT with the sha256 of each file.
# (.status/ is left out: storeimport records each run there, a refusal too)
snapshot() {
	(cd "$1" && find . -path ./.status -prune -o -printf '%y %p\n' | sort &&
	    find . -path ./.status -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
# same_snapshot NAME ROOT SNAPSHOT: ROOT is as SNAPSHOT says (a short diff
# when not).
same_snapshot() {
	_now=$(snapshot "$2")
	if [ "$_now" = "$3" ]; then ok "$1"; else
		not_ok "$1"; diff <(printf '%s\n' "$3") <(printf '%s\n' "$_now") | head -n 8 | sed 's/^/# /'
	fi
}
# entries BUNDLE: the file entries below download/, one per line.
entries() { tar -tf "$1" | grep '^download/'; }
# same_indexes NAME ROOT: ROOT's release indexes equal $SRC's byte for byte.
same_indexes() {
	_bad=
	for _i in apps firmware software linux phoneplatform; do
		cmp -s "$2/release/download/$_i.json" "$SRC/release/download/$_i.json" || _bad="$_bad $_i"
	done
	is "$1" "$_bad" ""
}

make_demo_store "$DEMO" || { not_ok "demo store generated"; done_testing; exit 1; }
rm -rf "$DEMO/release/download/132010"		# the demo's incomplete build
imp "$SRC" publish "$DEMO/release/download"
need "the demo channel is published in the source" test "$RC" = 0

# --- a whole channel -----------------------------------------------------------
B1="$WORK/b1.tar"
exp --output "$B1" --state-out "$WORK/st1.json"
is "export of the release channel succeeds" "$RC" 0
is "the manifest is the bundle's first entry" "$(tar -tf "$B1" | head -n 1)" storesrv-bundle.json
is "no temporary file is left beside the bundle" "$(ls -A "$WORK" | grep -c '^\.b1')" 0
tar -xf "$B1" -C "$WORK" storesrv-bundle.json && mv "$WORK/storesrv-bundle.json" "$WORK/m1.json"
is "the manifest lists every file of the bundle, in its order" \
    "$(jq -r '.files[].path' "$WORK/m1.json")" "$(entries "$B1")"
bad=0
while read -r path size sum; do
	f="$SRC/release/$path"
	[ "$(stat -c %s "$f")" = "$size" ] && [ "$(sha256sum <"$f" | cut -d ' ' -f 1)" = "$sum" ] ||
	    { bad=$((bad + 1)); diag "manifest disagrees with $f"; }
done < <(jq -r '.files[] | "\(.path) \(.size) \(.sha256)"' "$WORK/m1.json")
is "every manifest entry has the source file's size and sha256" "$bad" 0
like "the bundle holds the five indexes" "$(entries "$B1" | grep -c '^download/[a-z]*\.json$')" '^5$'
like "the bundle holds builds and platform versions" "$(entries "$B1" | cut -d / -f 2 | sort -u | tr '\n' ' ')" \
    '130045 .*132001 .*app-platform .*phoneplatform'

DST="$WORK/dst"
imp "$DST" publish "$B1"
is "the bundle is published into an empty root" "$RC" 0
like "the report lists the published builds" "$OUT" 'published 132001 \(build'
same_indexes "the target's indexes equal the source's byte for byte" "$DST"
imp "$DST" verify
is "storeimport verify: every published file matches its record" "$RC" 0

need "storesrv started on the target" start_storesrv "$DST"
bad=0; n=0
for path in $(entries "$B1"); do
	n=$((n + 1))
	curl -sf -o "$WORK/got" "$BASE/release/$path" && cmp -s "$WORK/got" "$SRC/release/$path" ||
	    { bad=$((bad + 1)); diag "served $path differs"; }
done
is "storesrv serves all $n files and indexes of the bundle as the source has them" "$bad" 0
curl -sf -o "$WORK/got" "$BASE/release/sha256/132001"
check "storesrv serves the target's sha256 record, equal to the source's" \
    cmp -s "$WORK/got" "$SRC/release/hashes/132001.sha256"
stop_storesrv 10
is "storesrv stops cleanly" "$?" 0

before=$(snapshot "$DST")
imp "$DST" --json publish "$B1"
is "the same bundle again: success" "$RC" 0
is "the same bundle again: nothing published (already there, same files)" \
    "$(printf '%s' "$OUT" | jq -c '.published')" '[]'
same_snapshot "the same bundle again: the target unchanged" "$DST" "$before"

# --- a selection ---------------------------------------------------------------
BS="$WORK/sel.tar"
exp --output "$BS" --kinds app --ids apidemo
is "export of a selection (apps: apidemo)" "$RC" 0
is "the selection holds apidemo's files and the indexes only" \
    "$(entries "$BS" | grep -Ev '^download/[a-z]+\.json$' | grep -Ev '/(apidemo_files|[a-z0-9_]+/apidemo/apidemo\.[a-z]+)$')" ""
like "the selection holds apidemo of the latest 13r1 and 13r2 builds" "$(entries "$BS" | cut -d / -f 2 | sort -u | tr '\n' ' ')" \
    '^130045 132001 apps'
SEL="$WORK/sel-root"
imp "$SEL" publish "$BS"
is "the selection is published into an empty root" "$RC" 0
is "... without a warning (the indexes name only what the bundle brings)" \
    "$(printf '%s\n' "$OUT" | grep -c '^warning')" 0
check "apidemo is published" test -s "$SEL/release/download/132001/arm/apidemo/apidemo.bin"
check "clock (not selected) is not" test ! -e "$SEL/release/download/132001/arm/clock"
check "firmware (not selected) is not" test ! -e "$SEL/release/download/128001"

imp "$DST" --json publish "$BS"
is "the selection into the target that has the whole channel: nothing to publish" \
    "$RC $(printf '%s' "$OUT" | jq -c '.published')" '0 []'

# --- only what is new since the last export ---------------------------------
mkdir -p "$WORK/new/133001/arm/newapp"
printf 'newapp.bin' >"$WORK/new/133001/newapp_files"
echo "new app" >"$WORK/new/133001/arm/newapp/newapp.bin"
imp "$SRC" --release 13r2 publish "$WORK/new/133001"
need "a new build is published in the source" test "$RC" = 0
B2="$WORK/b2.tar"
exp --output "$B2" --since "$WORK/st1.json" --state-out "$WORK/st2.json"
is "export --since the first export" "$RC" 0
is "it holds only the new build and the indexes" \
    "$(entries "$B2" | grep -Ev '^download/[a-z]+\.json$' | cut -d / -f 2 | sort -u)" 133001
imp "$DST" publish "$B2"
is "the incremental bundle is published" "$RC" 0
is "... without a warning (no 'folder missing' for what the target has)" \
    "$(printf '%s\n' "$OUT" | grep -c '^warning')" 0
check "the new build is there" test -s "$DST/release/download/133001/arm/newapp/newapp.bin"
same_indexes "the target's indexes equal the source's again" "$DST"
# The same path for --since and --state-out, as a cron job uses it: the first
# run finds no state yet and exports everything, the second only what is new.
exp --output "$WORK/b-first.tar" --since "$WORK/st-cron.json" --state-out "$WORK/st-cron.json"
is "a first export --since a state file that does not exist yet" "$RC" 0
like "... says so" "$OUT" 'no such state file yet'
is "... and exports every folder (the first bundle's and the new build's)" \
    "$(entries "$WORK/b-first.tar" | sort)" "$( (entries "$B1"; entries "$B2") | sort -u)"
exp --json --output "$WORK/b-second.tar" --since "$WORK/st-cron.json" --state-out "$WORK/st-cron.json"
is "the second run with the same state file: no folder" \
    "$(printf '%s' "$OUT" | jq -c '[.folders, .files]' 2>/dev/null)" '[0,5]'
B3="$WORK/b3.tar"
exp --json --output "$B3" --since "$WORK/st2.json"
is "export --since with nothing new: no folder" "$(printf '%s' "$OUT" | jq -c '[.folders, .files]')" '[0,5]'
# A build folder holds apps and firmware: an export of the apps does not
# make a later export of the firmware leave that folder's firmware out.
exp --output "$WORK/b-apps.tar" --kinds app --state-out "$WORK/st-apps.json"
need "export of the apps with a state" test "$RC" = 0
exp --output "$WORK/b-fw.tar" --kinds firmware --since "$WORK/st-apps.json" \
    --state-out "$WORK/st-fw.json"
is "export of the firmware --since the apps' state" "$RC" 0
is "... holds the firmware of the folders the apps' export had (132001/ip0013.bin)" \
    "$(entries "$WORK/b-fw.tar" | grep -c '^download/132001/ip0013\.bin$')" 1
exp --json --output "$WORK/b-fw2.tar" --kinds firmware --since "$WORK/st-fw.json"
is "the firmware again --since that export: no folder" \
    "$(printf '%s' "$OUT" | jq -c '[.folders, .files]')" '[0,5]'
# The state keeps only folders the channel still publishes: it does not grow
# with every build ever exported.
jq '.units["999999"] = {"record": "0", "files": ["a"]} | .units["../x"] = {}' \
    "$WORK/st-fw.json" >"$WORK/st-gone.json"
exp --output "$WORK/b-gone.tar" --since "$WORK/st-gone.json" --state-out "$WORK/st-gone2.json"
need "export --since a state naming folders the channel does not have" test "$RC" = 0
is "... the new state leaves them out, and keeps the others" \
    "$(jq -c '.units | [has("999999"), has("../x"), has("132001")]' "$WORK/st-gone2.json")" \
    '[false,false,true]'
exp --json --output "$WORK/b-apps2.tar" --kinds app --since "$WORK/st2.json"
is "the apps --since the state of a whole export: no folder" \
    "$(printf '%s' "$OUT" | jq -c '[.folders, .files]')" '[0,5]'

# --- refusals: the target unchanged, byte for byte -------------------------------
# A bundle of the whole channel, published into a new channel "other" of the
# selection's root: the genuine bundle is accepted there (checked last), so
# each refusal comes from what was done to the bundle.
BF="$WORK/full.tar"
exp --output "$BF"
need "a full bundle for the refusals" test "$RC" = 0
X="$WORK/x"; mkdir -p "$X"; tar -xf "$BF" -C "$X"
ORDER=$(tar -tf "$BF")
TARGET_SNAP=$(snapshot "$SEL")
# repack OUT NAMES...: a tar of $X's files in that order (GNU tar, pax).
repack() { _o=$1; shift; printf '%s\n' "$@" | tar -cf "$_o" -C "$X" --no-recursion --format=pax -T -; }
# refused NAME BUNDLE PATTERN [ARGS...]: publishing BUNDLE into $SEL fails
# with exit 1, an error matching PATTERN, nothing changed.
refused() {
	_n=$1; _b=$2; _p=$3; shift 3
	imp "$SEL" -c other --create-channel "$@" publish "$_b"
	is "$_n: exit 1" "$RC" 1
	like "$_n: the error names it" "$OUT" "$_p"
	same_snapshot "$_n: the target unchanged" "$SEL" "$TARGET_SNAP"
}
# patch_byte FILE OFFSET CHAR: overwrites one byte in place.
patch_byte() { printf '%s' "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# data_offset FILE TEXT: the byte offset of TEXT's first occurrence.
data_offset() { grep -obaF "$2" "$1" | head -n 1 | cut -d : -f 1; }

# shellcheck disable=SC2086
repack "$WORK/same.tar" $ORDER
imp "$SEL" check "$WORK/same.tar"
is "control: the bundle repacked unchanged passes storeimport check" "$RC" 0

V=download/130045/arm/apidemo/apidemo.png
cp "$BF" "$WORK/t-byte.tar"
patch_byte "$WORK/t-byte.tar" "$(data_offset "$WORK/t-byte.tar" "storesrv demo file release/$V")" S
refused "one byte of a file changed" "$WORK/t-byte.tar" "$V: sha256 .* the manifest says"

head -c $(($(stat -c %s "$BF") / 2)) "$BF" >"$WORK/t-trunc.tar"
refused "the bundle cut in half" "$WORK/t-trunc.tar" 'truncated|missing: the bundle ends'

echo "not in the manifest" >"$X/download/130045/evil.bin"
# shellcheck disable=SC2086
repack "$WORK/t-extra-end.tar" $ORDER download/130045/evil.bin
refused "an extra file at the end" "$WORK/t-extra-end.tar" 'download/130045/evil.bin: an extra entry'
# shellcheck disable=SC2086
repack "$WORK/t-extra.tar" storesrv-bundle.json \
    $(printf '%s\n' $ORDER download/130045/evil.bin | grep '^download/' | LC_ALL=C sort)
refused "an extra file among the others" "$WORK/t-extra.tar" "download/130045/evil.bin: not the manifest's next file"
# shellcheck disable=SC2086
repack "$WORK/t-moved.tar" $(printf '%s\n' $ORDER | grep -v '^storesrv-bundle') storesrv-bundle.json
refused "the manifest moved to the end (not taken for a plain archive)" "$WORK/t-moved.tar" \
    'expected storesrv-bundle.json here'

M=download/130045/arm/clock/clock.png
# shellcheck disable=SC2086
repack "$WORK/t-missing.tar" $(printf '%s\n' $ORDER | grep -vx "$M")
refused "a file left out" "$WORK/t-missing.tar" "not the manifest's next file $M"

A=download/130045/arm/clock/clock.bin
# shellcheck disable=SC2086
repack "$WORK/t-order.tar" $(printf '%s\n' $ORDER | sed "s|^$A\$|@|; s|^$M\$|$A|; s|^@\$|$M|")
refused "two files swapped" "$WORK/t-order.tar" "$M: not the manifest's next file $A"

sum=$(jq -r --arg p "$V" '.files[] | select(.path == $p) | .sha256' "$X/storesrv-bundle.json")
forged=$(printf '%s' "$sum" | tr 0-9a-f 1-9a-f0)
cp "$BF" "$WORK/t-manifest.tar"
patch_byte "$WORK/t-manifest.tar" "$(data_offset "$WORK/t-manifest.tar" "$sum")" "$forged"
refused "a sha256 of the manifest edited" "$WORK/t-manifest.tar" "$V: sha256 .* the manifest says $forged"

cp "$BF" "$WORK/t-json.tar"
patch_byte "$WORK/t-json.tar" "$(data_offset "$WORK/t-json.tar" '"files"')" '('
refused "a manifest that is not JSON" "$WORK/t-json.tar" 'storesrv-bundle.json: line'

# --- hostile bundles, made by hand ----------------------------------------------
# craft OUT MANIFEST [ENTRY]...: a pax tar of the manifest (JSON text) and
# the entries, each a JSON object {"name", "data", "type": file (default),
# symlink, link, chr or dir, "link", "pax": {headers}}, as a writer other
# than export would make it.
craft() {
	python3 - "$@" <<'PY'
import io, json, sys, tarfile
types = {"file": tarfile.REGTYPE, "symlink": tarfile.SYMTYPE, "link": tarfile.LNKTYPE,
         "chr": tarfile.CHRTYPE, "dir": tarfile.DIRTYPE}
entries = [{"name": "storesrv-bundle.json", "data": sys.argv[2]}] + \
    [json.loads(a) for a in sys.argv[3:]]
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for e in entries:
        data = e.get("data", "").encode()
        ti = tarfile.TarInfo(e["name"])
        ti.type = types[e.get("type", "file")]
        ti.linkname = e.get("link", "")
        ti.pax_headers = e.get("pax", {})
        ti.size = len(data) if ti.type == tarfile.REGTYPE else 0
        t.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)
PY
}
MHEAD='{"format":"storesrv-bundle","version":1,"channel":"release","created":"x","files":'
E=$(printf '' | sha256sum | cut -d ' ' -f 1)
# Sizes whose sum wraps around 2^64 to 0: the total is bounded all the same.
craft "$WORK/t-wrap.tar" "$MHEAD[{\"path\":\"download/130001/a\",\"size\":9223372036854775807,\"sha256\":\"$E\"},{\"path\":\"download/130001/b\",\"size\":9223372036854775807,\"sha256\":\"$E\"},{\"path\":\"download/130001/c\",\"size\":2,\"sha256\":\"$E\"}]}"
refused "file sizes whose sum overflows: refused by --max-archive-bytes at the manifest" \
    "$WORK/t-wrap.tar" 'storesrv-bundle.json: .*more than --max-archive-bytes'

# A sparse entry: 10 KiB of bundle expanding to 5 MiB of zeros, refused by
# --max-ratio before anything is read (as storeimport check refuses it).
mkdir -p "$WORK/sp/download/130001"
printf 'a' >"$WORK/sp/download/130001/s.bin"
truncate -s 5M "$WORK/sp/download/130001/s.bin"
printf 'z' >>"$WORK/sp/download/130001/s.bin"
printf '%s[{"path":"download/130001/s.bin","size":5242881,"sha256":"%s"}]}' "$MHEAD" \
    "$(sha256sum <"$WORK/sp/download/130001/s.bin" | cut -d ' ' -f 1)" >"$WORK/sp/storesrv-bundle.json"
tar -C "$WORK/sp" --sparse --format=pax -cf "$WORK/t-sparse.tar" storesrv-bundle.json \
    download/130001/s.bin
refused "a sparse entry expanding 500 times" "$WORK/t-sparse.tar" \
    'storesrv-bundle.json: .*more than 200 times its size \(--max-ratio\)'

# Entries a writer other than export could make: each refused, naming it.
X1=$(printf 'x' | sha256sum | cut -d ' ' -f 1)
MA="$MHEAD[{\"path\":\"download/130001/a\",\"size\":1,\"sha256\":\"$X1\"}]}"
MAB="$MHEAD[{\"path\":\"download/130001/a\",\"size\":1,\"sha256\":\"$X1\"},{\"path\":\"download/130001/b\",\"size\":1,\"sha256\":\"$X1\"}]}"
craft "$WORK/t-symlink.tar" "$MA" '{"name":"download/130001/a","type":"symlink","link":"/etc/passwd"}'
refused "a symlink entry" "$WORK/t-symlink.tar" 'download/130001/a: not a regular file'
craft "$WORK/t-hardlink.tar" "$MAB" '{"name":"download/130001/a","data":"x"}' \
    '{"name":"download/130001/b","type":"link","link":"download/130001/a"}'
refused "a hard link entry" "$WORK/t-hardlink.tar" 'download/130001/b: not a regular file'
craft "$WORK/t-chr.tar" "$MA" '{"name":"download/130001/a","type":"chr"}'
refused "a device entry" "$WORK/t-chr.tar" 'download/130001/a: not a regular file'
craft "$WORK/t-dir.tar" "$MA" '{"name":"download/130001/","type":"dir"}' \
    '{"name":"download/130001/a","data":"x"}'
refused "a folder entry" "$WORK/t-dir.tar" "download/130001/: not the manifest's next file"
craft "$WORK/t-pax.tar" "$MA" '{"name":"download/130001/a","data":"x","pax":{"path":"../../a"}}'
refused "a pax header renaming the entry" "$WORK/t-pax.tar" "\.\./\.\./a: not the manifest's next file"
craft "$WORK/t-bigger.tar" "$MA" '{"name":"download/130001/a","data":"xy"}'
refused "an entry larger than listed" "$WORK/t-bigger.tar" 'download/130001/a: 2 bytes, the manifest says 1'
craft "$WORK/t-second.tar" "$MA" '{"name":"download/130001/a","data":"x"}' \
    '{"name":"storesrv-bundle.json","data":"{}"}'
refused "a second manifest after the files" "$WORK/t-second.tar" 'storesrv-bundle.json: an extra entry'

# The manifest's strings are the bundle's: shown escaped, never raw to a
# terminal; a path refused is named.
craft "$WORK/t-esc.tar" '{"format":"\u001b]0;owned\u0007\u001b[2J","version":1,"channel":"release","created":"x","files":[]}'
refused "a manifest whose format holds terminal escapes" "$WORK/t-esc.tar" \
    'storesrv-bundle.json: format "\\x1b\]0;owned\\x07'
is "... no control character of it reaches the output" \
    "$(printf '%s' "$OUT" | tr -d '\n' | LC_ALL=C grep -c '[[:cntrl:]]')" 0
craft "$WORK/t-badpath.tar" "$MHEAD[{\"path\":\"download/130001/../a\\u001b[2J\",\"size\":0,\"sha256\":\"$E\"}]}"
refused "a manifest path a bundle may not carry" "$WORK/t-badpath.tar" \
    'files\[0\] \(download/130001/\.\./a\\x1b\[2J\): not a path a bundle may carry'

# --- Ed25519 -------------------------------------------------------------------
openssl genpkey -algorithm ed25519 -out "$WORK/key.pem" 2>/dev/null &&
    openssl pkey -in "$WORK/key.pem" -pubout -out "$WORK/key.pub" 2>/dev/null &&
    openssl genpkey -algorithm ed25519 -out "$WORK/other.pem" 2>/dev/null &&
    openssl pkey -in "$WORK/other.pem" -pubout -out "$WORK/other.pub" 2>/dev/null
need "two Ed25519 key pairs made with openssl" test -s "$WORK/other.pub"
BK="$WORK/signed.tar"
exp --output "$BK" --sign-key "$WORK/key.pem"
is "a signed export" "$RC" 0
is "the signature follows the manifest" "$(tar -tf "$BK" | sed -n 2p)" storesrv-bundle.sig
S="$WORK/s"; mkdir -p "$S"; tar -xf "$BK" -C "$S" storesrv-bundle.json storesrv-bundle.sig
check "openssl verifies the signature over the manifest (pkeyutl -rawin)" \
    openssl pkeyutl -verify -pubin -inkey "$WORK/key.pub" -rawin -in "$S/storesrv-bundle.json" \
    -sigfile "$S/storesrv-bundle.sig" -out /dev/null

refused "a wrong public key" "$BK" 'storesrv-bundle.sig: does not match the manifest' \
    --verify-key "$WORK/other.pub"
tar -xf "$BK" -C "$X" storesrv-bundle.json storesrv-bundle.sig
# shellcheck disable=SC2086
repack "$WORK/t-nosig.tar" $(tar -tf "$BK" | grep -v '^storesrv-bundle.sig$')
refused "the signature stripped" "$WORK/t-nosig.tar" 'storesrv-bundle.sig: missing: the bundle is not signed' \
    --verify-key "$WORK/key.pub"
refused "an unsigned bundle with --verify-key" "$BF" 'the bundle is not signed' \
    --verify-key "$WORK/key.pub"
# shellcheck disable=SC2086
(cd "$X" && tar -cf "$WORK/plain.tar" download)
refused "a plain archive (no manifest) with --verify-key" "$WORK/plain.tar" \
    'plain.tar: not a bundle, and --verify-key accepts only signed bundles' --verify-key "$WORK/key.pub"
# A forgery consistent without the key: a file changed and its sha256 in
# the manifest with it.
cp "$BK" "$WORK/t-forged.tar"
patch_byte "$WORK/t-forged.tar" "$(data_offset "$WORK/t-forged.tar" "storesrv demo file release/$V")" S
new=$(sed '0,/s/s//S/' "$SRC/release/$V" | sha256sum | cut -d ' ' -f 1)
patch_byte "$WORK/t-forged.tar" "$(data_offset "$WORK/t-forged.tar" "$sum")" "$new"
refused "a file and its manifest entry changed together" "$WORK/t-forged.tar" \
    'storesrv-bundle.sig: does not match the manifest' --verify-key "$WORK/key.pub"

imp "$SEL" -c other --create-channel publish "$BF"
is "control: the genuine bundle is published where the others were refused" "$RC" 0
imp "$SEL" -c other2 --create-channel --verify-key "$WORK/key.pub" publish "$BK"
is "control: the genuine signed bundle too, with --verify-key" "$RC" 0

SIG="$WORK/sig-root"
imp "$SIG" --verify-key "$WORK/key.pub" publish "$BK"
is "a good signature with --verify-key: published" "$RC" 0
same_indexes "the signed bundle gives the source's indexes" "$SIG"
NOKEY="$WORK/nokey-root"
imp "$NOKEY" publish "$BK"
is "a signed bundle without --verify-key: published" "$RC" 0
like "... with a warning that the signature was not checked" "$OUT" \
    'warning: .*its signature was not checked'
exp --output "$WORK/bad-key.tar" --sign-key "$WORK/key.pub"
is "a public key given as the signing key: an I/O error" "$RC" 3
like "... naming the key file" "$OUT" 'key.pub: not a PEM private key'

exp --output "$WORK/no/such/folder/x.tar"
is "an output in a missing folder: an I/O error" "$RC" 3
like "... naming the output" "$OUT" 'no/such/folder/x.tar: the temporary file beside it: No such file'

exp --output "$WORK/st-fail.tar" --state-out "$WORK/no/such/folder/st.json"
is "a state file that cannot be written: an I/O error" "$RC" 3
check "... after the bundle was written" test -s "$WORK/st-fail.tar"
like "... which the report says, naming both" "$OUT" \
    "st-fail.tar was written.*no/such/folder/st.json"
is "... and does not claim that no bundle was written" "$(printf '%s\n' "$OUT" | grep -c 'no bundle written')" 0
exp --json --output "$WORK/st-fail.tar" --state-out "$WORK/no/such/folder/st.json"
is "... --json names the bundle written" "$(printf '%s' "$OUT" | jq -r '.output')" "$WORK/st-fail.tar"

# --- the source changed on disk since publishing ---------------------------------
C="$SRC/release/download/132001/arm/apidemo/apidemo.bin"
cp "$C" "$WORK/saved"
patch_byte "$C" 0 X
exp --output "$WORK/changed.tar"
is "export of a file changed since publishing: refused" "$RC" 1
like "... naming the file" "$OUT" '132001/arm/apidemo/apidemo.bin: changed on disk since it was published'
check "... and no bundle is written" test ! -e "$WORK/changed.tar"
is "... nor a temporary file left" "$(ls -A "$WORK" | grep -c '^\.changed')" 0
cp "$WORK/saved" "$C"

# --- memory does not grow with file size -----------------------------------------
# A 128 MiB sparse file, exported and imported: the peak RSS stays far
# below it (ASan's quarantine of freed blocks kept small, as it would count).
mkdir -p "$WORK/big/140001"
printf 'big.bin' >"$WORK/big/140001/bigsw_files"
truncate -s 128M "$WORK/big/140001/big.bin"
imp "$SRC" --release 13r2 -k software publish "$WORK/big/140001"
need "a build with a 128 MiB file is published in the source" test "$RC" = 0
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
/usr/bin/time -f '%M' -o "$WORK/rss" "$STOREMIRROR" export --root "$SRC" --channels release \
    --kinds software --ids bigsw --output "$WORK/big.tar" >/dev/null 2>&1
rss=$(tail -n 1 "$WORK/rss"); diag "peak RSS exporting 128 MiB: $rss KiB"
check "export of a 128 MiB file: peak RSS under 40 MiB" test "${rss:-999999}" -lt 40960
mkdir -p "$WORK/big-root"
/usr/bin/time -f '%M' -o "$WORK/rss" "$STOREIMPORT" -r "$WORK/big-root" publish "$WORK/big.tar" \
    >/dev/null 2>&1
rss=$(tail -n 1 "$WORK/rss"); diag "peak RSS importing 128 MiB: $rss KiB"
check "import of a 128 MiB file: peak RSS under 40 MiB" test "${rss:-999999}" -lt 40960
check "... and the file is published whole" cmp -s "$WORK/big-root/release/download/140001/big.bin" \
    "$WORK/big/140001/big.bin"
is "the bundle is readable by its owner's group and others (0644)" "$(stat -c %a "$WORK/big.tar")" 644

# --- a file name that is not ASCII (UTF-8, as published names may be) -------------
# In the C locale, as from cron.
mkdir -p "$WORK/utf/133002/arm/newapp2"
printf 'caf\303\251.bin' >"$WORK/utf/133002/newapp2_files"
echo "caf" >"$WORK/utf/133002/arm/newapp2/caf"$'\303\251'".bin"
imp "$SRC" --release 13r2 publish "$WORK/utf/133002"
need "a build with a UTF-8 file name is published in the source" test "$RC" = 0
OUT=$(LC_ALL=C "$STOREMIRROR" export --root "$SRC" --channels release --kinds app \
    --ids newapp2 --output "$WORK/utf.tar" 2>&1); RC=$?
is "export of a UTF-8 file name in the C locale" "$RC" 0
mkdir -p "$WORK/utf-root"
OUT=$(LC_ALL=C "$STOREIMPORT" -r "$WORK/utf-root" publish "$WORK/utf.tar" 2>&1); RC=$?
is "... imported in the C locale" "$RC" 0
check "... the same file, by the same name" cmp -s \
    "$WORK/utf-root/release/download/133002/arm/newapp2/caf"$'\303\251'".bin" \
    "$SRC/release/download/133002/arm/newapp2/caf"$'\303\251'".bin"

# --- an export stopped by a signal ------------------------------------------------
# SIGTERM while the 128 MiB file is being written (the process stopped
# first, so the signal comes mid-file): no bundle and no temporary file left.
"$STOREMIRROR" export --root "$SRC" --channels release --kinds software --ids bigsw \
    --output "$WORK/int.tar" >"$WORK/int.out" 2>&1 &
pid=$!
for _ in $(seq 1 500); do
	ls -A "$WORK" | grep -q '^\.int\.tar\.tmp-' && break
	sleep 0.02
done
kill -STOP "$pid"
if ls -A "$WORK" | grep -q '^\.int\.tar\.tmp-'; then
	kill -TERM "$pid"; kill -CONT "$pid"; wait "$pid"; rc=$?
	is "export stopped by SIGTERM: it dies of that signal" "$rc" 143
	check "... no bundle written" test ! -e "$WORK/int.tar"
	is "... no temporary file left" "$(ls -A "$WORK" | grep -c '^\.int\.tar\.tmp-')" 0
	like "... and it says so" "$(cat "$WORK/int.out")" 'int\.tar: interrupted'
else
	kill -CONT "$pid"; wait "$pid"
	ok "# SKIP the export was done before it could be stopped"
fi

done_testing
