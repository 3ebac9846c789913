/* The rootfs cache: flattened, verified root filesystems kept beside the blob store
 * (<cache>/rootfs/<chain id hex>/), so a second unpack of the same image clones one tree
 * (FICLONE reflinks where the filesystem has them, a plain copy elsewhere) instead of
 * inflating and applying every layer again. */
#ifndef OCI_COMMON_TREECACHE_H
#define OCI_COMMON_TREECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "common/cache.h"
#include "common/digest.h"
#include "common/error.h"

#define OCI_TREECACHE_DEFAULT_MAX (10ull << 30) /* bytes over all trees, then LRU eviction */

typedef struct oci_treecache {
	int dirfd; /* <cache>/rootfs: owned by us, 0700 */
	int lockfd;
	char *path;
	uint64_t max_bytes;
	/* The caller's bounds on a tree (oci-unpack's --max-bytes, --max-files; 0: none): a tree
	 * whose disk usage or inode count is over either is not cloned, so the caller unpacks
	 * afresh and its own checks apply. */
	uint64_t limit_bytes, limit_files;
	char claim[64]; /* the note oci_treecache_claim left, withdrawn by release */
} oci_treecache;

/* Open (create) <blobs->path>/rootfs. The cache root must be owned by the caller and not
 * writable by group or others, rootfs/ must be a real directory of ours with mode 0700:
 * anything else is refused (OCI_E_UNSAFE), never repaired. */
int oci_treecache_open(oci_treecache *t, oci_cache *blobs, oci_error *err);
/* Like open, but 0 with t->dirfd = -1 when there is no rootfs/ yet (list, prune). */
int oci_treecache_open_existing(oci_treecache *t, oci_cache *blobs, oci_error *err);
void oci_treecache_release(oci_treecache *t);

/* The image-spec chain ids of diff_ids[0..n) into chain[0..n). */
int oci_treecache_chain_ids(const oci_digest *diff_ids, size_t n, oci_digest *chain,
			    oci_error *err);

/* Called for each directory cloned (path relative to the root, "" for the root); with path
 * NULL when a clone failed and what it reported is void. */
typedef int (*oci_treecache_dir_fn)(void *ud, const char *path, const struct stat *st,
				    oci_error *err);

/* Clone the longest cached prefix of the image (chain ids chain[0..n), built from the layer
 * blobs layers[0..n)) into dstfd, an empty directory. An entry is used only when it was built
 * from the same layer blobs and every inode of it is as it was recorded (ctime, mode, owner,
 * size); a tampered or unreadable entry is removed and the next shorter prefix tried. *k gets
 * the number of layers the clone stands for (0: nothing cached; dstfd is left empty). */
int oci_treecache_use(oci_treecache *t, const oci_digest *chain, const oci_digest *layers, size_t n,
		      int dstfd, oci_treecache_dir_fn dirfn, void *ud, size_t *k, oci_error *err);

/* How many layers the longest finished tree of the image (as for use) stands for, by its
 * manifest's head alone: what use will most likely clone. */
size_t oci_treecache_peek(oci_treecache *t, const oci_digest *chain, const oci_digest *layers,
			  size_t n);

/* The stream handshake. oci-unpack --cache reading an image from a pipe (infd) whose tree of
 * layers[0..k) is cached leaves a note "the process whose stdin is this pipe needs no byte of
 * these blobs" in rootfs/; oci-fetch --cache writing the stream into that very pipe then does
 * not hash those cached blobs again (oci_treecache_claimed): it still sends them whole, so
 * the stream is the same oci-archive. Best effort: 0 when infd is no pipe. The note goes with
 * release. */
int oci_treecache_claim(oci_treecache *t, int infd, const oci_digest *layers, size_t k,
			oci_error *err);
void oci_treecache_unclaim(oci_treecache *t);
/* Whether the bytes of blob d written to outfd need no hashing: outfd is a pipe, a note names
 * it and d, and the process that left it reads this very pipe as its stdin now (so the bytes
 * reach no one else: another reader, a tee in between, a note left over by a process gone or
 * written for another pipe, and the blob is hashed as always). */
bool oci_treecache_claimed(oci_treecache *t, int outfd, const oci_digest *d);

/* Record srcfd (a complete, verified rootfs) as the tree of chain[n-1]: cloned into a
 * private directory, recorded, synced, then renamed into place, so a crash or a full disk
 * never leaves a half tree that is trusted later. Another process filling the same entry
 * makes this a no-op. Then trees least recently used are evicted beyond t->max_bytes. */
int oci_treecache_store(oci_treecache *t, const oci_digest *chain, const oci_digest *layers,
			size_t n, int srcfd, oci_error *err);

typedef struct oci_treecache_entry {
	char name[OCI_DIGEST_STR_MAX]; /* the chain id */
	uint64_t size;
	size_t layers;
	time_t used;
} oci_treecache_entry;

/* Every tree, most recently used first (a new array). */
int oci_treecache_list(oci_treecache *t, oci_treecache_entry **out, size_t *n, oci_error *err);
/* Remove the trees last used before cutoff (every one when all), and leftovers of processes
 * that died filling one; trees in use (locked) are counted as busy. */
int oci_treecache_prune(oci_treecache *t, bool all, time_t cutoff, oci_cache_prune_stats *st,
			oci_error *err);
#endif
