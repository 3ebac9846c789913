/* One layer in one pass: compressed bytes are hashed (descriptor digest) and inflated (ISA-L
 * igzip when built with it, zlib otherwise, or zstd with a bounded window), the tar stream is
 * hashed (diff_id) and parsed by libarchive, and each entry is applied by apply.c as it comes.
 * Nothing is buffered beyond one block. Bounds: total uncompressed bytes (--max-bytes), bytes
 * after the tar end marker, the zstd window. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "common/log.h"
#include "common/util.h"
#include "unpack/unpack.h"

#define OUT_CAP (512u << 10)
#define FD_BUF  (1u << 20)

typedef struct decoder {
	unpack_root *root;
	unpack_source_fn src;
	void *src_ctx;
	int comp;
	bool use_isal;
	oci_hasher *hc, *hu;
	const unsigned char *in;
	size_t in_len;
	bool src_eof;
	unsigned char *out;
	z_stream z;
	bool z_init;
#ifdef HAVE_ISAL
	struct inflate_state *isal;
#endif
	ZSTD_DCtx *zd;
	size_t zret;
	bool member_done; /* a gzip member or zstd frame just ended */
	bool started;
	uint64_t comp_bytes, raw_bytes;
	bool tar_ended;
	uint64_t after_end;
	bool failed;
	oci_error err;
} decoder;

