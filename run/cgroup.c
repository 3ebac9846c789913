/* Cgroup placement: the container gets <mount>/<cgroupsPath> (default /oci-run/<id>) in
 * every cgroup hierarchy mounted on the host, so `kill --all`, delete and the resource
 * limits (run/resources.c) reach all of its processes. cpuset directories need cpus/mems copied
 * from their parent before a process may join. */
#include "run/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"

static int copy_cpuset(const char *dir, const char *file)
{
	char buf[4096], p[4200];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 1)
		return 0; /* already set */
	char parent[4096];
	snprintf(parent, sizeof(parent), "%s", dir);
	char *slash = strrchr(parent, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	char pp[4200];
	snprintf(pp, sizeof(pp), "%s/%s", parent, file);
	fd = open(pp, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, buf, (size_t)n);
	close(fd);
	return w == n ? 0 : -1;
}

/* mkdir every level of rel below mnt; for cpuset initialise each new level. Returns 1 (no
 * error) when an unprivileged caller may not write there: no cgroup was delegated to it. */
static int make_dirs(const char *mnt, const char *rel, bool cpuset, char *out, size_t outlen,
		     oci_error *err)
{
	bool unprivileged = geteuid() != 0;
	snprintf(out, outlen, "%s", mnt);
	const char *p = rel;
	while (*p) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (!n)
			break;
		size_t l = strlen(out);
		snprintf(out + l, outlen - l, "/%.*s", (int)n, p);
		if (mkdir(out, 0755) < 0 && errno != EEXIST) {
			if (unprivileged && (errno == EACCES || errno == EPERM || errno == EROFS))
				return 1;
			return oci_err_errno(err, errno, "cannot create cgroup '%s'", out);
		}
		if (cpuset) {
			copy_cpuset(out, "cpuset.cpus");
			copy_cpuset(out, "cpuset.mems");
		}
		p += n;
	}
	if (unprivileged) {
		char procs[8300];
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", out);
		if (access(procs, W_OK) < 0)
			return 1;
	}
	return 0;
}

/* linux.resources keys that need a cgroup controller to be applied ("devices" is left out:
 * without a writable cgroup an unprivileged container only gets bind-mounted devices). */
static const struct {
	const char *key, *controller;
} resource_controllers[] = {
    {"memory", "memory"},	   {"cpu", "cpu"},	   {"pids", "pids"}, {"blockIO", "blkio"},
    {"hugepageLimits", "hugetlb"}, {"network", "net_cls"}, {"rdma", "rdma"}, {"unified", NULL},
};

static bool requested(json_t *v)
{
	return (json_is_object(v) && json_object_size(v) > 0) ||
	       (json_is_array(v) && json_array_size(v) > 0);
}

/* An unprivileged caller's resources must find their controller in a cgroup it could create. */
static int check_resources(json_t *spec, json_t *placed, const char *rel, oci_error *err)
{
	json_t *res = json_object_get(json_object_get(spec, "linux"), "resources");
	for (size_t i = 0; i < ARRAY_SIZE(resource_controllers); i++) {
		if (!requested(json_object_get(res, resource_controllers[i].key)))
			continue;
		const char *want = resource_controllers[i].controller;
		bool ok = false;
		size_t k;
		json_t *v;
		json_array_foreach(placed, k, v)
		{
			const char *opts = json_string_value(json_object_get(v, "opts"));
			if (!want ? !strcmp(opts, "cgroup2") : strstr(opts, want) != NULL)
				ok = true;
		}
		if (!ok)
			return oci_err(err, OCI_E_AUTH,
				       "linux.resources.%s: cannot be applied: no writable %s "
				       "cgroup '%s' for an "
				       "unprivileged user (delegate one, or drop linux.resources)",
				       resource_controllers[i].key, want ? want : "unified", rel);
	}
	return 0;
}

/* Append the directories of a systemd slice ("a-b.slice" -> /a.slice/a-b.slice), runc's
 * ExpandSlice: systemd nests a slice in the slices named by its dash-separated prefixes. */
static int expand_slice(const char *slice, size_t n, char *out, size_t len, oci_error *err)
{
	if (n < 6 || strncmp(slice + n - 6, ".slice", 6) || memchr(slice, '/', n))
		return oci_err(err, OCI_E_INVALID, "linux.cgroupsPath: invalid slice '%.*s'",
			       (int)n, slice);
	size_t base = n - 6;
	if (base == 1 && slice[0] == '-')
		return 0; /* the root slice */
	if (base == 0 || slice[0] == '-' || slice[base - 1] == '-' || memmem(slice, base, "--", 2))
		return oci_err(err, OCI_E_INVALID, "linux.cgroupsPath: invalid slice '%.*s'",
			       (int)n, slice);
	for (size_t i = 0; i <= base; i++) {
		if (i < base && slice[i] != '-')
			continue;
		size_t l = strlen(out);
		snprintf(out + l, len - l, "/%.*s.slice", (int)i, slice);
	}
	return 0;
}

