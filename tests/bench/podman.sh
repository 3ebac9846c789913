#!/usr/bin/env bash
# Benchmark (not a test): `podman run --rm --network none busybox true` through conmon with
# oci-run, runc and crun as the runtime, in alternation (oci-run runc crun, oci-run runc
# crun, ...) so that the machine's swings hit all three alike; prints each runtime's median
# wall time and its ratio to crun's. The busybox image is tests/lib/mkimage.py's, loaded into
# a private podman store (root, cgroupfs, overlay): nothing of the host's podman is touched.
#   ROUNDS=N (default 30)  OCI_RUN=PATH (e.g. an older build)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC1091
. "$TOP/tests/bench/lib.bash"
ROUNDS=${ROUNDS:-30}
OCI_RUN=${OCI_RUN:-${OCI_BUILD:-$TOP/build}/oci-run}
[ "$(id -u)" = 0 ] || { echo "podman bench: skipped: needs root"; exit 0; }
for c in podman conmon runc crun python3; do
	command -v "$c" >/dev/null || { echo "podman bench: skipped: needs $c"; exit 0; }
done

W=$(mktemp -d /tmp/oci-bench-podman.XXXXXX)
pm() {
	podman --root "$W/root" --runroot "$W/run" --tmpdir "$W/tmp" --cgroup-manager cgroupfs \
		--events-backend file --storage-driver overlay "$@"
}
cleanup() {
	pm rm -af -t 0 >/dev/null 2>&1 || true
	pm system reset -f >/dev/null 2>&1 || true
	for m in $(awk -v d="$W" 'index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$W"
}
trap cleanup EXIT

bench_crun_cgroups

mkdir -p "$W/tmp"
# podman asks for hard limits only CAP_SYS_RESOURCE may raise; ask for what any runtime can set
printf '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=16384:16384"]\n' >"$W/containers.conf"
export CONTAINERS_CONF=$W/containers.conf
python3 "$TOP/tests/lib/mkimage.py" "$W/image" --oci-archive "$W/busybox.tar" >/dev/null
pm load -i "$W/busybox.tar" >/dev/null 2>&1
pm tag localhost/latest:latest localhost/busybox:bench

names=(oci-run runc crun)
paths=("$OCI_RUN" "$(command -v runc)" "$(command -v crun)")
one() { # one run through runtime $1; prints its wall time in microseconds
	local t0 t1
	t0=${EPOCHREALTIME/./}
	pm --runtime "$1" run --rm --network none localhost/busybox:bench true >/dev/null
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0))
}
for k in 0 1 2; do # warm up, and check that each runtime runs the image
	for i in 1 2 3; do one "${paths[$k]}" >/dev/null || {
		echo "podman bench: ${names[$k]} cannot run the image" >&2
		exit 1
	}; done
done
for r in $(seq "$ROUNDS"); do
	for k in 0 1 2; do one "${paths[$k]}" >>"$W/t.${names[$k]}"; done
done
# median FILE: the median of the timings in FILE, one a line
median() {
	local m _
	# shellcheck disable=SC2046
	read -r m _ < <(bench_stats $(cat "$1"))
	echo "$m"
}
crun_med=$(median "$W/t.crun")
# for `make bench`'s table: the per-round ratios (each round runs the three one after another)
bench_result podman-vs-crun crun 0.80 "$(tr '\n' ' ' <"$W/t.oci-run")" "$(tr '\n' ' ' <"$W/t.crun")"
bench_result podman-vs-runc runc "" "$(tr '\n' ' ' <"$W/t.oci-run")" "$(tr '\n' ' ' <"$W/t.runc")"
echo "podman bench: podman run --rm --network none busybox true, $ROUNDS rounds, runtimes alternating"
printf '  %-10s %12s %10s\n' runtime "median ms" "vs crun"
for n in "${names[@]}"; do
	m=$(median "$W/t.$n")
	printf '  %-10s %12.1f %9.2fx\n' "$n" "$(echo "$m / 1000" | bc -l)" "$(echo "$m / $crun_med" | bc -l)"
done
