/* A container's cgroups behind one manager interface. The manager knows the host's cgroup
 * hierarchies and picks a driver (an ops table): v1.c (v1 controllers, with the unified tree
 * of a hybrid host beside them), v2.c (the pure unified tree) or systemd.c (--systemd-cgroup:
 * "slice:prefix:name" paths). A driver creates the container's cgroup and returns a handle
 * (struct oci_cgroup: the driver and one directory per hierarchy); everything later —
 * enter, resources, update, freeze, pids, kill, destroy — goes through the handle.
 *
 * Where things go: a cgroup v1 resource writer in v1.c, a v2 one in v2.c (parsing of the new
 * linux.resources key in resources.c); a new operation is an ops member implemented by each
 * driver; how paths are planned and checked is in path.c; delete's handling of untrusted
 * cgroup lists in untrusted.c. The handle is serialised (state.json "cgroups", cgroups.json)
 * only by run/state.c. */
#ifndef OCI_RUN_CGROUP_CGROUP_H
#define OCI_RUN_CGROUP_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/spec_resources.h"
#include "run/cgroup/devices_bpf.h"

typedef struct oci_cgroup oci_cgroup;
struct oci_config_kv;
struct oci_sd_props;
typedef struct oci_cgroup_manager oci_cgroup_manager;
typedef struct oci_cgroup_stats oci_cgroup_stats; /* run/cgroup/stats.h */

typedef struct oci_cgroup_ops {
	const char *name; /* "v1", "v2", "systemd" */
	/* The container's cgroup path relative to each hierarchy ("/a/b"), from
	 * linux.cgroupsPath (may be NULL or empty) and the id; caller frees. */
	char *(*plan)(const oci_cgroup_manager *m, const char *cgroups_path, const char *id,
		      oci_error *err);
	/* mkdir rel in every hierarchy the caller may write; fills cg->dirs. res (may be
	 * NULL) is only checked: an unprivileged caller's resources must find their
	 * controller in a cgroup it could create. */
	int (*create)(const oci_cgroup_manager *m, const char *rel, const oci_resources *res,
		      oci_cgroup *cg, oci_error *err);
	/* Move pid into the container's cgroup. */
	int (*enter)(const oci_cgroup *cg, pid_t pid, oci_error *err);
	/* Move the calling process, single-threaded, into the container's cgroup, the unified
	 * directory dirs[unified] left out when it was cloned there (CLONE_INTO_CGROUP);
	 * unified is -1 without one. NULL: the driver cannot (enter is used). */
	int (*enter_self)(const oci_cgroup *cg, int unified, bool cloned_into, oci_error *err);
	/* Write res: at create (create=true) the devices list always (runc's defaults
	 * appended); at update only what res asks. */
	int (*apply)(const oci_cgroup *cg, const oci_resources *res, bool create, oci_error *err);
	/* Freeze (waiting for the kernel) or thaw; freezing with no freezer is
	 * OCI_E_UNSUPPORTED. */
	int (*freeze)(const oci_cgroup *cg, bool frozen, oci_error *err);
	bool (*is_frozen)(const oci_cgroup *cg);
	/* The first directory frozen or freezing, by itself or through an ancestor, or NULL. */
	const char *(*frozen_dir)(const oci_cgroup *cg);
	int (*pids)(const oci_cgroup *cg, pid_t **out, size_t *n, oci_error *err);
	/* Thaw, kill every process of the subtrees and remove them (see untrusted.c). */
	int (*kill)(const oci_cgroup *cg, oci_error *err);
	/* Remove the directories (waiting briefly for the last processes to leave). */
	int (*destroy)(const oci_cgroup *cg, oci_error *err);
	/* Usage counters of every controller the container has (stats_v1.c, stats_v2.c). */
	int (*stats)(const oci_cgroup *cg, oci_cgroup_stats *s, oci_error *err);
	/* How many OOM kills the container's memory cgroup has seen (0 without one). */
	int (*oom_kills)(const oci_cgroup *cg, uint64_t *n, oci_error *err);
} oci_cgroup_ops;

extern const oci_cgroup_ops oci_cgroup_v1_ops, oci_cgroup_v2_ops, oci_cgroup_systemd_ops;

/* One cgroup hierarchy mounted on the host. */
typedef struct oci_cgroup_mount {
	char *path;  /* mount point, e.g. /sys/fs/cgroup/memory */
	bool v2;     /* cgroup2 (the unified tree) */
	char *super; /* v1: its super options, which name its controllers */
} oci_cgroup_mount;

