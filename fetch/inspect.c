/* oci-fetch inspect and list-tags: what a remote image is, from its manifest, index and config
 * only (never a layer), and what tags a repository has. The JSON uses skopeo inspect's field
 * names and value shapes (null where skopeo prints null) so scripts written for skopeo keep
 * working; the fields skopeo does not have are added after them. */
#include "fetch/inspect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/log.h"
#include "common/media.h"
#include "common/util.h"
#include "fetch/progress.h"
#include "fetch/pull.h"

/* skopeo's transport prefix is accepted, so its command lines can be reused. */
static const char *strip_transport(const char *s)
{
	return oci_str_has_prefix(s, "docker://") ? s + 9 : s;
}

typedef struct inspected {
	oci_registry reg;
	bool reg_init;
	oci_ref ref;
	char refstr[600];
	char *top;
	size_t top_len;
	oci_digest top_digest;
	char top_mt[128];
	bool is_index;
	oci_index idx;
	char *man;
	size_t man_len;
	oci_digest man_digest;
	char man_mt[128];
	oci_manifest m;
	bool m_init;
	char *config;
	size_t config_len;
	json_t *cfg;
} inspected;

static void inspected_release(inspected *x)
{
	if (x->cfg)
		json_decref(x->cfg);
	free(x->config);
	if (x->m_init)
		oci_manifest_release(&x->m);
	free(x->man);
	if (x->is_index)
		oci_index_release(&x->idx);
	free(x->top);
	if (x->reg_init)
		oci_registry_release(&x->reg);
}

/* The top document; for an index, the manifest of the wanted platform; then the config. */
static int fetch_image(inspected *x, const oci_inspect_opts *o, bool want_config, oci_error *err)
{
	char reference[OCI_DIGEST_STR_MAX + OCI_REF_TAG_MAX];
	char ctype[128];
	oci_ref_manifest_ref(&x->ref, reference, sizeof(reference));
	if (oci_registry_get_manifest(&x->reg, reference, x->ref.has_digest ? &x->ref.digest : NULL,
				      -1, &x->top, &x->top_len, &x->top_digest, ctype,
				      sizeof(ctype), err) < 0)
		return -1;
	cleanup_json json_t *doc = oci_json_loadb(x->top, x->top_len, OCI_JSON_MAX_SIZE,
						  OCI_JSON_MAX_DEPTH, "manifest", err);
	if (!doc)
		return oci_err_prefix(err, "%s", x->refstr);
	int k = oci_pull_doc_kind(ctype, doc, x->top_mt, sizeof(x->top_mt), err);
	if (k < 0)
		return oci_err_prefix(err, "%s", x->refstr);
	if (!want_config)
		return 0;
	snprintf(x->man_mt, sizeof(x->man_mt), "%s", x->top_mt);
	x->man_digest = x->top_digest;
	cleanup_json json_t *mdoc = json_incref(doc);
	if (k == OCI_KIND_INDEX) {
		x->is_index = true;
		if (oci_index_parse(doc, x->top_mt, &x->idx, err) < 0)
			return oci_err_prefix(err, "%s: index", x->refstr);
		oci_platform want;
		if (o->platform) {
			if (oci_platform_parse(o->platform, &want, err) < 0)
				return oci_err_prefix(err, "--platform");
		} else {
			oci_platform_host(&want);
		}
		const oci_descriptor *d;
		if (oci_index_select(&x->idx, &want, &d, err) < 0)
			return oci_err_prefix(err, "%s", x->refstr);
		char ds[OCI_DIGEST_STR_MAX];
		oci_digest_str(&d->digest, ds);
		if (oci_registry_get_manifest(&x->reg, ds, &d->digest, d->size, &x->man,
					      &x->man_len, &x->man_digest, ctype, sizeof(ctype),
					      err) < 0)
			return -1;
		json_decref(mdoc);
		mdoc = oci_json_loadb(x->man, x->man_len, OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH,
				      "manifest", err);
		if (!mdoc)
			return oci_err_prefix(err, "%s", x->refstr);
		k = oci_pull_doc_kind(ctype[0] ? ctype : d->media_type, mdoc, x->man_mt,
				      sizeof(x->man_mt), err);
		if (k < 0)
			return oci_err_prefix(err, "%s: manifest %s", x->refstr, ds);
		if (k != OCI_KIND_MANIFEST)
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "%s: manifest %s: an index inside an index is not supported",
				       x->refstr, ds);
	}
	if (oci_manifest_parse(mdoc, x->man_mt, &x->m, err) < 0)
		return oci_err_prefix(err, "%s: manifest", x->refstr);
	x->m_init = true;
	if (oci_registry_get_blob(&x->reg, &x->m.config, OCI_JSON_MAX_SIZE, &x->config,
				  &x->config_len, err) < 0)
		return oci_err_prefix(err, "%s: config", x->refstr);
	x->cfg = oci_json_loadb(x->config, x->config_len, OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH,
				"image config", err);
	if (!x->cfg)
		return oci_err_prefix(err, "%s", x->refstr);
	if (!json_is_object(x->cfg))
		return oci_err(err, OCI_E_INVALID, "%s: image config: not a JSON object",
			       x->refstr);
	/* A single-platform image has nothing to pick from: --platform naming another platform is
	 * refused, as the pull refuses it, rather than showing an image it did not ask for. */
	return x->is_index ? 0 : oci_pull_check_platform(x->cfg, o->platform, x->refstr, err);
}

