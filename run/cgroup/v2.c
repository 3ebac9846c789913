/* The cgroup v2 driver: the container's directory in the unified tree. Each linux.resources
 * group has its writer here (the controller enabled first in every ancestor's
 * subtree_control, as runc's fs2 manager does); the device list is the eBPF filter of
 * devices_bpf.c; freezing is cgroup.freeze, done when cgroup.events says "frozen 1". The v1
 * driver calls these writers too, for the unified tree of a hybrid host. New cgroup v2
 * features go here. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "run/cgroup/internal.h"
#include "run/cgroup/stats.h"

const char *oci_cgroup_v2_unified(const oci_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->dirs[i] && oci_cgroup_has(cg->dirs[i], "cgroup.controllers"))
			return cg->dirs[i];
	return NULL;
}

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

static bool offers(const char *dir, const char *ctrl)
{
	char buf[1024];
	return oci_cgroup_read(dir, "cgroup.controllers", buf, sizeof(buf)) == 0 &&
	       word_in(buf, ctrl);
}

/* Enable ctrl from the topmost cgroup ancestor of dir down to dir's parent; false when the
 * hierarchy does not offer it (bound to v1 in a hybrid setup, or not delegated). */
static bool enable(const char *dir, const char *ctrl)
{
	cleanup_free char *path = strdup(dir);
	if (!path)
		return false;
	/* the ancestors that are cgroup directories, nearest first */
	char *levels[128];
	int n = 0;
	for (;;) {
		char *slash = strrchr(path, '/');
		if (!slash || slash == path)
			break;
		*slash = '\0';
		if (!oci_cgroup_has(path, "cgroup.controllers")) {
			*slash = '/';
			break;
		}
		if (n < 128)
			levels[n++] = slash;
	}
	for (int i = 0; i < n; i++)
		*levels[i] = '/';
	char plus[64];
	snprintf(plus, sizeof(plus), "+%s", ctrl);
	for (int i = n - 1; i >= 0; i--) {
		*levels[i] = '\0';
		if (!offers(path, ctrl))
			return false;
		oci_error e = OCI_ERROR_INIT;
		oci_cgroup_write(path, "cgroup.subtree_control", plus, "unified", &e);
		oci_err_clear(&e);
		*levels[i] = '/';
	}
	return offers(dir, ctrl);
}

/* The unified directory when ctrl is available there. */
static const char *dir_with(const oci_cgroup *cg, const char *ctrl)
{
	const char *d = oci_cgroup_v2_unified(cg);
	return d && enable(d, ctrl) ? d : NULL;
}

int oci_cgroup_v2_devices(const oci_cgroup *cg, const oci_device_rule *rules, size_t n, bool create,
			  oci_error *err)
{
	const char *d = oci_cgroup_v2_unified(cg);
	if (!d)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.devices: cannot be enforced: no devices cgroup for "
			       "this container");
	if (!create)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.devices: cannot be changed by update on cgroup v2");
	return oci_devices_bpf_attach(d, rules, n, err);
}

int oci_cgroup_v2_memory(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	const char *d = dir_with(cg, "memory");
	if (!d)
		return oci_cgroup_missing("memory", "memory", err);
	oci_res_int limit = res->memory.limit, swap = res->memory.swap;
	int64_t lim = limit.set ? limit.v : 0;
	char buf[32];
	if (limit.set) {
		snprintf(buf, sizeof(buf), lim <= 0 ? "max" : "%" PRId64, lim);
		if (oci_cgroup_write(d, "memory.max", buf, "memory.limit", err) < 0)
			return -1;
	}
	if (swap.set) {
		/* runc's ConvertMemorySwapToCgroupV2Value: v1's memsw is memory+swap */
		if (swap.v == -1 || lim <= 0)
			snprintf(buf, sizeof(buf), "max");
		else if (swap.v < lim)
			return oci_err(
			    err, OCI_E_INVALID,
			    "linux.resources.memory.swap: must be at least the limit on cgroup v2");
		else
			snprintf(buf, sizeof(buf), "%" PRId64, swap.v - lim);
		if (oci_cgroup_write(d, "memory.swap.max", buf, "memory.swap", err) < 0)
			return -1;
	}
	if (res->memory.reservation.set &&
	    oci_cgroup_write_int(d, "memory.low", res->memory.reservation.v, "memory.reservation",
				 err) < 0)
		return -1;
	return 0;
}

int oci_cgroup_v2_pids(const oci_cgroup *cg, const char *val, oci_error *err)
{
	const char *d = dir_with(cg, "pids");
	if (!d)
		return oci_cgroup_missing("pids", "pids", err);
	return oci_cgroup_write(d, "pids.max", val, "pids.limit", err);
}

int oci_cgroup_v2_cpuset(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	const char *d = dir_with(cg, "cpuset");
	const char *cpus = res->cpu.cpus, *mems = res->cpu.mems;
	if (!d)
		return oci_cgroup_missing("cpu.cpus", "cpuset", err);
	if (cpus && cpus[0] && oci_cgroup_write(d, "cpuset.cpus", cpus, "cpu.cpus", err) < 0)
		return -1;
	if (mems && mems[0] && oci_cgroup_write(d, "cpuset.mems", mems, "cpu.mems", err) < 0)
		return -1;
	return 0;
}

