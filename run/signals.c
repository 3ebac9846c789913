/* Signals: parsing for `kill`, and the foreground loop of `run`: every signal the runtime
 * receives except SIGCHLD, SIGWINCH and SIGURG goes to the container's init, SIGWINCH
 * resizes its terminal, and the init's exit becomes the runtime's exit status. */
#include "run/signals.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "run/container.h"
#include "run/terminal.h"

static const struct {
	const char *name;
	int num;
} signal_names[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},	 {"CHLD", SIGCHLD},
    {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},	 {"HUP", SIGHUP},
    {"ILL", SIGILL},   {"INT", SIGINT},	  {"IO", SIGIO},	 {"IOT", SIGIOT},
    {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},	 {"PROF", SIGPROF},
    {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},	 {"STKFLT", SIGSTKFLT},
    {"STOP", SIGSTOP}, {"SYS", SIGSYS},	  {"TERM", SIGTERM},	 {"TRAP", SIGTRAP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},	 {"URG", SIGURG},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

int oci_signal_parse(const char *s, oci_error *err)
{
	uint64_t n;
	if (oci_parse_u64(s, 64, &n) == 0) {
		if (n == 0 || (int)n > SIGRTMAX)
			return oci_err(err, OCI_E_INVALID, "invalid signal '%s'", s);
		return (int)n;
	}
	const char *name = s;
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (!strcasecmp(name, signal_names[i].name))
			return signal_names[i].num;
	if (!strncasecmp(name, "RTMIN", 5) || !strncasecmp(name, "RTMAX", 5)) {
		int base = !strncasecmp(name, "RTMIN", 5) ? SIGRTMIN : SIGRTMAX;
		int off = 0;
		if (name[5]) {
			/* RTMIN+N or RTMAX-N: a sign, then digits only (strtol took spaces, and an
			 * offset past int wrapped: RTMIN+4294967297 was RTMIN+1) */
			uint64_t k;
			if ((name[5] != '+' && name[5] != '-') ||
			    oci_parse_u64(name + 6, 64, &k) < 0)
				return oci_err(err, OCI_E_INVALID, "unknown signal '%s'", s);
			off = name[5] == '+' ? (int)k : -(int)k;
		}
		int sig = base + off;
		if (sig >= SIGRTMIN && sig <= SIGRTMAX)
			return sig;
	}
	return oci_err(err, OCI_E_INVALID, "unknown signal '%s'", s);
}

void oci_signals_block(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, old);
}

