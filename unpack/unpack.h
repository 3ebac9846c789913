/* oci-unpack's internal API, shared by its modules: options and limits, the root filesystem
 * being built (apply.c, whiteout.c), one layer read in one pass (layer.c) with its
 * verification (verify.c), decompressors (decompress.c) and worker threads (pipeline.c), the
 * image being assembled from a stream, a layout or a docker-save archive (input.c,
 * stream.c), the private staging directory that is published by rename (stage.c), and
 * interruption by a signal (common/util.c's oci_interrupt_install). */
#ifndef OCI_UNPACK_H
#define OCI_UNPACK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/media.h"
#include "common/safepath.h"

struct archive;
struct archive_entry;

/* Default bounds; all can be changed on the command line. */
#define UNPACK_DEFAULT_MAX_BYTES   (64ull << 30) /* uncompressed bytes over all layers */
#define UNPACK_DEFAULT_MAX_FILES   (4u << 20)	 /* tar entries over all layers */
#define UNPACK_DEFAULT_MAX_PADDING (4u << 20)	 /* bytes after a layer's tar end marker */
#define UNPACK_DEFAULT_ZSTD_WLOG   27		 /* 128 MiB zstd window */

typedef struct oci_unpack_idmap {
	uint32_t inside, outside, count;
} oci_unpack_idmap;

#define UNPACK_MAX_IDMAPS 16

typedef struct oci_unpack_opts {
	uint64_t max_bytes;
	uint64_t max_files;
	uint64_t max_padding;
	int zstd_window_log;
	bool rootless;	       /* not root: no chown, no device nodes, owners kept in an xattr */
	bool use_zlib;	       /* force zlib even when ISA-L is built in (benchmarks) */
	bool no_threads;       /* inflate on the calling thread (benchmarks, tests) */
	bool cache;	       /* --cache: clone and keep flattened trees in the rootfs cache */
	const char *cache_dir; /* its root (the blob cache's); NULL: the default */
	uint64_t cache_max;    /* --cache-max */
	size_t n_uid_maps, n_gid_maps;
	oci_unpack_idmap uid_maps[UNPACK_MAX_IDMAPS], gid_maps[UNPACK_MAX_IDMAPS];
} oci_unpack_opts;

/* ---- a string set/map (strmap.c) ---- */
typedef struct oci_unpack_strmap {
	char **keys;
	uint32_t *vals;
	size_t cap, len;
} oci_unpack_strmap;

int oci_unpack_strmap_put(oci_unpack_strmap *m, const char *key, uint32_t val, oci_error *err);
/* Returns true and sets *val when key is present. */
bool oci_unpack_strmap_get(const oci_unpack_strmap *m, const char *key, uint32_t *val);
void oci_unpack_strmap_clear(oci_unpack_strmap *m);

/* ---- a tree of paths (pathtree.c) ---- */
#define UNPACK_NODE_NONE UINT32_MAX
typedef struct oci_unpack_pathnode {
	uint32_t parent, first_child, next, prev; /* ids; UNPACK_NODE_NONE when there is none */
	uint32_t val;				  /* the owner's value; 0 until it sets one */
	uint32_t name_off; /* in the tree's name arena (not NUL-terminated) */
	uint16_t name_len;
	uint16_t depth; /* components from the root (node 0, "") */
	uint8_t flags;
} oci_unpack_pathnode;

typedef struct oci_unpack_pathtree {
	oci_unpack_pathnode *nodes;
	size_t n, cap, max_nodes;
	char *names;
	size_t names_len, names_cap;
	uint32_t *slots; /* open addressing: (parent, name) -> id */
	size_t n_slots;
} oci_unpack_pathtree;

/* An empty tree (the root, node 0, comes with the first add) of at most max_nodes nodes
 * (OCI_E_LIMIT beyond). release frees it and leaves it empty, ready for reuse. */
void oci_unpack_pathtree_init(oci_unpack_pathtree *t, size_t max_nodes);
void oci_unpack_pathtree_release(oci_unpack_pathtree *t);
/* Record a cleaned path ("" is the root) and return its node in *out. Nodes created (or
 * brought back after a detach) on the way get val = fill, as does an existing node whose val
 * is 0; other values are kept. Costs one step per component. */
int oci_unpack_pathtree_add(oci_unpack_pathtree *t, const char *path, uint32_t fill, uint32_t *out,
			    oci_error *err);
