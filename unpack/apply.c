/* Create one tar entry inside the root filesystem, safely, whatever the archive says.
 *
 * Every entry's parent is resolved by the beneath rule (common/safepath.h), so a symlink
 * planted by an earlier entry or layer can never lead a write outside the root. It goes
 * through the root's cursor, which keeps the directory fds of the previous entry's parents:
 * an entry next to the last one costs no lookup, one a level deeper one openat(O_NOFOLLOW)
 * of a plain directory, and a symlink on the way is resolved from the root by the rule
 * itself. What makes keeping fds across entries safe: a name's lookup can change only when a
 * name is removed or replaced, and every removal here (clear_leaf, whiteouts, the opaque
 * prune) first tells the cursor to drop all it holds (oci_unpack_root_removed); writers and
 * the rest only add names. The leaf itself is never followed: it is created with O_EXCL /
 * mkdirat / symlinkat / linkat / mknodat in its parent's fd (removed first when the name is
 * taken), and metadata is set through the new file's fd or with AT_SYMLINK_NOFOLLOW.
 * Directory modes and times are applied at the very end, each directory after everything
 * below it, so that creating children cannot change a directory's mtime and a read-only
 * directory cannot block its own contents. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/log.h"
#include "common/safepath.h"
#include "common/util.h"
#include "unpack/unpack.h"

/* The nodes a path tree may hold: an entry usually names one new path (its leaf), and its
 * parents are usually entries of their own; twice --max-files leaves room for parents no entry
 * lists, while a layer of few entries with deep made-up parents stops with a clear error
 * before its bookkeeping outgrows memory. */
static size_t max_nodes(const oci_unpack_opts *opts)
{
	uint64_t n = opts->max_files * 2 + 65536;
	return n < UINT32_MAX - 1 ? (size_t)n : UINT32_MAX - 1;
}

int oci_unpack_root_init(oci_unpack_root *r, int rootfd, const oci_unpack_opts *opts,
			 oci_error *err)
{
	memset(r, 0, sizeof(*r));
	r->rootfd = rootfd;
	r->opts = opts;
	oci_unpack_pathtree_init(&r->layer_tree, max_nodes(opts));
	oci_unpack_pathtree_init(&r->dir_tree, max_nodes(opts));
	oci_safe_cursor_init(&r->cursor, rootfd);
	r->stream_fd = -1;
	return 0;
}

void oci_unpack_root_release(oci_unpack_root *r)
{
	oci_unpack_writers_free(r->writers);
	oci_safe_cursor_release(&r->cursor);
	oci_unpack_pathtree_release(&r->layer_tree);
	oci_unpack_pathtree_release(&r->dir_tree);
	free(r->opaque);
	free(r->dirs);
	memset(r, 0, sizeof(*r));
	r->rootfd = -1;
}

int oci_unpack_root_mark(oci_unpack_root *r, const char *path, oci_error *err)
{
	uint32_t id;
	if (oci_unpack_pathtree_add(&r->layer_tree, path, 2, &id, err) < 0)
		return -1;
	r->layer_tree.nodes[id].val = 1;
	return 0;
}

void oci_unpack_root_removed(oci_unpack_root *r)
{
	oci_safe_cursor_forget(&r->cursor);
}

int oci_unpack_root_dir(oci_unpack_root *r, const char *dir, oci_error *err)
{
	return oci_safe_cursor_dir(&r->cursor, dir, err);
}

void oci_unpack_root_forget(oci_unpack_root *r, const char *path)
{
	oci_unpack_pathtree_detach(&r->dir_tree, oci_unpack_pathtree_find(&r->dir_tree, path));
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
}

static int record_dir(oci_unpack_root *r, const char *path, mode_t mode, struct archive_entry *e,
		      oci_error *err)
{
	struct timespec ts[2];
	entry_times(e, ts);
	return oci_unpack_root_note_dir(r, path, mode, ts, err);
}

int oci_unpack_root_note_dir(oci_unpack_root *r, const char *path, mode_t mode,
			     const struct timespec ts[2], oci_error *err)
{
	uint32_t id;
	if (oci_unpack_pathtree_add(&r->dir_tree, path, 0, &id, err) < 0)
		return -1;
	oci_unpack_pathnode *node = &r->dir_tree.nodes[id];
	if (!node->val) {
		if (r->n_dirs == r->cap_dirs) {
			size_t ncap = r->cap_dirs ? r->cap_dirs * 2 : 256;
			oci_unpack_dirmeta *n = realloc(r->dirs, ncap * sizeof(*n));
			if (!n)
				return oci_err_errno(err, ENOMEM, "cannot record directory");
			r->dirs = n;
			r->cap_dirs = ncap;
		}
		r->dirs[r->n_dirs].node = id;
		node->val = (uint32_t)++r->n_dirs;
	}
	oci_unpack_dirmeta *d = &r->dirs[node->val - 1];
	d->mode = mode & 07777;
	d->atime = ts[0];
	d->mtime = ts[1];
	return 0;
}

