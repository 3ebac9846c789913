/* The container's filesystem view, built by its init in its own mount namespace.
 *
 * Every destination is resolved inside the rootfs (common/safepath.h: openat2 with
 * RESOLVE_IN_ROOT) and created there without following a symlink out; the mount is then made
 * on the resolved O_PATH fd through /proc/self/fd/N, so a symlink swapped in later cannot
 * redirect it (the CVE-2021-30465 / CVE-2024-45310 class). Bind mounts use the new mount API
 * (open_tree + mount_setattr + move_mount): the attributes are set on the detached copy and
 * it is attached to the fd, with no window where a writable mount is visible. */
#include "run/mounts.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/safepath.h"
#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "run/sync.h"
#include "run/copyup.h"
#include "run/userns.h"
#include "run/lsm.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#define OCI_MOUNT_ATTR_RDONLY	   0x00000001
#define OCI_MOUNT_ATTR_NOSUID	   0x00000002
#define OCI_MOUNT_ATTR_NODEV	   0x00000004
#define OCI_MOUNT_ATTR_NOEXEC	   0x00000008
#define OCI_MOUNT_ATTR__ATIME	   0x00000070
#define OCI_MOUNT_ATTR_NOATIME	   0x00000010
#define OCI_MOUNT_ATTR_STRICTATIME 0x00000020
#define OCI_MOUNT_ATTR_NODIRATIME  0x00000080
#define OCI_MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

struct oci_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

static int sys_open_tree(int dfd, const char *path, unsigned flags)
{
	return (int)syscall(SYS_open_tree, dfd, path, flags);
}
static int sys_move_mount(int from_dfd, const char *from, int to_dfd, const char *to,
			  unsigned flags)
{
	return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}
static int sys_mount_setattr(int dfd, const char *path, unsigned flags, struct oci_mount_attr *attr)
{
	return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof(*attr));
}

static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_flags[] = {
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"symfollow", true, MS_NOSYMFOLLOW},
    {"sync", false, MS_SYNCHRONOUS},
};

/* Options applied to the mount and every mount below it with mount_setattr(AT_RECURSIVE), as
 * runc names them. An atime option replaces the whole atime mode (the kernel wants
 * MOUNT_ATTR__ATIME cleared with it); "relatime" is the mode 0. */
static const struct {
	const char *name;
	bool clear;
	uint64_t attr;
	bool atime;
} recursive_flags[] = {
    {"ratime", true, OCI_MOUNT_ATTR_NOATIME, true},
    {"rdev", true, OCI_MOUNT_ATTR_NODEV, false},
    {"rdiratime", true, OCI_MOUNT_ATTR_NODIRATIME, false},
    {"rexec", true, OCI_MOUNT_ATTR_NOEXEC, false},
    {"rnoatime", false, OCI_MOUNT_ATTR_NOATIME, true},
    {"rnodev", false, OCI_MOUNT_ATTR_NODEV, false},
    {"rnodiratime", false, OCI_MOUNT_ATTR_NODIRATIME, false},
    {"rnoexec", false, OCI_MOUNT_ATTR_NOEXEC, false},
    {"rnorelatime", true, 0, true},
    {"rnostrictatime", true, OCI_MOUNT_ATTR_STRICTATIME, true},
    {"rnosuid", false, OCI_MOUNT_ATTR_NOSUID, false},
    {"rnosymfollow", false, OCI_MOUNT_ATTR_NOSYMFOLLOW, false},
    {"rrelatime", false, 0, true},
    {"rro", false, OCI_MOUNT_ATTR_RDONLY, false},
    {"rrw", true, OCI_MOUNT_ATTR_RDONLY, false},
    {"rstrictatime", false, OCI_MOUNT_ATTR_STRICTATIME, true},
    {"rsuid", true, OCI_MOUNT_ATTR_NOSUID, false},
    {"rsymfollow", true, OCI_MOUNT_ATTR_NOSYMFOLLOW, false},
};

static const struct {
	const char *name;
	unsigned long flag;
} propagation_flags[] = {
    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

json_t *oci_mount_option_names(void)
{
	json_t *a = json_array();
	if (!a)
		return NULL;
	for (size_t k = 0; k < ARRAY_SIZE(mount_flags); k++)
		json_array_append_new(a, json_string(mount_flags[k].name));
	for (size_t k = 0; k < ARRAY_SIZE(recursive_flags); k++)
		json_array_append_new(a, json_string(recursive_flags[k].name));
	for (size_t k = 0; k < ARRAY_SIZE(propagation_flags); k++)
		json_array_append_new(a, json_string(propagation_flags[k].name));
	json_array_append_new(a, json_string("tmpcopyup"));
	json_array_append_new(a, json_string("idmap"));
	json_array_append_new(a, json_string("ridmap"));
	size_t n = json_array_size(a);
	json_t **items = calloc(n ? n : 1, sizeof(*items));
	if (!items) {
		json_decref(a);
		return NULL;
	}
	for (size_t k = 0; k < n; k++)
		items[k] = json_incref(json_array_get(a, k));
	qsort(items, n, sizeof(*items), cmp_name);
	json_array_clear(a);
	for (size_t k = 0; k < n; k++)
		json_array_append_new(a, items[k]);
	free(items);
	return a;
}

static void add_recursive(oci_mount_rec_attr *rec, size_t k)
{
	uint64_t attr = recursive_flags[k].attr;
	if (recursive_flags[k].atime) {
		rec->set &= ~(uint64_t)OCI_MOUNT_ATTR__ATIME;
		rec->clr |= OCI_MOUNT_ATTR__ATIME;
		if (!recursive_flags[k].clear)
			rec->set |= attr;
	} else if (recursive_flags[k].clear) {
		rec->set &= ~attr;
		rec->clr |= attr;
	} else {
		rec->clr &= ~attr;
		rec->set |= attr;
	}
}

int oci_mount_parse_options(char *const *options, unsigned long *flags, unsigned long *propagation,
			    bool *recursive_bind, oci_mount_rec_attr *rec, char *data,
			    size_t datalen, oci_error *err)
{
	size_t used = 0;
	*flags = 0;
	*propagation = 0;
	*recursive_bind = false;
	rec->set = rec->clr = 0;
	data[0] = '\0';
	for (; options && *options; options++) {
		const char *o = *options;
		bool found = false;
		for (size_t k = 0; k < ARRAY_SIZE(mount_flags); k++) {
			if (strcmp(o, mount_flags[k].name))
				continue;
			found = true;
			if (mount_flags[k].clear)
				*flags &= ~mount_flags[k].flag;
			else
				*flags |= mount_flags[k].flag;
			if (!strcmp(o, "rbind"))
				*recursive_bind = true;
		}
		for (size_t k = 0; !found && k < ARRAY_SIZE(recursive_flags); k++) {
			if (!strcmp(o, recursive_flags[k].name)) {
				add_recursive(rec, k);
				found = true;
			}
		}
		for (size_t k = 0; !found && k < ARRAY_SIZE(propagation_flags); k++) {
			if (!strcmp(o, propagation_flags[k].name)) {
				*propagation = propagation_flags[k].flag;
				found = true;
			}
		}
		/* tmpcopyup is done by do_mount once the tmpfs is there, idmap and ridmap by
		 * oci_mounts_open_trees: never passed to the kernel. */
		if (found || !strcmp(o, "tmpcopyup") || !strcmp(o, "idmap") || !strcmp(o, "ridmap"))
			continue;
		size_t n = strlen(o);
		if (used + n + 2 > datalen)
			return oci_err(err, OCI_E_LIMIT, "mount options too long");
		if (used)
			data[used++] = ',';
		memcpy(data + used, o, n + 1);
		used += n;
	}
	return 0;
}

static uint64_t attrs_from_flags(unsigned long f, uint64_t *clr)
{
	uint64_t a = 0;
	*clr = 0;
	if (f & MS_RDONLY)
		a |= OCI_MOUNT_ATTR_RDONLY;
	if (f & MS_NOSUID)
		a |= OCI_MOUNT_ATTR_NOSUID;
	if (f & MS_NODEV)
		a |= OCI_MOUNT_ATTR_NODEV;
	if (f & MS_NOEXEC)
		a |= OCI_MOUNT_ATTR_NOEXEC;
	if (f & MS_NODIRATIME)
		a |= OCI_MOUNT_ATTR_NODIRATIME;
	/* a per-mount flag: a bind gets it too (the superblock's, lazytime, iversion and
	 * silent, are the filesystem's, which a bind does not change, as in runc) */
	if (f & MS_NOSYMFOLLOW)
		a |= OCI_MOUNT_ATTR_NOSYMFOLLOW;
	if (f & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
		*clr |= OCI_MOUNT_ATTR__ATIME;
		if (f & MS_NOATIME)
			a |= OCI_MOUNT_ATTR_NOATIME;
		else if (f & MS_STRICTATIME)
			a |= OCI_MOUNT_ATTR_STRICTATIME;
	}
	return a;
}

static bool has_option(char *const *options, const char *name)
{
	for (; options && *options; options++)
		if (!strcmp(*options, name))
			return true;
	return false;
}

static void fd_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

static int setattr_error(int e, const char *what, oci_error *err)
{
	if (e == ENOSYS)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "cannot set attributes of '%s': this kernel has no mount_setattr "
			       "(Linux 5.12 or later "
			       "is needed for recursive mount options)",
			       what);
	return oci_err_errno(err, e, "cannot set attributes of '%s'", what);
}

