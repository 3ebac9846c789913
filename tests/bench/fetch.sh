#!/usr/bin/env bash
# Benchmark: oci-fetch vs `skopeo copy` pulling the same multi-layer image (>= 100 MB) from
# the local test registry into an OCI layout, cold cache, same run. Prints wall times (hyperfine),
# peak RSS (/usr/bin/time), and the ratio oci-fetch/skopeo (target: <= 0.5).
#
#   FETCH_BENCH_MB=N      size of the big random layer (default 96; a second 48 MB one is added)
#   FETCH_BENCH_RUNS=N    hyperfine runs (default 5)
#   FETCH_BENCH_BIG_MB=N  also pull an image with one N MiB layer and report oci-fetch's peak RSS
#                         (e.g. 1024 for the "under 32 MiB for a 1 GiB layer" target)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OCI_FETCH=${OCI_FETCH:-$TOP/oci-fetch}
MB=${FETCH_BENCH_MB:-96}
RUNS=${FETCH_BENCH_RUNS:-5}
for c in docker-registry skopeo hyperfine jq curl python3; do
	command -v "$c" >/dev/null || { echo "fetch bench: needs $c" >&2; exit 1; }
done
[ -x "$OCI_FETCH" ] || { echo "fetch bench: build oci-fetch first (make)" >&2; exit 1; }

W=$(mktemp -d /var/tmp/oci-fetch-bench.XXXXXX)
export BATS_FILE_TMPDIR=$W
# shellcheck disable=SC1091
. "$TOP/tests/lib/registry.bash"
# shellcheck disable=SC1091
. "$TOP/tests/lib/images.bash"
cleanup() {
	registry_stop
	rm -rf "$W"
}
trap cleanup EXIT

echo "fetch bench: building the image (${MB} MiB + 48 MiB random layers, busybox base, 2 small layers)..."
mkdir -p "$W/extra"
head -c $((48 << 20)) /dev/urandom >"$W/extra/blob.bin"
tar -C "$W/extra" -cf "$W/extra.tar" blob.bin
rm -f "$W/extra/blob.bin"
registry_start plain >/dev/null
image_push_busybox bench/big v1 --layers 3 --size-mb "$MB" --layer-tar "$W/extra.tar" --gzip-level 1 >/dev/null
rm -f "$W/extra.tar"
IMG=$REGISTRY/bench/big:v1
size=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/bench/big/manifests/v1" |
	jq '[.layers[].size] | add')
nl=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/bench/big/manifests/v1" |
	jq '.layers | length')
echo "fetch bench: image $IMG: $nl layers, $((size / 1048576)) MiB compressed"

# warm the registry's page cache once so neither tool pays for the first read
curl -s -o /dev/null "$REGISTRY_URL/v2/bench/big/manifests/v1"
"$OCI_FETCH" -q --no-cache "$IMG" >/dev/null

hyperfine --style basic --runs "$RUNS" --export-json "$W/h.json" \
	--prepare "rm -rf $W/of $W/sk $W/cache" \
	-n oci-fetch "$OCI_FETCH -q --cache $W/cache -o $W/of $IMG" \
	-n oci-fetch-nocache "$OCI_FETCH -q --no-cache -o $W/of $IMG" \
	-n skopeo "skopeo copy -q --src-tls-verify=false docker://$IMG oci:$W/sk:v1"

rss() { # rss CMD...: peak RSS in KiB
	/usr/bin/time -f %M -o "$W/rss" "$@" >/dev/null 2>&1
	cat "$W/rss"
}
rm -rf "$W/of" "$W/sk" "$W/cache"
r_of=$(rss "$OCI_FETCH" -q --cache "$W/cache" -o "$W/of" "$IMG")
r_st=$(bash -c "rm -rf $W/cache; /usr/bin/time -f %M -o $W/rss2 $OCI_FETCH -q --cache $W/cache $IMG >/dev/null 2>&1; cat $W/rss2")
r_sk=$(rss skopeo copy -q --src-tls-verify=false "docker://$IMG" "oci:$W/sk:v1")

# same result, blob for blob
if diff <(cd "$W/of/blobs/sha256" && ls) <(cd "$W/sk/blobs/sha256" && ls) >/dev/null; then
	echo "fetch bench: oci-fetch and skopeo wrote the same blob set"
else
	echo "fetch bench: WARNING: the blob sets differ"
fi

t_of=$(jq '.results[] | select(.command=="oci-fetch") | .mean' "$W/h.json")
t_nc=$(jq '.results[] | select(.command=="oci-fetch-nocache") | .mean' "$W/h.json")
t_sk=$(jq '.results[] | select(.command=="skopeo") | .mean' "$W/h.json")
printf 'fetch bench: wall  oci-fetch %.3fs (--no-cache %.3fs), skopeo %.3fs\n' "$t_of" "$t_nc" "$t_sk"
printf 'fetch bench: peak RSS  oci-fetch %d KiB (stream to stdout %d KiB), skopeo %d KiB\n' "$r_of" "$r_st" "$r_sk"
ratio=$(python3 -c "print('%.2f' % ($t_of / $t_sk))")
echo "fetch bench: ratio oci-fetch/skopeo = $ratio (target <= 0.5)"

if [ -n "${FETCH_BENCH_BIG_MB:-}" ]; then
	echo "fetch bench: building an image with one ${FETCH_BENCH_BIG_MB} MiB layer..."
	image_push_busybox bench/huge v1 --no-base --size-mb "$FETCH_BENCH_BIG_MB" --compression none >/dev/null
	rm -rf "$W/cache"
	r_big=$(bash -c "/usr/bin/time -f %M -o $W/rss3 $OCI_FETCH -q --cache $W/cache $REGISTRY/bench/huge:v1 >/dev/null 2>&1; cat $W/rss3")
	echo "fetch bench: peak RSS for a ${FETCH_BENCH_BIG_MB} MiB layer streamed: $r_big KiB (target < 32768)"
fi
