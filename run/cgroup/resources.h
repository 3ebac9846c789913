/* linux.resources as a typed struct, parsed once (at create from config.json, at update from
 * --resources and the flags) and handed to the cgroup drivers (run/cgroup/v1.c, v2.c), which
 * never see the JSON. A group that is absent or empty asks for nothing. */
#ifndef OCI_RUN_CGROUP_RESOURCES_H
#define OCI_RUN_CGROUP_RESOURCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "run/cgroup/devices_bpf.h"

/* An optional integer: set is false when the key is absent (or null). */
typedef struct oci_res_int {
	bool set;
	int64_t v;
} oci_res_int;

typedef struct oci_res_hugepage {
	char *page_size; /* "2MB": no '/' */
	int64_t limit;
} oci_res_hugepage;

typedef struct oci_res_prio {
	char *name;
	int64_t priority;
} oci_res_prio;

/* One entry of blockIO.weightDevice or of a throttle*Device list. */
typedef struct oci_res_blkdev {
	int64_t major, minor;
	oci_res_int weight, leaf_weight; /* weightDevice */
	uint64_t rate;			 /* throttle lists */
} oci_res_blkdev;

/* The blockIO throttle lists: JSON key, v1 file, v2 io.max key (one table). */
enum { OCI_RES_THROTTLE_N = 4 };
typedef struct oci_res_throttle_kind {
	const char *key, *v1_file, *v2_key;
} oci_res_throttle_kind;
extern const oci_res_throttle_kind oci_res_throttle_kinds[OCI_RES_THROTTLE_N];

typedef struct oci_res_unified {
	char *key, *value; /* key checked by the v2 writer */
} oci_res_unified;

typedef struct oci_resources {
	bool has_devices; /* linux.resources.devices was given (update writes only then) */
	oci_device_rule *devices;
	size_t n_devices;
	struct {
		bool requested; /* a non-empty object */
		oci_res_int limit, swap, reservation, swappiness, kernel, kernel_tcp;
		bool disable_oom_killer;
	} memory;
	struct {
		bool requested;
		oci_res_int limit;
	} pids;
	struct {
		bool requested;
		oci_res_int shares, quota, period, rt_runtime, rt_period;
		char *cpus, *mems; /* NULL when absent */
	} cpu;
	struct {
		bool requested;
		oci_res_int weight, leaf_weight;
		oci_res_blkdev *weight_devices;
		size_t n_weight_devices;
		oci_res_blkdev *throttle[OCI_RES_THROTTLE_N]; /* by oci_res_throttle_kinds */
		size_t n_throttle[OCI_RES_THROTTLE_N];
	} blkio;
	oci_res_hugepage *hugepages;
	size_t n_hugepages;
	struct {
		bool requested;
		oci_res_int class_id;
		oci_res_prio *prios;
		size_t n_prios;
	} network;
	bool rdma_requested; /* not applied by any driver: only checked for rootless placement */
	oci_res_unified *unified;
	size_t n_unified;
} oci_resources;

/* Parse a linux.resources object (NULL: nothing asked) into r (zeroed first). Unknown keys
 * are ignored; a known key of the wrong type is an error naming its JSON path, e.g.
 * "linux.resources.memory.limit: expected an integer". */
int oci_resources_parse(json_t *json, oci_resources *r, oci_error *err);
void oci_resources_release(oci_resources *r);
#endif
