/* Unit tests for run/sync.c: messages with and without an fd, the payload bounded, and what
 * the runtime reads after the init failed while the runtime was still sending (create sends
 * the cgroup directories while the init builds its mounts): the init's own error, not the
 * kernel's ECONNRESET. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run/sync.h"

static void pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

START_TEST(test_roundtrip)
{
	int sv[2];
	pair(sv);
	oci_error err = OCI_ERROR_INIT;
	char buf[OCI_SYNC_MAX + 1];
	ck_assert_int_eq(oci_sync_send(sv[0], OCI_SYNC_GO, "state", 5, -1, &err), 0);
	int fd = -2;
	ck_assert_int_eq(oci_sync_recv(sv[1], buf, sizeof(buf), &fd, &err), OCI_SYNC_GO);
	ck_assert_str_eq(buf, "state");
	ck_assert_int_eq(fd, -1);
	/* an fd rides along */
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(devnull, 0);
	ck_assert_int_eq(oci_sync_send(sv[0], OCI_SYNC_PTY, "x", 1, devnull, &err), 0);
	ck_assert_int_eq(oci_sync_recv(sv[1], buf, sizeof(buf), &fd, &err), OCI_SYNC_PTY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fd, devnull);
	close(fd);
	close(devnull);
	/* an ERROR becomes the caller's error through expect */
	ck_assert_int_eq(oci_sync_send(sv[0], OCI_SYNC_ERROR, "bad thing", 9, -1, &err), 0);
	ck_assert_int_eq(oci_sync_expect(sv[1], OCI_SYNC_READY, NULL, 0, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "bad thing");
	oci_err_clear(&err);
	/* the peer gone: the end, 0 */
	close(sv[0]);
	ck_assert_int_eq(oci_sync_recv(sv[1], buf, sizeof(buf), NULL, &err), 0);
	close(sv[1]);
}
END_TEST

/* The init sends its error and exits with our messages unread: the kernel leaves ECONNRESET
 * pending on our end and reports it before the queued error. Before oci_sync_recv read on,
 * the runtime said "cannot talk to the container init: Connection reset by peer". */
START_TEST(test_error_after_reset)
{
	int sv[2];
	pair(sv);
	oci_error err = OCI_ERROR_INIT;
	char buf[OCI_SYNC_MAX + 1];
	/* ours, never read by the init */
	ck_assert_int_eq(oci_sync_send(sv[0], OCI_SYNC_GO, "state", 5, -1, &err), 0);
	ck_assert_int_eq(oci_sync_send(sv[0], OCI_SYNC_CGROUP, "/a", 3, -1, &err), 0);
	/* the init's error, then its exit */
	ck_assert_int_eq(
	    oci_sync_send(sv[1], OCI_SYNC_ERROR, "RLIMIT_NOFILE: too high", 23, -1, &err), 0);
	close(sv[1]);
	/* a send now fails (the reset, or a broken pipe) */
	ck_assert_int_eq(oci_sync_send(sv[0], OCI_SYNC_CGROUPS_READY, NULL, 0, -1, &err), -1);
	ck_assert(err.sys_errno == ECONNRESET || err.sys_errno == EPIPE);
	oci_err_clear(&err);
	/* and the read still gets the init's error, then the end */
	ck_assert_int_eq(oci_sync_recv(sv[0], buf, sizeof(buf), NULL, &err), OCI_SYNC_ERROR);
	ck_assert_str_eq(buf, "RLIMIT_NOFILE: too high");
	ck_assert_int_eq(oci_sync_recv(sv[0], buf, sizeof(buf), NULL, &err), 0);
	close(sv[0]);
}
END_TEST

/* The same without a send in between: the reset is the first thing a read meets. */
START_TEST(test_error_after_reset_read_first)
{
	int sv[2];
	pair(sv);
	oci_error err = OCI_ERROR_INIT;
	char buf[OCI_SYNC_MAX + 1];
	ck_assert_int_eq(oci_sync_send(sv[0], OCI_SYNC_GO, "state", 5, -1, &err), 0);
	ck_assert_int_eq(oci_sync_send(sv[1], OCI_SYNC_ERROR, "mount failed", 12, -1, &err), 0);
	close(sv[1]);
	ck_assert_int_eq(oci_sync_recv(sv[0], buf, sizeof(buf), NULL, &err), OCI_SYNC_ERROR);
	ck_assert_str_eq(buf, "mount failed");
	close(sv[0]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_sync");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_error_after_reset);
	tcase_add_test(tc, test_error_after_reset_read_first);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
