#!/usr/bin/env bats
# oci-fetch | oci-unpack pipelines that explain themselves: when one side fails, one true line
# (the input ended before an image arrived; no "Broken pipe" from oci-fetch), and what a person
# at a terminal sees (a pty): oci-unpack's progress and summary (-q silences them), oci-fetch's
# bars saying "downloaded" (not "verified") while the consumer still works, and its summary.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

PTYRUN=$BATS_TEST_DIRNAME/../lib/ptyrun.py

setup_file() {
	require_cmd docker-registry jq curl python3
	registry_start plain
	# 8 MiB of incompressible data (3 layers): much more than a pipe holds
	image_push_busybox test/big latest --layers 2 --size-mb 8 >/dev/null
	export BIG_DIGEST=$IMAGE_DIGEST BIG_LAYOUT=$IMAGE_LAYOUT
}

teardown_file() {
	registry_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	export HOME=$T/home XDG_CACHE_HOME=$T/xdg
	mkdir -p "$HOME"
}

teardown() {
	proxy_stop
}

@test "oci-fetch fails: oci-unpack says the input ended before an image arrived, creates nothing" {
	run bash -c "'$OCI_FETCH' $REGISTRY/test/nope:latest 2>'$T/fetch.err' | '$OCI_UNPACK' '$T/root'; echo \"\${PIPESTATUS[*]}\" >'$T/st'"
	[ "$(cat "$T/st")" = "1 1" ]
	[ "$output" = "oci-unpack: the input ended before an image arrived (did the command writing it fail?)" ]
	[ "$(cat "$T/fetch.err")" = "oci-fetch: $REGISTRY/test/nope:latest: manifest unknown" ]
	[ ! -e "$T/root" ]
	# the same for nothing at all on stdin, and an empty file
	run bash -c ": | '$OCI_UNPACK' '$T/root'"
	assert_failure
	assert_output_contains "ended before an image arrived"
	: >"$T/empty.tar"
	run "$OCI_UNPACK" -i "$T/empty.tar" "$T/root"
	assert_failure
	assert_one_line_error oci-unpack
	assert_output_contains "$T/empty.tar is empty"
}