/* Whether dirs[i] still describes a directory: its node was not removed since, nor recorded
 * again afresh. */
static bool dir_live(const oci_unpack_root *r, size_t i)
{
	uint32_t id = r->dirs[i].node;
	return oci_unpack_pathtree_live(&r->dir_tree, id) && r->dir_tree.nodes[id].val == i + 1;
}

int oci_unpack_root_sync(oci_unpack_root *r, oci_error *err)
{
	return oci_unpack_writers_drain(r->writers, err);
}

/* Mode and times of one recorded directory at path; one removed or replaced since is left
 * alone. Its parent comes from the cursor (the previous directory's neighbour), its leaf is
 * never followed. */
static int restore_dir(oci_unpack_root *r, char *path, size_t len, const oci_unpack_dirmeta *d,
		       oci_error *err)
{
	struct timespec ts[2] = {d->atime, d->mtime};
	cleanup_close int fd = -1;
	if (!len) {
		fd = fcntl(r->rootfd, F_DUPFD_CLOEXEC, 3);
	} else {
		char *slash = memrchr(path, '/', len);
		oci_error e2 = OCI_ERROR_INIT;
		if (slash)
			*slash = '\0';
		int pfd = oci_unpack_root_dir(r, slash ? path : "", &e2);
		if (slash)
			*slash = '/';
		if (pfd < 0)
			return 0; /* removed since: nothing to restore */
		fd = openat(pfd, slash ? slash + 1 : path,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return 0;
	}
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open directory '%s'", path);
	if (fchmod(fd, d->mode) < 0)
		return oci_err_errno(err, errno, "cannot chmod directory '%s'", path);
	if (futimens(fd, ts) < 0)
		return oci_err_errno(err, errno, "cannot set times of directory '%s'", path);
	return 0;
}

/* path (len bytes, *cap allocated) extended by node id's name. */
static int path_push(const oci_unpack_pathtree *t, uint32_t id, char **path, size_t *len,
		     size_t *cap, oci_error *err)
{
	const oci_unpack_pathnode *n = &t->nodes[id];
	size_t need = *len + 1 + n->name_len + 1;
	if (need > *cap) {
		size_t ncap = *cap * 2 > need ? *cap * 2 : need;
		char *p = realloc(*path, ncap);
		if (!p)
			return oci_err_errno(err, ENOMEM, "cannot allocate a path");
		*path = p;
		*cap = ncap;
	}
	if (n->parent != 0)
		(*path)[(*len)++] = '/';
	memcpy(*path + *len, t->names + n->name_off, n->name_len);
	*len += n->name_len;
	(*path)[*len] = '\0';
	return 0;
}

/* Directories' modes and times, each directory after everything below it (creating children
 * cannot change its mtime then, and a read-only directory cannot block its own contents): a
 * walk of the recorded tree in post-order, without a stack (the depth is the image's), in
 * which each directory is a neighbour of the one before, so the cursor finds its parent in a
 * few lookups whatever the depth. */
int oci_unpack_root_finish(oci_unpack_root *r, oci_error *err)
{
	const oci_unpack_pathtree *t = &r->dir_tree;
	if (oci_unpack_root_sync(r, err) < 0)
		return -1;
	if (!r->n_dirs)
		return 0;
	size_t cap = 256, len = 0;
	cleanup_free char *path = oci_malloc(cap, err);
	if (!path)
		return -1;
	path[0] = '\0';
	uint32_t c = 0;
	bool down = true;
	for (;;) {
		while (down && t->nodes[c].first_child != UNPACK_NODE_NONE) {
			c = t->nodes[c].first_child;
			if (path_push(t, c, &path, &len, &cap, err) < 0)
				return -1;
		}
		const oci_unpack_pathnode *n = &t->nodes[c];
		if (n->val && dir_live(r, n->val - 1) &&
		    restore_dir(r, path, len, &r->dirs[n->val - 1], err) < 0)
			return -1;
		if (c == 0)
			return 0;
		len -= n->name_len + (n->parent != 0);
		path[len] = '\0';
		down = n->next != UNPACK_NODE_NONE;
		c = down ? n->next : n->parent;
		if (down && path_push(t, c, &path, &len, &cap, err) < 0)
			return -1;
	}
}

/* ---- ownership, modes, xattrs ---- */

static int entry_owner(oci_unpack_root *r, struct archive_entry *e, uid_t *uid, gid_t *gid,
		       oci_error *err)
{
	la_int64_t u = archive_entry_uid(e), g = archive_entry_gid(e);
	uint32_t mu, mg;
	if (u < 0 || u >= UINT32_MAX || g < 0 || g >= UINT32_MAX)
		return oci_err(err, OCI_E_INVALID, "invalid owner %lld:%lld", (long long)u,
			       (long long)g);
	mu = (uint32_t)u;
	mg = (uint32_t)g;
	if (r->opts->n_uid_maps &&
	    oci_unpack_map_id(r->opts->uid_maps, r->opts->n_uid_maps, mu, &mu) < 0)
		return oci_err(err, OCI_E_INVALID, "uid %u is not in --uid-map", mu);
	if (r->opts->n_gid_maps &&
	    oci_unpack_map_id(r->opts->gid_maps, r->opts->n_gid_maps, mg, &mg) < 0)
		return oci_err(err, OCI_E_INVALID, "gid %u is not in --gid-map", mg);
	*uid = mu;
	*gid = mg;
	return 0;
}

/* Whether ownership is applied with chown: as root, or rootless with explicit id maps. */
static bool do_chown(oci_unpack_root *r)
{
	return !r->opts->rootless || r->opts->n_uid_maps || r->opts->n_gid_maps;
}

/* Rootless: remember the image's owner of a regular file or directory in an xattr. */
static int rootless_owner(oci_unpack_root *r, int fd, struct archive_entry *e, oci_error *err)
{
	unsigned char buf[32];
	la_int64_t u = archive_entry_uid(e), g = archive_entry_gid(e);
	if (do_chown(r) || (u == 0 && g == 0) || u < 0 || g < 0 || u >= UINT32_MAX ||
	    g >= UINT32_MAX)
		return 0;
	size_t n = oci_unpack_rootless_xattr((uint32_t)u, (uint32_t)g, buf, sizeof(buf));
	if (fsetxattr(fd, "user.rootlesscontainers", buf, n, 0) < 0) {
		if (errno == ENOTSUP || errno == EOPNOTSUPP) {
			if (!__atomic_exchange_n(&r->warned_xattr, true, __ATOMIC_RELAXED))
				log_warn("this filesystem has no user xattrs: image owners are not "
					 "recorded");
			return 0;
		}
		return oci_err_errno(err, errno, "cannot set xattr 'user.rootlesscontainers'");
	}
	return 0;
}

static bool xattr_allowed(oci_unpack_root *r, const char *name)
{
	if (oci_str_has_prefix(name, "user.overlay.") ||
	    oci_str_has_prefix(name, "trusted.overlay."))
		return false;
	if (oci_str_has_prefix(name, "user."))
		return !(r->opts->rootless && !strcmp(name, "user.rootlesscontainers"));
	if (!strcmp(name, "security.capability"))
		return true;
	if (oci_str_has_prefix(name, "trusted."))
		return !r->opts->rootless;
	return false;
}

/* The entry's allowed xattrs, through fd (a regular file or directory) or, when fd < 0, on
 * leaf in the directory pfd without following it (a symlink, device or fifo: no fd can be
 * opened for those that fsetxattr accepts). lsetxattr on "/proc/self/fd/<pfd>/<leaf>"
 * resolves only the magic link to pfd itself, then one component that it does not follow.
 * The kernel refuses user.* xattrs on such nodes (EPERM) and security.capability (EINVAL):
 * they are skipped with a debug message, as umoci and GNU tar do. */
static int apply_xattrs(oci_unpack_root *r, struct archive_entry *e, int fd, int pfd,
			const char *leaf, oci_error *err)
{
	const char *name;
	const void *val;
	size_t size;
	char path[64 + NAME_MAX];
	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	if (fd < 0)
		snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pfd, leaf);
	while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
		if (!xattr_allowed(r, name)) {
			log_debug("dropping xattr '%s'", name);
			continue;
		}
		int rc = fd >= 0 ? fsetxattr(fd, name, val, size, 0)
				 : lsetxattr(path, name, val, size, 0);
		if (rc < 0 && fd < 0 &&
		    ((errno == EPERM && oci_str_has_prefix(name, "user.")) ||
		     (errno == EINVAL && !strcmp(name, "security.capability")))) {
			log_debug(
			    "xattr '%s' cannot be set on a symlink or special file: %s (skipped)",
			    name, strerror(errno));
			continue;
		}
		if (rc < 0) {
			if (errno == ENOTSUP || errno == EOPNOTSUPP ||
			    (r->opts->rootless && errno == EPERM)) {
				if (!__atomic_exchange_n(&r->warned_xattr, true, __ATOMIC_RELAXED))
					log_warn("cannot set xattr '%s': %s (ignored)", name,
						 strerror(errno));
				continue;
			}
			return oci_err_errno(err, errno, "cannot set xattr '%s'", name);
		}
	}
	return 0;
}

