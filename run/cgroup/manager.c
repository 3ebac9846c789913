/* The cgroup manager: the host's hierarchies (from the mount table), the choice of driver,
 * the entry points the runtime calls (each dispatching to the handle's ops), and what every
 * driver does the same way: mkdir in each hierarchy, join, list pids, rmdir. */
#include "run/cgroup/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "run/cgroup/internal.h"
#include "run/cgroup/systemd_dbus.h"
#include "run/userns.h"

/* ---- cgroup files ---- */

int oci_cgroup_read(const char *dir, const char *file, char *buf, size_t len)
{
	cleanup_free char *p = oci_asprintf(NULL, "%s/%s", dir, file);
	int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

bool oci_cgroup_dry_run;
/* the file the dry run last found (cleared before each dry run) */
static char dry_run_last[4096];

int oci_cgroup_apply_checked(const oci_cgroup *cg, const oci_resources *res, bool create,
			     int (*apply)(const oci_cgroup *, const oci_resources *, bool,
					  oci_error *),
			     oci_error *err)
{
	oci_cgroup_dry_run = true;
	dry_run_last[0] = '\0';
	int r = apply(cg, res, create, err);
	oci_cgroup_dry_run = false;
	return r < 0 ? -1 : apply(cg, res, create, err);
}

int oci_cgroup_write_kept(const char *dir, const char *file, int *fd, const char *val,
			  const char *what, oci_error *err)
{
	if (*fd < 0 || oci_cgroup_dry_run) {
		cleanup_free char *p = oci_asprintf(err, "%s/%s", dir, file);
		if (!p)
			return -1;
		if (oci_cgroup_dry_run) {
			/* a list (devices.allow) is written line by line: its file is looked at
			 * once */
			if (!strcmp(p, dry_run_last))
				return 0;
			if (access(p, F_OK) == 0) {
				snprintf(dry_run_last, sizeof(dry_run_last), "%s", p);
				return 0;
			}
			return oci_err_errno(err, errno,
					     "linux.resources.%s: cannot write '%s' to '%s'", what,
					     val, p);
		}
		*fd = open(p, O_WRONLY | O_CLOEXEC);
		if (*fd < 0)
			return oci_err_errno(err, errno,
					     "linux.resources.%s: cannot write '%s' to '%s'", what,
					     val, p);
	}
	size_t n = strlen(val);
	if (write(*fd, val, n) != (ssize_t)n)
		return oci_err_errno(err, errno, "linux.resources.%s: cannot write '%s' to '%s/%s'",
				     what, val, dir, file);
	return 0;
}

int oci_cgroup_write(const char *dir, const char *file, const char *val, const char *what,
		     oci_error *err)
{
	cleanup_close int fd = -1;
	return oci_cgroup_write_kept(dir, file, &fd, val, what, err);
}

int oci_cgroup_write_int(const char *dir, const char *file, int64_t v, const char *what,
			 oci_error *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return oci_cgroup_write(dir, file, buf, what, err);
}

bool oci_cgroup_has(const char *dir, const char *file)
{
	cleanup_free char *p = oci_asprintf(NULL, "%s/%s", dir, file);
	return p && access(p, F_OK) == 0;
}

int oci_cgroup_missing(const char *what, const char *ctrl, oci_error *err)
{
	return oci_err(err, OCI_E_UNSUPPORTED,
		       "linux.resources.%s: cannot be applied: no %s cgroup controller "
		       "(not mounted, or no cgroup for this container)",
		       what, ctrl);
}

/* ---- the manager ---- */

int oci_cgroup_manager_init_at(oci_cgroup_manager *m, const char *mountinfo, const char *base,
			       bool systemd, oci_error *err)
{
	memset(m, 0, sizeof(*m));
	if (!(m->base = oci_strdup(base, err)))
		return -1;
	cleanup_fclose FILE *f = fopen(mountinfo, "re");
	if (!f) {
		oci_cgroup_manager_release(m);
		return oci_err_errno(err, errno, "cannot read mountinfo");
	}
	bool any_v1 = false;
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
		if (!oci_str_has_prefix(mnt, base) || m->n_mounts >= 256)
			continue;
		oci_cgroup_mount *nm = realloc(m->mounts, (m->n_mounts + 1) * sizeof(*nm));
		if (!nm) {
			oci_cgroup_manager_release(m);
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
		}
		m->mounts = nm;
		oci_cgroup_mount *cm = &m->mounts[m->n_mounts++];
		cm->v2 = !strcmp(fstype, "cgroup2");
		cm->path = strdup(mnt);
		cm->super = strdup(super);
		if (!cm->path || !cm->super) {
			oci_cgroup_manager_release(m);
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
		}
		any_v1 |= !cm->v2;
	}
	m->ops = systemd  ? &oci_cgroup_systemd_ops
		 : any_v1 ? &oci_cgroup_v1_ops
			  : &oci_cgroup_v2_ops;
	return 0;
}

int oci_cgroup_manager_init(oci_cgroup_manager *m, bool systemd, oci_error *err)
{
	/* runc's test for a running systemd: without one there is nobody to create the unit,
	 * and directories made in its place would be left to no one. */
	if (systemd && !oci_cgroup_systemd_running())
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "--systemd-cgroup: systemd is not running on this host (no "
			       "/run/systemd/system): drop the flag to use cgroupfs");
	return oci_cgroup_manager_init_at(m, "/proc/self/mountinfo", "/sys/fs/cgroup", systemd,
					  err);
}

