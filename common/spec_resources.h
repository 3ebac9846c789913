/* linux.resources as a typed struct, filled by the one walk that also validates it (config.json
 * at oci-bundle validate and oci-run create, --resources and the flags at update) and handed
 * to the cgroup drivers (run/cgroup/v1.c, v2.c), which never see the JSON. A group that is
 * absent, null or empty asks for nothing. */
#ifndef OCI_SPEC_RESOURCES_H
#define OCI_SPEC_RESOURCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* One rule of the device allow list (linux.resources.devices), for v1's devices.allow/deny
 * and v2's eBPF program (run/cgroup/devices_bpf.c). */
typedef struct oci_device_rule {
	char type;	 /* 'a', 'b' or 'c' */
	int64_t major;	 /* -1: any */
	int64_t minor;	 /* -1: any */
	unsigned access; /* OCI_DEV_M | OCI_DEV_R | OCI_DEV_W */
	bool allow;
} oci_device_rule;

#define OCI_DEV_M 1u
#define OCI_DEV_R 2u
#define OCI_DEV_W 4u

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
		bool check_before_update; /* checkBeforeUpdate: for update only (a new cgroup
					   * has no usage to check) */
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
	/* The first field asked for that no cgroup driver applies ("rdma", "cpu.burst",
	 * "cpu.idle" with a non-zero value), path below linux.resources; NULL when none.
	 * create and update refuse it rather than ignore it. */
	const char *unsupported;
	oci_res_unified *unified;
	size_t n_unified;
} oci_resources;

struct oci_spec_checker;
/* The walk: check a linux.resources value (NULL or null: nothing asked) and fill r (zeroed
 * first), every problem into c with its JSON path, as validation lists them. Unknown keys are
 * ignored. -1 only when an allocation failed (c->failed); r is then to be released. */
int oci_spec_resources_walk(struct oci_spec_checker *c, json_t *json, oci_resources *r);
/* The same walk stopping at the first problem, for update's --resources: an error naming its
 * JSON path, e.g. "linux.resources.memory.limit: expected an integer"; r is left empty. */
int oci_resources_parse(json_t *json, oci_resources *r, oci_error *err);
void oci_resources_release(oci_resources *r);
#endif
