/* What the lifecycle files (run/container*.c) share and nothing else includes: the state
 * JSON that hooks read, start's fifo handshake, and tearing a container down. */
#ifndef OCI_RUN_CONTAINER_INTERNAL_H
#define OCI_RUN_CONTAINER_INTERNAL_H

#include <stdbool.h>

#include "common/error.h"
#include "run/state.h"

/* The runtime-spec state hooks receive on stdin, with the given status. NULL on failure. */
char *oci_container_hook_state(const oci_state *st, const char *status);
/* Start a created container whose directory dirfd is locked: release the init through
 * exec.fifo, then run the poststart hooks of st. */
int oci_container_start_locked(int dirfd, oci_state *st, oci_error *err);
/* Kill every process of the container and wait until the init is gone (reaped when it is
 * our child). */
void oci_container_kill_all(const oci_state *st, bool is_child);
/* Remove what a container left: cgroups, state directory; poststop hooks when asked. */
int oci_container_destroy(int rootfd, const char *id, const oci_state *st, bool poststop,
			  oci_error *err);
#endif
