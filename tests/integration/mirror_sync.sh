#!/bin/bash
# storemirror sync and plan against real upstreams: the demo store served by
# storesrv, the same tree served by nginx (plain and HTTPS with a test CA)
# and read as a local folder.  Mirrors are exact (indexes byte for byte,
# every file of the builds the indexes list), selective, incremental (a
# rerun costs five 304s and no body byte, read from storesrv's access log),
# pick up a new upstream build alone, apply --keep, plan without changing
# the channel (over HTTP with HEAD requests: the exact bytes a sync fetches,
# no GET of a build file), print JSON that parses, and refuse a second run
# of a channel.
. "$(dirname "$0")/lib.sh"
UP="$WORK/up"
ROOT="$WORK/up"	# importer_lib.sh publishes upstream
. "$(dirname "$0")/importer_lib.sh"
. "$(dirname "$0")/transfer_servers.sh"
SM="$top_builddir/mirror/storemirror"
[ -x "$SM" ] || skip_all "storemirror not built"
[ -x "$STORESRV" ] || skip_all "storesrv not built"
for t in curl python3 nginx openssl flock; do
	command -v $t >/dev/null || skip_all "$t missing"
done
trap 'stop_transfer_servers; cleanup' EXIT

# sm ARGS...: runs storemirror, output in $OUT (stdout) and $ERR, status $RC.
sm() {
	"$SM" "$@" >"$WORK/sm.out" 2>"$WORK/sm.err"
	RC=$?
	OUT=$(cat "$WORK/sm.out")
	ERR=$(cat "$WORK/sm.err")
}
# jget EXPR: evaluates EXPR on the JSON of the last sm (`d`, `c` = its
# first channel).
jget() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["channels"][0]; print(eval(sys.argv[2]))' "$WORK/sm.out" "$1"
}
# same_tree A B: the files of A (a mirrored download/) are B's, byte for byte.
same_tree() {
	( cd "$1" && find . -type f ) | sort >"$WORK/files.a"
	[ -s "$WORK/files.a" ] || return 1
	while read -r _f; do cmp -s "$1/$_f" "$2/$_f" || { diag "differs: $_f"; return 1; }; done <"$WORK/files.a"
}
# listed_files DL: every path the indexes of DL name (manifests, their
# files per architecture present, platform files), sorted.
listed_files() {
	python3 - "$1" <<'PY'
import json, os, sys
dl = sys.argv[1]
out = set(n for n in ("apps.json", "software.json", "firmware.json", "linux.json", "phoneplatform.json") if os.path.exists(os.path.join(dl, n)))
def ld(n):
    p = os.path.join(dl, n)
    return json.load(open(p)) if os.path.exists(p) else {}
def manifest(b, i):
    p = os.path.join(dl, b, i + "_files")
    return open(p).read().strip().split(",") if os.path.exists(p) else None
for a in ld("apps.json").get("apps", []):
    for v in a["versions"]:
        out.add(v["build"] + "/" + a["id"] + "_files")
        for arch in ("arm", "arm64", "x86_64"):
            for n in manifest(v["build"], a["id"]) or []:
                p = "%s/%s/%s/%s" % (v["build"], arch, a.get("folder", a["id"]), n)
                if os.path.exists(os.path.join(dl, p)): out.add(p)
for s in ld("software.json").get("software", []):
    for v in s["versions"]:
        m = manifest(v["build"], s["id"])
        if m is not None: out.add(v["build"] + "/" + s["id"] + "_files")
        for n in m or [s["binary"]]: out.add(v["build"] + "/" + n)
fw = ld("firmware.json")
for d in fw.get("devices", []):
    model = d["id"][2:].lower()
    for v in fw["versions"]:
        if v["id"] not in d["versions"]: continue
        m = manifest(v["build"], "ip" + model)
        if m is not None: out.add(v["build"] + "/ip" + model + "_files")
        for n in m or ["ip%s.bin" % model, "boot%s.bin" % model]: out.add(v["build"] + "/" + n)
for idx in ("linux.json", "phoneplatform.json"):
    for p in ld(idx).get("platforms", []):
        for k in ("file", "update", "zip", "zip2"):
            if k in p: out.add(p[k])
print("\n".join(sorted(out)))
PY
}
# mirrored_files DL: the files below DL, sorted.
mirrored_files() {
	( cd "$1" && find . -type f | sed 's|^\./||' | sort )
}

