/* Parallel blob downloads over one libcurl multi handle. Blobs start in the order given
 * (bottom layer first) so the in-order archive writer is rarely kept waiting; each is hashed
 * as it arrives and written at its offset, so an interrupted transfer resumes with a Range
 * request from where it stopped (and a server that ignores Range has its prefix skipped);
 * 5xx, 429 (Retry-After) and connection errors are retried with backoff.
 *
 * A blob over twice the chunk size is split into Range requests ("parts") that run at once,
 * each written at its own offset into the same file. Only the first part is asked for until
 * the server has answered it with 206: a server that ignores Range sends the whole blob in
 * that first answer, which then simply becomes a single GET. The hash follows the contiguous
 * prefix of the file (inline while a part writes at the hash front, otherwise read back),
 * and consumers only ever see that hashed prefix, so the stream stays in order.
 *
 * A non-distributable (foreign) layer whose blob the registry does not have (404) is fetched
 * from the URLs of its descriptor instead (which one is next: sources.c), with plain GETs
 * that never carry the registry's credentials (also after a redirect, also to the
 * registry's own origin); each source is verified like any blob, and a wrong one makes way
 * for the next. */
#include "fetch/transfer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

enum { X_PENDING = 0, X_WAITLOCK, X_ACTIVE, X_DONE, X_FAILED };
enum { P_IDLE = 0, P_ACTIVE, P_RETRY, P_DONE };

#define MAX_REDIRECTS 5
/* libcurl hands over what one read of the socket gave (up to XFER_RECV): small pieces are
 * gathered into XFER_BUF before they are written and hashed, a piece of XFER_DIRECT or more is
 * written from libcurl's buffer without that copy. A bigger receive buffer means fewer reads,
 * fewer ACKs sent and fewer calls here (1 MiB: 104 MB over loopback in ~110 reads, not ~450). */
#define XFER_BUF    (512u << 10)
#define XFER_DIRECT (128u << 10)
#define XFER_RECV   (1L << 20)

size_t oci_xfer_plan_parts(int64_t size, uint64_t chunk, uint64_t *part_len)
{
	*part_len = size > 0 ? (uint64_t)size : 0;
	if (chunk == 0 || size <= 0 || (uint64_t)size <= 2 * chunk)
		return 1;
	uint64_t least = ((uint64_t)size + OCI_XFER_MAX_PARTS - 1) / OCI_XFER_MAX_PARTS;
	*part_len = chunk > least ? chunk : least;
	return (size_t)(((uint64_t)size + *part_len - 1) / *part_len);
}

int oci_xfer_set_init(oci_xfer_set *s, oci_registry *reg, oci_cache *store, int jobs, size_t n,
		      oci_error *err)
{
	memset(s, 0, sizeof(*s));
	s->reg = reg;
	s->store = store;
	s->jobs = jobs > 0 ? jobs : 4;
	s->chunk_size = OCI_XFER_CHUNK_DEFAULT;
	s->n = n;
	s->x = n ? oci_calloc(n, sizeof(*s->x), err) : NULL;
	if (n && !s->x)
		return -1;
	for (size_t i = 0; i < n; i++) {
		s->x[i].set = s;
		s->x[i].fd = -1;
		s->x[i].lockfd = -1;
		oci_sources_init(&s->x[i].src);
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	return 0;
}

static void part_drop_handle(oci_xfer_part *p, CURLM *m)
{
	if (p->e) {
		if (m)
			curl_multi_remove_handle(m, p->e);
		curl_easy_cleanup(p->e);
		p->e = NULL;
	}
	curl_slist_free_all(p->hdrs);
	p->hdrs = NULL;
	free(p->url);
	p->url = NULL;
}

static void part_release(oci_xfer_part *p, CURLM *m)
{
	part_drop_handle(p, m);
	free(p->buf);
	p->buf = NULL;
	p->buflen = 0;
	oci_http_resp_release(&p->resp);
}

void oci_xfer_set_release(oci_xfer_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		oci_xfer *x = &s->x[i];
		for (size_t k = 0; k < x->n_parts; k++)
			part_release(&x->parts[k], NULL);
		free(x->parts);
		if (!x->done && x->tmpname[0])
			oci_cache_discard(s->store, x->tmpname);
		if (x->fd >= 0)
			close(x->fd);
		oci_cache_unlock(&x->lockfd);
		if (x->h)
			oci_hasher_free(x->h);
	}
	free(s->x);
	free(s->scratch);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	memset(s, 0, sizeof(*s));
}

