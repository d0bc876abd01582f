#!/bin/bash
# storeimport remove, retain, verify, reindex and recover; removal's grace
# period and the order of a removal (indexes first, files after).
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

# remove (--grace 0: deleted at once)
si --grace 0 remove 130002 130003
is "remove two builds" "$RC" 0
check "builds gone" test ! -e "$DL/130002" -a ! -e "$DL/130003"
check "their records gone" test ! -e "$ROOT/release/hashes/130002.sha256" -a ! -e "$ROOT/release/hashes/130003.sha256"
is "catalog.json forgets the removed builds" \
    "$(json_get "$ROOT/release/catalog.json" '" ".join(b for b in ("130002","130003","130004") if b in d["builds"])')" "130004"
si remove 130002
like "removing a missing build is refused" "$RC $OUT" "^1 .*130002: not published"
si remove ../etc
is "removing a bad path is a usage error" "$RC" 2
si --grace 0 remove app-platform/10001
is "remove a platform version" "$RC" 0
check "platform version gone" test ! -e "$DL/app-platform/10001" -a ! -e "$ROOT/release/hashes/app-platform-10001.sha256"
rm "$DL/130004/stray.txt"
si verify
is "verify after the removals" "$RC" 0

# retain: keep the newest K per (release, item)
for b in 130006 130007; do app_build "$S/more" $b demo; done
si --release 13r1 publish "$S/more"
si --grace 0 retain 2
is "retain 2" "$RC" 0
is "13r1 demo keeps its two newest, 13r2 both, firmware its one" \
    "$(cd "$DL" && ls -d 1* | tr '\n' ' ')" "130005 130006 130007 131001 131002 "
is "apps.json names the newest 13r1 build" \
    "$(json_get "$DL/apps.json" '[v["build"] for v in d["apps"][0]["versions"] if v["id"]=="13r1"][0]')" 130007
si --grace 0 retain 1
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

# verify: a recorded path that cannot be hashed (a folder now) is reported
# as such, and counted neither as a file nor in the bytes.
app_build "$S/v" 170001 vapp
si -c ver --create-channel --release 17r1 publish "$S/v/170001"
VDL="$ROOT/ver/download/170001"
rm "$VDL/x86_64/vapp/vapp.png"; mkdir "$VDL/x86_64/vapp/vapp.png"
OUT=$("$STOREIMPORT" -r "$ROOT" -c ver --json verify); RC=$?
echo "$OUT" >"$WORK/verify2.json"
is "verify fails on an unreadable file" "$RC" 1
is "unreadable file counted as such, not in files or bytes" \
    "$(json_get "$WORK/verify2.json" '(d["verified"]["files"], d["verified"]["bytes"], d["verified"]["unreadable"], d["verified"]["missing"])')" \
    "(4, $(cat "$VDL"/*/vapp/vapp.bin "$VDL/arm/vapp/vapp.png" "$VDL/vapp_files" | wc -c), 1, 0)"
like "unreadable file named" "$(json_get "$WORK/verify2.json" '[p["where"]+" "+p["message"] for p in d["problems"]]')" \
    "170001 x86_64/vapp/vapp.png: cannot be hashed"

# Removal's grace period: the indexes drop a removed build at once, its files
# stay (and are served) until the grace has passed, then the next command
# deletes them.
GDL="$ROOT/grace/download"
fw_build "$S/g" 140001 0001; fw_build "$S/g" 140002 0001
si -c grace --create-channel --release 14r1 publish "$S/g"
is "grace: two firmware builds published" "$RC" 0
fwlisted() { json_get "$1/firmware.json" '" ".join(v["build"] for v in d["versions"])'; }
is "grace: firmware.json lists the newer" "$(fwlisted "$GDL")" 140002
if [ -x "$STORESRV" ] && command -v curl >/dev/null; then
	start_storesrv "$ROOT" --threads 1; served=$?
else served=1; fi
si -c grace --grace 2 remove 140002
is "grace: remove" "$RC" 0
is "grace: firmware.json drops the removed build at once" "$(fwlisted "$GDL")" 140001
check "grace: its files stay on disk" test -s "$GDL/140002/ip0001.bin" -a -s "$ROOT/grace/hashes/140002.sha256"
like "grace: marked removed until a time 2 s ahead" "$(( $(cat "$GDL/140002/.removed") - $(date +%s) ))" '^[12]$'
if [ $served = 0 ]; then
	is "grace: still served at its URL" "$(curl -s "$BASE/grace/download/140002/ip0001.bin")" "firmware 0001 140002"
else ok "grace: still served at its URL # SKIP storesrv or curl missing"; fi
si -c grace verify
is "grace: a command within the grace keeps it" "$RC $(test -d "$GDL/140002" && echo kept)" "0 kept"
si -c grace --json reindex
is "grace: reindex leaves it out" "$(fwlisted "$GDL")" 140001
sleep 3
OUT=$("$STOREIMPORT" -r "$ROOT" -c grace --json verify); RC=$?
echo "$OUT" >"$WORK/purge.json"
is "grace: the next command after the grace deletes it" "$RC $(test -e "$GDL/140002" || echo gone)" "0 gone"
check "grace: its record deleted with it" test ! -e "$ROOT/grace/hashes/140002.sha256"
is "grace: the report names it" "$(json_get "$WORK/purge.json" 'd["purged"]')" "['140002']"
if [ $served = 0 ]; then
	sleep 1.2
	is "grace: 404 once deleted" "$(status_of "$BASE/grace/download/140002/ip0001.bin")" 404
	check "storesrv stops cleanly" stop_storesrv
