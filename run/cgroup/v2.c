/* The cgroup v2 driver: the container's directory in the unified tree. Each linux.resources
 * group has its writer here (the controller enabled first in every ancestor's
 * subtree_control, as runc's fs2 manager does); the device list is the eBPF filter of
 * devices_bpf.c; freezing is cgroup.freeze, done when cgroup.events says "frozen 1". The v1
 * driver calls these writers too, for the unified tree of a hybrid host. New cgroup v2
 * features go here. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "common/safepath.h"
#include "run/cgroup/internal.h"
#include "run/cgroup/stats.h"
#include "run/state.h"

const char *oci_cgroup_v2_unified(const oci_cgroup *cg)
{
	/* At most one directory is a unified one; a hybrid host mounts it after its v1
	 * hierarchies (systemd's order), so the search starts from the end. */
	for (size_t i = cg->n; i-- > 0;)
		if (cg->dirs[i] && oci_cgroup_has(cg->dirs[i], "cgroup.controllers"))
			return cg->dirs[i];
	return NULL;
}

static bool offers(const char *dir, const char *ctrl)
{
	char buf[1024];
	return oci_cgroup_read(dir, "cgroup.controllers", buf, sizeof(buf)) == 0 &&
	       oci_word_in(buf, ctrl);
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
		/* also in a dry run: whether the controller can be had is what it checks */
		cleanup_free char *sc = oci_asprintf(NULL, "%s/cgroup.subtree_control", path);
		int fd = sc ? open(sc, O_WRONLY | O_CLOEXEC) : -1;
		if (fd >= 0) {
			if (write(fd, plus, strlen(plus)) < 0) {
				/* not ours to enable: offers() below tells */
			}
			close(fd);
		}
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
	if (oci_cgroup_dry_run)
		return 0;
	return oci_devices_bpf_attach(d, rules, n, err);
}

/* memory.max and memory.swap.max from res as runc writes them ("" when not to be written;
 * 0 means unset, as in runc). swap is memory+swap (v1's memsw): without a limit in the same
 * request the one in force is used, and there must be one. */
static int memory_values(const char *d, const oci_resources *res, char *mem, char *swap, size_t len,
			 oci_error *err)
{
	int64_t lim = res->memory.limit.set ? res->memory.limit.v : 0;
	int64_t sw = res->memory.swap.set ? res->memory.swap.v : 0;
	mem[0] = swap[0] = '\0';
	if (lim)
		snprintf(mem, len, lim < 0 ? "max" : "%" PRId64, lim);
	/* runc: unlimited memory without a swap value is unlimited swap too */
	if (lim == -1 && !sw && oci_cgroup_has(d, "memory.swap.max"))
		snprintf(swap, len, "max");
	if (!sw)
		return 0;
	if (sw == -1) {
		snprintf(swap, len, "max");
		return 0;
	}
	if (!lim) {
		char cur[64];
		if (oci_cgroup_read(d, "memory.max", cur, sizeof(cur)) == 0 && cur[0] >= '0' &&
		    cur[0] <= '9')
			lim = strtoll(cur, NULL, 10);
	}
	if (lim <= 0)
		return oci_err(err, OCI_E_INVALID,
			       "linux.resources.memory.swap: unable to set swap limit without "
			       "memory limit (give memory.limit too)");
	if (sw < lim)
		return oci_err(err, OCI_E_INVALID,
			       "linux.resources.memory.swap: %" PRId64
			       " is below memory.limit %" PRId64
			       " (swap is memory+swap, it must be at least the limit)",
			       sw, lim);
	snprintf(swap, len, "%" PRId64, sw - lim);
	return 0;
}

