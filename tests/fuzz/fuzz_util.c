/* Helpers shared by the fuzz harnesses (see fuzz_util.h). */
#include "tests/fuzz/fuzz_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[PATH_MAX];
static bool sandboxed;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw);

static void die(const char *what)
{
	fprintf(stderr, "fuzz harness: %s: %s\n", what, strerror(errno));
	abort();
}

const oci_unpack_opts fuzz_unpack_opts = {
    .max_bytes = 16u << 20,
    .max_files = 20000,
    .max_padding = 1u << 20,
    .zstd_window_log = 23,
    .no_threads = true,
};

void fuzz_split(const uint8_t *data, size_t size, char **parts, size_t *lens, size_t n)
{
	const size_t sl = strlen(FUZZ_SEP);
	size_t pos = 0;
	for (size_t i = 0; i < n; i++) {
		size_t end = size;
		if (i + 1 < n && pos <= size) {
			const void *hit = memmem(data + pos, size - pos, FUZZ_SEP, sl);
			if (hit)
				end = (size_t)((const uint8_t *)hit - data);
		}
		if (pos > size) {
			parts[i] = fuzz_strndup(NULL, 0);
			if (lens)
				lens[i] = 0;
			continue;
		}
		parts[i] = fuzz_strndup(data + pos, end - pos);
		if (lens)
			lens[i] = end - pos;
		pos = end + sl;
	}
}

void fuzz_parts_free(char **parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(parts[i]);
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Keep dir writable inside the read-only namespace (a bind mount of itself, made rw). */
static void keep_writable(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
		die("bind mount");
	struct mount_attr attr = {.attr_clr = MOUNT_ATTR_RDONLY};
	if (mount_setattr(AT_FDCWD, dir, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		die("mount_setattr rw");
}

/* libFuzzer writes to its corpus directories and its artifact paths. */
static void keep_fuzzer_dirs_writable(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char dir[PATH_MAX];
		const char *v = NULL;
		if (!strncmp(a, "-artifact_prefix=", 17))
			v = a + 17;
		else if (!strncmp(a, "-exact_artifact_path=", 21))
			v = a + 21;
		if (v) {
			snprintf(dir, sizeof(dir), "%s", v);
			char *slash = strrchr(dir, '/');
			if (!slash)
				snprintf(dir, sizeof(dir), ".");
			else
				slash[slash == dir ? 1 : 0] = '\0';
			keep_writable(dir);
		} else if (a[0] != '-') {
			keep_writable(a);
		}
	}
}

static void mount_scratch(void)
{
	if (mount("fuzz", scratch, "tmpfs", MS_NOSUID, "size=256m,mode=0700") < 0)
		die("mount scratch tmpfs");
}

void fuzz_sandbox_init(int argc, char **argv)
{
	/* A harness started by a sandboxed one (libFuzzer's -minimize_crash runs itself) finds
	 * the host read-only: it makes its scratch directory in its parent's. */
	const char *tmp = getenv("FUZZ_SANDBOX_TMP");
	if (!tmp || !*tmp)
		tmp = getenv("TMPDIR");
	snprintf(scratch, sizeof(scratch), "%s/ocitk-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(scratch))
		die("mkdtemp");
	/* The namespace cannot write to the host: a helper left outside removes the scratch
	 * directory (empty as the host sees it) when the harness exits. */
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe");
	pid_t helper = fork();
	if (helper < 0)
		die("fork");
	if (helper == 0) {
		char c;
		close(pfd[1]);
		while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
			;
		nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
		_exit(0);
	}
	close(pfd[0]);
	const char *off = getenv("FUZZ_NO_SANDBOX");
	if (off && !strcmp(off, "1"))
		return;
	if (unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr,
			"fuzz harness: no mount namespace (%s): running without the "
			"read-only sandbox\n",
			strerror(errno));
		return;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("make / private");
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
		die("mount_setattr ro");
	keep_fuzzer_dirs_writable(argc, argv);
	mount_scratch();
	sandboxed = true;
	setenv("FUZZ_SANDBOX_TMP", scratch, 1);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP)
		chmod(path, 0700);
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Remove everything in the scratch directory; false when something is left. */
static bool clear_scratch(void)
{
	bool ok = true;
	DIR *d = opendir(scratch);
	struct dirent *de;
	char p[PATH_MAX];
	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", scratch, de->d_name);
		if (nftw(p, rm_one, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
			ok = false;
	}
	closedir(d);
	return ok;
}

int fuzz_scratch_reset(int *spoolfd)
{
	if (!scratch[0])
		fuzz_sandbox_init(0, NULL);
	/* Unlinking a small tree is much cheaper than a remount (umount waits for RCU); a fresh
	 * tmpfs empties whatever that cannot, however deep or strange. */
	if (!clear_scratch()) {
		if (!sandboxed)
			die("cannot empty the scratch directory");
		if (umount2(scratch, MNT_DETACH) < 0)
			die("umount scratch");
		mount_scratch();
	}
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/j1/j2/j3/root", scratch);
	for (char *s = strchr(p + strlen(scratch) + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			die("mkdir scratch");
		if (!s)
			break;
		*s = '/';
	}
	int rootfd = open(p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (rootfd < 0)
		die("open root");
	if (spoolfd) {
		snprintf(p, sizeof(p), "%s/spool", scratch);
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			die("mkdir spool");
		*spoolfd = open(p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (*spoolfd < 0)
			die("open spool");
	}
	return rootfd;
}

/* dir must hold exactly the names in want (NULL-terminated). */
static void expect_only(const char *dir, const char *const *want)
{
	DIR *d = opendir(dir);
	if (!d)
		die("opendir scratch");
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		bool ok = false;
		for (const char *const *w = want; *w; w++)
			ok = ok || !strcmp(de->d_name, *w);
		if (!ok) {
			fprintf(stderr, "fuzz harness: '%s/%s' appeared outside the root\n", dir,
				de->d_name);
			abort();
		}
	}
	closedir(d);
}

void fuzz_scratch_check(void)
{
	char p[PATH_MAX];
	expect_only(scratch, (const char *const[]){"j1", "spool", NULL});
	snprintf(p, sizeof(p), "%s/j1", scratch);
	expect_only(p, (const char *const[]){"j2", NULL});
	snprintf(p, sizeof(p), "%s/j1/j2", scratch);
	expect_only(p, (const char *const[]){"j3", NULL});
	snprintf(p, sizeof(p), "%s/j1/j2/j3", scratch);
	expect_only(p, (const char *const[]){"root", NULL});
}

void fuzz_write_file(int dirfd, const char *name, const void *buf, size_t len)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", name);
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(dirfd, p, 0755) < 0 && errno != EEXIST)
			die("mkdir");
		*s = '/';
	}
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		die("create file");
	const char *b = buf;
	while (len > 0) {
		ssize_t n = write(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("write file");
		b += n;
		len -= (size_t)n;
	}
	close(fd);
}

const char *fuzz_spool_path(void)
{
	static char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/spool", scratch);
	return p;
}

char *fuzz_subst(const char *s, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val), n = 0;
	for (const char *p = s; (p = strstr(p, key)); p += kl)
		n++;
	char *out = malloc(strlen(s) + n * vl + 1), *o = out;
	if (!out)
		abort();
	for (const char *p = s, *hit;; p = hit + kl) {
		hit = strstr(p, key);
		size_t l = hit ? (size_t)(hit - p) : strlen(p);
		memcpy(o, p, l);
		o += l;
		if (!hit)
			break;
		memcpy(o, val, vl);
		o += vl;
	}
	*o = '\0';
	return out;
}
