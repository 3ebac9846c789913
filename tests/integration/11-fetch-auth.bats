#!/usr/bin/env bats
# oci-fetch authentication against the real registry in basic-auth and bearer-token modes:
# flags, auth files, credential helpers, token scope renewal and expiry, failures, and
# credentials that never leave the registry's origin or show up in output.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

setup_file() {
	require_cmd docker-registry jq curl htpasswd openssl
	registry_start basic
	image_push_busybox test/one latest >/dev/null
	export BASIC_ENV=$REGISTRY_DIR
	TOKEN_EXPIRES_IN=2 registry_start token
	image_push_busybox test/one latest >/dev/null
	image_push_busybox test/multi v1 --layers 3 >/dev/null
	export TOKEN_ENV=$REGISTRY_DIR
}

teardown_file() {
	registry_stop
}

setup() {
	fetch_private_home
}

teardown() {
	proxy_stop
}

@test "basic: no credentials is a clear authentication error" {
	registry_use "$BASIC_ENV"
	run "$OCI_FETCH" --no-cache "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "authentication required"
}

@test "basic: --creds good works, bad is refused, and the password never shows (even --debug)" {
	registry_use "$BASIC_ENV"
	run -0 bash -c "'$OCI_FETCH' --debug --no-cache --creds '$REGISTRY_USER:$REGISTRY_PASS' $REGISTRY/test/one:latest 2>'$T/err' >'$T/s.tar'"
	check_stream "$T/s.tar" "$T/x"
	! grep -q "$REGISTRY_PASS" "$T/err" || false
	! grep -qi "authorization" "$T/err" || false
	grep -q "GET http://$REGISTRY/v2/test/one/manifests/latest" "$T/err"
	run "$OCI_FETCH" --debug --no-cache --creds "$REGISTRY_USER:wrong-$REGISTRY_PASS" "$REGISTRY/test/one:latest"
	assert_failure
	[[ "$output" != *"$REGISTRY_PASS"* ]]
	[ "$(printf '%s\n' "$output" | tail -1)" = "oci-fetch: $REGISTRY/test/one:latest: authentication failed: credentials refused" ]
}

@test "basic: --username reads the password from stdin" {
	registry_use "$BASIC_ENV"
	run -0 bash -c "printf '%s\n' '$REGISTRY_PASS' | '$OCI_FETCH' --no-cache --username '$REGISTRY_USER' -o '$T/lay' $REGISTRY/test/one:latest"
	check_layout "$T/lay"
	run bash -c "printf 'nope\n' | '$OCI_FETCH' --no-cache --username '$REGISTRY_USER' $REGISTRY/test/one:latest >/dev/null"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "authentication failed"
}

@test "basic: credentials from ~/.docker/config.json, \$DOCKER_CONFIG, \$REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR" {
	registry_use "$BASIC_ENV"
	auth=$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASS" | base64 -w0)
	mkdir -p "$HOME/.docker"
	printf '{"auths":{"http://%s":{"auth":"%s"}}}' "$REGISTRY" "$auth" >"$HOME/.docker/config.json"
	"$OCI_FETCH" --no-cache -o "$T/l1" "$REGISTRY/test/one:latest"
	check_layout "$T/l1"
	rm "$HOME/.docker/config.json"
	mkdir -p "$T/dc"
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$REGISTRY" "$auth" >"$T/dc/config.json"
	DOCKER_CONFIG=$T/dc "$OCI_FETCH" --no-cache -o "$T/l2" "$REGISTRY/test/one:latest"
	printf '{"auths":{"%s":{"username":"%s","password":"%s"}}}' "$REGISTRY" "$REGISTRY_USER" "$REGISTRY_PASS" >"$T/auth.json"
	REGISTRY_AUTH_FILE=$T/auth.json "$OCI_FETCH" --no-cache -o "$T/l3" "$REGISTRY/test/one:latest"
	mkdir -p "$T/run/containers"
	cp "$T/auth.json" "$T/run/containers/auth.json"
	XDG_RUNTIME_DIR=$T/run "$OCI_FETCH" --no-cache -o "$T/l4" "$REGISTRY/test/one:latest"
	# an entry for another registry is not used for this one
	printf '{"auths":{"other.example:5000":{"auth":"%s"}}}' "$auth" >"$T/auth.json"
	run env REGISTRY_AUTH_FILE="$T/auth.json" "$OCI_FETCH" --no-cache "$REGISTRY/test/one:latest"
	assert_failure
	assert_output_contains "authentication required"
	# a broken auth file is an error that names it
	printf '{"auths":' >"$T/auth.json"
	run env REGISTRY_AUTH_FILE="$T/auth.json" "$OCI_FETCH" --no-cache "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "$T/auth.json"
}

