/* Unit tests for run/seccomp.c and the typed profile of common/spec_seccomp.c: profiles parsed,
 * compiled and loaded into a real child (errno rules, argument conditions with runc's
 * same-argument rule, MASKED_EQ, the -ENOSYS stub for syscalls newer than the profile, a
 * notify fd), the BPF cache under a state root (hit, canonical key of the typed profile,
 * tampered or foreign files ignored, bounded size), and the errors of bad profiles naming
 * their JSON path. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "run/seccomp.h"

/* qemu-user does not let the program it emulates install a seccomp filter (the emulator's own
 * system calls would be filtered): seccomp(2) is ENOSYS there, and libseccomp then refuses the
 * actions above its base API level (KILL_PROCESS) too. The checks that load a filter need a
 * kernel of the program's architecture (a real machine or a system VM); under the emulator
 * they say so on stderr and stop. On a native kernel with seccomp this is always false. */
static bool seccomp_emulated(void)
{
	unsigned int act = SECCOMP_RET_ALLOW;
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &act) == 0 || errno != ENOSYS)
		return false;
	fprintf(stderr, "not run under emulation: seccomp(2) is not implemented (qemu-user), no "
			"filter can be loaded\n");
	return true;
}

/* The architectures a profile for this machine lists (as runc's default profile does); the
 * cache key and the generated program depend on them. */
#if defined(__x86_64__)
#define ARCHS "\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\""
#elif defined(__aarch64__)
#define ARCHS "\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_ARM\""
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARCHS "\"SCMP_ARCH_PPC64LE\""
#elif defined(__s390x__)
#define ARCHS "\"SCMP_ARCH_S390X\",\"SCMP_ARCH_S390\""
#else
#error "test_run_seccomp: list this machine's SCMP_ARCH_* names in ARCHS"
#endif

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
	return j;
}

/* Parse the JSON profile s into its typed model and compile that (root: the cache, or -1). */
static int compile(const char *s, int root, oci_seccomp *sc, oci_error *err)
{
	json_t *j = parse(s);
	oci_config_seccomp *t = NULL;
	memset(sc, 0, sizeof(*sc));
	int r = oci_spec_seccomp_parse(j, &t, err);
	json_decref(j);
	if (r == 0)
		r = oci_seccomp_compile(t, root, sc, err);
	oci_spec_seccomp_free(t);
	return r;
}

/* Compile s (no cache), load it in a child with no_new_privs, run fn there; returns fn's
 * result (the child's exit status), or -1 on a compile error (message in err). */
static int in_child(const char *s, int (*fn)(void), oci_error *err)
{
	oci_seccomp sc;
	if (compile(s, -1, &sc, err) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		oci_error e = OCI_ERROR_INIT;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    oci_seccomp_load(&sc, NULL, &e) < 0)
			_exit(200);
		/* exit_group itself: the sanitizers' _exit makes calls of its own first
		 * (sigaltstack), which a strict profile refuses, and dies with status 1 */
		syscall(SYS_exit_group, fn());
		_exit(201);
	}
	int st;
	waitpid(pid, &st, 0);
	oci_seccomp_release(&sc);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int try_mkdir(void)
{
	char d[] = "/tmp/test_run_seccomp.XXXXXX";
	if (!mkdtemp(d))
		return errno;
	char sub[64];
	snprintf(sub, sizeof(sub), "%s/x", d);
	int r = mkdir(sub, 0700) < 0 ? errno : 0;
	rmdir(sub);
	rmdir(d);
	return r;
}

START_TEST(test_errno_rules)
{
	if (seccomp_emulated())
		return;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
				  "\"mkdir\",\"mkdirat\"],"
				  "\"action\":\"SCMP_ACT_ERRNO\"}]}",
				  try_mkdir, &err),
			 EPERM);
	ck_assert_int_eq(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
				  "\"mkdir\",\"mkdirat\"],"
				  "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":28}]}",
				  try_mkdir, &err),
			 ENOSPC);
	/* unknown names skipped; a rule repeating the default action is dropped, not an error */
	ck_assert_int_eq(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
				  "\"nope_nope\",\"mkdir\","
				  "\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5},{"
				  "\"names\":[\"getpid\"],"
				  "\"action\":\"SCMP_ACT_ALLOW\"}]}",
				  try_mkdir, &err),
			 EIO);
	ck_assert_int_eq(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", try_mkdir, &err), 0);
}
END_TEST

static int try_personality(void)
{
	/* bit 0: personality(PER_LINUX32) refused, bit 1: personality(PER_LINUX) refused */
	int r = 0;
	if (personality(PER_LINUX32) < 0)
		r |= 1;
	if (personality(PER_LINUX) < 0)
		r |= 2;
	return r;
}