else ok "grace: 404 once deleted # SKIP storesrv or curl missing"; fi
si -c grace remove 140001
like "grace: the default keeps it about 30 minutes" "$(( $(cat "$GDL/140001/.removed") - $(date +%s) ))" '^1(79[0-9]|800)$'
is "grace: firmware.json empty" "$(fwlisted "$GDL")" ""
si -c grace --release 14r1 --replace publish "$S/g/140001"
is "grace: publishing a removed build again (--replace) brings it back" \
    "$RC $(fwlisted "$GDL") $(test -e "$GDL/140001/.removed" || echo unmarked)" "0 140001 unmarked"
si -c grace --grace x remove 140001
is "grace: a bad --grace is a usage error" "$RC" 2

# A kill between the index change and the deletion (the test hook
# STOREIMPORT_TEST_STOP_BEFORE_DELETE): the indexes already leave the build
# out while its files are still there; the next command deletes them.
fw_build "$S/k" 150001 0001; fw_build "$S/k" 150002 0001
si -c kill --create-channel --release 15r1 publish "$S/k"
KDL="$ROOT/kill/download"
{ STOREIMPORT_TEST_STOP_BEFORE_DELETE=1 "$STOREIMPORT" -r "$ROOT" -c kill --grace 0 remove 150002 \
    >/dev/null 2>&1; RC=$?; } 2>/dev/null
is "kill: stopped by the hook before deleting" "$RC" 137
is "kill: firmware.json already without the build" "$(fwlisted "$KDL")" 150001
check "kill: its files still there" test -s "$KDL/150002/ip0001.bin"
si -c kill recover
is "kill: recover completes the removal" "$RC $(test -e "$KDL/150002" || echo gone)" "0 gone"
is "kill: firmware.json still right" "$(fwlisted "$KDL")" 150001

# A channel without catalog.json (a copied store): removals reach its indexes.
fw_build "$S/c" 151001 0001; fw_build "$S/c" 152001 0001
si -c copy --create-channel --release 15r1 publish "$S/c/151001"
si -c copy --release 15r2 publish "$S/c/152001"
rm "$ROOT/copy/catalog.json"
CDL="$ROOT/copy/download"
si -c copy --grace 0 remove 152001
is "no catalog: remove" "$RC $(test -e "$CDL/152001" || echo gone)" "0 gone"
is "no catalog: firmware.json drops it" "$(fwlisted "$CDL")" 151001
is "no catalog: the indexes' metadata kept (adopted)" \
    "$(json_get "$CDL/firmware.json" 'd["versions"][0]["text"]')" "15r1 [151001]"
# Two platforms, each complete in one version folder only: linux.json lists
# arm at 10001 and x86 at 10002, and retain 1 must keep both.
mkdir -p "$S/c2/app-platform/10001" "$S/c3/app-platform/10002"
echo "img arm" >"$S/c2/app-platform/10001/a.img"; echo "img x86" >"$S/c3/app-platform/10002/b.img"
echo '{"platform":{"id":"x86","files":{"file":"b.img"}}}' >"$WORK/x86.json"
si -c copy2 --create-channel --descriptor "$WORK/ap.json" publish "$S/c2/app-platform"
si -c copy2 --descriptor "$WORK/x86.json" publish "$S/c3/app-platform"
rm "$ROOT/copy2/catalog.json"
si -c copy2 --grace 0 retain 1
is "no catalog: retain 1 keeps the version of each platform linux.json lists" \
    "$RC $(cd "$ROOT/copy2/download/app-platform" && ls | tr '\n' ' ')" "0 10001 10002 "
check "no catalog: every file linux.json names exists" python3 -c '
import json, os, sys
dl = sys.argv[1]
d = json.load(open(dl + "/linux.json"))
sys.exit(0 if d["platforms"] and all(os.path.isfile(dl + "/" + p["file"]) for p in d["platforms"]) else 1)' "$ROOT/copy2/download"

# retain counts only complete items and platform versions, the ones the
# indexes list: a newer incomplete one never costs the listed one its place.
app_build "$S/i" 160001 iapp; app_build "$S/i" 160002 iapp
si -c inc --create-channel --release 16r1 publish "$S/i"
IDL="$ROOT/inc/download"
rm "$IDL/160002/arm/iapp/iapp.png"
mkdir -p "$S/i2/app-platform/10001" "$S/i2/app-platform/10002"
for v in 10001 10002; do echo "img $v" >"$S/i2/app-platform/$v/a.img"; done
si -c inc --descriptor "$WORK/ap.json" publish "$S/i2/app-platform"
rm "$IDL/app-platform/10002/a.img"
si -c inc reindex
si -c inc --grace 0 retain 1
is "retain: the complete build stays beside the newer incomplete one" \
    "$RC $(cd "$IDL" && ls -d 1* | tr '\n' ' ')" "0 160001 160002 "
is "retain: apps.json still lists the complete build" \
    "$(json_get "$IDL/apps.json" '[v["build"] for v in d["apps"][0]["versions"]]')" "['160001']"
is "retain: the complete platform version stays" \
    "$(cd "$IDL/app-platform" && ls | tr '\n' ' ')" "10001 10002 "
is "retain: linux.json still names it" "$(json_get "$IDL/linux.json" 'd["platforms"][0]["version"]')" 10001

done_testing
