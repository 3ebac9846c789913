/* linux.resources parsed into struct oci_resources: the only reader of its JSON. Types are
 * checked here (the error names the JSON path); ranges that depend on the cgroup version
 * (cpu.shares on v2, swap below the limit) are left to the driver that writes them. */
#include "run/cgroup/resources.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* key of obj (at path) as an optional integer; null counts as absent. */
static int get_int(json_t *obj, const char *path, const char *key, oci_res_int *out, oci_error *err)
{
	json_t *v = json_object_get(obj, key);
	out->set = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return oci_err(err, OCI_E_INVALID, "%s.%s: expected an integer", path, key);
	out->set = true;
	out->v = json_integer_value(v);
	return 0;
}

/* key of obj as an optional string (*out NULL when absent). */
static int get_str(json_t *obj, const char *path, const char *key, char **out, oci_error *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return oci_err(err, OCI_E_INVALID, "%s.%s: expected a string", path, key);
	*out = oci_strdup(json_string_value(v), err);
	return *out ? 0 : -1;
}

/* The group key of res: NULL when absent, an error when not an object. */
static int get_group(json_t *res, const char *key, json_t **out, oci_error *err)
{
	json_t *v = json_object_get(res, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return oci_err(err, OCI_E_INVALID, "linux.resources.%s: expected an object", key);
	*out = v;
	return 0;
}

static int get_array(json_t *res, const char *path, const char *key, json_t **out, oci_error *err)
{
	json_t *v = json_object_get(res, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return oci_err(err, OCI_E_INVALID, "%s.%s: expected an array", path, key);
	*out = v;
	return 0;
}

/* One rule of linux.resources.devices. */
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
	json_t *maj = json_object_get(d, "major"), *min = json_object_get(d, "minor");
	r->major =
	    json_is_integer(maj) && json_integer_value(maj) >= 0 ? json_integer_value(maj) : -1;
	r->minor =
	    json_is_integer(min) && json_integer_value(min) >= 0 ? json_integer_value(min) : -1;
	if (r->major > UINT32_MAX || r->minor > UINT32_MAX)
		return oci_err(err, OCI_E_INVALID,
			       "linux.resources.devices[%zu]: major or minor out of range", i);
	return 0;
}

static int parse_devices(json_t *res, oci_resources *r, oci_error *err)
{
	json_t *list;
	if (get_array(res, "linux.resources", "devices", &list, err) < 0)
		return -1;
	if (!list)
		return 0;
	r->has_devices = true;
	if (!json_array_size(list))
		return 0;
	if (json_array_size(list) > 100000)
		return oci_err(err, OCI_E_LIMIT, "linux.resources.devices: too many rules");
	r->devices = oci_calloc(json_array_size(list), sizeof(*r->devices), err);
	if (!r->devices)
		return -1;
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d)
	{
		if (device_rule(d, i, &r->devices[i], err) < 0)
			return -1;
		r->n_devices++;
	}
	return 0;
}

static int parse_memory(json_t *res, oci_resources *r, oci_error *err)
{
	const char *p = "linux.resources.memory";
	json_t *m;
	if (get_group(res, "memory", &m, err) < 0)
		return -1;
	if (!m)
		return 0;
	r->memory.requested = json_object_size(m) > 0;
	json_t *oom = json_object_get(m, "disableOOMKiller");
	if (oom && !json_is_null(oom) && !json_is_boolean(oom))
		return oci_err(err, OCI_E_INVALID, "%s.disableOOMKiller: expected a boolean", p);
	r->memory.disable_oom_killer = json_is_true(oom);
	if (get_int(m, p, "limit", &r->memory.limit, err) < 0 ||
	    get_int(m, p, "swap", &r->memory.swap, err) < 0 ||
	    get_int(m, p, "reservation", &r->memory.reservation, err) < 0 ||
	    get_int(m, p, "swappiness", &r->memory.swappiness, err) < 0 ||
	    get_int(m, p, "kernel", &r->memory.kernel, err) < 0 ||
	    get_int(m, p, "kernelTCP", &r->memory.kernel_tcp, err) < 0)
		return -1;
	return 0;
}

