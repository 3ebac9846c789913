/* The systemd driver (--systemd-cgroup), as runc's: linux.cgroupsPath "slice:prefix:name"
 * names the transient unit <prefix>-<name>.scope in <slice> (system.slice:runc:<id> without
 * one), which systemd creates over D-Bus (StartTransientUnit, Delegate=yes). The resources
 * systemd owns become unit properties (from what the cgroupfs writers left in the files, so
 * that both agree), and everything is also written into the scope's cgroup by the v1 or v2
 * driver, as runc does. update sets the properties again (SetUnitProperties, runtime);
 * destroy stops the unit. The D-Bus calls are in systemd_dbus.c. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "run/cgroup/internal.h"
#include "run/cgroup/systemd_dbus.h"

bool oci_cgroup_systemd_running(void)
{
	struct stat sb;
	return stat("/run/systemd/system", &sb) == 0 && S_ISDIR(sb.st_mode);
}

int oci_cgroup_systemd_annotations(oci_cgroup_manager *m, const oci_config_kv *a, size_t n,
				   oci_error *err)
{
	if (m->ops != &oci_cgroup_systemd_ops)
		return 0;
	oci_sd_props *p = oci_sd_props_new(err);
	if (!p || oci_sd_props_annotations(p, a, n, err) < 0) {
		oci_sd_props_free(p);
		return -1;
	}
	oci_sd_props_free(m->unit_props);
	m->unit_props = p;
	return 0;
}

/* One part of "slice:prefix:name": what systemd accepts in a unit name, refused here before
 * any D-Bus call (a '/' or ".." would also leave the cgroup tree). */
static bool unit_part_ok(const char *s, size_t n)
{
	if (n > 255 || memmem(s, n, "..", 2))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static char *systemd_plan(const oci_cgroup_manager *m, const char *cp, const char *id,
			  oci_error *err)
{
	(void)m;
	/* runc's default: the scope runc-<id>.scope in system.slice */
	if (!cp || !cp[0]) {
		if (!unit_part_ok(id, strlen(id)))
			return oci_err(err, OCI_E_INVALID,
				       "container id '%s' cannot be part of a systemd unit name",
				       id),
			       NULL;
		cleanup_free char *dflt = oci_asprintf(err, "system.slice:runc:%s", id);
		return dflt ? oci_cgroup_plan_systemd(dflt, err) : NULL;
	}
	const char *c1 = strchr(cp, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c1 && c2 && !strchr(c2 + 1, ':') &&
	    (!unit_part_ok(cp, (size_t)(c1 - cp)) || !unit_part_ok(c1 + 1, (size_t)(c2 - c1 - 1)) ||
	     !unit_part_ok(c2 + 1, strlen(c2 + 1))))
		return oci_err(err, OCI_E_INVALID,
			       "linux.cgroupsPath: '%s' is not a valid systemd unit path (slice, "
			       "prefix and name take letters, digits, '_', '-' and '.', no '..')",
			       cp),
		       NULL;
	char *rel = oci_cgroup_plan_systemd(cp, err);
	/* systemd's limit on a unit name (UNIT_NAME_MAX), for every slice and the unit */
	for (const char *p = rel; p && *p;) {
		size_t n = strcspn(++p, "/");
		if (n > 255) {
			free(rel);
			return oci_err(
				   err, OCI_E_INVALID,
				   "linux.cgroupsPath: '%.40s...': a systemd unit name is at most "
				   "255 characters",
				   cp),
			       NULL;
		}
		p += n;
	}
	return rel;
}

/* The unit of rel ("/system.slice/runc-x.scope"): its last component, and the slice it is
 * in (the one before, or "-.slice" at the top). */
static int unit_of(const char *rel, char **unit, char **slice, oci_error *err)
{
	const char *last = strrchr(rel, '/');
	if (!last || !last[1])
		return oci_err(err, OCI_E_INVALID, "no systemd unit in cgroup '%s'", rel);
	*unit = oci_strdup(last + 1, err);
	if (!*unit)
		return -1;
	if (!slice)
		return 0;
	const char *p = last;
	while (p > rel && p[-1] != '/')
		p--;
	*slice =
	    p == last ? oci_strdup("-.slice", err) : oci_asprintf(err, "%.*s", (int)(last - p), p);
	return *slice ? 0 : -1;
}

/* The cgroupfs driver of these directories (the v1 one also handles the unified directory of
 * a hybrid host). */
static const oci_cgroup_ops *fs_ops(const oci_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (!cg->dirs[i] || !oci_cgroup_has(cg->dirs[i], "cgroup.controllers"))
			return &oci_cgroup_v1_ops;
	return cg->n ? &oci_cgroup_v2_ops : &oci_cgroup_v1_ops;
}

static const oci_cgroup_ops *fs_driver(const oci_cgroup_manager *m)
{
	for (size_t i = 0; i < m->n_mounts; i++)
		if (!m->mounts[i].v2)
			return &oci_cgroup_v1_ops;
	return &oci_cgroup_v2_ops;
}

/* systemd refuses a scope without a process, and the container's init does not exist yet
 * when its cgroup is made (its limits are written before it runs): a paused child of the
 * runtime holds the scope until the init has joined it (enter), then goes. It dies with the
 * runtime. One container is created per runtime process. */
static pid_t holder = -1;

static void holder_end(void)
{
	if (holder > 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
	}
	holder = -1;
}

static pid_t holder_start(oci_error *err)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return oci_err_errno(err, errno, "cannot fork"), -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		syscall(SYS_close_range, 0U, ~0U, 0U);
		for (;;)
			pause();
	}
	holder = pid;
	return pid;
}