struct oci_cgroup_manager {
	const oci_cgroup_ops *ops; /* the driver */
	char *base;		   /* only hierarchies mounted at or below it are used */
	oci_cgroup_mount *mounts;
	size_t n_mounts;
	/* the systemd driver: the unit's extra properties (oci_cgroup_systemd_annotations) */
	struct oci_sd_props *unit_props;
};

/* The handle of a container's cgroups. */
struct oci_cgroup {
	const oci_cgroup_ops *ops;
	char **dirs; /* one directory per hierarchy (v1 ones and/or the unified one) */
	size_t n;
	bool fresh; /* every directory was made by this create: nothing is in them yet */
	/* create's apply leaves out a hybrid host's eBPF backup of the v1 device list: the
	 * caller attaches it with oci_cgroup_attach_device_backup (create does, while the init,
	 * already under the v1 list, builds its mounts) */
	bool device_backup_later;
};

/* The host's manager: hierarchies of /proc/self/mountinfo below /sys/fs/cgroup; the systemd
 * driver with systemd (--systemd-cgroup), else v1 when any v1 hierarchy is mounted, else v2. */
int oci_cgroup_manager_init(oci_cgroup_manager *m, bool systemd, oci_error *err);
/* The same from another mount table and base (unit tests use a fake tree). */
int oci_cgroup_manager_init_at(oci_cgroup_manager *m, const char *mountinfo, const char *base,
			       bool systemd, oci_error *err);
void oci_cgroup_manager_release(oci_cgroup_manager *m);
/* The systemd driver: the config's org.systemd.property.* annotations checked and kept for the
 * unit create starts (one line naming a bad one); other drivers have no unit (runc ignores
 * them too). a is config.json's annotations (common/config.h's oci_config_kv). */
int oci_cgroup_systemd_annotations(oci_cgroup_manager *m, const struct oci_config_kv *a, size_t n,
				   oci_error *err);

/* Plan and create the container's cgroup (res: see ops.create). */
oci_cgroup *oci_cgroup_create(const oci_cgroup_manager *m, const char *cgroups_path, const char *id,
			      const oci_resources *res, oci_error *err);
/* The same create in two steps, so that the init can be cloned into its unified directory
 * (CLONE_INTO_CGROUP) while the runtime makes the other hierarchies' directories and writes
 * the limits: first the unified directory alone, a handle of that one directory; NULL with
 * err set on a failure, NULL with err untouched when this manager cannot (a driver whose init
 * cannot join by itself, no or several cgroup2 hierarchies, an unprivileged caller). */
oci_cgroup *oci_cgroup_create_unified(const oci_cgroup_manager *m, const char *cgroups_path,
				      const char *id, oci_error *err);
/* Then the other hierarchies (the same cgroups_path, id and res): the whole handle, as
 * oci_cgroup_create returns it, first's directory in it (first stays the caller's). */
oci_cgroup *oci_cgroup_create_rest(const oci_cgroup_manager *m, const char *cgroups_path,
				   const char *id, const oci_resources *res,
				   const oci_cgroup *first, oci_error *err);
/* A handle for directories recorded earlier (state.c reads them); the driver is told from
 * the directories themselves. NULL entries are kept (untrusted.c refuses them). */
oci_cgroup *oci_cgroup_from_dirs(const char *const *dirs, size_t n, oci_error *err);
void oci_cgroup_free(oci_cgroup *cg);

int oci_cgroup_enter(const oci_cgroup *cg, pid_t pid, oci_error *err);
/* exec's way into a container whose own cgroup2 directory takes no process: cgroup v2's rule
 * once a cgroup enabled domain controllers for its children, as systemd in a container does
 * after moving its processes into sub-cgroups. pid goes where the container's init is (init,
 * checked by its start time and pidfd inode afterwards), as runc's exec does, if that is
 * strictly below cg's directory: the init chose it, so it is opened below that directory,
 * crossing no symlink or mount. Returns the directory joined (caller frees), or NULL. */
char *oci_cgroup_enter_init_cgroup(const oci_cgroup *cg, pid_t pid, pid_t init, uint64_t start,
				   uint64_t ino, oci_error *err);
/* dir (one that oci_cgroup_enter_init_cgroup returned) is frozen. */
bool oci_cgroup_dir_frozen(const char *dir);
/* A new init may join its cgroups itself (oci_cgroup_enter_self) instead of the runtime
 * writing its pid (oci_cgroup_enter): a write of a pid to cgroup.procs takes the kernel's
 * global threadgroup lock for writing, which waits for an RCU grace period (1 to 20 ms
 * measured, the longest wait of a create); a task moving itself alone ("0" to a v1
 * hierarchy's tasks file) and a clone into a cgroup2 directory (CLONE_INTO_CGROUP) take it
 * only for reading. False for the driver that cannot (systemd). */
