#!/usr/bin/env python3
"""fault_proxy: a small HTTP/1.1 reverse proxy that injects faults, for the
mirror's tests (tests/integration/mirror_faults.sh and friends).

    fault_proxy.py --upstream HOST:PORT --port-file FILE --log FILE
                   [--rules FILE] [--rule 'GLOB ACTION [ARG] [times=K]']...
                   [--timeout SECONDS] [--idle SECONDS]

Listens on 127.0.0.1 (a free port, written to --port-file) and forwards
each request to the upstream (storesrv or nginx) over a kept connection,
one per client connection.  Keep-alive and Range requests pass through.

Faults are chosen per request path (the path without its query, matched
with fnmatch against GLOB, first matching rule wins).  The rules file is
read again before every request, so a test changes faults between runs by
rewriting it (write a new file and rename it over the old one); a rule's
count (times=K) restarts when the file changes.  Rules given with --rule
are checked after the file's.  One rule per line, '#' comments:

    GLOB pass               forward untouched (the default)
    GLOB cut N              send the headers and N body bytes, then close
    GLOB flip N             flip every bit of the byte at offset N of the
                            file (a 206 is placed by its Content-Range)
    GLOB truncate N         send only the first N body bytes, with
                            Content-Length: N (a short but well-formed
                            reply), keeping the connection
    GLOB 404                answer 404 without asking the upstream
    GLOB stall              send the headers, then nothing until the
                            client closes (or --idle seconds pass)
    ... times=K             apply the fault to the first K matching
                            requests only, then pass

Each request is logged as one tab-separated line, written when the reply
ends: method, path, Range header ("-" if none), If-Range ("-"), status,
body bytes sent to the client, the action applied ("pass" when none).

Bounded: the proxy exits by itself --timeout seconds after it started
(default 300), and a socket silent for --idle seconds (default 30) is
closed.  Stdlib only.
"""

import argparse
import fnmatch
import os
import socket
import sys
import threading
import time

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
              "upgrade", "proxy-authorization", "proxy-authenticate"}
MAX_HEAD = 64 * 1024
MAX_CHUNKED = 64 * 1024 * 1024
ACTIONS_WITH_ARG = {"cut", "flip", "truncate"}
ACTIONS = ACTIONS_WITH_ARG | {"pass", "404", "stall"}


class Rule:
    def __init__(self, glob, action, arg, times):
        self.glob, self.action, self.arg, self.times = glob, action, arg, times
        self.used = 0


def parse_rule(text, where):
    words = text.split()
    times = None
    if words and words[-1].startswith("times="):
        times = int(words.pop()[len("times="):])
    if len(words) < 2 or words[1] not in ACTIONS:
        raise ValueError("%s: bad rule %r" % (where, text))
    arg = 0
    if words[1] in ACTIONS_WITH_ARG:
        if len(words) != 3:
            raise ValueError("%s: %s needs a byte count: %r" % (where, words[1], text))
        arg = int(words[2])
    elif len(words) != 2:
        raise ValueError("%s: bad rule %r" % (where, text))
    return Rule(words[0], words[1], arg, times)


class RuleSet:
    """The rules file (re-read when it changes) and the command-line rules."""

    def __init__(self, path, cli_rules):
        self.path = path
        self.cli = [parse_rule(r, "--rule") for r in cli_rules]
        self.file_rules = []
        self.file_key = None
        self.lock = threading.Lock()

    def _reload(self):
        if not self.path:
            return
        try:
            st = os.stat(self.path)
            with open(self.path) as f:
                text = f.read()
        except FileNotFoundError:
            st, text = None, ""
        key = (st.st_ino, st.st_mtime_ns, st.st_size, text) if st else None
        if key == self.file_key:
            return
        rules = []
        for n, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if line:
                rules.append(parse_rule(line, "%s:%d" % (self.path, n)))
        self.file_rules, self.file_key = rules, key

    def choose(self, path):
        """The rule to apply to path (counted), or None to pass."""
        with self.lock:
            try:
                self._reload()
            except (OSError, ValueError) as e:
                print("fault_proxy: %s" % e, file=sys.stderr)
            for r in self.file_rules + self.cli:
                if not fnmatch.fnmatchcase(path, r.glob):
                    continue
                if r.times is not None and r.used >= r.times:
                    continue
                r.used += 1
                return None if r.action == "pass" else r
        return None


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def write(self, fields):
        with self.lock:
            self.f.write("\t".join(str(x) for x in fields) + "\n")
            self.f.flush()


