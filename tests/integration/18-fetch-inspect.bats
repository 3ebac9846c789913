#!/usr/bin/env bats
# oci-fetch inspect and list-tags against the real registry, side by side with skopeo: the same
# digests, fields and tags; only manifests and the config are fetched (the registry's access
# log shows no layer GET); pagination through a registry front that pages (tagpager.py);
# hostile answers (bytes that do not match their digest, next pages elsewhere or looping).

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch

# skopeo inspect's fields (skopeo 1.9): ours must equal them
SKOPEO_KEYS='{Name, Digest, RepoTags, Created, DockerVersion, Labels, Architecture, Os, Layers, Env}'

setup_file() {
	require_cmd docker-registry jq curl skopeo python3 htpasswd
	registry_start plain
	# one image under several tags and registries: building is the slow part
	image_push_busybox test/one latest --layers 2 --label org.example.a=b --env X=1 \
		--entrypoint '["/bin/echo"]' --cmd '["hi"]' >/dev/null
	export ONE_DIGEST=$IMAGE_DIGEST ONE_LAYOUT=$IMAGE_LAYOUT
	for t in v1 v2 v3 v4; do image_push "$ONE_LAYOUT" test/one "$t" >/dev/null; done
	image_push_busybox test/multi latest --platforms linux/amd64,linux/arm64 >/dev/null
	export MULTI_DIGEST=$IMAGE_DIGEST
	export PLAIN_ENV=$REGISTRY_DIR
	registries_push_auth "$ONE_LAYOUT" test/one
}

teardown_file() {
	registry_stop
}

setup() {
	fetch_private_home
	registry_use "$PLAIN_ENV"
}

teardown() {
	pager_stop
	proxy_stop
}

# layer_gets: GETs of any layer blob of REPO:TAG's manifest (for the host's platform) logged
layer_gets() {
	local n=0 d
	for d in $(skopeo inspect --tls-verify=false "docker://$REGISTRY/$1" | jq -r '.Layers[]'); do
		n=$((n + $(blob_gets "${1%%[:@]*}" "$d")))
	done
	echo "$n"
}

@test "inspect: skopeo's fields and values, the extra ones, and no layer is fetched" {
	run -0 "$OCI_FETCH" inspect "$REGISTRY/test/one:latest"
	printf '%s\n' "$output" >"$T/ours.json"
	skopeo inspect --tls-verify=false "docker://$REGISTRY/test/one:latest" >"$T/skopeo.json"
	diff -u <(jq -S "$SKOPEO_KEYS" "$T/skopeo.json") <(jq -S "$SKOPEO_KEYS" "$T/ours.json")
	[ "$(jq -r .Digest "$T/ours.json")" = "$ONE_DIGEST" ]
	[ "$(jq -c .RepoTags "$T/ours.json")" = '["latest","v1","v2","v3","v4"]' ] ||
		[ "$(jq -c '.RepoTags | sort' "$T/ours.json")" = '["latest","v1","v2","v3","v4"]' ]
	[ "$(jq -c .Entrypoint "$T/ours.json")" = '["/bin/echo"]' ]
	[ "$(jq -c .Cmd "$T/ours.json")" = '["hi"]' ]
	[ "$(jq -r '.Labels["org.example.a"]' "$T/ours.json")" = b ]
	[ "$(jq '.LayersData | length' "$T/ours.json")" = 2 ]
	[ "$(jq -r '.LayersData[1].Digest' "$T/ours.json")" = "$(jq -r '.Layers[1]' "$T/ours.json")" ]
	[ "$(jq '.LayersData[0].Size > 0' "$T/ours.json")" = true ]
	[ "$(jq '.History | length' "$T/ours.json")" -ge 1 ]
	# no layer blob was ever requested by us (skopeo inspect does not fetch any either)
	[ "$(layer_gets test/one:latest)" = 0 ]
	cfg=$(curl -s "$REGISTRY_URL/v2/test/one/manifests/latest" -H 'Accept: application/vnd.oci.image.manifest.v1+json' | jq -r .config.digest)
	[ "$(blob_gets test/one "$cfg")" -ge 1 ]
	# --no-tags: RepoTags empty and no tag list requested
	before=$(grep -c 'GET /v2/test/one/tags/list' "$REGISTRY_LOG")
	run -0 "$OCI_FETCH" inspect --no-tags "$REGISTRY/test/one:latest"
	[ "$(jq -c .RepoTags <<<"$output")" = '[]' ]
	[ "$(grep -c 'GET /v2/test/one/tags/list' "$REGISTRY_LOG")" = "$before" ]
	# the short listing for people
	run -0 "$OCI_FETCH" inspect --format text docker://"$REGISTRY/test/one:latest"
	[[ "$output" == *"Digest:      $ONE_DIGEST"* ]]
	[[ "$output" == *"Entrypoint:  /bin/echo"* ]]
	[[ "$output" == *"Layers:      2, "* ]]
	[[ "$output" == *"org.example.a=b"* ]]
}

