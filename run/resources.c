/* linux.resources applied the way runc's cgroup managers do: on v1 each controller's files in
 * the hierarchy that has it (found by the file itself: cpu and cpuacct may be mounted apart);
 * on v2 the unified files, after enabling the controller in every ancestor's
 * subtree_control. Without this a container would run unlimited, and with CAP_MKNOD could
 * open any host device: the devices list is never skipped where root has a devices cgroup. */
#include "run/resources.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "run/devices_bpf.h"

/* runc's AllowedDevices (libcontainer/specconv), appended after the config's own rules:
 * mknod of anything, and the devices every container gets. */
#define MRW (OCI_DEV_M | OCI_DEV_R | OCI_DEV_W)
static const oci_device_rule default_devices[] = {
    {'c', -1, -1, OCI_DEV_M, true}, {'b', -1, -1, OCI_DEV_M, true}, {'c', 1, 3, MRW, true},
    {'c', 1, 8, MRW, true},	    {'c', 1, 7, MRW, true},	    {'c', 5, 0, MRW, true},
    {'c', 1, 5, MRW, true},	    {'c', 1, 9, MRW, true},	    {'c', 136, -1, MRW, true},
    {'c', 5, 2, MRW, true},	    {'c', 10, 200, MRW, true},
};

static int write_file(const char *dir, const char *file, const char *val, const char *what,
		      oci_error *err)
{
	char p[8400];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(val);
	if (fd < 0 || write(fd, val, n) != (ssize_t)n) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return oci_err_errno(err, e, "linux.resources.%s: cannot write '%s' to '%s'", what,
				     val, p);
	}
	close(fd);
	return 0;
}

