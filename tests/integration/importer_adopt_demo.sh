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
si verify
is "verify: every published file matches its sha256" "$RC" 0
done_testing