@test "inspect: an index gives skopeo's digest, its platforms, and --platform picks the config" {
	run -0 "$OCI_FETCH" inspect "$REGISTRY/test/multi:latest"
	printf '%s\n' "$output" >"$T/ours.json"
	skopeo inspect --tls-verify=false "docker://$REGISTRY/test/multi:latest" >"$T/skopeo.json"
	diff -u <(jq -S "$SKOPEO_KEYS" "$T/skopeo.json") <(jq -S "$SKOPEO_KEYS" "$T/ours.json")
	[ "$(jq -r .Digest "$T/ours.json")" = "$MULTI_DIGEST" ]
	[ "$(jq -r .MediaType "$T/ours.json")" = application/vnd.oci.image.index.v1+json ]
	[ "$(jq -r '[.Platforms[].Platform] | sort | join(",")' "$T/ours.json")" = linux/amd64,linux/arm64/v8 ]
	run -0 "$OCI_FETCH" inspect --platform linux/arm64 "$REGISTRY/test/multi:latest"
	printf '%s\n' "$output" >"$T/arm.json"
	skopeo inspect --tls-verify=false --override-os linux --override-arch arm64 \
		"docker://$REGISTRY/test/multi:latest" >"$T/skopeo-arm.json"
	diff -u <(jq -S "$SKOPEO_KEYS" "$T/skopeo-arm.json") <(jq -S "$SKOPEO_KEYS" "$T/arm.json")
	[ "$(jq -r .Architecture "$T/arm.json")" = arm64 ]
	[ "$(jq -r .ManifestDigest "$T/arm.json")" = "$(jq -r '.Platforms[] | select(.Platform == "linux/arm64/v8") | .Digest' "$T/arm.json")" ]
	run "$OCI_FETCH" inspect --platform linux/s390x "$REGISTRY/test/multi:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "linux/s390x"
	# a single-platform image: its own platform is fine, another one is refused as a pull does
	run -0 "$OCI_FETCH" inspect --no-tags --platform "linux/$(jq -r .Architecture "$T/ours.json")" "$REGISTRY/test/one:latest"
	run "$OCI_FETCH" inspect --platform linux/s390x "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "no image for platform linux/s390x"
}

