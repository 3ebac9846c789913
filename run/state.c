/* Container state on disk: <root>/<id>/state.json, written atomically, with the directory
 * flock()ed by whoever changes it; readers (state, list) never need the lock because a rename
 * replaces the whole file. */
#include "run/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/json.h"
#include "common/spec.h"
#include "common/util.h"

void oci_state_release(oci_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->keyring);
	if (st->annotations)
		json_decref(st->annotations);
	if (st->hooks)
		json_decref(st->hooks);
	oci_cgroup_free(st->cgroups);
	memset(st, 0, sizeof(*st));
}

#define ID_RULE "use 1 to 1024 letters, digits, '_', '+', '-' or '.', not starting with '.'"

int oci_state_check_id(const char *id, oci_error *err)
{
	size_t n = strlen(id);
	if (n == 0 || n > 1024 || id[0] == '.')
		return oci_err(err, OCI_E_INVALID, "invalid container id '%s': %s", id, ID_RULE);
	for (const char *p = id; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			return oci_err(err, OCI_E_INVALID, "invalid container id '%s': %s", id,
				       ID_RULE);
	}
	return 0;
}

int oci_state_keyring_name(const char *id, char *buf, size_t len, oci_error *err)
{
	unsigned char r[16];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return oci_err_errno(err, errno, "cannot name the session keyring");
	int n = snprintf(buf, len, "_ses.%s.", id);
	if (n < 0 || (size_t)n + 2 * sizeof(r) >= len)
		return oci_err(err, OCI_E_INVALID, "container id too long for a keyring name");
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(buf + n + 2 * i, 3, "%02x", r[i]);
	return 0;
}

int oci_state_open_root(const char *root, bool create, oci_error *err)
{
	int fd = oci_open_dir_named(root, O_RDONLY, err);
	if (fd < 0 && errno == ENOENT && create) {
		if (oci_mkdir_p(root, 0700, err) < 0)
			return oci_err_prefix(err, "state root");
		fd = oci_open_dir_named(root, O_RDONLY, err);
	}
	if (fd == -2)
		return oci_err_prefix(err, "state root");
	if (fd < 0) {
		if (errno == ENOENT)
			return oci_err(err, OCI_E_NOTFOUND, "state root '%s' does not exist", root);
		if (errno == EACCES && geteuid() != 0 && !strncmp(root, "/run/oci-run", 12))
			return oci_err_errno(
			    err, errno,
			    "cannot open state root '%s' (set XDG_RUNTIME_DIR or --root)", root);
		return oci_err_errno(err, errno, "cannot open state root '%s'", root);
	}
	return fd;
}

int oci_state_create_dir(int rootfd, const char *id, oci_error *err)
{
	/* 0700: another user must not even read a container's state (its bundle, its pid). */
	if (mkdirat(rootfd, id, 0700) < 0) {
		if (errno == EEXIST)
			return oci_err(err, OCI_E_EXISTS, "container with id '%s' already exists",
				       id);
		return oci_err_errno(err, errno, "cannot create state directory for '%s'", id);
	}
	int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return oci_err_errno(err, errno, "cannot open state directory for '%s'", id);
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		close(fd);
		return oci_err_errno(err, e, "cannot lock state directory for '%s'", id);
	}
	return fd;
}

int oci_state_check_owner(int rootfd, int dirfd, const char *id, oci_error *err)
{
	struct stat sb;
	int r = dirfd >= 0 ? fstat(dirfd, &sb) : fstatat(rootfd, id, &sb, AT_SYMLINK_NOFOLLOW);
	if (r < 0) {
		if (errno == ENOENT)
			return oci_err(err, OCI_E_NOTFOUND, "container '%s' does not exist", id);
		return oci_err_errno(err, errno, "container '%s'", id);
	}
	if (!S_ISDIR(sb.st_mode))
		return oci_err(err, OCI_E_INVALID, "container '%s': state is not a directory", id);
	if (sb.st_uid != geteuid())
		return oci_err(err, OCI_E_AUTH,
			       "container '%s' belongs to uid %u, not to uid %u: permission denied",
			       id, (unsigned)sb.st_uid, (unsigned)geteuid());
	return 0;
}

int oci_state_open_dir(int rootfd, const char *id, bool exclusive, oci_error *err)
{
	int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == EACCES && oci_state_check_owner(rootfd, -1, id, err) < 0)
			return -1;
		if (e == ENOENT)
			return oci_err(err, OCI_E_NOTFOUND, "container '%s' does not exist", id);
		return oci_err_errno(err, e, "cannot open state directory for '%s'", id);
	}
	if (oci_state_check_owner(rootfd, fd, id, err) < 0) {
		close(fd);
		return -1;
	}
	if (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		int e = errno;
		close(fd);
		return oci_err_errno(err, e, "cannot lock state directory for '%s'", id);
	}
	return fd;
}

