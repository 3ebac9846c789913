/* Pulling an image. The name is resolved through registries.conf (short names, aliases,
 * mirrors, rewrites) and the first source that serves the manifest is used; the policy is
 * checked on the manifest digest before any layer is downloaded. The manifest (and index) and the
 * config are small: they are fetched into memory and verified before anything is written. Layers
 * are downloaded in parallel (transfer.c) into the blob store; for a stream, a writer thread
 * follows them in order and copies each blob's bytes out as they land, holding back its last bytes
 * until the blob is verified, so a consumer never receives a complete wrong blob. */
#include "fetch/pull.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/layout.h"
#include "common/log.h"
#include "common/media.h"
#include "common/util.h"
#include "fetch/archive_out.h"
#include "common/cache.h"
#include "common/treecache.h"
#include "fetch/policy.h"
#include "fetch/progress.h"
#include "fetch/registries_conf.h"
#include "fetch/transfer.h"

#define COPY_BUF (256u << 10)
/* --all-platforms: manifests and configs held at once, and layers planned (see
 * fetch_all_platforms; a real index of 50 platforms holds a few MiB and some hundred layers) */
#define PULL_ALL_HELD_MAX   (64u << 20)
#define PULL_ALL_LAYERS_MAX 16384

typedef struct pulled_manifest {
	char *body;
	size_t len;
	oci_digest digest;
	char media_type[128];
	oci_manifest m;
	char *config;
	size_t config_len;
	size_t *layer_xfer; /* index into the transfer set for each layer */
} pulled_manifest;

typedef struct pull {
	const oci_pull_opts *o;
	oci_ref ref;
	char refstr[600];
	oci_registry reg;
	bool reg_init;
	/* what index.json points at */
	char *top_body;
	size_t top_len;
	oci_digest top_digest;
	char top_mt[128];
	bool top_is_index;
	oci_index idx;
	size_t n_man;
	pulled_manifest *man;
	oci_cache store;
	bool store_open;
	oci_xfer_set xs;
	bool xs_init;
	oci_layout layout;
	bool layout_open;
	bool store_is_layout;
	oci_treecache trees; /* the stream handshake with oci-unpack --cache */
	bool trees_open;
	const oci_policy *policy; /* NULL: no policy check */
	bool policy_refused;	  /* a verdict, not a failing source: no other source is tried */
} pull;

static const char *short_digest(const oci_digest *d, char *buf, size_t len)
{
	return oci_digest_short(d, buf, len);
}

/* The media type of a fetched document: the Content-Type when it names a manifest or index
 * type, else what the document says (media.c infers from its shape when it says nothing). */
int oci_pull_doc_kind(const char *content_type, json_t *doc, char *mt, size_t len, oci_error *err)
{
	int k = oci_media_kind(content_type);
	if (k == OCI_KIND_INDEX || k == OCI_KIND_MANIFEST || k == OCI_KIND_SCHEMA1) {
		snprintf(mt, len, "%s", content_type);
	} else {
		const char *own = json_string_value(json_object_get(doc, "mediaType"));
		if (own && strlen(own) >= len)
			return oci_err(err, OCI_E_INVALID, "mediaType: longer than %zu bytes",
				       len - 1);
		if (own)
			snprintf(mt, len, "%s", own);
		else
			snprintf(mt, len, "%s",
				 json_object_get(doc, "manifests") ? OCI_MT_INDEX
								   : OCI_MT_MANIFEST);
		k = oci_media_kind(mt);
	}
	json_t *sv = json_object_get(doc, "schemaVersion");
	if (k == OCI_KIND_SCHEMA1 || (json_is_integer(sv) && json_integer_value(sv) == 1))
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "Docker manifest schema 1 is deprecated and not supported");
	if (k != OCI_KIND_INDEX && k != OCI_KIND_MANIFEST)
		return oci_err(err, OCI_E_UNSUPPORTED, "unsupported manifest media type '%s'", mt);
	return k;
}