void oci_cgroup_manager_release(oci_cgroup_manager *m)
{
	for (size_t i = 0; i < m->n_mounts; i++) {
		free(m->mounts[i].path);
		free(m->mounts[i].super);
	}
	free(m->mounts);
	free(m->base);
	oci_sd_props_free(m->unit_props);
	memset(m, 0, sizeof(*m));
}

/* ---- handles ---- */

static oci_cgroup *cgroup_new(const oci_cgroup_ops *ops, oci_error *err)
{
	oci_cgroup *cg = oci_calloc(1, sizeof(*cg), err);
	if (cg)
		cg->ops = ops;
	return cg;
}

static int cgroup_add(oci_cgroup *cg, const char *dir, oci_error *err)
{
	char **nd = realloc(cg->dirs, (cg->n + 1) * sizeof(*nd));
	if (!nd)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	cg->dirs = nd;
	cg->dirs[cg->n] = NULL;
	if (dir && !(cg->dirs[cg->n] = oci_strdup(dir, err)))
		return -1;
	cg->n++;
	return 0;
}

void oci_cgroup_free(oci_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n; i++)
		free(cg->dirs[i]);
	free(cg->dirs);
	free(cg);
}

oci_cgroup *oci_cgroup_from_dirs(const char *const *dirs, size_t n, oci_error *err)
{
	/* v2 only when every directory is a unified one: the v1 driver also handles the
	 * unified directory of a hybrid host. The first that is not settles it (a hybrid
	 * host's first directory is a v1 one: one probe, not one per hierarchy). */
	bool all_v2 = n > 0;
	for (size_t i = 0; all_v2 && i < n; i++)
		all_v2 = dirs[i] && oci_cgroup_has(dirs[i], "cgroup.controllers");
	/* a scope of systemd's (--systemd-cgroup): its driver checks with systemd that the unit
	 * owns these directories before it changes or stops it */
	bool scope = n > 0 && dirs[0] && oci_str_has_suffix(dirs[0], ".scope") &&
		     oci_cgroup_systemd_running();
	oci_cgroup *cg = cgroup_new(scope    ? &oci_cgroup_systemd_ops
				    : all_v2 ? &oci_cgroup_v2_ops
					     : &oci_cgroup_v1_ops,
				    err);
	if (!cg)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (cgroup_add(cg, dirs[i], err) < 0) {
			oci_cgroup_free(cg);
			return NULL;
		}
	return cg;
}

static int make_dirs(const oci_cgroup_mount *mnt, const char *rel,
		     void (*init_level)(const oci_cgroup_mount *, const char *), char **out,
		     bool *made, oci_error *err);

static char *plan_rel(const oci_cgroup_manager *m, const char *cgroups_path, const char *id,
		      oci_error *err)
{
	char *rel = m->ops->plan(m, cgroups_path, id, err);
	if (rel && (strstr(rel, "/../") || oci_str_has_suffix(rel, "/.."))) {
		free(rel);
		return oci_err(err, OCI_E_INVALID, "linux.cgroupsPath: '..' not allowed"), NULL;
	}
	return rel;
}

/* runc warns too (and plans to refuse): processes already there share the limits and are
 * killed with the container. Directories this create made hold none: not read. */
static void warn_not_empty(const oci_cgroup *cg, const char *rel)
{
	pid_t *pids = NULL;
	size_t n = 0;
	if (!cg->fresh && cg->ops->pids(cg, &pids, &n, NULL) == 0 && n > 0)
		log_warn("container's cgroup '%s' is not empty: %zu process(es) found", rel, n);
	free(pids);
}

oci_cgroup *oci_cgroup_create(const oci_cgroup_manager *m, const char *cgroups_path, const char *id,
			      const oci_resources *res, oci_error *err)
{
	cleanup_free char *rel = plan_rel(m, cgroups_path, id, err);
	if (!rel)
		return NULL;
	oci_cgroup *cg = cgroup_new(m->ops, err);
	if (!cg)
		return NULL;
	if (m->ops->create(m, rel, res, cg, err) < 0) {
		oci_cgroup_free(cg);
		return NULL;
	}
	warn_not_empty(cg, rel);
	return cg;
}

/* The one cgroup2 hierarchy of a manager whose driver lets the init join by itself, for a
 * privileged caller (every hierarchy then gets its directory); NULL otherwise. */
static const oci_cgroup_mount *the_unified(const oci_cgroup_manager *m)
{
	if (!m->ops->enter_self || oci_rootless() || geteuid() != 0)
		return NULL;
	const oci_cgroup_mount *u = NULL;
	for (size_t i = 0; i < m->n_mounts; i++) {
		if (!m->mounts[i].v2)
			continue;
		if (u)
			return NULL;
		u = &m->mounts[i];
	}
	return u;
}

