/* Unit tests for run/container.c: oci_container_kill_all (what create, restore and checkpoint
 * use to tear a container down) kills the processes of the container's cgroup and its init,
 * and never a process that reused one of their pids. The cgroup is a fake v2 directory in a
 * temporary directory; its cgroup.procs is a file, or a fifo whose read the test serves, so
 * that a pid is reused exactly between the runtime's read of the list and its signal. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "run/cgroup/internal.h"
#include "run/container_internal.h"
#include "tests/unit/skip.h"

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
	/* a kernel with cgroup.kill (5.14): the kill paths write it and do not freeze the
	 * cgroup, whose freeze a plain file would never confirm (a 5 s wait) */
	put("cgroup.kill", "");
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
static pid_t sleeper_in(bool own_mntns)
{
	int ready[2];
	if (pipe(ready) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		if (own_mntns && unshare(CLONE_NEWNS) < 0)
			_exit(1);
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

static pid_t sleeper(void)
{
	return sleeper_in(false);
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
static pid_t sleeper_at_in(pid_t want, bool own_mntns)
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
		pid_t pid = sleeper_in(own_mntns);
		if (pid == want || pid < 0)
			return pid < 0 ? 0 : pid;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return 0;
}

static pid_t sleeper_at(pid_t want)
{
	return sleeper_at_in(want, false);
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
	pid_t reused;	/* 0: the pid could not be reused */
	bool elsewhere; /* reused by a process of another mount namespace (another container) */
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
	r->reused = sleeper_at_in(r->member, r->elsewhere);
	if (rename(r->empty, r->fifo) < 0)
		r->reused = -1;
	close(fd);
	return NULL;
}

/* Run teardown on a fake cgroup whose cgroup.procs lists a member that exits, its pid reused
 * (by a process of another mount namespace when elsewhere), before that read ends. Returns
 * the process that reused the pid, or 0 when the pid could not be reused (then nothing is
 * checked; cg is removed). */
static pid_t race_teardown(oci_cgroup *cg, bool elsewhere, void (*teardown)(oci_cgroup *cg),
			   const char *test)
{
	struct race r = {.member = sleeper(), .elsewhere = elsewhere};
	ck_assert_int_gt(r.member, 0);
	snprintf(r.fifo, sizeof(r.fifo), "%s/cgroup.procs", dir);
	snprintf(r.empty, sizeof(r.empty), "%s/empty", dir);
	ck_assert_int_eq(mkfifo(r.fifo, 0600), 0);
	put("empty", "");
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, serve_procs, &r), 0);
	teardown(cg);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_ge(r.reused, 0);
	if (!r.reused) {
		fprintf(stderr, "skipped: %s: pid %d not reused (needs root for ns_last_pid)\n",
			test, (int)r.member);
		remove_fake(cg);
	}
	return r.reused;
}

static void kill_all_of(oci_cgroup *cg)
{
	/* no init to kill: only the cgroup's processes */
	oci_state st = {.own_pidns = false, .cgroups = cg, .pid = 0, .pid_start = 1};
	oci_container_kill_all(&st, false);
}

START_TEST(test_kill_all_reused_cgroup_pid)
{
	oci_cgroup *cg = fake_cgroup();
	pid_t reused = race_teardown(cg, false, kill_all_of, "test_kill_all_reused_cgroup_pid");
	if (!reused)
		return;
	/* the process that reused the pid outside the cgroup was not signalled */
	reap_spared(reused);
	remove_fake(cg);
}
END_TEST

static oci_error kill_tree_err; /* the last kill_tree_of's */

static void kill_tree_of(oci_cgroup *cg)
{
	oci_err_clear(&kill_tree_err);
	/* the fake directory is no cgroup: not removed */
	(void)oci_cgroup_kill_tree(cg, &kill_tree_err);
}

/* delete's teardown (run/cgroup/untrusted.c) reads cgroup.procs, opens pidfds and checks that
 * none is a process of the host's mount namespace. A member whose pid is reused between that
 * read and the signal by a process of ANOTHER mount namespace (another container) passes that
 * check: it is spared only because a second read, after the pidfds were opened, does not list
 * it. */
