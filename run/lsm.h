/* The Linux security modules the container process runs under: process.apparmorProfile and
 * process.selinuxLabel become the labels of its execve, selinuxLabel that of its session
 * keyring, linux.mountLabel the context of its tmpfs/devpts/mqueue mounts. A label the host
 * cannot apply (its LSM is not enabled) is refused before anything is created, never
 * ignored. The /proc/<tid>/attr files are written through a procfs handle taken before the
 * container's mounts exist (common/safepath.c's procfs rule), so no mount or symlink of the
 * container can redirect the write (CVE-2019-16884). */
#ifndef OCI_RUN_LSM_H
#define OCI_RUN_LSM_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"
#include "common/error.h"

/* AppArmor is the host's active AppArmor (/sys/module/apparmor/parameters/enabled). */
bool oci_lsm_apparmor_enabled(void);
/* SELinux is enabled: selinuxfs is mounted at /sys/fs/selinux. */
bool oci_lsm_selinux_enabled(void);

/* Before anything of the container exists: every label set in p (and mount_label, NULL for
 * none) is well formed and its LSM is enabled here; else one line naming the field. */
int oci_lsm_check(const oci_process *p, const char *mount_label, oci_error *err);

/* The runtime's /proc as the procfs handle the functions below write through; call before
 * the container's mounts or namespaces are entered. Returns -1 without an error when p sets
 * no label (nothing to write), -2 with err set on failure, else the fd. */
int oci_lsm_open_procfs(const oci_process *p, oci_error *err);

/* SELinux: the label of the keyrings the thread creates next (the container's session
 * keyring). Nothing to do without a selinuxLabel. */
int oci_lsm_set_keycreate(int procfd, const oci_process *p, oci_error *err);

/* The labels the thread's next execve takes: the AppArmor profile (attr/apparmor/exec, or
 * attr/exec on kernels without the per-LSM directory) and the SELinux label (attr/exec).
 * Call before no_new_privs, seccomp and the capability drop, as runc does. */
int oci_lsm_set_exec(int procfd, const oci_process *p, oci_error *err);

/* linux.mountLabel for a mount of type: appends context="LABEL" to the mount data
 * (len bytes in data) for tmpfs, devpts and mqueue, as runc does; other types unchanged. */
int oci_lsm_mount_data(const char *type, const char *mount_label, char *data, size_t len,
		       oci_error *err);
#endif