oci_cgroup *oci_cgroup_create_unified(const oci_cgroup_manager *m, const char *cgroups_path,
				      const char *id, oci_error *err)
{
	const oci_cgroup_mount *u = the_unified(m);
	if (!u)
		return NULL;
	cleanup_free char *rel = plan_rel(m, cgroups_path, id, err);
	if (!rel)
		return NULL;
	oci_cgroup *cg = cgroup_new(m->ops, err);
	cleanup_free char *dir = NULL;
	bool made = false;
	if (!cg || make_dirs(u, rel, NULL, &dir, &made, err) != 0 || cgroup_add(cg, dir, err) < 0) {
		if (dir && made)
			oci_cgroup_rmdir(dir, NULL);
		oci_cgroup_free(cg);
		if (err && !err->code)
			oci_err(err, OCI_E_INTERNAL, "cannot create the unified cgroup of '%s'",
				rel);
		return NULL;
	}
	cg->fresh = made;
	warn_not_empty(cg, rel);
	return cg;
}

oci_cgroup *oci_cgroup_create_rest(const oci_cgroup_manager *m, const char *cgroups_path,
				   const char *id, const oci_resources *res,
				   const oci_cgroup *first, oci_error *err)
{
	const oci_cgroup_mount *u = the_unified(m);
	if (!u || first->n != 1)
		return oci_err(err, OCI_E_INTERNAL, "cgroup: no unified directory made first"),
		       NULL;
	cleanup_free char *rel = plan_rel(m, cgroups_path, id, err);
	/* the driver's create, over the other hierarchies only */
	cleanup_free oci_cgroup_mount *others =
	    oci_calloc(m->n_mounts ? m->n_mounts : 1, sizeof(*others), err);
	if (!rel || !others)
		return NULL;
	oci_cgroup_manager sub = *m;
	sub.mounts = others;
	sub.n_mounts = 0;
	for (size_t i = 0; i < m->n_mounts; i++)
		if (&m->mounts[i] != u)
			others[sub.n_mounts++] = m->mounts[i];
	oci_cgroup *rest = cgroup_new(m->ops, err);
	if (!rest)
		return NULL;
	if (m->ops->create(&sub, rel, res, rest, err) < 0) {
		oci_cgroup_free(rest);
		return NULL;
	}
	warn_not_empty(rest, rel);
	/* the whole handle, its directories in the order of the hierarchies, as one create
	 * would have made it */
	oci_cgroup *cg = rest->n == sub.n_mounts ? cgroup_new(m->ops, err) : NULL;
	for (size_t i = 0, k = 0; cg && i < m->n_mounts; i++)
		if (cgroup_add(cg, &m->mounts[i] == u ? first->dirs[0] : rest->dirs[k++], err) <
		    0) {
			oci_cgroup_free(cg);
			cg = NULL;
		}
	if (!cg) {
		if (err && !err->code)
			oci_err(err, OCI_E_INTERNAL, "cgroup '%s': a hierarchy was left out", rel);
		oci_cgroup_fs_destroy(rest, NULL);
		oci_cgroup_free(rest);
		return NULL;
	}
	cg->fresh = first->fresh && rest->fresh;
	oci_cgroup_free(rest);
	return cg;
}

/* ---- the entry points ---- */

int oci_cgroup_enter(const oci_cgroup *cg, pid_t pid, oci_error *err)
{
	return cg->ops->enter(cg, pid, err);
}

bool oci_cgroup_can_enter_self(const oci_cgroup *cg)
{
	return cg->ops->enter_self != NULL;
}

