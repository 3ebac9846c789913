/* Update: write new resource limits (runtime-spec linux.resources, only the keys given) into
 * a live container's cgroups through its cgroup manager (run/cgroup/). */
#include "run/container.h"

#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/state.h"

int oci_container_update(const oci_runtime *rt, const char *id, const oci_resources *resources,
			 oci_error *err)
{
	oci_state st;
	cleanup_close int dirfd = oci_state_load(rt->root, id, true, NULL, &st, err);
	if (dirfd < 0)
		return -1;
	int ret = -1;
	int status = oci_state_status(dirfd, &st);
	if (status == OCI_STATUS_STOPPED)
		oci_err(err, OCI_E_STATE, "container '%s' is not running: %s", id,
			oci_status_name(status));
	else if (!st.cgroups || !st.cgroups->n)
		oci_err(err, OCI_E_STATE, "container '%s' has no cgroup to update", id);
	else if (oci_cgroup_update(st.cgroups, resources, err) < 0)
		oci_err_prefix(err, "container '%s'", id);
	else
		ret = 0;
	oci_state_release(&st);
	return ret;
}
