/* AppArmor and SELinux labels of the container process and its mounts (lsm.h says what and
 * when); what runc does with process.apparmorProfile, process.selinuxLabel and
 * linux.mountLabel, except that a label for an LSM the host has not enabled is an error at
 * create or exec instead of being dropped (runc drops a mountLabel without SELinux). */
#include "run/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/safepath.h"
#include "common/util.h"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

bool oci_lsm_apparmor_enabled(void)
{
	char c = 0;
	cleanup_close int fd =
	    open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

bool oci_lsm_selinux_enabled(void)
{
	struct statfs sfs;
	if (statfs("/sys/fs/selinux", &sfs) < 0 || sfs.f_type != (typeof(sfs.f_type))SELINUX_MAGIC)
		return false;
	/* Until a policy is loaded every task is "kernel" and the kernel takes any label
	 * without applying it: the container would run unconfined (runc's rule too). */
	char cur[16] = {0};
	cleanup_close int fd = open("/proc/thread-self/attr/current", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, cur, sizeof(cur) - 1);
	return n > 0 && strcmp(cur, "kernel") && strcmp(cur, "kernel\n");
}

static bool is_set(const char *s)
{
	return s && s[0];
}

/* Labels are written as they are to the kernel (and quoted in mount data): a control
 * character (a newline would end the kernel's parse) or a quote has no place in one. */
static int check_label(const char *field, const char *s, oci_error *err)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '"')
			return oci_err(err, OCI_E_INVALID,
				       "%s: a label must not hold a quote or a control character",
				       field);
	if (strlen(s) > 4000)
		return oci_err(err, OCI_E_INVALID, "%s: longer than 4000 bytes", field);
	return 0;
}

/* The loaded policy knows label: what the kernel answers to it written to selinuxfs's context
 * file (libselinux's security_check_context). A runtime whose policy denies that question
 * learns the answer when the label is applied instead. */
static int check_selinux_label(const char *field, const char *label, oci_error *err)
{
	cleanup_close int fd = open("/sys/fs/selinux/context", O_RDWR | O_CLOEXEC);
	if (fd < 0 || write(fd, label, strlen(label)) >= 0 || errno != EINVAL)
		return 0;
	return oci_err(err, OCI_E_INVALID,
		       "%s '%s': not a valid label in the loaded SELinux policy (an unknown user, "
		       "role, type or level); use a label of the policy",
		       field, label);
}

int oci_lsm_check(const oci_process *p, const char *mount_label, oci_error *err)
{
	if (is_set(p->apparmor_profile)) {
		if (check_label("process.apparmorProfile", p->apparmor_profile, err) < 0)
			return -1;
		if (!oci_lsm_apparmor_enabled())
			return oci_err(
			    err, OCI_E_UNSUPPORTED,
			    "process.apparmorProfile '%s': AppArmor is not enabled on this "
			    "host; remove the field or run where AppArmor is enabled",
			    p->apparmor_profile);
	}
	const char *sel[2][2] = {{"process.selinuxLabel", p->selinux_label},
				 {"linux.mountLabel", mount_label}};
	for (size_t i = 0; i < 2; i++) {
		if (!is_set(sel[i][1]))
			continue;
		if (check_label(sel[i][0], sel[i][1], err) < 0)
			return -1;
		/* runc's words for the process label; runc would drop a mount label */
		if (!oci_lsm_selinux_enabled())
			return oci_err(
			    err, OCI_E_UNSUPPORTED,
			    "%s '%s': selinux label is specified in config, but selinux is "
			    "disabled or not supported on this host",
			    sel[i][0], sel[i][1]);
		if (check_selinux_label(sel[i][0], sel[i][1], err) < 0)
			return -1;
	}
	return 0;
}

int oci_lsm_open_procfs(const oci_process *p, oci_error *err)
{
	if (!is_set(p->apparmor_profile) && !is_set(p->selinux_label))
		return -1;
	int fd = oci_safe_procfs_open("/proc", err);
	return fd < 0 ? -2 : fd;
}

/* Write value to the attr file open in fd (rel names it): the errno of a refused write is
 * kept in err->sys_errno. */
static int write_value(int fd, const char *rel, const char *value, oci_error *err)
{
	size_t n = strlen(value);
	ssize_t w = write(fd, value, n);
	if (w < 0 && errno == EINVAL && strncmp(rel, "attr/apparmor", 13))
		return oci_err_errno(err, errno,
				     "'%s' is not a valid label in the loaded SELinux policy "
				     "(writing /proc/thread-self/%s)",
				     value, rel);
	if (w < 0)
		return oci_err_errno(err, errno, "cannot write '%s' to /proc/thread-self/%s", value,
				     rel);
	if ((size_t)w != n)
		return oci_err(err, OCI_E_IO, "short write of '%s' to /proc/thread-self/%s", value,
			       rel);
	return 0;
}