/* Whether the unit systemd has under this name owns these directories (the handle may come
 * from a state file someone else wrote: no other unit is ever changed or stopped). */
static int unit_owns(oci_sd_bus *bus, const char *unit, const oci_cgroup *cg, oci_error *err)
{
	cleanup_free char *cgp = NULL;
	int r = oci_sd_unit_cgroup(bus, unit, &cgp, err);
	if (r <= 0)
		return r;
	size_t l = strlen(cgp);
	for (size_t i = 0; i < cg->n; i++) {
		size_t dl = cg->dirs[i] ? strlen(cg->dirs[i]) : 0;
		if (!cg->dirs[i] || dl <= l || strcmp(cg->dirs[i] + dl - l, cgp) ||
		    cg->dirs[i][dl - l - 1] == '/')
			return 0;
	}
	return 1;
}

static int systemd_create(const oci_cgroup_manager *m, const char *rel, const oci_resources *res,
			  oci_cgroup *cg, oci_error *err)
{
	cleanup_free char *unit = NULL, *slice = NULL;
	if (unit_of(rel, &unit, &slice, err) < 0)
		return -1;
	bool scope = oci_str_has_suffix(unit, ".scope");
	cleanup_sd_bus oci_sd_bus *bus = oci_sd_open(unit, err);
	if (!bus)
		return -1;
	pid_t pid = 0;
	if (scope && (pid = holder_start(err)) < 0)
		return -1;
	if (oci_sd_start_unit(bus, unit, slice, pid, m->unit_props, err) < 0) {
		holder_end();
		return -1;
	}
	/* systemd made the scope's directory in the hierarchies it manages; the cgroupfs driver
	 * makes what is missing (v1 controllers systemd does not manage) and checks it */
	cg->ops = &oci_cgroup_systemd_ops;
	int r = fs_driver(m)->create(m, rel, res, cg, err);
	if (r < 0) {
		holder_end();
		oci_sd_stop_unit(bus, unit, NULL);
	}
	cg->ops = &oci_cgroup_systemd_ops;
	return r;
}

static int systemd_enter(const oci_cgroup *cg, pid_t pid, oci_error *err)
{
	int r = oci_cgroup_fs_enter(cg, pid, err);
	if (r == 0)
		holder_end();
	return r;
}

/* The processes of the container, the holder left out. */
static int systemd_pids(const oci_cgroup *cg, pid_t **out, size_t *n, oci_error *err)
{
	if (oci_cgroup_fs_pids(cg, out, n, err) < 0)
		return -1;
	for (size_t i = 0; holder > 0 && i < *n; i++)
		if ((*out)[i] == holder) {
			(*out)[i] = (*out)[--*n];
			break;
		}
	return 0;
}

/* ---- resources as unit properties ---- */