/* --systemd-cgroup: "slice:prefix:name" as runc's systemd driver takes it (an empty slice is
 * system.slice), placed at the path systemd would give it: <slices>/<prefix>-<name>.scope. */
static int systemd_path(const char *cp, char *rel, size_t len, oci_error *err)
{
	const char *c1 = strchr(cp, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2 || strchr(c2 + 1, ':') || !c2[1])
		return oci_err(err, OCI_E_INVALID,
			       "linux.cgroupsPath: expected \"slice:prefix:name\" with "
			       "--systemd-cgroup, got '%s'",
			       cp);
	rel[0] = '\0';
	if (c1 == cp) {
		if (expand_slice("system.slice", 12, rel, len, err) < 0)
			return -1;
	} else if (expand_slice(cp, (size_t)(c1 - cp), rel, len, err) < 0) {
		return -1;
	}
	const char *name = c2 + 1;
	size_t l = strlen(rel);
	if (oci_str_has_suffix(name, ".slice"))
		return expand_slice(name, strlen(name), rel, len, err);
	if (strchr(name, '/') || memchr(c1 + 1, '/', (size_t)(c2 - c1 - 1)) ||
	    (size_t)snprintf(rel + l, len - l, "/%.*s-%s.scope", (int)(c2 - c1 - 1), c1 + 1,
			     name) >= len - l)
		return oci_err(err, OCI_E_INVALID, "linux.cgroupsPath: invalid unit name in '%s'",
			       cp);
	return 0;
}

json_t *oci_cgroup_create(json_t *spec, const char *id, bool systemd, oci_error *err)
{
	char rel[4096];
	const char *cp =
	    json_string_value(json_object_get(json_object_get(spec, "linux"), "cgroupsPath"));
	if (cp && cp[0] && systemd && strchr(cp, ':')) {
		if (systemd_path(cp, rel, sizeof(rel), err) < 0)
			return NULL;
	} else if (cp && cp[0]) {
		snprintf(rel, sizeof(rel), "%s%s", cp[0] == '/' ? "" : "/", cp);
	} else {
		snprintf(rel, sizeof(rel), "/oci-run/%s", id);
	}
	if (strstr(rel, "/../") || oci_str_has_suffix(rel, "/.."))
		return oci_err(err, OCI_E_INVALID, "linux.cgroupsPath: '..' not allowed"), NULL;
	json_t *dirs = json_array();
	json_t *placed = json_array(); /* mount options of each hierarchy we could use */
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		json_decref(dirs);
		json_decref(placed);
		return oci_err_errno(err, errno, "cannot read mountinfo"), NULL;
	}
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts ... - fstype source superopts */
		char mnt[1024], fstype[64], super[1024];
		char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
			continue;
		if (strcmp(fstype, "cgroup") && strcmp(fstype, "cgroup2"))
			continue;
		if (!oci_str_has_prefix(mnt, "/sys/fs/cgroup"))
			continue;
		bool cpuset = !strcmp(fstype, "cgroup") &&
			      (strstr(super, ",cpuset") || !strncmp(super, "cpuset", 6));
		char dir[8192];
		int r = make_dirs(mnt, rel, cpuset, dir, sizeof(dir), err);
		if (r < 0) {
			oci_cgroup_destroy(dirs, NULL);
			json_decref(dirs);
			json_decref(placed);
			return NULL;
		}
		if (r > 0)
			continue;
		json_array_append_new(dirs, json_string(dir));
		char what[1100];
		snprintf(what, sizeof(what), "%s", !strcmp(fstype, "cgroup2") ? "cgroup2" : super);
		json_array_append_new(placed, json_pack("{s:s}", "opts", what));
	}
	if (geteuid() != 0 && check_resources(spec, placed, rel, err) < 0) {
		oci_cgroup_destroy(dirs, NULL);
		json_decref(dirs);
		json_decref(placed);
		return NULL;
	}
	json_decref(placed);
	return dirs;
}

int oci_cgroup_enter(json_t *dirs, pid_t pid, oci_error *err)
{
	size_t i;
	json_t *v;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	json_array_foreach(dirs, i, v)
	{
		char p[8300];
		snprintf(p, sizeof(p), "%s/cgroup.procs", json_string_value(v));
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, buf, (size_t)n) != n) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return oci_err_errno(err, e, "cannot join cgroup '%s'",
					     json_string_value(v));
		}
		close(fd);
	}
	return 0;
}

