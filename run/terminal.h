/* Terminals: the container's pty (allocated inside it), handing the master to a
 * --console-socket, and the foreground relay in raw mode with window-size changes. */
#ifndef OCI_RUN_TERMINAL_H
#define OCI_RUN_TERMINAL_H

#include <stddef.h>

#include "common/config.h"
#include "common/error.h"

/* Open a pty from /dev/ptmx (the container's devpts); slave_path gets its name. */
int oci_terminal_open(int *master, int *slave, char *slave_path, size_t len, oci_error *err);
/* Before the process gets the pty: process.consoleSize as its first size (runc: when both are
 * non-zero), and the slave owned by the process's uid (runc's: the group stays devpts', tty),
 * so a non-root user can use its terminal (reopen /dev/tty, chmod it, tcsetattr from a child). */
int oci_terminal_prepare(int master, int slave, const oci_process *p, oci_error *err);
/* Make slave the controlling terminal and stdio of the calling process (after setsid). */
int oci_terminal_attach(int slave, oci_error *err);
/* Send master as exactly one fd in one SCM_RIGHTS message to the unix socket at path. */
int oci_terminal_send(const char *path, int master, const char *name, oci_error *err);
/* The same for any fd (--pidfd-socket's); what names the socket in errors. */
int oci_unix_send_fd(const char *path, int fd, const char *name, const char *what, oci_error *err);
/* Put stdin in raw mode if it is a terminal (saved for oci_terminal_restore) and copy its size. */
void oci_terminal_raw(int master);
void oci_terminal_restore(void);
/* A foreground process.terminal needs the caller's terminal on stdin to relay (as runc's
 * console.Current()); without one the process would wait for input nobody can give. */
int oci_terminal_check_stdin(oci_error *err);
/* Copy the size of stdin's terminal to master. */
void oci_terminal_resize(int master);
#endif
