/* Unit tests for unpack/layer.c (with decompress.c, pipeline.c and verify.c): inputs the
 * layer fuzzer (tests/fuzz/fuzz_layer.c) found, each refused with one clear error (and under
 * SANITIZE=1 without undefined behaviour), and a layer of many MiB whose two digests, taken
 * on the pipeline's hasher thread while its rings go round many times, must come out as on
 * the calling thread: accepted when they match, refused when either does not. Linked with
 * oci-unpack's objects. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "common/util.h"
#include "unpack/unpack.h"

/* A gzip layer whose deflate data goes bad after a first block: ISA-L's inflate then reports
 * more input left than it was given, and the decoder moved its input pointer by that negative
 * amount (tests/fuzz/corpus/layer/layer-igzip-avail-in). */
static const unsigned char gzip_bad_block[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0xd8, 0xcd, 0x6e,
    0xd3, 0x40, 0x14, 0x05, 0xe0, 0x81, 0x65, 0x9f, 0xc2, 0x4f, 0xe0, 0xf9, 0xf1, 0xfc,
    0x88, 0x4a, 0x91, 0x90, 0x10, 0xa8, 0x48, 0x5d, 0x20, 0xb1, 0x62, 0x39, 0x4e, 0x26,
    0xc4, 0xc2, 0xc4, 0xd1, 0x8c, 0xdd, 0xba, 0x2b, 0x5e, 0x9d, 0xc1, 0xa5, 0xa8, 0x09,
    0x48, 0x6d, 0x16, 0x33, 0x69, 0xf0, 0xf9, 0x6e, 0x65, 0x77, 0x6b, 0x65, 0x79, 0x20,
    0x3d, 0x1f, 0xbb, 0x6e, 0xf5, 0x00, 0x72, 0x6f, 0x63, 0xc9, 0xf1, 0xf1, 0xf5, 0x00};

static char dir[] = "/tmp/test_unpack_layer.XXXXXX";

