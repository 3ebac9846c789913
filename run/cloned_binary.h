/* Protection of the runtime binary against CVE-2019-5736: create, run and exec re-execute
 * themselves from a sealed memfd copy, so a container that reaches /proc/PID/exe of a
 * runtime process finds a sealed anonymous file, never the host's oci-run. */
#ifndef OCI_RUN_CLONED_BINARY_H
#define OCI_RUN_CLONED_BINARY_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

/* Re-exec with argv from a sealed memfd unless already running from one. Returns 0 when
 * running from the copy, -1 on error; a successful re-exec does not return. main() calls it
 * before a command that enters a container does any work. */
int oci_cloned_binary_ensure_argv(char *const argv[], oci_error *err);
/* The same with the argv the process was started with (read from /proc/self/cmdline). */
int oci_cloned_binary_ensure(oci_error *err);
#endif