int oci_cgroup_destroy(json_t *dirs, oci_error *err)
{
	size_t i;
	json_t *v;
	int ret = 0;
	json_array_foreach(dirs, i, v)
	{
		const char *d = json_string_value(v);
		for (int tries = 0; rmdir(d) < 0; tries++) {
			if (errno == ENOENT)
				break;
			if (errno != EBUSY || tries >= 200) {
				ret = oci_err_errno(err, errno, "cannot remove cgroup '%s'", d);
				break;
			}
			struct timespec ts = {0, 5 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	return ret;
}

int oci_cgroup_pids(json_t *dirs, pid_t **out, size_t *n, oci_error *err)
{
	*out = NULL;
	*n = 0;
	size_t i;
	json_t *v;
	json_array_foreach(dirs, i, v)
	{
		char p[8300];
		snprintf(p, sizeof(p), "%s/cgroup.procs", json_string_value(v));
		cleanup_free char *data = NULL;
		size_t len;
		if (oci_read_file_at(AT_FDCWD, p, 1u << 22, &data, &len, NULL) < 0 || len == 0)
			continue;
		size_t cap = 16;
		pid_t *pids = oci_calloc(cap, sizeof(pid_t), err);
		if (!pids)
			return -1;
		for (char *s = data; *s;) {
			char *end;
			long x = strtol(s, &end, 10);
			if (end == s)
				break;
			if (*n == cap) {
				cap *= 2;
				pid_t *np = realloc(pids, cap * sizeof(pid_t));
				if (!np) {
					free(pids);
					return oci_err(err, OCI_E_INTERNAL, "out of memory");
				}
				pids = np;
			}
			pids[(*n)++] = (pid_t)x;
			s = end;
			while (*s == '\n')
				s++;
		}
		*out = pids;
		return 0;
	}
	return 0;
}

/* ---- delete: finding and emptying a container's cgroups without trusting its state ---- */

/* The cgroup mount points under /sys/fs/cgroup (the only places the runtime creates cgroups). */
static json_t *cgroup_mounts(void)
{
	json_t *mnts = json_array();
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	while (mnts && f && fgets(line, sizeof(line), f)) {
		char mnt[1024], fstype[64];
		char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s", fstype) != 1)
			continue;
		if ((!strcmp(fstype, "cgroup") || !strcmp(fstype, "cgroup2")) &&
		    oci_str_has_prefix(mnt, "/sys/fs/cgroup"))
			json_array_append_new(mnts, json_string(mnt));
	}
	return mnts;
}

json_t *oci_cgroup_default_dirs(const char *id)
{
	json_t *mnts = cgroup_mounts(), *dirs = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(mnts, i, v)
	{
		char d[8192];
		snprintf(d, sizeof(d), "%s/oci-run/%s", json_string_value(v), id);
		json_array_append_new(dirs, json_string(d));
	}
	json_decref(mnts);
	return dirs;
}

/* rel ("/a/b") has no empty, "." or ".." component. */
static bool clean_rel(const char *rel)
{
	if (rel[0] != '/' || !rel[1])
		return false;
	for (const char *p = rel; *p;) {
		p++; /* past '/' */
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
	}
	return true;
}

json_t *oci_cgroup_check_dirs(json_t *dirs, oci_error *err)
{
	if (!json_is_array(dirs))
		return oci_err(err, OCI_E_INVALID, "not a list of cgroups"), NULL;
	cleanup_json json_t *mnts = cgroup_mounts();
	json_t *ok = json_array();
	const char *first_rel = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(dirs, i, v)
	{
		const char *d = json_string_value(v), *rel = NULL;
		size_t k;
		json_t *m;
		json_array_foreach(mnts, k, m)
		{
			const char *mp = json_string_value(m);
			size_t l = strlen(mp);
			if (d && !strncmp(d, mp, l) && d[l] == '/')
				rel = d + l;
		}
		if (!rel || !clean_rel(rel)) {
			json_decref(ok);
			return oci_err(err, OCI_E_UNSAFE,
				       "'%s' is not a cgroup below a hierarchy of /sys/fs/cgroup",
				       d ? d : "(not a string)"),
			       NULL;
		}
		if (first_rel && strcmp(rel, first_rel)) {
			json_decref(ok);
			return oci_err(err, OCI_E_UNSAFE, "'%s' and '%s' are different cgroups",
				       first_rel, rel),
			       NULL;
		}
		first_rel = rel;
		struct stat sb;
		struct statfs sf;
		if (lstat(d, &sb) < 0 && errno == ENOENT)
			continue; /* already gone */
		if (!S_ISDIR(sb.st_mode) || statfs(d, &sf) < 0 ||
		    (sf.f_type != CGROUP_SUPER_MAGIC && sf.f_type != CGROUP2_SUPER_MAGIC)) {
			json_decref(ok);
			return oci_err(err, OCI_E_UNSAFE, "'%s' is not a cgroup directory", d),
			       NULL;
		}
		json_array_append_new(ok, json_string(d));
	}
	return ok;
}

/* Every directory of the subtrees of dirs, parents before children (walked with a heap
 * list, not recursion: the depth is whatever is on disk). */
static json_t *subtree(json_t *dirs)
{
	json_t *all = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(dirs, i, v) json_array_append(all, v);
	for (i = 0; i < json_array_size(all) && i < 100000; i++) {
		const char *d = json_string_value(json_array_get(all, i));
		cleanup_closedir DIR *dir = opendir(d);
		struct dirent *de;
		while (dir && (de = readdir(dir))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			char p[8300];
			if ((size_t)snprintf(p, sizeof(p), "%s/%s", d, de->d_name) < sizeof(p))
				json_array_append_new(all, json_string(p));
		}
	}
	return all;
}

static void write_if_present(const char *dir, const char *file, const char *val)
{
	char p[8300];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0) {
			/* nothing more to do: the kill below reports what stays */
		}
		close(fd);
	}
}

bool oci_pid_in_own_mntns(pid_t pid)
{
	char p[64], a[64] = "", b[64] = "";
	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)pid);
	ssize_t la = readlink(p, a, sizeof(a) - 1),
		lb = readlink("/proc/self/ns/mnt", b, sizeof(b) - 1);
	return la > 0 && la == lb && !memcmp(a, b, (size_t)la);
}

