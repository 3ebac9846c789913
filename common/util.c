/* Small helpers every tool uses: scoped cleanup, bounded reads, atomic writes. */
#include "common/util.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

void oci_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
		*fd = -1;
	}
}

void oci_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

void oci_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

void *oci_malloc(size_t n, oci_error *err)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oci_err_errno(err, ENOMEM, "cannot allocate %zu bytes", n);
	return p;
}

void *oci_calloc(size_t n, size_t size, oci_error *err)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oci_err_errno(err, ENOMEM, "cannot allocate %zu bytes", n * size);
	return p;
}

char *oci_strdup(const char *s, oci_error *err)
{
	char *p = strdup(s);
	if (!p)
		oci_err_errno(err, ENOMEM, "cannot allocate a string");
	return p;
}

char *oci_asprintf(oci_error *err, const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0) {
		p = NULL;
		oci_err_errno(err, ENOMEM, "cannot allocate a string");
	}
	va_end(ap);
	return p;
}

ssize_t oci_send_with_fd(int sock, const void *buf, size_t len, int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		m.msg_control = u.b;
		m.msg_controllen = sizeof(u.b);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

int oci_write_all(int fd, const void *buf, size_t len, oci_error *err)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return oci_err_errno(err, errno, "write failed");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int oci_read_fd(int fd, size_t max, char **out, size_t *len, oci_error *err)
{
	size_t cap = 4096, used = 0;
	cleanup_free char *buf = oci_malloc(cap + 1, err);
	if (!buf)
		return -1;
	for (;;) {
		if (used == cap) {
			if (cap > max)
				return oci_err(err, OCI_E_LIMIT,
					       "input larger than the %zu byte limit", max);
			size_t ncap = cap * 2;
			char *nbuf = realloc(buf, ncap + 1);
			if (!nbuf)
				return oci_err_errno(err, ENOMEM, "cannot allocate %zu bytes",
						     ncap);
			buf = nbuf;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + used, cap - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return oci_err_errno(err, errno, "read failed");
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max)
			return oci_err(err, OCI_E_LIMIT, "input larger than the %zu byte limit",
				       max);
	}
	buf[used] = '\0';
	*out = steal_pointer(&buf);
	if (len)
		*len = used;
	return 0;
}

int oci_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		     oci_error *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open '%s'", path);
	if (oci_read_fd(fd, max, out, len, err) < 0)
		return oci_err_prefix(err, "'%s'", path);
	return 0;
}

int oci_open_any_length(const char *path, int flags)
{
	int dirfd = AT_FDCWD;
	const char *p = path;
	char step[PATH_MAX];
	while (strlen(p) >= PATH_MAX) {
		size_t cut = PATH_MAX - 1;
		while (cut > 0 && p[cut] != '/')
			cut--;
		int fd = -1;
		if (cut > 0) {
			memcpy(step, p, cut);
			step[cut] = '\0';
			fd = openat(dirfd, step, O_PATH | O_DIRECTORY | O_CLOEXEC);
		} else {
			errno = ENAMETOOLONG; /* a component longer than PATH_MAX */
		}
		if (dirfd >= 0) {
			int saved = errno;
			close(dirfd);
			errno = saved;
		}
		if (fd < 0)
			return -1;
		dirfd = fd;
		for (p += cut; *p == '/'; p++)
			;
	}
	int fd = openat(dirfd, *p || dirfd == AT_FDCWD ? p : ".", flags | O_CLOEXEC);
	if (dirfd >= 0) {
		int saved = errno;
		close(dirfd);
		errno = saved;
	}
	return fd;
}

int oci_reopen_regular(int pathfd, const char *what, oci_error *err)
{
	struct stat st, now;
	char proc[64];
	if (fstat(pathfd, &st) < 0)
		return oci_err_errno(err, errno, "cannot stat '%s'", what);
	if (!S_ISREG(st.st_mode))
		return oci_err(err, OCI_E_UNSAFE, "'%s' is not a regular file", what);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pathfd);
	int fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open '%s' (through /proc)", what);
	if (fstat(fd, &now) < 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		close(fd);
		return oci_err(err, OCI_E_UNSAFE, "'%s' changed while it was opened", what);
	}
	return fd;
}

