/* Content-addressed blob store. Blobs are downloaded into a temporary file beside their
 * final name and renamed into place only after their digest and size are verified, so a
 * reader never sees a partial or wrong blob; a per-blob flock keeps two concurrent pulls
 * from downloading the same blob twice, and a blob found corrupt on reuse is removed. Reuse
 * refreshes a blob's modification time, so list and prune see when it was last used. */
#include "common/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

int oci_cache_check_owned(int fd, const char *what, mode_t forbidden, oci_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return oci_err_errno(err, errno, "%s", what);
	if (!S_ISDIR(st.st_mode))
		return oci_err(err, OCI_E_UNSAFE, "%s is not a directory: refusing it", what);
	if (st.st_uid != geteuid())
		return oci_err(
		    err, OCI_E_UNSAFE,
		    "%s belongs to uid %u, not to us (uid %u): refusing it (remove it or "
		    "give it to us)",
		    what, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & forbidden)
		return oci_err(err, OCI_E_UNSAFE,
			       "%s has mode %04o: refusing it (others could change what it "
			       "holds; chmod it %s)",
			       what, (unsigned)(st.st_mode & 07777),
			       forbidden == 077 ? "0700" : "go-w");
	return 0;
}

/* A shared store's directory (the root, sha256/, sha512/, .locks/): ours and closed to
 * others. Its blobs are hashed at each use anyway, but whoever else could write it could
 * hold a blob's lock for ever (every pull of it waits), swap the names our links and
 * renames go through, or fill it; and oci-unpack --cache keeps its trees there. */
static int check_shared(oci_cache *c, int fd, const char *name, oci_error *err)
{
	if (!c->locking)
		return 0;
	cleanup_free char *what = name ? oci_asprintf(err, "cache '%s/%s'", c->path, name)
				       : oci_asprintf(err, "cache '%s'", c->path);
	return what ? oci_cache_check_owned(fd, what, 022, err) : -1;
}

/* A directory of the store, never reached through a symlink: one put there (a cache others
 * could write or made first) would take our blobs, lock files and prune's unlinks out of the
 * store. -2 when it is missing and missing_ok. */
static int open_subdir(oci_cache *c, const char *name, bool missing_ok, oci_error *err)
{
	int fd = openat(c->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT && missing_ok)
		return -2;
	if (errno == ELOOP || errno == ENOTDIR)
		return oci_err(err, OCI_E_UNSAFE,
			       "cache '%s': '%s' is not a directory (a symlink?): refusing it "
			       "(remove it)",
			       c->path, name);
	return oci_err_errno(err, errno, "cache '%s': open '%s'", c->path, name);
}

/* The directory of alg's blobs, opened once and kept; with create, made when missing, else
 * -2 when it is not there. The threads of a pull ask at once: the first fd stored wins. */
static int alg_dir(oci_cache *c, int alg, bool create, oci_error *err)
{
	if (alg != OCI_DIGEST_SHA256 && alg != OCI_DIGEST_SHA512)
		return oci_err(err, OCI_E_INVALID, "cache '%s': unknown digest algorithm", c->path);
	int *slot = &c->algfd[alg - 1];
	int fd = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;
	const char *name = oci_digest_alg_name(alg);
	if (create && mkdirat(c->dirfd, name, 0755) < 0 && errno != EEXIST)
		return oci_err_errno(err, errno, "cache '%s': mkdir '%s'", c->path, name);
	fd = open_subdir(c, name, !create, err);
	if (fd < 0)
		return fd;
	if (check_shared(c, fd, name, err) < 0) {
		close(fd);
		return -1;
	}
	int none = -1;
	if (!__atomic_compare_exchange_n(slot, &none, fd, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		close(fd);
		return none;
	}
	return fd;
}

int oci_cache_open(oci_cache *c, const char *path, bool locking, oci_error *err)
{
	memset(c, 0, sizeof(*c));
	c->dirfd = c->locksfd = c->algfd[0] = c->algfd[1] = -1;
	if (oci_mkdir_p(path, 0755, err) < 0)
		return oci_err_prefix(err, "cache '%s'", path);
	c->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0)
		return oci_err_errno(err, errno, "cache '%s'", path);
	c->path = oci_strdup(path, err);
	c->locking = locking;
	if (!c->path || check_shared(c, c->dirfd, NULL, err) < 0)
		return -1;
	if (locking) {
		if (mkdirat(c->dirfd, ".locks", 0755) < 0 && errno != EEXIST)
			return oci_err_errno(err, errno, "cache '%s': mkdir '.locks'", path);
		if ((c->locksfd = open_subdir(c, ".locks", false, err)) < 0 ||
		    check_shared(c, c->locksfd, ".locks", err) < 0)
			return -1;
	}
	/* sha512's directory is made by its first blob, but checked now when it is there */
	if (alg_dir(c, OCI_DIGEST_SHA256, true, err) < 0 ||
	    alg_dir(c, OCI_DIGEST_SHA512, false, err) == -1)
		return -1;
	return 0;
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
	if (c->dirfd >= 0) {
		/* opened after dirfd only (a zeroed, never opened store holds no fd 0) */
		for (size_t i = 0; i < ARRAY_SIZE(c->algfd); i++)
			if (c->algfd[i] >= 0)
				close(c->algfd[i]);
		if (c->locksfd >= 0)
			close(c->locksfd);
		close(c->dirfd);
	}
	free(c->path);
	memset(c, 0, sizeof(*c));
	c->dirfd = c->locksfd = c->algfd[0] = c->algfd[1] = -1;
}

