#!/usr/bin/env python3
"""behaviour_front.py - a front before a real registry that answers ranges like each behaviour class.

Interface (scripts/registry.sh starts it; the planner tests and the probe tests rely on it):

  behaviour_front.py --upstream http://127.0.0.1:REGISTRY_PORT --log-dir DIR
                     --front NAME=PORT:BEHAVIOUR [--front ...]
                     [--host 127.0.0.1] [--lifetime-minutes 120] [--watch-pid PID]

One listening port per --front, all in one process, all on 127.0.0.1. Every request is proxied
to the upstream registry (a CNCF distribution with filesystem storage, which answers multi-range
requests with 206 multipart/byteranges) unless the behaviour below says otherwise. Headers go
upstream as the client sent them: repeated headers (containers/image sends one Accept line per
manifest type) stay separate lines, never folded into one.

BEHAVIOUR is the class text form of chunkscope's registry::behaviour (CLASS[:STATUS][:CAP]),
plus the `:plain` suffix for a 416 without a body:

  multipart             everything passed through
  whole-body            a Range with 2+ ranges -> 200 and the whole blob; one range -> 206
  rejected:400          2+ ranges -> 400 (a plain-text body, as GCS sends)
  rejected:416          2+ ranges -> 416 with a distribution-style JSON errors body (zot)
  rejected:416:plain    2+ ranges -> 416 with no body
  rejected:501          2+ ranges -> 501 "Unsupported client range" (GHCR)
  range-cap:416:16      up to 16 ranges passed through (multipart), more -> 416 (zot >= 2.1.12)
  range-cap:400:64      up to 64 ranges passed through, more -> 400
  first-range-only      2+ ranges -> a plain 206 of the first range only (Ceph RGW)
  no-range              any Range -> 200 and the whole blob, no Accept-Ranges header
  first-200             the first ranged GET of each blob -> 200 and the whole blob, later ones
                        passed through (distribution 3.x without a blob descriptor cache,
                        distribution#4667). `GET /_behaviour/reset` on that port forgets which
                        blobs were seen (tests call it before they measure).

Only blob GETs (`/v2/<repo>/blobs/<digest>`) with a Range header are treated specially. Responses
the front makes itself carry the same CORS headers as the test registry's config.

Log: DIR/behaviour-NAME.jsonl, one JSON object per request:
  {"time", "front": NAME, "behaviour", "method", "path", "range" ("" when none), "ranges"
   (number of ranges in it, 0 when none), "status", "bytes" (body bytes sent), "origin"
   ("" when none), "upstream_status" (null when the front answered alone), "accept" (the
   Accept header lines, in order)}

Lifetime: exits after --lifetime-minutes, or as soon as --watch-pid is gone.
"""

import argparse
import http.client
import json
import os
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "HEAD, GET, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Range, Authorization, Cache-Control",
    "Access-Control-Expose-Headers": (
        "Content-Range, Content-Length, Docker-Content-Digest, WWW-Authenticate, ETag, Accept-Ranges"
    ),
}
HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
       "upgrade", "host"}
BLOB = re.compile(r"^/v2/.+/blobs/sha256:[0-9a-f]{64}$")
MAX_RANGE_HEADER = 64 << 10


def parse_behaviour(text):
    parts = text.split(":")
    cls = parts[0]
    b = {"class": cls, "status": None, "cap": None, "plain": False}
    rest = parts[1:]
    if rest and rest[-1] == "plain":
        b["plain"] = True
        rest = rest[:-1]
    if cls in ("rejected", "range-cap"):
        b["status"] = int(rest[0])
        if cls == "range-cap":
            b["cap"] = int(rest[1])
    elif cls not in ("multipart", "whole-body", "first-range-only", "no-range", "first-200") or rest:
        raise ValueError(f"unknown behaviour {text!r}")
    return b


def count_ranges(value):
    if not value:
        return 0
    v = value.strip()
    if not v.lower().startswith("bytes="):
        return 0
    return len([p for p in v[6:].split(",") if p.strip()])


def first_range(value):
    return value.strip()[6:].split(",")[0].strip()


class Front:
    def __init__(self, name, behaviour, upstream, log_path):
        self.name = name
        self.text = behaviour
        self.b = parse_behaviour(behaviour)
        u = urlsplit(upstream)
        self.up_host, self.up_port = u.hostname, u.port or 80
        self.log_path = log_path
        self.lock = threading.Lock()
        self.seen = set()  # first-200: blob paths already answered once
        open(log_path, "a").close()

    def log(self, rec):
        line = json.dumps(rec, separators=(",", ":"))
        with self.lock:
            with open(self.log_path, "a") as f:
                f.write(line + "\n")


