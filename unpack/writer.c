/* File writers: the data and metadata of new regular files are written by worker threads
 * while the calling thread goes on parsing the tar and creating the next files, so that the
 * kernel's work of writing (page allocation, block allocation, chown, xattrs, times, close)
 * hides behind the creation of the next ones.
 *
 * The dependency rule: the calling thread does every path operation itself, in archive order
 * (resolving beneath the root, removing what is in the way, creating the file with O_EXCL,
 * whiteouts, hardlinks, renames of nothing), and hands a worker only the open fd of a file it
 * just created. What a worker does goes through that fd alone, so it cannot be redirected by
 * any later entry, and no later entry depends on it: a whiteout or an overwrite of the same
 * name unlinks the name (the worker then fills an inode nobody sees), a hardlink links the
 * name (the inode gets its data and metadata all the same). Only what reads the files' state
 * must wait for the workers: the end of each layer (opaque directories, the diff_id check that
 * decides whether the layer counts) and the directory times at the very end. Each job holds a
 * copy of its entry (owner, mode, xattrs, times) and of its data; the memory they hold (data,
 * and the copies' paths and xattrs) and the open fds in flight are bounded (WRITER_MAX_BYTES,
 * WRITER_MAX_JOBS), and a file larger than WRITER_MAX_FILE is written on the calling thread
 * as before. The first error of any job is
 * kept and returned by oci_unpack_writers_drain, prefixed with its entry's name. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "unpack/unpack.h"

#define WRITER_MAX_FILE	   (8u << 20)  /* larger files are written on the calling thread */
#define WRITER_MAX_BYTES   (32u << 20) /* data in flight */
#define WRITER_MAX_JOBS	   256	       /* open fds in flight */
#define WRITER_MAX_THREADS 4
/* Workers are woken by batches: a wake-up costs two context switches (a few microseconds on
 * this kind of guest), more than writing a small file, and the jobs of a layer come faster
 * than one worker takes them. The calling thread wakes them anyway before it waits (room,
 * drain), so a batch never waits for more jobs that cannot come. */
#define WRITER_BATCH_JOBS  16
#define WRITER_BATCH_BYTES (1u << 20)

typedef struct job {
	struct job *next;
	int fd;
	struct archive_entry *e; /* a copy of the entry */
	unsigned char *data;
	size_t len;
	size_t cost; /* len and the copy's path, link and xattrs: what it holds in memory */
} job;

struct oci_unpack_writers {
	oci_unpack_root *root;
	oci_unpack_writer_fn fn;
	pthread_mutex_t mu;
	pthread_cond_t work; /* a job queued, or stop: workers wait on it */
	pthread_cond_t room; /* a job done: the calling thread waits on it (submit, drain) */
	pthread_t th[WRITER_MAX_THREADS];
	size_t n_threads;
	job *head, *tail;
	size_t queued, busy; /* jobs waiting, jobs being written */
	size_t bytes;	     /* data of queued and busy jobs */
	size_t idle;	     /* workers waiting on work */
	size_t unwoken;	     /* jobs queued since a worker was last woken */
	size_t unwoken_bytes;
	bool stop; /* release: workers discard what is left and exit */
	bool failed;
	oci_error err; /* the first failure */
};

bool oci_unpack_writers_fit(int64_t size)
{
	return size >= 0 && size <= WRITER_MAX_FILE;
}

/* With mu held: every idle worker takes what is queued (the calling thread is about to wait). */
static void wake_all(oci_unpack_writers *w)
{
	if (w->queued && w->idle)
		pthread_cond_broadcast(&w->work);
	w->unwoken = w->unwoken_bytes = 0;
}

static void job_free(job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->e)
		archive_entry_free(j->e);
	free(j->data);
	free(j);
}