bool oci_cgroup_can_enter_self(const oci_cgroup *cg);
/* For clone3's CLONE_INTO_CGROUP: an fd of the handle's unified (cgroup2) directory, with
 * its index in *unified; -1 (and *unified -1) when the handle has none or it cannot be
 * opened. */
int oci_cgroup_open_unified(const oci_cgroup *cg, int *unified);
/* The calling process (one thread: a fork's child) into every directory of cg; cloned_into:
 * the clone put it into dirs[unified] already. */
int oci_cgroup_enter_self(const oci_cgroup *cg, int unified, bool cloned_into, oci_error *err);
/* Resources at create: everything, the default devices included. */
int oci_cgroup_apply(const oci_cgroup *cg, const oci_resources *res, oci_error *err);
/* What oci_cgroup_apply left out with cg->device_backup_later: on a hybrid host whose v1
 * devices hierarchy holds the list, the same rules as an eBPF filter on the unified directory
 * (a backup: where eBPF is not allowed to us, the v1 list alone still holds, so a failure is
 * ignored, as it was at create). Nothing to do for any other handle. */
void oci_cgroup_attach_device_backup(const oci_cgroup *cg, const oci_resources *res);
/* Resources at update: only what res asks. */
int oci_cgroup_update(const oci_cgroup *cg, const oci_resources *res, oci_error *err);
int oci_cgroup_freeze(const oci_cgroup *cg, bool frozen, oci_error *err);
/* Whether the container's cgroups are frozen (its status is then "paused"). */
bool oci_cgroup_is_frozen(const oci_cgroup *cg);
/* A process placed in a frozen cgroup would stop at once: create refuses such a cgroup. */
const char *oci_cgroup_frozen_dir(const oci_cgroup *cg);
/* pid, sent SIGKILL while cg was frozen, moved out of each of cg's v1 freezer cgroups that
 * hold it into the nearest thawed one above: cgroup v1's freezer holds a killed task until
 * thawed (v2's lets a fatal signal through), and a container that froze itself would hold a
 * runtime's child there for ever. Best effort: what cannot be moved stays. */
void oci_cgroup_release_killed(const oci_cgroup *cg, pid_t pid);
/* Pids in the container's cgroup and the cgroups below it (of the first hierarchy that lists
 * any); caller frees. */
int oci_cgroup_pids(const oci_cgroup *cg, pid_t **out, size_t *n, oci_error *err);
int oci_cgroup_kill(const oci_cgroup *cg, oci_error *err);
/* SIGKILL to every process of cg's unified (cgroup2) directory and the cgroups below it, by
 * the kernel at once (cgroup.kill, Linux 5.14): a process forking meanwhile cannot leave a
 * child behind, as it can between a read of cgroup.procs and the signals sent to the pids
 * read. 1 when written, 0 when there is no such file to write (no unified directory, an
 * older kernel, a cgroup not delegated to the caller), -1 on another failure. On a hybrid host
 * the unified tree holds the container's processes too (create puts them in every hierarchy).
 * It signals whatever is there, unchecked: a caller that does not trust cg checks first that
 * it is a container's (untrusted.c). */
int oci_cgroup_kill_atomic(const oci_cgroup *cg, oci_error *err);

int oci_cgroup_destroy(const oci_cgroup *cg, oci_error *err);

/* For the container's mount of type "cgroup" (run/mounts.c) on a pure cgroup v2 host: mount
 * cgroup2 on target (an O_PATH fd of the directory), rooted at the container's cgroup by its cgroup
 * namespace (new_ns), or bind the caller's own cgroup directory; read-only when flags has
 * MS_RDONLY. Returns 1, doing nothing, when /sys/fs/cgroup is not cgroup2 (v1 or hybrid). */
int oci_cgroup_mount_unified(int target, unsigned long flags, bool new_ns, oci_error *err);

/* For delete, which must not trust the state it reads (state.json or cgroups.json may be
 * corrupt or tampered with); see untrusted.c. */
/* The handle the container would have without linux.cgroupsPath (/oci-run/ID). */
oci_cgroup *oci_cgroup_default(const char *id, oci_error *err);
/* cg (untrusted) checked: every directory a cgroup directory strictly below a cgroup
 * hierarchy mounted under /sys/fs/cgroup, the same relative path in each, no "." or ".."
 * component. Returns a new handle of the directories that still exist; NULL with err when
 * any fails. */
oci_cgroup *oci_cgroup_check(const oci_cgroup *cg, oci_error *err);
/* pid lives in the caller's mount namespace (the host's, for the runtime) with the caller's
 * root: a container without a mount namespace of its own is in ours, chrooted to its rootfs. */
bool oci_pid_in_own_mntns(pid_t pid);
#endif
