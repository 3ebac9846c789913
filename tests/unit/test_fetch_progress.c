/* Unit tests for fetch/progress.c (the per-layer progress lines people watch on a terminal)
 * and for how transfer.c splits large blobs into Range chunks. Linked with oci-fetch's objects. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch/progress.h"
#include "fetch/transfer.h"

START_TEST(format_line)
{
	char buf[400];
	oci_progress_line l = {.label = "layer 1/2 sha256:0123456789ab",
			       .status = "downloading",
			       .done = 512 << 10,
			       .total = 1 << 20,
			       .rate = 3u << 20};
	size_t n = oci_progress_format(&l, 0, buf, sizeof(buf));
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_str_eq(buf, "layer 1/2 sha256:0123456789ab [============>           ] 512.0 KiB "
			      "/ 1.0 MiB  3.0 MiB/s  "
			      "downloading");
	/* no rate known yet; done */
	l.rate = 0;
	l.done = l.total;
	l.status = "verified";
	oci_progress_format(&l, 0, buf, sizeof(buf));
	ck_assert_str_eq(
	    buf,
	    "layer 1/2 sha256:0123456789ab [========================] 1.0 MiB / 1.0 MiB  verified");
	/* never wider than the terminal (a wrapped line would break the redraw) */
	n = oci_progress_format(&l, 20, buf, sizeof(buf));
	ck_assert_uint_eq(n, 20);
	ck_assert_uint_eq(strlen(buf), 20);
	/* more than the total (never shown as over 100%), and an empty blob */
	l.done = 5u << 20;
	oci_progress_format(&l, 0, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "1.0 MiB / 1.0 MiB"));
	l.done = l.total = 0;
	oci_progress_format(&l, 0, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "[                        ] 0.0 KiB / 0.0 KiB"));
}
END_TEST

START_TEST(human_sizes)
{
	char b[32];
	oci_progress_human(1536, b, sizeof(b));
	ck_assert_str_eq(b, "1.5 KiB");
	oci_progress_human(3u << 20, b, sizeof(b));
	ck_assert_str_eq(b, "3.0 MiB");
	oci_progress_human(5ull << 30, b, sizeof(b));
	ck_assert_str_eq(b, "5.00 GiB");
}
END_TEST

START_TEST(redraw_in_place)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	oci_progress p;
	oci_progress_init(&p, fds[1]);
	oci_progress_line l[2] = {{.label = "a", .status = "waiting", .total = 10},
				  {.label = "b", .status = "waiting", .total = 10}};
	oci_progress_draw(&p, l, 2);
	oci_progress_draw(&p, l, 2);
	close(fds[1]);
	char buf[4096];
	ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	/* the first draw starts in place; the second goes back up over the two lines */
	ck_assert(strncmp(buf, "\r\033[K", 4) == 0);
	char *up = strstr(buf, "\033[2A");
	ck_assert_ptr_nonnull(up);
	ck_assert_ptr_null(strstr(up + 1, "\033[2A"));
	int lines = 0;
	for (char *c = buf; *c; c++)
		lines += *c == '\n';
	ck_assert_int_eq(lines, 4);
}
END_TEST

START_TEST(range_plan)
{
	const uint64_t M = 1u << 20, T = 1ull << 40;
	uint64_t len;
	ck_assert_uint_eq(oci_xfer_plan_parts(0, 16 * M, &len), 1);
	ck_assert_uint_eq(oci_xfer_plan_parts((int64_t)(32 * M), 16 * M, &len),
			  1); /* not over twice the chunk */
	ck_assert_uint_eq(len, 32 * M);
	ck_assert_uint_eq(oci_xfer_plan_parts((int64_t)(32 * M + 1), 16 * M, &len), 3);
	ck_assert_uint_eq(len, 16 * M);
	ck_assert_uint_eq(oci_xfer_plan_parts((int64_t)(40 * M), 16 * M, &len), 3);
	ck_assert_uint_eq(oci_xfer_plan_parts((int64_t)(48 * M), 16 * M, &len), 3);
	ck_assert_uint_eq(oci_xfer_plan_parts((int64_t)(1024 * M), 16 * M, &len), 64);
	ck_assert_uint_eq(len, 16 * M);
	ck_assert_uint_eq(oci_xfer_plan_parts((int64_t)(1024 * M), 0, &len),
			  1); /* --chunk-size 0 */
	ck_assert_uint_eq(len, 1024 * M);
	ck_assert_uint_eq(oci_xfer_plan_parts(-1, 16 * M, &len), 1);
	/* a size the manifest claims: never more than OCI_XFER_MAX_PARTS parts, which cover it */
	ck_assert_uint_eq(oci_xfer_plan_parts((int64_t)(4096 * M), 16 * M, &len), 256);
	ck_assert_uint_eq(len, 16 * M);
	ck_assert_uint_eq(oci_xfer_plan_parts((int64_t)T, 16 * M, &len), OCI_XFER_MAX_PARTS);
	ck_assert_uint_eq(len, T / OCI_XFER_MAX_PARTS);
	size_t n = oci_xfer_plan_parts((int64_t)T + 1, 16 * M, &len);
	ck_assert_uint_le(n, OCI_XFER_MAX_PARTS);
	ck_assert_uint_ge(n * len, T + 1);
	ck_assert_uint_lt((n - 1) * len, T + 1);
	n = oci_xfer_plan_parts(INT64_MAX, 1024, &len);
	ck_assert_uint_le(n, OCI_XFER_MAX_PARTS);
	ck_assert_uint_lt((n - 1) * len, (uint64_t)INT64_MAX);
	ck_assert_uint_eq(oci_xfer_plan_parts((int64_t)(1024 * M), 1024, &len),
			  256); /* --chunk-size 1K */
	ck_assert_uint_eq(len, 4 * M);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fetch_progress");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, format_line);
	tcase_add_test(tc, human_sizes);
	tcase_add_test(tc, redraw_in_place);
	tcase_add_test(tc, range_plan);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
