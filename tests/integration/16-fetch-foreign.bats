#!/usr/bin/env bats
# oci-fetch and non-distributable (foreign) layers: when the registry does not have such a
# layer's blob, the URLs of its descriptor are tried in order, with no credentials (not even
# on the registry's own origin, not after a redirect), each verified like any blob; a wrong
# or missing blob at every URL is one clear error. The registry (basic auth) sits behind
# tests/lib/faultproxy.py, which also serves the URLs' files (--files) and logs whether each
# request carried an Authorization header.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

setup_file() {
	require_cmd docker-registry jq curl python3
	registry_start basic
	export REGISTRY_ENV=$REGISTRY_DIR
}

teardown_file() {
	registry_stop
}

setup() {
	registry_use "$REGISTRY_ENV"
	T=$BATS_TEST_TMPDIR
	export XDG_CACHE_HOME=$T/xdg
	FILES=$T/files
	FILES_PORT=$(free_port)
	mkdir -p "$FILES"
	CREDS=(--creds "$REGISTRY_USER:$REGISTRY_PASS")
}

teardown() {
	proxy_stop
}

# foreign_image REPO TAG [mkimage options...]: a 3-layer image whose layer 2 is marked
# non-distributable (add --foreign-url ...) in the registry, which lacks that layer's blob
# (pushed with the others, then deleted from the repository: the registry answers 404).
# The registry refuses manifests with urls on push unless configured to allow them, so the
# manifest goes straight into its storage. Sets FD (the layer's digest), FHEX, FBLOB (the
# blob's file in the built layout), MANIFEST (the manifest file) and MDIGEST (its digest). With FOREIGN_KEEP=1 the
# registry keeps the blob.
foreign_image() {
	local repo=$1 tag=$2 a plain=()
	shift 2
	image_build "$T/img" --layers 3 --foreign-layer 2 "$@" >/dev/null
	MDIGEST=$IMAGE_DIGEST
	MANIFEST=$T/img/blobs/sha256/${MDIGEST#sha256:}
	# the same layers with plain media types, to push the blobs
	while [ $# -gt 0 ]; do
		case $1 in
		--foreign-url) shift ;;
		*) plain+=("$1") ;;
		esac
		shift
	done
	image_build "$T/plain" --layers 3 "${plain[@]}" >/dev/null
	image_push "$T/plain" "$repo" plain
	registry_put_manifest "$repo" "$tag" "$MANIFEST"
	FD=$(jq -r '.layers[1].digest' "$MANIFEST")
	FHEX=${FD#sha256:}
	FBLOB=$T/img/blobs/sha256/$FHEX
	[ -z "${FOREIGN_KEEP:-}" ] || return 0
	[ "$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASS" -X DELETE \
		"$REGISTRY_URL/v2/$repo/blobs/$FD")" = 202 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -u "$REGISTRY_USER:$REGISTRY_PASS" \
		"$REGISTRY_URL/v2/$repo/blobs/$FD")" = 404 ]
	# the registry serves the manifest with its urls, byte for byte
	curl -s -u "$REGISTRY_USER:$REGISTRY_PASS" -H "Accept: $(jq -r .mediaType "$MANIFEST")" \
		"$REGISTRY_URL/v2/$repo/manifests/$tag" | cmp - "$MANIFEST"
}

# serve PATH: the foreign blob as $FILES/PATH
serve() {
	mkdir -p "$(dirname "$FILES/$1")"
	cp "$FBLOB" "$FILES/$1"
}