int oci_cgroup_open_unified(const oci_cgroup *cg, int *unified)
{
	*unified = -1;
	/* a hybrid host mounts the unified tree last */
	for (size_t i = cg->n; i-- > 0;) {
		if (!oci_cgroup_has(cg->dirs[i], "cgroup.controllers"))
			continue;
		int fd = open(cg->dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			*unified = (int)i;
		return fd;
	}
	return -1;
}

int oci_cgroup_enter_self(const oci_cgroup *cg, int unified, bool cloned_into, oci_error *err)
{
	return cg->ops->enter_self(cg, unified, cloned_into, err);
}

int oci_cgroup_apply(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	return cg->ops->apply(cg, res, true, err);
}

int oci_cgroup_update(const oci_cgroup *cg, const oci_resources *res, oci_error *err)
{
	return cg->ops->apply(cg, res, false, err);
}

int oci_cgroup_freeze(const oci_cgroup *cg, bool frozen, oci_error *err)
{
	return cg->ops->freeze(cg, frozen, err);
}

bool oci_cgroup_is_frozen(const oci_cgroup *cg)
{
	return cg->ops->is_frozen(cg);
}

const char *oci_cgroup_frozen_dir(const oci_cgroup *cg)
{
	return cg->ops->frozen_dir(cg);
}

void oci_cgroup_release_killed(const oci_cgroup *cg, pid_t pid)
{
	char val[32];
	snprintf(val, sizeof(val), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++) {
		char buf[64];
		if (!cg->dirs[i] ||
		    oci_cgroup_read(cg->dirs[i], "freezer.state", buf, sizeof(buf)) < 0 ||
		    !strncmp(buf, "THAWED", 6))
			continue;
		oci_error e = OCI_ERROR_INIT;
		cleanup_free char *up = oci_strdup(cg->dirs[i], &e);
		if (!up)
			return;
		/* v1 reports FROZEN below a frozen ancestor too: up to the first THAWED one, or
		 * the hierarchy's root (no freezer.state there, never frozen) */
		char *slash;
		while ((slash = strrchr(up, '/')) && slash != up) {
			*slash = '\0';
			if (oci_cgroup_read(up, "freezer.state", buf, sizeof(buf)) == 0 &&
			    strncmp(buf, "THAWED", 6))
				continue;
			if (oci_cgroup_write(up, "cgroup.procs", val, "", &e) < 0)
				log_debug(
				    "cannot move killed process %s out of frozen cgroup '%s': %s",
				    val, cg->dirs[i], e.msg);
			break;
		}
	}
}

int oci_cgroup_pids(const oci_cgroup *cg, pid_t **out, size_t *n, oci_error *err)
{
	return cg->ops->pids(cg, out, n, err);
}

int oci_cgroup_kill(const oci_cgroup *cg, oci_error *err)
{
	return cg->ops->kill(cg, err);
}

int oci_cgroup_kill_atomic(const oci_cgroup *cg, oci_error *err)
{
	const char *d = oci_cgroup_v2_unified(cg);
	if (!d)
		return 0;
	cleanup_close int dfd = oci_open_any_length(d, O_PATH | O_DIRECTORY);
	if (dfd < 0)
		return errno == ENOENT ? 0
				       : oci_err_errno(err, errno, "cannot open cgroup '%s'", d);
	cleanup_close int fd = openat(dfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
	/* no cgroup.kill (Linux < 5.14), or not ours to write (a cgroup not delegated to an
	 * unprivileged caller): the caller signals the listed processes itself */
	if (fd < 0 && (errno == ENOENT || errno == EACCES || errno == EPERM))
		return 0;
	if (fd < 0 || write(fd, "1", 1) != 1)
		return oci_err_errno(err, errno, "cannot write '%s/cgroup.kill'", d);
	return 1;
}

int oci_cgroup_destroy(const oci_cgroup *cg, oci_error *err)
{
	return cg->ops->destroy(cg, err);
}

/* ---- what every driver does the same way ---- */

/* mkdir every level of rel below mnt; *made says whether the last level was made here.
 * Returns 1 (no error) when an unprivileged caller may not write there: no cgroup was
 * delegated to it. */
static int make_dirs(const oci_cgroup_mount *mnt, const char *rel,
		     void (*init_level)(const oci_cgroup_mount *, const char *), char **out,
		     bool *made, oci_error *err)
{
	bool unprivileged = oci_rootless();
	size_t cap = strlen(mnt->path) + strlen(rel) + 2;
	cleanup_free char *dir = oci_malloc(cap, err);
	if (!dir)
		return -1;
	snprintf(dir, cap, "%s", mnt->path);
	for (const char *p = rel; *p;) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (!n)
			break;
		size_t l = strlen(dir);
		snprintf(dir + l, cap - l, "/%.*s", (int)n, p);
		*made = mkdir(dir, 0755) == 0;
		if (!*made && errno != EEXIST) {
			if (unprivileged && (errno == EACCES || errno == EPERM || errno == EROFS))
				return 1;
			return oci_err_errno(err, errno, "cannot create cgroup '%s'", dir);
		}
		if (init_level)
			init_level(mnt, dir);
		p += n;
	}
	if (unprivileged) {
		cleanup_free char *procs = oci_asprintf(err, "%s/cgroup.procs", dir);
		if (!procs)
			return -1;
		if (access(procs, W_OK) < 0)
			return 1;
	}
	*out = steal_pointer(&dir);
	return 0;
}

/* In a unified tree the mount options name no controller: the controllers a delegated cgroup
 * can use are those its parent enables for it (its cgroup.controllers), or those the parent
 * offers when the caller may enable them (owns the parent's cgroup.subtree_control). */
static bool v2_delegated(const char *dir, const char *ctrl)
{
	char buf[1024];
	if (oci_cgroup_read(dir, "cgroup.controllers", buf, sizeof(buf)) == 0 &&
	    oci_word_in(buf, ctrl))
		return true;
	cleanup_free char *parent = oci_strdup(dir, NULL);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	if (!slash || slash == parent)
		return false;
	*slash = '\0';
	cleanup_free char *sc = oci_asprintf(NULL, "%s/cgroup.subtree_control", parent);
	return sc && access(sc, W_OK) == 0 &&
	       oci_cgroup_read(parent, "cgroup.controllers", buf, sizeof(buf)) == 0 &&
	       oci_word_in(buf, ctrl);
}

/* linux.resources groups that need a cgroup controller to be applied ("devices" is left out:
 * without a writable cgroup an unprivileged container only gets bind-mounted devices). */
static int check_rootless(const oci_cgroup_manager *m, const bool *placed, char *const *placed_dirs,
			  const char *rel, const oci_resources *res, oci_error *err)
{
	/* the v1 controller (named in the hierarchy's mount options) and its v2 name */
	const struct {
		const char *key, *controller, *v2_name;
		bool requested;
	} groups[] = {
	    {"memory", "memory", "memory", res->memory.requested},
	    {"cpu", "cpu", "cpu", res->cpu.requested},
	    {"pids", "pids", "pids", res->pids.requested},
	    {"blockIO", "blkio", "io", res->blkio.requested},
	    {"hugepageLimits", "hugetlb", "hugetlb", res->n_hugepages > 0},
	    {"network", "net_cls", "net_cls", res->network.requested},
	    {"rdma", "rdma", "rdma", res->rdma_requested},
	    {"unified", NULL, NULL, res->n_unified > 0},
	};
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
		if (!groups[i].requested)
			continue;
		const char *want = groups[i].controller;
		bool ok = false;
		for (size_t k = 0; k < m->n_mounts; k++) {
			if (!placed[k])
				continue;
			if (!want)
				ok |= m->mounts[k].v2;
			else if (m->mounts[k].v2)
				ok |= v2_delegated(placed_dirs[k], groups[i].v2_name);
			else
				ok |= strstr(m->mounts[k].super, want) != NULL;
		}
		if (!ok)
			return oci_err(err, OCI_E_AUTH,
				       "linux.resources.%s: cannot be applied: no writable %s "
				       "cgroup '%s' for an "
				       "unprivileged user (delegate one, or drop linux.resources)",
				       groups[i].key, want ? want : "unified", rel);
	}
	return 0;
}

