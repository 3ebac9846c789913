/* The container process's execution environment, applied by the init just before exec:
 * resource limits, identity, capabilities (libcap), and an fd table that holds only stdio
 * and --preserve-fds, so no runtime fd leaks into the container (the CVE-2024-21626 class);
 * and the pid file the runtime writes for it (create, exec). */
#include "run/process.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/passwd.h"
#include "common/safepath.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/seccomp.h"
#include "run/state.h"
#include "run/terminal.h"

int oci_process_rlimits(const oci_process *p, oci_error *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const oci_config_rlimit *r = &p->rlimits[i];
		struct rlimit rl = {.rlim_cur = (rlim_t)r->soft, .rlim_max = (rlim_t)r->hard};
		if (setrlimit(r->resource, &rl) < 0) {
			int e = errno;
			struct rlimit cur;
			getrlimit(r->resource, &cur);
			if (e == EPERM && rl.rlim_max > cur.rlim_max)
				return oci_err(err, OCI_E_INVALID,
					       "rlimit %s: cannot raise the hard limit to %llu "
					       "above the runtime's own (%llu)",
					       r->type, (unsigned long long)rl.rlim_max,
					       (unsigned long long)cur.rlim_max);
			return oci_err_errno(err, e, "rlimit %s: soft %lld hard %lld", r->type,
					     (long long)r->soft, (long long)r->hard);
		}
	}
	return 0;
}

int oci_process_oom_open(const oci_process *p, int *fd, oci_error *err)
{
	*fd = -1;
	if (!p->has_oom_score_adj)
		return 0;
	*fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (*fd < 0)
		return oci_err_errno(err, errno, "cannot set oomScoreAdj %d", p->oom_score_adj);
	return 0;
}

int oci_process_oom_score(const oci_process *p, int fd, oci_error *err)
{
	if (!p->has_oom_score_adj)
		return 0;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		return oci_err_errno(err, fd < 0 ? EBADF : errno, "cannot set oomScoreAdj %s", buf);
	return 0;
}

/* sched_setattr(2)'s argument (SCHED_ATTR_SIZE_VER0: the util clamp values are not in the
 * runtime-spec, so the UTIL_CLAMP flags are refused by the kernel). */
struct oci_sched_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

int oci_process_sched(const oci_process *p, oci_error *err)
{
	if (p->has_scheduler) {
		struct oci_sched_attr a = {.size = sizeof(a),
					   .policy = p->scheduler.policy,
					   .flags = p->scheduler.flags,
					   .nice = p->scheduler.nice,
					   .priority = p->scheduler.priority,
					   .runtime = p->scheduler.runtime,
					   .deadline = p->scheduler.deadline,
					   .period = p->scheduler.period};
		if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
			return oci_err_errno(err, errno,
					     "process.scheduler: the kernel refuses policy %u "
					     "(nice %d, priority %u, flags %#llx)",
					     a.policy, a.nice, a.priority,
					     (unsigned long long)a.flags);
	}
	if (p->has_io_priority) {
		/* IOPRIO_WHO_PROCESS, this process: its children inherit it. */
		int v = (p->io_class << 13) | p->io_level;
		if (syscall(SYS_ioprio_set, 1, 0, v) < 0)
			return oci_err_errno(err, errno,
					     "process.ioPriority: cannot set class %d priority %d",
					     p->io_class, p->io_level);
	}
	return 0;
}

int oci_process_set_affinity(const char *list, const char *what, oci_error *err)
{
	if (!list || !*list)
		return 0;
	/* The validator's parser (runc's syntax) over every CPU it allows, handed to the kernel
	 * whole as runc does: glibc's cpu_set_t (1024 CPUs) dropped the ones above it. */
	unsigned long mask[OCI_SPEC_MAX_CPUS / (8 * sizeof(unsigned long))];
	size_t n;
	if (oci_spec_id_list(list, OCI_SPEC_MAX_CPUS - 1, true, mask, &n, err) < 0)
		return oci_err_prefix(err, "process.execCPUAffinity.%s", what);
	if (syscall(SYS_sched_setaffinity, 0, sizeof(mask), mask) < 0)
		return oci_err_errno(err, errno, "process.execCPUAffinity.%s '%s'", what, list);
	return 0;
}

