#!/usr/bin/env bats
# oci-fetch as people see it: per-layer progress bars on a terminal (run under tmux) and
# silence otherwise or with --quiet; --help generated from the option table; IPv6 and Docker
# Hub references; one clear line per failure class.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

setup_file() {
	require_cmd docker-registry jq curl python3
	registry_start plain
	image_push_busybox test/multi v1 --layers 3 >/dev/null
	export MULTI_DIGEST=$IMAGE_DIGEST
	export REGISTRY_ENV=$REGISTRY_DIR
}

teardown_file() {
	registry_stop
}

setup() {
	registry_use "$REGISTRY_ENV"
	T=$BATS_TEST_TMPDIR
	export XDG_CACHE_HOME=$T/xdg
	V6_PID= EXTRA_PID=
}

teardown() {
	proxy_stop
	if [ -S "$T/tmux.sock" ]; then tmux -S "$T/tmux.sock" kill-server 2>/dev/null || true; fi
	local pid
	for pid in $V6_PID $EXTRA_PID; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	return 0
}

# in_terminal CMD: run CMD (a shell command line) in a detached tmux pane, so its stderr is a
# terminal; waits for it and leaves the pane's text in $T/pane and its exit status in $T/rc.
in_terminal() {
	rm -f "$T/rc"
	env -u TMUX tmux -S "$T/tmux.sock" new-session -d -x 200 -y 50 "$1; echo \$? >'$T/rc.tmp'; mv '$T/rc.tmp' '$T/rc'; sleep 600"
	wait_until 30 "the command to finish in the terminal" test -s "$T/rc"
	tmux -S "$T/tmux.sock" capture-pane -p -J >"$T/pane"
	tmux -S "$T/tmux.sock" kill-server 2>/dev/null || true
}

# layer_digests: the test/multi:v1 layer digests, bottom first
layer_digests() {
	curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/test/multi/manifests/v1" | jq -r '.layers[].digest'
}

@test "progress: one bar per layer (bytes, rate) on a terminal; the stream still goes to stdout" {
	require_cmd tmux
	in_terminal "'$OCI_FETCH' --cache '$T/c' $REGISTRY/test/multi:v1 >'$T/s.tar'"
	[ "$(cat "$T/rc")" = 0 ]
	check_stream "$T/s.tar" "$T/x"
	cat "$T/pane" >&2
	i=0
	for l in $(layer_digests); do
		i=$((i + 1))
		short=${l:0:19}
		# e.g. "layer 1/3 sha256:e93d0cd97a96 [=====] 1009.5 KiB / 1009.5 KiB  24.1 MiB/s  downloaded"
		# (streaming: "verified" would read as done while the consumer still works)
		[ "$(grep -cE "^layer $i/3 $short \[=+\] [0-9.]+ [KMG]iB / [0-9.]+ [KMG]iB  [0-9.]+ [KMG]iB/s  downloaded\$" "$T/pane")" = 1 ]
	done
	[ "$(grep -c '^layer ' "$T/pane")" = 3 ]
	# a second pull from the cache says so, per layer
	in_terminal "'$OCI_FETCH' --cache '$T/c' -o '$T/lay' $REGISTRY/test/multi:v1"
	[ "$(cat "$T/rc")" = 0 ]
	check_layout "$T/lay"
	[ "$(grep -cE '^layer [1-3]/3 sha256:[0-9a-f]{12} \[=+\] .* cached$' "$T/pane")" = 3 ]
}

@test "progress: --quiet silences it on a terminal; a non-terminal stderr stays empty on success" {
	require_cmd tmux
	in_terminal "'$OCI_FETCH' --quiet --no-cache $REGISTRY/test/multi:v1 >'$T/s.tar'"
	[ "$(cat "$T/rc")" = 0 ]
	check_stream "$T/s.tar" "$T/x"
	! grep -q . "$T/pane" || false
	"$OCI_FETCH" --no-cache "$REGISTRY/test/multi:v1" >"$T/s2.tar" 2>"$T/err"
	[ ! -s "$T/err" ]
	"$OCI_FETCH" --cache "$T/c" -o "$T/lay" "$REGISTRY/test/multi:v1" 2>"$T/err"
	"$OCI_FETCH" --cache "$T/c" -o "$T/lay" "$REGISTRY/test/multi:v1" 2>>"$T/err"
	[ ! -s "$T/err" ]
	cmp "$T/s.tar" "$T/s2.tar"
}

@test "IPv6: [::1]:PORT/name references work end to end (stream, layout, digest)" {
	have_ipv6_loopback || skip "no IPv6 on the loopback interface"
	registry6_start
	V6_PID=$REGISTRY6_PID
	"$OCI_FETCH" --no-cache "$REGISTRY6/test/multi:v1" >"$T/s.tar"
	check_stream "$T/s.tar" "$T/x"
	[ "$(jq -r '.manifests[0].digest' "$T/x/index.json")" = "$MULTI_DIGEST" ]
	run -0 "$OCI_FETCH" --no-cache --print-digest -o "oci:$T/lay:six" "$REGISTRY6/test/multi@$MULTI_DIGEST"
	[ "$output" = "$MULTI_DIGEST" ]
	check_layout "$T/lay"
	[ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$T/lay/index.json")" = six ]
	# it really went over IPv6, to that server
	grep -q "^::1 .*\"GET /v2/test/multi/blobs/sha256:.* 200 .*oci-fetch" "$REGISTRY6_LOG"
	run "$OCI_FETCH" --no-cache "$REGISTRY6/test/multi:nope"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "$REGISTRY6/test/multi:nope: manifest unknown"
}

