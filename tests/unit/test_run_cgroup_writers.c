/* Unit tests for the linux.resources writers of run/cgroup/v1.c and v2.c, the parser of
 * run/cgroup/resources.c and the freezers, against a fake cgroup tree in a temporary
 * directory: the control files are plain files the test creates empty and reads back, so each
 * test sees exactly what a driver wrote, and where (a v1 file in the hierarchy that has it;
 * on v2 the controller enabled in every ancestor first). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/cgroup/internal.h"
#include "tests/unit/skip.h"

/* unprivileged, create places a container only in the cgroups delegated to it (their
 * cgroup.procs writable), and the directories it makes in a fake tree have none */
#define CREATE_IN_FAKE_TREE "create in a fake tree (its new directories have no cgroup.procs)"

static char base[64];
static oci_cgroup_manager mgr;
static oci_cgroup *cg;

static void put(const char *rel, const char *content)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(fd >= 0, "cannot create %s", p);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

/* Content of a file of the tree ("" when empty, "(missing)" when absent). */
static const char *get(const char *rel)
{
	static char buf[4096];
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return "(missing)";
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* The host: v1 memory, cpu, pids, cpuset, freezer, devices hierarchies (hybrid: and the
 * unified tree), or a pure unified tree. The container's cgroup is created by the manager
 * (cpuset's cpus/mems copied from the parent), then given the control files a kernel has. */
static void host(bool v1, bool unified)
{
	snprintf(base, sizeof(base), "/tmp/test_cgwr.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	static const char *v1_ctrls[] = {"memory",  "cpu,cpuacct", "pids", "cpuset",
					 "freezer", "devices",	   "blkio"};
	char mi[256];
	snprintf(mi, sizeof(mi), "%s/mountinfo", base);
	FILE *f = fopen(mi, "w");
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; v1 && i < ARRAY_SIZE(v1_ctrls); i++) {
		char d[256];
		fprintf(f, "%zu 1 0:%zu / %s/%s rw - cgroup cgroup rw,%s\n", 30 + i, 30 + i, base,
			v1_ctrls[i], v1_ctrls[i]);
		snprintf(d, sizeof(d), "%s/%s", base, v1_ctrls[i]);
		ck_assert_int_eq(mkdir(d, 0755), 0);
	}
	if (unified) {
		char d[256];
		fprintf(f, "50 1 0:50 / %s/unified rw - cgroup2 cgroup2 rw\n", base);
		snprintf(d, sizeof(d), "%s/unified", base);
		ck_assert_int_eq(mkdir(d, 0755), 0);
		put("unified/cgroup.controllers", v1 ? "" : "cpuset cpu io memory hugetlb pids\n");
		put("unified/cgroup.subtree_control", "");
	}
	fclose(f);
	if (v1) {
		/* the kernel makes a new cpuset cgroup's files empty */
		char d[256];
		snprintf(d, sizeof(d), "%s/cpuset/oci-run", base);
		ck_assert_int_eq(mkdir(d, 0755), 0);
		snprintf(d, sizeof(d), "%s/cpuset/oci-run/c", base);
		ck_assert_int_eq(mkdir(d, 0755), 0);
		put("cpuset/cpuset.cpus", "0-3\n");
		put("cpuset/cpuset.mems", "0\n");
		put("cpuset/oci-run/cpuset.cpus", "");
		put("cpuset/oci-run/cpuset.mems", "");
		put("cpuset/oci-run/c/cpuset.cpus", "");
		put("cpuset/oci-run/c/cpuset.mems", "");
	}
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_cgroup_manager_init_at(&mgr, mi, base, false, &err), 0);
	if (unified) {
		/* the level above the container is a cgroup too: it gets the controllers enabled
		 */
		char d[256];
		snprintf(d, sizeof(d), "%s/unified/oci-run", base);
		ck_assert_int_eq(mkdir(d, 0755), 0);
		put("unified/oci-run/cgroup.controllers", v1 ? "" : "cpuset cpu io memory pids\n");
		put("unified/oci-run/cgroup.subtree_control", "");
	}
	cg = oci_cgroup_create(&mgr, NULL, "c", NULL, &err);
	ck_assert_msg(cg != NULL, "%s", err.msg);
	static const char *v1_files[] = {
	    "memory/oci-run/c/memory.limit_in_bytes",
	    "memory/oci-run/c/memory.memsw.limit_in_bytes",
	    "memory/oci-run/c/memory.soft_limit_in_bytes",
	    "memory/oci-run/c/memory.swappiness",
	    "memory/oci-run/c/memory.oom_control",
	    "cpu,cpuacct/oci-run/c/cpu.shares",
	    "cpu,cpuacct/oci-run/c/cpu.cfs_period_us",
	    "cpu,cpuacct/oci-run/c/cpu.cfs_quota_us",
	    "pids/oci-run/c/pids.max",
	    "freezer/oci-run/c/freezer.state",
	    "devices/oci-run/c/devices.allow",
	    "devices/oci-run/c/devices.deny",
	    "blkio/oci-run/c/blkio.weight",
	};
	for (size_t i = 0; v1 && i < ARRAY_SIZE(v1_files); i++)
		put(v1_files[i], "");
	if (v1)
		put("freezer/oci-run/c/freezer.state", "THAWED\n");
	static const char *v2_files[] = {"memory.max",	  "memory.swap.max", "memory.low",
					 "cpu.weight",	  "cpu.max",	     "pids.max",
					 "cpuset.cpus",	  "cpuset.mems",     "io.weight",
					 "cgroup.freeze", "cgroup.procs"};
	for (size_t i = 0; unified && !v1 && i < ARRAY_SIZE(v2_files); i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "unified/oci-run/c/%s", v2_files[i]);
		put(rel, "");
	}
	if (unified) {
		put("unified/oci-run/c/cgroup.controllers",
		    v1 ? "" : "cpuset cpu io memory pids\n");
		put("unified/oci-run/c/cgroup.freeze", "0\n");
		put("unified/oci-run/c/cgroup.events", "populated 0\nfrozen 0\n");
	}
}

