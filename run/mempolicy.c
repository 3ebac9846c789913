/* linux.memoryPolicy: set_mempolicy(2) on the calling process, after it joined the
 * container's cgroups (a cpuset's mems bound the nodes the kernel lets it use) and before it
 * drops its privileges and loads the seccomp filter (a profile need not allow
 * set_mempolicy), as runc does in its init and in exec's setns init. */
#include "run/mempolicy.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

int oci_mempolicy_apply(const oci_config *cfg, oci_error *err)
{
	if (!cfg->linux_.has_memory_policy)
		return 0;
	const oci_config_mempolicy *p = &cfg->linux_.memory_policy;
	/* The kernel reads maxnode - 1 bits of the mask. */
	unsigned long maxnode = p->n_nodes ? OCI_SPEC_NUMA_NODES + 1 : 0;
	if (syscall(SYS_set_mempolicy, (int)(p->mode | p->flags), p->n_nodes ? p->nodes : NULL,
		    maxnode) == 0)
		return 0;
	int e = errno;
	return oci_err_errno(err, e, "linux.memoryPolicy: the kernel refuses %s with nodes '%s'%s",
			     p->mode_name, p->nodes_list,
			     e == EINVAL ? " (a node this host does not have, or not in the "
					   "container's cpuset.mems?)"
					 : "");
}
