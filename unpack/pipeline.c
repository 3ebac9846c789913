/* A layer's pipeline, for machines with more than one CPU: a worker thread turns compressed
 * blocks into tar blocks (the produce function: a decompressor) while the calling thread
 * reads the source and applies what comes out, and a hasher thread feeds both streams to
 * their digests (the compressed digest and the diff_id: together as much work as the inflate,
 * so on the worker they made it the slowest stage). They share two small rings (compressed
 * blocks in, tar blocks out; a few MiB in all): a slot is reused only once its reader and
 * the hasher are both done with it. The worker and the hasher only ever wait on the rings,
 * never on I/O, so stopping them is immediate. Everything that touches the source, the root
 * or the caller's error stays on the calling thread; the threads' own errors are handed over
 * once they have stopped. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "unpack/unpack.h"

#define IN_CAP (256u << 10) /* a compressed block in the ring */
#define N_IN   8
#define N_OUT  6

typedef struct ring_slot {
	unsigned char *buf;
	size_t len;
} ring_slot;

/* Blocks are numbered from 0 in each ring; block k lives in slot k % N. Guarded by mu,
 * except what only one side touches (noted). */
struct oci_unpack_pipeline {
	pthread_t th, hash_th;
	bool started, hash_started, sync_init;
	pthread_mutex_t mu;
	/* One waiter each, woken only by the changes it waits for (a broadcast to all three on
	 * every block cost thousands of needless wake-ups per layer). */
	pthread_cond_t caller_cv, worker_cv, hasher_cv;
	ring_slot in[N_IN], out[N_OUT];
	size_t out_cap;
	uint64_t in_pushed, in_taken, in_hashed;  /* queued by the caller, released by the worker,
						     hashed */
	uint64_t out_made, out_taken, out_hashed; /* made by the worker, released by the caller,
						     hashed */
	bool in_eof;				  /* the source has ended */
	bool in_held;				  /* the worker reads block in_taken */
	bool out_held;				  /* the caller reads block out_taken */
	bool done, failed;			  /* the worker finished / failed (worker_err) */
	bool hash_failed;			  /* the hasher failed (hash_err) */
	bool stop;				  /* the caller wants the threads to stop */
	oci_unpack_source_fn src;		  /* caller's side */
	void *src_ctx;
	const unsigned char *pend; /* caller's side: what is left of the source's last block */
	size_t pend_len;
	oci_unpack_produce_fn produce; /* worker's side */
	void *produce_ctx;
	oci_unpack_hash_fn hash_in, hash_out; /* hasher's side */
	void *hash_ctx;
	oci_error worker_err, hash_err; /* read by the caller only after they stopped */
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* With mu held: blocks whose slots are still in use (not yet released, or not yet hashed). */
static uint64_t in_used(const oci_unpack_pipeline *p)
{
	return p->in_pushed - (p->hash_in ? min_u64(p->in_taken, p->in_hashed) : p->in_taken);
}

static uint64_t out_used(const oci_unpack_pipeline *p)
{
	return p->out_made - (p->hash_out ? min_u64(p->out_taken, p->out_hashed) : p->out_taken);
}

/* With mu held: whether the hasher has seen every block there will be. */
static bool all_hashed(const oci_unpack_pipeline *p)
{
	return (!p->hash_in || p->in_hashed == p->in_pushed) &&
	       (!p->hash_out || p->out_hashed == p->out_made);
}

enum { CALLER = 1, WORKER = 2, HASHER = 4 };

/* With mu held: wake the threads in who (CALLER|WORKER|HASHER) that wait. */
static void wake(oci_unpack_pipeline *p, int who)
{
	if (who & CALLER)
		pthread_cond_signal(&p->caller_cv);
	if (who & WORKER)
		pthread_cond_signal(&p->worker_cv);
	if (who & HASHER)
		pthread_cond_signal(&p->hasher_cv);
}

oci_unpack_pipeline *oci_unpack_pipeline_new(oci_unpack_source_fn src, void *src_ctx,
					     oci_unpack_produce_fn produce, void *produce_ctx,
					     oci_unpack_hash_fn hash_in,
					     oci_unpack_hash_fn hash_out, void *hash_ctx,
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
	p->hash_in = hash_in;
	p->hash_out = hash_out;
	p->hash_ctx = hash_ctx;
	p->out_cap = out_cap;
	oci_err_clear(&p->worker_err);
	oci_err_clear(&p->hash_err);
	for (size_t i = 0; i < N_IN; i++)
		if (!(p->in[i].buf = malloc(IN_CAP)))
			goto nomem;
	for (size_t i = 0; i < N_OUT; i++)
		if (!(p->out[i].buf = malloc(out_cap)))
			goto nomem;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->caller_cv, NULL);
	pthread_cond_init(&p->worker_cv, NULL);
	pthread_cond_init(&p->hasher_cv, NULL);
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
		while (out_used(p) == N_OUT && !p->stop)
			pthread_cond_wait(&p->worker_cv, &p->mu);
		bool stop = p->stop;
		size_t slot = p->out_made % N_OUT;
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
			p->out_made++;
		}
		wake(p, CALLER | HASHER);
		pthread_mutex_unlock(&p->mu);
		if (n <= 0)
			break;
	}
	return NULL;
}

