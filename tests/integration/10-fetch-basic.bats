#!/usr/bin/env bats
# oci-fetch against a plain-HTTP registry: the oci-archive stream (exact streaming order,
# verified blobs), layouts, references (tags, digests, pins), platforms, errors, the cache.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

setup_file() {
	require_cmd docker-registry jq curl
	registry_start plain
	image_push_busybox test/one latest >/dev/null
	export ONE_DIGEST=$IMAGE_DIGEST
	image_push_busybox test/multi v1 --layers 3 >/dev/null
	export MULTI_DIGEST=$IMAGE_DIGEST
	image_push_busybox test/docker v1 --format docker --layers 2 >/dev/null
	image_push_busybox test/arch v1 --platforms linux/amd64,linux/arm64 >/dev/null
	export ARCH_DIGEST=$IMAGE_DIGEST
	export REGISTRY_ENV=$REGISTRY_DIR
}

teardown_file() {
	registry_stop
}

teardown() {
	# a layout a test made outside its own directory (another user must reach it)
	[ -z "${L:-}" ] || rm -rf "$L"
}

setup() {
	registry_use "$REGISTRY_ENV"
	T=$BATS_TEST_TMPDIR
	export XDG_CACHE_HOME=$T/xdg # never the user's real cache
}

@test "stream: single-layer image in streaming order, every blob verified" {
	run -0 bash -c "'$OCI_FETCH' --cache '$T/c' $REGISTRY/test/one:latest >'$T/s.tar'"
	check_stream "$T/s.tar" "$T/x"
	[ "$(jq -r '.manifests[0].digest' "$T/x/index.json")" = "$ONE_DIGEST" ]
	[ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$T/x/index.json")" = latest ]
	[ "$(jq -r .imageLayoutVersion "$T/x/oci-layout")" = 1.0.0 ]
	[ "$(jq '.manifests | length' "$T/x/index.json")" = 1 ]
}

@test "stream: multi-layer image, layers bottom to top; skopeo reads the stream" {
	require_cmd skopeo
	"$OCI_FETCH" --cache "$T/c" "$REGISTRY/test/multi:v1" >"$T/s.tar"
	check_stream "$T/s.tar" "$T/x"
	[ "$(grep -c blobs/ "$T/x.order")" = 5 ]
	run -0 skopeo inspect "oci-archive:$T/s.tar"
	[ "$(jq -r .Digest <<<"$output")" = "$MULTI_DIGEST" ]
	[ "$(jq '.Layers | length' <<<"$output")" = 3 ]
}

@test "stream: the same image gives the same bytes (with and without a warm cache)" {
	"$OCI_FETCH" --no-cache "$REGISTRY/test/multi:v1" >"$T/a.tar"
	"$OCI_FETCH" --cache "$T/c" "$REGISTRY/test/multi:v1" >"$T/b.tar"
	"$OCI_FETCH" --cache "$T/c" "$REGISTRY/test/multi:v1" >"$T/c.tar"
	cmp "$T/a.tar" "$T/b.tar"
	cmp "$T/b.tar" "$T/c.tar"
}

@test "refuses to write the image stream to a terminal" {
	require_cmd script
	run script -qec "'$OCI_FETCH' --no-cache $REGISTRY/test/one:latest" /dev/null
	assert_failure
	assert_output_contains "refusing to write an image stream to a terminal"
}

@test "layout: -o DIR writes a verified layout that umoci and skopeo read" {
	require_cmd skopeo umoci
	run -0 "$OCI_FETCH" --cache "$T/c" -o "$T/lay" "$REGISTRY/test/multi:v1"
	[ -z "$output" ]
	check_layout "$T/lay"
	[ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$T/lay/index.json")" = v1 ]
	run -0 skopeo inspect "oci:$T/lay:v1"
	[ "$(jq -r .Digest <<<"$output")" = "$MULTI_DIGEST" ]
	umoci unpack --image "$T/lay:v1" "$T/bundle" >/dev/null
	[ -x "$T/bundle/rootfs/bin/busybox" ]
	[ -f "$T/bundle/rootfs/layers/3.txt" ]
}

