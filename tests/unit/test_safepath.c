/* Unit tests for common/safepath.c: whatever an image's symlinks and ".." say, a path opened,
 * created or stat'ed inside a root stays inside it, by the in-root rule (confined) or the
 * beneath rule (refused). Most tests run twice: through openat2 and through the manual walk
 * used on kernels without it. The procfs rule: a real procfs root only, and the thread's own
 * files reached through no symlink and no other mount (CVE-2019-16884). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/safepath.h"
#include "common/util.h"
#include "tests/unit/skip.h"

/* Per-run directory, removed by main() even when a test fails before its teardown. */
static char base[64];
static char tmpdir[256], rootpath[300], outpath[300], mirror[300];
static int rootfd = -1;

static void mk(const char *rel, const char *content)
{
	int fd = openat(rootfd, rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(fd >= 0, "%s: %s", rel, strerror(errno));
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void ln(const char *target, const char *rel)
{
	ck_assert_msg(symlinkat(target, rootfd, rel) == 0, "%s: %s", rel, strerror(errno));
}

/* Creation tests escape (if the code is broken) only as far as tmpdir: paths that would
 * climb higher ("up/...") are used for reads only.
 * root/ is the container root; outside/ is a sibling that symlinks point at and that must
 * never gain an entry. The host's /etc/passwd exists; the root's etc/ has no passwd.
 * Inside the root, <root>/<outside's absolute path> also exists (the "mirror"), so targets
 * that a broken resolver would create on the host are named by outside/'s absolute path:
 * a correct resolver creates them in the mirror, a broken one in outside/, which is
 * checked, and never anywhere else on the host. */
static void setup(void)
{
	char p[sizeof(rootpath) + sizeof(outpath)];
	snprintf(tmpdir, sizeof(tmpdir), "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(rootpath, sizeof(rootpath), "%s/root", tmpdir);
	snprintf(outpath, sizeof(outpath), "%s/outside", tmpdir);
	ck_assert_int_eq(mkdir(rootpath, 0755), 0);
	ck_assert_int_eq(mkdir(outpath, 0755), 0);
	snprintf(p, sizeof(p), "%s%s", rootpath, outpath);
	ck_assert_int_eq(oci_mkdir_p(p, 0755, NULL), 0);
	snprintf(mirror, sizeof(mirror), "%s", outpath + 1);
	rootfd = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
	ck_assert_int_eq(mkdirat(rootfd, "etc", 0755), 0);
	ck_assert_int_eq(mkdirat(rootfd, "outside", 0755), 0); /* where "../outside" must land */
	ck_assert_int_eq(mkdirat(rootfd, "dir", 0755), 0);
	ck_assert_int_eq(mkdirat(rootfd, "dir/sub", 0755), 0);
	mk("etc/hostname", "inside");
	mk("dir/sub/file", "inner");
	ln("/etc", "abs");	    /* absolute: must mean root/etc */
	ln(outpath, "absout");	    /* absolute path of outside/: root/<tmp>/outside */
	ln("../../..", "up");	    /* climbs above the root: clamped */
	ln("../outside", "relout"); /* relative escape to the sibling */
	ln("dir/sub", "rel");
	ln("/", "toroot");
	ln("loop2", "loop1");
	ln("loop1", "loop2");
	ln("self", "self");
	snprintf(p, sizeof(p), "%s/newfile", outpath);
	ln(p, "dangling");
	ln("../../../../../..", "dir/sub/deepup");
	ln("/etc", "dir/sub/etclink"); /* absolute, from below the top: restarts at the root */
	ln("/dir/sub/../../created-abs", "dir/sub/absnew");
	snprintf(p, sizeof(p), "%s/outside/marker", tmpdir);
	ln(p, "dir/marker-link");
}

static void teardown(void)
{
	if (rootfd >= 0)
		close(rootfd);
	oci_remove_tree_at(AT_FDCWD, tmpdir, NULL);
}

static void set_mode(int fallback)
{
	oci_safepath_force_fallback = fallback != 0;
}

static void assert_outside_untouched(void)
{
	DIR *d = opendir(outpath);
	struct dirent *de;
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		ck_assert_msg(!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."),
			      "outside/%s was created", de->d_name);
	closedir(d);
	d = opendir(tmpdir);
	while ((de = readdir(d)))
		ck_assert_msg(!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
				  !strcmp(de->d_name, "root") || !strcmp(de->d_name, "outside"),
			      "%s/%s was created", tmpdir, de->d_name);
	closedir(d);
}

/* Read the file at path inside the root, or return NULL with *e = errno-ish error. */
static const char *read_in(const char *path, oci_error *err)
{
	static char buf[256];
	int fd = oci_safe_open(rootfd, path, O_RDONLY, 0, err);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void expect_content(const char *path, const char *want)
{
	oci_error err = OCI_ERROR_INIT;
	const char *got = read_in(path, &err);
	ck_assert_msg(got != NULL, "[%s] '%s': %s",
		      oci_safepath_force_fallback ? "walk" : "openat2", path, err.msg);
	ck_assert_msg(!strcmp(got, want), "[%s] '%s': read '%s', want '%s'",
		      oci_safepath_force_fallback ? "walk" : "openat2", path, got, want);
}

static void expect_errno(const char *path, int flags, int want_errno)
{
	oci_error err = OCI_ERROR_INIT;
	int fd = oci_safe_open(rootfd, path, flags, 0644, &err);
	if (fd >= 0)
		close(fd);
	ck_assert_msg(fd < 0, "[%s] '%s' opened", oci_safepath_force_fallback ? "walk" : "openat2",
		      path);
	ck_assert_msg(err.sys_errno == want_errno, "[%s] '%s': %s (errno %d, want %d)",
		      oci_safepath_force_fallback ? "walk" : "openat2", path, err.msg,
		      err.sys_errno, want_errno);
	ck_assert_msg(strstr(err.msg, path), "message '%s' does not name '%s'", err.msg, path);
}

START_TEST(test_absolute_symlinks_stay_inside)
{
	set_mode(_i);
	expect_content("abs/hostname", "inside");
	expect_content("/abs/hostname", "inside");
	expect_content("/etc/hostname", "inside");
	expect_content("toroot/etc/hostname", "inside");
	expect_content("toroot/toroot/abs/hostname", "inside");
	expect_content("dir/sub/etclink/hostname", "inside");
	expect_content("rel/etclink/hostname", "inside");
	expect_errno("dir/sub/etclink/passwd", O_RDONLY, ENOENT);
	/* The host's /etc/passwd exists; root/etc/passwd does not. */
	expect_errno("abs/passwd", O_RDONLY, ENOENT);
	expect_errno("toroot/etc/passwd", O_RDONLY, ENOENT);
	/* A symlink naming the real outside directory by its absolute path finds nothing. */
	expect_errno("absout/marker", O_RDONLY, ENOENT);
	expect_errno("dir/marker-link", O_RDONLY, ENOENT);
	assert_outside_untouched();
}
END_TEST

START_TEST(test_dotdot_is_clamped)
{
	set_mode(_i);
	expect_content("../../../../etc/hostname", "inside");
	expect_content("up/etc/hostname", "inside");
	expect_content("up/up/up/dir/sub/file", "inner");
	expect_content("dir/sub/deepup/etc/hostname", "inside");
	expect_content("dir/../../dir/../../dir/sub/file", "inner");
	expect_content("rel/file", "inner");
	/* ".." after a symlink goes to the target's parent, as the kernel does. */
	expect_content("rel/../sub/file", "inner");
	expect_content("rel/../../etc/hostname", "inside");
	expect_errno("relout/x", O_RDONLY, ENOENT);
	expect_errno("../outside/marker", O_RDONLY, ENOENT);
	assert_outside_untouched();
}
END_TEST

START_TEST(test_symlink_loops)
{
	oci_error err = OCI_ERROR_INIT;
	set_mode(_i);
	expect_errno("loop1", O_RDONLY, ELOOP);
	expect_errno("loop2/x", O_RDONLY, ELOOP);
	expect_errno("self", O_RDONLY, ELOOP);
	expect_errno("dir/../self/a/b", O_RDONLY | O_CREAT, ELOOP);
	ck_assert_int_lt(oci_safe_open(rootfd, "loop1", O_RDONLY, 0, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	/* With O_NOFOLLOW a final symlink is refused; O_PATH|O_NOFOLLOW opens the link itself. */
	expect_errno("abs", O_RDONLY | O_NOFOLLOW, ELOOP);
	int fd = oci_safe_open(rootfd, "abs", O_PATH | O_NOFOLLOW, 0, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	struct stat st;
	ck_assert_int_eq(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
	ck_assert(S_ISLNK(st.st_mode));
	close(fd);
}
END_TEST

START_TEST(test_create_stays_inside)
{
	oci_error err = OCI_ERROR_INIT;
	struct stat st;
	char p[600];
	int fd;
	set_mode(_i);
	/* A dangling absolute symlink is created in the root, not on the host. */
	fd = oci_safe_open(rootfd, "dangling", O_WRONLY | O_CREAT, 0600, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert_int_eq(write(fd, "new", 3), 3);
	close(fd);
	snprintf(p, sizeof(p), "%s/newfile", mirror);
	expect_content(p, "new");
	assert_outside_untouched();
	/* Through a symlink to "/" and one naming outside/ by its absolute path. */
	snprintf(p, sizeof(p), "toroot/%s/created", mirror);
	fd = oci_safe_open(rootfd, p, O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	snprintf(p, sizeof(p), "%s/created", mirror);
	ck_assert_int_eq(fstatat(rootfd, p, &st, 0), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	expect_errno("absout/created", O_WRONLY | O_CREAT | O_EXCL, EEXIST);
	fd = oci_safe_open(rootfd, "absout/evil", O_WRONLY | O_CREAT, 0644, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	snprintf(p, sizeof(p), "%s/evil", mirror);
	ck_assert_int_eq(fstatat(rootfd, p, &st, 0), 0);
	/* ".." above the root lands in the root's outside/, not the sibling. */
	fd = oci_safe_open(rootfd, "dir/../../outside/created2", O_WRONLY | O_CREAT, 0644, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	ck_assert_int_eq(fstatat(rootfd, "outside/created2", &st, 0), 0);
	assert_outside_untouched();
	fd = oci_safe_open(rootfd, "relout/evil", O_WRONLY | O_CREAT, 0644, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	ck_assert_int_eq(fstatat(rootfd, "outside/evil", &st, 0), 0);
	/* An absolute symlink below the top, through a relative one. */
	fd = oci_safe_open(rootfd, "rel/absnew", O_WRONLY | O_CREAT, 0644, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	ck_assert_int_eq(fstatat(rootfd, "created-abs", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISREG(st.st_mode));
	expect_errno("dir/sub/file/x", O_WRONLY | O_CREAT, ENOTDIR);
	assert_outside_untouched();
}
END_TEST

START_TEST(test_mkdir_p)
{
	oci_error err = OCI_ERROR_INIT;
	struct stat a, b;
	char p[600];
	set_mode(_i);
	/* Through a symlink to "/": created in the root's mirror of outside/. */
	snprintf(p, sizeof(p), "toroot/%s/a/b", mirror);
	int fd = oci_safe_mkdir_p(rootfd, p, 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert_int_eq(fstat(fd, &a), 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/a/b", mirror);
	ck_assert_int_eq(fstatat(rootfd, p, &b, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISDIR(b.st_mode));
	ck_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	assert_outside_untouched();
	fd = oci_safe_mkdir_p(rootfd, "absout/c/d", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	snprintf(p, sizeof(p), "%s/c/d", mirror);
	ck_assert_int_eq(fstatat(rootfd, p, &b, AT_SYMLINK_NOFOLLOW), 0);
	assert_outside_untouched();

	fd = oci_safe_mkdir_p(rootfd, "dir/../../x//y/./z/", 0700, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	ck_assert_int_eq(fstatat(rootfd, "x/y/z", &b, 0), 0);
	ck_assert_int_eq(b.st_mode & 0777, 0700);
	/* Existing directories, through a relative symlink. */
	fd = oci_safe_mkdir_p(rootfd, "rel/new", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	ck_assert_int_eq(fstatat(rootfd, "dir/sub/new", &b, 0), 0);
	/* A relative escape stays in the root. */
	fd = oci_safe_mkdir_p(rootfd, "relout/x", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	ck_assert_int_eq(fstatat(rootfd, "outside/x", &b, 0), 0);
	assert_outside_untouched();
	/* Refused: a file in the way, a loop. */
	ck_assert_int_lt(oci_safe_mkdir_p(rootfd, "dir/sub/file/x", 0755, &err), 0);
	ck_assert_int_eq(err.sys_errno, ENOTDIR);
	ck_assert_int_lt(oci_safe_mkdir_p(rootfd, "loop1/x", 0755, &err), 0);
	ck_assert_int_eq(err.sys_errno, ELOOP);
	/* The empty path is the root itself. */
	fd = oci_safe_mkdir_p(rootfd, "", 0755, &err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(fstat(rootfd, &b), 0);
	ck_assert(a.st_ino == b.st_ino);
	close(fd);
	assert_outside_untouched();
}
END_TEST

/* A deep path is made in one walk that keeps its place: deeper than the fallback's walk can
 * resolve from the root (it once resolved every prefix from the root, so this failed there),
 * and a symlink met midway is still resolved inside the root. */
START_TEST(test_mkdir_p_deep)
{
	oci_error err = OCI_ERROR_INIT;
	struct stat st;
	static char p[4096], q[4096];
	set_mode(_i);
	p[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(p, "a/");
	int fd = oci_safe_mkdir_p(rootfd, p, 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	strcat(p, "s");
	ck_assert_int_eq(symlinkat("/", rootfd, p), 0);
	/* a/.../a/s/b/c/c/.../c: s leads to the root, b and the chain of c are made there */
	strcat(p, "/b");
	for (int i = 0; i < 1500; i++)
		strcat(p, "/c");
	fd = oci_safe_mkdir_p(rootfd, p, 0700, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	strcpy(q, "b");
	for (int i = 0; i < 1500; i++)
		strcat(q, "/c");
	struct stat st2;
	ck_assert_int_eq(fstatat(rootfd, q, &st2, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISDIR(st2.st_mode) && st.st_ino == st2.st_ino);
	ck_assert_int_eq(st2.st_mode & 0777, 0700);
	assert_outside_untouched();
}
END_TEST

START_TEST(test_open_parent)
{
	oci_error err = OCI_ERROR_INIT;
	char leafbuf[256];
	const char *leaf = NULL;
	struct stat a, b;
	set_mode(_i);
	static const char *refused[] = {"", "/", "//", "..", ".", "a/..", "dir/.", "../", "./"};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int fd =
		    oci_safe_open_parent(rootfd, refused[i], &leaf, leafbuf, sizeof(leafbuf), &err);
		if (fd >= 0)
			close(fd);
		ck_assert_msg(fd < 0, "'%s' has a parent", refused[i]);
		/* The root has no parent (invalid request); a "." or ".." leaf is an escape
		 * attempt. */
		ck_assert_msg(err.code == (i < 3 ? OCI_E_INVALID : OCI_E_UNSAFE), "'%s': code %d",
			      refused[i], err.code);
		ck_assert_msg(strstr(err.msg, "no parent directory"), "%s", err.msg);
	}
	/* abs/passwd: the parent is the root's etc/, never the host's. */
	int fd = oci_safe_open_parent(rootfd, "abs/passwd", &leaf, leafbuf, sizeof(leafbuf), &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert_str_eq(leaf, "passwd");
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(fstatat(rootfd, "etc", &b, 0), 0);
	ck_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	ck_assert_int_lt(faccessat(fd, leaf, F_OK, 0), 0);
	close(fd);
	fd = oci_safe_open_parent(rootfd, "dir/sub/", &leaf, leafbuf, sizeof(leafbuf), &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert_str_eq(leaf, "sub");
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(fstatat(rootfd, "dir", &b, 0), 0);
	ck_assert(a.st_ino == b.st_ino);
	close(fd);
	/* The leaf is not followed: a symlink leaf is returned as a name in its parent. */
	fd = oci_safe_open_parent(rootfd, "up/up/abs", &leaf, leafbuf, sizeof(leafbuf), &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert_str_eq(leaf, "abs");
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(fstat(rootfd, &b), 0);
	ck_assert(a.st_ino == b.st_ino);
	close(fd);
	fd = oci_safe_open_parent(rootfd, "loop1/x", &leaf, leafbuf, sizeof(leafbuf), &err);
	ck_assert_int_lt(fd, 0);
	ck_assert_int_eq(err.sys_errno, ELOOP);
}
END_TEST

START_TEST(test_lstat)
{
	oci_error err = OCI_ERROR_INIT;
	struct stat st, root;
	set_mode(_i);
	ck_assert_int_eq(oci_safe_lstat(rootfd, "abs", &st, &err), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(oci_safe_lstat(rootfd, "up/dir/sub/file", &st, &err), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 5);
	ck_assert_int_lt(oci_safe_lstat(rootfd, "abs/passwd", &st, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_NOTFOUND);
	ck_assert_int_eq(fstat(rootfd, &root), 0);
	ck_assert_int_eq(oci_safe_lstat(rootfd, "", &st, &err), 0);
	ck_assert(st.st_ino == root.st_ino);
	ck_assert_int_eq(oci_safe_lstat(rootfd, "/", &st, &err), 0);
	ck_assert(st.st_ino == root.st_ino);
	ck_assert_int_eq(oci_safe_lstat(rootfd, "../..", &st, &err), 0);
	ck_assert(st.st_ino == root.st_ino);
}
END_TEST

/* Both resolvers must agree on every path: same inode, or same errno. */
START_TEST(test_both_resolvers_agree)
{
	static const char *paths[] = {
	    "",
	    ".",
	    "/",
	    "..",
	    "abs",
	    "abs/",
	    "abs/hostname",
	    "abs/passwd",
	    "up",
	    "up/dir",
	    "rel",
	    "rel/..",
	    "rel/../..",
	    "rel/file",
	    "rel/file/",
	    "dir/sub/deepup",
	    "toroot",
	    "dangling",
	    "absout",
	    "relout",
	    "loop1",
	    "self",
	    "dir//sub///file",
	    "./dir/./sub/../sub/file",
	    "dir/marker-link",
	    "nonexistent",
	    "nonexistent/x",
	    "dir/sub/file/x",
	    "etc/hostname/..",
	    "dangling/",
	    "toroot/",
	    "loop1/",
	    "etc/hostname/",
	    "nonexistent/",
	    "up/dir/sub/deepup/abs/",
	    "dir/sub/etclink",
	    "rel/etclink/hostname",
	    "dir/sub/absnew",
	};
	static const int flagsets[] = {O_PATH, O_PATH | O_NOFOLLOW, O_RDONLY,
				       O_RDONLY | O_DIRECTORY};
	for (size_t f = 0; f < sizeof(flagsets) / sizeof(flagsets[0]); f++) {
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			struct stat st[2];
			int res[2];
			for (int mode = 0; mode < 2; mode++) {
				oci_error err = OCI_ERROR_INIT;
				set_mode(mode);
				int fd = oci_safe_open(rootfd, paths[i], flagsets[f], 0, &err);
				if (fd >= 0) {
					ck_assert_int_eq(fstatat(fd, "", &st[mode], AT_EMPTY_PATH),
							 0);
					close(fd);
					res[mode] = 0;
				} else {
					res[mode] = err.sys_errno ? err.sys_errno : -1;
				}
			}
			ck_assert_msg(res[0] == res[1], "'%s' flags %#x: openat2 %d, walk %d",
				      paths[i], flagsets[f], res[0], res[1]);
			if (res[0] == 0)
				ck_assert_msg(
				    st[0].st_ino == st[1].st_ino && st[0].st_dev == st[1].st_dev,
				    "'%s' flags %#x: different files", paths[i], flagsets[f]);
		}
	}
	assert_outside_untouched();
}
END_TEST

START_TEST(test_path_clean)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", ""},
	    {"/", ""},
	    {"a", "a"},
	    {"/a/b/", "a/b"},
	    {"a//b", "a/b"},
	    {"./a/./b/.", "a/b"},
	    {"a/../../x", "x"},
	    {"../../x", "x"},
	    {"a/b/../c", "a/c"},
	    {"a/b/../..", ""},
	    {"..", ""},
	    {"/../etc/passwd", "etc/passwd"},
	    {"a/..b/c", "a/..b/c"},
	    {"...", "..."},
	    {"a/b/c/../../../../d", "d"},
	};
	char out[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(oci_path_clean(cases[i].in, out, sizeof(out)) == 0, "'%s' failed",
			      cases[i].in);
		ck_assert_msg(!strcmp(out, cases[i].out), "'%s' -> '%s', want '%s'", cases[i].in,
			      out, cases[i].out);
	}
	/* Results that do not fit are refused, not truncated. */
	ck_assert_int_lt(oci_path_clean("abcdefgh/ijkl", out, 13), 0);
	ck_assert_int_eq(oci_path_clean("abcdefgh/ijkl", out, 14), 0);
	ck_assert_str_eq(out, "abcdefgh/ijkl");
	ck_assert_int_lt(oci_path_clean("x", out, 0), 0);
}
END_TEST

/* Names from archives: cleaned like oci_path_clean, but climbing above the root or an
 * absolute name is an error rather than clamped. */
START_TEST(test_path_clean_beneath)
{
	char out[64];
	oci_error err = OCI_ERROR_INIT;
	static const struct {
		const char *in, *want;
	} ok[] = {
	    {"a/b", "a/b"}, {"./a//b/", "a/b"}, {"a/../b", "b"}, {"a/b/../../c", "c"}, {".", ""},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(oci_path_clean_beneath(ok[i].in, out, sizeof(out), &err) == 0,
			      "'%s': %s", ok[i].in, err.msg);
		ck_assert_str_eq(out, ok[i].want);
	}
	static const char *bad[] = {"../x", "a/../../x", "..", "/abs", "./../x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		oci_err_clear(&err);
		ck_assert_msg(oci_path_clean_beneath(bad[i], out, sizeof(out), &err) < 0,
			      "'%s' accepted", bad[i]);
		ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	}
	oci_err_clear(&err);
	ck_assert_int_lt(oci_path_clean_beneath("", out, sizeof(out), &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_int_lt(oci_path_clean_beneath(
			     "a/0123456789012345678901234567890123456789012345678901234567890123",
			     out, sizeof(out), &err),
			 0);
}
END_TEST

/* Whether the kernel has openat2 (else both loop indexes exercise the walk). */
static bool have_openat2(void)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
	int fd = (int)syscall(SYS_openat2, rootfd, ".", &how, sizeof(how));
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Whether fd is the directory at rel (no symlink followed) inside the root. */
static bool same_dir(int fd, const char *rel)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && fstatat(rootfd, rel, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* The beneath rule: a path that would leave the root through ".." or a symlink is refused
 * (OCI_E_UNSAFE), by openat2 and by the walk alike; nothing outside is reached. */
static void expect_beneath_refused(const char *path)
{
	oci_error err = OCI_ERROR_INIT;
	int fd = oci_safe_open_beneath(rootfd, path, O_PATH | O_DIRECTORY, &err);
	const char *how = oci_safepath_force_fallback ? "walk" : "openat2";
	ck_assert_msg(fd < 0, "[%s] '%s' opened", how, path);
	ck_assert_msg(err.code == OCI_E_UNSAFE, "[%s] '%s': %s", how, path, err.msg);
	ck_assert_msg(strstr(err.msg, path), "message '%s' does not name '%s'", err.msg, path);
}

START_TEST(test_open_beneath)
{
	oci_error err = OCI_ERROR_INIT;
	char p[600];
	set_mode(_i);
	/* Ordinary paths, also through a symlink that stays inside. */
	int fd = oci_safe_open_beneath(rootfd, "dir/sub", O_PATH | O_DIRECTORY, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert(same_dir(fd, "dir/sub"));
	close(fd);
	fd = oci_safe_open_beneath(rootfd, "rel", O_PATH | O_DIRECTORY, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert(same_dir(fd, "dir/sub"));
	close(fd);
	fd = oci_safe_open_beneath(rootfd, "", O_PATH | O_DIRECTORY, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	/* "..", absolute symlinks, a relative escape, a symlink to the host's outside/ */
	expect_beneath_refused("dir/../../etc");
	expect_beneath_refused("abs");
	expect_beneath_refused("dir/sub/etclink");
	expect_beneath_refused("relout");
	expect_beneath_refused("absout");
	/* symlink loops */
	ck_assert_int_lt(oci_safe_open_beneath(rootfd, "loop1/x", O_PATH, &err), 0);
	ck_assert_int_eq(err.sys_errno, ELOOP);
	ck_assert_int_lt(oci_safe_open_beneath(rootfd, "self", O_RDONLY, &err), 0);
	ck_assert_int_eq(err.sys_errno, ELOOP);
	/* A directory swapped for a symlink to the host between two calls: nothing is cached,
	 * the second call sees the symlink. */
	ck_assert_int_eq(mkdirat(rootfd, "swap", 0755), 0);
	fd = oci_safe_open_beneath(rootfd, "swap", O_PATH | O_DIRECTORY, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	ck_assert_int_eq(unlinkat(rootfd, "swap", AT_REMOVEDIR), 0);
	ln(outpath, "swap");
	expect_beneath_refused("swap");
	snprintf(p, sizeof(p), "%s/outside", tmpdir);
	ck_assert_int_eq(access(p, F_OK), 0);
	assert_outside_untouched();
}
END_TEST

/* fds open in this process */
static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The cursor gives what oci_safe_open_beneath gives, path after path (sharing prefixes or
 * not), and the same refusal in the same words. */
static void expect_cursor_agrees(oci_safe_cursor *c, const char *path)
{
	oci_error e1 = OCI_ERROR_INIT, e2 = OCI_ERROR_INIT;
	int fd = oci_safe_cursor_dir(c, path, &e1);
	int want = oci_safe_open_beneath(rootfd, path, O_PATH | O_DIRECTORY, &e2);
	if (want < 0) {
		ck_assert_msg(fd < 0, "cursor opened '%s', the rule refuses it: %s", path, e2.msg);
		ck_assert_int_eq(e1.code, e2.code);
		ck_assert_str_eq(e1.msg, e2.msg);
		return;
	}
	ck_assert_msg(fd >= 0, "cursor: '%s': %s", path, e1.msg);
	struct stat a, b;
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(fstat(want, &b), 0);
	ck_assert_msg(a.st_dev == b.st_dev && a.st_ino == b.st_ino,
		      "cursor: '%s' is another directory", path);
	close(want);
}

/* A rename anywhere on the host while a RESOLVE_BENEATH lookup takes a ".." step makes openat2
 * fail with EAGAIN: the rule must not change with the host's load (the walk it fell back to
 * confined 'dir/../../etc' to the root's etc, where openat2 refuses it). Another process
 * renames a directory back and forth all the while. */
START_TEST(test_open_beneath_under_renames)
{
	if (!have_openat2()) {
		unit_skip("this kernel has no openat2: only the walk's rule applies");
		return;
	}
	char a[sizeof(tmpdir) + 8], b[sizeof(tmpdir) + 8];
	snprintf(a, sizeof(a), "%s/ra", tmpdir);
	snprintf(b, sizeof(b), "%s/rb", tmpdir);
	ck_assert_int_eq(mkdir(a, 0755), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (;;) {
			if (rename(a, b) < 0 || rename(b, a) < 0)
				_exit(1);
		}
	}
	int opened = 0;
	for (int i = 0; i < 20000; i++) {
		oci_error err = OCI_ERROR_INIT;
		int fd = oci_safe_open_beneath(rootfd, "dir/../../etc", O_PATH | O_DIRECTORY, &err);
		if (fd >= 0) {
			opened++;
			close(fd);
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert_msg(opened == 0, "'dir/../../etc' opened %d times of 20000 while renames ran",
		      opened);
}
END_TEST

START_TEST(test_cursor)
{
	oci_safe_cursor c;
	oci_error err = OCI_ERROR_INIT;
	set_mode(_i);
	oci_safe_cursor_init(&c, rootfd);
	const char *paths[] = {"dir",	       "dir/sub",  "rel",     "dir",	    "abs",
			       "absout",       "relout",   "up",      "rel/deepup", "toroot",
			       "loop1",	       "dangling", "dir/sub", "nothere",    "dir/nothere/x",
			       "etc/hostname", "etc",	   ""};
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		expect_cursor_agrees(&c, paths[i]);
	/* only clean relative paths */
	const char *unclean[] = {"/dir", "dir/", "dir//sub", "./dir", "dir/..", "dir/../.."};
	for (size_t i = 0; i < sizeof(unclean) / sizeof(*unclean); i++) {
		ck_assert_msg(oci_safe_cursor_dir(&c, unclean[i], &err) < 0, "'%s'", unclean[i]);
		ck_assert_int_eq(err.code, OCI_E_INVALID);
	}
	/* a directory held, swapped for a symlink that leads out: after forget, the cursor
	 * sees the symlink (the rule refuses it) */
	ck_assert_int_eq(mkdirat(rootfd, "swap", 0755), 0);
	ck_assert_int_eq(mkdirat(rootfd, "swap/in", 0755), 0);
	expect_cursor_agrees(&c, "swap/in");
	oci_safe_cursor_forget(&c);
	ck_assert_int_eq(unlinkat(rootfd, "swap/in", AT_REMOVEDIR), 0);
	ck_assert_int_eq(unlinkat(rootfd, "swap", AT_REMOVEDIR), 0);
	ln(outpath, "swap");
	expect_cursor_agrees(&c, "swap");
	/* a chain 200 deep (the walk without openat2 stops at 256), down and back up: never
	 * more than OCI_SAFE_CURSOR_FDS fds held */
	char deep[500] = "";
	size_t len = 0;
	int before = count_fds();
	for (int i = 0; i < 200; i++) {
		memcpy(deep + len, len ? "/d" : "d", len ? 3 : 2);
		len += len ? 2 : 1;
		ck_assert_int_eq(mkdirat(rootfd, deep, 0755), 0);
		int fd = oci_safe_cursor_dir(&c, deep, &err);
		ck_assert_msg(fd >= 0, "%s", err.msg);
		ck_assert_int_le(count_fds() - before, OCI_SAFE_CURSOR_FDS + 1);
	}
	/* a jump from elsewhere (an anchor's worth of components per openat2), and one that
	 * meets a symlink first (component by component) */
	expect_cursor_agrees(&c, "etc");
	expect_cursor_agrees(&c, deep);
	ck_assert_int_le(count_fds() - before, OCI_SAFE_CURSOR_FDS + 1);
	ln("d/d/d", "jump");
	char viajump[sizeof(deep) + 8];
	snprintf(viajump, sizeof(viajump), "jump/%s", deep + 6);
	expect_cursor_agrees(&c, "etc");
	expect_cursor_agrees(&c, viajump);
	ck_assert_int_le(count_fds() - before, OCI_SAFE_CURSOR_FDS + 1);
	for (; len > 1; len -= 2) {
		deep[len] = '\0';
		expect_cursor_agrees(&c, deep);
		ck_assert_int_le(count_fds() - before, OCI_SAFE_CURSOR_FDS + 1);
	}
	oci_safe_cursor_release(&c);
	ck_assert_int_le(count_fds(), before);
	assert_outside_untouched();
}
END_TEST

/* A chain of d's 200 deep under the root; its path in deep. */
static void make_chain(char *deep, size_t cap)
{
	size_t len = 0;
	for (int i = 0; i < 200; i++) {
		ck_assert_uint_lt(len + 3, cap);
		memcpy(deep + len, len ? "/d" : "d", len ? 3 : 2);
		len += len ? 2 : 1;
		ck_assert_int_eq(mkdirat(rootfd, deep, 0755), 0);
	}
}

/* The cursor held up to OCI_SAFE_CURSOR_FDS directory fds whatever the open-file limit: at
 * 'ulimit -n 64' a deep tree that unpacked before it now failed with EMFILE. It sizes itself
 * to half the files left free at init, and sheds what it holds when an open still meets
 * EMFILE (the limit lowered, or files taken by others, since). */
START_TEST(test_cursor_file_limit)
{
	set_mode(_i);
	char deep[700] = "";
	make_chain(deep, sizeof(deep));
	struct rlimit old, low;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	int before = count_fds();
	low = old;
	low.rlim_cur = (rlim_t)before + 24; /* a budget of 12 */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	oci_safe_cursor c;
	oci_error err = OCI_ERROR_INIT;
	oci_safe_cursor_init(&c, rootfd);
	size_t len = strlen(deep);
	int most = 0;
	for (size_t l = 1; l <= len; l += 2) { /* down, one level a call */
		char save = deep[l];
		deep[l] = '\0';
		int fd = oci_safe_cursor_dir(&c, deep, &err);
		deep[l] = save;
		ck_assert_msg(fd >= 0, "depth %zu: %s", l / 2 + 1, err.msg);
		int held = count_fds() - before;
		most = held > most ? held : most;
	}
	ck_assert_msg(most <= 12 + 1, "%d fds held at a budget of 12", most);
	ck_assert_int_ge(oci_safe_cursor_dir(&c, "etc", &err), 0);
	ck_assert_int_ge(oci_safe_cursor_dir(&c, deep, &err), 0);
	ck_assert_int_le(count_fds() - before, 12 + 1);
	oci_safe_cursor_release(&c);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);

	/* sized at a high limit, then out of files: what is held is shed, the path opened */
	oci_safe_cursor_init(&c, rootfd);
	for (size_t l = 1; l < 2 * 150; l += 2) { /* down to 150, one level a call */
		deep[l] = '\0';
		ck_assert_int_ge(oci_safe_cursor_dir(&c, deep, &err), 0);
		deep[l] = '/';
	}
	int held = count_fds() - before;
	ck_assert_int_gt(held, 12);
	low.rlim_cur = (rlim_t)count_fds(); /* not one file free */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	int fd = oci_safe_cursor_dir(&c, deep, &err);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_msg(fd >= 0, "out of files with %d held: %s", held, err.msg);
	expect_cursor_agrees(&c, deep);
	oci_safe_cursor_release(&c);
	ck_assert_int_le(count_fds(), before);
}
END_TEST

/* The in-root mkdir (runc's MkdirAllInRoot): never touches the host; creates what is missing,
 * also the target of a dangling symlink, inside the root. */
START_TEST(test_mkdir_in_root)
{
	oci_error err = OCI_ERROR_INIT;
	struct stat st;
	char p[600];
	/* ".." is clamped at the root */
	int fd = oci_safe_mkdir_in_root(rootfd, "dir/../../../made/a", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert(same_dir(fd, "made/a"));
	close(fd);
	/* absolute symlinks restart at the root */
	fd = oci_safe_mkdir_in_root(rootfd, "abs/newdir", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert(same_dir(fd, "etc/newdir"));
	close(fd);
	fd = oci_safe_mkdir_in_root(rootfd, "absout/m1", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/m1", mirror);
	ck_assert(same_dir(fd, p));
	close(fd);
	fd = oci_safe_mkdir_in_root(rootfd, "relout/m2", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert(same_dir(fd, "outside/m2"));
	close(fd);
	/* a dangling absolute symlink: its target is made inside the root */
	fd = oci_safe_mkdir_in_root(rootfd, "dangling/deeper", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/newfile/deeper", mirror);
	ck_assert(same_dir(fd, p));
	close(fd);
	assert_outside_untouched();
	/* the root itself */
	fd = oci_safe_mkdir_in_root(rootfd, "/", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert(same_dir(fd, "."));
	close(fd);
	/* symlink loops */
	ck_assert_int_lt(oci_safe_mkdir_in_root(rootfd, "loop1/x", 0755, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	ck_assert_int_lt(oci_safe_mkdir_in_root(rootfd, "self", 0755, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	/* a file in the way */
	ck_assert_int_lt(oci_safe_mkdir_in_root(rootfd, "dir/sub/file/x", 0755, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	/* A directory swapped for a symlink to the host between two calls: the second call
	 * follows it inside the root, to the mirror, never to the host's outside/. */
	fd = oci_safe_mkdir_in_root(rootfd, "swap/a", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	ck_assert_int_eq(renameat(rootfd, "swap", rootfd, "swapped-away"), 0);
	ln(outpath, "swap");
	fd = oci_safe_mkdir_in_root(rootfd, "swap/b", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/b", mirror);
	ck_assert(same_dir(fd, p));
	close(fd);
	ck_assert_int_eq(fstatat(rootfd, "swapped-away/a", &st, 0), 0);
	assert_outside_untouched();
}
END_TEST

/* The edges of the one fallback walk as each of its two callers meets them (the in-root mkdir
 * always walks; oci_safe_open walks without openat2): a name longer than NAME_MAX, a path
 * deeper than the walk's stack of directory fds, "." and trailing slashes, ".." after a
 * symlink, a dangling symlink with a trailing slash, a symlink to a file in the middle. */
START_TEST(test_walk_edges)
{
	oci_error err = OCI_ERROR_INIT;
	struct stat st;
	static char p[4096];
	char q[600];
	int fd;
	set_mode(1);
	/* A name longer than NAME_MAX is refused by both, before anything is made. */
	memset(p, 'n', NAME_MAX + 1);
	strcpy(p + NAME_MAX + 1, "/x");
	ck_assert_int_lt(oci_safe_open(rootfd, p, O_RDONLY, 0, &err), 0);
	ck_assert_int_eq(err.sys_errno, ENAMETOOLONG);
	ck_assert_int_lt(oci_safe_mkdir_in_root(rootfd, p, 0755, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_msg(strstr(err.msg, "path component too long"), "%s", err.msg);
	/* Deeper than the walk holds (256 levels): a limit error, not a crash or a wrong fd. */
	p[0] = '\0';
	for (int i = 0; i < 300; i++)
		strcat(p, "d/");
	ck_assert_int_lt(oci_safe_mkdir_in_root(rootfd, p, 0755, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_LIMIT);
	ck_assert_msg(strstr(err.msg, "path too deep"), "%s", err.msg);
	ck_assert_int_lt(oci_safe_open(rootfd, p, O_RDONLY | O_DIRECTORY, 0, &err), 0);
	ck_assert_int_eq(err.sys_errno, ENAMETOOLONG);
	/* "." and repeated or trailing slashes are nothing. */
	fd = oci_safe_mkdir_in_root(rootfd, "./made//two/./", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert(same_dir(fd, "made/two"));
	close(fd);
	fd = oci_safe_open(rootfd, "./made//two/./", O_RDONLY | O_DIRECTORY, 0, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert(same_dir(fd, "made/two"));
	close(fd);
	/* ".." after a symlink climbs from its target (rel -> dir/sub), as the kernel does. */
	fd = oci_safe_mkdir_in_root(rootfd, "rel/../sibling", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert(same_dir(fd, "dir/sibling"));
	close(fd);
	fd = oci_safe_open(rootfd, "rel/../sibling/", O_RDONLY, 0, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert(same_dir(fd, "dir/sibling"));
	close(fd);
	/* A dangling symlink with a trailing slash: mkdir makes its target inside the root;
	 * open finds nothing there and will not create a file through "name/". */
	expect_errno("dangling/", O_RDONLY, ENOENT);
	expect_errno("dangling/", O_WRONLY | O_CREAT, EISDIR);
	fd = oci_safe_mkdir_in_root(rootfd, "dangling/", 0755, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	snprintf(q, sizeof(q), "%s/newfile", mirror);
	ck_assert(same_dir(fd, q));
	ck_assert_int_eq(fstatat(rootfd, q, &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISDIR(st.st_mode));
	close(fd);
	/* A symlink to a file in the middle of the path. */
	ln("dir/sub/file", "filelink");
	expect_errno("filelink/x", O_RDONLY, ENOTDIR);
	ck_assert_int_lt(oci_safe_mkdir_in_root(rootfd, "filelink/x", 0755, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_msg(strstr(err.msg, "is not a directory"), "%s", err.msg);
	assert_outside_untouched();
}
END_TEST

/* The thread's "status" holds its own tid as "Pid:" (a file every kernel has, readable
 * without an LSM). */
static void assert_own_status(int fd)
{
	char buf[4096], want[64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "\nPid:\t%ld\n", (long)syscall(SYS_gettid));
	ck_assert_msg(strstr(buf, want), "not our own status: %.200s", buf);
}

START_TEST(test_procfs_open)
{
	oci_error err = OCI_ERROR_INIT;
	set_mode(_i);
	int procfd = oci_safe_procfs_open("/proc", &err);
	ck_assert_msg(procfd >= 0, "%s", err.msg);
	int fd = oci_safe_procfs_open_self(procfd, "status", O_RDONLY, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	assert_own_status(fd);
	close(fd);
	/* attr/exec is there with or without an LSM; opening it for writing writes nothing */
	fd = oci_safe_procfs_open_self(procfd, "attr/exec", O_WRONLY, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	close(fd);
	/* a missing file keeps its ENOENT for the caller's fallback */
	ck_assert_int_lt(oci_safe_procfs_open_self(procfd, "attr/no-such-lsm/exec", O_WRONLY, &err),
			 0);
	ck_assert_int_eq(err.sys_errno, ENOENT);
	/* ".." and absolute paths never leave the thread's directory */
	ck_assert_int_lt(oci_safe_procfs_open_self(procfd, "../../1/status", O_RDONLY, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_INVALID);
	ck_assert_int_lt(oci_safe_procfs_open_self(procfd, "/etc/passwd", O_RDONLY, &err), 0);
	/* a symlink below the thread's directory is never followed (exe, cwd, root, fd/N) */
	ck_assert_int_lt(oci_safe_procfs_open_self(procfd, "root/etc/passwd", O_RDONLY, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	ck_assert_int_lt(oci_safe_procfs_open_self(procfd, "cwd", O_RDONLY, &err), 0);
	close(procfd);
}
END_TEST

/* What a container could shape as "its /proc": a plain directory, a symlink to the real one,
 * a directory inside a procfs. None is taken for a procfs root. */
START_TEST(test_procfs_open_refuses_impostors)
{
	oci_error err = OCI_ERROR_INIT;
	char fake[400], link[400];
	snprintf(fake, sizeof(fake), "%s/fakeproc", tmpdir);
	snprintf(link, sizeof(link), "%s/proclink", tmpdir);
	ck_assert_int_eq(mkdir(fake, 0755), 0);
	ck_assert_int_eq(symlink("/proc", link), 0);
	ck_assert_int_lt(oci_safe_procfs_open(fake, &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	ck_assert_int_lt(oci_safe_procfs_open(link, &err), 0);
	ck_assert_int_lt(oci_safe_procfs_open("/proc/sys", &err), 0);
	ck_assert_int_eq(err.code, OCI_E_UNSAFE);
	ck_assert_int_lt(oci_safe_procfs_open("/proc/self", &err), 0);
}
END_TEST

/* The attack of CVE-2019-16884 in the runtime's own mount namespace: a file bound over the
 * thread's attr/exec, a procfs file bound there, then a tmpfs over its attr directory. The write
 * must not land there: the open is refused, through openat2 and through the walk. Needs root (a
 * private mount namespace in a child). */
START_TEST(test_procfs_open_refuses_overmounts)
{
	if (geteuid() != 0) {
		unit_skip("needs root for a private mount namespace");
		return;
	}
	/* Only a mount id tells a bind of one procfs file over another apart, and under qemu-user
	 * (no openat2; statx and openat through the emulator) that case is not seen: it needs a
	 * native kernel. qemu-user is known by its missing seccomp(2), as in test_run_seccomp. */
	unsigned int act = 0x7fff0000U; /* SECCOMP_RET_ALLOW */
	bool mnt_ids = !(syscall(SYS_seccomp, 2 /* SECCOMP_GET_ACTION_AVAIL */, 0, &act) < 0 &&
			 errno == ENOSYS);
	if (!mnt_ids)
		fprintf(stderr, "not run under emulation: a procfs file bound over another is told "
				"apart by its mount id, which qemu-user does not give\n");
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		oci_safepath_force_fallback = _i;
		oci_error err = OCI_ERROR_INIT;
		char decoy[400], attr[128];
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(10);
		int procfd = oci_safe_procfs_open("/proc", &err);
		if (procfd < 0)
			_exit(11);
		snprintf(decoy, sizeof(decoy), "%s/decoy", tmpdir);
		int d = open(decoy, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (d < 0)
			_exit(12);
		close(d);
		long tid = syscall(SYS_gettid);
		snprintf(attr, sizeof(attr), "/proc/%ld/task/%ld/attr/exec", (long)getpid(), tid);
		if (mount(decoy, attr, NULL, MS_BIND, NULL) < 0)
			_exit(13);
		if (oci_safe_procfs_open_self(procfd, "attr/exec", O_WRONLY, &err) >= 0 ||
		    err.code != OCI_E_UNSAFE)
			_exit(20);
		umount2(attr, MNT_DETACH);
		/* a procfs file of another meaning bound there passes a filesystem check: only
		 * the mount crossing gives it away */
		char comm[128];
		snprintf(comm, sizeof(comm), "/proc/%ld/task/%ld/comm", (long)getpid(), tid);
		if (mnt_ids && mount(comm, attr, NULL, MS_BIND, NULL) < 0)
			_exit(15);
		if (mnt_ids &&
		    (oci_safe_procfs_open_self(procfd, "attr/exec", O_WRONLY, &err) >= 0 ||
		     err.code != OCI_E_UNSAFE))
			_exit(24);
		if (mnt_ids)
			umount2(attr, MNT_DETACH);
		snprintf(attr, sizeof(attr), "/proc/%ld/task/%ld/attr", (long)getpid(), tid);
		if (mount("tmpfs", attr, "tmpfs", 0, NULL) < 0)
			_exit(14);
		if (oci_safe_procfs_open_self(procfd, "attr/exec", O_WRONLY | O_CREAT, &err) >= 0 ||
		    err.code != OCI_E_UNSAFE)
			_exit(21);
		umount2(attr, MNT_DETACH);
		/* uncovered, the thread's own file opens again; the decoy got nothing */
		if (oci_safe_procfs_open_self(procfd, "attr/exec", O_WRONLY, &err) < 0)
			_exit(22);
		struct stat st;
		if (stat(decoy, &st) < 0 || st.st_size != 0)
			_exit(23);
		_exit(0);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}
END_TEST

static Suite *safepath_suite(void)
{
	Suite *s = suite_create("safepath");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	/* Loop index 0: openat2; 1: the fallback walk. */
	tcase_add_loop_test(tc, test_absolute_symlinks_stay_inside, 0, 2);
	tcase_add_loop_test(tc, test_dotdot_is_clamped, 0, 2);
	tcase_add_loop_test(tc, test_symlink_loops, 0, 2);
	tcase_add_loop_test(tc, test_create_stays_inside, 0, 2);
	tcase_add_loop_test(tc, test_mkdir_p, 0, 2);
	tcase_add_loop_test(tc, test_mkdir_p_deep, 0, 2);
	tcase_add_loop_test(tc, test_open_parent, 0, 2);
	tcase_add_loop_test(tc, test_lstat, 0, 2);
	tcase_add_loop_test(tc, test_open_beneath, 0, 2);
	tcase_add_test(tc, test_open_beneath_under_renames);
	tcase_add_loop_test(tc, test_cursor, 0, 2);
	tcase_add_loop_test(tc, test_cursor_file_limit, 0, 2);
	tcase_add_test(tc, test_mkdir_in_root);
	tcase_add_test(tc, test_walk_edges);
	tcase_add_test(tc, test_both_resolvers_agree);
	tcase_add_test(tc, test_path_clean_beneath);
	tcase_add_test(tc, test_path_clean);
	tcase_add_loop_test(tc, test_procfs_open, 0, 2);
	tcase_add_test(tc, test_procfs_open_refuses_impostors);
	tcase_add_loop_test(tc, test_procfs_open_refuses_overmounts, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/test_safepath.XXXXXX");
	if (!mkdtemp(base))
		return 1;
	SRunner *sr = srunner_create(safepath_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	oci_remove_tree_at(AT_FDCWD, base, NULL);
	return failed ? 1 : 0;
}
