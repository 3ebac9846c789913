/* Media types and the image-spec documents: descriptors, manifests, indexes, image configs. */
#include "common/media.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/json.h"
#include "common/util.h"

int oci_media_kind(const char *mt)
{
	if (!mt)
		return OCI_KIND_UNKNOWN;
	if (!strcmp(mt, OCI_MT_INDEX) || !strcmp(mt, DOCKER_MT_LIST))
		return OCI_KIND_INDEX;
	if (!strcmp(mt, OCI_MT_MANIFEST) || !strcmp(mt, DOCKER_MT_MANIFEST))
		return OCI_KIND_MANIFEST;
	if (!strcmp(mt, OCI_MT_CONFIG) || !strcmp(mt, DOCKER_MT_CONFIG))
		return OCI_KIND_CONFIG;
	if (!strcmp(mt, DOCKER_MT_SCHEMA1) || !strcmp(mt, DOCKER_MT_SCHEMA1_SIG))
		return OCI_KIND_SCHEMA1;
	if (oci_media_layer_info(mt, NULL, NULL, NULL) == 0)
		return OCI_KIND_LAYER;
	return OCI_KIND_UNKNOWN;
}

int oci_media_layer_info(const char *mt, int *compression, bool *nondistributable, oci_error *err)
{
	static const struct {
		const char *type;
		int comp;
		bool nd;
	} layers[] = {
	    {OCI_MT_LAYER, OCI_COMP_NONE, false},
	    {OCI_MT_LAYER_GZIP, OCI_COMP_GZIP, false},
	    {OCI_MT_LAYER_ZSTD, OCI_COMP_ZSTD, false},
	    {OCI_MT_LAYER_ND, OCI_COMP_NONE, true},
	    {OCI_MT_LAYER_ND_GZIP, OCI_COMP_GZIP, true},
	    {OCI_MT_LAYER_ND_ZSTD, OCI_COMP_ZSTD, true},
	    {DOCKER_MT_LAYER_GZIP, OCI_COMP_GZIP, false},
	    {DOCKER_MT_LAYER_FOREIGN, OCI_COMP_GZIP, true},
	};
	for (size_t i = 0; mt && i < ARRAY_SIZE(layers); i++) {
		if (!strcmp(mt, layers[i].type)) {
			if (compression)
				*compression = layers[i].comp;
			if (nondistributable)
				*nondistributable = layers[i].nd;
			return 0;
		}
	}
	return oci_err(err, OCI_E_UNSUPPORTED, "unsupported layer media type '%s'",
		       mt ? mt : "(none)");
}

void oci_platform_host(oci_platform *p)
{
	struct utsname u;
	memset(p, 0, sizeof(*p));
	strcpy(p->os, "linux");
	uname(&u);
	const char *m = u.machine;
	if (!strcmp(m, "x86_64"))
		strcpy(p->arch, "amd64");
	else if (!strcmp(m, "aarch64")) {
		strcpy(p->arch, "arm64");
		strcpy(p->variant, "v8");
	} else if (!strncmp(m, "armv7", 5)) {
		strcpy(p->arch, "arm");
		strcpy(p->variant, "v7");
	} else if (!strncmp(m, "armv6", 5)) {
		strcpy(p->arch, "arm");
		strcpy(p->variant, "v6");
	} else if (!strcmp(m, "i686") || !strcmp(m, "i386"))
		strcpy(p->arch, "386");
	else if (strlen(m) < sizeof(p->arch)) /* ppc64le, s390x, riscv64, ... as uname says */
		memcpy(p->arch, m, strlen(m) + 1);
	else /* longer than any architecture an image names: a cut name could match one */
		strcpy(p->arch, "unknown");
}

static void default_variant(oci_platform *p)
{
	if (!p->variant[0] && !strcmp(p->arch, "arm64"))
		strcpy(p->variant, "v8");
}

int oci_platform_parse(const char *s, oci_platform *p, oci_error *err)
{
	char buf[128];
	memset(p, 0, sizeof(*p));
	if (strlen(s) >= sizeof(buf))
		return oci_err(err, OCI_E_INVALID, "invalid platform '%.32s...'", s);
	strcpy(buf, s);
	char *os = buf, *arch = strchr(buf, '/'), *variant = NULL;
	if (!arch)
		return oci_err(err, OCI_E_INVALID,
			       "invalid platform '%s': expected os/arch[/variant]", s);
	*arch++ = '\0';
	if ((variant = strchr(arch, '/')))
		*variant++ = '\0';
	if (!*os || !*arch || (variant && (!*variant || strchr(variant, '/'))) ||
	    strlen(os) >= sizeof(p->os) || strlen(arch) >= sizeof(p->arch) ||
	    (variant && strlen(variant) >= sizeof(p->variant)))
		return oci_err(err, OCI_E_INVALID,
			       "invalid platform '%s': expected os/arch[/variant]", s);
	strcpy(p->os, os);
	strcpy(p->arch, arch);
	if (variant)
		strcpy(p->variant, variant);
	default_variant(p);
	return 0;
}

