/* oci-run ps: the processes of a container, as runc prints them: `--format json` is the
 * JSON array of host pids that containerd's shim reads for `ctr task ps`; the table runs the
 * host's ps (default -ef, or the options given after the id) and keeps its header and the
 * lines whose PID column belongs to the container. */
#include "run/cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/util.h"

enum { OPT_FORMAT = 'f', OPT_HELP = 256 };

static const oci_cli_option ps_options[] = {
    {"format", 'f', OCI_ARG_REQUIRED, "FORMAT", "table (ps output) or json (pids)", OPT_FORMAT},
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", OPT_HELP},
};

/* Run ps with args and print the header and the lines of the container's pids. */
static int ps_table(char **args, int nargs, const pid_t *pids, size_t n, oci_error *err)
{
	int pfd[2];
	/* no variable-length array sized by the command line (STYLE rule 10); room for "ps",
	 * the arguments or "-ef", and the NULL */
	cleanup_free char **argv = calloc((size_t)nargs + 3, sizeof(*argv));
	if (!argv)
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return oci_err_errno(err, errno, "pipe");
	char ef[] = "-ef";
	argv[0] = (char *)"ps";
	if (nargs == 0)
		argv[1] = ef;
	for (int i = 0; i < nargs; i++)
		argv[1 + i] = args[i];
	fflush(stdout);
	pid_t c = fork();
	if (c < 0)
		return oci_err_errno(err, errno, "fork");
	if (c == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		execvp("ps", argv);
		dprintf(STDERR_FILENO, "oci-run: ps: cannot run 'ps': %s\n", strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	cleanup_fclose FILE *f = fdopen(pfd[0], "re");
	if (!f) {
		close(pfd[0]);
		waitpid(c, NULL, 0);
		return oci_err_errno(err, errno, "fdopen");
	}
	int r = oci_cmd_ps_filter(f, stdout, pids, n, err);
	/* closed before the wait: a ps that still writes (the filter stopped early) gets EPIPE
	 * instead of blocking on a full pipe while we wait for it */
	fclose(f);
	f = NULL;
	int st;
	waitpid(c, &st, 0);
	if (r < 0)
		return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return oci_err(err, OCI_E_IO, "ps: 'ps' failed (exit %d)",
			       WIFEXITED(st) ? WEXITSTATUS(st) : 128);
	return oci_flush_stdout(err);
}

int oci_cmd_ps(const oci_runtime *rt, int argc, char **argv, oci_error *err)
{
	oci_cli cli;
	int opt;
	bool json = false;
	oci_cli_init(&cli, ps_options, ARRAY_SIZE(ps_options), argc, argv, 1, true);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		if (opt == OPT_HELP) {
			oci_cli_help(stdout, "oci-run ps [--format table|json] ID [PS OPTIONS]",
				     NULL, ps_options, ARRAY_SIZE(ps_options));
			return 0;
		}
		if (oci_cmd_parse_format(cli.optarg, &json, err) < 0)
			return -1;
	}
	if (opt < 0)
		return -1;
	if (cli.index >= argc)
		return oci_err(err, OCI_E_INVALID, "ps: expected a container id");
	const char *id = argv[cli.index];
	if (json && cli.index + 1 < argc)
		return oci_err(err, OCI_E_INVALID,
			       "ps: ps options cannot be used with --format json");
	pid_t *pids = NULL;
	size_t n = 0;
	int ret = oci_container_pids(rt, id, &pids, &n, err);
	if (ret == 0 && json) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		ret = oci_flush_stdout(err);
	} else if (ret == 0) {
		ret = ps_table(argv + cli.index + 1, argc - cli.index - 1, pids, n, err);
	}
	free(pids);
	return ret < 0 ? -1 : 0;
}
