/* Unit tests for unpack/decompress.c's decoders. The gzip ones (zlib, and ISA-L's igzip when
 * built in) share one rule for the boundary between gzip members: a layer of several members
 * (as pigz writes) inflates whole, bytes after the last member that are not another member
 * are trailing garbage, and data that ends inside a member is truncated. Each gzip case runs
 * through both decoders, with the input handed over whole and one byte per block (so a
 * boundary falls between two blocks). zstd: frames one after the other, and truncation.
 * Linked with oci-unpack's objects. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "unpack/unpack.h"

/* A source that hands out data in blocks of at most chunk bytes. */
struct src {
	const unsigned char *data;
	size_t len, off, chunk;
};

static int pull(void *ctx, const void **buf, size_t *len, oci_error *err)
{
	struct src *s = ctx;
	if (s->off == s->len)
		return 0;
	size_t n = s->len - s->off < s->chunk ? s->len - s->off : s->chunk;
	*buf = s->data + s->off;
	*len = n;
	s->off += n;
	return 1;
}

/* Append one gzip member holding text to buf at *n (cap bytes). */
static void gzip_member(unsigned char *buf, size_t cap, size_t *n, const char *text)
{
	z_stream zs = {0};
	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_in = (unsigned char *)text;
	zs.avail_in = (uInt)strlen(text);
	zs.next_out = buf + *n;
	zs.avail_out = (uInt)(cap - *n);
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*n = cap - zs.avail_out;
	deflateEnd(&zs);
}

/* Decompress data (gzip or zstd, by its magic) in blocks of chunk bytes, gzip through the
 * decoder of loop index i (0 zlib, 1 igzip if built in): the output in out (NUL-terminated),
 * or -1 with err set. */
static ssize_t inflate_all(int i, const unsigned char *data, size_t len, size_t chunk, char *out,
			   size_t cap, oci_error *err)
{
	oci_unpack_opts opts = {.zstd_window_log = 23, .use_zlib = i == 0};
	struct src s = {.data = data, .len = len, .chunk = chunk};
	int comp = oci_unpack_compression_detect(data, len);
	ck_assert_int_ne(comp, OCI_COMP_NONE);
	oci_unpack_decompressor *z = oci_unpack_decompressor_new(comp, &opts, pull, &s, err);
	ck_assert_ptr_nonnull(z);
	size_t got = 0;
	ssize_t r;
	unsigned char block[64];
	const void *b;
	while ((r = oci_unpack_decompressor_next(z, block, sizeof(block), &b, err)) > 0) {
		ck_assert_uint_lt(got + (size_t)r, cap);
		memcpy(out + got, b, (size_t)r);
		got += (size_t)r;
	}
	out[got] = '\0';
	oci_unpack_decompressor_free(z);
	return r < 0 ? -1 : (ssize_t)got;
}

static const char *const texts[] = {
    "first member: the bottom of a layer\n",
    "second member, as pigz writes them\n",
    "third and last member\n",
};

START_TEST(test_members_inflate_whole)
{
	unsigned char gz[1024];
	char out[512], want[512] = "";
	size_t n = 0;
	for (size_t k = 0; k < 3; k++) {
		gzip_member(gz, sizeof(gz), &n, texts[k]);
		strcat(want, texts[k]);
	}
	for (size_t chunk = 1; chunk <= n; chunk = chunk == 1 ? n : n + 1) {
		oci_error err = OCI_ERROR_INIT;
		ssize_t r = inflate_all(_i, gz, n, chunk, out, sizeof(out), &err);
		ck_assert_msg(r >= 0, "chunk %zu: %s", chunk, err.msg);
		ck_assert_str_eq(out, want);
	}
}
END_TEST

