/* Unit tests for run/state.c: container ids, the state root and a container's locked state
 * directory (its mode and owner), state.json written atomically and read back, the status
 * derived from a real child process (created / running / paused / stopped, pid reuse, a
 * zombie), and the state JSON `oci-run state` prints as runc does. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/spec.h"
#include "common/util.h"
#include "run/state.h"
#include "tests/unit/skip.h"

static char tmp[64];
static int tmpfd = -1;

static void setup(void)
{
	umask(0); /* modes below are the code's, not the umask's */
	strcpy(tmp, "/tmp/ocitk-state-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(tmpfd, 0);
}

static void teardown(void)
{
	oci_error err = OCI_ERROR_INIT;
	close(tmpfd);
	oci_remove_tree_at(AT_FDCWD, tmp, &err);
}

static void write_at(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static mode_t mode_at(int dirfd, const char *name)
{
	struct stat sb;
	ck_assert_int_eq(fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW), 0);
	return sb.st_mode & 07777;
}

/* The names in a directory, sorted and space separated. */
static void list_dir(int dirfd, char *out, size_t len)
{
	struct dirent **ents;
	int n = scandirat(dirfd, ".", &ents, NULL, alphasort);
	ck_assert_int_ge(n, 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..")) {
			if (out[0])
				strncat(out, " ", len - strlen(out) - 1);
			strncat(out, ents[i]->d_name, len - strlen(out) - 1);
		}
		free(ents[i]);
	}
	free(ents);
}

START_TEST(test_ids)
{
	static const char *const good[] = {"c", "abc-123", "a.b_c+d-e", "UPPER.lower",
					   "0", "x..y",	   "a."};
	static const char *const bad[] = {"",	 ".",	 "..",	".hidden", "a/b",	 "../x",
					  "a b", "a\tb", "a:b", "a\\b",	   "caf\xc3\xa9"};
	oci_error err = OCI_ERROR_INIT;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(oci_state_check_id(good[i], &err) == 0, "'%s': %s", good[i], err.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		oci_err_clear(&err);
		ck_assert_msg(oci_state_check_id(bad[i], &err) < 0, "'%s' accepted", bad[i]);
		ck_assert_int_eq(err.code, OCI_E_INVALID);
		char want[160];
		snprintf(
		    want, sizeof(want),
		    "invalid container id '%s': use 1 to 1024 letters, digits, '_', '+', '-' or "
		    "'.', not starting with '.'",
		    bad[i]);
		ck_assert_str_eq(err.msg, want);
	}
	/* At most 1024 bytes. */
	char id[1026];
	memset(id, 'a', sizeof(id));
	id[1024] = '\0';
	ck_assert_int_eq(oci_state_check_id(id, &err), 0);
	id[1024] = 'a';
	id[1025] = '\0';
	ck_assert_int_lt(oci_state_check_id(id, &err), 0);
}
END_TEST