#define TRASH ".trash"

/* The name id's directory gets in the trash when this process moves it there. */
static int trash_name(char *buf, size_t len, const char *id)
{
	return snprintf(buf, len, "%s.%d", id, (int)getpid());
}

/* <root>/.trash, made when missing: 0700 and ours, or -1 (then nothing is moved there). */
static int open_trash(int rootfd, bool create)
{
	if (create && mkdirat(rootfd, TRASH, 0700) < 0 && errno != EEXIST)
		return -1;
	int fd = openat(rootfd, TRASH, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	if (fd >= 0 && (fstat(fd, &sb) < 0 || sb.st_uid != geteuid() || (sb.st_mode & 077))) {
		close(fd);
		return -1;
	}
	return fd;
}

int oci_state_remove_dir(int rootfd, const char *id, oci_error *err)
{
	cleanup_close int dfd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return oci_remove_tree_at(rootfd, id, err);
	/* its entries, each whole (a directory of a checkpoint's files too) */
	cleanup_closedir DIR *d = fdopendir(dup(dfd));
	if (!d)
		return oci_remove_tree_at(rootfd, id, err);
	for (struct dirent *de; (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (oci_remove_tree_at(dfd, de->d_name, err) < 0)
			return -1;
	}
	cleanup_close int tfd = open_trash(rootfd, true);
	char name[1100];
	int n = trash_name(name, sizeof(name), id);
	if (tfd >= 0 && n > 0 && (size_t)n < sizeof(name) &&
	    renameat2(rootfd, id, tfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (unlinkat(rootfd, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return oci_err_errno(err, errno, "cannot remove '%s'", id);
	return 0;
}

void oci_state_empty_trash(int rootfd, const char *id)
{
	cleanup_close int tfd = open_trash(rootfd, false);
	if (tfd < 0)
		return;
	char own[1100];
	trash_name(own, sizeof(own), id);
	/* The names first, then the removals: what is added meanwhile waits for the next
	 * call, and so does what this process moved there (id's own, at the end of a run that
	 * ended before this thread got to it: its discard is what the thread is there to keep
	 * off the run's exit). */
	char buf[8192];
	long len = syscall(SYS_getdents64, tfd, buf, sizeof(buf));
	oci_error e = OCI_ERROR_INIT;
	for (long off = 0; off < len;) {
		struct linux_dirent64 {
			uint64_t d_ino;
			int64_t d_off;
			unsigned short d_reclen;
			unsigned char d_type;
			char d_name[];
		} *de = (void *)(buf + off);
		off += de->d_reclen;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, own))
			continue;
		if (unlinkat(tfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
			oci_remove_tree_at(tfd, de->d_name, &e);
			oci_err_clear(&e);
		}
	}
}

int oci_state_write(int dirfd, const oci_state *st, oci_error *err)
{
	cleanup_json json_t *j = json_pack(
	    "{s:s,s:I,s:I,s:s,s:s,s:s,s:I,s:b}", "id", st->id, "pid", (json_int_t)st->pid,
	    "pid_start", (json_int_t)st->pid_start, "bundle", st->bundle, "rootfs", st->rootfs,
	    "created", st->created, "owner", (json_int_t)st->owner, "own_pidns", st->own_pidns);
	if (!j)
		return oci_err(err, OCI_E_INTERNAL, "cannot build state");
	if (st->pid_ino && json_object_set_new(j, "pid_ino", json_integer((json_int_t)st->pid_ino)))
		return oci_err(err, OCI_E_INTERNAL, "cannot build state");
	if (st->keyring && json_object_set_new(j, "keyring", json_string(st->keyring)))
		return oci_err(err, OCI_E_INTERNAL, "cannot build state");
	if (st->annotations)
		json_object_set(j, "annotations", st->annotations);
	if (st->hooks)
		json_object_set(j, "hooks", st->hooks);
	if (st->cgroups) {
		json_t *c = oci_state_cgroups_to_json(st->cgroups);
		if (!c)
			return oci_err(err, OCI_E_INTERNAL, "cannot build state");
		json_object_set_new(j, "cgroups", c);
	}
	cleanup_free char *s = json_dumps(j, JSON_COMPACT);
	if (!s)
		return oci_err(err, OCI_E_INTERNAL, "cannot serialise state");
	return oci_write_file_replace(dirfd, OCI_STATE_FILE, s, strlen(s), 0600, err);
}

json_t *oci_state_cgroups_to_json(const oci_cgroup *cg)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < cg->n; i++)
		if (json_array_append_new(a, cg->dirs[i] ? json_string(cg->dirs[i]) : json_null()) <
		    0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

oci_cgroup *oci_state_cgroups_from_json(json_t *j, oci_error *err)
{
	if (!json_is_array(j))
		return oci_err(err, OCI_E_INVALID, "not a list of cgroups"), NULL;
	size_t n = json_array_size(j);
	cleanup_free const char **dirs = oci_calloc(n + 1, sizeof(char *), err);
	if (!dirs)
		return NULL;
	for (size_t i = 0; i < n; i++)
		dirs[i] = json_string_value(json_array_get(j, i));
	return oci_cgroup_from_dirs(dirs, n, err);
}

int oci_state_write_cgroups(int dirfd, const oci_cgroup *cg, oci_error *err)
{
	cleanup_json json_t *j = oci_state_cgroups_to_json(cg);
	cleanup_free char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!s)
		return oci_err(err, OCI_E_INTERNAL, "cannot serialise the cgroups");
	return oci_write_file_replace(dirfd, OCI_CGROUPS_FILE, s, strlen(s), 0600, err);
}

oci_cgroup *oci_state_read_cgroups(int dirfd, oci_error *err)
{
	cleanup_json json_t *j = oci_json_load_file_at(dirfd, OCI_CGROUPS_FILE, 1 << 20, err);
	if (!j)
		return NULL;
	return oci_state_cgroups_from_json(j, err);
}

static char *dup_str(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	return strdup(s ? s : "");
}

int oci_state_read(int dirfd, oci_state *st, oci_error *err)
{
	memset(st, 0, sizeof(*st));
	cleanup_json json_t *j =
	    oci_json_load_file_at(dirfd, OCI_STATE_FILE, OCI_JSON_MAX_SIZE, err);
	if (!j)
		return -1;
	st->id = dup_str(j, "id");
	st->bundle = dup_str(j, "bundle");
	st->rootfs = dup_str(j, "rootfs");
	st->created = dup_str(j, "created");
	if (!st->id || !st->bundle || !st->rootfs || !st->created) {
		oci_state_release(st);
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	}
	st->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	st->pid_start = (uint64_t)json_integer_value(json_object_get(j, "pid_start"));
	st->pid_ino = (uint64_t)json_integer_value(json_object_get(j, "pid_ino"));
	st->owner = (uid_t)json_integer_value(json_object_get(j, "owner"));
	st->own_pidns = json_is_true(json_object_get(j, "own_pidns"));
	const char *ring = json_string_value(json_object_get(j, "keyring"));
	if (ring && !(st->keyring = strdup(ring))) {
		oci_state_release(st);
		return oci_err(err, OCI_E_INTERNAL, "out of memory");
	}
	json_t *a = json_object_get(j, "annotations");
	if (json_is_object(a))
		st->annotations = json_incref(a);
	json_t *h = json_object_get(j, "hooks");
	if (json_is_object(h))
		st->hooks = json_incref(h);
	json_t *c = json_object_get(j, "cgroups");
	if (json_is_array(c) && !(st->cgroups = oci_state_cgroups_from_json(c, err))) {
		oci_state_release(st);
		return -1;
	}
	return 0;
}

int oci_state_load(const char *root, const char *id, bool exclusive, int *rootfd, oci_state *st,
		   oci_error *err)
{
	if (oci_state_check_id(id, err) < 0)
		return -1;
	cleanup_close int rfd = oci_state_open_root(root, false, err);
	if (rfd < 0) {
		if (err->code == OCI_E_NOTFOUND)
			return oci_err(err, OCI_E_NOTFOUND, "container '%s' does not exist", id);
		return -1;
	}
	cleanup_close int dirfd = oci_state_open_dir(rfd, id, exclusive, err);
	if (dirfd < 0)
		return -1;
	if (oci_state_read(dirfd, st, err) < 0)
		return oci_err_prefix(err, "container '%s'", id);
	if (rootfd)
		*rootfd = steal_fd(&rfd);
	return steal_fd(&dirfd);
}

uint64_t oci_proc_stat_start(const char *stat, bool *zombie)
{
	if (zombie)
		*zombie = false;
	/* The command name may contain spaces, parentheses and newlines: parse after the last
	 * ')', which no later field has. */
	const char *p = strrchr(stat, ')');
	if (!p || p[1] != ' ' || !p[2])
		return 0;
	p += 2;
	char state = *p;
	/* p is at field 3; start time is field 22. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	if (*p < '0' || *p > '9')
		return 0;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return 0;
	if (zombie)
		*zombie = state == 'Z' || state == 'X';
	return v;
}

uint64_t oci_proc_start_time(pid_t pid, bool *zombie)
{
	char path[64], buf[1024];
	if (zombie)
		*zombie = false;
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return oci_proc_stat_start(buf, zombie);
}

#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC 0x50494446
#endif

uint64_t oci_pidfd_ino(int pidfd)
{
	struct statfs sf;
	struct stat sb;
	if (pidfd < 0 || fstatfs(pidfd, &sf) < 0 || sf.f_type != PID_FS_MAGIC ||
	    fstat(pidfd, &sb) < 0)
		return 0;
	return (uint64_t)sb.st_ino;
}

uint64_t oci_proc_ino(pid_t pid)
{
	if (pid <= 0)
		return 0;
	cleanup_close int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	return oci_pidfd_ino(fd);
}

/* oci_proc_is, with the pidfd it opened left in *pidfd (-1 without pidfds) when it is. */
static bool proc_is(pid_t pid, uint64_t start, uint64_t ino, bool *zombie, int *pidfd)
{
	*pidfd = -1;
	if (zombie)
		*zombie = false;
	if (pid <= 0)
		return false;
	cleanup_close int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && errno != ENOSYS)
		return false; /* ESRCH: gone */
	/* The pidfd names whatever process had pid when it was opened. If pid is the one that
	 * started at start now, that process existed then too and held the pid (a pid is not
	 * reused while its process exists, zombie included): the pidfd names it. The start
	 * time counts clock ticks, so a process that reused the pid within the tick the
	 * recorded one started in passes it: the pidfd's inode, recorded at create, tells them
	 * apart where pidfs gives one (a state without it keeps the start time alone). */
	uint64_t s = oci_proc_start_time(pid, zombie);
	if (s == 0 || s != start || (ino && oci_pidfd_ino(fd) != ino))
		return false;
	*pidfd = steal_fd(&fd);
	return true;
}

bool oci_proc_is(pid_t pid, uint64_t start, uint64_t ino, bool *zombie)
{
	int fd;
	bool is = proc_is(pid, start, ino, zombie, &fd);
	if (fd >= 0)
		close(fd);
	return is;
}

bool oci_proc_hold(pid_t pid, uint64_t start, uint64_t ino, int *pidfd)
{
	return proc_is(pid, start, ino, NULL, pidfd);
}

int oci_proc_signal(pid_t pid, uint64_t start, uint64_t ino, int sig)
{
	cleanup_close int pfd = -1;
	if (!proc_is(pid, start, ino, NULL, &pfd)) {
		errno = ESRCH;
		return -1;
	}
	if (pfd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0);
	return kill(pid, sig);
}

/* Hold pid: 1, 0 when it is gone (or pid <= 0: kill(2) would take 0 and -1 for groups of
 * processes), 2 when no file is left for its pidfd, -1 out of memory. */
static int pidfds_open(oci_pidfds *s, pid_t pid, oci_error *err)
{
	if (pid <= 0)
		return 0;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE))
		return 2;
	if (fd < 0 && errno != ENOSYS)
		return 0; /* gone */
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		pid_t *np = realloc(s->pid, cap * sizeof(*np));
		if (np)
			s->pid = np;
		int *nf = np ? realloc(s->fd, cap * sizeof(*nf)) : NULL;
		if (!nf) {
			if (fd >= 0)
				close(fd);
			return oci_err(err, OCI_E_INTERNAL, "out of memory");
		}
		s->fd = nf;
		s->cap = cap;
	}
	s->pid[s->n] = pid;
	s->fd[s->n++] = fd;
	return 1;
}

int oci_pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

typedef struct pid_list {
	const pid_t *pid; /* sorted; NULL when n is 0 */
	size_t n;
} pid_list;

static bool listed_in(void *ctx, pid_t pid, int pidfd)
{
	const pid_list *l = ctx;
	return l->n > 0 && bsearch(&pid, l->pid, l->n, sizeof(pid_t), oci_pid_cmp);
}

void oci_pidfds_keep_if(oci_pidfds *s, bool (*keep)(void *ctx, pid_t pid, int pidfd), void *ctx)
{
	size_t kept = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (keep(ctx, s->pid[i], s->fd[i])) {
			s->pid[kept] = s->pid[i];
			s->fd[kept++] = s->fd[i];
		} else if (s->fd[i] >= 0) {
			close(s->fd[i]);
		}
	}
	s->n = kept;
}

