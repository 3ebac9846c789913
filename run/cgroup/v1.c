/* The cgroup v1 driver: the container's directory in every v1 hierarchy (and in the unified
 * tree of a hybrid host). Each controller's files are written in the hierarchy that has them
 * (found by the file itself: cpu and cpuacct may be mounted apart), in runc's fs manager's
 * order. A group whose controller no v1 hierarchy offers goes to the v2 writer for the unified
 * tree, where a hybrid host may have bound it. The devices list is never skipped where root
 * has a devices cgroup: devices.allow/deny, with the eBPF filter on the unified tree as a
 * backup. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "run/cgroup/internal.h"
#include "run/cgroup/stats.h"

/* The v1 directory holding probe (e.g. "memory.limit_in_bytes"), or NULL. */
static const char *v1_dir(const oci_cgroup *cg, const char *probe)
{
	/* the probe first: most directories lack it, and one look is then enough */
	for (size_t i = 0; i < cg->n; i++) {
		const char *d = cg->dirs[i];
		if (d && oci_cgroup_has(d, probe) && !oci_cgroup_has(d, "cgroup.controllers"))
			return d;
	}
	return NULL;
}

/* The devices.allow/deny line of a rule. */
static void rule_line(const oci_device_rule *r, char *out, size_t len)
{
	char maj[24] = "*", min[24] = "*";
	if (r->major >= 0)
		snprintf(maj, sizeof(maj), "%" PRId64, r->major);
	if (r->minor >= 0)
		snprintf(min, sizeof(min), "%" PRId64, r->minor);
	snprintf(out, len, "%c %s:%s %s%s%s", r->type, maj, min, r->access & OCI_DEV_R ? "r" : "",
		 r->access & OCI_DEV_W ? "w" : "", r->access & OCI_DEV_M ? "m" : "");
}

/* The eBPF backup of a hybrid host's v1 device list, on its unified directory. */
static void attach_backup(const oci_cgroup *cg, const oci_device_rule *rules, size_t n)
{
	const char *unified = oci_cgroup_v2_unified(cg);
	if (!unified)
		return;
	oci_error e = OCI_ERROR_INIT;
	oci_devices_bpf_attach(unified, rules, n, &e);
	oci_err_clear(&e);
}

void oci_cgroup_attach_device_backup(const oci_cgroup *cg, const oci_resources *res)
{
	if (cg->ops != &oci_cgroup_v1_ops || !v1_dir(cg, "devices.allow"))
		return;
	cleanup_free oci_device_rule *rules = NULL;
	size_t n;
	oci_error e = OCI_ERROR_INIT;
	if (oci_cgroup_device_rules(res, true, &rules, &n, &e) == 0)
		attach_backup(cg, rules, n);
	oci_err_clear(&e);
}

