/* Exec: one more process in a created or running container, the way runc (and conmon and
 * containerd's shim through it) expect, in named phases as create's (run/container_create.c):
 * load the container and the process, typed; plan the joins; spawn; serve the sync protocol
 * shared with create; wait for the process or detach.
 *
 * Three processes take part. The runtime (P) makes itself a child subreaper, places a first
 * child (C) in the container's cgroups, and C joins the init's namespaces found through
 * /proc/PID/ns (the user namespace first, the mount namespace last, then the init's root):
 * setns() of a pid namespace only applies to children, so C forks the process itself (G),
 * reports its pid and exits. G is reparented to P, which either waits for it (foreground:
 * signals forwarded, terminal relayed, its status is ours) or exits after writing the pid
 * file (-d), handing G to P's own subreaper (conmon, containerd's shim). G finishes the
 * process environment (rlimits, keyring, terminal, user, capabilities, fds) and execs; its
 * errors come back over the sync socket, which closes at exec when all went well. */
#include "run/container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/keyctl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/config.h"
#include "common/json.h"
#include "common/log.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/cloned_binary.h"
#include "run/container_internal.h"
#include "run/lsm.h"
#include "run/mempolicy.h"
#include "run/process.h"
#include "run/seccomp.h"
#include "run/signals.h"
#include "run/state.h"
#include "run/sync.h"
#include "run/terminal.h"

/* The namespaces are joined in the order of common/spec.h's table. */
#define N_NS OCI_SPEC_N_NAMESPACES

/* ---- phase 1: the process, typed ---- */

/* Append copies of the n strings of add to the NULL-terminated list *v (NULL: empty). */
static int strv_extend(char ***v, const char *const *add, size_t n, oci_error *err)
{
	size_t len = 0;
	while (*v && (*v)[len])
		len++;
	char **nv = realloc(*v, (len + n + 1) * sizeof(char *));
	if (!nv)
		return oci_err_errno(err, ENOMEM, "exec");
	*v = nv;
	nv[len] = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!(nv[len] = oci_strdup(add[i], err)))
			return -1;
		nv[++len] = NULL;
	}
	return 0;
}

/* --process FILE: a runtime-spec process object through the checker config.json's process
 * goes through (runc: without a user it runs as root, whatever the config's user). */
static int process_from_file(const char *file, oci_process *out, oci_error *err)
{
	cleanup_json json_t *p = oci_json_load_named(file, OCI_JSON_MAX_SIZE, err);
	if (!p)
		return oci_err_prefix(err, "--process");
	if (!json_is_object(p))
		return oci_err(err, OCI_E_INVALID, "--process '%s': expected a JSON object", file);
	if (!json_object_get(p, "user") &&
	    json_object_set_new(p, "user", json_pack("{s:i,s:i}", "uid", 0, "gid", 0)) < 0)
		return oci_err_errno(err, ENOMEM, "--process");
	cleanup_json json_t *problems = json_array();
	int n = problems ? oci_config_load_process(p, out, problems, err)
			 : oci_err_errno(err, ENOMEM, "--process");
	if (n > 0)
		return oci_config_report(problems, n, "--process", err);
	return n;
}

/* --user UID[:GID], numbers (runc's rule: without GID the process keeps the config's). */
static int parse_user(const char *spec, oci_process *p, oci_error *err)
{
	const char *colon = strchr(spec, ':');
	cleanup_free char *uid_s =
	    colon ? strndup(spec, (size_t)(colon - spec)) : oci_strdup(spec, err);
	uint64_t uid, gid = 0;
	if (!uid_s)
		return oci_err_errno(err, ENOMEM, "--user");
	if (oci_parse_u64(uid_s, UINT32_MAX, &uid) < 0 ||
	    (colon && oci_parse_u64(colon + 1, UINT32_MAX, &gid) < 0))
		return oci_err(err, OCI_E_INVALID, "--user: expected UID[:GID] (numbers), got '%s'",
			       spec);
	p->user.uid = (uint32_t)uid;
	if (colon)
		p->user.gid = (uint32_t)gid;
	return 0;
}

/* The container's own process (checked with config.json), taken over from base, with exec's
 * flags on top, each checked by the rule its process field has there (runc's overrides):
 * ARGS and --tty replace, --cwd replaces, --env adds, --user replaces the ids,
 * --additional-gids adds to the config's groups, --cap adds to the bounding, effective and
 * permitted sets, --no-new-privs sets. */
