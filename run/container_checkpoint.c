/* Checkpoint and restore through CRIU, as runc does them: libcriu (Debian's criu package)
 * drives `criu swrk` over its RPC socket. checkpoint dumps the container's process tree with
 * its namespaces (the config's bind mounts and masked files recorded as external mounts, the
 * init's stdio in descriptors.json) and, unless --leave-running or --pre-dump, removes the
 * container as runc does. restore makes a new container (any id) from a bundle: state
 * directory, cgroups with the config's limits, then CRIU restores the tree into them (the
 * process CRIU runs from has joined the cgroups first, so every restored task starts there),
 * with the bind mounts mapped to their sources and stdio pipes handed over.
 *
 * Without libcriu at build time both commands say so. CRIU's own reason for a failure is
 * taken from its log (the first "Error" line) and shown in one line with the log's path. */
#include "run/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/safepath.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/container_internal.h"
#include "run/process.h"
#include "run/state.h"

#ifdef HAVE_CRIU
#include <criu/criu.h>
#endif

#define DESCRIPTORS "descriptors.json"
/* Where restore's child keeps the stdio it hands to the restored tree (CRIU inherits them). */
#define STDIO_BASE 200

static const struct {
	const char *name;
	int mode; /* enum criu_cg_mode */
} cg_modes[] = {{"soft", 3}, {"full", 4}, {"strict", 5}, {"ignore", 0}};

int oci_criu_cg_mode(const char *name, oci_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(cg_modes); i++)
		if (!strcmp(name, cg_modes[i].name))
			return cg_modes[i].mode;
	return oci_err(err, OCI_E_INVALID,
		       "invalid --manage-cgroups-mode '%s': expected soft, full, strict or ignore",
		       name);
}

#ifndef HAVE_CRIU
int oci_container_checkpoint(const oci_runtime *rt, const char *id, const oci_criu_opts *o,
			     oci_error *err)
{
	return oci_err(err, OCI_E_UNSUPPORTED,
		       "checkpoint: this oci-run was built without CRIU support (libcriu, "
		       "Debian's criu and libprotobuf-c-dev packages)");
}

int oci_container_restore(const oci_runtime *rt, const oci_restore_opts *o, int *exit_status,
			  oci_error *err)
{
	return oci_err(err, OCI_E_UNSUPPORTED,
		       "restore: this oci-run was built without CRIU support (libcriu, Debian's "
		       "criu and libprotobuf-c-dev packages)");
}
#else

/* The criu binary: --criu, else criu on PATH (libcriu would only say "connection refused"). */
static char *criu_binary(const oci_runtime *rt, oci_error *err)
{
	const char *name = rt->criu && rt->criu[0] ? rt->criu : "criu";
	if (strchr(name, '/')) {
		if (access(name, X_OK) == 0)
			return oci_strdup(name, err);
		oci_err_errno(err, errno, "--criu '%s'", name);
		return NULL;
	}
	const char *path = getenv("PATH");
	cleanup_free char *copy =
	    oci_strdup(path && path[0] ? path : "/usr/sbin:/usr/bin:/sbin:/bin", err);
	if (!copy)
		return NULL;
	for (char *save, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = oci_asprintf(err, "%s/%s", d, name);
		if (!p)
			return NULL;
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	oci_err(err, OCI_E_NOTFOUND,
		"cannot find '%s' on PATH: install Debian's criu package or give --criu PATH",
		name);
	return NULL;
}

/* CRIU's reason: the first "Error (file:line): ..." line of its log, without its prefix. */
static int criu_failed(const char *what, int dirfd, const char *dir, const char *log, int r,
		       oci_error *err)
{
	cleanup_free char *text = NULL;
	size_t len;
	if (oci_read_file_at(dirfd, log, 16 << 20, &text, &len, NULL) == 0) {
		for (char *save, *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *e = strstr(line, "Error (");
			/* a helper's exit status says less than the line after it */
			if (!e || strstr(e, "exited, status=") || strstr(e, "bad status"))
				continue;
			char *msg = strstr(e, "): ");
			msg = msg ? msg + 3 : e;
			return oci_err(err, OCI_E_IO, "%s: criu: %s (log: %s/%s)", what, msg, dir,
				       log);
		}
	}
	return oci_err(err, OCI_E_IO, "%s: criu failed (%s)%s%s%s%s", what,
		       r == -ECONNREFUSED || r == -ECOMM ? "it could not be run or died"
							 : strerror(r < 0 ? -r : EIO),
		       text ? "; log: " : "", text ? dir : "", text ? "/" : "", text ? log : "");
}

/* CRIU and the libraries it loads write to stderr; its log has it all, and the user gets one
 * line: stderr is /dev/null while it runs. Returns the saved stderr (or -1). */
static int quiet_stderr(void)
{
	int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDERR_FILENO);
		close(null);
	}
	return saved;
}

