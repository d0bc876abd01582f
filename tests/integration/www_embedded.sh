#!/bin/bash
# The www/ files built into storesrv (www/www_files.h): a storesrv run from
# the build tree without -w serves download.htm byte for byte as
# www/download.htm, with the headers of a page from a folder; -w overrides
# it; and the `user` setting (privileges dropped after binding).
. "$top_srcdir/tests/integration/lib.sh"

ROOT="$WORK/store"
make_demo_store "$ROOT" || { not_ok "demo store"; done_testing; exit 1; }

# hdrs URL: status, Content-Type, Cache-Control, X-Content-Type-Options.
hdrs() {
	curl -s -o /dev/null -D "$WORK/h" "$1"
	echo "$(head -n 1 "$WORK/h" | cut -d ' ' -f 2) $(header_of Content-Type "$WORK/h")" \
	    "$(header_of Cache-Control "$WORK/h") $(header_of X-Content-Type-Options "$WORK/h")"
}

NO_WWW=1 start_storesrv "$ROOT" --rescan no || not_ok "storesrv starts without -w"
curl -s -o "$WORK/page" "$BASE/release/download.htm"
check "without -w: download.htm is www/download.htm byte for byte" \
    cmp -s "$WORK/page" "$top_srcdir/www/download.htm"
is "without -w: headers" "$(hdrs "$BASE/release/download.htm")" \
    "200 text/html; charset=utf-8 no-cache nosniff"
is "without -w: HEAD announces the page's length" \
    "$(curl -s -I "$BASE/release/download.htm" | header_of Content-Length /dev/stdin)" \
    "$(wc -c <"$top_srcdir/www/download.htm" | tr -d ' ')"
is "without -w: HEAD has no body" "$(curl -s -I "$BASE/release/download.htm" | grep -c '^<')" 0
is "without -w: a channel that does not exist: 404" \
    "$(status_of "$BASE/nochannel/download.htm")" 404
like "without -w: / links the page" "$(curl -s "$BASE/")" 'href="/release/download.htm"'
check "without -w: SIGTERM, exit 0" stop_storesrv

# -w: the folder's page, not the one built in.
mkdir -p "$WORK/www"
echo '<!DOCTYPE html><title>a page of our own</title>' >"$WORK/www/download.htm"
start_storesrv "$ROOT" --rescan no -w "$WORK/www" || not_ok "storesrv starts with -w"
is "-w: the folder's download.htm" "$(curl -s "$BASE/release/download.htm")" \
    '<!DOCTYPE html><title>a page of our own</title>'
check "-w: SIGTERM, exit 0" stop_storesrv
out=$(NO_WWW=1 "$STORESRV" -n -r "$ROOT" -w "$WORK/nowww" 2>&1)
like "-w with a missing folder: named by -n" "$out" "www: $WORK/nowww: No such file"

# user: only root may become another user; a user that does not exist is named.
out=$("$STORESRV" -n -r "$ROOT" --user no-such-user-y3 2>&1); rc=$?
is "-n with a user that does not exist: exit 1" "$rc" 1
like "-n with a user that does not exist: named" "$out" "user: no-such-user-y3: no such user"
NO_WWW=1 start_storesrv "$ROOT" --rescan no --user no-such-user-y3
wait "$SRV_PID"; rc=$?; SRV_PID=
is "user that does not exist: exit 1" "$rc" 1
like "user that does not exist: named" "$(cat "$WORK/storesrv.err")" "user: no-such-user-y3: no such user"
: >"$WORK/storesrv.err"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod -R a+rX "$WORK"
	# a folder only root writes: the pid file and the access log are
	# written or opened before the drop
	mkdir -m 0755 "$WORK/run"
	NO_WWW=1 start_storesrv "$ROOT" --rescan no --user nobody --pid-file "$WORK/run/pid" \
	    --access-log "$WORK/run/access.log"
	is "user nobody: serves the page" "$(status_of "$BASE/release/download.htm")" 200
	is "user nobody: the pid file, in a folder only root writes" "$(cat "$WORK/run/pid")" "$SRV_PID"
	is "user nobody: the process's uid, gid and groups" \
	    "$(awk '/^Uid:/ {print $2, $3, $4, $5} /^Gid:/ {print $2, $3, $4, $5} /^Groups:/ {print "groups", $2}' \
	        "/proc/$SRV_PID/status" | tr '\n' ' ')" \
	    "$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -g nobody) $(id -g nobody) $(id -g nobody) $(id -g nobody) groups $(id -g nobody) "
	like "user nobody: logged" "$(cat "$WORK/storesrv.err")" "running as user nobody"
	check "user nobody: SIGTERM, exit 0" stop_storesrv
	# the access log is buffered per thread, flushed at the latest on exit
	like "user nobody: the access log opened as root is written" \
	    "$(cat "$WORK/run/access.log")" 'GET /release/download.htm'
	: >"$WORK/storesrv.err"
	NO_WWW=1 start_storesrv "$ROOT" --rescan no
	like "root without user: warned" "$(cat "$WORK/storesrv.err")" "running as root: set 'user'"
	check "root without user: SIGTERM, exit 0" stop_storesrv
else
	NO_WWW=1 start_storesrv "$ROOT" --rescan no --user root
	wait "$SRV_PID"; rc=$?; SRV_PID=
	is "not root: becoming another user is refused" "$rc" 1
	like "not root: named" "$(cat "$WORK/storesrv.err")" "only root can become another user"
fi
done_testing