static int process_from_flags(const oci_exec_opts *o, oci_process *base, oci_process *out,
			      oci_error *err)
{
	if (o->nargs < 1)
		return oci_err(err, OCI_E_INVALID,
			       "exec: expected a command after the container id (or --process)");
	*out = *base;
	memset(base, 0, sizeof(*base));
	oci_strvfreep(&out->args);
	out->args = NULL;
	if (strv_extend(&out->args, (const char *const *)o->args, (size_t)o->nargs, err) < 0)
		return -1;
	out->terminal = o->tty;
	if (o->cwd) {
		if (o->cwd[0] != '/')
			return oci_err(err, OCI_E_INVALID,
				       "--cwd: must be an absolute path, got '%s'", o->cwd);
		free(out->cwd);
		if (!(out->cwd = oci_strdup(o->cwd, err)))
			return -1;
	}
	for (size_t i = 0; i < o->n_env; i++)
		if (!strchr(o->env[i], '=') || o->env[i][0] == '=')
			return oci_err(err, OCI_E_INVALID, "--env: expected NAME=VALUE, got '%s'",
				       o->env[i]);
	if (strv_extend(&out->env, o->env, o->n_env, err) < 0)
		return -1;
	if (o->no_new_privs)
		out->no_new_privileges = true;
	if (o->user && parse_user(o->user, out, err) < 0)
		return -1;
	if (o->n_gids) {
		size_t have = out->user.n_additional_gids, n = have + o->n_gids;
		if (n > NGROUPS_MAX)
			return oci_err(
			    err, OCI_E_INVALID,
			    "--additional-gids: %zu groups with the config's, more than the "
			    "kernel's limit of %d",
			    n, NGROUPS_MAX);
		gid_t *g = oci_calloc(n, sizeof(gid_t), err);
		if (!g)
			return -1;
		if (have)
			memcpy(g, out->user.additional_gids, have * sizeof(gid_t));
		memcpy(g + have, o->gids, o->n_gids * sizeof(gid_t));
		free(out->user.additional_gids);
		out->user.additional_gids = g;
		out->user.n_additional_gids = n;
	}
	for (size_t i = 0; i < o->n_caps; i++) {
		/* config.json's rule: a name of the capability table, written as it is there. */
		char norm[64];
		if (oci_spec_capability_name(o->caps[i], norm, sizeof(norm)) < 0 ||
		    strcmp(norm, o->caps[i]))
			return oci_err(err, OCI_E_INVALID, "--cap: unknown capability '%s'",
				       o->caps[i]);
	}
	static const enum oci_config_capset sets[] = {OCI_CAPS_BOUNDING, OCI_CAPS_EFFECTIVE,
						      OCI_CAPS_PERMITTED};
	for (size_t k = 0; o->n_caps && k < ARRAY_SIZE(sets); k++)
		if (strv_extend(&out->caps[sets[k]], o->caps, o->n_caps, err) < 0)
			return -1;
	return 0;
}

/* --apparmor and --process-label: over either process. */
static int set_label(char **field, const char *value, oci_error *err)
{
	if (!value)
		return 0;
	char *v = oci_strdup(value, err);
	if (!v)
		return -1;
	free(*field);
	*field = v;
	return 0;
}
/* The container's session keyring (the name in its state, run/state.h), so that the
 * caller's keys never reach the process; kernels or users without keyrings are fine. */
static void join_keyring(const char *name)
{
	syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
}

static __attribute__((noreturn)) void child_fail(int sync, const oci_error *err, int code)
{
	oci_sync_send(sync, OCI_SYNC_ERROR, err->msg, strlen(err->msg), -1, NULL);
	_exit(code);
}

