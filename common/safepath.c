/* Paths inside a root directory that never leave it, whatever symlinks and ".." say, by two
 * rules (safepath.h): in-root (confined) and beneath (refused).
 *
 * The kernel does this for us with openat2(RESOLVE_IN_ROOT or RESOLVE_BENEATH); on kernels
 * without it (or under a seccomp filter that refuses it) we walk the path one component at a
 * time with O_NOFOLLOW, expanding symlinks by hand against the root and clamping ".." at the
 * root. The same walk, creating what is missing, is the in-root mkdir the runtime uses.
 * The procfs rule at the end reaches the runtime's own /proc files without trusting any
 * path a container could have shaped. */
#include "common/safepath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/magic.h>
#include <unistd.h>

#include "common/util.h"

bool oci_safepath_force_fallback = false;

#define MAX_SYMLINKS 40
#define MAX_DEPTH    256

static int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
#ifdef SYS_openat2
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* openat2 of a scoped lookup (RESOLVE_IN_ROOT, RESOLVE_BENEATH), which fails with EAGAIN when
 * a rename or a mount anywhere on the host raced one of its ".." steps: the kernel asks for a
 * retry. A few are cheap; after them the walk, which applies the same rule, decides. */
static int sys_openat2_scoped(int dirfd, const char *path, struct open_how *how)
{
	int fd = -1;
	for (int tries = 0; tries < 8; tries++) {
		fd = sys_openat2(dirfd, path, how);
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd;
}

/* The next component of a path at or after p (slashes skipped): its start, with its length in
 * *n, or NULL at the end. */
static const char *next_component(const char *p, size_t *n)
{
	while (*p == '/')
		p++;
	if (!*p)
		return NULL;
	*n = strcspn(p, "/");
	return p;
}

/* Lexical cleaning shared by both public forms. strict: ".." above the start is an
 * error instead of being clamped. Returns 0, or -ENAMETOOLONG / -EXDEV. */
static int clean_path(const char *in, char *out, size_t len, bool strict)
{
	size_t o = 0;
	const char *p = in;
	if (len == 0)
		return -ENAMETOOLONG;
	size_t n;
	while ((p = next_component(p, &n))) {
		if (n == 1 && p[0] == '.') {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0 && strict)
				return -EXDEV;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (n > NAME_MAX || o + (o ? 1 : 0) + n + 1 > len)
				return -ENAMETOOLONG;
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = '\0';
	return 0;
}

int oci_path_clean(const char *in, char *out, size_t len)
{
	return clean_path(in, out, len, false) == 0 ? 0 : -1;
}

int oci_path_clean_beneath(const char *in, char *out, size_t len, oci_error *err)
{
	if (!in || !*in)
		return oci_err(err, OCI_E_INVALID, "empty name");
	if (in[0] == '/')
		return oci_err(err, OCI_E_UNSAFE, "absolute path");
	int r = clean_path(in, out, len, true);
	if (r == -EXDEV)
		return oci_err(err, OCI_E_UNSAFE, "path escapes the root");
	if (r < 0)
		return oci_err_errno(err, ENAMETOOLONG, "path or name component too long");
	return 0;
}

/* A stack of directory fds from the root down to the current directory. */
struct walk {
	int fds[MAX_DEPTH];
	int depth; /* fds[0] is a dup of the root */
};

static void walk_reset(struct walk *w)
{
	while (w->depth > 0)
		close(w->fds[w->depth--]);
}

static void walk_free(struct walk *w)
{
	walk_reset(w);
	close(w->fds[0]);
}

/* Replace `rest` by target + "/" + rest (no '/' when rest is empty and the link had none). */
static int splice_target(char **rest, const char *target, bool trailing_slash, oci_error *err)
{
	char *n = oci_asprintf(err, "%s%s%s", target, **rest || trailing_slash ? "/" : "", *rest);
	if (!n)
		return -1;
	free(*rest);
	*rest = n;
	return 0;
}

/* What the fallback walk is for. WALK_OPEN: oci_safe_open's walk, which opens the last
 * component with the caller's flags and fails on a missing one. WALK_BENEATH:
 * oci_safe_open_beneath's, the same but refusing, as RESOLVE_BENEATH does, what would leave
 * the root (an absolute path or symlink, ".." above the root) instead of confining it. WALK_MKDIR:
 * oci_safe_mkdir_in_root's, where every component is a directory, symlinks are always
 * followed and whatever is missing is made where the walk stands, so the target of a dangling
 * symlink is made too, inside the root like everything else. Each keeps its error texts. */
enum walk_mode { WALK_OPEN, WALK_BENEATH, WALK_MKDIR };

/* The fallback walk: one component at a time from a dup of the root, each looked up with
 * O_NOFOLLOW in the directory reached so far and checked through the fd it opened; "." is
 * skipped, ".." pops (never above the root), a symlink's target is put in front of the rest
 * of the path (an absolute one restarts at the root). follow_last (WALK_OPEN): expand a
 * symlink in the last component. Returns the opened fd (WALK_MKDIR: an O_PATH fd of the
 * directory reached, the root's dup for "" or "/"), or -1. */
static int walk(int rootfd, const char *path, enum walk_mode wm, int flags, mode_t mode,
		bool follow_last, oci_error *err)
{
	const bool mk = wm == WALK_MKDIR, beneath = wm == WALK_BENEATH;
	if (beneath && path[0] == '/')
		return oci_err(err, OCI_E_UNSAFE, "path escapes the root through a symlink in '%s'",
			       path);
	struct walk w = {.depth = 0};
	int links = 0, ret = -1;
	w.fds[0] = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (w.fds[0] < 0) {
		if (mk)
			return oci_err_errno(err, errno, "dup");
		return oci_err_errno(err, errno, "cannot duplicate root fd");
	}
	cleanup_free char *rest = oci_strdup(path, err);
	if (!rest)
		goto out;
	for (;;) {
		size_t n;
		const char *p = next_component(rest, &n);
		if (!p) {
			/* The path ended on a directory (or was empty). */
			if (mk) {
				ret = w.fds[w.depth];
				w.fds[w.depth] = -1;
				goto out;
			}
			/* Reopen it with the wanted flags. */
			if (flags & O_CREAT && !(flags & O_DIRECTORY)) {
				oci_err_errno(err, EISDIR, "cannot create '%s'", path);
				goto out;
			}
			ret = openat(w.fds[w.depth], ".",
				     (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
			if (ret < 0)
				oci_err_errno(err, errno, "cannot open '%s'", path);
			goto out;
		}
		if (n > NAME_MAX) {
			if (mk)
				oci_err(err, OCI_E_INVALID, "path component too long in '%s'",
					path);
			else
				oci_err_errno(err, ENAMETOOLONG, "cannot open '%s'", path);
			goto out;
		}
		char comp[NAME_MAX + 1];
		memcpy(comp, p, n);
		comp[n] = '\0';
		/* Remaining path after this component ("" when it was the last one). */
		const char *after = p + n;
		while (*after == '/')
			after++;
		/* "name/" must be a directory, and a symlink there is followed even with
		 * O_NOFOLLOW, as the kernel does. */
		bool trailing_slash = !*after && p[n] == '/';
		/* The component WALK_OPEN opens with the caller's flags (WALK_MKDIR has none). */
		bool last = !mk && !*after;
		memmove(rest, after, strlen(after) + 1);

		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			if (w.depth > 0) {
				close(w.fds[w.depth--]);
			} else if (beneath) {
				oci_err(err, OCI_E_UNSAFE,
					"path escapes the root through a symlink in '%s'", path);
				goto out;
			}
			continue;
		}
		int cur = w.fds[w.depth];
		cleanup_close int fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && mk) {
			if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST) {
				oci_err_errno(err, errno, "cannot create '%s' in '%s'", comp, path);
				goto out;
			}
			fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		struct stat st;
		if (fd < 0 && (mk || errno != ENOENT)) {
			if (mk)
				oci_err_errno(err, errno, "cannot open '%s' in '%s'", comp, path);
			else
				oci_err_errno(err, errno, "cannot open '%s'", path);
			goto out;
		}
		if (fd >= 0 && fstat(fd, &st) < 0) {
			oci_err_errno(err, errno, "cannot stat '%s'", comp);
			goto out;
		}
		bool exists = fd >= 0;
		if (exists && S_ISLNK(st.st_mode) && (!last || follow_last || trailing_slash)) {
			char target[4096];
			ssize_t tl = readlinkat(fd, "", target, sizeof(target) - 1);
			if (tl < 0 || ++links > MAX_SYMLINKS) {
				if (mk)
					oci_err(err, OCI_E_UNSAFE,
						"too many or unreadable symlinks in '%s'", path);
				else if (tl < 0)
					oci_err_errno(err, errno, "cannot read link '%s'", comp);
				else
					oci_err_errno(err, ELOOP, "cannot open '%s'", path);
				goto out;
			}
			target[tl] = '\0';
			if (target[0] == '/' && beneath) {
				oci_err(err, OCI_E_UNSAFE,
					"path escapes the root through a symlink in '%s'", path);
				goto out;
			}
			if (target[0] == '/')
				walk_reset(&w);
			if (splice_target(&rest, target, trailing_slash, err) < 0)
				goto out;
			continue;
		}
		if (last) {
			if (trailing_slash && (flags & O_CREAT)) {
				oci_err_errno(err, EISDIR, "cannot open '%s'", path);
				goto out;
			}
			ret = openat(cur, comp,
				     flags | (trailing_slash ? O_DIRECTORY : 0) | O_NOFOLLOW |
					 O_CLOEXEC,
				     mode);
			if (ret < 0)
				oci_err_errno(err, errno, "cannot open '%s'", path);
			goto out;
		}
		if (!exists) {
			oci_err_errno(err, ENOENT, "cannot open '%s'", path);
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (mk)
				oci_err(err, OCI_E_INVALID, "'%s' in '%s' is not a directory", comp,
					path);
			else
				oci_err_errno(err, ENOTDIR, "cannot open '%s'", path);
			goto out;
		}
		if (w.depth + 1 >= MAX_DEPTH) {
			if (mk)
				oci_err(err, OCI_E_LIMIT, "path too deep: '%s'", path);
			else
				oci_err_errno(err, ENAMETOOLONG, "cannot open '%s'", path);
			goto out;
		}
		w.fds[++w.depth] = steal_fd(&fd);
	}
out:
	walk_free(&w);
	return ret;
}

int oci_safe_open(int rootfd, const char *path, int flags, mode_t mode, oci_error *err)
{
	if (!oci_safepath_force_fallback) {
		struct open_how how = {
		    .flags = (uint64_t)(flags | O_CLOEXEC),
		    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		const char *p = *path ? path : ".";
		int fd = sys_openat2_scoped(rootfd, p, &how);
		if (fd >= 0)
			return fd;
		/* (EAGAIN: renames raced every try; the walk below is still safe) */
		if (errno != ENOSYS && errno != EPERM && errno != E2BIG && errno != EAGAIN)
			return oci_err_errno(err, errno, "cannot open '%s'", path);
	}
	return walk(rootfd, path, WALK_OPEN, flags, mode, !(flags & O_NOFOLLOW), err);
}

int oci_safe_open_beneath(int rootfd, const char *path, int flags, oci_error *err)
{
	if (!oci_safepath_force_fallback) {
		struct open_how how = {
		    .flags = (uint64_t)(flags | O_CLOEXEC),
		    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		int fd = sys_openat2_scoped(rootfd, *path ? path : ".", &how);
		if (fd >= 0)
			return fd;
		if (errno == EXDEV)
			return oci_err(err, OCI_E_UNSAFE,
				       "path escapes the root through a symlink in '%s'", path);
		if (errno != ENOSYS && errno != EPERM && errno != E2BIG && errno != EAGAIN)
			return oci_err_errno(err, errno, "cannot open '%s'", path);
	}
	/* No openat2, or renames raced every try: the walk applies the same rule. */
	return walk(rootfd, path, WALK_BENEATH, flags, 0, !(flags & O_NOFOLLOW), err);
}

int oci_safe_open_parent(int rootfd, const char *path, const char **leaf, char *leafbuf,
			 size_t leaflen, oci_error *err)
{
	char clean[4096];
	size_t n = strlen(path);
	if (n >= sizeof(clean))
		return oci_err(err, OCI_E_INVALID, "path too long: '%.64s...'", path);
	memcpy(clean, path, n + 1);
	while (n > 0 && clean[n - 1] == '/')
		clean[--n] = '\0';
	char *slash = strrchr(clean, '/');
	const char *name = slash ? slash + 1 : clean;
	if (!*name)
		return oci_err(err, OCI_E_INVALID, "'%s': has no parent directory inside the root",
			       path);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return oci_err(err, OCI_E_UNSAFE, "'%s': has no parent directory inside the root",
			       path);
	if (strlen(name) >= leaflen)
		return oci_err_errno(err, ENAMETOOLONG, "'%s'", path);
	strcpy(leafbuf, name);
	if (leaf)
		*leaf = leafbuf;
	if (slash)
		*slash = '\0';
	else
		clean[0] = '\0';
	int fd = oci_safe_open(rootfd, clean, O_RDONLY | O_DIRECTORY, 0, err);
	if (fd < 0)
		return oci_err_prefix(err, "parent of '%s'", path);
	return fd;
}

/* ---- the cursor: the beneath rule with memory ---- */

/* The fds a cursor keeps for a path of n components: the last window prefixes (the
 * neighbours of the next path, in an archive's order) and every stride-th one (an anchor no
 * more than stride lookups above any prefix, for a walk back up a deep tree). With the full
 * budget, 32 + 2048 / 32 = OCI_SAFE_CURSOR_FDS at most. */
#define CURSOR_WINDOW 32
#define CURSOR_STRIDE 32

static bool cursor_keeps(const oci_safe_cursor *c, size_t i, size_t n)
{
	return i + c->window >= n || (i + 1) % c->stride == 0;
}

/* Files this process may still open: RLIMIT_NOFILE less those open now. */
static size_t files_free(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return SIZE_MAX;
	size_t open_now = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return SIZE_MAX; /* no /proc: the full budget, and shedding on EMFILE */
	for (struct dirent *de; (de = readdir(d));)
		open_now += de->d_name[0] != '.';
	closedir(d);
	open_now--; /* the directory's own */
	return rl.rlim_cur > open_now ? (size_t)rl.rlim_cur - open_now : 0;
}

void oci_safe_cursor_init(oci_safe_cursor *c, int rootfd)
{
	c->rootfd = rootfd;
	c->stale = false;
	c->loose = -1;
	c->n = 0;
	c->path[0] = '\0';
	/* Half of what is free: the layer's writer needs files of its own beside the cursor,
	 * and an unpack that passed before the cursor kept any must not fail for it with
	 * EMFILE. A third of the budget is the window, the rest anchors (at least two). */
	size_t budget = rootfd < 0 ? 0 : files_free() / 2;
	if (budget > OCI_SAFE_CURSOR_FDS)
		budget = OCI_SAFE_CURSOR_FDS;
	if (budget < 3)
		budget = 3;
	c->window = budget / 3 < CURSOR_WINDOW ? budget / 3 : CURSOR_WINDOW;
	size_t anchors = budget - c->window;
	c->stride = (OCI_SAFE_CURSOR_MAXDEPTH + anchors - 1) / anchors;
}

/* Close the kept fds of components from..n-1 and keep the first from. */
static void cursor_cut(oci_safe_cursor *c, size_t from)
{
	for (size_t i = from; i < c->n; i++)
		if (c->fds[i] >= 0) {
			close(c->fds[i]);
			c->fds[i] = -1;
		}
	if (from < c->n)
		c->n = from;
}

void oci_safe_cursor_release(oci_safe_cursor *c)
{
	cursor_cut(c, 0);
	if (c->loose >= 0)
		close(c->loose);
	oci_safe_cursor_init(c, -1);
}

/* Out of files (EMFILE, ENFILE): close every fd held but the one at index keep (the walk's
 * current directory; SIZE_MAX for none). Whether any was closed, i.e. a retry may work. */
static bool cursor_shed(oci_safe_cursor *c, size_t keep)
{
	if (errno != EMFILE && errno != ENFILE)
		return false;
	bool shed = false;
	for (size_t i = 0; i < c->n; i++)
		if (i != keep && c->fds[i] >= 0) {
			close(c->fds[i]);
			c->fds[i] = -1;
			shed = true;
		}
	if (c->loose >= 0) {
		close(c->loose);
		c->loose = -1;
		shed = true;
	}
	return shed;
}

/* The directory path below prefix k's parent (the fd of prefix k-1, the root for k == 0) in
 * one openat2 that no symlink may take part in; out of files, once more after shedding all
 * but that parent. An O_PATH fd, or -1 (errno). */
static int cursor_openat2(oci_safe_cursor *c, size_t k, const char *path)
{
	struct open_how how = {
	    .flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = sys_openat2(k ? c->fds[k - 1] : c->rootfd, path, &how);
	if (fd < 0 && cursor_shed(c, k - 1))
		fd = sys_openat2(k ? c->fds[k - 1] : c->rootfd, path, &how);
	return fd;
}

/* Close the fd of prefix i of the path of n components being walked when the cursor will not
 * keep it: the walk holds no more than it keeps, plus the directory it is in. */
static void cursor_pass(oci_safe_cursor *c, size_t i, size_t n)
{
	if (c->fds[i] >= 0 && !cursor_keeps(c, i, n)) {
		close(c->fds[i]);
		c->fds[i] = -1;
	}
}

void oci_safe_cursor_forget(oci_safe_cursor *c)
{
	c->stale = true;
}

/* The path's component ends, checked clean; n components. */
static int cursor_split(const char *dir, uint16_t *ends, size_t *n, oci_error *err)
{
	size_t k = 0, i = 0, len = strlen(dir);
	if (len >= sizeof(((oci_safe_cursor *)0)->path))
		return oci_err_errno(err, ENAMETOOLONG, "cannot open '%.64s...'", dir);
	while (i < len) {
		size_t cl = strcspn(dir + i, "/");
		if (cl == 0 || cl > NAME_MAX || (cl == 1 && dir[i] == '.') ||
		    (cl == 2 && dir[i] == '.' && dir[i + 1] == '.') ||
		    (dir[i + cl] == '/' && !dir[i + cl + 1]))
			return oci_err(err, OCI_E_INVALID, "'%s' is not a clean relative path",
				       dir);
		i += cl;
		ends[k++] = (uint16_t)i;
		i += dir[i] == '/';
	}
	*n = k;
	return 0;
}

int oci_safe_cursor_dir(oci_safe_cursor *c, const char *dir, oci_error *err)
{
	uint16_t ends[OCI_SAFE_CURSOR_MAXDEPTH];
	size_t m = 0, same = 0;
	if (c->loose >= 0) {
		close(c->loose);
		c->loose = -1;
	}
	if (c->stale) {
		cursor_cut(c, 0);
		c->stale = false;
	}
	if (cursor_split(dir, ends, &m, err) < 0)
		return -1;
	/* the leading components this path shares with the one held */
	for (size_t start = 0; same < m && same < c->n && ends[same] == c->ends[same];
	     start = ends[same++] + 1u)
		if (memcmp(dir + start, c->path + start, ends[same] - start))
			break;
	/* the deepest of them whose fd is kept: the walk goes on from there */
	size_t base = same;
	while (base > 0 && c->fds[base - 1] < 0)
		base--;
	cursor_cut(c, base);
	memcpy(c->path, dir, strlen(dir) + 1);
	memcpy(c->ends, ends, m * sizeof(*ends));
	bool strides = !oci_safepath_force_fallback;
	if (strides && same < m && m - base > c->window) {
		/* A jump to another branch, far from what is held: one openat2 that no symlink
		 * may take part in, as a walk from the root costs, and only its end kept (a
		 * hostile archive alternating between deep branches pays what it did without a
		 * cursor); a climb back up from there fills in the anchors (below). */
		size_t start = base ? ends[base - 1] + 1u : 0;
		int fd = cursor_openat2(c, base, dir + start);
		if (fd >= 0) {
			for (size_t i = base; i + 1 < m; i++)
				c->fds[i] = -1;
			c->fds[m - 1] = fd;
			c->n = m;
			goto trim;
		}
		strides = false;
	}
	for (size_t k = base; k < m; k++) {
		size_t start = k ? ends[k - 1] + 1u : 0;
		/* A climb above the fds held (after a jump), or a symlink met in a jump: up to
		 * the next anchor in one openat2 that no symlink may take part in, so it costs a
		 * call per CURSOR_STRIDE components and the climb goes on from the anchors;
		 * anything else there (a symlink, no openat2) is left to the walk below,
		 * component by component. */
		size_t a = k + (c->stride - 1 - k % c->stride);
		if (strides && a > k && a + c->window < m) {
			char part[sizeof(c->path)];
			memcpy(part, dir + start, ends[a] - start);
			part[ends[a] - start] = '\0';
			int fd = cursor_openat2(c, k, part);
			if (fd >= 0) {
				for (size_t i = k; i < a; i++)
					c->fds[i] = -1;
				c->fds[a] = fd;
				c->n = a + 1;
				if (k > 0)
					cursor_pass(c, k - 1, m);
				k = a;
				continue;
			}
			strides = false;
		}
		char comp[NAME_MAX + 1];
		memcpy(comp, dir + start, ends[k] - start);
		comp[ends[k] - start] = '\0';
		int fd = openat(k ? c->fds[k - 1] : c->rootfd, comp,
				O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && cursor_shed(c, k - 1))
			fd = openat(k ? c->fds[k - 1] : c->rootfd, comp,
				    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
			/* A symlink (or no directory): the rule applied from the root to the
			 * prefix ending here, as a walk of the whole path would. */
			char prefix[sizeof(c->path)];
			memcpy(prefix, dir, ends[k]);
			prefix[ends[k]] = '\0';
			fd = oci_safe_open_beneath(c->rootfd, prefix, O_PATH | O_DIRECTORY, NULL);
			if (fd < 0 && cursor_shed(c, SIZE_MAX))
				fd = oci_safe_open_beneath(c->rootfd, prefix, O_PATH | O_DIRECTORY,
							   NULL);
		}
		if (fd < 0) {
			/* the error the whole path gets from the rule, in its words */
			c->n = k;
			oci_error e = OCI_ERROR_INIT;
			fd = oci_safe_open_beneath(c->rootfd, dir, O_PATH | O_DIRECTORY, &e);
			if (fd < 0 && (errno = e.sys_errno) && cursor_shed(c, SIZE_MAX)) {
				oci_err_clear(&e);
				fd =
				    oci_safe_open_beneath(c->rootfd, dir, O_PATH | O_DIRECTORY, &e);
			}
			if (fd < 0 && err)
				*err = e;
			if (fd >= 0)
				c->loose = fd; /* it changed under us: valid, not kept */
			return fd;
		}
		c->fds[k] = fd;
		c->n = k + 1;
		if (k > 0)
			cursor_pass(c, k - 1, m);
	}
trim:
	/* what slid out of the window, but for the anchors (kept fds that are not anchors lie
	 * in the window of the previous path, which ended at or after base) */
	for (size_t i = base > CURSOR_WINDOW ? base - CURSOR_WINDOW : 0; i < m; i++)
		if (c->fds[i] >= 0 && !cursor_keeps(c, i, m)) {
			close(c->fds[i]);
			c->fds[i] = -1;
		}
	return m ? c->fds[m - 1] : c->rootfd;
}

/* The walk keeps its place: an ordinary component is opened (or made, then opened) in the
 * directory reached so far with O_NOFOLLOW, so a path of n components costs O(n) lookups, not
 * O(n^2). Only a component that is not a plain directory there (a symlink, "..") sends the walk
 * back to the root to resolve the prefix whole, inside the root; the kernel's limit of 40
 * symlinks per lookup bounds how often that can happen. Nothing is kept across calls. */
int oci_safe_mkdir_p(int rootfd, const char *path, mode_t mode, oci_error *err)
{
	char prefix[4096];
	size_t n = strlen(path), o = 0;
	if (n >= sizeof(prefix))
		return oci_err(err, OCI_E_INVALID, "path too long: '%.64s...'", path);
	cleanup_close int cur = oci_safe_open(rootfd, "", O_PATH | O_DIRECTORY, 0, err);
	if (cur < 0)
		return -1;
	const char *p = path;
	size_t len;
	while ((p = next_component(p, &len))) {
		if (o)
			prefix[o++] = '/';
		memcpy(prefix + o, p, len);
		o += len;
		prefix[o] = '\0';
		p += len;
		char comp[NAME_MAX + 1];
		if (len > NAME_MAX)
			return oci_err_errno(err, ENAMETOOLONG, "cannot create '%s'", path);
		memcpy(comp, prefix + o - len, len);
		comp[len] = '\0';
		if (!strcmp(comp, "."))
			continue;
		int next = -1;
		if (strcmp(comp, "..")) {
			const int how = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
			next = openat(cur, comp, how);
			if (next < 0 && errno == ENOENT) {
				if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST)
					return oci_err_errno(
					    err, errno, "cannot create directory '%s'", prefix);
				next = openat(cur, comp, how);
			}
			if (next < 0 && errno != ENOTDIR && errno != ELOOP && errno != ENOENT)
				return oci_err_errno(err, errno, "cannot create directory '%s'",
						     prefix);
		}
		if (next < 0) {
			/* Not a plain directory here: resolve the whole prefix from the root, where
			 * a symlink's target (or "..") is confined to the root. */
			next = oci_safe_open(rootfd, prefix, O_PATH | O_DIRECTORY, 0, err);
			if (next < 0)
				return oci_err_prefix(err, "cannot create directory '%s'", path);
		}
		close(cur);
		cur = next;
	}
	return steal_fd(&cur);
}

/* The fallback walk in its WALK_MKDIR mode is the whole rule: no kernel call resolves in
 * root and creates directories as it goes. */
int oci_safe_mkdir_in_root(int rootfd, const char *path, mode_t mode, oci_error *err)
{
	return walk(rootfd, path, WALK_MKDIR, 0, mode, true, err);
}

int oci_safe_lstat(int rootfd, const char *path, struct stat *st, oci_error *err)
{
	char leafbuf[NAME_MAX + 1];
	const char *leaf;
	char clean[4096];
	if (oci_path_clean(path, clean, sizeof(clean)) == 0 && !clean[0]) {
		if (fstat(rootfd, st) < 0)
			return oci_err_errno(err, errno, "cannot stat the root");
		return 0;
	}
	cleanup_close int dfd =
	    oci_safe_open_parent(rootfd, path, &leaf, leafbuf, sizeof(leafbuf), err);
	if (dfd < 0)
		return -1;
	if (fstatat(dfd, leaf, st, AT_SYMLINK_NOFOLLOW) < 0)
		return oci_err_errno(err, errno, "cannot stat '%s'", path);
	return 0;
}

/* ---- the procfs rule ---- */

static int check_procfs(int fd, const char *what, oci_error *err)
{
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0)
		return oci_err_errno(err, errno, "procfs '%s': fstatfs", what);
	if (sfs.f_type != PROC_SUPER_MAGIC)
		return oci_err(err, OCI_E_UNSAFE, "procfs '%s': not on a procfs (f_type 0x%lx)",
			       what, (unsigned long)sfs.f_type);
	return 0;
}

int oci_safe_procfs_open(const char *path, oci_error *err)
{
	cleanup_close int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open procfs '%s'", path);
	struct stat st;
	if (check_procfs(fd, path, err) < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return oci_err_errno(err, errno, "procfs '%s': fstat", path);
	/* The root of a procfs, not a directory inside one that something could stand for. */
	if (st.st_ino != 1)
		return oci_err(err, OCI_E_UNSAFE, "procfs '%s': not the root of a procfs", path);
	int r = fd;
	fd = -1;
	return r;
}

/* A decimal number of at most 10 digits at *p, advancing *p. */
static bool take_number(const char **p)
{
	size_t n = strspn(*p, "0123456789");
	if (n == 0 || n > 10)
		return false;
	*p += n;
	return true;
}

/* Where fd is: its mount id where statx reports one (Linux 5.8), else its device. Two bind
 * mounts of one procfs share a device, so only the mount id tells them apart. */
static int mount_of(int fd, uint64_t *id, oci_error *err)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) == 0) {
		*id = (stx.stx_mask & STATX_MNT_ID)
			  ? stx.stx_mnt_id
			  : ((uint64_t)stx.stx_dev_major << 32 | stx.stx_dev_minor) | (1ULL << 63);
		return 0;
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return oci_err_errno(err, errno, "procfs: fstat");
	*id = (uint64_t)st.st_dev | (1ULL << 63);
	return 0;
}

/* Without openat2: one component at a time, never following a symlink (O_NOFOLLOW: ELOOP or
 * ENOTDIR), and every step on the mount of the procfs root (no mount crossed). */
static int procfs_walk(int procfd, const char *path, int flags, oci_error *err)
{
	uint64_t root, here;
	if (mount_of(procfd, &root, err) < 0)
		return -1;
	cleanup_close int cur = openat(procfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return oci_err_errno(err, errno, "procfs: cannot open its root");
	const char *p = path;
	size_t n;
	while ((p = next_component(p, &n))) {
		char name[NAME_MAX + 1];
		if (n > NAME_MAX)
			return oci_err(err, OCI_E_INVALID, "procfs '%s': name too long", path);
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		bool last = next_component(p, &n) == NULL;
		int fd =
		    openat(cur, name, last ? flags : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				return oci_err(err, OCI_E_UNSAFE,
					       "procfs '%s': '%s' is a symlink or not a directory",
					       path, name);
			return oci_err_errno(err, errno, "cannot open procfs '%s'", path);
		}
		close(cur);
		cur = fd;
		if (mount_of(cur, &here, err) < 0)
			return -1;
		if (here != root)
			return oci_err(err, OCI_E_UNSAFE, "procfs '%s': '%s' is another mount",
				       path, name);
	}
	int r = cur;
	cur = -1;
	return r;
}

int oci_safe_procfs_open_self(int procfd, const char *rel, int flags, oci_error *err)
{
	if (!rel[0] || rel[0] == '/' || strstr(rel, ".."))
		return oci_err(err, OCI_E_INVALID, "procfs: '%s' is not a plain relative path",
			       rel);
	/* thread-self is a link the kernel writes for the caller; it is read, never followed. */
	char link[64];
	ssize_t n = readlinkat(procfd, "thread-self", link, sizeof(link) - 1);
	if (n < 0)
		return oci_err_errno(err, errno, "procfs: cannot read thread-self");
	link[n] = '\0';
	const char *q = link;
	if (!take_number(&q) || strncmp(q, "/task/", 6) != 0 || (q += 6, !take_number(&q)) || *q)
		return oci_err(err, OCI_E_UNSAFE,
			       "procfs: thread-self is '%s', not <pid>/task/<tid>", link);
	char path[256];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", link, rel) >= sizeof(path))
		return oci_err(err, OCI_E_INVALID, "procfs: '%s' is too long", rel);
	return oci_safe_procfs_open_at(procfd, path, flags, err);
}

int oci_safe_procfs_open_at(int procfd, const char *path, int flags, oci_error *err)
{
	if (!path[0] || path[0] == '/' || strstr(path, ".."))
		return oci_err(err, OCI_E_INVALID, "procfs: '%s' is not a plain relative path",
			       path);
	flags |= O_NOFOLLOW | O_CLOEXEC;
	cleanup_close int fd = -1;
	if (!oci_safepath_force_fallback) {
		struct open_how how = {
		    .flags = (uint64_t)flags,
		    .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV | RESOLVE_BENEATH,
		};
		fd = sys_openat2(procfd, path, &how);
		if (fd < 0 && errno != ENOSYS && errno != EPERM) {
			if (errno == ELOOP || errno == EXDEV)
				return oci_err(
				    err, OCI_E_UNSAFE,
				    "procfs '%s': reached through a symlink or another mount",
				    path);
			return oci_err_errno(err, errno, "cannot open procfs '%s'", path);
		}
	}
	if (fd < 0 && (fd = procfs_walk(procfd, path, flags, err)) < 0)
		return -1;
	if (check_procfs(fd, path, err) < 0)
		return -1;
	int r = fd;
	fd = -1;
	return r;
}