#ifndef RDTGROUP_SUPER_MAGIC
#define RDTGROUP_SUPER_MAGIC 0x7655821
#endif

int oci_process_check_host(const oci_config *cfg, oci_error *err)
{
	if (cfg->linux_.has_intel_rdt) {
		struct statfs sfs;
		if (statfs("/sys/fs/resctrl", &sfs) < 0 || sfs.f_type != RDTGROUP_SUPER_MAGIC)
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "linux.intelRdt: this host has no resctrl filesystem at "
				       "/sys/fs/resctrl (Intel RDT needs the CPU feature and "
				       "`mount -t resctrl resctrl /sys/fs/resctrl`)");
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.intelRdt: not supported by oci-run (remove it, or use runc)");
	}
	/* No cgroup driver writes rdma.max (features says so), cpu.max.burst or cpu.idle:
	 * refused rather than ignored. */
	if (cfg->linux_.resources.unsupported)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "linux.resources.%s: not supported by oci-run (remove it, or use "
			       "runc)",
			       cfg->linux_.resources.unsupported);
	return 0;
}

int oci_process_sysctl(const oci_config *cfg, oci_error *err)
{
	if (!cfg->linux_.n_sysctl)
		return 0;
	/* Through the container's /proc only if it is a procfs, and below it crossing no mount
	 * and following no symlink (the procfs rule of common/safepath.c): without a /proc mount
	 * the path is the image's, whose FIFO there held the init for ever. */
	cleanup_close int procfd = oci_safe_procfs_open("/proc", err);
	if (procfd < 0)
		return oci_err_prefix(err, "linux.sysctl: the container's /proc");
	for (size_t i = 0; i < cfg->linux_.n_sysctl; i++) {
		const char *key = cfg->linux_.sysctl[i].key, *val = cfg->linux_.sysctl[i].value;
		/* Validation refused it already; checked again where the write happens (namespace
		 * paths cannot be compared from inside the container). */
		if (oci_spec_sysctl_check(cfg, key, false, err) < 0)
			return oci_err_prefix(err, "linux.sysctl.%s", key);
		char path[512];
		int n = snprintf(path, sizeof(path), "sys/%s", key);
		if (n < 0 || (size_t)n >= sizeof(path))
			return oci_err(err, OCI_E_INVALID, "linux.sysctl: key too long");
		for (char *p = path + 4; *p; p++)
			if (*p == '.')
				*p = '/';
		cleanup_close int fd = oci_safe_procfs_open_at(procfd, path, O_WRONLY, err);
		if (fd < 0)
			return oci_err_prefix(err, "cannot set sysctl %s=%s", key, val);
		if (oci_write_all(fd, val, strlen(val), NULL) < 0)
			return oci_err_errno(err, errno, "cannot set sysctl %s=%s", key, val);
	}
	return 0;
}

int oci_process_identity(const oci_config *cfg, oci_error *err)
{
	const char *h = cfg->hostname;
	if (h && h[0] && sethostname(h, strlen(h)) < 0)
		return oci_err_errno(err, errno, "cannot set hostname '%s'", h);
	const char *d = cfg->domainname;
	if (d && d[0] && setdomainname(d, strlen(d)) < 0)
		return oci_err_errno(err, errno, "cannot set domainname '%s'", d);
	return oci_process_personality(cfg, err);
}

int oci_process_personality(const oci_config *cfg, oci_error *err)
{
	if (cfg->linux_.has_personality && personality(cfg->linux_.personality) < 0)
		return oci_err_errno(err, errno, "cannot set personality %s",
				     cfg->linux_.personality_domain);
	return 0;
}

static const char *cwd_of(const oci_process *p)
{
	return p->cwd && p->cwd[0] ? p->cwd : "/";
}

int oci_process_make_cwd(const oci_process *process, oci_error *err)
{
	const char *cwd = cwd_of(process);
	struct stat st;
	if (stat(cwd, &st) == 0)
		return 0; /* oci_process_chdir checks where it leads */
	/* Created inside the root even when the path goes through a magic link (/proc/self/fd/N
	 * of a runtime fd) or "..": never a directory on the host (CVE-2024-21626). */
	cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return oci_err_errno(err, errno, "process.cwd: cannot open the root");
	cleanup_close int fd = oci_safe_mkdir_p(root, cwd, 0755, err);
	if (fd < 0)
		return oci_err_prefix(err, "process.cwd '%s'", cwd);
	return 0;
}

