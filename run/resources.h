/* linux.resources written into a container's cgroups (created by run/cgroup.c): the devices
 * allow list (runc's rules plus its default devices), memory, pids, cpu, cpuset, blkio,
 * hugetlb, net_cls/net_prio on cgroup v1, and the v2 equivalents plus the `unified` map. */
#ifndef OCI_RUN_RESOURCES_H
#define OCI_RUN_RESOURCES_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

/* Apply resources (a linux.resources object, may be NULL) to the container's cgroup
 * directories. At create (create=true) the devices list is always applied, with runc's
 * default devices appended; at update only the keys present are written. A value that
 * cannot be applied (controller missing, write refused) is an error naming the file. */
int oci_resources_apply(json_t *resources, json_t *dirs, bool create, oci_error *err);
#endif