make_demo_store "$UP" || { not_ok "demo store made"; done_testing; exit 1; }
start_storesrv "$UP" --access-log "$WORK/access.log" || { not_ok "storesrv started"; done_testing; exit 1; }
ALOG="$WORK/access.log"
UPDL="$UP/release/download"

# --- a full mirror from storesrv -------------------------------------------
M1="$WORK/m1"; mkdir -p "$M1"
sm sync -r "$M1" -u "$BASE/release/download" --json
is "sync from storesrv: exit 0" "$RC" 0
check "--json output parses" sh -c "python3 -m json.tool '$WORK/sm.out' >/dev/null"
is "--json progress on stderr: JSON lines, files and bytes never backwards, the last complete" \
    "$(python3 - "$WORK/sm.err" <<'PY'
import json, sys
p = [json.loads(l)["progress"] for l in open(sys.argv[1])]
keys = all(set(x) == {"files", "files_total", "bytes", "total_bytes", "rate", "eta"} for x in p)
mono = all(a["files"] <= b["files"] and a["bytes"] <= b["bytes"] for a, b in zip(p, p[1:]))
print(len(p) >= 2, keys, mono, p[-1]["files"] == p[-1]["files_total"] > 0)
PY
)" "True True True True"
is "JSON: command, status, channel" "$(jget 'd["command"], d["status"], c["channel"], c["failed"]')" "('sync', 'ok', 'release', 0)"
for i in apps software firmware linux phoneplatform; do
	check "$i.json mirrored byte for byte" cmp -s "$UPDL/$i.json" "$M1/release/download/$i.json"
done
check "every mirrored file equals the upstream's" same_tree "$M1/release/download" "$UPDL"
listed_files "$UPDL" >"$WORK/listed"
mirrored_files "$M1/release/download" >"$WORK/mirrored"
check "exactly the files the indexes name are mirrored" cmp -s "$WORK/listed" "$WORK/mirrored" ||
    diff "$WORK/listed" "$WORK/mirrored" | head -5 | sed 's/^/# /'
is "published: each folder the indexes name" "$(jget 'sorted(c["published"])')" \
    "$(grep / "$WORK/listed" | sed -E 's,^((app-platform|phoneplatform)/[^/]+|[0-9]+)/.*,\1,' | sort -u |
    python3 -c 'import sys; print(sorted(l.strip() for l in sys.stdin))')"
is "files fetched: one per mirrored file but the indexes" "$(jget 'c["files"]')" \
    "$(($(wc -l <"$WORK/mirrored") - 5))"
check "the mirror keeps its state under .mirror/release" test -f "$M1/.mirror/release/indexes/apps.json"
is "nothing left in the state's files/ after the publish" "$(find "$M1/.mirror/release/files" -type f | wc -l)" 0
check "the mirror's channel has its sha256 records (published by the import session)" \
    test -s "$M1/release/hashes/130045.sha256"

# --- incremental: nothing changed upstream -------------------------------------
# log_mark: the lines of storesrv's access log (it writes it every second).
log_mark() { sleep 1.2; wc -l <"$ALOG"; }
UNITS=$(jget 'len(c["published"])')
MARK=$(log_mark)
sm sync -r "$M1" -u "$BASE/release/download" --json
is "rerun: exit 0, 0 body bytes, 5 indexes not modified, 0 published, all up to date" \
    "$RC $(jget 'c["bytes"], c["not_modified"], len(c["published"]), c["up_to_date"]')" "0 (0, 5, 0, $UNITS)"
sleep 1.2
tail -n +$((MARK + 1)) "$ALOG" >"$WORK/rerun.log"
is "rerun: storesrv saw only the five index requests, each answered 304" \
    "$(awk '{print $9}' "$WORK/rerun.log" | sort | uniq -c | tr -s ' ')" " 5 304"
is "rerun: no body byte sent" "$(awk '{s += $10} END {print s + 0}' "$WORK/rerun.log")" 0

