/* Create and run, in named phases: load and validate the bundle; plan the namespaces (new
 * ones, and the ones joined by path, whose fds the plan owns); prepare the state (state
 * directory, exec fifo, cgroups with their limits); spawn the init into its namespaces; serve
 * the sync protocol while it builds the container (the runtime's hooks, the pty); then, for
 * run, start the container and wait for it. A failure at any point after the state directory
 * exists goes through one rollback. */
#include "run/container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/config.h"
#include "common/json.h"
#include "common/log.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/cgroup/stats.h"
#include "run/cloned_binary.h"
#include "run/container_internal.h"
#include "run/hooks.h"
#include "run/init.h"
#include "run/lsm.h"
#include "run/mounts.h"
#include "run/netdev.h"
#include "run/notify.h"
#include "run/process.h"
#include "run/seccomp.h"
#include "run/terminal.h"
#include "run/signals.h"
#include "run/state.h"
#include "run/sync.h"
#include "run/userns.h"

/* ---- phase 1: the bundle ---- */

void oci_bundle_config_release(oci_bundle_config *b)
{
	json_decref(b->spec);
	oci_config_release(&b->cfg);
	free(b->rootfs);
	memset(b, 0, sizeof(*b));
}

int oci_container_load_bundle(const char *bundle, const oci_create_opts *opts, oci_bundle_config *b,
			      oci_error *err)
{
	cleanup_close int bundlefd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bundlefd < 0)
		return oci_err_errno(err, errno, "bundle '%s'", bundle);
	b->spec = oci_json_load_file_at(bundlefd, "config.json", OCI_JSON_MAX_SIZE, err);
	if (!b->spec)
		return oci_err_prefix(err, "bundle '%s'", bundle);
	cleanup_json json_t *problems = json_array();
	int n = oci_config_load(b->spec, bundlefd, &b->cfg, problems, err);
	if (n < 0)
		return -1;
	if (n > 0)
		return oci_config_report(problems, n, "config.json", err);
	if (!b->cfg.has_process)
		return oci_err(err, OCI_E_INVALID, "config.json: process: missing");
	if (oci_lsm_check(&b->cfg.process, b->cfg.linux_.mount_label, err) < 0)
		return oci_err_prefix(err, "config.json");
	if (oci_process_check_host(&b->cfg, err) < 0)
		return -1;
	const char *root_path = b->cfg.root_path;
	if (!root_path)
		return oci_err(err, OCI_E_INVALID, "config.json: root.path: missing");
	cleanup_free char *rootfs_rel = root_path[0] == '/'
					    ? oci_strdup(root_path, err)
					    : oci_asprintf(err, "%s/%s", bundle, root_path);
	if (!rootfs_rel)
		return -1;
	b->rootfs = realpath(rootfs_rel, NULL);
	if (!b->rootfs)
		return oci_err_errno(err, errno, "rootfs '%s'", rootfs_rel);
	if (!opts)
		return 0;
	bool terminal = b->cfg.process.terminal;
	if (terminal && !opts->console_socket && !opts->foreground)
		return oci_err(
		    err, OCI_E_INVALID,
		    "cannot allocate tty if oci-run will detach without setting console socket");
	if (terminal && opts->foreground && !opts->console_socket &&
	    oci_terminal_check_stdin(err) < 0)
		return -1;
	if (!terminal && opts->console_socket)
		return oci_err(
		    err, OCI_E_INVALID,
		    "cannot use console socket if oci-run will not detach or allocate tty");
	return 0;
}

/* ---- phase 2: the namespaces ---- */

/* linux.namespaces as create carries it out: new namespaces are cloned at once (cgroup and
 * time ones are unshared by the init itself), ones with a path are joined. The plan owns the
 * fds of the joined ones and closes them on every path; the init gets its own copies. */
typedef struct ns_plan {
	unsigned long clone_flags;
	bool own_pidns, new_cgroupns, new_timens;
	int join_pid_fd;  /* joined before clone by an intermediate: it applies to children */
	int join_user_fd; /* joined before clone by the intermediate: the new namespaces are its */
	int join_fds[8];  /* joined by the init, -1 terminated (oci_init_args' layout) */
	int join_types[8];
	int njoin;
} ns_plan;

static void ns_plan_release(ns_plan *p)
{
	if (p->join_pid_fd >= 0)
		close(p->join_pid_fd);
	if (p->join_user_fd >= 0)
		close(p->join_user_fd);
	for (int i = 0; i < p->njoin; i++)
		close(p->join_fds[i]);
	p->join_pid_fd = p->join_user_fd = -1;
	p->njoin = 0;
	p->join_fds[0] = -1;
}
#define cleanup_ns_plan __attribute__((cleanup(ns_plan_release)))

/* The config's name of a namespace type the kernel reports. */
static const char *ns_name(int flag)
{
	const oci_spec_namespace *t = oci_spec_namespace_by_flag(flag);
	return t ? t->type : "unknown";
}

int oci_container_open_ns_path(const char *type, int flag, const char *path, oci_error *err)
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

static int plan_namespaces(const oci_config *cfg, ns_plan *p, oci_error *err)
{
	const oci_config_linux *l = &cfg->linux_;
	bool have_mount = false;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const oci_spec_namespace *t = l->namespaces[i].kind;
		const char *type = t->type, *path = l->namespaces[i].path;
		int flag = t->flag;
		if (flag == CLONE_NEWNS)
			have_mount = true;
		if (!path || !path[0]) {
			if (flag == CLONE_NEWPID)
				p->own_pidns = true;
			if (flag == CLONE_NEWCGROUP)
				p->new_cgroupns = true;
			else if (flag == CLONE_NEWTIME)
				p->new_timens = true;
			else
				p->clone_flags |= (unsigned long)flag;
			continue;
		}
		if (flag != CLONE_NEWPID && flag != CLONE_NEWUSER &&
		    p->njoin >= (int)ARRAY_SIZE(p->join_fds) - 1)
			return oci_err(err, OCI_E_LIMIT, "linux.namespaces: too many");
		int fd = oci_container_open_ns_path(type, flag, path, err);
		if (fd < 0)
			return -1;
		/* Validation refuses a type given twice; a second one would only replace. */
		if (flag == CLONE_NEWPID) {
			if (p->join_pid_fd >= 0)
				close(p->join_pid_fd);
			p->join_pid_fd = fd;
		} else if (flag == CLONE_NEWUSER) {
			if (p->join_user_fd >= 0)
				close(p->join_user_fd);
			p->join_user_fd = fd;
		} else {
			p->join_fds[p->njoin] = fd;
			p->join_types[p->njoin] = flag;
			p->join_fds[++p->njoin] = -1;
		}
	}
	if (!have_mount && oci_mounts_check_shared_ns(cfg, err) < 0)
		return -1;
	if (l->has_time_offsets && !p->new_timens)
		return oci_err(err, OCI_E_INVALID,
			       "linux.timeOffsets: needs a new time namespace in linux.namespaces");
	return 0;
}

