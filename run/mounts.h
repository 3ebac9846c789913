/* The container's filesystem view, built by its init inside the new mount namespace: the
 * rootfs bind, config mounts in order (each destination resolved inside the rootfs), /dev,
 * pivot_root, then masked and read-only paths. */
#ifndef OCI_RUN_MOUNTS_H
#define OCI_RUN_MOUNTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/error.h"

typedef struct oci_mount_ctx {
	const oci_config *cfg;
	const char *rootfs; /* absolute host path */
	const char *bundle;
	bool userns; /* devices are bind-mounted instead of created */
	bool new_cgroupns;
	bool shared_mountns; /* no mount namespace of its own: nothing is mounted, the rootfs is
				entered with chroot (oci_mounts_check_shared_ns allowed it) */
	const char *const *cgroup_rel; /* unused for now: per-controller cgroup of the container */
	const int *trees;   /* per mount: a detached tree made by the runtime (-1: none), or NULL */
	const int *sources; /* per mount: oci_mounts_recv_sources' copy (-1: none), or NULL */
} oci_mount_ctx;

/* The detached trees of the id-mapped mounts, one slot per config mount (-1: none). */
typedef struct oci_mount_trees {
	int *fds;
	size_t n;
} oci_mount_trees;
/* Made by the runtime on the host before the init is cloned: an id-mapped mount needs
 * privilege over the source's filesystem, which a container in a user namespace lacks. Each
 * tree has the mount's options set and is id-mapped through a user namespace made from the
 * mount's uidMappings/gidMappings (or the container's); the init only attaches it. */
int oci_mounts_open_idmapped(const oci_config *cfg, const char *bundle, oci_mount_trees *out,
			     oci_error *err);
void oci_mount_trees_release(oci_mount_trees *t);

/* Bind sources the container's root cannot reach in its new user namespace (a directory
 * only the host's root may search), opened as runc does: after the init is cloned into its
 * user and mount namespaces and its ids are mapped, and before GO, a helper of the runtime
 * joins only the init's mount namespace and clones every bind source there with the host
 * root's rights and the mount's options, sending each copy on the sync socket sock
 * (OCI_SYNC_MOUNT_TREE, payload: the mount's index). The copies come from the init's own
 * copies of the host's mounts, with the locks the kernel put on them. A source it cannot
 * clone gets none (the init then fails on it in its own words); a runtime that may not join
 * the namespace (unprivileged) sends none. */
int oci_mounts_send_sources(pid_t init, int sock, const oci_config *cfg, const char *bundle,
			    oci_error *err);
/* The init's side: receive the copies (out: one slot per config mount, -1: none) until GO,
 * whose payload is left in buf. The init uses a copy only where its own lookup of the
 * source is refused, and closes them all once its mounts are made. */
int oci_mounts_recv_sources(int sock, const oci_config *cfg, oci_mount_trees *out, char *buf,
			    size_t buflen, oci_error *err);
#define cleanup_mount_trees __attribute__((cleanup(oci_mount_trees_release)))

/* Without a mount namespace of the container's own every mount would be made in the
 * runtime's (the host's): refuse a config that asks for one (mounts, maskedPaths,
 * readonlyPaths, root.readonly, rootfsPropagation), naming the first such field. */
int oci_mounts_check_shared_ns(const oci_config *cfg, oci_error *err);

/* Propagation, the rootfs bind mount, the config's mounts and /dev. Before pivot_root. */
int oci_mounts_prepare(const oci_mount_ctx *ctx, oci_error *err);
/* Make the rootfs the root (pivot_root, or MS_MOVE + chroot with no_pivot; chroot alone in a
 * shared mount namespace). */
int oci_mounts_pivot(const oci_mount_ctx *ctx, bool no_pivot, oci_error *err);
/* After pivot_root: readonlyPaths, maskedPaths, root.readonly, rootfsPropagation. */
int oci_mounts_finalize(const oci_mount_ctx *ctx, oci_error *err);
/* Bind the pty slave (an open fd of it) over /dev/console (not in a shared mount
 * namespace: the mount would be the host's). */
int oci_mounts_console(const oci_mount_ctx *ctx, int slave, oci_error *err);

/* mount_setattr(2) attributes (MOUNT_ATTR_*) to set and clear on a mount and every mount
 * below it: the recursive options rro, rrw, rnosuid, rnodev, rnoexec, ratime, ... */
typedef struct oci_mount_rec_attr {
	uint64_t set, clr;
} oci_mount_rec_attr;

/* Parse mount options (a NULL-terminated list, NULL: none) into flags, propagation flags,
 * recursive attributes and data (comma-joined leftovers). */
int oci_mount_parse_options(char *const *options, unsigned long *flags, unsigned long *propagation,
			    bool *recursive_bind, oci_mount_rec_attr *rec, char *data,
			    size_t datalen, oci_error *err);
/* Every mount option oci-run understands, sorted (for `features`): from the same tables. */
json_t *oci_mount_option_names(void);
#endif
