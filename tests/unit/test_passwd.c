/* Unit tests for common/passwd.c: user resolution as runc's GetExecUser does it, and the
 * safety rules for reading an untrusted rootfs's /etc/passwd and /etc/group (no symlink out,
 * regular files only, size cap), on both safepath walks (openat2 and the fallback). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/passwd.h"
#include "common/safepath.h"
#include "common/util.h"

static char root[] = "/tmp/test_passwd.XXXXXX";
static int rootfd = -1;

static const char PASSWD[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "# a comment\n"
			     "\n"
			     "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
			     "evil:x:notanumber:0:bad uid:/:/bin/sh\n"
			     "app:x:1000:1000:app:/home/app:/bin/sh\n"
			     "nohome:x:2000:2000\n";
static const char GROUP[] = "root:x:0:\n"
			    "wheel:x:10:root, app\n"
			    "staff:x:50:app\n"
			    "app:x:1000:\n"
			    "other:x:60:daemon\n";

static void put(const char *rel, const char *content)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	unlink(p);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

static void setup(void)
{
	char p[512];
	strcpy(root, "/tmp/test_passwd.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/etc", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	put("etc/passwd", PASSWD);
	put("etc/group", GROUP);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
}

static void teardown(void)
{
	char cmd[600];
	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	oci_safepath_force_fallback = false;
}

static oci_user resolve_ok(const char *spec)
{
	oci_error err = OCI_ERROR_INIT;
	oci_user u;
	int r = oci_passwd_resolve(rootfd, spec, &u, &err);
	ck_assert_msg(r == 0, "'%s': %s", spec, err.msg);
	return u;
}

static int resolve_fail(const char *spec, oci_error *err)
{
	oci_user u;
	oci_err_clear(err);
	int r = oci_passwd_resolve(rootfd, spec, &u, err);
	ck_assert_msg(r < 0, "'%s' resolved to uid %u", spec, u.uid);
	return err->code;
}

START_TEST(test_name)
{
	oci_safepath_force_fallback = _i;
	oci_user u = resolve_ok("app");
	ck_assert_uint_eq(u.uid, 1000);
	ck_assert_uint_eq(u.gid, 1000);
	ck_assert_str_eq(u.home, "/home/app");
	ck_assert(u.found_passwd);
	/* groups listing "app" (with blanks around list items) */
	ck_assert_uint_eq(u.n_additional_gids, 2);
	ck_assert_uint_eq(u.additional_gids[0], 10);
	ck_assert_uint_eq(u.additional_gids[1], 50);
	oci_user_release(&u);

	/* "" is root, with root's supplementary groups as docker gives them */
	u = resolve_ok("");
	ck_assert_uint_eq(u.uid, 0);
	ck_assert_str_eq(u.home, "/root");
	ck_assert_uint_eq(u.n_additional_gids, 1);
	ck_assert_uint_eq(u.additional_gids[0], 10);
	oci_user_release(&u);

	/* a passwd line without home: "/" */
	u = resolve_ok("nohome");
	ck_assert_uint_eq(u.uid, 2000);
	ck_assert_str_eq(u.home, "/");
	oci_user_release(&u);
}
END_TEST

START_TEST(test_numeric)
{
	/* a uid in passwd: its gid, home and groups */
	oci_user u = resolve_ok("1000");
	ck_assert_uint_eq(u.gid, 1000);
	ck_assert_str_eq(u.home, "/home/app");
	ck_assert_uint_eq(u.n_additional_gids, 2);
	oci_user_release(&u);
	/* a uid not in passwd: gid 0, no home */
	u = resolve_ok("4242");
	ck_assert_uint_eq(u.uid, 4242);
	ck_assert_uint_eq(u.gid, 0);
	ck_assert_ptr_null(u.home);
	ck_assert(!u.found_passwd);
	ck_assert_uint_eq(u.n_additional_gids, 0);
	oci_user_release(&u);
	/* uid:gid: the given group, and no supplementary groups (explicit group) */
	u = resolve_ok("1000:50");
	ck_assert_uint_eq(u.uid, 1000);
	ck_assert_uint_eq(u.gid, 50);
	ck_assert_uint_eq(u.n_additional_gids, 0);
	oci_user_release(&u);
	u = resolve_ok("4242:4343");
	ck_assert_uint_eq(u.gid, 4343);
	oci_user_release(&u);
	u = resolve_ok("4294967294");
	ck_assert_uint_eq(u.uid, 4294967294u);
	oci_user_release(&u);
}
END_TEST

START_TEST(test_name_group)
{
	oci_error err;
	oci_user u = resolve_ok("app:staff");
	ck_assert_uint_eq(u.uid, 1000);
	ck_assert_uint_eq(u.gid, 50);
	ck_assert_uint_eq(u.n_additional_gids, 0);
	oci_user_release(&u);
	u = resolve_ok("daemon:wheel");
	ck_assert_uint_eq(u.uid, 1);
	ck_assert_uint_eq(u.gid, 10);
	oci_user_release(&u);
	ck_assert_int_eq(resolve_fail("app:nosuchgroup", &err), OCI_E_NOTFOUND);
	ck_assert_msg(strstr(err.msg, "group 'nosuchgroup' not found"), "%s", err.msg);
	ck_assert_int_eq(resolve_fail("app:", &err), OCI_E_INVALID);
	ck_assert_int_eq(resolve_fail("app:4294967295", &err), OCI_E_INVALID);
}
END_TEST

