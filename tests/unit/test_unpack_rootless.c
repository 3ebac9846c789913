/* Unit tests for unpack/rootless.c (id maps, the user.rootlesscontainers encoding umoci reads)
 * and unpack/pathset.c (the string map behind whiteout and opaque bookkeeping). The module
 * sources are compiled in, since unit tests link only the common library. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "unpack/pathset.c"
#include "unpack/rootless.c"

START_TEST(test_idmap_parse_and_map)
{
	unpack_idmap maps[UNPACK_MAX_IDMAPS];
	size_t n = 0;
	uint32_t out;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(unpack_parse_idmap("0:100000:65536", maps, &n, &err), 0);
	ck_assert_int_eq(unpack_parse_idmap("65536:5000:1", maps, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(unpack_map_id(maps, n, 0, &out), 0);
	ck_assert_uint_eq(out, 100000);
	ck_assert_int_eq(unpack_map_id(maps, n, 65535, &out), 0);
	ck_assert_uint_eq(out, 165535);
	ck_assert_int_eq(unpack_map_id(maps, n, 65536, &out), 0);
	ck_assert_uint_eq(out, 5000);
	ck_assert_int_eq(unpack_map_id(maps, n, 65537, &out), -1);
	/* malformed maps are refused */
	const char *bad[] = {"0:1", "0:1:0", "a:1:1", "0:1:1:1", "4294967295:0:2", "-1:0:1", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t m = 0;
		ck_assert_msg(unpack_parse_idmap(bad[i], maps, &m, &err) < 0, "accepted '%s'", bad[i]);
		ck_assert_uint_eq(m, 0);
	}
}
END_TEST

START_TEST(test_rootless_xattr_encoding)
{
	unsigned char b[32];
	/* uid 1000 gid 1000, as umoci writes it: 08 e8 07 10 e8 07 */
	size_t n = unpack_rootless_xattr(1000, 1000, b, sizeof(b));
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(b, "\x08\xe8\x07\x10\xe8\x07", 6);
	/* zero fields are omitted (proto3) */
	n = unpack_rootless_xattr(0, 5, b, sizeof(b));
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(b, "\x10\x05", 2);
	n = unpack_rootless_xattr(4294967294u, 0, b, sizeof(b));
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(b, "\x08\xfe\xff\xff\xff\x0f", 6);
}
END_TEST

START_TEST(test_strmap)
{
	unpack_strmap m = {0};
	oci_error err = OCI_ERROR_INIT;
	char key[32];
	uint32_t v;
	for (uint32_t i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "dir/%u", i);
		ck_assert_int_eq(unpack_strmap_put(&m, key, i, &err), 0);
	}
	ck_assert_uint_eq(m.len, 5000);
	ck_assert(unpack_strmap_get(&m, "dir/4321", &v));
	ck_assert_uint_eq(v, 4321);
	ck_assert(!unpack_strmap_get(&m, "dir/5000", &v));
	ck_assert_int_eq(unpack_strmap_put(&m, "dir/7", 99, &err), 0);
	ck_assert_uint_eq(m.len, 5000);
	ck_assert(unpack_strmap_get(&m, "dir/7", &v));
	ck_assert_uint_eq(v, 99);
	unpack_strmap_clear(&m);
	ck_assert(!unpack_strmap_get(&m, "dir/7", &v));
}
END_TEST

static Suite *rootless_suite(void)
{
	Suite *s = suite_create("unpack_rootless");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_idmap_parse_and_map);
	tcase_add_test(tc, test_rootless_xattr_encoding);
	tcase_add_test(tc, test_strmap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rootless_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
