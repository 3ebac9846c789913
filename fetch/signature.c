/* Sigstore signatures as cosign stores them: reading the "sha256-<hex>.sig" manifest (its
 * payloads come through a callback, see signature_registry.c), parsing the simple-signing
 * payload as strictly as containers/image does, and verifying a signature with OpenSSL. */
#include "fetch/signature.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/media.h"
#include "common/util.h"

#define COSIGN_TYPE "cosign container image signature"

void oci_sigs_release(oci_sigs *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].payload);
		free(s->v[i].sig);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int oci_sig_base64_decode(const char *b64, size_t max, unsigned char **out, size_t *len)
{
	size_t n = strlen(b64);
	if (n == 0 || n % 4 || n > max || n > INT32_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = b64[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '+' || c == '/' ||
			  (c == '=' && i >= n - 2 && (i == n - 1 || b64[n - 1] == '='));
		if (!ok)
			return -1;
	}
	unsigned char *buf = malloc(n);
	if (!buf)
		return -1;
	int l = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n);
	if (l < 0) {
		free(buf);
		return -1;
	}
	/* EVP_DecodeBlock counts padding as zero bytes */
	for (size_t i = n; i > 0 && b64[i - 1] == '='; i--)
		l--;
	*out = buf;
	*len = (size_t)l;
	return 0;
}

int oci_sig_parse_manifest(const char *body, size_t len, oci_sig_payload_fn get_payload, void *ctx,
			   oci_sigs *out, oci_error *err)
{
	cleanup_json json_t *doc = oci_json_loadb(body, len, OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH,
						  "signature manifest", err);
	if (!doc)
		return -1;
	oci_manifest m;
	if (oci_manifest_parse(doc, NULL, &m, err) < 0)
		return oci_err_prefix(err, "signature manifest");
	int rc = -1;
	size_t n = 0;
	for (size_t i = 0; i < m.n_layers; i++)
		n += !strcmp(m.layers[i].media_type, OCI_SIG_MEDIA_TYPE);
	if (n > OCI_SIG_MAX_SIGNATURES) {
		oci_err(err, OCI_E_LIMIT,
			"signature manifest: %zu signatures, over the limit of %d", n,
			OCI_SIG_MAX_SIGNATURES);
		goto out;
	}
	out->v = n ? oci_calloc(n, sizeof(*out->v), err) : NULL;
	if (n && !out->v)
		goto out;
	for (size_t i = 0; i < m.n_layers; i++) {
		const oci_descriptor *d = &m.layers[i];
		/* other attachments (attestations, SBOMs) share the tag: not signatures */
		if (strcmp(d->media_type, OCI_SIG_MEDIA_TYPE))
			continue;
		oci_sig *s = &out->v[out->n++];
		const char *b64 =
		    json_string_value(json_object_get(d->annotations, OCI_SIG_ANNOTATION));
		if (!b64) {
			snprintf(s->problem, sizeof(s->problem), "no %s annotation",
				 OCI_SIG_ANNOTATION);
			continue;
		}
		if (oci_sig_base64_decode(b64, OCI_SIG_ENCODED_MAX, &s->sig, &s->sig_len) < 0) {
			snprintf(s->problem, sizeof(s->problem), "%s is not base64 (or too long)",
				 OCI_SIG_ANNOTATION);
			continue;
		}
		if (d->size > (int64_t)OCI_SIG_PAYLOAD_MAX) {
			snprintf(s->problem, sizeof(s->problem),
				 "payload of %lld bytes is over the %u-byte limit",
				 (long long)d->size, OCI_SIG_PAYLOAD_MAX);
			continue;
		}
		oci_error e2 = OCI_ERROR_INIT;
		if (get_payload(ctx, d, &s->payload, &s->payload_len, &e2) < 0) {
			if (e2.code == OCI_E_IO || e2.code == OCI_E_INTERNAL) {
				*err = e2;
				goto out;
			}
			snprintf(s->problem, sizeof(s->problem), "payload: %s", e2.msg);
		}
	}
	rc = 0;
out:
	oci_manifest_release(&m);
	return rc;
}

/* Exactly the keys listed (and each once: jansson rejected duplicates already). */
static int only_keys(json_t *o, const char *path, const char *const *keys, size_t n, oci_error *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		size_t i;
		for (i = 0; i < n; i++)
			if (!strcmp(k, keys[i]))
				break;
		if (i == n)
			return oci_err(err, OCI_E_INVALID, "%s%s%s: unexpected key", path,
				       *path ? "." : "", k);
	}
	for (size_t i = 0; i < n; i++)
		if (!json_object_get(o, keys[i]))
			return oci_err(err, OCI_E_INVALID, "%s%s%s: missing", path,
				       *path ? "." : "", keys[i]);
	return 0;
}

