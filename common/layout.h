/* OCI image layout directories: oci-layout, index.json, blobs/<alg>/<hex>.
 *
 * Blobs are written through a temporary file, hashed while written, verified against the
 * expected digest and size, and renamed into place only when they match, so a layout never
 * holds a blob whose name lies about its content. */
#ifndef OCI_LAYOUT_H
#define OCI_LAYOUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/media.h"

typedef struct oci_layout {
	int dirfd;
	char *path;
	int usefd;	/* a writer's: its oci-layout, flock'ed shared while open */
	int holdfd;	/* a writer's: the layout's .writers.lock (0600), flock'ed shared */
	char *made;	/* the first directory of path the open made, or NULL */
	dev_t made_dev; /* the layout's directory, when made */
	ino_t made_ino;
	char *own_index; /* index.json as this writer wrote it when its tag was the only one */
	ino_t own_index_ino;
	bool made_files; /* oci-layout, index.json and blobs/ all made by the open */
} oci_layout;

/* Open a layout; with create, make the directory, oci-layout and an empty index.json if absent.
 * Refuses a directory whose oci-layout is missing or has an unknown imageLayoutVersion. */
/* Read dirfd/name, a file of a layout (which may come from anywhere), only if it is a regular
 * file (oci_open_regular_at: a FIFO there must not hang the reader). */
int oci_layout_read_file(int dirfd, const char *name, size_t max, char **out, size_t *len,
			 oci_error *err);
int oci_layout_open(const char *path, bool create, oci_layout *l, oci_error *err);
/* A failed writer's undo, when no other writer has the layout open: the layout's directory
 * (and the parents the open made) when the open made it; in a directory that was there, the
 * oci-layout, index.json and blobs/ the open made (all three), leaving the rest; else
 * nothing. Call before release. */
void oci_layout_discard(oci_layout *l);
void oci_layout_release(oci_layout *l);

/* Whether the layout holds blob d as it should: a regular file of that size (size < 0: any)
 * whose bytes hash to d. A blob of the right size but wrong bytes (a layout someone else
 * prepared, a damaged one) is not held: the caller writes it again. */
bool oci_layout_has_blob(oci_layout *l, const oci_digest *d, int64_t size);
/* A new fd of the layout's blobs/<alg> directory (made with create), neither component
 * reached through a symlink: one put there would take the blobs written out of the layout.
 * -1 with err set (OCI_E_UNSAFE for a symlink). */
int oci_layout_blob_dir(oci_layout *l, int alg, bool create, oci_error *err);
/* Open a blob for reading (O_NOFOLLOW, regular files only). */
int oci_layout_open_blob(oci_layout *l, const oci_digest *d, oci_error *err);
/* The same in the layout directory dirfd. blobs/ and blobs/<alg>/ are followed only when they
 * are symlinks of root's or ours (oci_open_dir_at): root reading a user's layout whose blobs/
 * is the user's link to a store only root may read would unpack root's images for them. -1
 * with err set: OCI_E_NOTFOUND when the blob (or its directory) is not there, OCI_E_UNSAFE
 * for another user's symlink or what is not a regular file. */
int oci_layout_open_blob_at(int dirfd, const oci_digest *d, oci_error *err);
/* Read a small blob (manifest, config) with a size cap, verified against its digest. */
int oci_layout_read_blob(oci_layout *l, const oci_digest *d, size_t max, char **out, size_t *len,
			 oci_error *err);
/* Write a whole buffer as a blob; its digest is computed (sha256) and returned in out. */
int oci_layout_put_blob(oci_layout *l, const void *data, size_t len, oci_digest *out,
			oci_error *err);

/* Streaming blob writer: bytes are hashed as written; commit verifies and renames. */
typedef struct oci_blob_writer {
	oci_layout *layout;
	int fd;
	int blobsfd, dirfd; /* blobs/ (where the temporary file is) and blobs/<alg> */
	char tmpname[96];   /* "blobs/.tmp-..." */
	oci_hasher *hasher;
	oci_digest want;
	int64_t want_size;
} oci_blob_writer;

int oci_blob_writer_start(oci_layout *l, const oci_digest *want, int64_t want_size,
			  oci_blob_writer *w, oci_error *err);
int oci_blob_writer_write(oci_blob_writer *w, const void *data, size_t len, oci_error *err);
int oci_blob_writer_commit(oci_blob_writer *w, oci_error *err);
/* Drop a writer that will not be committed (removes its temporary file). Safe after commit. */
void oci_blob_writer_abort(oci_blob_writer *w);

/* index.json */
json_t *oci_layout_read_index(oci_layout *l, oci_error *err); /* new reference */
/* Add or replace the manifest entry with the given ref name (tag), writing index.json atomically.
 * name may be NULL (entry without a ref name). */
int oci_layout_add_manifest(oci_layout *l, const oci_descriptor *d, const char *name,
			    oci_error *err);
/* Resolve "tag" or "@digest" or NULL (the only manifest) to a descriptor in index.json. */
int oci_layout_resolve(oci_layout *l, const char *name, oci_descriptor *out, json_t **index_doc,
		       oci_error *err);
#endif