/* ---- phases 3 to 6: the container being created ---- */

/* What exists of the container while it is created: rollback() undoes it, release() closes
 * what the runtime holds. */
typedef struct creation {
	const oci_runtime *rt;
	const oci_create_opts *opts;
	const oci_config *cfg; /* config.json, typed */
	oci_container_dir d;   /* state directory, cgroups, state */
	int fifo;	       /* exec.fifo (run: a pipe's read end), until the init holds it */
	int fifo_go;	       /* run: the pipe's write end, the init's go already in it */
	int sock[2];	       /* sync socketpair: ours, the init's */
	int master;	       /* the pty master of a foreground run */
	int relay[3][2]; /* a foreground run's pipes for the caller's terminals (relay_open) */
	oci_seccomp seccomp;
	char *hook_state; /* the state JSON prestart/createRuntime read */
	pid_t pid;	  /* the init, until it is reaped */
	bool finished;	  /* run waited for the container and removed it: nothing to undo */
	/* The init was cloned into the unified cgroup directory alone (d.st.cgroups): the other
	 * hierarchies, the limits, the device filter and config.json are made while it builds its
	 * mounts (finish_cgroups), and it joins them when told (OCI_SYNC_CGROUPS_READY). */
	bool cgroups_later;
	/* The init switches to the sealed copy of the binary itself (prepare_state says when). */
	bool init_seals;
	bool frozen; /* its cgroup was frozen while the init was set up (init_frozen) */
	bool blocked;
	sigset_t oldmask;
} creation;

static void creation_init(creation *c, const oci_runtime *rt, const oci_create_opts *opts)
{
	memset(c, 0, sizeof(*c));
	c->rt = rt;
	c->opts = opts;
	c->d.rootfd = c->d.dirfd = c->fifo = c->fifo_go = c->master = -1;
	c->sock[0] = c->sock[1] = -1;
	for (int k = 0; k < 3; k++)
		c->relay[k][0] = c->relay[k][1] = -1;
	c->pid = -1;
}

static void creation_release(creation *c)
{
	int *fds[] = {&c->sock[0], &c->sock[1], &c->master, &c->fifo, &c->fifo_go};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	for (int k = 0; k < 3; k++) {
		oci_closep(&c->relay[k][0]);
		oci_closep(&c->relay[k][1]);
	}
	oci_seccomp_release(&c->seccomp);
	oci_container_dir_release(&c->d);
	free(c->hook_state);
	c->hook_state = NULL;
	if (c->blocked)
		sigprocmask(SIG_SETMASK, &c->oldmask, NULL);
	c->blocked = false;
}

/* The one rollback: the init killed, its cgroups and the state directory removed. Only what
 * this create made: a state directory that existed before (the id is taken) is left alone. */
static void rollback(creation *c)
{
	if (c->pid > 0) {
		oci_container_kill_child(c->pid, c->d.st.cgroups, c->frozen);
		c->pid = -1;
	}
	if (c->d.dirfd >= 0)
		oci_netdev_move_back(c->d.rootfd, c->opts->id);
	oci_container_dir_rollback(&c->d, c->opts->id);
}

/* Phase 3, the part restore shares: the state directory and the state's fields, the cgroups
 * with the container's limits applied before any process joins them. */
/* The state directory (the id taken) and the state's fields; no file written yet. */
static int prepare_dir_state(oci_container_dir *d, const oci_runtime *rt, const char *id,
			     const char *bundle, const oci_bundle_config *b, bool own_pidns,
			     oci_error *err)
{
	if (oci_cgroup_manager_init(&d->cgm, rt->systemd_cgroup, err) < 0 ||
	    oci_cgroup_systemd_annotations(&d->cgm, b->cfg.annotations, b->cfg.n_annotations, err) <
		0)
		return -1;
	if (oci_state_keyring_name(id, d->keyring, sizeof(d->keyring), err) < 0)
		return -1;
	d->dirfd = oci_state_create_dir(d->rootfd, id, err);
	if (d->dirfd < 0)
		return -1;
	oci_time_rfc3339(d->created, sizeof(d->created));
	d->st.keyring = d->keyring;
	d->st.id = (char *)id;
	d->st.bundle = (char *)bundle;
	d->st.rootfs = b->rootfs;
	d->st.created = d->created;
	d->st.owner = geteuid();
	d->st.own_pidns = own_pidns;
	d->st.annotations = json_object_get(b->spec, "annotations");
	d->st.hooks = json_object_get(b->spec, "hooks");
	return 0;
}

static int write_config(const oci_container_dir *d, const oci_bundle_config *b, oci_error *err)
{
	cleanup_free char *cfg = json_dumps(b->spec, JSON_COMPACT);
	if (!cfg)
		return oci_err(err, OCI_E_INTERNAL, "cannot serialise config.json");
	/* Like state.json, without fsync: the state directory lasts one boot (runc and crun do
	 * not sync it either), and on a disk the sync was the longest wait of a create. */
	return oci_write_file_replace(d->dirfd, OCI_CONFIG_FILE, cfg, strlen(cfg), 0600, err);
}

/* A process placed in a frozen cgroup would stop at once (and the create wait for it). */
static int check_not_frozen(const oci_cgroup *cg, oci_error *err)
{
	const char *frozen = oci_cgroup_frozen_dir(cg);
	if (frozen)
		return oci_err(err, OCI_E_STATE,
			       "cgroup '%s' is frozen: thaw it before creating a container there",
			       frozen);
	return 0;
}