@test "basic: credential helper (credHelpers and credsStore) through docker-credential-test" {
	registry_use "$BASIC_ENV"
	export PATH=$TOP/tests/lib:$PATH CRED_TEST_LOG=$T/helper.log
	export CRED_TEST_SERVER=$REGISTRY CRED_TEST_USER=$REGISTRY_USER CRED_TEST_SECRET=$REGISTRY_PASS
	mkdir -p "$T/dc"
	printf '{"credHelpers":{"%s":"test"}}' "$REGISTRY" >"$T/dc/config.json"
	DOCKER_CONFIG=$T/dc "$OCI_FETCH" --no-cache -o "$T/l1" "$REGISTRY/test/one:latest"
	check_layout "$T/l1"
	grep -qx "get $REGISTRY" "$T/helper.log"
	printf '{"credsStore":"test"}' >"$T/dc/config.json"
	DOCKER_CONFIG=$T/dc "$OCI_FETCH" --no-cache -o "$T/l2" "$REGISTRY/test/one:latest"
	[ "$(grep -c . "$T/helper.log")" = 2 ]
	# the helper knows nothing for this registry: anonymous, then refused
	CRED_TEST_SERVER=elsewhere run env DOCKER_CONFIG="$T/dc" "$OCI_FETCH" --no-cache "$REGISTRY/test/one:latest"
	assert_failure
	assert_output_contains "authentication required"
	# a helper that is not installed
	printf '{"credsStore":"nosuchhelper"}' >"$T/dc/config.json"
	run env DOCKER_CONFIG="$T/dc" "$OCI_FETCH" --no-cache "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "docker-credential-nosuchhelper"
}

@test "basic: a blob redirect to another server does not carry the Authorization header" {
	registry_use "$BASIC_ENV"
	proxy_start --redirect --upstream-auth "$REGISTRY_USER:$REGISTRY_PASS"
	"$OCI_FETCH" --no-cache --creds "$REGISTRY_USER:$REGISTRY_PASS" -o "$T/lay" "$PROXY/test/one:latest"
	check_layout "$T/lay"
	# every blob went through the redirect; the registry's origin got credentials, the other did not
	grep -q "^main GET /v2/test/one/blobs/.* auth=yes action=redirect" "$PROXY_LOG"
	grep -q "^redirect GET /v2/test/one/blobs/.* action=serve" "$PROXY_LOG"
	! grep -q "^redirect .* auth=yes" "$PROXY_LOG" || false
	[ "$(grep -c '^redirect GET' "$PROXY_LOG")" = "$(grep -c '^main GET .*action=redirect' "$PROXY_LOG")" ]
}

@test "token: anonymous pull gets a pull-scoped token from the realm" {
	registry_use "$TOKEN_ENV"
	: >"$REGISTRY_TOKEN_LOG"
	"$OCI_FETCH" --no-cache "$REGISTRY/test/multi:v1" >"$T/s.tar"
	check_stream "$T/s.tar" "$T/x"
	grep -q "^GET user=- scope=repository:test/multi:pull status=200" "$REGISTRY_TOKEN_LOG"
}

