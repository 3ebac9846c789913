/* The container's user namespace seen from the runtime: writing its uid/gid maps (directly
 * when allowed, through newuidmap/newgidmap for ranges of /etc/subuid and /etc/subgid), and
 * explaining why the kernel refused to create one. */
#ifndef OCI_RUN_USERNS_H
#define OCI_RUN_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/error.h"

/* Write linux.uidMappings and linux.gidMappings for pid's new user namespace. As root they
 * are written as they are; an unprivileged caller writes its own single id itself ("deny" in
 * setgroups first for gids) and uses newuidmap/newgidmap for anything wider. */
int oci_userns_write_maps(pid_t pid, const oci_config_linux *l, oci_error *err);

/* A new user namespace with these maps (as root: any; unprivileged: through the helpers), as
 * an fd, for an id-mapped mount (mount_setattr MOUNT_ATTR_IDMAP). Its placeholder process is
 * gone when this returns. */
int oci_userns_open_mapped(const oci_config_idmap *uid, size_t nu, const oci_config_idmap *gid,
			   size_t ng, oci_error *err);

/* Called in a user namespace joined by path (linux.namespaces' user path): mappings in the
 * config, which runc 1.1 requires there and runc 1.2 checks, must be that namespace's own
 * (any order); none is fine. An error names the key and the path. */
int oci_userns_check_joined(const oci_config_linux *l, const char *path, oci_error *err);

/* Whether this runtime is unprivileged towards the host ("rootless"), decided once as runc
 * decides it: --rootless true or false, or by default (auto) rootless when the effective uid
 * is not 0, or when it is 0 only inside a user namespace that is not the initial one — where
 * rootless podman runs its runtime. A rootless runtime uses cgroups only where one was
 * delegated to it and keeps its state under $XDG_RUNTIME_DIR. mode is "true", "false", "auto"
 * or NULL (auto); anything else is an error. */
int oci_rootless_set(const char *mode, oci_error *err);
bool oci_rootless(void);
/* Whether the calling process is in the initial user namespace (its uid_map is the identity
 * map of all 2^32 ids). */
bool oci_userns_is_initial(void);

/* Set err for a failed clone/unshare of a user namespace (errnum), naming the sysctl that
 * forbids it: kernel.unprivileged_userns_clone, kernel.apparmor_restrict_unprivileged_userns
 * or user.max_user_namespaces. Returns -1. */
int oci_userns_clone_error(int errnum, oci_error *err);
#endif