/* A symlink only root or we may follow: one another user made in a directory of theirs
 * would have root read, create or append to whatever it names. */
static int foreign_link(const struct stat *st, const char *path, oci_error *err)
{
	if (st->st_uid == 0 || st->st_uid == geteuid())
		return 0;
	return oci_err(err, OCI_E_UNSAFE,
		       "'%s' is a symlink of uid %u: not followed (name what it points to)", path,
		       (unsigned int)st->st_uid);
}

/* A second name, in a directory of another user's, for a file that user does not own: one
 * they made where fs.protected_hardlinks is 0 would have root read or append to a file only
 * root may. NULL when st (in a directory whose metadata is dir) is none. */
static const char *foreign_hardlink(const struct stat *st, const struct stat *dir)
{
	if (S_ISREG(st->st_mode) && st->st_nlink > 1 && st->st_uid != dir->st_uid)
		return "is a hard link to a file its directory's owner does not own";
	return NULL;
}

/* The metadata of the directory that holds dirfd/path's last component. */
static int stat_parent_at(int dirfd, const char *path, struct stat *dir)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return fstatat(dirfd, ".", dir, 0);
	cleanup_free char *parent = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!parent)
		return -1;
	return fstatat(dirfd, parent, dir, 0);
}

int oci_open_regular_at(int dirfd, const char *path, int flags, oci_error *err)
{
	struct stat st, dir;
	bool named = false; /* path is a symlink of root's or ours, followed */
	cleanup_close int pfd = openat(dirfd, path, O_PATH | O_CLOEXEC | O_NOFOLLOW | flags);
	if (pfd >= 0 && !(flags & O_NOFOLLOW) && fstat(pfd, &st) == 0 && S_ISLNK(st.st_mode)) {
		/* a user's bundle or layout: their symlink to a file only root may read would
		 * have it read (its first token printed in the JSON error, or run as a config) */
		if (foreign_link(&st, path, err) < 0)
			return -1;
		close(pfd);
		pfd = openat(dirfd, path, O_PATH | O_CLOEXEC | flags);
		named = true;
	}
	if (pfd < 0)
		return oci_err_errno(err, errno, "cannot open '%s'", path);
	if (!(flags & O_NOFOLLOW) && !named) {
		/* their hard link to such a file the same */
		const char *bad = NULL;
		if (fstat(pfd, &st) < 0 || (S_ISREG(st.st_mode) && st.st_nlink > 1 &&
					    stat_parent_at(dirfd, path, &dir) < 0))
			bad = "cannot be checked";
		else if (S_ISREG(st.st_mode) && st.st_nlink > 1)
			bad = foreign_hardlink(&st, &dir);
		if (bad)
			return oci_err(err, OCI_E_UNSAFE, "'%s' %s", path, bad);
	}
	return oci_reopen_regular(pfd, path, err);
}

int oci_read_regular_at(int dirfd, const char *path, int flags, size_t max, char **out, size_t *len,
			oci_error *err)
{
	cleanup_close int fd = oci_open_regular_at(dirfd, path, flags, err);
	if (fd < 0)
		return -1;
	if (oci_read_fd(fd, max, out, len, err) < 0)
		return oci_err_prefix(err, "'%s'", path);
	return 0;
}

int oci_open_dir_named(const char *path, int flags, oci_error *err)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return open(path, flags | O_DIRECTORY | O_CLOEXEC);
	memcpy(buf, path, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	char *slash = strrchr(buf, '/');
	const char *leaf = slash ? slash + 1 : buf;
	if (!strcmp(leaf, ".") || !strcmp(leaf, "..") || !strcmp(buf, "/"))
		return open(path, flags | O_DIRECTORY | O_CLOEXEC);
	const char *parent = !slash ? "." : slash == buf ? "/" : buf;
	if (slash && slash != buf)
		*slash = '\0';
	cleanup_close int dfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	return oci_open_dir_at(dfd, leaf, path, flags, err);
}

