/* oci-run exec: one more process in a created or running container, runc's command line
 * (`exec [--process FILE] [-d] [--pid-file F] [--console-socket S] [--tty] ID [ARGS]`, as
 * conmon and containerd's shim call it). The work is run/container_exec.c's. */
#include "run/cmd/cmd.h"

#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/util.h"

enum {
	OPT_CONSOLE = 256,
	OPT_CWD,
	OPT_ENV,
	OPT_TTY,
	OPT_USER,
	OPT_GIDS,
	OPT_PROCESS,
	OPT_DETACH,
	OPT_PIDFILE,
	OPT_CAP,
	OPT_NNP,
	OPT_PRESERVE,
	OPT_LABEL,
	OPT_APPARMOR,
	OPT_CGROUP,
	OPT_IGNORE_PAUSED,
	OPT_PIDFD,
	OPT_HELP
};

static const oci_cli_option exec_options[] = {
    {"additional-gids", 'g', OCI_ARG_REQUIRED, "GID", "add a supplementary group (repeatable)",
     OPT_GIDS},
    {"apparmor", 0, OCI_ARG_REQUIRED, "PROFILE",
     "AppArmor profile of the process (process.apparmorProfile; also over --process)",
     OPT_APPARMOR},
    {"cap", 'c', OCI_ARG_REQUIRED, "CAP", "add a capability (repeatable)", OPT_CAP},
    {"cgroup", 0, OCI_ARG_REQUIRED, "PATH",
     "runc's sub-cgroup for the process: refused, the process joins the container's cgroup",
     OPT_CGROUP},
    {"console-socket", 0, OCI_ARG_REQUIRED, "PATH", "unix socket that receives the pty master",
     OPT_CONSOLE},
    {"cwd", 0, OCI_ARG_REQUIRED, "DIR", "working directory of the process (inside the container)",
     OPT_CWD},
    {"detach", 'd', OCI_ARG_NONE, NULL, "return once the process has started", OPT_DETACH},
    {"env", 'e', OCI_ARG_REQUIRED, "NAME=VALUE", "add an environment variable (repeatable)",
     OPT_ENV},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"ignore-paused", 0, OCI_ARG_NONE, NULL, "exec even in a paused container", OPT_IGNORE_PAUSED},
    {"no-new-privs", 0, OCI_ARG_NONE, NULL, "set no_new_privs for the process", OPT_NNP},
    {"pid-file", 0, OCI_ARG_REQUIRED, "FILE", "write the process's pid to FILE", OPT_PIDFILE},
    {"pidfd-socket", 0, OCI_ARG_REQUIRED, "PATH",
     "unix socket that receives a pidfd of the process", OPT_PIDFD},
    {"preserve-fds", 0, OCI_ARG_REQUIRED, "N", "pass N extra fds (3..3+N-1) to the process",
     OPT_PRESERVE},
    {"process", 'p', OCI_ARG_REQUIRED, "FILE",
     "the process as runtime-spec JSON (not with a command or the options that set one)",
     OPT_PROCESS},
    {"process-label", 0, OCI_ARG_REQUIRED, "LABEL",
     "SELinux label of the process (process.selinuxLabel; also over --process)", OPT_LABEL},
    {"tty", 't', OCI_ARG_NONE, NULL, "allocate a pseudo-terminal", OPT_TTY},
    {"user", 'u', OCI_ARG_REQUIRED, "UID[:GID]", "user and group ids of the process", OPT_USER},
};

