#!/usr/bin/env bats
# oci-fetch --policy: containers' policy.json (insecureAcceptAnything, reject, sigstoreSigned with
# ECDSA P-256 and Ed25519 keys, every signedIdentity, scopes) against a real registry holding
# cosign-style signatures made here with openssl; skopeo, given the same policy.json, must give
# the same verdict for every image. Attacks: a signature of another digest, by another key, for
# another identity, malformed signature manifests and payloads, an oversized payload. A rejected
# image never reaches oci-unpack: no layer is even requested.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/registry
load ../lib/images
load ../lib/fetch
load ../lib/sign

setup_file() {
	require_cmd docker-registry jq curl python3 openssl skopeo
	registry_start plain
	image_push_busybox signed/app v1 --layers 2 >/dev/null
	export APP=$IMAGE_DIGEST
	image_push_busybox signed/other v1 >/dev/null
	export OTHER=$IMAGE_DIGEST
	image_push_busybox signed/ed v1 >/dev/null
	export ED=$IMAGE_DIGEST
	image_push_busybox plain/app v1 >/dev/null
	export PLAIN=$IMAGE_DIGEST
	K=$BATS_FILE_TMPDIR/keys
	mkdir -p "$K"
	sig_keygen "$K" one ec
	sig_keygen "$K" two ec
	sig_keygen "$K" ed ed25519
	export K
	# cosign's own identity: the repository only
	sig_image signed/app "$APP" "$REGISTRY/signed/app" "$K/one.key"
	sig_image signed/ed "$ED" "$REGISTRY/signed/ed" "$K/ed.key"
	export RD=$BATS_FILE_TMPDIR/registries.d
	skopeo_registries_d "$RD"
	# can this skopeo verify a good signature at all?
	jq -n --arg r "$REGISTRY/signed/app" --arg k "$K/one.pub" '{default:[{type:"reject"}],
		transports:{docker:{($r):[{type:"sigstoreSigned",keyPath:$k,signedIdentity:{type:"matchRepository"}}]}}}' \
		>"$BATS_FILE_TMPDIR/probe.json"
	SKOPEO_NO_SIGSTORE=0
	if skopeo --policy "$BATS_FILE_TMPDIR/probe.json" --registries.d "$RD" copy --remove-signatures \
		--src-tls-verify=false "docker://$REGISTRY/signed/app:v1" "oci:$BATS_FILE_TMPDIR/probe:x" 2>&1 |
		grep -q "sigstore disabled"; then
		SKOPEO_NO_SIGSTORE=1
		echo "# this skopeo cannot verify sigstore signatures: those verdicts are oci-fetch's alone" >&3
	fi
	export SKOPEO_NO_SIGSTORE
	export REGISTRY_ENV=$REGISTRY_DIR
}

teardown_file() {
	registry_stop
}

setup() {
	registry_use "$REGISTRY_ENV"
	T=$BATS_TEST_TMPDIR
	POL=$T/policy.json
}

# policy JSON: the default and the docker scopes (a JSON object) as arguments
write_policy() {
	jq -n --argjson d "$1" --argjson s "${2:-{\}}" '{default:$d,transports:{docker:$s}}' >"$POL"
}

sigstore() { # KEYFILE [IDENTITY-JSON]
	jq -cn --arg k "$1" --argjson id "${2:-null}" \
		'[{type:"sigstoreSigned",keyPath:$k} + (if $id then {signedIdentity:$id} else {} end)]'
}

# verdict accept|reject REF [peer]: oci-fetch and skopeo, with the same policy.json, agree on
# REF. Debian's skopeo 1.9 is built with sigstore verification removed ("Debian-local change:
# sigstore disabled", found out in setup_file): for a policy that needs sigstore signatures,
# skopeo is asked only with "peer" (where its verdict does not depend on verifying one), else
# only oci-fetch's verdict is checked.
verdict() {
	local want=$1 ref=$2 sk=0 skout="" peer=1
	if [ "${SKOPEO_NO_SIGSTORE:-0}" = 1 ] && grep -q sigstoreSigned "$POL" && [ "${3:-}" != peer ]; then
		peer=0
	else
		run -0 mkdir -p "$T/sk"
		run skopeo --policy "$POL" --registries.d "$RD" copy --remove-signatures --src-tls-verify=false \
			"docker://$ref" "oci:$T/sk:x"
		sk=$status skout=$output
	fi
	rm -rf "$T/of"
	# one blob cache for the file: the verdict comes before any layer anyway
	run "$OCI_FETCH" -q --cache "$BATS_FILE_TMPDIR/cache" --policy "$POL" -o "$T/of" "$ref"
	if [ "$want" = accept ]; then
		[ "$sk" = 0 ] || { echo "skopeo refused $ref: $skout" >&2; return 1; }
		assert_success
		check_layout "$T/of"
	else
		[ "$peer" = 0 ] || [ "$sk" != 0 ] || { echo "skopeo accepted $ref" >&2; return 1; }
		echo "skopeo: $skout" >&2
		assert_failure
		assert_one_line_error oci-fetch
		# nothing written: no layout was even created
		[ ! -e "$T/of" ]
	fi
}

