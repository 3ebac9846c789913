/* Unit tests for unpack/rootless.c (id maps, the user.rootlesscontainers encoding umoci reads),
 * unpack/strmap.c (the string map of docker-save names) and unpack/pathtree.c (the trees
 * behind whiteout, opaque and directory-metadata bookkeeping). Linked with oci-unpack's
 * objects. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "unpack/unpack.h"

START_TEST(test_idmap_parse_and_map)
{
	oci_unpack_idmap maps[UNPACK_MAX_IDMAPS];
	size_t n = 0;
	uint32_t out;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_unpack_parse_idmap("0:100000:65536", maps, &n, &err), 0);
	ck_assert_int_eq(oci_unpack_parse_idmap("65536:5000:1", maps, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(oci_unpack_map_id(maps, n, 0, &out), 0);
	ck_assert_uint_eq(out, 100000);
	ck_assert_int_eq(oci_unpack_map_id(maps, n, 65535, &out), 0);
	ck_assert_uint_eq(out, 165535);
	ck_assert_int_eq(oci_unpack_map_id(maps, n, 65536, &out), 0);
	ck_assert_uint_eq(out, 5000);
	ck_assert_int_eq(oci_unpack_map_id(maps, n, 65537, &out), -1);
	/* malformed maps are refused */
	const char *bad[] = {"0:1", "0:1:0", "a:1:1", "0:1:1:1", "4294967295:0:2", "-1:0:1", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t m = 0;
		ck_assert_msg(oci_unpack_parse_idmap(bad[i], maps, &m, &err) < 0, "accepted '%s'",
			      bad[i]);
		ck_assert_uint_eq(m, 0);
	}
}
END_TEST

START_TEST(test_rootless_xattr_encoding)
{
	unsigned char b[32];
	/* uid 1000 gid 1000, as umoci writes it: 08 e8 07 10 e8 07 */
	size_t n = oci_unpack_rootless_xattr(1000, 1000, b, sizeof(b));
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(b, "\x08\xe8\x07\x10\xe8\x07", 6);
	/* zero fields are omitted (proto3) */
	n = oci_unpack_rootless_xattr(0, 5, b, sizeof(b));
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(b, "\x10\x05", 2);
	n = oci_unpack_rootless_xattr(4294967294u, 0, b, sizeof(b));
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(b, "\x08\xfe\xff\xff\xff\x0f", 6);
}
END_TEST

START_TEST(test_strmap)
{
	oci_unpack_strmap m = {0};
	oci_error err = OCI_ERROR_INIT;
	char key[32];
	uint32_t v;
	for (uint32_t i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "dir/%u", i);
		ck_assert_int_eq(oci_unpack_strmap_put(&m, key, i, &err), 0);
	}
	ck_assert_uint_eq(m.len, 5000);
	ck_assert(oci_unpack_strmap_get(&m, "dir/4321", &v));
	ck_assert_uint_eq(v, 4321);
	ck_assert(!oci_unpack_strmap_get(&m, "dir/5000", &v));
	ck_assert_int_eq(oci_unpack_strmap_put(&m, "dir/7", 99, &err), 0);
	ck_assert_uint_eq(m.len, 5000);
	ck_assert(oci_unpack_strmap_get(&m, "dir/7", &v));
	ck_assert_uint_eq(v, 99);
	oci_unpack_strmap_clear(&m);
	ck_assert(!oci_unpack_strmap_get(&m, "dir/7", &v));
}
END_TEST

