#!/bin/bash
# storeimport: every input kind is recognised, validated and published.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/importer_lib.sh"
DL="$ROOT/release/download"
S="$WORK/src"

# 1. one build folder (app)
app_build "$S" 130001 apidemo
si --release 13r1 --label sr01 --wiki https://wiki.example/13r1 publish "$S/130001"
is "app build folder published" "$RC" 0
check "app files in place" test -f "$DL/130001/x86_64/apidemo/apidemo.png"
check "sha256 record matches" sh -c "cd '$DL/130001' && sha256sum -c --quiet ../../hashes/130001.sha256"
is "apps.json lists the build" "$(json_get "$DL/apps.json" 'd["apps"][0]["versions"][0]["build"]')" 130001
is "firmware.json wiki from the command line" \
    "$(json_get "$ROOT/release/catalog.json" 'd["releases"]["13r1"]["wiki"]')" https://wiki.example/13r1

# 2. a folder of build folders (firmware and software), kind recognised
mkdir -p "$S/set"
fw_build "$S/set" 131000 222
sw_build "$S/set" 131001 myappswindows myAppsSetup.exe
si --release 13r1 --label sr02 publish "$S/set"
is "folder of builds published" "$RC" 0
like "both builds reported" "$(echo $OUT)" "published 131000.*published 131001"
is "firmware.json lists the firmware" "$(json_get "$DL/firmware.json" 'd["versions"][0]["build"]')" 131000
is "software.json lists the software" "$(json_get "$DL/software.json" 'd["software"][0]["id"]')" myappswindows

# 3. archives: zip, tar, tar.gz, tar.xz of a build folder
n=0
for fmt in zip tar tar.gz tar.xz; do
	n=$((n + 1)); b=14000$n
	fw_build "$S/a$n" $b 0001
	case $fmt in
	zip) (cd "$S/a$n" && zip -qr "$S/b.$fmt" $b) ;;
	tar) tar -C "$S/a$n" -cf "$S/b.$fmt" $b ;;
	tar.gz) tar -C "$S/a$n" -czf "$S/b.$fmt" $b ;;
	tar.xz) tar -C "$S/a$n" -cJf "$S/b.$fmt" $b ;;
	esac
	si --release 14r1 --label sr0$n publish "$S/b.$fmt"
	is "$fmt archive published" "$RC" 0
	check "$fmt archive: firmware in place" test -s "$DL/$b/ip0001.bin"
done

