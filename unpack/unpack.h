/* oci-unpack's internal API, shared by its modules: options and limits, the root filesystem
 * being built (apply.c, whiteout.c), one layer's decode pipeline (layer.c), the image being
 * assembled from a stream, a layout or a docker-save archive (input.c, stream.c), and the
 * private staging directory that is published by rename (stage.c). */
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

struct archive;
struct archive_entry;

/* Default bounds; all can be changed on the command line. */
#define UNPACK_DEFAULT_MAX_BYTES   (64ull << 30) /* uncompressed bytes over all layers */
#define UNPACK_DEFAULT_MAX_FILES   (4u << 20)    /* tar entries over all layers */
#define UNPACK_DEFAULT_MAX_PADDING (4u << 20)    /* bytes after a layer's tar end marker */
#define UNPACK_DEFAULT_ZSTD_WLOG   27            /* 128 MiB zstd window */

typedef struct unpack_idmap {
	uint32_t inside, outside, count;
} unpack_idmap;

#define UNPACK_MAX_IDMAPS 16

typedef struct unpack_opts {
	uint64_t max_bytes;
	uint64_t max_files;
	uint64_t max_padding;
	int zstd_window_log;
	bool rootless; /* not root: no chown, no device nodes, owners kept in an xattr */
	bool use_zlib; /* force zlib even when ISA-L is built in (benchmarks) */
	bool no_threads; /* inflate on the calling thread (benchmarks, tests) */
	size_t n_uid_maps, n_gid_maps;
	unpack_idmap uid_maps[UNPACK_MAX_IDMAPS], gid_maps[UNPACK_MAX_IDMAPS];
} unpack_opts;

/* ---- a string set/map (pathset.c) ---- */
typedef struct unpack_strmap {
	char **keys;
	uint32_t *vals;
	size_t cap, len;
} unpack_strmap;

int unpack_strmap_put(unpack_strmap *m, const char *key, uint32_t val, oci_error *err);
/* Returns true and sets *val when key is present. */
bool unpack_strmap_get(const unpack_strmap *m, const char *key, uint32_t *val);
void unpack_strmap_clear(unpack_strmap *m);

/* ---- a tree of paths (pathtree.c) ---- */
#define UNPACK_NODE_NONE UINT32_MAX
typedef struct unpack_pathnode {
	uint32_t parent, first_child, next, prev; /* ids; UNPACK_NODE_NONE when there is none */
	uint32_t val;				  /* the owner's value; 0 until it sets one */
	uint32_t name_off; /* in the tree's name arena (not NUL-terminated) */
	uint16_t name_len;
	uint16_t depth; /* components from the root (node 0, "") */
	uint8_t flags;
} unpack_pathnode;

typedef struct unpack_pathtree {
	unpack_pathnode *nodes;
	size_t n, cap, max_nodes;
	char *names;
	size_t names_len, names_cap;
	uint32_t *slots; /* open addressing: (parent, name) -> id */
	size_t n_slots;
} unpack_pathtree;

/* An empty tree (the root, node 0, comes with the first add) of at most max_nodes nodes
 * (OCI_E_LIMIT beyond). release frees it and leaves it empty, ready for reuse. */
void unpack_pathtree_init(unpack_pathtree *t, size_t max_nodes);
void unpack_pathtree_release(unpack_pathtree *t);
/* Record a cleaned path ("" is the root) and return its node in *out. Nodes created (or
 * brought back after a detach) on the way get val = fill, as does an existing node whose val
 * is 0; other values are kept. Costs one step per component. */
int unpack_pathtree_add(unpack_pathtree *t, const char *path, uint32_t fill, uint32_t *out,
			oci_error *err);
/* The node of a cleaned path, or of one name under parent; UNPACK_NODE_NONE when absent. */
uint32_t unpack_pathtree_find(const unpack_pathtree *t, const char *path);
uint32_t unpack_pathtree_child(const unpack_pathtree *t, uint32_t parent, const char *name,
			       size_t len);
/* Forget a node and everything below it (a later add brings nodes back, with fill). A
 * detached subtree is never walked again: the cost is paid once per node recorded. */