/* G: inside every namespace; finish the process and exec it. */
static __attribute__((noreturn)) void exec_process(int sync, const oci_process *process,
						   const oci_config *cfg,
						   const oci_seccomp *seccomp, int procfd,
						   const char *keyring, const oci_exec_opts *o)
{
	oci_error err = OCI_ERROR_INIT;
	/* First of all: this process is in the container's pid namespace, where its processes
	 * can see it; only its own attr files stay, never the runtime's /proc. */
	oci_lsm_files lsm;
	int lsm_r = oci_lsm_open_files(procfd, process, &lsm, &err);
	if (procfd >= 0)
		close(procfd);
	if (lsm_r < 0)
		child_fail(sync, &err, 1);
	if (oci_process_rlimits(process, &err) < 0 || oci_process_sched(process, &err) < 0 ||
	    oci_process_set_affinity(process->exec_cpu_final, "final", &err) < 0 ||
	    oci_process_personality(cfg, &err) < 0 || oci_mempolicy_apply(cfg, &err) < 0)
		child_fail(sync, &err, 1);
	if (oci_lsm_set_keycreate(&lsm, process, &err) < 0)
		child_fail(sync, &err, 1);
	join_keyring(keyring);
	/* A session of its own, as the init's (run/init.c) and runc's exec: in ours, the
	 * caller's terminal would be its controlling terminal, which TIOCSTI lets it type into
	 * (the caller's shell reads that once exec returns), and whose hangup and job control
	 * would reach it. A terminal process gets its session from oci_terminal_attach. */
	if (!process->terminal && setsid() < 0) {
		oci_err_errno(&err, errno, "setsid");
		child_fail(sync, &err, 1);
	}
	if (process->terminal) {
		int master, slave;
		char name[128];
		if (oci_terminal_open(&master, &slave, name, sizeof(name), &err) < 0 ||
		    oci_terminal_prepare(master, slave, process, &err) < 0 ||
		    oci_terminal_attach(slave, &err) < 0)
			child_fail(sync, &err, 1);
		if (oci_sync_send(sync, OCI_SYNC_PTY, name, strlen(name), master, &err) < 0)
			_exit(1);
		close(master);
		if (slave > 2)
			close(slave);
	}
	/* The container's filter, in the init's order (see run/init.c). */
	bool nnp = process->no_new_privileges;
	/* The LSM labels through the runtime's /proc, as the init sets them (run/init.c). */
	if (oci_lsm_set_exec(&lsm, process, &err) < 0)
		child_fail(sync, &err, 1);
	int notify_fd;
	if (!nnp && (oci_seccomp_load(seccomp, &notify_fd, &err) < 0 ||
		     oci_seccomp_handoff(sync, notify_fd, &err) < 0))
		child_fail(sync, &err, 1);
	/* The state root and directory, the namespace fds and the init's root are host
	 * directories: none may be open when the cwd is resolved (CVE-2024-21626). */
	int keep[] = {sync, oci_log_fd()};
	/* HOME from the container's /etc/passwd where the config sets none (runc's rule), read
	 * as the container's user: what it opens, the process could open itself */
	char **env = NULL;
	if (oci_process_close_fds(o->preserve_fds, keep, ARRAY_SIZE(keep), &err) < 0 ||
	    oci_process_set_user(process, &err) < 0 ||
	    !(env = oci_process_env_with_home(process, &err)))
		child_fail(sync, &err, 1);
	cleanup_free char *exe = oci_process_lookup(process, &err);
	if (!exe)
		child_fail(sync, &err, 127);
	if (oci_process_fds(o->preserve_fds, &err) < 0)
		child_fail(sync, &err, 1);
	oci_signals_reset();
	/* With no_new_privs as late as possible, while the sync socket is open (runc's order). */
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		oci_err_errno(&err, errno, "cannot set no_new_privs");
		child_fail(sync, &err, 1);
	}
	if (nnp && (oci_seccomp_load(seccomp, &notify_fd, &err) < 0 ||
		    oci_seccomp_handoff(sync, notify_fd, &err) < 0))
		child_fail(sync, &err, 1);
	/* no_new_privs is set already: not again under the filter */
	oci_process p = *process;
	p.no_new_privileges = false;
	p.env = env;
	oci_process_exec_seccomp(&p, exe, NULL, &err);
	child_fail(sync, &err, err.sys_errno == ENOENT ? 127 : 126);
}