static void unhost(void)
{
	oci_cgroup_free(cg);
	cg = NULL;
	oci_cgroup_manager_release(&mgr);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
}

/* Parse res (JSON text) and write it as update does (create: as create does). */
static int apply(const char *json, bool create, oci_error *err)
{
	json_error_t je;
	json_t *j = json_loads(json, 0, &je);
	ck_assert_msg(j != NULL, "bad test JSON: %s", je.text);
	oci_resources res;
	int r = oci_resources_parse(j, &res, err);
	json_decref(j);
	if (r < 0)
		return r;
	r = create ? oci_cgroup_apply(cg, &res, err) : oci_cgroup_update(cg, &res, err);
	oci_resources_release(&res);
	return r;
}

#define APPLY_OK(json, create)                                                                     \
	do {                                                                                       \
		oci_error e_ = OCI_ERROR_INIT;                                                     \
		ck_assert_msg(apply(json, create, &e_) == 0, "%s: %s", json, e_.msg);              \
	} while (0)

#define APPLY_FAILS(json, msg_part)                                                                \
	do {                                                                                       \
		oci_error e_ = OCI_ERROR_INIT;                                                     \
		ck_assert_msg(apply(json, false, &e_) < 0, "%s: accepted", json);                  \
		ck_assert_msg(strstr(e_.msg, msg_part), "%s: message '%s'", json, e_.msg);         \
	} while (0)

START_TEST(test_v1_writers)
{
	unit_skip_unless_root(CREATE_IN_FAKE_TREE);
	host(true, false);
	ck_assert_ptr_eq(cg->ops, &oci_cgroup_v1_ops);
	/* a new cpuset cgroup takes its parent's cpus and mems */
	ck_assert_str_eq(get("cpuset/oci-run/c/cpuset.cpus"), "0-3\n");
	ck_assert_str_eq(get("cpuset/oci-run/c/cpuset.mems"), "0\n");
	put("cpuset/oci-run/c/cpuset.cpus", "");
	APPLY_OK("{\"memory\": {\"limit\": 104857600, \"swap\": 209715200, \"reservation\": "
		 "52428800, \"swappiness\": 10, \"disableOOMKiller\": true}, \"pids\": {\"limit\": "
		 "50}, \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": "
		 "\"1\"}, \"blockIO\": {\"weight\": 300}}",
		 false);
	ck_assert_str_eq(get("memory/oci-run/c/memory.limit_in_bytes"), "104857600");
	ck_assert_str_eq(get("memory/oci-run/c/memory.memsw.limit_in_bytes"), "209715200");
	ck_assert_str_eq(get("memory/oci-run/c/memory.soft_limit_in_bytes"), "52428800");
	ck_assert_str_eq(get("memory/oci-run/c/memory.swappiness"), "10");
	ck_assert_str_eq(get("memory/oci-run/c/memory.oom_control"), "1");
	ck_assert_str_eq(get("pids/oci-run/c/pids.max"), "50");
	ck_assert_str_eq(get("cpu,cpuacct/oci-run/c/cpu.shares"), "512");
	ck_assert_str_eq(get("cpu,cpuacct/oci-run/c/cpu.cfs_quota_us"), "50000");
	ck_assert_str_eq(get("cpu,cpuacct/oci-run/c/cpu.cfs_period_us"), "100000");
	ck_assert_str_eq(get("cpuset/oci-run/c/cpuset.cpus"), "1");
	ck_assert_str_eq(get("blkio/oci-run/c/blkio.weight"), "300");
	/* throttle lists, one "MAJ:MIN RATE" line per device, in blkio.throttle.* */
	put("blkio/oci-run/c/blkio.throttle.read_bps_device", "");
	put("memory/oci-run/c/memory.kmem.tcp.limit_in_bytes", "");
	APPLY_OK("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, "
		 "\"rate\": 1048576}]}, \"memory\": {\"kernelTCP\": 16777216}}",
		 false);
	ck_assert_str_eq(get("blkio/oci-run/c/blkio.throttle.read_bps_device"), "8:0 1048576");
	ck_assert_str_eq(get("memory/oci-run/c/memory.kmem.tcp.limit_in_bytes"), "16777216");
	/* a kernel without per-device weights: refused by name, nothing written */
	APPLY_FAILS("{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, "
		    "\"weight\": 200}]}}",
		    "blockIO.weightDevice: cannot be applied: no blkio.weight_device");
	/* update writes only what is given; -1 pids is "max" */
	put("memory/oci-run/c/memory.limit_in_bytes", "");
	APPLY_OK("{\"pids\": {\"limit\": -1}}", false);
	ck_assert_str_eq(get("pids/oci-run/c/pids.max"), "max");
	ck_assert_str_eq(get("memory/oci-run/c/memory.limit_in_bytes"), "");
	/* runtime-spec 1.3 (runc HEAD): 0 is a limit of 0; no limit leaves pids.max alone */
	put("pids/oci-run/c/pids.max", "");
	APPLY_OK("{\"pids\": {\"limit\": 0}}", false);
	ck_assert_str_eq(get("pids/oci-run/c/pids.max"), "0");
	APPLY_OK("{\"pids\": {}}", false);
	ck_assert_str_eq(get("pids/oci-run/c/pids.max"), "0");
	/* no v1 hierarchy for it and no unified tree: an error naming the key */
	APPLY_FAILS("{\"network\": {\"classID\": 1}}",
		    "linux.resources.network.classID: cannot be applied: no net_cls");
	APPLY_FAILS("{\"unified\": {\"memory.high\": \"1\"}}",
		    "linux.resources.unified.memory.high: invalid on cgroup v1: this host has no "
		    "cgroup v2 hierarchy");
	/* swap is memory+swap: never below the limit, and checked before memory is written */
	put("memory/oci-run/c/memory.limit_in_bytes", "104857600\n");
	put("memory/oci-run/c/memory.memsw.limit_in_bytes", "209715200\n");
	APPLY_FAILS("{\"memory\": {\"limit\": 209715200, \"swap\": 104857600}}",
		    "linux.resources.memory.swap: 104857600 is below memory.limit 209715200");
	ck_assert_str_eq(get("memory/oci-run/c/memory.limit_in_bytes"), "104857600\n");
	/* swap alone is measured against the limit in force; without one it is refused */
	APPLY_FAILS("{\"memory\": {\"swap\": 52428800}}", "is below memory.limit 104857600");
	put("memory/oci-run/c/memory.limit_in_bytes", "9223372036854771712\n");
	APPLY_FAILS("{\"memory\": {\"swap\": 52428800}}",
		    "unable to set swap limit without memory limit");
	ck_assert_str_eq(get("memory/oci-run/c/memory.memsw.limit_in_bytes"), "209715200\n");
	/* memory -1 without swap lifts swap too, first (runc's order), so both writes pass */
	put("memory/oci-run/c/memory.limit_in_bytes", "");
	put("memory/oci-run/c/memory.memsw.limit_in_bytes", "");
	APPLY_OK("{\"memory\": {\"limit\": -1}}", false);
	ck_assert_str_eq(get("memory/oci-run/c/memory.limit_in_bytes"), "-1");
	ck_assert_str_eq(get("memory/oci-run/c/memory.memsw.limit_in_bytes"), "-1");
	/* swap 0 is unset */
	put("memory/oci-run/c/memory.memsw.limit_in_bytes", "");
	APPLY_OK("{\"memory\": {\"limit\": 104857600, \"swap\": 0}}", false);
	ck_assert_str_eq(get("memory/oci-run/c/memory.memsw.limit_in_bytes"), "");
	unhost();
}
END_TEST

