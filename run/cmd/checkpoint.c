/* oci-run checkpoint ID / restore ID: runc's live-migration commands through CRIU (one
 * option table for both; each option says which command takes it). Options runc has that
 * oci-run cannot carry out (lazy pages, a page server, --no-pivot at restore, LSM
 * relabelling) are refused in one line, never ignored. */
#include "run/cmd/cmd.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/util.h"

enum {
	OPT_BUNDLE = 'b',
	OPT_DETACH = 'd',
	OPT_HELP = 'h',
	OPT_AUTO_DEDUP = 256,
	OPT_CONSOLE,
	OPT_EMPTY_NS,
	OPT_EXT_UNIX_SK,
	OPT_FILE_LOCKS,
	OPT_IMAGE_PATH,
	OPT_LAZY_PAGES,
	OPT_LEAVE_RUNNING,
	OPT_LINK_REMAP,
	OPT_LSM_MOUNT_CONTEXT,
	OPT_LSM_PROFILE,
	OPT_MANAGE_CGROUPS,
	OPT_NO_PIVOT,
	OPT_NO_SUBREAPER,
	OPT_PAGE_SERVER,
	OPT_PARENT_PATH,
	OPT_PID_FILE,
	OPT_PRE_DUMP,
	OPT_SHELL_JOB,
	OPT_STATUS_FD,
	OPT_TCP_ESTABLISHED,
	OPT_TCP_SKIP_IN_FLIGHT,
	OPT_WORK_PATH,
};

#define C "checkpoint: "
#define R "restore: "
#define B "checkpoint, restore: "
static const oci_cli_option cr_options[] = {
    {"auto-dedup", 0, OCI_ARG_NONE, NULL, B "deduplicate memory images (CRIU --auto-dedup)",
     OPT_AUTO_DEDUP},
    {"bundle", 'b', OCI_ARG_REQUIRED, "DIR", R "bundle directory (default: current directory)",
     OPT_BUNDLE},
    {"console-socket", 0, OCI_ARG_REQUIRED, "PATH",
     R "unix socket that receives the restored pty master", OPT_CONSOLE},
    {"detach", 'd', OCI_ARG_NONE, NULL, R "do not wait for the restored container", OPT_DETACH},
    {"empty-ns", 0, OCI_ARG_REQUIRED, "NS",
     B "'network': the namespace is made, its contents not dumped or restored", OPT_EMPTY_NS},
    {"ext-unix-sk", 0, OCI_ARG_NONE, NULL, B "allow external unix sockets", OPT_EXT_UNIX_SK},
    {"file-locks", 0, OCI_ARG_NONE, NULL, B "handle file locks", OPT_FILE_LOCKS},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"image-path", 0, OCI_ARG_REQUIRED, "DIR", B "checkpoint images (default: ./checkpoint)",
     OPT_IMAGE_PATH},
    {"lazy-pages", 0, OCI_ARG_NONE, NULL, B "refused: not supported", OPT_LAZY_PAGES},
    {"leave-running", 0, OCI_ARG_NONE, NULL, C "leave the container running", OPT_LEAVE_RUNNING},
    {"link-remap", 0, OCI_ARG_NONE, NULL, C "refused: not passed to CRIU", OPT_LINK_REMAP},
    {"lsm-mount-context", 0, OCI_ARG_REQUIRED, "CTX", R "refused: not supported",
     OPT_LSM_MOUNT_CONTEXT},
    {"lsm-profile", 0, OCI_ARG_REQUIRED, "PROFILE", R "refused: not supported", OPT_LSM_PROFILE},
    {"manage-cgroups-mode", 0, OCI_ARG_REQUIRED, "MODE", B "soft, full, strict or ignore",
     OPT_MANAGE_CGROUPS},
    {"no-pivot", 0, OCI_ARG_NONE, NULL, R "refused: CRIU restores the root as dumped",
     OPT_NO_PIVOT},
    {"no-subreaper", 0, OCI_ARG_NONE, NULL,
     R "without -d: the container's orphans go to the host's init, not to restore",
     OPT_NO_SUBREAPER},
    {"page-server", 0, OCI_ARG_REQUIRED, "ADDR", C "refused: not supported", OPT_PAGE_SERVER},
    {"parent-path", 0, OCI_ARG_REQUIRED, "DIR", C "previous pre-dump, relative to --image-path",
     OPT_PARENT_PATH},
    {"pid-file", 0, OCI_ARG_REQUIRED, "FILE", R "write the restored init's pid to FILE",
     OPT_PID_FILE},
    {"pre-dump", 0, OCI_ARG_NONE, NULL, C "dump memory only, leave the container running",
     OPT_PRE_DUMP},
    {"shell-job", 0, OCI_ARG_NONE, NULL, B "allow shell jobs", OPT_SHELL_JOB},
    {"status-fd", 0, OCI_ARG_REQUIRED, "FD", C "refused: not supported (lazy pages)",
     OPT_STATUS_FD},
    {"tcp-established", 0, OCI_ARG_NONE, NULL, B "allow open tcp connections", OPT_TCP_ESTABLISHED},
    {"tcp-skip-in-flight", 0, OCI_ARG_NONE, NULL, C "refused: not passed to CRIU",
     OPT_TCP_SKIP_IN_FLIGHT},
    {"work-path", 0, OCI_ARG_REQUIRED, "DIR", B "CRIU's logs and work files (default: images)",
     OPT_WORK_PATH},
};

static const char *name_of(int id)
{
	for (size_t i = 0; i < ARRAY_SIZE(cr_options); i++)
		if (cr_options[i].id == id)
			return cr_options[i].long_name;
	return "?";
}

