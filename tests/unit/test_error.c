/* Unit tests for common/error.c: context chains into one line, errno and the libraries' own
 * errors (libarchive, curl, OpenSSL) become codes and readable messages. */
#include <archive.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

START_TEST(test_set_and_prefix)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_err(&err, OCI_E_DIGEST, "c %d", 3), -1);
	ck_assert_int_eq(err.code, OCI_E_DIGEST);
	ck_assert_str_eq(err.msg, "c 3");
	ck_assert_int_eq(oci_err_prefix(&err, "b"), -1);
	ck_assert_int_eq(oci_err_prefix(&err, "%s", "a"), -1);
	ck_assert_str_eq(err.msg, "a: b: c 3");
	ck_assert_int_eq(err.code, OCI_E_DIGEST); /* context does not change the cause */

	oci_err_clear(&err);
	ck_assert_int_eq(err.code, OCI_OK);
	ck_assert_str_eq(err.msg, "");
	/* A code of 0 is never "success with a message". */
	oci_err(&err, 0, "oops");
	ck_assert_int_eq(err.code, OCI_E_INTERNAL);
	/* Context on an unset error still marks it failed. */
	oci_err_clear(&err);
	oci_err_prefix(&err, "ctx");
	ck_assert_int_ne(err.code, OCI_OK);

	/* NULL err is allowed everywhere (callers that only want the return value). */
	ck_assert_int_eq(oci_err(NULL, OCI_E_IO, "x"), -1);
	ck_assert_int_eq(oci_err_errno(NULL, ENOENT, "x"), -1);
	ck_assert_int_eq(oci_err_prefix(NULL, "x"), -1);
	oci_err_clear(NULL);
}
END_TEST

