#!/bin/bash
# /status, /status.json and /metrics of a real storesrv (4 threads) on the
# demo store: exact request and byte counts after known downloads (304s,
# ranges, HEADs, 404s), the JSON parsed, the Prometheus text parsed by a
# small parser of the format, the page parsed as HTML, the run records of
# storeimport publish and storemirror sync, free space, incoming problems.
. "$top_srcdir/tests/integration/lib.sh"
[ -x "$STORESRV" ] || skip_all "storesrv not built"
command -v curl >/dev/null || skip_all "curl missing"
command -v python3 >/dev/null || skip_all "python3 missing"
ROOT=$WORK/root
. "$top_srcdir/tests/integration/importer_lib.sh"
SM="$top_builddir/mirror/storemirror"

# jq_status EXPR: EXPR evaluated by python3 on a fresh status document d;
# jq_snap EXPR: the same on the last one fetched (no request).
jq_status() {
	curl -s "$BASE/status.json" >"$WORK/status.json"
	jq_snap "$1"
}
jq_snap() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
def file_of(ch, build, name):
    for f in d["downloads"]["files"]:
        if (f["channel"], f["build"], f["file"]) == (ch, build, name):
            return f
    return None
print(eval(sys.argv[2]))' "$WORK/status.json" "$1" 2>&1
}

# prom_parse: parses the Prometheus text format 0.0.4 on stdin (HELP and
# TYPE lines, names, labels with \\ \" \n escapes, values), fails on any
# malformed line, a sample without a TYPE, or a family split in two;
# prints "name{sorted labels} value" per sample.
prom_parse() {
	python3 -c '
import re, sys
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
typed, seen_done, current = {}, set(), None
def fail(n, why):
    sys.exit("line %d: %s" % (n, why))
def labels(s, i, n):
    out = {}
    while s[i] != "}":
        m = LABEL.match(s, i)
        if not m or s[m.end():m.end() + 2] != "=\"":
            fail(n, "bad label")
        i, v = m.end() + 2, ""
        while s[i] != "\"":
            if s[i] == "\\":
                i += 1
                if s[i] not in "\\\"n":
                    fail(n, "bad escape")
                v += "\n" if s[i] == "n" else s[i]
            else:
                v += s[i]
            i += 1
        out[m.group(0)] = v
        i += 1
        if s[i] == ",":
            i += 1
        elif s[i] != "}":
            fail(n, "bad label list")
    return out, i + 1
for n, line in enumerate(sys.stdin.read().split("\n"), 1):
    if line == "":
        continue
    if line.startswith("# "):
        parts = line.split(" ", 3)
        if parts[1] == "TYPE":
            if parts[3] not in ("counter", "gauge", "untyped", "histogram", "summary"):
                fail(n, "bad type")
            if parts[2] in typed:
                fail(n, "family typed twice")
            typed[parts[2]] = parts[3]
        elif parts[1] != "HELP":
            fail(n, "bad comment")
        continue
    m = NAME.match(line)
    if not m:
        fail(n, "bad name")
    name, i, lab = m.group(0), m.end(), {}
    if name not in typed:
        fail(n, "sample without TYPE: " + name)
    if name != current:
        if name in seen_done:
            fail(n, "family split: " + name)
        if current:
            seen_done.add(current)
        current = name
    if line[i] == "{":
        lab, i = labels(line, i + 1, n)
    if line[i] != " ":
        fail(n, "no space before the value")
    value = float(line[i + 1:])
    ls = ",".join("%s=%s" % kv for kv in sorted(lab.items()))
    print("%s{%s} %s" % (name, ls, repr(value)))
'
}

# prom_value SERIES: the value of one parsed series ("name{a=b}").
prom_value() {
	grep -F "$1 " "$WORK/metrics.parsed" | head -1 | cut -d' ' -f2
}

# html_check: python3's html.parser over stdin: every element closed in
# order (void elements excepted), a title, no external resource.
html_check() {
	python3 -c '
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "img", "hr", "link", "input"}
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.title, self.errors = [], "", []
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") and v and ("//" in v):
                self.errors.append("external resource " + v)
        if tag not in VOID:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append("misnested </%s>" % tag)
    def handle_data(self, data):
        if self.stack and self.stack[-1] == "title":
            self.title += data
p = P()
p.feed(sys.stdin.read())
p.close()
if p.stack:
    p.errors.append("unclosed " + ",".join(p.stack))
if not p.title:
    p.errors.append("no title")
print("; ".join(p.errors) or "ok")
'
}

make_demo_store "$ROOT"
check "storesrv started with 4 threads" start_storesrv "$ROOT" --threads 4
F=release/download/132001/ip222.bin
SIZE=$(stat -c %s "$ROOT/$F")

