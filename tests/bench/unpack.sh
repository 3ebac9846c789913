#!/usr/bin/env bash
# Benchmark (not a test): time to a root filesystem for the same 100+ MB multi-layer Debian
# image (tests/lib/debian-image.sh: debootstrap minbase, a cleanup layer of whiteouts and
# opaque directories, a small app layer, random data on top to pass 100 MB compressed),
# served by a local registry:
#   oci-fetch | oci-unpack              (ours: download, verify, inflate, extract in one pass)
#   tar -x of the inflated layers       (the floor: file creation alone; no download, no
#                                        inflate, no verification, no whiteouts)
#   skopeo copy + umoci unpack          (the peers)
#   tar -xzf of the layer blobs on disk (no download, no verification, no whiteouts)
# Configurations run round-robin, RUNS rounds (default 5), outputs on a fresh journaled
# loop-mounted ext4 (bench_fs); each round's ours/peer ratio is taken (alternating pairs), and
# the BENCH lines (tests/bench/lib.bash) give their min/median/max.
# The CPU time of each configuration is taken too (user + system of the command's processes,
# and for ours the registry's, which serves only our pull): unpack-cpu-per-core-vs-tar-x is
# that CPU time of ours divided by the machine's CPUs, against tar -x's wall time, i.e. what
# ours would take with every CPU busy all the time. At 1.00 or more, unpack-vs-tar-x cannot
# reach 1.00 on this machine whatever the overlap: the work itself must shrink. Where ours'
# CPU goes is printed beside it: oci-fetch, oci-unpack and the registry, each a median.
#   RUNS=N  OCI_FETCH=PATH  OCI_UNPACK=PATH (e.g. an older build, for before/after figures)
# Two builds compared: OCI_UNPACK_B=PATH (and OCI_FETCH_B, default OCI_FETCH) adds B's
# configurations right after A's in every round (A B A B ...), leaves the peers out, and
# prints B/A.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC1091
. "$TOP/tests/bench/lib.bash"
RUNS=${RUNS:-5}
OCI_FETCH=${OCI_FETCH:-${OCI_BUILD:-$TOP/build}/oci-fetch}
OCI_UNPACK=${OCI_UNPACK:-${OCI_BUILD:-$TOP/build}/oci-unpack}
for c in docker-registry skopeo umoci jq curl python3 bc; do
	command -v "$c" >/dev/null || { echo "unpack bench: skipped: needs $c"; exit 0; }
done
rc=0
IMG=$("$TOP/tests/lib/debian-image.sh" --min-mb 100) || rc=$?
[ $rc = 77 ] && { echo "unpack bench: skipped: no Debian image (see the line above)"; exit 0; }
[ $rc = 0 ] || exit 1

BATS_TEST_TMPDIR=$(mktemp -d /var/tmp/oci-bench-unpack.XXXXXX)
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

manifest=$(jq -r '.manifests[0].digest' "$IMG/index.json")
layers=$(jq -r ".layers[].digest" "$IMG/blobs/sha256/${manifest#sha256:}" | tr "\n" " ")
csize=$(jq '[.layers[].size] | add' "$IMG/blobs/sha256/${manifest#sha256:}")
registry_start plain >/dev/null
image_push "$IMG" bench/debian v1 >/dev/null
REF=$REGISTRY/bench/debian:v1
# warm the registry's storage in the page cache once, for every configuration alike
"$OCI_FETCH" -q --no-cache "$REF" >/dev/null