static bool has_file(const char *dir, const char *file)
{
	char p[8400];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

/* The v1 directory holding probe (e.g. "memory.limit_in_bytes"), or NULL. */
static const char *v1_dir(json_t *dirs, const char *probe)
{
	size_t i;
	json_t *v;
	json_array_foreach(dirs, i, v)
	{
		const char *d = json_string_value(v);
		if (!has_file(d, "cgroup.controllers") && has_file(d, probe))
			return d;
	}
	return NULL;
}

static const char *v2_root_dir(json_t *dirs)
{
	size_t i;
	json_t *v;
	json_array_foreach(dirs, i, v)
	{
		const char *d = json_string_value(v);
		if (has_file(d, "cgroup.controllers"))
			return d;
	}
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

/* Enable ctrl from the v2 mount's root down to dir's parent; false when the hierarchy does
 * not offer it (bound to v1 in a hybrid setup, or not delegated). */
static bool v2_enable(const char *dir, const char *ctrl)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", dir);
	/* the top: the highest ancestor that is still a cgroup directory */
	char *levels[128];
	int n = 0;
	for (;;) {
		char *slash = strrchr(path, '/');
		if (!slash || slash == path)
			break;
		*slash = '\0';
		if (!has_file(path, "cgroup.controllers")) {
			*slash = '/';
			break;
		}
		if (n < 128)
			levels[n++] = slash;
	}
	/* path is now dir's top-most cgroup ancestor with separators restored below it */
	for (int i = 0; i < n; i++)
		*levels[i] = '/';
	for (int i = n - 1; i >= 0; i--) {
		*levels[i] = '\0';
		char buf[1024];
		char p[4200];
		snprintf(p, sizeof(p), "%s/cgroup.controllers", path);
		cleanup_free char *data = NULL;
		size_t len;
		if (oci_read_file_at(AT_FDCWD, p, sizeof(buf), &data, &len, NULL) < 0 ||
		    !word_in(data, ctrl)) {
			*levels[i] = '/';
			return false;
		}
		char plus[64];
		snprintf(plus, sizeof(plus), "+%s", ctrl);
		oci_error e = OCI_ERROR_INIT;
		write_file(path, "cgroup.subtree_control", plus, "unified", &e);
		oci_err_clear(&e);
		*levels[i] = '/';
	}
	char p[4200];
	snprintf(p, sizeof(p), "%s/cgroup.controllers", dir);
	cleanup_free char *data = NULL;
	size_t len;
	return oci_read_file_at(AT_FDCWD, p, 4096, &data, &len, NULL) == 0 && word_in(data, ctrl);
}

/* The v2 directory when ctrl is available there. */
static const char *v2_dir(json_t *dirs, const char *ctrl)
{
	const char *d = v2_root_dir(dirs);
	return d && v2_enable(d, ctrl) ? d : NULL;
}

static int missing(const char *what, const char *ctrl, oci_error *err)
{
	return oci_err(err, OCI_E_UNSUPPORTED,
		       "linux.resources.%s: cannot be applied: no %s cgroup controller "
		       "(not mounted, or no cgroup for this container)",
		       what, ctrl);
}

static bool get_int(json_t *obj, const char *key, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

static int write_int(const char *dir, const char *file, int64_t v, const char *what, oci_error *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return write_file(dir, file, buf, what, err);
}

/* One rule of linux.resources.devices; -1 on a bad value. */
static int device_rule(json_t *d, size_t i, oci_device_rule *r, oci_error *err)
{
	if (!json_is_object(d) || !json_is_boolean(json_object_get(d, "allow")))
		return oci_err(err, OCI_E_INVALID,
			       "linux.resources.devices[%zu].allow: expected a boolean", i);
	r->allow = json_is_true(json_object_get(d, "allow"));
	const char *type = json_string_value(json_object_get(d, "type"));
	const char *access = json_string_value(json_object_get(d, "access"));
	if (!type || !type[0])
		type = "a";
	if (strlen(type) != 1 || !strchr("abc", type[0]))
		return oci_err(err, OCI_E_INVALID,
			       "linux.resources.devices[%zu].type: expected a, b or c, got '%s'", i,
			       type);
	r->type = type[0];
	if (!access || !access[0])
		access = "rwm";
	if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
		return oci_err(
		    err, OCI_E_INVALID,
		    "linux.resources.devices[%zu].access: expected letters of rwm, got '%s'", i,
		    access);
	r->access = (strchr(access, 'm') ? OCI_DEV_M : 0) | (strchr(access, 'r') ? OCI_DEV_R : 0) |
		    (strchr(access, 'w') ? OCI_DEV_W : 0);
	int64_t v;
	r->major = get_int(d, "major", &v) && v >= 0 ? v : -1;
	r->minor = get_int(d, "minor", &v) && v >= 0 ? v : -1;
	if (r->major > UINT32_MAX || r->minor > UINT32_MAX)
		return oci_err(err, OCI_E_INVALID,
			       "linux.resources.devices[%zu]: major or minor out of range", i);
	return 0;
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

static int apply_devices(json_t *list, json_t *dirs, bool create, oci_error *err)
{
	if (!create && !json_is_array(list))
		return 0;
	if (list && !json_is_array(list))
		return oci_err(err, OCI_E_INVALID, "linux.resources.devices: expected an array");
	/* Unprivileged: device nodes made in a user namespace cannot be opened anyway, and the
	 * devices cgroup is not ours to write (runc ignores these errors when rootless). */
	if (geteuid() != 0)
		return 0;
	size_t n = json_array_size(list) + (create ? ARRAY_SIZE(default_devices) : 0);
	if (n > 1000)
		return oci_err(err, OCI_E_LIMIT, "linux.resources.devices: too many rules");
	cleanup_free oci_device_rule *rules = oci_calloc(n + 1, sizeof(*rules), err);
	if (!rules)
		return -1;
	size_t i, k = 0;
	json_t *r;
	json_array_foreach(list, i, r)
	{
		if (device_rule(r, i, &rules[k++], err) < 0)
			return -1;
	}
	if (create)
		for (i = 0; i < ARRAY_SIZE(default_devices); i++)
			rules[k++] = default_devices[i];

	const char *d = v1_dir(dirs, "devices.allow");
	const char *v2 = v2_root_dir(dirs);
	if (!d && !v2)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.devices: cannot be enforced: no devices cgroup for "
			       "this container");
	if (!d && !create)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.devices: cannot be changed by update on cgroup v2");
	/* On v2 the eBPF filter is the only guard; in a hybrid setup it backs the v1 list up
	 * (where eBPF is not allowed to us, v1 alone still holds). */
	if (v2 && create) {
		oci_error e = OCI_ERROR_INIT;
		if (oci_devices_bpf_attach(v2, rules, k, d ? &e : err) < 0 && !d)
			return -1;
		oci_err_clear(&e);
	}
	if (!d)
		return 0;
	/* runc's v1 manager: a list that does not allow everything starts from deny-all. */
	if (create && write_file(d, "devices.deny", "a", "devices", err) < 0)
		return -1;
	for (i = 0; i < k; i++) {
		char line[96];
		rule_line(&rules[i], line, sizeof(line));
		if (write_file(d, rules[i].allow ? "devices.allow" : "devices.deny", line,
			       "devices", err) < 0)
			return -1;
	}
	return 0;
}

static int apply_memory(json_t *m, json_t *dirs, oci_error *err)
{
	int64_t limit = 0, swap = 0, v;
	bool has_limit = get_int(m, "limit", &limit), has_swap = get_int(m, "swap", &swap);
	const char *d = v1_dir(dirs, "memory.limit_in_bytes");
	if (d) {
		/* runc's order: the pair must stay valid (limit <= memsw) after each write */
		bool swap_first = false;
		if (has_limit && has_swap) {
			char p[8400];
			snprintf(p, sizeof(p), "%s/memory.limit_in_bytes", d);
			cleanup_free char *cur = NULL;
			size_t len;
			uint64_t c = UINT64_MAX;
			if (oci_read_file_at(AT_FDCWD, p, 64, &cur, &len, NULL) == 0)
				c = strtoull(cur, NULL, 10);
			swap_first = swap == -1 || c < (uint64_t)swap;
		}
		if (swap_first &&
		    write_int(d, "memory.memsw.limit_in_bytes", swap, "memory.swap", err) < 0)
			return -1;
		if (has_limit &&
		    write_int(d, "memory.limit_in_bytes", limit, "memory.limit", err) < 0)
			return -1;
		if (has_swap && !swap_first &&
		    write_int(d, "memory.memsw.limit_in_bytes", swap, "memory.swap", err) < 0)
			return -1;
		if (get_int(m, "reservation", &v) &&
		    write_int(d, "memory.soft_limit_in_bytes", v, "memory.reservation", err) < 0)
			return -1;
		if (get_int(m, "swappiness", &v) && v >= 0 && v <= 100 &&
		    write_int(d, "memory.swappiness", v, "memory.swappiness", err) < 0)
			return -1;
		if (json_is_true(json_object_get(m, "disableOOMKiller")) &&
		    write_file(d, "memory.oom_control", "1", "memory.disableOOMKiller", err) < 0)
			return -1;
		return 0;
	}
	if (!(d = v2_dir(dirs, "memory")))
		return missing("memory", "memory", err);
	char buf[32];
	if (has_limit) {
		snprintf(buf, sizeof(buf), limit <= 0 ? "max" : "%" PRId64, limit);
		if (write_file(d, "memory.max", buf, "memory.limit", err) < 0)
			return -1;
	}
	if (has_swap) {
		/* runc's ConvertMemorySwapToCgroupV2Value: v1's memsw is memory+swap */
		if (swap == -1 || limit <= 0)
			snprintf(buf, sizeof(buf), "max");
		else if (!has_limit || swap < limit)
			return oci_err(
			    err, OCI_E_INVALID,
			    "linux.resources.memory.swap: must be at least the limit on cgroup v2");
		else
			snprintf(buf, sizeof(buf), "%" PRId64, swap - limit);
		if (write_file(d, "memory.swap.max", buf, "memory.swap", err) < 0)
			return -1;
	}
	if (get_int(m, "reservation", &v) &&
	    write_int(d, "memory.low", v, "memory.reservation", err) < 0)
		return -1;
	return 0;
}

static int apply_pids(json_t *p, json_t *dirs, oci_error *err)
{
	int64_t limit;
	if (!get_int(p, "limit", &limit) || limit == 0)
		return 0;
	char buf[32];
	snprintf(buf, sizeof(buf), limit < 0 ? "max" : "%" PRId64, limit);
	const char *d = v1_dir(dirs, "pids.max");
	if (!d && !(d = v2_dir(dirs, "pids")))
		return missing("pids", "pids", err);
	return write_file(d, "pids.max", buf, "pids.limit", err);
}

static int apply_cpuset(json_t *c, json_t *dirs, oci_error *err)
{
	const char *cpus = json_string_value(json_object_get(c, "cpus"));
	const char *mems = json_string_value(json_object_get(c, "mems"));
	if ((!cpus || !cpus[0]) && (!mems || !mems[0]))
		return 0;
	const char *d = v1_dir(dirs, "cpuset.cpus");
	if (!d && !(d = v2_dir(dirs, "cpuset")))
		return missing("cpu.cpus", "cpuset", err);
	if (cpus && cpus[0] && write_file(d, "cpuset.cpus", cpus, "cpu.cpus", err) < 0)
		return -1;
	if (mems && mems[0] && write_file(d, "cpuset.mems", mems, "cpu.mems", err) < 0)
		return -1;
	return 0;
}

static int apply_cpu(json_t *c, json_t *dirs, oci_error *err)
{
	int64_t shares = 0, quota = 0, period = 0, rt_runtime = 0, rt_period = 0;
	bool has_shares = get_int(c, "shares", &shares) && shares != 0;
	bool has_quota = get_int(c, "quota", &quota) && quota != 0;
	bool has_period = get_int(c, "period", &period) && period != 0;
	bool has_rtr = get_int(c, "realtimeRuntime", &rt_runtime) && rt_runtime != 0;
	bool has_rtp = get_int(c, "realtimePeriod", &rt_period) && rt_period != 0;
	if (apply_cpuset(c, dirs, err) < 0)
		return -1;
	if (!has_shares && !has_quota && !has_period && !has_rtr && !has_rtp)
		return 0;
	const char *d = v1_dir(dirs, "cpu.shares");
	if (d) {
		if (has_rtp &&
		    write_int(d, "cpu.rt_period_us", rt_period, "cpu.realtimePeriod", err) < 0)
			return -1;
		if (has_rtr &&
		    write_int(d, "cpu.rt_runtime_us", rt_runtime, "cpu.realtimeRuntime", err) < 0)
			return -1;
		if (has_shares && write_int(d, "cpu.shares", shares, "cpu.shares", err) < 0)
			return -1;
		if (has_period) {
			/* a period below the current quota is refused until the quota is written */
			oci_error e = OCI_ERROR_INIT;
			if (write_int(d, "cpu.cfs_period_us", period, "cpu.period", &e) < 0) {
				oci_err_clear(&e);
				if (!has_quota)
					return write_int(d, "cpu.cfs_period_us", period,
							 "cpu.period", err);
				if (write_int(d, "cpu.cfs_quota_us", quota, "cpu.quota", err) < 0 ||
				    write_int(d, "cpu.cfs_period_us", period, "cpu.period", err) <
					0)
					return -1;
				return 0;
			}
		}
		if (has_quota && write_int(d, "cpu.cfs_quota_us", quota, "cpu.quota", err) < 0)
			return -1;
		return 0;
	}
	if (!(d = v2_dir(dirs, "cpu")))
		return missing("cpu", "cpu", err);
	if (has_rtr || has_rtp)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.cpu.realtimeRuntime: not supported on cgroup v2");
	if (has_shares) {
		if (shares < 2 || shares > 262144)
			return oci_err(err, OCI_E_INVALID,
				       "linux.resources.cpu.shares: %" PRId64
				       " out of range 2..262144",
				       shares);
		if (write_int(d, "cpu.weight", 1 + ((shares - 2) * 9999) / 262142, "cpu.shares",
			      err) < 0)
			return -1;
	}
	if (has_quota || has_period) {
		char buf[64];
		if (has_quota && quota > 0)
			snprintf(buf, sizeof(buf), "%" PRId64 " %" PRId64, quota,
				 has_period ? period : 100000);
		else
			snprintf(buf, sizeof(buf), "max %" PRId64, has_period ? period : 100000);
		if (write_file(d, "cpu.max", buf, "cpu.quota", err) < 0)
			return -1;
	}
	return 0;
}

static int apply_blkio(json_t *b, json_t *dirs, oci_error *err)
{
	int64_t w;
	if (!get_int(b, "weight", &w) || w == 0)
		return 0;
	const char *d = v1_dir(dirs, "blkio.bfq.weight");
	if (d)
		return write_int(d, "blkio.bfq.weight", w, "blockIO.weight", err);
	if ((d = v1_dir(dirs, "blkio.weight")))
		return write_int(d, "blkio.weight", w, "blockIO.weight", err);
	if (!(d = v2_dir(dirs, "io")))
		return missing("blockIO", "blkio", err);
	/* runc's ConvertBlkIOToIOWeightValue */
	return write_int(d, has_file(d, "io.bfq.weight") ? "io.bfq.weight" : "io.weight",
			 1 + (w - 10) * 9999 / 990, "blockIO.weight", err);
}

static int apply_hugetlb(json_t *list, json_t *dirs, oci_error *err)
{
	size_t i;
	json_t *h;
	json_array_foreach(list, i, h)
	{
		const char *size = json_string_value(json_object_get(h, "pageSize"));
		int64_t limit;
		if (!size || !size[0] || strchr(size, '/') || !get_int(h, "limit", &limit))
			return oci_err(
			    err, OCI_E_INVALID,
			    "linux.resources.hugepageLimits[%zu]: expected pageSize and limit", i);
		char file[128];
		snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", size);
		const char *d = v1_dir(dirs, file);
		if (!d) {
			snprintf(file, sizeof(file), "hugetlb.%s.max", size);
			d = v2_dir(dirs, "hugetlb");
			if (d && !has_file(d, file))
				d = NULL;
		}
		if (!d)
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "linux.resources.hugepageLimits[%zu]: cannot be applied: no "
				       "hugetlb cgroup "
				       "controller with page size '%s'",
				       i, size);
		if (write_int(d, file, limit, "hugepageLimits", err) < 0)
			return -1;
		/* the reservation limit too, where the kernel has it (runc does the same) */
		char rsvd[160];
		bool v1 = oci_str_has_suffix(file, ".limit_in_bytes");
		snprintf(rsvd, sizeof(rsvd), "hugetlb.%s.rsvd.%s", size,
			 v1 ? "limit_in_bytes" : "max");
		if (has_file(d, rsvd) && write_int(d, rsvd, limit, "hugepageLimits", err) < 0)
			return -1;
	}
	return 0;
}

static int apply_network(json_t *n, json_t *dirs, oci_error *err)
{
	int64_t id;
	if (get_int(n, "classID", &id)) {
		const char *d = v1_dir(dirs, "net_cls.classid");
		if (!d)
			return missing("network.classID", "net_cls", err);
		if (write_int(d, "net_cls.classid", id, "network.classID", err) < 0)
			return -1;
	}
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(n, "priorities"), i, p)
	{
		const char *name = json_string_value(json_object_get(p, "name"));
		int64_t prio;
		if (!name || !get_int(p, "priority", &prio))
			return oci_err(
			    err, OCI_E_INVALID,
			    "linux.resources.network.priorities[%zu]: expected name and priority",
			    i);
		const char *d = v1_dir(dirs, "net_prio.ifpriomap");
		if (!d)
			return missing("network.priorities", "net_prio", err);
		char buf[128];
		snprintf(buf, sizeof(buf), "%s %" PRId64, name, prio);
		if (write_file(d, "net_prio.ifpriomap", buf, "network.priorities", err) < 0)
			return -1;
	}
	return 0;
}

