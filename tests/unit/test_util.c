/* Unit tests for common/util.c: bounded reads, atomic writes, size parsing, a tree removal
 * that never follows symlinks out, timestamps, and stdout errors that are not hidden. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "tests/unit/skip.h"

/* Per-run directory, removed by main() even when a test fails before its teardown. */
static char base[64];
static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	oci_remove_tree_at(AT_FDCWD, tmpdir, NULL);
}

static void put(const char *rel, const char *content)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	FILE *f = fopen(p, "w");
	ck_assert_msg(f != NULL, "%s: %s", p, strerror(errno));
	fputs(content, f);
	fclose(f);
}

static char *get(const char *rel)
{
	static char buf[4096];
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	FILE *f = fopen(p, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int count_entries(const char *rel)
{
	char p[512];
	int n = 0;
	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	DIR *d = opendir(p);
	ck_assert_msg(d != NULL, "%s", p);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int open_tmpdir(void)
{
	int fd = open(tmpdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(test_read_fd_cap)
{
	oci_error err = OCI_ERROR_INIT;
	char big[10000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	put("small", "hello");
	char p[512];
	snprintf(p, sizeof(p), "%s/big", tmpdir);
	FILE *f = fopen(p, "w");
	fwrite(big, 1, sizeof(big), f);
	fclose(f);

	char *out = NULL;
	size_t len = 0;
	int dfd = open_tmpdir();
	ck_assert_int_eq(oci_read_file_at(dfd, "small", 5, &out, &len, &err), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_str_eq(out, "hello"); /* NUL-terminated */
	free(out);
	ck_assert_int_lt(oci_read_file_at(dfd, "small", 4, &out, &len, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	ck_assert_msg(strstr(err.msg, "'small'") && strstr(err.msg, "4 byte limit"), "%s", err.msg);

	/* Exactly at the cap across buffer growth, and one byte over. */
	ck_assert_int_eq(oci_read_file_at(dfd, "big", sizeof(big), &out, &len, &err), 0);
	ck_assert_uint_eq(len, sizeof(big));
	ck_assert(!memcmp(out, big, sizeof(big)));
	ck_assert_int_eq(out[len], '\0');
	free(out);
	ck_assert_int_lt(oci_read_file_at(dfd, "big", sizeof(big) - 1, &out, &len, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	ck_assert_int_lt(oci_read_file_at(dfd, "big", 4096, &out, &len, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_LIMIT);

	/* An endless stream is cut at the cap instead of filling memory. */
	int zfd = open("/dev/zero", O_RDONLY);
	ck_assert_int_lt(oci_read_fd(zfd, 1 << 20, &out, &len, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	close(zfd);

	ck_assert_int_lt(oci_read_file_at(dfd, "missing", 10, &out, &len, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);
	ck_assert_msg(strstr(err.msg, "'missing'"), "%s", err.msg);
	close(dfd);
}
END_TEST

START_TEST(test_write_file_atomic)
{
	oci_error err = OCI_ERROR_INIT;
	struct stat st;
	char p[512], q[512];
	int dfd = open_tmpdir();
	mode_t old = umask(022);
	ck_assert_int_eq(oci_write_file_atomic(dfd, "state.json", "{\"a\":1}", 7, 0640, &err), 0);
	ck_assert_str_eq(get("state.json"), "{\"a\":1}");
	ck_assert_int_eq(fstatat(dfd, "state.json", &st, 0), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	/* The mode is exact, not narrowed by the umask. */
	ck_assert_int_eq(oci_write_file_atomic(dfd, "open", "x", 1, 0666, &err), 0);
	ck_assert_int_eq(fstatat(dfd, "open", &st, 0), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0666);
	umask(old);
	ck_assert_int_eq(count_entries("."), 2); /* no temporary left */

	/* Replacing: a reader holding the old file (here: a hard link) still sees the old
	 * content whole, the name now has the new content. */
	snprintf(p, sizeof(p), "%s/state.json", tmpdir);
	snprintf(q, sizeof(q), "%s/old", tmpdir);
	ck_assert_int_eq(link(p, q), 0);
	ck_assert_int_eq(
	    oci_write_file_atomic(dfd, "state.json", "{\"a\":2,\"b\":3}", 13, 0600, &err), 0);
	ck_assert_str_eq(get("state.json"), "{\"a\":2,\"b\":3}");
	ck_assert_str_eq(get("old"), "{\"a\":1}");

	/* In a subdirectory. */
	ck_assert_int_eq(mkdirat(dfd, "sub", 0755), 0);
	ck_assert_int_eq(oci_write_file_atomic(dfd, "sub/index.json", "[]", 2, 0644, &err), 0);
	ck_assert_str_eq(get("sub/index.json"), "[]");
	ck_assert_int_eq(count_entries("sub"), 1);

	/* A symlink at the name is replaced, its target is not written through. */
	put("target", "orig");
	ck_assert_int_eq(symlinkat("target", dfd, "link"), 0);
	ck_assert_int_eq(oci_write_file_atomic(dfd, "link", "new", 3, 0644, &err), 0);
	ck_assert_str_eq(get("target"), "orig");
	ck_assert_int_eq(fstatat(dfd, "link", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISREG(st.st_mode));

	/* Failure (a directory is in the way) reports the name and leaves no temporary. */
	ck_assert_int_eq(mkdirat(dfd, "sub/dir", 0755), 0);
	ck_assert_int_eq(mkdirat(dfd, "sub/dir/x", 0755), 0);
	ck_assert_int_lt(oci_write_file_atomic(dfd, "sub/dir", "x", 1, 0644, &err), 0);
	ck_assert_msg(strstr(err.msg, "sub/dir"), "%s", err.msg);
	ck_assert_int_eq(count_entries("sub"), 2);
	ck_assert_int_lt(oci_write_file_atomic(dfd, "nodir/x", "x", 1, 0644, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);

	/* A file planted under the temporary name of old (".tmp-NAME.PID", as another user of a
	 * shared directory would, keeping it open) receives nothing, and the name ends as a new
	 * file, not the planted one renamed into place. */
	struct stat planted;
	char tn[64];
	snprintf(tn, sizeof(tn), ".tmp-auth.json.%d", (int)getpid());
	put(tn, "planted");
	ck_assert_int_eq(fstatat(dfd, tn, &planted, 0), 0);
	ck_assert_int_eq(oci_write_file_atomic(dfd, "auth.json", "secret", 6, 0600, &err), 0);
	ck_assert_str_eq(get(tn), "planted");
	ck_assert_str_eq(get("auth.json"), "secret");
	ck_assert_int_eq(fstatat(dfd, "auth.json", &st, 0), 0);
	ck_assert(st.st_ino != planted.st_ino);
	close(dfd);
}
END_TEST

/* renameat2 as a filesystem without its flags answers (vfat, some FUSE): EINVAL, when asked */
static bool no_rename_flags;
int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	      unsigned int flags)
{
	if (flags && no_rename_flags) {
		errno = EINVAL;
		return -1;
	}
	return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

/* Without renameat2's flags: a staged file goes in place only when kept, never before; a new
 * file is linked, never over one that is there. */
/* What a writer killed before its rename left goes; anything else named near it stays. */
START_TEST(test_remove_dead_temps)
{
	const char *gone[] = {".tmp-auth.json.123.deadbeef", ".tmp-auth.json.7.00000000"};
	const char *kept[] = {".tmp-auth.json.123.deadbee",
			      ".tmp-auth.json.123.deadbeefa",
			      ".tmp-auth.json..deadbeef",
			      ".tmp-auth.json.12x.deadbeef",
			      ".tmp-other.json.123.deadbeef",
			      ".tmp-auth.jsonx.1.deadbeef",
			      "auth.json"};
	for (size_t i = 0; i < ARRAY_SIZE(gone); i++)
		put(gone[i], "secret");
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
		put(kept[i], "x");
	int dfd = open_tmpdir();
	/* a directory of that name is not a writer's temporary */
	ck_assert_int_eq(mkdirat(dfd, ".tmp-auth.json.9.abcdef01", 0700), 0);
	oci_remove_dead_temps(dfd, "auth.json");
	for (size_t i = 0; i < ARRAY_SIZE(gone); i++)
		ck_assert_msg(faccessat(dfd, gone[i], F_OK, AT_SYMLINK_NOFOLLOW) < 0, "%s",
			      gone[i]);
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
		ck_assert_msg(faccessat(dfd, kept[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0, "%s",
			      kept[i]);
	ck_assert_int_eq(faccessat(dfd, ".tmp-auth.json.9.abcdef01", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	close(dfd);
}
END_TEST

/* The first SIGINT is recorded for the cleanup; a second ends the process by that signal. */
START_TEST(test_second_interrupt_ends_the_process)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		oci_interrupt_install();
		raise(SIGINT);
		if (oci_interrupted != SIGINT)
			_exit(2);
		raise(SIGTERM);
		_exit(3);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "status %#x", st);
}
END_TEST

START_TEST(test_staged_file_no_rename_flags)
{
	oci_error err = OCI_ERROR_INIT;
	oci_staged_file f;
	int dfd = open_tmpdir();
	no_rename_flags = true;
	put("config.json", "old");
	ck_assert_int_eq(oci_staged_file_write(&f, dfd, "config.json", "new", 3, 0644, &err), 0);
	ck_assert_int_eq(oci_staged_file_swap(&f, &err), 0);
	ck_assert_str_eq(get("config.json"), "old");
	oci_staged_file_undo(&f);
	ck_assert_str_eq(get("config.json"), "old");
	ck_assert_int_eq(count_entries("."), 1);
	ck_assert_int_eq(oci_staged_file_write(&f, dfd, "config.json", "new", 3, 0644, &err), 0);
	ck_assert_int_eq(oci_staged_file_swap(&f, &err), 0);
	ck_assert_int_eq(oci_staged_file_keep(&f, &err), 0);
	ck_assert_str_eq(get("config.json"), "new");
	ck_assert_int_eq(count_entries("."), 1);
	ck_assert_int_eq(oci_write_file_new(dfd, "config.json", "x", 1, 0644, &err), 1);
	ck_assert_str_eq(get("config.json"), "new");
	ck_assert_int_eq(oci_write_file_new(dfd, "index.json", "[]", 2, 0644, &err), 0);
	ck_assert_str_eq(get("index.json"), "[]");
	ck_assert_int_eq(count_entries("."), 2);
	no_rename_flags = false;
	close(dfd);
}
END_TEST

/* Staged files: nothing changes until the swap, the old file comes back on undo, goes on
 * keep; a directory in the way is refused before anything moved. */
START_TEST(test_staged_file)
{
	oci_error err = OCI_ERROR_INIT;
	oci_staged_file f;
	int dfd = open_tmpdir();
	put("config.json", "old");
	ck_assert_int_eq(oci_staged_file_write(&f, dfd, "config.json", "new", 3, 0644, &err), 0);
	ck_assert_str_eq(get("config.json"), "old");
	ck_assert_int_eq(count_entries("."), 2);
	ck_assert_int_eq(oci_staged_file_swap(&f, &err), 0);
	ck_assert_str_eq(get("config.json"), "new");
	oci_staged_file_undo(&f);
	ck_assert_str_eq(get("config.json"), "old");
	ck_assert_int_eq(count_entries("."), 1);
	oci_staged_file_undo(&f); /* a no-op once undone */
	ck_assert_str_eq(get("config.json"), "old");

	/* kept: the new content, the old one gone with its temporary name */
	ck_assert_int_eq(oci_staged_file_write(&f, dfd, "config.json", "new", 3, 0644, &err), 0);
	ck_assert_int_eq(oci_staged_file_swap(&f, &err), 0);
	ck_assert_int_eq(oci_staged_file_keep(&f, &err), 0);
	ck_assert_str_eq(get("config.json"), "new");
	ck_assert_int_eq(count_entries("."), 1);

	/* a file that did not exist: undo removes ours, but only while the name still holds it */
	ck_assert_int_eq(oci_staged_file_write(&f, dfd, "fresh", "x", 1, 0644, &err), 0);
	ck_assert_int_eq(oci_staged_file_swap(&f, &err), 0);
	oci_staged_file_undo(&f);
	ck_assert_int_eq(count_entries("."), 1);
	ck_assert_int_eq(oci_staged_file_write(&f, dfd, "fresh", "x", 1, 0644, &err), 0);
	ck_assert_int_eq(oci_staged_file_swap(&f, &err), 0);
	ck_assert_int_eq(unlinkat(dfd, "fresh", 0), 0);
	put("fresh", "someone else's");
	oci_staged_file_undo(&f);
	ck_assert_str_eq(get("fresh"), "someone else's");
	ck_assert_int_eq(unlinkat(dfd, "fresh", 0), 0);

	/* written but never swapped: undo leaves nothing */
	ck_assert_int_eq(oci_staged_file_write(&f, dfd, "config.json", "other", 5, 0644, &err), 0);
	oci_staged_file_undo(&f);
	ck_assert_str_eq(get("config.json"), "new");
	ck_assert_int_eq(count_entries("."), 1);

	/* a directory at the name stays, and so does nothing else */
	ck_assert_int_eq(mkdirat(dfd, "d", 0755), 0);
	ck_assert_int_eq(oci_staged_file_write(&f, dfd, "d", "x", 1, 0644, &err), 0);
	ck_assert_int_lt(oci_staged_file_swap(&f, &err), 0);
	ck_assert_msg(strstr(err.msg, "'d'") && strstr(err.msg, "Is a directory"), "%s", err.msg);
	struct stat st;
	ck_assert_int_eq(fstatat(dfd, "d", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(count_entries("."), 2);
	oci_staged_file_undo(&f);
	ck_assert_int_eq(count_entries("."), 2);
	close(dfd);
}
END_TEST

START_TEST(test_parse_size)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
	    {"0", 0},
	    {"12", 12},
	    {"512", 512},
	    {"64k", 64 << 10},
	    {"64K", 64 << 10},
	    {"4M", 4 << 20},
	    {"4m", 4 << 20},
	    {"4MB", 4 << 20},
	    {"1g", 1ULL << 30},
	    {"2G", 2ULL << 30},
	    {"3t", 3ULL << 40},
	    {"100b", 100},
	    {"16777215T", 16777215ULL << 40},
	};
	static const char *bad[] = {"",
				    "M",
				    "b",
				    "MB",
				    "-1",
				    "+1",
				    "1.5G",
				    "4X",
				    "4 M",
				    " 4",
				    "4M ",
				    "k4",
				    "0x10",
				    "16777216T",
				    "18446744073709551616",
				    "99999999999999999999G"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 12345;
		ck_assert_msg(oci_parse_size(ok[i].s, &v) == 0, "'%s' refused", ok[i].s);
		ck_assert_msg(v == ok[i].v, "'%s' = %llu", ok[i].s, (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 12345;
		ck_assert_msg(oci_parse_size(bad[i], &v) < 0, "'%s' accepted as %llu", bad[i],
			      (unsigned long long)v);
		ck_assert_msg(v == 12345, "'%s' changed the output on failure", bad[i]);
	}
}
END_TEST

START_TEST(test_parse_u64)
{
	uint64_t v = 7;
	ck_assert_int_eq(oci_parse_u64("0", 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(oci_parse_u64("10", 10, &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_lt(oci_parse_u64("11", 10, &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(oci_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	ck_assert(v == UINT64_MAX);
	ck_assert_int_lt(oci_parse_u64("18446744073709551616", UINT64_MAX, &v), 0);
	ck_assert_int_lt(oci_parse_u64("99999999999999999999", UINT64_MAX, &v), 0);
	ck_assert_int_lt(oci_parse_u64("184467440737095516150", UINT64_MAX, &v), 0);
	ck_assert_int_lt(oci_parse_u64("", UINT64_MAX, &v), 0);
	ck_assert_int_lt(oci_parse_u64(NULL, UINT64_MAX, &v), 0);
	ck_assert_int_lt(oci_parse_u64("-1", UINT64_MAX, &v), 0);
	ck_assert_int_lt(oci_parse_u64("1 ", UINT64_MAX, &v), 0);
	ck_assert_int_lt(oci_parse_u64("1a", UINT64_MAX, &v), 0);
	ck_assert_int_eq(oci_parse_u64("007", UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 7);
}
END_TEST

START_TEST(test_remove_tree_stays_inside)
{
	oci_error err = OCI_ERROR_INIT;
	char p[512];
	int dfd = open_tmpdir();
	/* outside/ holds what must survive; victim/ links to it in several ways. */
	ck_assert_int_eq(mkdirat(dfd, "outside", 0755), 0);
	ck_assert_int_eq(mkdirat(dfd, "outside/keep", 0755), 0);
	put("outside/keep/file", "precious");
	put("outside/file", "precious too");
	ck_assert_int_eq(
	    oci_mkdir_p((snprintf(p, sizeof(p), "%s/victim/a/b/c", tmpdir), p), 0700, &err), 0);
	put("victim/a/b/c/f", "x");
	put("victim/a/f", "x");
	snprintf(p, sizeof(p), "%s/outside", tmpdir);
	ck_assert_int_eq(symlinkat(p, dfd, "victim/abs-dir"), 0);
	ck_assert_int_eq(symlinkat("../../../outside", dfd, "victim/a/b/rel-dir"), 0);
	ck_assert_int_eq(symlinkat("../outside/file", dfd, "victim/file-link"), 0);
	ck_assert_int_eq(symlinkat("/nonexistent", dfd, "victim/dangling"), 0);

	ck_assert_msg(oci_remove_tree_at(dfd, "victim", &err) == 0, "%s", err.msg);
	ck_assert_int_lt(faccessat(dfd, "victim", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_str_eq(get("outside/keep/file"), "precious");
	ck_assert_str_eq(get("outside/file"), "precious too");
	ck_assert_int_eq(count_entries("outside"), 2);

	/* A symlink given as the tree itself is removed, not followed. */
	ck_assert_int_eq(symlinkat("outside", dfd, "top-link"), 0);
	ck_assert_int_eq(oci_remove_tree_at(dfd, "top-link", &err), 0);
	ck_assert_int_lt(faccessat(dfd, "top-link", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_int_eq(count_entries("outside"), 2);

	/* Absent is fine (rm -rf), a plain file is removed. */
	ck_assert_int_eq(oci_remove_tree_at(dfd, "nothing-here", &err), 0);
	ck_assert_int_eq(oci_remove_tree_at(dfd, "outside/file", &err), 0);
	ck_assert_int_eq(count_entries("outside"), 1);
	close(dfd);
}
END_TEST

/* An unprivileged owner can remove a tree whose directories deny it write or search
 * permission (a rootless unpack of an image with 0555 and 0000 directories). */
/* A chain far deeper than the fds a process may hold (and than PATH_MAX as a path), with a
 * file at each level and a wide directory halfway down: removed whole, with no recursion. */
START_TEST(test_open_any_length)
{
	/* 40 directories of 200 characters: a path of 8000 and more, twice what an open takes */
	char name[201];
	memset(name, 'n', 200);
	name[200] = '\0';
	int cur = open_tmpdir();
	size_t cap = strlen(tmpdir) + 41 * 201 + 16;
	char *path = malloc(cap);
	ck_assert_ptr_nonnull(path);
	snprintf(path, cap, "%s", tmpdir);
	for (int i = 0; i < 40; i++) {
		ck_assert_int_eq(mkdirat(cur, name, 0755), 0);
		int next = openat(cur, name, O_RDONLY | O_DIRECTORY);
		ck_assert_int_ge(next, 0);
		close(cur);
		cur = next;
		strcat(path, "//"); /* repeated slashes resolve as one, as open's would */
		strcat(path, name);
	}
	int f = openat(cur, "f", O_WRONLY | O_CREAT, 0644);
	ck_assert_int_eq(write(f, "deep", 4), 4);
	close(f);
	struct stat want, got;
	ck_assert_int_eq(fstat(cur, &want), 0);
	close(cur);
	ck_assert_uint_gt(strlen(path), PATH_MAX + PATH_MAX / 2);
	errno = 0;
	ck_assert_int_lt(open(path, O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_eq(errno, ENAMETOOLONG);

	int d = oci_open_any_length(path, O_PATH | O_DIRECTORY);
	ck_assert_int_ge(d, 0);
	ck_assert_int_eq(fstat(d, &got), 0);
	ck_assert(got.st_dev == want.st_dev && got.st_ino == want.st_ino);
	close(d);
	strcat(path, "/f");
	int r = oci_open_any_length(path, O_RDONLY);
	ck_assert_int_ge(r, 0);
	char buf[8] = "";
	ck_assert_int_eq(read(r, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "deep");
	close(r);
	/* errors come back as open's: a missing last or middle component */
	strcat(path, "x");
	ck_assert_int_lt(oci_open_any_length(path, O_RDONLY), 0);
	ck_assert_int_eq(errno, ENOENT);
	path[strlen(tmpdir) + 100] = 'X';
	ck_assert_int_lt(oci_open_any_length(path, O_RDONLY), 0);
	ck_assert_int_eq(errno, ENOENT);
	/* a short path is a plain open */
	int t = oci_open_any_length(tmpdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(t, 0);
	ck_assert_int_ne(fcntl(t, F_GETFD) & FD_CLOEXEC, 0);
	close(t);
	free(path);
}
END_TEST

START_TEST(test_remove_tree_deep)
{
	oci_error err = OCI_ERROR_INIT;
	struct rlimit old, low = {.rlim_cur = 128, .rlim_max = 0};
	int dfd = open_tmpdir();
	ck_assert_int_eq(mkdirat(dfd, "deep", 0755), 0);
	int cur = openat(dfd, "deep", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(cur, 0);
	for (int i = 0; i < 1000; i++) {
		int f = openat(cur, "f", O_WRONLY | O_CREAT, 0644);
		ck_assert_int_ge(f, 0);
		close(f);
		if (i == 500)
			for (int k = 0; k < 100; k++) {
				char n[16];
				snprintf(n, sizeof(n), "w%d", k);
				ck_assert_int_eq(mkdirat(cur, n, k % 2 ? 0755 : 0500), 0);
			}
		/* The d made at step i is 0500 when i % 7 == 0, else 0755; it is made 0700 and
		 * given that mode once filled (at the next step), so that an unprivileged caller
		 * can build the tree too (root writes into a 0500 directory regardless). */
		ck_assert_int_eq(mkdirat(cur, "d", 0700), 0);
		int next = openat(cur, "d", O_RDONLY | O_DIRECTORY);
		ck_assert_int_ge(next, 0);
		if (i > 0)
			ck_assert_int_eq(fchmod(cur, (i - 1) % 7 ? 0755 : 0500), 0);
		close(cur);
		cur = next;
	}
	ck_assert_int_eq(fchmod(cur, 999 % 7 ? 0755 : 0500), 0);
	close(cur);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	int rc = oci_remove_tree_at(dfd, "deep", &err);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_int_lt(faccessat(dfd, "deep", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	close(dfd);
}
END_TEST

/* Climbing back to an ancestor whose fd was closed checks it is still the same directory. */
START_TEST(test_dirstack_reopen_checks_parent)
{
	oci_error err = OCI_ERROR_INIT;
	oci_dirstack s = {0};
	int dfd = open_tmpdir();
	char name[16];
	ck_assert_int_eq(mkdirat(dfd, "a", 0755), 0);
	int cur = openat(dfd, "a", O_RDONLY | O_DIRECTORY);
	for (int i = 0; i <= OCI_DIRSTACK_OPEN + 1; i++) {
		ck_assert_int_eq(oci_dirstack_push(&s, cur, NULL, &err), 0);
		ck_assert_int_eq(mkdirat(cur, "d", 0755), 0);
		cur = openat(cur, "d", O_RDONLY | O_DIRECTORY);
		ck_assert_int_ge(cur, 0);
	}
	close(cur);
	ck_assert_int_lt(s.f[0].fd, 0);
	ck_assert_int_lt(s.f[1].fd, 0);
	/* unchanged: the ancestors come back as they were */
	for (int i = 0; i < OCI_DIRSTACK_OPEN; i++)
		ck_assert_msg(oci_dirstack_pop(&s, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(s.depth, 2);
	ck_assert_int_ge(s.f[1].fd, 0);
	/* the first ancestor moved away and replaced: refused, not walked into */
	ck_assert_int_eq(renameat(dfd, "a", dfd, "moved"), 0);
	ck_assert_int_eq(mkdirat(dfd, "a", 0755), 0);
	snprintf(name, sizeof(name), "moved/d");
	ck_assert_int_eq(renameat(dfd, name, dfd, "a/d"), 0);
	ck_assert_int_eq(oci_dirstack_pop(&s, &err), -1);
	ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	oci_dirstack_release(&s);
	close(dfd);
}
END_TEST

START_TEST(test_remove_tree_unwritable_dirs)
{
	if (geteuid() != 0) {
		/* the owner's own case is covered by test_remove_tree_stays_inside */
		unit_skip("needs root to become another user");
		return;
	}
	ck_assert_int_eq(chmod(base, 0711), 0);
	ck_assert_int_eq(chmod(tmpdir, 0777), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char p[512];
		oci_error err = OCI_ERROR_INIT;
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(10);
		snprintf(p, sizeof(p), "%s/t/a/b", tmpdir);
		if (oci_mkdir_p(p, 0755, &err) < 0)
			_exit(11);
		put("t/a/b/f", "x");
		put("t/a/g", "x");
		snprintf(p, sizeof(p), "%s/t/a/b", tmpdir);
		chmod(p, 0500);
		snprintf(p, sizeof(p), "%s/t/a", tmpdir);
		chmod(p, 0555);
		snprintf(p, sizeof(p), "%s/t", tmpdir);
		chmod(p, 0);
		int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
		if (oci_remove_tree_at(dfd, "t", &err) < 0)
			_exit(12);
		_exit(faccessat(dfd, "t", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ? 13 : 0);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}
END_TEST

/* A file written by path (--pid-file DIR/NAME) where DIR is another user's symlink to a
 * directory of root's: nothing is written there; root's own symlink is followed. */
START_TEST(test_write_through_foreign_dir_link)
{
	if (geteuid() != 0) {
		unit_skip("needs root to own a symlink as another user");
		return;
	}
	char target[512], link[512], file[600];
	oci_error err = OCI_ERROR_INIT;
	snprintf(target, sizeof(target), "%s/root-only", tmpdir);
	snprintf(link, sizeof(link), "%s/d", tmpdir);
	ck_assert_int_eq(mkdir(target, 0700), 0);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(lchown(link, 65534, 65534), 0);
	snprintf(file, sizeof(file), "%s/pid", link);
	ck_assert_int_lt(oci_write_file_replace(AT_FDCWD, file, "1", 1, 0644, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	ck_assert_msg(strstr(err.msg, "is a symlink of uid 65534: not followed"), "%s", err.msg);
	oci_err_clear(&err);
	int dfd = open(target, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	DIR *d = fdopendir(dfd);
	int n = 0;
	for (struct dirent *de; (de = readdir(d));)
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(lchown(link, 0, 0), 0);
	ck_assert_int_eq(oci_write_file_replace(AT_FDCWD, file, "1", 1, 0644, &err), 0);
	snprintf(file, sizeof(file), "%s/pid", target);
	ck_assert_int_eq(access(file, F_OK), 0);
}
END_TEST

START_TEST(test_mkdir_p)
{
	oci_error err = OCI_ERROR_INIT;
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/a/b//c/", tmpdir);
	ck_assert_int_eq(oci_mkdir_p(p, 0755, &err), 0);
	ck_assert_int_eq(oci_mkdir_p(p, 0755, &err), 0); /* again: already there */
	snprintf(p, sizeof(p), "%s/a/b/c", tmpdir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	put("file", "x");
	snprintf(p, sizeof(p), "%s/file/sub", tmpdir);
	ck_assert_int_lt(oci_mkdir_p(p, 0755, &err), 0);
	ck_assert_msg(strstr(err.msg, "file/sub") && strstr(err.msg, strerror(ENOTDIR)), "%s",
		      err.msg);
}
END_TEST

START_TEST(test_time_rfc3339)
{
	char buf[64];
	regex_t re;
	ck_assert_int_eq(
	    regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$",
		    REG_EXTENDED),
	    0);
	/* clock_gettime, as oci_time_rfc3339 reads it: glibc's time() reads the coarse clock,
	 * up to a tick behind, which put 'after' a second before the stamp at a second's edge */
	struct timespec ts;
	ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &ts), 0);
	time_t before = ts.tv_sec;
	oci_time_rfc3339(buf, sizeof(buf));
	ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &ts), 0);
	time_t after = ts.tv_sec;
	ck_assert_msg(regexec(&re, buf, 0, NULL, 0) == 0, "'%s'", buf);
	regfree(&re);
	/* It is UTC and now. */
	struct tm tm = {0};
	ck_assert_ptr_nonnull(strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm));
	time_t t = timegm(&tm);
	ck_assert_msg(t >= before && t <= after, "%s is not now", buf);
}
END_TEST

START_TEST(test_strings_and_cleanup)
{
	ck_assert(oci_str_has_prefix("sha256:abc", "sha256:"));
	ck_assert(oci_str_has_prefix("x", ""));
	ck_assert(!oci_str_has_prefix("sha", "sha256:"));
	ck_assert(oci_str_has_suffix("a.tar.gz", ".gz"));
	ck_assert(!oci_str_has_suffix("gz", ".gz"));
	ck_assert(oci_str_has_suffix("x", ""));

	int fd;
	{
		cleanup_close int inner = open("/dev/null", O_RDONLY);
		fd = inner;
		ck_assert_int_ge(fd, 0);
	}
	ck_assert_int_lt(fcntl(fd, F_GETFD), 0); /* closed at end of scope */
	{
		cleanup_close int inner = open("/dev/null", O_RDONLY);
		fd = steal_fd(&inner);
	}
	ck_assert_int_ge(fcntl(fd, F_GETFD), 0); /* handed out, still open */
	close(fd);
	cleanup_free char *s = NULL;
	{
		cleanup_free char *inner = strdup("kept");
		s = steal_pointer(&inner);
		ck_assert_ptr_null(inner);
	}
	ck_assert_str_eq(s, "kept");
}
END_TEST

/* A lock held by someone else is waited for, but not for ever: one line after wait_ms, and
 * taken at once when it is let go. */
START_TEST(test_flock_wait_bounded)
{
	oci_error err = OCI_ERROR_INIT;
	int holder = open(tmpdir, O_RDONLY | O_DIRECTORY);
	int waiter = open(tmpdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(holder, 0);
	ck_assert_int_ge(waiter, 0);
	ck_assert_int_eq(flock(holder, LOCK_EX), 0);
	int64_t t0 = oci_now_ms();
	ck_assert_int_eq(oci_flock_wait(waiter, 200, "dir", &err), -1);
	ck_assert_int_ge(oci_now_ms() - t0, 200);
	ck_assert_msg(strstr(err.msg, "'dir' has been locked by another process"), "%s", err.msg);
	ck_assert_int_eq(flock(holder, LOCK_UN), 0);
	oci_err_clear(&err);
	ck_assert_int_eq(oci_flock_wait(waiter, 200, "dir", &err), 0);
	/* now ours: the other one cannot take it */
	ck_assert_int_eq(flock(holder, LOCK_EX | LOCK_NB), -1);
	ck_assert_int_eq(errno, EWOULDBLOCK);
	close(holder);
	close(waiter);
}
END_TEST

START_TEST(test_flush_stdout_reports_errors)
{
	oci_error err = OCI_ERROR_INIT;
	int saved = dup(STDOUT_FILENO);
	int full = open("/dev/full", O_WRONLY);
	ck_assert_int_ge(full, 0);
	fflush(stdout);
	dup2(full, STDOUT_FILENO);
	close(full);
	printf("data that cannot be written\n");
	int r = oci_flush_stdout(&err);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	clearerr(stdout);
	ck_assert_int_lt(r, 0);
	ck_assert_int_eq(err.sys_errno, ENOSPC);
	ck_assert_msg(strstr(err.msg, "standard output"), "%s", err.msg);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read_fd_cap);
	tcase_add_test(tc, test_flock_wait_bounded);
	tcase_add_test(tc, test_write_file_atomic);
	tcase_add_test(tc, test_remove_dead_temps);
	tcase_add_test(tc, test_second_interrupt_ends_the_process);
	tcase_add_test(tc, test_staged_file);
	tcase_add_test(tc, test_staged_file_no_rename_flags);
	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_parse_u64);
	tcase_add_test(tc, test_remove_tree_stays_inside);
	tcase_add_test(tc, test_remove_tree_unwritable_dirs);
	tcase_add_test(tc, test_remove_tree_deep);
	tcase_add_test(tc, test_open_any_length);
	tcase_add_test(tc, test_dirstack_reopen_checks_parent);
	tcase_add_test(tc, test_mkdir_p);
	tcase_add_test(tc, test_write_through_foreign_dir_link);
	tcase_add_test(tc, test_time_rfc3339);
	tcase_add_test(tc, test_strings_and_cleanup);
	tcase_add_test(tc, test_flush_stdout_reports_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/test_util.XXXXXX");
	if (!mkdtemp(base))
		return 1;
	SRunner *sr = srunner_create(util_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	oci_remove_tree_at(AT_FDCWD, base, NULL);
	return failed ? 1 : 0;
}