/* One process to kill, held by a pidfd when the kernel has them: its pid cannot be reused
 * between the check of its mount namespace and the signal. */
struct victim {
	pid_t pid;
	int pidfd;
};

static void release_victims(struct victim *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].pidfd >= 0)
			close(v[i].pidfd);
	free(v);
}

int oci_cgroup_kill_tree(json_t *dirs, oci_error *err)
{
	cleanup_json json_t *all = subtree(dirs);
	size_t i;
	json_t *v;
	/* Frozen tasks only die once thawed; every level, a child may be frozen by itself. */
	json_array_foreach(all, i, v)
	{
		write_if_present(json_string_value(v), "freezer.state", "THAWED");
		write_if_present(json_string_value(v), "cgroup.freeze", "0");
	}
	for (int round = 0; round < 400; round++) {
		struct victim *vs = NULL;
		size_t n = 0, cap = 0;
		/* Every process is checked before any is signalled: a host cgroup is left whole. */
		json_array_foreach(all, i, v)
		{
			cleanup_free char *data = NULL;
			size_t len;
			char p[8300];
			snprintf(p, sizeof(p), "%s/cgroup.procs", json_string_value(v));
			if (oci_read_file_at(AT_FDCWD, p, 1u << 22, &data, &len, NULL) < 0 ||
			    len == 0)
				continue;
			for (char *s = data; *s;) {
				char *end;
				long x = strtol(s, &end, 10);
				if (end == s || x <= 0)
					break;
				s = end;
				while (*s == '\n')
					s++;
				int pfd = (int)syscall(SYS_pidfd_open, (pid_t)x, 0);
				if (pfd < 0 && errno != ENOSYS)
					continue; /* gone already */
				if (oci_pid_in_own_mntns((pid_t)x)) {
					if (pfd >= 0)
						close(pfd);
					release_victims(vs, n);
					return oci_err(err, OCI_E_UNSAFE,
						       "cgroup '%s' holds pid %ld of the host's "
						       "mount namespace: not a "
						       "container's cgroup, left alone",
						       json_string_value(v), x);
				}
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					struct victim *nv = realloc(vs, cap * sizeof(*vs));
					if (!nv) {
						if (pfd >= 0)
							close(pfd);
						release_victims(vs, n);
						return oci_err(err, OCI_E_INTERNAL,
							       "out of memory");
					}
					vs = nv;
				}
				vs[n].pid = (pid_t)x;
				vs[n++].pidfd = pfd;
			}
		}
		for (size_t k = 0; k < n; k++) {
			if (vs[k].pidfd >= 0)
				syscall(SYS_pidfd_send_signal, vs[k].pidfd, SIGKILL, NULL, 0);
			else
				kill(vs[k].pid, SIGKILL);
		}
		release_victims(vs, n);
		if (n == 0)
			break;
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	/* Children before parents. */
	for (size_t k = json_array_size(all); k-- > 0;) {
		const char *d = json_string_value(json_array_get(all, k));
		for (int tries = 0; rmdir(d) < 0; tries++) {
			if (errno == ENOENT)
				break;
			if (errno != EBUSY || tries >= 200)
				return oci_err_errno(err, errno, "cannot remove cgroup '%s'", d);
			struct timespec ts = {0, 5 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}
