/* Fetching an image's sigstore signatures from its registry: the "sha256-<hex>.sig" tag's
 * manifest (cosign's classic place) or, when there is none, the signature manifests that refer
 * to the image (OCI 1.1: the referrers API, or the "sha256-<hex>" index registries without it
 * keep), with their payload blobs, each bounded and verified against its digest. Apart from
 * signature.c so that the parsing and checking there link without the registry client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/media.h"
#include "common/util.h"
#include "fetch/signature.h"

#define COSIGN_ARTIFACT "application/vnd.dev.cosign.artifact.sig.v1+json"

static int registry_payload(void *ctx, const oci_descriptor *d, char **body, size_t *len,
			    oci_error *err)
{
	return oci_registry_get_blob(ctx, d, OCI_SIG_PAYLOAD_MAX, body, len, err);
}

/* Move the signatures of more onto out. */
static int append_sigs(oci_sigs *out, oci_sigs *more, oci_error *err)
{
	if (out->n + more->n > OCI_SIG_MAX_SIGNATURES)
		return oci_err(err, OCI_E_LIMIT, "more than %d signatures", OCI_SIG_MAX_SIGNATURES);
	if (more->n) {
		oci_sig *v = realloc(out->v, (out->n + more->n) * sizeof(*v));
		if (!v)
			return oci_err(err, OCI_E_IO, "out of memory");
		memcpy(v + out->n, more->v, more->n * sizeof(*v));
		out->v = v;
		out->n += more->n;
	}
	free(more->v);
	memset(more, 0, sizeof(*more));
	return 0;
}

/* The referrers of d as an index body: the API, else the tag schema's index. 0 and *body NULL
 * when there are none. */
static int referrers_index(oci_registry *r, const char *ds, const char *schema_tag, char **body,
			   size_t *len, oci_error *err)
{
	cleanup_free char *path =
	    oci_asprintf(err,
			 "/v2/%s/referrers/%s?artifactType=application%%2Fvnd.dev.cosign."
			 "artifact.sig.v1%%2Bjson",
			 r->ref.path, ds);
	if (!path)
		return -1;
	oci_http_resp resp;
	oci_http_resp_init(&resp);
	oci_error e2 = OCI_ERROR_INIT;
	*body = NULL;
	if (oci_registry_get(r, "GET", path, OCI_MT_INDEX, OCI_JSON_MAX_SIZE, &resp, &e2) == 0 &&
	    resp.len) {
		*len = resp.len;
		*body = steal_pointer(&resp.body);
		oci_http_resp_release(&resp);
		log_debug("referrers API answered for %s", ds);
		return 0;
	}
	oci_http_resp_release(&resp);
	/* 404 (no API: distribution 2.x) or an empty answer: the tag schema */
	if (e2.code && e2.code != OCI_E_NOTFOUND && e2.code != OCI_E_INVALID) {
		*err = e2;
		return oci_err_prefix(err, "referrers of %s", ds);
	}
	char mt[128];
	oci_digest got;
	oci_err_clear(&e2);
	if (oci_registry_get_manifest(r, schema_tag, NULL, -1, body, len, &got, mt, sizeof(mt),
				      &e2) < 0) {
		*body = NULL;
		if (e2.code == OCI_E_NOTFOUND)
			return 0;
		*err = e2;
		return oci_err_prefix(err, "referrers of %s (tag %s)", ds, schema_tag);
	}
	return 0;
}

/* Every cosign signature manifest the referrers index lists. */
static int fetch_referrers(oci_registry *r, const oci_digest *d, const char *ds,
			   const char *schema_tag, oci_sigs *out, oci_error *err)
{
	cleanup_free char *body = NULL;
	size_t len = 0;
	if (referrers_index(r, ds, schema_tag, &body, &len, err) < 0)
		return -1;
	if (!body)
		return 0;
	cleanup_json json_t *doc =
	    oci_json_loadb(body, len, OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH, "referrers", err);
	oci_index idx;
	if (!doc || oci_index_parse(doc, OCI_MT_INDEX, &idx, err) < 0)
		return oci_err_prefix(err, "referrers of %s", ds);
	json_t *entries = json_object_get(doc, "manifests");
	int rc = 0;
	/* artifactType is read beside the parsed descriptor of the same position */
	if (json_array_size(entries) != idx.n_manifests) {
		oci_index_release(&idx);
		return oci_err(err, OCI_E_INVALID, "referrers of %s: unexpected index", ds);
	}
	size_t fetched = 0;
	for (size_t i = 0; i < idx.n_manifests && rc == 0; i++) {
		const oci_descriptor *m = &idx.manifests[i];
		const char *at =
		    json_string_value(json_object_get(json_array_get(entries, i), "artifactType"));
		/* attestations, SBOMs and other artifacts refer to the image too */
		if (!at || strcmp(at, COSIGN_ARTIFACT))
			continue;
		/* one request each: a hostile index must not buy thousands of them */
		if (++fetched > OCI_SIG_MAX_SIGNATURES) {
			rc = oci_err(err, OCI_E_LIMIT,
				     "referrers of %s: more than %d signature manifests", ds,
				     OCI_SIG_MAX_SIGNATURES);
			break;
		}
		char ms[OCI_DIGEST_STR_MAX], mt[128];
		oci_digest_str(&m->digest, ms);
		cleanup_free char *mbody = NULL;
		size_t mlen;
		oci_digest got;
		oci_sigs more;
		memset(&more, 0, sizeof(more));
		out->found = true;
		if (oci_registry_get_manifest(r, ms, &m->digest, m->size, &mbody, &mlen, &got, mt,
					      sizeof(mt), err) < 0 ||
		    oci_sig_parse_manifest(mbody, mlen, registry_payload, r, &more, err) < 0 ||
		    append_sigs(out, &more, err) < 0) {
			oci_sigs_release(&more);
			rc = oci_err_prefix(err, "referrer %s", ms);
		}
	}
	oci_index_release(&idx);
	return rc;
}

int oci_sig_fetch(oci_registry *r, const oci_digest *d, oci_sigs *out, oci_error *err)
{
	char ds[OCI_DIGEST_STR_MAX], tag[OCI_DIGEST_STR_MAX + 8], mt[128];
	memset(out, 0, sizeof(*out));
	oci_digest_str(d, ds);
	char *colon = strchr(ds, ':');
	snprintf(tag, sizeof(tag), "%.*s-%s.sig", (int)(colon - ds), ds, colon + 1);
	cleanup_free char *body = NULL;
	size_t len;
	oci_digest got;
	oci_error e2 = OCI_ERROR_INIT;
	if (oci_registry_get_manifest(r, tag, NULL, -1, &body, &len, &got, mt, sizeof(mt), &e2) <
	    0) {
		if (e2.code != OCI_E_NOTFOUND) {
			*err = e2;
			return oci_err_prefix(err, "signatures (tag %s)", tag);
		}
		log_debug("no signature tag %s: asking for referrers", tag);
		tag[strlen(tag) - 4] = '\0'; /* the referrers tag schema: "sha256-<hex>" */
		if (fetch_referrers(r, d, ds, tag, out, err) < 0) {
			oci_sigs_release(out);
			return -1;
		}
		log_debug("%zu signature(s) from referrers of %s", out->n, ds);
		return 0;
	}
	out->found = true;
	if (oci_sig_parse_manifest(body, len, registry_payload, r, out, err) < 0) {
		oci_sigs_release(out);
		return oci_err_prefix(err, "tag %s", tag);
	}
	out->found = true;
	log_debug("%zu signature(s) in tag %s", out->n, tag);
	return 0;
}