int oci_open_dir_at(int dirfd, const char *name, const char *what, int flags, oci_error *err)
{
	int fd = openat(dirfd, name, flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	struct stat st;
	if (fd >= 0 || (e != ELOOP && e != ENOTDIR) ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode)) {
		errno = e;
		return fd;
	}
	if (foreign_link(&st, what, err) < 0) {
		errno = ELOOP;
		return -2;
	}
	/* root's or ours: followed (a swap to another's after the check needs a directory
	 * another user can write that holds a symlink of root's) */
	return openat(dirfd, name, flags | O_DIRECTORY | O_CLOEXEC);
}

int oci_open_named(const char *path, int flags, mode_t mode, oci_error *err)
{
	const char *slash = strrchr(path, '/'), *leaf = slash ? slash + 1 : path;
	char dir[PATH_MAX], target[PATH_MAX];
	if (!*leaf || (size_t)(leaf - path) >= sizeof(dir))
		return oci_err(err, OCI_E_INVALID, "'%s': not a file name", path);
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(leaf - path), path);
	cleanup_close int dfd = oci_open_dir_named(slash ? dir : ".", O_PATH, err);
	if (dfd == -2)
		return -1;
	if (dfd < 0)
		return oci_err_errno(err, errno, "cannot open the directory of '%s'", path);
	/* a symlink is read through the inode checked, so a swap after the check opens the
	 * name with O_NOFOLLOW, which fails */
	int follow = O_NOFOLLOW;
	struct stat st, dst;
	cleanup_close int lfd = openat(dfd, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (lfd >= 0 && fstat(lfd, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (foreign_link(&st, path, err) < 0)
			return -1;
		/* procfs's fd links (/dev/fd/2) name no path to open again, and nobody can
		 * swap them: followed by name */
		struct statfs sfs;
		ssize_t n = 0;
		if (fstatfs(lfd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC) {
			n = readlinkat(lfd, "", target, sizeof(target) - 1);
			if (n <= 0)
				return oci_err_errno(err, n < 0 ? errno : ENOENT,
						     "cannot read '%s'", path);
			target[n] = '\0';
			leaf = target;
		}
		follow = 0;
	}
	int fd = openat(dfd, leaf, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | follow, mode);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open '%s'", path);
	/* what a symlink of root's names (a pipe behind /dev/stderr) is root's choice */
	const char *bad = NULL;
	/* O_PATH (a socket to connect to through /proc/self/fd/N) neither reads nor blocks: the
	 * caller checks what it found */
	if (flags & O_PATH)
		return fd;
	if (fstat(fd, &st) < 0 || fstat(dfd, &dst) < 0)
		bad = "cannot be checked";
	else if (follow && foreign_hardlink(&st, &dst))
		bad = foreign_hardlink(&st, &dst);
	else if (follow && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && st.st_uid != 0 &&
		 st.st_uid != geteuid())
		bad = "is not a regular file";
	if (bad || fcntl(fd, F_SETFL, flags & O_APPEND) < 0) {
		close(fd);
		return oci_err(err, OCI_E_UNSAFE, "'%s' %s: give a new or regular file", path,
			       bad ? bad : "cannot be set to block");
	}
	return fd;
}

int oci_read_named(const char *path, size_t max, char **out, size_t *len, oci_error *err)
{
	cleanup_close int fd = oci_open_named(path, O_RDONLY, 0, err);
	if (fd < 0)
		return -1;
	if (oci_read_fd(fd, max, out, len, err) < 0)
		return oci_err_prefix(err, "'%s'", path);
	return 0;
}

/* Writes data to a fresh temporary file beside dirfd/name; *tmp receives its name (tmp_size
 * bytes), *ino its inode and *keep (when not NULL) the open fd. Nothing is left on failure. */
static int write_temp(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		      bool sync, char *tmp, size_t tmp_size, ino_t *ino, int *keep, oci_error *err)
{
	const char *slash = strrchr(name, '/');
	/* A fresh file of our own (O_EXCL, unpredictable name): in a directory others may write,
	 * a file planted under the temporary name must not receive the data (auth.json's secrets)
	 * and then be renamed into place still owned by whoever planted it. */
	int fd = -1;
	for (int tries = 0; fd < 0; tries++) {
		unsigned int r;
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
			r = (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16) ^
			    (unsigned int)tries;
		int n = slash ? snprintf(tmp, tmp_size, "%.*s/.tmp-%s.%d.%08x", (int)(slash - name),
					 name, slash + 1, (int)getpid(), r)
			      : snprintf(tmp, tmp_size, ".tmp-%s.%d.%08x", name, (int)getpid(), r);
		if (n < 0 || (size_t)n >= tmp_size)
			return oci_err(err, OCI_E_INVALID, "path too long: '%s'", name);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd < 0 && (errno != EEXIST || tries >= 16))
			return oci_err_errno(err, errno, "cannot create '%s'", tmp);
	}
	cleanup_close int fdc = fd;
	struct stat st;
	if (oci_write_all(fdc, data, len, err) < 0 || fchmod(fdc, mode) < 0 ||
	    (sync && fsync(fdc) < 0) || fstat(fdc, &st) < 0) {
		if (!err || !err->code)
			oci_err_errno(err, errno, "cannot write '%s'", tmp);
		unlinkat(dirfd, tmp, 0);
		return oci_err_prefix(err, "'%s'", name);
	}
	*ino = st.st_ino;
	if (keep)
		*keep = steal_fd(&fdc);
	return 0;
}

void oci_remove_dead_temps(int dirfd, const char *name)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_closedir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	size_t nl = strlen(name);
	for (struct dirent *de; (de = readdir(d));) {
		/* ".tmp-NAME.PID.XXXXXXXX" */
		const char *p = de->d_name;
		if (strncmp(p, ".tmp-", 5) || strncmp(p + 5, name, nl) || p[5 + nl] != '.')
			continue;
		p += 6 + nl;
		size_t digits = strspn(p, "0123456789");
		if (!digits || p[digits] != '.' || strlen(p + digits + 1) != 8 ||
		    strspn(p + digits + 1, "0123456789abcdef") != 8)
			continue;
		struct stat st;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    unlinkat(dirfd, de->d_name, 0) == 0)
			log_debug("removed '%s', left by a writer of '%s' that died", de->d_name,
				  name);
	}
}

