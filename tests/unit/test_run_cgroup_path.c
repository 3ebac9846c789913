/* Unit tests for run/cgroup/path.c and the manager's choice of driver (manager.c), against a
 * fake mount table whose hierarchies are directories of a temporary tree: where
 * linux.cgroupsPath puts a container (absolute, relative, the default /oci-run/ID), the
 * systemd "slice:prefix:name" expansion and its errors, and ".." refused. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "run/cgroup/cgroup.h"
#include "tests/unit/skip.h"

static char base[64];

/* A hybrid host: memory and cpu on v1, the unified tree beside them; one cgroup mount outside
 * the base that the manager must not use. */
static void fake_host(const char *layout)
{
	char cmd[1024];
	snprintf(base, sizeof(base), "/tmp/test_cgpath.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	char mi[300];
	snprintf(mi, sizeof(mi), "%s/mountinfo", base);
	FILE *f = fopen(mi, "w");
	ck_assert_ptr_nonnull(f);
	if (!strcmp(layout, "hybrid")) {
		fprintf(f, "30 25 0:26 / %s/memory rw,nosuid - cgroup cgroup rw,memory\n", base);
		fprintf(f, "31 25 0:27 / %s/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n", base);
	}
	fprintf(f, "32 25 0:28 / %s/unified rw - cgroup2 cgroup2 rw,nsdelegate\n", base);
	fprintf(f, "33 25 0:29 / /elsewhere/memory rw - cgroup cgroup rw,memory\n");
	fprintf(f, "34 25 0:30 / %s/tmp rw - tmpfs tmpfs rw\n", base);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/memory' '%s/cpu,cpuacct' '%s/unified'", base, base,
		 base);
	ck_assert_int_eq(system(cmd), 0);
}

static void teardown_host(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
}

/* The directories a container gets, joined by spaces with the base cut off. */
static char *placed(const char *layout, bool systemd, const char *cgroups_path, oci_error *err)
{
	fake_host(layout);
	oci_cgroup_manager m;
	char mi[300];
	snprintf(mi, sizeof(mi), "%s/mountinfo", base);
	ck_assert_int_eq(oci_cgroup_manager_init_at(&m, mi, base, systemd, err), 0);
	char *out = NULL;
	if (systemd) {
		/* the systemd driver's create asks systemd over D-Bus: only its plan here (the
		 * guest of tests/integration/83-systemd-cgroup.bats runs the rest) */
		out = m.ops->plan(&m, cgroups_path, "ctr1", err);
		oci_cgroup_manager_release(&m);
		teardown_host();
		return out;
	}
	oci_cgroup *cg = oci_cgroup_create(&m, cgroups_path, "ctr1", NULL, err);
	if (cg) {
		size_t len = 1;
		for (size_t i = 0; i < cg->n; i++)
			len += strlen(cg->dirs[i]) + 1;
		out = calloc(1, len);
		for (size_t i = 0; i < cg->n; i++) {
			struct stat sb;
			ck_assert_int_eq(stat(cg->dirs[i], &sb), 0); /* really created */
			ck_assert(!strncmp(cg->dirs[i], base, strlen(base)));
			if (i)
				strcat(out, " ");
			strcat(out, cg->dirs[i] + strlen(base));
		}
		ck_assert_int_eq(oci_cgroup_destroy(cg, err), 0);
		oci_cgroup_free(cg);
	}
	oci_cgroup_manager_release(&m);
	teardown_host();
	return out;
}

#define ASSERT_PLACED(layout, systemd, cp, want)                                                   \
	do {                                                                                       \
		oci_error e_ = OCI_ERROR_INIT;                                                     \
		char *got_ = placed(layout, systemd, cp, &e_);                                     \
		ck_assert_msg(got_ != NULL, "%s: %s", cp ? cp : "(none)", e_.msg);                 \
		ck_assert_str_eq(got_, want);                                                      \
		free(got_);                                                                        \
	} while (0)

#define ASSERT_REFUSED(systemd, cp, msg_part)                                                      \
	do {                                                                                       \
		oci_error e_ = OCI_ERROR_INIT;                                                     \
		char *got_ = placed("v2", systemd, cp, &e_);                                       \
		ck_assert_msg(got_ == NULL, "%s: placed at %s", cp, got_);                         \
		ck_assert_int_eq(e_.code, OCI_E_INVALID);                                          \
		ck_assert_msg(strstr(e_.msg, msg_part), "%s: message '%s'", cp, e_.msg);           \
	} while (0)

