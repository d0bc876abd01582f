#!/bin/bash
# bench/webdav.sh: the WebDAV benchmark (issue 9, point 9), storesrv's
# WebDAV listener against lighttpd's mod_webdav and Apache's mod_dav in the
# same run, on 127.0.0.1.
#
# Usage: bench/webdav.sh [STORESRV]   (default $STORESRV, else
#                                      ./storesrv/storesrv of the build dir)
#
#   1. PUT of a SIZE_MB file (default 4096, random bytes, in the page cache)
#      with curl -T to each server, RUNS times interleaved: seconds and MB/s
#      of the PUT alone and of the PUT followed by sync(1) (storesrv
#      fsyncs an upload before its rename, the peers do not); during each
#      PUT the server's VmRSS is sampled from /proc every 50 ms: the growth
#      over its RSS before the PUT, and VmHWM (aim for storesrv: < 16 MB).
#   2. PROPFIND Depth 1 of a folder of ENTRIES files (default 10,000),
#      asking for five live properties (what rclone and Finder ask): wrk
#      -t1 -cPF_CONNS for DURATION seconds, RUNS runs interleaved;
#      requests/s (aim: storesrv >= both).  The same on a folder of
#      FEW_ENTRIES (default 100): a listing as a client browsing sees it.
#   3. GET of a GET_MB file (default 256) on storesrv's WebDAV listener
#      against its public listener: wrk -t2 -cGET_CONNS, MB/s (aim: within
#      10%).
# Best of the runs (STAT=median for the median).  storesrv runs with
# --webdav-quiet 86400, so the watcher leaves the benchmark's files alone;
# its requests carry a Basic Authorization (checked once, then cached by
# the listener); the peers run without authentication.
#
# Needs lighttpd (with lighttpd-mod-webdav), apache2, wrk, curl, python3,
# timeout; exits 77 when one is missing.  Run as root (Apache's children
# then run as www-data) or as a user (Apache as that user).  Each peer runs
# from its own configuration in the temporary folder, never as a system
# service.  The temporary tree needs about 2 x SIZE_MB of free space.
# Knobs: SIZE_MB=4096 RUNS=2 ENTRIES=10000 FEW_ENTRIES=100 DURATION=5 PF_CONNS=2
#        GET_MB=256 GET_CONNS=16 STAT=best
set -u

SIZE_MB=${SIZE_MB:-4096}
RUNS=${RUNS:-2}
ENTRIES=${ENTRIES:-10000}
FEW_ENTRIES=${FEW_ENTRIES:-100}
DURATION=${DURATION:-5}
PF_CONNS=${PF_CONNS:-2}
GET_MB=${GET_MB:-256}
GET_CONNS=${GET_CONNS:-16}
STAT=${STAT:-best}
STORESRV=${1:-${STORESRV:-./storesrv/storesrv}}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
SERVERS="storesrv lighttpd apache"
AUTH="Basic $(printf 'bench:bench' | base64)"

WORK=
LOAD_AT_START=
declare -A PID PORT URL RESULT
BENCH_NAME=webdav.sh
# shellcheck source=bench/lib.sh
. "$SRCDIR/bench/lib.sh"