static int write_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			 bool sync, oci_error *err)
{
	char tmp[4096], dir[PATH_MAX];
	ino_t ino;
	const char *slash = strrchr(name, '/'), *path = name;
	cleanup_close int pfd = -1;
	if (dirfd == AT_FDCWD && slash && slash[1]) {
		/* a path the caller named (--pid-file, --digest-file, the auth file), in a place
		 * another user may write: its directory is opened once, by oci_open_dir_named's
		 * rule (not through their symlink), and the file made and renamed in that fd */
		if ((size_t)(slash - name) >= sizeof(dir))
			return oci_err(err, OCI_E_INVALID, "path too long: '%s'", name);
		snprintf(dir, sizeof(dir), "%.*s", slash == name ? 1 : (int)(slash - name), name);
		pfd = oci_open_dir_named(dir, O_PATH, err);
		if (pfd == -2)
			return -1;
		if (pfd < 0)
			return oci_err_errno(err, errno, "cannot open the directory of '%s'", name);
		dirfd = pfd;
		name = slash + 1;
	}
	if (write_temp(dirfd, name, data, len, mode, sync, tmp, sizeof(tmp), &ino, NULL, err) < 0)
		return path == name ? -1 : oci_err_prefix(err, "'%s'", path);
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return oci_err_errno(err, e, "cannot rename to '%s'", path);
	}
	return 0;
}

int oci_staged_file_write(oci_staged_file *f, int dirfd, const char *name, const void *data,
			  size_t len, mode_t mode, oci_error *err)
{
	*f = (oci_staged_file)OCI_STAGED_FILE_INIT;
	if (write_temp(dirfd, name, data, len, mode, false, f->tmp, sizeof(f->tmp), &f->ino, &f->fd,
		       err) < 0)
		return -1;
	f->dirfd = dirfd;
	f->name = name;
	f->state = OCI_STAGED_WRITTEN;
	return 0;
}

