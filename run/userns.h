/* The container's user namespace seen from the runtime: writing its uid/gid maps (directly
 * when allowed, through newuidmap/newgidmap for ranges of /etc/subuid and /etc/subgid), and
 * explaining why the kernel refused to create one. */
#ifndef OCI_RUN_USERNS_H
#define OCI_RUN_USERNS_H

#include <sys/types.h>

#include "common/config.h"
#include "common/error.h"

/* Write linux.uidMappings and linux.gidMappings for pid's new user namespace. As root they
 * are written as they are; an unprivileged caller writes its own single id itself ("deny" in
 * setgroups first for gids) and uses newuidmap/newgidmap for anything wider. */
int oci_userns_write_maps(pid_t pid, const oci_config_linux *l, oci_error *err);

/* Set err for a failed clone/unshare of a user namespace (errnum), naming the sysctl that
 * forbids it: kernel.unprivileged_userns_clone, kernel.apparmor_restrict_unprivileged_userns
 * or user.max_user_namespaces. Returns -1. */
int oci_userns_clone_error(int errnum, oci_error *err);
#endif