static json_t *string_or_empty(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return json_string(s ? s : "");
}

/* The JSON document: skopeo inspect's fields first (Name, Digest, RepoTags, Created,
 * DockerVersion, Labels, Architecture, Os, Variant when set, Layers, LayersData, Env), then
 * ours (MediaType, Entrypoint, Cmd, History, Platforms of an index). */
static json_t *build_json(inspected *x, json_t *tags, oci_error *err)
{
	cleanup_json json_t *j = json_object();
	json_t *cc = NULL;
	if (!j)
		return oci_err(err, OCI_E_IO, "out of memory"), NULL;
	if (oci_json_get_object(x->cfg, "config", "config", false, &cc, err) < 0)
		return oci_err_prefix(err, "%s: image config", x->refstr), NULL;
	if (json_is_null(cc))
		cc = NULL;
	/* Each field checked for its type (the error names its path); absent ones are null. */
	json_t *labels = NULL, *env = NULL, *ep = NULL, *cmd = NULL, *hist = NULL;
	const char *created = NULL;
	if ((cc &&
	     (oci_json_get_object_of(cc, "config", "Labels", false, JSON_STRING, &labels, err) <
		  0 ||
	      oci_json_get_array_of(cc, "config", "Env", false, JSON_STRING, &env, err) < 0 ||
	      oci_json_get_array_of(cc, "config", "Entrypoint", false, JSON_STRING, &ep, err) < 0 ||
	      oci_json_get_array_of(cc, "config", "Cmd", false, JSON_STRING, &cmd, err) < 0)) ||
	    oci_json_get_string(x->cfg, "", "created", false, &created, err) < 0 ||
	    oci_json_get_array_of(x->cfg, "", "history", false, JSON_OBJECT, &hist, err) < 0)
		return oci_err_prefix(err, "%s: image config", x->refstr), NULL;
	char name[OCI_REF_NAME_MAX * 2 + 2], ds[OCI_DIGEST_STR_MAX];
	snprintf(name, sizeof(name), "%s/%s", x->ref.domain, x->ref.path);
	json_object_set_new(j, "Name", json_string(name));
	json_object_set_new(j, "Digest", json_string(oci_digest_str(&x->top_digest, ds)));
	json_object_set_new(j, "RepoTags", json_incref(tags));
	json_object_set_new(j, "Created", created ? json_string(created) : json_null());
	json_object_set_new(j, "DockerVersion", string_or_empty(x->cfg, "docker_version"));
	json_object_set(j, "Labels", labels ? labels : json_null());
	json_object_set_new(j, "Architecture", string_or_empty(x->cfg, "architecture"));
	json_object_set_new(j, "Os", string_or_empty(x->cfg, "os"));
	const char *variant = json_string_value(json_object_get(x->cfg, "variant"));
	if (variant && *variant)
		json_object_set_new(j, "Variant", json_string(variant));
	json_t *layers = json_array(), *data = json_array();
	for (size_t i = 0; layers && data && i < x->m.n_layers; i++) {
		const oci_descriptor *d = &x->m.layers[i];
		oci_digest_str(&d->digest, ds);
		json_array_append_new(layers, json_string(ds));
		json_array_append_new(
		    data, json_pack("{s:s,s:s,s:I,s:O}", "MIMEType", d->media_type, "Digest", ds,
				    "Size", (json_int_t)d->size, "Annotations",
				    d->annotations ? d->annotations : json_null()));
	}
	json_object_set_new(j, "Layers", layers);
	json_object_set_new(j, "LayersData", data);
	json_object_set(j, "Env", env ? env : json_null());
	json_object_set_new(j, "MediaType", json_string(x->top_mt));
	json_object_set(j, "Entrypoint", ep ? ep : json_null());
	json_object_set(j, "Cmd", cmd ? cmd : json_null());
	json_object_set(j, "History", hist ? hist : json_null());
	if (x->is_index) {
		json_t *plats = json_array();
		for (size_t i = 0; plats && i < x->idx.n_manifests; i++) {
			const oci_descriptor *d = &x->idx.manifests[i];
			char ps[160];
			json_array_append_new(
			    plats, json_pack("{s:s,s:s,s:I}", "Platform",
					     d->has_platform
						 ? oci_platform_str(&d->platform, ps, sizeof(ps))
						 : "",
					     "Digest", oci_digest_str(&d->digest, ds), "Size",
					     (json_int_t)d->size));
		}
		json_object_set_new(j, "Platforms", plats);
		json_object_set_new(j, "ManifestDigest",
				    json_string(oci_digest_str(&x->man_digest, ds)));
	}
	if (!layers || !data)
		return oci_err(err, OCI_E_IO, "out of memory"), NULL;
	return steal_pointer(&j);
}

