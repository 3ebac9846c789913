/* The container lifecycle library: every operation on one container (create, start, kill,
 * delete, exec, pause/resume, update, its pids and state), taking a small runtime context
 * instead of a command line. run/cmd/ holds the commands that parse options and call these.
 *
 * Where each operation lives: run/container.c (start, kill, delete, state, list, pids,
 * pause/resume), run/container_create.c (create and run), run/container_exec.c (exec),
 * run/container_update.c (update). A new operation (events, checkpoint/restore) gets its own
 * run/container_<name>.c, a declaration here and a command in run/cmd/<name>.c. */
#ifndef OCI_RUN_CONTAINER_H
#define OCI_RUN_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/spec_resources.h"

/* What every operation needs to know about the runtime itself (runc's global options). */
typedef struct oci_runtime {
	const char *root; /* state root, default /run/oci-run */
	const char *criu; /* --criu: the criu binary (default: criu on PATH) */
	bool systemd_cgroup;
	bool debug;
} oci_runtime;

typedef struct oci_create_opts {
	const char *id;
	const char *bundle; /* absolute */
	const char *pid_file;
	const char *console_socket;
	const char *pidfd_socket; /* runc 1.2: a pidfd of the init goes there */
	bool no_pivot;
	bool no_new_keyring;
	bool detach;	  /* run -d */
	bool foreground;  /* run without -d: the runtime relays the terminal and waits */
	int preserve_fds; /* every fd passed after stdio: listen_fds + --preserve-fds */
	int listen_fds;	  /* the first of them, socket activation's (LISTEN_FDS, LISTEN_PID) */
	bool keep;	  /* run without -d: leave the stopped container for delete (run --keep) */
	/* run without -d: the caller made itself a child subreaper (runc's default) before
	 * create, so the container's orphans reparent to it; the wait reaps them */
	bool subreaper;
	/* NOTIFY_SOCKET's value (NULL: unset): the sd_notify relay of run/notify.h */
	const char *notify_socket;
} oci_create_opts;

/* create: the container's init is left waiting for start. With opts->foreground (run), the
 * container is also started and waited for; *exit_status receives its shell-style status. */
int oci_container_create(const oci_runtime *rt, const oci_create_opts *opts, int *exit_status,
			 oci_error *err);
int oci_container_start(const oci_runtime *rt, const char *id, oci_error *err);
int oci_container_kill(const oci_runtime *rt, const char *id, int sig, bool all, oci_error *err);
int oci_container_delete(const oci_runtime *rt, const char *id, bool force, oci_error *err);

/* runc's state JSON of one container (the one `state` prints). */
json_t *oci_container_state(const oci_runtime *rt, const char *id, oci_error *err);
/* The caller's containers in id order, as runc's `list --format json` entries (with owner);
 * one that cannot be read is warned about and left out. */
json_t *oci_container_list(const oci_runtime *rt, oci_error *err);
/* Host pids of the container's processes (none when it has stopped); *pids is malloc'd. */
int oci_container_pids(const oci_runtime *rt, const char *id, pid_t **pids, size_t *n,
		       oci_error *err);
/* Freeze (pause) or thaw (resume) every process of the container. */
int oci_container_pause(const oci_runtime *rt, const char *id, oci_error *err);
int oci_container_resume(const oci_runtime *rt, const char *id, oci_error *err);
/* Write what resources asks (parsed from runtime-spec linux.resources) into the container's
 * cgroups. */
int oci_container_update(const oci_runtime *rt, const char *id, const oci_resources *resources,
			 oci_error *err);

typedef struct oci_exec_opts {
	const char *id;
	const char *process_file; /* the process as runtime-spec JSON (no overrides then) */
	const char *pid_file;
	const char *console_socket;
	const char *pidfd_socket; /* runc 1.2: a pidfd of the process goes there */
	/* Overrides of the container's own process (runc's rules). */
	const char *cwd;
	const char *user; /* UID[:GID] */
	/* LSM labels of the process (--apparmor, --process-label), also over a --process file */
	const char *apparmor, *process_label;
	bool detach, tty, no_new_privs, ignore_paused;
	int preserve_fds;
	/* Repeatable overrides in the order given: NAME=VALUE entries, capability names, group
	 * ids (n_* of each, 0: none). */
	const char *const *env, *const *caps;
	const gid_t *gids;
	size_t n_env, n_caps, n_gids;
	char **args;
	int nargs;
} oci_exec_opts;

/* Run one more process in a created or running container. Without o->detach it is waited
 * for and *exit_status receives its shell-style status. */
int oci_container_exec(const oci_runtime *rt, const oci_exec_opts *o, int *exit_status,
		       oci_error *err);

/* events (run/container_events.c): runc's event lines ({"type":"stats"|"oom","id":ID,...},
 * one JSON object without a newline) handed to emit, which returns -1 with err to stop. With
 * once, one stats event; else a stats event every interval_ns and an oom event for each OOM
 * kill the container's memory cgroup counts, until the container stops. A stopped or missing
 * container is an error. */
typedef int oci_event_fn(const char *line, void *arg, oci_error *err);
int oci_container_events(const oci_runtime *rt, const char *id, bool once, uint64_t interval_ns,
			 oci_event_fn *emit, void *arg, oci_error *err);

/* checkpoint/restore (run/container_checkpoint.c), through CRIU with runc's options. */
typedef struct oci_criu_opts {
	const char *image_path;		 /* required */
	const char *work_path;		 /* default: image_path */
	const char *parent_path;	 /* previous (pre-)dump, relative to image_path */
	const char *manage_cgroups_mode; /* soft, full, strict, ignore; NULL: runc's default */
	bool leave_running, tcp_established, ext_unix_sk, shell_job, file_locks, pre_dump,
	    auto_dedup;
	unsigned empty_ns; /* --empty-ns: CLONE_NEW* flags of namespaces made empty (network) */
} oci_criu_opts;
/* The CRIU cgroup mode of a --manage-cgroups-mode name, or -1 with err. */
int oci_criu_cg_mode(const char *name, oci_error *err);
/* Dump a running container's processes into o->image_path; without leave_running or
 * pre_dump the container is then gone (as runc). CRIU's reason is in err on failure. */
int oci_container_checkpoint(const oci_runtime *rt, const char *id, const oci_criu_opts *o,
			     oci_error *err);
typedef struct oci_restore_opts {
	const char *id;
	const char *bundle; /* absolute */
	const char *pid_file;
	const char *console_socket; /* receives the restored terminal's pty master */
	bool detach;
	/* without detach: the process that waits for the restored init is a child subreaper
	 * (runc's default; --no-subreaper: false) and reaps the container's orphans */
	bool subreaper;
	oci_criu_opts criu;
} oci_restore_opts;
/* A new container id from bundle with the processes of a checkpoint. Without detach it is
 * waited for (*exit_status) and removed, as run. */
int oci_container_restore(const oci_runtime *rt, const oci_restore_opts *o, int *exit_status,
			  oci_error *err);

/* Signal names with or without "SIG" and numbers. Returns the number or -1. */
int oci_signal_parse(const char *s, oci_error *err);
#endif
