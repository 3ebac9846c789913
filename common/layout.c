/* OCI image layout directories: oci-layout, index.json and verified, atomically written blobs. */
#include "common/layout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"

#define OCI_LAYOUT_FILE "{\"imageLayoutVersion\":\"1.0.0\"}"
#define EMPTY_INDEX	"{\n  \"schemaVersion\": 2,\n  \"manifests\": []\n}\n"

int oci_layout_read_file(int dirfd, const char *name, size_t max, char **out, size_t *len,
			 oci_error *err)
{
	cleanup_close int fd = oci_open_regular_at(dirfd, name, 0, err);
	if (fd < 0 || oci_read_fd(fd, max, out, len, err) < 0)
		return -1;
	return 0;
}

#define HOLD_FILE    ".writers.lock"
#define HOLD_WAIT_MS 10000

/* The writers' own hold, a shared flock on HOLD_FILE: a file made 0600, which only the
 * layout's writers of our uid can open (oci-layout is readable by anyone, and anyone holding
 * it exclusively made a writer go on without its hold there: a failing pull that had made the
 * layout then removed it under that one). Its only exclusive holders are brief (a failed
 * writer's discard, a new writer's sweep, the last writer's removal of the file). A file that
 * cannot be made or opened (another uid's: a shared layout) leaves holdfd -1: the oci-layout
 * hold alone then, as before. */
static int hold_take(oci_layout *l, int dirfd, oci_error *err)
{
	for (int64_t until = oci_now_ms() + HOLD_WAIT_MS;;) {
		struct stat st, now;
		int fd = openat(dirfd, HOLD_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return 0;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
			close(fd);
			return 0;
		}
		while (flock(fd, LOCK_SH | LOCK_NB) < 0) {
			if ((errno != EWOULDBLOCK && errno != EINTR) || oci_now_ms() >= until) {
				int e = errno;
				close(fd);
				return oci_err_errno(err, e == EWOULDBLOCK ? ETIMEDOUT : e,
						     "cannot hold '%s'", HOLD_FILE);
			}
			usleep(5000);
		}
		if (fstatat(dirfd, HOLD_FILE, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_dev == st.st_dev && now.st_ino == st.st_ino) {
			l->holdfd = fd;
			return 0;
		}
		close(fd); /* its last holder removed it as we took it */
	}
}

/* Take a shared flock on fd again (within wait_ms): a flock that fails to turn exclusive
 * has let go of the shared one it was (Linux removes the old lock before it tries). */
static void hold_again(int fd, int64_t wait_ms)
{
	for (int64_t until = oci_now_ms() + wait_ms; flock(fd, LOCK_SH | LOCK_NB) < 0;) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || oci_now_ms() >= until)
			return;
		usleep(5000);
	}
}

/* Whether no other writer has the layout open: both holds taken exclusively (then kept so).
 * When not, the shared holds are taken again: HOLD_FILE's is held exclusively only briefly;
 * oci-layout's may be held by anyone, so it is tried once. */
static bool hold_alone(oci_layout *l)
{
	if (l->holdfd >= 0 && flock(l->holdfd, LOCK_EX | LOCK_NB) < 0) {
		hold_again(l->holdfd, HOLD_WAIT_MS);
		return false;
	}
	if (flock(l->usefd, LOCK_EX | LOCK_NB) < 0) {
		hold_again(l->usefd, 0);
		if (l->holdfd >= 0)
			hold_again(l->holdfd, HOLD_WAIT_MS);
		return false;
	}
	return true;
}

/* dirfd/name, a temporary file of ours (a regular file), removed. */
static void remove_dead_temp(int dirfd, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && unlinkat(dirfd, name, 0) == 0)
		log_debug("layout: removed '%s', left by a writer that died", name);
}

