/* Unit tests for fetch/sources.c: which source a blob comes from next (the registry, then a
 * foreign layer's URLs in order, skipping what is not an http(s) URL), when a failure may move
 * on, and the final error that says what each source said. Linked with oci-fetch's objects. */
#include <check.h>
#include <string.h>

#include "fetch/sources.h"

static json_t *urls_of(const char *json)
{
	json_error_t je;
	json_t *j = json_loads(json, 0, &je);
	ck_assert_ptr_nonnull(j);
	return j;
}

static oci_error error_of(int code, const char *msg)
{
	oci_error e = OCI_ERROR_INIT;
	oci_err(&e, code, "%s", msg);
	return e;
}

START_TEST(registry_first_then_urls_in_order)
{
	oci_sources s = {.nondist = true};
	s.urls = urls_of("[\"https://a.example/x\", 7, \"file:///etc/passwd\", "
			 "\"http://b.example/y\"]");
	oci_sources_init(&s);
	ck_assert_ptr_null(oci_sources_url(&s));
	oci_error e = error_of(OCI_E_NOTFOUND, "HTTP 404");
	ck_assert(oci_sources_failed(&s, &e, false));
	ck_assert(oci_sources_next(&s));
	ck_assert_str_eq(oci_sources_url(&s), "https://a.example/x");
	e = error_of(OCI_E_NET, "https://a.example/x: Could not resolve host");
	ck_assert(oci_sources_failed(&s, &e, true)); /* a foreign URL always makes way */
	ck_assert(oci_sources_next(&s));	     /* skips 7 and file:// */
	ck_assert_str_eq(oci_sources_url(&s), "http://b.example/y");
	e = error_of(OCI_E_DIGEST, "content: digest mismatch");
	ck_assert(oci_sources_failed(&s, &e, true));
	ck_assert(!oci_sources_next(&s));
	oci_sources_err_exhausted(&s, &e);
	ck_assert_int_eq(e.code, OCI_E_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(e.msg, "non-distributable layer: no source served it"));
	ck_assert_ptr_nonnull(strstr(e.msg, "registry: HTTP 404"));
	/* libcurl's message names the URL once, not twice */
	ck_assert_ptr_nonnull(strstr(e.msg, "https://a.example/x: Could not resolve host"));
	ck_assert_ptr_null(strstr(e.msg, "https://a.example/x: https://"));
	ck_assert_ptr_nonnull(strstr(e.msg, "urls[1]: not a string"));
	ck_assert_ptr_nonnull(strstr(e.msg, "file:///etc/passwd: not an http(s) URL"));
	ck_assert_ptr_nonnull(strstr(e.msg, "http://b.example/y: content: digest mismatch"));
	json_decref(s.urls);
}
END_TEST

START_TEST(registry_errors_that_do_not_move_on)
{
	oci_sources s = {.nondist = true};
	oci_sources_init(&s);
	/* not a 404; or a 404 after bytes arrived: the registry's error stands */
	oci_error e = error_of(OCI_E_AUTH, "authentication failed");
	ck_assert(!oci_sources_failed(&s, &e, false));
	e = error_of(OCI_E_NOTFOUND, "HTTP 404");
	ck_assert(!oci_sources_failed(&s, &e, true));
	/* an ordinary blob without URLs: a 404 is final */
	oci_sources plain = {0};
	oci_sources_init(&plain);
	ck_assert(!oci_sources_failed(&plain, &e, false));
	/* a non-distributable layer without URLs: tried the registry only */
	ck_assert(oci_sources_failed(&s, &e, false));
	ck_assert(!oci_sources_next(&s));
	oci_sources_err_exhausted(&s, &e);
	ck_assert_ptr_nonnull(strstr(e.msg, "urls: none in its descriptor"));
}
END_TEST

START_TEST(hostile_messages_are_printable_and_bounded)
{
	oci_sources s = {0};
	s.urls = urls_of("[\"http://a.example/\\u001b[31m\"]");
	oci_sources_init(&s);
	oci_error e = error_of(OCI_E_NOTFOUND, "HTTP 404");
	ck_assert(oci_sources_failed(&s, &e, false));
	ck_assert(oci_sources_next(&s));
	char big[900];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 4; i++) {
		e = error_of(OCI_E_NET, big);
		oci_sources_failed(&s, &e, true);
	}
	ck_assert_uint_lt(strlen(s.tried), sizeof(s.tried));
	ck_assert_ptr_null(strchr(s.tried, '\x1b'));
	json_decref(s.urls);
}
END_TEST

static Suite *sources_suite(void)
{
	Suite *s = suite_create("fetch_sources");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, registry_first_then_urls_in_order);
	tcase_add_test(tc, registry_errors_that_do_not_move_on);
	tcase_add_test(tc, hostile_messages_are_printable_and_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sources_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