int oci_cgroup_v2_memory(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	const char *d = dir_with(cg, "memory");
	if (!d)
		return oci_cgroup_missing("memory", "memory", err);
	char mem[32], swap[32];
	if (memory_values(d, res, mem, swap, sizeof(mem), err) < 0)
		return -1;
	if ((res->memory.kernel.set && res->memory.kernel.v) ||
	    (res->memory.kernel_tcp.set && res->memory.kernel_tcp.v))
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.memory.%s: not supported on cgroup v2 (it has no "
			       "kernel memory limit): drop it",
			       res->memory.kernel.set && res->memory.kernel.v ? "kernel"
									      : "kernelTCP");
	/* runc's order: memory.swap.max first, then memory.max */
	if (swap[0] && oci_cgroup_write(d, "memory.swap.max", swap, "memory.swap", err) < 0)
		return -1;
	if (mem[0] && oci_cgroup_write(d, "memory.max", mem, "memory.limit", err) < 0)
		return -1;
	int64_t rsv = res->memory.reservation.set ? res->memory.reservation.v : 0;
	if (rsv < 0 && oci_cgroup_write(d, "memory.low", "max", "memory.reservation", err) < 0)
		return -1;
	if (rsv > 0 && oci_cgroup_write_int(d, "memory.low", rsv, "memory.reservation", err) < 0)
		return -1;
	/* runc's fs2 drops these two in silence, crun refuses them; they are said (once: not in
	 * the dry run), not refused (a config written for v1 still runs as with runc), and not
	 * for disableOOMKiller false */
	if (res->memory.swappiness.set && !oci_cgroup_dry_run)
		log_warn("linux.resources.memory.swappiness: ignored: cgroup v2 has no "
			 "memory.swappiness (the host's vm.swappiness applies)");
	if (res->memory.disable_oom_killer && !oci_cgroup_dry_run)
		log_warn("linux.resources.memory.disableOOMKiller: ignored: cgroup v2 cannot "
			 "disable the OOM killer of a cgroup");
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

static void cpu_max(const char *d, int64_t quota, int64_t period, char *buf, size_t len)
{
	/* "QUOTA PERIOD", either half kept from what is in force when the request leaves it
	 * out (the kernel keeps the period when only a quota is written; a period alone must
	 * repeat the quota, or it would lift the limit) */
	char cur[64] = "max";
	if (!quota && oci_cgroup_read(d, "cpu.max", cur, sizeof(cur)) == 0)
		cur[strcspn(cur, " \n")] = '\0';
	if (!cur[0])
		snprintf(cur, sizeof(cur), "max");
	int n = quota > 0   ? snprintf(buf, len, "%" PRId64, quota)
		: quota < 0 ? snprintf(buf, len, "max")
			    : snprintf(buf, len, "%s", cur);
	if (period)
		snprintf(buf + n, len - (size_t)n, " %" PRId64, period);
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
		cpu_max(d, quota, period, buf, sizeof(buf));
		if (oci_cgroup_write(d, "cpu.max", buf, "cpu.quota", err) < 0)
			return -1;
	}
	return 0;
}

int oci_cgroup_v2_blkio(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	const char *d = dir_with(cg, "io");
	if (!d)
		return oci_cgroup_missing("blockIO", "blkio", err);
	bool bfq = oci_cgroup_has(d, "io.bfq.weight");
	int64_t w = res->blkio.weight.set ? res->blkio.weight.v : 0;
	/* BFQ takes blkio's own range (1..1000); io.weight is 1..10000 (runc's
	 * ConvertBlkIOToIOWeightValue) */
	if (w && bfq && oci_cgroup_write_int(d, "io.bfq.weight", w, "blockIO.weight", err) < 0)
		return -1;
	if (w && !bfq &&
	    oci_cgroup_write_int(d, "io.weight", 1 + (w - 10) * 9999 / 990, "blockIO.weight", err) <
		0)
		return -1;
	bool leaf = res->blkio.leaf_weight.set && res->blkio.leaf_weight.v;
	for (size_t i = 0; i < res->blkio.n_weight_devices; i++)
		leaf |= res->blkio.weight_devices[i].leaf_weight.set &&
			res->blkio.weight_devices[i].leaf_weight.v;
	if (leaf)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.blockIO.leafWeight: not supported on cgroup v2");
	if (res->blkio.n_weight_devices && !bfq)
		return oci_err(
		    err, OCI_E_UNSUPPORTED,
		    "linux.resources.blockIO.weightDevice: cannot be applied: per-device "
		    "weights need the BFQ I/O scheduler (io.bfq.weight)");
	char line[128];
	for (size_t i = 0; i < res->blkio.n_weight_devices; i++) {
		const oci_res_blkdev *e = &res->blkio.weight_devices[i];
		if (!e->weight.set || !e->weight.v)
			continue;
		snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64 " %" PRId64, e->major, e->minor,
			 e->weight.v);
		if (oci_cgroup_write(d, "io.bfq.weight", line, "blockIO.weightDevice", err) < 0)
			return -1;
	}
	for (int k = 0; k < OCI_RES_THROTTLE_N; k++)
		for (size_t i = 0; i < res->blkio.n_throttle[k]; i++) {
			const oci_res_blkdev *e = &res->blkio.throttle[k][i];
			snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
				 e->major, e->minor, oci_res_throttle_kinds[k].v2_key, e->rate);
			cleanup_free char *what =
			    oci_asprintf(err, "blockIO.%s", oci_res_throttle_kinds[k].key);
			if (!what || oci_cgroup_write(d, "io.max", line, what, err) < 0)
				return -1;
		}
	return 0;
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

