#!/bin/bash
# storeimport remove, retain, verify, reindex and recover.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/importer_lib.sh"
DL="$ROOT/release/download"
S="$WORK/src"

# Four builds of one app in 13r1, two in 13r2, one firmware in 13r1.
for b in 130001 130002 130003 130004; do app_build "$S/r1" $b demo; done
for b in 131001 131002; do app_build "$S/r2" $b demo; done
fw_build "$S/r1" 130005 0001
si --release 13r1 publish "$S/r1"
is "13r1 builds published" "$RC" 0
si --release 13r2 publish "$S/r2"
is "13r2 builds published" "$RC" 0
mkdir -p "$S/ap/app-platform/10001" "$S/ap/app-platform/10002"
for v in 10001 10002; do echo "img $v" >"$S/ap/app-platform/$v/a.img"; done
echo '{"platform":{"id":"arm","files":{"file":"a.img"}}}' >"$WORK/ap.json"
si --descriptor "$WORK/ap.json" publish "$S/ap/app-platform"
is "two App Platform versions published" "$RC" 0

# verify: clean, then changed, missing and unrecorded files
si verify
is "verify of an intact channel" "$RC" 0
echo tampered >>"$DL/130002/arm/demo/demo.bin"
rm "$DL/130003/x86_64/demo/demo.png"
echo stray >"$DL/130004/stray.txt"
echo tampered >>"$DL/app-platform/10001/a.img"
OUT=$("$STOREIMPORT" -r "$ROOT" --json verify); RC=$?
echo "$OUT" >"$WORK/verify.json"
is "verify finds the damage" "$RC" 1
is "verify counts" "$(json_get "$WORK/verify.json" '(d["verified"]["changed"], d["verified"]["missing"], d["verified"]["unrecorded"])')" "(2, 1, 1)"
like "changed file named" "$(json_get "$WORK/verify.json" '[p["where"]+" "+p["message"] for p in d["problems"]]')" \
    "130002 arm/demo/demo.bin: changed"
like "missing file named" "$(json_get "$WORK/verify.json" '[p["where"]+" "+p["message"] for p in d["problems"]]')" \
    "130003 x86_64/demo/demo.png: missing"
like "changed platform file named" "$(json_get "$WORK/verify.json" '[p["where"]+" "+p["message"] for p in d["problems"]]')" \
    "app-platform/10001 a.img: changed"
si --strict verify
is "unrecorded file is an error with --strict" "$RC" 1

# remove
si remove 130002 130003
is "remove two builds" "$RC" 0
check "builds gone" test ! -e "$DL/130002" -a ! -e "$DL/130003"
check "their records gone" test ! -e "$ROOT/release/hashes/130002.sha256" -a ! -e "$ROOT/release/hashes/130003.sha256"
is "catalog.json forgets the removed builds" \
    "$(json_get "$ROOT/release/catalog.json" '" ".join(b for b in ("130002","130003","130004") if b in d["builds"])')" "130004"
si remove 130002
like "removing a missing build is refused" "$RC $OUT" "^1 .*130002: not published"
si remove ../etc
is "removing a bad path is a usage error" "$RC" 2
si remove app-platform/10001
is "remove a platform version" "$RC" 0
check "platform version gone" test ! -e "$DL/app-platform/10001" -a ! -e "$ROOT/release/hashes/app-platform-10001.sha256"
rm "$DL/130004/stray.txt"
si verify
is "verify after the removals" "$RC" 0

# retain: keep the newest K per (release, item)
for b in 130006 130007; do app_build "$S/more" $b demo; done
si --release 13r1 publish "$S/more"
si retain 2
is "retain 2" "$RC" 0
is "13r1 demo keeps its two newest, 13r2 both, firmware its one" \
    "$(cd "$DL" && ls -d 1* | tr '\n' ' ')" "130005 130006 130007 131001 131002 "
is "apps.json names the newest 13r1 build" \
    "$(json_get "$DL/apps.json" '[v["build"] for v in d["apps"][0]["versions"] if v["id"]=="13r1"][0]')" 130007
si retain 1
is "retain 1" "$(cd "$DL" && ls -d 1* | tr '\n' ' ')" "130005 130007 131002 "
is "catalog.json lists exactly the builds retained" \
    "$(json_get "$ROOT/release/catalog.json" '" ".join(sorted(d["builds"]))')" "130005 130007 131002"
si retain 0
is "retain 0 is a usage error" "$RC" 2

# reindex and recover
rm "$DL/apps.json"
OUT=$("$STOREIMPORT" -r "$ROOT" --json reindex); RC=$?
echo "$OUT" >"$WORK/reindex.json"
is "reindex" "$RC" 0
check "apps.json rewritten" test -s "$DL/apps.json"
like "reindex reports its time" "$(json_get "$WORK/reindex.json" 'd["seconds"]')" "^[0-9.e-]+$"
mkdir -p "$ROOT/.staging/release+99999+0/in/x" "$ROOT/.staging/beta+1+0"
touch "$DL/.apps.json.tmp-abc123"
si recover
is "recover" "$RC" 0
check "uncommitted transaction discarded" test ! -e "$ROOT/.staging/release+99999+0"
check "other channels' transactions left alone" test -d "$ROOT/.staging/beta+1+0"
check "stale temporary index removed" test ! -e "$DL/.apps.json.tmp-abc123"

done_testing