void oci_signals_reset(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigemptyset(&sa.sa_mask);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Copy what is readable from in (at most max bytes) to out; returns 0 at EOF/EIO, 1
 * otherwise. */
static int pump(int in, int out, size_t max)
{
	char buf[8192];
	ssize_t n = read(in, buf, max < sizeof(buf) ? max : sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0)
		return 0;
	oci_write_all(out, buf, (size_t)n, NULL);
	return 1;
}

static int decode(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

int oci_signals_wait(pid_t pid, int master, int *status, oci_error *err)
{
	const int none[3] = {-1, -1, -1};
	return oci_signals_wait_io(pid, master, none, status, err);
}

int oci_signals_wait_io(pid_t pid, int master, const int io[3], int *status, oci_error *err)
{
	return oci_signals_wait_opts(pid, master, io, NULL, status, err);
}

/* Reap pid (and, with reap_all, every other child that has exited): 1 with *st when pid was
 * reaped, 0 when it runs, -1 when it is not our child. */
static int reap(pid_t pid, bool reap_all, int *st)
{
	for (;;) {
		int wst;
		pid_t w = waitpid(reap_all ? -1 : pid, &wst, WNOHANG);
		if (w == pid) {
			*st = wst;
			return 1;
		}
		if (w > 0)
			continue; /* an orphan of the container, reparented to us */
		if (w < 0 && errno == EINTR)
			continue;
		return w < 0 && errno == ECHILD ? -1 : 0;
	}
}

int oci_signals_wait_opts(pid_t pid, int master, const int io[3], const oci_wait_opts *o,
			  int *status, oci_error *err)
{
	oci_wait_watch *watch = o ? o->watch : NULL;
	bool reap_all = o && o->reap_orphans;
	sigset_t all;
	sigfillset(&all);
	cleanup_close int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return oci_err_errno(err, errno, "signalfd");
	bool in_open = master >= 0, master_open = master >= 0;
	if (master >= 0) {
		fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
		oci_terminal_raw(master);
	}
	/* The pipes that stand for a terminal of the caller's (io[0] written, io[1] and io[2]
	 * read): stdin is read only when its pipe has room for what one read gives, so a
	 * process that reads nothing never blocks us. */
	int pin = io[0], pout = io[1], perr = io[2];
	bool pin_ready = false;
	/* What was read for the pty and did not fit yet (the master is non-blocking: a write
	 * that did not fit was dropped, all the caller typed or pasted while the process read
	 * nothing); stdin is read again once it is all written. */
	char pend[8192];
	size_t pend_len = 0, pend_off = 0;
	int st;
	for (;;) {
		int r = reap(pid, reap_all, &st);
		if (r > 0) {
			/* what the container said before its exit is still served (its last
			 * sd_notify READY=1 was lost when the exit was seen first) */
			if (watch && watch->fd[0] >= 0)
				watch->serve(watch, 0);
			break;
		}
		if (r < 0) {
			oci_closep(&pin);
			oci_terminal_restore();
			return oci_err(err, OCI_E_STATE, "lost the container process");
		}
		bool read_in = (in_open && !pend_len) || (pin >= 0 && pin_ready);
		short mev = (short)(POLLIN | (pend_len ? POLLOUT : 0));
		struct pollfd pf[8] = {{.fd = sfd, .events = POLLIN},
				       {.fd = read_in ? STDIN_FILENO : -1, .events = POLLIN},
				       {.fd = master_open ? master : -1, .events = mev},
				       {.fd = pin >= 0 && !pin_ready ? pin : -1, .events = POLLOUT},
				       {.fd = pout, .events = POLLIN},
				       {.fd = perr, .events = POLLIN},
				       {.fd = watch ? watch->fd[0] : -1, .events = POLLIN},
				       {.fd = watch ? watch->fd[1] : -1, .events = POLLIN}};
		int timeout = -1;
		if (watch && watch->deadline_ms) {
			int64_t left = watch->deadline_ms - oci_now_ms();
			timeout = left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
		}
		int nready = poll(pf, 8, timeout);
		if (nready < 0 && errno != EINTR)
			break;
		if (watch) {
			for (int k = 0; k < 2; k++)
				if (pf[6 + k].revents)
					watch->serve(watch, k);
			if (watch->deadline_ms && oci_now_ms() >= watch->deadline_ms)
				watch->serve(watch, -1);
		}
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				int sig = (int)si.ssi_signo;
				/* Ours (SIGPIPE of a write to a closed pipe) are not the caller's.
				 */
				if (sig == SIGCHLD || sig == SIGURG ||
				    si.ssi_pid == (uint32_t)getpid())
					continue;
				if (sig == SIGWINCH) {
					if (master >= 0)
						oci_terminal_resize(master);
					continue;
				}
				kill(pid, sig);
			}
		}
		if (pf[3].revents & (POLLERR | POLLHUP))
			oci_closep(&pin); /* nothing reads it any more */
		else if (pf[3].revents & POLLOUT)
			pin_ready = true;
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (in_open) {
				ssize_t n = read(STDIN_FILENO, pend, sizeof(pend));
				if (n > 0)
					pend_len = (size_t)n, pend_off = 0;
				else if (n == 0 || (errno != EAGAIN && errno != EINTR))
					in_open = false;
			} else if (pin >= 0 && !pump(STDIN_FILENO, pin, PIPE_BUF))
				oci_closep(&pin); /* the caller's end of input is the process's */
			pin_ready = false;
		}
		if (pend_len && master_open) {
			ssize_t w = write(master, pend + pend_off, pend_len - pend_off);
			if (w > 0 && (pend_off += (size_t)w) == pend_len)
				pend_len = 0;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				pend_len = 0; /* the pty is gone */
		}
		if (pf[2].revents & (POLLIN | POLLHUP | POLLERR))
			master_open = pump(master, STDOUT_FILENO, 8192);
		if ((pf[4].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !pump(pout, STDOUT_FILENO, 8192))
			pout = -1;
		if ((pf[5].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !pump(perr, STDERR_FILENO, 8192))
			perr = -1;
	}
	/* Drain what the container wrote before it exited (not what a process it left behind
	 * writes after: only what is there now). */
	while (master_open && pump(master, STDOUT_FILENO, 8192)) {
		struct pollfd pf = {.fd = master, .events = POLLIN};
		if (poll(&pf, 1, 0) <= 0)
			break;
	}
	/* A pipe's, counted once: a drain until it was empty never ended while a 'yes' the
	 * process left kept it full. */
	for (int k = 0; k < 2; k++) {
		int fd = k ? perr : pout, left = 0;
		if (fd < 0 || ioctl(fd, FIONREAD, &left) < 0)
			continue;
		for (; left > 0; left -= 8192)
			if (!pump(fd, k ? STDERR_FILENO : STDOUT_FILENO,
				  left < 8192 ? (size_t)left : 8192))
				break;
	}
	oci_closep(&pin);
	oci_terminal_restore();
	*status = decode(st);
	return 0;
}
