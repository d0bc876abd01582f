#!/bin/bash
# storeimport: every refusal, each naming the file and what is wrong; all
# problems of a run reported together; nothing published after a refusal.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/importer_lib.sh"
DL="$ROOT/release/download"
S="$WORK/src"

# refused NAME WHERE-AND-MESSAGE-PATTERN SOURCE [ARGS...]: exit 1, the
# pattern in the output, the channel unchanged.
refused() {
	_name=$1; _pat=$2; shift 2
	_before=$(snapshot)
	si --release 13r1 "$@"
	if [ "$RC" = 1 ] && printf '%s\n' "$OUT" | grep -Eq -- "$_pat" && [ "$(snapshot)" = "$_before" ] &&
	    [ -z "$(ls -A "$ROOT/.staging" 2>/dev/null)" ]; then
		ok "$_name"
	else
		not_ok "$_name"; diag "exit $RC, want 1 and /$_pat/"; printf '%s\n' "$OUT" | sed 's/^/# /'
	fi
}

# A published build, so that "unchanged" compares real content.
fw_build "$S/base" 129999 0000
si --release 12r2 publish "$S/base/129999"
is "base build published" "$RC" 0

# manifest syntax
manifest_case() {
	_b=$1; _text=$2
	fw_build "$S" "$_b" 0001
	printf "$_text" >"$S/$_b/ip0001_files"
}
manifest_case 130001 'ip0001.bin, boot0001.bin'
refused "manifest with white space" "130001/ip0001_files: .*" publish "$S/130001"
manifest_case 130002 'ip0001.bin,,boot0001.bin'
refused "manifest with an empty name" "130002/ip0001_files: .*empty" publish "$S/130002"
manifest_case 130003 'ip0001.bin,ip0001.bin'
refused "manifest with a duplicate" "130003/ip0001_files: .*duplicate" publish "$S/130003"
manifest_case 130004 'ip0001.bin,../boot0001.bin'
refused "manifest with a path" "130004/ip0001_files: " publish "$S/130004"
manifest_case 130005 'ip0001.bin,boot0001.bin\n\n'
refused "manifest with two newlines" "130005/ip0001_files: " publish "$S/130005"
manifest_case 130006 'ip0001.bin,boot0001.bin\r\n'
si --release 13r1 publish "$S/130006"
is "manifest ending in CRLF tolerated" "$RC" 0

# files
fw_build "$S" 130010 0002
rm "$S/130010/boot0002.bin"
refused "listed file missing" "130010/boot0002.bin|130010/ip0002_files.*incomplete" publish "$S/130010"
fw_build "$S" 130011 0002
: >"$S/130011/ip0002.bin"
refused "listed file empty" "130011/ip0002.bin.*empty|130011/ip0002_files.*incomplete" publish "$S/130011"
app_build "$S" 130012 demo arm x86_64
rm "$S/130012/x86_64/demo/demo.png"
refused "app file missing in one architecture" "130012/x86_64/demo/demo.png" publish "$S/130012"

# unlisted files: a warning, an error with --strict
fw_build "$S" 130020 0001
echo extra >"$S/130020/readme.txt"
si --release 13r1 --strict check "$S/130020"
like "unlisted file is an error with --strict" "$RC $OUT" "^1 .*130020/readme.txt"
si --release 13r1 publish "$S/130020"
like "unlisted file is a warning" "$RC $OUT" "^0 warning: 130020/readme.txt"

# names
fw_build "$S/badname" 01300 0004
refused "build number with a leading zero" "01300.*build number" publish "$S/badname/01300"
fw_build "$S/badname2" 130abc 0004
refused "build number with letters" "130abc.*build number" publish "$S/badname2"

# every problem of a run reported together
fw_build "$S/many" 130030 0005
printf 'ip0005.bin,,x' >"$S/many/130030/ip0005_files"
app_build "$S/many" 130031 app2
rm "$S/many/130031/arm/app2/app2.bin"
si --release 13r1 publish "$S/many"
like "two builds' problems in one run" "$RC $(echo $OUT)" "^1 .*130030/ip0005_files.*130031/"

# platforms
mkdir -p "$S/ap/10001"
echo img >"$S/ap/10001/a.img"
echo '{"platform":{"id":"arm","files":{"file":"a.img","update":"missing.img"}}}' >"$WORK/ap.json"
refused "platform file named but missing" "app-platform/10001: missing.img: missing" \
    --kind app-platform --descriptor "$WORK/ap.json" publish "$S/ap/10001"
refused "platform without id" "no platform id" --kind app-platform publish "$S/ap/10001"

