/* The container's init, from clone to exec.
 *
 * It was cloned into its new namespaces by the runtime and talks to it over the sync
 * socket: join its cgroups (unless the runtime does), wait for GO (uid/gid maps written,
 * cgroups joined), join namespaces given by path,
 * build the filesystem, let the runtime run prestart/createRuntime, run createContainer,
 * pivot_root, finish the process environment, hand over the pty (and a seccomp notify fd),
 * report READY, and block
 * reading exec.fifo. `start` writes one byte there; then startContainer hooks run and the
 * container process is exec'd in place, as pid 1 of its namespace. Before READY every error
 * goes back to the runtime as one message; after it there is nobody left to tell but stderr. */
#include "run/init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/cloned_binary.h"
#include "run/hooks.h"
#include "run/lsm.h"
#include "run/mempolicy.h"
#include "run/mounts.h"
#include "run/process.h"
#include "run/seccomp.h"
#include "run/signals.h"
#include "run/sync.h"
#include "run/terminal.h"

static __attribute__((noreturn)) void fail(oci_init_args *a, const oci_error *err)
{
	if (a->sync >= 0)
		oci_sync_send(a->sync, OCI_SYNC_ERROR, err->msg, strlen(err->msg), -1, NULL);
	else
		dprintf(STDERR_FILENO, "%s: %s\n", oci_log_prog(), err->msg);
	_exit(a->sync >= 0 ? 1 : 127);
}

/* Close every inherited fd that is not stdio, preserved, or one of ours: by ranges around
 * ours where they are few (close_range), else by a walk of our fds. */
static void close_inherited(oci_init_args *a)
{
	int keep[16];
	size_t n = 0;
	bool fits = true;
	int own[] = {a->sync, a->fifo, oci_log_fd()};
	for (size_t i = 0; i < ARRAY_SIZE(own); i++)
		keep[n++] = own[i];
	for (int i = 0; a->join_fds[i] >= 0; i++) {
		if (n < ARRAY_SIZE(keep))
			keep[n++] = a->join_fds[i];
		else
			fits = false;
	}
	for (size_t i = 0; a->mount_trees && i < a->cfg->n_mounts; i++) {
		if (a->mount_trees[i] < 0)
			continue;
		if (n < ARRAY_SIZE(keep))
			keep[n++] = a->mount_trees[i];
		else
			fits = false;
	}
	oci_error e = OCI_ERROR_INIT;
	if (fits && oci_process_close_fds(a->opts->preserve_fds, keep, n, &e) == 0)
		return;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int keep_max = 3 + a->opts->preserve_fds;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		int fd = atoi(de->d_name);
		if (fd < keep_max || fd == dirfd(d) || fd == a->sync || fd == a->fifo ||
		    fd == oci_log_fd())
			continue;
		bool ours = false;
		for (int i = 0; a->join_fds[i] >= 0; i++)
			if (a->join_fds[i] == fd)
				ours = true;
		for (size_t i = 0; a->mount_trees && i < a->cfg->n_mounts; i++)
			ours |= a->mount_trees[i] == fd;
		if (!ours)
			close(fd);
	}
	closedir(d);
}

/* Where the init is until it has joined its cgroups (cgroups_later), and GO's payload. */
typedef struct init_wait {
	oci_init_args *a;
	char *state; /* GO's payload: the state JSON the hooks read */
	size_t len;
	bool devices_later; /* joined: DEVICES_READY is to come (container_create.c) */
} init_wait;

/* cgroups_later: GO (read only now: a wait for it at the start would put the init to sleep
 * while the runtime works, and its wakeup on the runtime's CPU, behind it), the runtime's
 * directories, then its word that their limits and device filter are in place; the init
 * joins them ('0' into each v1 tasks file; the unified one it was cloned into). Once; a
 * no-op after. */
