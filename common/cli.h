/* Command lines from one table: each tool declares its options once (long name, short
 * letter, argument, help) and its commands once (name, summary, examples); parsing, --help,
 * the man pages and the shell completion are all generated from those tables. */
#ifndef OCI_CLI_H
#define OCI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"

enum oci_cli_arg { OCI_ARG_NONE = 0, OCI_ARG_REQUIRED, OCI_ARG_OPTIONAL };

typedef struct oci_cli_option {
	const char *long_name; /* "bundle" */
	int short_name;	       /* 'b' or 0 */
	int arg;	       /* enum oci_cli_arg */
	const char *arg_name;  /* "DIR", shown in help */
	const char *help;
	int id; /* returned by oci_cli_next(); use values >= 256 or the short letter */
} oci_cli_option;

typedef struct oci_cli {
	const oci_cli_option *opts;
	size_t n_opts;
	int argc;
	char **argv;
	int index; /* next argv index to look at */
	const char *optarg;
	int pos;	     /* position inside a cluster of short options ("-dq") */
	bool stop_at_nonopt; /* stop at the first non-option (subcommand dispatch, "--" for args) */
} oci_cli;

void oci_cli_init(oci_cli *c, const oci_cli_option *opts, size_t n_opts, int argc, char **argv,
		  int first, bool stop_at_nonopt);
/* Next option: its id (> 0), 0 at the end of options (c->index is then the first operand), or
 * -1 with err set for an unknown option or a missing argument. Accepts --name=value,
 * --name value, -x value, -xvalue, and runc's single-dash long options (-bundle). */
int oci_cli_next(oci_cli *c, oci_error *err);
/* Operands: argv[c->index .. argc). Options after operands are also accepted unless stop_at_nonopt.
 */

/* --version and -v of every tool: "TOOL version X.Y.Z" and "spec: RUNTIME-SPEC-VERSION" (the
 * runtime-spec version written and run, as runc prints it), then flushed; -1 on a write error. */
int oci_cli_print_version(const char *tool, oci_error *err);

/* One command of a tool that has commands (oci-run create, oci-bundle spec). A tool's own
 * command table may be an array of a larger struct that starts with this one: cmd_size in
 * oci_cli_tool gives the element size. */
typedef struct oci_cli_command {
	const char *name;     /* "create" */
	const char *summary;  /* one line, lower case, no period: "create a container" */
	const char *examples; /* lines, "# what it does" before each command line; or NULL */
} oci_cli_command;

/* What a tool says about itself: registered once by main (oci_cli_set_tool), used by every
 * oci_cli_help of the tool and its commands. */
typedef struct oci_cli_tool {
	const char *name;     /* "oci-run" */
	const char *summary;  /* one line, lower case: the man page's NAME line */
	const char *examples; /* the tool's own examples (same format as a command's); or NULL */
	const oci_cli_command *cmds; /* NULL for a tool without commands */
	size_t n_cmds;
	size_t cmd_size; /* sizeof one element of cmds' array (0: sizeof(oci_cli_command)) */
} oci_cli_tool;

void oci_cli_set_tool(const oci_cli_tool *tool);
/* The tool's command called name, or NULL. Found, it becomes the command whose summary and
 * examples the next oci_cli_help prints (the command file's own help needs no change). */
const oci_cli_command *oci_cli_enter_command(const char *name);
/* err = "unknown command 'name'", listing the tool's commands; returns -1. */
int oci_cli_unknown_command(const char *name, oci_error *err);

/* Print the help of the tool, or of the command entered: "Usage: usage", the summary (when
 * description is NULL), description, the options, the commands (tool level), the examples.
 * Generated documents: with OCI_TOOLKIT_HELP_FORMAT=man in the environment it prints the
 * same as a man page (roff), with =list one line per option ("option\t--name\t-x\tARG")
 * and per command ("command\tname\tsummary") for the completion generator (gen/docs.sh). */
void oci_cli_help(FILE *f, const char *usage, const char *description, const oci_cli_option *opts,
		  size_t n_opts);
#endif