static int v1_devices(const oci_cgroup *cg, const oci_resources *res, bool create, oci_error *err)
{
	cleanup_free oci_device_rule *rules = NULL;
	size_t n;
	int r = oci_cgroup_device_rules(res, create, &rules, &n, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	const char *d = v1_dir(cg, "devices.allow");
	if (!d)
		return oci_cgroup_v2_devices(cg, rules, n, create, err);
	/* In a hybrid setup the eBPF filter backs the v1 list up (where eBPF is not allowed to
	 * us, v1 alone still holds), now or when the caller says (device_backup_later). */
	if (create && !oci_cgroup_dry_run && !cg->device_backup_later)
		attach_backup(cg, rules, n);
	/* runc's v1 manager: a list that does not allow everything starts from deny-all. Each
	 * file is opened once for all its lines. */
	cleanup_close int allow = -1, deny = -1;
	if (create && oci_cgroup_write_kept(d, "devices.deny", &deny, "a", "devices", err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char line[96];
		rule_line(&rules[i], line, sizeof(line));
		if (oci_cgroup_write_kept(d, rules[i].allow ? "devices.allow" : "devices.deny",
					  rules[i].allow ? &allow : &deny, line, "devices",
					  err) < 0)
			return -1;
	}
	return 0;
}

static int v1_memory(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	const char *d = v1_dir(cg, "memory.limit_in_bytes");
	if (!d)
		return oci_cgroup_v2_memory(cg, res, err);
	/* 0 is unset, as in runc */
	oci_res_int limit = res->memory.limit, swap = res->memory.swap;
	limit.set &= limit.v != 0;
	swap.set &= swap.v != 0;
	bool has_memsw = oci_cgroup_has(d, "memory.memsw.limit_in_bytes");
	/* runc: unlimited memory without a swap value is unlimited swap too */
	if (limit.set && limit.v == -1 && !swap.set && has_memsw)
		swap = (oci_res_int){.set = true, .v = -1};
	char cur[64];
	uint64_t c = UINT64_MAX;
	if (oci_cgroup_read(d, "memory.limit_in_bytes", cur, sizeof(cur)) == 0)
		c = strtoull(cur, NULL, 10);
	if (swap.set && swap.v != -1) {
		/* memsw is memory+swap: never below the limit (the kernel would refuse one of
		 * the two writes, after the other was made) */
		uint64_t l = limit.set ? (limit.v < 0 ? UINT64_MAX : (uint64_t)limit.v) : c;
		if (l >= (UINT64_MAX >> 2))
			return oci_err(err, OCI_E_INVALID,
				       "linux.resources.memory.swap: unable to set swap limit "
				       "without memory limit (give memory.limit too)");
		if ((uint64_t)swap.v < l)
			return oci_err(err, OCI_E_INVALID,
				       "linux.resources.memory.swap: %" PRId64
				       " is below memory.limit %" PRIu64
				       " (swap is memory+swap, it must be at least the limit)",
				       swap.v, l);
	}
	/* runc's order: the pair must stay valid (limit <= memsw) after each write */
	bool swap_first = limit.set && swap.set && (swap.v == -1 || c < (uint64_t)swap.v);
	if (swap_first &&
	    oci_cgroup_write_int(d, "memory.memsw.limit_in_bytes", swap.v, "memory.swap", err) < 0)
		return -1;
	if (limit.set &&
	    oci_cgroup_write_int(d, "memory.limit_in_bytes", limit.v, "memory.limit", err) < 0)
		return -1;
	if (swap.set && !swap_first &&
	    oci_cgroup_write_int(d, "memory.memsw.limit_in_bytes", swap.v, "memory.swap", err) < 0)
		return -1;
	if (res->memory.reservation.set &&
	    oci_cgroup_write_int(d, "memory.soft_limit_in_bytes", res->memory.reservation.v,
				 "memory.reservation", err) < 0)
		return -1;
	oci_res_int sw = res->memory.swappiness;
	if (sw.set && sw.v >= 0 && sw.v <= 100 &&
	    oci_cgroup_write_int(d, "memory.swappiness", sw.v, "memory.swappiness", err) < 0)
		return -1;
	/* kernel memory: crun writes both; kernels since 6.1 no longer limit it (v1's kmem
	 * files are gone or refuse writes), which is refused by name rather than ignored */
	const struct {
		const oci_res_int *v;
		const char *file, *what;
	} kmem[] = {
	    {&res->memory.kernel, "memory.kmem.limit_in_bytes", "memory.kernel"},
	    {&res->memory.kernel_tcp, "memory.kmem.tcp.limit_in_bytes", "memory.kernelTCP"}};
	for (size_t i = 0; i < ARRAY_SIZE(kmem); i++) {
		if (!kmem[i].v->set || !kmem[i].v->v)
			continue;
		if (!oci_cgroup_has(d, kmem[i].file))
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "linux.resources.%s: cannot be applied: this kernel has no "
				       "%s (drop it)",
				       kmem[i].what, kmem[i].file);
		if (oci_cgroup_write_int(d, kmem[i].file, kmem[i].v->v, kmem[i].what, err) < 0)
			return -1;
		/* newer kernels keep the file but ignore the limit written there */
		char now[64];
		if (!oci_cgroup_dry_run && kmem[i].v->v > 0 &&
		    oci_cgroup_read(d, kmem[i].file, now, sizeof(now)) == 0 &&
		    strtoull(now, NULL, 10) >= (UINT64_MAX >> 2))
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "linux.resources.%s: cannot be applied: this kernel ignores "
				       "%s (it no longer limits kernel memory): drop it",
				       kmem[i].what, kmem[i].file);
	}
	if (res->memory.disable_oom_killer &&
	    oci_cgroup_write(d, "memory.oom_control", "1", "memory.disableOOMKiller", err) < 0)
		return -1;
	return 0;
}