# --- storesrv serves the mirror ----------------------------------------------------
M1PORT=$(free_port)
"$STORESRV" -f -r "$M1" -l "127.0.0.1:$M1PORT" 2>"$WORK/m1srv.err" &
M1PID=$!
wait_port "$M1PORT"
curl -s -o "$WORK/served.json" "http://127.0.0.1:$M1PORT/release/download/apps.json"
check "storesrv serves the mirrored channel's apps.json" cmp -s "$WORK/served.json" "$UPDL/apps.json"
_f=$(grep -m1 '/arm/' "$WORK/mirrored")
curl -s -o "$WORK/served.bin" "http://127.0.0.1:$M1PORT/release/download/$_f"
check "storesrv serves a mirrored file ($_f)" cmp -s "$WORK/served.bin" "$UPDL/$_f"
is "storesrv never serves the mirror's state" \
    "$(status_of "http://127.0.0.1:$M1PORT/.mirror/release/indexes/apps.json")" 403
curl -s "http://127.0.0.1:$M1PORT/" >"$WORK/home.htm"
check "the home page does not list .mirror" sh -c "! grep -q '\.mirror' '$WORK/home.htm'"
kill -TERM $M1PID; wait $M1PID
"$STOREIMPORT" -r "$M1" verify >"$WORK/verify.out" 2>&1
is "storeimport verify of the mirrored channel passes (it ignores .mirror)" "$?" 0

# --- selection -------------------------------------------------------------------
S1="$WORK/s1"; mkdir -p "$S1"
sm sync -r "$S1" -u "$BASE/release/download" --kinds firmware --devices IP0013
is "firmware of IP0013 only: exit 0" "$RC" 0
is "firmware of IP0013 only: only ip0013/boot0013 files and manifests" \
    "$(mirrored_files "$S1/release/download" | grep -v '\.json$' | sed 's|^[0-9]*/||' | sort -u | tr '\n' ' ')" \
    "boot0013.bin ip0013.bin ip0013_files "
S2="$WORK/s2"; mkdir -p "$S2"
sm sync -r "$S2" -u "$BASE/release/download" --kinds app --ids 'api*' --archs arm64
is "apps matching api* for arm64 only: exit 0" "$RC" 0
is "apps matching api* for arm64: only arm64/apidemo files and apidemo manifests" \
    "$(mirrored_files "$S2/release/download" | grep -v '\.json$')" \
    "$(grep -E '^[0-9]+/(apidemo_files|arm64/apidemo/)' "$WORK/listed")"
S3="$WORK/s3"; mkdir -p "$S3"
sm sync -r "$S3" -u "$BASE/release/download" --min-release 13r1 --kinds firmware,software --json
is "release 13r1 and newer: the 12r2 build 128001 is left out" \
    "$RC $(jget 'sorted(c["published"])')" "0 ['130001', '130045', '132001']"
S4="$WORK/s4"; mkdir -p "$S4"
sm sync -r "$S4" -u "$BASE/release/download" --kinds app-platform,phone-platform --ids arm --json
is "platforms with id arm: its app-platform version only" \
    "$RC $(jget 'c["published"]')" \
    "0 ['app-platform/$(python3 -c 'import json,sys; print([p["version"] for p in json.load(open(sys.argv[1]))["platforms"] if p["id"] == "arm"][0])' "$UPDL/linux.json")']"
sm sync -r "$S4" -u "$BASE/release/download" --kinds gadget
is "an unknown kind is a usage error (exit 2) naming it" "$RC $(grep -c gadget "$WORK/sm.err")" "2 1"

# --- plan / --dry-run ----------------------------------------------------------------
P1="$WORK/p1"; mkdir -p "$P1"
sm plan -r "$P1" -u "$UPDL" --json
is "plan from a local folder: exit 0" "$RC" 0
is "plan: files and bytes of every kind add up to the full mirror" \
    "$(jget 'sum(k["files"] for k in c["plan"].values()), sum(k["bytes"] for k in c["plan"].values()), sum(k["unknown"] for k in c["plan"].values())')" \
    "($(($(wc -l <"$WORK/mirrored") - 5)), $(cd "$M1/release/download" && find . -type f ! -path './*.json' -printf '%s\n' | awk '{s+=$1} END {print s}'), 0)"