cleanup() {
	for s in $SERVERS; do
		[ -n "${PID[$s]:-}" ] && stop_pid "${PID[$s]}"
	done
	[ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# make_root NAME: the tree of one server: release/download/ (GET),
# release/incoming/many/ with ENTRIES files and release/incoming/few/ with
# FEW_ENTRIES (PROPFIND).
make_root() {
	local r="$WORK/$1/root" d n
	for d in many few; do
		n=$ENTRIES
		[ $d = few ] && n=$FEW_ENTRIES
		mkdir -p "$r/release/download" "$r/release/incoming/$d" || die "cannot create $r"
		(cd "$r/release/incoming/$d" &&
		    seq -f 'file-%05g.bin' 1 "$n" | xargs touch) || die "cannot fill $r"
	done
}

# wait_up NAME PATH: up to 10 s for a 2xx/207 answer.
wait_up() {
	local code
	for _ in $(seq 100); do
		kill -0 "${PID[$1]}" 2>/dev/null || die "$1 exited at start (see $WORK/$1)"
		code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' -H "Authorization: $AUTH" \
		    -X PROPFIND -H 'Depth: 0' "${URL[$1]}$2")
		case $code in 2*) return 0 ;; esac
		sleep 0.1
	done
	die "$1 does not answer on ${URL[$1]} (last status $code)"
}

start_storesrv() {
	local d="$WORK/storesrv"
	printf 'bench\nbench\n' | "$STORESRV" passwd add bench -f "$d/users" >/dev/null 2>&1 ||
	    die "storesrv passwd add failed"
	head -c $((GET_MB * 1048576)) /dev/urandom >"$d/root/release/download/big.bin"
	"$STORESRV" -f -r "$d/root" -w "$SRCDIR/www" -l 127.0.0.1:0 --port-file "$d/port" \
	    --webdav-listen 127.0.0.1:0 --webdav-port-file "$d/dav-port" --webdav-users "$d/users" \
	    --webdav-quiet 86400 --threads 2 --rescan=no --access-log off 2>>"$d/stderr" &
	PID[storesrv]=$!
	for _ in $(seq 100); do
		[ -s "$d/dav-port" ] && [ -s "$d/port" ] && break
		kill -0 "${PID[storesrv]}" 2>/dev/null || die "storesrv exited at start: $(cat "$d/stderr")"
		sleep 0.1
	done
	PORT[storesrv]=$(cat "$d/dav-port" 2>/dev/null)
	PORT[public]=$(cat "$d/port" 2>/dev/null)
	[ -n "${PORT[storesrv]}" ] && [ -n "${PORT[public]}" ] || die "storesrv wrote no port"
	URL[storesrv]="http://127.0.0.1:${PORT[storesrv]}"
	wait_up storesrv /release/incoming/
}

start_lighttpd() {
	local d="$WORK/lighttpd"
	PORT[lighttpd]=$(free_port)
	URL[lighttpd]="http://127.0.0.1:${PORT[lighttpd]}"
	mkdir -p "$d/tmp"
	cat >"$d/lighttpd.conf" <<EOF
server.document-root = "$d/root"
server.bind = "127.0.0.1"
server.port = ${PORT[lighttpd]}
server.modules = ("mod_webdav")
server.upload-dirs = ("$d/tmp")
server.errorlog = "$d/error.log"
server.max-request-size = 0
webdav.activate = "enable"
webdav.is-readonly = "disable"
webdav.sqlite-db-name = "$d/props.db"
EOF
	lighttpd -D -f "$d/lighttpd.conf" 2>>"$d/stderr" &
	PID[lighttpd]=$!
	wait_up lighttpd /release/incoming/
}

start_apache() {
	local d="$WORK/apache" user group mods=/usr/lib/apache2/modules
	PORT[apache]=$(free_port)
	URL[apache]="http://127.0.0.1:${PORT[apache]}"
	user=$(id -un) group=$(id -gn)
	# Apache refuses to serve as root: its children become www-data.
	if [ "$(id -u)" -eq 0 ]; then
		user=www-data group=www-data
		chmod 711 "$WORK" "$d"
		chown -R www-data:www-data "$d/root"
		mkdir -p "$d/lock" && chown www-data:www-data "$d/lock"
	fi
	mkdir -p "$d/lock"
	cat >"$d/httpd.conf" <<EOF
ServerRoot "$d"
ServerName 127.0.0.1
Listen 127.0.0.1:${PORT[apache]}
PidFile $d/httpd.pid
ErrorLog $d/error.log
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule dav_module $mods/mod_dav.so
LoadModule dav_fs_module $mods/mod_dav_fs.so
User $user
Group $group
KeepAliveTimeout 30
MaxKeepAliveRequests 0
LimitRequestBody 0
DocumentRoot "$d/root"
DAVLockDB $d/lock/DAVLock
<Directory "$d/root">
  Dav On
  Require all granted
</Directory>
EOF
	apache2 -f "$d/httpd.conf" -DFOREGROUND 2>>"$d/stderr" &
	PID[apache]=$!
	wait_up apache /release/incoming/
}

# rss_kib PID: VmRSS of the process and its children (Apache's, lighttpd
# has none), in KiB.
rss_kib() {
	local p t=0 v
	for p in $1 $(pgrep -P "$1"); do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
# cpu_ticks PID: user + system time of the process and its children so
# far (Apache's children are long-lived), in clock ticks.
cpu_ticks() {
	local p t=0 stat
	for p in $1 $(pgrep -P "$1"); do
		stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		stat=${stat##*) }	# the fields after the command name, from field 3 on
		t=$((t + $(echo "$stat" | awk '{ print $12 + $13 }')))
	done
	echo "$t"
}
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
max() { printf '%s\n' "$@" | sort -g | tail -1; }

# put_once NAME RUN: one timed PUT of the big file, with RSS sampling.
put_once() {
	local s=$1 dest="$WORK/$1/root/release/incoming/big-$2.bin" rss0 peak v code secs t0 t1 cpu0
	rss0=$(rss_kib "${PID[$s]}")
	cpu0=$(cpu_ticks "${PID[$s]}")
	curl -s -o "$WORK/put.out" -w '%{http_code} %{time_total}' -H "Authorization: $AUTH" \
	    --max-time 1800 -T "$WORK/big.put" "${URL[$s]}/release/incoming/big-$2.bin" \
	    >"$WORK/put.res" &
	local cpid=$!
	peak=$rss0
	while kill -0 "$cpid" 2>/dev/null; do
		v=$(rss_kib "${PID[$s]}")
		[ "$v" -gt "$peak" ] && peak=$v
		sleep 0.05
	done
	wait "$cpid"
	RESULT[$s,putticks]=$((${RESULT[$s,putticks]:-0} + $(cpu_ticks "${PID[$s]}") - cpu0))
	t0=$(date +%s.%N)
	sync
	t1=$(date +%s.%N)
	read -r code secs <"$WORK/put.res"
	case $code in 20[14]) ;; *) die "$s: PUT answered $code: $(head -c 300 "$WORK/put.out")" ;; esac
	[ "$(stat -c %s "$dest" 2>/dev/null)" = "$((SIZE_MB * 1048576))" ] ||
	    die "$s: the PUT file is not complete on disk ($dest)"
	cmp -s "$dest" "$WORK/big.put" || die "$s: the PUT file differs from what was sent"
	rm -f "$dest"
	sync
	RESULT[$s,put,all]="${RESULT[$s,put,all]:-} $(awk -v m="$SIZE_MB" -v t="$secs" \
	    'BEGIN { printf "%.1f", m * 1.048576 / t }')"
	RESULT[$s,putsync,all]="${RESULT[$s,putsync,all]:-} $(awk -v m="$SIZE_MB" -v t="$secs" \
	    -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", m * 1.048576 / (t + b - a) }')"
	RESULT[$s,rssgrow]=$(max "${RESULT[$s,rssgrow]:-0}" $((peak - rss0)))
	RESULT[$s,rsspeak]=$(max "${RESULT[$s,rsspeak]:-0}" "$peak")
	[ -n "${RESULT[$s,rss0]:-}" ] || RESULT[$s,rss0]=$rss0
	say "  run $2 $s: PUT ${secs}s, then sync $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')s, RSS $rss0 -> peak $peak KiB"
}

