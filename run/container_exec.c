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
#include "run/container_internal.h"
#include "run/lsm.h"
#include "run/process.h"
#include "run/seccomp.h"
#include "run/signals.h"
#include "run/state.h"
#include "run/sync.h"
#include "run/terminal.h"

/* The namespaces are joined in the order of common/spec.h's table. */
#define N_NS OCI_SPEC_N_NAMESPACES

/* The process to run: the --process file as it is, or the container's own process with
 * ARGS and the command-line overrides (runc's rules). */
static json_t *build_process(const oci_exec_opts *o, json_t *spec, oci_error *err)
{
	json_t *p;
	if (o->process_file) {
		p = oci_json_load_file_at(AT_FDCWD, o->process_file, OCI_JSON_MAX_SIZE, err);
		if (!p)
			return oci_err_prefix(err, "--process"), NULL;
		if (!json_is_object(p)) {
			json_decref(p);
			return oci_err(err, OCI_E_INVALID, "--process '%s': expected a JSON object",
				       o->process_file),
			       NULL;
		}
		/* runc: a process without a user runs as root, whatever the config's user. */
		if (!json_object_get(p, "user"))
			json_object_set_new(p, "user", json_pack("{s:i,s:i}", "uid", 0, "gid", 0));
		return p;
	}
	json_t *base = json_object_get(spec, "process");
	p = base ? json_deep_copy(base) : json_object();
	json_t *args = json_array();
	for (int i = 0; i < o->nargs; i++)
		json_array_append_new(args, json_string(o->args[i]));
	json_object_set_new(p, "args", args);
	json_object_set_new(p, "terminal", json_boolean(o->tty));
	if (o->cwd)
		json_object_set_new(p, "cwd", json_string(o->cwd));
	if (json_array_size(o->env)) {
		json_t *env = json_object_get(p, "env");
		if (!json_is_array(env))
			json_object_set_new(p, "env", env = json_array());
		json_array_extend(env, o->env);
	}
	if (o->no_new_privs)
		json_object_set_new(p, "noNewPrivileges", json_true());
	json_t *user = json_object_get(p, "user");
	if (!json_is_object(user))
		json_object_set_new(p, "user", user = json_object());
	if (o->user) {
		uint64_t uid, gid;
		char ubuf[32];
		const char *colon = strchr(o->user, ':');
		snprintf(ubuf, sizeof(ubuf), "%.*s",
			 colon ? (int)(colon - o->user) : (int)strlen(o->user), o->user);
		if (oci_parse_u64(ubuf, UINT32_MAX, &uid) < 0 ||
		    (colon && oci_parse_u64(colon + 1, UINT32_MAX, &gid) < 0)) {
			json_decref(p);
			return oci_err(err, OCI_E_INVALID,
				       "--user: expected UID[:GID] (numbers), got '%s'", o->user),
			       NULL;
		}
		json_object_set_new(user, "uid", json_integer((json_int_t)uid));
		if (colon)
			json_object_set_new(user, "gid", json_integer((json_int_t)gid));
	}
	if (json_array_size(o->gids))
		json_object_set(user, "additionalGids", o->gids);
	if (json_array_size(o->caps)) {
		json_t *caps = json_object_get(p, "capabilities");
		if (!json_is_object(caps))
			json_object_set_new(p, "capabilities", caps = json_object());
		const char *sets[] = {"bounding", "effective", "permitted"};
		for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
			json_t *s = json_object_get(caps, sets[i]);
			if (!json_is_array(s))
				json_object_set_new(caps, sets[i], s = json_array());
			json_array_extend(s, o->caps);
		}
	}
	return p;
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
						   const oci_seccomp *seccomp, int procfd,
						   const oci_exec_opts *o)
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
	if (oci_process_oom_score(process, &err) < 0 || oci_process_rlimits(process, &err) < 0 ||
	    oci_process_sched(process, &err) < 0 ||
	    oci_process_set_affinity(process->exec_cpu_final, "final", &err) < 0)
		child_fail(sync, &err, 1);
	if (oci_lsm_set_keycreate(&lsm, process, &err) < 0)
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
	if (oci_process_close_fds(o->preserve_fds, keep, ARRAY_SIZE(keep), &err) < 0 ||
	    oci_process_set_user(process, &err) < 0)
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
	oci_process_exec_seccomp(&p, exe, NULL, &err);
	child_fail(sync, &err, err.sys_errno == ENOENT ? 127 : 126);
}

