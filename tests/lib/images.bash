# Image fixture: pushes test images (built by mkimage.py from busybox-static) to the current
# test registry through the distribution API with curl, in any registry_start mode.
# Load after the registry fixture: `load ../lib/registry` then `load ../lib/images`.
#
#   image_push LAYOUT_DIR REPO TAG           push the layout's image; exports IMAGE_DIGEST
#   image_push_busybox REPO TAG [mkimage options...]
#                                            build with mkimage.py, then push; exports
#                                            IMAGE_DIGEST and IMAGE_LAYOUT
#   image_build OUTDIR [mkimage options...]  build only; exports IMAGE_LAYOUT, IMAGE_DIGEST
#   image_blob_path DIGEST                   path of a blob in the registry's storage
#   MKIMAGE, HOSTILE                         paths of mkimage.py and hostile.py

IMAGES_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MKIMAGE=$IMAGES_LIB_DIR/mkimage.py
HOSTILE=$IMAGES_LIB_DIR/hostile.py
export MKIMAGE HOSTILE

# _image_curl ARGS...: curl against the current registry with its CA and the auth
# arguments prepared by image_push (in _IMAGE_AUTH).
_image_curl() {
	local ca=()
	[ -n "${REGISTRY_CA:-}" ] && ca=(--cacert "$REGISTRY_CA")
	curl -sS "${ca[@]}" "${_IMAGE_AUTH[@]}" "$@"
}

