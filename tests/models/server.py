#!/usr/bin/env python3
"""A small HTTP server on 127.0.0.1 for the installer tests.

  server.py ROOT CONTROL LOG PORTFILE

Serves the files below ROOT (GET, with "Range: bytes=N-"), writes the port
it listens on to PORTFILE, and appends one line per request to LOG:
"PATH RANGE STATUS" (RANGE is "-" without a Range header).  Before every
request it reads CONTROL, a JSON object mapping a path to a behaviour:
  {"mode": "404"}                     answer 404
  {"mode": "slow", "delay": 0.05}     send 1 KiB, then sleep, repeatedly
  {"mode": "truncate", "at": N}       close the connection after N body bytes
  {"mode": "truncate-once", "at": N}  the same, for the first request only
  {"mode": "norange"}                 ignore Range (always 200, whole file)
"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, CONTROL, LOG, PORTFILE = sys.argv[1:5]
seen = set()


def control():
    try:
        with open(CONTROL) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log(self, rng, status):
        with open(LOG, "a") as f:
            f.write("%s %s %d\n" % (self.path, rng or "-", status))

    def do_GET(self):
        rule = control().get(self.path, {})
        mode = rule.get("mode", "ok")
        rng = self.headers.get("Range")
        path = os.path.join(ROOT, self.path.lstrip("/"))
        if mode == "404" or not os.path.isfile(path):
            self.log(rng, 404)
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        data = open(path, "rb").read()
        start = 0
        if rng and mode != "norange" and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
        if start >= len(data) and start > 0:
            self.log(rng, 416)
            self.send_response(416)
            self.send_header("Content-Range", "bytes */%d" % len(data))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = data[start:]
        status = 206 if start > 0 else 200
        self.log(rng, status)
        self.send_response(status)
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d"
                             % (start, len(data) - 1, len(data)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if mode == "truncate" or (mode == "truncate-once"
                                  and self.path not in seen):
            seen.add(self.path)
            self.wfile.write(body[:rule.get("at", len(body) // 2)])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "slow":
            for i in range(0, len(body), 1024):
                self.wfile.write(body[i:i + 1024])
                self.wfile.flush()
                time.sleep(rule.get("delay", 0.05))
            return
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients hanging up early are part of the tests


server = Server(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