/* C: join the namespaces and the init's root, fork G, report its pid and exit. */
static __attribute__((noreturn)) void join_and_fork(int sync, const int *nsfds, int rootfd,
						    const oci_process *process,
						    const oci_seccomp *seccomp, int procfd,
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
	int keep[N_NS + 4];
	size_t nkeep = 0;
	keep[nkeep++] = sync;
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
	pid_t g = fork();
	if (g < 0) {
		oci_err_errno(&err, errno, "cannot fork in the container");
		child_fail(sync, &err, 1);
	}
	if (g == 0) {
		prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
		exec_process(sync, process, seccomp, procfd, o);
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
	cleanup_close int rootfd = -1;
	oci_state st;
	cleanup_close int dirfd = oci_state_load(rt->root, o->id, false, &rootfd, &st, err);
	if (dirfd < 0)
		return -1;
	int ret = -1;
	int nsfds[N_NS];
	int socks[2] = {-1, -1};
	int proot = -1, master = -1, procfd = -1;
	pid_t c = -1, gpid = -1;
	sigset_t oldmask;
	bool blocked = false;
	cleanup_json json_t *process_json = NULL, *spec = NULL;
	oci_config cfg;
	oci_process process;
	memset(&cfg, 0, sizeof(cfg));
	memset(&process, 0, sizeof(process));
	cleanup_seccomp oci_seccomp seccomp;
	memset(&seccomp, 0, sizeof(seccomp));
	for (size_t i = 0; i < N_NS; i++)
		nsfds[i] = -1;

	int status = oci_state_status(dirfd, &st);
	if (status == OCI_STATUS_PAUSED && !o->ignore_paused) {
		oci_err(err, OCI_E_STATE,
			"cannot exec in a paused container '%s' (use --ignore-paused to override)",
			o->id);
		goto out;
	}
	if (status != OCI_STATUS_RUNNING && status != OCI_STATUS_CREATED &&
	    status != OCI_STATUS_PAUSED) {
		oci_err(err, OCI_E_STATE, "cannot exec in a stopped container '%s'", o->id);
		goto out;
	}
	{
		/* The container's config: the base of the process and its seccomp profile. */
		cleanup_free char *file = oci_asprintf(err, "%s/config.json", st.bundle);
		if (!file)
			goto out;
		spec = oci_json_load_file_at(AT_FDCWD, file, OCI_JSON_MAX_SIZE, err);
		if (!spec) {
			oci_err_prefix(err, "container '%s': bundle '%s'", o->id, st.bundle);
			goto out;
		}
	}
	{
		/* Both through the walk create's config went through: the config for its process
		 * and seccomp profile, the process (--process FILE, or the config's with the
		 * flags) through the same process checker. */
		cleanup_json json_t *problems = json_array();
		int n = problems ? oci_config_load(spec, -1, &cfg, problems, err) : -1;
		if (n != 0) {
			if (n > 0)
				oci_config_report(problems, n, "config.json", err);
			oci_err_prefix(err, "container '%s'", o->id);
			goto out;
		}
		process_json = build_process(o, spec, err);
		if (!process_json)
			goto out;
		if (o->apparmor)
			json_object_set_new(process_json, "apparmorProfile",
					    json_string(o->apparmor));
		if (o->process_label)
			json_object_set_new(process_json, "selinuxLabel",
					    json_string(o->process_label));
		json_array_clear(problems);
		n = oci_config_load_process(process_json, &process, problems, err);
		if (n > 0)
			oci_config_report(problems, n,
					  o->process_file ? "--process" : "the process to exec",
					  err);
		if (n != 0)
			goto out;
	}
	if (oci_lsm_check(&process, NULL, err) < 0) {
		oci_err_prefix(err, "container '%s'", o->id);
		goto out;
	}
	procfd = oci_lsm_open_procfs(&process, err);
	if (procfd == -2)
		goto out;
	if (oci_seccomp_compile(cfg.linux_.seccomp, rootfd, &seccomp, err) < 0) {
		oci_err_prefix(err, "container '%s': config.json", o->id);
		goto out;
	}
	bool terminal = process.terminal;
	if (terminal && o->detach && !o->console_socket) {
		oci_err(
		    err, OCI_E_INVALID,
		    "cannot allocate tty if oci-run will detach without setting console socket");
		goto out;
	}
	if (!terminal && o->console_socket) {
		oci_err(err, OCI_E_INVALID,
			"cannot use console socket if oci-run will not detach or allocate tty");
		goto out;
	}

	/* The init's namespaces that differ from ours, and its root. */
	for (size_t i = 0; i < N_NS; i++) {
		char p[64];
		struct stat a, b;
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)st.pid, oci_spec_namespaces[i].proc);
		if (stat(p, &a) < 0) {
			if (errno == ENOENT && oci_spec_namespaces[i].flag == CLONE_NEWTIME)
				continue; /* a kernel without time namespaces */
			oci_err_errno(err, errno, "container '%s': cannot inspect '%s'", o->id, p);
			goto out;
		}
		snprintf(p + 6, sizeof(p) - 6, "self/ns/%s", oci_spec_namespaces[i].proc);
		if (stat(p, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)st.pid, oci_spec_namespaces[i].proc);
		nsfds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (nsfds[i] < 0) {
			oci_err_errno(err, errno, "container '%s': cannot open '%s'", o->id, p);
			goto out;
		}
	}
	{
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/root", (int)st.pid);
		proot = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (proot < 0) {
			oci_err_errno(err, errno, "container '%s': cannot open its root", o->id);
			goto out;
		}
	}
	/* Everything above was opened through the recorded pid: make sure it is still the init. */
	if (oci_proc_start_time(st.pid, NULL) != st.pid_start) {
		oci_err(err, OCI_E_STATE, "cannot exec in a stopped container '%s'", o->id);
		goto out;
	}
	/* Our lock is not needed any more: delete --force may proceed while the process runs. */
	flock(dirfd, LOCK_UN);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) {
		oci_err_errno(err, errno, "socketpair");
		goto out;
	}
	/* G is reparented to us when C exits; with -d it goes on to our own subreaper. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		oci_err_errno(err, errno, "cannot become a subreaper");
		goto out;
	}
	oci_signals_block(&oldmask);
	blocked = true;
	/* execCPUAffinity.initial: C runs there from its first instruction, before it joins the
	 * container's cgroup; we get our own affinity back at once. */
	cpu_set_t own_cpus;
	bool initial = process.exec_cpu_initial != NULL &&
		       sched_getaffinity(0, sizeof(own_cpus), &own_cpus) == 0;
	if (initial && oci_process_set_affinity(process.exec_cpu_initial, "initial", err) < 0)
		goto out;
	c = fork();
	if (initial)
		sched_setaffinity(0, sizeof(own_cpus), &own_cpus);
	if (c < 0) {
		oci_err_errno(err, errno, "fork");
		goto out;
	}
	if (c == 0) {
		close(socks[0]);
		join_and_fork(socks[1], nsfds, proot, &process, &seccomp, procfd, o);
	}
	close(socks[1]);
	socks[1] = -1;
	if ((st.cgroups && oci_cgroup_enter(st.cgroups, c, err) < 0) ||
	    oci_sync_send(socks[0], OCI_SYNC_GO, NULL, 0, -1, err) < 0)
		goto out;
	/* Messages until both children closed the socket: C's pid report, G's pty or error. */
	{
		cleanup_free char *state = oci_container_hook_state(&st, "running");
		struct exec_children ch = {.c = &c,
					   .g = &gpid,
					   .seccomp = cfg.linux_.seccomp,
					   .state = state,
					   .notify_fd = -1,
					   .sock = -1};
		if (!state) {
			oci_err(err, OCI_E_INTERNAL, "cannot build state");
			goto out;
		}
		oci_sync_server srv = {.console_socket = o->console_socket,
				       .master = -1,
				       .ready = exec_ready,
				       .seccomp = cfg.linux_.seccomp ? exec_seccomp : NULL,
				       .ctx = &ch};
		int r = oci_sync_serve(socks[0], &srv, err);
		master = srv.master;
		if (ch.notify_fd >= 0)
			close(ch.notify_fd);
		if (r < 0)
			goto out;
	}
	if (gpid <= 0) {
		oci_err(err, OCI_E_STATE, "the process could not be started in container '%s'",
			o->id);
		goto out;
	}
	if (o->pid_file && oci_process_write_pid_file(o->pid_file, gpid, err) < 0)
		goto out;
	if (o->detach) {
		gpid = -1;
		ret = 0;
		goto out;
	}
	ret = oci_signals_wait(gpid, master, exit_status, err);
	gpid = -1;

out:
	if (ret < 0 && gpid > 0) {
		kill(gpid, SIGKILL);
		waitpid(gpid, NULL, 0);
	}
	if (c > 0) {
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
	}
	for (size_t i = 0; i < N_NS; i++)
		if (nsfds[i] >= 0)
			close(nsfds[i]);
	if (proot >= 0)
		close(proot);
	if (procfd >= 0)
		close(procfd);
	if (socks[0] >= 0)
		close(socks[0]);
	if (socks[1] >= 0)
		close(socks[1]);
	if (master >= 0)
		close(master);
	if (blocked)
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
	oci_config_process_release(&process);
	oci_config_release(&cfg);
	oci_state_release(&st);
	return ret;
}
