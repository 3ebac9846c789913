/* Command lines from one table: each tool declares its options once (long name, short
 * letter, argument, help) and parsing and --help are generated from that table. */
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

/* Print "Usage: usage\n\n" then the options table. */
void oci_cli_help(FILE *f, const char *usage, const char *description, const oci_cli_option *opts,
		  size_t n_opts);
#endif
