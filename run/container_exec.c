/* Exec: one more process in a created or running container, the way runc (and conmon and
 * containerd's shim through it) expect.
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
#include "run/process.h"
#include "run/seccomp.h"
#include "run/signals.h"
#include "run/state.h"
#include "run/sync.h"
#include "run/terminal.h"

/* The namespaces are joined in the order of common/spec.h's table. */
#define N_NS OCI_SPEC_N_NAMESPACES

/* ---- phase 2: the process, typed ---- */

/* Append a copy of s to the NULL-terminated list *v. */
static int strv_append(char ***v, const char *s, oci_error *err)
{
	size_t n = 0;
	while (*v && (*v)[n])
		n++;
	char **nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	*v = nv;
	nv[n] = strdup(s);
	nv[n + 1] = NULL;
	if (!nv[n])
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	return 0;
}

/* --process FILE: a runtime-spec process object through the checker config.json's process
 * goes through (runc: without a user it runs as root, whatever the config's user). */
static int process_from_file(const char *file, oci_process *out, oci_error *err)
{
	cleanup_json json_t *p = oci_json_load_file_at(AT_FDCWD, file, OCI_JSON_MAX_SIZE, err);
	if (!p)
		return oci_err_prefix(err, "--process");
	if (!json_is_object(p))
		return oci_err(err, OCI_E_INVALID, "--process '%s': expected a JSON object", file);
	if (!json_object_get(p, "user"))
		json_object_set_new(p, "user", json_pack("{s:i,s:i}", "uid", 0, "gid", 0));
	cleanup_json json_t *problems = json_array();
	int n = problems ? oci_config_load_process(p, out, problems, err) : -1;
	if (n > 0)
		oci_config_report(problems, n, "--process", err);
	return n == 0 ? 0 : -1;
}

/* The container's own process (checked with config.json), taken over, with exec's flags on
 * top (runc's rules): ARGS, --tty, --cwd, --env added, --user, --additional-gids replacing the
 * config's, --cap added to the bounding, effective and permitted sets, --no-new-privs. */
static int process_from_flags(const oci_exec_opts *o, oci_process *base, oci_process *out,
			      oci_error *err)
{
	*out = *base;
	memset(base, 0, sizeof(*base));
	oci_strvfreep(&out->args);
	out->args = NULL;
	for (int i = 0; i < o->nargs; i++)
		if (strv_append(&out->args, o->args[i], err) < 0)
			return -1;
	out->terminal = o->tty;
	if (o->cwd) {
		free(out->cwd);
		if (!(out->cwd = oci_strdup(o->cwd, err)))
			return -1;
	}
	size_t i;
	json_t *v;
	json_array_foreach(o->env, i,
			   v) if (strv_append(&out->env, json_string_value(v), err) < 0) return -1;
	if (o->no_new_privs)
		out->no_new_privileges = true;
	if (o->user) {
		uint64_t uid, gid = 0;
		char ubuf[32];
		const char *colon = strchr(o->user, ':');
		snprintf(ubuf, sizeof(ubuf), "%.*s",
			 colon ? (int)(colon - o->user) : (int)strlen(o->user), o->user);
		if (oci_parse_u64(ubuf, UINT32_MAX, &uid) < 0 ||
		    (colon && oci_parse_u64(colon + 1, UINT32_MAX, &gid) < 0))
			return oci_err(err, OCI_E_INVALID,
				       "--user: expected UID[:GID] (numbers), got '%s'", o->user);
		out->user.uid = (uint32_t)uid;
		if (colon)
			out->user.gid = (uint32_t)gid;
	}
	if (json_array_size(o->gids)) {
		gid_t *g = calloc(json_array_size(o->gids), sizeof(gid_t));
		if (!g)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
		free(out->user.additional_gids);
		out->user.additional_gids = g;
		out->user.n_additional_gids = 0;
		json_array_foreach(o->gids, i, v) g[out->user.n_additional_gids++] =
		    (gid_t)json_integer_value(v);
	}
	json_array_foreach(o->caps, i, v)
	{
		/* The names config.json's capabilities may hold, from the same table. */
		const char *name = json_string_value(v);
		char norm[64];
		if (strncmp(name, "CAP_", 4) ||
		    oci_spec_capability_name(name, norm, sizeof(norm)) < 0 || strcmp(norm, name))
			return oci_err(err, OCI_E_INVALID, "--cap: unknown capability '%s'", name);
		const enum oci_config_capset sets[] = {OCI_CAPS_BOUNDING, OCI_CAPS_EFFECTIVE,
						       OCI_CAPS_PERMITTED};
		for (size_t k = 0; k < ARRAY_SIZE(sets); k++)
			if (strv_append(&out->caps[sets[k]], name, err) < 0)
				return -1;
	}
	return 0;
}