START_TEST(test_unknown_and_range)
{
	oci_error err;
	ck_assert_int_eq(resolve_fail("nobody", &err), OCI_E_NOTFOUND);
	ck_assert_msg(strstr(err.msg, "user 'nobody'") && strstr(err.msg, "/etc/passwd"), "%s",
		      err.msg);
	/* a line whose uid does not parse must not match (it would be uid 0 in a naive parser) */
	ck_assert_int_eq(resolve_fail("evil", &err), OCI_E_NOTFOUND);
	/* 2^32-1 is (uid_t)-1 ("no change" for setresuid): refused, as everything above */
	ck_assert_int_eq(resolve_fail("4294967295", &err), OCI_E_INVALID);
	ck_assert_int_eq(resolve_fail("4294967296", &err), OCI_E_INVALID);
	ck_assert_int_eq(resolve_fail("99999999999999999999999", &err), OCI_E_INVALID);
	ck_assert_msg(strstr(err.msg, "out of range"), "%s", err.msg);
}
END_TEST

START_TEST(test_no_rootfs)
{
	oci_error err = OCI_ERROR_INIT;
	oci_user u;
	ck_assert_int_eq(oci_passwd_resolve(-1, "123:456", &u, &err), 0);
	ck_assert_uint_eq(u.uid, 123);
	ck_assert_uint_eq(u.gid, 456);
	oci_user_release(&u);
	ck_assert_int_eq(oci_passwd_resolve(-1, "app", &u, &err), -1);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_int_eq(oci_passwd_resolve(-1, "1:staff", &u, &err), -1);
}
END_TEST

START_TEST(test_missing_files)
{
	oci_error err;
	char p[512];
	snprintf(p, sizeof(p), "%s/etc/passwd", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc/group", root);
	unlink(p);
	oci_user u = resolve_ok("33");
	ck_assert_uint_eq(u.uid, 33);
	ck_assert_uint_eq(u.gid, 0);
	oci_user_release(&u);
	ck_assert_int_eq(resolve_fail("app", &err), OCI_E_NOTFOUND);
}
END_TEST

START_TEST(test_symlink_out)
{
	/* /etc/passwd -> the host's /etc/passwd: resolved inside the rootfs it points to itself,
	 * so it is a loop and an error; the host's file is never read. */
	oci_error err;
	oci_safepath_force_fallback = _i;
	char p[512];
	snprintf(p, sizeof(p), "%s/etc/passwd", root);
	unlink(p);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	resolve_fail("root", &err);
	ck_assert_msg(strstr(err.msg, "/etc/passwd"), "%s", err.msg);
	resolve_fail("0", &err);
	unlink(p);
	ck_assert_int_eq(symlink("../../../../../../../../etc/passwd", p), 0);
	resolve_fail("root", &err);
	/* A symlink that stays inside the rootfs is fine. */
	unlink(p);
	put("etc/passwd.real", "bob:x:77:78::/home/bob:/bin/sh\n");
	ck_assert_int_eq(symlink("/etc/passwd.real", p), 0);
	oci_user u = resolve_ok("bob");
	ck_assert_uint_eq(u.uid, 77);
	ck_assert_uint_eq(u.gid, 78);
	oci_user_release(&u);
	/* /etc itself a symlink to the host's /etc: resolved inside the rootfs, so
	 * <root>/etc -> <root>/etc is a loop too. */
	char e[512];
	snprintf(e, sizeof(e), "%s/etc", root);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(symlink("/etc", e), 0);
	resolve_fail("root", &err);
}
END_TEST

START_TEST(test_not_regular)
{
	oci_error err;
	char p[512];
	snprintf(p, sizeof(p), "%s/etc/group", root);
	unlink(p);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	/* must not block on the FIFO, and must refuse it */
	ck_assert_int_eq(resolve_fail("app", &err), OCI_E_UNSAFE);
	ck_assert_msg(strstr(err.msg, "not a regular file"), "%s", err.msg);
	unlink(p);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	resolve_fail("app", &err);
}
END_TEST

START_TEST(test_size_cap)
{
	oci_error err;
	char p[512];
	snprintf(p, sizeof(p), "%s/etc/group", root);
	int fd = open(p, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, OCI_PASSWD_MAX_SIZE + 1), 0);
	close(fd);
	ck_assert_int_eq(resolve_fail("app", &err), OCI_E_LIMIT);
	ck_assert_msg(strstr(err.msg, "/etc/group"), "%s", err.msg);
	/* explicit uid:gid needs no group lookup, the big file is not read */
	oci_user u = resolve_ok("1000:1000");
	oci_user_release(&u);
}
END_TEST

START_TEST(test_parse_id)
{
	uint32_t v;
	ck_assert_int_eq(oci_passwd_parse_id("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(oci_passwd_parse_id("4294967294", &v), 0);
	ck_assert_int_eq(oci_passwd_parse_id("4294967295", &v), -1);
	ck_assert_int_eq(oci_passwd_parse_id("-1", &v), -1);
	ck_assert_int_eq(oci_passwd_parse_id("+1", &v), -1);
	ck_assert_int_eq(oci_passwd_parse_id("1a", &v), -1);
	ck_assert_int_eq(oci_passwd_parse_id("", &v), -1);
}
END_TEST

static Suite *passwd_suite(void)
{
	Suite *s = suite_create("passwd");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_name, 0, 2);
	tcase_add_test(tc, test_numeric);
	tcase_add_test(tc, test_name_group);
	tcase_add_test(tc, test_unknown_and_range);
	tcase_add_test(tc, test_no_rootfs);
	tcase_add_test(tc, test_missing_files);
	tcase_add_loop_test(tc, test_symlink_out, 0, 2);
	tcase_add_test(tc, test_not_regular);
	tcase_add_test(tc, test_size_cap);
	tcase_add_test(tc, test_parse_id);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(passwd_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
