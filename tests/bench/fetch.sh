#!/usr/bin/env bash
# Benchmark: oci-fetch vs `skopeo copy` pulling the same multi-layer image (>= 100 MB: the
# Debian minbase image of tests/lib/debian-image.sh, with a random-data layer on top when its
# compressed size is under FETCH_BENCH_MB) from the local test registry into an OCI layout,
# cold cache, same run, outputs on a fresh journaled loop-mounted ext4 (bench_fs). The tools
# alternate (oci-fetch, oci-fetch --no-cache, skopeo, ...) for several rounds; prints median
# wall times with min/max, the load average so noise is visible, peak RSS (/usr/bin/time),
# and the BENCH lines (tests/bench/lib.bash) of the per-round ratios oci-fetch/skopeo
# (target: <= 0.5).
#
#   FETCH_BENCH_MB=N      least compressed image size in MiB (default 100)
#   FETCH_BENCH_RUNS=N    rounds (default 7)
#   FETCH_BENCH_BIG_MB=N  also pull an image with one N MiB layer and report oci-fetch's peak RSS
#                         (e.g. 1024 for the "under 32 MiB for a 1 GiB layer" target)
#   FETCH_BENCH_PIPE_RUNS=N  rounds of the pipeline share below (default 5; 0 leaves it out)
# Then oci-fetch's share of `oci-fetch | oci-unpack`: the same oci-unpack fed by
# `oci-fetch --no-cache` (and the registry behind it) and by `cat` of the very stream oci-fetch
# wrote, saved once and read from the page cache, alternating. The ratio is what the download,
# its verification and the registry add to the pipeline on this machine (1.00: nothing); the
# rest of the pipeline's distance to `tar -x` (tests/bench/unpack.sh) is oci-unpack's.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC1091
. "$TOP/tests/bench/lib.bash"
OCI_FETCH=${OCI_FETCH:-${OCI_BUILD:-$TOP/build}/oci-fetch}
OCI_UNPACK=${OCI_UNPACK:-${OCI_BUILD:-$TOP/build}/oci-unpack}
MB=${FETCH_BENCH_MB:-100}
RUNS=${FETCH_BENCH_RUNS:-7}
PIPE_RUNS=${FETCH_BENCH_PIPE_RUNS:-5}
for c in docker-registry skopeo jq curl python3; do
	command -v "$c" >/dev/null || { echo "fetch bench: skipped: needs $c"; exit 0; }
done
[ -x "$OCI_FETCH" ] || { echo "fetch bench: build oci-fetch first (make)" >&2; exit 1; }
W=$(mktemp -d /var/tmp/oci-fetch-bench.XXXXXX)
export BATS_FILE_TMPDIR=$W
# shellcheck disable=SC1091
. "$TOP/tests/lib/registry.bash"
# shellcheck disable=SC1091
. "$TOP/tests/lib/images.bash"
cleanup() {
	registry_stop >/dev/null 2>&1 || true
	bench_fs_release "$W"
	rm -rf "$W"
}
trap cleanup EXIT
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

rc=0
bench_registry_image big "$MB" || rc=$?
[ $rc = 77 ] && { echo "fetch bench: skipped: no Debian image (see the line above)"; exit 0; }
[ $rc = 0 ] || exit 1
IMG=$BENCH_REF
size=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/bench/big/manifests/v1" |
	jq '[.layers[].size] | add')
nl=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REGISTRY_URL/v2/bench/big/manifests/v1" |
	jq '.layers | length')
echo "fetch bench: image $IMG (Debian minbase + 2 layers + random data): $nl layers, $((size / 1048576)) MiB compressed"

echo "fetch bench: load average before: $(loadavg) ($(nproc) CPUs)"
O=$(bench_fs "$W" 8G)
# timed WHAT CMD...: CMD's wall time in seconds; a failure names WHAT and returns 1
timed() {
	local what=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	"$@" >/dev/null 2>"$W/err" || {
		echo "fetch bench: $what failed: $(tail -1 "$W/err")" >&2
		return 1
	}
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}'
}
declare -A T
names=(oci-fetch oci-fetch-nocache skopeo)
for _ in $(seq "$RUNS"); do
	for n in "${names[@]}"; do
		rm -rf "$O/of" "$O/sk" "$O/cache"
		sync
		case $n in
		oci-fetch) cmd=("$OCI_FETCH" -q --cache "$O/cache" -o "$O/of" "$IMG") ;;
		oci-fetch-nocache) cmd=("$OCI_FETCH" -q --no-cache -o "$O/of" "$IMG") ;;
		skopeo) cmd=(skopeo copy -q --src-tls-verify=false "docker://$IMG" "oci:$O/sk:v1") ;;
		esac
		t=$(timed "$n" "${cmd[@]}") || exit 1
		T[$n]="${T[$n]:-} $t"
	done
