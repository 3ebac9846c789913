/* OCI hooks: each hook of a lifecycle point runs in order with the container state on its
 * stdin, its own args/env and an optional timeout. */
#ifndef OCI_RUN_HOOKS_H
#define OCI_RUN_HOOKS_H

#include <jansson.h>

#include "common/config.h"
#include "common/error.h"

/* Run the hooks of kind name ("prestart", ...; hooks may be NULL) in the directory cwd (runc
 * runs the creation hooks in the bundle; NULL: ours). The first failing hook stops the list
 * and is reported in err: these hooks fail the lifecycle step. */
int oci_hooks_run(const oci_config_hooks *hooks, const char *name, const char *state_json,
		  const char *cwd, oci_error *err);
/* How many hooks of kind name the config has (0 for hooks NULL). */
size_t oci_hooks_count(const oci_config_hooks *hooks, const char *name);
/* poststart and poststop, from the copy of config.json's hooks a container's state keeps (saved
 * may be NULL), read through the checker config.json's hooks went through. A failing poststop
 * hook is a warning and the remaining hooks still run; the first failing poststart hook is the
 * error (runtime-spec 1.3). -1 also when the saved hooks cannot be read. */
int oci_hooks_run_saved(json_t *saved, const char *name, const char *state_json, oci_error *err);
#endif