/* The node of a cleaned path, or of one name under parent; UNPACK_NODE_NONE when absent. */
uint32_t oci_unpack_pathtree_find(const oci_unpack_pathtree *t, const char *path);
uint32_t oci_unpack_pathtree_child(const oci_unpack_pathtree *t, uint32_t parent, const char *name,
				   size_t len);
/* Forget a node and everything below it (a later add brings nodes back, with fill). A
 * detached subtree is never walked again: the cost is paid once per node recorded. */
void oci_unpack_pathtree_detach(oci_unpack_pathtree *t, uint32_t id);
/* Whether id is a node that was not detached since it was last added. */
bool oci_unpack_pathtree_live(const oci_unpack_pathtree *t, uint32_t id);
/* Flag a node as an opaque directory; false when it already was. */
bool oci_unpack_pathtree_set_opaque(oci_unpack_pathtree *t, uint32_t id);
/* A node's path, allocated. */
char *oci_unpack_pathtree_path(const oci_unpack_pathtree *t, uint32_t id, oci_error *err);

/* ---- file writers (writer.c): new regular files filled by worker threads ---- */
struct oci_unpack_root;
typedef struct oci_unpack_writers oci_unpack_writers;
/* Writes a created file's data (len bytes from offset 0) and metadata through fd. */
typedef int (*oci_unpack_writer_fn)(struct oci_unpack_root *r, int fd, struct archive_entry *e,
				    const unsigned char *data, size_t len, oci_error *err);
/* A pool of workers running fn, or NULL (not an error) when the machine has one CPU, the
 * options ask for no threads, or no thread could start: then the caller writes itself. */
oci_unpack_writers *oci_unpack_writers_new(struct oci_unpack_root *r, oci_unpack_writer_fn fn,
					   oci_error *err);
/* Whether a file of size bytes is handed to the workers (small enough to be copied). */
bool oci_unpack_writers_fit(int64_t size);
/* Hand over fd (closed by the worker), a copy of e, and data (malloc'ed, freed by the pool);
 * waits while too much is in flight. -1 with an earlier job's error, or on ENOMEM. */
int oci_unpack_writers_submit(oci_unpack_writers *w, int fd, struct archive_entry *e,
			      unsigned char *data, size_t len, oci_error *err);
/* Wait until every job is done; the first failure of any, prefixed with its entry. NULL: 0. */
int oci_unpack_writers_drain(oci_unpack_writers *w, oci_error *err);
/* Stop the workers (jobs not started are discarded) and free the pool. NULL is a no-op. */
void oci_unpack_writers_free(oci_unpack_writers *w);

/* ---- the root filesystem being built (apply.c) ---- */
typedef struct oci_unpack_dirmeta {
	uint32_t node; /* in oci_unpack_root.dir_tree; stale once that node's val is not this index
			  + 1 */
	mode_t mode;
	struct timespec atime, mtime;
} oci_unpack_dirmeta;

typedef struct oci_unpack_root {
	int rootfd;
	const oci_unpack_opts *opts;
	uint64_t bytes;	 /* uncompressed bytes read so far (all layers) */
	uint64_t files;	 /* entries so far (all layers) */
	uint64_t layers; /* layers applied so far (progress) */
	bool touched;	 /* an entry got past its checks: the root may have been written */
	/* Paths of the current layer: val 1 = an entry, 2 = only an ancestor of one, 0 = neither
	 * (an opaque directory's node). */
	oci_unpack_pathtree layer_tree;
	uint32_t *opaque; /* layer_tree nodes of directories marked opaque in the current layer */
	size_t n_opaque, cap_opaque;
	oci_unpack_dirmeta *dirs; /* directory modes and times, applied at the end */
	size_t n_dirs, cap_dirs;
	oci_unpack_pathtree dir_tree; /* recorded directories: val = index in dirs + 1 */
	bool warned_xattr;	      /* set atomically: writers share it */
	oci_unpack_writers *writers;  /* NULL: files are written on the calling thread */
	bool writers_tried;
	struct oci_unpack_cache *cache; /* --cache: the rootfs cache, NULL without */
	/* the parent directories of the last entry (common/safepath.h's cursor): told of every
	 * removal under the root (oci_unpack_root_removed) */
	oci_safe_cursor cursor;
	size_t skip_layers; /* layers below this index came from the cache: read, not applied */
	int stream_fd;	    /* the image stream's fd (oci_unpack_stream), -1 for other inputs */
} oci_unpack_root;

