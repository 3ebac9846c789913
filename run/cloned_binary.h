/* Protection of the runtime binary against CVE-2019-5736: every runtime process that enters a
 * container (create/run's init, exec's process) runs from a sealed memfd copy, so a container
 * that reaches /proc/PID/exe of one finds a sealed anonymous file, never the host's oci-run. */
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
/* Whether oci_cloned_binary_switch_in_place can work here (the kernel lets this process
 * replace its exe: CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN; not a sanitizer build). */
bool oci_cloned_binary_can_switch_in_place(void);
/* Switch to a sealed copy in place, never by re-executing: for a process that cannot start
 * again (create's init, right after its clone). 0 when running from the copy. */
int oci_cloned_binary_switch_in_place(oci_error *err);
/* create/run: make the sealed copy in a thread, ahead of its use by the init (or by
 * oci_cloned_binary_ensure); nothing where the init could not switch in place, or where this
 * process already runs from a copy. Called once the preserved fds were checked: the copy's
 * fd must not take the number of one the caller left closed. */
void oci_cloned_binary_prepare(void);
/* Join that thread: before any clone or fork, which must not copy a half-made copy. The
 * switch joins it itself. */
void oci_cloned_binary_prepared_wait(void);
/* Join it and close the copy if nobody took it (the runtime's own, once the init is cloned). */
void oci_cloned_binary_prepared_drop(void);
#endif