const char *oci_platform_str(const oci_platform *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
	return buf;
}

bool oci_platform_match(const oci_platform *want, const oci_platform *have)
{
	oci_platform w = *want, h = *have;
	default_variant(&w);
	default_variant(&h);
	if (strcmp(w.os, h.os) || strcmp(w.arch, h.arch))
		return false;
	/* An unspecified wanted variant matches any; otherwise they must agree. */
	return !w.variant[0] || !strcmp(w.variant, h.variant);
}

static int copy_str(char *dst, size_t len, const char *src, const char *path, const char *key,
		    oci_error *err)
{
	if (strlen(src) >= len)
		return oci_err(err, OCI_E_INVALID, "%s.%s: value too long", path, key);
	strcpy(dst, src);
	return 0;
}

int oci_descriptor_parse(json_t *j, const char *path, oci_descriptor *d, oci_error *err)
{
	const char *mt = NULL, *digest = NULL;
	json_t *plat = NULL;
	memset(d, 0, sizeof(*d));
	if (oci_json_get_string(j, path, "mediaType", true, &mt, err) < 0 ||
	    oci_json_get_string(j, path, "digest", true, &digest, err) < 0 ||
	    oci_json_get_int(j, path, "size", true, &d->size, err) < 0 ||
	    oci_json_get_object(j, path, "annotations", false, &d->annotations, err) < 0 ||
	    oci_json_get_array(j, path, "urls", false, &d->urls, err) < 0 ||
	    oci_json_get_object(j, path, "platform", false, &plat, err) < 0)
		return -1;
	if (copy_str(d->media_type, sizeof(d->media_type), mt, path, "mediaType", err) < 0)
		return -1;
	if (d->size < 0)
		return oci_err(err, OCI_E_INVALID, "%s.size: negative", path);
	if (oci_digest_parse(digest, &d->digest, err) < 0)
		return oci_err_prefix(err, "%s.digest", path);
	if (plat) {
		char pp[256];
		const char *os = NULL, *arch = NULL, *variant = NULL, *osv = NULL;
		snprintf(pp, sizeof(pp), "%s.platform", path);
		if (oci_json_get_string(plat, pp, "os", true, &os, err) < 0 ||
		    oci_json_get_string(plat, pp, "architecture", true, &arch, err) < 0 ||
		    oci_json_get_string(plat, pp, "variant", false, &variant, err) < 0 ||
		    oci_json_get_string(plat, pp, "os.version", false, &osv, err) < 0)
			return -1;
		if (copy_str(d->platform.os, sizeof(d->platform.os), os, pp, "os", err) < 0 ||
		    copy_str(d->platform.arch, sizeof(d->platform.arch), arch, pp, "architecture",
			     err) < 0 ||
		    (variant && copy_str(d->platform.variant, sizeof(d->platform.variant), variant,
					 pp, "variant", err) < 0) ||
		    (osv && copy_str(d->platform.os_version, sizeof(d->platform.os_version), osv,
				     pp, "os.version", err) < 0))
			return -1;
		d->has_platform = true;
	}
	return 0;
}

json_t *oci_descriptor_to_json(const oci_descriptor *d, oci_error *err)
{
	char ds[OCI_DIGEST_STR_MAX];
	json_t *j = json_pack("{s:s,s:s,s:I}", "mediaType", d->media_type, "digest",
			      oci_digest_str(&d->digest, ds), "size", (json_int_t)d->size);
	if (!j) {
		oci_err(err, OCI_E_INTERNAL, "cannot build a descriptor");
		return NULL;
	}
	if (d->has_platform) {
		json_t *p =
		    json_pack("{s:s,s:s}", "architecture", d->platform.arch, "os", d->platform.os);
		if (p && d->platform.variant[0])
			json_object_set_new(p, "variant", json_string(d->platform.variant));
		if (p)
			json_object_set_new(j, "platform", p);
	}
	if (d->annotations && json_object_size(d->annotations))
		json_object_set(j, "annotations", d->annotations);
	return j;
}

/* The document's own mediaType wins when the transport did not say; a disagreement between
 * the two is an error (a registry must not relabel a document). */