is "plan: firmware builds (6 device builds) and apps (4)" "$(jget 'c["plan"]["firmware"]["builds"], c["plan"]["app"]["builds"]')" "(6, 4)"
check "plan changes nothing: no channel made" test ! -e "$P1/release"
# Over HTTP the plan asks the sizes of the files with HEAD (manifests are
# fetched with GET as a sync does): its bytes are exactly what a sync then
# fetches of manifests and files, the sum of their sizes upstream.
UPBYTES=$(cd "$UPDL" && grep / "$WORK/listed" | xargs stat -c %s | awk '{s+=$1} END {print s}')
UPFILES=$(grep -c / "$WORK/listed")
MARK=$(log_mark)
sm sync --dry-run -r "$P1" -u "$BASE/release/download"
is "sync --dry-run over HTTP: exit 0" "$RC" 0
like "sync --dry-run prints counts and bytes per kind over HTTP" "$OUT" \
    'release: plan: firmware +6 builds, 16 files, [0-9.]+ KiB$'
check "... and no file of unknown size" sh -c "! grep -q unknown '$WORK/sm.out'"
check "sync --dry-run changes nothing: no channel made" test ! -e "$P1/release"
sm plan -r "$P1" -u "$BASE/release/download" --json
is "plan over HTTP: files, bytes (the upstream's sizes), unknown, failed HEADs" \
    "$RC $(jget 'sum(k["files"] for k in c["plan"].values()), sum(k["bytes"] for k in c["plan"].values()), sum(k["unknown"] for k in c["plan"].values()), c["head_failed"]')" \
    "0 ($UPFILES, $UPBYTES, 0, 0)"
sleep 1.2
tail -n +$((MARK + 1)) "$ALOG" >"$WORK/plan.log"
grep -v '_files$' "$WORK/listed" | grep / | sed 's|^|/release/download/|' >"$WORK/plan.want"
is "plan: a HEAD for each file a sync fetches but the manifests, none missed" \
    "$(awk '$6 == "\"HEAD" {print $7}' "$WORK/plan.log" | sort -u | comm -13 - "$WORK/plan.want")" ""
is "plan: no GET of a build file (only indexes and manifests)" \
    "$(awk '$6 == "\"GET" {print $7}' "$WORK/plan.log" | grep -v -e '^/release/download/[a-z]*\.json$' -e '_files$')" ""
is "plan: the HEADs were answered 200 or 404, no body sent" \
    "$(awk '$6 == "\"HEAD" && (($9 != 200 && $9 != 404) || $10 != 0)' "$WORK/plan.log")" ""
PLANBYTES=$(jget 'sum(k["bytes"] for k in c["plan"].values())')
P2="$WORK/p2"; mkdir -p "$P2"
MARK=$(log_mark)
sm sync -r "$P2" -u "$BASE/release/download" --json
sleep 1.2
is "the sync after the plan: exit 0, the plan's bytes are the body bytes of its manifests and files" \
    "$RC $(tail -n +$((MARK + 1)) "$ALOG" | awk '$6 == "\"GET" && $9 == 200 && $7 ~ /^\/release\/download\/.*\// {s += $10} END {print s + 0}')" \
    "0 $PLANBYTES"
