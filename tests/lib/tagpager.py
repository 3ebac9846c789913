#!/usr/bin/env python3
"""A registry front that paginates tag lists, for the list-tags tests: Debian's
docker-registry (distribution 2.8) ignores ?n= and sends every tag at once, while Docker Hub,
GHCR and distribution 3 send pages linked by "Link: <...>; rel="next"" (RFC 8288).

Every request is forwarded to --upstream (plain HTTP) with its headers, Authorization included,
and answered with the upstream's answer, except GET /v2/<name>/tags/list: that one fetches the
whole list upstream (with the client's Authorization), sorts it, and answers one page:
the tags after ?last=, at most ?n= of them (--default-page when the client gives no n), with a
Link header to the next page when more are left. The Link is:

  default          a path on this origin: </v2/NAME/tags/list?last=T&n=N>
  --link-absolute  the same as an absolute URL on this origin
  --link-foreign U the same path on another origin U (a hostile registry)
  --link-loop      the first page's own path again (a registry that loops)
  --hostile-tags   answer every tag list with a number among the tags
  --inject-tag T   add the string T to every tag list (repeatable; a hostile registry's names)
  --referrers      also answer the OCI 1.1 referrers API, GET /v2/NAME/referrers/DIGEST
                   [?artifactType=T], as distribution 3 does: from the "sha256-<hex>" tag
                   schema index upstream (filtered by artifactType), an empty index when none

Each request is logged to --log as "<METHOD> <path> auth=<yes|no>".
Start: tagpager.py --port P --upstream http://127.0.0.1:R --log FILE; prints "ready".
"""

import argparse
import http.client
import http.server
import json
import re
import sys
import threading
import urllib.parse

TAGS_RE = re.compile(r"^/v2/(.+)/tags/list$")
REFERRERS_RE = re.compile(r"^/v2/(.+)/referrers/(sha256):([0-9a-f]{64})$")
INDEX_MT = "application/vnd.oci.image.index.v1+json"
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
       "transfer-encoding", "upgrade", "host", "content-length"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def _log(self):
        a = self.server.args
        with self.server.lock:
            with open(a.log, "a") as f:
                f.write("%s %s auth=%s\n" % (self.command, self.path,
                                             "yes" if self.headers.get("Authorization") else "no"))

    def _upstream(self, method, path, body=None):
        u = urllib.parse.urlsplit(self.server.args.upstream)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        c.request(method, path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r, data

    def _answer(self, status, headers, data):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _forward(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        r, data = self._upstream(self.command, self.path, body)
        self._answer(r.status, r.getheaders(), data)

    def _tags(self, name, query):
        a = self.server.args
        r, data = self._upstream("GET", "/v2/%s/tags/list" % name)
        if r.status != 200:
            return self._answer(r.status, r.getheaders(), data)
        tags = sorted((json.loads(data).get("tags") or []) + a.inject_tag)
        if a.hostile_tags:
            body = json.dumps({"name": name, "tags": tags[:1] + [5] + tags[1:]}).encode()
            return self._answer(200, [("Content-Type", "application/json")], body)
        q = urllib.parse.parse_qs(query)
        n = int(q.get("n", [a.default_page])[0])
        last = q.get("last", [None])[0]
        if last is not None:
            tags = [t for t in tags if t > last]
        page, rest = tags[:n], tags[n:]
        headers = [("Content-Type", "application/json")]
        if rest:
            path = "/v2/%s/tags/list?%s" % (name, urllib.parse.urlencode({"last": page[-1], "n": n}))
            if a.link_loop:
                path = self.path
            if a.link_foreign:
                link = a.link_foreign.rstrip("/") + path
            elif a.link_absolute:
                link = "http://%s%s" % (self.headers.get("Host"), path)
            else:
                link = path
            headers.append(("Link", '<%s>; rel="next"' % link))
        self._answer(200, headers, json.dumps({"name": name, "tags": page}).encode())

    def _referrers(self, name, alg, hexd, query):
        r, data = self._upstream("GET", "/v2/%s/manifests/%s-%s" % (name, alg, hexd))
        manifests = json.loads(data).get("manifests", []) if r.status == 200 else []
        want = urllib.parse.parse_qs(query).get("artifactType", [None])[0]
        if want is not None:
            manifests = [m for m in manifests if m.get("artifactType") == want]
        body = json.dumps({"schemaVersion": 2, "mediaType": INDEX_MT,
                           "manifests": manifests}).encode()
        self._answer(200, [("Content-Type", INDEX_MT)], body)

    def do_GET(self):
        self._log()
        path, _, query = self.path.partition("?")
        m = TAGS_RE.match(path)
        if m:
            return self._tags(m.group(1), query)
        m = REFERRERS_RE.match(path)
        if m and self.server.args.referrers:
            return self._referrers(m.group(1), m.group(2), m.group(3), query)
        return self._forward()

    def _logged_forward(self):
        self._log()
        self._forward()


Handler.do_HEAD = Handler._logged_forward
Handler.do_POST = Handler._logged_forward
Handler.do_PUT = Handler._logged_forward
Handler.do_PATCH = Handler._logged_forward
Handler.do_DELETE = Handler._logged_forward


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--default-page", type=int, default=2)
    ap.add_argument("--link-absolute", action="store_true")
    ap.add_argument("--link-foreign", default="")
    ap.add_argument("--link-loop", action="store_true")
    ap.add_argument("--hostile-tags", action="store_true")
    ap.add_argument("--inject-tag", action="append", default=[])
    ap.add_argument("--referrers", action="store_true")
    args = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.args = args
    srv.lock = threading.Lock()
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