START_TEST(test_v1_devices_at_create)
{
	unit_skip_unless_root(CREATE_IN_FAKE_TREE);
	host(true, false);
	APPLY_OK("{\"devices\": [{\"allow\": true, \"type\": \"b\", \"major\": 8, "
		 "\"access\": \"r\"}]}",
		 true);
	/* deny-all first, then the config's rules, then runc's defaults, one write each through
	 * one open of the file (the kernel takes each write as a line; the fake file keeps them
	 * one after the other) */
	ck_assert_str_eq(get("devices/oci-run/c/devices.deny"), "a");
	ck_assert_str_eq(get("devices/oci-run/c/devices.allow"), "b 8:* r"
								 "c *:* m"
								 "b *:* m"
								 "c 1:3 rwm"
								 "c 1:8 rwm"
								 "c 1:7 rwm"
								 "c 5:0 rwm"
								 "c 1:5 rwm"
								 "c 1:9 rwm"
								 "c 136:* rwm"
								 "c 5:2 rwm"
								 "c 10:200 rwm");
	/* a deny rule of the config goes to devices.deny */
	put("devices/oci-run/c/devices.deny", "");
	APPLY_OK("{\"devices\": [{\"allow\": false, \"type\": \"c\", \"major\": 1, "
		 "\"minor\": 5, \"access\": \"w\"}]}",
		 false);
	ck_assert_str_eq(get("devices/oci-run/c/devices.deny"), "c 1:5 w");
	/* at update, nothing without a devices list */
	put("devices/oci-run/c/devices.deny", "");
	APPLY_OK("{\"pids\": {\"limit\": 5}}", false);
	ck_assert_str_eq(get("devices/oci-run/c/devices.deny"), "");
	unhost();
}
END_TEST