/* C: join the namespaces and the init's root, fork G, report its pid and exit. */
static __attribute__((noreturn)) void join_and_fork(int sync, const int *nsfds, int rootfd,
						    const int *stdio, const oci_process *process,
						    const oci_config *cfg,
						    const oci_seccomp *seccomp, int procfd,
						    const char *keyring, const oci_exec_opts *o)
{
	oci_error err = OCI_ERROR_INIT;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* (G shows its command line to the whole container until its exec) */
	oci_process_blank_cmdline();
	/* The relay's ends in place of the caller's terminals (the originals close below). */
	for (int k = 0; k < 3; k++)
		if (stdio[k] >= 0 && dup2(stdio[k], k) < 0) {
			oci_err_errno(&err, errno, "cannot set up the process's stdio");
			child_fail(sync, &err, 1);
		}
	/* oomScoreAdj: set here once the namespaces are joined (G inherits it), through our own
	 * /proc, opened while our /proc files are still ours (see run/process.h). */
	int oomfd;
	if (oci_process_oom_open(process, &oomfd, &err) < 0)
		child_fail(sync, &err, 1);
	/* Nothing in the container may open our /proc/PID/exe (CVE-2019-5736). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* The state root and directory are host directories: with CAP_SYS_PTRACE (or a pid
	 * namespace shared with another container) a process of the container opens
	 * /proc/G/fd/N and walks '..' to the host's root. Only what joining needs stays, and
	 * that goes too before G exists (CVE-2024-21626 class). */
	int keep[N_NS + 5];
	size_t nkeep = 0;
	keep[nkeep++] = sync;
	keep[nkeep++] = oomfd;
	keep[nkeep++] = procfd;
	keep[nkeep++] = rootfd;
	keep[nkeep++] = oci_log_fd();
	for (size_t i = 0; i < N_NS; i++)
		keep[nkeep++] = nsfds[i];
	if (oci_process_close_fds(o->preserve_fds, keep, nkeep, &err) < 0)
		child_fail(sync, &err, 1);
	if (oci_sync_expect(sync, OCI_SYNC_GO, NULL, 0, NULL, &err) < 0)
		_exit(1);
	for (size_t i = 0; i < N_NS; i++) {
		if (nsfds[i] < 0)
			continue;
		if (setns(nsfds[i], oci_spec_namespaces[i].flag) < 0) {
			oci_err_errno(&err, errno, "cannot join the container's %s namespace",
				      oci_spec_namespaces[i].proc);
			child_fail(sync, &err, 1);
		}
		/* Root of the joined user namespace, as the init became (and as runc's exec):
		 * until the process's own user is set, it must not act as the host's root on
		 * the container's files (its first chdir, to the cwd, is made as this root). */
		if (oci_spec_namespaces[i].flag == CLONE_NEWUSER &&
		    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
			oci_err_errno(&err, errno,
				      "cannot become root in the container's user namespace");
			child_fail(sync, &err, 1);
		}
	}
	if (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		oci_err_errno(&err, errno, "cannot enter the container's root");
		child_fail(sync, &err, 1);
	}
	for (size_t i = 0; i < N_NS; i++)
		if (nsfds[i] >= 0)
			close(nsfds[i]);
	close(rootfd);
	if (oci_process_oom_score(process, oomfd, &err) < 0)
		child_fail(sync, &err, 1);
	if (oomfd >= 0)
		close(oomfd);
	pid_t g = fork();
	if (g < 0) {
		oci_err_errno(&err, errno, "cannot fork in the container");
		child_fail(sync, &err, 1);
	}
	if (g == 0) {
		prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
		exec_process(sync, process, cfg, seccomp, procfd, keyring, o);
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)g);
	oci_sync_send(sync, OCI_SYNC_READY, buf, (size_t)n, -1, NULL);
	_exit(0);
}

/* C reported G's pid (and exits): G is ours now, as a subreaper's. */
struct exec_children {
	pid_t *c, *g;
	const oci_config_seccomp *seccomp;
	const char *state; /* the container's state, for a seccomp agent */
	int notify_fd;	   /* G's seccomp notify fd, until the agent has it */
	int sock;
	const oci_cgroup *cgroups; /* the container's, NULL without */
	const char *joined;	   /* the init's cgroup below it, when C went there */
	const char *id;
	bool *frozen; /* set when they were found frozen: C and G cannot be waited for */
};

/* G's notify fd to the agent, with G's pid (known once C reported it). */
static int exec_notify(struct exec_children *ch, oci_error *err)
{
	int r = oci_seccomp_send_listener(ch->seccomp, *ch->g, ch->state, ch->notify_fd, err);
	close(ch->notify_fd);
	ch->notify_fd = -1;
	if (r < 0)
		return -1;
	return oci_sync_send(ch->sock, OCI_SYNC_SECCOMP_DONE, NULL, 0, -1, err);
}

static int exec_seccomp(void *ctx, int sock, int fd, oci_error *err)
{
	struct exec_children *ch = ctx;
	if (ch->notify_fd >= 0)
		close(ch->notify_fd);
	ch->notify_fd = fd;
	ch->sock = sock;
	return *ch->g > 0 ? exec_notify(ch, err) : 0;
}