START_TEST(test_pathtree)
{
	oci_unpack_pathtree t;
	oci_error err = OCI_ERROR_INIT;
	uint32_t a, b, c, id;
	oci_unpack_pathtree_init(&t, 1000);
	ck_assert_uint_eq(oci_unpack_pathtree_find(&t, ""), UNPACK_NODE_NONE); /* empty */
	ck_assert_int_eq(oci_unpack_pathtree_add(&t, "usr/lib/x", 2, &c, &err), 0);
	t.nodes[c].val = 1;
	ck_assert_uint_eq(t.n, 4); /* root, usr, lib, x */
	ck_assert_int_eq(oci_unpack_pathtree_add(&t, "usr/lib", 7, &b, &err), 0);
	ck_assert_uint_eq(t.nodes[b].val, 2); /* kept */
	ck_assert_uint_eq(t.nodes[b].depth, 2);
	ck_assert_uint_eq(oci_unpack_pathtree_find(&t, "usr/lib/x"), c);
	ck_assert_uint_eq(oci_unpack_pathtree_find(&t, "usr/li"), UNPACK_NODE_NONE);
	ck_assert_uint_eq(oci_unpack_pathtree_find(&t, "usr/lib/x/y"), UNPACK_NODE_NONE);
	ck_assert_uint_eq(oci_unpack_pathtree_child(&t, b, "x", 1), c);
	cleanup_free char *p = oci_unpack_pathtree_path(&t, c, &err);
	ck_assert_str_eq(p, "usr/lib/x");
	/* a sibling, then the subtree is detached: gone, the sibling stays */
	ck_assert_int_eq(oci_unpack_pathtree_add(&t, "usr/bin", 2, &a, &err), 0);
	a = oci_unpack_pathtree_find(&t, "usr");
	oci_unpack_pathtree_detach(&t, b);
	ck_assert_uint_eq(oci_unpack_pathtree_find(&t, "usr/lib"), UNPACK_NODE_NONE);
	ck_assert_uint_eq(oci_unpack_pathtree_find(&t, "usr/lib/x"), UNPACK_NODE_NONE);
	ck_assert(!oci_unpack_pathtree_live(&t, c));
	ck_assert_uint_ne(oci_unpack_pathtree_find(&t, "usr/bin"), UNPACK_NODE_NONE);
	oci_unpack_pathtree_detach(&t, b); /* again: nothing to do */
	/* named again: the same nodes come back with fill, their old children do not */
	ck_assert_int_eq(oci_unpack_pathtree_add(&t, "usr/lib/y", 5, &id, &err), 0);
	ck_assert_uint_eq(oci_unpack_pathtree_find(&t, "usr/lib"), b);
	ck_assert_uint_eq(t.nodes[b].val, 5);
	ck_assert_uint_eq(oci_unpack_pathtree_find(&t, "usr/lib/x"), UNPACK_NODE_NONE);
	ck_assert_uint_eq(t.n, 6); /* + bin, y */
	/* detaching usr flags every live node below it, and only those */
	oci_unpack_pathtree_detach(&t, a);
	ck_assert(!oci_unpack_pathtree_live(&t, id) && !oci_unpack_pathtree_live(&t, b));
	ck_assert_uint_eq(oci_unpack_pathtree_find(&t, ""), 0);
	/* opaque flags are set once */
	ck_assert(oci_unpack_pathtree_set_opaque(&t, 0));
	ck_assert(!oci_unpack_pathtree_set_opaque(&t, 0));
	/* a deep path costs one node per component; the cap is an error */
	oci_unpack_pathtree_release(&t);
	char deep[4096] = "";
	for (int i = 0; i < 1500; i++)
		strcat(deep, i ? "/d" : "d");
	ck_assert_int_lt(oci_unpack_pathtree_add(&t, deep, 2, &id, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	oci_unpack_pathtree_init(&t, 2000);
	ck_assert_int_eq(oci_unpack_pathtree_add(&t, deep, 2, &id, &err), 0);
	ck_assert_uint_eq(t.n, 1501);
	ck_assert_uint_eq(t.nodes[id].depth, 1500);
	ck_assert_uint_eq(oci_unpack_pathtree_find(&t, deep), id);
	oci_unpack_pathtree_release(&t);
}
END_TEST

START_TEST(test_pathtree_many_siblings)
{
	/* 100000 children detached one by one, each looked up after: linear work */
	oci_unpack_pathtree t;
	oci_error err = OCI_ERROR_INIT;
	char key[32];
	uint32_t id;
	oci_unpack_pathtree_init(&t, 200000);
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "d/%d", i);
		ck_assert_int_eq(oci_unpack_pathtree_add(&t, key, 1, &id, &err), 0);
	}
	for (int i = 0; i < 100000; i += 2) {
		snprintf(key, sizeof(key), "d/%d", i);
		oci_unpack_pathtree_detach(&t, oci_unpack_pathtree_find(&t, key));
	}
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "d/%d", i);
		ck_assert((oci_unpack_pathtree_find(&t, key) == UNPACK_NODE_NONE) == !(i & 1));
	}
	size_t live = 0;
	for (uint32_t c = t.nodes[oci_unpack_pathtree_find(&t, "d")].first_child;
	     c != UNPACK_NODE_NONE; c = t.nodes[c].next)
		live++;
	ck_assert_uint_eq(live, 50000);
	oci_unpack_pathtree_release(&t);
}
END_TEST

static Suite *rootless_suite(void)
{
	Suite *s = suite_create("unpack_rootless");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_idmap_parse_and_map);
	tcase_add_test(tc, test_rootless_xattr_encoding);
	tcase_add_test(tc, test_strmap);
	tcase_add_test(tc, test_pathtree);
	tcase_add_test(tc, test_pathtree_many_siblings);
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
