#!/usr/bin/env bats
# A layout oci-fetch writes is read by the peers: two images pulled into one layout under two
# tags (the second pull keeps the first), then `umoci unpack --image LAYOUT:tag`, `skopeo copy
# oci:LAYOUT:tag oci-archive:...` and `oci-unpack --layout LAYOUT:tag` each take the right one.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

TREECMP=$BATS_TEST_DIRNAME/../lib/treecmp.sh

setup_file() {
	require_cmd docker-registry jq curl python3 skopeo umoci
	registry_start plain
	image_push_busybox peers/one v1 --layers 2 >/dev/null
	export ONE=$IMAGE_DIGEST
	image_push_busybox peers/two v2 --layers 3 --features >/dev/null
	export TWO=$IMAGE_DIGEST
	export REGISTRY_ENV=$REGISTRY_DIR
	# one layout, two pulls: -o DIR (tag from the reference) and --output oci:DIR:TAG
	L=$BATS_FILE_TMPDIR/lay
	"$OCI_FETCH" -q --no-cache -o "$L" "$REGISTRY/peers/one:v1"
	"$OCI_FETCH" -q --no-cache --output "oci:$L:second" "$REGISTRY/peers/two:v2"
	export L
}

teardown_file() {
	registry_stop
}

setup() {
	registry_use "$REGISTRY_ENV"
	T=$BATS_TEST_TMPDIR
	UMOCI=(umoci unpack)
	[ "$(id -u)" = 0 ] || UMOCI=(umoci unpack --rootless)
	OWNER=()
	[ "$(id -u)" = 0 ] || OWNER=(--no-owner)
}

# ref_digest LAYOUT TAG: the digest index.json names for TAG
ref_digest() {
	jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$1/index.json"
}

@test "the second pull into a layout keeps the first: both tags, every blob verified" {
	check_layout "$L"
	[ "$(jq '.manifests | length' "$L/index.json")" = 2 ]
	[ "$(ref_digest "$L" v1)" = "$ONE" ]
	[ "$(ref_digest "$L" second)" = "$TWO" ]
	# each image's blobs are all there
	for m in "$ONE" "$TWO"; do
		for b in $(jq -r '.config.digest, .layers[].digest' "$L/blobs/sha256/${m#sha256:}"); do
			[ -f "$L/blobs/sha256/${b#sha256:}" ]
		done
	done
}

@test "umoci unpack --image LAYOUT:tag takes each tag, and agrees with oci-unpack --layout LAYOUT:tag" {
	"${UMOCI[@]}" --image "$L:v1" "$T/u1" >/dev/null 2>&1
	"${UMOCI[@]}" --image "$L:second" "$T/u2" >/dev/null 2>&1
	"$OCI_UNPACK" -q --layout "$L:v1" "$T/o1"
	"$OCI_UNPACK" -q --layout "$L:second" "$T/o2"
	[ "$(cat "$T/o1/etc/layer")" = 2 ]
	[ "$(cat "$T/o2/etc/layer")" = 3 ]
	[ -d "$T/o2/feat" ]
	[ ! -e "$T/o1/feat" ]
	"$TREECMP" "${OWNER[@]}" "$T/u1/rootfs" "$T/o1"
	"$TREECMP" "${OWNER[@]}" "$T/u2/rootfs" "$T/o2"
}

@test "skopeo copy oci:LAYOUT:tag oci-archive: takes each tag; oci-unpack reads the archives" {
	skopeo copy -q "oci:$L:v1" "oci-archive:$T/one.tar"
	skopeo copy -q "oci:$L:second" "oci-archive:$T/two.tar"
	# skopeo copies the manifests byte for byte
	tar -C "$T" -xf "$T/one.tar" index.json && [ "$(jq -r '.manifests[0].digest' "$T/index.json")" = "$ONE" ]
	tar -C "$T" -xf "$T/two.tar" index.json && [ "$(jq -r '.manifests[0].digest' "$T/index.json")" = "$TWO" ]
	"$OCI_UNPACK" -q -i "$T/one.tar" "$T/a1"
	"$OCI_UNPACK" -q -i "$T/two.tar" "$T/a2"
	"$OCI_UNPACK" -q --layout "$L:v1" "$T/o1"
	"$OCI_UNPACK" -q --layout "$L:second" "$T/o2"
	"$TREECMP" "$T/o1" "$T/a1"
	"$TREECMP" "$T/o2" "$T/a2"
}

@test "oci-unpack on a layout with two images of one platform and no tag asks for one" {
	run "$OCI_UNPACK" --layout "$L" "$T/x"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "choose one"
	[ ! -e "$T/x" ]
	run "$OCI_UNPACK" --layout "$L:nope" "$T/x"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "no image 'nope'"
	[ ! -e "$T/x" ]
	"$OCI_UNPACK" -q --layout "$L@$TWO" "$T/x"
	[ "$(cat "$T/x/etc/layer")" = 3 ]
}
