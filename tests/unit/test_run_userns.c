/* Unit tests for run/userns.c: id maps written for a real child in a new user namespace, as
 * root and as an unprivileged user (own id, setgroups denied; wider ranges through
 * newuidmap), malformed mappings, and the messages naming the sysctl that forbids one. */
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/config.h"
#include "run/userns.h"
#include "tests/unit/skip.h"

/* The kernel refuses unshare(CLONE_NEWUSER) to a multithreaded process, and under qemu-user
 * the emulated program shares its process with the emulator's own threads: the checks that
 * need a child in a new user namespace need a kernel of the program's architecture (a real
 * machine or a system VM); under the emulator they say so on stderr and stop. A native run
 * (Check's forked test process has one thread) is never affected. */
static bool userns_emulated(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	int threads = 1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &threads) == 1)
			break;
	if (f)
		fclose(f);
	if (threads <= 1)
		return false;
	fprintf(stderr,
		"not run under emulation: %d threads in this process (qemu-user), no "
		"user namespace can be unshared\n",
		threads);
	return true;
}

/* A child in a new user namespace that waits until the pipe closes. */
static pid_t child_in_userns(int *wake)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		char c;
		while (read(p[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	*wake = p[1];
	/* wait until it has its own user namespace */
	char a[64], b[64], path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	ssize_t la = readlink("/proc/self/ns/user", a, sizeof(a) - 1);
	for (int i = 0; i < 2000; i++) {
		ssize_t lb = readlink(path, b, sizeof(b) - 1);
		if (lb > 0 && (lb != la || memcmp(a, b, (size_t)lb)))
			break;
		usleep(1000);
	}
	return pid;
}

static void finish(pid_t pid, int wake)
{
	close(wake);
	waitpid(pid, NULL, 0);
}

static void read_proc(pid_t pid, const char *file, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* A config with a new user namespace and these linux.* members, loaded into c (release it);
 * the walk's problems go into problems (may be NULL); returns their count. */
static int linux_maps(const char *members, oci_config *c, json_t *problems)
{
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"/\"},"
		 "\"linux\":{\"namespaces\":[{\"type\":\"user\"}],%s}}",
		 members);
	json_error_t je;
	json_t *j = json_loads(buf, 0, &je);
	ck_assert_msg(j != NULL, "%s", je.text);
	json_t *list = problems ? json_incref(problems) : json_array();
	oci_error err = OCI_ERROR_INIT;
	int n = oci_config_load(j, -1, c, list, &err);
	json_decref(list);
	json_decref(j);
	return n;
}

START_TEST(test_root_writes_ranges)
{
	if (geteuid() != 0) {
		unit_skip("needs root to write the id maps of another process");
		return;
	}
	if (userns_emulated())
		return;
	int wake;
	pid_t pid = child_in_userns(&wake);
	ck_assert_int_gt(pid, 0);
	oci_config c;
	ck_assert_int_eq(
	    linux_maps("\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":1000},"
		       "{\"containerID\":1000,\"hostID\":5000,\"size\":1}],"
		       "\"gidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":65536}]",
		       &c, NULL),
	    0);
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_userns_write_maps(pid, &c.linux_, &err), 0);
	char buf[512];
	read_proc(pid, "uid_map", buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "0     100000       1000"));
	ck_assert_ptr_nonnull(strstr(buf, "1000       5000          1"));
	read_proc(pid, "gid_map", buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "0     200000      65536"));
	/* root keeps setgroups allowed */
	read_proc(pid, "setgroups", buf, sizeof(buf));
	ck_assert_str_eq(buf, "allow\n");
	oci_config_release(&c);
	finish(pid, wake);
}
END_TEST

