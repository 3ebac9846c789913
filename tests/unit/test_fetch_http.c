/* Unit tests for fetch/http.c's header parsing of what a registry sends back, here the
 * pagination Link header (a hostile registry writes it) and for common/cache.c's age parser
 * (cache prune --older-than). Linked with oci-fetch's objects. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/cache.h"
#include "fetch/http.h"

static void feed(oci_http_resp *r, const char *line)
{
	oci_http_resp_header(r, line, strlen(line));
}

START_TEST(link_next)
{
	oci_http_resp r;
	oci_http_resp_init(&r);
	feed(&r, "HTTP/1.1 200 OK\r\n");
	feed(&r, "Link: </v2/a/tags/list?last=b&n=2>; rel=\"next\"\r\n");
	ck_assert_str_eq(r.next_link, "/v2/a/tags/list?last=b&n=2");
	/* a new response forgets it */
	feed(&r, "HTTP/1.1 200 OK\r\n");
	ck_assert_str_eq(r.next_link, "");
	/* other relations first, unquoted rel, several links in one header */
	feed(&r,
	     "link: <https://r.example/p1>; rel=\"prev\", <https://r.example/p3>; rel=next\r\n");
	ck_assert_str_eq(r.next_link, "https://r.example/p3");
	feed(&r, "HTTP/1.1 200 OK\r\n");
	/* only "prev" or "nextpage": nothing to follow */
	feed(&r, "Link: </p1>; rel=\"prev\"\r\n");
	ck_assert_str_eq(r.next_link, "");
	feed(&r, "Link: </p1>; rel=\"nextpage\"\r\n");
	ck_assert_str_eq(r.next_link, "");
	/* malformed: no angle brackets, no closing bracket */
	feed(&r, "Link: /p1; rel=\"next\"\r\n");
	ck_assert_str_eq(r.next_link, "");
	feed(&r, "Link: </p1; rel=\"next\"\r\n");
	ck_assert_str_eq(r.next_link, "");
	ck_assert(!r.next_link_too_long);
}
END_TEST

START_TEST(link_too_long)
{
	oci_http_resp r;
	oci_http_resp_init(&r);
	size_t n = sizeof(r.next_link) + 100;
	char *line = malloc(n + 64);
	ck_assert_ptr_nonnull(line);
	strcpy(line, "Link: </");
	memset(line + 8, 'a', n);
	strcpy(line + 8 + n, ">; rel=\"next\"\r\n");
	feed(&r, line);
	free(line);
	/* kept whole or not at all: a cut URL would be another page */
	ck_assert(r.next_link_too_long);
	ck_assert_str_eq(r.next_link, "");
}
END_TEST

START_TEST(cache_ages)
{
	oci_error err = OCI_ERROR_INIT;
	uint64_t s;
	ck_assert_int_eq(oci_cache_parse_age("90s", &s, &err), 0);
	ck_assert_uint_eq(s, 90);
	ck_assert_int_eq(oci_cache_parse_age("30m", &s, &err), 0);
	ck_assert_uint_eq(s, 1800);
	ck_assert_int_eq(oci_cache_parse_age("12h", &s, &err), 0);
	ck_assert_uint_eq(s, 43200);
	ck_assert_int_eq(oci_cache_parse_age("7d", &s, &err), 0);
	ck_assert_uint_eq(s, 7 * 86400);
	ck_assert_int_eq(oci_cache_parse_age("2w", &s, &err), 0);
	ck_assert_uint_eq(s, 14 * 86400);
	static const char *const bad[] = {"", "7", "d", "7dd", "-1d", "7y", "1.5h", "99999999w"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		oci_err_clear(&err);
		ck_assert_int_eq(oci_cache_parse_age(bad[i], &s, &err), -1);
		ck_assert_ptr_nonnull(strstr(err.msg, "expected an age"));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fetch_http");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, link_next);
	tcase_add_test(tc, link_too_long);
	tcase_add_test(tc, cache_ages);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
