#!/bin/bash
# Running storesrv: flags, the config file, -n, clear errors, port 0,
# signals, timeouts and the connection limit.
. "$(dirname "$0")/lib.sh"

ROOT="$WORK/root"
mkdir -p "$ROOT/release/download"
echo '{"apps":[]}' >"$ROOT/release/download/apps.json"

out=$("$STORESRV" --help 2>&1); rc=$?
is "--help exits 0" "$rc" 0
like "--help lists --root" "$out" '-r, --root DIR'
like "--help lists --listen" "$out" '-l, --listen ADDR:PORT'
like "--version" "$("$STORESRV" --version)" '^storesrv [0-9]'

out=$("$STORESRV" -n -r "$ROOT" -w "$WWW_DIR" 2>&1); rc=$?
is "-n with a good root: exit 0" "$rc" 0
like "-n says OK" "$out" 'configuration OK'
good_out=$out

# Built but not installed: the page built in is served without -w.
like "--help names the page built in as the default" "$("$STORESRV" --help)" \
    "-w, --www DIR .*default: the page built into storesrv"
out=$("$STORESRV" -n -r "$ROOT" 2>&1); rc=$?
is "-n without -w from the build tree: exit 0" "$rc" 0
like "-n without -w from the build tree: OK" "$out" 'configuration OK'
NO_WWW=1 start_storesrv "$ROOT" --rescan no
is "without -w: serves the download.htm built in" "$(status_of "$BASE/release/download.htm")" 200
check "without -w: SIGTERM, exit 0" stop_storesrv

# -n reports every problem, not only the first.
out=$("$STORESRV" -n -r "$WORK/missing" -w "$WORK/nowww" -l nonsense 2>&1); rc=$?
is "-n with three problems: non-zero, three lines" "$rc $(printf '%s\n' "$out" | grep -c '')" "1 3"
like "-n with three problems: www named" "$out" "www: $WORK/nowww: No such file or directory"
like "-n with three problems: listen named" "$out" "listen: 'nonsense' is not ADDR:PORT"
out=$("$STORESRV" -n -w "$WORK/nowww" 2>&1)
like "-n without root still checks www" "$out" "www: $WORK/nowww: No such file"
mkdir -p "$WORK/empty/release" "$WORK/empty/.staging/download" "$WORK/empty/bad name/download"
out=$("$STORESRV" -n -r "$WORK/empty" -w "$WWW_DIR" 2>&1); rc=$?
# (no warning for the good root; exit 0: imports may come later)
case "$rc $good_out" in
"0 "*warning*) not_ok "-n warns of a root without channels, naming it"; diag "$good_out" ;;
"0 "*) like "-n warns of a root without channels, naming it" "$out" \
    "warning: .*no channel found in $WORK/empty" ;;
*) not_ok "-n warns of a root without channels, naming it (exit $rc)" ;;
esac

out=$("$STORESRV" -n -r "$WORK/missing" -w "$WWW_DIR" 2>&1); rc=$?
[ "$rc" -ne 0 ] && ok "-n with a missing root: non-zero" || not_ok "-n with a missing root: non-zero"
like "missing root is named" "$out" "root: $WORK/missing: No such file or directory"

out=$("$STORESRV" -n -r "$ROOT/release/download/apps.json" -w "$WWW_DIR" 2>&1); rc=$?
like "root that is a file: not a directory" "$out" 'not a directory'

out=$("$STORESRV" -n -w "$WWW_DIR" 2>&1); rc=$?
[ "$rc" -ne 0 ] && ok "no root: non-zero" || not_ok "no root: non-zero"
like "no root: says how to set it" "$out" 'root: not set'

cat >"$WORK/good.conf" <<CONF
# a comment
root = $ROOT

www = $WWW_DIR
listen = 127.0.0.1:0
threads = 1
rescan = no
CONF
out=$("$STORESRV" -n -c "$WORK/good.conf" 2>&1); rc=$?
is "config file: -n exit 0" "$rc" 0
like "config file: values read" "$out" "root $ROOT, listen 127.0.0.1:0"
out=$("$STORESRV" -n -c "$WORK/good.conf" -l 127.0.0.1:9 2>&1)
like "flags override the config file" "$out" 'listen 127.0.0.1:9\)'

printf 'root = %s\nthreads = many\n' "$ROOT" >"$WORK/bad1.conf"
out=$("$STORESRV" -n -c "$WORK/bad1.conf" 2>&1); rc=$?
is "bad number: exit 2" "$rc" 2
like "bad number: file, line and field named" "$out" "bad1.conf:2: threads: expected a whole number from 0 to 64, not 'many'"
printf 'root = %s\n\ncolour = blue\n' "$ROOT" >"$WORK/bad2.conf"
out=$("$STORESRV" -n -c "$WORK/bad2.conf" 2>&1)
like "unknown key: file and line named" "$out" "bad2.conf:3: unknown setting 'colour'"
printf 'root %s\n' "$ROOT" >"$WORK/bad3.conf"
out=$("$STORESRV" -n -c "$WORK/bad3.conf" 2>&1)
like "line without '=': named" "$out" "bad3.conf:1: expected 'key = value'"
printf 'rescan = maybe\n' >"$WORK/bad4.conf"
out=$("$STORESRV" -n -c "$WORK/bad4.conf" 2>&1)
like "bad boolean: named" "$out" "bad4.conf:1: rescan: expected yes or no, not 'maybe'"
out=$("$STORESRV" -n -c "$WORK/nonexistent.conf" 2>&1); rc=$?
like "missing config file: named" "$out" 'nonexistent.conf: No such file or directory'
out=$("$STORESRV" -n -r "$ROOT" -w "$WWW_DIR" -l nonsense 2>&1); rc=$?
like "bad listen address: named" "$out" "listen: 'nonsense' is not ADDR:PORT"
out=$("$STORESRV" --bogus 2>&1); rc=$?
is "unknown flag: exit 2" "$rc" 2
like "unknown flag: named" "$out" "'--bogus'"
is "sample config parses (apart from its root)" \
    "$("$STORESRV" -n -c "$top_srcdir/storesrv/storesrv.conf.sample" -r "$ROOT" -w "$WWW_DIR" --access-log off 2>&1 | grep -c 'configuration OK')" 1