# write_wrk_script FILE METHOD [DEPTH BODY]: requests with the Basic
# header, printing exact totals at the end.
write_wrk_script() {
	cat >"$1" <<EOF
wrk.method = "$2"
wrk.headers["Authorization"] = "$AUTH"
EOF
	if [ -n "${3:-}" ]; then
		cat >>"$1" <<EOF
wrk.headers["Depth"] = "$3"
wrk.headers["Content-Type"] = "application/xml; charset=utf-8"
wrk.body = [[$4]]
EOF
	fi
	wrk_report_lua >>"$1"
}

# run_wrk URL SCRIPT THREADS CONNS SECONDS: prints "req/s MB/s".
run_wrk() {
	local out requests bytes usec errors status
	out=$(timeout $(($5 + 60)) wrk -t"$3" -c"$4" -d"$5"s --timeout 30s -s "$2" "$1") ||
	    die "wrk on $1 failed"
	read -r requests bytes usec errors status <<<"$(echo "$out" | sed -n 's/^BENCH //p')"
	[ -n "$usec" ] && [ "$usec" -gt 0 ] || die "wrk on $1 printed no totals"
	[ "$errors" -eq 0 ] && [ "$status" -eq 0 ] ||
	    say "webdav.sh: $1: $errors socket errors, $status non-2xx replies"
	awk -v n="$requests" -v b="$bytes" -v t="$usec" 'BEGIN { printf "%.1f %.1f", n * 1e6 / t, b / t }'
}

PROPFIND_BODY='<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/><D:getcontenttype/></D:prop></D:propfind>'

# check_propfind NAME FOLDER ENTRIES: one Depth 1 answer lists every entry.
check_propfind() {
	local n
	n=$(curl -s -m 120 -X PROPFIND -H 'Depth: 1' -H "Authorization: $AUTH" \
	    -H 'Content-Type: application/xml' --data-binary "$PROPFIND_BODY" \
	    "${URL[$1]}/release/incoming/$2/" | grep -oE '<([A-Za-z0-9]+:)?response[ >]' | wc -l)
	[ "$n" -eq $(($3 + 1)) ] || die "$1: PROPFIND Depth 1 of $2/ gave $n responses, not $(($3 + 1))"
}