/* A value from the image or the registry, escaped for the terminal (common/log.h): it can
 * neither drive the terminal nor forge a line of the report. */
static void put(FILE *out, const char *s)
{
	cleanup_free char *e = oci_log_escape(s ? s : "");
	fputs(e ? e : "?", out);
}

/* "label " padded as the report's first column, then the value. */
static void field(FILE *out, const char *label, const char *value)
{
	fprintf(out, "%-12s ", label);
	put(out, value);
	fputc('\n', out);
}

static void print_strings(FILE *out, const char *label, json_t *a, const char *sep)
{
	size_t i;
	json_t *e;
	if (!json_array_size(a))
		return;
	fprintf(out, "%-12s ", label);
	json_array_foreach(a, i, e)
	{
		fputs(i ? sep : "", out);
		put(out, json_string_value(e));
	}
	fputc('\n', out);
}

static void print_text(FILE *out, json_t *j)
{
	char sz[32];
	field(out, "Name:", json_string_value(json_object_get(j, "Name")));
	field(out, "Digest:", json_string_value(json_object_get(j, "Digest")));
	field(out, "MediaType:", json_string_value(json_object_get(j, "MediaType")));
	json_t *plats = json_object_get(j, "Platforms"), *e;
	size_t i;
	json_array_foreach(plats, i, e)
	{
		cleanup_free char *pl =
		    oci_log_escape(json_string_value(json_object_get(e, "Platform")));
		fprintf(out, "%-12s %-16s ", i ? "" : "Platforms:", pl ? pl : "?");
		put(out, json_string_value(json_object_get(e, "Digest")));
		fputc('\n', out);
	}
	const char *variant = json_string_value(json_object_get(j, "Variant"));
	fprintf(out, "%-12s ", "Platform:");
	put(out, json_string_value(json_object_get(j, "Os")));
	fputc('/', out);
	put(out, json_string_value(json_object_get(j, "Architecture")));
	if (variant) {
		fputc('/', out);
		put(out, variant);
	}
	fputc('\n', out);
	const char *created = json_string_value(json_object_get(j, "Created"));
	if (created)
		field(out, "Created:", created);
	print_strings(out, "Entrypoint:", json_object_get(j, "Entrypoint"), " ");
	print_strings(out, "Cmd:", json_object_get(j, "Cmd"), " ");
	print_strings(out, "Env:", json_object_get(j, "Env"), "\n             ");
	const char *k;
	json_t *labels = json_object_get(j, "Labels");
	i = 0;
	json_object_foreach(labels, k, e)
	{
		fprintf(out, "%-12s ", i++ ? "" : "Labels:");
		put(out, k);
		fputc('=', out);
		put(out, json_string_value(e));
		fputc('\n', out);
	}
	print_strings(out, "Tags:", json_object_get(j, "RepoTags"), " ");
	json_t *data = json_object_get(j, "LayersData");
	uint64_t total = 0;
	json_array_foreach(data, i, e) total +=
	    (uint64_t)json_integer_value(json_object_get(e, "Size"));
	oci_progress_human(total, sz, sizeof(sz));
	fprintf(out, "%-12s %zu, %s\n", "Layers:", json_array_size(data), sz);
	json_array_foreach(data, i, e)
	{
		oci_progress_human((uint64_t)json_integer_value(json_object_get(e, "Size")), sz,
				   sizeof(sz));
		fprintf(out, "  %s  %10s  ", json_string_value(json_object_get(e, "Digest")), sz);
		put(out, json_string_value(json_object_get(e, "MIMEType")));
		fputc('\n', out);
	}
	json_t *hist = json_object_get(j, "History");
	if (json_array_size(hist))
		fprintf(out, "History:\n");
	json_array_foreach(hist, i, e)
	{
		const char *when = json_string_value(json_object_get(e, "created"));
		const char *by = json_string_value(json_object_get(e, "created_by"));
		const char *comment = json_string_value(json_object_get(e, "comment"));
		bool empty = json_is_true(json_object_get(e, "empty_layer"));
		cleanup_free char *w = oci_log_escape(when ? when : "-");
		fprintf(out, "  %-20.20s ", w ? w : "?");
		put(out, by ? by : (comment ? comment : "-"));
		fprintf(out, "%s\n", empty ? "  (no layer)" : "");
	}
}