# A HEAD that fails leaves the file's size unknown, said so; the plan still
# works.  The upstream: python3's file server answering 500 to HEAD of one file.
FAILF=$(grep -v '_files$' "$WORK/listed" | grep -m1 -E '^[0-9]+/')
timeout 120 python3 -c '
import functools, http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_HEAD(self):
        if self.path.endswith("/" + sys.argv[3]):
            self.send_response(500); self.send_header("Content-Length", "0"); self.end_headers()
        else:
            super().do_HEAD()
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=sys.argv[2]))
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()' "$WORK/head500.port" "$UP" "$FAILF" &
H5PID=$!
_i=0; while [ ! -s "$WORK/head500.port" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
H5URL="http://127.0.0.1:$(cat "$WORK/head500.port")/release/download"
sm plan -r "$P1" -u "$H5URL" --retries 1 --json --verbose
is "plan with one HEAD failing (500): exit 0, one file unknown, one HEAD failed, the bytes without it" \
    "$RC $(jget 'sum(k["unknown"] for k in c["plan"].values()), c["head_failed"], sum(k["bytes"] for k in c["plan"].values())')" \
    "0 (1, 1, $((UPBYTES - $(stat -c %s "$UPDL/$FAILF"))))"
like "... a warning names its URL" "$(jget '[p["where"] + " " + p["message"] for p in c["problems"]]')" \
    "$H5URL/$FAILF HEAD: HTTP status 500; its size is unknown"
sm plan -r "$P1" -u "$H5URL" --retries 0
like "... the human output says one file's size is unknown, not in the bytes" "$OUT" \
    'release: plan: 1 files of unknown size are not in the bytes above: 1 HEAD requests failed'
kill "$H5PID" 2>/dev/null; wait "$H5PID" 2>/dev/null
cp "$M1/release/download/apps.json" "$WORK/apps.before"
sm plan -r "$M1" -u "$BASE/release/download" --json
is "plan of an up-to-date mirror: nothing to fetch" \
    "$RC $(jget 'sum(k["files"] for k in c["plan"].values()), c["up_to_date"]')" "0 (0, $UNITS)"

# --- a local folder and nginx as upstreams -----------------------------------------------
L1="$WORK/l1"; mkdir -p "$L1"
sm sync -r "$L1" -u "$UPDL" --channels local
is "sync from a local download/ folder into channel 'local': exit 0" "$RC" 0
check "the local mirror equals the HTTP one" diff -r "$L1/local/download" "$M1/release/download"
# A build the importer refuses (an empty file its manifest lists) is left
# out with the importer's error; the other folders are still published.
mkdir -p "$WORK/bad" && cp -a "$UPDL" "$WORK/bad/download"
EMPTY=$(grep -m1 -E '^[0-9]+/arm/' "$WORK/listed")
: >"$WORK/bad/download/$EMPTY"
L2="$WORK/l2"; mkdir -p "$L2"
sm sync -r "$L2" -u "$WORK/bad/download" --channels bad --json
is "a build with an empty listed file: exit 1, ${EMPTY%%/*} left out, the others published" \
    "$RC $(jget "c['failed'], '${EMPTY%%/*}' in c['published'], len(c['published'])")" "1 (1, False, $((UNITS - 1)))"
like "... the error is the importer's, naming the build" \
    "$(jget '[p["where"] + ": " + p["message"] for p in c["problems"]]')" "${EMPTY%%/*}/[a-z]+_files: ${EMPTY%%/*} left out, the importer refused it: item [a-z]+ is incomplete"
# A local channel with sha256 records (hashes/ beside download/): each file
# is checked against them; one that differs leaves its build out.
mkdir -p "$WORK/lc" && cp -a "$M1/release/download" "$M1/release/hashes" "$WORK/lc/"
BADF=$(grep -m1 -E '^[0-9]+/arm/' "$WORK/listed")
printf 'X' | dd of="$WORK/lc/download/$BADF" bs=1 seek=0 conv=notrunc 2>/dev/null
L3="$WORK/l3"; mkdir -p "$L3"
sm sync -r "$L3" -u "$WORK/lc/download" --json
is "a local channel's records: the build of a changed file is left out (exit 1), the rest published" \
    "$RC $(jget "c['channel'], c['failed'], '${BADF%%/*}' in c['published'], len(c['published'])")" \
    "1 ('lc', 1, False, $((UNITS - 1)))"
like "... the error names the file and the record" "$(jget '[p["where"] + " " + p["message"] for p in c["problems"] if p["severity"] == "error"]')" \
    "$WORK/lc/download/$BADF ${BADF%%/*} left out: sha256 [0-9a-f]+ differs from the upstream's record"
# A local upstream is read confined to its download/ folder: a symbolic link
# leading out of it is refused, its build left out.
mkdir -p "$WORK/esc" "$WORK/outside" && cp -a "$UPDL" "$WORK/esc/download"
ESCB=$(grep -m1 -E '^[0-9]+/arm/' "$WORK/listed" | cut -d/ -f1)
mv "$WORK/esc/download/$ESCB/arm" "$WORK/outside/arm" && ln -s "$WORK/outside/arm" "$WORK/esc/download/$ESCB/arm"
L4="$WORK/l4"; mkdir -p "$L4"
sm sync -r "$L4" -u "$WORK/esc/download"
is "a symlink out of a local upstream: exit 1, $ESCB left out" "$RC $(ls "$L4/esc/download" | grep -c "^$ESCB\$")" "1 0"
like "... the error says the link leads out" "$ERR" "esc/download/$ESCB/arm/[^ ]+: $ESCB left out: a symbolic link leads out of"
# One malformed entry of an upstream index (an app without an id) is left
# out by the plan with an error naming it; the rest of the channel is still
# published (the session takes the upstream's entries it cannot adopt as
# warnings, adopt.h).
mkdir -p "$WORK/bad-entry" && cp -a "$UPDL" "$WORK/bad-entry/download"
python3 - "$WORK/bad-entry/download/apps.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["apps"].append({"folder": "noid", "versions": [{"id": "13r1", "build": "130001"}]})
json.dump(d, open(p, "w"))
PY
L5="$WORK/l5"; mkdir -p "$L5"
sm sync -r "$L5" -u "$WORK/bad-entry/download" --json
is "an index with one malformed entry: the channel is published all the same (exit 1)" \
    "$RC $(jget "len(c['published']) > 0, c['failed']")" "1 (True, 0)"
like "... the entry is named" "$(jget '[p["where"] + " " + p["message"] for p in c["problems"] if p["severity"] == "error"]')" \
    "bad-entry/download/apps.json apps\[[0-9]+\]: missing or invalid \"id\""
check "... the other apps are served" test -s "$L5/bad-entry/download/apps.json" -a \
    "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["apps"]))' "$L5/bad-entry/download/apps.json")" -gt 0
# A platform entry whose only file path is refused (it leaves its version
# folder) has nothing to fetch: no folder of it is staged, and none is
# reported as published, at this run or the next.
mkdir -p "$WORK/pl" && cp -a "$UPDL" "$WORK/pl/download"
python3 - "$WORK/pl/download/linux.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["platforms"].append({"id": "evil", "text": "x", "file": "app-platform/77777/../../x.img",
                       "version": "77777"})