static int refuse(const char *cmd, const char *opt, const char *why, oci_error *err)
{
	return oci_err(err, OCI_E_UNSUPPORTED, "%s: --%s is not supported by oci-run (%s)", cmd,
		       opt, why);
}

static int not_for(const char *cmd, const char *opt, oci_error *err)
{
	return oci_err(err, OCI_E_INVALID, "%s: unknown option '--%s'", cmd, opt);
}

static int cr_main(const oci_runtime *rt, int argc, char **argv, bool restore, oci_error *err)
{
	const char *cmd = restore ? "restore" : "checkpoint";
	oci_restore_opts ro = {.subreaper = true};
	oci_criu_opts *o = &ro.criu;
	const char *bundle = ".";
	oci_cli cli;
	int opt;
	oci_cli_init(&cli, cr_options, ARRAY_SIZE(cr_options), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		switch (opt) {
		case OPT_HELP:
			oci_cli_help(stdout,
				     restore ? "oci-run restore [OPTIONS] ID"
					     : "oci-run checkpoint [OPTIONS] ID",
				     restore ? "Restore a container from a CRIU checkpoint."
					     : "Checkpoint a running container with CRIU.",
				     cr_options, ARRAY_SIZE(cr_options));
			return 0;
		case OPT_AUTO_DEDUP:
			o->auto_dedup = true;
			break;
		case OPT_EXT_UNIX_SK:
			o->ext_unix_sk = true;
			break;
		case OPT_FILE_LOCKS:
			o->file_locks = true;
			break;
		case OPT_SHELL_JOB:
			o->shell_job = true;
			break;
		case OPT_TCP_ESTABLISHED:
			o->tcp_established = true;
			break;
		case OPT_IMAGE_PATH:
			o->image_path = cli.optarg;
			break;
		case OPT_WORK_PATH:
			o->work_path = cli.optarg;
			break;
		case OPT_MANAGE_CGROUPS:
			if (oci_criu_cg_mode(cli.optarg, err) < 0)
				return -1;
			o->manage_cgroups_mode = cli.optarg;
			break;
		case OPT_LEAVE_RUNNING:
		case OPT_PRE_DUMP:
		case OPT_PARENT_PATH:
			if (restore)
				return not_for(cmd, name_of(opt), err);
			if (opt == OPT_LEAVE_RUNNING)
				o->leave_running = true;
			else if (opt == OPT_PRE_DUMP)
				o->pre_dump = true;
			else
				o->parent_path = cli.optarg;
			break;
		case OPT_BUNDLE:
		case OPT_CONSOLE:
		case OPT_DETACH:
		case OPT_PID_FILE:
		case OPT_NO_SUBREAPER:
			if (!restore)
				return not_for(cmd, name_of(opt), err);
			if (opt == OPT_BUNDLE)
				bundle = cli.optarg;
			else if (opt == OPT_DETACH)
				ro.detach = true;
			else if (opt == OPT_PID_FILE)
				ro.pid_file = cli.optarg;
			else if (opt == OPT_CONSOLE)
				ro.console_socket = cli.optarg;
			else if (opt == OPT_NO_SUBREAPER)
				ro.subreaper = false;
			break;
		case OPT_LAZY_PAGES:
		case OPT_PAGE_SERVER:
		case OPT_STATUS_FD:
			return refuse(cmd, name_of(opt), "lazy migration needs CRIU's page server",
				      err);
		case OPT_EMPTY_NS:
			/* runc's only one: a network set up by hooks or the engine */
			if (strcmp(cli.optarg, "network"))
				return oci_err(err, OCI_E_INVALID,
					       "%s: --empty-ns '%s': only 'network' is supported",
					       cmd, cli.optarg);
			o->empty_ns |= CLONE_NEWNET;
			break;
		case OPT_LINK_REMAP:
		case OPT_TCP_SKIP_IN_FLIGHT:
			return refuse(
			    cmd, name_of(opt),
			    "not passed to CRIU; checkpoint without it (CRIU then fails on "
			    "what it would have handled)",
			    err);
		case OPT_NO_PIVOT:
			return refuse(cmd, name_of(opt),
				      "CRIU restores the container's root as it was dumped", err);
		case OPT_LSM_PROFILE:
		case OPT_LSM_MOUNT_CONTEXT:
			return refuse(cmd, name_of(opt), "no LSM relabelling at restore", err);
		}
	}
	if (opt < 0)
		return -1;
	if (cli.index >= argc)
		return oci_err(err, OCI_E_INVALID, "%s: expected a container id", cmd);
	if (cli.index + 1 < argc)
		return oci_err(err, OCI_E_INVALID, "%s: expected one container id, got %d", cmd,
			       argc - cli.index);
	if (o->pre_dump && o->leave_running)
		return oci_err(err, OCI_E_INVALID,
			       "checkpoint: --pre-dump already leaves the container running");
	if (!o->image_path)
		o->image_path = "checkpoint";
	if (!restore)
		return oci_container_checkpoint(rt, argv[cli.index], o, err) < 0 ? -1 : 0;
	cleanup_free char *abs = realpath(bundle, NULL);
	if (!abs)
		return oci_err_errno(err, errno, "bundle '%s'", bundle);
	ro.id = argv[cli.index];
	ro.bundle = abs;
	int status = 0;
	if (oci_container_restore(rt, &ro, &status, err) < 0)
		return -1;
	return status;
}

int oci_cmd_checkpoint(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	return cr_main(rt, argc, argv, false, err);
}

int oci_cmd_restore(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	return cr_main(rt, argc, argv, true, err);
}