static int v1_pids(const oci_cgroup *cg, int64_t limit, oci_error *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), limit < 0 ? "max" : "%" PRId64, limit);
	const char *d = v1_dir(cg, "pids.max");
	if (!d)
		return oci_cgroup_v2_pids(cg, buf, err);
	return oci_cgroup_write(d, "pids.max", buf, "pids.limit", err);
}

static int v1_cpuset(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	const char *cpus = res->cpu.cpus, *mems = res->cpu.mems;
	if ((!cpus || !cpus[0]) && (!mems || !mems[0]))
		return 0;
	const char *d = v1_dir(cg, "cpuset.cpus");
	if (!d)
		return oci_cgroup_v2_cpuset(cg, res, err);
	if (cpus && cpus[0] && oci_cgroup_write(d, "cpuset.cpus", cpus, "cpu.cpus", err) < 0)
		return -1;
	if (mems && mems[0] && oci_cgroup_write(d, "cpuset.mems", mems, "cpu.mems", err) < 0)
		return -1;
	return 0;
}

static int v1_cpu(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
#define NONZERO(f) (res->cpu.f.set && res->cpu.f.v != 0)
	bool has_shares = NONZERO(shares), has_quota = NONZERO(quota), has_period = NONZERO(period),
	     has_rtr = NONZERO(rt_runtime), has_rtp = NONZERO(rt_period);
#undef NONZERO
	int64_t quota = res->cpu.quota.v, period = res->cpu.period.v;
	if (v1_cpuset(cg, res, err) < 0)
		return -1;
	if (!has_shares && !has_quota && !has_period && !has_rtr && !has_rtp)
		return 0;
	const char *d = v1_dir(cg, "cpu.shares");
	if (!d)
		return oci_cgroup_v2_cpu(cg, res, err);
	if (has_rtp && oci_cgroup_write_int(d, "cpu.rt_period_us", res->cpu.rt_period.v,
					    "cpu.realtimePeriod", err) < 0)
		return -1;
	if (has_rtr && oci_cgroup_write_int(d, "cpu.rt_runtime_us", res->cpu.rt_runtime.v,
					    "cpu.realtimeRuntime", err) < 0)
		return -1;
	if (has_shares &&
	    oci_cgroup_write_int(d, "cpu.shares", res->cpu.shares.v, "cpu.shares", err) < 0)
		return -1;
	if (has_period) {
		/* a period below the current quota is refused until the quota is written */
		oci_error e = OCI_ERROR_INIT;
		if (oci_cgroup_write_int(d, "cpu.cfs_period_us", period, "cpu.period", &e) < 0) {
			oci_err_clear(&e);
			if (!has_quota)
				return oci_cgroup_write_int(d, "cpu.cfs_period_us", period,
							    "cpu.period", err);
			if (oci_cgroup_write_int(d, "cpu.cfs_quota_us", quota, "cpu.quota", err) <
				0 ||
			    oci_cgroup_write_int(d, "cpu.cfs_period_us", period, "cpu.period",
						 err) < 0)
				return -1;
			return 0;
		}
	}
	if (has_quota && oci_cgroup_write_int(d, "cpu.cfs_quota_us", quota, "cpu.quota", err) < 0)
		return -1;
	return 0;
}