json.dump(d, open(sys.argv[1], "w"))
PY
L5="$WORK/l5"; mkdir -p "$L5"
sm sync -r "$L5" -u "$WORK/pl/download" --json --verbose
is "a platform entry with only a refused path: exit 0, every other folder published, not app-platform/77777" \
    "$RC $(jget "'app-platform/77777' in c['published'], len(c['published'])")" "0 (False, $UNITS)"
like "... the path is named in a warning" "$(jget '[p["message"] for p in c["problems"]]')" \
    'app-platform/77777/\.\./\.\./x\.img'
sm sync -r "$L5" -u "$WORK/pl/download" --json
is "... the next run publishes nothing" "$RC $(jget 'c["published"], c["up_to_date"]')" "0 ([], $UNITS)"
make_test_ca "$WORK/ca" || not_ok "test CA made"
if start_nginx "$UP" "$WORK/ca"; then
	N1="$WORK/n1"; mkdir -p "$N1"
	sm sync -r "$N1" -u "http://127.0.0.1:$NGX_HTTP/release/download" --json
	is "sync from nginx (no sha256 records there): exit 0" "$RC" 0
	check "the nginx mirror equals the storesrv one" diff -r "$N1/release/download" "$M1/release/download"
	sm sync -r "$N1" -u "http://127.0.0.1:$NGX_HTTP/release/download" --json
	is "rerun against nginx: 0 body bytes, 5 indexes not modified" \
	    "$RC $(jget 'c["bytes"], c["not_modified"]')" "0 (0, 5)"
	# plan from nginx: sizes from HEAD (nginx's log has no method: the plan's
	# requests of build files but manifests sent less than those files hold)
	NMARK=$(wc -l <"$NGX_LOG")
	N5="$WORK/n5"; mkdir -p "$N5"
	sm plan -r "$N5" -u "http://127.0.0.1:$NGX_HTTP/release/download" --json
	is "plan from nginx: files, bytes (the upstream's sizes), unknown, failed HEADs" \
	    "$RC $(jget 'sum(k["files"] for k in c["plan"].values()), sum(k["bytes"] for k in c["plan"].values()), sum(k["unknown"] for k in c["plan"].values()), c["head_failed"]')" \
	    "0 ($UPFILES, $UPBYTES, 0, 0)"
	tail -n +$((NMARK + 1)) "$NGX_LOG" | awk '$2 ~ /^\/release\/download\/.*\// && $2 !~ /_files$/ && $3 == 200 {n++; s += $4} END {print n + 0, s + 0}' >"$WORK/nplan.sent"
	FBYTES=$((UPBYTES - $(cd "$UPDL" && grep '_files$' "$WORK/listed" | xargs stat -c %s | awk '{s+=$1} END {print s}')))
	is "... no body sent for them: $(cat "$WORK/nplan.sent") (requests, bytes sent) for files of $FBYTES bytes" \
	    "$(awk -v want="$FBYTES" '{print ($1 > 0 && $2 < want)}' "$WORK/nplan.sent")" 1
	check "plan from nginx changes nothing: no channel made" test ! -e "$N5/release"
	N2="$WORK/n2"; mkdir -p "$N2"
	sm sync -r "$N2" -u "https://127.0.0.1:$NGX_HTTPS/release/download" --ca-file "$WORK/ca/ca.pem"
	is "sync over HTTPS with --ca-file: exit 0" "$RC" 0
	check "the HTTPS mirror equals the storesrv one" diff -r "$N2/release/download" "$M1/release/download"
	N3="$WORK/n3"; mkdir -p "$N3"
	sm sync -r "$N3" -u "https://127.0.0.1:$NGX_HTTPS/release/download"
	is "HTTPS without the test CA: exit 1, nothing published" "$RC $(ls "$N3")" "1 "
	like "... the error names the URL, on stderr" "$ERR" "^release: error: https://127.0.0.1:$NGX_HTTPS/release/download/[a-z]+\.json"
	if start_tinyproxy "$NGX_HTTPS"; then
		N4="$WORK/n4"; mkdir -p "$N4"
		sm sync -r "$N4" -u "https://127.0.0.1:$NGX_HTTPS/release/download" \
		    --ca-file "$WORK/ca/ca.pem" --proxy "http://127.0.0.1:$TP_PORT"
		is "sync over HTTPS through tinyproxy (CONNECT): exit 0" "$RC" 0
		check "... the mirror equals the storesrv one" diff -r "$N4/release/download" "$M1/release/download"
		like "... tinyproxy tunnelled it" "$(grep -c "Request (file descriptor [0-9]*): CONNECT 127.0.0.1:$NGX_HTTPS " "$TP_LOG")" '^[1-9]'
	else
		not_ok "tinyproxy started"
	fi
