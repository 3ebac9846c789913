/* The container process's execution environment: rlimits, user and groups, capabilities,
 * no_new_privs, umask, cwd, the executable found in the container's PATH, and an fd table
 * holding only stdio and the preserved fds; and the pid file the runtime writes for it. */
#ifndef OCI_RUN_PROCESS_H
#define OCI_RUN_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/error.h"

/* setrlimit for process.rlimits; a hard limit above ours that we cannot raise is a clear error. */
int oci_process_rlimits(const oci_process *p, oci_error *err);
/* process.scheduler (sched_setattr) and process.ioPriority (ioprio_set) on the calling
 * process, inherited by what it execs. */
int oci_process_sched(const oci_process *p, oci_error *err);
/* The calling process's CPU affinity from a validated cpu list ("0-3,7"; NULL or "": left
 * as it is); what names the field ("initial", "final") in the error. */
int oci_process_set_affinity(const char *list, const char *what, oci_error *err);
/* What the host must have for the config, checked before anything is created: linux.intelRdt
 * (refused in one line: no resctrl here, or not supported) and linux.resources.rdma (no driver
 * applies it). */
int oci_process_check_host(const oci_config *cfg, oci_error *err);
/* process.oomScoreAdj in two steps. open: *fd gets /proc/self/oom_score_adj of the runtime's
 * own /proc (-1 when the process has no value), taken before any namespace is joined and while
 * this process is still dumpable (its /proc files are then its own): once in the container's
 * mount namespace, /proc may be a mount of the container's making, and the value would go to a
 * file it chose while the process kept the runtime's score (CVE-2025-52881). write: the value
 * through that fd, as whoever this process is by then; its children inherit it. */
int oci_process_oom_open(const oci_process *p, int *fd, oci_error *err);
int oci_process_oom_score(const oci_process *p, int fd, oci_error *err);
/* linux.sysctl written under /proc/sys (inside the container, after pivot_root). */
int oci_process_sysctl(const oci_config *cfg, oci_error *err);
/* hostname, domainname, personality. */
int oci_process_identity(const oci_config *cfg, oci_error *err);
/* linux.personality alone (exec's processes get it too, as runc's setns init sets it). */
int oci_process_personality(const oci_config *cfg, oci_error *err);
/* Create cwd (inside the new root) if needed. */
int oci_process_make_cwd(const oci_process *p, oci_error *err);
/* Bounding set, the cwd (as root, or failing that as the user after the switch: runc's
 * fallback), groups, uid/gid, capability sets, ambient, umask; the cwd must lead inside the
 * root. Call oci_process_close_fds first: no runtime fd may be open when the cwd is resolved. */
int oci_process_set_user(const oci_process *p, oci_error *err);
/* env without the variables named in drop (NAME=... entries), then add[0..nadd-1] (strings
 * made for it, taken over): a new array holding env's other strings (the caller keeps or
 * frees the old array and the dropped strings), or NULL out of memory, when add is freed too. */
char **oci_process_env_replace(char *const *env, const char *const *drop, size_t ndrop, char **add,
			       size_t nadd, oci_error *err);
/* The environment to exec p with: process.env with HOME added where it has none or an empty
 * one, as runc and crun do: the home of p's uid in the container's /etc/passwd, "/" where the
 * uid has no entry or the file cannot be read (missing, not a regular file, too big: runc
 * treats an unreadable file as none). Called inside the container's root after the user
 * switch (runc reads it before: a passwd file only root may read gives '/' here), so that no
 * file the container could point the lookup at (a mount over /proc included) is opened with
 * more than the process's own rights; only a regular file is read (common/passwd.h). Returns
 * p->env itself when HOME is there, a new array otherwise (exec is next: never freed), or NULL
 * out of memory (err). */
char **oci_process_env_with_home(const oci_process *p, oci_error *err);
/* Socket activation (create's caller had LISTEN_FDS, runc's rule): env with LISTEN_FDS=n and
 * LISTEN_PID=getpid() in place of any it had, for the process this one is about to exec.
 * Returns env itself when n is 0, a new array otherwise (never freed), or NULL (err). */
char **oci_process_env_listen(char **env, int n, oci_error *err);
/* chdir(process.cwd), refused unless the result is inside our root (CVE-2024-21626). */
int oci_process_chdir(const oci_process *p, oci_error *err);
/* Close every fd except stdio, the preserved ones (3 .. 3+preserve_fds-1) and the at most 16
 * fds of keep[] (negative entries ignored): what the runtime itself still needs until exec. */
int oci_process_close_fds(int preserve_fds, const int *keep, size_t nkeep, oci_error *err);
/* Look args[0] up in the process's PATH (from its env). Returns a new string. */
char *oci_process_lookup(const oci_process *p, oci_error *err);
/* Before the runtime opens anything: fds 3 .. 3+preserve_fds-1 must be the caller's (open,
 * and not our log), or one of ours (a state or bundle directory) would take a free number
 * and be handed to the process as "preserved". */
int oci_process_check_preserved(int preserve_fds, oci_error *err);
/* Mark every fd >= 3 + preserve_fds close-on-exec, and clear it on the preserved ones. */
int oci_process_fds(int preserve_fds, oci_error *err);
/* no_new_privs when asked, then execve. Returns only on failure. */
int oci_process_exec(const oci_process *p, const char *path, oci_error *err);
/* The same, installing the seccomp filter late (after no_new_privs, just before execve). */
struct oci_seccomp;
int oci_process_exec_seccomp(const oci_process *p, const char *path, const struct oci_seccomp *late,
			     oci_error *err);
/* --pid-file of create and exec: pid in decimal without a newline (runc's), replaced
 * atomically so a reader never sees a partial number. */
int oci_process_write_pid_file(const char *path, pid_t pid, oci_error *err);
/* --pidfd-socket (runc 1.2): a pidfd of pid, which must be our unreaped child (so the pid
 * cannot name another process), sent to the unix socket at path with name as the message. */
int oci_process_send_pidfd(const char *path, pid_t pid, const char *name, oci_error *err);
/* Blank what the runtime was started with in the calling process, a fork of it that a
 * container's processes see before its exec: its command line (the state root, the bundle,
 * pid file, console socket and --process paths, --env values), which /proc/PID/cmdline shows
 * without any right over the process, and the caller's environment, which /proc/PID/environ
 * shows to the same uid while the process is dumpable, or to CAP_SYS_PTRACE (runc's helper
 * is a fresh "runc init"). The areas are the kernel's arg_start..env_end (/proc/self/stat
 * fields 48 to 51); the caller must not read argv or the environment afterwards. */
void oci_process_blank_cmdline(void);
#endif