# already published
fw_build "$S/rep" 130040 0001
si --release 13r1 publish "$S/rep/130040"
echo "new firmware" >"$S/rep/130040/ip0001.bin"
refused "published build not overwritten" "130040: already published" publish "$S/rep/130040"
si --release 13r1 --replace publish "$S/rep/130040"
is "--replace replaces" "$RC $(cat "$DL/130040/ip0001.bin")" "0 new firmware"
check "--replace rewrote the sha256 record" sh -c "cd '$DL/130040' && sha256sum -c --quiet ../../hashes/130040.sha256"

# firmware builds dropping devices of their release (release 16r1 here):
# the release's newest firmware build is the one firmware.json offers
fw_build "$S/fw" 160001 0020
fw_build "$S/fw" 160001 0021
si --release 16r1 publish "$S/fw/160001"
is "a firmware build for two devices published" "$RC" 0
fw_build "$S/drop" 160002 0020
refused "a newer build dropping a device of its release" \
    "error: 160002: firmware build 160002 drops IP0021 from release 16r1 \(its previous firmware build 160001 covers them; .*--allow-dropped-devices" \
    --release 16r1 publish "$S/drop/160002"
fw_build "$S/pair" 162001 0020
fw_build "$S/pair" 162001 0021
fw_build "$S/pair" 162002 0020
refused "a build dropping a device of a build of the same run" \
    "error: 162002: firmware build 162002 drops IP0021 from release 16r2 \(its previous firmware build 162001 " \
    --release 16r2 publish "$S/pair"
fw_build "$S/rep1" 160001 0020
refused "a replacement dropping a device" \
    "error: 160001: firmware build 160001 drops IP0021 from release 16r1 \(the published 160001 covers them\)" \
    --release 16r1 --replace publish "$S/rep1/160001"
fw_build "$S/old" 160000 0020
si --release 16r1 publish "$S/old/160000"
is "an older build with fewer devices is accepted (not the release's build)" "$RC" 0
si --release 16r1 --allow-dropped-devices publish "$S/drop/160002"
like "--allow-dropped-devices publishes it, with the index's warning" "$RC $(echo $OUT)" \
    "^0 .*warning: release/download/160002: no firmware for IP0021 .* published 160002"
is "firmware.json offers 16r1 at 160002" \
    "$(json_get "$DL/firmware.json" '[v["build"] for v in d["versions"] if v["id"]=="16r1"]')" "['160002']"
is "firmware.json no longer offers 16r1 to IP0021" \
    "$(json_get "$DL/firmware.json" '[x["versions"] for x in d["devices"] if x["id"] in ("IP0020","IP0021")]')" \
    "[['16r1']]"
fw_build "$S/next" 160005 0020
si --release 16r1 publish "$S/next/160005"
is "the next build is compared with the release's new build" "$RC" 0
like "--help documents the flag" "$("$STOREIMPORT" --help)" "--allow-dropped-devices"

# archives: links, devices, escapes (crafted with Python's tarfile)
python3 - "$S/evil.tar" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
def add(name, type=tarfile.REGTYPE, data=b"x", link=""):
    i = tarfile.TarInfo(name); i.type = type; i.linkname = link
    i.size = len(data) if type == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if type == tarfile.REGTYPE else None)
add("130050/ip0007_files", data=b"ip0007.bin,boot0007.bin")
add("130050/ip0007.bin", tarfile.SYMTYPE, link="/etc/passwd")
add("130050/boot0007.bin", tarfile.LNKTYPE, link="130050/ip0007_files")
add("130050/dev", tarfile.CHRTYPE)
add("/etc/cron.d/evil")
add("130050/../../escape")
# Where ".." entries would land, were they extracted: the archive goes to
# .staging/<txn>/in/0/ (publish) or $TMPDIR/storeimport-check-*/0/ (check),
# so 130050/../../escape stays inside the transaction, which is deleted.
# Four, five and six levels up reach .staging/, the store root and its parent.
for up in (4, 5, 6):
    add("130050/" + "../" * up + "escape-%d" % up)
t.close()
PY
refused "archive: symbolic link" "130050/ip0007.bin: symbolic link refused" publish "$S/evil.tar"
refused "archive: hard link" "130050/boot0007.bin: hard link refused" publish "$S/evil.tar"
refused "archive: device" "130050/dev: device refused" publish "$S/evil.tar"
refused "archive: absolute path" "/etc/cron.d/evil: absolute path" publish "$S/evil.tar"
refused "archive: dot-dot" "130050/../../escape: \"..\" in path" publish "$S/evil.tar"
# The same archive checked with the dry run's temporary folder inside $WORK,
# deep enough that every escape of it lands in $WORK too.
mkdir -p "$WORK/tmp/a/b"
OUT=$(TMPDIR="$WORK/tmp/a/b" "$STOREIMPORT" --release 13r1 check "$S/evil.tar" 2>&1); RC=$?
is "archive: check refuses it too" "$RC" 1
# An escape lands beside the store (.staging/, the root, its parent: all in
# $WORK) or at an absolute path; a scratch build whose archive_path_check()
# lets ".." through fails this check.
is "archive: nothing landed outside the extraction folder" \
    "$(find "$WORK" -name 'escape*'; ls /etc/cron.d/evil 2>/dev/null)" ""