@test "token: credentials go to the realm; bad ones fail clearly without leaking" {
	registry_use "$TOKEN_ENV"
	: >"$REGISTRY_TOKEN_LOG"
	"$OCI_FETCH" --no-cache --creds "$REGISTRY_USER:$REGISTRY_PASS" -o "$T/lay" "$REGISTRY/test/one:latest"
	check_layout "$T/lay"
	grep -q "^GET user=$REGISTRY_USER scope=repository:test/one:pull status=200" "$REGISTRY_TOKEN_LOG"
	run "$OCI_FETCH" --debug --no-cache --creds "$REGISTRY_USER:bad-secret-value" "$REGISTRY/test/one:latest"
	assert_failure
	[ "$(printf '%s\n' "$output" | tail -1)" = "oci-fetch: $REGISTRY/test/one:latest: authentication failed: token server refused the credentials (HTTP 401)" ]
	[[ "$output" != *bad-secret-value* ]]
}

@test "token: renewed on insufficient_scope from the registry" {
	registry_use "$TOKEN_ENV"
	: >"$REGISTRY_TOKEN_LOG"
	proxy_start --scope401 1 --realm "$REGISTRY_TOKEN_REALM" --service "$REGISTRY_TOKEN_SERVICE"
	"$OCI_FETCH" --no-cache -o "$T/lay" "$PROXY/test/multi:v1"
	check_layout "$T/lay"
	grep -q "action=401" "$PROXY_LOG"
	[ "$(grep -c 'status=200' "$REGISTRY_TOKEN_LOG")" -ge 2 ]
}

@test "token: a challenge with 100 scopes that need URL escaping reaches the token server whole (issue 10 item 4)" {
	registry_use "$TOKEN_ENV"
	# two-character scopes of reserved characters: each escapes to three times its length,
	# which overflowed the token URL buffer sized from the unescaped scopes
	scopes=$(python3 -c 'import itertools; c=":/?#[]@!$&'"'"'()*+;=%"; print(" ".join(a + b for a, b in itertools.islice(itertools.product(c, c), 100)))')
	[ "$(wc -w <<<"$scopes")" = 100 ]
	proxy_start --scope401 1 --scope401-scope "$scopes" --realm "$REGISTRY_TOKEN_REALM" --service "$REGISTRY_TOKEN_SERVICE"
	: >"$REGISTRY_TOKEN_LOG"
	"$OCI_FETCH" --no-cache --jobs 1 -o "$T/lay" "$PROXY/test/multi:v1"
	check_layout "$T/lay"
	grep -q "action=401" "$PROXY_LOG"
	# the renewed token was asked for with the repository's scope and every scope, in order
	grep -qxF "GET user=- scope=repository:test/multi:pull $scopes status=200" "$REGISTRY_TOKEN_LOG"
}

@test "token: renewed when it expires during a pull" {
	registry_use "$TOKEN_ENV"
	: >"$REGISTRY_TOKEN_LOG"
	# tokens live 2 s (TOKEN_EXPIRES_IN above); each blob answer takes 1.2 s
	proxy_start --delay 1200
	"$OCI_FETCH" --no-cache --jobs 1 -o "$T/lay" "$PROXY/test/multi:v1"
	check_layout "$T/lay"
	[ "$(grep -c 'status=200' "$REGISTRY_TOKEN_LOG")" -ge 2 ]
}