/* Indented as skopeo's output (Go's MarshalIndent with four spaces), with a final newline. */
static char *dump_json(const json_t *j, oci_error *err)
{
	char *s = json_dumps(j, JSON_INDENT(4));
	char *out = s ? oci_asprintf(err, "%s\n", s) : NULL;
	if (!s)
		oci_err(err, OCI_E_IO, "out of memory");
	free(s);
	return out;
}

static int open_registry(inspected *x, const char *image, const oci_registry_opts *reg,
			 oci_error *err)
{
	image = strip_transport(image);
	if (oci_ref_parse(image, &x->ref, err) < 0)
		return oci_err_prefix(err, "'%s'", image);
	oci_ref_str(&x->ref, x->refstr, sizeof(x->refstr));
	if (oci_registry_init(&x->reg, &x->ref, reg, err) < 0)
		return oci_err_prefix(err, "%s", x->refstr);
	x->reg_init = true;
	return 0;
}

int oci_inspect(const oci_inspect_opts *o, FILE *out, oci_error *err)
{
	inspected x;
	memset(&x, 0, sizeof(x));
	int ret = -1;
	cleanup_json json_t *tags = NULL, *j = NULL;
	if (open_registry(&x, o->image, &o->reg, err) < 0)
		goto out;
	/* --raw prints what the reference names, or with --platform that platform's manifest */
	bool raw_platform = o->format == OCI_INSPECT_RAW && o->platform;
	if (fetch_image(&x, o, o->format != OCI_INSPECT_RAW || raw_platform, err) < 0)
		goto out;
	if (o->format == OCI_INSPECT_RAW || o->format == OCI_INSPECT_CONFIG) {
		/* byte for byte what was verified: a signature or a digest computed on it holds */
		bool man = raw_platform && x.is_index;
		const char *b = o->format == OCI_INSPECT_CONFIG ? x.config : man ? x.man : x.top;
		size_t n = o->format == OCI_INSPECT_CONFIG ? x.config_len
			   : man			   ? x.man_len
							   : x.top_len;
		if (fwrite(b, 1, n, out) != n) {
			oci_err_errno(err, errno, "writing to stdout");
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (o->no_tags)
		tags = json_array();
	else if (oci_registry_list_tags(&x.reg, 0, &tags, err) < 0)
		goto out;
	if (!tags || !(j = build_json(&x, tags, err)))
		goto out;
	if (o->format == OCI_INSPECT_TEXT) {
		print_text(out, j);
	} else {
		cleanup_free char *s = dump_json(j, err);
		if (!s)
			goto out;
		fputs(s, out);
	}
	ret = 0;
out:
	inspected_release(&x);
	return ret;
}

int oci_list_tags(const oci_list_tags_opts *o, FILE *out, oci_error *err)
{
	const char *repo = strip_transport(o->repo);
	/* a repository, not an image: a tag or digest here is a mistake worth saying */
	const char *last = strrchr(repo, '/');
	if (strchr(repo, '@') || strchr(last ? last : repo, ':'))
		return oci_err(err, OCI_E_INVALID,
			       "'%s': list-tags takes a repository, without a tag or digest", repo);
	inspected x;
	memset(&x, 0, sizeof(x));
	int ret = -1;
	cleanup_json json_t *tags = NULL;
	if (open_registry(&x, repo, &o->reg, err) < 0 ||
	    oci_registry_list_tags(&x.reg, o->page_size, &tags, err) < 0)
		goto out;
	if (o->text) {
		size_t i;
		json_t *t;
		json_array_foreach(tags, i, t) fprintf(out, "%s\n", json_string_value(t));
	} else {
		char name[OCI_REF_NAME_MAX * 2 + 2];
		snprintf(name, sizeof(name), "%s/%s", x.ref.domain, x.ref.path);
		cleanup_json json_t *j = json_pack("{s:s,s:O}", "Repository", name, "Tags", tags);
		cleanup_free char *s = j ? dump_json(j, err) : NULL;
		if (!s) {
			if (!j)
				oci_err(err, OCI_E_IO, "out of memory");
			goto out;
		}
		fputs(s, out);
	}
	ret = 0;
out:
	inspected_release(&x);
	return ret;
}