/* A container can freeze its own cgroup (cgroups mounted read-write) once C shows up in it:
 * C would never answer and we would wait for ever, our signals blocked. */
static int exec_idle(void *ctx, oci_error *err)
{
	struct exec_children *ch = ctx;
	if (!ch->cgroups || (!oci_cgroup_frozen_dir(ch->cgroups) &&
			     !(ch->joined && oci_cgroup_dir_frozen(ch->joined))))
		return 0;
	*ch->frozen = true;
	return oci_err(err, OCI_E_STATE,
		       "container '%s' was paused while the process was being started: resume it "
		       "and try again",
		       ch->id);
}

static int exec_ready(void *ctx, const char *payload, oci_error *err)
{
	struct exec_children *ch = ctx;
	*ch->g = (pid_t)atoi(payload);
	waitpid(*ch->c, NULL, 0);
	*ch->c = -1;
	if (ch->notify_fd >= 0 && *ch->g > 0 && exec_notify(ch, err) < 0)
		return -1;
	return 0;
}

/* ---- the phases ---- */

/* One exec, phase by phase: what each phase made is here, and exec_release() undoes it on
 * every path. */
typedef struct exec_ctx {
	const oci_exec_opts *o;
	oci_state st;
	int rootfd, dirfd; /* the state root, the container's state directory (locked) */
	oci_config cfg;	   /* config.json, typed: its process is the base, its seccomp profile */
	oci_process process;
	oci_seccomp seccomp;
	int procfd;	 /* the runtime's /proc for the LSM labels, or -1 */
	int nsfds[N_NS]; /* the init's namespaces that differ from ours, in the table's order */
	int proot;	 /* the init's root */
	int sock[2];
	int master; /* the pty master kept for a foreground --tty */
	/* Pipes standing in for the caller's terminals in the foreground without --tty: [k][0]
	 * is read, [k][1] written; fd k of the process gets the other end. */
	int relay[3][2];
	pid_t c, g; /* the joining child; the process, ours to kill until waited for or handed on */
	sigset_t oldmask;
	bool blocked;
	bool frozen; /* the container froze while C and G were starting (exec_idle) */
	char keyring[OCI_KEYRING_NAME_MAX]; /* its session keyring's name */
	char *joined; /* the init's cgroup C went to, where the container's takes no process */
} exec_ctx;

static void exec_init(exec_ctx *x, const oci_exec_opts *o)
{
	memset(x, 0, sizeof(*x));
	x->o = o;
	x->rootfd = x->dirfd = x->procfd = x->proot = x->master = -1;
	x->sock[0] = x->sock[1] = -1;
	for (int k = 0; k < 3; k++)
		x->relay[k][0] = x->relay[k][1] = -1;
	x->c = x->g = -1;
	for (size_t i = 0; i < N_NS; i++)
		x->nsfds[i] = -1;
}

static void exec_release(exec_ctx *x)
{
	if (x->g > 0)
		oci_container_kill_child(x->g, x->st.cgroups, x->frozen);
	if (x->c > 0)
		oci_container_kill_child(x->c, x->st.cgroups, x->frozen);
	for (size_t i = 0; i < N_NS; i++)
		oci_closep(&x->nsfds[i]);
	oci_closep(&x->proot);
	oci_closep(&x->procfd);
	oci_closep(&x->sock[0]);
	oci_closep(&x->sock[1]);
	oci_closep(&x->master);
	for (int k = 0; k < 3; k++) {
		oci_closep(&x->relay[k][0]);
		oci_closep(&x->relay[k][1]);
	}
	if (x->blocked)
		sigprocmask(SIG_SETMASK, &x->oldmask, NULL);
	free(x->joined);
	oci_seccomp_release(&x->seccomp);
	oci_config_process_release(&x->process);
	oci_config_release(&x->cfg);
	oci_state_release(&x->st);
	oci_closep(&x->dirfd);
	oci_closep(&x->rootfd);
}

/* Phase 1: the container (created, running, or paused with --ignore-paused), its config
 * through the walk create's went through, and the process to run, typed: --process FILE, or
 * the config's with the flags on top; the labels over either; runc's terminal rules. */
