/* The sd_notify relay: the container's socket, what is read from it, and what the host's
 * NOTIFY_SOCKET is told (run/notify.h). The container is hostile: of what it sends only a
 * READY=1 line counts, and the runtime says the rest itself (MAINPID is always a pid the
 * runtime chose, never one the container wrote). */
#include "run/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "run/container_internal.h"
#include "run/process.h"
#include "run/state.h"

/* datagrams read at one wake-up: a flood cannot keep the foreground wait from the signals
 * and the container's exit */
#define NOTIFY_BATCH 64
/* Linux 6.16's switch to refuse SCM_RIGHTS on a socket (asm-generic's number; the
 * architectures with their own numbering, alpha, mips, parisc, sparc, are not built for) */
#ifdef SO_PASSRIGHTS
#define OCI_SO_PASSRIGHTS SO_PASSRIGHTS
#else
#define OCI_SO_PASSRIGHTS 83
#endif
/* how long a send to the host's socket may block on its full queue */
#define NOTIFY_SEND_TIMEOUT_S 5

void oci_notify_init(oci_notify *n)
{
	memset(n, 0, sizeof(*n));
	n->host = n->sock = n->barrier = -1;
}

void oci_notify_release(oci_notify *n)
{
	oci_closep(&n->host);
	oci_closep(&n->sock);
	oci_closep(&n->barrier);
	/* not waited for: a release it is held in may outlast SIGKILL (an NFS file's); a
	 * zombie goes to our reaper when we exit */
	if (n->filter > 0) {
		kill(n->filter, SIGKILL);
		waitpid(n->filter, NULL, WNOHANG);
		n->filter = 0;
	}
}

int oci_notify_check(const char *value, oci_error *err)
{
	if (value[0] == '/' || (value[0] == '@' && value[1]))
		return 0;
	return oci_err(err, OCI_E_INVALID,
		       "NOTIFY_SOCKET '%s': neither an absolute path nor an @abstract name "
		       "(what sd_notify(3) takes)",
		       value);
}