else
	not_ok "nginx started"
fi

# --- a new build upstream is fetched alone; --keep -----------------------------------
app_build "$WORK/new" 140001 keeptest arm
si --release 13r1 publish "$WORK/new/140001"
is "upstream: storeimport publishes 140001" "$RC" 0
sleep 1.1
rm -rf "$WORK/m1plan" && cp -a "$M1" "$WORK/m1plan"	# the plan's manifests stay in its state
sm plan -r "$WORK/m1plan" -u "$BASE/release/download" --json
is "plan of the new build 140001 (arm only): 1 build, its manifest and arm files, their bytes; the other architectures' 404s not counted" \
    "$RC $(jget 'c["plan"]["app"]["builds"], sum(k["files"] for k in c["plan"].values()), sum(k["bytes"] for k in c["plan"].values()), sum(k["unknown"] for k in c["plan"].values())')" \
    "0 (1, $(find "$UPDL/140001" -type f | wc -l), $(find "$UPDL/140001" -type f -printf '%s\n' | awk '{s+=$1} END {print s}'), 0)"
MARK=$(log_mark)
sm sync -r "$M1" -u "$BASE/release/download" --json
is "the new build is mirrored alone" "$RC $(jget 'c["published"], c["up_to_date"]')" "0 (['140001'], $UNITS)"
sleep 1.2
tail -n +$((MARK + 1)) "$ALOG" | awk '{print $7}' | grep -v '^/release/download/[a-z]*\.json$' >"$WORK/new.log"
# its record, manifest, 2 arm files, and the 4 candidates of arm64 and x86_64 (404)
is "... with requests for 140001 only (record, manifest, files, other architectures)" \
    "$(grep -vc '/140001' "$WORK/new.log") $(wc -l <"$WORK/new.log")" "0 8"
check "... equal to the upstream's" same_tree "$M1/release/download/140001" "$UPDL/140001"
app_build "$WORK/new" 140002 keeptest arm
si --release 13r1 publish "$WORK/new/140002"
sm sync -r "$M1" -u "$BASE/release/download" --keep 1 --json
is "--keep 1: 140002 published, 140001 removed by the retention" \
    "$RC $(jget 'c["published"], c["removed"]')" "0 (['140002'], ['140001'])"
