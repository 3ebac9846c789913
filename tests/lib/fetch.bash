# Helpers for the oci-fetch integration tests (10-14-fetch-*.bats). Load after common,
# registry and images: `load ../lib/fetch`.
#
#   check_layout DIR            every blob's content matches its name; index.json names blobs present
#   check_stream FILE DIR       extract the oci-archive FILE into DIR, check the streaming order
#                               (oci-layout, index.json, manifest, config, layers) and the blobs
#   blob_gets REPO DIGEST       how many GETs of that blob the current registry has logged
#   proxy_start ARGS...         start tests/lib/faultproxy.py in front of $REGISTRY_URL; exports
#                               PROXY (127.0.0.1:PORT), PROXY_LOG, PROXY_PID, PROXY_PORT2
#   proxy_stop                  stop it
#   free_port                   a free TCP port on 127.0.0.1
#   registry6_start / _stop     the current registry's storage served on [::1]:PORT ($REGISTRY6)
#   have_ipv6_loopback          whether ::1 can be used here
#   registry_put_manifest REPO TAG FILE
#                               store FILE as REPO:TAG straight into the registry's storage
#   pager_start ARGS...         start tests/lib/tagpager.py (paginated tag lists) in front of
#                               $REGISTRY_URL; exports PAGER (127.0.0.1:PORT), PAGER_LOG, PAGER_PID
#   pager_stop                  stop it

FETCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

check_layout() {
	local dir=$1 f dg
	[ -f "$dir/oci-layout" ] || { echo "no oci-layout in $dir" >&2; return 1; }
	for f in "$dir"/blobs/sha256/*; do
		[ -f "$f" ] || { echo "no blobs in $dir" >&2; return 1; }
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || {
			echo "blob $f does not match its name" >&2
			return 1
		}
	done
	for dg in $(jq -r '.manifests[].digest' "$dir/index.json"); do
		[ -f "$dir/blobs/sha256/${dg#sha256:}" ] || { echo "index.json names missing $dg" >&2; return 1; }
	done
}

check_stream() {
	local file=$1 dir=$2 m cfg
	mkdir -p "$dir"
	tar -C "$dir" -xf "$file" || return 1
	check_layout "$dir" || return 1
	m=$(jq -r '.manifests[0].digest' "$dir/index.json")
	cfg=$(jq -r '.config.digest' "$dir/blobs/sha256/${m#sha256:}")
	{
		echo oci-layout
		echo index.json
		echo "blobs/sha256/${m#sha256:}"
		echo "blobs/sha256/${cfg#sha256:}"
		jq -r '.layers[].digest' "$dir/blobs/sha256/${m#sha256:}" | awk '!seen[$0]++' | sed 's,^sha256:,blobs/sha256/,'
	} >"$dir.want-order"
	tar -tf "$file" >"$dir.order"
	diff -u "$dir.want-order" "$dir.order" >&2
}

blob_gets() {
	grep -c "\"GET /v2/$1/blobs/$2 HTTP/1.1\" 20[06]" "$REGISTRY_LOG" || true
}

proxy_start() {
	PROXY_PORT=$(free_port)
	PROXY_PORT2=$(free_port)
	PROXY_LOG=$BATS_TEST_TMPDIR/proxy.log
	python3 "$FETCH_LIB_DIR/faultproxy.py" --port "$PROXY_PORT" --redirect-port "$PROXY_PORT2" \
		--upstream "$REGISTRY_URL" --log "$PROXY_LOG" "$@" >"$BATS_TEST_TMPDIR/proxy.out" 2>&1 3>&- &
	PROXY_PID=$!
	wait_until 10 "the fault proxy to be ready" grep -q ready "$BATS_TEST_TMPDIR/proxy.out" ||
		{ cat "$BATS_TEST_TMPDIR/proxy.out" >&2; return 1; }
	PROXY=127.0.0.1:$PROXY_PORT
	export PROXY PROXY_LOG PROXY_PID PROXY_PORT PROXY_PORT2
}

proxy_stop() {
	if [ -n "${PROXY_PID:-}" ]; then
		kill "$PROXY_PID" 2>/dev/null || true
		# a killed child's status is non-zero: expected, also under set -e in a test body
		wait "$PROXY_PID" 2>/dev/null || true
		PROXY_PID=
	fi
	return 0
}

# have_ipv6_loopback: true when ::1 can be bound here
have_ipv6_loopback() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0)); s.close()' 2>/dev/null
}

# registry6_start: a second docker-registry serving the current registry's storage on
# [::1]:PORT (same images); exports REGISTRY6 ([::1]:PORT), REGISTRY6_LOG, REGISTRY6_PID.
registry6_start() {
	local port d=$BATS_TEST_TMPDIR/registry6 v unset_args=()
	port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0)); print(s.getsockname()[1]); s.close()') || return 1
	mkdir -p "$d"
	sed -e "s/^  addr: .*/  addr: \"[::1]:$port\"/" "$REGISTRY_DIR/config.yml" >"$d/config.yml"
	for v in $(compgen -e | grep '^REGISTRY_'); do unset_args+=(-u "$v"); done
	env "${unset_args[@]}" docker-registry serve "$d/config.yml" >"$d/registry.log" 2>&1 3>&- &
	REGISTRY6_PID=$!
	REGISTRY6="[::1]:$port"
	REGISTRY6_LOG=$d/registry.log
	export REGISTRY6 REGISTRY6_LOG REGISTRY6_PID
	local i
	for i in $(seq 1 100); do
		curl -s -o /dev/null --max-time 2 "http://$REGISTRY6/v2/" && return 0
		kill -0 "$REGISTRY6_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "registry6_start: docker-registry did not come up on $REGISTRY6:" >&2
	tail -5 "$REGISTRY6_LOG" >&2
	return 1
}