@test "inspect --raw and --config: skopeo's bytes, digest verified" {
	"$OCI_FETCH" inspect --raw "$REGISTRY/test/multi:latest" >"$T/raw"
	skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/test/multi:latest" >"$T/raw.skopeo"
	cmp "$T/raw" "$T/raw.skopeo"
	[ "sha256:$(sha256sum <"$T/raw" | cut -d' ' -f1)" = "$MULTI_DIGEST" ]
	"$OCI_FETCH" inspect --config "$REGISTRY/test/one:latest" >"$T/cfg"
	skopeo inspect --tls-verify=false --config --raw "docker://$REGISTRY/test/one:latest" >"$T/cfg.skopeo"
	cmp "$T/cfg" "$T/cfg.skopeo"
	cfg=$("$OCI_FETCH" inspect --raw "$REGISTRY/test/one:latest" | jq -r .config.digest)
	[ "sha256:$(sha256sum <"$T/cfg" | cut -d' ' -f1)" = "$cfg" ]
	# --raw --platform: that platform's manifest, the digest the index names
	"$OCI_FETCH" inspect --raw --platform linux/arm64 "$REGISTRY/test/multi:latest" >"$T/arm"
	want=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' "$T/raw")
	[ "sha256:$(sha256sum <"$T/arm" | cut -d' ' -f1)" = "$want" ]
	[ "$(jq -r .mediaType "$T/arm")" = application/vnd.oci.image.manifest.v1+json ]
	# pinned by digest: the same bytes
	"$OCI_FETCH" inspect --raw "$REGISTRY/test/one@$ONE_DIGEST" >"$T/raw1"
	[ "sha256:$(sha256sum <"$T/raw1" | cut -d' ' -f1)" = "$ONE_DIGEST" ]
}

@test "inspect: a registry whose bytes do not match their digest is refused, nothing printed" {
	image_push_busybox test/bad latest --label which=bad >/dev/null
	bad=$IMAGE_DIGEST
	cfg=$("$OCI_FETCH" inspect --raw "$REGISTRY/test/bad@$bad" | jq -r .config.digest)
	# the registry serves the stored bytes as they are: change the config's
	f=$(image_blob_path "$cfg")
	sed -i "s/bad/BAD/" "$f"
	run --separate-stderr "$OCI_FETCH" inspect --config "$REGISTRY/test/bad:latest"
	assert_failure
	[ -z "$output" ]
	output=$stderr assert_one_line_error oci-fetch
	[[ "$stderr" == *"digest"* ]]
	run --separate-stderr "$OCI_FETCH" inspect "$REGISTRY/test/bad:latest"
	assert_failure
	[ -z "$output" ]
	# and the manifest itself, pinned by digest
	f=$(image_blob_path "$bad")
	printf ' ' >>"$f"
	run --separate-stderr "$OCI_FETCH" inspect --raw "$REGISTRY/test/bad@$bad"
	assert_failure
	[ -z "$output" ]
	[[ "$stderr" == *"digest"* || "$stderr" == *"size"* ]]
}

@test "inspect: the options say what is wrong" {
	run "$OCI_FETCH" inspect --raw --config "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "--raw and --config are exclusive"
	run "$OCI_FETCH" inspect --format yaml "$REGISTRY/test/one:latest"
	assert_failure
	assert_output_contains "expected json or text, got 'yaml'"
	run "$OCI_FETCH" inspect
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "missing IMAGE"
	run "$OCI_FETCH" inspect "$REGISTRY/test/nope:latest"
	assert_failure
	assert_one_line_error oci-fetch
	run -0 "$OCI_FETCH" inspect --help
	assert_output_contains "--raw"
	run -0 "$OCI_FETCH" --help
	assert_output_contains "inspect"
	assert_output_contains "list-tags"
}