def make_handler(front):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "behaviour-front"

        def log_message(self, *a):
            pass

        def record(self, status, sent, upstream_status):
            rng = self.headers.get("Range", "")
            front.log({
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "front": front.name,
                "behaviour": front.text,
                "method": self.command,
                "path": self.path,
                "range": rng,
                "ranges": count_ranges(rng),
                "status": status,
                "bytes": sent,
                "origin": self.headers.get("Origin", ""),
                "upstream_status": upstream_status,
                "accept": self.headers.get_all("Accept") or [],
            })

        def own(self, status, body=b"", ctype="text/plain; charset=utf-8", extra=None):
            """An answer the front makes itself."""
            self.send_response(status)
            for k, v in CORS.items():
                self.send_header(k, v)
            self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
            if body:
                self.send_header("Content-Type", ctype)
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            sent = 0
            if self.command != "HEAD" and body:
                self.wfile.write(body)
                sent = len(body)
            self.record(status, sent, None)

        def upstream(self, range_value=..., whole_as_200=False, drop_accept_ranges=False):
            """Proxies the request; range_value None drops Range, a string replaces it."""
            conn = http.client.HTTPConnection(front.up_host, front.up_port, timeout=120)
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", f"{front.up_host}:{front.up_port}")
            for k, v in self.headers.items():  # repeated headers stay repeated
                lk = k.lower()
                if lk in HOP or lk == "content-length":
                    continue
                if lk in ("range", "if-range") and range_value is not ...:
                    continue
                conn.putheader(k, v)
            if range_value not in (..., None):
                conn.putheader("Range", range_value)
            body = None
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                body = self.rfile.read(n)
                conn.putheader("Content-Length", str(n))
            conn.endheaders(body)
            r = conn.getresponse()
            status = r.status
            self.send_response(status)
            for k, v in r.getheaders():
                lk = k.lower()
                if lk in HOP or (drop_accept_ranges and lk == "accept-ranges"):
                    continue
                self.send_header(k, v)
            chunked = r.getheader("Content-Length") is None and self.command != "HEAD" \
                and status not in (204, 304)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            try:
                if self.command != "HEAD":
                    while True:
                        chunk = r.read(64 << 10)
                        if not chunk:
                            break
                        if chunked:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        else:
                            self.wfile.write(chunk)
                        sent += len(chunk)
                    if chunked:
                        self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client cancelled (a 200 to a range)
            finally:
                conn.close()
                self.record(status, sent, status)

        def do_GET(self):
            if self.path == "/_behaviour/reset":
                with front.lock:
                    front.seen.clear()
                return self.own(200, b'{"reset":true}\n', "application/json")
            self.dispatch()

        def do_HEAD(self):
            self.dispatch()

        def do_OPTIONS(self):
            self.upstream()

        def dispatch(self):
            rng = self.headers.get("Range")
            path = self.path.split("?")[0]
            if not rng or self.command != "GET" or not BLOB.match(path):
                return self.upstream()
            if len(rng) > MAX_RANGE_HEADER:
                return self.own(431)
            n = count_ranges(rng)
            b = front.b
            c = b["class"]
            if c == "no-range":
                return self.upstream(range_value=None, drop_accept_ranges=True)
            if c == "first-200":
                with front.lock:
                    first = path not in front.seen
                    front.seen.add(path)
                if first:
                    return self.upstream(range_value=None)
                return self.upstream()
            if n < 2:
                return self.upstream()
            if c == "whole-body":
                return self.upstream(range_value=None)
            if c == "first-range-only":
                return self.upstream(range_value="bytes=" + first_range(rng))
            if c == "range-cap" and n <= b["cap"]:
                return self.upstream()
            if c in ("rejected", "range-cap"):
                s = b["status"]
                if s == 416 and not b["plain"]:
                    body = json.dumps({"errors": [{
                        "code": "RANGE_NOT_SATISFIABLE" if c == "rejected" else "TOO_MANY_RANGES",
                        "message": f"{n} ranges requested" + (
                            f", at most {b['cap']} allowed" if c == "range-cap" else ""),
                        "detail": {"ranges": n}}]}).encode() + b"\n"
                    return self.own(416, body, "application/json")
                if s == 416:
                    return self.own(416)
                if s == 501:
                    return self.own(501, b"Unsupported client range\n")
                return self.own(s, b"Bad Request: multiple ranges are not supported\n"
                                if c == "rejected" else b"Bad Request: too many ranges\n")
            return self.upstream()

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--log-dir", required=True)
    ap.add_argument("--front", action="append", required=True, help="NAME=PORT:BEHAVIOUR")
    ap.add_argument("--lifetime-minutes", type=float, default=120)
    ap.add_argument("--watch-pid", type=int, default=0)
    a = ap.parse_args()
    if a.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("behaviour_front.py listens on loopback only")
    servers = []
    for spec in a.front:
        name, rest = spec.split("=", 1)
        port, behaviour = rest.split(":", 1)
        front = Front(name, behaviour, a.upstream, os.path.join(a.log_dir, f"behaviour-{name}.jsonl"))
        srv = ThreadingHTTPServer((a.host, int(port)), make_handler(front))
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        print(f"behaviour front {name} ({behaviour}) on http://{a.host}:{port}", file=sys.stderr)
    sys.stderr.flush()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    deadline = time.monotonic() + a.lifetime_minutes * 60
    while time.monotonic() < deadline:
        if a.watch_pid:
            try:
                os.kill(a.watch_pid, 0)
            except ProcessLookupError:
                print("watched process gone: exiting", file=sys.stderr)
                break
            except PermissionError:
                pass
        time.sleep(1)
    for srv in servers:
        srv.shutdown()


if __name__ == "__main__":
    main()