/* Fill a capability list into set for one flag; unknown names are skipped like runc does. */
static int caps_from_list(char *const *list, cap_t caps, cap_flag_t flag, bool *present,
			  oci_error *err)
{
	for (; list && *list; list++) {
		const char *name = *list;
		cap_value_t c;
		if (cap_from_name(name, &c) < 0 || c > cap_max_bits() - 1) {
			log_debug("unknown capability '%s' ignored", name);
			continue;
		}
		if (present)
			present[c] = true;
		if (caps && cap_set_flag(caps, flag, 1, &c, CAP_SET) < 0)
			return oci_err_errno(err, errno, "cannot set capability '%s'", name);
	}
	return 0;
}

static int cwd_check(const char *cwd, oci_error *err);

int oci_process_set_user(const oci_process *process, oci_error *err)
{
	int64_t uid = process->user.uid, gid = process->user.gid,
		umask_v = process->user.has_umask ? process->user.umask : 022;
	char **const *caps_sets = process->caps;
	int last = cap_max_bits();
	bool bounding[64] = {false};
	if (last > 64)
		last = 64;
	if (caps_from_list(caps_sets[OCI_CAPS_BOUNDING], NULL, CAP_EFFECTIVE, bounding, err) < 0)
		return -1;
	for (int c = 0; c < last; c++)
		if (!bounding[c] && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return oci_err_errno(err, errno,
					     "cannot drop capability %d from the bounding set", c);

	/* runc's order: the cwd is entered as root first, so a directory only root may search
	 * works for any user; where root may not (a directory whose owner the user namespace
	 * does not map, a root-squashed NFS), again as the user once switched. */
	const char *cwd = cwd_of(process);
	bool cwd_as_user = false;
	if (chdir(cwd) < 0) {
		if (errno != EACCES && errno != EPERM)
			return oci_err_errno(err, errno, "cannot chdir to '%s'", cwd);
		cwd_as_user = true;
	}

	/* The model holds at most NGROUPS_MAX (its checker refuses more). */
	size_t n = process->user.n_additional_gids;
	if (n > NGROUPS_MAX)
		return oci_err(err, OCI_E_LIMIT, "process.user.additionalGids: more than %d groups",
			       NGROUPS_MAX);
	if (setgroups(n, process->user.additional_gids) < 0 && !(errno == EPERM && n == 0))
		return oci_err_errno(err, errno, "cannot set additional groups");
	if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0)
		return oci_err_errno(err, errno, "cannot set gid %lld", (long long)gid);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return oci_err_errno(err, errno, "cannot keep capabilities");
	if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0)
		return oci_err_errno(err, errno, "cannot set uid %lld", (long long)uid);
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);

	cap_t caps = cap_init();
	if (!caps)
		return oci_err_errno(err, errno, "cap_init");
	if (caps_from_list(caps_sets[OCI_CAPS_EFFECTIVE], caps, CAP_EFFECTIVE, NULL, err) < 0 ||
	    caps_from_list(caps_sets[OCI_CAPS_PERMITTED], caps, CAP_PERMITTED, NULL, err) < 0 ||
	    caps_from_list(caps_sets[OCI_CAPS_INHERITABLE], caps, CAP_INHERITABLE, NULL, err) < 0) {
		cap_free(caps);
		return -1;
	}
	if (cap_set_proc(caps) < 0) {
		int e = errno;
		cap_free(caps);
		return oci_err_errno(err, e, "cannot set capabilities");
	}
	cap_free(caps);
	for (char *const *a = caps_sets[OCI_CAPS_AMBIENT]; a && *a; a++) {
		cap_value_t c;
		/* An ambient capability that is not also inheritable cannot be raised: runc skips
		 * it. */
		if (cap_from_name(*a, &c) == 0 &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			log_debug("cannot raise ambient capability %s: %s", *a, strerror(errno));
	}
	umask((mode_t)umask_v & 0777);
	if (cwd_as_user && chdir(cwd) < 0)
		return oci_err_errno(
		    err, errno,
		    "process.cwd '%s': neither root nor uid %lld (gid %lld) may enter "
		    "it; give the user access or choose another working directory",
		    cwd, (long long)uid, (long long)gid);
	return cwd_check(cwd, err);
}