static void blob_name(const oci_digest *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", oci_digest_alg_name(d->alg), d->hex);
}

/* unneeded(ud, d) as oci_digest_fd_unless asks it */
struct unneeded_ask {
	oci_cache_unneeded_fn fn;
	void *ud;
	const oci_digest *d;
};

static bool ask_unneeded(void *p)
{
	const struct unneeded_ask *q = p;
	return q->fn(q->ud, q->d);
}

int oci_cache_get(oci_cache *c, const oci_digest *d, int64_t size, bool verify, int *fd,
		  oci_error *err)
{
	return oci_cache_get_unless(c, d, size, verify, NULL, NULL, NULL, fd, err);
}

int oci_cache_get_unless(oci_cache *c, const oci_digest *d, int64_t size, bool verify,
			 oci_cache_unneeded_fn unneeded, void *ud, bool *skipped, int *fd,
			 oci_error *err)
{
	if (skipped)
		*skipped = false;
	char name[OCI_DIGEST_STR_MAX + 8];
	blob_name(d, name, sizeof(name));
	int afd = alg_dir(c, d->alg, false, err);
	if (afd == -2)
		return 0;
	if (afd < 0)
		return -1;
	/* looked at before it is opened: a FIFO put there (a cache others can write) must not
	 * block us, a symlink must not be followed; either is replaced like a corrupt blob */
	cleanup_close int pf = openat(afd, d->hex, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int f = -1;
	if (pf < 0) {
		if (errno == ENOENT)
			return 0;
		return oci_err_errno(err, errno, "cache '%s': open '%s'", c->path, name);
	}
	struct stat st;
	if (fstat(pf, &st) < 0)
		return oci_err_errno(err, errno, "cache '%s': stat '%s'", c->path, name);
	bool bad = !S_ISREG(st.st_mode) || (size >= 0 && st.st_size != size);
	if (!bad && (f = oci_reopen_regular(pf, name, err)) < 0)
		return oci_err_prefix(err, "cache '%s'", c->path);
	if (!bad && verify) {
		oci_digest got;
		uint64_t n = 0;
		struct unneeded_ask q = {unneeded, ud, d};
		int h = oci_digest_fd_unless(d->alg, f, unneeded ? ask_unneeded : NULL, &q, &got,
					     &n, err);
		if (h < 0)
			return oci_err_prefix(err, "cache '%s': read '%s'", c->path, name);
		if (h == 0)
			bad = !oci_digest_equal(&got, d) || (size >= 0 && n != (uint64_t)size);
		else if (skipped)
			*skipped = true;
		if (lseek(f, 0, SEEK_SET) < 0)
			return oci_err_errno(err, errno, "cache '%s': seek '%s'", c->path, name);
	}
	if (bad) {
		char ds[OCI_DIGEST_STR_MAX];
		log_warn("cached blob %s is corrupt: fetching it again", oci_digest_str(d, ds));
		unlinkat(afd, d->hex, 0);
		return 0;
	}
	/* last used now (for prune --older-than); a read-only store keeps its times */
	(void)futimens(f, NULL);
	*fd = steal_fd(&f);
	return 1;
}

int oci_cache_tmp(oci_cache *c, const oci_digest *d, char *name, size_t len, oci_error *err)
{
	const char *alg = oci_digest_alg_name(d->alg);
	int afd = alg_dir(c, d->alg, true, err);
	if (afd < 0)
		return -1;
	for (int i = 0; i < 100; i++) {
		int n = snprintf(name, len, "%s/.partial-%.16s-%d-%u", alg, d->hex, (int)getpid(),
				 __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELAXED));
		if (n < 0 || (size_t)n >= len)
			return oci_err(err, OCI_E_INTERNAL, "cache: temporary name too long");
		int fd = openat(afd, name + strlen(alg) + 1,
				O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return oci_err_errno(err, errno, "cache '%s': create '%s'", c->path, name);
	}
	return oci_err(err, OCI_E_IO, "cache '%s': cannot create a temporary file", c->path);
}

/* The directory fd and file name of a name oci_cache_tmp gave ("<alg>/.partial-..."), or -1. */
static int tmp_at(oci_cache *c, const char *tmpname, const char **file)
{
	for (int alg = OCI_DIGEST_SHA256; alg <= OCI_DIGEST_SHA512; alg++) {
		const char *a = oci_digest_alg_name(alg);
		size_t n = strlen(a);
		if (!strncmp(tmpname, a, n) && tmpname[n] == '/') {
			*file = tmpname + n + 1;
			return __atomic_load_n(&c->algfd[alg - 1], __ATOMIC_ACQUIRE);
		}
	}
	return -1;
}

int oci_cache_commit(oci_cache *c, const char *tmpname, const oci_digest *d, oci_error *err)
{
	char name[OCI_DIGEST_STR_MAX + 8];
	const char *file;
	int afd = tmp_at(c, tmpname, &file);
	blob_name(d, name, sizeof(name));
	if (afd < 0 || afd != alg_dir(c, d->alg, false, err))
		return oci_err(err, OCI_E_INTERNAL, "cache '%s': '%s' is no temporary file of '%s'",
			       c->path, tmpname, name);
	if (renameat(afd, file, afd, d->hex) < 0)
		return oci_err_errno(err, errno, "cache '%s': rename to '%s'", c->path, name);
	return 0;
}

void oci_cache_discard(oci_cache *c, const char *tmpname)
{
	const char *file;
	int afd = tmpname ? tmp_at(c, tmpname, &file) : -1;
	if (afd >= 0)
		unlinkat(afd, file, 0);
}

int oci_cache_lock_at(int dirfd, const char *name, mode_t mode, int how, const char *path,
		      oci_error *err)
{
	int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return oci_err_errno(err, errno, "cache '%s': lock '%s'", path, name);
	if (flock(fd, how | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return -2;
		return oci_err_errno(err, e, "cache '%s': lock '%s'", path, name);
	}
	return fd;
}

int oci_cache_trylock(oci_cache *c, const oci_digest *d, int *lockfd, oci_error *err)
{
	*lockfd = -1;
	if (!c->locking)
		return 1;
	char name[OCI_DIGEST_MAX_HEX + 32];
	snprintf(name, sizeof(name), "%s-%s", oci_digest_alg_name(d->alg), d->hex);
	int fd = oci_cache_lock_at(c->locksfd, name, 0644, LOCK_EX, c->path, err);
	if (fd < 0)
		return fd == -2 ? 0 : -1;
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

bool oci_cache_link(int fd, int dirfd, const char *name)
{
	struct stat st;
	char proc[64];
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022))
		return false;
	/* through /proc: linkat(fd, "", AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0;
}

static const char *const store_algs[] = {"sha256", "sha512"};

static bool is_hex_name(const char *s, size_t want)
{
	size_t n = strspn(s, "0123456789abcdef");
	return n == want && !s[n];
}

/* Call fn for each blob or partial file of the store. */
static int walk(oci_cache *c,
		int (*fn)(oci_cache *c, const oci_cache_entry *e, int alg_fd, const char *file,
			  void *ud, oci_error *err),
		void *ud, oci_error *err)
{
	for (size_t a = 0; a < ARRAY_SIZE(store_algs); a++) {
		int afd = alg_dir(c, (int)a + OCI_DIGEST_SHA256, false, err);
		if (afd == -2)
			continue;
		if (afd < 0)
			return -1;
		/* a descriptor of its own for readdir's position */
		int fd = openat(afd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return oci_err_errno(err, errno, "cache '%s': open '%s'", c->path,
					     store_algs[a]);
		cleanup_closedir DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			return oci_err_errno(err, errno, "cache '%s': read '%s'", c->path,
					     store_algs[a]);
		}
		size_t hexlen = a == 0 ? 64 : 128;
		struct dirent *de;
		while ((errno = 0, de = readdir(d))) {
			oci_cache_entry e;
			memset(&e, 0, sizeof(e));
			e.partial = oci_str_has_prefix(de->d_name, ".partial-");
			if (!e.partial && !is_hex_name(de->d_name, hexlen))
				continue;
			struct stat st;
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno == ENOENT)
					continue; /* removed meanwhile */
				return oci_err_errno(err, errno, "cache '%s': stat '%s/%s'",
						     c->path, store_algs[a], de->d_name);
			}
			if (!S_ISREG(st.st_mode))
				continue;
			snprintf(e.name, sizeof(e.name), "%s%s%.*s", e.partial ? "" : store_algs[a],
				 e.partial ? "" : ":", (int)(sizeof(e.name) - 16), de->d_name);
			e.size = (uint64_t)st.st_size;
			e.used = st.st_mtime;
			if (fn(c, &e, dirfd(d), de->d_name, ud, err) < 0)
				return -1;
		}
		if (errno)
			return oci_err_errno(err, errno, "cache '%s': read '%s'", c->path,
					     store_algs[a]);
	}
	return 0;
}