/* chmod without following a symlink in the leaf: through an O_PATH fd of what was created. */
static int chmod_at_nofollow(int pfd, const char *leaf, mode_t mode, oci_error *err)
{
	cleanup_close int fd = openat(pfd, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char proc[64];
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return oci_err_errno(err, errno, "cannot open");
	if (S_ISLNK(st.st_mode))
		return 0;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (chmod(proc, mode) < 0)
		return oci_err_errno(err, errno, "cannot chmod");
	return 0;
}

/* The metadata of a node that has no fd of its own (symlink, device, fifo). */
static int meta_at(oci_unpack_root *r, struct archive_entry *e, int pfd, const char *leaf,
		   bool is_link, oci_error *err)
{
	struct timespec ts[2];
	if (do_chown(r)) {
		uid_t u;
		gid_t g;
		if (entry_owner(r, e, &u, &g, err) < 0)
			return -1;
		if (fchownat(pfd, leaf, u, g, AT_SYMLINK_NOFOLLOW) < 0)
			return oci_err_errno(err, errno, "cannot chown");
	}
	if (!is_link && chmod_at_nofollow(pfd, leaf, archive_entry_perm(e) & 07777, err) < 0)
		return -1;
	if (apply_xattrs(r, e, -1, pfd, leaf, err) < 0)
		return -1;
	entry_times(e, ts);
	if (utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return oci_err_errno(err, errno, "cannot set times");
	return 0;
}

/* The mode a regular file is created with: its own permissions, minus setuid/setgid/sticky
 * (chown would clear them; they are set after it) and minus group/other write (nobody else
 * may open it for writing before its owner and mode are final). */
static mode_t create_mode(struct archive_entry *e)
{
	return archive_entry_perm(e) & 0755;
}

/* Metadata through an fd: owner first (chown clears setuid and capabilities), then mode, xattrs.
 * A regular file created with create_mode() needs no chmod unless its mode has more bits. */
static int meta_fd(oci_unpack_root *r, struct archive_entry *e, int fd, bool is_dir, oci_error *err)
{
	if (do_chown(r)) {
		uid_t u;
		gid_t g;
		if (entry_owner(r, e, &u, &g, err) < 0)
			return -1;
		if (fchown(fd, u, g) < 0)
			return oci_err_errno(err, errno, "cannot chown");
	} else if (rootless_owner(r, fd, e, err) < 0) {
		return -1;
	}
	mode_t perm = archive_entry_perm(e) & 07777;
	if (!is_dir && perm != create_mode(e) && fchmod(fd, perm) < 0)
		return oci_err_errno(err, errno, "cannot chmod");
	return apply_xattrs(r, e, fd, -1, NULL, err);
}

/* ---- creating entries ---- */

/* The parent directory of an entry, created (0755) when the archive did not list it. A parent
 * reached through a symlink that leads out of the root (absolute, or ".." above it) is refused:
 * on the host it would escape, and no honest layer needs it. The fd is the cursor's. */
static int open_parent(oci_unpack_root *r, const char *dir, oci_error *err)
{
	oci_error e2 = OCI_ERROR_INIT;
	int fd = oci_unpack_root_dir(r, dir, &e2);
	if (fd >= 0)
		return fd;
	if (e2.sys_errno != ENOENT) {
		*err = e2;
		return -1;
	}
	fd = oci_safe_mkdir_p(r->rootfd, dir, 0755, err);
	if (fd < 0)
		return -1;
	close(fd);
	return oci_unpack_root_dir(r, dir, err);
}

/* Make room for a new leaf: remove what is there unless it is a directory and a directory is
 * wanted. Returns 1 when an existing directory is kept, 0 when the name is free. */
static int clear_leaf(oci_unpack_root *r, int pfd, const char *leaf, const char *path,
		      bool want_dir, oci_error *err)
{
	struct stat st;
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return oci_err_errno(err, errno, "cannot stat");
	}
	if (S_ISDIR(st.st_mode)) {
		if (want_dir)
			return 1;
		oci_unpack_root_removed(r);
		if (oci_remove_tree_at(pfd, leaf, err) < 0)
			return -1;
		oci_unpack_root_forget(r, path);
		return 0;
	}
	oci_unpack_root_removed(r);
	if (unlinkat(pfd, leaf, 0) < 0 && errno != ENOENT)
		return oci_err_errno(err, errno, "cannot remove the existing file");
	return 0;
}

static int write_block(int fd, const void *buf, size_t size, off_t off, oci_error *err)
{
	const char *p = buf;
	while (size > 0) {
		ssize_t w = pwrite(fd, p, size, off);
		if (w < 0) {
			if (errno == EINTR && !oci_interrupted)
				continue;
			return oci_err_errno(err, errno, "cannot write");
		}
		p += w;
		size -= (size_t)w;
		off += w;
	}
	return 0;
}

/* A file shorter than its header's size (sparse): extended to it, within --max-bytes. */
static int extend_to_size(oci_unpack_root *r, struct archive_entry *e, int fd, off_t end,
			  oci_error *err)
{
	la_int64_t want = archive_entry_size(e);
	if (archive_entry_size_is_set(e) && want > end) {
		if ((uint64_t)want > r->opts->max_bytes)
			return oci_err(err, OCI_E_LIMIT,
				       "sparse file of %lld bytes is over the --max-bytes limit",
				       (long long)want);
		if (ftruncate(fd, want) < 0)
			return oci_err_errno(err, errno, "cannot extend sparse file");
	}
	return 0;
}

/* A block of an entry's data must lie within the file's size. libarchive hands a sparse
 * entry's blocks at the offsets its map names and holds none of them to the size the entry
 * declares (GNU.sparse.realsize, the old GNU header's): one byte mapped at 1 TiB made a file
 * of 1 TiB from a one-byte entry, past --max-bytes, which extend_to_size holds the declared
 * size to. Go's archive/tar (umoci, containerd) and GNU tar refuse such a map too. */
static int check_block(oci_unpack_root *r, struct archive_entry *e, la_int64_t off, size_t size,
		       oci_error *err)
{
	uint64_t limit = archive_entry_size_is_set(e) && archive_entry_size(e) >= 0
			     ? (uint64_t)archive_entry_size(e)
			     : r->opts->max_bytes;
	if (off < 0 || (uint64_t)off > limit || size > limit - (uint64_t)off)
		return oci_err(err, OCI_E_INVALID,
			       "data at byte %lld is past the file's size of %llu bytes (a sparse "
			       "map out of bounds)",
			       (long long)off, (unsigned long long)limit);
	return 0;
}

/* The rest of an entry's data, written through fd as it comes; end: what is written so far. */
static int write_data(oci_unpack_root *r, struct archive *a, struct archive_entry *e, int fd,
		      off_t end, oci_error *err)
{
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t off;
		int rc = archive_read_data_block(a, &buf, &size, &off);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN)
			return oci_err_archive(err, a, "cannot read data");
		if (check_block(r, e, off, size, err) < 0 ||
		    write_block(fd, buf, size, off, err) < 0)
			return -1;
		if (off + (off_t)size > end)
			end = off + (off_t)size;
	}
	return extend_to_size(r, e, fd, end, err);
}

