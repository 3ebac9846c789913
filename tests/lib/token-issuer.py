#!/usr/bin/env python3
"""A small bearer-token issuer for the test registry (docker-registry `auth: token`), so
fetch is tested against the real Docker Hub flow without the network.

GET  /token?service=S&scope=repository:NAME:pull,push[&scope=...]   (optional basic auth)
POST /token  (form: grant_type=password, username, password, service, scope) -- OAuth2 style;
             with access_type=offline the reply also carries a "refresh_token" (an identity token)
POST /token  (form: grant_type=refresh_token, refresh_token, service, scope) -- the identity-token
             flow: a refresh token issued above acts as its user's credentials (401 otherwise)
Anonymous clients get pull on every repository; REGISTRY_USER/REGISTRY_PASS get pull,push;
wrong credentials get 401. Replies {"token","access_token","expires_in","issued_at"}.
Tokens are RS256 JWTs signed with `openssl dgst -sha256 -sign KEY`; the certificate is in the
JWT header's x5c. TOKEN_EXPIRES_IN (seconds, default 300) sets the lifetime. Every request is
logged as one line to --log: "METHOD user=USER|- scope=SCOPE[ SCOPE...] status=CODE", with
" grant=refresh_token" appended for refresh-token requests.
"""

import argparse
import base64
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Issuer:
    def __init__(self, args):
        self.args = args
        self.user = os.environ.get("REGISTRY_USER", "")
        self.password = os.environ.get("REGISTRY_PASS", "")
        self.expires_in = int(os.environ.get("TOKEN_EXPIRES_IN", "300"))
        der = subprocess.run(["openssl", "x509", "-in", args.cert, "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        self.lock = threading.Lock()
        self.refresh_tokens = {}  # refresh token -> user

    def sign(self, access, sub):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": self.args.issuer, "sub": sub, "aud": self.args.service,
                  "exp": now + self.expires_in, "nbf": now - 10, "iat": now,
                  "jti": uuid.uuid4().hex, "access": access}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.key],
                             input=signing_input.encode(), check=True,
                             capture_output=True).stdout
        return signing_input + "." + b64url(sig), now

    def log(self, line):
        with self.lock, open(self.args.log, "a") as fp:
            fp.write(line + "\n")


def grant(scopes, authed):
    access = []
    for s in scopes:
        parts = s.split(":")
        if len(parts) < 3 or parts[0] != "repository":
            continue
        name = ":".join(parts[1:-1])
        wanted = [a for a in parts[-1].split(",") if a]
        allowed = {"pull", "push", "delete", "*"} if authed else {"pull"}
        acts = [a for a in wanted if a in allowed]
        access.append({"type": "repository", "name": name, "actions": acts})
    return access


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "oci-toolkit-token-issuer/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, code, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def handle_token(self, params, user, password, method, offline=False, refresh=None):
        iss = self.server.issuer
        scopes = []
        for s in params.get("scope", []):
            scopes += s.split(" ")
        authed = False
        if refresh is not None:
            with iss.lock:
                user = iss.refresh_tokens.get(refresh)
            if user is None:
                iss.log("%s user=- scope=%s status=401 grant=refresh_token" % (method, " ".join(scopes)))
                return self.reply(401, {"error": "invalid_grant"})
            authed = True
        elif user is not None:
            if user != iss.user or password != iss.password or not iss.user:
                iss.log("%s user=%s scope=%s status=401" % (method, user, " ".join(scopes)))
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                     "message": "bad credentials"}]},
                                  {"WWW-Authenticate": 'Basic realm="oci-toolkit-token"'})
            authed = True
        token, now = iss.sign(grant(scopes, authed), user or "")
        iss.log("%s user=%s scope=%s status=200%s" % (method, user or "-", " ".join(scopes),
                                                      " grant=refresh_token" if refresh is not None else ""))
        issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        reply = {"token": token, "access_token": token, "expires_in": iss.expires_in, "issued_at": issued}
        if offline and authed:
            rt = uuid.uuid4().hex
            with iss.lock:
                iss.refresh_tokens[rt] = user
            reply["refresh_token"] = rt
        return self.reply(200, reply)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path != "/token":
            return self.reply(404, {"error": "not found"})
        params = urllib.parse.parse_qs(u.query)
        user = password = None
        h = self.headers.get("Authorization", "")
        if h.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(h[6:].strip()).decode().partition(":")
            except ValueError:
                return self.reply(400, {"error": "bad Authorization header"})
        if params.get("probe") == ["1"]:
            return self.reply(200, {"ok": True})
        return self.handle_token(params, user, password, "GET")

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(min(n, 65536)).decode(errors="replace")
        if u.path != "/token":
            return self.reply(404, {"error": "not found"})
        params = urllib.parse.parse_qs(body)
        grant_type = params.get("grant_type", [""])[0]
        if grant_type == "refresh_token":
            return self.handle_token(params, None, None, "POST", refresh=params.get("refresh_token", [""])[0])
        if grant_type != "password":
            self.server.issuer.log("POST user=- scope= status=400")
            return self.reply(400, {"error": "unsupported_grant_type"})
        user = params.get("username", [None])[0]
        password = params.get("password", [""])[0]
        offline = params.get("access_type", [""])[0] == "offline"
        return self.handle_token(params, user, password, "POST", offline=offline)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--tls-cert", "--cert-tls", dest="tls_cert")
    ap.add_argument("--tls-key", dest="tls_key")
    args = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.issuer = Issuer(args)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    sys.stdout.write("token issuer on 127.0.0.1:%d\n" % args.port)
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