check "... 140001 is marked removed in the mirror" test -e "$M1/release/download/140001/.removed"
check "... and out of its apps.json" sh -c "! grep -q 140001 '$M1/release/download/apps.json'"

si remove 140002
is "upstream: storeimport removes 140002 (its apps.json names 140001 again)" "$RC" 0
sleep 1.1
sm sync -r "$M1" -u "$BASE/release/download" --json
is "a build removed upstream stays in the mirror; 140001, removed here but listed upstream, comes back" \
    "$RC $(jget 'c["published"], c["removed"]') $(ls -a "$M1/release/download/140001" "$M1/release/download/140002" | grep -c removed)" \
    "0 (['140001'], []) 0"

# A narrower --devices after a full mirror: the release's new build brings
# only the selected device, on purpose (no refusal for dropped devices).
fw_build "$WORK/fw" 140003 0013
fw_build "$WORK/fw" 140003 222
si --release 13r1 publish "$WORK/fw/140003"
is "upstream: firmware build 140003 for IP0013 and IP222 in 13r1" "$RC" 0
sleep 1.1
sm sync -r "$M1" -u "$BASE/release/download" --kinds firmware --devices IP0013 --json
is "--devices IP0013: 140003 published with ip0013 only" \
    "$RC $(jget 'c["published"]') $(ls "$M1/release/download/140003" | tr '\n' ' ')" \
    "0 ['140003'] boot0013.bin ip0013.bin ip0013_files "

# --- the store root -------------------------------------------------------------------
# As for storeimport: the root must exist (it is not made), and a channel or
# a download/ folder given as the root is refused before anything is made in
# it.  A channel that fails as a whole says so instead of a line of zeros.
NOROOT="$WORK/no-such-root"
sm sync -r "$NOROOT" -u "$BASE/release/download"
is "a missing store root: exit 3, not made" "$RC $(test -e "$NOROOT"; echo $?)" "3 1"
like "... the error on stderr says it is the store root" "$ERR" \
    "^release: error: store root $NOROOT: No such file or directory\$"
like "... the summary on stdout says the sync failed, nothing published" "$OUT" \
    '^release: sync failed \(the error above\), nothing published; 0 files'
sm plan -r "$NOROOT" -u "$BASE/release/download" --json
is "plan --json into a missing root: io, channel_failed, its error, no plan object" \
    "$RC $(jget 'd["status"], c["channel_failed"], c["error"], "plan" in c')" \
    "3 ('io', True, 'store root $NOROOT: No such file or directory', False)"
sm sync -r "$M1" -u "$BASE/release/download" --json
is "--json of a channel that did not fail as a whole: channel_failed false" \
    "$RC $(jget 'c["channel_failed"]')" "0 False"
for bad in "$M1/release" "$M1/release/download"; do
	sm sync -r "$bad" -u "$BASE/release/download"
	is "${bad#$WORK/} given as the store root: exit 3, no .mirror made in it" \
	    "$RC $(ls -A "$bad" | grep -c '^\.mirror$')" "3 0"
	like "... the error names the store root and what to give instead" "$ERR" \
	    "^release: error: store root $bad: this folder is a channel.*give the folder"
done

# --- one run per channel ---------------------------------------------------------------
flock "$M1/.mirror/release/lock" sleep 3 &
FL=$!
sleep 0.5
sm sync -r "$M1" -u "$BASE/release/download"
is "a run while another holds the channel's lock: exit 1" "$RC" 1
like "... saying so on stderr, naming the lock" "$ERR" 'release/lock: another storemirror run is mirroring this channel'
wait $FL
C1="$WORK/c1"; mkdir -p "$C1"
"$SM" sync -q -r "$C1" -u "$BASE/release/download" --rate-limit 20000 >"$WORK/slow.out" 2>&1 &
SLOW=$!
_i=0
while [ ! -e "$C1/.mirror/release/lock" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
sleep 0.3
sm sync -r "$C1" -u "$BASE/release/download"
is "a second storemirror while a slow one runs: exit 1" "$RC" 1
wait $SLOW
is "... the first one completes" "$?" 0
check "... and its mirror equals the upstream's" same_tree "$C1/release/download" "$UPDL"

check "storesrv stops cleanly" stop_storesrv 5
done_testing