# Known traffic, one connection per request (spread over the threads).
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do curl -s -o /dev/null "$BASE/$F"; done
ETAG=$(curl -sI "$BASE/$F" | tr -d '\r' | sed -n 's/^ETag: //Ip')
curl -sI -o /dev/null "$BASE/$F"
curl -sI -o /dev/null "$BASE/$F"
is "revalidation answers 304" "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$BASE/$F")" 304
is "range answers 206" "$(curl -s -o /dev/null -w '%{http_code}' -r 0-9 "$BASE/$F")" 206
curl -s -o /dev/null "$BASE/release/download/132001/missing.bin"
curl -s -o /dev/null "$BASE/release/download/apps.json"
APPS=$(stat -c %s "$ROOT/release/download/apps.json")
# Counts from one snapshot: 12 GET + 3 HEAD + 304 + 206 + 404 + index = 19 requests before this one
is "JSON parses, has the version" "$(jq_status 'd["version"] != ""')" True
cp "$WORK/status.json" "$WORK/status.json.1"
is "total requests" "$(jq_snap 'd["requests"]["total"]')" 19
is "by class" "$(jq_snap 'tuple(d["requests"]["by_class"][k] for k in ("1xx","2xx","3xx","4xx","5xx","other"))')" "(0, 17, 1, 1, 0, 0)"
is "304s and ranges" "$(jq_snap '(d["requests"]["not_modified"], d["requests"]["partial"])')" "(1, 1)"
is "download bytes" "$(jq_snap 'd["requests"]["download_bytes"]')" "$((12 * SIZE + 10))"
NOTFOUND=$(curl -s "$BASE/release/download/132001/missing.bin" | wc -c)
is "bytes served: downloads, the index, a 404 body, the first status.json" \
    "$(jq_status 'd["requests"]["bytes"]')" \
    "$((12 * SIZE + 10 + APPS + 2 * NOTFOUND + $(stat -c %s "$WORK/status.json.1" 2>/dev/null || echo 0)))"
is "file: GETs, 304 and range count, HEADs do not" \
    "$(jq_status 'file_of("release", "132001", "ip222.bin")["requests"]')" 14
is "file: bytes of 12 GETs and a 10-byte range" \
    "$(jq_status 'file_of("release", "132001", "ip222.bin")["bytes"]')" "$((12 * SIZE + 10))"
is "file's item from its manifest" "$(jq_status 'file_of("release", "132001", "ip222.bin")["item"]')" ip222
is "build 132001 sums its files" \
    "$(jq_status '[(b["requests"], b["bytes"]) for b in d["downloads"]["builds"] if b["build"] == "132001"]')" \
    "[(14, $((12 * SIZE + 10)))]"
is "index fetches are no downloads" "$(jq_status 'd["requests"]["downloads"]')" 14
is "status requests count in the totals" "$(jq_status 'd["requests"]["total"]')" 27

# An app file below its architecture folder: build 132001, item clock.
curl -s -o /dev/null "$BASE/release/download/132001/arm/clock/clock.bin"
is "app file: build and item" \
    "$(jq_status '[(f["build"], f["item"], f["requests"]) for f in d["downloads"]["files"] if f["file"] == "arm/clock/clock.bin"]')" \
    "[('132001', 'clock', 1)]"