mkdir -p "$S/bomb/130060"
printf 'ip0008.bin,boot0008.bin' >"$S/bomb/130060/ip0008_files"
head -c 20000000 /dev/zero >"$S/bomb/130060/ip0008.bin"
echo b >"$S/bomb/130060/boot0008.bin"
tar -C "$S/bomb" -czf "$S/bomb.tar.gz" 130060
refused "archive: compression ratio limited" "max-ratio" --max-ratio 50 publish "$S/bomb.tar.gz"
is "ratio refusal is an error exit" "$RC" 1
refused "archive: total size limited" "max-archive-bytes" --max-archive-bytes 1M publish "$S/bomb.tar.gz"
si --release 13r1 publish "$WORK/no-such.zip"
is "missing source: I/O error" "$RC" 3

# names: control characters and non-UTF-8 are refused in folders and
# archives alike (one rule: build_name_refusal()); reports show them escaped
fw_build "$S" 130070 0070
echo note >"$S/130070/read"$'\n'"me.txt"
refused "folder: newline in a name" 'read\\x0ame\.txt: control character in name' \
    publish "$S/130070"
refused "check: newline in a name" '130070/read\\x0ame\.txt: control character in name' \
    check "$S/130070"
rm "$S/130070/read"$'\n'"me.txt"
echo note >"$S/130070/caf"$'\xe9'".txt"
refused "folder: name not UTF-8" 'caf\\xe9\.txt: name is not valid UTF-8' publish "$S/130070"
si --json --release 13r1 publish "$S/130070"
printf '%s\n' "$OUT" >"$WORK/names.json"
is "--json lists the problem of a name that is not UTF-8, escaped" \
    "$(json_get "$WORK/names.json" '[p["where"].split("/")[-1] for p in d["problems"]]')" \
    "['caf\\\\xe9.txt']"
python3 - "$S/names.tar" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT, encoding="utf-8",
                 errors="surrogateescape")
def add(name, data=b"x"):
    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
add("130071/ip0071_files", b"ip0071.bin,boot0071.bin")
add("130071/ip0071.bin"); add("130071/boot0071.bin")
add("130071/a\nb.txt")
add(b"130071/caf\xe9.txt".decode("utf-8", "surrogateescape"))
t.close()
PY
refused "archive: newline in a name" '130071/a\\x0ab\.txt: control character in name' \
    publish "$S/names.tar"
refused "archive: name not UTF-8" '130071/caf\\xe9\.txt: name is not valid UTF-8' \
    publish "$S/names.tar"

# an entry below a file of the same archive (x.bin, then x.bin/y)
python3 - "$S/clash.tar" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
def add(name, data=b"x"):
    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
add("130072/ip0072_files", b"ip0072.bin,boot0072.bin")
add("130072/ip0072.bin"); add("130072/boot0072.bin")
add("130072/x.bin"); add("130072/x.bin/y")
t.close()
PY
refused "archive: entry below a file" \
    '130072/x\.bin/y: 130072/x\.bin is a file of the archive, not a folder \(in .*clash\.tar\)' \
    publish "$S/clash.tar"
like "archive: entry below a file: the summary counts it" "$OUT" "failed \(1 errors"

# usage
si frobnicate
is "unknown command: usage error" "$RC" 2
si --kind driver check "$S/rep"
is "unknown kind: usage error" "$RC" 2
si --release "13 r1" check "$S/rep"
is "invalid release: usage error" "$RC" 2
si --wiki ftp://x check "$S/rep"
is "invalid wiki: usage error" "$RC" 2
OUT=$("$STOREIMPORT" publish "$S/rep" 2>&1); RC=$?
is "publish without --root: usage error" "$RC" 2
OUT=$("$STOREIMPORT" -r "$WORK/nonexistent" --release 13r1 publish "$S/rep" 2>&1); RC=$?
is "store root missing: I/O error" "$RC" 3
OUT=$("$STOREIMPORT" --help); RC=$?
like "--help documents the exit codes" "$RC $(echo $OUT)" "^0 .*1 validation failed, 2 usage error, 3 I/O error"

done_testing
