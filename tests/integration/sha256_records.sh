#!/bin/bash
# Our extension beside the official layout: /<channel>/sha256/<build> (and
# .../app-platform/<version>, .../phoneplatform/<version>) serves the
# importer's sha256 record of a published folder, so that a mirror can
# verify every file it fetched.  Records of removed or missing folders, and
# anything resolved out of hashes/, answer 404.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/importer_lib.sh"
[ -x "$STORESRV" ] || skip_all "storesrv not built"
command -v curl >/dev/null || skip_all "curl missing"
command -v sha256sum >/dev/null || skip_all "sha256sum missing"
S="$WORK/src"

# need NAME COMMAND...: a step of the fixture; reported only when it fails.
need() {
	_name=$1; shift
	"$@" || not_ok "$_name"
}
HS="$ROOT/release/hashes"
DL="$ROOT/release/download"

app_build "$S/r1" 130001 demo arm x86_64
fw_build "$S/r1" 130002 0001
fw_build "$S/r1" 130003 0001
si --release 13r1 publish "$S/r1"
need "builds published" test "$RC" = 0
mkdir -p "$S/ap/app-platform/10001" "$S/pp/phoneplatform/2165"
echo "img 10001" >"$S/ap/app-platform/10001/a.img"
echo "rootfs 2165" >"$S/pp/phoneplatform/2165/rootfs.img"
echo '{"kind":"app-platform","platform":{"id":"arm","files":{"file":"a.img"},"devices":["IP0011"]}}' >"$WORK/ap.json"
echo '{"kind":"phone-platform","platform":{"id":"ip270","files":{"file":"rootfs.img"},"devices":["IP270"]}}' >"$WORK/pp.json"
si -d "$WORK/ap.json" publish "$S/ap/app-platform/10001"
need "App Platform version published" test "$RC" = 0
si -d "$WORK/pp.json" publish "$S/pp/phoneplatform/2165"
need "phone platform version published" test "$RC" = 0
si remove 130003
need "130003 removed (in its grace period)" test "$RC" = 0
need "the removed build keeps its record on disk" test -s "$HS/130003.sha256"
need "the removed build is still on disk" test -e "$DL/130003/.removed"

# Fixtures: a folder without a record; records that lead out of hashes/.
mkdir -p "$DL/555555" "$DL/666666" "$DL/777777" "$WORK/outside"
echo "0000000000000000000000000000000000000000000000000000000000000000  x" >"$WORK/outside/secret.sha256"
ln -s "$WORK/outside/secret.sha256" "$HS/666666.sha256"
ln -s ../catalog.json "$HS/777777.sha256"
# A channel whose hashes/ folder is a symlink to another channel's.
mkdir -p "$ROOT/evil/download/130001" && ln -s ../release/hashes "$ROOT/evil/hashes"

need "storesrv started" start_storesrv "$ROOT" --threads 1

H="$WORK/h"
# hdr NAME URL [CURL ARGS...]: "<status> <value of header NAME>".
hdr() {
	_n=$1; _u=$2; shift 2
	curl -s -D "$H" -o /dev/null --path-as-is "$@" "$_u" >/dev/null
	echo "$(head -n 1 "$H" | tr -d '\r' | cut -d ' ' -f 2) $(header_of "$_n" "$H")"
}

# --- a build's record -------------------------------------------------------
curl -s -D "$H" -o "$WORK/rec" "$BASE/release/sha256/130001"
is "GET sha256/130001: 200" "$(head -n 1 "$H" | tr -d '\r' | cut -d ' ' -f 2)" 200
check "the body is the record on disk" cmp -s "$WORK/rec" "$HS/130001.sha256"
is "200 as text/plain" "$(hdr Content-Type "$BASE/release/sha256/130001")" "200 text/plain; charset=utf-8"
is "200 with nosniff" "$(hdr X-Content-Type-Options "$BASE/release/sha256/130001")" "200 nosniff"
curl -s -D "$H" -o /dev/null "$BASE/release/sha256/130001"
is "Cache-Control no-cache" "$(header_of Cache-Control "$H")" "no-cache"
is "CORS allows any origin" "$(header_of Access-Control-Allow-Origin "$H")" "*"
like "CORS exposes the validators" "$(header_of Access-Control-Expose-Headers "$H")" 'ETag'
is "Content-Length of the record" "$(header_of Content-Length "$H")" "$(stat -c %s "$HS/130001.sha256")"
ETAG=$(header_of ETag "$H")
like "a strong ETag" "$ETAG" '^"[0-9a-f]+-[0-9a-f]+"$'
like "Last-Modified" "$(header_of Last-Modified "$H")" ' GMT$'
is "the record lists every file of the build" "$(wc -l <"$WORK/rec")" 5

