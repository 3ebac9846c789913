/* Which image to unpack and in what order: index.json picks a manifest (by ref, then by
 * platform through a nested index), the manifest names the config and the layers, the config
 * gives the diff_ids. Documents are capped in size and verified before they are parsed.
 * Blobs that did not arrive in streaming order are taken from a directory (the spool, or an
 * OCI layout) as soon as they are due. Also the OCI layout input. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/layout.h"
#include "common/log.h"
#include "common/util.h"
#include "unpack/unpack.h"

void oci_unpack_image_init(oci_unpack_image *img, oci_unpack_root *root)
{
	memset(img, 0, sizeof(*img));
	img->root = root;
	img->blobdirfd = -1;
	oci_platform_host(&img->platform);
}

void oci_unpack_image_release(oci_unpack_image *img)
{
	oci_manifest_release(&img->manifest);
	oci_image_config_release(&img->config);
	free(img->config_blob);
	img->config_blob = NULL;
}

static const char *short_digest(const oci_digest *d, char *buf, size_t len)
{
	return oci_digest_short(d, buf, len);
}

/* full is ref, or ends with "/" + ref. */
static bool name_matches(const char *full, const char *ref)
{
	size_t n = strlen(full), k = strlen(ref);
	return !strcmp(full, ref) ||
	       (n > k && full[n - k - 1] == '/' && !strcmp(full + n - k, ref));
}

int oci_unpack_image_set_index(oci_unpack_image *img, const char *buf, size_t len, oci_error *err)
{
	cleanup_json json_t *doc =
	    oci_json_loadb(buf, len, OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH, "index.json", err);
	oci_index idx;
	const oci_descriptor *pick = NULL;
	if (!doc)
		return -1;
	if (oci_index_parse(doc, OCI_MT_INDEX, &idx, err) < 0)
		return oci_err_prefix(err, "index.json");
	const char *ref = img->ref;
	if (ref && ref[0] == '@') {
		oci_digest want;
		if (oci_digest_parse(ref + 1, &want, err) < 0) {
			oci_index_release(&idx);
			return oci_err_prefix(err, "reference '%s'", ref);
		}
		for (size_t i = 0; i < idx.n_manifests && !pick; i++)
			if (oci_digest_equal(&idx.manifests[i].digest, &want))
				pick = &idx.manifests[i];
	} else if (ref) {
		for (size_t i = 0; i < idx.n_manifests && !pick; i++) {
			json_t *a = idx.manifests[i].annotations;
			json_t *v = a ? json_object_get(a, OCI_ANNOT_REF_NAME) : NULL;
			if (json_is_string(v) && !strcmp(json_string_value(v), ref))
				pick = &idx.manifests[i];
			/* docker save (25 and later) and containerd name the image in full there
			 * ("docker.io/library/busybox:latest"): "busybox:latest" picks it too, as
			 * it picks the image of an older docker-save archive. */
			v = a ? json_object_get(a, "io.containerd.image.name") : NULL;
			if (!pick && json_is_string(v) && strchr(ref, ':') &&
			    name_matches(json_string_value(v), ref))
				pick = &idx.manifests[i];
		}
	} else if (idx.n_manifests == 1) {
		pick = &idx.manifests[0];
	} else {
		/* Several images: a multi-platform index.json picks by platform, as oci-fetch does.
		 */
		oci_index_select(&idx, &img->platform, &pick, NULL);
		if (!pick) {
			size_t n = idx.n_manifests;
			oci_index_release(&idx);
			return oci_err(err, OCI_E_INVALID,
				       "index.json lists %zu images: choose one with --ref TAG", n);
		}
	}
	if (!pick) {
		oci_index_release(&idx);
		return oci_err(err, OCI_E_NOTFOUND, "index.json: no image '%s'", ref);
	}
	img->want = *pick;
	img->want.annotations = img->want.urls = NULL;
	img->have_want = true;
	oci_index_release(&idx);
	return 0;
}

static bool is_layer_from(oci_unpack_image *img, const oci_digest *d, size_t from)
{
	for (size_t i = from; i < img->manifest.n_layers; i++)
		if (oci_digest_equal(&img->manifest.layers[i].digest, d))
			return true;
	return false;
}