/* Owner, mode, xattrs and times of a regular file whose data is written. */
static int file_meta(oci_unpack_root *r, struct archive_entry *e, int fd, oci_error *err)
{
	struct timespec ts[2];
	if (meta_fd(r, e, fd, false, err) < 0)
		return -1;
	entry_times(e, ts);
	if (futimens(fd, ts) < 0)
		return oci_err_errno(err, errno, "cannot set times");
	return 0;
}

/* A file writer's job (writer.c): the data read by buffer_data, then the metadata. */
static int finish_file(oci_unpack_root *r, int fd, struct archive_entry *e,
		       const unsigned char *data, size_t len, oci_error *err)
{
	if (write_block(fd, data, len, 0, err) < 0 || extend_to_size(r, e, fd, (off_t)len, err) < 0)
		return -1;
	return file_meta(r, e, fd, err);
}

/* Read a small file's data into memory for a writer: 1 with *out (malloc'ed, *len bytes).
 * Data that does not come as one run from offset 0 within the header's size (nothing honest
 * does that outside sparse entries, which never come here) is written through fd at once
 * instead, with the rest of it: 0. */
static int buffer_data(oci_unpack_root *r, struct archive *a, struct archive_entry *e, int fd,
		       unsigned char **out, size_t *len, oci_error *err)
{
	size_t cap = (size_t)archive_entry_size(e), filled = 0;
	unsigned char *buf = malloc(cap ? cap : 1);
	if (!buf)
		return oci_err_errno(err, ENOMEM, "cannot allocate");
	for (;;) {
		const void *b;
		size_t size;
		la_int64_t off;
		int rc = archive_read_data_block(a, &b, &size, &off);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN) {
			free(buf);
			return oci_err_archive(err, a, "cannot read data");
		}
		if (off == (la_int64_t)filled && size <= cap - filled) {
			memcpy(buf + filled, b, size);
			filled += size;
			continue;
		}
		rc = write_block(fd, buf, filled, 0, err);
		free(buf);
		if (rc < 0 || check_block(r, e, off, size, err) < 0 ||
		    write_block(fd, b, size, off, err) < 0)
			return -1;
		off_t end = off + (off_t)size > (off_t)filled ? off + (off_t)size : (off_t)filled;
		return write_data(r, a, e, fd, end, err) < 0 ? -1 : 0;
	}
	*out = buf;
	*len = filled;
	return 1;
}

