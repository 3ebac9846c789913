/* Small helpers every tool uses: scoped cleanup, bounded reads, atomic writes. */
#ifndef OCI_UTIL_H
#define OCI_UTIL_H

#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "common/error.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void oci_freep(void *p)
{
	free(*(void **)p);
}
void oci_closep(int *fd);
void oci_fclosep(FILE **f);
void oci_closedirp(DIR **d);
static inline void oci_strvfreep(char ***p)
{
	if (*p) {
		for (char **s = *p; *s; s++)
			free(*s);
		free(*p);
	}
}

#define cleanup_free	 __attribute__((cleanup(oci_freep)))
#define cleanup_close	 __attribute__((cleanup(oci_closep)))
#define cleanup_fclose	 __attribute__((cleanup(oci_fclosep)))
#define cleanup_closedir __attribute__((cleanup(oci_closedirp)))
#define cleanup_strv	 __attribute__((cleanup(oci_strvfreep)))

/* Hand a scoped value to the caller: returns *pp and clears it so cleanup does nothing. */
#define steal_pointer(pp)                                                                          \
	({                                                                                         \
		__typeof__(*(pp)) _v = *(pp);                                                      \
		*(pp) = NULL;                                                                      \
		_v;                                                                                \
	})
#define steal_fd(pfd)                                                                              \
	({                                                                                         \
		int _fd = *(pfd);                                                                  \
		*(pfd) = -1;                                                                       \
		_fd;                                                                               \
	})

/* Allocation that reports failure through err instead of exiting. */
void *oci_malloc(size_t n, oci_error *err);
void *oci_calloc(size_t n, size_t size, oci_error *err);
char *oci_strdup(const char *s, oci_error *err);
char *oci_asprintf(oci_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One sendmsg(2) of buf on a unix socket with fd in SCM_RIGHTS (fd < 0: none), MSG_NOSIGNAL,
 * again on EINTR: the bytes sent, or -1 with errno. */
ssize_t oci_send_with_fd(int sock, const void *buf, size_t len, int fd);
/* Write all of buf to fd, retrying on EINTR and short writes. */
int oci_write_all(int fd, const void *buf, size_t len, oci_error *err);
/* Read up to max bytes of fd into a new NUL-terminated buffer; more than max is OCI_E_LIMIT. */
int oci_read_fd(int fd, size_t max, char **out, size_t *len, oci_error *err);
/* Same, for a file at dirfd/path (AT_FDCWD for plain paths). */
int oci_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		     oci_error *err);
/* open(path, flags | O_CLOEXEC) for a path of any length: one longer than the kernel takes
 * in one call (PATH_MAX) is opened a directory at a time, each step a prefix shorter than
 * PATH_MAX that ends at a '/', so it resolves as the plain open would. A directory tree that
 * someone else can grow (a container's sub-cgroups) may hold paths of any length. Returns an
 * fd, or -1 with errno. */
int oci_open_any_length(const char *path, int flags);
/* Open for reading the regular file the O_PATH fd pathfd names, through its /proc/self/fd
 * link (the same inode, and nothing else is ever opened: a FIFO cannot block, a device cannot
 * act on being opened). Anything but a regular file is OCI_E_UNSAFE "'what' is not a regular
 * file"; without /proc, OCI_E_NOTFOUND. Returns a new fd, or -1. */
int oci_reopen_regular(int pathfd, const char *what, oci_error *err);
/* The same for dirfd/path (O_NOFOLLOW in flags: a symlink there is refused too). Without
 * O_NOFOLLOW (a file of a directory the caller named, which another user may own) a symlink
 * is followed only when it is root's or ours, and a hard link to a file the directory's owner
 * does not own is refused (OCI_E_UNSAFE), as oci_open_named does. */
int oci_open_regular_at(int dirfd, const char *path, int flags, oci_error *err);
/* oci_read_file_at for a file that must be regular (same flags as oci_open_regular_at): for
 * files in a directory someone else may write (a cache's), where a FIFO would block the read
 * for ever. */
int oci_read_regular_at(int dirfd, const char *path, int flags, size_t max, char **out, size_t *len,
			oci_error *err);
/* Open a file a caller named (--log, --authfile, exec --process) with flags (O_RDONLY, or
 * O_WRONLY | O_APPEND | O_CREAT and mode), in a directory another user may write: its last
 * component is followed only when it is a symlink of root's or ours (/dev/stderr, a
 * procfs fd link as `<(...)` gives), never one that user planted (root would create, append
 * to or read the file it points to); nor is a FIFO or socket of that user's opened (its
 * open, read or write would block for ever), nor a second hard link to a file the
 * directory's owner does not own (root's, linked where fs.protected_hardlinks is 0).
 * Anything else is OCI_E_UNSAFE. Returns a blocking fd, or -1. With O_PATH the symlink rule
 * alone applies (nothing is read through the fd: the caller checks its type). */