void unpack_pathtree_detach(unpack_pathtree *t, uint32_t id);
/* Whether id is a node that was not detached since it was last added. */
bool unpack_pathtree_live(const unpack_pathtree *t, uint32_t id);
/* Flag a node as an opaque directory; false when it already was. */
bool unpack_pathtree_set_opaque(unpack_pathtree *t, uint32_t id);
/* A node's path, allocated. */
char *unpack_pathtree_path(const unpack_pathtree *t, uint32_t id, oci_error *err);

/* ---- the root filesystem being built (apply.c) ---- */
typedef struct unpack_dirmeta {
	uint32_t
	    node; /* in unpack_root.dir_tree; stale once that node's val is not this index + 1 */
	mode_t mode;
	struct timespec atime, mtime;
} unpack_dirmeta;

typedef struct unpack_root {
	int rootfd;
	const unpack_opts *opts;
	uint64_t bytes; /* uncompressed bytes read so far (all layers) */
	uint64_t files; /* entries so far (all layers) */
	/* Paths of the current layer: val 1 = an entry, 2 = only an ancestor of one, 0 = neither
	 * (an opaque directory's node). */
	unpack_pathtree layer_tree;
	uint32_t *opaque; /* layer_tree nodes of directories marked opaque in the current layer */
	size_t n_opaque, cap_opaque;
	unpack_dirmeta *dirs; /* directory modes and times, applied at the end */
	size_t n_dirs, cap_dirs;
	unpack_pathtree dir_tree; /* recorded directories: val = index in dirs + 1 */
	bool warned_xattr;
} unpack_root;

int unpack_root_init(unpack_root *r, int rootfd, const unpack_opts *opts, oci_error *err);
void unpack_root_release(unpack_root *r);
/* Apply one tar entry (its data is read from a). */
int unpack_apply_entry(unpack_root *r, struct archive *a, struct archive_entry *e, oci_error *err);
/* Prefix err with "entry 'NAME'"; a name too long to leave room for the reason in one error
 * message is cut, and says how long it was. */
int unpack_err_entry(oci_error *err, const char *name);
/* End of a layer: opaque directories lose what lower layers put in them. */
int unpack_root_end_layer(unpack_root *r, oci_error *err);
/* After the last layer: directory modes and times, deepest first. */
int unpack_root_finish(unpack_root *r, oci_error *err);
/* Forget recorded directory metadata at or below path (it was removed). */
void unpack_root_forget(unpack_root *r, const char *path);

/* Record path (and its ancestors) as part of the current layer. */
int unpack_root_mark(unpack_root *r, const char *path, oci_error *err);

/* openat2(RESOLVE_BENEATH): a symlink leading out of the root is an OCI_E_UNSAFE error. */
int unpack_open_beneath(int rootfd, const char *path, int flags, oci_error *err);


/* ---- whiteouts (whiteout.c) ---- */
/* If leaf is a whiteout name, handle it and return 1; 0 when it is an ordinary entry. */
int unpack_whiteout(unpack_root *r, const char *path, const char *leaf, oci_error *err);
int unpack_whiteout_opaque_finish(unpack_root *r, oci_error *err);

/* ---- ownership (rootless.c) ---- */
int unpack_map_id(const unpack_idmap *maps, size_t n, uint32_t id, uint32_t *out);
int unpack_parse_idmap(const char *s, unpack_idmap *maps, size_t *n, oci_error *err);
/* user.rootlesscontainers value (protobuf, as umoci writes it) into buf; returns its length. */
size_t unpack_rootless_xattr(uint32_t uid, uint32_t gid, unsigned char *buf, size_t len);

/* ---- one layer (layer.c) ---- */
/* A source of compressed bytes: returns 1 with a block, 0 at the end, -1 on error. */
typedef int (*unpack_source_fn)(void *ctx, const void **buf, size_t *len, oci_error *err);

typedef struct unpack_layer_desc {
	size_t index, count;     /* 0-based index, number of layers */
	int compression;         /* enum oci_compression, or -1: detect from magic */
	bool has_digest;         /* verify the compressed digest and size */
	oci_digest digest;
	int64_t size;
	bool has_diff_id;
	oci_digest diff_id;
	const char *name;        /* for messages when there is no digest */
} unpack_layer_desc;