/* The file writers, started at the first file that can use them. */
static oci_unpack_writers *writers(oci_unpack_root *r)
{
	if (!r->writers_tried) {
		oci_error e = OCI_ERROR_INIT;
		r->writers_tried = true;
		r->writers = oci_unpack_writers_new(r, finish_file, &e);
	}
	return r->writers;
}

/* Data, owner, mode, xattrs and times of a regular file just created as *fdp: by a file
 * writer when the file is small (*fdp is handed over and set to -1), else right here. */
static int fill_file(oci_unpack_root *r, struct archive *a, struct archive_entry *e, int *fdp,
		     oci_error *err)
{
	if (archive_entry_size_is_set(e) && archive_entry_sparse_count(e) == 0 &&
	    oci_unpack_writers_fit(archive_entry_size(e)) && writers(r)) {
		unsigned char *data = NULL;
		size_t len = 0;
		int rc = buffer_data(r, a, e, *fdp, &data, &len, err);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			int fd = *fdp;
			*fdp = -1;
			return oci_unpack_writers_submit(r->writers, fd, e, data, len, err);
		}
		return file_meta(r, e, *fdp, err);
	}
	if (write_data(r, a, e, *fdp, 0, err) < 0)
		return -1;
	return file_meta(r, e, *fdp, err);
}

