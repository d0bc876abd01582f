#!/bin/bash
# storeimport's command line: exit codes and messages (a failure always
# names its cause), --version, usage errors as JSON with --json, a root
# that is a symlink, the one rule of release ids, and the progress of a
# publish (JSON lines with --json, one line on a terminal).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/importer_lib.sh"
S="$WORK/src"

# runs ARGS...: storeimport ARGS... (no -r added); OUT: stdout and stderr.
runs() {
	OUT=$("$STOREIMPORT" "$@" 2>&1)
	RC=$?
}

# json_usage NAME PATTERN ARGS...: exit 2, stdout one JSON object with
# status "usage", exit 2 and an error matching PATTERN.
json_usage() {
	_name=$1; _pat=$2; shift 2
	"$STOREIMPORT" "$@" >"$WORK/usage.json" 2>"$WORK/usage.err"
	RC=$?
	_got=$(json_get "$WORK/usage.json" 'd["status"], d["exit"], d["error"]' 2>/dev/null)
	if [ "$RC" = 2 ] && printf '%s\n' "$_got" | grep -Eq -- "^\('usage', 2, '.*$_pat"; then
		ok "$_name"
	else
		not_ok "$_name"; diag "exit $RC, report: $_got"
	fi
}

app_build "$S" 130001 apidemo

# 1. a missing store root: exit 3, the path and the error named, for every
#    command that takes a root; never "failed (0 errors".
for c in "publish $S/130001" "check $S/130001" "remove 130001" "retain 2" verify reindex recover; do
	runs -r "$WORK/missing" --release 13r1 $c
	if [ "$RC" = 3 ] && printf '%s\n' "$OUT" |
	    grep -q "failed: store root $WORK/missing: No such file or directory" &&
	    ! printf '%s\n' "$OUT" | grep -q 'failed (0 errors'; then
		ok "missing root, ${c%% *}: exit 3 naming the root and the error"
	else
		not_ok "missing root, ${c%% *}: exit 3 naming the root and the error"; diag "exit $RC: $OUT"
	fi
done
: >"$WORK/afile"
runs -r "$WORK/afile" verify
like "a root that is a file: exit 3, named" "$RC $OUT" "^3 storeimport verify: failed: store root $WORK/afile: not a folder$"
"$STOREIMPORT" -r "$WORK/missing" --json verify >"$WORK/io.json" 2>/dev/null
is "missing root, --json: the error in the report" \
    "$(json_get "$WORK/io.json" 'd["status"], d["exit"], d["error"]')" \
    "('io', 3, 'store root $WORK/missing: No such file or directory')"

# 2. sizes that overflow are usage errors
for v in 99999999999G 17179869184G 18014398509481984M; do
	si --reserve "$v" --release 13r1 check "$S/130001"
	if [ "$RC" = 2 ] && printf '%s\n' "$OUT" | grep -q -- "invalid --reserve.*: $v"; then
		ok "--reserve $v: usage error"
	else
		not_ok "--reserve $v: usage error"; diag "exit $RC: $OUT"
	fi
done
si --max-archive-bytes 99999999999G --release 13r1 check "$S/130001"
is "--max-archive-bytes 99999999999G: usage error" "$RC" 2

# 3. one rule for release ids: the command line, build.json and the catalog
si --release 13R1 publish "$S/130001"
is "--release 13R1: usage error" "$RC" 2
like "--release 13R1: the rule named" "$OUT" "invalid release id .*a-z.*: 13R1"
app_build "$S/upper" 130002 apidemo
echo '{"release": "13R1"}' >"$S/upper/130002/build.json"
si publish "$S/upper/130002"
like "build.json release 13R1: refused by the same rule" "$RC $OUT" '^1 error: 130002/build.json: .*release: invalid value "13R1"'

# 4. --version, in storesrv's shape
runs --version
is "--version" "$RC $OUT" "0 storeimport $("$STORESRV" --version | cut -d' ' -f2)"
runs -V
is "-V" "$RC $OUT" "0 storeimport $("$STORESRV" --version | cut -d' ' -f2)"

# 5. usage errors with --json: the report on stdout too
json_usage "--json: unknown option" "unknown option: --bogus" --json --bogus verify
json_usage "--json after the bad option" "unknown option: --bogus" --bogus verify --json
json_usage "--json: unknown command" "unknown command: frobnicate" --json frobnicate
json_usage "--json: missing --root" "--root is required for: publish" --json publish "$S/130001"
json_usage "--json: --reserve overflow" "invalid --reserve" --json -r "$ROOT" --reserve 99999999999G verify
json_usage "--json: invalid release" "invalid release id" --json -r "$ROOT" --release 13R1 publish "$S/130001"
json_usage "--json: missing argument" "missing argument of: --release" --json -r "$ROOT" check "$S/130001" --release

# 6. a root that is a symlink to a folder, as storesrv accepts it
ln -s "$ROOT" "$WORK/rootlink"
app_build "$S" 130003 apidemo
runs -r "$WORK/rootlink" --release 13r1 publish "$S/130003"
is "-r symlink: publish" "$RC" 0
check "-r symlink: published into the folder it names" \
    test -f "$ROOT/release/download/130003/apidemo_files" -a -L "$WORK/rootlink"