static int apply_unified(json_t *u, json_t *dirs, oci_error *err)
{
	if (!json_object_size(u))
		return 0;
	const char *d = v2_root_dir(dirs);
	if (!d)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.unified: needs a cgroup v2 hierarchy");
	const char *key;
	json_t *v;
	json_object_foreach(u, key, v)
	{
		const char *val = json_string_value(v);
		if (!val || strchr(key, '/') || !strcmp(key, ".") || !strcmp(key, "..") ||
		    !strchr(key, '.'))
			return oci_err(err, OCI_E_INVALID,
				       "linux.resources.unified.%s: invalid key or value", key);
		char ctrl[64];
		snprintf(ctrl, sizeof(ctrl), "%.*s", (int)(strchr(key, '.') - key), key);
		if (strcmp(ctrl, "cgroup"))
			v2_enable(d, ctrl);
		char what[300];
		snprintf(what, sizeof(what), "unified.%s", key);
		if (write_file(d, key, val, what, err) < 0)
			return -1;
	}
	return 0;
}

int oci_resources_apply(json_t *res, json_t *dirs, bool create, oci_error *err)
{
	if (res && !json_is_object(res))
		return oci_err(err, OCI_E_INVALID, "linux.resources: expected an object");
	if (apply_devices(json_object_get(res, "devices"), dirs, create, err) < 0)
		return -1;
	/* an absent or empty group asks for nothing, and needs no controller */
	json_t *v;
	if (json_object_size(v = json_object_get(res, "memory")) && apply_memory(v, dirs, err) < 0)
		return -1;
	if (json_object_size(v = json_object_get(res, "pids")) && apply_pids(v, dirs, err) < 0)
		return -1;
	if (json_object_size(v = json_object_get(res, "cpu")) && apply_cpu(v, dirs, err) < 0)
		return -1;
	if (json_object_size(v = json_object_get(res, "blockIO")) && apply_blkio(v, dirs, err) < 0)
		return -1;
	if (json_array_size(v = json_object_get(res, "hugepageLimits")) &&
	    apply_hugetlb(v, dirs, err) < 0)
		return -1;
	if (json_object_size(v = json_object_get(res, "network")) &&
	    apply_network(v, dirs, err) < 0)
		return -1;
	return apply_unified(json_object_get(res, "unified"), dirs, err);
}
