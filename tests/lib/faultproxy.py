#!/usr/bin/env python3
"""A fault-injecting reverse proxy for the fetch tests: it forwards every request to the
upstream registry and, for blob GETs (/v2/.../blobs/<digest>), injects faults in order:

  --cut N            the first N blob responses send half the body, then drop the connection
  --fail500 N        the next N blob requests get 500
  --fail429 N        the next N blob requests get 429 with Retry-After: --retry-after (default 1)
  --scope401 N       the next N blob requests get 401 insufficient_scope (needs --realm, --service)
  --scope401-scope S the scope those 401s name (default "repository:<name>:pull")
  --no-range         ignore Range headers (always answer 200 with the whole blob)
  --range-once       honour Range only on the first ranged request for each blob; later
                     ranged requests for it get the whole blob (200), like a flaky cache
  --redirect         answer blob GETs with 307 to a second listener (--redirect-port) that serves
                     the blob itself, fetched upstream with --upstream-auth if given; it logs
                     whether the client sent it an Authorization header
  --redirect-host H  the host name those redirects name (default 127.0.0.1; must reach it)
  --upstream-bearer T  the redirect listener fetches upstream with "Authorization: Bearer T"
  --min-size BYTES   only blobs at least this large get --cut (default 0)
  --delay MS         wait MS milliseconds before answering each blob GET
  --files DIR        GET/HEAD of a path outside /v2/ is answered from DIR (a foreign layer's
                     URL on the registry's own origin): the file DIR/<path> (action=file), or
                     a 302 to the URL held in DIR/<path>.redirect (action=file-redirect), or
                     404 (action=nofile); Range is ignored
  --files-port P     also serve --files (only that) on a second listener, port P ("files")

Every request is logged to --log as one line:
  "<listener> <METHOD> <path> range=<Range|-> auth=<yes|no> action=<pass|cut|500|429|401|redirect> inflight=N"
where inflight counts the GETs of that same blob being answered at that moment (this one included).
Start: faultproxy.py --port P --upstream http://127.0.0.1:R [options]; prints "ready" on stdout.
"""

import argparse
import base64
import http.client
import http.server
import os
import re
import socket
import sys
import threading
import time
import urllib.parse

BLOB_RE = re.compile(r"^/v2/.+/blobs/(sha256|sha512):[0-9a-f]+$")
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
       "transfer-encoding", "upgrade", "host"}


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.left = {"cut": args.cut, "500": args.fail500, "429": args.fail429, "401": args.scope401}
        self.inflight = {}
        self.ranged = set()

    def enter(self, path):
        with self.lock:
            self.inflight[path] = self.inflight.get(path, 0) + 1

    def leave(self, path):
        with self.lock:
            self.inflight[path] -= 1

    def drop_range(self, path, has_range):
        """--range-once: whether to ignore this request's Range header."""
        if not self.args.range_once or not has_range:
            return False
        with self.lock:
            if path in self.ranged:
                return True
            self.ranged.add(path)
            return False

    def take(self, size):
        with self.lock:
            if self.left["cut"] > 0 and size >= self.args.min_size:
                self.left["cut"] -= 1
                return "cut"
            for k in ("500", "429", "401"):
                if self.left[k] > 0:
                    self.left[k] -= 1
                    return k
        return None

    def log(self, line):
        with self.lock, open(self.args.log, "a") as fp:
            fp.write(line + "\n")