int oci_cmd_exec(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	oci_exec_opts o = {0};
	oci_cli cli;
	int opt;
	/* Each repeatable flag takes at least one word of argv: argc bounds their counts. */
	cleanup_free const char **env = oci_calloc((size_t)argc, sizeof(char *), err);
	cleanup_free const char **caps = oci_calloc((size_t)argc, sizeof(char *), err);
	cleanup_free gid_t *gids = oci_calloc((size_t)argc, sizeof(gid_t), err);
	if (!env || !caps || !gids)
		return -1;
	o.env = env;
	o.caps = caps;
	o.gids = gids;
	/* Options stop at the id: what follows is the command and its own options. */
	oci_cli_init(&cli, exec_options, ARRAY_SIZE(exec_options), argc, argv, 1, true);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		switch (opt) {
		case OPT_CONSOLE:
			o.console_socket = cli.optarg;
			break;
		case OPT_CWD:
			if (cli.optarg[0] != '/')
				return oci_err(err, OCI_E_INVALID,
					       "--cwd: must be an absolute path, got '%s'",
					       cli.optarg);
			o.cwd = cli.optarg;
			break;
		case OPT_ENV:
			if (!strchr(cli.optarg, '='))
				return oci_err(err, OCI_E_INVALID,
					       "--env: expected NAME=VALUE, got '%s'", cli.optarg);
			env[o.n_env++] = cli.optarg;
			break;
		case OPT_TTY:
			o.tty = true;
			break;
		case OPT_USER:
			o.user = cli.optarg;
			break;
		case OPT_GIDS: {
			uint64_t gid;
			if (oci_parse_u64(cli.optarg, UINT32_MAX, &gid) < 0)
				return oci_err(err, OCI_E_INVALID,
					       "--additional-gids: invalid gid '%s'", cli.optarg);
			gids[o.n_gids++] = (gid_t)gid;
			break;
		}
		case OPT_PROCESS:
			o.process_file = cli.optarg;
			break;
		case OPT_DETACH:
			o.detach = true;
			break;
		case OPT_PIDFILE:
			o.pid_file = cli.optarg;
			break;
		case OPT_CAP:
			caps[o.n_caps++] = cli.optarg;
			break;
		case OPT_NNP:
			o.no_new_privs = true;
			break;
		case OPT_APPARMOR:
			o.apparmor = cli.optarg;
			break;
		case OPT_LABEL:
			o.process_label = cli.optarg;
			break;
		case OPT_IGNORE_PAUSED:
			o.ignore_paused = true;
			break;
		case OPT_CGROUP:
			/* Never accepted and ignored: the process would run somewhere else than
			 * the caller asked. */
			return oci_err(
			    err, OCI_E_UNSUPPORTED,
			    "exec --cgroup: not supported by oci-run (the process joins the "
			    "container's own cgroup); leave the option out");
		case OPT_PIDFD:
			o.pidfd_socket = cli.optarg;
			break;
		case OPT_PRESERVE:
			if (oci_cmd_parse_preserve_fds(cli.optarg, &o.preserve_fds, err) < 0)
				return -1;
			break;
		case OPT_HELP:
			oci_cli_help(stdout, "oci-run exec [OPTIONS] ID [COMMAND [ARGS...]]", NULL,
				     exec_options, ARRAY_SIZE(exec_options));
			return 0;
		default:
			break;
		}
	}
	if (opt < 0)
		return -1;
	if (cli.index >= argc)
		return oci_err(err, OCI_E_INVALID, "exec: expected a container id");
	o.id = argv[cli.index];
	o.args = argv + cli.index + 1;
	o.nargs = argc - cli.index - 1;
	/* runc takes the whole process from --process and drops these in silence: refused
	 * here, each said by name (--apparmor and --process-label do apply over it) */
	const char *over = !o.process_file  ? NULL
			   : o.nargs > 0    ? "a command after the id"
			   : o.cwd	    ? "--cwd"
			   : o.n_env	    ? "--env"
			   : o.user	    ? "--user"
			   : o.n_gids	    ? "--additional-gids"
			   : o.n_caps	    ? "--cap"
			   : o.no_new_privs ? "--no-new-privs"
					    : NULL;
	if (over)
		return oci_err(
		    err, OCI_E_INVALID,
		    "exec: %s does not apply with --process (the process comes whole from "
		    "'%s'): put it in that JSON",
		    over, o.process_file);
	if (!o.process_file && o.nargs == 0)
		return oci_err(err, OCI_E_INVALID,
			       "exec: expected a command after the container id (or --process)");
	int status = 0;
	/* runc's status for an exec that failed (no such container, paused, stopped, a
	 * process that could not be started), distinct from the process's own. */
	if (oci_container_exec(rt, &o, &status, err) < 0)
		return OCI_CMD_FAIL_255;
	return o.detach ? 0 : status;
}
