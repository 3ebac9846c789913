/* tmpcopyup (runc's and crun's extension of the mount options): after a tmpfs is mounted on a
 * directory of the rootfs, the directory it covers (still reachable through an fd opened
 * before the mount) is copied into it, so the image's files stay visible on a writable,
 * memory-backed directory. Everything goes through *at() calls relative to the two
 * directory fds with O_NOFOLLOW: nothing in the image can point the copy elsewhere. */
#include "run/copyup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/util.h"

#define COPYUP_MAX_DEPTH 64

static int copy_file(int from, int to, const char *name, const struct stat *st, oci_error *err)
{
	/* The covered directory may be shared (a rootfs or a volume of another container), so
	 * name may have become a FIFO (an open would wait for ever) or a device node (one we,
	 * outside any devices cgroup, would read into the tmpfs) since it was listed: only the
	 * regular file that was listed is opened for reading. */
	cleanup_close int path = openat(from, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat now;
	if (path < 0 || fstat(path, &now) < 0)
		return oci_err_errno(err, errno, "tmpcopyup: cannot open '%s'", name);
	if (!S_ISREG(now.st_mode) || now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return oci_err(err, OCI_E_STATE,
			       "tmpcopyup: '%s' was replaced while it was copied: is the directory "
			       "shared with a running container?",
			       name);
	cleanup_close int in = oci_reopen_regular(path, name, err);
	if (in < 0)
		return oci_err_prefix(err, "tmpcopyup");
	cleanup_close int out =
	    openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return oci_err_errno(err, errno, "tmpcopyup: cannot create '%s'", name);
	for (off_t left = st->st_size; left > 0;) {
		ssize_t n = sendfile(out, in, NULL, left > (1 << 30) ? (1 << 30) : (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return oci_err_errno(err, errno, "tmpcopyup: cannot copy '%s'", name);
		if (n == 0)
			break;
		left -= n;
	}
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return oci_err_errno(err, errno, "tmpcopyup: cannot set owner or mode of '%s'",
				     name);
	return 0;
}

static int copy_dir(int from, int to, int depth, oci_error *err)
{
	if (depth > COPYUP_MAX_DEPTH)
		return oci_err(err, OCI_E_LIMIT, "tmpcopyup: directories nested deeper than %d",
			       COPYUP_MAX_DEPTH);
	int dfd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return oci_err_errno(err, errno, "tmpcopyup: cannot read a directory");
	cleanup_closedir DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return oci_err_errno(err, errno, "tmpcopyup: cannot read a directory");
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		struct stat st;
		if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return oci_err_errno(err, errno, "tmpcopyup: cannot stat '%s'", name);
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(to, name, 0700) < 0)
				return oci_err_errno(err, errno, "tmpcopyup: cannot create '%s'",
						     name);
			cleanup_close int sub_from =
			    openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			cleanup_close int sub_to =
			    openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub_from < 0 || sub_to < 0)
				return oci_err_errno(err, errno, "tmpcopyup: cannot open '%s'",
						     name);
			if (copy_dir(sub_from, sub_to, depth + 1, err) < 0)
				return oci_err_prefix(err, "%s", name);
			if (fchown(sub_to, st.st_uid, st.st_gid) < 0 ||
			    fchmod(sub_to, st.st_mode & 07777) < 0)
				return oci_err_errno(err, errno,
						     "tmpcopyup: cannot set owner or mode of '%s'",
						     name);
		} else if (S_ISREG(st.st_mode)) {
			if (copy_file(from, to, name, &st, err) < 0)
				return -1;
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
			if (n < 0)
				return oci_err_errno(err, errno, "tmpcopyup: cannot read link '%s'",
						     name);
			target[n] = '\0';
			if (symlinkat(target, to, name) < 0 ||
			    fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
				return oci_err_errno(err, errno,
						     "tmpcopyup: cannot create link '%s'", name);
		} else {
			/* fifos, sockets and device nodes: the node itself */
			if (mknodat(to, name, st.st_mode, st.st_rdev) < 0 ||
			    fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
				return oci_err_errno(err, errno, "tmpcopyup: cannot create '%s'",
						     name);
		}
	}
	return 0;
}

int oci_copyup(int from, int to, bool keep_root_mode, oci_error *err)
{
	struct stat st;
	if (fstat(from, &st) < 0)
		return oci_err_errno(err, errno, "tmpcopyup: cannot stat the covered directory");
	if (copy_dir(from, to, 0, err) < 0)
		return -1;
	if (!keep_root_mode &&
	    (fchown(to, st.st_uid, st.st_gid) < 0 || fchmod(to, st.st_mode & 07777) < 0))
		return oci_err_errno(err, errno, "tmpcopyup: cannot set owner or mode");
	return 0;
}
