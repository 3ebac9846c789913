/* The container lifecycle on the runtime's side: create (clone the init into its
 * namespaces, place it in cgroups, run the runtime's hooks, record the state), start (the
 * exec fifo handshake), kill, delete, and run = create + start + wait.
 *
 * There is no long-lived shim: once create returns, the only process is the container's
 * init, blocked on exec.fifo in the state directory; its pid and start time are recorded so
 * the status can always be derived from /proc (created while the fifo exists, running, or
 * stopped when the pid is gone, a zombie, or reused). */
#include "run/container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/cloned_binary.h"
#include "run/process.h"
#include "run/hooks.h"
#include "run/init.h"
#include "run/seccomp.h"
#include "run/signals.h"
#include "run/state.h"
#include "run/sync.h"
#include "run/terminal.h"
#include "run/userns.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *type;
	int flag;
} ns_types[] = {
    {"pid", CLONE_NEWPID},	 {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},	 {"uts", CLONE_NEWUTS},	    {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

const char *oci_ns_name(int flag)
{
	for (size_t k = 0; k < ARRAY_SIZE(ns_types); k++)
		if (ns_types[k].flag == flag)
			return ns_types[k].type;
	return "unknown";
}

/* Open a namespace to join by path. The path comes from the config: it may name a FIFO (a
 * blocking open would hang create forever), a device, or a namespace of another type. So it is
 * first opened O_PATH (no side effect on any file type), checked to be an nsfs file, only then
 * opened for setns, and its type checked against the one the config names. */
static int open_ns_path(const char *type, int flag, const char *path, oci_error *err)
{
	cleanup_close int pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return oci_err_errno(err, errno, "linux.namespaces: '%s' path '%s'", type, path);
	struct statfs sfs;
	struct stat sb;
	if (fstatfs(pfd, &sfs) < 0 || fstat(pfd, &sb) < 0)
		return oci_err_errno(err, errno, "linux.namespaces: '%s' path '%s'", type, path);
	if (sfs.f_type != NSFS_MAGIC || !S_ISREG(sb.st_mode))
		return oci_err(err, OCI_E_INVALID,
			       "linux.namespaces: '%s' path '%s': not a namespace file", type,
			       path);
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	int fd = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "linux.namespaces: '%s' path '%s'", type, path);
	int actual = ioctl(fd, NS_GET_NSTYPE);
	if (actual < 0) {
		int e = errno;
		close(fd);
		return oci_err_errno(
		    err, e, "linux.namespaces: '%s' path '%s': cannot get its type", type, path);
	}
	if (actual != flag) {
		close(fd);
		return oci_err(err, OCI_E_INVALID,
			       "linux.namespaces: '%s' path '%s': a %s namespace, not a %s one",
			       type, path, oci_ns_name(actual), type);
	}
	return fd;
}

static char *state_json(const oci_state *st, const char *status)
{
	json_t *j =
	    json_pack("{s:s,s:s,s:s,s:I,s:s}", "ociVersion", OCI_RUNTIME_SPEC_VERSION, "id", st->id,
		      "status", status, "pid", (json_int_t)st->pid, "bundle", st->bundle);
	if (!j)
		return NULL;
	if (st->annotations)
		json_object_set(j, "annotations", st->annotations);
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static pid_t clone_init(unsigned long flags)
{
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.flags = flags;
	ca.exit_signal = SIGCHLD;
	long r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r < 0 && errno == ENOSYS && !(flags & CLONE_NEWTIME))
		r = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	return (pid_t)r;
}

static int write_pid_file(const char *path, pid_t pid, oci_error *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (oci_state_write_file(AT_FDCWD, path, buf, (size_t)n, 0644, err) < 0)
		return oci_err_prefix(err, "pid file");
	return 0;
}

/* Kill every process of the container and wait until the init is gone. */
static void kill_all_and_wait(const oci_state *st, bool is_child)
{
	if (st->pid > 0 && oci_proc_start_time(st->pid, NULL) == st->pid_start) {
		kill(st->pid, SIGKILL);
	}
	if (!st->own_pidns && st->cgroups) {
		pid_t *pids = NULL;
		size_t n = 0;
		if (oci_cgroup_pids(st->cgroups, &pids, &n, NULL) == 0)
			for (size_t i = 0; i < n; i++)
				kill(pids[i], SIGKILL);
		free(pids);
	}
	/* Frozen (paused) tasks only die once thawed. */
	if (st->cgroups)
		oci_cgroup_freeze(st->cgroups, false, NULL);
	if (is_child) {
		waitpid(st->pid, NULL, 0);
		return;
	}
	for (int i = 0; i < 2000; i++) {
		bool zombie;
		uint64_t s = oci_proc_start_time(st->pid, &zombie);
		if (s != st->pid_start || zombie)
			return;
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* Remove what a container left: cgroups, state directory; poststop hooks when asked. */
static int destroy(int rootfd, const char *id, const oci_state *st, bool poststop, oci_error *err)
{
	if (st->cgroups && oci_cgroup_destroy(st->cgroups, err) < 0)
		return -1;
	if (poststop && st->hooks) {
		cleanup_free char *s = state_json(st, "stopped");
		oci_error herr = OCI_ERROR_INIT;
		if (s && oci_hooks_run(st->hooks, "poststop", s, &herr) < 0)
			log_warn("%s", herr.msg);
	}
	if (oci_remove_tree_at(rootfd, id, err) < 0)
		return oci_err_prefix(err, "cannot remove state of '%s'", id);
	return 0;
}

static int start_locked(int dirfd, oci_state *st, json_t *hooks, oci_error *err)
{
	int status = oci_state_status(dirfd, st);
	if (status == OCI_STATUS_STOPPED)
		return oci_err(err, OCI_E_STATE, "cannot start a container that has stopped");
	if (status != OCI_STATUS_CREATED)
		return oci_err(err, OCI_E_STATE, "cannot start an already running container");
	cleanup_close int fifo = openat(dirfd, OCI_EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0) {
		if (errno == ENXIO)
			return oci_err(err, OCI_E_STATE, "container init is not waiting for start");
		return oci_err_errno(err, errno, "cannot open exec fifo");
	}
	if (write(fifo, "0", 1) != 1)
		return oci_err_errno(err, errno, "cannot start the container");
	unlinkat(dirfd, OCI_EXEC_FIFO, 0);
	/* The init holds the fifo until its exec closes it (close-on-exec): a write end with no
	 * reader left polls POLLERR. So poststart runs after the container process started. */
	struct pollfd pf = {.fd = fifo, .events = 0};
	while (poll(&pf, 1, -1) < 0 && errno == EINTR)
		;
	if (hooks) {
		cleanup_free char *s = state_json(st, "running");
		oci_error herr = OCI_ERROR_INIT;
		if (s && oci_hooks_run(hooks, "poststart", s, &herr) < 0)
			log_warn("%s", herr.msg);
	}
	return 0;
}

int oci_container_create(const oci_run_global *g, const oci_create_opts *opts, int *exit_status,
			 oci_error *err)
{
	/* Before anything is opened: a closed fd among the preserved ones would be taken by
	 * the bundle or the state root and handed to the container (CVE-2024-21626 class). */
	if (oci_process_check_preserved(opts->preserve_fds, err) < 0 ||
	    oci_state_check_id(opts->id, err) < 0)
		return -1;
	cleanup_close int bundlefd = open(opts->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bundlefd < 0)
		return oci_err_errno(err, errno, "bundle '%s'", opts->bundle);
	cleanup_json json_t *spec =
	    oci_json_load_file_at(bundlefd, "config.json", OCI_JSON_MAX_SIZE, err);
	if (!spec)
		return oci_err_prefix(err, "bundle '%s'", opts->bundle);
	{
		cleanup_json json_t *problems = json_array();
		int n = oci_spec_validate(spec, bundlefd, problems, err);
		if (n < 0)
			return -1;
		if (n > 0) {
			/* Every problem at once, on one line, as oci-bundle validate lists them. */
			char all[OCI_ERR_MSG_MAX];
			size_t used = 0, k;
			json_t *p;
			all[0] = '\0';
			json_array_foreach(problems, k, p)
			{
				int w = snprintf(all + used, sizeof(all) - used, "%s%s",
						 k ? "; " : "", json_string_value(p));
				if (w < 0 || (size_t)w >= sizeof(all) - used)
					break;
				used += (size_t)w;
			}
			if (n == 1)
				return oci_err(err, OCI_E_INVALID, "config.json: %s", all);
			return oci_err(err, OCI_E_INVALID, "config.json: %d problems: %s", n, all);
		}
	}
	json_t *process = json_object_get(spec, "process");
	json_t *linux_ = json_object_get(spec, "linux");
	if (!json_is_object(process))
		return oci_err(err, OCI_E_INVALID, "config.json: process: missing");
	const char *root_path =
	    json_string_value(json_object_get(json_object_get(spec, "root"), "path"));
	if (!root_path)
		return oci_err(err, OCI_E_INVALID, "config.json: root.path: missing");
	cleanup_free char *rootfs_rel = root_path[0] == '/'
					    ? oci_strdup(root_path, err)
					    : oci_asprintf(err, "%s/%s", opts->bundle, root_path);
	if (!rootfs_rel)
		return -1;
	cleanup_free char *rootfs = realpath(rootfs_rel, NULL);
	if (!rootfs)
		return oci_err_errno(err, errno, "rootfs '%s'", rootfs_rel);
	bool terminal = json_is_true(json_object_get(process, "terminal"));
	if (terminal && !opts->console_socket && !opts->foreground)
		return oci_err(
		    err, OCI_E_INVALID,
		    "cannot allocate tty if oci-run will detach without setting console socket");
	if (!terminal && opts->console_socket)
		return oci_err(
		    err, OCI_E_INVALID,
		    "cannot use console socket if oci-run will not detach or allocate tty");

	/* Namespaces: new ones are cloned at once; ones with a path are joined. */
	oci_init_args ia;
	memset(&ia, 0, sizeof(ia));
	ia.join_fds[0] = -1;
	ia.join_user_fd = -1;
	int njoin = 0;
	unsigned long flags = 0;
	cleanup_close int join_pid_fd = -1;
	bool have_mount = false, own_pidns = false;
	size_t i;
	json_t *ns;
	json_array_foreach(json_object_get(linux_, "namespaces"), i, ns)
	{
		const char *type = json_string_value(json_object_get(ns, "type"));
		const char *path = json_string_value(json_object_get(ns, "path"));
		int flag = 0;
		for (size_t k = 0; type && k < ARRAY_SIZE(ns_types); k++)
			if (!strcmp(type, ns_types[k].type))
				flag = ns_types[k].flag;
		if (!flag)
			return oci_err(err, OCI_E_INVALID,
				       "linux.namespaces[%zu].type: unknown '%s'", i,
				       type ? type : "");
		if (flag == CLONE_NEWNS)
			have_mount = true;
		if (!path || !path[0]) {
			if (flag == CLONE_NEWPID)
				own_pidns = true;
			if (flag == CLONE_NEWCGROUP)
				ia.new_cgroupns = true;
			else if (flag == CLONE_NEWTIME)
				ia.new_timens = true;
			else
				flags |= (unsigned long)flag;
			continue;
		}
		int fd = open_ns_path(type, flag, path, err);
		if (fd < 0)
			return -1;
		if (flag == CLONE_NEWPID) {
			join_pid_fd = fd;
		} else if (flag == CLONE_NEWUSER) {
			ia.join_user_fd = fd;
		} else if (njoin < 7) {
			ia.join_fds[njoin] = fd;
			ia.join_types[njoin] = flag;
			ia.join_fds[++njoin] = -1;
		} else {
			close(fd);
			return oci_err(err, OCI_E_LIMIT, "linux.namespaces: too many");
		}
	}
	if (!have_mount)
		return oci_err(err, OCI_E_INVALID,
			       "linux.namespaces: a mount namespace is required");
	if (json_object_size(json_object_get(linux_, "timeOffsets")) > 0 && !ia.new_timens)
		return oci_err(err, OCI_E_INVALID,
			       "linux.timeOffsets: needs a new time namespace in linux.namespaces");
	ia.userns = flags & CLONE_NEWUSER;
	ia.new_netns = flags & CLONE_NEWNET;

	/* CVE-2019-5736: always run from a sealed copy (cloned_binary.c says why). */
	if (oci_cloned_binary_ensure(err) < 0)
		return -1;

	cleanup_close int rootfd = oci_state_open_root(g->root, true, err);
	if (rootfd < 0)
		return -1;
	/* Before anything of the container exists: a bad profile leaves nothing behind. */
	cleanup_seccomp oci_seccomp seccomp;
	if (oci_seccomp_compile(json_object_get(linux_, "seccomp"), rootfd, &seccomp, err) < 0)
		return oci_err_prefix(err, "config.json");
	ia.seccomp = &seccomp;
	oci_resources res;
	if (oci_resources_parse(json_object_get(linux_, "resources"), &res, err) < 0)
		return -1;
	oci_cgroup_manager cgm;
	if (oci_cgroup_manager_init(&cgm, g->systemd_cgroup, err) < 0) {
		oci_resources_release(&res);
		return -1;
	}
	cleanup_close int dirfd = oci_state_create_dir(rootfd, opts->id, err);
	if (dirfd < 0) {
		oci_resources_release(&res);
		oci_cgroup_manager_release(&cgm);
		return -1;
	}

	oci_state st;
	memset(&st, 0, sizeof(st));
	char created[64];
	oci_time_rfc3339(created, sizeof(created));
	st.id = (char *)opts->id;
	st.bundle = (char *)opts->bundle;
	st.rootfs = rootfs;
	st.created = created;
	st.owner = geteuid();
	st.own_pidns = own_pidns;
	st.annotations = json_object_get(spec, "annotations");
	st.hooks = json_object_get(spec, "hooks");
	pid_t pid = -1;
	int ret = -1;
	int socks[2] = {-1, -1};
	int master = -1;
	cleanup_close int fifo = -1;
	sigset_t oldmask;
	bool blocked = false;
	cleanup_free char *sj = NULL;

	if (mkfifoat(dirfd, OCI_EXEC_FIFO, 0622) < 0) {
		oci_err_errno(err, errno, "cannot create exec fifo");
		goto fail;
	}
	fifo = openat(dirfd, OCI_EXEC_FIFO, O_RDWR | O_CLOEXEC);
	if (fifo < 0) {
		oci_err_errno(err, errno, "cannot open exec fifo");
		goto fail;
	}
	st.cgroups = oci_cgroup_create(
	    &cgm, json_string_value(json_object_get(linux_, "cgroupsPath")), opts->id, &res, err);
	if (!st.cgroups || oci_state_write_cgroups(dirfd, st.cgroups, err) < 0)
		goto fail;
	{
		const char *frozen = oci_cgroup_frozen_dir(st.cgroups);
		if (frozen) {
			oci_err(err, OCI_E_STATE,
				"cgroup '%s' is frozen: thaw it before creating a container there",
				frozen);
			goto fail;
		}
	}
	/* Before the init joins: it never runs a moment without its limits and device list. */
	if (oci_cgroup_apply(st.cgroups, &res, err) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) {
		oci_err_errno(err, errno, "socketpair");
		goto fail;
	}
	if (join_pid_fd >= 0 && setns(join_pid_fd, CLONE_NEWPID) < 0) {
		oci_err_errno(err, errno, "cannot join the pid namespace");
		goto fail;
	}
	/* Signals are read from a signalfd by the foreground loop; the init unblocks them. */
	oci_signals_block(&oldmask);
	blocked = true;
	pid = clone_init(flags);
	if (pid < 0) {
		int e = errno;
		if ((flags & CLONE_NEWUSER) &&
		    (e == ENOSPC || ((e == EPERM || e == EACCES) && geteuid() != 0)))
			oci_userns_clone_error(e, err);
		else if (e == EPERM && geteuid() != 0)
			oci_err_errno(
			    err, e,
			    "cannot create the container's namespaces without a user namespace "
			    "(an unprivileged user needs one: oci-bundle spec --rootless)");
		else
			oci_err_errno(err, e, "cannot create the container's namespaces");
		goto fail;
	}
	if (pid == 0) {
		close(socks[0]);
		ia.spec = spec;
		ia.opts = opts;
		ia.rootfs = rootfs;
		ia.sync = socks[1];
		ia.fifo = fifo;
		oci_init_main(&ia);
	}
	close(socks[1]);
	socks[1] = -1;
	/* Only the init may hold the fifo's read side: start relies on it closing at exec. */
	close(fifo);
	fifo = -1;
	st.pid = pid;
	st.pid_start = oci_proc_start_time(pid, NULL);
	/* Recorded before anything else can fail: a runtime killed from here on leaves a state
	 * that `delete --force` can clean. */
	if (oci_state_write(dirfd, &st, err) < 0)
		goto fail;
	if (ia.userns && oci_userns_write_maps(pid, linux_, err) < 0)
		goto fail;
	if (oci_cgroup_enter(st.cgroups, pid, err) < 0)
		goto fail;
	sj = state_json(&st, "creating");
	if (!sj) {
		oci_err(err, OCI_E_INTERNAL, "cannot build state");
		goto fail;
	}
	if (oci_sync_send(socks[0], OCI_SYNC_GO, sj, strlen(sj), -1, err) < 0)
		goto fail;
	for (;;) {
		char buf[OCI_SYNC_MAX + 1];
		int fd = -1;
		int t = oci_sync_recv(socks[0], buf, sizeof(buf), &fd, err);
		if (t < 0)
			goto fail;
		if (t == 0) {
			oci_err(err, OCI_E_STATE, "container init exited during setup");
			goto fail;
		}
		if (t == OCI_SYNC_ERROR) {
			oci_err(err, OCI_E_INVALID, "%s", buf);
			goto fail;
		}
		if (t == OCI_SYNC_HOOKS) {
			if (oci_hooks_run(st.hooks, "prestart", sj, err) < 0 ||
			    oci_hooks_run(st.hooks, "createRuntime", sj, err) < 0)
				goto fail;
			if (oci_sync_send(socks[0], OCI_SYNC_HOOKS_DONE, NULL, 0, -1, err) < 0)
				goto fail;
		} else if (t == OCI_SYNC_PTY) {
			if (opts->console_socket) {
				int r = oci_terminal_send(opts->console_socket, fd, buf, err);
				close(fd);
				if (r < 0)
					goto fail;
			} else {
				master = fd;
			}
		} else if (t == OCI_SYNC_READY) {
			if (fd >= 0)
				close(fd);
			break;
		}
	}
	close(socks[0]);
	socks[0] = -1;
	if (opts->pid_file && write_pid_file(opts->pid_file, pid, err) < 0)
		goto fail;

	if (!opts->foreground && !opts->detach) {
		ret = 0;
		goto out;
	}
	if (start_locked(dirfd, &st, st.hooks, err) < 0)
		goto fail;
	if (opts->detach) {
		ret = 0;
		goto out;
	}
	/* Foreground: let kill/delete in while we wait. */
	flock(dirfd, LOCK_UN);
	if (oci_signals_wait(pid, master, exit_status, err) < 0)
		goto fail;
	if (master >= 0)
		close(master);
	master = -1;
	flock(dirfd, LOCK_EX);
	kill_all_and_wait(&st, false);
	ret = destroy(rootfd, opts->id, &st, true, err);
	oci_cgroup_free(st.cgroups);
	oci_resources_release(&res);
	oci_cgroup_manager_release(&cgm);
	if (blocked)
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return ret;

fail:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	{
		oci_error e2 = OCI_ERROR_INIT;
		if (st.cgroups)
			oci_cgroup_destroy(st.cgroups, &e2);
		oci_remove_tree_at(rootfd, opts->id, &e2);
	}
out:
	if (socks[0] >= 0)
		close(socks[0]);
	if (socks[1] >= 0)
		close(socks[1]);
	if (master >= 0)
		close(master);
	oci_cgroup_free(st.cgroups);
	oci_resources_release(&res);
	oci_cgroup_manager_release(&cgm);
	if (blocked)
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return ret;
}

/* A missing state root means a missing container; any other failure (another user's root
 * that we may not open) is reported as it is. */
static int not_found_or_error(const char *id, oci_error *err)
{
	if (err->code == OCI_E_NOTFOUND)
		return oci_err(err, OCI_E_NOTFOUND, "container '%s' does not exist", id);
	return -1;
}

int oci_container_start(const oci_run_global *g, const char *id, oci_error *err)
{
	oci_state st;
	cleanup_close int dirfd = oci_state_load(g->root, id, true, NULL, &st, err);
	if (dirfd < 0)
		return -1;
	int r = start_locked(dirfd, &st, st.hooks, err);
	oci_state_release(&st);
	return r;
}

/* Signal every process in init's pid namespace (children first: the init last, by the caller). */
static void kill_pidns(pid_t init, int sig)
{
	char path[64], ns[64], other[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
	ssize_t l = readlink(path, ns, sizeof(ns) - 1);
	if (l <= 0)
		return;
	ns[l] = '\0';
	cleanup_closedir DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char *end;
		long p = strtol(de->d_name, &end, 10);
		if (*end || p <= 0 || p == init)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/pid", p);
		ssize_t m = readlink(path, other, sizeof(other) - 1);
		if (m == l && !memcmp(ns, other, (size_t)l))
			kill((pid_t)p, sig);
	}
}

int oci_container_kill(const oci_run_global *g, const char *id, int sig, bool all, oci_error *err)
{
	oci_state st;
	cleanup_close int dirfd = oci_state_load(g->root, id, false, NULL, &st, err);
	if (dirfd < 0)
		return -1;
	int ret = 0;
	if (oci_state_status(dirfd, &st) == OCI_STATUS_STOPPED) {
		ret = oci_err(err, OCI_E_STATE, "container '%s' is not running", id);
	} else if (all) {
		pid_t *pids = NULL;
		size_t n = 0;
		if (st.cgroups && oci_cgroup_pids(st.cgroups, &pids, &n, err) < 0) {
			ret = -1;
		} else {
			for (size_t k = 0; k < n; k++)
				kill(pids[k], sig);
			/* No cgroup (rootless): the container's pid namespace holds its processes.
			 */
			if (n == 0 && st.own_pidns)
				kill_pidns(st.pid, sig);
			if (n == 0 && kill(st.pid, sig) < 0)
				ret = oci_err_errno(err, errno, "cannot send signal %d to '%s'",
						    sig, id);
		}
		free(pids);
	} else if (kill(st.pid, sig) < 0) {
		ret = oci_err_errno(err, errno, "cannot send signal %d to '%s'", sig, id);
	}
	oci_state_release(&st);
	return ret;
}

/* The cgroups of container id for delete, which trusts neither file of its state directory
 * (corrupt, or written by someone else): the lists of cgroups.json, state.json and the
 * default path, in that order, each used only when it passes oci_cgroup_check. With
 * kill, the first one that oci_cgroup_kill empties and removes is the container's; one
 * holding a host process is left alone and the next is tried. Without kill, returns the first
 * list that passes (for the status). */
static oci_cgroup *delete_cgroups(int dirfd, const char *id, const oci_cgroup *from_state,
				  bool kill)
{
	oci_error fe = OCI_ERROR_INIT;
	oci_cgroup *file = oci_state_read_cgroups(dirfd, &fe);
	oci_cgroup *dflt = oci_cgroup_default(id, NULL);
	const oci_cgroup *cands[3] = {file, from_state, dflt};
	const char *names[3] = {OCI_CGROUPS_FILE, OCI_STATE_FILE, "the default cgroup path"};
	oci_cgroup *found = NULL;
	/* a cgroups.json that is there but not a list is reported like a list that fails */
	if (kill && !file && fe.code == OCI_E_INVALID && !strcmp(fe.msg, "not a list of cgroups"))
		log_warn("container '%s': cgroups of %s not used: %s", id, names[0], fe.msg);
	for (int k = 0; k < 3 && !found; k++) {
		if (!cands[k] || (k == 2 && (cands[0] || cands[1]) && !kill))
			continue;
		oci_error e = OCI_ERROR_INIT;
		oci_cgroup *ok = oci_cgroup_check(cands[k], &e);
		if (ok && (!kill || ok->n == 0 || oci_cgroup_kill(ok, &e) == 0))
			found = ok;
		else
			oci_cgroup_free(ok);
		if (!found && kill)
			log_warn("container '%s': cgroups of %s not used: %s", id, names[k], e.msg);
	}
	oci_cgroup_free(file);
	oci_cgroup_free(dflt);
	return found;
}

/* The recorded init, only if it is still the process started then and, as a container's
 * process, outside our mount namespace: a tampered pid must not reach a host process. */
static bool init_is_container(const oci_state *st)
{
	if (st->pid <= 0 || oci_proc_start_time(st->pid, NULL) != st->pid_start)
		return false;
	return !oci_pid_in_own_mntns(st->pid);
}

int oci_container_delete(const oci_run_global *g, const char *id, bool force, oci_error *err)
{
	if (oci_state_check_id(id, err) < 0)
		return -1;
	cleanup_close int rootfd = oci_state_open_root(g->root, false, err);
	if (rootfd < 0) {
		if (force && err->code == OCI_E_NOTFOUND) {
			oci_err_clear(err);
			return 0;
		}
		return not_found_or_error(id, err);
	}
	cleanup_close int dirfd = oci_state_open_dir(rootfd, id, true, err);
	if (dirfd < 0) {
		if (force && err->code == OCI_E_NOTFOUND) {
			oci_err_clear(err);
			return 0;
		}
		return -1;
	}
	oci_state st;
	bool readable = oci_state_read(dirfd, &st, err) == 0;
	if (!readable) {
		if (!force)
			return oci_err_prefix(err, "container '%s'", id);
		/* A runtime killed before it wrote the state, or a damaged file: clean up from
		 * what can be checked without it. */
		log_warn("container '%s': %s", id, err->msg);
		oci_err_clear(err);
		memset(&st, 0, sizeof(st));
	}
	if (readable && strcmp(st.id, id))
		log_warn("container '%s': state.json names '%s': ignored", id, st.id);
	if (readable && !init_is_container(&st))
		st.pid = 0; /* stopped, or not ours to kill */
	oci_cgroup *from_state = st.cgroups;
	st.cgroups = delete_cgroups(dirfd, id, from_state, false);
	int status = readable ? oci_state_status(dirfd, &st) : OCI_STATUS_STOPPED;
	int ret = 0;
	if ((status == OCI_STATUS_RUNNING || status == OCI_STATUS_PAUSED) && !force) {
		ret = oci_err(err, OCI_E_STATE,
			      "cannot delete container '%s' that is not stopped: %s", id,
			      oci_status_name(status));
	} else {
		/* A created container is deleted without --force, as runc does. */
		if (st.pid > 0)
			kill(st.pid, SIGKILL);
		oci_cgroup_free(delete_cgroups(dirfd, id, from_state, true));
		for (int i = 0; st.pid > 0 && i < 2000; i++) {
			bool zombie;
			uint64_t s = oci_proc_start_time(st.pid, &zombie);
			if (s != st.pid_start || zombie)
				break;
			struct timespec ts = {0, 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		oci_cgroup_free(st.cgroups);
		st.cgroups = NULL; /* removed by oci_cgroup_kill */
		/* Hooks only from a state that could be read. */
		ret = destroy(rootfd, id, &st, readable, err);
	}
	oci_cgroup_free(from_state);
	if (readable)
		oci_state_release(&st);
	else
		oci_cgroup_free(st.cgroups);
	return ret;
}