@test "policy: insecureAcceptAnything accepts, reject refuses naming the file and scope, before any layer" {
	write_policy '[{"type":"insecureAcceptAnything"}]'
	verdict accept "$REGISTRY/plain/app:v1"
	write_policy '[{"type":"reject"}]'
	local before
	before=$(grep -c '/blobs/' "$REGISTRY_LOG" || true)
	verdict reject "$REGISTRY/plain/app:v1"
	assert_output_contains "rejected by policy '$POL' (scope default)"
	# as a pipe: oci-unpack gets no image, and not even the config blob was requested
	before=$(grep -c '/blobs/' "$REGISTRY_LOG" || true)
	run bash -c "'$OCI_FETCH' -q --no-cache --policy '$POL' '$REGISTRY/plain/app:v1' | '$OCI_UNPACK' -q '$T/rootfs'"
	assert_failure
	[ ! -e "$T/rootfs/bin/busybox" ]
	[ "$(grep -c '/blobs/' "$REGISTRY_LOG" || true)" = "$before" ]
	# --insecure-policy skips the check, as skopeo's does
	run "$OCI_FETCH" -q --no-cache --insecure-policy -o "$T/ok" "$REGISTRY/plain/app:v1"
	assert_success
	run "$OCI_FETCH" -q --policy "$POL" --insecure-policy -o "$T/x" "$REGISTRY/plain/app:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "exclusive"
}

@test "policy: sigstoreSigned with an ECDSA P-256 key and with an Ed25519 key (matchRepository)" {
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub" '{"type":"matchRepository"}')" \
		--argjson e "$(sigstore "$K/ed.pub" '{"type":"matchRepository"}')" \
		--arg r "$REGISTRY/signed/app" --arg re "$REGISTRY/signed/ed" '{($r):$a,($re):$e}')"
	verdict accept "$REGISTRY/signed/app:v1"
	[ "$(jq -r '.manifests[0].digest' "$T/of/index.json")" = "$APP" ]
	verdict accept "$REGISTRY/signed/ed:v1"
	verdict accept "$REGISTRY/signed/app@$APP"
	# the policy's scope for another repository is the default: reject
	verdict reject "$REGISTRY/signed/other:v1"
	assert_output_contains "(scope default)"
}

@test "policy: an unsigned image is refused where a signature is required" {
	write_policy '[{"type":"insecureAcceptAnything"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub")" --arg r "$REGISTRY" '{($r):$a}')"
	verdict reject "$REGISTRY/plain/app:v1" peer
	assert_output_contains "scope docker \"$REGISTRY\""
	assert_output_contains "a signature is required, and there is none"
}

@test "policy attack: a valid signature of another image's digest, copied to this image's tag" {
	# signed/other carries app's genuine signature (signs APP, identity signed/app)...
	sig_image signed/other "$OTHER" "$REGISTRY/signed/other" "$K/two.key"
	local p=$T/p
	sig_payload "$REGISTRY/signed/other" "$APP" >"$p"
	sig_push signed/other "$OTHER" "$p:$(sig_sign "$K/one.key" "$p")"
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub" '{"type":"matchRepository"}')" --arg r "$REGISTRY/signed" '{($r):$a}')"
	verdict reject "$REGISTRY/signed/other:v1"
	assert_output_contains "signs manifest $APP, not the pulled $OTHER"
}

@test "policy attack: a signature by another key is refused; any of keyPaths is enough" {
	sig_image signed/other "$OTHER" "$REGISTRY/signed/other" "$K/two.key"
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub" '{"type":"matchRepository"}')" --arg r "$REGISTRY/signed/other" '{($r):$a}')"
	verdict reject "$REGISTRY/signed/other:v1"
	assert_output_contains "not signed by the policy's key"
	# keyData (base64 of the PEM) of the right key: accepted (skopeo 1.9 has keyData, not keyPaths)
	write_policy '[{"type":"reject"}]' "$(jq -cn --arg k "$(base64 -w0 <"$K/two.pub")" --arg r "$REGISTRY/signed/other" \
		'{($r):[{type:"sigstoreSigned",keyData:$k,signedIdentity:{type:"matchRepository"}}]}')"
	verdict accept "$REGISTRY/signed/other:v1"
	write_policy '[{"type":"reject"}]' "$(jq -cn --arg a "$K/one.pub" --arg b "$K/two.pub" --arg r "$REGISTRY/signed/other" \
		'{($r):[{type:"sigstoreSigned",keyPaths:[$a,$b],signedIdentity:{type:"matchRepository"}}]}')"
	run "$OCI_FETCH" -q --no-cache --policy "$POL" -o "$T/kp" "$REGISTRY/signed/other:v1"
	assert_success
}

