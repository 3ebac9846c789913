#!/usr/bin/env bash
# Benchmark (not a test): `RUNTIME run ID` of /bin/true in a busybox bundle whose config.json
# is the default of `oci-bundle spec` (runc's), for oci-run, crun and runc in alternation
# (oci-run crun runc, oci-run crun runc, ...: a shared machine's swings hit all alike), with
# each one's median wall and CPU time (user + system, children included) and the ratio of
# oci-run to crun, and the peak RSS of the runtime (GNU time's maximum resident set size of
# the command, which for oci-run is the runtime itself: its children are waited for by it).
# oci-run always runs from its CVE-2019-5736 sealed copy (switched to in place, or re-executed
# where it cannot switch, as runc always does), so its figure includes that protection.
#   ROUNDS=N (default 40) rounds of RUNS=N (default 5) hyperfine runs of each runtime: short
#   rounds, so that the load of a shared machine, which swings within seconds, hits the
#   runtimes of a round alike (30-run rounds gave round ratios from 0.54 to 1.05 at load 20)
#   OCI_RUN=PATH (e.g. an older build)
# Two builds compared (before/after figures): OCI_RUN_B=PATH alternates $OCI_RUN (A) and
# PATH (B) the same way, and prints B/A.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC1091
. "$TOP/tests/bench/lib.bash"
RUNS=${RUNS:-5}
ROUNDS=${ROUNDS:-${AB_ROUNDS:-40}}
BUILD=${OCI_BUILD:-$TOP/build}
OCI_RUN=${OCI_RUN:-$BUILD/oci-run}
[ "$(id -u)" = 0 ] || { echo "run bench: skipped: needs root"; exit 0; }
for c in hyperfine runc crun jq busybox bc /usr/bin/time "$BUILD/oci-bundle"; do
	command -v "$c" >/dev/null || { echo "run bench: skipped: needs $c"; exit 0; }
done

bench_runtimes crun runc
W=$(mktemp -d /tmp/oci-bench-run.XXXXXX)
# the runtimes name the cgroup after the id, whatever --root says: one bench per id
ID=bench-$$
cleanup() {
	local k
	for k in "${!names[@]}"; do
		"${paths[$k]}" --root "$W/state-${names[$k]}" delete --force "$ID" >/dev/null 2>&1 || true
	done
	rm -rf "$W"
}
trap cleanup EXIT

bench_crun_cgroups

mkdir -p "$W/bundle/rootfs/bin" "$W/bundle/rootfs/proc" "$W/bundle/rootfs/sys" "$W/bundle/rootfs/dev"
cp "$(command -v busybox)" "$W/bundle/rootfs/bin/busybox"
ln -s busybox "$W/bundle/rootfs/bin/true"
"$BUILD/oci-bundle" spec --bundle "$W/bundle" --no-terminal -- /bin/true
# crun 1.8 refuses runtime-spec versions newer than it knows; the config is the same for all
jq '.ociVersion = "1.0.2-dev"' "$W/bundle/config.json" >"$W/c.json"
mv "$W/c.json" "$W/bundle/config.json"
cd "$W/bundle"

for k in "${!names[@]}"; do # each runtime runs the bundle
	"${paths[$k]}" --root "$W/state-${names[$k]}" run "$ID" </dev/null >/dev/null || {
		echo "run bench: ${names[$k]} (${paths[$k]}) cannot run the bundle" >&2
		exit 1
	}
done
echo "run bench: run of /bin/true, oci-bundle spec's config; $ROUNDS rounds of $RUNS runs of" \
	"each of ${names[*]} in alternation"
declare -A WALL=() CPU=() MW=() MC=()
for i in $(seq "$ROUNDS"); do
	line=
	for k in "${!names[@]}"; do
		n=${names[$k]}
		hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$W/h.json" \
			"${paths[$k]} --root $W/state-$n run $ID" >"$W/h.out" 2>&1 || {
			cat "$W/h.out"
			exit 1
		}
		read -r w c < <(jq -r '.results[0] | "\(.median * 1000) \((.user + .system) * 1000)"' "$W/h.json")
		WALL[$n]="${WALL[$n]:-} $w"
		CPU[$n]="${CPU[$n]:-} $c"
		line="$line $(printf '%s %.2f ms' "$n" "$w")"
	done
	echo "run bench: round $i/$ROUNDS:$line; load average $(cut -d' ' -f1-3 /proc/loadavg)"
done

peak() { # peak RSS in KiB of the runtime process over 10 runs
	local max=0 kb i
	for i in $(seq 10); do
		kb=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null </dev/null | tail -1)
		[ "$kb" -gt "$max" ] && max=$kb
	done
	echo "$max"
}
for n in "${names[@]}"; do
	# shellcheck disable=SC2086
	read -r MW[$n] _ _ < <(bench_stats ${WALL[$n]})
	# shellcheck disable=SC2086
	read -r MC[$n] _ _ < <(bench_stats ${CPU[$n]})
done
printf '  %-8s %11s %8s %8s %10s %9s %9s %13s\n' runtime "wall med ms" min max "CPU med ms" "wall vs $ref" "CPU vs $ref" "peak RSS KiB"
for k in "${!names[@]}"; do
	n=${names[$k]}
	# shellcheck disable=SC2086
	read -r _ lo hi < <(bench_stats ${WALL[$n]})
	printf '  %-8s %11.2f %8.2f %8.2f %10.2f %8.2fx %8.2fx %13s\n' "$n" "${MW[$n]}" "$lo" "$hi" "${MC[$n]}" \
		"$(echo "${MW[$n]} / ${MW[$ref]}" | bc -l)" "$(echo "${MC[$n]} / ${MC[$ref]}" | bc -l)" \
		"$(peak "${paths[$k]}" --root "$W/state-$n" run "$ID")"
done
if [ -z "${OCI_RUN_B:-}" ]; then
	# for `make bench`'s table: the ratios of each round's medians (the rounds alternate)
	bench_result run-vs-crun crun 0.60 "${WALL[oci-run]}" "${WALL[crun]}"
	bench_result run-vs-runc runc "" "${WALL[oci-run]}" "${WALL[runc]}"
	r=$(echo "${MW[oci-run]} / ${MW[crun]}" | bc -l)
	if [ "$(echo "$r <= 0.6" | bc -l)" = 1 ]; then
		printf 'run bench: target met: oci-run %.2fx crun (<= 0.6x)\n' "$r"
	else
		printf 'run bench: target missed: oci-run %.2fx crun (> 0.6x)\n' "$r"
	fi
else
	printf 'run bench A/B: B/A %.2f wall, %.2f CPU (medians of the rounds)\n' \
		"$(echo "${MW[B]} / ${MW[A]}" | bc -l)" "$(echo "${MC[B]} / ${MC[A]}" | bc -l)"
fi
