/* Parts shared by the cgroup drivers of run/cgroup/ (not for the rest of the runtime): cgroup
 * file access, the filesystem operations every driver uses the same way, path planning, the
 * device rules, and the v2 writers that v1.c also uses for the unified tree of a hybrid
 * host. */
#ifndef OCI_RUN_CGROUP_INTERNAL_H
#define OCI_RUN_CGROUP_INTERNAL_H

#include "run/cgroup/cgroup.h"

/* dir/file into buf; -1 when the file is missing or unreadable. */
int oci_cgroup_read(const char *dir, const char *file, char *buf, size_t len);
/* Write val to dir/file; the error names linux.resources.<what>. */
int oci_cgroup_write(const char *dir, const char *file, const char *val, const char *what,
		     oci_error *err);
/* The same through *fd, opened at the first write (-1) and kept for the next ones: a list
 * (devices.allow) takes one line per write; the caller closes *fd. */
int oci_cgroup_write_kept(const char *dir, const char *file, int *fd, const char *val,
			  const char *what, oci_error *err);
/* While set, oci_cgroup_write writes nothing (and device filters are not attached): the
 * writers run once this way to check a whole request before anything is written. */
extern bool oci_cgroup_dry_run;
/* apply (a driver's writers) run dry, then, when that passed, for real: an update refused
 * half way would leave some limits changed. */
int oci_cgroup_apply_checked(const oci_cgroup *cg, const oci_resources *res, bool create,
			     int (*apply)(const oci_cgroup *, const oci_resources *, bool,
					  oci_error *),
			     oci_error *err);
int oci_cgroup_write_int(const char *dir, const char *file, int64_t v, const char *what,
			 oci_error *err);
bool oci_cgroup_has(const char *dir, const char *file);
/* word is one of the space-separated words of list (a cgroup.controllers line). */
bool oci_word_in(const char *list, const char *word);
/* "linux.resources.<what>: cannot be applied: no <ctrl> cgroup controller ..." */
int oci_cgroup_missing(const char *what, const char *ctrl, oci_error *err);

/* path.c: linux.cgroupsPath as a path below each hierarchy ("/x" for "x" or "/x"; without
 * one, /oci-run/ID). */
char *oci_cgroup_plan_path(const oci_cgroup_manager *m, const char *cgroups_path, const char *id,
			   oci_error *err);
/* path.c: --systemd-cgroup's "slice:prefix:name" as the path systemd would give it. */
char *oci_cgroup_plan_systemd(const char *cgroups_path, oci_error *err);

/* manager.c: the operations that are the same for every driver. init_level, when set, is
 * called for each new level made in a v1 hierarchy (cpuset needs its cpus/mems copied). */
int oci_cgroup_fs_create(const oci_cgroup_manager *m, const char *rel, const oci_resources *res,
			 oci_cgroup *cg,
			 void (*init_level)(const oci_cgroup_mount *mnt, const char *dir),
			 oci_error *err);
int oci_cgroup_fs_enter(const oci_cgroup *cg, pid_t pid, oci_error *err);
/* enter_self of the drivers working on the cgroup filesystem (cgroup.h says why). */
int oci_cgroup_fs_enter_self(const oci_cgroup *cg, int unified, bool cloned_into, oci_error *err);
/* Append the pids dir's cgroup.procs lists to *pids (*n of them, room for *cap). -1 when the
 * list cannot be read (a cgroup that is gone lists none: 0). */
int oci_cgroup_read_procs(const char *dir, pid_t **pids, size_t *n, size_t *cap, oci_error *err);
/* The processes of the container's cgroup and of every cgroup below it. */
int oci_cgroup_fs_pids(const oci_cgroup *cg, pid_t **out, size_t *n, oci_error *err);
/* Remove the directories and every cgroup below them, children first. */
int oci_cgroup_fs_destroy(const oci_cgroup *cg, oci_error *err);
/* Every directory of the subtrees of dirs, parents before children (walked with a heap list,
 * not recursion: the depth is whatever is on disk). Each is held as its name and its parent's
 * index, never as a full path: a container chooses the depth of its sub-cgroups, and full
 * paths would cost the runtime memory growing with the square of it (2000 levels of 200-byte
 * names were 400 MB). */
typedef struct oci_cgroup_tree {
	size_t n;
	size_t *parent; /* SIZE_MAX: one of dirs */
	char **name;	/* a directory of dirs itself for those */
	char *path;	/* oci_cgroup_tree_path's buffer */
	size_t path_cap;
	int *fd;		/* an O_PATH fd of each entry, -1 when not held */
	size_t held[8], n_held; /* the entries whose fd is held, a ring */
} oci_cgroup_tree;
/* -1 when out of memory (never a shorter list). */
int oci_cgroup_subtree(char *const *dirs, size_t n_dirs, oci_cgroup_tree *t);
/* The path of entry k, valid until the next call; NULL when out of memory. */
const char *oci_cgroup_tree_path(oci_cgroup_tree *t, size_t k);
/* An O_PATH directory fd of entry k (the caller's to close), opened name by name from the
 * nearest entry above it whose fd is held (the last 8 opened): a chain is not walked again
 * from its top for each of its levels. -1 with errno. */
