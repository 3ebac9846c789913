/* Fetching an image's sigstore signatures from its registry: the "sha256-<hex>.sig" tag's
 * manifest and its payload blobs, each bounded and verified against its digest. Apart from
 * signature.c so that the parsing and checking there link without the registry client. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "fetch/signature.h"

static int registry_payload(void *ctx, const oci_descriptor *d, char **body, size_t *len,
			    oci_error *err)
{
	return oci_registry_get_blob(ctx, d, OCI_SIG_PAYLOAD_MAX, body, len, err);
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
		if (e2.code == OCI_E_NOTFOUND) {
			log_debug("no signature tag %s", tag);
			return 0;
		}
		*err = e2;
		return oci_err_prefix(err, "signatures (tag %s)", tag);
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