/* "MAJ:MIN VALUE" into dir/file, for each device of a blockIO list. */
static int v1_blkdev_lines(const char *d, const char *file, const oci_res_blkdev *devs, size_t n,
			   int field, const char *what, oci_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const oci_res_blkdev *e = &devs[i];
		const oci_res_int *w = field == 1 ? &e->weight : &e->leaf_weight;
		char line[96];
		if (field == 0)
			snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64 " %" PRIu64, e->major,
				 e->minor, e->rate);
		else if (w->set && w->v)
			snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64 " %" PRId64, e->major,
				 e->minor, w->v);
		else
			continue;
		if (oci_cgroup_write(d, file, line, what, err) < 0)
			return -1;
	}
	return 0;
}

/* The first of files that d has, or NULL. */
static const char *v1_first(const char *d, const char *const *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (oci_cgroup_has(d, files[i]))
			return files[i];
	return NULL;
}

static int v1_blkio(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	static const char *const weight[] = {"blkio.bfq.weight", "blkio.weight"};
	static const char *const weight_dev[] = {"blkio.bfq.weight_device", "blkio.weight_device"};
	const char *d = v1_dir(cg, "blkio.reset_stats");
	for (size_t i = 0; !d && i < ARRAY_SIZE(weight); i++)
		d = v1_dir(cg, weight[i]);
	if (!d)
		return oci_cgroup_v2_blkio(cg, res, err);
	const char *f;
	int64_t w = res->blkio.weight.set ? res->blkio.weight.v : 0;
	if (w) {
		if (!(f = v1_first(d, weight, ARRAY_SIZE(weight))))
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "linux.resources.blockIO.weight: cannot be applied: no "
				       "blkio.weight (it needs the BFQ I/O scheduler)");
		if (oci_cgroup_write_int(d, f, w, "blockIO.weight", err) < 0)
			return -1;
	}
	bool leaf = res->blkio.leaf_weight.set && res->blkio.leaf_weight.v;
	for (size_t i = 0; i < res->blkio.n_weight_devices; i++)
		leaf |= res->blkio.weight_devices[i].leaf_weight.set &&
			res->blkio.weight_devices[i].leaf_weight.v;
	if (leaf && !oci_cgroup_has(d, "blkio.leaf_weight"))
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.blockIO.leafWeight: cannot be applied: no "
			       "blkio.leaf_weight (only the CFQ I/O scheduler had it)");
	if (res->blkio.leaf_weight.set && res->blkio.leaf_weight.v &&
	    oci_cgroup_write_int(d, "blkio.leaf_weight", res->blkio.leaf_weight.v,
				 "blockIO.leafWeight", err) < 0)
		return -1;
	if (res->blkio.n_weight_devices) {
		if (!(f = v1_first(d, weight_dev, ARRAY_SIZE(weight_dev))))
			return oci_err(
			    err, OCI_E_UNSUPPORTED,
			    "linux.resources.blockIO.weightDevice: cannot be applied: no "
			    "blkio.weight_device (it needs the BFQ I/O scheduler)");
		if (v1_blkdev_lines(d, f, res->blkio.weight_devices, res->blkio.n_weight_devices, 1,
				    "blockIO.weightDevice", err) < 0 ||
		    v1_blkdev_lines(d, "blkio.leaf_weight_device", res->blkio.weight_devices,
				    res->blkio.n_weight_devices, 2, "blockIO.weightDevice",
				    err) < 0)
			return -1;
	}
	for (int k = 0; k < OCI_RES_THROTTLE_N; k++) {
		cleanup_free char *what =
		    oci_asprintf(err, "blockIO.%s", oci_res_throttle_kinds[k].key);
		if (!what ||
		    v1_blkdev_lines(d, oci_res_throttle_kinds[k].v1_file, res->blkio.throttle[k],
				    res->blkio.n_throttle[k], 0, what, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_hugepages(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	for (size_t i = 0; i < res->n_hugepages; i++) {
		const oci_res_hugepage *hp = &res->hugepages[i];
		cleanup_free char *file =
		    oci_asprintf(err, "hugetlb.%s.limit_in_bytes", hp->page_size);
		cleanup_free char *rsvd =
		    oci_asprintf(err, "hugetlb.%s.rsvd.limit_in_bytes", hp->page_size);
		if (!file || !rsvd)
			return -1;
		const char *d = v1_dir(cg, file);
		int r = 0;
		if (!d)
			r = oci_cgroup_v2_hugepage(cg, hp, err);
		else if (oci_cgroup_write_int(d, file, hp->limit, "hugepageLimits", err) < 0 ||
			 /* the reservation limit too, where the kernel has it (as runc) */
			 (oci_cgroup_has(d, rsvd) &&
			  oci_cgroup_write_int(d, rsvd, hp->limit, "hugepageLimits", err) < 0))
			r = -1;
		if (r < 0)
			return -1;
		if (r > 0)
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "linux.resources.hugepageLimits[%zu]: cannot be applied: no "
				       "hugetlb cgroup controller with page size '%s'",
				       i, hp->page_size);
	}
	return 0;
}

static int v1_network(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	if (res->network.class_id.set) {
		const char *d = v1_dir(cg, "net_cls.classid");
		if (!d)
			return oci_cgroup_missing("network.classID", "net_cls", err);
		if (oci_cgroup_write_int(d, "net_cls.classid", res->network.class_id.v,
					 "network.classID", err) < 0)
			return -1;
	}
	for (size_t i = 0; i < res->network.n_prios; i++) {
		const char *d = v1_dir(cg, "net_prio.ifpriomap");
		if (!d)
			return oci_cgroup_missing("network.priorities", "net_prio", err);
		cleanup_free char *line = oci_asprintf(
		    err, "%s %" PRId64, res->network.prios[i].name, res->network.prios[i].priority);
		if (!line ||
		    oci_cgroup_write(d, "net_prio.ifpriomap", line, "network.priorities", err) < 0)
			return -1;
	}
	return 0;
}

/* unified keys on cgroup v1: only into the unified tree of a hybrid host, for a controller
 * bound there (runc refuses them on v1 altogether) */
static int v1_unified(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	if (!res->n_unified)
		return 0;
	const char *d = oci_cgroup_v2_unified(cg);
	char ctrls[1024] = "";
	if (d)
		oci_cgroup_read(d, "cgroup.controllers", ctrls, sizeof(ctrls));
	for (size_t i = 0; i < res->n_unified; i++) {
		const char *key = res->unified[i].key, *dot = strchr(key, '.');
		char ctrl[64];
		snprintf(ctrl, sizeof(ctrl), "%.*s", dot ? (int)(dot - key) : 0, key);
		if (!d || (strcmp(ctrl, "cgroup") && !oci_word_in(ctrls, ctrl)))
			return oci_err(err, OCI_E_INVALID,
				       "linux.resources.unified.%s: invalid on cgroup v1: %s", key,
				       d ? "its controller is bound to a v1 hierarchy"
					 : "this host has no cgroup v2 hierarchy");
	}
	return oci_cgroup_v2_unified_keys(cg, res, err);
}

static int v1_apply(const oci_cgroup *cg, const oci_resources *res, bool create, oci_error *err);

static int v1_apply_checked(const oci_cgroup *cg, const oci_resources *res, bool create,
			    oci_error *err)
{
	return oci_cgroup_apply_checked(cg, res, create, v1_apply, err);
}

static int v1_apply(const oci_cgroup *cg, const oci_resources *res, bool create, oci_error *err)
{
	static const oci_resources none;
	if (!res)
		res = &none;
	if (v1_devices(cg, res, create, err) < 0)
		return -1;
	/* an absent or empty group asks for nothing, and needs no controller */
	if (res->memory.requested && v1_memory(cg, res, err) < 0)
		return -1;
	if (res->pids.requested && res->pids.limit.set && v1_pids(cg, res->pids.limit.v, err) < 0)
		return -1;
	if (res->cpu.requested && v1_cpu(cg, res, err) < 0)
		return -1;
	if (res->blkio.requested && v1_blkio(cg, res, err) < 0)
		return -1;
	if (v1_hugepages(cg, res, err) < 0)
		return -1;
	if (res->network.requested && v1_network(cg, res, err) < 0)
		return -1;
	return v1_unified(cg, res, err);
}

/* ---- freezer: freezer.state, FREEZING until every task stopped ---- */

static bool v1_dir_frozen(const char *dir)
{
	char buf[64];
	return oci_cgroup_read(dir, "freezer.state", buf, sizeof(buf)) == 0 &&
	       !strncmp(buf, "FROZEN", 6);
}

int oci_cgroup_v1_freeze_dir(const char *dir, bool frozen, unsigned wait_ms, oci_error *err)
{
	const char *val = frozen ? "FROZEN" : "THAWED";
	char buf[64];
	bool thawed = frozen && oci_cgroup_read(dir, "freezer.state", buf, sizeof(buf)) == 0 &&
		      !strncmp(buf, "THAWED", 6);
	oci_error e = OCI_ERROR_INIT;
	if (oci_cgroup_write(dir, "freezer.state", val, "", &e) < 0) {
		int code = e.sys_errno;
		oci_err_clear(&e);
		return oci_err_errno(err, code, "cannot write '%s' to '%s/%s'", val, dir,
				     "freezer.state");
	}
	/* FREEZING until every task stopped: one that cannot be stopped keeps it so */
	if (!frozen || oci_cgroup_wait_frozen(dir, v1_dir_frozen, wait_ms))
		return thawed;
	if (oci_cgroup_read(dir, "freezer.state", buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "(unreadable)");
	return oci_err(err, OCI_E_STATE,
		       "unable to freeze cgroup '%s': freezer.state still said '%.*s', not "
		       "'FROZEN', after %u ms%s",
		       dir, (int)strcspn(buf, "\n"), buf, wait_ms,
		       oci_cgroup_thaw_again(dir, "freezer.state", "THAWED", thawed));
}

static int v1_freeze(const oci_cgroup *cg, bool frozen, oci_error *err)
{
	bool any = false, v1_freezer = false;
	/* which freezer each directory has (one read of each), then which this call froze, to
	 * thaw them again when a later one fails (the freeze functions say whether they froze) */
	cleanup_free unsigned char *kind = calloc(cg->n ? cg->n : 1, 2 * sizeof(*kind));
	if (!kind)
		return oci_err_errno(err, ENOMEM, "freezing the cgroup");
	unsigned char *froze = kind + (cg->n ? cg->n : 1);
	for (size_t i = 0; i < cg->n; i++) {
		char buf[64];
		if (oci_cgroup_read(cg->dirs[i], "freezer.state", buf, sizeof(buf)) == 0)
			kind[i] = OCI_FROZE_V1, v1_freezer = true;
		else if (oci_cgroup_read(cg->dirs[i], "cgroup.freeze", buf, sizeof(buf)) == 0)
			kind[i] = OCI_FROZE_V2;
	}
	for (size_t i = 0; i < cg->n; i++) {
		const char *d = cg->dirs[i];
		/* the unified tree of a hybrid host: only where no v1 freezer froze the tasks (as
		 * runc), since a task the v1 freezer stopped never reports itself frozen to the v2
		 * freezer, whose wait then ran out every time (pause took 5 s) */
		if (kind[i] == OCI_FROZE_NONE || (kind[i] == OCI_FROZE_V2 && frozen && v1_freezer))
			continue;
		any = true;
		int r = kind[i] == OCI_FROZE_V1
			    ? oci_cgroup_v1_freeze_dir(d, frozen, OCI_CGROUP_FREEZE_WAIT_MS, err)
			    : oci_cgroup_v2_freeze_dir(d, frozen, OCI_CGROUP_FREEZE_WAIT_MS, err);
		if (r < 0) {
			oci_cgroup_thaw_back(cg, froze, i);
			return -1;
		}
		froze[i] = r == 1 ? kind[i] : OCI_FROZE_NONE;
	}
	if (!any && frozen)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "no freezer cgroup for this container (none mounted or delegated)");
	return 0;
}

/* Either freezer: a hybrid host's unified cgroup.freeze stops the container as well, and a
 * container whose cgroups are mounted read-write can write it itself (exec's process, put
 * there, would never run). */
static bool v1_is_frozen(const oci_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++) {
		char buf[64];
		if (oci_cgroup_read(cg->dirs[i], "freezer.state", buf, sizeof(buf)) == 0 &&
		    !strncmp(buf, "FROZEN", 6))
			return true;
		if (oci_cgroup_read(cg->dirs[i], "cgroup.freeze", buf, sizeof(buf)) == 0 &&
		    buf[0] == '1')
			return true;
	}
	return false;
}

static const char *v1_frozen_dir(const oci_cgroup *cg)
{
	/* cgroup.events is read only in the unified directory (a hybrid host's), found once:
	 * v1 directories have neither of its files */
	const char *unified = oci_cgroup_v2_unified(cg);
	for (size_t i = 0; i < cg->n; i++) {
		const char *d = cg->dirs[i];
		char buf[64];
		/* v1 reports FROZEN also when only an ancestor is; FREEZING counts too. */
		if (d != unified) {
			if (d && oci_cgroup_read(d, "freezer.state", buf, sizeof(buf)) == 0 &&
			    strncmp(buf, "THAWED", 6))
				return d;
		} else if ((oci_cgroup_read(d, "cgroup.freeze", buf, sizeof(buf)) == 0 &&
			    buf[0] == '1') ||
			   oci_cgroup_v2_dir_frozen(d)) {
			return d;
		}
	}
	return NULL;
}

/* ---- create: a new cpuset cgroup has empty cpus/mems and takes no process until they are
 * copied from its parent ---- */

static void copy_from_parent(const char *dir, const char *file)
{
	char buf[4096];
	if (oci_cgroup_read(dir, file, buf, sizeof(buf)) < 0 || strlen(buf) > 1)
		return; /* not a cpuset cgroup, or already set */
	cleanup_free char *parent = strdup(dir);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	if (!slash)
		return;
	*slash = '\0';
	if (oci_cgroup_read(parent, file, buf, sizeof(buf)) < 0 || !buf[0])
		return;
	oci_error e = OCI_ERROR_INIT;
	oci_cgroup_write(dir, file, buf, "cpu", &e);
	oci_err_clear(&e);
}

static void init_cpuset(const oci_cgroup_mount *mnt, const char *dir)
{
	if (!strstr(mnt->super, ",cpuset") && strncmp(mnt->super, "cpuset", 6))
		return;
	copy_from_parent(dir, "cpuset.cpus");
	copy_from_parent(dir, "cpuset.mems");
}

static int v1_create(const oci_cgroup_manager *m, const char *rel, const oci_resources *res,
		     oci_cgroup *cg, oci_error *err)
{
	return oci_cgroup_fs_create(m, rel, res, cg, init_cpuset, err);
}

const char *oci_cgroup_v1_dir(const oci_cgroup *cg, const char *probe)
{
	return v1_dir(cg, probe);
}

const oci_cgroup_ops oci_cgroup_v1_ops = {
    .name = "v1",
    .plan = oci_cgroup_plan_path,
    .create = v1_create,
    .enter = oci_cgroup_fs_enter,
    .enter_self = oci_cgroup_fs_enter_self,
    .apply = v1_apply_checked,
    .freeze = v1_freeze,
    .is_frozen = v1_is_frozen,
    .frozen_dir = v1_frozen_dir,
    .pids = oci_cgroup_fs_pids,
    .kill = oci_cgroup_kill_tree,
    .destroy = oci_cgroup_fs_destroy,
    .stats = oci_cgroup_v1_stats,
    .oom_kills = oci_cgroup_v1_oom_kills,
};
