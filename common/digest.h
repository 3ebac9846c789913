/* Content digests: "algorithm:hex" parsing, streaming hashing, descriptor verification.
 *
 * Only sha256 and sha512 are accepted, with lower-case hex of exactly the algorithm's length,
 * so a parsed digest can never be a path ("sha256:../../x" is refused). */
#ifndef OCI_DIGEST_H
#define OCI_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum oci_digest_alg { OCI_DIGEST_SHA256 = 1, OCI_DIGEST_SHA512 = 2 };

#define OCI_DIGEST_MAX_HEX 128
#define OCI_DIGEST_STR_MAX (7 + OCI_DIGEST_MAX_HEX + 1) /* "sha512:" + hex + NUL */

typedef struct oci_digest {
	int alg;			  /* enum oci_digest_alg */
	char hex[OCI_DIGEST_MAX_HEX + 1]; /* lower-case hex */
} oci_digest;

int oci_digest_parse(const char *s, oci_digest *out, oci_error *err);
/* "sha256:abcd..." into buf (at least OCI_DIGEST_STR_MAX bytes). */
const char *oci_digest_str(const oci_digest *d, char *buf);
/* Short form for messages: "sha256:abcdef012345". */
const char *oci_digest_short(const oci_digest *d, char *buf, size_t len);
const char *oci_digest_alg_name(int alg);
bool oci_digest_equal(const oci_digest *a, const oci_digest *b);
/* Relative blob path in a layout: "blobs/sha256/<hex>". */
const char *oci_digest_blob_path(const oci_digest *d, char *buf, size_t len);

/* Streaming hash. */
typedef struct oci_hasher oci_hasher;
oci_hasher *oci_hasher_new(int alg, oci_error *err);
int oci_hasher_update(oci_hasher *h, const void *data, size_t len, oci_error *err);
/* Finish into out; the hasher may not be updated afterwards. */
int oci_hasher_final(oci_hasher *h, oci_digest *out, oci_error *err);
uint64_t oci_hasher_bytes(const oci_hasher *h);
void oci_hasher_free(oci_hasher *h);
static inline void oci_hasher_freep(oci_hasher **h)
{
	if (*h)
		oci_hasher_free(*h);
}
#define cleanup_hasher __attribute__((cleanup(oci_hasher_freep)))

/* One-shot hash of a buffer or of everything readable from fd. */
int oci_digest_buffer(int alg, const void *data, size_t len, oci_digest *out, oci_error *err);
int oci_digest_fd(int alg, int fd, oci_digest *out, uint64_t *size, oci_error *err);
/* oci_digest_fd that asks stop(ud) before it starts and every few MiB: 1 when it said stop
 * (nothing is returned then), 0 when hashed to the end, -1 on error. */
int oci_digest_fd_unless(int alg, int fd, bool (*stop)(void *ud), void *ud, oci_digest *out,
			 uint64_t *size, oci_error *err);

/* Check a computed digest and size against what a descriptor says (size < 0: not checked).
 * The error names `what` and both digests. */
int oci_digest_verify(const oci_digest *want, int64_t want_size, const oci_digest *got,
		      uint64_t got_size, const char *what, oci_error *err);
#endif
