/* Paths inside a root directory that never leave it, whatever symlinks and ".." say.
 *
 * Uses openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) where the kernel has it, and a
 * component-by-component walk with O_NOFOLLOW otherwise, resolving symlinks by hand against
 * the root (with a loop limit). Nothing here caches a lookup: each call walks afresh. */
#ifndef OCI_SAFEPATH_H
#define OCI_SAFEPATH_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/error.h"

/* Set to force the fallback walk (tests use it to cover both paths). */
extern bool oci_safepath_force_fallback;

/* Open path relative to rootfd, resolving every component (symlinks too) inside the root.
 * flags are open(2) flags; O_CREAT creates the final component (never through a symlink).
 * O_NOFOLLOW applies to the final component only. Returns a new fd or -1. */
int oci_safe_open(int rootfd, const char *path, int flags, mode_t mode, oci_error *err);

/* Open the directory that contains path's last component, resolved inside the root, and
 * return it with *leaf pointing into path at that component. Trailing slashes are ignored;
 * "" or "/" has no parent (OCI_E_INVALID). Components "." and ".." in the leaf are refused. */
int oci_safe_open_parent(int rootfd, const char *path, const char **leaf, char *leafbuf,
			 size_t leaflen, oci_error *err);

/* mkdir -p inside the root: every component is created (mode) or must be a directory
 * (symlinks are followed inside the root). Returns an O_PATH|O_DIRECTORY fd, or -1. */
int oci_safe_mkdir_p(int rootfd, const char *path, mode_t mode, oci_error *err);

/* lstat of path inside the root (last component not followed). */
int oci_safe_lstat(int rootfd, const char *path, struct stat *st, oci_error *err);

/* Lexically clean a path: collapse "//", ".", and ".." (never above the start), strip leading
 * '/'. "a/../../x" becomes "x". Returns 0, or -1 when the result does not fit. */
int oci_path_clean(const char *in, char *out, size_t len);
/* The strict form for names from archives: an absolute path or a ".." that would climb
 * above the start is an error (OCI_E_UNSAFE) instead of being clamped. */
int oci_path_clean_beneath(const char *in, char *out, size_t len, oci_error *err);
#endif
