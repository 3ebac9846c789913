/* OCI hooks: each hook of a lifecycle point runs in order with the container state on its
 * stdin, its own args/env and an optional timeout. */
#ifndef OCI_RUN_HOOKS_H
#define OCI_RUN_HOOKS_H

#include <jansson.h>

#include "common/error.h"

/* Run hooks[name] (hooks is config's "hooks" object, may be NULL). The first failing hook
 * stops the list and is reported in err. */
int oci_hooks_run(json_t *hooks, const char *name, const char *state_json, oci_error *err);
#endif
