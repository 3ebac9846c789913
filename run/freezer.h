/* Freezing a container's processes through its cgroups (pause / resume). */
#ifndef OCI_RUN_FREEZER_H
#define OCI_RUN_FREEZER_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

/* Freeze (waiting until the kernel reports it done) or thaw every cgroup directory of dirs
 * that has a freezer; freezing with none is OCI_E_UNSUPPORTED. */
int oci_freezer_set(json_t *dirs, bool frozen, oci_error *err);
/* Whether the container's cgroups are frozen (its status is then "paused"). */
bool oci_freezer_is_frozen(json_t *dirs);
/* The first directory of dirs that is frozen or freezing, by itself or through an ancestor
 * (v1 freezer.state, v2 cgroup.freeze / cgroup.events), or NULL. A process placed there
 * would stop at once: create refuses such a cgroup instead of waiting for it forever. */
const char *oci_freezer_frozen_dir(json_t *dirs);
#endif
