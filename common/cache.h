/* Content-addressed blob store: <root>/<alg>/<hex>. Used as the shared download cache, as a
 * private temporary store (--no-cache), and directly over a layout's blobs/ directory. */
#ifndef OCI_COMMON_CACHE_H
#define OCI_COMMON_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/digest.h"
#include "common/error.h"

typedef struct oci_cache {
	int dirfd;
	/* <root>/sha256, <root>/sha512 (-1 until opened) and <root>/.locks, opened once without
	 * following a symlink: every name of the store is looked up below them */
	int algfd[2];
	int locksfd;
	char *path;
	bool temporary; /* removed by release */
	bool locking;	/* shared between processes: per-blob lock files */
	unsigned seq;
} oci_cache;

/* $XDG_CACHE_HOME/oci-toolkit/blobs (~/.cache/...), /var/cache/oci-toolkit/blobs for root. */
char *oci_cache_default_dir(oci_error *err);
/* Whether the directory fd (what names it in messages: "cache '...'") may hold what we
 * trust: ours, and none of the mode bits in forbidden set (022: nobody else can write it). */
int oci_cache_check_owned(int fd, const char *what, mode_t forbidden, oci_error *err);
/* With locking (the shared cache), the directory, its sha256/, sha512/ and .locks/ must be
 * ours and closed to others (oci_cache_check_owned, 022), else it is refused. */
int oci_cache_open(oci_cache *c, const char *path, bool locking, oci_error *err);
/* A private store in $TMPDIR (or /var/tmp), removed by release. */
int oci_cache_open_temp(oci_cache *c, oci_error *err);
void oci_cache_release(oci_cache *c);

/* Look a blob up. With verify, its size and digest are checked and a corrupt entry is removed
 * (and reported as absent); without, only the size. Returns 1 with *fd open for reading,
 * 0 when absent, -1 on error. */
int oci_cache_get(oci_cache *c, const oci_digest *d, int64_t size, bool verify, int *fd,
		  oci_error *err);
/* Whether the bytes of blob d need no hashing (see oci_cache_get_unless). */
typedef bool (*oci_cache_unneeded_fn)(void *ud, const oci_digest *d);
/* oci_cache_get, with verify asking unneeded(ud, d) before and while hashing: once it says
 * yes, the blob is returned unhashed (its size still checked) and *skipped (may be NULL) set.
 * Only for bytes that reach no one who relies on them (oci_treecache_claimed). */
int oci_cache_get_unless(oci_cache *c, const oci_digest *d, int64_t size, bool verify,
			 oci_cache_unneeded_fn unneeded, void *ud, bool *skipped, int *fd,
			 oci_error *err);
/* A new temporary file next to where d will live, open read-write; name receives its
 * path relative to the store. */
int oci_cache_tmp(oci_cache *c, const oci_digest *d, char *name, size_t len, oci_error *err);
/* Atomically move a complete, verified temporary file into place. */
int oci_cache_commit(oci_cache *c, const char *tmpname, const oci_digest *d, oci_error *err);
void oci_cache_discard(oci_cache *c, const char *tmpname);
/* Per-blob inter-process lock (flock): 1 when taken (*lockfd set), 0 when another process
 * holds it, -1 on error. Without locking, always 1 with *lockfd = -1. */
/* The lock file name below dirfd (made with mode), flock'ed with how (LOCK_SH or LOCK_EX)
 * without waiting: its fd, -2 when another process holds it, or -1 (path names the cache in
 * the message). The blob store's locks and the rootfs cache's are both taken this way. */
int oci_cache_lock_at(int dirfd, const char *name, mode_t mode, int how, const char *path,
		      oci_error *err);
int oci_cache_trylock(oci_cache *c, const oci_digest *d, int *lockfd, oci_error *err);
void oci_cache_unlock(int *lockfd);
/* One file of the store, for list and prune. */
typedef struct oci_cache_entry {
	char name[OCI_DIGEST_STR_MAX + 64]; /* "sha256:<hex>", or the file name of a partial one */
	bool partial;			    /* a download that never finished (or is running) */
	uint64_t size;
	time_t used; /* last written or reused (reuse refreshes it) */
} oci_cache_entry;

/* Every blob and partial download in the store (sorted, most recently used first) into a new
 * array *out of *n entries. */
int oci_cache_list(oci_cache *c, oci_cache_entry **out, size_t *n, oci_error *err);

typedef struct oci_cache_prune_stats {
	size_t removed, kept, busy;
	uint64_t removed_bytes, kept_bytes;
} oci_cache_prune_stats;

/* Remove the blobs and partial downloads last used before cutoff (every one when all). A blob
 * another process is downloading (its lock is held) is left alone and counted as busy; lock
 * files of blobs no longer there go too. */
int oci_cache_prune(oci_cache *c, bool all, time_t cutoff, oci_cache_prune_stats *st,
		    oci_error *err);

/* "90s", "30m", "12h", "7d", "2w" as seconds (a number needs its unit). */
int oci_cache_parse_age(const char *s, uint64_t *secs, oci_error *err);

/* Hard-link the blob open (and verified) as fd to dirfd/name: that very inode, not whatever
 * its name in the store is by now, and only when it is ours and nobody else can write it (a
 * blob planted in a cache others can write has the right bytes until its owner changes them
 * in the layout too). false when not linked: the caller copies it. */
bool oci_cache_link(int fd, int dirfd, const char *name);
#endif
