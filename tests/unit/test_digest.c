/* Unit tests for common/digest.c: only well-formed sha256/sha512 digests are accepted (so a
 * digest can never be a path), hashing is correct, and verification catches mismatches. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/digest.h"

#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_SHA512                                                                                 \
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"                         \
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void expect_bad(const char *s, int code, const char *what)
{
	oci_digest d;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_digest_parse(s, &d, &err) < 0, "'%s' accepted", s);
	ck_assert_msg(err.code == code, "'%s': code %d, message '%s'", s, err.code, err.msg);
	ck_assert_msg(strstr(err.msg, what), "'%s': message '%s' lacks '%s'", s, err.msg, what);
}

START_TEST(test_parse_valid)
{
	oci_digest d, e;
	oci_error err = OCI_ERROR_INIT;
	char buf[OCI_DIGEST_STR_MAX], small[32], path[256];
	ck_assert_int_eq(oci_digest_parse("sha256:" ABC_SHA256, &d, &err), 0);
	ck_assert_int_eq(d.alg, OCI_DIGEST_SHA256);
	ck_assert_str_eq(d.hex, ABC_SHA256);
	ck_assert_str_eq(oci_digest_str(&d, buf), "sha256:" ABC_SHA256);
	ck_assert_str_eq(oci_digest_short(&d, small, sizeof(small)), "sha256:ba7816bf8f01");
	ck_assert_str_eq(oci_digest_blob_path(&d, path, sizeof(path)), "blobs/sha256/" ABC_SHA256);
	ck_assert_int_eq(oci_digest_parse("sha512:" ABC_SHA512, &e, &err), 0);
	ck_assert_int_eq(e.alg, OCI_DIGEST_SHA512);
	ck_assert_str_eq(oci_digest_str(&e, buf), "sha512:" ABC_SHA512);
	ck_assert_str_eq(oci_digest_blob_path(&e, path, sizeof(path)), "blobs/sha512/" ABC_SHA512);
	ck_assert(!oci_digest_equal(&d, &e));
	ck_assert_int_eq(oci_digest_parse("sha256:" EMPTY_SHA256, &e, &err), 0);
	ck_assert(!oci_digest_equal(&d, &e));
	ck_assert_int_eq(oci_digest_parse("sha256:" ABC_SHA256, &e, &err), 0);
	ck_assert(oci_digest_equal(&d, &e));
}
END_TEST

START_TEST(test_parse_invalid)
{
	expect_bad("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
		   OCI_E_INVALID, "lower-case hex");
	expect_bad("sha256:" ABC_SHA256 "0", OCI_E_INVALID, "needs 64 hex digits, got 65");
	expect_bad("sha256:ba7816bf", OCI_E_INVALID, "needs 64 hex digits, got 8");
	expect_bad("sha256:", OCI_E_INVALID, "got 0");
	expect_bad("sha512:" ABC_SHA256, OCI_E_INVALID, "sha512 needs 128");
	expect_bad("sha384:" ABC_SHA256, OCI_E_UNSUPPORTED, "unsupported algorithm 'sha384'");
	expect_bad("md5:d41d8cd98f00b204e9800998ecf8427e", OCI_E_UNSUPPORTED,
		   "unsupported algorithm");
	expect_bad("SHA256:" ABC_SHA256, OCI_E_UNSUPPORTED, "unsupported algorithm");
	expect_bad(":" ABC_SHA256, OCI_E_UNSUPPORTED, "unsupported algorithm");
	expect_bad("sha256:../../x", OCI_E_INVALID, "invalid digest");
	/* Exactly 64 characters, but a path. */
	expect_bad("sha256:../../../../../../../../../../../../../../../../../etc/passwd000",
		   OCI_E_INVALID, "lower-case hex");
	expect_bad("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2001/ad",
		   OCI_E_INVALID, "lower-case hex");
	expect_bad(ABC_SHA256, OCI_E_INVALID, "expected algorithm:hex");
	expect_bad("", OCI_E_INVALID, "expected algorithm:hex");
	expect_bad("sha256:" ABC_SHA256 "\n", OCI_E_INVALID, "got 65");
}
END_TEST

START_TEST(test_hash_known_vectors)
{
	oci_digest d;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_digest_buffer(OCI_DIGEST_SHA256, "abc", 3, &d, &err), 0);
	ck_assert_str_eq(d.hex, ABC_SHA256);
	ck_assert_int_eq(oci_digest_buffer(OCI_DIGEST_SHA512, "abc", 3, &d, &err), 0);
	ck_assert_int_eq(d.alg, OCI_DIGEST_SHA512);
	ck_assert_str_eq(d.hex, ABC_SHA512);
	ck_assert_int_eq(oci_digest_buffer(OCI_DIGEST_SHA256, "", 0, &d, &err), 0);
	ck_assert_str_eq(d.hex, EMPTY_SHA256);
	ck_assert_ptr_null(oci_hasher_new(99, &err));
	ck_assert_int_eq(err.code, OCI_E_UNSUPPORTED);
}
END_TEST

