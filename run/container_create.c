/* Create and run: load and validate the bundle, clone the container's init into its
 * namespaces, place it in cgroups, run the runtime's hooks while the init builds the
 * container, record the state; run then starts the container and waits for it. */
#include "run/container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
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
#include "run/container_internal.h"
#include "run/hooks.h"
#include "run/init.h"
#include "run/process.h"
#include "run/seccomp.h"
#include "run/signals.h"
#include "run/state.h"
#include "run/sync.h"
#include "run/terminal.h"
#include "run/userns.h"

/* The config's name of a namespace type the kernel reports. */
static const char *ns_name(int flag)
{
	const oci_spec_namespace *t = oci_spec_namespace_by_flag(flag);
	return t ? t->type : "unknown";
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
			       type, path, ns_name(actual), type);
	}
	return fd;
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

int oci_container_create(const oci_runtime *rt, const oci_create_opts *opts, int *exit_status,
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
		const oci_spec_namespace *t = oci_spec_namespace_by_type(type);
		int flag = t ? t->flag : 0;
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

	cleanup_close int rootfd = oci_state_open_root(rt->root, true, err);
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
	if (oci_cgroup_manager_init(&cgm, rt->systemd_cgroup, err) < 0) {
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
	sj = oci_container_hook_state(&st, "creating");
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
	if (opts->pid_file && oci_process_write_pid_file(opts->pid_file, pid, err) < 0)
		goto fail;

	if (!opts->foreground && !opts->detach) {
		ret = 0;
		goto out;
	}
	if (oci_container_start_locked(dirfd, &st, err) < 0)
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
	oci_container_kill_all(&st, false);
	ret = oci_container_destroy(rootfd, opts->id, &st, true, err);
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
