#!/bin/sh
# webdav_tls.sh: TLS on both of storesrv's listeners (issue 9 point 6).
# The test makes its own CA, an intermediate and server certificates with
# the openssl command; clients verify the chain against the CA alone
# (curl --cacert, python3's ssl), never with -k.  Checked: the chain is
# sent and verifies on both listeners; TLS 1.0/1.1 are refused even where
# OpenSSL's configuration would allow them; a large file comes whole over
# TLS; WebDAV methods over TLS; Basic over plain HTTP off loopback; SIGHUP
# swaps the certificate without dropping a kept-alive connection, and a
# broken new certificate keeps the old one; bad files at start and with -n.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null 2>&1 || skip_all "no openssl command"
command -v python3 >/dev/null 2>&1 || skip_all "no python3"

ROOT="$WORK/root"
USERS="$WORK/users"
PKI="$WORK/pki"
mkdir -p "$PKI"
make_demo_store "$ROOT" || { echo "Bail out! demo store"; exit 1; }
printf 'alice-pw\nalice-pw\n' | "$STORESRV" passwd add alice -f "$USERS" >/dev/null 2>&1

# --- a CA, an intermediate and server certificates (EC keys: fast) ---
pki() { openssl "$@" >>"$PKI/openssl.log" 2>&1; }
ec_key() { pki genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
ca_ext() {
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'
}
ec_key "$PKI/ca.key"
pki req -x509 -new -key "$PKI/ca.key" -subj "/CN=storesrv test root" -days 2 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$PKI/ca.pem"
# another CA, which signed nothing here
ec_key "$PKI/other.key"
pki req -x509 -new -key "$PKI/other.key" -subj "/CN=storesrv other root" -days 2 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$PKI/other.pem"
ec_key "$PKI/int.key"
pki req -new -key "$PKI/int.key" -subj "/CN=storesrv test intermediate" -out "$PKI/int.csr"
ca_ext >"$PKI/int.ext"
pki x509 -req -in "$PKI/int.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -set_serial 0x77 \
    -days 2 -extfile "$PKI/int.ext" -out "$PKI/int.pem"
# server_cert NAME SERIAL: NAME.key and NAME.pem (leaf + intermediate),
# for 127.0.0.1, the host's other address and localhost
server_cert() {
	ec_key "$PKI/$1.key"
	pki req -new -key "$PKI/$1.key" -subj "/CN=storesrv $1" -out "$PKI/$1.csr"
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1%s\nextendedKeyUsage=serverAuth\n' \
	    "${OTHER_IP:+,IP:$OTHER_IP}" >"$PKI/$1.ext"
	pki x509 -req -in "$PKI/$1.csr" -CA "$PKI/int.pem" -CAkey "$PKI/int.key" -set_serial "$2" \
	    -days 2 -extfile "$PKI/$1.ext" -out "$PKI/$1.leaf"
	cat "$PKI/$1.leaf" "$PKI/int.pem" >"$PKI/$1.pem"
}
# a non-loopback address of this host, for the plain-Basic rule
OTHER_IP=$( (hostname -I 2>/dev/null || true) | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' |
    grep -v '^127\.' | head -n 1)
server_cert one 0x1001
server_cert two 0x2002
[ -s "$PKI/one.pem" ] && [ -s "$PKI/two.pem" ] || { echo "Bail out! openssl"; cat "$PKI/openssl.log"; exit 1; }

# --- a large file in the published tree ---
BIG="$ROOT/release/download/big.bin"
head -c $((48 * 1024 * 1024)) /dev/urandom >"$BIG"
BIG_SHA=$(sha256sum "$BIG" | cut -d' ' -f1)

TLS_ARGS="--tls-cert $PKI/live.pem --tls-key $PKI/live.key"
cp "$PKI/one.pem" "$PKI/live.pem"
cp "$PKI/one.key" "$PKI/live.key"

# start_dav ADDR [ARGS...]: storesrv with its WebDAV listener on ADDR, any
# port; sets PORT and BASE (lib.sh), DPORT.
start_dav() {
	_addr=$1; shift
	rm -f "$WORK/dport"
	start_storesrv "$ROOT" --webdav-port-file "$WORK/dport" --webdav-users "$USERS" \
	    --webdav-quiet 3600 --webdav-listen "$_addr:0" "$@" || return 1
	_i=0
	while [ ! -s "$WORK/dport" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	DPORT=$(cat "$WORK/dport")
	[ -n "$DPORT" ]
}

# start_tls: both listeners over TLS on 127.0.0.1; sets HTTPS and DAVS too.
start_tls() {
	# shellcheck disable=SC2086
	start_dav 127.0.0.1 $TLS_ARGS --public-tls yes --webdav-tls yes --threads 4 || return 1
	HTTPS="https://127.0.0.1:$PORT"
	DAVS="https://127.0.0.1:$DPORT"
}

# tls_status URL [CURL ARGS...]: the status with the chain checked against
# the test CA ("000" when TLS or the connection fails).
tls_status() {
	_u=$1; shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 20 --cacert "$PKI/ca.pem" "$@" "$_u"
}

# serial_of PORT: the serial of the certificate a new connection gets.
serial_of() {
	openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null |
	    openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//'
}

# log_wait PATTERN: until storesrv's log has a line matching it (5 s).
log_wait() {
	_i=0
	while ! grep -Eq -- "$1" "$WORK/storesrv.err" && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	grep -Eq -- "$1" "$WORK/storesrv.err"
}

# --- bad files: -n and at start ---
echo "not a certificate" >"$PKI/garbage.pem"
# shellcheck disable=SC2086
"$STORESRV" -n -r "$ROOT" $TLS_ARGS --public-tls yes >"$WORK/n.out" 2>&1
is "-n: a good certificate and key pass" "$?" 0
"$STORESRV" -n -r "$ROOT" --tls-cert "$PKI/one.pem" --tls-key "$PKI/two.key" --public-tls yes \
    >"$WORK/n.out" 2>&1
rc=$?
check "-n: a key of another certificate fails" [ "$rc" -ne 0 ]
like "-n: the error names the key file" "$(cat "$WORK/n.out")" \
    "tls-key $PKI/two.key: not the key of the certificate in $PKI/one.pem"
"$STORESRV" -f -r "$ROOT" -l 127.0.0.1:0 --tls-cert "$PKI/garbage.pem" --tls-key "$PKI/one.key" \
    --public-tls yes >"$WORK/bad.out" 2>&1 &
bad_pid=$!
( sleep 20; kill -KILL "$bad_pid" 2>/dev/null ) &
timer=$!
wait "$bad_pid"
rc=$?
kill "$timer" 2>/dev/null
check "a certificate that does not load stops the start (exit $rc)" [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]
like "the error names the certificate file" "$(cat "$WORK/bad.out")" \
    "tls-cert $PKI/garbage.pem: cannot load a PEM certificate chain"

# --- both listeners over TLS ---
check "storesrv starts with both listeners over TLS" start_tls
like "the log names the certificate in force" "$(cat "$WORK/storesrv.err")" \
    "TLS: certificate $PKI/live.pem \(subject .*CN ?= ?storesrv one, serial 1001\)"
is "public listener: the chain verifies against the CA (curl --cacert)" \
    "$(tls_status "$HTTPS/")" 200
is "public listener: by name too (localhost)" \
    "$(tls_status "https://localhost:$PORT/" --resolve "localhost:$PORT:127.0.0.1")" 200
is "WebDAV listener: the chain verifies, OPTIONS as alice" \
    "$(tls_status "$DAVS/" -X OPTIONS -u alice:alice-pw)" 200
is "WebDAV listener: without a user 401 over TLS" "$(tls_status "$DAVS/" -X OPTIONS)" 401
is "a client that trusts another CA refuses the chain" \
    "$(tls_status "$HTTPS/" --cacert "$PKI/other.pem")" 000
is "plain HTTP on the TLS port gets no HTTP reply" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$PORT/")" 000

# --- protocol versions: refused below 1.2 even where OpenSSL allows them ---
cat >"$WORK/permissive.cnf" <<'EOF'
openssl_conf = conf
[conf]
ssl_conf = ssl
[ssl]
system_default = sys
[sys]
MinProtocol = TLSv1
CipherString = DEFAULT@SECLEVEL=0
EOF
# handshake VERSION PORT: "ok" when an s_client of that version gets through
handshake() {
	if OPENSSL_CONF="$WORK/permissive.cnf" timeout 10 openssl s_client "-$1" \
	    -cipher 'DEFAULT@SECLEVEL=0' -connect "127.0.0.1:$2" </dev/null >"$WORK/hs.out" 2>&1 &&
	    grep -q '^New, TLSv' "$WORK/hs.out"; then
		echo ok
	else
		echo refused
	fi
}
# the client must really be able to speak TLS 1.1 for the check to mean
# anything: a control server allowing it
OPENSSL_CONF="$WORK/permissive.cnf" openssl s_server -quiet -accept 0 -naccept 1 \
    -cert "$PKI/one.pem" -key "$PKI/one.key" -cipher 'DEFAULT@SECLEVEL=0' \
    >"$WORK/ctl.out" 2>&1 </dev/null &
ctl=$!
sleep 0.5
ctl_port=$(ss -ltnp 2>/dev/null | grep "pid=$ctl," | sed -n 's/.*:\([0-9]*\) .*/\1/p' | head -n 1)
if [ -n "$ctl_port" ] && [ "$(handshake tls1_1 "$ctl_port")" = ok ]; then
	is "public listener: TLS 1.1 refused" "$(handshake tls1_1 "$PORT")" refused
	is "public listener: TLS 1.0 refused" "$(handshake tls1 "$PORT")" refused
	is "WebDAV listener: TLS 1.1 refused" "$(handshake tls1_1 "$DPORT")" refused
else
	ok "# SKIP this openssl cannot speak TLS 1.1 even when allowed (control server)"
fi
kill "$ctl" 2>/dev/null; wait "$ctl" 2>/dev/null
is "public listener: TLS 1.2 accepted" "$(handshake tls1_2 "$PORT")" ok
is "WebDAV listener: TLS 1.3 accepted" "$(handshake tls1_3 "$DPORT")" ok
is "curl --tls-max 1.1 is refused" "$(tls_status "$HTTPS/" --tlsv1.0 --tls-max 1.1)" 000

# --- a large file over TLS (mapped, not sendfile, not read into memory) ---
# anonymous_kb: storesrv's anonymous resident memory (the mapping of a
# file is file-backed, a copy of it would be anonymous)
anonymous_kb() { awk '/^RssAnon:/ { print $2 }' "/proc/$SRV_PID/status"; }
anon_before=$(anonymous_kb)
got=$(curl -s --max-time 120 --cacert "$PKI/ca.pem" "$HTTPS/release/download/big.bin" |
    sha256sum | cut -d' ' -f1)
is "public listener: a 48 MiB file over TLS is whole (sha256)" "$got" "$BIG_SHA"
got=$(curl -s --max-time 120 --cacert "$PKI/ca.pem" -u alice:alice-pw \
    "$DAVS/release/download/big.bin" | sha256sum | cut -d' ' -f1)
is "WebDAV listener: the same file over TLS is whole (sha256)" "$got" "$BIG_SHA"
got=$(curl -s --max-time 60 --cacert "$PKI/ca.pem" -r 1000-1999 "$HTTPS/release/download/big.bin" |
    sha256sum | cut -d' ' -f1)
is "public listener: a range of it over TLS" "$got" \
    "$(tail -c +1001 "$BIG" | head -c 1000 | sha256sum | cut -d' ' -f1)"
anon_after=$(anonymous_kb)
grown=$(( (anon_after - anon_before) / 1024 ))
check "the large GETs over TLS grew anonymous memory by less than 24 MiB ($grown MiB)" \
    [ "$grown" -lt 24 ]

# --- WebDAV methods over TLS ---
curl -s --max-time 20 --cacert "$PKI/ca.pem" -u alice:alice-pw -X PROPFIND -H 'Depth: 1' \
    -o "$WORK/pf.xml" -w '%{http_code}' "$DAVS/release/download/" >"$WORK/pf.st"
is "PROPFIND Depth 1 over TLS: 207" "$(cat "$WORK/pf.st")" 207
like "PROPFIND over TLS lists the published tree" "$(cat "$WORK/pf.xml")" \
    'href>/release/download/apps.json<'
head -c $((8 * 1024 * 1024)) /dev/urandom >"$WORK/up.bin"
UP_SHA=$(sha256sum "$WORK/up.bin" | cut -d' ' -f1)
mkcol=$(tls_status "$DAVS/release/incoming/tls/" -X MKCOL -u alice:alice-pw)
is "MKCOL over TLS: 201" "$mkcol" 201
is "PUT of 8 MiB over TLS: 201" \
    "$(tls_status "$DAVS/release/incoming/tls/up.bin" -T "$WORK/up.bin" -u alice:alice-pw)" 201
is "PUT of 8 MiB chunked with 100-continue over TLS: 201" \
    "$(tls_status "$DAVS/release/incoming/tls/up2.bin" -T - -u alice:alice-pw \
        -H 'Transfer-Encoding: chunked' -H 'Expect: 100-continue' <"$WORK/up.bin")" 201
got=$(curl -s --max-time 60 --cacert "$PKI/ca.pem" -u alice:alice-pw \
    "$DAVS/release/incoming/tls/up.bin" | sha256sum | cut -d' ' -f1)
is "GET of the upload over TLS is whole" "$got" "$UP_SHA"
is "the chunked upload landed whole" \
    "$(sha256sum "$ROOT/release/incoming/tls/up2.bin" 2>/dev/null | cut -d' ' -f1)" "$UP_SHA"
# a reply that closes (refused PUT body): the lingering close over TLS
# must deliver the reply whole, not a reset
head -c 4000000 /dev/zero >"$WORK/zeros"
out=$(curl -s --max-time 20 --cacert "$PKI/ca.pem" -X PUT -T "$WORK/zeros" \
    "$DAVS/release/incoming/z.bin" -D - -o /dev/null | head -n 1 | tr -d '\r')
like "a refused PUT body over TLS still gets its reply ($out)" "$out" '^HTTP/1.1 401 '

# a reply with Connection: close ends the TLS session with close_notify
# (not a bare TCP close, which a client must take for a truncation)
cat >"$WORK/closing.py" <<'EOF'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s = ctx.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)
s.sendall(sys.argv[3].encode() + b" / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
data = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            print("close_notify", data.split(b" ")[1].decode())
            break
        data += chunk
except ssl.SSLEOFError:
    print("no close_notify", data.split(b" ")[1].decode() if data else "-")
EOF
is "WebDAV listener: a closing reply ends with close_notify" \
    "$(python3 "$WORK/closing.py" "$DPORT" "$PKI/ca.pem" OPTIONS 2>&1)" "close_notify 401"
is "public listener: a closing reply ends with close_notify" \
    "$(python3 "$WORK/closing.py" "$PORT" "$PKI/ca.pem" GET 2>&1)" "close_notify 200"

# --- SIGHUP: a new certificate, a connection open before keeps working ---
cat >"$WORK/keepalive.py" <<'EOF'
import http.client, os, ssl, sys, time
port, ca, ready, go, auth = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=15)
hdrs = {"Authorization": "Basic " + auth} if auth != "-" else {}
method = "OPTIONS" if auth != "-" else "GET"
def ask():
    conn.request(method, "/", headers=hdrs)
    r = conn.getresponse()
    r.read()
    return r.status
first = ask()
serial = conn.sock.getpeercert()["serialNumber"]
sock = conn.sock
open(ready, "w").close()
for _ in range(150):
    if os.path.exists(go):
        break
    time.sleep(0.1)
second = ask()
print(first, second, serial, "same" if conn.sock is sock else "reconnected")
EOF
auth=$(printf 'alice:alice-pw' | base64)
rm -f "$WORK/ready1" "$WORK/ready2" "$WORK/go"
python3 "$WORK/keepalive.py" "$PORT" "$PKI/ca.pem" "$WORK/ready1" "$WORK/go" - >"$WORK/ka1" 2>&1 &
ka1=$!
python3 "$WORK/keepalive.py" "$DPORT" "$PKI/ca.pem" "$WORK/ready2" "$WORK/go" "$auth" \
    >"$WORK/ka2" 2>&1 &
ka2=$!
i=0
while { [ ! -e "$WORK/ready1" ] || [ ! -e "$WORK/ready2" ]; } && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
cp "$PKI/two.pem" "$PKI/live.pem"
cp "$PKI/two.key" "$PKI/live.key"
kill -HUP "$SRV_PID"
check "SIGHUP: the new certificate is logged" log_wait "TLS: certificate reloaded \(.*serial 2002\)"
touch "$WORK/go"
wait "$ka1"; wait "$ka2"
is "public listener: a connection open before SIGHUP keeps working on it" \
    "$(cat "$WORK/ka1")" "200 200 1001 same"
is "WebDAV listener: the same" "$(cat "$WORK/ka2")" "200 200 1001 same"
is "public listener: a new connection gets the new certificate" "$(serial_of "$PORT")" 2002
is "WebDAV listener: a new connection gets the new certificate" "$(serial_of "$DPORT")" 2002
is "the new chain verifies" "$(tls_status "$HTTPS/")" 200

# --- reloads while connections come and go on every thread ---
# burst: 10 new connections to each URL given, one status per line
burst() {
	for _u in "$@"; do
		curl -s --max-time 20 --cacert "$PKI/ca.pem" -H 'Connection: close' \
		    -o /dev/null -w '%{http_code}\n' "$_u" "$_u" "$_u" "$_u" "$_u" "$_u" "$_u" "$_u" \
		    "$_u" "$_u"
	done
}
(
	i=0
	while [ $i -lt 25 ]; do kill -HUP "$SRV_PID"; sleep 0.05; i=$((i + 1)); done
) &
bursts=$!
for n in 1 2 3 4 5 6; do
	burst "$HTTPS/release/download/apps.json" "$DAVS/" >"$WORK/burst.$n" &
	bursts="$bursts $!"
done
for pid in $bursts; do wait "$pid"; done	# not storesrv's
is "during 25 reloads, 60 public requests on new connections: all 200" \
    "$(cat "$WORK"/burst.* | grep -c '^200$')" 60
is "and 60 WebDAV requests: all answered (401 without a user)" \
    "$(cat "$WORK"/burst.* | grep -c '^401$')" 60
kill -0 "$SRV_PID" 2>/dev/null
check "storesrv still runs after the reloads" [ $? -eq 0 ]

# --- SIGHUP with a broken certificate: the one in force stays ---
cp "$PKI/garbage.pem" "$PKI/live.pem"
kill -HUP "$SRV_PID"
check "a broken certificate at SIGHUP is logged, naming the file" \
    log_wait "TLS: tls-cert $PKI/live.pem: cannot load .*; keeping the certificate in force"
is "public listener: still the certificate in force" "$(serial_of "$PORT")" 2002
is "WebDAV listener: still the certificate in force" "$(tls_status "$DAVS/" -X OPTIONS -u alice:alice-pw)" 200
cp "$PKI/one.pem" "$PKI/live.pem"	# with two's key: a mismatch
kill -HUP "$SRV_PID"
check "a key that does not match at SIGHUP is logged" \
    log_wait "tls-key $PKI/live.key: not the key of the certificate"
is "still the certificate in force after the mismatch" "$(serial_of "$PORT")" 2002
check "storesrv exits 0 on SIGTERM" stop_storesrv 10
cp "$PKI/two.pem" "$PKI/live.pem"

# --- a client that never finishes its handshake is closed ---
cat >"$WORK/stall.py" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(bytes.fromhex(sys.argv[2]))
try:
    while s.recv(4096):
        pass
    print("closed")
except ConnectionResetError:
    print("closed")
except socket.timeout:
    print("still open after 20 s")
EOF
# shellcheck disable=SC2086
check "storesrv starts with short timeouts" \
    start_dav 127.0.0.1 $TLS_ARGS --public-tls yes --webdav-tls yes --timeout 2 --header-timeout 2
# the start of a ClientHello whose record promises 200 bytes
hello=16030100c8010000c40303
is "public listener: a stalled handshake is closed" "$(python3 "$WORK/stall.py" "$PORT" "$hello")" closed
is "WebDAV listener: a stalled handshake is closed" "$(python3 "$WORK/stall.py" "$DPORT" "$hello")" closed
is "WebDAV listener: a silent connection is closed" "$(python3 "$WORK/stall.py" "$DPORT" "")" closed
check "storesrv exits 0 on SIGTERM (short timeouts)" stop_storesrv 10

# --- Basic over plain HTTP off loopback ---
if [ -n "$OTHER_IP" ]; then
	start_dav "$OTHER_IP"
	is "plain HTTP on $OTHER_IP: Basic refused (403)" \
	    "$(status_of "http://$OTHER_IP:$DPORT/" -X OPTIONS -u alice:alice-pw)" 403
	stop_storesrv 10
	start_dav "$OTHER_IP" --webdav-allow-plain-basic yes
	is "plain HTTP on $OTHER_IP with webdav-allow-plain-basic: accepted" \
	    "$(status_of "http://$OTHER_IP:$DPORT/" -X OPTIONS -u alice:alice-pw)" 200
	stop_storesrv 10
	# shellcheck disable=SC2086
	start_dav "$OTHER_IP" $TLS_ARGS --webdav-tls yes
	is "TLS on $OTHER_IP: Basic accepted" \
	    "$(tls_status "https://$OTHER_IP:$DPORT/" -X OPTIONS -u alice:alice-pw)" 200
	is "the public listener stays plain HTTP" "$(status_of "$BASE/")" 200
	stop_storesrv 10
else
	ok "# SKIP no non-loopback IPv4 address on this host"
fi

done_testing
