/* Terminals: the pty is allocated by the init from the container's own devpts (so the
 * slave's name is valid inside), its master handed to the runtime; the runtime either
 * passes it to --console-socket or relays it in the foreground with the caller's terminal in
 * raw mode. */
#include "run/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"

/* How long a console socket may take to accept the connection and the pty. */
#define OCI_TERMINAL_SOCKET_TIMEOUT 10

int oci_terminal_open(int *master, int *slave, char *slave_path, size_t len, oci_error *err)
{
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return oci_err_errno(err, errno, "cannot open /dev/ptmx");
	int unlock = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ptsname_r(m, slave_path, len) != 0) {
		int e = errno;
		close(m);
		return oci_err_errno(err, e, "cannot set up the pty");
	}
	/* TIOCGPTPEER opens the peer of this very master, whatever sits at the path. */
	int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		s = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		int e = errno;
		close(m);
		return oci_err_errno(err, e, "cannot open the pty slave '%s'", slave_path);
	}
	*master = m;
	*slave = s;
	return 0;
}

int oci_terminal_prepare(int master, int slave, const oci_process *p, oci_error *err)
{
	if (p->has_console_size && p->console_height && p->console_width) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_height,
				     .ws_col = (unsigned short)p->console_width};
		if (p->console_height > 0xffff || p->console_width > 0xffff)
			return oci_err(err, OCI_E_INVALID,
				       "process.consoleSize %ux%u: at most 65535 rows and columns",
				       p->console_height, p->console_width);
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			return oci_err_errno(err, errno, "cannot set the terminal's size");
	}
	struct stat st;
	if (fstat(slave, &st) < 0)
		return oci_err_errno(err, errno, "cannot inspect the pty");
	if (st.st_uid != p->user.uid && fchown(slave, p->user.uid, (gid_t)-1) < 0)
		return oci_err_errno(err, errno, "cannot give the pty to uid %u", p->user.uid);
	return 0;
}

int oci_terminal_attach(int slave, oci_error *err)
{
	if (setsid() < 0)
		return oci_err_errno(err, errno, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return oci_err_errno(err, errno, "cannot set the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return oci_err_errno(err, errno, "cannot attach the terminal");
	return 0;
}

int oci_unix_send_fd(const char *path, int fd, const char *name, const char *what, oci_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return oci_err(err, OCI_E_INVALID, "%s path too long: '%s'", what, path);
	strcpy(sa.sun_path, path);
	cleanup_close int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return oci_err_errno(err, errno, "cannot connect to %s '%s'", what, path);
	/* A peer whose backlog is full (one that never accepts) would hold connect(2) and
	 * sendmsg(2) for ever, and us with our signals blocked: both are bounded (a unix
	 * socket's connect waits for the send timeout). */
	struct timeval tv = {.tv_sec = OCI_TERMINAL_SOCKET_TIMEOUT};
	if (setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return oci_err_errno(err, errno, "%s '%s': SO_SNDTIMEO", what, path);
	int r;
	do
		r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EAGAIN)
		return oci_err(err, OCI_E_IO,
			       "%s '%s': nothing accepted the connection within %ds "
			       "(is its listener still serving?)",
			       what, path, OCI_TERMINAL_SOCKET_TIMEOUT);
	if (r < 0)
		return oci_err_errno(err, errno, "cannot connect to %s '%s'", what, path);
	if (oci_send_with_fd(s, name, strlen(name), fd) < 0)
		return oci_err_errno(err, errno, "cannot send to %s '%s'", what, path);
	return 0;
}

int oci_terminal_send(const char *path, int master, const char *name, oci_error *err)
{
	return oci_unix_send_fd(path, master, name, "console socket", err);
}

static struct termios saved;
static int saved_ok;

void oci_terminal_resize(int master)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

void oci_terminal_raw(int master)
{
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) < 0)
		return;
	struct termios raw = saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
		saved_ok = 1;
	oci_terminal_resize(master);
}

int oci_terminal_check_stdin(oci_error *err)
{
	if (isatty(STDIN_FILENO))
		return 0;
	return oci_err(err, OCI_E_INVALID,
		       "process.terminal is true but stdin is not a terminal: run it from a "
		       "terminal, pass --console-socket, or set process.terminal to false "
		       "(oci-bundle edit --no-terminal)");
}

void oci_terminal_restore(void)
{
	if (saved_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	saved_ok = 0;
}