/* Recursive attributes (rro, rnosuid, ...) on the mount fd and every mount below it. */
static int set_recursive(int fd, const oci_mount_rec_attr *rec, const char *what, oci_error *err)
{
	if (!rec || (!rec->set && !rec->clr))
		return 0;
	struct oci_mount_attr attr = {.attr_set = rec->set, .attr_clr = rec->clr};
	if (sys_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
		return setattr_error(errno, what, err);
	return 0;
}

#define OCI_MOUNT_ATTR_IDMAP 0x00100000

/* A detached copy of src (host path) with flags applied to its top mount and rec to it and
 * everything below it, id-mapped through the user namespace userns_fd when it is >= 0 (all
 * of it with idmap_recursive). A recursive read-only bind is read-only all the way down:
 * with only its top mount read-only, a submount of the source (a tmpfs, the host's cgroup
 * hierarchies under /sys) would stay writable in the container. */
static int clone_tree(const char *src, unsigned long flags, bool recursive,
		      const oci_mount_rec_attr *rec, int userns_fd, bool idmap_recursive,
		      oci_error *err)
{
	cleanup_close int tree = sys_open_tree(
	    AT_FDCWD, src, OPEN_TREE_CLONE | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return oci_err_errno(err, errno, "cannot clone '%s'", src);
	if (userns_fd >= 0) {
		struct oci_mount_attr id = {.attr_set = OCI_MOUNT_ATTR_IDMAP,
					    .userns_fd = (uint64_t)userns_fd};
		if (sys_mount_setattr(
			tree, "", AT_EMPTY_PATH | (idmap_recursive ? AT_RECURSIVE : 0), &id) < 0) {
			int e = errno;
			struct statfs sfs;
			fstatfs(tree, &sfs);
			return oci_err_errno(
			    err, e,
			    "the kernel refuses to id-map '%s' (filesystem type "
			    "%#lx; idmapped mounts need Linux 5.12 and a filesystem "
			    "that supports them)",
			    src, (unsigned long)sfs.f_type);
		}
	}
	oci_mount_rec_attr all = {0};
	if (rec)
		all = *rec;
	if (recursive && (flags & MS_RDONLY) && !(all.clr & OCI_MOUNT_ATTR_RDONLY))
		all.set |= OCI_MOUNT_ATTR_RDONLY;
	/* Recursive first: the bind's own flags then apply to its top mount (rbind,rrw,ro). */
	if (set_recursive(tree, &all, src, err) < 0)
		return -1;
	uint64_t clr;
	struct oci_mount_attr attr = {0};
	attr.attr_set = attrs_from_flags(flags, &clr);
	attr.attr_clr = clr;
	if ((attr.attr_set || attr.attr_clr) &&
	    sys_mount_setattr(tree, "", AT_EMPTY_PATH, &attr) < 0)
		return setattr_error(errno, src, err);
	int ret = tree;
	tree = -1;
	return ret;
}

/* Attach a detached tree onto the O_PATH target fd. */
static int attach_tree(int tree, int target, const char *what, oci_error *err)
{
	if (sys_move_mount(tree, "", target, "",
			   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return oci_err_errno(err, errno, "cannot attach '%s'", what);
	return 0;
}

/* Bind src (host path) onto the O_PATH target fd (clone_tree's rules). */
static int bind_onto(const char *src, int target, unsigned long flags, bool recursive,
		     const oci_mount_rec_attr *rec, oci_error *err)
{
	cleanup_close int tree = clone_tree(src, flags, recursive, rec, -1, false, err);
	if (tree < 0)
		return -1;
	return attach_tree(tree, target, src, err);
}

/* The most symlinks followed for one destination, as the kernel's MAXSYMLINKS. */
#define MAX_DEST_LINKS 40

/* Create dest inside the root as a directory (or a file when want_file) and return an O_PATH
 * fd of it. A symlink anywhere in dest resolves inside the root, the last one too: a file
 * bind onto an image's /etc/localtime or /etc/resolv.conf symlink (podman --tz, podman's
 * network files) lands on the link's target as seen from the root — absolute targets restart
 * at the root, ".." never climbs above it — created when missing, as runc does. links counts
 * the symlinks followed so far. */
/* The directory path's last component goes in, made inside the root as needed (its fd), and
 * that component (*leaf, within path); what names path in errors. */
static int parent_in_root(int rootfd, const char *path, const char **leaf, const char *what,
			  oci_error *err)
{
	const char *slash = strrchr(path, '/');
	*leaf = slash ? slash + 1 : path;
	if (!**leaf || !strcmp(*leaf, ".") || !strcmp(*leaf, ".."))
		return oci_err(err, OCI_E_INVALID, "invalid %s '%s'", what, path);
	cleanup_free char *parent = strndup(path, slash ? (size_t)(slash - path) : 0);
	if (!parent)
		return oci_err_errno(err, ENOMEM, "%s '%s'", what, path);
	return oci_safe_mkdir_in_root(rootfd, parent[0] ? parent : "/", 0755, err);
}

static int make_dest_at(int rootfd, const char *dest, bool want_file, int links, oci_error *err)
{
	if (!want_file)
		return oci_safe_mkdir_in_root(rootfd, dest, 0755, err);
	const char *leaf;
	cleanup_close int pfd = parent_in_root(rootfd, dest, &leaf, "destination", err);
	if (pfd < 0)
		return -1;
	int fd = openat(pfd, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISLNK(st.st_mode))
			return fd;
		close(fd);
		if (links >= MAX_DEST_LINKS)
			return oci_err(err, OCI_E_UNSAFE,
				       "'%s': too many levels of symlinks in the rootfs", dest);
		/* Read the link through the parent fd (resolved inside the root) and go on at
		 * its target spelled inside the root; nothing is resolved by the host's rules. */
		char target[PATH_MAX];
		ssize_t n = readlinkat(pfd, leaf, target, sizeof(target) - 1);
		if (n < 0)
			return oci_err_errno(err, errno, "cannot read the symlink '%s'", dest);
		target[n] = 0;
		/* the parent as dest spells it ("" when dest is a bare name) */
		int plen = leaf > dest ? (int)(leaf - dest - 1) : 0;
		cleanup_free char *next = target[0] == '/'
					      ? strdup(target)
					      : oci_asprintf(NULL, "%.*s/%s", plen, dest, target);
		if (!next)
			return oci_err_errno(err, ENOMEM, "destination '%s'", dest);
		return make_dest_at(rootfd, next, want_file, links + 1, err);
	}
	if (errno != ENOENT)
		return oci_err_errno(err, errno, "cannot open '%s'", dest);
	int c = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (c < 0)
		return oci_err_errno(err, errno, "cannot create '%s'", dest);
	close(c);
	fd = openat(pfd, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open '%s'", dest);
	return fd;
}

static int make_dest(int rootfd, const char *dest, bool want_file, oci_error *err)
{
	return make_dest_at(rootfd, dest, want_file, 0, err);
}

/* /proc and /sys must be real directories in the rootfs: a symlink there could send the
 * procfs (and the runtime's later writes through it) anywhere. */
static int check_special_dest(int rootfd, const char *type, const char *dest, oci_error *err)
{
	struct stat st;
	oci_error e2 = OCI_ERROR_INIT;
	if (strcmp(type, "proc") && strcmp(type, "sysfs"))
		return 0;
	if (oci_safe_lstat(rootfd, dest, &st, &e2) < 0)
		return 0; /* missing: created below */
	if (S_ISLNK(st.st_mode))
		return oci_err(err, OCI_E_UNSAFE,
			       "'%s' in the rootfs is a symlink: refusing to mount %s there", dest,
			       type);
	if (!S_ISDIR(st.st_mode))
		return oci_err(err, OCI_E_UNSAFE,
			       "'%s' in the rootfs is not a directory: refusing to mount %s there",
			       dest, type);
	return 0;
}

/* Nothing but procfs may be mounted on procfs (CVE-2019-16884, CVE-2019-19921,
 * CVE-2023-27561, CVE-2025-52881): a volume over /proc or a part of it, reached by name or
 * through a symlink (even one swapped in while we resolve), would receive the writes the
 * runtime makes to /proc later (sysctls) and hide the masks. The check is on the fd the mount
 * is made on, so it holds whatever the path says. Allowed, as runc allows: a source that is
 * itself on procfs, and the files lxcfs-style tools bind over (by their resolved path). */
static int check_proc_target(const oci_mount_ctx *ctx, int target, const char *dest,
			     const char *type, bool is_bind, const char *src, oci_error *err)
{
	static const char *const allowed[] = {
	    "/proc/cpuinfo", "/proc/diskstats",
	    "/proc/meminfo", "/proc/stat",
	    "/proc/swaps",   "/proc/uptime",
	    "/proc/loadavg", "/proc/slabinfo",
	    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
	};
	struct statfs sfs;
	if (!strcmp(type, "proc"))
		return 0;
	if (fstatfs(target, &sfs) < 0)
		return oci_err_errno(err, errno,
				     "mount '%s': cannot check the destination's filesystem", dest);
	if (sfs.f_type != PROC_SUPER_MAGIC)
		return 0;
	if (is_bind && statfs(src, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC)
		return 0;
	char fdp[64], real[4096];
	fd_path(fdp, sizeof(fdp), target);
	ssize_t n = readlink(fdp, real, sizeof(real) - 1);
	size_t rl = strlen(ctx->rootfs);
	while (rl > 1 && ctx->rootfs[rl - 1] == '/')
		rl--;
	if (n > 0) {
		real[n] = '\0';
		if (!strncmp(real, ctx->rootfs, rl) && real[rl] == '/')
			for (size_t k = 0; k < ARRAY_SIZE(allowed); k++)
				if (!strcmp(real + rl, allowed[k]))
					return 0;
	}
	return oci_err(
	    err, OCI_E_UNSAFE,
	    "mount '%s': the destination is inside /proc: only procfs may be mounted there", dest);
}

/* cgroup v1 (and the empty v2 of a hybrid host): a tmpfs with each hierarchy below it, either
 * mounted afresh (new cgroup namespace: rooted at the container's cgroup) or bound from the
 * container's own cgroup directory. */
static int mount_cgroups(int rootfd, const char *dest, int target, unsigned long flags, bool new_ns,
			 oci_error *err)
{
	char tpath[64], line[4096];
	fd_path(tpath, sizeof(tpath), target);
	if (mount("tmpfs", tpath, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		return oci_err_errno(err, errno, "cannot mount tmpfs for cgroups");
	/* target still names the covered directory: resolve dest again to reach the tmpfs. */
	cleanup_close int dir =
	    oci_safe_open(rootfd, dest, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, err);
	if (dir < 0)
		return -1;
	cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return oci_err_errno(err, errno, "cannot read /proc/self/cgroup");
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1, *path = c2 + 1;
		const char *name = *ctrls ? ctrls : "unified";
		if (!strncmp(name, "name=", 5))
			name += 5;
		char host[4200];
		snprintf(host, sizeof(host), "/sys/fs/cgroup/%s", name);
		struct stat st;
		if (stat(host, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
			return oci_err_errno(err, errno, "cannot create cgroup directory '%s'",
					     name);
		cleanup_close int sub =
		    openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return oci_err_errno(err, errno, "cannot open cgroup directory '%s'", name);
		char spath[64];
		fd_path(spath, sizeof(spath), sub);
		unsigned long mf = MS_NOSUID | MS_NODEV | MS_NOEXEC | (flags & MS_RDONLY);
		if (new_ns) {
			int r = *ctrls ? mount("cgroup", spath, "cgroup", mf, ctrls)
				       : mount("cgroup2", spath, "cgroup2", mf, NULL);
			if (r < 0)
				return oci_err_errno(err, errno, "cannot mount cgroup '%s'", name);
		} else {
			char src[8400];
			snprintf(src, sizeof(src), "%s%s", host, path);
			if (bind_onto(src, sub, mf, false, NULL, err) < 0)
				return -1;
		}
	}
	if (flags & MS_RDONLY) {
		struct oci_mount_attr attr = {.attr_set = OCI_MOUNT_ATTR_RDONLY};
		if (sys_mount_setattr(dir, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
			return setattr_error(errno, dest, err);
	}
	return 0;
}

/* A /dev of its own (not a bind) asked read-only: it is mounted writable so that devpts and
 * the device nodes can be made in it, and made read-only after pivot_root (runc's order). */
static bool readonly_dev(const oci_config_mount *m)
{
	if (!m->destination || strcmp(m->destination, "/dev") ||
	    (m->type && !strcmp(m->type, "bind")))
		return false;
	bool ro = false;
	for (char *const *o = m->options; o && *o; o++) {
		if (!strcmp(*o, "ro"))
			ro = true;
		else if (!strcmp(*o, "rw"))
			ro = false;
		else if (!strcmp(*o, "bind") || !strcmp(*o, "rbind"))
			return false;
	}
	return ro;
}

/* A namespace of type the container makes for itself (listed, joined by no path). */
static bool new_namespace(const oci_config *cfg, const char *type)
{
	const oci_config_namespace *ns = oci_config_find_namespace(cfg, type);
	return ns && !(ns->path && ns->path[0]);
}

static int do_mount(const oci_mount_ctx *ctx, int rootfd, const oci_config_mount *m, size_t idx,
		    oci_error *err)
{
	const char *dest = m->destination, *type = m->type ? m->type : "",
		   *source = m->source ? m->source : "";
	char *const *options = m->options;
	char path[32];
	snprintf(path, sizeof(path), "mounts[%zu]", idx);
	unsigned long flags = 0, prop = 0;
	bool rbind = false;
	oci_mount_rec_attr rec = {0};
	char data[4096];
	if (options && oci_mount_parse_options(options, &flags, &prop, &rbind, &rec, data,
					       sizeof(data), err) < 0)
		return oci_err_prefix(err, "%s", path);
	if (!options)
		data[0] = '\0';
	if (readonly_dev(m))
		flags &= ~(unsigned long)MS_RDONLY;
	bool is_bind = !strcmp(type, "bind") || (flags & MS_BIND);
	if (!is_bind &&
	    oci_lsm_mount_data(type, ctx->cfg->linux_.mount_label, data, sizeof(data), err) < 0)
		return oci_err_prefix(err, "%s", path);
	if (check_special_dest(rootfd, type, dest, err) < 0)
		return -1;

	cleanup_free char *src = NULL;
	bool src_is_file = false;
	int tree = ctx->trees ? ctx->trees[idx] : -1;
	/* The copy of a bind's source the runtime made in our mount namespace with the host
	 * root's rights (oci_mounts_send_sources): used only when our own root may not reach
	 * the source (a directory only the host's root may search), so every other source is
	 * looked up as before, after the mounts above it. */
	bool host_copy = false, use_tree = tree >= 0;
	if (!use_tree && ctx->sources && ctx->sources[idx] >= 0) {
		tree = ctx->sources[idx];
		/* an id-mapped copy is attached as it is */
		use_tree = m->idmapped;
		host_copy = !m->idmapped;
	}
	if (m->idmapped && !use_tree)
		return oci_err(err, OCI_E_INTERNAL, "mount '%s': its id-mapped copy is missing",
			       dest);
	if (is_bind && !use_tree) {
		src = source[0] != '/' ? oci_asprintf(err, "%s/%s", ctx->bundle, source)
				       : oci_asprintf(err, "%s", source);
		if (!src)
			return -1;
		struct stat st;
		if (stat(src, &st) == 0)
			src_is_file = !S_ISDIR(st.st_mode);
		else if (host_copy && (errno == EACCES || errno == EPERM))
			use_tree = true;
		else
			return oci_err_errno(err, errno, "mount '%s': source '%s'", dest, src);
	}
	if (use_tree) {
		struct stat st;
		if (fstat(tree, &st) < 0)
			return oci_err_errno(err, errno, "mount '%s'", dest);
		src_is_file = !S_ISDIR(st.st_mode);
		is_bind = false; /* attached below as it is */
	}
	cleanup_close int target = make_dest(rootfd, dest, src_is_file, err);
	if (target < 0)
		return oci_err_prefix(err, "mount '%s'", dest);
	if (check_proc_target(ctx, target, dest, type, is_bind, src, err) < 0)
		return -1;
	char tpath[64];
	fd_path(tpath, sizeof(tpath), target);

	if (use_tree) {
		if (attach_tree(tree, target, source, err) < 0)
			return oci_err_prefix(err, "mount '%s'", dest);
		if (!host_copy)
			return 0;
		is_bind = true; /* its options are set: only its propagation is left */
	} else if (is_bind) {
		if (bind_onto(src, target, flags, rbind, &rec, err) < 0)
			return oci_err_prefix(err, "mount '%s'", dest);
	} else if (!strcmp(type, "cgroup")) {
		/* In a cgroup namespace, new or joined by path (a pod's, podman's
		 * --cgroupns=container:X), the filesystem is mounted afresh and rooted at the
		 * namespace's root, as runc mounts it whenever the config lists one. Bound from
		 * the host instead, a joined namespace's /proc/self/cgroup paths are relative to
		 * another cgroup ("/../x") and name nothing under /sys/fs/cgroup. */
		bool cgns = ctx->new_cgroupns || oci_config_find_namespace(ctx->cfg, "cgroup");
		int v1 = oci_cgroup_mount_unified(target, flags, cgns, err);
		if (v1 < 0 || (v1 > 0 && mount_cgroups(rootfd, dest, target, flags, cgns, err) < 0))
			return oci_err_prefix(err, "mount '%s'", dest);
	} else {
		unsigned long mf = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
		if (mount(source, tpath, type, mf, data[0] ? data : NULL) < 0) {
			int e = errno;
			/* sysfs cannot be mounted in a user namespace that does not own the network
			 * namespace: bind the host's /sys instead, as runc does. */
			if (!strcmp(type, "sysfs") && (e == EPERM || e == EBUSY)) {
				if (bind_onto("/sys", target, mf | MS_RDONLY, true, &rec, err) < 0)
					return oci_err_prefix(err, "mount '%s'", dest);
			} else if (!strcmp(type, "mqueue") && e == EPERM) {
				if (bind_onto("/dev/mqueue", target, mf, false, &rec, err) < 0)
					return oci_err_prefix(err, "mount '%s'", dest);
			} else {
				return oci_err_errno(err, e, "cannot mount %s on '%s'",
						     type[0] ? type : source, dest);
			}
		} else if (!strcmp(type, "mqueue")) {
			if (oci_lsm_label_mount(rootfd, dest, type, ctx->cfg->linux_.mount_label,
						new_namespace(ctx->cfg, "ipc"), err) < 0)
				return -1;
		}
		if (!strcmp(type, "tmpfs") && has_option(options, "tmpcopyup")) {
			/* target still names the covered directory: copy it into the new tmpfs,
			 * in the container's cgroups (the copy is its memory, its I/O and CPU: the
			 * init joined them before its mounts) */
			cleanup_close int fresh =
			    oci_safe_open(rootfd, dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, err);
			if (fresh < 0 ||
			    oci_copyup(target, fresh, strstr(data, "mode=") != NULL, err) < 0)
				return oci_err_prefix(err, "mount '%s'", dest);
		}
	}
	if (!is_bind && (rec.set || rec.clr)) {
		/* The fd still names the covered directory: reopen dest to reach the new mount. */
		cleanup_close int fresh = oci_safe_open(rootfd, dest, O_PATH | O_CLOEXEC, 0, err);
		if (fresh < 0 || set_recursive(fresh, &rec, dest, err) < 0)
			return oci_err_prefix(err, "mount '%s'", dest);
	}
	if (prop) {
		/* The fd still names the covered directory: reopen dest to reach the new mount. */
		cleanup_close int fresh = oci_safe_open(rootfd, dest, O_PATH | O_CLOEXEC, 0, err);
		if (fresh < 0)
			return oci_err_prefix(err, "mount '%s'", dest);
		fd_path(tpath, sizeof(tpath), fresh);
		if (mount(NULL, tpath, NULL, prop, NULL) < 0)
			return oci_err_errno(err, errno, "cannot set propagation of '%s'", dest);
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned maj, min;
} default_devices[] = {
    {"null", 1, 3},   {"zero", 1, 5},	 {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/* Create one device node, leaf in the directory pfd (path is its name inside the root, for
 * messages and the bind's source): mknod, or (in a user namespace, where mknod is not
 * allowed) an empty file with the host's node bound over it. The caller's umask is 0 (the
 * mode is the one asked for, with no chmod after). */
static int make_device_at(int pfd, const char *leaf, const char *path, mode_t type, unsigned maj,
			  unsigned min, mode_t mode, uid_t uid, gid_t gid, bool bind,
			  oci_error *err)
{
	unlinkat(pfd, leaf, 0);
	if (!bind && mknodat(pfd, leaf, type | (mode & 07777), makedev(maj, min)) == 0) {
		/* made as ours (a tmpfs of ours: no set-group-id directory) */
		if ((uid != geteuid() || gid != getegid()) &&
		    fchownat(pfd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return oci_err_errno(err, errno, "cannot chown device '%s'", path);
		return 0;
	}
	if (!bind && errno != EPERM)
		return oci_err_errno(err, errno, "cannot create device '%s'", path);
	int c = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0000);
	if (c < 0)
		return oci_err_errno(err, errno, "cannot create '%s'", path);
	close(c);
	cleanup_close int target = openat(pfd, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0)
		return oci_err_errno(err, errno, "cannot open '%s'", path);
	if (bind_onto(path, target, 0, false, NULL, err) < 0)
		return oci_err_prefix(err, "device '%s'", path);
	return 0;
}

/* The same at path inside the root, its parent directories made as needed. */
static int make_device(int rootfd, const char *path, mode_t type, unsigned maj, unsigned min,
		       mode_t mode, uid_t uid, gid_t gid, bool bind, oci_error *err)
{
	const char *leaf;
	cleanup_close int pfd = parent_in_root(rootfd, path, &leaf, "device path", err);
	if (pfd < 0)
		return -1;
	return make_device_at(pfd, leaf, path, type, maj, min, mode, uid, gid, bind, err);
}

static int make_devices(const oci_mount_ctx *ctx, int rootfd, oci_error *err)
{
	/* the default ones in /dev, resolved once */
	cleanup_close int dev = oci_safe_mkdir_in_root(rootfd, "/dev", 0755, err);
	if (dev < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		char p[64];
		snprintf(p, sizeof(p), "/dev/%s", default_devices[i].name);
		if (make_device_at(dev, default_devices[i].name, p, S_IFCHR, default_devices[i].maj,
				   default_devices[i].min, 0666, 0, 0, ctx->userns, err) < 0)
			return -1;
	}
	const oci_config_linux *l = &ctx->cfg->linux_;
	for (size_t i = 0; i < l->n_devices; i++) {
		const oci_config_device *d = &l->devices[i];
		const char *path = d->path;
		int64_t maj = d->major, min = d->minor,
			mode = d->has_file_mode ? d->file_mode : 0666, uid = d->uid, gid = d->gid;
		mode_t t;
		if (d->type == 'c' || d->type == 'u')
			t = S_IFCHR;
		else if (d->type == 'b')
			t = S_IFBLK;
		else if (d->type == 'p')
			t = S_IFIFO;
		else
			return oci_err(err, OCI_E_INVALID,
				       "linux.devices[%zu].type: unknown device type '%c'", i,
				       d->type);
		if (make_device(rootfd, path, t, (unsigned)maj, (unsigned)min, (mode_t)mode,
				(uid_t)uid, (gid_t)gid, ctx->userns && t != S_IFIFO, err) < 0)
			return -1;
	}
	return 0;
}

static int setup_dev(const oci_mount_ctx *ctx, int rootfd, oci_error *err)
{
	/* mknod is subject to umask: none while the nodes are made, so each has its mode */
	mode_t old = umask(0);
	int r = make_devices(ctx, rootfd, err);
	umask(old);
	if (r < 0)
		return -1;
	static const struct {
		const char *target, *name;
	} links[] = {
	    {"/proc/self/fd", "fd"},	   {"/proc/self/fd/0", "stdin"},
	    {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
	    {"/proc/kcore", "core"},
	};
	cleanup_close int dev =
	    oci_safe_open(rootfd, "/dev", O_PATH | O_DIRECTORY | O_CLOEXEC, 0, err);
	if (dev < 0)
		return -1;
	/* /dev/core only where the kernel has /proc/kcore (CONFIG_PROC_KCORE), as runc checks:
	 * a dangling link would only mislead. */
	bool kcore = access("/proc/kcore", F_OK) == 0;
	for (size_t k = 0; k < ARRAY_SIZE(links); k++)
		if ((kcore || strcmp(links[k].name, "core")) &&
		    symlinkat(links[k].target, dev, links[k].name) < 0 && errno != EEXIST)
			return oci_err_errno(err, errno, "cannot create /dev/%s", links[k].name);
	/* /dev/ptmx must be the container's devpts multiplexer. */
	struct stat st;
	if (fstatat(dev, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		unlinkat(dev, "ptmx", 0);
		if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
			return oci_err_errno(err, errno, "cannot create /dev/ptmx");
	}
	return 0;
}

static unsigned long rootfs_propagation(const oci_config *cfg)
{
	const char *p = cfg->linux_.rootfs_propagation;
	if (p)
		for (size_t k = 0; k < ARRAY_SIZE(propagation_flags); k++)
			if (!strcmp(p, propagation_flags[k].name))
				return propagation_flags[k].flag;
	return 0;
}

void oci_mount_trees_release(oci_mount_trees *t)
{
	for (size_t i = 0; t->fds && i < t->n; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	free(t->fds);
	t->fds = NULL;
	t->n = 0;
}

static bool is_bind_mount(const oci_config_mount *m, unsigned long flags)
{
	return (m->type && !strcmp(m->type, "bind")) || (flags & MS_BIND);
}

/* A bind (or id-mapped) mount's source as a host path and its options (false: neither). */
static bool bind_source(const oci_config_mount *m, const char *bundle, char **src,
			unsigned long *flags, bool *rbind, oci_mount_rec_attr *rec)
{
	unsigned long prop;
	char data[4096];
	if (oci_mount_parse_options(m->options, flags, &prop, rbind, rec, data, sizeof(data),
				    NULL) < 0 ||
	    !(m->idmapped || is_bind_mount(m, *flags)))
		return false;
	if (readonly_dev(m))
		*flags &= ~(unsigned long)MS_RDONLY;
	const char *source = m->source ? m->source : "";
	*src = source[0] != '/' ? oci_asprintf(NULL, "%s/%s", bundle, source)
				: oci_asprintf(NULL, "%s", source);
	return *src != NULL;
}

/* An id-mapped copy of mount i, made in the helper: a failure is written to errfd (the
 * runtime reports it) and ends the helper. outside, when >= 0, is a copy made before the
 * helper joined the container's namespace: taken only for a non-recursive bind of a source
 * whose submounts the kernel locked there (it refuses to copy the top mount alone). */
static int idmapped_copy(const oci_config *cfg, size_t i, const char *src, unsigned long flags,
			 bool rbind, const oci_mount_rec_attr *rec, int *outside, int errfd)
{
	const oci_config_mount *m = &cfg->mounts[i];
	const oci_config_linux *l = &cfg->linux_;
	bool own = m->n_uid_mappings > 0;
	oci_error e = OCI_ERROR_INIT;
	int tree = -1;
	cleanup_close int idns = oci_userns_open_mapped(
	    own ? m->uid_mappings : l->uid_mappings, own ? m->n_uid_mappings : l->n_uid_mappings,
	    own ? m->gid_mappings : l->gid_mappings, own ? m->n_gid_mappings : l->n_gid_mappings,
	    &e);
	if (idns < 0)
		oci_err_prefix(&e, "mounts[%zu] '%s': id mapping", i, m->destination);
	else if ((tree = clone_tree(src, flags, rbind, rec, idns, m->idmap_recursive, &e)) < 0) {
		/* The kernel will not copy one mount of a tree whose submounts it locked: the
		 * copy made outside serves, which carries none of the locks. That is harmless but
		 * for a read-only host mount, which the container's root could remount writable. */
		bool locked_submounts = e.sys_errno == EINVAL && !rbind && outside && *outside >= 0;
		struct statvfs sv;
		if (locked_submounts && statvfs(src, &sv) == 0 && !(sv.f_flag & ST_RDONLY)) {
			tree = *outside;
			*outside = -1;
			return tree;
		}
		if (locked_submounts)
			oci_err(
			    &e, OCI_E_UNSAFE,
			    "a non-recursive id-mapped bind of '%s', a read-only host mount with "
			    "submounts, cannot stay read-only in the container's user namespace: "
			    "use rbind",
			    src);
		oci_err_prefix(&e, "mounts[%zu] '%s'", i, m->destination);
	}
	if (tree < 0) {
		size_t n = strlen(e.msg);
		_exit(write(errfd, e.msg, n) == (ssize_t)n ? 4 : 3);
	}
	return tree;
}

int oci_mounts_send_sources(pid_t init, int sock, const oci_config *cfg, const char *bundle,
			    oci_error *err)
{
	bool any = false;
	for (size_t i = 0; i < cfg->n_mounts && !any; i++) {
		cleanup_free char *src = NULL;
		unsigned long flags;
		bool rbind;
		oci_mount_rec_attr rec;
		any = bind_source(&cfg->mounts[i], bundle, &src, &flags, &rbind, &rec);
	}
	if (!any)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)init);
	cleanup_close int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return oci_err_errno(err, errno, "cannot open the container's mount namespace");
	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return oci_err_errno(err, errno, "pipe");
	pid_t helper = fork();
	if (helper < 0) {
		close(errpipe[0]);
		close(errpipe[1]);
		return oci_err_errno(err, errno, "cannot fork to open the bind sources");
	}
	if (helper == 0) {
		close(errpipe[0]);
		/* Only the mount namespace is joined: the lookups are the host root's, and
		 * the copies are made from the container's copies of the host's mounts, with
		 * the locks the kernel put on them (a read-only host mount stays so). */
		/* The non-recursive id-mapped copies, made outside too (idmapped_copy). */
		int *outside = calloc(cfg->n_mounts, sizeof(int));
		if (!outside)
			_exit(3);
		for (size_t i = 0; i < cfg->n_mounts; i++) {
			const oci_config_mount *m = &cfg->mounts[i];
			cleanup_free char *src = NULL;
			unsigned long flags;
			bool rbind;
			oci_mount_rec_attr rec;
			outside[i] = -1;
			if (!m->idmapped || !bind_source(m, bundle, &src, &flags, &rbind, &rec) ||
			    rbind)
				continue;
			const oci_config_linux *l = &cfg->linux_;
			bool own = m->n_uid_mappings > 0;
			cleanup_close int idns = oci_userns_open_mapped(
			    own ? m->uid_mappings : l->uid_mappings,
			    own ? m->n_uid_mappings : l->n_uid_mappings,
			    own ? m->gid_mappings : l->gid_mappings,
			    own ? m->n_gid_mappings : l->n_gid_mappings, NULL);
			if (idns >= 0)
				outside[i] = clone_tree(src, flags, false, &rec, idns,
							m->idmap_recursive, NULL);
		}
		if (setns(nsfd, CLONE_NEWNS) < 0)
			_exit(2);
		for (size_t i = 0; i < cfg->n_mounts; i++) {
			cleanup_free char *src = NULL;
			unsigned long flags;
			bool rbind;
			oci_mount_rec_attr rec;
			if (!bind_source(&cfg->mounts[i], bundle, &src, &flags, &rbind, &rec))
				continue;
			/* No copy of a plain bind: the init fails on the source in its own
			 * words. An id-mapped one is made here or nowhere. */
			cleanup_close int tree =
			    cfg->mounts[i].idmapped
				? idmapped_copy(cfg, i, src, flags, rbind, &rec, &outside[i],
						errpipe[1])
				: clone_tree(src, flags, rbind, &rec, -1, false, NULL);
			if (tree < 0)
				continue;
			char idx[32];
			snprintf(idx, sizeof(idx), "%zu", i);
			if (oci_sync_send(sock, OCI_SYNC_MOUNT_TREE, idx, strlen(idx), tree, NULL) <
			    0)
				_exit(3);
		}
		_exit(0);
	}
	close(errpipe[1]);
	char msg[OCI_ERR_MSG_MAX];
	ssize_t n, got = 0;
	while (got < (ssize_t)sizeof(msg) - 1 &&
	       ((n = read(errpipe[0], msg + got, sizeof(msg) - 1 - (size_t)got)) > 0 ||
		(n < 0 && errno == EINTR)))
		got += n > 0 ? n : 0;
	close(errpipe[0]);
	msg[got] = '\0';
	int status;
	while (waitpid(helper, &status, 0) < 0)
		if (errno != EINTR)
			return oci_err_errno(err, errno,
					     "cannot wait for the bind sources' helper");
	bool idmapped = false;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		idmapped |= cfg->mounts[i].idmapped;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
		return oci_err(err, OCI_E_IO, "%s", msg);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		if (idmapped)
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "id-mapped mounts: the runtime cannot join the container's "
				       "mount namespace to make them (it needs CAP_SYS_ADMIN)");
		/* An unprivileged runtime may not enter the namespace: the init's own lookups
		 * are all there is, as they were before. */
		log_debug("bind sources: cannot join the container's mount namespace");
		return 0;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return oci_err(err, OCI_E_INTERNAL,
			       "cannot pass the bind sources to the container's init");
	return 0;
}

int oci_mounts_recv_sources(int sock, const oci_config *cfg, oci_mount_trees *out, char *buf,
			    size_t buflen, oci_error *err)
{
	out->fds = NULL;
	out->n = 0;
	for (;;) {
		int fd = -1;
		int type = oci_sync_recv(sock, buf, buflen, &fd, err);
		if (type < 0)
			return -1;
		if (type == OCI_SYNC_GO) {
			if (fd >= 0)
				close(fd);
			return 0;
		}
		char *end;
		errno = 0;
		unsigned long idx = strtoul(buf, &end, 10);
		if (type != OCI_SYNC_MOUNT_TREE || fd < 0 || errno || end == buf || *end ||
		    idx >= cfg->n_mounts) {
			if (fd >= 0)
				close(fd);
			return oci_err(err, OCI_E_INTERNAL,
				       "unexpected message %d from the runtime before GO", type);
		}
		if (!out->fds) {
			out->fds = malloc(cfg->n_mounts * sizeof(int));
			if (!out->fds) {
				close(fd);
				return oci_err_errno(err, ENOMEM, "mounts");
			}
			out->n = cfg->n_mounts;
			for (size_t i = 0; i < out->n; i++)
				out->fds[i] = -1;
		}
		if (out->fds[idx] >= 0)
			close(out->fds[idx]);
		out->fds[idx] = fd;
	}
}

int oci_mounts_open_idmapped(const oci_config *cfg, const char *bundle, oci_mount_trees *out,
			     oci_error *err)
{
	out->fds = NULL;
	out->n = 0;
	bool any = false;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		any |= cfg->mounts[i].idmapped;
	/* With a user namespace of its own, the copies are made in the container's mount
	 * namespace instead (oci_mounts_send_sources): made here, outside it, they would not
	 * carry the kernel's locks on the host's mounts (a read-only host mount below the
	 * source could be made writable by the container's root). */
	if (!any || new_namespace(cfg, "user"))
		return 0;
	/* A user namespace joined by path: its mount namespace is not the container's yet
	 * when the copies are made, so they would be made here, without the locks. */
	if (oci_config_find_namespace(cfg, "user"))
		for (size_t i = 0; i < cfg->n_mounts; i++)
			if (cfg->mounts[i].idmapped)
				return oci_err(
				    err, OCI_E_UNSUPPORTED,
				    "mounts[%zu] '%s': an id-mapped mount in a user namespace "
				    "joined "
				    "by path is not supported (made outside the container's mount "
				    "namespace, it would lose the kernel's locks on the host's "
				    "mounts): "
				    "give the container a user namespace of its own",
				    i, cfg->mounts[i].destination);
	out->fds = malloc(cfg->n_mounts * sizeof(int));
	if (!out->fds)
		return oci_err_errno(err, ENOMEM, "mounts");
	out->n = cfg->n_mounts;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		out->fds[i] = -1;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const oci_config_mount *m = &cfg->mounts[i];
		if (!m->idmapped)
			continue;
		unsigned long flags, prop;
		bool rbind;
		oci_mount_rec_attr rec;
		char data[4096];
		if (oci_mount_parse_options(m->options, &flags, &prop, &rbind, &rec, data,
					    sizeof(data), err) < 0)
			return oci_err_prefix(err, "mounts[%zu]", i);
		const char *source = m->source ? m->source : "";
		cleanup_free char *src = source[0] != '/'
					     ? oci_asprintf(err, "%s/%s", bundle, source)
					     : oci_asprintf(err, "%s", source);
		if (!src)
			return -1;
		/* The mount's own mappings, or the container's. */
		const oci_config_linux *l = &cfg->linux_;
		bool own = m->n_uid_mappings > 0;
		cleanup_close int userns =
		    oci_userns_open_mapped(own ? m->uid_mappings : l->uid_mappings,
					   own ? m->n_uid_mappings : l->n_uid_mappings,
					   own ? m->gid_mappings : l->gid_mappings,
					   own ? m->n_gid_mappings : l->n_gid_mappings, err);
		if (userns < 0)
			return oci_err_prefix(err, "mounts[%zu] '%s': id mapping", i,
					      m->destination);
		out->fds[i] = clone_tree(src, flags, rbind, &rec, userns, m->idmap_recursive, err);
		if (out->fds[i] < 0)
			return oci_err_prefix(err, "mounts[%zu] '%s'", i, m->destination);
	}
	return 0;
}

int oci_mounts_check_shared_ns(const oci_config *cfg, oci_error *err)
{
	const char *what = NULL;
	const oci_config_linux *l = &cfg->linux_;
	if (cfg->n_mounts)
		what = "mounts";
	else if (l->masked_paths && l->masked_paths[0])
		what = "linux.maskedPaths";
	else if (l->readonly_paths && l->readonly_paths[0])
		what = "linux.readonlyPaths";
	else if (cfg->root_readonly)
		what = "root.readonly";
	else if (l->rootfs_propagation && l->rootfs_propagation[0])
		what = "linux.rootfsPropagation";
	if (!what) {
		/* chroot is no boundary for a process that may chroot again (chroot, chdir ..
		 * out) or mount: it must not hold CAP_SYS_CHROOT or CAP_SYS_ADMIN in any set. */
		static const char *const escape[] = {"CAP_SYS_CHROOT", "CAP_SYS_ADMIN"};
		for (size_t k = 0; k < OCI_CAPS_N; k++)
			for (char **c = cfg->process.caps[k]; c && *c; c++)
				for (size_t e = 0; e < ARRAY_SIZE(escape); e++)
					if (!strcmp(*c, escape[e]))
						return oci_err(
						    err, OCI_E_UNSAFE,
						    "process.capabilities.%s: %s lets the process "
						    "leave a root entered without a mount "
						    "namespace "
						    "of its own; drop it or add {\"type\": "
						    "\"mount\"} "
						    "to linux.namespaces",
						    oci_config_capset_names[k], escape[e]);
		return 0;
	}
	return oci_err(err, OCI_E_UNSAFE,
		       "%s: needs a mount namespace of the container's own (add {\"type\": "
		       "\"mount\"} to linux.namespaces): without one it would change the host's "
		       "mounts",
		       what);
}

int oci_mounts_prepare(const oci_mount_ctx *ctx, oci_error *err)
{
	if (ctx->shared_mountns)
		return 0;
	unsigned long prop = rootfs_propagation(ctx->cfg);
	/* Nothing done here may propagate back to the host. Only private and slave are taken
	 * as they are: a shared tree would leak, and an unbindable one could not give the
	 * rootfs bind below (EINVAL); those two go on the new root after pivot_root (as runc's
	 * order does, oci_mounts_finalize). */
	unsigned long first = MS_SLAVE | MS_REC;
	if (prop & (MS_PRIVATE | MS_SLAVE))
		first = prop | MS_REC;
	if (mount(NULL, "/", NULL, first, NULL) < 0)
		return oci_err_errno(err, errno, "cannot make / private to the container");
	if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return oci_err_errno(err, errno, "cannot bind the rootfs '%s'", ctx->rootfs);
	cleanup_close int rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return oci_err_errno(err, errno, "cannot open the rootfs '%s'", ctx->rootfs);
	bool dev_is_tmpfs = false;
	for (size_t i = 0; i < ctx->cfg->n_mounts; i++) {
		const oci_config_mount *m = &ctx->cfg->mounts[i];
		if (do_mount(ctx, rootfd, m, i, err) < 0)
			return -1;
		const char *d = m->destination, *t = m->type;
		if (d && !strcmp(d, "/dev"))
			dev_is_tmpfs = !(t && !strcmp(t, "bind"));
	}
	if (dev_is_tmpfs && setup_dev(ctx, rootfd, err) < 0)
		return oci_err_prefix(err, "/dev");
	/* The copies are attached or unused: none may reach the container's process. */
	for (size_t i = 0; i < ctx->cfg->n_mounts; i++) {
		if (ctx->trees && ctx->trees[i] >= 0)
			close(ctx->trees[i]);
		if (ctx->sources && ctx->sources[i] >= 0)
			close(ctx->sources[i]);
	}
	return 0;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo. */
static void unescape_octal(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* --no-pivot keeps the old root in the container's mount namespace, only outside its chroot.
 * The kernel lets a user namespace mount a new procfs or sysfs when one of the same type is
 * already fully visible in the mount namespace: the host's /proc out there would do, and a
 * fresh procfs shows everything maskedPaths hide. So, as runc does, every full procfs and
 * sysfs mount outside the rootfs is unmounted, or covered with a tmpfs when it is locked. */
static int hide_outer_pseudofs(const char *rootfs, oci_error *err)
{
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return oci_err_errno(err, errno, "cannot read /proc/self/mountinfo");
	char **points = NULL;
	size_t n = 0, cap = 0;
	char *line = NULL;
	size_t linecap = 0;
	size_t rl = strlen(rootfs);
	while (getline(&line, &linecap, f) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *dash = strstr(line, " - ");
		if (!dash)
			continue;
		*dash = '\0';
		char *save = NULL;
		char *fields[5];
		int k = 0;
		for (char *t = strtok_r(line, " ", &save); t && k < 5;
		     t = strtok_r(NULL, " ", &save))
			fields[k++] = t;
		char *fstype = strtok_r(dash + 3, " ", &save);
		if (k < 5 || !fstype || strcmp(fields[3], "/") ||
		    (strcmp(fstype, "proc") && strcmp(fstype, "sysfs")))
			continue;
		unescape_octal(fields[4]);
		const char *mp = fields[4];
		if (!strncmp(mp, rootfs, rl) && (mp[rl] == '/' || mp[rl] == '\0'))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			char **nv = realloc(points, cap * sizeof(*points));
			if (!nv) {
				free(line);
				free_strv(points, n);
				return oci_err(err, OCI_E_INTERNAL, "out of memory");
			}
			points = nv;
		}
		if (!(points[n] = strdup(mp))) {
			free(line);
			free_strv(points, n);
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
		}
		n++;
	}
	free(line);
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		const char *p = points[i];
		/* Nothing unmounted here may propagate to the host. */
		if (mount(NULL, p, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue; /* below something already unmounted */
			ret = oci_err_errno(err, errno, "--no-pivot: cannot make '%s' a slave", p);
			break;
		}
		if (umount2(p, MNT_DETACH) == 0)
			continue;
		if (errno != EINVAL && errno != EPERM) {
			ret = oci_err_errno(err, errno, "--no-pivot: cannot unmount '%s'", p);
			break;
		}
		/* Locked into a user namespace's mount namespace: cover it instead. */
		if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
			  "size=0k") < 0)
			ret = oci_err_errno(err, errno, "--no-pivot: cannot cover '%s'", p);
	}
	free_strv(points, n);
	return ret;
}

int oci_mounts_pivot(const oci_mount_ctx *ctx, bool no_pivot, oci_error *err)
{
	const char *rootfs = ctx->rootfs;
	if (ctx->shared_mountns) {
		/* As runc and crun: the rootfs is only entered; nothing to pivot in a namespace
		 * that is not ours. */
		if (chroot(rootfs) < 0)
			return oci_err_errno(err, errno, "cannot chroot to '%s'", rootfs);
		if (chdir("/") < 0)
			return oci_err_errno(err, errno, "cannot chdir to /");
		return 0;
	}
	if (no_pivot) {
		if (hide_outer_pseudofs(rootfs, err) < 0)
			return -1;
		if (chdir(rootfs) < 0)
			return oci_err_errno(err, errno, "cannot enter the rootfs");
		if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
			return oci_err_errno(err, errno, "cannot move the rootfs to /");
		if (chroot(".") < 0)
			return oci_err_errno(err, errno, "cannot chroot");
		if (chdir("/") < 0)
			return oci_err_errno(err, errno, "cannot chdir to /");
		return 0;
	}
	cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	cleanup_close int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0 || newroot < 0)
		return oci_err_errno(err, errno, "cannot open the roots for pivot_root");
	if (fchdir(newroot) < 0)
		return oci_err_errno(err, errno, "cannot enter the rootfs");
	/* pivot_root(".", ".") stacks the old root under the new one; unmount it right away. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return oci_err_errno(err, errno, "pivot_root");
	if (fchdir(oldroot) < 0)
		return oci_err_errno(err, errno, "cannot enter the old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return oci_err_errno(err, errno, "cannot make the old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		return oci_err_errno(err, errno, "cannot unmount the old root");
	if (chdir("/") < 0)
		return oci_err_errno(err, errno, "cannot chdir to /");
	return 0;
}

static int readonly_path(const char *p, oci_error *err)
{
	cleanup_close int tree =
	    sys_open_tree(AT_FDCWD, p, OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC);
	if (tree < 0) {
		if (errno == ENOENT)
			return 0;
		return oci_err_errno(err, errno, "readonlyPaths: cannot clone '%s'", p);
	}
	struct oci_mount_attr attr = {.attr_set = OCI_MOUNT_ATTR_RDONLY};
	if (sys_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
		return oci_err_errno(err, errno, "readonlyPaths: cannot make '%s' read-only", p);
	if (sys_move_mount(tree, "", AT_FDCWD, p, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return oci_err_errno(err, errno, "readonlyPaths: cannot attach '%s'", p);
	return 0;
}

/* Mask p with the null device held in nullfd (verified once, bound by fd: a /dev/null
 * swapped for a symlink meanwhile cannot put a procfs file there, CVE-2025-31133), on an
 * O_NOFOLLOW fd of p (a symlink at p is covered itself, never followed). */
static int mask_path(const char *p, int nullfd, oci_error *err)
{
	struct stat st;
	cleanup_close int target = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0) {
		if (errno == ENOENT)
			return 0;
		return oci_err_errno(err, errno, "maskedPaths: '%s'", p);
	}
	if (fstat(target, &st) < 0)
		return oci_err_errno(err, errno, "maskedPaths: '%s'", p);
	char tpath[64];
	fd_path(tpath, sizeof(tpath), target);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", tpath, "tmpfs", MS_RDONLY, "size=0k") < 0)
			return oci_err_errno(err, errno, "maskedPaths: cannot mask '%s'", p);
		return 0;
	}
	cleanup_close int tree =
	    sys_open_tree(nullfd, "", OPEN_TREE_CLONE | AT_EMPTY_PATH | O_CLOEXEC);
	if (tree < 0 || sys_move_mount(tree, "", target, "",
				       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return oci_err_errno(err, errno, "maskedPaths: cannot mask '%s'", p);
	return 0;
}

int oci_mounts_finalize(const oci_mount_ctx *ctx, oci_error *err)
{
	const oci_config *cfg = ctx->cfg;
	if (ctx->shared_mountns)
		return 0;
	for (char *const *p = cfg->linux_.readonly_paths; p && *p; p++)
		if (readonly_path(*p, err) < 0)
			return -1;
	char *const *masked = cfg->linux_.masked_paths;
	cleanup_close int nullfd = -1;
	if (masked && masked[0]) {
		/* Bind-mounting anything else than the null device would expose it instead. */
		struct stat st;
		nullfd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nullfd < 0 || fstat(nullfd, &st) < 0 || !S_ISCHR(st.st_mode) ||
		    st.st_rdev != makedev(1, 3))
			return oci_err(
			    err, OCI_E_UNSAFE,
			    "maskedPaths: /dev/null in the container is not the null device (1:3)");
	}
	for (char *const *p = masked; p && *p; p++)
		if (mask_path(*p, nullfd, err) < 0)
			return -1;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		struct oci_mount_attr attr = {.attr_set = OCI_MOUNT_ATTR_RDONLY};
		if (readonly_dev(&cfg->mounts[i]) &&
		    sys_mount_setattr(AT_FDCWD, "/dev", 0, &attr) < 0)
			return oci_err_errno(err, errno, "cannot make /dev read-only");
	}
	if (cfg->root_readonly) {
		struct oci_mount_attr attr = {.attr_set = OCI_MOUNT_ATTR_RDONLY};
		if (sys_mount_setattr(AT_FDCWD, "/", 0, &attr) < 0)
			return oci_err_errno(err, errno, "cannot make the root read-only");
	}
	unsigned long prop = rootfs_propagation(cfg);
	if (prop && mount(NULL, "/", NULL, prop, NULL) < 0)
		return oci_err_errno(err, errno, "cannot set rootfsPropagation");
	return 0;
}

int oci_mounts_console(const oci_mount_ctx *ctx, int slave, oci_error *err)
{
	if (ctx->shared_mountns)
		return 0;
	/* Bind the pty we hold, never a path: /dev/pts/N may name something else than our pty
	 * (a symlink to a procfs file in a /dev the container shares, CVE-2025-52565). */
	struct stat st;
	if (fstat(slave, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) < 136 ||
	    major(st.st_rdev) > 143)
		return oci_err(
		    err, OCI_E_UNSAFE,
		    "the terminal is not a pty slave: refusing to bind it over /dev/console");
	int fd = open("/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST)
		return oci_err_errno(err, errno, "cannot create /dev/console");
	if (fd >= 0)
		close(fd);
	/* ... and onto the file found there, not through a symlink swapped in. */
	cleanup_close int target = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0 || fstat(target, &st) < 0)
		return oci_err_errno(err, errno, "cannot open /dev/console");
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		return oci_err(
		    err, OCI_E_UNSAFE,
		    "/dev/console is not a file or a device: refusing to bind the terminal there");
	cleanup_close int tree =
	    sys_open_tree(slave, "", OPEN_TREE_CLONE | AT_EMPTY_PATH | O_CLOEXEC);
	if (tree < 0 || sys_move_mount(tree, "", target, "",
				       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return oci_err_errno(err, errno, "cannot bind the terminal over /dev/console");
	return 0;
}
