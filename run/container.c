/* The container lifecycle after create: start (the exec fifo handshake), kill, delete,
 * state and list, the pids of a container, pause/resume; and what create and delete share
 * (tearing a container down). create and run are in run/container_create.c, exec in
 * run/container_exec.c, update in run/container_update.c.
 *
 * There is no long-lived shim: once create returns, the only process is the container's
 * init, blocked on exec.fifo in the state directory; its pid and start time are recorded so
 * the status can always be derived from /proc (created while the fifo exists, running, or
 * stopped when the pid is gone, a zombie, or reused). */
#include "run/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/container_internal.h"
#include "run/hooks.h"
#include "run/netdev.h"
#include "run/state.h"

char *oci_container_hook_state(const oci_state *st, const char *status)
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

/* A batch of the cgroup's processes is confirmed by a read of its list after their pidfds were
 * opened: one still listed is named by its pidfd, not a process that reused the pid of one
 * that left or exited after the first read. A read that fails confirms nothing and is the
 * caller's error: nothing signalled must not pass for nothing left. */
static int confirm_listed(void *cg, oci_pidfds *batch, oci_error *err)
{
	cleanup_free pid_t *again = NULL;
	size_t m = 0;
	if (oci_cgroup_pids(cg, &again, &m, err) < 0)
		return -1;
	oci_pidfds_keep_listed(batch, again, m);
	return 0;
}

int oci_container_signal_cgroup(const oci_cgroup *cg, int sig, size_t *found, oci_error *err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	*found = 0;
	/* SIGKILL by the kernel's cgroup.kill where there is one: a process forking while a list
	 * read here is signalled leaves its new child alive (a fork storm survived kill --all by
	 * hundreds). The list is still read, before, for the caller's count and for a v1
	 * hierarchy's processes that are not in the unified tree. */
	if (oci_cgroup_pids(cg, &pids, &n, err) < 0)
		return -1;
	int atomic = sig == SIGKILL && n > 0 ? oci_cgroup_kill_atomic(cg, err) : 0;
	if (atomic < 0)
		return -1;
	/* Otherwise the cgroup is frozen while its list is read and signalled, as runc does: a
	 * frozen process cannot fork. A paused container stays as it is (frozen already, and not
	 * to be thawed by a kill); a freeze that fails (no freezer, or a task that would not
	 * stop within its wait) leaves the signals sent to the list read unfrozen. */
	bool froze = false;
	if (!atomic && n > 0 && !oci_cgroup_is_frozen(cg)) {
		oci_error fe = OCI_ERROR_INIT;
		froze = oci_cgroup_freeze(cg, true, &fe) == 0;
		if (!froze)
			log_debug("signalling the container's processes unfrozen: %s", fe.msg);
		oci_err_clear(&fe);
		if (froze) {
			free(pids);
			pids = NULL;
			n = 0;
			if (oci_cgroup_pids(cg, &pids, &n, err) < 0) {
				(void)oci_cgroup_freeze(cg, false, NULL);
				return -1;
			}
		}
	}
	long signalled = oci_pidfds_signal_all(pids, n, sig, confirm_listed, (void *)cg, err);
	if (froze && oci_cgroup_freeze(cg, false, signalled < 0 ? NULL : err) < 0 && signalled >= 0)
		return oci_err_prefix(err, "cannot thaw the container after signalling it");
	if (signalled < 0)
		return -1;
	log_debug("signal %d sent to %ld of the %zu processes of the container's cgroup%s", sig,
		  signalled, n,
		  atomic  ? " (after cgroup.kill)"
		  : froze ? " (frozen)"
			  : "");
	*found = n;
	return 0;
}

