#!/bin/bash
# A cascade of stores: storesrv U serves the demo store; storemirror fills
# store A from U and storesrv A serves it; storemirror fills store B from A
# (a store base URL and two channels).  B's indexes, files and sha256
# records are byte-identical to A's, and B verified every file against A's
# records (/<channel>/sha256/<build>).  A file of A that no longer matches
# its record is refused: its build is fetched once more, then left out
# with an error naming the URL, and every other build is still published.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/transfer_servers.sh"
SM="$top_builddir/mirror/storemirror"
[ -x "$SM" ] || skip_all "storemirror not built"
[ -x "$STORESRV" ] || skip_all "storesrv not built"
command -v curl >/dev/null || skip_all "curl missing"
command -v python3 >/dev/null || skip_all "python3 missing"

A_PID=
stop_a() {
	[ -n "$A_PID" ] || return 1
	kill -TERM "$A_PID" 2>/dev/null
	wait "$A_PID"
	_s=$?
	A_PID=
	return $_s
}
trap 'stop_a; cleanup' EXIT

# sm ARGS...: runs storemirror --json; status in $RC, output in $WORK/sm.out.
sm() {
	"$SM" "$@" --json >"$WORK/sm.out" 2>"$WORK/sm.err"
	RC=$?
}
# jget EXPR: EXPR over the last JSON output (`d`; `ch` maps names to channels).
jget() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); ch={c["channel"]: c for c in d["channels"]}; print(eval(sys.argv[2]))' "$WORK/sm.out" "$1"
}

U="$WORK/u"; A="$WORK/a"; B="$WORK/b"; C="$WORK/c"
mkdir -p "$A" "$B" "$C"
make_demo_store "$U" || { not_ok "demo store made"; done_testing; exit 1; }
start_storesrv "$U" || { not_ok "storesrv U started"; done_testing; exit 1; }

sm sync -r "$A" -u "$BASE/" --channels release,beta
is "A mirrors U's release and beta: exit 0" "$RC" 0
is "... both channels published, nothing failed" "$(jget '[(c["channel"], c["failed"], len(c["published"]) > 0) for c in d["channels"]]')" \
    "[('release', 0, True), ('beta', 0, True)]"
A_UNITS=$(jget 'len(ch["release"]["published"])')

A_PORT=$(free_port)
"$STORESRV" -f -r "$A" -l "127.0.0.1:$A_PORT" --access-log "$WORK/a-access.log" 2>"$WORK/a.err" &
A_PID=$!
wait_port "$A_PORT" || not_ok "storesrv A started"
ABASE="http://127.0.0.1:$A_PORT"

sm sync -r "$B" -u "$ABASE" --channels release,beta
is "B mirrors A: exit 0" "$RC" 0
for ch in release beta; do
	for i in apps software firmware linux phoneplatform; do
		if [ -e "$A/$ch/download/$i.json" ]; then
			check "$ch/$i.json: B's equals A's byte for byte" cmp -s "$A/$ch/download/$i.json" "$B/$ch/download/$i.json"
		fi
	done
	check "$ch: B's download/ tree equals A's (every file)" diff -r "$A/$ch/download" "$B/$ch/download"
	check "$ch: B's sha256 records equal A's" diff -r "$A/$ch/hashes" "$B/$ch/hashes"
done
sleep 1.2	# storesrv writes its access log every second
is "B asked A for the sha256 record of every folder it published, and got it" \
    "$(grep -c '"GET /[a-z]*/sha256/[^ ]* HTTP/1.1" 200 ' "$WORK/a-access.log")" \
    "$(jget 'sum(len(c["published"]) for c in d["channels"])')"

