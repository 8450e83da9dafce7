#!/usr/bin/env python3
"""hostile_server.py - a registry that misbehaves in one way per repository name.

Interface (scripts/registry.sh starts it; tests/hostile.rs relies on it):

  hostile_server.py --fixture DIR --port PORT [--host 127.0.0.1] [--stall-seconds 20]
                    [--lifetime-minutes 120] [--watch-pid PID] [--state-dir DIR]

It serves the OCI image layout DIR (its first manifest, tag `t`) through the registry API
(`/v2/`, `/v2/<case>/manifests/<ref>`, `/v2/<case>/blobs/<digest>`) on 127.0.0.1 only. The
repository name <case> picks the misbehaviour; `good` serves the image honestly.

  range-200        a blob Range -> 200 and the whole blob
  range-short      206 with the asked Content-Range, but half the bytes (Content-Length says so)
  range-long       206 with the asked Content-Range, but twice the bytes
  range-other      206 with the right length but a Content-Range for other bytes
  range-416        416 to every blob Range
  range-503        503 to every blob request
  stall-headers    a blob request: nothing at all for --stall-seconds, then the connection closes
  stall-body       a blob request: headers and the first half of the body, then nothing
  redirect-loop    a blob request -> 302 to itself
  redirect-scheme  a blob request -> 302 to file:///etc/passwd
  manifest-huge    the manifest is 100 MB of JSON whitespace (streamed; Content-Length says so)
  index-10000      the tag is an index of 10,000 platforms; the last is linux/amd64 (the image)
  size-tiny        the layer descriptor claims 10 bytes
  size-huge        the layer descriptor claims 2^62 bytes
  size-negative    the layer descriptor claims -1 bytes
  size-2p53        the layer descriptor claims 2^53 + 1 bytes
  toc-over-limit   the layer's manifest-position annotation claims a 167 MiB TOC (descriptor
                   size 200 MiB): the reference puller pulls it whole without reading it
  tarsplit-over-limit  the tarsplit-position annotation claims the tar-split decompresses to
                   9 GiB (offset and compressed length true): over chunkscope's cap, not podman's
  toc-claims-120mib  the annotations claim a 120 MiB TOC (descriptor size 200 MiB, no
                   tar-split); its range answers 206 announcing all 120 MiB, sends 4 KiB and closes

Every request is counted per case: GET /_hostile/stats/<case> answers {"requests": N, "bytes": M}
(body bytes written to the socket for that case) so tests can bound the bytes a client let the
server send.

Lifetime: exits after --lifetime-minutes, or as soon as --watch-pid is gone.
"""

import argparse
import hashlib
import json
import os
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
HUGE_MANIFEST = 100 * 1000 * 1000
MANIFEST_POSITION = "io.github.containers.zstd-chunked.manifest-position"
TARSPLIT_POSITION = "io.github.containers.zstd-chunked.tarsplit-position"


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


class Image:
    def __init__(self, layout):
        self.layout = layout
        index = json.load(open(os.path.join(layout, "index.json")))
        self.manifest_bytes = self.blob(index["manifests"][0]["digest"])
        self.manifest = json.loads(self.manifest_bytes)

    def blob(self, digest):
        algo, hexd = digest.split(":", 1)
        if not re.fullmatch(r"[0-9a-f]{64}", hexd) or algo != "sha256":
            return None
        p = os.path.join(self.layout, "blobs", algo, hexd)
        return open(p, "rb").read() if os.path.exists(p) else None

    def manifest_for(self, case):
        """The manifest bytes served for a case (the honest one unless the case lies)."""
        sizes = {"size-tiny": 10, "size-huge": 1 << 62, "size-negative": -1, "size-2p53": (1 << 53) + 1}
        # The TOC the annotations claim, in a claimed 200 MiB blob.
        tocs = {"toc-over-limit": 167 << 20, "toc-claims-120mib": 120 << 20}
        if case not in sizes and case not in tocs and case != "tarsplit-over-limit":
            return self.manifest_bytes
        m = json.loads(self.manifest_bytes)
        layer = m["layers"][0]
        if case in sizes:
            layer["size"] = sizes[case]
        elif case == "tarsplit-over-limit":
            a = layer["annotations"]
            offset, length, _ = a[TARSPLIT_POSITION].split(":")
            a[TARSPLIT_POSITION] = f"{offset}:{length}:{9 << 30}"
        else:
            layer["size"] = 200 << 20
            toc = tocs[case]
            if case == "toc-claims-120mib":
                layer["annotations"] = {
                    k: v for k, v in layer["annotations"].items() if "tarsplit" not in k
                }
            layer["annotations"][MANIFEST_POSITION] = f"{(200 << 20) - toc - 4096}:{toc}:{toc + 1}:1"
        return json.dumps(m).encode()

    def index_10000(self, manifest_digest, size):
        entries = [
            {"mediaType": OCI_MANIFEST, "digest": sha(f"p{i}".encode()), "size": 500,
             "platform": {"architecture": f"arch{i}", "os": "linux"}}
            for i in range(9999)
        ]
        entries.append({"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": size,
                        "platform": {"architecture": "amd64", "os": "linux"}})
        return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()


class Stats:
    lock = threading.Lock()
    by_case = {}

    @classmethod
    def add(cls, case, requests, nbytes):
        with cls.lock:
            r, b = cls.by_case.get(case, (0, 0))
            cls.by_case[case] = (r + requests, b + nbytes)