void oci_container_kill_child(pid_t pid, const oci_cgroup *cg, bool frozen)
{
	kill(pid, SIGKILL);
	if (!frozen) {
		waitpid(pid, NULL, 0);
		return;
	}
	if (cg)
		oci_cgroup_release_killed(cg, pid);
	int64_t end = oci_now_ms() + 2000;
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (oci_now_ms() >= end) {
			log_warn("process %d, killed, is still held by the container's frozen "
				 "cgroup",
				 (int)pid);
			return;
		}
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

void oci_container_kill_all(const oci_state *st, bool is_child)
{
	if (st->pid > 0)
		(void)oci_proc_signal(st->pid, st->pid_start, st->pid_ino, SIGKILL);
	if (!st->own_pidns && st->cgroups) {
		size_t n;
		oci_error e = OCI_ERROR_INIT;
		if (oci_container_signal_cgroup(st->cgroups, SIGKILL, &n, &e) < 0)
			log_warn("container '%s': %s", st->id ? st->id : "", e.msg);
		oci_err_clear(&e);
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
		if (!oci_proc_is(st->pid, st->pid_start, st->pid_ino, &zombie) || zombie)
			return;
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

int oci_container_destroy(int rootfd, const char *id, const oci_state *st, bool poststop,
			  oci_error *err)
{
	oci_netdev_move_back(rootfd, id);
	if (st->cgroups && oci_cgroup_destroy(st->cgroups, err) < 0)
		return -1;
	if (poststop && st->hooks) {
		cleanup_free char *s = oci_container_hook_state(st, "stopped");
		oci_error herr = OCI_ERROR_INIT;
		if (s && oci_hooks_run_saved(st->hooks, "poststop", s, &herr) < 0)
			log_warn("%s", herr.msg);
	}
	if (oci_state_remove_dir(rootfd, id, err) < 0)
		return oci_err_prefix(err, "cannot remove state of '%s'", id);
	return 0;
}

int oci_container_start_locked(int dirfd, oci_state *st, oci_error *err)
{
	int status = oci_state_status(dirfd, st);
	if (status == OCI_STATUS_STOPPED)
		return oci_err(err, OCI_E_STATE, "cannot start a container that has stopped");
	if (status != OCI_STATUS_CREATED)
		return oci_err(
		    err, OCI_E_STATE,
		    "cannot start container '%s': it is already %s (start runs a created "
		    "container once; see oci-run state)",
		    st->id, oci_status_name(status));
	return oci_container_start_created(dirfd, st, err);
}

int oci_container_start_created(int dirfd, oci_state *st, oci_error *err)
{
	cleanup_close int fifo = openat(dirfd, OCI_EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0) {
		if (errno == ENXIO)
			return oci_err(err, OCI_E_STATE, "container init is not waiting for start");
		return oci_err_errno(err, errno, "cannot open exec fifo");
	}
	if (write(fifo, "0", 1) != 1)
		return oci_err_errno(err, errno, "cannot start the container");
	return oci_container_started(dirfd, st, fifo, err);
}

int oci_container_started(int dirfd, oci_state *st, int fifo, oci_error *err)
{
	unlinkat(dirfd, OCI_EXEC_FIFO, 0);
	/* Without poststart hooks, start is done: the init has its go and nothing more waits
	 * for its exec (runc's start returns there too). */
	if (!json_array_size(json_object_get(st->hooks, "poststart")))
		return 0;
	/* The init holds the fifo until its exec closes it (close-on-exec): a write end with no
	 * reader left polls POLLERR. So poststart runs after the container process started. */
	struct pollfd pf = {.fd = fifo, .events = 0};
	while (poll(&pf, 1, -1) < 0 && errno == EINTR)
		;
	cleanup_free char *s = oci_container_hook_state(st, "running");
	if (!s)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	if (oci_hooks_run_saved(st->hooks, "poststart", s, err) == 0)
		return 0;
	/* runtime-spec 1.3: a failing poststart hook is an error that stops the container (1.2
	 * made it a warning); runc HEAD's postStart kills it too and keeps its state for
	 * delete. */
	oci_container_kill_all(st, false);
	return oci_err_prefix(err, "container '%s' killed", st->id);
}

/* A missing state root means a missing container; any other failure (another user's root
 * that we may not open) is reported as it is. */
static int not_found_or_error(const char *id, oci_error *err)
{
	if (err->code == OCI_E_NOTFOUND)
		return oci_err(err, OCI_E_NOTFOUND, "container '%s' does not exist", id);
	return -1;
}

int oci_container_start(const oci_runtime *rt, const char *id, oci_error *err)
{
	oci_state st;
	cleanup_close int dirfd = oci_state_load(rt->root, id, true, NULL, &st, err);
	if (dirfd < 0)
		return -1;
	int r = oci_container_start_locked(dirfd, &st, err);
	oci_state_release(&st);
	return r;
}

/* PIDFD_GET_PID_NAMESPACE of linux/pidfd.h (Linux 6.11), which older headers lack */
#define PIDFD_GET_PID_NS _IO(0xFF, 5)

/* The pid namespace (its inode number) of the process pidfd holds: asked of the pidfd itself
 * where the kernel can tell (Linux 6.11), else of proc's entry for pid, which names that
 * process while it exists. 0 when it is gone or cannot be told. */
static uint64_t pidns_of(const char *proc, pid_t pid, int pidfd)
{
	if (pidfd >= 0) {
		int nsfd = ioctl(pidfd, PIDFD_GET_PID_NS, 0);
		if (nsfd >= 0) {
			struct stat sb;
			uint64_t ino = fstat(nsfd, &sb) == 0 ? (uint64_t)sb.st_ino : 0;
			close(nsfd);
			return ino;
		}
		if (errno == ESRCH)
			return 0;
	}
	char path[4200], link[64];
	snprintf(path, sizeof(path), "%s/%d/ns/pid", proc, (int)pid);
	ssize_t l = readlink(path, link, sizeof(link) - 1);
	unsigned long long ino = 0;
	if (l <= 0)
		return 0;
	link[l] = '\0';
	return sscanf(link, "pid:[%llu]", &ino) == 1 ? ino : 0;
}

struct pidns_check {
	const char *proc;
	uint64_t ns;
};

static bool in_pidns(void *ctx, pid_t pid, int pidfd)
{
	const struct pidns_check *c = ctx;
	return pidns_of(c->proc, pid, pidfd) == c->ns;
}

/* what the walk saw may be another process by now: the pidfd's is checked */
static int confirm_pidns(void *ctx, oci_pidfds *batch, oci_error *err)
{
	oci_pidfds_keep_if(batch, in_pidns, ctx);
	return 0;
}

int oci_container_pidns_pids(const char *proc, pid_t init, uint64_t start, uint64_t ino,
			     pid_t **out, size_t *n, uint64_t *pidns, oci_error *err)
{
	*out = NULL;
	*n = 0;
	if (pidns)
		*pidns = 0;
	/* The namespace is the init's only while init is still the container's: its pidfd is
	 * opened before its identity is checked, as oci_proc_signal does. A pid reused by a
	 * host process would otherwise make every process of the host's namespace the
	 * container's. */
	cleanup_close int ifd = (int)syscall(SYS_pidfd_open, init, 0);
	if (ifd < 0 && errno != ENOSYS)
		return 0;
	uint64_t ns = pidns_of(proc, init, ifd);
	if (!ns || oci_proc_start_time(init, NULL) != start || (ino && oci_pidfd_ino(ifd) != ino))
		return 0;
	if (pidns)
		*pidns = ns;
	cleanup_closedir DIR *d = opendir(proc);
	struct dirent *de;
	size_t cap = 0;
	while (d && (de = readdir(d))) {
		char *end;
		long p = strtol(de->d_name, &end, 10);
		if (*end || p <= 0 || p > INT_MAX)
			continue;
		/* what proc named may be another process by now: its pidfd tells */
		cleanup_close int fd = (int)syscall(SYS_pidfd_open, (pid_t)p, 0);
		if ((fd < 0 && errno != ENOSYS) || pidns_of(proc, (pid_t)p, fd) != ns)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			pid_t *np = realloc(*out, cap * sizeof(pid_t));
			if (!np) {
				free(*out);
				*out = NULL;
				*n = 0;
				return oci_err(err, OCI_E_INTERNAL, "out of memory");
			}
			*out = np;
		}
		(*out)[(*n)++] = (pid_t)p;
	}
	return 0;
}

void oci_container_signal_pidns(const char *proc, pid_t init, uint64_t start, uint64_t ino, int sig)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0, others = 0;
	struct pidns_check c = {proc, 0};
	if (oci_container_pidns_pids(proc, init, start, ino, &pids, &n, &c.ns, NULL) < 0 || !c.ns)
		return;
	for (size_t i = 0; i < n; i++)
		if (pids[i] != init) /* the caller signals it last */
			pids[others++] = pids[i];
	oci_error e = OCI_ERROR_INIT;
	long sent = oci_pidfds_signal_all(pids, others, sig, confirm_pidns, &c, &e);
	log_debug(
	    "signal %d sent to %ld of the %zu other processes of the init's pid namespace%s%s", sig,
	    sent, others, sent < 0 ? ": " : "", sent < 0 ? e.msg : "");
	oci_err_clear(&e);
}

/* runc's cgroup manager Exists(): the container's cgroup directory is still there (an empty
 * one too; systemd removes a scope's once its processes are gone). */
static bool cgroup_exists(const oci_cgroup *cg)
{
	for (size_t i = 0; cg && i < cg->n; i++) {
		cleanup_close int fd = oci_open_any_length(cg->dirs[i], O_PATH | O_DIRECTORY);
		if (fd >= 0)
			return true;
	}
	return false;
}

int oci_container_kill(const oci_runtime *rt, const char *id, int sig, bool all, oci_error *err)
{
	oci_state st;
	cleanup_close int dirfd = oci_state_load(rt->root, id, false, NULL, &st, err);
	if (dirfd < 0)
		return -1;
	int ret = 0;
	bool stopped = oci_state_status(dirfd, &st) == OCI_STATUS_STOPPED;
	/* Without a pid namespace of its own, the init's death takes nobody with it: runc 1.2's
	 * KILL reaches every process of the cgroup, of a stopped container too (a service
	 * whose main process died and left its children). The cgroup is all that is signalled
	 * then, each process through a pidfd and only while it is still listed there: never
	 * the init's pid, which may be another process's by now. */
	bool whole = all || (sig == SIGKILL && !st.own_pidns && st.cgroups);
	size_t n = 0;
	if (whole && st.cgroups && oci_container_signal_cgroup(st.cgroups, sig, &n, err) < 0) {
		ret = -1;
	} else if (stopped && !(all || n > 0 || (whole && cgroup_exists(st.cgroups)))) {
		/* "container not running" is the text of runc's error, which containerd's shim
		 * matches to treat a kill of a stopped task as done (ctr task rm -f) rather than as
		 * a failure. kill --all of a stopped container succeeds (runc). So does KILL
		 * without a pid namespace of its own while its cgroup exists, emptied or not:
		 * runc HEAD writes cgroup.kill then, and says "not running" only when the cgroup
		 * is gone too (libcontainer's signal(), ErrCgroupNotExist without an init). */
		ret = oci_err(err, OCI_E_STATE,
			      "cannot signal '%s': container not running (it has stopped)", id);
	} else if (!stopped && n == 0) {
		/* No cgroup (rootless): the container's pid namespace holds its processes. */
		if (whole && st.own_pidns)
			oci_container_signal_pidns("/proc", st.pid, st.pid_start, st.pid_ino, sig);
		if (oci_proc_signal(st.pid, st.pid_start, st.pid_ino, sig) < 0)
			ret = oci_err_errno(err, errno, "cannot send signal %d to '%s'", sig, id);
	}
	/* A frozen task cannot act on SIGKILL (on cgroup v1 it stays in D state forever, and
	 * podman and containerd then wait for an exit that never comes): thaw a paused
	 * container after killing it, as runc does. Other signals leave it paused; they are
	 * delivered when it is resumed. */
	if (ret == 0 && sig == SIGKILL && st.cgroups && oci_cgroup_is_frozen(st.cgroups) &&
	    oci_cgroup_freeze(st.cgroups, false, err) < 0)
		ret = -1;
	oci_state_release(&st);
	return ret;
}

/* The cgroups of container id for delete, which trusts neither file of its state directory
 * (corrupt, or written by someone else): the lists of cgroups.json, state.json and the
 * default path, in that order, each used only when it passes oci_cgroup_check. With
 * kill, the first one that oci_cgroup_kill empties and removes is the container's; one
 * holding a host process is left alone and the next is tried. Any other failure to empty one
 * (its processes cannot be listed, or it stays busy) ends the search with *err set: those
 * processes may be alive, and a delete that went on would report them gone. Without kill,
 * returns the first list that passes (for the status). */
static oci_cgroup *delete_cgroups(int dirfd, const char *id, const oci_cgroup *from_state,
				  bool kill, oci_error *err)
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
		if (!found && kill && ok && e.code != OCI_E_UNSAFE) {
			*err = e;
			oci_err_prefix(err, "container '%s'", id);
			break;
		}
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
	if (!oci_proc_is(st->pid, st->pid_start, st->pid_ino, NULL))
		return false;
	return !oci_pid_in_own_mntns(st->pid);
}