int oci_notify_connect(oci_notify *n, const char *value, oci_error *err)
{
	if (oci_notify_check(value, err) < 0)
		return -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(value);
	cleanup_close int pathfd = -1;
	if (value[0] == '@') {
		/* the '@' is the leading NUL of the name; no NUL ends it (sd_notify's length) */
		if (len > sizeof(sa.sun_path))
			return oci_err(err, OCI_E_INVALID, "NOTIFY_SOCKET '%s': name too long",
				       value);
		memcpy(sa.sun_path + 1, value + 1, len - 1);
	} else {
		/* connected through the inode opened by oci_open_named's rule, so another user's
		 * symlink (or a swap after the check) cannot point us elsewhere; a long path
		 * fits sun_path that way too */
		pathfd = oci_open_named(value, O_PATH, 0, err);
		if (pathfd < 0)
			return oci_err_prefix(err, "NOTIFY_SOCKET");
		struct stat st;
		if (fstat(pathfd, &st) < 0)
			return oci_err_errno(err, errno, "NOTIFY_SOCKET '%s'", value);
		if (!S_ISSOCK(st.st_mode))
			return oci_err(err, OCI_E_INVALID, "NOTIFY_SOCKET '%s': not a socket",
				       value);
		len =
		    (size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", pathfd);
	}
	cleanup_close int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return oci_err_errno(err, errno, "NOTIFY_SOCKET: socket");
	/* a listener that never reads fills its queue: our sends block for this long at most */
	struct timeval tv = {.tv_sec = NOTIFY_SEND_TIMEOUT_S};
	if (setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return oci_err_errno(err, errno, "NOTIFY_SOCKET: SO_SNDTIMEO");
	socklen_t salen =
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (value[0] == '@' ? 0 : 1));
	if (connect(s, (struct sockaddr *)&sa, salen) < 0)
		return oci_err_errno(err, errno, "NOTIFY_SOCKET '%s': cannot connect", value);
	n->host = steal_fd(&s);
	return 0;
}

/* The filter's loop: each datagram of sock up to OCI_NOTIFY_MAX bytes, its bytes only, to
 * out (blocking: a full queue waits for the runtime, as the container's own socket would). */
static __attribute__((noreturn)) void filter(int sock, int out)
{
	char buf[OCI_NOTIFY_MAX];
	for (;;) {
		struct pollfd pf = {.fd = sock, .events = POLLIN};
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			_exit(1);
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t r = recvmsg(sock, &msg, MSG_DONTWAIT);
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			_exit(1);
		/* the runtime's end closed: nothing to pass on */
		if (r >= 0 && !(msg.msg_flags & MSG_TRUNC) && send(out, buf, (size_t)r, 0) < 0 &&
		    errno != EINTR)
			_exit(0);
	}
}

/* A kernel without SO_PASSRIGHTS: fds come with the container's datagrams, and whoever
 * dequeues them closes them. A child of ours does (killed when the relay is done, by
 * PR_SET_PDEATHSIG when we die first), passing the datagrams' bytes on through a socketpair,
 * which carries no fd: a release that waits holds that child, never the runtime. n->sock
 * becomes the pair's end. */
static int start_filter(oci_notify *n, int sock, oci_error *err)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) < 0)
		return oci_err_errno(err, errno, "notify: socketpair");
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pair[0]);
		close(pair[1]);
		return oci_err_errno(err, e, "notify: fork");
	}
	if (pid == 0) {
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
			_exit(1);
		/* nothing of ours but the two: our copy of a locked state directory's fd would
		 * keep its lock, stdio would keep a caller's pipe open */
		int keep[] = {sock, pair[1]};
		oci_error e = OCI_ERROR_INIT;
		oci_process_close_fds(0, keep, ARRAY_SIZE(keep), &e);
		for (int fd = 0; fd < 3; fd++)
			close(fd);
		filter(sock, pair[1]);
	}
	close(pair[1]);
	if (fcntl(pair[0], F_SETFL, O_NONBLOCK) < 0) {
		int e = errno;
		close(pair[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return oci_err_errno(err, e, "notify: socketpair");
	}
	n->sock = pair[0];
	n->filter = pid;
	log_debug("notify: no SO_PASSRIGHTS: the container's socket is read by pid %d", (int)pid);
	return 0;
}

/* Bind the container's socket in its notify directory (an fd), writable by anyone: the
 * container's user may be any uid, and only the container (through its mount) and the
 * runtime's user (through the state directory) reach it. */
static int bind_sock(oci_notify *n, int dirfd, oci_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dirfd, OCI_NOTIFY_SOCK);
	/* one a start that failed left */
	if (unlinkat(dirfd, OCI_NOTIFY_SOCK, 0) < 0 && errno != ENOENT)
		return oci_err_errno(err, errno, "cannot remove the old notify socket");
	cleanup_close int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return oci_err_errno(err, errno, "notify socket");
	/* fds are refused at the container's sendmsg (EPERM), never queued here: one the runtime
	 * dropped unread was still closed by the runtime, and the last close of a file runs its
	 * release in the closing task, for as long as the file says (a TCP socket's SO_LINGER,
	 * a hung NFS or FUSE file): the container held start, run -d and the foreground wait.
	 * A kernel before 6.16 has no SO_PASSRIGHTS (ENOPROTOOPT): start_filter then. */
	static const int no = 0;
	bool refuses = setsockopt(s, SOL_SOCKET, OCI_SO_PASSRIGHTS, &no, sizeof(no)) == 0;
	if (!refuses && errno != ENOPROTOOPT)
		return oci_err_errno(err, errno, "notify socket: SO_PASSRIGHTS");
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return oci_err_errno(err, errno, "cannot bind the container's notify socket");
	if (fchmodat(dirfd, OCI_NOTIFY_SOCK, 0777, 0) < 0)
		return oci_err_errno(err, errno, "cannot chmod the container's notify socket");
	if (!refuses)
		return start_filter(n, s, err);
	n->sock = steal_fd(&s);
	return 0;
}

/* NOTIFY_SOCKET=... in place of the process's own: the container's sd_notify finds its
 * socket, never the host's */
static int set_env(oci_process *p, oci_error *err)
{
	static const char *const drop[] = {"NOTIFY_SOCKET"};
	char *add[] = {
	    oci_strdup("NOTIFY_SOCKET=" OCI_NOTIFY_IN_CONTAINER "/" OCI_NOTIFY_SOCK, err)};
	char **env = oci_process_env_replace(p->env, drop, 1, add, 1, err);
	if (!env)
		return -1;
	/* the dropped entries were the model's: freed with its old array */
	for (size_t i = 0; p->env && p->env[i]; i++)
		if (!strncmp(p->env[i], "NOTIFY_SOCKET=", 14))
			free(p->env[i]);
	free(p->env);
	p->env = env;
	return 0;
}

