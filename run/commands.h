/* One function per oci-run command: parses its options and calls the lifecycle modules.
 * Each returns the process exit status (>= 0) or -1 with err set. */
#ifndef OCI_RUN_COMMANDS_H
#define OCI_RUN_COMMANDS_H

#include "common/error.h"
#include "run/container.h"

int oci_cmd_create(const oci_run_global *g, int argc, char **argv, oci_error *err);
int oci_cmd_run(const oci_run_global *g, int argc, char **argv, oci_error *err);
int oci_cmd_start(const oci_run_global *g, int argc, char **argv, oci_error *err);
int oci_cmd_state(const oci_run_global *g, int argc, char **argv, oci_error *err);
int oci_cmd_list(const oci_run_global *g, int argc, char **argv, oci_error *err);
int oci_cmd_kill(const oci_run_global *g, int argc, char **argv, oci_error *err);
int oci_cmd_delete(const oci_run_global *g, int argc, char **argv, oci_error *err);
int oci_cmd_spec(const oci_run_global *g, int argc, char **argv, oci_error *err);
/* run/exec.c */
int oci_cmd_exec(const oci_run_global *g, int argc, char **argv, oci_error *err);
/* run/ps.c */
int oci_cmd_ps(const oci_run_global *g, int argc, char **argv, oci_error *err);
/* run/freezer.c */
int oci_cmd_pause(const oci_run_global *g, int argc, char **argv, oci_error *err);
int oci_cmd_resume(const oci_run_global *g, int argc, char **argv, oci_error *err);
/* run/update.c */
int oci_cmd_update(const oci_run_global *g, int argc, char **argv, oci_error *err);
int oci_cmd_features(const oci_run_global *g, int argc, char **argv, oci_error *err);
#endif
