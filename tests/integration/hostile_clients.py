#!/usr/bin/env python3
"""storesrv against hostile and careless clients, over raw sockets on 127.0.0.1.

Each check starts the real daemon (port 0, --threads 1 where the answering
thread or the per-thread budget decides the outcome) and talks to it the way
curl cannot: clients that keep sending while their response goes out, that
half-close, that pipeline and never read, that send a head one line at a
time, that open more connections than the server may hold, and requests
that break HTTP/1.1 framing.  Prints TAP; every loop is bounded in count and
time.
"""
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
TOP_BUILDDIR = os.environ.get("top_builddir") or TOP_SRCDIR
STORESRV = os.path.join(TOP_BUILDDIR, "storesrv", "storesrv")
STORE_DEMO = os.path.join(TOP_BUILDDIR, "demo", "store-demo")
WWW = os.path.join(TOP_SRCDIR, "www")

FILE_SIZE = 8 << 20	# sparse: no disk used
n_tests = 0
n_failed = 0


def ok(cond, name, *diag):
    global n_tests, n_failed
    n_tests += 1
    if not cond:
        n_failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n_tests, name))
    if not cond:
        for d in diag:
            print("# " + str(d).replace("\n", "\n# "))
    sys.stdout.flush()
    return cond


class Server:
    """The real storesrv in the foreground on 127.0.0.1, port 0."""

    def __init__(self, work, root, *args):
        self.portfile = os.path.join(work, "port")
        self.errfile = os.path.join(work, "storesrv.err")
        if os.path.exists(self.portfile):
            os.unlink(self.portfile)
        self.proc = subprocess.Popen(
            [STORESRV, "-f", "-r", root, "-w", WWW, "-l", "127.0.0.1:0",
             "--port-file", self.portfile, "--rescan", "no"] + list(args),
            stdout=subprocess.DEVNULL, stderr=open(self.errfile, "ab"))
        deadline = time.time() + 10
        self.port = None
        while time.time() < deadline and self.proc.poll() is None:
            try:
                with open(self.portfile) as f:
                    self.port = int(f.read().strip())
                break
            except (OSError, ValueError):
                time.sleep(0.05)

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def connect(self, timeout=5):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)


def read_all(s, limit=64 << 20, timeout=10):
    """Everything until EOF (or the limit, or the time), as bytes."""
    s.settimeout(timeout)
    chunks, total, end = [], 0, time.time() + timeout
    while total < limit and time.time() < end:
        try:
            b = s.recv(1 << 16)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not b:
            break
        chunks.append(b)
        total += len(b)
    return b"".join(chunks)


def exchange(server, raw, timeout=5):
    """Sends raw bytes, then reads until the server closes."""
    s = server.connect(timeout)
    try:
        s.sendall(raw)
        return read_all(s, timeout=timeout)
    finally:
        s.close()


def status_of(reply):
    m = re.match(rb"HTTP/(\d\.\d) (\d{3})", reply)
    return (m.group(1).decode(), int(m.group(2))) if m else (None, None)


def head_and_body(reply):
    head, _, body = reply.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def header(head, name):
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def closed_within(s, seconds):
    """True when the server closes s (EOF or reset) within the time."""
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
        if not r:
            continue
        try:
            if not s.recv(65536):
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


# --- the checks -------------------------------------------------------------