/* As uid/gid 65534: the own single id is written directly, setgroups denied first. */
START_TEST(test_unprivileged_own_id)
{
	if (geteuid() != 0) {
		unit_skip("needs root to become uid 65534");
		return;
	}
	if (userns_emulated())
		return;
	pid_t t = fork();
	if (t == 0) {
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(10);
		/* as after an exec by that user: changing ids made us non-dumpable */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		int wake;
		pid_t pid = child_in_userns(&wake);
		if (pid < 0)
			_exit(11);
		oci_config c;
		linux_maps("\"uidMappings\":[{\"containerID\":0,\"hostID\":65534,\"size\":1}],"
			   "\"gidMappings\":[{\"containerID\":0,\"hostID\":65534,\"size\":1}]",
			   &c, NULL);
		oci_error err = OCI_ERROR_INIT;
		int r = oci_userns_write_maps(pid, &c.linux_, &err);
		char buf[256];
		read_proc(pid, "setgroups", buf, sizeof(buf));
		int deny = !strcmp(buf, "deny\n");
		read_proc(pid, "gid_map", buf, sizeof(buf));
		int gid_ok = strstr(buf, "0      65534          1") != NULL;
		finish(pid, wake);
		if (r < 0) {
			fprintf(stderr, "%s\n", err.msg);
			_exit(12);
		}
		_exit(deny && gid_ok ? 0 : 13);
	}
	int st;
	waitpid(t, &st, 0);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
}
END_TEST

/* As an unprivileged user, a range that is not its own goes through newuidmap, whose refusal
 * becomes one line naming /etc/subuid. */
START_TEST(test_unprivileged_range_refused)
{
	if (geteuid() != 0 || access("/usr/bin/newuidmap", X_OK) < 0) {
		unit_skip("needs root (to become uid 65534) and /usr/bin/newuidmap");
		return;
	}
	if (userns_emulated())
		return;
	pid_t t = fork();
	if (t == 0) {
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(10);
		/* as after an exec by that user: changing ids made us non-dumpable */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		int wake;
		pid_t pid = child_in_userns(&wake);
		oci_config c;
		linux_maps("\"uidMappings\":[{\"containerID\":0,\"hostID\":7000000,\"size\":10}],"
			   "\"gidMappings\":[{\"containerID\":0,\"hostID\":65534,\"size\":1}]",
			   &c, NULL);
		oci_error err = OCI_ERROR_INIT;
		int r = oci_userns_write_maps(pid, &c.linux_, &err);
		finish(pid, wake);
		_exit(r < 0 && strstr(err.msg, "newuidmap") && strstr(err.msg, "/etc/subuid") &&
			      !strchr(err.msg, '\n')
			  ? 0
			  : 13);
	}
	int st;
	waitpid(t, &st, 0);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
}
END_TEST

START_TEST(test_bad_mappings)
{
	oci_error err = OCI_ERROR_INIT;
	oci_config c;
	json_t *p = json_array();
	/* the walk refuses them before anything is written */
	ck_assert_int_eq(
	    linux_maps("\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]", &c, p), 1);
	ck_assert_str_eq(json_string_value(json_array_get(p, 0)),
			 "linux.uidMappings: a new user namespace needs at least one uid mapping");
	/* and the writer, given an empty list anyway, refuses too */
	ck_assert_int_eq(oci_userns_write_maps(getpid(), &c.linux_, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "linux.uidMappings: required"));
	oci_config_release(&c);
	json_array_clear(p);
	ck_assert_int_eq(linux_maps("\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":0}],"
				    "\"gidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]",
				    &c, p),
			 1);
	ck_assert_str_eq(json_string_value(json_array_get(p, 0)),
			 "linux.uidMappings[0]: size must not be zero");
	oci_config_release(&c);
	json_array_clear(p);
	ck_assert_int_eq(
	    linux_maps("\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}],"
		       "\"gidMappings\":[{\"containerID\":-1,\"hostID\":1,\"size\":1}]",
		       &c, p),
	    1);
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_array_get(p, 0)), "linux.gidMappings[0].containerID"));
	oci_config_release(&c);
	json_decref(p);
}
END_TEST

START_TEST(test_clone_error_names_knob)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_userns_clone_error(ENOSPC, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "user.max_user_namespaces"));
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot create a user namespace"));
	oci_err_clear(&err);
	ck_assert_int_eq(oci_userns_clone_error(EPERM, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "kernel."));
	ck_assert_ptr_null(strchr(err.msg, '\n'));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_userns");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_root_writes_ranges);
	tcase_add_test(tc, test_unprivileged_own_id);
	tcase_add_test(tc, test_unprivileged_range_refused);
	tcase_add_test(tc, test_bad_mappings);
	tcase_add_test(tc, test_clone_error_names_knob);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