/* The bind mount of the notify directory, last in cfg's list. */
static int add_mount(oci_config *cfg, const char *source, oci_error *err)
{
	static const char *const opts[] = {"bind", "nosuid", "noexec", "nodev", "ro"};
	oci_config_mount *m = realloc(cfg->mounts, (cfg->n_mounts + 1) * sizeof(*m));
	if (!m)
		return oci_err_errno(err, ENOMEM, "notify mount");
	cfg->mounts = m;
	m = &cfg->mounts[cfg->n_mounts];
	memset(m, 0, sizeof(*m));
	cfg->n_mounts++; /* from here the model's release frees what is set */
	m->options = calloc(ARRAY_SIZE(opts) + 1, sizeof(char *));
	if (!m->options)
		return oci_err_errno(err, ENOMEM, "notify mount");
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (!(m->options[i] = oci_strdup(opts[i], err)))
			return -1;
	if (!(m->destination = oci_strdup(OCI_NOTIFY_IN_CONTAINER, err)) ||
	    !(m->type = oci_strdup("bind", err)) || !(m->source = oci_strdup(source, err)))
		return -1;
	return 0;
}

int oci_notify_prepare(oci_notify *n, int dirfd, oci_config *cfg, bool bind, oci_error *err)
{
	if (mkdirat(dirfd, OCI_NOTIFY_DIR, 0755) < 0)
		return oci_err_errno(err, errno, "cannot create the notify directory");
	cleanup_close int nfd =
	    openat(dirfd, OCI_NOTIFY_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0)
		return oci_err_errno(err, errno, "cannot open the notify directory");
	/* the mount's source, a host path the init opens: the directory as it is named now */
	char link[64], path[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", nfd);
	ssize_t l = readlink(link, path, sizeof(path) - 1);
	if (l <= 0 || path[0] != '/')
		return oci_err_errno(err, l < 0 ? errno : ENOENT,
				     "cannot name the notify directory");
	path[l] = '\0';
	if (bind && bind_sock(n, nfd, err) < 0)
		return -1;
	if (add_mount(cfg, path, err) < 0 || set_env(&cfg->process, err) < 0)
		return -1;
	log_debug("notify: socket '%s/%s' at " OCI_NOTIFY_IN_CONTAINER " in the container", path,
		  OCI_NOTIFY_SOCK);
	return 0;
}

/* One line of a notification is READY=1. */
static bool says_ready(const char *buf, size_t len)
{
	static const char ready[] = "READY=1";
	const size_t rl = sizeof(ready) - 1;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;
		if (end - i == rl && !memcmp(buf + i, ready, rl))
			return true;
		i = end + 1;
	}
	return false;
}

/* Read what is waiting on the container's socket (NOTIFY_BATCH datagrams at most): true when
 * one had a READY=1 line. No control buffer: fds the container attached are closed by the
 * kernel, never ours. A datagram longer than OCI_NOTIFY_MAX (MSG_TRUNC) is dropped whole. */
static bool read_notifications(int sock)
{
	char buf[OCI_NOTIFY_MAX];
	bool ready = false;
	for (int i = 0; i < NOTIFY_BATCH; i++) {
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t r = recvmsg(sock, &msg, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (msg.msg_flags & MSG_TRUNC)
			continue;
		ready = ready || says_ready(buf, (size_t)r);
	}
	return ready;
}

/* READY=1 and MAINPID in one datagram (systemd takes the main pid first), then BARRIER=1
 * with a pipe's write end: *barrier gets the read end, which sees EOF once the host has
 * handled both. */
static int tell_host(oci_notify *n, pid_t mainpid, int *barrier, oci_error *err)
{
	char msg[64];
	int len = snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%d\n", (int)mainpid);
	if (send(n->host, msg, (size_t)len, MSG_NOSIGNAL) != len)
		return oci_err_errno(err, errno, "NOTIFY_SOCKET: cannot send READY=1");
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return oci_err_errno(err, errno, "NOTIFY_SOCKET: pipe");
	static const char b1[] = "BARRIER=1";
	ssize_t r = oci_send_with_fd(n->host, b1, sizeof(b1) - 1, p[1]);
	int e = errno;
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		return oci_err_errno(err, e, "NOTIFY_SOCKET: cannot send BARRIER=1");
	}
	*barrier = p[0];
	log_debug("notify: READY=1, MAINPID=%d sent; waiting for the barrier", (int)mainpid);
	return 0;
}

/* The barrier's pipe is readable (EOF: the host closed its end) or its time is up (timed_out):
 * either way the relay is done; runc's warnings. */
static void barrier_done(int fd, bool timed_out)
{
	char c;
	if (timed_out)
		log_warn("NOTIFY_SOCKET: no answer to BARRIER=1 within %d s; ignored",
			 OCI_NOTIFY_BARRIER_MS / 1000);
	else if (read(fd, &c, 1) > 0)
		log_warn("NOTIFY_SOCKET: unexpected data on the barrier pipe; ignored");
}

