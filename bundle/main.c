/* oci-bundle: write, edit and validate a runtime bundle's config.json. One option table;
 * the work is in cmd.c (commands) and edit.c (the edit flags). */
#include <stdio.h>
#include <string.h>

#include "bundle/cmd.h"
#include "common/cli.h"
#include "common/error.h"
#include "common/log.h"
#include "common/spec.h"
#include "common/util.h"

enum {
	OPT_HELP = 'h',
	OPT_BUNDLE = 'b',
	OPT_ENV = 'e',
	OPT_MEMORY = 'm',
	OPT_USER = 'u',
	OPT_VERSION = 256,
	OPT_ROOTLESS,
	OPT_FORCE,
	OPT_IMAGE_CONFIG,
	OPT_FROM_IMAGE,
	OPT_ENTRYPOINT,
	OPT_ARGS,
	OPT_TERMINAL,
	OPT_NO_TERMINAL,
	OPT_CWD,
	OPT_HOSTNAME,
	OPT_READONLY,
	OPT_NO_READONLY,
	OPT_MOUNT,
	OPT_TMPFS,
	OPT_CPUS,
	OPT_PIDS,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_NET,
	OPT_ANNOTATION,
};

/* One table for every command, in three groups: a command parses and lists its prefix of
 * it (validate: the first group; edit: the first two; spec: all). */
static const oci_cli_option options[] = {
    /* every command */
    {"bundle", 'b', OCI_ARG_REQUIRED, "DIR", "bundle directory (default: the current directory)",
     OPT_BUNDLE},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    /* spec and edit: the edits */
    {"annotation", 0, OCI_ARG_REQUIRED, "K=V", "set an annotation", OPT_ANNOTATION},
    {"args", 0, OCI_ARG_REQUIRED, "ARG",
     "replace the image's Cmd, one argument each (or give them after --)", OPT_ARGS},
    {"cap-add", 0, OCI_ARG_REQUIRED, "CAP", "add a capability to every set (or ALL)", OPT_CAP_ADD},
    {"cap-drop", 0, OCI_ARG_REQUIRED, "CAP", "drop a capability from every set (or ALL)",
     OPT_CAP_DROP},
    {"cpus", 0, OCI_ARG_REQUIRED, "N", "CPU quota in CPUs (e.g. 1.5), over a 100ms period",
     OPT_CPUS},
    {"cwd", 0, OCI_ARG_REQUIRED, "DIR", "working directory of the process", OPT_CWD},
    {"entrypoint", 0, OCI_ARG_REQUIRED, "ARG",
     "replace the image's Entrypoint, dropping its Cmd (repeat; '' for none)", OPT_ENTRYPOINT},
    {"env", 'e', OCI_ARG_REQUIRED, "K=V", "set an environment variable", OPT_ENV},
    {"hostname", 0, OCI_ARG_REQUIRED, "NAME", "container hostname (adds a uts namespace)",
     OPT_HOSTNAME},
    {"memory", 'm', OCI_ARG_REQUIRED, "SIZE", "memory limit (e.g. 512M, 2G)", OPT_MEMORY},
    {"mount", 0, OCI_ARG_REQUIRED, "SPEC",
     "add a mount: type=bind,src=PATH,dst=PATH[,options=OPT,OPT...]", OPT_MOUNT},
    {"net", 0, OCI_ARG_REQUIRED, "MODE", "network: host, none (own namespace) or ns:PATH", OPT_NET},
    {"no-readonly-rootfs", 0, OCI_ARG_NONE, NULL, "make the root filesystem writable",
     OPT_NO_READONLY},
    {"no-terminal", 0, OCI_ARG_NONE, NULL, "no terminal for the process", OPT_NO_TERMINAL},
    {"pids-limit", 0, OCI_ARG_REQUIRED, "N", "maximum number of processes (-1: unlimited)",
     OPT_PIDS},
    {"readonly-rootfs", 0, OCI_ARG_NONE, NULL, "make the root filesystem read-only", OPT_READONLY},
    {"terminal", 0, OCI_ARG_NONE, NULL, "give the process a terminal", OPT_TERMINAL},
    {"tmpfs", 0, OCI_ARG_REQUIRED, "DST[:OPTS]",
     "add a tmpfs mount (nosuid,noexec,nodev then OPTS)", OPT_TMPFS},
    {"user", 'u', OCI_ARG_REQUIRED, "USER", "UID[:GID] or NAME[:GROUP], resolved in the rootfs",
     OPT_USER},
    /* spec only */
    {"force", 'f', OCI_ARG_NONE, NULL, "replace an existing config.json", OPT_FORCE},
    {"from-image", 0, OCI_ARG_NONE, NULL, "derive the process from BUNDLE/image-config.json",
     OPT_FROM_IMAGE},
    {"image-config", 0, OCI_ARG_REQUIRED, "FILE",
     "derive the process from an image config ('-': stdin)", OPT_IMAGE_CONFIG},
    {"rootless", 0, OCI_ARG_NONE, NULL,
     "a config for an unprivileged user (as runc spec --rootless)", OPT_ROOTLESS},
};

