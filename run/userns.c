/* User namespace maps for the container's init, written by the runtime while the init waits
 * for GO. An unprivileged user may map only its own uid and gid, and only after writing
 * "deny" to setgroups (so a group it was dropped from cannot be regained); any other mapping
 * goes through the setuid helpers newuidmap/newgidmap (package uidmap), which check it against
 * /etc/subuid and /etc/subgid. Their error line is kept for ours. */
#include "run/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/spec.h"
#include "common/util.h"

#define MAX_MAPS OCI_SPEC_IDMAP_MAX

typedef struct idmap {
	unsigned long long c[MAX_MAPS], h[MAX_MAPS], s[MAX_MAPS];
	size_t n;
} idmap;

static int parse_maps(const oci_config_idmap *list, size_t n, const char *key, idmap *m,
		      oci_error *err)
{
	m->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (m->n == MAX_MAPS)
			return oci_err(err, OCI_E_LIMIT, "linux.%s: more than %d mappings", key,
				       MAX_MAPS);
		m->c[m->n] = list[i].container_id;
		m->h[m->n] = list[i].host_id;
		m->s[m->n] = list[i].size;
		m->n++;
	}
	if (!m->n)
		return oci_err(err, OCI_E_INVALID, "linux.%s: required with a new user namespace",
			       key);
	return 0;
}

static int write_proc(pid_t pid, const char *file, const char *data, size_t len, oci_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open %s", path);
	ssize_t w = write(fd, data, len);
	if (w != (ssize_t)len)
		return oci_err_errno(err, w < 0 ? errno : EIO, "cannot write %s", path);
	return 0;
}

static int write_direct(pid_t pid, const char *file, const idmap *m, const char *key,
			oci_error *err)
{
	char buf[MAX_MAPS * 36];
	size_t used = 0;
	for (size_t i = 0; i < m->n; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%llu %llu %llu\n",
					 m->c[i], m->h[i], m->s[i]);
	if (write_proc(pid, file, buf, used, err) < 0)
		return oci_err_prefix(err, "linux.%s", key);
	return 0;
}

/* newuidmap PID c h s ...: its stderr is captured for our one-line error. */
static int run_helper(const char *helper, pid_t pid, const idmap *m, const char *key,
		      oci_error *err)
{
	char *argv[2 + 3 * MAX_MAPS + 1];
	char nums[1 + 3 * MAX_MAPS][24];
	size_t k = 0, a = 0;
	argv[a++] = (char *)helper;
	snprintf(nums[k], sizeof(nums[k]), "%d", (int)pid);
	argv[a++] = nums[k++];
	for (size_t i = 0; i < m->n; i++) {
		const unsigned long long v[3] = {m->c[i], m->h[i], m->s[i]};
		for (int j = 0; j < 3; j++) {
			snprintf(nums[k], sizeof(nums[k]), "%llu", v[j]);
			argv[a++] = nums[k++];
		}
	}
	argv[a] = NULL;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return oci_err_errno(err, errno, "pipe");
	pid_t child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return oci_err_errno(err, errno, "fork");
	}
	if (child == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(p[1], STDERR_FILENO);
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		execvp(helper, argv);
		dprintf(STDERR_FILENO, "%s",
			errno == ENOENT ? "not found (install the uidmap package)"
					: strerror(errno));
		_exit(127);
	}
	close(p[1]);
	char msg[512];
	size_t used = 0;
	ssize_t n;
	while ((n = read(p[0], msg + used, sizeof(msg) - 1 - used)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			used += (size_t)n;
	close(p[0]);
	msg[used] = '\0';
	int st;
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			return oci_err_errno(err, errno, "wait for %s", helper);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	/* One line: the helper's first line, without its own "newuidmap: " prefix. */
	msg[strcspn(msg, "\n")] = '\0';
	const char *text = msg;
	size_t hl = strlen(helper);
	if (!strncmp(text, helper, hl) && text[hl] == ':')
		text += hl + 1 + (text[hl + 1] == ' ');
	return oci_err(err, OCI_E_AUTH,
		       "linux.%s: %s failed: %s (the ranges must be yours in /etc/%s)", key, helper,
		       *text ? text : "no reason given",
		       !strcmp(helper, "newuidmap") ? "subuid" : "subgid");
}

int oci_userns_write_maps(pid_t pid, const oci_config_linux *l, oci_error *err)
{
	idmap uids, gids;
	if (parse_maps(l->uid_mappings, l->n_uid_mappings, "uidMappings", &uids, err) < 0 ||
	    parse_maps(l->gid_mappings, l->n_gid_mappings, "gidMappings", &gids, err) < 0)
		return -1;
	if (geteuid() == 0)
		return write_direct(pid, "uid_map", &uids, "uidMappings", err) < 0 ||
			       write_direct(pid, "gid_map", &gids, "gidMappings", err) < 0
			   ? -1
			   : 0;
	bool own_uid = uids.n == 1 && uids.s[0] == 1 && uids.h[0] == geteuid();
	bool own_gid = gids.n == 1 && gids.s[0] == 1 && gids.h[0] == getegid();
	if (own_uid ? write_direct(pid, "uid_map", &uids, "uidMappings", err)
		    : run_helper("newuidmap", pid, &uids, "uidMappings", err))
		return -1;
	if (own_gid) {
		if (write_proc(pid, "setgroups", "deny", 4, err) < 0 ||
		    write_direct(pid, "gid_map", &gids, "gidMappings", err) < 0)
			return -1;
		return 0;
	}
	return run_helper("newgidmap", pid, &gids, "gidMappings", err);
}

int oci_userns_open_mapped(const oci_config_idmap *uid, size_t nu, const oci_config_idmap *gid,
			   size_t ng, oci_error *err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return oci_err_errno(err, errno, "pipe");
	/* A child that only waits, in a new user namespace: its maps are written, its namespace
	 * opened, then it goes. */
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		int e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return oci_userns_clone_error(e, err);
	}
	if (pid == 0) {
		char c;
		close(pfd[1]);
		_exit(read(pfd[0], &c, 1) < 0 ? 1 : 0);
	}
	close(pfd[0]);
	oci_config_linux l = {.uid_mappings = (oci_config_idmap *)uid,
			      .n_uid_mappings = nu,
			      .gid_mappings = (oci_config_idmap *)gid,
			      .n_gid_mappings = ng};
	int fd = -1;
	if (oci_userns_write_maps(pid, &l, err) == 0) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			oci_err_errno(err, errno, "cannot open the user namespace of the mapping");
	}
	close(pfd[1]);
	waitpid(pid, NULL, 0);
	return fd;
}

