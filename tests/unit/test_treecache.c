/* Unit tests for common/treecache.c: chain ids as the image spec defines them (the cache's
 * key), a cache root others could write refused before anything is read from it, and the
 * stream handshake: a note believed only from the process reading that very pipe, and a
 * cached blob left unhashed only when the caller says its bytes are not needed. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static bool always(void *ud, const oci_digest *d)
{
	(void)d;
	return *(bool *)ud;
}

START_TEST(test_stream_handshake)
{
	char tmpl[] = "/tmp/test_treecache.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_int_eq(chmod(tmpl, 0755), 0);
	oci_cache blobs;
	oci_treecache t;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_cache_open(&blobs, tmpl, true, &err), 0);
	ck_assert_int_eq(oci_treecache_open(&t, &blobs, &err), 0);
	oci_digest d[2];
	ck_assert_int_eq(oci_digest_buffer(OCI_DIGEST_SHA256, "one", 3, &d[0], &err), 0);
	ck_assert_int_eq(oci_digest_buffer(OCI_DIGEST_SHA256, "two", 3, &d[1], &err), 0);
	int stream[2], ready[2], go[2];
	ck_assert_int_eq(pipe(stream), 0);
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	/* no note: hashed */
	ck_assert(!oci_treecache_claimed(&t, stream[1], &d[0]));
	/* a note of our own, for a pipe we do not read as stdin: not believed */
	ck_assert_int_eq(oci_treecache_claim(&t, stream[0], d, 1, &err), 0);
	ck_assert(!oci_treecache_claimed(&t, stream[1], &d[0]));
	oci_treecache_unclaim(&t);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* the reader: the pipe is its stdin */
		char c;
		oci_error e = OCI_ERROR_INIT;
		close(go[1]);
		if (dup2(stream[0], 0) < 0 || oci_treecache_claim(&t, 0, d, 1, &e) < 0 ||
		    write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0); /* the note stays behind: left over by a process gone */
	}
	close(go[0]);
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert(oci_treecache_claimed(&t, stream[1], &d[0]));
	ck_assert(!oci_treecache_claimed(&t, stream[1], &d[1])); /* a blob it did not name */
	int other[2];
	ck_assert_int_eq(pipe(other), 0);
	ck_assert(!oci_treecache_claimed(&t, other[1], &d[0])); /* another pipe */
	close(go[1]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(!oci_treecache_claimed(&t, stream[1], &d[0])); /* its reader is gone */

	/* a cached blob gone bad in place: skipped unhashed only when said so, else caught */
	char name[160];
	snprintf(name, sizeof(name), "%s/sha256/%s", tmpl, d[0].hex);
	FILE *f = fopen(name, "w");
	ck_assert_ptr_nonnull(f);
	fputs("ONE", f);
	fclose(f);
	bool yes = true, no = false, skipped = false;
	int fd = -1;
	ck_assert_int_eq(
	    oci_cache_get_unless(&blobs, &d[0], 3, true, always, &yes, &skipped, &fd, &err), 1);
	ck_assert(skipped);
	close(fd);
	ck_assert_int_eq(
	    oci_cache_get_unless(&blobs, &d[0], 3, true, always, &no, &skipped, &fd, &err), 0);
	ck_assert(!skipped);
	ck_assert_int_eq(access(name, F_OK), -1); /* the bad blob is gone */
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
	tcase_add_test(tc, test_stream_handshake);
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
