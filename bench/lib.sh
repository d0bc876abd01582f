# shellcheck shell=bash
# bench/lib.sh: helpers shared by the benchmarks (sourced by bash).
#
# Set BENCH_NAME (the script's name, for messages) and STAT (best or
# median) before sourcing.  Nothing here starts a server or writes outside
# the files it is given.

say() { printf '%s\n' "$*" >&2; }
die() { say "$BENCH_NAME: $*"; exit 1; }

# require TOOL...: exit 77 (skipped) when one is not installed.
require() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || { say "$BENCH_NAME: $tool not found; skipped"; exit 77; }
	done
}

# free_port: a TCP port of 127.0.0.1 free at this moment.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s; reaps it.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# pick VALUES...: the best (highest) value, or with STAT=median the middle
# one (the lower middle for an even count).
pick() {
	printf '%s\n' "$@" | sort -g | awk -v stat="${STAT:-best}" '{ v[NR] = $1 }
	    END { print (stat == "median") ? v[int((NR + 1) / 2)] : v[NR] }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# at_least A B: A >= B (decimals).
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# wrk_report_lua: a wrk done() that prints exact totals (wrk's own summary
# rounds): "BENCH requests bytes microseconds socket-errors non-2xx".
wrk_report_lua() {
	cat <<'EOF'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("BENCH %d %d %d %d %d\n", summary.requests, summary.bytes,
	    summary.duration, e.connect + e.read + e.write + e.timeout, e.status))
end
EOF
}
