/* A console-socket receiver for the tests where python is missing (the qemu guest): what
 * tests/integration/40-run-console-socket.py does, in C.
 *
 *   console-recv SOCKET READYFILE SECONDS [INPUT]
 *
 * It listens on the unix socket SOCKET, creates READYFILE, takes one connection whose one
 * message must carry exactly one fd (the pty master), prints "pty-name:NAME" (the message),
 * writes INPUT to the master, then copies what the container writes to stdout until the
 * terminal hangs up (EIO) or SECONDS have passed since it started. Exit status 2 when no
 * master came. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long deadline_ms;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is readable; 0 when the deadline came first. */
static int wait_in(int fd)
{
	long left = deadline_ms - now_ms();
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (left <= 0)
		return 0;
	return poll(&p, 1, (int)left) > 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: console-recv SOCKET READYFILE SECONDS [INPUT]\n");
		return 1;
	}
	deadline_ms = now_ms() + atol(argv[3]) * 1000;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "console-recv: socket path too long\n");
		return 1;
	}
	strcpy(sa.sun_path, argv[1]);
	int srv = socket(AF_UNIX, SOCK_STREAM, 0);
	if (srv < 0 || bind(srv, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(srv, 1) < 0) {
		perror("console-recv: listen");
		return 1;
	}
	close(open(argv[2], O_WRONLY | O_CREAT, 0644));
	if (!wait_in(srv)) {
		fprintf(stderr, "console-recv: nobody connected\n");
		return 2;
	}
	int conn = accept(srv, NULL, NULL);
	char name[256] = "";
	union {
		char b[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
	ssize_t n = conn < 0 || !wait_in(conn) ? -1 : recvmsg(conn, &msg, 0);
	int nfds = 0, nmsgs = 0, master = -1;
	for (struct cmsghdr *c = n < 0 ? NULL : CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		nmsgs++;
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfds += (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(&master, CMSG_DATA(c), sizeof(int));
	}
	if (nfds != 1 || nmsgs != 1) {
		fprintf(stderr,
			"console-recv: expected exactly one fd in one message, got %d in %d\n",
			nfds, nmsgs);
		return 2;
	}
	name[n] = '\0';
	printf("pty-name:%s\n", name);
	fflush(stdout);
	if (argc == 5 && write(master, argv[4], strlen(argv[4])) < 0)
		perror("console-recv: write");
	char buf[4096];
	while (wait_in(master)) {
		n = read(master, buf, sizeof(buf));
		if (n <= 0 || write(STDOUT_FILENO, buf, (size_t)n) != n)
			break;
	}
	return 0;
}
