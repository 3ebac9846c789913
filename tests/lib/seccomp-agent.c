/* A seccomp agent for the tests (what runc's example agent does): it listens on a unix socket,
 * takes each runtime's ContainerProcessState JSON with its notify fd, and answers every
 * notification of every container: an errno for the syscalls named with -e, "continue" for
 * the others.
 *
 *   seccomp-agent -s SOCKET [-e NAME=ERRNO]... [-w MS] [-l LOG]
 *
 * -w waits MS milliseconds between taking a notification and answering it (a process is
 * then blocked in its syscall, for signal tests).
 * LOG gets one line per event: "state JSON" for each connection (the message as received,
 * with "fd=N" when an fd came along), "notify NAME pid=N -> errno E|continue" per answer.
 * It runs until killed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS	  64
#define MAX_RULES 16

static struct {
	char name[64];
	int eno;
} rules[MAX_RULES];
static int nrules;
static int wait_ms;
static FILE *logfile;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	if (!logfile)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(logfile, fmt, ap);
	va_end(ap);
	fputc('\n', logfile);
	fflush(logfile);
}

/* One connection: the state JSON and the notify fd (-1 when none came). */
static int take_fd(int conn)
{
	char buf[65536];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
	ssize_t n = recvmsg(conn, &m, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	size_t len = (size_t)n;
	int fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	/* runc and oci-run send the message in one piece, and may keep the connection open
	 * until the process goes on: no waiting for more */
	buf[len] = '\0';
	say("state %s fd=%d", buf, fd);
	return fd;
}

/* Answer one notification on fd; -1 when the fd is done (every process gone). */
static int answer(int fd)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	memset(&req, 0, sizeof(req));
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return errno == EINTR || errno == ENOENT ? 0 : -1;
	char *name = seccomp_syscall_resolve_num_arch(req.data.arch, req.data.nr);
	say("took %s pid=%u", name ? name : "?", req.pid);
	if (wait_ms)
		usleep((useconds_t)wait_ms * 1000);
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	for (int i = 0; name && i < nrules; i++)
		if (!strcmp(rules[i].name, name)) {
			resp.flags = 0;
			resp.error = -rules[i].eno;
		}
	if (resp.flags)
		say("notify %s pid=%u -> continue", name ? name : "?", req.pid);
	else
		say("notify %s pid=%u -> errno %d", name ? name : "?", req.pid, -resp.error);
	free(name);
	/* ENOENT: the process went away (killed) before the answer. */
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "s:e:l:w:")) != -1) {
		if (opt == 's') {
			path = optarg;
		} else if (opt == 'e' && nrules < MAX_RULES) {
			char *eq = strchr(optarg, '=');
			if (!eq || (size_t)(eq - optarg) >= sizeof(rules[0].name))
				goto usage;
			memcpy(rules[nrules].name, optarg, (size_t)(eq - optarg));
			rules[nrules++].eno = atoi(eq + 1);
		} else if (opt == 'w') {
			wait_ms = atoi(optarg);
		} else if (opt == 'l') {
			logfile = fopen(optarg, "a");
			if (!logfile) {
				perror(optarg);
				return 1;
			}
		} else {
			goto usage;
		}
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!path || strlen(path) >= sizeof(sa.sun_path))
		goto usage;
	strcpy(sa.sun_path, path);
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 8) < 0) {
		perror(path);
		return 1;
	}
	say("listening on %s", path);
	struct pollfd p[MAX_FDS + 1];
	int nfds = 0;
	p[0] = (struct pollfd){.fd = ls, .events = POLLIN};
	for (;;) {
		if (poll(p, (nfds_t)nfds + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		for (int i = 1; i <= nfds; i++) {
			if (!p[i].revents)
				continue;
			if ((p[i].revents & POLLIN) && answer(p[i].fd) == 0)
				continue;
			if (p[i].revents & (POLLHUP | POLLERR | POLLIN)) {
				/* every filtered process is gone */
				close(p[i].fd);
				p[i--] = p[nfds--];
			}
		}
		if (p[0].revents & POLLIN) {
			int conn = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
			if (conn < 0)
				continue;
			int fd = take_fd(conn);
			close(conn);
			if (fd >= 0 && nfds < MAX_FDS)
				p[++nfds] = (struct pollfd){.fd = fd, .events = POLLIN};
			else if (fd >= 0)
				close(fd);
		}
	}
usage:
	fprintf(stderr, "usage: seccomp-agent -s SOCKET [-e NAME=ERRNO]... [-w MS] [-l LOG]\n");
	return 2;
}
