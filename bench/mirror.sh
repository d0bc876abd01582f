#!/bin/bash
# bench/mirror.sh: storemirror sync against `wget -m` + `sync`, in the same
# run, from nginx on 127.0.0.1 (issue 8, point 10).
#
#   bench/mirror.sh [BUILDDIR] [SIZE_MB]      (defaults: ., 1500)
#
# 1. Generates a release channel of about SIZE_MB megabytes, a few hundred
#    files of realistic sizes (100 KB icons, app binaries of a few MB,
#    firmware images of 8 MB, software images up to 300 MB; all sizes scale
#    with SIZE_MB), published with `storeimport` into a store root so that
#    the indexes and manifests are real.
# 2. Serves that root with nginx (private prefix, autoindex on so that wget
#    can find the files, sendfile, access log with $body_bytes_sent).
# 3. Times, with the page cache dropped before each when permitted:
#    (a) `storemirror sync` into an empty root (sha256 as the bytes arrive,
#        fsync, publish through the import session), peak RSS from
#        /usr/bin/time -v;
#    (b) `wget -m -np` of the same tree, then `sync` (the data on disk, as
#        storemirror's fsync puts it);
#    (c) a no-change rerun of storemirror: wall time and the body bytes
#        nginx sent for it (its access log).
#    (a) and (b) run RUNS times (default 2), interleaved; the best of each
#    is reported, since other load on the machine only slows a run down.
# 4. Prints a table (aims from the issue: (a) <= (b), (c) < 1 s and 0 body
#    bytes, peak RSS < 32 MB) and removes everything (trap on exit).
# PERF_DATA=FILE records the first (a) with `perf record -g` into FILE.
# Use a build without sanitizers (configure CFLAGS="-O2 -g").  Needs nginx,
# wget and /usr/bin/time (exit 77 when one is missing); run as root or not
# (nginx runs from a private prefix either way).  Every step is bounded
# (timeout); the temporary tree lives under $TMPDIR and needs about three
# times SIZE_MB of free space.
set -u
builddir=${1:-.}
size_mb=${2:-1500}
RUNS=${RUNS:-2}
SM="$builddir/mirror/storemirror"
SI="$builddir/importer/storeimport"
[ -x "$SM" ] || { echo "no $SM; build it first" >&2; exit 1; }
[ -x "$SI" ] || { echo "no $SI; build it first" >&2; exit 1; }
for t in nginx wget /usr/bin/time timeout python3; do
	command -v "$t" >/dev/null || { echo "mirror.sh: $t missing" >&2; exit 77; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/storemirror-bench.XXXXXX")
NGX_PID=
cleanup() {
	if [ -n "$NGX_PID" ]; then
		kill -TERM "$NGX_PID" 2>/dev/null
		wait "$NGX_PID" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '%s\n' "$*" >&2; }
die() { say "mirror.sh: $*"; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# scaled BYTES: BYTES scaled by SIZE_MB/1500, at least 4 KiB.
scaled() { awk -v b="$1" -v s="$size_mb" 'BEGIN { v = int(b * s / 1500); print (v < 4096 ? 4096 : v) }'; }
rnd() { head -c "$2" /dev/urandom >"$1"; }
drop_caches() {
	sync
	if echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then DROPPED=yes; else DROPPED=no; fi
}
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- 1. the channel ---------------------------------------------------------------
say "== generating a channel of about $size_mb MB"
src="$work/src"
up="$work/up"
mkdir -p "$src" "$up"
# Apps: 40 apps in one build, three architectures, a binary and an icon each.
b="$src/140001"
mkdir -p "$b"
for i in $(seq -w 1 40); do
	id="benchapp$i"
	printf '%s' "$id.bin,$id.png" >"$b/${id}_files"
	for arch in arm arm64 x86_64; do
		mkdir -p "$b/$arch/$id"
		rnd "$b/$arch/$id/$id.bin" "$(scaled $(( (1 + 10#$i % 7) * 1000000 )))"
		rnd "$b/$arch/$id/$id.png" 100000
	done
done
# Firmware: two releases' builds, 10 devices each (an 8 MB image, a boot loader).
for fb in 130002 140002; do
	for m in 0010 0011 0013 0080 0110 0111 0112 0113 0200 0222; do
		mkdir -p "$src/$fb"
		printf '%s' "ip$m.bin,boot$m.bin" >"$src/$fb/ip${m}_files"
		rnd "$src/$fb/ip$m.bin" "$(scaled 8000000)"
		rnd "$src/$fb/boot$m.bin" "$(scaled 500000)"
	done
done
# Software: three images of 300 MB, five installers of 20 MB.
mkdir -p "$src/140003"
for i in 1 2 3 4 5 6 7 8; do
	id="benchsw$i"
	if [ $i -le 3 ]; then sz=300000000; f="$id.img"; else sz=20000000; f="$id-setup.exe"; fi
	printf '%s' "$f" >"$src/140003/${id}_files"
	rnd "$src/140003/$f" "$(scaled $sz)"
done
"$SI" -r "$up" --create-channel --release 14r1 --label sr01 publish "$src/140001" "$src/140002" \
    "$src/140003" >"$work/import.out" 2>&1 || { cat "$work/import.out" >&2; die "storeimport failed"; }
"$SI" -r "$up" --release 13r1 --label sr05 publish "$src/130002" >>"$work/import.out" 2>&1 ||
    { cat "$work/import.out" >&2; die "storeimport failed"; }
rm -rf "$src"
dl="$up/release/download"
nfiles=$(find "$dl" -type f | wc -l)
total=$(find "$dl" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
total_mb=$(awk -v b="$total" 'BEGIN { printf "%.0f", b / 1e6 }')
say "   $nfiles files, $total_mb MB (indexes included)"

# --- 2. nginx --------------------------------------------------------------------
port=$(free_port)
alog="$work/nginx/access.log"
mkdir -p "$work/nginx"
# as root, the workers stay root so that they read the private tree
user_line=
[ "$(id -u)" = 0 ] && user_line="user root;"
cat >"$work/nginx/nginx.conf" <<EOC
daemon off;
$user_line
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 256; }
http {
	log_format bench '\$request_uri \$status \$body_bytes_sent';
	access_log $alog bench;
	client_body_temp_path $work/nginx/body;
	proxy_temp_path $work/nginx/proxy;
	fastcgi_temp_path $work/nginx/fastcgi;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000;
	default_type application/octet-stream;
	server { listen 127.0.0.1:$port; root $up; autoindex on; }
}
EOC
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>>"$work/nginx/stderr" &
NGX_PID=$!
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || die "nginx did not start"
url="http://127.0.0.1:$port/release/download"

# --- 3. the runs ----------------------------------------------------------------
# run_storemirror: (a) into a fresh root $work/m; sets sm_s, rss_kb.
run_storemirror() {
	rm -rf "$work/m"; mkdir -p "$work/m"
	drop_caches
	t0=$(now)
	timeout 1800 /usr/bin/time -v -o "$work/sm.time" $perf "$SM" sync -q -r "$work/m" -u "$url" \
	    >"$work/sm.out" 2>&1 || { cat "$work/sm.out" >&2; die "storemirror sync failed"; }
	perf=
	t1=$(now)
	sm_s=$(secs "$t0" "$t1")
	rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/sm.time")
	cpu_s=$(awk -F': ' '/User time/ { u = $2 } /System time/ { k = $2 }
	    END { printf "%.2f s (user %.2f, sys %.2f)", u + k, u, k }' "$work/sm.time")
	m_files=$(find "$work/m/release/download" -type f | wc -l)
	m_total=$(find "$work/m/release/download" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
	[ "$m_files $m_total" = "$nfiles $total" ] ||
	    die "the mirror holds $m_files files, $m_total bytes; upstream $nfiles, $total"
}
# run_wget: (b) into a fresh $work/w, then sync; sets wget_s.
run_wget() {
	rm -rf "$work/w"
	drop_caches
	t0=$(now)
	timeout 1800 wget -m -np -nH -q -e robots=off -P "$work/w" "$url/" >"$work/wget.out" 2>&1
	wget_rc=$?
	sync
	t1=$(now)
	wget_s=$(secs "$t0" "$t1")
	w_bytes=$(find "$work/w/release/download" -type f ! -name 'index.html*' -printf '%s\n' |
	    awk '{ s += $1 } END { print s + 0 }')
	[ "$w_bytes" = "$total" ] || say "   (wget exit $wget_rc: $w_bytes bytes of files, upstream $total)"
	rm -rf "$work/w"
}
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
most() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b > a) ? b : a }'; }
# RUNS rounds, interleaved (a, b, a, b, ...); the best time of each is
# reported, and the highest peak RSS.
best_sm=; best_wget=; best_rss=; best_cpu=
# PERF_DATA=FILE: the first (a) runs under `perf record -g` (its time counts
# in the table only if it is still the best)
perf=
[ -n "${PERF_DATA:-}" ] && perf="perf record -q -g -o $PERF_DATA --"
for r in $(seq 1 "$RUNS"); do
	say "== round $r of $RUNS: (a) storemirror sync into an empty root"
	run_storemirror
	say "   $sm_s s (CPU $cpu_s), peak RSS $rss_kb KiB"
	[ "$(best "$best_sm" "$sm_s")" = "$best_sm" ] || best_cpu=$cpu_s
	best_sm=$(best "$best_sm" "$sm_s")
	best_rss=$(most "$best_rss" "$rss_kb")
	say "== round $r of $RUNS: (b) wget -m -np, then sync"
	run_wget
	say "   $wget_s s"
	best_wget=$(best "$best_wget" "$wget_s")
done
sm_s=$best_sm; wget_s=$best_wget; rss_kb=$best_rss

say "== (c) storemirror no-change rerun"
mark=$(wc -l <"$alog")
t0=$(now)
timeout 300 "$SM" sync -q -r "$work/m" -u "$url" >"$work/sm2.out" 2>&1 ||
    { cat "$work/sm2.out" >&2; die "storemirror rerun failed"; }
t1=$(now)
re_s=$(secs "$t0" "$t1")
sleep 0.2
re_reqs=$(tail -n +$((mark + 1)) "$alog" | wc -l)
re_bytes=$(tail -n +$((mark + 1)) "$alog" | awk '{ s += $3 } END { print s + 0 }')
re_st=$(tail -n +$((mark + 1)) "$alog" | awk '{ print $2 }' | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')

# --- 4. the table ---------------------------------------------------------------
mbps() { awk -v b="$total" -v s="$1" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }
ratio=$(awk -v a="$sm_s" -v b="$wget_s" 'BEGIN { printf "%.2f", a / b }')
echo
echo "storemirror benchmark: $nfiles files, $total_mb MB from nginx on 127.0.0.1," \
    "best of $RUNS runs each (page cache dropped before each: $DROPPED)"
printf '%-40s %9s %8s  %s\n' "run" "wall (s)" "MB/s" "notes"
printf '%-40s %9s %8s  %s\n' "(a) storemirror sync, empty root, best" "$sm_s" "$(mbps "$sm_s")" \
    "sha256, fsync, atomic publish; CPU ${best_cpu}; peak RSS $((rss_kb / 1024)) MB (aim < 32)"
printf '%-40s %9s %8s  %s\n' "(b) wget -m -np + sync, best" "$wget_s" "$(mbps "$wget_s")" "no verification, no publish"
printf '%-40s %9s %8s  %s\n' "ratio (a) / (b)" "$ratio" "" "aim <= 1.00"
printf '%-40s %9s %8s  %s\n' "(c) storemirror no-change rerun" "$re_s" "" \
    "$re_reqs requests ($re_st), $re_bytes body bytes (aim < 1 s, 0 bytes)"