START_TEST(test_v2_writers)
{
	unit_skip_unless_root(CREATE_IN_FAKE_TREE);
	host(false, true);
	ck_assert_ptr_eq(cg->ops, &oci_cgroup_v2_ops);
	APPLY_OK("{\"memory\": {\"limit\": 104857600, \"swap\": 209715200, \"reservation\": "
		 "52428800}, \"pids\": {\"limit\": 50}, \"cpu\": {\"shares\": 1024, \"quota\": "
		 "50000, \"period\": 100000, \"cpus\": \"1\", \"mems\": \"0\"}, \"blockIO\": "
		 "{\"weight\": 500}}",
		 false);
	ck_assert_str_eq(get("unified/oci-run/c/memory.max"), "104857600");
	/* v1's memsw is memory+swap: v2's swap.max is the difference */
	ck_assert_str_eq(get("unified/oci-run/c/memory.swap.max"), "104857600");
	ck_assert_str_eq(get("unified/oci-run/c/memory.low"), "52428800");
	ck_assert_str_eq(get("unified/oci-run/c/pids.max"), "50");
	/* runc's shares -> weight: 1 + (shares - 2) * 9999 / 262142 */
	ck_assert_str_eq(get("unified/oci-run/c/cpu.weight"), "39");
	ck_assert_str_eq(get("unified/oci-run/c/cpu.max"), "50000 100000");
	ck_assert_str_eq(get("unified/oci-run/c/cpuset.cpus"), "1");
	ck_assert_str_eq(get("unified/oci-run/c/cpuset.mems"), "0");
	/* runc's blkio weight -> io.weight: 1 + (w - 10) * 9999 / 990 */
	ck_assert_str_eq(get("unified/oci-run/c/io.weight"), "4950");
	/* the controllers were enabled in every ancestor, top down (the last one written) */
	ck_assert(!strncmp(get("unified/cgroup.subtree_control"), "+io", 3));
	ck_assert(!strncmp(get("unified/oci-run/cgroup.subtree_control"), "+io", 3));
	/* a limit of -1 or 0 is "max"; a quota of -1 keeps the period */
	put("unified/oci-run/c/memory.max", "");
	put("unified/oci-run/c/cpu.max", "");
	APPLY_OK("{\"memory\": {\"limit\": -1}, \"cpu\": {\"quota\": -1, \"period\": 50000}}",
		 false);
	ck_assert_str_eq(get("unified/oci-run/c/memory.max"), "max");
	ck_assert_str_eq(get("unified/oci-run/c/cpu.max"), "max 50000");
	/* a period alone keeps the quota in force; a quota alone is written alone (the kernel
	 * keeps the period) */
	put("unified/oci-run/c/cpu.max", "30000 100000\n");
	APPLY_OK("{\"cpu\": {\"period\": 200000}}", false);
	ck_assert_str_eq(get("unified/oci-run/c/cpu.max"), "30000 200000\n");
	put("unified/oci-run/c/cpu.max", "");
	APPLY_OK("{\"cpu\": {\"quota\": 40000}}", false);
	ck_assert_str_eq(get("unified/oci-run/c/cpu.max"), "40000");
	/* BFQ takes the blkio weight as it is, and per-device weights; throttles go to io.max */
	put("unified/oci-run/c/io.bfq.weight", "");
	APPLY_OK("{\"blockIO\": {\"weight\": 500}}", false);
	ck_assert_str_eq(get("unified/oci-run/c/io.bfq.weight"), "500");
	put("unified/oci-run/c/io.bfq.weight", "");
	put("unified/oci-run/c/io.max", "");
	APPLY_OK("{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": "
		 "200}], \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": "
		 "100}]}}",
		 false);
	ck_assert_str_eq(get("unified/oci-run/c/io.bfq.weight"), "8:0 200");
	ck_assert_str_eq(get("unified/oci-run/c/io.max"), "8:16 wiops=100");
	unhost();
}
END_TEST

START_TEST(test_v2_refusals)
{
	unit_skip_unless_root(CREATE_IN_FAKE_TREE);
	host(false, true);
	APPLY_FAILS("{\"memory\": {\"limit\": 200, \"swap\": 100}}",
		    "linux.resources.memory.swap: 100 is below memory.limit 200");
	/* swap alone needs a memory limit (in force or in the same request) */
	put("unified/oci-run/c/memory.max", "max\n");
	put("unified/oci-run/c/memory.swap.max", "max\n");
	APPLY_FAILS("{\"memory\": {\"swap\": 100}}",
		    "unable to set swap limit without memory limit");
	put("unified/oci-run/c/memory.max", "200\n");
	put("unified/oci-run/c/memory.swap.max", "");
	APPLY_OK("{\"memory\": {\"swap\": 300}}", false);
	ck_assert_str_eq(get("unified/oci-run/c/memory.swap.max"), "100");
	/* the whole update is checked first: memory.max is not written when a later value of
	 * the same request is refused */
	APPLY_FAILS("{\"memory\": {\"limit\": 400}, \"cpu\": {\"shares\": 1}}",
		    "cpu.shares: 1 out of range");
	ck_assert_str_eq(get("unified/oci-run/c/memory.max"), "200\n");
	APPLY_FAILS("{\"cpu\": {\"realtimeRuntime\": 5}}", "not supported on cgroup v2");
	/* per-device weights need BFQ (no io.bfq.weight here); no leaf weights, no kmem */
	APPLY_FAILS("{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, "
		    "\"weight\": 200}]}}",
		    "blockIO.weightDevice: cannot be applied: per-device weights need the BFQ");
	APPLY_FAILS("{\"blockIO\": {\"leafWeight\": 200}}",
		    "blockIO.leafWeight: not supported on cgroup v2");
	APPLY_FAILS("{\"memory\": {\"kernelTCP\": 1048576}}",
		    "memory.kernelTCP: not supported on cgroup v2");
	APPLY_FAILS("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0}]}}",
		    "linux.resources.blockIO.throttleReadBpsDevice[0].rate");
	APPLY_FAILS("{\"cpu\": {\"shares\": 1}}", "linux.resources.cpu.shares: 1 out of range");
	APPLY_FAILS("{\"network\": {\"classID\": 1}}", "no net_cls cgroup controller");
	APPLY_FAILS("{\"devices\": []}", "cannot be changed by update on cgroup v2");
	APPLY_FAILS("{\"unified\": {\"../x\": \"1\"}}", "linux.resources.unified.../x: invalid");
	/* the container's cgroup does not offer hugetlb (the root does: not delegated) */
	APPLY_FAILS("{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 1}]}",
		    "hugepageLimits[0]: cannot be applied");
	/* a controller the tree does not have */
	put("unified/oci-run/c/cgroup.controllers", "cpu\n");
	APPLY_FAILS("{\"pids\": {\"limit\": 5}}",
		    "linux.resources.pids: cannot be applied: no pids cgroup controller");
	unhost();
}
END_TEST

