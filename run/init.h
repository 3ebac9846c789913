/* The container's init before it execs the container process: it runs in the namespaces
 * the runtime cloned it into, builds the filesystem, talks to the runtime over the sync
 * socket, then blocks on the exec fifo until `start`. */
#ifndef OCI_RUN_INIT_H
#define OCI_RUN_INIT_H

#include <jansson.h>
#include <stdbool.h>

#include "common/config.h"
#include "run/container.h"

typedef struct oci_init_args {
	const oci_config *cfg; /* config.json, typed */
	const oci_create_opts *opts;
	const char *keyring; /* the session keyring's name (run/state.h) */
	const char *rootfs;
	int sync;    /* our end of the sync socketpair */
	int fifo;    /* exec.fifo opened O_RDWR: we block reading it until start writes */
	bool userns; /* a new user namespace */
	bool new_cgroupns;
	bool new_netns;	 /* lo is brought up in it */
	bool new_timens; /* unshared by the init itself: offsets must be written before anyone
			    enters */
	int join_fds[8]; /* namespaces to join by path (fds), -1 terminated */
	int join_types[8];
	bool joined_userns;	/* a user namespace joined by path (before the clone, so the new
				   namespaces are its own) */
	const int *mount_trees; /* per config mount: a detached tree to attach (-1), or NULL */
	const struct oci_seccomp *seccomp; /* compiled linux.seccomp (empty: none) */
	/* The cgroups the init joins itself, first thing (NULL: the runtime places it), the
	 * index of their unified directory (-1: none) and whether the clone put it there. */
	const struct oci_cgroup *cgroups;
	int cgroup_unified;
	bool cloned_into_unified;
	/* cgroups holds only the unified directory the init was cloned into: the runtime sends
	 * every directory once it has made them and written their limits (OCI_SYNC_CGROUP,
	 * OCI_SYNC_CGROUPS_READY), and the init joins them before its mounts (the config's, whose
	 * cost is the container's) and before a cgroup namespace or a scheduler policy that
	 * depends on them. */
	bool cgroups_later;
	/* new_netns, not made by the clone: the init unshares it before anything else */
	bool unshare_net;
	/* The runtime still runs from the host's binary: switch to a sealed copy of it
	 * (CVE-2019-5736) before anything else is done. */
	bool seal_self;
} oci_init_args;

/* Never returns. */
__attribute__((noreturn)) void oci_init_main(oci_init_args *a);
#endif