int oci_unpack_root_init(oci_unpack_root *r, int rootfd, const oci_unpack_opts *opts,
			 oci_error *err);
void oci_unpack_root_release(oci_unpack_root *r);
/* Apply one tar entry (its data is read from a). */
int oci_unpack_apply_entry(oci_unpack_root *r, struct archive *a, struct archive_entry *e,
			   oci_error *err);
/* Prefix err with "entry 'NAME'"; a name too long to leave room for the reason in one error
 * message is cut, and says how long it was. */
int oci_unpack_err_entry(oci_error *err, const char *name);
/* Wait for the file writers; their first error. */
int oci_unpack_root_sync(oci_unpack_root *r, oci_error *err);
/* End of a layer: the file writers are waited for, and opaque directories lose what lower
 * layers put in them. */
int oci_unpack_root_end_layer(oci_unpack_root *r, oci_error *err);
/* After the last layer: the file writers are waited for, then directory modes and times,
 * deepest first. */
int oci_unpack_root_finish(oci_unpack_root *r, oci_error *err);
/* Something under the root was removed or replaced: no lookup kept may be used again. */
void oci_unpack_root_removed(oci_unpack_root *r);
/* The directory dir (clean, "" for the root) by the beneath rule, through the cursor: the fd
 * is the cursor's, valid until the next lookup; OCI_E_UNSAFE for a symlink leading out. */
int oci_unpack_root_dir(oci_unpack_root *r, const char *dir, oci_error *err);
/* Forget recorded directory metadata at or below path (it was removed). */
void oci_unpack_root_forget(oci_unpack_root *r, const char *path);

/* Record a directory's mode and times (atime, mtime), restored by finish. */
int oci_unpack_root_note_dir(oci_unpack_root *r, const char *path, mode_t mode,
			     const struct timespec ts[2], oci_error *err);

/* Record path (and its ancestors) as part of the current layer. */
int oci_unpack_root_mark(oci_unpack_root *r, const char *path, oci_error *err);

/* ---- whiteouts (whiteout.c) ---- */
/* If leaf is a whiteout name, handle it and return 1; 0 when it is an ordinary entry. */
int oci_unpack_whiteout(oci_unpack_root *r, const char *path, const char *leaf, oci_error *err);
int oci_unpack_whiteout_opaque_finish(oci_unpack_root *r, oci_error *err);

/* ---- the rootfs cache (cache.c, over common/treecache.c) ---- */
typedef struct oci_unpack_cache oci_unpack_cache;
/* Open the cache of opts (refusing an unsafe one) and attach it to r. */
int oci_unpack_cache_attach(oci_unpack_root *r, oci_error *err);
/* The image's config and manifest are known: clone the longest cached prefix of its layers
 * into the root, and set r->skip_layers to it. */
int oci_unpack_cache_begin(oci_unpack_root *r, const oci_digest *diff_ids,
			   const oci_descriptor *layers, size_t n, oci_error *err);
/* After a finished unpack: keep the tree when it was not all cloned (a failure to store it
 * is a warning, not an error). */
void oci_unpack_cache_end(oci_unpack_root *r);
void oci_unpack_cache_detach(oci_unpack_root *r);

/* ---- ownership (rootless.c) ---- */
int oci_unpack_map_id(const oci_unpack_idmap *maps, size_t n, uint32_t id, uint32_t *out);
int oci_unpack_parse_idmap(const char *s, oci_unpack_idmap *maps, size_t *n, oci_error *err);
/* user.rootlesscontainers value (protobuf, as umoci writes it) into buf; returns its length. */
size_t oci_unpack_rootless_xattr(uint32_t uid, uint32_t gid, unsigned char *buf, size_t len);

/* ---- one layer (layer.c) ---- */
/* A source of compressed bytes: returns 1 with a block, 0 at the end, -1 on error. */
typedef int (*oci_unpack_source_fn)(void *ctx, const void **buf, size_t *len, oci_error *err);

typedef struct oci_unpack_layer_desc {
	size_t index, count; /* 0-based index, number of layers */
	int compression;     /* enum oci_compression, or -1: detect from magic */
	bool has_digest;     /* verify the compressed digest and size */
	oci_digest digest;
	int64_t size;
	bool has_diff_id;
	oci_digest diff_id;
	const char *name; /* for messages when there is no digest */
} oci_unpack_layer_desc;

/* Read one layer from src, verify it and apply it to r. Errors are prefixed with
 * "layer i/n sha256:...". */
