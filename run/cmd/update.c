/* oci-run update: change a live container's resource limits, runc's command (containerd and
 * podman call it as `update --resources FILE|- ID`). The resources JSON (runtime-spec
 * linux.resources) is parsed first into the typed oci_resources, the options override it,
 * and the lifecycle library writes only the keys given into the container's cgroups. */
#include "run/cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/json.h"
#include "common/util.h"
#include "common/spec_resources.h"
#include "run/state.h"

enum {
	OPT_RES = 'r',
	OPT_HELP = 'h',
	OPT_BLKIO = 256,
	OPT_CPU_PERIOD,
	OPT_CPU_QUOTA,
	OPT_CPU_SHARE,
	OPT_RT_PERIOD,
	OPT_RT_RUNTIME,
	OPT_CPUS,
	OPT_MEMS,
	OPT_MEMORY,
	OPT_MEM_RES,
	OPT_MEM_SWAP,
	OPT_KMEM,
	OPT_KMEM_TCP,
	OPT_PIDS,
	/* runc's, refused: no driver writes them */
	OPT_CPU_BURST,
	OPT_CPU_IDLE,
	OPT_L3,
	OPT_MEMBW,
	OPT_LAST
};

static const oci_cli_option update_opts[] = {
    {"resources", 'r', OCI_ARG_REQUIRED, "FILE", "linux.resources JSON to apply ('-' reads stdin)",
     OPT_RES},
    {"blkio-weight", 0, OCI_ARG_REQUIRED, "N", "block IO weight (10-1000)", OPT_BLKIO},
    {"cpu-period", 0, OCI_ARG_REQUIRED, "US", "CPU CFS period", OPT_CPU_PERIOD},
    {"cpu-quota", 0, OCI_ARG_REQUIRED, "US", "CPU CFS quota (-1: none)", OPT_CPU_QUOTA},
    {"cpu-share", 0, OCI_ARG_REQUIRED, "N", "CPU shares (relative weight)", OPT_CPU_SHARE},
    {"cpu-rt-period", 0, OCI_ARG_REQUIRED, "US", "CPU realtime period", OPT_RT_PERIOD},
    {"cpu-rt-runtime", 0, OCI_ARG_REQUIRED, "US", "CPU realtime runtime", OPT_RT_RUNTIME},
    {"cpuset-cpus", 0, OCI_ARG_REQUIRED, "LIST", "CPUs to run on (0-3, 0,1)", OPT_CPUS},
    {"cpuset-mems", 0, OCI_ARG_REQUIRED, "LIST", "memory nodes to allocate from", OPT_MEMS},
    {"memory", 0, OCI_ARG_REQUIRED, "SIZE", "memory limit (100m, 1g; -1: none)", OPT_MEMORY},
    {"memory-reservation", 0, OCI_ARG_REQUIRED, "SIZE", "memory soft limit", OPT_MEM_RES},
    {"memory-swap", 0, OCI_ARG_REQUIRED, "SIZE", "memory plus swap limit (-1: unlimited swap)",
     OPT_MEM_SWAP},
    {"kernel-memory", 0, OCI_ARG_REQUIRED, "SIZE",
     "v1 kernel memory limit, where the kernel still enforces one", OPT_KMEM},
    {"kernel-memory-tcp", 0, OCI_ARG_REQUIRED, "SIZE", "v1 kernel TCP buffer memory limit",
     OPT_KMEM_TCP},
    {"pids-limit", 0, OCI_ARG_REQUIRED, "N", "maximum number of processes (-1: none)", OPT_PIDS},
    {"cpu-burst", 0, OCI_ARG_REQUIRED, "US", "refused: no cgroup driver here writes cpu.burst",
     OPT_CPU_BURST},
    {"cpu-idle", 0, OCI_ARG_REQUIRED, "0|1", "refused: no cgroup driver here writes cpu.idle",
     OPT_CPU_IDLE},
    {"l3-cache-schema", 0, OCI_ARG_REQUIRED, "SCHEMA", "refused: no Intel RDT (resctrl) support",
     OPT_L3},
    {"mem-bw-schema", 0, OCI_ARG_REQUIRED, "SCHEMA", "refused: no Intel RDT (resctrl) support",
     OPT_MEMBW},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
};

/* The field of r an integer option sets, and the group it makes requested. */
static oci_res_int *int_field(oci_resources *r, int id, bool **requested)
{
	switch (id) {
	case OPT_BLKIO:
		*requested = &r->blkio.requested;
		return &r->blkio.weight;
	case OPT_CPU_PERIOD:
	case OPT_CPU_QUOTA:
	case OPT_CPU_SHARE:
	case OPT_RT_PERIOD:
	case OPT_RT_RUNTIME:
		*requested = &r->cpu.requested;
		return id == OPT_CPU_PERIOD  ? &r->cpu.period
		       : id == OPT_CPU_QUOTA ? &r->cpu.quota
		       : id == OPT_CPU_SHARE ? &r->cpu.shares
		       : id == OPT_RT_PERIOD ? &r->cpu.rt_period
					     : &r->cpu.rt_runtime;
	case OPT_MEMORY:
	case OPT_MEM_RES:
	case OPT_MEM_SWAP:
	case OPT_KMEM:
	case OPT_KMEM_TCP:
		*requested = &r->memory.requested;
		return id == OPT_MEMORY	    ? &r->memory.limit
		       : id == OPT_MEM_RES  ? &r->memory.reservation
		       : id == OPT_MEM_SWAP ? &r->memory.swap
		       : id == OPT_KMEM	    ? &r->memory.kernel
					    : &r->memory.kernel_tcp;
	default:
		*requested = &r->pids.requested;
		return &r->pids.limit;
	}
}

