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
	return statfs("/sys/fs/selinux", &sfs) == 0 &&
	       sfs.f_type == (typeof(sfs.f_type))SELINUX_MAGIC;
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
	if (w < 0)
		return oci_err_errno(err, errno, "cannot write '%s' to /proc/thread-self/%s", value,
				     rel);
	if ((size_t)w != n)
		return oci_err(err, OCI_E_IO, "short write of '%s' to /proc/thread-self/%s", value,
			       rel);
	return 0;
}

static int write_attr(int procfd, const char *rel, const char *value, oci_error *err)
{
	cleanup_close int fd = oci_safe_procfs_open_self(procfd, rel, O_WRONLY, err);
	return fd < 0 ? -1 : write_value(fd, rel, value, err);
}

int oci_lsm_set_keycreate(int procfd, const oci_process *p, oci_error *err)
{
	if (!is_set(p->selinux_label))
		return 0;
	if (write_attr(procfd, "attr/keycreate", p->selinux_label, err) < 0)
		return oci_err_prefix(err,
				      "process.selinuxLabel: cannot label the session keyring");
	return 0;
}

static int set_apparmor(int procfd, const char *profile, oci_error *err)
{
	cleanup_free char *cmd = oci_asprintf(err, "exec %s", profile);
	if (!cmd)
		return -1;
	const char *rel = "attr/apparmor/exec";
	cleanup_close int fd = oci_safe_procfs_open_self(procfd, rel, O_WRONLY, err);
	if (fd < 0 && err->sys_errno == ENOENT) {
		/* Kernels before 5.1 have only the shared attr/exec, AppArmor's when it is the
		 * major LSM (oci_lsm_check saw it enabled). */
		rel = "attr/exec";
		fd = oci_safe_procfs_open_self(procfd, rel, O_WRONLY, err);
	}
	if (fd < 0)
		return -1;
	if (write_value(fd, rel, cmd, err) == 0)
		return 0;
	if (err->sys_errno == ENOENT)
		return oci_err(err, OCI_E_NOTFOUND,
			       "AppArmor profile '%s' is not loaded (load it with apparmor_parser)",
			       profile);
	return -1;
}

int oci_lsm_set_exec(int procfd, const oci_process *p, oci_error *err)
{
	if (is_set(p->apparmor_profile) && set_apparmor(procfd, p->apparmor_profile, err) < 0)
		return oci_err_prefix(err, "process.apparmorProfile");
	if (is_set(p->selinux_label) && write_attr(procfd, "attr/exec", p->selinux_label, err) < 0)
		return oci_err_prefix(err, "process.selinuxLabel");
	return 0;
}

int oci_lsm_mount_data(const char *type, const char *mount_label, char *data, size_t len,
		       oci_error *err)
{
	if (!is_set(mount_label) ||
	    (strcmp(type, "tmpfs") && strcmp(type, "devpts") && strcmp(type, "mqueue")))
		return 0;
	size_t used = strlen(data);
	int n = snprintf(data + used, len - used, "%scontext=\"%s\"", used ? "," : "", mount_label);
	if (n < 0 || (size_t)n >= len - used) {
		data[used] = '\0';
		return oci_err(err, OCI_E_LIMIT, "linux.mountLabel: the mount data is too long");
	}
	return 0;
}