START_TEST(test_arg_conditions)
{
	if (seccomp_emulated())
		return;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(
	    in_child(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_"
		"CMP_EQ\"}]}]}",
		try_personality, &err),
	    1);
	/* same index twice: two rules, either blocks */
	ck_assert_int_eq(
	    in_child(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_"
		"CMP_EQ\"},"
		"{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		try_personality, &err),
	    3);
	/* MASKED_EQ: value is the mask, valueTwo the value: (arg & 0xff) == 8 */
	ck_assert_int_eq(
	    in_child(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":255,\"valueTwo\":8,"
		"\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
		try_personality, &err),
	    1);
	/* GT: anything above 0 */
	ck_assert_int_eq(
	    in_child(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_"
		"CMP_GT\"}]}]}",
		try_personality, &err),
	    1);
}
END_TEST

static int do_mkdir_killed(void)
{
	try_mkdir();
	return 0;
}

START_TEST(test_kill)
{
	if (seccomp_emulated())
		return;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
				  "\"mkdir\",\"mkdirat\"],"
				  "\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
				  do_mkdir_killed, &err),
			 128 + SIGSYS);
}
END_TEST

static int try_clone3(void)
{
	/* a NULL clone_args of size 0: the kernel itself says EINVAL, a filter says otherwise */
	return syscall(SYS_clone3, NULL, 0) < 0 ? errno : 0;
}

START_TEST(test_enosys_stub)
{
	if (seccomp_emulated())
		return;
	oci_error err = OCI_ERROR_INIT;
	/* default errno, a profile that knows nothing above exit_group: clone3 is newer than the
	 * profile, so ENOSYS (libc falls back to clone), while an older unlisted syscall gets the
	 * default's EPERM */
	const char *old = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[" ARCHS
			  "],\"syscalls\":[{\"names\":[\"exit_group\",\"exit\"],\"action\":"
			  "\"SCMP_ACT_ALLOW\"}]}";
	ck_assert_int_eq(in_child(old, try_clone3, &err), ENOSYS);
	ck_assert_int_eq(in_child(old, try_mkdir, &err), EPERM);
	/* clone3 listed: it keeps its action */
	ck_assert_int_eq(
	    in_child(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"exit_group\"],"
		"\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_"
		"ERRNO\",\"errnoRet\":13}]}",
		try_clone3, &err),
	    EACCES);
	/* a profile that knows a later syscall (faccessat2): clone3 is just unlisted, EPERM */
	ck_assert_int_eq(
	    in_child(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"exit_group\","
		"\"faccessat2\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
		try_clone3, &err),
	    EPERM);
	/* a permissive default needs no stub: the kernel answers */
	ck_assert_int_eq(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
				  "\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
				  try_clone3, &err),
			 EINVAL);
	/* a killing default: newer syscalls get ENOSYS too (runc's rule), older ones are killed */
	ck_assert_int_eq(in_child("{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"syscalls\":[{"
				  "\"names\":[\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
				  try_clone3, &err),
			 ENOSYS);
}
END_TEST

static int notify_fd_given(void)
{
	return 0;
}

START_TEST(test_notify_fd)
{
	if (seccomp_emulated())
		return;
	oci_error err = OCI_ERROR_INIT;
	oci_seccomp sc;
	ck_assert_msg(compile("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/a\","
			      "\"listenerMetadata\":\"m\",\"syscalls\":[{\"names\":[\"mkdir\"],"
			      "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
			      -1, &sc, &err) == 0,
		      "%s", err.msg);
	ck_assert(sc.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
	pid_t pid = fork();
	if (pid == 0) {
		oci_error e = OCI_ERROR_INIT;
		int fd = -1;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    oci_seccomp_load(&sc, &fd, &e) < 0)
			_exit(200);
		char link[64], target[128] = "";
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if (fd < 0 || readlink(link, target, sizeof(target) - 1) < 0 ||
		    !strstr(target, "seccomp"))
			_exit(1);
		_exit(notify_fd_given());
	}
	int st;
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	oci_seccomp_release(&sc);
}
END_TEST

/* compile with a cache in root; returns 0 and fills sc */
static void compile_cached(const char *s, int root, oci_seccomp *sc)
{
	oci_error err = OCI_ERROR_INIT;
	ck_assert_msg(compile(s, root, sc, &err) == 0, "%s", err.msg);
}

static int count_entries(int root)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d/" OCI_SECCOMP_CACHE_DIR, root);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static const char *PROFILE =
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,\"architectures\":"
    "[" ARCHS "],\"syscalls\":[{\"names\":"
    "[\"read\",\"write\",\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";