/* Mark blob x complete with content in fd. */
static void xfer_finish(oci_xfer_set *s, oci_xfer *x, int fd, bool cached)
{
	pthread_mutex_lock(&s->mu);
	if (x->fd >= 0 && x->fd != fd)
		close(x->fd);
	x->fd = fd;
	x->avail = (uint64_t)x->size;
	x->done = true;
	x->cached = cached;
	x->state = X_DONE;
	x->t_end = oci_now_ms();
	if (cached)
		s->from_cache += (uint64_t)x->size;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static int xfer_fail(oci_xfer_set *s, oci_xfer *x, oci_error *err)
{
	pthread_mutex_lock(&s->mu);
	x->state = X_FAILED;
	if (!s->failed) {
		s->failed = true;
		s->err = *err;
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (x->tmpname[0]) {
		oci_cache_discard(s->store, x->tmpname);
		x->tmpname[0] = '\0';
	}
	return -1;
}

int oci_xfer_lookup(oci_xfer_set *s, oci_error *err)
{
	for (size_t i = 0; i < s->n; i++) {
		oci_xfer *x = &s->x[i];
		s->total += (uint64_t)x->size;
		int fd = -1;
		bool skipped = false;
		int r = oci_cache_get_unless(s->store, &x->digest, x->size, true, s->unneeded,
					     s->unneeded_ud, &skipped, &fd, err);
		if (r < 0)
			return oci_err_prefix(err, "%s", x->what);
		if (skipped)
			log_debug("%s: cached, not hashed again: the stream's reader (oci-unpack "
				  "--cache) has its tree and needs none of its bytes",
				  x->what);
		if (r > 0)
			xfer_finish(s, x, fd, true);
	}
	return 0;
}

static size_t part_header_cb(char *buf, size_t size, size_t n, void *ud)
{
	oci_xfer_part *p = ud;
	oci_http_resp_header(&p->resp, buf, size * n);
	return size * n;
}

/* The end of the contiguous written prefix of the file. */
static uint64_t written_prefix(const oci_xfer *x)
{
	uint64_t end = 0;
	for (size_t k = 0; k < x->parts_enabled; k++) {
		const oci_xfer_part *p = &x->parts[k];
		end = p->start + p->have;
		if (p->have < p->len)
			break;
	}
	return end;
}

/* Hash what other parts wrote once the prefix reaches it, and let consumers see it. */
static int hash_catch_up(oci_xfer *x, oci_error *err)
{
	oci_xfer_set *s = x->set;
	uint64_t end = written_prefix(x);
	while (x->hashed < end) {
		if (!s->scratch && !(s->scratch = oci_malloc(XFER_BUF, err)))
			return -1;
		size_t want = end - x->hashed < XFER_BUF ? (size_t)(end - x->hashed) : XFER_BUF;
		ssize_t r = pread(x->fd, s->scratch, want, (off_t)x->hashed);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return oci_err_errno(err, r < 0 ? errno : EIO, "reading back '%s'",
					     x->tmpname);
		if (oci_hasher_update(x->h, s->scratch, (size_t)r, err) < 0)
			return -1;
		x->hashed += (uint64_t)r;
	}
	pthread_mutex_lock(&s->mu);
	/* bytes from a foreign URL wait for verification: the next URL may replace them */
	x->avail = oci_sources_url(&x->src) ? 0 : x->hashed;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* Write len bytes that continue part p at their offset; hash them at once when they extend
 * the hashed prefix. */
static int store(oci_xfer_part *p, const char *data, size_t len)
{
	oci_xfer *x = p->x;
	oci_xfer_set *s = x->set;
	size_t off = 0;
	if (!len)
		return 0;
	uint64_t at = p->start + p->have;
	while (off < len) {
		ssize_t w = pwrite(x->fd, data + off, len - off, (off_t)(at + off));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			oci_err_errno(&p->werr, errno, "writing '%s'", x->tmpname);
			p->werr_set = true;
			return -1;
		}
		off += (size_t)w;
	}
	if (at == x->hashed) {
		if (oci_hasher_update(x->h, data, len, &p->werr) < 0) {
			p->werr_set = true;
			return -1;
		}
		x->hashed += len;
	}
	p->have += len;
	x->received += len;
	pthread_mutex_lock(&s->mu);
	s->received += len;
	pthread_mutex_unlock(&s->mu);
	if (hash_catch_up(x, &p->werr) < 0) {
		p->werr_set = true;
		return -1;
	}
	return 0;
}

/* Write the part's buffered bytes (see store). */
static int flush(oci_xfer_part *p)
{
	size_t len = p->buflen;
	p->buflen = 0;
	return store(p, p->buf, len);
}

static bool sent_range(const oci_xfer_part *p)
{
	return p->ranged || (p->have > 0 && !p->no_range);
}

static size_t part_write_cb(char *buf, size_t size, size_t n, void *ud)
{
	oci_xfer_part *p = ud;
	oci_xfer *x = p->x;
	size_t len = size * n;
	long st = 0;
	curl_easy_getinfo(p->e, CURLINFO_RESPONSE_CODE, &st);
	if (st != 200 && st != 206) {
		size_t room = sizeof(p->errbody) - 1 - p->errlen;
		size_t c = len < room ? len : room;
		memcpy(p->errbody + p->errlen, buf, c);
		p->errlen += c;
		p->errbody[p->errlen] = '\0';
		return len;
	}
	if (!p->body_started) {
		p->body_started = true;
		p->skip = 0;
		if (st == 206) {
			if (p->resp.content_range_start != (long long)(p->start + p->have)) {
				oci_err(&p->werr, OCI_E_NET,
					"bad Content-Range from the server (asked from byte %llu)",
					(unsigned long long)(p->start + p->have));
				p->werr_set = true;
				return 0;
			}
			if (p->ranged && !x->range_ok) {
				/* Range works: the other chunks can go now */
				x->range_ok = true;
				x->parts_enabled = x->n_parts;
			}
		} else if (p == &x->parts[0] && p->ranged && !x->range_ok) {
			/* the server ignores Range: this answer is the whole blob, take it as one
			 * GET */
			log_debug("%s: the server ignores Range; one request for the whole blob",
				  x->what);
			x->n_parts = x->parts_enabled = 1;
			p->ranged = false;
			p->len = (uint64_t)x->size;
			p->skip = p->have;
		} else {
			p->skip =
			    p->start + p->have; /* the server ignored Range: drop what we have */
		}
	}
	const char *d = buf;
	size_t l = len;
	if (p->skip) {
		size_t k = p->skip < l ? (size_t)p->skip : l;
		p->skip -= k;
		d += k;
		l -= k;
	}
	if (!l)
		return len;
	uint64_t room = p->len - p->have - p->buflen;
	bool fill_stop = false;
	if (l > room) {
		if (st == 200 && sent_range(p) && p->start + p->len < (uint64_t)x->size) {
			/* a whole-blob answer to a chunk request: keep the chunk's bytes, stop
			 * there */
			l = (size_t)room;
			fill_stop = true;
		} else if (p->start + p->len < (uint64_t)x->size) {
			oci_err(&p->werr, OCI_E_NET,
				"the server sent more than the %llu bytes asked for",
				(unsigned long long)p->len);
			p->werr_set = true;
			return 0;
		} else {
			oci_err(&p->werr, OCI_E_DIGEST,
				"size mismatch: more than the expected %lld bytes",
				(long long)x->size);
			p->werr_set = true;
			return 0;
		}
	}
	if (l >= XFER_DIRECT) {
		/* a big piece needs no gathering: what was gathered goes first, then the piece is
		 * written and hashed from libcurl's buffer */
		if (flush(p) < 0 || store(p, d, l) < 0)
			return 0;
		l = 0;
	} else if (p->buflen + l > XFER_BUF && flush(p) < 0) {
		return 0;
	}
	while (l) {
		size_t c = XFER_BUF - p->buflen < l ? XFER_BUF - p->buflen : l;
		memcpy(p->buf + p->buflen, d, c);
		p->buflen += c;
		d += c;
		l -= c;
		if (p->buflen == XFER_BUF && flush(p) < 0)
			return 0;
	}
	if (fill_stop) {
		if (flush(p) < 0)
			return 0;
		p->filled = true;
		return 0; /* ends this transfer (a write error that complete() knows about) */
	}
	return len;
}

/* Open the temporary file and the hasher, and plan the parts. */
static int xfer_begin(oci_xfer_set *s, oci_xfer *x, oci_error *err)
{
	int fd = oci_cache_tmp(s->store, &x->digest, x->tmpname, sizeof(x->tmpname), err);
	if (fd < 0)
		return -1;
	pthread_mutex_lock(&s->mu);
	x->fd = fd;
	pthread_mutex_unlock(&s->mu);
	x->h = oci_hasher_new(x->digest.alg, err);
	if (!x->h)
		return -1;
	size_t n = oci_xfer_plan_parts(x->size, s->chunk_size, &x->part_len);
	x->parts = oci_calloc(n, sizeof(*x->parts), err);
	if (!x->parts)
		return -1;
	x->n_parts = n;
	x->parts_enabled = 1;
	for (size_t k = 0; k < n; k++) {
		oci_xfer_part *p = &x->parts[k];
		p->x = x;
		p->start = k * x->part_len;
		p->len = n == 1 ? (uint64_t)x->size
				: (k + 1 == n ? (uint64_t)x->size - p->start : x->part_len);
		p->ranged = n > 1;
		oci_http_resp_init(&p->resp);
	}
	if (n > 1) {
		char sz[32];
		oci_progress_human((uint64_t)x->size, sz, sizeof(sz));
		log_debug("%s: %s in %zu Range chunks", x->what, sz, n);
	}
	x->t_start = oci_now_ms();
	x->state = X_ACTIVE;
	return 0;
}

/* Begin (or resume) the request for part p; url NULL means the registry's blob URL. */
static int start(oci_xfer_set *s, CURLM *m, oci_xfer_part *p, char *url, oci_error *err)
{
	oci_xfer *x = p->x;
	if (!p->buf && !(p->buf = oci_malloc(XFER_BUF, err)))
		return -1;
	part_drop_handle(p, m);
	const char *foreign = oci_sources_url(&x->src);
	if (!foreign && oci_registry_reauth(s->reg, NULL, err) < 0) /* renew an expired token */
		return -1;
	if (url)
		p->url = url;
	else if (foreign)
		p->url = oci_strdup(foreign, err);
	else
		p->url = oci_registry_blob_url(s->reg, &x->digest, err);
	if (!p->url)
		return -1;
	p->e = curl_easy_init();
	if (!p->e)
		return oci_err(err, OCI_E_INTERNAL, "cannot start libcurl");
	int su = foreign ? oci_registry_setup_foreign(s->reg, p->e, p->url, err)
			 : oci_registry_setup_blob(s->reg, p->e, p->url, &p->hdrs, err);
	if (su < 0)
		return -1;
	char range[80] = "";
	if (sent_range(p)) {
		uint64_t from = p->start + p->have;
		if (p->ranged)
			snprintf(range, sizeof(range), "Range: bytes=%llu-%llu",
				 (unsigned long long)from,
				 (unsigned long long)(p->start + p->len - 1));
		else
			snprintf(range, sizeof(range), "Range: bytes=%llu-",
				 (unsigned long long)from);
		struct curl_slist *h = curl_slist_append(p->hdrs, range);
		if (!h)
			return oci_err(err, OCI_E_IO, "out of memory");
		p->hdrs = h;
		if (p->ranged)
			s->range_requests++;
	}
	oci_http_resp_release(&p->resp);
	p->body_started = false;
	p->filled = false;
	p->errlen = 0;
	p->errbody[0] = '\0';
	curl_easy_setopt(p->e, CURLOPT_HTTPHEADER, p->hdrs);
	curl_easy_setopt(p->e, CURLOPT_HEADERFUNCTION, part_header_cb);
	curl_easy_setopt(p->e, CURLOPT_HEADERDATA, p);
	curl_easy_setopt(p->e, CURLOPT_WRITEFUNCTION, part_write_cb);
	curl_easy_setopt(p->e, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(p->e, CURLOPT_PRIVATE, p);
	curl_easy_setopt(p->e, CURLOPT_BUFFERSIZE, XFER_RECV);
	curl_easy_setopt(p->e, CURLOPT_PIPEWAIT, 1L);
	if (curl_multi_add_handle(m, p->e) != CURLM_OK)
		return oci_err(err, OCI_E_INTERNAL, "cannot add a transfer");
	log_debug("%s: GET %s%s%s%s", x->what, p->url, range[0] ? " (" : "",
		  range[0] ? range + 7 : "", range[0] ? ")" : "");
	p->state = P_ACTIVE;
	return 0;
}

static void schedule_retry(oci_xfer_set *s, oci_xfer_part *p, CURLM *m, long retry_after,
			   const char *why)
{
	long ms = oci_http_backoff_ms(p->attempts, retry_after);
	char ds[OCI_DIGEST_STR_MAX];
	log_debug("%s %s: %s at byte %llu; retry %d in %ld ms", p->x->what,
		  oci_digest_short(&p->x->digest, ds, sizeof(ds)), why,
		  (unsigned long long)(p->start + p->have), p->attempts, ms);
	part_drop_handle(p, m);
	p->state = P_RETRY;
	p->not_before = oci_now_ms() + ms;
	s->retries++;
}

static int what_err(oci_xfer *x, oci_error *err)
{
	char ds[OCI_DIGEST_STR_MAX];
	return oci_err_prefix(err, "%s: blob %s", x->what, oci_digest_str(&x->digest, ds));
}

/* Start blob x over from the source oci_sources_next just chose: one plain GET into an empty
 * file, hashed from the start. */
static int restart_from_source(oci_xfer_set *s, CURLM *m, oci_xfer *x, oci_error *err)
{
	for (size_t k = 0; k < x->n_parts; k++)
		part_release(&x->parts[k], m);
	oci_xfer_part *p = &x->parts[0];
	memset(p, 0, sizeof(*p));
	p->x = x;
	p->len = (uint64_t)x->size;
	oci_http_resp_init(&p->resp);
	x->n_parts = x->parts_enabled = 1;
	x->range_ok = false;
	if (ftruncate(x->fd, 0) < 0)
		return oci_err_errno(err, errno, "truncating '%s'", x->tmpname);
	oci_hasher_free(x->h);
	x->h = oci_hasher_new(x->digest.alg, err);
	if (!x->h)
		return -1;
	x->hashed = 0;
	pthread_mutex_lock(&s->mu);
	x->avail = 0;
	pthread_mutex_unlock(&s->mu);
	log_debug("%s: trying urls[%d] of the non-distributable layer (no credentials sent)",
		  x->what, x->src.idx);
	return 0;
}

/* The current source of blob x failed with err (without the blob prefix): move on to the
 * next source when sources.c says there may be one; otherwise, or when none is left, the
 * blob fails. */
static int source_failed(oci_xfer_set *s, CURLM *m, oci_xfer *x, oci_error *err)
{
	if (oci_sources_failed(&x->src, err, x->range_ok || x->hashed > 0)) {
		if (!oci_sources_next(&x->src))
			oci_sources_err_exhausted(&x->src, err);
		else if (restart_from_source(s, m, x, err) == 0)
			return 0;
	}
	what_err(x, err);
	return xfer_fail(s, x, err);
}

/* Every part is in: verify the whole blob and move it into the store. */
static int xfer_complete(oci_xfer_set *s, CURLM *m, oci_xfer *x, oci_error *err)
{
	if (x->parts_enabled < x->n_parts)
		return 0;
	for (size_t k = 0; k < x->n_parts; k++)
		if (x->parts[k].state != P_DONE)
			return 0;
	if (hash_catch_up(x, err) < 0) {
		what_err(x, err);
		return xfer_fail(s, x, err);
	}
	oci_digest got;
	char ds[OCI_DIGEST_STR_MAX], what[128];
	snprintf(what, sizeof(what), "%s: blob %s", x->what, oci_digest_str(&x->digest, ds));
	if (oci_hasher_final(x->h, &got, err) < 0)
		return xfer_fail(s, x, err);
	if (oci_sources_url(&x->src)) {
		/* a wrong blob at a foreign URL: the next URL may have the right one */
		if (oci_digest_verify(&x->digest, x->size, &got, x->hashed, "content", err) < 0)
			return source_failed(s, m, x, err);
	} else if (oci_digest_verify(&x->digest, x->size, &got, x->hashed, what, err) < 0) {
		return xfer_fail(s, x, err);
	}
	if (oci_cache_commit(s->store, x->tmpname, &x->digest, err) < 0)
		return xfer_fail(s, x, err);
	x->tmpname[0] = '\0';
	oci_cache_unlock(&x->lockfd);
	for (size_t k = 0; k < x->n_parts; k++)
		part_release(&x->parts[k], m);
	xfer_finish(s, x, x->fd, false);
	return 0;
}

/* A request of part p finished; decide what comes next. */
static int complete(oci_xfer_set *s, CURLM *m, oci_xfer_part *p, CURLcode rc, oci_error *err)
{
	oci_xfer *x = p->x;
	long st = 0;
	curl_easy_getinfo(p->e, CURLINFO_RESPONSE_CODE, &st);
	p->resp.status = st;
	/* what arrived before an error is a good prefix to resume from */
	if (!p->werr_set)
		flush(p);
	p->buflen = 0;
	if (p->werr_set) {
		*err = p->werr;
		p->werr_set = false;
		if (err->code == OCI_E_NET && ++p->attempts < s->reg->max_attempts) {
			if (!p->ranged)
				p->no_range = true; /* ask for everything and skip what we have */
			schedule_retry(s, p, m, -1, err->msg);
			return 0;
		}
		return source_failed(s, m, x, err);
	}
	if (p->filled)
		rc = CURLE_OK;
	if (rc != CURLE_OK) {
		if (oci_http_retryable_code(rc) &&
		    ++p->attempts < oci_http_attempts_for(rc, s->reg->max_attempts)) {
			schedule_retry(s, p, m, -1, curl_easy_strerror(rc));
			return 0;
		}
		oci_err_curl(err, rc, NULL, "%s", p->url);
		return source_failed(s, m, x, err);
	}
	if (st == 200 || st == 206) {
		if (p->have < p->len) {
			/* the connection ended cleanly but early (no Content-Length): resume */
			if (++p->attempts < s->reg->max_attempts) {
				schedule_retry(s, p, m, -1, "short body");
				return 0;
			}
			oci_err(err, OCI_E_DIGEST, "size mismatch: expected %lld bytes, got %llu",
				(long long)x->size, (unsigned long long)x->hashed);
			return source_failed(s, m, x, err);
		}
		p->state = P_DONE;
		part_drop_handle(p, m);
		free(p->buf);
		p->buf = NULL;
		return xfer_complete(s, m, x, err);
	}
	if (oci_http_is_redirect(&p->resp)) {
		if (++p->redirects > MAX_REDIRECTS) {
			oci_err(err, OCI_E_NET, "too many redirects");
			return source_failed(s, m, x, err);
		}
		char *next = oci_http_redirect_target(p->url, &p->resp, err);
		if (!next)
			return source_failed(s, m, x, err);
		log_debug("%s: redirected to %s%s", x->what, next,
			  oci_sources_url(&x->src) ? " (a foreign layer's URL: no credentials)"
			  : oci_registry_same_origin(s->reg, next)
			      ? ""
			      : " (another origin: no credentials)");
		if (start(s, m, p, next, err) < 0)
			return source_failed(s, m, x, err);
		return 0;
	}
	if (st == 401 && !oci_sources_url(&x->src) && p->auth_tries < 3 &&
	    oci_registry_same_origin(s->reg, p->url)) {
		p->auth_tries++;
		if (oci_registry_reauth(s->reg, &p->resp, err) < 0) {
			what_err(x, err);
			return xfer_fail(s, x, err);
		}
		if (start(s, m, p, NULL, err) < 0)
			return xfer_fail(s, x, err);
		return 0;
	}
	if (oci_http_retryable_status(st) && ++p->attempts < s->reg->max_attempts) {
		char why[32];
		snprintf(why, sizeof(why), "HTTP %ld", st);
		schedule_retry(s, p, m, p->resp.retry_after, why);
		return 0;
	}
	oci_http_resp r;
	oci_http_resp_init(&r);
	r.status = st;
	r.body = p->errbody;
	r.len = p->errlen;
	char buf[256], stt[64];
	const char *msg = oci_http_error_message(&r, buf, sizeof(buf));
	int code = st == 404 ? OCI_E_NOTFOUND : (st == 401 || st == 403) ? OCI_E_AUTH : OCI_E_NET;
	oci_http_status_text(st, stt, sizeof(stt));
	if (oci_http_retryable_status(st))
		oci_err(err, code, "%s%s%s, gave up after %d attempts", msg ? msg : "",
			msg ? ": " : "", stt, p->attempts);
	else if (code == OCI_E_AUTH)
		oci_err(err, code, "authentication failed: %s", msg ? msg : stt);
	else
		oci_err(err, code, "%s", msg ? msg : stt);
	return source_failed(s, m, x, err);
}

static void progress(oci_xfer_set *s, bool final)
{
	oci_progress_line *lines = calloc(s->n, sizeof(*lines));
	char(*labels)[96] = calloc(s->n, sizeof(*labels));
	if (!lines || !labels) {
		free(lines);
		free(labels);
		return;
	}
	int64_t now = oci_now_ms();
	for (size_t i = 0; i < s->n; i++) {
		oci_xfer *x = &s->x[i];
		char ds[OCI_DIGEST_STR_MAX];
		snprintf(labels[i], sizeof(labels[i]), "%s %s", x->what,
			 oci_digest_short(&x->digest, ds, sizeof(ds)));
		oci_progress_line *l = &lines[i];
		l->label = labels[i];
		l->total = (uint64_t)x->size;
		l->done = x->state == X_DONE ? (uint64_t)x->size : x->hashed;
		int64_t t1 = x->state == X_DONE ? x->t_end : now;
		if (x->received)
			l->rate = (uint64_t)((double)x->received * 1000.0 /
					     (double)(t1 > x->t_start ? t1 - x->t_start : 1));
		switch (x->state) {
		case X_DONE:
			l->status = x->cached	     ? "cached"
				    : s->done_status ? s->done_status
						     : "verified";
			break;
		case X_FAILED:
			l->status = "failed";
			break;
		case X_ACTIVE:
			l->status = x->parts_enabled > 1 ? "downloading (ranges)" : "downloading";
			break;
		case X_WAITLOCK:
			l->status = "waiting for another pull";
			break;
		default:
			l->status = final ? "stopped" : "waiting";
			break;
		}
	}
	oci_progress_draw(&s->pg, lines, s->n);
	free(lines);
	free(labels);
}

/* Take the next pending blob's lock; 1 when it is to be downloaded now. */
static int claim(oci_xfer_set *s, oci_xfer *x, oci_error *err)
{
	int r = oci_cache_trylock(s->store, &x->digest, &x->lockfd, err);
	if (r < 0)
		return what_err(x, err);
	if (r == 0) {
		if (x->state == X_PENDING)
			log_debug("%s: another process is downloading it; waiting", x->what);
		x->state = X_WAITLOCK;
		return 0;
	}
	if (x->state == X_WAITLOCK) {
		/* the other process finished (or gave up): is the blob there now? */
		int fd = -1;
		int g = oci_cache_get(s->store, &x->digest, x->size, true, &fd, err);
		if (g < 0)
			return -1;
		if (g > 0) {
			oci_cache_unlock(&x->lockfd);
			xfer_finish(s, x, fd, true);
			return 0;
		}
	}
	if (xfer_begin(s, x, err) < 0)
		return what_err(x, err);
	return 1;
}

int oci_xfer_run(oci_xfer_set *s, oci_error *err)
{
	CURLM *m = curl_multi_init();
	if (!m)
		return oci_err(err, OCI_E_INTERNAL, "cannot start libcurl");
	curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)s->jobs);
	int ret = 0;
	int64_t last_progress = 0;
	if (s->progress)
		oci_progress_init(&s->pg, STDERR_FILENO);
	for (;;) {
		oci_error ie = OCI_ERROR_INIT;
		pthread_mutex_lock(&s->mu);
		/* polled at least every 200 ms (curl_multi_poll's longest wait below) */
		if (!s->failed && oci_check_interrupted(&ie) < 0) {
			s->failed = true;
			s->err = ie;
			pthread_cond_broadcast(&s->cv);
		}
		bool stop = s->cancel || s->failed;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		int64_t now = oci_now_ms();
		int active = 0;
		bool all_done = true;
		int64_t next_wake = now + 200;
		for (size_t i = 0; i < s->n; i++) {
			oci_xfer *x = &s->x[i];
			all_done &= x->state == X_DONE;
			for (size_t k = 0; k < x->n_parts; k++)
				active += x->parts[k].state == P_ACTIVE;
		}
		if (all_done)
			break;
		/* fill the free request slots, bottom layer (and lowest chunk) first */
		for (size_t i = 0; i < s->n && active < s->jobs && !s->failed; i++) {
			oci_xfer *x = &s->x[i];
			if (x->state == X_PENDING || x->state == X_WAITLOCK) {
				int c = claim(s, x, err);
				if (c < 0) {
					xfer_fail(s, x, err);
					break;
				}
				if (c == 0)
					continue;
			}
			if (x->state != X_ACTIVE)
				continue;
			for (size_t k = 0; k < x->parts_enabled && active < s->jobs; k++) {
				oci_xfer_part *p = &x->parts[k];
				if (p->state == P_RETRY && p->not_before > now) {
					if (p->not_before < next_wake)
						next_wake = p->not_before;
					continue;
				}
				if (p->state != P_IDLE && p->state != P_RETRY)
					continue;
				if (start(s, m, p, NULL, err) < 0) {
					what_err(x, err);
					xfer_fail(s, x, err);
					break;
				}
				active++;
			}
		}
		if (s->failed)
			break;
		int running = 0;
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			oci_err(err, OCI_E_INTERNAL, "libcurl multi interface failed");
			ret = -1;
			break;
		}
		CURLMsg *msg;
		int left;
		bool finished_some = false;
		while ((msg = curl_multi_info_read(m, &left))) {
			finished_some = true;
			if (msg->msg != CURLMSG_DONE)
				continue;
			oci_xfer_part *p = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
			oci_error e = OCI_ERROR_INIT;
			complete(s, m, p, msg->data.result, &e);
		}
		if (s->failed)
			break;
		if (s->progress && now - last_progress >= 250) {
			progress(s, false);
			last_progress = now;
		}
		/* start the next transfers (or the chunks a 206 just allowed) without waiting */
		bool more = finished_some;
		for (size_t i = 0; i < s->n && !more; i++)
			for (size_t k = 1; k < s->x[i].parts_enabled && !more; k++)
				more = s->x[i].parts[k].state == P_IDLE && active < s->jobs;
		if (more)
			continue;
		int timeout = (int)(next_wake - oci_now_ms());
		if (timeout < 1)
			timeout = 1;
		if (timeout > 200)
			timeout = 200;
		curl_multi_poll(m, NULL, 0, timeout, NULL);
	}
	if (s->progress && s->n)
		progress(s, true);
	for (size_t i = 0; i < s->n; i++)
		for (size_t k = 0; k < s->x[i].n_parts; k++)
			part_drop_handle(&s->x[i].parts[k], m);
	curl_multi_cleanup(m);
	pthread_mutex_lock(&s->mu);
	if (s->failed) {
		*err = s->err;
		ret = -1;
	} else if (s->cancel && ret == 0) {
		oci_err(err, OCI_E_INTERNAL, "cancelled");
		ret = -1;
	}
	if (ret < 0 && !s->failed) {
		s->failed = true;
		s->err = *err;
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return ret;
}

int64_t oci_xfer_wait(oci_xfer_set *s, size_t i, uint64_t have, bool *done)
{
	oci_xfer *x = &s->x[i];
	int64_t r;
	pthread_mutex_lock(&s->mu);
	while (!x->done && x->avail <= have && !s->failed && !s->cancel)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->failed || s->cancel)
		r = -1;
	else if (x->done || x->avail > have)
		r = (int64_t)x->avail;
	else
		r = -1;
	*done = x->done;
	pthread_mutex_unlock(&s->mu);
	return r;
}

void oci_xfer_cancel(oci_xfer_set *s)
{
	pthread_mutex_lock(&s->mu);
	s->cancel = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}