/* The container's session keyring (named as the init named it), so that the caller's keys
 * never reach the process; kernels or users without keyrings are fine. */
static void join_keyring(const char *id)
{
	char name[1100];
	snprintf(name, sizeof(name), "_ses.%s", id);
	syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
}

static __attribute__((noreturn)) void child_fail(int sync, const oci_error *err, int code)
{
	oci_sync_send(sync, OCI_SYNC_ERROR, err->msg, strlen(err->msg), -1, NULL);
	_exit(code);
}

/* G: inside every namespace; finish the process and exec it. */
static __attribute__((noreturn)) void exec_process(int sync, const oci_process *process,
						   const oci_seccomp *seccomp,
						   const oci_exec_opts *o)
{
	oci_error err = OCI_ERROR_INIT;
	if (oci_process_oom_score(process, &err) < 0 || oci_process_rlimits(process, &err) < 0)
		child_fail(sync, &err, 1);
	join_keyring(o->id);
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
	if (!nnp && oci_seccomp_load(seccomp, &err) < 0)
		child_fail(sync, &err, 1);
	/* The state root and directory, the namespace fds and the init's root are host
	 * directories: none may be open when the cwd is resolved (CVE-2024-21626). */
	int keep[] = {sync, oci_log_fd()};
	if (oci_process_close_fds(o->preserve_fds, keep, ARRAY_SIZE(keep), &err) < 0 ||
	    oci_process_set_user(process, &err) < 0)
		child_fail(sync, &err, 1);
	cleanup_free char *exe = oci_process_lookup(process, &err);
	if (!exe)
		child_fail(sync, &err, 127);
	if (oci_process_fds(o->preserve_fds, &err) < 0)
		child_fail(sync, &err, 1);
	oci_signals_reset();
	oci_process_exec_seccomp(process, exe, nnp ? seccomp : NULL, &err);
	child_fail(sync, &err, err.sys_errno == ENOENT ? 127 : 126);
}

/* C: join the namespaces and the init's root, fork G, report its pid and exit. */
static __attribute__((noreturn)) void join_and_fork(int sync, const int *nsfds, int rootfd,
						    const oci_process *process,
						    const oci_seccomp *seccomp,
						    const oci_exec_opts *o)
{
	oci_error err = OCI_ERROR_INIT;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Nothing in the container may open our /proc/PID/exe (CVE-2019-5736). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* The state root and directory are host directories: with CAP_SYS_PTRACE (or a pid
	 * namespace shared with another container) a process of the container opens
	 * /proc/G/fd/N and walks '..' to the host's root. Only what joining needs stays, and
	 * that goes too before G exists (CVE-2024-21626 class). */
	int keep[N_NS + 3];
	size_t nkeep = 0;
	keep[nkeep++] = sync;
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
	}
	if (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		oci_err_errno(&err, errno, "cannot enter the container's root");
		child_fail(sync, &err, 1);
	}
	for (size_t i = 0; i < N_NS; i++)
		if (nsfds[i] >= 0)
			close(nsfds[i]);
	close(rootfd);
	pid_t g = fork();
	if (g < 0) {
		oci_err_errno(&err, errno, "cannot fork in the container");
		child_fail(sync, &err, 1);
	}
	if (g == 0) {
		prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
		exec_process(sync, process, seccomp, o);
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)g);
	oci_sync_send(sync, OCI_SYNC_READY, buf, (size_t)n, -1, NULL);
	_exit(0);
}