/* The whole handle in d: recorded (cgroups.json), checked, its limits written. */
static int record_and_apply(oci_container_dir *d, const oci_resources *res, oci_error *err)
{
	if (oci_state_write_cgroups(d->dirfd, d->st.cgroups, err) < 0 ||
	    check_not_frozen(d->st.cgroups, err) < 0)
		return -1;
	return oci_cgroup_apply(d->st.cgroups, res, err);
}

/* config.json, then every cgroup directory with its limits, before any process joins. */
static int prepare_files_and_cgroups(oci_container_dir *d, const char *id,
				     const oci_bundle_config *b, oci_error *err)
{
	const oci_resources *res = &b->cfg.linux_.resources;
	if (write_config(d, b, err) < 0)
		return -1;
	d->st.cgroups = oci_cgroup_create(&d->cgm, b->cfg.linux_.cgroups_path, id, res, err);
	if (!d->st.cgroups)
		return -1;
	return record_and_apply(d, res, err);
}

int oci_container_prepare_dir(oci_container_dir *d, const oci_runtime *rt, const char *id,
			      const char *bundle, const oci_bundle_config *b, bool own_pidns,
			      oci_error *err)
{
	if (prepare_dir_state(d, rt, id, bundle, b, own_pidns, err) < 0)
		return -1;
	return prepare_files_and_cgroups(d, id, b, err);
}

void oci_container_dir_rollback(oci_container_dir *d, const char *id)
{
	oci_error e2 = OCI_ERROR_INIT;
	if (d->st.cgroups)
		oci_cgroup_destroy(d->st.cgroups, &e2);
	if (d->dirfd >= 0)
		oci_remove_tree_at(d->rootfd, id, &e2);
}

void oci_container_dir_release(oci_container_dir *d)
{
	if (d->dirfd >= 0)
		close(d->dirfd);
	if (d->rootfd >= 0)
		close(d->rootfd);
	d->dirfd = d->rootfd = -1;
	oci_cgroup_free(d->st.cgroups);
	d->st.cgroups = NULL;
	oci_cgroup_manager_release(&d->cgm);
}

/* Phase 3: the state directory with its exec fifo, the cgroups with the container's limits,
 * the compiled seccomp profile, the sync socketpair. */
static int prepare_state(creation *c, const oci_bundle_config *b, const ns_plan *ns, oci_error *err)
{
	/* CVE-2019-5736: every runtime process a container can reach runs from a sealed copy
	 * (cloned_binary.c says why). An init cloned straight into a new pid namespace switches
	 * to one itself, first thing, while we make its cgroups (the copy our thread made
	 * meanwhile, oci_cloned_binary_prepare, whole and sealed before the clone), and we
	 * never run from it: no process of that namespace sees us (we are in an ancestor of
	 * it), and we never enter the container (no setns of a pid or user namespace here;
	 * the hooks are other binaries).
	 * A process that could still open our /proc/PID/exe (CAP_SYS_PTRACE over the host and
	 * a procfs of the host's pid namespace) passes the same check for /proc/PID/root, the
	 * host's root directory, so a copy here would guard nothing; runc's parent process runs
	 * from the host's binary too. Where the container shares our pid namespace (its
	 * process may open /proc/PPID/exe), where an intermediate joins a pid or user namespace
	 * before it clones the init, where the init gets a new user namespace, or where the
	 * kernel would not let the init switch in place (it cannot re-execute), we switch now
	 * and the init inherits the copy, as before. */
	c->init_seals = ns->own_pidns && ns->join_pid_fd < 0 && ns->join_user_fd < 0 &&
			!(ns->clone_flags & CLONE_NEWUSER) &&
			oci_cloned_binary_can_switch_in_place();
	if (!c->init_seals && oci_cloned_binary_ensure(err) < 0)
		return -1;
	c->d.rootfd = oci_state_open_root(c->rt->root, true, err);
	if (c->d.rootfd < 0)
		return -1;
	/* Before anything of the container exists: a bad profile leaves nothing behind. */
	if (oci_seccomp_compile(b->cfg.linux_.seccomp, c->d.rootfd, &c->seccomp, err) < 0)
		return oci_err_prefix(err, "config.json");
	/* The init joins the cgroups only once they have their limits and device list. Where it
	 * joins them itself (no user namespace, no network device to move in before GO), only
	 * the unified directory it is cloned into is made now: the rest is made while it makes
	 * its network namespace and sets itself up, before its mounts (finish_cgroups). */
	if (prepare_dir_state(&c->d, c->rt, c->opts->id, c->opts->bundle, b, ns->own_pidns, err) <
	    0)
		return -1;
	/* Not into a joined mount namespace: the join goes by path, and after the setns the
	 * host's cgroup paths would be the other container's files (made by its processes). */
	bool joins_mountns = false;
	for (int i = 0; i < ns->njoin; i++)
		joins_mountns |= ns->join_types[i] == CLONE_NEWNS;
	if (!(ns->clone_flags & CLONE_NEWUSER) && ns->join_user_fd < 0 && !joins_mountns &&
	    b->cfg.linux_.n_net_devices == 0) {
		oci_err_clear(err);
		c->d.st.cgroups = oci_cgroup_create_unified(&c->d.cgm, b->cfg.linux_.cgroups_path,
							    c->opts->id, err);
		if (!c->d.st.cgroups && err->code)
			return -1;
		if (c->d.st.cgroups && check_not_frozen(c->d.st.cgroups, err) < 0)
			return -1;
		c->cgroups_later = c->d.st.cgroups != NULL;
	}
	if (!c->cgroups_later && prepare_files_and_cgroups(&c->d, c->opts->id, b, err) < 0)
		return -1;
	/* run: nothing happens between the init's READY and start (no pid file to write
	 * first), so its go is in the pipe from the start and the init goes on to its exec at
	 * once, instead of waiting for us to wake up and write it (a switch to us and back).
	 * Nobody else can `start` this container, so the go comes through a pipe, as crun's run
	 * does, not exec.fifo: on a disk the fifo's create, two opens and unlink were four
	 * journaled changes of the state directory before the clone. The init holds the read
	 * end until its exec closes it, as it would the fifo (poststart waits for that). */
	if ((c->opts->foreground || c->opts->detach) && !c->opts->pid_file) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return oci_err_errno(err, errno, "cannot create the start pipe");
		c->fifo = p[0];
		c->fifo_go = p[1];
		if (write(c->fifo_go, "0", 1) != 1)
			return oci_err_errno(err, errno, "cannot write to the start pipe");
	} else {
		if (mkfifoat(c->d.dirfd, OCI_EXEC_FIFO, 0622) < 0)
			return oci_err_errno(err, errno, "cannot create exec fifo");
		c->fifo = openat(c->d.dirfd, OCI_EXEC_FIFO, O_RDWR | O_CLOEXEC);
		if (c->fifo < 0)
			return oci_err_errno(err, errno, "cannot open exec fifo");
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sock) < 0)
		return oci_err_errno(err, errno, "socketpair");
	return 0;
}