runs -r "$WORK/rootlink" verify
is "-r symlink: verify" "$RC" 0

# 7. progress with --json: JSON lines on stderr, the report alone on stdout
mkdir -p "$S/big/130004"
printf 'a.bin,b.bin,c.bin' >"$S/big/130004/big_files"
head -c 3000000 /dev/zero >"$S/big/130004/a.bin"
head -c 70000 /dev/zero >"$S/big/130004/b.bin"
echo c >"$S/big/130004/c.bin"
"$STOREIMPORT" -r "$ROOT" --release 13r1 --json publish "$S/big/130004" \
    >"$WORK/pub.json" 2>"$WORK/progress.jsonl"
RC=$?
"$STOREIMPORT" -r "$ROOT" --release 13r1 --json --replace publish "$S/big/130004" >"$WORK/both.json" 2>&1
is "--json progress: JSON lines on stderr, first 0 bytes, last all, never backwards; stdout the report (alone with 2>&1)" \
    "$RC $(json_get "$WORK/pub.json" 'd["status"]') $(json_get "$WORK/both.json" 'd["status"]') $(python3 - "$WORK/progress.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
p = [l["progress"] for l in lines]
mono = all(a["bytes"] <= b["bytes"] and a["files"] <= b["files"] for a, b in zip(p, p[1:]))
print(len(p) >= 2, all(set(x) == {"progress"} for x in lines) and all(set(x) == {"files", "bytes", "total_bytes"} for x in p),
      p[0]["bytes"], (p[-1]["files"], p[-1]["bytes"], p[-1]["total_bytes"]), mono)
PY
)" "0 ok ok True True 0 (4, 3070019, 3070019) True"

# 7b. an archive: its extraction is counted too; its expanded size is not
# known in advance, so total_bytes is null
(cd "$S/big" && tar -cf "$WORK/big.tar" 130004)
"$STOREIMPORT" -r "$ROOT" --release 13r1 --json --replace publish "$WORK/big.tar" \
    >"$WORK/pub-tar.json" 2>"$WORK/progress-tar.jsonl"
RC=$?
is "--json progress of an archive: the files and bytes extracted, total unknown" \
    "$RC $(python3 - "$WORK/progress-tar.jsonl" <<'PY'
import json, sys
p = [json.loads(l)["progress"] for l in open(sys.argv[1])]
print(len(p) >= 2, (p[-1]["files"], p[-1]["bytes"], p[-1]["total_bytes"]))
PY
)" "0 True (4, 3070019, None)"

# 8. progress on a terminal: one line on stderr, cleared; none otherwise
app_build "$S" 130005 apidemo
runs -r "$ROOT" --release 13r1 publish "$S/130005"
NOTTY=$OUT
if script -qc true /dev/null >/dev/null 2>&1 </dev/null; then
	app_build "$S" 130006 apidemo
	TERM=xterm script -qc "'$STOREIMPORT' -r '$ROOT' --release 13r1 publish '$S/130006' 2>&1" /dev/null \
	    >"$WORK/tty.out" </dev/null
	is "terminal: one line of files, bytes, rate and ETA (none without a terminal)" \
	    "$(printf '%s\n' "$NOTTY" | grep -c copying:) $(tr '\r\033' '\n#' <"$WORK/tty.out" |
	    grep -Ec '^copying: 5 files, 90 B/90 B \(100%\), [0-9.]+ [KMG]?i?B/s, ETA [0-9:-]+#\[K$')" "0 1"
	like "terminal: the line cleared before the report" "$(tr '\r\033' '\n#' <"$WORK/tty.out" | tr '\n' '|')" \
	    '\|#\[Kpublished 130006 '
else
	ok "terminal: one line of files, bytes, rate and ETA (none without a terminal) # SKIP no script (util-linux) or no pseudo-terminal"
	ok "terminal: the line cleared before the report # SKIP no script (util-linux) or no pseudo-terminal"
fi

# --json keeps text that is not UTF-8, escaped: jansson refuses such a
# string, and the cause of a failure naming such a path used to vanish.
"$STOREIMPORT" -r "$ROOT" --json --release 13r1 publish "$S/$(printf 'd\377')/130061" \
    >"$WORK/nonutf8.json" 2>/dev/null
is "a missing source whose path is not UTF-8: exit 3" "$?" 3
is "--json names the cause, the byte escaped" \
    "$(json_get "$WORK/nonutf8.json" 'd.get("error", "(no error)")')" \
    "$S/d\\xff/130061: No such file or directory"
mkdir -p "$S/nonutf8"
fw_build "$S/nonutf8" 130061 0013
printf 'x' >"$S/nonutf8/130061/$(printf 'bad\377.bin')"
"$STOREIMPORT" -r "$ROOT" --json --release 13r1 check "$S/nonutf8/130061" >"$WORK/nonutf8.json" 2>/dev/null
is "a name that is not UTF-8: refused (exit 1)" "$?" 1
like "--json lists the problem, the bytes escaped" \
    "$(json_get "$WORK/nonutf8.json" '" ".join(p["where"] + " " + p["message"] for p in d["problems"])')" \
    'bad\\xff\.bin'

done_testing
