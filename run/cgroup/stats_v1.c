/* The cgroup v1 statistics readers: cpuacct.{usage,usage_percpu,usage_all,stat}, cpu.stat
 * (throttling), cpuset.{cpus,mems}, memory.* (usage, memsw, kmem, kmem.tcp, stat,
 * oom_control), pids.*, blkio.* (BFQ/CFQ counters where the scheduler keeps them, else the
 * throttle ones, as runc picks) and hugetlb.<size>.*. Each controller is read in the v1
 * hierarchy that has its files; a controller no v1 hierarchy offers is read from the unified
 * tree of a hybrid host with the v2 readers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "run/cgroup/internal.h"
#include "run/cgroup/stats.h"

static int v1_cpu(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err)
{
	const char *d = oci_cgroup_v1_dir(cg, "cpuacct.usage");
	const char *unified = oci_cgroup_v2_unified(cg);
	if (!d)
		return unified ? oci_stats_v2_cpu(unified, s, err) : 0;
	oci_stats_u64(d, "cpuacct.usage", &s->cpu.total);
	cleanup_free char *percpu = oci_stats_read(d, "cpuacct.usage_percpu");
	if (percpu && oci_stats_u64_list(percpu, &s->cpu.percpu, &s->cpu.n_percpu, err) < 0)
		return -1;
	/* cpuacct.stat counts clock ticks; runc reports nanoseconds. */
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t user, sys;
	if (hz > 0 && oci_stats_key(d, "cpuacct.stat", "user", &user) &&
	    oci_stats_key(d, "cpuacct.stat", "system", &sys)) {
		s->cpu.user = user * 1000000000ull / (uint64_t)hz;
		s->cpu.kernel = sys * 1000000000ull / (uint64_t)hz;
	}
	/* "cpu user system" then one line per cpu, in nanoseconds */
	cleanup_free char *all = oci_stats_read(d, "cpuacct.usage_all");
	if (all) {
		char *save, *line = strtok_r(all, "\n", &save);
		for (line = line ? strtok_r(NULL, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save)) {
			unsigned long long c, u, k;
			if (sscanf(line, "%llu %llu %llu", &c, &u, &k) != 3)
				continue;
			char nums[64];
			snprintf(nums, sizeof(nums), "%llu", u);
			if (oci_stats_u64_list(nums, &s->cpu.percpu_user, &s->cpu.n_percpu_user,
					       err) < 0)
				return -1;
			snprintf(nums, sizeof(nums), "%llu", k);
			if (oci_stats_u64_list(nums, &s->cpu.percpu_kernel, &s->cpu.n_percpu_kernel,
					       err) < 0)
				return -1;
		}
	}
	const char *c = oci_cgroup_v1_dir(cg, "cpu.cfs_period_us");
	if (c) {
		oci_stats_key(c, "cpu.stat", "nr_periods", &s->cpu.periods);
		oci_stats_key(c, "cpu.stat", "nr_throttled", &s->cpu.throttled_periods);
		oci_stats_key(c, "cpu.stat", "throttled_time", &s->cpu.throttled_time);
	}
	return 0;
}

static int v1_cpuset(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err)
{
	const char *d = oci_cgroup_v1_dir(cg, "cpuset.cpus");
	const char *unified = oci_cgroup_v2_unified(cg);
	if (!d)
		return unified ? oci_stats_v2_cpuset(unified, s, err) : 0;
	cleanup_free char *cpus = oci_stats_read(d, "cpuset.cpus");
	cleanup_free char *mems = oci_stats_read(d, "cpuset.mems");
	if (cpus && oci_stats_id_list(cpus, &s->cpuset.cpus, &s->cpuset.n_cpus, err) < 0)
		return -1;
	if (mems && oci_stats_id_list(mems, &s->cpuset.mems, &s->cpuset.n_mems, err) < 0)
		return -1;
	for (size_t i = 0; i < OCI_STATS_CPUSET_FLAGS; i++) {
		char f[64];
		snprintf(f, sizeof(f), "cpuset.%s", oci_stats_cpuset_flags[i]);
		cleanup_free char *t = oci_stats_read(d, f);
		if (t)
			s->cpuset.flags[i] = strtoll(t, NULL, 10);
	}
	return 0;
}

/* memory[.name].{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes} */
static void mem_entry(const char *d, const char *name, oci_stats_mem *e)
{
	static const char *const files[] = {"usage_in_bytes", "max_usage_in_bytes", "failcnt",
					    "limit_in_bytes"};
	uint64_t *dst[] = {&e->usage, &e->max, &e->failcnt, &e->limit};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char f[80];
		snprintf(f, sizeof(f), "memory%s%s.%s", *name ? "." : "", name, files[i]);
		oci_stats_u64(d, f, dst[i]);
	}
}

