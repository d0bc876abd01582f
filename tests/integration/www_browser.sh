#!/bin/bash
# The download page in a real browser: Debian's chromium driven by
# playwright-core (tests/browser/download.mjs) against storesrv serving the
# demo store, with sha256 records as storeimport keeps them.  playwright-core
# is installed by `npm ci` from tests/browser/package-lock.json into the build
# tree; screenshots are kept in $top_builddir/tests/browser/artifacts/.
# Skips when chromium, node or npm is missing or npm ci cannot install.
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
NODE_DIR="$top_builddir/tests/browser"
ARTIFACTS="$NODE_DIR/artifacts"

[ -n "$CHROMIUM" ] || skip_all "chromium is not installed (apt-get install chromium)"
command -v node >/dev/null && command -v npm >/dev/null || skip_all "node or npm is not installed"

# npm_install: playwright-core from the lockfile into the build tree, once
# per lockfile.
npm_install() {
	mkdir -p "$NODE_DIR" || return 1
	if ! cmp -s "$top_srcdir/tests/browser/package-lock.json" "$NODE_DIR/package-lock.json" ||
	    [ ! -d "$NODE_DIR/node_modules/playwright-core" ]; then
		cp "$top_srcdir/tests/browser/package.json" "$top_srcdir/tests/browser/package-lock.json" \
		    "$NODE_DIR/" || return 1
		(cd "$NODE_DIR" && timeout 300 npm ci --no-audit --no-fund >"$WORK/npm.log" 2>&1)
	fi
}

# add_records DIR: DIR/<channel>/hashes/ as storeimport writes it, one
# sha256sum record per published folder (the demo store is made without).
add_records() {
	for _dl in "$1"/*/download; do
		_h=${_dl%/download}/hashes
		mkdir -p "$_h"
		for _d in "$_dl"/[0-9]* "$_dl"/app-platform/* "$_dl"/phoneplatform/*; do
			[ -d "$_d" ] || continue
			case $_d in
			*/app-platform/*) _rec=app-platform-${_d##*/} ;;
			*/phoneplatform/*) _rec=phoneplatform-${_d##*/} ;;
			*) _rec=${_d##*/} ;;
			esac
			(cd "$_d" && find . -type f ! -name '.*' | sed 's|^\./||' | LC_ALL=C sort |
			    xargs -d '\n' sha256sum) >"$_h/$_rec.sha256" || return 1
		done
	done
}

npm_install || skip_all "npm ci could not install playwright-core (offline?): $(tail -1 "$WORK/npm.log")"
rm -rf "$ARTIFACTS" && mkdir -p "$ARTIFACTS"
cp "$top_srcdir/tests/browser/download.mjs" "$NODE_DIR/download.mjs"

ROOT="$WORK/root"
check "demo store made" make_demo_store "$ROOT"
check "sha256 records added" add_records "$ROOT"
check "storesrv started" start_storesrv "$ROOT" --rescan no
like "info.json lists the demo store's builds" "$(curl -s "$BASE/release/info.json")" \
    '"folder":"132001","published":[0-9]+,"files":\[\{"path":'

# info.json: the endpoint on its own (the page's use of it is checked in the
# browser below).
curl -s -D "$WORK/info.h" -o "$WORK/info.json" "$BASE/release/info.json"
etag=$(header_of ETag "$WORK/info.h")
like "info.json: a strong ETag" "$etag" '^"[0-9a-f]+-[0-9a-f]{16}"$'
is "info.json: application/json, revalidated" \
    "$(header_of Content-Type "$WORK/info.h") $(header_of Cache-Control "$WORK/info.h")" \
    "application/json no-cache"
is "info.json: If-None-Match of its ETag -> 304" \
    "$(status_of "$BASE/release/info.json" -H "If-None-Match: $etag")" 304
like "info.json: a sha256 and size of the record" "$(cat "$WORK/info.json")" \
    "\"path\":\"ip222.bin\",\"size\":$(stat -c %s "$ROOT/release/download/132001/ip222.bin"),\"sha256\":\"$(sha256sum "$ROOT/release/download/132001/ip222.bin" | cut -c1-64)\""
like "info.json: App Platform versions by their folder" "$(cat "$WORK/info.json")" \
    '"folder":"app-platform/10002","published":[0-9]+,"files":\[\{"path":"app-platform-armel.img"'
is "info.json of a channel that does not exist: 404" "$(status_of "$BASE/nosuch/info.json")" 404
is "info.json: HEAD 200" "$(status_of "$BASE/release/info.json" -I)" 200
touch "$ROOT/release/download/130001/.removed"
touch "$ROOT/release/hashes"	# what a publish does; the TTL would do it too
body=$(curl -s "$BASE/release/info.json")
is "info.json: a folder marked removed is left out" \
    "$(grep -o '"folder":"1300[0-9][0-9]"' <<<"$body" | tr '\n' ' ')" '"folder":"130045" '
is "info.json: the old ETag no longer matches" \
    "$(status_of "$BASE/release/info.json" -H "If-None-Match: $etag")" 200
rm "$ROOT/release/download/130001/.removed"
touch "$ROOT/release/hashes"

# big_channel DIR: a channel of 10,000 apps with a build each (two files
# and their record), as the page must stay usable with.
big_channel() {
	python3 - "$1" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
os.makedirs(root + "/hashes")
apps = []
for i in range(10000):
    build = str(100000 + i)
    d = "%s/download/%s/arm/app%d" % (root, build, i)
    os.makedirs(d)
    rec = ""
    for rel, data in (("arm/app%d/app%d.bin" % (i, i), b"bin %d" % i), ("app%d_files" % i, b"app%d.bin" % i)):
        open("%s/download/%s/%s" % (root, build, rel), "wb").write(data)
        rec += "%s  %s\n" % (hashlib.sha256(data).hexdigest(), rel)
    open("%s/hashes/%s.sha256" % (root, build), "w").write(rec)
    apps.append({"id": "app%d" % i, "folder": "app%d" % i, "binary": "app%d" % i, "title": "App %d" % i,
                 "versions": [{"id": "13r2", "build": build}]})
json.dump({"apps": apps}, open(root + "/download/apps.json", "w"))
PY
}
check "a channel of 10,000 builds" big_channel "$ROOT/big"
like "info.json of 10,000 builds" "$(curl -s "$BASE/big/info.json" | grep -o '"folder":"[0-9]*"' | wc -l)" '^10000$'

out=$(timeout 240 node "$NODE_DIR/download.mjs" "$BASE" release "$ARTIFACTS" "$CHROMIUM" big 2>"$WORK/node.err")
while IFS= read -r line; do
	case $line in
	PASS\ *) ok "browser: ${line#PASS }" ;;
	FAIL\ *) not_ok "browser: ${line#FAIL }" ;;
	esac
done <<<"$out"
[ -s "$WORK/node.err" ] && diag "node: $(head -c 2000 "$WORK/node.err")"
is "browser checks run" "$(grep -c '^PASS\|^FAIL' <<<"$out")" 16
for tab in Apps Firmware Software App-Platform Phone-Platform; do
	check "screenshot of tab $tab kept" test -s "$ARTIFACTS/tab-$tab.png"
done
check "storesrv: SIGTERM, exit 0" stop_storesrv
done_testing
