/* oci-run pause / resume: freeze and thaw every process of a container through its cgroups
 * (the v1 freezer controller's freezer.state, the v2 core's cgroup.freeze), as runc does for
 * `podman pause` and `ctr task pause`. A frozen container's status is "paused". */
#include "run/freezer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/util.h"
#include "run/commands.h"
#include "run/state.h"

/* Read a small cgroup file of dir into buf; -1 when it does not exist. */
static int read_small(const char *dir, const char *file, char *buf, size_t len)
{
	char p[8300];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int write_small(const char *dir, const char *file, const char *val, oci_error *err)
{
	char p[8300];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open '%s'", p);
	ssize_t n = write(fd, val, strlen(val));
	int e = errno;
	close(fd);
	if (n != (ssize_t)strlen(val))
		return oci_err_errno(err, e, "cannot write '%s' to '%s'", val, p);
	return 0;
}

static bool v2_frozen(const char *dir)
{
	char buf[512];
	if (read_small(dir, "cgroup.events", buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, "frozen 1") != NULL;
}

bool oci_freezer_is_frozen(json_t *dirs)
{
	size_t i;
	json_t *v;
	json_array_foreach(dirs, i, v)
	{
		const char *d = json_string_value(v);
		char buf[64];
		if (read_small(d, "freezer.state", buf, sizeof(buf)) == 0)
			return !strncmp(buf, "FROZEN", 6);
		if (read_small(d, "cgroup.freeze", buf, sizeof(buf)) == 0 && buf[0] == '1')
			return true;
	}
	return false;
}

const char *oci_freezer_frozen_dir(json_t *dirs)
{
	size_t i;
	json_t *v;
	json_array_foreach(dirs, i, v)
	{
		const char *d = json_string_value(v);
		char buf[64];
		/* v1 reports FROZEN also when only an ancestor is; FREEZING counts too. */
		if (read_small(d, "freezer.state", buf, sizeof(buf)) == 0) {
			if (strncmp(buf, "THAWED", 6))
				return d;
		} else if ((read_small(d, "cgroup.freeze", buf, sizeof(buf)) == 0 &&
			    buf[0] == '1') ||
			   v2_frozen(d)) {
			return d;
		}
	}
	return NULL;
}

int oci_freezer_set(json_t *dirs, bool frozen, oci_error *err)
{
	size_t i;
	json_t *v;
	bool any = false;
	json_array_foreach(dirs, i, v)
	{
		const char *d = json_string_value(v);
		char buf[64];
		if (read_small(d, "freezer.state", buf, sizeof(buf)) == 0) {
			any = true;
			if (write_small(d, "freezer.state", frozen ? "FROZEN" : "THAWED", err) < 0)
				return -1;
			/* FREEZING until every task stopped: wait for the kernel to finish (5 s).
			 */
			for (int t = 0; frozen && t < 1000; t++) {
				if (read_small(d, "freezer.state", buf, sizeof(buf)) == 0 &&
				    !strncmp(buf, "FROZEN", 6))
					break;
				if (t == 999)
					return oci_err(err, OCI_E_STATE,
						       "cgroup '%s' did not freeze", d);
				struct timespec ts = {0, 5 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
		} else if (read_small(d, "cgroup.freeze", buf, sizeof(buf)) == 0) {
			any = true;
			if (write_small(d, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
				return -1;
			for (int t = 0; frozen && t < 1000 && !v2_frozen(d); t++) {
				struct timespec ts = {0, 5 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
		}
	}
	if (!any && frozen)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "no freezer cgroup for this container (none mounted or delegated)");
	return 0;
}

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
	else if (oci_freezer_set(st.cgroups, pause, err) < 0)
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
