/* Cgroup placement of a container: one directory per mounted hierarchy (v1 controllers, the
 * v2 unified tree), created at create, joined by the init, removed at delete. The
 * limits of linux.resources are written into them by run/resources.c. */
#ifndef OCI_RUN_CGROUP_H
#define OCI_RUN_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

/* Create the container's cgroup in every hierarchy; returns a JSON array of the directories
 * (kept in the state so delete can remove them). */
json_t *oci_cgroup_create(json_t *spec, const char *id, bool systemd, oci_error *err);
/* Move pid into each directory. */
int oci_cgroup_enter(json_t *dirs, pid_t pid, oci_error *err);
/* Remove the directories (waiting briefly for the last processes to leave). */
int oci_cgroup_destroy(json_t *dirs, oci_error *err);
/* Pids in the container's cgroup (first directory that lists any); caller frees. */
int oci_cgroup_pids(json_t *dirs, pid_t **out, size_t *n, oci_error *err);

/* For delete, which must not trust the state it reads: state.json or cgroups.json may be
 * corrupt or tampered with. */
/* The directories the container would have without linux.cgroupsPath (/oci-run/ID). */
json_t *oci_cgroup_default_dirs(const char *id);
/* dirs (an untrusted list) checked: every entry a cgroup directory strictly below a cgroup
 * hierarchy mounted under /sys/fs/cgroup, the same relative path in each, no "." or ".."
 * component. Returns the entries that still exist (new reference); NULL with err when any
 * entry fails. */
json_t *oci_cgroup_check_dirs(json_t *dirs, oci_error *err);
/* Thaw, kill every process in the subtrees of dirs (all hierarchies) and remove them, children
 * first. A container's processes all live in its own mount namespace: a subtree holding a
 * process of the caller's mount namespace is a host cgroup, and nothing there is killed. */
int oci_cgroup_kill_tree(json_t *dirs, oci_error *err);
/* pid lives in the caller's mount namespace (the host's, for the runtime). */
bool oci_pid_in_own_mntns(pid_t pid);
#endif