/* The two memory fields cgroup v2 has no file for are said on stderr (runc's fs2 drops them in
 * silence), not refused; disableOOMKiller false, which podman passes by default, says nothing. */
START_TEST(test_v2_ignored_fields_are_said)
{
	unit_skip_unless_root(CREATE_IN_FAKE_TREE);
	host(false, true);
	char logp[128];
	snprintf(logp, sizeof(logp), "%s/warnings.log", base);
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_log_set_file(logp, &err), 0);
	oci_log_set_level(OCI_LOG_WARN);
	APPLY_OK("{\"memory\": {\"limit\": 104857600, \"disableOOMKiller\": false}}", false);
	ck_assert_str_eq(get("warnings.log"), "");
	APPLY_OK("{\"memory\": {\"swappiness\": 60}}", false);
	ck_assert_msg(strstr(get("warnings.log"), "linux.resources.memory.swappiness: ignored: "
						  "cgroup v2 has no memory.swappiness"),
		      "%s", get("warnings.log"));
	ck_assert(!strstr(get("warnings.log"), "disableOOMKiller"));
	/* once: the apply's dry run (which checks everything first) says nothing */
	ck_assert(
	    !strstr(strstr(get("warnings.log"), "swappiness: ignored") + 1, "swappiness: ignored"));
	put("warnings.log", "");
	APPLY_OK("{\"memory\": {\"disableOOMKiller\": true}}", false);
	ck_assert_msg(strstr(get("warnings.log"), "linux.resources.memory.disableOOMKiller: "
						  "ignored: cgroup v2 cannot disable"),
		      "%s", get("warnings.log"));
	ck_assert(!strstr(get("warnings.log"), "swappiness"));
	ck_assert_str_eq(get("unified/oci-run/c/memory.max"), "104857600");
	unhost();
}
END_TEST

START_TEST(test_parse_errors_name_the_path)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
	    {"{\"memory\": {\"limit\": \"1g\"}}",
	     "linux.resources.memory.limit: expected an integer"},
	    {"{\"memory\": 5}", "linux.resources.memory: expected an object"},
	    {"{\"cpu\": {\"cpus\": 1}}", "linux.resources.cpu.cpus: expected a string"},
	    {"{\"pids\": {\"limit\": 1.5}}", "linux.resources.pids.limit: expected an integer"},
	    {"{\"blockIO\": {\"weight\": true}}",
	     "linux.resources.blockIO.weight: expected an integer"},
	    {"{\"devices\": {}}", "linux.resources.devices: expected an array"},
	    {"{\"devices\": [{\"allow\": true, \"type\": \"x\"}]}",
	     "linux.resources.devices[0].type: expected a, b or c"},
	    {"{\"devices\": [{\"access\": \"r\"}]}",
	     "linux.resources.devices[0].allow: expected a boolean"},
	    {"{\"hugepageLimits\": [{\"pageSize\": \"a/b\", \"limit\": 1}]}",
	     "linux.resources.hugepageLimits[0]: expected pageSize and limit"},
	    {"{\"network\": {\"priorities\": [{\"name\": \"eth0\"}]}}",
	     "linux.resources.network.priorities[0]: expected name and priority"},
	    {"{\"unified\": {\"memory.high\": 5}}",
	     "linux.resources.unified.memory.high: expected a string"},
	    {"[]", "linux.resources: expected an object"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		ck_assert_ptr_nonnull(j);
		oci_resources res;
		oci_error err = OCI_ERROR_INIT;
		ck_assert_msg(oci_resources_parse(j, &res, &err) < 0, "%s: accepted",
			      cases[i].json);
		ck_assert_msg(strstr(err.msg, cases[i].msg), "%s: message '%s'", cases[i].json,
			      err.msg);
		json_decref(j);
	}
	/* unknown keys are ignored; null is absent; an empty group asks for nothing */
	json_t *j =
	    json_loads("{\"x\": 1, \"memory\": {\"limit\": null, \"y\": 2}, \"cpu\": {}}", 0, NULL);
	oci_resources res;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_resources_parse(j, &res, &err), 0);
	ck_assert(!res.memory.limit.set);
	ck_assert(res.memory.requested);
	ck_assert(!res.cpu.requested);
	oci_resources_release(&res);
	json_decref(j);
}
END_TEST

START_TEST(test_freezers)
{
	unit_skip_unless_root(CREATE_IN_FAKE_TREE);
	oci_error err = OCI_ERROR_INIT;
	host(true, false);
	ck_assert(!oci_cgroup_is_frozen(cg));
	ck_assert_ptr_null(oci_cgroup_frozen_dir(cg));
	ck_assert_int_eq(oci_cgroup_freeze(cg, true, &err), 0);
	ck_assert_str_eq(get("freezer/oci-run/c/freezer.state"), "FROZEN\n");
	ck_assert(oci_cgroup_is_frozen(cg));
	ck_assert_ptr_nonnull(strstr(oci_cgroup_frozen_dir(cg), "/freezer/oci-run/c"));
	ck_assert_int_eq(oci_cgroup_freeze(cg, false, &err), 0);
	ck_assert_str_eq(get("freezer/oci-run/c/freezer.state"), "THAWED\n");
	unhost();

	host(false, true);
	put("unified/oci-run/c/cgroup.events", "populated 1\nfrozen 1\n");
	ck_assert_int_eq(oci_cgroup_freeze(cg, true, &err), 0);
	ck_assert_str_eq(get("unified/oci-run/c/cgroup.freeze"), "1\n");
	ck_assert(oci_cgroup_is_frozen(cg));
	ck_assert_int_eq(oci_cgroup_freeze(cg, false, &err), 0);
	ck_assert_str_eq(get("unified/oci-run/c/cgroup.freeze"), "0\n");
	ck_assert(!oci_cgroup_is_frozen(cg));
	/* frozen through an ancestor: cgroup.events says so */
	ck_assert_ptr_nonnull(oci_cgroup_frozen_dir(cg));
	unhost();
}
END_TEST

