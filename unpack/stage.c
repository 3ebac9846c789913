/* All or nothing: the root filesystem is built in a private (0700) staging directory next to
 * DEST, on the same filesystem, and renamed into place only when every layer verified. On an
 * error or an interruption (oci_interrupt_install) the staging directory is removed and DEST
 * is as it was (absent, or the empty directory it was); a run killed outright leaves it to the
 * next run into the same DEST, which removes it. When DEST is an empty mount point, which
 * cannot be replaced by rename, staging happens inside it and the finished entries are moved
 * up. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "unpack/unpack.h"

static bool dir_is_empty(int fd)
{
	int d2 = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d2 < 0)
		return false;
	DIR *d = fdopendir(d2);
	if (!d) {
		close(d2);
		return false;
	}
	struct dirent *de;
	bool empty = true;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = false;
			break;
		}
	closedir(d);
	return empty;
}

/* ".PREFIX.oci-unpack-" and 12 hex digits: a staging directory's name (PREFIX: DEST's name
 * cut to 24 bytes, or "staging" inside DEST) */
static bool staging_name(const char *entry, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *tail = entry + 1 + n;
	return entry[0] == '.' && !strncmp(entry + 1, prefix, n) &&
	       !strncmp(tail, ".oci-unpack-", 12) && strlen(tail + 12) == 12 &&
	       strspn(tail + 12, "0123456789abcdef") == 12;
}

/* Whether the directory fd holds nothing but what a staging directory holds (rootfs,
 * spool): a tree of ours that whoever may write DEST's parent renamed to a staging name
 * (they may move it, never remove what is in it) is no dead run's. */
static bool staging_shape(int fd)
{
	int d2 = dup(fd);
	cleanup_closedir DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
	if (!d) {
		if (d2 >= 0)
			close(d2);
		return false;
	}
	for (struct dirent *de; (de = readdir(d));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "rootfs") && strcmp(de->d_name, "spool"))
			return false;
	return true;
}

/* Staging directories in dirfd of runs that are gone (SIGKILL, a crash, a power loss): each
 * run holds an exclusive flock on its own as long as it lives, and nobody else can open it to
 * hold one (0700, ours); one of ours whose lock is free is removed. A run killed mid-way
 * leaves its half-built tree only until the next run into the same DEST. */
static void remove_dead_staging(int dirfd, const char *prefix)
{
	int d2 = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
	if (!d) {
		if (d2 >= 0)
			close(d2);
		return;
	}
	cleanup_closedir DIR *dc = d;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (!staging_name(de->d_name, prefix))
			continue;
		cleanup_close int fd =
		    openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
		    (st.st_mode & 07777) != 0700 || !staging_shape(fd) ||
		    flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		/* through the directory checked and locked: its name may be another's by now,
		 * which the rmdir leaves unless empty */
		oci_error e = OCI_ERROR_INIT;
		log_debug("removing '%s', the staging directory of a run that is gone", de->d_name);
		if (oci_remove_tree_at(fd, "rootfs", &e) == 0 &&
		    oci_remove_tree_at(fd, "spool", &e) == 0)
			unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
	}
}

int oci_unpack_stage_begin(oci_unpack_stage *s, const char *dest, oci_error *err)
{
	char buf[PATH_MAX];
	struct stat st, pst;
	memset(s, 0, sizeof(*s));
	s->parentfd = s->destfd = s->tmpfd = s->rootfd = s->spoolfd = -1;
	size_t n = strlen(dest);
	if (n == 0 || n >= sizeof(buf))
		return oci_err(err, OCI_E_INVALID, "invalid destination '%s'", dest);
	memcpy(buf, dest, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	char *slash = strrchr(buf, '/');
	const char *name = slash ? slash + 1 : buf;
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return oci_err(err, OCI_E_INVALID,
			       "invalid destination '%s': name a directory to create", dest);
	s->dest = oci_strdup(dest, err);
	s->name = oci_strdup(name, err);
	if (!s->dest || !s->name)
		return -1;
	if (slash == buf)
		s->parentfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else if (slash) {
		*slash = '\0';
		s->parentfd = oci_open_dir_named(buf, O_RDONLY, err);
		if (s->parentfd < 0 && err && err->code)
			return oci_err_prefix(err, "'%s'", dest);
	} else
		s->parentfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->parentfd < 0)
		return oci_err_errno(err, errno, "'%s': cannot open its parent directory", dest);
	if (fstatat(s->parentfd, s->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISDIR(st.st_mode))
			return oci_err(err, OCI_E_EXISTS, "'%s' exists and is not a directory",
				       dest);
		s->destfd =
		    openat(s->parentfd, s->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s->destfd < 0)
			return oci_err_errno(err, errno, "cannot open '%s'", dest);
		/* a killed run's staging inside an empty mount point left it not empty */
		remove_dead_staging(s->destfd, "staging");
		if (!dir_is_empty(s->destfd))
			return oci_err(err, OCI_E_EXISTS,
				       "'%s' exists and is not empty: remove it, or give a new or "
				       "empty directory",
				       dest);
		if (fstat(s->parentfd, &pst) == 0 && pst.st_dev != st.st_dev)
			s->inside = true;
	} else if (errno != ENOENT) {
		return oci_err_errno(err, errno, "cannot stat '%s'", dest);
	}
	int where = s->inside ? s->destfd : s->parentfd;
	if (!s->inside) {
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "%.24s", s->name);
		remove_dead_staging(where, prefix);
	}
	for (int tries = 0;; tries++) {
		unsigned char rnd[6];
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			return oci_err_errno(err, errno, "getrandom");
		snprintf(s->tmpname, sizeof(s->tmpname),
			 ".%.24s.oci-unpack-%02x%02x%02x%02x%02x%02x",
			 s->inside ? "staging" : s->name, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
			 rnd[5]);
		if (mkdirat(where, s->tmpname, 0700) < 0) {
			if (errno != EEXIST || tries > 10)
				return oci_err_errno(
				    err, errno, "cannot create a staging directory next to '%s'",
				    dest);
			continue;
		}
		/* held until the staging directory is gone (remove_dead_staging); another run
		 * may have taken it for a dead one's before the lock: then a new one */
		s->tmpfd =
		    openat(where, s->tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s->tmpfd >= 0 && flock(s->tmpfd, LOCK_EX | LOCK_NB) == 0 &&
		    fstat(s->tmpfd, &st) == 0 && st.st_nlink > 0)
			break;
		if (s->tmpfd >= 0)
			close(s->tmpfd);
		s->tmpfd = -1;
		if (tries > 10)
			return oci_err(err, OCI_E_IO,
				       "cannot create a staging directory next to '%s': removed "
				       "by another run as soon as made",
				       dest);
	}
	if (mkdirat(s->tmpfd, "rootfs", 0755) < 0 || mkdirat(s->tmpfd, "spool", 0700) < 0)
		return oci_err_errno(err, errno, "cannot create a staging directory next to '%s'",
				     dest);
	s->rootfd = openat(s->tmpfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	s->spoolfd = openat(s->tmpfd, "spool", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->rootfd < 0 || s->spoolfd < 0)
		return oci_err_errno(err, errno, "cannot open the staging directory");
	return 0;
}