int oci_cgroup_tree_open(oci_cgroup_tree *t, size_t k);
/* oci_cgroup_read_procs and oci_cgroup_rmdir of entry k. */
int oci_cgroup_tree_read_procs(oci_cgroup_tree *t, size_t k, pid_t **pids, size_t *n, size_t *cap,
			       oci_error *err);
int oci_cgroup_tree_rmdir(oci_cgroup_tree *t, size_t k, oci_error *err);
void oci_cgroup_tree_release(oci_cgroup_tree *t);
/* rmdir(dir), retried for about a second while the kernel still counts a leaving process
 * (EBUSY); a missing directory is success. */
int oci_cgroup_rmdir(const char *dir, oci_error *err);
/* untrusted.c */
int oci_cgroup_kill_tree(const oci_cgroup *cg, oci_error *err);

/* devices.c: the rules to enforce: the config's, then (at create) runc's default devices.
 * Returns 1 (and no rules) when nothing is to be written: at update without a devices list,
 * or for an unprivileged caller (device nodes made in a user namespace cannot be opened
 * anyway, and the devices cgroup is not its to write; runc ignores these errors too). */
int oci_cgroup_device_rules(const oci_resources *res, bool create, oci_device_rule **rules,
			    size_t *n, oci_error *err);

/* v1.c: the v1 directory of cg holding the file probe (e.g. "memory.limit_in_bytes"), or
 * NULL. */
const char *oci_cgroup_v1_dir(const oci_cgroup *cg, const char *probe);
/* v2.c: the unified directory of cg, or NULL. */
const char *oci_cgroup_v2_unified(const oci_cgroup *cg);
/* v2.c writers, one per linux.resources group, writing into cg's unified directory (the
 * controller enabled first) or failing as oci_cgroup_missing. */
int oci_cgroup_v2_memory(const oci_cgroup *cg, const oci_resources *res, oci_error *err);
int oci_cgroup_v2_pids(const oci_cgroup *cg, const char *val, oci_error *err);
int oci_cgroup_v2_cpuset(const oci_cgroup *cg, const oci_resources *res, oci_error *err);
int oci_cgroup_v2_cpu(const oci_cgroup *cg, const oci_resources *res, oci_error *err);
int oci_cgroup_v2_blkio(const oci_cgroup *cg, const oci_resources *res, oci_error *err);
/* 1 when the unified tree has no hugetlb controller for that page size (the caller reports
 * it), 0 when written. */
int oci_cgroup_v2_hugepage(const oci_cgroup *cg, const oci_res_hugepage *hp, oci_error *err);
/* The device filter of rules (eBPF); at update it cannot be changed. */
int oci_cgroup_v2_devices(const oci_cgroup *cg, const oci_device_rule *rules, size_t n, bool create,
			  oci_error *err);
int oci_cgroup_v2_unified_keys(const oci_cgroup *cg, const oci_resources *res, oci_error *err);
/* Wait up to wait_ms for frozen(dir) after a freeze was written; false when it never was. */
bool oci_cgroup_wait_frozen(const char *dir, bool (*frozen)(const char *dir), unsigned wait_ms);
/* After a freeze of dir that did not happen: write thawed_val to file when this call froze it
 * (froze), and say so for the error: "", " (thawed again)" or " (and it could not be thawed
 * again)". */
const char *oci_cgroup_thaw_again(const char *dir, const char *file, const char *thawed_val,
				  bool froze);
/* What a freeze did to each directory of a cgroup, to undo it when a later one fails. */
enum oci_cgroup_froze { OCI_FROZE_NONE = 0, OCI_FROZE_V1, OCI_FROZE_V2 };
/* Thaw again the directories before i that a failed freeze froze (froze[]: which freezer),
 * v1 freezers and unified directories alike: a half-frozen container is worse than a pause
 * that failed. */
void oci_cgroup_thaw_back(const oci_cgroup *cg, const unsigned char *froze, size_t i);
/* v2.c: freezing one unified directory. Freezing waits up to wait_ms for cgroup.events to
 * say "frozen 1"; when it does not, the directory is thawed again (if this call froze it) and
 * the error says the freeze did not happen. Returns 1 when this call froze a directory that
 * was thawed, 0 when it changed nothing to undo (a thaw; frozen already), -1 on error. */
#define OCI_CGROUP_FREEZE_WAIT_MS 5000u
int oci_cgroup_v2_freeze_dir(const char *dir, bool frozen, unsigned wait_ms, oci_error *err);
/* v1.c: the same for one v1 freezer directory: freezing waits up to wait_ms for freezer.state
 * to say FROZEN, else thaws it again when this call froze it (it was THAWED) and fails. The
 * same returns. */
int oci_cgroup_v1_freeze_dir(const char *dir, bool frozen, unsigned wait_ms, oci_error *err);
bool oci_cgroup_v2_dir_frozen(const char *dir);
#endif