/* name still holds the file this run wrote (nobody put another there meanwhile; f->fd keeps
 * its inode number from being reused) */
static bool staged_ours(const oci_staged_file *f, const char *name)
{
	struct stat st;
	return fstatat(f->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == f->ino &&
	       S_ISREG(st.st_mode);
}

int oci_staged_file_swap(oci_staged_file *f, oci_error *err)
{
	if (f->state != OCI_STAGED_WRITTEN)
		return 0;
	if (renameat2(f->dirfd, f->tmp, f->dirfd, f->name, RENAME_NOREPLACE) == 0) {
		f->state = OCI_STAGED_PLACED;
		return 0;
	}
	int e = errno;
	if (e == EEXIST) {
		if (renameat2(f->dirfd, f->tmp, f->dirfd, f->name, RENAME_EXCHANGE) == 0) {
			struct stat st;
			int sr = fstatat(f->dirfd, f->tmp, &st, AT_SYMLINK_NOFOLLOW);
			if (sr == 0 && !S_ISDIR(st.st_mode)) {
				f->state = OCI_STAGED_EXCHANGED;
				return 0;
			}
			/* a directory would not go away when kept: it goes back, as a rename over
			 * it would have failed */
			e = sr == 0 ? EISDIR : errno;
			(void)renameat2(f->dirfd, f->tmp, f->dirfd, f->name, RENAME_EXCHANGE);
		} else {
			e = errno;
		}
	}
	if (e == EINVAL || e == ENOSYS || e == EOPNOTSUPP) {
		/* a filesystem without these flags: renamed into place when kept */
		f->state = OCI_STAGED_LATE;
		return 0;
	}
	unlinkat(f->dirfd, f->tmp, 0);
	f->state = OCI_STAGED_NONE;
	return oci_err_errno(err, e, "cannot rename to '%s'", f->name);
}

int oci_staged_file_keep(oci_staged_file *f, oci_error *err)
{
	int r = 0;
	if (f->state == OCI_STAGED_EXCHANGED) {
		unlinkat(f->dirfd, f->tmp, 0); /* the old content */
	} else if (f->state == OCI_STAGED_LATE || f->state == OCI_STAGED_WRITTEN) {
		if (renameat(f->dirfd, f->tmp, f->dirfd, f->name) < 0) {
			r = oci_err_errno(err, errno, "cannot rename to '%s'", f->name);
			unlinkat(f->dirfd, f->tmp, 0);
		}
	}
	f->state = OCI_STAGED_NONE;
	oci_closep(&f->fd);
	f->fd = -1;
	return r;
}

void oci_staged_file_undo(oci_staged_file *f)
{
	switch (f->state) {
	case OCI_STAGED_NONE:
		return;
	case OCI_STAGED_WRITTEN:
	case OCI_STAGED_LATE:
		unlinkat(f->dirfd, f->tmp, 0);
		break;
	case OCI_STAGED_PLACED:
		if (staged_ours(f, f->name))
			unlinkat(f->dirfd, f->name, 0);
		break;
	case OCI_STAGED_EXCHANGED:
		/* the old file back under its name, ours (now under the temporary name) gone */
		if (staged_ours(f, f->name) &&
		    renameat2(f->dirfd, f->tmp, f->dirfd, f->name, RENAME_EXCHANGE) == 0)
			unlinkat(f->dirfd, f->tmp, 0);
		break;
	}
	f->state = OCI_STAGED_NONE;
	oci_closep(&f->fd);
	f->fd = -1;
}

int oci_write_file_new(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		       oci_error *err)
{
	char tmp[4096];
	ino_t ino;
	if (write_temp(dirfd, name, data, len, mode, true, tmp, sizeof(tmp), &ino, NULL, err) < 0)
		return -1;
	int r = renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE);
	if (r < 0 && (errno == EINVAL || errno == ENOSYS))
		r = linkat(dirfd, tmp, dirfd, name, 0); /* a filesystem without the flag */
	int e = errno;
	unlinkat(dirfd, tmp, 0); /* after a link; after a rename, nothing is there */
	if (r < 0 && e != EEXIST)
		return oci_err_errno(err, e, "cannot create '%s'", name);
	return r < 0 ? 1 : 0;
}