START_TEST(test_kill_tree_reused_cgroup_pid)
{
	oci_cgroup *cg = fake_cgroup();
	pid_t reused = race_teardown(cg, true, kill_tree_of, "test_kill_tree_reused_cgroup_pid");
	if (!reused)
		return;
	reap_spared(reused);

	/* still listed by the second read: killed */
	pid_t member = sleeper_in(true);
	ck_assert_int_gt(member, 0);
	char procs[32];
	snprintf(procs, sizeof(procs), "%d\n", (int)member);
	put("cgroup.procs", procs);
	kill_tree_of(cg);
	reap_killed(member);
	remove_fake(cg);
}
END_TEST

/* The same race, the pid reused by a process of the host's mount namespace before the
 * round's check: that process is not in the cgroup (the second read does not list it), and
 * used to make delete refuse the cgroup as the host's, its processes left alive. */
START_TEST(test_kill_tree_host_reuse_before_check)
{
	oci_cgroup *cg = fake_cgroup();
	pid_t reused =
	    race_teardown(cg, false, kill_tree_of, "test_kill_tree_host_reuse_before_check");
	if (!reused)
		return;
	reap_spared(reused);
	ck_assert_msg(!strstr(kill_tree_err.msg, "host's mount namespace"),
		      "a pid reused by a host process refused the cgroup: %s", kill_tree_err.msg);
	remove_fake(cg);
}
END_TEST

/* The pid namespace's init for test_signal_pidns: a process in a new pid namespace (root)
 * that forks one more process into it, then waits; *member gets that one's pid here. 0 when
 * no pid namespace can be made. */
static pid_t pidns_init(pid_t *member)
{
	int ready[2];
	if (pipe(ready) < 0)
		return 0;
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		if (fork() == 0) {
			for (int fd = 3; fd < 1024; fd++)
				close(fd);
			for (;;)
				pause();
		}
		for (int fd = 3; fd < 1024; fd++)
			if (fd != ready[1])
				close(fd);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		close(ready[1]);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c;
	bool ok = pid > 0 && read(ready[0], &c, 1) == 1;
	close(ready[0]);
	if (!ok)
		return 0;
	char path[64], ns[64] = "", other[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	ssize_t l = readlink(path, ns, sizeof(ns) - 1);
	*member = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (l > 0 && d && (de = readdir(d)) && !*member) {
		pid_t p = (pid_t)atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)p);
		ssize_t m = readlink(path, other, sizeof(other) - 1);
		if (p > 0 && p != pid && m == l && !memcmp(ns, other, (size_t)l))
			*member = p;
	}
	if (d)
		closedir(d);
	ck_assert_int_gt(*member, 0);
	return pid;
}

/* /proc as the walk saw it: each of pids listed with the pid namespace link ns. */
static void stale_proc(const char *proc, const char *ns, const pid_t *pids, size_t n)
{
	ck_assert_int_eq(mkdir(proc, 0700), 0);
	for (size_t i = 0; i < n; i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s/%d", proc, (int)pids[i]);
		ck_assert_int_eq(mkdir(p, 0700), 0);
		snprintf(p, sizeof(p), "%s/%d/ns", proc, (int)pids[i]);
		ck_assert_int_eq(mkdir(p, 0700), 0);
		snprintf(p, sizeof(p), "%s/%d/ns/pid", proc, (int)pids[i]);
		ck_assert_int_eq(symlink(ns, p), 0);
	}
}

/* A stale copy of /proc in a new directory (dir), into proc: init, member and host all listed
 * in init's pid namespace. */
