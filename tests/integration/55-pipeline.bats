#!/usr/bin/env bats
# The whole workflow as a user runs it: oci-fetch | oci-unpack | oci-bundle | oci-run against
# the real registry fixture and the real kernel, and the README's demo command.

load ../lib/common
load ../lib/registry
load ../lib/images

setup_file() {
	require_root
	registry_start plain
	export PIPE_REGISTRY_DIR=$REGISTRY_DIR
	image_push_busybox e2e/plain latest >/dev/null
	image_push_busybox e2e/app latest --layers 2 --user app --workdir /home/app \
		--entrypoint '["/bin/sh","-c"]' --cmd '["echo user=$(id -un) cwd=$(pwd) home=$HOME greeting=$GREETING"]' \
		--env GREETING=hello >/dev/null
	export STATE=$BATS_FILE_TMPDIR/state
}

teardown_file() {
	registry_stop || true
}

setup() {
	require_root
	registry_use "$PIPE_REGISTRY_DIR"
	cd "$BATS_TEST_TMPDIR"
	CID=e2e-$BATS_TEST_NUMBER-$$
}

teardown() {
	"$OCI_RUN" --root "$STATE" delete --force "$CID" >/dev/null 2>&1 || true
}

@test "pipeline: the seed workflow (mkdir rootfs, fetch | unpack, bundle spec, edit, run)" {
	mkdir rootfs
	"$OCI_FETCH" --quiet --no-cache "$REGISTRY/e2e/plain:latest" | "$OCI_UNPACK" --quiet rootfs
	run "$OCI_BUNDLE" spec
	assert_success
	run "$OCI_BUNDLE" edit --no-terminal --hostname e2e -- /bin/sh -c 'echo "$(hostname) pid=$$"; exit 7'
	assert_success
	run "$OCI_RUN" --root "$STATE" run "$CID"
	[ "$status" -eq 7 ]
	[ "$output" = "e2e pid=1" ]
}

@test "pipeline: fetch | unpack --bundle runs the image's own process (Entrypoint, Cmd, User, WorkingDir, Env)" {
	"$OCI_FETCH" --quiet --no-cache "$REGISTRY/e2e/app:latest" | "$OCI_UNPACK" --quiet --bundle b
	[ -d b/rootfs ]
	[ -f b/config.json ]
	[ -f b/image-config.json ]
	run "$OCI_BUNDLE" validate b
	assert_success
	cd b
	run "$OCI_RUN" --root "$STATE" run "$CID"
	assert_success
	[ "$output" = "user=app cwd=/home/app home=/home/app greeting=hello" ]
}

@test "pipeline: --args after -- replaces the image's Cmd" {
	"$OCI_FETCH" --quiet --no-cache "$REGISTRY/e2e/app:latest" | "$OCI_UNPACK" --quiet --bundle b
	run "$OCI_BUNDLE" spec --bundle b --force --from-image -- 'echo replaced by $(id -u)'
	assert_success
	cd b
	run "$OCI_RUN" --root "$STATE" run "$CID"
	assert_success
	[ "$output" = "replaced by 1000" ]
}

@test "pipeline: a corrupted layer in the registry stops the pipeline and leaves no bundle" {
	image_push_busybox e2e/bad latest --layers 2 >/dev/null
	local layer
	layer=$(jq -r '.layers[1].digest' "$IMAGE_LAYOUT/blobs/sha256/$(jq -r '.manifests[0].digest' "$IMAGE_LAYOUT/index.json" | cut -d: -f2)")
	local blob
	blob=$(image_blob_path "$layer")
	printf '\x00' | dd of="$blob" bs=1 seek=100 conv=notrunc status=none
	run bash -c '"$1" --quiet --no-cache "$2" 2>fetch.err | "$3" --quiet --bundle b 2>unpack.err; echo "${PIPESTATUS[*]}"' \
		_ "$OCI_FETCH" "$REGISTRY/e2e/bad:latest" "$OCI_UNPACK"
	read -r fetch_rc unpack_rc <<<"$output"
	[ "$fetch_rc" -ne 0 ]
	[ "$unpack_rc" -ne 0 ]
	grep -q "${layer:7:12}" fetch.err
	[ "$(wc -l <fetch.err)" -eq 1 ]
	[ ! -e b ]
	# no bundle and no staging directory: only the logs and the pushed image's layout remain
	[ -z "$(ls -A . | grep -v -e '\.err$' -e '^image\.')" ]
}

@test "pipeline: a reference that does not exist fails in oci-fetch with one line" {
	run "$OCI_FETCH" --quiet --no-cache "$REGISTRY/e2e/nope:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "manifest unknown"
}

@test "make demo's pipeline (examples/quickstart.sh) prints the container's greeting" {
	mkdir "$BATS_TEST_TMPDIR/tmp"
	run env TMPDIR="$BATS_TEST_TMPDIR/tmp" "$TOP/examples/quickstart.sh"
	assert_success
	assert_output_contains "Hello from an oci-toolkit container: hostname oci-demo, pid 1, user root"
	# the demo works in one temporary directory and removes it with its container and registry
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/tmp")" ]
}