static void restore_stderr(int saved)
{
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
}

/* dir created (0700) when missing and opened. */
static int open_dir(const char *what, const char *path, bool create, oci_error *err)
{
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return oci_err_errno(err, errno, "%s '%s'", what, path);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "%s '%s'", what, path);
	return fd;
}

static bool is_bind(json_t *m)
{
	const char *type = json_string_value(json_object_get(m, "type"));
	if (type && !strcmp(type, "bind"))
		return true;
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(m, "options"), i, o)
	{
		const char *s = json_string_value(o);
		if (s && (!strcmp(s, "bind") || !strcmp(s, "rbind")))
			return true;
	}
	return false;
}

/* dest as the container sees it: resolved inside rootfs (symlinks included), as the runtime
 * resolved it when it mounted there; CRIU names the mount by that path. Caller frees. */
static char *in_root(const char *rootfs, const char *dest, oci_error *err)
{
	cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd =
	    rootfd >= 0 ? oci_safe_open(rootfd, dest, O_PATH | O_CLOEXEC, 0, NULL) : -1;
	char link[64], real[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = fd >= 0 ? readlink(link, real, sizeof(real) - 1) : -1;
	size_t rl = strlen(rootfs);
	if (n > 0) {
		real[n] = '\0';
		if (!strncmp(real, rootfs, rl) && (real[rl] == '/' || !real[rl]))
			return oci_strdup(real[rl] ? real + rl : "/", err);
	}
	return oci_strdup(dest, err); /* not there (yet): CRIU reports what it misses */
}

/* What checkpoint and restore do not handle: namespaces joined by path (CRIU would need
 * them as external ones) and user namespaces. */
static int check_namespaces(json_t *linux_, oci_error *err)
{
	size_t i;
	json_t *ns;
	json_array_foreach(json_object_get(linux_, "namespaces"), i, ns)
	{
		const char *type = json_string_value(json_object_get(ns, "type"));
		const char *path = json_string_value(json_object_get(ns, "path"));
		if (type && !strcmp(type, "user"))
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "a container with a user namespace cannot be checkpointed "
				       "or restored by oci-run");
		if (path && path[0])
			return oci_err(
			    err, OCI_E_UNSUPPORTED,
			    "linux.namespaces[%zu]: a %s namespace joined by path cannot "
			    "be checkpointed or restored by oci-run",
			    i, type ? type : "");
	}
	return 0;
}

static criu_opts *new_opts(const oci_runtime *rt, const oci_criu_opts *o, int images, int work,
			   const char *log, oci_error *err)
{
	cleanup_free char *bin = criu_binary(rt, err);
	if (!bin)
		return NULL;
	criu_opts *c = NULL;
	if (criu_local_init_opts(&c) < 0 || criu_local_set_service_binary(c, bin) < 0) {
		criu_local_free_opts(c);
		oci_err(err, OCI_E_INTERNAL, "out of memory");
		return NULL;
	}
	criu_local_set_images_dir_fd(c, images);
	criu_local_set_work_dir_fd(c, work);
	criu_local_set_log_level(c, 4);
	criu_local_set_log_file(c, log);
	criu_local_set_ext_unix_sk(c, o->ext_unix_sk);
	criu_local_set_tcp_established(c, o->tcp_established);
	criu_local_set_shell_job(c, o->shell_job);
	criu_local_set_file_locks(c, o->file_locks);
	criu_local_set_auto_dedup(c, o->auto_dedup);
	criu_local_set_orphan_pts_master(c, true);
	/* busybox guests and minimal hosts have no iptables; CRIU links libnftables */
	criu_local_set_network_lock(c, CRIU_NETWORK_LOCK_NFTABLES);
	return c;
}

/* ---- checkpoint ---- */

