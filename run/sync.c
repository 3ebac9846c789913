/* Runtime <-> init messages: one datagram per message on a SOCK_SEQPACKET socketpair, so no
 * framing is needed, and an fd rides along in SCM_RIGHTS when there is one; and the
 * runtime's loop serving them, shared by create and exec. */
#include "run/sync.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "run/terminal.h"

int oci_sync_send(int sock, int type, const void *data, size_t len, int fd, oci_error *err)
{
	char buf[OCI_SYNC_MAX + sizeof(int32_t)];
	int32_t t = type;
	if (len > OCI_SYNC_MAX)
		len = OCI_SYNC_MAX;
	memcpy(buf, &t, sizeof(t));
	if (len)
		memcpy(buf + sizeof(t), data, len);
	ssize_t n = oci_send_with_fd(sock, buf, sizeof(t) + len, fd);
	if (n < 0)
		return oci_err_errno(err, errno, "cannot talk to the container init");
	return 0;
}

int oci_sync_recv(int sock, char *out, size_t outlen, int *fd, oci_error *err)
{
	char buf[OCI_SYNC_MAX + sizeof(int32_t)];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
	if (fd)
		*fd = -1;
	ssize_t n;
	/* A peer that exited with messages of ours unread leaves ECONNRESET pending on this
	 * end, and the kernel reports it before what the peer sent last (its error): once
	 * reported, read on. */
	for (int reset = 0;; reset++) {
		msg.msg_controllen = sizeof(u.b);
		do
			n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		while (n < 0 && errno == EINTR);
		if (n >= 0 || errno != ECONNRESET || reset)
			break;
	}
	if (n < 0)
		return oci_err_errno(err, errno, "cannot talk to the container init");
	if (n == 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int f;
			memcpy(&f, CMSG_DATA(c), sizeof(int));
			if (fd)
				*fd = f;
			else
				close(f);
		}
	}
	if ((size_t)n < sizeof(int32_t))
		return oci_err(err, OCI_E_INTERNAL, "short message from the container init");
	int32_t t;
	memcpy(&t, buf, sizeof(t));
	size_t len = (size_t)n - sizeof(t);
	if (out && outlen) {
		if (len >= outlen)
			len = outlen - 1;
		memcpy(out, buf + sizeof(t), len);
		out[len] = '\0';
	}
	return t;
}

int oci_sync_expect(int sock, int type, char *buf, size_t buflen, int *fd, oci_error *err)
{
	char tmp[OCI_SYNC_MAX + 1];
	if (!buf) {
		buf = tmp;
		buflen = sizeof(tmp);
	}
	int t = oci_sync_recv(sock, buf, buflen, fd, err);
	if (t < 0)
		return -1;
	if (t == 0)
		return oci_err(err, OCI_E_STATE, "container init exited during setup");
	if (t == OCI_SYNC_ERROR)
		return oci_err(err, OCI_E_INVALID, "%s", buf);
	if (t != type)
		return oci_err(err, OCI_E_INTERNAL, "unexpected message %d from the container init",
			       t);
	return 0;
}

int oci_sync_serve(int sock, oci_sync_server *s, oci_error *err)
{
	for (;;) {
		if (s->idle && s->idle_ms > 0) {
			struct pollfd pf = {.fd = sock, .events = POLLIN};
			int r = poll(&pf, 1, s->idle_ms);
			if (r < 0 && errno != EINTR)
				return oci_err_errno(err, errno,
						     "cannot talk to the container init");
			if (r == 0 && s->idle(s->ctx, err) < 0)
				return -1;
			if (r <= 0)
				continue;
		}
		char buf[OCI_SYNC_MAX + 1];
		int fd = -1;
		int t = oci_sync_recv(sock, buf, sizeof(buf), &fd, err);
		if (t <= 0)
			return t;
		if (t == OCI_SYNC_PTY && fd >= 0) {
			if (s->console_socket) {
				int r = oci_terminal_send(s->console_socket, fd, buf, err);
				close(fd);
				if (r < 0)
					return -1;
			} else {
				if (s->master >= 0)
					close(s->master);
				s->master = fd;
			}
			continue;
		}
		if (t == OCI_SYNC_SECCOMP) {
			if (fd < 0 || !s->seccomp) {
				if (fd >= 0)
					close(fd);
				return oci_err(err, OCI_E_INTERNAL,
					       "unexpected seccomp notify fd from the container");
			}
			if (s->seccomp(s->ctx, sock, fd, err) < 0)
				return -1;
			continue;
		}
		/* No other message carries an fd we keep. */
		if (fd >= 0)
			close(fd);
		if (t == OCI_SYNC_ERROR)
			return oci_err(err, OCI_E_INVALID, "%s", buf);
		if (t == OCI_SYNC_HOOKS) {
			if (s->hooks && s->hooks(s->ctx, err) < 0)
				return -1;
			if (oci_sync_send(sock, OCI_SYNC_HOOKS_DONE, NULL, 0, -1, err) < 0)
				return -1;
		} else if (t == OCI_SYNC_READY) {
			int r = s->ready ? s->ready(s->ctx, buf, err) : 1;
			if (r != 0)
				return r;
		}
	}
}
