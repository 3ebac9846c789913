/* Parallel blob downloads over one libcurl multi handle. Blobs start in the order given
 * (bottom layer first) so the in-order archive writer is rarely kept waiting; each is hashed
 * as it arrives and written at its offset, so an interrupted transfer resumes with a Range
 * request from where it stopped (and a server that ignores Range has its prefix skipped);
 * 5xx, 429 (Retry-After) and connection errors are retried with backoff. */
#include "fetch/transfer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

enum { X_PENDING = 0, X_WAITLOCK, X_ACTIVE, X_RETRY, X_DONE, X_FAILED };

#define MAX_REDIRECTS 5
#define XFER_BUF (512u << 10) /* libcurl hands over 16 KiB at a time: write and hash in bigger pieces */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int oci_xfer_set_init(oci_xfer_set *s, oci_registry *reg, oci_cache *store, int jobs, size_t n, oci_error *err)
{
	memset(s, 0, sizeof(*s));
	s->reg = reg;
	s->store = store;
	s->jobs = jobs > 0 ? jobs : 4;
	s->n = n;
	s->x = n ? oci_calloc(n, sizeof(*s->x), err) : NULL;
	if (n && !s->x)
		return -1;
	for (size_t i = 0; i < n; i++) {
		s->x[i].set = s;
		s->x[i].fd = -1;
		s->x[i].lockfd = -1;
		oci_http_resp_init(&s->x[i].resp);
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	return 0;
}

static void xfer_drop_handle(oci_xfer *x, CURLM *m)
{
	if (x->e) {
		if (m)
			curl_multi_remove_handle(m, x->e);
		curl_easy_cleanup(x->e);
		x->e = NULL;
	}
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	free(x->url);
	x->url = NULL;
}

void oci_xfer_set_release(oci_xfer_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		oci_xfer *x = &s->x[i];
		xfer_drop_handle(x, NULL);
		if (!x->done && x->tmpname[0])
			oci_cache_discard(s->store, x->tmpname);
		if (x->fd >= 0)
			close(x->fd);
		oci_cache_unlock(&x->lockfd);
		if (x->h)
			oci_hasher_free(x->h);
		free(x->buf);
		oci_http_resp_release(&x->resp);
	}
	free(s->x);
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
		int r = oci_cache_get(s->store, &x->digest, x->size, true, &fd, err);
		if (r < 0)
			return oci_err_prefix(err, "%s", x->what);
		if (r > 0)
			xfer_finish(s, x, fd, true);
	}
	return 0;
}

static size_t header_cb(char *buf, size_t size, size_t n, void *ud)
{
	oci_xfer *x = ud;
	oci_http_resp_header(&x->resp, buf, size * n);
	return size * n;
}

/* Write the buffered bytes at their offset, hash them, and let the consumer see them. */
static int flush(oci_xfer *x)
{
	oci_xfer_set *s = x->set;
	size_t off = 0;
	if (!x->buflen)
		return 0;
	while (off < x->buflen) {
		ssize_t w = pwrite(x->fd, x->buf + off, x->buflen - off, (off_t)(x->have + off));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			oci_err_errno(&x->werr, errno, "writing '%s'", x->tmpname);
			x->werr_set = true;
			return -1;
		}
		off += (size_t)w;
	}
	if (oci_hasher_update(x->h, x->buf, x->buflen, &x->werr) < 0) {
		x->werr_set = true;
		return -1;
	}
	pthread_mutex_lock(&s->mu);
	x->have += x->buflen;
	x->avail = x->have;
	s->received += x->buflen;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	x->buflen = 0;
	return 0;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *ud)
{
	oci_xfer *x = ud;
	size_t len = size * n;
	long st = 0;
	curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &st);
	if (st != 200 && st != 206) {
		size_t room = sizeof(x->errbody) - 1 - x->errlen;
		size_t c = len < room ? len : room;
		memcpy(x->errbody + x->errlen, buf, c);
		x->errlen += c;
		x->errbody[x->errlen] = '\0';
		return len;
	}
	if (!x->body_started) {
		x->body_started = true;
		if (st == 206) {
			if (x->resp.content_range_start != (long long)x->have) {
				oci_err(&x->werr, OCI_E_NET, "bad Content-Range from the server (asked from byte %llu)",
					(unsigned long long)x->have);
				x->werr_set = true;
				return 0;
			}
			x->skip = 0;
		} else {
			x->skip = x->have; /* the server ignored Range: drop what we already have */
		}
	}
	const char *p = buf;
	size_t l = len;
	if (x->skip) {
		size_t d = x->skip < l ? (size_t)x->skip : l;
		x->skip -= d;
		p += d;
		l -= d;
	}
	if (!l)
		return len;
	if (x->have + x->buflen + l > (uint64_t)x->size) {
		oci_err(&x->werr, OCI_E_DIGEST, "size mismatch: more than the expected %lld bytes", (long long)x->size);
		x->werr_set = true;
		return 0;
	}
	if (x->buflen + l > XFER_BUF && flush(x) < 0)
		return 0;
	while (l) {
		size_t c = XFER_BUF - x->buflen < l ? XFER_BUF - x->buflen : l;
		memcpy(x->buf + x->buflen, p, c);
		x->buflen += c;
		p += c;
		l -= c;
		if (x->buflen == XFER_BUF && flush(x) < 0)
			return 0;
	}
	return len;
}