void oci_pidfds_keep_listed(oci_pidfds *s, pid_t *listed, size_t n_listed)
{
	if (n_listed > 0)
		qsort(listed, n_listed, sizeof(*listed), oci_pid_cmp);
	/* no pointer arithmetic on listed: it is NULL when the read listed nothing */
	pid_list l = {.pid = listed, .n = n_listed};
	oci_pidfds_keep_if(s, listed_in, &l);
}

static void pidfds_release(oci_pidfds *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	free(s->pid);
	free(s->fd);
	memset(s, 0, sizeof(*s));
}

/* Whether n more files can be opened now. */
static bool files_left(int n)
{
	int fds[2], got = 0;
	while (got < n && got < 2 && (fds[got] = open("/", O_PATH | O_CLOEXEC)) >= 0)
		got++;
	for (int k = 0; k < got; k++)
		close(fds[k]);
	return got == n;
}

long oci_pidfds_signal_all(const pid_t *pids, size_t n, int sig,
			   int (*confirm)(void *ctx, oci_pidfds *batch, oci_error *err), void *ctx,
			   oci_error *err)
{
	long sent = 0;
	for (size_t at = 0; at < n;) {
		oci_pidfds b = {0};
		size_t i = at;
		int r = 0;
		for (; i < n && b.n < OCI_PIDFDS_BATCH; i++)
			if ((r = pidfds_open(&b, pids[i], err)) < 0 || r == 2)
				break;
		/* a batch that took the last files without an EMFILE (it ended first) leaves the
		 * reads none either: they would list nothing, and the batch go unsignalled */
		if (r >= 0 && r != 2 && b.n > 0 && !files_left(2))
			r = 2;
		if (r == 2) {
			/* the confirming reads need a file or two: the last ones held go to the
			 * next batch, until two are free */
			for (int give = 0; give < 2 && b.n > 0 && !files_left(2); give++) {
				pid_t p = b.pid[--b.n];
				if (b.fd[b.n] >= 0)
					close(b.fd[b.n]);
				while (i > at && pids[i - 1] != p)
					i--;
				if (i > at)
					i--;
			}
			if (i == at)
				r = oci_err_errno(err, EMFILE,
						  "cannot signal the container's processes");
		}
		if (r >= 0 && b.n > 0 && confirm(ctx, &b, err) < 0)
			r = -1;
		if (r >= 0)
			for (size_t k = 0; k < b.n; k++)
				sent += (b.fd[k] >= 0
					     ? syscall(SYS_pidfd_send_signal, b.fd[k], sig, NULL, 0)
					     : kill(b.pid[k], sig)) == 0;
		pidfds_release(&b);
		if (r < 0)
			return -1;
		at = i;
	}
	return sent;
}