/* C reported G's pid (and exits): G is ours now, as a subreaper's. */
struct exec_children {
	pid_t *c, *g;
};

static int exec_ready(void *ctx, const char *payload, oci_error *err)
{
	struct exec_children *ch = ctx;
	*ch->g = (pid_t)atoi(payload);
	waitpid(*ch->c, NULL, 0);
	*ch->c = -1;
	return 0;
}

/* One exec, phase by phase (as create's, run/container_create.c): what each phase made is
 * here, and exec_release undoes it on every path. */
typedef struct exec_ctx {
	const oci_exec_opts *o;
	oci_state st;
	int dirfd, rootfd; /* the container's state directory (locked) and the state root */
	oci_config cfg;	   /* config.json, typed: the base process and the seccomp profile */
	oci_process process;
	oci_seccomp seccomp;
	int nsfds[N_NS]; /* the init's namespaces that differ from ours, in the table's order */
	int proot;	 /* the init's root */
	int sock[2];
	int master;
	pid_t c, g; /* the joining child, the process */
	sigset_t oldmask;
	bool blocked;
} exec_ctx;

static void exec_init(exec_ctx *x, const oci_exec_opts *o)
{
	memset(x, 0, sizeof(*x));
	x->o = o;
	x->dirfd = x->rootfd = x->proot = x->master = -1;
	x->sock[0] = x->sock[1] = -1;
	x->c = x->g = -1;
	for (size_t i = 0; i < N_NS; i++)
		x->nsfds[i] = -1;
}

static void exec_release(exec_ctx *x, bool failed)
{
	if (failed && x->g > 0) {
		kill(x->g, SIGKILL);
		waitpid(x->g, NULL, 0);
	}
	if (x->c > 0) {
		kill(x->c, SIGKILL);
		waitpid(x->c, NULL, 0);
	}
	for (size_t i = 0; i < N_NS; i++)
		oci_closep(&x->nsfds[i]);
	oci_closep(&x->proot);
	oci_closep(&x->sock[0]);
	oci_closep(&x->sock[1]);
	oci_closep(&x->master);
	if (x->blocked)
		sigprocmask(SIG_SETMASK, &x->oldmask, NULL);
	oci_seccomp_release(&x->seccomp);
	oci_config_process_release(&x->process);
	oci_config_release(&x->cfg);
	oci_state_release(&x->st);
	oci_closep(&x->dirfd);
	oci_closep(&x->rootfd);
}

/* Phase 1: the container (created, running, or paused with --ignore-paused) and its config,
 * checked by the walk create's went through. */
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
	cleanup_free char *file = oci_asprintf(err, "%s/config.json", x->st.bundle);
	if (!file)
		return -1;
	cleanup_json json_t *spec = oci_json_load_file_at(AT_FDCWD, file, OCI_JSON_MAX_SIZE, err);
	if (!spec)
		return oci_err_prefix(err, "container '%s': bundle '%s'", o->id, x->st.bundle);
	cleanup_json json_t *problems = json_array();
	int n = problems ? oci_config_load(spec, -1, &x->cfg, problems, err) : -1;
	if (n > 0)
		oci_config_report(problems, n, "config.json", err);
	if (n != 0)
		return oci_err_prefix(err, "container '%s'", o->id);
	if (oci_seccomp_compile(x->cfg.linux_.seccomp, x->rootfd, &x->seccomp, err) < 0)
		return oci_err_prefix(err, "container '%s': config.json", o->id);
	log_debug("exec in container '%s' (init pid %d, bundle '%s')", o->id, (int)x->st.pid,
		  x->st.bundle);
	return 0;
}

