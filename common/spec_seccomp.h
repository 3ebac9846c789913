/* linux.seccomp as the runtime-spec and runc define it: the names of actions, operators,
 * architectures and flags (one table each, which `features` lists), and the parse of a whole
 * profile into its typed model (checked without the kernel). oci-bundle validate and oci-run
 * create both run it through oci_config_load(); run/seccomp.c builds the filter from the
 * model. */
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
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
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
/* Known filter flags (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only with an SCMP_ACT_NOTIFY
 * rule: the kernel refuses it without a listener). */
extern const oci_spec_seccomp_name oci_spec_seccomp_flags[];
extern const size_t oci_spec_seccomp_n_flags;

/* One syscalls[] entry: every name gets the same action and conditions. */
typedef struct oci_config_seccomp_rule {
	char **names; /* NULL-terminated; names libseccomp does not know are kept (skipped later) */
	size_t n_names;
	uint32_t action; /* libseccomp's, with its errno */
	struct scmp_arg_cmp *args;
	size_t n_args;
} oci_config_seccomp_rule;

/* linux.seccomp, typed: what run/seccomp.c compiles and the runtime hands to a listener. */
typedef struct oci_config_seccomp {
	uint32_t default_action;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* named in flags[] */
	uint32_t *archs;    /* SCMP_ARCH_* in the profile's order, each once */
	size_t *archs_at;   /* where architectures[] names each */
	size_t n_archs;
	oci_config_seccomp_rule *rules;
	size_t n_rules;
	char *listener_path;	 /* NULL when absent */
	char *listener_metadata; /* NULL when absent */
	bool notify;		 /* some rule is SCMP_ACT_NOTIFY */
} oci_config_seccomp;

/* The entry of table named name, or NULL. */
const oci_spec_seccomp_name *oci_spec_seccomp_lookup(const oci_spec_seccomp_name *table, size_t n,
						     const char *name);
/* Parse a linux.seccomp object (NULL or null: *out is NULL) without the kernel: every name,
 * range and shape. The first problem is an error naming its JSON path
 * ("linux.seccomp.syscalls[2].args[0].index: 99 out of range (0 to 5)"). SCMP_ACT_NOTIFY
 * needs a non-empty listenerPath (and a listenerPath needs a notify rule); as in runc, it is
 * refused as the default action. Syscall names are not checked: names this libseccomp does
 * not know are skipped when the filter is built, as runc does. */
int oci_spec_seccomp_parse(json_t *seccomp, oci_config_seccomp **out, oci_error *err);
void oci_spec_seccomp_free(oci_config_seccomp *s);
#endif