static int v2_apply_all(const oci_cgroup *cg, const oci_resources *res, bool create, oci_error *err)
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
	if (res->pids.requested && res->pids.limit.set) {
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
	if (res->blkio.requested && oci_cgroup_v2_blkio(cg, res, err) < 0)
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

static int v2_apply(const oci_cgroup *cg, const oci_resources *res, bool create, oci_error *err)
{
	return oci_cgroup_apply_checked(cg, res, create, v2_apply_all, err);
}

bool oci_cgroup_v2_dir_frozen(const char *dir)
{
	char buf[512];
	if (oci_cgroup_read(dir, "cgroup.events", buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, "frozen 1") != NULL;
}

int oci_cgroup_v2_freeze_dir(const char *dir, bool frozen, unsigned wait_ms, oci_error *err)
{
	cleanup_free char *p = oci_asprintf(err, "%s/cgroup.freeze", dir);
	if (!p)
		return -1;
	char was[64];
	bool thawed =
	    frozen && oci_cgroup_read(dir, "cgroup.freeze", was, sizeof(was)) == 0 && was[0] == '0';
	oci_error e = OCI_ERROR_INIT;
	if (oci_cgroup_write(dir, "cgroup.freeze", frozen ? "1" : "0", "", &e) < 0) {
		int code = e.sys_errno;
		oci_err_clear(&e);
		return oci_err_errno(err, code, "cannot write '%s' to '%s'", frozen ? "1" : "0", p);
	}
	if (!frozen)
		return 0;
	if (!oci_cgroup_wait_frozen(dir, oci_cgroup_v2_dir_frozen, wait_ms))
		return oci_err(err, OCI_E_STATE,
			       "unable to freeze cgroup '%s': cgroup.events did not say 'frozen 1' "
			       "within %u ms%s",
			       dir, wait_ms,
			       oci_cgroup_thaw_again(dir, "cgroup.freeze", "0", thawed));
	return thawed;
}

static int v2_freeze(const oci_cgroup *cg, bool frozen, oci_error *err)
{
	bool any = false;
	/* which directories this call froze (the freeze says so), to thaw them again when a
	 * later one fails */
	cleanup_free unsigned char *froze = calloc(cg->n ? cg->n : 1, sizeof(*froze));
	if (!froze)
		return oci_err_errno(err, ENOMEM, "freezing the cgroup");
	for (size_t i = 0; i < cg->n; i++) {
		if (!cg->dirs[i])
			continue;
		oci_error e = OCI_ERROR_INIT;
		int r =
		    oci_cgroup_v2_freeze_dir(cg->dirs[i], frozen, OCI_CGROUP_FREEZE_WAIT_MS, &e);
		if (r < 0 && e.sys_errno == ENOENT)
			continue; /* no cgroup.freeze there (gone, or the root): no freezer */
		any = true;
		if (r < 0) {
			oci_cgroup_thaw_back(cg, froze, i);
			if (err)
				*err = e;
			return -1;
		}
		froze[i] = r == 1 ? OCI_FROZE_V2 : OCI_FROZE_NONE;
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

char *oci_cgroup_enter_init_cgroup(const oci_cgroup *cg, pid_t pid, pid_t init, uint64_t start,
				   uint64_t ino, oci_error *err)
{
	static const char mnt[] = "/sys/fs/cgroup";
	const size_t ml = sizeof(mnt) - 1;
	struct statfs sf;
	/* a pure cgroup2 host's (cgroup v1 has no such rule), paths relative to its mount */
	if (cg->n != 1 || strncmp(cg->dirs[0], mnt, ml) || cg->dirs[0][ml] != '/' ||
	    statfs(mnt, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
		return oci_err(err, OCI_E_UNSUPPORTED, "not a cgroup2 directory of %s", mnt), NULL;
	const char *own = cg->dirs[0] + ml;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)init);
	cleanup_free char *t = NULL;
	size_t len;
	if (oci_read_file_at(AT_FDCWD, path, 1 << 16, &t, &len, err) < 0)
		return NULL;
	if (!oci_proc_is(init, start, ino, NULL))
		return oci_err(err, OCI_E_STATE, "the container's init has exited"), NULL;
	/* "0::/REL\n": REL the init's cgroup below the container's (own) */
	char *rel = strncmp(t, "0::", 3) ? NULL : t + 3;
	size_t ol = strlen(own);
	if (rel)
		rel[strcspn(rel, "\n")] = '\0';
	if (!rel || strncmp(rel, own, ol) || rel[ol] != '/' || !rel[ol + 1])
		return oci_err(err, OCI_E_STATE,
			       "the container's init is not in a cgroup below '%s'", cg->dirs[0]),
		       NULL;
	cleanup_close int dir = open(cg->dirs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return oci_err_errno(err, errno, "cannot open '%s'", cg->dirs[0]), NULL;
	cleanup_close int below =
	    oci_safe_open_beneath(dir, rel + ol + 1, O_PATH | O_DIRECTORY, err);
	if (below < 0)
		return oci_err_prefix(err, "the init's cgroup '%s'", rel), NULL;
	if (fstatfs(below, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
		return oci_err(err, OCI_E_UNSAFE, "the init's cgroup '%s' is not a cgroup", rel),
		       NULL;
	cleanup_close int procs = openat(below, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (procs < 0 || write(procs, buf, (size_t)n) != n)
		return oci_err_errno(err, errno, "cannot join the init's cgroup '%s'", rel), NULL;
	return oci_asprintf(err, "%s%s", mnt, rel);
}

bool oci_cgroup_dir_frozen(const char *dir)
{
	char buf[64];
	return (oci_cgroup_read(dir, "cgroup.freeze", buf, sizeof(buf)) == 0 && buf[0] == '1') ||
	       oci_cgroup_v2_dir_frozen(dir);
}

static int v2_create(const oci_cgroup_manager *m, const char *rel, const oci_resources *res,
		     oci_cgroup *cg, oci_error *err)
{
	return oci_cgroup_fs_create(m, rel, res, cg, NULL, err);
}

int oci_cgroup_mount_unified(int target, unsigned long flags, bool new_ns, oci_error *err)
{
	struct statfs sf;
	if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
		return 1;
	/* A detached mount moved onto target: target may already be the root of a cgroup2
	 * mount (a container whose /sys is the host's, bound), where mount(2) of the same
	 * filesystem fails with EBUSY. */
	unsigned int attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
			    (flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0);
	cleanup_close int mfd = -1;
	cleanup_free char *src = NULL;
	if (new_ns) {
		/* rooted at the container's cgroup by the namespace */
		cleanup_close int fs = fsopen("cgroup2", FSOPEN_CLOEXEC);
		if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
		    (mfd = fsmount(fs, FSMOUNT_CLOEXEC, attr)) < 0)
			return oci_err_errno(err, errno, "cannot mount cgroup2");
	} else {
		/* without a cgroup namespace: the container's own cgroup, as the process sees
		 * it */
		char line[4200];
		cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
		if (!f)
			return oci_err_errno(err, errno, "cannot read /proc/self/cgroup");
		const char *rel = NULL;
		while (!rel && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (!strncmp(line, "0::/", 4))
				rel = line + 3;
		}
		if (!rel || strstr(rel, "/.."))
			return oci_err(err, OCI_E_STATE,
				       "cannot find this process's cgroup v2 path");
		if (!(src = oci_asprintf(err, "/sys/fs/cgroup%s", rel)))
			return -1;
		struct mount_attr ma = {.attr_set = attr};
		mfd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (mfd < 0 || mount_setattr(mfd, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0)
			return oci_err_errno(err, errno, "cannot bind cgroup '%s'", src);
	}
	if (move_mount(mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return oci_err_errno(err, errno, "cannot mount cgroup '%s'", src ? src : "cgroup2");
	return 0;
}

const oci_cgroup_ops oci_cgroup_v2_ops = {
    .name = "v2",
    .plan = oci_cgroup_plan_path,
    .create = v2_create,
    .enter = oci_cgroup_fs_enter,
    .enter_self = oci_cgroup_fs_enter_self,
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
