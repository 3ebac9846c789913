#!/usr/bin/env bats
# oci-fetch over TLS: --cacert, an unknown CA, --insecure, the certs.d conventions,
# client certificates, and credentials never sent to an http:// realm of a TLS registry.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

setup_file() {
	require_cmd docker-registry jq curl openssl
	registry_start plain --tls
	image_push_busybox test/one latest >/dev/null
	export TLS_ENV=$REGISTRY_DIR
}

teardown_file() {
	registry_stop
}

setup() {
	registry_use "$TLS_ENV"
	T=$BATS_TEST_TMPDIR
	export XDG_CACHE_HOME=$T/xdg OCI_CERTS_D=$T/none
	STUB_PID= EXTRA_PID=
}

teardown() {
	[ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null && wait "$STUB_PID" 2>/dev/null
	[ -n "$EXTRA_PID" ] && kill "$EXTRA_PID" 2>/dev/null && wait "$EXTRA_PID" 2>/dev/null
	[ -n "${ETC_DIR:-}" ] && rm -rf "$ETC_DIR"
	return 0
}

# other_ca DIR: a CA that did not sign the registry's certificate
other_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=some other CA" \
		-keyout "$1/other.key" -out "$1/other.pem" >/dev/null 2>&1
}

# client_cert DIR: a client CA (DIR/cca.pem) and a certificate it signed for TLS clients
# (DIR/client.pem, DIR/client.key)
client_cert() {
	mkdir -p "$1"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=client CA" \
		-keyout "$1/cca.key" -out "$1/cca.pem" >/dev/null 2>&1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=client" -keyout "$1/client.key" -out "$1/client.csr" >/dev/null 2>&1
	printf 'extendedKeyUsage=clientAuth\n' >"$1/ext"
	openssl x509 -req -in "$1/client.csr" -CA "$1/cca.pem" -CAkey "$1/cca.key" -CAcreateserial -days 30 \
		-extfile "$1/ext" -out "$1/client.pem" >/dev/null 2>&1
}

@test "--cacert: TLS registry with the test CA, over HTTP/2" {
	"$OCI_FETCH" --no-cache --cacert "$REGISTRY_CA" "$REGISTRY/test/one:latest" >"$T/s.tar"
	check_stream "$T/s.tar" "$T/x"
	grep -q '"GET /v2/test/one/manifests/latest HTTP/2.0" 200 .*oci-fetch' "$REGISTRY_LOG"
	! grep 'oci-fetch' "$REGISTRY_LOG" | grep -q 'HTTP/1.1' || false

}

@test "unknown CA: fails with one clear TLS line" {
	other_ca "$T"
	run "$OCI_FETCH" --no-cache --cacert "$T/other.pem" "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "certificate"
	# without any TLS option the loopback registry is found to speak HTTPS, and its CA is unknown
	run "$OCI_FETCH" --no-cache "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "certificate"
}

@test "--insecure skips verification" {
	"$OCI_FETCH" --no-cache --insecure -o "$T/lay" "$REGISTRY/test/one:latest"
	check_layout "$T/lay"
}

@test "--plain-http against a TLS registry fails clearly" {
	run "$OCI_FETCH" --no-cache --plain-http "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "speaks HTTPS"
}

@test "certs.d/<host>/ca.crt and --cert-dir are trusted" {
	mkdir -p "$T/certs.d/$REGISTRY"
	cp "$REGISTRY_CA" "$T/certs.d/$REGISTRY/ca.crt"
	OCI_CERTS_D=$T/certs.d "$OCI_FETCH" --no-cache -o "$T/l1" "$REGISTRY/test/one:latest"
	check_layout "$T/l1"
	"$OCI_FETCH" --no-cache --cert-dir "$T/certs.d/$REGISTRY" -o "$T/l2" "$REGISTRY/test/one:latest"
	check_layout "$T/l2"
}

@test "/etc/docker/certs.d/<host>/ is read by default" {
	require_root
	unset OCI_CERTS_D
	ETC_DIR=/etc/docker/certs.d/$REGISTRY
	[ ! -e "$ETC_DIR" ] || skip "$ETC_DIR exists"
	mkdir -p "$ETC_DIR"
	cp "$REGISTRY_CA" "$ETC_DIR/ca.crt"
	"$OCI_FETCH" --no-cache -o "$T/lay" "$REGISTRY/test/one:latest"
	check_layout "$T/lay"
}

@test "client certificates: --cert/--key and certs.d client.cert/client.key" {
	require_cmd docker-registry
	d=$T/mtls
	client_cert "$d"
	port=$(free_port)
	sed -e "s/addr: 127.0.0.1:[0-9]*/addr: 127.0.0.1:$port/" \
		-e "s|^    key: .*|&\n    clientcas:\n      - $d/cca.pem|" "$REGISTRY_DIR/config.yml" >"$d/config.yml"
	grep -q clientcas "$d/config.yml"
	# docker-registry reads REGISTRY_* variables as configuration: hide the fixture's
	env $(env | grep -o '^REGISTRY_[A-Z_]*' | sed 's/^/-u /') docker-registry serve "$d/config.yml" >"$d/log" 2>&1 3>&- &
	EXTRA_PID=$!
	wait_until 20 "the client-certificate registry to answer" \
		curl -s --max-time 5 -o /dev/null --cacert "$REGISTRY_CA" "https://127.0.0.1:$port/v2/" --cert "$d/client.pem" --key "$d/client.key"
	"$OCI_FETCH" --no-cache --cacert "$REGISTRY_CA" --cert "$d/client.pem" --key "$d/client.key" -o "$T/l1" "127.0.0.1:$port/test/one:latest"
	check_layout "$T/l1"
	mkdir -p "$d/certs.d/127.0.0.1:$port"
	cp "$REGISTRY_CA" "$d/certs.d/127.0.0.1:$port/ca.crt"
	cp "$d/client.pem" "$d/certs.d/127.0.0.1:$port/client.cert"
	cp "$d/client.key" "$d/certs.d/127.0.0.1:$port/client.key"
	OCI_CERTS_D=$d/certs.d "$OCI_FETCH" --no-cache -o "$T/l2" "127.0.0.1:$port/test/one:latest"
	check_layout "$T/l2"
	run "$OCI_FETCH" --no-cache --cacert "$REGISTRY_CA" "127.0.0.1:$port/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	run "$OCI_FETCH" --no-cache --cert "$d/client.pem" "127.0.0.1:$port/test/one:latest"
	assert_failure
	assert_output_contains "--cert and --key go together"
}