int oci_open_named(const char *path, int flags, mode_t mode, oci_error *err);
/* open(path, flags | O_DIRECTORY) for a directory a caller named (--bundle, -o, --root) that
 * may sit in a directory another user can write: its last component is followed only when it
 * is a symlink of root's or ours, never one that user planted (root would write a bundle, a
 * layout or state where it points). That one returns -2 with err filled (OCI_E_UNSAFE); any
 * other failure returns -1 with open(2)'s errno and err untouched. */
int oci_open_dir_named(const char *path, int flags, oci_error *err);
/* The same rule for dirfd/name, one component (a directory inside one the caller named, such
 * as a layout's blobs/): what names it in the error. */
int oci_open_dir_at(int dirfd, const char *name, const char *what, int flags, oci_error *err);
/* oci_read_file_at(AT_FDCWD, path, ...) through oci_open_named: a FIFO cannot block the
 * read, and a file the user cannot read reaches no error message through their link. */
int oci_read_named(const char *path, size_t max, char **out, size_t *len, oci_error *err);
/* Write data to dirfd/name through a temporary file in the same directory, fsync'd, then
 * renamed over name: readers see the old or the new content, never a part. */
int oci_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			  oci_error *err);
/* Remove the temporary files the writers above left beside dirfd/name (a plain name) when
 * they died before their rename (kill -9): regular files of ours named as write_temp names
 * them. Only for a caller holding the lock every writer of name holds while it writes (a
 * live writer's temporary would go too). */
void oci_remove_dead_temps(int dirfd, const char *name);
/* The same for a file that must not replace one of that name (another writer's, made
 * meanwhile): 0 when this call made it, 1 when one was there (left as it was), or -1. */
int oci_write_file_new(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		       oci_error *err);
/* The same without the fsync, for a file whose neighbours are not synced either (oci-unpack's
 * bundle files: the tree beside them is not; forcing the journal for one small file costs
 * 10-30 ms on XFS after a clone), or that lasts one boot (oci-run's state files, --pid-file). */
int oci_write_file_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			   oci_error *err);
/* A file replaced in steps, for a caller with more to do after it that must leave everything
 * as it was should that fail (oci-unpack --bundle: config.json goes in place only with the
 * rootfs): write puts the new content in a temporary file beside dirfd/name (no fsync; a
 * failure leaves nothing); swap puts it in place and keeps the old file under the temporary
 * name (RENAME_EXCHANGE; a directory at name is refused); then keep removes the old file, or
 * undo puts it back and removes ours (only while name still holds ours). A filesystem without
 * renameat2's flags gets the rename at keep instead (a failure there comes after the rest).
 * Every step is a no-op once the file is kept or undone. dirfd and name are borrowed and must
 * outlive f. */
enum {
	OCI_STAGED_NONE,
	OCI_STAGED_WRITTEN,
	OCI_STAGED_PLACED,
	OCI_STAGED_EXCHANGED,
	OCI_STAGED_LATE
};
typedef struct oci_staged_file {
	int dirfd, fd, state;
	const char *name;
	ino_t ino;
	char tmp[4096];
} oci_staged_file;
#define OCI_STAGED_FILE_INIT                                                                       \
	{                                                                                          \
		.dirfd = -1, .fd = -1, .state = OCI_STAGED_NONE                                    \
	}
int oci_staged_file_write(oci_staged_file *f, int dirfd, const char *name, const void *data,
			  size_t len, mode_t mode, oci_error *err);
int oci_staged_file_swap(oci_staged_file *f, oci_error *err);
int oci_staged_file_keep(oci_staged_file *f, oci_error *err);
void oci_staged_file_undo(oci_staged_file *f);
/* SIGINT, SIGTERM and SIGHUP while a tool writes files (oci-unpack's rootfs, oci-fetch's
 * layout): the handler only records the signal (no SA_RESTART: a blocking read or write
 * returns EINTR), and the long loops poll it, so that an interrupted run unwinds through its
 * ordinary error path and removes what it made. A second one ends the process at once, by
 * that signal (runc's and skopeo's convention: a second Ctrl-C is for a cleanup that hangs);
 * what it leaves, the next run into the same place removes (oci-unpack's staging directory,
 * a layout's temporary blobs). oci_check_interrupted: 0, or -1 with "interrupted by signal
 * N". */
extern volatile sig_atomic_t oci_interrupted;
void oci_interrupt_install(void);
int oci_check_interrupted(oci_error *err);
/* The monotonic clock in milliseconds (timeouts, rates). */
int64_t oci_now_ms(void);
/* flock(fd, LOCK_EX), waiting at most wait_ms: whoever can open the file (or directory) can
 * hold its lock, so an endless wait would be theirs to cause. 0, or -1 with err naming what. */
