#!/usr/bin/env bats
# oci-unpack and non-distributable (foreign) layers: one that is in the image is applied like
# any layer, its media type telling the compression; one that is not (a layout or archive
# written by a tool that skips foreign layers) is one clear error naming the layer and where
# its descriptor says it can be fetched, and DEST is left as it was.

load ../lib/common
load ../lib/images

TREECMP=$BATS_TEST_DIRNAME/../lib/treecmp.sh

setup_file() {
	# the reference tree: the same layers, all distributable
	python3 "$MKIMAGE" "$BATS_FILE_TMPDIR/plain" --layers 3 >/dev/null
	"$OCI_UNPACK" -q --layout "$BATS_FILE_TMPDIR/plain" "$BATS_FILE_TMPDIR/want"
	export WANT=$BATS_FILE_TMPDIR/want
}

setup() {
	T=$BATS_TEST_TMPDIR
}

# layer_digest LAYOUT N: the digest of the manifest's layer N (1-based)
layer_digest() {
	local m
	m=$(jq -r '.manifests[0].digest' "$1/index.json")
	jq -r ".layers[$(($2 - 1))].digest" "$1/blobs/sha256/${m#sha256:}"
}

@test "non-distributable layers in the image are applied like any layer (OCI gzip, zstd, tar; Docker foreign)" {
	local v
	for v in "--compression gzip" "--compression zstd" "--compression none" "--format docker"; do
		rm -rf "$T/img" "$T/out"
		# shellcheck disable=SC2086
		python3 "$MKIMAGE" "$T/img" --layers 3 --foreign-layer 2 --foreign-layer 3 \
			--foreign-url 'http://127.0.0.1:9/{hex}' $v >/dev/null
		m=$(jq -r '.manifests[0].digest' "$T/img/index.json")
		jq -e '.layers[1].mediaType | test("nondistributable|foreign")' "$T/img/blobs/sha256/${m#sha256:}" >/dev/null
		"$OCI_UNPACK" -q --layout "$T/img" "$T/out"
		"$TREECMP" "$WANT" "$T/out"
	done
}

@test "a layout without its non-distributable layer: one line naming the layer and its urls, DEST absent" {
	python3 "$MKIMAGE" "$T/img" --layers 3 --foreign-layer 2 --foreign-omit \
		--foreign-url 'https://example.invalid/blobs/{hex}' --foreign-url 'http://127.0.0.1:9/x' >/dev/null
	d=$(layer_digest "$T/img" 2)
	[ ! -e "$T/img/blobs/sha256/${d#sha256:}" ]
	run "$OCI_UNPACK" --layout "$T/img" "$T/out"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 2/3 ${d:0:19}"
	assert_output_contains ": non-distributable layer is not in the image (urls: https://example.invalid/blobs/${d#sha256:}, http://127.0.0.1:9/x)"
	[ ! -e "$T/out" ]
	[ ! -L "$T/out" ]
	[ -z "$(ls -A "$T" | grep -v '^img$')" ]
	# an existing empty DEST stays empty
	mkdir "$T/empty"
	run "$OCI_UNPACK" --layout "$T/img" "$T/empty"
	assert_failure
	assert_output_contains "non-distributable layer is not in the image"
	[ -z "$(ls -A "$T/empty")" ]
}

@test "an oci-archive stream without its non-distributable layer fails the same way" {
	python3 "$MKIMAGE" "$T/img" --layers 3 --foreign-layer 2 --foreign-omit \
		--foreign-url 'http://127.0.0.1:9/{hex}' --oci-archive "$T/img.tar" >/dev/null
	d=$(layer_digest "$T/img" 2)
	! tar -tf "$T/img.tar" | grep -q "${d#sha256:}" || false
	# (an empty pattern would match any listing)
	d3=$(layer_digest "$T/img" 3)
	[ -n "${d3#sha256:}" ]
	tar -tf "$T/img.tar" | grep -q "${d3#sha256:}"
	run "$OCI_UNPACK" "$T/out" <"$T/img.tar"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 2/3 ${d:0:19}"
	assert_output_contains ": non-distributable layer is not in the image (urls: http://127.0.0.1:9/${d#sha256:})"
	[ ! -e "$T/out" ]
	[ -z "$(ls -A "$T" | grep -v '^img')" ]
}

@test "a missing non-distributable layer without urls, and a missing ordinary layer, are told apart" {
	python3 "$MKIMAGE" "$T/img" --layers 3 --foreign-layer 3 --foreign-omit >/dev/null
	run "$OCI_UNPACK" --layout "$T/img" "$T/out"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 3/3 $(layer_digest "$T/img" 3 | cut -c1-19)"
	assert_output_contains ": non-distributable layer is not in the image (its descriptor has no urls)"
	[ ! -e "$T/out" ]
	d=$(layer_digest "$T/img" 2)
	rm "$T/img/blobs/sha256/${d#sha256:}"
	run "$OCI_UNPACK" --layout "$T/img" "$T/out"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "layer 2/3 ${d:0:19}: blob is missing from the image"
	[ ! -e "$T/out" ]
}
