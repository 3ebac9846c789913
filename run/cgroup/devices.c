/* The device allow list every driver enforces: the config's rules followed, at create, by
 * runc's default devices. v1.c writes it to devices.allow/deny, v2.c compiles it to the eBPF
 * filter of devices_bpf.c. Without it a container with CAP_MKNOD could open any host device. */
#include <unistd.h>

#include "common/util.h"
#include "run/cgroup/internal.h"
#include "run/userns.h"

/* runc's AllowedDevices (libcontainer/specconv), appended after the config's own rules:
 * mknod of anything, and the devices every container gets. */
#define MRW (OCI_DEV_M | OCI_DEV_R | OCI_DEV_W)
static const oci_device_rule default_devices[] = {
    {'c', -1, -1, OCI_DEV_M, true}, {'b', -1, -1, OCI_DEV_M, true}, {'c', 1, 3, MRW, true},
    {'c', 1, 8, MRW, true},	    {'c', 1, 7, MRW, true},	    {'c', 5, 0, MRW, true},
    {'c', 1, 5, MRW, true},	    {'c', 1, 9, MRW, true},	    {'c', 136, -1, MRW, true},
    {'c', 5, 2, MRW, true},	    {'c', 10, 200, MRW, true},
};

int oci_cgroup_device_rules(const oci_resources *res, bool create, oci_device_rule **rules,
			    size_t *n, oci_error *err)
{
	*rules = NULL;
	*n = 0;
	bool given = res && res->has_devices;
	if (!create && !given)
		return 1;
	if (oci_rootless())
		return 1;
	size_t own = given ? res->n_devices : 0;
	size_t total = own + (create ? ARRAY_SIZE(default_devices) : 0);
	if (total > 1000)
		return oci_err(err, OCI_E_LIMIT, "linux.resources.devices: too many rules");
	oci_device_rule *r = oci_calloc(total + 1, sizeof(*r), err);
	if (!r)
		return -1;
	for (size_t i = 0; i < own; i++)
		r[(*n)++] = res->devices[i];
	if (create)
		for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++)
			r[(*n)++] = default_devices[i];
	*rules = r;
	return 0;
}
