/* The decompressors of a layer: gzip (ISA-L's igzip when built with it, zlib otherwise),
 * zstd with a bounded window, and none. Each pulls compressed blocks from a source and hands
 * back the uncompressed stream block by block; it neither hashes nor counts (verify.c does)
 * and does not care which thread it runs on (pipeline.c). A new compression goes here: a
 * case in oci_unpack_compression_detect, its state, and a next_* function. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "unpack/unpack.h"

struct oci_unpack_decompressor {
	int comp;
	oci_unpack_source_fn pull;
	void *pull_ctx;
	const unsigned char *in; /* what is left of the block pulled last */
	size_t in_len;
	bool src_eof;
	bool use_isal;
	z_stream z;
	bool z_init;
#ifdef HAVE_ISAL
	struct inflate_state *isal;
#endif
	ZSTD_DCtx *zd;
	size_t zret;
	bool member_done; /* a gzip member or zstd frame just ended */
	bool started;
};

int oci_unpack_compression_detect(const void *buf, size_t len)
{
	const unsigned char *m = buf;
	if (len >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return OCI_COMP_GZIP;
	if (len >= 4 && !memcmp(m, "\x28\xb5\x2f\xfd", 4))
		return OCI_COMP_ZSTD;
	return OCI_COMP_NONE;
}

oci_unpack_decompressor *oci_unpack_decompressor_new(int comp, const oci_unpack_opts *opts,
						     oci_unpack_source_fn pull, void *pull_ctx,
						     oci_error *err)
{
	oci_unpack_decompressor *z = calloc(1, sizeof(*z));
	if (!z) {
		oci_err_errno(err, ENOMEM, "cannot allocate");
		return NULL;
	}
	z->comp = comp;
	z->pull = pull;
	z->pull_ctx = pull_ctx;
	if (comp == OCI_COMP_GZIP) {
#ifdef HAVE_ISAL
		if (!opts->use_zlib) {
			z->isal = calloc(1, sizeof(*z->isal));
			if (!z->isal) {
				oci_err_errno(err, ENOMEM, "cannot allocate");
				goto fail;
			}
			isal_inflate_init(z->isal);
			z->isal->crc_flag = ISAL_GZIP;
			z->use_isal = true;
			return z;
		}
#endif
		if (inflateInit2(&z->z, 16 + MAX_WBITS) != Z_OK) {
			oci_err(err, OCI_E_INTERNAL, "cannot initialise zlib");
			goto fail;
		}
		z->z_init = true;
	} else if (comp == OCI_COMP_ZSTD) {
		z->zd = ZSTD_createDCtx();
		if (!z->zd) {
			oci_err_errno(err, ENOMEM, "cannot initialise zstd");
			goto fail;
		}
		size_t rc =
		    ZSTD_DCtx_setParameter(z->zd, ZSTD_d_windowLogMax, opts->zstd_window_log);
		if (ZSTD_isError(rc)) {
			oci_err(err, OCI_E_INVALID, "zstd window log %d: %s", opts->zstd_window_log,
				ZSTD_getErrorName(rc));
			goto fail;
		}
	}
	return z;
fail:
	oci_unpack_decompressor_free(z);
	return NULL;
}

void oci_unpack_decompressor_free(oci_unpack_decompressor *z)
{
	if (!z)
		return;
	if (z->z_init)
		inflateEnd(&z->z);
#ifdef HAVE_ISAL
	free(z->isal);
#endif
	if (z->zd)
		ZSTD_freeDCtx(z->zd);
	free(z);
}

/* Pull the next compressed block when the last one is used up. */
static int fill_input(oci_unpack_decompressor *z, oci_error *err)
{
	while (z->in_len == 0 && !z->src_eof) {
		const void *b;
		size_t n;
		int rc = z->pull(z->pull_ctx, &b, &n, err);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			z->src_eof = true;
			break;
		}
		z->in = b;
		z->in_len = n;
	}
	return 0;
}

/* Input for the next step of either gzip decoder. A layer may be several gzip members one
 * after the other (RFC 1952; pigz and others write them): after a member's end, the end of
 * the input ends the layer, another member's magic restarts the decoder, anything else is
 * trailing garbage; input that ends inside a member is truncated data. Returns 1 when there
 * is input to inflate, 0 at the clean end of the layer, -1 on error. */