START_TEST(test_trailing_garbage)
{
	unsigned char gz[1024];
	char out[512];
	size_t n = 0;
	gzip_member(gz, sizeof(gz), &n, texts[0]);
	gzip_member(gz, sizeof(gz), &n, texts[1]);
	/* a zero padding byte is not a member either */
	static const unsigned char tails[][3] = {{'x', 'y', 'z'}, {0, 0, 0}, {0x8b, 0x1f, 0}};
	for (size_t t = 0; t < 3; t++) {
		memcpy(gz + n, tails[t], 3);
		for (size_t chunk = 1; chunk <= n + 3; chunk = chunk == 1 ? n + 3 : n + 4) {
			oci_error err = OCI_ERROR_INIT;
			ck_assert_int_lt(inflate_all(_i, gz, n + 3, chunk, out, sizeof(out), &err),
					 0);
			ck_assert_int_eq(err.code, OCI_E_INVALID);
			ck_assert_str_eq(err.msg, "trailing garbage after gzip data");
		}
	}
}
END_TEST

START_TEST(test_truncated)
{
	unsigned char gz[1024];
	char out[512];
	size_t n = 0, first;
	gzip_member(gz, sizeof(gz), &n, texts[0]);
	first = n;
	gzip_member(gz, sizeof(gz), &n, texts[1]);
	/* cut inside the first member's trailer, just after the second's magic, before its end */
	const size_t cuts[] = {first - 4, first + 2, n - 1};
	for (size_t c = 0; c < 3; c++) {
		for (size_t chunk = 1; chunk <= cuts[c];
		     chunk = chunk == 1 ? cuts[c] : cuts[c] + 1) {
			oci_error err = OCI_ERROR_INIT;
			ck_assert_int_lt(
			    inflate_all(_i, gz, cuts[c], chunk, out, sizeof(out), &err), 0);
			ck_assert_int_eq(err.code, OCI_E_INVALID);
			ck_assert_msg(!strcmp(err.msg, "unexpected end of gzip data"),
				      "cut %zu: %s", cuts[c], err.msg);
		}
	}
}
END_TEST

/* zstd: two frames one after the other decode whole; cut anywhere inside, the data is
 * truncated (the decoder's flush at the end of the input makes no progress). */
START_TEST(test_zstd_frames)
{
	unsigned char zs[1024];
	char out[512], want[512];
	size_t n = ZSTD_compress(zs, sizeof(zs), texts[0], strlen(texts[0]), 3);
	ck_assert(!ZSTD_isError(n));
	size_t n2 = ZSTD_compress(zs + n, sizeof(zs) - n, texts[1], strlen(texts[1]), 3);
	ck_assert(!ZSTD_isError(n2));
	snprintf(want, sizeof(want), "%s%s", texts[0], texts[1]);
	oci_error err = OCI_ERROR_INIT;
	for (size_t chunk = 1; chunk <= n + n2; chunk = chunk == 1 ? n + n2 : n + n2 + 1) {
		ssize_t r = inflate_all(0, zs, n + n2, chunk, out, sizeof(out), &err);
		ck_assert_msg(r >= 0, "chunk %zu: %s", chunk, err.msg);
		ck_assert_str_eq(out, want);
	}
	const size_t cuts[] = {n - 1, n + 5, n + n2 - 1};
	for (size_t c = 0; c < 3; c++) {
		ck_assert_int_lt(inflate_all(0, zs, cuts[c], 7, out, sizeof(out), &err), 0);
		ck_assert_int_eq(err.code, OCI_E_INVALID);
		ck_assert_msg(!strcmp(err.msg, "unexpected end of zstd data"), "cut %zu: %s",
			      cuts[c], err.msg);
	}
}
END_TEST

static Suite *decompress_suite(void)
{
	Suite *s = suite_create("decompress");
	TCase *tc = tcase_create("gzip");
	/* Loop index 0: zlib; 1: igzip (zlib again when built without ISA-L). */
	tcase_add_loop_test(tc, test_members_inflate_whole, 0, 2);
	tcase_add_loop_test(tc, test_trailing_garbage, 0, 2);
	tcase_add_loop_test(tc, test_truncated, 0, 2);
	suite_add_tcase(s, tc);
	TCase *tz = tcase_create("zstd");
	tcase_add_test(tz, test_zstd_frames);
	suite_add_tcase(s, tz);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(decompress_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