START_TEST(test_root)
{
	oci_error err = OCI_ERROR_INIT;
	char root[128];
	snprintf(root, sizeof(root), "%s/run/oci", tmp);
	ck_assert_int_lt(oci_state_open_root(root, false, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);
	char want[160];
	snprintf(want, sizeof(want), "state root '%s' does not exist", root);
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(faccessat(tmpfd, "run", F_OK, 0), -1); /* nothing created */

	int fd = oci_state_open_root(root, true, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert_uint_eq(mode_at(tmpfd, "run/oci"), 0700);
	close(fd);
	fd = oci_state_open_root(root, false, &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
END_TEST

START_TEST(test_container_dir)
{
	oci_error err = OCI_ERROR_INIT;
	int fd = oci_state_create_dir(tmpfd, "c1", &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	/* Another user must not even read a container's state. */
	ck_assert_uint_eq(mode_at(tmpfd, "c1"), 0700);
	/* The open directory is the lock that serialises commands on the container. */
	int other = openat(tmpfd, "c1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(other, 0);
	ck_assert_int_eq(flock(other, LOCK_SH | LOCK_NB), -1);
	ck_assert_int_eq(errno, EWOULDBLOCK);

	ck_assert_int_lt(oci_state_create_dir(tmpfd, "c1", &err), 0);
	ck_assert_int_eq(err.code, OCI_E_EXISTS);
	ck_assert_str_eq(err.msg, "container with id 'c1' already exists");

	close(fd);
	ck_assert_int_eq(flock(other, LOCK_SH | LOCK_NB), 0);
	flock(other, LOCK_UN);
	close(other);

	/* Shared opens share, an exclusive one waits for them. */
	int a = oci_state_open_dir(tmpfd, "c1", false, &err);
	ck_assert_msg(a >= 0, "%s", err.msg);
	int b = oci_state_open_dir(tmpfd, "c1", false, &err);
	ck_assert_msg(b >= 0, "%s", err.msg);
	other = openat(tmpfd, "c1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_eq(flock(other, LOCK_EX | LOCK_NB), -1);
	close(a);
	close(b);
	ck_assert_int_eq(flock(other, LOCK_EX | LOCK_NB), 0);
	/* ... and holds off the next one until it is released. */
	pid_t pid = fork();
	if (pid == 0) {
		oci_error e = OCI_ERROR_INIT;
		close(other); /* the parent's lock stays: it is on the open file, not the fd */
		_exit(oci_state_open_dir(tmpfd, "c1", false, &e) >= 0 ? 0 : 1);
	}
	int status;
	usleep(300 * 1000);
	ck_assert_msg(waitpid(pid, &status, WNOHANG) == 0,
		      "open_dir did not wait for the exclusive lock (status %#x)", status);
	close(other);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);

	ck_assert_int_lt(oci_state_open_dir(tmpfd, "nope", false, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);
	ck_assert_str_eq(err.msg, "container 'nope' does not exist");
	/* A symlink is not followed to someone else's directory, a file is no container. */
	ck_assert_int_eq(symlinkat("c1", tmpfd, "link"), 0);
	ck_assert_int_lt(oci_state_open_dir(tmpfd, "link", false, &err), 0);
	write_at(tmpfd, "file", "x");
	ck_assert_int_lt(oci_state_open_dir(tmpfd, "file", false, &err), 0);
	ck_assert_int_lt(oci_state_check_owner(tmpfd, -1, "file", &err), 0);
	ck_assert_str_eq(err.msg, "container 'file': state is not a directory");
}
END_TEST

/* A state directory that belongs to another user is refused, whoever the caller is. */
START_TEST(test_owner)
{
	oci_error err = OCI_ERROR_INIT;
	if (geteuid() != 0) {
		unit_skip("needs root to give a directory away");
		return;
	}
	int fd = oci_state_create_dir(tmpfd, "theirs", &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(oci_state_check_owner(tmpfd, -1, "theirs", &err), 0);
	ck_assert_int_eq(fchownat(tmpfd, "theirs", 12345, 12345, 0), 0);
	ck_assert_int_lt(oci_state_open_dir(tmpfd, "theirs", true, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_AUTH);
	ck_assert_str_eq(
	    err.msg, "container 'theirs' belongs to uid 12345, not to uid 0: permission denied");
	oci_err_clear(&err);
	ck_assert_int_lt(oci_state_check_owner(tmpfd, -1, "theirs", &err), 0);
	ck_assert_int_eq(err.code, OCI_E_AUTH);
}
END_TEST

static void fill(oci_state *st)
{
	memset(st, 0, sizeof(*st));
	st->id = strdup("c1");
	st->pid = 4321;
	st->pid_start = 12345678901ULL; /* more than 32 bits */
	st->pid_ino = 98765432109ULL;
	st->bundle = strdup("/srv/bundle");
	st->rootfs = strdup("/srv/bundle/rootfs");
	st->created = strdup("2026-12-06T12:00:00.123456789Z");
	st->owner = 1000;
	st->annotations = json_pack("{s:s}", "org.example.key", "value");
	st->hooks = json_pack("{s:[{s:s,s:[s]}]}", "poststop", "path", "/bin/echo", "args", "echo");
	st->own_pidns = true;
}

/* A state.json for an init with that pid and start time, and these cgroups (a JSON list, or
 * NULL): the runtime only ever gets its cgroups from this file. */
static void write_state(pid_t pid, uint64_t start, const char *cgroups)
{
	char text[512];
	snprintf(text, sizeof(text),
		 "{\"id\":\"c1\",\"pid\":%d,\"pid_start\":%llu,\"bundle\":\"/b\","
		 "\"rootfs\":\"/b/rootfs\",\"created\":\"t\"%s%s}",
		 (int)pid, (unsigned long long)start, cgroups ? ",\"cgroups\":" : "",
		 cgroups ? cgroups : "");
	write_at(tmpfd, "state.json", text);
}

START_TEST(test_round_trip)
{
	oci_error err = OCI_ERROR_INIT;
	oci_state st, back;
	fill(&st);
	ck_assert_msg(oci_state_write(tmpfd, &st, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(mode_at(tmpfd, "state.json"), 0600);
	char names[256];
	list_dir(tmpfd, names, sizeof(names));
	ck_assert_str_eq(names, "state.json"); /* no temporary file left */

	ck_assert_msg(oci_state_read(tmpfd, &back, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(back.id, "c1");
	ck_assert_int_eq(back.pid, 4321);
	ck_assert_uint_eq(back.pid_start, 12345678901ULL);
	ck_assert_uint_eq(back.pid_ino, 98765432109ULL);
	ck_assert_str_eq(back.bundle, "/srv/bundle");
	ck_assert_str_eq(back.rootfs, "/srv/bundle/rootfs");
	ck_assert_str_eq(back.created, "2026-12-06T12:00:00.123456789Z");
	ck_assert_uint_eq(back.owner, 1000);
	ck_assert(back.own_pidns);
	ck_assert(json_equal(back.annotations, st.annotations));
	ck_assert(json_equal(back.hooks, st.hooks));
	oci_state_release(&back);
	ck_assert_ptr_null(back.id);

	/* A second write replaces the whole file; optional parts may be absent. */
	json_decref(st.annotations);
	json_decref(st.hooks);
	st.annotations = st.hooks = NULL;
	st.pid = 99;
	st.own_pidns = false;
	ck_assert_int_eq(oci_state_write(tmpfd, &st, &err), 0);
	ck_assert_int_eq(oci_state_read(tmpfd, &back, &err), 0);
	ck_assert_int_eq(back.pid, 99);
	ck_assert(!back.own_pidns);
	ck_assert_ptr_null(back.annotations);
	ck_assert_ptr_null(back.hooks);
	ck_assert_ptr_null(back.cgroups);
	oci_state_release(&back);
	oci_state_release(&st);
	list_dir(tmpfd, names, sizeof(names));
	ck_assert_str_eq(names, "state.json");

	/* The container's cgroup directories survive a read and a write, in order. */
	write_state(0, 0,
		    "[\"/sys/fs/cgroup/pids/oci-run/c1\",\"/sys/fs/cgroup/memory/oci-run/c1\"]");
	ck_assert_int_eq(oci_state_read(tmpfd, &back, &err), 0);
	ck_assert_ptr_nonnull(back.cgroups);
	ck_assert_int_eq(oci_state_write(tmpfd, &back, &err), 0);
	oci_state_release(&back);
	json_t *j = oci_json_load_file_at(tmpfd, "state.json", 1 << 20, &err);
	ck_assert_ptr_nonnull(j);
	char *c = json_dumps(json_object_get(j, "cgroups"), JSON_COMPACT);
	ck_assert_str_eq(
	    c, "[\"/sys/fs/cgroup/pids/oci-run/c1\",\"/sys/fs/cgroup/memory/oci-run/c1\"]");
	free(c);
	json_decref(j);
}
END_TEST

START_TEST(test_read_errors)
{
	oci_error err = OCI_ERROR_INIT;
	oci_state st;
	ck_assert_int_lt(oci_state_read(tmpfd, &st, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "state.json"));
	ck_assert_ptr_null(st.id);
	write_at(tmpfd, "state.json", "{\"id\": \"c1\", \"pid\": 12");
	oci_err_clear(&err);
	ck_assert_int_lt(oci_state_read(tmpfd, &st, &err), 0);
	ck_assert_int_ne(err.code, 0);
	/* Wrongly typed optional parts are dropped, not trusted. */
	write_at(tmpfd, "state.json",
		 "{\"id\":\"c1\",\"pid\":5,\"bundle\":\"/b\",\"rootfs\":\"/b/r\",\"created\":\"t\","
		 "\"annotations\":\"x\",\"hooks\":[],\"cgroups\":{\"a\":1},\"future\":true}");
	ck_assert_int_eq(oci_state_read(tmpfd, &st, &err), 0);
	ck_assert_int_eq(st.pid, 5);
	ck_assert_ptr_null(st.annotations);
	ck_assert_ptr_null(st.hooks);
	ck_assert_ptr_null(st.cgroups);
	oci_state_release(&st);
}
END_TEST

START_TEST(test_write_file)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(mkdirat(tmpfd, "sub", 0755), 0);
	/* --pid-file: a path below the directory, the mode asked for whatever the umask. */
	umask(077);
	ck_assert_msg(oci_write_file_replace(tmpfd, "sub/pid", "42", 2, 0644, &err) == 0, "%s",
		      err.msg);
	ck_assert_uint_eq(mode_at(tmpfd, "sub/pid"), 0644);
	char *text = NULL;
	size_t len = 0;
	ck_assert_int_eq(oci_read_file_at(tmpfd, "sub/pid", 100, &text, &len, &err), 0);
	ck_assert_uint_eq(len, 2);
	ck_assert_int_eq(memcmp(text, "42", 2), 0);
	free(text);
	ck_assert_int_eq(oci_write_file_replace(tmpfd, "sub/pid", "7", 1, 0644, &err), 0);
	ck_assert_int_eq(oci_read_file_at(tmpfd, "sub/pid", 100, &text, &len, &err), 0);
	ck_assert_uint_eq(len, 1);
	free(text);
	char names[256];
	int sub = openat(tmpfd, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	list_dir(sub, names, sizeof(names));
	ck_assert_str_eq(names, "pid");
	close(sub);
	/* A missing directory is an error, nothing is created elsewhere. */
	ck_assert_int_lt(oci_write_file_replace(tmpfd, "nodir/pid", "1", 1, 0644, &err), 0);
	list_dir(tmpfd, names, sizeof(names));
	ck_assert_str_eq(names, "sub");
}
END_TEST

/* --pid-file in a directory someone else can write (/tmp): the state writer's own temporary
 * name was predictable (the runtime's pid), and a hard link planted there to another file was
 * opened, truncated, written with the pid and renamed into place: the file it linked to lost
 * its content. The writer is oci_write_file_replace now (O_EXCL, a random name). */
START_TEST(test_write_file_planted_temp)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(mkdirat(tmpfd, "pub", 01777), 0);
	int pub = openat(tmpfd, "pub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(pub, 0);
	int v = openat(tmpfd, "victim", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(v, 0);
	ck_assert_int_eq(write(v, "precious", 8), 8);
	close(v);
	char planted[64];
	snprintf(planted, sizeof(planted), ".pid.tmp%d", (int)getpid());
	ck_assert_int_eq(linkat(tmpfd, "victim", pub, planted, 0), 0);
	ck_assert_msg(oci_write_file_replace(pub, "pid", "42", 2, 0644, &err) == 0, "%s", err.msg);
	char *text = NULL;
	size_t len = 0;
	ck_assert_int_eq(oci_read_file_at(tmpfd, "victim", 100, &text, &len, &err), 0);
	ck_assert_msg(len == 8 && !memcmp(text, "precious", 8), "the linked file now holds '%.*s'",
		      (int)len, text);
	free(text);
	ck_assert_int_eq(oci_read_file_at(pub, "pid", 100, &text, &len, &err), 0);
	ck_assert_int_eq(memcmp(text, "42", 2), 0);
	free(text);
	close(pub);
}
END_TEST

START_TEST(test_load)
{
	oci_error err = OCI_ERROR_INIT;
	oci_state st, back;
	char root[128];
	snprintf(root, sizeof(root), "%s/root", tmp);
	/* No root yet: the user asked about a container, not about a root. */
	ck_assert_int_lt(oci_state_load(root, "c1", false, NULL, &st, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);
	ck_assert_str_eq(err.msg, "container 'c1' does not exist");
	ck_assert_int_lt(oci_state_load(root, "../c1", false, NULL, &st, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_str_eq(err.msg, "invalid container id '../c1': use 1 to 1024 letters, digits, "
				  "'_', '+', '-' or '.', not starting with '.'");

	int rootfd = oci_state_open_root(root, true, &err);
	ck_assert_int_ge(rootfd, 0);
	ck_assert_int_lt(oci_state_load(root, "c1", false, NULL, &st, &err), 0);
	ck_assert_str_eq(err.msg, "container 'c1' does not exist");
	int dirfd = oci_state_create_dir(rootfd, "c1", &err);
	ck_assert_int_ge(dirfd, 0);
	fill(&st);
	ck_assert_int_eq(oci_state_write(dirfd, &st, &err), 0);
	close(dirfd);
	int rfd = -1;
	dirfd = oci_state_load(root, "c1", true, &rfd, &back, &err);
	ck_assert_msg(dirfd >= 0, "%s", err.msg);
	ck_assert_int_ge(rfd, 0);
	ck_assert_str_eq(back.bundle, "/srv/bundle");
	/* Loaded exclusively: the directory is locked. */
	int other = openat(rootfd, "c1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_eq(flock(other, LOCK_SH | LOCK_NB), -1);
	close(other);
	oci_state_release(&back);
	close(dirfd);
	close(rfd);

	/* An unreadable state names the container. */
	ck_assert_int_eq(unlinkat(rootfd, "c1/state.json", 0), 0);
	ck_assert_int_lt(oci_state_load(root, "c1", false, NULL, &back, &err), 0);
	ck_assert_msg(!strncmp(err.msg, "container 'c1': ", 16), "%s", err.msg);
	oci_state_release(&st);
	close(rootfd);
}
END_TEST

/* A child that lives until *wake is closed, renamed to name when name is not NULL. */
static pid_t spawn(int *wake, const char *name)
{
	int p[2], ready[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pipe(ready), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[1]);
		close(ready[0]);
		if (name)
			prctl(PR_SET_NAME, name);
		close(ready[1]);
		char c;
		while (read(p[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	close(ready[1]);
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 0);
	close(ready[0]);
	*wake = p[1];
	return pid;
}

/* Let the child exit and wait until it is a zombie (not reaped). */
static void let_exit(pid_t pid, int wake)
{
	close(wake);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	ck_assert_int_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
}

/* Clock ticks since boot, as /proc/PID/stat counts a start time. */
static uint64_t now_ticks(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	long hz = sysconf(_SC_CLK_TCK);
	return (uint64_t)ts.tv_sec * (uint64_t)hz + (uint64_t)ts.tv_nsec / (1000000000 / hz) + 1;
}

START_TEST(test_proc_start_time)
{
	bool zombie = true;
	uint64_t self = oci_proc_start_time(getpid(), &zombie);
	ck_assert_uint_gt(self, 0);
	ck_assert(!zombie);
	ck_assert_uint_le(self, now_ticks());
	ck_assert_uint_eq(oci_proc_start_time(0, &zombie), 0);
	ck_assert_uint_eq(oci_proc_start_time(-1, NULL), 0);

	/* A command name with spaces and parentheses must not shift the fields. */
	int wake;
	pid_t pid = spawn(&wake, "a) b c (d) e f");
	char comm[64] = "";
	snprintf(comm, sizeof(comm), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(comm, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(comm, sizeof(comm), f));
	fclose(f);
	ck_assert_str_eq(comm, "a) b c (d) e f\n");
	uint64_t start = oci_proc_start_time(pid, &zombie);
	ck_assert_uint_ge(start, self);
	ck_assert_uint_le(start, now_ticks());
	ck_assert(!zombie);
	/* Stable: the same process gives the same time. */
	ck_assert_uint_eq(oci_proc_start_time(pid, NULL), start);

	let_exit(pid, wake);
	ck_assert_uint_eq(oci_proc_start_time(pid, &zombie), start);
	ck_assert(zombie);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_uint_eq(oci_proc_start_time(pid, &zombie), 0);
	ck_assert(!zombie);
}
END_TEST

/* Whether pid is a live process (not gone, not a zombie) that started at start. */
static bool alive(pid_t pid, uint64_t start)
{
	bool zombie;
	return oci_proc_start_time(pid, &zombie) == start && !zombie;
}

/* oci_proc_signal signals a pid only while it is the process that started at the recorded
 * time: never another process that reused the pid. */
/* The command name is the process's to choose (prctl PR_SET_NAME, or its file's name): a
 * ") " or a newline in it must not move the fields read after it. */
START_TEST(test_proc_stat_start)
{
	const char *tail = " S 1 1 1 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1 2\n";
	char buf[256];
	bool zombie = true;
	snprintf(buf, sizeof(buf), "4242 (sleep)%s", tail);
	ck_assert_uint_eq(oci_proc_stat_start(buf, &zombie), 987654);
	ck_assert(!zombie);
	/* a name that plays a whole stat line, with a start time of its own */
	snprintf(buf, sizeof(buf), "4242 (x) Z 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 \n)%s",
		 tail);
	char *st = strrchr(buf, ')') + 2;
	*st = 'Z';
	ck_assert_uint_eq(oci_proc_stat_start(buf, &zombie), 987654);
	ck_assert(zombie);
	/* cut short, a start time that is not a number, or no name at all: nothing */
	snprintf(buf, sizeof(buf), "4242 (sleep) S 1 1 1");
	ck_assert_uint_eq(oci_proc_stat_start(buf, &zombie), 0);
	ck_assert(!zombie);
	snprintf(buf, sizeof(buf), "4242 (sleep) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 1\n");
	ck_assert_uint_eq(oci_proc_stat_start(buf, &zombie), 0);
	snprintf(buf, sizeof(buf), "4242 (sleep) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12ab 1\n");
	ck_assert_uint_eq(oci_proc_stat_start(buf, &zombie), 0);
	ck_assert_uint_eq(oci_proc_stat_start("4242 sleep S 1", &zombie), 0);
	ck_assert_uint_eq(oci_proc_stat_start("", &zombie), 0);
	ck_assert_uint_eq(oci_proc_stat_start("4242 (x)", &zombie), 0);
}
END_TEST

START_TEST(test_proc_signal)
{
	int wake;
	pid_t pid = spawn(&wake, NULL);
	uint64_t start = oci_proc_start_time(pid, NULL);
	ck_assert_uint_gt(start, 0);

	/* recorded with another start time: another process has the pid now */
	errno = 0;
	ck_assert_int_eq(oci_proc_signal(pid, start + 1, 0, SIGKILL), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert(alive(pid, start));
	ck_assert_int_eq(oci_proc_signal(0, 0, 0, SIGKILL), -1);
	ck_assert_int_eq(oci_proc_signal(pid, start, 0, 0), 0);
	ck_assert(alive(pid, start));

	/* exited and reaped: gone (a reused pid is tested by test_run_container.c) */
	let_exit(pid, wake);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	errno = 0;
	ck_assert_int_eq(oci_proc_signal(pid, start, 0, SIGKILL), -1);
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

/* A pid reused within the clock tick in which the recorded init started has the init's
 * start time: the start time cannot tell them apart. The state's pid_ino (the init's pidfd
 * inode on pidfs, unique per process for the boot) does: a state naming an impostor's pid
 * and start time with the init's inode is refused by status, signal and the identity check;
 * a state without pid_ino (written before it was recorded) keeps the start time alone. */
START_TEST(test_pidfs_identity)
{
	int wake, wake_init;
	pid_t init = spawn(&wake_init, NULL);
	uint64_t init_ino = oci_proc_ino(init);
	if (!init_ino) {
		let_exit(init, wake_init);
		waitpid(init, NULL, 0);
		unit_skip("no pidfs (Linux before 6.9)");
		return;
	}
	ck_assert_uint_eq(oci_proc_ino(init), init_ino); /* stable */
	pid_t impostor = spawn(&wake, NULL);
	uint64_t start = oci_proc_start_time(impostor, NULL);
	ck_assert_uint_gt(start, 0);
	uint64_t ino = oci_proc_ino(impostor);
	ck_assert_uint_gt(ino, 0);
	ck_assert_uint_ne(ino, init_ino);

	/* the state as if the init's pid went to impostor within its start's tick */
	char text[512];
	snprintf(text, sizeof(text),
		 "{\"id\":\"c1\",\"pid\":%d,\"pid_start\":%llu,\"pid_ino\":%llu,\"bundle\":"
		 "\"/b\",\"rootfs\":\"/b/rootfs\",\"created\":\"t\"}",
		 (int)impostor, (unsigned long long)start, (unsigned long long)init_ino);
	write_at(tmpfd, "state.json", text);
	oci_state st;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(oci_state_read(tmpfd, &st, &err) == 0, "%s", err.msg);
	ck_assert_msg(oci_state_status(tmpfd, &st) == OCI_STATUS_STOPPED,
		      "an impostor with the init's pid and start time passed for the init: %s",
		      oci_status_name(oci_state_status(tmpfd, &st)));
	ck_assert(!oci_proc_is(st.pid, st.pid_start, st.pid_ino, NULL));
	errno = 0;
	ck_assert_int_eq(oci_proc_signal(st.pid, st.pid_start, st.pid_ino, SIGKILL), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert(alive(impostor, start));
	oci_state_release(&st);

	/* its own inode: it is the init */
	ck_assert(oci_proc_is(impostor, start, ino, NULL));
	ck_assert_int_eq(oci_proc_signal(impostor, start, ino, 0), 0);
	/* an older state without pid_ino: the start time alone decides */
	write_state(impostor, start, NULL);
	ck_assert_msg(oci_state_read(tmpfd, &st, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(st.pid_ino, 0);
	ck_assert_int_eq(oci_state_status(tmpfd, &st), OCI_STATUS_RUNNING);
	oci_state_release(&st);

	let_exit(impostor, wake);
	ck_assert_int_eq(waitpid(impostor, NULL, 0), impostor);
	let_exit(init, wake_init);
	ck_assert_int_eq(waitpid(init, NULL, 0), init);
}
END_TEST

/* The status of the container write_state() describes. */
static const char *status_with(pid_t pid, uint64_t start, const char *cgroups)
{
	oci_state st;
	oci_error err = OCI_ERROR_INIT;
	write_state(pid, start, cgroups);
	ck_assert_msg(oci_state_read(tmpfd, &st, &err) == 0, "%s", err.msg);
	const char *name = oci_status_name(oci_state_status(tmpfd, &st));
	oci_state_release(&st);
	return name;
}

START_TEST(test_status)
{
	int wake;
	pid_t pid = spawn(&wake, NULL);
	uint64_t start = oci_proc_start_time(pid, NULL);
	ck_assert_uint_gt(start, 0);

	/* The init waits on exec.fifo until `start`: created; then running. */
	ck_assert_int_eq(mkfifoat(tmpfd, "exec.fifo", 0600), 0);
	ck_assert_str_eq(status_with(pid, start, NULL), "created");
	ck_assert_int_eq(unlinkat(tmpfd, "exec.fifo", 0), 0);
	ck_assert_str_eq(status_with(pid, start, NULL), "running");

	/* Frozen cgroups make it paused, created or not (cgroup v1 and v2 files). */
	ck_assert_int_eq(mkdirat(tmpfd, "v1", 0755), 0);
	ck_assert_int_eq(mkdirat(tmpfd, "v2", 0755), 0);
	write_at(tmpfd, "v2/cgroup.controllers", "pids\n");
	char v1[128], v2[128];
	snprintf(v1, sizeof(v1), "[\"%s/v1\"]", tmp);
	snprintf(v2, sizeof(v2), "[\"%s/v2\"]", tmp);
	write_at(tmpfd, "v1/freezer.state", "THAWED\n");
	ck_assert_str_eq(status_with(pid, start, v1), "running");
	write_at(tmpfd, "v1/freezer.state", "FROZEN\n");
	ck_assert_str_eq(status_with(pid, start, v1), "paused");
	ck_assert_int_eq(mkfifoat(tmpfd, "exec.fifo", 0600), 0);
	ck_assert_str_eq(status_with(pid, start, v1), "paused");
	write_at(tmpfd, "v2/cgroup.freeze", "0\n");
	ck_assert_str_eq(status_with(pid, start, v2), "created");
	write_at(tmpfd, "v2/cgroup.freeze", "1\n");
	ck_assert_str_eq(status_with(pid, start, v2), "paused");

	/* The same pid with another start time is another process: stopped. */
	ck_assert_str_eq(status_with(pid, start + 1, v2), "stopped");
	ck_assert_str_eq(status_with(pid, start, v2), "paused");

	/* An exited init is stopped, reaped or not, whatever else is still there. */
	let_exit(pid, wake);
	ck_assert_str_eq(status_with(pid, start, v2), "stopped");
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_str_eq(status_with(pid, start, v2), "stopped");
	ck_assert_str_eq(status_with(0, 0, NULL), "stopped");
}
END_TEST

START_TEST(test_status_names)
{
	ck_assert_str_eq(oci_status_name(OCI_STATUS_CREATING), "creating");
	ck_assert_str_eq(oci_status_name(OCI_STATUS_CREATED), "created");
	ck_assert_str_eq(oci_status_name(OCI_STATUS_RUNNING), "running");
	ck_assert_str_eq(oci_status_name(OCI_STATUS_STOPPED), "stopped");
	ck_assert_str_eq(oci_status_name(OCI_STATUS_PAUSED), "paused");
	ck_assert_str_eq(oci_status_name(42), "stopped");
}
END_TEST

/* The keys of an object, sorted and space separated. */
static void keys_of(json_t *j, char *out, size_t len)
{
	json_t *arr = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) json_array_append_new(arr, json_string(k));
	out[0] = '\0';
	/* a few keys: a selection sort is enough */
	while (json_array_size(arr)) {
		size_t best = 0;
		for (size_t i = 1; i < json_array_size(arr); i++)
			if (strcmp(json_string_value(json_array_get(arr, i)),
				   json_string_value(json_array_get(arr, best))) < 0)
				best = i;
		if (out[0])
			strncat(out, " ", len - strlen(out) - 1);
		strncat(out, json_string_value(json_array_get(arr, best)), len - strlen(out) - 1);
		json_array_remove(arr, best);
	}
	json_decref(arr);
}

START_TEST(test_state_json)
{
	oci_state st;
	char keys[256];
	fill(&st);
	json_t *j = oci_state_to_json(&st, OCI_STATUS_RUNNING, false, "alice");
	ck_assert_ptr_nonnull(j);
	/* runc's keys and nothing of ours (pid_start, hooks, cgroups stay private). */
	keys_of(j, keys, sizeof(keys));
	ck_assert_str_eq(keys, "annotations bundle created id ociVersion owner pid rootfs status");
	ck_assert_str_eq(json_string_value(json_object_get(j, "ociVersion")),
			 OCI_RUNTIME_SPEC_VERSION);
	ck_assert_str_eq(json_string_value(json_object_get(j, "id")), "c1");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "pid")), 4321);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "running");
	ck_assert_str_eq(json_string_value(json_object_get(j, "bundle")), "/srv/bundle");
	ck_assert_str_eq(json_string_value(json_object_get(j, "rootfs")), "/srv/bundle/rootfs");
	ck_assert_str_eq(json_string_value(json_object_get(j, "created")),
			 "2026-12-06T12:00:00.123456789Z");
	ck_assert(json_equal(json_object_get(j, "annotations"), st.annotations));
	/* `state` prints owner "" as runc does; `list` names the owner. */
	ck_assert_str_eq(json_string_value(json_object_get(j, "owner")), "");
	json_decref(j);
	j = oci_state_to_json(&st, OCI_STATUS_CREATED, true, "alice");
	ck_assert_str_eq(json_string_value(json_object_get(j, "owner")), "alice");
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "created");
	json_decref(j);

	/* A stopped container has no pid (its number may be someone else's by now). */
	j = oci_state_to_json(&st, OCI_STATUS_STOPPED, false, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "pid")), 0);
	ck_assert(json_is_integer(json_object_get(j, "pid")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "stopped");
	json_decref(j);

	/* No annotations key when there are none. */
	json_object_clear(st.annotations);
	j = oci_state_to_json(&st, OCI_STATUS_PAUSED, false, NULL);
	keys_of(j, keys, sizeof(keys));
	ck_assert_str_eq(keys, "bundle created id ociVersion owner pid rootfs status");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "pid")), 4321);
	json_decref(j);
	oci_state_release(&st);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_state");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_proc_stat_start);
	tcase_add_test(tc, test_root);
	tcase_add_test(tc, test_container_dir);
	tcase_add_test(tc, test_owner);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_read_errors);
	tcase_add_test(tc, test_write_file);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_proc_start_time);
	tcase_add_test(tc, test_proc_signal);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_pidfs_identity);
	tcase_add_test(tc, test_status_names);
	tcase_add_test(tc, test_state_json);
	tcase_add_test(tc, test_write_file_planted_temp);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