int oci_flock_wait(int fd, int64_t wait_ms, const char *what, oci_error *err);
/* A lock only the writers of a directory can take, held while they read, change and replace a
 * file there (a layout's index.json, an auth file): flock on the directory itself needs no
 * more than a descriptor, and anyone who could read it held every writer until the wait gave
 * up. The lock is the file NAME in dirfd, made 0600 by its holder and removed by it while
 * still held; a lock taken on a file its holder removed meanwhile locks nothing, so it is
 * taken again, and another user's file is waited for until it is gone. Where NAME cannot be
 * made (a directory we may not write, where the change itself fails anyway) the directory is
 * locked instead. At most wait_ms in all, then "'what' has been locked by another process for
 * N s: try again". dirfd must stay open until oci_lockfile_drop. */
typedef struct oci_lockfile {
	int dirfd, fd; /* fd -1: not held */
	bool file;     /* fd is NAME's, ours to remove */
	char name[256];
} oci_lockfile;
#define OCI_LOCKFILE_INIT                                                                          \
	{                                                                                          \
		.dirfd = -1, .fd = -1, .file = false, .name = ""                                   \
	}
int oci_lockfile_take(oci_lockfile *lk, int dirfd, const char *name, int64_t wait_ms,
		      const char *what, oci_error *err);
/* Removes NAME (when it is ours) while still holding it, then lets go. Idempotent. */
void oci_lockfile_drop(oci_lockfile *lk);
#define cleanup_lockfile __attribute__((cleanup(oci_lockfile_drop)))

/* mkdir -p for a plain host path. */
int oci_mkdir_p(const char *path, mode_t mode, oci_error *err);
/* The same; *made receives (a new string) the first directory of path this call created, the
 * top of what it made, or NULL when every one existed. */
int oci_mkdir_p_made(const char *path, mode_t mode, char **made, oci_error *err);
/* A failed run's undo of oci_mkdir_p_made: rmdir path, then each parent of it up to made
 * (included), while they are empty (one another run put something in stays). */
void oci_rmdir_made(const char *path, const char *made);
/* rm -rf below dirfd/name without following symlinks or crossing mount points. Iterative:
 * any depth, a bounded number of open fds. */
int oci_remove_tree_at(int dirfd, const char *name, oci_error *err);

/* A stack of directories for walking a tree without recursion, so no input can choose the
 * depth of the C stack: the walk's depth is bounded only by memory, and at most
 * OCI_DIRSTACK_OPEN of its fds are open at once (an ancestor beyond that is closed, and
 * reopened through ".." on the way back up, checked by device and inode). Each frame holds its
 * directory's entry names, read when it was pushed; the walker steps through them with next. */
#define OCI_DIRSTACK_OPEN 64
typedef struct oci_dirframe {
	int fd; /* O_RDONLY | O_DIRECTORY; -1 while closed (only below the top frames) */
	dev_t dev;
	ino_t ino;
	char **names; /* without "." and ".." */
	size_t n, next;
	char *path;  /* the walker's name for the directory (owned, may be NULL) */
	bool failed; /* something in it could not be handled */
} oci_dirframe;
typedef struct oci_dirstack {
	oci_dirframe *f;
	size_t depth, cap;
} oci_dirstack;
/* Push the directory fd (taken over, as is path, even on error) and read its names. */
int oci_dirstack_push(oci_dirstack *s, int fd, char *path, oci_error *err);
/* Drop the top frame; the new top's fd is open again when this returns 0. */
int oci_dirstack_pop(oci_dirstack *s, oci_error *err);
void oci_dirstack_release(oci_dirstack *s);

/* Flush stdout and report a write error (EPIPE, ENOSPC) instead of hiding it. */
int oci_flush_stdout(oci_error *err);

/* Parse a non-negative decimal integer with an upper bound, whole string only. */
int oci_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* Parse sizes like 512, 64k, 4M, 2G (powers of 1024). */
int oci_parse_size(const char *s, uint64_t *out);
/* A size for people: "12.3 MiB", "1.50 GiB", "0.2 KiB" (powers of 1024). */
void oci_format_size(uint64_t n, char *buf, size_t len);

bool oci_str_has_prefix(const char *s, const char *prefix);
/* The UTF-8 of code point cp into out: its length, 0 for what a string cannot hold (NUL, a
 * surrogate, beyond U+10FFFF). */
size_t oci_utf8_put(char out[4], uint32_t cp);
bool oci_str_has_suffix(const char *s, const char *suffix);

/* RFC 3339 UTC timestamp with nanoseconds, as runc writes it: 2024-01-02T03:04:05.123456789Z */
void oci_time_rfc3339(char *buf, size_t len);
#endif