int oci_state_status(int dirfd, const oci_state *st)
{
	bool zombie;
	if (!oci_proc_is(st->pid, st->pid_start, st->pid_ino, &zombie) || zombie)
		return OCI_STATUS_STOPPED;
	/* A created container may be paused too (runc's rule): frozen comes first. */
	if (st->cgroups && oci_cgroup_is_frozen(st->cgroups))
		return OCI_STATUS_PAUSED;
	if (faccessat(dirfd, OCI_EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return OCI_STATUS_CREATED;
	return OCI_STATUS_RUNNING;
}

const char *oci_status_name(int status)
{
	switch (status) {
	case OCI_STATUS_CREATING:
		return "creating";
	case OCI_STATUS_CREATED:
		return "created";
	case OCI_STATUS_RUNNING:
		return "running";
	case OCI_STATUS_PAUSED:
		return "paused";
	default:
		return "stopped";
	}
}

json_t *oci_state_to_json(const oci_state *st, int status, bool for_list, const char *owner_name)
{
	json_t *j =
	    json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s}", "ociVersion", OCI_RUNTIME_SPEC_VERSION, "id",
		      st->id, "pid", (json_int_t)(status == OCI_STATUS_STOPPED ? 0 : st->pid),
		      "status", oci_status_name(status), "bundle", st->bundle, "rootfs", st->rootfs,
		      "created", st->created);
	if (!j)
		return NULL;
	if (st->annotations && json_object_size(st->annotations) > 0)
		json_object_set(j, "annotations", st->annotations);
	json_object_set_new(j, "owner", json_string(for_list && owner_name ? owner_name : ""));
	return j;
}