def upstream_conn(args):
    u = urllib.parse.urlsplit(args.upstream)
    if u.scheme == "https":
        import ssl
        ctx = ssl.create_default_context(cafile=args.upstream_ca) if args.upstream_ca else ssl._create_unverified_context()
        return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=60)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    listener = "main"

    def log_message(self, fmt, *a):
        pass

    def _log(self, action):
        st = self.server.state
        with st.lock:
            n = st.inflight.get(self.path, 0)
        st.log("%s %s %s range=%s auth=%s action=%s inflight=%d" % (
            self.listener, self.command, self.path, self.headers.get("Range", "-"),
            "yes" if self.headers.get("Authorization") else "no", action, n))

    def _send_simple(self, code, headers=(), body=b""):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _forward(self, extra_auth=None, fault=None, drop_auth=False, drop_range=False):
        args = self.server.state.args
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if args.no_range or drop_range:
            headers.pop("Range", None)
        if drop_auth:
            headers.pop("Authorization", None)
        if extra_auth:
            headers["Authorization"] = extra_auth
        body = None
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            body = self.rfile.read(n)
        c = upstream_conn(args)
        c.request(self.command, self.path, body=body, headers=headers)
        r = c.getresponse()
        length = r.getheader("Content-Length")
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in HOP or k.lower() == "content-length":
                continue
            self.send_header(k, v)
        data_len = int(length) if length is not None else None
        if data_len is None and self.command != "HEAD":
            data = r.read()
            data_len = len(data)
        else:
            data = None
        self.send_header("Content-Length", str(data_len if data_len is not None else 0))
        self.end_headers()
        if self.command == "HEAD":
            c.close()
            return
        if data is not None:
            self.wfile.write(data)
            c.close()
            return
        limit = data_len // 2 if fault == "cut" else data_len
        sent = 0
        while sent < limit:
            chunk = r.read(min(65536, limit - sent))
            if not chunk:
                break
            self.wfile.write(chunk)
            sent += len(chunk)
        c.close()
        if fault == "cut":
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _blob_size(self):
        """HEAD the blob upstream (with the client's credentials) to learn its size."""
        args = self.server.state.args
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers.pop("Range", None)
        c = upstream_conn(args)
        c.request("HEAD", self.path, headers=headers)
        r = c.getresponse()
        r.read()
        c.close()
        if r.status != 200:
            return -1
        return int(r.getheader("Content-Length") or 0)

    def _files_request(self):
        """Whether --files answers this request (on this listener)."""
        args = self.server.state.args
        path = urllib.parse.urlsplit(self.path).path
        return bool(args.files) and (self.listener == "files" or not path.startswith("/v2/"))

    def _serve_file(self):
        args = self.server.state.args
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        parts = [p for p in path.split("/") if p]
        full = os.path.join(args.files, *parts) if parts and ".." not in parts else None
        if full and os.path.isfile(full):
            self._log("file")
            with open(full, "rb") as fp:
                data = fp.read()
            self._send_simple(200, [("Content-Type", "application/octet-stream")], data)
        elif full and os.path.isfile(full + ".redirect"):
            self._log("file-redirect")
            with open(full + ".redirect") as fp:
                loc = fp.read().strip()
            self._send_simple(302, [("Location", loc)])
        else:
            self._log("nofile")
            self._send_simple(404, [("Content-Type", "text/plain")], b"no such file\n")

    def do_HEAD(self):
        if self._files_request():
            self._serve_file()
            return
        self._log("pass")
        self._forward()

    def do_POST(self):
        self._log("pass")
        self._forward()

    do_PUT = do_POST
    do_PATCH = do_POST

    def do_GET(self):
        st = self.server.state
        st.enter(self.path)
        try:
            self._get()
        finally:
            st.leave(self.path)

    def _get(self):
        st = self.server.state
        args = st.args
        path = urllib.parse.urlsplit(self.path).path
        if self._files_request():
            self._serve_file()
            return
        if self.listener == "redirect":
            auth = None
            if args.upstream_auth:
                auth = "Basic " + base64.b64encode(args.upstream_auth.encode()).decode()
            elif args.upstream_bearer:
                auth = "Bearer " + args.upstream_bearer
            self._log("serve")
            self._forward(extra_auth=auth, drop_auth=True)
            return
        if not BLOB_RE.match(path):
            self._log("pass")
            self._forward()
            return
        if args.redirect:
            self._log("redirect")
            loc = "http://%s:%d%s" % (args.redirect_host, args.redirect_port, self.path)
            self._send_simple(307, [("Location", loc)])
            return
        if args.delay:
            time.sleep(args.delay / 1000.0)
        size = self._blob_size() if args.cut else 0
        fault = st.take(size)
        self._log(fault or "pass")
        if fault == "500":
            self._send_simple(500, [("Content-Type", "text/plain")], b"injected failure\n")
        elif fault == "429":
            self._send_simple(429, [("Retry-After", str(args.retry_after)), ("Content-Type", "text/plain")],
                              b"slow down\n")
        elif fault == "401":
            m = re.match(r"^/v2/(.+)/blobs/", path)
            scope = args.scope401_scope or "repository:%s:pull" % m.group(1)
            ch = 'Bearer realm="%s",service="%s",scope="%s",error="insufficient_scope"' % (
                args.realm, args.service, scope.replace("\\", "\\\\").replace('"', '\\"'))
            self._send_simple(401, [("WWW-Authenticate", ch), ("Content-Type", "application/json")],
                              b'{"errors":[{"code":"DENIED","message":"insufficient scope"}]}')
        else:
            self._forward(fault=fault, drop_range=st.drop_range(path, "Range" in self.headers))


class RedirectHandler(Handler):
    listener = "redirect"


class FilesHandler(Handler):
    listener = "files"


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--upstream-ca")
    ap.add_argument("--log", required=True)
    ap.add_argument("--cut", type=int, default=0)
    ap.add_argument("--min-size", type=int, default=0)
    ap.add_argument("--fail500", type=int, default=0)
    ap.add_argument("--fail429", type=int, default=0)
    ap.add_argument("--retry-after", type=int, default=1)
    ap.add_argument("--scope401", type=int, default=0)
    ap.add_argument("--scope401-scope", default="")
    ap.add_argument("--realm", default="")
    ap.add_argument("--service", default="")
    ap.add_argument("--no-range", action="store_true")
    ap.add_argument("--range-once", action="store_true")
    ap.add_argument("--delay", type=int, default=0)
    ap.add_argument("--redirect", action="store_true")
    ap.add_argument("--redirect-port", type=int, default=0)
    ap.add_argument("--upstream-auth")
    ap.add_argument("--upstream-bearer")
    ap.add_argument("--redirect-host", default="127.0.0.1")
    ap.add_argument("--files")
    ap.add_argument("--files-port", type=int, default=0)
    args = ap.parse_args()
    state = State(args)
    open(args.log, "a").close()
    servers = [Server(("127.0.0.1", args.port), Handler)]
    if args.redirect:
        servers.append(Server(("127.0.0.1", args.redirect_port), RedirectHandler))
    if args.files and args.files_port:
        servers.append(Server(("127.0.0.1", args.files_port), FilesHandler))
    for s in servers:
        s.state = state
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("ready", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