int oci_cgroup_v2_cpu(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	const char *d = dir_with(cg, "cpu");
	if (!d)
		return oci_cgroup_missing("cpu", "cpu", err);
	int64_t shares = res->cpu.shares.set ? res->cpu.shares.v : 0;
	int64_t quota = res->cpu.quota.set ? res->cpu.quota.v : 0;
	int64_t period = res->cpu.period.set ? res->cpu.period.v : 0;
	if ((res->cpu.rt_runtime.set && res->cpu.rt_runtime.v) ||
	    (res->cpu.rt_period.set && res->cpu.rt_period.v))
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.cpu.realtimeRuntime: not supported on cgroup v2");
	if (shares) {
		if (shares < 2 || shares > 262144)
			return oci_err(err, OCI_E_INVALID,
				       "linux.resources.cpu.shares: %" PRId64
				       " out of range 2..262144",
				       shares);
		if (oci_cgroup_write_int(d, "cpu.weight", 1 + ((shares - 2) * 9999) / 262142,
					 "cpu.shares", err) < 0)
			return -1;
	}
	if (quota || period) {
		char buf[64];
		if (quota > 0)
			snprintf(buf, sizeof(buf), "%" PRId64 " %" PRId64, quota,
				 period ? period : 100000);
		else
			snprintf(buf, sizeof(buf), "max %" PRId64, period ? period : 100000);
		if (oci_cgroup_write(d, "cpu.max", buf, "cpu.quota", err) < 0)
			return -1;
	}
	return 0;
}

int oci_cgroup_v2_blkio(const oci_cgroup *cg, int64_t w, oci_error *err)
{
	const char *d = dir_with(cg, "io");
	if (!d)
		return oci_cgroup_missing("blockIO", "blkio", err);
	/* runc's ConvertBlkIOToIOWeightValue */
	return oci_cgroup_write_int(
	    d, oci_cgroup_has(d, "io.bfq.weight") ? "io.bfq.weight" : "io.weight",
	    1 + (w - 10) * 9999 / 990, "blockIO.weight", err);
}

int oci_cgroup_v2_hugepage(const oci_cgroup *cg, const oci_res_hugepage *hp, oci_error *err)
{
	cleanup_free char *file = oci_asprintf(err, "hugetlb.%s.max", hp->page_size);
	cleanup_free char *rsvd = oci_asprintf(err, "hugetlb.%s.rsvd.max", hp->page_size);
	if (!file || !rsvd)
		return -1;
	const char *d = dir_with(cg, "hugetlb");
	if (!d || !oci_cgroup_has(d, file))
		return 1;
	if (oci_cgroup_write_int(d, file, hp->limit, "hugepageLimits", err) < 0)
		return -1;
	/* the reservation limit too, where the kernel has it (runc does the same) */
	if (oci_cgroup_has(d, rsvd) &&
	    oci_cgroup_write_int(d, rsvd, hp->limit, "hugepageLimits", err) < 0)
		return -1;
	return 0;
}

int oci_cgroup_v2_unified_keys(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	if (!res->n_unified)
		return 0;
	const char *d = oci_cgroup_v2_unified(cg);
	if (!d)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.unified: needs a cgroup v2 hierarchy");
	for (size_t i = 0; i < res->n_unified; i++) {
		const char *key = res->unified[i].key, *dot = strchr(key, '.');
		if (strchr(key, '/') || !strcmp(key, ".") || !strcmp(key, "..") || !dot)
			return oci_err(err, OCI_E_INVALID,
				       "linux.resources.unified.%s: invalid key or value", key);
		char ctrl[64];
		snprintf(ctrl, sizeof(ctrl), "%.*s", (int)(dot - key), key);
		if (strcmp(ctrl, "cgroup"))
			enable(d, ctrl);
		cleanup_free char *what = oci_asprintf(err, "unified.%s", key);
		if (!what || oci_cgroup_write(d, key, res->unified[i].value, what, err) < 0)
			return -1;
	}
	return 0;
}