int oci_process_chdir(const oci_process *process, oci_error *err)
{
	const char *cwd = cwd_of(process);
	if (chdir(cwd) < 0)
		return oci_err_errno(err, errno, "cannot chdir to '%s'", cwd);
	return cwd_check(cwd, err);
}

static int cwd_check(const char *cwd, oci_error *err)
{
	/* A cwd reached through a magic link to something outside our root (a host directory
	 * fd, /proc/PID/cwd of a host process) has no path from the root: the kernel answers
	 * "(unreachable)..." and glibc turns that into ENOENT (CVE-2024-21626). */
	char buf[PATH_MAX];
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return oci_err(
		    err, OCI_E_INVALID,
		    "process.cwd '%s': the working directory is outside the container's root", cwd);
	return 0;
}

static bool is_executable(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

char **oci_process_env_replace(char *const *env, const char *const *drop, size_t ndrop, char **add,
			       size_t nadd, oci_error *err)
{
	size_t n = 0;
	while (env && env[n])
		n++;
	char **out = calloc(n + nadd + 1, sizeof(*out));
	bool made = true;
	for (size_t j = 0; j < nadd; j++)
		made = made && add[j];
	if (!out || !made) {
		free(out);
		for (size_t j = 0; j < nadd; j++)
			free(add[j]);
		if (!err || !err->code)
			oci_err_errno(err, ENOMEM, "cannot set %s", drop[0]);
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool keep = true;
		for (size_t j = 0; j < ndrop && keep; j++) {
			size_t l = strlen(drop[j]);
			keep = strncmp(env[i], drop[j], l) || env[i][l] != '=';
		}
		if (keep)
			out[k++] = env[i];
	}
	for (size_t j = 0; j < nadd; j++)
		out[k++] = add[j];
	return out;
}

char **oci_process_env_with_home(const oci_process *p, oci_error *err)
{
	static char *const none[] = {NULL};
	const char *have = oci_config_env_get(p->env, "HOME");
	if (have && *have)
		return p->env ? p->env : (char **)none;
	const char *home = "/";
	oci_user u = {0};
	oci_error e = OCI_ERROR_INIT;
	/* uid:gid, so that /etc/group is not read: only the home is wanted */
	char uid[32];
	snprintf(uid, sizeof(uid), "%u:%u", p->user.uid, p->user.gid);
	cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd >= 0 && oci_passwd_resolve(rootfd, uid, &u, &e) == 0 && u.found_passwd && u.home)
		home = u.home;
	/* an empty HOME goes, the one found takes its place at the end */
	static const char *const drop[] = {"HOME"};
	char *add[] = {oci_asprintf(err, "HOME=%s", home)};
	oci_user_release(&u);
	return oci_process_env_replace(p->env, drop, 1, add, 1, err);
}

char **oci_process_env_listen(char **env, int n, oci_error *err)
{
	if (n == 0)
		return env;
	/* LISTEN_PID is this process's pid as the process sees it (1 in a pid namespace of its
	 * own, as runc sets it; its real one in the host's, where runc's 1 would name init) */
	static const char *const drop[] = {"LISTEN_FDS", "LISTEN_PID"};
	char *add[] = {oci_asprintf(err, "LISTEN_FDS=%d", n),
		       oci_asprintf(err, "LISTEN_PID=%d", (int)getpid())};
	return oci_process_env_replace(env, drop, 2, add, 2, err);
}

int oci_process_send_pidfd(const char *path, pid_t pid, const char *name, oci_error *err)
{
	cleanup_close int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return oci_err_errno(err, errno, "--pidfd-socket: cannot open a pidfd of %d",
				     (int)pid);
	return oci_unix_send_fd(path, fd, name, "pidfd socket", err);
}

