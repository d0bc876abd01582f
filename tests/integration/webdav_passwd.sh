#!/bin/bash
# "storesrv passwd add|remove|list": the real program on a users file in a
# temporary folder; passwords on stdin; the hashes checked against Python's
# hashlib.scrypt; mode 0600; comments kept; no hash ever printed.
. "$(dirname "$0")/lib.sh"

USERS="$WORK/etc/users"
mkdir -p "$WORK/etc"
ALL_OUTPUT=

# pw ARGS...: runs storesrv passwd, keeping stdout+stderr in $out, status in $rc.
pw() {
	out=$("$STORESRV" passwd "$@" 2>&1); rc=$?
	ALL_OUTPUT="$ALL_OUTPUT$out"
}

# hash_of NAME: the hash field of NAME's line.
hash_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$USERS"; }

# scrypt_ok HASH PASSWORD: an independent check of the hash (Python).
scrypt_ok() {
	python3 - "$1" "$2" <<'PY'
import base64, hashlib, hmac, sys
f = sys.argv[1].split("$")
assert f[1] == "scrypt" and len(f) == 7
d = hashlib.scrypt(sys.argv[2].encode(), salt=base64.b64decode(f[5]), n=int(f[2]),
    r=int(f[3]), p=int(f[4]), dklen=32, maxmem=256 * 1024 * 1024)
sys.exit(0 if hmac.compare_digest(d, base64.b64decode(f[6])) else 1)
PY
}

pw add alice -f "$USERS" < <(printf 'alice secret\n')
is "add alice (password on stdin): exit 0" "$rc" 0
is "the users file is mode 0600" "$(stat -c %a "$USERS")" 600
like "alice's line: name:rw:\$scrypt\$N\$r\$p\$salt\$hash" "$(cat "$USERS")" \
    '^alice:rw:\$scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$'
check "alice's hash is scrypt of the password (hashlib.scrypt)" scrypt_ok "$(hash_of alice)" 'alice secret'
check "alice's hash does not match another password" \
    eval '! scrypt_ok "$(hash_of alice)" "alice secreT"'

pw add --read-only bob -f "$USERS" < <(printf 'bob pw\r\n')
is "add bob --read-only (CR LF on stdin): exit 0" "$rc" 0
check "bob's password is without the CR" scrypt_ok "$(hash_of bob)" 'bob pw'
pw list -f "$USERS"
is "list: names and roles in file order" "$out" "$(printf 'alice\trw\nbob\tro')"
is "list: exit 0" "$rc" 0

before=$(cat "$USERS")
pw add alice -f "$USERS" </dev/null
is "a second add of alice: exit 1" "$rc" 1
like "a second add of alice: says so, naming the file" "$out" "users: user alice exists already"
is "a second add of alice: the file is unchanged" "$(cat "$USERS")" "$before"

pw add alice --replace -f "$USERS" < <(printf 'new one\n')
is "add alice --replace: exit 0" "$rc" 0
check "add alice --replace: the new password is in force" scrypt_ok "$(hash_of alice)" 'new one'
like "add alice --replace: still rw, still first" "$(head -1 "$USERS")" '^alice:rw:'

{ echo '# the WebDAV users'; echo; cat "$USERS"; } >"$WORK/with-comments"
cp "$WORK/with-comments" "$USERS"
pw add carol -f "$USERS" < <(printf 'carol pw\n')
is "add carol after comments: exit 0" "$rc" 0
is "comment and blank line are kept in place" "$(head -2 "$USERS")" "$(printf '# the WebDAV users\n')"
like "carol is appended" "$(tail -1 "$USERS")" '^carol:rw:'

pw remove bob -f "$USERS"
is "remove bob: exit 0" "$rc" 0
pw list -f "$USERS"
is "remove bob: gone from the list" "$out" "$(printf 'alice\trw\ncarol\trw')"
is "remove bob: still mode 0600" "$(stat -c %a "$USERS")" 600
pw remove bob -f "$USERS"
is "remove bob again: exit 1" "$rc" 1
like "remove bob again: names the user" "$out" "no user bob"