/* The init's stdio as runc's descriptors.json: ["/dev/null","pipe:[123]",...]. */
static int write_descriptors(int images, pid_t pid, oci_error *err)
{
	cleanup_json json_t *a = json_array();
	for (int fd = 0; a && fd < 3; fd++) {
		char p[64], target[4096];
		snprintf(p, sizeof(p), "/proc/%d/fd/%d", (int)pid, fd);
		ssize_t n = readlink(p, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		json_array_append_new(a, json_string(target));
	}
	cleanup_free char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	if (!s)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	return oci_write_file_atomic(images, DESCRIPTORS, s, strlen(s), 0600, err);
}

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* On a pure cgroup v2 host, a container without a cgroup namespace has its own cgroup bound at
 * the cgroup mount's destination (run/cgroup/v2.c): not a root mount, so CRIU must be told it
 * is external, like the config's binds (runc records cgroup mounts so on v2). At restore it
 * is bound from the new container's cgroup. The destination, or NULL when there is none. */
static const char *cgroup_bind_dest(json_t *spec)
{
	struct statfs sf;
	if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
		return NULL;
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(json_object_get(spec, "linux"), "namespaces"), i, m)
	{
		const char *t = json_string_value(json_object_get(m, "type"));
		if (t && !strcmp(t, "cgroup"))
			return NULL; /* a fresh cgroup2 mount: CRIU dumps it itself */
	}
	json_array_foreach(json_object_get(spec, "mounts"), i, m)
	{
		const char *t = json_string_value(json_object_get(m, "type"));
		if (t && (!strcmp(t, "cgroup") || !strcmp(t, "cgroup2")))
			return json_string_value(json_object_get(m, "destination"));
	}
	return NULL;
}

/* The config's bind mounts and masked files, recorded as external mounts. */
static int dump_ext_mounts(criu_opts *c, json_t *spec, const char *rootfs, pid_t pid,
			   oci_error *err)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(spec, "mounts"), i, m)
	{
		const char *dest = json_string_value(json_object_get(m, "destination"));
		if (!dest || !is_bind(m))
			continue;
		cleanup_free char *key = in_root(rootfs, dest, err);
		if (!key || criu_local_add_ext_mount(c, key, key) < 0)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
	}
	const char *cg = cgroup_bind_dest(spec);
	if (cg) {
		cleanup_free char *key = in_root(rootfs, cg, err);
		if (!key || criu_local_add_ext_mount(c, key, key) < 0)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
	}
	json_array_foreach(json_object_get(json_object_get(spec, "linux"), "maskedPaths"), i, m)
	{
		const char *p = json_string_value(m);
		char path[4200];
		struct stat sb;
		if (!p)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, p);
		/* a masked file is /dev/null bound over it; a directory gets a tmpfs */
		if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode) &&
		    criu_local_add_ext_mount(c, p, "/dev/null") < 0)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
	}
	return 0;
}

