/* oci-run create and run (one option table: run adds --detach): `create` leaves the
 * container's init waiting for start; `run` also starts it and, without -d, waits for it and
 * exits with its status. */
#include "run/cmd/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/util.h"

enum {
	OPT_BUNDLE = 'b',
	OPT_DETACH = 'd',
	OPT_HELP = 'h',
	OPT_PIDFILE = 256,
	OPT_CONSOLE,
	OPT_NOPIVOT,
	OPT_NOKEYRING,
	OPT_PRESERVE,
	OPT_NOSUBREAPER,
	OPT_KEEP,
	OPT_PIDFD
};

static const oci_cli_option create_opts[] = {
    {"bundle", 'b', OCI_ARG_REQUIRED, "DIR", "bundle directory (default: current directory)",
     OPT_BUNDLE},
    {"console-socket", 0, OCI_ARG_REQUIRED, "PATH", "unix socket that receives the pty master",
     OPT_CONSOLE},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"no-new-keyring", 0, OCI_ARG_NONE, NULL, "do not create a new session keyring", OPT_NOKEYRING},
    {"no-pivot", 0, OCI_ARG_NONE, NULL, "use MS_MOVE + chroot instead of pivot_root", OPT_NOPIVOT},
    {"pid-file", 0, OCI_ARG_REQUIRED, "FILE", "write the container's pid to FILE", OPT_PIDFILE},
    {"pidfd-socket", 0, OCI_ARG_REQUIRED, "PATH", "runc 1.2's: refused, use --pid-file", OPT_PIDFD},
    {"preserve-fds", 0, OCI_ARG_REQUIRED, "N", "pass N extra fds (3..3+N-1) to the container",
     OPT_PRESERVE},
    /* last: run's only, create parses and lists the table without them */
    {"detach", 'd', OCI_ARG_NONE, NULL, "detach from the container's process", OPT_DETACH},
    {"keep", 0, OCI_ARG_NONE, NULL,
     "run without -d: keep the stopped container (its state and cgroups) for delete", OPT_KEEP},
    {"no-subreaper", 0, OCI_ARG_NONE, NULL,
     "without -d: do not become a subreaper (the container's orphans go to the host's init)",
     OPT_NOSUBREAPER},
};
#define N_RUN_ONLY 3

static int create_or_run(const oci_runtime *rt, int argc, char **argv, bool run, oci_error *err)
{
	oci_create_opts o = {.subreaper = true};
	oci_cli cli;
	int opt;
	const char *bundle = ".";
	size_t n_opts = ARRAY_SIZE(create_opts) - (run ? 0 : N_RUN_ONLY);
	oci_cli_init(&cli, create_opts, n_opts, argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		switch (opt) {
		case OPT_BUNDLE:
			bundle = cli.optarg;
			break;
		case OPT_CONSOLE:
			o.console_socket = cli.optarg;
			break;
		case OPT_DETACH:
			o.detach = true;
			break;
		case OPT_KEEP:
			o.keep = true;
			break;
		case OPT_NOSUBREAPER:
			o.subreaper = false;
			break;
		case OPT_PIDFILE:
			o.pid_file = cli.optarg;
			break;
		case OPT_NOPIVOT:
			o.no_pivot = true;
			break;
		case OPT_NOKEYRING:
			o.no_new_keyring = true;
			break;
		case OPT_PIDFD:
			o.pidfd_socket = cli.optarg;
			break;
		case OPT_PRESERVE:
			if (oci_cmd_parse_preserve_fds(cli.optarg, &o.preserve_fds, err) < 0)
				return -1;
			break;
		case OPT_HELP:
			oci_cli_help(stdout,
				     run ? "oci-run run [OPTIONS] ID"
					 : "oci-run create [OPTIONS] ID",
				     NULL, create_opts, n_opts);
			return 0;
		}
	}
	if (opt < 0)
		return -1;
	if (cli.index != argc - 1)
		return oci_err(err, OCI_E_INVALID, "%s: expected exactly one container id",
			       run ? "run" : "create");
	o.id = argv[cli.index];
	/* runc's sd_notify relay (run/notify.h): an empty value is unset, as for sd_notify */
	const char *notify = getenv("NOTIFY_SOCKET");
	o.notify_socket = notify && *notify ? notify : NULL;
	/* runc's socket activation: the caller's LISTEN_FDS go first, then --preserve-fds */
	if (oci_cmd_listen_fds(&o.listen_fds, err) < 0)
		return -1;
	o.preserve_fds += o.listen_fds;
	cleanup_free char *abs = realpath(bundle, NULL);
	if (!abs)
		return oci_err_errno(err, errno, "bundle '%s'", bundle);
	o.bundle = abs;
	o.foreground = run && !o.detach;
	/* runc's subreaper, before the container's first process exists: what it leaves
	 * behind reparents to us, not to the host's init, and the wait reaps it */
	o.subreaper = o.subreaper && o.foreground;
	if (o.subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		log_warn("cannot become a subreaper: %s", strerror(errno));
		o.subreaper = false;
	}
	int status = 0;
	if (oci_container_create(rt, &o, &status, err) < 0)
		return -1;
	return o.foreground ? status : 0;
}

int oci_cmd_create(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	return create_or_run(rt, argc, argv, false, err);
}

int oci_cmd_run(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	return create_or_run(rt, argc, argv, true, err);
}
