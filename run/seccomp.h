/* linux.seccomp: the runtime-spec's syscall filter, translated with libseccomp into a
 * classic BPF program by the runtime (so a bad profile is refused at create time, before
 * anything exists), then installed by the container's init with one seccomp(2) call. */
#ifndef OCI_RUN_SECCOMP_H
#define OCI_RUN_SECCOMP_H

#include <jansson.h>
#include <linux/filter.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/spec_seccomp.h"

typedef struct oci_seccomp {
	struct sock_filter *insns; /* NULL: no filter */
	unsigned short len;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags, and NEW_LISTENER
			     * when a rule notifies */
} oci_seccomp;

/* The program cache under the state root: its directory, how many entries it holds before it
 * is emptied, and the length of the magic each file starts with (the key text follows, then
 * the program). */
#define OCI_SECCOMP_CACHE_DIR	    ".seccomp-cache"
#define OCI_SECCOMP_CACHE_MAX	    64
#define OCI_SECCOMP_CACHE_MAGIC_LEN 16

/* Compile the typed linux.seccomp (NULL: out stays empty) with runc's -ENOSYS stub in front.
 * What the kernel or this libseccomp cannot do is an OCI_E_UNSUPPORTED error naming its JSON
 * path (a flag, an architecture, SCMP_ACT_NOTIFY on sendmsg). Syscall names this libseccomp
 * does not know are skipped, as runc skips them. With cache_rootfd >= 0 (the state root) the
 * generated program is reused from, or saved to, its .seccomp-cache directory. */
int oci_seccomp_compile(const oci_config_seccomp *s, int cache_rootfd, oci_seccomp *out,
			oci_error *err);
/* Install the filter in the calling thread (a no-op for an empty one); *notify_fd (when not
 * NULL) is the notify fd of a filter with SCMP_ACT_NOTIFY rules, else -1. Needs no_new_privs
 * or CAP_SYS_ADMIN in the current user namespace. */
int oci_seccomp_load(const oci_seccomp *s, int *notify_fd, oci_error *err);
/* In the container's process: hand notify_fd (if >= 0) to the runtime over the sync socket,
 * wait until the agent has it, close ours. */
int oci_seccomp_handoff(int sync, int notify_fd, oci_error *err);
/* In the runtime: connect to s->listener_path and send runc's ContainerProcessState JSON
 * (ociVersion, fds ["seccompFd"], pid, metadata, state) with notify_fd in SCM_RIGHTS. */
int oci_seccomp_send_listener(const oci_config_seccomp *s, pid_t pid, const char *state_json,
			      int notify_fd, oci_error *err);
void oci_seccomp_release(oci_seccomp *s);
#define cleanup_seccomp __attribute__((cleanup(oci_seccomp_release)))

/* The "seccomp" object of `features` (runc's shape): enabled, actions, operators, archs,
 * knownFlags, supportedFlags (those this kernel accepts). */
json_t *oci_seccomp_features(void);
#endif
