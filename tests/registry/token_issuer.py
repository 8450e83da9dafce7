#!/usr/bin/env python3
"""token_issuer.py - a tiny Docker/OCI token service for chunkscope's tests (stdlib only).

Started by scripts/registry.sh next to a CNCF distribution configured with `auth: token`
(realm = http://HOST:PORT/token, the service and issuer names below, rootcertbundle = CERT).

    token_issuer.py --port PORT --key KEY.pem --cert CERT.pem --log LOG.jsonl
                    [--service chunkscope-test] [--issuer chunkscope-test-issuer]
                    [--users tester:s3cret]

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...]
  * no Authorization           -> anonymous: `pull` on every repository asked for;
  * Basic USER:PASSWORD known  -> everything asked for among `pull` and `push`;
  * any other Authorization    -> 401 (wrong password, unknown user, a Bearer, ...).
  Answer: {"token", "access_token", "expires_in", "issued_at"}; the token is an RS256 JWT
  (signed with `openssl dgst -sha256 -sign KEY`) whose header carries the certificate as
  `x5c` (base64 DER), which distribution checks against its rootcertbundle; claims iss, sub,
  aud (= service), exp, nbf, iat, jti, access.
OPTIONS *     -> 204 with the CORS headers (browsers preflight a token request that carries
                 Authorization, i.e. Basic credentials).
GET /log      -> the log so far as a JSON array (so a browser test can read it).
GET /         -> 200 "chunkscope test token issuer" (readiness check).
Every response carries `Access-Control-Allow-Origin: *`.

Every /token request appends one JSON line to LOG: {"time","method","path","service",
"scopes","auth" ("none"|"basic"|"bearer"|other scheme),"user" ("" when anonymous),
"status","granted","origin"}. Passwords and tokens are never logged.
"""

import argparse
import base64
import binascii
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TTL = 300  # seconds a token lives
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Accept, Cache-Control",
    "Access-Control-Max-Age": "600",
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pem_to_der(pem: str) -> bytes:
    body = [l for l in pem.strip().splitlines() if l and not l.startswith("-----")]
    return base64.b64decode("".join(body))


class Issuer:
    def __init__(self, key, cert, service, issuer, users, log):
        self.key = key
        self.x5c = base64.b64encode(pem_to_der(open(cert).read())).decode()
        self.service = service
        self.issuer = issuer
        self.users = users
        self.log_path = log
        self.lock = threading.Lock()

    def sign(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        sig = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", self.key],
            input=signing_input.encode(),
            capture_output=True,
            check=True,
        ).stdout
        return signing_input + "." + b64url(sig)

    def token(self, subject: str, access: list) -> str:
        now = int(time.time())
        return self.sign(
            {
                "iss": self.issuer,
                "sub": subject,
                "aud": self.service,
                "exp": now + TTL,
                "nbf": now - 10,
                "iat": now,
                "jti": binascii.hexlify(os.urandom(16)).decode(),
                "access": access,
            }
        )

    def log(self, entry: dict):
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self.lock, open(self.log_path, "a") as f:
            f.write(line)

    def read_log(self) -> list:
        with self.lock:
            try:
                with open(self.log_path) as f:
                    return [json.loads(l) for l in f if l.strip()]
            except FileNotFoundError:
                return []


def parse_scopes(values: list) -> list:
    """`repository:NAME:a,b` (several per parameter, space-separated) -> [(type, name, [actions])].
    NAME may contain ':' (a registry host with a port), so split at the first and last ':'."""
    out = []
    for v in values:
        for s in v.split():
            if s.count(":") < 2:
                continue
            typ, rest = s.split(":", 1)
            name, actions = rest.rsplit(":", 1)
            out.append((typ, name, [a for a in actions.split(",") if a]))
    return out


def make_handler(iss: Issuer):
    class Handler(BaseHTTPRequestHandler):
        server_version = "chunkscope-token-issuer/1"
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # the JSON log is the log; keep stderr quiet
            pass

        def send(self, status: int, body: bytes, ctype="application/json", extra=None):
            self.send_response(status)
            for k, v in CORS.items():
                self.send_header(k, v)
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_OPTIONS(self):
            self.send_response(204)
            for k, v in CORS.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/":
                return self.send(200, b"chunkscope test token issuer\n", "text/plain")
            if url.path == "/log":
                return self.send(200, json.dumps(iss.read_log()).encode())
            if url.path != "/token":
                return self.send(404, b'{"errors":[{"code":"NOT_FOUND"}]}')
            q = parse_qs(url.query)
            scopes = parse_scopes(q.get("scope", []))
            authz = self.headers.get("Authorization", "")
            scheme = authz.split(" ", 1)[0].lower() if authz else "none"
            user, ok = "", True
            if scheme == "basic":
                try:
                    user, _, password = (
                        base64.b64decode(authz.split(" ", 1)[1].strip(), validate=True)
                        .decode()
                        .partition(":")
                    )
                except (ValueError, IndexError, UnicodeDecodeError):
                    user, password = "", None
                ok = user in iss.users and iss.users[user] == password
            elif scheme != "none":
                ok = False
            entry = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "method": self.command,
                "path": url.path,
                "service": q.get("service", [""])[0],
                "scopes": [f"{t}:{n}:{','.join(a)}" for t, n, a in scopes],
                "auth": scheme,
                "user": user,
                "origin": self.headers.get("Origin", ""),
            }
            if not ok:
                entry.update(status=401, granted=[])
                iss.log(entry)
                return self.send(
                    401,
                    b'{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}',
                    extra={"WWW-Authenticate": 'Basic realm="chunkscope-test-issuer"'},
                )
            allowed = {"pull", "push"} if user else {"pull"}
            access = []
            for typ, name, actions in scopes:
                granted = [a for a in actions if typ == "repository" and a in allowed]
                if granted:
                    access.append({"type": typ, "name": name, "actions": granted})
            token = iss.token(user, access)
            entry.update(
                status=200,
                granted=[f"{a['type']}:{a['name']}:{','.join(a['actions'])}" for a in access],
            )
            iss.log(entry)
            body = {
                "token": token,
                "access_token": token,
                "expires_in": TTL,
                "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            self.send(200, json.dumps(body).encode())

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--service", default="chunkscope-test")
    ap.add_argument("--issuer", default="chunkscope-test-issuer")
    ap.add_argument("--users", default="tester:s3cret", help="USER:PASSWORD[,USER:PASSWORD...]")
    a = ap.parse_args()
    users = dict(u.split(":", 1) for u in a.users.split(",") if ":" in u)
    iss = Issuer(a.key, a.cert, a.service, a.issuer, users, a.log)
    open(a.log, "a").close()
    srv = ThreadingHTTPServer((a.host, a.port), make_handler(iss))
    srv.daemon_threads = True
    print(f"token issuer on http://{a.host}:{a.port}/token", file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