int oci_unpack_layer_apply(oci_unpack_root *r, const oci_unpack_layer_desc *d,
			   oci_unpack_source_fn src, void *src_ctx, oci_error *err);
/* A source reading an fd to its end. */
typedef struct oci_unpack_fd_source {
	int fd;
	unsigned char *buf;
	size_t cap;
} oci_unpack_fd_source;
int oci_unpack_fd_source_read(void *ctx, const void **buf, size_t *len, oci_error *err);
int oci_unpack_layer_apply_fd(oci_unpack_root *r, const oci_unpack_layer_desc *d, int fd,
			      oci_error *err);

/* ---- layer verification (verify.c) ---- */
/* Hashes and byte counts of a layer's compressed and uncompressed streams. */
typedef struct oci_unpack_verify {
	oci_hasher *compressed, *raw;
	uint64_t comp_bytes, raw_bytes;
} oci_unpack_verify;

int oci_unpack_verify_init(oci_unpack_verify *v, const oci_unpack_layer_desc *ld, oci_error *err);
void oci_unpack_verify_release(oci_unpack_verify *v);
int oci_unpack_verify_compressed(oci_unpack_verify *v, const void *buf, size_t len, oci_error *err);
int oci_unpack_verify_raw(oci_unpack_verify *v, const void *buf, size_t len, oci_error *err);
/* At the layer's end: the descriptor's digest and size, and the diff_id, where ld has them. */
int oci_unpack_verify_finish(oci_unpack_verify *v, const oci_unpack_layer_desc *ld, oci_error *err);

/* ---- decompressors (decompress.c) ---- */
typedef struct oci_unpack_decompressor oci_unpack_decompressor;

/* The compression a layer's first bytes announce (enum oci_compression): gzip, zstd or none. */
int oci_unpack_compression_detect(const void *buf, size_t len);
/* A decompressor for comp (enum oci_compression; anything else passes data through) that
 * takes compressed blocks from pull. */
oci_unpack_decompressor *oci_unpack_decompressor_new(int comp, const oci_unpack_opts *opts,
						     oci_unpack_source_fn pull, void *pull_ctx,
						     oci_error *err);
/* The next uncompressed block, written into out (at most cap bytes) with *buf = out, or for
 * uncompressed data the source's own block in *buf: > 0 bytes, 0 at the end, -1 on error. */
ssize_t oci_unpack_decompressor_next(oci_unpack_decompressor *z, unsigned char *out, size_t cap,
				     const void **buf, oci_error *err);
void oci_unpack_decompressor_free(oci_unpack_decompressor *z);

/* ---- the pipeline (pipeline.c): inflate and hash on threads of their own ---- */
typedef struct oci_unpack_pipeline oci_unpack_pipeline;
/* The worker's job: one output block into out (at most cap bytes), as
 * oci_unpack_decompressor_next. */
typedef ssize_t (*oci_unpack_produce_fn)(void *ctx, unsigned char *out, size_t cap,
					 const void **buf, oci_error *err);
/* The hasher's job: take in one block of a stream (the compressed input, or the output). */
typedef int (*oci_unpack_hash_fn)(void *ctx, const void *buf, size_t len, oci_error *err);

/* A pipeline whose caller side reads src and whose worker runs produce, which takes its
 * input with oci_unpack_pipeline_pop; a third thread passes every input block to hash_in and
 * every output block to hash_out, in order (both NULL: no hasher). Nothing runs before
 * oci_unpack_pipeline_start. */
oci_unpack_pipeline *oci_unpack_pipeline_new(oci_unpack_source_fn src, void *src_ctx,
					     oci_unpack_produce_fn produce, void *produce_ctx,
					     oci_unpack_hash_fn hash_in,
					     oci_unpack_hash_fn hash_out, void *hash_ctx,
					     size_t out_cap, oci_error *err);
int oci_unpack_pipeline_start(oci_unpack_pipeline *p, oci_error *err);
/* Worker's side: the next input block (1), 0 at the source's end, -1 when stopped. */
int oci_unpack_pipeline_pop(oci_unpack_pipeline *p, const void **buf, size_t *len, oci_error *err);
/* Caller's side: the next output block, reading the source ahead while the input ring has
 * room: > 0 bytes, 0 at the end (every block hashed by then), -1 with err set (the worker's
 * error, the hasher's, the source's, or an interruption). The block stays valid until the
 * next call. */
