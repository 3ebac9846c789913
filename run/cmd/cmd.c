/* What oci-run's command files share: the parser of the commands that take only an id,
 * --format, --preserve-fds, and printing JSON to stdout with its errors checked. */
#include "run/cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int oci_cmd_listen_fds(int *out, oci_error *err)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	uint64_t p, n;
	*out = 0;
	/* sd_listen_fds(3)'s rule: the fds are ours only when LISTEN_PID names this process
	 * (a variable inherited from an activated parent names the parent) */
	if (!pid || oci_parse_u64(pid, INT32_MAX, &p) < 0 || p != (uint64_t)getpid() || !fds)
		return 0;
	if (oci_parse_u64(fds, 1u << 20, &n) < 0)
		return oci_err(err, OCI_E_INVALID,
			       "LISTEN_FDS '%s': not a number of fds (socket activation passes "
			       "fds 3..3+N-1; unset LISTEN_PID to pass none)",
			       fds);
	for (int fd = 3; fd < 3 + (int)n; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			return oci_err(err, OCI_E_INVALID,
				       "LISTEN_FDS=%d (socket activation): fd %d is not open",
				       (int)n, fd);
	*out = (int)n;
	return 0;
}

static bool has_pid(const pid_t *pids, size_t n, long p)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == p)
			return true;
	return false;
}

int oci_cmd_ps_filter(FILE *in, FILE *out, const pid_t *pids, size_t n, oci_error *err)
{
	/* whole lines, however long: a process's arguments are as long as it likes, and a line
	 * cut in two would have its rest judged (and printed) as a line of its own */
	cleanup_free char *line = NULL, *copy = NULL;
	size_t line_cap = 0, copy_cap = 0;
	ssize_t len;
	int pid_col = -1;
	while ((len = getline(&line, &line_cap, in)) >= 0) {
		if ((size_t)len + 1 > copy_cap) {
			char *nc = realloc(copy, (size_t)len + 1);
			if (!nc)
				return oci_err_errno(err, ENOMEM, "ps: cannot allocate");
			copy = nc;
			copy_cap = (size_t)len + 1;
		}
		memcpy(copy, line, (size_t)len + 1);
		char *save, *tok = strtok_r(copy, " \t\n", &save);
		if (pid_col < 0) {
			/* The header names the columns; find "PID". */
			for (int col = 0; tok; tok = strtok_r(NULL, " \t\n", &save), col++)
				if (!strcmp(tok, "PID"))
					pid_col = col;
			if (pid_col < 0)
				return oci_err(
				    err, OCI_E_INVALID,
				    "ps: no PID column in the output of ps (add -o pid)");
			fwrite(line, 1, (size_t)len, out);
			continue;
		}
		for (int col = 0; tok && col < pid_col; col++)
			tok = strtok_r(NULL, " \t\n", &save);
		char *end;
		long p = tok ? strtol(tok, &end, 10) : 0;
		if (tok && *end == '\0' && has_pid(pids, n, p))
			fwrite(line, 1, (size_t)len, out);
	}
	return 0;
}