/* Before a command: only these. */
static const oci_cli_option tool_opts[] = {
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"version", 'v', OCI_ARG_NONE, NULL, "print the version", OPT_VERSION},
};

#define ARGS_RULE                                                                                  \
	"The process arguments given with --args or after -- replace the image's Cmd and keep "    \
	"its\n"                                                                                    \
	"Entrypoint, as in `docker run IMAGE ARGS`: the Entrypoint comes from --entrypoint, "      \
	"else\n"                                                                                   \
	"from the image config (--image-config, --from-image, or for edit "                        \
	"BUNDLE/image-config.json\n"                                                               \
	"when it exists, as oci-unpack --bundle writes it); without an image they are the whole\n" \
	"command line."

static const char spec_description[] =
    "Write BUNDLE/config.json: runc's default spec (also --rootless), or with --from-image or\n"
    "--image-config the process of an image, as docker run would start it, then the edits.\n"
    "\n"
    "From an image, args = Entrypoint + Cmd, env = the default PATH + Env + --env, User resolved\n"
    "in BUNDLE/rootfs's /etc/passwd and /etc/group, no terminal; StopSignal, Labels and\n"
    "ExposedPorts become annotations, and Volumes become tmpfs mounts (empty, unlike docker's\n"
    "volumes: the image's files there are hidden). Labels whose keys runtimes act on\n"
    "(org.systemd.property., org.criu., run.oci., io.katacontainers., dev.gvisor., cdi.k8s.io/)\n"
    "are left out with a warning: --annotation gives one if you trust the image.\n"
    "\n" ARGS_RULE;
static const char edit_description[] =
    "Change BUNDLE/config.json in place (atomically), keeping everything the edits do not name.\n"
    "\n" ARGS_RULE;
static const char validate_description[] =
    "Check DIR/config.json (default: the bundle, the current directory) as oci-run create does,\n"
    "print every problem with its JSON path, and fail when there is any.";

typedef int bundle_fn(oci_bundle_opts *o, oci_error *err);

static int cmd_spec(oci_bundle_opts *o, oci_error *err)
{
	return oci_bundle_cmd_spec(o, err);
}

static int cmd_edit(oci_bundle_opts *o, oci_error *err)
{
	return oci_bundle_cmd_edit(o, err);
}

static int cmd_validate(oci_bundle_opts *o, oci_error *err)
{
	int r = oci_bundle_cmd_validate(o, err);
	return r < 0 ? -1 : r > 0;
}

/* The commands: help, man pages and completion come from here. */
static const struct bundle_command {
	oci_cli_command doc;
	const char *usage;
	const char *description;
	int first_excluded; /* the command parses options[] up to this id (0: all of it) */
	bool operands;	    /* takes operands (validate's DIR) besides -- ARGS */
	bundle_fn *fn;
} commands[] = {
    {{"edit", "change config.json, keeping everything else",
      "# run a shell command instead of the image's Cmd, with its Entrypoint kept\n"
      "oci-bundle edit -b mycontainer -- sh -c 'echo hello'\n"
      "# no terminal, a read-only root and a memory limit\n"
      "oci-bundle edit --no-terminal --readonly-rootfs --memory 256M"},
     "oci-bundle edit [OPTIONS] [-- ARGS...]",
     edit_description,
     OPT_FORCE,
     false,
     cmd_edit},
    {{"help", "show the help of oci-bundle or of a command",
      "oci-bundle help\n"
      "oci-bundle help spec"},
     NULL,
     NULL,
     0,
     false,
     NULL},
    {{"spec", "write config.json: runc's default, or the process of an image",
      "# runc's default config.json in the current directory, running 'echo hi'\n"
      "oci-bundle spec -- echo hi\n"
      "# the image's own process from mycontainer/image-config.json, with a hostname\n"
      "oci-bundle spec -b mycontainer --from-image --hostname box --force"},
     "oci-bundle spec [OPTIONS] [-- ARGS...]",
     spec_description,
     0,
     false,
     cmd_spec},
    {{"validate", "print every problem of config.json with its JSON path",
      "oci-bundle validate mycontainer\n"
      "oci-bundle validate --bundle mycontainer"},
     "oci-bundle validate [--bundle DIR | DIR]",
     validate_description,
     OPT_ANNOTATION,
     true,
     cmd_validate},
};

