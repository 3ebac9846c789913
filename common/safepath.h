/* Paths inside a root directory that never leave it, whatever symlinks and ".." say. Every
 * policy of resolving a path inside a root lives here, named by its rule:
 *
 *   in-root  (oci_safe_open, oci_safe_mkdir_p, oci_safe_mkdir_in_root, ...): the path is
 *            resolved as if the root were "/": an absolute symlink restarts at the root and
 *            ".." stops there, so every path leads somewhere inside. For the runtime and for
 *            the image's own view of its files.
 *   beneath  (oci_safe_open_beneath, oci_safe_cursor_dir): a symlink that would lead
 *            out of the root (absolute, or ".." above it) is refused (OCI_E_UNSAFE). For
 *            applying layers, where no honest image needs one.
 *   procfs   (oci_safe_procfs_open, oci_safe_procfs_open_self): a handle on a real procfs
 *            taken before anything of a container is mounted, and files below it reached
 *            through no symlink and no other mount, checked to be procfs files. For the
 *            runtime's writes to its own /proc/<tid>/attr files (CVE-2019-16884).
 *
 * Uses openat2 (RESOLVE_IN_ROOT or RESOLVE_BENEATH, with RESOLVE_NO_MAGICLINKS) where the
 * kernel has it, and a component-by-component walk with O_NOFOLLOW otherwise, resolving
 * symlinks by hand against the root (with a loop limit). Nothing here caches a lookup: each
 * call walks afresh, so a symlink swapped in between two calls is seen by the second; the one
 * exception, the cursor, is told by its owner when anything is removed or replaced. */
#ifndef OCI_SAFEPATH_H
#define OCI_SAFEPATH_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <stdint.h>

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

/* The beneath rule: open path relative to rootfd with openat2(RESOLVE_BENEATH): a symlink
 * that leads out of the root (absolute, or ".." above it) is an OCI_E_UNSAFE error, never
 * followed. Without openat2 (old kernel, seccomp), or when renames elsewhere raced each try
 * (EAGAIN), the walk refuses the same paths. No O_CREAT. */
int oci_safe_open_beneath(int rootfd, const char *path, int flags, oci_error *err);

/* The beneath rule with memory, for applying a layer's entries one after the other: the
 * directory fds of the last path resolved are kept, so a path sharing a prefix with it costs
 * one openat(O_NOFOLLOW) per new component instead of a walk from the root (a tree n
 * directories deep costs O(n) lookups, not O(n^2)). A component that is not a plain directory
 * there (a symlink, anything else) is resolved afresh from the root by
 * oci_safe_open_beneath, with its errors and texts. The owner must call
 * oci_safe_cursor_forget whenever it removes or replaces any name under the root: that is
 * the only way an existing name's lookup can change (new names leave it alone), and
 * forgetting is what lets the cursor keep fds across calls at all. At most
 * OCI_SAFE_CURSOR_FDS fds are held, whatever the depth, and fewer under a low open-file
 * limit: init sizes the cursor to half the files left free (RLIMIT_NOFILE less those
 * open), and an open that still meets EMFILE sheds what is held and is tried again. */
#define OCI_SAFE_CURSOR_MAXDEPTH 2048 /* components of a path under PATH_MAX */
#define OCI_SAFE_CURSOR_FDS	 96
typedef struct oci_safe_cursor {
	int rootfd;
	bool stale;	 /* forget was called: drop everything at the next call */
	int loose;	 /* an fd returned without being kept, closed at the next call */
	size_t window;	 /* the last prefixes kept (CURSOR_WINDOW at most) */
	size_t stride;	 /* and every stride-th one, as anchors */
	size_t n;	 /* components of path */
	char path[4096]; /* the directory held, as given (clean, relative) */
	uint16_t ends[OCI_SAFE_CURSOR_MAXDEPTH]; /* end of each component in path */
	int fds[OCI_SAFE_CURSOR_MAXDEPTH];	 /* fd of each prefix, -1 when not held */
} oci_safe_cursor;

void oci_safe_cursor_init(oci_safe_cursor *c, int rootfd);
void oci_safe_cursor_release(oci_safe_cursor *c);
/* Something under the root was removed or replaced: nothing held may be used again. fds
 * returned before stay open until the next oci_safe_cursor_dir or release. */
void oci_safe_cursor_forget(oci_safe_cursor *c);
/* The directory dir (a clean relative path: no "", "." or ".." component, no slash at
 * either end; "" is the root) by the beneath rule, as oci_safe_open_beneath(rootfd, dir,
 * O_PATH | O_DIRECTORY) gives it. The fd is the cursor's: valid until the next call, forget
 * does not close it, the caller must not. */
int oci_safe_cursor_dir(oci_safe_cursor *c, const char *dir, oci_error *err);

/* mkdir -p by the in-root rule, as runc's MkdirAllInRoot: symlinks are followed as if the root
 * were "/" (absolute targets restart at the root, ".." never climbs above it) and whatever
 * is missing is created (mode), also the target of a dangling symlink. Unlike
 * oci_safe_mkdir_p, which fails on a dangling symlink. Returns an O_PATH fd of the
 * directory (the root itself for "" or "/"), or -1. */
int oci_safe_mkdir_in_root(int rootfd, const char *path, mode_t mode, oci_error *err);

/* The procfs rule: open path (the runtime's own /proc, before the container's mounts exist)
 * as an O_PATH directory fd, refused (OCI_E_UNSAFE) unless it is the root of a procfs. */
int oci_safe_procfs_open(const char *path, oci_error *err);
/* Open rel (e.g. "attr/exec") below the calling thread's own directory of the procfs procfd:
 * the kernel's thread-self link gives "<pid>/task/<tid>", then "<pid>/task/<tid>/<rel>" is
 * opened (flags, plus O_NOFOLLOW|O_CLOEXEC) following no symlink and crossing no mount
 * (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV|RESOLVE_BENEATH, or a walk with O_NOFOLLOW
 * checking each step's device), and the file must be on procfs. rel must not hold "..".
 * Returns a new fd, or -1 (ENOENT of the file keeps OCI_E_NOTFOUND, for fallbacks). */
int oci_safe_procfs_open_self(int procfd, const char *rel, int flags, oci_error *err);
/* The same for path below procfd itself (e.g. "sys/net/ipv4/ip_forward"). */
int oci_safe_procfs_open_at(int procfd, const char *path, int flags, oci_error *err);

/* lstat of path inside the root (last component not followed). */
int oci_safe_lstat(int rootfd, const char *path, struct stat *st, oci_error *err);

/* Lexically clean a path: collapse "//", ".", and ".." (never above the start), strip leading
 * '/'. "a/../../x" becomes "x". Returns 0, or -1 when the result does not fit. */
int oci_path_clean(const char *in, char *out, size_t len);
/* The strict form for names from archives: an absolute path or a ".." that would climb
 * above the start is an error (OCI_E_UNSAFE) instead of being clamped. */
int oci_path_clean_beneath(const char *in, char *out, size_t len, oci_error *err);
#endif
