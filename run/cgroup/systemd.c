/* The systemd driver (--systemd-cgroup). Today it only places the container where systemd
 * would put the unit named by linux.cgroupsPath "slice:prefix:name" (a path without ':' is
 * taken as the cgroupfs drivers take it), and then works on the files exactly as the v1 or v2
 * driver of the host's layout does; it does not talk to systemd yet (creating the unit over
 * D-Bus is still to come). Without a running systemd the manager refuses the flag, as runc
 * does. */
#include <string.h>

#include "run/cgroup/internal.h"

static char *systemd_plan(const oci_cgroup_manager *m, const char *cp, const char *id,
			  oci_error *err)
{
	if (cp && cp[0] && strchr(cp, ':'))
		return oci_cgroup_plan_systemd(cp, err);
	return oci_cgroup_plan_path(m, cp, id, err);
}

/* The cgroupfs driver of the host's layout: v1 as soon as a v1 hierarchy is mounted. */
static const oci_cgroup_ops *fs_driver(const oci_cgroup_manager *m)
{
	for (size_t i = 0; i < m->n_mounts; i++)
		if (!m->mounts[i].v2)
			return &oci_cgroup_v1_ops;
	return &oci_cgroup_v2_ops;
}

/* The handle is the cgroupfs driver's: every later operation is that driver's. */
static int systemd_create(const oci_cgroup_manager *m, const char *rel, const oci_resources *res,
			  oci_cgroup *cg, oci_error *err)
{
	cg->ops = fs_driver(m);
	return cg->ops->create(m, rel, res, cg, err);
}

/* Only create runs with this table: the handle it makes carries the cgroupfs driver. */
const oci_cgroup_ops oci_cgroup_systemd_ops = {
    .name = "systemd",
    .plan = systemd_plan,
    .create = systemd_create,
    .enter = oci_cgroup_fs_enter,
    .pids = oci_cgroup_fs_pids,
    .kill = oci_cgroup_kill_tree,
    .destroy = oci_cgroup_fs_destroy,
};