@test "oci-fetch fails in the middle: oci-unpack says the image did not arrive whole" {
	# a registry that serves a corrupt layer: oci-fetch has sent the manifest, the config
	# and the first layer when it finds out (a layer of its own: blobs are shared)
	image_push_busybox test/corrupt latest --size-mb 3 >/dev/null
	m=$IMAGE_LAYOUT/blobs/sha256/${IMAGE_DIGEST#sha256:}
	f=$(image_blob_path "$(jq -r '.layers[-1].digest' "$m")")
	printf 'X' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") - 100)) conv=notrunc 2>/dev/null
	bash -c "'$OCI_FETCH' --no-cache $REGISTRY/test/corrupt:latest 2>'$T/fetch.err' | '$OCI_UNPACK' '$T/root' 2>'$T/unpack.err'; echo \"\${PIPESTATUS[*]}\" >'$T/st'"
	[ "$(cat "$T/st")" = "1 1" ]
	[ "$(grep -c . "$T/fetch.err")" = 1 ]
	grep -q "digest" "$T/fetch.err"
	[ "$(grep -c . "$T/unpack.err")" = 1 ]
	grep -q "^oci-unpack: the input ended before the whole image arrived (did the command writing it fail?): " "$T/unpack.err"
	[ ! -e "$T/root" ]
}

@test "oci-unpack fails: oci-fetch adds no 'Broken pipe', one line in all" {
	"$OCI_FETCH" -q -o "$T/warm" "$REGISTRY/test/big:latest" # the cache: oci-fetch outruns the pipe
	bash -c "'$OCI_FETCH' $REGISTRY/test/big:latest 2>'$T/fetch.err' | '$OCI_UNPACK' --max-files 3 '$T/root' 2>'$T/unpack.err'; echo \"\${PIPESTATUS[*]}\" >'$T/st'"
	# oci-unpack stopped reading long before the 16 MiB were through
	[ "$(cat "$T/st")" = "1 1" ]
	[ ! -s "$T/fetch.err" ]
	[ "$(grep -c . "$T/unpack.err")" = 1 ]
	grep -q "^oci-unpack: .*more than 3 entries (see --max-files)" "$T/unpack.err"
	# --debug still says what happened
	run -1 bash -c "'$OCI_FETCH' --debug $REGISTRY/test/big:latest 2>'$T/fetch.err' | '$OCI_UNPACK' --max-files 3 '$T/root' 2>/dev/null"
	grep -q "writing the image stream: write failed: Broken pipe" "$T/fetch.err" || {
		cat "$T/fetch.err" >&2
		false
	}
}

@test "on a terminal: oci-unpack shows progress and a summary; -q and a pipe show nothing" {
	"$OCI_FETCH" -q -o "$T/lay" "$REGISTRY/test/big:latest"
	tar -C "$T/lay" -cf "$T/img.tar" .
	cfg=$(jq -r .config.digest "$T/lay/blobs/sha256/${BIG_DIGEST#sha256:}")
	run -0 python3 "$PTYRUN" -- "$OCI_UNPACK" -i "$T/img.tar" "$T/root1"
	assert_output_contains "oci-unpack: image ${cfg:0:19}"
	assert_output_contains "3 layers, "
	assert_output_contains "files into '$T/root1' in "
	[ -x "$T/root1/bin/busybox" ]
	# the progress line (redrawn in place) came before the summary
	[[ "$output" == *"applying: "*"layer"*"oci-unpack: image"* ]]
	run -0 python3 "$PTYRUN" -- "$OCI_UNPACK" -q -i "$T/img.tar" "$T/root2"
	[ -z "$output" ]
	[ -x "$T/root2/bin/busybox" ]
	run -0 "$OCI_UNPACK" -i "$T/img.tar" "$T/root3"
	[ -z "$output" ]
}

@test "on a terminal: oci-fetch's bars say downloaded while streaming, and a summary line" {
	run -0 python3 "$PTYRUN" -- sh -c "'$OCI_FETCH' --no-cache $REGISTRY/test/big:latest | '$OCI_UNPACK' -q '$T/root'"
	assert_output_contains "downloaded"
	[[ "$output" != *"verified"* ]]
	assert_output_contains "oci-fetch: sent $REGISTRY/test/big:latest ${BIG_DIGEST:0:19}"
	[ -x "$T/root/bin/busybox" ]
	# into a layout the bars end verified: the image is done
	run -0 python3 "$PTYRUN" -- "$OCI_FETCH" --no-cache -o "$T/lay" "$REGISTRY/test/big:latest"
	assert_output_contains "verified"
	assert_output_contains "oci-fetch: wrote $REGISTRY/test/big:latest ${BIG_DIGEST:0:19}"
	run -0 python3 "$PTYRUN" -- "$OCI_FETCH" -q --no-cache -o "$T/lay2" "$REGISTRY/test/big:latest"
	[ -z "$output" ]
}

@test "the stream's reader gets its end before oci-fetch removes its temporary blobs" {
	# oci-unpack does its last steps only at the end of its input: that end must not wait for
	# the clean-up (the pipe's write end, fd 1, is let go of before the first removal)
	require_cmd strace
	strace -f -qq -e trace=dup2,close,unlinkat -o "$T/trace" \
		"$OCI_FETCH" -q --no-cache "$REGISTRY/test/big:latest" | cat >"$T/stream"
	tar -tf "$T/stream" | grep -q "^blobs/sha256/"
	end=$(grep -n -E 'dup2\([0-9]+, 1\)|close\(1\)' "$T/trace" | head -1 | cut -d: -f1)
	first_rm=$(grep -n 'unlinkat(' "$T/trace" | head -1 | cut -d: -f1)
	echo "stream end at trace line ${end:-none}, first removal at ${first_rm:-none}"
	[ -n "$end" ]
	[ -n "$first_rm" ]
	[ "$end" -lt "$first_rm" ]
}