# registry6_stop: stop the registry started by registry6_start
registry6_stop() {
	if [ -n "${REGISTRY6_PID:-}" ]; then
		kill "$REGISTRY6_PID" 2>/dev/null || true
		wait "$REGISTRY6_PID" 2>/dev/null || true
		REGISTRY6_PID=
	fi
	return 0
}

# registry_put_manifest REPO TAG FILE: store the manifest FILE as REPO:TAG straight into the
# current registry's filesystem storage, past the registry's push-time validation (which
# refuses a manifest with urls unless configured with an allow list, and any non-http(s)
# URL): what a registry configured otherwise, or a hostile one, would serve. The registry
# reads it back like any pushed manifest. The blobs it names are pushed separately.
registry_put_manifest() {
	local repo=$1 tag=$2 file=$3 hex l
	local v2=$REGISTRY_STORAGE/docker/registry/v2
	local m=$v2/repositories/$repo/_manifests
	hex=$(sha256sum <"$file" | cut -d' ' -f1)
	mkdir -p "$v2/blobs/sha256/${hex:0:2}/$hex" || return 1
	cp "$file" "$v2/blobs/sha256/${hex:0:2}/$hex/data" || return 1
	for l in "revisions/sha256/$hex" "tags/$tag/current" "tags/$tag/index/sha256/$hex"; do
		mkdir -p "$m/$l" && printf 'sha256:%s' "$hex" >"$m/$l/link" || return 1
	done
}

pager_start() {
	local port out=$BATS_TEST_TMPDIR/pager.out
	port=$(free_port)
	PAGER_LOG=$BATS_TEST_TMPDIR/pager.log
	: >"$PAGER_LOG"
	python3 "$FETCH_LIB_DIR/tagpager.py" --port "$port" --upstream "$REGISTRY_URL" \
		--log "$PAGER_LOG" "$@" >"$out" 2>&1 3>&- &
	PAGER_PID=$!
	wait_until 10 "the tag pager to be ready" grep -q ready "$out" || { cat "$out" >&2; return 1; }
	PAGER=127.0.0.1:$port
	export PAGER PAGER_LOG PAGER_PID
}

pager_stop() {
	if [ -n "${PAGER_PID:-}" ]; then
		kill "$PAGER_PID" 2>/dev/null || true
		wait "$PAGER_PID" 2>/dev/null || true
		PAGER_PID=
	fi
	return 0
}

# fetch_private_home: $T (the test's temporary directory) and a private $HOME and XDG cache
# there, with none of the credential or config variables of the caller's environment, so that
# neither oci-fetch nor skopeo reads the machine's logins, cache or registries. Call from setup.
fetch_private_home() {
	T=$BATS_TEST_TMPDIR
	export HOME=$T/home XDG_CACHE_HOME=$T/xdg
	unset DOCKER_CONFIG REGISTRY_AUTH_FILE XDG_RUNTIME_DIR XDG_CONFIG_HOME
	mkdir -p "$HOME"
}

# registries_push_auth LAYOUT REPO: starts a basic-auth and a token registry and pushes the
# layout to REPO:latest in each; their environments are in $BASIC_ENV and $TOKEN_ENV (for
# registry_use). Call from setup_file after the image is built.
registries_push_auth() {
	registry_start basic
	image_push "$1" "$2" latest >/dev/null
	export BASIC_ENV=$REGISTRY_DIR
	registry_start token
	image_push "$1" "$2" latest >/dev/null
	export TOKEN_ENV=$REGISTRY_DIR
}