/* The hasher: every input block, then every output block, as soon as each is there. It ends
 * when the worker has ended and everything is hashed, or at stop, or at its own failure. */
static void *hasher(void *arg)
{
	oci_unpack_pipeline *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		bool in = p->hash_in && p->in_hashed < p->in_pushed;
		bool out = !in && p->hash_out && p->out_hashed < p->out_made;
		if (p->stop || (!in && !out && (p->done || p->failed) && all_hashed(p)))
			break;
		if (!in && !out) {
			pthread_cond_wait(&p->hasher_cv, &p->mu);
			continue;
		}
		ring_slot *s = in ? &p->in[p->in_hashed % N_IN] : &p->out[p->out_hashed % N_OUT];
		pthread_mutex_unlock(&p->mu);
		int rc = (in ? p->hash_in : p->hash_out)(p->hash_ctx, s->buf, s->len, &p->hash_err);
		pthread_mutex_lock(&p->mu);
		if (rc < 0) {
			p->hash_failed = true;
			wake(p, CALLER);
			break;
		}
		if (in) {
			p->in_hashed++;
			wake(p, CALLER); /* room for input */
		} else {
			p->out_hashed++;
			wake(p, CALLER | WORKER); /* room for output */
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int oci_unpack_pipeline_start(oci_unpack_pipeline *p, oci_error *err)
{
	/* The threads leave signals to the caller's thread, whose reads they interrupt. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&p->th, NULL, worker, p);
	if (rc == 0) {
		p->started = true;
		if (p->hash_in || p->hash_out) {
			rc = pthread_create(&p->hash_th, NULL, hasher, p);
			p->hash_started = rc == 0;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		oci_unpack_pipeline_stop(p);
		return oci_err_errno(err, rc, "cannot start the decoder threads");
	}
	return 0;
}

void oci_unpack_pipeline_stop(oci_unpack_pipeline *p)
{
	if (!p || (!p->started && !p->hash_started))
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	wake(p, CALLER | WORKER | HASHER);
	pthread_mutex_unlock(&p->mu);
	if (p->started)
		pthread_join(p->th, NULL);
	if (p->hash_started)
		pthread_join(p->hash_th, NULL);
	p->started = p->hash_started = false;
}

void oci_unpack_pipeline_free(oci_unpack_pipeline *p)
{
	if (!p)
		return;
	oci_unpack_pipeline_stop(p);
	if (p->sync_init) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->caller_cv);
		pthread_cond_destroy(&p->worker_cv);
		pthread_cond_destroy(&p->hasher_cv);
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
		p->in_taken++;
		wake(p, CALLER);
	}
	while (p->in_taken == p->in_pushed && !p->in_eof && !p->stop)
		pthread_cond_wait(&p->worker_cv, &p->mu);
	if (p->stop) {
		rc = oci_err(err, OCI_E_IO, "stopped");
	} else if (p->in_taken == p->in_pushed) {
		rc = 0;
	} else {
		*buf = p->in[p->in_taken % N_IN].buf;
		*len = p->in[p->in_taken % N_IN].len;
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
	while (p->pend_len > 0 && in_used(p) < N_IN) {
		size_t slot = p->in_pushed % N_IN;
		size_t k = p->pend_len < IN_CAP ? p->pend_len : IN_CAP;
		memcpy(p->in[slot].buf, p->pend, k);
		p->in[slot].len = k;
		p->in_pushed++;
		p->pend += k;
		p->pend_len -= k;
	}
	wake(p, WORKER | HASHER);
}

ssize_t oci_unpack_pipeline_next(oci_unpack_pipeline *p, const void **buf, oci_error *err)
{
	oci_error e = OCI_ERROR_INIT;
	pthread_mutex_lock(&p->mu);
	if (p->out_held) {
		p->out_held = false;
		p->out_taken++;
		wake(p, WORKER);
	}
	for (;;) {
		bool room =
		    in_used(p) < N_IN && (p->pend_len || !p->in_eof) && !p->done && !p->failed;
		bool ready = p->out_taken < p->out_made;
		if (ready && !room && !p->hash_failed) {
			*buf = p->out[p->out_taken % N_OUT].buf;
			ssize_t n = (ssize_t)p->out[p->out_taken % N_OUT].len;
			p->out_held = true;
			pthread_mutex_unlock(&p->mu);
			return n;
		}
		if (p->failed || p->hash_failed || (p->done && !ready && all_hashed(p))) {
			bool failed = p->failed, hash_failed = p->hash_failed;
			pthread_mutex_unlock(&p->mu);
			oci_unpack_pipeline_stop(p);
			if (failed)
				*err = p->worker_err;
			else if (hash_failed)
				*err = p->hash_err;
			return failed || hash_failed ? -1 : 0;
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
				wake(p, WORKER | HASHER);
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
		pthread_cond_timedwait(&p->caller_cv, &p->mu, &ts);
		if (oci_interrupted) {
			pthread_mutex_unlock(&p->mu);
			oci_unpack_pipeline_stop(p);
			oci_check_interrupted(err);
			return -1;
		}
	}
}