static const oci_cli_tool tool = {
    .name = "oci-bundle",
    .summary = "write, edit and validate a runtime bundle's config.json",
    .cmds = &commands[0].doc,
    .n_cmds = ARRAY_SIZE(commands),
    .cmd_size = sizeof(commands[0]),
};

/* How many of options[] the command parses. */
static size_t command_opts(const struct bundle_command *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].id == c->first_excluded)
			return i;
	return ARRAY_SIZE(options);
}

/* Index of the "--" that ends the options (skipping values of options that take one). */
static int find_dashdash(int argc, char **argv, int first, size_t n_opts)
{
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return i;
		if (a[0] != '-' || !a[1] || strchr(a, '='))
			continue;
		for (size_t k = 0; k < n_opts; k++) {
			const oci_cli_option *o = &options[k];
			bool match = (a[1] == '-' && !strcmp(a + 2, o->long_name)) ||
				     (a[1] != '-' && !strcmp(a + 1, o->long_name)) ||
				     (a[1] != '-' && !a[2] && o->short_name == a[1]);
			if (match && o->arg == OCI_ARG_REQUIRED) {
				i++;
				break;
			}
		}
	}
	return argc;
}

static int add(oci_bundle_strv *s, const char *v, oci_error *err)
{
	return oci_bundle_strv_add(s, (char *)v, err);
}

