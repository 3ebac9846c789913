/* Freezing a container's processes through its cgroups (the v1 freezer controller's
 * freezer.state, the v2 core's cgroup.freeze), for pause and resume (run/container.c) and
 * for the status: a frozen container's status is "paused". */
#include "run/freezer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

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