now() { date +%s.%N; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
O=$(bench_fs "$W")
# the floor's input: each layer inflated once, on the host's disk (read from the page cache)
mkdir "$W/raw"
i=0
for l in $layers; do
	i=$((i + 1))
	gzip -dc "$IMG/blobs/sha256/${l#sha256:}" >"$W/raw/$i.tar"
done
# Without root (no loop mount), outputs are moved aside rather than deleted until the end: on
# ext4 without a journal, creating files within minutes of deleting thousands scans the
# recently deleted inodes (recently_deleted() in the kernel), and that swamps everything. On
# the loop-mounted journaled ext4 they are deleted after each run: kept there, every round
# from the third on was slower for all (oci-fetch | oci-unpack 0.52 s in rounds 1-2, 0.89-0.95
# after, its CPU 1.53 s against 0.83; tar -x 0.30 then 0.40), deleted, the five rounds stay
# within 0.02 s.
trash=0
clean() {
	local d
	mkdir -p "$O/trash"
	for d in out sk bundle; do
		[ -e "$O/$d" ] && mv "$O/$d" "$O/trash/$((trash += 1))"
	done
	[ "$O" = "$W" ] || rm -rf "$O/trash"
	return 0
}

# pipeline FETCH UNPACK NAME: the command of oci-fetch | oci-unpack; each side is a subshell
# that keeps its tool's exit status and leaves the tool's user and system time (bash's
# `times`, second line) in $W/NAME.fetch and $W/NAME.unpack.
pipeline() {
	printf '%s' "{ '$1' -q --no-cache '$REF'; r=\$?; times >'$W/$3.fetch'; exit \$r; } |"
	printf '%s' " { '$2' '$O/out'; r=\$?; times >'$W/$3.unpack'; exit \$r; }"
}
NAMES=(ours floor_raw peers floor)
declare -A LABEL=(
	[ours]="oci-fetch | oci-unpack"
	[floor_raw]="tar -x, inflated layers"
	[layout_isal]="oci-unpack --layout (igzip)"
	[layout_zlib]="oci-unpack --layout --zlib"
	[peers]="skopeo copy + umoci unpack"
	[floor]="tar -xzf"
)
declare -A CMD=(
	[ours]="$(pipeline "$OCI_FETCH" "$OCI_UNPACK" ours)"
	[floor_raw]="mkdir '$O/out' && for l in '$W/raw/'*.tar; do tar -xf \$l -C '$O/out' || exit 1; done"
	[layout_isal]="'$OCI_UNPACK' --layout '$IMG' '$O/out'"
	[layout_zlib]="'$OCI_UNPACK' --zlib --layout '$IMG' '$O/out'"
	[peers]="skopeo copy -q --src-tls-verify=false docker://$REF oci:$O/sk:latest && umoci unpack --image $O/sk:latest $O/bundle"
	[floor]="mkdir '$O/out' && for l in $layers; do tar -xzf '$IMG/blobs/sha256/'\${l#sha256:} -C '$O/out' || exit 1; done"
)
if [ -n "${OCI_UNPACK_B:-}" ]; then
	OCI_FETCH_B=${OCI_FETCH_B:-$OCI_FETCH}
	NAMES=(ours ours_b layout_isal layout_isal_b layout_zlib layout_zlib_b)
	LABEL[ours]="A: oci-fetch | oci-unpack"
	LABEL[ours_b]="B: oci-fetch | oci-unpack"
	LABEL[layout_isal]="A: --layout (igzip)"
	LABEL[layout_isal_b]="B: --layout (igzip)"
	LABEL[layout_zlib]="A: --layout --zlib"
	LABEL[layout_zlib_b]="B: --layout --zlib"
	CMD[ours_b]="$(pipeline "$OCI_FETCH_B" "$OCI_UNPACK_B" ours_b)"
	CMD[layout_isal_b]="'$OCI_UNPACK_B' --layout '$IMG' '$O/out'"
	CMD[layout_zlib_b]="'$OCI_UNPACK_B' --zlib --layout '$IMG' '$O/out'"
	echo "unpack bench A/B: A=$OCI_FETCH, $OCI_UNPACK; B=$OCI_FETCH_B, $OCI_UNPACK_B"
fi
declare -A T C CF CU CR
# cpu_ticks PID: user + system clock ticks the process has used (fields 14 and 15)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)
# cpu_of FILE [TICKS]: user + system seconds from the last line of `times` output, plus the
# registry's clock ticks
cpu_of() {
	tail -1 "$1" | awk -v r="${2:-0}" -v hz="$TCK" '
		function s(x) { split(x, a, /[ms]/); return a[1] * 60 + a[2] }
		{ printf "%.3f", s($1) + s($2) + r / hz }'
}
echo "unpack bench: $(echo "$layers" | wc -w) layers, $((csize >> 20)) MiB compressed; $RUNS rounds; output on $(df --output=fstype "$O" | tail -1) $O"
echo "unpack bench: load average before: $(loadavg)"
for i in $(seq "$RUNS"); do
	for n in "${NAMES[@]}"; do
		clean
		sync
		r0=$(cpu_ticks "$REGISTRY_PID")
		t0=$(now)
		# `times` (the last line: the children's user and system time) after the command
		bash -c "set -o pipefail; ${CMD[$n]}; times >'$W/cpu'" >/dev/null 2>"$W/err" || {
			echo "unpack bench: ${LABEL[$n]}: failed: $(tail -1 "$W/err")" >&2
			exit 1
		}
		t1=$(now)
		r1=$(cpu_ticks "$REGISTRY_PID")
		t=$(echo "$t1 - $t0" | bc)
		T[$n]="${T[$n]:-} $t"
		c=$(cpu_of "$W/cpu" $((r1 - r0)))
		C[$n]="${C[$n]:-} $c"
		if [ -e "$W/$n.fetch" ]; then
			CF[$n]="${CF[$n]:-} $(cpu_of "$W/$n.fetch")"
			CU[$n]="${CU[$n]:-} $(cpu_of "$W/$n.unpack")"
			CR[$n]="${CR[$n]:-} $(echo "($r1 - $r0) / $TCK" | bc -l)"
			rm -f "$W/$n.fetch" "$W/$n.unpack"
		fi
		line="${line:-}$(printf ' %s %.2f' "$n" "$t")"
	done
	echo "unpack bench: round $i/$RUNS:$line; load average $(loadavg)"
	line=
done
clean

declare -A MED
printf '%-32s %8s %8s %8s %9s\n' "" median min max "CPU-s"
for n in "${NAMES[@]}"; do
	# shellcheck disable=SC2086
	read -r med lo hi < <(bench_stats ${T[$n]})
	MED[$n]=$med
	# shellcheck disable=SC2086
	read -r cmed _ < <(bench_stats ${C[$n]})
	printf '%-32s %7.2fs %7.2fs %7.2fs %8.2fs\n' "${LABEL[$n]}" "$med" "$lo" "$hi" "$cmed"
done
echo "load average after: $(loadavg) ($(nproc) CPUs)"
for n in ours ours_b; do
	[ -n "${CF[$n]:-}" ] || continue
	# shellcheck disable=SC2086
	printf 'CPU-s of %s by process (medians): oci-fetch %.2f, oci-unpack %.2f, registry %.2f\n' \
		"${LABEL[$n]}" "$(bench_stats ${CF[$n]} | cut -d' ' -f1)" \
		"$(bench_stats ${CU[$n]} | cut -d' ' -f1)" "$(bench_stats ${CR[$n]} | cut -d' ' -f1)"
done
if [ -n "${OCI_UNPACK_B:-}" ]; then
	for n in ours layout_isal layout_zlib; do
		printf 'ratio B / A, %-26s %.2f\n' "${LABEL[$n]#A: }:" "$(echo "${MED[${n}_b]} / ${MED[$n]}" | bc -l)"
	done
	bench_result unpack-B-vs-A A "" "${T[ours_b]}" "${T[ours]}"
	exit 0
fi
bench_result unpack-vs-tar-x tar-x-inflated 1.00 "${T[ours]}" "${T[floor_raw]}"
ncpu=$(nproc)
# shellcheck disable=SC2086
bench_result unpack-cpu-per-core-vs-tar-x tar-x-inflated "" \
	"$(for c in ${C[ours]}; do echo "$c / $ncpu" | bc -l; done | tr '\n' ' ')" "${T[floor_raw]}"
bench_result unpack-vs-tar-xzf tar-xzf "" "${T[ours]}" "${T[floor]}"
bench_result unpack-vs-umoci skopeo+umoci 0.40 "${T[ours]}" "${T[peers]}"