/* the same profile, keys in another order */
static const char *PROFILE2 =
    "{\"syscalls\":[{\"action\":\"SCMP_ACT_ALLOW\",\"names\":[\"read\",\"write\","
    "\"exit_group\"]}],\"architectures\":[" ARCHS
    "],\"defaultErrnoRet\":38,\"defaultAction\":\"SCMP_ACT_ERRNO\"}";

START_TEST(test_cache)
{
	char dir[] = "/tmp/test_run_seccomp.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	int root = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(root, 0);
	oci_seccomp a, b, c, nocache;
	oci_error err = OCI_ERROR_INIT;
	ck_assert_int_eq(compile(PROFILE, -1, &nocache, &err), 0);

	compile_cached(PROFILE, root, &a);
	ck_assert_int_eq(count_entries(root), 1);
	ck_assert_int_eq(a.len, nocache.len);
	ck_assert(!memcmp(a.insns, nocache.insns, a.len * sizeof(*a.insns)));

	/* a hit (key order does not matter) gives the same program */
	compile_cached(PROFILE2, root, &b);
	ck_assert_int_eq(count_entries(root), 1);
	ck_assert_int_eq(b.len, a.len);
	ck_assert(!memcmp(b.insns, a.insns, a.len * sizeof(*a.insns)));

	/* find the file; its mode is 0600 */
	char path[256];
	snprintf(path, sizeof(path), "%s/" OCI_SECCOMP_CACHE_DIR, dir);
	DIR *d = opendir(path);
	struct dirent *de;
	char file[512] = "";
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
	closedir(d);
	struct stat st;
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	/* a tampered program (a write of its first instruction turned into "return ALLOW") is
	 * not trusted when the file is writable by others */
	ck_assert_int_eq(chmod(file, 0666), 0);
	int fd = open(file, O_WRONLY);
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	ck_assert_int_eq(
	    pwrite(fd, &allow, sizeof(allow), st.st_size - (off_t)(a.len * sizeof(allow))),
	    sizeof(allow));
	close(fd);
	compile_cached(PROFILE, root, &c);
	ck_assert(!memcmp(c.insns, nocache.insns, a.len * sizeof(*a.insns)));
	oci_seccomp_release(&c);
	/* rewritten as ours again */
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	/* a file of ours whose key text differs (another profile under the same name) is a
	 * miss, whatever program it holds */
	fd = open(file, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, "X", 1, OCI_SECCOMP_CACHE_MAGIC_LEN + 3), 1);
	ck_assert_int_eq(
	    pwrite(fd, &allow, sizeof(allow), st.st_size - (off_t)(a.len * sizeof(allow))),
	    sizeof(allow));
	close(fd);
	compile_cached(PROFILE, root, &c);
	ck_assert(!memcmp(c.insns, nocache.insns, a.len * sizeof(*a.insns)));
	oci_seccomp_release(&c);

	/* a truncated program is a miss */
	ck_assert_int_eq(truncate(file, st.st_size - 3), 0);
	compile_cached(PROFILE, root, &c);
	ck_assert_int_eq(c.len, nocache.len);
	ck_assert(!memcmp(c.insns, nocache.insns, a.len * sizeof(*a.insns)));
	oci_seccomp_release(&c);

	/* bounded: a full cache is emptied before the next entry */
	for (int i = 0; i < OCI_SECCOMP_CACHE_MAX; i++) {
		char f[600];
		snprintf(f, sizeof(f), "%s/junk%d", path, i);
		close(open(f, O_WRONLY | O_CREAT, 0600));
	}
	ck_assert_int_eq(count_entries(root), OCI_SECCOMP_CACHE_MAX + 1);
	compile_cached(
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":"
	    "\"SCMP_ACT_ERRNO\"}]}",
	    root, &c);
	oci_seccomp_release(&c);
	ck_assert_int_eq(count_entries(root), 1);

	oci_seccomp_release(&a);
	oci_seccomp_release(&b);
	oci_seccomp_release(&nocache);
	oci_remove_tree_at(AT_FDCWD, dir, NULL);
	close(root);
}
END_TEST

static void assert_error(const char *profile, const char *msg)
{
	oci_error err = OCI_ERROR_INIT;
	oci_seccomp sc;
	ck_assert_int_eq(compile(profile, -1, &sc, &err), -1);
	ck_assert_msg(strstr(err.msg, msg) != NULL, "'%s' does not contain '%s'", err.msg, msg);
	ck_assert_ptr_null(sc.insns);
}