int oci_container_checkpoint(const oci_runtime *rt, const char *id, const oci_criu_opts *o,
			     oci_error *err)
{
	oci_state st;
	int rootfd = -1;
	cleanup_close int dirfd = oci_state_load(rt->root, id, true, &rootfd, &st, err);
	if (dirfd < 0)
		return -1;
	cleanup_close int rfd = rootfd;
	int ret = -1;
	criu_opts *c = NULL;
	cleanup_close int images = -1, work = -1;
	cleanup_json json_t *spec = NULL;
	cleanup_close int bfd = -1; /* above every goto: clang refuses a jump past a cleanup */
	cleanup_free char *what = oci_asprintf(err, "checkpoint of '%s'", id);
	int status = oci_state_status(dirfd, &st);
	if (!what)
		goto out;
	if (status != OCI_STATUS_RUNNING && status != OCI_STATUS_PAUSED) {
		oci_err(err, OCI_E_STATE, "%s: the container is %s, not running", what,
			oci_status_name(status));
		goto out;
	}
	bfd = open(st.bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	spec = bfd >= 0 ? oci_json_load_file_at(bfd, "config.json", OCI_JSON_MAX_SIZE, err) : NULL;
	if (!spec) {
		if (bfd < 0)
			oci_err_errno(err, errno, "bundle '%s'", st.bundle);
		oci_err_prefix(err, "%s", what);
		goto out;
	}
	if (check_namespaces(json_object_get(spec, "linux"), err) < 0) {
		oci_err_prefix(err, "%s", what);
		goto out;
	}
	images = open_dir("--image-path", o->image_path, true, err);
	if (images < 0)
		goto out;
	const char *work_path = o->work_path ? o->work_path : o->image_path;
	work = open_dir("--work-path", work_path, true, err);
	if (work < 0)
		goto out;
	const char *log = o->pre_dump ? "pre-dump.log" : "dump.log";
	c = new_opts(rt, o, images, work, log, err);
	if (!c)
		goto out;
	criu_local_set_pid(c, st.pid);
	criu_local_set_root(c, st.rootfs);
	criu_local_set_leave_running(c, o->leave_running);
	criu_local_set_manage_cgroups(c, true);
	criu_local_set_manage_cgroups_mode(
	    c, (enum criu_cg_mode)(
		   o->manage_cgroups_mode ? oci_criu_cg_mode(o->manage_cgroups_mode, NULL) : 3));
	if (o->parent_path) {
		/* relative to the image directory, as CRIU takes it */
		criu_local_set_parent_images(c, o->parent_path);
		criu_local_set_track_mem(c, true);
	}
	if (o->pre_dump)
		criu_local_set_track_mem(c, true);
	if (!o->pre_dump && (dump_ext_mounts(c, spec, st.rootfs, st.pid, err) < 0 ||
			     write_descriptors(images, st.pid, err) < 0))
		goto out;
	int saved = quiet_stderr();
	int r = o->pre_dump ? criu_local_pre_dump(c) : criu_local_dump(c);
	restore_stderr(saved);
	if (r < 0) {
		criu_failed(what, work, work_path, log, r, err);
		goto out;
	}
	ret = 0;
	/* As runc: a container checkpointed without --leave-running is gone. */
	if (!o->pre_dump && !o->leave_running) {
		oci_container_kill_all(&st, false);
		ret = oci_container_destroy(rfd, id, &st, true, err);
	}
out:
	if (c)
		criu_local_free_opts(c);
	oci_state_release(&st);
	return ret;
}

/* ---- restore ---- */

typedef struct restoring {
	const oci_runtime *rt;
	const oci_restore_opts *o;
	json_t *spec;
	char *rootfs, *criu_root;
	int rootfd, dirfd;
	bool mounted;
	oci_resources res;
	oci_cgroup_manager cgm;
	oci_state st;
	char created[64];
} restoring;

static void restoring_release(restoring *r, bool failed)
{
	if (r->mounted)
		umount2(r->criu_root, MNT_DETACH);
	if (r->criu_root)
		rmdir(r->criu_root);
	if (failed && r->st.cgroups)
		oci_cgroup_destroy(r->st.cgroups, NULL);
	if (failed && r->dirfd >= 0)
		oci_remove_tree_at(r->rootfd, r->o->id, NULL);
	if (r->dirfd >= 0)
		close(r->dirfd);
	if (r->rootfd >= 0)
		close(r->rootfd);
	oci_cgroup_free(r->st.cgroups);
	oci_resources_release(&r->res);
	oci_cgroup_manager_release(&r->cgm);
	json_decref(r->spec);
	free(r->rootfs);
	free(r->criu_root);
}

/* The bundle, validated as create validates it. */
static int restore_bundle(restoring *r, oci_error *err)
{
	cleanup_close int bfd = open(r->o->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0)
		return oci_err_errno(err, errno, "bundle '%s'", r->o->bundle);
	r->spec = oci_json_load_file_at(bfd, "config.json", OCI_JSON_MAX_SIZE, err);
	if (!r->spec)
		return oci_err_prefix(err, "bundle '%s'", r->o->bundle);
	cleanup_json json_t *problems = json_array();
	int n = oci_spec_validate(r->spec, bfd, problems, err);
	if (n < 0)
		return -1;
	if (n > 0)
		return oci_err(err, OCI_E_INVALID, "config.json: %s",
			       json_string_value(json_array_get(problems, 0)));
	json_t *linux_ = json_object_get(r->spec, "linux");
	if (check_namespaces(linux_, err) < 0)
		return -1;
	if (json_is_true(json_object_get(json_object_get(r->spec, "process"), "terminal")))
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "restore of a container with a terminal is not supported by "
			       "oci-run");
	const char *root =
	    json_string_value(json_object_get(json_object_get(r->spec, "root"), "path"));
	if (!root)
		return oci_err(err, OCI_E_INVALID, "config.json: root.path: missing");
	cleanup_free char *rel =
	    root[0] == '/' ? oci_strdup(root, err) : oci_asprintf(err, "%s/%s", r->o->bundle, root);
	if (!rel)
		return -1;
	r->rootfs = realpath(rel, NULL);
	if (!r->rootfs)
		return oci_err_errno(err, errno, "rootfs '%s'", rel);
	size_t i;
	json_t *ns;
	json_array_foreach(json_object_get(linux_, "namespaces"), i, ns)
	{
		const char *type = json_string_value(json_object_get(ns, "type"));
		if (type && !strcmp(type, "pid"))
			r->st.own_pidns = true;
	}
	return 0;
}

