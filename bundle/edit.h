/* The edits oci-bundle makes to a config.json from its flags (spec and edit commands). */
#ifndef OCI_BUNDLE_EDIT_H
#define OCI_BUNDLE_EDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* A growable NULL-terminated vector of borrowed strings (argv entries). */
typedef struct oci_bundle_strv {
	char **v;
	size_t n, cap;
} oci_bundle_strv;

int oci_bundle_strv_add(oci_bundle_strv *s, char *item, oci_error *err);
void oci_bundle_strv_release(oci_bundle_strv *s);

/* Every flag is optional: NULL / 0 / empty means "leave as it is". */
typedef struct oci_bundle_edits {
	int terminal;	     /* -1 unchanged, 0 false, 1 true */
	int readonly_rootfs; /* -1 unchanged, 0 false, 1 true */
	bool args_set;	     /* --args given or operands after "--" */
	oci_bundle_strv args;
	oci_bundle_strv env; /* K=V */
	const char *cwd;
	const char *hostname;
	const char *user;	/* UID[:GID] or name[:group], resolved in the rootfs */
	oci_bundle_strv mounts; /* type=bind,src=..,dst=..,options=.. */
	oci_bundle_strv tmpfs;	/* DST[:opts] */
	const char *memory;	/* SIZE */
	const char *cpus;	/* decimal CPUs, e.g. 1.5 */
	const char *pids_limit;
	oci_bundle_strv cap_add, cap_drop;
	const char *net;	     /* host | none | ns:PATH */
	oci_bundle_strv annotations; /* K=V */
} oci_bundle_edits;

void oci_bundle_edits_init(oci_bundle_edits *e);
void oci_bundle_edits_release(oci_bundle_edits *e);
bool oci_bundle_edits_empty(const oci_bundle_edits *e);

/* Apply the edits to spec, keeping everything else. rootfs_fd (or -1) resolves --user names.
 * skip_process: args, env, cwd and user were already applied (from an image). */
int oci_bundle_edits_apply(json_t *spec, const oci_bundle_edits *e, int rootfs_fd,
			   bool skip_process, oci_error *err);

/* Parsers, exposed for their own tests and reuse. */
json_t *oci_bundle_parse_mount(const char *s, oci_error *err);
json_t *oci_bundle_parse_tmpfs(const char *s, oci_error *err);
/* "1.5" -> 150000 (quota for a 100000us period); -1 when not a positive decimal. */
int oci_bundle_parse_cpus(const char *s, long long *quota);
#endif
