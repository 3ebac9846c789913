/* One layer in one pass: the compressed bytes are pulled from a source, verified
 * (verify.c), inflated (decompress.c), on a worker thread when it pays (pipeline.c), and
 * the tar stream is parsed by libarchive, each entry applied by apply.c as it comes. This
 * file ties them together and holds the bounds: total uncompressed bytes (--max-bytes) and
 * bytes after the tar end marker (the zstd window is the decompressor's). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "unpack/targuard.h"
#include "unpack/unpack.h"

#define OUT_CAP (512u << 10) /* an uncompressed block */
#define FD_BUF	(1u << 20)

typedef struct decoder {
	oci_unpack_root *root;
	oci_unpack_source_fn src;
	void *src_ctx;
	int comp;
	oci_unpack_verify verify;
	oci_unpack_decompressor *dec;
	oci_unpack_pipeline *pipe; /* NULL: everything on the calling thread */
	unsigned char *out;	   /* the uncompressed block, on the calling thread */
	bool tar_ended;
	uint64_t after_end;
	bool failed;
	oci_error err;
	const void *first; /* the source's first block, read to detect compression, not yet used */
	size_t first_len;
	bool have_first;
	oci_unpack_targuard guard; /* what libarchive is handed: its headers bounded */
} decoder;

int oci_unpack_fd_source_read(void *ctx, const void **buf, size_t *len, oci_error *err)
{
	oci_unpack_fd_source *s = ctx;
	for (;;) {
		ssize_t n = read(s->fd, s->buf, s->cap);
		if (n < 0) {
			if (errno == EINTR) {
				if (oci_check_interrupted(err) < 0)
					return -1;
				continue;
			}
			return oci_err_errno(err, errno, "cannot read");
		}
		*buf = s->buf;
		*len = (size_t)n;
		return n > 0;
	}
}

/* The source's next block: the one read ahead to detect compression, then the source's own. */
static int source_next(void *ctx, const void **b, size_t *n, oci_error *err)
{
	decoder *d = ctx;
	if (d->have_first) {
		d->have_first = false;
		*b = d->first;
		*n = d->first_len;
		return d->first_len > 0;
	}
	return d->src(d->src_ctx, b, n, err);
}

/* Where the decompressor gets its compressed blocks (on the worker thread when there is
 * one): from the pipeline's ring, whose hasher hashes them, or from the source, each hashed
 * here as it is taken. */
static int pull_compressed(void *ctx, const void **b, size_t *n, oci_error *err)
{
	decoder *d = ctx;
	if (d->pipe)
		return oci_unpack_pipeline_pop(d->pipe, b, n, err);
	int rc = source_next(d, b, n, err);
	if (rc > 0 && oci_unpack_verify_compressed(&d->verify, *b, *n, err) < 0)
		return -1;
	return rc;
}

static ssize_t produce(void *ctx, unsigned char *out, size_t cap, const void **buf, oci_error *err)
{
	decoder *d = ctx;
	return oci_unpack_decompressor_next(d->dec, out, cap, buf, err);
}

/* With a pipeline, both digests are computed on its hasher thread: inflating and hashing
 * are each as much work as the tar parse and the file creation on the calling thread. */
static int hash_compressed(void *ctx, const void *buf, size_t len, oci_error *err)
{
	decoder *d = ctx;
	return oci_unpack_verify_compressed(&d->verify, buf, len, err);
}

static int hash_raw(void *ctx, const void *buf, size_t len, oci_error *err)
{
	decoder *d = ctx;
	return oci_unpack_verify_raw(&d->verify, buf, len, err);
}

/* Stop the worker, if any, before the calling thread reports an error of its own. */
static void fail(decoder *d)
{
	d->failed = true;
	oci_unpack_pipeline_stop(d->pipe);
}