/* Fetch, verify and parse one image manifest and its config. */
static int fetch_manifest(pull *p, pulled_manifest *pm, const char *reference,
			  const oci_digest *want, int64_t want_size, char *body, size_t len,
			  const char *ctype, oci_error *err)
{
	char mt[128];
	if (!body) {
		if (oci_registry_get_manifest(&p->reg, reference, want, want_size, &body, &len,
					      &pm->digest, mt, sizeof(mt), err) < 0)
			return -1;
		ctype = mt;
	}
	pm->body = body;
	pm->len = len;
	char ds[OCI_DIGEST_STR_MAX + 16];
	char what[96];
	snprintf(what, sizeof(what), "manifest %s", short_digest(&pm->digest, ds, sizeof(ds)));
	cleanup_json json_t *doc =
	    oci_json_loadb(body, len, OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH, what, err);
	if (!doc)
		return -1;
	int k = oci_pull_doc_kind(ctype, doc, pm->media_type, sizeof(pm->media_type), err);
	if (k < 0)
		return oci_err_prefix(err, "%s", what);
	if (k != OCI_KIND_MANIFEST)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "%s: an index inside an index is not supported", what);
	if (oci_manifest_parse(doc, pm->media_type, &pm->m, err) < 0)
		return oci_err_prefix(err, "%s", what);
	if (oci_registry_get_blob(&p->reg, &pm->m.config, OCI_JSON_MAX_SIZE, &pm->config,
				  &pm->config_len, err) < 0)
		return oci_err_prefix(err, "%s: config", p->refstr);
	cleanup_json json_t *cfg = oci_json_loadb(pm->config, pm->config_len, OCI_JSON_MAX_SIZE,
						  OCI_JSON_MAX_DEPTH, "image config", err);
	if (!cfg)
		return -1;
	return 0;
}

/* A single-platform image has no index to choose from: when --platform names another
 * platform than the image's config says, refuse instead of silently pulling it. */
int oci_pull_check_platform(json_t *cfg, const char *platform, const char *refstr, oci_error *err)
{
	oci_platform want, have;
	const char *os = NULL, *arch = NULL, *variant = NULL;
	char ws[128], hs[128];
	if (!platform)
		return 0;
	if (oci_platform_parse(platform, &want, err) < 0)
		return oci_err_prefix(err, "--platform");
	if (oci_json_get_string(cfg, "", "os", false, &os, err) < 0 ||
	    oci_json_get_string(cfg, "", "architecture", false, &arch, err) < 0 ||
	    oci_json_get_string(cfg, "", "variant", false, &variant, err) < 0)
		return oci_err_prefix(err, "%s: image config", refstr);
	if (!os || !arch)
		return 0; /* the config does not say: nothing to compare */
	if (strlen(os) >= sizeof(have.os) || strlen(arch) >= sizeof(have.arch) ||
	    (variant && strlen(variant) >= sizeof(have.variant)))
		return oci_err(err, OCI_E_INVALID,
			       "%s: image config: os, architecture or variant too long", refstr);
	memset(&have, 0, sizeof(have));
	snprintf(have.os, sizeof(have.os), "%s", os);
	snprintf(have.arch, sizeof(have.arch), "%s", arch);
	snprintf(have.variant, sizeof(have.variant), "%s", variant ? variant : "");
	if (!oci_platform_match(&want, &have))
		return oci_err(err, OCI_E_NOTFOUND,
			       "%s: no image for platform %s (the image is %s only)", refstr,
			       oci_platform_str(&want, ws, sizeof(ws)),
			       oci_platform_str(&have, hs, sizeof(hs)));
	return 0;
}

/* A single-manifest image pulled with --platform: its config must say that platform. */
static int check_single_platform(pull *p, const pulled_manifest *pm, oci_error *err)
{
	if (!p->o->platform)
		return 0;
	cleanup_json json_t *cfg = oci_json_loadb(pm->config, pm->config_len, OCI_JSON_MAX_SIZE,
						  OCI_JSON_MAX_DEPTH, "image config", err);
	if (!cfg)
		return oci_err_prefix(err, "%s: image config", p->refstr);
	return oci_pull_check_platform(cfg, p->o->platform, p->refstr, err);
}

static int sigs_from_registry(void *ctx, const oci_digest *d, oci_sigs *out, oci_error *err)
{
	return oci_sig_fetch(ctx, d, out, err);
}

/* --all-platforms: every manifest of the index and its config, held in memory until the layout
 * is written. A hostile index could name 10000 manifests of 1000 layers and a 4 MiB config
 * each (gigabytes, and a quadratic layer plan): a manifest listed twice is fetched once, and
 * what is held and the layers planned are capped far above any real image's. */