/* Phase 2: the process to run, typed, and the terminal rules of runc. */
static int build_process(exec_ctx *x, oci_error *err)
{
	const oci_exec_opts *o = x->o;
	int r = o->process_file ? process_from_file(o->process_file, &x->process, err)
				: process_from_flags(o, &x->cfg.process, &x->process, err);
	if (r < 0)
		return -1;
	if (x->process.terminal && o->detach && !o->console_socket)
		return oci_err(
		    err, OCI_E_INVALID,
		    "cannot allocate tty if oci-run will detach without setting console socket");
	if (!x->process.terminal && o->console_socket)
		return oci_err(
		    err, OCI_E_INVALID,
		    "cannot use console socket if oci-run will not detach or allocate tty");
	log_debug("exec process '%s' as uid %u gid %u in '%s'%s", x->process.args[0],
		  x->process.user.uid, x->process.user.gid, x->process.cwd ? x->process.cwd : "/",
		  x->process.terminal ? ", on a pty" : "");
	return 0;
}

/* Phase 3: the init's namespaces that differ from ours, and its root, opened through its
 * pid, which must still be the init's afterwards. */
static int open_namespaces(exec_ctx *x, oci_error *err)
{
	const char *id = x->o->id;
	pid_t pid = x->st.pid;
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
		log_debug("namespace %s: join '%s'", oci_spec_namespaces[i].type, p);
	}
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
	x->proot = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->proot < 0)
		return oci_err_errno(err, errno, "container '%s': cannot open its root", id);
	if (oci_proc_start_time(pid, NULL) != x->st.pid_start)
		return oci_err(err, OCI_E_STATE, "cannot exec in a stopped container '%s'", id);
	/* Our lock is not needed any more: delete --force may proceed while the process runs. */
	flock(x->dirfd, LOCK_UN);
	return 0;
}

/* Phase 4: C, placed in the container's cgroups, joins and forks G. G is reparented to us
 * when C exits (we are a subreaper); with -d it goes on to our own subreaper. */
static int spawn(exec_ctx *x, oci_error *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sock) < 0)
		return oci_err_errno(err, errno, "socketpair");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return oci_err_errno(err, errno, "cannot become a subreaper");
	oci_signals_block(&x->oldmask);
	x->blocked = true;
	x->c = fork();
	if (x->c < 0)
		return oci_err_errno(err, errno, "fork");
	if (x->c == 0) {
		close(x->sock[0]);
		join_and_fork(x->sock[1], x->nsfds, x->proot, &x->process, &x->seccomp, x->o);
	}
	oci_closep(&x->sock[1]);
	if (x->st.cgroups && oci_cgroup_enter(x->st.cgroups, x->c, err) < 0)
		return -1;
	return oci_sync_send(x->sock[0], OCI_SYNC_GO, NULL, 0, -1, err);
}

/* Phase 5: the sync protocol shared with create, until both children closed the socket: C's
 * pid report, G's pty or error. */
static int serve(exec_ctx *x, oci_error *err)
{
	struct exec_children ch = {.c = &x->c, .g = &x->g};
	oci_sync_server srv = {
	    .console_socket = x->o->console_socket, .master = -1, .ready = exec_ready, .ctx = &ch};
	int r = oci_sync_serve(x->sock[0], &srv, err);
	x->master = srv.master;
	if (r < 0)
		return -1;
	if (x->g <= 0)
		return oci_err(err, OCI_E_STATE,
			       "the process could not be started in container '%s'", x->o->id);
	log_debug("exec process started: pid %d", (int)x->g);
	return 0;
}

/* Phase 6: the pid file, then -d returns, or the process is waited for (signals forwarded,
 * terminal relayed) and its status is ours. */
static int finish(exec_ctx *x, int *exit_status, oci_error *err)
{
	if (x->o->pid_file && oci_process_write_pid_file(x->o->pid_file, x->g, err) < 0)
		return -1;
	pid_t g = x->g;
	x->g = -1; /* from here on it is not ours to kill */
	if (x->o->detach)
		return 0;
	return oci_signals_wait(g, x->master, exit_status, err);
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
		ret = build_process(&x, err);
	if (ret == 0)
		ret = open_namespaces(&x, err);
	if (ret == 0)
		ret = spawn(&x, err);
	if (ret == 0)
		ret = serve(&x, err);
	if (ret == 0)
		ret = finish(&x, exit_status, err);
	exec_release(&x, ret < 0);
	return ret;
}