@test "token: an identity token (auth.json identitytoken, helper user <token>) uses the OAuth2 refresh-token grant" {
	registry_use "$TOKEN_ENV"
	# what `docker login` keeps from a token server: a refresh token from a password grant
	rt=$(registry_curl -sf -X POST "$REGISTRY_TOKEN_REALM" --data-urlencode grant_type=password \
		--data-urlencode "username=$REGISTRY_USER" --data-urlencode "password=$REGISTRY_PASS" \
		--data-urlencode access_type=offline --data-urlencode "service=$REGISTRY_TOKEN_SERVICE" \
		--data-urlencode client_id=test | jq -r .refresh_token)
	[ -n "$rt" ]
	[ "$rt" != null ]
	: >"$REGISTRY_TOKEN_LOG"
	printf '{"auths":{"%s":{"auth":"%s","identitytoken":"%s"}}}' "$REGISTRY" \
		"$(printf '%s:' "$REGISTRY_USER" | base64 -w0)" "$rt" >"$T/auth.json"
	REGISTRY_AUTH_FILE=$T/auth.json "$OCI_FETCH" --debug --no-cache -o "$T/lay" "$REGISTRY/test/one:latest" 2>"$T/err"
	check_layout "$T/lay"
	# the token came from the refresh grant, as the token's user; no GET (basic) token request
	grep -q "^POST user=$REGISTRY_USER scope=repository:test/one:pull status=200 grant=refresh_token" "$REGISTRY_TOKEN_LOG"
	! grep -q "^GET" "$REGISTRY_TOKEN_LOG" || false
	! grep -qF "$rt" "$T/err" || false
	# a credential helper that answers with the user "<token>" means the same
	export PATH=$TOP/tests/lib:$PATH CRED_TEST_LOG=$T/helper.log
	export CRED_TEST_SERVER=$REGISTRY CRED_TEST_USER='<token>' CRED_TEST_SECRET=$rt
	mkdir -p "$T/dc"
	printf '{"credHelpers":{"%s":"test"}}' "$REGISTRY" >"$T/dc/config.json"
	: >"$REGISTRY_TOKEN_LOG"
	DOCKER_CONFIG=$T/dc "$OCI_FETCH" --no-cache "$REGISTRY/test/multi:v1" >"$T/s.tar"
	check_stream "$T/s.tar" "$T/x"
	grep -q "^POST user=$REGISTRY_USER scope=repository:test/multi:pull status=200 grant=refresh_token" "$REGISTRY_TOKEN_LOG"
	! grep -q "^GET" "$REGISTRY_TOKEN_LOG" || false
	# a refresh token the server does not know: one line, and the token is never shown
	CRED_TEST_SECRET=not-a-known-refresh-token run env DOCKER_CONFIG="$T/dc" "$OCI_FETCH" --debug --no-cache "$REGISTRY/test/one:latest"
	assert_failure
	[ "$(printf '%s\n' "$output" | tail -1)" = "oci-fetch: $REGISTRY/test/one:latest: authentication failed: token server refused the identity token (HTTP 401: invalid_grant)" ]
	[[ "$output" != *not-a-known-refresh-token* ]]
	# a basic-auth registry cannot take an identity token
	registry_use "$BASIC_ENV"
	printf '{"auths":{"%s":{"identitytoken":"%s"}}}' "$REGISTRY" "$rt" >"$T/auth.json"
	run env REGISTRY_AUTH_FILE="$T/auth.json" "$OCI_FETCH" --no-cache "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "identity token"
}