def make_handler(image, stall_seconds):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def count(self, n):
            Stats.add(getattr(self, "case", ""), 0, n)

        def send(self, status, body=b"", ctype="application/octet-stream", headers=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Expose-Headers", "Content-Range, Content-Length, Docker-Content-Digest")
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.count(len(body))

        def do_OPTIONS(self):
            self.send_response(200)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Accept, Authorization, Range")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            self.case = ""
            if path.startswith("/_hostile/stats/"):
                with Stats.lock:
                    r, b = Stats.by_case.get(path.rsplit("/", 1)[1], (0, 0))
                return self.send(200, json.dumps({"requests": r, "bytes": b}).encode(), "application/json")
            if path in ("/v2/", "/v2"):
                return self.send(200, b"{}", "application/json")
            m = re.fullmatch(r"/v2/([a-z0-9-]+)/(manifests|blobs)/([^/]+)", path)
            if not m:
                return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}', "application/json")
            case, kind, ref = m.groups()
            self.case = case
            Stats.add(case, 1, 0)
            if kind == "manifests":
                return self.manifest(case, ref)
            return self.blob(case, ref)

        def manifest(self, case, ref):
            body = image.manifest_for(case)
            if case == "manifest-huge":
                self.send_response(200)
                self.send_header("Content-Type", OCI_MANIFEST)
                self.send_header("Content-Length", str(HUGE_MANIFEST))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                chunk = b" " * 65536
                sent = 0
                try:
                    while sent < HUGE_MANIFEST:
                        n = min(len(chunk), HUGE_MANIFEST - sent)
                        self.wfile.write(chunk[:n])
                        sent += n
                        self.count(n)
                except OSError:
                    pass  # the client hung up: what it should do
                self.close_connection = True
                return
            if case == "index-10000" and not ref.startswith("sha256:"):
                body = image.index_10000(sha(image.manifest_bytes), len(image.manifest_bytes))
                return self.send(200, body, OCI_INDEX, [("Docker-Content-Digest", sha(body))])
            if ref.startswith("sha256:") and ref != sha(body):
                if case == "index-10000" and ref == sha(image.manifest_bytes):
                    body = image.manifest_bytes
                else:
                    return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', "application/json")
            return self.send(200, body, OCI_MANIFEST, [("Docker-Content-Digest", sha(body))])

        def blob(self, case, digest):
            data = image.blob(digest)
            if data is None:
                return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}', "application/json")
            if case == "range-503":
                return self.send(503, b"service unavailable", "text/plain")
            if case == "redirect-loop":
                return self.send(302, b"", headers=[("Location", self.path)])
            if case == "redirect-scheme":
                return self.send(302, b"", headers=[("Location", "file:///etc/passwd")])
            if case == "stall-headers":
                time.sleep(stall_seconds)
                self.close_connection = True
                return
            rng = self.headers.get("Range")
            m = re.fullmatch(r"bytes=(\d+)-(\d+)", rng or "")
            if rng is None or case == "range-200" or not m:
                return self.send(200, data)
            if case == "toc-claims-120mib":
                first, last = int(m.group(1)), int(m.group(2))
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {first}-{last}/{200 << 20}")
                self.send_header("Content-Length", str(last - first + 1))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Expose-Headers", "Content-Range, Content-Length")
                self.end_headers()
                self.wfile.write(b"\0" * 4096)
                self.wfile.flush()
                self.count(4096)
                self.close_connection = True
                return
            first, last = int(m.group(1)), min(int(m.group(2)), len(data) - 1)
            if case == "range-416" or first > last:
                return self.send(416, b"", headers=[("Content-Range", f"bytes */{len(data)}")])
            part = data[first:last + 1]
            cr = f"bytes {first}-{last}/{len(data)}"
            if case == "range-short":
                part = part[: len(part) // 2]
            elif case == "range-long":
                part = part + part
            elif case == "range-other":
                cr = f"bytes 0-{len(part) - 1}/{len(data)}" if first != 0 else f"bytes 1-{len(part)}/{len(data)}"
            if case == "stall-body":
                self.send_response(206)
                self.send_header("Content-Range", cr)
                self.send_header("Content-Length", str(len(part)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Expose-Headers", "Content-Range, Content-Length")
                self.end_headers()
                half = part[: len(part) // 2]
                self.wfile.write(half)
                self.wfile.flush()
                self.count(len(half))
                time.sleep(stall_seconds)
                self.close_connection = True
                return
            return self.send(206, part, headers=[("Content-Range", cr)])

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--stall-seconds", type=float, default=20)
    ap.add_argument("--lifetime-minutes", type=float, default=120)
    ap.add_argument("--watch-pid", type=int)
    ap.add_argument("--state-dir", help="the test state dir (on the command line so that `stop` knows us)")
    a = ap.parse_args()
    if a.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("hostile_server.py listens on loopback only")
    image = Image(a.fixture)
    srv = ThreadingHTTPServer((a.host, a.port), make_handler(image, a.stall_seconds))
    srv.daemon_threads = True
    deadline = time.time() + a.lifetime_minutes * 60

    def watchdog():
        while time.time() < deadline:
            if a.watch_pid:
                try:
                    os.kill(a.watch_pid, 0)
                except OSError:
                    break
            time.sleep(2)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watchdog, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    srv.serve_forever()


if __name__ == "__main__":
    main()
