#!/bin/bash
# bench/read.sh: read-path benchmark, storesrv against nginx in the same run.
#
# Usage: bench/read.sh [STORESRV]   (default $STORESRV, else ./storesrv/storesrv
#                                    relative to the build directory)
#
# Builds a temporary store with release/download/small.bin (1 KiB) and
# release/download/big.bin (64 MiB), then serves it from three servers at the
# same URL paths on 127.0.0.1: nginx (2 workers, sendfile, private prefix),
# storesrv --threads 2 and storesrv --threads 1.  It measures:
#   1. memory: VmRSS/VmHWM with IDLE keep-alive connections open, each after
#      one GET of small.bin (bench/idle_connections.py), on fresh servers;
#   2. throughput: wrk -t2 -cCONNS -dDURATION per server and file, RUNS runs,
#      interleaved between servers; the best run is reported (STAT=median
#      for the median), since other load on the machine only lowers figures.
# Everything stops within a bounded time; servers are stopped and the
# temporary tree removed on exit.  Exit 77 when nginx, wrk, curl or python3
# is missing.
# Knobs (environment): RUNS=3 DURATION=5 CONNS=50 IDLE=1000 STAT=best;
# STORESRV_ALT=BINARY adds a second storesrv build (alt-t2, alt-t1) to the
# same run, to weigh a change against the current code.
set -u

RUNS=${RUNS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-50}
IDLE=${IDLE:-1000}
STORESRV=${1:-${STORESRV:-./storesrv/storesrv}}
STORESRV_ALT=${STORESRV_ALT:-}
STAT=${STAT:-best}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
WWW_DIR="$SRCDIR/www"
IDLE_TOOL="$SRCDIR/bench/idle_connections.py"
URL_SMALL=/release/download/small.bin
SIZE_SMALL=1024
SIZE_BIG=$((64 * 1024 * 1024))
SERVERS="nginx storesrv-t2 storesrv-t1"

WORK=
WRK_RPS=
WRK_MBS=
WRK_REQUESTS=
WRK_BYTES=
CLK_TCK=$(getconf CLK_TCK)
LOAD_AT_START=
declare -A PID PORT RESULT

BENCH_NAME=read.sh
# shellcheck source=bench/lib.sh
. "$SRCDIR/bench/lib.sh"