static int load_container(const oci_runtime *rt, exec_ctx *x, oci_error *err)
{
	const oci_exec_opts *o = x->o;
	x->dirfd = oci_state_load(rt->root, o->id, false, &x->rootfd, &x->st, err);
	if (x->dirfd < 0)
		return -1;
	int status = oci_state_status(x->dirfd, &x->st);
	if (status == OCI_STATUS_PAUSED && !o->ignore_paused)
		return oci_err(
		    err, OCI_E_STATE,
		    "cannot exec in a paused container '%s' (use --ignore-paused to override)",
		    o->id);
	if (status != OCI_STATUS_RUNNING && status != OCI_STATUS_CREATED &&
	    status != OCI_STATUS_PAUSED)
		return oci_err(err, OCI_E_STATE, "cannot exec in a stopped container '%s'", o->id);
	/* a container an older oci-run created has runc's name */
	if (x->st.keyring)
		snprintf(x->keyring, sizeof(x->keyring), "%s", x->st.keyring);
	else
		snprintf(x->keyring, sizeof(x->keyring), "_ses.%s", o->id);
	/* The config create checked, saved in the state directory (the bundle's may have been
	 * edited since); a container created by an oci-run that did not save it has the bundle's.
	 */
	oci_error saved = OCI_ERROR_INIT;
	cleanup_json json_t *spec =
	    oci_json_load_file_at(x->dirfd, OCI_CONFIG_FILE, OCI_JSON_MAX_SIZE, &saved);
	if (!spec && saved.code != OCI_E_NOTFOUND) {
		if (err)
			*err = saved;
		return oci_err_prefix(err, "container '%s': state", o->id);
	}
	if (!spec) {
		cleanup_free char *file = oci_asprintf(err, "%s/config.json", x->st.bundle);
		if (!file)
			return -1;
		spec = oci_json_load_file_at(AT_FDCWD, file, OCI_JSON_MAX_SIZE, err);
		if (!spec)
			return oci_err_prefix(err, "container '%s': bundle '%s'", o->id,
					      x->st.bundle);
	}
	cleanup_json json_t *problems = json_array();
	int n = problems ? oci_config_load(spec, -1, &x->cfg, problems, err)
			 : oci_err_errno(err, ENOMEM, "exec");
	if (n > 0)
		oci_config_report(problems, n, "config.json", err);
	if (n != 0)
		return oci_err_prefix(err, "container '%s'", o->id);
	if (!o->process_file && !x->cfg.has_process)
		return oci_err(err, OCI_E_INVALID, "container '%s': config.json: process: missing",
			       o->id);
	int r = o->process_file ? process_from_file(o->process_file, &x->process, err)
				: process_from_flags(o, &x->cfg.process, &x->process, err);
	if (r < 0 || set_label(&x->process.apparmor_profile, o->apparmor, err) < 0 ||
	    set_label(&x->process.selinux_label, o->process_label, err) < 0)
		return -1;
	if (oci_lsm_check(&x->process, NULL, err) < 0)
		return oci_err_prefix(err, "container '%s'", o->id);
	if (o->process_file && o->tty && !x->process.terminal)
		return oci_err(err, OCI_E_INVALID,
			       "exec: --tty with a --process whose terminal is false: set "
			       "\"terminal\": true in '%s'",
			       o->process_file);
	if (x->process.terminal && o->detach && !o->console_socket)
		return oci_err(
		    err, OCI_E_INVALID,
		    "cannot allocate tty if oci-run will detach without setting console socket");
	/* As run's (oci_terminal_check_stdin): a relay from what is not a terminal never
	 * delivers an end of input to the pty, so an interactive process waited for ever. */
	if (x->process.terminal && !o->detach && !o->console_socket && !isatty(STDIN_FILENO))
		return oci_err(err, OCI_E_INVALID,
			       "--tty but stdin is not a terminal: run exec from a terminal, pass "
			       "--detach with --console-socket, or drop --tty");
	if (!x->process.terminal && o->console_socket)
		return oci_err(
		    err, OCI_E_INVALID,
		    "cannot use console socket if oci-run will not detach or allocate tty");
	log_debug("exec in container '%s' (init pid %d): '%s' as uid %u gid %u in '%s'%s", o->id,
		  (int)x->st.pid, x->process.args[0], x->process.user.uid, x->process.user.gid,
		  x->process.cwd, x->process.terminal ? ", on a pty" : "");
	return 0;
}

/* Phase 2: what the children need from here: the container's seccomp filter compiled, the
 * runtime's /proc for the labels, the init's namespaces that differ from ours and its root,
 * opened through its pid, which must still be the init's afterwards. */
