/* Sigstore (cosign) signatures of an image: where they are (the "sha256-<hex>.sig" tag of the
 * repository, one manifest whose layers are the signed payloads, or manifests referring to the
 * image by OCI 1.1 referrers), what a payload says (the
 * simple-signing JSON: the manifest digest and the docker reference it vouches for), and
 * checking a signature with a public key (ECDSA P-256 with SHA-256, Ed25519) through
 * OpenSSL. Everything read from the registry is untrusted and bounded. */
#ifndef OCI_FETCH_SIGNATURE_H
#define OCI_FETCH_SIGNATURE_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/digest.h"
#include "common/error.h"
#include "fetch/registry.h"

#define OCI_SIG_MEDIA_TYPE     "application/vnd.dev.cosign.simplesigning.v1+json"
#define OCI_SIG_ANNOTATION     "dev.cosignproject.cosign/signature"
#define OCI_SIG_PAYLOAD_MAX    (64u << 10) /* a payload is a few hundred bytes */
#define OCI_SIG_MAX_SIGNATURES 64
#define OCI_SIG_ENCODED_MAX    8192 /* base64 of a signature */

typedef struct oci_sig {
	char *payload; /* NUL-terminated copy */
	size_t payload_len;
	unsigned char *sig; /* decoded signature bytes; NULL when the annotation was bad */
	size_t sig_len;
	char problem[OCI_ERR_MSG_MAX +
		     16]; /* why this signature cannot be used at all, "" when it can */
} oci_sig;

typedef struct oci_sigs {
	oci_sig *v;
	size_t n;
	bool found; /* the .sig tag exists */
} oci_sigs;

/* The signatures of manifest d in r's repository (signature_registry.c). No signature tag: 0 with
 * found false. A malformed signature manifest is an error; a malformed or oversized signature
 * inside it is kept with its problem set, so the policy can say why it was not accepted. */
int oci_sig_fetch(oci_registry *r, const oci_digest *d, oci_sigs *out, oci_error *err);
/* Read a signature manifest's body into out (the payloads are fetched through get_payload,
 * called with each simple-signing layer's descriptor). Exposed for the fuzzer and unit tests. */
typedef int (*oci_sig_payload_fn)(void *ctx, const oci_descriptor *d, char **body, size_t *len,
				  oci_error *err);
int oci_sig_parse_manifest(const char *body, size_t len, oci_sig_payload_fn get_payload, void *ctx,
			   oci_sigs *out, oci_error *err);
void oci_sigs_release(oci_sigs *s);

/* What a payload vouches for. docker_ref: the identity as written ("host/repo[:tag]"). */
typedef struct oci_sig_claim {
	char docker_ref[OCI_REF_NAME_MAX + OCI_REF_TAG_MAX + OCI_DIGEST_STR_MAX + 4];
	oci_digest digest;
} oci_sig_claim;
/* Parse a simple-signing payload as containers/image does: critical.type must be "cosign
 * container image signature", critical.image and critical.identity exactly their one field
 * each, optional anything; other keys are errors. */
int oci_sig_parse_payload(const char *payload, size_t len, oci_sig_claim *out, oci_error *err);

/* Strict padded base64 (RFC 4648) of at most max characters into a new buffer; -1 when it is
 * not that (or out of memory). */
int oci_sig_base64_decode(const char *b64, size_t max, unsigned char **out, size_t *len);
/* A public key from PEM text (what names it in errors). Only ECDSA P-256 and Ed25519. */
EVP_PKEY *oci_sig_load_key(const char *pem, size_t len, const char *what, oci_error *err);
/* 1 when sig is key's signature of the payload, 0 when not, -1 on an internal error. */
int oci_sig_verify(EVP_PKEY *key, const oci_sig *s, oci_error *err);
#endif