done

rss() { # rss CMD...: peak RSS in KiB
	/usr/bin/time -f %M -o "$W/rss" "$@" >/dev/null 2>&1
	cat "$W/rss"
}
rm -rf "$O/of" "$O/sk" "$O/cache"
r_of=$(rss "$OCI_FETCH" -q --cache "$W/cache" -o "$W/of" "$IMG")
r_st=$(bash -c "rm -rf $W/cache; /usr/bin/time -f %M -o $W/rss2 $OCI_FETCH -q --cache $W/cache $IMG >/dev/null 2>&1; cat $W/rss2")
r_sk=$(rss skopeo copy -q --src-tls-verify=false "docker://$IMG" "oci:$W/sk:v1")

# same result, blob for blob
if diff <(cd "$W/of/blobs/sha256" && ls) <(cd "$W/sk/blobs/sha256" && ls) >/dev/null; then
	echo "fetch bench: oci-fetch and skopeo wrote the same blob set"
else
	echo "fetch bench: WARNING: the blob sets differ"
fi

echo "fetch bench: load average after: $(loadavg)"
# shellcheck disable=SC2086
med() { bench_stats ${T[$1]}; }
read -r t_of of_min of_max < <(med oci-fetch)
read -r t_nc nc_min nc_max < <(med oci-fetch-nocache)
read -r t_sk sk_min sk_max < <(med skopeo)
printf 'fetch bench: median wall  oci-fetch %.3fs (min %.3f max %.3f), --no-cache %.3fs (min %.3f max %.3f), skopeo %.3fs (min %.3f max %.3f)\n' \
	"$t_of" "$of_min" "$of_max" "$t_nc" "$nc_min" "$nc_max" "$t_sk" "$sk_min" "$sk_max"
printf 'fetch bench: peak RSS  oci-fetch %d KiB (stream to stdout %d KiB), skopeo %d KiB\n' "$r_of" "$r_st" "$r_sk"
bench_result fetch-vs-skopeo skopeo 0.50 "${T[oci-fetch]}" "${T[skopeo]}"
bench_result fetch-nocache-vs-skopeo skopeo "" "${T[oci-fetch-nocache]}" "${T[skopeo]}"

if [ "$PIPE_RUNS" -gt 0 ] && [ -x "$OCI_UNPACK" ]; then
	rm -rf "$O/of" "$O/sk" "$O/cache"
	"$OCI_FETCH" -q --no-cache "$IMG" >"$W/stream.tar"
	declare -A P
	k=0
	for _ in $(seq "$PIPE_RUNS"); do
		for n in fetch cat; do
			k=$((k + 1))
			case $n in
			fetch) src="'$OCI_FETCH' -q --no-cache '$IMG'" ;;
			cat) src="cat '$W/stream.tar'" ;;
			esac
			sync
			t=$(timed "$n | oci-unpack" bash -c "set -o pipefail; $src | '$OCI_UNPACK' '$O/u$k'") || exit 1
			P[$n]="${P[$n]:-} $t"
			# deleted at once: rounds slow down as outputs pile up (see unpack.sh)
			rm -rf "$O/u$k"
		done
	done
	# shellcheck disable=SC2086
	read -r p_f p_fmin p_fmax < <(bench_stats ${P[fetch]})
	# shellcheck disable=SC2086
	read -r p_c p_cmin p_cmax < <(bench_stats ${P[cat]})
	printf 'fetch bench: median wall  oci-fetch --no-cache | oci-unpack %.3fs (min %.3f max %.3f), cat of its stream | oci-unpack %.3fs (min %.3f max %.3f); load average %s\n' \
		"$p_f" "$p_fmin" "$p_fmax" "$p_c" "$p_cmin" "$p_cmax" "$(loadavg)"
	bench_result fetch-share-of-unpack-pipeline cat-of-the-stream "" "${P[fetch]}" "${P[cat]}"
fi

if [ -n "${FETCH_BENCH_BIG_MB:-}" ]; then
	echo "fetch bench: building an image with one ${FETCH_BENCH_BIG_MB} MiB layer..."
	image_push_busybox bench/huge v1 --no-base --size-mb "$FETCH_BENCH_BIG_MB" --compression none >/dev/null
	rm -rf "$W/cache"
	r_big=$(bash -c "/usr/bin/time -f %M -o $W/rss3 $OCI_FETCH -q --cache $W/cache $REGISTRY/bench/huge:v1 >/dev/null 2>&1; cat $W/rss3")
	echo "fetch bench: peak RSS for a ${FETCH_BENCH_BIG_MB} MiB layer streamed: $r_big KiB (target < 32768)"
fi
