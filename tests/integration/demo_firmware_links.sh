#!/bin/bash
# The demo store keeps the firmware.json rule: every (device, release) of
# each channel's firmware.json resolves to that release's build (versions[])
# holding the device's files, as the Devices app fetches them:
# <build>/ip<model>.bin and boot<model>.bin, and every file of the manifest
# listing them (12r2 and older may have none).  The walk itself is shown to
# catch a dead link, and a re-index to remove it.
. "$(dirname "$0")/lib.sh"

DEMO="$WORK/demo"
make_demo_store "$DEMO" || { not_ok "demo store generated"; done_testing; exit 1; }

# walk ROOT: one line per (channel, device, release): "ok ..." or "dead ...".
walk() {
	python3 - "$1" <<'PY'
import json, os, sys
root = sys.argv[1]

def regular(path):
    return os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) > 0

def manifest_for(build_dir, name):
    for entry in sorted(os.listdir(build_dir)):
        if entry.endswith("_files") and not entry.startswith("."):
            names = open(os.path.join(build_dir, entry)).read().strip().split(",")
            if name in names:
                return entry, names
    return None, []

for channel in sorted(os.listdir(root)):
    index = os.path.join(root, channel, "download", "firmware.json")
    if channel.startswith(".") or not os.path.isfile(index):
        continue
    fw = json.load(open(index))
    builds = {v["id"]: v["build"] for v in fw["versions"]}
    for dev in fw["devices"]:
        for rel in dev["versions"]:
            where = "%s %s %s" % (channel, dev["id"], rel)
            if rel not in builds:
                print("dead %s: release not in versions[]" % where)
                continue
            model = dev["id"][2:].lower() if dev["id"].startswith("IP") else ""
            bdir = os.path.join(root, channel, "download", builds[rel])
            need = ["ip%s.bin" % model, "boot%s.bin" % model]
            missing = [n for n in need if not regular(os.path.join(bdir, n))]
            manifest, listed = manifest_for(bdir, need[0]) if os.path.isdir(bdir) else (None, [])
            missing += [n for n in listed if not regular(os.path.join(bdir, n))]
            if not model or missing:
                print("dead %s: %s/%s missing or unlisted" % (where, builds[rel],
                      ",".join(missing or need)))
            else:
                print("ok %s: %s/%s (%s)" % (where, builds[rel], need[0],
                      manifest or "no manifest: a pair of 12r2 and older"))
PY
}

# expect_all_ok TEXT NAME: one TAP line per pair of TEXT, all must be ok.
expect_all_ok() {
	[ -n "$1" ] || { not_ok "$2: firmware.json lists devices"; return; }
	while read -r _state _rest; do
		if [ "$_state" = ok ]; then ok "$2: $_rest"; else not_ok "$2: $_rest"; fi
	done <<<"$1"
}

OUT=$(walk "$DEMO")
expect_all_ok "$OUT" "demo"
like "the release channel shows IP0013 over three releases" "$(echo $OUT)" \
    'ok release IP0013 13r2: .*ok release IP0013 13r1: 130045/.*ok release IP0013 12r2: 128001/'
check "IP0013 has two builds of 13r1 (130001 and 130045)" \
    test -s "$DEMO/release/download/130001/ip0013.bin" -a -s "$DEMO/release/download/130045/ip0013.bin"
like "the beta channel is walked too" "$OUT" '^ok beta IP222 13r3: 133001/'

# A dead link is caught by the walk; a re-index removes it.
rm "$DEMO/release/download/130045/ip0013.bin" "$DEMO/release/download/130045/ip0013_files"
like "a removed image is reported as a dead link" "$(walk "$DEMO")" \
    '^dead release IP0013 13r1: 130045/ip0013.bin'
OUT=$("$STOREIMPORT" -r "$DEMO" reindex 2>&1)
is "storeimport reindex succeeds" "$?" 0
like "the re-index warns that IP0013 leaves 13r1" "$OUT" \
    'no firmware for IP0013 \(release 13r1 has it only in the older build 130001\)'
OUT=$(walk "$DEMO")
is "after the re-index no link is dead" "$(grep -c '^dead' <<<"$OUT")" 0
is "IP0013 keeps 13r2 and 12r2 only" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([x["versions"] for x in d["devices"] if x["id"]=="IP0013"])' "$DEMO/release/download/firmware.json")" \
    "[['13r2', '12r2']]"
done_testing