static int fetch_all_platforms(pull *p, oci_error *err)
{
	uint64_t held = 0;
	size_t layers = 0, n = 0;
	cleanup_free const oci_descriptor **uniq =
	    oci_calloc(p->idx.n_manifests ? p->idx.n_manifests : 1, sizeof(*uniq), err);
	p->man = oci_calloc(p->idx.n_manifests ? p->idx.n_manifests : 1, sizeof(*p->man), err);
	if (!uniq || !p->man)
		return -1;
	/* the sizes the index declares (each fetch is held to its own) are summed first */
	for (size_t i = 0; i < p->idx.n_manifests; i++) {
		const oci_descriptor *d = &p->idx.manifests[i];
		if (oci_media_kind(d->media_type) != OCI_KIND_MANIFEST)
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "%s: index entry %zu: unsupported media type '%s'",
				       p->refstr, i, d->media_type);
		size_t k = 0;
		while (k < n && !oci_digest_equal(&uniq[k]->digest, &d->digest))
			k++;
		if (k < n)
			continue;
		uniq[n++] = d;
		if ((held += (uint64_t)d->size) > PULL_ALL_HELD_MAX)
			goto too_big;
	}
	for (size_t i = 0; i < n; i++) {
		char ds[OCI_DIGEST_STR_MAX];
		pulled_manifest *pm = &p->man[p->n_man++];
		pm->digest = uniq[i]->digest;
		if (fetch_manifest(p, pm, oci_digest_str(&uniq[i]->digest, ds), &uniq[i]->digest,
				   uniq[i]->size, NULL, 0, NULL, err) < 0)
			return -1;
		if ((held += pm->config_len) > PULL_ALL_HELD_MAX)
			goto too_big;
		if ((layers += pm->m.n_layers) > PULL_ALL_LAYERS_MAX)
			return oci_err(err, OCI_E_LIMIT,
				       "%s: index: its platforms' manifests name over %d layers in "
				       "all",
				       p->refstr, PULL_ALL_LAYERS_MAX);
	}
	return 0;
too_big:
	return oci_err(err, OCI_E_LIMIT,
		       "%s: index: its platforms' manifests and configs are over %u MiB in all",
		       p->refstr, PULL_ALL_HELD_MAX >> 20);
}

static int resolve(pull *p, oci_error *err)
{
	char reference[OCI_DIGEST_STR_MAX + OCI_REF_TAG_MAX];
	oci_ref_manifest_ref(&p->ref, reference, sizeof(reference));
	char ctype[128];
	if (oci_registry_get_manifest(&p->reg, reference, p->ref.has_digest ? &p->ref.digest : NULL,
				      -1, &p->top_body, &p->top_len, &p->top_digest, ctype,
				      sizeof(ctype), err) < 0)
		return -1;
	/* the policy judges the name asked for and the digest served, before anything else */
	if (p->policy && oci_policy_check(p->policy, &p->ref, &p->top_digest, sigs_from_registry,
					  &p->reg, err) < 0) {
		p->policy_refused = true;
		return -1;
	}
	cleanup_json json_t *doc = oci_json_loadb(p->top_body, p->top_len, OCI_JSON_MAX_SIZE,
						  OCI_JSON_MAX_DEPTH, "manifest", err);
	if (!doc)
		return oci_err_prefix(err, "%s", p->refstr);
	int k = oci_pull_doc_kind(ctype, doc, p->top_mt, sizeof(p->top_mt), err);
	if (k < 0)
		return oci_err_prefix(err, "%s", p->refstr);
	if (k == OCI_KIND_MANIFEST) {
		p->man = oci_calloc(1, sizeof(*p->man), err);
		if (!p->man)
			return -1;
		p->n_man = 1;
		char *copy = oci_malloc(p->top_len + 1, err);
		if (!copy)
			return -1;
		memcpy(copy, p->top_body, p->top_len + 1);
		p->man[0].digest = p->top_digest;
		if (fetch_manifest(p, &p->man[0], NULL, NULL, -1, copy, p->top_len, p->top_mt,
				   err) < 0)
			return -1;
		return check_single_platform(p, &p->man[0], err);
	}
	p->top_is_index = true;
	if (oci_index_parse(doc, p->top_mt, &p->idx, err) < 0)
		return oci_err_prefix(err, "%s: index", p->refstr);
	if (!p->o->all_platforms) {
		oci_platform want;
		if (p->o->platform) {
			if (oci_platform_parse(p->o->platform, &want, err) < 0)
				return oci_err_prefix(err, "--platform");
		} else {
			oci_platform_host(&want);
		}
		const oci_descriptor *d;
		if (oci_index_select(&p->idx, &want, &d, err) < 0)
			return oci_err_prefix(err, "%s", p->refstr);
		p->man = oci_calloc(1, sizeof(*p->man), err);
		if (!p->man)
			return -1;
		p->n_man = 1;
		char ds[OCI_DIGEST_STR_MAX];
		oci_digest_str(&d->digest, ds);
		p->man[0].digest = d->digest;
		return fetch_manifest(p, &p->man[0], ds, &d->digest, d->size, NULL, 0, NULL, err);
	}
	return fetch_all_platforms(p, err);
}