int oci_unpack_image_blob_role(oci_unpack_image *img, const oci_digest *d)
{
	if (img->have_want)
		return oci_digest_equal(&img->want.digest, d) ? UNPACK_BLOB_DOC : UNPACK_BLOB_LATER;
	if (!img->have_manifest)
		return UNPACK_BLOB_LATER;
	if (!img->have_config)
		return oci_digest_equal(&img->manifest.config.digest, d)
			   ? UNPACK_BLOB_CONFIG
			   : (is_layer_from(img, d, 0) ? UNPACK_BLOB_LATER : UNPACK_BLOB_UNNEEDED);
	if (img->next_layer < img->manifest.n_layers &&
	    oci_digest_equal(&img->manifest.layers[img->next_layer].digest, d))
		return UNPACK_BLOB_LAYER_NOW;
	return is_layer_from(img, d, img->next_layer) ? UNPACK_BLOB_LATER : UNPACK_BLOB_UNNEEDED;
}

bool oci_unpack_image_layer_reused(oci_unpack_image *img)
{
	return is_layer_from(img, &img->manifest.layers[img->next_layer].digest,
			     img->next_layer + 1);
}

static int take_manifest(oci_unpack_image *img, json_t *doc, oci_error *err)
{
	char ds[32];
	if (oci_manifest_parse(doc, img->want.media_type[0] ? img->want.media_type : NULL,
			       &img->manifest, err) < 0)
		return -1;
	int kind = oci_media_kind(img->manifest.config.media_type);
	if (kind != OCI_KIND_CONFIG)
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "config media type '%s' is not an image config",
			       img->manifest.config.media_type);
	for (size_t i = 0; i < img->manifest.n_layers; i++) {
		const oci_descriptor *l = &img->manifest.layers[i];
		if (oci_media_layer_info(l->media_type, NULL, NULL, err) < 0)
			return oci_err_prefix(err, "layer %zu/%zu %s", i + 1,
					      img->manifest.n_layers,
					      short_digest(&l->digest, ds, sizeof(ds)));
		if (l->size < 0)
			return oci_err(err, OCI_E_INVALID, "layers[%zu]: negative size", i);
	}
	img->manifest_digest = img->want.digest;
	img->have_manifest = true;
	return 0;
}

int oci_unpack_image_take_doc(oci_unpack_image *img, const oci_digest *d, const char *buf,
			      size_t len, oci_error *err)
{
	char ds[32], what[64];
	oci_digest got;
	short_digest(d, ds, sizeof(ds));
	bool is_config = !img->have_want;
	int64_t want_size = is_config ? img->manifest.config.size : img->want.size;
	snprintf(what, sizeof(what), "%s %s", is_config ? "config" : "manifest", ds);
	if (oci_digest_buffer(d->alg, buf, len, &got, err) < 0 ||
	    oci_digest_verify(d, want_size, &got, len, what, err) < 0)
		return -1;
	cleanup_json json_t *doc =
	    oci_json_loadb(buf, len, OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH, what, err);
	if (!doc)
		return -1;
	if (is_config) {
		if (oci_image_config_parse(doc, &img->config, err) < 0)
			return oci_err_prefix(err, "%s", what);
		if (img->config.n_diff_ids != img->manifest.n_layers)
			return oci_err(err, OCI_E_INVALID, "%s: %zu diff_ids for %zu layers", what,
				       img->config.n_diff_ids, img->manifest.n_layers);
		img->config_blob = oci_malloc(len + 1, err);
		if (!img->config_blob)
			return -1;
		memcpy(img->config_blob, buf, len);
		img->config_blob[len] = '\0';
		img->config_len = len;
		img->have_config = true;
		if (img->root->cache &&
		    oci_unpack_cache_begin(img->root, img->config.diff_ids, img->manifest.layers,
					   img->manifest.n_layers, err) < 0)
			return -1;
		return 0;
	}
	const char *mt = img->want.media_type[0] ? img->want.media_type : NULL;
	if (!mt) {
		json_t *v = json_object_get(doc, "mediaType");
		mt = json_is_string(v) ? json_string_value(v) : NULL;
	}
	if (oci_media_kind(mt) == OCI_KIND_INDEX) {
		oci_index idx;
		const oci_descriptor *pick;
		if (oci_index_parse(doc, mt, &idx, err) < 0)
			return oci_err_prefix(err, "index %s", ds);
		if (oci_index_select(&idx, &img->platform, &pick, err) < 0) {
			oci_index_release(&idx);
			return oci_err_prefix(err, "index %s", ds);
		}
		img->want = *pick;
		img->want.annotations = img->want.urls = NULL;
		oci_index_release(&idx);
		return 0;
	}
	img->have_want = false;
	if (take_manifest(img, doc, err) < 0)
		return oci_err_prefix(err, "manifest %s", ds);
	return 0;
}