static int v1_memory(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err)
{
	const char *d = oci_cgroup_v1_dir(cg, "memory.limit_in_bytes");
	const char *unified = oci_cgroup_v2_unified(cg);
	if (!d)
		return unified ? oci_stats_v2_memory(unified, s, err) : 0;
	mem_entry(d, "", &s->memory.usage);
	mem_entry(d, "memsw", &s->memory.swap);
	mem_entry(d, "kmem", &s->memory.kernel);
	mem_entry(d, "kmem.tcp", &s->memory.kernel_tcp);
	if (oci_stats_raw(d, "memory.stat", s, err) < 0)
		return -1;
	for (size_t i = 0; i < s->memory.n_raw; i++)
		if (!strcmp(s->memory.raw[i].key, "cache"))
			s->memory.cache = s->memory.raw[i].value;
	oci_stats_key(d, "memory.oom_control", "oom_kill", &s->memory.oom_kills);
	return 0;
}

static int v1_pids(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err)
{
	const char *d = oci_cgroup_v1_dir(cg, "pids.current");
	const char *unified = oci_cgroup_v2_unified(cg);
	if (!d)
		return unified ? oci_stats_v2_pids(unified, s, err) : 0;
	oci_stats_u64(d, "pids.current", &s->pids.current);
	uint64_t max = 0;
	oci_stats_u64(d, "pids.max", &max);
	s->pids.limit = max == UINT64_MAX ? 0 : max;
	return 0;
}

/* A blkio file of "MAJ:MIN Op N" lines ("Total N" lines are left out, as runc does). */
static int blkio_file(const char *d, const char *file, oci_stats_blkio **v, size_t *n,
		      oci_error *err)
{
	cleanup_free char *t = oci_stats_read(d, file);
	if (!t)
		return 0;
	for (char *save, *line = strtok_r(t, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long maj, min, val;
		char op[16];
		if (sscanf(line, "%llu:%llu %15s %llu", &maj, &min, op, &val) != 4)
			continue;
		if (oci_stats_blkio_add(v, n, maj, min, op, val, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_blkio(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err)
{
	const char *d = oci_cgroup_v1_dir(cg, "blkio.reset_stats");
	const char *unified = oci_cgroup_v2_unified(cg);
	if (!d)
		return unified ? oci_stats_v2_io(unified, s, err) : 0;
	/* The scheduler's counters (BFQ, then CFQ) when it keeps any, else the throttle
	 * layer's, which always count. */
	static const char *const prefixes[] = {"blkio.bfq.", "blkio.", "blkio.throttle."};
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		char f[96];
		snprintf(f, sizeof(f), "%sio_serviced_recursive", prefixes[i]);
		if (blkio_file(d, f, &s->blkio.serviced, &s->blkio.n_serviced, err) < 0)
			return -1;
		if (!s->blkio.n_serviced && i + 1 < ARRAY_SIZE(prefixes))
			continue;
		snprintf(f, sizeof(f), "%sio_service_bytes_recursive", prefixes[i]);
		return blkio_file(d, f, &s->blkio.service_bytes, &s->blkio.n_service_bytes, err);
	}
	return 0;
}

static int v1_hugetlb(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err)
{
	cleanup_free char(*sizes)[16] = NULL;
	size_t n;
	if (oci_stats_hugepage_sizes(&sizes, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char f[80];
		snprintf(f, sizeof(f), "hugetlb.%s.usage_in_bytes", sizes[i]);
		const char *d = oci_cgroup_v1_dir(cg, f);
		if (!d)
			continue;
		oci_stats_hugetlb *h = oci_stats_hugetlb_add(s, sizes[i], err);
		if (!h)
			return -1;
		oci_stats_u64(d, f, &h->usage);
		snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", sizes[i]);
		oci_stats_u64(d, f, &h->max);
		snprintf(f, sizeof(f), "hugetlb.%s.failcnt", sizes[i]);
		oci_stats_u64(d, f, &h->failcnt);
	}
	if (!s->n_hugetlb && oci_cgroup_v2_unified(cg))
		return oci_stats_v2_hugetlb(oci_cgroup_v2_unified(cg), s, err);
	return 0;
}

int oci_cgroup_v1_stats(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err)
{
	if (v1_cpu(cg, s, err) < 0 || v1_cpuset(cg, s, err) < 0 || v1_memory(cg, s, err) < 0 ||
	    v1_pids(cg, s, err) < 0 || v1_blkio(cg, s, err) < 0 || v1_hugetlb(cg, s, err) < 0)
		return -1;
	return 0;
}

int oci_cgroup_v1_oom_kills(const oci_cgroup *cg, uint64_t *n, oci_error *err)
{
	*n = 0;
	const char *d = oci_cgroup_v1_dir(cg, "memory.oom_control");
	if (d) {
		oci_stats_key(d, "memory.oom_control", "oom_kill", n);
		return 0;
	}
	return oci_cgroup_v2_oom_kills(cg, n, err);
}
