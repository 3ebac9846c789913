/* Unit tests for common/treecache.c: chain ids as the image spec defines them (the cache's
 * key), and a cache root others could write refused before anything is read from it. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cache.h"
#include "common/treecache.h"
#include "common/util.h"

/* ChainID(L0|L1) = sha256("ChainID(L0) DiffID(L1)"), computed independently (python3). */
#define CHAIN_AB  "ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c"
#define CHAIN_ABC "c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588"

START_TEST(test_chain_ids)
{
	oci_digest diff[3], chain[3];
	oci_error err = OCI_ERROR_INIT;
	const char hexc[] = "abc";
	for (int i = 0; i < 3; i++) {
		char s[80] = "sha256:";
		memset(s + 7, hexc[i], 64);
		s[71] = '\0';
		ck_assert_int_eq(oci_digest_parse(s, &diff[i], &err), 0);
	}
	ck_assert_int_eq(oci_treecache_chain_ids(diff, 3, chain, &err), 0);
	ck_assert(oci_digest_equal(&chain[0], &diff[0])); /* one layer: its diff_id */
	ck_assert_str_eq(chain[1].hex, CHAIN_AB);
	ck_assert_str_eq(chain[2].hex, CHAIN_ABC);
}
END_TEST

START_TEST(test_open_refuses_writable_root)
{
	char tmpl[] = "/tmp/test_treecache.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	oci_cache blobs;
	oci_treecache t;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_cache_open(&blobs, tmpl, true, &err), 0);
	ck_assert_int_eq(chmod(tmpl, 0777), 0);
	ck_assert_int_lt(oci_treecache_open(&t, &blobs, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	ck_assert_msg(strstr(err.msg, "refusing it"), "message '%s'", err.msg);
	oci_treecache_release(&t);
	/* once it is ours alone, rootfs/ is made 0700 */
	ck_assert_int_eq(chmod(tmpl, 0755), 0);
	err = (oci_error)OCI_ERROR_INIT;
	ck_assert_int_eq(oci_treecache_open(&t, &blobs, &err), 0);
	struct stat st;
	ck_assert_int_eq(fstat(t.dirfd, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	oci_treecache_release(&t);
	oci_cache_release(&blobs);
	oci_remove_tree_at(AT_FDCWD, tmpl, &err);
}
END_TEST

static Suite *treecache_suite(void)
{
	Suite *s = suite_create("treecache");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_chain_ids);
	tcase_add_test(tc, test_open_refuses_writable_root);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(treecache_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