typedef struct list_acc {
	oci_cache_entry *v;
	size_t n, cap;
} list_acc;

static int list_one(oci_cache *c, const oci_cache_entry *e, int alg_fd, const char *file, void *ud,
		    oci_error *err)
{
	list_acc *l = ud;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		oci_cache_entry *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return oci_err(err, OCI_E_IO, "out of memory");
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

static int by_use(const void *a, const void *b)
{
	const oci_cache_entry *x = a, *y = b;
	if (x->used != y->used)
		return x->used < y->used ? 1 : -1;
	return strcmp(x->name, y->name);
}

int oci_cache_list(oci_cache *c, oci_cache_entry **out, size_t *n, oci_error *err)
{
	list_acc l = {0};
	if (walk(c, list_one, &l, err) < 0) {
		free(l.v);
		return -1;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), by_use);
	*out = l.v;
	*n = l.n;
	return 0;
}

/* ".partial-<hex16>-<pid>-<seq>": whether the process writing it is still running (then the
 * file is a download in progress, not a leftover). */
static bool partial_writer_alive(const char *file)
{
	const char *p = file + strlen(".partial-");
	p = strchr(p, '-');
	if (!p)
		return false;
	char *end;
	long pid = strtol(p + 1, &end, 10);
	if (pid <= 0 || *end != '-')
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

typedef struct prune_ctx {
	bool all;
	time_t cutoff;
	oci_cache_prune_stats *st;
} prune_ctx;

static int prune_one(oci_cache *c, const oci_cache_entry *e, int alg_fd, const char *file, void *ud,
		     oci_error *err)
{
	prune_ctx *p = ud;
	if (!p->all && e->used >= p->cutoff) {
		p->st->kept++;
		p->st->kept_bytes += e->size;
		return 0;
	}
	int lockfd = -1;
	if (!e->partial && c->locking) {
		oci_digest d;
		oci_error ignore = OCI_ERROR_INIT;
		if (oci_digest_parse(e->name, &d, &ignore) == 0) {
			int r = oci_cache_trylock(c, &d, &lockfd, err);
			if (r < 0)
				return -1;
			if (r == 0) {
				p->st->busy++;
				return 0;
			}
		}
	}
	if (e->partial && partial_writer_alive(file)) {
		p->st->busy++;
		return 0;
	}
	int r = unlinkat(alg_fd, file, 0);
	oci_cache_unlock(&lockfd);
	if (r < 0 && errno != ENOENT)
		return oci_err_errno(err, errno, "cache '%s': remove '%s'", c->path, e->name);
	if (!e->partial && c->locking) {
		char lname[sizeof(e->name)];
		snprintf(lname, sizeof(lname), "%s", e->name);
		char *colon = strchr(lname, ':');
		if (colon)
			*colon = '-';
		unlinkat(c->locksfd, lname, 0);
	}
	p->st->removed++;
	p->st->removed_bytes += e->size;
	return 0;
}

int oci_cache_prune(oci_cache *c, bool all, time_t cutoff, oci_cache_prune_stats *st,
		    oci_error *err)
{
	memset(st, 0, sizeof(*st));
	prune_ctx p = {all, cutoff, st};
	return walk(c, prune_one, &p, err);
}

int oci_cache_parse_age(const char *s, uint64_t *secs, oci_error *err)
{
	static const struct {
		char unit;
		uint64_t mult;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	size_t n = strspn(s, "0123456789");
	char num[24];
	uint64_t v;
	if (n == 0 || n >= sizeof(num) || !s[n] || s[n + 1])
		goto bad;
	memcpy(num, s, n);
	num[n] = '\0';
	if (oci_parse_u64(num, 100ull * 365 * 86400, &v) < 0)
		goto bad;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (s[n] == units[i].unit) {
			*secs = v * units[i].mult;
			if (*secs > 100ull * 365 * 86400)
				goto bad;
			return 0;
		}
bad:
	return oci_err(err, OCI_E_INVALID,
		       "expected an age such as 90s, 30m, 12h, 7d or 2w, got '%s'", s);
}
