/* oci-run kill [--all] ID [SIGNAL]: a signal (SIGTERM by default) to the container's init,
 * or with --all to every process of the container (KILL too, without a pid namespace of its
 * own: runc 1.2's rule, run/container.c); signal 0 only checks that it is alive. */
#include "run/cmd/cmd.h"

#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/util.h"

enum { OPT_ALL = 'a', OPT_HELP = 'h' };

static const oci_cli_option kill_opts[] = {
    {"all", 'a', OCI_ARG_NONE, NULL, "send the signal to every process of the container", OPT_ALL},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
};

int oci_cmd_kill(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	oci_cli cli;
	int opt;
	bool all = false;
	oci_cli_init(&cli, kill_opts, ARRAY_SIZE(kill_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_ALL)
			all = true;
		else if (opt == OPT_HELP) {
			oci_cli_help(stdout, "oci-run kill [--all] ID [SIGNAL]", NULL, kill_opts,
				     ARRAY_SIZE(kill_opts));
			return 0;
		}
	}
	if (opt < 0)
		return -1;
	int nargs = argc - cli.index;
	if (nargs < 1 || nargs > 2)
		return oci_err(err, OCI_E_INVALID, "kill: expected ID [SIGNAL]");
	int sig = 15;
	/* Signal 0, as kill(1) and runc: nothing is sent, the answer says whether the container
	 * is alive (status 0) or not (an error). */
	if (nargs == 2 && !strcmp(argv[cli.index + 1], "0"))
		sig = 0;
	else if (nargs == 2 && (sig = oci_signal_parse(argv[cli.index + 1], err)) < 0)
		return -1;
	return oci_container_kill(rt, argv[cli.index], sig, all, err) < 0 ? -1 : 0;
}
