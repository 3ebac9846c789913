/* Unit tests for what `oci-run events` reads and parses: the stats readers of
 * run/cgroup/stats_v1.c and stats_v2.c against fake cgroup directories holding the files a
 * kernel writes (units converted as runc does: usec to ns, ticks to ns, "max", swap as
 * memory+swap), their caps on hostile sizes, and the Go duration syntax of --interval
 * (run/cmd/events.c). */
#include <check.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/cgroup/stats.h"
#include "run/cmd/cmd.h"

static char base[64];

static void put(const char *rel, const char *content)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(fd >= 0, "cannot create %s", p);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static char *dir(const char *rel)
{
	static char p[8][512];
	static int i;
	char *d = p[i++ % 8];
	snprintf(d, sizeof(p[0]), "%s/%s", base, rel);
	mkdir(d, 0755);
	return d;
}

static void fresh(void)
{
	snprintf(base, sizeof(base), "/tmp/test_events.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
}

static void cleanup(void)
{
	oci_error err = OCI_ERROR_INIT;
	oci_remove_tree_at(AT_FDCWD, base, &err);
}

static uint64_t raw(const oci_cgroup_stats *s, const char *key)
{
	for (size_t i = 0; i < s->memory.n_raw; i++)
		if (!strcmp(s->memory.raw[i].key, key))
			return s->memory.raw[i].value;
	return (uint64_t)-1;
}

START_TEST(test_v2_readers)
{
	fresh();
	const char *d = dir("c");
	put("c/cgroup.controllers", "cpuset cpu io memory pids\n");
	put("c/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\n"
			  "nr_throttled 3\nthrottled_usec 20\n");
	put("c/cpuset.cpus.effective", "0-2,5\n");
	put("c/cpuset.mems.effective", "0\n");
	put("c/memory.current", "4096\n");
	put("c/memory.max", "max\n");
	put("c/memory.peak", "8192\n");
	put("c/memory.stat", "file 100\nanon 200\n");
	put("c/memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n");
	put("c/memory.swap.current", "1000\n");
	put("c/memory.swap.max", "max\n");
	put("c/pids.current", "3\n");
	put("c/pids.max", "max\n");
	put("c/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
	put("c/hugetlb.2MB.current", "4194304\n");
	put("c/hugetlb.2MB.events", "max 3\n");
	/* The page sizes come from the kernel's /sys/kernel/mm/hugepages. */
	bool huge2m = access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) == 0;
	const char *dirs[] = {d};
	oci_error err = OCI_ERROR_INIT;
	oci_cgroup *cg = oci_cgroup_from_dirs(dirs, 1, &err);
	ck_assert_ptr_nonnull(cg);
	ck_assert_str_eq(cg->ops->name, "v2");
	oci_cgroup_stats s;
	ck_assert_msg(oci_cgroup_stats_read(cg, &s, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(s.cpu.total, 1500000);
	ck_assert_uint_eq(s.cpu.user, 1000000);
	ck_assert_uint_eq(s.cpu.kernel, 500000);
	ck_assert_uint_eq(s.cpu.periods, 7);
	ck_assert_uint_eq(s.cpu.throttled_periods, 3);
	ck_assert_uint_eq(s.cpu.throttled_time, 20000);
	ck_assert_uint_eq(s.cpuset.n_cpus, 4);
	ck_assert_uint_eq(s.cpuset.cpus[3], 5);
	ck_assert_uint_eq(s.memory.usage.usage, 4096);
	ck_assert_uint_eq(s.memory.usage.limit, UINT64_MAX);
	ck_assert_uint_eq(s.memory.usage.max, 8192);
	ck_assert_uint_eq(s.memory.usage.failcnt, 4);
	ck_assert_uint_eq(s.memory.cache, 100);
	ck_assert_uint_eq(raw(&s, "anon"), 200);
	ck_assert_uint_eq(s.memory.swap.usage, 5096); /* memory + swap, as v1 */
	ck_assert_uint_eq(s.memory.swap.limit, UINT64_MAX);
	ck_assert_uint_eq(s.memory.oom_kills, 2);
	ck_assert_uint_eq(s.pids.current, 3);
	ck_assert_uint_eq(s.pids.limit, 0); /* "max": no limit, runc's 0 */
	ck_assert_uint_eq(s.blkio.n_service_bytes, 2);
	ck_assert_str_eq(s.blkio.service_bytes[1].op, "Write");
	ck_assert_uint_eq(s.blkio.service_bytes[1].value, 20);
	ck_assert_uint_eq(s.blkio.n_serviced, 2);
	ck_assert_uint_eq(s.blkio.serviced[0].major, 8);
	if (huge2m) {
		ck_assert_uint_ge(s.n_hugetlb, 1);
		ck_assert_str_eq(s.hugetlb[0].size, "2MB");
		ck_assert_uint_eq(s.hugetlb[0].usage, 4194304);
		ck_assert_uint_eq(s.hugetlb[0].failcnt, 3);
	}
	oci_cgroup_stats_release(&s);
	uint64_t n;
	ck_assert_int_eq(oci_cgroup_oom_kills(cg, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	oci_cgroup_free(cg);
	cleanup();
}
END_TEST

START_TEST(test_v1_readers)
{
	fresh();
	const char *dirs[] = {dir("cpuacct"), dir("memory"), dir("pids"), dir("blkio")};
	put("cpuacct/cpuacct.usage", "3000\n");
	put("cpuacct/cpuacct.usage_percpu", "1000 2000 \n");
	put("cpuacct/cpuacct.usage_all", "cpu user system\n0 600 400\n1 1500 500\n");
	char stat[64];
	long hz = sysconf(_SC_CLK_TCK);
	snprintf(stat, sizeof(stat), "user %ld\nsystem %ld\n", hz * 2, hz);
	put("cpuacct/cpuacct.stat", stat);
	put("memory/memory.limit_in_bytes", "9223372036854771712\n");
	put("memory/memory.usage_in_bytes", "4096\n");
	put("memory/memory.max_usage_in_bytes", "8192\n");
	put("memory/memory.failcnt", "5\n");
	put("memory/memory.memsw.usage_in_bytes", "5000\n");
	put("memory/memory.stat", "cache 300\nrss 100\n");
	put("memory/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	put("pids/pids.current", "4\n");
	put("pids/pids.max", "20\n");
	put("blkio/blkio.reset_stats", "");
	/* no scheduler counters (empty): the throttle ones are reported; Total lines left out */
	put("blkio/blkio.io_serviced_recursive", "");
	put("blkio/blkio.throttle.io_serviced_recursive", "8:0 Read 5\n8:0 Write 6\nTotal 11\n");
	put("blkio/blkio.throttle.io_service_bytes_recursive", "8:0 Read 512\nTotal 512\n");
	oci_error err = OCI_ERROR_INIT;
	oci_cgroup *cg = oci_cgroup_from_dirs(dirs, 4, &err);
	ck_assert_ptr_nonnull(cg);
	ck_assert_str_eq(cg->ops->name, "v1");
	oci_cgroup_stats s;
	ck_assert_msg(oci_cgroup_stats_read(cg, &s, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(s.cpu.total, 3000);
	ck_assert_uint_eq(s.cpu.n_percpu, 2);
	ck_assert_uint_eq(s.cpu.percpu[1], 2000);
	ck_assert_uint_eq(s.cpu.n_percpu_user, 2);
	ck_assert_uint_eq(s.cpu.percpu_user[1], 1500);
	ck_assert_uint_eq(s.cpu.percpu_kernel[0], 400);
	ck_assert_uint_eq(s.cpu.user, 2000000000ull);
	ck_assert_uint_eq(s.cpu.kernel, 1000000000ull);
	ck_assert_uint_eq(s.memory.usage.limit, 9223372036854771712ull);
	ck_assert_uint_eq(s.memory.usage.failcnt, 5);
	ck_assert_uint_eq(s.memory.swap.usage, 5000);
	ck_assert_uint_eq(s.memory.cache, 300);
	ck_assert_uint_eq(s.memory.oom_kills, 3);
	ck_assert_uint_eq(s.pids.current, 4);
	ck_assert_uint_eq(s.pids.limit, 20);
	ck_assert_uint_eq(s.blkio.n_serviced, 2);
	ck_assert_uint_eq(s.blkio.n_service_bytes, 1);
	ck_assert_str_eq(s.blkio.service_bytes[0].op, "Read");
	ck_assert_uint_eq(s.blkio.service_bytes[0].value, 512);
	oci_cgroup_stats_release(&s);
	oci_cgroup_free(cg);
	cleanup();
}
END_TEST

START_TEST(test_hostile_sizes_are_capped)
{
	oci_error err = OCI_ERROR_INIT;
	uint64_t *v = NULL;
	size_t n = 0;
	ck_assert_int_eq(oci_stats_id_list("0-4294967295\n", &v, &n, &err), -1);
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	oci_err_clear(&err);
	ck_assert_int_eq(oci_stats_id_list("3-1\n", &v, &n, &err), -1);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	oci_err_clear(&err);
	ck_assert_int_eq(oci_stats_id_list("0-8190,8191,8192\n", &v, &n, &err), -1);
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	oci_err_clear(&err);
	free(v);
	v = NULL;
	n = 0;
	ck_assert_int_eq(oci_stats_id_list("1,3-4\n", &v, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	free(v);
}
END_TEST

START_TEST(test_durations)
{
	static const struct {
		const char *in;
		uint64_t ns;
	} ok[] = {{"1s", 1000000000ull},
		  {"100ms", 100000000ull},
		  {"1m30s", 90000000000ull},
		  {"1.5h", 5400000000000ull},
		  {"250us", 250000ull},
		  {"250\xc2\xb5s", 250000ull},
		  {"10ns", 10},
		  {".5s", 500000000ull},
		  {"0", 0}};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		oci_error err = OCI_ERROR_INIT;
		uint64_t ns = 1;
		ck_assert_msg(oci_cmd_parse_duration(ok[i].in, &ns, &err) == 0, "%s: %s", ok[i].in,
			      err.msg);
		ck_assert_msg(ns == ok[i].ns, "%s: %llu", ok[i].in, (unsigned long long)ns);
	}
	static const char *bad[] = {"", "5", "s", "1x", "-1s", "1s2", ".s", "9999999999h"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		oci_error err = OCI_ERROR_INIT;
		uint64_t ns;
		ck_assert_msg(oci_cmd_parse_duration(bad[i], &ns, &err) == -1, "accepted '%s'",
			      bad[i]);
		ck_assert_ptr_nonnull(strstr(err.msg, "invalid duration"));
		oci_err_clear(&err);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_events");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_v2_readers);
	tcase_add_test(tc, test_v1_readers);
	tcase_add_test(tc, test_hostile_sizes_are_capped);
	tcase_add_test(tc, test_durations);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
