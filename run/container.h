/* The container lifecycle as oci-run's commands see it: options of create/run, and the
 * operations on one container (create, start, kill, delete) built from the other modules. */
#ifndef OCI_RUN_CONTAINER_H
#define OCI_RUN_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

/* Global options of every command. */
typedef struct oci_run_global {
	const char *root; /* state root, default /run/oci-run */
	bool systemd_cgroup;
	bool debug;
} oci_run_global;

typedef struct oci_create_opts {
	const char *id;
	const char *bundle; /* absolute */
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	bool no_new_keyring;
	bool detach;	 /* run -d */
	bool foreground; /* run without -d: the runtime relays the terminal and waits */
	int preserve_fds;
} oci_create_opts;

/* create: the container's init is left waiting for start. With opts->foreground (run), the
 * container is also started and waited for; *exit_status receives its shell-style status. */
int oci_container_create(const oci_run_global *g, const oci_create_opts *opts, int *exit_status,
			 oci_error *err);
int oci_container_start(const oci_run_global *g, const char *id, oci_error *err);
int oci_container_kill(const oci_run_global *g, const char *id, int sig, bool all, oci_error *err);
int oci_container_delete(const oci_run_global *g, const char *id, bool force, oci_error *err);

/* The config's name of a namespace type (CLONE_NEW* flag): "network", "mount", ... */
const char *oci_ns_name(int flag);

/* Signal names with or without "SIG" and numbers. Returns the number or -1. */
int oci_signal_parse(const char *s, oci_error *err);
#endif
