/* Content-addressed blob store. Blobs are downloaded into a temporary file beside their
 * final name and renamed into place only after their digest and size are verified, so a
 * reader never sees a partial or wrong blob; a per-blob flock keeps two concurrent pulls
 * from downloading the same blob twice, and a blob found corrupt on reuse is removed. */
#include "fetch/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

char *oci_cache_default_dir(oci_error *err)
{
	const char *x = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	if (geteuid() == 0 && !(x && *x))
		return oci_strdup("/var/cache/oci-toolkit/blobs", err);
	if (x && *x)
		return oci_asprintf(err, "%s/oci-toolkit/blobs", x);
	if (home && *home)
		return oci_asprintf(err, "%s/.cache/oci-toolkit/blobs", home);
	return oci_err(err, OCI_E_INVALID,
		       "no cache directory: set HOME or XDG_CACHE_HOME, or use --cache/--no-cache"),
	       NULL;
}

static int mkdir_alg(oci_cache *c, const char *alg, oci_error *err)
{
	if (mkdirat(c->dirfd, alg, 0755) < 0 && errno != EEXIST)
		return oci_err_errno(err, errno, "cache '%s': mkdir '%s'", c->path, alg);
	return 0;
}

int oci_cache_open(oci_cache *c, const char *path, bool locking, oci_error *err)
{
	memset(c, 0, sizeof(*c));
	c->dirfd = -1;
	if (oci_mkdir_p(path, 0755, err) < 0)
		return oci_err_prefix(err, "cache '%s'", path);
	c->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0)
		return oci_err_errno(err, errno, "cache '%s'", path);
	c->path = oci_strdup(path, err);
	c->locking = locking;
	if (!c->path)
		return -1;
	if (locking && mkdirat(c->dirfd, ".locks", 0755) < 0 && errno != EEXIST)
		return oci_err_errno(err, errno, "cache '%s': mkdir '.locks'", path);
	return mkdir_alg(c, "sha256", err);
}

int oci_cache_open_temp(oci_cache *c, oci_error *err)
{
	const char *t = getenv("TMPDIR");
	cleanup_free char *tmpl =
	    oci_asprintf(err, "%s/oci-fetch.XXXXXX", t && *t ? t : "/var/tmp");
	if (!tmpl)
		return -1;
	if (!mkdtemp(tmpl))
		return oci_err_errno(err, errno, "cannot make a temporary directory in '%s'",
				     t && *t ? t : "/var/tmp");
	if (oci_cache_open(c, tmpl, false, err) < 0) {
		rmdir(tmpl);
		return -1;
	}
	c->temporary = true;
	return 0;
}

void oci_cache_release(oci_cache *c)
{
	if (c->temporary && c->path) {
		oci_error e = OCI_ERROR_INIT;
		char *slash = strrchr(c->path, '/');
		if (slash) {
			*slash = '\0';
			int pfd =
			    open(*c->path ? c->path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (pfd >= 0) {
				oci_remove_tree_at(pfd, slash + 1, &e);
				close(pfd);
			}
		}
	}
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c->path);
	memset(c, 0, sizeof(*c));
	c->dirfd = -1;
}

static void blob_name(const oci_digest *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", oci_digest_alg_name(d->alg), d->hex);
}

int oci_cache_get(oci_cache *c, const oci_digest *d, int64_t size, bool verify, int *fd,
		  oci_error *err)
{
	char name[OCI_DIGEST_STR_MAX + 8];
	blob_name(d, name, sizeof(name));
	cleanup_close int f = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (f < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP) {
			unlinkat(c->dirfd, name, 0);
			return 0;
		}
		return oci_err_errno(err, errno, "cache '%s': open '%s'", c->path, name);
	}
	struct stat st;
	if (fstat(f, &st) < 0)
		return oci_err_errno(err, errno, "cache '%s': stat '%s'", c->path, name);
	bool bad = !S_ISREG(st.st_mode) || (size >= 0 && st.st_size != size);
	if (!bad && verify) {
		oci_digest got;
		uint64_t n = 0;
		if (oci_digest_fd(d->alg, f, &got, &n, err) < 0)
			return oci_err_prefix(err, "cache '%s': read '%s'", c->path, name);
		bad = !oci_digest_equal(&got, d) || (size >= 0 && n != (uint64_t)size);
		if (lseek(f, 0, SEEK_SET) < 0)
			return oci_err_errno(err, errno, "cache '%s': seek '%s'", c->path, name);
	}
	if (bad) {
		char ds[OCI_DIGEST_STR_MAX];
		log_warn("cached blob %s is corrupt: fetching it again", oci_digest_str(d, ds));
		unlinkat(c->dirfd, name, 0);
		return 0;
	}
	*fd = steal_fd(&f);
	return 1;
}

int oci_cache_tmp(oci_cache *c, const oci_digest *d, char *name, size_t len, oci_error *err)
{
	const char *alg = oci_digest_alg_name(d->alg);
	if (mkdir_alg(c, alg, err) < 0)
		return -1;
	for (int i = 0; i < 100; i++) {
		snprintf(name, len, "%s/.partial-%.16s-%d-%u", alg, d->hex, (int)getpid(),
			 c->seq++);
		int fd = openat(c->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
				0644);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return oci_err_errno(err, errno, "cache '%s': create '%s'", c->path, name);
	}
	return oci_err(err, OCI_E_IO, "cache '%s': cannot create a temporary file", c->path);
}

int oci_cache_commit(oci_cache *c, const char *tmpname, const oci_digest *d, oci_error *err)
{
	char name[OCI_DIGEST_STR_MAX + 8];
	blob_name(d, name, sizeof(name));
	if (renameat(c->dirfd, tmpname, c->dirfd, name) < 0)
		return oci_err_errno(err, errno, "cache '%s': rename to '%s'", c->path, name);
	return 0;
}

void oci_cache_discard(oci_cache *c, const char *tmpname)
{
	if (tmpname && *tmpname)
		unlinkat(c->dirfd, tmpname, 0);
}

int oci_cache_trylock(oci_cache *c, const oci_digest *d, int *lockfd, oci_error *err)
{
	*lockfd = -1;
	if (!c->locking)
		return 1;
	char name[OCI_DIGEST_MAX_HEX + 32];
	snprintf(name, sizeof(name), ".locks/%s-%s", oci_digest_alg_name(d->alg), d->hex);
	int fd = openat(c->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return oci_err_errno(err, errno, "cache '%s': lock '%s'", c->path, name);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return 0;
		return oci_err_errno(err, e, "cache '%s': lock '%s'", c->path, name);
	}
	*lockfd = fd;
	return 1;
}

void oci_cache_unlock(int *lockfd)
{
	if (*lockfd >= 0) {
		close(*lockfd);
		*lockfd = -1;
	}
}

bool oci_cache_link(oci_cache *c, const oci_digest *d, int dirfd, const char *name)
{
	char src[OCI_DIGEST_STR_MAX + 8];
	blob_name(d, src, sizeof(src));
	return linkat(c->dirfd, src, dirfd, name, 0) == 0;
}
