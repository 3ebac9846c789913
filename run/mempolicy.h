/* linux.memoryPolicy applied: the NUMA memory policy the container's processes allocate
 * under, set on the calling process as runc sets it (the init, and each exec'd process,
 * just before it goes on to exec). */
#ifndef OCI_RUN_MEMPOLICY_H
#define OCI_RUN_MEMPOLICY_H

#include "common/config.h"
#include "common/error.h"

/* set_mempolicy(2) with cfg's linux.memoryPolicy (validated already); nothing when there is
 * none. The policy is inherited across fork and kept across execve. */
int oci_mempolicy_apply(const oci_config *cfg, oci_error *err);
#endif