char *oci_process_lookup(const oci_process *process, oci_error *err)
{
	const char *a0 = process->args ? process->args[0] : NULL;
	if (!a0 || !a0[0])
		return oci_err(err, OCI_E_INVALID, "process.args: must not be empty"), NULL;
	if (strchr(a0, '/')) {
		if (!is_executable(a0))
			return oci_err_errno(err, errno ? errno : EACCES, "exec: '%s'", a0), NULL;
		return oci_strdup(a0, err);
	}
	const char *path = oci_config_env_get(process->env, "PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char cand[4096];
		snprintf(cand, sizeof(cand), "%.*s/%s", (int)(n ? n : 1), n ? path : ".", a0);
		if (is_executable(cand))
			return oci_strdup(cand, err);
		path += n;
		if (*path == ':')
			path++;
	}
	oci_err(err, OCI_E_NOTFOUND, "exec: \"%s\": executable file not found in $PATH", a0);
	return NULL;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* close(2) every fd in [lo, hi]: close_range, or one by one on kernels before 5.9. */
static void close_span(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
	struct rlimit rl;
	unsigned max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1u << 20)
			   ? (unsigned)rl.rlim_cur
			   : (1u << 20);
	for (unsigned fd = lo; fd <= hi && fd < max; fd++)
		close((int)fd);
}

int oci_process_close_fds(int preserve_fds, const int *keep, size_t nkeep, oci_error *err)
{
	int sorted[16];
	if (nkeep > ARRAY_SIZE(sorted))
		return oci_err(err, OCI_E_INTERNAL, "too many fds to keep");
	memcpy(sorted, keep, nkeep * sizeof(int));
	qsort(sorted, nkeep, sizeof(int), cmp_int);
	unsigned lo = 3u + (unsigned)preserve_fds;
	for (size_t i = 0; i < nkeep; i++) {
		if (sorted[i] < 0 || (unsigned)sorted[i] < lo)
			continue;
		close_span(lo, (unsigned)sorted[i] - 1);
		lo = (unsigned)sorted[i] + 1;
	}
	close_span(lo, ~0u);
	return 0;
}

int oci_process_check_preserved(int preserve_fds, oci_error *err)
{
	for (int fd = 3; fd < 3 + preserve_fds; fd++)
		if (fcntl(fd, F_GETFD) < 0 || fd == oci_log_fd())
			return oci_err(err, OCI_E_INVALID, "--preserve-fds %d: fd %d is not open",
				       preserve_fds, fd);
	return 0;
}

int oci_process_fds(int preserve_fds, oci_error *err)
{
	unsigned first = 3u + (unsigned)preserve_fds;
	if (syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
		/* Old kernel: walk /proc/self/fd. */
		cleanup_closedir DIR *d = opendir("/proc/self/fd");
		if (!d)
			return oci_err_errno(err, errno, "cannot list open fds");
		struct dirent *de;
		while ((de = readdir(d))) {
			int fd = atoi(de->d_name);
			if (fd >= (int)first && fd != dirfd(d))
				fcntl(fd, F_SETFD, FD_CLOEXEC);
		}
	}
	for (int fd = 3; fd < (int)first; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && (fl & FD_CLOEXEC))
			fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	return 0;
}

int oci_process_exec(const oci_process *process, const char *path, oci_error *err)
{
	return oci_process_exec_seccomp(process, path, NULL, err);
}

int oci_process_exec_seccomp(const oci_process *process, const char *path,
			     const struct oci_seccomp *late, oci_error *err)
{
	static char *const none[] = {NULL};
	if (!process->args || !process->args[0])
		return oci_err(err, OCI_E_INVALID, "process.args: must not be empty");
	if (process->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return oci_err_errno(err, errno, "cannot set no_new_privs");
	if (oci_seccomp_load(late, NULL, err) < 0)
		return -1;
	execve(path, process->args, process->env ? process->env : none);
	return oci_err_errno(err, errno, "exec '%s'", path);
}

void oci_process_blank_cmdline(void)
{
	char buf[2048];
	cleanup_close int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces */
	unsigned long long v[4];
	for (int field = 2; p && field < 48; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3]) != 4)
		return;
	for (int k = 0; k < 4; k += 2)
		if (v[k] && v[k + 1] > v[k] && v[k + 1] - v[k] < (1u << 30))
			memset((void *)(uintptr_t)v[k], 0, (size_t)(v[k + 1] - v[k]));
}

int oci_process_write_pid_file(const char *path, pid_t pid, oci_error *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (oci_write_file_replace(AT_FDCWD, path, buf, (size_t)n, 0644, err) < 0)
		return oci_err_prefix(err, "pid file");
	return 0;
}