/* The init's own join (hybrid host): "0" (itself) into each v1 hierarchy's tasks file, the
 * unified directory left alone when the clone put it there, else its cgroup.procs; a missing
 * tasks file is an error naming the directory. The pure v2 driver does the same with its one
 * directory; the systemd one leaves the join to the runtime. */
START_TEST(test_enter_self)
{
	unit_skip_unless_root(CREATE_IN_FAKE_TREE);
	oci_error err = OCI_ERROR_INIT;
	host(true, true);
	static const char *v1[] = {"memory",  "cpu,cpuacct", "pids", "cpuset",
				   "freezer", "devices",     "blkio"};
	char rel[128];
	for (size_t i = 0; i < ARRAY_SIZE(v1); i++) {
		snprintf(rel, sizeof(rel), "%s/oci-run/c/tasks", v1[i]);
		put(rel, "");
	}
	put("unified/oci-run/c/cgroup.procs", "");
	ck_assert(oci_cgroup_can_enter_self(cg));
	int unified;
	int fd = oci_cgroup_open_unified(cg, &unified);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_ge(unified, 0);
	ck_assert_ptr_nonnull(strstr(cg->dirs[unified], "/unified/oci-run/c"));
	ck_assert_int_eq(oci_cgroup_enter_self(cg, unified, true, &err), 0);
	for (size_t i = 0; i < ARRAY_SIZE(v1); i++) {
		snprintf(rel, sizeof(rel), "%s/oci-run/c/tasks", v1[i]);
		ck_assert_str_eq(get(rel), "0");
	}
	ck_assert_str_eq(get("unified/oci-run/c/cgroup.procs"), "");
	ck_assert_int_eq(oci_cgroup_enter_self(cg, unified, false, &err), 0);
	ck_assert_str_eq(get("unified/oci-run/c/cgroup.procs"), "0");
	snprintf(rel, sizeof(rel), "%s/pids/oci-run/c/tasks", base);
	ck_assert_int_eq(unlink(rel), 0);
	ck_assert_int_lt(oci_cgroup_enter_self(cg, unified, true, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot join cgroup"));
	ck_assert_ptr_nonnull(strstr(err.msg, "/pids/oci-run/c"));
	unhost();

	/* pure v2: the one directory is the unified one, the clone's way in or its
	 * cgroup.procs */
	host(false, true);
	put("unified/oci-run/c/cgroup.procs", "");
	ck_assert(oci_cgroup_can_enter_self(cg));
	fd = oci_cgroup_open_unified(cg, &unified);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(unified, 0);
	ck_assert_int_eq(oci_cgroup_enter_self(cg, unified, true, &err), 0);
	ck_assert_str_eq(get("unified/oci-run/c/cgroup.procs"), "");
	ck_assert_int_eq(oci_cgroup_enter_self(cg, unified, false, &err), 0);
	ck_assert_str_eq(get("unified/oci-run/c/cgroup.procs"), "0");
	unhost();
}
END_TEST

/* v2: a freeze the kernel never reports done ("frozen 0" in cgroup.events) is an error, and
 * the cgroup is thawed again when this freeze froze it (runc: "unable to freeze"). The wait
 * is 50 ms here instead of pause's 5 s. */
START_TEST(test_v2_freeze_that_never_happens)
{
	oci_error err = OCI_ERROR_INIT;
	host(false, true);
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/unified/oci-run/c", base);
	put("unified/oci-run/c/cgroup.events", "populated 1\nfrozen 0\n");
	ck_assert_int_lt(oci_cgroup_v2_freeze_dir(dir, true, 50, &err), 0);
	ck_assert_msg(strstr(err.msg, "unable to freeze cgroup '") &&
			  strstr(err.msg, "did not say 'frozen 1' within 50 ms (thawed again)"),
		      "message '%s'", err.msg);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	ck_assert_str_eq(get("unified/oci-run/c/cgroup.freeze"), "0\n");
	ck_assert(!oci_cgroup_is_frozen(cg));
	oci_err_clear(&err);

	/* frozen already (by an earlier pause): a failed freeze leaves it frozen */
	put("unified/oci-run/c/cgroup.freeze", "1\n");
	ck_assert_int_lt(oci_cgroup_v2_freeze_dir(dir, true, 50, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "unable to freeze"));
	ck_assert_ptr_null(strstr(err.msg, "thawed again"));
	ck_assert_str_eq(get("unified/oci-run/c/cgroup.freeze"), "1\n");
	oci_err_clear(&err);

	/* the kernel says frozen: success, frozen, and this call froze it (1: to undo) */
	put("unified/oci-run/c/cgroup.freeze", "0\n");
	put("unified/oci-run/c/cgroup.events", "populated 1\nfrozen 1\n");
	ck_assert_int_eq(oci_cgroup_v2_freeze_dir(dir, true, 50, &err), 1);
	ck_assert_str_eq(get("unified/oci-run/c/cgroup.freeze"), "1\n");
	/* frozen already, or a thaw: nothing this call would undo */
	ck_assert_int_eq(oci_cgroup_v2_freeze_dir(dir, true, 50, &err), 0);
	ck_assert_int_eq(oci_cgroup_v2_freeze_dir(dir, false, 50, &err), 0);
	ck_assert_str_eq(get("unified/oci-run/c/cgroup.freeze"), "0\n");
	unhost();
}
END_TEST

/* The kernel's v1 freezer while a task cannot be stopped: it takes the write of FROZEN, then
 * says FREEZING until THAWED is written. The test plays it on a file of the fake tree: at
 * each open of freezer.state (a fanotify permission event, which holds the opener until it
 * is answered; root only), a FROZEN found there becomes FREEZING, and THAWED is tidied to
 * "THAWED\n" (the runtime writes over the file without truncating it, as on cgroupfs). */
struct freezing_kernel {
	int fan, file;
	int stop[2]; /* a pipe: written to end the player */
	pthread_t th;
	volatile int asked; /* how many times FROZEN was found written */
};

static void *play_freezer(void *arg)
{
	struct freezing_kernel *k = arg;
	char ev[4096] __attribute__((aligned(8)));
	for (;;) {
		/* ended by the pipe, not by an event: an open made to wake it could come after it
		 * had left, and then wait for its answer for ever */
		struct pollfd pf[2] = {{.fd = k->fan, .events = POLLIN},
				       {.fd = k->stop[0], .events = POLLIN}};
		if (poll(pf, 2, -1) < 0 || pf[1].revents)
			return NULL;
		if (!pf[0].revents)
			continue;
		ssize_t n = read(k->fan, ev, sizeof(ev));
		if (n <= 0)
			return NULL;
		struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)ev;
		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			char cur[64] = "";
			ssize_t l = pread(k->file, cur, sizeof(cur) - 1, 0);
			const char *now = NULL;
			if (l >= 6 && !strncmp(cur, "FROZEN", 6)) {
				k->asked++;
				now = "FREEZING\n";
			} else if (l >= 6 && !strncmp(cur, "THAWED", 6)) {
				now = "THAWED\n";
			}
			if (now &&
			    (ftruncate(k->file, 0) < 0 || pwrite(k->file, now, strlen(now), 0) < 0))
				k->asked = -1000;
			struct fanotify_response r = {.fd = m->fd, .response = FAN_ALLOW};
			if (write(k->fan, &r, sizeof(r)) < 0)
				k->asked = -1000;
			if (m->fd >= 0)
				close(m->fd);
		}
	}
	return NULL;
}