/* --debug: what this create is about to do, in the order it does it. */
static void debug_plan(const creation *c, const oci_bundle_config *b)
{
	if (oci_log_get_level() < OCI_LOG_DEBUG)
		return;
	const oci_config *cfg = &b->cfg;
	log_debug("config loaded: bundle '%s', rootfs '%s', ociVersion %s, process '%s'",
		  c->opts->bundle, b->rootfs, cfg->oci_version ? cfg->oci_version : "(none)",
		  cfg->process.args[0]);
	for (size_t i = 0; i < cfg->linux_.n_namespaces; i++) {
		const oci_config_namespace *ns = &cfg->linux_.namespaces[i];
		if (ns->path && ns->path[0])
			log_debug("namespace %s: join '%s'", ns->kind->type, ns->path);
		else
			log_debug("namespace %s: new", ns->kind->type);
	}
	for (size_t i = 0; c->d.st.cgroups && !c->cgroups_later && i < c->d.st.cgroups->n; i++)
		log_debug("cgroup (%s): '%s'", c->d.st.cgroups->ops->name,
			  c->d.st.cgroups->dirs[i]);
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const oci_config_mount *m = &cfg->mounts[i];
		log_debug("mount '%s' on '%s' (type %s)", m->source ? m->source : "none",
			  m->destination, m->type ? m->type : "none");
	}
	for (size_t k = 0; k < OCI_HOOK_KINDS; k++)
		if (cfg->hooks.n[k])
			log_debug("hooks %s: %zu", oci_spec_hook_kinds[k], cfg->hooks.n[k]);
}

/* cgroup_fd >= 0: into that cgroup2 directory (CLONE_INTO_CGROUP), with no fallback to
 * clone(2), which cannot. */
static pid_t clone_init(unsigned long flags, int cgroup_fd)
{
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.flags = flags;
	/* CLONE_PARENT: the signal is the caller's own, and clone3 wants none given */
	ca.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
	if (cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgroup_fd;
	}
	long r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r < 0 && errno == ENOSYS && !(flags & CLONE_NEWTIME) && cgroup_fd < 0)
		r = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	return (pid_t)r;
}

/* The init, cloned into the unified cgroup directory when cgfd >= 0 (it joins the other
 * hierarchies itself); its copy of ia says which way it came. */
static pid_t clone_init_into(unsigned long flags, int cgfd, oci_init_args *ia)
{
	ia->cloned_into_unified = cgfd >= 0;
	pid_t pid = clone_init(flags, cgfd);
	if (pid < 0 && cgfd >= 0) {
		/* a kernel without CLONE_INTO_CGROUP (5.7): the init writes cgroup.procs */
		ia->cloned_into_unified = false;
		pid = clone_init(flags, -1);
	}
	return pid;
}

static int clone_error(int e, unsigned long flags, oci_error *err)
{
	if ((flags & CLONE_NEWUSER) &&
	    (e == ENOSPC || ((e == EPERM || e == EACCES) && geteuid() != 0)))
		return oci_userns_clone_error(e, err);
	if (e == EPERM && geteuid() != 0)
		return oci_err_errno(
		    err, e,
		    "cannot create the container's namespaces without a user namespace "
		    "(an unprivileged user needs one: oci-bundle spec --rootless)");
	return oci_err_errno(err, e, "cannot create the container's namespaces");
}

/* Phase 4, a pid or user namespace joined by path. A user namespace is joined before the
 * clone, so that the namespaces cloned new are owned by it (made by the host's root, the
 * container's root could not mount in its mount namespace), as runc's nsexec joins before it
 * unshares. A pid namespace's processes (another container's) see the init from the moment
 * it is cloned, before it has closed what it inherited. So an intermediate
 * (C), still outside that namespace, keeps only what the init needs (the sync socket, the
 * exec fifo, the log, the namespace fds; none is a directory: the state root and the
 * container's directory led to the host through /proc/INIT/fd/N/..), makes itself not
 * dumpable when the runtime is root (the init inherits it: a process of the namespace
 * without CAP_SYS_PTRACE over the host cannot open the init's /proc/PID files; an
 * unprivileged runtime's id maps need a dumpable init, as before), makes the id-mapped trees,
 * joins the pid namespace and clones the init as the runtime's child (CLONE_PARENT). It
 * reports the init's pid over the sync socket and exits. */
