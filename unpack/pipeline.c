/* A layer's two-stage pipeline, for machines with more than one CPU: a worker thread turns
 * compressed blocks into tar blocks (the produce function: a decompressor) while the calling
 * thread reads the source and applies what comes out. They share two small rings
 * (compressed blocks in, tar blocks out; a few MiB in all), and the worker only ever waits
 * on the rings, never on I/O, so stopping it is immediate. Everything that touches the
 * source, the root or the caller's error stays on the calling thread; the worker's own error
 * is handed over once it has stopped. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unpack/unpack.h"

#define IN_CAP (256u << 10) /* a compressed block in the ring */
#define N_IN   8
#define N_OUT  6

typedef struct ring_slot {
	unsigned char *buf;
	size_t len;
} ring_slot;

/* Guarded by mu, except what only one side touches (noted). */
struct oci_unpack_pipeline {
	pthread_t th;
	bool started, sync_init;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* any change: broadcast */
	ring_slot in[N_IN], out[N_OUT];
	size_t out_cap;
	size_t in_head, in_count;   /* compressed blocks queued by the caller */
	size_t out_head, out_count; /* tar blocks queued by the worker */
	bool in_eof;		    /* the source has ended */
	bool in_held;		    /* the worker reads in[in_head] */
	bool out_held;		    /* the caller reads out[out_head] */
	bool done, failed;	    /* the worker finished / failed (its error in worker_err) */
	bool stop;		    /* the caller wants the worker to stop */
	oci_unpack_source_fn src;   /* caller's side */
	void *src_ctx;
	const unsigned char *pend; /* caller's side: what is left of the source's last block */
	size_t pend_len;
	oci_unpack_produce_fn produce; /* worker's side */
	void *produce_ctx;
	oci_error worker_err; /* the worker's; read by the caller only after it stopped */
};

oci_unpack_pipeline *oci_unpack_pipeline_new(oci_unpack_source_fn src, void *src_ctx,
					     oci_unpack_produce_fn produce, void *produce_ctx,
					     size_t out_cap, oci_error *err)
{
	oci_unpack_pipeline *p = calloc(1, sizeof(*p));
	if (!p) {
		oci_err_errno(err, ENOMEM, "cannot allocate");
		return NULL;
	}
	p->src = src;
	p->src_ctx = src_ctx;
	p->produce = produce;
	p->produce_ctx = produce_ctx;
	p->out_cap = out_cap;
	oci_err_clear(&p->worker_err);
	for (size_t i = 0; i < N_IN; i++)
		if (!(p->in[i].buf = malloc(IN_CAP)))
			goto nomem;
	for (size_t i = 0; i < N_OUT; i++)
		if (!(p->out[i].buf = malloc(out_cap)))
			goto nomem;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->sync_init = true;
	return p;
nomem:
	oci_unpack_pipeline_free(p);
	oci_err_errno(err, ENOMEM, "cannot allocate");
	return NULL;
}

static void *worker(void *arg)
{
	oci_unpack_pipeline *p = arg;
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
		/* interruptions are the caller's thread's business */
		ssize_t n =
		    p->produce(p->produce_ctx, p->out[slot].buf, p->out_cap, &b, &p->worker_err);
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

int oci_unpack_pipeline_start(oci_unpack_pipeline *p, oci_error *err)
{
	/* The worker leaves signals to the caller's thread, whose reads they interrupt. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&p->th, NULL, worker, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return oci_err_errno(err, rc, "cannot start the decoder thread");
	p->started = true;
	return 0;
}

void oci_unpack_pipeline_stop(oci_unpack_pipeline *p)
{
	if (!p || !p->started)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	p->started = false;
}

void oci_unpack_pipeline_free(oci_unpack_pipeline *p)
{
	if (!p)
		return;
	oci_unpack_pipeline_stop(p);
	if (p->sync_init) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
	}
	for (size_t i = 0; i < N_IN; i++)
		free(p->in[i].buf);
	for (size_t i = 0; i < N_OUT; i++)
		free(p->out[i].buf);
	free(p);
}

int oci_unpack_pipeline_pop(oci_unpack_pipeline *p, const void **buf, size_t *len, oci_error *err)
{
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
		rc = oci_err(err, OCI_E_IO, "stopped");
	} else if (!p->in_count) {
		rc = 0;
	} else {
		*buf = p->in[p->in_head].buf;
		*len = p->in[p->in_head].len;
		p->in_held = true;
		rc = 1;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* Caller's thread, with mu held: queue what fits of the pending source block (copied, in
 * IN_CAP pieces). */
static void push_pending(oci_unpack_pipeline *p)
{
	while (p->pend_len > 0 && p->in_count < N_IN) {
		size_t slot = (p->in_head + p->in_count) % N_IN;
		size_t k = p->pend_len < IN_CAP ? p->pend_len : IN_CAP;
		memcpy(p->in[slot].buf, p->pend, k);
		p->in[slot].len = k;
		p->in_count++;
		p->pend += k;
		p->pend_len -= k;
	}
	pthread_cond_broadcast(&p->cv);
}

ssize_t oci_unpack_pipeline_next(oci_unpack_pipeline *p, const void **buf, oci_error *err)
{
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
		    p->in_count < N_IN && (p->pend_len || !p->in_eof) && !p->done && !p->failed;
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
			oci_unpack_pipeline_stop(p);
			if (failed)
				*err = p->worker_err;
			return failed ? -1 : 0;
		}
		if (room && p->pend_len) {
			push_pending(p);
			continue;
		}
		if (room) {
			const void *b;
			size_t n = 0;
			pthread_mutex_unlock(&p->mu);
			int rc = p->src(p->src_ctx, &b, &n, &e);
			if (rc < 0) {
				oci_unpack_pipeline_stop(p);
				*err = e;
				return -1;
			}
			pthread_mutex_lock(&p->mu);
			if (rc == 0) {
				p->in_eof = true;
				pthread_cond_broadcast(&p->cv);
			} else {
				p->pend = b;
				p->pend_len = n;
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
			oci_unpack_pipeline_stop(p);
			oci_unpack_check_interrupted(err);
			return -1;
		}
	}
}