@test "policy attack: the right digest and key but another identity" {
	local p=$T/p
	sig_payload "$REGISTRY/signed/app" "$OTHER" >"$p"
	sig_push signed/other "$OTHER" "$p:$(sig_sign "$K/one.key" "$p")"
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub" '{"type":"matchRepository"}')" --arg r "$REGISTRY/signed/other" '{($r):$a}')"
	verdict reject "$REGISTRY/signed/other:v1"
	assert_output_contains "signed identity '$REGISTRY/signed/app' does not match (signedIdentity matchRepository)"
	# exactRepository names the identity the signature carries: accepted
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub" "$(jq -cn --arg r "$REGISTRY/signed/app" '{type:"exactRepository",dockerRepository:$r}')")" \
		--arg r "$REGISTRY/signed/other" '{($r):$a}')"
	verdict accept "$REGISTRY/signed/other:v1"
}

@test "policy: signedIdentity matchExact, matchRepoDigestOrExact (the default), exactReference, remapIdentity" {
	local p=$T/p
	# a signature whose identity carries the tag
	sig_payload "$REGISTRY/signed/other:v1" "$OTHER" >"$p"
	sig_push signed/other "$OTHER" "$p:$(sig_sign "$K/one.key" "$p")"
	local scope=$REGISTRY/signed/other
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub" '{"type":"matchExact"}')" --arg r "$scope" '{($r):$a}')"
	verdict accept "$REGISTRY/signed/other:v1"
	verdict reject "$REGISTRY/signed/other@$OTHER"
	# the default: exact for a tag, the repository for a digest
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub")" --arg r "$scope" '{($r):$a}')"
	verdict accept "$REGISTRY/signed/other:v1"
	verdict accept "$REGISTRY/signed/other@$OTHER"
	# cosign's repository-only identity fails the default for a tag
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub")" --arg r "$REGISTRY/signed/app" '{($r):$a}')"
	verdict reject "$REGISTRY/signed/app:v1"
	verdict accept "$REGISTRY/signed/app@$APP"
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub" "$(jq -cn --arg r "$REGISTRY/signed/other:v1" '{type:"exactReference",dockerReference:$r}')")" \
		--arg r "$scope" '{($r):$a}')"
	verdict accept "$REGISTRY/signed/other@$OTHER"
	# remapIdentity: the image is pulled as mirror/..., signed as signed/...
	image_push_busybox mirror/other v1 >/dev/null
	IMAGE_DIGEST=$OTHER
	local lay
	lay=$(mktemp -d "$T/lay.XXXXXX")
	run "$OCI_FETCH" -q --no-cache --insecure-policy -o "$lay" "$REGISTRY/signed/other:v1"
	assert_success
	image_push "$lay" mirror/other v1
	sig_push mirror/other "$OTHER" "$p:$(sig_sign "$K/one.key" "$p")"
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub" "$(jq -cn --arg p "$REGISTRY/mirror" --arg s "$REGISTRY/signed" '{type:"remapIdentity",prefix:$p,signedPrefix:$s}')")" \
		--arg r "$REGISTRY/mirror" '{($r):$a}')"
	verdict accept "$REGISTRY/mirror/other:v1"
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub")" --arg r "$REGISTRY/mirror" '{($r):$a}')"
	verdict reject "$REGISTRY/mirror/other:v1"
}

@test "policy: the most specific scope wins (tag, repository, namespace, host, transport default, default)" {
	local acc='[{"type":"insecureAcceptAnything"}]' rej='[{"type":"reject"}]'
	write_policy "$rej" "$(jq -cn --argjson a "$acc" --argjson r "$rej" --arg h "$REGISTRY" --arg ns "$REGISTRY/plain" \
		--arg repo "$REGISTRY/plain/app" --arg tag "$REGISTRY/plain/app:v1" '{($h):$a,($ns):$r,($repo):$a,($tag):$r}')"
	verdict reject "$REGISTRY/plain/app:v1"
	assert_output_contains "scope docker \"$REGISTRY/plain/app:v1\""
	verdict accept "$REGISTRY/plain/app@$PLAIN"
	verdict accept "$REGISTRY/signed/other:v1"
	write_policy "$acc" "$(jq -cn --argjson r "$rej" '{"":$r}')"
	verdict reject "$REGISTRY/plain/app:v1"
	assert_output_contains 'scope docker ""'
}