START_TEST(test_streaming_equals_oneshot)
{
	size_t n = 300000;
	unsigned char *data = malloc(n);
	oci_digest one, streamed;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 9));
	ck_assert_int_eq(oci_digest_buffer(OCI_DIGEST_SHA256, data, n, &one, &err), 0);
	oci_hasher *h = oci_hasher_new(OCI_DIGEST_SHA256, &err);
	ck_assert_ptr_nonnull(h);
	/* Uneven chunks, including empty ones. */
	size_t off = 0, step = 1;
	while (off < n) {
		size_t len = step < n - off ? step : n - off;
		ck_assert_int_eq(oci_hasher_update(h, data + off, len, &err), 0);
		ck_assert_int_eq(oci_hasher_update(h, data, 0, &err), 0);
		off += len;
		step = step * 3 + 1;
	}
	ck_assert_uint_eq(oci_hasher_bytes(h), n);
	ck_assert_int_eq(oci_hasher_final(h, &streamed, &err), 0);
	oci_hasher_free(h);
	ck_assert(oci_digest_equal(&one, &streamed));

	/* The streaming "abc" vector, byte by byte. */
	h = oci_hasher_new(OCI_DIGEST_SHA256, &err);
	ck_assert_int_eq(oci_hasher_update(h, "a", 1, &err), 0);
	ck_assert_int_eq(oci_hasher_update(h, "b", 1, &err), 0);
	ck_assert_int_eq(oci_hasher_update(h, "c", 1, &err), 0);
	ck_assert_int_eq(oci_hasher_final(h, &streamed, &err), 0);
	oci_hasher_free(h);
	ck_assert_str_eq(streamed.hex, ABC_SHA256);

	/* oci_digest_fd reads everything and reports the size. */
	char tmpl[] = "/tmp/test_digest.XXXXXX";
	int fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	unlink(tmpl);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	lseek(fd, 0, SEEK_SET);
	uint64_t size = 0;
	oci_digest fromfd;
	ck_assert_int_eq(oci_digest_fd(OCI_DIGEST_SHA256, fd, &fromfd, &size, &err), 0);
	ck_assert_uint_eq(size, n);
	ck_assert(oci_digest_equal(&one, &fromfd));
	close(fd);
	free(data);
}
END_TEST

START_TEST(test_verify)
{
	oci_digest want, got, other;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_digest_buffer(OCI_DIGEST_SHA256, "abc", 3, &got, &err), 0);
	ck_assert_int_eq(oci_digest_parse("sha256:" ABC_SHA256, &want, &err), 0);
	ck_assert_int_eq(oci_digest_parse("sha256:" EMPTY_SHA256, &other, &err), 0);
	ck_assert_int_eq(oci_digest_verify(&want, 3, &got, 3, "layer 1", &err), 0);
	ck_assert_int_eq(oci_digest_verify(&want, -1, &got, 3, "layer 1", &err), 0);

	ck_assert_int_lt(oci_digest_verify(&want, 4, &got, 3, "layer 1", &err), 0);
	ck_assert_int_eq(err.code, OCI_E_DIGEST);
	ck_assert_msg(strstr(err.msg, "layer 1: size mismatch: expected 4 bytes, got 3"), "%s",
		      err.msg);

	oci_err_clear(&err);
	ck_assert_int_lt(oci_digest_verify(&other, 3, &got, 3, "config", &err), 0);
	ck_assert_int_eq(err.code, OCI_E_DIGEST);
	ck_assert_msg(strstr(err.msg, "config: digest mismatch: expected sha256:" EMPTY_SHA256
				      ", got sha256:" ABC_SHA256),
		      "%s", err.msg);

	/* Same hex under another algorithm is not the same digest. */
	oci_digest fake = got;
	fake.alg = OCI_DIGEST_SHA512;
	oci_err_clear(&err);
	ck_assert_int_lt(oci_digest_verify(&fake, -1, &got, 3, "x", &err), 0);
	ck_assert_int_eq(err.code, OCI_E_DIGEST);
}
END_TEST

static Suite *digest_suite(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_parse_valid);
	tcase_add_test(tc, test_parse_invalid);
	tcase_add_test(tc, test_hash_known_vectors);
	tcase_add_test(tc, test_streaming_equals_oneshot);
	tcase_add_test(tc, test_verify);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(digest_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
