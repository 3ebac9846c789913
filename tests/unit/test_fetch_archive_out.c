/* Unit tests for fetch/archive_out.c: the hand-written tar stream that oci-unpack, tar and
 * skopeo read. Checked by reading it back with libarchive; linked with oci-fetch's
 * objects. */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "fetch/archive_out.h"

static int tmpfd(void)
{
	char p[] = "/tmp/test_archive_out.XXXXXX";
	int fd = mkstemp(p);
	ck_assert_int_ge(fd, 0);
	unlink(p);
	return fd;
}

START_TEST(roundtrip)
{
	int fd = tmpfd();
	oci_archive_out a;
	oci_error err = OCI_ERROR_INIT;
	char longname[200];
	memset(longname, 'x', sizeof(longname));
	memcpy(longname, "blobs/sha512/", 13);
	longname[150] = '\0';
	oci_archive_out_init(&a, fd);
	ck_assert_int_eq(oci_archive_out_file(&a, "oci-layout", "{}", 2, &err), 0);
	ck_assert_int_eq(oci_archive_out_file(&a, "empty", "", 0, &err), 0);
	ck_assert_int_eq(oci_archive_out_begin(&a, longname, 1000, &err), 0);
	char buf[1000];
	for (int i = 0; i < 1000; i++)
		buf[i] = (char)i;
	ck_assert_int_eq(oci_archive_out_data(&a, buf, 600, &err), 0);
	ck_assert_int_eq(oci_archive_out_data(&a, buf + 600, 400, &err), 0);
	ck_assert_int_eq(oci_archive_out_end(&a, &err), 0);
	ck_assert_int_eq(oci_archive_out_finish(&a, &err), 0);
	off_t end = lseek(fd, 0, SEEK_CUR);
	ck_assert_int_eq(end % 512, 0);
	lseek(fd, 0, SEEK_SET);

	struct archive *r = archive_read_new();
	archive_read_support_format_tar(r);
	ck_assert_int_eq(archive_read_open_fd(r, fd, 10240), ARCHIVE_OK);
	struct archive_entry *e;
	const char *names[] = {"oci-layout", "empty", longname};
	const int64_t sizes[] = {2, 0, 1000};
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(archive_read_next_header(r, &e), ARCHIVE_OK);
		ck_assert_str_eq(archive_entry_pathname(e), names[i]);
		ck_assert_int_eq(archive_entry_size(e), sizes[i]);
		ck_assert_int_eq(archive_entry_filetype(e), AE_IFREG);
		ck_assert_int_eq(archive_entry_perm(e), 0644);
		ck_assert_int_eq(archive_entry_mtime(e), 0);
		char got[1000];
		ck_assert_int_eq(archive_read_data(r, got, sizeof(got)), sizes[i]);
		if (i == 2)
			ck_assert_int_eq(memcmp(got, buf, 1000), 0);
	}
	ck_assert_int_eq(archive_read_next_header(r, &e), ARCHIVE_EOF);
	archive_read_free(r);
	close(fd);
}
END_TEST

/* A pipe on stdout is grown to 1 MiB (fewer sendfile calls and wake-ups for any consumer),
 * and a bigger one the consumer chose is left alone. */
START_TEST(pipe_grown_never_shrunk)
{
	int p[2];
	oci_archive_out a;
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_lt(fcntl(p[1], F_GETPIPE_SZ), 1 << 20);
	oci_archive_out_init(&a, p[1]);
	ck_assert_int_eq(fcntl(p[1], F_GETPIPE_SZ), 1 << 20);
	close(p[0]);
	close(p[1]);
	ck_assert_int_eq(pipe(p), 0);
	if (fcntl(p[1], F_SETPIPE_SZ, 2 << 20) == 2 << 20) {
		oci_archive_out_init(&a, p[1]);
		ck_assert_int_eq(fcntl(p[1], F_GETPIPE_SZ), 2 << 20);
	}
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(size_discipline)
{
	int fd = tmpfd();
	oci_archive_out a;
	oci_error err = OCI_ERROR_INIT;
	oci_archive_out_init(&a, fd);
	ck_assert_int_eq(oci_archive_out_begin(&a, "f", 10, &err), 0);
	ck_assert_int_eq(oci_archive_out_data(&a, "12345", 5, &err), 0);
	/* fewer bytes than announced: refused */
	ck_assert_int_eq(oci_archive_out_end(&a, &err), -1);
	/* more than announced: refused */
	ck_assert_int_eq(oci_archive_out_data(&a, "1234567", 7, &err), -1);
	close(fd);
	/* a write error (closed fd) is reported */
	oci_archive_out_init(&a, fd);
	ck_assert_int_eq(oci_archive_out_file(&a, "x", "y", 1, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "writing the image stream"));
}
END_TEST

START_TEST(pax_size_over_8g)
{
	int fd = tmpfd();
	oci_archive_out a;
	oci_error err = OCI_ERROR_INIT;
	oci_archive_out_init(&a, fd);
	ck_assert_int_eq(oci_archive_out_begin(&a, "big", 9ULL << 30, &err), 0);
	lseek(fd, 0, SEEK_SET);
	struct archive *r = archive_read_new();
	archive_read_support_format_tar(r);
	ck_assert_int_eq(archive_read_open_fd(r, fd, 10240), ARCHIVE_OK);
	struct archive_entry *e;
	ck_assert_int_eq(archive_read_next_header(r, &e), ARCHIVE_OK);
	ck_assert_str_eq(archive_entry_pathname(e), "big");
	ck_assert_int_eq(archive_entry_size(e), (int64_t)(9ULL << 30));
	archive_read_free(r);
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fetch_archive_out");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, pipe_grown_never_shrunk);
	tcase_add_test(tc, size_discipline);
	tcase_add_test(tc, pax_size_over_8g);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