# sha256sum -c accepts the record against the files downloaded over HTTP.
mkdir -p "$WORK/fetched"
ok_fetch=1
while read -r _sum _path; do
	mkdir -p "$WORK/fetched/$(dirname "$_path")"
	curl -sf -o "$WORK/fetched/$_path" "$BASE/release/download/130001/$_path" || ok_fetch=0
done <"$WORK/rec"
is "every listed file downloads" "$ok_fetch" 1
check "sha256sum -c accepts the downloaded build" sh -c "cd '$WORK/fetched' && sha256sum --quiet -c '$WORK/rec'"
echo tampered >>"$WORK/fetched/arm/demo/demo.bin"
like "sha256sum -c names a changed file" "$(cd "$WORK/fetched" && sha256sum --quiet -c "$WORK/rec" 2>&1)" '^arm/demo/demo\.bin: FAILED$'


# --- HEAD, conditionals, ranges ---------------------------------------------
is "HEAD: 200 with the length, no body" \
    "$(hdr Content-Length "$BASE/release/sha256/130001" -I) $(curl -s -I -o /dev/null -w '%{size_download}' "$BASE/release/sha256/130001")" \
    "200 $(stat -c %s "$HS/130001.sha256") 0"
is "If-None-Match with the ETag: 304" "$(status_of "$BASE/release/sha256/130001" -H "If-None-Match: $ETAG")" 304
is "304 carries CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/sha256/130001" -H "If-None-Match: $ETAG")" "304 *"
is "If-None-Match with another ETag: 200" "$(status_of "$BASE/release/sha256/130001" -H 'If-None-Match: "x"')" 200
is "If-Match with another ETag: 412" "$(status_of "$BASE/release/sha256/130001" -H 'If-Match: "x"')" 412
is "Range 0-63: 206" "$(hdr Content-Range "$BASE/release/sha256/130001" -H 'Range: bytes=0-63')" \
    "206 bytes 0-63/$(stat -c %s "$HS/130001.sha256")"
is "Range 0-63: the first hash" "$(curl -s -r 0-63 "$BASE/release/sha256/130001")" "$(head -c 64 "$HS/130001.sha256")"
is "OPTIONS preflight: 204 with CORS" "$(hdr Access-Control-Allow-Methods "$BASE/release/sha256/130001" -X OPTIONS -H 'Origin: http://x')" "204 GET, HEAD, OPTIONS"
is "PUT: 405 with CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/sha256/130001" -X PUT)" "405 *"

# --- firmware and platform versions ------------------------------------------
is "a firmware build's record" "$(curl -s "$BASE/release/sha256/130002")" "$(cat "$HS/130002.sha256")"
is "an App Platform version's record" "$(curl -s "$BASE/release/sha256/app-platform/10001")" "$(cat "$HS/app-platform-10001.sha256")"
like "  names its image" "$(curl -s "$BASE/release/sha256/app-platform/10001")" '^[0-9a-f]{64}  a\.img$'
is "a phone platform version's record" "$(curl -s "$BASE/release/sha256/phoneplatform/2165")" "$(cat "$HS/phoneplatform-2165.sha256")"
is "an App Platform version that does not exist: 404 with CORS" "$(hdr Access-Control-Allow-Origin "$BASE/release/sha256/app-platform/10002")" "404 *"

# --- refusals, each with the CORS headers of the sha256/ folder ------------
while read -r want path; do
	[ -z "$want" ] && continue
	is "$path -> $want" "$(hdr Access-Control-Allow-Origin "$BASE$path")" "$want *"
done <<'TABLE'
404 /release/sha256/130003
404 /release/sha256/555555
404 /release/sha256/999999
404 /release/sha256/666666
404 /release/sha256/777777
404 /evil/sha256/130001
404 /nochannel/sha256/130001
404 /release/sha256/
404 /release/sha256
404 /release/sha256/130001.sha256
404 /release/sha256/app-platform-10001
404 /release/sha256/app-platform/
404 /release/sha256/linux/10001
404 /release/sha256/130001/x
404 /release/sha256/0130001
400 /release/sha256/../catalog.json
400 /release/sha256/..%2fcatalog.json
400 /release/sha256/%2e%2e/hashes/130001.sha256
400 /release/sha256/app-platform/../../catalog.json
TABLE
is "a symlink out of hashes/: 404, nothing leaked" \
    "$(hdr Access-Control-Allow-Origin "$BASE/release/sha256/666666") $(curl -s "$BASE/release/sha256/666666" | grep -c 0000000000)" "404 * 0"

need "storesrv stops cleanly" stop_storesrv
done_testing