static int doc_media_type(json_t *doc, const char *given, char *out, size_t len, oci_error *err)
{
	const char *own = NULL;
	json_t *v = json_object_get(doc, "mediaType");
	if (v && json_is_string(v))
		own = json_string_value(v);
	json_t *sv = json_object_get(doc, "schemaVersion");
	if (sv && json_is_integer(sv) && json_integer_value(sv) == 1)
		return oci_err(
		    err, OCI_E_UNSUPPORTED,
		    "image uses Docker manifest schema 1, which is deprecated and not supported");
	const char *mt = given && *given ? given : own;
	if (!mt) {
		/* OCI documents may omit mediaType: infer from the shape. */
		mt = json_object_get(doc, "manifests") ? OCI_MT_INDEX : OCI_MT_MANIFEST;
	}
	if (given && *given && own && strcmp(given, own) &&
	    oci_media_kind(given) != OCI_KIND_SCHEMA1)
		return oci_err(err, OCI_E_INVALID,
			       "media type mismatch: transport says '%s', document says '%s'",
			       given, own);
	if (oci_media_kind(mt) == OCI_KIND_SCHEMA1)
		return oci_err(
		    err, OCI_E_UNSUPPORTED,
		    "image uses Docker manifest schema 1, which is deprecated and not supported");
	snprintf(out, len, "%s", mt);
	return 0;
}

int oci_manifest_parse(json_t *doc, const char *media_type, oci_manifest *m, oci_error *err)
{
	json_t *cfg, *layers, *v;
	size_t i;
	memset(m, 0, sizeof(*m));
	if (!json_is_object(doc))
		return oci_err(err, OCI_E_INVALID, "manifest: expected an object");
	if (doc_media_type(doc, media_type, m->media_type, sizeof(m->media_type), err) < 0)
		return -1;
	if (oci_media_kind(m->media_type) != OCI_KIND_MANIFEST)
		return oci_err(err, OCI_E_UNSUPPORTED, "manifest: unexpected media type '%s'",
			       m->media_type);
	if (oci_json_get_object(doc, "", "config", true, &cfg, err) < 0 ||
	    oci_json_get_array(doc, "", "layers", true, &layers, err) < 0)
		return -1;
	if (oci_descriptor_parse(cfg, "config", &m->config, err) < 0)
		return -1;
	m->n_layers = json_array_size(layers);
	if (m->n_layers > OCI_MEDIA_MAX_LAYERS)
		return oci_err(err, OCI_E_LIMIT, "manifest: %zu layers is over the limit of %d",
			       m->n_layers, OCI_MEDIA_MAX_LAYERS);
	m->layers = oci_calloc(m->n_layers, sizeof(*m->layers), err);
	if (!m->layers)
		return -1;
	json_array_foreach(layers, i, v)
	{
		char path[32];
		snprintf(path, sizeof(path), "layers[%zu]", i);
		if (!json_is_object(v)) {
			oci_manifest_release(m);
			return oci_err(err, OCI_E_INVALID, "%s: expected an object", path);
		}
		if (oci_descriptor_parse(v, path, &m->layers[i], err) < 0) {
			oci_manifest_release(m);
			return -1;
		}
	}
	m->doc = json_incref(doc);
	return 0;
}

void oci_manifest_release(oci_manifest *m)
{
	free(m->layers);
	m->layers = NULL;
	m->n_layers = 0;
	if (m->doc)
		json_decref(m->doc);
	m->doc = NULL;
}

int oci_index_parse(json_t *doc, const char *media_type, oci_index *idx, oci_error *err)
{
	json_t *arr, *v;
	size_t i;
	memset(idx, 0, sizeof(*idx));
	if (!json_is_object(doc))
		return oci_err(err, OCI_E_INVALID, "index: expected an object");
	if (doc_media_type(doc, media_type, idx->media_type, sizeof(idx->media_type), err) < 0)
		return -1;
	if (oci_media_kind(idx->media_type) != OCI_KIND_INDEX)
		return oci_err(err, OCI_E_UNSUPPORTED, "index: unexpected media type '%s'",
			       idx->media_type);
	if (oci_json_get_array(doc, "", "manifests", true, &arr, err) < 0)
		return -1;
	idx->n_manifests = json_array_size(arr);
	if (idx->n_manifests > 10000)
		return oci_err(err, OCI_E_LIMIT, "index: too many manifests (%zu)",
			       idx->n_manifests);
	idx->manifests = oci_calloc(idx->n_manifests, sizeof(*idx->manifests), err);
	if (!idx->manifests)
		return -1;
	json_array_foreach(arr, i, v)
	{
		char path[32];
		snprintf(path, sizeof(path), "manifests[%zu]", i);
		if (!json_is_object(v)) {
			oci_index_release(idx);
			return oci_err(err, OCI_E_INVALID, "%s: expected an object", path);
		}
		if (oci_descriptor_parse(v, path, &idx->manifests[i], err) < 0) {
			oci_index_release(idx);
			return -1;
		}
	}
	idx->doc = json_incref(doc);
	return 0;
}

