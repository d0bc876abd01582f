#!/usr/bin/env python3
"""A WebDAV server that misbehaves on purpose, for mirror_push.sh.

    push_hostile_dav.py PORT_FILE LOG_FILE

Listens on 127.0.0.1:0, writes the port to PORT_FILE, logs "METHOD PATH"
per request to LOG_FILE and answers by the first path segment:

  /chunked/  a working share without Allow or MOVE: PROPFIND answers 207 in
             chunks after a 100 Continue, lists nothing; MKCOL and PUT 201;
             MOVE 405 (the client must fall back to a direct PUT); DELETE 204
  /doctype/  PROPFIND: a multistatus with a DOCTYPE and an entity
  /notxml/   PROPFIND: 207 that is not XML
  /bighead/  PROPFIND: a 10,000-byte header line
  /bigbody/  PROPFIND: a 17 MiB body
  /stall/    reads the request, never answers
  /cut/      a working share whose PUT reads 64 KiB of the body, then resets
             the connection
  /full/     a working share whose PUT answers 507 Insufficient Storage
Stops by itself after 120 s.
"""
import socket
import socketserver
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

LOG = None
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        while n > 0:
            chunk = self.rfile.read(min(n, 65536))
            if not chunk:
                break
            n -= len(chunk)

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def propfind(self, mode):
        if mode == "chunked":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = (b'<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response>'
                    b"<D:href>" + self.path.encode() + b"</D:href><D:propstat><D:prop>"
                    b"<D:resourcetype><D:collection/></D:resourcetype></D:prop>"
                    b"<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
                    b"</D:multistatus>")
            self.wfile.write(b"HTTP/1.1 207 Multi-Status\r\nTransfer-Encoding: chunked\r\n\r\n")
            for i in range(0, len(body), 50):
                part = body[i:i + 50]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif mode == "doctype":
            self.reply(207, b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]>'
                       b'<D:multistatus xmlns:D="DAV:">&a;</D:multistatus>')
        elif mode == "notxml":
            self.reply(207, b"this is not <xml")
        elif mode == "bighead":
            self.reply(207, b"", [("X-Long", "a" * 10000)])
        elif mode == "bigbody":
            self.reply(207, b"<" + b"a" * (17 << 20))
        elif mode == "stall":
            time.sleep(30)

    def handle_any(self):
        with LOCK:
            LOG.write("%s %s\n" % (self.command, self.path))
            LOG.flush()
        mode = self.path.split("/")[1]
        if mode == "cut" and self.command == "PUT":
            self.rfile.read(65536)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.read_body()
        if self.command == "PROPFIND":
            self.propfind("chunked" if mode in ("cut", "full") else mode)
        elif self.command == "PUT" and mode == "full":
            self.reply(507)
        elif self.command in ("MKCOL", "PUT"):
            self.reply(201)
        elif self.command == "MOVE":
            self.reply(405)
        elif self.command == "DELETE":
            self.reply(204)
        elif self.command == "OPTIONS":
            self.reply(200)
        else:
            self.reply(404)

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global LOG
    LOG = open(sys.argv[2], "a")
    srv = Server(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    threading.Timer(120, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
