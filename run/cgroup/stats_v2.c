/* The cgroup v2 statistics readers: cpu.stat, cpuset.*.effective, memory.{current,max,peak,
 * stat,events}, memory.swap.*, pids.{current,max}, io.stat and hugetlb.<size>.*, turned into
 * runc's v1-shaped numbers the way runc's fs2 manager does (usec to ns; swap reported as
 * memory+swap; rbytes/wbytes as Read/Write service bytes). The v2 driver reads the unified
 * directory with them; the v1 driver uses them for controllers a hybrid host bound there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "run/cgroup/internal.h"
#include "run/cgroup/stats.h"

int oci_stats_v2_cpu(const char *dir, oci_cgroup_stats *s, oci_error *err)
{
	(void)err;
	static const struct {
		const char *key;
		size_t off;
		uint64_t mul;
	} keys[] = {
	    {"usage_usec", offsetof(oci_cgroup_stats, cpu.total), 1000},
	    {"user_usec", offsetof(oci_cgroup_stats, cpu.user), 1000},
	    {"system_usec", offsetof(oci_cgroup_stats, cpu.kernel), 1000},
	    {"nr_periods", offsetof(oci_cgroup_stats, cpu.periods), 1},
	    {"nr_throttled", offsetof(oci_cgroup_stats, cpu.throttled_periods), 1},
	    {"throttled_usec", offsetof(oci_cgroup_stats, cpu.throttled_time), 1000},
	};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		uint64_t v;
		if (oci_stats_key(dir, "cpu.stat", keys[i].key, &v))
			*(uint64_t *)((char *)s + keys[i].off) = v * keys[i].mul;
	}
	return 0;
}

int oci_stats_v2_cpuset(const char *dir, oci_cgroup_stats *s, oci_error *err)
{
	cleanup_free char *cpus = oci_stats_read(dir, "cpuset.cpus.effective");
	cleanup_free char *mems = oci_stats_read(dir, "cpuset.mems.effective");
	if (cpus && oci_stats_id_list(cpus, &s->cpuset.cpus, &s->cpuset.n_cpus, err) < 0)
		return -1;
	if (mems && oci_stats_id_list(mems, &s->cpuset.mems, &s->cpuset.n_mems, err) < 0)
		return -1;
	return 0;
}

/* memory.<name>.current/.max/.peak (name "" for memory itself); false when not there. */
static bool mem_entry(const char *dir, const char *name, oci_stats_mem *e)
{
	char f[64];
	snprintf(f, sizeof(f), "memory%s%s.current", *name ? "." : "", name);
	if (!oci_stats_u64(dir, f, &e->usage))
		return false;
	snprintf(f, sizeof(f), "memory%s%s.max", *name ? "." : "", name);
	oci_stats_u64(dir, f, &e->limit);
	snprintf(f, sizeof(f), "memory%s%s.peak", *name ? "." : "", name);
	oci_stats_u64(dir, f, &e->max);
	return true;
}

int oci_stats_v2_memory(const char *dir, oci_cgroup_stats *s, oci_error *err)
{
	if (!mem_entry(dir, "", &s->memory.usage))
		return 0;
	if (oci_stats_raw(dir, "memory.stat", s, err) < 0)
		return -1;
	for (size_t i = 0; i < s->memory.n_raw; i++)
		if (!strcmp(s->memory.raw[i].key, "file"))
			s->memory.cache = s->memory.raw[i].value;
	/* failcnt: how often usage hit memory.max (v2 has no failcnt file). */
	oci_stats_key(dir, "memory.events", "max", &s->memory.usage.failcnt);
	oci_stats_key(dir, "memory.events", "oom_kill", &s->memory.oom_kills);
	oci_stats_mem swap = {0};
	if (mem_entry(dir, "swap", &swap)) {
		/* As v1's memsw: memory plus swap. */
		s->memory.swap.usage = swap.usage + s->memory.usage.usage;
		s->memory.swap.limit = swap.limit;
		if (swap.limit != UINT64_MAX && s->memory.usage.limit != UINT64_MAX)
			s->memory.swap.limit += s->memory.usage.limit;
		oci_stats_key(dir, "memory.swap.events", "max", &s->memory.swap.failcnt);
	}
	return 0;
}