is "platform file: its version folder is the build" \
    "$(curl -s -o /dev/null "$BASE/release/download/$(cd "$ROOT/release/download" && ls -d app-platform/*/* | head -1)"; \
      jq_status '[(f["build"].count("/"), f["item"]) for f in d["downloads"]["files"] if f["build"].startswith("app-platform/")]')" \
    "[(1, 'app-platform')]"

# Builds per channel and kind, disk space.
is "builds per channel and kind" \
    "$(jq_status '[(c["name"], c["kinds"]["firmware"]["builds"], c["kinds"]["apps"]["builds"]) for c in d["channels"]]')" \
    "[('beta', 1, 2), ('release', 3, 4)]"
is "free space present" "$(jq_status 'd["disk"]["free_bytes"] > 0 and d["disk"]["total_bytes"] >= d["disk"]["used_bytes"]')" True

# Many connections at once over the 4 threads: the sums are exact.
G=release/download/130001/ip222.bin
seq 1 200 | xargs -P 8 -I{} curl -s -o /dev/null "$BASE/$G"
is "200 parallel downloads summed over the threads" \
    "$(jq_status 'file_of("release", "130001", "ip222.bin")["requests"]')" 200
is "their bytes" "$(jq_status 'file_of("release", "130001", "ip222.bin")["bytes"]')" \
    "$((200 * $(stat -c %s "$ROOT/$G")))"

# Prometheus text.
HDR=$(curl -sI "$BASE/metrics" | tr -d '\r')
like "metrics: text/plain; version=0.0.4" "$HDR" '^Content-Type: text/plain; version=0.0.4'
curl -s "$BASE/metrics" >"$WORK/metrics.txt"
if prom_parse <"$WORK/metrics.txt" >"$WORK/metrics.parsed" 2>"$WORK/metrics.err"; then
	ok "metrics: every line parses"
else
	not_ok "metrics: every line parses"; diag "$(cat "$WORK/metrics.err")"
fi
is "metrics: build series" "$(prom_value 'storesrv_build_requests_total{build=130001,channel=release}')" 200.0
is "metrics: 304s" "$(prom_value 'storesrv_not_modified_total{}')" 1.0
like "metrics: free space" "$(prom_value 'storesrv_disk_free_bytes{}')" '^[1-9][0-9.e+]*$'
is "metrics: firmware builds of release" "$(prom_value 'storesrv_builds{channel=release,kind=firmware}')" 3.0
is "metrics: the build series add up to the downloads" \
    "$(grep '^storesrv_build_requests_total' "$WORK/metrics.parsed" | awk '{s += $2} END {print s}')" \
    "$(jq_status 'd["requests"]["downloads"]')"

# Bounded cardinality: 30 builds downloaded, 20 named, the rest "other".
for b in $(seq 140001 140030); do app_build "$WORK/src" "$b" statapp arm; done
si --release 13r1 publish $(for b in $(seq 140001 140030); do echo "$WORK/src/$b"; done)
is "30 builds published" "$RC" 0
for b in $(seq 140001 140030); do curl -s -o /dev/null "$BASE/release/download/$b/arm/statapp/statapp.bin"; done
curl -s "$BASE/metrics" | prom_parse >"$WORK/metrics.parsed"
is "metrics: 20 builds named and other" \
    "$(grep -c '^storesrv_build_requests_total' "$WORK/metrics.parsed")" 21
is "metrics: other sums the rest" \
    "$(prom_value 'storesrv_build_requests_total{build=other,channel=other}')" 13.0

# Run records.
is "last import: published, ok, the build listed" \
    "$(jq_status '(d["last_import"]["ok"], d["last_import"]["problems"], len(d["last_import"]["published"]))')" \
    "(True, 0, 30)"
mkdir -p "$WORK/src/bad"
echo junk >"$WORK/src/bad/nothing"
si publish "$WORK/src/bad"
check "a failing publish fails" test "$RC" -ne 0
is "last import: the failure recorded" \
    "$(jq_status '(d["last_import"]["ok"], d["last_import"]["exit"] == '"$RC"', d["last_import"]["message"] is not None)')" \
    "(False, True, True)"
"$STOREIMPORT" -r "$ROOT/beta" publish "$WORK/src/140001" >/dev/null 2>&1
check "a publish refused for its root (a channel) leaves no record there" \
    test ! -e "$ROOT/beta/.status"
curl -s "$BASE/metrics" | prom_parse >"$WORK/metrics.parsed"
is "metrics: last import failed" "$(prom_value 'storesrv_last_run_ok{tool=import}')" 0.0
if [ -x "$SM" ]; then
	mkdir -p "$WORK/mirror"
	"$SM" sync -r "$WORK/mirror" -u "$BASE/beta/download" >"$WORK/sm.out" 2>&1
	is "storemirror sync ran" "$?" 0
	is "last mirror recorded in the mirror's root" \
	    "$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); print(d["ok"], d["problems"], d["channels"][0]["status"])' "$WORK/mirror/.status/last-mirror.json")" \
	    "True 0 ok"
else
	not_ok "storemirror built"
fi

# Validation problems left by the WebDAV watcher in incoming/.
mkdir -p "$ROOT/release/incoming"
: >"$ROOT/release/incoming/upload.zip.problems.txt"
: >"$ROOT/release/incoming/upload.zip"
is "incoming problem files counted" "$(jq_status 'd["validation"]["incoming_problem_files"]')" 1

# The page.
HDR=$(curl -sI "$BASE/status" | tr -d '\r')
like "page: text/html" "$HDR" '^Content-Type: text/html'
is "page: well-formed, titled, self-contained" "$(curl -s "$BASE/status" | html_check)" ok
like "page: shows the build's downloads" "$(curl -s "$BASE/status")" '<td>132001</td><td class="n">15</td>'
is "POST /status is not a status request (no such file)" \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/status")" 404

check "storesrv exits 0 on SIGTERM" stop_storesrv
done_testing
