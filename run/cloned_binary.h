/* Protection of the runtime binary against CVE-2019-5736: create and run re-execute
 * themselves from a sealed memfd copy, so a container that reaches /proc/PID/exe of a
 * runtime process finds a sealed anonymous file, never the host's oci-run. */
#ifndef OCI_RUN_CLONED_BINARY_H
#define OCI_RUN_CLONED_BINARY_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

/* Whether a container process could reach a runtime process's /proc/PID/exe with the power
 * to reopen it: not when the init is alone in a new pid namespace (only the host sees it),
 * runs no startContainer hook inside, and no CAP_SYS_PTRACE is granted (the init is also
 * non-dumpable). OCI_RUN_FORCE_CLONED_BINARY=1 forces the copy (to measure its cost). */
bool oci_cloned_binary_needed(json_t *spec, bool new_pidns);
/* Re-exec from a sealed memfd unless already running from one. Returns 0 when running from
 * the copy, -1 on error; a successful re-exec does not return. */
int oci_cloned_binary_ensure(oci_error *err);
#endif
