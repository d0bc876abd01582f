# Shared helpers of the integration tests (sourced, POSIX sh + bash).
#
# Each test script prints TAP: `ok N - name` / `not ok N - name`, then the
# plan.  The real storesrv is started on 127.0.0.1 with port 0; the bound port
# is read from its --port-file.  Everything lives in a temporary folder that
# is removed at exit; the daemon is stopped with SIGTERM and must exit 0 (so
# sanitizer leak reports fail the test).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
STORESRV="$top_builddir/storesrv/storesrv"
STORE_DEMO="$top_builddir/demo/store-demo"
STOREIMPORT="$top_builddir/importer/storeimport"
WWW_DIR="$top_srcdir/www"

TAP_N=0
TAP_FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/storesrv-test.XXXXXX")
SRV_PID=
PORT=
BASE=

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
diag() { echo "# $*"; }

# check NAME COMMAND...: ok when the command succeeds.
check() {
	_name=$1; shift
	if "$@"; then ok "$_name"; else not_ok "$_name"; fi
}

# is NAME GOT WANT: string equality, with both shown on failure.
is() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "got:  '$2'"; diag "want: '$3'"; fi
}

# like NAME TEXT PATTERN: grep -E match.
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else not_ok "$1"; diag "got: '$2'"; diag "want /$3/"; fi
}

skip_all() { echo "1..0 # SKIP $*"; cleanup; exit 0; }

cleanup() {
	if [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null; then
		kill -KILL "$SRV_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}

done_testing() {
	echo "1..$TAP_N"
	cleanup
	[ "$TAP_FAILED" -eq 0 ]
}

trap cleanup INT TERM

# make_demo_store DIR: the bundled demo store, generated fresh.
make_demo_store() {
	"$STORE_DEMO" "$top_srcdir/demo/demo-store.json" "$1" >"$WORK/store-demo.log" 2>&1
}

# start_storesrv ROOT [ARGS...]: starts the daemon in the foreground on
# 127.0.0.1:0 (with -w WWW_DIR unless NO_WWW is set) and waits for its port;
# sets SRV_PID, PORT and BASE.
start_storesrv() {
	_root=$1; shift
	[ -n "${NO_WWW:-}" ] || set -- -w "$WWW_DIR" "$@"
	rm -f "$WORK/port"
	"$STORESRV" -f -r "$_root" -l 127.0.0.1:0 --port-file "$WORK/port" \
	    "$@" 2>>"$WORK/storesrv.err" &
	SRV_PID=$!
	_i=0
	while [ ! -s "$WORK/port" ] && [ $_i -lt 100 ]; do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1; _i=$((_i + 1))
	done
	PORT=$(cat "$WORK/port" 2>/dev/null)
	BASE="http://127.0.0.1:$PORT"
	[ -n "$PORT" ]
}

# add_user NAME PASSWORD [--read-only]: a WebDAV user in $USERS (default
# $WORK/users), made by `storesrv passwd add`.
add_user() {
	_n=$1 _p=$2; shift 2
	printf '%s\n%s\n' "$_p" "$_p" |
	    "$STORESRV" passwd add "$_n" -f "${USERS:-$WORK/users}" "$@" >/dev/null 2>&1
}

# start_dav ROOT [ARGS...]: storesrv (start_storesrv) with its WebDAV
# listener on 127.0.0.1:0 and the users of add_user; the incoming watcher
# waits an hour unless ARGS say otherwise (later flags win).  Sets DAV.
start_dav() {
	_r=$1; shift
	rm -f "$WORK/dport"
	start_storesrv "$_r" --webdav-listen 127.0.0.1:0 --webdav-port-file "$WORK/dport" \
	    --webdav-users "${USERS:-$WORK/users}" --webdav-quiet 3600 "$@" || return 1
	_i=0
	while [ ! -s "$WORK/dport" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	DAV="http://127.0.0.1:$(cat "$WORK/dport")"
	[ -s "$WORK/dport" ]
}

# stop_storesrv [SECONDS]: SIGTERM, then the exit status (0 on a clean
# shutdown); with SECONDS, SIGKILL after that long, so a hang fails the test
# instead of stalling it.
stop_storesrv() {
	[ -n "$SRV_PID" ] || return 1
	kill -TERM "$SRV_PID" 2>/dev/null
	if [ -n "${1:-}" ]; then
		_i=0
		while kill -0 "$SRV_PID" 2>/dev/null && [ $_i -lt $(($1 * 10)) ]; do
			sleep 0.1; _i=$((_i + 1))
		done
		kill -KILL "$SRV_PID" 2>/dev/null
	fi
	wait "$SRV_PID"
	_status=$?
	SRV_PID=
	return $_status
}

# status_of URL [CURL ARGS...]: the HTTP status code.
status_of() {
	_url=$1; shift
	curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@" "$_url"
}

# header_of NAME FILE: the value of a header in a `curl -D` dump.
header_of() {
	grep -i "^$1:" "$2" | head -n 1 | sed 's/^[^:]*: *//; s/\r$//'
}

# raw_status REQUEST: sends raw bytes (printf format) and prints the status code.
raw_status() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	# shellcheck disable=SC2059
	printf "$1" >&3
	_line=$(head -n 1 <&3 | tr -d '\r')
	exec 3<&- 3>&-
	echo "$_line" | cut -d ' ' -f 2
}
