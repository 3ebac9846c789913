#!/usr/bin/env bash
# Benchmark (not a test): `RUNTIME run ID` of /bin/true in the same busybox bundle, for
# oci-run, runc and crun in one hyperfine run, with the ratio of each to crun's mean wall
# time, and the peak RSS of the runtime (GNU time's maximum resident set size of the
# command, which for oci-run is the runtime itself: its children are waited for by it).
# oci-run always re-executes from its CVE-2019-5736 sealed copy (as runc does), so its figure
# includes that protection; OCI_RUN=an older build measures one without it.
#   RUNS=N (hyperfine --runs, default 100)  OCI_RUN=PATH (e.g. an older build)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-100}
OCI_RUN=${OCI_RUN:-${OCI_BUILD:-$TOP/build}/oci-run}
[ "$(id -u)" = 0 ] || { echo "run bench: skipped: needs root"; exit 0; }
for c in hyperfine runc crun jq busybox /usr/bin/time; do
	command -v "$c" >/dev/null || { echo "run bench: skipped: needs $c"; exit 0; }
done

W=$(mktemp -d /tmp/oci-bench-run.XXXXXX)
cleanup() {
	for r in "$OCI_RUN" runc crun; do
		"$r" --root "$W/state-$(basename "$r")" delete --force bench >/dev/null 2>&1 || true
	done
	rm -rf "$W"
}
trap cleanup EXIT

# crun (1.8) wants every v1 controller it knows to be mounted; this hybrid host lacks hugetlb.
if [ -d /sys/fs/cgroup/memory ] && ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null &&
	grep -qw hugetlb /proc/cgroups; then
	mkdir -p /sys/fs/cgroup/hugetlb
	mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi

mkdir -p "$W/bundle/rootfs/bin" "$W/bundle/rootfs/proc" "$W/bundle/rootfs/sys" "$W/bundle/rootfs/dev"
cp "$(command -v busybox)" "$W/bundle/rootfs/bin/busybox"
ln -s busybox "$W/bundle/rootfs/bin/true"
(cd "$W/bundle" && runc spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$W/bundle/config.json" >"$W/c.json"
mv "$W/c.json" "$W/bundle/config.json"

cd "$W/bundle"
OCI=$OCI_RUN
# sanity: each runtime runs the bundle
for r in "$OCI" runc crun; do
	"$r" --root "$W/state-$(basename "$r")" run bench </dev/null >/dev/null || {
		echo "run bench: $r cannot run the bundle" >&2
		exit 1
	}
done

hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$W/h.json" \
	-n oci-run "$OCI --root $W/state-oci-run run bench" \
	-n runc "runc --root $W/state-runc run bench" \
	-n crun "crun --root $W/state-crun run bench" >"$W/h.out" 2>&1 || { cat "$W/h.out"; exit 1; }

peak() { # peak RSS in KiB of the runtime process over 10 runs
	local max=0 kb i
	for i in $(seq 10); do
		kb=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null </dev/null | tail -1)
		[ "$kb" -gt "$max" ] && max=$kb
	done
	echo "$max"
}
echo "run bench: $RUNS runs each, /bin/true in a busybox bundle"
crun_mean=$(jq '.results[] | select(.command == "crun") | .mean' "$W/h.json")
crun_peak=$(peak crun --root "$W/state-crun" run bench)
printf '  %-26s %10s %10s %12s %14s\n' runtime "mean ms" "stddev" "vs crun" "peak RSS KiB"
for name in oci-run runc crun; do
	mean=$(jq ".results[] | select(.command == \"$name\") | .mean" "$W/h.json")
	sd=$(jq ".results[] | select(.command == \"$name\") | .stddev" "$W/h.json")
	case $name in
	oci-run) p=$(peak "$OCI" --root "$W/state-oci-run" run bench) ;;
	runc) p=$(peak runc --root "$W/state-runc" run bench) ;;
	crun) p=$crun_peak ;;
	esac
	printf '  %-26s %10.2f %10.2f %11.2fx %14s\n' "$name" "$(echo "$mean * 1000" | bc -l)" \
		"$(echo "$sd * 1000" | bc -l)" "$(echo "$mean / $crun_mean" | bc -l)" "$p"
done
ours=$(jq '.results[] | select(.command == "oci-run") | .mean' "$W/h.json")
if [ "$(echo "$ours < 0.8 * $crun_mean" | bc -l)" = 1 ]; then
	echo "run bench: target met: oci-run < 0.8x crun"
else
	echo "run bench: target missed: oci-run >= 0.8x crun"
fi
