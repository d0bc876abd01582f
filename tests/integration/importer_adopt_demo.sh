#!/bin/bash
# Adopting a whole store download/ tree: the demo store's release channel,
# copied by hand as the vendor's old offline method would, is imported into
# an empty root; the indexes storeimport writes must equal the originals
# byte for byte (metadata, unknown fields, labels, wiki links, platforms),
# and verify must find every published file intact.  A tree with an
# incomplete build is refused whole, naming the build.  Older platform
# version folders, which the indexes never name, are adopted by their
# content; every shape our own index writer produces (a build without a
# label) is adopted with --strict without a word.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/importer_lib.sh"

DEMO="$WORK/demo"
make_demo_store "$DEMO" || { not_ok "demo store generated"; done_testing; exit 1; }
SRC="$WORK/copy"
cp -r "$DEMO/release/download" "$SRC"

si publish "$SRC"
is "the demo tree with its incomplete build 132010 is refused" "$RC" 1
like "the refusal names the incomplete build" "$OUT" '132010/apidemo_files: item apidemo is incomplete'
check "nothing was published" test ! -e "$ROOT/release/download/130001"

rm -rf "$SRC/132010"
si publish "$SRC"
is "the clean demo tree is adopted" "$RC" 0
check "the older phone platform version 2160 is published" \
    test -s "$ROOT/release/download/phoneplatform/2160/ip270-rootfs.img"
is "2160 is adopted as ip270 (no platform id missing, nothing unmentioned)" \
    "$(printf '%s\n' "$OUT" | grep -E 'no platform id|not mentioned')" ""
# same_indexes PREFIX DIR: the five indexes of $ROOT's release channel equal
# those of DIR byte for byte.
same_indexes() {
	for _idx in apps firmware software linux phoneplatform; do
		cmp -s "$ROOT/release/download/$_idx.json" "$2/$_idx.json" &&
		    ok "$1$_idx.json equals the original byte for byte" ||
		    { not_ok "$1$_idx.json equals the original byte for byte"; diff "$ROOT/release/download/$_idx.json" "$2/$_idx.json" | sed 's/^/# /' | head -10; }
	done
}
same_indexes "" "$DEMO/release/download"
unlike() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then not_ok "$1"; diag "got: '$2'"; else ok "$1"; fi; }
unlike "the demo's firmware.json devices agree with its files" "$OUT" 'devices\['
si verify
is "verify: every published file matches its sha256" "$RC" 0

# The same tree with --strict into a fresh root: app-platform/10001 holds
# the files of arm (whose entry names 10002) and of x86_64.
ROOT="$WORK/root-strict"; mkdir -p "$ROOT"
si --strict publish "$SRC"
is "the demo tree is adopted with --strict (a version folder shared by platforms)" "$RC" 0
[ "$RC" = 0 ] || printf '%s\n' "$OUT" | grep -E '^(error|warning)' | sed 's/^/# /' | head -5
unlike "no 'not named by the platform entry' warning" "$OUT" 'not named by the platform entry' 

# A store written by storeimport itself, with builds without a label
# ("label":"" and "13r1 [130001]") and platform versions: adopting its
# download/ tree with --strict into a fresh root reproduces its indexes.
ROOT="$WORK/own"; mkdir -p "$ROOT"
B="$WORK/own-builds"
app_build "$B" 130001 apidemo arm arm64 x86_64
fw_build "$B" 130001 222
sw_build "$B" 130001 myapps setup.exe
app_build "$B" 132001 apidemo arm arm64 x86_64
fw_build "$B" 132001 222
for v in 2160 2165; do
	mkdir -p "$B/pf/phoneplatform/$v"
	echo "rootfs $v" >"$B/pf/phoneplatform/$v/rootfs.img"
done
mkdir -p "$B/pf/app-platform/10001"
echo image >"$B/pf/app-platform/10001/a.img"
printf '%s' '{"kind":"phone-platform","platform":{"id":"ip270","text":"IP270","devices":["IP270"],"files":{"file":"rootfs.img"}}}' >"$B/ip270.json"
printf '%s' '{"kind":"app-platform","platform":{"id":"arm","files":{"file":"a.img"},"devices":["IP0011"]}}' >"$B/arm.json"
RCS=
si publish --release 13r1 "$B/130001"; RCS="$RCS$RC"
si publish --release 13r2 --label sr01 --wiki https://wiki.example/13r2 "$B/132001"; RCS="$RCS$RC"
si publish -d "$B/ip270.json" "$B/pf/phoneplatform/2160" "$B/pf/phoneplatform/2165"; RCS="$RCS$RC"
si publish -d "$B/arm.json" "$B/pf/app-platform/10001"; RCS="$RCS$RC"
is "the own store is built" "$RCS" 0000
like "its firmware.json has a version without a label" \
    "$(cat "$ROOT/release/download/firmware.json")" '"text":"13r1 \[130001\]"'
OWN="$ROOT/release/download"
ROOT="$WORK/own-adopted"; mkdir -p "$ROOT"
si --strict publish "$OWN"
is "storesrv's own download tree is adopted with --strict" "$RC" 0
[ "$RC" = 0 ] || printf '%s\n' "$OUT" | grep -E '^(error|warning)' | sed 's/^/# /' | head -5
is "without a warning" "$(printf '%s\n' "$OUT" | grep -c '^warning')" 0
same_indexes "own " "$OWN"
ROOT="$WORK/root"

# firmware.json devices that the files do not back are reported
SRC2="$WORK/copy2"
cp -r "$SRC" "$SRC2"
python3 - "$SRC2/firmware.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["devices"].append({"id": "IP999", "versions": ["13r1"]})
d["devices"].append({"id": "Gateway", "versions": ["13r1"]})
d["devices"].append({"id": "IP222", "versions": ["11r1"]})
json.dump(d, open(p, "w"))
PY
ROOT="$WORK/root2"; mkdir -p "$ROOT"
si check "$SRC2"
like "a device whose release lacks its image is named" "$OUT" 'devices\[2\] IP999: no build of release 13r1 holds ip999.bin'
like "a device id that is not IP<model> is named" "$OUT" 'devices\[3\]: "Gateway" is not IP<model>'
like "a device release with no build is named" "$OUT" 'devices\[4\] IP222: no build of release "11r1" in the tree'
si --strict check "$SRC2"
is "with --strict these are errors" "$RC" 1
done_testing