int oci_container_delete(const oci_runtime *rt, const char *id, bool force, oci_error *err)
{
	if (oci_state_check_id(id, err) < 0)
		return -1;
	cleanup_close int rootfd = oci_state_open_root(rt->root, false, err);
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
	st.cgroups = delete_cgroups(dirfd, id, from_state, false, NULL);
	int status = readable ? oci_state_status(dirfd, &st) : OCI_STATUS_STOPPED;
	int ret = 0;
	if ((status == OCI_STATUS_RUNNING || status == OCI_STATUS_PAUSED) && !force) {
		ret = oci_err(err, OCI_E_STATE,
			      "cannot delete container '%s' that is not stopped: %s (kill it "
			      "first, or use delete --force)",
			      id, oci_status_name(status));
	} else {
		/* A created container is deleted without --force, as runc does. */
		if (st.pid > 0)
			(void)oci_proc_signal(st.pid, st.pid_start, st.pid_ino, SIGKILL);
		oci_cgroup_free(delete_cgroups(dirfd, id, from_state, true, err));
		for (int i = 0; st.pid > 0 && i < 2000; i++) {
			bool zombie;
			if (!oci_proc_is(st.pid, st.pid_start, st.pid_ino, &zombie) || zombie)
				break;
			struct timespec ts = {0, 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		oci_cgroup_free(st.cgroups);
		st.cgroups = NULL; /* removed by oci_cgroup_kill */
		/* Hooks only from a state that could be read; a cgroup that could not be emptied
		 * keeps the state, so that delete can be run again. */
		ret = err->code ? -1 : oci_container_destroy(rootfd, id, &st, readable, err);
	}
	oci_cgroup_free(from_state);
	if (readable)
		oci_state_release(&st);
	else
		oci_cgroup_free(st.cgroups);
	return ret;
}

/* Read one container's state and status; rootfd is the open state root. */
static int load(int rootfd, const char *id, oci_state *st, int *status, uid_t *owner,
		oci_error *err)
{
	cleanup_close int dirfd =
	    openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0) {
		int e = errno;
		if (e == EACCES && oci_state_check_owner(rootfd, -1, id, err) < 0)
			return -1;
		if (e == ENOENT)
			return oci_err(err, OCI_E_NOTFOUND, "container '%s' does not exist", id);
		return oci_err_errno(err, e, "container '%s'", id);
	}
	if (oci_state_check_owner(rootfd, dirfd, id, err) < 0)
		return -1;
	if (oci_state_read(dirfd, st, err) < 0)
		return oci_err_prefix(err, "container '%s'", id);
	*status = oci_state_status(dirfd, st);
	struct stat sb;
	*owner = fstat(dirfd, &sb) == 0 ? sb.st_uid : st->owner;
	return 0;
}

json_t *oci_container_state(const oci_runtime *rt, const char *id, oci_error *err)
{
	if (oci_state_check_id(id, err) < 0)
		return NULL;
	cleanup_close int rootfd = oci_state_open_root(rt->root, false, err);
	if (rootfd < 0)
		return not_found_or_error(id, err), NULL;
	oci_state st;
	int status;
	uid_t owner;
	if (load(rootfd, id, &st, &status, &owner, err) < 0)
		return NULL;
	json_t *j = oci_state_to_json(&st, status, false, NULL);
	oci_state_release(&st);
	if (!j)
		oci_err(err, OCI_E_INTERNAL, "cannot build state");
	return j;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *oci_container_list(const oci_runtime *rt, oci_error *err)
{
	/* Collect the ids in name order, as runc does. */
	char **ids = NULL;
	size_t n = 0, cap = 0;
	cleanup_close int rootfd = oci_state_open_root(rt->root, false, err);
	if (rootfd < 0 && err->code != OCI_E_NOTFOUND)
		return NULL;
	oci_err_clear(err);
	if (rootfd >= 0) {
		cleanup_closedir DIR *d = fdopendir(dup(rootfd));
		struct dirent *de;
		while (d && (de = readdir(d))) {
			/* Only the caller's own containers (another user's are 0700 anyway). */
			if (de->d_name[0] == '.' || oci_state_check_id(de->d_name, NULL) < 0 ||
			    oci_state_check_owner(rootfd, -1, de->d_name, NULL) < 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				char **ni = realloc(ids, cap * sizeof(char *));
				if (!ni)
					break;
				ids = ni;
			}
			ids[n++] = strdup(de->d_name);
		}
	}
	if (n)
		qsort(ids, n, sizeof(char *), cmp_str);

	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		oci_state st;
		int status;
		uid_t owner;
		oci_error e2 = OCI_ERROR_INIT;
		if (ids[i] && load(rootfd, ids[i], &st, &status, &owner, &e2) < 0) {
			/* Hidden, it could never be deleted by anyone reading the list. */
			log_warn("%s", e2.msg);
		} else if (ids[i]) {
			struct passwd *pw = getpwuid(owner);
			char ubuf[32];
			snprintf(ubuf, sizeof(ubuf), "#%u", (unsigned)owner);
			json_array_append_new(
			    arr, oci_state_to_json(&st, status, true, pw ? pw->pw_name : ubuf));
			oci_state_release(&st);
		}
		free(ids[i]);
	}
	free(ids);
	if (!arr)
		oci_err(err, OCI_E_INTERNAL, "out of memory");
	return arr;
}

int oci_container_pids(const oci_runtime *rt, const char *id, pid_t **pids, size_t *n,
		       oci_error *err)
{
	*pids = NULL;
	*n = 0;
	oci_state st;
	cleanup_close int dirfd = oci_state_load(rt->root, id, false, NULL, &st, err);
	if (dirfd < 0)
		return -1;
	int ret = 0;
	if (oci_state_status(dirfd, &st) != OCI_STATUS_STOPPED) {
		if (st.cgroups && st.cgroups->n > 0)
			ret = oci_cgroup_pids(st.cgroups, pids, n, err);
		else if (st.own_pidns)
			ret = oci_container_pidns_pids("/proc", st.pid, st.pid_start, st.pid_ino,
						       pids, n, NULL, err);
		else if ((*pids = malloc(sizeof(pid_t))))
			(*pids)[(*n)++] = st.pid;
	}
	oci_state_release(&st);
	if (ret < 0) {
		free(*pids);
		*pids = NULL;
		*n = 0;
	}
	return ret;
}

static int pause_or_resume(const oci_runtime *rt, const char *id, bool pause, oci_error *err)
{
	oci_state st;
	cleanup_close int dirfd = oci_state_load(rt->root, id, true, NULL, &st, err);
	if (dirfd < 0)
		return -1;
	int status = oci_state_status(dirfd, &st);
	int ret = 0;
	if (pause && status != OCI_STATUS_RUNNING && status != OCI_STATUS_CREATED)
		ret = oci_err(err, OCI_E_STATE, "container '%s' is not running: %s", id,
			      oci_status_name(status));
	else if (!pause && status != OCI_STATUS_PAUSED)
		ret = oci_err(err, OCI_E_STATE, "container '%s' is not paused: %s", id,
			      oci_status_name(status));
	else if (!st.cgroups && pause)
		ret = oci_err(err, OCI_E_UNSUPPORTED,
			      "container '%s': no freezer cgroup for this container (none mounted "
			      "or delegated)",
			      id);
	else if (st.cgroups && oci_cgroup_freeze(st.cgroups, pause, err) < 0)
		ret = oci_err_prefix(err, "container '%s'", id);
	oci_state_release(&st);
	return ret;
}

int oci_container_pause(const oci_runtime *rt, const char *id, oci_error *err)
{
	return pause_or_resume(rt, id, true, err);
}

int oci_container_resume(const oci_runtime *rt, const char *id, oci_error *err)
{
	return pause_or_resume(rt, id, false, err);
}