static int plan_joins(exec_ctx *x, oci_error *err)
{
	const char *id = x->o->id;
	pid_t pid = x->st.pid;
	if (oci_seccomp_compile(x->cfg.linux_.seccomp, x->rootfd, &x->seccomp, err) < 0)
		return oci_err_prefix(err, "container '%s': config.json", id);
	x->procfd = oci_lsm_open_procfs(&x->process, err);
	if (x->procfd == -2) {
		x->procfd = -1;
		return -1;
	}
	for (size_t i = 0; i < N_NS; i++) {
		char p[64];
		struct stat a, b;
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, oci_spec_namespaces[i].proc);
		if (stat(p, &a) < 0) {
			if (errno == ENOENT && oci_spec_namespaces[i].flag == CLONE_NEWTIME)
				continue; /* a kernel without time namespaces */
			return oci_err_errno(err, errno, "container '%s': cannot inspect '%s'", id,
					     p);
		}
		snprintf(p + 6, sizeof(p) - 6, "self/ns/%s", oci_spec_namespaces[i].proc);
		if (stat(p, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, oci_spec_namespaces[i].proc);
		x->nsfds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (x->nsfds[i] < 0)
			return oci_err_errno(err, errno, "container '%s': cannot open '%s'", id, p);
		log_debug("exec: join the %s namespace '%s'", oci_spec_namespaces[i].type, p);
	}
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
	x->proot = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->proot < 0)
		return oci_err_errno(err, errno, "container '%s': cannot open its root", id);
	/* Everything above was opened through the recorded pid: make sure it is still the init. */
	if (!oci_proc_is(pid, x->st.pid_start, x->st.pid_ino, NULL))
		return oci_err(err, OCI_E_STATE, "cannot exec in a stopped container '%s'", id);
	/* Our lock is not needed any more: delete --force may proceed while the process runs. */
	flock(x->dirfd, LOCK_UN);
	return 0;
}

/* Phase 3: C, placed in the container's cgroups, joins and forks G. G is reparented to us
 * when C exits (we are a subreaper); with -d it goes on to our own subreaper. */
static int spawn(exec_ctx *x, oci_error *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sock) < 0)
		return oci_err_errno(err, errno, "socketpair");
	/* In the foreground without --tty, a terminal of the caller's is never handed to the
	 * process (runc hands it pipes there too): whatever it left behind would keep reading
	 * what is typed to the caller's shell, and writing and setting modes on that terminal,
	 * after exec returned. Other stdio (files, pipes, sockets) is handed on as it is. */
	for (int k = 0; k < 3 && !x->o->detach && !x->process.terminal; k++)
		if (isatty(k) && pipe2(x->relay[k], O_CLOEXEC) < 0)
			return oci_err_errno(err, errno, "pipe");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return oci_err_errno(err, errno, "cannot become a subreaper");
	oci_signals_block(&x->oldmask);
	x->blocked = true;
	/* execCPUAffinity.initial: C runs there from its first instruction, before it joins the
	 * container's cgroup; we get our own affinity back at once. */
	cpu_set_t own_cpus;
	bool initial = x->process.exec_cpu_initial != NULL &&
		       sched_getaffinity(0, sizeof(own_cpus), &own_cpus) == 0;
	if (initial && oci_process_set_affinity(x->process.exec_cpu_initial, "initial", err) < 0)
		return -1;
	int stdio[3] = {-1, -1, -1};
	for (int k = 0; k < 3; k++)
		if (x->relay[k][0] >= 0)
			stdio[k] = x->relay[k][k == 0 ? 0 : 1];
	x->c = fork();
	if (initial)
		sched_setaffinity(0, sizeof(own_cpus), &own_cpus);
	if (x->c < 0)
		return oci_err_errno(err, errno, "fork");
	if (x->c == 0) {
		close(x->sock[0]);
		join_and_fork(x->sock[1], x->nsfds, x->proot, stdio, &x->process, &x->cfg,
			      &x->seccomp, x->procfd, x->keyring, x->o);
	}
	oci_closep(&x->sock[1]);
	for (int k = 0; k < 3; k++)
		if (stdio[k] >= 0)
			oci_closep(&x->relay[k][k == 0 ? 0 : 1]);
	if (x->st.cgroups && oci_cgroup_enter(x->st.cgroups, x->c, err) < 0) {
		/* cgroup v2 takes no process into a cgroup that enabled domain controllers for
		 * its children, as a container may have made its own (systemd in one moves its
		 * processes into sub-cgroups first): C goes where the init is, as runc's exec. */
		if (err->sys_errno != EBUSY)
			return -1;
		oci_error e = OCI_ERROR_INIT;
		x->joined = oci_cgroup_enter_init_cgroup(x->st.cgroups, x->c, x->st.pid,
							 x->st.pid_start, x->st.pid_ino, &e);
		if (!x->joined) {
			oci_error busy = *err;
			oci_err_clear(err);
			oci_err(err, OCI_E_STATE, "%s, nor the init's: %s", busy.msg, e.msg);
			oci_err_clear(&busy);
			oci_err_clear(&e);
			return -1;
		}
		oci_err_clear(err);
		log_debug("exec: joined the init's cgroup '%s'", x->joined);
	}
	return oci_sync_send(x->sock[0], OCI_SYNC_GO, NULL, 0, -1, err);
}