START_TEST(test_default_and_given_paths)
{
	/* unprivileged, create places a container only in the cgroups delegated to it (their
	 * cgroup.procs writable), and the directories it makes in a fake tree have none */
	unit_skip_unless_root("the fake tree's new directories have no cgroup.procs");
	ASSERT_PLACED("hybrid", false, NULL,
		      "/memory/oci-run/ctr1 /cpu,cpuacct/oci-run/ctr1 "
		      "/unified/oci-run/ctr1");
	ASSERT_PLACED("v2", false, "", "/unified/oci-run/ctr1");
	ASSERT_PLACED("v2", false, "/a/b", "/unified/a/b");
	/* relative: from each hierarchy's root, as runc takes it */
	ASSERT_PLACED("v2", false, "rel/x", "/unified/rel/x");
	/* without --systemd-cgroup a colon is part of the name */
	ASSERT_PLACED("v2", false, "a.slice:p:n", "/unified/a.slice:p:n");
	ASSERT_REFUSED(false, "/a/../../b", "'..' not allowed");
	ASSERT_REFUSED(false, "a/..", "'..' not allowed");
}
END_TEST

START_TEST(test_systemd_expansion)
{
	ASSERT_PLACED("v2", true, "a-b.slice:pfx:name", "/a.slice/a-b.slice/pfx-name.scope");
	ASSERT_PLACED("v2", true, ":pfx:name", "/system.slice/pfx-name.scope");
	ASSERT_PLACED("v2", true, "-.slice:pfx:name", "/pfx-name.scope");
	ASSERT_PLACED("v2", true, "user.slice:p:c-d.slice", "/user.slice/c.slice/c-d.slice");
	/* runc's: no prefix, no dash; no cgroupsPath, system.slice:runc:<id> */
	ASSERT_PLACED("v2", true, "a.slice::name", "/a.slice/name.scope");
	ASSERT_PLACED("v2", true, NULL, "/system.slice/runc-ctr1.scope");
}
END_TEST

START_TEST(test_systemd_errors)
{
	ASSERT_REFUSED(true, "a.slice:name", "expected \"slice:prefix:name\"");
	ASSERT_REFUSED(true, "a.slice:p:", "expected \"slice:prefix:name\"");
	ASSERT_REFUSED(true, "a:b:c:d", "expected \"slice:prefix:name\"");
	ASSERT_REFUSED(true, "system:p:n", "invalid slice 'system'");
	ASSERT_REFUSED(true, "a--b.slice:p:n", "invalid slice 'a--b.slice'");
	ASSERT_REFUSED(true, "-a.slice:p:n", "invalid slice");
	ASSERT_REFUSED(true, "a-.slice:p:n", "invalid slice");
	ASSERT_REFUSED(true, "x/y.slice:p:n", "not a valid systemd unit path");
	/* runc refuses a path without ':' with its driver */
	ASSERT_REFUSED(true, "/plain", "expected \"slice:prefix:name\"");
	/* what systemd would refuse in a unit name, and anything leaving the tree */
	ASSERT_REFUSED(true, "a.slice:p/q:n", "not a valid systemd unit path");
	ASSERT_REFUSED(true, "a.slice:p:n/m", "not a valid systemd unit path");
	ASSERT_REFUSED(true, "a.slice:p:..", "not a valid systemd unit path");
	ASSERT_REFUSED(true, "a.slice:p:../../x", "not a valid systemd unit path");
	ASSERT_REFUSED(true, "../a.slice:p:n", "not a valid systemd unit path");
	ASSERT_REFUSED(true, "a.slice:p:bad name", "not a valid systemd unit path");
	ASSERT_REFUSED(true, "a.slice:p:x\\y", "not a valid systemd unit path");
	ASSERT_REFUSED(true, "a.slice:p:x@y", "not a valid systemd unit path");
	/* a unit name systemd would refuse for its length (255 at most) */
	char buf[300];
	const char *long_name = buf;
	snprintf(buf, sizeof(buf), "a.slice:p:%0250d", 0);
	ASSERT_REFUSED(true, long_name, "at most 255 characters");
	char want[300];
	snprintf(buf, sizeof(buf), "a.slice:p:%0242d", 0); /* p-<242>.scope: 251 */
	snprintf(want, sizeof(want), "/a.slice/p-%0242d.scope", 0);
	ASSERT_PLACED("v2", true, long_name, want);
}
END_TEST