cleanup() {
	for s in $SERVERS; do
		[ -n "${PID[$s]:-}" ] && kill -TERM "${PID[$s]}" 2>/dev/null
	done
	for s in $SERVERS; do
		[ -n "${PID[$s]:-}" ] || continue
		for _ in $(seq 50); do
			kill -0 "${PID[$s]}" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "${PID[$s]}" 2>/dev/null
		wait "${PID[$s]}" 2>/dev/null
	done
	[ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_tree() {
	mkdir -p "$WORK/root/release/download" "$WORK/nginx" || die "cannot create $WORK"
	head -c "$SIZE_SMALL" /dev/urandom >"$WORK/root/release/download/small.bin"
	head -c "$SIZE_BIG" /dev/urandom >"$WORK/root/release/download/big.bin"
	chmod -R a+rX "$WORK"	# nginx workers run as nobody when started as root
}

write_nginx_conf() {
	cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 2;
worker_rlimit_nofile 8192;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
	sendfile on;
	tcp_nopush on;
	access_log off;
	keepalive_requests 100000;
	default_type application/octet-stream;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	server {
		listen 127.0.0.1:${PORT[nginx]};
		root $WORK/root;
	}
}
EOF
}

# wait_http NAME: waits up to 10 s for NAME to answer small.bin with 200.
wait_http() {
	for _ in $(seq 100); do
		kill -0 "${PID[$1]}" 2>/dev/null || die "$1 exited at start (see $WORK)"
		[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:${PORT[$1]}$URL_SMALL")" = 200 ] && return 0
		sleep 0.1
	done
	die "$1 does not answer on port ${PORT[$1]}"
}

start_nginx() {
	PORT[nginx]=$(free_port)
	write_nginx_conf
	nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" \
	    -g 'daemon off;' 2>>"$WORK/nginx/stderr" &
	PID[nginx]=$!
	wait_http nginx
}

# start_storesrv NAME THREADS BINARY
start_storesrv() {
	"$3" -f -r "$WORK/root" -w "$WWW_DIR" -l 127.0.0.1:0 --port-file "$WORK/$1.port" \
	    --threads "$2" --rescan=no --access-log off 2>>"$WORK/$1.err" &
	PID[$1]=$!
	for _ in $(seq 100); do
		[ -s "$WORK/$1.port" ] && break
		kill -0 "${PID[$1]}" 2>/dev/null || die "$1 exited at start: $(cat "$WORK/$1.err")"
		sleep 0.1
	done
	PORT[$1]=$(cat "$WORK/$1.port" 2>/dev/null)
	[ -n "${PORT[$1]}" ] || die "$1 wrote no port"
	wait_http "$1"
}

# check_same NAME: the server returns the exact bytes of both files.
check_same() {
	for f in small big; do
		if ! curl -s -m 20 -o "$WORK/got.bin" "http://127.0.0.1:${PORT[$1]}/release/download/$f.bin" ||
		    ! cmp -s "$WORK/got.bin" "$WORK/root/release/download/$f.bin"; then
			die "$1 does not return $f.bin intact"
		fi
	done
	rm -f "$WORK/got.bin"
}

# memory_pids NAME: the processes whose memory counts (nginx: its workers).
memory_pids() {
	if [ "$1" = nginx ]; then
		pgrep -P "${PID[nginx]}" | tr '\n' ' '
	else
		echo "${PID[$1]}"
	fi
}

# cpu_ticks NAME: user + system time used so far by the server (all
# threads; nginx: master and workers), in clock ticks.
cpu_ticks() {
	local pid t=0 stat
	for pid in ${PID[$1]} $([ "$1" = nginx ] && memory_pids nginx); do
		stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		stat=${stat##*) }	# fields after the command name, from field 3 on
		t=$((t + $(echo "$stat" | awk '{ print $12 + $13 }')))
	done
	echo "$t"
}

# measure_idle NAME: sets RESULT[NAME,rss] and RESULT[NAME,hwm] (KiB).
measure_idle() {
	local out
	# shellcheck disable=SC2046
	out=$(timeout 120 python3 "$IDLE_TOOL" --port "${PORT[$1]}" --path "$URL_SMALL" \
	    --count "$IDLE" $(memory_pids "$1")) || die "$1: idle connections failed"
	RESULT[$1,rss0]=$(echo "$out" | sed -n 's/^before rss_kib=\([0-9]*\).*/\1/p')
	RESULT[$1,rss]=$(echo "$out" | sed -n 's/^idle rss_kib=\([0-9]*\).*/\1/p')
	RESULT[$1,hwm]=$(echo "$out" | sed -n 's/^idle .*hwm_kib=\([0-9]*\).*/\1/p')
}

# run_wrk NAME FILE DURATION: sets WRK_RPS (req/s) and WRK_MBS (10^6 bytes
# read per second, response heads included, partly received bodies too); a
# run with socket errors or non-2xx replies is reported on stderr.
run_wrk() {
	local out requests bytes usec errors status
	out=$(timeout $(($3 + 30)) wrk -t2 -c"$CONNS" -d"$3"s --timeout 10s -s "$WORK/report.lua" \
	    "http://127.0.0.1:${PORT[$1]}/release/download/$2.bin") || die "wrk against $1 failed"
	read -r requests bytes usec errors status <<<"$(echo "$out" | sed -n 's/^BENCH //p')"
	if [ -z "$usec" ] || [ "$usec" -le 0 ]; then
		die "wrk against $1 printed no totals"
	fi
	if [ "$errors" -ne 0 ] || [ "$status" -ne 0 ]; then
		say "read.sh: $1 $2.bin: $errors socket errors, $status non-2xx replies"
	fi
	WRK_REQUESTS=$requests
	WRK_BYTES=$bytes
	WRK_RPS=$(awk -v n="$requests" -v t="$usec" 'BEGIN { printf "%.0f", n * 1e6 / t }')
	WRK_MBS=$(awk -v n="$bytes" -v t="$usec" 'BEGIN { printf "%.1f", n / t }')
}

bench_file() {
	local f=$1 r s t0 t1
	declare -A all_rps all_mbs
	for s in $SERVERS; do
		run_wrk "$s" "$f" 1	# warm-up: page cache, file caches
	done
	for r in $(seq "$RUNS"); do
		for s in $SERVERS; do
			t0=$(cpu_ticks "$s")
			run_wrk "$s" "$f" "$DURATION"
			t1=$(cpu_ticks "$s")
			RESULT[$s,$f,ticks]=$((${RESULT[$s,$f,ticks]:-0} + t1 - t0))
			RESULT[$s,$f,requests]=$((${RESULT[$s,$f,requests]:-0} + WRK_REQUESTS))
			RESULT[$s,$f,bytes]=$((${RESULT[$s,$f,bytes]:-0} + WRK_BYTES))
			say "  run $r $s $f.bin: $WRK_RPS req/s, $WRK_MBS MB/s"
			all_rps[$s]="${all_rps[$s]:-} $WRK_RPS"
			all_mbs[$s]="${all_mbs[$s]:-} $WRK_MBS"
		done
	done
	for s in $SERVERS; do
		# shellcheck disable=SC2086
		RESULT[$s,$f,rps]=$(pick ${all_rps[$s]})
		# shellcheck disable=SC2086
		RESULT[$s,$f,mbs]=$(pick ${all_mbs[$s]})
	done
}

# cpu_cost NAME FILE: server CPU per request (µs) and per GB read (s),
# over all the measured runs.
cpu_cost() {
	awk -v t="${RESULT[$1,$2,ticks]}" -v hz="$CLK_TCK" -v n="${RESULT[$1,$2,requests]}" \
	    -v b="${RESULT[$1,$2,bytes]}" 'BEGIN {
		printf "%.1f %.2f", (n > 0) ? t / hz * 1e6 / n : 0, (b > 0) ? t / hz * 1e9 / b : 0 }'
}

print_table() {
	local s f key us_req s_gb
	printf '\n%-12s %-10s %10s %9s %9s %12s %10s\n' server file req/s MB/s vs-nginx \
	    "cpu-us/req" "cpu-s/GB"
	for f in small big; do
		# the figure that matters: requests for the small file, bytes for the big one
		key=rps; [ "$f" = big ] && key=mbs
		for s in $SERVERS; do
			read -r us_req s_gb <<<"$(cpu_cost "$s" "$f")"
			[ "$f" = big ] && us_req=-	# a few requests, cut off at the end
			printf '%-12s %-10s %10.0f %9.1f %9s %12s %10s\n' "$s" "$f.bin" \
			    "${RESULT[$s,$f,rps]}" "${RESULT[$s,$f,mbs]}" \
			    "$(ratio "${RESULT[$s,$f,$key]}" "${RESULT[nginx,$f,$key]}")" \
			    "$us_req" "$s_gb"
		done
	done
	printf '\n%-12s %14s %18s %14s\n' server "RSS before" "RSS $IDLE idle" "HWM"
	for s in $SERVERS; do
		printf '%-12s %10s MiB %14s MiB %10s MiB\n' "$s" "$(mib "${RESULT[$s,rss0]}")" \
		    "$(mib "${RESULT[$s,rss]}")" "$(mib "${RESULT[$s,hwm]}")"
	done
}

print_summary() {
	local s verdict=met small_cost big_cost ng_small ng_big
	read -r ng_small _ <<<"$(cpu_cost nginx small)"
	read -r _ ng_big <<<"$(cpu_cost nginx big)"
	echo
	echo "== read-path benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), nproc $(nproc), kernel $(uname -r) =="
	echo "wrk -t2 -c$CONNS -d${DURATION}s, $STAT of $RUNS runs; wrk and the servers share the $(nproc) cores (load average at start: $LOAD_AT_START)"
	echo "nginx $(nginx -v 2>&1 | sed 's|.*/||'), 2 workers, sendfile; storesrv $("$STORESRV" --version | awk '{ print $2 }')"
	for s in ${SERVERS#nginx }; do
		read -r small_cost _ <<<"$(cpu_cost "$s" small)"
		read -r _ big_cost <<<"$(cpu_cost "$s" big)"
		printf '%s: small.bin %.0f req/s (nginx %.0f, x%s), %s us CPU/req (nginx %s); big.bin %.0f MB/s (nginx %.0f, x%s), %s s CPU/GB (nginx %s); RSS at %s idle connections %s MiB (nginx workers %s MiB)\n' \
		    "$s" "${RESULT[$s,small,rps]}" "${RESULT[nginx,small,rps]}" \
		    "$(ratio "${RESULT[$s,small,rps]}" "${RESULT[nginx,small,rps]}")" \
		    "$small_cost" "$ng_small" \
		    "${RESULT[$s,big,mbs]}" "${RESULT[nginx,big,mbs]}" \
		    "$(ratio "${RESULT[$s,big,mbs]}" "${RESULT[nginx,big,mbs]}")" \
		    "$big_cost" "$ng_big" \
		    "$IDLE" "$(mib "${RESULT[$s,rss]}")" "$(mib "${RESULT[nginx,rss]}")"
	done
	s=storesrv-t2
	at_least "${RESULT[$s,small,rps]}" "${RESULT[nginx,small,rps]}" || verdict="not met"
	at_least "${RESULT[$s,big,mbs]}" "${RESULT[nginx,big,mbs]}" || verdict="not met"
	# 20 MB = 20 * 10^6 bytes = 19531 KiB
	[ "${RESULT[$s,rss]}" -lt 19531 ] || verdict="not met"
	echo "aim (storesrv-t2 >= nginx on both files, RSS < 20 MB at $IDLE connections): $verdict"
}

main() {
	require nginx wrk python3 curl pgrep timeout
	[ -x "$STORESRV" ] || die "$STORESRV: not an executable (give the path or set STORESRV)"
	STORESRV=$(cd "$(dirname "$STORESRV")" && pwd)/$(basename "$STORESRV")
	if [ -n "$STORESRV_ALT" ]; then
		[ -x "$STORESRV_ALT" ] || die "$STORESRV_ALT: not an executable"
		SERVERS="$SERVERS alt-t2 alt-t1"
	fi
	LOAD_AT_START=$(cut -d ' ' -f 1-3 /proc/loadavg)
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/storesrv-bench.XXXXXX") || die "mktemp failed"
	make_tree
	wrk_report_lua >"$WORK/report.lua"
	start_nginx
	start_storesrv storesrv-t2 2 "$STORESRV"
	start_storesrv storesrv-t1 1 "$STORESRV"
	if [ -n "$STORESRV_ALT" ]; then
		start_storesrv alt-t2 2 "$STORESRV_ALT"
		start_storesrv alt-t1 1 "$STORESRV_ALT"
	fi
	say "memory with $IDLE idle keep-alive connections (fresh servers)"
	for s in $SERVERS; do
		measure_idle "$s"
	done
	for s in $SERVERS; do
		check_same "$s"
	done
	say "small.bin: wrk -t2 -c$CONNS -d${DURATION}s x $RUNS"
	bench_file small
	say "big.bin: wrk -t2 -c$CONNS -d${DURATION}s x $RUNS"
	bench_file big
	print_table
	print_summary
}

main
