/* Unit tests for run/container.c: oci_container_kill_all (what create, restore and checkpoint
 * use to tear a container down) kills the processes of the container's cgroup and its init,
 * and never a process that reused one of their pids. The cgroup is a fake v2 directory in a
 * temporary directory; its cgroup.procs is a file, or a fifo whose read the test serves, so
 * that a pid is reused exactly between the runtime's read of the list and its signal. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "run/container_internal.h"

static char dir[64];

static void put(const char *name, const char *content)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(content, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* A fake v2 cgroup in a new temporary directory (cgroup.procs: made by the caller). */
static oci_cgroup *fake_cgroup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_container.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	put("cgroup.controllers", "pids\n");
	put("cgroup.freeze", "0\n");
	oci_error err = OCI_ERROR_INIT;
	const char *dirs[] = {dir};
	oci_cgroup *cg = oci_cgroup_from_dirs(dirs, 1, &err);
	ck_assert_msg(cg != NULL, "%s", err.msg);
	return cg;
}

static void remove_fake(oci_cgroup *cg)
{
	oci_cgroup_free(cg);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A child that waits for a signal, returned once it has its own SIGTERM disposition (not
 * check's handler, which signals the whole group) and no copy of the test's files (a fifo's
 * write end would keep a read of it from ending). No check assertions: called from a thread. */
static pid_t sleeper(void)
{
	int ready[2];
	if (pipe(ready) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		for (int fd = 3; fd < 1024; fd++)
			close(fd); /* ready[1] too: the parent reads its end */
		for (;;)
			pause();
	}
	close(ready[1]);
	char c;
	while (pid > 0 && read(ready[0], &c, 1) < 0 && errno == EINTR)
		;
	close(ready[0]);
	return pid;
}

/* Whether pid is a live process (not gone, not a zombie) that started at start. */
static bool alive(pid_t pid, uint64_t start)
{
	bool zombie;
	return oci_proc_start_time(pid, &zombie) == start && !zombie;
}

/* A sleeper at pid want, reused after its last holder was reaped, when the kernel gives it
 * out within a few tries: ns_last_pid (root) names the pid before the next one, and another
 * process of the machine may take it first. 0 when it could not be had. The new process
 * starts a clock tick later than the old one, or both would have the same start time. */
static pid_t sleeper_at(pid_t want)
{
	struct timespec tick = {0, 30 * 1000 * 1000};
	nanosleep(&tick, NULL);
	for (int tries = 0; tries < 50; tries++) {
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d", (int)want - 1);
		bool ok = write(fd, buf, (size_t)n) == n;
		close(fd);
		if (!ok)
			return 0;
		pid_t pid = sleeper();
		if (pid == want || pid < 0)
			return pid < 0 ? 0 : pid;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return 0;
}

/* Reap pid, which died of sig: a process the runtime sent SIGKILL dies of it even when the
 * test's SIGTERM came later (and /proc may show it alive for a moment after the kill). */
static void reap_dead_of(pid_t pid, int sig)
{
	int ws;
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	ck_assert_msg(WIFSIGNALED(ws) && WTERMSIG(ws) == sig, "pid %d: died of %d, not %d",
		      (int)pid, WIFSIGNALED(ws) ? WTERMSIG(ws) : 0, sig);
}

static void reap_killed(pid_t pid)
{
	reap_dead_of(pid, SIGKILL);
}

/* pid was not signalled: the test's SIGTERM is what it dies of. */
static void reap_spared(pid_t pid)
{
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	reap_dead_of(pid, SIGTERM);
}

START_TEST(test_kill_all)
{
	oci_cgroup *cg = fake_cgroup();
	pid_t member = sleeper(), init = sleeper();
	ck_assert_int_gt(member, 0);
	ck_assert_int_gt(init, 0);
	char procs[64];
	snprintf(procs, sizeof(procs), "%d\n%d\n", (int)member, (int)init);
	put("cgroup.procs", procs);
	uint64_t init_start = oci_proc_start_time(init, NULL);
	ck_assert_uint_gt(init_start, 0);
	oci_state st = {.own_pidns = false, .cgroups = cg, .pid = init, .pid_start = init_start};
	oci_container_kill_all(&st, false);
	reap_killed(member);
	reap_killed(init);

	/* The recorded init exited and its pid went to another process: that one lives. */
	pid_t other = sleeper_at(init);
	if (!other) {
		fprintf(stderr,
			"test_kill_all: pid %d not reused (not root?): only a start time "
			"mismatch is checked\n",
			(int)init);
		other = sleeper();
		ck_assert_int_gt(other, 0);
		st.pid = other;
	}
	uint64_t other_start = oci_proc_start_time(other, NULL);
	ck_assert_uint_ne(other_start, init_start);
	put("cgroup.procs", "");
	oci_container_kill_all(&st, false);
	ck_assert(alive(other, other_start));
	reap_spared(other);
	remove_fake(cg);
}
END_TEST

/* The test's side of cgroup.procs as a fifo: the first read lists member; before that read
 * ends, member exits and its pid goes to a process outside the cgroup (reused), and an empty
 * regular file replaces the fifo: any later read (the fixed runtime's second, after it opened
 * pidfds) finds the cgroup empty. */
struct race {
	char fifo[128], empty[128];
	pid_t member;
	pid_t reused; /* 0: the pid could not be reused */
};

static void *serve_procs(void *arg)
{
	struct race *r = arg;
	int fd = open(r->fifo, O_WRONLY | O_CLOEXEC); /* waits for the first read */
	if (fd < 0)
		return NULL;
	dprintf(fd, "%d\n", (int)r->member);
	/* the reader has the list, not its end: the member exits, its pid is reused */
	kill(r->member, SIGKILL);
	waitpid(r->member, NULL, 0);
	r->reused = sleeper_at(r->member);
	if (rename(r->empty, r->fifo) < 0)
		r->reused = -1;
	close(fd);
	return NULL;
}

START_TEST(test_kill_all_reused_cgroup_pid)
{
	oci_cgroup *cg = fake_cgroup();
	struct race r = {.member = sleeper()};
	ck_assert_int_gt(r.member, 0);
	snprintf(r.fifo, sizeof(r.fifo), "%s/cgroup.procs", dir);
	snprintf(r.empty, sizeof(r.empty), "%s/empty", dir);
	ck_assert_int_eq(mkfifo(r.fifo, 0600), 0);
	put("empty", "");
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, serve_procs, &r), 0);
	/* no init to kill: only the cgroup's processes */
	oci_state st = {.own_pidns = false, .cgroups = cg, .pid = 0, .pid_start = 1};
	oci_container_kill_all(&st, false);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_ge(r.reused, 0);
	if (!r.reused) {
		fprintf(stderr,
			"test_kill_all_reused_cgroup_pid: pid %d not reused (not root?): "
			"nothing checked\n",
			(int)r.member);
		remove_fake(cg);
		return;
	}
	/* the process that reused the pid outside the cgroup was not signalled */
	reap_spared(r.reused);
	remove_fake(cg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_container");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_kill_all);
	tcase_add_test(tc, test_kill_all_reused_cgroup_pid);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