@test "Docker Hub short names are normalised to registry-1.docker.io; no network fails fast and clearly" {
	export HOME=$T/home
	unset DOCKER_CONFIG REGISTRY_AUTH_FILE XDG_RUNTIME_DIR XDG_CONFIG_HOME
	for ref in busybox library/busybox docker.io/busybox index.docker.io/library/busybox:latest; do
		start=$(date +%s)
		run timeout 60 "$OCI_FETCH" --debug --print-digest -o "$T/lay" "$ref"
		[ "$status" -ne 124 ]
		[ $(($(date +%s) - start)) -le 20 ]
		assert_output_contains "GET https://registry-1.docker.io/v2/library/busybox/manifests/latest"
		if [ "$status" -ne 0 ]; then
			# no network here: one line naming the image and the host it could not reach
			last=$(printf '%s\n' "$output" | tail -1)
			[[ "$last" == "oci-fetch: docker.io/library/busybox:latest: "*registry-1.docker.io* ]]
		fi
	done
}

@test "--help is generated from the option table and documents every option" {
	run -0 "$OCI_FETCH" --help
	help=$output
	[[ "$help" == "Usage: oci-fetch [OPTIONS] IMAGE"* ]]
	table=$(sed -n '/^static const oci_cli_option options\[\]/,/^};/p' "$TOP/fetch/main.c")
	n=0
	while read -r name short kind; do
		n=$((n + 1))
		line=$(grep -E -- "^ +(-[a-z], )?--$name( |\$)" <<<"$help")
		[ -n "$line" ] || { echo "--$name is not in --help" >&2; false; }
		[ "$(wc -l <<<"$line")" = 1 ]
		# a help text after the option name
		[[ "$line" =~ --$name(\ [^ ]+)?\ \ +[a-z] ]] || { echo "--$name has no help text: $line" >&2; false; }
		if [ "$short" != 0 ]; then [[ "$line" == "  -$short, --$name"* ]]; fi
		if [ "$kind" = OCI_ARG_REQUIRED ]; then
			[[ "$line" =~ --$name\ [A-Z] ]] || { echo "--$name does not name its argument" >&2; false; }
			# the parser takes it with an argument (options act in order: --help then exits)
			run "$OCI_FETCH" "--$name" 4096 --help
			[ "$status" = 0 ] || run -0 "$OCI_FETCH" "--$name" 1 --help
		else
			run -0 "$OCI_FETCH" "--$name" --help
		fi
		[[ "$output" == "Usage: oci-fetch"* || "$output" == "oci-fetch version "* ]]
	done < <(grep -oE '^\s*\{"[a-z0-9-]+", ('"'"'.'"'"'|0), OCI_ARG_[A-Z]+' <<<"$table" |
		sed -E "s/^\s*\{\"([a-z0-9-]+)\", '?(.|0)'?, (OCI_ARG_[A-Z]+)/\1 \2 \3/")
	# every option of the table, and nothing else
	[ "$n" -ge 20 ]
	[ "$(grep -cE '^ +(-[a-z], )?--[a-z]' <<<"$help")" = "$n" ]
	run "$OCI_FETCH" --no-such-option x
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "no-such-option"
}

@test "failure classes: one line each, naming the object" {
	# manifest unknown: tag and digest references
	run "$OCI_FETCH" --no-cache "$REGISTRY/test/multi:nope"
	assert_failure
	[ "$output" = "oci-fetch: $REGISTRY/test/multi:nope: manifest unknown" ]
	d=sha256:$(printf x | sha256sum | cut -d' ' -f1)
	run "$OCI_FETCH" --no-cache "$REGISTRY/test/multi@$d"
	assert_failure
	[ "$output" = "oci-fetch: $REGISTRY/test/multi@$d: manifest unknown" ]
	# 429 until the retries run out
	proxy_start --fail429 100 --retry-after 0
	run "$OCI_FETCH" --no-cache "$PROXY/test/multi:v1"
	assert_failure
	assert_one_line_error oci-fetch
	[[ "$output" =~ ^oci-fetch:\ $PROXY/test/multi:v1:\ config:\ blob\ sha256:[0-9a-f]{64}:\ HTTP\ 429\ Too\ Many\ Requests,\ gave\ up\ after\ 6\ attempts$ ]]
	[ "$(grep -c 'action=429' "$PROXY_LOG")" = 6 ]
	proxy_stop
	proxy_stop
	# a TLS failure: names the registry and says what to do
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$T/k.pem" -out "$T/c.pem" >/dev/null 2>&1
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=some other CA" \
		-keyout "$T/ok.pem" -out "$T/other.pem" >/dev/null 2>&1
	port=$(free_port)
	python3 -c '
import http.server, ssl, sys
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.BaseHTTPRequestHandler)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[2], sys.argv[3])
s.socket = c.wrap_socket(s.socket, server_side=True)
print("ready", flush=True); s.serve_forever()' "$port" "$T/c.pem" "$T/k.pem" >"$T/tls.out" 2>/dev/null 3>&- &
	EXTRA_PID=$!
	wait_until 10 "the TLS server to be ready" grep -q ready "$T/tls.out"
	run "$OCI_FETCH" --no-cache --cacert "$T/other.pem" "127.0.0.1:$port/test/multi:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "oci-fetch: 127.0.0.1:$port/test/multi:v1: https://127.0.0.1:$port/v2/"
	assert_output_contains "certificate"
	assert_output_contains "--cacert"
	# a registry that is not there: one line, in seconds
	port=$(free_port)
	start=$(date +%s)
	run "$OCI_FETCH" --no-cache "127.0.0.1:$port/test/multi:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "127.0.0.1:$port/test/multi:v1: "
	assert_output_contains "Couldn't connect to server"
	[ $(($(date +%s) - start)) -le 5 ]
}
