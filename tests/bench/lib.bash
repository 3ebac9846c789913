# What the benchmarks in tests/bench/ share (sourced by the *.sh there; `make bench` runs
# table.sh, which runs the others): the median of a set of timings, the one-line result format
# that table.sh collects (BENCH, below), the loop-mounted ext4 (or XFS) outputs go to, the
# Debian image served by a local registry, and the cgroup hierarchy crun insists on.

# bench_stats VALUE...: "median min max" of the values (an even count's median is the mean of
# the two in the middle), in plain decimals (awk's default would print 3.6e+06, which bc
# cannot read).
bench_stats() {
	printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1}
		END {printf "%.6f %.6f %.6f\n", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2, a[1], a[NR]}'
}

# bench_crun_cgroups: crun (1.8) wants every v1 controller it knows to be mounted; this
# hybrid host lacks hugetlb, which is mounted then (as a v1 host that has it would).
bench_crun_cgroups() {
	if [ -d /sys/fs/cgroup/memory ] && ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null &&
		grep -qw hugetlb /proc/cgroups; then
		mkdir -p /sys/fs/cgroup/hugetlb
		mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
	fi
}

# bench_runtimes PEER...: the runtimes a benchmark alternates, into the arrays names and paths
# and the name ref that ratios are taken against: A ($OCI_RUN) and B ($OCI_RUN_B), against A,
# when OCI_RUN_B is set (two builds compared); else oci-run ($OCI_RUN) and each PEER from PATH,
# in that order, against crun.
# shellcheck disable=SC2034 # names, paths and ref are what it sets for its caller
bench_runtimes() {
	local p
	if [ -n "${OCI_RUN_B:-}" ]; then
		names=(A B)
		paths=("$OCI_RUN" "$OCI_RUN_B")
		ref=A
		return
	fi
	names=(oci-run "$@")
	paths=("$OCI_RUN")
	for p in "$@"; do paths+=("$(command -v "$p")"); done
	ref=crun
}

# ---- the result line, which `make bench` (tests/bench/table.sh) collects into one table ----
# A benchmark prints one line per comparison, alone on its line, on stdout:
#   BENCH <name> <ratio_min> <ratio_median> <ratio_max> <peer> [<=<target>]
# name and peer are single words (no spaces; e.g. "unpack-vs-tar-x", "skopeo+umoci"); the
# ratios are ours/peer of alternating pairs (A B A B ...: each round's two timings are taken
# one after the other, so a swing of the machine hits both), min, median and max over the
# rounds, with two decimals; the optional last field is the target the median must meet
# (e.g. "<=1.00"). A script without such lines still runs under table.sh, which then shows
# its output instead. bench_result prints the line from the two series of timings.

# bench_ratios "OURS..." "PEER...": the per-round ratios ours[i]/peer[i], one a line.
bench_ratios() {
	local -a a b
	read -r -a a <<<"$1"
	read -r -a b <<<"$2"
	local i
	for i in "${!a[@]}"; do
		[ -n "${b[$i]:-}" ] && awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN {printf "%.6f\n", x / y}'
	done
}

# bench_result NAME PEER TARGET "OURS_TIMES..." "PEER_TIMES...": the BENCH line (TARGET may
# be empty), from the per-round ratios.
bench_result() {
	local med lo hi
	# shellcheck disable=SC2046
	read -r med lo hi < <(bench_stats $(bench_ratios "$4" "$5"))
	printf 'BENCH %s %.2f %.2f %.2f %s%s\n' "$1" "$lo" "$med" "$hi" "$2" "${3:+ <=$3}"
}

# bench_fs DIR [SIZE] [FSTYPE]: a fresh filesystem on a sparse loop file (direct I/O, so the
# loop device writes straight to disk and no second page cache spills writeback into the next
# timed run) mounted on DIR/fs when root: journaled ext4 by default, or xfs (with reflink=1,
# for the rootfs cache's clones); prints the directory to write outputs in (DIR itself when no
# loop mount can be made: no root, no mkfs). This VM's own disk swings tenfold, and ext4
# without a journal scans recently deleted inodes on create. bench_fs_release DIR undoes it.
bench_fs() {
	local dir=$1 size=${2:-32G} fs=${3:-ext4} dev
	local -a mkfs=(mkfs.ext4 -q -F -O has_journal)
	[ "$fs" = xfs ] && mkfs=(mkfs.xfs -q -f -m reflink=1)
	if [ "$(id -u)" = 0 ] && command -v "${mkfs[0]}" >/dev/null; then
		truncate -s "$size" "$dir/fs.img"
		"${mkfs[@]}" "$dir/fs.img" >&2
		mkdir -p "$dir/fs"
		if dev=$(losetup -f --show --direct-io=on "$dir/fs.img") && mount "$dev" "$dir/fs"; then
			echo "$dir/fs"
			return 0
		fi
		[ -n "${dev:-}" ] && losetup -d "$dev"
	fi
	echo "$dir"
}
bench_fs_release() {
	local dir=$1 dev
	if mountpoint -q "$dir/fs" 2>/dev/null; then
		dev=$(findmnt -n -o SOURCE "$dir/fs")
		umount "$dir/fs"
		case $dev in /dev/loop*) losetup -d "$dev" 2>/dev/null || true ;; esac
	fi
	rm -f "$dir/fs.img"
}

# bench_registry_image NAME [MIN_MB]: the Debian test image (tests/lib/debian-image.sh, at
# least MIN_MB compressed, default 100) pushed to a local plain-HTTP registry as
# bench/NAME:v1, the registry's storage read once so no configuration pays for the first read;
# sets BENCH_LAYOUT (the image's layout) and BENCH_REF (its reference). Needs
# tests/lib/registry.bash and images.bash sourced (the registry keeps its storage in
# BATS_FILE_TMPDIR, else TMPDIR); registry_stop ends it. Returns 77 (after a line saying why) when there is no image.
bench_registry_image() {
	local rc=0
	BENCH_LAYOUT=$("$TOP/tests/lib/debian-image.sh" --min-mb "${2:-100}") || rc=$?
	[ $rc = 0 ] || return $rc
	registry_start plain >/dev/null
	image_push "$BENCH_LAYOUT" "bench/$1" v1 >/dev/null
	BENCH_REF=$REGISTRY/bench/$1:v1
	"${OCI_FETCH:-${OCI_BUILD:-$TOP/build}/oci-fetch}" -q --no-cache "$BENCH_REF" >/dev/null
}