int unpack_fd_source_read(void *ctx, const void **buf, size_t *len, oci_error *err)
{
	unpack_fd_source *s = ctx;
	for (;;) {
		ssize_t n = read(s->fd, s->buf, s->cap);
		if (n < 0) {
			if (errno == EINTR) {
				if (unpack_check_interrupted(err) < 0)
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

static int fill_input(decoder *d)
{
	while (d->in_len == 0 && !d->src_eof) {
		const void *b;
		size_t n;
		int rc = d->src(d->src_ctx, &b, &n, &d->err);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			d->src_eof = true;
			break;
		}
		if (oci_hasher_update(d->hc, b, n, &d->err) < 0)
			return -1;
		d->in = b;
		d->in_len = n;
		d->comp_bytes += n;
	}
	return 0;
}

static ssize_t next_gzip_zlib(decoder *d)
{
	for (;;) {
		if (fill_input(d) < 0)
			return -1;
		if (d->member_done) {
			if (d->in_len == 0 && d->src_eof)
				return 0;
			if (d->in[0] != 0x1f)
				return oci_err(&d->err, OCI_E_INVALID, "trailing garbage after gzip data");
			inflateReset(&d->z);
			d->member_done = false;
		}
		if (d->in_len == 0 && d->src_eof)
			return oci_err(&d->err, OCI_E_INVALID, "unexpected end of gzip data");
		d->z.next_in = (unsigned char *)d->in;
		d->z.avail_in = (uInt)d->in_len;
		d->z.next_out = d->out;
		d->z.avail_out = OUT_CAP;
		int rc = inflate(&d->z, Z_NO_FLUSH);
		d->in += d->in_len - d->z.avail_in;
		d->in_len = d->z.avail_in;
		if (rc == Z_STREAM_END)
			d->member_done = true;
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return oci_err(&d->err, OCI_E_INVALID, "invalid gzip data: %s",
				       d->z.msg ? d->z.msg : zError(rc));
		size_t got = OUT_CAP - d->z.avail_out;
		if (got)
			return (ssize_t)got;
	}
}

#ifdef HAVE_ISAL
static ssize_t next_gzip_isal(decoder *d)
{
	struct inflate_state *s = d->isal;
	for (;;) {
		if (fill_input(d) < 0)
			return -1;
		if (d->member_done) {
			if (d->in_len == 0 && d->src_eof)
				return 0;
			if (d->in[0] != 0x1f)
				return oci_err(&d->err, OCI_E_INVALID, "trailing garbage after gzip data");
			isal_inflate_reset(s);
			s->crc_flag = ISAL_GZIP;
			d->member_done = false;
		}
		if (d->in_len == 0 && d->src_eof)
			return oci_err(&d->err, OCI_E_INVALID, "unexpected end of gzip data");
		s->next_in = (uint8_t *)d->in;
		s->avail_in = (uint32_t)d->in_len;
		s->next_out = d->out;
		s->avail_out = OUT_CAP;
		int rc = isal_inflate(s);
		d->in += d->in_len - s->avail_in;
		d->in_len = s->avail_in;
		if (rc < 0)
			return oci_err(&d->err, OCI_E_INVALID, "invalid gzip data (igzip error %d)", rc);
		if (s->block_state == ISAL_BLOCK_FINISH)
			d->member_done = true;
		size_t got = OUT_CAP - s->avail_out;
		if (got)
			return (ssize_t)got;
	}
}
#endif

static ssize_t next_zstd(decoder *d)
{
	for (;;) {
		if (fill_input(d) < 0)
			return -1;
		if (d->in_len == 0 && d->src_eof && d->zret == 0 && d->started)
			return 0;
		ZSTD_inBuffer in = {d->in, d->in_len, 0};
		ZSTD_outBuffer out = {d->out, OUT_CAP, 0};
		if (d->in_len == 0 && d->src_eof) {
			/* Flush what the decoder holds; no progress means truncated data. */
			size_t r = ZSTD_decompressStream(d->zd, &out, &in);
			if (ZSTD_isError(r))
				return oci_err(&d->err, OCI_E_INVALID, "invalid zstd data: %s", ZSTD_getErrorName(r));
			d->zret = r;
			if (out.pos)
				return (ssize_t)out.pos;
			return oci_err(&d->err, OCI_E_INVALID, "unexpected end of zstd data");
		}
		size_t r = ZSTD_decompressStream(d->zd, &out, &in);
		d->started = true;
		d->in += in.pos;
		d->in_len -= in.pos;
		if (ZSTD_isError(r))
			return oci_err(&d->err, OCI_E_INVALID, "invalid zstd data: %s", ZSTD_getErrorName(r));
		d->zret = r;
		if (out.pos)
			return (ssize_t)out.pos;
	}
}

static ssize_t next_plain(decoder *d, const void **buf)
{
	if (fill_input(d) < 0)
		return -1;
	if (d->in_len == 0)
		return 0;
	*buf = d->in;
	size_t n = d->in_len;
	d->in_len = 0;
	return (ssize_t)n;
}

/* The next block of the uncompressed tar stream: > 0 bytes, 0 at its end, -1 on error. */
static ssize_t decode_next(decoder *d, const void **buf)
{
	ssize_t n;
	if (d->failed)
		return -1;
	if (unpack_check_interrupted(&d->err) < 0) {
		d->failed = true;
		return -1;
	}
	*buf = d->out;
	switch (d->comp) {
	case OCI_COMP_GZIP:
#ifdef HAVE_ISAL
		if (d->use_isal) {
			n = next_gzip_isal(d);
			break;
		}
#endif
		n = next_gzip_zlib(d);
		break;
	case OCI_COMP_ZSTD:
		n = next_zstd(d);
		break;
	default:
		n = next_plain(d, buf);
		break;
	}
	if (n < 0) {
		d->failed = true;
		return -1;
	}
	if (n == 0)
		return 0;
	d->raw_bytes += (uint64_t)n;
	d->root->bytes += (uint64_t)n;
	if (d->root->bytes > d->root->opts->max_bytes) {
		d->failed = true;
		oci_err(&d->err, OCI_E_LIMIT, "uncompressed size is over the limit of %llu bytes (see --max-bytes)",
			(unsigned long long)d->root->opts->max_bytes);
		return -1;
	}
	if (d->tar_ended) {
		d->after_end += (uint64_t)n;
		if (d->after_end > d->root->opts->max_padding) {
			d->failed = true;
			oci_err(&d->err, OCI_E_LIMIT, "more than %llu bytes of data after the end of the tar archive",
				(unsigned long long)d->root->opts->max_padding);
			return -1;
		}
	}
	if (oci_hasher_update(d->hu, *buf, (size_t)n, &d->err) < 0) {
		d->failed = true;
		return -1;
	}
	return n;
}

static la_ssize_t tar_read_cb(struct archive *a, void *ctx, const void **buf)
{
	decoder *d = ctx;
	ssize_t n = decode_next(d, buf);
	if (n < 0) {
		archive_set_error(a, EIO, "%s", d->err.msg);
		return -1;
	}
	return n;
}

static int detect_compression(decoder *d)
{
	if (fill_input(d) < 0)
		return -1;
	if (d->in_len >= 2 && d->in[0] == 0x1f && d->in[1] == 0x8b)
		d->comp = OCI_COMP_GZIP;
	else if (d->in_len >= 4 && !memcmp(d->in, "\x28\xb5\x2f\xfd", 4))
		d->comp = OCI_COMP_ZSTD;
	else
		d->comp = OCI_COMP_NONE;
	return 0;
}

static int decoder_init(decoder *d, unpack_root *r, const unpack_layer_desc *ld, unpack_source_fn src,
			void *ctx, oci_error *err)
{
	memset(d, 0, sizeof(*d));
	d->root = r;
	d->src = src;
	d->src_ctx = ctx;
	d->comp = ld->compression;
	d->hc = oci_hasher_new(ld->has_digest ? ld->digest.alg : OCI_DIGEST_SHA256, err);
	d->hu = oci_hasher_new(ld->has_diff_id ? ld->diff_id.alg : OCI_DIGEST_SHA256, err);
	d->out = malloc(OUT_CAP);
	if (!d->hc || !d->hu || !d->out)
		return d->out ? -1 : oci_err_errno(err, ENOMEM, "cannot allocate");
	if (d->comp < 0 && detect_compression(d) < 0) {
		*err = d->err;
		return -1;
	}
	if (d->comp == OCI_COMP_GZIP) {
#ifdef HAVE_ISAL
		if (!r->opts->use_zlib) {
			d->isal = calloc(1, sizeof(*d->isal));
			if (!d->isal)
				return oci_err_errno(err, ENOMEM, "cannot allocate");
			isal_inflate_init(d->isal);
			d->isal->crc_flag = ISAL_GZIP;
			d->use_isal = true;
			return 0;
		}
#endif
		if (inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK)
			return oci_err(err, OCI_E_INTERNAL, "cannot initialise zlib");
		d->z_init = true;
	} else if (d->comp == OCI_COMP_ZSTD) {
		d->zd = ZSTD_createDCtx();
		if (!d->zd)
			return oci_err_errno(err, ENOMEM, "cannot initialise zstd");
		size_t rc = ZSTD_DCtx_setParameter(d->zd, ZSTD_d_windowLogMax, r->opts->zstd_window_log);
		if (ZSTD_isError(rc))
			return oci_err(err, OCI_E_INVALID, "zstd window log %d: %s", r->opts->zstd_window_log,
				       ZSTD_getErrorName(rc));
	}
	return 0;
}

static void decoder_release(decoder *d)
{
	oci_hasher_free(d->hc);
	oci_hasher_free(d->hu);
	free(d->out);
	if (d->z_init)
		inflateEnd(&d->z);
#ifdef HAVE_ISAL
	free(d->isal);
#endif
	if (d->zd)
		ZSTD_freeDCtx(d->zd);
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
		int rc = archive_read_next_header(a, &e);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN) {
			ret = d->failed ? (*err = d->err, -1) : oci_err_archive(err, a, "invalid tar data");
			goto out;
		}
		if (rc == ARCHIVE_WARN)
			log_debug("tar: %s", archive_error_string(a));
		if (unpack_apply_entry(d->root, a, e, err) < 0) {
			if (d->failed) {
				/* The data ran out under the entry: say why. */
				oci_error inner = d->err;
				const char *name = archive_entry_pathname(e);
				*err = inner;
				oci_err_prefix(err, "entry '%s'", name ? name : "");
			}
			ret = -1;
			goto out;
		}
		if (unpack_check_interrupted(err) < 0) {
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

int unpack_layer_apply(unpack_root *r, const unpack_layer_desc *ld, unpack_source_fn src, void *src_ctx,
		       oci_error *err)
{
	char dshort[32] = "";
	decoder d;
	int ret = -1;
	if (ld->has_digest)
		oci_digest_short(&ld->digest, dshort, sizeof(dshort));
	if (decoder_init(&d, r, ld, src, src_ctx, err) < 0)
		goto out;
	if (read_entries(&d, err) < 0 || unpack_root_end_layer(r, err) < 0)
		goto out;
	oci_digest got;
	if (ld->has_digest) {
		if (oci_hasher_final(d.hc, &got, err) < 0 ||
		    oci_digest_verify(&ld->digest, ld->size, &got, d.comp_bytes, "layer blob", err) < 0)
			goto out;
	}
	if (ld->has_diff_id) {
		if (oci_hasher_final(d.hu, &got, err) < 0 ||
		    oci_digest_verify(&ld->diff_id, -1, &got, d.raw_bytes, "diff_id", err) < 0)
			goto out;
	}
	log_debug("layer %zu/%zu: %llu compressed bytes, %llu uncompressed", ld->index + 1, ld->count,
		  (unsigned long long)d.comp_bytes, (unsigned long long)d.raw_bytes);
	ret = 0;
out:
	decoder_release(&d);
	if (ret < 0) {
		if (ld->has_digest)
			oci_err_prefix(err, "layer %zu/%zu %s", ld->index + 1, ld->count, dshort);
		else
			oci_err_prefix(err, "layer %zu/%zu%s%s", ld->index + 1, ld->count, ld->name ? " " : "",
				       ld->name ? ld->name : "");
	}
	return ret;
}

int unpack_layer_apply_fd(unpack_root *r, const unpack_layer_desc *ld, int fd, oci_error *err)
{
	unpack_fd_source s = {.fd = fd, .cap = FD_BUF};
	s.buf = malloc(FD_BUF);
	if (!s.buf)
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	int ret = unpack_layer_apply(r, ld, unpack_fd_source_read, &s, err);
	free(s.buf);
	return ret;
}