@test "inspect and list-tags in basic and token modes, as skopeo with the same credentials" {
	for env in "$BASIC_ENV" "$TOKEN_ENV"; do
		registry_use "$env"
		[ -z "$REGISTRY_TOKEN_LOG" ] || : >"$REGISTRY_TOKEN_LOG" # the fixture's pushes
		run "$OCI_FETCH" inspect --creds "$REGISTRY_USER:wrong" "$REGISTRY/test/one:latest"
		assert_failure
		assert_one_line_error oci-fetch
		assert_output_contains "authentication failed"
		[[ "$output" != *"$REGISTRY_PASS"* ]]
		run -0 "$OCI_FETCH" inspect --creds "$REGISTRY_USER:$REGISTRY_PASS" "$REGISTRY/test/one:latest"
		ours=$(jq -S "$SKOPEO_KEYS" <<<"$output")
		theirs=$(skopeo inspect --tls-verify=false --creds "$REGISTRY_USER:$REGISTRY_PASS" \
			"docker://$REGISTRY/test/one:latest" | jq -S "$SKOPEO_KEYS")
		[ "$ours" = "$theirs" ]
		printf '{"auths":{"%s":{"auth":"%s"}}}' "$REGISTRY" \
			"$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASS" | base64 -w0)" >"$T/auth.json"
		run -0 "$OCI_FETCH" list-tags --authfile "$T/auth.json" --format text "$REGISTRY/test/one"
		[ "$output" = latest ]
	done
	# the token asked for is for pulling that repository only
	grep -q "scope=repository:test/one:pull status=200" "$REGISTRY_TOKEN_LOG"
	! grep -q "push" "$REGISTRY_TOKEN_LOG" || false
}

@test "inspect --format text: an image's control characters never reach the terminal" {
	# ESC sequences retitle the window, move the cursor, write the clipboard (OSC 52); a
	# newline forges a line of the report
	image_push_busybox test/evil latest --label "org.example.t=a"$'\033]2;pwned\007'"b" \
		--env "X=1"$'\n'"Labels:      forged=1" --cmd '["hi\u001b[2J"]' >/dev/null
	run -0 "$OCI_FETCH" inspect --format text "$REGISTRY/test/evil:latest"
	! printf '%s' "$output" | LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' || false
	assert_output_contains 'org.example.t=a\x1b]2;pwned\x07b'
	assert_output_contains 'X=1\nLabels:      forged=1'
	assert_output_contains 'hi\x1b[2J'
	[ "$(printf '%s\n' "$output" | grep -c '^Labels:')" = 1 ]
	# the JSON output keeps the bytes, escaped by JSON itself
	run -0 "$OCI_FETCH" inspect "$REGISTRY/test/evil:latest"
	[ "$(echo "$output" | jq -r '.Labels["org.example.t"]')" = "a"$'\033]2;pwned\007'"b" ]
}

@test "list-tags: every page, the same as skopeo, JSON and one a line" {
	pager_start --default-page 2
	run -0 "$OCI_FETCH" list-tags "$PAGER/test/one"
	printf '%s\n' "$output" >"$T/ours.json"
	skopeo list-tags --tls-verify=false "docker://$PAGER/test/one" >"$T/skopeo.json"
	cmp "$T/ours.json" "$T/skopeo.json"
	[ "$(jq -c .Tags "$T/ours.json")" = '["latest","v1","v2","v3","v4"]' ]
	[ "$(jq -r .Repository "$T/ours.json")" = "$PAGER/test/one" ]
	# three pages of two, each asked for once by us (and once by skopeo)
	[ "$(grep -c 'GET /v2/test/one/tags/list' "$PAGER_LOG")" = 6 ]
	grep -q 'GET /v2/test/one/tags/list?last=v3&n=2' "$PAGER_LOG"
	run -0 "$OCI_FETCH" list-tags --format text "docker://$PAGER/test/one"
	[ "$output" = "$(printf '%s\n' latest v1 v2 v3 v4)" ]
	# the page size we ask for, and an absolute next link on the registry's origin
	pager_stop
	pager_start --link-absolute
	: >"$PAGER_LOG"
	run -0 "$OCI_FETCH" list-tags --page-size 3 --format text "$PAGER/test/one"
	[ "$output" = "$(printf '%s\n' latest v1 v2 v3 v4)" ]
	[ "$(cat "$PAGER_LOG")" = "$(printf '%s\n' 'GET /v2/test/one/tags/list?n=3 auth=no' \
		'GET /v2/test/one/tags/list?last=v2&n=3 auth=no')" ]
}

