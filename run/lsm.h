/* The Linux security modules the container process runs under: process.apparmorProfile and
 * process.selinuxLabel become the labels of its execve, selinuxLabel that of its session
 * keyring, linux.mountLabel the context of its tmpfs/devpts mounts and the label of its
 * mqueue mount. A label the host
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
/* SELinux is enabled: selinuxfs is mounted at /sys/fs/selinux and a policy is loaded. */
bool oci_lsm_selinux_enabled(void);

/* Before anything of the container exists: every label set in p (and mount_label, NULL for
 * none) is well formed, its LSM is enabled here and (SELinux) the loaded policy knows it;
 * else one line naming the field. */
int oci_lsm_check(const oci_process *p, const char *mount_label, oci_error *err);

/* The runtime's /proc as the procfs handle the functions below write through; call before
 * the container's mounts or namespaces are entered. Returns -1 without an error when p sets
 * no label (nothing to write), -2 with err set on failure, else the fd. */
int oci_lsm_open_procfs(const oci_process *p, oci_error *err);

/* The attr files the labels go to, opened through procfd (oci_lsm_open_procfs) by the task
 * that will exec, each naming that task's own attributes, so that procfd, a handle on the
 * runtime's /proc, is closed at once: a process of a pid namespace that can see this task
 * must not find the host's /proc among its fds. -1 where nothing is to be written. */
typedef struct oci_lsm_files {
	int keycreate, apparmor, selinux;
	const char *apparmor_rel; /* attr/apparmor/exec, or attr/exec on kernels before 5.1 */
} oci_lsm_files;

/* Open what p's labels need (nothing when procfd is -1); on error none is left open. */
int oci_lsm_open_files(int procfd, const oci_process *p, oci_lsm_files *f, oci_error *err);
void oci_lsm_files_close(oci_lsm_files *f);

/* SELinux: the label of the keyrings the thread creates next (the container's session
 * keyring). Nothing to do without a selinuxLabel. Closes its file. */
int oci_lsm_set_keycreate(oci_lsm_files *f, const oci_process *p, oci_error *err);

/* The labels the thread's next execve takes: the AppArmor profile and the SELinux label.
 * Call before no_new_privs, seccomp and the capability drop, as runc does. Closes the
 * files. */
int oci_lsm_set_exec(oci_lsm_files *f, const oci_process *p, oci_error *err);

/* linux.mountLabel for a mount of type: appends context="LABEL" to the mount data
 * (len bytes in data) for tmpfs and devpts, as runc does; other types unchanged. */
int oci_lsm_mount_data(const char *type, const char *mount_label, char *data, size_t len,
		       oci_error *err);

/* linux.mountLabel for a mount of type just mounted at dest (in the root rootfd) that cannot
 * take a context= option: mqueue, whose superblock is the IPC namespace's own, labelled when
 * the namespace was made (the kernel refuses other settings with EINVAL). Its root is
 * labelled instead, as runc does after its context= attempt fails, but only when new_ipcns
 * (the container made its IPC namespace): otherwise the superblock is the host's or another
 * container's, which runc 1.1 relabels. Other types: nothing. */
int oci_lsm_label_mount(int rootfd, const char *dest, const char *type, const char *mount_label,
			bool new_ipcns, oci_error *err);
#endif
