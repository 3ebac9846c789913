/* The rootfs cache. Each entry <cache>/rootfs/<chain hex>/ holds tree/ (the flattened root
 * filesystem as oci-unpack made it: owners, modes, xattrs, device nodes, hard links, times)
 * and manifest (the layer blobs it was built from, its size, and one record per inode of
 * the tree: ctime, mode, owner, size).
 *
 * Trust model: the cache root belongs to the caller and nobody else can write it; rootfs/ is
 * 0700. Only this code writes a tree, once, before it is renamed into place; a tree is never
 * written again, and none of its inodes ever has a name outside rootfs/ (clones, never hard
 * links, leave it; blobs, which are hard-linked into -o layouts, are hashed at each use
 * instead). A change made on disk after that (a file edited, added, removed, re-owned)
 * changes the ctime of an inode, which userspace cannot set back: every use compares each
 * inode against the manifest while cloning, and a tree that differs is thrown away and the
 * image unpacked afresh. A write through a shared mapping whose page is already dirty moves
 * no ctime, but such a mapping needs the file opened for writing through its name in
 * rootfs/, i.e. by a process of the cache's owner, which could as well rewrite the manifest
 * (the check catches mistakes; nobody else can write at all). A mapping made after the tree
 * was recorded faults on its first write, which moves the ctime; one that writes unseen must
 * have been made and dirtied before the record, while only this code had the file. The
 * store's syncfs is no part of that argument: writeback write-protects the pages again on
 * disk filesystems, but tmpfs has none, and there a page once dirtied takes writes through
 * its mapping without a ctime change after a sync too. Someone who can change the clock or
 * write the raw disk as root is out of scope (they own the tools too).
 *
 * Locks (in the blob store's .locks/): shared while a tree is cloned, exclusive while it is
 * filled or removed, so prune and eviction never pull a tree from under a reader. */
#include "common/treecache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cache.h"
#include "common/log.h"
#include "common/safepath.h"
#include "common/util.h"

#define MAX_DEPTH	128	     /* directories deep; deeper trees are not cached */
#define MANIFEST_MAX	(512u << 20) /* bytes of one manifest */
#define MANIFEST_HEAD	"oci-treecache 1\n"
#define POOL_MAX	4   /* threads that clone file data and metadata */
#define POOL_QUEUE	128 /* files handed to them and not done yet (2 fds each) */
#define POOL_BATCH	16  /* jobs queued before the threads are woken */
#define POOL_MIN_INODES 256 /* smaller trees are cloned by the calling thread alone */

static int open_common(oci_treecache *t, oci_cache *blobs, bool create, oci_error *err)
{
	memset(t, 0, sizeof(*t));
	t->dirfd = t->lockfd = -1;
	t->max_bytes = OCI_TREECACHE_DEFAULT_MAX;
	t->path = oci_asprintf(err, "%s/rootfs", blobs->path);
	if (!t->path)
		return -1;
	cleanup_free char *root = oci_asprintf(err, "cache '%s'", blobs->path);
	if (!root || oci_cache_check_owned(blobs->dirfd, root, 022, err) < 0)
		return -1;
	if (create && mkdirat(blobs->dirfd, "rootfs", 0700) < 0 && errno != EEXIST)
		return oci_err_errno(err, errno, "cache '%s'", t->path);
	t->dirfd = openat(blobs->dirfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->dirfd < 0) {
		if (errno == ENOENT && !create)
			return 0;
		if (errno == ELOOP || errno == ENOTDIR)
			return oci_err(err, OCI_E_UNSAFE,
				       "cache '%s' is not a directory (a symlink?): refusing it",
				       t->path);
		return oci_err_errno(err, errno, "cache '%s'", t->path);
	}
	cleanup_free char *what = oci_asprintf(err, "cache '%s'", t->path);
	if (!what || oci_cache_check_owned(t->dirfd, what, 077, err) < 0)
		return -1;
	if (mkdirat(blobs->dirfd, ".locks", 0700) < 0 && errno != EEXIST)
		return oci_err_errno(err, errno, "cache '%s': mkdir '.locks'", blobs->path);
	t->lockfd = openat(blobs->dirfd, ".locks", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->lockfd < 0)
		return oci_err_errno(err, errno, "cache '%s': open '.locks'", blobs->path);
	return 0;
}

int oci_treecache_open(oci_treecache *t, oci_cache *blobs, oci_error *err)
{
	return open_common(t, blobs, true, err);
}

int oci_treecache_open_existing(oci_treecache *t, oci_cache *blobs, oci_error *err)
{
	return open_common(t, blobs, false, err);
}

void oci_treecache_unclaim(oci_treecache *t)
{
	if (t->dirfd >= 0 && t->claim[0])
		unlinkat(t->dirfd, t->claim, 0);
	t->claim[0] = '\0';
}

void oci_treecache_release(oci_treecache *t)
{
	oci_treecache_unclaim(t);
	if (t->dirfd >= 0)
		close(t->dirfd);
	if (t->lockfd >= 0)
		close(t->lockfd);
	free(t->path);
	memset(t, 0, sizeof(*t));
	t->dirfd = t->lockfd = -1;
}

int oci_treecache_chain_ids(const oci_digest *diff_ids, size_t n, oci_digest *chain, oci_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (i == 0) {
			chain[0] = diff_ids[0];
			continue;
		}
		char a[OCI_DIGEST_STR_MAX], b[OCI_DIGEST_STR_MAX];
		cleanup_free char *s = oci_asprintf(err, "%s %s", oci_digest_str(&chain[i - 1], a),
						    oci_digest_str(&diff_ids[i], b));
		if (!s || oci_digest_buffer(OCI_DIGEST_SHA256, s, strlen(s), &chain[i], err) < 0)
			return -1;
	}
	return 0;
}

/* ---- locks ---- */

static int lock_entry(oci_treecache *t, const char *hex, int how, oci_error *err)
{
	char name[OCI_DIGEST_MAX_HEX + 16];
	snprintf(name, sizeof(name), "rootfs-%s", hex);
	return oci_cache_lock_at(t->lockfd, name, 0600, how, t->path, err);
}

/* ---- the manifest ---- */

typedef struct rec {
	uint64_t ino;
	int64_t ctime_s;
	long ctime_ns;
	uint32_t mode, uid, gid;
	int64_t size;
	uint32_t xattrs; /* how many it has: none means none to copy */
} rec;

typedef struct manifest {
	size_t n_layers;
	oci_digest *layers;
	uint64_t bytes;
	rec *v;
	size_t n, cap;
} manifest;

