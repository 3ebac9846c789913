#!/usr/bin/env bash
# Benchmark (not a test): a CI job's second bundle of the same image. The 100+ MB Debian image
# (tests/lib/debian-image.sh) is served by a local registry; each round starts from an empty
# cache and times, one after the other (an alternating pair):
#   first:  oci-fetch --cache C IMAGE | oci-unpack --cache=C --bundle B1   (download, unpack,
#           and the flattened tree kept in C/rootfs)
#   second: the same command into B2   (blobs from the cache, the tree cloned from C/rootfs)
# (wall, and the CPU time of both tools) on a fresh XFS with reflink=1 (bench_fs in lib.bash:
# a loop file, mkfs.xfs from xfsprogs), where the clone is FICLONE: the wall ratio
# second/first must be <= 0.10. Without root or mkfs.xfs the outputs go to a plain directory
# (a copy instead of reflinks) and the target is left out.
#   CACHE_BENCH_RUNS=N (default 5)  OCI_FETCH=PATH  OCI_UNPACK=PATH
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC1091
. "$TOP/tests/bench/lib.bash"
RUNS=${CACHE_BENCH_RUNS:-5}
OCI_FETCH=${OCI_FETCH:-${OCI_BUILD:-$TOP/build}/oci-fetch}
OCI_UNPACK=${OCI_UNPACK:-${OCI_BUILD:-$TOP/build}/oci-unpack}
for c in docker-registry jq curl python3 bc; do
	command -v "$c" >/dev/null || { echo "cache bench: skipped: needs $c"; exit 0; }
done
BATS_TEST_TMPDIR=$(mktemp -d /var/tmp/oci-bench-cache.XXXXXX)
W=$BATS_TEST_TMPDIR
export BATS_TEST_TMPDIR
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
rc=0
bench_registry_image debian || rc=$?
[ $rc = 77 ] && { echo "cache bench: skipped: no Debian image (see the line above)"; exit 0; }
[ $rc = 0 ] || exit 1
REF=$BENCH_REF

O=$(bench_fs "$W" 8G xfs)
fstype=$(df --output=fstype "$O" | tail -1)
target=
[ "$fstype" = xfs ] && target=0.10

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# timed BUNDLE: one pipeline; prints "wall cpu" (CPU = user + system of both tools)
timed() {
	local TIMEFORMAT='%R %U %S'
	{ time {
		"$OCI_FETCH" -q --cache "$O/cache" "$REF" |
			"$OCI_UNPACK" -q --cache="$O/cache" --bundle "$1"
	}; } 2>"$W/time" || { cat "$W/time" >&2; exit 1; }
	awk '{printf "%s %.3f\n", $1, $2 + $3}' "$W/time"
}
echo "cache bench: $RUNS rounds on $fstype $O; load average before: $(loadavg)"
first=() second=() first_cpu=() second_cpu=()
for i in $(seq "$RUNS"); do
	rm -rf "$O/cache" "$O/b1" "$O/b2"
	sync
	timed "$O/b1" >"$W/t"
	read -r w c <"$W/t"
	first+=("$w") first_cpu+=("$c")
	sync
	timed "$O/b2" >"$W/t"
	read -r w c <"$W/t"
	second+=("$w") second_cpu+=("$c")
	printf 'cache bench: round %d/%d: first %.2fs (CPU %.2fs), second %.2fs (CPU %.2fs); load average %s\n' \
		"$i" "$RUNS" "${first[-1]}" "${first_cpu[-1]}" "${second[-1]}" "${second_cpu[-1]}" "$(loadavg)"
done
if ! "$TOP/tests/lib/treecmp.sh" --mtime "$O/b1/rootfs" "$O/b2/rootfs" >"$W/diff"; then
	echo "cache bench: the cloned rootfs differs from the unpacked one:" >&2
	head "$W/diff" >&2
	exit 1
fi
rm -rf "$O/cache" "$O/b1" "$O/b2"
bench_result "cache-second-bundle-$fstype" "first-bundle" "$target" "${second[*]}" "${first[*]}"
# the same in CPU time (both tools): what a machine other jobs keep busy still shows
bench_result "cache-second-bundle-cpu" "first-bundle" "" "${second_cpu[*]}" "${first_cpu[*]}"