START_TEST(test_long_messages_truncate)
{
	oci_error err = OCI_ERROR_INIT;
	char big[OCI_ERR_MSG_MAX * 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	oci_err(&err, OCI_E_INVALID, "%s", big);
	ck_assert_uint_eq(strlen(err.msg), OCI_ERR_MSG_MAX - 1);
	oci_err_prefix(&err, "context");
	ck_assert_uint_eq(strlen(err.msg), OCI_ERR_MSG_MAX - 1);
	ck_assert(!strncmp(err.msg, "context: xxx", 12));
	oci_err_errno(&err, ENOSPC, "%s", big);
	ck_assert_uint_eq(strlen(err.msg), OCI_ERR_MSG_MAX - 1);
	ck_assert_int_eq(err.sys_errno, ENOSPC);
}
END_TEST

START_TEST(test_errno_mapping)
{
	static const struct {
		int errnum;
		int code;
	} cases[] = {
	    {ENOENT, OCI_E_NOTFOUND}, {EEXIST, OCI_E_EXISTS}, {EACCES, OCI_E_IO},
	    {ENOSPC, OCI_E_IO},	      {ELOOP, OCI_E_UNSAFE},  {EXDEV, OCI_E_UNSAFE},
	    {EIO, OCI_E_IO},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		oci_error err = OCI_ERROR_INIT;
		char want[256];
		ck_assert_int_eq(oci_err_errno(&err, cases[i].errnum, "cannot open '%s'", "x/y"),
				 -1);
		ck_assert_msg(err.code == cases[i].code, "errno %d: code %d", cases[i].errnum,
			      err.code);
		ck_assert_int_eq(err.sys_errno, cases[i].errnum);
		snprintf(want, sizeof(want), "cannot open 'x/y': %s", strerror(cases[i].errnum));
		ck_assert_str_eq(err.msg, want);
	}
	oci_error err = OCI_ERROR_INIT;
	oci_err_errno(&err, ENOENT, "cannot open '%s'", "config.json");
	oci_err_prefix(&err, "bundle '%s'", "/b");
	ck_assert_str_eq(err.msg,
			 "bundle '/b': cannot open 'config.json': No such file or directory");
	ck_assert(ends_with(err.msg, strerror(ENOENT)));
	/* A later non-errno error resets sys_errno. */
	oci_err(&err, OCI_E_INVALID, "bad");
	ck_assert_int_eq(err.sys_errno, 0);
}
END_TEST

START_TEST(test_code_names)
{
	for (int c = OCI_OK; c <= OCI_E_INTERNAL; c++) {
		ck_assert_ptr_nonnull(oci_err_code_name(c));
		ck_assert_str_ne(oci_err_code_name(c), "unknown");
		for (int d = OCI_OK; d < c; d++)
			ck_assert_str_ne(oci_err_code_name(c), oci_err_code_name(d));
	}
	ck_assert_str_eq(oci_err_code_name(-1), "unknown");
	ck_assert_str_eq(oci_err_code_name(OCI_E_INTERNAL + 1), "unknown");
	ck_assert_str_eq(oci_err_code_name(OCI_E_DIGEST), "digest mismatch");
}
END_TEST

START_TEST(test_archive)
{
	oci_error err = OCI_ERROR_INIT;
	static const char garbage[] = "this is definitely not a tar archive, not even close......";
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	int r = archive_read_open_memory(a, garbage, sizeof(garbage));
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(a, &e);
	ck_assert_int_ne(r, ARCHIVE_OK);
	ck_assert_int_eq(oci_err_archive(&err, a, "layer %d/%d", 2, 3), -1);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_msg(!strncmp(err.msg, "layer 2/3: ", 11) && strlen(err.msg) > 11, "%s", err.msg);
	ck_assert_str_eq(err.msg + 11, archive_error_string(a));

	/* A full disk reported through libarchive is an I/O error with its errno. */
	archive_set_error(a, ENOSPC, "Write failed");
	oci_err_archive(&err, a, "cannot write '%s'", "usr/bin/x");
	ck_assert_int_eq(err.code, OCI_E_IO);
	ck_assert_int_eq(err.sys_errno, ENOSPC);
	ck_assert_str_eq(err.msg, "cannot write 'usr/bin/x': Write failed");
	archive_read_free(a);

	/* Without an archive handle there is still a message. */
	oci_err_archive(&err, NULL, "layer");
	ck_assert_str_eq(err.msg, "layer: archive error");
}
END_TEST

START_TEST(test_curl)
{
	oci_error err = OCI_ERROR_INIT;
	oci_err_curl(&err, CURLE_COULDNT_CONNECT, "", "GET %s", "http://127.0.0.1:1/v2/");
	ck_assert_int_eq(err.code, OCI_E_NET);
	char want[256];
	snprintf(want, sizeof(want), "GET http://127.0.0.1:1/v2/: %s",
		 curl_easy_strerror(CURLE_COULDNT_CONNECT));
	ck_assert_str_eq(err.msg, want);
	/* curl's error buffer is more precise than the code's text, so it wins. */
	oci_err_curl(&err, CURLE_COULDNT_CONNECT, "Failed to connect to 127.0.0.1 port 1", "GET x");
	ck_assert_str_eq(err.msg, "GET x: Failed to connect to 127.0.0.1 port 1");
	oci_err_curl(&err, CURLE_COULDNT_RESOLVE_HOST, NULL, "GET x");
	ck_assert_int_eq(err.code, OCI_E_NET);
	ck_assert_int_gt(strlen(err.msg), strlen("GET x: "));
	/* Certificate problems are TLS errors, so main can say so. */
	oci_err_curl(&err, CURLE_PEER_FAILED_VERIFICATION,
		     "SSL certificate problem: unable to get local issuer", "GET https://r/v2/");
	ck_assert_int_eq(err.code, OCI_E_TLS);
	ck_assert_str_eq(err.msg,
			 "GET https://r/v2/: SSL certificate problem: unable to get local issuer");
	oci_err_curl(&err, CURLE_SSL_CACERT_BADFILE, NULL, "x");
	ck_assert_int_eq(err.code, OCI_E_TLS);
}
END_TEST

START_TEST(test_openssl)
{
	oci_error err = OCI_ERROR_INIT;
	static const char pem[] = "not a certificate\n";
	BIO *b = BIO_new_mem_buf(pem, -1);
	ck_assert_ptr_null(PEM_read_bio_X509(b, NULL, NULL, NULL));
	BIO_free(b);
	ck_assert_int_ne(ERR_peek_error(), 0);
	ck_assert_int_eq(oci_err_openssl(&err, "cannot read CA '%s'", "ca.pem"), -1);
	ck_assert_msg(!strncmp(err.msg, "cannot read CA 'ca.pem': ", 25), "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "no start line"), "%s", err.msg);
	/* The queue is drained, so the next error does not inherit this one. */
	ck_assert_int_eq(ERR_peek_error(), 0);
	oci_err_openssl(&err, "hash failed");
	ck_assert_str_eq(err.msg, "hash failed");
	ck_assert_int_ne(err.code, OCI_OK);
}
END_TEST

static Suite *error_suite(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_set_and_prefix);
	tcase_add_test(tc, test_long_messages_truncate);
	tcase_add_test(tc, test_errno_mapping);
	tcase_add_test(tc, test_code_names);
	tcase_add_test(tc, test_archive);
	tcase_add_test(tc, test_curl);
	tcase_add_test(tc, test_openssl);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(error_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
