#!/usr/bin/env bash
# Benchmark (not a test): `RUNTIME run ID` of /bin/true in the same busybox bundle, for
# oci-run, runc and crun in one hyperfine run, with the ratio of each to crun's mean wall
# time, and the peak RSS of the runtime (GNU time's maximum resident set size of the
# command, which for oci-run is the runtime itself: its children are waited for by it).
# oci-run always re-executes from its CVE-2019-5736 sealed copy (as runc does), so its figure
# includes that protection; OCI_RUN=an older build measures one without it.
#   RUNS=N (hyperfine --runs, default 100)  OCI_RUN=PATH (e.g. an older build)
# Two builds compared (before/after figures): OCI_RUN_B=PATH runs the bundle with $OCI_RUN (A)
# and PATH (B) alternately, A B A B ..., AB_ROUNDS rounds (default 6) of RUNS runs each, and
# prints the median over the rounds of each one's mean, with min and max, and B/A. On a
# shared machine one block per build would measure the load of its moment; alternating
# blocks spread the load over both.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC1091
. "$TOP/tests/bench/lib.bash"
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
	[ -z "${OCI_RUN_B:-}" ] || "$OCI_RUN_B" --root "$W/state-B" delete --force bench >/dev/null 2>&1 || true
	"$OCI_RUN" --root "$W/state-A" delete --force bench >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT

bench_crun_cgroups

mkdir -p "$W/bundle/rootfs/bin" "$W/bundle/rootfs/proc" "$W/bundle/rootfs/sys" "$W/bundle/rootfs/dev"
cp "$(command -v busybox)" "$W/bundle/rootfs/bin/busybox"
ln -s busybox "$W/bundle/rootfs/bin/true"
(cd "$W/bundle" && runc spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$W/bundle/config.json" >"$W/c.json"
mv "$W/c.json" "$W/bundle/config.json"

cd "$W/bundle"
OCI=$OCI_RUN

if [ -n "${OCI_RUN_B:-}" ]; then
	ROUNDS=${AB_ROUNDS:-6}
	declare -A BIN=([A]=$OCI_RUN [B]=$OCI_RUN_B) MEANS=() MED=()
	for v in A B; do
		"${BIN[$v]}" --root "$W/state-$v" run bench </dev/null >/dev/null || {
			echo "run bench: $v (${BIN[$v]}) cannot run the bundle" >&2
			exit 1
		}
	done
	echo "run bench A/B: A=$OCI_RUN B=$OCI_RUN_B; $ROUNDS rounds of $RUNS runs each"
	for i in $(seq "$ROUNDS"); do
		line=
		for v in A B; do
			hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/$v.json" \
				"${BIN[$v]} --root $W/state-$v run bench" >"$W/h.out" 2>&1 || {
				cat "$W/h.out"
				exit 1
			}
			m=$(jq '.results[0].mean * 1000' "$W/$v.json")
			MEANS[$v]="${MEANS[$v]:-} $m"
			line="$line $(printf '%s %.2f ms' "$v" "$m")"
		done
		echo "run bench A/B: round $i/$ROUNDS:$line; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	done
	printf '  %-4s %10s %10s %10s\n' "" "median ms" "min" "max"
	for v in A B; do
		# shellcheck disable=SC2086
		read -r med lo hi < <(bench_stats ${MEANS[$v]})
		MED[$v]=$med
		printf '  %-4s %10.2f %10.2f %10.2f\n' "$v" "$med" "$lo" "$hi"
	done
	printf 'run bench A/B: B/A %.2f (medians of the rounds)\n' "$(echo "${MED[B]} / ${MED[A]}" | bc -l)"
	exit 0
fi
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