/* A writer killed outright (kill -9, an OOM kill) left its temporary blob files
 * (blobs/.tmp-PID-N, blobs/ALG/.partial-HEX-PID-N: a download is resumed only within its
 * run): removed when a writer opening the layout finds no other one there. */
static void sweep_dead_temps(oci_layout *l, int dirfd)
{
	if (l->holdfd < 0 || !hold_alone(l))
		return;
	int bfd = openat(dirfd, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_closedir DIR *d = bfd >= 0 ? fdopendir(bfd) : NULL;
	if (!d && bfd >= 0)
		close(bfd);
	for (struct dirent *de; d && (de = readdir(d));) {
		if (oci_str_has_prefix(de->d_name, ".tmp-")) {
			remove_dead_temp(bfd, de->d_name);
			continue;
		}
		if (de->d_name[0] == '.')
			continue;
		int afd = openat(bfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		cleanup_closedir DIR *a = afd >= 0 ? fdopendir(afd) : NULL;
		if (!a && afd >= 0)
			close(afd);
		for (struct dirent *f; a && (f = readdir(a));)
			if (oci_str_has_prefix(f->d_name, ".partial-") ||
			    oci_str_has_prefix(f->d_name, ".tmp-"))
				remove_dead_temp(afd, f->d_name);
	}
	flock(l->usefd, LOCK_SH);
	flock(l->holdfd, LOCK_SH);
}

/* A writer's hold on the layout it opened: a shared flock on its oci-layout file, which a
 * failed writer that made the layout's directory must turn exclusive before it removes that
 * directory again (oci_layout_discard). A flock held exclusively by someone else (anyone who
 * can read the file) delays the writer by at most a second: then it goes on without that hold;
 * HOLD_FILE's (hold_take) still keeps a failed writer of our uid from removing the layout. */
static int layout_hold(oci_layout *l, int dirfd, bool *again, oci_error *err)
{
	struct stat st;
	l->usefd = oci_open_regular_at(dirfd, "oci-layout", O_NOFOLLOW, err);
	if (l->usefd < 0) {
		/* removed since it was read, by a failed writer that had made it */
		*again = err->code == OCI_E_NOTFOUND;
		return -1;
	}
	for (int64_t until = oci_now_ms() + 1000; flock(l->usefd, LOCK_SH | LOCK_NB) < 0;) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || oci_now_ms() >= until)
			break;
		usleep(5000);
	}
	if (hold_take(l, dirfd, err) < 0)
		return -1;
	if (fstat(l->usefd, &st) == 0 && st.st_nlink == 0) {
		*again = true;
		return oci_err(err, OCI_E_IO, "'oci-layout' was removed while it was opened");
	}
	return 0;
}

/* Whether dirfd's directory was removed (by a failed writer that had made it). */
static bool layout_removed(int dirfd)
{
	struct stat st;
	return dirfd >= 0 && fstat(dirfd, &st) == 0 && st.st_nlink == 0;
}