@test "layout: blob for blob what skopeo copy writes" {
	require_cmd skopeo
	"$OCI_FETCH" --no-cache -o "$T/ours" "$REGISTRY/test/multi:v1"
	skopeo copy -q --src-tls-verify=false "docker://$REGISTRY/test/multi:v1" "oci:$T/theirs:v1"
	diff <(cd "$T/ours/blobs/sha256" && ls) <(cd "$T/theirs/blobs/sha256" && ls)
	for f in "$T"/theirs/blobs/sha256/*; do cmp "$f" "$T/ours/blobs/sha256/$(basename "$f")"; done
	[ "$(jq -r '.manifests[0].digest' "$T/ours/index.json")" = "$(jq -r '.manifests[0].digest' "$T/theirs/index.json")" ]
}

@test "layout: --output oci:DIR:TAG names the tag and updates an existing layout" {
	"$OCI_FETCH" --no-cache --output "oci:$T/lay:first" "$REGISTRY/test/one:latest"
	"$OCI_FETCH" --no-cache --output "oci:$T/lay:second" "$REGISTRY/test/multi:v1"
	check_layout "$T/lay"
	run -0 jq -r '.manifests[] | .annotations["org.opencontainers.image.ref.name"] + " " + .digest' "$T/lay/index.json"
	assert_output_contains "first $ONE_DIGEST"
	assert_output_contains "second $MULTI_DIGEST"
	# pulling a tag again replaces its entry instead of adding one
	"$OCI_FETCH" --no-cache --output "oci:$T/lay:first" "$REGISTRY/test/multi:v1"
	[ "$(jq '.manifests | length' "$T/lay/index.json")" = 2 ]
	[ "$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="first") | .digest' "$T/lay/index.json")" = "$MULTI_DIGEST" ]
}

@test "attack: -o into a layout someone else prepared: a blob of the right size but wrong bytes is written again; blobs/ or blobs/sha256 a symlink is refused" {
	"$OCI_FETCH" -q --cache "$T/c" -o "$T/lay" "$REGISTRY/test/multi:v1"
	m=$(jq -r '.manifests[0].digest' "$T/lay/index.json")
	cfg=$(jq -r .config.digest "$T/lay/blobs/sha256/${m#sha256:}")
	layer=$(jq -r '.layers[1].digest' "$T/lay/blobs/sha256/${m#sha256:}")
	# same sizes, other bytes: kept as they were, and the pull said nothing
	for d in "$cfg" "$layer"; do
		f=$T/lay/blobs/sha256/${d#sha256:}
		rm -f "$f.x" && head -c "$(stat -c %s "$f")" /dev/zero >"$f.x" && mv "$f.x" "$f"
	done
	"$OCI_FETCH" -q --cache "$T/c" -o "$T/lay" "$REGISTRY/test/multi:v1"
	check_layout "$T/lay"
	# a symlink for blobs/sha256, then for blobs/: nothing written where it points
	mkdir "$T/outside"
	for link in blobs/sha256 blobs; do
		rm -rf "$T/p" && mkdir -p "$T/p/$(dirname "$link")" && cp "$T/lay/oci-layout" "$T/lay/index.json" "$T/p/"
		ln -s "$T/outside" "$T/p/$link"
		for nc in --no-cache --cache="$T/c"; do
			run "$OCI_FETCH" -q "$nc" -o "$T/p" "$REGISTRY/test/multi:v1"
			assert_failure
			assert_one_line_error oci-fetch
			assert_output_contains "is not a directory (a symlink?): refusing it"
			[ -z "$(ls -A "$T/outside")" ]
		done
	done
}

@test "layout: pulls of several tags into one layout at once keep every tag in index.json" {
	"$OCI_FETCH" -q --cache "$T/c" -o "oci:$T/lay:warm" "$REGISTRY/test/one:latest"
	pids=()
	for i in $(seq 1 12); do
		"$OCI_FETCH" -q --cache "$T/c" -o "oci:$T/lay:t$i" "$REGISTRY/test/one:latest" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	# each read index.json, added its tag and wrote it back over the others' tags
	[ "$(jq '.manifests | length' "$T/lay/index.json")" = 13 ]
	for i in $(seq 1 12); do
		[ "$(jq -r --arg t "t$i" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$T/lay/index.json")" = "$ONE_DIGEST" ]
	done
	check_layout "$T/lay"
	[ -z "$(find "$T/lay" -name '.tmp-*' -o -name '.partial-*')" ]
	[ ! -e "$T/lay/.index.json.lock" ]
}

@test "layout: failed pulls into a new layout remove it only while no other pull has it open" {
	printf 'unique %s\n' "$RANDOM$RANDOM$BATS_TEST_NUMBER" >"$T/u.txt"
	tar -C "$T" -cf "$T/u.tar" u.txt
	image_push_busybox test/bad2 v1 --no-base --layer-tar "$T/u.tar" --compression none >/dev/null
	l=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/test/bad2/manifests/v1" | jq -r '.layers[-1].digest')
	python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[100]^=0x01; open(p,"wb").write(b)' "$(image_blob_path "$l")"
	# good and bad pulls into one new directory at once (then into an empty one that was
	# there): every good one succeeds and keeps its tag, whatever the bad ones removed
	# before or after it
	for round in 1 2; do
		if [ "$round" = 2 ]; then
			mkdir "$T/lay2"
		fi
		pids=()
		for i in 1 2 3 4; do
			"$OCI_FETCH" -q --cache "$T/c$i" -o "oci:$T/lay$round:t$i" "$REGISTRY/test/one:latest" &
			pids+=($!)
			"$OCI_FETCH" -q --cache "$T/c$i" -o "oci:$T/lay$round:b$i" "$REGISTRY/test/bad2:v1" 2>/dev/null &
			pids+=($!)
		done
		good=0
		for k in "${!pids[@]}"; do
			if wait "${pids[$k]}"; then
				good=$((good + 1))
				[ $((k % 2)) = 0 ]
			fi
		done
		[ "$good" = 4 ]
		[ "$(jq '.manifests | length' "$T/lay$round/index.json")" = 4 ]
		check_layout "$T/lay$round"
	done
}

@test "layout: a full filesystem fails in one line; a new layout goes, an existing directory keeps its files and gets no temporary" {
	require_root
	mkdir "$T/small"
	mount -t tmpfs -o size=400k tmpfs "$T/small"
	run "$OCI_FETCH" --no-cache -o "$T/small/lay" "$REGISTRY/test/multi:v1"
	local left
	left=$(ls -A "$T/small")
	mkdir "$T/small/mine"
	echo notes >"$T/small/mine/notes"
	local out1=$output st1=$status
	run "$OCI_FETCH" --no-cache -o "$T/small/mine" "$REGISTRY/test/multi:v1"
	local left2 tmp2
	left2=$(ls -A "$T/small/mine" | sort | tr '\n' ' ')
	tmp2=$(find "$T/small" -name '.tmp-*' -o -name '.partial-*')
	umount "$T/small"
	assert_failure
	assert_output_contains "No space left on device"
	[ "$left2" = "notes " ]
	[ -z "$tmp2" ]
	output=$out1 status=$st1
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "No space left on device"
	[ -z "$left" ]
}

# The index lock was a flock on the layout directory, which needs only a descriptor: any local
# user who could read the layout (0755, as mkdir makes it) held every pull into it, each
# failing after its 10 s wait with its blobs downloaded ("'D' has been locked by another
# process for 10 s: try again").
@test "layout: another user who can read the layout cannot hold its pulls up" {
	require_root
	require_cmd setpriv flock
	L=$(mktemp -d /tmp/oci-lay.XXXXXX)
	chmod 755 "$L"
	"$OCI_FETCH" -q --cache "$T/c" -o "oci:$L/lay:a" "$REGISTRY/test/one:latest"
	flock_as_nobody "$L/lay"
	run timeout 30 "$OCI_FETCH" -q --cache "$T/c" -o "oci:$L/lay:b" "$REGISTRY/test/one:latest"
	kill "$HOLDER"
	wait "$HOLDER" || true
	assert_success
	[ "$(jq '.manifests | length' "$L/lay/index.json")" = 2 ]
	check_layout "$L/lay"
	# the writers' lock file is there only while one holds it
	[ "$(ls -A "$L/lay")" = "$(printf 'blobs\nindex.json\noci-layout')" ]
}

@test "layout: a pull killed outright leaves temporary blobs the next pull into the layout removes" {
	require_cmd strace
	# SIGKILL at the first blob's rename (renameat; the layout's own files go in place with
	# renameat2): its downloads stay in blobs/sha256/.partial-*
	run strace -f -qq -o /dev/null -e trace=renameat -e inject=renameat:signal=KILL \
		"$OCI_FETCH" -q --no-cache -o "$T/lay" "$REGISTRY/test/multi:v1"
	assert_failure
	[ -n "$(find "$T/lay/blobs" -name '.tmp-*' -o -name '.partial-*')" ]
	run -0 "$OCI_FETCH" -q --no-cache -o "$T/lay" "$REGISTRY/test/multi:v1"
	check_layout "$T/lay"
	[ -z "$(find "$T/lay" -name '.tmp-*' -o -name '.partial-*')" ]
	[ "$(ls -A "$T/lay")" = "$(printf 'blobs\nindex.json\noci-layout')" ]
}

@test "--no-cache into a layout downloads straight into it and leaves no temporary files" {
	TMPDIR=$T/tmp
	mkdir -p "$TMPDIR"
	TMPDIR=$TMPDIR "$OCI_FETCH" --no-cache -o "$T/lay" "$REGISTRY/test/multi:v1"
	TMPDIR=$TMPDIR "$OCI_FETCH" --no-cache "$REGISTRY/test/multi:v1" >/dev/null
	check_layout "$T/lay"
	[ -z "$(ls -A "$T/tmp")" ]
	[ -z "$(find "$T/lay" -name '.partial-*')" ]
	[ ! -e "$T/xdg" ]
}

@test "docker schema2 image pulls as it is (manifest bytes unchanged)" {
	"$OCI_FETCH" --no-cache -o "$T/lay" "$REGISTRY/test/docker:v1"
	check_layout "$T/lay"
	[ "$(jq -r '.manifests[0].mediaType' "$T/lay/index.json")" = application/vnd.docker.distribution.manifest.v2+json ]
	"$OCI_FETCH" --no-cache "$REGISTRY/test/docker:v1" >"$T/s.tar"
	check_stream "$T/s.tar" "$T/x"
}

@test "digest references: name@digest, and name:tag@digest pins the digest" {
	"$OCI_FETCH" --no-cache "$REGISTRY/test/multi@$MULTI_DIGEST" >"$T/s.tar"
	check_stream "$T/s.tar" "$T/x"
	[ "$(jq -r '.manifests[0].digest' "$T/x/index.json")" = "$MULTI_DIGEST" ]
	# the tag says "latest" (test/one) but the pinned digest wins
	"$OCI_FETCH" --no-cache -o "$T/lay" "$REGISTRY/test/multi:other@$MULTI_DIGEST"
	[ "$(jq -r '.manifests[0].digest' "$T/lay/index.json")" = "$MULTI_DIGEST" ]
	[ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$T/lay/index.json")" = other ]
	# a digest the repository does not have
	run "$OCI_FETCH" --no-cache "$REGISTRY/test/multi@sha256:$(printf x | sha256sum | cut -d' ' -f1)"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "manifest unknown"
}

@test "multi-platform index: host platform by default, --platform picks, unknown lists them" {
	"$OCI_FETCH" --no-cache --platform linux/arm64 -o "$T/arm" "$REGISTRY/test/arch:v1"
	m=$(jq -r '.manifests[0].digest' "$T/arm/index.json")
	want=$(curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "$REGISTRY_URL/v2/test/arch/manifests/v1" |
		jq -r '.manifests[] | select(.platform.architecture=="arm64") | .digest')
	[ "$m" = "$want" ]
	cfg=$(jq -r .config.digest "$T/arm/blobs/sha256/${m#sha256:}")
	[ "$(jq -r .architecture "$T/arm/blobs/sha256/${cfg#sha256:}")" = arm64 ]
	# default: this host's platform
	"$OCI_FETCH" --no-cache -o "$T/host" "$REGISTRY/test/arch:v1"
	m=$(jq -r '.manifests[0].digest' "$T/host/index.json")
	cfg=$(jq -r .config.digest "$T/host/blobs/sha256/${m#sha256:}")
	case $(uname -m) in x86_64) a=amd64 ;; aarch64) a=arm64 ;; *) a=$(uname -m) ;; esac
	[ "$(jq -r .architecture "$T/host/blobs/sha256/${cfg#sha256:}")" = "$a" ]
	run "$OCI_FETCH" --no-cache --platform linux/s390x "$REGISTRY/test/arch:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains linux/amd64
	assert_output_contains linux/arm64
}

@test "single-platform image: a matching --platform pulls it, another platform is refused" {
	case $(uname -m) in x86_64) a=amd64 ;; aarch64) a=arm64 ;; *) skip "no image platform for $(uname -m)" ;; esac
	"$OCI_FETCH" --no-cache --platform "linux/$a" -o "$T/same" "$REGISTRY/test/one:latest"
	[ "$(jq -r '.manifests[0].digest' "$T/same/index.json")" = "$ONE_DIGEST" ]
	run "$OCI_FETCH" --no-cache --platform linux/s390x -o "$T/other" "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "no image for platform linux/s390x (the image is linux/$a only)"
	[ ! -e "$T/other/index.json" ] || [ "$(jq '.manifests | length' "$T/other/index.json")" = 0 ]
}

@test "an image config whose architecture is too long to compare is refused, not cut" {
	long=arch$(printf 'x%.0s' $(seq 1 40))
	image_push_busybox test/longarch v1 --platforms "linux/$long" >/dev/null
	run "$OCI_FETCH" --no-cache --platform linux/amd64 -o "$T/out" "$REGISTRY/test/longarch:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "$REGISTRY/test/longarch:v1: image config: os, architecture or variant too long"
}

@test "--all-platforms writes the whole index to a layout (and needs one)" {
	require_cmd skopeo
	"$OCI_FETCH" --no-cache --all-platforms -o "$T/all" "$REGISTRY/test/arch:v1"
	check_layout "$T/all"
	[ "$(jq -r '.manifests[0].digest' "$T/all/index.json")" = "$ARCH_DIGEST" ]
	idx=$T/all/blobs/sha256/${ARCH_DIGEST#sha256:}
	for m in $(jq -r '.manifests[].digest' "$idx"); do
		[ -f "$T/all/blobs/sha256/${m#sha256:}" ]
		cfg=$(jq -r .config.digest "$T/all/blobs/sha256/${m#sha256:}")
		[ -f "$T/all/blobs/sha256/${cfg#sha256:}" ]
	done
	skopeo inspect --override-arch arm64 "oci:$T/all:v1" >/dev/null
	run "$OCI_FETCH" --no-cache --all-platforms "$REGISTRY/test/arch:v1"
	assert_failure
	assert_one_line_error oci-fetch
}

@test "--all-platforms against a hostile index: a manifest listed 300 times is fetched once; over the caps is refused before any layer" {
	local man dg sz i before
	image_push_busybox test/hostile latest >/dev/null
	man=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"$REGISTRY_URL/v2/test/hostile/manifests/latest")
	# one manifest of 1000 layers (the same blob), listed 300 times
	echo "$man" | jq -c '.layers = [range(1000) as $i | .layers[0]]' >"$T/big.json"
	registry_put_manifest test/hostile big "$T/big.json"
	dg=sha256:$(sha256sum <"$T/big.json" | cut -d' ' -f1)
	sz=$(stat -c %s "$T/big.json")
	jq -n --arg d "$dg" --argjson s "$sz" '{schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [range(300) as $i | {mediaType: "application/vnd.oci.image.manifest.v1+json",
			digest: $d, size: $s, platform: {os: "linux", architecture: "amd64"}}]}' >"$T/dup.json"
	registry_put_manifest test/hostile dup "$T/dup.json"
	run timeout 120 "$OCI_FETCH" --no-cache --all-platforms -o "$T/dup" "$REGISTRY/test/hostile:dup"
	assert_success
	[ "$(grep -c "GET /v2/test/hostile/manifests/$dg HTTP/1.1\" 200" "$REGISTRY_LOG")" = 1 ]
	check_layout "$T/dup"
	# 17 different manifests of 1000 layers each: more layers than any real index plans
	for i in $(seq 1 17); do
		jq -c --arg i "$i" '.annotations = {n: $i}' "$T/big.json" >"$T/big$i.json"
		registry_put_manifest test/hostile "big$i" "$T/big$i.json"
	done
	jq -n '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: []}' >"$T/many.json"
	for i in $(seq 1 17); do
		jq --arg d "sha256:$(sha256sum <"$T/big$i.json" | cut -d' ' -f1)" \
			--argjson s "$(stat -c %s "$T/big$i.json")" '.manifests += [{
			mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
			platform: {os: "linux", architecture: "amd64"}}]' "$T/many.json" >"$T/many.tmp"
		mv "$T/many.tmp" "$T/many.json"
	done
	registry_put_manifest test/hostile many "$T/many.json"
	before=$(wc -l <"$REGISTRY_LOG")
	run timeout 120 "$OCI_FETCH" --no-cache --all-platforms -o "$T/many" "$REGISTRY/test/hostile:many"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "layers in all"
	! tail -n +"$((before + 1))" "$REGISTRY_LOG" | grep -q "GET /v2/test/hostile/blobs/$(echo "$man" | jq -r '.layers[0].digest')" || false
	# an index whose manifests and configs add up to more than a pull holds in memory
	jq --argjson s $((40 << 20)) '.manifests[0].size = $s | .manifests[1].size = $s' \
		"$T/many.json" >"$T/huge.json"
	registry_put_manifest test/hostile huge "$T/huge.json"
	run timeout 120 "$OCI_FETCH" --no-cache --all-platforms -o "$T/huge" "$REGISTRY/test/hostile:huge"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "MiB in all"
}

@test "unknown name or tag: one clear line, nothing written" {
	run "$OCI_FETCH" --no-cache -o "$T/lay" "$REGISTRY/nope:latest"
	assert_failure
	[ "$output" = "oci-fetch: $REGISTRY/nope:latest: manifest unknown" ] || [ "$output" = "oci-fetch: $REGISTRY/nope:latest: name unknown" ] || {
		echo "$output"
		false
	}
	run "$OCI_FETCH" --no-cache "$REGISTRY/test/one:nosuchtag"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "$REGISTRY/test/one:nosuchtag: manifest unknown"
	[ ! -e "$T/lay" ]
}

@test "bad usage and bad references: one line each" {
	run "$OCI_FETCH"
	assert_failure
	assert_one_line_error oci-fetch
	run "$OCI_FETCH" --jobs 0 x
	assert_failure
	assert_one_line_error oci-fetch
	run "$OCI_FETCH" --no-cache "Bad/UPPER:case"
	assert_failure
	assert_one_line_error oci-fetch
	run "$OCI_FETCH" --no-cache "127.0.0.1:1/x:latest"
	assert_failure
	assert_one_line_error oci-fetch
	run -0 "$OCI_FETCH" --help
	assert_output_contains "--platform"
	assert_output_contains "--no-cache"
}

@test "--digest-file and --print-digest report the manifest digest" {
	run -0 "$OCI_FETCH" --no-cache --print-digest --digest-file "$T/d" -o "$T/lay" "$REGISTRY/test/multi:v1"
	[ "$output" = "$MULTI_DIGEST" ]
	[ "$(cat "$T/d")" = "$MULTI_DIGEST" ]
	# streaming: the digest goes to stderr, the stream stays clean
	"$OCI_FETCH" --no-cache --print-digest "$REGISTRY/test/one:latest" >"$T/s.tar" 2>"$T/err"
	[ "$(cat "$T/err")" = "$ONE_DIGEST" ]
	check_stream "$T/s.tar" "$T/x"
}

@test "cache: a second pull downloads no layer bytes (registry access log)" {
	"$OCI_FETCH" --cache "$T/c" "$REGISTRY/test/multi:v1" >/dev/null
	layers=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/test/multi/manifests/v1" | jq -r '.layers[].digest')
	declare -A before
	for l in $layers; do
		before[$l]=$(blob_gets test/multi "$l")
		[ "${before[$l]}" -ge 1 ]
		[ -f "$T/c/sha256/${l#sha256:}" ]
	done
	"$OCI_FETCH" --cache "$T/c" "$REGISTRY/test/multi:v1" >"$T/s.tar"
	"$OCI_FETCH" --cache "$T/c" -o "$T/lay" "$REGISTRY/test/multi:v1"
	for l in $layers; do
		[ "$(blob_gets test/multi "$l")" = "${before[$l]}" ]
	done
	check_stream "$T/s.tar" "$T/x"
	check_layout "$T/lay"
}

@test "cache: the default is \$XDG_CACHE_HOME/oci-toolkit/blobs" {
	"$OCI_FETCH" "$REGISTRY/test/one:latest" >/dev/null
	[ -n "$(ls "$T/xdg/oci-toolkit/blobs/sha256/")" ]
	for f in "$T"/xdg/oci-toolkit/blobs/sha256/*; do
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ]
	done
}

@test "cache: a corrupt cached blob is detected and fetched again" {
	"$OCI_FETCH" --cache "$T/c" "$REGISTRY/test/one:latest" >/dev/null
	l=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/test/one/manifests/latest" | jq -r '.layers[0].digest')
	f=$T/c/sha256/${l#sha256:}
	n=$(blob_gets test/one "$l")
	# flip one byte in the middle, same size
	python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0xff; open(p,"wb").write(b)' "$f"
	"$OCI_FETCH" --cache "$T/c" "$REGISTRY/test/one:latest" >"$T/s.tar" 2>/dev/null
	check_stream "$T/s.tar" "$T/x"
	[ "$(blob_gets test/one "$l")" = $((n + 1)) ]
	[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${l#sha256:}" ]
}

@test "cache: a FIFO or a symlink in place of a cached blob (a cache others can write) is replaced, never waited on or followed" {
	"$OCI_FETCH" --cache "$T/c" "$REGISTRY/test/one:latest" >/dev/null
	l=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/test/one/manifests/latest" | jq -r '.layers[0].digest')
	f=$T/c/sha256/${l#sha256:}
	for kind in fifo symlink; do
		rm "$f"
		if [ $kind = fifo ]; then mkfifo "$f"; else ln -s /etc/passwd "$f"; fi
		run timeout 60 "$OCI_FETCH" --cache "$T/c" "$REGISTRY/test/one:latest" -o "$T/lay-$kind"
		assert_success
		check_layout "$T/lay-$kind"
		[ -f "$f" ]
		[ ! -L "$f" ]
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${l#sha256:}" ]
	done
}

@test "cache: concurrent pulls of the same image are safe" {
	for i in 1 2 3; do
		"$OCI_FETCH" --cache "$T/c" "$REGISTRY/test/multi:v1" >"$T/s$i.tar" 2>"$T/e$i" &
	done
	wait
	for i in 1 2 3; do
		[ ! -s "$T/e$i" ] || cat "$T/e$i"
		check_stream "$T/s$i.tar" "$T/x$i"
	done
	cmp "$T/s1.tar" "$T/s2.tar"
	cmp "$T/s1.tar" "$T/s3.tar"
	[ -z "$(find "$T/c" -name '.partial-*')" ]
}

@test "a corrupted blob in the registry is rejected: one line naming it, no bad blob kept" {
	printf 'unique %s\n' "$RANDOM$RANDOM$BATS_TEST_NUMBER" >"$T/u.txt"
	tar -C "$T" -cf "$T/u.tar" u.txt
	image_push_busybox test/bad v1 --no-base --layer-tar "$T/u.tar" --compression none >/dev/null
	l=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/test/bad/manifests/v1" | jq -r '.layers[-1].digest')
	p=$(image_blob_path "$l")
	python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[100]^=0x01; open(p,"wb").write(b)' "$p"
	run "$OCI_FETCH" --cache "$T/c" -o "$T/lay" "$REGISTRY/test/bad:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "blob $l"
	assert_output_contains "digest mismatch"
	[ ! -e "$T/c/sha256/${l#sha256:}" ]
	[ ! -e "$T/lay/blobs/sha256/${l#sha256:}" ]
	[ -z "$(find "$T/c" -name '.partial-*')" ]
	# the layout directory this run made goes again (and the parents it made), not one
	# the user made: that keeps what is in it
	[ ! -e "$T/lay" ]
	run "$OCI_FETCH" --cache "$T/c" -o "$T/new/deeper/lay" "$REGISTRY/test/bad:v1"
	assert_failure
	[ ! -e "$T/new" ]
	mkdir "$T/mine"
	echo keep >"$T/mine/notes"
	run "$OCI_FETCH" --cache "$T/c" -o "$T/mine/lay" "$REGISTRY/test/bad:v1"
	assert_failure
	[ "$(ls -A "$T/mine")" = notes ]
	run "$OCI_FETCH" --cache "$T/c" -o "$T/mine" "$REGISTRY/test/bad:v1"
	assert_failure
	[ "$(ls -A "$T/mine")" = notes ]
	# a layout that was there keeps everything, the blobs this run verified too
	"$OCI_FETCH" -q --cache "$T/c" -o "$T/lay2" "$REGISTRY/test/one:latest"
	run "$OCI_FETCH" --cache "$T/c" -o "$T/lay2" "$REGISTRY/test/bad:v1"
	assert_failure
	[ "$(jq '.manifests | length' "$T/lay2/index.json")" = 1 ]
	check_layout "$T/lay2"
	# streaming: fails, and the stream never holds the whole bad blob
	run bash -c "'$OCI_FETCH' --no-cache $REGISTRY/test/bad:v1 2>'$T/err' >'$T/s.tar'"
	assert_failure
	grep -q "digest mismatch" "$T/err"
	[ "$(wc -l <"$T/err")" = 1 ]
	# the bad blob's entry is cut short (its last bytes wait for verification): tar sees a truncated archive
	tar -tvf "$T/s.tar" 2>/dev/null | grep -q "${l#sha256:}"
	mkdir "$T/x"
	run tar -C "$T/x" -xf "$T/s.tar"
	assert_failure
}