static bool unified_asks(const oci_resources *res, const char *prefix)
{
	for (size_t i = 0; i < res->n_unified; i++)
		if (oci_str_has_prefix(res->unified[i].key, prefix))
			return true;
	return false;
}

/* A cgroup v2 value file ("max" or a number) as a systemd uint64 (max is infinity). */
static bool read_u64(const char *dir, const char *file, uint64_t *v)
{
	char buf[64];
	if (oci_cgroup_read(dir, file, buf, sizeof(buf)) < 0)
		return false;
	if (!strncmp(buf, "max", 3)) {
		*v = UINT64_MAX;
		return true;
	}
	char *end;
	errno = 0;
	unsigned long long x = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return false;
	*v = x;
	return true;
}

/* The properties of what res asks, read back from the unified directory d the cgroupfs
 * writers have just written (so cpu.max's kept half, the v2 swap value and the converted
 * weights are the driver's): runc's names and conversions. */
static int collect_props(const char *d, const oci_resources *res, oci_sd_props *p, oci_error *err)
{
	uint64_t v;
	if (res->memory.requested || unified_asks(res, "memory.")) {
		static const char *const mem[][2] = {{"memory.max", "MemoryMax"},
						     {"memory.low", "MemoryLow"},
						     {"memory.high", "MemoryHigh"},
						     {"memory.swap.max", "MemorySwapMax"}};
		for (size_t i = 0; i < ARRAY_SIZE(mem); i++)
			if (read_u64(d, mem[i][0], &v) &&
			    oci_sd_props_u64(p, mem[i][1], v, err) < 0)
				return -1;
	}
	/* systemd does not accept a TasksMax of 0: a pids.limit of 0 asks for 1, as runc
	 * HEAD's cgroups library does; the cgroup's pids.max, written above, says 0 */
	if ((res->pids.requested || unified_asks(res, "pids.")) && read_u64(d, "pids.max", &v) &&
	    oci_sd_props_u64(p, "TasksMax", v ? v : 1, err) < 0)
		return -1;
	bool cpu = res->cpu.requested || unified_asks(res, "cpu.");
	if (cpu && (res->cpu.shares.set || unified_asks(res, "cpu.weight")) &&
	    read_u64(d, "cpu.weight", &v) && oci_sd_props_u64(p, "CPUWeight", v, err) < 0)
		return -1;
	char buf[128];
	if (cpu && (res->cpu.quota.set || res->cpu.period.set || unified_asks(res, "cpu.max")) &&
	    oci_cgroup_read(d, "cpu.max", buf, sizeof(buf)) == 0) {
		char q[32];
		unsigned long long period;
		if (sscanf(buf, "%31s %llu", q, &period) == 2 && period > 0) {
			/* runc's CPUQuotaPerSecUSec: the quota per second, rounded up to 10 ms
			 * (systemd's granularity) */
			uint64_t per_sec = UINT64_MAX;
			if (strcmp(q, "max")) {
				per_sec = strtoull(q, NULL, 10) * 1000000ULL / period;
				if (per_sec % 10000)
					per_sec = (per_sec / 10000 + 1) * 10000;
			}
			if (oci_sd_props_u64(p, "CPUQuotaPeriodUSec", period, err) < 0 ||
			    oci_sd_props_u64(p, "CPUQuotaPerSecUSec", per_sec, err) < 0)
				return -1;
		}
	}
	if ((res->cpu.cpus && res->cpu.cpus[0]) || unified_asks(res, "cpuset.cpus")) {
		if (oci_cgroup_read(d, "cpuset.cpus", buf, sizeof(buf)) == 0 &&
		    oci_sd_props_cpuset(p, "AllowedCPUs", buf, err) < 0)
			return -1;
	}
	if ((res->cpu.mems && res->cpu.mems[0]) || unified_asks(res, "cpuset.mems")) {
		if (oci_cgroup_read(d, "cpuset.mems", buf, sizeof(buf)) == 0 &&
		    oci_sd_props_cpuset(p, "AllowedMemoryNodes", buf, err) < 0)
			return -1;
	}
	/* io.weight's "default N" (absent with BFQ's own weight file only) */
	if ((res->blkio.requested && res->blkio.weight.set && res->blkio.weight.v) &&
	    oci_cgroup_read(d, "io.weight", buf, sizeof(buf)) == 0 &&
	    sscanf(buf, "default %" SCNu64, &v) == 1 && oci_sd_props_u64(p, "IOWeight", v, err) < 0)
		return -1;
	return 0;
}