static int v2_apply(const oci_cgroup *cg, const oci_resources *res, bool create, oci_error *err)
{
	static const oci_resources none;
	if (!res)
		res = &none;
	cleanup_free oci_device_rule *rules = NULL;
	size_t n;
	int r = oci_cgroup_device_rules(res, create, &rules, &n, err);
	if (r < 0 || (r == 0 && oci_cgroup_v2_devices(cg, rules, n, create, err) < 0))
		return -1;
	if (res->memory.requested && oci_cgroup_v2_memory(cg, res, err) < 0)
		return -1;
	if (res->pids.requested && res->pids.limit.set && res->pids.limit.v != 0) {
		char buf[32];
		int64_t l = res->pids.limit.v;
		snprintf(buf, sizeof(buf), l < 0 ? "max" : "%" PRId64, l);
		if (oci_cgroup_v2_pids(cg, buf, err) < 0)
			return -1;
	}
	if (res->cpu.requested) {
		bool cpuset =
		    (res->cpu.cpus && res->cpu.cpus[0]) || (res->cpu.mems && res->cpu.mems[0]);
		if (cpuset && oci_cgroup_v2_cpuset(cg, res, err) < 0)
			return -1;
		const oci_res_int *c[] = {&res->cpu.shares, &res->cpu.quota, &res->cpu.period,
					  &res->cpu.rt_runtime, &res->cpu.rt_period};
		bool any = false;
		for (size_t i = 0; i < ARRAY_SIZE(c); i++)
			any |= c[i]->set && c[i]->v != 0;
		if (any && oci_cgroup_v2_cpu(cg, res, err) < 0)
			return -1;
	}
	if (res->blkio.requested && res->blkio.weight.set && res->blkio.weight.v != 0 &&
	    oci_cgroup_v2_blkio(cg, res->blkio.weight.v, err) < 0)
		return -1;
	for (size_t i = 0; i < res->n_hugepages; i++) {
		int h = oci_cgroup_v2_hugepage(cg, &res->hugepages[i], err);
		if (h < 0)
			return -1;
		if (h > 0)
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "linux.resources.hugepageLimits[%zu]: cannot be applied: no "
				       "hugetlb cgroup controller with page size '%s'",
				       i, res->hugepages[i].page_size);
	}
	if (res->network.requested && res->network.class_id.set)
		return oci_cgroup_missing("network.classID", "net_cls", err);
	if (res->network.requested && res->network.n_prios)
		return oci_cgroup_missing("network.priorities", "net_prio", err);
	return oci_cgroup_v2_unified_keys(cg, res, err);
}

bool oci_cgroup_v2_dir_frozen(const char *dir)
{
	char buf[512];
	if (oci_cgroup_read(dir, "cgroup.events", buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, "frozen 1") != NULL;
}

int oci_cgroup_v2_freeze_dir(const char *dir, bool frozen, oci_error *err)
{
	cleanup_free char *p = oci_asprintf(err, "%s/cgroup.freeze", dir);
	if (!p)
		return -1;
	oci_error e = OCI_ERROR_INIT;
	if (oci_cgroup_write(dir, "cgroup.freeze", frozen ? "1" : "0", "", &e) < 0) {
		int code = e.sys_errno;
		oci_err_clear(&e);
		return oci_err_errno(err, code, "cannot write '%s' to '%s'", frozen ? "1" : "0", p);
	}
	for (int t = 0; frozen && t < 1000 && !oci_cgroup_v2_dir_frozen(dir); t++) {
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

static int v2_freeze(const oci_cgroup *cg, bool frozen, oci_error *err)
{
	bool any = false;
	char buf[64];
	for (size_t i = 0; i < cg->n; i++) {
		if (oci_cgroup_read(cg->dirs[i], "cgroup.freeze", buf, sizeof(buf)) < 0)
			continue;
		any = true;
		if (oci_cgroup_v2_freeze_dir(cg->dirs[i], frozen, err) < 0)
			return -1;
	}
	if (!any && frozen)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "no freezer cgroup for this container (none mounted or delegated)");
	return 0;
}

static bool v2_is_frozen(const oci_cgroup *cg)
{
	char buf[64];
	for (size_t i = 0; i < cg->n; i++)
		if (oci_cgroup_read(cg->dirs[i], "cgroup.freeze", buf, sizeof(buf)) == 0 &&
		    buf[0] == '1')
			return true;
	return false;
}

static const char *v2_frozen_dir(const oci_cgroup *cg)
{
	char buf[64];
	for (size_t i = 0; i < cg->n; i++)
		if ((oci_cgroup_read(cg->dirs[i], "cgroup.freeze", buf, sizeof(buf)) == 0 &&
		     buf[0] == '1') ||
		    oci_cgroup_v2_dir_frozen(cg->dirs[i]))
			return cg->dirs[i];
	return NULL;
}

static int v2_create(const oci_cgroup_manager *m, const char *rel, const oci_resources *res,
		     oci_cgroup *cg, oci_error *err)
{
	return oci_cgroup_fs_create(m, rel, res, cg, NULL, err);
}

const oci_cgroup_ops oci_cgroup_v2_ops = {
    .name = "v2",
    .plan = oci_cgroup_plan_path,
    .create = v2_create,
    .enter = oci_cgroup_fs_enter,
    .apply = v2_apply,
    .freeze = v2_freeze,
    .is_frozen = v2_is_frozen,
    .frozen_dir = v2_frozen_dir,
    .pids = oci_cgroup_fs_pids,
    .kill = oci_cgroup_kill_tree,
    .destroy = oci_cgroup_fs_destroy,
    .stats = oci_cgroup_v2_stats,
    .oom_kills = oci_cgroup_v2_oom_kills,
};
