/* Unit tests for unpack/layer.c (with decompress.c, pipeline.c and verify.c) from inputs the
 * layer fuzzer (tests/fuzz/fuzz_layer.c) found: each must be refused with one clear error,
 * and (under SANITIZE=1) without undefined behaviour. Linked with oci-unpack's objects. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

static Suite *layer_suite(void)
{
	Suite *s = suite_create("unpack_layer");
	TCase *tc = tcase_create("fuzz");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gzip_bad_block_refused);
	suite_add_tcase(s, tc);
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
