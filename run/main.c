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
#include "common/util.h"
#include "run/cloned_binary.h"
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
	OPT_CGROUP_MANAGER,
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
    {"criu", 0, OCI_ARG_REQUIRED, "PATH",
     "the criu binary of checkpoint/restore (default: criu on PATH)", OPT_CRIU},
    {"rootless", 0, OCI_ARG_REQUIRED, "VALUE",
     "true|false|auto: unprivileged towards the host (auto: not uid 0, or uid 0 only in a user "
     "namespace, as under rootless podman)",
     OPT_ROOTLESS},
    {"cgroup-manager", 0, OCI_ARG_REQUIRED, "MANAGER",
     "crun's: systemd (as --systemd-cgroup) or cgroupfs (the default); disabled is refused",
     OPT_CGROUP_MANAGER},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"version", 'v', OCI_ARG_NONE, NULL, "print the version", OPT_VERSION},
};

/* The commands: name, summary and examples (help, man pages and completion come from here),
 * then the function in run/cmd/, and whether the command puts a runtime process into a
 * container (it then runs from the sealed copy: run/cloned_binary.c). */
static const struct run_command {
	oci_cli_command doc;
	oci_cmd_fn *fn;
	bool sealed;
} commands[] = {
    {{"checkpoint", "checkpoint a running container with CRIU",
      "# dump web1 into /srv/ckpt/web1 (web1 is then gone)\n"
      "oci-run checkpoint --image-path /srv/ckpt/web1 web1\n"
      "# a pre-dump, then the final dump on top of it, the container left running\n"
      "oci-run checkpoint --pre-dump --image-path /srv/ckpt/pre web1\n"
      "oci-run checkpoint --leave-running --parent-path ../pre --image-path /srv/ckpt/final web1"},
     oci_cmd_checkpoint,
     false},
    {{"create", "create a container and leave its init waiting for start",
      "# create web1 from the bundle in /srv/web, then start it\n"
      "oci-run create --bundle /srv/web web1 && oci-run start web1\n"
      "# as an engine does: the terminal's pty master goes to a unix socket\n"
      "oci-run create -b /srv/web --console-socket /run/console.sock web1"},
     oci_cmd_create,
     true},
    {{"delete", "delete a container and what it holds",
      "# delete a stopped container\n"
      "oci-run delete web1\n"
      "# kill a running one first (SIGKILL) and delete it\n"
      "oci-run delete --force web1"},
     oci_cmd_delete,
     false},
    {{"events", "print a container's stats and OOM events",
      "# stats every 5 s and OOM events as they happen, one JSON object a line\n"
      "oci-run events web1\n"
      "# the cgroup statistics once\n"
      "oci-run events --stats web1"},
     oci_cmd_events,
     false},
    {{"exec", "run another process in a container",
      "# a shell inside a running container, on this terminal\n"
      "oci-run exec -t web1 sh\n"
      "# a one-off command with an extra variable\n"
      "oci-run exec --env DEBUG=1 web1 cat /etc/os-release"},
     oci_cmd_exec,
     true},
    {{"features", "show the features this runtime supports",
      "# the namespaces, mount options and capabilities this build knows, as JSON\n"
      "oci-run features"},
     oci_cmd_features,
     false},
    {{"help", "show the help of oci-run or of a command",
      "oci-run help\n"
      "oci-run help create"},
     NULL,
     false},
    {{"kill",
      "send a signal to the container's init (KILL: to all its processes without a pid namespace)",
      "# ask the container to stop (SIGTERM), then force it\n"
      "oci-run kill web1 TERM\n"
      "oci-run kill --all web1 KILL"},
     oci_cmd_kill,
     false},
    {{"list", "list the containers",
      "oci-run list\n"
      "# only the ids, or everything as JSON\n"
      "oci-run list -q\n"
      "oci-run list --format json"},
     oci_cmd_list,
     false},
    {{"pause", "freeze every process of a container",
      "oci-run pause web1\n"
      "oci-run resume web1"},
     oci_cmd_pause,
     false},
    {{"ps", "list the processes of a container",
      "oci-run ps web1\n"
      "# the host pids as JSON\n"
      "oci-run ps --format json web1"},
     oci_cmd_ps,
     false},
    {{"restore", "restore a container from a CRIU checkpoint",
      "# web1's checkpoint restored as web2, in the background\n"
      "oci-run restore -d --image-path /srv/ckpt/web1 --bundle /srv/web web2"},
     oci_cmd_restore,
     false},
    {{"resume", "thaw a paused container", "oci-run resume web1"}, oci_cmd_resume, false},
    {{"run", "create and start a container",
      "# run the bundle in the current directory in the foreground: the exit status is the\n"
      "# container's\n"
      "oci-run run web1\n"
      "# detached, for systemd's Type=forking\n"
      "oci-run run -d --pid-file /run/web1.pid --bundle /srv/web web1"},
     oci_cmd_run,
     true},
    {{"spec", "write a default config.json",
      "# runc's default config.json in the current directory\n"
      "oci-run spec\n"
      "# one for an unprivileged user\n"
      "oci-run spec --rootless --bundle /srv/web"},
     oci_cmd_spec,
     false},
    {{"start", "start a created container",
      "oci-run create -b /srv/web web1\n"
      "oci-run start web1"},
     oci_cmd_start,
     false},
    {{"state", "print the state of a container",
      "# status, pid, bundle and annotations as JSON\n"
      "oci-run state web1"},
     oci_cmd_state,
     false},
    {{"update", "change the resource limits of a container",
      "oci-run update --memory 256M --pids-limit 100 web1\n"
      "# from a linux.resources JSON document\n"
      "oci-run update --resources resources.json web1"},
     oci_cmd_update,
     false},
};