/* Whether the map file (/proc/self/uid_map or gid_map) holds exactly the n entries of list,
 * in any order. A longer file, or an entry not in the list, is a mismatch. */
static bool map_matches(const char *file, const oci_config_idmap *list, size_t n)
{
	FILE *f = fopen(file, "re");
	if (!f)
		return false;
	unsigned long long c, h, s;
	size_t seen = 0;
	bool ok = true;
	while (ok && fscanf(f, "%llu %llu %llu", &c, &h, &s) == 3) {
		bool found = false;
		for (size_t i = 0; i < n && !found; i++)
			found =
			    list[i].container_id == c && list[i].host_id == h && list[i].size == s;
		ok = found && ++seen <= n;
	}
	ok = ok && feof(f) && !ferror(f) && seen == n;
	fclose(f);
	return ok;
}

int oci_userns_check_joined(const oci_config_linux *l, const char *path, oci_error *err)
{
	if (l->n_uid_mappings &&
	    !map_matches("/proc/self/uid_map", l->uid_mappings, l->n_uid_mappings))
		return oci_err(err, OCI_E_INVALID,
			       "linux.uidMappings: not the maps of the user namespace '%s' (see "
			       "/proc/PID/uid_map of a process in it): give its maps or none",
			       path);
	if (l->n_gid_mappings &&
	    !map_matches("/proc/self/gid_map", l->gid_mappings, l->n_gid_mappings))
		return oci_err(err, OCI_E_INVALID,
			       "linux.gidMappings: not the maps of the user namespace '%s' (see "
			       "/proc/PID/gid_map of a process in it): give its maps or none",
			       path);
	return 0;
}

bool oci_userns_is_initial(void)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	if (!f)
		return true; /* no procfs to tell: assume the host, as runc does */
	unsigned long long c, h, s;
	int n = fscanf(f, "%llu %llu %llu", &c, &h, &s);
	int more = fgetc(f) == '\n' ? fgetc(f) : EOF;
	fclose(f);
	return n == 3 && c == 0 && h == 0 && s == 4294967295ULL && more == EOF;
}

/* -1 until decided: oci_rootless() decides "auto" on first use. */
static int rootless_mode = -1;

int oci_rootless_set(const char *mode, oci_error *err)
{
	if (!mode || !strcmp(mode, "auto"))
		rootless_mode = -1;
	else if (!strcmp(mode, "true"))
		rootless_mode = 1;
	else if (!strcmp(mode, "false"))
		rootless_mode = 0;
	else
		return oci_err(err, OCI_E_INVALID, "--rootless: '%s' is not true, false or auto",
			       mode);
	return 0;
}

bool oci_rootless(void)
{
	if (rootless_mode < 0)
		rootless_mode = geteuid() != 0 || !oci_userns_is_initial();
	return rootless_mode == 1;
}

/* The value of a sysctl as a short string, or NULL when the knob does not exist. */
static const char *sysctl_value(const char *path, char *buf, size_t len)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, len - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

int oci_userns_clone_error(int errnum, oci_error *err)
{
	char v1[32], v2[32], v3[32];
	const char *clone =
	    sysctl_value("/proc/sys/kernel/unprivileged_userns_clone", v1, sizeof(v1));
	const char *apparmor =
	    sysctl_value("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", v2, sizeof(v2));
	const char *max = sysctl_value("/proc/sys/user/max_user_namespaces", v3, sizeof(v3));
	const char *base = "cannot create a user namespace";
	if (errnum == ENOSPC || (max && !strcmp(max, "0")))
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "%s: %s: the limit of user namespaces is reached (sysctl "
			       "user.max_user_namespaces = %s)",
			       base, strerror(errnum), max ? max : "?");
	if (clone && !strcmp(clone, "0"))
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "%s: %s: unprivileged user namespaces are disabled (sysctl "
			       "kernel.unprivileged_userns_clone = 0)",
			       base, strerror(errnum));
	if (apparmor && strcmp(apparmor, "0"))
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "%s: %s: AppArmor restricts unprivileged user namespaces (sysctl "
			       "kernel.apparmor_restrict_unprivileged_userns = %s)",
			       base, strerror(errnum), apparmor);
	return oci_err(
	    err, OCI_E_UNSUPPORTED,
	    "%s: %s (check sysctl kernel.unprivileged_userns_clone and user.max_user_namespaces)",
	    base, strerror(errnum));
}
