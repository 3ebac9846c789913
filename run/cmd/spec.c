/* oci-run spec: write runc's default config.json (or its rootless variant) into a bundle
 * directory, refusing to replace one. */
#include "run/cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/json.h"
#include "common/spec.h"
#include "common/util.h"

enum { OPT_BUNDLE = 'b', OPT_HELP = 'h', OPT_ROOTLESS = 256 };

static const oci_cli_option spec_opts[] = {
    {"bundle", 'b', OCI_ARG_REQUIRED, "DIR", "write config.json in DIR", OPT_BUNDLE},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
    {"rootless", 0, OCI_ARG_NONE, NULL, "a config for an unprivileged user", OPT_ROOTLESS},
};

int oci_cmd_spec(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	(void)rt;
	oci_cli cli;
	int opt;
	const char *bundle = ".";
	bool rootless = false;
	oci_cli_init(&cli, spec_opts, ARRAY_SIZE(spec_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_BUNDLE)
			bundle = cli.optarg;
		else if (opt == OPT_ROOTLESS)
			rootless = true;
		else if (opt == OPT_HELP) {
			oci_cli_help(stdout, "oci-run spec [OPTIONS]", NULL, spec_opts,
				     ARRAY_SIZE(spec_opts));
			return 0;
		}
	}
	if (opt < 0)
		return -1;
	if (cli.index != argc)
		return oci_err(err, OCI_E_INVALID, "spec: takes no arguments");
	cleanup_close int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return oci_err_errno(err, errno, "bundle '%s'", bundle);
	if (faccessat(dfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return oci_err(err, OCI_E_EXISTS, "file '%s/config.json' exists: remove it first",
			       bundle);
	cleanup_json json_t *spec = oci_spec_default(rootless, err);
	if (!spec)
		return -1;
	cleanup_free char *s = oci_json_dump_pretty(spec, err);
	if (!s)
		return -1;
	if (oci_write_file_atomic(dfd, "config.json", s, strlen(s), 0666 & ~022, err) < 0)
		return -1;
	return 0;
}
