/* linux.resources: the one walk that checks it (types, the ranges no cgroup version takes,
 * cpuset lists against the host's possible CPUs and nodes) and fills struct oci_resources,
 * for validation and for the runtime alike. Ranges that depend on the cgroup version
 * (cpu.shares on v2, swap below the limit) are left to the driver that writes them. */
#include "common/spec_resources.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/spec.h"
#include "common/spec_check.h"
#include "common/util.h"

#define R "linux.resources"

/* An allocation for r: a failure stops the walk. */
static void *alloc(oci_spec_checker *c, size_t n, size_t size)
{
	oci_error err = OCI_ERROR_INIT;
	void *p = oci_calloc(n, size, &err);
	if (!p)
		c->failed = true;
	return p;
}

static char *sdup(oci_spec_checker *c, const char *s)
{
	oci_error err = OCI_ERROR_INIT;
	char *p = oci_strdup(s, &err);
	if (!p)
		c->failed = true;
	return p;
}

/* obj[key]; null counts as absent (update's --resources and engines may send it). */
static json_t *get(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

static json_t *check(oci_spec_checker *c, json_t *obj, const char *path, const char *key,
		     enum oci_spec_vtype t, bool required)
{
	char kp[256];
	if (!obj)
		return NULL;
	PATHF(kp, "%s.%s", path, key);
	return oci_spec_check_value(c, get(obj, key), kp, t, required);
}

/* An optional integer of type t. */
static void get_int(oci_spec_checker *c, json_t *obj, const char *path, const char *key,
		    enum oci_spec_vtype t, oci_res_int *out)
{
	json_t *v = check(c, obj, path, key, t, false);
	out->set = v != NULL;
	out->v = v ? json_integer_value(v) : 0;
}

/* A group: an object, NULL when absent or of another type (a problem then). */
static json_t *group(oci_spec_checker *c, json_t *res, const char *key, bool *requested)
{
	json_t *g = check(c, res, R, key, V_OBJECT, false);
	if (requested)
		*requested = json_object_size(g) > 0;
	return g;
}

static void device_rule(oci_spec_checker *c, json_t *d, size_t i, oci_device_rule *r)
{
	char ip[64], kp[80];
	PATHF(ip, R ".devices[%zu]", i);
	if (!oci_spec_check_value(c, d, ip, V_OBJECT, true))
		return;
	json_t *allow = get(d, "allow");
	if (!json_is_boolean(allow)) {
		PATHF(kp, "%s.allow", ip);
		oci_spec_problem(c, kp, "expected a boolean");
	}
	r->allow = json_is_true(allow);
	/* "" is all devices and all access, as runc reads an omitted value. */
	const char *type = json_string_value(check(c, d, ip, "type", V_STRING, false));
	if (!type || !*type)
		type = "a";
	if (strlen(type) != 1 || !strchr("abc", type[0])) {
		PATHF(kp, "%s.type", ip);
		oci_spec_problem(c, kp, "expected a, b or c, got '%s'", type);
	}
	r->type = type[0];
	const char *access = json_string_value(check(c, d, ip, "access", V_STRING, false));
	if (!access || !*access)
		access = "rwm";
	if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
		oci_spec_problem(c, ip, "access '%s' is not made of r, w and m", access);
	r->access = (strchr(access, 'm') ? OCI_DEV_M : 0) | (strchr(access, 'r') ? OCI_DEV_R : 0) |
		    (strchr(access, 'w') ? OCI_DEV_W : 0);
	/* absent or negative: any */
	json_t *maj = check(c, d, ip, "major", V_INT64, false),
	       *min = check(c, d, ip, "minor", V_INT64, false);
	r->major = maj && json_integer_value(maj) >= 0 ? json_integer_value(maj) : -1;
	r->minor = min && json_integer_value(min) >= 0 ? json_integer_value(min) : -1;
	if (r->major > UINT32_MAX || r->minor > UINT32_MAX)
		oci_spec_problem(c, ip, "major or minor out of range");
}

static void walk_devices(oci_spec_checker *c, json_t *res, oci_resources *r)
{
	json_t *list = check(c, res, R, "devices", V_ARRAY, false), *d;
	r->has_devices = list != NULL;
	if (!json_array_size(list))
		return;
	if (json_array_size(list) > 100000) {
		oci_spec_problem(c, R ".devices", "too many rules");
		return;
	}
	if (!(r->devices = alloc(c, json_array_size(list), sizeof(*r->devices))))
		return;
	size_t i;
	json_array_foreach(list, i, d) device_rule(c, d, i, &r->devices[r->n_devices++]);
}

static void walk_memory(oci_spec_checker *c, json_t *res, oci_resources *r)
{
	static const char *const p = R ".memory";
	json_t *m = group(c, res, "memory", &r->memory.requested);
	if (!m)
		return;
	static const char *const keys[] = {"limit", "reservation", "swap", "kernel", "kernelTCP"};
	oci_res_int *dest[] = {&r->memory.limit, &r->memory.reservation, &r->memory.swap,
			       &r->memory.kernel, &r->memory.kernel_tcp};
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		oci_res_int v;
		get_int(c, m, p, keys[k], V_INT64, &v);
		/* -1 is "unlimited" (runc, docker); anything lower no cgroup version takes. */
		if (v.set && v.v < -1) {
			char kp[64];
			PATHF(kp, "%s.%s", p, keys[k]);
			oci_spec_problem(c, kp, "%" PRId64 " is negative (-1 means unlimited)",
					 v.v);
		}
		if (dest[k])
			*dest[k] = v;
	}
	get_int(c, m, p, "swappiness", V_UINT64, &r->memory.swappiness);
	r->memory.disable_oom_killer =
	    json_is_true(check(c, m, p, "disableOOMKiller", V_BOOL, false));
	r->memory.check_before_update =
	    json_is_true(check(c, m, p, "checkBeforeUpdate", V_BOOL, false));
}