static int gzip_input(oci_unpack_decompressor *z, oci_error *err)
{
	if (fill_input(z, err) < 0)
		return -1;
	if (z->member_done) {
		if (z->in_len == 0 && z->src_eof)
			return 0;
		if (z->in[0] != 0x1f)
			return oci_err(err, OCI_E_INVALID, "trailing garbage after gzip data");
		if (z->use_isal) {
#ifdef HAVE_ISAL
			isal_inflate_reset(z->isal);
			z->isal->crc_flag = ISAL_GZIP;
#endif
		} else {
			inflateReset(&z->z);
		}
		z->member_done = false;
	}
	if (z->in_len == 0 && z->src_eof)
		return oci_err(err, OCI_E_INVALID, "unexpected end of gzip data");
	return 1;
}

static ssize_t next_gzip_zlib(oci_unpack_decompressor *z, unsigned char *out, size_t cap,
			      oci_error *err)
{
	for (;;) {
		int more = gzip_input(z, err);
		if (more <= 0)
			return more;
		z->z.next_in = (unsigned char *)z->in;
		z->z.avail_in = (uInt)z->in_len;
		z->z.next_out = out;
		z->z.avail_out = (uInt)cap;
		int rc = inflate(&z->z, Z_NO_FLUSH);
		z->in += z->in_len - z->z.avail_in;
		z->in_len = z->z.avail_in;
		if (rc == Z_STREAM_END)
			z->member_done = true;
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return oci_err(err, OCI_E_INVALID, "invalid gzip data: %s",
				       z->z.msg ? z->z.msg : zError(rc));
		size_t got = cap - z->z.avail_out;
		if (got)
			return (ssize_t)got;
	}
}

#ifdef HAVE_ISAL
static ssize_t next_gzip_isal(oci_unpack_decompressor *z, unsigned char *out, size_t cap,
			      oci_error *err)
{
	struct inflate_state *s = z->isal;
	for (;;) {
		int more = gzip_input(z, err);
		if (more <= 0)
			return more;
		s->next_in = (uint8_t *)z->in;
		s->avail_in = (uint32_t)z->in_len;
		s->next_out = out;
		s->avail_out = (uint32_t)cap;
		int rc = isal_inflate(s);
		if (rc < 0)
			return oci_err(err, OCI_E_INVALID, "invalid gzip data (igzip error %d)",
				       rc);
		/* On bad data igzip can hand back more input than it was given (bits it had
		 * buffered): never move the input pointer backwards out of our buffer. */
		if (s->avail_in > z->in_len)
			return oci_err(
			    err, OCI_E_INVALID,
			    "invalid gzip data (igzip returned more input than it was given)");
		z->in += z->in_len - s->avail_in;
		z->in_len = s->avail_in;
		if (s->block_state == ISAL_BLOCK_FINISH)
			z->member_done = true;
		size_t got = cap - s->avail_out;
		if (got)
			return (ssize_t)got;
	}
}
#endif

static ssize_t next_zstd(oci_unpack_decompressor *z, unsigned char *out, size_t cap, oci_error *err)
{
	for (;;) {
		if (fill_input(z, err) < 0)
			return -1;
		if (z->in_len == 0 && z->src_eof && z->zret == 0 && z->started)
			return 0;
		ZSTD_inBuffer in = {z->in, z->in_len, 0};
		ZSTD_outBuffer ob = {out, cap, 0};
		/* At the end of the input: flush what the decoder holds; no progress then means
		 * truncated data. */
		bool flush = z->in_len == 0 && z->src_eof;
		size_t r = ZSTD_decompressStream(z->zd, &ob, &in);
		if (!flush) {
			z->started = true;
			z->in += in.pos;
			z->in_len -= in.pos;
		}
		if (ZSTD_isError(r))
			return oci_err(err, OCI_E_INVALID, "invalid zstd data: %s",
				       ZSTD_getErrorName(r));
		z->zret = r;
		if (ob.pos)
			return (ssize_t)ob.pos;
		if (flush)
			return oci_err(err, OCI_E_INVALID, "unexpected end of zstd data");
	}
}

/* No compression: the source's blocks as they are, without a copy. */
static ssize_t next_plain(oci_unpack_decompressor *z, const void **buf, oci_error *err)
{
	if (fill_input(z, err) < 0)
		return -1;
	if (z->in_len == 0)
		return 0;
	*buf = z->in;
	size_t n = z->in_len;
	z->in_len = 0;
	return (ssize_t)n;
}

ssize_t oci_unpack_decompressor_next(oci_unpack_decompressor *z, unsigned char *out, size_t cap,
				     const void **buf, oci_error *err)
{
	*buf = out;
	switch (z->comp) {
	case OCI_COMP_GZIP:
#ifdef HAVE_ISAL
		if (z->use_isal)
			return next_gzip_isal(z, out, cap, err);
#endif
		return next_gzip_zlib(z, out, cap, err);
	case OCI_COMP_ZSTD:
		return next_zstd(z, out, cap, err);
	default:
		return next_plain(z, buf, err);
	}
}