def check_input_not_buffered(work, root):
    """Defect 1: a client sending while its response goes out, and pipelined
    requests never read, must not grow the server's memory."""
    srv = Server(work, root, "--threads", "1")
    if not ok(srv.port is not None, "storesrv starts (input buffering)"):
        return
    base = srv.rss_kib()
    s = srv.connect()
    s.sendall(b"GET /release/download/big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    s.setblocking(False)
    junk = b"x" * (1 << 20)
    sent, end = 0, time.time() + 3
    while time.time() < end and sent < (400 << 20):
        try:
            sent += s.send(junk)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
    grown = (srv.rss_kib() - base) // 1024
    ok(grown < 64, "sending 400 MB while a response goes out: server grows %d MiB, client got %d MiB in"
       % (grown, sent >> 20), "sent %d bytes" % sent)
    s.close()
    ok(srv.stop() == 0, "clean exit after a client sent while its response went out")
    srv = Server(work, root, "--threads", "1")
    base = srv.rss_kib()
    s = srv.connect()
    s.setblocking(False)
    req = b"GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\n\r\n" * 1000
    sent, end = 0, time.time() + 3
    while time.time() < end and sent < (200 << 20):
        try:
            sent += s.send(req)
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            break
    grown = (srv.rss_kib() - base) // 1024
    ok(grown < 64, "pipelined requests never read: server grows %d MiB (%d MiB of requests in)"
       % (grown, sent >> 20))
    s.close()
    time.sleep(0.5)
    ok(srv.stop() == 0, "clean exit after the buffering attacks")


def check_half_close_and_head(work, root):
    srv = Server(work, root, "--threads", "1")
    if not ok(srv.port is not None, "storesrv starts (half-close, HEAD)"):
        return
    # Defect 2: printf 'GET ... HTTP/1.0\r\n\r\n' | nc -N
    size = os.path.getsize(os.path.join(root, "release/download/f00.bin"))
    s = srv.connect()
    s.sendall(b"GET /release/download/f00.bin HTTP/1.0\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    head, body = head_and_body(read_all(s))
    s.close()
    ok(status_of(head.encode())[1] == 200 and len(body) == size,
       "half-closed client receives the whole body (%d of %d bytes)" % (len(body), size))
    s = srv.connect()
    s.sendall(b"GET /release/download/mid.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-99999\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    head, body = head_and_body(read_all(s))
    s.close()
    ok(len(body) == 100000, "half-closed HTTP/1.1 client receives its range (%d bytes)" % len(body))

    # Defect 3: HEAD error replies carry no body on a kept-alive connection.
    for name, extra, path in (
            ("404", "", "/release/download/nope.bin"),
            ("400", "", "/release/download/%00"),
            ("412", "If-Match: \"nope\"\r\n", "/release/download/firmware.json"),
            ("416", "Range: bytes=999999999-\r\n", "/release/download/mid.bin"),
            ("405 of a path outside download", "", "/"),
            ("200", "", "/release/download/mid.bin")):
        raw = ("HEAD %s HTTP/1.1\r\nHost: t\r\n%s\r\n"
               "GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
               % (path, extra)).encode()
        reply = exchange(srv, raw)
        first, _, rest = reply.partition(b"\r\n\r\n")
        ok(rest.startswith(b"HTTP/1.1 200"), "HEAD %s: no body before the next reply" % name,
           first.decode("latin-1"), rest[:80])
    ok(srv.stop() == 0, "clean exit after half-close and HEAD")


def check_slow_heads(work, root):
    """Defect 4: a head must arrive whole within --header-timeout."""
    srv = Server(work, root, "--threads", "1", "--header-timeout", "2", "--timeout", "60")
    if not ok(srv.port is not None, "storesrv starts with --header-timeout 2"):
        return
    s = srv.connect()
    s.sendall(b"GET /release/download/apps.json HTTP/1.1\r\n")
    start = time.time()
    closed = False
    while time.time() - start < 6:
        try:
            s.sendall(b"X-Slow: 1\r\n")
        except OSError:
            closed = True
            break
        if closed_within(s, 0.5):
            closed = True
            break
    took = time.time() - start
    ok(closed and took < 4, "one header line every 0.5 s: closed after %.1f s" % took)
    s.close()
    s = srv.connect()
    start = time.time()
    ok(closed_within(s, 5) and time.time() - start < 4,
       "a connection that sends nothing is closed by the head deadline (%.1f s)" % (time.time() - start))
    s.close()
    # A kept-alive connection gets the deadline anew after each response.
    s = srv.connect()
    s.sendall(b"GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(1.5)
    s.sendall(b"GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    replies = read_all(s)
    ok(replies.count(b"HTTP/1.1 200") == 2, "a kept-alive connection's next head gets a fresh deadline")
    s.close()
    ok(srv.stop() == 0, "clean exit after slow heads")


def check_budget(work, root):
    """Defects 4 and 5: beyond max-connections the slowest go, normal
    clients are served, and every download in progress has its file."""
    srv = Server(work, root, "--threads", "1", "--max-connections", "40", "--cache-entries", "1")
    if not ok(srv.port is not None, "storesrv starts with --max-connections 40"):
        return
    slow = []
    for _ in range(300):
        try:
            c = srv.connect(timeout=2)
            c.sendall(b"GET /release/download/apps.json HTTP/1.1\r\n")
            slow.append(c)
        except OSError:
            break
    time.sleep(0.5)
    served = 0
    for _ in range(5):
        try:
            reply = exchange(srv, b"GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\n"
                                  b"Connection: close\r\n\r\n", timeout=3)
            served += status_of(reply)[1] == 200
        except OSError:
            pass
    ok(served == 5, "300 slow clients open: normal clients served (%d of 5)" % served)
    for c in slow:
        c.close()
    time.sleep(0.5)
    # 40 downloads of 40 different large files, none read yet.
    conns = []
    for i in range(40):
        c = srv.connect()
        c.sendall(("GET /release/download/f%02d.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                   % i).encode())
        conns.append(c)
    time.sleep(1)
    statuses, complete = [], 0
    for c in conns:
        head, body = head_and_body(read_all(c, limit=2 * FILE_SIZE, timeout=10))
        st = status_of(head.encode())[1]
        statuses.append(st)
        complete += st == 200 and len(body) == FILE_SIZE
        c.close()
    ok(complete == 40, "40 downloads of different files at max-connections 40: %d complete" % complete,
       "statuses: %s" % statuses)
    ok(srv.stop() == 0, "clean exit after the budget checks")


def connect_from_random_port(srv, rng):
    """A connection from a random source port: the kernel hands a connection
    to one of the SO_REUSEPORT sockets by a hash of its addresses, so random
    ports spread them as real clients do (sequential ones alternate)."""
    for _ in range(50):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            c.bind(("127.0.0.1", rng.randrange(20000, 60000)))
            c.settimeout(5)
            c.connect(("127.0.0.1", srv.port))
            return c
        except OSError:
            c.close()
    raise OSError("no free source port")


def check_budget_shared(work, root):
    """The budget is the process's, not a share per thread: with two
    threads, 38 downloads in progress and max-connections 40, a new client
    is served whichever thread the kernel hands it to."""
    srv = Server(work, root, "--threads", "2", "--max-connections", "40")
    if not ok(srv.port is not None, "storesrv starts with --threads 2 --max-connections 40"):
        return
    conns = []
    rng = random.Random(6)
    for i in range(38):
        c = connect_from_random_port(srv, rng)
        c.sendall(("GET /release/download/f%02d.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                   % i).encode())
        conns.append(c)
    time.sleep(0.5)
    served = 0
    for _ in range(10):
        try:
            c = connect_from_random_port(srv, rng)
            c.sendall(b"GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            served += status_of(read_all(c, timeout=3))[1] == 200
            c.close()
        except OSError:
            pass
    ok(served == 10, "38 downloads in progress on 2 threads: new clients served (%d of 10)" % served)
    for c in conns:
        c.close()
    ok(srv.stop() == 0, "clean exit (shared budget)")


def check_port_in_use(work, root):
    """Defect 6: a second storesrv on a port in use refuses to start."""
    srv = Server(work, root, "--threads", "2")
    if not ok(srv.port is not None, "storesrv starts (port in use)"):
        return
    other = os.path.join(work, "other")
    os.makedirs(os.path.join(other, "release", "download"), exist_ok=True)
    try:
        second = subprocess.run(
            [STORESRV, "-f", "-r", other, "-w", WWW, "-l", "127.0.0.1:%d" % srv.port, "--rescan", "no"],
            capture_output=True, timeout=10)
        rc, err = second.returncode, second.stderr.decode()
    except subprocess.TimeoutExpired:
        rc, err = None, "still running after 10 s"
    ok(rc not in (0, None), "a second storesrv on the same port exits with an error (%s)" % rc)
    ok("already in use" in err, "and says the address is in use", err)
    hits = sum(status_of(exchange(srv, b"GET /release/download/apps.json HTTP/1.0\r\n\r\n"))[1] == 200
               for _ in range(10))
    ok(hits == 10, "the first server answers every request (%d of 10)" % hits)
    ok(srv.stop() == 0, "clean exit (port in use)")


FRAMING = [
    # name, raw request, status wanted, must the connection close?
    ("two different Content-Length",
     "GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\nhello",
     400),
    ("Content-Length: +5",
     "GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello", 400),
    ("'Transfer-Encoding :' with a space",
     "GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n"
     "0\r\n\r\nGET /release/download/firmware.json HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    ("a header name with a space",
     "GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\nX Bad: 1\r\n\r\n", 400),
    ("an empty header name",
     "GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\n: empty\r\n\r\n", 400),
    ("HTTP/1.1 without Host", "GET /release/download/apps.json HTTP/1.1\r\n\r\n", 400),
    ("HTTP/1.1 with two Host", "GET /release/download/apps.json HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("Transfer-Encoding gzip", "GET /release/download/apps.json HTTP/1.1\r\nHost: t\r\n"
     "Transfer-Encoding: gzip\r\n\r\n", 501),
    ("HTTP/1.2", "GET /release/download/apps.json HTTP/1.2\r\nHost: t\r\n\r\n", 505),
    ("HTTP/2.0 (evhttp refuses it)", "GET /release/download/apps.json HTTP/2.0\r\nHost: t\r\n\r\n", 400),
]


def check_framing(work, root):
    """Defect 9: HTTP/1.1 framing rules; every refusal closes the connection."""
    srv = Server(work, root, "--threads", "1")
    if not ok(srv.port is not None, "storesrv starts (framing)"):
        return
    for name, raw, want in FRAMING:
        s = srv.connect()
        s.sendall(raw.encode())
        reply = read_all(s, timeout=5)
        s.close()
        version, status = status_of(reply)
        ok(status == want and version == "1.1" and reply.count(b"HTTP/1.") == 1,
           "%s: %d, one reply, connection closed" % (name, want), reply[:300])
    for name, method in (("PROPFIND", "PROPFIND"), ("lower-case get", "get"), ("MKCOL", "MKCOL"),
                         ("DELETE", "DELETE")):
        reply = exchange(srv, ("%s /release/download/apps.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                               % method).encode())
        head, _ = head_and_body(reply)
        ok(status_of(reply)[1] == 405 and header(head, "Allow") == "GET, HEAD, OPTIONS",
           "%s: 405 with Allow" % name, head)
    s = srv.connect()
    s.sendall(b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nConnection: close\r\n\r\n")
    reply = s.recv(4096)
    ok(status_of(reply)[1] == 400, "CONNECT to an authority: 400 (not a path of the store)", reply[:200])
    ok(closed_within(s, 3), "CONNECT with Connection: close: the connection closes")
    s.close()
    ok(srv.stop() == 0, "clean exit (framing)")


def main():
    if not os.access(STORESRV, os.X_OK):
        print("1..0 # SKIP storesrv not built")
        return 0
    work = tempfile.mkdtemp(prefix="storesrv-hostile.")
    try:
        root = os.path.join(work, "root")
        with open(os.path.join(work, "store-demo.log"), "wb") as log:
            subprocess.run([STORE_DEMO, os.path.join(TOP_SRCDIR, "demo", "demo-store.json"), root],
                           stdout=log, stderr=log, check=True)
        dl = os.path.join(root, "release", "download")
        with open(os.path.join(dl, "big.bin"), "wb") as f:
            f.truncate(256 << 20)
        with open(os.path.join(dl, "mid.bin"), "wb") as f:
            f.write(os.urandom(1 << 20))
        for i in range(40):
            with open(os.path.join(dl, "f%02d.bin" % i), "wb") as f:
                f.truncate(FILE_SIZE)
        check_input_not_buffered(work, root)
        check_half_close_and_head(work, root)
        check_slow_heads(work, root)
        check_budget(work, root)
        check_budget_shared(work, root)
        check_port_in_use(work, root)
        check_framing(work, root)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % n_tests)
    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
