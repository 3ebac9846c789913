/* User and group lookup in a container's root filesystem (/etc/passwd, /etc/group), the way
 * docker and runc resolve an image's User, but read safely: both files are opened inside the
 * rootfs (common/safepath.h, no symlink may lead out), must be regular files, and are capped
 * in size, since they come from an untrusted image. */
#ifndef OCI_PASSWD_H
#define OCI_PASSWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* /etc/passwd and /etc/group larger than this are refused (OCI_E_LIMIT). */
#define OCI_PASSWD_MAX_SIZE (4u << 20)
/* Supplementary groups kept for one user (the kernel's NGROUPS_MAX is 65536). */
#define OCI_PASSWD_MAX_GROUPS 65536
/* Highest uid/gid accepted: 2^32-1 itself is (uid_t)-1, "no change" to setresuid(2). */
#define OCI_PASSWD_MAX_ID 4294967294u

/* The result of resolving a user specification. */
typedef struct oci_user {
	uint32_t uid;
	uint32_t gid;
	uint32_t *additional_gids; /* supplementary groups (only when no group was given) */
	size_t n_additional_gids;
	char *home;	   /* home directory from passwd, NULL when the user has no entry */
	bool found_passwd; /* the user has a passwd entry */
} oci_user;

/* Resolve spec ("name", "uid", "uid:gid", "name:group", "uid:group", "name:gid"; "" means
 * root) against rootfd's /etc/passwd and /etc/group, as runc's GetExecUser does: a numeric
 * uid without a passwd entry gets gid 0; a name that is not in passwd is an error, never a
 * fallback to root; supplementary groups are the groups listing the user's name when no group
 * is given. rootfd may be -1: then only numeric uid[:gid] is accepted and nothing is read.
 * Missing files are treated as empty; a file that is a symlink out of the rootfs, not a
 * regular file, or over OCI_PASSWD_MAX_SIZE is an error. */
int oci_passwd_resolve(int rootfd, const char *spec, oci_user *out, oci_error *err);
void oci_user_release(oci_user *u);

/* Read rootfd/path (e.g. "/etc/group") with the same safety rules. *out is NULL and 0 is
 * returned when the file does not exist. */
int oci_passwd_read_file(int rootfd, const char *path, char **out, size_t *len, oci_error *err);

/* Parse a decimal id 0..OCI_PASSWD_MAX_ID (whole string). Returns 0 or -1. */
int oci_passwd_parse_id(const char *s, uint32_t *out);
#endif