/* The next block of the uncompressed tar stream: > 0 bytes, 0 at its end, -1 on error. */
static ssize_t decode_next(decoder *d, const void **buf)
{
	ssize_t n;
	if (d->failed)
		return -1;
	if (oci_interrupted) {
		fail(d);
		oci_check_interrupted(&d->err);
		return -1;
	}
	n = d->pipe ? oci_unpack_pipeline_next(d->pipe, buf, &d->err)
		    : produce(d, d->out, OUT_CAP, buf, &d->err);
	if (n < 0) {
		d->failed = true;
		return -1;
	}
	if (n == 0)
		return 0;
	d->root->bytes += (uint64_t)n;
	if (d->root->bytes > d->root->opts->max_bytes) {
		fail(d);
		oci_err(&d->err, OCI_E_LIMIT,
			"uncompressed size is over the limit of %llu bytes (see --max-bytes)",
			(unsigned long long)d->root->opts->max_bytes);
		return -1;
	}
	if (d->tar_ended) {
		d->after_end += (uint64_t)n;
		if (d->after_end > d->root->opts->max_padding) {
			fail(d);
			oci_err(&d->err, OCI_E_LIMIT,
				"more than %llu bytes of data after the end of the tar archive",
				(unsigned long long)d->root->opts->max_padding);
			return -1;
		}
	}
	oci_error e = OCI_ERROR_INIT;
	if (!d->pipe && oci_unpack_verify_raw(&d->verify, *buf, (size_t)n, &e) < 0) {
		fail(d);
		d->err = e;
		return -1;
	}
	return n;
}

static la_ssize_t tar_read_cb(struct archive *a, void *ctx, const void **buf)
{
	decoder *d = ctx;
	ssize_t n = decode_next(d, buf);
	if (n >= 0 && oci_unpack_targuard_feed(&d->guard, *buf, (size_t)n, &d->err) < 0) {
		fail(d);
		n = -1;
	}
	if (n < 0) {
		archive_set_error(a, EIO, "%s", d->err.msg);
		return -1;
	}
	return n;
}