/* Parse the options of command c (argv[1]) into o. Returns 1 after printing its help. */
static int parse(const struct bundle_command *cmd, oci_bundle_opts *o, int argc, char **argv,
		 oci_error *err)
{
	oci_cli c;
	size_t n_opts = command_opts(cmd);
	int id, dd = find_dashdash(argc, argv, 2, n_opts);
	oci_bundle_edits *e = &o->edits;
	oci_cli_init(&c, options, n_opts, dd, argv, 2, false);
	while ((id = oci_cli_next(&c, err)) > 0) {
		const char *a = c.optarg;
		int r = 0;
		switch (id) {
		case OPT_HELP:
			oci_cli_help(stdout, cmd->usage, cmd->description, options, n_opts);
			return oci_flush_stdout(err) < 0 ? -1 : 1;
		case OPT_BUNDLE:
			o->bundle = a;
			break;
		case OPT_ROOTLESS:
			o->rootless = true;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_IMAGE_CONFIG:
			o->image_config = a;
			break;
		case OPT_FROM_IMAGE:
			o->from_image = true;
			break;
		case OPT_ENTRYPOINT:
			o->entrypoint_set = true;
			if (*a)
				r = add(&o->entrypoint, a, err);
			break;
		case OPT_ARGS:
			e->args_set = true;
			r = add(&e->args, a, err);
			break;
		case OPT_TERMINAL:
			e->terminal = 1;
			break;
		case OPT_NO_TERMINAL:
			e->terminal = 0;
			break;
		case OPT_ENV:
			r = add(&e->env, a, err);
			break;
		case OPT_CWD:
			e->cwd = a;
			break;
		case OPT_HOSTNAME:
			e->hostname = a;
			break;
		case OPT_READONLY:
			e->readonly_rootfs = 1;
			break;
		case OPT_NO_READONLY:
			e->readonly_rootfs = 0;
			break;
		case OPT_MOUNT:
			r = add(&e->mounts, a, err);
			break;
		case OPT_TMPFS:
			r = add(&e->tmpfs, a, err);
			break;
		case OPT_MEMORY:
			e->memory = a;
			break;
		case OPT_CPUS:
			e->cpus = a;
			break;
		case OPT_PIDS:
			e->pids_limit = a;
			break;
		case OPT_CAP_ADD:
			r = add(&e->cap_add, a, err);
			break;
		case OPT_CAP_DROP:
			r = add(&e->cap_drop, a, err);
			break;
		case OPT_USER:
			e->user = a;
			break;
		case OPT_NET:
			e->net = a;
			break;
		case OPT_ANNOTATION:
			r = add(&e->annotations, a, err);
			break;
		default:
			r = oci_err(err, OCI_E_INTERNAL, "unhandled option %d", id);
		}
		if (r < 0)
			return -1;
	}
	if (id < 0)
		return oci_err_prefix(err, "%s", cmd->doc.name);
	o->operands = argv + c.index;
	o->n_operands = dd - c.index;
	if (o->n_operands && !cmd->operands)
		return oci_err(err, OCI_E_INVALID,
			       "%s: unexpected argument '%s' (process arguments go after --)",
			       cmd->doc.name, o->operands[0]);
	if (dd < argc && cmd->operands)
		return oci_err(err, OCI_E_INVALID, "%s: takes no process arguments (--)",
			       cmd->doc.name);
	if (o->image_config && o->from_image)
		return oci_err(err, OCI_E_INVALID,
			       "--image-config and --from-image exclude each other");
	if (dd < argc) {
		if (e->args.n)
			return oci_err(
			    err, OCI_E_INVALID,
			    "give the process arguments with --args or after --, not both");
		e->args_set = true;
		for (int i = dd + 1; i < argc; i++)
			if (add(&e->args, argv[i], err) < 0)
				return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	oci_cli_help(f, "oci-bundle COMMAND [OPTIONS] [-- ARGS...]", NULL, tool_opts,
		     ARRAY_SIZE(tool_opts));
}

/* oci-bundle --help | -h | --version | -v: the options before any command. */
static int tool_options(int argc, char **argv, oci_error *err)
{
	oci_cli c;
	int id;
	oci_cli_init(&c, tool_opts, ARRAY_SIZE(tool_opts), argc, argv, 1, true);
	while ((id = oci_cli_next(&c, err)) > 0) {
		if (id == OPT_HELP) {
			usage(stdout);
			return oci_flush_stdout(err);
		}
		return oci_cli_print_version("oci-bundle", err);
	}
	if (id == 0)
		oci_err(err, OCI_E_INVALID, "no command given before '%s' (see --help)",
			argv[c.index]);
	return -1;
}

int main(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	oci_bundle_opts o = {.bundle = "."};
	int ret = 1, r;
	oci_log_init("oci-bundle");
	oci_cli_set_tool(&tool);
	oci_bundle_edits_init(&o.edits);
	if (argc < 2) {
		oci_err(&err, OCI_E_INVALID,
			"no command given (spec, edit or validate; see --help)");
		goto out;
	}
	if (argv[1][0] == '-') {
		ret = tool_options(argc, argv, &err) < 0;
		goto out;
	}
	/* "help [COMMAND]" is "--help" or "COMMAND --help" */
	char *help_argv[] = {argv[0], NULL, (char *)"--help", NULL};
	if (!strcmp(argv[1], "help") && argc > 2) {
		help_argv[1] = argv[2];
		argc = 3;
		argv = help_argv;
	} else if (!strcmp(argv[1], "help")) {
		usage(stdout);
		ret = oci_flush_stdout(&err) < 0;
		goto out;
	}
	const oci_cli_command *doc = oci_cli_enter_command(argv[1]);
	if (!doc || !strcmp(argv[1], "help")) {
		oci_cli_unknown_command(argv[1], &err);
		goto out;
	}
	const struct bundle_command *cmd = (const struct bundle_command *)(const void *)doc;
	if ((r = parse(cmd, &o, argc, argv, &err)) != 0)
		ret = r < 0;
	else
		ret = cmd->fn(&o, &err) != 0;
out:
	if (ret && err.code)
		oci_log_error_final(&err);
	oci_bundle_strv_release(&o.entrypoint);
	oci_bundle_edits_release(&o.edits);
	return ret;
}