static int layout_open_once(const char *path, bool create, oci_layout *l, int *dirfd, bool *again,
			    oci_error *err)
{
	int made_files = 0; /* oci-layout, index.json and blobs/ this open made */
	if (create && oci_mkdir_p_made(path, 0755, &l->made, err) < 0)
		return -1;
	int fd = *dirfd = oci_open_dir_named(path, O_RDONLY, err);
	if (fd == -2) {
		*dirfd = -1;
		return oci_err_prefix(err, "layout");
	}
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open layout '%s'", path);
	cleanup_free char *ver = NULL;
	if (oci_layout_read_file(fd, "oci-layout", 4096, &ver, NULL, err) < 0) {
		if (err->code != OCI_E_NOTFOUND)
			return oci_err_prefix(err, "layout '%s'", path);
		oci_err_clear(err);
		if (!create)
			return oci_err(err, OCI_E_INVALID,
				       "'%s' is not an OCI image layout (no oci-layout file)",
				       path);
		/* never over another writer's: its hold is on that file */
		int r = oci_write_file_new(fd, "oci-layout", OCI_LAYOUT_FILE,
					   strlen(OCI_LAYOUT_FILE), 0644, err);
		if (r < 0)
			return oci_err_prefix(err, "layout '%s'", path);
		made_files += r == 0;
	} else {
		cleanup_json json_t *j =
		    oci_json_loadb(ver, strlen(ver), 4096, 4, "oci-layout", err);
		const char *v = NULL;
		if (!j || oci_json_get_string(j, "", "imageLayoutVersion", true, &v, err) < 0)
			return oci_err_prefix(err, "layout '%s'", path);
		if (strncmp(v, "1.", 2))
			return oci_err(err, OCI_E_UNSUPPORTED,
				       "layout '%s': unsupported imageLayoutVersion '%s'", path, v);
	}
	if (create && layout_hold(l, fd, again, err) < 0)
		return oci_err_prefix(err, "layout '%s'", path);
	if (faccessat(fd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		if (!create)
			return oci_err(err, OCI_E_INVALID,
				       "'%s' is not an OCI image layout (no index.json)", path);
		/* never over another writer's, which may hold its tag already */
		int r = oci_write_file_new(fd, "index.json", EMPTY_INDEX, strlen(EMPTY_INDEX), 0644,
					   err);
		if (r < 0)
			return oci_err_prefix(err, "layout '%s'", path);
		made_files += r == 0;
	}
	if (create) {
		if (mkdirat(fd, "blobs", 0755) == 0)
			made_files++;
		else if (errno != EEXIST)
			return oci_err_errno(err, errno, "cannot create '%s/blobs'", path);
	}
	l->made_files = made_files == 3;
	if (create)
		sweep_dead_temps(l, fd);
	if (layout_removed(fd))
		return oci_err(err, OCI_E_IO, "layout '%s' was removed while it was opened", path);
	struct stat st;
	if (l->made && fstat(fd, &st) < 0)
		return oci_err_errno(err, errno, "cannot stat layout '%s'", path);
	if (l->made) {
		l->made_dev = st.st_dev;
		l->made_ino = st.st_ino;
	}
	l->path = oci_strdup(path, err);
	if (!l->path)
		return -1;
	l->dirfd = fd;
	*dirfd = -1;
	return 0;
}

int oci_layout_open(const char *path, bool create, oci_layout *l, oci_error *err)
{
	for (int tries = 0;; tries++) {
		memset(l, 0, sizeof(*l));
		l->dirfd = l->usefd = l->holdfd = -1;
		int fd = -1;
		bool removed = false;
		int r = layout_open_once(path, create, l, &fd, &removed, err);
		/* a writer that had made the directory (or the layout in it) failed and removed
		 * it meanwhile: this writer makes it again */
		bool again = r < 0 && create && tries < 3 && (removed || layout_removed(fd));
		if (fd >= 0)
			close(fd);
		if (r == 0)
			return 0;
		oci_layout_release(l);
		if (!again)
			return -1;
		oci_err_clear(err);
	}
}

/* What a pull puts in a layout it made, while no image is tagged in it but its own (its
 * index.json the empty one it wrote, or the one it wrote with its tag alone): the blobs (a
 * digest's hex, a partial download, a writer's temporary file: no other pull has the layout
 * open), blobs/ALG, blobs, index.json, oci-layout. Anything else stays, and with it the
 * directories holding it. -1 when the layout holds something else (an image another pull
 * finished meanwhile). */
static int remove_pull_files(oci_layout *l)
{
	cleanup_free char *idx = NULL;
	size_t n = 0;
	oci_error e = OCI_ERROR_INIT;
	struct stat ist;
	if (oci_layout_read_file(l->dirfd, "index.json", 1 << 20, &idx, &n, &e) < 0)
		return -1;
	bool empty = n == strlen(EMPTY_INDEX) && !memcmp(idx, EMPTY_INDEX, n);
	/* or only this pull's tag, in the file it wrote (nobody wrote it since) */
	bool own = l->own_index && n == strlen(l->own_index) && !memcmp(idx, l->own_index, n) &&
		   fstatat(l->dirfd, "index.json", &ist, AT_SYMLINK_NOFOLLOW) == 0 &&
		   ist.st_ino == l->own_index_ino;
	if (!empty && !own)
		return -1;
	int bfd = openat(l->dirfd, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_closedir DIR *blobs = bfd >= 0 ? fdopendir(bfd) : NULL;
	if (!blobs && bfd >= 0)
		close(bfd);
	for (struct dirent *alg; blobs && (alg = readdir(blobs));) {
		if (alg->d_name[0] == '.') {
			if (oci_str_has_prefix(alg->d_name, ".tmp-"))
				unlinkat(bfd, alg->d_name, 0);
			continue;
		}
		int afd = openat(bfd, alg->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		cleanup_closedir DIR *a = afd >= 0 ? fdopendir(afd) : NULL;
		if (!a && afd >= 0)
			close(afd);
		for (struct dirent *b; a && (b = readdir(a));) {
			struct stat st;
			size_t len = strlen(b->d_name);
			bool blob = len >= 32 && strspn(b->d_name, "0123456789abcdef") == len;
			if ((blob || oci_str_has_prefix(b->d_name, ".partial-") ||
			     oci_str_has_prefix(b->d_name, ".tmp-")) &&
			    fstatat(afd, b->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode))
				unlinkat(afd, b->d_name, 0);
		}
		unlinkat(bfd, alg->d_name, AT_REMOVEDIR);
	}
	if (blobs)
		unlinkat(l->dirfd, "blobs", AT_REMOVEDIR);
	unlinkat(l->dirfd, "index.json", 0);
	if (l->holdfd >= 0)
		unlinkat(l->dirfd, HOLD_FILE, 0);
	unlinkat(l->dirfd, "oci-layout", 0);
	return 0;
}

void oci_layout_discard(oci_layout *l)
{
	if ((!l->made && !l->made_files) || l->usefd < 0 || l->dirfd < 0)
		return;
	/* another writer holds the layout too: it is theirs as well now */
	if (!hold_alone(l)) {
		log_debug("layout '%s': in use by another process: kept", l->path);
		return;
	}
	if (!l->made) {
		/* a directory that was there (the user's): only the layout this open made in
		 * it, oci-layout (the hold) last, and nothing once another pull tagged an image */
		if (remove_pull_files(l) < 0)
			log_debug("layout '%s': holds an image now: kept", l->path);
		return;
	}
	cleanup_free char *dir = oci_strdup(l->path, NULL);
	if (!dir)
		return;
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	/* the layout's directory (the one this open made, not one put under its name since)
	 * with only what a pull puts there: a file someone else put there meanwhile keeps it;
	 * then the parents it made while they are empty (a parent another pull put its layout
	 * in stays) */
	struct stat st;
	char *slash = strrchr(dir, '/');
	const char *name = slash ? slash + 1 : dir;
	const char *parent = !slash ? "." : slash == dir ? "/" : dir;
	if (slash && slash != dir)
		*slash = '\0';
	cleanup_close int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_dev != l->made_dev || st.st_ino != l->made_ino || remove_pull_files(l) < 0 ||
	    unlinkat(pfd, name, AT_REMOVEDIR) < 0) {
		log_debug("layout '%s': holds what this pull did not put there: kept", l->path);
		return;
	}
	if (slash && slash != dir)
		oci_rmdir_made(dir, l->made);
}

void oci_layout_release(oci_layout *l)
{
	/* the last writer out removes the writers' hold file (see hold_take for one taking it
	 * meanwhile) */
	struct stat st, now;
	if (l->holdfd >= 0 && l->dirfd >= 0 && flock(l->holdfd, LOCK_EX | LOCK_NB) == 0 &&
	    fstat(l->holdfd, &st) == 0 &&
	    fstatat(l->dirfd, HOLD_FILE, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_dev == st.st_dev && now.st_ino == st.st_ino)
		unlinkat(l->dirfd, HOLD_FILE, 0);
	if (l->holdfd >= 0)
		close(l->holdfd);
	l->holdfd = -1;
	if (l->dirfd >= 0)
		close(l->dirfd);
	if (l->usefd >= 0)
		close(l->usefd);
	l->dirfd = l->usefd = -1;
	free(l->made);
	l->made = NULL;
	free(l->own_index);
	l->own_index = NULL;
	free(l->path);
	l->path = NULL;
}

/* dirfd/name, a directory of the layout, made (with create) and opened without following a
 * symlink. what names it in messages. */
static int layout_subdir(oci_layout *l, int dirfd, const char *name, const char *what, bool create,
			 oci_error *err)
{
	if (create && mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return oci_err_errno(err, errno, "cannot create '%s/%s'", l->path, what);
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ELOOP || errno == ENOTDIR)
		return oci_err(err, OCI_E_UNSAFE,
			       "layout '%s': '%s' is not a directory (a symlink?): refusing it",
			       l->path, what);
	return oci_err_errno(err, errno, "cannot open '%s/%s'", l->path, what);
}

int oci_layout_blob_dir(oci_layout *l, int alg, bool create, oci_error *err)
{
	char what[32];
	snprintf(what, sizeof(what), "blobs/%s", oci_digest_alg_name(alg));
	cleanup_close int blobs = layout_subdir(l, l->dirfd, "blobs", "blobs", create, err);
	if (blobs < 0)
		return -1;
	return layout_subdir(l, blobs, what + strlen("blobs/"), what, create, err);
}

bool oci_layout_has_blob(oci_layout *l, const oci_digest *d, int64_t size)
{
	oci_error e = OCI_ERROR_INIT;
	struct stat st;
	oci_digest got;
	uint64_t n = 0;
	cleanup_close int dfd = oci_layout_blob_dir(l, d->alg, false, &e);
	cleanup_close int fd = dfd < 0 ? -1 : oci_open_regular_at(dfd, d->hex, O_NOFOLLOW, &e);
	if (fd < 0 || fstat(fd, &st) < 0 || (size >= 0 && st.st_size != size))
		return false;
	/* hashed, as a cached blob is at each use: a name and a size prove nothing */
	if (oci_digest_fd(d->alg, fd, &got, &n, &e) < 0)
		return false;
	return oci_digest_equal(&got, d) && (size < 0 || n == (uint64_t)size);
}

int oci_layout_open_blob_at(int dirfd, const oci_digest *d, oci_error *err)
{
	char what[32];
	snprintf(what, sizeof(what), "blobs/%s", oci_digest_alg_name(d->alg));
	cleanup_close int blobs = oci_open_dir_at(dirfd, "blobs", "blobs", O_PATH, err);
	cleanup_close int alg =
	    blobs < 0 ? blobs : oci_open_dir_at(blobs, what + strlen("blobs/"), what, O_PATH, err);
	if (alg == -2)
		return -1;
	if (alg < 0)
		return oci_err_errno(err, errno, "cannot open '%s'", blobs < 0 ? "blobs" : what);
	return oci_open_regular_at(alg, d->hex, O_NOFOLLOW, err);
}

int oci_layout_open_blob(oci_layout *l, const oci_digest *d, oci_error *err)
{
	char ds[OCI_DIGEST_STR_MAX];
	int fd = oci_layout_open_blob_at(l->dirfd, d, err);
	if (fd < 0)
		return oci_err_prefix(err, "blob %s", oci_digest_str(d, ds));
	return fd;
}

int oci_layout_read_blob(oci_layout *l, const oci_digest *d, size_t max, char **out, size_t *len,
			 oci_error *err)
{
	char ds[OCI_DIGEST_STR_MAX];
	cleanup_close int fd = oci_layout_open_blob(l, d, err);
	cleanup_free char *buf = NULL;
	size_t n;
	oci_digest got;
	if (fd < 0)
		return -1;
	if (oci_read_fd(fd, max, &buf, &n, err) < 0)
		return oci_err_prefix(err, "blob %s", oci_digest_str(d, ds));
	if (oci_digest_buffer(d->alg, buf, n, &got, err) < 0)
		return -1;
	if (oci_digest_verify(d, -1, &got, n, oci_digest_str(d, ds), err) < 0)
		return -1;
	*out = steal_pointer(&buf);
	if (len)
		*len = n;
	return 0;
}

/* The temporary file's name in blobs/ */
#define TMP_FILE(w) ((w)->tmpname + strlen("blobs/"))

int oci_blob_writer_start(oci_layout *l, const oci_digest *want, int64_t want_size,
			  oci_blob_writer *w, oci_error *err)
{
	static unsigned counter;
	memset(w, 0, sizeof(*w));
	w->fd = w->blobsfd = w->dirfd = -1;
	w->layout = l;
	w->want_size = want_size;
	if (want)
		w->want = *want;
	int alg = want ? want->alg : OCI_DIGEST_SHA256;
	w->blobsfd = layout_subdir(l, l->dirfd, "blobs", "blobs", true, err);
	if (w->blobsfd < 0 || (w->dirfd = oci_layout_blob_dir(l, alg, true, err)) < 0) {
		oci_blob_writer_abort(w);
		return -1;
	}
	snprintf(w->tmpname, sizeof(w->tmpname), "blobs/.tmp-%d-%u", (int)getpid(),
		 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	w->fd = openat(w->blobsfd, TMP_FILE(w), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		oci_err_errno(err, errno, "cannot create '%s/%s'", l->path, w->tmpname);
		w->tmpname[0] = '\0';
		oci_blob_writer_abort(w);
		return -1;
	}
	w->hasher = oci_hasher_new(alg, err);
	if (!w->hasher) {
		oci_blob_writer_abort(w);
		return -1;
	}
	return 0;
}

int oci_blob_writer_write(oci_blob_writer *w, const void *data, size_t len, oci_error *err)
{
	if (w->want_size >= 0 && oci_hasher_bytes(w->hasher) + len > (uint64_t)w->want_size) {
		char ds[OCI_DIGEST_STR_MAX];
		return oci_err(err, OCI_E_DIGEST, "blob %s: more data than the %lld bytes expected",
			       w->want.alg ? oci_digest_str(&w->want, ds) : "(new)",
			       (long long)w->want_size);
	}
	if (oci_hasher_update(w->hasher, data, len, err) < 0)
		return -1;
	if (oci_write_all(w->fd, data, len, err) < 0)
		return oci_err_prefix(err, "cannot write '%s/%s'", w->layout->path, w->tmpname);
	return 0;
}

int oci_blob_writer_commit(oci_blob_writer *w, oci_error *err)
{
	char ds[OCI_DIGEST_STR_MAX];
	oci_digest got;
	uint64_t size = oci_hasher_bytes(w->hasher);
	if (oci_hasher_final(w->hasher, &got, err) < 0)
		goto fail;
	if (w->want.alg) {
		if (oci_digest_verify(&w->want, w->want_size, &got, size,
				      oci_digest_str(&w->want, ds), err) < 0)
			goto fail;
	} else {
		w->want = got;
	}
	if (fsync(w->fd) < 0) {
		oci_err_errno(err, errno, "cannot write '%s/%s'", w->layout->path, w->tmpname);
		goto fail;
	}
	close(w->fd);
	w->fd = -1;
	if (renameat(w->blobsfd, TMP_FILE(w), w->dirfd, got.hex) < 0) {
		oci_err_errno(err, errno, "cannot store blob %s", oci_digest_str(&got, ds));
		goto fail;
	}
	w->tmpname[0] = '\0';
	oci_blob_writer_abort(w); /* nothing left to remove: closes and frees */
	return 0;
fail:
	oci_blob_writer_abort(w);
	return -1;
}

void oci_blob_writer_abort(oci_blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmpname[0] && w->blobsfd >= 0)
		unlinkat(w->blobsfd, TMP_FILE(w), 0);
	w->tmpname[0] = '\0';
	if (w->blobsfd >= 0)
		close(w->blobsfd);
	if (w->dirfd >= 0)
		close(w->dirfd);
	w->blobsfd = w->dirfd = -1;
	oci_hasher_free(w->hasher);
	w->hasher = NULL;
}

int oci_layout_put_blob(oci_layout *l, const void *data, size_t len, oci_digest *out,
			oci_error *err)
{
	oci_blob_writer w;
	oci_digest d;
	if (oci_digest_buffer(OCI_DIGEST_SHA256, data, len, &d, err) < 0)
		return -1;
	if (out)
		*out = d;
	if (oci_layout_has_blob(l, &d, (int64_t)len))
		return 0;
	if (oci_blob_writer_start(l, &d, (int64_t)len, &w, err) < 0 ||
	    oci_blob_writer_write(&w, data, len, err) < 0) {
		oci_blob_writer_abort(&w);
		return -1;
	}
	return oci_blob_writer_commit(&w, err);
}

json_t *oci_layout_read_index(oci_layout *l, oci_error *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	json_t *j =
	    oci_layout_read_file(l->dirfd, "index.json", OCI_JSON_MAX_SIZE, &buf, &len, err) < 0
		? NULL
		: oci_json_loadb(buf, len, OCI_JSON_MAX_SIZE, OCI_JSON_MAX_DEPTH, "index.json",
				 err);
	if (!j) {
		oci_err_prefix(err, "layout '%s'", l->path);
		return NULL;
	}
	if (!json_is_object(j) || !json_is_array(json_object_get(j, "manifests"))) {
		json_decref(j);
		oci_err(err, OCI_E_INVALID, "layout '%s': index.json: manifests: expected an array",
			l->path);
		return NULL;
	}
	return j;
}

static const char *ref_name(json_t *entry)
{
	json_t *a = json_object_get(entry, "annotations");
	json_t *n = a ? json_object_get(a, OCI_ANNOT_REF_NAME) : NULL;
	return n && json_is_string(n) ? json_string_value(n) : NULL;
}

/* How long add_manifest waits for another writer of index.json (a read, a change, a write). */
#define INDEX_LOCK_WAIT_MS 10000

/* What add_manifest locks (oci_lockfile_take): a file of the layout that only its writers can
 * open, there only while one holds it (OCI tools read oci-layout, index.json and blobs/
 * alone). Pulls of several tags into one layout at once each wrote back the index they had
 * read, and all but one tag were lost; a lock on the layout directory itself could be held
 * by anyone who could read the layout. */
#define INDEX_LOCK ".index.json.lock"

static int add_manifest_locked(oci_layout *l, const oci_descriptor *d, const char *name,
			       oci_error *err)
{
	cleanup_json json_t *idx = oci_layout_read_index(l, err);
	if (!idx)
		return -1;
	json_t *arr = json_object_get(idx, "manifests");
	char want[OCI_DIGEST_STR_MAX];
	oci_digest_str(&d->digest, want);
	/* One entry per name: replace an older image under this tag. Without a name, do not
	 * add a second entry for the same digest. */
	for (size_t i = json_array_size(arr); i-- > 0;) {
		json_t *e = json_array_get(arr, i);
		const char *n = ref_name(e);
		json_t *dg = json_object_get(e, "digest");
		if ((name && n && !strcmp(n, name)) || (!name && !n && dg && json_is_string(dg) &&
							!strcmp(json_string_value(dg), want)))
			json_array_remove(arr, i);
	}
	json_t *e = oci_descriptor_to_json(d, err);
	if (!e)
		return -1;
	if (name) {
		json_t *ann = json_object_get(e, "annotations");
		if (!ann) {
			ann = json_object();
			json_object_set_new(e, "annotations", ann);
		} else {
			ann = json_deep_copy(ann);
			json_object_set_new(e, "annotations", ann);
		}
		json_object_set_new(ann, OCI_ANNOT_REF_NAME, json_string(name));
	}
	json_array_append_new(arr, e);
	if (!json_object_get(idx, "schemaVersion"))
		json_object_set_new(idx, "schemaVersion", json_integer(2));
	cleanup_free char *s = oci_json_dump_pretty(idx, err);
	if (!s)
		return -1;
	if (oci_write_file_atomic(l->dirfd, "index.json", s, strlen(s), 0644, err) < 0)
		return -1;
	/* the only image in it is ours: a later failure of this pull may take it back */
	struct stat st;
	free(l->own_index);
	l->own_index = NULL;
	if (json_array_size(arr) == 1 &&
	    fstatat(l->dirfd, "index.json", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		l->own_index = s;
		l->own_index_ino = st.st_ino;
		s = NULL;
	}
	return 0;
}

int oci_layout_add_manifest(oci_layout *l, const oci_descriptor *d, const char *name,
			    oci_error *err)
{
	cleanup_lockfile oci_lockfile lock = OCI_LOCKFILE_INIT;
	if (oci_lockfile_take(&lock, l->dirfd, INDEX_LOCK, INDEX_LOCK_WAIT_MS, l->path, err) < 0)
		return oci_err_prefix(err, "layout");
	return add_manifest_locked(l, d, name, err);
}

int oci_layout_resolve(oci_layout *l, const char *name, oci_descriptor *out, json_t **index_doc,
		       oci_error *err)
{
	json_t *idx = oci_layout_read_index(l, err);
	json_t *arr, *e, *found = NULL;
	size_t i;
	oci_digest want;
	bool by_digest = name && name[0] == '@';
	if (!idx)
		return -1;
	if (by_digest && oci_digest_parse(name + 1, &want, err) < 0) {
		json_decref(idx);
		return -1;
	}
	arr = json_object_get(idx, "manifests");
	json_array_foreach(arr, i, e)
	{
		const char *n = ref_name(e);
		json_t *dg = json_object_get(e, "digest");
		char ws[OCI_DIGEST_STR_MAX];
		if (!name) {
			if (found) {
				json_decref(idx);
				return oci_err(err, OCI_E_INVALID,
					       "layout '%s' holds several images: name one with "
					       ":TAG or @DIGEST",
					       l->path);
			}
			found = e;
		} else if (by_digest) {
			if (dg && json_is_string(dg) &&
			    !strcmp(json_string_value(dg), oci_digest_str(&want, ws)))
				found = e;
		} else if (n && !strcmp(n, name)) {
			found = e;
		}
	}
	if (!found) {
		json_decref(idx);
		if (!name)
			return oci_err(err, OCI_E_NOTFOUND, "layout '%s' holds no image", l->path);
		return oci_err(err, OCI_E_NOTFOUND, "layout '%s': no image named '%s'", l->path,
			       name);
	}
	if (oci_descriptor_parse(found, "index.json", out, err) < 0) {
		json_decref(idx);
		return oci_err_prefix(err, "layout '%s'", l->path);
	}
	if (index_doc)
		*index_doc = idx;
	else
		json_decref(idx);
	/* Without the index document, borrowed annotations must not dangle. */
	if (!index_doc) {
		out->annotations = NULL;
		out->urls = NULL;
	}
	return 0;
}