int oci_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			  oci_error *err)
{
	return write_replace(dirfd, name, data, len, mode, true, err);
}

int oci_write_file_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			   oci_error *err)
{
	return write_replace(dirfd, name, data, len, mode, false, err);
}

volatile sig_atomic_t oci_interrupted;

static void on_interrupt(int sig)
{
	if (oci_interrupted) {
		/* the second: its default action (blocked while we handle it, it is delivered
		 * when the handler returns) */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	oci_interrupted = sig;
}

void oci_interrupt_install(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* one the caller ignores stays ignored (nohup's SIGHUP, a background job's
		 * SIGINT) */
		struct sigaction old;
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

int oci_check_interrupted(oci_error *err)
{
	if (!oci_interrupted)
		return 0;
	return oci_err(err, OCI_E_IO, "interrupted by signal %d", (int)oci_interrupted);
}

int64_t oci_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The one line a bounded lock wait ends with. */
static int held_too_long(oci_error *err, const char *what, int64_t wait_ms)
{
	return oci_err(err, OCI_E_IO,
		       "'%s' has been locked by another process for %lld s: try again", what,
		       (long long)(wait_ms / 1000));
}

int oci_flock_wait(int fd, int64_t wait_ms, const char *what, oci_error *err)
{
	int64_t until = oci_now_ms() + wait_ms;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (e != EWOULDBLOCK && e != EINTR)
			return oci_err_errno(err, e, "cannot lock '%s'", what);
		if (oci_now_ms() >= until)
			return held_too_long(err, what, wait_ms);
		usleep(5000);
	}
	return 0;
}

int oci_lockfile_take(oci_lockfile *lk, int dirfd, const char *name, int64_t wait_ms,
		      const char *what, oci_error *err)
{
	int64_t until = oci_now_ms() + wait_ms;
	*lk = (oci_lockfile)OCI_LOCKFILE_INIT;
	if (strlen(name) >= sizeof(lk->name))
		return oci_err(err, OCI_E_INVALID, "'%s': lock name too long", what);
	for (;;) {
		struct stat st, now;
		int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		int e = errno;
		bool file = fd >= 0;
		if (fd < 0 && e == EACCES && fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0) {
			/* another writer's (a shared directory), held: gone when it is done */
			if (oci_now_ms() >= until)
				return held_too_long(err, what, wait_ms);
			usleep(5000);
			continue;
		}
		if (fd < 0 && e != EACCES && e != EPERM && e != EROFS)
			return oci_err_errno(err, e, "'%s': cannot open '%s'", what, name);
		if (fd < 0 && (fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return oci_err_errno(err, errno, "'%s'", what);
		if (file && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			return oci_err(err, OCI_E_UNSAFE, "'%s': '%s' is not a regular file", what,
				       name);
		}
		int64_t left = until - oci_now_ms();
		if (oci_flock_wait(fd, left > 0 ? left : 0, what, err) < 0) {
			close(fd);
			if (err && err->code == OCI_E_IO) /* it counted only what was left */
				held_too_long(err, what, wait_ms);
			return -1;
		}
		if (!file || (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
			      now.st_dev == st.st_dev && now.st_ino == st.st_ino)) {
			lk->dirfd = dirfd;
			lk->fd = fd;
			lk->file = file;
			strcpy(lk->name, name);
			return 0;
		}
		close(fd); /* its holder removed it as we waited */
	}
}

void oci_lockfile_drop(oci_lockfile *lk)
{
	if (lk->fd < 0)
		return;
	if (lk->file)
		unlinkat(lk->dirfd, lk->name, 0);
	close(lk->fd);
	lk->fd = -1;
}

/* mkdir(buf) that is fine when it exists; the first one made is copied to *made */
static int mkdir_step(const char *buf, mode_t mode, char **made, oci_error *err)
{
	if (mkdir(buf, mode) < 0)
		return errno == EEXIST
			   ? 0
			   : oci_err_errno(err, errno, "cannot create directory '%s'", buf);
	if (made && !*made && !(*made = oci_strdup(buf, err)))
		return -1;
	return 0;
}

int oci_mkdir_p_made(const char *path, mode_t mode, char **made, oci_error *err)
{
	char buf[4096];
	if (made)
		*made = NULL;
	if (strlen(path) >= sizeof(buf))
		return oci_err(err, OCI_E_INVALID, "path too long: '%s'", path);
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir_step(buf, mode, made, err) < 0)
			return -1;
		*p = '/';
	}
	return mkdir_step(buf, mode, made, err);
}

void oci_rmdir_made(const char *path, const char *made)
{
	char buf[4096];
	size_t top = strlen(made), n = strlen(path);
	if (n >= sizeof(buf) || n < top || strncmp(path, made, top))
		return;
	memcpy(buf, path, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	while (strlen(buf) >= top && rmdir(buf) == 0) {
		char *slash = strrchr(buf, '/');
		if (!slash || slash == buf)
			return;
		*slash = '\0';
	}
}

int oci_mkdir_p(const char *path, mode_t mode, oci_error *err)
{
	return oci_mkdir_p_made(path, mode, NULL, err);
}

static void dirframe_free(oci_dirframe *f)
{
	if (f->fd >= 0)
		close(f->fd);
	for (size_t i = 0; i < f->n; i++)
		free(f->names[i]);
	free(f->names);
	free(f->path);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

static int read_names(oci_dirframe *f, oci_error *err)
{
	int dup = fcntl(f->fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0)
		return oci_err_errno(err, errno, "cannot read directory");
	DIR *d = fdopendir(dup);
	if (!d) {
		close(dup);
		return oci_err_errno(err, errno, "cannot read directory");
	}
	cleanup_closedir DIR *dc = d;
	size_t cap = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (f->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nn = realloc(f->names, ncap * sizeof(*nn));
			if (!nn)
				return oci_err_errno(err, ENOMEM, "cannot read directory");
			f->names = nn;
			cap = ncap;
		}
		if (!(f->names[f->n] = oci_strdup(de->d_name, err)))
			return -1;
		f->n++;
		errno = 0;
	}
	if (errno)
		return oci_err_errno(err, errno, "cannot read directory");
	return 0;
}

int oci_dirstack_push(oci_dirstack *s, int fd, char *path, oci_error *err)
{
	struct stat st;
	if (s->depth == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		oci_dirframe *n = realloc(s->f, ncap * sizeof(*n));
		if (!n) {
			close(fd);
			free(path);
			return oci_err_errno(err, ENOMEM, "cannot walk directory");
		}
		s->f = n;
		s->cap = ncap;
	}
	oci_dirframe *f = &s->f[s->depth++];
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->path = path;
	if (fstat(fd, &st) < 0) {
		oci_err_errno(err, errno, "cannot stat directory");
		goto fail;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	if (read_names(f, err) < 0)
		goto fail;
	if (s->depth > OCI_DIRSTACK_OPEN) {
		oci_dirframe *old = &s->f[s->depth - 1 - OCI_DIRSTACK_OPEN];
		close(old->fd);
		old->fd = -1;
	}
	return 0;
fail:
	dirframe_free(f);
	s->depth--;
	return -1;
}

int oci_dirstack_pop(oci_dirstack *s, oci_error *err)
{
	int ret = 0;
	if (s->depth == 0)
		return 0;
	oci_dirframe *top = &s->f[s->depth - 1];
	if (s->depth >= 2 && s->f[s->depth - 2].fd < 0) {
		oci_dirframe *up = &s->f[s->depth - 2];
		struct stat st;
		int fd = openat(top->fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			ret = oci_err_errno(err, errno, "cannot reopen a parent directory");
		else if (fstat(fd, &st) < 0 || st.st_dev != up->dev || st.st_ino != up->ino) {
			close(fd);
			ret = oci_err(err, OCI_E_UNSAFE, "a directory was moved during the walk");
		} else
			up->fd = fd;
	}
	dirframe_free(top);
	s->depth--;
	return ret;
}

void oci_dirstack_release(oci_dirstack *s)
{
	while (s->depth > 0)
		dirframe_free(&s->f[--s->depth]);
	free(s->f);
	memset(s, 0, sizeof(*s));
}

/* An unprivileged owner cannot empty a directory without write and search permission on it
 * (an image's 0555 dirs): grant them to ourselves first. */
static void make_removable(int dfd, const char *name, const struct stat *st)
{
	if ((st->st_mode & 0700) != 0700 && st->st_uid == geteuid())
		fchmodat(dfd, name, (st->st_mode & 07777) | 0700, 0);
}

int oci_remove_tree_at(int dirfd, const char *name, oci_error *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return oci_err_errno(err, errno, "cannot stat '%s'", name);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return oci_err_errno(err, errno, "cannot remove '%s'", name);
		return 0;
	}
	make_removable(dirfd, name, &st);
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open '%s'", name);
	oci_dirstack s = {0};
	int ret = oci_dirstack_push(&s, fd, NULL, err);
	while (s.depth > 0) {
		size_t t = s.depth - 1;
		oci_dirframe *top = &s.f[t];
		if (top->next == top->n) {
			/* emptied (or not): remove it from its parent, then go on there */
			if (t == 0)
				break;
			bool failed = top->failed;
			if (oci_dirstack_pop(&s, err) < 0) {
				ret = -1;
				break;
			}
			oci_dirframe *up = &s.f[t - 1];
			const char *child = up->names[up->next - 1];
			if (failed) {
				up->failed = true;
			} else if (unlinkat(up->fd, child, AT_REMOVEDIR) < 0 && errno != ENOENT) {
				up->failed = true;
				ret = oci_err_errno(err, errno, "cannot remove '%s'", child);
			}
			continue;
		}
		const char *nm = top->names[top->next++];
		struct stat cst;
		if (fstatat(top->fd, nm, &cst, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISDIR(cst.st_mode)) {
			if (unlinkat(top->fd, nm, 0) < 0 && errno != ENOENT) {
				top->failed = true;
				ret = oci_err_errno(err, errno, "cannot remove '%s'", nm);
			}
			continue;
		}
		if (cst.st_dev != st.st_dev) {
			top->failed = true;
			ret = oci_err(err, OCI_E_UNSAFE, "'%s' is a mount point, not removed", nm);
			continue;
		}
		make_removable(top->fd, nm, &cst);
		int sub = openat(top->fd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			top->failed = true;
			ret = oci_err_errno(err, errno, "cannot open '%s'", nm);
			continue;
		}
		if (oci_dirstack_push(&s, sub, NULL, err) < 0) {
			s.f[t].failed = true;
			ret = -1;
		}
	}
	oci_dirstack_release(&s);
	if (ret < 0)
		return oci_err_prefix(err, "cannot remove '%s'", name);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return oci_err_errno(err, errno, "cannot remove '%s'", name);
	return 0;
}

int oci_flush_stdout(oci_error *err)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		return oci_err_errno(err, errno ? errno : EIO, "cannot write to standard output");
	return 0;
}

int oci_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

void oci_format_size(uint64_t n, char *buf, size_t len)
{
	if (n >= (1u << 30))
		snprintf(buf, len, "%.2f GiB", (double)n / (1u << 30));
	else if (n >= (1u << 20))
		snprintf(buf, len, "%.1f MiB", (double)n / (1u << 20));
	else
		snprintf(buf, len, "%.1f KiB", (double)n / 1024);
}

int oci_parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t n = strlen(s);
	uint64_t mult = 1, v;
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	char last = num[n - 1];
	if (last == 'b' || last == 'B') {
		num[--n] = '\0';
		if (n == 0)
			return -1;
		last = num[n - 1];
	}
	switch (last) {
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		break;
	case 't':
	case 'T':
		mult = 1ULL << 40;
		break;
	default:
		break;
	}
	if (mult != 1)
		num[--n] = '\0';
	if (oci_parse_u64(num, UINT64_MAX / mult, &v) < 0)
		return -1;
	*out = v * mult;
	return 0;
}

size_t oci_utf8_put(char out[4], uint32_t cp)
{
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

bool oci_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool oci_str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

void oci_time_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", base, ts.tv_nsec);
}