int oci_sig_parse_payload(const char *payload, size_t len, oci_sig_claim *out, oci_error *err)
{
	static const char *const top[] = {"critical", "optional"};
	static const char *const crit[] = {"type", "image", "identity"};
	static const char *const image[] = {"docker-manifest-digest"};
	static const char *const identity[] = {"docker-reference"};
	memset(out, 0, sizeof(*out));
	cleanup_json json_t *doc =
	    oci_json_loadb(payload, len, OCI_SIG_PAYLOAD_MAX, 16, "payload", err);
	if (!doc)
		return -1;
	json_t *c, *im, *id;
	const char *type, *dg, *ref;
	if (!json_is_object(doc))
		return oci_err(err, OCI_E_INVALID, "payload: expected an object");
	if (only_keys(doc, "payload", top, 2, err) < 0)
		return -1;
	/* optional: null (cosign) or an object of informational fields */
	json_t *opt = json_object_get(doc, "optional");
	if (!json_is_null(opt) && !json_is_object(opt))
		return oci_err(err, OCI_E_INVALID, "payload.optional: expected an object or null");
	if (oci_json_get_object(doc, "", "critical", true, &c, err) < 0 ||
	    only_keys(c, "critical", crit, 3, err) < 0 ||
	    oci_json_get_string(c, "critical", "type", true, &type, err) < 0 ||
	    oci_json_get_object(c, "critical", "image", true, &im, err) < 0 ||
	    oci_json_get_object(c, "critical", "identity", true, &id, err) < 0 ||
	    only_keys(im, "critical.image", image, 1, err) < 0 ||
	    only_keys(id, "critical.identity", identity, 1, err) < 0 ||
	    oci_json_get_string(im, "critical.image", "docker-manifest-digest", true, &dg, err) <
		0 ||
	    oci_json_get_string(id, "critical.identity", "docker-reference", true, &ref, err) < 0)
		return -1;
	if (strcmp(type, COSIGN_TYPE))
		return oci_err(err, OCI_E_INVALID, "critical.type: '%s' is not '%s'", type,
			       COSIGN_TYPE);
	if (oci_digest_parse(dg, &out->digest, err) < 0)
		return oci_err_prefix(err, "critical.image.docker-manifest-digest");
	if (strlen(ref) >= sizeof(out->docker_ref))
		return oci_err(err, OCI_E_INVALID, "critical.identity.docker-reference: too long");
	strcpy(out->docker_ref, ref);
	return 0;
}

EVP_PKEY *oci_sig_load_key(const char *pem, size_t len, const char *what, oci_error *err)
{
	if (len > 64 * 1024 || len > INT32_MAX)
		return oci_err(err, OCI_E_LIMIT, "%s: over 64 KiB, not a public key", what), NULL;
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	if (!b)
		return oci_err_openssl(err, "%s", what), NULL;
	EVP_PKEY *k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!k) {
		ERR_clear_error();
		return oci_err(err, OCI_E_INVALID, "%s: not a PEM public key", what), NULL;
	}
	if (EVP_PKEY_is_a(k, "ED25519"))
		return k;
	char group[64] = "";
	size_t gl = 0;
	if (EVP_PKEY_is_a(k, "EC") &&
	    EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   &gl) == 1 &&
	    !strcmp(group, "prime256v1"))
		return k;
	oci_err(err, OCI_E_UNSUPPORTED,
		"%s: a %s%s%s key is not supported (ECDSA P-256 and Ed25519 are)", what,
		EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "unknown",
		*group ? " " : "", group);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return NULL;
}

int oci_sig_verify(EVP_PKEY *key, const oci_sig *s, oci_error *err)
{
	if (!s->sig || !s->payload)
		return 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return oci_err_openssl(err, "signature check");
	bool ed = EVP_PKEY_is_a(key, "ED25519");
	int r = EVP_DigestVerifyInit(ctx, NULL, ed ? NULL : EVP_sha256(), NULL, key);
	if (r != 1) {
		EVP_MD_CTX_free(ctx);
		return oci_err_openssl(err, "signature check");
	}
	r = EVP_DigestVerify(ctx, s->sig, s->sig_len, (const unsigned char *)s->payload,
			     s->payload_len);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return r == 1 ? 1 : 0;
}