@test "token: credentials never go to an http:// realm on another host than the plain-http registry; anonymous pulls still use it (issue 10 item 14)" {
	# a registry on 127.0.0.1 whose challenge names a realm on http://localhost:PORT
	registry_start token --realm-host localhost
	local d=$REGISTRY_DIR
	image_push_busybox test/one latest >/dev/null
	[[ "$REGISTRY_TOKEN_REALM" == http://localhost:* ]]
	: >"$REGISTRY_TOKEN_LOG"
	run "$OCI_FETCH" --no-cache --creds "$REGISTRY_USER:$REGISTRY_PASS" -o "$T/never" "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	[ "$(printf '%s\n' "$output" | tail -1)" = "oci-fetch: $REGISTRY/test/one:latest: token realm '$REGISTRY_TOKEN_REALM' is plain http on another host than the registry: refusing to send the credentials" ]
	# nothing reached the realm with (or without) the credentials
	[ ! -s "$REGISTRY_TOKEN_LOG" ]
	# the same through an auth file
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$REGISTRY" "$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASS" | base64 -w0)" >"$T/auth.json"
	run env REGISTRY_AUTH_FILE="$T/auth.json" "$OCI_FETCH" --no-cache "$REGISTRY/test/one:latest"
	assert_failure
	assert_output_contains "refusing to send the credentials"
	[ ! -s "$REGISTRY_TOKEN_LOG" ]
	# without credentials nothing secret is sent: the anonymous token comes from that realm
	"$OCI_FETCH" --no-cache -o "$T/lay" "$REGISTRY/test/one:latest"
	check_layout "$T/lay"
	grep -q "^GET user=- scope=repository:test/one:pull status=200" "$REGISTRY_TOKEN_LOG"
	! grep -q "user=$REGISTRY_USER" "$REGISTRY_TOKEN_LOG" || false
	registry_stop "$d"
}

@test "token: a blob redirect to another host (blob storage) carries no bearer token (issue 10 item 14)" {
	registry_use "$TOKEN_ENV"
	# the storage side fetches the blob upstream with its own token
	proxy_start --redirect --redirect-host localhost --upstream-bearer "$(registry_token test/one pull)"
	"$OCI_FETCH" --no-cache --creds "$REGISTRY_USER:$REGISTRY_PASS" -o "$T/lay" "$PROXY/test/one:latest"
	check_layout "$T/lay"
	# the registry's origin got the token; every blob then went to localhost, without it
	grep -q "^main GET /v2/test/one/blobs/.* auth=yes action=redirect" "$PROXY_LOG"
	grep -q "^redirect GET /v2/test/one/blobs/.* auth=no action=serve" "$PROXY_LOG"
	! grep -q "^redirect .* auth=yes" "$PROXY_LOG" || false
	[ "$(grep -c '^redirect GET' "$PROXY_LOG")" = "$(grep -c '^main GET .*action=redirect' "$PROXY_LOG")" ]
}

@test "token: a token realm that redirects to another host does not get the credentials there (issue 10 item 14)" {
	registry_use "$TOKEN_ENV"
	# a realm on the registry's host (so it may get the credentials) that answers 302 to localhost
	fport=$(free_port)
	mkdir -p "$T/files"
	echo "http://localhost:$fport/elsewhere" >"$T/files/token.redirect"
	proxy_start --files "$T/files" --files-port "$fport" --scope401 1 \
		--realm "http://127.0.0.1:$fport/token" --service "$REGISTRY_TOKEN_SERVICE"
	run "$OCI_FETCH" --no-cache --creds "$REGISTRY_USER:$REGISTRY_PASS" "$PROXY/test/one:latest"
	# the realm itself was asked, with the credentials; the redirect target never with them
	grep -qE '^files GET /token\?.* auth=yes action=file-redirect' "$PROXY_LOG"
	! grep -qE '^files GET /elsewhere.* auth=yes' "$PROXY_LOG" || false
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "token request failed: HTTP 302"
}

@test "token: a token that would split its header line (CR, LF) is refused, never sent" {
	# a token server's token goes into "Authorization: Bearer TOKEN": a CRLF in it would add
	# headers of the token server's choosing to every request to the registry
	local port
	port=$(free_port)
	python3 - "$port" "$T/seen" >"$T/srv.out" 2>&1 3>&- <<-'PY' &
		import http.server, json, sys
		port, seen = int(sys.argv[1]), sys.argv[2]
		class H(http.server.BaseHTTPRequestHandler):
		    def log_message(self, *a):
		        pass
		    def do_GET(self):
		        with open(seen, "a") as f:
		            f.write("%s %s\n" % (self.path, json.dumps(dict(self.headers))))
		        if self.path.startswith("/token"):
		            body = json.dumps({"token": "abc\r\nX-Injected: yes"}).encode()
		            self.send_response(200)
		        else:
		            body = b'{"errors":[{"code":"UNAUTHORIZED","message":"no"}]}'
		            self.send_response(401)
		            self.send_header("WWW-Authenticate", 'Bearer realm="http://127.0.0.1:%d/token",service="s"' % port)
		        self.send_header("Content-Type", "application/json")
		        self.send_header("Content-Length", str(len(body)))
		        self.end_headers()
		        self.wfile.write(body)
		srv = http.server.HTTPServer(("127.0.0.1", port), H)
		print("ready", flush=True)
		srv.serve_forever()
	PY
	local pid=$!
	wait_until 10 "the token server to be ready" grep -q ready "$T/srv.out"
	run timeout 60 "$OCI_FETCH" --no-cache "127.0.0.1:$port/test/one:latest"
	kill "$pid"
	wait "$pid" || true
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "token"
	! grep -qi "x-injected" "$T/seen" || false
	grep -q "^/token" "$T/seen"
}