bench_put() {
	say "PUT of ${SIZE_MB} MiB, $RUNS runs"
	head -c $((SIZE_MB * 1048576)) /dev/urandom >"$WORK/big.put" || die "cannot write the PUT file"
	cat "$WORK/big.put" >/dev/null
	for s in $SERVERS; do
		RESULT[$s,hwm0]=$(hwm_kib "${PID[$s]}")
	done
	for r in $(seq "$RUNS"); do
		for s in $SERVERS; do
			put_once "$s" "$r"
		done
	done
	for s in $SERVERS; do
		# shellcheck disable=SC2086
		RESULT[$s,put]=$(pick ${RESULT[$s,put,all]})
		# shellcheck disable=SC2086
		RESULT[$s,putsync]=$(pick ${RESULT[$s,putsync,all]})
		RESULT[$s,hwm]=$(hwm_kib "${PID[$s]}")
	done
	rm -f "$WORK/big.put"
}

# bench_propfind KEY FOLDER ENTRIES: PROPFIND Depth 1 of incoming/FOLDER/.
bench_propfind() {
	local s r res all
	declare -A all
	say "PROPFIND Depth 1 of $3 entries: wrk -t1 -c$PF_CONNS -d${DURATION}s x $RUNS"
	write_wrk_script "$WORK/propfind.lua" PROPFIND 1 "$PROPFIND_BODY"
	for s in $SERVERS; do
		check_propfind "$s" "$2" "$3"
		run_wrk "${URL[$s]}/release/incoming/$2/" "$WORK/propfind.lua" 1 "$PF_CONNS" 1 >/dev/null
	done
	for r in $(seq "$RUNS"); do
		for s in $SERVERS; do
			res=$(run_wrk "${URL[$s]}/release/incoming/$2/" "$WORK/propfind.lua" 1 \
			    "$PF_CONNS" "$DURATION")
			say "  run $r $s: ${res% *} req/s, ${res#* } MB/s"
			all[$s]="${all[$s]:-} ${res% *}"
		done
	done
	for s in $SERVERS; do
		# shellcheck disable=SC2086
		RESULT[$s,$1]=$(pick ${all[$s]})
	done
}

bench_get() {
	local r res dav pub public_url="http://127.0.0.1:${PORT[public]}/release/download/big.bin"
	local dav_url="${URL[storesrv]}/release/download/big.bin"
	say "GET of ${GET_MB} MiB: wrk -t2 -c$GET_CONNS -d${DURATION}s x $RUNS"
	write_wrk_script "$WORK/get.lua" GET
	for u in "$public_url" "$dav_url"; do
		curl -s -m 60 -H "Authorization: $AUTH" -o "$WORK/got.bin" "$u" &&
		    cmp -s "$WORK/got.bin" "$WORK/storesrv/root/release/download/big.bin" ||
		    die "$u does not return big.bin intact"
		run_wrk "$u" "$WORK/get.lua" 2 "$GET_CONNS" 1 >/dev/null
	done
	rm -f "$WORK/got.bin"
	for r in $(seq "$RUNS"); do
		res=$(run_wrk "$public_url" "$WORK/get.lua" 2 "$GET_CONNS" "$DURATION")
		pub="${pub:-} ${res#* }"
		say "  run $r public: ${res#* } MB/s"
		res=$(run_wrk "$dav_url" "$WORK/get.lua" 2 "$GET_CONNS" "$DURATION")
		dav="${dav:-} ${res#* }"
		say "  run $r webdav: ${res#* } MB/s"
	done
	# shellcheck disable=SC2086
	RESULT[get,public]=$(pick $pub)
	# shellcheck disable=SC2086
	RESULT[get,webdav]=$(pick $dav)
}

# peer_best KEY: the better of the two peers' figures.
peer_best() { max "${RESULT[lighttpd,$1]}" "${RESULT[apache,$1]}"; }

# put_cpu NAME: CPU seconds per GB PUT, over all the runs.
put_cpu() {
	awk -v t="${RESULT[$1,putticks]}" -v hz="$(getconf CLK_TCK)" -v mb="$SIZE_MB" -v n="$RUNS" \
	    'BEGIN { printf "%.2f", t / hz / (n * mb * 1.048576 / 1000) }'
}

