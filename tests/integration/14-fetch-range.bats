#!/usr/bin/env bats
# oci-fetch fetches large blobs as parallel Range requests written at their offsets into one
# file and verified as a whole; the stream stays in order and memory stays bounded; servers
# that ignore Range (always or sometimes) and chunks cut mid-way still give exact results.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

setup_file() {
	require_cmd docker-registry jq curl python3
	registry_start plain
	# a 40 MiB random layer: over the default 32 MiB threshold (16 MiB chunks)
	image_push_busybox test/big v1 --size-mb 40 >/dev/null
	export BIG=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/test/big/manifests/v1" | jq -r '.layers[-1].digest')
	export BIG_SIZE=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/test/big/manifests/v1" | jq -r '.layers[-1].size')
	export REGISTRY_ENV=$REGISTRY_DIR
	# the reference result: one plain GET per blob
	"$OCI_FETCH" --no-cache --chunk-size 0 "$REGISTRY/test/big:v1" >"$BATS_FILE_TMPDIR/whole.tar"
	export WHOLE=$BATS_FILE_TMPDIR/whole.tar
}

teardown_file() {
	registry_stop
}

setup() {
	registry_use "$REGISTRY_ENV"
	T=$BATS_TEST_TMPDIR
	export XDG_CACHE_HOME=$T/xdg
}

teardown() {
	proxy_stop
}

# big_gets STATUS: how many GETs of the big blob the registry answered with STATUS
big_gets() {
	grep -c "\"GET /v2/test/big/blobs/$BIG HTTP/1.1\" $1 " "$REGISTRY_LOG" || true
}

