/* One layer in one pass: compressed bytes are hashed (descriptor digest) and inflated (ISA-L
 * igzip when built with it, zlib otherwise, or zstd with a bounded window), the tar stream is
 * hashed (diff_id) and parsed by libarchive, and each entry is applied by apply.c as it comes.
 * Bounds: total uncompressed bytes (--max-bytes), bytes after the tar end marker, the zstd
 * window.
 *
 * With more than one CPU a compressed layer is a two-stage pipeline: a decoder thread hashes
 * and inflates while the calling thread reads the source, hashes the tar stream and writes
 * files. They share two small rings (compressed blocks in, tar blocks out; a few MiB in all),
 * and the decoder thread only ever waits on the rings, never on I/O, so stopping it is
 * immediate. Everything that touches the source, the root or the caller's error stays on the
 * calling thread. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
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
#define FD_BUF	(1u << 20)
#define IN_CAP	(256u << 10) /* a compressed block in the ring */
#define N_IN	8
#define N_OUT	6

typedef struct ring_slot {
	unsigned char *buf;
	size_t len;
} ring_slot;

/* The decoder thread's side of a threaded layer; guarded by mu. */
typedef struct pipeline {
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* any change: broadcast */
	ring_slot in[N_IN], out[N_OUT];
	size_t in_head, in_count;   /* compressed blocks queued by the caller */
	size_t out_head, out_count; /* tar blocks queued by the decoder */
	bool in_eof;		    /* the source has ended */
	bool in_held;		    /* the decoder reads in[in_head] */
	bool out_held;		    /* libarchive reads out[out_head] */
	bool done, failed;	    /* the decoder finished / failed (its error in err) */
	bool stop;		    /* the caller wants the decoder to stop */
} pipeline;

typedef struct decoder {
	oci_unpack_root *root;
	oci_unpack_source_fn src;
	void *src_ctx;
	int comp;
	bool use_isal;
	oci_hasher *hc, *hu;
	const unsigned char *in;
	size_t in_len;
	bool src_eof;
	unsigned char *out, *out_own;
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
	bool threaded;
	pipeline p;
	const unsigned char *pend; /* threaded: what is left of the source's last block */
	size_t pend_len;
	const void *first; /* the source's first block, read to detect compression, not yet used */
	size_t first_len;
	bool have_first;
} decoder;

