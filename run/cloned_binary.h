/* Protection of the runtime binary against CVE-2019-5736: create, run and exec re-execute
 * themselves from a sealed memfd copy, so a container that reaches /proc/PID/exe of a
 * runtime process finds a sealed anonymous file, never the host's oci-run. */
#ifndef OCI_RUN_CLONED_BINARY_H
#define OCI_RUN_CLONED_BINARY_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

/* Re-exec from a sealed memfd unless already running from one. Returns 0 when running from
 * the copy, -1 on error; a successful re-exec does not return. */
int oci_cloned_binary_ensure(oci_error *err);
#endif