/* Mount-point destination: move each top-level entry of the staged root into DEST and give
 * DEST the root directory's metadata. A move that fails (a second run filled DEST meanwhile)
 * moves the entries already moved back into the staging root, which the abort removes: DEST
 * is left as it was, not half filled. */
static int publish_inside(oci_unpack_stage *s, oci_error *err)
{
	int d2 = openat(s->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (d2 < 0)
		return oci_err_errno(err, errno, "cannot read the staging directory");
	DIR *d = fdopendir(d2);
	if (!d) {
		close(d2);
		return oci_err_errno(err, errno, "cannot read the staging directory");
	}
	cleanup_closedir DIR *dc = d;
	cleanup_strv char **moved = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char **more = realloc(moved, (n + 2) * sizeof(*moved));
		if (more)
			moved = more;
		if (!more || !(moved[n] = strdup(de->d_name))) {
			oci_err(err, OCI_E_INTERNAL, "out of memory");
			goto undo;
		}
		moved[++n] = NULL;
		if (renameat(s->rootfd, de->d_name, s->destfd, de->d_name) < 0) {
			oci_err_errno(err, errno, "cannot move '%s' into '%s'", de->d_name,
				      s->dest);
			free(moved[--n]);
			moved[n] = NULL;
			goto undo;
		}
	}
	if (fstat(s->rootfd, &st) == 0) {
		struct timespec ts[2] = {st.st_atim, st.st_mtim};
		if (fchown(s->destfd, st.st_uid, st.st_gid) < 0 && geteuid() == 0) {
			oci_err_errno(err, errno, "cannot chown '%s'", s->dest);
			goto undo;
		}
		if (fchmod(s->destfd, st.st_mode & 07777) < 0) {
			oci_err_errno(err, errno, "cannot chmod '%s'", s->dest);
			goto undo;
		}
		(void)futimens(s->destfd, ts);
	}
	return 0;
undo:
	for (size_t i = 0; i < n; i++) {
		oci_error e2 = OCI_ERROR_INIT;
		if (renameat(s->destfd, moved[i], s->rootfd, moved[i]) < 0)
			oci_remove_tree_at(s->destfd, moved[i], &e2);
	}
	return -1;
}

int oci_unpack_stage_publish(oci_unpack_stage *s, oci_error *err)
{
	if (oci_check_interrupted(err) < 0)
		return -1;
	if (s->inside) {
		if (publish_inside(s, err) < 0)
			return -1;
	} else if (renameat(s->tmpfd, "rootfs", s->parentfd, s->name) < 0) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			return oci_err(err, OCI_E_EXISTS, "'%s' is no longer empty", s->dest);
		return oci_err_errno(err, errno, "cannot rename the staged root filesystem to '%s'",
				     s->dest);
	}
	oci_unpack_stage_abort(s); /* removes what is left: the spool */
	return 0;
}

void oci_unpack_stage_abort(oci_unpack_stage *s)
{
	oci_error e2 = OCI_ERROR_INIT;
	int where = s->inside ? s->destfd : s->parentfd;
	if (s->tmpname[0] && where >= 0)
		oci_remove_tree_at(where, s->tmpname, &e2);
	s->tmpname[0] = '\0';
	if (s->rootfd >= 0)
		close(s->rootfd);
	if (s->spoolfd >= 0)
		close(s->spoolfd);
	if (s->tmpfd >= 0)
		close(s->tmpfd);
	if (s->destfd >= 0)
		close(s->destfd);
	if (s->parentfd >= 0)
		close(s->parentfd);
	s->rootfd = s->spoolfd = s->tmpfd = s->destfd = s->parentfd = -1;
	free(s->dest);
	free(s->name);
	s->dest = s->name = NULL;
}