int oci_unpack_fd_source_read(void *ctx, const void **buf, size_t *len, oci_error *err)
{
	oci_unpack_fd_source *s = ctx;
	for (;;) {
		ssize_t n = read(s->fd, s->buf, s->cap);
		if (n < 0) {
			if (errno == EINTR) {
				if (oci_unpack_check_interrupted(err) < 0)
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

/* Decoder thread: the next compressed block from the ring (1), 0 at its end, -1 when stopped. */
static int ring_pop_input(decoder *d, const void **b, size_t *n)
{
	pipeline *p = &d->p;
	int rc;
	pthread_mutex_lock(&p->mu);
	if (p->in_held) {
		p->in_held = false;
		p->in_head = (p->in_head + 1) % N_IN;
		p->in_count--;
		pthread_cond_broadcast(&p->cv);
	}
	while (!p->in_count && !p->in_eof && !p->stop)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->stop) {
		rc = oci_err(&d->err, OCI_E_IO, "stopped");
	} else if (!p->in_count) {
		rc = 0;
	} else {
		*b = p->in[p->in_head].buf;
		*n = p->in[p->in_head].len;
		p->in_held = true;
		rc = 1;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* The source's next block: the one read ahead to detect compression, then the source's own. */
static int source_next(decoder *d, const void **b, size_t *n, oci_error *err)
{
	if (d->have_first) {
		d->have_first = false;
		*b = d->first;
		*n = d->first_len;
		return d->first_len > 0;
	}
	return d->src(d->src_ctx, b, n, err);
}

static int fill_input(decoder *d)
{
	while (d->in_len == 0 && !d->src_eof) {
		const void *b;
		size_t n;
		int rc = d->threaded ? ring_pop_input(d, &b, &n) : source_next(d, &b, &n, &d->err);
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
				return oci_err(&d->err, OCI_E_INVALID,
					       "trailing garbage after gzip data");
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
				return oci_err(&d->err, OCI_E_INVALID,
					       "trailing garbage after gzip data");
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
		if (rc < 0)
			return oci_err(&d->err, OCI_E_INVALID, "invalid gzip data (igzip error %d)",
				       rc);
		/* On bad data igzip can hand back more input than it was given (bits it had
		 * buffered): never move the input pointer backwards out of our buffer. */
		if (s->avail_in > d->in_len)
			return oci_err(
			    &d->err, OCI_E_INVALID,
			    "invalid gzip data (igzip returned more input than it was given)");
		d->in += d->in_len - s->avail_in;
		d->in_len = s->avail_in;
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
				return oci_err(&d->err, OCI_E_INVALID, "invalid zstd data: %s",
					       ZSTD_getErrorName(r));
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
			return oci_err(&d->err, OCI_E_INVALID, "invalid zstd data: %s",
				       ZSTD_getErrorName(r));
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

/* Inflate the next block into d->out (or point *buf at plain data): > 0 bytes, 0 at the end,
 * -1 on error (in d->err). */
static ssize_t produce(decoder *d, const void **buf)
{
	ssize_t n;
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
	return n;
}

static void *decoder_thread(void *arg)
{
	decoder *d = arg;
	pipeline *p = &d->p;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->out_count == N_OUT && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		bool stop = p->stop;
		size_t slot = (p->out_head + p->out_count) % N_OUT;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		const void *b;
		d->out = p->out[slot].buf;
		ssize_t n = produce(d, &b); /* interruptions are the caller's thread's business */
		pthread_mutex_lock(&p->mu);
		if (n < 0 && !p->stop)
			p->failed = true;
		else if (n <= 0)
			p->done = true;
		else {
			p->out[slot].len = (size_t)n;
			p->out_count++;
		}
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (n <= 0)
			break;
	}
	return NULL;
}

/* Stop the decoder thread and wait for it (it only waits on the rings: this is quick). */
static void pipeline_stop(decoder *d)
{
	pipeline *p = &d->p;
	if (!p->started)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	p->started = false;
}

/* Caller's thread, with mu held: queue what fits of the pending source block (copied, in
 * IN_CAP pieces). */
static void pipeline_push(decoder *d)
{
	pipeline *p = &d->p;
	while (d->pend_len > 0 && p->in_count < N_IN) {
		size_t slot = (p->in_head + p->in_count) % N_IN;
		size_t k = d->pend_len < IN_CAP ? d->pend_len : IN_CAP;
		memcpy(p->in[slot].buf, d->pend, k);
		p->in[slot].len = k;
		p->in_count++;
		d->pend += k;
		d->pend_len -= k;
	}
	pthread_cond_broadcast(&p->cv);
}

/* Caller's thread: the next tar block from the decoder, reading the source ahead as long as
 * the input ring has room. */
static ssize_t pipeline_next(decoder *d, const void **buf)
{
	pipeline *p = &d->p;
	oci_error e = OCI_ERROR_INIT;
	pthread_mutex_lock(&p->mu);
	if (p->out_held) {
		p->out_held = false;
		p->out_head = (p->out_head + 1) % N_OUT;
		p->out_count--;
		pthread_cond_broadcast(&p->cv);
	}
	for (;;) {
		bool room =
		    p->in_count < N_IN && (d->pend_len || !p->in_eof) && !p->done && !p->failed;
		if (p->out_count && !room) {
			*buf = p->out[p->out_head].buf;
			ssize_t n = (ssize_t)p->out[p->out_head].len;
			p->out_held = true;
			pthread_mutex_unlock(&p->mu);
			return n;
		}
		if (p->failed || (p->done && !p->out_count)) {
			bool failed = p->failed;
			pthread_mutex_unlock(&p->mu);
			pipeline_stop(d);
			return failed ? -1 : 0;
		}
		if (room && d->pend_len) {
			pipeline_push(d);
			continue;
		}
		if (room) {
			const void *b;
			size_t n = 0;
			pthread_mutex_unlock(&p->mu);
			int rc = source_next(d, &b, &n, &e);
			if (rc < 0) {
				pipeline_stop(d);
				d->err = e;
				return -1;
			}
			pthread_mutex_lock(&p->mu);
			if (rc == 0) {
				p->in_eof = true;
				pthread_cond_broadcast(&p->cv);
			} else {
				d->pend = b;
				d->pend_len = n;
			}
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		if (oci_unpack_interrupted) {
			pthread_mutex_unlock(&p->mu);
			pipeline_stop(d);
			oci_unpack_check_interrupted(&d->err);
			return -1;
		}
	}
}

/* The next block of the uncompressed tar stream: > 0 bytes, 0 at its end, -1 on error. */
static ssize_t decode_next(decoder *d, const void **buf)
{
	ssize_t n;
	if (d->failed)
		return -1;
	if (oci_unpack_interrupted) {
		pipeline_stop(d);
		oci_unpack_check_interrupted(&d->err);
		d->failed = true;
		return -1;
	}
	n = d->threaded ? pipeline_next(d, buf) : produce(d, buf);
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
		pipeline_stop(d);
		oci_err(&d->err, OCI_E_LIMIT,
			"uncompressed size is over the limit of %llu bytes (see --max-bytes)",
			(unsigned long long)d->root->opts->max_bytes);
		return -1;
	}
	if (d->tar_ended) {
		d->after_end += (uint64_t)n;
		if (d->after_end > d->root->opts->max_padding) {
			d->failed = true;
			pipeline_stop(d);
			oci_err(&d->err, OCI_E_LIMIT,
				"more than %llu bytes of data after the end of the tar archive",
				(unsigned long long)d->root->opts->max_padding);
			return -1;
		}
	}
	oci_error e = OCI_ERROR_INIT;
	if (oci_hasher_update(d->hu, *buf, (size_t)n, &e) < 0) {
		d->failed = true;
		pipeline_stop(d);
		d->err = e;
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
	const unsigned char *m = b;
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		d->comp = OCI_COMP_GZIP;
	else if (n >= 4 && !memcmp(m, "\x28\xb5\x2f\xfd", 4))
		d->comp = OCI_COMP_ZSTD;
	else
		d->comp = OCI_COMP_NONE;
	return 0;
}

/* A compressed layer on a machine with more than one CPU: start the decoder thread. */
static int pipeline_start(decoder *d, oci_error *err)
{
	pipeline *p = &d->p;
	if (d->comp != OCI_COMP_GZIP && d->comp != OCI_COMP_ZSTD)
		return 0;
	if (d->root->opts->no_threads || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 0;
	for (size_t i = 0; i < N_IN; i++)
		if (!(p->in[i].buf = malloc(IN_CAP)))
			return oci_err_errno(err, ENOMEM, "cannot allocate");
	for (size_t i = 0; i < N_OUT; i++)
		if (!(p->out[i].buf = malloc(OUT_CAP)))
			return oci_err_errno(err, ENOMEM, "cannot allocate");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	d->threaded = true;
	/* The decoder thread leaves signals to the caller's thread, whose reads they interrupt. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&p->th, NULL, decoder_thread, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return oci_err_errno(err, rc, "cannot start the decoder thread");
	p->started = true;
	return 0;
}

static int decoder_init(decoder *d, oci_unpack_root *r, const oci_unpack_layer_desc *ld,
			oci_unpack_source_fn src, void *ctx, oci_error *err)
{
	memset(d, 0, sizeof(*d));
	d->root = r;
	d->src = src;
	d->src_ctx = ctx;
	d->comp = ld->compression;
	d->hc = oci_hasher_new(ld->has_digest ? ld->digest.alg : OCI_DIGEST_SHA256, err);
	d->hu = oci_hasher_new(ld->has_diff_id ? ld->diff_id.alg : OCI_DIGEST_SHA256, err);
	d->out = d->out_own = malloc(OUT_CAP);
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
			return pipeline_start(d, err);
		}
#endif
		if (inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK)
			return oci_err(err, OCI_E_INTERNAL, "cannot initialise zlib");
		d->z_init = true;
	} else if (d->comp == OCI_COMP_ZSTD) {
		d->zd = ZSTD_createDCtx();
		if (!d->zd)
			return oci_err_errno(err, ENOMEM, "cannot initialise zstd");
		size_t rc =
		    ZSTD_DCtx_setParameter(d->zd, ZSTD_d_windowLogMax, r->opts->zstd_window_log);
		if (ZSTD_isError(rc))
			return oci_err(err, OCI_E_INVALID, "zstd window log %d: %s",
				       r->opts->zstd_window_log, ZSTD_getErrorName(rc));
	}
	return pipeline_start(d, err);
}

static void decoder_release(decoder *d)
{
	pipeline_stop(d);
	if (d->threaded) {
		pthread_mutex_destroy(&d->p.mu);
		pthread_cond_destroy(&d->p.cv);
	}
	for (size_t i = 0; i < N_IN; i++)
		free(d->p.in[i].buf);
	for (size_t i = 0; i < N_OUT; i++)
		free(d->p.out[i].buf);
	oci_hasher_free(d->hc);
	oci_hasher_free(d->hu);
	free(d->out_own);
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
				oci_unpack_err_entry(err, name ? name : "");
			}
			ret = -1;
			goto out;
		}
		if (oci_unpack_check_interrupted(err) < 0) {
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

int oci_unpack_layer_apply(oci_unpack_root *r, const oci_unpack_layer_desc *ld,
			   oci_unpack_source_fn src, void *src_ctx, oci_error *err)
{
	char dshort[32] = "";
	decoder d;
	int ret = -1;
	if (ld->has_digest)
		oci_digest_short(&ld->digest, dshort, sizeof(dshort));
	if (decoder_init(&d, r, ld, src, src_ctx, err) < 0)
		goto out;
	if (read_entries(&d, err) < 0 || oci_unpack_root_end_layer(r, err) < 0)
		goto out;
	oci_digest got;
	if (ld->has_digest) {
		if (oci_hasher_final(d.hc, &got, err) < 0 ||
		    oci_digest_verify(&ld->digest, ld->size, &got, d.comp_bytes, "layer blob",
				      err) < 0)
			goto out;
	}
	if (ld->has_diff_id) {
		if (oci_hasher_final(d.hu, &got, err) < 0 ||
		    oci_digest_verify(&ld->diff_id, -1, &got, d.raw_bytes, "diff_id", err) < 0)
			goto out;
	}
	log_debug("layer %zu/%zu: %llu compressed bytes, %llu uncompressed", ld->index + 1,
		  ld->count, (unsigned long long)d.comp_bytes, (unsigned long long)d.raw_bytes);
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
