/* What oci-run's command files share: the parser of the commands that take only an id,
 * --format, --preserve-fds, and printing JSON to stdout with its errors checked. */
#include "run/cmd/cmd.h"

#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/util.h"
#include "run/state.h"

enum { OPT_HELP = 'h' };

static const oci_cli_option id_opts[] = {
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
};

const char *oci_cmd_one_id(int argc, char **argv, const char *usage, oci_error *err)
{
	oci_cli cli;
	int opt;
	oci_cli_init(&cli, id_opts, ARRAY_SIZE(id_opts), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_HELP) {
			oci_cli_help(stdout, usage, NULL, id_opts, ARRAY_SIZE(id_opts));
			return "";
		}
	}
	if (opt < 0)
		return NULL;
	if (cli.index != argc - 1) {
		oci_err(err, OCI_E_INVALID, "%s: expected exactly one container id", argv[0]);
		return NULL;
	}
	/* "" is the answer after --help: an empty id is refused here, not taken for it */
	if (!argv[cli.index][0] && oci_state_check_id(argv[cli.index], err) < 0)
		return NULL;
	return argv[cli.index];
}

int oci_cmd_print_json(json_t *j, size_t flags, bool newline, oci_error *err)
{
	cleanup_free char *s = json_dumps(j, flags);
	if (!s)
		return oci_err(err, OCI_E_INTERNAL, "cannot serialise JSON");
	fputs(s, stdout);
	if (newline)
		fputc('\n', stdout);
	return oci_flush_stdout(err);
}

int oci_cmd_parse_format(const char *arg, bool *json, oci_error *err)
{
	if (!strcmp(arg, "json"))
		*json = true;
	else if (!strcmp(arg, "table"))
		*json = false;
	else
		return oci_err(err, OCI_E_INVALID, "invalid format option '%s'", arg);
	return 0;
}

int oci_cmd_parse_preserve_fds(const char *arg, int *out, oci_error *err)
{
	uint64_t n;
	if (oci_parse_u64(arg, 1u << 20, &n) < 0)
		return oci_err(err, OCI_E_INVALID, "--preserve-fds: invalid number '%s'", arg);
	*out = (int)n;
	return 0;
}
