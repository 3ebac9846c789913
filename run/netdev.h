/* linux.netDevices (runtime-spec 1.2): host network interfaces moved into a container's
 * network namespace at create and back to the host at delete, over rtnetlink. */
#ifndef OCI_RUN_NETDEV_H
#define OCI_RUN_NETDEV_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/error.h"

/* Move l's netDevices into the container's network namespace: join_fd when it joins one, else
 * the new one of the init pid (refused when it is the runtime's own), renamed, with their permanent
 * global addresses re-added and the link up, as runc 1.2 and crun do. The namespace is pinned in
 * the state directory dirfd and each device recorded there (its index in the container), so
 * oci_netdev_move_back() finds it even after the container's processes are gone. On failure the
 * devices already moved go back, the pin is removed, and nothing is left. No netDevices: does
 * nothing. */
int oci_netdev_move_in(const oci_config_linux *l, pid_t init, int join_fd, int dirfd,
		       oci_error *err);

/* Move the devices recorded in the state directory rootfd/id back to the runtime's network
 * namespace under their host names, found by the index they were given, never by a name the
 * container may have changed; unpin the namespace. A device that is no longer the one moved
 * in (another kind), a virtual device other than a dummy (a veth end or a macvlan dies with
 * the namespace, as the kernel does it), or one whose host name is taken again is left to the
 * kernel, with a warning. Never fails: delete goes on. */
void oci_netdev_move_back(int rootfd, const char *id);

/* Whether the state directory dirfd records devices moved in (or a pinned namespace for them):
 * what create did, whatever config.json says now. */
bool oci_netdev_recorded(int dirfd);

#endif