static int join_cgroups(init_wait *w, oci_error *err)
{
	oci_init_args *a = w->a;
	if (!a->cgroups_later)
		return 0;
	a->cgroups_later = false;
	w->devices_later = true;
	if (oci_sync_expect(a->sync, OCI_SYNC_GO, w->state, w->len, NULL, err) < 0)
		_exit(1); /* the runtime is gone, or failed: it tells its own error */
	char buf[OCI_SYNC_MAX + 1];
	char *dirs[64];
	size_t n = 0;
	int r = 0;
	for (;;) {
		int t = oci_sync_recv(a->sync, buf, sizeof(buf), NULL, err);
		if (t == 0)
			_exit(1); /* the runtime is gone: it tells its own error */
		if (t < 0 || t == OCI_SYNC_CGROUPS_READY)
			break;
		if (t != OCI_SYNC_CGROUP) {
			r = oci_err(err, OCI_E_INTERNAL, "unexpected message %d from the runtime",
				    t);
			break;
		}
		/* directories, each ending with its NUL; the receive adds one after the last */
		for (const char *d = buf; r == 0 && *d; d += strlen(d) + 1) {
			if (n == ARRAY_SIZE(dirs))
				r = oci_err(err, OCI_E_INTERNAL, "too many cgroup directories");
			else if (!(dirs[n] = oci_strdup(d, err)))
				r = -1;
			else
				n++;
		}
		if (r < 0)
			break;
	}
	if (r == 0 && !err->code) {
		/* the unified directory is the one we were cloned into */
		int unified = -1;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(dirs[i], a->cgroups->dirs[0]))
				unified = (int)i;
		oci_cgroup cg = {.ops = a->cgroups->ops, .dirs = dirs, .n = n};
		r = oci_cgroup_enter_self(&cg, unified, a->cloned_into_unified, err);
	} else {
		r = -1;
	}
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	return r;
}

/* A new time namespace: unshare it (only our children would enter it), write the clock
 * offsets while nobody is inside yet, then enter it ourselves. */
static int enter_timens(const oci_config_linux *l, oci_error *err)
{
	char buf[256];
	size_t used = 0;
	for (size_t i = 0; i < l->n_time_offsets; i++) {
		const oci_config_time_offset *o = &l->time_offsets[i];
		int w = snprintf(buf + used, sizeof(buf) - used, "%s %lld %lld\n", o->clock,
				 (long long)o->secs, (long long)o->nanosecs);
		if (w < 0 || (size_t)w >= sizeof(buf) - used)
			return oci_err(err, OCI_E_LIMIT, "linux.timeOffsets: too long");
		used += (size_t)w;
	}
	if (unshare(CLONE_NEWTIME) < 0)
		return oci_err_errno(err, errno, "cannot create the time namespace");
	if (used) {
		cleanup_close int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, buf, used) != (ssize_t)used)
			return oci_err_errno(err, errno,
					     "linux.timeOffsets: cannot write timens_offsets");
	}
	cleanup_close int ns = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWTIME) < 0)
		return oci_err_errno(err, errno, "cannot enter the time namespace");
	return 0;
}

/* A session keyring of the container's own, so that keys of the runtime's session never
 * reach the container, under the name of run/state.h that nobody else can guess (runc's
 * _ses.ID another container joined, or made first). Kernels without keyrings are fine. */
static int join_keyring(const char *name, bool userns, oci_error *err)
{
	long key = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
	if (key < 0) {
		if (errno == ENOSYS || errno == EACCES)
			return 0;
		return oci_err_errno(err, errno, "cannot join a session keyring");
	}
	/* The container's processes hold it (the possessor's rights, whatever their uid); the
	 * key's uid, or "other" in a user namespace (ids there are not the key's), may only
	 * search it, which exec needs to join it by name. runc also gives that uid view, read
	 * and link: uid 0 of the host's user namespace is every container without one, and with
	 * the keyring's serial (trying them all takes minutes) one linked it into its own and
	 * held every key, or read its name and joined it. */
	long perm = 0x3f000000 /* KEY_POS_ALL */ |
		    (userns ? 0x8 /* KEY_OTH_SEARCH */ : 0x80000 /* KEY_USR_SEARCH */);
	if (syscall(SYS_keyctl, KEYCTL_SETPERM, key, perm, 0, 0) < 0)
		return oci_err_errno(err, errno, "cannot restrict the session keyring");
	return 0;
}