static const oci_cli_tool tool = {
    .name = "oci-run",
    .summary = "an OCI runtime with runc's command line",
    .cmds = &commands[0].doc,
    .n_cmds = sizeof(commands) / sizeof(commands[0]),
    .cmd_size = sizeof(commands[0]),
};

static void usage(FILE *f)
{
	oci_cli_help(f, "oci-run [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]", NULL, global_opts,
		     sizeof(global_opts) / sizeof(global_opts[0]));
}

int main(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	oci_runtime rt = {0};
	oci_cli cli;
	int opt;
	oci_log_init("oci-run");
	oci_cli_set_tool(&tool);
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
			rt.criu = cli.optarg;
			break;
		case OPT_ROOTLESS:
			if (oci_rootless_set(cli.optarg, &err) < 0)
				goto fail;
			break;
		case OPT_CGROUP_MANAGER:
			if (!strcmp(cli.optarg, "systemd") || !strcmp(cli.optarg, "cgroupfs")) {
				rt.systemd_cgroup = !strcmp(cli.optarg, "systemd");
				break;
			}
			oci_err(&err, OCI_E_INVALID,
				"--cgroup-manager '%s': oci-run takes systemd or cgroupfs (a "
				"container always gets cgroups of its own; 'disabled' is not "
				"supported)",
				cli.optarg);
			goto fail;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_VERSION:
			if (oci_cli_print_version("oci-run", &err) < 0)
				goto fail;
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
	/* "help [COMMAND]" is "--help" or "COMMAND --help" */
	int cargc = argc - cli.index;
	char **cargv = argv + cli.index;
	char *help_argv[] = {NULL, (char *)"--help", NULL};
	if (!strcmp(name, "help") && cargc > 1) {
		name = help_argv[0] = cargv[1];
		cargc = 2;
		cargv = help_argv;
	} else if (!strcmp(name, "help")) {
		usage(stdout);
		return oci_flush_stdout(&err) < 0 ? 1 : 0;
	}
	const oci_cli_command *cmd = oci_cli_enter_command(name);
	if (!cmd || !strcmp(name, "help")) {
		oci_cli_unknown_command(name, &err);
		goto fail;
	}
	const struct run_command *rc = (const struct run_command *)(const void *)cmd;
	/* Before the command reads anything: the work is then done once, by the copy. create
	 * and run leave it to create's init where it can switch in place (the runtime process
	 * itself never enters the container: run/container_create.c's prepare_state). */
	bool init_seals = (rc->fn == oci_cmd_create || rc->fn == oci_cmd_run) &&
			  oci_cloned_binary_can_switch_in_place();
	if (rc->sealed && !init_seals && oci_cloned_binary_ensure_argv(argv, &err) < 0)
		goto fail;
	log_debug("command '%s', state root '%s'", name, rt.root);
	int r = rc->fn(&rt, cargc, cargv, &err);
	if (r == OCI_CMD_FAIL_255) {
		oci_log_error_final(&err);
		return 255;
	}
	if (r < 0)
		goto fail;
	return r;
fail:
	oci_log_error_final(&err);
	return 1;
}