/* State directory, cgroups with the config's limits, and the rootfs bound on a mount point of
 * its own (CRIU wants its root to be one). */
static int restore_prepare(restoring *r, oci_error *err)
{
	json_t *linux_ = json_object_get(r->spec, "linux");
	r->rootfd = oci_state_open_root(r->rt->root, true, err);
	if (r->rootfd < 0)
		return -1;
	if (oci_resources_parse(json_object_get(linux_, "resources"), &r->res, err) < 0 ||
	    oci_cgroup_manager_init(&r->cgm, r->rt->systemd_cgroup, err) < 0)
		return -1;
	r->dirfd = oci_state_create_dir(r->rootfd, r->o->id, err);
	if (r->dirfd < 0)
		return -1;
	oci_time_rfc3339(r->created, sizeof(r->created));
	r->st.id = (char *)r->o->id;
	r->st.bundle = (char *)r->o->bundle;
	r->st.rootfs = r->rootfs;
	r->st.created = r->created;
	r->st.owner = geteuid();
	r->st.annotations = json_object_get(r->spec, "annotations");
	r->st.hooks = json_object_get(r->spec, "hooks");
	r->st.cgroups =
	    oci_cgroup_create(&r->cgm, json_string_value(json_object_get(linux_, "cgroupsPath")),
			      r->o->id, &r->res, err);
	if (!r->st.cgroups || oci_state_write_cgroups(r->dirfd, r->st.cgroups, err) < 0 ||
	    oci_cgroup_apply(r->st.cgroups, &r->res, err) < 0)
		return -1;
	r->criu_root = oci_asprintf(err, "%s/%s/criu-root", r->rt->root, r->o->id);
	if (!r->criu_root)
		return -1;
	if (mkdir(r->criu_root, 0755) < 0)
		return oci_err_errno(err, errno, "mkdir '%s'", r->criu_root);
	if (mount(r->rootfs, r->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return oci_err_errno(err, errno, "cannot bind '%s' for CRIU", r->rootfs);
	r->mounted = true;
	return 0;
}

static int restore_ext(criu_opts *c, restoring *r, int images, oci_error *err)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(r->spec, "mounts"), i, m)
	{
		const char *dest = json_string_value(json_object_get(m, "destination"));
		const char *src = json_string_value(json_object_get(m, "source"));
		if (!dest || !src || !is_bind(m))
			continue;
		cleanup_free char *abs = src[0] == '/'
					     ? oci_strdup(src, err)
					     : oci_asprintf(err, "%s/%s", r->o->bundle, src);
		if (!abs || criu_local_add_ext_mount(c, dest, abs) < 0)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
	}
	const char *cg = cgroup_bind_dest(r->spec);
	if (cg && r->st.cgroups && r->st.cgroups->n &&
	    criu_local_add_ext_mount(c, cg, r->st.cgroups->dirs[r->st.cgroups->n - 1]) < 0)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	if (json_array_size(json_object_get(json_object_get(r->spec, "linux"), "maskedPaths")) &&
	    criu_local_add_ext_mount(c, "/dev/null", "/dev/null") < 0)
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	/* stdio pipes of the checkpointed init become ours (runc's rule) */
	cleanup_json json_t *fds = oci_json_load_file_at(images, DESCRIPTORS, 1 << 16, err);
	if (!fds)
		return oci_err_prefix(err, "--image-path '%s'", r->o->criu.image_path);
	json_array_foreach(fds, i, m)
	{
		const char *s = json_string_value(m);
		if (i < 3 && s && strstr(s, "pipe:") &&
		    criu_local_add_inherit_fd(c, STDIO_BASE + (int)i, s) < 0)
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
	}
	return 0;
}

/* In a child that joined the container's cgroups: CRIU restores the tree as its child. The
 * pid goes up the pipe; then the child exits (--detach) or waits for the container. */