/* A new network namespace starts with lo down: bring it up as runc does, so the container
 * can reach itself on 127.0.0.1 and ::1. */
static int loopback_up(oci_error *err)
{
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot bring up lo: socket");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return oci_err_errno(err, errno, "cannot bring up lo: SIOCGIFFLAGS");
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return oci_err_errno(err, errno, "cannot bring up lo: SIOCSIFFLAGS");
	return 0;
}

void oci_init_main(oci_init_args *a)
{
	oci_error err = OCI_ERROR_INIT;
	char state[OCI_SYNC_MAX + 1];
	const oci_config *cfg = a->cfg;
	const oci_process *process = &cfg->process;
	const oci_config_hooks *hooks = &cfg->hooks;

	/* Until READY the runtime owns us: if it dies, so do we. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Nothing of the container exists yet, and the runtime makes our cgroups meanwhile. */
	if (a->seal_self && oci_cloned_binary_switch_in_place(&err) < 0) {
		oci_err_prefix(&err, "cannot run from a sealed copy of the runtime binary "
				     "(CVE-2019-5736)");
		fail(a, &err);
	}
	/* an exec'd process sees us until our exec (a created container) */
	oci_process_blank_cmdline();
	/* Our cgroups, before anything else is done or allocated here; a failure is told after
	 * GO, which the runtime sends without waiting for us. */
	oci_error cg_err = OCI_ERROR_INIT;
	int cg_r = a->cgroups && !a->cgroups_later
		       ? oci_cgroup_enter_self(a->cgroups, a->cgroup_unified,
					       a->cloned_into_unified, &cg_err)
		       : 0;
	if (a->unshare_net && unshare(CLONE_NEWNET) < 0) {
		oci_err_errno(&err, errno, "cannot create the container's network namespace");
		fail(a, &err);
	}
	close_inherited(a);
	/* Our oom_score_adj file, in the runtime's /proc too (see run/process.h). */
	int oomfd;
	if (oci_process_oom_open(process, &oomfd, &err) < 0)
		fail(a, &err);
	/* The runtime's own /proc, before any namespace is joined or anything mounted: the
	 * LSM labels are written through it, never through the container's /proc. */
	int procfd = oci_lsm_open_procfs(process, &err);
	if (procfd == -2)
		fail(a, &err);
	/* Only the attr files are kept: with a pid namespace joined by path, processes of
	 * another container already see this one. */
	oci_lsm_files lsm;
	int lsm_r = oci_lsm_open_files(procfd, process, &lsm, &err);
	if (procfd >= 0)
		close(procfd);
	if (lsm_r < 0)
		fail(a, &err);

	init_wait wait = {.a = a, .state = state, .len = sizeof(state)};
	oci_mount_trees sources = {0};
	if (!a->cgroups_later &&
	    oci_mounts_recv_sources(a->sync, cfg, &sources, state, sizeof(state), &err) < 0)
		_exit(1);
	if (cg_r < 0)
		fail(a, &cg_err);
	/* Nothing in the container may open our /proc/PID/exe (CVE-2019-5736). Only now: a
	 * non-dumpable process's /proc files belong to root, and an unprivileged runtime (or
	 * newuidmap for it) could not have written our id maps. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Our own session, as runc's init: a terminal the caller closes (SIGHUP to its
	 * session) or job control in its shell never reaches the container. A terminal
	 * container gets its session from oci_terminal_attach. */
	if (!process->terminal && setsid() < 0) {
		oci_err_errno(&err, errno, "setsid");
		fail(a, &err);
	}

	if (a->new_netns && loopback_up(&err) < 0)
		fail(a, &err);
	for (int i = 0; a->join_fds[i] >= 0; i++) {
		if (setns(a->join_fds[i], a->join_types[i]) < 0) {
			oci_err_errno(&err, errno, "cannot join the %s namespace",
				      oci_spec_namespace_by_flag(a->join_types[i])->type);
			fail(a, &err);
		}
		close(a->join_fds[i]);
	}
	if ((a->userns || a->joined_userns) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		oci_err_errno(&err, errno,
			      "cannot become root in the user namespace (is uid 0 mapped?)");
		fail(a, &err);
	}
	/* a cgroup namespace is rooted where we are when it is made */
	if (a->new_cgroupns && join_cgroups(&wait, &err) < 0)
		fail(a, &err);
	if (a->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0) {
		oci_err_errno(&err, errno, "cannot create the cgroup namespace");
		fail(a, &err);
	}
	if (a->new_timens && enter_timens(&cfg->linux_, &err) < 0)
		fail(a, &err);
	if (!a->opts->no_new_keyring && oci_lsm_set_keycreate(&lsm, process, &err) < 0)
		fail(a, &err);
	if (!a->opts->no_new_keyring &&
	    join_keyring(a->keyring, a->userns || a->joined_userns, &err) < 0)
		fail(a, &err);
	/* a scheduler policy (SCHED_DEADLINE's bandwidth) is admitted by the cpuset joined */
	if (process->has_scheduler && join_cgroups(&wait, &err) < 0)
		fail(a, &err);
	if (oci_process_oom_score(process, oomfd, &err) < 0 ||
	    oci_process_rlimits(process, &err) < 0 || oci_process_sched(process, &err) < 0)
		fail(a, &err);
	if (oomfd >= 0)
		close(oomfd);

	const char *bundle = a->opts->bundle;
	oci_mount_ctx mctx = {.cfg = cfg,
			      .rootfs = a->rootfs,
			      .bundle = bundle,
			      .userns = a->userns || a->joined_userns,
			      .new_cgroupns = a->new_cgroupns,
			      .shared_mountns = !oci_config_find_namespace(cfg, "mount"),
			      .trees = a->mount_trees,
			      .sources = sources.fds};
	/* The mounts are the config's: what they cost (mount tables, a tmpcopyup copy, a
	 * cgroup mount showing our cgroups) is the container's, so its cgroups are joined
	 * first; before them, this side's work overlapped the runtime's (the network
	 * namespace, above, the most). */
	if (join_cgroups(&wait, &err) < 0 || oci_mounts_prepare(&mctx, &err) < 0)
		fail(a, &err);
	/* Made under the v1 device list; its eBPF backup is in place before anything of the
	 * container's runs (a hook, the process). */
	if (wait.devices_later &&
	    oci_sync_expect(a->sync, OCI_SYNC_DEVICES_READY, NULL, 0, NULL, &err) < 0)
		_exit(1); /* the runtime is gone, or failed: it tells its own error */

	/* The runtime's hooks, when the config has any: without, the round trip (two context
	 * switches, each a wait for the other side to be scheduled) would only say so. */
	if ((oci_hooks_count(hooks, "prestart") || oci_hooks_count(hooks, "createRuntime")) &&
	    (oci_sync_send(a->sync, OCI_SYNC_HOOKS, NULL, 0, -1, &err) < 0 ||
	     oci_sync_expect(a->sync, OCI_SYNC_HOOKS_DONE, NULL, 0, NULL, &err) < 0))
		_exit(1);
	if (oci_hooks_run(hooks, "createContainer", state, bundle, &err) < 0)
		fail(a, &err);

	if (oci_mounts_pivot(&mctx, a->opts->no_pivot, &err) < 0 ||
	    oci_process_sysctl(cfg, &err) < 0 || oci_process_make_cwd(process, &err) < 0 ||
	    oci_mounts_finalize(&mctx, &err) < 0 || oci_process_identity(cfg, &err) < 0 ||
	    oci_mempolicy_apply(cfg, &err) < 0)
		fail(a, &err);

	if (process->terminal) {
		int master, slave;
		char name[128];
		if (oci_terminal_open(&master, &slave, name, sizeof(name), &err) < 0 ||
		    oci_terminal_prepare(master, slave, process, &err) < 0 ||
		    oci_mounts_console(&mctx, slave, &err) < 0 ||
		    oci_terminal_attach(slave, &err) < 0)
			fail(a, &err);
		if (oci_sync_send(a->sync, OCI_SYNC_PTY, name, strlen(name), master, &err) < 0)
			_exit(1);
		close(master);
		if (slave > 2)
			close(slave);
	}

	/* runc's order: without no_new_privs installing a filter needs CAP_SYS_ADMIN, so it goes
	 * in before the capabilities are dropped; with it, as late as possible (below). */
	bool nnp = process->no_new_privileges;
	/* runc's order too: the exec labels before no_new_privs (a confined runtime could not
	 * change profile after it), the filter (which need not allow the write) and the
	 * capability drop. */
	if (oci_lsm_set_exec(&lsm, process, &err) < 0)
		fail(a, &err);
	int notify_fd;
	if (!nnp && (oci_seccomp_load(a->seccomp, &notify_fd, &err) < 0 ||
		     oci_seccomp_handoff(a->sync, notify_fd, &err) < 0))
		fail(a, &err);
	/* Whatever the mounts or hooks left open goes before the cwd is resolved: only the
	 * sync socket, the exec fifo and the log stay (none is a directory) (CVE-2024-21626). */
	int keep[] = {a->sync, a->fifo, oci_log_fd()};
	/* HOME from the container's /etc/passwd where the config sets none (runc's rule), read
	 * as the container's user: what it opens, the process could open itself */
	char **env = NULL;
	if (oci_process_close_fds(a->opts->preserve_fds, keep, ARRAY_SIZE(keep), &err) < 0 ||
	    oci_process_set_user(process, &err) < 0 ||
	    !(env = oci_process_env_with_home(process, &err)) ||
	    !(env = oci_process_env_listen(env, a->opts->listen_fds, &err)))
		fail(a, &err);
	cleanup_free char *exe = oci_process_lookup(process, &err);
	if (!exe || oci_process_fds(a->opts->preserve_fds, &err) < 0)
		fail(a, &err);

	/* With no_new_privs, runc's order: the filter goes in as late as the sync socket allows,
	 * so startContainer hooks run inside it: before READY when a notify fd must still reach
	 * the runtime, else just after (the profile need not allow the message). */
	bool late = nnp && !(a->seccomp && (a->seccomp->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER));
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		oci_err_errno(&err, errno, "cannot set no_new_privs");
		fail(a, &err);
	}
	if (nnp && !late &&
	    (oci_seccomp_load(a->seccomp, &notify_fd, &err) < 0 ||
	     oci_seccomp_handoff(a->sync, notify_fd, &err) < 0))
		fail(a, &err);

	/* From here on we outlive the runtime's create. */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (oci_sync_send(a->sync, OCI_SYNC_READY, NULL, 0, -1, &err) < 0)
		_exit(1);
	close(a->sync);
	a->sync = -1;
	if (late && oci_seccomp_load(a->seccomp, NULL, &err) < 0)
		fail(a, &err);

	char c;
	ssize_t n;
	do
		n = read(a->fifo, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1);
	/* a->fifo stays open until exec closes it: that tells `start` the process is running. */

	if (oci_hooks_run(hooks, "startContainer", state, NULL, &err) < 0)
		fail(a, &err);
	oci_signals_reset();
	/* no_new_privs is set already: not again under the filter */
	oci_process p = *process;
	p.no_new_privileges = false;
	p.env = env;
	oci_process_exec_seccomp(&p, exe, NULL, &err);
	fail(a, &err);
}