static void manifest_release(manifest *m)
{
	free(m->layers);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static int by_ino(const void *a, const void *b)
{
	const rec *x = a, *y = b;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static const rec *manifest_find(const manifest *m, uint64_t ino)
{
	rec key = {.ino = ino};
	return bsearch(&key, m->v, m->n, sizeof(rec), by_ino);
}

static rec stat_rec(const struct stat *st)
{
	rec r = {(uint64_t)st->st_ino, (int64_t)st->st_ctim.tv_sec,
		 st->st_ctim.tv_nsec,  (uint32_t)st->st_mode,
		 (uint32_t)st->st_uid, (uint32_t)st->st_gid,
		 (int64_t)st->st_size, 0};
	return r;
}

static bool rec_equal(const rec *a, const rec *b)
{
	return a->ino == b->ino && a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns &&
	       a->mode == b->mode && a->uid == b->uid && a->gid == b->gid && a->size == b->size;
}

/* Add or replace (an inode seen again after a link) the record of st. */
static int manifest_put(manifest *m, const struct stat *st, uint32_t xattrs, ssize_t *idx,
			oci_error *err)
{
	if (idx && *idx >= 0) {
		xattrs = m->v[*idx].xattrs;
		m->v[*idx] = stat_rec(st);
		m->v[*idx].xattrs = xattrs;
		return 0;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		rec *nv = realloc(m->v, cap * sizeof(*nv));
		if (!nv)
			return oci_err_errno(err, ENOMEM, "cannot record the tree");
		m->v = nv;
		m->cap = cap;
	}
	if (idx)
		*idx = (ssize_t)m->n;
	m->v[m->n] = stat_rec(st);
	m->v[m->n++].xattrs = xattrs;
	m->bytes += (uint64_t)st->st_blocks * 512;
	return 0;
}

static int manifest_write(int dirfd, const manifest *m, oci_error *err)
{
	size_t cap = 256 + m->n_layers * (OCI_DIGEST_STR_MAX + 1) + m->n * 96;
	cleanup_free char *buf = oci_malloc(cap, err);
	if (!buf)
		return -1;
	size_t len = (size_t)snprintf(buf, cap, MANIFEST_HEAD "layers %zu\n", m->n_layers);
	for (size_t i = 0; i < m->n_layers; i++) {
		char ds[OCI_DIGEST_STR_MAX];
		len += (size_t)snprintf(buf + len, cap - len, "%s\n",
					oci_digest_str(&m->layers[i], ds));
	}
	len += (size_t)snprintf(buf + len, cap - len, "bytes %llu\ninodes %zu\n",
				(unsigned long long)m->bytes, m->n);
	for (size_t i = 0; i < m->n; i++) {
		const rec *r = &m->v[i];
		len +=
		    (size_t)snprintf(buf + len, cap - len, "%llu %lld %ld %o %u %u %lld %u\n",
				     (unsigned long long)r->ino, (long long)r->ctime_s, r->ctime_ns,
				     r->mode, r->uid, r->gid, (long long)r->size, r->xattrs);
	}
	return oci_write_file_atomic(dirfd, "manifest", buf, len, 0600, err);
}

/* Read an entry's manifest; with header_only, only up to its size. Returns -1 on a read
 * error, -2 (err set) when it is malformed. */
static int manifest_read(int entryfd, manifest *m, bool header_only, oci_error *err)
{
	memset(m, 0, sizeof(*m));
	cleanup_free char *buf = NULL;
	size_t len;
	if (oci_read_regular_at(entryfd, "manifest", O_NOFOLLOW, MANIFEST_MAX, &buf, &len, err) < 0)
		return -1;
	char *p = buf, *end = buf + len, *nl;
	size_t nl_count = 0, n_inodes = 0;
	unsigned long long bytes;
#define NEXT_LINE()                                                                                \
	do {                                                                                       \
		nl = memchr(p, '\n', (size_t)(end - p));                                           \
		if (!nl)                                                                           \
			goto bad;                                                                  \
		*nl = '\0';                                                                        \
	} while (0)
	if (len < strlen(MANIFEST_HEAD) || memcmp(buf, MANIFEST_HEAD, strlen(MANIFEST_HEAD)))
		goto bad;
	p += strlen(MANIFEST_HEAD);
	NEXT_LINE();
	if (sscanf(p, "layers %zu", &nl_count) != 1 || nl_count == 0 || nl_count > 100000)
		goto bad;
	p = nl + 1;
	m->layers = calloc(nl_count, sizeof(*m->layers));
	if (!m->layers)
		goto bad;
	for (size_t i = 0; i < nl_count; i++) {
		NEXT_LINE();
		oci_error e = OCI_ERROR_INIT;
		if (oci_digest_parse(p, &m->layers[i], &e) < 0)
			goto bad;
		p = nl + 1;
	}
	m->n_layers = nl_count;
	NEXT_LINE();
	if (sscanf(p, "bytes %llu", &bytes) != 1)
		goto bad;
	m->bytes = bytes;
	p = nl + 1;
	NEXT_LINE();
	if (sscanf(p, "inodes %zu", &n_inodes) != 1 || n_inodes == 0 || n_inodes > len / 8)
		goto bad;
	p = nl + 1;
	if (header_only)
		return 0;
	m->v = calloc(n_inodes, sizeof(rec));
	if (!m->v)
		goto bad;
	m->cap = n_inodes;
	for (size_t i = 0; i < n_inodes; i++) {
		NEXT_LINE();
		unsigned long long ino;
		long long cs, sz;
		rec *r = &m->v[i];
		if (sscanf(p, "%llu %lld %ld %o %u %u %lld %u", &ino, &cs, &r->ctime_ns, &r->mode,
			   &r->uid, &r->gid, &sz, &r->xattrs) != 8)
			goto bad;
		r->ino = ino;
		r->ctime_s = cs;
		r->size = sz;
		if (i && r->ino <= m->v[i - 1].ino)
			goto bad;
		p = nl + 1;
	}
	m->n = n_inodes;
	return 0;
#undef NEXT_LINE
bad:
	manifest_release(m);
	oci_err(err, OCI_E_INVALID, "manifest is malformed");
	return -2;
}

/* ---- cloning a tree ---- */

/* Hard links seen: source inode -> the path of its first copy, and its record. */
typedef struct link_ent {
	uint64_t ino;
	char *path;
	ssize_t rec;
} link_ent;

struct clone_pool;

typedef struct clone_ctx {
	int dst_root;
	uid_t euid;
	gid_t egid;
	struct clone_pool *pool; /* use: regular files' data and metadata done by threads */
	const manifest *verify;	 /* use: every source inode checked against it */
	manifest *record;	 /* store: every destination inode recorded */
	oci_treecache_dir_fn dirfn;
	void *ud;
	bool no_reflink;
	bool src_xattrs; /* the entry at hand may have xattrs (check_src) */
	mode_t umask;
	link_ent *links;
	size_t n_links, cap_links;
	char *path;
	size_t path_len, path_cap;
} clone_ctx;

static void clone_ctx_release(clone_ctx *c)
{
	for (size_t i = 0; i < c->n_links; i++)
		free(c->links[i].path);
	free(c->links);
	free(c->path);
}

static int path_set(clone_ctx *c, size_t base, const char *name, oci_error *err)
{
	size_t nl = strlen(name);
	size_t need = base + 1 + nl + 1;
	if (need > c->path_cap) {
		size_t cap = need * 2;
		char *np = realloc(c->path, cap);
		if (!np)
			return oci_err_errno(err, ENOMEM, "cannot allocate");
		c->path = np;
		c->path_cap = cap;
	}
	size_t at = base;
	if (base)
		c->path[at++] = '/';
	memcpy(c->path + at, name, nl + 1);
	c->path_len = at + nl;
	return 0;
}

static const char *cur_path(const clone_ctx *c)
{
	return c->path && c->path_len ? c->path : "/";
}

/* A source inode must be as recorded. */
static int check_src(clone_ctx *c, const struct stat *st, oci_error *err)
{
	c->src_xattrs = true;
	if (!c->verify)
		return 0;
	const rec *r = manifest_find(c->verify, (uint64_t)st->st_ino);
	rec now = stat_rec(st);
	if (!r || !rec_equal(r, &now))
		return oci_err(err, OCI_E_UNSAFE, "'%s' changed since it was cached", cur_path(c));
	/* xattrs change the ctime too: a tree recorded without them still has none */
	c->src_xattrs = r->xattrs != 0;
	return 0;
}

static int copy_xattrs(int sfd, int dfd, const char *spath, const char *dpath, oci_error *err)
{
	ssize_t n = spath ? llistxattr(spath, NULL, 0) : flistxattr(sfd, NULL, 0);
	if (n <= 0)
		return n < 0 && errno != ENOTSUP ? oci_err_errno(err, errno, "cannot list xattrs")
						 : 0;
	cleanup_free char *names = oci_malloc((size_t)n + 1, err);
	if (!names)
		return -1;
	n = spath ? llistxattr(spath, names, (size_t)n) : flistxattr(sfd, names, (size_t)n);
	if (n < 0)
		return oci_err_errno(err, errno, "cannot list xattrs");
	cleanup_free char *val = NULL;
	size_t vcap = 0;
	int count = 0;
	for (char *k = names; k < names + n; k += strlen(k) + 1, count++) {
		ssize_t vl = spath ? lgetxattr(spath, k, NULL, 0) : fgetxattr(sfd, k, NULL, 0);
		if (vl < 0)
			return oci_err_errno(err, errno, "cannot read xattr '%s'", k);
		if ((size_t)vl + 1 > vcap) {
			free(val);
			vcap = (size_t)vl + 1;
			val = oci_malloc(vcap, err);
			if (!val)
				return -1;
		}
		vl = spath ? lgetxattr(spath, k, val, (size_t)vl)
			   : fgetxattr(sfd, k, val, (size_t)vl);
		if (vl < 0)
			return oci_err_errno(err, errno, "cannot read xattr '%s'", k);
		int rc = dpath ? lsetxattr(dpath, k, val, (size_t)vl, 0)
			       : fsetxattr(dfd, k, val, (size_t)vl, 0);
		if (rc < 0)
			return oci_err_errno(err, errno, "cannot set xattr '%s'", k);
	}
	return count;
}

/* Owner, mode (unless made with them: owned) xattrs (when the source may have some) and
 * times of a regular file or directory, through its fds; returns the xattrs copied. Every
 * inode of a clone is made by us in a directory that is still 0700 (no set-group-id to
 * inherit): ours already when the source is ours, so no chown is needed then. */
static int meta_fd(const clone_ctx *c, int sfd, int dfd, const struct stat *st, bool owned,
		   bool xattrs, oci_error *err)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	int nx = 0;
	bool mine = st->st_uid == c->euid && st->st_gid == c->egid;
	if (!owned && !mine && fchown(dfd, st->st_uid, st->st_gid) < 0)
		return oci_err_errno(err, errno, "cannot chown");
	if (!owned && fchmod(dfd, st->st_mode & 07777) < 0)
		return oci_err_errno(err, errno, "cannot chmod");
	if (xattrs && (nx = copy_xattrs(sfd, dfd, NULL, NULL, err)) < 0)
		return -1;
	if (futimens(dfd, ts) < 0)
		return oci_err_errno(err, errno, "cannot set times");
	return nx;
}

static int copy_data(clone_ctx *c, int sfd, int dfd, const struct stat *st, oci_error *err)
{
	if (st->st_size == 0)
		return 0;
	/* read and set by the pool's threads alike: it only ever goes from false to true */
	if (!__atomic_load_n(&c->no_reflink, __ATOMIC_RELAXED)) {
		if (ioctl(dfd, FICLONE, sfd) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != EXDEV && errno != EINVAL && errno != ENOTTY &&
		    errno != ENOSYS)
			return oci_err_errno(err, errno, "cannot clone");
		__atomic_store_n(&c->no_reflink, true, __ATOMIC_RELAXED);
	}
	off_t left = st->st_size;
	while (left > 0) {
		ssize_t n = copy_file_range(sfd, NULL, dfd, NULL, (size_t)left, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 &&
		    (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
			/* plain read/write from where copy_file_range stopped */
			char buf[1 << 16];
			off_t off = st->st_size - left;
			while (left > 0) {
				ssize_t r = pread(sfd, buf, sizeof(buf), off);
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0)
					return oci_err_errno(err, r < 0 ? errno : EIO,
							     "cannot read");
				if (oci_write_all(dfd, buf, (size_t)r, err) < 0)
					return -1;
				off += r;
				left -= r;
			}
			return 0;
		}
		if (n < 0)
			return oci_err_errno(err, errno, "cannot copy");
		if (n == 0)
			return oci_err(err, OCI_E_IO, "file shrank while it was copied");
		left -= n;
	}
	return 0;
}

static link_ent *link_find(clone_ctx *c, uint64_t ino)
{
	for (size_t i = 0; i < c->n_links; i++)
		if (c->links[i].ino == ino)
			return &c->links[i];
	return NULL;
}

/* A second name of an inode already copied: a hard link to that copy (inside the new tree). */
static int make_link(clone_ctx *c, link_ent *l, int dfd, const char *name, oci_error *err)
{
	const char *leaf;
	char leafbuf[NAME_MAX + 1];
	cleanup_close int pfd =
	    oci_safe_open_parent(c->dst_root, l->path, &leaf, leafbuf, sizeof(leafbuf), err);
	if (pfd < 0)
		return -1;
	if (linkat(pfd, leaf, dfd, name, 0) < 0)
		return oci_err_errno(err, errno, "cannot link to '%s'", l->path);
	if (c->record) {
		struct stat st;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return oci_err_errno(err, errno, "cannot stat");
		return manifest_put(c->record, &st, 0, &l->rec, err);
	}
	return 0;
}

static int remember_link(clone_ctx *c, uint64_t ino, ssize_t recidx, oci_error *err)
{
	if (c->n_links == c->cap_links) {
		size_t cap = c->cap_links ? c->cap_links * 2 : 64;
		link_ent *nv = realloc(c->links, cap * sizeof(*nv));
		if (!nv)
			return oci_err_errno(err, ENOMEM, "cannot allocate");
		c->links = nv;
		c->cap_links = cap;
	}
	char *p = oci_strdup(c->path, err);
	if (!p)
		return -1;
	c->links[c->n_links++] = (link_ent){ino, p, recidx};
	return 0;
}

/* ---- the clone's threads ----
 * The walk (one thread: readdir, the manifest check, and in order the directories, links and
 * special files) hands each regular file of one name, opened and checked, to a few threads
 * that create its copy, clone the data and copy owner, mode, xattrs and times. A file made in
 * a directory moves the directory's times, and the directory stays 0700 while files are made
 * in it (nothing to inherit): so a directory's own metadata is set by whoever drops its last
 * reference, the walk when it leaves it or the thread that made its last file. Everything is
 * done before clone_tree returns. */

/* A directory being cloned: the walk holds a reference while it is inside, each file queued
 * in it one more. */
typedef struct clone_dir {
	DIR *src;
	int dst;
	struct stat st;
	bool xattrs; /* it may have some (check_src) */
	unsigned refs;
	char *path; /* for a message */
} clone_dir;

/* Takes src and dst (closed on failure); one reference, the walk's. */
static clone_dir *dir_new(DIR *src, int dst, const struct stat *st, bool xattrs, const char *path,
			  oci_error *err)
{
	clone_dir *d = oci_calloc(1, sizeof(*d), err);
	char *p = d ? oci_strdup(path, err) : NULL;
	if (!p) {
		free(d);
		closedir(src);
		close(dst);
		return NULL;
	}
	*d = (clone_dir){src, dst, *st, xattrs, 1, p};
	return d;
}

/* A directory's own metadata once everything in it is there, then (store) its record. */
static int dir_meta(clone_ctx *c, clone_dir *d, oci_error *err)
{
	int nx = meta_fd(c, dirfd(d->src), d->dst, &d->st, false, d->xattrs, err);
	if (nx < 0)
		return -1;
	if (c->record) { /* store runs no threads: this is the walk */
		struct stat dst;
		if (fstat(d->dst, &dst) < 0)
			return oci_err_errno(err, errno, "cannot stat");
		if (manifest_put(c->record, &dst, (uint32_t)nx, NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* Drop a reference: the last one sets the directory's metadata (when ok: nothing failed
 * before) and closes it. */
static int dir_put(clone_ctx *c, clone_dir *d, bool ok, oci_error *err)
{
	if (__atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL))
		return 0;
	int r = 0;
	if (ok && dir_meta(c, d, err) < 0)
		r = oci_err_prefix(err, "'%s'", d->path[0] ? d->path : "/");
	closedir(d->src);
	close(d->dst);
	free(d->path);
	free(d);
	return r;
}

typedef struct clone_job {
	int sfd;
	clone_dir *dir;
	struct stat st;
	bool owned, xattrs;
	char *path;  /* from the root, for a message */
	size_t leaf; /* where its name in dir starts in path */
} clone_job;

typedef struct clone_pool {
	clone_ctx *c;
	pthread_t th[POOL_MAX];
	size_t n_th;
	pthread_mutex_t mu;
	pthread_cond_t has_job, has_room;
	clone_job q[POOL_QUEUE];
	size_t head, len;
	bool stop, failed;
	oci_error err; /* the first failure */
} clone_pool;

static int job_run(clone_ctx *c, clone_job *j, oci_error *err)
{
	cleanup_close int dfd = openat(j->dir->dst, j->path + j->leaf,
				       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				       j->owned ? j->st.st_mode & 07777 : 0600);
	if (dfd < 0)
		oci_err_errno(err, errno, "cannot create");
	if (dfd < 0 || copy_data(c, j->sfd, dfd, &j->st, err) < 0 ||
	    meta_fd(c, j->sfd, dfd, &j->st, j->owned, j->xattrs, err) < 0)
		return oci_err_prefix(err, "'%s'", j->path);
	return 0;
}

/* A job run (ok: successfully), skipped or refused: its file and directory reference go. */
static int job_release(clone_ctx *c, clone_job *j, bool ok, oci_error *err)
{
	close(j->sfd);
	free(j->path);
	return dir_put(c, j->dir, ok, err);
}

/* Jobs are taken a few at a time and the threads woken a batch at a time: a lock and a wake
 * per file would cost more syscalls than the clone saves. */
static void *pool_main(void *arg)
{
	clone_pool *p = arg;
	clone_job mine[POOL_BATCH / 2];
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->len && !p->stop)
			pthread_cond_wait(&p->has_job, &p->mu);
		if (!p->len)
			break;
		size_t k = p->len / p->n_th;
		k = k < 1 ? 1 : k > ARRAY_SIZE(mine) ? ARRAY_SIZE(mine) : k;
		for (size_t i = 0; i < k; i++) {
			mine[i] = p->q[p->head];
			p->head = (p->head + 1) % POOL_QUEUE;
		}
		p->len -= k;
		bool skip = p->failed;
		pthread_cond_signal(&p->has_room);
		pthread_mutex_unlock(&p->mu);
		oci_error e = OCI_ERROR_INIT;
		int r = 0;
		for (size_t i = 0; i < k; i++) {
			if (!skip && r == 0)
				r = job_run(p->c, &mine[i], &e);
			if (job_release(p->c, &mine[i], !skip && r == 0, &e) < 0)
				r = -1;
		}
		pthread_mutex_lock(&p->mu);
		if (r < 0 && !p->failed) {
			p->failed = true;
			p->err = e;
			pthread_cond_signal(&p->has_room);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Threads for a tree of n inodes, or NULL to clone in this thread alone. */
static clone_pool *pool_start(clone_ctx *c, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < POOL_MIN_INODES || cpus < 2)
		return NULL;
	clone_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->c = c;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->has_job, NULL);
	pthread_cond_init(&p->has_room, NULL);
	size_t want = cpus > POOL_MAX ? POOL_MAX : (size_t)cpus;
	while (p->n_th < want && pthread_create(&p->th[p->n_th], NULL, pool_main, p) == 0)
		p->n_th++;
	return p;
}

/* Queue a job (its fds and path now the pool's); waits while the queue is full. Without
 * threads, runs it here. */
static int pool_submit(clone_pool *p, clone_job *j, oci_error *err)
{
	if (!p->n_th) {
		int r = job_run(p->c, j, err);
		return job_release(p->c, j, r == 0, err) < 0 ? -1 : r;
	}
	pthread_mutex_lock(&p->mu);
	while (p->len == POOL_QUEUE && !p->failed)
		pthread_cond_wait(&p->has_room, &p->mu);
	if (p->failed) {
		*err = p->err;
		pthread_mutex_unlock(&p->mu);
		oci_error ignore = OCI_ERROR_INIT;
		job_release(p->c, j, false, &ignore);
		return -1;
	}
	p->q[(p->head + p->len) % POOL_QUEUE] = *j;
	p->len++;
	if (p->len % POOL_BATCH == 0)
		pthread_cond_broadcast(&p->has_job);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Wait for every queued job, stop the threads; the first failure, if any. */
static int pool_finish(clone_pool *p, oci_error *err)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->has_job);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->n_th; i++)
		pthread_join(p->th[i], NULL);
	int r = 0;
	if (p->failed) {
		*err = p->err;
		r = -1;
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->has_job);
	pthread_cond_destroy(&p->has_room);
	free(p);
	return r;
}