int oci_stats_v2_pids(const char *dir, oci_cgroup_stats *s, oci_error *err)
{
	(void)err;
	if (!oci_stats_u64(dir, "pids.current", &s->pids.current))
		return 0;
	uint64_t max = 0;
	oci_stats_u64(dir, "pids.max", &max);
	s->pids.limit = max == UINT64_MAX ? 0 : max;
	return 0;
}

int oci_stats_v2_io(const char *dir, oci_cgroup_stats *s, oci_error *err)
{
	cleanup_free char *t = oci_stats_read(dir, "io.stat");
	if (!t)
		return 0;
	/* "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" */
	for (char *save, *line = strtok_r(t, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long maj, min;
		int off;
		if (sscanf(line, "%llu:%llu%n", &maj, &min, &off) != 2)
			continue;
		for (char *s2, *f = strtok_r(line + off, " ", &s2); f;
		     f = strtok_r(NULL, " ", &s2)) {
			unsigned long long v;
			char key[16];
			if (sscanf(f, "%15[a-z.]=%llu", key, &v) != 2)
				continue;
			int r = 0;
			if (!strcmp(key, "rbytes"))
				r = oci_stats_blkio_add(&s->blkio.service_bytes,
							&s->blkio.n_service_bytes, maj, min, "Read",
							v, err);
			else if (!strcmp(key, "wbytes"))
				r = oci_stats_blkio_add(&s->blkio.service_bytes,
							&s->blkio.n_service_bytes, maj, min,
							"Write", v, err);
			else if (!strcmp(key, "rios"))
				r = oci_stats_blkio_add(&s->blkio.serviced, &s->blkio.n_serviced,
							maj, min, "Read", v, err);
			else if (!strcmp(key, "wios"))
				r = oci_stats_blkio_add(&s->blkio.serviced, &s->blkio.n_serviced,
							maj, min, "Write", v, err);
			if (r < 0)
				return -1;
		}
	}
	return 0;
}

int oci_stats_v2_hugetlb(const char *dir, oci_cgroup_stats *s, oci_error *err)
{
	cleanup_free char(*sizes)[16] = NULL;
	size_t n;
	if (oci_stats_hugepage_sizes(&sizes, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char f[64];
		uint64_t usage;
		snprintf(f, sizeof(f), "hugetlb.%s.current", sizes[i]);
		if (!oci_stats_u64(dir, f, &usage))
			continue;
		oci_stats_hugetlb *h = oci_stats_hugetlb_add(s, sizes[i], err);
		if (!h)
			return -1;
		h->usage = usage;
		snprintf(f, sizeof(f), "hugetlb.%s.events", sizes[i]);
		oci_stats_key(dir, f, "max", &h->failcnt);
	}
	return 0;
}

int oci_stats_v2_oom_kills(const char *dir, uint64_t *n)
{
	*n = 0;
	oci_stats_key(dir, "memory.events", "oom_kill", n);
	return 0;
}

int oci_cgroup_v2_stats(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err)
{
	const char *d = oci_cgroup_v2_unified(cg);
	if (!d)
		return 0;
	if (oci_stats_v2_cpu(d, s, err) < 0 || oci_stats_v2_cpuset(d, s, err) < 0 ||
	    oci_stats_v2_memory(d, s, err) < 0 || oci_stats_v2_pids(d, s, err) < 0 ||
	    oci_stats_v2_io(d, s, err) < 0 || oci_stats_v2_hugetlb(d, s, err) < 0)
		return -1;
	return 0;
}

int oci_cgroup_v2_oom_kills(const oci_cgroup *cg, uint64_t *n, oci_error *err)
{
	(void)err;
	const char *d = oci_cgroup_v2_unified(cg);
	*n = 0;
	return d ? oci_stats_v2_oom_kills(d, n) : 0;
}