const oci_res_throttle_kind oci_res_throttle_kinds[OCI_RES_THROTTLE_N] = {
    {"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"},
    {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"},
    {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"},
    {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"},
};

/* blockIO.<key>: a list of devices (weightDevice when weights, else a throttle list). */
static int parse_blkdevs(json_t *b, const char *key, bool weights, oci_res_blkdev **out, size_t *n,
			 oci_error *err)
{
	const char *p = "linux.resources.blockIO";
	json_t *list;
	if (get_array(b, p, key, &list, err) < 0)
		return -1;
	if (!json_array_size(list))
		return 0;
	if (json_array_size(list) > 4096)
		return oci_err(err, OCI_E_LIMIT, "%s.%s: too many devices", p, key);
	if (!(*out = oci_calloc(json_array_size(list), sizeof(**out), err)))
		return -1;
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d)
	{
		oci_res_blkdev *e = &(*out)[(*n)++];
		json_t *maj = json_object_get(d, "major"), *min = json_object_get(d, "minor");
		if (!json_is_integer(maj) || !json_is_integer(min) || json_integer_value(maj) < 0 ||
		    json_integer_value(min) < 0 || json_integer_value(maj) > UINT32_MAX ||
		    json_integer_value(min) > UINT32_MAX)
			return oci_err(err, OCI_E_INVALID,
				       "%s.%s[%zu]: expected major and minor device numbers", p,
				       key, i);
		e->major = json_integer_value(maj);
		e->minor = json_integer_value(min);
		char path[128];
		snprintf(path, sizeof(path), "%s.%s[%zu]", p, key, i);
		if (weights) {
			if (get_int(d, path, "weight", &e->weight, err) < 0 ||
			    get_int(d, path, "leafWeight", &e->leaf_weight, err) < 0)
				return -1;
			continue;
		}
		json_t *rate = json_object_get(d, "rate");
		if (!json_is_integer(rate) || json_integer_value(rate) < 0)
			return oci_err(err, OCI_E_INVALID,
				       "%s.rate: expected a non-negative integer", path);
		e->rate = (uint64_t)json_integer_value(rate);
	}
	return 0;
}

static int parse_blkio(json_t *res, oci_resources *r, oci_error *err)
{
	const char *p = "linux.resources.blockIO";
	json_t *b;
	if (get_group(res, "blockIO", &b, err) < 0)
		return -1;
	if (!b)
		return 0;
	r->blkio.requested = json_object_size(b) > 0;
	if (get_int(b, p, "weight", &r->blkio.weight, err) < 0 ||
	    get_int(b, p, "leafWeight", &r->blkio.leaf_weight, err) < 0 ||
	    parse_blkdevs(b, "weightDevice", true, &r->blkio.weight_devices,
			  &r->blkio.n_weight_devices, err) < 0)
		return -1;
	for (int k = 0; k < OCI_RES_THROTTLE_N; k++)
		if (parse_blkdevs(b, oci_res_throttle_kinds[k].key, false, &r->blkio.throttle[k],
				  &r->blkio.n_throttle[k], err) < 0)
			return -1;
	return 0;
}

static int parse_cpu(json_t *res, oci_resources *r, oci_error *err)
{
	const char *p = "linux.resources.cpu";
	json_t *c;
	if (get_group(res, "cpu", &c, err) < 0)
		return -1;
	if (!c)
		return 0;
	r->cpu.requested = json_object_size(c) > 0;
	if (get_int(c, p, "shares", &r->cpu.shares, err) < 0 ||
	    get_int(c, p, "quota", &r->cpu.quota, err) < 0 ||
	    get_int(c, p, "period", &r->cpu.period, err) < 0 ||
	    get_int(c, p, "realtimeRuntime", &r->cpu.rt_runtime, err) < 0 ||
	    get_int(c, p, "realtimePeriod", &r->cpu.rt_period, err) < 0 ||
	    get_str(c, p, "cpus", &r->cpu.cpus, err) < 0 ||
	    get_str(c, p, "mems", &r->cpu.mems, err) < 0)
		return -1;
	return 0;
}

static int parse_hugepages(json_t *res, oci_resources *r, oci_error *err)
{
	json_t *list;
	if (get_array(res, "linux.resources", "hugepageLimits", &list, err) < 0)
		return -1;
	if (!json_array_size(list))
		return 0;
	r->hugepages = oci_calloc(json_array_size(list), sizeof(*r->hugepages), err);
	if (!r->hugepages)
		return -1;
	size_t i;
	json_t *h;
	json_array_foreach(list, i, h)
	{
		const char *size = json_string_value(json_object_get(h, "pageSize"));
		json_t *limit = json_object_get(h, "limit");
		if (!size || !size[0] || strchr(size, '/') || !json_is_integer(limit))
			return oci_err(
			    err, OCI_E_INVALID,
			    "linux.resources.hugepageLimits[%zu]: expected pageSize and limit", i);
		oci_res_hugepage *hp = &r->hugepages[r->n_hugepages++];
		hp->limit = json_integer_value(limit);
		if (!(hp->page_size = oci_strdup(size, err)))
			return -1;
	}
	return 0;
}

static int parse_network(json_t *res, oci_resources *r, oci_error *err)
{
	const char *p = "linux.resources.network";
	json_t *n, *list;
	if (get_group(res, "network", &n, err) < 0)
		return -1;
	if (!n)
		return 0;
	r->network.requested = json_object_size(n) > 0;
	if (get_int(n, p, "classID", &r->network.class_id, err) < 0 ||
	    get_array(n, p, "priorities", &list, err) < 0)
		return -1;
	if (!json_array_size(list))
		return 0;
	r->network.prios = oci_calloc(json_array_size(list), sizeof(*r->network.prios), err);
	if (!r->network.prios)
		return -1;
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
	{
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *prio = json_object_get(e, "priority");
		if (!name || !json_is_integer(prio))
			return oci_err(
			    err, OCI_E_INVALID,
			    "linux.resources.network.priorities[%zu]: expected name and priority",
			    i);
		oci_res_prio *rp = &r->network.prios[r->network.n_prios++];
		rp->priority = json_integer_value(prio);
		if (!(rp->name = oci_strdup(name, err)))
			return -1;
	}
	return 0;
}

static int parse_unified(json_t *res, oci_resources *r, oci_error *err)
{
	json_t *u;
	if (get_group(res, "unified", &u, err) < 0)
		return -1;
	if (!json_object_size(u))
		return 0;
	r->unified = oci_calloc(json_object_size(u), sizeof(*r->unified), err);
	if (!r->unified)
		return -1;
	const char *key;
	json_t *v;
	json_object_foreach(u, key, v)
	{
		if (!json_is_string(v))
			return oci_err(err, OCI_E_INVALID,
				       "linux.resources.unified.%s: expected a string", key);
		oci_res_unified *e = &r->unified[r->n_unified++];
		if (!(e->key = oci_strdup(key, err)) ||
		    !(e->value = oci_strdup(json_string_value(v), err)))
			return -1;
	}
	return 0;
}

int oci_resources_parse(json_t *json, oci_resources *r, oci_error *err)
{
	memset(r, 0, sizeof(*r));
	if (!json || json_is_null(json))
		return 0;
	if (!json_is_object(json))
		return oci_err(err, OCI_E_INVALID, "linux.resources: expected an object");
	json_t *g;
	if (parse_devices(json, r, err) < 0 || parse_memory(json, r, err) < 0 ||
	    parse_cpu(json, r, err) < 0 || parse_hugepages(json, r, err) < 0 ||
	    parse_network(json, r, err) < 0 || parse_unified(json, r, err) < 0)
		goto fail;
	if (get_group(json, "pids", &g, err) < 0)
		goto fail;
	r->pids.requested = json_object_size(g) > 0;
	if (g && get_int(g, "linux.resources.pids", "limit", &r->pids.limit, err) < 0)
		goto fail;
	if (parse_blkio(json, r, err) < 0)
		goto fail;
	json_t *rdma = json_object_get(json, "rdma");
	r->rdma_requested = json_object_size(rdma) > 0;
	return 0;
fail:
	oci_resources_release(r);
	return -1;
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
