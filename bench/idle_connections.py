#!/usr/bin/env python3
"""
idle_connections: the memory a server needs for many idle keep-alive
connections.

Reads VmRSS/VmHWM of the given processes, opens COUNT connections to
127.0.0.1:PORT, sends one GET of PATH on each and reads the whole reply
(HTTP/1.1, so the connection stays open), reads VmRSS/VmHWM again while all
connections are held open and idle, then closes them.  Prints one line per
measurement:

    before rss_kib=N hwm_kib=N
    idle   rss_kib=N hwm_kib=N connections=N

The figures are sums over all the PIDs given (nginx: its worker processes
plus the master).  Loopback only; every socket operation has a timeout.
"""
import argparse
import resource
import socket
import sys
import time

REPLY_TIMEOUT = 10.0


def status_kib(pids):
    """Sums VmRSS and VmHWM (KiB) of pids from /proc/PID/status."""
    rss = hwm = 0
    for pid in pids:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm += int(line.split()[1])
    return rss, hwm


def read_reply(sock):
    """Reads one HTTP reply with a Content-Length body; returns the status."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before the reply head")
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed inside the reply body")
        body += chunk
    return status


def open_idle(port, path, count, socks):
    """Opens count keep-alive connections, each after one complete GET;
    appends them to socks (the caller closes them, also on error)."""
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "User-Agent: idle_connections\r\n\r\n").encode("ascii")
    for i in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT)
        socks.append(s)
        s.sendall(request)
        status = read_reply(s)
        if status != 200:
            raise RuntimeError(f"connection {i}: status {status}")


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            sys.exit(f"idle_connections: need {need} descriptors, hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", required=True, help="URL path to GET on each connection")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds to wait with all connections idle before measuring")
    ap.add_argument("pids", type=int, nargs="+", help="processes whose memory is summed")
    args = ap.parse_args()

    raise_fd_limit(args.count + 64)
    rss, hwm = status_kib(args.pids)
    print(f"before rss_kib={rss} hwm_kib={hwm}", flush=True)
    socks = []
    try:
        open_idle(args.port, args.path, args.count, socks)
        time.sleep(args.settle)
        rss, hwm = status_kib(args.pids)
        print(f"idle rss_kib={rss} hwm_kib={hwm} connections={len(socks)}", flush=True)
    except (OSError, RuntimeError, ValueError, IndexError) as e:
        print(f"idle_connections: after {len(socks)} connections: {e}", file=sys.stderr)
        return 1
    finally:
        for s in socks:
            s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