static __attribute__((noreturn)) void clone_into_joined_ns(creation *c, oci_init_args *ia,
							   const ns_plan *ns, int cgfd)
{
	oci_error err = OCI_ERROR_INIT;
	oci_mount_trees trees = {0};
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	oci_process_blank_cmdline(); /* the joined namespace sees the init from its clone */
	close(c->sock[0]);
	ia->sync = c->sock[1];
	ia->fifo = c->fifo;
	if (geteuid() == 0)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	int keep[16];
	size_t nkeep = 0;
	keep[nkeep++] = ia->sync;
	keep[nkeep++] = ia->fifo;
	keep[nkeep++] = oci_log_fd();
	if (cgfd >= 0)
		keep[nkeep++] = cgfd;
	if (ns->join_pid_fd >= 0)
		keep[nkeep++] = ns->join_pid_fd;
	if (ns->join_user_fd >= 0)
		keep[nkeep++] = ns->join_user_fd;
	for (int i = 0; i < ns->njoin; i++)
		keep[nkeep++] = ns->join_fds[i];
	if (oci_process_close_fds(c->opts->preserve_fds, keep, nkeep, &err) < 0)
		goto fail;
	/* Id-mapped mounts are made here, on the host side (mounts.h says why). */
	if (oci_mounts_open_idmapped(ia->cfg, c->opts->bundle, &trees, &err) < 0)
		goto fail;
	ia->mount_trees = trees.fds;
	/* The pid namespace first: joining it takes the host's rights over its owner. */
	if (ns->join_pid_fd >= 0 && setns(ns->join_pid_fd, CLONE_NEWPID) < 0) {
		oci_err_errno(&err, errno, "cannot join the pid namespace");
		goto fail;
	}
	if (ns->join_user_fd >= 0 && setns(ns->join_user_fd, CLONE_NEWUSER) < 0) {
		oci_err_errno(&err, errno, "cannot join the user namespace");
		goto fail;
	}
	const oci_config_namespace *user = oci_config_find_namespace(ia->cfg, "user");
	if (ns->join_user_fd >= 0 &&
	    oci_userns_check_joined(&ia->cfg->linux_, user ? user->path : "", &err) < 0)
		goto fail;
	if (ns->join_pid_fd >= 0)
		close(ns->join_pid_fd);
	if (ns->join_user_fd >= 0)
		close(ns->join_user_fd);
	pid_t pid = clone_init_into(ns->clone_flags | CLONE_PARENT, cgfd, ia);
	if (pid < 0 && errno == ENOMEM && ns->join_pid_fd >= 0) {
		/* What the kernel says when the namespace's pid 1 is gone. */
		const oci_config_namespace *p = oci_config_find_namespace(ia->cfg, "pid");
		oci_err(&err, OCI_E_INVALID,
			"linux.namespaces: 'pid' path '%s': cannot create a process in it (has "
			"its pid 1 exited?): Cannot allocate memory",
			p && p->path ? p->path : "");
		goto fail;
	}
	if (pid < 0) {
		clone_error(errno, ns->clone_flags, &err);
		goto fail;
	}
	if (pid == 0)
		oci_init_main(ia);
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	_exit(oci_sync_send(ia->sync, OCI_SYNC_PID, buf, (size_t)n, -1, NULL) < 0);
fail:
	oci_sync_send(ia->sync, OCI_SYNC_ERROR, err.msg, strlen(err.msg), -1, NULL);
	_exit(1);
}