@test "a foreign layer the registry lacks comes from its URL on the registry's own origin, without credentials" {
	proxy_start --files "$FILES"
	foreign_image foreign/same v1 --foreign-url "http://$PROXY/foreign/{hex}"
	serve "foreign/$FHEX"
	"$OCI_FETCH" "${CREDS[@]}" --cache "$T/c" -o "$T/lay" "$PROXY/foreign/same:v1"
	check_layout "$T/lay"
	# the layer is in the layout, the manifest (with its urls) byte-identical
	cmp "$FBLOB" "$T/lay/blobs/sha256/$FHEX"
	cmp "$MANIFEST" "$T/lay/blobs/sha256/${MDIGEST#sha256:}"
	[ "$(jq -r '.layers[1].urls[0]' "$T/lay/blobs/sha256/${MDIGEST#sha256:}")" = "http://$PROXY/foreign/$FHEX" ]
	# the registry was asked first, with credentials; the URL got none
	grep -q "main GET /v2/foreign/same/blobs/$FD range=- auth=yes action=pass" "$PROXY_LOG"
	grep -q "\"GET /v2/foreign/same/blobs/$FD HTTP/1.1\" 404" "$REGISTRY_LOG"
	grep -q "main GET /foreign/$FHEX range=- auth=no action=file" "$PROXY_LOG"
	! grep "/foreign/$FHEX .*auth=yes" "$PROXY_LOG" || false
	"$OCI_UNPACK" -q --layout "$T/lay:v1" "$T/rootfs"
	[ "$(cat "$T/rootfs/layers/2.txt")" = "layer 2" ]
	[ "$(cat "$T/rootfs/etc/layer")" = 3 ]
}

@test "URLs are tried in order on another origin; a redirect from there carries no credentials either (Docker foreign type, stream)" {
	proxy_start --files "$FILES" --files-port "$FILES_PORT"
	foreign_image foreign/docker v1 --format docker \
		--foreign-url "http://127.0.0.1:$FILES_PORT/nothing/{hex}" \
		--foreign-url "http://127.0.0.1:$FILES_PORT/hop/{hex}"
	[ "$(jq -r '.layers[1].mediaType' "$MANIFEST")" = application/vnd.docker.image.rootfs.foreign.diff.tar.gzip ]
	serve "foreign/$FHEX"
	mkdir -p "$FILES/hop"
	echo "http://$PROXY/foreign/$FHEX" >"$FILES/hop/$FHEX.redirect"
	"$OCI_FETCH" "${CREDS[@]}" --no-cache "$PROXY/foreign/docker:v1" >"$T/s.tar"
	check_stream "$T/s.tar" "$T/x"
	cmp "$FBLOB" "$T/x/blobs/sha256/$FHEX"
	grep -q "files GET /nothing/$FHEX range=- auth=no action=nofile" "$PROXY_LOG"
	grep -q "files GET /hop/$FHEX range=- auth=no action=file-redirect" "$PROXY_LOG"
	grep -q "main GET /foreign/$FHEX range=- auth=no action=file" "$PROXY_LOG"
	! grep "/foreign/$FHEX .*auth=yes" "$PROXY_LOG" || false
	"$OCI_UNPACK" -q -i "$T/s.tar" "$T/rootfs"
	[ "$(cat "$T/rootfs/layers/2.txt")" = "layer 2" ]
}

@test "a wrong blob at a URL is rejected and the next URL's right one taken" {
	proxy_start --files "$FILES" --files-port "$FILES_PORT"
	foreign_image foreign/wrong v1 --foreign-url "http://127.0.0.1:$FILES_PORT/bad/{hex}" \
		--foreign-url "http://127.0.0.1:$FILES_PORT/good/{hex}"
	serve "good/$FHEX"
	serve "bad/$FHEX"
	# same size, one byte flipped
	printf '\xff' | dd of="$FILES/bad/$FHEX" bs=1 seek=100 conv=notrunc status=none
	"$OCI_FETCH" "${CREDS[@]}" --cache "$T/c" "$PROXY/foreign/wrong:v1" >"$T/s.tar"
	check_stream "$T/s.tar" "$T/x"
	cmp "$FBLOB" "$T/x/blobs/sha256/$FHEX"
	grep -q "files GET /bad/$FHEX .*action=file" "$PROXY_LOG"
	grep -q "files GET /good/$FHEX .*action=file" "$PROXY_LOG"
	cmp "$FBLOB" "$T/c/sha256/$FHEX"
}

@test "no URL serves the right blob: one error naming the layer, its digest and that it is non-distributable; nothing kept" {
	proxy_start --files "$FILES" --files-port "$FILES_PORT"
	closed=$(free_port)
	foreign_image foreign/none v1 --foreign-url "file:///etc/passwd" \
		--foreign-url "http://127.0.0.1:$closed/down" \
		--foreign-url "http://127.0.0.1:$FILES_PORT/bad/{hex}" \
		--foreign-url "http://127.0.0.1:$FILES_PORT/missing/{hex}"
	serve "bad/$FHEX"
	printf 'x' >>"$FILES/bad/$FHEX"
	run "$OCI_FETCH" "${CREDS[@]}" --cache "$T/c" -o "$T/lay" "$PROXY/foreign/none:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "layer 2/3: blob $FD: non-distributable layer: no source served it"
	assert_output_contains "registry: blob unknown to registry"
	assert_output_contains "file:///etc/passwd: not an http(s) URL; http://127.0.0.1:$closed/down: "
	assert_output_contains "http://127.0.0.1:$FILES_PORT/bad/$FHEX: size mismatch"
	assert_output_contains "http://127.0.0.1:$FILES_PORT/missing/$FHEX: HTTP 404"
	[ ! -e "$T/c/sha256/$FHEX" ]
	[ -z "$(find "$T/c" -name '.partial-*')" ]
	[ ! -e "$T/lay/blobs/sha256/$FHEX" ]
	[ "$(jq '.manifests | length' "$T/lay/index.json" 2>/dev/null || echo 0)" = 0 ]
}

@test "a non-distributable layer without urls that the registry lacks: a clear error" {
	proxy_start
	foreign_image foreign/nourl v1
	run "$OCI_FETCH" "${CREDS[@]}" --no-cache "$PROXY/foreign/nourl:v1" -o "$T/lay"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "layer 2/3: blob $FD: non-distributable layer: no source served it (registry: blob unknown to registry; urls: none in its descriptor)"
}

@test "a foreign layer the registry has comes from the registry; its URL is never contacted" {
	proxy_start --files "$FILES" --files-port "$FILES_PORT"
	FOREIGN_KEEP=1 foreign_image foreign/kept v1 --compression zstd \
		--foreign-url "http://127.0.0.1:$FILES_PORT/never/{hex}"
	"$OCI_FETCH" "${CREDS[@]}" --no-cache -o "$T/lay" "$PROXY/foreign/kept:v1"
	check_layout "$T/lay"
	! grep -q "^files " "$PROXY_LOG" || false
	"$OCI_UNPACK" -q --layout "$T/lay" "$T/rootfs"
	[ "$(cat "$T/rootfs/layers/2.txt")" = "layer 2" ]
}