/* Read the source's first block (kept for source_next) and tell the compression by its magic. */
static int detect_compression(decoder *d)
{
	const void *b = NULL;
	size_t n = 0;
	int rc = d->src(d->src_ctx, &b, &n, &d->err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		n = 0;
	d->first = b;
	d->first_len = n;
	d->have_first = true;
	d->comp = oci_unpack_compression_detect(b, n);
	return 0;
}

/* A compressed layer on a machine with more than one CPU gets a worker and a hasher. */
static int pipeline_start(decoder *d, oci_error *err)
{
	if (d->comp != OCI_COMP_GZIP && d->comp != OCI_COMP_ZSTD)
		return 0;
	if (d->root->opts->no_threads || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 0;
	d->pipe = oci_unpack_pipeline_new(source_next, d, produce, d, hash_compressed, hash_raw, d,
					  OUT_CAP, err);
	if (!d->pipe)
		return -1;
	return oci_unpack_pipeline_start(d->pipe, err);
}

static int decoder_init(decoder *d, oci_unpack_root *r, const oci_unpack_layer_desc *ld,
			oci_unpack_source_fn src, void *ctx, oci_error *err)
{
	memset(d, 0, sizeof(*d));
	oci_unpack_targuard_init(&d->guard);
	d->root = r;
	d->src = src;
	d->src_ctx = ctx;
	d->comp = ld->compression;
	int vr = oci_unpack_verify_init(&d->verify, ld, err);
	d->out = malloc(OUT_CAP);
	if (vr < 0 || !d->out)
		return d->out ? -1 : oci_err_errno(err, ENOMEM, "cannot allocate");
	if (d->comp < 0 && detect_compression(d) < 0) {
		*err = d->err;
		return -1;
	}
	d->dec = oci_unpack_decompressor_new(d->comp, r->opts, pull_compressed, d, err);
	if (!d->dec)
		return -1;
	return pipeline_start(d, err);
}

static void decoder_release(decoder *d)
{
	oci_unpack_pipeline_free(d->pipe);
	oci_unpack_decompressor_free(d->dec);
	oci_unpack_verify_release(&d->verify);
	oci_unpack_targuard_release(&d->guard);
	free(d->out);
}

static int read_entries(decoder *d, oci_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int ret = 0;
	if (!a)
		return oci_err_errno(err, ENOMEM, "cannot create archive reader");
	archive_read_support_format_tar(a);
	archive_read_support_format_empty(a);
	if (archive_read_open(a, d, NULL, tar_read_cb, NULL) != ARCHIVE_OK) {
		ret = d->failed ? (*err = d->err, -1) : oci_err_archive(err, a, "invalid tar data");
		goto out;
	}
	for (;;) {
		if (oci_unpack_targuard_sync(&d->guard, a, err) < 0) {
			ret = d->failed ? (*err = d->err, -1) : -1;
			goto out;
		}
		int rc = archive_read_next_header(a, &e);
		if (rc == ARCHIVE_EOF)
			break;
		/* RETRY: a damaged header block, which libarchive would skip; the entry it
		 * leaves is empty. A verified layer with one is refused, as Go's archive/tar
		 * (umoci) refuses it. */
		if (rc < ARCHIVE_WARN || rc == ARCHIVE_RETRY) {
			ret = d->failed ? (*err = d->err, -1)
					: oci_err_archive(err, a, "invalid tar data");
			goto out;
		}
		if (rc == ARCHIVE_WARN)
			log_debug("tar: %s", archive_error_string(a));
		if (oci_unpack_apply_entry(d->root, a, e, err) < 0) {
			if (d->failed) {
				/* The data ran out under the entry: say why. */
				oci_error inner = d->err;
				const char *name = archive_entry_pathname(e);
				*err = inner;
				if (!d->guard.failed) /* its error names its own entry */
					oci_unpack_err_entry(err, name ? name : "");
			}
			ret = -1;
			goto out;
		}
		if (oci_check_interrupted(err) < 0) {
			ret = -1;
			goto out;
		}
	}
	/* The tar end marker: the rest must still be read (both digests cover it), but only
	 * a bounded amount of it. */
	d->tar_ended = true;
	for (;;) {
		const void *b;
		ssize_t n = decode_next(d, &b);
		if (n < 0) {
			*err = d->err;
			ret = -1;
			goto out;
		}
		if (n == 0)
			break;
	}
out:
	archive_read_free(a);
	return ret;
}

/* A layer whose result came from the rootfs cache: its blob is read through to keep the
 * stream in step, and its size checked, but neither hashed nor inflated: not one byte of it
 * reaches the root (the cached tree was built from these very blobs, named by the manifest,
 * and verified against the config's diff_ids when it was made). */
static int skip_layer(oci_unpack_root *r, const oci_unpack_layer_desc *ld, oci_unpack_source_fn src,
		      void *src_ctx, oci_error *err)
{
	uint64_t total = 0;
	for (;;) {
		const void *b;
		size_t n;
		int rc = src(src_ctx, &b, &n, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		total += n;
		if (oci_check_interrupted(err) < 0)
			return -1;
	}
	if (ld->size >= 0 && total != (uint64_t)ld->size)
		return oci_err(err, OCI_E_DIGEST, "layer blob: size %llu, expected %lld",
			       (unsigned long long)total, (long long)ld->size);
	r->layers++;
	return 0;
}

int oci_unpack_layer_apply(oci_unpack_root *r, const oci_unpack_layer_desc *ld,
			   oci_unpack_source_fn src, void *src_ctx, oci_error *err)
{
	char dshort[32] = "";
	decoder d;
	int ret = -1;
	if (ld->has_digest)
		oci_digest_short(&ld->digest, dshort, sizeof(dshort));
	if (ld->index < r->skip_layers && ld->has_digest) {
		ret = skip_layer(r, ld, src, src_ctx, err);
		if (ret < 0)
			oci_err_prefix(err, "layer %zu/%zu %s", ld->index + 1, ld->count, dshort);
		return ret;
	}
	if (decoder_init(&d, r, ld, src, src_ctx, err) < 0)
		goto out;
	if (read_entries(&d, err) < 0 || oci_unpack_root_end_layer(r, err) < 0)
		goto out;
	if (oci_unpack_verify_finish(&d.verify, ld, err) < 0)
		goto out;
	log_debug("layer %zu/%zu: %llu compressed bytes, %llu uncompressed", ld->index + 1,
		  ld->count, (unsigned long long)d.verify.comp_bytes,
		  (unsigned long long)d.verify.raw_bytes);
	ret = 0;
out:
	decoder_release(&d);
	if (ret < 0) {
		if (ld->has_digest)
			oci_err_prefix(err, "layer %zu/%zu %s", ld->index + 1, ld->count, dshort);
		else
			oci_err_prefix(err, "layer %zu/%zu%s%s", ld->index + 1, ld->count,
				       ld->name ? " " : "", ld->name ? ld->name : "");
	}
	return ret;
}

int oci_unpack_layer_apply_fd(oci_unpack_root *r, const oci_unpack_layer_desc *ld, int fd,
			      oci_error *err)
{
	oci_unpack_fd_source s = {.fd = fd, .cap = FD_BUF};
	s.buf = malloc(FD_BUF);
	if (!s.buf)
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	int ret = oci_unpack_layer_apply(r, ld, oci_unpack_fd_source_read, &s, err);
	free(s.buf);
	return ret;
}