static void setup(void)
{
	strcpy(dir, "/tmp/test_unpack_layer.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	oci_error err = OCI_ERROR_INIT;
	oci_remove_tree_at(AT_FDCWD, dir, &err);
}

/* Apply data as a one-layer image into a fresh root; returns the result, error in err. */
static int apply(const unsigned char *data, size_t len, bool no_threads, bool use_zlib,
		 oci_error *err)
{
	oci_unpack_opts opts = {.max_bytes = 1u << 20,
				.max_files = 1000,
				.max_padding = 1u << 20,
				.zstd_window_log = 23,
				.no_threads = no_threads,
				.use_zlib = use_zlib};
	int rootfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int fd = memfd_create("layer", MFD_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	oci_unpack_root r;
	oci_unpack_root_init(&r, rootfd, &opts, err);
	oci_unpack_layer_desc ld = {
	    .index = 0, .count = 1, .compression = -1, .size = -1, .name = "l"};
	int rc = oci_unpack_layer_apply_fd(&r, &ld, fd, err);
	if (rc == 0)
		rc = oci_unpack_root_finish(&r, err);
	oci_unpack_root_release(&r);
	close(fd);
	close(rootfd);
	return rc;
}

START_TEST(test_gzip_bad_block_refused)
{
	/* every inflater: ISA-L and zlib, on the calling thread and on the decoder thread */
	for (int i = 0; i < 4; i++) {
		oci_error err = OCI_ERROR_INIT;
		int rc = apply(gzip_bad_block, sizeof(gzip_bad_block), i & 1, i & 2, &err);
		ck_assert_msg(rc < 0, "variant %d: accepted", i);
		ck_assert_msg(err.code == OCI_E_INVALID, "variant %d: code %d (%s)", i, err.code,
			      err.msg);
		ck_assert_msg(strstr(err.msg, "layer 1/1 l: invalid gzip data"),
			      "variant %d: message '%s'", i, err.msg);
	}
}
END_TEST

/* A tar of a few small files and one of big_len bytes (not all alike, so it deflates to many
 * blocks), gzipped; *raw and *gz are malloc'ed. */
static void make_layer(size_t big_len, unsigned char **raw, size_t *raw_len, unsigned char **gz,
		       size_t *gz_len)
{
	size_t cap = big_len + (1u << 20);
	unsigned char *big = malloc(big_len);
	*raw = malloc(cap);
	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(*raw);
	uint32_t x = 12345;
	for (size_t i = 0; i < big_len; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (unsigned char)("abcdefgh"[(x >> 16) & 7] + ((x >> 24) & 1));
	}
	struct archive *a = archive_write_new();
	ck_assert_int_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_memory(a, *raw, cap, raw_len), ARCHIVE_OK);
	for (int i = 0; i < 3; i++) {
		char name[16];
		size_t len = i == 1 ? big_len : 100;
		snprintf(name, sizeof(name), "f%d", i);
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		ck_assert_int_eq(archive_write_data(a, big, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	free(big);
	z_stream z = {0};
	ck_assert_int_eq(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	*gz_len = deflateBound(&z, *raw_len);
	*gz = malloc(*gz_len);
	ck_assert_ptr_nonnull(*gz);
	z.next_in = *raw;
	z.avail_in = (uInt)*raw_len;
	z.next_out = *gz;
	z.avail_out = (uInt)*gz_len;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*gz_len = z.total_out;
	deflateEnd(&z);
}

/* Apply a gzip layer with its digest and diff_id (either spoilt on request) into a fresh root. */
static int apply_verified(const unsigned char *gz, size_t gz_len, const oci_digest *digest,
			  const oci_digest *diff_id, bool no_threads, oci_error *err)
{
	oci_unpack_opts opts = {
	    .max_bytes = 1u << 30,
	    .max_files = 1000,
	    .max_padding = 1u << 20,
	    .zstd_window_log = 23,
	    .no_threads = no_threads,
	    /* as oci-unpack does when not root (the digests are what is tested) */
	    .rootless = geteuid() != 0};
	oci_error e2 = OCI_ERROR_INIT;
	oci_remove_tree_at(AT_FDCWD, dir, &e2);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	int rootfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int fd = memfd_create("layer", MFD_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, gz, gz_len), (ssize_t)gz_len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	oci_unpack_root r;
	oci_unpack_root_init(&r, rootfd, &opts, err);
	oci_unpack_layer_desc ld = {.index = 0,
				    .count = 1,
				    .compression = -1,
				    .has_digest = true,
				    .digest = *digest,
				    .size = (int64_t)gz_len,
				    .has_diff_id = true,
				    .diff_id = *diff_id};
	int rc = oci_unpack_layer_apply_fd(&r, &ld, fd, err);
	if (rc == 0)
		rc = oci_unpack_root_finish(&r, err);
	oci_unpack_root_release(&r);
	close(fd);
	close(rootfd);
	return rc;
}

START_TEST(test_digests_of_a_big_layer)
{
	unsigned char *raw, *gz;
	size_t raw_len, gz_len;
	make_layer(24u << 20, &raw, &raw_len, &gz, &gz_len);
	oci_digest digest, diff_id, bad;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_digest_buffer(OCI_DIGEST_SHA256, gz, gz_len, &digest, &err), 0);
	ck_assert_int_eq(oci_digest_buffer(OCI_DIGEST_SHA256, raw, raw_len, &diff_id, &err), 0);
	/* the rings hold a few MiB: this layer goes round them many times */
	ck_assert_uint_gt(gz_len, 8u << 20);
	for (int threads = 0; threads < 2; threads++) {
		oci_error e = OCI_ERROR_INIT;
		ck_assert_msg(apply_verified(gz, gz_len, &digest, &diff_id, !threads, &e) == 0,
			      "threads %d: %s", threads, e.msg);
		struct stat st;
		char path[64];
		snprintf(path, sizeof(path), "%s/f1", dir);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_size, 24u << 20);

		bad = diff_id;
		bad.hex[10] = bad.hex[10] == '0' ? '1' : '0';
		ck_assert_int_lt(apply_verified(gz, gz_len, &digest, &bad, !threads, &e), 0);
		ck_assert_msg(strstr(e.msg, "diff_id") && strstr(e.msg, "layer 1/1"),
			      "threads %d: '%s'", threads, e.msg);

		bad = digest;
		bad.hex[10] = bad.hex[10] == '0' ? '1' : '0';
		ck_assert_int_lt(apply_verified(gz, gz_len, &bad, &diff_id, !threads, &e), 0);
		ck_assert_msg(strstr(e.msg, "layer blob") && strstr(e.msg, "layer 1/1"),
			      "threads %d: '%s'", threads, e.msg);
	}
	free(raw);
	free(gz);
}
END_TEST

static Suite *layer_suite(void)
{
	Suite *s = suite_create("unpack_layer");
	TCase *tc = tcase_create("fuzz");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gzip_bad_block_refused);
	suite_add_tcase(s, tc);
	TCase *tv = tcase_create("verify");
	tcase_add_checked_fixture(tv, setup, teardown);
	tcase_set_timeout(tv, 60);
	tcase_add_test(tv, test_digests_of_a_big_layer);
	suite_add_tcase(s, tv);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(layer_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
