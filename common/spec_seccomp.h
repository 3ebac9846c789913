/* linux.seccomp as the runtime-spec and runc define it: the names of actions, operators,
 * architectures and flags (one table each, which `features` lists), and the check of a whole
 * profile that needs no kernel. oci-bundle validate and oci-run create both run it through
 * oci_spec_validate(); run/seccomp.c builds the filter from the same tables. */
#ifndef OCI_SPEC_SECCOMP_H
#define OCI_SPEC_SECCOMP_H

#include <jansson.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define OCI_SECCOMP_MAX_ARGS	   6  /* syscall arguments: index 0 to 5 */
#define OCI_SECCOMP_MAX_CONDITIONS 64 /* per syscalls[] entry: more is not a real profile */
/* Errno values travel in the 16-bit data of SECCOMP_RET_ERRNO and the kernel caps them at
 * MAX_ERRNO: anything above would silently become another errno. */
#define OCI_SECCOMP_MAX_ERRNO 4095

typedef struct oci_spec_seccomp_name {
	const char *name;
	uint32_t value;	  /* libseccomp action / enum scmp_compare / SCMP_ARCH_* / filter flag */
	bool takes_errno; /* actions only: SCMP_ACT_ERRNO and SCMP_ACT_TRACE */
} oci_spec_seccomp_name;

extern const oci_spec_seccomp_name oci_spec_seccomp_actions[];
extern const size_t oci_spec_seccomp_n_actions;
extern const oci_spec_seccomp_name oci_spec_seccomp_operators[];
extern const size_t oci_spec_seccomp_n_operators;
extern const oci_spec_seccomp_name oci_spec_seccomp_archs[];
extern const size_t oci_spec_seccomp_n_archs;
/* Known filter flags; SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is known but refused (it only
 * means something with seccomp notify, which is not supported). */
extern const oci_spec_seccomp_name oci_spec_seccomp_flags[];
extern const size_t oci_spec_seccomp_n_flags;

/* The entry of table named name, or NULL. */
const oci_spec_seccomp_name *oci_spec_seccomp_lookup(const oci_spec_seccomp_name *table, size_t n,
						     const char *name);
/* obj[akey] (with obj[ekey], when present, as its errno) as a libseccomp action. */
int oci_spec_seccomp_action(json_t *obj, const char *path, const char *akey, const char *ekey,
			    uint32_t *out, oci_error *err);
/* One syscalls[].args[] entry as a libseccomp condition. */
int oci_spec_seccomp_arg(json_t *a, const char *path, struct scmp_arg_cmp *c, oci_error *err);
/* Check a linux.seccomp object (NULL or null: nothing to check) without the kernel: every
 * name, range and shape. The first problem is an error naming its JSON path
 * ("linux.seccomp.syscalls[2].args[0].index: 99 out of range (0 to 5)"); SCMP_ACT_NOTIFY,
 * listenerPath and WAIT_KILLABLE_RECV are OCI_E_UNSUPPORTED. Syscall names are not checked:
 * names this libseccomp does not know are skipped when the filter is built, as runc does. */
int oci_spec_seccomp_check(json_t *seccomp, oci_error *err);
#endif
