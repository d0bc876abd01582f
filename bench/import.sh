#!/bin/bash
# Benchmark of storeimport (issue 3, point 8).
#
#   bench/import.sh [BUILDDIR] [SIZE_MB] [BUILDS]    (defaults: ., 2048, 10000)
#
# 1. Publishes a build of SIZE_MB megabytes (four files from /dev/urandom)
#    with `storeimport publish` (validate, copy with sha256, fsync, rename,
#    indexes) and hashes the same files with `sha256sum` in the same run;
#    prints both throughputs and their ratio (aim: >= 0.9).
# 2. Rewrites the indexes of a channel of BUILDS builds with
#    `storeimport reindex` (aim: well under a second) and times a one-build
#    publish into that channel.
# Use a build without sanitizers (configure CFLAGS=-O2).  Everything lives in
# a temporary folder under $TMPDIR (same file system as the store) that is
# removed at the end.
set -eu
builddir=${1:-.}
size_mb=${2:-2048}
nbuilds=${3:-10000}
SI="$builddir/importer/storeimport"
[ -x "$SI" ] || { echo "no $SI; build it first" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/storeimport-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
mbps() { awk -v mb="$1" -v s="$2" 'BEGIN { printf "%.0f", mb / s }'; }

echo "== publish a ${size_mb} MB build vs sha256sum"
b="$work/src/130001"
mkdir -p "$b" "$work/root"
part=$((size_mb / 4))
for f in a b c d; do
	head -c $((part * 1024 * 1024)) /dev/urandom >"$b/setup-$f.bin"
done
printf 'setup-a.bin,setup-b.bin,setup-c.bin,setup-d.bin' >"$b/bench_files"
sync
total_mb=$((part * 4))
# Warm the page cache once so that both read the same way.
cat "$b"/*.bin >/dev/null

t0=$(now); (cd "$b" && sha256sum setup-*.bin >"$work/sums"); t1=$(now)
sha_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
t0=$(now); "$SI" -r "$work/root" --release 13r1 --label sr01 publish "$b" >"$work/out"; t1=$(now)
imp_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
t0=$(now); (cd "$b" && sha256sum setup-*.bin >/dev/null); t1=$(now)
sha2_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
# Same digests?
(cd "$work/root/release/download/130001" && sha256sum -c --quiet "$work/sums")
sha_best=$(awk -v a="$sha_s" -v b="$sha2_s" 'BEGIN { print (a < b ? a : b) }')
printf 'sha256sum:             %6.2f s  %5s MB/s (best of two runs)\n' "$sha_best" "$(mbps $total_mb "$sha_best")"
printf 'storeimport publish:   %6.2f s  %5s MB/s (validate, copy+sha256, fsync, publish)\n' \
    "$imp_s" "$(mbps $total_mb "$imp_s")"
awk -v a="$sha_best" -v b="$imp_s" 'BEGIN { printf "ratio (storeimport / sha256sum throughput): %.2f\n", a / b }'
rm -rf "$b" "$work/root"

echo "== indexes of a channel with $nbuilds builds"
python3 - "$work/big" "$nbuilds" <<'PY'
import json, os, sys
root, n = sys.argv[1], int(sys.argv[2])
dl = os.path.join(root, "release", "download")
os.makedirs(dl)
cat = {"releases": {}, "builds": {}, "apps": {}}
for i in range(n):
    b = str(200000 + i)
    app = "app%02d" % (i % 40)
    rel = "%dr%d" % (10 + i % 5, 1 + i % 3)
    d = os.path.join(dl, b)
    os.makedirs(os.path.join(d, "arm", app))
    with open(os.path.join(d, app + "_files"), "w") as f:
        f.write(app + ".bin")
    with open(os.path.join(d, "arm", app, app + ".bin"), "w") as f:
        f.write("x")
    cat["builds"][b] = {"release": rel, "label": "sr%02d" % (i % 30)}
    cat["releases"].setdefault(rel, {"wiki": "https://wiki.example/" + rel})
    cat["apps"].setdefault(app, {"title": app, "manufacturer": "bench", "license_type": "free"})
with open(os.path.join(root, "release", "catalog.json"), "w") as f:
    json.dump(cat, f)
PY
"$SI" -r "$work/big" reindex >/dev/null	# first run: cold dentries
for i in 1 2 3; do
	"$SI" -r "$work/big" --json reindex | awk -F': ' '/"seconds"/ { gsub(/[ ,]/, "", $2); print $2 }'
done | sort -n | awk 'NR == 1 { printf "reindex of %s builds:  %.3f s (index rewrite, best of three)\n", "'"$nbuilds"'", $1 }'
mkdir -p "$work/one/299999/arm/app00"
printf 'app00.bin' >"$work/one/299999/app00_files"
echo y >"$work/one/299999/arm/app00/app00.bin"
t0=$(now); "$SI" -r "$work/big" --release 10r1 publish "$work/one/299999" >/dev/null; t1=$(now)
awk -v a="$t0" -v b="$t1" -v n="$nbuilds" 'BEGIN { printf "publish one build into it: %.3f s (whole command)\n", b - a }'
