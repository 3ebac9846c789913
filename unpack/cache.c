/* oci-unpack --cache: once an image's config is known, the longest prefix of its layers that
 * the rootfs cache (common/treecache.c) holds is cloned into the staging root and those
 * layers are only read through (their blob digests checked); after a finished unpack that was
 * not all cloned, the flattened tree is kept for the next one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cache.h"
#include "common/log.h"
#include "common/treecache.h"
#include "common/util.h"
#include "unpack/unpack.h"

struct oci_unpack_cache {
	oci_cache blobs;
	oci_treecache trees;
	size_t n;
	oci_digest *chain, *layers;
	size_t cloned; /* layers the clone stands for */
	bool began;
};

int oci_unpack_cache_attach(oci_unpack_root *r, oci_error *err)
{
	const oci_unpack_opts *o = r->opts;
	if (o->rootless || o->n_uid_maps || o->n_gid_maps)
		return oci_err(err, OCI_E_INVALID,
			       "--cache keeps trees unpacked as root without id maps: it cannot be "
			       "used with --rootless, --uid-map or --gid-map");
	oci_unpack_cache *c = oci_calloc(1, sizeof(*c), err);
	if (!c)
		return -1;
	c->blobs.dirfd = c->trees.dirfd = c->trees.lockfd = -1;
	r->cache = c;
	cleanup_free char *dir =
	    o->cache_dir ? oci_strdup(o->cache_dir, err) : oci_cache_default_dir(err);
	if (!dir || oci_cache_open(&c->blobs, dir, true, err) < 0 ||
	    oci_treecache_open(&c->trees, &c->blobs, err) < 0)
		return oci_err_prefix(err, "--cache");
	if (o->cache_max)
		c->trees.max_bytes = o->cache_max;
	c->trees.limit_bytes = o->max_bytes;
	c->trees.limit_files = o->max_files;
	return 0;
}

void oci_unpack_cache_detach(oci_unpack_root *r)
{
	oci_unpack_cache *c = r->cache;
	if (!c)
		return;
	oci_treecache_release(&c->trees);
	oci_cache_release(&c->blobs);
	free(c->chain);
	free(c->layers);
	free(c);
	r->cache = NULL;
}

/* Directories of a clone that later layers build on: finish restores their modes and
 * times as after a fresh unpack. */
static int note_dir(void *ud, const char *path, const struct stat *st, oci_error *err)
{
	oci_unpack_root *r = ud;
	if (!path) {
		r->n_dirs = 0;
		oci_unpack_pathtree_release(&r->dir_tree);
		return 0;
	}
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	return oci_unpack_root_note_dir(r, path, st->st_mode, ts, err);
}

int oci_unpack_cache_begin(oci_unpack_root *r, const oci_digest *diff_ids,
			   const oci_descriptor *layers, size_t n, oci_error *err)
{
	oci_unpack_cache *c = r->cache;
	if (!c || c->began || n == 0)
		return 0;
	c->began = true;
	c->chain = oci_calloc(n, sizeof(*c->chain), err);
	c->layers = oci_calloc(n, sizeof(*c->layers), err);
	if (!c->chain || !c->layers)
		return -1;
	for (size_t i = 0; i < n; i++)
		c->layers[i] = layers[i].digest;
	if (oci_treecache_chain_ids(diff_ids, n, c->chain, err) < 0)
		return -1;
	c->n = n;
	/* Before the clone, which takes a while: an oci-fetch --cache writing into our pipe
	 * stops hashing the blobs of the tree we are about to clone (their bytes still come,
	 * and are only counted, as skip_layer does). Should the clone then fall short, the
	 * layers it does not cover are applied as always, their digests checked by us. */
	size_t want = oci_treecache_peek(&c->trees, c->chain, c->layers, n);
	oci_error ce = OCI_ERROR_INIT;
	if (want && r->stream_fd >= 0 &&
	    oci_treecache_claim(&c->trees, r->stream_fd, c->layers, want, &ce) < 0)
		log_debug("%s (oci-fetch hashes the cached blobs again)", ce.msg);
	if (oci_treecache_use(&c->trees, c->chain, c->layers, n, r->rootfd, note_dir, r, &c->cloned,
			      err) < 0)
		return oci_err_prefix(err, "cache");
	if (c->cloned < want)
		oci_treecache_unclaim(&c->trees);
	r->skip_layers = c->cloned;
	if (c->cloned)
		log_debug("cache: %zu of %zu layers cloned from the rootfs cache", c->cloned, n);
	return 0;
}

void oci_unpack_cache_end(oci_unpack_root *r)
{
	oci_unpack_cache *c = r->cache;
	if (!c || !c->n || c->cloned == c->n)
		return;
	oci_error err = OCI_ERROR_INIT;
	if (oci_treecache_store(&c->trees, c->chain, c->layers, c->n, r->rootfd, &err) < 0)
		log_warn("%s (the rootfs is complete; it is just not cached)", err.msg);
}