/* Read one layer from src, verify it and apply it to r. Errors are prefixed with
 * "layer i/n sha256:...". */
int unpack_layer_apply(unpack_root *r, const unpack_layer_desc *d, unpack_source_fn src, void *src_ctx,
		       oci_error *err);
/* A source reading an fd to its end. */
typedef struct unpack_fd_source {
	int fd;
	unsigned char *buf;
	size_t cap;
} unpack_fd_source;
int unpack_fd_source_read(void *ctx, const void **buf, size_t *len, oci_error *err);
int unpack_layer_apply_fd(unpack_root *r, const unpack_layer_desc *d, int fd, oci_error *err);

/* ---- interruption (stage.c) ---- */
extern volatile sig_atomic_t unpack_interrupted;
int unpack_check_interrupted(oci_error *err);
void unpack_signals_install(void);

/* ---- staging (stage.c) ---- */
typedef struct unpack_stage {
	char *dest;      /* as given */
	char *name;      /* last component of dest */
	int parentfd;    /* directory holding dest */
	int destfd;      /* dest when it existed (inside mode), else -1 */
	int tmpfd;       /* the private staging directory */
	char tmpname[64];
	bool inside;     /* dest is a mount point: stage inside it, move children at the end */
	int rootfd;      /* tmp/rootfs */
	int spoolfd;     /* tmp/spool */
} unpack_stage;

int unpack_stage_begin(unpack_stage *s, const char *dest, oci_error *err);
int unpack_stage_publish(unpack_stage *s, oci_error *err);
void unpack_stage_abort(unpack_stage *s);

/* ---- image assembly (input.c) ---- */
typedef struct unpack_image {
	unpack_root *root;
	const char *ref;       /* tag or @digest to pick in index.json, may be NULL */
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
} unpack_image;

void unpack_image_init(unpack_image *img, unpack_root *root);
void unpack_image_release(unpack_image *img);
/* index.json of a layout or stream: choose the manifest (by ref, then platform). */
int unpack_image_set_index(unpack_image *img, const char *buf, size_t len, oci_error *err);
/* What role a blob plays: 0 unneeded (only when the manifest is known), 1 wanted document,
 * 2 config, 3 next layer to apply now, 4 needed later (or unknown yet: spool). */
enum { UNPACK_BLOB_UNNEEDED = 0, UNPACK_BLOB_DOC, UNPACK_BLOB_CONFIG, UNPACK_BLOB_LAYER_NOW, UNPACK_BLOB_LATER };
int unpack_image_blob_role(unpack_image *img, const oci_digest *d);
/* A document blob (index, manifest or config) read whole: verify and take it in. */
int unpack_image_take_doc(unpack_image *img, const oci_digest *d, const char *buf, size_t len, oci_error *err);
/* The current layer's descriptor. */
void unpack_image_layer_desc(unpack_image *img, unpack_layer_desc *ld);
/* Whether the next layer's digest is used again by a later layer (must be kept). */
bool unpack_image_layer_reused(unpack_image *img);
/* Use blobs available in blobdirfd until nothing more can be done. */
int unpack_image_advance(unpack_image *img, oci_error *err);
/* Everything applied? Otherwise an error naming what is missing. */
int unpack_image_check_done(unpack_image *img, oci_error *err);

/* ---- inputs (stream.c, input.c) ---- */
typedef struct unpack_input {
	const char *ref;
	oci_platform platform;
	/* outputs */
	char *config_blob; /* the verified image config (docker-save: the config file) */
	size_t config_len;
} unpack_input;

/* An oci-archive or docker-save tar read from fd. */
int unpack_stream(unpack_root *r, int fd, int spoolfd, unpack_input *in, oci_error *err);
/* An OCI layout directory. */
int unpack_layout(unpack_root *r, const char *path, unpack_input *in, oci_error *err);
/* A docker-save archive already spooled (manifest.json and files by name in spoolfd). */
int unpack_docker_save(unpack_root *r, int spoolfd, unpack_strmap *names, unpack_input *in, oci_error *err);

#endif