int oci_cgroup_fs_create(const oci_cgroup_manager *m, const char *rel, const oci_resources *res,
			 oci_cgroup *cg,
			 void (*init_level)(const oci_cgroup_mount *mnt, const char *dir),
			 oci_error *err)
{
	cleanup_free bool *placed = oci_calloc(m->n_mounts + 1, sizeof(bool), err);
	cleanup_free char **placed_dirs = oci_calloc(m->n_mounts + 1, sizeof(char *), err);
	if (!placed || !placed_dirs)
		return -1;
	cg->fresh = true;
	for (size_t i = 0; i < m->n_mounts; i++) {
		cleanup_free char *dir = NULL;
		bool made = false;
		int r = make_dirs(&m->mounts[i], rel, m->mounts[i].v2 ? NULL : init_level, &dir,
				  &made, err);
		if (r > 0)
			continue;
		cg->fresh &= made;
		if (r < 0 || cgroup_add(cg, dir, err) < 0) {
			oci_cgroup_fs_destroy(cg, NULL);
			return -1;
		}
		placed[i] = true;
		placed_dirs[i] = cg->dirs[cg->n - 1];
	}
	if (oci_rootless() && res && check_rootless(m, placed, placed_dirs, rel, res, err) < 0) {
		oci_cgroup_fs_destroy(cg, NULL);
		return -1;
	}
	return 0;
}

int oci_cgroup_fs_enter(const oci_cgroup *cg, pid_t pid, oci_error *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++) {
		oci_error e = OCI_ERROR_INIT;
		if (oci_cgroup_write(cg->dirs[i], "cgroup.procs", buf, "", &e) < 0) {
			int code = e.sys_errno;
			oci_err_clear(&e);
			return oci_err_errno(err, code, "cannot join cgroup '%s'", cg->dirs[i]);
		}
	}
	return 0;
}

int oci_cgroup_fs_enter_self(const oci_cgroup *cg, int unified, bool cloned_into, oci_error *err)
{
	for (size_t i = 0; i < cg->n; i++) {
		/* the unified directory has no tasks file: its cgroup.procs takes the whole
		 * process (and the lock for writing), for lack of the clone's way in */
		const char *file = (int)i != unified ? "tasks" : "cgroup.procs";
		if ((int)i == unified && cloned_into)
			continue;
		cleanup_free char *p = oci_asprintf(err, "%s/%s", cg->dirs[i], file);
		if (!p)
			return -1;
		cleanup_close int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			return oci_err_errno(err, errno, "cannot join cgroup '%s'", cg->dirs[i]);
	}
	return 0;
}

/* name in the directory pfd removed, retried for about a second while the kernel still counts
 * a leaving process (EBUSY); gone already is success. -1 with errno. */
static int rmdir_at(int pfd, const char *name)
{
	for (int tries = 0; unlinkat(pfd, name, AT_REMOVEDIR) < 0; tries++) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || tries >= 200)
			return -1;
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

int oci_cgroup_rmdir(const char *dir, oci_error *err)
{
	/* through its parent, opened: a sub-cgroup a container made may be deeper than PATH_MAX */
	const char *slash = strrchr(dir, '/');
	cleanup_free char *parent = slash ? strndup(dir, (size_t)(slash - dir)) : NULL;
	if (slash && !parent)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	cleanup_close int pfd = oci_open_any_length(!slash    ? "."
						    : *parent ? parent
							      : "/",
						    O_PATH | O_DIRECTORY);
	if (pfd < 0)
		return errno == ENOENT
			   ? 0
			   : oci_err_errno(err, errno, "cannot remove cgroup '%s'", dir);
	if (rmdir_at(pfd, slash ? slash + 1 : dir) < 0)
		return oci_err_errno(err, errno, "cannot remove cgroup '%s'", dir);
	return 0;
}

static int parse_procs(char *data, size_t len, pid_t **pids, size_t *n, size_t *cap,
		       oci_error *err);
static void tree_drop_held(oci_cgroup_tree *t);

/* A directory below entry parent (SIZE_MAX: one of the dirs given), its name stored alone. */
static int tree_add(oci_cgroup_tree *t, size_t *cap, size_t parent, const char *name)
{
	if (t->n == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		size_t *np = realloc(t->parent, nc * sizeof(*np));
		if (np)
			t->parent = np;
		char **nn = np ? realloc(t->name, nc * sizeof(*nn)) : NULL;
		if (nn)
			t->name = nn;
		int *nf = nn ? realloc(t->fd, nc * sizeof(*nf)) : NULL;
		if (!nf)
			return -1;
		t->fd = nf;
		*cap = nc;
	}
	if (!(t->name[t->n] = strdup(name)))
		return -1;
	t->fd[t->n] = -1;
	t->parent[t->n++] = parent;
	return 0;
}