/* The runtime's side of it: C's report, then C reaped. */
static pid_t spawn_via_intermediate(creation *c, oci_init_args *ia, const ns_plan *ns, int cgfd,
				    oci_error *err)
{
	pid_t cpid = fork();
	if (cpid < 0)
		return oci_err_errno(err, errno, "fork");
	if (cpid == 0)
		clone_into_joined_ns(c, ia, ns, cgfd);
	close(c->sock[1]);
	c->sock[1] = -1;
	char buf[OCI_SYNC_MAX + 1];
	int r = oci_sync_expect(c->sock[0], OCI_SYNC_PID, buf, sizeof(buf), NULL, err);
	int status;
	while (waitpid(cpid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	char *end;
	long pid = strtol(buf, &end, 10);
	if (*end || pid <= 0)
		return oci_err(err, OCI_E_INTERNAL, "the init's pid: '%s'", buf);
	return (pid_t)pid;
}

/* A message to the init that may have failed meanwhile: then the error it sent says why,
 * not our "cannot talk to the container init". */
static int send_to_init(int sock, int type, const char *data, size_t len, oci_error *err)
{
	if (oci_sync_send(sock, type, data, len, -1, err) == 0)
		return 0;
	if (err->sys_errno != EPIPE && err->sys_errno != ECONNRESET)
		return -1;
	/* its end is closed (with our messages unread: reset): what it sent before is still
	 * there, and nothing blocks */
	char buf[OCI_SYNC_MAX + 1];
	oci_error e2 = OCI_ERROR_INIT;
	if (oci_sync_recv(sock, buf, sizeof(buf), NULL, &e2) == OCI_SYNC_ERROR) {
		oci_err_clear(err);
		return oci_err(err, OCI_E_INVALID, "%s", buf);
	}
	oci_err_clear(&e2);
	return -1;
}

/* Phase 4, while the init sets itself up (cgroups_later): the other hierarchies'
 * directories, recorded, checked and given their limits and device filter, then each
 * directory to the init and the word that it may join them; then, while it builds its
 * mounts, a hybrid host's eBPF backup of the v1 device list and the word that it is there;
 * config.json last, which nothing of the init's reads.
 *
 * Why the backup may wait for the init's mounts: the init joins the v1 devices cgroup
 * before them, and the kernel checks a device access (a mknod, a block device a mount
 * opens) against the v1 list as well as any eBPF filter, so with the same rules in both the
 * filter decides nothing during the mounts that the list does not already; what it backs up
 * against is a container process leaving its v1 devices cgroup, and none runs before the
 * init has heard DEVICES_READY (it waits before the hooks and the exec). Where the filter is
 * the only list (pure cgroup v2, or no v1 devices hierarchy) it is attached before
 * CGROUPS_READY, as before: there a mount of a block device would open it unchecked. */
static int finish_cgroups(creation *c, const oci_bundle_config *b, oci_error *err)
{
	const oci_resources *res = &b->cfg.linux_.resources;
	oci_cgroup *all = oci_cgroup_create_rest(&c->d.cgm, b->cfg.linux_.cgroups_path, c->opts->id,
						 res, c->d.st.cgroups, err);
	if (!all)
		return -1;
	oci_cgroup_free(c->d.st.cgroups);
	c->d.st.cgroups = all;
	for (size_t i = 0; i < all->n; i++)
		log_debug("cgroup (%s): '%s'", all->ops->name, all->dirs[i]);
	all->device_backup_later = true;
	if (record_and_apply(&c->d, res, err) < 0)
		return -1;
	/* as many directories as fit in a message, each ending with its NUL */
	char buf[OCI_SYNC_MAX];
	size_t used = 0;
	for (size_t i = 0; i <= all->n; i++) {
		size_t len = i < all->n ? strlen(all->dirs[i]) + 1 : 0;
		if (len > sizeof(buf))
			return oci_err(err, OCI_E_LIMIT, "cgroup '%.64s...': path too long",
				       all->dirs[i]);
		if (used && (i == all->n || used + len > sizeof(buf))) {
			if (send_to_init(c->sock[0], OCI_SYNC_CGROUP, buf, used, err) < 0)
				return -1;
			used = 0;
		}
		if (i < all->n) {
			memcpy(buf + used, all->dirs[i], len);
			used += len;
		}
	}
	if (send_to_init(c->sock[0], OCI_SYNC_CGROUPS_READY, NULL, 0, err) < 0)
		return -1;
	oci_cgroup_attach_device_backup(all, res);
	if (send_to_init(c->sock[0], OCI_SYNC_DEVICES_READY, NULL, 0, err) < 0)
		return -1;
	return write_config(&c->d, b, err);
}

/* run in the foreground without a pty: a terminal of the caller's is relayed through a pipe,
 * as exec does (runc relays all of a foreground run's stdio so): handed on, it was the
 * container's to read and write as it pleased, and to set modes on (no echo, raw, output
 * stopped) that the caller's shell kept after run returned. [k][0] is read, [k][1] written. */
static int relay_open(creation *c, oci_error *err)
{
	for (int k = 0; k < 3 && c->opts->foreground && !c->cfg->process.terminal; k++)
		if (isatty(k) && pipe2(c->relay[k], O_CLOEXEC) < 0)
			return oci_err_errno(err, errno, "pipe");
	return 0;
}

/* The relay's ends in place of our stdio while the init is cloned (it inherits fds 0-2);
 * ours are kept in saved for relay_restore. */
static int relay_swap(creation *c, int saved[3], oci_error *err)
{
	for (int k = 0; k < 3; k++) {
		saved[k] = -1;
		if (c->relay[k][0] < 0)
			continue;
		if ((saved[k] = fcntl(k, F_DUPFD_CLOEXEC, 3)) < 0 ||
		    dup2(c->relay[k][k == 0 ? 0 : 1], k) < 0)
			return oci_err_errno(err, errno, "cannot relay the terminal");
	}
	return 0;
}

static void relay_restore(creation *c, int saved[3])
{
	for (int k = 0; k < 3; k++)
		if (saved[k] >= 0) {
			dup2(saved[k], k);
			oci_closep(&saved[k]);
			oci_closep(&c->relay[k][k == 0 ? 0 : 1]);
		}
}

/* Phase 4: clone the init into its new namespaces, record it, map its ids, place it in its
 * cgroups and let it go on (GO carries the state JSON for its hooks). */
static int spawn_init(creation *c, const oci_bundle_config *b, const ns_plan *ns, oci_error *err)
{
	/* the copy is finished and sealed before a process that may use it exists */
	oci_cloned_binary_prepared_wait();
	oci_init_args ia;
	memset(&ia, 0, sizeof(ia));
	ia.cfg = &b->cfg;
	ia.opts = c->opts;
	ia.keyring = c->d.st.keyring;
	ia.rootfs = b->rootfs;
	ia.seccomp = &c->seccomp;
	ia.userns = ns->clone_flags & CLONE_NEWUSER;
	ia.new_netns = ns->clone_flags & CLONE_NEWNET;
	ia.new_cgroupns = ns->new_cgroupns;
	ia.new_timens = ns->new_timens;
	ia.joined_userns = ns->join_user_fd >= 0;
	ia.seal_self = c->init_seals;
	memcpy(ia.join_fds, ns->join_fds, sizeof(ia.join_fds));
	memcpy(ia.join_types, ns->join_types, sizeof(ia.join_types));
	/* The init joins its cgroups itself where it can (cgroup.h says why): not from a user
	 * namespace, whose root may not write the host's cgroup files. */
	ia.cgroup_unified = -1;
	cleanup_close int cgfd = -1;
	if (!ia.userns && !ia.joined_userns && oci_cgroup_can_enter_self(c->d.st.cgroups)) {
		ia.cgroups = c->d.st.cgroups;
		ia.cgroups_later = c->cgroups_later;
		cgfd = oci_cgroup_open_unified(ia.cgroups, &ia.cgroup_unified);
	}

	/* Signals are read from a signalfd by the foreground loop; the init unblocks them. */
	oci_signals_block(&c->oldmask);
	c->blocked = true;
	pid_t pid;
	int saved[3] = {-1, -1, -1};
	if (relay_open(c, err) < 0)
		return -1;
	if (ns->join_pid_fd >= 0 || ns->join_user_fd >= 0) {
		pid = relay_swap(c, saved, err) < 0 ? -1
						    : spawn_via_intermediate(c, &ia, ns, cgfd, err);
		relay_restore(c, saved);
		if (pid < 0)
			return -1;
	} else {
		/* Id-mapped mounts are made here, on the host side (mounts.h says why). */
		cleanup_mount_trees oci_mount_trees trees = {0};
		if (oci_mounts_open_idmapped(&b->cfg, c->opts->bundle, &trees, err) < 0)
			return -1;
		ia.mount_trees = trees.fds;
		/* The network namespace is the costly one of the clone (77% of clone3's kernel
		 * time in perf: its sysctl and proc tables): where the runtime has the cgroups to
		 * make meanwhile, the init makes it itself, first thing, on the other CPU. */
		unsigned long flags = ns->clone_flags;
		if (c->cgroups_later && (flags & CLONE_NEWNET)) {
			flags &= ~(unsigned long)CLONE_NEWNET;
			ia.unshare_net = true;
		}
		if (relay_swap(c, saved, err) < 0) {
			relay_restore(c, saved);
			return -1;
		}
		pid = clone_init_into(flags, cgfd, &ia);
		int e = errno;
		if (pid != 0)
			relay_restore(c, saved);
		if (pid < 0)
			return clone_error(e, flags, err);
		if (pid == 0) {
			close(c->sock[0]);
			ia.sync = c->sock[1];
			ia.fifo = c->fifo;
			oci_init_main(&ia);
		}
		close(c->sock[1]);
		c->sock[1] = -1;
	}
	c->pid = pid;
	/* Only the init may hold the fifo's read side: start relies on it closing at exec. */
	close(c->fifo);
	c->fifo = -1;
	c->d.st.pid = pid;
	c->d.st.pid_start = oci_proc_start_time(pid, NULL);
	c->d.st.pid_ino = oci_proc_ino(pid); /* our child, not reaped: pid is it */
	c->hook_state = oci_container_hook_state(&c->d.st, "creating");
	if (!c->hook_state)
		return oci_err(err, OCI_E_INTERNAL, "cannot build state");
	/* When the init has nothing of ours to wait for (id maps, mount sources, a cgroup join,
	 * network devices), GO goes first: the state is written while the init builds the
	 * container. A runtime killed before the state is written takes the init with it
	 * (PDEATHSIG), as before. */
	bool go_now = ia.cgroups && b->cfg.linux_.n_net_devices == 0;
	if (go_now &&
	    send_to_init(c->sock[0], OCI_SYNC_GO, c->hook_state, strlen(c->hook_state), err) < 0)
		return -1;
	/* (chosen by prepare_state only where GO goes first: the init reads GO, then these) */
	if (c->cgroups_later && finish_cgroups(c, b, err) < 0)
		return -1;
	/* Recorded before anything else can fail: a runtime killed from here on leaves a state
	 * that `delete --force` can clean. */
	if (oci_state_write(c->d.dirfd, &c->d.st, err) < 0)
		return -1;
	if (ia.userns && oci_userns_write_maps(pid, &b->cfg.linux_, err) < 0)
		return -1;
	if ((ia.userns || ia.joined_userns) &&
	    oci_mounts_send_sources(pid, c->sock[0], &b->cfg, c->opts->bundle, err) < 0)
		return -1;
	if (!ia.cgroups && oci_cgroup_enter(c->d.st.cgroups, pid, err) < 0)
		return -1;
	/* linux.netDevices: the init's network namespace exists; the init waits for GO. */
	int join_net = -1;
	for (int i = 0; i < ns->njoin; i++)
		if (ns->join_types[i] == CLONE_NEWNET)
			join_net = ns->join_fds[i];
	if (oci_netdev_move_in(&b->cfg.linux_, pid, join_net, c->d.dirfd, err) < 0)
		return -1;
	if (go_now)
		return 0;
	return oci_sync_send(c->sock[0], OCI_SYNC_GO, c->hook_state, strlen(c->hook_state), -1,
			     err);
}

/* Phase 5: the runtime's hooks, run when the init asks (its mounts are done). */
static int run_create_hooks(void *ctx, oci_error *err)
{
	creation *c = ctx;
	log_debug("running the prestart and createRuntime hooks in '%s'", c->opts->bundle);
	if (oci_hooks_run(&c->cfg->hooks, "prestart", c->hook_state, c->opts->bundle, err) < 0 ||
	    oci_hooks_run(&c->cfg->hooks, "createRuntime", c->hook_state, c->opts->bundle, err) < 0)
		return -1;
	return 0;
}

/* Phase 5: the init's seccomp notify fd, to the agent at linux.seccomp.listenerPath. */
static int send_notify_fd(void *ctx, int sock, int fd, oci_error *err)
{
	creation *c = ctx;
	int r = oci_seccomp_send_listener(c->cfg->linux_.seccomp, c->pid, c->hook_state, fd, err);
	close(fd);
	if (r < 0)
		return -1;
	return oci_sync_send(sock, OCI_SYNC_SECCOMP_DONE, NULL, 0, -1, err);
}

/* Phase 5: a container sharing the cgroup (cgroupsPath, its cgroups mounted read-write) can
 * freeze it once the init shows up there: the init would never answer, and we would wait
 * for ever with our signals blocked. */
static int init_frozen(void *ctx, oci_error *err)
{
	creation *c = ctx;
	if (!c->d.st.cgroups || !oci_cgroup_frozen_dir(c->d.st.cgroups))
		return 0;
	c->frozen = true;
	return oci_err(err, OCI_E_STATE,
		       "the container's cgroup was frozen while its init was set up: thaw it and "
		       "try again");
}

/* Phase 5: serve the init until it waits for start. */
static int serve_init(creation *c, oci_error *err)
{
	oci_sync_server s = {.console_socket = c->opts->console_socket,
			     .master = -1,
			     .hooks = run_create_hooks,
			     .seccomp = c->cfg->linux_.seccomp ? send_notify_fd : NULL,
			     .idle = init_frozen,
			     .idle_ms = 1000,
			     .ctx = c};
	int r = oci_sync_serve(c->sock[0], &s, err);
	c->master = s.master;
	if (r < 0)
		return -1;
	if (r == 0)
		return oci_err(err, OCI_E_STATE, "container init exited during setup");
	close(c->sock[0]);
	c->sock[0] = -1;
	return 0;
}

/* Phase 6: create stops here; run starts the container, and without -d waits for it, then
 * removes it (the exit status is the container's). */
static int start_or_wait(creation *c, oci_notify *nt, int *exit_status, oci_error *err)
{
	if (!c->opts->foreground && !c->opts->detach)
		return 0;
	log_debug("starting the container process ('%s')", c->cfg->process.args[0]);
	/* The init just said it waits for start (READY): no status to check. */
	if (c->fifo_go >= 0) {
		if (oci_container_started(c->d.dirfd, &c->d.st, c->fifo_go, err) < 0)
			return -1;
	} else if (oci_container_start_created(c->d.dirfd, &c->d.st, err) < 0)
		return -1;
	if (c->opts->detach)
		return 0;
	/* Foreground: let kill/delete in while we wait. */
	flock(c->d.dirfd, LOCK_UN);
	/* Earlier containers' state directories (oci_state_remove_dir) go now, while the
	 * container's process runs: a thread doing it while the init set itself up took a CPU
	 * from the init (0.2 ms more to READY at load 2.5). What the signals and the relayed
	 * output wait for meanwhile, the kernel holds. */
	oci_state_empty_trash(c->d.rootfd, c->opts->id);
	int io[3] = {c->relay[0][1], c->relay[1][0], c->relay[2][0]};
	c->relay[0][1] = -1; /* oci_signals_wait_opts closes it */
	oci_wait_opts wo = {.reap_orphans = c->opts->subreaper,
			    .watch = oci_notify_watch(nt, getpid())};
	if (oci_signals_wait_opts(c->pid, c->master, io, &wo, exit_status, err) < 0)
		return -1;
	/* The init is reaped: from here on nothing is rolled back. */
	c->pid = -1;
	c->finished = true;
	if (c->master >= 0)
		close(c->master);
	c->master = -1;
	flock(c->d.dirfd, LOCK_EX);
	/* The init of its own pid namespace is reaped only once every other process of the
	 * namespace is gone (the kernel kills them and waits; a frozen one would hold the init
	 * back): nothing is left to kill or thaw. */
	if (!c->d.st.own_pidns)
		oci_container_kill_all(&c->d.st, false);
	if (c->opts->keep)
		return 0; /* stopped, with its state and cgroups, until `delete` */
	return oci_container_destroy(c->d.rootfd, c->opts->id, &c->d.st, true, err);
}

/* An init that died while it set itself up may have been killed by its own memory cgroup's
 * OOM killer (a limit too low for what it touches before its exec, where it is cloned into
 * the cgroup): that is the one line, not the broken conversation ("cannot talk to the
 * container init: Connection reset by peer"). */
static void explain_oom(const creation *c, oci_error *err)
{
	uint64_t n = 0;
	oci_error e = OCI_ERROR_INIT;
	if (c->pid <= 0 || !c->d.st.cgroups || oci_cgroup_oom_kills(c->d.st.cgroups, &n, &e) < 0 ||
	    !n)
		return;
	const oci_res_int *lim = &c->cfg->linux_.resources.memory.limit;
	oci_err_clear(err);
	if (lim->set)
		oci_err(err, OCI_E_INVALID,
			"container init was OOM-killed: linux.resources.memory.limit %lld is too "
			"low for it (give it at least a few MiB)",
			(long long)lim->v);
	else
		oci_err(err, OCI_E_INVALID,
			"container init was OOM-killed: the container's memory limit is too low "
			"for it");
}

static void *empty_trash(void *arg)
{
	const creation *c = arg;
	oci_state_empty_trash(c->d.rootfd, c->opts->id);
	return NULL;
}

/* A small stack (oci_state_empty_trash holds a directory's names on it); signals stay with
 * the main thread, which has them blocked by now. */
static bool start_trash_thread(pthread_t *t, const creation *c)
{
	pthread_attr_t attr;
	if (pthread_attr_init(&attr) != 0)
		return false;
	pthread_attr_setstacksize(&attr, 64 << 10);
	bool ok = pthread_create(t, &attr, empty_trash, (void *)c) == 0;
	pthread_attr_destroy(&attr);
	return ok;
}

static int create(const oci_runtime *rt, const oci_create_opts *opts, int *exit_status,
		  oci_error *err)
{
	cleanup_bundle_config oci_bundle_config b = {0};
	if (oci_container_load_bundle(opts->bundle, opts, &b, err) < 0)
		return -1;
	cleanup_ns_plan ns_plan ns = {.join_pid_fd = -1, .join_user_fd = -1, .join_fds = {-1}};
	if (plan_namespaces(&b.cfg, &ns, err) < 0)
		return -1;

	/* sd_notify: the host's socket is checked before anything of the container exists */
	bool relay = opts->foreground || opts->detach;
	cleanup_notify oci_notify nt;
	oci_notify_init(&nt);
	if (opts->notify_socket && (relay ? oci_notify_connect(&nt, opts->notify_socket, err)
					  : oci_notify_check(opts->notify_socket, err)) < 0)
		return -1;

	creation c;
	creation_init(&c, rt, opts);
	c.cfg = &b.cfg;
	int ret = prepare_state(&c, &b, &ns, err);
	if (ret == 0 && opts->notify_socket)
		ret = oci_notify_prepare(&nt, c.d.dirfd, &b.cfg, relay, err);
	if (ret == 0) {
		debug_plan(&c, &b);
		ret = spawn_init(&c, &b, &ns, err);
	}
	/* the init has the copy (or we run from it): ours would only keep it in memory */
	oci_cloned_binary_prepared_drop();
	if (ret == 0)
		log_debug("init started: pid %d", (int)c.pid);
	/* The init has its own copies: ours would only keep the namespaces alive. */
	ns_plan_release(&ns);
	/* Earlier containers' state directories (oci_state_remove_dir) go while this one is
	 * built (a foreground run removes them itself, in start_or_wait): the discard of their
	 * blocks is nobody's wait. Not before the clone: the thread allocates, and the init is
	 * cloned without fork's lock handling. */
	pthread_t trash;
	bool trash_started = ret == 0 && !opts->foreground && start_trash_thread(&trash, &c);
	if (ret == 0)
		ret = serve_init(&c, err);
	/* an OOM kill is the init's only while it sets itself up: after that it is the
	 * container's own, and a later failure is not explained by it */
	if (ret < 0 && !c.finished)
		explain_oom(&c, err);
	if (ret == 0 && opts->pid_file)
		ret = oci_process_write_pid_file(opts->pid_file, c.pid, err);
	/* runc sends it from the init, "standard" its message: the init is our child here,
	 * not yet reaped, so its pid names it */
	if (ret == 0 && opts->pidfd_socket)
		ret = oci_process_send_pidfd(opts->pidfd_socket, c.pid, "standard", err);
	if (ret == 0)
		ret = start_or_wait(&c, &nt, exit_status, err);
	if (trash_started)
		pthread_join(trash, NULL);
	if (ret < 0 && !c.finished)
		rollback(&c);
	pid_t init = c.pid;
	uint64_t init_start = c.d.st.pid_start, init_ino = c.d.st.pid_ino;
	creation_release(&c);
	/* run -d: as runc, returns once the container said READY=1 (or its init exited),
	 * unlocked and with our signals back */
	if (ret == 0 && opts->detach && opts->notify_socket)
		ret = oci_notify_wait_ready(&nt, init, init_start, init_ino, err);
	return ret;
}

int oci_container_create(const oci_runtime *rt, const oci_create_opts *opts, int *exit_status,
			 oci_error *err)
{
	/* Before anything is opened: a closed fd among the preserved ones would be taken by
	 * the bundle or the state root and handed to the container (CVE-2024-21626 class). */
	if (oci_process_check_preserved(opts->preserve_fds, err) < 0 ||
	    oci_state_check_id(opts->id, err) < 0)
		return -1;
	/* The sealed copy of our binary (see prepare_state) is made by a thread meanwhile: now,
	 * when no fd the caller left closed can be taken by it. Whatever the outcome, the
	 * thread is joined and our copy closed before we return. */
	oci_cloned_binary_prepare();
	int r = create(rt, opts, exit_status, err);
	oci_cloned_binary_prepared_drop();
	return r;
}