static int make_file(oci_unpack_root *r, struct archive *a, struct archive_entry *e, int pfd,
		     const char *leaf, const char *path, oci_error *err)
{
	if (clear_leaf(r, pfd, leaf, path, false, err) < 0)
		return -1;
	cleanup_close int fd =
	    openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode(e));
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot create");
	return fill_file(r, a, e, &fd, err);
}

static int make_dir(oci_unpack_root *r, struct archive_entry *e, int pfd, const char *leaf,
		    const char *path, oci_error *err)
{
	/* mkdir first: the name is usually free, or already the directory wanted. */
	if (mkdirat(pfd, leaf, 0700) < 0) {
		if (errno != EEXIST)
			return oci_err_errno(err, errno, "cannot create directory");
		int kept = clear_leaf(r, pfd, leaf, path, true, err);
		if (kept < 0)
			return -1;
		if (!kept && mkdirat(pfd, leaf, 0700) < 0)
			return oci_err_errno(err, errno, "cannot create directory");
	}
	/* Its owner, without an fd when that is all there is to set (the usual directory):
	 * the name was just made a directory in pfd, and a symlink would not be followed. Its
	 * mode and times come at the end (record_dir). */
	if (do_chown(r) && archive_entry_xattr_count(e) == 0) {
		uid_t u;
		gid_t g;
		if (entry_owner(r, e, &u, &g, err) < 0)
			return -1;
		if (fchownat(pfd, leaf, u, g, AT_SYMLINK_NOFOLLOW) < 0)
			return oci_err_errno(err, errno, "cannot chown");
		return record_dir(r, path, archive_entry_perm(e), e, err);
	}
	cleanup_close int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open directory");
	if (meta_fd(r, e, fd, true, err) < 0)
		return -1;
	return record_dir(r, path, archive_entry_perm(e), e, err);
}

