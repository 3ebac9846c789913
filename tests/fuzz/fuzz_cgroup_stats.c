/* Fuzz the cgroup statistics readers behind `oci-run events` (run/cgroup/stats*.c): the input is
 * split at "\n--\n" into the contents of the cgroup v1 and v2 files they read, written into a
 * scratch v1 directory and a scratch unified one, and both drivers' stats and OOM readers run
 * over them. A container may own a delegated cgroup, so nothing in these files is trusted: any
 * bytes must give numbers or one error, within the entry caps, and nothing else. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/cgroup/cgroup.h"
#include "run/cgroup/stats.h"
#include "tests/fuzz/fuzz_util.h"

/* v1 files first, then the unified tree's; each gets one part of the input. */
static const char *const v1_files[] = {
    "cpuacct.usage",
    "cpuacct.usage_percpu",
    "cpuacct.stat",
    "cpuacct.usage_all",
    "cpu.cfs_period_us",
    "cpu.stat",
    "cpuset.cpus",
    "cpuset.mems",
    "memory.limit_in_bytes",
    "memory.usage_in_bytes",
    "memory.max_usage_in_bytes",
    "memory.failcnt",
    "memory.memsw.usage_in_bytes",
    "memory.stat",
    "memory.oom_control",
    "pids.current",
    "pids.max",
    "blkio.reset_stats",
    "blkio.bfq.io_serviced_recursive",
    "blkio.io_service_bytes_recursive",
    "blkio.throttle.io_serviced_recursive",
    "blkio.throttle.io_service_bytes_recursive",
};
static const char *const v2_files[] = {
    "cgroup.controllers",    "cpu.stat",	"cpuset.cpus.effective",
    "cpuset.mems.effective", "memory.current",	"memory.max",
    "memory.peak",	     "memory.stat",	"memory.events",
    "memory.swap.current",   "memory.swap.max", "memory.swap.events",
    "pids.current",	     "pids.max",	"io.stat",
};
#define N_V1	(sizeof(v1_files) / sizeof(v1_files[0]))
#define N_V2	(sizeof(v2_files) / sizeof(v2_files[0]))
#define N_PARTS (N_V1 + N_V2)

static char scratch[64], v1dir[96], v2dir[96];

static void remove_scratch(void)
{
	for (size_t i = 0; i < N_V1; i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s/%s", v1dir, v1_files[i]);
		unlink(p);
	}
	for (size_t i = 0; i < N_V2; i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s/%s", v2dir, v2_files[i]);
		unlink(p);
	}
	rmdir(v1dir);
	rmdir(v2dir);
	rmdir(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(scratch, sizeof(scratch), "/tmp/ocitk-fuzz-cgstats.XXXXXX");
	if (!mkdtemp(scratch))
		abort();
	snprintf(v1dir, sizeof(v1dir), "%s/v1", scratch);
	snprintf(v2dir, sizeof(v2dir), "%s/v2", scratch);
	if (mkdir(v1dir, 0700) < 0 || mkdir(v2dir, 0700) < 0)
		abort();
	atexit(remove_scratch);
	return 0;
}

static void put(const char *dir, const char *name, const char *text, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (len && write(fd, text, len) != (ssize_t)len))
		abort();
	close(fd);
}

static void run_driver(const oci_cgroup_ops *ops, char **dirs, size_t n)
{
	oci_cgroup cg;
	memset(&cg, 0, sizeof(cg));
	cg.ops = ops;
	cg.dirs = dirs;
	cg.n = n;
	oci_cgroup_stats s;
	memset(&s, 0, sizeof(s));
	oci_error err = OCI_ERROR_INIT;
	if (oci_cgroup_stats_read(&cg, &s, &err) < 0 && !err.msg[0])
		abort(); /* a refusal always says why */
	if (s.cpu.n_percpu > OCI_STATS_MAX_CPUS || s.cpuset.n_cpus > OCI_STATS_MAX_CPUS ||
	    s.cpuset.n_mems > OCI_STATS_MAX_CPUS || s.memory.n_raw > OCI_STATS_MAX_ENTRIES ||
	    s.blkio.n_serviced > OCI_STATS_MAX_ENTRIES ||
	    s.blkio.n_service_bytes > OCI_STATS_MAX_ENTRIES)
		abort(); /* over a cap */
	for (size_t i = 0; i < s.memory.n_raw; i++)
		if (!s.memory.raw[i].key || strchr(s.memory.raw[i].key, '\n'))
			abort();
	oci_cgroup_stats_release(&s);
	uint64_t kills = 0;
	oci_err_clear(&err);
	(void)oci_cgroup_oom_kills(&cg, &kills, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *parts[N_PARTS];
	size_t lens[N_PARTS];
	fuzz_split(data, size, parts, lens, N_PARTS);
	for (size_t i = 0; i < N_V1; i++)
		put(v1dir, v1_files[i], parts[i], lens[i]);
	for (size_t i = 0; i < N_V2; i++)
		put(v2dir, v2_files[i], parts[N_V1 + i], lens[N_V1 + i]);
	fuzz_parts_free(parts, N_PARTS);
	char *v1only[] = {v1dir};
	char *hybrid[] = {v1dir, v2dir};
	char *unified[] = {v2dir};
	run_driver(&oci_cgroup_v1_ops, v1only, 1);
	run_driver(&oci_cgroup_v1_ops, hybrid, 2);
	run_driver(&oci_cgroup_v2_ops, unified, 1);
	return 0;
}
