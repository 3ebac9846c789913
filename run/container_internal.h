/* What the lifecycle files (run/container*.c) share and nothing else includes: the state
 * JSON that hooks read, start's fifo handshake, tearing a container down, and the phases of
 * create that restore shares (the bundle, the state directory with the cgroups). */
#ifndef OCI_RUN_CONTAINER_INTERNAL_H
#define OCI_RUN_CONTAINER_INTERNAL_H

#include <stdbool.h>

#include <jansson.h>

#include "common/config.h"
#include "common/error.h"
#include "run/cgroup/cgroup.h"
#include "run/container.h"
#include "run/state.h"

/* The runtime-spec state hooks receive on stdin, with the given status. NULL on failure. */
char *oci_container_hook_state(const oci_state *st, const char *status);
/* Start a created container whose directory dirfd is locked: release the init through
 * exec.fifo, then run the poststart hooks of st. */
int oci_container_start_locked(int dirfd, oci_state *st, oci_error *err);
/* start_locked without the status check, for a create that knows its init waits. */
int oci_container_start_created(int dirfd, oci_state *st, oci_error *err);
/* The init has its go on exec.fifo, of which fifo is a write end: the fifo goes, and the
 * poststart hooks run once the container process started (the init's exec closed the read
 * side). A failing hook kills the container (its state stays) and is the error. */
int oci_container_started(int dirfd, oci_state *st, int fifo, oci_error *err);
/* Send sig to the processes of cg, each through a pidfd confirmed by a second read of the
 * list (*found: how many the first read listed). -1 when a list cannot be read. */
int oci_container_signal_cgroup(const oci_cgroup *cg, int sig, size_t *found, oci_error *err);
/* Kill every process of the container and wait until the init is gone (reaped when it is
 * our child); a cgroup whose processes cannot be listed is warned about. */
void oci_container_kill_all(const oci_state *st, bool is_child);
/* SIGKILL to pid, a child of ours being set up in the container, and reap it. When the
 * container's cgroups cg were found frozen (the container can freeze itself), the child is
 * moved out of cgroup v1's freezer (which holds a killed task until thawed) and waited for
 * 2 s at most: never for ever, and never left a zombie for the frozen container's init to
 * reap (the pid namespace's orphans go to it), counted in its pids.current. */
void oci_container_kill_child(pid_t pid, const oci_cgroup *cg, bool frozen);
/* Send sig to every process but the init in the pid namespace of init (which started at
 * start, with pidfd inode ino when not 0: oci_proc_is), found by walking proc ("/proc"; a
 * test's snapshot of it): kill --all of a container that has its own pid namespace and no
 * cgroup (rootless). */
void oci_container_signal_pidns(const char *proc, pid_t init, uint64_t start, uint64_t ino,
				int sig);
/* The processes proc lists in the pid namespace of init, init included, each confirmed through
 * its pidfd (Linux 6.11): none while init is not the one recorded (started at start, pidfs
 * inode ino when not 0), whose pid may be a host process's by now. *pidns (when not NULL)
 * gets the namespace's inode number, 0 then. ps of a container without a cgroup. */
int oci_container_pidns_pids(const char *proc, pid_t init, uint64_t start, uint64_t ino,
			     pid_t **out, size_t *n, uint64_t *pidns, oci_error *err);
/* Remove what a container left: cgroups, state directory; poststop hooks when asked. */
int oci_container_destroy(int rootfd, const char *id, const oci_state *st, bool poststop,
			  oci_error *err);

/* config.json of a bundle, loaded into the typed model by the walk `oci-bundle validate`
 * runs (create's phase 1). */
typedef struct oci_bundle_config {
	json_t *spec; /* the JSON: the state keeps copies of its hooks and annotations */
	oci_config cfg;
	char *rootfs; /* root.path, resolved */
} oci_bundle_config;
void oci_bundle_config_release(oci_bundle_config *b);
#define cleanup_bundle_config __attribute__((cleanup(oci_bundle_config_release)))
/* Load and validate the config.json of bundle (absolute); unless opts is NULL, create's rules
 * for opts' console_socket, foreground and detach are checked against process.terminal. */
int oci_container_load_bundle(const char *bundle, const oci_create_opts *opts, oci_bundle_config *b,
			      oci_error *err);
/* An fd of the namespace file path, checked to be a namespace of the CLONE_NEW* flag. */
int oci_container_open_ns_path(const char *type, int flag, const char *path, oci_error *err);

/* What a new container has before any process of it exists: its state directory (dirfd,
 * in the state root rootfd), its state fields and its cgroups. rootfd is the caller's to
 * open; the rest oci_container_prepare_dir() makes. */
typedef struct oci_container_dir {
	int rootfd, dirfd; /* -1 when not open */
	oci_cgroup_manager cgm;
	oci_state st;
	char created[64];
	char keyring[OCI_KEYRING_NAME_MAX];
} oci_container_dir;
/* The state directory of id, the state's fields from b, and the cgroups with the config's
 * limits applied (refused when the cgroup is frozen). */
int oci_container_prepare_dir(oci_container_dir *d, const oci_runtime *rt, const char *id,
			      const char *bundle, const oci_bundle_config *b, bool own_pidns,
			      oci_error *err);
/* Undo prepare_dir: the cgroups and the state directory removed. */
void oci_container_dir_rollback(oci_container_dir *d, const char *id);
/* Close and free what d holds (not what it made). */
void oci_container_dir_release(oci_container_dir *d);
#endif