void oci_unpack_image_layer_desc(oci_unpack_image *img, oci_unpack_layer_desc *ld)
{
	const oci_descriptor *l = &img->manifest.layers[img->next_layer];
	memset(ld, 0, sizeof(*ld));
	ld->index = img->next_layer;
	ld->count = img->manifest.n_layers;
	oci_media_layer_info(l->media_type, &ld->compression, NULL, NULL);
	ld->has_digest = true;
	ld->digest = l->digest;
	ld->size = l->size;
	ld->has_diff_id = true;
	ld->diff_id = img->config.diff_ids[img->next_layer];
}

/* A blob from the spool ("alg-hex") or a layout ("blobs/alg/hex"): its fd, -1 when it is not
 * there (yet), -2 with err set when it cannot be read (a layout's may be anything: only a
 * regular file is opened, so a FIFO there cannot hang us). */
static int open_blob(oci_unpack_image *img, const oci_digest *d, oci_error *err)
{
	char path[OCI_DIGEST_STR_MAX + 16], ds[32];
	if (img->blobdirfd < 0)
		return -1;
	if (!img->blobdir_is_layout) {
		snprintf(path, sizeof(path), "%s-%s", oci_digest_alg_name(d->alg), d->hex);
		return openat(img->blobdirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	int fd = oci_layout_open_blob_at(img->blobdirfd, d, err);
	if (fd < 0 && err->code == OCI_E_NOTFOUND) {
		oci_err_clear(err);
		return -1;
	}
	if (fd < 0) {
		oci_err_prefix(err, "blob %s", short_digest(d, ds, sizeof(ds)));
		return -2;
	}
	return fd;
}

static int take_doc_from_fd(oci_unpack_image *img, const oci_digest *d, int64_t size, int fd,
			    oci_error *err)
{
	cleanup_free char *buf = NULL;
	size_t len;
	char ds[32];
	if (size > (int64_t)OCI_JSON_MAX_SIZE)
		return oci_err(err, OCI_E_LIMIT,
			       "%s %s: %lld bytes is over the size cap of %u bytes",
			       img->have_want ? "manifest" : "config",
			       short_digest(d, ds, sizeof(ds)), (long long)size, OCI_JSON_MAX_SIZE);
	if (oci_read_fd(fd, OCI_JSON_MAX_SIZE, &buf, &len, err) < 0)
		return oci_err_prefix(err, "%s %s", img->have_want ? "manifest" : "config",
				      short_digest(d, ds, sizeof(ds)));
	return oci_unpack_image_take_doc(img, d, buf, len, err);
}

int oci_unpack_image_advance(oci_unpack_image *img, oci_error *err)
{
	for (;;) {
		if (oci_check_interrupted(err) < 0)
			return -1;
		const oci_digest *d;
		int64_t size;
		if (img->have_want) {
			d = &img->want.digest;
			size = img->want.size;
		} else if (img->have_manifest && !img->have_config) {
			d = &img->manifest.config.digest;
			size = img->manifest.config.size;
		} else if (img->have_config && img->next_layer < img->manifest.n_layers) {
			cleanup_close int fd =
			    open_blob(img, &img->manifest.layers[img->next_layer].digest, err);
			oci_unpack_layer_desc ld;
			if (fd < 0)
				return fd == -2 ? -1 : 0;
			oci_unpack_image_layer_desc(img, &ld);
			if (oci_unpack_layer_apply_fd(img->root, &ld, fd, err) < 0)
				return -1;
			img->next_layer++;
			continue;
		} else {
			return 0;
		}
		cleanup_close int fd = open_blob(img, d, err);
		if (fd < 0)
			return fd == -2 ? -1 : 0;
		if (take_doc_from_fd(img, d, size, fd, err) < 0)
			return -1;
	}
}

/* "urls: A, B" for an error message: a foreign layer's blob is not shipped with the image, its
 * descriptor says where it may be fetched from (oci-fetch does). The URLs come from the image:
 * bytes that are not printable ASCII are shown as '?', and the list is cut to fit. */
static const char *describe_urls(json_t *urls, char *buf, size_t len)
{
	size_t n = 0, i;
	json_t *u;
	if (!json_is_array(urls) || json_array_size(urls) == 0) {
		snprintf(buf, len, "its descriptor has no urls");
		return buf;
	}
	n = (size_t)snprintf(buf, len, "urls: ");
	json_array_foreach(urls, i, u)
	{
		const char *s = json_is_string(u) ? json_string_value(u) : "(not a string)";
		if (i && n + 2 < len) {
			memcpy(buf + n, ", ", 2);
			n += 2;
		}
		for (; *s && n + 1 < len; s++)
			buf[n++] = (*s > 0x20 && *s < 0x7f) ? *s : '?';
	}
	buf[n < len ? n : len - 1] = '\0';
	if (n + 1 >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

int oci_unpack_image_check_done(oci_unpack_image *img, oci_error *err)
{
	char ds[32];
	if (img->have_want)
		return oci_err(err, OCI_E_NOTFOUND, "manifest %s is missing from the image",
			       short_digest(&img->want.digest, ds, sizeof(ds)));
	if (!img->have_manifest)
		return oci_err(err, OCI_E_NOTFOUND, "no index.json in the image");
	if (!img->have_config)
		return oci_err(err, OCI_E_NOTFOUND, "config %s is missing from the image",
			       short_digest(&img->manifest.config.digest, ds, sizeof(ds)));
	if (img->next_layer < img->manifest.n_layers) {
		const oci_descriptor *l = &img->manifest.layers[img->next_layer];
		bool nd = false;
		char urls[512];
		oci_media_layer_info(l->media_type, NULL, &nd, NULL);
		if (nd)
			return oci_err(
			    err, OCI_E_NOTFOUND,
			    "layer %zu/%zu %s: non-distributable layer is not in the image (%s)",
			    img->next_layer + 1, img->manifest.n_layers,
			    short_digest(&l->digest, ds, sizeof(ds)),
			    describe_urls(l->urls, urls, sizeof(urls)));
		return oci_err(err, OCI_E_NOTFOUND,
			       "layer %zu/%zu %s: blob is missing from the image",
			       img->next_layer + 1, img->manifest.n_layers,
			       short_digest(&l->digest, ds, sizeof(ds)));
	}
	return 0;
}

/* DIR, DIR:tag or DIR@digest. */
int oci_unpack_layout(oci_unpack_root *r, const char *arg, oci_unpack_input *in, oci_error *err)
{
	cleanup_free char *path = oci_strdup(arg, err);
	const char *ref = in->ref;
	struct stat st;
	if (!path)
		return -1;
	if (stat(path, &st) < 0) {
		char *at = strrchr(path, '@');
		char *slash = strrchr(path, '/');
		char *colon = strrchr(path, ':');
		if (at && (!slash || at > slash)) {
			ref = arg + (at - path);
			*at = '\0';
		} else if (colon && (!slash || colon > slash)) {
			ref = arg + (colon - path) + 1;
			*colon = '\0';
		}
	}
	oci_layout l;
	char *idx = NULL;
	size_t len;
	oci_unpack_image img;
	if (oci_layout_open(path, false, &l, err) < 0)
		return -1;
	oci_unpack_image_init(&img, r);
	img.platform = in->platform;
	img.ref = ref;
	img.blobdirfd = l.dirfd;
	img.blobdir_is_layout = true;
	int ret = -1;
	if (oci_layout_read_file(l.dirfd, "index.json", OCI_JSON_MAX_SIZE, &idx, &len, err) < 0 ||
	    oci_unpack_image_set_index(&img, idx, len, err) < 0 ||
	    oci_unpack_image_advance(&img, err) < 0 || oci_unpack_image_check_done(&img, err) < 0)
		goto out;
	in->config_blob = steal_pointer(&img.config_blob);
	in->config_len = img.config_len;
	ret = 0;
out:
	free(idx);
	oci_unpack_image_release(&img);
	oci_layout_release(&l);
	if (ret < 0)
		oci_err_prefix(err, "layout '%s'", path);
	return ret;
}
