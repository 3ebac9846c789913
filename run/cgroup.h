/* Cgroup placement of a container: one directory per mounted hierarchy (v1 controllers, the
 * v2 unified tree), created at create, joined by the init, removed at delete. The
 * limits of linux.resources are written into them by run/resources.c. */
#ifndef OCI_RUN_CGROUP_H
#define OCI_RUN_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

/* Create the container's cgroup in every hierarchy; returns a JSON array of the directories
 * (kept in the state so delete can remove them). */
json_t *oci_cgroup_create(json_t *spec, const char *id, bool systemd, oci_error *err);
/* Move pid into each directory. */
int oci_cgroup_enter(json_t *dirs, pid_t pid, oci_error *err);
/* Remove the directories (waiting briefly for the last processes to leave). */
int oci_cgroup_destroy(json_t *dirs, oci_error *err);
/* Pids in the container's cgroup (first directory that lists any); caller frees. */
int oci_cgroup_pids(json_t *dirs, pid_t **out, size_t *n, oci_error *err);
#endif