static void stale_pidns_proc(pid_t init, pid_t member, pid_t host, char *proc, size_t len)
{
	char ns[64] = "", path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
	ck_assert_int_gt(readlink(path, ns, sizeof(ns) - 1), 0);
	snprintf(dir, sizeof(dir), "/tmp/test_container.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(proc, len, "%s/proc", dir);
	pid_t listed[] = {init, member, host};
	stale_proc(proc, ns, listed, ARRAY_SIZE(listed));
}

/* The end of a test of stale_pidns_proc: host reaped alive, init killed, dir removed. */
static void stale_pidns_done(pid_t init, pid_t host)
{
	reap_spared(host);
	ck_assert_int_eq(kill(init, SIGKILL), 0);
	reap_killed(init);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Whether pid's process (held by pidfd) exits within a few seconds. */
static bool exits(int pidfd)
{
	struct pollfd pf = {.fd = pidfd, .events = POLLIN};
	return poll(&pf, 1, 5000) == 1;
}

/* kill --all without a cgroup walks /proc for the processes of the init's pid namespace. A pid
 * the walk found may be another process's by the time it is signalled (the old one exited,
 * the pid was reused outside the container): the walk here is a stale copy of /proc that
 * lists a host process in the container's namespace. Only a process whose pidfd, opened
 * before the check, shows the container's namespace is signalled. */
START_TEST(test_signal_pidns)
{
	pid_t member = 0, init = pidns_init(&member);
	if (!init) {
		unit_skip("no new pid namespace (needs root)");
		return;
	}
	uint64_t init_start = oci_proc_start_time(init, NULL),
		 member_start = oci_proc_start_time(member, NULL);
	pid_t host = sleeper();
	ck_assert_int_gt(host, 0);
	uint64_t host_start = oci_proc_start_time(host, NULL);
	char proc[128];
	stale_pidns_proc(init, member, host, proc, sizeof(proc));
	int member_fd = (int)syscall(SYS_pidfd_open, member, 0);
	ck_assert_int_ge(member_fd, 0);

	/* the init was recorded with another start time: it is not the container's any more */
	oci_container_signal_pidns(proc, init, init_start + 1, 0, SIGKILL);
	ck_assert(alive(member, member_start));
	ck_assert(alive(host, host_start));

	oci_container_signal_pidns(proc, init, init_start, 0, SIGKILL);
	ck_assert_msg(exits(member_fd), "the namespace's process was not signalled");
	close(member_fd);
	ck_assert(alive(init, init_start)); /* the caller signals the init */
	stale_pidns_done(init, host);
}
END_TEST

/* ps of a container without a cgroup lists the processes of the init's pid namespace. The
 * init's pid, once it exited, may be a host process's: then the namespace read through it is
 * the host's, and ps listed every process of the host as the container's. Here the recorded
 * start time is not the init's (as after such a reuse): nothing is listed. And a pid the walk
 * of /proc (a stale copy here) names in the namespace is listed only when its pidfd agrees. */
START_TEST(test_pidns_pids)
{
	pid_t member = 0, init = pidns_init(&member);
	if (!init) {
		unit_skip("no new pid namespace (needs root)");
		return;
	}
	uint64_t init_start = oci_proc_start_time(init, NULL);
	pid_t host = sleeper();
	ck_assert_int_gt(host, 0);
	char proc[128];
	stale_pidns_proc(init, member, host, proc, sizeof(proc));

	pid_t *pids = NULL;
	size_t n = 9;
	uint64_t pidns = 9;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(
	    oci_container_pidns_pids(proc, init, init_start + 1, 0, &pids, &n, &pidns, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(pidns, 0);
	free(pids);

	ck_assert_int_eq(
	    oci_container_pidns_pids(proc, init, init_start, 0, &pids, &n, &pidns, &err), 0);
	ck_assert_uint_gt(pidns, 0);
	bool has_init = false, has_member = false, has_host = false;
	for (size_t i = 0; i < n; i++) {
		has_init |= pids[i] == init;
		has_member |= pids[i] == member;
		has_host |= pids[i] == host;
	}
	free(pids);
	ck_assert(has_init && has_member);
	/* without PIDFD_GET_PID_NAMESPACE (before Linux 6.11) only /proc can tell */
	int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	int nsfd = self >= 0 ? ioctl(self, _IO(0xFF, 5), 0) : -1;
	if (nsfd >= 0)
		ck_assert_msg(!has_host, "a host process the stale walk named was listed");
	if (nsfd >= 0)
		close(nsfd);
	if (self >= 0)
		close(self);
	stale_pidns_done(init, host);
}
END_TEST

/* n sleepers into pids; the open-file limit into *old; returns the lowest free file number. */
static int sleepers_and_lowest_fd(pid_t *pids, size_t n, struct rlimit *old)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_gt(pids[i] = sleeper(), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, old), 0);
	int lowest = dup(0);
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	return lowest;
}

static int count_batches(void *ctx, oci_pidfds *batch, oci_error *err)
{
	(*(int *)ctx)++;
	return 0;
}

/* oci_pidfds_signal_all (run/state.c; kill --all, the teardowns) holds at most as many pidfds
 * as the open-file limit allows: past it, the processes go to the next batch, none skipped;
 * with not one file left it fails rather than signal nothing silently. */
START_TEST(test_signal_all_past_the_file_limit)
{
	pid_t pids[24];
	struct rlimit old, low;
	int lowest = sleepers_and_lowest_fd(pids, ARRAY_SIZE(pids), &old);

	low = old;
	low.rlim_cur = (rlim_t)lowest; /* no file left */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	int batches = 0;
	oci_error err = OCI_ERROR_INIT;
	long r =
	    oci_pidfds_signal_all(pids, ARRAY_SIZE(pids), SIGKILL, count_batches, &batches, &err);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_eq(r, -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot signal the container's processes"));
	ck_assert_int_eq(batches, 0);
	oci_err_clear(&err);

	low.rlim_cur = (rlim_t)lowest + 6; /* six pidfds, two given back: batches of four */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	r = oci_pidfds_signal_all(pids, ARRAY_SIZE(pids), SIGKILL, count_batches, &batches, &err);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_msg(r == (long)ARRAY_SIZE(pids), "%ld signalled: %s", r, err.msg);
	ck_assert_int_ge(batches, 6); /* more when a file in that range is taken */
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++)
		reap_killed(pids[i]);
}
END_TEST

/* A confirm that reads as the real ones do (a cgroup's list, a /proc entry): it needs files
 * of its own, two at most, while the batch's pidfds are held. */
static int confirm_with_files(void *ctx, oci_pidfds *batch, oci_error *err)
{
	int a = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	int b = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (a < 0 || b < 0)
		(*(int *)ctx)++;
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return 0;
}

/* A batch whose pidfds take exactly the last files (no EMFILE while opening them) used to
 * leave its confirming read without a file: the real reads then list nothing, and the whole
 * batch was dropped unsignalled while kill --all said it succeeded (oci-run kill --all under
 * 'ulimit -n 264' left 256 of 300 processes alive). Every limit around the batch's fill must
 * leave the confirm two files, or fail outright. */
START_TEST(test_signal_all_leaves_files_to_confirm)
{
	pid_t pids[24];
	struct rlimit old, low;
	int lowest = sleepers_and_lowest_fd(pids, ARRAY_SIZE(pids), &old);
	for (int extra = 1; extra <= (int)ARRAY_SIZE(pids) + 3; extra++) {
		low = old;
		low.rlim_cur = (rlim_t)(lowest + extra);
		int starved = 0;
		oci_error err = OCI_ERROR_INIT;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
		long r = oci_pidfds_signal_all(pids, ARRAY_SIZE(pids), 0, confirm_with_files,
					       &starved, &err);
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
		ck_assert_msg(starved == 0, "%d files free: %d confirms found no file to read",
			      extra, starved);
		ck_assert_msg(r == (long)ARRAY_SIZE(pids) || (r < 0 && extra < 3),
			      "%d files free: %ld of %zu signalled: %s", extra, r, ARRAY_SIZE(pids),
			      err.msg);
		oci_err_clear(&err);
	}
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
		ck_assert_int_eq(kill(pids[i], SIGKILL), 0);
		reap_killed(pids[i]);
	}
}
END_TEST

/* The writing end of the fifo at path, once a reader opened it (within 5 s; -1 after). */
static int fifo_writer(const char *path)
{
	for (int i = 0; i < 500; i++) {
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			fcntl(fd, F_SETFL, 0);
			return fd;
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* Three reads of cgroup.procs, each of its own fifo (a new one is renamed into place before
 * the previous read ends, so no read gets another's data): the first (the round's check)
 * and the second (the first batch's confirm) list members and last; while the second read
 * is served, last exits and its pid goes to a process of the host's mount namespace; the
 * third (the second batch's confirm) lists the members only, and every later read an empty
 * file. */
struct later_batch {
	char procs[128], next[128], empty[128];
	const pid_t *members;
	size_t n;
	pid_t last, reused; /* reused: 0 when the pid could not be reused, -1 on a failure */
};

static void write_list(int fd, const pid_t *pids, size_t n)
{
	FILE *f = fdopen(dup(fd), "w");
	for (size_t i = 0; f && i < n; i++)
		fprintf(f, "%d\n", (int)pids[i]);
	if (f)
		fclose(f);
}

static void *serve_later_batch(void *arg)
{
	struct later_batch *b = arg;
	for (int read = 1; read <= 3; read++) {
		int fd = fifo_writer(b->procs);
		if (fd < 0) {
			if (read < 3) /* a third read is not made when the second batch refused */
				b->reused = -1;
			return NULL;
		}
		write_list(fd, b->members, b->n);
		if (read < 3)
			dprintf(fd, "%d\n", (int)b->last);
		if (read == 2) {
			kill(b->last, SIGKILL);
			waitpid(b->last, NULL, 0);
			b->reused = sleeper_at(b->last);
		}
		bool ok = read < 3 ? mkfifo(b->next, 0600) == 0 && rename(b->next, b->procs) == 0
				   : rename(b->empty, b->procs) == 0;
		close(fd);
		if (!ok) {
			b->reused = -1;
			return NULL;
		}
	}
	return NULL;
}

/* delete's teardown signals a cgroup's processes in batches of OCI_PIDFDS_BATCH pidfds. A
 * member that exits after the round's check, its pid taken by a host process before the
 * second batch opens its pidfd, used to make that batch refuse the cgroup as the host's: the
 * first batch killed, the rest of the container left alive, delete moving on to the next
 * candidate. Only a host process still listed after its pidfd was opened refuses a cgroup. */
START_TEST(test_kill_tree_host_reuse_in_later_batch)
{
	unit_skip_unless_root("its members are sleepers in mount namespaces of their own");
	oci_cgroup *cg = fake_cgroup();
	size_t n = OCI_PIDFDS_BATCH + 1;
	pid_t *all = calloc(n, sizeof(pid_t));
	ck_assert_ptr_nonnull(all);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_gt(all[i] = sleeper_in(true), 0); /* a container's mount namespace */
	/* the batches take the pids in ascending order: the last batch holds the largest */
	qsort(all, n, sizeof(pid_t), oci_pid_cmp);
	struct later_batch b = {.members = all, .n = n - 1, .last = all[n - 1]};
	snprintf(b.procs, sizeof(b.procs), "%s/cgroup.procs", dir);
	snprintf(b.next, sizeof(b.next), "%s/next", dir);
	snprintf(b.empty, sizeof(b.empty), "%s/empty", dir);
	ck_assert_int_eq(mkfifo(b.procs, 0600), 0);
	put("empty", "");
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, serve_later_batch, &b), 0);
	oci_error err = OCI_ERROR_INIT;
	(void)oci_cgroup_kill_tree(cg, &err); /* the fake directory is no cgroup: not removed */
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_ge(b.reused, 0);
	if (b.reused > 0)
		reap_spared(b.reused);
	else
		unit_skip("the pid was not reused (ns_last_pid): the refusal is not checked");
	ck_assert_msg(!strstr(err.msg, "host's mount namespace"),
		      "a pid reused after the check refused the cgroup after the first batch "
		      "was killed: %s",
		      err.msg);
	oci_err_clear(&err);
	for (size_t i = 0; i + 1 < n; i++)
		reap_killed(all[i]);
	free(all);
	remove_fake(cg);
}
END_TEST

/* A cgroup.procs that cannot be read (a directory here: open works, read fails with EISDIR)
 * is an error for each reader, never an empty list: kill --all (oci_container_signal_cgroup),
 * the teardowns and delete's kill_tree would take it for a cgroup with nothing left in it and
 * report success with its processes alive. */
START_TEST(test_unreadable_procs_are_an_error)
{
	oci_cgroup *cg = fake_cgroup();
	char p[128];
	snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	pid_t *pids = NULL;
	size_t n = 7;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(oci_cgroup_pids(cg, &pids, &n, &err), -1);
	ck_assert_msg(strstr(err.msg, "cannot tell which processes are left in cgroup") &&
			  strstr(err.msg, "Is a directory"),
		      "%s", err.msg);
	ck_assert_uint_eq(n, 0);
	oci_err_clear(&err);
	size_t found = 7;
	ck_assert_int_eq(oci_container_signal_cgroup(cg, 0, &found, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "cgroup.procs"));
	oci_err_clear(&err);
	ck_assert_int_eq(oci_cgroup_kill_tree(cg, &err), -1);
	ck_assert_msg(strstr(err.msg, "cannot tell which processes are left"), "%s", err.msg);
	oci_err_clear(&err);

	/* a cgroup that is gone (removed since it was listed) has nothing left: no error */
	const char *gone[] = {"/tmp/test_container.gone/x"};
	oci_cgroup *g = oci_cgroup_from_dirs(gone, 1, &err);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(oci_cgroup_pids(g, &pids, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	oci_cgroup_free(g);
	remove_fake(cg);
}
END_TEST

/* The list is read again after a batch's pidfds are opened (to confirm each is still a
 * member): when that read fails, nothing is confirmed and nothing signalled, and kill --all
 * must say so. It used to count it as a batch of processes that had all left: exit 0. */
struct unreadable_later {
	char fifo[128], subdir[128];
	pid_t member;
};

static void *serve_once_then_unreadable(void *arg)
{
	struct unreadable_later *u = arg;
	int fd = open(u->fifo, O_WRONLY | O_CLOEXEC); /* waits for the first read */
	if (fd < 0)
		return NULL;
	dprintf(fd, "%d\n", (int)u->member);
	/* later reads find a directory where the list was */
	if (unlink(u->fifo) < 0 || rename(u->subdir, u->fifo) < 0)
		u->member = -1;
	close(fd);
	return NULL;
}

START_TEST(test_confirm_read_fails)
{
	oci_cgroup *cg = fake_cgroup();
	struct unreadable_later u = {.member = sleeper()};
	ck_assert_int_gt(u.member, 0);
	pid_t member = u.member;
	snprintf(u.fifo, sizeof(u.fifo), "%s/cgroup.procs", dir);
	snprintf(u.subdir, sizeof(u.subdir), "%s/d", dir);
	ck_assert_int_eq(mkfifo(u.fifo, 0600), 0);
	ck_assert_int_eq(mkdir(u.subdir, 0700), 0);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, serve_once_then_unreadable, &u), 0);
	size_t found = 0;
	oci_error err = OCI_ERROR_INIT;
	int r = oci_container_signal_cgroup(cg, SIGKILL, &found, &err);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(u.member, member);
	ck_assert_msg(r == -1, "the confirming read failed, and kill --all said it succeeded");
	ck_assert_msg(strstr(err.msg, "cannot tell which processes are left"), "%s", err.msg);
	oci_err_clear(&err);
	reap_spared(member); /* nothing confirmed: nothing signalled */
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
	tcase_add_test(tc, test_kill_tree_reused_cgroup_pid);
	tcase_add_test(tc, test_kill_tree_host_reuse_before_check);
	tcase_add_test(tc, test_signal_pidns);
	tcase_add_test(tc, test_pidns_pids);
	tcase_add_test(tc, test_signal_all_past_the_file_limit);
	tcase_add_test(tc, test_signal_all_leaves_files_to_confirm);
	tcase_add_test(tc, test_unreadable_procs_are_an_error);
	tcase_add_test(tc, test_confirm_read_fails);
	tcase_add_test(tc, test_kill_tree_host_reuse_in_later_batch);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
