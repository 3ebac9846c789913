/* A container's sd_notify, hostile or not, for tests/integration/40-run-notify.bats: built
 * static, so it runs in the busybox rootfs. Each MESSAGE is one datagram to $NOTIFY_SOCKET
 * ("\n" in it stands for a newline). Options apply to the messages after them:
 *   -f N   attach N fds (SCM_RIGHTS, copies of /) to each message
 *   -s N   send a datagram of N bytes (READY=1 lines and padding) instead of the next message
 *   -n N   send each message N times (a flood: a full queue ends it, EAGAIN is not an error)
 * Exits 0 when every message went (or the flood filled the queue), 1 otherwise. */
#include <errno.h>
#include <fcntl.h>
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
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	return r == (ssize_t)len ? 0 : -1;
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
