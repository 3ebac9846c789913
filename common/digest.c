/* Content digests: "algorithm:hex" parsing, streaming hashing over OpenSSL EVP, verification. */
#include "common/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

struct oci_hasher {
	EVP_MD_CTX *ctx;
	int alg;
	uint64_t bytes;
};

static size_t hex_len(int alg)
{
	return alg == OCI_DIGEST_SHA256 ? 64 : alg == OCI_DIGEST_SHA512 ? 128 : 0;
}

const char *oci_digest_alg_name(int alg)
{
	return alg == OCI_DIGEST_SHA256	  ? "sha256"
	       : alg == OCI_DIGEST_SHA512 ? "sha512"
					  : "unknown";
}

int oci_digest_parse(const char *s, oci_digest *out, oci_error *err)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	int alg;
	if (!colon)
		return oci_err(err, OCI_E_INVALID, "invalid digest '%s': expected algorithm:hex",
			       s ? s : "");
	size_t alen = (size_t)(colon - s);
	if (alen == 6 && !strncmp(s, "sha256", 6))
		alg = OCI_DIGEST_SHA256;
	else if (alen == 6 && !strncmp(s, "sha512", 6))
		alg = OCI_DIGEST_SHA512;
	else
		return oci_err(err, OCI_E_UNSUPPORTED,
			       "invalid digest '%.80s': unsupported algorithm '%.*s'", s,
			       (int)(alen > 32 ? 32 : alen), s);
	const char *hex = colon + 1;
	size_t n = strlen(hex);
	if (n != hex_len(alg))
		return oci_err(err, OCI_E_INVALID,
			       "invalid digest '%.80s': %s needs %zu hex digits, got %zu", s,
			       oci_digest_alg_name(alg), hex_len(alg), n);
	for (size_t i = 0; i < n; i++) {
		char c = hex[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return oci_err(err, OCI_E_INVALID,
				       "invalid digest '%.80s': not lower-case hex", s);
	}
	out->alg = alg;
	memcpy(out->hex, hex, n + 1);
	return 0;
}

const char *oci_digest_str(const oci_digest *d, char *buf)
{
	/* "sha512:" + 128 hex + NUL is exactly OCI_DIGEST_STR_MAX; an unknown algorithm has no
	 * hex length, so "unknown:" fits too */
	const char *name = oci_digest_alg_name(d->alg);
	size_t nl = strlen(name), hl = strnlen(d->hex, hex_len(d->alg));
	memcpy(buf, name, nl);
	buf[nl] = ':';
	memcpy(buf + nl + 1, d->hex, hl);
	buf[nl + 1 + hl] = '\0';
	return buf;
}

const char *oci_digest_short(const oci_digest *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%.12s", oci_digest_alg_name(d->alg), d->hex);
	return buf;
}

bool oci_digest_equal(const oci_digest *a, const oci_digest *b)
{
	return a->alg == b->alg && strcmp(a->hex, b->hex) == 0;
}

const char *oci_digest_blob_path(const oci_digest *d, char *buf, size_t len)
{
	snprintf(buf, len, "blobs/%s/%s", oci_digest_alg_name(d->alg), d->hex);
	return buf;
}

oci_hasher *oci_hasher_new(int alg, oci_error *err)
{
	const EVP_MD *md = alg == OCI_DIGEST_SHA256   ? EVP_sha256()
			   : alg == OCI_DIGEST_SHA512 ? EVP_sha512()
						      : NULL;
	if (!md) {
		oci_err(err, OCI_E_UNSUPPORTED, "unsupported digest algorithm");
		return NULL;
	}
	oci_hasher *h = calloc(1, sizeof(*h));
	if (!h) {
		oci_err_errno(err, ENOMEM, "cannot allocate a hasher");
		return NULL;
	}
	h->alg = alg;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, md, NULL) != 1) {
		oci_err_openssl(err, "cannot start %s", oci_digest_alg_name(alg));
		oci_hasher_free(h);
		return NULL;
	}
	return h;
}

int oci_hasher_update(oci_hasher *h, const void *data, size_t len, oci_error *err)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		return oci_err_openssl(err, "hash update failed");
	h->bytes += len;
	return 0;
}

int oci_hasher_final(oci_hasher *h, oci_digest *out, oci_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	static const char hexd[] = "0123456789abcdef";
	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1)
		return oci_err_openssl(err, "hash final failed");
	out->alg = h->alg;
	for (unsigned int i = 0; i < n; i++) {
		out->hex[2 * i] = hexd[md[i] >> 4];
		out->hex[2 * i + 1] = hexd[md[i] & 15];
	}
	out->hex[2 * n] = '\0';
	return 0;
}

uint64_t oci_hasher_bytes(const oci_hasher *h)
{
	return h->bytes;
}

void oci_hasher_free(oci_hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int oci_digest_buffer(int alg, const void *data, size_t len, oci_digest *out, oci_error *err)
{
	cleanup_hasher oci_hasher *h = oci_hasher_new(alg, err);
	if (!h || oci_hasher_update(h, data, len, err) < 0)
		return -1;
	return oci_hasher_final(h, out, err);
}

#define FD_BUF	     (1u << 20) /* bytes a read: a 100 MB blob in 100 reads */
#define FD_ASK_EVERY (4u << 20) /* bytes hashed between two questions to stop */

int oci_digest_fd_unless(int alg, int fd, bool (*stop)(void *ud), void *ud, oci_digest *out,
			 uint64_t *size, oci_error *err)
{
	if (stop && stop(ud))
		return 1;
	cleanup_hasher oci_hasher *h = oci_hasher_new(alg, err);
	cleanup_free char *buf = h ? oci_malloc(FD_BUF, err) : NULL;
	if (!buf)
		return -1;
	uint64_t since = 0;
	for (;;) {
		ssize_t n = read(fd, buf, FD_BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return oci_err_errno(err, errno, "read failed");
		}
		if (n == 0)
			break;
		if (oci_hasher_update(h, buf, (size_t)n, err) < 0)
			return -1;
		since += (uint64_t)n;
		if (stop && since >= FD_ASK_EVERY) {
			since = 0;
			if (stop(ud))
				return 1;
		}
	}
	if (size)
		*size = oci_hasher_bytes(h);
	return oci_hasher_final(h, out, err) < 0 ? -1 : 0;
}

int oci_digest_fd(int alg, int fd, oci_digest *out, uint64_t *size, oci_error *err)
{
	return oci_digest_fd_unless(alg, fd, NULL, NULL, out, size, err);
}

int oci_digest_verify(const oci_digest *want, int64_t want_size, const oci_digest *got,
		      uint64_t got_size, const char *what, oci_error *err)
{
	char a[OCI_DIGEST_STR_MAX], b[OCI_DIGEST_STR_MAX];
	if (want_size >= 0 && (uint64_t)want_size != got_size)
		return oci_err(err, OCI_E_DIGEST,
			       "%s: size mismatch: expected %lld bytes, got %llu", what,
			       (long long)want_size, (unsigned long long)got_size);
	if (!oci_digest_equal(want, got))
		return oci_err(err, OCI_E_DIGEST, "%s: digest mismatch: expected %s, got %s", what,
			       oci_digest_str(want, a), oci_digest_str(got, b));
	return 0;
}