void oci_lsm_files_close(oci_lsm_files *f)
{
	int *fds[] = {&f->keycreate, &f->apparmor, &f->selinux};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int oci_lsm_open_files(int procfd, const oci_process *p, oci_lsm_files *f, oci_error *err)
{
	*f = (oci_lsm_files){.keycreate = -1, .apparmor = -1, .selinux = -1};
	if (procfd < 0)
		return 0;
	if (is_set(p->selinux_label)) {
		f->keycreate = oci_safe_procfs_open_self(procfd, "attr/keycreate", O_WRONLY, err);
		f->selinux = f->keycreate < 0
				 ? -1
				 : oci_safe_procfs_open_self(procfd, "attr/exec", O_WRONLY, err);
		if (f->selinux < 0) {
			oci_lsm_files_close(f);
			return oci_err_prefix(err, "process.selinuxLabel");
		}
	}
	if (is_set(p->apparmor_profile)) {
		f->apparmor_rel = "attr/apparmor/exec";
		f->apparmor = oci_safe_procfs_open_self(procfd, f->apparmor_rel, O_WRONLY, err);
		if (f->apparmor < 0 && err->sys_errno == ENOENT) {
			/* Kernels before 5.1 have only the shared attr/exec, AppArmor's when it
			 * is the major LSM (oci_lsm_check saw it enabled). */
			f->apparmor_rel = "attr/exec";
			f->apparmor =
			    oci_safe_procfs_open_self(procfd, f->apparmor_rel, O_WRONLY, err);
		}
		if (f->apparmor < 0) {
			oci_lsm_files_close(f);
			return oci_err_prefix(err, "process.apparmorProfile");
		}
	}
	return 0;
}

int oci_lsm_set_keycreate(oci_lsm_files *f, const oci_process *p, oci_error *err)
{
	if (f->keycreate < 0)
		return 0;
	int r = write_value(f->keycreate, "attr/keycreate", p->selinux_label, err);
	close(f->keycreate);
	f->keycreate = -1;
	if (r < 0)
		return oci_err_prefix(err,
				      "process.selinuxLabel: cannot label the session keyring");
	return 0;
}

int oci_lsm_set_exec(oci_lsm_files *f, const oci_process *p, oci_error *err)
{
	int r = 0;
	if (f->apparmor >= 0) {
		cleanup_free char *cmd = oci_asprintf(err, "exec %s", p->apparmor_profile);
		if (!cmd || write_value(f->apparmor, f->apparmor_rel, cmd, err) < 0) {
			if (cmd && err->sys_errno == ENOENT)
				oci_err(err, OCI_E_NOTFOUND,
					"AppArmor profile '%s' is not loaded (load it with "
					"apparmor_parser)",
					p->apparmor_profile);
			r = oci_err_prefix(err, "process.apparmorProfile");
		}
	}
	if (r == 0 && f->selinux >= 0 &&
	    write_value(f->selinux, "attr/exec", p->selinux_label, err) < 0)
		r = oci_err_prefix(err, "process.selinuxLabel");
	oci_lsm_files_close(f);
	return r;
}

int oci_lsm_mount_data(const char *type, const char *mount_label, char *data, size_t len,
		       oci_error *err)
{
	if (!is_set(mount_label) || (strcmp(type, "tmpfs") && strcmp(type, "devpts")))
		return 0;
	size_t used = strlen(data);
	int n = snprintf(data + used, len - used, "%scontext=\"%s\"", used ? "," : "", mount_label);
	if (n < 0 || (size_t)n >= len - used) {
		data[used] = '\0';
		return oci_err(err, OCI_E_LIMIT, "linux.mountLabel: the mount data is too long");
	}
	return 0;
}

int oci_lsm_label_mount(int rootfd, const char *dest, const char *type, const char *mount_label,
			bool new_ipcns, oci_error *err)
{
	/* Without an IPC namespace of its own the mqueue superblock is the one the container
	 * shares (the host's, or another container's): a config must not relabel it. */
	if (!is_set(mount_label) || strcmp(type, "mqueue") || !new_ipcns)
		return 0;
	cleanup_close int fd = oci_safe_open(rootfd, dest, O_PATH | O_CLOEXEC, 0, err);
	if (fd < 0)
		return oci_err_prefix(err, "linux.mountLabel");
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (setxattr(path, "security.selinux", mount_label, strlen(mount_label), 0) < 0)
		return oci_err_errno(err, errno, "linux.mountLabel '%s': cannot label %s '%s'",
				     mount_label, type, dest);
	return 0;
}