# _image_push_blob LAYOUT REPO DIGEST
_image_push_blob() {
	local layout=$1 repo=$2 digest=$3
	local file=$layout/blobs/${digest%%:*}/${digest#*:}
	local code loc
	[ -f "$file" ] || { echo "image_push: blob $digest missing from $layout" >&2; return 1; }
	code=$(_image_curl -o /dev/null -w '%{http_code}' -I "$REGISTRY_URL/v2/$repo/blobs/$digest")
	[ "$code" = 200 ] && return 0
	loc=$(_image_curl -o /dev/null -D - -X POST "$REGISTRY_URL/v2/$repo/blobs/uploads/" |
		tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	if [ -z "$loc" ]; then
		echo "image_push: POST blobs/uploads/ for $repo gave no Location" >&2
		return 1
	fi
	case $loc in /*) loc=$REGISTRY_URL$loc ;; esac
	case $loc in *\?*) loc="$loc&digest=$digest" ;; *) loc="$loc?digest=$digest" ;; esac
	code=$(_image_curl -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/octet-stream' \
		-T "$file" "$loc")
	if [ "$code" != 201 ]; then
		echo "image_push: PUT blob $digest to $repo: HTTP $code" >&2
		return 1
	fi
}

# _image_push_manifest LAYOUT REPO DIGEST MEDIATYPE REFERENCE
_image_push_manifest() {
	local layout=$1 repo=$2 digest=$3 mt=$4 ref=$5
	local file=$layout/blobs/${digest%%:*}/${digest#*:} code c
	case $mt in
	*index* | *manifest.list*)
		for c in $(jq -r '.manifests[] | .digest + "|" + .mediaType' "$file"); do
			_image_push_manifest "$layout" "$repo" "${c%%|*}" "${c#*|}" "${c%%|*}" || return 1
		done
		;;
	*)
		for c in $(jq -r '.config.digest, .layers[].digest' "$file"); do
			_image_push_blob "$layout" "$repo" "$c" || return 1
		done
		;;
	esac
	code=$(_image_curl -o "$BATS_TMP_PUSH_OUT" -w '%{http_code}' -X PUT -H "Content-Type: $mt" \
		--data-binary "@$file" "$REGISTRY_URL/v2/$repo/manifests/$ref")
	if [ "$code" != 201 ]; then
		echo "image_push: PUT manifest $ref to $repo: HTTP $code: $(cat "$BATS_TMP_PUSH_OUT")" >&2
		return 1
	fi
}

image_push() {
	local layout=$1 repo=$2 tag=$3
	[ -n "${REGISTRY_URL:-}" ] || { echo "image_push: no registry started" >&2; return 1; }
	local top mt
	top=$(jq -r --arg t latest '
		(.manifests | map(select(.annotations["org.opencontainers.image.ref.name"] == $t)) | .[0])
		// .manifests[0] | .digest + "|" + .mediaType' "$layout/index.json") || return 1
	mt=${top#*|}
	top=${top%%|*}
	_IMAGE_AUTH=()
	local line
	while IFS= read -r line; do _IMAGE_AUTH+=("$line"); done < <(registry_auth_args "$repo" pull,push)
	BATS_TMP_PUSH_OUT=$(mktemp)
	_image_push_manifest "$layout" "$repo" "$top" "$mt" "$tag"
	local rc=$?
	rm -f "$BATS_TMP_PUSH_OUT"
	[ $rc = 0 ] || return 1
	IMAGE_DIGEST=$top
	export IMAGE_DIGEST
}

# mkimage.py's images are deterministic: the same options give the same bytes. An image whose
# options name no file (the whitelist below) is kept in tests/tmp/images/KEY, KEY hashing the
# options, mkimage.py and /bin/busybox's identity, and copied for the next build that asks
# for it, in this file or another (a build is ~0.2 CPU-s of python; a run makes ~60, most
# with the same few options). The copy is the caller's own: tests that change it change no
# other's.
IMAGE_CACHE=${IMAGE_CACHE:-${TOP:-$IMAGES_LIB_DIR/../..}/tests/tmp/images}

# _image_cache_key ARG...: the cache key of mkimage.py options ARG..., or status 1 when one
# of them is not known to name no file.
_image_cache_key() {
	local a
	for a in "$@"; do
		case $a in
		--layers | --compression | --gzip-level | --format | --features | --platforms | \
			--size-mb | --small-files | --entrypoint | --cmd | --user | --workdir | --env | \
			--label | --annotation | --stopsignal | --expose | --volume | --tag | --name | \
			--no-base) ;;
		--*) return 1 ;;
		esac
	done
	{
		printf '%s\0' "$@"
		sha256sum <"$MKIMAGE"
		stat -L -c '%s %Y %i' /bin/busybox
	} | sha256sum | cut -c1-24
}

image_build() {
	local out=$1 key tmp
	shift
	if key=$(_image_cache_key "$@") && [ -s "$IMAGE_CACHE/$key/digest" ]; then
		mkdir -p "$out" && cp -a "$IMAGE_CACHE/$key/layout/." "$out/" || return 1
		IMAGE_DIGEST=$(cat "$IMAGE_CACHE/$key/digest")
	else
		IMAGE_DIGEST=$(python3 "$MKIMAGE" "$out" "$@") || return 1
		if [ -n "$key" ] && mkdir -p "$IMAGE_CACHE" && tmp=$(mktemp -d "$IMAGE_CACHE/.new.XXXXXX"); then
			# another file may store the same key meanwhile: the first rename wins
			if cp -a "$out" "$tmp/layout" && echo "$IMAGE_DIGEST" >"$tmp/digest"; then
				mv -T "$tmp" "$IMAGE_CACHE/$key" 2>/dev/null || rm -rf "$tmp"
			else
				rm -rf "$tmp"
			fi
		fi
	fi
	IMAGE_LAYOUT=$out
	export IMAGE_DIGEST IMAGE_LAYOUT
}

image_push_busybox() {
	local repo=$1 tag=$2
	shift 2
	local base=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}
	local out
	out=$(mktemp -d "$base/image.XXXXXX") || return 1
	image_build "$out" "$@" || return 1
	image_push "$out" "$repo" "$tag"
}

# image_blob_path DIGEST: the file holding DIGEST in the current registry's storage.
image_blob_path() {
	local h=${1#*:}
	echo "$REGISTRY_STORAGE/docker/registry/v2/blobs/sha256/${h:0:2}/$h/data"
}
