/* Parallel blob downloads (libcurl multi) into a blob store, with retries, resume by Range,
 * redirects and re-authentication, each blob hashed while it arrives. Large blobs are
 * fetched as several Range requests at once, written at their offsets. A consumer thread
 * (the archive writer) can follow each blob's verified prefix as it lands, in its own order. */
#ifndef OCI_FETCH_TRANSFER_H
#define OCI_FETCH_TRANSFER_H

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/cache.h"
#include "fetch/http.h"
#include "fetch/progress.h"
#include "fetch/registry.h"
#include "fetch/sources.h"

/* Blobs larger than twice this are fetched as parallel Range requests of this size. */
#define OCI_XFER_CHUNK_DEFAULT (16u << 20)

struct oci_xfer;
struct oci_xfer_set;

/* One HTTP request's worth of a blob: the whole blob, or one byte range of it. */
typedef struct oci_xfer_part {
	struct oci_xfer *x;
	uint64_t start, len; /* the range [start, start + len) */
	uint64_t have;	     /* bytes of the range in the file */
	uint64_t skip;	     /* bytes of the response to drop (a server that ignored Range) */
	int state;
	bool ranged;   /* a chunk: always send Range, even from its first byte */
	bool no_range; /* the server sent a bad Content-Range: ask for the whole blob */
	bool body_started;
	bool filled; /* got its whole range from a longer (200) answer; stopped early */
	char *buf;   /* received bytes not yet written out */
	size_t buflen;
	CURL *e;
	struct curl_slist *hdrs;
	char *url;
	oci_http_resp resp;
	char errbody[1024];
	size_t errlen;
	int attempts, auth_tries, redirects;
	int64_t not_before;
	oci_error werr;
	bool werr_set;
} oci_xfer_part;

typedef struct oci_xfer {
	struct oci_xfer_set *set;
	/* set by the caller */
	oci_digest digest;
	int64_t size;
	char what[64]; /* "layer 2/3" */
	/* shared with consumers, under the set's mutex */
	int fd;		/* readable content (temporary file, then the stored blob) */
	uint64_t avail; /* bytes of fd that are written and hashed, from the start */
	bool done;	/* complete and verified */
	bool cached;	/* was already in the store */
	/* private to the downloader */
	int state;
	char tmpname[128];
	oci_hasher *h;
	uint64_t hashed; /* the hash has seen [0, hashed) */
	oci_xfer_part *parts;
	uint64_t part_len;    /* each part's length but the last one's */
	size_t n_parts;	      /* planned */
	size_t parts_enabled; /* 1 until the server has shown it honours Range */
	bool range_ok;
	uint64_t received; /* bytes downloaded for this blob (progress) */
	int64_t t_start, t_end;
	int lockfd;
	/* Where it comes from: the registry, then a foreign layer's URLs (the caller sets
	 * src.nondist and src.urls). */
	oci_sources src;
} oci_xfer;

typedef struct oci_xfer_set {
	oci_registry *reg;
	oci_cache *store;
	int jobs;		 /* requests at once */
	uint64_t chunk_size;	 /* 0: never split a blob */
	bool progress;		 /* progress bars on stderr */
	const char *done_status; /* a finished download's status in the bars; NULL: "verified" */
	oci_progress pg;
	size_t n;
	oci_xfer *x;
	char *scratch; /* for hashing chunks back from the file */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool cancel; /* the consumer failed: stop */
	bool failed; /* a download failed: err says why */
	oci_error err;
	/* the stream's reader needs no hashing of a cached blob's bytes (oci_cache_get_unless;
	 * NULL: every cached blob is hashed) */
	oci_cache_unneeded_fn unneeded;
	void *unneeded_ud;
	uint64_t total, received, from_cache;
	int retries;	    /* counts retried/resumed requests, for --debug */
	int range_requests; /* chunk requests sent, for --debug */
} oci_xfer_set;

int oci_xfer_set_init(oci_xfer_set *s, oci_registry *reg, oci_cache *store, int jobs, size_t n,
		      oci_error *err);
void oci_xfer_set_release(oci_xfer_set *s);
/* Check the store for each blob (verifying what is there); those found are done at once. */
int oci_xfer_lookup(oci_xfer_set *s, oci_error *err);
/* Download every missing blob; returns when all are done or one failed (or on cancel). */
int oci_xfer_run(oci_xfer_set *s, oci_error *err);
/* Consumer side: wait until blob i has more than `seen` bytes available or is done (then
 * *done is true: the whole blob is verified). Returns the bytes available, or -1 when the
 * transfers failed or were cancelled. */
int64_t oci_xfer_wait(oci_xfer_set *s, size_t i, uint64_t seen, bool *done);
/* Consumer side: stop the downloads (the consumer failed). */
void oci_xfer_cancel(oci_xfer_set *s);
/* Parts a blob is split into at most: each costs some 16 KiB of memory whatever its length,
 * and the size that decides how many there are is the manifest's (a hostile registry's): a
 * layer claiming 1 TiB asked for 65536 parts at 16 MiB, 1 GiB of memory before any byte came.
 * 256 parts is 4 GiB at 16 MiB chunks; a bigger blob gets longer parts. */
#define OCI_XFER_MAX_PARTS 256
/* How blob sizes split into Range chunks: the number of parts (1: one plain GET), each
 * *part_len bytes long (the last one shorter): chunk_size, or more to stay within
 * OCI_XFER_MAX_PARTS. */
size_t oci_xfer_plan_parts(int64_t size, uint64_t chunk_size, uint64_t *part_len);
#endif