/* Phase 4: the sync protocol shared with create, until both children closed the socket:
 * C's pid report, G's pty, seccomp notify fd or error. */
static int serve(exec_ctx *x, oci_error *err)
{
	cleanup_free char *state = oci_container_hook_state(&x->st, "running");
	if (!state)
		return oci_err(err, OCI_E_INTERNAL, "cannot build state");
	struct exec_children ch = {.c = &x->c,
				   .g = &x->g,
				   .seccomp = x->cfg.linux_.seccomp,
				   .state = state,
				   .notify_fd = -1,
				   .sock = -1,
				   .cgroups = x->st.cgroups,
				   .joined = x->joined,
				   .id = x->o->id,
				   .frozen = &x->frozen};
	oci_sync_server srv = {.console_socket = x->o->console_socket,
			       .master = -1,
			       .ready = exec_ready,
			       .seccomp = x->cfg.linux_.seccomp ? exec_seccomp : NULL,
			       /* --ignore-paused: waiting for a thaw is what was asked */
			       .idle = x->o->ignore_paused ? NULL : exec_idle,
			       .idle_ms = 1000,
			       .ctx = &ch};
	int r = oci_sync_serve(x->sock[0], &srv, err);
	x->master = srv.master;
	oci_closep(&ch.notify_fd);
	if (r < 0)
		return -1;
	if (x->g <= 0)
		return oci_err(err, OCI_E_STATE,
			       "the process could not be started in container '%s'", x->o->id);
	log_debug("exec: process %d started", (int)x->g);
	return 0;
}

/* Phase 5: the pid file; then -d returns (the process is our subreaper's), or the process
 * is waited for, signals forwarded and terminal relayed, and its status is ours. */
static int wait_or_detach(exec_ctx *x, int *exit_status, oci_error *err)
{
	if (x->o->pid_file && oci_process_write_pid_file(x->o->pid_file, x->g, err) < 0)
		return -1;
	/* G is our unreaped child (we are its subreaper, C is gone): its pid names it */
	if (x->o->pidfd_socket &&
	    oci_process_send_pidfd(x->o->pidfd_socket, x->g, "setns", err) < 0)
		return -1;
	pid_t g = x->g;
	x->g = -1; /* from here on not ours to kill */
	if (x->o->detach)
		return 0;
	int io[3] = {x->relay[0][1], x->relay[1][0], x->relay[2][0]};
	x->relay[0][1] = -1; /* oci_signals_wait_io closes it */
	return oci_signals_wait_io(g, x->master, io, exit_status, err);
}

int oci_container_exec(const oci_runtime *rt, const oci_exec_opts *o, int *exit_status,
		       oci_error *err)
{
	if (oci_process_check_preserved(o->preserve_fds, err) < 0)
		return -1;
	/* CVE-2019-5736: any process of the container that sees ours (the same uid after our
	 * exec, CAP_SYS_PTRACE in the container's config, another container sharing its pid
	 * namespace, an image whose entrypoint is /proc/self/exe) could reach our
	 * /proc/PID/exe, so exec always runs from the sealed copy, before any work is done. */
	if (oci_cloned_binary_ensure(err) < 0)
		return -1;
	exec_ctx x;
	exec_init(&x, o);
	int ret = load_container(rt, &x, err);
	if (ret == 0)
		ret = plan_joins(&x, err);
	if (ret == 0)
		ret = spawn(&x, err);
	if (ret == 0)
		ret = serve(&x, err);
	if (ret == 0)
		ret = wait_or_detach(&x, exit_status, err);
	exec_release(&x);
	return ret;
}