/* Our own file without set-id bits is made with its mode, as we own it already (the parent
 * is still 0700: no set-group-id to inherit). */
static bool made_owned(const clone_ctx *c, const struct stat *st)
{
	return st->st_uid == c->euid && st->st_gid == c->egid && !(st->st_mode & 06000) &&
	       !(st->st_mode & c->umask);
}

/* A regular file (as readdir says) for the threads: opened and checked here, made there.
 * 1 when queued, 0 when it has more than one name (the walk links those in order), -1. */
static int queue_file(clone_ctx *c, clone_dir *d, const char *name, oci_error *err)
{
	/* no following, and no waiting should it be something else now (a FIFO) */
	clone_job j = {
	    .sfd = openat(dirfd(d->src), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC),
	    .dir = d};
	if (j.sfd < 0 || fstat(j.sfd, &j.st) < 0) {
		oci_err_errno(err, errno, j.sfd < 0 ? "cannot open" : "cannot stat");
		if (j.sfd >= 0)
			close(j.sfd);
		return oci_err_prefix(err, "'%s'", cur_path(c));
	}
	if (check_src(c, &j.st, err) < 0) {
		close(j.sfd);
		return -1;
	}
	if (j.st.st_nlink > 1) {
		close(j.sfd);
		return 0;
	}
	j.owned = made_owned(c, &j.st);
	j.xattrs = c->src_xattrs;
	j.path = oci_strdup(c->path, err);
	if (!j.path) {
		close(j.sfd);
		return -1;
	}
	j.leaf = c->path_len - strlen(name);
	__atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
	return pool_submit(c->pool, &j, err) < 0 ? -1 : 1;
}