/* The files first (the cgroupfs driver checks the whole request before writing anything),
 * then the unit's properties from them, then the files again: systemd has just rewritten
 * them with its own rounding (CPUQuotaPerSecUSec) and the container gets exactly what it
 * asked, as runc orders it. */
static int systemd_apply(const oci_cgroup *cg, const oci_resources *res, bool create,
			 oci_error *err)
{
	const oci_cgroup_ops *fs = fs_ops(cg);
	if (fs->apply(cg, res, create, err) < 0)
		return -1;
	const char *d = oci_cgroup_v2_unified(cg);
	if (!res || !d || oci_cgroup_dry_run)
		return 0;
	cleanup_free char *unit = NULL;
	if (unit_of(d, &unit, NULL, err) < 0)
		return -1;
	cleanup_sd_props oci_sd_props *p = oci_sd_props_new(err);
	if (!p || collect_props(d, res, p, err) < 0)
		return -1;
	if (oci_sd_props_count(p) == 0)
		return 0;
	cleanup_sd_bus oci_sd_bus *bus = oci_sd_open(unit, err);
	if (!bus)
		return -1;
	int own = unit_owns(bus, unit, cg, err);
	if (own < 0)
		return -1;
	if (own == 0) /* not (or no longer) systemd's: the files are all there is */
		return 0;
	if (oci_sd_set_properties(bus, unit, p, err) < 0)
		return -1;
	/* only what was asked: the device filter is not rebuilt */
	oci_resources again = *res;
	again.has_devices = false;
	again.memory.swappiness.set = false; /* v2 says these once, in the first pass */
	again.memory.disable_oom_killer = false;
	return fs->apply(cg, &again, false, err);
}

static int systemd_freeze(const oci_cgroup *cg, bool frozen, oci_error *err)
{
	return fs_ops(cg)->freeze(cg, frozen, err);
}

static bool systemd_is_frozen(const oci_cgroup *cg)
{
	return fs_ops(cg)->is_frozen(cg);
}

static const char *systemd_frozen_dir(const oci_cgroup *cg)
{
	return fs_ops(cg)->frozen_dir(cg);
}

/* Stop the unit when it is the one owning these directories (an empty scope may already be
 * gone: systemd collects it), then remove what is left. */
static int stop_unit(const oci_cgroup *cg, oci_error *err)
{
	holder_end();
	if (!cg->n || !cg->dirs[0] || !oci_cgroup_systemd_running())
		return 0;
	cleanup_free char *unit = NULL;
	if (unit_of(cg->dirs[0], &unit, NULL, err) < 0)
		return -1;
	cleanup_sd_bus oci_sd_bus *bus = oci_sd_open(unit, err);
	if (!bus)
		return -1;
	int own = unit_owns(bus, unit, cg, err);
	if (own <= 0)
		return own;
	return oci_sd_stop_unit(bus, unit, err);
}

static int systemd_kill(const oci_cgroup *cg, oci_error *err)
{
	if (oci_cgroup_kill_tree(cg, err) < 0)
		return -1;
	return stop_unit(cg, err);
}

static int systemd_destroy(const oci_cgroup *cg, oci_error *err)
{
	if (stop_unit(cg, err) < 0)
		return -1;
	return oci_cgroup_fs_destroy(cg, err);
}

static int systemd_stats(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err)
{
	return fs_ops(cg)->stats(cg, s, err);
}

static int systemd_oom_kills(const oci_cgroup *cg, uint64_t *n, oci_error *err)
{
	return fs_ops(cg)->oom_kills(cg, n, err);
}

const oci_cgroup_ops oci_cgroup_systemd_ops = {
    .name = "systemd",
    .plan = systemd_plan,
    .create = systemd_create,
    .enter = systemd_enter,
    .apply = systemd_apply,
    .freeze = systemd_freeze,
    .is_frozen = systemd_is_frozen,
    .frozen_dir = systemd_frozen_dir,
    .pids = systemd_pids,
    .kill = systemd_kill,
    .destroy = systemd_destroy,
    .stats = systemd_stats,
    .oom_kills = systemd_oom_kills,
};