/* false when fanotify permission events are not available (not root) */
static bool freezing_kernel_start(struct freezing_kernel *k, const char *path)
{
	memset(k, 0, sizeof(*k));
	k->fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
	if (k->fan < 0)
		return false;
	k->file = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(k->file, 0);
	ck_assert_int_eq(pipe2(k->stop, O_CLOEXEC), 0);
	ck_assert_int_eq(fanotify_mark(k->fan, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD, path), 0);
	ck_assert_int_eq(pthread_create(&k->th, NULL, play_freezer, k), 0);
	return true;
}

static void freezing_kernel_stop(struct freezing_kernel *k)
{
	ck_assert_int_eq(write(k->stop[1], "", 1), 1);
	ck_assert_int_eq(pthread_join(k->th, NULL), 0);
	close(k->fan);
	close(k->file);
	close(k->stop[0]);
	close(k->stop[1]);
	ck_assert_int_ge(k->asked, 0);
}

/* v1: a freeze that stays FREEZING is an error, and the cgroup is thawed again when this
 * freeze froze it; before, pause failed ("did not freeze") and left the container FREEZING:
 * some of its processes stopped, and every new one. The wait is 50 ms instead of 5 s. */
START_TEST(test_v1_freeze_that_never_happens)
{
	oci_error err = OCI_ERROR_INIT;
	host(true, false);
	char dir[256], state[300];
	snprintf(dir, sizeof(dir), "%s/freezer/oci-run/c", base);
	snprintf(state, sizeof(state), "%s/freezer.state", dir);
	struct freezing_kernel k;
	if (!freezing_kernel_start(&k, state)) {
		unit_skip("no fanotify permission events (needs root)");
		unhost();
		return;
	}
	ck_assert_int_lt(oci_cgroup_v1_freeze_dir(dir, true, 50, &err), 0);
	ck_assert_msg(strstr(err.msg, "unable to freeze cgroup '") &&
			  strstr(err.msg, "freezer.state still said 'FREEZING', not 'FROZEN', "
					  "after 50 ms (thawed again)"),
		      "message '%s'", err.msg);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	ck_assert_int_eq(k.asked, 1);
	ck_assert_str_eq(get("freezer/oci-run/c/freezer.state"), "THAWED\n");
	ck_assert(!oci_cgroup_is_frozen(cg));
	oci_err_clear(&err);

	/* FREEZING already (an earlier pause that never finished): not thawed by this one */
	put("freezer/oci-run/c/freezer.state", "FREEZING\n");
	ck_assert_int_lt(oci_cgroup_v1_freeze_dir(dir, true, 50, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "unable to freeze"));
	ck_assert_ptr_null(strstr(err.msg, "thawed again"));
	ck_assert_str_eq(get("freezer/oci-run/c/freezer.state"), "FREEZING\n");
	oci_err_clear(&err);
	freezing_kernel_stop(&k);

	/* the kernel says FROZEN: success, frozen, and this call froze it (1: to undo) */
	put("freezer/oci-run/c/freezer.state", "THAWED\n");
	ck_assert_int_eq(oci_cgroup_v1_freeze_dir(dir, true, 50, &err), 1);
	ck_assert_str_eq(get("freezer/oci-run/c/freezer.state"), "FROZEN\n");
	/* frozen already, or a thaw: nothing this call would undo */
	ck_assert_int_eq(oci_cgroup_v1_freeze_dir(dir, true, 50, &err), 0);
	ck_assert_int_eq(oci_cgroup_v1_freeze_dir(dir, false, 50, &err), 0);
	ck_assert_str_eq(get("freezer/oci-run/c/freezer.state"), "THAWED\n");
	unhost();
}
END_TEST

