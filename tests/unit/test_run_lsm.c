/* Unit tests for run/lsm.c: the mount label in mount data (runc's context="..." on tmpfs,
 * devpts only, bounded), the labels refused before anything is created (a quote or
 * a control character; an LSM this host has not enabled), and the procfs handle taken only
 * when a label needs it. Labels applied for real: the AppArmor blocks of the qemu guest. */
#include <check.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/config.h"
#include "run/lsm.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

START_TEST(test_mount_data)
{
	oci_error err = OCI_ERROR_INIT;
	char data[64];
	strcpy(data, "mode=755");
	ck_assert_int_eq(oci_lsm_mount_data("tmpfs", "s0:c1,c2", data, sizeof(data), &err), 0);
	ck_assert_str_eq(data, "mode=755,context=\"s0:c1,c2\"");
	data[0] = '\0';
	ck_assert_int_eq(oci_lsm_mount_data("devpts", "l", data, sizeof(data), &err), 0);
	ck_assert_str_eq(data, "context=\"l\"");
	/* procfs, sysfs, cgroup take no context (runc's list), mqueue is labelled after its
	 * mount (oci_lsm_label_mount); no label, nothing added */
	const char *others[] = {"proc", "sysfs", "cgroup", "cgroup2", "mqueue"};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		strcpy(data, "x=1");
		ck_assert_int_eq(oci_lsm_mount_data(others[i], "l", data, sizeof(data), &err), 0);
		ck_assert_str_eq(data, "x=1");
	}
	ck_assert_int_eq(oci_lsm_mount_data("tmpfs", NULL, data, sizeof(data), &err), 0);
	ck_assert_int_eq(oci_lsm_mount_data("tmpfs", "", data, sizeof(data), &err), 0);
	ck_assert_str_eq(data, "x=1");
	/* too long for the buffer: an error, and the data as it was */
	char small[16] = "mode=755";
	ck_assert_int_lt(oci_lsm_mount_data("tmpfs", "a-long-label", small, sizeof(small), &err),
			 0);
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	ck_assert_str_eq(small, "mode=755");
}
END_TEST

START_TEST(test_check)
{
	oci_error err = OCI_ERROR_INIT;
	oci_process p;
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(oci_lsm_check(&p, NULL, &err), 0);
	char empty[] = "";
	p.apparmor_profile = empty;
	p.selinux_label = empty;
	ck_assert_int_eq(oci_lsm_check(&p, "", &err), 0);
	/* a newline would end the kernel's parse of "exec PROFILE": refused whatever the host */
	char nl[] = "p\nchangeprofile unconfined";
	p.apparmor_profile = nl;
	ck_assert_int_lt(oci_lsm_check(&p, NULL, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "process.apparmorProfile"));
	p.apparmor_profile = empty;
	ck_assert_int_lt(oci_lsm_check(&p, "a\",uid=0", &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "linux.mountLabel"));
	/* a well-formed one: refused exactly when this host has not enabled its LSM */
	char prof[] = "oci-test";
	p.apparmor_profile = prof;
	int r = oci_lsm_check(&p, NULL, &err);
	if (oci_lsm_apparmor_enabled()) {
		ck_assert_int_eq(r, 0);
	} else {
		ck_assert_int_lt(r, 0);
		ck_assert_int_eq(err.code, OCI_E_UNSUPPORTED);
		ck_assert_ptr_nonnull(strstr(err.msg, "AppArmor is not enabled on this host"));
	}
	p.apparmor_profile = empty;
	char label[] = "system_u:system_r:container_t:s0";
	p.selinux_label = label;
	r = oci_lsm_check(&p, NULL, &err);
	if (oci_lsm_selinux_enabled()) {
		/* taken, or refused by a policy without container_t */
		ck_assert(r == 0 ||
			  strstr(err.msg, "not a valid label in the loaded SELinux policy"));
	} else {
		ck_assert_int_lt(r, 0);
		ck_assert_ptr_nonnull(strstr(err.msg, "selinux is disabled or not supported"));
	}
}
END_TEST

START_TEST(test_open_procfs)
{
	oci_error err = OCI_ERROR_INIT;
	oci_process p;
	memset(&p, 0, sizeof(p));
	/* nothing to write: no handle */
	ck_assert_int_eq(oci_lsm_open_procfs(&p, &err), -1);
	char prof[] = "oci-test";
	p.apparmor_profile = prof;
	int fd = oci_lsm_open_procfs(&p, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	struct statfs sfs;
	ck_assert_int_eq(fstatfs(fd, &sfs), 0);
	ck_assert(sfs.f_type == PROC_SUPER_MAGIC);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* What is kept after the handle is closed: the task's own attr file, nothing that
	 * leads to the rest of /proc. */
	oci_lsm_files f;
	ck_assert_msg(oci_lsm_open_files(fd, &p, &f, &err) == 0, "%s", err.msg);
	close(fd);
	ck_assert_int_lt(f.keycreate, 0);
	ck_assert_int_lt(f.selinux, 0);
	ck_assert_int_ge(f.apparmor, 0);
	struct stat st;
	ck_assert_int_eq(fstat(f.apparmor, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(fcntl(f.apparmor, F_GETFL) & O_ACCMODE, O_WRONLY);
	ck_assert(fcntl(f.apparmor, F_GETFD) & FD_CLOEXEC);
	oci_lsm_files_close(&f);
	ck_assert_int_lt(f.apparmor, 0);
	/* nothing to write: nothing opened */
	p.apparmor_profile = NULL;
	ck_assert_int_eq(oci_lsm_open_files(-1, &p, &f, &err), 0);
	ck_assert_int_lt(f.apparmor, 0);
}
END_TEST

static Suite *lsm_suite(void)
{
	Suite *s = suite_create("run_lsm");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_mount_data);
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_open_procfs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lsm_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