START_TEST(test_driver_choice)
{
	const char *layouts[] = {"hybrid", "v2"};
	const oci_cgroup_ops *want[] = {&oci_cgroup_v1_ops, &oci_cgroup_v2_ops};
	for (int i = 0; i < 2; i++) {
		fake_host(layouts[i]);
		char mi[300];
		snprintf(mi, sizeof(mi), "%s/mountinfo", base);
		oci_cgroup_manager m;
		oci_error err = OCI_ERROR_INIT;
		ck_assert_int_eq(oci_cgroup_manager_init_at(&m, mi, base, false, &err), 0);
		ck_assert_ptr_eq(m.ops, want[i]);
		/* the mount outside the base and the tmpfs are not hierarchies of ours */
		ck_assert_uint_eq(m.n_mounts, i == 0 ? 3 : 1);
		oci_cgroup_manager_release(&m);
		ck_assert_int_eq(oci_cgroup_manager_init_at(&m, mi, base, true, &err), 0);
		ck_assert_ptr_eq(m.ops, &oci_cgroup_systemd_ops);
		oci_cgroup_manager_release(&m);
		teardown_host();
	}
}
END_TEST

/* create in two steps (run's create: the unified directory before the init is cloned into
 * it, the rest while it builds its mounts) gives the handle one create gives: the same
 * directories, in the same order, fresh only when this create made them all. */
START_TEST(test_two_steps)
{
	if (geteuid() != 0) {
		unit_skip("needs root: a privileged caller's way only");
		return;
	}
	const char *layouts[] = {"hybrid", "v2"};
	const char *want[] = {"/memory/x /cpu,cpuacct/x /unified/x", "/unified/x"};
	for (int i = 0; i < 2; i++) {
		fake_host(layouts[i]);
		char mi[300], p[400];
		snprintf(mi, sizeof(mi), "%s/mountinfo", base);
		oci_cgroup_manager m;
		oci_error err = OCI_ERROR_INIT;
		ck_assert_int_eq(oci_cgroup_manager_init_at(&m, mi, base, false, &err), 0);
		for (int round = 0; round < 2; round++) {
			oci_cgroup *first = oci_cgroup_create_unified(&m, "/x", "ctr1", &err);
			ck_assert_msg(first != NULL, "%s: %s", layouts[i], err.msg);
			ck_assert_uint_eq(first->n, 1);
			snprintf(p, sizeof(p), "%s/unified/x", base);
			ck_assert_str_eq(first->dirs[0], p);
			/* nothing of the other hierarchies yet */
			snprintf(p, sizeof(p), "%s/memory/x", base);
			ck_assert_int_eq(access(p, F_OK) == 0, round == 1 && i == 0);
			oci_cgroup *cg =
			    oci_cgroup_create_rest(&m, "/x", "ctr1", NULL, first, &err);
			ck_assert_msg(cg != NULL, "%s: %s", layouts[i], err.msg);
			char got[400] = "";
			for (size_t k = 0; k < cg->n; k++) {
				ck_assert_int_eq(access(cg->dirs[k], F_OK), 0);
				if (k)
					strcat(got, " ");
				strcat(got, cg->dirs[k] + strlen(base));
			}
			ck_assert_str_eq(got, want[i]);
			ck_assert_ptr_eq(cg->ops, m.ops);
			/* the second round finds every directory there */
			ck_assert_int_eq(cg->fresh, round == 0);
			oci_cgroup_free(first);
			if (round == 1)
				ck_assert_int_eq(oci_cgroup_destroy(cg, &err), 0);
			oci_cgroup_free(cg);
		}
		ck_assert_ptr_null(oci_cgroup_create_unified(&m, "/a/..", "ctr1", &err));
		ck_assert_int_eq(err.code, OCI_E_INVALID);
		oci_err_clear(&err);
		oci_cgroup_manager_release(&m);
		/* the systemd driver cannot: NULL, and no error */
		ck_assert_int_eq(oci_cgroup_manager_init_at(&m, mi, base, true, &err), 0);
		ck_assert_ptr_null(oci_cgroup_create_unified(&m, "/x", "ctr1", &err));
		ck_assert_int_eq(err.code, 0);
		oci_cgroup_manager_release(&m);
		teardown_host();
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_cgroup_path");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_default_and_given_paths);
	tcase_add_test(tc, test_systemd_expansion);
	tcase_add_test(tc, test_systemd_errors);
	tcase_add_test(tc, test_driver_choice);
	tcase_add_test(tc, test_two_steps);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
