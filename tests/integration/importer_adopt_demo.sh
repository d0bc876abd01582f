#!/bin/bash
# Adopting a whole store download/ tree: the demo store's release channel,
# copied by hand as the vendor's old offline method would, is imported into
# an empty root; the indexes storeimport writes must equal the originals
# byte for byte (metadata, unknown fields, labels, wiki links, platforms),
# and verify must find every published file intact.  A tree with an
# incomplete build is refused whole, naming the build.
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

rm -rf "$SRC/132010" "$SRC/phoneplatform/2160"
si publish "$SRC"
is "the clean demo tree is adopted" "$RC" 0
for idx in apps firmware software linux phoneplatform; do
	cmp -s "$ROOT/release/download/$idx.json" "$DEMO/release/download/$idx.json" &&
	    ok "$idx.json equals the original byte for byte" ||
	    { not_ok "$idx.json equals the original byte for byte"; diff "$ROOT/release/download/$idx.json" "$DEMO/release/download/$idx.json" | sed 's/^/# /' | head -10; }
done
unlike() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then not_ok "$1"; diag "got: '$2'"; else ok "$1"; fi; }
unlike "the demo's firmware.json devices agree with its files" "$OUT" 'devices\['
si verify
is "verify: every published file matches its sha256" "$RC" 0

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