/* Every directory below dirs, breadth first, none left out: the callers kill, list and remove
 * what is there, and a cgroup skipped would keep its processes alive (the container makes as
 * many sub-cgroups as it likes, each one costing it kernel memory). */

int oci_cgroup_subtree(char *const *dirs, size_t n_dirs, oci_cgroup_tree *t)
{
	memset(t, 0, sizeof(*t));
	size_t cap = 0;
	for (size_t i = 0; i < n_dirs; i++)
		if (dirs[i] && tree_add(t, &cap, SIZE_MAX, dirs[i]) < 0)
			goto oom;
	for (size_t i = 0; i < t->n; i++) {
		int pfd = oci_cgroup_tree_open(t, i);
		int fd = pfd >= 0 ? openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (fd < 0 && pfd >= 0 && errno == EMFILE && t->n_held) {
			/* the fds held are the caller's (a batch of pidfds leaves it two) */
			tree_drop_held(t);
			fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		if (pfd >= 0)
			close(pfd);
		cleanup_closedir DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
		if (fd >= 0 && !dir)
			close(fd);
		struct dirent *de;
		while (dir && (de = readdir(dir))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			if (tree_add(t, &cap, i, de->d_name) < 0)
				goto oom;
		}
	}
	return 0;
oom:
	oci_cgroup_tree_release(t);
	return -1;
}

const char *oci_cgroup_tree_path(oci_cgroup_tree *t, size_t k)
{
	/* the length first, then the names written from the end back */
	size_t len = 0;
	for (size_t i = k;; i = t->parent[i]) {
		len += strlen(t->name[i]);
		if (t->parent[i] == SIZE_MAX)
			break;
		len++;
	}
	if (len + 1 > t->path_cap) {
		char *np = realloc(t->path, len + 1);
		if (!np)
			return NULL;
		t->path = np;
		t->path_cap = len + 1;
	}
	t->path[len] = '\0';
	size_t at = len;
	for (size_t i = k;; i = t->parent[i]) {
		size_t l = strlen(t->name[i]);
		at -= l;
		memcpy(t->path + at, t->name[i], l);
		if (t->parent[i] == SIZE_MAX)
			break;
		t->path[--at] = '/';
	}
	return t->path;
}

/* Hold fd as entry k's, the oldest held one let go when the ring is full. */
static void tree_hold(oci_cgroup_tree *t, size_t k, int fd)
{
	const size_t ring = ARRAY_SIZE(t->held);
	size_t slot = t->n_held % ring;
	if (t->n_held >= ring) {
		close(t->fd[t->held[slot]]);
		t->fd[t->held[slot]] = -1;
	}
	t->held[slot] = k;
	t->fd[k] = fd;
	t->n_held++;
}

/* Every held fd let go. */
static void tree_drop_held(oci_cgroup_tree *t)
{
	size_t ring = ARRAY_SIZE(t->held), n = t->n_held < ring ? t->n_held : ring;
	for (size_t s = 0; s < n; s++) {
		close(t->fd[t->held[s]]);
		t->fd[t->held[s]] = -1;
	}
	t->n_held = 0;
}

static int tree_open(oci_cgroup_tree *t, size_t k);

int oci_cgroup_tree_open(oci_cgroup_tree *t, size_t k)
{
	int fd = tree_open(t, k);
	if (fd < 0 && errno == EMFILE && t->n_held) {
		/* the fds held are the caller's to use (its pidfds): let them go first */
		tree_drop_held(t);
		fd = tree_open(t, k);
	}
	return fd;
}

/* How many levels below k the held entry h is (k an ancestor of h, at most max levels up), or
 * 0. */
static size_t levels_below(const oci_cgroup_tree *t, size_t h, size_t k, size_t max)
{
	size_t up = 0;
	for (size_t i = h; up < max && t->parent[i] != SIZE_MAX;) {
		i = t->parent[i];
		up++;
		if (i == k)
			return up;
	}
	return 0;
}

/* Entry k opened up from the held entry below it (".." levels times): the way back up a chain
 * that is removed children first. A cgroup directory cannot be moved to another parent (the
 * kernel refuses such a rename) and nothing is mounted inside a cgroup file system but by the
 * host, so ".." of a cgroup is its parent. */
/* One level from cur (which it closes) to its entry name, one component ("..": its parent);
 * a dup of the result held as entry k's, unless k is SIZE_MAX. errno kept from the open. */
static int tree_step(oci_cgroup_tree *t, int cur, const char *name, size_t k)
{
	int next = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	close(cur);
	int keep = next >= 0 && k != SIZE_MAX ? fcntl(next, F_DUPFD_CLOEXEC, 3) : -1;
	if (keep >= 0)
		tree_hold(t, k, keep);
	errno = e;
	return next;
}

/* Entry k opened up from the held entry below it (".." levels times): the way back up a chain
 * that is removed children first. A cgroup directory cannot be moved to another parent (the
 * kernel refuses such a rename) and nothing is mounted inside a cgroup file system but by the
 * host, so ".." of a cgroup is its parent. */
static int tree_open_up(oci_cgroup_tree *t, size_t k, size_t h, size_t levels)
{
	int cur = fcntl(t->fd[h], F_DUPFD_CLOEXEC, 3);
	for (size_t d = 0; cur >= 0 && d < levels; d++)
		cur = tree_step(t, cur, "..", d + 1 == levels ? k : SIZE_MAX);
	return cur;
}

static int tree_open(oci_cgroup_tree *t, size_t k)
{
	/* up from k to the first entry held, or to a top one */
	size_t depth = 0, i = k;
	while (t->fd[i] < 0 && t->parent[i] != SIZE_MAX) {
		i = t->parent[i];
		depth++;
	}
	/* a held entry fewer levels below k than the walk down would open (children are
	 * removed before their parents, in the reverse of the order they were opened: a chain
	 * of N cgroups was walked down from its top every 8 levels, N * N / 8 opens in all, a
	 * delete of 3000 levels 5.6 s) */
	size_t best = 0, best_h = 0, ring = ARRAY_SIZE(t->held);
	for (size_t s = 0; depth > 1 && s < ring && s < t->n_held; s++) {
		size_t h = t->held[s];
		size_t up = t->fd[h] >= 0 && h != k ? levels_below(t, h, k, depth - 1) : 0;
		if (up && (!best || up < best))
			best = up, best_h = h;
	}
	if (best)
		return tree_open_up(t, k, best_h, best);
	cleanup_free size_t *down = depth ? malloc(depth * sizeof(*down)) : NULL;
	if (depth && !down) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t j = k, d = depth; d > 0; j = t->parent[j])
		down[--d] = j;
	int cur;
	if (t->fd[i] >= 0) {
		cur = fcntl(t->fd[i], F_DUPFD_CLOEXEC, 3);
	} else {
		cur = oci_open_any_length(t->name[i], O_PATH | O_DIRECTORY);
		int keep = cur >= 0 ? fcntl(cur, F_DUPFD_CLOEXEC, 3) : -1;
		if (keep >= 0)
			tree_hold(t, i, keep);
	}
	/* a name read from its parent: one component, and a cgroup fs has no links */
	for (size_t d = 0; cur >= 0 && d < depth; d++)
		cur = tree_step(t, cur, t->name[down[d]], down[d]);
	return cur;
}