ssize_t oci_unpack_pipeline_next(oci_unpack_pipeline *p, const void **buf, oci_error *err);
/* Stop the threads and wait for them (quick: they only wait on the rings). NULL is a no-op. */
void oci_unpack_pipeline_stop(oci_unpack_pipeline *p);
void oci_unpack_pipeline_free(oci_unpack_pipeline *p);

/* ---- staging (stage.c) ---- */
typedef struct oci_unpack_stage {
	char *dest;   /* as given */
	char *name;   /* last component of dest */
	int parentfd; /* directory holding dest */
	int destfd;   /* dest when it existed (inside mode), else -1 */
	int tmpfd;    /* the private staging directory */
	char tmpname[64];
	bool inside; /* dest is a mount point: stage inside it, move children at the end */
	int rootfd;  /* tmp/rootfs */
	int spoolfd; /* tmp/spool */
} oci_unpack_stage;

int oci_unpack_stage_begin(oci_unpack_stage *s, const char *dest, oci_error *err);
int oci_unpack_stage_publish(oci_unpack_stage *s, oci_error *err);
void oci_unpack_stage_abort(oci_unpack_stage *s);

/* ---- image assembly (input.c) ---- */
typedef struct oci_unpack_image {
	oci_unpack_root *root;
	const char *ref; /* tag or @digest to pick in index.json, may be NULL */
	oci_platform platform;
	/* the document wanted next: an index or a manifest */
	bool have_want;
	oci_descriptor want;
	bool have_manifest;
	oci_manifest manifest;
	oci_digest manifest_digest;
	bool have_config;
	oci_image_config config;
	char *config_blob;
	size_t config_len;
	size_t next_layer;
	bool done;
	/* Where blobs can be found when they are not streamed: a directory holding blobs/ALG/HEX
	 * (a layout) or ALG-HEX files (the spool). */
	int blobdirfd;
	bool blobdir_is_layout;
} oci_unpack_image;

void oci_unpack_image_init(oci_unpack_image *img, oci_unpack_root *root);
void oci_unpack_image_release(oci_unpack_image *img);
/* index.json of a layout or stream: choose the manifest (by ref, then platform). */
int oci_unpack_image_set_index(oci_unpack_image *img, const char *buf, size_t len, oci_error *err);
/* What role a blob plays: 0 unneeded (only when the manifest is known), 1 wanted document,
 * 2 config, 3 next layer to apply now, 4 needed later (or unknown yet: spool). */
enum {
	UNPACK_BLOB_UNNEEDED = 0,
	UNPACK_BLOB_DOC,
	UNPACK_BLOB_CONFIG,
	UNPACK_BLOB_LAYER_NOW,
	UNPACK_BLOB_LATER
};
int oci_unpack_image_blob_role(oci_unpack_image *img, const oci_digest *d);
/* A document blob (index, manifest or config) read whole: verify and take it in. */
int oci_unpack_image_take_doc(oci_unpack_image *img, const oci_digest *d, const char *buf,
			      size_t len, oci_error *err);
/* The current layer's descriptor. */
void oci_unpack_image_layer_desc(oci_unpack_image *img, oci_unpack_layer_desc *ld);
/* Whether the next layer's digest is used again by a later layer (must be kept). */
bool oci_unpack_image_layer_reused(oci_unpack_image *img);
/* Use blobs available in blobdirfd until nothing more can be done. */
int oci_unpack_image_advance(oci_unpack_image *img, oci_error *err);
/* Everything applied? Otherwise an error naming what is missing. */
int oci_unpack_image_check_done(oci_unpack_image *img, oci_error *err);

/* ---- inputs (stream.c, input.c) ---- */
typedef struct oci_unpack_input {
	const char *ref;
	oci_platform platform;
	/* outputs */
	char *config_blob; /* the verified image config (docker-save: the config file) */
	size_t config_len;
} oci_unpack_input;

/* An oci-archive or docker-save tar read from fd. */
int oci_unpack_stream(oci_unpack_root *r, int fd, int spoolfd, oci_unpack_input *in,
		      oci_error *err);
/* An OCI layout directory. */
int oci_unpack_layout(oci_unpack_root *r, const char *path, oci_unpack_input *in, oci_error *err);
/* A docker-save archive already spooled (manifest.json and files by name in spoolfd). */
int oci_unpack_docker_save(oci_unpack_root *r, int spoolfd, oci_unpack_strmap *names,
			   oci_unpack_input *in, oci_error *err);

#endif