@test "list-tags: a next page on another origin or looping is refused in one line" {
	proxy_start
	pager_start --link-foreign "http://$PROXY"
	run --separate-stderr "$OCI_FETCH" list-tags "$PAGER/test/one"
	assert_failure
	[ -z "$output" ]
	output=$stderr assert_one_line_error oci-fetch
	[[ "$stderr" == *"not on the registry's origin"* ]]
	# nothing went to the other origin
	[ ! -s "$PROXY_LOG" ]
	pager_stop
	pager_start --link-loop
	run "$OCI_FETCH" list-tags "$PAGER/test/one"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "points back"
	# a tag or digest is not a repository
	run "$OCI_FETCH" list-tags "$REGISTRY/test/one:latest"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "without a tag or digest"
	run "$OCI_FETCH" list-tags --page-size 0 "$REGISTRY/test/one"
	assert_failure
	assert_output_contains "--page-size"
	run "$OCI_FETCH" list-tags "$REGISTRY/test/nope"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "test/nope"
	# a tag that is not a string
	pager_stop
	pager_start --hostile-tags
	run --separate-stderr "$OCI_FETCH" list-tags "$PAGER/test/one"
	assert_failure
	[ -z "$output" ]
	[[ "$stderr" == *"tag list page 1: tags[1]: expected a string" ]]
}

@test "list-tags: a name that is not a tag is refused in one line (it would forge a line of --format text)" {
	# a newline forges a tag, ESC drives the terminal, '/' and '..' make a path of it
	for t in $'v1\nforged' $'\033]2;x\007' ../../x ''; do
		pager_stop
		pager_start --inject-tag "$t"
		run --separate-stderr "$OCI_FETCH" list-tags --format text "$PAGER/test/one"
		assert_failure
		[ -z "$output" ]
		[[ "$stderr" == *": tag list page "*": tags["*"]: '"*"' is not a tag" ]]
		! printf '%s' "$stderr" | LC_ALL=C grep -q $'[\x01-\x1f\x7f]' || false
	done
}

@test "inspect: a config with wrong types is refused in one line naming the field" {
	L=$T/hostile
	cp -r "$ONE_LAYOUT" "$L"
	m=$(jq -r '.manifests[0].digest' "$L/index.json")
	mf=$L/blobs/sha256/${m#sha256:}
	cfg=$(jq -r .config.digest "$mf")
	jq -c '.config.Labels = ["not", "an", "object"]' "$L/blobs/sha256/${cfg#sha256:}" >"$T/cfg.json"
	c=$(sha256sum <"$T/cfg.json" | cut -d' ' -f1)
	cp "$T/cfg.json" "$L/blobs/sha256/$c"
	jq -c --arg d "sha256:$c" --argjson s "$(stat -c %s "$T/cfg.json")" \
		'.config.digest = $d | .config.size = $s' "$mf" >"$T/m.json"
	n=$(sha256sum <"$T/m.json" | cut -d' ' -f1)
	cp "$T/m.json" "$L/blobs/sha256/$n"
	jq -c --arg d "sha256:$n" --argjson s "$(stat -c %s "$T/m.json")" \
		'.manifests[0].digest = $d | .manifests[0].size = $s' "$L/index.json" >"$T/i.json"
	mv "$T/i.json" "$L/index.json"
	image_push "$L" test/hostile latest >/dev/null
	run --separate-stderr "$OCI_FETCH" inspect "$REGISTRY/test/hostile:latest"
	assert_failure
	[ -z "$output" ]
	output=$stderr assert_one_line_error oci-fetch
	[[ "$stderr" == *"image config: config.Labels: expected an object" ]]
	# the raw config is still there to look at, verified
	run -0 "$OCI_FETCH" inspect --config "$REGISTRY/test/hostile:latest"
	[ "$(jq -c .config.Labels <<<"$output")" = '["not","an","object"]' ]
}