@test "credentials are never sent to an http:// token realm of a TLS registry" {
	realm_port=$(free_port)
	port=$(free_port)
	cat >"$T/stub.py" <<PY
import http.server, ssl
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Bearer realm="http://127.0.0.1:$realm_port/token",service="x",scope="repository:test/one:pull"')
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", $port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("$REGISTRY_DIR/server.pem", "$REGISTRY_DIR/server.key")
s.socket = ctx.wrap_socket(s.socket, server_side=True)
s.serve_forever()
PY
	python3 "$T/stub.py" 3>&- &
	STUB_PID=$!
	# something listening on the realm, recording whether anyone came
	python3 -c "
import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$realm_port)); s.listen(5)
c,_=s.accept(); open('$T/realm-hit','w').write(c.recv(4096).decode(errors='replace'))
" 3>&- &
	EXTRA_PID=$!
	wait_until 10 "the server to answer" curl -s --max-time 5 -o /dev/null --cacert "$REGISTRY_CA" "https://127.0.0.1:$port/v2/"
	run "$OCI_FETCH" --no-cache --cacert "$REGISTRY_CA" --creds "user:topsecret" "127.0.0.1:$port/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "refusing to send the credentials"
	[[ "$output" != *topsecret* ]]
	[ ! -e "$T/realm-hit" ]
}

@test "attack: a blob redirected to another origin never gets the client certificate (the registry itself does)" {
	d=$T/mtls
	client_cert "$d"
	python3 "$MKIMAGE" "$T/img" >/dev/null
	port=$(free_port)
	cdn=$(free_port)
	# the registry serves the image's manifest and redirects every blob to storage on another
	# origin, which asks every client for a certificate and notes whether one came
	cat >"$T/mtls.py" <<PY
import http.server, json, ssl, threading
img = "$T/img"
idx = json.load(open(img + "/index.json"))["manifests"][0]
def blob(d): return open(img + "/blobs/sha256/" + d.split(":")[1], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, body, ctype="application/octet-stream"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        cert = "yes" if self.connection.getpeercert() else "no"
        with open("$T/mtls.log", "a") as f:
            f.write("%s %s cert=%s\n" % (self.server.name, self.path, cert))
        if self.server.name == "cdn":
            if not self.path.startswith("/store/"):
                return self.send(b"")
            return self.send(blob(self.path.rsplit("/", 1)[1]))
        if self.path == "/v2/":
            return self.send(b"{}", "application/json")
        if "/manifests/" in self.path:
            return self.send(blob(idx["digest"]), idx["mediaType"])
        self.send_response(307)
        self.send_header("Location", "https://127.0.0.1:$cdn/store/" + self.path.rsplit("/", 1)[1])
        self.send_header("Content-Length", "0")
        self.end_headers()
def serve(name, port, verify):
    s = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    s.name = name
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain("$REGISTRY_DIR/server.pem", "$REGISTRY_DIR/server.key")
    ctx.load_verify_locations("$d/cca.pem")
    ctx.verify_mode = verify
    s.socket = ctx.wrap_socket(s.socket, server_side=True)
    s.serve_forever()
threading.Thread(target=serve, args=("cdn", $cdn, ssl.CERT_OPTIONAL), daemon=True).start()
serve("registry", $port, ssl.CERT_REQUIRED)
PY
	python3 "$T/mtls.py" 3>&- &
	STUB_PID=$!
	wait_until 10 "the storage to answer" curl -s --max-time 5 -o /dev/null --cacert "$REGISTRY_CA" "https://127.0.0.1:$cdn/"
	wait_until 10 "the registry to answer" curl -s --max-time 5 -o /dev/null --cacert "$REGISTRY_CA" \
		--cert "$d/client.pem" --key "$d/client.key" "https://127.0.0.1:$port/v2/"
	: >"$T/mtls.log"
	"$OCI_FETCH" --no-cache --cacert "$REGISTRY_CA" --cert "$d/client.pem" --key "$d/client.key" \
		-o "$T/lay" "127.0.0.1:$port/test/one:latest"
	check_layout "$T/lay"
	# the config (fetched on its own) and the layers (by the parallel downloader) both went
	# through the redirect, with no certificate; the registry got it on every request
	grep -q "^cdn /store/sha256:.* cert=no" "$T/mtls.log"
	[ "$(grep -c '^cdn ' "$T/mtls.log")" -ge 2 ]
	! grep -q "^cdn .* cert=yes" "$T/mtls.log" || false
	! grep -q "^registry .* cert=no" "$T/mtls.log" || false
}
