# Real servers for the mirror's fetch and transfer tests (sourced after lib.sh):
# nginx (plain and TLS) and tinyproxy on 127.0.0.1, with a test CA made by
# the openssl command.  Everything lives below $WORK; stop_transfer_servers
# stops what was started (called from the test's end).

# make_fetch_store: the demo store in $ROOT, its release channel's files in
# $DL, a build folder $DL/$B, an empty $OUT for the fetched files.
make_fetch_store() {
	ROOT="$WORK/root"
	OUT="$WORK/out"
	DL="$ROOT/release/download"
	B=130001
	mkdir -p "$OUT"
	make_demo_store "$ROOT"
}

# free_port: a loopback port free at the time of asking.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT: waits up to 5 s for a listener.
wait_port() {
	_i=0
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		_i=$((_i + 1)); [ $_i -lt 50 ] || return 1
		sleep 0.1
	done
}

# make_test_ca DIR: ca.pem (the CA), good.pem/good.key (localhost and
# 127.0.0.1), wrong.pem/wrong.key (wrong.example only), all signed by it.
make_test_ca() {
	_d=$1
	mkdir -p "$_d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=storesrv test CA" \
	    -keyout "$_d/ca.key" -out "$_d/ca.pem" >/dev/null 2>&1 || return 1
	for _c in good:"DNS:localhost,IP:127.0.0.1" wrong:"DNS:wrong.example"; do
		_n=${_c%%:*}
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$_n" -keyout "$_d/$_n.key" \
		    -out "$_d/$_n.csr" >/dev/null 2>&1 || return 1
		printf 'subjectAltName=%s\n' "${_c#*:}" >"$_d/$_n.ext"
		openssl x509 -req -in "$_d/$_n.csr" -CA "$_d/ca.pem" -CAkey "$_d/ca.key" \
		    -CAcreateserial -days 2 -extfile "$_d/$_n.ext" -out "$_d/$_n.pem" \
		    >/dev/null 2>&1 || return 1
	done
}

# start_nginx ROOTDIR CADIR: nginx serving ROOTDIR over http on $NGX_HTTP,
# https (good certificate) on $NGX_HTTPS and https (wrong name) on
# $NGX_WRONG; access log $NGX_LOG: "<connection> <uri> <status> <bytes_sent>".
start_nginx() {
	NGX_HTTP=$(free_port); NGX_HTTPS=$(free_port); NGX_WRONG=$(free_port)
	NGX_LOG="$WORK/nginx-access.log"
	mkdir -p "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<EOC
daemon off;
user root;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 128; }
http {
	log_format conn '\$connection \$request_uri \$status \$bytes_sent';
	access_log $NGX_LOG conn;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	keepalive_requests 10000;
	keepalive_timeout 60s;
	default_type application/octet-stream;
	server { listen 127.0.0.1:$NGX_HTTP; root $1; }
	server {
		listen 127.0.0.1:$NGX_HTTPS ssl;
		ssl_certificate $2/good.pem; ssl_certificate_key $2/good.key;
		root $1;
	}
	server {
		listen 127.0.0.1:$NGX_WRONG ssl;
		ssl_certificate $2/wrong.pem; ssl_certificate_key $2/wrong.key;
		root $1;
	}
}
EOC
	nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>>"$WORK/nginx/stderr" &
	NGX_PID=$!
	wait_port "$NGX_HTTP" && wait_port "$NGX_HTTPS" && wait_port "$NGX_WRONG"
}

# start_tinyproxy ALLOWED_CONNECT_PORT: tinyproxy on $TP_PORT, log $TP_LOG.
start_tinyproxy() {
	TP_PORT=$(free_port)
	TP_LOG="$WORK/tinyproxy.log"
	cat >"$WORK/tinyproxy.conf" <<EOC
Port $TP_PORT
Listen 127.0.0.1
Timeout 30
Allow 127.0.0.1
ConnectPort $1
MaxClients 32
LogFile "$TP_LOG"
LogLevel Connect
EOC
	tinyproxy -d -c "$WORK/tinyproxy.conf" >"$WORK/tinyproxy.out" 2>&1 &
	TP_PID=$!
	wait_port "$TP_PORT"
}

stop_transfer_servers() {
	for _p in ${NGX_PID:-} ${TP_PID:-}; do
		kill -TERM "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	NGX_PID= TP_PID=
}