void oci_index_release(oci_index *idx)
{
	free(idx->manifests);
	idx->manifests = NULL;
	idx->n_manifests = 0;
	if (idx->doc)
		json_decref(idx->doc);
	idx->doc = NULL;
}

int oci_index_select(const oci_index *idx, const oci_platform *want, const oci_descriptor **out,
		     oci_error *err)
{
	char avail[1024] = "", w[128];
	size_t used = 0;
	for (size_t i = 0; i < idx->n_manifests; i++) {
		const oci_descriptor *d = &idx->manifests[i];
		if (oci_media_kind(d->media_type) != OCI_KIND_MANIFEST || !d->has_platform)
			continue;
		if (oci_platform_match(want, &d->platform)) {
			*out = d;
			return 0;
		}
	}
	for (size_t i = 0; i < idx->n_manifests; i++) {
		const oci_descriptor *d = &idx->manifests[i];
		char p[128];
		if (!d->has_platform)
			continue;
		/* Attestation manifests carry platform unknown/unknown: not worth listing. */
		if (!strcmp(d->platform.os, "unknown"))
			continue;
		int n = snprintf(avail + used, sizeof(avail) - used, "%s%s", used ? ", " : "",
				 oci_platform_str(&d->platform, p, sizeof(p)));
		if (n < 0 || (size_t)n >= sizeof(avail) - used)
			break;
		used += (size_t)n;
	}
	return oci_err(err, OCI_E_NOTFOUND, "no image for platform %s (available: %s)",
		       oci_platform_str(want, w, sizeof(w)), used ? avail : "none");
}

int oci_image_config_parse(json_t *doc, oci_image_config *c, oci_error *err)
{
	json_t *rootfs, *ids, *v;
	const char *type = NULL, *os = NULL, *arch = NULL;
	size_t i;
	memset(c, 0, sizeof(*c));
	if (!json_is_object(doc))
		return oci_err(err, OCI_E_INVALID, "image config: expected an object");
	if (oci_json_get_string(doc, "", "os", false, &os, err) < 0 ||
	    oci_json_get_string(doc, "", "architecture", false, &arch, err) < 0 ||
	    oci_json_get_object(doc, "", "config", false, &c->config, err) < 0 ||
	    oci_json_get_object(doc, "", "rootfs", true, &rootfs, err) < 0 ||
	    oci_json_get_string(rootfs, "rootfs", "type", true, &type, err) < 0 ||
	    oci_json_get_array(rootfs, "rootfs", "diff_ids", true, &ids, err) < 0)
		return oci_err_prefix(err, "image config");
	if (strcmp(type, "layers"))
		return oci_err(err, OCI_E_INVALID,
			       "image config: rootfs.type: expected \"layers\", got \"%s\"", type);
	snprintf(c->os, sizeof(c->os), "%s", os ? os : "");
	snprintf(c->arch, sizeof(c->arch), "%s", arch ? arch : "");
	c->n_diff_ids = json_array_size(ids);
	if (c->n_diff_ids > OCI_MEDIA_MAX_LAYERS)
		return oci_err(err, OCI_E_LIMIT,
			       "image config: rootfs.diff_ids: %zu layers is over the limit of %d",
			       c->n_diff_ids, OCI_MEDIA_MAX_LAYERS);
	c->diff_ids = oci_calloc(c->n_diff_ids, sizeof(*c->diff_ids), err);
	if (!c->diff_ids)
		return -1;
	json_array_foreach(ids, i, v)
	{
		if (!json_is_string(v) ||
		    oci_digest_parse(json_string_value(v), &c->diff_ids[i], err) < 0) {
			if (!json_is_string(v))
				oci_err(err, OCI_E_INVALID, "expected a string");
			free(c->diff_ids);
			c->diff_ids = NULL;
			return oci_err_prefix(err, "image config: rootfs.diff_ids[%zu]", i);
		}
	}
	c->doc = json_incref(doc);
	return 0;
}

void oci_image_config_release(oci_image_config *c)
{
	free(c->diff_ids);
	c->diff_ids = NULL;
	c->n_diff_ids = 0;
	if (c->doc)
		json_decref(c->doc);
	c->doc = NULL;
	c->config = NULL;
}
