/* A container's sd_notify, hostile or not, for tests/integration/40-run-notify.bats: built
 * static, so it runs in the busybox rootfs. Each MESSAGE is one datagram to $NOTIFY_SOCKET
 * ("\n" in it stands for a newline). Options apply to the messages after them:
 *   -f N   attach N fds (SCM_RIGHTS, copies of /) to each message (a message the socket
 *          refuses for its fds, EPERM: SO_PASSRIGHTS off, counts as sent)
 *   -s N   send a datagram of N bytes (READY=1 lines and padding) instead of the next message
 *   -n N   send each message N times (a flood: a full queue ends it, EAGAIN is not an error)
 *   -L N   now, LINGER_TRIES children each send "STATUS=linger" with a TCP socket on loopback
 *          whose last close waits N s (SO_LINGER, its send queue full, its peer held open by
 *          the child, never read) and close their copy: whoever closes last waits, so the
 *          tries make it the receiver at least once (the child that loses waits instead);
 *          the children hold their peers N s and exit (an exiting close never waits)
 * Exits 0 when every message went (or the flood filled the queue), 1 otherwise. */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int send_one(int s, const char *msg, size_t len, int nfds, int flags)
{
	int fds[16];
	union {
		char b[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds > 0) {
		memset(&u, 0, sizeof(u));
		for (int i = 0; i < nfds; i++)
			fds[i] = open("/", O_RDONLY | O_DIRECTORY);
		mh.msg_control = u.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	ssize_t r = sendmsg(s, &mh, flags);
	int e = errno;
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (r < 0 && e == EPERM && nfds > 0)
		return 0;
	errno = e;
	return r == (ssize_t)len ? 0 : -1;
}

#define LINGER_TRIES 5

/* -L: one child's try (see the top) on s. */
static void linger_try(int s, int secs)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(in);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), peer;
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&in, sizeof(in)) < 0 ||
	    getsockname(l, (struct sockaddr *)&in, &sl) < 0 || listen(l, 1) < 0 ||
	    connect(c, (struct sockaddr *)&in, sizeof(in)) < 0 ||
	    (peer = accept(l, NULL, NULL)) < 0) {
		perror("notify-send: lingering socket");
		_exit(1);
	}
	static char fill[65536];
	while (send(c, fill, sizeof(fill), MSG_DONTWAIT) > 0)
		;
	struct linger lg = {.l_onoff = 1, .l_linger = secs};
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct iovec iov = {.iov_base = "STATUS=linger", .iov_len = 13};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
	struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &c, sizeof(int));
	if (sendmsg(s, &mh, 0) >= 0)
		close(c);
	else if (errno != EPERM)
		perror("notify-send: lingering socket not sent");
	sleep((unsigned)secs);
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path) {
		fprintf(stderr, "notify-send: NOTIFY_SOCKET is not set\n");
		return 1;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("notify-send: connect");
		return 1;
	}
	int nfds = 0, size = 0, count = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-L") && i + 1 < argc) {
			int secs = atoi(argv[++i]);
			for (int k = 0; k < LINGER_TRIES; k++) {
				pid_t p = fork();
				if (p < 0)
					return 1;
				if (p == 0)
					linger_try(s, secs);
				usleep(50000);
			}
			continue;
		}
		if (!strcmp(argv[i], "-f") && i + 1 < argc) {
			nfds = atoi(argv[++i]);
			if (nfds < 0 || nfds > 16)
				return 1;
			continue;
		}
		if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			size = atoi(argv[++i]);
			char *big = malloc((size_t)size);
			if (!big)
				return 1;
			for (int k = 0; k < size; k++)
				big[k] = k % 8 == 7 ? '\n' : "READY=1"[k % 8];
			int r = send_one(s, big, (size_t)size, nfds, 0);
			free(big);
			if (r < 0) {
				perror("notify-send: big datagram");
				return 1;
			}
			continue;
		}
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			count = atoi(argv[++i]);
			continue;
		}
		char msg[4096];
		size_t n = 0;
		for (const char *p = argv[i]; *p && n < sizeof(msg); p++) {
			if (p[0] == '\\' && p[1] == 'n') {
				msg[n++] = '\n';
				p++;
			} else {
				msg[n++] = *p;
			}
		}
		for (int k = 0; k < count; k++)
			if (send_one(s, msg, n, nfds, count > 1 ? MSG_DONTWAIT : 0) < 0) {
				if (count > 1 && errno == EAGAIN)
					break;
				perror("notify-send: send");
				return 1;
			}
	}
	return 0;
}