# 4. an archive named by its build holding the files at its top
fw_build "$S/top" 150001 0002
(cd "$S/top/150001" && zip -q "$S/150001.zip" ./*)
si --release 15r1 publish "$S/150001.zip"
is "archive named <build>.zip published" "$RC" 0
check "its files are in the build folder" test -s "$DL/150001/boot0002.bin"
fw_build "$S/top" 150002 0002
tar -C "$S/top/150002" -cf "$S/150002.tar" .	# its first entry is "./"
si --release 15r1 publish "$S/150002.tar"
is "tar of a build's folder made with -C DIR . published" "$RC" 0
check "its files are in the build folder" test -s "$DL/150002/ip0002.bin"

# 5. firmware of 12r2 without a manifest; refused for 13r1
fw_build "$S/old" 120001 0003 nomanifest
si --release 12r2 publish "$S/old/120001"
is "12r2 firmware without manifest published" "$RC" 0
fw_build "$S/new" 130099 0003 nomanifest
si --release 13r1 publish "$S/new/130099"
is "13r1 firmware without manifest refused" "$RC" 1

# 6. App Platform version with --kind, --id and a descriptor
mkdir -p "$S/ap/10001"
echo img >"$S/ap/10001/app-platform-armel.img"
echo upd >"$S/ap/10001/update-armel.img"
cat >"$WORK/ap.json" <<JSON
{"kind":"app-platform","platform":{"id":"arm","text":"App Platform","devices":["IP0011"],
 "files":{"file":"app-platform-armel.img","update":"update-armel.img"}}}
JSON
si --descriptor "$WORK/ap.json" publish "$S/ap/10001"
is "App Platform version published" "$RC" 0
is "linux.json names its file" "$(json_get "$DL/linux.json" 'd["platforms"][0]["file"]')" \
    app-platform/10001/app-platform-armel.img
check "platform sha256 record" test -s "$ROOT/release/hashes/app-platform-10001.sha256"

# 7. phone platform with a build.json inside its folder
mkdir -p "$S/pp/phoneplatform/2165"
echo rootfs >"$S/pp/phoneplatform/2165/rootfs-ip270.img"
echo '{"platform":{"id":"ip270","text":"Phone Platform IP270","devices":["IP270"],"files":{"file":"rootfs-ip270.img"}}}' \
    >"$S/pp/phoneplatform/2165/build.json"
si publish "$S/pp/phoneplatform"
is "phone platform published" "$RC" 0
is "phoneplatform.json lists it" "$(json_get "$DL/phoneplatform.json" 'd["platforms"][0]["version"]')" 2165
check "build.json itself not published" test ! -e "$DL/phoneplatform/2165/build.json"

# 8. a build with its build.json descriptor (release, label, item metadata)
app_build "$S/desc" 160001 notes
echo '{"release":"16r1","label":"sr03","items":{"notes":{"title":"Notes","manufacturer":"ACME","x-extra":[1,2]}}}' \
    >"$S/desc/160001/build.json"
si publish "$S/desc/160001"
is "build with build.json published" "$RC" 0
is "descriptor metadata in apps.json" \
    "$(json_get "$DL/apps.json" '[a for a in d["apps"] if a["id"]=="notes"][0]["title"]')" Notes
is "unknown item field kept" \
    "$(json_get "$DL/apps.json" '[a for a in d["apps"] if a["id"]=="notes"][0]["x-extra"]')" "[1, 2]"

# 9. a store download/ tree with its indexes: metadata adopted, inconsistencies reported
T="$WORK/other/download"
app_build "$T" 170001 crm arm
fw_build "$T" 170002 0011
cat >"$T/apps.json" <<JSON
{"apps":[{"id":"crm","folder":"crm","binary":"crm","title":"CRM","manufacturer":"X",
  "license_type":"partner","logo":"crm.png","versions":[{"id":"17r1","build":"170001","label":"sr01","compatibility":"13r1"},
  {"id":"17r2","build":"179999","label":"sr1"}]}]}
JSON
cat >"$T/firmware.json" <<JSON
{"devices":[{"id":"IP0011","versions":["17r1"]}],
 "versions":[{"id":"17r1","build":"170002","text":"17r1 sr04 [170002]","wiki":"https://wiki.example/17r1"}]}
JSON
OTHER="$WORK/root2"; mkdir -p "$OTHER"
OUT=$("$STOREIMPORT" -r "$OTHER" --json publish "$T"); RC=$?
is "download tree adopted" "$RC" 0
echo "$OUT" >"$WORK/adopt.json"
like "missing build of an index reported" \
    "$(json_get "$WORK/adopt.json" '[p["message"] for p in d["problems"]]')" "build 179999 of crm: folder missing"
D2="$OTHER/release/download"
is "adopted unknown field kept" "$(json_get "$D2/apps.json" 'd["apps"][0]["logo"]')" crm.png
is "adopted per-version field kept" \
    "$(json_get "$D2/apps.json" 'd["apps"][0]["versions"][0]["compatibility"]')" 13r1
is "adopted firmware label" "$(json_get "$D2/firmware.json" 'd["versions"][0]["text"]')" "17r1 sr04 [170002]"

# 10. check changes nothing; --json is valid JSON with the exit status
before=$(snapshot)
app_build "$S/chk" 180001 chk
OUT=$("$STOREIMPORT" -r "$ROOT" --json --release 18r1 check "$S/chk/180001"); RC=$?
is "check passes" "$RC" 0
echo "$OUT" >"$WORK/check.json"
is "--json report" "$(json_get "$WORK/check.json" 'd["status"], d["exit"]')" "('ok', 0)"
is "check published nothing" "$(snapshot)" "$before"
check "no staging leftovers" test -z "$(ls -A "$ROOT/.staging")"

# 11. a channel filled by copying a store (indexes, no catalog.json): its own
#     indexes are adopted before the first publish rewrites them
R3="$WORK/root3"; mkdir -p "$R3/release"
cp -a "$T" "$R3/release/download"
fw_build "$S/c3" 171000 0011
OUT=$("$STOREIMPORT" -r "$R3" --release 17r1 publish "$S/c3/171000" 2>&1); RC=$?
is "publish into a copied store" "$RC" 0
is "its app metadata survives the index rewrite" \
    "$(json_get "$R3/release/download/apps.json" 'd["apps"][0]["logo"]')" crm.png
check "catalog.json created" test -s "$R3/release/catalog.json"

done_testing