/* Begin (or resume) the request for x; url NULL means the registry's blob URL. */
static int start(oci_xfer_set *s, CURLM *m, oci_xfer *x, char *url, oci_error *err)
{
	if (x->fd < 0) {
		int fd = oci_cache_tmp(s->store, &x->digest, x->tmpname, sizeof(x->tmpname), err);
		if (fd < 0)
			return -1;
		pthread_mutex_lock(&s->mu);
		x->fd = fd;
		pthread_mutex_unlock(&s->mu);
		x->h = oci_hasher_new(x->digest.alg, err);
		if (!x->h)
			return -1;
		x->buf = oci_malloc(XFER_BUF, err);
		if (!x->buf)
			return -1;
	}
	xfer_drop_handle(x, m);
	if (oci_registry_reauth(s->reg, NULL, err) < 0) /* renew an expired token */
		return -1;
	x->url = url ? url : oci_registry_blob_url(s->reg, &x->digest, err);
	if (!x->url)
		return -1;
	x->e = curl_easy_init();
	if (!x->e)
		return oci_err(err, OCI_E_INTERNAL, "cannot start libcurl");
	if (oci_registry_setup_blob(s->reg, x->e, x->url, &x->hdrs, err) < 0)
		return -1;
	if (x->have > 0 && !x->no_range) {
		char range[64];
		snprintf(range, sizeof(range), "Range: bytes=%llu-", (unsigned long long)x->have);
		struct curl_slist *h = curl_slist_append(x->hdrs, range);
		if (!h)
			return oci_err(err, OCI_E_IO, "out of memory");
		x->hdrs = h;
	}
	oci_http_resp_release(&x->resp);
	x->body_started = false;
	x->errlen = 0;
	x->errbody[0] = '\0';
	curl_easy_setopt(x->e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(x->e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(x->e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->e, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(x->e, CURLOPT_PIPEWAIT, 1L);
	if (curl_multi_add_handle(m, x->e) != CURLM_OK)
		return oci_err(err, OCI_E_INTERNAL, "cannot add a transfer");
	log_debug("%s: GET %s%s", x->what, x->url, x->have ? " (resuming)" : "");
	x->state = X_ACTIVE;
	return 0;
}

static void schedule_retry(oci_xfer_set *s, oci_xfer *x, CURLM *m, long retry_after, const char *why)
{
	long ms = oci_http_backoff_ms(x->attempts, retry_after);
	char ds[OCI_DIGEST_STR_MAX];
	log_debug("%s %s: %s at byte %llu; retry %d in %ld ms", x->what, oci_digest_short(&x->digest, ds, sizeof(ds)),
		  why, (unsigned long long)x->have, x->attempts, ms);
	xfer_drop_handle(x, m);
	x->state = X_RETRY;
	x->not_before = now_ms() + ms;
	s->retries++;
}

static int what_err(oci_xfer *x, oci_error *err)
{
	char ds[OCI_DIGEST_STR_MAX];
	return oci_err_prefix(err, "%s: blob %s", x->what, oci_digest_str(&x->digest, ds));
}

/* A request of x finished; decide what comes next. */
static int complete(oci_xfer_set *s, CURLM *m, oci_xfer *x, CURLcode rc, oci_error *err)
{
	long st = 0;
	curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &st);
	/* what arrived before an error is a good prefix to resume from */
	if (!x->werr_set)
		flush(x);
	x->buflen = 0;
	if (x->werr_set) {
		*err = x->werr;
		x->werr_set = false;
		if (err->code == OCI_E_NET && ++x->attempts < s->reg->max_attempts) {
			x->no_range = true; /* ask for everything and skip what we have */
			schedule_retry(s, x, m, -1, "bad Content-Range");
			return 0;
		}
		what_err(x, err);
		return xfer_fail(s, x, err);
	}
	if (rc != CURLE_OK) {
		if (oci_http_retryable_code(rc) && ++x->attempts < s->reg->max_attempts) {
			schedule_retry(s, x, m, -1, curl_easy_strerror(rc));
			return 0;
		}
		oci_err_curl(err, rc, NULL, "%s", x->url);
		what_err(x, err);
		return xfer_fail(s, x, err);
	}
	if (st == 200 || st == 206) {
		if (x->have < (uint64_t)x->size) {
			/* the connection ended cleanly but early (no Content-Length): resume */
			if (++x->attempts < s->reg->max_attempts) {
				schedule_retry(s, x, m, -1, "short body");
				return 0;
			}
			oci_err(err, OCI_E_DIGEST, "size mismatch: expected %lld bytes, got %llu", (long long)x->size,
				(unsigned long long)x->have);
			what_err(x, err);
			return xfer_fail(s, x, err);
		}
		oci_digest got;
		char ds[OCI_DIGEST_STR_MAX], what[128];
		snprintf(what, sizeof(what), "%s: blob %s", x->what, oci_digest_str(&x->digest, ds));
		if (oci_hasher_final(x->h, &got, err) < 0 ||
		    oci_digest_verify(&x->digest, x->size, &got, x->have, what, err) < 0)
			return xfer_fail(s, x, err);
		if (oci_cache_commit(s->store, x->tmpname, &x->digest, err) < 0)
			return xfer_fail(s, x, err);
		x->tmpname[0] = '\0';
		oci_cache_unlock(&x->lockfd);
		xfer_drop_handle(x, m);
		xfer_finish(s, x, x->fd, false);
		return 0;
	}
	if ((st == 301 || st == 302 || st == 303 || st == 307 || st == 308) && x->resp.location[0]) {
		if (++x->redirects > MAX_REDIRECTS) {
			oci_err(err, OCI_E_NET, "too many redirects");
			what_err(x, err);
			return xfer_fail(s, x, err);
		}
		char *next = oci_http_resolve(x->url, x->resp.location, err);
		if (!next)
			return xfer_fail(s, x, err);
		log_debug("%s: redirected to %s%s", x->what, next,
			  oci_registry_same_origin(s->reg, next) ? "" : " (another origin: no credentials)");
		if (start(s, m, x, next, err) < 0)
			return xfer_fail(s, x, err);
		return 0;
	}
	if (st == 401 && x->auth_tries < 3 && oci_registry_same_origin(s->reg, x->url)) {
		x->auth_tries++;
		if (oci_registry_reauth(s->reg, x->resp.www_auth, err) < 0)
			return xfer_fail(s, x, err);
		if (start(s, m, x, NULL, err) < 0)
			return xfer_fail(s, x, err);
		return 0;
	}
	if (oci_http_retryable_status(st) && ++x->attempts < s->reg->max_attempts) {
		char why[32];
		snprintf(why, sizeof(why), "HTTP %ld", st);
		schedule_retry(s, x, m, x->resp.retry_after, why);
		return 0;
	}
	oci_http_resp r;
	oci_http_resp_init(&r);
	r.status = st;
	r.body = x->errbody;
	r.len = x->errlen;
	char buf[256];
	const char *msg = oci_http_error_message(&r, buf, sizeof(buf));
	oci_err(err, st == 404 ? OCI_E_NOTFOUND : (st == 401 || st == 403) ? OCI_E_AUTH : OCI_E_NET, "%s",
		msg ? msg : (snprintf(buf, sizeof(buf), "HTTP %ld", st), buf));
	what_err(x, err);
	return xfer_fail(s, x, err);
}

static void human(uint64_t n, char *buf, size_t len)
{
	if (n >= (1u << 30))
		snprintf(buf, len, "%.2f GiB", (double)n / (1u << 30));
	else if (n >= (1u << 20))
		snprintf(buf, len, "%.1f MiB", (double)n / (1u << 20));
	else
		snprintf(buf, len, "%.1f KiB", (double)n / 1024);
}

static void progress(oci_xfer_set *s, int64_t start_ms, bool final)
{
	size_t done = 0;
	for (size_t i = 0; i < s->n; i++)
		done += s->x[i].state == X_DONE;
	char a[32], b[32], c[32];
	uint64_t got = s->received + s->from_cache;
	double secs = (double)(now_ms() - start_ms) / 1000.0;
	human(got, a, sizeof(a));
	human(s->total, b, sizeof(b));
	human(secs > 0.05 ? (uint64_t)((double)s->received / secs) : 0, c, sizeof(c));
	fprintf(stderr, "\r\033[Klayers %zu/%zu  %s / %s  %s/s%s", done, s->n, a, b, c, final ? "\n" : "");
	fflush(stderr);
}

int oci_xfer_run(oci_xfer_set *s, oci_error *err)
{
	CURLM *m = curl_multi_init();
	if (!m)
		return oci_err(err, OCI_E_INTERNAL, "cannot start libcurl");
	curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)s->jobs);
	int ret = 0;
	int64_t t0 = now_ms(), last_progress = 0;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		bool stop = s->cancel || s->failed;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		int64_t now = now_ms();
		int active = 0;
		bool all_done = true;
		int64_t next_wake = now + 200;
		for (size_t i = 0; i < s->n; i++) {
			int st = s->x[i].state;
			active += st == X_ACTIVE;
			all_done &= st == X_DONE;
		}
		if (all_done)
			break;
		for (size_t i = 0; i < s->n && active < s->jobs; i++) {
			oci_xfer *x = &s->x[i];
			if (x->state == X_RETRY && x->not_before > now) {
				if (x->not_before < next_wake)
					next_wake = x->not_before;
				continue;
			}
			if (x->state == X_PENDING || x->state == X_WAITLOCK) {
				int r = oci_cache_trylock(s->store, &x->digest, &x->lockfd, err);
				if (r < 0) {
					what_err(x, err);
					xfer_fail(s, x, err);
					break;
				}
				if (r == 0) {
					if (x->state == X_PENDING)
						log_debug("%s: another process is downloading it; waiting", x->what);
					x->state = X_WAITLOCK;
					continue;
				}
				if (x->state == X_WAITLOCK) {
					/* the other process finished (or gave up): is the blob there now? */
					int fd = -1;
					int g = oci_cache_get(s->store, &x->digest, x->size, true, &fd, err);
					if (g < 0) {
						xfer_fail(s, x, err);
						break;
					}
					if (g > 0) {
						oci_cache_unlock(&x->lockfd);
						xfer_finish(s, x, fd, true);
						continue;
					}
				}
			} else if (x->state != X_RETRY) {
				continue;
			}
			if (start(s, m, x, NULL, err) < 0) {
				what_err(x, err);
				xfer_fail(s, x, err);
				break;
			}
			active++;
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
			oci_xfer *x = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			oci_error e = OCI_ERROR_INIT;
			complete(s, m, x, msg->data.result, &e);
		}
		if (s->failed)
			break;
		if (s->progress && now - last_progress >= 250) {
			progress(s, t0, false);
			last_progress = now;
		}
		if (finished_some)
			continue; /* start the next transfers (or finish) without waiting */
		int timeout = (int)(next_wake - now_ms());
		if (timeout < 1)
			timeout = 1;
		if (timeout > 200)
			timeout = 200;
		curl_multi_poll(m, NULL, 0, timeout, NULL);
	}
	if (s->progress)
		progress(s, t0, true);
	for (size_t i = 0; i < s->n; i++)
		xfer_drop_handle(&s->x[i], m);
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