# --- index changes without a new folder ----------------------------------------
# same_indexes X Y [NAME...]: which of the indexes (all five by default) of
# channel folders X and Y differ, then "equal".
same_indexes() {
	_x=$1 _y=$2; shift 2
	[ $# -gt 0 ] || set -- apps software firmware linux phoneplatform
	for i in "$@"; do
		cmp -s "$_x/download/$i.json" "$_y/download/$i.json" || printf '%s ' "$i"
	done
	echo "equal"
}
# 1. A relabel upstream (a build's label changed in A's catalog, A's indexes
# rewritten by storeimport reindex): no folder is new, but the indexes
# changed, so B publishes them alone and takes the label of the build it
# has.  A plan in between notes the change (.mirror/<channel>/indexes-pending)
# without losing it.
# relabel LABEL: relabels A's newest labelled build; prints its number.
relabel() {
	python3 - "$A/release/catalog.json" "$1" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
b = sorted(k for k, v in d["builds"].items() if v.get("label"))[-1]
d["builds"][b]["label"] = sys.argv[2]
json.dump(d, open(p, "w"), indent=1)
print(b)
PY
	"$top_builddir/importer/storeimport" -r "$A" -c release reindex >"$WORK/reindex.out" 2>&1
}
RELABEL=$(relabel sr99)
is "A: build $RELABEL relabelled sr99 (catalog.json edited, storeimport reindex)" \
    "$? $(cat "$A/release/download/"*.json | grep -q '"sr99"\| sr99 ' && echo listed)" "0 listed"
sleep 1.1	# storesrv rescans once a second
PENDING="$B/.mirror/release/indexes-pending"
sm plan -r "$B" -u "$ABASE" --channels release
check "a plan after the relabel notes that B's indexes are behind (indexes-pending)" \
    test -e "$PENDING"
sm sync -r "$B" -u "$ABASE" --channels release
is "B's sync after the relabel: exit 0, no folder to publish" \
    "$RC $(jget 'ch["release"]["published"], ch["release"]["failed"]')" "0 ([], 0)"
is "... B's indexes equal A's again (the new label)" \
    "$(same_indexes "$A/release" "$B/release")" "equal"
check "... and indexes-pending is cleared" test ! -e "$PENDING"
sm sync -r "$B" -u "$ABASE" --channels release
is "... a run with A's indexes unchanged: 5 x 304, nothing published" \
    "$RC $(jget 'ch["release"]["not_modified"], ch["release"]["published"]')" "0 (5, [])"
# 2. A folder B lacks comes back while the platforms are already published
# in B: the session adopts the upstream's linux.json and phoneplatform.json
# whose files are not staged, which empties the catalog's platform files.
ONE=$(cd "$B/release/download" && ls -d [0-9]* | sort | tail -n 1)
"$top_builddir/importer/storeimport" -r "$B" -c release remove --grace 0 "$ONE" >/dev/null 2>&1
sm sync -r "$B" -u "$ABASE" --channels release
is "B: $ONE removed with storeimport, then mirrored again alone: exit 0" \
    "$RC $(jget 'ch["release"]["published"]')" "0 ['$ONE']"
is "... B's indexes still equal A's (the platforms B has kept)" \
    "$(same_indexes "$A/release" "$B/release")" "equal"

# --- an interrupted run resumes ---------------------------------------------------
# SIGKILL in the middle of a slow run; the next run resumes partial files
# with Range and keeps the complete ones A's records vouch for: A sends each
# byte of beta's files about once over both runs (a little more for what
# was in flight when the first run died), never a complete file twice.
D="$WORK/d"; mkdir -p "$D"
sleep 1.2	# storesrv writes its access log every second
KMARK=$(wc -l <"$WORK/a-access.log")
"$SM" sync -q -r "$D" -u "$ABASE/beta/download" --rate-limit 20000 --parallel 2 >/dev/null 2>&1 &
KPID=$!
sleep 1.2
kill -KILL $KPID; wait $KPID 2>/dev/null
check "the killed run left partial or complete files in its state" \
    test -n "$(find "$D/.mirror/beta/files" -type f ! -name '*.etag' | head -n 1)"
check "... and published nothing" test ! -e "$D/beta/download/apps.json"
sm sync -r "$D" -u "$ABASE/beta/download"
is "the next run completes: exit 0" "$RC" 0
check "... beta mirrored exactly" diff -r "$A/beta/download" "$D/beta/download"
is "... complete files of the killed run were kept, not fetched again" "$(jget 'd["channels"][0]["kept"] > 0')" True
sleep 1.2
TOTAL=$(cd "$A/beta/download" && find . -type f ! -name '*.json' -printf '%s\n' | awk '{s += $1} END {print s}')
SENT=$(tail -n +$((KMARK + 1)) "$WORK/a-access.log" |
    awk '$7 ~ "^/beta/download/[0-9a-z]" && $7 !~ "json$" && $6 == "\"GET" {s += $10} END {print s}')
diag "beta's files: $TOTAL bytes; A sent $SENT over both runs"
check "A sent beta's files about once over both runs (at most 8 KiB more)" \
    test "$SENT" -ge "$TOTAL" -a "$SENT" -le $((TOTAL + 8192))

# --- a file of A that its record refutes ------------------------------------------
REL=$(cd "$A/release/download" && find . -path './*/arm/*' -type f | sed 's|^\./||' | sort | head -n 1)
BUILD=${REL%%/*}
printf 'X' | dd of="$A/release/download/$REL" bs=1 seek=0 conv=notrunc 2>/dev/null
sleep 1.1	# storesrv revalidates a cached file once a second
MARK=$(wc -l <"$WORK/a-access.log")
sm sync -r "$C" -u "$ABASE/release/download"
is "C mirrors A with one corrupted file: exit 1" "$RC" 1
is "... its build $BUILD is left out, the other folders are published" \
    "$(jget "'$BUILD' in d['channels'][0]['published'], d['channels'][0]['failed'], len(d['channels'][0]['published'])")" \
    "(False, 1, $((A_UNITS - 1)))"
like "... with an error naming the URL of the file and the record" \
    "$(jget '[p["where"] + " " + p["message"] for p in d["channels"][0]["problems"] if p["severity"] == "error"]')" \
    "$ABASE/release/download/$REL $BUILD left out: sha256 [0-9a-f]{64} differs from the upstream's record"
check "... $BUILD is not in C's channel" test ! -e "$C/release/download/$BUILD"
sleep 1.2
is "... the build was fetched twice (retried once), the file requested twice" \
    "$(tail -n +$((MARK + 1)) "$WORK/a-access.log" | grep -c "GET /release/download/$REL ")" 2
check "storesrv A stops cleanly" stop_a
check "storesrv U stops cleanly" stop_storesrv 5
done_testing