@test "policy attack: malformed signature manifests and payloads are refused, a good signature beside them is enough" {
	local p=$T/p bad=$T/bad q=$T/q
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/two.pub" '{"type":"matchRepository"}')" --arg r "$REGISTRY/signed/other" '{($r):$a}')"
	# no signature annotation; not base64; a payload that is not JSON (signed); an extra field
	sig_payload "$REGISTRY/signed/other" "$OTHER" >"$p"
	printf 'not json' >"$bad"
	sig_payload "$REGISTRY/signed/other" "$OTHER" | jq -c '.critical.extra = 1' >"$q"
	sig_push signed/other "$OTHER" "$p:-" "$p:@@notbase64@@" "$bad:$(sig_sign "$K/two.key" "$bad")" \
		"$q:$(sig_sign "$K/two.key" "$q")"
	verdict reject "$REGISTRY/signed/other:v1"
	assert_output_contains "none of the 4 signatures is accepted"
	assert_output_contains "no dev.cosignproject.cosign/signature annotation"
	assert_output_contains "is not base64"
	assert_output_contains "invalid payload"
	assert_output_contains "critical.extra: unexpected key"
	# the same four plus a good one: accepted
	sig_push signed/other "$OTHER" "$p:-" "$bad:$(sig_sign "$K/two.key" "$bad")" "$p:$(sig_sign "$K/two.key" "$p")"
	verdict accept "$REGISTRY/signed/other:v1"
	# a .sig tag that is not an image manifest at all
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}' >"$T/idx"
	curl -sS -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
		--data-binary "@$T/idx" "$REGISTRY_URL/v2/signed/other/manifests/sha256-${OTHER#sha256:}.sig"
	rm -rf "$T/of"
	run "$OCI_FETCH" -q --no-cache --policy "$POL" -o "$T/of" "$REGISTRY/signed/other:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "signature manifest"
	[ ! -e "$T/of" ]
}

@test "policy attack: an oversized signed payload is not read" {
	local p=$T/p
	# a valid, signed payload of 5 MiB: over skopeo's 4 MiB limit and oci-fetch's 64 KiB one
	head -c $((5 << 20)) /dev/zero | tr '\0' x >"$T/pad"
	sig_payload "$REGISTRY/signed/other" "$OTHER" | jq -c --rawfile pad "$T/pad" '.optional = {pad:$pad}' >"$p"
	sig_push signed/other "$OTHER" "$p:$(sig_sign "$K/two.key" "$p")"
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/two.pub" '{"type":"matchRepository"}')" --arg r "$REGISTRY/signed/other" '{($r):$a}')"
	local before
	before=$(grep -c "GET /v2/signed/other/blobs/sha256:$(sha256sum <"$p" | cut -d' ' -f1)" "$REGISTRY_LOG" || true)
	run "$OCI_FETCH" -q --no-cache --policy "$POL" -o "$T/of" "$REGISTRY/signed/other:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "over the 65536-byte limit"
	# refused from the descriptor: the payload was never downloaded
	[ "$(grep -c "GET /v2/signed/other/blobs/sha256:$(sha256sum <"$p" | cut -d' ' -f1)" "$REGISTRY_LOG" || true)" = "$before" ]
	verdict reject "$REGISTRY/signed/other:v1"
}