/* One transfer per distinct layer blob, in the order the stream needs them. */
static int plan_layers(pull *p, oci_error *err)
{
	size_t total = 0;
	for (size_t i = 0; i < p->n_man; i++)
		total += p->man[i].m.n_layers;
	oci_descriptor **uniq = total ? oci_calloc(total, sizeof(*uniq), err) : NULL;
	if (total && !uniq)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < p->n_man; i++) {
		pulled_manifest *pm = &p->man[i];
		pm->layer_xfer =
		    oci_calloc(pm->m.n_layers ? pm->m.n_layers : 1, sizeof(size_t), err);
		if (!pm->layer_xfer) {
			free(uniq);
			return -1;
		}
		for (size_t j = 0; j < pm->m.n_layers; j++) {
			oci_descriptor *d = &pm->m.layers[j];
			size_t k;
			for (k = 0; k < n; k++)
				if (oci_digest_equal(&uniq[k]->digest, &d->digest))
					break;
			if (k == n)
				uniq[n++] = d;
			pm->layer_xfer[j] = k;
		}
	}
	if (oci_xfer_set_init(&p->xs, &p->reg, &p->store, p->o->jobs, n, err) < 0) {
		free(uniq);
		return -1;
	}
	p->xs_init = true;
	p->xs.progress = p->o->progress;
	if (p->o->chunk_size >= 0)
		p->xs.chunk_size = (uint64_t)p->o->chunk_size;
	for (size_t k = 0; k < n; k++) {
		p->xs.x[k].digest = uniq[k]->digest;
		p->xs.x[k].size = uniq[k]->size;
		snprintf(p->xs.x[k].what, sizeof(p->xs.x[k].what), "layer %zu/%zu", k + 1, n);
		/* where a non-distributable layer may be fetched from when the registry lacks it */
		oci_media_layer_info(uniq[k]->media_type, NULL, &p->xs.x[k].src.nondist, NULL);
		p->xs.x[k].src.urls = uniq[k]->urls;
		if (uniq[k]->size < 0) {
			free(uniq);
			return oci_err(err, OCI_E_INVALID, "layer %zu: negative size", k + 1);
		}
	}
	free(uniq);
	return 0;
}

