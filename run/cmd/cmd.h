/* oci-run's commands, one file each in run/cmd/: a command parses its options (one
 * oci_cli_option table, --help generated from it), calls the lifecycle library
 * (run/container.h) and prints the result. Each returns the process exit status (>= 0) or
 * -1 (or OCI_CMD_FAIL_255) with err set. A new command gets a file here and a row in run/main.c's
 * table. */
#ifndef OCI_RUN_CMD_H
#define OCI_RUN_CMD_H

#include <stdio.h>
#include <sys/types.h>

#include "common/error.h"
#include "run/container.h"

/* Returned by a command whose failure exits with status 255 rather than 1 (err set): exec,
 * as runc, so a caller can tell the runtime's failure from the process's own status. */
#define OCI_CMD_FAIL_255 (-255)

typedef int oci_cmd_fn(const oci_runtime *rt, int argc, char **argv, oci_error *err);

oci_cmd_fn oci_cmd_checkpoint; /* checkpoint.c */
oci_cmd_fn oci_cmd_create;     /* create.c */
oci_cmd_fn oci_cmd_run;	       /* create.c */
oci_cmd_fn oci_cmd_delete;
oci_cmd_fn oci_cmd_events; /* events.c */
oci_cmd_fn oci_cmd_exec;
oci_cmd_fn oci_cmd_features;
oci_cmd_fn oci_cmd_kill;
oci_cmd_fn oci_cmd_list;
oci_cmd_fn oci_cmd_pause;   /* pause.c */
oci_cmd_fn oci_cmd_resume;  /* pause.c */
oci_cmd_fn oci_cmd_restore; /* checkpoint.c */
oci_cmd_fn oci_cmd_ps;
oci_cmd_fn oci_cmd_spec;
oci_cmd_fn oci_cmd_start;
oci_cmd_fn oci_cmd_state;
oci_cmd_fn oci_cmd_update;

/* ---- shared by the command files (run/cmd/cmd.c) ---- */

/* Parse the options of a command that takes only "-h" and one container id. Returns the id,
 * "" after printing the help for -h (the command then exits 0), or NULL with err set. */
const char *oci_cmd_one_id(int argc, char **argv, const char *usage, oci_error *err);
/* Print j to stdout (json_dumps flags), a newline when asked, and flush it. */
int oci_cmd_print_json(json_t *j, size_t flags, bool newline, oci_error *err);
/* --format table|json (list, ps): *json says which. */
int oci_cmd_parse_format(const char *arg, bool *json, oci_error *err);
/* ps.c's table: copy ps's output from in to out, its header and the lines whose PID column
 * is one of pids (the lines are read whole: the processes' arguments are theirs to choose). */
int oci_cmd_ps_filter(FILE *in, FILE *out, const pid_t *pids, size_t n, oci_error *err);
/* events.c: a Go duration ("5s", "100ms", "1m30s", "0") in nanoseconds. */
int oci_cmd_parse_duration(const char *s, uint64_t *ns, oci_error *err);
/* --preserve-fds N (create, run, exec): 0 .. 2^20. */
int oci_cmd_parse_preserve_fds(const char *arg, int *out, oci_error *err);
/* create, run: socket activation as sd_listen_fds(3) and runc read it. When LISTEN_PID is
 * our pid, *out = LISTEN_FDS (fds 3..3+N-1, each checked open), else 0; a LISTEN_FDS that is
 * not a number fails. */
int oci_cmd_listen_fds(int *out, oci_error *err);
#endif
