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

static const oci_cli_option options[] = {
    {"annotation", 0, OCI_ARG_REQUIRED, "K=V", "set an annotation", OPT_ANNOTATION},
    {"args", 0, OCI_ARG_REQUIRED, "ARG",
     "process argument (repeat for each; or give them after --)", OPT_ARGS},
    {"bundle", 'b', OCI_ARG_REQUIRED, "DIR", "bundle directory (default: the current directory)",
     OPT_BUNDLE},
    {"cap-add", 0, OCI_ARG_REQUIRED, "CAP", "add a capability to every set (or ALL)", OPT_CAP_ADD},
    {"cap-drop", 0, OCI_ARG_REQUIRED, "CAP", "drop a capability from every set (or ALL)",
     OPT_CAP_DROP},
    {"cpus", 0, OCI_ARG_REQUIRED, "N", "CPU quota in CPUs (e.g. 1.5), over a 100ms period",
     OPT_CPUS},
    {"cwd", 0, OCI_ARG_REQUIRED, "DIR", "working directory of the process", OPT_CWD},
    {"entrypoint", 0, OCI_ARG_REQUIRED, "ARG",
     "spec from image: replace the Entrypoint (repeat; '' for none)", OPT_ENTRYPOINT},
    {"env", 'e', OCI_ARG_REQUIRED, "K=V", "set an environment variable", OPT_ENV},
    {"force", 'f', OCI_ARG_NONE, NULL, "spec: replace an existing config.json", OPT_FORCE},
    {"from-image", 0, OCI_ARG_NONE, NULL, "spec: derive the process from BUNDLE/image-config.json",
     OPT_FROM_IMAGE},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"hostname", 0, OCI_ARG_REQUIRED, "NAME", "container hostname (adds a uts namespace)",
     OPT_HOSTNAME},
    {"image-config", 0, OCI_ARG_REQUIRED, "FILE",
     "spec: derive the process from an image config ('-': stdin)", OPT_IMAGE_CONFIG},
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
    {"rootless", 0, OCI_ARG_NONE, NULL,
     "spec: a config for an unprivileged user (as runc spec --rootless)", OPT_ROOTLESS},
    {"terminal", 0, OCI_ARG_NONE, NULL, "give the process a terminal", OPT_TERMINAL},
    {"tmpfs", 0, OCI_ARG_REQUIRED, "DST[:OPTS]",
     "add a tmpfs mount (nosuid,noexec,nodev then OPTS)", OPT_TMPFS},
    {"user", 'u', OCI_ARG_REQUIRED, "USER", "UID[:GID] or NAME[:GROUP], resolved in the rootfs",
     OPT_USER},
    {"version", 0, OCI_ARG_NONE, NULL, "print the version", OPT_VERSION},
};

static const char usage[] = "oci-bundle COMMAND [OPTIONS] [-- ARGS...]";
static const char description[] =
    "Write, edit and validate a runtime bundle's config.json.\n\n"
    "Commands:\n"
    "  spec [--rootless] [--force] [--image-config FILE | --from-image] [EDITS] [-- ARGS...]\n"
    "                    write BUNDLE/config.json: runc's default spec, or the process of an "
    "image\n"
    "  edit [EDITS] [-- ARGS...]   change BUNDLE/config.json, keeping everything else\n"
    "  validate [DIR]    print every problem of DIR/config.json with its JSON path\n\n"
    "From an image, args = Entrypoint + Cmd (--args or -- replace Cmd, --entrypoint both), env =\n"
    "the default PATH + Env + --env, User resolved in BUNDLE/rootfs's /etc/passwd and /etc/group,\n"
    "no terminal; StopSignal, Labels and ExposedPorts become annotations, and Volumes become\n"
    "tmpfs mounts (empty, unlike docker's volumes: the image's files there are hidden).";

/* Index of the "--" that ends the options (skipping values of options that take one). */
static int find_dashdash(int argc, char **argv, int first)
{
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return i;
		if (a[0] != '-' || !a[1] || strchr(a, '='))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(options); k++) {
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

static int parse(oci_bundle_opts *o, int argc, char **argv, int first, oci_error *err)
{
	oci_cli c;
	int id, dd = find_dashdash(argc, argv, first);
	oci_bundle_edits *e = &o->edits;
	oci_cli_init(&c, options, ARRAY_SIZE(options), dd, argv, first, false);
	while ((id = oci_cli_next(&c, err)) > 0) {
		const char *a = c.optarg;
		int r = 0;
		switch (id) {
		case OPT_HELP:
			oci_cli_help(stdout, usage, description, options, ARRAY_SIZE(options));
			exit(oci_flush_stdout(err) < 0 ? 1 : 0);
		case OPT_VERSION:
			printf("oci-bundle version %s\nspec: %s\n", OCI_VERSION,
			       OCI_RUNTIME_SPEC_VERSION);
			exit(oci_flush_stdout(err) < 0 ? 1 : 0);
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
		return -1;
	o->operands = argv + c.index;
	o->n_operands = dd - c.index;
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

int main(int argc, char **argv)
{
	oci_error err = OCI_ERROR_INIT;
	oci_bundle_opts o = {.bundle = "."};
	int ret = 1, r;
	oci_log_init("oci-bundle");
	oci_bundle_edits_init(&o.edits);
	if (argc < 2) {
		oci_err(&err, OCI_E_INVALID,
			"no command given (spec, edit or validate; see --help)");
		goto out;
	}
	const char *cmd = argv[1];
	if (cmd[0] == '-') {
		/* --help / --version before a command */
		if (parse(&o, argc, argv, 1, &err) == 0)
			oci_err(&err, OCI_E_INVALID, "no command given (spec, edit or validate)");
		goto out;
	}
	if (parse(&o, argc, argv, 2, &err) < 0)
		goto out;
	if (!strcmp(cmd, "spec") || !strcmp(cmd, "edit")) {
		if (o.n_operands)
			oci_err(&err, OCI_E_INVALID,
				"%s: unexpected argument '%s' (process arguments go after --)", cmd,
				o.operands[0]);
		else if (!strcmp(cmd, "spec"))
			ret = oci_bundle_cmd_spec(&o, &err) < 0;
		else
			ret = oci_bundle_cmd_edit(&o, &err) < 0;
	} else if (!strcmp(cmd, "validate")) {
		if (!oci_bundle_edits_empty(&o.edits) || o.rootless || o.force || o.from_image ||
		    o.image_config || o.entrypoint_set)
			oci_err(&err, OCI_E_INVALID, "validate takes only --bundle or a directory");
		else if ((r = oci_bundle_cmd_validate(&o, &err)) >= 0)
			ret = r > 0;
	} else {
		oci_err(&err, OCI_E_INVALID, "unknown command '%s' (spec, edit or validate)", cmd);
	}
out:
	if (ret && err.code)
		oci_log_error_final(&err);
	oci_bundle_strv_release(&o.entrypoint);
	oci_bundle_edits_release(&o.edits);
	return ret;
}