class Closed(Exception):
    """The peer closed or went silent."""


class Reader:
    """Buffered reads from a socket (lines and exact byte counts)."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, OSError):
            raise Closed()
        if not data:
            raise Closed()
        self.buf += data

    def until(self, sep):
        """The bytes up to and including sep (bounded by MAX_HEAD)."""
        while sep not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise Closed()
            self._fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def head(self):
        """The bytes up to and including the blank line after the headers."""
        return self.until(b"\r\n\r\n")

    def line(self):
        return self.until(b"\r\n")

    def some(self, limit):
        """Up to limit bytes (at least one)."""
        if not self.buf:
            self._fill()
        d, self.buf = self.buf[:limit], self.buf[limit:]
        return d

    def exact(self, n):
        out = []
        while n > 0:
            d = self.some(n)
            out.append(d)
            n -= len(d)
        return b"".join(out)


def parse_head(raw):
    lines = raw.decode("latin-1").split("\r\n")
    first = lines[0]
    headers = []
    for ln in lines[1:]:
        if not ln:
            continue
        name, _, value = ln.partition(":")
        headers.append((name.strip(), value.strip()))
    return first, headers


def header(headers, name):
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def build_head(first, headers):
    return ("\r\n".join([first] + ["%s: %s" % kv for kv in headers]) + "\r\n\r\n").encode("latin-1")


class Upstream:
    """One kept connection to the upstream, reopened when it closes."""

    def __init__(self, addr, idle):
        self.addr, self.idle = addr, idle
        self.sock, self.reader = None, None

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock, self.reader = None, None

    def send(self, data):
        for attempt in (0, 1):
            if not self.sock:
                self.sock = socket.create_connection(self.addr, timeout=self.idle)
                self.reader = Reader(self.sock)
            try:
                self.sock.sendall(data)
                return
            except OSError:
                self.close()
                if attempt:
                    raise


class Handler:
    """One client connection: requests in sequence until one side closes."""

    def __init__(self, conn, cfg):
        self.conn, self.cfg = conn, cfg
        self.client = Reader(conn)
        self.up = Upstream(cfg.upstream, cfg.idle)

    def run(self):
        try:
            while self.one_request():
                pass
        except (Closed, OSError):
            pass
        finally:
            self.up.close()
            self.conn.close()

    def one_request(self):
        first, headers = parse_head(self.client.head())
        parts = first.split(" ")
        if len(parts) != 3:
            return False
        method, target, _ = parts
        body = b""
        cl = header(headers, "content-length")
        if cl:
            body = self.client.exact(int(cl))
        path = target.split("?", 1)[0]
        rng = header(headers, "range") or "-"
        if_range = header(headers, "if-range") or "-"
        rule = self.cfg.rules.choose(path)
        keep = (header(headers, "connection") or "").lower() != "close"
        if rule and rule.action == "404":
            status, sent, keep2 = self.answer_404()
        else:
            fwd = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
            self.up.send(build_head("%s %s HTTP/1.1" % (method, target), fwd) + body)
            status, sent, keep2 = self.relay(method, rule)
        action = "%s %d" % (rule.action, rule.arg) if rule and rule.action in ACTIONS_WITH_ARG \
            else (rule.action if rule else "pass")
        self.cfg.log.write([method, path, rng, if_range, status, sent, action])
        return keep and keep2

    def answer_404(self):
        body = b"not found (fault_proxy)\n"
        self.conn.sendall(build_head("HTTP/1.1 404 Not Found", [
            ("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]) + body)
        return 404, len(body), True

    def read_response_head(self):
        first, headers = parse_head(self.up.reader.head())
        status = int(first.split(" ")[1])
        return first, headers, status

    def relay(self, method, rule):
        """Reads the upstream's reply and sends it on with rule's fault;
        returns (status, body bytes sent, keep the client connection)."""
        first, headers, status = self.read_response_head()
        while 100 <= status < 200:
            first, headers, status = self.read_response_head()
        up_keep = (header(headers, "connection") or "").lower() != "close"
        no_body = method == "HEAD" or status in (204, 304)
        te = (header(headers, "transfer-encoding") or "").lower()
        cl = header(headers, "content-length")
        out = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        if no_body:
            self.conn.sendall(build_head(first, out))
            if not up_keep:
                self.up.close()
            return status, 0, True
        chunked = None
        if "chunked" in te:
            chunked = self.read_chunked()
            length = len(chunked)
            out = [(k, v) for k, v in out if k.lower() not in ("transfer-encoding", "content-length")]
            out.append(("Content-Length", str(length)))
        elif cl is not None:
            length = int(cl)
        else:
            length = None   # until the upstream closes
            up_keep = False
            out.append(("Connection", "close"))
        start = self.range_start(headers)
        sent, keep = self.send_body(first, out, chunked, length, start, rule)
        if not up_keep or sent < (length or 0) or (length is None):
            self.up.close()
        return status, sent, keep and up_keep

    def read_chunked(self):
        data = []
        total = 0
        while True:
            size = int(self.up.reader.line().split(b";")[0].strip(), 16)
            if size == 0:
                while self.up.reader.line() != b"\r\n":
                    pass
                return b"".join(data)
            total += size
            if total > MAX_CHUNKED:
                raise Closed()
            data.append(self.up.reader.exact(size))
            self.up.reader.line()

    @staticmethod
    def range_start(headers):
        cr = header(headers, "content-range")
        if cr and cr.startswith("bytes ") and "-" in cr:
            try:
                return int(cr[6:].split("-", 1)[0])
            except ValueError:
                pass
        return 0

    def body_pieces(self, chunked, length):
        """The upstream body, in pieces."""
        if chunked is not None:
            for i in range(0, len(chunked), 65536):
                yield chunked[i:i + 65536]
            return
        left = length
        while left is None or left > 0:
            try:
                d = self.up.reader.some(65536 if left is None else min(65536, left))
            except Closed:
                if left is None:
                    return
                raise
            if left is not None:
                left -= len(d)
            yield d

    def send_body(self, first, out, chunked, length, start, rule):
        """Sends the head and the body with the fault; (bytes sent, keep)."""
        action = rule.action if rule else "pass"
        limit = None
        if action == "truncate":
            limit = min(rule.arg, length) if length is not None else rule.arg
            out = [(k, v) for k, v in out if k.lower() != "content-length"]
            out.append(("Content-Length", str(limit)))
        elif action == "cut":
            limit = rule.arg
        self.conn.sendall(build_head(first, out))
        if action == "stall":
            self.stall()
            return 0, False
        sent = 0
        pos = start
        for d in self.body_pieces(chunked, length):
            if action == "flip" and pos <= rule.arg < pos + len(d):
                i = rule.arg - pos
                d = d[:i] + bytes([d[i] ^ 0xFF]) + d[i + 1:]
            pos += len(d)
            if limit is not None and sent + len(d) > limit:
                d = d[:limit - sent]
            if d:
                self.conn.sendall(d)
                sent += len(d)
            if limit is not None and sent >= limit:
                break
        if action == "truncate":
            return sent, sent == limit
        if action == "cut":
            return sent, False
        return sent, length is not None

    def stall(self):
        """Holds the connection silent until the client closes or --idle."""
        self.conn.settimeout(self.cfg.idle)
        try:
            while self.conn.recv(4096):
                pass
        except OSError:
            pass


class Config:
    pass


def main():
    ap = argparse.ArgumentParser(description="fault-injecting HTTP/1.1 reverse proxy (tests)")
    ap.add_argument("--upstream", required=True, help="HOST:PORT")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--rules", help="rules file, re-read before every request")
    ap.add_argument("--rule", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--idle", type=float, default=30)
    a = ap.parse_args()
    host, _, port = a.upstream.rpartition(":")
    cfg = Config()
    cfg.upstream = (host or "127.0.0.1", int(port))
    cfg.idle = a.idle
    cfg.rules = RuleSet(a.rules, a.rule)
    cfg.log = Log(a.log)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, a.port_file)

    deadline = time.monotonic() + a.timeout
    srv.settimeout(1)
    while time.monotonic() < deadline:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        conn.settimeout(a.idle)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=Handler(conn, cfg).run, daemon=True).start()
    print("fault_proxy: --timeout %g s reached, exiting" % a.timeout, file=sys.stderr)
    os._exit(0)


if __name__ == "__main__":
    main()
