# Sigstore (cosign-style) signatures made with openssl, no cosign needed, for the policy tests.
# Load after registry and images: `load ../lib/sign`.
#
#   sig_keygen DIR NAME ec|ed25519   DIR/NAME.key (private) and DIR/NAME.pub (PEM public key)
#   sig_payload IDENTITY DIGEST      the simple-signing JSON cosign signs, on stdout
#   sig_sign KEY FILE                base64 of KEY's signature of FILE (ECDSA: SHA-256, DER)
#   sig_push REPO DIGEST PAYLOAD:SIG...
#                                    push a signature manifest as cosign does: tag
#                                    sha256-<hex>.sig, one simple-signing layer per PAYLOAD
#                                    file, annotated with its base64 SIG ("-" for none)
#   sig_push_referrer REPO DIGEST PAYLOAD:SIG...
#                                    the same manifest as cosign's OCI 1.1 mode makes it
#                                    (artifactType, subject), pushed by digest and listed, with
#                                    an SBOM-like referrer beside it, in the referrers tag
#                                    schema's index "sha256-<hex>" (for registries without the
#                                    referrers API, as Debian's distribution 2.8)
#   sig_image REPO DIGEST IDENTITY KEY
#                                    sig_payload + sig_sign + sig_push in one
#   skopeo_registries_d DIR          a registries.d that makes skopeo read sigstore attachments

sig_keygen() {
	local dir=$1 name=$2 kind=$3
	case $kind in
	ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key" 2>/dev/null ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$dir/$name.key" 2>/dev/null ;;
	*) echo "sig_keygen: unknown kind '$kind'" >&2; return 1 ;;
	esac || return 1
	openssl pkey -in "$dir/$name.key" -pubout -out "$dir/$name.pub" 2>/dev/null
}

sig_payload() {
	printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' "$1" "$2"
}

sig_sign() {
	local key=$1 file=$2
	if openssl pkey -in "$key" -noout -text 2>/dev/null | grep -q ED25519; then
		openssl pkeyutl -sign -inkey "$key" -rawin -in "$file" | base64 -w0
	else
		openssl dgst -sha256 -sign "$key" "$file" | base64 -w0
	fi
}

sig_push() {
	_sig_push "" "$@"
}

sig_push_referrer() {
	_sig_push referrer "$@"
}

_sig_push() {
	local mode=$1 repo=$2 digest=$3
	shift 3
	local base=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}
	local lay pair payload sig h layers=() cfg man
	lay=$(mktemp -d "$base/sig.XXXXXX") || return 1
	mkdir -p "$lay/blobs/sha256"
	printf '{}' >"$lay/cfg"
	cfg=$(sha256sum <"$lay/cfg" | cut -d' ' -f1)
	mv "$lay/cfg" "$lay/blobs/sha256/$cfg"
	for pair in "$@"; do
		payload=${pair%%:*}
		sig=${pair#*:}
		h=$(sha256sum <"$payload" | cut -d' ' -f1)
		cp "$payload" "$lay/blobs/sha256/$h"
		if [ "$sig" = - ]; then
			layers+=("$(jq -cn --arg d "sha256:$h" --argjson s "$(stat -c %s "$payload")" \
				'{mediaType:"application/vnd.dev.cosign.simplesigning.v1+json",digest:$d,size:$s}')")
		else
			layers+=("$(jq -cn --arg d "sha256:$h" --argjson s "$(stat -c %s "$payload")" --arg sig "$sig" \
				'{mediaType:"application/vnd.dev.cosign.simplesigning.v1+json",digest:$d,size:$s,
				  annotations:{"dev.cosignproject.cosign/signature":$sig}}')")
		fi
	done
	printf '%s\n' "${layers[@]}" | jq -cs --arg c "sha256:$cfg" '{schemaVersion:2,
		mediaType:"application/vnd.oci.image.manifest.v1+json",
		config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$c,size:2},
		layers:.}' >"$lay/man"
	if [ "$mode" = referrer ]; then
		local subj
		subj=$(registry_curl -sS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
			"$REGISTRY_URL/v2/$repo/manifests/$digest" | wc -c)
		jq -c --arg d "$digest" --argjson s "$subj" '. + {artifactType:"application/vnd.dev.cosign.artifact.sig.v1+json",
			subject:{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s}}' \
			"$lay/man" >"$lay/man2"
		mv "$lay/man2" "$lay/man"
	fi
	man=$(sha256sum <"$lay/man" | cut -d' ' -f1)
	mv "$lay/man" "$lay/blobs/sha256/$man"
	jq -cn --arg d "sha256:$man" --argjson s "$(stat -c %s "$lay/blobs/sha256/$man")" \
		'{schemaVersion:2,manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s}]}' \
		>"$lay/index.json"
	local saved=${IMAGE_DIGEST:-}
	if [ "$mode" != referrer ]; then
		image_push "$lay" "$repo" "sha256-${digest#sha256:}.sig" || return 1
		IMAGE_DIGEST=$saved
		return 0
	fi
	image_push "$lay" "$repo" "sha256:$man" || return 1
	IMAGE_DIGEST=$saved
	local size code
	size=$(stat -c %s "$lay/blobs/sha256/$man")
	jq -cn --arg d "sha256:$man" --argjson s "$size" '{schemaVersion:2,
		mediaType:"application/vnd.oci.image.index.v1+json",manifests:[
		{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s,
		 artifactType:"application/spdx+json"},
		{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s,
		 artifactType:"application/vnd.dev.cosign.artifact.sig.v1+json"}]}' >"$lay/referrers"
	code=$(_image_curl -o /dev/null -w '%{http_code}' -X PUT \
		-H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary "@$lay/referrers" \
		"$REGISTRY_URL/v2/$repo/manifests/sha256-${digest#sha256:}")
	[ "$code" = 201 ] || { echo "sig_push_referrer: PUT referrers index: HTTP $code" >&2; return 1; }
}

sig_image() {
	local repo=$1 digest=$2 identity=$3 key=$4
	local base=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}
	local p
	p=$(mktemp "$base/payload.XXXXXX") || return 1
	sig_payload "$identity" "$digest" >"$p"
	sig_push "$repo" "$digest" "$p:$(sig_sign "$key" "$p")"
}

skopeo_registries_d() {
	mkdir -p "$1"
	printf 'default-docker:\n  use-sigstore-attachments: true\n' >"$1/default.yaml"
}