@test "policy: bad policy files are one clear line; unsupported requirements are refused, not ignored" {
	run "$OCI_FETCH" -q --policy "$T/missing.json" -o "$T/of" "$REGISTRY/plain/app:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "missing.json"
	printf '{"default":[{"type":"insecureAcceptAnything"}],"transport":{}}' >"$POL"
	run "$OCI_FETCH" -q --policy "$POL" -o "$T/of" "$REGISTRY/plain/app:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "unknown key 'transport'"
	write_policy '[{"type":"insecureAcceptAnything"}]' "$(jq -cn --arg r "$REGISTRY/plain" '{($r):[{type:"sigstoreSigned",keyPath:"/k",keyData:"eA=="}]}')"
	run "$OCI_FETCH" -q --policy "$POL" -o "$T/of" "$REGISTRY/plain/app:v1"
	assert_failure
	assert_output_contains "exactly one of keyPath"
	write_policy '[{"type":"insecureAcceptAnything"}]' '{"busybox":[{"type":"reject"}]}'
	run "$OCI_FETCH" -q --policy "$POL" -o "$T/of" "$REGISTRY/plain/app:v1"
	assert_failure
	assert_output_contains "not a docker scope"
	# GPG signedBy where it applies: refused with the reason (never silently accepted)
	write_policy '[{"type":"insecureAcceptAnything"}]' "$(jq -cn --arg r "$REGISTRY/plain" '{($r):[{type:"signedBy",keyType:"GPGKeys",keyPath:"/k"}]}')"
	run "$OCI_FETCH" -q --policy "$POL" -o "$T/of" "$REGISTRY/plain/app:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "signedBy (GPG simple signing) is not supported"
	[ ! -e "$T/of" ]
	# ... and ignored where it does not apply
	run "$OCI_FETCH" -q --no-cache --policy "$POL" -o "$T/of" "$REGISTRY/signed/app:v1"
	assert_success
	# a key that is not P-256 or Ed25519
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 2>/dev/null | openssl pkey -pubout >"$T/p384.pub"
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$T/p384.pub")" --arg r "$REGISTRY/signed/app" '{($r):$a}')"
	run "$OCI_FETCH" -q --policy "$POL" -o "$T/of2" "$REGISTRY/signed/app@$APP"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "not supported (ECDSA P-256 and Ed25519 are)"
}

@test "policy: signatures found as OCI 1.1 referrers (the tag schema) when there is no .sig tag" {
	image_push_busybox signed/ref v1 >/dev/null
	local dg=$IMAGE_DIGEST p=$T/p
	sig_payload "$REGISTRY/signed/ref" "$dg" >"$p"
	sig_push_referrer signed/ref "$dg" "$p:$(sig_sign "$K/one.key" "$p")"
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub" '{"type":"matchRepository"}')" --arg r "$REGISTRY/signed/ref" '{($r):$a}')"
	run "$OCI_FETCH" -q --no-cache --policy "$POL" -o "$T/of" "$REGISTRY/signed/ref:v1"
	assert_success
	check_layout "$T/of"
	# the referrers API was asked first (distribution 2.8 has none: 404), then the tag schema
	grep -q "GET /v2/signed/ref/referrers/$dg" "$REGISTRY_LOG"
	grep -q "GET /v2/signed/ref/manifests/sha256-${dg#sha256:} " "$REGISTRY_LOG"
	# the same referrer under another key: refused
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/two.pub" '{"type":"matchRepository"}')" --arg r "$REGISTRY/signed/ref" '{($r):$a}')"
	rm -rf "$T/of"
	run "$OCI_FETCH" -q --no-cache --policy "$POL" -o "$T/of" "$REGISTRY/signed/ref:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "not signed by the policy's key"
	[ ! -e "$T/of" ]
}

@test "policy: signatures found through the referrers API where the registry has one (filtered by artifactType)" {
	image_push_busybox signed/api v1 >/dev/null
	local dg=$IMAGE_DIGEST p=$T/p
	pager_start --referrers
	# the signed identity is the name the image is pulled by: the API-speaking front
	sig_payload "$PAGER/signed/api" "$dg" >"$p"
	sig_push_referrer signed/api "$dg" "$p:$(sig_sign "$K/one.key" "$p")"
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/one.pub" '{"type":"matchRepository"}')" --arg r "$PAGER/signed/api" '{($r):$a}')"
	run "$OCI_FETCH" -q --no-cache --policy "$POL" -o "$T/of" "$PAGER/signed/api:v1"
	assert_success
	check_layout "$T/of"
	# the API answered (an index holding an SBOM entry and the signature; only the
	# signature's artifactType was asked for), so the tag schema was never read
	grep -q "GET /v2/signed/api/referrers/$dg?artifactType=application%2Fvnd.dev.cosign.artifact.sig.v1%2Bjson " "$PAGER_LOG"
	! grep -q "GET /v2/signed/api/manifests/sha256-${dg#sha256:} " "$PAGER_LOG" || false
	# the same signature checked against another key through the API: refused
	write_policy '[{"type":"reject"}]' "$(jq -cn --argjson a "$(sigstore "$K/two.pub" '{"type":"matchRepository"}')" --arg r "$PAGER/signed/api" '{($r):$a}')"
	rm -rf "$T/of"
	run "$OCI_FETCH" -q --no-cache --policy "$POL" -o "$T/of" "$PAGER/signed/api:v1"
	assert_failure
	assert_one_line_error oci-fetch
	assert_output_contains "not signed by the policy's key"
	[ ! -e "$T/of" ]
	pager_stop
}
