/* A container's resource usage as its cgroups count it: the typed form of runc's
 * libcontainer stats (what `oci-run events` prints under runc's JSON names). The v1 readers
 * are in stats_v1.c, the v2 ones in stats_v2.c (v1.c falls back to them for a controller a
 * hybrid host bound to the unified tree); stats.c has the parsing both share.
 *
 * Units are runc's: bytes, nanoseconds, counts. A controller the container has no cgroup for
 * leaves its part zero. */
#ifndef OCI_RUN_CGROUP_STATS_H
#define OCI_RUN_CGROUP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "run/cgroup/cgroup.h"

/* Caps on what a cgroup file may add (the kernel's files are far smaller). */
#define OCI_STATS_MAX_ENTRIES 4096
#define OCI_STATS_MAX_CPUS    8192

/* The v1 cpuset files reported as they read (cpuset.<name>), runc's JSON names too;
 * cpu_exclusive first. */
#define OCI_STATS_CPUSET_FLAGS 9
extern const char *const oci_stats_cpuset_flags[OCI_STATS_CPUSET_FLAGS];

typedef struct oci_stats_mem {
	uint64_t usage, max, failcnt, limit;
} oci_stats_mem;

typedef struct oci_stats_blkio {
	uint64_t major, minor, value;
	char op[16]; /* Read, Write, Sync, Async, Discard, Total */
} oci_stats_blkio;

typedef struct oci_stats_hugetlb {
	char size[16]; /* "2MB", "1GB" */
	uint64_t usage, max, failcnt;
} oci_stats_hugetlb;

typedef struct oci_stats_kv {
	char *key;
	uint64_t value;
} oci_stats_kv;

struct oci_cgroup_stats {
	struct {
		uint64_t total, user, kernel; /* ns */
		uint64_t *percpu, *percpu_user, *percpu_kernel;
		size_t n_percpu, n_percpu_user, n_percpu_kernel;
		uint64_t periods, throttled_periods, throttled_time; /* throttled_time in ns */
	} cpu;
	struct {
		uint64_t *cpus, *mems; /* the ids listed in cpuset.cpus / cpuset.mems */
		size_t n_cpus, n_mems;
		int64_t flags[OCI_STATS_CPUSET_FLAGS]; /* v1: oci_stats_cpuset_flags[i] */
	} cpuset;
	struct {
		uint64_t cache;
		oci_stats_mem usage, swap, kernel, kernel_tcp; /* swap: memory+swap, as v1 counts */
		oci_stats_kv *raw;			       /* memory.stat */
		size_t n_raw;
		uint64_t oom_kills;
	} memory;
	struct {
		uint64_t current, limit; /* limit 0: none */
	} pids;
	struct {
		oci_stats_blkio *service_bytes, *serviced;
		size_t n_service_bytes, n_serviced;
	} blkio;
	oci_stats_hugetlb *hugetlb;
	size_t n_hugetlb;
};

/* Fill s (zeroed first) from the container's cgroups; release it with
 * oci_cgroup_stats_release even on error. */
int oci_cgroup_stats_read(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err);
void oci_cgroup_stats_release(oci_cgroup_stats *s);
/* The OOM kill counter of the container's memory cgroup. */
int oci_cgroup_oom_kills(const oci_cgroup *cg, uint64_t *n, oci_error *err);

/* ---- for the readers in run/cgroup/stats*.c ---- */

/* dir/file read whole (bounded); NULL when it is missing. */
char *oci_stats_read(const char *dir, const char *file);
/* A file holding one number ("max" reads as UINT64_MAX); false when missing or malformed. */
bool oci_stats_u64(const char *dir, const char *file, uint64_t *out);
/* The value of "key N" in a flat keyed file (cpu.stat, memory.events, memory.oom_control). */
bool oci_stats_key(const char *dir, const char *file, const char *key, uint64_t *out);
/* A list of numbers separated by spaces (cpuacct.usage_percpu) appended to *v. */
int oci_stats_u64_list(const char *text, uint64_t **v, size_t *n, oci_error *err);
/* "0-3,7" (cpuset.cpus) as the ids it names. */
int oci_stats_id_list(const char *text, uint64_t **v, size_t *n, oci_error *err);
int oci_stats_blkio_add(oci_stats_blkio **v, size_t *n, uint64_t major, uint64_t minor,
			const char *op, uint64_t value, oci_error *err);
/* A new zeroed hugetlb entry for page size `size` ("2MB") appended to s->hugetlb. */
oci_stats_hugetlb *oci_stats_hugetlb_add(oci_cgroup_stats *s, const char *size, oci_error *err);
/* Every "key N" line of a flat keyed file into s->memory.raw. */
int oci_stats_raw(const char *dir, const char *file, oci_cgroup_stats *s, oci_error *err);
/* The page sizes of /sys/kernel/mm/hugepages as cgroup names ("2MB"); caller frees. */
int oci_stats_hugepage_sizes(char (**sizes)[16], size_t *n, oci_error *err);

/* The v2 readers, one per controller, on the unified directory dir. */
int oci_stats_v2_cpu(const char *dir, oci_cgroup_stats *s, oci_error *err);
int oci_stats_v2_cpuset(const char *dir, oci_cgroup_stats *s, oci_error *err);
int oci_stats_v2_memory(const char *dir, oci_cgroup_stats *s, oci_error *err);
int oci_stats_v2_pids(const char *dir, oci_cgroup_stats *s, oci_error *err);
int oci_stats_v2_io(const char *dir, oci_cgroup_stats *s, oci_error *err);
int oci_stats_v2_hugetlb(const char *dir, oci_cgroup_stats *s, oci_error *err);
int oci_stats_v2_oom_kills(const char *dir, uint64_t *n);

/* The drivers' ops. */
int oci_cgroup_v1_stats(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err);
int oci_cgroup_v1_oom_kills(const oci_cgroup *cg, uint64_t *n, oci_error *err);
int oci_cgroup_v2_stats(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err);
int oci_cgroup_v2_oom_kills(const oci_cgroup *cg, uint64_t *n, oci_error *err);
#endif
