/* oci-run: an OCI runtime with runc's command line. This file only parses the global
 * options into the runtime context, picks the command from one table and hands over to its
 * file in run/cmd/. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/error.h"
#include "common/log.h"
#include "common/spec.h"
#include "run/cmd/cmd.h"
#include "run/userns.h"

enum {
	OPT_ROOT = 256,
	OPT_LOG,
	OPT_LOG_FORMAT,
	OPT_DEBUG,
	OPT_SYSTEMD_CGROUP,
	OPT_CRIU,
	OPT_ROOTLESS,
	OPT_HELP,
	OPT_VERSION
};

static const oci_cli_option global_opts[] = {
    {"root", 0, OCI_ARG_REQUIRED, "DIR",
     "state directory (default /run/oci-run, $XDG_RUNTIME_DIR/oci-run for users)", OPT_ROOT},
    {"log", 0, OCI_ARG_REQUIRED, "FILE", "write log messages to FILE instead of stderr", OPT_LOG},
    {"log-format", 0, OCI_ARG_REQUIRED, "FORMAT", "log file format: text or json", OPT_LOG_FORMAT},
    {"debug", 0, OCI_ARG_NONE, NULL, "log debug messages", OPT_DEBUG},
    {"systemd-cgroup", 0, OCI_ARG_NONE, NULL, "take cgroupsPath as slice:prefix:name",
     OPT_SYSTEMD_CGROUP},
    {"criu", 0, OCI_ARG_REQUIRED, "PATH", "accepted for compatibility, unused", OPT_CRIU},
    {"rootless", 0, OCI_ARG_REQUIRED, "VALUE",
     "true|false|auto: unprivileged towards the host (auto: not uid 0, or uid 0 only in a user "
     "namespace, as under rootless podman)",
     OPT_ROOTLESS},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"version", 'v', OCI_ARG_NONE, NULL, "print the version", OPT_VERSION},
};

static const struct {
	const char *name;
	oci_cmd_fn *fn;
	const char *help;
} commands[] = {
    {"create", oci_cmd_create, "create a container"},
    {"delete", oci_cmd_delete, "delete a container and what it holds"},
    {"events", oci_cmd_events, "print a container's stats and OOM events"},
    {"exec", oci_cmd_exec, "run another process in a container"},
    {"features", oci_cmd_features, "show the features this runtime supports"},
    {"kill", oci_cmd_kill, "send a signal to the container's init"},
    {"list", oci_cmd_list, "list the containers"},
    {"pause", oci_cmd_pause, "freeze every process of a container"},
    {"ps", oci_cmd_ps, "list the processes of a container"},
    {"resume", oci_cmd_resume, "thaw a paused container"},
    {"run", oci_cmd_run, "create and start a container"},
    {"spec", oci_cmd_spec, "write a default config.json"},
    {"start", oci_cmd_start, "start a created container"},
    {"state", oci_cmd_state, "print the state of a container"},
    {"update", oci_cmd_update, "change the resource limits of a container"},
};

static void usage(FILE *f)
{
	oci_cli_help(f, "oci-run [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]",
		     "An OCI runtime with runc's command line.", global_opts,
		     sizeof(global_opts) / sizeof(global_opts[0]));
	fprintf(f, "\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].fn)
			fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	oci_runtime rt = {0};
	oci_cli cli;
	int opt;
	oci_log_init("oci-run");
	oci_cli_init(&cli, global_opts, sizeof(global_opts) / sizeof(global_opts[0]), argc, argv, 1,
		     true);
	while ((opt = oci_cli_next(&cli, &err)) > 0) {
		switch (opt) {
		case OPT_ROOT:
			rt.root = cli.optarg;
			break;
		case OPT_LOG:
			if (oci_log_set_file(cli.optarg, &err) < 0)
				goto fail;
			break;
		case OPT_LOG_FORMAT:
			if (oci_log_set_format(cli.optarg, &err) < 0)
				goto fail;
			break;
		case OPT_DEBUG:
			rt.debug = true;
			oci_log_set_level(OCI_LOG_DEBUG);
			break;
		case OPT_SYSTEMD_CGROUP:
			rt.systemd_cgroup = true;
			break;
		case OPT_CRIU:
			break;
		case OPT_ROOTLESS:
			if (oci_rootless_set(cli.optarg, &err) < 0)
				goto fail;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("oci-run version %s\nspec: %s\n", OCI_VERSION,
			       OCI_RUNTIME_SPEC_VERSION);
			return 0;
		}
	}
	if (opt < 0)
		goto fail;
	if (cli.index >= argc) {
		usage(stderr);
		return 1;
	}
	const char *name = argv[cli.index];
	char rootbuf[4096];
	if (!rt.root) {
		/* runc's rule: $XDG_RUNTIME_DIR for an unprivileged user, and for uid 0 inside a
		 * user namespace unless $USER says root (sudo inside the namespace). */
		const char *xdg = getenv("XDG_RUNTIME_DIR"), *user = getenv("USER");
		bool in_userns = geteuid() == 0 && !oci_userns_is_initial();
		if (xdg && xdg[0] &&
		    (geteuid() != 0 || (in_userns && (!user || strcmp(user, "root"))))) {
			snprintf(rootbuf, sizeof(rootbuf), "%s/oci-run", xdg);
			rt.root = rootbuf;
		} else {
			rt.root = "/run/oci-run";
		}
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) || !commands[i].fn)
			continue;
		int r = commands[i].fn(&rt, argc - cli.index, argv + cli.index, &err);
		if (r < 0)
			goto fail;
		return r;
	}
	oci_err(&err, OCI_E_INVALID, "unknown command '%s' (see --help)", name);
fail:
	oci_log_error_final(&err);
	return 1;
}