print_report() {
	local s verdict=met
	echo
	echo "== WebDAV benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), nproc $(nproc), kernel $(uname -r) =="
	echo "storesrv $("$STORESRV" --version | awk '{ print $2 }'), $(lighttpd -v 2>&1 | head -1 | awk '{ print $1 }'), $(apache2 -v 2>/dev/null | sed -n 's/^Server version: //p'); $STAT of $RUNS runs; load average at start: $LOAD_AT_START"
	printf '\nPUT of %s MiB\n%-9s %9s %7s %14s %7s %9s %11s %11s %17s\n' "$SIZE_MB" server \
	    "MB/s" vs-best "PUT+sync MB/s" vs-best "CPU s/GB" "RSS before" "RSS peak" "HWM before/after"
	for s in $SERVERS; do
		printf '%-9s %9s %7s %14s %7s %9s %7s MiB %7s MiB %17s\n' "$s" \
		    "${RESULT[$s,put]}" "$(ratio "${RESULT[$s,put]}" "$(peer_best put)")" \
		    "${RESULT[$s,putsync]}" "$(ratio "${RESULT[$s,putsync]}" "$(peer_best putsync)")" \
		    "$(put_cpu "$s")" "$(mib "${RESULT[$s,rss0]}")" "$(mib "${RESULT[$s,rsspeak]}")" \
		    "$(mib "${RESULT[$s,hwm0]}")/$(mib "${RESULT[$s,hwm]}") MiB"
	done
	echo "(vs-best: against the better of lighttpd and apache.  CPU s/GB: the server's CPU time (user + system, all threads and children) per 10^9 bytes PUT.  RSS: VmRSS before the first PUT and its peak sampled every 50 ms during the PUTs, Apache's master and children summed; HWM: VmHWM before and after the PUTs, Apache's master only.  storesrv's HWM before includes the 32 MiB of the first scrypt check of a password)"
	printf 'storesrv RSS growth during the PUTs: %s MiB\n' "$(mib "${RESULT[storesrv,rssgrow]}")"
	printf '\nPROPFIND Depth 1, requests/s\n%-9s %16s %7s %16s %7s\n' server \
	    "$ENTRIES entries" vs-best "$FEW_ENTRIES entries" vs-best
	for s in $SERVERS; do
		printf '%-9s %16s %7s %16s %7s\n' "$s" \
		    "${RESULT[$s,propfind]}" "$(ratio "${RESULT[$s,propfind]}" "$(peer_best propfind)")" \
		    "${RESULT[$s,propfind_few]}" \
		    "$(ratio "${RESULT[$s,propfind_few]}" "$(peer_best propfind_few)")"
	done
	printf '\nGET of %s MiB on storesrv: public listener %s MB/s, WebDAV listener %s MB/s, ratio %s\n' \
	    "$GET_MB" "${RESULT[get,public]}" "${RESULT[get,webdav]}" \
	    "$(ratio "${RESULT[get,webdav]}" "${RESULT[get,public]}")"
	at_least "${RESULT[storesrv,put]}" "$(peer_best put)" || verdict="not met"
	at_least "${RESULT[storesrv,propfind]}" "$(peer_best propfind)" || verdict="not met"
	# 16 MB = 16 * 10^6 bytes = 15625 KiB
	[ "${RESULT[storesrv,rssgrow]}" -lt 15625 ] || verdict="not met"
	at_least "$(ratio "${RESULT[get,webdav]}" "${RESULT[get,public]}")" 0.90 || verdict="not met"
	echo "aim (PUT and PROPFIND of $ENTRIES entries >= both peers, RSS growth < 16 MB, WebDAV GET >= 0.90 x public): $verdict"
}

main() {
	local need
	require lighttpd apache2 wrk curl python3 timeout pgrep
	[ -e /usr/lib/lighttpd/mod_webdav.so ] || { say "webdav.sh: lighttpd-mod-webdav not installed; skipped"; exit 77; }
	[ -x "$STORESRV" ] || die "$STORESRV: not an executable (give the path or set STORESRV)"
	STORESRV=$(cd "$(dirname "$STORESRV")" && pwd)/$(basename "$STORESRV")
	LOAD_AT_START=$(cut -d ' ' -f 1-3 /proc/loadavg)
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/storesrv-webdav-bench.XXXXXX") || die "mktemp failed"
	need=$(((SIZE_MB * 2 + GET_MB + 256) * 1024))
	[ "$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')" -gt "$need" ] ||
	    die "$WORK: less than $((need / 1024)) MiB free"
	for s in $SERVERS; do
		make_root "$s"
	done
	start_storesrv
	start_lighttpd
	start_apache
	bench_put
	bench_propfind propfind many "$ENTRIES"
	bench_propfind propfind_few few "$FEW_ENTRIES"
	bench_get
	print_report
}

main