int oci_cgroup_tree_read_procs(oci_cgroup_tree *t, size_t k, pid_t **pids, size_t *n, size_t *cap,
			       oci_error *err)
{
	cleanup_close int dfd = oci_cgroup_tree_open(t, k);
	cleanup_free char *data = NULL;
	size_t len;
	oci_error e = OCI_ERROR_INIT;
	int r =
	    dfd >= 0 ? oci_read_file_at(dfd, "cgroup.procs", (size_t)8 << 22, &data, &len, &e) : -1;
	if (r < 0 && dfd >= 0 && e.sys_errno == EMFILE && t->n_held) {
		tree_drop_held(t);
		oci_err_clear(&e);
		r = oci_read_file_at(dfd, "cgroup.procs", (size_t)8 << 22, &data, &len, &e);
	}
	if (r == 0)
		return parse_procs(data, len, pids, n, cap, err);
	/* gone meanwhile, or an error said with its path: the path's own rules */
	const char *p = oci_cgroup_tree_path(t, k);
	return p ? oci_cgroup_read_procs(p, pids, n, cap, err)
		 : oci_err(err, OCI_E_INTERNAL, "out of memory");
}

int oci_cgroup_tree_rmdir(oci_cgroup_tree *t, size_t k, oci_error *err)
{
	if (t->parent[k] != SIZE_MAX) {
		cleanup_close int pfd = oci_cgroup_tree_open(t, t->parent[k]);
		if (pfd < 0 && errno == ENOENT)
			return 0;
		if (pfd >= 0) {
			if (rmdir_at(pfd, t->name[k]) == 0)
				return 0;
			int e = errno;
			const char *p = oci_cgroup_tree_path(t, k);
			return oci_err_errno(err, e, "cannot remove cgroup '%s'",
					     p ? p : t->name[k]);
		}
	}
	const char *p = oci_cgroup_tree_path(t, k);
	return p ? oci_cgroup_rmdir(p, err) : oci_err(err, OCI_E_INTERNAL, "out of memory");
}

