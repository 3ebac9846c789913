/* linux.seccomp: the runtime-spec's syscall filter, translated with libseccomp into a
 * classic BPF program by the runtime (so a bad profile is refused at create time, before
 * anything exists), then installed by the container's init with one seccomp(2) call. */
#ifndef OCI_RUN_SECCOMP_H
#define OCI_RUN_SECCOMP_H

#include <jansson.h>
#include <linux/filter.h>

#include "common/error.h"

typedef struct oci_seccomp {
	struct sock_filter *insns; /* NULL: no filter */
	unsigned short len;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags */
} oci_seccomp;

/* The program cache under the state root: its directory, how many entries it holds before it
 * is emptied, and the length of the magic each file starts with (the key text follows, then
 * the program). */
#define OCI_SECCOMP_CACHE_DIR	    ".seccomp-cache"
#define OCI_SECCOMP_CACHE_MAX	    64
#define OCI_SECCOMP_CACHE_MAGIC_LEN 16

/* Compile linux.seccomp (NULL or absent: out stays empty). Every problem of the profile is an
 * OCI_E_INVALID error naming its JSON path ("linux.seccomp.syscalls[2].args[0].op: unknown
 * operator 'X'"); SCMP_ACT_NOTIFY and listenerPath are OCI_E_UNSUPPORTED. Syscall names this
 * libseccomp does not know are skipped, as runc skips them. With cache_rootfd >= 0 (the state
 * root) the generated program is reused from, or saved to, its .seccomp-cache directory. */
int oci_seccomp_compile(json_t *seccomp, int cache_rootfd, oci_seccomp *out, oci_error *err);
/* Install the filter in the calling thread (a no-op for an empty one). Needs no_new_privs or
 * CAP_SYS_ADMIN in the current user namespace. */
int oci_seccomp_load(const oci_seccomp *s, oci_error *err);
void oci_seccomp_release(oci_seccomp *s);
#define cleanup_seccomp __attribute__((cleanup(oci_seccomp_release)))

/* The "seccomp" object of `features` (runc's shape): enabled, actions, operators, archs,
 * knownFlags, supportedFlags (those this kernel accepts). */
json_t *oci_seccomp_features(void);
#endif