/* The foreground wait: until READY=1, the container's socket; then the barrier; after it,
 * the socket again, read and dropped, so a container that goes on notifying (WATCHDOG=1,
 * STATUS=) never blocks on a full queue. */
static void serve(oci_wait_watch *w, int which)
{
	oci_notify *n = w->ctx;
	if (which == 1 || (which < 0 && n->barrier >= 0)) {
		barrier_done(n->barrier, which < 0);
		oci_closep(&n->barrier);
		w->fd[1] = -1;
		w->deadline_ms = 0;
		return;
	}
	if (which != 0 || !read_notifications(n->sock) || n->ready)
		return;
	n->ready = true;
	oci_error err = OCI_ERROR_INIT;
	if (tell_host(n, n->mainpid, &n->barrier, &err) < 0) {
		/* the container runs on: the host's listener is what failed */
		log_warn("%s", err.msg);
		return;
	}
	w->fd[1] = n->barrier;
	w->deadline_ms = oci_now_ms() + OCI_NOTIFY_BARRIER_MS;
}

oci_wait_watch *oci_notify_watch(oci_notify *n, pid_t mainpid)
{
	if (n->sock < 0 || n->host < 0)
		return NULL;
	n->mainpid = mainpid;
	n->watch = (oci_wait_watch){.fd = {n->sock, -1}, .serve = serve, .ctx = n};
	return &n->watch;
}

int oci_notify_wait_ready(oci_notify *n, pid_t pid, uint64_t start, uint64_t ino, oci_error *err)
{
	if (n->sock < 0 || n->host < 0)
		return 0;
	cleanup_close int pidfd = -1;
	if (!oci_proc_hold(pid, start, ino, &pidfd))
		return 0; /* gone already: nothing to say */
	for (;;) {
		/* without pidfds (Linux < 5.3), runc's way: look every 100 ms */
		struct pollfd pf[2] = {{.fd = pidfd, .events = POLLIN},
				       {.fd = n->sock, .events = POLLIN}};
		int r = poll(pf, 2, pidfd >= 0 ? -1 : 100);
		if (r < 0 && errno != EINTR)
			return oci_err_errno(err, errno, "NOTIFY_SOCKET: poll");
		bool zombie = false;
		if ((pf[0].revents & POLLIN) ||
		    (pidfd < 0 && (!oci_proc_is(pid, start, ino, &zombie) || zombie))) {
			log_debug("notify: the container's init exited before READY=1");
			return 0;
		}
		if ((pf[1].revents & POLLIN) && read_notifications(n->sock))
			break;
	}
	n->ready = true;
	if (tell_host(n, pid, &n->barrier, err) < 0)
		return -1;
	struct pollfd pf = {.fd = n->barrier, .events = POLLIN};
	int64_t deadline = oci_now_ms() + OCI_NOTIFY_BARRIER_MS;
	int r;
	for (;;) {
		int64_t left = deadline - oci_now_ms();
		r = poll(&pf, 1, left > 0 ? (int)left : 0);
		if (r >= 0 || errno != EINTR)
			break;
	}
	barrier_done(n->barrier, r == 0);
	oci_closep(&n->barrier);
	return 0;
}

int oci_notify_start(const oci_runtime *rt, const char *id, const char *value, oci_error *err)
{
	cleanup_notify oci_notify n;
	oci_notify_init(&n);
	if (oci_notify_connect(&n, value, err) < 0)
		return -1;
	oci_state st;
	int dirfd = oci_state_load(rt->root, id, true, NULL, &st, err);
	if (dirfd < 0)
		return -1;
	int r = 0;
	cleanup_close int nfd =
	    openat(dirfd, OCI_NOTIFY_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0 && errno == ENOENT)
		r = oci_err(err, OCI_E_STATE,
			    "NOTIFY_SOCKET is set but container '%s' was created without it: its "
			    "process has no socket to notify (unset NOTIFY_SOCKET for start)",
			    id);
	else if (nfd < 0)
		r = oci_err_errno(err, errno, "container '%s': cannot open its notify directory",
				  id);
	/* bound before the start: a READY=1 sent at once is not lost */
	if (r == 0)
		r = bind_sock(&n, nfd, err);
	if (r == 0 && oci_container_start_locked(dirfd, &st, err) < 0) {
		unlinkat(nfd, OCI_NOTIFY_SOCK, 0);
		r = -1;
	}
	pid_t pid = st.pid;
	uint64_t start = st.pid_start, ino = st.pid_ino;
	oci_state_release(&st);
	/* unlocked while we wait: kill, delete and state go on */
	close(dirfd);
	if (r < 0)
		return -1;
	return oci_notify_wait_ready(&n, pid, start, ino, err);
}