/* The kernel's own ceilings (OCI_SPEC_MAX_CPUS, OCI_SPEC_NUMA_NODES); the host's possible CPUs
 * and nodes lower them when /sys tells. */

/* The highest number in a sysfs list like "0-3,8" (the host's possible CPUs), or -1. */
static long sysfs_list_max(const char *file)
{
	char buf[256];
	cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	long max = -1;
	for (char *p = buf; *p;) {
		if (*p >= '0' && *p <= '9') {
			long v = strtol(p, &p, 10);
			if (v > max)
				max = v;
		} else {
			p++;
		}
	}
	return max;
}

/* A cpuset list ("0-3,8"): ranges low to high, every number a CPU (node) this kernel can
 * have, so cpuset.cpus does not refuse it after the cgroup exists. Returns a copy, or NULL
 * when absent. */
static char *cpuset(oci_spec_checker *c, json_t *cpu, const char *key, const char *what,
		    const char *sysfs, long ceiling)
{
	char path[64];
	PATHF(path, R ".cpu.%s", key);
	const char *s = json_string_value(check(c, cpu, R ".cpu", key, V_STRING, false));
	if (!s)
		return NULL;
	if (!*s)
		return sdup(c, s);
	long max = sysfs_list_max(sysfs);
	if (max < 0 || max >= ceiling)
		max = ceiling - 1;
	for (const char *p = s;;) {
		char *end;
		if (*p < '0' || *p > '9')
			goto bad;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		p = end;
		if (*p == '-') {
			if (p[1] < '0' || p[1] > '9')
				goto bad;
			hi = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (lo > hi) {
			oci_spec_problem(c, path, "'%s': range %lu-%lu goes down", s, lo, hi);
			return NULL;
		}
		if (hi > (unsigned long)max) {
			oci_spec_problem(c, path,
					 "'%s': %s %lu does not exist (the highest is %ld)", s,
					 what, hi, max);
			return NULL;
		}
		if (!*p)
			return sdup(c, s);
		if (*p++ != ',')
			goto bad;
	}
bad:
	oci_spec_problem(c, path, "'%s' is not a list like 0-3,5", s);
	return NULL;
}

static void walk_cpu(oci_spec_checker *c, json_t *res, oci_resources *r)
{
	static const char *const p = R ".cpu";
	json_t *cpu = group(c, res, "cpu", &r->cpu.requested);
	if (!cpu)
		return;
	get_int(c, cpu, p, "shares", V_UINT64, &r->cpu.shares);
	get_int(c, cpu, p, "quota", V_INT64, &r->cpu.quota);
	get_int(c, cpu, p, "period", V_UINT64, &r->cpu.period);
	get_int(c, cpu, p, "realtimeRuntime", V_INT64, &r->cpu.rt_runtime);
	get_int(c, cpu, p, "realtimePeriod", V_UINT64, &r->cpu.rt_period);
	r->cpu.cpus =
	    cpuset(c, cpu, "cpus", "CPU", "/sys/devices/system/cpu/possible", OCI_SPEC_MAX_CPUS);
	r->cpu.mems = cpuset(c, cpu, "mems", "memory node", "/sys/devices/system/node/possible",
			     OCI_SPEC_NUMA_NODES);
	/* runtime-spec 1.2's cpu.max.burst and cpu.idle: no driver writes them (0 is the
	 * kernel's default, so asking for it changes nothing). */
	oci_res_int burst, idle;
	get_int(c, cpu, p, "burst", V_UINT64, &burst);
	get_int(c, cpu, p, "idle", V_INT64, &idle);
	if (burst.set && burst.v && !r->unsupported)
		r->unsupported = "cpu.burst";
	if (idle.set && idle.v && !r->unsupported)
		r->unsupported = "cpu.idle";
}

const oci_res_throttle_kind oci_res_throttle_kinds[OCI_RES_THROTTLE_N] = {
    {"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"},
    {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"},
    {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"},
    {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"},
};

/* blockIO.<key>: a list of devices, with weights (weightDevice) or a rate (throttle lists). */
static void walk_blkdevs(oci_spec_checker *c, json_t *b, const char *key, bool weights,
			 oci_res_blkdev **out, size_t *n)
{
	char lp[96], ip[128];
	PATHF(lp, R ".blockIO.%s", key);
	json_t *list = check(c, b, R ".blockIO", key, V_ARRAY, false), *d;
	if (!json_array_size(list))
		return;
	if (json_array_size(list) > 4096) {
		oci_spec_problem(c, lp, "too many devices");
		return;
	}
	if (!(*out = alloc(c, json_array_size(list), sizeof(**out))))
		return;
	size_t i;
	json_array_foreach(list, i, d)
	{
		PATHF(ip, "%s[%zu]", lp, i);
		if (!oci_spec_check_value(c, d, ip, V_OBJECT, true))
			continue;
		oci_res_blkdev *e = &(*out)[(*n)++];
		json_t *maj = check(c, d, ip, "major", V_UINT64, true),
		       *min = check(c, d, ip, "minor", V_UINT64, true);
		e->major = json_integer_value(maj);
		e->minor = json_integer_value(min);
		if (e->major > UINT32_MAX || e->minor > UINT32_MAX)
			oci_spec_problem(c, ip, "major or minor out of range");
		if (weights) {
			get_int(c, d, ip, "weight", V_UINT64, &e->weight);
			get_int(c, d, ip, "leafWeight", V_UINT64, &e->leaf_weight);
		} else {
			e->rate =
			    (uint64_t)json_integer_value(check(c, d, ip, "rate", V_UINT64, true));
		}
	}
}

static void walk_blkio(oci_spec_checker *c, json_t *res, oci_resources *r)
{
	json_t *b = group(c, res, "blockIO", &r->blkio.requested);
	if (!b)
		return;
	get_int(c, b, R ".blockIO", "weight", V_INT64, &r->blkio.weight);
	get_int(c, b, R ".blockIO", "leafWeight", V_INT64, &r->blkio.leaf_weight);
	walk_blkdevs(c, b, "weightDevice", true, &r->blkio.weight_devices,
		     &r->blkio.n_weight_devices);
	for (int k = 0; k < OCI_RES_THROTTLE_N; k++)
		walk_blkdevs(c, b, oci_res_throttle_kinds[k].key, false, &r->blkio.throttle[k],
			     &r->blkio.n_throttle[k]);
}

static void walk_hugepages(oci_spec_checker *c, json_t *res, oci_resources *r)
{
	json_t *list = check(c, res, R, "hugepageLimits", V_ARRAY, false), *h;
	if (!json_array_size(list) ||
	    !(r->hugepages = alloc(c, json_array_size(list), sizeof(*r->hugepages))))
		return;
	size_t i;
	json_array_foreach(list, i, h)
	{
		const char *size = json_string_value(json_object_get(h, "pageSize"));
		json_t *limit = json_object_get(h, "limit");
		if (!size || !size[0] || strchr(size, '/') || !json_is_integer(limit)) {
			char ip[64];
			PATHF(ip, R ".hugepageLimits[%zu]", i);
			oci_spec_problem(c, ip, "expected pageSize and limit");
			continue;
		}
		oci_res_hugepage *hp = &r->hugepages[r->n_hugepages++];
		hp->limit = json_integer_value(limit);
		hp->page_size = sdup(c, size);
	}
}

static void walk_network(oci_spec_checker *c, json_t *res, oci_resources *r)
{
	static const char *const p = R ".network";
	json_t *n = group(c, res, "network", &r->network.requested), *e;
	if (!n)
		return;
	get_int(c, n, p, "classID", V_INT64, &r->network.class_id);
	json_t *list = check(c, n, p, "priorities", V_ARRAY, false);
	if (!json_array_size(list) ||
	    !(r->network.prios = alloc(c, json_array_size(list), sizeof(*r->network.prios))))
		return;
	size_t i;
	json_array_foreach(list, i, e)
	{
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *prio = json_object_get(e, "priority");
		if (!name || !json_is_integer(prio)) {
			char ip[64];
			PATHF(ip, "%s.priorities[%zu]", p, i);
			oci_spec_problem(c, ip, "expected name and priority");
			continue;
		}
		oci_res_prio *rp = &r->network.prios[r->network.n_prios++];
		rp->priority = json_integer_value(prio);
		rp->name = sdup(c, name);
	}
}

static void walk_unified(oci_spec_checker *c, json_t *res, oci_resources *r)
{
	json_t *u = group(c, res, "unified", NULL), *v;
	if (!json_object_size(u) ||
	    !(r->unified = alloc(c, json_object_size(u), sizeof(*r->unified))))
		return;
	const char *key;
	json_object_foreach(u, key, v)
	{
		if (!json_is_string(v)) {
			char kp[1024];
			PATHF(kp, R ".unified.%s", key);
			oci_spec_problem(c, kp, "expected a string");
			continue;
		}
		/* these move the processes they name (any of the host's) into the container's
		 * cgroup, under its limits and its freezer */
		if (!strcmp(key, "cgroup.procs") || !strcmp(key, "cgroup.threads")) {
			char kp[1024];
			PATHF(kp, R ".unified.%s", key);
			oci_spec_problem(c, kp, "moves processes, not a resource: not allowed");
			continue;
		}
		oci_res_unified *e = &r->unified[r->n_unified++];
		e->key = sdup(c, key);
		e->value = sdup(c, json_string_value(v));
	}
}

int oci_spec_resources_walk(oci_spec_checker *c, json_t *json, oci_resources *r)
{
	memset(r, 0, sizeof(*r));
	if (!json || json_is_null(json))
		return 0;
	if (!oci_spec_check_value(c, json, R, V_OBJECT, false))
		return 0;
	walk_devices(c, json, r);
	walk_memory(c, json, r);
	walk_cpu(c, json, r);
	json_t *pids = group(c, json, "pids", &r->pids.requested);
	/* runtime-spec 1.3: optional; -1 (any negative, as runc) is no limit, and 0 is a limit
	 * of 0 (runc HEAD writes it; runc 1.1 and the spec before 1.3 took 0 as unset) */
	json_t *limit = check(c, pids, R ".pids", "limit", V_INT64, false);
	r->pids.limit.set = limit != NULL;
	r->pids.limit.v = json_integer_value(limit);
	walk_blkio(c, json, r);
	walk_hugepages(c, json, r);
	walk_network(c, json, r);
	walk_unified(c, json, r);
	r->rdma_requested = json_object_size(get(json, "rdma")) > 0;
	if (r->rdma_requested)
		r->unsupported = "rdma";
	return c->failed ? -1 : 0;
}

int oci_resources_parse(json_t *json, oci_resources *r, oci_error *err)
{
	oci_spec_checker c = {.problems = json_array()};
	if (!c.problems) {
		memset(r, 0, sizeof(*r));
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	}
	oci_spec_resources_walk(&c, json, r);
	int rc = oci_spec_checker_first(&c, err);
	json_decref(c.problems);
	if (rc < 0)
		oci_resources_release(r);
	return rc;
}

void oci_resources_release(oci_resources *r)
{
	free(r->devices);
	free(r->cpu.cpus);
	free(r->cpu.mems);
	for (size_t i = 0; i < r->n_hugepages; i++)
		free(r->hugepages[i].page_size);
	free(r->hugepages);
	for (size_t i = 0; i < r->network.n_prios; i++)
		free(r->network.prios[i].name);
	free(r->network.prios);
	for (size_t i = 0; i < r->n_unified; i++) {
		free(r->unified[i].key);
		free(r->unified[i].value);
	}
	free(r->unified);
	free(r->blkio.weight_devices);
	for (int k = 0; k < OCI_RES_THROTTLE_N; k++)
		free(r->blkio.throttle[k]);
	memset(r, 0, sizeof(*r));
}