START_TEST(test_errors)
{
	assert_error("[]", "linux.seccomp: expected an object");
	assert_error("{}", "linux.seccomp.defaultAction: missing");
	assert_error("{\"defaultAction\":1}", "linux.seccomp.defaultAction: expected a string");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
		     "linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW takes no errno");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":4096}",
		     "linux.seccomp.defaultErrnoRet: 4096 out of range (0 to 4095)");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":\"1\"}",
		     "linux.seccomp.defaultErrnoRet: expected an unsigned integer");
	assert_error("{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/x\"}",
		     "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\"}",
		     "linux.seccomp.listenerPath: no syscall has SCMP_ACT_NOTIFY");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
		     "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		     "linux.seccomp.listenerPath: missing");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"\",\"syscalls\":[{"
		     "\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		     "linux.seccomp.listenerPath: empty");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":7}",
		     "linux.seccomp.listenerPath: expected a string");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\",\"syscalls\":[{"
		     "\"names\":[\"sendmsg\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		     "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for sendmsg");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
		     "\"action\":\"SCMP_ACT_NOTIFY\",\"errnoRet\":1}]}",
		     "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_NOTIFY takes no errno");
	assert_error(
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_"
	    "RECV\"]}",
	    "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs an "
	    "SCMP_ACT_NOTIFY "
	    "rule");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":\"SECCOMP_FILTER_FLAG_LOG\"}",
		     "linux.seccomp.flags: expected an array");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"x86_64\"]}",
		     "linux.seccomp.architectures[0]: unknown architecture 'x86_64'");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
		     "linux.seccomp.syscalls: expected an array");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[1]}",
		     "linux.seccomp.syscalls[0]: expected an object");
	assert_error(
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}",
	    "linux.seccomp.syscalls[0].names: missing");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\",2],"
		     "\"action\":\"SCMP_ACT_ERRNO\"}]}",
		     "linux.seccomp.syscalls[0].names[1]: expected a string");
	assert_error(
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"]}]}",
	    "linux.seccomp.syscalls[0].action: missing");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
		     "\"action\":\"SCMP_ACT_ERRNO\","
		     "\"args\":{}}]}",
		     "linux.seccomp.syscalls[0].args: expected an array");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
		     "\"action\":\"SCMP_ACT_ERRNO\","
		     "\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		     "linux.seccomp.syscalls[0].args[0].value: missing");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
		     "\"action\":\"SCMP_ACT_ERRNO\","
		     "\"args\":[{\"index\":0,\"value\":-1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		     "linux.seccomp.syscalls[0].args[0].value: -1 out of range");
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
		     "\"action\":\"SCMP_ACT_ERRNO\","
		     "\"args\":[{\"index\":0,\"value\":1}]}]}",
		     "linux.seccomp.syscalls[0].args[0].op: missing");
	/* the same problems are found whether the cache would hit or not: no libseccomp needed */
	assert_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
		     "\"action\":\"SCMP_ACT_ERRNO\"},"
		     "{\"names\":[\"rmdir\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":99999}]}",
		     "linux.seccomp.syscalls[1].errnoRet: 99999 out of range (0 to 4095)");
}
END_TEST

START_TEST(test_none_and_features)
{
	oci_error err = OCI_ERROR_INIT;
	oci_seccomp sc;
	ck_assert_int_eq(oci_seccomp_compile(NULL, -1, &sc, &err), 0);
	ck_assert_ptr_null(sc.insns);
	int fd = 5;
	ck_assert_int_eq(oci_seccomp_load(&sc, &fd, &err), 0);
	ck_assert_int_eq(fd, -1);
	oci_config_seccomp *t = (oci_config_seccomp *)1;
	ck_assert_int_eq(oci_spec_seccomp_parse(json_null(), &t, &err), 0);
	ck_assert_ptr_null(t);
	json_t *f = oci_seccomp_features();
	ck_assert(json_is_true(json_object_get(f, "enabled")));
	ck_assert_int_eq(json_array_size(json_object_get(f, "operators")), 7);
	ck_assert_int_ge(json_array_size(json_object_get(f, "archs")), 16);
	/* every action the parser takes, SCMP_ACT_NOTIFY included; every known flag */
	json_t *acts = json_object_get(f, "actions");
	ck_assert_int_eq(json_array_size(acts), 9);
	bool notify = false;
	size_t i;
	json_t *v;
	json_array_foreach(acts, i, v) notify |= !strcmp(json_string_value(v), "SCMP_ACT_NOTIFY");
	ck_assert(notify);
	ck_assert_int_eq(json_array_size(json_object_get(f, "knownFlags")), 4);
	json_decref(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_seccomp");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_errno_rules);
	tcase_add_test(tc, test_arg_conditions);
	tcase_add_test(tc, test_kill);
	tcase_add_test(tc, test_enosys_stub);
	tcase_add_test(tc, test_notify_fd);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_none_and_features);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