@test "a blob over 32 MiB comes as parallel Range requests; the stream is in order and exact" {
	[ "$BIG_SIZE" -gt $((32 << 20)) ]
	n206=$(big_gets 206)
	n200=$(big_gets 200)
	/usr/bin/time -f %M -o "$T/rss" "$OCI_FETCH" --debug --cache "$T/c" "$REGISTRY/test/big:v1" >"$T/s.tar" 2>"$T/err"
	# 40 MiB in 16 MiB chunks: three 206 answers for that one blob, no whole-blob GET
	[ "$(big_gets 206)" = $((n206 + 3)) ]
	[ "$(big_gets 200)" = "$n200" ]
	grep -q "bytes=16777216-33554431" "$T/err"
	cmp "$WHOLE" "$T/s.tar"
	check_stream "$T/s.tar" "$T/x"
	[ "$(sha256sum <"$T/c/sha256/${BIG#sha256:}" | cut -d' ' -f1)" = "${BIG#sha256:}" ]
	[ -z "$(find "$T/c" -name '.partial-*')" ]
	# memory does not follow the blob size (not measurable under the sanitizers)
	if ! nm "$OCI_FETCH" 2>/dev/null | grep -q __asan_init; then
		[ "$(tail -1 "$T/rss")" -lt $((32 * 1024)) ]
	fi
}

@test "attack: a layer whose descriptor claims 1 TiB is planned in at most 256 parts: memory does not follow the claim" {
	# the 40 MiB layer's descriptor says 1 TiB: 65536 parts of 16 MiB took 1 GiB of memory
	# (16 KiB each) before any byte came; 256 longer parts take 4 MiB
	curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"$REGISTRY_URL/v2/test/big/manifests/v1" | jq -c '.layers[-1].size = 1099511627776' >"$T/huge.json"
	registry_put_manifest test/big huge "$T/huge.json"
	run /usr/bin/time -f %M -o "$T/rss" timeout 120 "$OCI_FETCH" --no-cache -o "$T/lay" \
		"$REGISTRY/test/big:huge"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "layer 2/2"
	[ ! -e "$T/lay/blobs/sha256/${BIG#sha256:}" ]
	if ! nm "$OCI_FETCH" 2>/dev/null | grep -q __asan_init; then
		[ "$(tail -1 "$T/rss")" -lt $((64 * 1024)) ]
	fi
}

@test "--chunk-size: the chunks of one blob are downloaded concurrently, into a layout too" {
	proxy_start --delay 300
	"$OCI_FETCH" --no-cache --jobs 4 --chunk-size 8M -o "$T/lay" "$PROXY/test/big:v1"
	check_layout "$T/lay"
	cmp "$T/lay/blobs/sha256/${BIG#sha256:}" <(tar -xOf "$WHOLE" "blobs/sha256/${BIG#sha256:}")
	# 8 MiB chunks: a range each, the first alone (it shows the server honours Range)
	chunks=$(((BIG_SIZE + (8 << 20) - 1) / (8 << 20)))
	[ "$(grep -c "blobs/$BIG range=bytes=[0-9]*-[0-9]* " "$PROXY_LOG")" = "$chunks" ]
	grep -q "blobs/$BIG range=bytes=0-8388607 " "$PROXY_LOG"
	grep -q "blobs/$BIG range=bytes=$(((chunks - 1) << 23))-$((BIG_SIZE - 1)) " "$PROXY_LOG"
	# several ranges of that one blob were being answered at the same time
	grep "blobs/$BIG " "$PROXY_LOG" | grep -q "inflight=[2-9]"
	# --chunk-size 0 turns it off
	: >"$PROXY_LOG"
	"$OCI_FETCH" --no-cache --chunk-size 0 "$PROXY/test/big:v1" >"$T/s.tar"
	cmp "$WHOLE" "$T/s.tar"
	[ "$(grep -c "blobs/$BIG range=- " "$PROXY_LOG")" = 1 ]
	run "$OCI_FETCH" --chunk-size 12x "$REGISTRY/test/big:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "--chunk-size"
}

@test "a server that ignores Range: one GET for the big blob, and the result verifies" {
	proxy_start --no-range
	"$OCI_FETCH" --no-cache "$PROXY/test/big:v1" >"$T/s.tar"
	cmp "$WHOLE" "$T/s.tar"
	# the first chunk's request got the whole blob (200) and became the only request
	[ "$(grep -c "blobs/$BIG " "$PROXY_LOG")" = 1 ]
	grep -q "blobs/$BIG range=bytes=0-16777215 " "$PROXY_LOG"
	"$OCI_FETCH" --no-cache -o "$T/lay" "$PROXY/test/big:v1"
	check_layout "$T/lay"
}

@test "a chunk cut mid-way resumes inside its range; whole answers to later chunks are cut to size" {
	proxy_start --cut 1 --min-size 30000000
	"$OCI_FETCH" --no-cache "$PROXY/test/big:v1" >"$T/s.tar"
	cmp "$WHOLE" "$T/s.tar"
	grep -q "blobs/$BIG range=bytes=0-16777215 .*action=cut" "$PROXY_LOG"
	# half of the first chunk arrived: the retry asks for the rest of that chunk only
	grep -q "blobs/$BIG range=bytes=8388608-16777215 .*action=pass" "$PROXY_LOG"
	proxy_stop
	rm -f "$PROXY_LOG"
	# Range honoured for the first request only: the other chunks get 200 with everything
	proxy_start --range-once
	"$OCI_FETCH" --no-cache "$PROXY/test/big:v1" >"$T/s2.tar"
	cmp "$WHOLE" "$T/s2.tar"
	[ "$(grep -c "blobs/$BIG range=bytes=" "$PROXY_LOG")" = 3 ]
}

@test "a corrupted big blob is rejected after its chunks are joined; nothing is kept" {
	p=$(image_blob_path "$BIG")
	cp "$p" "$T/orig"
	python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[20<<20]^=0x01; open(p,"wb").write(b)' "$p"
	run "$OCI_FETCH" --cache "$T/c" -o "$T/lay" "$REGISTRY/test/big:v1"
	cp "$T/orig" "$p"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "blob $BIG"
	assert_output_contains "digest mismatch"
	[ ! -e "$T/c/sha256/${BIG#sha256:}" ]
	[ -z "$(find "$T/c" -name '.partial-*')" ]
	[ ! -e "$T/lay/blobs/sha256/${BIG#sha256:}" ]
}

@test "chunks follow a redirect to blob storage, each with its own range" {
	proxy_start --redirect
	"$OCI_FETCH" --no-cache --chunk-size 8M "$PROXY/test/big:v1" >"$T/s.tar"
	cmp "$WHOLE" "$T/s.tar"
	chunks=$(((BIG_SIZE + (8 << 20) - 1) / (8 << 20)))
	[ "$(grep -c "^main GET /v2/test/big/blobs/$BIG range=bytes=.*action=redirect" "$PROXY_LOG")" = "$chunks" ]
	[ "$(grep -c "^redirect GET /v2/test/big/blobs/$BIG range=bytes=[0-9]*-[0-9]* .*action=serve" "$PROXY_LOG")" = "$chunks" ]
}
