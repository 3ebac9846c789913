/* Signals: names and numbers as `kill` takes them, and the foreground loop of `run` that
 * forwards the runtime's signals to the container, relays its terminal and reaps it. */
#ifndef OCI_RUN_SIGNALS_H
#define OCI_RUN_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* Block every signal (they are then read from a signalfd); old receives the previous mask. */
void oci_signals_block(sigset_t *old);
/* Reset all dispositions to default and unblock everything (in the child before exec). */
void oci_signals_reset(void);
/* Wait for pid while forwarding signals and relaying master (-1: none) to stdin/stdout.
 * *status is the shell-style exit status: the exit code, or 128+N when killed by signal N. */
int oci_signals_wait(pid_t pid, int master, int *status, oci_error *err);
/* The same, relaying also pipes that stand in for the caller's terminal (-1: none): stdin to
 * io[0], io[1] to stdout, io[2] to stderr. io[0] is closed here (at the caller's end of
 * input, or on return); io[1] and io[2] stay the caller's. */
int oci_signals_wait_io(pid_t pid, int master, const int io[3], int *status, oci_error *err);

/* Something more the wait serves beside the container (run/notify.c's relay): its fds are
 * polled for input; serve is called with the index of one that is readable, or with -1 once
 * oci_now_ms() has passed deadline_ms (0: none), and sets fd and deadline_ms anew. */
typedef struct oci_wait_watch oci_wait_watch;
struct oci_wait_watch {
	int fd[2]; /* -1: not polled */
	int64_t deadline_ms;
	void (*serve)(oci_wait_watch *w, int which);
	void *ctx;
};
typedef struct oci_wait_opts {
	/* the caller is a child subreaper (run without --no-subreaper): every child of ours
	 * that exits is reaped, the orphans of the container that reparent to us included */
	bool reap_orphans;
	oci_wait_watch *watch; /* NULL: none */
} oci_wait_opts;
/* oci_signals_wait_io with those (o NULL: neither). */
int oci_signals_wait_opts(pid_t pid, int master, const int io[3], const oci_wait_opts *o,
			  int *status, oci_error *err);
#endif