static int open_store(pull *p, oci_error *err)
{
	if (p->o->layout_dir && p->o->no_cache) {
		/* download straight into the layout */
		/* the store is opened by its path: it must be the layout's own blobs/, not a
		 * symlink's target (the store opens its sha256/ without following one itself) */
		struct stat a, b;
		cleanup_close int bfd = openat(p->layout.dirfd, "blobs",
					       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		cleanup_free char *blobs = oci_asprintf(err, "%s/blobs", p->o->layout_dir);
		if (bfd < 0 || fstat(bfd, &a) < 0)
			return oci_err(err, OCI_E_UNSAFE,
				       "layout '%s': 'blobs' is not a directory (a symlink?): "
				       "refusing it",
				       p->o->layout_dir);
		if (!blobs || oci_cache_open(&p->store, blobs, false, err) < 0)
			return -1;
		p->store_is_layout = true;
		if (fstat(p->store.dirfd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
			oci_cache_release(&p->store);
			return oci_err(err, OCI_E_UNSAFE,
				       "layout '%s': 'blobs' was replaced: refusing it",
				       p->o->layout_dir);
		}
	} else if (p->o->no_cache) {
		if (oci_cache_open_temp(&p->store, err) < 0)
			return -1;
	} else {
		cleanup_free char *dir =
		    p->o->cache_dir ? oci_strdup(p->o->cache_dir, err) : oci_cache_default_dir(err);
		if (!dir || oci_cache_open(&p->store, dir, true, err) < 0)
			return -1;
	}
	p->store_open = true;
	return 0;
}

/* ---- stream output ---- */

typedef struct stream_job {
	pull *p;
	oci_archive_out out;
	oci_error err;
	int rc;
	bool xfer_failed;
} stream_job;

static char *stream_index_json(pull *p, oci_error *err)
{
	cleanup_json json_t *idx =
	    json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", OCI_MT_INDEX, "manifests");
	oci_descriptor d;
	memset(&d, 0, sizeof(d));
	snprintf(d.media_type, sizeof(d.media_type), "%s", p->man[0].media_type);
	d.digest = p->man[0].digest;
	d.size = (int64_t)p->man[0].len;
	json_t *e = idx ? oci_descriptor_to_json(&d, err) : NULL;
	if (!e)
		return idx ? NULL : (oci_err(err, OCI_E_IO, "out of memory"), NULL);
	const char *tag = p->o->layout_tag ? p->o->layout_tag : p->ref.tag;
	if (tag && *tag)
		json_object_set_new(e, "annotations", json_pack("{s:s}", OCI_ANNOT_REF_NAME, tag));
	json_array_append_new(json_object_get(idx, "manifests"), e);
	char *s = json_dumps(idx, JSON_COMPACT);
	if (!s)
		oci_err(err, OCI_E_IO, "out of memory");
	return s;
}

static int stream_blob(stream_job *j, size_t k, char *buf, oci_error *err)
{
	oci_xfer_set *xs = &j->p->xs;
	oci_xfer *x = &xs->x[k];
	char name[OCI_DIGEST_STR_MAX + 16];
	oci_digest_blob_path(&x->digest, name, sizeof(name));
	if (oci_archive_out_begin(&j->out, name, (uint64_t)x->size, err) < 0)
		return -1;
	uint64_t size = (uint64_t)x->size, written = 0, seen = 0;
	while (written < size) {
		bool done = false;
		int64_t avail = oci_xfer_wait(xs, k, seen, &done);
		if (avail < 0) {
			j->xfer_failed = true;
			return oci_err(err, OCI_E_INTERNAL, "download failed");
		}
		seen = (uint64_t)avail;
		/* the last byte waits for verification */
		uint64_t limit = done ? size : (seen < size ? seen : size - 1);
		if (written < limit) {
			if (oci_archive_out_data_fd(&j->out, x->fd, written, limit - written, buf,
						    COPY_BUF, err) < 0)
				return -1;
			written = limit;
		}
	}
	return oci_archive_out_end(&j->out, err);
}

static void *stream_thread(void *arg)
{
	stream_job *j = arg;
	pull *p = j->p;
	pulled_manifest *pm = &p->man[0];
	oci_error *err = &j->err;
	static const char layout_file[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	cleanup_free char *index = stream_index_json(p, err);
	cleanup_free char *buf = oci_malloc(COPY_BUF, err);
	char name[OCI_DIGEST_STR_MAX + 16];
	j->rc = -1;
	if (!index || !buf)
		goto out;
	if (oci_archive_out_file(&j->out, "oci-layout", layout_file, strlen(layout_file), err) <
		0 ||
	    oci_archive_out_file(&j->out, "index.json", index, strlen(index), err) < 0 ||
	    oci_archive_out_file(&j->out, oci_digest_blob_path(&pm->digest, name, sizeof(name)),
				 pm->body, pm->len, err) < 0 ||
	    oci_archive_out_file(&j->out,
				 oci_digest_blob_path(&pm->m.config.digest, name, sizeof(name)),
				 pm->config, pm->config_len, err) < 0)
		goto out;
	for (size_t l = 0; l < pm->m.n_layers; l++) {
		size_t k = pm->layer_xfer[l];
		bool dup = false;
		for (size_t e = 0; e < l; e++)
			dup |= pm->layer_xfer[e] == k;
		if (dup)
			continue;
		if (stream_blob(j, k, buf, err) < 0)
			goto out;
	}
	if (oci_archive_out_finish(&j->out, err) < 0)
		goto out;
	j->rc = 0;
out:
	if (j->rc < 0)
		oci_xfer_cancel(&p->xs);
	return NULL;
}

/* A cached blob's bytes need no hashing when the process reading our pipe said so: oci-unpack
 * --cache, which clones the tree these blobs were verified into and only counts their bytes
 * (common/treecache.h has the handshake and why nobody else can receive them unhashed). */
static bool stream_unneeded(void *ud, const oci_digest *d)
{
	pull *p = ud;
	return oci_treecache_claimed(&p->trees, STDOUT_FILENO, d);
}

/* The stream is whole: its reader gets its end now, not after the temporary blobs are
 * removed and everything is freed (tens of ms for a 100 MB image on a busy machine), since
 * oci-unpack does its last steps only at the end of its input. fd 1 is pointed at /dev/null
 * rather than closed, so no later open() can take its number; nothing else goes to stdout
 * in stream mode (--print-digest writes to stderr then). */
static void release_stdout(void)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0)
		return; /* the reader then sees the end when we exit, as before */
	dup2(null, STDOUT_FILENO);
	close(null);
}

static int write_stream(pull *p, oci_error *err)
{
	if (p->o->all_platforms)
		return oci_err(err, OCI_E_INVALID,
			       "--all-platforms needs an output layout (-o DIR)");
	stream_job j;
	memset(&j, 0, sizeof(j));
	j.p = p;
	/* the consumer is still at work when a download ends: the image is not done yet */
	p->xs.done_status = "downloaded";
	oci_archive_out_init(&j.out, STDOUT_FILENO);
	oci_error te = OCI_ERROR_INIT;
	if (p->store_open && !p->store.temporary && !p->store_is_layout) {
		p->trees_open = true;
		if (oci_treecache_open_existing(&p->trees, &p->store, &te) == 0) {
			p->xs.unneeded = stream_unneeded;
			p->xs.unneeded_ud = p;
		} else {
			log_debug("%s: every cached blob is hashed again", te.msg);
		}
	}
	/* The writer starts before the cached blobs are looked up (each one hashed again): the
	 * manifest and config, already verified, go out at once, so the consumer works on them
	 * (oci-unpack --cache clones its tree) while we hash, and a blob goes out as soon as it
	 * is verified while the next is hashed. */
	pthread_t th;
	int e = pthread_create(&th, NULL, stream_thread, &j);
	if (e)
		return oci_err_errno(err, e, "cannot start the writer thread");
	oci_error xerr = OCI_ERROR_INIT;
	int xr = oci_xfer_lookup(&p->xs, &xerr);
	if (xr < 0)
		oci_xfer_cancel(&p->xs);
	else
		xr = oci_xfer_run(&p->xs, &xerr);
	pthread_join(th, NULL);
	if (xr < 0 && (j.rc == 0 || j.xfer_failed || !j.err.msg[0])) {
		*err = xerr;
		return -1;
	}
	if (j.rc < 0) {
		*err = j.err;
		return -1;
	}
	release_stdout();
	return 0;
}

/* ---- layout output ---- */

static int copy_into_layout(pull *p, oci_xfer *x, oci_error *err)
{
	char name[OCI_DIGEST_STR_MAX + 16];
	oci_digest_blob_path(&x->digest, name, sizeof(name));
	if (oci_layout_has_blob(&p->layout, &x->digest, x->size))
		return 0;
	cleanup_close int dfd = oci_layout_blob_dir(&p->layout, x->digest.alg, true, err);
	if (dfd < 0)
		return oci_err_prefix(err, "%s", x->what);
	if (oci_cache_link(x->fd, dfd, x->digest.hex))
		return 0;
	oci_blob_writer w;
	if (oci_blob_writer_start(&p->layout, &x->digest, x->size, &w, err) < 0)
		return -1;
	cleanup_free char *buf = oci_malloc(COPY_BUF, err);
	if (!buf) {
		oci_blob_writer_abort(&w);
		return -1;
	}
	uint64_t off = 0;
	for (;;) {
		ssize_t r = pread(x->fd, buf, COPY_BUF, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			oci_blob_writer_abort(&w);
			return oci_err_errno(err, errno, "%s: reading the cached blob", x->what);
		}
		if (r == 0)
			break;
		if (oci_blob_writer_write(&w, buf, (size_t)r, err) < 0) {
			oci_blob_writer_abort(&w);
			return -1;
		}
		off += (uint64_t)r;
	}
	if (oci_blob_writer_commit(&w, err) < 0) {
		oci_blob_writer_abort(&w);
		return oci_err_prefix(err, "%s", x->what);
	}
	return 0;
}

static int put_small(pull *p, const void *data, size_t len, const oci_digest *want,
		     const char *what, oci_error *err)
{
	if (oci_layout_has_blob(&p->layout, want, (int64_t)len))
		return 0;
	oci_blob_writer w;
	if (oci_blob_writer_start(&p->layout, want, (int64_t)len, &w, err) < 0)
		return oci_err_prefix(err, "%s", what);
	if (oci_blob_writer_write(&w, data, len, err) < 0 || oci_blob_writer_commit(&w, err) < 0) {
		oci_blob_writer_abort(&w);
		return oci_err_prefix(err, "%s", what);
	}
	return 0;
}

static int write_layout(pull *p, oci_error *err)
{
	if (oci_xfer_lookup(&p->xs, err) < 0 || oci_xfer_run(&p->xs, err) < 0)
		return -1;
	int dfd = oci_layout_blob_dir(&p->layout, OCI_DIGEST_SHA256, true, err);
	if (dfd < 0)
		return -1;
	close(dfd);
	if (!p->store_is_layout)
		for (size_t k = 0; k < p->xs.n; k++)
			if (copy_into_layout(p, &p->xs.x[k], err) < 0)
				return oci_err_prefix(err, "layout '%s'", p->layout.path);
	for (size_t i = 0; i < p->n_man; i++) {
		pulled_manifest *pm = &p->man[i];
		if (put_small(p, pm->config, pm->config_len, &pm->m.config.digest, "config", err) <
			0 ||
		    put_small(p, pm->body, pm->len, &pm->digest, "manifest", err) < 0)
			return oci_err_prefix(err, "layout '%s'", p->layout.path);
	}
	oci_descriptor d;
	memset(&d, 0, sizeof(d));
	if (p->o->all_platforms && p->top_is_index) {
		if (put_small(p, p->top_body, p->top_len, &p->top_digest, "index", err) < 0)
			return oci_err_prefix(err, "layout '%s'", p->layout.path);
		snprintf(d.media_type, sizeof(d.media_type), "%s", p->top_mt);
		d.digest = p->top_digest;
		d.size = (int64_t)p->top_len;
	} else {
		snprintf(d.media_type, sizeof(d.media_type), "%s", p->man[0].media_type);
		d.digest = p->man[0].digest;
		d.size = (int64_t)p->man[0].len;
	}
	const char *tag = p->o->layout_tag ? p->o->layout_tag : (p->ref.tag[0] ? p->ref.tag : NULL);
	return oci_layout_add_manifest(&p->layout, &d, tag, err);
}

static void pull_release(pull *p)
{
	if (p->xs_init)
		oci_xfer_set_release(&p->xs);
	if (p->trees_open)
		oci_treecache_release(&p->trees);
	if (p->store_open)
		oci_cache_release(&p->store);
	if (p->layout_open)
		oci_layout_release(&p->layout);
	for (size_t i = 0; i < p->n_man; i++) {
		free(p->man[i].body);
		free(p->man[i].config);
		free(p->man[i].layer_xfer);
		oci_manifest_release(&p->man[i].m);
	}
	free(p->man);
	if (p->top_is_index)
		oci_index_release(&p->idx);
	free(p->top_body);
	if (p->reg_init)
		oci_registry_release(&p->reg);
}

static int report_digest(pull *p, oci_error *err)
{
	const oci_digest *d =
	    (p->o->all_platforms && p->top_is_index) ? &p->top_digest : &p->man[0].digest;
	char ds[OCI_DIGEST_STR_MAX];
	oci_digest_str(d, ds);
	if (p->o->digest_file &&
	    oci_write_file_atomic(AT_FDCWD, p->o->digest_file, ds, strlen(ds), 0644, err) < 0)
		return oci_err_prefix(err, "--digest-file");
	if (p->o->print_digest) {
		/* stdout carries the image stream unless the image went to a layout */
		FILE *f = p->o->layout_dir ? stdout : stderr;
		fprintf(f, "%s\n", ds);
		fflush(f);
	}
	return 0;
}

/* The one line a person at a terminal sees at the end (the bars show each blob). */
static void summary(pull *p, int64_t t0)
{
	char ds[OCI_DIGEST_STR_MAX + 16], sz[32], dl[32];
	const oci_digest *d =
	    (p->o->all_platforms && p->top_is_index) ? &p->top_digest : &p->man[0].digest;
	oci_progress_human(p->xs.total, sz, sizeof(sz));
	oci_progress_human(p->xs.received, dl, sizeof(dl));
	double secs = (double)(oci_now_ms() - t0) / 1000.0;
	if (p->o->layout_dir)
		fprintf(stderr,
			"oci-fetch: wrote %s %s to '%s': %zu layers, %s (%s downloaded) in %.1fs\n",
			p->refstr, oci_digest_short(d, ds, sizeof(ds)), p->o->layout_dir, p->xs.n,
			sz, dl, secs);
	else
		fprintf(stderr, "oci-fetch: sent %s %s: %zu layers, %s (%s downloaded) in %.1fs\n",
			p->refstr, oci_digest_short(d, ds, sizeof(ds)), p->xs.n, sz, dl, secs);
}

/* Forget what a failed source gave, so the next one starts clean. */
static void pull_reset(pull *p)
{
	const oci_pull_opts *o = p->o;
	const oci_policy *pol = p->policy;
	pull_release(p);
	memset(p, 0, sizeof(*p));
	p->o = o;
	p->policy = pol;
}

static int try_source(pull *p, const oci_pull_source *s, oci_error *err)
{
	oci_registry_opts ro = p->o->reg;
	char ss[sizeof(p->refstr)];
	oci_ref_str(&s->ref, ss, sizeof(ss));
	if (strcmp(ss, p->refstr))
		log_debug("%s: trying %s%s", p->refstr, s->mirror ? "mirror " : "", ss);
	/* insecure: TLS without verification, then plain HTTP (as containers/image does) */
	if (s->insecure)
		ro.tls.insecure = true;
	/* --creds and --username name no registry: they are the user's for the one the
	 * reference names. A mirror or a rewritten location on another host (registries.conf,
	 * maybe a third party's pull-through cache) got them all the same; it gets only what
	 * the auth files and helpers hold for its own host, as containers/image does. */
	if (strcmp(s->ref.domain, p->ref.domain)) {
		ro.creds = ro.username = ro.password = NULL;
		if (p->o->reg.creds || p->o->reg.username)
			log_debug(
			    "%s: not the reference's registry: no --creds or --username there", ss);
	}
	for (int attempt = 0;; attempt++) {
		int r = oci_registry_init(&p->reg, &s->ref, &ro, err);
		p->reg_init = true;
		if (r == 0 && resolve(p, err) == 0)
			return 0;
		if (r < 0)
			oci_err_prefix(err, "%s", ss);
		if (p->policy_refused || !s->insecure || ro.plain_http || attempt ||
		    (err->code != OCI_E_NET && err->code != OCI_E_TLS))
			return -1;
		log_debug("%s: %s; trying plain HTTP (insecure in registries.conf)", ss, err->msg);
		oci_ref logical = p->ref;
		pull_reset(p);
		p->ref = logical;
		oci_ref_str(&logical, p->refstr, sizeof(p->refstr));
		ro.plain_http = true;
		ro.tls.insecure = false;
	}
}

/* Each candidate name (one, unless a short name is searched in several registries), each of
 * its sources (mirrors, then the location) until one serves the manifest. */
static int resolve_sources(pull *p, const oci_regconf *rc, char **cands, oci_error *err)
{
	cleanup_free char *tried = NULL;
	oci_error last = OCI_ERROR_INIT;
	size_t attempts = 0;
	for (size_t c = 0; cands[c]; c++) {
		oci_ref logical;
		oci_pull_source *src;
		size_t n;
		if (oci_ref_parse(cands[c], &logical, err) < 0)
			return oci_err_prefix(err, "'%s'", cands[c]);
		if (oci_regconf_sources(rc, &logical, &src, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			pull_reset(p);
			p->ref = logical;
			oci_ref_str(&logical, p->refstr, sizeof(p->refstr));
			oci_err_clear(&last);
			if (try_source(p, &src[i], &last) == 0 || p->policy_refused) {
				free(src);
				if (p->policy_refused)
					*err = last;
				return p->policy_refused ? -1 : 0;
			}
			attempts++;
			char *t = tried ? oci_asprintf(err, "%s; %s", tried, last.msg)
					: oci_strdup(last.msg, err);
			if (!t) {
				free(src);
				return -1;
			}
			free(tried);
			tried = t;
		}
		free(src);
	}
	if (attempts == 1) {
		*err = last;
		return -1;
	}
	return oci_err(err, last.code, "no source served the image, tried %zu: %s", attempts,
		       tried ? tried : "");
}

int oci_pull(const oci_pull_opts *o, oci_error *err)
{
	int64_t t0 = oci_now_ms();
	pull p;
	memset(&p, 0, sizeof(p));
	p.o = o;
	int ret = -1;
	oci_regconf rc;
	oci_policy pol;
	cleanup_strv char **cands = NULL;
	memset(&pol, 0, sizeof(pol));
	if (oci_ref_parse(o->image, &p.ref, err) < 0)
		return oci_err_prefix(err, "'%s'", o->image);
	oci_ref_str(&p.ref, p.refstr, sizeof(p.refstr));
	if (!o->layout_dir && isatty(STDOUT_FILENO))
		return oci_err(err, OCI_E_INVALID,
			       "refusing to write an image stream to a terminal: redirect stdout "
			       "or use -o DIR");
	if (o->all_platforms && !o->layout_dir)
		return oci_err(err, OCI_E_INVALID,
			       "--all-platforms needs an output layout (-o DIR)");
	/* both files are read before any request: a mistake in them stops here */
	if (oci_regconf_load(&rc, o->registries_conf, err) < 0)
		return -1;
	int have_policy = o->insecure_policy ? 0 : oci_policy_load(&pol, o->policy, err);
	if (have_policy < 0 || oci_regconf_resolve(&rc, o->image, &cands, err) < 0)
		goto out;
	/* a consumer that goes away is an error on write, not a silent death; an interruption
	 * ends the transfers and goes through the failure path (a layout this run made goes) */
	signal(SIGPIPE, SIG_IGN);
	oci_interrupt_install();
	p.policy = have_policy ? &pol : NULL;
	if (resolve_sources(&p, &rc, cands, err) < 0)
		goto out;
	if (o->layout_dir) {
		if (oci_layout_open(o->layout_dir, true, &p.layout, err) < 0)
			goto out;
		p.layout_open = true;
	}
	if (open_store(&p, err) < 0 || plan_layers(&p, err) < 0)
		goto out;
	if (o->layout_dir ? write_layout(&p, err) : write_stream(&p, err))
		goto out;
	if (report_digest(&p, err) < 0)
		goto out;
	log_debug("done: %zu layers, %llu bytes downloaded, %llu from the store, %d Range chunk "
		  "requests, %d retries",
		  p.xs.n, (unsigned long long)p.xs.received, (unsigned long long)p.xs.from_cache,
		  p.xs.range_requests, p.xs.retries);
	if (o->progress)
		summary(&p, t0);
	ret = 0;
out:
	/* whatever an interruption made fail (a write cut short: EINTR), it is the reason */
	if (ret < 0 && oci_interrupted)
		oci_check_interrupted(err);
	/* a layout this run made goes again: a failed pull leaves nothing behind */
	if (ret < 0 && p.layout_open)
		oci_layout_discard(&p.layout);
	pull_release(&p);
	oci_policy_release(&pol);
	oci_regconf_release(&rc);
	return ret;
}