# port 0, port file, pid file
check "starts with port 0" start_storesrv "$ROOT" --threads 2 --pid-file "$WORK/pid" --rescan no
[ "$PORT" -gt 0 ] 2>/dev/null && ok "port file holds the bound port ($PORT)" || not_ok "port file holds the bound port"
# the pid file is written a moment after the port file
i=0
while [ ! -s "$WORK/pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
is "pid file holds the pid" "$(cat "$WORK/pid")" "$SRV_PID"
grep -q "port $PORT" "$WORK/storesrv.err" && ok "the bound port is logged" || not_ok "the bound port is logged"
is "serves" "$(status_of "$BASE/release/download/apps.json")" 200
timeout 10 "$STORESRV" -f -r "$ROOT" -w "$WWW_DIR" -l "127.0.0.1:$PORT" --threads 1 --rescan no \
    >/dev/null 2>"$WORK/busy.err"
busy_status=$?
[ "$busy_status" -ne 0 ] && [ "$busy_status" -ne 124 ] && ok "a second server on the same port exits with an error ($busy_status)" ||
    not_ok "a second server on the same port exits with an error ($busy_status)"
like "and says why" "$(cat "$WORK/busy.err")" "127.0.0.1:$PORT: address already in use"
is "a second server on the same port is still served by the first" "$(status_of "$BASE/release/download/apps.json")" 200
check "SIGTERM: exit 0" stop_storesrv
test ! -e "$WORK/pid" && ok "pid file removed at exit" || not_ok "pid file removed at exit"

# IPv6 loopback
if [ -e /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; then
	rm -f "$WORK/port6"
	"$STORESRV" -f -r "$ROOT" -w "$WWW_DIR" -l '[::1]:0' --port-file "$WORK/port6" --rescan no 2>/dev/null &
	pid6=$!
	for _i in $(seq 1 50); do [ -s "$WORK/port6" ] && break; sleep 0.1; done
	is "listens on [::1]" "$(curl -sg -o /dev/null -w '%{http_code}' "http://[::1]:$(cat "$WORK/port6")/release/download/apps.json")" 200
	kill -TERM $pid6; wait $pid6
	is "IPv6 server: clean exit" "$?" 0
else
	ok "# SKIP no IPv6 loopback"
fi

# idle timeout
check "starts with --timeout 1" start_storesrv "$ROOT" --timeout 1 --threads 1 --rescan no
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
start=$(date +%s)
timeout 10 cat <&5 >/dev/null
elapsed=$(( $(date +%s) - start ))
exec 5<&- 5>&-
[ "$elapsed" -le 5 ] && ok "an idle connection is closed by the timeout (${elapsed}s)" || not_ok "an idle connection is closed by the timeout (${elapsed}s)"
check "SIGTERM: exit 0" stop_storesrv

# connection limit: descriptors stay bounded, the server survives and recovers
check "starts with --max-connections 16" start_storesrv "$ROOT" --max-connections 16 --threads 1 --cache-entries 1 --rescan no
limit=$(awk '/Max open files/ {print $4}' "/proc/$SRV_PID/limits")
diag "descriptor limit $limit"
# two per connection (its socket and the file it sends), the cache's, a few more
[ "$limit" -ge 41 ] && [ "$limit" -le 128 ] && ok "descriptor limit follows max-connections" ||
    not_ok "descriptor limit follows max-connections ($limit)"
python3 - "$PORT" <<'PY' &
import socket, sys, time
socks = []
for i in range(200):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        socks.append(s)
    except OSError:
        pass
time.sleep(3)
for s in socks:
    s.close()
PY
holder=$!
sleep 1.5
if kill -0 "$SRV_PID" 2>/dev/null; then
	ok "server alive under 200 connections"
	fds=$(ls -l "/proc/$SRV_PID/fd" | grep -c 'socket:')
	# 16 connections and the listening socket; the oldest idle ones were closed
	[ "$fds" -ge 2 ] && [ "$fds" -le 18 ] && ok "200 connections open: server keeps $fds sockets (max-connections 16)" ||
	    not_ok "200 connections open: server keeps $fds sockets (max-connections 16)"
	is "and still serves a new client" "$(status_of "$BASE/release/download/apps.json" --max-time 5)" 200
else
	not_ok "server alive under 200 connections"
	not_ok "200 connections open: server keeps at most max-connections"
	not_ok "and still serves a new client"
fi
wait $holder
sleep 0.5
is "serves again once they are gone" "$(status_of "$BASE/release/download/apps.json" --max-time 5)" 200
check "SIGTERM: exit 0" stop_storesrv

done_testing
