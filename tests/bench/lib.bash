# What the benchmarks in tests/bench/ share (sourced by the *.sh there; `make bench` runs only
# those): the median of a set of timings, and the cgroup hierarchy crun insists on.

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
