/* oci-run pause / resume: freeze and thaw every process of a container through its cgroup
 * manager (run/cgroup/: the v1 freezer controller, the v2 core's cgroup.freeze), as runc does
 * for `podman pause` and `ctr task pause`. A frozen container's status is "paused". */
#include <stdio.h>

#include "common/cli.h"
#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/commands.h"
#include "run/state.h"

static const oci_cli_option id_options[] = {
    {"help", 'h', OCI_ARG_NONE, NULL, "show this help", 'h'},
};

static int pause_or_resume(const oci_run_global *g, int argc, char **argv, bool pause,
			   oci_error *err)
{
	oci_cli cli;
	int opt;
	oci_cli_init(&cli, id_options, ARRAY_SIZE(id_options), argc, argv, 1, false);
	while ((opt = oci_cli_next(&cli, err)) > 0) {
		oci_cli_help(stdout, pause ? "oci-run pause ID" : "oci-run resume ID", NULL,
			     id_options, ARRAY_SIZE(id_options));
		return 0;
	}
	if (opt < 0)
		return -1;
	if (cli.index != argc - 1)
		return oci_err(err, OCI_E_INVALID, "%s: expected exactly one container id",
			       argv[0]);
	const char *id = argv[cli.index];
	oci_state st;
	cleanup_close int dirfd = oci_state_load(g->root, id, true, NULL, &st, err);
	if (dirfd < 0)
		return -1;
	int status = oci_state_status(dirfd, &st);
	int ret = 0;
	if (pause && status != OCI_STATUS_RUNNING && status != OCI_STATUS_CREATED)
		ret = oci_err(err, OCI_E_STATE, "container '%s' is not running: %s", id,
			      oci_status_name(status));
	else if (!pause && status != OCI_STATUS_PAUSED)
		ret = oci_err(err, OCI_E_STATE, "container '%s' is not paused: %s", id,
			      oci_status_name(status));
	else if (!st.cgroups && pause)
		ret = oci_err(err, OCI_E_UNSUPPORTED,
			      "container '%s': no freezer cgroup for this container (none mounted "
			      "or delegated)",
			      id);
	else if (st.cgroups && oci_cgroup_freeze(st.cgroups, pause, err) < 0)
		ret = oci_err_prefix(err, "container '%s'", id);
	oci_state_release(&st);
	return ret;
}

int oci_cmd_pause(const oci_run_global *g, int argc, char **argv, oci_error *err)
{
	return pause_or_resume(g, argc, argv, true, err);
}

int oci_cmd_resume(const oci_run_global *g, int argc, char **argv, oci_error *err)
{
	return pause_or_resume(g, argc, argv, false, err);
}
