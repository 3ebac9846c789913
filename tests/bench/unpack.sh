#!/usr/bin/env bash
# Benchmark (not a test): time to a root filesystem for the same multi-layer image (~200 MB
# uncompressed: busybox base, 3 small layers, 120 MB of host /usr/share and python files,
# 40 MB incompressible data) served by a local registry:
#   oci-fetch | oci-unpack              (ours: download, verify, inflate, extract in one pass)
#   skopeo copy + umoci unpack          (the peers)
#   tar -xzf of the layer blobs on disk (the floor: no download, no verification)
# plus oci-unpack from a layout with igzip vs zlib. Prints medians of RUNS runs and ratios.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-3}
BATS_TEST_TMPDIR=$(mktemp -d /var/tmp/oci-bench-unpack.XXXXXX)
W=$BATS_TEST_TMPDIR
export BATS_TEST_TMPDIR
# shellcheck disable=SC1091
. "$TOP/tests/lib/registry.bash"
# shellcheck disable=SC1091
. "$TOP/tests/lib/images.bash"
cleanup() { registry_stop >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT

echo "building the image..."
tar -C / -cf "$W/usr.tar" usr/share/perl usr/share/doc usr/lib/python3 usr/share/locale 2>/dev/null || true
truncate -s "<130M" "$W/usr.tar" 2>/dev/null || true
python3 - "$W/usr.tar" <<'PY'
# keep a valid tar of at most ~120 MB
import sys, tarfile
src = sys.argv[1]
out = src + ".cut"
total = 0
with tarfile.open(src, errorlevel=0) as t, tarfile.open(out, "w") as o:
    try:
        for m in t:
            if total > 120 << 20:
                break
            f = t.extractfile(m) if m.isfile() else None
            o.addfile(m, f)
            total += m.size
    except (tarfile.ReadError, OSError):
        pass
PY
mv "$W/usr.tar.cut" "$W/usr.tar"
python3 "$TOP/tests/lib/mkimage.py" "$W/img" --layers 4 --size-mb 40 --layer-tar "$W/usr.tar" >/dev/null
rm -f "$W/usr.tar"
layers=$(jq -r ".layers[].digest" "$W/img/blobs/sha256/$(jq -r '.manifests[0].digest' "$W/img/index.json" | cut -d: -f2)" | tr "\n" " ")
csize=0
for l in $layers; do csize=$((csize + $(stat -c %s "$W/img/blobs/sha256/${l#sha256:}"))); done
registry_start plain >/dev/null
image_push "$W/img" bench/img v1 >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
timeit() { # NAME PREP-CMD CMD: runs PREP (untimed) then CMD, RUNS times; prints the median
	local name=$1 prep=$2 cmd=$3 i t0 t1
	for i in $(seq "$RUNS"); do
		eval "$prep"
		sync
		t0=$(now)
		eval "$cmd" >/dev/null 2>&1 || { echo "$name: failed" >&2; exit 1; }
		t1=$(now)
		echo "$t1 - $t0" | bc
	done | median
}

clean() { rm -rf "$W/out" "$W/sk" "$W/bundle"; }
ours=$(timeit "oci-fetch|oci-unpack" clean \
	"'$TOP/oci-fetch' -q --no-cache '$REGISTRY/bench/img:v1' | '$TOP/oci-unpack' '$W/out'")
ours_zlib=$(timeit "oci-fetch|oci-unpack --zlib" clean \
	"'$TOP/oci-fetch' -q --no-cache '$REGISTRY/bench/img:v1' | '$TOP/oci-unpack' --zlib '$W/out'")
layout_isal=$(timeit "oci-unpack --layout (igzip)" clean "'$TOP/oci-unpack' --layout '$W/img' '$W/out'")
layout_zlib=$(timeit "oci-unpack --layout --zlib" clean "'$TOP/oci-unpack' --zlib --layout '$W/img' '$W/out'")
peers=$(timeit "skopeo copy + umoci unpack" clean \
	"skopeo copy -q --src-tls-verify=false docker://$REGISTRY/bench/img:v1 oci:$W/sk:latest && umoci unpack --image $W/sk:latest $W/bundle")
floor=$(timeit "tar -xzf (layers on disk)" "clean; mkdir $W/out" \
	"for l in $layers; do tar -xzf $W/img/blobs/sha256/\${l#sha256:} -C $W/out || exit 1; done")
clean

printf 'image: %s layers, %d MB compressed\n' "$(echo $layers | wc -w)" $((csize >> 20))
printf '%-34s %8.2f s\n' "oci-fetch | oci-unpack" "$ours" "oci-fetch | oci-unpack --zlib" "$ours_zlib" \
	"oci-unpack --layout (igzip)" "$layout_isal" "oci-unpack --layout --zlib" "$layout_zlib" \
	"skopeo copy + umoci unpack" "$peers" "tar -xzf (floor)" "$floor"
printf 'ratio ours / (skopeo+umoci): %.2f (target <= 0.40)\n' "$(echo "$ours / $peers" | bc -l)"
printf 'ratio ours / tar -xzf floor: %.2f (target <= 1.00)\n' "$(echo "$ours / $floor" | bc -l)"
printf 'ratio igzip / zlib (layout):  %.2f\n' "$(echo "$layout_isal / $layout_zlib" | bc -l)"