/* One non-directory entry name of sdir (already stat'ed) into ddir. */
static int clone_node(clone_ctx *c, int sdir, int ddir, const char *name, const struct stat *st,
		      oci_error *err)
{
	if (st->st_nlink > 1) {
		link_ent *l = link_find(c, (uint64_t)st->st_ino);
		if (l)
			return make_link(c, l, ddir, name, err);
	}
	struct stat dst;
	ssize_t recidx = -1;
	int nx = 0;
	if (S_ISREG(st->st_mode)) {
		/* Only the file that was stat'ed (and checked against the manifest): a FIFO or a
		 * device put under its name since then, which the cache's owner (only they can
		 * write the cache) could do, is never opened for reading: it would block the
		 * clone for ever, or act on being opened. */
		struct stat now;
		cleanup_close int sfd = oci_open_regular_at(sdir, name, O_NOFOLLOW, err);
		if (sfd < 0)
			return -1;
		if (fstat(sfd, &now) < 0)
			return oci_err_errno(err, errno, "cannot stat");
		if (now.st_dev != st->st_dev || now.st_ino != st->st_ino)
			return oci_err(err, OCI_E_UNSAFE, "replaced while it was cloned");
		bool owned = made_owned(c, st);
		cleanup_close int dfd =
		    openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			   owned ? st->st_mode & 07777 : 0600);
		if (dfd < 0)
			return oci_err_errno(err, errno, "cannot create");
		if (copy_data(c, sfd, dfd, st, err) < 0 ||
		    (nx = meta_fd(c, sfd, dfd, st, owned, c->src_xattrs, err)) < 0)
			return -1;
		if (c->record && fstat(dfd, &dst) < 0)
			return oci_err_errno(err, errno, "cannot stat");
	} else {
		struct timespec ts[2] = {st->st_atim, st->st_mtim};
		if (S_ISLNK(st->st_mode)) {
			char target[PATH_MAX + 1];
			ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
			if (n < 0)
				return oci_err_errno(err, errno, "cannot read the symlink");
			target[n] = '\0';
			if (symlinkat(target, ddir, name) < 0)
				return oci_err_errno(err, errno, "cannot create the symlink");
		} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode) ||
			   S_ISSOCK(st->st_mode)) {
			if (mknodat(ddir, name, st->st_mode & (S_IFMT | 0700), st->st_rdev) < 0)
				return oci_err_errno(err, errno, "cannot create the node");
		} else {
			return oci_err(err, OCI_E_INVALID, "unknown file type %o", st->st_mode);
		}
		if ((st->st_uid != c->euid || st->st_gid != c->egid) &&
		    fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return oci_err_errno(err, errno, "cannot chown");
		if (!S_ISLNK(st->st_mode) && fchmodat(ddir, name, st->st_mode & 07777, 0) < 0)
			return oci_err_errno(err, errno, "cannot chmod");
		if (c->src_xattrs) {
			cleanup_close int sp = openat(sdir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			cleanup_close int dp = openat(ddir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			if (sp < 0 || dp < 0)
				return oci_err_errno(err, errno, "cannot open");
			char spath[64], dpath[64];
			snprintf(spath, sizeof(spath), "/proc/self/fd/%d", sp);
			snprintf(dpath, sizeof(dpath), "/proc/self/fd/%d", dp);
			if ((nx = copy_xattrs(-1, -1, spath, dpath, err)) < 0)
				return -1;
		}
		if (utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return oci_err_errno(err, errno, "cannot set times");
		if (c->record && fstatat(ddir, name, &dst, AT_SYMLINK_NOFOLLOW) < 0)
			return oci_err_errno(err, errno, "cannot stat");
	}
	if (c->record && manifest_put(c->record, &dst, (uint32_t)nx, &recidx, err) < 0)
		return -1;
	if (st->st_nlink > 1 && remember_link(c, (uint64_t)st->st_ino, recidx, err) < 0)
		return -1;
	return 0;
}

static int reopen_dir(int fd)
{
	return openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

typedef struct frame {
	clone_dir *d; /* NULL once the walk left it */
	size_t base;  /* length of the directory's path */
} frame;

/* The walk leaves a directory: its metadata is set once its last file is done (now, unless
 * the threads still make some), and dirfn hears of it. */
static int finish_dir(clone_ctx *c, frame *f, oci_error *err)
{
	struct stat st = f->d->st;
	clone_dir *d = f->d;
	f->d = NULL;
	if (dir_put(c, d, true, err) < 0)
		return -1;
	if (c->dirfn) {
		c->path_len = f->base;
		if (c->path)
			c->path[f->base] = '\0';
		return c->dirfn(c->ud, c->path ? c->path : "", &st, err);
	}
	return 0;
}

/* Copy the tree under srcfd into dstfd (empty), iteratively: no recursion the tree chooses. */
static int clone_tree(clone_ctx *c, int srcfd, int dstfd, oci_error *err)
{
	frame stack[MAX_DEPTH];
	size_t depth = 0;
	int ret = -1;
	if (path_set(c, 0, "", err) < 0)
		return -1;
	c->path_len = 0;
	c->umask = umask(0);
	umask(c->umask);
	c->euid = geteuid();
	c->egid = getegid();
	struct stat dst_st;
	/* a set-group-id target gives what is made in it its group: chown everything then */
	if (fstat(dstfd, &dst_st) < 0 || (dst_st.st_mode & S_ISGID))
		c->egid = (gid_t)-1;
	/* fresh open files: a dup would share (and leave behind) the caller's read offset */
	int s0 = reopen_dir(srcfd), d0 = reopen_dir(dstfd);
	DIR *sd = s0 >= 0 ? fdopendir(s0) : NULL;
	if (!sd || d0 < 0) {
		oci_err_errno(err, errno, "cannot open the tree");
		if (sd)
			closedir(sd);
		else if (s0 >= 0)
			close(s0);
		if (d0 >= 0)
			close(d0);
		return -1;
	}
	struct stat st0 = {0};
	clone_dir *root = dir_new(sd, d0, &st0, true, "", err);
	if (!root)
		return -1;
	if (c->verify && !c->record && (c->pool = pool_start(c, c->verify->n)))
		log_debug("cache: cloning %zu inodes with %zu threads", c->verify->n,
			  c->pool->n_th);
	stack[0] = (frame){root, 0};
	depth = 1;
	if (fstat(s0, &root->st) < 0) {
		oci_err_errno(err, errno, "cannot stat the tree");
		goto out;
	}
	if (check_src(c, &root->st, err) < 0)
		goto out;
	root->xattrs = c->src_xattrs;
	while (depth) {
		frame *f = &stack[depth - 1];
		errno = 0;
		struct dirent *de = readdir(f->d->src);
		if (!de) {
			if (errno) {
				oci_err_errno(err, errno, "cannot read directory");
				goto out;
			}
			if (finish_dir(c, f, err) < 0)
				goto out;
			depth--;
			continue;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (path_set(c, f->base, de->d_name, err) < 0)
			goto out;
		if (c->pool && de->d_type == DT_REG) {
			int q = queue_file(c, f->d, de->d_name, err);
			if (q < 0)
				goto out;
			if (q > 0)
				continue;
		}
		struct stat st;
		int sdir = dirfd(f->d->src);
		if (fstatat(sdir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			oci_err_errno(err, errno, "cannot stat");
			goto fail_entry;
		}
		if (check_src(c, &st, err) < 0)
			goto out;
		if (!S_ISDIR(st.st_mode)) {
			if (clone_node(c, sdir, f->d->dst, de->d_name, &st, err) < 0)
				goto fail_entry;
			continue;
		}
		if (depth == MAX_DEPTH) {
			oci_err(err, OCI_E_LIMIT, "more than %d directories deep", MAX_DEPTH);
			goto fail_entry;
		}
		if (mkdirat(f->d->dst, de->d_name, 0700) < 0) {
			oci_err_errno(err, errno, "cannot create directory");
			goto fail_entry;
		}
		int ns = openat(sdir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int nd =
		    openat(f->d->dst, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *nsd = ns >= 0 ? fdopendir(ns) : NULL;
		if (!nsd || nd < 0) {
			oci_err_errno(err, errno, "cannot open directory");
			if (nsd)
				closedir(nsd);
			else if (ns >= 0)
				close(ns);
			if (nd >= 0)
				close(nd);
			goto fail_entry;
		}
		clone_dir *sub = dir_new(nsd, nd, &st, c->src_xattrs, c->path, err);
		if (!sub)
			goto fail_entry;
		stack[depth++] = (frame){sub, c->path_len};
	}
	ret = 0;
	goto out;
fail_entry:
	oci_err_prefix(err, "'%s'", cur_path(c));
out:
	while (depth) {
		oci_error ignore = OCI_ERROR_INIT;
		if (stack[depth - 1].d)
			dir_put(c, stack[depth - 1].d, false, &ignore);
		depth--;
	}
	if (c->pool) {
		oci_error pe = OCI_ERROR_INIT;
		if (pool_finish(c->pool, &pe) < 0 && ret == 0) {
			*err = pe;
			ret = -1;
		}
		c->pool = NULL;
	}
	return ret;
}

/* Remove everything in dirfd (an emptied clone target). */
static int empty_dir(int dirfd, oci_error *err)
{
	cleanup_close int fd = reopen_dir(dirfd);
	cleanup_closedir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d)
		return oci_err_errno(err, errno, "cannot read the target");
	fd = -1;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    oci_remove_tree_at(dirfd, de->d_name, err) < 0)
			return -1;
	return 0;
}

/* Move an entry out of the way and delete it (caller holds its lock exclusively or knows it
 * is unusable). */
static void drop_entry(oci_treecache *t, const char *name)
{
	char trash[96];
	static unsigned seq;
	snprintf(trash, sizeof(trash), ".trash-%d-%u", (int)getpid(), seq++);
	oci_error e = OCI_ERROR_INIT;
	if (renameat(t->dirfd, name, t->dirfd, trash) == 0)
		oci_remove_tree_at(t->dirfd, trash, &e);
	else
		unlinkat(t->dirfd, name, 0); /* a symlink or file where an entry should be */
}

static bool layers_match(const manifest *m, const oci_digest *layers, size_t k)
{
	if (m->n_layers != k)
		return false;
	for (size_t i = 0; i < k; i++)
		if (!oci_digest_equal(&m->layers[i], &layers[i]))
			return false;
	return true;
}

int oci_treecache_use(oci_treecache *t, const oci_digest *chain, const oci_digest *layers, size_t n,
		      int dstfd, oci_treecache_dir_fn dirfn, void *ud, size_t *k, oci_error *err)
{
	*k = 0;
	for (size_t i = n; i > 0; i--) {
		const char *hex = chain[i - 1].hex;
		cleanup_close int efd =
		    openat(t->dirfd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (efd < 0) {
			if (errno == ELOOP || errno == ENOTDIR) {
				log_warn("cache '%s': '%s' is not a directory: removing it",
					 t->path, hex);
				drop_entry(t, hex);
			}
			continue;
		}
		cleanup_close int lfd = lock_entry(t, hex, LOCK_SH, err);
		if (lfd == -2)
			continue; /* being filled or removed right now */
		if (lfd < 0)
			return -1;
		manifest m;
		oci_error e = OCI_ERROR_INIT;
		int mr = manifest_read(efd, &m, false, &e);
		if (mr < 0 || !layers_match(&m, layers, i)) {
			if (mr == 0)
				manifest_release(&m);
			continue; /* not finished, or built from other blobs: not this image's */
		}
		if ((t->limit_bytes && m.bytes > t->limit_bytes) ||
		    (t->limit_files && m.n > t->limit_files)) {
			log_debug("cache '%s': tree %.12s is over the caller's limits (%llu bytes, "
				  "%zu inodes): not cloned",
				  t->path, hex, (unsigned long long)m.bytes, m.n);
			manifest_release(&m);
			continue;
		}
		cleanup_close int tfd =
		    openat(efd, "tree", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* directories matter only to layers applied on top */
		clone_ctx c = {
		    .dst_root = dstfd, .verify = &m, .dirfn = i < n ? dirfn : NULL, .ud = ud};
		int r =
		    tfd < 0 ? oci_err_errno(&e, errno, "'tree'") : clone_tree(&c, tfd, dstfd, &e);
		clone_ctx_release(&c);
		manifest_release(&m);
		if (r == 0) {
			(void)futimens(efd, NULL); /* last used now (LRU, prune) */
			*k = i;
			return 0;
		}
		log_warn(
		    "cache '%s': tree %.12s cannot be used (%s): removing it, unpacking afresh",
		    t->path, hex, e.msg);
		/* what the caller was told of the half clone is void */
		if (dirfn && dirfn(ud, NULL, NULL, err) < 0)
			return -1;
		if (empty_dir(dstfd, err) < 0)
			return -1;
		close(lfd);
		lfd = lock_entry(t, hex, LOCK_EX, err);
		if (lfd >= 0)
			drop_entry(t, hex);
		else if (lfd == -1)
			return -1;
	}
	return 0;
}

/* ---- filling ---- */

typedef struct entry_info {
	char hex[OCI_DIGEST_MAX_HEX + 1];
	oci_treecache_entry e;
} entry_info;

static bool is_hex64(const char *s)
{
	return strspn(s, "0123456789abcdef") == 64 && !s[64];
}

/* Whether process pid is gone (one of another user's still counts as there). */
static bool pid_gone(long pid)
{
	return pid > 0 && !(kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* ".tmp-<pid>-<seq>" or ".trash-<pid>-<seq>" of a process that is gone. */
static bool leftover_dead(const char *name)
{
	const char *p = strchr(name + 1, '-');
	if (!p)
		return false;
	char *end;
	long pid = strtol(p + 1, &end, 10);
	return *end == '-' && pid_gone(pid);
}

#define CLAIM_HEAD "oci-treecache-reader 1\n"
#define CLAIM_MAX  (1u << 20)

/* The writer of a stream handshake's note ("pid N" after its head), or -1. */
static long note_pid(const char *buf, size_t len)
{
	long pid;
	size_t h = strlen(CLAIM_HEAD);
	if (len < h || memcmp(buf, CLAIM_HEAD, h) || !memchr(buf + h, '\n', len - h) ||
	    sscanf(buf + h, "pid %ld", &pid) != 1 || pid <= 0)
		return -1;
	return pid;
}

/* A stream handshake's note (oci_treecache_claim) left by a process that is gone. */
static bool note_dead(oci_treecache *t, const char *name)
{
	cleanup_free char *buf = NULL;
	size_t len;
	oci_error e = OCI_ERROR_INIT;
	if (oci_read_regular_at(t->dirfd, name, O_NOFOLLOW, 4096, &buf, &len, &e) < 0)
		return false;
	return pid_gone(note_pid(buf, len));
}

/* Every entry (for list, prune and eviction); leftovers of dead processes are removed. */
static int entries(oci_treecache *t, entry_info **out, size_t *n, oci_error *err)
{
	*out = NULL;
	*n = 0;
	cleanup_close int fd = openat(t->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_closedir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d)
		return oci_err_errno(err, errno, "cache '%s'", t->path);
	fd = -1;
	size_t cap = 0;
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if ((oci_str_has_prefix(de->d_name, ".tmp-") ||
		     oci_str_has_prefix(de->d_name, ".trash-")) &&
		    leftover_dead(de->d_name)) {
			oci_error e = OCI_ERROR_INIT;
			oci_remove_tree_at(t->dirfd, de->d_name, &e);
			continue;
		}
		if (oci_str_has_prefix(de->d_name, ".reader-") && note_dead(t, de->d_name)) {
			unlinkat(t->dirfd, de->d_name, 0);
			continue;
		}
		if (!is_hex64(de->d_name))
			continue;
		cleanup_close int efd =
		    openat(t->dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		manifest m;
		oci_error e = OCI_ERROR_INIT;
		if (efd < 0 || fstat(efd, &st) < 0 || manifest_read(efd, &m, true, &e) < 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			entry_info *nv = realloc(*out, cap * sizeof(**out));
			if (!nv) {
				manifest_release(&m);
				return oci_err_errno(err, ENOMEM, "cannot list the cache");
			}
			*out = nv;
		}
		entry_info *ei = &(*out)[(*n)++];
		memset(ei, 0, sizeof(*ei));
		memcpy(ei->hex, de->d_name, 64); /* is_hex64: exactly 64 */
		memcpy(ei->e.name, "sha256:", 7);
		memcpy(ei->e.name + 7, de->d_name, 65);
		ei->e.size = m.bytes;
		ei->e.layers = m.n_layers;
		ei->e.used = st.st_mtime;
		manifest_release(&m);
	}
	if (errno)
		return oci_err_errno(err, errno, "cache '%s'", t->path);
	return 0;
}

static int by_use_desc(const void *a, const void *b)
{
	const entry_info *x = a, *y = b;
	if (x->e.used != y->e.used)
		return x->e.used < y->e.used ? 1 : -1;
	return strcmp(x->hex, y->hex);
}

/* Remove an entry unless someone holds its lock: 1 removed, 0 busy. */
static int remove_entry(oci_treecache *t, const char *hex, oci_error *err)
{
	int lfd = lock_entry(t, hex, LOCK_EX, err);
	if (lfd == -2)
		return 0;
	if (lfd < 0)
		return -1;
	drop_entry(t, hex);
	close(lfd);
	return 1;
}

/* Least recently used trees go until the rest fits in max_bytes; keep is never evicted. */
static int evict(oci_treecache *t, const char *keep, oci_error *err)
{
	entry_info *v = NULL;
	size_t n = 0;
	uint64_t total = 0;
	if (entries(t, &v, &n, err) < 0) {
		free(v);
		return -1;
	}
	qsort(v, n, sizeof(*v), by_use_desc);
	for (size_t i = 0; i < n; i++)
		total += v[i].e.size;
	for (size_t i = n; i > 0 && total > t->max_bytes; i--) {
		entry_info *ei = &v[i - 1];
		if (!strcmp(ei->hex, keep))
			continue;
		int r = remove_entry(t, ei->hex, err);
		if (r < 0) {
			free(v);
			return -1;
		}
		if (r > 0) {
			log_debug("cache: evicted tree %.12s (%llu bytes)", ei->hex,
				  (unsigned long long)ei->e.size);
			total -= ei->e.size;
		}
	}
	free(v);
	return 0;
}

int oci_treecache_store(oci_treecache *t, const oci_digest *chain, const oci_digest *layers,
			size_t n, int srcfd, oci_error *err)
{
	static unsigned seq;
	const char *hex = chain[n - 1].hex;
	cleanup_close int lfd = lock_entry(t, hex, LOCK_EX, err);
	if (lfd == -2)
		return 0; /* another process fills it (or uses it: then it is there) */
	if (lfd < 0)
		return -1;
	struct stat st;
	if (fstatat(t->dirfd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode)) {
			manifest m;
			oci_error e = OCI_ERROR_INIT;
			cleanup_close int efd =
			    openat(t->dirfd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (efd >= 0 && manifest_read(efd, &m, true, &e) == 0) {
				bool same = layers_match(&m, layers, n);
				manifest_release(&m);
				if (same)
					return 0; /* filled meanwhile */
			}
		}
		drop_entry(t, hex);
	}
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".tmp-%d-%u", (int)getpid(), seq++);
	if (mkdirat(t->dirfd, tmp, 0700) < 0)
		return oci_err_errno(err, errno, "cache '%s': mkdir", t->path);
	int ret = -1;
	manifest m = {0};
	clone_ctx c = {0};
	cleanup_close int tmpfd =
	    openat(t->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int treefd = -1;
	if (tmpfd < 0 || mkdirat(tmpfd, "tree", 0700) < 0 ||
	    (treefd = openat(tmpfd, "tree", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		oci_err_errno(err, errno, "cache '%s': mkdir", t->path);
		goto out;
	}
	c.dst_root = treefd;
	c.record = &m;
	if (clone_tree(&c, srcfd, treefd, err) < 0)
		goto out;
	qsort(m.v, m.n, sizeof(rec), by_ino);
	m.layers = (oci_digest *)layers;
	m.n_layers = n;
	int wr = manifest_write(tmpfd, &m, err);
	m.layers = NULL;
	if (wr < 0)
		goto out;
	/* on disk before it is published: a crash never leaves a renamed half tree */
	if (syncfs(tmpfd) < 0) {
		oci_err_errno(err, errno, "cache '%s': sync", t->path);
		goto out;
	}
	if (renameat(t->dirfd, tmp, t->dirfd, hex) < 0) {
		oci_err_errno(err, errno, "cache '%s': rename", t->path);
		goto out;
	}
	ret = 0;
out:
	clone_ctx_release(&c);
	manifest_release(&m);
	if (ret < 0) {
		oci_error e = OCI_ERROR_INIT;
		oci_remove_tree_at(t->dirfd, tmp, &e);
		return oci_err_prefix(err, "cache '%s': storing tree %.12s", t->path, hex);
	}
	close(lfd);
	lfd = -1;
	return evict(t, hex, err);
}

int oci_treecache_list(oci_treecache *t, oci_treecache_entry **out, size_t *n, oci_error *err)
{
	entry_info *v = NULL;
	*out = NULL;
	*n = 0;
	if (t->dirfd < 0)
		return 0;
	if (entries(t, &v, n, err) < 0) {
		free(v);
		return -1;
	}
	qsort(v, *n, sizeof(*v), by_use_desc);
	oci_treecache_entry *r = calloc(*n + 1, sizeof(*r));
	if (!r) {
		free(v);
		return oci_err_errno(err, ENOMEM, "cannot list the cache");
	}
	for (size_t i = 0; i < *n; i++)
		r[i] = v[i].e;
	free(v);
	*out = r;
	return 0;
}

int oci_treecache_prune(oci_treecache *t, bool all, time_t cutoff, oci_cache_prune_stats *st,
			oci_error *err)
{
	memset(st, 0, sizeof(*st));
	if (t->dirfd < 0)
		return 0;
	entry_info *v = NULL;
	size_t n = 0;
	if (entries(t, &v, &n, err) < 0) {
		free(v);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		entry_info *ei = &v[i];
		if (!all && ei->e.used >= cutoff) {
			st->kept++;
			st->kept_bytes += ei->e.size;
			continue;
		}
		int r = remove_entry(t, ei->hex, err);
		if (r < 0) {
			free(v);
			return -1;
		}
		if (r == 0) {
			st->busy++;
			continue;
		}
		st->removed++;
		st->removed_bytes += ei->e.size;
	}
	free(v);
	return 0;
}

/* ---- the stream handshake ---- */

size_t oci_treecache_peek(oci_treecache *t, const oci_digest *chain, const oci_digest *layers,
			  size_t n)
{
	for (size_t i = n; i > 0; i--) {
		cleanup_close int efd = openat(t->dirfd, chain[i - 1].hex,
					       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		manifest m;
		oci_error e = OCI_ERROR_INIT;
		if (efd < 0 || manifest_read(efd, &m, true, &e) < 0)
			continue;
		bool same = layers_match(&m, layers, i);
		manifest_release(&m);
		if (same)
			return i;
	}
	return 0;
}

/* The note's name for a pipe. */
static void claim_name(const struct stat *st, char *buf, size_t len)
{
	snprintf(buf, len, ".reader-%llx-%llx", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino);
}

int oci_treecache_claim(oci_treecache *t, int infd, const oci_digest *layers, size_t k,
			oci_error *err)
{
	struct stat st;
	if (t->dirfd < 0 || k == 0 || fstat(infd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return 0;
	size_t cap = 64 + k * (OCI_DIGEST_STR_MAX + 1);
	cleanup_free char *buf = oci_malloc(cap, err);
	if (!buf)
		return -1;
	size_t len = (size_t)snprintf(buf, cap, CLAIM_HEAD "pid %d\n", (int)getpid());
	for (size_t i = 0; i < k; i++) {
		char ds[OCI_DIGEST_STR_MAX];
		len +=
		    (size_t)snprintf(buf + len, cap - len, "%s\n", oci_digest_str(&layers[i], ds));
	}
	char name[64], tmp[96];
	claim_name(&st, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), ".tmp-%d-claim", (int)getpid());
	/* no fsync: a note lost in a crash only costs the next stream its shortcut */
	cleanup_close int fd =
	    openat(t->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || oci_write_all(fd, buf, len, err) < 0 ||
	    renameat(t->dirfd, tmp, t->dirfd, name) < 0) {
		int e = errno;
		unlinkat(t->dirfd, tmp, 0);
		return oci_err_errno(err, e, "cache '%s': cannot write '%s'", t->path, name);
	}
	snprintf(t->claim, sizeof(t->claim), "%s", name);
	return 0;
}

bool oci_treecache_claimed(oci_treecache *t, int outfd, const oci_digest *d)
{
	struct stat out, in;
	char name[64];
	if (t->dirfd < 0 || fstat(outfd, &out) < 0 || !S_ISFIFO(out.st_mode))
		return false;
	claim_name(&out, name, sizeof(name));
	oci_error e = OCI_ERROR_INIT;
	/* a FIFO under the note's name must not block the sender */
	cleanup_close int fd = oci_open_regular_at(t->dirfd, name, O_NOFOLLOW, &e);
	cleanup_free char *buf = NULL;
	size_t len;
	if (fd < 0 || fstat(fd, &in) < 0 || in.st_uid != geteuid() ||
	    oci_read_fd(fd, CLAIM_MAX, &buf, &len, &e) < 0)
		return false;
	char *end = buf + len, *p = buf + strlen(CLAIM_HEAD), *nl;
	long pid = note_pid(buf, len);
	if (pid <= 0 || pid == (long)getpid() || !(nl = memchr(p, '\n', (size_t)(end - p))))
		return false;
	/* the note's writer reads this very pipe now: the bytes go to it */
	char proc[48];
	snprintf(proc, sizeof(proc), "/proc/%ld/fd/0", pid);
	if (stat(proc, &in) < 0 || in.st_dev != out.st_dev || in.st_ino != out.st_ino)
		return false;
	for (p = nl + 1; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
		*nl = '\0';
		oci_digest got;
		if (oci_digest_parse(p, &got, &e) == 0 && oci_digest_equal(&got, d))
			return true;
	}
	return false;
}