before=$(cat "$USERS")
pw add dave -f "$USERS" </dev/null
is "add with nothing on stdin: exit 1" "$rc" 1
like "add with nothing on stdin: says so" "$out" "no password given"
pw add dave -f "$USERS" < <(head -c 1100 /dev/zero | tr '\0' x)
is "add with a 1100-byte password: exit 1" "$rc" 1
pw add 'da ve' -f "$USERS" < <(printf 'pw\n')
is "add with a bad name: exit 1" "$rc" 1
like "add with a bad name: says what a name is" "$out" "user name 'da ve' is not"
is "refused adds leave the file unchanged" "$(cat "$USERS")" "$before"

pw -f "$USERS"
is "no command: exit 2" "$rc" 2
pw frobnicate -f "$USERS"
is "unknown command: exit 2" "$rc" 2
like "unknown command: named" "$out" "unknown command frobnicate"
pw list alice -f "$USERS"
is "list with a name: exit 2" "$rc" 2
pw add -f "$USERS"
is "add without a name: exit 2" "$rc" 2
pw --help
is "--help: exit 0" "$rc" 0
like "--help: the usage" "$out" 'storesrv passwd add NAME \[--read-only\]'

pw add erin -f "$WORK/missing/users" < <(printf 'pw\n')
is "a users file in a missing folder: exit 1" "$rc" 1
like "a users file in a missing folder: named" "$out" "$WORK/missing/users"
pw list -f "$WORK/none"
is "list of a missing file: exit 1" "$rc" 1
printf 'alice:rw:%s\nbob:boss:%s\n' "$(hash_of alice)" "$(hash_of alice)" >"$WORK/broken"
pw list -f "$WORK/broken"
is "list of a broken file: exit 1" "$rc" 1
like "list of a broken file: FILE:LINE and the fault" "$out" "$WORK/broken:2: user bob: role 'boss'"

# tty_add NAME FIRST SECOND: "passwd add" on a pseudo-terminal, answering
# both prompts; prints what the terminal showed, then "rc=N".
tty_add() {
	python3 - "$STORESRV" "$USERS" "$@" <<'PY'
import os, pty, select, sys, time
storesrv, users, name, first, second = sys.argv[1:6]
pid, fd = pty.fork()
if pid == 0:
    os.execv(storesrv, [storesrv, "passwd", "add", name, "-f", users])
shown, answers, given, deadline = b"", [first, second], 0, time.monotonic() + 30
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], 1)
    if not r:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    shown += data
    prompts = shown.count(b"Password for ") + shown.count(b"Again: ")
    if given < prompts and given < len(answers):
        os.write(fd, answers[given].encode() + b"\n")
        given += 1
if time.monotonic() >= deadline:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors="replace") + "\nrc=%d\n" % os.waitstatus_to_exitcode(status))
PY
}

shown=$(tty_add frank 'tty pass 1' 'tty pass 1')
like "on a terminal: asks for the password" "$shown" 'Password for frank: '
like "on a terminal: asks again" "$shown" 'Again: '
like "on a terminal: exit 0" "$shown" 'rc=0'
case "$shown" in
*'tty pass'*) not_ok "on a terminal: the password is not echoed" ;;
*) ok "on a terminal: the password is not echoed" ;;
esac
check "on a terminal: frank's hash is of the password" scrypt_ok "$(hash_of frank)" 'tty pass 1'
before=$(cat "$USERS")
shown=$(tty_add grace 'one pass' 'another pass')
like "on a terminal, two different passwords: refused" "$shown" 'the two passwords differ'
like "on a terminal, two different passwords: exit 1" "$shown" 'rc=1'
is "on a terminal, two different passwords: the file is unchanged" "$(cat "$USERS")" "$before"
ALL_OUTPUT="$ALL_OUTPUT$shown"

case "$ALL_OUTPUT" in
*'$scrypt'*|*"$(hash_of alice | cut -d'$' -f7)"*) not_ok "no output ever shows a hash" ;;
*) ok "no output ever shows a hash" ;;
esac

done_testing