static int make_symlink(oci_unpack_root *r, struct archive_entry *e, int pfd, const char *leaf,
			const char *path, oci_error *err)
{
	const char *target = archive_entry_symlink(e);
	if (!target || !*target)
		return oci_err(err, OCI_E_INVALID, "symlink with an empty target");
	/* symlinkat never follows the leaf: try it first, make room only when the name is taken */
	if (symlinkat(target, pfd, leaf) < 0) {
		if (errno != EEXIST)
			return oci_err_errno(err, errno, "cannot create symlink");
		if (clear_leaf(r, pfd, leaf, path, false, err) < 0)
			return -1;
		if (symlinkat(target, pfd, leaf) < 0)
			return oci_err_errno(err, errno, "cannot create symlink");
	}
	return meta_at(r, e, pfd, leaf, true, err);
}

static int make_hardlink(oci_unpack_root *r, const char *hl, int pfd, const char *leaf,
			 const char *path, oci_error *err)
{
	char tpath[PATH_MAX];
	struct stat st;
	if (oci_path_clean_beneath(hl, tpath, sizeof(tpath), err) < 0)
		return oci_err_prefix(err, "hardlink target '%.200s%s'", hl,
				      strlen(hl) > 200 ? "..." : "");
	if (!tpath[0])
		return oci_err(err, OCI_E_UNSAFE, "hardlink to the root directory");
	/* GNU tar fails on a link to itself unless the name already exists (then it keeps it),
	 * umoci always fails: nothing honest writes one, so refuse it rather than guess. */
	if (!strcmp(tpath, path))
		return oci_err(err, OCI_E_INVALID, "hardlink to itself");
	/* tpath becomes the target's parent directory ("" for the root), tleaf its name */
	char *tslash = strrchr(tpath, '/');
	const char *tleaf = tslash ? tslash + 1 : tpath;
	const char *tdir = tslash ? tpath : "";
	if (tslash)
		*tslash = '\0';
	cleanup_close int tpfd = oci_safe_open_beneath(r->rootfd, tdir, O_PATH | O_DIRECTORY, err);
	if (tpfd < 0)
		return oci_err_prefix(err, "hardlink target '%.200s%s'", hl,
				      strlen(hl) > 200 ? "..." : "");
	if (fstatat(tpfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return oci_err_errno(err, errno, "hardlink target '%.200s%s'", hl,
				     strlen(hl) > 200 ? "..." : "");
	if (S_ISDIR(st.st_mode))
		return oci_err(err, OCI_E_UNSAFE, "hardlink target '%.200s%s' is a directory", hl,
			       strlen(hl) > 200 ? "..." : "");
	if (clear_leaf(r, pfd, leaf, path, false, err) < 0)
		return -1;
	if (linkat(tpfd, tleaf, pfd, leaf, 0) < 0)
		return oci_err_errno(err, errno, "cannot link to '%.200s%s'", hl,
				     strlen(hl) > 200 ? "..." : "");
	return 0;
}

/* A hard link carries no data: pax lets one have some, and readers disagree on what it means
 * (libarchive's own extractor writes it into the target, GNU tar and Go's archive/tar, hence
 * umoci and containerd, fail on the layer). Linking and dropping it gave the tree another
 * reader of the same layer would not give: refused, as those peers do. */
static int no_link_data(struct archive *a, const char *hl, oci_error *err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	for (;;) {
		int rc = archive_read_data_block(a, &buf, &size, &off);
		if (rc == ARCHIVE_EOF)
			return 0;
		if (rc < ARCHIVE_WARN)
			return oci_err_archive(err, a, "cannot read data");
		if (size > 0)
			return oci_err(
			    err, OCI_E_INVALID,
			    "a hard link to '%.200s%s' that carries data (peers refuse it, "
			    "or write it into the target)",
			    hl, strlen(hl) > 200 ? "..." : "");
	}
}

/* As umoci --rootless does: an empty regular file stands in for a device node. */
static int make_device_standin(oci_unpack_root *r, struct archive_entry *e, int pfd,
			       const char *leaf, oci_error *err)
{
	cleanup_close int fd =
	    openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode(e));
	struct timespec ts[2];
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot create");
	if (meta_fd(r, e, fd, false, err) < 0)
		return -1;
	entry_times(e, ts);
	if (futimens(fd, ts) < 0)
		return oci_err_errno(err, errno, "cannot set times");
	return 0;
}

/* Root inside a user namespace has uid 0 but may not mknod devices: the id map is not the
 * whole range. */
static bool in_user_namespace(void)
{
	static int cached = -1;
	if (cached < 0) {
		cleanup_free char *map = NULL;
		cached =
		    oci_read_file_at(AT_FDCWD, "/proc/self/uid_map", 4096, &map, NULL, NULL) == 0 &&
		    !strstr(map, "4294967295");
	}
	return cached;
}

static int make_node(oci_unpack_root *r, struct archive_entry *e, int pfd, const char *leaf,
		     const char *path, oci_error *err)
{
	mode_t type = archive_entry_filetype(e);
	mode_t perm = archive_entry_perm(e) & 07777;
	if (clear_leaf(r, pfd, leaf, path, false, err) < 0)
		return -1;
	if (r->opts->rootless && type != AE_IFIFO) {
		log_debug("rootless: empty file instead of device '%s'", path);
		return make_device_standin(r, e, pfd, leaf, err);
	}
	if (mknodat(pfd, leaf, type | perm, archive_entry_rdev(e)) < 0) {
		if (errno == EPERM && type != AE_IFIFO && in_user_namespace()) {
			log_debug("user namespace: empty file instead of device '%s'", path);
			return make_device_standin(r, e, pfd, leaf, err);
		}
		return oci_err_errno(err, errno, "cannot create %s",
				     type == AE_IFIFO ? "fifo" : "device node");
	}
	return meta_at(r, e, pfd, leaf, false, err);
}

static int apply_root_dir(oci_unpack_root *r, struct archive_entry *e, oci_error *err)
{
	mode_t type = archive_entry_filetype(e);
	if (archive_entry_hardlink(e) || type != AE_IFDIR)
		return oci_err(err, OCI_E_UNSAFE,
			       "cannot replace the root directory with a non-directory");
	if (meta_fd(r, e, r->rootfd, true, err) < 0)
		return -1;
	return record_dir(r, "", archive_entry_perm(e), e, err);
}

static int apply_entry(oci_unpack_root *r, struct archive *a, struct archive_entry *e,
		       const char *name, oci_error *err)
{
	char path[PATH_MAX];
	if (oci_path_clean_beneath(name, path, sizeof(path), err) < 0)
		return -1;
	if (++r->files > r->opts->max_files)
		return oci_err(err, OCI_E_LIMIT, "more than %llu entries (see --max-files)",
			       (unsigned long long)r->opts->max_files);
	/* Every write into the root comes after this line (--layer says whether the root is
	 * unchanged by a refused layer from it). */
	r->touched = true;
	if (!path[0])
		return apply_root_dir(r, e, err);

	char *slash = strrchr(path, '/');
	const char *leaf = slash ? slash + 1 : path;
	int w = oci_unpack_whiteout(r, path, leaf, err);
	if (w != 0)
		return w < 0 ? -1 : 0;

	if (oci_unpack_root_mark(r, path, err) < 0)
		return -1;
	const char *hl = archive_entry_hardlink(e);
	char dir[PATH_MAX];
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	memcpy(dir, path, dlen);
	dir[dlen] = '\0';
	int pfd = open_parent(r, dir, err);
	if (pfd < 0)
		return -1;
	if (!hl && archive_entry_filetype(e) == AE_IFREG) {
		/* the usual new file: the name is free, so no room to make */
		cleanup_close int fd =
		    openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			   create_mode(e));
		if (fd >= 0)
			return fill_file(r, a, e, &fd, err);
	}

	if (hl)
		return no_link_data(a, hl, err) < 0 ? -1
						    : make_hardlink(r, hl, pfd, leaf, path, err);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return make_file(r, a, e, pfd, leaf, path, err);
	case AE_IFDIR:
		return make_dir(r, e, pfd, leaf, path, err);
	case AE_IFLNK:
		return make_symlink(r, e, pfd, leaf, path, err);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return make_node(r, e, pfd, leaf, path, err);
	case AE_IFSOCK:
		return 0; /* sockets are not restored, as tar does */
	default:
		return oci_err(err, OCI_E_UNSUPPORTED, "unsupported entry type 0%o",
			       archive_entry_filetype(e));
	}
}

int oci_unpack_apply_entry(oci_unpack_root *r, struct archive *a, struct archive_entry *e,
			   oci_error *err)
{
	const char *name = archive_entry_pathname(e);
	if (!name)
		name = "";
	if (apply_entry(r, a, e, name, err) < 0)
		return oci_unpack_err_entry(err, name);
	return 0;
}

int oci_unpack_err_entry(oci_error *err, const char *name)
{
	size_t n = strlen(name);
	if (n <= 256)
		return oci_err_prefix(err, "entry '%s'", name);
	return oci_err_prefix(err, "entry '%.200s...' (a name of %zu bytes)", name, n);
}