/* Options taking an integer; memory sizes take k/m/g suffixes. */
static const struct {
	int id;
	bool size;
} int_opts[] = {
    {OPT_BLKIO, false},	    {OPT_CPU_PERIOD, false}, {OPT_CPU_QUOTA, false}, {OPT_CPU_SHARE, false},
    {OPT_RT_PERIOD, false}, {OPT_RT_RUNTIME, false}, {OPT_MEMORY, true},     {OPT_MEM_RES, true},
    {OPT_MEM_SWAP, true},   {OPT_KMEM, true},	     {OPT_KMEM_TCP, true},   {OPT_PIDS, false},
};

static const char *opt_name(int id)
{
	for (size_t i = 0; i < ARRAY_SIZE(update_opts); i++)
		if (update_opts[i].id == id)
			return update_opts[i].long_name;
	return "?";
}

static int parse_value(const char *opt, const char *s, bool size, int64_t *out, oci_error *err)
{
	uint64_t v = 0;
	if (!strcmp(s, "-1")) {
		*out = -1;
		return 0;
	}
	if ((size ? oci_parse_size(s, &v) : oci_parse_u64(s, INT64_MAX, &v)) < 0 || v > INT64_MAX)
		return oci_err(err, OCI_E_INVALID, "update: --%s: invalid value '%s'", opt, s);
	*out = (int64_t)v;
	return 0;
}

static json_t *read_resources(const char *path, oci_error *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	int r = !strcmp(path, "-") ? oci_read_fd(STDIN_FILENO, 1u << 20, &data, &len, err)
				   : oci_read_file_at(AT_FDCWD, path, 1u << 20, &data, &len, err);
	if (r < 0)
		return oci_err_prefix(err, "update: --resources '%s'", path), NULL;
	json_error_t je;
	json_t *res = json_loadb(data, len, 0, &je);
	if (!json_is_object(res)) {
		json_decref(res);
		return oci_err(err, OCI_E_INVALID,
			       "update: --resources '%s': expected a JSON object%s%s", path,
			       je.text[0] ? ": " : "", je.text),
		       NULL;
	}
	return res;
}

/* --resources FILE (or nothing) and the options as one oci_resources. */
static int build_resources(const char *file, const char *const *vals, oci_resources *r,
			   oci_error *err)
{
	memset(r, 0, sizeof(*r));
	if (file) {
		cleanup_json json_t *json = read_resources(file, err);
		if (!json)
			return -1;
		if (oci_resources_parse(json, r, err) < 0)
			return oci_err_prefix(err, "update: --resources '%s'", file);
		/* checkBeforeUpdate: runc refuses a memory limit below the usage; no driver
		 * here reads the usage first. */
		const char *no = r->unsupported			 ? r->unsupported
				 : r->memory.check_before_update ? "memory.checkBeforeUpdate"
								 : NULL;
		if (no) {
			oci_resources_release(r);
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "update: --resources '%s': %s: not supported by oci-run",
				       file, no);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(int_opts); i++) {
		const char *s = vals[int_opts[i].id];
		int64_t v = 0;
		if (!s)
			continue;
		if (parse_value(opt_name(int_opts[i].id), s, int_opts[i].size, &v, err) < 0) {
			oci_resources_release(r);
			return -1;
		}
		bool *requested;
		oci_res_int *f = int_field(r, int_opts[i].id, &requested);
		*requested = true;
		f->set = true;
		f->v = v;
	}
	for (int k = 0; k < 2; k++) {
		const char *s = vals[k ? OPT_MEMS : OPT_CPUS];
		char **f = k ? &r->cpu.mems : &r->cpu.cpus;
		if (!s)
			continue;
		free(*f);
		if (!(*f = oci_strdup(s, err))) {
			oci_resources_release(r);
			return -1;
		}
		r->cpu.requested = true;
	}
	return 0;
}

int oci_cmd_update(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	oci_cli cli;
	int opt;
	const char *files = NULL;
	const char *vals[OPT_LAST] = {0};
	oci_cli_init(&cli, update_opts, ARRAY_SIZE(update_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_HELP) {
			oci_cli_help(stdout, "oci-run update [OPTIONS] ID",
				     "Change the resource limits of a container.", update_opts,
				     ARRAY_SIZE(update_opts));
			return 0;
		}
		if (opt >= OPT_CPU_BURST) {
			const char *o = opt_name(opt);
			return oci_err(
			    err, OCI_E_UNSUPPORTED, "update: --%s is not supported by oci-run (%s)",
			    o,
			    opt == OPT_CPU_BURST  ? "no cgroup driver here writes cpu.burst"
			    : opt == OPT_CPU_IDLE ? "no cgroup driver here writes cpu.idle"
						  : "no Intel RDT (resctrl) support");
		}
		if (opt == OPT_RES)
			files = cli.optarg;
		else
			vals[opt] = cli.optarg;
	}
	if (opt < 0)
		return -1;
	if (cli.index != argc - 1)
		return oci_err(err, OCI_E_INVALID, "update: expected exactly one container id");
	const char *id = argv[cli.index];
	if (oci_state_check_id(id, err) < 0)
		return -1;

	oci_resources res;
	if (build_resources(files, vals, &res, err) < 0)
		return -1;
	int ret = oci_container_update(rt, id, &res, err);
	oci_resources_release(&res);
	return ret;
}
