/* oci-run delete [--force] ID: remove a stopped (or created) container and what it holds;
 * --force kills a running one first. */
#include "run/cmd/cmd.h"

#include <stdio.h>

#include "common/cli.h"
#include "common/util.h"

enum { OPT_FORCE = 'f', OPT_HELP = 'h' };

static const oci_cli_option delete_opts[] = {
    {"force", 'f', OCI_ARG_NONE, NULL,
     "kill the container first if it runs; a missing one is not an error", OPT_FORCE},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
};

int oci_cmd_delete(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	oci_cli cli;
	int opt;
	bool force = false;
	oci_cli_init(&cli, delete_opts, ARRAY_SIZE(delete_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_FORCE)
			force = true;
		else if (opt == OPT_HELP) {
			oci_cli_help(stdout, "oci-run delete [--force] ID", NULL, delete_opts,
				     ARRAY_SIZE(delete_opts));
			return 0;
		}
	}
	if (opt < 0)
		return -1;
	if (cli.index != argc - 1)
		return oci_err(err, OCI_E_INVALID, "delete: expected exactly one container id");
	return oci_container_delete(rt, argv[cli.index], force, err) < 0 ? -1 : 0;
}