static int restore_run(restoring *r, criu_opts *c, const char *work_path, int work, pid_t *pid,
		       pid_t *waiter, oci_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return oci_err_errno(err, errno, "pipe");
	fflush(NULL);
	pid_t child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return oci_err_errno(err, errno, "fork");
	}
	if (child == 0) {
		close(p[0]);
		oci_error e = OCI_ERROR_INIT;
		int got = -1;
		for (int i = 0; i < 3; i++)
			dup2(i, STDIO_BASE + i);
		int saved = quiet_stderr();
		if (oci_cgroup_enter(r->st.cgroups, getpid(), &e) == 0)
			got = criu_local_restore_child(c);
		else
			got = -EPERM;
		restore_stderr(saved);
		for (int i = 0; i < 3; i++)
			close(STDIO_BASE + i);
		if (write(p[1], &got, sizeof(got)) != sizeof(got) || got <= 0)
			_exit(1);
		close(p[1]);
		if (r->o->detach)
			_exit(0);
		int st;
		while (waitpid(got, &st, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	close(p[1]);
	int got = -1;
	ssize_t n = read(p[0], &got, sizeof(got));
	close(p[0]);
	if (n != sizeof(got) || got <= 0) {
		waitpid(child, NULL, 0);
		if (got == -EPERM)
			return oci_err(err, OCI_E_IO, "restore of '%s': cannot join its cgroups",
				       r->o->id);
		cleanup_free char *what = oci_asprintf(NULL, "restore of '%s'", r->o->id);
		return criu_failed(what ? what : "restore", work, work_path, "restore.log", got,
				   err);
	}
	*pid = got;
	if (r->o->detach) {
		waitpid(child, NULL, 0);
		*waiter = -1;
	} else {
		*waiter = child;
	}
	return 0;
}

int oci_container_restore(const oci_runtime *rt, const oci_restore_opts *o, int *exit_status,
			  oci_error *err)
{
	if (oci_state_check_id(o->id, err) < 0)
		return -1;
	restoring r = {.rt = rt, .o = o, .rootfd = -1, .dirfd = -1};
	int ret = -1;
	criu_opts *c = NULL;
	cleanup_close int images = -1, work = -1;
	pid_t pid = -1, waiter = -1;
	const char *work_path = o->criu.work_path ? o->criu.work_path : o->criu.image_path;
	images = open_dir("--image-path", o->criu.image_path, false, err);
	if (images < 0)
		goto out;
	work = open_dir("--work-path", work_path, true, err);
	if (work < 0 || restore_bundle(&r, err) < 0 || restore_prepare(&r, err) < 0)
		goto out;
	c = new_opts(rt, &o->criu, images, work, "restore.log", err);
	if (!c)
		goto out;
	criu_local_set_root(c, r.criu_root);
	criu_local_set_evasive_devices(c, true);
	/* the tasks start in the cgroups restore made (they inherit them from CRIU) */
	criu_local_set_manage_cgroups(c, true);
	criu_local_set_manage_cgroups_mode(
	    c, (enum criu_cg_mode)(o->criu.manage_cgroups_mode
				       ? oci_criu_cg_mode(o->criu.manage_cgroups_mode, NULL)
				       : 0));
	if (restore_ext(c, &r, images, err) < 0 ||
	    restore_run(&r, c, work_path, work, &pid, &waiter, err) < 0)
		goto out;
	/* CRIU is done with its root: the container's mount namespace has its own copy */
	umount2(r.criu_root, MNT_DETACH);
	rmdir(r.criu_root);
	r.mounted = false;
	r.st.pid = pid;
	r.st.pid_start = oci_proc_start_time(pid, NULL);
	if (oci_state_write(r.dirfd, &r.st, err) < 0 ||
	    (o->pid_file && oci_process_write_pid_file(o->pid_file, pid, err) < 0)) {
		kill(pid, SIGKILL);
		goto out;
	}
	ret = 0;
	if (waiter > 0) {
		/* foreground: the container's status, then it is removed (as run) */
		int st;
		while (waitpid(waiter, &st, 0) < 0 && errno == EINTR)
			;
		waiter = -1;
		*exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		oci_container_kill_all(&r.st, false);
		ret = oci_container_destroy(r.rootfd, o->id, &r.st, true, err);
	}
out:
	if (waiter > 0) {
		kill(waiter, SIGKILL);
		waitpid(waiter, NULL, 0);
	}
	if (c)
		criu_local_free_opts(c);
	restoring_release(&r, ret < 0);
	return ret;
}
#endif