void oci_cgroup_tree_release(oci_cgroup_tree *t)
{
	for (size_t i = 0; t->name && i < t->n; i++)
		free(t->name[i]);
	if (t->fd)
		tree_drop_held(t);
	free(t->fd);
	free(t->name);
	free(t->parent);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

int oci_cgroup_fs_destroy(const oci_cgroup *cg, oci_error *err)
{
	/* The common case first: nothing below, nobody left; a directory that still has a child
	 * or a process (EBUSY) sends everything left through the walk below. */
	size_t left = cg->n;
	while (left > 0 &&
	       (!cg->dirs[left - 1] || rmdir(cg->dirs[left - 1]) == 0 || errno == ENOENT))
		left--;
	if (left == 0)
		return 0;
	/* cgroups made below the container's (by a nested runtime, systemd in the container, or
	 * a process of the container) go first: a cgroup with children cannot be removed */
	oci_cgroup_tree all;
	if (oci_cgroup_subtree(cg->dirs, cg->n, &all) < 0)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	int ret = 0;
	for (size_t k = all.n; k-- > 0;)
		if (oci_cgroup_tree_rmdir(&all, k, ret < 0 ? NULL : err) < 0)
			ret = -1;
	oci_cgroup_tree_release(&all);
	return ret;
}

/* The pids listed in dir/cgroup.procs appended to *pids (*n of *cap). A list that cannot be
 * read is an error, never "no process": the kill paths would take it for a cgroup emptied and
 * report success with the container's processes alive. Only a cgroup that is gone lists
 * none: its directory missing (removed since it was listed), or ENODEV from the read (the
 * kernel's answer once the cgroup open here was removed, which only an empty one can be). */
int oci_cgroup_read_procs(const char *dir, pid_t **pids, size_t *n, size_t *cap, oci_error *err)
{
	cleanup_free char *data = NULL;
	size_t len;
	oci_error e = OCI_ERROR_INIT;
	/* the directory opened first: a sub-cgroup a container made may be deeper than PATH_MAX */
	cleanup_close int dfd = oci_open_any_length(dir, O_PATH | O_DIRECTORY);
	if (dfd < 0)
		oci_err_errno(&e, errno, "cannot open '%s'", dir);
	/* pid_max is at most 2^22: seven digits and a newline each */
	if (dfd < 0 ||
	    oci_read_file_at(dfd, "cgroup.procs", (size_t)8 << 22, &data, &len, &e) < 0) {
		int again = -1;
		if (e.sys_errno == ENOENT && dfd >= 0)
			again = oci_open_any_length(dir, O_PATH | O_DIRECTORY);
		bool gone = e.sys_errno == ENODEV ||
			    (e.sys_errno == ENOENT && (dfd < 0 || (again < 0 && errno == ENOENT)));
		if (again >= 0)
			close(again);
		if (gone) {
			oci_err_clear(&e);
			return 0;
		}
		if (err)
			*err = e;
		return oci_err_prefix(err, "cannot tell which processes are left in cgroup '%s'",
				      dir);
	}
	return parse_procs(data, len, pids, n, cap, err);
}

/* cgroup.procs' text (len bytes, NUL-terminated) appended to *pids. */
static int parse_procs(char *data, size_t len, pid_t **pids, size_t *n, size_t *cap, oci_error *err)
{
	if (len == 0)
		return 0;
	for (char *s = data; *s;) {
		char *end;
		long x = strtol(s, &end, 10);
		if (end == s)
			break;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			pid_t *np = realloc(*pids, nc * sizeof(pid_t));
			if (!np)
				return oci_err(err, OCI_E_INTERNAL, "out of memory");
			*pids = np;
			*cap = nc;
		}
		(*pids)[(*n)++] = (pid_t)x;
		s = end;
		while (*s == '\n')
			s++;
	}
	return 0;
}

int oci_cgroup_fs_pids(const oci_cgroup *cg, pid_t **out, size_t *n, oci_error *err)
{
	*out = NULL;
	*n = 0;
	/* the first hierarchy that lists any process, in the container's cgroup or below it
	 * (every process is in exactly one cgroup of a hierarchy: no pid is listed twice) */
	for (size_t i = 0; i < cg->n; i++) {
		size_t cap = 0;
		oci_cgroup_tree all;
		if (oci_cgroup_subtree(&cg->dirs[i], 1, &all) < 0)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
		int r = 0;
		for (size_t k = 0; k < all.n && r == 0; k++)
			r = oci_cgroup_tree_read_procs(&all, k, out, n, &cap, err);
		oci_cgroup_tree_release(&all);
		if (r < 0) {
			free(*out);
			*out = NULL;
			*n = 0;
			return -1;
		}
		if (*n > 0)
			return 0;
	}
	return 0;
}

bool oci_cgroup_wait_frozen(const char *dir, bool (*frozen)(const char *dir), unsigned wait_ms)
{
	/* The kernel freezes the tasks one by one: the write only asks for it. */
	for (unsigned t = 0; !frozen(dir); t += 5) {
		if (t >= wait_ms)
			return false;
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return true;
}

const char *oci_cgroup_thaw_again(const char *dir, const char *file, const char *thawed_val,
				  bool froze)
{
	/* Put back what the freeze changed: a cgroup left half frozen would stop some of the
	 * container's processes (and every new one) while pause said it failed. */
	if (!froze)
		return "";
	oci_error e = OCI_ERROR_INIT;
	int r = oci_cgroup_write(dir, file, thawed_val, "", &e);
	oci_err_clear(&e);
	return r < 0 ? " (and it could not be thawed again)" : " (thawed again)";
}

void oci_cgroup_thaw_back(const oci_cgroup *cg, const unsigned char *froze, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		oci_error ignore = OCI_ERROR_INIT;
		if (froze[j] == OCI_FROZE_V1)
			(void)oci_cgroup_v1_freeze_dir(cg->dirs[j], false, 0, &ignore);
		else if (froze[j] == OCI_FROZE_V2)
			(void)oci_cgroup_v2_freeze_dir(cg->dirs[j], false, 0, &ignore);
		oci_err_clear(&ignore);
	}
}

bool oci_word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}