static void *worker(void *arg)
{
	oci_unpack_writers *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->head && !w->stop) {
			w->idle++;
			pthread_cond_wait(&w->work, &w->mu);
			w->idle--;
		}
		if (!w->head)
			break; /* stop, and nothing left */
		job *j = w->head;
		w->head = j->next;
		if (!w->head)
			w->tail = NULL;
		w->queued--;
		w->busy++;
		bool skip = w->stop || w->failed;
		pthread_mutex_unlock(&w->mu);

		oci_error e = OCI_ERROR_INIT;
		int rc = skip ? 0 : w->fn(w->root, j->fd, j->e, j->data, j->len, &e);
		if (rc == 0 && !skip && close(j->fd) < 0)
			rc = oci_err_errno(&e, errno, "cannot write");
		if (!skip)
			j->fd = -1; /* closed above, even when close failed */
		if (rc < 0) {
			const char *name = archive_entry_pathname(j->e);
			oci_unpack_err_entry(&e, name ? name : "");
		}

		pthread_mutex_lock(&w->mu);
		if (rc < 0 && !w->failed) {
			w->failed = true;
			w->err = e;
		}
		w->busy--;
		w->bytes -= j->cost;
		pthread_cond_signal(&w->room);
		pthread_mutex_unlock(&w->mu);
		job_free(j);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

oci_unpack_writers *oci_unpack_writers_new(oci_unpack_root *r, oci_unpack_writer_fn fn,
					   oci_error *err)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (r->opts->no_threads || cpus < 2)
		return NULL;
	oci_unpack_writers *w = calloc(1, sizeof(*w));
	if (!w) {
		oci_err_errno(err, ENOMEM, "cannot allocate");
		return NULL;
	}
	w->root = r;
	w->fn = fn;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->room, NULL);
	size_t want = cpus > WRITER_MAX_THREADS ? WRITER_MAX_THREADS : (size_t)cpus;
	/* The workers must not take the signals the calling thread handles. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = 0; i < want; i++) {
		if (pthread_create(&w->th[i], NULL, worker, w) != 0)
			break;
		w->n_threads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!w->n_threads) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->room);
		free(w);
		return NULL; /* no thread: everything is written on the calling thread */
	}
	return w;
}

/* What a job's copy of its entry holds beyond the data: a pax header can give each of the
 * WRITER_MAX_JOBS entries in flight megabytes of xattrs and a long path, so they count in
 * WRITER_MAX_BYTES as the data does. */
static size_t entry_cost(struct archive_entry *e)
{
	const char *s[] = {archive_entry_pathname(e), archive_entry_symlink(e),
			   archive_entry_hardlink(e), archive_entry_uname(e),
			   archive_entry_gname(e)};
	size_t cost = sizeof(job);
	for (size_t i = 0; i < ARRAY_SIZE(s); i++)
		if (s[i])
			cost += strlen(s[i]) + 1;
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		cost += strlen(name) + 1 + size;
	return cost;
}

int oci_unpack_writers_submit(oci_unpack_writers *w, int fd, struct archive_entry *e,
			      unsigned char *data, size_t len, oci_error *err)
{
	job *j = calloc(1, sizeof(*j));
	struct archive_entry *copy = archive_entry_clone(e);
	if (!j || !copy) {
		free(j);
		if (copy)
			archive_entry_free(copy);
		free(data);
		close(fd);
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	}
	j->fd = fd;
	j->e = copy;
	j->data = data;
	j->len = len;
	j->cost = len + entry_cost(copy);
	pthread_mutex_lock(&w->mu);
	while (!w->failed && (w->queued + w->busy >= WRITER_MAX_JOBS ||
			      (w->bytes && w->bytes + j->cost > WRITER_MAX_BYTES))) {
		wake_all(w);
		pthread_cond_wait(&w->room, &w->mu);
	}
	if (w->failed) {
		*err = w->err;
		pthread_mutex_unlock(&w->mu);
		job_free(j);
		return -1;
	}
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued++;
	w->bytes += j->cost;
	w->unwoken++;
	w->unwoken_bytes += j->cost;
	if (w->idle &&
	    (w->unwoken >= WRITER_BATCH_JOBS || w->unwoken_bytes >= WRITER_BATCH_BYTES)) {
		pthread_cond_signal(&w->work);
		w->unwoken = w->unwoken_bytes = 0;
	}
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int oci_unpack_writers_drain(oci_unpack_writers *w, oci_error *err)
{
	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	wake_all(w);
	while (w->queued || w->busy)
		pthread_cond_wait(&w->room, &w->mu);
	int ret = 0;
	if (w->failed) {
		*err = w->err;
		ret = -1;
	}
	pthread_mutex_unlock(&w->mu);
	return ret;
}

void oci_unpack_writers_free(oci_unpack_writers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->mu);
	for (size_t i = 0; i < w->n_threads; i++)
		pthread_join(w->th[i], NULL);
	while (w->head) {
		job *j = w->head;
		w->head = j->next;
		job_free(j);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->room);
	free(w);
}