/* The walk below a container's cgroup leaves nothing out: a directory past the 100000th (the
 * walk stopped there once, so a process in a cgroup below it was never signalled and its
 * parent never removed) nor one deeper than PATH_MAX, whose processes are read and which is
 * removed through its parent. A plain directory tree stands for the cgroups. */
START_TEST(test_subtree_wide_and_deep)
{
	/* in memory where there is a tmpfs: 100000 directories on a disk take a minute */
	char top[64] = "/dev/shm/test_cgtree.XXXXXX";
	if (!mkdtemp(top)) {
		snprintf(top, sizeof(top), "/tmp/test_cgtree.XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(top));
	}
	int tfd = open(top, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(tfd, 0);
	enum { WIDE = 100005, DEPTH = 25 };
	for (int i = 0; i < WIDE; i++) {
		char n[16];
		snprintf(n, sizeof(n), "c%d", i);
		ck_assert_int_eq(mkdirat(tfd, n, 0755), 0);
	}
	/* the grandchild goes under the child the walk reaches last */
	char last[256] = "";
	DIR *d = opendir(top);
	ck_assert_ptr_nonnull(d);
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] == 'c')
			snprintf(last, sizeof(last), "%s", de->d_name);
	closedir(d);
	char g[300];
	snprintf(g, sizeof(g), "%s/g", last);
	ck_assert_int_eq(mkdirat(tfd, g, 0755), 0);
	/* and a chain of 25 names of 200 characters below c0 */
	char name[201];
	memset(name, 'n', 200);
	name[200] = '\0';
	int cur = openat(tfd, "c0", O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < DEPTH; i++) {
		ck_assert_int_eq(mkdirat(cur, name, 0755), 0);
		int next = openat(cur, name, O_RDONLY | O_DIRECTORY);
		ck_assert_int_ge(next, 0);
		close(cur);
		cur = next;
	}
	int f = openat(cur, "cgroup.procs", O_WRONLY | O_CREAT, 0644);
	ck_assert_int_eq(write(f, "42\n", 3), 3);
	close(f);
	close(cur);

	char *dirs[] = {top};
	oci_cgroup_tree all;
	ck_assert_int_eq(oci_cgroup_subtree(dirs, 1, &all), 0);
	ck_assert_uint_eq(all.n, 1 + WIDE + 1 + DEPTH);
	char want[400];
	snprintf(want, sizeof(want), "%s/%s/g", top, last);
	char *deepest = NULL;
	bool found = false;
	for (size_t i = 0; i < all.n; i++) {
		const char *p = oci_cgroup_tree_path(&all, i);
		ck_assert_ptr_nonnull(p);
		found |= !strcmp(p, want);
		if (strlen(p) > PATH_MAX) {
			free(deepest);
			deepest = strdup(p);
		}
	}
	ck_assert_msg(found, "'%s' not walked", want);
	ck_assert_ptr_nonnull(deepest);
	pid_t *pids = NULL;
	size_t n = 0, cap = 0;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_cgroup_read_procs(deepest, &pids, &n, &cap, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(pids[0], 42);
	free(pids);
	/* removed through its parent once empty; gone already is no error */
	ck_assert_int_lt(oci_cgroup_rmdir(deepest, &err), 0);
	ck_assert_int_eq(err.sys_errno, ENOTEMPTY);
	oci_err_clear(&err);
	int dd = oci_open_any_length(deepest, O_PATH | O_DIRECTORY);
	ck_assert_int_ge(dd, 0);
	ck_assert_int_eq(unlinkat(dd, "cgroup.procs", 0), 0);
	close(dd);
	ck_assert_msg(oci_cgroup_rmdir(deepest, &err) == 0, "%s", err.msg);
	ck_assert_int_lt(oci_open_any_length(deepest, O_PATH), 0);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(oci_cgroup_rmdir(deepest, &err), 0);
	oci_cgroup_tree_release(&all);
	free(deepest);
	close(tfd);
	ck_assert_int_eq(oci_remove_tree_at(AT_FDCWD, top, &err), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_cgroup_writers");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_v1_writers);
	tcase_add_test(tc, test_v1_devices_at_create);
	tcase_add_test(tc, test_v2_writers);
	tcase_add_test(tc, test_v2_refusals);
	tcase_add_test(tc, test_v2_ignored_fields_are_said);
	tcase_add_test(tc, test_parse_errors_name_the_path);
	tcase_add_test(tc, test_freezers);
	tcase_add_test(tc, test_enter_self);
	tcase_add_test(tc, test_v2_freeze_that_never_happens);
	tcase_add_test(tc, test_v1_freeze_that_never_happens);
	suite_add_tcase(s, tc);
	/* 100000 directories made and removed: seconds (a minute without /dev/shm) */
	TCase *walk = tcase_create("walk");
	tcase_set_timeout(walk, 120);
	tcase_add_test(walk, test_subtree_wide_and_deep);
	suite_add_tcase(s, walk);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
