/* Layer verification: the compressed bytes are hashed and counted against the descriptor's
 * digest and size, the uncompressed tar stream against the config's diff_id. Both digests
 * cover every byte (also what follows the tar end marker), and a layer is accepted only
 * when both match. */
#include <errno.h>
#include <string.h>

#include "unpack/unpack.h"

int oci_unpack_verify_init(oci_unpack_verify *v, const oci_unpack_layer_desc *ld, oci_error *err)
{
	memset(v, 0, sizeof(*v));
	/* without a digest to check, sha256 still counts the bytes */
	v->compressed = oci_hasher_new(ld->has_digest ? ld->digest.alg : OCI_DIGEST_SHA256, err);
	v->raw = oci_hasher_new(ld->has_diff_id ? ld->diff_id.alg : OCI_DIGEST_SHA256, err);
	return v->compressed && v->raw ? 0 : -1;
}

void oci_unpack_verify_release(oci_unpack_verify *v)
{
	oci_hasher_free(v->compressed);
	oci_hasher_free(v->raw);
	memset(v, 0, sizeof(*v));
}

int oci_unpack_verify_compressed(oci_unpack_verify *v, const void *buf, size_t len, oci_error *err)
{
	if (oci_hasher_update(v->compressed, buf, len, err) < 0)
		return -1;
	v->comp_bytes += len;
	return 0;
}

int oci_unpack_verify_raw(oci_unpack_verify *v, const void *buf, size_t len, oci_error *err)
{
	if (oci_hasher_update(v->raw, buf, len, err) < 0)
		return -1;
	v->raw_bytes += len;
	return 0;
}

int oci_unpack_verify_finish(oci_unpack_verify *v, const oci_unpack_layer_desc *ld, oci_error *err)
{
	oci_digest got;
	if (ld->has_digest) {
		if (oci_hasher_final(v->compressed, &got, err) < 0 ||
		    oci_digest_verify(&ld->digest, ld->size, &got, v->comp_bytes, "layer blob",
				      err) < 0)
			return -1;
	}
	if (ld->has_diff_id) {
		if (oci_hasher_final(v->raw, &got, err) < 0 ||
		    oci_digest_verify(&ld->diff_id, -1, &got, v->raw_bytes, "diff_id", err) < 0)
			return -1;
	}
	return 0;
}
